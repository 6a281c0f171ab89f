// Lontar office page: small progressive enhancements, no library. Every page works
// without this script; it adds the live NIK check, modal confirmation dialogs and
// the sync button's progress text.
(function () {
  "use strict";
  function $(sel, root) { return (root || document).querySelector(sel); }

  // A server-rendered confirmation dialog opens as a modal (keyboard: Tab, Esc).
  document.querySelectorAll("dialog[data-modal]").forEach(function (d) {
    if (d.open) d.close();
    if (d.showModal) d.showModal(); else d.setAttribute("open", "");
    var first = d.querySelector("[autofocus]") || d.querySelector("button");
    if (first) first.focus();
  });

  // Live NIK check on the enrollment form: the server decodes the NIK (same code
  // as the rules) and says what it means; disagreements show at once.
  var nik = $("#nik[data-live]");
  if (nik) {
    var msg = $("#nik-msg"), info = $("#nik-info");
    var birth = $("#birth_date"), sex = $("#sex"), regency = $("#regency");
    var last = null, decoded = null;
    function compare() {
      if (!decoded || !decoded.ok) return;
      var problems = [];
      if (birth && birth.value && birth.value.slice(2) !== decoded.birth_date.slice(2)) problems.push(decoded.text.birth_mismatch);
      if (sex && sex.value && sex.value !== decoded.sex) problems.push(decoded.text.sex_mismatch);
      if (regency && regency.value && regency.value !== decoded.regency) problems.push(decoded.text.regency_mismatch);
      msg.textContent = problems.join(" ");
      nik.classList.toggle("bad", problems.length > 0);
    }
    function check() {
      var v = nik.value.trim();
      if (v === last) return;
      last = v;
      if (v.length === 0) { msg.textContent = ""; info.textContent = ""; nik.classList.remove("bad"); return; }
      fetch("/api/nik?nik=" + encodeURIComponent(v), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (d) {
          if (nik.value.trim() !== v) return;
          decoded = d;
          if (!d.ok) { msg.textContent = d.error; info.textContent = ""; nik.classList.add("bad"); return; }
          msg.textContent = ""; nik.classList.remove("bad");
          info.textContent = d.summary;
          if (birth && !birth.value) birth.value = d.birth_date;
          if (sex && !sex.value) sex.value = d.sex;
          if (regency && !regency.value) regency.value = d.regency;
          compare();
        })
        .catch(function () {});
    }
    nik.addEventListener("input", check);
    [birth, sex, regency].forEach(function (el) { if (el) el.addEventListener("input", compare); });
    [birth, sex, regency].forEach(function (el) { if (el) el.addEventListener("change", compare); });
    check();
  }

  // An import (or its preview) in progress: the bar follows it; the page reloads at the end.
  var running = $("#import-running");
  if (running) {
    var id = running.getAttribute("data-job");
    var bar = $("#import-progress"), rows = $("#import-rows");
    var poll = function () {
      fetch("/api/import?id=" + encodeURIComponent(id), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (d) {
          if (d.done) { window.location.reload(); return; }
          bar.value = d.percent; rows.textContent = d.text;
          setTimeout(poll, 500);
        })
        .catch(function () { setTimeout(poll, 2000); });
    };
    setTimeout(poll, 300);
  }

  // "Sinkronkan sekarang": the button says it is working while the sync runs.
  var syncForm = $("form#sync-now");
  if (syncForm) {
    syncForm.addEventListener("submit", function () {
      var b = $("button", syncForm);
      b.disabled = true;
      b.textContent = b.getAttribute("data-busy");
      var p = $("#sync-progress");
      if (p) p.hidden = false;
    });
  }
})();

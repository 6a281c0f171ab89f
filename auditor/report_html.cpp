#include "report_html.hpp"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "base/clock.hpp"
#include "html/html.hpp"
#include "report_book.hpp"
#include "rules/rules.hpp"

namespace lontar::audit {
namespace {

using i18n::Lang;

constexpr std::size_t schedule_bars_max = 200;  // payouts drawn against the schedule; the rest summed

std::string esc(std::string_view s) { return html::escape(s); }

#define LONTAR_NOT_VOIDED " NOT EXISTS (SELECT 1 FROM report_voids v WHERE v.office = i.office AND v.seq = i.seq) "

struct Group {
  std::string key;
  std::int64_t count = 0;
  std::int64_t rupiah = 0;
};

// Count and rupiah of `kind` grouped by `column` (a fixed column name, never input).
Result<std::vector<Group>> grouped(AuditState& state, std::string_view column, std::string_view kind) {
  LONTAR_ASSIGN(auto s, state.db().prepare(fmt::format("SELECT {0}, COUNT(DISTINCT leaf), SUM(rupiah) FROM "
                                                       "report_items i WHERE kind = ? AND" LONTAR_NOT_VOIDED
                                                       "GROUP BY {0} ORDER BY {0}",
                                                       column)));
  s.bind(1, kind);
  std::vector<Group> out;
  for (;;) {
    LONTAR_ASSIGN(bool row, s.step());
    if (!row) break;
    out.push_back({s.text(0), s.int64(1), s.int64(2)});
  }
  return out;
}

std::string kind_text(Lang lang, std::string_view kind) {
  return std::string(i18n::text(lang, "kind." + std::string(kind)));
}

// "code: text; code: text" (report_book.cpp) as the reader's language: "text [code]".
std::string reasons_html(Lang lang, std::string_view stored) {
  std::string out;
  std::size_t pos = 0;
  while (pos < stored.size()) {
    std::size_t end = stored.find("; ", pos);
    // A "; " inside a reason's text is not a separator unless a code follows.
    while (end != std::string_view::npos) {
      auto next = stored.substr(end + 2);
      bool code_follows = false;
      for (auto code : rules::reason::all) {
        if (next.substr(0, code.size() + 1) == std::string(code) + ":") code_follows = true;
      }
      if (code_follows) break;
      end = stored.find("; ", end + 2);
    }
    auto part = stored.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    auto colon = part.find(": ");
    std::string code(colon == std::string_view::npos ? part : part.substr(0, colon));
    std::string text(colon == std::string_view::npos ? "" : part.substr(colon + 2));
    out += fmt::format("<div>{} <code>[{}]</code></div>", esc(i18n::reason_text(lang, code, text)), esc(code));
    if (end == std::string_view::npos) break;
    pos = end + 2;
  }
  return out;
}

// The report's own rules, after html::print_style().
constexpr std::string_view style = R"css(
.pass { color: #fff; background: #1e7b34; padding: 2px 10px; font-weight: bold; }
.fail { color: #fff; background: #b0281a; padding: 2px 10px; font-weight: bold; }
.charts { display: flex; flex-wrap: wrap; gap: 0 16px; } .charts figure { flex: 1 1 330px; }
code { font-size: 11px; color: #555; }
)css";

void section_ledger(AuditState& state, const VerifyReport* run, Lang lang, std::string& out) {
  auto cp = state.latest_checkpoint();
  auto accepted = state.checkpoints_accepted();
  out += fmt::format("<h2>{}</h2>\n<table class=\"ledger\">\n", esc(i18n::text(lang, "report.ledger")));
  auto row = [&](std::string_view key, const std::string& value_html) {
    out += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", esc(i18n::text(lang, key)), value_html);
  };
  if (cp.ok() && *cp) {
    const auto& c = **cp;
    row("report.origin", esc(c.note.substr(0, c.note.find('\n'))));
    row("report.size", std::to_string(c.size));
    row("report.root", "<span class=\"mono\">" + to_hex(c.root) + "</span>");
  } else {
    row("report.checkpoint", esc(i18n::text(lang, "report.not_audited")));
  }
  if (accepted.ok()) row("report.checkpoints_accepted", std::to_string(*accepted));
  const bool passed = run ? run->passed() : (cp.ok() && *cp);
  row("report.result", fmt::format("<span class=\"{}\" id=\"result\">{}</span>", passed ? "pass" : "fail",
                                   esc(i18n::text(lang, passed ? "report.pass" : "report.fail"))));
  out += "</table>\n";
  if (run && !run->passed()) {
    out += fmt::format(
        "<h2>{}</h2>\n<table class=\"findings\"><thead><tr><th>{}</th><th>{}</th><th>{}</th>"
        "<th>{}</th><th>{}</th></tr></thead>\n",
        esc(i18n::text(lang, "report.findings")), esc(i18n::text(lang, "report.col.check")),
        esc(i18n::text(lang, "report.col.leaf")), esc(i18n::text(lang, "report.col.office")),
        esc(i18n::text(lang, "report.col.seq")), esc(i18n::text(lang, "report.col.message")));
    for (const auto& f : run->findings.kept()) {
      out += fmt::format("<tr><td>{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>\n",
                         esc(f.check), f.leaf ? std::to_string(*f.leaf) : "", esc(f.office),
                         f.seq ? std::to_string(*f.seq) : "", esc(f.message));
    }
    if (run->findings.total() > run->findings.kept().size()) {
      out +=
          fmt::format("<tr><td colspan=\"5\">... +{}</td></tr>\n", run->findings.total() - run->findings.kept().size());
    }
    out += "</table>\n";
  }
}

Status section_totals(AuditState& state, Lang lang, std::string& out) {
  LONTAR_ASSIGN(auto s, state.db().prepare("SELECT kind, COUNT(DISTINCT leaf), SUM(rupiah) FROM report_items i "
                                           "WHERE" LONTAR_NOT_VOIDED "GROUP BY kind ORDER BY kind"));
  out += fmt::format("<h2>{}</h2>\n<table class=\"totals\"><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead>\n",
                     esc(i18n::text(lang, "report.totals")), esc(i18n::text(lang, "report.col.kind")),
                     esc(i18n::text(lang, "report.col.count")), esc(i18n::text(lang, "report.col.rupiah")));
  bool any = false;
  for (;;) {
    LONTAR_ASSIGN(bool row, s.step());
    if (!row) break;
    any = true;
    out += fmt::format("<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
                       esc(kind_text(lang, s.text(0))), s.int64(1), esc(i18n::rupiah(s.int64(2))));
  }
  if (!any) out += fmt::format("<tr><td colspan=\"3\">{}</td></tr>\n", esc(i18n::text(lang, "report.none")));
  out += "</table>\n";
  return {};
}

std::string chart(const std::vector<Group>& groups, bool money, std::string title, Lang lang, bool months) {
  std::vector<html::Bar> bars;
  for (const auto& g : groups) {
    bars.push_back({months ? i18n::month_label(lang, g.key) : g.key, money ? g.rupiah : g.count, -1, false});
  }
  html::ChartOptions o;
  o.title = std::move(title);
  o.width_px = 330;
  o.label_px = 110;
  if (money) o.format = [](std::int64_t v) { return i18n::rupiah(v); };
  return html::bar_chart(bars, o, i18n::text(lang, "report.none"));
}

Status section_charts(AuditState& state, Lang lang, std::string& out) {
  const auto enroll = domain::kind_name(domain::EntryKind::participant_enroll);
  const auto payout = domain::kind_name(domain::EntryKind::payout_made);
  struct Dim {
    std::string_view column, title_key;
    bool months;
  };
  for (const Dim& d :
       {Dim{"month", "report.per_month", true}, Dim{"office", "report.per_office", false},
        Dim{"programme", "report.per_programme", false}, Dim{"occupation", "report.per_occupation", false}}) {
    LONTAR_ASSIGN(auto e, grouped(state, d.column, enroll));
    LONTAR_ASSIGN(auto p, grouped(state, d.column, payout));
    out += fmt::format("<h2>{}</h2>\n<div class=\"charts\">\n", esc(i18n::text(lang, d.title_key)));
    out += chart(e, false, std::string(i18n::text(lang, "report.enrollments")), lang, d.months);
    out += chart(p, true, std::string(i18n::text(lang, "report.payouts_rp")), lang, d.months);
    out += "</div>\n";
  }
  return {};
}

// Each payout against the benefit of the schedule in effect in the month the office
// recorded it (rules_schedules: programme 1 JKK, 2 JKM, 3 JHT; effective YYYYMMDD).
Status section_schedule(AuditState& state, Lang lang, std::string& out) {
  LONTAR_ASSIGN(auto has, state.db().query_int(
                              "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'rules_schedules'"));
  const bool schedules = has && *has > 0;
  const std::string benefit =
      schedules ? "(SELECT benefit_max FROM rules_schedules s WHERE s.programme = CASE i.programme WHEN 'JKK' THEN 1 "
                  "WHEN 'JKM' THEN 2 WHEN 'JHT' THEN 3 ELSE 0 END AND s.effective <= "
                  "CAST(REPLACE(i.month, '-', '') AS INTEGER) * 100 + 31 ORDER BY s.effective DESC LIMIT 1)"
                : "NULL";
  LONTAR_ASSIGN(auto s, state.db().prepare(fmt::format("SELECT office, seq, programme, rupiah, {} FROM report_items i "
                                                       "WHERE kind = ? AND" LONTAR_NOT_VOIDED "ORDER BY leaf",
                                                       benefit)));
  s.bind(1, domain::kind_name(domain::EntryKind::payout_made));
  std::vector<html::Bar> bars;
  for (;;) {
    LONTAR_ASSIGN(bool row, s.step());
    if (!row) break;
    const std::int64_t mark = s.is_null(4) ? -1 : s.int64(4);
    const std::int64_t amount = s.int64(3);
    bars.push_back(
        {fmt::format("{} #{} {}", s.text(0), s.int64(1), s.text(2)), amount, mark, mark > 0 && amount > mark});
  }
  html::ChartOptions o;
  o.title = fmt::format("{} (- - - {})", i18n::text(lang, "report.against_schedule"),
                        i18n::text(lang, "report.schedule_max"));
  o.width_px = 680;
  o.label_px = 210;
  o.bars_max = schedule_bars_max;
  o.format = [](std::int64_t v) { return i18n::rupiah(v); };
  out += fmt::format("<h2>{}</h2>\n", esc(i18n::text(lang, "report.against_schedule")));
  out += html::bar_chart(bars, o, i18n::text(lang, "report.none"));
  return {};
}

Status section_exceptions(AuditState& state, Lang lang, std::string& out) {
  LONTAR_ASSIGN(auto s, state.db().prepare(
                            "SELECT leaf, office, seq, kind, outcome, reasons FROM report_exceptions ORDER BY leaf"));
  out += fmt::format(
      "<h2>{}</h2>\n<table class=\"exceptions\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th>"
      "<th>{}</th></tr></thead>\n",
      esc(i18n::text(lang, "report.exceptions")), esc(i18n::text(lang, "report.col.leaf")),
      esc(i18n::text(lang, "report.col.office")), esc(i18n::text(lang, "report.col.seq")),
      esc(i18n::text(lang, "report.col.kind")), esc(i18n::text(lang, "report.col.verdict")),
      esc(i18n::text(lang, "report.col.reasons")));
  bool any = false;
  for (;;) {
    LONTAR_ASSIGN(bool row, s.step());
    if (!row) break;
    any = true;
    out += fmt::format(
        "<tr class=\"{}\"><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td>"
        "</tr>\n",
        esc(s.text(4)), s.int64(0), esc(s.text(1)), s.int64(2), esc(kind_text(lang, s.text(3))),
        esc(i18n::text(lang, "outcome." + s.text(4))), reasons_html(lang, s.text(5)));
  }
  if (!any) out += fmt::format("<tr><td colspan=\"6\">{}</td></tr>\n", esc(i18n::text(lang, "report.none")));
  out += "</table>\n";
  return {};
}

#undef LONTAR_NOT_VOIDED

}  // namespace

Status write_html_report(AuditState& state, const VerifyReport* run, Lang lang, std::ostream& out) {
  auto book = ReportBook::open(state);  // the tables exist once a verify has run; empty otherwise
  if (!book.ok()) return std::move(book).error();
  const auto now_ms = lontar::now_ms();
  std::string page = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\n<title>{}</title>\n"
      "<style>{}{}</style></head>\n<body>\n<h1>{}</h1>\n<p class=\"muted\">{}</p>\n",
      i18n::lang_code(lang), esc(i18n::text(lang, "report.title")), html::print_style(), style,
      esc(i18n::text(lang, "report.title")), esc(i18n::tr(lang, "report.generated", i18n::timestamp(lang, now_ms))));
  section_ledger(state, run, lang, page);
  LONTAR_TRY(section_totals(state, lang, page));
  LONTAR_TRY(section_charts(state, lang, page));
  LONTAR_TRY(section_schedule(state, lang, page));
  LONTAR_TRY(section_exceptions(state, lang, page));
  page += "</body></html>\n";
  out << page;
  if (!out) return Error{Code::io, "could not write the HTML report"};
  return {};
}

}  // namespace lontar::audit

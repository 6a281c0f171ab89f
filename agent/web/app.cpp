#include "web/app.hpp"

#include <fmt/format.h>
#include <qrencode.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <ctime>

#include "base/private_file.hpp"
#include "clerks.hpp"
#include "columns.hpp"
#include "crypto/crypto.hpp"
#include "crypto/x509.hpp"
#include "csv.hpp"
#include "encoding/encoding.hpp"
#include "html/html.hpp"
#include "record.hpp"
#include "sync.hpp"
#include "values.hpp"
#include "web/assets.hpp"
#include "web/import_job.hpp"

namespace lontar::agent::web {
namespace {

using html::escape;
using i18n::Lang;
using Params = std::map<std::string, std::string>;

// A JSON string literal (quotes and escapes) of `s`.
std::string json_text(std::string_view s) {
  return nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

constexpr std::string_view session_cookie = "lontar_session";
constexpr std::string_view lang_cookie = "lontar_lang";
constexpr std::string_view login_cookie = "lontar_login";  // the sign-in form's CSRF token (double submit)
constexpr std::size_t field_bytes_max = 4096;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string url_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string url_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// a=1&b=2; a repeated name keeps its values joined by '\n' (checkboxes).
Params parse_params(std::string_view s) {
  Params out;
  std::size_t pos = 0;
  while (pos <= s.size() && !s.empty()) {
    auto end = s.find('&', pos);
    auto part = s.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    if (!part.empty()) {
      auto eq = part.find('=');
      std::string key = url_decode(part.substr(0, eq));
      std::string value = eq == std::string_view::npos ? "" : url_decode(part.substr(eq + 1));
      if (value.size() > field_bytes_max) value.resize(field_bytes_max);
      auto [it, fresh] = out.emplace(key, value);
      if (!fresh) it->second += "\n" + value;
    }
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return out;
}

Params parse_cookies(std::string_view header) {
  Params out;
  std::size_t pos = 0;
  while (pos < header.size()) {
    auto end = header.find(';', pos);
    auto part = header.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    auto eq = part.find('=');
    if (eq != std::string_view::npos) out.emplace(std::string(part.substr(0, eq)), std::string(part.substr(eq + 1)));
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return out;
}

std::string random_token() {
  auto b = crypto::random_bytes(32);
  return b.ok() ? to_hex(*b) : std::string();
}

std::string get(const Params& p, const std::string& key) {
  auto it = p.find(key);
  return it == p.end() ? std::string() : it->second;
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

bool constant_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || a.empty()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::int64_t start_of_today_ms() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
  return static_cast<std::int64_t>(std::mktime(&tm)) * 1000;
}

std::string date_text(Lang lang, const domain::Date& d) { return i18n::date(lang, d.year, d.month, d.day); }

// The QR code of `text` as inline SVG (libqrencode), one <path> of unit squares.
std::string qr_svg(const std::string& text) {
  QRcode* q = QRcode_encodeString8bit(text.c_str(), 0, QR_ECLEVEL_M);
  if (!q) return "";
  const int n = q->width, quiet = 4, size = n + 2 * quiet;
  std::string path;
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x) {
      if (q->data[y * n + x] & 1) path += fmt::format("M{} {}h1v1h-1z", x + quiet, y + quiet);
    }
  }
  QRcode_free(q);
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {0} {0}\" shape-rendering=\"crispEdges\">"
      "<rect width=\"{0}\" height=\"{0}\" fill=\"#fff\"/><path d=\"{1}\" fill=\"#000\"/></svg>",
      size, path);
}

}  // namespace

// Everything one request needs: its parsed parts, its language and session.
struct WebApp::Ctx {
  const Request& req;
  std::string path;
  Params query;
  Params form;
  Params cookies;
  Lang lang = Lang::id;
  Session* session = nullptr;
  std::vector<std::string> set_cookies;
  std::optional<Multipart> upload;  // a multipart/form-data POST (the import form)

  std::string_view t(std::string_view key) const { return i18n::text(lang, key); }
  template <class... A>
  std::string tr(std::string_view key, A&&... a) const {
    return i18n::tr(lang, key, std::forward<A>(a)...);
  }
  std::string e(std::string_view key) const { return escape(t(key)); }
};

namespace {

Response make(const Request& req, http::status status, std::string body, std::string_view type) {
  Response res{status, req.version()};
  res.set(http::field::content_type, std::string(type));
  res.set(http::field::cache_control, "no-store");
  res.set("Content-Security-Policy",
          "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
          "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("X-Frame-Options", "DENY");
  res.set("Referrer-Policy", "same-origin");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response redirect(const Request& req, const std::string& location) {
  Response res = make(req, http::status::see_other, "", "text/plain; charset=utf-8");
  res.set(http::field::location, location);
  return res;
}

// A local path to go back to after the language switch or sign-in: "/..." only.
std::string safe_back(const std::string& back) {
  if (back.empty() || back[0] != '/' || (back.size() > 1 && (back[1] == '/' || back[1] == '\\'))) return "/";
  for (char c : back) {
    if (c == '\r' || c == '\n') return "/";
  }
  return back;
}

struct NavItem {
  std::string_view path, key;
};
constexpr NavItem nav_items[] = {
    {"/", "web.nav.home"},
    {"/search", "web.nav.search"},
    {"/record/contribute", "web.nav.contribute"},
    {"/record/claim", "web.nav.claim"},
    {"/record/pay", "web.nav.pay"},
    {"/import", "web.nav.import"},
    {"/sync", "web.nav.sync"},
};

}  // namespace

WebApp::WebApp(Office& office, WebConfig config) : office_(&office), config_(std::move(config)) {}

WebApp::~WebApp() { stop(); }

void WebApp::stop() {
  std::unique_ptr<ImportJob> job;
  {
    std::lock_guard lock(mu_);
    job = std::move(job_);
  }
  if (job) job->stop();  // its destructor waits for the thread
}

std::size_t WebApp::body_limit(std::string_view method, std::string_view target, std::string_view cookie_header) {
  if (method != "POST") return 0;
  if (target != "/import") return form_body_bytes_max;
  std::lock_guard lock(mu_);
  const auto cookies = parse_cookies(cookie_header);
  auto it = sessions_.find(get(cookies, std::string(session_cookie)));
  return it != sessions_.end() && now_ms() - it->second.last_ms <= session_idle_ms ? upload_bytes_max
                                                                                   : form_body_bytes_max;
}

namespace {

std::string layout(const WebApp::Session* s, const std::string& office_name, Lang lang, std::string_view path,
                   const std::string& title, const std::string& body, const std::string& csrf) {
  auto t = [&](std::string_view k) { return escape(i18n::text(lang, k)); };
  std::string nav;
  if (s) {
    nav = "<nav class=\"main\" aria-label=\"menu\">";
    for (const auto& n : nav_items) {
      const bool here = n.path == "/" ? path == "/" : path.substr(0, n.path.size()) == n.path;
      nav +=
          fmt::format("<a href=\"{}\"{}>{}</a>", n.path, here ? " class=\"here\" aria-current=\"page\"" : "", t(n.key));
    }
    nav += "</nav>";
  }
  const std::string other = lang == Lang::id ? "en" : "id";
  std::string who;
  if (s) {
    who = fmt::format(
        "<span id=\"clerk\">{}</span><form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" "
        "value=\"{}\"><button class=\"link\" type=\"submit\">{}</button></form>",
        escape(s->name), escape(csrf), t("web.logout"));
  }
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"{0}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
      "content=\"width=device-width, initial-scale=1\"><title>{1} — Lontar</title>"
      "<link rel=\"stylesheet\" href=\"/assets/app.css\"><link rel=\"icon\" href=\"/assets/icon.svg\">"
      "</head><body>\n<header class=\"top\"><div class=\"brand\"><img src=\"/assets/icon.svg\" alt=\"\">Lontar · {2}"
      "</div><div class=\"who\">{3}<a id=\"lang-switch\" href=\"/lang?to={4}&amp;back={5}\" lang=\"{4}\">{6}</a>"
      "</div></header>\n{7}\n<main>\n<h1>{1}</h1>\n{8}\n</main>\n<script src=\"/assets/app.js\"></script>"
      "</body></html>\n",
      i18n::lang_code(lang), escape(title), escape(office_name), who, other, escape(url_encode(path)),
      other == "en" ? "English" : "Bahasa Indonesia", nav, body);
}

std::string badge(Lang lang, std::string_view outcome) {
  return fmt::format("<span class=\"badge {0}\">{1}</span>", outcome,
                     escape(i18n::text(lang, "outcome." + std::string(outcome))));
}

std::string reasons_html(Lang lang, const domain::Verdict& v) {
  std::string out;
  for (const auto& r : v.reasons) {
    out += fmt::format("<div>{} <span class=\"muted\">[{}]</span></div>",
                       escape(i18n::reason_text(lang, r.code, r.text)), escape(r.code));
  }
  return out;
}

std::string kind_text(Lang lang, domain::EntryKind k) {
  return std::string(i18n::text(lang, "kind." + std::string(domain::kind_name(k))));
}

std::string pager(const WebApp::Session*, Lang lang, const std::string& base, std::size_t page, bool more) {
  std::string out = "<div class=\"pager\">";
  const char* sep = base.find('?') == std::string::npos ? "?" : "&amp;";
  if (page > 0) {
    out += fmt::format("<a href=\"{}{}page={}\" rel=\"prev\">{}</a>", base, sep, page - 1,
                       escape(i18n::text(lang, "web.prev")));
  }
  if (more) {
    out += fmt::format("<a href=\"{}{}page={}\" rel=\"next\">{}</a>", base, sep, page + 1,
                       escape(i18n::text(lang, "web.next")));
  }
  return out + "</div>";
}

std::size_t page_of(const Params& q) {
  try {
    return std::min<std::size_t>(std::stoul(get(q, "page")), 100000);
  } catch (...) {
    return 0;
  }
}

}  // namespace

Response WebApp::show(Ctx& c, std::string_view path, const std::string& title, const std::string& body,
                      http::status status) {
  return make(c.req, status, layout(c.session, office_->name, c.lang, path, title, body, c.session->csrf),
              "text/html; charset=utf-8");
}

Response WebApp::handle(const Request& req) {
  std::lock_guard lock(mu_);
  Ctx c{req, {}, {}, {}, {}, Lang::id, nullptr, {}, {}};
  const std::string target(req.target());
  const auto qmark = target.find('?');
  c.path = target.substr(0, qmark);
  if (qmark != std::string::npos) c.query = parse_params(std::string_view(target).substr(qmark + 1));
  c.cookies = parse_cookies(std::string(req[http::field::cookie]));
  c.lang = i18n::parse_lang(get(c.cookies, std::string(lang_cookie))).value_or(Lang::id);

  // DNS rebinding: a page elsewhere that resolves its own name to 127.0.0.1 sends its own Host.
  const std::string host(req[http::field::host]);
  if (std::find(config_.hosts.begin(), config_.hosts.end(), host) == config_.hosts.end()) {
    return make(req, http::status::misdirected_request, std::string(c.t("web.refused_host")) + "\n",
                "text/plain; charset=utf-8");
  }
  if (req.method() == http::verb::post) {
    // CSRF: the request must come from one of our own pages.
    const std::string scheme = config_.tls ? "https://" : "http://";
    auto ours = [&](std::string_view url, bool prefix) {
      for (const auto& h : config_.hosts) {
        const std::string origin = scheme + h;
        if (url == origin || (prefix && url.substr(0, origin.size() + 1) == origin + "/")) return true;
      }
      return false;
    };
    const std::string origin(req[http::field::origin]);
    const std::string referer(req[http::field::referer]);
    const std::string fetch_site(req["Sec-Fetch-Site"]);
    const bool from_us = !origin.empty() ? ours(origin, false) : !referer.empty() && ours(referer, true);
    if (!from_us || (!fetch_site.empty() && fetch_site != "same-origin" && fetch_site != "none")) {
      return make(req, http::status::forbidden, std::string(c.t("web.refused_origin")) + "\n",
                  "text/plain; charset=utf-8");
    }
    const std::string type(req[http::field::content_type]);
    if (c.path == "/import" && type.substr(0, 19) == "multipart/form-data") {
      auto parts = parse_multipart(type, req.body());
      if (!parts.ok()) {
        return make(req, http::status::bad_request, parts.error().message + "\n", "text/plain; charset=utf-8");
      }
      c.form = Params(parts->fields.begin(), parts->fields.end());
      c.upload = std::move(*parts);
    } else if (type.substr(0, 33) != "application/x-www-form-urlencoded") {
      return make(req, http::status::unsupported_media_type, "form bodies only\n", "text/plain; charset=utf-8");
    } else {
      c.form = parse_params(req.body());
    }
  }
  // The session, if any (expired ones are forgotten).
  const auto now = now_ms();
  if (auto it = sessions_.find(get(c.cookies, std::string(session_cookie))); it != sessions_.end()) {
    if (now - it->second.last_ms > session_idle_ms) {
      sessions_.erase(it);
    } else {
      it->second.last_ms = now;
      c.session = &it->second;
    }
  }
  Response res = route(c);
  for (const auto& cookie : c.set_cookies) res.insert(http::field::set_cookie, cookie);
  return res;
}

Response WebApp::route(Ctx& c) {
  const auto& req = c.req;
  const bool post = req.method() == http::verb::post;
  if (!post && req.method() != http::verb::get && req.method() != http::verb::head) {
    return make(req, http::status::method_not_allowed, "GET or POST\n", "text/plain; charset=utf-8");
  }
  if (c.path.rfind("/assets/", 0) == 0) {
    const Asset* a = find_asset(std::string_view(c.path).substr(8));
    if (!a) return make(req, http::status::not_found, "not found\n", "text/plain; charset=utf-8");
    Response res = make(req, http::status::ok, std::string(a->bytes()), a->content_type);
    res.set(http::field::cache_control, "max-age=3600");
    return res;
  }
  if (c.path == "/lang") {  // the remembered language switch
    const auto to = i18n::parse_lang(get(c.query, "to")).value_or(Lang::id);
    c.set_cookies.push_back(fmt::format("{}={}; Path=/; Max-Age=31536000; SameSite=Strict{}", lang_cookie,
                                        i18n::lang_code(to), config_.tls ? "; Secure" : ""));
    return redirect(req, safe_back(get(c.query, "back")));
  }
  if (c.path == "/login") return post ? login_post(c) : login_page(c, "", 200);
  if (!c.session) {
    if (post || c.path.rfind("/api/", 0) == 0) {
      return make(req, http::status::unauthorized, std::string(c.t("web.refused_session")) + "\n",
                  "text/plain; charset=utf-8");
    }
    return redirect(req, "/login?back=" + url_encode(std::string(req.target())));
  }
  if (post && !constant_equal(get(c.form, "csrf"), c.session->csrf)) {
    return make(req, http::status::forbidden, std::string(c.t("web.refused_csrf")) + "\n", "text/plain; charset=utf-8");
  }
  if (c.path == "/logout" && post) return logout(c);
  if (c.path == "/") return dashboard(c);
  if (c.path == "/search") return search(c);
  if (c.path == "/person") return person(c);
  if (c.path == "/void") return void_page(c);
  if (c.path == "/update") return update_page(c);
  if (c.path == "/sync") return post ? sync_post(c) : sync_page(c, "", false);
  if (c.path == "/receipt") return receipt(c);
  if (c.path == "/api/nik") return nik_api(c);
  if (c.path == "/import") return post ? import_upload(c) : import_form(c, "");
  if (c.path == "/import/job") return import_job_page(c);
  if (c.path == "/import/run" && post) return import_run(c);
  if (c.path == "/import/rejects") return import_rejects(c);
  if (c.path == "/api/import") return import_status_api(c);
  for (std::string kind : {"enroll", "contribute", "claim", "pay"}) {
    if (c.path == "/record/" + kind) return post ? record_post(c, kind) : record_form(c, kind);
  }
  return show(c, c.path, std::string(c.t("web.not_found")), "", http::status::not_found);
}

// ---- sign in ----

Response WebApp::login_page(Ctx& c, const std::string& error, int status) {
  std::string token = get(c.cookies, std::string(login_cookie));
  if (token.size() != 64) {
    token = random_token();
    c.set_cookies.push_back(fmt::format("{}={}; Path=/login; HttpOnly; SameSite=Strict{}", login_cookie, token,
                                        config_.tls ? "; Secure" : ""));
  }
  std::string body = "<div class=\"card login\">";
  if (!error.empty()) body += fmt::format("<div class=\"alert error\" role=\"alert\">{}</div>", escape(error));
  body += fmt::format(
      "<form class=\"fields\" method=\"post\" action=\"/login\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">"
      "<input type=\"hidden\" name=\"back\" value=\"{}\">"
      "<label for=\"clerk_id\">{}</label><input id=\"clerk_id\" name=\"clerk\" autocomplete=\"username\" required "
      "autofocus>"
      "<label for=\"passphrase\">{}</label><input id=\"passphrase\" name=\"passphrase\" type=\"password\" "
      "autocomplete=\"current-password\" required>"
      "<div class=\"actions\"><button type=\"submit\" id=\"login\">{}</button></div></form></div>",
      token, escape(safe_back(get(c.query, "back").empty() ? get(c.form, "back") : get(c.query, "back"))),
      c.e("web.clerk_id"), c.e("web.passphrase"), c.e("web.sign_in"));
  Response res = make(c.req, static_cast<http::status>(status),
                      layout(nullptr, office_->name, c.lang, "/login", std::string(c.t("web.sign_in")), body, ""),
                      "text/html; charset=utf-8");
  return res;
}

Response WebApp::login_post(Ctx& c) {
  if (!constant_equal(get(c.form, "csrf"), get(c.cookies, std::string(login_cookie)))) {
    return make(c.req, http::status::forbidden, std::string(c.t("web.refused_csrf")) + "\n",
                "text/plain; charset=utf-8");
  }
  auto clerk = authenticate_clerk(*office_->store, trim(get(c.form, "clerk")), get(c.form, "passphrase"));
  if (!clerk.ok()) return login_page(c, clerk.error().message, 500);
  if (!*clerk) return login_page(c, std::string(c.t("web.login_failed")), 401);
  // Forget the oldest session when full (a bounded table; memory only).
  if (sessions_.size() >= sessions_max) {
    auto oldest = std::min_element(sessions_.begin(), sessions_.end(),
                                   [](const auto& a, const auto& b) { return a.second.last_ms < b.second.last_ms; });
    sessions_.erase(oldest);
  }
  const std::string token = random_token();
  if (token.empty()) return login_page(c, "no randomness", 500);
  sessions_[token] = Session{(*clerk)->id, (*clerk)->name, random_token(), now_ms()};
  c.set_cookies.push_back(
      fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict{}", session_cookie, token, config_.tls ? "; Secure" : ""));
  return redirect(c.req, safe_back(get(c.form, "back")));
}

Response WebApp::logout(Ctx& c) {
  sessions_.erase(get(c.cookies, std::string(session_cookie)));
  c.set_cookies.push_back(fmt::format("{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict", session_cookie));
  return redirect(c.req, "/login");
}

// ---- pages ----

namespace {

std::string incident_banner(Store& store, Lang lang) {
  auto i = incident(store);
  if (!i.ok() || !*i) return "";
  return fmt::format("<div class=\"alert incident\" id=\"incident\" role=\"alert\">{}<div>{}</div></div>",
                     escape(i18n::text(lang, "sync.incident_title")), escape(i18n::text(lang, "sync.incident_text")));
}

struct Waiting {
  std::int64_t outbox = 0, rejected = 0, flagged = 0;
};

Waiting waiting(Store& store) {
  Waiting w;
  if (auto n = store.count_outbox(); n.ok()) w.outbox = static_cast<std::int64_t>(*n);
  if (auto v = store.server_verdicts(0); v.ok()) {
    w.rejected = static_cast<std::int64_t>(v->rejected);
    w.flagged = static_cast<std::int64_t>(v->flagged);
  }
  return w;
}

}  // namespace

Response WebApp::dashboard(Ctx& c) {
  std::string body = incident_banner(*office_->store, c.lang);
  body += fmt::format("<p><a class=\"button\" href=\"/search\" id=\"start-search\">{}</a></p>", c.e("web.nav.search"));
  body += fmt::format("<h2>{}</h2><div class=\"grid\" id=\"today\">", c.e("web.today"));
  bool any = false;
  if (auto kinds = office_->store->count_kinds_since(start_of_today_ms()); kinds.ok()) {
    for (const auto& [kind, n] : *kinds) {
      any = true;
      body += fmt::format("<div class=\"stat\"><div class=\"n\">{}</div><div class=\"l\">{}</div></div>", n,
                          escape(kind_text(c.lang, kind)));
    }
  }
  if (!any)
    body += fmt::format("<div class=\"stat\"><div class=\"n\">0</div><div class=\"l\">{}</div></div>",
                        c.e("web.nothing_today"));
  const Waiting w = waiting(*office_->store);
  body += fmt::format(
      "</div><h2>{}</h2><div class=\"grid\"><div class=\"stat\"><div class=\"n\" id=\"waiting\">{}</div><div "
      "class=\"l\">{}</div></div><div class=\"stat\"><div class=\"n\">{}</div><div class=\"l\">{}</div></div>"
      "<div class=\"stat\"><div class=\"n\">{}</div><div class=\"l\">{}</div></div></div>"
      "<p><a href=\"/sync\">{}</a></p>",
      c.e("web.nav.sync"), w.outbox, c.e("web.waiting"), w.rejected, c.e("web.rejected_waiting"), w.flagged,
      c.e("web.flagged_waiting"), c.e("web.to_sync_page"));
  return show(c, "/", std::string(c.t("web.nav.home")), body);
}

Response WebApp::search(Ctx& c) {
  const std::string q = trim(get(c.query, "q"));
  const std::size_t page = page_of(c.query);
  std::string body = fmt::format(
      "<form method=\"get\" action=\"/search\" class=\"card\" role=\"search\"><label for=\"q\">{}</label> "
      "<input id=\"q\" name=\"q\" value=\"{}\" autofocus autocomplete=\"off\"> <button type=\"submit\" "
      "id=\"search-go\">{}</button><div class=\"field-info\">{}</div></form>",
      c.e("web.search_label"), escape(q), c.e("web.search_button"), c.e("web.search_help"));
  if (q.empty()) {
    return show(c, "/search", std::string(c.t("web.nav.search")), body);
  }
  const bool is_nik = q.size() == 16 && std::all_of(q.begin(), q.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  // The office's own people: enrollments by NIK prefix or by name (folded: case, accents
  // and spaces ignored; partial), through the store's indexes.
  std::string rows;
  std::size_t n = 0;
  bool more = false;
  auto found = office_->store->find_enrollments(q, page_rows + 1, page * page_rows);
  if (found.ok()) {
    for (const auto& p : *found) {
      if (++n > page_rows) {
        more = true;
        break;
      }
      rows += fmt::format(
          "<tr><td class=\"mono\"><a href=\"/person?nik={0}\">{0}</a></td><td>{1}</td><td>{2}</td><td>#{3}</td></tr>",
          escape(p.nik), escape(p.name), escape(i18n::timestamp(c.lang, p.recorded_at_ms)), p.seq);
    }
  }
  body += fmt::format("<h2>{}</h2>", c.e("web.found_here"));
  if (rows.empty()) {
    body += fmt::format("<p id=\"none-here\">{}</p>", c.e("web.none_found"));
  } else {
    body += fmt::format(
        "<table class=\"list\" id=\"results\"><thead><tr><th>NIK</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
        "<tbody>{}</tbody></table>",
        c.e("web.name"), c.e("web.recorded_at"), c.e("web.seq"), rows);
    body += pager(c.session, c.lang, "/search?q=" + url_encode(q), page, more);
  }
  // The replica: people enrolled by any office, known only by the keyed hash of their NIK.
  bool elsewhere = false;
  if (is_nik) {
    auto state = office_->store->rules_state();
    if (state.ok()) {
      auto p = (*state)->participant(rules::person_key((*state)->nik_key(), q));
      if (p.ok() && *p && (*p)->principal != office_->id) {
        elsewhere = true;
        body += fmt::format("<div class=\"alert error\" id=\"elsewhere\">{}</div>",
                            escape(c.tr("web.enrolled_elsewhere", rules::office_named(**state, (*p)->principal),
                                        date_text(c.lang, (*p)->coverage_start))));
      }
    }
  }
  if (rows.empty() && !elsewhere) {
    body += fmt::format("<p><a class=\"button\" id=\"enroll-new\" href=\"/record/enroll?nik={}\">{}</a></p>",
                        is_nik ? url_encode(q) : "", c.e("web.enroll_new"));
  }
  return show(c, "/search", std::string(c.t("web.nav.search")), body);
}

// ---- recording ----

namespace {

struct Field {
  std::string name;  // the form field; its label is the message "web.f.<name>"
  std::string type;  // text, date, month, number, select:<a|b|c>, checks:<a|b>, textarea
  bool required = false;
  std::string help_key;
};

std::vector<Field> fields_of(const std::string& kind) {
  if (kind == "enroll") {
    return {{"nik", "text", true, ""},
            {"name", "text", true, ""},
            {"birth_date", "date", true, ""},
            {"sex", "select:|male|female", true, ""},
            {"regency", "text", true, ""},
            {"occupation", "select:TAGANA|TKSK|KPM_PKH|PEKERJA_INFORMAL", true, ""},
            {"sponsor", "text", false, "web.f.sponsor_help"},
            {"income", "number", false, ""},
            {"programmes", "checks:JKK|JKM|JHT", true, ""},
            {"coverage_start", "date", true, ""},
            {"phone", "text", false, ""},
            {"address", "text", false, ""},
            {"heirs", "textarea", false, "web.f.heirs_help"}};
  }
  if (kind == "contribute") {
    return {{"nik", "text", true, ""},    {"first_month", "month", true, ""}, {"months", "number", true, ""},
            {"jkk", "number", false, ""}, {"jkm", "number", false, ""},       {"jht", "number", false, ""},
            {"payer", "text", true, ""},  {"receipt_no", "text", true, ""}};
  }
  if (kind == "claim") {
    return {{"claim_no", "text", true, ""},
            {"nik", "text", true, ""},
            {"programme", "select:JKM|JKK", true, ""},
            {"event_date", "date", true, ""},
            {"claimant_name", "text", true, ""},
            {"claimant_relation", "select:spouse|child|parent|sibling|other", true, ""},
            {"claimant_nik", "text", false, ""}};
  }
  return {{"claim_no", "text", true, ""},
          {"amount", "number", true, ""},
          {"beneficiary", "text", true, ""},
          {"method", "select:bank|cash", true, ""},
          {"reference", "text", true, ""}};
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  for (;;) {
    auto end = s.find(sep, pos);
    out.push_back(s.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return out;
}

template <class T>
bool take(std::map<std::string, std::string>& errors, const std::string& field, Result<T> r, T& out) {
  if (!r.ok()) {
    errors[field] = r.error().message;
    return false;
  }
  out = std::move(r).value();
  return true;
}

Result<std::int64_t> parse_amount(const std::string& text) {
  std::string digits;
  for (char ch : text) {
    if (ch >= '0' && ch <= '9') {
      digits += ch;
    } else if (ch != '.' && ch != ' ' && ch != ',') {
      return Error{Code::bad_input, "'" + text + "' is not a whole number of rupiah"};
    }
  }
  if (digits.empty() || digits.size() > 15) return Error{Code::bad_input, "'" + text + "' is not an amount"};
  return static_cast<std::int64_t>(std::stoll(digits));
}

// The payload of a form, or the errors per field.
std::optional<domain::Payload> payload_of(const std::string& kind, const Params& f,
                                          std::map<std::string, std::string>& errors) {
  for (const auto& field : fields_of(kind)) {
    if (field.required && trim(get(f, field.name)).empty()) errors[field.name] = "*";
  }
  if (!errors.empty()) return std::nullopt;
  if (kind == "enroll") {
    domain::ParticipantEnroll p;
    p.nik = trim(get(f, "nik"));
    p.name = trim(get(f, "name"));
    take(errors, "birth_date", domain::parse_date(get(f, "birth_date")), p.birth_date);
    take(errors, "sex", domain::parse_sex(get(f, "sex")), p.sex);
    p.regency_code = trim(get(f, "regency"));
    p.occupation = trim(get(f, "occupation"));
    p.sponsor = trim(get(f, "sponsor"));
    if (!get(f, "income").empty()) take(errors, "income", parse_amount(get(f, "income")), p.declared_income);
    std::string programmes;
    for (const auto& pr : split(get(f, "programmes"), '\n')) programmes += (programmes.empty() ? "" : "+") + pr;
    take(errors, "programmes", domain::parse_programmes(programmes), p.programmes);
    take(errors, "coverage_start", domain::parse_date(get(f, "coverage_start")), p.coverage_start);
    p.phone = trim(get(f, "phone"));
    p.address = trim(get(f, "address"));
    for (const auto& line : split(get(f, "heirs"), '\n')) {
      const std::string l = trim(line);
      if (l.empty()) continue;
      auto parts = split(l, ':');
      if (parts.size() < 2) {
        errors["heirs"] = "'" + l + "': NAMA:HUBUNGAN[:NIK]";
        continue;
      }
      p.heirs.push_back(domain::Heir{parts[0], parts[1], parts.size() > 2 ? parts[2] : ""});
    }
    if (!errors.empty()) return std::nullopt;
    return p;
  }
  if (kind == "contribute") {
    domain::ContributionPaid p;
    p.nik = trim(get(f, "nik"));
    take(errors, "first_month", domain::parse_year_month(get(f, "first_month")), p.first_month);
    std::int64_t months = 0;
    if (take(errors, "months", parse_amount(get(f, "months")), months)) p.months = static_cast<std::uint16_t>(months);
    for (auto [name, prog] : {std::pair{"jkk", domain::Programme::jkk}, std::pair{"jkm", domain::Programme::jkm},
                              std::pair{"jht", domain::Programme::jht}}) {
      std::int64_t amount = 0;
      if (!get(f, name).empty() && take(errors, name, parse_amount(get(f, name)), amount)) {
        p.amounts.push_back({prog, amount});
      }
    }
    p.payer = trim(get(f, "payer"));
    p.receipt_no = trim(get(f, "receipt_no"));
    if (!errors.empty()) return std::nullopt;
    return p;
  }
  if (kind == "claim") {
    domain::ClaimFiled p;
    p.claim_no = trim(get(f, "claim_no"));
    p.nik = trim(get(f, "nik"));
    take(errors, "programme", domain::parse_programme(get(f, "programme")), p.programme);
    take(errors, "event_date", domain::parse_date(get(f, "event_date")), p.event_date);
    p.claimant.name = trim(get(f, "claimant_name"));
    p.claimant.relation = trim(get(f, "claimant_relation"));
    p.claimant.nik = trim(get(f, "claimant_nik"));
    if (!errors.empty()) return std::nullopt;
    return p;
  }
  domain::PayoutMade p;
  p.claim_no = trim(get(f, "claim_no"));
  take(errors, "amount", parse_amount(get(f, "amount")), p.amount);
  p.beneficiary = trim(get(f, "beneficiary"));
  take(errors, "method", domain::parse_pay_method(get(f, "method")), p.method);
  p.reference = trim(get(f, "reference"));
  if (!errors.empty()) return std::nullopt;
  return p;
}

std::string form_html(Lang lang, const std::string& kind, const Params& values,
                      const std::map<std::string, std::string>& errors, const std::string& csrf) {
  auto t = [&](std::string_view k) { return escape(i18n::text(lang, k)); };
  std::string out = fmt::format(
      "<form class=\"fields card\" method=\"post\" action=\"/record/{}\" id=\"record-form\" novalidate>"
      "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
      kind, escape(csrf));
  bool first = true;
  for (const auto& f : fields_of(kind)) {
    const std::string v = get(values, f.name);
    const std::string id = f.name;
    const bool bad = errors.count(f.name) > 0;
    std::string input;
    const std::string common =
        fmt::format("id=\"{0}\" name=\"{0}\"{1}{2}{3}", id, f.required ? " required" : "",
                    bad ? " class=\"bad\" aria-invalid=\"true\"" : "", first ? " autofocus" : "");
    if (f.type.rfind("select:", 0) == 0) {
      input = "<select " + common + ">";
      for (const auto& opt : split(f.type.substr(7), '|')) {
        const std::string label = opt.empty() ? "—" : std::string(i18n::text(lang, "web.opt." + opt));
        input += fmt::format("<option value=\"{}\"{}>{}</option>", escape(opt), opt == v ? " selected" : "",
                             escape(label == "web.opt." + opt ? opt : label));
      }
      input += "</select>";
    } else if (f.type.rfind("checks:", 0) == 0) {
      const auto chosen = split(v.empty() ? std::string("JKK\nJKM") : v, '\n');
      for (const auto& opt : split(f.type.substr(7), '|')) {
        const bool on = std::find(chosen.begin(), chosen.end(), opt) != chosen.end();
        input += fmt::format("<label class=\"check\"><input type=\"checkbox\" name=\"{}\" value=\"{}\"{}> {}</label> ",
                             f.name, opt, on ? " checked" : "", opt);
      }
    } else if (f.type == "textarea") {
      input = fmt::format("<textarea {} rows=\"3\">{}</textarea>", common, escape(v));
    } else {
      // Dates as typed text (YYYY-MM-DD, as the CLI and CSV files write them): the same on every browser.
      const std::string type = f.type == "number"  ? "text\" inputmode=\"numeric"
                               : f.type == "date"  ? "text\" placeholder=\"YYYY-MM-DD\" inputmode=\"numeric"
                               : f.type == "month" ? "text\" placeholder=\"YYYY-MM\" inputmode=\"numeric"
                                                   : f.type;
      input = fmt::format("<input type=\"{}\" {} value=\"{}\"{}>", type, common, escape(v),
                          kind == "enroll" && f.name == "nik" ? " data-live autocomplete=\"off\"" : "");
    }
    std::string below;
    if (kind == "enroll" && f.name == "nik") {
      below = "<div class=\"field-info\" id=\"nik-info\" aria-live=\"polite\"></div>";
    }
    if (!f.help_key.empty()) below += fmt::format("<div class=\"field-info\">{}</div>", t(f.help_key));
    below +=
        fmt::format("<div class=\"field-msg\" id=\"{}-msg\" aria-live=\"polite\">{}</div>", id,
                    bad ? escape(errors.at(f.name) == "*" ? i18n::text(lang, "web.required") : errors.at(f.name)) : "");
    out += fmt::format("<label for=\"{}\">{}</label><div>{}{}</div>", id, t("web.f." + f.name), input, below);
    first = false;
  }
  out += fmt::format("<div></div><div class=\"actions\"><button type=\"submit\" id=\"save\">{}</button></div></form>",
                     t("web.save"));
  return out;
}

}  // namespace

Response WebApp::record_form(Ctx& c, const std::string& kind) {
  Params values = c.query;
  if (kind == "enroll" && get(values, "nik").empty() && get(c.query, "searched").empty()) {
    // Search before create: the form opens from the search page.
    if (get(c.query, "nik").empty() && c.query.count("nik") == 0) return redirect(c.req, "/search");
  }
  if (kind == "contribute" && get(values, "payer").empty()) values["payer"] = "SELF";
  if (kind == "contribute" && get(values, "months").empty()) values["months"] = "1";
  const std::string title(c.t("web.title." + kind));
  return show(c, "/record/" + kind, title, form_html(c.lang, kind, values, {}, c.session->csrf));
}

Response WebApp::record_post(Ctx& c, const std::string& kind) {
  std::map<std::string, std::string> errors;
  auto payload = payload_of(kind, c.form, errors);
  const std::string title(c.t("web.title." + kind));
  auto again = [&](const std::string& top, const std::string& dialog, http::status status) {
    return show(c, "/record/" + kind, title, top + form_html(c.lang, kind, c.form, errors, c.session->csrf) + dialog,
                status);
  };
  if (!payload) {
    return again(fmt::format("<div class=\"alert error\" role=\"alert\">{}</div>", c.e("web.fix_fields")), "",
                 http::status::unprocessable_entity);
  }
  const bool confirm = get(c.form, "confirm") == "1";
  auto a = record_entry(*office_, c.session->clerk, *payload, confirm);
  if (!a.ok()) {
    // The same message as the CLI's, next to the field it names ("nik: ...") when it names one.
    const std::string& m = a.error().message;
    bool placed = false;
    for (const auto& f : fields_of(kind)) {
      if (m.rfind(f.name + ":", 0) == 0 || m.rfind(f.name + " ", 0) == 0 ||
          (f.name == "regency" && m.rfind("regency", 0) == 0)) {
        errors[f.name] = m;
        placed = true;
        break;
      }
    }
    return again(fmt::format("<div class=\"alert error\" role=\"alert\" id=\"record-error\">{}</div>",
                             escape(placed ? std::string(c.t("web.fix_fields")) : m)),
                 "", http::status::unprocessable_entity);
  }
  if (a->status == AppendStatus::rejected) {
    std::string msg;
    for (const auto& r : a->verdict.reasons) {
      msg += fmt::format("<div>{} <span class=\"muted\">[{}]</span></div>",
                         escape(c.tr("record.rejected", i18n::reason_text(c.lang, r.code, r.text), r.code)),
                         escape(r.code));
      if (auto hint = i18n::reason_hint(c.lang, r.code); !hint.empty()) {
        msg += fmt::format("<div class=\"muted\">{}</div>", escape(c.tr("record.hint", hint)));
      }
    }
    return again(fmt::format("<div class=\"alert error\" role=\"alert\" id=\"rejected\">{}</div>", msg), "",
                 http::status::unprocessable_entity);
  }
  if (a->status == AppendStatus::needs_confirmation) {
    // Never a silent record: a modal dialog shows the reason; confirming re-sends the same form.
    std::string hidden;
    for (const auto& [k, v] : c.form) {
      if (k == "confirm" || k == "csrf") continue;
      for (const auto& one : split(v, '\n')) {
        hidden += fmt::format("<input type=\"hidden\" name=\"{}\" value=\"{}\">", escape(k), escape(one));
      }
    }
    std::string why;
    for (const auto& r : a->verdict.reasons) {
      why += fmt::format("<p><strong>{}</strong> <span class=\"muted\">[{}]</span></p>",
                         escape(i18n::reason_text(c.lang, r.code, r.text)), escape(r.code));
      if (auto hint = i18n::reason_hint(c.lang, r.code); !hint.empty()) {
        why += fmt::format("<p class=\"muted\">{}</p>", escape(hint));
      }
    }
    const std::string dialog = fmt::format(
        "<dialog id=\"confirm-dialog\" data-modal open aria-labelledby=\"confirm-title\"><h2 id=\"confirm-title\">{}"
        "</h2>{}<form method=\"post\" action=\"/record/{}\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">"
        "<input type=\"hidden\" name=\"confirm\" value=\"1\">{}<div class=\"actions\"><button type=\"submit\" "
        "id=\"confirm-yes\" class=\"danger\">{}</button><a class=\"button secondary\" id=\"confirm-no\" "
        "href=\"/record/{}\">{}</a></div></form></dialog>",
        c.e("web.flagged_title"), why, kind, escape(c.session->csrf), hidden, c.e("web.confirm_record"), kind,
        c.e("web.cancel"));
    return again("", dialog, http::status::ok);
  }
  return redirect(c.req, fmt::format("/receipt?seq={}&recorded=1", a->seq));
}

// ---- one person ----

namespace {

using Row = Store::ShownEntry;

std::string sync_state_html(Lang lang, const Row& r) {
  if (!r.receipt) return badge(lang, "pending");
  return badge(lang, domain::outcome_name(r.receipt->verdict.outcome)) +
         fmt::format(" <span class=\"muted\">{} {}</span>", escape(i18n::text(lang, "web.leaf")),
                     r.receipt->leaf_index) +
         reasons_html(lang, r.receipt->verdict);
}

}  // namespace

Response WebApp::person(Ctx& c) {
  const std::string nik = trim(get(c.query, "nik"));
  const std::size_t page = page_of(c.query);
  auto rows = office_->store->person_entries(office_->id, nik, page_rows + 1, page * page_rows);
  std::string body;
  if (!rows.ok()) {
    body = fmt::format("<div class=\"alert error\">{}</div>", escape(rows.error().message));
  } else if (rows->empty()) {
    body = fmt::format("<p>{}</p><p><a href=\"/search?q={}\">{}</a></p>", c.e("web.none_found"),
                       escape(url_encode(nik)), c.e("web.nav.search"));
  } else {
    const bool more = rows->size() > page_rows;
    if (more) rows->pop_back();
    std::string name;
    for (const auto& r : *rows) {
      if (r.kind == domain::EntryKind::participant_enroll) name = r.name;
    }
    body += fmt::format(
        "<div class=\"card\"><div><strong id=\"person-name\">{0}</strong></div><div class=\"mono\">NIK {1}</div>"
        "<div class=\"actions noprint\"><a class=\"button secondary\" href=\"/record/contribute?nik={2}\">{3}</a>"
        "<a class=\"button secondary\" href=\"/record/claim?nik={2}\">{4}</a><a class=\"button secondary\" "
        "id=\"update-link\" href=\"/update?nik={2}\">{5}</a></div></div>",
        escape(name), escape(nik), escape(url_encode(nik)), c.e("web.nav.contribute"), c.e("web.nav.claim"),
        c.e("web.update"));
    body += fmt::format(
        "<table class=\"list\" id=\"entries\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th>"
        "<th>{}</th><th>{}</th><th></th></tr></thead><tbody>",
        c.e("web.seq"), c.e("report.col.kind"), c.e("web.recorded_at"), c.e("web.clerk"), c.e("web.ref"),
        c.e("web.local_verdict"), c.e("web.central_verdict"));
    for (const auto& r : *rows) {
      body += fmt::format(
          "<tr id=\"seq-{0}\"><td>#{0}</td><td>{1}</td><td>{2}</td><td>{3}</td><td>{4}</td><td>{5}{6}</td><td>{7}</td>"
          "<td class=\"noprint\"><a href=\"/receipt?seq={0}\">{8}</a> · <a href=\"/void?seq={0}\">{9}</a></td></tr>",
          r.seq, escape(kind_text(c.lang, r.kind)), escape(i18n::timestamp(c.lang, r.recorded_at_ms)),
          escape(r.operator_id), escape(r.ref), badge(c.lang, domain::outcome_name(r.local.outcome)),
          reasons_html(c.lang, r.local), sync_state_html(c.lang, r), c.e("web.receipt"), c.e("web.void"));
    }
    body += "</tbody></table>" + pager(c.session, c.lang, "/person?nik=" + url_encode(nik), page, more);
  }
  return show(c, "/person", std::string(c.t("web.person")), body);
}

// ---- a correction: update contact details or heirs, after a preview of what changes ----

namespace {

struct Contact {
  std::string phone, address, heirs;    // heirs as the form writes them: NAME:RELATION[:NIK] a line
  std::string name, birth, occupation;  // corrections (participant.update v2); birth as YYYY-MM-DD
};

std::string heirs_text(const std::vector<domain::Heir>& heirs) {
  std::string out;
  for (const auto& h : heirs) out += h.name + ":" + h.relation + (h.nik.empty() ? "" : ":" + h.nik) + "\n";
  return out;
}

// The participant's details as this office's entries leave them: the enrollment,
// then each participant.update not voided nor rejected, in seq order (Store::own_enrollment).
Result<std::optional<Contact>> current_contact(Store& store, const std::string& nik) {
  LONTAR_ASSIGN(auto enrolled, store.own_enrollment(nik));
  if (!enrolled) return std::optional<Contact>{};
  return std::optional<Contact>{Contact{enrolled->phone, enrolled->address, heirs_text(enrolled->heirs), enrolled->name,
                                        domain::to_string(enrolled->birth_date), enrolled->occupation}};
}

}  // namespace

Response WebApp::update_page(Ctx& c) {
  const bool post = c.req.method() == http::verb::post;
  const Params& p = post ? c.form : c.query;
  const std::string nik = trim(get(p, "nik"));
  auto now = current_contact(*office_->store, nik);
  if (!now.ok())
    return show(c, "/update", std::string(c.t("web.update_title")),
                fmt::format("<div class=\"alert error\">{}</div>", escape(now.error().message)));
  if (!*now) {
    return show(c, "/update", std::string(c.t("web.update_title")),
                fmt::format("<p>{}</p>", c.e("web.update_not_here")), http::status::not_found);
  }
  const Contact& was = **now;
  // A correction field left empty (or absent) keeps the value as it is.
  auto or_was = [](std::string v, const std::string& old) { return v.empty() ? old : v; };
  Contact want = post ? Contact{trim(get(c.form, "phone")),
                                trim(get(c.form, "address")),
                                get(c.form, "heirs"),
                                or_was(trim(get(c.form, "name")), was.name),
                                or_was(trim(get(c.form, "birth")), was.birth),
                                or_was(normalize_code(trim(get(c.form, "occupation"))), was.occupation)}
                      : was;
  // The birth date as enroll takes it (17-08-1980, 17 Agustus 1980...), never in the future.
  std::string birth_error;
  std::optional<domain::Date> birth_date;
  if (want.birth != was.birth) {
    const domain::Date this_day = today();
    auto d = parse_partner_date(want.birth, this_day.year);
    if (!d.ok()) {
      birth_error = d.error().message;
    } else if (*d > this_day) {
      birth_error =
          fmt::format("{}: {} > {}", c.t("web.f.birth_date"), domain::to_string(*d), domain::to_string(this_day));
    } else {
      birth_date = *d;
      want.birth = domain::to_string(*d);
    }
  }
  // Heirs compared as lines, whatever the line ends and blank lines.
  auto norm = [](const std::string& text) {
    std::string out;
    for (const auto& line : split(text, '\n')) {
      const std::string l = trim(line);
      if (!l.empty()) out += l + "\n";
    }
    return out;
  };
  want.heirs = norm(want.heirs);
  const bool phone = want.phone != was.phone, address = want.address != was.address,
             heirs = want.heirs != norm(was.heirs), name = want.name != was.name, birth = want.birth != was.birth,
             occupation = want.occupation != was.occupation;
  const bool any = phone || address || heirs || name || birth || occupation;
  std::string body;
  const std::string step = get(c.form, "step");
  if (post && !birth_error.empty()) {
    body += fmt::format("<div class=\"alert error\" role=\"alert\" id=\"update-error\">{}</div>", escape(birth_error));
  } else if (post && !any) {
    body += fmt::format("<div class=\"alert error\" role=\"alert\">{}</div>", c.e("web.update_nothing"));
  } else if (post && step == "record") {
    domain::ParticipantUpdate u;
    u.nik = nik;
    if (phone) u.phone = want.phone;
    if (address) u.address = want.address;
    if (name) u.name = want.name;
    if (birth) u.birth_date = birth_date;
    if (occupation) u.occupation = want.occupation;
    u.replace_heirs = heirs;
    std::string error;
    for (const auto& line : split(want.heirs, '\n')) {
      if (!heirs || line.empty()) continue;
      auto parts = split(line, ':');
      if (parts.size() < 2) {
        error = "'" + line + "': NAMA:HUBUNGAN[:NIK]";
        break;
      }
      u.heirs.push_back(domain::Heir{parts[0], parts[1], parts.size() > 2 ? parts[2] : ""});
    }
    if (error.empty()) {
      auto a = record_entry(*office_, c.session->clerk, u, false);
      if (a.ok() && a->status == AppendStatus::recorded) {
        return redirect(c.req, fmt::format("/receipt?seq={}&recorded=1", a->seq));
      }
      error = a.ok() ? "" : a.error().message;
      if (a.ok()) {
        for (const auto& r : a->verdict.reasons) error += i18n::reason_text(c.lang, r.code, r.text) + " ";
      }
    }
    body += fmt::format("<div class=\"alert error\" role=\"alert\" id=\"update-error\">{}</div>", escape(error));
  } else if (post) {
    // The preview: each field now and after, the changed ones marked; confirming records it.
    auto line = [&](std::string_view key, const std::string& before, const std::string& after, bool changed) {
      return fmt::format("<tr{}><th>{}</th><td>{}</td><td>{}</td></tr>", changed ? " class=\"changed\"" : "", c.e(key),
                         before.empty() ? "—" : escape(before),
                         changed ? "<strong>" + escape(after.empty() ? "—" : after) + "</strong>" : escape(after));
    };
    body += fmt::format(
        "<div class=\"card\" id=\"update-preview\"><p>{}</p><table class=\"list\"><thead><tr><th></th><th>{}</th>"
        "<th>{}</th></tr></thead><tbody>{}{}{}{}{}{}</tbody></table><form method=\"post\" action=\"/update\" "
        "class=\"actions\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"nik\" "
        "value=\"{}\"><input type=\"hidden\" name=\"step\" value=\"record\"><input type=\"hidden\" name=\"phone\" "
        "value=\"{}\"><input type=\"hidden\" name=\"address\" value=\"{}\"><input type=\"hidden\" name=\"heirs\" "
        "value=\"{}\"><input type=\"hidden\" name=\"name\" value=\"{}\"><input type=\"hidden\" name=\"birth\" "
        "value=\"{}\"><input type=\"hidden\" name=\"occupation\" value=\"{}\">"
        "<button type=\"submit\" id=\"update-yes\" autofocus>{}</button><a class=\"button secondary\" "
        "href=\"/person?nik={}\">{}</a></form></div>",
        c.e("web.update_preview"), c.e("web.update_now"), c.e("web.update_after"),
        line("web.f.phone", was.phone, want.phone, phone), line("web.f.address", was.address, want.address, address),
        line("web.f.heirs", was.heirs, want.heirs, heirs), line("web.f.name", was.name, want.name, name),
        line("web.f.birth_date", was.birth, want.birth, birth),
        line("web.f.occupation", was.occupation, want.occupation, occupation), escape(c.session->csrf), escape(nik),
        escape(want.phone), escape(want.address), escape(want.heirs), escape(want.name), escape(want.birth),
        escape(want.occupation), c.e("web.update_record"), escape(url_encode(nik)), c.e("web.cancel"));
  }
  body += fmt::format(
      "<form class=\"fields card\" method=\"post\" action=\"/update\"><input type=\"hidden\" name=\"csrf\" "
      "value=\"{}\"><input type=\"hidden\" name=\"nik\" value=\"{}\"><label>NIK</label><div class=\"mono\">{}</div>"
      "<label for=\"phone\">{}</label><input id=\"phone\" name=\"phone\" value=\"{}\"{}>"
      "<label for=\"address\">{}</label><input id=\"address\" name=\"address\" value=\"{}\">"
      "<label for=\"heirs\">{}</label><div><textarea id=\"heirs\" name=\"heirs\" rows=\"3\">{}</textarea>"
      "<div class=\"field-info\">{}</div></div>"
      "<label for=\"name\">{}</label><input id=\"name\" name=\"name\" value=\"{}\">"
      "<label for=\"birth\">{}</label><input id=\"birth\" name=\"birth\" value=\"{}\">"
      "<label for=\"occupation\">{}</label><input id=\"occupation\" name=\"occupation\" value=\"{}\">"
      "<div></div><div class=\"actions\"><button type=\"submit\" "
      "id=\"update-preview-button\">{}</button></div></form>",
      escape(c.session->csrf), escape(nik), escape(nik), c.e("web.f.phone"), escape(want.phone),
      post && step != "record" && any ? "" : " autofocus", c.e("web.f.address"), escape(want.address),
      c.e("web.f.heirs"), escape(want.heirs), c.e("web.f.heirs_help"), c.e("web.f.name"), escape(want.name),
      c.e("web.f.birth_date"), escape(want.birth), c.e("web.f.occupation"), escape(want.occupation),
      c.e("web.update_preview_button"));
  return show(c, "/update", std::string(c.t("web.update_title")), body);
}

// A correction: void an entry, after a preview of what changes.
Response WebApp::void_page(Ctx& c) {
  const bool post = c.req.method() == http::verb::post;
  const Params& p = post ? c.form : c.query;
  std::uint64_t seq = 0;
  try {
    seq = std::stoull(get(p, "seq"));
  } catch (...) {
    return make(c.req, http::status::bad_request, "seq?\n", "text/plain; charset=utf-8");
  }
  auto found = office_->store->shown_entry(seq);
  if (!found.ok() || !*found) return make(c.req, http::status::not_found, "not found\n", "text/plain; charset=utf-8");
  const Row& r = **found;
  std::string body;
  if (post) {
    domain::EntryVoid v;
    v.target_seq = seq;
    v.reason = trim(get(c.form, "reason"));
    auto a = record_entry(*office_, c.session->clerk, v, get(c.form, "confirm") == "1");
    if (a.ok() && a->status == AppendStatus::recorded) {
      return redirect(c.req, fmt::format("/receipt?seq={}&recorded=1", a->seq));
    }
    std::string msg = a.ok() ? "" : a.error().message;
    if (a.ok()) {
      for (const auto& rr : a->verdict.reasons) msg += i18n::reason_text(c.lang, rr.code, rr.text) + " ";
    }
    body += fmt::format("<div class=\"alert error\" role=\"alert\">{}</div>", escape(msg));
  }
  body += fmt::format(
      "<div class=\"card\" id=\"preview\"><p>{}</p><table class=\"list\"><tr><th>{}</th><td>#{}</td></tr>"
      "<tr><th>{}</th><td>{}</td></tr><tr><th>NIK</th><td>{}</td></tr><tr><th>{}</th><td>{}</td></tr>"
      "<tr><th>{}</th><td>{}</td></tr></table></div>"
      "<form class=\"fields card\" method=\"post\" action=\"/void\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">"
      "<input type=\"hidden\" name=\"seq\" value=\"{}\"><label for=\"reason\">{}</label><input id=\"reason\" "
      "name=\"reason\" required autofocus><div></div><div class=\"actions\"><button class=\"danger\" type=\"submit\" "
      "id=\"void-yes\">{}</button></div></form>",
      c.e("web.void_preview"), c.e("web.seq"), r.seq, c.e("report.col.kind"), escape(kind_text(c.lang, r.kind)),
      escape(r.nik), c.e("web.name"), escape(r.name), c.e("web.ref"), escape(r.ref), escape(c.session->csrf), r.seq,
      c.e("web.void_reason"), c.e("web.void"));
  return show(c, "/void", std::string(c.t("web.void_title")), body);
}

// ---- sync ----

Response WebApp::sync_page(Ctx& c, const std::string& message, bool error) {
  auto& store = *office_->store;
  std::string body = incident_banner(store, c.lang);
  if (!message.empty()) {
    body += fmt::format("<div class=\"alert {}\" role=\"status\" id=\"sync-result\">{}</div>", error ? "error" : "ok",
                        escape(message));
  }
  const Waiting w = waiting(store);
  auto cp = store.checkpoint();
  std::string cp_text = std::string(c.t("web.never_synced"));
  if (cp.ok() && *cp) cp_text = fmt::format("{} · {}", (*cp)->size, to_hex((*cp)->root).substr(0, 16));
  std::string last = std::string(c.t("web.never_synced"));
  if (auto s = store.setting("web_last_sync_ms"); s.ok() && *s) {
    try {
      last = i18n::timestamp(c.lang, std::stoll(std::string(as_chars(**s))));
    } catch (...) {
    }
  }
  body += fmt::format(
      "<div class=\"grid\"><div class=\"stat\"><div class=\"n\" id=\"sync-waiting\">{}</div><div class=\"l\">{}</div>"
      "</div><div class=\"stat\"><div class=\"l\">{}</div><div>{}</div></div><div class=\"stat\"><div class=\"l\">{}"
      "</div><div class=\"mono\">{}</div></div></div>"
      "<form id=\"sync-now\" method=\"post\" action=\"/sync\" class=\"actions\"><input type=\"hidden\" name=\"csrf\" "
      "value=\"{}\"><button type=\"submit\" id=\"sync-button\" data-busy=\"{}\">{}</button>"
      "<span id=\"sync-progress\" hidden>{}</span></form>",
      w.outbox, c.e("web.waiting"), c.e("web.last_sync"), escape(last), c.e("report.checkpoint"), escape(cp_text),
      escape(c.session->csrf), c.e("web.syncing"), c.e("web.sync_now"), c.e("web.syncing"));
  // The queue: entries the centre rejected or flagged, with what to do.
  const std::size_t page = page_of(c.query);
  body += fmt::format("<h2>{}</h2>", c.e("web.queue"));
  // The store lists them in seq order; a page skips the ones before it.
  auto judged = store.server_verdicts((page + 1) * page_rows + 1);
  std::string rows;
  bool more = false;
  if (judged.ok()) {
    const auto& all = judged->not_accepted;
    more = all.size() > (page + 1) * page_rows;
    for (std::size_t i = page * page_rows; i < std::min(all.size(), (page + 1) * page_rows); ++i) {
      const Store::Judged& j = all[i];
      const bool rejected = j.verdict.outcome == domain::Outcome::rejected;
      rows += fmt::format(
          "<tr><td>#{}</td><td>{}</td><td><a href=\"/person?nik={}\">{}</a> {}</td><td>{}</td><td>{}</td><td>{}</td>"
          "</tr>",
          j.seq, escape(kind_text(c.lang, j.kind)), escape(url_encode(j.nik)), escape(j.nik),
          escape(j.nik.empty() ? j.ref : j.name), badge(c.lang, domain::outcome_name(j.verdict.outcome)),
          reasons_html(c.lang, j.verdict), c.e(rejected ? "hint.central_rejected" : "hint.central_flagged"));
    }
  }
  if (rows.empty()) {
    body += fmt::format("<p id=\"queue-empty\">{}</p>", c.e("web.queue_empty"));
  } else {
    body += fmt::format(
        "<table class=\"list\" id=\"queue\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th>"
        "<th>{}</th></tr></thead><tbody>{}</tbody></table>",
        c.e("web.seq"), c.e("report.col.kind"), c.e("web.person"), c.e("report.col.verdict"), c.e("report.col.reasons"),
        c.e("web.what_to_do"), rows);
    body += pager(c.session, c.lang, "/sync", page, more);
  }
  return show(c, "/sync", std::string(c.t("web.nav.sync")), body);
}

Response WebApp::sync_post(Ctx& c) {
  SyncOptions o;
  o.passphrase = config_.passphrase;
  auto& store = *office_->store;
  if (auto st = resolve_server(store, o); !st.ok()) return sync_page(c, st.error().message, true);
  auto r = sync_once(*office_, config_.data_dir, o);
  if (!r.ok()) {
    std::string key = "error";
    switch (classify(store, r.error())) {
      case SyncFailure::retry:
        key = "sync.retry";
        break;
      case SyncFailure::refused:
        key = "sync.refused";
        break;
      case SyncFailure::incident:
        key = "sync.incident_title";
        break;
      case SyncFailure::local:
        break;
    }
    std::string msg =
        key == "sync.incident_title" ? std::string(c.t(key)) + ": " + r.error().message : c.tr(key, r.error().message);
    return sync_page(c, msg, true);
  }
  (void)store.set_setting("web_last_sync_ms", std::to_string(now_ms()));
  return sync_page(c,
                   c.tr("sync.summary", o.server_url, r->entries_pushed, r->batches, r->accepted, r->rejected,
                        r->flagged, r->leaves_pulled, r->checkpoint_size),
                   false);
}

// ---- receipt ----

Response WebApp::receipt(Ctx& c) {
  std::uint64_t seq = 0;
  try {
    seq = std::stoull(get(c.query, "seq"));
  } catch (...) {
    return make(c.req, http::status::bad_request, "seq?\n", "text/plain; charset=utf-8");
  }
  auto found = office_->store->shown_entry(seq);
  if (!found.ok() || !*found) return make(c.req, http::status::not_found, "not found\n", "text/plain; charset=utf-8");
  const Row& r = **found;
  auto stored = office_->store->entry_row(seq);
  std::string hash_hex, what;
  if (stored.ok()) {
    if (const auto& row = *stored) {
      hash_hex = to_hex(row->hash);
      auto e = encoding::decode<chain::Entry>(row->bytes, "entry");
      if (e.ok()) {
        if (auto p = domain::decode_payload(e->kind, e->payload); p.ok()) {
          std::visit(
              [&](const auto& v) {
                using T = std::decay_t<decltype(v)>;
                auto line = [&](std::string_view key, const std::string& value) {
                  what += fmt::format("<tr><td>{}</td><td>{}</td></tr>", c.e(key), escape(value));
                };
                if constexpr (std::is_same_v<T, domain::ParticipantEnroll>) {
                  line("web.f.name", v.name);
                  line("web.f.birth_date", date_text(c.lang, v.birth_date));
                  line("web.f.occupation", v.occupation);
                  line("web.f.programmes", domain::programmes_to_string(v.programmes));
                  line("web.f.coverage_start", date_text(c.lang, v.coverage_start));
                } else if constexpr (std::is_same_v<T, domain::PayoutMade>) {
                  line("web.f.claim_no", v.claim_no);
                  line("web.f.amount", i18n::rupiah(v.amount));
                  line("web.f.beneficiary", v.beneficiary);
                  line("web.f.reference", v.reference);
                } else if constexpr (std::is_same_v<T, domain::ContributionPaid>) {
                  std::int64_t total = 0;
                  for (const auto& a : v.amounts) total += a.amount;
                  line("web.f.receipt_no", v.receipt_no);
                  line("web.f.amount", i18n::rupiah(total));
                } else if constexpr (std::is_same_v<T, domain::ClaimFiled>) {
                  line("web.f.claim_no", v.claim_no);
                  line("web.f.event_date", date_text(c.lang, v.event_date));
                  line("web.f.claimant_name", v.claimant.name);
                }
              },
              *p);
        }
      }
    }
  }
  std::string synced = std::string(c.t("outcome.pending"));
  std::string qr_text = fmt::format("lontar:{}#{}:{}", office_->id, seq, hash_hex);
  if (r.receipt) {
    synced = fmt::format("{} · {} {}",
                         i18n::text(c.lang, "outcome." + std::string(domain::outcome_name(r.receipt->verdict.outcome))),
                         i18n::text(c.lang, "web.leaf"), r.receipt->leaf_index);
    if (auto cp = office_->store->checkpoint(); cp.ok() && *cp) {
      synced += fmt::format(" · {} {}", i18n::text(c.lang, "report.checkpoint"), (*cp)->size);
      qr_text += fmt::format(":leaf={}:checkpoint={}", r.receipt->leaf_index, (*cp)->size);
    }
  }
  const bool thermal = get(c.query, "layout") == "thermal";
  std::string body;
  if (get(c.query, "recorded") == "1") {
    body += fmt::format("<div class=\"alert ok noprint\" role=\"status\" id=\"recorded\">{}</div>",
                        escape(c.tr("web.recorded", kind_text(c.lang, r.kind), r.seq)));
  }
  body += fmt::format(
      "<div class=\"actions noprint\"><a class=\"button\" href=\"/receipt?seq={0}\">A4</a><a class=\"button\" "
      "href=\"/receipt?seq={0}&amp;layout=thermal\">80 mm</a>{1}</div>",
      seq,
      r.nik.empty() ? std::string()
                    : fmt::format("<a class=\"button secondary\" href=\"/person?nik={}\">{}</a>",
                                  escape(url_encode(r.nik)), c.e("web.person")));
  body += fmt::format(
      "<div class=\"receipt{}\" id=\"receipt\"><h2>{} — {}</h2><table>"
      "<tr><td>{}</td><td>{} ({})</td></tr><tr><td>{}</td><td>{}</td></tr><tr><td>{}</td><td>{}</td></tr>"
      "<tr><td>{}</td><td>{}</td></tr>{}<tr><td>NIK</td><td>{}</td></tr>"
      "<tr><td>{}</td><td>#{}</td></tr><tr><td>Hash</td><td class=\"mono\">{}</td></tr>"
      "<tr><td>{}</td><td>{}</td></tr></table><div class=\"qr\">{}</div></div>",
      thermal ? " thermal" : "", c.e("web.receipt_title"), escape(kind_text(c.lang, r.kind)), c.e("report.col.office"),
      escape(office_->name), escape(office_->id), c.e("web.clerk"), escape(r.operator_id), c.e("web.recorded_at"),
      escape(i18n::timestamp(c.lang, r.recorded_at_ms)), c.e("report.col.kind"), escape(kind_text(c.lang, r.kind)),
      what, escape(r.nik), c.e("web.seq"), seq, escape(hash_hex), c.e("web.central_verdict"), escape(synced),
      qr_svg(qr_text));
  return show(c, "/receipt", std::string(c.t("web.receipt_title")), body);
}

// ---- the live NIK check ----

Response WebApp::nik_api(Ctx& c) {
  const std::string text = trim(get(c.query, "nik"));
  auto nik = domain::parse_nik(text);
  std::string json;
  if (!nik.ok()) {
    json = fmt::format("{{\"ok\":false,\"error\":{}}}", json_text(c.tr("web.nik_invalid", nik.error().message)));
  } else {
    const std::string& d = nik->str();
    int day = (d[6] - '0') * 10 + (d[7] - '0');
    const bool female = day > 40;
    if (female) day -= 40;
    const int month = (d[8] - '0') * 10 + (d[9] - '0');
    const int yy = (d[10] - '0') * 10 + (d[11] - '0');
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    const int year = yy > (tm.tm_year % 100) ? 1900 + yy : 2000 + yy;  // the NIK has no century
    const std::string birth = fmt::format("{:04}-{:02}-{:02}", year, month, day);
    const std::string summary = c.tr("web.nik_summary", i18n::date(c.lang, year, month, day),
                                     i18n::text(c.lang, female ? "web.opt.female" : "web.opt.male"), nik->regency());
    json = fmt::format(
        "{{\"ok\":true,\"birth_date\":{},\"sex\":{},\"regency\":{},\"summary\":{},\"text\":{{\"birth_mismatch\":{},"
        "\"sex_mismatch\":{},\"regency_mismatch\":{}}}}}",
        json_text(birth), json_text(female ? "female" : "male"), json_text(std::string(nik->regency())),
        json_text(summary), json_text(c.t("web.nik_birth_mismatch")), json_text(c.t("web.nik_sex_mismatch")),
        json_text(c.t("web.nik_regency_mismatch")));
  }
  return make(c.req, http::status::ok, json, "application/json");
}

// ---- import: upload, preview, progress, summary, rejects ----

namespace {

// The header and the first `rows` records of a CSV file, as the import reads them.
struct CsvHead {
  std::vector<std::string> header;
  std::vector<csv::Record> rows;
};
CsvHead read_head(const std::filesystem::path& file, std::size_t rows) {
  CsvHead out;
  auto reader = csv::Reader::open(file);
  if (!reader.ok()) return out;
  csv::Record r;
  if (auto any = reader->next(r); !any.ok() || !*any) return out;
  out.header = r.fields;
  while (out.rows.size() < rows) {
    auto more = reader->next(r);
    if (!more.ok() || !*more) break;
    out.rows.push_back(r);
  }
  return out;
}

// A table of CSV cells; with `map_row` its first row is the column mapping.
std::string cells_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                        const std::string& id, bool map_row = false) {
  std::string out = fmt::format("<div class=\"scroll\"><table class=\"list\" id=\"{}\"><thead><tr>", id);
  for (const auto& h : header) out += "<th>" + escape(h) + "</th>";
  out += "</tr></thead><tbody>";
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const auto& row = rows[r];
    out += r == 0 && map_row ? "<tr class=\"map\">" : "<tr>";
    for (std::size_t i = 0; i < header.size(); ++i) out += "<td>" + escape(i < row.size() ? row[i] : "") + "</td>";
    out += "</tr>";
  }
  return out + "</tbody></table></div>";
}

}  // namespace

ImportJob* WebApp::job_for(Ctx& c) {
  const std::string id = get(c.req.method() == http::verb::post ? c.form : c.query, "id");
  return job_ && !id.empty() && constant_equal(job_->id(), id) ? job_.get() : nullptr;
}

Response WebApp::import_form(Ctx& c, const std::string& error) {
  std::string body;
  if (!error.empty()) body += fmt::format("<div class=\"alert error\" role=\"alert\">{}</div>", escape(error));
  if (job_ && !job_->done()) {
    body += fmt::format("<div class=\"alert ok\" role=\"status\"><a href=\"/import/job?id={}\">{}</a></div>",
                        job_->id(), c.e("web.import.running_link"));
  }
  body += fmt::format(
      "<p>{}</p><form class=\"fields card\" method=\"post\" action=\"/import\" enctype=\"multipart/form-data\">"
      "<input type=\"hidden\" name=\"csrf\" value=\"{}\">"
      "<label for=\"import-kind\">{}</label><select id=\"import-kind\" name=\"kind\"><option value=\"enroll\">{}"
      "</option><option value=\"contribute\">{}</option></select>"
      "<label for=\"import-file\">{}</label><div><input type=\"file\" id=\"import-file\" name=\"file\" "
      "accept=\".csv,.txt,text/csv\" required><div class=\"field-info\">{}</div></div>"
      "<label for=\"import-sponsor\">{}</label><input id=\"import-sponsor\" name=\"sponsor\">"
      "<label for=\"import-occupation\">{}</label><input id=\"import-occupation\" name=\"occupation\">"
      "<label for=\"import-coverage\">{}</label><input id=\"import-coverage\" name=\"coverage_start\" "
      "placeholder=\"2018-05-14\" inputmode=\"numeric\">"
      "<label for=\"import-first-month\">{}</label><input id=\"import-first-month\" name=\"first_month\" "
      "placeholder=\"2018-05\">"
      "<div></div><div class=\"actions\"><button type=\"submit\" id=\"import-preview\">{}</button></div></form>",
      c.e("web.import.intro"), escape(c.session->csrf), c.e("web.import.kind"), c.e("web.import.kind_enroll"),
      c.e("web.import.kind_contribute"), c.e("web.import.file"), c.e("web.import.file_help"), c.e("web.import.sponsor"),
      c.e("web.import.occupation"), c.e("web.import.coverage_start"), c.e("web.import.first_month"),
      c.e("web.import.preview_button"));
  return show(c, "/import", std::string(c.t("web.nav.import")), body,
              error.empty() ? http::status::ok : http::status::bad_request);
}

Response WebApp::import_upload(Ctx& c) {
  if (job_ && !job_->done()) return import_form(c, std::string(c.t("web.import.busy")));
  if (!c.upload || !c.upload->has_file || c.upload->file.empty()) {
    return import_form(c, std::string(c.t("web.import.no_file")));
  }
  const auto dir = config_.data_dir / "web-imports";
  // One list at a time: the previous upload and its rejects files (personal data) go.
  job_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (auto st = ensure_private_dir(dir); !st.ok()) return import_form(c, st.error().message);
  const std::string id = random_token();
  ImportOptions o;
  o.kind = get(c.form, "kind") == "contribute" ? ImportKind::contribute : ImportKind::enroll;
  // The name the clerk knows the file by, in messages; the bytes are kept under the job's id.
  o.file = dir / (id.substr(0, 16) + ".csv");
  o.rejects = dir / (id.substr(0, 16) + ".preview-rejects.csv");
  o.operator_id = c.session->clerk;
  o.sponsor = trim(get(c.form, "sponsor"));
  o.occupation = trim(get(c.form, "occupation"));
  o.coverage_start = trim(get(c.form, "coverage_start"));
  o.first_month = trim(get(c.form, "first_month"));
  auto f = create_private_file(o.file, true);
  if (!f.ok()) return import_form(c, f.error().message);
  const bool written = std::fwrite(c.upload->file.data(), 1, c.upload->file.size(), *f) == c.upload->file.size();
  if (std::fclose(*f) != 0 || !written) return import_form(c, o.file.string() + ": cannot write (disk full?)");
  job_ = ImportJob::start(id, config_.data_dir, config_.passphrase, std::move(o), true);
  return redirect(c.req, "/import/job?id=" + id);
}

Response WebApp::import_run(Ctx& c) {
  ImportJob* job = job_for(c);
  if (!job || !job->done() || !job->dry_run() || !job->result().ok()) {
    return import_form(c, std::string(c.t("web.import.gone")));
  }
  ImportOptions o = job->options();
  o.rejects = o.file.parent_path() / (o.file.stem().string() + ".rejects.csv");
  o.confirm = get(c.form, "confirm") == "1";
  o.operator_id = c.session->clerk;
  const std::string id = random_token();
  job_.reset();
  job_ = ImportJob::start(id, config_.data_dir, config_.passphrase, std::move(o), false);
  return redirect(c.req, "/import/job?id=" + id);
}

Response WebApp::import_status_api(Ctx& c) {
  ImportJob* job = job_for(c);
  if (!job) return make(c.req, http::status::not_found, "{\"error\":\"no such import\"}", "application/json");
  const ImportProgress p = job->progress();
  const int pct = job->done()    ? 100
                  : p.file_bytes ? static_cast<int>(std::min<std::uint64_t>(99, 100 * p.bytes_read / p.file_bytes))
                                 : 0;
  return make(c.req, http::status::ok,
              fmt::format("{{\"done\":{},\"rows\":{},\"percent\":{},\"text\":{}}}", job->done(), p.rows, pct,
                          json_text(c.tr("web.import.progress", p.rows, pct))),
              "application/json");
}

Response WebApp::import_rejects(Ctx& c) {
  ImportJob* job = job_for(c);
  if (!job || !job->done() || !job->result().ok() || job->result()->rejects_file.empty()) {
    return make(c.req, http::status::not_found, std::string(c.t("web.import.gone")) + "\n",
                "text/plain; charset=utf-8");
  }
  auto bytes = crypto::read_file(job->result()->rejects_file);
  if (!bytes.ok()) return make(c.req, http::status::internal_server_error, bytes.error().message + "\n", "text/plain");
  Response res = make(c.req, http::status::ok, std::move(*bytes), "text/csv; charset=utf-8");
  res.set(http::field::content_disposition,
          fmt::format("attachment; filename=\"{}-{}.csv\"", job->dry_run() ? "pratinjau-ditolak" : "ditolak",
                      job->id().substr(0, 8)));
  return res;
}

Response WebApp::import_job_page(Ctx& c) {
  ImportJob* job = job_for(c);
  if (!job) return import_form(c, std::string(c.t("web.import.gone")));
  const std::string title(c.t(job->dry_run() ? "web.import.preview_title" : "web.nav.import"));
  if (!job->done()) {
    const ImportProgress p = job->progress();
    const std::string body = fmt::format(
        "<div class=\"card\" id=\"import-running\" data-job=\"{0}\"><p>{1}</p><progress id=\"import-progress\" "
        "max=\"100\" value=\"{2}\">{2}%</progress> <span id=\"import-rows\" role=\"status\">{3}</span>"
        "<p class=\"muted\"><a href=\"/import/job?id={0}\">{4}</a></p></div>",
        job->id(), c.e(job->dry_run() ? "web.import.checking" : "web.import.recording"),
        p.file_bytes ? 100 * p.bytes_read / p.file_bytes : 0, escape(c.tr("web.import.progress", p.rows, 0)),
        c.e("web.import.reload"));
    return show(c, "/import", title, body);
  }
  const auto& result = job->result();
  if (!result.ok()) {
    return import_form(c, c.tr("web.import.failed", result.error().message));
  }
  const ImportSummary& s = *result;
  const auto& o = job->options();
  std::string body;
  if (!job->dry_run()) {
    body += fmt::format("<div class=\"alert ok\" role=\"status\" id=\"import-done\">{}</div>",
                        escape(c.tr("web.import.done", s.recorded, s.rows)));
  }
  body += fmt::format(
      "<div class=\"grid\" id=\"import-counts\"><div class=\"stat\"><div class=\"n\" id=\"count-rows\">{}</div>"
      "<div class=\"l\">{}</div></div><div class=\"stat\"><div class=\"n\" id=\"count-recorded\">{}</div><div "
      "class=\"l\">{}</div></div><div class=\"stat\"><div class=\"n\" id=\"count-already\">{}</div><div class=\"l\">"
      "{}</div></div><div class=\"stat\"><div class=\"n\" id=\"count-rejected\">{}</div><div class=\"l\">{}</div>"
      "</div></div>",
      s.rows, c.e("web.import.rows"), s.recorded,
      c.e(job->dry_run() ? "web.import.would_record" : "web.import.recorded"), s.already,
      c.e(o.kind == ImportKind::enroll ? "web.import.already_enrolled" : "web.import.already_recorded"), s.rejected,
      escape(c.tr("web.import.rejected", s.conflicts)));
  std::string notes;
  if (s.encoding == csv::Encoding::windows1252) notes += "<li>" + c.e("web.import.windows1252") + "</li>";
  if (s.separator != ',') {
    notes += "<li>" + escape(c.tr("web.import.separator", s.separator == ';' ? "';'" : "tab")) + "</li>";
  }
  for (const auto& u : s.unused_columns) {
    const std::string name = u.header.empty() ? c.tr("web.import.column_n", u.index + 1) : "'" + u.header + "'";
    if (u.known || u.header.empty()) {
      notes += "<li>" + escape(c.tr("web.import.not_recorded", name)) + "</li>";
    } else if (!u.suggestion.empty()) {
      notes += "<li class=\"warn\">" + escape(c.tr("web.import.unknown_column_hint", name, u.suggestion)) + "</li>";
    } else {
      notes += "<li class=\"warn\">" + escape(c.tr("web.import.unknown_column", name)) + "</li>";
    }
  }
  if (!notes.empty()) body += "<ul class=\"card notes\" id=\"import-notes\">" + notes + "</ul>";
  if (job->dry_run()) {
    // The columns as the import maps them, and the first rows as it reads them.
    const CsvHead head = read_head(o.file, import_preview_rows);
    std::vector<std::string_view> defaults;
    if (!o.coverage_start.empty()) defaults.push_back("coverage_start");
    if (!o.occupation.empty()) defaults.push_back("occupation");
    if (!o.first_month.empty()) defaults.push_back("first_month");
    if (auto map = map_columns(o.kind, head.header, defaults); map.ok()) {
      std::vector<std::string> field_of(head.header.size());
      const auto& specs = field_specs(o.kind);
      for (std::size_t i = 0; i < specs.size(); ++i) {
        if (map->column[i] && *map->column[i] < field_of.size()) field_of[*map->column[i]] = std::string(specs[i].name);
      }
      std::vector<std::string> mapped;
      for (std::size_t i = 0; i < head.header.size(); ++i) {
        mapped.push_back(field_of[i].empty() ? "—" : "→ " + field_of[i]);
      }
      std::vector<std::vector<std::string>> rows{mapped};
      for (const auto& r : head.rows) rows.push_back(r.fields);
      body += fmt::format("<h2>{}</h2>", escape(c.tr("web.import.first_rows", head.rows.size())));
      body += cells_table(head.header, rows, "import-head", true);
    }
  }
  if (s.rejected) {
    const CsvHead rejects = read_head(s.rejects_file, import_preview_rejects);
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : rejects.rows) rows.push_back(r.fields);
    body += fmt::format("<h2>{}</h2>", escape(c.tr("web.import.rejects_title", rows.size(), s.rejected)));
    body += cells_table(rejects.header, rows, "import-rejects");
    body += fmt::format(
        "<p><a class=\"button secondary\" id=\"rejects-download\" href=\"/import/rejects?id={}\" "
        "download>{}</a></p>",
        job->id(), c.e("web.import.rejects_download"));
  }
  if (job->dry_run()) {
    body += fmt::format(
        "<form method=\"post\" action=\"/import/run\" class=\"card\" id=\"import-confirm-form\"><input "
        "type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"id\" value=\"{}\"><p>{}</p>"
        "<label><input type=\"checkbox\" name=\"confirm\" value=\"1\" id=\"import-flagged\" class=\"inline\"> {}"
        "</label><div class=\"actions\"><button type=\"submit\" id=\"import-confirm\"{}>{}</button><a "
        "class=\"button secondary\" href=\"/import\">{}</a></div></form>",
        escape(c.session->csrf), job->id(), escape(c.tr("web.import.confirm_text", s.recorded)),
        c.e("web.import.confirm_flagged"), s.recorded ? "" : " disabled",
        escape(c.tr("web.import.confirm", s.recorded)), c.e("web.cancel"));
  } else {
    body += fmt::format(
        "<p class=\"actions\"><a class=\"button\" href=\"/\">{}</a><a class=\"button secondary\" "
        "href=\"/import\">{}</a></p>",
        c.e("web.nav.home"), c.e("web.import.another"));
  }
  return show(c, "/import", title, body);
}

}  // namespace lontar::agent::web

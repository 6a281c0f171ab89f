#include "status_html.hpp"

#include <fmt/format.h>

#include <string_view>

#include "html/html.hpp"

namespace lontar::server {
namespace {

using i18n::Lang;

std::string esc(std::string_view s) { return html::escape(s); }

struct Metric {
  std::string name;  // with its labels, as written
  std::string value;
};

std::vector<Metric> parse_metrics(std::string_view text) {
  std::vector<Metric> out;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.front() != '#') {
      const auto space = line.rfind(' ');
      if (space != std::string_view::npos)
        out.push_back({std::string(line.substr(0, space)), std::string(line.substr(space + 1))});
    }
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

std::int64_t value_of(const std::vector<Metric>& metrics, std::string_view name) {
  for (const auto& m : metrics) {
    if (m.name == name) {
      try {
        return static_cast<std::int64_t>(std::stod(m.value));
      } catch (...) {
        return 0;
      }
    }
  }
  return -1;
}

// The page's own rules, after html::print_style().
constexpr std::string_view style = R"css(
pre { font-size: 11px; white-space: pre-wrap; word-break: break-all; background: #f6f6f6; padding: 6px; }
.revoked { color: #b0281a; font-weight: bold; }
table.metrics td { font-size: 11px; }
)css";

void principals(const std::vector<StatusPrincipal>& rows, Lang lang, std::string_view title_key, std::string_view id,
                std::string& out) {
  auto t = [&](std::string_view k) { return esc(i18n::text(lang, k)); };
  out += fmt::format("<h2>{} ({})</h2>\n", t(title_key), rows.size());
  out +=
      fmt::format("<table id=\"{}\"><thead><tr><th>ID</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>\n",
                  id, t("status.col.name"), t("status.col.scope"), t("status.col.key"), t("status.col.standing"));
  for (const auto& p : rows) {
    const bool active = p.status == "active";
    const std::string standing =
        active ? std::string(i18n::text(lang, "status.active"))
               : i18n::tr(lang, "status.revoked", p.status.substr(std::min<std::size_t>(p.status.size(), 9)));
    out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"mono\">{}</td><td{}>{}</td></tr>\n", esc(p.id),
                       esc(p.name), esc(p.scope.empty() ? std::string(i18n::text(lang, "status.scope_all")) : p.scope),
                       esc(p.key), active ? "" : " class=\"revoked\"", esc(standing));
  }
  out += "</table>\n";
}

}  // namespace

std::string status_html(const StatusPage& page, Lang lang) {
  auto t = [&](std::string_view k) { return esc(i18n::text(lang, k)); };
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{} — {}</title><style>{}{}</style>"
      "</head><body>\n<h1>{}</h1>\n<p class=\"muted\">{}</p>\n",
      i18n::lang_code(lang), t("status.title"), esc(page.origin), html::print_style(), style, t("status.title"),
      esc(i18n::tr(lang, "status.generated", i18n::timestamp(lang, page.generated_ms), page.caller, page.caller_role)));
  out += fmt::format("<h2>{}</h2>\n<table id=\"ledger\">\n", t("status.ledger"));
  auto row = [&](std::string_view key, const std::string& value_html) {
    out += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", t(key), value_html);
  };
  row("report.origin", esc(page.origin));
  row("status.verifier_key", "<span class=\"mono\">" + esc(page.verifier_key) + "</span>");
  row("report.size", std::to_string(page.tree_size));
  row("report.root", "<span class=\"mono\">" + esc(page.root_hex) + "</span>");
  out += "</table>\n";
  out += fmt::format("<p>{}</p><pre id=\"checkpoint\">{}</pre>\n", t("status.checkpoint_signed"), esc(page.checkpoint));
  principals(page.offices, lang, "status.offices", "offices", out);
  principals(page.auditors, lang, "status.auditors", "auditors", out);

  const auto metrics = parse_metrics(page.metrics);
  struct Known {
    std::string_view metric, key;
  };
  constexpr Known known[] = {
      {"lontar_entries_integrated_total", "status.m.entries_integrated"},
      {"lontar_verdicts_rejected_total", "status.m.verdicts_rejected"},
      {"lontar_verdicts_flagged_total", "status.m.verdicts_flagged"},
      {"lontar_pushes_total", "status.m.pushes"},
      {"lontar_batches_refused_total", "status.m.batches_refused"},
      {"lontar_equivocations_total", "status.m.equivocations"},
      {"lontar_http_unregistered_keys_total", "status.m.unregistered_keys"},
  };
  std::vector<html::Bar> bars;
  for (const auto& k : known) {
    const auto v = value_of(metrics, k.metric);
    if (v >= 0) {
      bars.push_back({std::string(i18n::text(lang, k.key)), v, -1, k.metric == "lontar_equivocations_total" && v > 0});
    }
  }
  out += fmt::format("<h2>{}</h2>\n", t("status.ingest"));
  html::ChartOptions chart;
  chart.title = std::string(i18n::text(lang, "status.ingest_chart"));
  chart.label_px = 230;
  out += html::bar_chart(bars, chart, i18n::text(lang, "status.no_metrics"));
  out += fmt::format(
      "<h2>{}</h2>\n<table class=\"metrics\" id=\"metrics\"><thead><tr><th>{}</th><th>{}</th></tr>"
      "</thead>\n",
      t("status.all_metrics"), t("status.col.metric"), t("status.col.value"));
  for (const auto& m : metrics) {
    out += fmt::format("<tr><td class=\"mono\">{}</td><td class=\"n\">{}</td></tr>\n", esc(m.name), esc(m.value));
  }
  out += "</table>\n</body></html>\n";
  return out;
}

}  // namespace lontar::server

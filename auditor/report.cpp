#include "report.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "findings.hpp"
#include "i18n/i18n.hpp"
#include "report_book.hpp"

namespace lontar::audit {
namespace {

using Row = std::vector<std::string>;

struct Table {
  Row header;
  std::vector<Row> rows;
  std::vector<bool> numeric;  // right-aligned columns
};

Result<Table> query(AuditState& state, std::string_view sql, Row header, std::vector<bool> numeric) {
  Table t{std::move(header), {}, std::move(numeric)};
  LONTAR_ASSIGN(auto s, state.db().prepare(sql));
  for (;;) {
    LONTAR_ASSIGN(bool row, s.step());
    if (!row) break;
    Row r;
    for (std::size_t c = 0; c < t.header.size(); ++c) r.push_back(s.text(static_cast<int>(c)));
    t.rows.push_back(std::move(r));
  }
  return t;
}

void write_human(const std::string& title, const Table& t, const std::vector<bool>& money, std::ostream& out) {
  std::vector<std::size_t> width(t.header.size());
  auto cell = [&](const Row& r, std::size_t c) { return money[c] ? format_rupiah(std::stoll(r[c])) : r[c]; };
  for (std::size_t c = 0; c < width.size(); ++c) {
    width[c] = t.header[c].size();
    for (const auto& r : t.rows) width[c] = std::max(width[c], cell(r, c).size());
  }
  out << title << "\n";
  auto line = [&](const Row& r, bool header) {
    for (std::size_t c = 0; c < r.size(); ++c) {
      std::string v = header ? r[c] : cell(r, c);
      std::string pad(width[c] - std::min(width[c], v.size()), ' ');
      out << (c ? "  " : "  ") << (t.numeric[c] ? pad + v : v + (c + 1 < r.size() ? pad : ""));
    }
    out << "\n";
  };
  line(t.header, true);
  if (t.rows.empty()) out << "  (none)\n";
  for (const auto& r : t.rows) line(r, false);
  out << "\n";
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void write_csv(const std::string& section, const Table& t, std::ostream& out) {
  for (const auto& r : t.rows) {
    out << section;
    for (const auto& v : r) out << "," << csv_field(v);
    out << "\n";
  }
}

// `"name":[{row}, ...]`: numeric columns as JSON integers, the others as strings.
void write_json(const std::string& name, const Table& t, std::ostream& out) {
  using nlohmann::ordered_json;
  ordered_json rows = ordered_json::array();
  for (const auto& r : t.rows) {
    ordered_json row = ordered_json::object();
    for (std::size_t c = 0; c < t.header.size(); ++c) {
      std::int64_t n = 0;
      const auto [end, ec] = std::from_chars(r[c].data(), r[c].data() + r[c].size(), n);
      const bool integer = t.numeric[c] && ec == std::errc() && end == r[c].data() + r[c].size();
      row[t.header[c]] = integer ? ordered_json(n) : ordered_json(r[c]);
    }
    rows.push_back(std::move(row));
  }
  constexpr auto replace = ordered_json::error_handler_t::replace;
  out << ordered_json(name).dump(-1, ' ', false, replace) << ":" << rows.dump(-1, ' ', false, replace);
}

#define LONTAR_NOT_VOIDED " NOT EXISTS (SELECT 1 FROM report_voids v WHERE v.office = i.office AND v.seq = i.seq) "
constexpr std::string_view totals_sql =
    "SELECT kind, COUNT(DISTINCT leaf), SUM(rupiah) FROM report_items i WHERE" LONTAR_NOT_VOIDED
    "GROUP BY kind ORDER BY kind";
constexpr std::string_view rows_sql =
    "SELECT kind, office, programme, occupation, month, COUNT(DISTINCT leaf), SUM(rupiah) FROM report_items i "
    "WHERE" LONTAR_NOT_VOIDED
    "GROUP BY kind, office, programme, occupation, month "
    "ORDER BY kind, office, programme, occupation, month";
#undef LONTAR_NOT_VOIDED
constexpr std::string_view exceptions_sql =
    "SELECT leaf, office, seq, kind, outcome, reasons FROM report_exceptions ORDER BY leaf";

}  // namespace

std::string format_rupiah(std::int64_t rupiah) { return i18n::rupiah(rupiah); }

Status write_report(AuditState& state, ReportFormat format, std::ostream& out) {
  // The tables exist once a verify has run; create them empty otherwise.
  auto book = ReportBook::open(state);
  if (!book.ok()) return std::move(book).error();
  LONTAR_ASSIGN(Table totals, query(state, totals_sql, {"kind", "count", "rupiah"}, {false, true, true}));
  LONTAR_ASSIGN(Table rows,
                query(state, rows_sql, {"kind", "office", "programme", "occupation", "month", "count", "rupiah"},
                      {false, false, false, false, false, true, true}));
  LONTAR_ASSIGN(Table exceptions, query(state, exceptions_sql, {"leaf", "office", "seq", "kind", "verdict", "reasons"},
                                        {true, false, true, false, false, false}));
  LONTAR_ASSIGN(auto cp, state.latest_checkpoint());
  std::string audited = cp ? "log audited up to size " + std::to_string(cp->size) + " (root " + to_hex(cp->root) + ")"
                           : "nothing audited yet";
  switch (format) {
    case ReportFormat::table:
      out << "Lontar audit report: " << audited << "\n\n";
      write_human("Totals (voided entries left out)", totals, {false, false, true}, out);
      write_human("By office, programme, occupation group and month recorded", rows,
                  {false, false, false, false, false, false, true}, out);
      write_human("Flagged and rejected entries", exceptions, {false, false, false, false, false, false}, out);
      break;
    case ReportFormat::csv:
      out << "section,kind,office,programme,occupation,month,count,rupiah\n";
      for (auto& r : totals.rows) out << "total," << r[0] << ",,,,," << r[1] << "," << r[2] << "\n";
      write_csv("detail", rows, out);
      out << "\nsection,leaf,office,seq,kind,verdict,reasons\n";
      write_csv("exception", exceptions, out);
      break;
    case ReportFormat::json:
      out << "{\"audited_size\":" << (cp ? std::to_string(cp->size) : "0") << ",";
      write_json("totals", totals, out);
      out << ",";
      write_json("rows", rows, out);
      out << ",";
      write_json("exceptions", exceptions, out);
      out << "}\n";
      break;
  }
  return {};
}

}  // namespace lontar::audit

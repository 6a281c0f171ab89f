// report_thread_test.cpp — the report's facts recorded on their own thread (ReportWriter,
// auditor/report_book.hpp) are the rows recorded on the replay's thread, byte for byte,
// and the reports built from them are identical. In process (lontar_auditor), so that
// both runs can be given the same person key and compared table by table.
#include <doctest/doctest.h>

#include <filesystem>
#include <sstream>
#include <utility>

#include "audit_state.hpp"
#include "ledger.hpp"
#include "report.hpp"
#include "report_html.hpp"
#include "source.hpp"
#include "support/temp_dir.hpp"
#include "verify.hpp"

namespace lontar::test {
namespace {

namespace fs = std::filesystem;

// Every row of every report_ table, and the reports in each format, as one text.
std::string facts_and_reports(const fs::path& state_dir) {
  auto state = audit::AuditState::open_existing(state_dir);
  REQUIRE(state.ok());
  std::string out;
  // Each table with its column count and an order that does not depend on how it was written
  // (the people, claims and voids by key; items and exceptions in the order recorded).
  const std::pair<const char*, int> tables[] = {
      {"report_people", 2}, {"report_claims", 3}, {"report_items", 8}, {"report_voids", 2}, {"report_exceptions", 6}};
  for (const auto& [table, columns] : tables) {
    const bool keyed = columns <= 3;
    auto s =
        (*state)->db().prepare(std::string("SELECT * FROM ") + table + (keyed ? " ORDER BY 1, 2" : " ORDER BY rowid"));
    REQUIRE(s.ok());
    out += std::string(table) + ":\n";
    for (;;) {
      auto row = s->step();
      REQUIRE(row.ok());
      if (!*row) break;
      for (int c = 0; c < columns; ++c) out += to_hex(s->blob(c)) + "|";
      out += "\n";
    }
  }
  for (auto format : {audit::ReportFormat::table, audit::ReportFormat::csv, audit::ReportFormat::json}) {
    std::ostringstream text;
    REQUIRE(audit::write_report(**state, format, text).ok());
    out += text.str();
  }
  std::ostringstream html;
  REQUIRE(audit::write_html_report(**state, nullptr, i18n::Lang::id, html).ok());
  return out + html.str();
}

TEST_CASE(
    "the report's facts written on their own thread are the rows written on the replay's, in full and "
    "incrementally") {
  LedgerBuilder b;
  Principal& sby = b.add_office("SBY-RUNGKUT");
  Principal& mlg = b.add_office("MLG-KOTA");
  // More than a few bundles of 256 leaves, so that the writer's queue fills and drains.
  for (int batch = 0; batch < 12; ++batch) {
    std::vector<domain::Payload> p;
    for (int i = 0; i < 80; ++i) p.push_back(enroll(batch * 80 + i, i % 3 ? "TAGANA" : "TKSK"));
    b.push(batch % 2 ? mlg : sby, p);
  }
  std::vector<domain::Payload> pay;
  for (int i = 0; i < 160; i += 2) pay.push_back(contribution(i, "R-" + std::to_string(i), {2018, 5}, 3));
  b.push(sby, pay);
  b.push(sby, {claim(2, "SBY/2018/0001", {2018, 6, 2}), payout("SBY/2018/0001", 30'000'000)});
  b.push(mlg, {enroll(1, "TKSK")});  // a duplicate enrollment: rejected

  TempDir tmp;
  const fs::path log = tmp.file("log");
  const fs::path threaded = tmp.file("threaded");
  const fs::path inline_ = tmp.file("inline");
  // The same person key in both states, so that rows keyed by person compare equal.
  {
    auto a = audit::AuditState::open(threaded);
    REQUIRE(a.ok());
    auto key = (*a)->get("nik_key");
    REQUIRE((key.ok() && *key));
    auto c = audit::AuditState::open(inline_);
    REQUIRE(c.ok());
    REQUIRE((*c)->put("nik_key", **key).ok());
  }
  auto run = [&](const fs::path& state, bool thread) {
    auto source = audit::make_dir_source(log);
    audit::VerifyOptions o;
    o.verifier_key = b.verifier_key();
    o.state_dir = state;
    o.report_thread = thread;
    auto r = audit::verify(*source, o);
    REQUIRE(r.ok());
    INFO(audit::summary_line(*r));
    CHECK(r->passed());
  };

  write_log(log, b.encoded(), b.log_key(), LedgerBuilder::origin);
  run(threaded, true);
  run(inline_, false);
  const std::string first = facts_and_reports(threaded);
  CHECK(first == facts_and_reports(inline_));
  for (const char* table : {"report_people:\n", "report_claims:\n", "report_items:\n", "report_exceptions:\n"}) {
    CHECK(first.find(std::string(table) + "report_") == std::string::npos);  // none of them empty
  }

  // An incremental run: the book reads rows of the first run (occupations, claims).
  b.push(sby, {contribution(4, "R-X", {2018, 8}, 1), payout("SBY/2018/0001", 1'000'000)});
  b.push(mlg, {contribution(1, "M-1", {2018, 5}, 1), void_entry("MLG-KOTA", 3)});
  write_log(log, b.encoded(), b.log_key(), LedgerBuilder::origin);
  run(threaded, true);
  run(inline_, false);
  const std::string second = facts_and_reports(threaded);
  CHECK(second != first);
  CHECK(second.find("report_voids:\nreport_") == std::string::npos);  // the void was recorded
  CHECK(second == facts_and_reports(inline_));
}

}  // namespace
}  // namespace lontar::test

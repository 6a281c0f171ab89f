// scope_test.cpp — the scoped feed (issue 12): an office's feed carries other offices'
// entries only about people in its registered scope; the rest come withheld. Real
// server, two real offices with different scopes.
#include "sync/sync_harness.hpp"

#include "encoding/encoding.hpp"
#include "protocol/protocol.hpp"

namespace lontar::test {
namespace {

// A NIK of regency `regency` (serial i).
std::string nik_in(const std::string& regency, int i) {
  auto n = domain::make_nik(regency, "01", domain::Date{1980, 1, 1}, domain::Sex::male, static_cast<std::uint16_t>(i));
  REQUIRE(n.ok());
  return n->str();
}

Run enroll(const Office& o, const std::string& nik, const std::string& name) {
  return o.agent.run({"enroll", "--nik", nik, "--name", name, "--birth-date", "1980-01-01", "--occupation", "TAGANA",
                      "--coverage-start", "2018-05-14"},
                     "enroll");
}

void set_scope(const Server& server, const Office& o, const std::string& scope) {
  auto r = server.admin(
      {"office", "add", "--id", o.id, "--name", "Kantor " + o.id, "--key", o.key_hex, "--scope", scope, "--update"});
  INFO(r.out << r.err);
  REQUIRE(r.rc == 0);
}

// The forms of the feed as `o` receives it, counted.
std::map<protocol::FeedForm, int> forms_seen(const Office& o, const Server& server) {
  auto c = o.client(server);
  std::map<protocol::FeedForm, int> seen;
  std::uint64_t from = 0;
  for (;;) {
    auto r = c.call("GET", "/v1/feed?from=" + std::to_string(from));
    REQUIRE(r.ok());
    auto page = encoding::decode<protocol::FeedPage>(r->bytes(), "feed");
    REQUIRE(page.ok());
    for (const auto& item : page->items) {
      CHECK(item.leaf_index == from);
      ++from;
      ++seen[item.form];
      if (item.form == protocol::FeedForm::redacted) {
        CHECK(item.redacted.verdict.reasons.empty());  // the outcome only
        if (item.redacted.kind != domain::EntryKind::payout_made) CHECK(item.redacted.amount == 0);
      }
    }
    if (page->items.empty() || from >= page->tree_size) return seen;
  }
}

TEST_CASE(
    "scoped feed: an office gets other offices' entries about people in its scope only, the rest withheld; "
    "offline duplicates are caught inside the scope and the server's verdict catches the rest") {
  Server server;
  server.start();
  Office sby(server, "SBY-RUNGKUT"), mlg(server, "MLG-KOTA");
  set_scope(server, sby, "3578");  // Kota Surabaya
  set_scope(server, mlg, "35");    // Jawa Timur: a province scope
  Office blt(server, "BLT-KAB");
  set_scope(server, blt, "3505");  // Kabupaten Blitar

  // Surabaya enrolls three Surabaya people and two from Blitar.
  for (int i = 1; i <= 3; ++i) REQUIRE(enroll(sby, nik_in("3578", i), "Sby " + std::to_string(i)).rc == 0);
  for (int i = 1; i <= 2; ++i) REQUIRE(enroll(sby, nik_in("3505", i), "Blitar " + std::to_string(i)).rc == 0);
  auto s1 = sby.sync();
  INFO(s1.out << s1.err);
  REQUIRE(s1.rc == 0);

  // Blitar pulls: Surabaya's three Surabaya people come withheld, the two Blitar ones redacted.
  auto b1 = blt.sync();
  INFO(b1.out << b1.err);
  REQUIRE(b1.rc == 0);
  CHECK(contains(b1.out, "3 leaves of other offices about people outside this office's scope were withheld"));
  CHECK(blt.agent.count("SELECT count(*) FROM rules_participants") == 2);
  auto forms = forms_seen(blt, server);
  CHECK(forms[protocol::FeedForm::withheld] == 3);
  CHECK(forms[protocol::FeedForm::redacted] == 2);
  // The province office sees all five.
  REQUIRE(mlg.sync().rc == 0);
  CHECK(mlg.agent.count("SELECT count(*) FROM rules_participants") == 5);
  CHECK(forms_seen(mlg, server)[protocol::FeedForm::withheld] == 0);

  // Inside the scope the duplicate is caught offline, naming the office and the date.
  auto dup = enroll(blt, nik_in("3505", 1), "Blitar Ganda");
  CHECK(dup.rc == 3);
  CHECK(contains(dup.err, "SBY-RUNGKUT (Kantor SBY-RUNGKUT)"));
  CHECK(contains(dup.err + dup.out, "2018"));
  CHECK_FALSE(contains(dup.err, "#"));
  // Outside it the office cannot see it; the server's verdict still covers everyone.
  REQUIRE(enroll(blt, nik_in("3578", 2), "Sby Ganda").rc == 0);
  auto b2 = blt.sync();
  INFO(b2.out << b2.err);
  REQUIRE(b2.rc == 0);
  CHECK(contains(b2.out, "pushed 1 entries in 1 batches (0 accepted, 1 rejected, 0 flagged)"));
  auto rejected = blt.agent.run({"list", "--entries", "--verdict", "rejected", "--json"});
  INFO(rejected.out << rejected.err);
  CHECK(contains(rejected.out, "already enrolled by SBY-RUNGKUT (Kantor SBY-RUNGKUT), coverage from 2018-05-14"));
  CHECK_FALSE(contains(rejected.out, "(seq "));

  // The replica stays consistent: its feed position is the tree, verify passes, a new sync is a no-op.
  auto v = blt.agent.run({"verify"});
  INFO(v.out << v.err);
  CHECK(v.rc == 0);
  auto b3 = blt.sync();
  REQUIRE(b3.rc == 0);
  CHECK(contains(b3.out, "pushed 0 entries"));
  CHECK(blt.agent.count("SELECT count(*) FROM rules_participants") == 2);
}

TEST_CASE("scoped feed: another office's payout is placed by the NIK of the claim it pays") {
  Server server;
  server.start();
  Office sby(server, "SBY-RUNGKUT"), blt(server, "BLT-KAB");
  set_scope(server, blt, "3505");
  const std::string in = nik_in("3505", 1), out = nik_in("3578", 1);
  int n = 0;
  for (const std::string& nik : {in, out}) {
    ++n;
    const std::string claim_no = "SBY/2018/" + std::to_string(n);
    REQUIRE(enroll(sby, nik, "Peserta " + std::to_string(n)).rc == 0);
    auto c =
        sby.agent.run({"claim", "--claim-no", claim_no, "--nik", nik, "--programme", "JKM", "--event-date",
                       "2018-05-21", "--claimant-name", "Ahli Waris", "--claimant-relation", "spouse", "--confirm"});
    INFO(c.out << c.err);
    REQUIRE(c.rc == 0);
    auto p = sby.agent.run({"pay", "--claim-no", claim_no, "--amount", "24000000", "--beneficiary", "Ahli Waris",
                            "--reference", "TRF-" + std::to_string(n), "--confirm"});
    INFO(p.out << p.err);
    REQUIRE(p.rc == 0);
  }
  REQUIRE(sby.sync().rc == 0);
  auto b = blt.sync();
  INFO(b.out << b.err);
  REQUIRE(b.rc == 0);
  // Enrollment, claim and payout of the Surabaya person withheld; the Blitar person's three redacted.
  auto forms = forms_seen(blt, server);
  CHECK(forms[protocol::FeedForm::withheld] == 3);
  CHECK(forms[protocol::FeedForm::redacted] == 3);
  CHECK(blt.agent.count("SELECT count(*) FROM rules_claims") == 1);
  CHECK(blt.agent.count("SELECT sum(paid) FROM rules_claims") == 24000000);
}

}  // namespace
}  // namespace lontar::test

// The clerk's lookups and corrections through the real binary: paging, streaming
// exports, accent-insensitive partial name search, the stored verdict, a store made
// before those columns existed, everything `show --nik` gathers, the void preview,
// refused no-op updates and column-level messages for typed values.
#include <doctest/doctest.h>

#include <algorithm>

#include "agent_process.hpp"
#include "store.hpp"

using lontar::test::Agent;
using lontar::test::contains;

namespace {

std::size_t lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// Imports `rows` generated enrollments.
void import_rows(const Agent& a, int rows) {
  const std::string csv = a.dir().file("partners.csv");
  REQUIRE(a.run({"generate-partner-csv", "--out", csv, "--tagana", std::to_string(rows)}).rc == 0);
  REQUIRE(a.run({"import", csv}).rc == 0);
}

// Stores the server's verdict on entry `seq`, as a sync does.
void server_says(const Agent& a, std::uint64_t seq, lontar::domain::Verdict v) {
  auto store = lontar::agent::Store::open(a.data());
  REQUIRE(store.ok());
  auto tx = (*store)->begin();
  REQUIRE(tx.ok());
  REQUIRE((*store)->acknowledge(seq, seq - 1, v).ok());
  REQUIRE(tx->commit().ok());
}

}  // namespace

TEST_CASE("list pages a long table, says how to get the next page, and --csv streams every row") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  import_rows(a, 230);
  auto first = a.run({"list"});
  REQUIRE(first.rc == 0);
  CHECK(lines(first.out) == 101);  // header + 100 rows
  CHECK(contains(first.err, "--after 100"));
  auto second = a.run({"list", "--after", "100", "--limit", "120"});
  REQUIRE(second.rc == 0);
  CHECK(lines(second.out) == 121);
  CHECK(contains(second.out, "\n101 "));
  CHECK(contains(second.err, "--after 220"));
  auto last = a.run({"list", "--after", "220"});
  CHECK(lines(last.out) == 11);
  CHECK_FALSE(contains(last.err, "--after"));
  auto csv = a.run({"list", "--csv"});
  REQUIRE(csv.rc == 0);
  CHECK(lines(csv.out) == 231);
  auto json = a.run({"list", "--json", "--after", "200"});
  REQUIRE(json.rc == 0);
  CHECK(contains(json.out, "[\n  {\"seq\": \"201\""));
  CHECK(contains(json.out, "{\"seq\": \"230\""));
  CHECK(contains(json.out, "}\n]\n"));
  auto none = a.run({"find", "--after", "230"});
  CHECK(none.rc == 6);
}

TEST_CASE("find --name ignores case and accents and matches part of a name") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  auto args = Agent::enroll_args(1);
  args[4] = "Dédé Sunarti";
  REQUIRE(a.run(args).rc == 0);
  args = Agent::enroll_args(2);
  args[4] = "Siti Aminah";
  REQUIRE(a.run(args).rc == 0);
  for (const char* part : {"dede", "DÉDÉ", "sunar", "é sun", "ede su"}) {
    auto r = a.run({"find", "--name", part, "--csv"});
    INFO(part);
    CHECK(r.rc == 0);
    CHECK(contains(r.out, "Dédé Sunarti"));
    CHECK_FALSE(contains(r.out, "Siti"));
  }
  CHECK(contains(a.run({"list", "--name", "aminah"}).out, "Siti Aminah"));
  CHECK(contains(a.run({"find", "--name", "Si"}).out, "Siti Aminah"));  // shorter than a trigram
  CHECK(a.run({"find", "--name", "budi"}).rc == 6);
}

TEST_CASE("--verdict filters by the server's verdict once it answered, with the whole reason") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  for (int i = 1; i <= 4; ++i) REQUIRE(a.run(Agent::enroll_args(i)).rc == 0);
  server_says(a, 3, {lontar::domain::Outcome::rejected, {{"duplicate_enrollment", "enrolled already by SBY-DARMO"}}});
  server_says(a, 1, {});
  auto rejected = a.run({"list", "--entries", "--verdict", "rejected", "--csv"});
  REQUIRE(rejected.rc == 0);
  CHECK(lines(rejected.out) == 2);
  CHECK(contains(rejected.out, "duplicate_enrollment: enrolled already by SBY-DARMO"));
  CHECK(contains(rejected.out, "\r\n3,"));
  auto accepted = a.run({"list", "--verdict", "accepted", "--csv"});
  CHECK(lines(accepted.out) == 4);  // header + 1, 2, 4 (2 and 4 by their local verdict)
  CHECK_FALSE(contains(accepted.out, Agent::nik(3)));
  CHECK(lines(a.run({"find", "--sync", "synced", "--csv"}).out) == 3);
}

TEST_CASE("a store made before the lookup columns gets them at its next open") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  auto args = Agent::enroll_args(1);
  args[4] = "Dédé Sunarti";
  REQUIRE(a.run(args).rc == 0);
  REQUIRE(a.run(Agent::enroll_args(2)).rc == 0);
  server_says(a, 2, {lontar::domain::Outcome::rejected, {{"duplicate_enrollment", "enrolled elsewhere"}}});
  {
    auto db = lontar::store::Db::open(a.data() + "/agent.db");
    REQUIRE(db.ok());
    REQUIRE((*db)
                ->exec("DROP INDEX entries_outcome; DROP TABLE entry_names; ALTER TABLE entries DROP COLUMN outcome")
                .ok());
  }
  CHECK(contains(a.run({"find", "--name", "dede"}).out, "Dédé Sunarti"));
  auto rejected = a.run({"list", "--verdict", "rejected", "--csv"});
  CHECK(lines(rejected.out) == 2);
  CHECK(contains(rejected.out, Agent::nik(2)));
  CHECK(a.count("SELECT count(*) FROM entries WHERE outcome = 2") == 1);
}

TEST_CASE("show --nik gathers enrollment, updates, contributions and voids, each with its state") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  REQUIRE(a.run(Agent::enroll_args(1)).rc == 0);
  REQUIRE(a.run({"update", "--nik", Agent::nik(1), "--phone", "0812-3456-7890"}).rc == 0);
  REQUIRE(
      a.run({"contribute", "--nik", Agent::nik(1), "--first-month", "2018-05", "--jkk", "10000", "--receipt", "R/1"})
          .rc == 0);
  REQUIRE(a.run({"void", "--seq", "3", "--reason", "paid twice", "--confirm"}).rc == 0);
  auto shown = a.run({"show", "--nik", Agent::nik(1), "--json"});
  REQUIRE(shown.rc == 0);
  CHECK(contains(shown.out, "\"updates\": [\n  {\"seq\": \"2\""));
  CHECK(contains(shown.out, "\"phone\": \"081234567890\""));
  CHECK(contains(shown.out, "\"receipt_no\": \"R/1\", \"voided\": \"yes\""));
  CHECK(contains(shown.out, "\"voids\": [\n  {\"seq\": \"4\""));
  CHECK(contains(shown.out, "\"target\": \"SBY-RUNGKUT#3\", \"reason\": \"paid twice\""));
  CHECK(contains(shown.out, "\"synced\": \"no\""));
  auto human = a.run({"show", "--nik", Agent::nik(1)});
  CHECK(contains(human.out, "updates:"));
  CHECK(contains(human.out, "voids:"));
}

TEST_CASE("void shows what it would cancel and records only with --confirm") {
  Agent a;
  a.env()["LANG"] = "id_ID.UTF-8";
  REQUIRE(a.init().rc == 0);
  REQUIRE(a.run(Agent::enroll_args(1)).rc == 0);
  auto preview = a.run({"void", "--seq", "1", "--reason", "salah nama"});
  CHECK(preview.rc == 4);
  CHECK(contains(preview.out, "akan dibatalkan: #1 pendaftaran peserta " + Agent::nik(1) + " Peserta 1"));
  CHECK(contains(preview.err, "--confirm"));
  CHECK(a.count("SELECT count(*) FROM entries") == 1);
  CHECK(a.run({"void", "--seq", "1", "--reason", "salah nama", "--confirm"}).rc == 0);
  CHECK(a.count("SELECT count(*) FROM entries WHERE kind = 15") == 1);
}

TEST_CASE("an update that changes nothing is refused; a real change is recorded") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  REQUIRE(a.run(Agent::enroll_args(1)).rc == 0);
  auto empty = a.run({"update", "--nik", Agent::nik(1)});
  CHECK(empty.rc == 1);
  CHECK(contains(empty.err, "nothing to change"));
  REQUIRE(a.run({"update", "--nik", Agent::nik(1), "--phone", "081234567890"}).rc == 0);
  auto same = a.run({"update", "--nik", Agent::nik(1), "--phone", "+62 812-3456-7890"});
  CHECK(same.rc == 1);
  CHECK(contains(same.err, "nothing changes"));
  CHECK(a.run({"update", "--nik", Agent::nik(1), "--address", "Jl. Kenjeran 1"}).rc == 0);
  CHECK(a.count("SELECT count(*) FROM entries WHERE kind = 11") == 2);
}

TEST_CASE("a typed NIK of the wrong length or a name too long gets a column-level message") {
  Agent a;
  a.env()["LANG"] = "id_ID.UTF-8";
  REQUIRE(a.init().rc == 0);
  auto args = Agent::enroll_args(1);
  args[2] += "123456";
  auto r = a.run(args);
  CHECK(r.rc == 1);
  CHECK(contains(r.err, "--nik: NIK harus 16 angka, yang ini 22 angka"));
  CHECK_FALSE(contains(r.err, "bytes"));
  args = Agent::enroll_args(1);
  args[4] = std::string(129, 'a');
  r = a.run(args);
  CHECK(r.rc == 1);
  CHECK(contains(r.err, "--name: 129 karakter, lebih dari batas 128"));
  CHECK(a.run({"update", "--nik", "35780112018000012", "--phone", "0812"}).rc == 1);
  CHECK(a.count("SELECT count(*) FROM entries") == 0);
}

// The agent store's sync bookkeeping, used in-process (the sync client's view).
#include <doctest/doctest.h>

#include "agent_process.hpp"
#include "office.hpp"

using lontar::test::Agent;

TEST_CASE("an acknowledged entry leaves the outbox, keeps its receipt, and shows as synced") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  for (int i = 1; i <= 2; ++i) REQUIRE(a.run(Agent::enroll_args(i)).rc == 0);
  {
    auto office = lontar::agent::open_office(a.data(), std::nullopt);
    REQUIRE(office.ok());
    auto& store = *office->store;
    auto tx = store.begin();
    REQUIRE(tx.ok());
    lontar::domain::Verdict v;
    CHECK(store.acknowledge(1, 41, v).ok());
    CHECK(store.acknowledge(1, 41, v).ok());  // idempotent
    CHECK(store.acknowledge(9, 42, v).error().code == lontar::Code::conflict);
    lontar::agent::Store::Checkpoint cp{43, lontar::Hash{7}, "lontar.example/log\n43\n...\n"};
    CHECK(store.save_checkpoint(cp).ok());
    CHECK(tx->commit().ok());
    auto r = store.receipt(1);
    REQUIRE(r.ok());
    REQUIRE(r->has_value());
    CHECK((*r)->leaf_index == 41);
    CHECK(store.receipt(2)->has_value() == false);
    CHECK(store.count_outbox().value() == 1);
    auto got = store.checkpoint();
    REQUIRE(got.ok());
    REQUIRE(got->has_value());
    CHECK((*got)->size == 43);
  }
  auto unsynced = a.run({"find", "--sync", "unsynced", "--csv"});
  CHECK(lontar::test::contains(unsynced.out, Agent::nik(2)));
  CHECK(!lontar::test::contains(unsynced.out, Agent::nik(1)));
  auto status = a.run({"status"});
  CHECK(lontar::test::contains(status.out, "2 recorded, 1 not yet synced"));
  CHECK(lontar::test::contains(status.out, "tree size 43"));
  auto out = a.dir().file("carry.lontar");
  REQUIRE(a.run({"export", "--out", out}).rc == 0);
  CHECK(lontar::test::contains(lontar::test::slurp(out), "entries: 2..2"));
}

TEST_CASE("date filters bound the seq walk through the recorded-time index, alone or with a kind or a verdict") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  for (int i = 1; i <= 3; ++i) REQUIRE(a.run(Agent::enroll_args(i)).rc == 0);
  auto office = lontar::agent::open_office(a.data(), std::nullopt);
  REQUIRE(office.ok());
  auto& store = *office->store;
  using Q = lontar::agent::Store::EntryQuery;
  Q day;
  day.office_id = office->id;
  day.from_ms = 0;
  day.to_ms = 4'102'444'800'000;  // 2100-01-01
  Q listed = day;                 // `list --date`: participants
  listed.kind = lontar::domain::EntryKind::participant_enroll;
  Q rejected = day;
  rejected.outcome = lontar::domain::Outcome::rejected;
  Q until = day;  // `--to` alone
  until.from_ms.reset();
  for (const Q& q : {day, listed, rejected, until}) {
    auto plan = store.query_plan(q);
    REQUIRE(plan.ok());
    INFO(*plan);
    // One range of the recorded-time index gives the seq bounds; the walk is in seq order, bounded.
    CHECK(
        lontar::test::contains(*plan, "USING COVERING INDEX entries_recorded (recorded_at_ms>? AND recorded_at_ms<?)"));
    CHECK((lontar::test::contains(*plan, "SEARCH e USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)") ||
           lontar::test::contains(*plan, "seq>? AND seq<?)")));
    CHECK_FALSE(lontar::test::contains(*plan, "SCAN e\n"));
    CHECK_FALSE(lontar::test::contains(*plan, "TEMP B-TREE"));
  }
  std::uint64_t n = 0;
  REQUIRE(store.query_entries(listed, [&](const auto&) -> lontar::Result<bool> { return ++n, true; }).ok());
  CHECK(n == 3);
  Q before = listed;
  before.to_ms = 0;
  n = 0;
  REQUIRE(store.query_entries(before, [&](const auto&) -> lontar::Result<bool> { return ++n, true; }).ok());
  CHECK(n == 0);
}

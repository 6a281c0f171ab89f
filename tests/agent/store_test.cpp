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

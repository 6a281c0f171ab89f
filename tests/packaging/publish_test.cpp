// publish_test.cpp — LogStore's before_publish hook: a checkpoint is served only after it was
// recorded, and a failure to record it serves nothing new and fails the pushes of its group.
#include <doctest/doctest.h>

#include <atomic>

#include "note/checkpoint.hpp"
#include "server/log_fixture.hpp"
#include "support/temp_dir.hpp"

namespace lontar::test {
namespace {

TEST_CASE("a checkpoint the before_publish hook refuses is not served; the next push publishes it") {
  TempDir tmp;
  std::atomic<bool> refuse{false};
  std::vector<std::pair<std::uint64_t, std::string>> recorded;
  server::LogStoreOptions o;
  o.before_publish = [&](std::uint64_t size, const std::string& note) -> Status {
    if (refuse) return Error{Code::io, "disk full"};
    recorded.emplace_back(size, note);
    return {};
  };
  auto ledger = Ledger::create(tmp.path() / "data", o);
  auto office = ledger.add_principal("SBY-RUNGKUT");
  REQUIRE_FALSE(recorded.empty());
  CHECK(recorded.back().second == ledger.store->checkpoint());
  const std::string before = ledger.store->checkpoint();
  const auto size_before = ledger.store->metrics().tree_size;

  refuse = true;
  auto batch = office.batch({enrollment(1), enrollment(2)});
  auto failed = ledger.store->push(office.caller(), batch);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code == Code::io);
  CHECK(failed.error().message.find("committed but not served") != std::string::npos);
  CHECK(failed.error().message.find("disk full") != std::string::npos);
  CHECK(ledger.store->checkpoint() == before);
  CHECK(ledger.store->metrics().tree_size == size_before);
  CHECK_FALSE(ledger.store->inclusion_proof(0, size_before + 3).ok());

  // The same batch again: replayed (nothing new), and now the pending checkpoint is published.
  refuse = false;
  auto replay = ledger.store->push(office.caller(), batch);
  REQUIRE(replay.ok());
  REQUIRE(replay->receipts.size() == 2);
  CHECK(ledger.store->metrics().tree_size == size_before + 3);
  CHECK(recorded.back().first == size_before + 3);
  CHECK(recorded.back().second == ledger.store->checkpoint());
  CHECK(replay->checkpoint == ledger.store->checkpoint());
}

}  // namespace
}  // namespace lontar::test

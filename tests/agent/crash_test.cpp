// Guarantees under faults: kill -9 at random moments, a full disk, two clerks at once.
#include <doctest/doctest.h>

#include <random>
#include <set>
#include <thread>

#include "agent_process.hpp"

using lontar::test::Agent;
using lontar::test::contains;

namespace {
std::mt19937& rng() {
  static std::mt19937 r(std::random_device{}());
  return r;
}
void sleep_us(int us) { std::this_thread::sleep_for(std::chrono::microseconds(us)); }
}  // namespace

TEST_CASE("kill -9 at random moments during single records loses nothing acknowledged and breaks nothing") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  std::set<std::string> acknowledged;
  constexpr int attempts = 40;
  for (int i = 1; i <= attempts; ++i) {
    const std::string tag = "k" + std::to_string(i);
    pid_t pid = a.spawn(Agent::enroll_args(i), tag);
    sleep_us(std::uniform_int_distribution<int>(0, 25'000)(rng()));
    ::kill(pid, SIGKILL);
    auto r = a.wait(pid, tag);
    if (r.rc == 0) acknowledged.insert(Agent::nik(i));
  }
  INFO("acknowledged " << acknowledged.size() << " of " << attempts);
  auto v = a.run({"verify"});
  CHECK(v.rc == 0);
  for (const auto& nik : acknowledged) {
    CHECK(a.count("SELECT count(*) FROM entries WHERE nik = '" + nik + "'") == 1);
  }
  // The store still takes new records after all that.
  CHECK(a.run(Agent::enroll_args(attempts + 1)).rc == 0);
  CHECK(a.run({"verify"}).rc == 0);
}

TEST_CASE("kill -9 during a large import leaves all of it or none of it") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  const std::string csv = a.dir().file("big.csv");
  constexpr int rows = 8000;
  REQUIRE(a.run({"generate-partner-csv", "--out", csv, "--tagana", std::to_string(rows)}).rc == 0);
  bool completed = false;
  for (int i = 0; i < 8 && !completed; ++i) {
    const std::string tag = "imp" + std::to_string(i);
    pid_t pid = a.spawn({"import", csv}, tag);
    // Later attempts wait longer, so that some kills land late in the import.
    sleep_us(std::uniform_int_distribution<int>(0, 60'000 * (i + 1))(rng()));
    ::kill(pid, SIGKILL);
    auto r = a.wait(pid, tag);
    const auto n = a.count("SELECT count(*) FROM entries");
    CHECK((n == 0 || n == rows));
    if (r.rc == 0) CHECK(n == rows);
    completed = n == rows;
    CHECK(a.run({"verify"}).rc == 0);
  }
  if (!completed) REQUIRE(a.run({"import", csv}).rc == 0);
  CHECK(a.count("SELECT count(*) FROM entries") == rows);
  // Killing a re-import never adds or removes anything.
  pid_t pid = a.spawn({"import", csv}, "again");
  sleep_us(std::uniform_int_distribution<int>(0, 100'000)(rng()));
  ::kill(pid, SIGKILL);
  a.wait(pid, "again");
  CHECK(a.count("SELECT count(*) FROM entries") == rows);
  CHECK(a.run({"verify"}).rc == 0);
}

TEST_CASE("a full disk at any write gives a clear error (exit 2) and loses nothing acknowledged") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  REQUIRE(a.run(Agent::enroll_args(1)).rc == 0);
  int successes = 1;
  for (int n = 1; n <= 12; ++n) {
    a.env()["LONTAR_FAIL_WRITE_AFTER"] = std::to_string(n);
    auto r = a.run(Agent::enroll_args(100 + n));
    if (r.rc == 0) {
      ++successes;
    } else {
      CHECK(r.rc == 2);
      CHECK(contains(r.err, "disk"));
    }
    a.env().erase("LONTAR_FAIL_WRITE_AFTER");
    CHECK(a.run({"verify"}).rc == 0);
    CHECK(a.count("SELECT count(*) FROM entries") == successes);
  }
  CHECK(successes < 13);  // the injection did bite
  const std::string csv = a.dir().file("list.csv");
  REQUIRE(a.run({"generate-partner-csv", "--out", csv, "--tagana", "300"}).rc == 0);
  a.env()["LONTAR_FAIL_WRITE_AFTER"] = "400";
  auto r = a.run({"import", csv});
  CHECK(r.rc == 2);
  CHECK(contains(r.err, "disk"));
  a.env().erase("LONTAR_FAIL_WRITE_AFTER");
  CHECK(a.count("SELECT count(*) FROM entries") == successes);
  CHECK(a.run({"import", csv}).rc == 0);
  CHECK(a.count("SELECT count(*) FROM entries") == successes + 300);
  CHECK(a.run({"verify"}).rc == 0);
}

TEST_CASE("two clerks recording at the same moment on one store: no lost or duplicated seq") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  constexpr int per_clerk = 15;
  auto clerk = [&a](int base, int* ok) {
    for (int i = 0; i < per_clerk; ++i) {
      const std::string tag = "c" + std::to_string(base + i);
      if (a.run(Agent::enroll_args(base + i), tag).rc == 0) ++*ok;
    }
  };
  int ok1 = 0, ok2 = 0;
  std::thread t1(clerk, 1, &ok1), t2(clerk, 1001, &ok2);
  t1.join();
  t2.join();
  CHECK(ok1 == per_clerk);
  CHECK(ok2 == per_clerk);
  CHECK(a.count("SELECT count(*) FROM entries") == 2 * per_clerk);
  CHECK(a.count("SELECT max(seq) FROM entries") == 2 * per_clerk);
  CHECK(a.run({"verify"}).rc == 0);
}

// scrub_bench — how fast the server's scrub re-reads its log (server/log/scrub.hpp).
//
// Not a test: it prints measurements. Builds a ledger of --leaves leaves (office
// enrollments pushed through LogStore::push, 1,000 per batch, as offices do), then runs
// one whole scrub pass over it (the code `lontar-server scrub` and the background scrub of
// `lontar-server run` share) on one thread, and prints leaves/s by wall clock and by that
// thread's CPU time. The background scrub's cost at a rate R is about R / (this rate) of
// one core. With --dir D and an existing D/ledger.db, the ledger is reused (not rebuilt).
//
// Usage: scrub_bench [--leaves N] [--dir D] [--passes P]
#include <time.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "log/scrub.hpp"
#include "log/sqlite_storage.hpp"
#include "server/log_fixture.hpp"

using namespace lontar;
using Clock = std::chrono::steady_clock;
using lontar::test::take;

namespace {

struct Args {
  std::uint64_t leaves = 200'000;
  int passes = 3;
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "lontar-scrub-bench";
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--leaves") {
      a.leaves = std::stoull(v);
    } else if (k == "--dir") {
      a.dir = v;
    } else if (k == "--passes") {
      a.passes = std::stoi(v);
    } else {
      std::fprintf(stderr, "usage: scrub_bench [--leaves N] [--dir D] [--passes P]\n");
      std::exit(2);
    }
  }
  return a;
}

double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

void build(const Args& a) {
  std::error_code ec;
  std::filesystem::remove_all(a.dir, ec);
  const auto t0 = Clock::now();
  auto l = test::Ledger::create(a.dir);
  test::ChainWriter office = l.add_principal("SBY-RUNGKUT");
  unsigned n = 0;
  while (l.store->metrics().tree_size < a.leaves) {
    std::vector<domain::Payload> people;
    for (int i = 0; i < 1000; ++i) people.emplace_back(test::enrollment(++n));
    take(l.store->push(office.caller(), office.batch(people)), "push");
  }
  std::printf("built %s: %llu leaves in %.1f s\n", a.dir.c_str(),
              static_cast<unsigned long long>(l.store->metrics().tree_size),
              std::chrono::duration<double>(Clock::now() - t0).count());
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  spdlog::set_level(spdlog::level::warn);
  const auto ledger = a.dir / server::ledger_file_name;
  if (!std::filesystem::exists(ledger)) build(a);
  auto storage = take(server::open_sqlite_storage(ledger.string()), "open");
  for (int pass = 1; pass <= a.passes; ++pass) {
    const auto t0 = Clock::now();
    const double c0 = thread_cpu_seconds();
    auto report = take(server::scrub(*storage), "scrub");
    const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
    const double cpu = thread_cpu_seconds() - c0;
    if (!report.clean()) {
      std::fprintf(stderr, "scrub found damage: %s\n", report.damage.front().c_str());
      return 1;
    }
    std::printf(
        "pass %d: %llu leaves, %llu tiles, %llu index rows in %.2f s wall, %.2f s CPU (one thread): "
        "%.0f leaves/s wall, %.0f leaves/s CPU\n",
        pass, static_cast<unsigned long long>(report.size), static_cast<unsigned long long>(report.tiles_checked),
        static_cast<unsigned long long>(report.entries_checked), wall, cpu, static_cast<double>(report.size) / wall,
        static_cast<double>(report.size) / cpu);
  }
  return 0;
}

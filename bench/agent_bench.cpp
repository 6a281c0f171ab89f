// agent_bench — the office agent's numbers (DESIGN.md, "What the numbers must reach"):
//   1. a single durable, sealed record: p50 / p99 latency (goal: p99 < 2 ms);
//   2. import of N enrollments from CSV vs raw SQLite inserts of the same encoded
//      entry bytes in the same run (goal: ratio >= 0.5);
//   3. peak RSS of importing 43,000 vs 400,000 rows, each in its own process
//      (goal: flat: it must not grow with the file).
// Usage: agent_bench [--records N] [--rows N] [--big-rows N] [--dir DIR]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "generate.hpp"
#include "import.hpp"
#include "office.hpp"
#include "record.hpp"

using namespace lontar;
using namespace lontar::agent;
using Clock = std::chrono::steady_clock;

namespace {

[[noreturn]] void die(const Error& e) {
  fmt::print(stderr, "agent_bench: {}\n", e.message);
  std::exit(2);
}
template <class T>
T must(Result<T> r) {
  if (!r.ok()) die(r.error());
  return std::move(r).value();
}
void must(Status s) {
  if (!s.ok()) die(s.error());
}

// CPU seconds (user + system) of this process: steadier than wall time on a shared machine.
double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::filesystem::path fresh_office(const std::filesystem::path& root, const std::string& name) {
  auto dir = root / name;
  std::filesystem::remove_all(dir);
  InitOptions o;
  o.office = "SBY-BENCH";
  must(init_office(dir, o));
  return dir;
}

void bench_records(const std::filesystem::path& root, int n) {
  auto dir = fresh_office(root, "records");
  auto office = must(open_office(dir, std::nullopt));
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(n));
  for (int i = 1; i <= n; ++i) {
    domain::ParticipantEnroll p;
    p.nik = must(domain::make_nik("3578", "01", domain::Date{1980, 1, static_cast<std::uint8_t>(1 + i % 28)},
                                  domain::Sex::male, static_cast<std::uint16_t>(1 + i / 28)))
                .str();
    p.name = "Peserta Bench";
    p.birth_date = domain::Date{1980, 1, static_cast<std::uint8_t>(1 + i % 28)};
    p.regency_code = "3578";
    p.occupation = "TAGANA";
    p.programmes = domain::programme_bit(domain::Programme::jkk) | domain::programme_bit(domain::Programme::jkm);
    p.coverage_start = domain::Date{2018, 5, 14};
    auto t0 = Clock::now();
    auto rec = must(Recorder::begin(office, "bench"));
    auto a = must(rec.append(p, false));
    if (a.status != AppendStatus::recorded) die(Error{Code::internal, "a bench record was not recorded"});
    must(rec.commit());
    us.push_back(seconds_since(t0) * 1e6);
  }
  // The floor: one raw row per durable commit, same pragmas, same disk.
  std::vector<double> raw;
  {
    const auto path = root / "raw-commit.db";
    std::filesystem::remove(path);
    auto db = must(store::Db::open(path.string()));
    must(db->exec("CREATE TABLE raw(seq INTEGER PRIMARY KEY, bytes BLOB NOT NULL)"));
    auto st = must(db->prepare("INSERT INTO raw(seq, bytes) VALUES(?1, ?2)"));
    const Bytes bytes(300, 0x5a);
    for (int i = 1; i <= n; ++i) {
      auto t0 = Clock::now();
      auto tx = must(store::Transaction::begin(*db));
      st.reset();
      must(st.bind(1, i).bind(2, ByteView(bytes)).run());
      must(tx.commit());
      raw.push_back(seconds_since(t0) * 1e6);
    }
  }
  std::sort(us.begin(), us.end());
  std::sort(raw.begin(), raw.end());
  auto pct = [](const std::vector<double>& v, double q) {
    return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
  };
  fmt::print("single record (validate, judge, append, seal, durable commit), {} records:\n", n);
  fmt::print("  p50 {:.0f} us   p99 {:.0f} us   max {:.0f} us   (goal: p99 < 2000 us) {}\n", pct(us, 0.5),
             pct(us, 0.99), us.back(), pct(us, 0.99) < 2000 ? "MET" : "NOT MET");
  fmt::print(
      "  floor: one raw 300-byte row per durable commit (WAL, synchronous=FULL), same disk: p50 {:.0f} us   "
      "p99 {:.0f} us\n",
      pct(raw, 0.5), pct(raw, 0.99));
}

struct Timing {
  double wall = 0, cpu = 0;
};

// Inserts `rows` into a fresh store with the same pragmas, one transaction.
Timing raw_insert_seconds(const std::filesystem::path& path, const std::vector<Bytes>& rows) {
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
  auto db = must(store::Db::open(path.string()));
  must(db->exec("CREATE TABLE raw(seq INTEGER PRIMARY KEY, bytes BLOB NOT NULL)"));
  auto t0 = Clock::now();
  const double c0 = cpu_seconds();
  {
    auto tx = must(store::Transaction::begin(*db));
    auto st = must(db->prepare("INSERT INTO raw(seq, bytes) VALUES(?1, ?2)"));
    std::int64_t seq = 0;
    for (const auto& b : rows) {
      st.reset();
      must(st.bind(1, ++seq).bind(2, ByteView(b)).run());
    }
    must(tx.commit());
  }
  return Timing{seconds_since(t0), cpu_seconds() - c0};
}

void bench_import(const std::filesystem::path& root, std::uint64_t rows) {
  const auto csv = root / "import.csv";
  GenerateOptions g;
  g.out = csv;
  g.tagana = rows;
  must(generate_partner_csv(g));
  auto dir = fresh_office(root, "import");
  auto office = must(open_office(dir, std::nullopt));
  ImportOptions o;
  o.file = csv;
  o.operator_id = "bench";
  auto t0 = Clock::now();
  const double c0 = cpu_seconds();
  auto s = must(import_csv(office, o));
  const Timing imp{seconds_since(t0), cpu_seconds() - c0};
  if (s.recorded != rows) die(Error{Code::internal, fmt::format("imported {} of {} rows", s.recorded, rows)});

  std::vector<Bytes> bytes;
  bytes.reserve(rows);
  auto cursor = must(office.store->entries_after(0));
  while (must(cursor.next())) bytes.emplace_back(cursor.bytes().begin(), cursor.bytes().end());
  const Timing raw = raw_insert_seconds(root / "raw.db", bytes);
  const double n = static_cast<double>(rows);
  fmt::print(
      "import of {} enrollments from CSV (parse, map, validate, judge, encode, hash, insert, apply, seal, "
      "commit):\n",
      rows);
  fmt::print(
      "  wall: import {:.2f} s = {:.0f} rows/s; raw SQLite inserts of the same entry bytes {:.3f} s = {:.0f} "
      "rows/s; ratio {:.2f}\n",
      imp.wall, n / imp.wall, raw.wall, n / raw.wall, raw.wall / imp.wall);
  fmt::print("  cpu:  import {:.2f} s = {:.0f} rows/s; raw {:.3f} s = {:.0f} rows/s; ratio {:.2f} (goal: >= 0.5) {}\n",
             imp.cpu, n / imp.cpu, raw.cpu, n / raw.cpu, raw.cpu / imp.cpu,
             raw.cpu / imp.cpu >= 0.5 ? "MET" : "NOT MET");
}

// Imports `rows` in a child process; returns its peak RSS in KiB.
long import_peak_rss_kib(const std::filesystem::path& root, std::uint64_t rows) {
  const auto csv = root / fmt::format("rss-{}.csv", rows);
  GenerateOptions g;
  g.out = csv;
  g.tagana = rows;
  must(generate_partner_csv(g));
  auto dir = fresh_office(root, fmt::format("rss-{}", rows));
  pid_t pid = ::fork();
  if (pid == 0) {
    auto office = must(open_office(dir, std::nullopt));
    ImportOptions o;
    o.file = csv;
    o.operator_id = "bench";
    auto s = must(import_csv(office, o));
    ::_exit(s.recorded == rows ? 0 : 3);
  }
  int status = 0;
  rusage ru{};
  ::wait4(pid, &status, 0, &ru);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die(Error{Code::internal, "the RSS child failed"});
  std::filesystem::remove(csv);
  std::filesystem::remove_all(dir);
  return ru.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  int records = 2000;
  std::uint64_t rows = 43'000, big_rows = 400'000;
  std::filesystem::path root =
      std::filesystem::temp_directory_path() / fmt::format("lontar-agent-bench-{}", ::getpid());
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--records")) records = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--rows")) rows = std::strtoull(argv[i + 1], nullptr, 10);
    if (!std::strcmp(argv[i], "--big-rows")) big_rows = std::strtoull(argv[i + 1], nullptr, 10);
    if (!std::strcmp(argv[i], "--dir")) root = argv[i + 1];
  }
  std::filesystem::create_directories(root);
  fmt::print("agent_bench in {}\n", root.string());
  bench_records(root, records);
  bench_import(root, rows);
  const long small = import_peak_rss_kib(root, rows);
  const long big = import_peak_rss_kib(root, big_rows);
  fmt::print("peak RSS importing {} rows: {} KiB; {} rows: {} KiB; growth {:.2f}x for {:.1f}x the rows\n", rows, small,
             big_rows, big, static_cast<double>(big) / static_cast<double>(small),
             static_cast<double>(big_rows) / static_cast<double>(rows));
  std::filesystem::remove_all(root);
  return 0;
}

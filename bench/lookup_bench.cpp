// lookup_bench — the clerk's lookups on a large office, through the real lontar-agent
// binary (process start, store open, query, print: what a clerk waits for):
//   1. an office of N enrollments (default 400,000) imported from a generated
//      partner list; the server's verdicts stored as a sync would (1 in 200 rejected,
//      1 in 500 flagged, the rest accepted);
//   2. p50 / p99 wall time of: the first page of `list`, a page deep in `list
//      --after`, `find --name` (part of a name, folded), `show --nik`, `list --entries
//      --verdict rejected`, `list --date` (goal: each p99 < 50 ms);
//   3. a full `list --csv` and `list --json`: rows/s (goal >= 100,000 rows/s) and the
//      child's peak RSS, next to the peak RSS of a `list --limit 10` (flat memory).
// Usage: lookup_bench [--entries N] [--runs N] [--dir DIR] [--keep] [--reuse]
//   --keep leaves the office in DIR; --reuse (implies --keep) uses the office a
//   previous --keep run left there instead of building it again.
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "generate.hpp"
#include "import.hpp"
#include "office.hpp"
#include "values.hpp"

using namespace lontar;
using namespace lontar::agent;
using Clock = std::chrono::steady_clock;

namespace {

[[noreturn]] void die(const std::string& message) {
  fmt::print(stderr, "lookup_bench: {}\n", message);
  std::exit(2);
}
template <class T>
T must(Result<T> r) {
  if (!r.ok()) die(r.error().message);
  return std::move(r).value();
}
void must(Status s) {
  if (!s.ok()) die(s.error().message);
}

struct Run {
  double ms = 0;
  double cpu_ms = 0;  // the child's user + system time
  long rss_kib = 0;
  int status = 0;
  std::uint64_t bytes = 0;
};

// Runs lontar-agent with `args`, stdout to `out` (or /dev/null); waits for it.
Run run_agent(const std::vector<std::string>& args, const std::string& out = "/dev/null") {
  std::vector<char*> argv;
  std::string bin = LONTAR_AGENT_BINARY;
  argv.push_back(bin.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  // posix_spawn (not fork): the child's peak RSS is then its own, not this
  // process's pages copied at fork.
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ::posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  const auto t0 = Clock::now();
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) die(fmt::format("cannot run {}: {}", bin, std::strerror(spawned)));
  int status = 0;
  rusage ru{};
  ::wait4(pid, &status, 0, &ru);
  Run r;
  r.ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  r.rss_kib = ru.ru_maxrss;
  auto ms = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_usec) / 1e3; };
  r.cpu_ms = ms(ru.ru_utime) + ms(ru.ru_stime);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  std::error_code ec;
  if (out != "/dev/null") r.bytes = std::filesystem::file_size(out, ec);
  return r;
}

double pct(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
}

// Imports `entries` generated enrollments into a new office at `dir` (unless
// `reuse` and one is there), stores the server's verdicts, and writes to
// `picks_file` two NIKs, a name, the entry count and how many are flagged.
void build_office(const std::filesystem::path& dir, const std::filesystem::path& csv, std::uint64_t entries, bool reuse,
                  const std::filesystem::path& picks_file) {
  if (!reuse || !std::filesystem::exists(dir / db_file_name)) {
    std::filesystem::remove_all(dir);
    InitOptions init;
    init.office = "SBY-BENCH";
    must(init_office(dir, init));
    GenerateOptions g;
    g.out = csv;
    g.tagana = entries;
    must(generate_partner_csv(g));
    auto office = must(open_office(dir, std::nullopt));
    ImportOptions o;
    o.file = csv;
    o.operator_id = "bench";
    const auto t0 = Clock::now();
    auto s = must(import_csv(office, o));
    fmt::print("  import: {} recorded in {:.1f} s\n", s.recorded,
               std::chrono::duration<double>(Clock::now() - t0).count());
    if (s.recorded != entries) die(fmt::format("imported {} of {} rows", s.recorded, entries));
    // The server's verdicts, as a sync stores them.
    const auto t1 = Clock::now();
    auto tx = must(office.store->begin());
    domain::Verdict rejected{domain::Outcome::rejected, {{"duplicate_enrollment", "already enrolled elsewhere"}}};
    domain::Verdict flagged{domain::Outcome::flagged, {{"late_enrollment", "enrolled after the event"}}};
    for (std::uint64_t seq = 1; seq <= entries; ++seq) {
      const domain::Verdict& v = seq % 200 == 0 ? rejected : seq % 500 == 0 ? flagged : domain::Verdict{};
      must(office.store->acknowledge(seq, seq - 1, v));
    }
    must(tx.commit());
    fmt::print("  server verdicts stored for every entry in {:.1f} s\n",
               std::chrono::duration<double>(Clock::now() - t1).count());
  }
  {
    std::string some_nik, deep_nik, a_name;
    std::uint64_t flagged_count = 0;
    auto office = must(open_office(dir, std::nullopt));
    entries = must(office.store->count_entries());
    Store::EntryQuery q;
    q.office_id = office.id;
    auto pick = [&](std::uint64_t seq, std::string& nik, std::string* name) {
      q.seq = seq;
      q.kind = domain::EntryKind::participant_enroll;
      must(office.store->query_entries(q, [&](const Store::ListedEntry& e) -> Result<bool> {
        nik = std::string(e.nik);
        if (name) *name = std::string(e.name);
        return false;
      }));
    };
    q.outcome = domain::Outcome::flagged;
    flagged_count =
        must(office.store->query_entries(q, [](const Store::ListedEntry&) -> Result<bool> { return true; }));
    q.outcome.reset();
    pick(17, some_nik, nullptr);
    pick(entries - 3, deep_nik, &a_name);
    std::ofstream out(picks_file);
    out << some_nik << '\n' << deep_nik << '\n' << a_name << '\n' << entries << ' ' << flagged_count << '\n';
    if (!out) die("cannot write " + picks_file.string());
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t entries = 400'000;
  int runs = 100;
  bool keep = false, reuse = false;
  std::filesystem::path root =
      std::filesystem::temp_directory_path() / fmt::format("lontar-lookup-bench-{}", ::getpid());
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    const std::string arg = argv[i];
    if (arg == "--entries" && has_value) {
      entries = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--runs" && has_value) {
      runs = std::atoi(argv[++i]);
    } else if (arg == "--dir" && has_value) {
      root = argv[++i];
    } else if (arg == "--keep") {
      keep = true;
    } else if (arg == "--reuse") {
      reuse = keep = true;
    } else {
      die(fmt::format("unknown option {}; usage: lookup_bench [--entries N] [--runs N] [--dir DIR] [--keep] [--reuse]",
                      arg));
    }
  }
  std::filesystem::create_directories(root);
  const auto dir = root / "office";
  const auto csv = root / "partners.csv";
  fmt::print("lookup_bench in {}: an office of {} enrollments, {} runs per lookup, binary {}\n", root.string(), entries,
             runs, LONTAR_AGENT_BINARY);

  // 1. The office, built and read in a child process: this process stays small, so
  // that the peak RSS of the lontar-agent processes it starts is their own (Linux
  // carries a parent's peak over fork and exec).
  std::fflush(stdout);
  const auto picks_file = root / "picks";
  if (pid_t builder = ::fork(); builder == 0) {
    build_office(dir, csv, entries, reuse, picks_file);
    std::fflush(stdout);
    ::_exit(0);
  } else {
    int status = 0;
    ::waitpid(builder, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("building the office failed");
  }
  std::string some_nik, deep_nik, a_name;
  std::uint64_t mid_seq = 0, flagged_count = 0;
  {
    std::ifstream in(picks_file);
    std::getline(in, some_nik);
    std::getline(in, deep_nik);
    std::getline(in, a_name);
    in >> entries >> flagged_count;
    if (!in) die("cannot read " + picks_file.string());
    mid_seq = entries / 2;
  }
  // Part of a name, lower case: the first word's middle and the second word's start.
  std::string part = a_name;
  if (auto sp = part.find(' '); sp != std::string::npos && sp + 3 < part.size()) part = part.substr(1, sp + 2);
  for (auto& c : part) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string data = dir.string();

  // 2. Lookups.
  struct Lookup {
    std::string what;
    std::vector<std::string> args;
    bool goal = true;  // the p99 goal applies (a page, or one person)
  };
  // The bench's entries were all recorded today (UTC): `--date` today bounds the walk
  // by the whole store, and a day without entries finds its bounds empty.
  char today[16];
  {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(today, sizeof today, "%Y-%m-%d", &tm);
  }
  const std::vector<Lookup> lookups = {
      {"list (first page, 100 rows)", {"--data", data, "list"}},
      {fmt::format("list --after {} (a page deep in the store)", mid_seq),
       {"--data", data, "list", "--after", std::to_string(mid_seq)}},
      {fmt::format("find --name '{}' (part of a name, folded)", part), {"--data", data, "find", "--name", part}},
      {"show --nik (the newest person)", {"--data", data, "show", "--nik", deep_nik}},
      {"show --nik (an early person)", {"--data", data, "show", "--nik", some_nik}},
      {"list --entries --verdict rejected (first page)",
       {"--data", data, "list", "--entries", "--verdict", "rejected"}},
      {"list --date TODAY (first page; every entry is from today)", {"--data", data, "list", "--date", today}},
      {"list --entries --date 2001-01-01 (a day without entries)",
       {"--data", data, "list", "--entries", "--date", "2001-01-01"}},
      {fmt::format("list --verdict flagged --json (every flagged: {} rows)", flagged_count),
       {"--data", data, "list", "--verdict", "flagged", "--json"},
       false},
  };
  bool all_met = true;
  for (const auto& l : lookups) {
    std::vector<double> ms, cpu;
    for (int i = 0; i < runs; ++i) {
      auto r = run_agent(l.args);
      if (r.status != 0) die(fmt::format("{} exited {}", l.what, r.status));
      ms.push_back(r.ms);
      cpu.push_back(r.cpu_ms);
    }
    const double p99 = pct(ms, 0.99);
    if (l.goal) all_met = all_met && p99 < 50;
    fmt::print("  {:<58} wall p50 {:6.1f} ms  p99 {:6.1f} ms  {:<26}  cpu p50 {:5.1f} ms  p99 {:5.1f} ms\n", l.what,
               pct(ms, 0.5), p99,
               !l.goal      ? "(no goal: every row)"
               : p99 < 50.0 ? "(goal p99 < 50 ms) MET"
                            : "(goal p99 < 50 ms) NOT MET",
               pct(cpu, 0.5), pct(cpu, 0.99));
  }
  // The floor: the same binary doing nothing but parse --version.
  {
    std::vector<double> ms, cpu;
    for (int i = 0; i < runs; ++i) {
      auto r = run_agent({"--version"});
      ms.push_back(r.ms);
      cpu.push_back(r.cpu_ms);
    }
    fmt::print("  {:<58} wall p50 {:6.1f} ms  p99 {:6.1f} ms  {:<28}  cpu p50 {:5.1f} ms  p99 {:5.1f} ms\n",
               "floor: `lontar-agent --version` (process start only)", pct(ms, 0.5), pct(ms, 0.99), "", pct(cpu, 0.5),
               pct(cpu, 0.99));
  }

  // 3. Full exports.
  // Peak RSS of a 10-row, a half and a full export: bounded by SQLite's page cache
  // (16 MiB, agent/store.cpp), not by the number of rows.
  const long small_rss = run_agent({"--data", data, "list", "--csv", "--limit", "10"}).rss_kib;
  const long half_rss = run_agent({"--data", data, "list", "--csv", "--limit", std::to_string(entries / 2)}).rss_kib;
  fmt::print("  peak RSS of list --csv: 10 rows {} KiB; {} rows {} KiB\n", small_rss, entries / 2, half_rss);
  for (const char* format : {"--csv", "--json"}) {
    const auto out = (root / fmt::format("export{}", format + 1)).string();
    auto r = run_agent({"--data", data, "list", format}, out);
    if (r.status != 0) die(fmt::format("list {} exited {}", format, r.status));
    const double rate = static_cast<double>(entries) / (r.ms / 1000);
    fmt::print(
        "  list {} of {} participants: wall {:.2f} s = {:.0f} rows/s (goal >= 100000 rows/s) {}; cpu {:.2f} s = "
        "{:.0f} rows/s; {:.1f} MB; peak RSS {} KiB (a 10-row list: {} KiB)\n",
        format, entries, r.ms / 1000, rate, rate >= 100'000 ? "MET" : "NOT MET", r.cpu_ms / 1000,
        static_cast<double>(entries) / (r.cpu_ms / 1000), static_cast<double>(r.bytes) / 1e6, r.rss_kib, small_rss);
    all_met = all_met && (std::strcmp(format, "--csv") != 0 || rate >= 100'000);
    std::filesystem::remove(out);
  }
  if (!keep) std::filesystem::remove_all(root);
  return all_met ? 0 : 1;
}

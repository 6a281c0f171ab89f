// audit_bench — full and incremental audit of a generated ledger, against the
// SHA-256 and Ed25519 rates measured in the same run (DESIGN.md, "What the numbers
// must reach": a full audit of 1,000,000 leaves at >= 100,000 leaves/s, flat memory).
//
//   audit_bench [--leaves N] [--keep DIR]
//
// Builds a ledger of N leaves (default 1,000,000) with the project's own code
// (chain, the real rules engine for verdicts, merkle, note; tests/audit/ledger.hpp),
// writes it as a C2SP tile directory, then runs the real lontar-audit binary on it
// (a child process, so its peak memory is its own), appends 1,000 leaves and
// re-audits. Prints one line per measurement.
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ledger.hpp"
#include "rules/overlay_state.hpp"
#include "rules/rules.hpp"
#include "store/db.hpp"

namespace {

using namespace lontar;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr std::size_t entries_per_push = 100;
constexpr std::size_t offices = 20;
constexpr std::size_t replay_sample_entries = 100'000;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct ChildRun {
  int exit_code = -1;
  double seconds = 0;
  double cpu_seconds = 0;  // user + system time of the child
  std::string output;
};

// Runs `argv` as a child, captures stdout, and reports its CPU time (wait4). Its peak
// memory comes from its own JSON (getrusage inside it): a forked child's ru_maxrss would
// count this generator's pages too.
ChildRun run_child(const std::vector<std::string>& argv) {
  ChildRun r;
  int fds[2];
  if (pipe(fds) != 0) return r;
  auto start = Clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  char buf[4096];
  ssize_t n = 0;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) r.output.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  r.seconds = seconds_since(start);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.cpu_seconds = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                  static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  return r;
}

// The generated workload: offices enroll people, then pay contributions for them.
struct Generator {
  test::LedgerBuilder& b;
  std::vector<test::Principal*> office;
  std::uint64_t person = 0;
  std::uint64_t receipt = 0;

  void push_one() {
    test::Principal& p = *office[(person / entries_per_push) % office.size()];
    std::vector<domain::Payload> batch;
    batch.reserve(entries_per_push);
    std::uint64_t first = person;
    for (std::size_t i = 0; i < entries_per_push; ++i) {
      // Half enrollments, half contributions for people just enrolled by this push.
      if (i % 2 == 0) {
        batch.push_back(test::enroll(person++, i % 6 ? "TAGANA" : "KPM_PKH"));
      } else {
        batch.push_back(
            test::contribution(first + i / 2, p.principal() + "/" + std::to_string(receipt++), {2018, 5}, 3));
      }
    }
    b.push(p, batch);
  }
};

double sha256_rate(std::size_t message_bytes) {
  Bytes msg(message_bytes, 0x5a);
  constexpr int n = 400'000;
  auto t = Clock::now();
  Hash h{};
  for (int i = 0; i < n; ++i) {
    msg[0] = static_cast<std::uint8_t>(i);
    h = crypto::sha256(msg);
  }
  double s = seconds_since(t);
  if (h[0] == 0x42 && h[1] == 0x42) std::printf(" ");  // keep the loop
  return n / s;
}

// Entries per second through rules::judge_and_apply over a fresh SQLite state in one
// transaction: the part of an audit that cannot run in parallel. With `overlay`, through
// a rules::OverlayState over it, its flush (multi-row INSERTs) included in the time; with
// `fresh`, an overlay told that its base is empty, as lontar-audit's first audit does
// (no reads of the tables during the replay, one bulk write at the end).
// The rates per wall second and per CPU second of this thread (the machine may be shared).
struct Rate {
  double wall = 0, cpu = 0;
};
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}
Rate rules_replay_rate(const std::vector<chain::Entry>& entries, const fs::path& file, bool overlay,
                       bool fresh = false) {
  auto db = store::Db::open(file.string());
  auto state = rules::make_sqlite_state(**db, rules::NikKey{});
  auto tx = store::Transaction::begin(**db);
  auto t = Clock::now();
  const double cpu = thread_cpu_seconds();
  std::optional<rules::OverlayState> batch;
  if (overlay) {
    batch.emplace(**state, std::size_t{2} << 20,
                  fresh ? rules::OverlayState::Base::empty : rules::OverlayState::Base::any);
  }
  rules::State& through = batch ? static_cast<rules::State&>(*batch) : **state;
  for (const auto& e : entries) {
    if (!rules::judge_and_apply(e, through).ok()) std::printf("rules replay failed\n");
  }
  if (batch && !batch->flush().ok()) std::printf("rules replay flush failed\n");
  double s = seconds_since(t);
  double c = thread_cpu_seconds() - cpu;
  if (!tx->commit().ok()) std::printf("rules replay commit failed\n");
  const auto n = static_cast<double>(entries.size());
  return {n / s, n / c};
}

double ed25519_verify_rate() {
  auto key = crypto::PrivateKey::generate();
  Bytes msg(120, 0x33);
  auto sig = key->sign(msg);
  auto pub = key->public_key();
  constexpr int n = 20'000;
  int ok = 0;
  auto t = Clock::now();
  for (int i = 0; i < n; ++i) ok += crypto::verify(pub, msg, sig) ? 1 : 0;
  double s = seconds_since(t);
  if (ok != n) std::printf("ed25519 verify failed\n");
  return n / s;
}

// Member `name` of the JSON object on the last line of `output` (lontar-audit verify --json), as text.
std::string json_field(const std::string& output, const std::string& name) {
  std::string last;
  for (std::size_t at = 0; at < output.size();) {
    const auto end = std::min(output.find('\n', at), output.size());
    if (output[at] == '{') last = output.substr(at, end - at);
    at = end + 1;
  }
  auto j = nlohmann::json::parse(last, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains(name)) return "?";
  return j[name].dump();
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t leaves_target = 1'000'000;
  std::string keep;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--leaves") == 0) leaves_target = std::stoull(argv[i + 1]);
    if (std::strcmp(argv[i], "--keep") == 0) keep = argv[i + 1];
  }
  std::string audit_bin = LONTAR_AUDIT_BIN;  // the real binary, built with this benchmark
  fs::path dir =
      keep.empty() ? fs::temp_directory_path() / ("lontar-audit-bench-" + std::to_string(getpid())) : fs::path(keep);
  fs::remove_all(dir);

  // 1. Generate.
  auto t = Clock::now();
  test::LogWriter writer(dir / "log");
  std::uint64_t leaf_bytes_total = 0;
  std::vector<chain::Entry> sample;  // the first entries, to time the rules replay alone
  test::LedgerBuilder b([&](const chain::Leaf& l) {
    if (l.type == chain::LeafType::entry && sample.size() < replay_sample_entries) sample.push_back(l.entry);
    Bytes bytes = test::encode_leaf(l);
    leaf_bytes_total += bytes.size();
    writer.append(bytes);
  });
  Generator g{b, {}};
  for (std::size_t i = 0; i < offices; ++i) g.office.push_back(&b.add_office("OFFICE-" + std::to_string(i)));
  while (writer.size() + entries_per_push + 1 <= leaves_target) g.push_one();
  writer.publish(b.log_key(), test::LedgerBuilder::origin);
  std::uint64_t size = writer.size();
  std::size_t mean_leaf = static_cast<std::size_t>(leaf_bytes_total / size);
  if (!keep.empty()) std::printf("kept in %s; verifier key %s\n", dir.c_str(), b.verifier_key().c_str());
  std::printf("generated %llu leaves (mean %zu bytes) in %.1f s\n", static_cast<unsigned long long>(size), mean_leaf,
              seconds_since(t));

  // 2. Limits measured in this run.
  std::fflush(stdout);
  double sha = sha256_rate(mean_leaf);
  double ed = ed25519_verify_rate();
  std::printf("SHA-256 of one %zu-byte leaf: %.0f /s; Ed25519 verify: %.0f /s (one core)\n", mean_leaf, sha, ed);
  Rate replay = rules_replay_rate(sample, dir / "replay.sqlite", false);
  std::printf(
      "rules replay alone (judge_and_apply, SQLite state, first %zu entries): %.0f entries/s, %.0f per CPU second "
      "(one core)\n",
      sample.size(), replay.wall, replay.cpu);
  Rate overlay = rules_replay_rate(sample, dir / "replay-overlay.sqlite", true);
  std::printf(
      "rules replay alone through the batch overlay (multi-row flush included): %.0f entries/s, %.0f per CPU "
      "second, %.2fx (CPU)\n",
      overlay.wall, overlay.cpu, overlay.cpu / replay.cpu);
  Rate fresh = rules_replay_rate(sample, dir / "replay-fresh.sqlite", true, true);
  std::printf(
      "rules replay alone in memory (overlay over an empty base, one bulk write at the end): %.0f entries/s, %.0f "
      "per CPU second, %.2fx (CPU)\n",
      fresh.wall, fresh.cpu, fresh.cpu / replay.cpu);
  sample = {};
  std::fflush(stdout);

  // 3. Full audit.
  std::vector<std::string> args = {audit_bin, "verify",         "--dir",   (dir / "log").string(),
                                   "--key",   b.verifier_key(), "--state", (dir / "state").string(),
                                   "--json"};
  ChildRun full = run_child(args);
  double rate = static_cast<double>(size) / full.seconds;
  std::printf(
      "full audit: exit %d, %llu leaves in %.2f s = %.0f leaves/s (%.3f x SHA-256 rate, %.1f x Ed25519 "
      "verify rate); CPU %.2f s (%.0f leaves per CPU second); peak RSS %s KiB\n",
      full.exit_code, static_cast<unsigned long long>(size), full.seconds, rate, rate / sha, rate / ed,
      full.cpu_seconds, static_cast<double>(size) / full.cpu_seconds, json_field(full.output, "peak_rss_kib").c_str());
  if (full.exit_code != 0) std::printf("%s\n", full.output.c_str());

  // 4. 1,000 new leaves, then an incremental audit.
  std::uint64_t before = writer.size();
  while (writer.size() < before + 1000) g.push_one();
  writer.publish(b.log_key(), test::LedgerBuilder::origin);
  ChildRun inc = run_child(args);
  std::printf("incremental audit: exit %d, %llu new leaves (checked [%s, %s)) in %.3f s; peak RSS %s KiB\n",
              inc.exit_code, static_cast<unsigned long long>(writer.size() - before),
              json_field(inc.output, "from").c_str(), json_field(inc.output, "to").c_str(), inc.seconds,
              json_field(inc.output, "peak_rss_kib").c_str());
  if (inc.exit_code != 0) std::printf("%s\n", inc.output.c_str());

  if (keep.empty()) fs::remove_all(dir);
  return full.exit_code == 0 && inc.exit_code == 0 ? 0 : 1;
}

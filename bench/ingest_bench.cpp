// ingest_bench — the central log's ingest end to end (issue 4, DESIGN.md "What the numbers must reach").
//
// Not a test: it prints measurements, each next to limits measured in the same run.
// Everything is real: `lontar-server init` makes the ledger, the real `lontar-server run`
// serves it (HTTPS, mutual TLS 1.3, loopback, port 0, durable: WAL + synchronous=FULL, and
// the rollback guard published.checkpoint written and fsync'ed before each checkpoint is
// served), offices are registered by the admin's signed entries and push with their own
// Ed25519 keys and certificates through net::Client, the agent's HTTPS client.
//
//  1. limits: Ed25519 verify (OpenSSL, one thread), raw SQLite durable inserts of the same
//     leaf bytes (one commit per batch), and the rollback guard's atomic write + fsync alone;
//  2. sync of 43,000 enrollments from one office: CSV import at the office (not timed), then
//     the agent's own sync (agent::sync_once: push in batches, receipts, consistency proofs,
//     feed pull) against the fresh ledger;
//  3. a single-entry push under no load: p50 / p99 / max over N pushes;
//  4. bytes on the wire per entry, through a counting TCP relay (TLS records, HTTP headers,
//     handshake included): a bulk push and single-entry pushes;
//  5. ingest at 1, 4, 16, 64 concurrent offices, each with its own connection, pushing batches
//     encoded and sealed before timing: entries/s, group commits, and CPU per entry of the
//     server and of the clients (steadier than wall time on a shared machine);
//  6. the server's peak and current RSS (VmHWM, VmRSS) after each ingest run, with the tree size.
//
// Run: ninja -C build ingest_bench && build/bench/ingest_bench [--help]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "crypto/x509.hpp"
#include "encoding/encoding.hpp"
#include "generate.hpp"
#include "import.hpp"
#include "limits.hpp"
#include "log/init.hpp"
#include "log/log_store.hpp"
#include "net/client.hpp"
#include "note/note.hpp"
#include "office.hpp"
#include "server/log_fixture.hpp"
#include "server_process.hpp"
#include "store/db.hpp"
#include "sync.hpp"

using namespace lontar;
using Clock = std::chrono::steady_clock;
using test::ChainWriter;

using bench::BenchOffice;
using bench::connect;
using bench::die;
using bench::load_average;
using bench::make_bodies;
using bench::own_cpu_seconds;
using bench::require;
using bench::run_command;
using bench::seconds_since;
using bench::ServerProcess;
using bench::set_config;

namespace {

struct Args {
  std::size_t entries = 100'000;  // per ingest run
  std::size_t batch = 1'000;      // entries per push in the ingest runs
  std::vector<int> offices = {1, 4, 16, 64};
  std::uint64_t sync_rows = 43'000;
  int latency_pushes = 300;
  std::size_t wire_entries = 10'000;
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / fmt::format("lontar-ingest-bench-{}", ::getpid());
  bool keep = false;
  std::string server_binary = LONTAR_SERVER_BINARY;
};

constexpr const char* usage = R"(ingest_bench: lontar-server ingest end to end over mutual TLS on loopback.

Options (defaults in brackets; the default run takes about a minute on 2 cores):
  --entries N         entries per ingest run [100000]; 250000 with the defaults grows the log past 1,000,000 leaves
  --batch B           entries per push in the ingest runs [1000] (the agent pushes up to 10000)
  --offices LIST      concurrent offices per run, comma-separated [1,4,16,64]
  --sync-rows N       enrollments imported at one office and synced by lontar-agent's sync [43000]; 0 skips
  --latency-pushes N  single-entry pushes timed under no load [300]; 0 skips
  --wire-entries N    entries pushed through the byte-counting relay [10000]; 0 skips
  --dir D             work folder [$TMPDIR/lontar-ingest-bench-<pid>], removed at the end unless --keep
  --keep              keep the work folder (the ledger, the server's log)
  --server-binary P   the lontar-server to measure [the one built with this bench] (e.g. to compare two builds)
  --help
)";

std::vector<int> parse_list(const std::string& v) {
  std::vector<int> out;
  std::stringstream ss(v);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(std::stoi(item));
  return out;
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (k == "--help" || k == "-h") {
      std::fputs(usage, stdout);
      std::exit(0);
    }
    if (k == "--keep") {
      a.keep = true;
      continue;
    }
    if (i + 1 >= argc) die(k + " needs a value (see --help)");
    std::string v = argv[++i];
    if (k == "--entries")
      a.entries = std::stoull(v);
    else if (k == "--batch")
      a.batch = std::stoull(v);
    else if (k == "--offices")
      a.offices = parse_list(v);
    else if (k == "--sync-rows")
      a.sync_rows = std::stoull(v);
    else if (k == "--latency-pushes")
      a.latency_pushes = std::stoi(v);
    else if (k == "--wire-entries")
      a.wire_entries = std::stoull(v);
    else if (k == "--dir")
      a.dir = v;
    else if (k == "--server-binary")
      a.server_binary = v;
    else
      die("unknown option " + k + " (see --help)");
  }
  if (a.batch == 0 || a.batch > chain::batch_entries_max)
    die("--batch must be 1.." + std::to_string(chain::batch_entries_max));
  if (a.offices.empty() || *std::min_element(a.offices.begin(), a.offices.end()) < 1)
    die("--offices needs counts >= 1");
  return a;
}

// ---------------------------------------------------------------- limits

// The rollback guard alone: write_file_atomic (temp file, fsync, rename) of a checkpoint-sized note.
double guard_write_seconds(const std::filesystem::path& dir, int n) {
  std::filesystem::create_directories(dir);
  const std::string note(220, 'c');
  auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) require(crypto::write_file_atomic(dir / "published.checkpoint", note), "guard write");
  return seconds_since(t0) / n;
}

// ---------------------------------------------------------------- a counting TCP relay

// Accepts on a loopback port and relays each connection to `port`, counting the bytes each
// way: what crosses the wire, TLS records and all.
class Relay {
 public:
  explicit Relay(std::uint16_t target) : target_(target) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listener_, 16) != 0)
      die("relay listen");
    socklen_t len = sizeof a;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~Relay() {
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    acceptor_.join();
    for (auto& t : pumps_) t.join();
  }
  std::uint16_t port() const { return port_; }
  std::uint64_t up() const { return up_; }
  std::uint64_t down() const { return down_; }

 private:
  void accept_loop() {
    for (;;) {
      int c = ::accept(listener_, nullptr, nullptr);
      if (c < 0) return;
      int s = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(target_);
      if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("relay connect");
      pumps_.emplace_back([this, c, s] { pump(c, s, up_); });
      pumps_.emplace_back([this, c, s] { pump(s, c, down_); });
    }
  }
  static void pump(int from, int to, std::atomic<std::uint64_t>& count) {
    char buf[64 * 1024];
    for (;;) {
      ssize_t n = ::read(from, buf, sizeof buf);
      if (n <= 0) break;
      count += static_cast<std::uint64_t>(n);
      for (ssize_t off = 0; off < n;) {
        ssize_t w = ::write(to, buf + off, static_cast<std::size_t>(n - off));
        if (w <= 0) return;
        off += w;
      }
    }
    ::shutdown(to, SHUT_WR);
    ::shutdown(from, SHUT_RD);
  }

  std::uint16_t target_;
  std::uint16_t port_ = 0;
  int listener_ = -1;
  std::thread acceptor_;
  std::vector<std::thread> pumps_;
  std::atomic<std::uint64_t> up_{0}, down_{0};
};

// ---------------------------------------------------------------- offices

struct PushCounts {
  std::uint64_t entries = 0, accepted = 0, rejected = 0, flagged = 0;
};

void push_body(net::Client& c, const Bytes& body, PushCounts& counts) {
  auto r = require(c.call("POST", "/v1/push", as_chars(body)), "push");
  auto resp = require(encoding::decode<protocol::PushResponse>(r.bytes(), "push response"), "push response");
  for (const auto& rc : resp.receipts) {
    ++counts.entries;
    if (rc.verdict.outcome == domain::Outcome::accepted) ++counts.accepted;
    if (rc.verdict.outcome == domain::Outcome::rejected) ++counts.rejected;
    if (rc.verdict.outcome == domain::Outcome::flagged) ++counts.flagged;
  }
}

std::uint64_t metric(net::Client& c, std::string_view name) {
  auto r = require(c.call("GET", "/metrics"), "metrics");
  std::string key = std::string(name) + " ";
  for (std::size_t p = 0; (p = r.body.find(key, p)) != std::string::npos; p += key.size()) {
    if (p == 0 || r.body[p - 1] == '\n') return std::stoull(r.body.substr(p + key.size()));
  }
  die(fmt::format("/metrics has no {}", name));
}

}  // namespace

int main(int argc, char** argv) {
  bench::program_name() = "ingest_bench";
  Args a = parse(argc, argv);
  std::filesystem::remove_all(a.dir);
  std::filesystem::create_directories(a.dir);
  const auto data = a.dir / "server";
  fmt::print("ingest_bench in {} (load average {:.2f}, {} cores)\n", a.dir.string(), load_average(),
             std::thread::hardware_concurrency());

  // ---- limits
  const double verify = bench::ed25519_verify_rate();
  const double guard_s = guard_write_seconds(a.dir / "guard", 200);
  fmt::print("limit: Ed25519 verify (OpenSSL, 1 thread): {:.0f} /s\n", verify);
  fmt::print("limit: rollback guard alone (published.checkpoint: write, fsync, rename), same disk: {:.0f} us each\n",
             guard_s * 1e6);

  // ---- the ledger and its offices (registered by the admin's signed path, before the server runs)
  const std::string init_out = run_command(
      {a.server_binary, "init", "--data", data.string(), "--origin", "bench.lontar/jatim"}, a.dir / "init.out");
  auto at = init_out.find("bench.lontar/jatim+");
  if (at == std::string::npos) die("init printed no verifier key");
  const std::string verifier_key = init_out.substr(at, init_out.find('\n', at) - at);
  const crypto::PublicKey server_key = require(note::Verifier::parse(verifier_key), "verifier key").public_key();
  set_config(data / "server.toml", "port", "0");

  const int offices_max = *std::max_element(a.offices.begin(), a.offices.end());
  std::vector<BenchOffice> offices;
  std::vector<domain::Payload> registrations;
  for (int i = 0; i < offices_max; ++i) {
    const std::string id = fmt::format("OFFICE-{:03}", i);
    auto key = require(crypto::PrivateKey::generate(), "office key");
    registrations.emplace_back(test::register_office(id, key.public_key()));
    auto identity = require(net::self_signed_identity(key, id), "office certificate");
    offices.push_back({ChainWriter(id, std::move(key)), std::move(identity)});
  }
  const auto sync_dir = a.dir / "sync-office";
  std::optional<agent::Office> sync_office;
  if (a.sync_rows > 0) {
    agent::InitOptions io;
    io.office = "SBY-SYNC";
    io.name = "Surabaya sync bench";
    require(agent::init_office(sync_dir, io), "agent init");
    sync_office = require(agent::open_office(sync_dir, std::nullopt), "agent open");
    registrations.emplace_back(test::register_office(sync_office->id, sync_office->key.public_key()));
    agent::GenerateOptions g;
    g.out = a.dir / "partner.csv";
    g.tagana = a.sync_rows;
    require(agent::generate_partner_csv(g), "generate CSV");
    agent::ImportOptions im;
    im.file = g.out;
    im.operator_id = "bench";
    auto s = require(agent::import_csv(*sync_office, im), "import");
    if (s.recorded != a.sync_rows) die(fmt::format("imported {} of {} rows", s.recorded, a.sync_rows));
  }
  {
    auto log_key = require(crypto::PrivateKey::load_pem(data / server::log_key_file_name), "log key");
    auto store =
        require(server::LogStore::open((data / server::ledger_file_name).string(), std::move(log_key)), "open");
    auto [seq, hash] = require(store->head("ADMIN"), "admin head");
    ChainWriter admin("ADMIN", require(crypto::PrivateKey::load_pem(data / server::admin_key_file_name), "admin key"),
                      domain::Role::admin);
    admin.continue_from(seq, hash);
    auto r = require(store->push(admin.caller(), admin.batch(registrations)), "register offices");
    for (const auto& rc : r.receipts) {
      if (rc.verdict.outcome != domain::Outcome::accepted) die("an office registration was not accepted");
    }
  }

  ServerProcess server;
  server.data = data;
  server.log = a.dir / "server.log";
  server.start(a.server_binary);
  const std::uint16_t port = static_cast<std::uint16_t>(std::stoul(server.url.substr(server.url.rfind(':') + 1)));
  fmt::print("lontar-server run: {} (pid {}), {} offices registered\n", server.url, server.pid, registrations.size());

  // ---- 2. sync of one office's import, by the agent's own sync
  if (sync_office) {
    agent::SyncOptions so;
    so.server_url = server.url;
    so.server_key = verifier_key;
    Clock::time_point last_push;
    double office_cpu_at_last_push = 0, server_cpu_at_last_push = 0;
    so.progress = [&](const std::string& line) {
      if (line.rfind("pushed ", 0) == 0) {
        last_push = Clock::now();
        office_cpu_at_last_push = own_cpu_seconds();
        server_cpu_at_last_push = server.cpu_seconds();
      }
    };
    const double load = load_average();
    const double office_cpu0 = own_cpu_seconds(), server_cpu0 = server.cpu_seconds();
    auto t0 = Clock::now();
    auto rep = require(agent::sync_once(*sync_office, sync_dir, so), "sync");
    const double total = seconds_since(t0);
    const double office_cpu1 = own_cpu_seconds(), server_cpu1 = server.cpu_seconds();
    fmt::print(
        "sync of {} enrollments from one office (lontar-agent sync: {} pushes, then the feed pull): {:.2f} s in all, "
        "{:.2f} s to the last receipt = {:.0f} entries/s; {} accepted, {} rejected, {} flagged; "
        "load average {:.2f}\n",
        rep.entries_pushed, rep.batches, total, std::chrono::duration<double>(last_push - t0).count(),
        static_cast<double>(rep.entries_pushed) / std::chrono::duration<double>(last_push - t0).count(), rep.accepted,
        rep.rejected, rep.flagged, load);
    // The sync runs in this process (agent::sync_once): its CPU is the office's side.
    fmt::print(
        "  sync CPU: office {:.2f} s (pushes {:.2f} s, feed pull {:.2f} s), server {:.2f} s (pushes {:.2f} s, feed "
        "pull {:.2f} s)\n",
        office_cpu1 - office_cpu0, office_cpu_at_last_push - office_cpu0, office_cpu1 - office_cpu_at_last_push,
        server_cpu1 - server_cpu0, server_cpu_at_last_push - server_cpu0, server_cpu1 - server_cpu_at_last_push);
    sync_office.reset();
  }

  // ---- 3. a single-entry push under no load
  if (a.latency_pushes > 0) {
    auto bodies = make_bodies(offices[0], static_cast<std::size_t>(a.latency_pushes), 1);
    auto client = connect(server.url, offices[0], server_key);
    PushCounts counts;
    std::vector<double> us;
    const double load = load_average();
    for (const auto& b : bodies) {
      auto t0 = Clock::now();
      push_body(client, b, counts);
      us.push_back(seconds_since(t0) * 1e6);
    }
    std::sort(us.begin(), us.end());
    auto pct = [&](double q) { return us[static_cast<std::size_t>(q * static_cast<double>(us.size() - 1))]; };
    fmt::print(
        "single-entry push, no load ({} pushes, one keep-alive connection): p50 {:.0f} us, p99 {:.0f} us, max {:.0f} "
        "us (each: TLS, judge, one durable commit, checkpoint signed, guard fsync'ed); load average {:.2f}\n",
        us.size(), pct(0.5), pct(0.99), us.back(), load);
  }

  // ---- 4. bytes on the wire
  if (a.wire_entries > 0) {
    Relay relay(port);
    const std::string relay_url = fmt::format("https://127.0.0.1:{}", relay.port());
    auto bulk = make_bodies(offices[0], a.wire_entries, std::min(a.batch, a.wire_entries));
    auto singles = make_bodies(offices[0], 100, 1);
    PushCounts counts;
    std::uint64_t up0, down0;
    {
      net::ClientConfig cc;
      cc.url = relay_url;
      cc.identity = offices[0].identity;
      cc.trust.pinned_key = server_key;
      auto c = require(net::Client::create(std::move(cc)), "client");
      for (const auto& b : bulk) push_body(c, b, counts);
      up0 = relay.up();
      down0 = relay.down();
      for (const auto& b : singles) push_body(c, b, counts);
    }
    const double n = static_cast<double>(a.wire_entries);
    fmt::print(
        "bytes on the wire (TCP payload: TLS 1.3 handshake, records, HTTP): bulk, {} entries in pushes of {}: "
        "{:.0f} B/entry up, {:.0f} B/entry down; single-entry push: {:.0f} B up, {:.0f} B down\n",
        a.wire_entries, std::min(a.batch, a.wire_entries), static_cast<double>(up0) / n, static_cast<double>(down0) / n,
        static_cast<double>(relay.up() - up0) / 100.0, static_cast<double>(relay.down() - down0) / 100.0);
  }

  // ---- 5. ingest with concurrent offices
  double raw = 0;
  for (int n_offices : a.offices) {
    const std::size_t per_office = a.entries / static_cast<std::size_t>(n_offices);
    std::vector<std::vector<Bytes>> bodies(static_cast<std::size_t>(n_offices));
    std::vector<Bytes> leaves;
    for (int i = 0; i < n_offices; ++i) {
      bodies[i] = make_bodies(offices[i], per_office, a.batch, raw == 0 && i == 0 ? &leaves : nullptr);
    }
    if (raw == 0) {
      raw = bench::raw_sqlite_rate(a.dir / "raw", leaves, a.batch);
      fmt::print(
          "limit: raw SQLite inserts of the same leaf bytes (WAL, synchronous=FULL, {} rows per commit): {:.0f} /s\n",
          a.batch, raw);
    }
    std::vector<net::Client> clients;
    for (int i = 0; i < n_offices; ++i) clients.push_back(connect(server.url, offices[i], server_key));
    const std::uint64_t commits0 = metric(clients[0], "lontar_integrations_total");
    std::vector<PushCounts> counts(static_cast<std::size_t>(n_offices));
    std::barrier start(n_offices + 1);
    std::vector<std::thread> threads;
    for (int i = 0; i < n_offices; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        for (const auto& b : bodies[i]) push_body(clients[i], b, counts[i]);
      });
    }
    const double load = load_average();
    const double cpu0 = server.cpu_seconds(), client_cpu0 = own_cpu_seconds();
    const double integrator0 = server.thread_cpu_seconds("log-integrator");
    start.arrive_and_wait();
    auto t0 = Clock::now();
    for (auto& t : threads) t.join();
    const double s = seconds_since(t0);
    const double cpu = server.cpu_seconds() - cpu0, client_cpu = own_cpu_seconds() - client_cpu0;
    const double integrator = server.thread_cpu_seconds("log-integrator") - integrator0;
    const std::uint64_t commits = metric(clients[0], "lontar_integrations_total") - commits0;
    PushCounts sum;
    for (const auto& c : counts) {
      sum.entries += c.entries;
      sum.accepted += c.accepted;
      sum.rejected += c.rejected;
      sum.flagged += c.flagged;
    }
    const double rate = static_cast<double>(sum.entries) / s;
    const double n = static_cast<double>(sum.entries);
    // CPU per entry is steadier than wall time on a shared machine: what two idle cores could reach.
    const double cpu_us = 1e6 * (cpu + client_cpu) / n;
    fmt::print(
        "ingest, {:2} offices: {:.0f} entries/s ({:.2f} x raw SQLite, {:.2f} x Ed25519 verify; goal 50000 and 2 x "
        "verify: {}); {} entries ({} rejected) in {:.2f} s, {} group commits; load average {:.2f}\n"
        "  CPU per entry: server {:.1f} us (its integrator thread {:.1f} us), clients {:.1f} us; on 2 idle cores "
        "at most {:.0f} entries/s (all CPU), {:.0f} entries/s (the serial integrator)\n",
        n_offices, rate, rate / raw, rate / verify, rate >= 50'000 && rate >= 2 * verify ? "MET" : "NOT MET",
        sum.entries, sum.rejected, s, commits, load, 1e6 * cpu / n, 1e6 * integrator / n, 1e6 * client_cpu / n,
        2e6 / cpu_us, n / integrator);
    fmt::print("  server memory at {} leaves: peak RSS {} KiB, current RSS {} KiB\n",
               metric(clients[0], "lontar_tree_size"), server.status_kib("VmHWM:"), server.status_kib("VmRSS:"));
  }

  server.stop();
  if (!a.keep) std::filesystem::remove_all(a.dir);
  return 0;
}

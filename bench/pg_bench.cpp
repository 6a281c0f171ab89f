// pg_bench — the central log on PostgreSQL (issue 15): ingest with one and two `lontar-server
// run` processes on one database, failover time, and feed/tile reads served by two processes
// against one; the same measurements on the embedded SQLite store beside them.
//
// Not a test: it prints measurements, each next to limits measured in the same run. Everything
// is real: a throw-away PostgreSQL 15 cluster (tests/pg/pg_cluster.hpp: initdb + pg_ctl, as the
// postgres user when run as root), durable (fsync on, synchronous_commit on) and reached over TCP
// on 127.0.0.1; `lontar-server init --store` makes each ledger, the real `lontar-server run`
// processes serve it over mutual TLS 1.3 on loopback, offices are registered by the admin's
// signed entries and push with their own keys through net::Client, the agent's HTTPS client.
//
//  1. limits, on the same cluster in the same run: raw PostgreSQL inserts of the ingest's leaf
//     bytes (with their SHA-256, one commit per push-sized batch) by binary COPY and by
//     multi-row INSERT; raw SQLite inserts of the same bytes (bench/limits.hpp);
//  2. ingest, N offices (default 16) pushing at once: SQLite (one process), PostgreSQL with one
//     process, PostgreSQL with two processes (offices split between them); entries/s, CPU per
//     entry, database growth per entry;
//  3. failover: `kill -9` of the integrating process, then an office pushes one entry to the
//     survivor until it is accepted: time from the kill to that acceptance, several trials,
//     p50 and max (the killed process is restarted between trials, and the role alternates);
//  4. reads: feed pages (GET /v1/feed, 256 items) and full hash tiles (GET /tile/0/N) per
//     second by R concurrent clients against one process, then against two (the clients split),
//     on the same PostgreSQL ledger; and against the SQLite ledger's one process.
//
// Run: ninja -C build pg_bench && build/bench/pg_bench [--help]
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "crypto/crypto.hpp"
#include "crypto/x509.hpp"
#include "encoding/encoding.hpp"
#include "limits.hpp"
#include "log/init.hpp"
#include "log/log_store.hpp"
#include "log/pg.hpp"
#include "merkle/tiles.hpp"
#include "net/client.hpp"
#include "net/tls.hpp"
#include "note/note.hpp"
#include "pg/pg_cluster.hpp"
#include "server/log_fixture.hpp"
#include "server_process.hpp"

using namespace lontar;
using Clock = std::chrono::steady_clock;
using test::ChainWriter;

using bench::BenchOffice;
using bench::connect;
using bench::die;
using bench::load_average;
using bench::make_bodies;
using bench::require;
using bench::run_command;
using bench::seconds_since;
using bench::ServerProcess;
using bench::set_config;

namespace {

struct Args {
  std::size_t entries = 32'000;  // per ingest run
  std::size_t batch = 500;       // entries per push
  int offices = 16;
  int trials = 5;
  int readers = 8;
  double read_seconds = 3;
  std::filesystem::path dir = std::filesystem::temp_directory_path() / fmt::format("lontar-pg-bench-{}", ::getpid());
  bool keep = false;
  std::string server_binary = LONTAR_SERVER_BINARY;
};

constexpr const char* usage = R"(pg_bench: the central log on PostgreSQL against raw PostgreSQL inserts and SQLite.

Starts its own durable PostgreSQL 15 cluster (fsync on) on 127.0.0.1 in a temporary folder, and
stops it at the end. Options (defaults in brackets; the default run takes 2-3 minutes on 2 cores):
  --entries N        entries per ingest run [32000]
  --batch B          entries per push [500]
  --offices K        offices pushing at once [16]
  --trials T         kill -9 failover trials [5]; 0 skips
  --readers R        concurrent reading clients [8]
  --read-seconds S   seconds per read measurement [3]; 0 skips the reads
  --dir D            work folder [$TMPDIR/lontar-pg-bench-<pid>], removed at the end unless --keep
  --keep             keep the work folder (ledgers, the servers' logs)
  --server-binary P  the lontar-server to measure [the one built with this bench]
  --help
Exit status: 0 measured; 2 a step failed (the message says which); 77 PostgreSQL is not installed.
)";

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
      a.offices = std::stoi(v);
    else if (k == "--trials")
      a.trials = std::stoi(v);
    else if (k == "--readers")
      a.readers = std::stoi(v);
    else if (k == "--read-seconds")
      a.read_seconds = std::stod(v);
    else if (k == "--dir")
      a.dir = v;
    else if (k == "--server-binary")
      a.server_binary = v;
    else
      die("unknown option " + k + " (see --help)");
  }
  if (a.batch == 0 || a.batch > chain::batch_entries_max)
    die("--batch must be 1.." + std::to_string(chain::batch_entries_max));
  if (a.offices < 2) die("--offices must be at least 2 (two servers share them)");
  if (a.readers < 2) die("--readers must be at least 2");
  return a;
}

// ---------------------------------------------------------------- server processes

// How many times a server's log says it took or holds the integrator role.
std::size_t integrator_lines(const ServerProcess& p) {
  const std::string text = bench::slurp(p.log);
  std::size_t n = 0;
  for (const char* what : {"this process integrates", "took the integrator role"}) {
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  }
  return n;
}

// ---------------------------------------------------------------- offices

std::size_t push_body(net::Client& c, const Bytes& body) {
  auto r = require(c.call("POST", "/v1/push", as_chars(body)), "push");
  auto resp = require(encoding::decode<protocol::PushResponse>(r.bytes(), "push response"), "push response");
  return resp.receipts.size();
}

// ---------------------------------------------------------------- a ledger and its servers

struct Ledger {
  std::string name;      // for the report
  std::string store;     // "" (SQLite) or a postgresql:// URL
  std::string database;  // PostgreSQL database name
  std::vector<ServerProcess> servers;
  crypto::PublicKey server_key{};
  std::vector<BenchOffice> offices;
};

// init, offices registered by the admin (in-process, before any server runs), `processes` servers.
Ledger make_ledger(const Args& a, const std::string& name, const std::string& store, const std::string& database,
                   int processes) {
  Ledger l;
  l.name = name;
  l.store = store;
  l.database = database;
  const auto root = a.dir / name;
  const auto data = root / "server-0";
  std::vector<std::string> init = {a.server_binary, "init", "--data", data.string(), "--origin", "bench.lontar/jatim"};
  if (!store.empty()) {
    init.push_back("--store");
    init.push_back(store);
  }
  std::filesystem::create_directories(root);
  const std::string init_out = run_command(init, root / "init.out");
  auto at = init_out.find("bench.lontar/jatim+");
  if (at == std::string::npos) die("init printed no verifier key");
  const std::string verifier_key = init_out.substr(at, init_out.find('\n', at) - at);
  l.server_key = require(note::Verifier::parse(verifier_key), "verifier key").public_key();
  set_config(data / "server.toml", "port", "0");

  std::vector<domain::Payload> registrations;
  for (int i = 0; i < a.offices + 1; ++i) {  // one more: the failover trials' office
    const std::string id = fmt::format("OFFICE-{:03}", i);
    auto key = require(crypto::PrivateKey::generate(), "office key");
    registrations.emplace_back(test::register_office(id, key.public_key()));
    auto identity = require(net::self_signed_identity(key, id), "office certificate");
    l.offices.push_back({ChainWriter(id, std::move(key)), std::move(identity)});
  }
  {
    auto log_key = require(crypto::PrivateKey::load_pem(data / server::log_key_file_name), "log key");
    const std::string where = store.empty() ? (data / server::ledger_file_name).string() : store;
    auto s = require(server::LogStore::open(where, std::move(log_key)), "open the ledger");
    auto [seq, hash] = require(s->head("ADMIN"), "admin head");
    ChainWriter admin("ADMIN", require(crypto::PrivateKey::load_pem(data / server::admin_key_file_name), "admin key"),
                      domain::Role::admin);
    admin.continue_from(seq, hash);
    auto r = require(s->push(admin.caller(), admin.batch(registrations)), "register offices");
    for (const auto& rc : r.receipts) {
      if (rc.verdict.outcome != domain::Outcome::accepted) die("an office registration was not accepted");
    }
  }
  for (int i = 1; i < processes; ++i) {
    // A second server of the same ledger: a copy of the first one's folder (docs/OPERATIONS.md section 9).
    const auto other = root / fmt::format("server-{}", i);
    std::filesystem::copy(data, other, std::filesystem::copy_options::recursive);
    for (const char* f : {"server.lock", "server.port", "published.checkpoint"}) std::filesystem::remove(other / f);
    set_config(other / "server.toml", "data", "\"" + other.string() + "\"");
  }
  for (int i = 0; i < processes; ++i) {
    ServerProcess p;
    p.data = root / fmt::format("server-{}", i);
    p.log = root / fmt::format("server-{}.log", i);
    p.start(a.server_binary);
    l.servers.push_back(std::move(p));
  }
  return l;
}

// ---------------------------------------------------------------- 1. raw PostgreSQL

struct RawRates {
  double copy = 0, insert = 0;
};

void put_be(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// Rows per second of `leaves` (with their SHA-256) into a bare table, one commit per `per_commit` rows:
// binary COPY, then one multi-row INSERT per commit.
RawRates raw_pg_rates(const std::string& url, const std::vector<Bytes>& leaves, std::size_t per_commit) {
  auto c = require(server::pg::Conn::connect(url), "raw connection");
  require(c->exec("CREATE TABLE raw_copy(idx BIGINT PRIMARY KEY, leaf BYTEA NOT NULL, hash BYTEA NOT NULL);"
                  "CREATE TABLE raw_insert(idx BIGINT PRIMARY KEY, leaf BYTEA NOT NULL, hash BYTEA NOT NULL)"),
          "raw tables");
  std::vector<Hash> hashes;
  for (const auto& l : leaves) hashes.push_back(crypto::sha256(l));
  RawRates r;
  auto t0 = Clock::now();
  for (std::size_t i = 0; i < leaves.size();) {
    require(c->exec("BEGIN"), "begin");
    PGresult* res = PQexec(c->native(), "COPY raw_copy(idx, leaf, hash) FROM STDIN (FORMAT binary)");
    if (PQresultStatus(res) != PGRES_COPY_IN) die(std::string("COPY: ") + PQerrorMessage(c->native()));
    PQclear(res);
    std::string buf("PGCOPY\n\377\r\n\0", 11);
    put_be(buf, 0, 4);
    put_be(buf, 0, 4);
    for (std::size_t k = 0; k < per_commit && i < leaves.size(); ++k, ++i) {
      put_be(buf, 3, 2);
      put_be(buf, 8, 4);
      put_be(buf, i, 8);
      put_be(buf, leaves[i].size(), 4);
      buf.append(as_chars(leaves[i]));
      put_be(buf, hashes[i].size(), 4);
      buf.append(as_chars(hashes[i]));
    }
    put_be(buf, 0xffff, 2);
    if (PQputCopyData(c->native(), buf.data(), static_cast<int>(buf.size())) != 1 ||
        PQputCopyEnd(c->native(), nullptr) != 1)
      die(std::string("COPY data: ") + PQerrorMessage(c->native()));
    while (PGresult* e = PQgetResult(c->native())) {
      if (PQresultStatus(e) != PGRES_COMMAND_OK) die(std::string("COPY end: ") + PQresultErrorMessage(e));
      PQclear(e);
    }
    require(c->exec("COMMIT"), "commit");
  }
  r.copy = static_cast<double>(leaves.size()) / seconds_since(t0);

  t0 = Clock::now();
  for (std::size_t i = 0; i < leaves.size();) {
    const std::size_t n = std::min(per_commit, leaves.size() - i);
    std::string sql = "INSERT INTO raw_insert(idx, leaf, hash) VALUES ";
    server::pg::Params p;
    for (std::size_t k = 0; k < n; ++k) {
      sql += fmt::format("{}(${}, ${}, ${})", k == 0 ? "" : ", ", 3 * k + 1, 3 * k + 2, 3 * k + 3);
      p.u64(i + k).bytes(leaves[i + k]).bytes(hashes[i + k]);
    }
    require(c->exec("BEGIN"), "begin");
    require(c->query(sql, p), "multi-row insert");
    require(c->exec("COMMIT"), "commit");
    i += n;
  }
  r.insert = static_cast<double>(leaves.size()) / seconds_since(t0);
  require(c->exec("DROP TABLE raw_copy; DROP TABLE raw_insert"), "drop raw tables");
  return r;
}

// ---------------------------------------------------------------- 2. ingest

struct IngestResult {
  double rate = 0, server_cpu_us = 0, load = 0;
  std::size_t entries = 0;
};

IngestResult ingest(const Args& a, Ledger& l, std::vector<Bytes>* leaves) {
  const std::size_t per_office = a.entries / static_cast<std::size_t>(a.offices);
  std::vector<std::vector<Bytes>> bodies(static_cast<std::size_t>(a.offices));
  for (int i = 0; i < a.offices; ++i) bodies[i] = make_bodies(l.offices[i], per_office, a.batch, leaves);
  std::vector<net::Client> clients;
  for (int i = 0; i < a.offices; ++i) {
    clients.push_back(
        connect(l.servers[static_cast<std::size_t>(i) % l.servers.size()].url, l.offices[i], l.server_key));
  }
  std::vector<std::size_t> done(static_cast<std::size_t>(a.offices));
  std::barrier start(a.offices + 1);
  std::vector<std::thread> threads;
  for (int i = 0; i < a.offices; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      for (const auto& b : bodies[i]) done[i] += push_body(clients[i], b);
    });
  }
  IngestResult r;
  r.load = load_average();
  double cpu0 = 0;
  for (const auto& s : l.servers) cpu0 += s.cpu_seconds();
  start.arrive_and_wait();
  auto t0 = Clock::now();
  for (auto& t : threads) t.join();
  const double s = seconds_since(t0);
  double cpu = -cpu0;
  for (const auto& sp : l.servers) cpu += sp.cpu_seconds();
  for (auto d : done) r.entries += d;
  r.rate = static_cast<double>(r.entries) / s;
  r.server_cpu_us = 1e6 * cpu / static_cast<double>(r.entries);
  return r;
}

// ---------------------------------------------------------------- 3. failover

// Kills the integrator `trials` times; returns the seconds from each kill to the next accepted push.
std::vector<double> failover(const Args& a, Ledger& l) {
  std::vector<double> out;
  BenchOffice& office = l.offices[static_cast<std::size_t>(a.offices)];
  std::size_t integrator = 0;  // the first process started first: it integrates
  for (int t = 0; t < a.trials; ++t) {
    ServerProcess& dead = l.servers[integrator];
    ServerProcess& survivor = l.servers[1 - integrator];
    auto client = connect(survivor.url, office, l.server_key);
    const std::size_t took0 = integrator_lines(survivor);
    std::vector<Bytes> one = make_bodies(office, 1, 1, nullptr);
    push_body(client, one[0]);  // the survivor works (queuing for the integrator)
    one = make_bodies(office, 1, 1, nullptr);
    const auto t0 = Clock::now();
    ::kill(dead.pid, SIGKILL);
    for (;;) {
      auto r = client.request("POST", "/v1/push", as_chars(one[0]));
      if (r.ok() && r->ok()) break;
      // "try again": the same batch again (if it was logged meanwhile, it gets its earlier receipt).
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      if (seconds_since(t0) > 120) die("no push accepted within 120 s of killing the integrator");
      if (!r.ok()) client = connect(survivor.url, office, l.server_key);
    }
    out.push_back(seconds_since(t0));
    int status = 0;
    ::waitpid(dead.pid, &status, 0);
    dead.pid = -1;
    if (integrator_lines(survivor) <= took0) die("the survivor's log does not say it took the integrator role");
    dead.start(a.server_binary);  // rejoins without the role
    integrator = 1 - integrator;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return out;
}

// ---------------------------------------------------------------- 4. reads

struct ReadRates {
  double feed = 0, tiles = 0;
};

// Requests per second of `readers` clients spread over `servers` (the first `processes` of them).
ReadRates reads(const Args& a, Ledger& l, std::size_t processes, std::uint64_t leaves) {
  ReadRates r;
  const std::uint64_t full_tiles = leaves / merkle::tile_width_full;
  if (full_tiles == 0) die("too few leaves for a full tile");
  for (int kind = 0; kind < 2; ++kind) {
    std::vector<net::Client> clients;
    for (int i = 0; i < a.readers; ++i) {
      clients.push_back(connect(l.servers[static_cast<std::size_t>(i) % processes].url,
                                l.offices[static_cast<std::size_t>(i) % l.offices.size()], l.server_key));
    }
    std::atomic<std::uint64_t> requests{0};
    std::atomic<bool> stop{false};
    std::barrier start(a.readers + 1);
    std::vector<std::thread> threads;
    for (int i = 0; i < a.readers; ++i) {
      threads.emplace_back([&, i] {
        std::mt19937_64 rng(static_cast<std::uint64_t>(i) + 1);
        start.arrive_and_wait();
        while (!stop) {
          std::string target;
          if (kind == 0) {
            target = fmt::format("/v1/feed?from={}&limit=256", rng() % (leaves - 256));
          } else {
            merkle::TileId id;
            id.level = 0;
            id.index = rng() % full_tiles;
            id.width = merkle::tile_width_full;
            target = "/" + merkle::tile_path(id);
          }
          require(clients[i].call("GET", target), "read");
          ++requests;
        }
      });
    }
    start.arrive_and_wait();
    const auto t0 = Clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(a.read_seconds));
    stop = true;
    for (auto& t : threads) t.join();
    const double rate = static_cast<double>(requests) / seconds_since(t0);
    (kind == 0 ? r.feed : r.tiles) = rate;
  }
  return r;
}

std::uint64_t tree_size(Ledger& l) {
  auto c = connect(l.servers[0].url, l.offices[0], l.server_key);
  auto r = require(c.call("GET", "/checkpoint"), "checkpoint");
  auto nl = r.body.find('\n');
  return std::stoull(r.body.substr(nl + 1, r.body.find('\n', nl + 1) - nl - 1));
}

std::uint64_t database_bytes(test::pg::Cluster& cluster, const std::string& database) {
  return std::stoull(cluster.sql(database, "SELECT pg_database_size(current_database())"));
}

}  // namespace

int main(int argc, char** argv) {
  bench::program_name() = "pg_bench";
  Args a = parse(argc, argv);
  if (const std::string why = test::pg::missing_binaries(); !why.empty()) {
    fmt::print("pg_bench: SKIPPED: {}\n", why);
    return 77;
  }
  spdlog::set_level(spdlog::level::warn);  // the in-process registrations' store opening
  std::filesystem::remove_all(a.dir);
  std::filesystem::create_directories(a.dir);
  fmt::print("pg_bench in {} (load average {:.2f}, {} cores); {} entries per ingest run in pushes of {}, {} offices\n",
             a.dir.string(), load_average(), std::thread::hardware_concurrency(), a.entries, a.batch, a.offices);
  test::pg::Cluster::options().loopback_tcp = true;
  test::pg::Cluster::options().durable = true;
  auto& cluster = test::pg::Cluster::shared();
  fmt::print("PostgreSQL: {} on 127.0.0.1:{} (fsync on, synchronous_commit on)\n",
             cluster.sql("postgres", "SHOW server_version").substr(0, 4), cluster.port());

  // ---- SQLite, one process
  Ledger sqlite = make_ledger(a, "sqlite", "", "", 1);
  std::vector<Bytes> leaves;
  const IngestResult lite = ingest(a, sqlite, &leaves);
  fmt::print("ingest, SQLite, 1 process: {:.0f} entries/s ({} entries), server CPU {:.1f} us/entry; load {:.2f}\n",
             lite.rate, lite.entries, lite.server_cpu_us, lite.load);
  ReadRates lite_reads;
  if (a.read_seconds > 0) {
    const double load = load_average();
    lite_reads = reads(a, sqlite, 1, tree_size(sqlite));
    fmt::print("reads, SQLite, 1 process, {} clients: feed {:.0f} pages/s, tiles {:.0f} /s; load {:.2f}\n", a.readers,
               lite_reads.feed, lite_reads.tiles, load);
  }
  sqlite.servers[0].stop();

  // ---- limits: raw inserts of the same leaf bytes
  const double raw_sqlite = bench::raw_sqlite_rate(a.dir / "raw-sqlite", leaves, a.batch);
  const std::string raw_url = cluster.create_database("raw");
  const double raw_load = load_average();
  const RawRates raw = raw_pg_rates(raw_url, leaves, a.batch);
  fmt::print(
      "limit: raw inserts of the same {} leaves (+ SHA-256), one commit per {} rows: PostgreSQL COPY {:.0f} /s, "
      "multi-row INSERT {:.0f} /s; SQLite {:.0f} /s; load {:.2f}\n",
      leaves.size(), a.batch, raw.copy, raw.insert, raw_sqlite, raw_load);
  fmt::print("  SQLite ingest = {:.2f} x raw SQLite\n", lite.rate / raw_sqlite);

  // ---- PostgreSQL, one process, then two
  for (int processes = 1; processes <= 2; ++processes) {
    const std::string db = fmt::format("ledger{}", processes);
    Ledger l = make_ledger(a, fmt::format("pg{}", processes), cluster.create_database(db), db, processes);
    const std::uint64_t bytes0 = database_bytes(cluster, db);
    const IngestResult r = ingest(a, l, nullptr);
    const double growth = static_cast<double>(database_bytes(cluster, db) - bytes0) / static_cast<double>(r.entries);
    fmt::print(
        "ingest, PostgreSQL, {} process{}: {:.0f} entries/s ({} entries) = {:.3f} x raw COPY, {:.3f} x raw "
        "multi-row INSERT ({:.2f} x the SQLite ingest); server CPU {:.1f} us/entry; database +{:.0f} B/entry; "
        "load {:.2f}\n",
        processes, processes == 1 ? "" : "es", r.rate, r.entries, r.rate / raw.copy, r.rate / raw.insert,
        r.rate / lite.rate, r.server_cpu_us, growth, r.load);
    if (processes == 2 && a.read_seconds > 0) {
      const std::uint64_t size = tree_size(l);
      double load = load_average();
      const ReadRates one = reads(a, l, 1, size);
      const ReadRates two = reads(a, l, 2, size);
      fmt::print(
          "reads, PostgreSQL, {} clients: one process: feed {:.0f} pages/s, tiles {:.0f} /s; two processes: feed "
          "{:.0f} pages/s ({:.2f} x), tiles {:.0f} /s ({:.2f} x); SQLite one process: feed {:.0f}, tiles {:.0f}; "
          "load {:.2f}\n",
          a.readers, one.feed, one.tiles, two.feed, two.feed / one.feed, two.tiles, two.tiles / one.tiles,
          lite_reads.feed, lite_reads.tiles, load);
    }
    if (processes == 2 && a.trials > 0) {
      const double load = load_average();
      std::vector<double> t = failover(a, l);
      std::vector<double> sorted = t;
      std::sort(sorted.begin(), sorted.end());
      std::string each;
      for (double s : t) each += fmt::format("{}{:.0f}", each.empty() ? "" : ", ", s * 1000);
      fmt::print(
          "failover, kill -9 of the integrator to the next accepted push at the other process ({} trials): p50 "
          "{:.0f} ms, max {:.0f} ms (each: {} ms); load {:.2f}\n",
          t.size(), sorted[sorted.size() / 2] * 1000, sorted.back() * 1000, each, load);
    }
    for (auto& s : l.servers) s.stop();
  }

  if (!a.keep) std::filesystem::remove_all(a.dir);
  return 0;
}

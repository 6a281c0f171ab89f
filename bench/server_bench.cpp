// server_bench — the central log's numbers (DESIGN.md, "What the numbers must reach").
//
// Not a test: it prints measurements, each next to a limit measured in the same run.
//  1. ingest through LogService::push (durable: WAL, synchronous=FULL) with N offices
//     pushing concurrently, vs raw SQLite inserts of the same leaf bytes in transactions
//     of the same size, and vs one Ed25519 verification per entry (OpenSSL, one core);
//     then again with the rollback guard (published.checkpoint written and fsync'ed
//     before each checkpoint is served, as lontar-server run does): its ingest cost;
//  2. inclusion-proof latency from a large log (its hash tiles written by the same
//     tree code the store uses, with synthetic leaves so that 10M leaves take seconds),
//     without and with the tile cache, then with the cache while four offices push.
//
// Usage: server_bench [--entries N] [--batch B] [--offices 1,4,16] [--proof-leaves L] [--dir D]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "crypto/x509.hpp"
#include "encoding/encoding.hpp"
#include "limits.hpp"
#include "log/log_store.hpp"
#include "merkle/merkle.hpp"
#include "merkle/tile_writer.hpp"
#include "note/checkpoint.hpp"
#include "server/log_fixture.hpp"
#include "store/db.hpp"

using namespace lontar;
using Clock = std::chrono::steady_clock;
using lontar::test::take;

using bench::seconds_since;

namespace {

struct Args {
  std::size_t entries = 100'000;
  std::size_t batch = 1'000;
  std::vector<int> offices = {1, 4, 16};
  std::uint64_t proof_leaves = 1'000'000;
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "lontar-server-bench";
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--entries")
      a.entries = std::stoull(v);
    else if (k == "--batch")
      a.batch = std::stoull(v);
    else if (k == "--proof-leaves")
      a.proof_leaves = std::stoull(v);
    else if (k == "--dir")
      a.dir = v;
    else if (k == "--offices") {
      a.offices.clear();
      for (std::size_t p = 0; p < v.size();) {
        std::size_t c = v.find(',', p);
        a.offices.push_back(std::stoi(v.substr(p, c - p)));
        p = c == std::string::npos ? v.size() : c + 1;
      }
    } else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      std::exit(2);
    }
  }
  return a;
}

struct IngestResult {
  double entries_per_s = 0;
  server::Metrics metrics;
};

void proof_latency(server::LogStore& s, std::uint64_t size, const char* what);

// With `guard`, each checkpoint is first recorded as lontar-server run records it (the rollback
// guard, ops::record_published: published.checkpoint written atomically and fsync'ed).
IngestResult ingest(const Args& a, int offices, std::vector<Bytes>* leaves_out, bool proofs, bool guard) {
  std::filesystem::remove_all(a.dir / "ingest");
  server::LogStoreOptions options;
  if (guard) {
    options.before_publish = [dir = a.dir / "ingest"](std::uint64_t, const std::string& note) {
      return crypto::write_file_atomic(dir / "published.checkpoint", note, 0644);
    };
  }
  test::Ledger l = test::Ledger::create(a.dir / "ingest", options);
  std::vector<test::ChainWriter> writers;
  for (int i = 0; i < offices; ++i) writers.push_back(l.add_principal("OFFICE-" + std::to_string(i)));
  // Build every batch first: the office's work (encoding, hashing, sealing) is not the server's.
  std::vector<std::vector<chain::Batch>> batches(offices);
  std::size_t per_office = a.entries / offices;
  unsigned n = 0;
  for (int i = 0; i < offices; ++i) {
    for (std::size_t done = 0; done < per_office; done += a.batch) {
      std::vector<domain::Payload> payloads;
      for (std::size_t k = 0; k < std::min(a.batch, per_office - done); ++k)
        payloads.emplace_back(test::enrollment(n++));
      batches[i].push_back(writers[i].batch(payloads));
    }
  }
  if (leaves_out != nullptr) {
    for (auto& bs : batches)
      for (auto& b : bs)
        for (auto& e : b.entries) leaves_out->push_back(take(encoding::encode(chain::entry_leaf(e, {})), "leaf"));
  }
  server::Metrics before = l.store->metrics();
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < offices; ++i) {
    threads.emplace_back([&, i] {
      for (auto& b : batches[i]) take(l.store->push(writers[i].caller(), std::move(b)), "push");
    });
  }
  for (auto& t : threads) t.join();
  double s = seconds_since(t0);
  IngestResult r;
  r.metrics = l.store->metrics();
  r.metrics.pushes_total -= before.pushes_total;
  r.metrics.integrations_total -= before.integrations_total;
  r.metrics.entries_integrated_total -= before.entries_integrated_total;
  r.metrics.verdicts_rejected_total -= before.verdicts_rejected_total;
  r.entries_per_s = static_cast<double>(r.metrics.entries_integrated_total) / s;
  if (proofs) proof_latency(*l.store, r.metrics.tree_size, "ingested log");
  return r;
}

// Appends synthetic leaves to the log in the ledger file `db_path` (no store open on it) until it
// holds `leaves`, with the hash tiles written by the same tree code the store uses and a checkpoint
// signed by `log_key` for `origin`. The leaves already there (a real ledger's genesis and
// registrations) are read and hashed first, so the tree stays the store's own.
void fill_synthetic(const std::filesystem::path& db_path, std::uint64_t leaves, const std::string& origin,
                    const crypto::PrivateKey& log_key) {
  auto db = take(store::Db::open(db_path.string()), "db");
  auto tx = take(store::Transaction::begin(*db), "begin");
  merkle::TileWriter edge;
  std::uint64_t first = 0;
  auto existing = take(db->prepare("SELECT leaf FROM log_leaves ORDER BY idx"), "prepare");
  while (take(existing.step(), "step")) {
    edge.append(merkle::leaf_hash(existing.blob_view(0)));
    ++first;
  }
  auto leaf_put = take(db->prepare("INSERT INTO log_leaves(idx, leaf) VALUES(?, ?)"), "prepare");
  auto tile_put = take(db->prepare("INSERT OR REPLACE INTO log_tiles(level, idx, hashes) VALUES(?, ?, ?)"), "prepare");
  auto flush = [&] {
    for (auto& t : edge.take_writes()) {
      tile_put.reset();
      take(
          tile_put.bind(1, static_cast<std::int64_t>(t.id.level)).bind(2, t.id.index).bind(3, ByteView(t.hashes)).run(),
          "tile");
    }
  };
  for (std::uint64_t i = first; i < leaves; ++i) {
    std::uint8_t leaf[9] = {0x02};
    std::memcpy(leaf + 1, &i, 8);
    leaf_put.reset();
    take(leaf_put.bind(1, static_cast<std::int64_t>(i)).bind(2, ByteView(leaf, 9)).run(), "leaf");
    edge.append(merkle::leaf_hash(ByteView(leaf, 9)));
    if (i % 65536 == 65535) flush();
  }
  flush();
  const note::Checkpoint checkpoint{origin, leaves, edge.root(), {}};
  std::string signed_note = take(note::sign_checkpoint(checkpoint, origin, log_key), "sign");
  auto cp = take(db->prepare("INSERT INTO log_checkpoints(size, note, signed_at_ms) VALUES(?, ?, 0)"), "prepare");
  take(cp.bind(1, leaves).bind(2, signed_note).run(), "checkpoint");
  take(tx.commit(), "commit");
}

// A ledger store whose log holds `leaves` synthetic leaves: created by LogStore, then
// filled with the same tree code the store uses (tiles, checkpoint), then reopened.
std::unique_ptr<server::LogStore> large_log(const Args& a, std::uint64_t leaves, double* build_s,
                                            std::size_t cache_tiles) {
  std::filesystem::path dir = a.dir / ("proof-" + std::to_string(leaves));
  std::filesystem::path db_path = dir / "ledger.db";
  auto log_key = [] { return take(crypto::PrivateKey::from_seed(Bytes(32, 9)), "log key"); };
  auto t0 = Clock::now();
  if (!std::filesystem::exists(db_path)) {
    std::filesystem::create_directories(dir);
    take(server::LogStore::create(db_path.string(), "bench.lontar/log", log_key(), rules::NikKey{}), "create").reset();
    fill_synthetic(db_path, leaves, "bench.lontar/log", log_key());
  }
  *build_s = seconds_since(t0);
  server::LogStoreOptions options;
  options.proof_cache_tiles = cache_tiles;
  return take(server::LogStore::open(db_path.string(), log_key(), options), "open");
}

// CPU time of the calling thread, in microseconds: what a proof costs, whatever the load.
double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

// The root of the store's latest signed checkpoint (checked with its verifier key).
Hash signed_root(server::LogStore& s) {
  auto verifier = take(note::Verifier::parse(s.verifier_key()), "verifier");
  return take(note::open_checkpoint(s.checkpoint(), verifier, s.origin()), "checkpoint").root;
}

// 2000 random proofs of inclusion in the tree of `size` leaves whose root is `root`; one in a
// hundred is checked against it (outside the timing).
void proof_latency_pass(server::LogStore& s, std::uint64_t size, const Hash& root, const char* what, const char* pass) {
  std::mt19937_64 rng(42);
  std::vector<double> us, cpu;
  constexpr int samples = 2000;
  for (int i = 0; i < samples; ++i) {
    std::uint64_t index = rng() % size;
    const double c0 = thread_cpu_us();
    auto t0 = Clock::now();
    auto p = take(s.inclusion_proof(index, size), "proof");
    us.push_back(seconds_since(t0) * 1e6);
    cpu.push_back(thread_cpu_us() - c0);
    std::uint64_t t = index / 256;
    if (i % 100 == 0 && (t + 1) * 256 <= size) {  // check some against the root (outside the timing)
      Bytes tile = take(s.tile(merkle::tile_path({false, 0, t, 256})), "tile");
      Hash leaf;
      std::copy_n(tile.begin() + static_cast<std::ptrdiff_t>((index % 256) * 32), 32, leaf.begin());
      if (!merkle::verify_inclusion(leaf, index, size, p.hashes, root).ok()) {
        std::fprintf(stderr, "inclusion proof for %llu does not verify\n", static_cast<unsigned long long>(index));
        std::abort();
      }
    }
  }
  std::sort(us.begin(), us.end());
  std::sort(cpu.begin(), cpu.end());
  auto pct = [&](const std::vector<double>& v, double q) { return v[static_cast<std::size_t>(q * (v.size() - 1))]; };
  double load[3] = {0, 0, 0};
  getloadavg(load, 3);
  std::printf(
      "  inclusion proof, %s, %s (%llu leaves, %d random leaves): wall p50 %.1f us, p99 %.1f us, max %.1f us; "
      "thread CPU p50 %.1f us, p99 %.1f us (goal: wall p99 < 1000 us at 10M; load average %.2f)\n",
      what, pass, static_cast<unsigned long long>(size), samples, pct(us, 0.5), pct(us, 0.99), us.back(), pct(cpu, 0.5),
      pct(cpu, 0.99), load[0]);
}

// The same 2000 random leaves twice: the first pass finds the server's tile cache empty
// (lontar-server just started), the second finds the tiles the first one read.
void proof_latency(server::LogStore& s, std::uint64_t size, const char* what) {
  const Hash root = signed_root(s);
  proof_latency_pass(s, size, root, what, "first pass");
  proof_latency_pass(s, size, root, what, "same leaves again");
}

// Proofs while offices push (issue 14: "tile reads from SQLite under a concurrent writer"): a
// real ledger with four offices registered, grown to `leaves` synthetic leaves and reopened with
// the server's tile cache; four threads push batches of enrollments through LogStore::push (group
// commits writing leaves, tiles, the rules state and a signed checkpoint) while this thread asks
// for the same random proofs as above, at the size the pushes started from.
void proofs_under_writer(const Args& a, std::uint64_t leaves) {
  const std::filesystem::path dir = a.dir / ("writer-" + std::to_string(leaves));
  std::filesystem::remove_all(dir);
  test::Ledger l = test::Ledger::create(dir);
  constexpr int offices = 4;
  std::vector<test::ChainWriter> writers;
  for (int i = 0; i < offices; ++i) writers.push_back(l.add_principal("OFFICE-" + std::to_string(i)));
  l.store.reset();
  auto t0 = Clock::now();
  fill_synthetic(dir / server::ledger_file_name, leaves, "lontar.test/jatim",
                 take(crypto::PrivateKey::load_pem(dir / server::log_key_file_name), "log key"));
  std::printf("  real ledger (4 offices) grown to %llu synthetic leaves in %.1f s\n",
              static_cast<unsigned long long>(leaves), seconds_since(t0));
  l.reopen();  // the server's default tile cache
  // The offices' batches are built first (their encoding and sealing is not the server's work).
  std::vector<std::vector<chain::Batch>> batches(offices);
  unsigned n = 0;
  for (int i = 0; i < offices; ++i) {
    for (int b = 0; b < 20; ++b) {
      std::vector<domain::Payload> payloads;
      for (std::size_t k = 0; k < a.batch; ++k) payloads.emplace_back(test::enrollment(n++));
      batches[i].push_back(writers[i].batch(payloads));
    }
  }
  const Hash root = signed_root(*l.store);
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> pushed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < offices; ++i) {
    threads.emplace_back([&, i] {
      for (auto& b : batches[i]) {
        if (stop) break;
        const std::size_t count = b.entries.size();
        take(l.store->push(writers[i].caller(), std::move(b)), "push");
        pushed += count;
      }
    });
  }
  while (pushed == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const std::uint64_t pushed_before = pushed;
  auto p0 = Clock::now();
  proof_latency_pass(*l.store, leaves, root, "large log, tile cache, 4 offices pushing", "first pass");
  proof_latency_pass(*l.store, leaves, root, "large log, tile cache, 4 offices pushing", "same leaves again");
  const double proofs_s = seconds_since(p0);
  const std::uint64_t pushed_during = pushed - pushed_before;
  const bool writing_throughout = pushed < static_cast<std::uint64_t>(offices) * 20 * a.batch;
  stop = true;
  for (auto& t : threads) t.join();
  std::printf("  the offices pushed %llu entries during the %.2f s of proofs (%.0f entries/s)%s\n",
              static_cast<unsigned long long>(pushed_during), proofs_s, static_cast<double>(pushed_during) / proofs_s,
              writing_throughout ? "" : "; NOTE: they ran out of batches before the proofs ended");
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::off);
  Args a = parse(argc, argv);
  std::filesystem::create_directories(a.dir);
  std::printf("server_bench: %zu entries per run, batches of %zu, store under %s\n", a.entries, a.batch,
              a.dir.string().c_str());
  double verify = bench::ed25519_verify_rate();
  std::printf("  limit: Ed25519 verify (OpenSSL, 1 thread): %.0f /s\n", verify);
  std::vector<Bytes> leaves;
  bool raw_done = false;
  double raw = 0;
  for (int offices : a.offices) {
    IngestResult r = ingest(a, offices, raw_done ? nullptr : &leaves, offices == a.offices.back(), false);
    IngestResult guarded = ingest(a, offices, nullptr, false, true);
    if (!raw_done) {
      raw = bench::raw_sqlite_rate(a.dir / "raw", leaves, a.batch);
      raw_done = true;
      std::printf("  limit: raw SQLite inserts of the same leaf bytes (WAL, FULL, %zu rows per commit): %.0f /s\n",
                  a.batch, raw);
      std::printf("  limit: the same in one transaction: %.0f /s\n",
                  bench::raw_sqlite_rate(a.dir / "raw", leaves, leaves.size()));
    }
    std::printf(
        "  ingest via LogService, %2d offices: %.0f entries/s (%.2f x raw SQLite, %.2f x Ed25519 verify); "
        "%llu pushes in %llu group commits; %llu rejected\n",
        offices, r.entries_per_s, r.entries_per_s / raw, r.entries_per_s / verify,
        static_cast<unsigned long long>(r.metrics.pushes_total),
        static_cast<unsigned long long>(r.metrics.integrations_total),
        static_cast<unsigned long long>(r.metrics.verdicts_rejected_total));
    std::printf(
        "  the same with the rollback guard (published.checkpoint fsync'ed before each checkpoint is served): "
        "%.0f entries/s (%.0f%% of the rate without), %llu group commits\n",
        guarded.entries_per_s, 100.0 * guarded.entries_per_s / r.entries_per_s,
        static_cast<unsigned long long>(guarded.metrics.integrations_total));
  }
  if (a.proof_leaves > 0) {
    // Without the tile cache (every proof reads its tiles from SQLite, as before), then with
    // the server's default, each from a freshly opened store.
    for (std::size_t cache_tiles : {std::size_t{0}, server::proof_cache_tiles_default}) {
      double build_s = 0;
      auto s = large_log(a, a.proof_leaves, &build_s, cache_tiles);
      std::printf("  large log of %llu synthetic leaves built/opened in %.1f s; tile cache: %zu tiles\n",
                  static_cast<unsigned long long>(a.proof_leaves), build_s, cache_tiles);
      proof_latency(*s, a.proof_leaves, cache_tiles == 0 ? "large log, no tile cache" : "large log, tile cache");
    }
    proofs_under_writer(a, a.proof_leaves);
  }
  return 0;
}

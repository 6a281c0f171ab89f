// limits.hpp — the limits the server benchmarks measure in the same run, so that their
// figures read as ratios (DESIGN.md, "What the numbers must reach"), and the few helpers
// every benchmark needs (errors, timing, load).
#pragma once

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/crypto.hpp"
#include "store/db.hpp"

namespace lontar::bench {

// The program's name at the start of its error lines; each benchmark sets it first in main().
inline std::string_view& program_name() {
  static std::string_view name = "bench";
  return name;
}

// Prints "PROGRAM: what" and exits 2 (a benchmark that cannot run measures nothing).
[[noreturn]] inline void die(std::string_view what) {
  std::fprintf(stderr, "%.*s: %.*s\n", static_cast<int>(program_name().size()), program_name().data(),
               static_cast<int>(what.size()), what.data());
  std::exit(2);
}
inline void require(const Status& s, std::string_view what) {
  if (!s.ok()) die(std::string(what) + ": " + s.error().message);
}
template <class T>
T require(Result<T> r, std::string_view what) {
  if (!r.ok()) die(std::string(what) + ": " + r.error().message);
  return std::move(r).value();
}

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// User + system CPU seconds of this process.
inline double own_cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto t = [](const timeval& v) { return static_cast<double>(v.tv_sec) + static_cast<double>(v.tv_usec) / 1e6; };
  return t(ru.ru_utime) + t(ru.ru_stime);
}

// The 1-minute load average (the figures of a loaded machine read as ratios only), or -1.
inline double load_average() {
  double l = -1;
  if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &l) != 1) l = -1;
    std::fclose(f);
  }
  return l;
}

// Ed25519 verifications per second of a 200-byte message (OpenSSL, this thread, about 1 s).
inline double ed25519_verify_rate() {
  auto key = require(crypto::PrivateKey::generate(), "key");
  Bytes msg(200, 7);
  auto sig = key.sign(msg);
  auto pub = key.public_key();
  int n = 0;
  auto t0 = std::chrono::steady_clock::now();
  while (seconds_since(t0) < 1.0) {
    for (int i = 0; i < 100; ++i) n += crypto::verify(pub, msg, sig) ? 1 : 0;
  }
  return n / seconds_since(t0);
}

// Rows per second of `leaves` inserted with their SHA-256 into a bare table of a fresh
// database in `dir` (same pragmas as every store: WAL, synchronous=FULL), one durable
// commit per `per_commit` rows: what a push of that size is at best.
inline double raw_sqlite_rate(const std::filesystem::path& dir, const std::vector<Bytes>& leaves,
                              std::size_t per_commit) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto db = require(store::Db::open((dir / "raw.db").string()), "raw db");
  require(db->exec("CREATE TABLE leaves(idx INTEGER PRIMARY KEY, leaf BLOB NOT NULL, hash BLOB NOT NULL)"), "table");
  auto st = require(db->prepare("INSERT INTO leaves(idx, leaf, hash) VALUES(?, ?, ?)"), "prepare");
  auto t0 = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < leaves.size();) {
    auto tx = require(store::Transaction::begin(*db), "begin");
    for (std::size_t k = 0; k < per_commit && i < leaves.size(); ++k, ++i) {
      st.reset();
      require(st.bind(1, static_cast<std::int64_t>(i))
                  .bind(2, ByteView(leaves[i]))
                  .bind(3, crypto::sha256(leaves[i]))
                  .run(),
              "insert");
    }
    require(tx.commit(), "commit");
  }
  const double rate = static_cast<double>(leaves.size()) / seconds_since(t0);
  db.reset();
  std::filesystem::remove_all(dir);
  return rate;
}

}  // namespace lontar::bench

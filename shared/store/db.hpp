// db.hpp — a thin, safe wrapper over SQLite 3, shared by the three programs.
//
// Promises: every statement is prepared (no string-built SQL with values), every
// failure is an Error naming the database file and SQLite's own message, and a
// Transaction rolls back unless committed. Stores open in WAL mode with
// synchronous=FULL (a committed transaction survives power loss) and a busy
// timeout, so two processes on one store serialize instead of failing.
//
// Fault injection (STYLE.md: storage sits behind a seam a test can make fail):
// set_write_failure_after(n) makes the n-th following write step fail with
// SQLITE_FULL, as a full disk would.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace lontar::store {

constexpr int busy_timeout_ms = 10'000;

class Db;

// A prepared statement. Bind parameters are 1-based, columns 0-based.
class Stmt {
 public:
  Stmt(Stmt&&) noexcept;
  Stmt& operator=(Stmt&&) noexcept;
  ~Stmt();

  Stmt& bind(int i, std::int64_t v);
  Stmt& bind(int i, std::uint64_t v) { return bind(i, static_cast<std::int64_t>(v)); }
  Stmt& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  Stmt& bind(int i, std::string_view v);
  Stmt& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Stmt& bind(int i, ByteView v);
  Stmt& bind(int i, const Hash& v) { return bind(i, ByteView(v)); }
  Stmt& bind_null(int i);

  // Advances: true when a row is available, false when done.
  Result<bool> step();
  // Runs to completion (for statements that return no rows).
  Status run();
  // Resets to run again with new bindings.
  void reset();

  std::int64_t int64(int col) const;
  std::uint64_t uint64(int col) const { return static_cast<std::uint64_t>(int64(col)); }
  std::string text(int col) const;
  Bytes blob(int col) const;
  ByteView blob_view(int col) const;  // valid until the next step/reset
  // A 32-byte blob column as a Hash; all-zero if NULL or the wrong size.
  Hash hash(int col) const;
  bool is_null(int col) const;

 private:
  friend class Db;
  Stmt(Db* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  Db* db_ = nullptr;
  sqlite3_stmt* s_ = nullptr;
  Error error_;
  bool failed_ = false;
};

struct OpenOptions {
  bool create = true;      // create the file if missing
  bool read_only = false;  // open read-only (auditor copies, status)
};

class Db {
 public:
  static Result<std::unique_ptr<Db>> open(const std::string& path, OpenOptions options = {});
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs one or more statements without parameters (schema, pragmas).
  Status exec(std::string_view sql);
  Result<Stmt> prepare(std::string_view sql);
  // The value of a one-row, one-column integer query; nullopt if no row.
  Result<std::optional<std::int64_t>> query_int(std::string_view sql);
  std::int64_t last_insert_rowid() const;
  int changes() const;
  const std::string& path() const { return path_; }
  sqlite3* native() { return db_; }

  // A full-disk failure on the n-th write step from now (1 = the next); 0 turns it off.
  void set_write_failure_after(int n) { fail_after_ = n; }

  // An Error for the last SQLite failure, naming the file and `what`.
  Error error(std::string_view what) const;

 private:
  friend class Stmt;
  explicit Db(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  bool injected_failure();
  sqlite3* db_;
  std::string path_;
  int fail_after_ = 0;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back in the destructor unless commit() succeeded.
// IMMEDIATE takes the write lock up front, so two writers wait (busy timeout)
// instead of deadlocking on lock upgrade.
class Transaction {
 public:
  static Result<Transaction> begin(Db& db);
  Transaction(Transaction&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Status commit();

 private:
  explicit Transaction(Db* db) : db_(db) {}
  Db* db_;
};

}  // namespace lontar::store

#include "store/db.hpp"

#include <sqlite3.h>

#include <fmt/format.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace lontar::store {

namespace {

// The folder a database file lives in, for messages.
std::string folder_of(const std::string& path) {
  const auto parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

// Whether the last failure on `db` was the disk (or the user's quota) being full: SQLite's
// own code, or the OS error under an I/O error (creating the -shm file fails with ENOSPC).
bool failed_for_space(sqlite3* db, const std::string& path) {
  const int primary = sqlite3_extended_errcode(db) & 0xff;
  const int os = sqlite3_system_errno(db);
  if (primary == SQLITE_FULL || os == ENOSPC || os == EDQUOT) return true;
  if (primary != SQLITE_IOERR) return false;
  struct statvfs fs {};
  return ::statvfs(folder_of(path).c_str(), &fs) == 0 && fs.f_bavail == 0;
}

Error disk_full(const std::string& path, std::string_view detail) {
  const std::string folder = folder_of(path);
  return Error{Code::io, fmt::format("disk penuh: kosongkan ruang di {0} lalu ulangi; tidak ada yang hilang / disk "
                                     "full: free space on {0} and retry; nothing was lost ({1}: {2})",
                                     folder, path, detail)};
}

}  // namespace

// ---- Stmt ----

Stmt::Stmt(Stmt&& o) noexcept : db_(o.db_), s_(o.s_), error_(std::move(o.error_)), failed_(o.failed_) {
  o.s_ = nullptr;
}

Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(s_);
    db_ = o.db_;
    s_ = o.s_;
    error_ = std::move(o.error_);
    failed_ = o.failed_;
    o.s_ = nullptr;
  }
  return *this;
}

Stmt::~Stmt() { sqlite3_finalize(s_); }

namespace {
bool bind_failed(int rc) { return rc != SQLITE_OK; }
}  // namespace

Stmt& Stmt::bind(int i, std::int64_t v) {
  if (bind_failed(sqlite3_bind_int64(s_, i, v)) && !failed_) {
    failed_ = true;
    error_ = db_->error(fmt::format("binding parameter {}", i));
  }
  return *this;
}

Stmt& Stmt::bind(int i, std::string_view v) {
  if (bind_failed(sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8)) && !failed_) {
    failed_ = true;
    error_ = db_->error(fmt::format("binding parameter {}", i));
  }
  return *this;
}

Stmt& Stmt::bind(int i, ByteView v) {
  // A zero-length blob must still be a blob, not NULL: pass a non-null pointer.
  static const std::uint8_t empty = 0;
  const void* data = v.empty() ? &empty : v.data();
  if (bind_failed(sqlite3_bind_blob64(s_, i, data, v.size(), SQLITE_TRANSIENT)) && !failed_) {
    failed_ = true;
    error_ = db_->error(fmt::format("binding parameter {}", i));
  }
  return *this;
}

Stmt& Stmt::bind_null(int i) {
  if (bind_failed(sqlite3_bind_null(s_, i)) && !failed_) {
    failed_ = true;
    error_ = db_->error(fmt::format("binding parameter {}", i));
  }
  return *this;
}

Result<bool> Stmt::step() {
  if (failed_) return error_;
  if (!sqlite3_stmt_readonly(s_) && db_->injected_failure()) {
    sqlite3_reset(s_);
    return Error{Code::io,
                 fmt::format("{}: database or disk is full (injected); free disk space and retry", db_->path())};
  }
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error e = db_->error(sqlite3_sql(s_) ? std::string_view(sqlite3_sql(s_)).substr(0, 60) : "statement");
  sqlite3_reset(s_);
  return e;
}

Status Stmt::run() {
  for (;;) {
    LONTAR_ASSIGN(bool row, step());
    if (!row) return {};
  }
}

void Stmt::reset() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
  failed_ = false;
}

std::int64_t Stmt::int64(int col) const { return sqlite3_column_int64(s_, col); }

std::string Stmt::text(int col) const {
  const unsigned char* p = sqlite3_column_text(s_, col);
  if (!p) return {};
  return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(s_, col)));
}

ByteView Stmt::blob_view(int col) const {
  const void* p = sqlite3_column_blob(s_, col);
  int n = sqlite3_column_bytes(s_, col);
  if (!p || n <= 0) return {};
  return {static_cast<const std::uint8_t*>(p), static_cast<std::size_t>(n)};
}

Bytes Stmt::blob(int col) const {
  ByteView v = blob_view(col);
  return Bytes(v.begin(), v.end());
}

Hash Stmt::hash(int col) const {
  Hash h{};
  ByteView v = blob_view(col);
  if (v.size() == h.size()) std::memcpy(h.data(), v.data(), h.size());
  return h;
}

bool Stmt::is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }

// ---- Db ----

Result<std::unique_ptr<Db>> Db::open(const std::string& path, OpenOptions options) {
  int flags = SQLITE_OPEN_NOMUTEX;
  if (options.read_only) {
    flags |= SQLITE_OPEN_READONLY;
  } else {
    flags |= SQLITE_OPEN_READWRITE;
    if (options.create) flags |= SQLITE_OPEN_CREATE;
  }
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close(raw);
    return Error{Code::io, fmt::format("{}: cannot open the database: {}", path, msg)};
  }
  std::unique_ptr<Db> db(new Db(raw, path));
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  sqlite3_extended_result_codes(raw, 1);
  Status ready = options.read_only
                     ? Status{}
                     : db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
  // Fail fast on a file that is not a database (or is corrupt at the header).
  if (ready.ok()) ready = db->exec("SELECT count(*) FROM sqlite_schema;");
  if (ready.ok()) return db;
  if (!failed_for_space(raw, path)) return std::move(ready).error();
  // A full disk: a WAL database cannot even be read, for want of room for its shared-memory
  // index (-shm). In exclusive locking mode, set before the first access, SQLite keeps that
  // index in this process's heap: reading works (status, verify, list), writing fails with
  // the message below, and other processes wait until this connection closes.
  const std::string first_error = ready.error().message;
  db.reset();
  raw = nullptr;
  flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_READWRITE;
  if (sqlite3_open_v2(path.c_str(), &raw, flags, nullptr) != SQLITE_OK) {
    sqlite3_close(raw);
    return disk_full(path, first_error);
  }
  db.reset(new Db(raw, path));
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  sqlite3_extended_result_codes(raw, 1);
  if (!db->exec("PRAGMA locking_mode=EXCLUSIVE; PRAGMA foreign_keys=ON; SELECT count(*) FROM sqlite_schema;").ok()) {
    return disk_full(path, first_error);
  }
  return db;
}

Db::~Db() { sqlite3_close_v2(db_); }

bool Db::injected_failure() {
  if (fail_after_ <= 0) return false;
  return --fail_after_ == 0;
}

Error Db::error(std::string_view what) const {
  int rc = sqlite3_extended_errcode(db_);
  int primary = rc & 0xff;
  if (failed_for_space(db_, path_)) return disk_full(path_, fmt::format("{}: {}", what, sqlite3_errmsg(db_)));
  Code code = Code::io;
  std::string hint;
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
    code = Code::corrupt;
    hint = "; restore the store from a backup";
  }
  if (primary == SQLITE_CONSTRAINT) code = Code::conflict;
  if (primary == SQLITE_BUSY) hint = "; another process holds the store: retry when it is done";
  return Error{code, fmt::format("{}: {}: {}{}", path_, what, sqlite3_errmsg(db_), hint)};
}

Status Db::exec(std::string_view sql) {
  std::string s(sql);
  if (injected_failure()) {
    return Error{Code::io, fmt::format("{}: database or disk is full (injected); free disk space and retry", path_)};
  }
  char* msg = nullptr;
  int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &msg);
  if (rc != SQLITE_OK) {
    Error e = error(std::string_view(s).substr(0, 60));
    sqlite3_free(msg);
    return e;
  }
  return {};
}

Result<Stmt> Db::prepare(std::string_view sql) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK) return error(fmt::format("preparing '{}'", sql.substr(0, 60)));
  return Stmt(this, s);
}

Result<std::optional<std::int64_t>> Db::query_int(std::string_view sql) {
  LONTAR_ASSIGN(Stmt st, prepare(sql));
  LONTAR_ASSIGN(bool row, st.step());
  if (!row) return std::optional<std::int64_t>{};
  return std::optional<std::int64_t>{st.int64(0)};
}

std::int64_t Db::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
int Db::changes() const { return sqlite3_changes(db_); }

// ---- Transaction ----

Result<Transaction> Transaction::begin(Db& db) {
  LONTAR_TRY(db.exec("BEGIN IMMEDIATE"));
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_) sqlite3_exec(db_->native(), "ROLLBACK", nullptr, nullptr, nullptr);
}

Status Transaction::commit() {
  Status s = db_->exec("COMMIT");
  if (s.ok()) db_ = nullptr;  // committed; nothing to roll back
  return s;
}

}  // namespace lontar::store

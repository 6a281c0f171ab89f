// sqlite_backup.cpp — copies of a SQLite ledger file: SqliteStorage::backup and restore.
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <fmt/format.h>
#include <memory>

#include "base/private_file.hpp"
#include "log/sqlite_storage.hpp"
#include "store/db.hpp"

namespace lontar::server {

namespace {

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbHandle = std::unique_ptr<sqlite3, CloseDb>;

Error sqlite_error(sqlite3* db, const std::filesystem::path& path, std::string_view what) {
  return Error{Code::io, fmt::format("{}: {}: {}", path.string(), what, db ? sqlite3_errmsg(db) : "out of memory")};
}

Result<DbHandle> open_raw(const std::filesystem::path& path, int flags) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbHandle db(raw);
  if (rc != SQLITE_OK) return sqlite_error(raw, path, "cannot open");
  sqlite3_busy_timeout(raw, store::busy_timeout_ms);
  return db;
}

Status sync_dir(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Error{Code::io, fmt::format("{}: cannot open the folder to sync it", dir.string())};
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Error{Code::io, fmt::format("{}: fsync failed", dir.string())};
  return {};
}

}  // namespace

Status copy_sqlite_file(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(from, ec)) {
    return Error{Code::not_found, fmt::format("{}: no such database", from.string())};
  }
  if (std::filesystem::exists(to, ec)) {
    return Error{Code::conflict,
                 fmt::format("{}: already exists; choose a new file (a copy never overwrites)", to.string())};
  }
  auto partial = to;
  partial += ".partial";
  std::filesystem::remove(partial, ec);
  LONTAR_TRY(ensure_private_file(partial));  // personal data: 0600 whatever the umask
  {
    LONTAR_ASSIGN(DbHandle src, open_raw(from, SQLITE_OPEN_READONLY));
    LONTAR_ASSIGN(DbHandle dst, open_raw(partial, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
    sqlite3_backup* b = sqlite3_backup_init(dst.get(), "main", src.get(), "main");
    if (!b) return sqlite_error(dst.get(), partial, "cannot start the copy");
    // All pages in one step: one read transaction on the source, hence one consistent commit.
    int rc = sqlite3_backup_step(b, -1);
    int finish = sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE || finish != SQLITE_OK) {
      Error e = sqlite_error(dst.get(), partial, "copy failed");
      std::filesystem::remove(partial, ec);
      return e;
    }
    // A single self-contained file: no -wal beside it.
    char* msg = nullptr;
    if (sqlite3_exec(dst.get(), "PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL;", nullptr, nullptr, &msg) !=
        SQLITE_OK) {
      Error e{Code::io, fmt::format("{}: {}", partial.string(), msg ? msg : "journal_mode")};
      sqlite3_free(msg);
      return e;
    }
  }
  int fd = ::open(partial.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    return Error{Code::io, fmt::format("{}: cannot sync the copy to disk", partial.string())};
  }
  ::close(fd);
  std::filesystem::rename(partial, to, ec);
  if (ec)
    return Error{Code::io, fmt::format("{}: cannot rename to {}: {}", partial.string(), to.string(), ec.message())};
  return sync_dir(std::filesystem::absolute(to).parent_path());
}

Result<CopyHead> sqlite_copy_head(const std::filesystem::path& path) {
  LONTAR_ASSIGN(auto db, store::Db::open(path.string(), {.create = false, .read_only = true}));
  CopyHead h;
  LONTAR_ASSIGN(auto leaves, db->query_int("SELECT count(*) FROM log_leaves"));
  h.leaves = static_cast<std::uint64_t>(leaves.value_or(0));
  LONTAR_ASSIGN(store::Stmt q, db->prepare("SELECT size, note FROM log_checkpoints ORDER BY size DESC LIMIT 1"));
  LONTAR_ASSIGN(bool row, q.step());
  if (row) h.checkpoint = StoredCheckpoint{q.uint64(0), q.text(1)};
  return h;
}

}  // namespace lontar::server

// sqlite_storage.hpp — the central log's rows in one SQLite file (storage.hpp's backend).
//
// One file (ledger.db) in WAL mode with synchronous=FULL: a writer connection (the
// integrator's WriteSide, whose transactions are BEGIN IMMEDIATE ... COMMIT) and a reader
// connection (the ReadSide, behind a mutex). Each typed operation is one prepared
// statement, prepared once.
//
// WAL checkpoints run on a thread of their own (SQLite's automatic ones would run inside
// the integrator's commits): once the WAL holds wal_checkpoint_pages pages, a PASSIVE
// checkpoint copies what no reader still needs, never blocking the writer or the readers.
// If that thread falls behind (long readers, a slow disk) and the WAL reaches
// wal_pages_max, the writer checkpoints itself after its commit, so the WAL stays bounded.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "log/storage.hpp"

namespace lontar::server {

// Fault injection for tests (store/db.hpp): when this environment variable holds n > 0,
// open_sqlite_storage's writer fails its n-th write step as a full disk would.
constexpr const char* fail_write_env = "LONTAR_FAIL_WRITE_AFTER";

// Creates a new ledger file at `path` (which must not exist) with its schema and settings.
Result<std::unique_ptr<LogStorage>> create_sqlite_storage(const std::string& path, const LogSettings& settings);

// Opens an existing ledger file: corrupt when a setting is missing or the schema version
// is not this program's; not_found when the file does not exist.
Result<std::unique_ptr<LogStorage>> open_sqlite_storage(const std::string& path);

// ---- copies of a ledger file (sqlite_backup.cpp): SqliteStorage::backup and restore

// Copies the SQLite database `from` into `to` (which must not exist: conflict) inside one
// read transaction of `from` (SQLite's online backup API), so the copy is the store as of
// one commit even while a server keeps writing to it. The copy is one self-contained file
// (rollback journal, not WAL), synced to disk; `to` appears only once complete.
Status copy_sqlite_file(const std::filesystem::path& from, const std::filesystem::path& to);

// What a ledger file holds (a backup's, read-only; the file is not changed): corrupt when
// it is not a ledger file of this schema version.
Result<CopyHead> sqlite_copy_head(const std::filesystem::path& path);

}  // namespace lontar::server

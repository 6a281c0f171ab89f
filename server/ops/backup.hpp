// backup.hpp — consistent copies of the ledger store (SQLite online backup API).
//
// A copy is taken inside one read transaction of the source, so it is the store exactly as
// of one commit, even while the server keeps integrating pushes (WAL: the writer never waits
// for the copy). Every commit of the log store holds the checkpoint of its leaves, so a copy
// always carries the checkpoint it matches.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "base/result.hpp"

namespace lontar::server::ops {

// Copies the SQLite database `from` into `to` (which must not exist) as one self-contained
// file (rollback journal, not WAL), synced to disk; `to` appears only once complete.
Status copy_database(const std::filesystem::path& from, const std::filesystem::path& to);

// The latest checkpoint stored in a ledger store file, and the number of leaves it holds.
struct StoredHead {
  std::uint64_t leaves = 0;
  std::uint64_t checkpoint_size = 0;
  std::string checkpoint;  // empty for a store with no checkpoint
};
Result<StoredHead> stored_head(const std::filesystem::path& ledger);

}  // namespace lontar::server::ops

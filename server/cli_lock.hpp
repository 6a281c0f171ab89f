// cli_lock.hpp — one process at a time on a data folder.
//
// `run`, `import` and `export` hold an exclusive lock on <data>/server.lock for
// their whole life, so that an import never writes a store a running server has
// open (the server keeps the tree's edge in memory) and two servers never share one.
#pragma once

#include <filesystem>
#include <string>

#include "base/result.hpp"

namespace lontar::server {

class DataLock {
 public:
  // Refuses (conflict) when another process holds it; `what` names this process in errors.
  static Result<DataLock> take(const std::filesystem::path& data_dir, const std::string& what);
  DataLock(DataLock&& o) noexcept;
  DataLock& operator=(DataLock&&) = delete;
  ~DataLock();

 private:
  explicit DataLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace lontar::server

#include "cli_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <utility>

#include "config.hpp"

namespace lontar::server {

Result<DataLock> DataLock::take(const std::filesystem::path& data_dir, const std::string& what) {
  const auto path = data_dir / lock_file_name;
  std::error_code ec;
  if (!std::filesystem::is_directory(data_dir, ec)) {
    return Error{Code::not_found, fmt::format("{}: no such data folder; `lontar-server init --data {}` creates one",
                                              data_dir.string(), data_dir.string())};
  }
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Error{Code::io, fmt::format("{}: cannot open: {}; check the folder's permissions", path.string(),
                                       std::strerror(errno))};
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Error{Code::conflict, fmt::format("{}: {} cannot start: another lontar-server process (a running server, "
                                             "an import or an export) is using {}; stop it first",
                                             path.string(), what, data_dir.string())};
  }
  return DataLock(fd);
}

DataLock::DataLock(DataLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
DataLock::~DataLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace lontar::server

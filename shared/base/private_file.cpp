#include "base/private_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace lontar {

namespace {
Error io_error(const std::filesystem::path& path, std::string_view what) {
  return Error{Code::io, path.string() + ": " + std::string(what) + ": " + std::strerror(errno) +
                             "; check the folder's permissions and free space"};
}

Result<int> open_private(const std::filesystem::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, private_file_mode);
  if (fd < 0) return io_error(path, "cannot create");
  if (::fchmod(fd, private_file_mode) != 0) {
    Error e = io_error(path, "cannot make it private (mode 0600)");
    ::close(fd);
    return e;
  }
  return fd;
}
}  // namespace

Result<std::FILE*> create_private_file(const std::filesystem::path& path, bool exclusive) {
  LONTAR_ASSIGN(const int fd, open_private(path, O_WRONLY | O_CREAT | (exclusive ? O_EXCL : O_TRUNC)));
  std::FILE* f = ::fdopen(fd, "wb");
  if (f == nullptr) {
    Error e = io_error(path, "cannot open");
    ::close(fd);
    return e;
  }
  return f;
}

Status ensure_private_file(const std::filesystem::path& path) {
  LONTAR_ASSIGN(const int fd, open_private(path, O_RDWR | O_CREAT));
  ::close(fd);
  return {};
}

Status ensure_private_dir(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return Error{Code::io, path.string() + ": cannot create the folder: " + ec.message()};
  if (::chmod(path.c_str(), private_dir_mode) != 0) return io_error(path, "cannot make the folder private (mode 0700)");
  return {};
}

}  // namespace lontar

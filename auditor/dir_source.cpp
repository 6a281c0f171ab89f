// dir_source.cpp — a Source over a directory in C2SP tlog-tiles layout.
#include <fstream>
#include <iterator>

#include "source.hpp"

namespace lontar::audit {
namespace {

// Rejects paths that could leave the directory; C2SP paths are plain relative names.
bool safe_relative(std::string_view path) {
  if (path.empty() || path.front() == '/') return false;
  return path.find("..") == std::string_view::npos && path.find('\\') == std::string_view::npos;
}

Result<Bytes> read_bounded(const std::filesystem::path& file, std::size_t max) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error{Code::not_found, file.string() + ": cannot open (is this an export directory?)"};
  in.seekg(0, std::ios::end);
  auto size = static_cast<std::size_t>(in.tellg());
  if (size > max) {
    return Error{Code::corrupt, file.string() + ": " + std::to_string(size) + " bytes, more than the limit " +
                                    std::to_string(max) + " for this resource"};
  }
  in.seekg(0);
  Bytes out(size);
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(size));
  if (!in) return Error{Code::io, file.string() + ": read failed"};
  return out;
}

class DirSource final : public Source {
 public:
  explicit DirSource(std::filesystem::path dir) : dir_(std::move(dir)) {}

  Result<std::string> checkpoint() override {
    LONTAR_ASSIGN(Bytes b, read_bounded(dir_ / "checkpoint", checkpoint_bytes_max));
    return std::string(as_chars(b));
  }

  Result<Bytes> tile(std::string_view path) override {
    if (!safe_relative(path)) return Error{Code::bad_input, "tile path '" + std::string(path) + "' is not relative"};
    return read_bounded(dir_ / std::filesystem::path(path), resource_bytes_max);
  }

  std::string describe() const override { return "dir " + dir_.string(); }

 private:
  std::filesystem::path dir_;
};

}  // namespace

std::unique_ptr<Source> make_dir_source(std::filesystem::path dir) {
  return std::make_unique<DirSource>(std::move(dir));
}

}  // namespace lontar::audit

#include <fmt/format.h>
#include <cstdio>

#include "cli.hpp"
#include "crypto/x509.hpp"

namespace lontar::server::cli {

int exit_for(const Error& e) {
  switch (e.code) {
    case Code::bad_input:
    case Code::not_found:
      return exit_usage;
    case Code::unauthorized:
    case Code::pin_mismatch:
    case Code::conflict:
      return exit_refused;
    case Code::io:
      return exit_unreachable;
    case Code::corrupt:
    case Code::history_changed:
      return exit_corrupt;
    case Code::stale_store:
    case Code::internal:
      return exit_failure;
  }
  return exit_failure;
}

int fail(const Error& e) {
  std::fprintf(stderr, "lontar-server: error: %s\n", e.message.c_str());
  return exit_for(e);
}

Result<std::string> read_passphrase_file(const std::filesystem::path& path) {
  LONTAR_ASSIGN(std::string text, crypto::read_file(path));
  auto end = text.find_first_of("\r\n");
  std::string line = text.substr(0, end);
  if (line.empty()) {
    return Error{Code::bad_input,
                 fmt::format("{}: the first line is empty; write the passphrase on it", path.string())};
  }
  return line;
}

}  // namespace lontar::server::cli

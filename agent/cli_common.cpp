#include <pwd.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cstdlib>

#include "cli.hpp"

namespace lontar::agent::cli {

int exit_for(Code c) {
  switch (c) {
    case Code::bad_input:
    case Code::conflict:
      return exit_usage;
    case Code::not_found:
      return exit_usage;
    case Code::corrupt:
    case Code::history_changed:
      return exit_verify;
    case Code::unauthorized:
    case Code::pin_mismatch:
    case Code::io:
    case Code::stale_store:
    case Code::internal:
      return exit_io;
  }
  return exit_io;
}

int fail(const Error& e) {
  fmt::print(stderr, "{}\n", i18n::tr(i18n::lang_from_env(), "error", e.message));
  return exit_for(e.code);
}

Result<Office> open(const Context& ctx) {
  std::optional<std::string> passphrase;
  if (!ctx.passphrase_file.empty()) {
    LONTAR_ASSIGN(passphrase, read_passphrase_file(ctx.passphrase_file));
  }
  return open_office(ctx.data, passphrase);
}

std::string default_operator() {
  if (const char* op = std::getenv("LONTAR_OPERATOR"); op && *op) return op;
  if (const char* user = std::getenv("USER"); user && *user) return user;
  if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_name) return pw->pw_name;
  return "";
}

}  // namespace lontar::agent::cli

// cli.hpp — the lontar-server command line: one file per command group.
//
// Each add_* registers its subcommands on `app`; the command's work runs after
// parsing and its exit code is stored in `exit_code`.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <optional>
#include <string>

#include "base/result.hpp"

namespace lontar::server::cli {

// Exit codes (also listed in --help).
enum Exit : int {
  exit_ok = 0,
  exit_failure = 1,      // an unexpected failure (a bug, or corrupt local data)
  exit_usage = 2,        // bad arguments, config or input file: the message names it
  exit_refused = 3,      // refused: a rejected verdict, an unregistered or non-admin key, a wrong server, a lock
  exit_unreachable = 4,  // cannot reach the server or read/write a file (network, TLS, disk)
  exit_corrupt = 5,      // verification failed: a checkpoint, proof or store does not check out
};

inline constexpr const char* exit_codes_help =
    "Exit codes: 0 ok; 1 unexpected failure; 2 bad arguments, config or input (the message names it); "
    "3 refused (a rejected verdict, a key that is not registered or not an admin, a server that is not the pinned "
    "one, a lock held); "
    "4 cannot reach the server or a file (network, TLS, disk); 5 verification failed (checkpoint, proof, store).";

int exit_for(const Error& e);
// Prints "lontar-server: error: <message>" to stderr and returns exit_for(e).
int fail(const Error& e);

// The first line of a passphrase file, without its line end; the error names the file.
Result<std::string> read_passphrase_file(const std::filesystem::path& path);

void add_init(CLI::App& app, int& exit_code);
void add_run(CLI::App& app, int& exit_code);
void add_admin(CLI::App& app, int& exit_code);    // office, auditor, schedule, status
void add_export(CLI::App& app, int& exit_code);   // export, import
void add_backup(CLI::App& app, int& exit_code);   // backup, restore, scrub (cli_backup.cpp)
void add_migrate(CLI::App& app, int& exit_code);  // migrate (cli_migrate.cpp): SQLite to PostgreSQL

}  // namespace lontar::server::cli

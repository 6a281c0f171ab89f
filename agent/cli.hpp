// cli.hpp — what the lontar-agent subcommands share: global options, exit codes,
// error printing. Each cli_*.cpp registers one group of subcommands.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "base/result.hpp"
#include "i18n/i18n.hpp"
#include "office.hpp"

namespace lontar::agent::cli {

// Exit codes (also listed in --help).
enum Exit : int {
  exit_ok = 0,
  exit_usage = 1,        // bad command line or bad input (the message names the field)
  exit_io = 2,           // the store or a file could not be read or written (disk full, permissions)
  exit_rejected = 3,     // the rules refused the entry; nothing was recorded
  exit_confirm = 4,      // the entry is flagged: repeat with --confirm to record it
  exit_verify = 5,       // verify found the chain, a seal or the store damaged
  exit_not_found = 6,    // show/find found nothing
  exit_incident = 7,     // sync: the server's history changed; syncing stopped until `incident clear`
  exit_unreachable = 8,  // sync: server unreachable, TLS failure or server error; try again later
  exit_refused = 9,      // sync: the server refused this office (not registered, revoked, equivocation)
  exit_partial = 10,     // import: some rows recorded (or already there), some rejected: see the rejects file
};

constexpr const char* exit_codes_help =
    "Exit codes: 0 ok; 1 bad command line or input; 2 I/O or store error (disk full, permissions);\n"
    "3 rejected by the rules (nothing recorded); 4 flagged, repeat with --confirm; 5 verification failed\n"
    "or a stored entry shown is damaged; "
    "6 nothing found; 7 INCIDENT: the server's history changed (see `incident show`); 8 server unreachable,\n"
    "try again later; 9 the server refused this office; 10 import: some rows rejected (the others recorded),\n"
    "see the rejects file (when an import rejects rows and records none it exits 3).";

struct Context {
  std::string data;             // --data, default $LONTAR_DATA or ./lontar-data
  std::string passphrase_file;  // --passphrase-file, default $LONTAR_PASSPHRASE_FILE
  int exit_code = exit_ok;
  i18n::Lang lang = i18n::lang_from_env();  // LC_ALL, LC_MESSAGES, LANG (README "Language")
};

// Prints "error: <message>" on stderr and returns the exit code for the error.
int fail(const Error& e);
int exit_for(Code c);
// Opens the office in ctx.data (reading the passphrase file if any).
Result<Office> open(const Context& ctx);
// The operator id: $LONTAR_OPERATOR, else $USER, else the login name.
std::string default_operator();

void add_init(CLI::App& app, Context& ctx);
void add_record(CLI::App& app, Context& ctx);
void add_import(CLI::App& app, Context& ctx);
void add_query(CLI::App& app, Context& ctx);
void add_verify(CLI::App& app, Context& ctx);
void add_generate(CLI::App& app, Context& ctx);
void add_sync(CLI::App& app, Context& ctx);    // sync, run, incident
void add_bundle(CLI::App& app, Context& ctx);  // import-bundle
void add_recover(CLI::App& app, Context& ctx);
void add_clerk(CLI::App& app, Context& ctx);  // clerk add|disable|enable|passphrase|list
void add_serve(CLI::App& app, Context& ctx);  // the web page (agent/web/)
// The loud "server history changed" message on stderr (sync, import-bundle).
void print_incident(const Error& e);
// status's sync part: verdict counts and the rejected/flagged entries with their
// reasons (from receipts), and the incident if any. Returns exit_incident when
// there is one, else exit_ok.
int print_sync_status(Office& office);

}  // namespace lontar::agent::cli

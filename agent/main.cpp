// lontar-agent — the office program: record, import, verify, export, sync (DESIGN.md).
#include <cstdlib>

#include "cli.hpp"

int main(int argc, char** argv) {
  using namespace lontar::agent::cli;
  CLI::App app{
      "lontar-agent — the office program of Lontar: record enrollments, contributions, claims and "
      "payouts offline, import partner lists, keep a tamper-evident local chain"};
  app.set_version_flag("--version", "lontar-agent 0.1.0");
  app.footer(exit_codes_help);
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand: `init --office X --data D`
  Context ctx;
  const char* data = std::getenv("LONTAR_DATA");
  ctx.data = data && *data ? data : "lontar-data";
  const char* pass = std::getenv("LONTAR_PASSPHRASE_FILE");
  ctx.passphrase_file = pass ? pass : "";
  app.add_option("--data", ctx.data, "the office's data folder (default $LONTAR_DATA, else ./lontar-data)")
      ->capture_default_str();
  app.add_option("--passphrase-file", ctx.passphrase_file,
                 "file whose first line is the office key's passphrase (default $LONTAR_PASSPHRASE_FILE)");
  add_init(app, ctx);
  add_record(app, ctx);
  add_import(app, ctx);
  add_query(app, ctx);
  add_verify(app, ctx);
  add_generate(app, ctx);
  add_sync(app, ctx);
  add_bundle(app, ctx);
  add_recover(app, ctx);
  add_clerk(app, ctx);
  add_serve(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? exit_ok : exit_usage;
  }
  return ctx.exit_code;
}

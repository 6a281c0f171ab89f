// lontar-server — the sync server: central log, checkpoints, tiles, admin commands.
#include <CLI/CLI.hpp>

#include "cli.hpp"

int main(int argc, char** argv) {
  using namespace lontar::server::cli;
  CLI::App app{
      "lontar-server — the sync server of a Lontar ledger: the central log, its checkpoints and tiles, "
      "and the admin commands that register offices and auditors"};
  app.set_version_flag("--version", "lontar-server 0.1.0");
  app.footer(exit_codes_help);
  app.require_subcommand(1);
  int exit_code = exit_ok;
  add_init(app, exit_code);
  add_run(app, exit_code);
  add_admin(app, exit_code);
  add_export(app, exit_code);
  add_backup(app, exit_code);
  add_migrate(app, exit_code);
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    sub->footer(exit_codes_help);
    for (CLI::App* leaf : sub->get_subcommands([](CLI::App*) { return true; })) leaf->footer(exit_codes_help);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? exit_ok : exit_usage;
  }
  return exit_code;
}

// lontar-audit — independent verification of the ledger.
#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  CLI::App app{"lontar-audit — independent verification of the ledger"};
  app.set_version_flag("--version", "lontar-audit 0.1.0");
  CLI11_PARSE(app, argc, argv);
  return 0;
}

// lontar-server — the sync server: central log, checkpoints, tiles.
#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  CLI::App app{"lontar-server — the sync server: central log, checkpoints, tiles"};
  app.set_version_flag("--version", "lontar-server 0.1.0");
  CLI11_PARSE(app, argc, argv);
  return 0;
}

// lontar-agent — the office program: record, import, sync.
#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  CLI::App app{"lontar-agent — the office program: record, import, sync"};
  app.set_version_flag("--version", "lontar-agent 0.1.0");
  CLI11_PARSE(app, argc, argv);
  return 0;
}

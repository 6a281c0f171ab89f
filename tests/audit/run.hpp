// run.hpp — runs the real lontar-audit binary and captures what it says.
#pragma once

#include <string>

namespace lontar::test {

struct Run {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs `lontar-audit <args>` (args are shell words, quoted by the caller).
Run audit(const std::string& args);

}  // namespace lontar::test

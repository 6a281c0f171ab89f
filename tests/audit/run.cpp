#include "run.hpp"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>

namespace lontar::test {

Run audit(const std::string& args) {
  Run r;
  std::string cmd = std::string(LONTAR_AUDIT_BIN) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  // LONTAR_TEST_ECHO=1 shows every run (to read the auditor's messages).
  if (std::getenv("LONTAR_TEST_ECHO") != nullptr)
    std::fprintf(stderr, "$ %s\n%s[exit %d]\n", cmd.c_str(), r.output.c_str(), r.exit_code);
  return r;
}

}  // namespace lontar::test

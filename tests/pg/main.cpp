// pg_tests: the central log on a real PostgreSQL 15 (tests/pg/pg_cluster.hpp starts one).
// Skipped (exit 77) only when the PostgreSQL binaries are not installed.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

#include "pg/pg_cluster.hpp"

int main(int argc, char** argv) {
  if (const std::string why = lontar::test::pg::missing_binaries(); !why.empty()) {
    std::printf("pg_tests: SKIPPED: %s\n", why.c_str());
    return 77;
  }
  doctest::Context context(argc, argv);
  return context.run();
}

#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

int main(int argc, char** argv) {
  // Access-log lines would drown the test output; LONTAR_TEST_LOG=1 shows them.
  spdlog::set_level(std::getenv("LONTAR_TEST_LOG") ? spdlog::level::info : spdlog::level::warn);
  doctest::Context context(argc, argv);
  return context.run();
}

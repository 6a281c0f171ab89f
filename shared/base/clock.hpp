// clock.hpp — the wall clock, in the one unit Lontar records it.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>

namespace lontar {

// Milliseconds since the Unix epoch by this machine's clock. Informational only: recorded_at
// fields, checkpoint store times, incident notes; no verdict depends on it.
inline std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// `ms` since the epoch as UTC text in strftime's `format` ("2026-12-06 15:23:11Z" by default).
inline std::string utc_text(std::int64_t ms, const char* format = "%Y-%m-%d %H:%M:%SZ") {
  const auto t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof buf, format, &tm);
  return std::string(buf, n);
}

}  // namespace lontar

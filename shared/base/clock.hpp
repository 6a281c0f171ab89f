// clock.hpp — the wall clock, in the one unit Lontar records it.
#pragma once

#include <chrono>
#include <cstdint>

namespace lontar {

// Milliseconds since the Unix epoch by this machine's clock. Informational only: recorded_at
// fields, checkpoint store times, incident notes; no verdict depends on it.
inline std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace lontar

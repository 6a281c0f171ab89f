// take.hpp — unwrapping a Result in test set-up code: the value, or the error on
// stderr and an abort. For fixtures, builders, benchmarks and the soak program, where
// a failure is a broken test harness, not a finding (checks on results use doctest).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "base/result.hpp"

namespace lontar::test {

// Aborts with "<what>: <message>" unless `ok`.
inline void take(bool ok, std::string_view what, std::string_view message = "") {
  if (ok) return;
  std::fprintf(stderr, "test set-up failed: %.*s%s%.*s\n", static_cast<int>(what.size()), what.data(),
               message.empty() ? "" : ": ", static_cast<int>(message.size()), message.data());
  std::abort();
}

template <class T>
T take(Result<T> r, std::string_view what) {
  take(r.ok(), what, r.ok() ? std::string_view{} : std::string_view{r.error().message});
  return std::move(r).value();
}

inline void take(Status s, std::string_view what) {
  take(s.ok(), what, s.ok() ? std::string_view{} : std::string_view{s.error().message});
}

}  // namespace lontar::test

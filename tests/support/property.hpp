// property.hpp — run a rapidcheck property inside a doctest test case.
// Usage: CHECK(lontar::test::property("what holds", [](int x) { RC_ASSERT(...); }));
#pragma once

#include <rapidcheck.h>

namespace lontar::test {

template <class Fn>
bool property(const char* description, Fn&& fn) {
  return rc::check(description, std::forward<Fn>(fn));
}

}  // namespace lontar::test

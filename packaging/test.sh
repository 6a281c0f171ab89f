#!/usr/bin/env bash
# test.sh — set up (dependencies, build) and run the whole test suite.
#   LONTAR_SANITIZE=1   build with AddressSanitizer + UndefinedBehaviorSanitizer
#   LONTAR_BUILD_DIR=d  build directory (default: build, or build-asan when sanitizing)
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
if [[ -n "${LONTAR_SANITIZE:-}" ]]; then
  build=${LONTAR_BUILD_DIR:-build-asan}
  flags=(-DLONTAR_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
else
  build=${LONTAR_BUILD_DIR:-build}
  flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
fi
cmake -S . -B "$build" -G Ninja -DLONTAR_WERROR=ON "${flags[@]}" >/dev/null
echo "test.sh: building in $build"
cmake --build "$build" -j2
ctest --test-dir "$build" --output-on-failure --timeout 900 -j2

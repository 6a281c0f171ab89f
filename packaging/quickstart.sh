#!/usr/bin/env bash
# quickstart.sh — set up, build, and run Lontar's quick-start scenario.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
build=${LONTAR_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2
for p in agent/lontar-agent server/lontar-server auditor/lontar-audit; do
  "$build/$p" --help
  echo
done

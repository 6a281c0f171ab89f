#!/usr/bin/env bash
# check-format.sh — every C++ file in the tree follows .clang-format (Debian's clang-format 14).
# Fix with: git ls-files '*.cpp' '*.hpp' '*.h' | xargs clang-format -i
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "check-format: clang-format missing (packaging/install-deps.sh installs it)" >&2; exit 1; }
git ls-files '*.cpp' '*.hpp' '*.h' | xargs clang-format --dry-run --Werror
echo "check-format: every C++ file follows .clang-format"

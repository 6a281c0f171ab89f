#!/usr/bin/env bash
# Runs libFuzzer targets for a bounded time each, starting from their seed corpus.
# Usage: tests/fuzz/run.sh [SECONDS] [TARGET...]   (default: 60 s, every target built in build-fuzz/)
# Build first (clang, `packaging/install-deps.sh --fuzz`):
#   cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DLONTAR_FUZZ=ON && ninja -C build-fuzz
# New inputs go to a scratch corpus under ${TMPDIR:-/tmp}; a crash leaves crash-* in the
# current folder and makes this script exit non-zero.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${LONTAR_FUZZ_BUILD:-$here/../../build-fuzz}/tests
seconds=${1:-60}
shift || true
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  for f in "$bin"/*_fuzz; do [[ -x $f ]] && targets+=("$(basename "$f")"); done
fi
[[ ${#targets[@]} -gt 0 ]] || { echo "no fuzz targets in $bin: build them first (see above)" >&2; exit 2; }
for t in "${targets[@]}"; do
  name=${t%_fuzz}
  seeds=$here/${name}_corpus
  [[ -d $seeds ]] || seeds=$here/${name%%_*}_corpus
  scratch=${TMPDIR:-/tmp}/lontar-fuzz-$name
  mkdir -p "$scratch"
  args=(-max_total_time="$seconds" -max_len=70000 -print_final_stats=1)
  [[ -f $here/$name.dict ]] && args+=(-dict="$here/$name.dict")
  echo "== $t for ${seconds}s (seeds: $seeds)"
  "$bin/$t" "${args[@]}" "$scratch" "$seeds"
done

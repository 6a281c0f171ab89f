#!/bin/sh
# receipts_size.sh — the size of the receipts bundle (docs/FORMAT.md §8) for an office
# export of N enrollments, in both versions, with the real binaries: a server and an
# office are set up on loopback, the office imports a generated partner list of N rows
# and exports it; `lontar-server import` writes the version 2 bundle and, importing the
# same file again, the version 1 bundle; `lontar-agent import-bundle` verifies and stores
# the version 2 one (timed). Not a test: it prints figures.
#
# Usage: bench/receipts_size.sh BUILD_DIR [N]      (default N: 43000)
set -eu
build=${1:?usage: receipts_size.sh BUILD_DIR [N]}
rows=${2:-43000}
server=$build/server/lontar-server
agent=$build/agent/lontar-agent
work=$(mktemp -d "${TMPDIR:-/tmp}/lontar-receipts-size.XXXXXX")
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT INT TERM

"$server" init --data "$work/server" --origin bench.lontar/receipts > "$work/init.out"
key=$(grep -o 'bench.lontar/receipts+[^ ]*' "$work/init.out" | head -1)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -i "s/^port = .*/port = $port/" "$work/server/server.toml"
"$server" run --config "$work/server/server.toml" > "$work/server.log" 2>&1 &
pid=$!
url=https://127.0.0.1:$port
for _ in $(seq 100); do grep -q "listening" "$work/server.log" 2>/dev/null && break; sleep 0.1; done
"$agent" --data "$work/office" init --office SBY-RUNGKUT --name "Kantor Rungkut" --server "$url" \
  --server-key "$key" > "$work/agent-init.out"
office_key=$(sed -n 's/.*public key: *\([0-9a-f]\{64\}\).*/\1/p' "$work/agent-init.out" | head -1)
"$server" office add --id SBY-RUNGKUT --name "Kantor Rungkut" --key "$office_key" --server "$url" \
  --server-key "$key" --admin-key "$work/server/admin.key" > /dev/null
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=

"$agent" --data "$work/office" generate-partner-csv --out "$work/list.csv" --tagana "$rows" > /dev/null
"$agent" --data "$work/office" import "$work/list.csv" > /dev/null
"$agent" --data "$work/office" export --out "$work/export.lontar" > /dev/null
"$server" import --data "$work/server" --batch "$work/export.lontar" > "$work/import.out"
"$server" import --data "$work/server" --batch "$work/export.lontar" --receipts "$work/v1.receipts" \
  --receipts-version 1 > /dev/null
v2=$(stat -c %s "$work/export.lontar.receipts")
v1=$(stat -c %s "$work/v1.receipts")
grep '^imported' "$work/import.out"
echo "receipts bundle for $rows entries: version 2 (range proofs) $v2 bytes ($(( v2 / rows )) per entry);" \
  "version 1 (one inclusion proof per entry) $v1 bytes ($(( v1 / rows )) per entry)"
start=$(date +%s.%N)
"$agent" --data "$work/office" import-bundle "$work/export.lontar.receipts"
end=$(date +%s.%N)
echo "import-bundle of the version 2 bundle: $(echo "$end - $start" | bc) s wall"

#!/usr/bin/env bash
# units_test.sh — the systemd units in packaging/ pass `systemd-analyze verify`.
# verify also checks that ExecStart's program exists, so the units are checked with the binary
# paths pointed at /bin/true (the installed units are verified again by deb_test.sh).
# Exit 77 (CTest: skipped) only when systemd-analyze cannot run here at all.
set -euo pipefail
packaging=${1:?usage: units_test.sh <packaging dir>}
if ! command -v systemd-analyze >/dev/null; then
  echo "SKIP: systemd-analyze is not installed (package systemd; packaging/install-deps.sh installs it)"
  exit 77
fi
if ! systemd-analyze --version >/dev/null 2>&1; then
  echo "SKIP: systemd-analyze is installed but cannot run in this container"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for unit in lontar-server lontar-agent; do
  sed "s#/usr/bin/$unit #/bin/true #" "$packaging/$unit.service" >"$tmp/$unit.service"
  grep -q '^ExecStart=/bin/true ' "$tmp/$unit.service" || { echo "FAIL: $unit.service: no ExecStart=/usr/bin/$unit"; exit 1; }
done
# Required settings (the sandbox and the service contract), checked as written.
s="$packaging/lontar-server.service"
for line in 'Type=simple' 'ExecStart=/usr/bin/lontar-server run --config /etc/lontar/server.toml' 'User=lontar' \
            'StateDirectory=lontar' 'Restart=on-failure' 'ProtectSystem=strict' 'ProtectHome=yes' \
            'NoNewPrivileges=yes' 'PrivateTmp=yes' 'ReadWritePaths=/var/lib/lontar' 'ExecReload=/bin/kill -HUP $MAINPID'; do
  grep -qxF "$line" "$s" || { echo "FAIL: lontar-server.service lacks: $line"; exit 1; }
done
grep -qxF 'ExecStart=/usr/bin/lontar-agent run $LONTAR_AGENT_ARGS' "$packaging/lontar-agent.service" ||
  { echo "FAIL: lontar-agent.service does not run the sync loop"; exit 1; }
out=$(systemd-analyze verify "$tmp/lontar-server.service" "$tmp/lontar-agent.service" 2>&1) || {
  echo "FAIL: systemd-analyze verify:"; echo "$out"; exit 1; }
# verify prints warnings without failing; ours must have none.
if [[ -n "$out" ]]; then echo "FAIL: systemd-analyze verify warned:"; echo "$out"; exit 1; fi
echo "ok: lontar-server.service and lontar-agent.service pass systemd-analyze verify"

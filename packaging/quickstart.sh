#!/usr/bin/env bash
# quickstart.sh — set up, build, and run Lontar's quick-start scenario: the 2018 Surabaya case.
#
# On loopback, with the embedded SQLite stores: a sync server, two offices (Surabaya Rungkut and
# Surabaya Darmo) that work offline — Rungkut enrolls 1,600 Tagana, 664 TKSK and 200 KPM PKH from
# the Dinas Sosial Jawa Timur list, records the sponsor's contributions and pays three death
# benefits of Rp 24,000,000; Darmo enrolls some of the same people from its own list — then both
# sync, the server's rules engine finds the duplicates, and an auditor verifies the whole log from
# an export without trusting the server. Everything it starts, it stops.
#
#   LONTAR_BUILD_DIR=dir       build directory (default: build)
#   LONTAR_QUICKSTART_DIR=dir  where the scenario's data goes (default: a new folder under /tmp)
#   LONTAR_SKIP_SETUP=1        skip installing dependencies and building (binaries must exist)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${LONTAR_BUILD_DIR:-build}

if [[ -z "${LONTAR_SKIP_SETUP:-}" ]]; then
  bash packaging/install-deps.sh
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" -j2 --target lontar-agent lontar-server lontar-audit
fi
case "$build" in /*) bin=$build ;; *) bin=$root/$build ;; esac
agent="$bin/agent/lontar-agent"
server="$bin/server/lontar-server"
audit="$bin/auditor/lontar-audit"

# The scenario's own files (the contributions list, reports) hold personal data: owner only.
umask 077
work=${LONTAR_QUICKSTART_DIR:-$(mktemp -d /tmp/lontar-quickstart.XXXXXX)}
mkdir -p "$work"
server_pid=""
stop_server() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    wait "$server_pid" || true
  fi
  server_pid=""
}
trap stop_server EXIT

step() { printf '\n== %s\n' "$*"; }
field() { # field <label> <text>: the value after "label" on its line
  printf '%s\n' "$2" | sed -n "s/^ *$1 *//p" | head -n1
}

step "1. The central server: a new ledger (log key, admin key, TLS certificate, genesis schedule)"
out=$("$server" init --data "$work/server" --origin lontar.example/jatim)
printf '%s\n' "$out"
server_key=$(printf '%s\n' "$out" | sed -n '/log verifier key/{n;s/^ *//;p}')
[[ -n "$server_key" ]] || { echo "quickstart: could not read the verifier key from init" >&2; exit 1; }
# Any free port on loopback: the server writes the port it bound to <data>/server.port.
sed -i 's/^port = .*/port = 0/' "$work/server/server.toml"
"$server" run --config "$work/server/server.toml" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 1 100); do
  [[ -s "$work/server/server.port" ]] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.1
done
url="https://127.0.0.1:$(cat "$work/server/server.port")"
echo "server listening on $url (log: $work/server.log)"
export LONTAR_SERVER="$url" LONTAR_SERVER_KEY="$server_key" LONTAR_ADMIN_KEY="$work/server/admin.key"

step "2. Two offices: each creates its key; the admin registers it"
declare -A office_name=([SBY-RUNGKUT]="Surabaya Rungkut" [SBY-DARMO]="Surabaya Darmo")
for id in SBY-RUNGKUT SBY-DARMO; do
  out=$("$agent" --data "$work/$id" init --office "$id" --name "${office_name[$id]}" --server "$url" \
    --server-key "$server_key")
  key=$(field "public key:" "$out")
  "$server" office add --id "$id" --name "${office_name[$id]}" --key "$key" --scope 35
done

step "3. Offline at Rungkut: the Dinas Sosial list (1,600 Tagana, 664 TKSK, 200 KPM PKH)"
"$agent" generate-partner-csv --out "$work/dinsos-jatim.csv" --tagana 1600 --tksk 664 --kpm-pkh 200
"$agent" --data "$work/SBY-RUNGKUT" import "$work/dinsos-jatim.csv" --operator clerk-rungkut \
  --rejects "$work/rungkut-rejects.csv"

step "4. Offline at Rungkut: the sponsor pays May-July 2018 (JKK Rp 10,000 + JKM Rp 6,800 a month)"
# One contribution row per enrolled person, built from the list's NIK column (the list starts
# with a UTF-8 byte-order mark, as spreadsheets write it: drop it before reading the header).
awk -F, 'NR == 1 { sub(/^\357\273\277/, ""); for (i = 1; i <= NF; i++) if ($i == "nik") c = i; print "nik,first_month,months,jkk,jkm,payer,receipt_no"; next }
         { printf "%s,2018-05,3,30000,20400,DINSOS-JATIM,DS-2018-%05d\n", $c, NR - 1 }' \
  "$work/dinsos-jatim.csv" >"$work/contributions.csv"
"$agent" --data "$work/SBY-RUNGKUT" import "$work/contributions.csv" --kind contribute --operator clerk-rungkut \
  --rejects "$work/contribution-rejects.csv"

step "5. Offline at Rungkut: three Tagana died; their heirs are paid the JKM death benefit"
niks=$(awk -F, 'NR == 1 { sub(/^\357\273\277/, ""); for (i = 1; i <= NF; i++) if ($i == "nik") c = i; next } NR <= 4 { print $c }' \
  "$work/dinsos-jatim.csv")
n=0
for nik in $niks; do
  n=$((n + 1))
  claim="SBY-RUNGKUT/2018/000$n"
  "$agent" --data "$work/SBY-RUNGKUT" claim --claim-no "$claim" --nik "$nik" --programme JKM \
    --event-date 2018-05-2$n --claimant-name "Ahli Waris $n" --claimant-relation spouse --operator clerk-rungkut
  "$agent" --data "$work/SBY-RUNGKUT" pay --claim-no "$claim" --amount 24000000 --beneficiary "Ahli Waris $n" \
    --method bank --reference "TRF-2018-05-2$n" --operator clerk-rungkut
done

step "6. Offline at Darmo: its own list, with 40 people who are also on Rungkut's"
"$agent" generate-partner-csv --out "$work/darmo.csv" --tagana 60 --seed 7 \
  --overlap-from "$work/dinsos-jatim.csv" --overlap 40
"$agent" --data "$work/SBY-DARMO" import "$work/darmo.csv" --operator clerk-darmo --rejects "$work/darmo-rejects.csv"

step "7. The network is back: both offices sync (Rungkut first), then Rungkut pulls Darmo's entries"
"$agent" --data "$work/SBY-RUNGKUT" sync
"$agent" --data "$work/SBY-DARMO" sync
"$agent" --data "$work/SBY-RUNGKUT" sync

step "8. What the centre decided"
for id in SBY-RUNGKUT SBY-DARMO; do
  echo "-- $id"
  "$agent" --data "$work/$id" status
done
echo "(SBY-RUNGKUT synced first and keeps each person both offices enrolled; SBY-DARMO's copies were refused.)"

step "9. The auditor: the server stops and exports its log; the audit checks it without trusting the server"
stop_server
"$server" export --data "$work/server" --out "$work/export"
"$audit" verify --dir "$work/export" --key "$server_key" --state "$work/audit"
"$audit" report --state "$work/audit" >"$work/audit-report.txt"
# The totals and the first rejections; the whole report (every rejected entry) is in the file.
sed -n '1,/^Flagged and rejected entries/p' "$work/audit-report.txt"
grep -A5 '^Flagged and rejected entries' "$work/audit-report.txt" | tail -n +2 || true
echo "  ... $(grep -c '  rejected  \|  flagged  ' "$work/audit-report.txt") flagged or rejected in all: see $work/audit-report.txt"

"$audit" report --state "$work/audit" --html "$work/audit-report.html" --lang id
echo "The auditor's page (charts and tables, prints on A4): $work/audit-report.html"

step "10. The office page for clerks: an account for Siti at Rungkut"
printf 'siti-rungkut-2018\n' >"$work/clerk-siti.pass"
chmod 600 "$work/clerk-siti.pass"
"$agent" --data "$work/SBY-RUNGKUT" clerk add siti --name "Siti Aminah" --clerk-passphrase-file "$work/clerk-siti.pass"

step "Done"
echo "The scenario's files are in $work (server, both offices, the export, the audit state)."
echo
echo "The office page (Bahasa Indonesia; English by the switch at the top right). Start it with:"
echo "  $agent --data $work/SBY-RUNGKUT serve --listen 127.0.0.1:8080"
echo "then open http://127.0.0.1:8080/ and sign in as siti, passphrase siti-rungkut-2018."

#!/bin/bash
# lontar-audit report --html: a real ledger (lontar-server, one office, a payout above the
# schedule), exported and audited; the page holds the ledger's state, charts and exceptions,
# in Indonesian and English, with no external asset.
# Usage: report_html_test.sh AGENT SERVER AUDIT
set -euo pipefail
agent=$1 server=$2 audit=$3
work=$(mktemp -d)
server_pid=
trap '[[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$server" init --data srv --origin lontar.test/jatim >init.out
key=$(grep -o 'lontar.test/jatim+[^ ]*' init.out | head -1)
sed -i 's/^port = [0-9]*/port = 0/' srv/server.toml
"$server" run --config srv/server.toml >run.out 2>run.err &
server_pid=$!
for _ in $(seq 100); do grep -q 'listening on' run.out && break; sleep 0.2; done
url=$(grep -o 'https://[^ ]*' run.out | head -1)
[[ -n "$url" ]] || fail "server did not start: $(cat run.err)"
"$agent" --data o init --office SBY-RUNGKUT --name "Surabaya Rungkut" --server "$url" --server-key "$key" >o.out
pk=$(grep -o 'public key: *[0-9a-f]*' o.out | awk '{print $3}')
"$server" office add --id SBY-RUNGKUT --name Rungkut --key "$pk" --server "$url" --server-key "$key" \
  --admin-key srv/admin.key >/dev/null
export LONTAR_OPERATOR=ani
"$agent" --data o generate-partner-csv --out p.csv --tagana 30 --tksk 10 >/dev/null
"$agent" --data o import p.csv >/dev/null
"$agent" --data o enroll --nik 3578010101800001 --name "Budi" --birth-date 1980-01-01 --occupation TAGANA \
  --coverage-start 2018-05-14 >/dev/null
"$agent" --data o contribute --nik 3578010101800001 --first-month 2018-05 --months 12 --jkk 120000 --jkm 81600 \
  --receipt R1 >/dev/null
"$agent" --data o claim --claim-no C1 --nik 3578010101800001 --event-date 2018-06-01 --claimant-name Siti >/dev/null
"$agent" --data o pay --claim-no C1 --amount 30000000 --beneficiary Siti --reference B1 --confirm >/dev/null
"$agent" --data o sync >/dev/null
kill "$server_pid"
wait "$server_pid" || true
server_pid=
"$server" export --data srv --out exp >/dev/null 2>&1

# Audit and report in one command; the page says PASS (LULUS) with the log's state.
"$audit" report --dir exp --key "$key" --state st --html report.html >/dev/null || fail "report --html exit $?"
[[ $(stat -c %a report.html) == 600 ]] || fail "report.html is not 0600"
page=$(cat report.html)
for want in 'lang="id"' 'Laporan Audit Lontar' 'lontar.test/jatim' 'LULUS' 'Rp 30.000.000' 'Rp 201.600' \
  'pembayaran melebihi manfaat menurut jadwal' '[above_schedule]' 'SBY-RUNGKUT' 'TAGANA' 'TKSK' 'JKK+JKM' \
  'Pembayaran manfaat terhadap jadwal' 'ditandai'; do
  grep -qF -- "$want" <<<"$page" || fail "the Indonesian page lacks '$want'"
done
[[ $(grep -o '<svg' <<<"$page" | wc -l) -ge 9 ]] || fail "fewer than 9 charts"
grep -q 'fill="#c0392b"' <<<"$page" || fail "the payout above the schedule is not drawn in red"
# Self-contained: no script, no link, no src, no URL but the SVG namespace.
grep -qiE '<script|<link|src=|url\(' <<<"$page" && fail "the page refers to something outside it"
[[ -z $(grep -oE 'https?://[^"]*' <<<"$page" | grep -v '^http://www.w3.org/2000/svg$') ]] || fail "external URL"

"$audit" report --state st --html report-en.html --lang en >/dev/null
for want in 'lang="en"' 'Lontar Audit Report' 'PASS' 'flagged' 'Payouts against the schedule'; do
  grep -qF -- "$want" report-en.html || fail "the English page lacks '$want'"
done
"$audit" report --state st --html x.html --lang fr >/dev/null 2>err.txt && fail "--lang fr accepted"
grep -q -- "--lang" err.txt || fail "--lang fr: no clear error"
echo "report --html: ok"

#!/usr/bin/env bash
# quickstart_test.sh BUILD_DIR — runs the README's quick-start scenario (packaging/quickstart.sh)
# on the built binaries and checks what it promises: the audit passes, Rp 72.000.000 paid on three
# death claims, Darmo's 40 duplicate enrollments rejected, the HTML report written, and every
# store that holds personal data readable by its owner only.
set -euo pipefail
build=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/lontar-quickstart-test.XXXXXX)
trap 'rm -rf "$work"' EXIT

fail() { echo "quickstart_test: $*" >&2; echo "--- output:" >&2; cat "$work/out.txt" >&2; exit 1; }

if ! LONTAR_SKIP_SETUP=1 LONTAR_BUILD_DIR="$build" LONTAR_QUICKSTART_DIR="$work/qs" \
  bash "$root/packaging/quickstart.sh" >"$work/out.txt" 2>&1; then
  fail "packaging/quickstart.sh failed"
fi
expect() { grep -Eq -- "$1" "$work/out.txt" || fail "the output lacks /$1/ ($2)"; }
expect '^PASS: log lontar\.example/jatim at size [0-9]+' "the audit must pass"
expect 'payout\.made +3 +Rp 72\.000\.000' "three death benefits of Rp 24.000.000"
expect 'pushed 100 entries in 1 batches \(60 accepted, 40 rejected, 0 flagged\)' "Darmo's 40 duplicates"
expect 'pushed [0-9]+ entries in [0-9]+ batches \([0-9]+ accepted, 0 rejected, 0 flagged\)' "Rungkut's entries all accepted"
expect '40 flagged or rejected in all' "the report lists every rejection"
expect '^verdicts: +60 accepted, 40 rejected, 0 flagged by the server' "Darmo's status counts the server's verdicts"
expect '^verdicts: +4934 accepted, 0 rejected, 0 flagged by the server' "Rungkut's status counts the server's verdicts"
expect '#20 rejected participant\.enroll [0-9]{16} \(leaf [0-9]+\): duplicate_enrollment' "status lists Darmo's first 20 rejections"
expect '2464 rows: 2464 recorded' "the Dinas Sosial list goes in whole"
[[ -s "$work/qs/audit-report.html" ]] || fail "no HTML report at $work/qs/audit-report.html"
grep -q 'Rp 72.000.000' "$work/qs/audit-report.html" || fail "the HTML report lacks the payout total"

# Files holding personal data: owner only.
for f in SBY-RUNGKUT/agent.db SBY-DARMO/agent.db dinsos-jatim.csv darmo.csv contributions.csv audit-report.txt; do
  mode=$(stat -c %a "$work/qs/$f")
  [[ "$mode" == 600 ]] || fail "$f has mode $mode; a file with personal data must be 600"
done
echo "quickstart_test: the quick-start scenario ran and kept its promises"

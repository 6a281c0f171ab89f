#!/usr/bin/env bash
# scope_coverage.sh — how the scoped feed (docs/PROTOCOL.md, feed) changes what an office
# catches offline, on the quick-start scenario's lists (packaging/quickstart.sh, steps 4 and 6).
#
# SBY-RUNGKUT enrolls the DINSOS-JATIM list (2,464 East Java people over many regencies);
# SBY-DARMO then enrolls its own list, 40 of whose people are also on Rungkut's. Darmo's
# replica holds Rungkut's enrollment of a person only when the person's NIK is in Darmo's
# scope, so a duplicate is caught offline exactly then (otherwise the server's verdict
# rejects it at the next sync). For each scope the script prints the duplicates caught
# offline and how many of Rungkut's people Darmo's replica receives (its exposure).
#
# usage: bench/scope_coverage.sh [path/to/lontar-agent]   (default build/agent/lontar-agent)
set -euo pipefail
agent=${1:-build/agent/lontar-agent}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077
"$agent" generate-partner-csv --out "$work/jatim.csv" --tagana 1600 --tksk 664 --kpm-pkh 200 >/dev/null
"$agent" generate-partner-csv --out "$work/darmo.csv" --tagana 60 --seed 7 \
  --overlap-from "$work/jatim.csv" --overlap 40 >/dev/null
python3 - "$work/jatim.csv" "$work/darmo.csv" <<'PY'
import collections, csv, sys
def niks(path):
    with open(path, encoding="utf-8-sig") as f:
        return [row["nik"] for row in csv.DictReader(f)]
rungkut, darmo = niks(sys.argv[1]), niks(sys.argv[2])
dups = sorted(set(rungkut) & set(darmo))
by_regency = collections.Counter(n[:4] for n in darmo)
home = by_regency.most_common(1)[0][0]  # the regency most of Darmo's own people live in
print(f"Rungkut's list: {len(rungkut)} people; Darmo's list: {len(darmo)}, of whom {len(dups)} are duplicates")
print(f"{'Darmo scope':<34} {'dups caught offline':>20} {'Rungkut people in replica':>26}")
for label, scope in [("none (before: the whole ledger)", ""), ("35 (Jawa Timur)", "35"),
                     ("3578 (Kota Surabaya)", "3578")] + ([(f"{home} (Darmo's most common regency)", home)]
                                                           if home != "3578" else []):
    caught = sum(n.startswith(scope) for n in dups)
    seen = sum(n.startswith(scope) for n in rungkut)
    print(f"{label:<34} {caught:>5}/{len(dups)} ({100*caught/len(dups):5.1f} %)"
          f" {seen:>11}/{len(rungkut)} ({100*seen/len(rungkut):5.1f} %)")
regencies = collections.Counter(n[:4] for n in rungkut)
print(f"Rungkut's people span {len(regencies)} regencies; the largest holds {regencies.most_common(1)[0][1]}")
PY

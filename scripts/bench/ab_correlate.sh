#!/usr/bin/env bash
# Two agaudit builds side by side on the same correlate case, runs alternated (A, B, A, B, …) so
# that the machine's noise falls on both alike: did a change cost correlate time or memory?
#
#   scripts/bench/ab_correlate.sh --a OLD_BINARY --b NEW_BINARY [--events 2.2] [--runs 3]
#
# The case is the one scripts/bench/run.sh --formats correlate --events N built and cached in
# ${AGAUDIT_BENCH_DIR:-/var/tmp/agaudit-bench}/data/correlate-Nm-*/case (run that first). Each
# run correlates a fresh hard-linked copy of it:
#   BINARY correlate --case COPY --policy scripts/bench/correlate-policy.hcl --json
# timed with /usr/bin/time -f '%e %U %S %M'. Prints the medians of wall seconds, CPU seconds
# (user + system: steadier than wall on a shared machine) and peak RSS per build and the B/A
# ratios; raw numbers are saved in $AGAUDIT_BENCH_DIR/results/ab-correlate-<UTC>/.
set -euo pipefail

A="" B="" EVENTS="2.2" RUNS=3
die() { echo "ab_correlate.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --a) A="${2:?}"; shift 2 ;;
        --b) B="${2:?}"; shift 2 ;;
        --events) EVENTS="${2:?}"; shift 2 ;;
        --runs) RUNS="${2:?}"; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
[ -x "$A" ] && [ -x "$B" ] || die "--a and --b must name agaudit binaries"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BENCH_DIR="${AGAUDIT_BENCH_DIR:-/var/tmp/agaudit-bench}"
CASE="$(ls -d "$BENCH_DIR"/data/correlate-"${EVENTS}"m-*/case 2>/dev/null | head -1)"
[ -n "$CASE" ] || die "no cached ${EVENTS}M-event case: run scripts/bench/run.sh --formats correlate --events $EVENTS first"
OUT="$BENCH_DIR/results/ab-correlate-$(date -u +%Y%m%dT%H%M%SZ)"
WORK="$BENCH_DIR/work-ab-correlate"
mkdir -p "$OUT"
for run in $(seq "$RUNS"); do
    for side in a b; do
        bin=$([ "$side" = a ] && echo "$A" || echo "$B")
        rm -rf "$WORK" && cp -al "$CASE" "$WORK"
        status=0
        /usr/bin/time -f '%e %U %S %M' -o "$OUT/$side.$run.time" "$bin" correlate --case "$WORK" \
            --policy "$HERE/correlate-policy.hcl" --json > "$OUT/$side.$run.json" 2> "$OUT/$side.$run.err" || status=$?
        # Exit 1 is violations that went through, expected on this case.
        [ "$status" -le 1 ] || die "$side run $run failed ($status): $(tail -n3 "$OUT/$side.$run.err")"
        echo "$side run $run: $(tail -n1 "$OUT/$side.$run.time")" >&2
    done
done
rm -rf "$WORK"
python3 - "$OUT" "$RUNS" "$A" "$B" <<'PY' | tee "$OUT/table.md"
import statistics, sys
out, runs, a, b = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def read(side):
    rows = [open(f"{out}/{side}.{i}.time").read().split()[-4:] for i in range(1, runs + 1)]
    med = lambda f: statistics.median(f(r) for r in rows)
    return med(lambda r: float(r[0])), med(lambda r: float(r[1]) + float(r[2])), med(lambda r: int(r[3]) / 1024)
(ta, ca, ma), (tb, cb, mb) = read("a"), read("b")
print("| build | median wall s | median CPU s | median peak RSS MB |\n|---|---:|---:|---:|")
print(f"| A {a} | {ta:.2f} | {ca:.2f} | {ma:.0f} |\n| B {b} | {tb:.2f} | {cb:.2f} | {mb:.0f} |")
print(f"\nB/A: wall {tb / ta:.3f}x, CPU {cb / ca:.3f}x, peak RSS {mb / ma:.3f}x ({runs} alternated runs each)")
PY

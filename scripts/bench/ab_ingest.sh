#!/usr/bin/env bash
# Two agaudit builds side by side on the same ingest inputs, runs alternated (A, B, A, B, …) so
# that the machine's noise falls on both alike: did a change cost ingest throughput?
#
#   scripts/bench/ab_ingest.sh --a OLD_BINARY --b NEW_BINARY [--sizes "300"] [--runs 5]
#                              [--formats "csvlog stderr otlp"] [--seed 42]
#
# Inputs are the ones scripts/bench/run.sh generates (same generators, same cache in
# ${AGAUDIT_BENCH_DIR:-/var/tmp/agaudit-bench}/data). Each run is
#   BINARY ingest FILE --case FRESH_DIR --quiet --json   (+ --pg-prefix for stderr)
# timed with /usr/bin/time -f '%e %U %S %M'. Prints a Markdown table of median seconds, MB/s, CPU
# seconds (user + system, which vary less than wall time on a shared machine), peak RSS and the
# B/A throughput and CPU ratios per format (docs/benchmarks.md); raw numbers are saved in
# $AGAUDIT_BENCH_DIR/results/ab-<UTC timestamp>/.
set -euo pipefail

A="" B="" SIZES="300" RUNS=5 FORMATS="csvlog stderr otlp" SEED=42
PG_PREFIX='%m [%p] %q%u@%d app=%a '
die() { echo "ab_ingest.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --a) A="${2:?}"; shift 2 ;;
        --b) B="${2:?}"; shift 2 ;;
        --sizes) SIZES="${2:?}"; shift 2 ;;
        --runs) RUNS="${2:?}"; shift 2 ;;
        --formats) FORMATS="${2:?}"; shift 2 ;;
        --seed) SEED="${2:?}"; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
[ -x "$A" ] && [ -x "$B" ] || die "--a and --b must be agaudit binaries"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BENCH_DIR="${AGAUDIT_BENCH_DIR:-/var/tmp/agaudit-bench}"
OUT="$BENCH_DIR/results/ab-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$BENCH_DIR/data" "$OUT"
PY="${PYTHON:-python3}"

input() { # format size -> generated file (cached)
    local fmt=$1 size=$2 f
    if [ "$fmt" = otlp ]; then
        f="$BENCH_DIR/data/otlp-traces-${size}mb-s$SEED-g$(sha256sum "$HERE/gen_otlp.py" | cut -c1-8).jsonl"
        [ -s "$f" ] || "$PY" "$HERE/gen_otlp.py" --size "$size" --seed "$SEED" --out "$f" 2>"$f.gen.json"
    else
        local ext=csv
        [ "$fmt" = stderr ] && ext=log
        f="$BENCH_DIR/data/pgaudit-$fmt-${size}mb-s$SEED-g$(sha256sum "$HERE/gen_pgaudit.py" | cut -c1-8).$ext"
        [ -s "$f" ] || "$PY" "$HERE/gen_pgaudit.py" --format "$fmt" --size-mb "$size" --seed "$SEED" --out "$f" 2>"$f.gen.json"
    fi
    echo "$f"
}

run_one() { # label binary format file -> appends "seconds cpu_seconds rss_kb" to $OUT/label-format.txt
    local label=$1 bin=$2 fmt=$3 file=$4 case="$OUT/case" extra=()
    rm -rf "$case"
    [ "$fmt" = stderr ] && extra=(--pg-prefix "$PG_PREFIX")
    /usr/bin/time -f '%e %U %S %M' -o "$OUT/t" "$bin" ingest "$file" --case "$case" --quiet --json "${extra[@]}" >/dev/null
    awk '{print $1, $2 + $3, $4}' "$OUT/t" >>"$OUT/$label-$fmt.txt"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

echo "| format | size | A s | B s | A MB/s | B MB/s | B/A throughput | A CPU s | B CPU s | B/A CPU | A peak RSS | B peak RSS |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for fmt in $FORMATS; do
    for size in $SIZES; do
        file="$(input "$fmt" "$size")"
        bytes=$(stat -c %s "$file")
        : >"$OUT/A-$fmt.txt"; : >"$OUT/B-$fmt.txt"
        for _ in $(seq "$RUNS"); do
            run_one A "$A" "$fmt" "$file"
            run_one B "$B" "$fmt" "$file"
        done
        as=$(cut -d' ' -f1 "$OUT/A-$fmt.txt" | median); bs=$(cut -d' ' -f1 "$OUT/B-$fmt.txt" | median)
        ac=$(cut -d' ' -f2 "$OUT/A-$fmt.txt" | median); bc=$(cut -d' ' -f2 "$OUT/B-$fmt.txt" | median)
        ar=$(cut -d' ' -f3 "$OUT/A-$fmt.txt" | median); br=$(cut -d' ' -f3 "$OUT/B-$fmt.txt" | median)
        awk -v f="$fmt" -v s="$size" -v as="$as" -v bs="$bs" -v ac="$ac" -v bc="$bc" -v ar="$ar" -v br="$br" -v by="$bytes" 'BEGIN {
            printf "| %s | %s MB | %.2f | %.2f | %.0f | %.0f | %.2fx | %.2f | %.2f | %.3fx | %.0f MB | %.0f MB |\n",
                f, s, as, bs, by/1e6/as, by/1e6/bs, as/bs, ac, bc, bc/ac, ar/1024, br/1024 }'
    done
done
rm -rf "$OUT/case" "$OUT/t"
echo "raw runs: $OUT (A = $A, B = $B)" >&2

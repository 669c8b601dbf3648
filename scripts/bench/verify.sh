#!/usr/bin/env bash
# agaudit-verify vs b3sum: verify a signed bundle of ~1 million ledger records,
# side by side with b3sum hashing the same bundle file.
#
#   scripts/bench/verify.sh [--events 2.2] [--runs 5]
#
# The bundle is real: scripts/bench/gen_correlate.py writes --events million
# linked pgAudit + OTLP events (the correlation benchmark's generator and
# cache directory), agaudit ingests and correlates them once (about 0.46
# action records per event: 2.2 million events give just over a million
# ledger records), then `agaudit export` signs the whole ledger with a
# throw-away key. Cached in
# ${AGAUDIT_BENCH_DIR:-/var/tmp/agaudit-bench}/data/bundle-<N>m/.
# Each run, in alternation (so both see the same machine state), times
# wall clock and peak RSS with /usr/bin/time -f '%e %M':
#   agaudit-verify BUNDLE --pubkey KEY.pub   (exit 0 required)
#   b3sum --num-threads 1 BUNDLE              (Debian's b3sum, one thread)
#   b3sum BUNDLE                              (Debian's b3sum, all cores)
# and prints a Markdown table of medians and the ratios (saved with the raw
# numbers in $AGAUDIT_BENCH_DIR/results/<UTC timestamp>-verify/).
# target/release/{agaudit,agaudit-verify} are built when missing.
set -euo pipefail

EVENTS=2.2
RUNS=5
while [ $# -gt 0 ]; do
  case "$1" in
    --events) EVENTS="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "verify.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BENCH=${AGAUDIT_BENCH_DIR:-/var/tmp/agaudit-bench}
A=$ROOT/target/release/agaudit
V=$ROOT/target/release/agaudit-verify
command -v b3sum >/dev/null || apt-get install -y -qq b3sum >/dev/null
[ -x "$A" ] && [ -x "$V" ] || (cd "$ROOT" && cargo build --release --workspace)

SRC=$BENCH/data/correlate-${EVENTS}m-s42-g$(sha256sum "$ROOT/scripts/bench/gen_correlate.py" | cut -c1-8)
CASE_SRC=$SRC/case
if [ ! -s "$CASE_SRC/ingest.json" ]; then
  mkdir -p "$SRC"
  if [ ! -s "$SRC/traces.jsonl" ]; then
    n=$(python3 -c 'import sys; print(int(float(sys.argv[1]) * 1e6))' "$EVENTS")
    python3 "$ROOT/scripts/bench/gen_correlate.py" --events "$n" --seed 42 --out-dir "$SRC" 2>"$SRC/gen.json"
  fi
  rm -rf "$CASE_SRC"
  "$A" ingest --case "$CASE_SRC" --label server=prod-postgres --quiet --json \
    "$SRC/postgresql.csv" "$SRC/traces.jsonl" >"$SRC/ingest.out.json" || [ $? -le 1 ]
fi

DATA=$BENCH/data/bundle-${EVENTS}m
BUNDLE=$DATA/bundle.tar
if [ ! -f "$BUNDLE" ]; then
  rm -rf "$DATA" && mkdir -p "$DATA"
  cp -al "$CASE_SRC" "$DATA/case"
  "$A" correlate --case "$DATA/case" --policy "$ROOT/scripts/bench/correlate-policy.hcl" --json >/dev/null || true
  "$A" keygen --out "$DATA/key" --no-password >/dev/null
  "$A" export --case "$DATA/case" --key "$DATA/key.key" --out "$BUNDLE"
  rm -rf "$DATA/case"
fi

OUT=$BENCH/results/$(date -u +%Y%m%dT%H%M%SZ)-verify
mkdir -p "$OUT"
records=$(tar -xOf "$BUNDLE" --wildcards '*/manifest.txt' | sed -n 's/^kind=range .* records=\([0-9]*\) .*/\1/p')
bytes=$(stat -c %s "$BUNDLE")
echo "bundle: $BUNDLE ($bytes bytes, $records records)" | tee "$OUT/bundle.txt"
cat "$BUNDLE" >/dev/null  # both tools start from the page cache

for run in $(seq "$RUNS"); do
  /usr/bin/time -f '%e %M' -o "$OUT/verify.$run" "$V" "$BUNDLE" --pubkey "$DATA/key.pub" >"$OUT/verify.$run.out"
  /usr/bin/time -f '%e %M' -o "$OUT/b3sum1.$run" b3sum --num-threads 1 "$BUNDLE" >/dev/null
  /usr/bin/time -f '%e %M' -o "$OUT/b3sum.$run" b3sum "$BUNDLE" >/dev/null
done

python3 - "$OUT" "$RUNS" "$records" "$bytes" <<'EOF' | tee "$OUT/table.md"
import statistics, sys
out, runs, records, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def load(tool):
    rows = [open(f"{out}/{tool}.{r}").read().split()[-2:] for r in range(1, runs + 1)]
    return [float(s) for s, _ in rows], [int(k) / 1024 for _, k in rows]
v_s, v_m = load("verify")
b_s, b_m = load("b3sum")
b1_s, _ = load("b3sum1")
mv, mb, mb1 = statistics.median(v_s), statistics.median(b_s), statistics.median(b1_s)
print(f"| records | bundle MB | agaudit-verify s (median of {runs}) | b3sum 1 thread s | verify / b3sum 1 thread | b3sum all cores s | verify / b3sum all cores | verify peak RSS MB | b3sum peak RSS MB |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
print(f"| {records:,} | {size / 1e6:.0f} | {mv:.2f} | {mb1:.2f} | {mv / mb1:.1f}x | {mb:.2f} | {mv / mb:.1f}x | {statistics.median(v_m):.0f} | {statistics.median(b_m):.0f} |")
print(f"\nraw verify s: {v_s}\nraw b3sum 1 thread s: {b1_s}\nraw b3sum all cores s: {b_s}")
EOF
grep -q '^Result: valid' "$OUT/verify.1.out" || { echo "verify did not report valid: see $OUT/verify.1.out" >&2; exit 1; }

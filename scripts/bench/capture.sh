#!/usr/bin/env bash
# ebpf-capture's overhead: the same syscall loops run bare and recorded, alternating, in one run.
#
#   scripts/bench/capture.sh [--runs 5]        (root: ebpf-capture loads eBPF programs)
#
# Workloads (scripts/bench/capture_workload.c, built with gcc): 1,000,000 pwrite()s of 4 KiB, the
# same of 1 byte, and 200,000 open(O_WRONLY|O_CREAT)+close() (each a recorded open event, so
# this one also drives the recorder at its highest event rate). Each workload times its own loop
# (the recorder's start-up is not in it). Recorded runs use
#   target/release/ebpf-capture record --out FILE -- capture_workload ...
# and the capture's trailer gives the events written and lost. Prints a Markdown table of
# medians, ratios and event rates (saved in $AGAUDIT_BENCH_DIR/results/<UTC>-capture/).
set -euo pipefail
RUNS=5
[ "${1:-}" = "--runs" ] && RUNS="$2"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BENCH=${AGAUDIT_BENCH_DIR:-/var/tmp/agaudit-bench}
OUT=$BENCH/results/$(date -u +%Y%m%dT%H%M%SZ)-capture
mkdir -p "$OUT" "$BENCH/data/capture"
[ "$(id -u)" = 0 ] || { echo "capture.sh: needs root" >&2; exit 2; }
CAP=$ROOT/target/release/ebpf-capture
[ -x "$CAP" ] || (cd "$ROOT" && cargo build --release -p ebpf-capture)
W=$OUT/capture_workload
gcc -O2 -o "$W" "$ROOT/scripts/bench/capture_workload.c"
DATA=$BENCH/data/capture
DUMP="$ROOT/target/release/examples/dump"
[ -x "$DUMP" ] || (cd "$ROOT" && cargo build --release -q -p agaudit-capture-format --example dump)

run() { # name, then the workload's arguments
    local name=$1; shift
    for i in $(seq "$RUNS"); do
        "$W" "$@" > "$OUT/$name.bare.$i"
        "$CAP" record --out "$DATA/$name.cap" -- "$W" "$@" > "$OUT/$name.rec.$i" 2> "$OUT/$name.rec.$i.err"
        "$DUMP" "$DATA/$name.cap" | grep -o 'Trailer(Trailer {.*' > "$OUT/$name.trailer.$i"
    done
}
run write4k write "$DATA/w.bin" 1000000 4096
run write1 write "$DATA/w.bin" 1000000 1
run open open "$DATA" 200000

python3 - "$OUT" "$RUNS" <<'PY' | tee "$OUT/table.md"
import re, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
print("| workload | calls | bare s (median) | recorded s (median) | overhead | events written | events lost | recorded events/s |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for name in ["write4k", "write1", "open"]:
    t = lambda kind: [int(open(f"{out}/{name}.{kind}.{i}").read().split()[2]) / 1e9 for i in range(1, runs + 1)]
    bare, rec = statistics.median(t("bare")), statistics.median(t("rec"))
    calls = open(f"{out}/{name}.bare.1").read().split()[1]
    tr = [open(f"{out}/{name}.trailer.{i}").read() for i in range(1, runs + 1)]
    written = [sum(int(n) for n in re.findall(r'\("[a-z]+", (\d+)\)', x)) for x in tr]
    lost = [int(re.search(r"lost: (\d+)", x).group(1)) for x in tr]
    events = statistics.median(written)
    print(f"| {name} | {int(calls):,} | {bare:.3f} | {rec:.3f} | {100 * (rec / bare - 1):+.1f} % | {int(events):,} | {max(lost)} (max of {runs}) | {events / rec:,.0f} |")
PY

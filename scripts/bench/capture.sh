#!/usr/bin/env bash
# ebpf-capture's overhead: the same syscall loops run bare and recorded, alternating, in one run.
#
#   scripts/bench/capture.sh [--runs 5] [--before BINARY]   (root: ebpf-capture loads eBPF programs)
#
# Workloads (scripts/bench/capture_workload.c, built with gcc): 1,000,000 pwrite()s of 4 KiB, the
# same of 1 byte, 200,000 open(O_WRONLY|O_CREAT)+close() (each a recorded open event, so
# this one also drives the recorder at its highest event rate), and 100,000 written files
# (open+write+close of 4 KiB on tmpfs: one event each since the recorder joins an open with
# its write; the events written column shows it). Each workload times its own loop
# (the recorder's start-up is not in it). Every round runs it three ways, alternated: bare;
# recorded, with
#   $CARGO_TARGET_DIR/release/ebpf-capture record --out FILE -- capture_workload ...
# (the capture's trailer gives the events written and lost); and on the floor: the same
# recorder loading ebpf-capture/bpf/capture.bpf.c built with -DFLOOR, whose syscall programs
# return at once, so the floor is what being on the hooks costs by itself. With --before, a
# fourth run per round records with another ebpf-capture build (an earlier commit's), so a
# change is measured against what it replaces in the same run. Prints a Markdown
# table of medians, per-round ratios and event rates (saved in $AGAUDIT_BENCH_DIR/results/<UTC>-capture/).
set -euo pipefail
RUNS=5
BEFORE=""
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS="$2"; shift 2 ;;
        --before) BEFORE="$(realpath "$2")"; shift 2 ;;
        *) echo "capture.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BENCH=${AGAUDIT_BENCH_DIR:-/var/tmp/agaudit-bench}
OUT=$BENCH/results/$(date -u +%Y%m%dT%H%M%SZ)-capture
mkdir -p "$OUT" "$BENCH/data/capture"
[ "$(id -u)" = 0 ] || { echo "capture.sh: needs root" >&2; exit 2; }
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
CAP=$TARGET/release/ebpf-capture
[ -x "$CAP" ] || (cd "$ROOT" && cargo build --release -p ebpf-capture)
W=$OUT/capture_workload
gcc -O2 -o "$W" "$ROOT/scripts/bench/capture_workload.c"
FLOOR=$OUT/floor.bpf.o
clang-19 -target bpf -D__TARGET_ARCH_x86 -O2 -g -Wall -DFLOOR \
    -c "$ROOT/ebpf-capture/bpf/capture.bpf.c" -o "$FLOOR"
DATA=$BENCH/data/capture
DUMP="$TARGET/release/examples/dump"
[ -x "$DUMP" ] || (cd "$ROOT" && cargo build --release -q -p agaudit-capture-format --example dump)

run() { # name, then the workload's arguments
    local name=$1; shift
    for i in $(seq "$RUNS"); do
        "$W" "$@" > "$OUT/$name.bare.$i"
        "$CAP" record --bpf-object "$FLOOR" --out "$DATA/$name.floor.cap" -- "$W" "$@" > "$OUT/$name.floor.$i" 2>/dev/null
        "$CAP" record --out "$DATA/$name.cap" -- "$W" "$@" > "$OUT/$name.rec.$i" 2> "$OUT/$name.rec.$i.err"
        "$DUMP" "$DATA/$name.cap" | grep -o 'Trailer(Trailer {.*' > "$OUT/$name.trailer.$i"
        if [ -n "$BEFORE" ]; then
            "$BEFORE" record --out "$DATA/$name.before.cap" -- "$W" "$@" > "$OUT/$name.before.$i" 2>/dev/null
            "$DUMP" "$DATA/$name.before.cap" | grep -o 'Trailer(Trailer {.*' > "$OUT/$name.btrailer.$i"
        fi
    done
}
run write4k write "$DATA/w.bin" 1000000 4096
run write1 write "$DATA/w.bin" 1000000 1
run open open "$DATA" 200000
# On tmpfs: on a disk filesystem each truncate and write waits on the filesystem, not the CPU.
SHM=/dev/shm/agaudit-capture-bench
mkdir -p "$SHM"
run file file "$SHM" 100000
rm -rf "$SHM"

python3 - "$OUT" "$RUNS" "$BEFORE" <<'PY' | tee "$OUT/table.md"
import re, statistics, sys
out, runs, before = sys.argv[1], int(sys.argv[2]), sys.argv[3]
print("| workload | calls | bare s | floor s | floor / bare | recorded s | recorded / bare | events written | events lost | recorded events/s |" + (" before / bare | before: events written |" if before else ""))
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" + (" ---: | ---: |" if before else ""))
for name in ["write4k", "write1", "open", "file"]:
    t = lambda kind: [int(open(f"{out}/{name}.{kind}.{i}").read().split()[2]) / 1e9 for i in range(1, runs + 1)]
    bare, floor, rec = t("bare"), t("floor"), t("rec")
    med = statistics.median
    # Ratios are taken within each round (its three runs are back to back) and their median
    # reported, so that the machine's slow and fast spells cancel out.
    ratio = lambda xs: med(x / b for x, b in zip(xs, bare))
    calls = open(f"{out}/{name}.bare.1").read().split()[1]
    trailers = lambda kind: [open(f"{out}/{name}.{kind}.{i}").read() for i in range(1, runs + 1)]
    count = lambda tr: [sum(int(n) for n in re.findall(r'\("[a-z]+", (\d+)\)', x)) for x in tr]
    tr = trailers("trailer")
    written = count(tr)
    lost = [int(re.search(r"lost: (\d+)", x).group(1)) for x in tr]
    events = med(written)
    print(f"| {name} | {int(calls):,} | {med(bare):.3f} | {med(floor):.3f} | {ratio(floor):.2f}x | {med(rec):.3f} | {ratio(rec):.2f}x | {int(events):,} | {max(lost)} (max of {runs}) | {events / med(rec):,.0f} |" + (f" {ratio(t('before')):.2f}x | {int(med(count(trailers('btrailer')))):,} |" if before else ""))
PY

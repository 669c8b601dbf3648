#!/usr/bin/env bash
# Peak memory of `agaudit ingest` as the input grows: the hardening issue asks that memory stay
# bounded on a 2 GB input. Generates a synthetic pgAudit stderr log (scripts/bench/gen_pgaudit.py)
# of each size, ingests it into a fresh case, and prints the peak RSS and wall time that
# /usr/bin/time -v reports. Results go in docs/hardening.md.
# Usage: scripts/bench/memory.sh [AGAUDIT_BINARY] [SIZES_MB...]   (default: target/release/agaudit 200 2048)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="${1:-target/release/agaudit}"
shift || true
SIZES=("${@:-200 2048}")
[ -x "$BIN" ] || { echo "memory.sh: $BIN is not built (cargo build --release)" >&2; exit 2; }
command -v /usr/bin/time >/dev/null || { echo "memory.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
WORK="$(mktemp -d /tmp/agaudit-memory.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
printf '| input | size | peak RSS | wall |\n| --- | ---: | ---: | ---: |\n'
for mb in ${SIZES[*]}; do
    python3 scripts/bench/gen_pgaudit.py --format stderr --size-mb "$mb" --out "$WORK/in.log" >/dev/null
    /usr/bin/time -v "$BIN" ingest --quiet --case "$WORK/case" --pg-prefix '%m [%p] %q%u@%d app=%a ' "$WORK/in.log" \
        2> "$WORK/time.txt"
    rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$WORK/time.txt")
    wall=$(awk -F': ' '/Elapsed/ {print $2}' "$WORK/time.txt")
    printf '| pgAudit stderr | %s MB | %s MiB | %s |\n' "$mb" "$((rss / 1024))" "$wall"
    rm -rf "$WORK/case" "$WORK/in.log"
done

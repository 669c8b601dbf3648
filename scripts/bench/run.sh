#!/usr/bin/env bash
# agaudit vs DuckDB: ingest the same synthetic log into Parquet.
#
#   scripts/bench/run.sh [--sizes "100 300 1000"] [--runs 3] [--agaudit PATH]
#                        [--formats "csvlog stderr"] [--seed 42]
#
# Formats: csvlog, stderr (PostgreSQL 15 + pgAudit, scripts/bench/gen_pgaudit.py)
# and otlp (OpenTelemetry Collector file-exporter JSON lines of
# ExportTraceServiceRequest, scripts/bench/gen_otlp.py; not in the default
# --formats, ask for it with --formats otlp or --formats "csvlog stderr otlp").
# For each format and size (MB = 10^6 bytes) it generates the input once
# (cached in ${AGAUDIT_BENCH_DIR:-/var/tmp/agaudit-bench}, keyed by the
# generator's hash), then runs each tool --runs times, timing wall clock and
# peak RSS with /usr/bin/time -f '%e %M':
#   agaudit: agaudit ingest FILE --case DIR --quiet --json
#            (+ --pg-prefix '%m [%p] %q%u@%d app=%a ' for stderr;
#             otlp is detected from the content)
#   duckdb:  python3 scripts/bench/duckdb_ingest.py (csvlog, stderr) or
#            scripts/bench/duckdb_otlp.py (otlp), a fresh process, all cores
# and prints a Markdown table of medians (also saved with the raw numbers in
# $AGAUDIT_BENCH_DIR/results/<UTC timestamp>/).  See docs/benchmarks.md.
#
# --agaudit PATH that does not exist: agaudit is skipped (DuckDB still runs).
# If agaudit fails on a file (e.g. a format it does not read), the run is
# marked failed in the table and DuckDB's numbers are still reported; for
# otlp, an agaudit run that writes no rows (file "unrecognised") counts as
# failed too.
# The default PATH (target/release/agaudit) is built with
# `cargo build --release` when missing.
set -euo pipefail

SIZES="100 300 1000"
RUNS=3
FORMATS="csvlog stderr"
SEED=42
AGAUDIT=""
PG_PREFIX='%m [%p] %q%u@%d app=%a '

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }
die() { echo "run.sh: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
    case "$1" in
        --sizes) SIZES="${2:?}"; shift 2 ;;
        --sizes=*) SIZES="${1#*=}"; shift ;;
        --runs) RUNS="${2:?}"; shift 2 ;;
        --runs=*) RUNS="${1#*=}"; shift ;;
        --agaudit) AGAUDIT="${2:?}"; shift 2 ;;
        --agaudit=*) AGAUDIT="${1#*=}"; shift ;;
        --formats) FORMATS="${2:?}"; shift 2 ;;
        --formats=*) FORMATS="${1#*=}"; shift ;;
        --seed) SEED="${2:?}"; shift 2 ;;
        --seed=*) SEED="${1#*=}"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
for s in $SIZES; do [[ "$s" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "bad size: $s"; done
for f in $FORMATS; do
    case "$f" in csvlog|stderr|otlp) ;; *) die "bad format: $f (csvlog|stderr|otlp)" ;; esac
done

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$REPO/scripts/bench"
BENCH_DIR="${AGAUDIT_BENCH_DIR:-/var/tmp/agaudit-bench}"
mkdir -p "$BENCH_DIR/data"
PY="${PYTHON:-python3}"

# ---------------------------------------------------------------- tools
TIME_BIN=/usr/bin/time
if [ ! -x "$TIME_BIN" ]; then
    echo "== installing GNU time (Debian package 'time')" >&2
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y -q time >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q time >/dev/null; }
    else
        sudo apt-get install -y -q time >/dev/null
    fi
    [ -x "$TIME_BIN" ] || die "/usr/bin/time is missing (apt-get install time)"
fi
if ! "$PY" -c 'import duckdb' 2>/dev/null; then
    echo "== installing the duckdb Python package" >&2
    "$PY" -m pip install -q duckdb || die "pip install duckdb failed"
fi
DUCKDB_VERSION="$("$PY" -c 'import duckdb; print(duckdb.__version__)')"

DEFAULT_AGAUDIT="$REPO/target/release/agaudit"
if [ -z "$AGAUDIT" ]; then
    AGAUDIT="$DEFAULT_AGAUDIT"
    if [ ! -x "$AGAUDIT" ]; then
        echo "== $AGAUDIT missing: cargo build --release" >&2
        (cd "$REPO" && cargo build --release) || die "cargo build --release failed"
    fi
fi
case "$AGAUDIT" in /*) ;; *) AGAUDIT="$PWD/$AGAUDIT" ;; esac
if [ -x "$AGAUDIT" ] && [ -f "$AGAUDIT" ]; then
    HAVE_AGAUDIT=1
    AGAUDIT_VERSION="$("$AGAUDIT" --version 2>/dev/null | head -n1 || true)"
else
    HAVE_AGAUDIT=0
    AGAUDIT_VERSION="(not run)"
    echo "== agaudit not found at $AGAUDIT: skipping agaudit, running DuckDB only" >&2
fi

# ---------------------------------------------------------------- data
GEN_HASH="$(sha256sum "$HERE/gen_pgaudit.py" | cut -c1-8)"
OTLP_GEN_HASH="$(sha256sum "$HERE/gen_otlp.py" | cut -c1-8)"
data_file() { # format size -> path
    case "$1" in
        otlp) echo "$BENCH_DIR/data/otlp-traces-${2}mb-s$SEED-g$OTLP_GEN_HASH.jsonl" ;;
        stderr) echo "$BENCH_DIR/data/pgaudit-$1-${2}mb-s$SEED-g$GEN_HASH.log" ;;
        *) echo "$BENCH_DIR/data/pgaudit-$1-${2}mb-s$SEED-g$GEN_HASH.csv" ;;
    esac
}
for fmt in $FORMATS; do
    for size in $SIZES; do
        f="$(data_file "$fmt" "$size")"
        if [ -s "$f" ]; then
            echo "== reusing $f" >&2
        else
            echo "== generating $f" >&2
            if [ "$fmt" = otlp ]; then
                "$PY" "$HERE/gen_otlp.py" --size "$size" \
                    --seed "$SEED" --out "$f" 2>"$f.gen.json.tmp"
            else
                "$PY" "$HERE/gen_pgaudit.py" --format "$fmt" --size-mb "$size" \
                    --seed "$SEED" --out "$f" 2>"$f.gen.json.tmp"
            fi
            mv "$f.gen.json.tmp" "$f.gen.json"   # counts the generator wrote
            cat "$f.gen.json" >&2
        fi
    done
done

# ---------------------------------------------------------------- runs
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$BENCH_DIR/results/$STAMP"
WORK="$BENCH_DIR/work.$$"
mkdir -p "$OUT" "$WORK"
trap 'rm -rf "$WORK"' EXIT
RAW="$OUT/raw.tsv"
printf 'format\tsize_mb\tfile_bytes\ttool\trun\tstatus\twall_s\tpeak_rss_kb\trows\toutput_bytes\tinner_s\n' >"$RAW"

# run_timed NAME -- CMD...: runs CMD under /usr/bin/time; stdout/stderr/time
# land in $WORK/NAME.{out,err,time}; returns the command's exit status
run_timed() {
    local name="$1"; shift; shift
    local rc=0
    "$TIME_BIN" -f '%e %M' -o "$WORK/$name.time" "$@" \
        >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
    return $rc
}

agaudit_rows() { # stdout-file case-dir -> totals.rows
    "$PY" - "$1" "$2" <<'EOF'
import json, os, sys
def rows(doc):
    try:
        return int(doc["totals"]["rows"])
    except Exception:
        return None
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
candidates = [text] + text.splitlines()[::-1]
for c in candidates:
    try:
        r = rows(json.loads(c))
    except ValueError:
        continue
    if r is not None:
        print(r); sys.exit(0)
p = os.path.join(sys.argv[2], "ingest.json")
if os.path.exists(p):
    r = rows(json.load(open(p)))
    if r is not None:
        print(r); sys.exit(0)
print("")
EOF
}

record() { # format size bytes tool run status timefile rows outbytes [inner_s]
    local wall=NA rss=NA
    # GNU time puts "Command exited with non-zero status N" first on failure
    if [ -s "$7" ]; then read -r wall rss < <(tail -n1 "$7") || true; fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
        "$1" "$2" "$3" "$4" "$5" "$6" "$wall" "$rss" "$8" "$9" "${10:-}" >>"$RAW"
}

for fmt in $FORMATS; do
    for size in $SIZES; do
        f="$(data_file "$fmt" "$size")"
        bytes="$(stat -c %s "$f")"
        cat "$f" >/dev/null   # same warm page cache for both tools
        for run in $(seq 1 "$RUNS"); do
            if [ "$HAVE_AGAUDIT" = 1 ]; then
                case_dir="$WORK/case"
                rm -rf "$case_dir"
                args=(ingest "$f" --case "$case_dir" --quiet --json)
                [ "$fmt" = stderr ] && args+=(--pg-prefix "$PG_PREFIX")
                echo "== agaudit $fmt ${size}MB run $run" >&2
                status=ok
                run_timed agaudit -- "$AGAUDIT" "${args[@]}" || status="exit$?"
                # exit 1 = ingest finished but reported findings/invalid input
                if [ "$status" = exit1 ]; then
                    echo "   agaudit exited 1 (invalid/quarantined input?): $(tail -n3 "$WORK/agaudit.err")" >&2
                elif [ "$status" != ok ]; then
                    echo "   agaudit failed ($status): $(tail -n5 "$WORK/agaudit.err")" >&2
                fi
                rows="$(agaudit_rows "$WORK/agaudit.out" "$case_dir")"
                # an agaudit that does not read OTLP yet exits 0 with the file
                # "unrecognised" and 0 rows: count that run as failed, not as
                # a (very fast) ingest
                if [ "$fmt" = otlp ] && { [ "$status" = ok ] || [ "$status" = exit1 ]; } \
                    && { [ -z "$rows" ] || [ "$rows" = 0 ]; }; then
                    status=norows
                    echo "   agaudit wrote no rows for $fmt (OTLP not supported?): counted as failed" >&2
                fi
                outb="$(du -sb "$case_dir" 2>/dev/null | cut -f1 || true)"
                record "$fmt" "$size" "$bytes" agaudit "$run" "$status" \
                    "$WORK/agaudit.time" "$rows" "$outb"
                cp "$WORK/agaudit.out" "$OUT/agaudit-$fmt-${size}mb-run$run.json" 2>/dev/null || true
                rm -rf "$case_dir"
            fi
            pq="$WORK/duckdb.parquet"
            rm -rf "$pq"
            echo "== duckdb  $fmt ${size}MB run $run" >&2
            status=ok
            if [ "$fmt" = otlp ]; then
                # writes $pq/spans.parquet ($pq is a directory here)
                run_timed duckdb -- "$PY" "$HERE/duckdb_otlp.py" \
                    --input "$f" --output "$pq" || status="exit$?"
            else
                run_timed duckdb -- "$PY" "$HERE/duckdb_ingest.py" --format "$fmt" \
                    --input "$f" --output "$pq" || status="exit$?"
            fi
            [ "$status" = ok ] || echo "   duckdb failed ($status): $(tail -n5 "$WORK/duckdb.err")" >&2
            # its JSON line: rows written, and seconds spent inside DuckDB
            # (the wall time also counts starting Python + importing duckdb)
            read -r rows inner < <("$PY" -c 'import json,sys
try:
    d = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
    print(d["rows"], d["seconds"])
except Exception: print("- -")' "$WORK/duckdb.out")
            [ "$rows" = - ] && rows="" && inner=""
            outb="$(du -sb "$pq" 2>/dev/null | cut -f1 || true)"
            record "$fmt" "$size" "$bytes" duckdb "$run" "$status" \
                "$WORK/duckdb.time" "$rows" "$outb" "$inner"
            rm -rf "$pq"
        done
    done
done

# ---------------------------------------------------------------- report
{
    echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    gens="$GEN_HASH"
    case " $FORMATS " in *" otlp "*) gens="$gens, otlp $OTLP_GEN_HASH" ;; esac
    echo "agaudit: $AGAUDIT_VERSION ($AGAUDIT); duckdb: $DUCKDB_VERSION (python, threads=$(nproc)); runs: $RUNS; seed: $SEED; generator: $gens; date: $STAMP"
    for fmt in $FORMATS; do
        for size in $SIZES; do
            f="$(data_file "$fmt" "$size")"
            exp="$("$PY" -c 'import json,sys
try: print(json.load(open(sys.argv[1]))["expected_rows"])
except Exception: print("?")' "$f.gen.json" 2>/dev/null)"
            what="pgAudit + refused entries"
            [ "$fmt" = otlp ] && what="spans"
            echo "input: $(basename "$f"): $(stat -c %s "$f") bytes, $exp $what"
        done
    done
    echo
    "$PY" - "$RAW" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
groups = {}
for r in rows:
    groups.setdefault((r["format"], float(r["size_mb"]), r["tool"]), []).append(r)
def med(vals):
    vals = [float(v) for v in vals if v not in ("", "NA")]
    return statistics.median(vals) if vals else None
summary = {}
for key, rs in groups.items():
    ok = [r for r in rs if r["status"] in ("ok", "exit1")]
    wall = med(r["wall_s"] for r in ok)
    rss = med(r["peak_rss_kb"] for r in ok)
    nrows = med(r["rows"] for r in ok)
    mb = int(rs[0]["file_bytes"]) / 1e6
    summary[key] = dict(wall=wall, rss=rss, rows=nrows, mb=mb,
                        mbps=(mb / wall) if wall else None,
                        rps=(nrows / wall) if wall and nrows else None,
                        failed=len(rs) - len(ok), n=len(rs))
def f(v, fmt):
    return "n/a" if v is None else fmt.format(v)
print("| format | size MB | tool | median wall s | MB/s | rows/s | median peak RSS MB | agaudit/DuckDB throughput |")
print("|---|---:|---|---:|---:|---:|---:|---:|")
order = {"agaudit": 0, "duckdb": 1}
for key in sorted(summary, key=lambda k: (k[0], k[1], order.get(k[2], 9))):
    fmt, size, tool = key
    s = summary[key]
    ratio = ""
    if tool == "agaudit":
        d = summary.get((fmt, size, "duckdb"))
        if d and d["mbps"] and s["mbps"]:
            ratio = "%.2fx" % (s["mbps"] / d["mbps"])
    name = tool if tool != "duckdb" else "DuckDB"
    if s["failed"]:
        name += " (%d/%d runs failed)" % (s["failed"], s["n"])
    if any(r["status"] == "exit1" for r in groups[key]):
        name += " (exit 1)"
    if any(r["status"] == "norows" for r in groups[key]):
        name += " (no rows)"
    print("| %s | %.0f | %s | %s | %s | %s | %s | %s |" % (
        fmt, s["mb"], name, f(s["wall"], "{:.2f}"), f(s["mbps"], "{:.1f}"),
        f(s["rps"], "{:,.0f}"), f(s["rss"] and s["rss"] / 1024, "{:.0f}"),
        ratio))
EOF
} | tee "$OUT/results.md"
echo >&2
echo "raw numbers: $RAW" >&2
echo "table:       $OUT/results.md" >&2

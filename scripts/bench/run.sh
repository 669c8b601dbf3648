#!/usr/bin/env bash
# agaudit vs DuckDB: ingest the same synthetic log into Parquet.
#
#   scripts/bench/run.sh [--sizes "100 300 1000"] [--runs 3] [--agaudit PATH]
#                        [--formats "csvlog stderr"] [--seed 42]
#                        [--events "1 10"] [--walk joins] [--reingest]
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
# --formats correlate (alone or with the others) benchmarks `agaudit correlate`
# instead of ingest: scripts/bench/gen_correlate.py writes a linked pgAudit
# csvlog + OTLP traces file of --events millions of db_events rows + spans,
# `agaudit ingest --label server=prod-postgres` turns them into a case once
# (both cached in $AGAUDIT_BENCH_DIR/data/correlate-*/; --reingest redoes the
# ingest, e.g. after a change to the Parquet layout), then each run times
#   agaudit: agaudit correlate --case COPY --policy scripts/bench/correlate-policy.hcl --json
#            (COPY: a fresh hard-linked copy of the case, so every run starts
#             without actions and ledger; exit 1 = violations that went
#             through, expected here)
#   duckdb:  python3 scripts/bench/duckdb_correlate.py --case CASE --output DIR
#            --walk W for each W of --walk ("joins": fixed-depth self-joins,
#            the default; "recursive": a recursive CTE; "joins recursive": both)
# and after the first run scripts/bench/check_correlate.py compares the two
# actions tables row by row (saved as check-correlate-*.json).
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
EVENTS="1 10"
WALKS="joins"
REINGEST=0
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
        --events) EVENTS="${2:?}"; shift 2 ;;
        --events=*) EVENTS="${1#*=}"; shift ;;
        --walk) WALKS="${2:?}"; shift 2 ;;
        --walk=*) WALKS="${1#*=}"; shift ;;
        --reingest) REINGEST=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
for s in $SIZES; do [[ "$s" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "bad size: $s"; done
FILE_FORMATS=""
CORRELATE=0
for f in $FORMATS; do
    case "$f" in
        csvlog|stderr|otlp) FILE_FORMATS="$FILE_FORMATS $f" ;;
        correlate) CORRELATE=1 ;;
        *) die "bad format: $f (csvlog|stderr|otlp|correlate)" ;;
    esac
done
FILE_FORMATS="${FILE_FORMATS# }"
for e in $EVENTS; do [[ "$e" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "bad --events: $e (millions)"; done
for w in $WALKS; do
    case "$w" in joins|recursive) ;; *) die "bad --walk: $w (joins|recursive)" ;; esac
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
for fmt in $FILE_FORMATS; do
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

# correlate: generated inputs and the case agaudit ingested from them
CORR_GEN_HASH="$(sha256sum "$HERE/gen_correlate.py" | cut -c1-8)"
corr_dir() { echo "$BENCH_DIR/data/correlate-${1}m-s$SEED-g$CORR_GEN_HASH"; }
if [ "$CORRELATE" = 1 ]; then
    for ev in $EVENTS; do
        d="$(corr_dir "$ev")"
        if [ -s "$d/gen.json" ] && [ -s "$d/postgresql.csv" ] && [ -s "$d/traces.jsonl" ]; then
            echo "== reusing $d" >&2
        else
            echo "== generating $d ($ev million events)" >&2
            rm -rf "$d"
            mkdir -p "$d"
            n="$("$PY" -c 'import sys; print(int(float(sys.argv[1]) * 1e6))' "$ev")"
            "$PY" "$HERE/gen_correlate.py" --events "$n" --seed "$SEED" \
                --out-dir "$d" 2>"$d/gen.json.tmp"
            mv "$d/gen.json.tmp" "$d/gen.json"
            cat "$d/gen.json" >&2
        fi
        if [ "$REINGEST" = 1 ] || [ ! -s "$d/case/ingest.json" ] || [ ! -s "$d/ingest.out.json" ]; then
            [ "$HAVE_AGAUDIT" = 1 ] || die "no ingested case in $d/case and no agaudit to ingest it"
            echo "== ingesting $d into $d/case" >&2
            rm -rf "$d/case" "$d/ingest.out.json" "$d/ingest.time"
            rc=0
            "$TIME_BIN" -f '%e %M' -o "$d/ingest.time" "$AGAUDIT" ingest --case "$d/case" \
                --label server=prod-postgres --quiet --json \
                "$d/postgresql.csv" "$d/traces.jsonl" >"$d/ingest.out.json.tmp" || rc=$?
            # exit 1: ingested, with quarantined lines (the generator makes none)
            [ "$rc" -le 1 ] || die "agaudit ingest of $d failed (exit $rc)"
            [ "$rc" = 0 ] || echo "   agaudit ingest exited 1: see $d/case/quarantine" >&2
            mv "$d/ingest.out.json.tmp" "$d/ingest.out.json"
            echo "$AGAUDIT_VERSION ($AGAUDIT)" >"$d/ingest.agaudit"
        else
            echo "== reusing the case $d/case (ingested by $(cat "$d/ingest.agaudit" 2>/dev/null || echo '?'); --reingest to redo)" >&2
        fi
    done
fi

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

for fmt in $FILE_FORMATS; do
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

# correlate: agaudit correlate vs duckdb_correlate.py over the same case
RAWC="$OUT/raw-correlate.tsv"
printf 'events_m\tdb_events\tspans\ttool\trun\tstatus\twall_s\tpeak_rss_kb\tactions\twith_agent\toutput_bytes\tinner_s\n' >"$RAWC"
record_corr() { # events dbev spans tool run status timefile actions with_agent outbytes [inner_s]
    local wall=NA rss=NA
    if [ -s "$7" ]; then read -r wall rss < <(tail -n1 "$7") || true; fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
        "$1" "$2" "$3" "$4" "$5" "$6" "$wall" "$rss" "$8" "$9" "${10}" "${11:-}" >>"$RAWC"
}
if [ "$CORRELATE" = 1 ]; then
    POLICY="$HERE/correlate-policy.hcl"
    for ev in $EVENTS; do
        d="$(corr_dir "$ev")"
        case_dir="$d/case"
        read -r n_db n_spans < <("$PY" -c 'import json,sys
t = json.load(open(sys.argv[1]))["totals"]["tables"]
print(t.get("db_events", 0), t.get("spans", 0))' "$d/ingest.out.json")
        find "$case_dir/parquet" -name '*.parquet' -exec cat {} + >/dev/null  # warm cache
        for run in $(seq 1 "$RUNS"); do
            if [ "$HAVE_AGAUDIT" = 1 ]; then
                # a fresh copy of the case for every run (correlate writes
                # parquet/actions/ and appends to ledger/): small files
                # copied, Parquet parts hard-linked (read only), not timed
                wcase="$WORK/ccase"
                rm -rf "$wcase"
                mkdir -p "$wcase"
                (cd "$case_dir" && find . -mindepth 1 -maxdepth 1 ! -name parquet \
                    -exec cp -a {} "$wcase/" \;)
                cp -al "$case_dir/parquet" "$wcase/parquet" 2>/dev/null \
                    || { rm -rf "$wcase/parquet"; cp -a "$case_dir/parquet" "$wcase/parquet"; }
                rm -rf "$wcase/parquet/actions" "$wcase/ledger"
                echo "== agaudit correlate ${ev}M events run $run" >&2
                status=ok
                rc=0
                run_timed agaudit -- "$AGAUDIT" correlate --case "$wcase" \
                    --policy "$POLICY" --json || rc=$?
                # exit 1 = violations that went through (expected with this policy)
                if [ "$rc" -gt 1 ]; then
                    status="exit$rc"
                    echo "   agaudit correlate failed ($status): $(tail -n5 "$WORK/agaudit.err")" >&2
                fi
                read -r actions with_agent < <("$PY" -c 'import json,sys
try:
    d = json.load(open(sys.argv[1]))
    c = d.get("by_conf", {})
    print(d["actions"], d["actions"] - c.get("unattributed", 0))
except Exception: print("- -")' "$WORK/agaudit.out")
                [ "$actions" = - ] && actions="" && with_agent=""
                outb="$(du -sb "$wcase/parquet/actions" "$wcase/ledger" 2>/dev/null | awk '{s += $1} END {print s}')"
                record_corr "$ev" "$n_db" "$n_spans" agaudit "$run" "$status" \
                    "$WORK/agaudit.time" "$actions" "$with_agent" "$outb"
                cp "$WORK/agaudit.out" "$OUT/agaudit-correlate-${ev}m-run$run.json" 2>/dev/null || true
            fi
            for walk in $WALKS; do
                tool=duckdb
                [ "$walk" = joins ] || tool="duckdb-$walk"
                dd="$WORK/dd-$walk"
                rm -rf "$dd"
                echo "== $tool correlate ${ev}M events run $run" >&2
                status=ok
                run_timed duckdb -- "$PY" "$HERE/duckdb_correlate.py" --case "$case_dir" \
                    --output "$dd" --walk "$walk" || status="exit$?"
                [ "$status" = ok ] || echo "   duckdb failed ($status): $(tail -n5 "$WORK/duckdb.err")" >&2
                read -r actions with_agent inner < <("$PY" -c 'import json,sys
try:
    d = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
    print(d["rows"], d["with_agent"], d["seconds"])
except Exception: print("- - -")' "$WORK/duckdb.out")
                [ "$actions" = - ] && actions="" && with_agent="" && inner=""
                outb="$(du -sb "$dd" 2>/dev/null | cut -f1 || true)"
                record_corr "$ev" "$n_db" "$n_spans" "$tool" "$run" "$status" \
                    "$WORK/duckdb.time" "$actions" "$with_agent" "$outb" "$inner"
                cp "$WORK/duckdb.out" "$OUT/$tool-correlate-${ev}m-run$run.json" 2>/dev/null || true
                # the first run's outputs, compared row by row (not timed)
                if [ "$run" = 1 ] && [ "$HAVE_AGAUDIT" = 1 ] && [ "$status" = ok ] \
                    && [ -d "$wcase/parquet/actions" ]; then
                    chk="$OUT/check-correlate-${ev}m-$walk.json"
                    "$PY" "$HERE/check_correlate.py" --agaudit "$wcase/parquet/actions" \
                        --duckdb "$dd" >"$chk" 2>&1 || true
                    echo "   check ($walk): $(cut -c1-400 "$chk")" >&2
                fi
                rm -rf "$dd"
            done
            rm -rf "$WORK/ccase"
        done
    done
fi

# ---------------------------------------------------------------- report
{
    echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    gens="$GEN_HASH"
    case " $FORMATS " in *" otlp "*) gens="$gens, otlp $OTLP_GEN_HASH" ;; esac
    if [ "$CORRELATE" = 1 ]; then gens="$gens, correlate $CORR_GEN_HASH"; fi
    echo "agaudit: $AGAUDIT_VERSION ($AGAUDIT); duckdb: $DUCKDB_VERSION (python, threads=$(nproc)); runs: $RUNS; seed: $SEED; generator: $gens; date: $STAMP"
    for fmt in $FILE_FORMATS; do
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
    if [ -n "$FILE_FORMATS" ]; then
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
    fi
    if [ "$CORRELATE" = 1 ]; then
        if [ -n "$FILE_FORMATS" ]; then echo; fi
        for ev in $EVENTS; do
            "$PY" - "$(corr_dir "$ev")" <<'EOF'
import json, os, sys
d = sys.argv[1]
def opt(name, read):
    p = os.path.join(d, name)
    return read(p) if os.path.exists(p) else None
g = json.load(open(os.path.join(d, "gen.json")))
t = json.load(open(os.path.join(d, "ingest.out.json")))["totals"]
wall, rss = opt("ingest.time", lambda p: open(p).read().split()[-2:]) or ("?", "?")
who = opt("ingest.agaudit", lambda p: open(p).read().strip()) or "?"
c = g["counts"]
print("input: %s: csvlog %d bytes + OTLP %d bytes -> db_events %d + spans %d = %d rows "
      "(%d tool calls, %d sessions; statements: %d traced, %d without comment, "
      "%d without span, %d refused); ingest %s s, %s MB peak RSS, by %s" % (
          os.path.basename(d), g["csvlog_bytes"], g["traces_bytes"],
          t["tables"].get("db_events", 0), t["tables"].get("spans", 0), t["rows"],
          c["calls"], c["sessions"], c["traced"], c["no_comment"], c["no_span"],
          c["refused"], wall, rss if rss == "?" else round(int(rss) / 1024), who))
EOF
        done
        echo
        "$PY" - "$RAWC" "$OUT" <<'EOF'
import csv, glob, json, os, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
groups = {}
for r in rows:
    groups.setdefault((float(r["events_m"]), r["tool"]), []).append(r)
def med(vals):
    vals = [float(v) for v in vals if v not in ("", "NA")]
    return statistics.median(vals) if vals else None
def f(v, fmt):
    return "n/a" if v is None else fmt.format(v)
summary = {}
for key, rs in groups.items():
    ok = [r for r in rs if r["status"] == "ok"]
    wall = med(r["wall_s"] for r in ok)
    ev = int(rs[0]["db_events"]) + int(rs[0]["spans"])
    summary[key] = dict(wall=wall, rss=med(r["peak_rss_kb"] for r in ok),
                        actions=med(r["actions"] for r in ok),
                        agent=med(r["with_agent"] for r in ok),
                        db=int(rs[0]["db_events"]), spans=int(rs[0]["spans"]),
                        eps=(ev / wall) if wall else None,
                        failed=len(rs) - len(ok), n=len(rs))
print("| events | db_events + spans | tool | median wall s | events/s | actions | with agent | median peak RSS MB | tool wall / agaudit wall |")
print("|---:|---:|---|---:|---:|---:|---:|---:|---:|")
order = {"agaudit": 0, "duckdb": 1, "duckdb-recursive": 2}
for key in sorted(summary, key=lambda k: (k[0], order.get(k[1], 9))):
    evm, tool = key
    s = summary[key]
    ratio = ""
    a = summary.get((evm, "agaudit"))
    if tool != "agaudit" and a and a["wall"] and s["wall"]:
        ratio = "%.2fx" % (s["wall"] / a["wall"])
    name = {"duckdb": "DuckDB (joins)",
            "duckdb-recursive": "DuckDB (recursive CTE)"}.get(tool, tool)
    if s["failed"]:
        name += " (%d/%d runs failed)" % (s["failed"], s["n"])
    print("| %gM | %s + %s | %s | %s | %s | %s | %s | %s | %s |" % (
        evm, "{:,}".format(s["db"]), "{:,}".format(s["spans"]), name,
        f(s["wall"], "{:.2f}"), f(s["eps"], "{:,.0f}"), f(s["actions"], "{:,.0f}"),
        f(s["agent"], "{:,.0f}"), f(s["rss"] and s["rss"] / 1024, "{:.0f}"), ratio))
checks = sorted(glob.glob(os.path.join(sys.argv[2], "check-correlate-*.json")))
if checks:
    print()
for p in checks:
    name = os.path.basename(p)[len("check-correlate-"):-len(".json")]
    try:
        c = json.loads(open(p).read().strip().splitlines()[-1])
    except Exception as e:
        print("- check %s: unreadable (%s)" % (name, e))
        continue
    if c["identical"]:
        print("- check %s: identical actions: %s rows, %s with an agent, every compared column equal"
              % (name, "{:,}".format(c["ag"]["rows"]), "{:,}".format(c["ag"]["with_agent"])))
    else:
        print("- check %s: DIFFERENT: agaudit %s rows / %s with an agent, DuckDB %s / %s; "
              "only in agaudit %s, only in DuckDB %s; columns differing: %s" % (
                  name, c["ag"]["rows"], c["ag"]["with_agent"], c["dd"]["rows"],
                  c["dd"]["with_agent"], c["only_agaudit"], c["only_duckdb"],
                  {k: v for k, v in c["columns_differing"].items()
                   if not k.endswith("_examples")}))
EOF
    fi
} | tee "$OUT/results.md"
echo >&2
if [ -n "$FILE_FORMATS" ]; then echo "raw numbers: $RAW" >&2; fi
if [ "$CORRELATE" = 1 ]; then echo "raw numbers: $RAWC" >&2; fi
echo "table:       $OUT/results.md" >&2

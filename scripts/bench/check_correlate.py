#!/usr/bin/env python3
"""Compare agaudit's actions table with duckdb_correlate.py's, row by row.

    check_correlate.py --agaudit CASE/parquet/actions --duckdb DIR

Matches rows on (evidence_table, evidence_file, evidence_line, trace_id,
span_id) (several spans share a source line) and prints one JSON line: row
counts, rows with an agent, conf / verdict counts of both sides, rows present
on one side only, and per column the number of matched rows that differ
(row hashes and action ids are left out: md5 on the DuckDB side, blake3 in
agaudit; `reason` too, whose texts differ by design).  Exit status 1 when
anything differs.
"""

import argparse
import json
import sys

import duckdb

COLUMNS = ["ts", "agent", "session", "principal", "tool", "mcp_server",
           "resource", "op", "class", "command", "outcome", "source_outcome",
           "violation", "rule", "on_violation", "verdict", "conf",
           "claimed_read_only", "evidence_blake3", "corroboration"]
KEY = ["evidence_table", "evidence_file", "evidence_line",
       "coalesce(trace_id, '')", "coalesce(span_id, '')"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--agaudit", required=True, help="agaudit's actions directory")
    ap.add_argument("--duckdb", required=True, help="duckdb_correlate.py's output directory")
    a = ap.parse_args()
    con = duckdb.connect()
    for name, path in (("ag", a.agaudit), ("dd", a.duckdb)):
        con.execute("CREATE VIEW %s AS SELECT * REPLACE (epoch_ns(ts) AS ts), %s AS k "
                    "FROM read_parquet('%s/**/*.parquet', hive_partitioning = false)"
                    % (name, "(" + " || '|' || ".join("CAST(%s AS VARCHAR)" % c for c in KEY) + ")",
                       path.replace("'", "''")))
    out = {}
    for name in ("ag", "dd"):
        out[name] = {
            "rows": con.execute("SELECT count(*) FROM %s" % name).fetchone()[0],
            "with_agent": con.execute("SELECT count(agent) FROM %s" % name).fetchone()[0],
            "by_conf": dict(con.execute("SELECT conf, count(*) FROM %s GROUP BY 1 ORDER BY 1" % name).fetchall()),
            "by_verdict": dict(con.execute("SELECT verdict, count(*) FROM %s GROUP BY 1 ORDER BY 1" % name).fetchall()),
        }
    out["only_agaudit"] = con.execute("SELECT count(*) FROM ag ANTI JOIN dd USING (k)").fetchone()[0]
    out["only_duckdb"] = con.execute("SELECT count(*) FROM dd ANTI JOIN ag USING (k)").fetchone()[0]
    out["duplicate_keys"] = con.execute(
        "SELECT count(*) - count(DISTINCT k) FROM ag").fetchone()[0]
    diff = {}
    for c in COLUMNS:
        n = con.execute("SELECT count(*) FROM ag JOIN dd USING (k) "
                        "WHERE ag.%s IS DISTINCT FROM dd.%s" % (c, c)).fetchone()[0]
        if n:
            diff[c] = n
            ex = con.execute("SELECT ag.k, CAST(ag.%s AS VARCHAR), CAST(dd.%s AS VARCHAR) FROM ag JOIN dd USING (k) "
                             "WHERE ag.%s IS DISTINCT FROM dd.%s LIMIT 2" % (c, c, c, c)).fetchall()
            diff[c + "_examples"] = [list(e) for e in ex]
    out["columns_differing"] = diff
    out["identical"] = (not diff and out["only_agaudit"] == 0 and out["only_duckdb"] == 0
                        and out["ag"]["rows"] == out["dd"]["rows"])
    print(json.dumps(out))
    sys.exit(0 if out["identical"] else 1)


if __name__ == "__main__":
    main()

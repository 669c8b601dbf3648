#!/usr/bin/env python3
"""Reads an agaudit case with independent readers and checks it against the workload.

Usage: read_case.py CASE_DIR SUMMARY_JSON EXPECTED_JSON [CORRELATE_JSON]

- pyarrow reads CASE/parquet/db_events as a hive-partitioned dataset;
- DuckDB (when installed) runs the same count in SQL over the same files;
- the ingest --json summary and CASE/ingest.json validate against schemas/ (when the
  jsonschema package is installed; ./scripts/test installs it).
Counts must equal what expected.json (written by the fixture workload) declares, per format.
Every other table in the summary (spans, log_events, tool_hints) must be read by pyarrow and
DuckDB with the row count the summary reports, and its columns must match schemas/<table>.arrow.json.
With CORRELATE_JSON (correlate --json), it must follow schemas/correlate-summary.schema.json and
the actions table must hold its number of rows with the schema's columns.
"""
import collections
import json
import pathlib
import sys

import pyarrow.dataset as ds

case, summary_path, expected_path = map(pathlib.Path, sys.argv[1:4])
correlate_path = pathlib.Path(sys.argv[4]) if len(sys.argv) > 4 else None
repo = pathlib.Path(__file__).resolve().parents[2]
expected = json.loads(expected_path.read_text())
want = collections.Counter((r["class"], r["outcome"]) for r in expected["rows"])

table = ds.dataset(case / "parquet" / "db_events", format="parquet", partitioning="hive").to_table()
rows = table.to_pylist()
failures = []
by_format = collections.defaultdict(collections.Counter)
for r in rows:
    by_format[r["log_format"]][(r["class"], r["outcome"])] += 1
for fmt in ("stderr", "csvlog", "jsonlog"):
    if by_format[fmt] != want:
        failures.append(f"pyarrow {fmt}: {dict(by_format[fmt])} != {dict(want)}")
if str(table.schema.field("ts").type) != "timestamp[us, tz=UTC]":
    failures.append(f"ts type is {table.schema.field('ts').type}")

try:
    import duckdb
except ImportError:
    duckdb = None
if duckdb is not None:
    glob = str(case / "parquet" / "db_events" / "**" / "*.parquet")
    got = duckdb.sql(
        f"select log_format, count(*) from read_parquet('{glob}', hive_partitioning=true) group by 1"
    ).fetchall()
    for fmt, n in got:
        if n != len(expected["rows"]):
            failures.append(f"duckdb {fmt}: {n} rows != {len(expected['rows'])}")
    if len(got) != 3:
        failures.append(f"duckdb saw formats {got}")

try:
    import jsonschema
except ImportError:
    jsonschema = None
if jsonschema is not None:
    for doc, schema in [
        (summary_path, "ingest-summary.schema.json"),
        (case / "ingest.json", "ingest.schema.json"),
    ] + ([(correlate_path, "correlate-summary.schema.json")] if correlate_path else []):
        try:
            jsonschema.validate(json.loads(doc.read_text()), json.loads((repo / "schemas" / schema).read_text()))
        except jsonschema.ValidationError as e:
            failures.append(f"{doc.name} does not follow schemas/{schema}: {e.message} at {list(e.absolute_path)}")

summary = json.loads(summary_path.read_text())
tables = dict(summary["totals"].get("tables", {}))
if correlate_path:
    tables["actions"] = json.loads(correlate_path.read_text())["actions"]
for name, count in tables.items():
    if name == "db_events":
        continue
    t = ds.dataset(case / "parquet" / name, format="parquet", partitioning="hive").to_table()
    if t.num_rows != count:
        failures.append(f"pyarrow {name}: {t.num_rows} rows != summary {count}")
    declared = [f["name"] for f in json.loads((repo / "schemas" / f"{name}.arrow.json").read_text())["fields"]]
    got = [n for n in t.schema.names if n != "date"]
    if got != declared:
        failures.append(f"{name} columns {got} != schemas/{name}.arrow.json {declared}")
    if duckdb is not None:
        glob = str(case / "parquet" / name / "**" / "*.parquet")
        ((n,),) = duckdb.sql(f"select count(*) from read_parquet('{glob}', hive_partitioning=true)").fetchall()
        if n != count:
            failures.append(f"duckdb {name}: {n} rows != summary {count}")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print(f"ok: {len(rows)} rows read by pyarrow" + (", duckdb agrees" if duckdb else "") + (", schemas valid" if jsonschema else ""))

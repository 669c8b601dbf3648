#!/usr/bin/env python3
"""DuckDB baseline for the agaudit OTLP JSON benchmark.

    duckdb_otlp.py --input FILE --output DIR [--signal auto|traces|logs]
                   [--attributes list|map] [--threads N]
                   [--maximum-object-size BYTES] [--print-sql]

Does in plain DuckDB SQL what `agaudit ingest` does for an OpenTelemetry
Collector file-exporter file (JSON lines, one ExportTraceServiceRequest per
line): read it with read_json (newline_delimited, records, an explicit schema
of the OTLP fields used below; keys not in the schema are skipped), unnest
resourceSpans -> scopeSpans -> spans and COPY one row per span to
DIR/spans.parquet (zstd).  Prints one JSON line {"rows": N, "seconds": S, ...}
on stdout; S is the time spent inside DuckDB.

Span columns:
  trace_id, span_id, parent_span_id (NULL for roots), name, kind INTEGER,
  start_time, end_time TIMESTAMP_NS (from start/endTimeUnixNano),
  status_code INTEGER (0 when unset), status_message, service_name
  (service.name of the resource), scope_name, scope_version,
  attributes STRUCT(key VARCHAR, value VARCHAR)[] in input order (every value
  as text: strings as is, intValue's decimal string, true/false, doubles,
  arrays as a JSON array; --attributes map makes it a MAP(VARCHAR, VARCHAR),
  about 20-30 % slower and an error on duplicate keys), and looked up from
  it: mcp_method_name, gen_ai_tool_name, gen_ai_agent_name, db_query_text.
Events and links are not extracted.

maximum_object_size (the longest line DuckDB accepts) is 32 MiB by default:
one export request per line, and OTLP receivers refuse requests over 4 MiB
unless configured otherwise.  Raising it costs time (larger read buffers:
about 0.42 s at 16-32 MiB, 0.6 s at 64-256 MiB on the 50 MB benchmark file).

With ExportLogsServiceRequest lines (--signal logs, or auto-detected from the
first line) it writes DIR/logs.parquet, one row per log record: time,
observed_time TIMESTAMP_NS, severity_number, severity_text, body (stringValue,
else the value as text), event_name, trace_id, span_id, flags, service_name,
scope_name, scope_version, attributes and the same looked-up columns.
"""

import argparse
import json
import os
import time

import duckdb

# AnyValue: scalars typed, nested arrays / key-value lists kept as raw JSON.
SCALARS = ("stringValue VARCHAR, intValue VARCHAR, boolValue BOOLEAN, "
           "doubleValue DOUBLE, bytesValue VARCHAR")
ANY_VALUE = ('STRUCT(%s, arrayValue STRUCT("values" STRUCT(%s, arrayValue '
             'JSON, kvlistValue JSON)[]), kvlistValue JSON)' % (SCALARS,
                                                                SCALARS))
KEY_VALUES = "STRUCT(key VARCHAR, value %s)[]" % ANY_VALUE
RESOURCE = "STRUCT(attributes %s)" % KEY_VALUES
SCOPE = "STRUCT(name VARCHAR, version VARCHAR)"
SPAN = ("STRUCT(traceId VARCHAR, spanId VARCHAR, parentSpanId VARCHAR, "
        "name VARCHAR, kind INTEGER, startTimeUnixNano VARCHAR, "
        "endTimeUnixNano VARCHAR, attributes %s, "
        "status STRUCT(code INTEGER, message VARCHAR))" % KEY_VALUES)
LOG_RECORD = ("STRUCT(timeUnixNano VARCHAR, observedTimeUnixNano VARCHAR, "
              "severityNumber INTEGER, severityText VARCHAR, body %s, "
              "attributes %s, flags UBIGINT, traceId VARCHAR, spanId VARCHAR, "
              "eventName VARCHAR)" % (ANY_VALUE, KEY_VALUES))

SIGNALS = {
    #          top key, scope list, record list, record type, output file
    "traces": ("resourceSpans", "scopeSpans", "spans", SPAN, "spans.parquet"),
    "logs": ("resourceLogs", "scopeLogs", "logRecords", LOG_RECORD,
             "logs.parquet"),
}

LOOKUPS = [("mcp.method.name", "mcp_method_name"),
           ("gen_ai.tool.name", "gen_ai_tool_name"),
           ("gen_ai.agent.name", "gen_ai_agent_name"),
           ("db.query.text", "db_query_text")]


def value_text(v):
    """SQL: an AnyValue struct -> VARCHAR."""
    scalar = ("coalesce({v}.stringValue, {v}.intValue, "
              "CAST({v}.boolValue AS VARCHAR), "
              "CAST({v}.doubleValue AS VARCHAR), {v}.bytesValue")
    inner = scalar.format(v="x") + ", CAST(x.arrayValue AS VARCHAR), " \
        "CAST(x.kvlistValue AS VARCHAR))"
    return (scalar.format(v=v) +
            ", CAST(to_json(list_transform({v}.arrayValue.\"values\", "
            "lambda x: {inner})) AS VARCHAR), CAST({v}.kvlistValue AS VARCHAR))"
            .format(v=v, inner=inner))


def attr_list(lst, as_map):
    pairs = ("list_transform(%s, lambda a: {'key': a.key, 'value': %s})"
             % (lst, value_text("a.value")))
    return "map_from_entries(%s)" % pairs if as_map else pairs


def lookup(key, as_map):
    if as_map:
        return "attributes['%s']" % key
    return ("list_filter(attributes, lambda e: e.key = '%s')[1].value"
            % key)


def ts_ns(expr):
    return "make_timestamp_ns(CAST(%s AS BIGINT))" % expr


def otlp_sql(inp, signal, max_object, as_map=False):
    top, scopes, records, rtype, _ = SIGNALS[signal]
    cols = "{'%s': '%s'}" % (top, "STRUCT(resource %s, %s STRUCT(scope %s, "
                                  "%s %s[])[])[]" % (RESOURCE, scopes, SCOPE,
                                                     records, rtype))
    lookups = ",\n    ".join("%s AS %s" % (lookup(k, as_map), c)
                             for k, c in LOOKUPS)
    if signal == "traces":
        cols_out = """
    lower(r.traceId) AS trace_id,
    lower(r.spanId) AS span_id,
    lower(nullif(r.parentSpanId, '')) AS parent_span_id,
    r.name AS name,
    r.kind AS kind,
    {start} AS start_time,
    {end} AS end_time,
    coalesce(r.status.code, 0) AS status_code,
    nullif(r.status.message, '') AS status_message,""".format(
            start=ts_ns("r.startTimeUnixNano"),
            end=ts_ns("r.endTimeUnixNano"))
    else:
        cols_out = """
    {t} AS time,
    {o} AS observed_time,
    r.severityNumber AS severity_number,
    r.severityText AS severity_text,
    {body} AS body,
    nullif(r.eventName, '') AS event_name,
    lower(nullif(r.traceId, '')) AS trace_id,
    lower(nullif(r.spanId, '')) AS span_id,
    r.flags AS flags,""".format(t=ts_ns("nullif(r.timeUnixNano, '0')"),
                                o=ts_ns("nullif(r.observedTimeUnixNano, '0')"),
                                body=value_text("r.body"))
    return """
  WITH req AS (
    SELECT unnest({top}) AS rs
    FROM read_json('{inp}', format = 'newline_delimited', records = true,
                   columns = {cols}, maximum_object_size = {mos})
  ), res AS (
    SELECT list_filter(rs.resource.attributes,
                       lambda a: a.key = 'service.name')[1].value.stringValue
             AS service_name,
           unnest(rs.{scopes}) AS ss
    FROM req
  ), recs AS (
    SELECT service_name, ss.scope.name AS scope_name,
           ss.scope.version AS scope_version, unnest(ss.{records}) AS r
    FROM res
  ), kv AS (
    SELECT *, {amap} AS attributes FROM recs
  )
  SELECT {cols_out}
    service_name, scope_name, scope_version, attributes,
    {lookups}
  FROM kv
""".format(top=top, inp=inp, cols=cols, mos=max_object, scopes=scopes,
           records=records, amap=attr_list("r.attributes", as_map),
           cols_out=cols_out,
           lookups=lookups)


def detect_signal(path):
    with open(path, "rb") as f:
        head = f.read(4096).lstrip()
    if head.startswith(b'{"resourceLogs"'):
        return "logs"
    if head.startswith(b'{"resourceSpans"'):
        return "traces"
    i = min((head.find(k) for k in (b'"resourceLogs"', b'"resourceSpans"')
             if head.find(k) >= 0), default=-1)
    return "logs" if i >= 0 and head[i:].startswith(b'"resourceLogs"') \
        else "traces"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", required=True)
    ap.add_argument("--output", required=True,
                    help="output directory (spans.parquet / logs.parquet)")
    ap.add_argument("--signal", choices=["auto", "traces", "logs"],
                    default="auto")
    ap.add_argument("--attributes", choices=["list", "map"], default="list",
                    help="attributes column: list of {key, value} structs "
                    "(default) or MAP(VARCHAR, VARCHAR)")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--maximum-object-size", type=int, default=32 * 2 ** 20,
                    help="read_json's maximum_object_size: the longest line "
                    "(one export request) in bytes; default 32 MiB")
    ap.add_argument("--print-sql", action="store_true")
    a = ap.parse_args()

    def lit(path):
        return os.path.abspath(path).replace("'", "''")

    signal = a.signal if a.signal != "auto" else detect_signal(a.input)
    out = os.path.join(a.output, SIGNALS[signal][4])
    copy = ("COPY (%s) TO '%s' (FORMAT parquet, COMPRESSION zstd)"
            % (otlp_sql(lit(a.input), signal, a.maximum_object_size,
                        a.attributes == "map"), lit(out)))
    if a.print_sql:
        print(copy + ";")
        return
    os.makedirs(a.output, exist_ok=True)
    t0 = time.time()
    con = duckdb.connect(":memory:")
    con.execute("SET threads = %d" % a.threads)
    con.execute("SET TimeZone = 'UTC'")
    con.execute(copy)
    secs = time.time() - t0
    rows = con.execute("SELECT count(*) FROM read_parquet('%s')"
                       % lit(out)).fetchone()[0]
    print(json.dumps({"tool": "duckdb", "duckdb_version": duckdb.__version__,
                      "format": "otlp", "signal": signal, "rows": rows,
                      "attributes": a.attributes, "threads": a.threads,
                      "output": out,
                      "seconds": round(secs, 3)}))


if __name__ == "__main__":
    main()

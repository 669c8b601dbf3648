#!/usr/bin/env python3
"""DuckDB baseline for the agaudit benchmark.

    duckdb_ingest.py --format csvlog|stderr --input FILE --output OUT.parquet
                     [--threads N]

Does in plain DuckDB SQL what `agaudit ingest` does for pgAudit: read a
PostgreSQL 15 log, keep the pgAudit entries (message LIKE 'AUDIT: %') and the
errors (error_severity = 'ERROR'), split the pgAudit CSV payload into its
fields with one regexp_extract, and COPY the result to a zstd Parquet file.
Prints one JSON line {"rows": N, "seconds": S, ...} on stdout.

Output columns (both formats):
  log_time TIMESTAMPTZ, user_name, database_name, process_id INTEGER,
  session_id, session_line_num BIGINT, application_name, error_severity,
  sql_state_code, message, audit_type, statement_id BIGINT,
  substatement_id BIGINT, class, command, object_type, object_name,
  statement, parameter, audit_rows BIGINT (pgaudit.log_rows)
For errors, `statement` is the failed statement (csvlog `query` column, or
the STATEMENT: line that follows the ERROR line in stderr).  The stderr
format has no session id / line number / SQLSTATE with the benchmark's
log_line_prefix ('%m [%p] %q%u@%d app=%a '); those columns are NULL there.
"""

import argparse
import json
import os
import sys
import time

import duckdb

CSVLOG_COLUMNS = [
    "log_time", "user_name", "database_name", "process_id",
    "connection_from", "session_id", "session_line_num", "command_tag",
    "session_start_time", "virtual_transaction_id", "transaction_id",
    "error_severity", "sql_state_code", "message", "detail", "hint",
    "internal_query", "internal_query_pos", "context", "query", "query_pos",
    "location", "application_name", "backend_type", "leader_pid", "query_id",
]

# pgAudit payload: AUDIT_TYPE,STATEMENT_ID,SUBSTATEMENT_ID,CLASS,COMMAND,
# OBJECT_TYPE,OBJECT_NAME,STATEMENT,PARAMETER -- each field CSV-quoted by
# pgAudit only when it contains a comma, quote or newline.
Q = r'"(?:[^"]|"")*"'
# pgAudit >= 1.7 with pgaudit.log_rows = on appends a 10th field, ROWS.
AUDIT_RE = (r'(?s)^AUDIT: ([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),'
            r'(' + Q + r'|[^,]*),(' + Q + r'|[^,]*),(' + Q + r'|[^,]*)'
            r'(?:,([0-9]*))?$')
AUDIT_GROUPS = ["audit_type", "statement_id", "substatement_id", "class",
                "command", "object_type", "object_name", "statement",
                "parameter", "rows"]

# stderr, log_line_prefix = '%m [%p] %q%u@%d app=%a '
STDERR_RE = (r'(?s)^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? [A-Za-z0-9+-]+) '
             r'\[(\d+)\] (?:(\S*)@(\S*) app=(.*?) )?'
             r'([A-Z]+):  (.*)$')
STDERR_GROUPS = ["log_time", "process_id", "user_name", "database_name",
                 "application_name", "severity", "message"]


def sql_list(names):
    return "[" + ", ".join("'%s'" % n for n in names) + "]"


def unquote(expr):
    """CSV field -> value (strip quotes, undouble inner quotes)."""
    return ("CASE WHEN starts_with({e}, '\"') THEN "
            "replace({e}[2:-2], '\"\"', '\"') ELSE {e} END").format(e=expr)


def nullif_unknown(expr):
    return "nullif(nullif(%s, '[unknown]'), '')" % expr


def audit_projection(src):
    """SELECT-list of the pgAudit fields; `src` is the struct column.

    regexp_extract() yields empty strings when the message does not match
    (errors), hence the nullif()s."""
    return """
        nullif({s}.audit_type, '') AS audit_type,
        TRY_CAST({s}.statement_id AS BIGINT) AS statement_id,
        TRY_CAST({s}.substatement_id AS BIGINT) AS substatement_id,
        nullif({s}.class, '') AS class,
        nullif({s}.command, '') AS command,
        nullif({s}.object_type, '') AS object_type,
        nullif({ob}, '') AS object_name,
        nullif({st}, '') AS audit_statement,
        nullif({pa}, '') AS parameter,
        TRY_CAST({s}.rows AS BIGINT) AS audit_rows""".format(
        s=src, ob=unquote(src + ".object_name"),
        st=unquote(src + ".statement"), pa=unquote(src + ".parameter"))


def csvlog_sql(inp):
    cols = ", ".join("'%s': 'VARCHAR'" % c for c in CSVLOG_COLUMNS)
    return "", """
  WITH src AS (
    SELECT * FROM read_csv('{inp}', columns = {{{cols}}}, header = false,
                           delim = ',', quote = '"', escape = '"',
                           auto_detect = false, strict_mode = false,
                           max_line_size = 16777216)
    WHERE starts_with(message, 'AUDIT: ') OR error_severity = 'ERROR'
  ), parsed AS (
    SELECT *, regexp_extract(message, '{re}', {groups}) AS a FROM src
  )
  SELECT
    CAST(log_time AS TIMESTAMPTZ) AS log_time,
    user_name, database_name,
    CAST(process_id AS INTEGER) AS process_id,
    session_id,
    CAST(session_line_num AS BIGINT) AS session_line_num,
    nullif(application_name, '') AS application_name,
    error_severity, sql_state_code,
    CASE WHEN error_severity = 'ERROR' THEN message END AS message,
    {audit},
    CASE WHEN error_severity = 'ERROR' THEN query END AS error_statement,
    0 AS msg_no
  FROM parsed
""".format(inp=inp, cols=cols, re=AUDIT_RE, groups=sql_list(AUDIT_GROUPS),
           audit=audit_projection("a"))


# Two ways to rebuild stderr messages (PostgreSQL writes every "\n" inside a
# message as "\n\t", so a physical line starting with TAB continues the
# previous message).  Both give the same result; "text" is the faster one and
# the default, "lines" is kept for files too big for one DuckDB string.

def stderr_msgs_text(inp):
    """Whole file as one string (read_text): turn "\n\t" into a marker,
    split on "\n", number the pieces, put the newlines back.  The split is
    one single-threaded row, so it is materialised in a temp table to let
    the parsing that follows run on all threads."""
    setup = """
CREATE TEMP TABLE msgs AS
  SELECT msg_no, replace(text, chr(2), chr(10)) AS text FROM (
    SELECT generate_subscripts(l, 1) AS msg_no, unnest(l) AS text FROM (
      SELECT string_split(replace(content, chr(10) || chr(9), chr(2)),
                          chr(10)) AS l
      FROM read_text('{inp}')))
  WHERE text <> '';
""".format(inp=inp)
    return setup, ""     # no CTE needed: `msgs` is a table


def stderr_msgs_lines(inp):
    """Physical lines (read_csv, one column, no delimiter/quote) in file order
    (rowid of a temp table), running count of non-continuation lines =
    message number, multi-line messages glued back with string_agg."""
    setup = """
CREATE TEMP TABLE lines AS
  SELECT line FROM read_csv('{inp}', columns = {{'line': 'VARCHAR'}},
                            header = false, delim = chr(31), quote = '',
                            escape = '', auto_detect = false,
                            strict_mode = false, max_line_size = 16777216);
""".format(inp=inp)
    return setup, """
  numbered AS (
    SELECT line, rowid AS rn,
           sum(CASE WHEN starts_with(line, chr(9)) THEN 0 ELSE 1 END)
             OVER (ORDER BY rowid ROWS UNBOUNDED PRECEDING) AS msg_no
    FROM lines
  ), multi AS (
    SELECT msg_no FROM numbered WHERE starts_with(line, chr(9))
    GROUP BY msg_no
  ), msgs AS (
    -- single-line messages pass through; multi-line ones are re-joined
    SELECT msg_no, line AS text FROM numbered
    WHERE msg_no NOT IN (SELECT msg_no FROM multi)
    UNION ALL
    SELECT msg_no,
           string_agg(CASE WHEN starts_with(line, chr(9)) THEN line[2:]
                           ELSE line END, chr(10) ORDER BY rn) AS text
    FROM numbered WHERE msg_no IN (SELECT msg_no FROM multi)
    GROUP BY msg_no
  ),"""


def stderr_sql(inp, strategy="text"):
    # 1. rebuild messages (see above), numbered in file order (msg_no)
    # 2. parse the log_line_prefix and keep AUDIT / ERROR / STATEMENT
    # 3. attach the STATEMENT: message that follows an ERROR of the same
    #    backend, split the pgAudit payload
    build = stderr_msgs_text if strategy == "text" else stderr_msgs_lines
    setup, msgs = build(inp)
    return setup, """
  WITH {msgs} pfx AS (
    SELECT msg_no, regexp_extract(text, '{pre}', {pgroups}) AS p FROM msgs
  ), errs AS (
    -- ERROR + the STATEMENT line that follows it (same backend)
    SELECT msg_no, p,
           lead(p.severity) OVER w AS nxt_severity,
           lead(p.process_id) OVER w AS nxt_pid,
           lead(p.message) OVER w AS nxt_message
    FROM pfx WHERE p.severity IN ('ERROR', 'STATEMENT')
    WINDOW w AS (ORDER BY msg_no)
  ), parsed AS (
    SELECT msg_no, p, NULL::VARCHAR AS error_statement,
           regexp_extract(p.message, '{are}', {agroups}) AS a
    FROM pfx WHERE p.severity = 'LOG' AND starts_with(p.message, 'AUDIT: ')
    UNION ALL
    SELECT msg_no, p,
           CASE WHEN nxt_severity = 'STATEMENT' AND nxt_pid = p.process_id
                THEN nxt_message END AS error_statement,
           regexp_extract(p.message, '{are}', {agroups}) AS a
    FROM errs WHERE p.severity = 'ERROR'
  )
  SELECT
    CAST(p.log_time AS TIMESTAMPTZ) AS log_time,
    {uu} AS user_name, {ud} AS database_name,
    CAST(p.process_id AS INTEGER) AS process_id,
    NULL::VARCHAR AS session_id,
    NULL::BIGINT AS session_line_num,
    {ua} AS application_name,
    p.severity AS error_severity,
    NULL::VARCHAR AS sql_state_code,
    CASE WHEN p.severity = 'ERROR' THEN p.message END AS message,
    {audit},
    error_statement,
    msg_no
  FROM parsed
""".format(msgs=msgs, pre=STDERR_RE, pgroups=sql_list(STDERR_GROUPS),
           are=AUDIT_RE, agroups=sql_list(AUDIT_GROUPS),
           uu=nullif_unknown("p.user_name"),
           ud=nullif_unknown("p.database_name"),
           ua=nullif_unknown("p.application_name"),
           audit=audit_projection("a"))


FINAL_COLUMNS = """log_time, user_name, database_name, process_id, session_id,
  session_line_num, application_name, error_severity, sql_state_code, message,
  audit_type, statement_id, substatement_id, class, command, object_type,
  object_name, coalesce(audit_statement, error_statement) AS statement,
  parameter, audit_rows"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--format", choices=["csvlog", "stderr"], required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--stderr-strategy", choices=["auto", "text", "lines"],
                    default="auto",
                    help="how to rebuild multi-line stderr messages; auto = "
                    "text (read_text) below 2 GB, lines above")
    ap.add_argument("--print-sql", action="store_true")
    a = ap.parse_args()

    def lit(path):
        return os.path.abspath(path).replace("'", "''")

    strategy = None
    if a.format == "csvlog":
        setup, select = csvlog_sql(lit(a.input))
    else:
        strategy = a.stderr_strategy
        if strategy == "auto":
            big = os.path.getsize(a.input) >= 2 * 1024 ** 3
            strategy = "lines" if big else "text"
        setup, select = stderr_sql(lit(a.input), strategy)
    order = "" if a.format == "csvlog" else "ORDER BY msg_no"
    copy = ("COPY (SELECT %s FROM (%s) %s) TO '%s' "
            "(FORMAT parquet, COMPRESSION zstd)"
            % (FINAL_COLUMNS, select, order, lit(a.output)))
    if a.print_sql:
        print(setup + copy + ";")
        return
    t0 = time.time()
    con = duckdb.connect(":memory:")
    con.execute("SET threads = %d" % a.threads)
    con.execute("SET TimeZone = 'UTC'")
    if setup:
        con.execute(setup)
    con.execute(copy)
    secs = time.time() - t0
    rows = con.execute("SELECT count(*) FROM read_parquet('%s')"
                       % lit(a.output)).fetchone()[0]
    print(json.dumps({"tool": "duckdb", "duckdb_version": duckdb.__version__,
                      "format": a.format, "rows": rows,
                      "threads": a.threads, "stderr_strategy": strategy,
                      "seconds": round(secs, 3)}))


if __name__ == "__main__":
    main()

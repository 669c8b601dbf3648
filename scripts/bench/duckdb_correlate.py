#!/usr/bin/env python3
"""DuckDB baseline for the `agaudit correlate` benchmark.

    duckdb_correlate.py --case DIR --output DIR [--walk joins|recursive]
                        [--depth 3] [--threads N] [--print-sql] [--profile]

Does in plain DuckDB SQL what `agaudit correlate --case DIR --policy
scripts/bench/correlate-policy.hcl` does, reading the same Parquet parts (the
ones CASE/ingest.json lists) of the db_events, spans and tool_hints tables
that `agaudit ingest` wrote, and writes the actions table to
DIR/date=YYYY-MM-DD/*.parquet (zstd).  Prints one JSON line {"rows": N,
"seconds": S, "with_agent": ..., "by_conf": ..., "by_verdict": ...} on stdout;
S is the time spent inside DuckDB.

The steps, as agaudit does them (src/correlate/):
  1. spans: one row per span with a valid 32/16-hex id; tool = tool, else
     tool_name; a row hash (see below) for database and network client spans.
  2. span chains, for every database or client span (a sqlcommenter
     traceparent names the client span that ran the query; agaudit resolves
     the chain of every span): the nearest span, self first, then parents in
     the same trace, that names an agent (agent + session), a tool and an MCP
     server.  --walk joins (default): --depth fixed LEFT self-joins on
     (trace_id, parent_span_id), enough for the benchmark's chains
     (db span -> tools/call -> execute_tool -> invoke_agent = 3); --walk
     recursive: a WITH RECURSIVE ... USING KEY walk of up to 64 spans, the
     general form agaudit implements.
  3. db_events LEFT JOIN chains on (trace_id, span_id); the identity rules:
     application_name and trace agree -> attributed; they disagree ->
     approximate, the trace wins; trace only -> attributed; application_name
     only -> approximate on a shared role (principal svc_shared), attributed
     otherwise; a traceparent whose chain names nobody -> unattributed;
     neither -> the database spans whose [start - 1 s, end + 1 s] contains
     the row's ts and whose db.namespace is the row's database (range join):
     exactly one that names an agent -> approximate, else unattributed.
  4. resource SERVER/DATABASE[/OBJECT]; an unqualified table (permission
     errors) takes the db span's db.collection.name when that ends in
     ".TABLE", else the only schema.TABLE seen on that server and database.
  5. the fold of the same statement logged in several formats: a 64-bit
     hash() of (server, session_id, backend_pid, statement_id,
     substatement_id, ts in ms, class, command, object_name, outcome,
     sqlstate) (agaudit: 128 bits of blake3), GROUP BY it HAVING count(*) > 1,
     keep each group's first row by source file and line, the others become
     its corroboration (a no-op on the benchmark data: one log format).
  6. accesses seen only in telemetry: database spans that no db_events row
     reached (anti-join) and outgoing network client spans.
  7. the policy verdict as a CASE expression (the rules of
     scripts/bench/correlate-policy.hcl, hand-translated below, most specific
     rule first), outcome, verdict, claimed_read_only from tool_hints.
  8. COPY ... ORDER BY ts, evidence file, line, table, PARTITION_BY date.
Intermediate results are TEMP tables (in memory; DuckDB spills to
OUTPUT.duckdb-tmp/ past its memory_limit), each dropped once used.

Not the same as agaudit: row hashes and action ids are md5 (DuckDB has no
blake3) of the row cast to text, where agaudit hashes a canonical
length-prefixed encoding with blake3; no hash-chained ledger is written or
verified.  The `reason` texts follow agaudit's wording but are not compared
by check_correlate.py.
"""

import argparse
import json
import os
import resource
import shutil
import sys
import time

import duckdb

# ---------------------------------------------------------------------------
# scripts/bench/correlate-policy.hcl as SQL.  agent -> (on_violation, rules,
# most specific first for the resources that occur); a rule is (pattern,
# access, deny classes).  Patterns without wildcards cover themselves and
# everything below them; `*` matches within one path segment.
# ---------------------------------------------------------------------------
POLICY = {
    "support-copilot": ("alert", [
        ("prod-postgres/app/public.customers", "read", []),
        ("prod-postgres/crm", "readwrite", ["ddl"]),
    ]),
    "billing-agent": ("block_and_alert", [
        ("prod-postgres/billing/billing.refunds", "read", []),
        ("prod-postgres/billing", "readwrite", ["ddl", "role"]),
        ("prod-postgres/app", "read", []),
        ("tcp://api.stripe.com:443", "readwrite", []),
    ]),
    "sql-agent": ("block_and_alert", [
        ("prod-postgres/app/public.api_keys", "none", []),
        ("prod-postgres/app", "readwrite", ["ddl"]),
        ("prod-postgres/warehouse", "read", []),
        ("prod-postgres/billing", "read", []),
    ]),
    "reporting-assistant": ("log", [
        ("prod-postgres/app/public.*", "read", []),
        ("prod-postgres/warehouse", "read", []),
    ]),
    "ops-agent": ("alert", [
        ("prod-postgres/hr", "read", []),
        ("prod-postgres/*", "readwrite", ["role"]),
    ]),
}
SHARED_PRINCIPALS = ["svc_shared"]
ENDPOINTS = {"10.0.3.17:5432": "prod-postgres"}
SLACK_NS = 1_000_000_000
MAX_DEPTH = 64


def q(s):
    return "'" + s.replace("'", "''") + "'"


def covers(pattern):
    """SQL predicate: the rule's pattern matches `resource` or an ancestor."""
    if "*" not in pattern and "?" not in pattern:
        return "(resource = %s OR starts_with(resource, %s))" % (
            q(pattern), q(pattern + "/"))
    rx = ""
    for ch in pattern:
        rx += {"*": "[^/]*", "?": "[^/]"}.get(ch, "\\" + ch if ch in ".+()[]{}^$|\\" else ch)
    return "regexp_matches(resource, %s)" % q("^" + rx + "(/|$)")


def allows(access):
    return {"none": "false", "read": "cls = 'read'", "write": "cls <> 'read'",
            "readwrite": "true"}[access]


def violation(access, deny):
    short = {"none": "no_access_violation", "read": "read_only_violation",
             "write": "write_only_violation",
             "readwrite": "write_only_violation"}[access]
    denied = " ".join("WHEN cls = %s THEN 'deny_%s_violation'" % (q(c), c)
                      for c in deny)
    return ("CASE WHEN NOT (%s) THEN '%s' %s ELSE NULL END"
            % (allows(access), short, denied))


def judge_sql():
    """CASE over agent, then resource -> {rule, violation, on_violation}."""
    arms = []
    for agent, (onv, rules) in POLICY.items():
        inner = []
        for pat, access, deny in rules:
            inner.append("WHEN %s THEN {'rule': %s, 'violation': %s, "
                         "'on_violation': %s}" % (
                             covers(pat), q("agent %s / resource %s" % (agent, pat)),
                             violation(access, deny), q(onv)))
        inner.append("ELSE {'rule': %s, 'violation': 'unlisted_resource', "
                     "'on_violation': %s}" % (q("agent " + agent), q(onv)))
        arms.append("WHEN agent = %s THEN CASE %s END" % (q(agent), " ".join(inner)))
    # no default block: an unknown agent violates, nobody is not judged
    return ("CASE %s WHEN agent IS NOT NULL THEN {'rule': NULL::VARCHAR, "
            "'violation': 'unknown_agent', 'on_violation': NULL::VARCHAR} "
            "ELSE {'rule': NULL::VARCHAR, 'violation': NULL::VARCHAR, "
            "'on_violation': NULL::VARCHAR} END" % " ".join(arms))


def class_of_pgaudit(col):
    return ("CASE %s WHEN 'READ' THEN 'read' WHEN 'MISC_SET' THEN 'read' "
            "WHEN 'DDL' THEN 'ddl' WHEN 'ROLE' THEN 'role' WHEN 'FUNCTION' "
            "THEN 'function' ELSE 'write' END" % col)


def chains_sql(walk, depth):
    base = "db_system IS NOT NULL OR kind = 'client'"
    if walk == "joins":
        lv = range(depth + 1)
        joins = "\n".join(
            "  LEFT JOIN spans s%d ON s%d.trace_id = s%d.trace_id "
            "AND s%d.span_id = s%d.parent_span_id" % (i, i, i - 1, i, i - 1)
            for i in range(1, depth + 1))

        def first(col):
            return "coalesce(%s)" % ", ".join("s%d.%s" % (i, col) for i in lv)

        def at_agent(expr):
            return "CASE %s END" % " ".join(
                "WHEN s%d.agent IS NOT NULL THEN %s" % (i, expr % {"s": "s%d" % i})
                for i in lv)
        return """
CREATE TEMP TABLE chains AS
SELECT s0.trace_id, s0.span_id, s0.name, s0.kind, s0.status, s0.mcp_method,
       s0.db_system, s0.db_namespace, s0.db_collection, s0.server_address,
       s0.server_port, s0.st, s0.et, s0.source_file, s0.source_line,
       s0.source_blake3, s0.row_hash,
       {agent} AS c_agent, {session} AS c_session, {agent_ref} AS c_agent_ref,
       {tool} AS c_tool, {server} AS c_mcp_server
FROM spans s0
{joins}
WHERE {base_s0}""".format(
            agent=first("agent"), session=at_agent("%(s)s.session"),
            agent_ref=at_agent("'spans:' || %(s)s.source_file || ':' || %(s)s.source_line"),
            tool=first("tool"), server=first("mcp_server"), joins=joins,
            base_s0="s0.db_system IS NOT NULL OR s0.kind = 'client'")
    return """
CREATE TEMP TABLE chains AS
WITH RECURSIVE walk(trace_id, span_id, parent, depth, c_agent, c_session,
                    c_agent_ref, c_tool, c_mcp_server) USING KEY (trace_id, span_id) AS (
  SELECT trace_id, span_id, parent_span_id, 0, agent,
         CASE WHEN agent IS NOT NULL THEN session END,
         CASE WHEN agent IS NOT NULL THEN 'spans:' || source_file || ':' || source_line END,
         tool, mcp_server
  FROM spans WHERE {base}
  UNION
  SELECT w.trace_id, w.span_id, p.parent_span_id, w.depth + 1,
         coalesce(w.c_agent, p.agent),
         CASE WHEN w.c_agent IS NOT NULL THEN w.c_session
              WHEN p.agent IS NOT NULL THEN p.session END,
         CASE WHEN w.c_agent IS NOT NULL THEN w.c_agent_ref
              WHEN p.agent IS NOT NULL THEN 'spans:' || p.source_file || ':' || p.source_line END,
         coalesce(w.c_tool, p.tool), coalesce(w.c_mcp_server, p.mcp_server)
  FROM walk w JOIN spans p ON p.trace_id = w.trace_id AND p.span_id = w.parent
  WHERE w.depth < {maxd}
    AND (w.c_agent IS NULL OR w.c_tool IS NULL OR w.c_mcp_server IS NULL)
)
SELECT s.trace_id, s.span_id, s.name, s.kind, s.status, s.mcp_method,
       s.db_system, s.db_namespace, s.db_collection, s.server_address,
       s.server_port, s.st, s.et, s.source_file, s.source_line,
       s.source_blake3, s.row_hash,
       w.c_agent, w.c_session, w.c_agent_ref, w.c_tool, w.c_mcp_server
FROM walk w JOIN spans s USING (trace_id, span_id)""".format(
        base=base, maxd=MAX_DEPTH - 1)


def statements(parts, out, walk, depth):
    def files(table):
        return "[%s]" % ", ".join(q(p) for p in parts.get(table, []))
    shared = ", ".join(q(p) for p in SHARED_PRINCIPALS)
    endpoint = "CASE %s END" % " ".join(
        "WHEN address = %s THEN %s" % (q(a), q(r)) for a, r in ENDPOINTS.items())
    s = []
    # 1. spans
    s.append("""
CREATE TEMP TABLE spans AS
SELECT trace_id, span_id, parent_span_id, name, kind, status, agent, session,
       coalesce(tool, tool_name) AS tool, server AS mcp_server, mcp_method,
       db_system, db_namespace, db_collection, server_address, server_port,
       epoch_ns(start_time) AS st, epoch_ns(end_time) AS et,
       source_file, source_line, source_blake3,
       CASE WHEN db_system IS NOT NULL
                 OR (kind = 'client' AND mcp_method IS NULL
                     AND server_address IS NOT NULL AND server_port IS NOT NULL)
            THEN md5(CAST(r AS VARCHAR)) END AS row_hash
FROM read_parquet({files}, hive_partitioning = false) r
WHERE length(trace_id) = 32 AND length(span_id) = 16""".format(files=files("spans")))
    # 2. chains
    s.append(chains_sql(walk, depth))
    # 3. db_events -> identity
    s.append("DROP TABLE spans")
    s.append("""
CREATE TEMP TABLE acc0 AS
SELECT e.ts, epoch_us(e.ts) * 1000 AS ts_ns, e.source_file, e.source_line,
       e.source_blake3, e.server, e.db_user, e.database, e.agent AS app_agent,
       e.session AS app_session, e.backend_pid, e.session_id, e.statement_id,
       e.substatement_id, e.class, e.command, e.object_type, e.object_name,
       e.outcome, e.sqlstate, e.trace_id AS e_trace, e.span_id AS e_span,
       md5(CAST(e AS VARCHAR)) AS row_hash,
       (e.trace_id IS NOT NULL AND e.span_id IS NOT NULL) AS traced,
       c.span_id IS NOT NULL AS found,
       c.trace_id AS c_trace, c.span_id AS c_span, c.db_collection AS c_coll,
       'spans:' || c.source_file || ':' || c.source_line AS c_ref,
       c.c_agent, c.c_session, c.c_agent_ref, c.c_tool, c.c_mcp_server,
       e.db_user IN ({shared}) AS shared
FROM read_parquet({files}, hive_partitioning = false) e
LEFT JOIN chains c ON c.trace_id = e.trace_id AND c.span_id = e.span_id""".format(
        shared=shared, files=files("db_events")))
    # the time-overlap fallback: rows with neither application_name nor trace context
    s.append("""
CREATE TEMP TABLE ov AS
SELECT u.rid, count(*) AS n,
       any_value({{'trace': c.trace_id, 'span': c.span_id, 'agent': c.c_agent,
                  'session': c.c_session, 'tool': c.c_tool,
                  'mcp_server': c.c_mcp_server,
                  'ref': 'spans:' || c.source_file || ':' || c.source_line}}) AS one
FROM (SELECT rowid AS rid, ts_ns, database FROM acc0
      WHERE app_agent IS NULL AND NOT traced AND ts_ns IS NOT NULL) u
JOIN (SELECT * FROM chains WHERE db_system IS NOT NULL AND st IS NOT NULL) c
  ON c.st <= u.ts_ns + {slack} AND coalesce(c.et, c.st) + {slack} >= u.ts_ns
 AND (c.db_namespace IS NULL OR u.database IS NULL OR c.db_namespace = u.database)
GROUP BY u.rid""".format(slack=SLACK_NS))
    s.append("""
CREATE TEMP TABLE acc AS
WITH x AS (
  SELECT a.*, ov.n AS ov_n,
         (ov.n = 1 AND ov.one.agent IS NOT NULL) AS by_time, ov.one AS ov_one
  FROM (SELECT rowid AS rid, * FROM acc0) a LEFT JOIN ov USING (rid)
), y AS (
  SELECT *,
    CASE
      WHEN app_agent IS NOT NULL AND c_agent IS NOT NULL
           AND app_agent = c_agent AND app_session IS NOT DISTINCT FROM c_session
        THEN 'attributed'
      WHEN app_agent IS NOT NULL AND c_agent IS NOT NULL THEN 'approximate'
      WHEN c_agent IS NOT NULL THEN 'attributed'
      WHEN app_agent IS NOT NULL AND shared THEN 'approximate'
      WHEN app_agent IS NOT NULL THEN 'attributed'
      WHEN traced THEN 'unattributed'
      WHEN by_time THEN 'approximate'
      ELSE 'unattributed' END AS conf,
    CASE
      WHEN app_agent IS NOT NULL AND c_agent IS NOT NULL
           AND app_agent = c_agent AND app_session IS NOT DISTINCT FROM c_session
        THEN 'application_name and sqlcommenter traceparent -> span ' || e_span || ' -> its span chain names the agent agree; outcome from the pgAudit row'
      WHEN app_agent IS NOT NULL AND c_agent IS NOT NULL
        THEN 'conflict: application_name says ' || app_agent || coalesce('@' || app_session, '') || ' but sqlcommenter traceparent -> span ' || e_span || ' -> its span chain names the agent ' || c_agent || coalesce('@' || c_session, '') || '; the trace is kept'
      WHEN c_agent IS NOT NULL
        THEN 'sqlcommenter traceparent -> span ' || e_span || ' -> its span chain names the agent; outcome from the pgAudit row'
      WHEN app_agent IS NOT NULL AND shared
        THEN 'only application_name, which any client of the shared role ' || db_user || ' can set; no trace context corroborates it'
      WHEN app_agent IS NOT NULL
        THEN 'application_name AGENT@SESSION on the session; outcome from the pgAudit row'
      WHEN traced AND found
        THEN 'traceparent names span ' || e_span || ' of trace ' || e_trace || ', but no span of that trace names an agent'
      WHEN traced
        THEN 'traceparent names span ' || e_span || ' of trace ' || e_trace || ', which is not among the case''s spans (ingest that trace)'
      WHEN by_time
        THEN 'inferred: no application_name and no trace context; the only database span overlapping it in time is ' || ov_one.span
      WHEN ov_n > 1
        THEN 'no application_name and no trace context; ' || ov_n || ' database spans overlap it in time, so none can be chosen'
      WHEN shared
        THEN 'shared role ' || coalesce(db_user, '?') || ' with no application_name and no trace context'
      ELSE 'no application_name and no trace context' END AS reason0
  FROM x
)
SELECT rid, ts, ts_ns, source_file, source_line, source_blake3, row_hash,
       server, db_user, database, backend_pid, session_id, statement_id,
       substatement_id, class, command, object_type, object_name, outcome,
       sqlstate, conf, reason0,
       CASE WHEN c_agent IS NOT NULL THEN c_agent WHEN app_agent IS NOT NULL THEN app_agent
            WHEN by_time THEN ov_one.agent END AS agent,
       CASE WHEN c_agent IS NOT NULL THEN c_session WHEN app_agent IS NOT NULL THEN app_session
            WHEN by_time THEN ov_one.session END AS session,
       CASE WHEN found THEN c_tool WHEN by_time THEN ov_one.tool END AS tool,
       CASE WHEN found THEN c_mcp_server WHEN by_time THEN ov_one.mcp_server END AS mcp_server,
       CASE WHEN found THEN c_trace WHEN by_time THEN ov_one.trace END AS trace_id,
       CASE WHEN found THEN c_span WHEN by_time THEN ov_one.span END AS span_id,
       CASE WHEN found THEN concat_ws(' ', c_ref, c_agent_ref)
            WHEN by_time THEN ov_one.ref END AS corroboration,
       coalesce(server, 'unknown-server') AS srv,
       CASE WHEN object_name IS NULL OR database IS NULL THEN NULL
            WHEN contains(object_name, '.') OR object_type = 'SCHEMA' THEN object_name
            WHEN found AND suffix(c_coll, '.' || object_name) THEN c_coll
            ELSE object_name END AS obj_q
FROM y""")
    s.append("DROP TABLE acc0")
    s.append("DROP TABLE ov")
    # 4-5. resource, qualify_tables, fold
    dba = """
r AS (
  SELECT *,
         CASE WHEN database IS NULL THEN srv
              ELSE srv || '/' || database || coalesce('/' || obj_q, '') END AS resource0
  FROM acc
), keyed AS (
  SELECT *, hash(server, session_id, backend_pid, statement_id, substatement_id,
                 ts_ns // 1000000, class, command, object_name, outcome, sqlstate) AS fk
  FROM r
), dups AS (
  -- the same statement logged in several formats: keep the first row (by
  -- source file and line), the others corroborate it
  SELECT fk, min({'f': source_file, 'l': source_line}) AS keep,
         list('db_events:' || source_file || ':' || source_line
              ORDER BY source_file, source_line) AS refs
  FROM keyed GROUP BY fk HAVING count(*) > 1
), folded AS (
  SELECT k.* REPLACE (CASE WHEN d.fk IS NULL THEN k.corroboration
                           ELSE concat_ws(' ', k.corroboration, array_to_string(d.refs[2:], ' '))
                      END AS corroboration)
  FROM keyed k LEFT JOIN dups d USING (fk)
  WHERE d.fk IS NULL OR (k.source_file = d.keep.f AND k.source_line = d.keep.l)
), split AS (
  SELECT *, regexp_extract(resource0, '[^/]*$') AS obj_part,
         CASE WHEN contains(resource0, '/')
              THEN left(resource0, length(resource0) - length(regexp_extract(resource0, '[^/]*$')) - 1) END AS db_part
  FROM folded
), known AS (
  SELECT db_part, substr(obj_part, strpos(obj_part, '.') + 1) AS tbl,
         count(DISTINCT obj_part) AS n, any_value(obj_part) AS qualified
  FROM split WHERE db_part IS NOT NULL AND contains(obj_part, '.')
  GROUP BY ALL
), dba AS (
SELECT s.*,
       CASE WHEN k.n = 1 THEN s.db_part || '/' || k.qualified ELSE s.resource0 END AS resource,
       CASE WHEN k.n = 1 THEN s.reason0 || '; the source names table ' || s.obj_part
              || ' without a schema: ' || k.qualified || ' is inferred (the only '
              || s.obj_part || ' seen in ' || s.db_part || ')'
            ELSE s.reason0 END AS reason
FROM split s
LEFT JOIN known k
  ON k.db_part = s.db_part AND k.tbl = s.obj_part
 AND NOT contains(s.obj_part, '.')
 AND length(s.db_part) - length(replace(s.db_part, '/', '')) = 1
)"""
    # 6. telemetry-only accesses, and the union
    acts = """
traced AS (
  SELECT DISTINCT trace_id, span_id FROM acc WHERE trace_id IS NOT NULL
), sp AS (
  SELECT c.*, c.server_address || ':' || c.server_port AS address,
         c.db_system IS NOT NULL AS is_db
  FROM chains c
  LEFT JOIN traced t ON t.trace_id = c.trace_id AND t.span_id = c.span_id
  WHERE (c.db_system IS NOT NULL AND t.trace_id IS NULL)
     OR (c.db_system IS NULL AND c.kind = 'client' AND c.mcp_method IS NULL
         AND c.server_address IS NOT NULL AND c.server_port IS NOT NULL)
), sp2 AS (
  SELECT *, {endpoint} AS endpoint FROM sp
), acts AS (
SELECT ts_ns, agent, session, db_user AS principal, tool, mcp_server, resource,
       {cls} AS cls, command, coalesce(outcome, 'ok') AS source_outcome, conf,
       reason, trace_id, span_id, 'db_events' AS evidence_table,
       source_file AS evidence_file, source_line AS evidence_line,
       source_blake3 AS evidence_blake3, row_hash AS evidence_row_hash,
       nullif(corroboration, '') AS corroboration
FROM dba
UNION ALL
SELECT st, c_agent, c_session, NULL, c_tool, c_mcp_server,
       CASE WHEN is_db THEN concat_ws('/', coalesce(endpoint, address, 'unknown-server'),
                                      db_namespace, db_collection)
            ELSE coalesce(endpoint, 'tcp://' || coalesce(address, '')) END,
       CASE WHEN is_db THEN 'write' ELSE 'network' END,
       CASE WHEN is_db THEN name ELSE 'connect' END,
       CASE WHEN status = 'error' THEN 'error' ELSE 'ok' END,
       CASE WHEN c_agent IS NOT NULL THEN 'approximate' ELSE 'unattributed' END,
       CASE WHEN is_db THEN 'database span with no pgAudit row for its statement'
            ELSE 'outgoing connection reported by telemetry' END
         || CASE WHEN c_agent IS NOT NULL THEN '; its span chain names the agent'
                 ELSE '; no span of its trace names an agent' END
         || '; outcome from telemetry only (no database or kernel record corroborates it)',
       trace_id, span_id, 'spans', source_file, source_line, source_blake3,
       coalesce(row_hash, ''), c_agent_ref
FROM sp2
)""".format(endpoint=endpoint, cls=class_of_pgaudit("class"))
    # 7. judge
    hints = parts.get("tool_hints")
    if hints:
        claims = """
  LEFT JOIN (SELECT server, tool, arg_max(effective_read_only, coalesce(listing, 0)) AS ro
             FROM read_parquet({files}, hive_partitioning = false)
             WHERE server IS NOT NULL GROUP BY ALL) h
    ON h.server = j.mcp_server AND h.tool = j.tool""".format(files=files("tool_hints"))
        ro = "h.ro"
    else:
        claims, ro = "", "NULL::BOOLEAN"
    final = """
j AS (
  SELECT *, {judge} AS jd FROM acts
)
SELECT substr(md5(j.evidence_table || j.evidence_row_hash), 1, 32) AS action_id,
       make_timestamp_ns(j.ts_ns) AS ts, j.agent, j.session, j.principal, j.tool,
       j.mcp_server, j.resource,
       CASE WHEN j.cls = 'read' THEN 'R' ELSE 'RW' END AS op,
       j.cls AS class, j.command,
       CASE WHEN j.source_outcome = 'refused' THEN 'DENY' ELSE 'allow' END AS outcome,
       j.source_outcome, j.jd.violation AS violation, j.jd.rule AS rule,
       j.jd.on_violation AS on_violation,
       CASE WHEN j.jd.violation IS NULL AND j.jd.rule IS NULL AND j.agent IS NULL THEN 'not_judged'
            WHEN j.jd.violation IS NULL THEN 'ok'
            WHEN j.source_outcome = 'refused' THEN 'violation_refused'
            ELSE 'violation_allowed' END AS verdict,
       j.conf, j.reason, {ro} AS claimed_read_only, j.trace_id, j.span_id,
       j.evidence_table, j.evidence_file, j.evidence_line, j.evidence_blake3,
       j.evidence_row_hash, j.corroboration,
       CAST(make_timestamp(j.ts_ns // 1000) AS DATE) AS date
FROM j{claims}""".format(judge=judge_sql(), ro=ro, claims=claims)
    s.append("CREATE TEMP TABLE final AS WITH " + dba.strip() + ",\n" + acts.strip()
             + ",\n" + final.strip())
    s.append("DROP TABLE acc")
    s.append("DROP TABLE chains")
    # 8. write
    s.append("""
COPY (SELECT * FROM final ORDER BY ts NULLS FIRST, evidence_file, evidence_line, evidence_table)
TO {out} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (date), OVERWRITE_OR_IGNORE)""".format(
        out=q(out)))
    return s


def case_parts(case):
    """Parquet parts per table, as CASE/ingest.json lists them (agaudit reads only those)."""
    manifest = json.load(open(os.path.join(case, "ingest.json")))
    parts = {}
    for f in manifest.get("files", []):
        for p in f.get("parts", []):
            table = p.split("/")[1] if p.startswith("parquet/") else None
            if table:
                full = os.path.abspath(os.path.join(case, p))
                if full not in parts.setdefault(table, []):
                    parts[table].append(full)
    return parts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", required=True, help="case directory written by agaudit ingest")
    ap.add_argument("--output", required=True, help="output directory (date=... partitions)")
    ap.add_argument("--walk", choices=["joins", "recursive"], default="joins",
                    help="span parent walk: fixed-depth self-joins (default) or a recursive CTE")
    ap.add_argument("--depth", type=int, default=3,
                    help="parents joined by --walk joins (the benchmark's chains need 3)")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--print-sql", action="store_true")
    ap.add_argument("--profile", action="store_true",
                    help="print each statement's seconds and DuckDB's memory to stderr")
    a = ap.parse_args()
    parts = case_parts(a.case)
    for t in ("db_events", "spans"):
        if not parts.get(t):
            ap.error("%s lists no %s parts" % (os.path.join(a.case, "ingest.json"), t))
    sql = statements(parts, os.path.abspath(a.output), a.walk, a.depth)
    if a.print_sql:
        print(";\n".join(x.strip() for x in sql) + ";")
        return
    # where DuckDB spills when the tables outgrow memory_limit (not the cwd)
    spill = os.path.abspath(a.output).rstrip("/") + ".duckdb-tmp"
    t0 = time.time()
    con = duckdb.connect(":memory:")
    con.execute("SET threads = %d" % a.threads)
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET temp_directory = %s" % q(spill))
    for stmt in sql:
        t1 = time.time()
        con.execute(stmt)
        if a.profile:
            mb = con.execute("SELECT sum(memory_usage_bytes) / 1e6 FROM duckdb_memory()").fetchone()[0]
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print("%6.2f s  duckdb %6.0f MB  peak RSS %6.0f MB  %s" % (
                time.time() - t1, mb, rss, " ".join(stmt.split())[:60]), file=sys.stderr)
    stats = con.execute("""
        SELECT count(*), count(agent),
               (SELECT sum(num_rows) FROM parquet_file_metadata(%s))
                 - count(*) FILTER (WHERE evidence_table = 'db_events'),
               (SELECT map(list(conf), list(n)) FROM (SELECT conf, count(*) n FROM final GROUP BY 1)),
               (SELECT map(list(verdict), list(n)) FROM (SELECT verdict, count(*) n FROM final GROUP BY 1)),
               (SELECT map(list(violation), list(n)) FROM (SELECT violation, count(*) n FROM final WHERE violation IS NOT NULL GROUP BY 1))
        FROM final""" % ("[%s]" % ", ".join(q(p) for p in parts["db_events"]))).fetchone()
    secs = time.time() - t0
    con.close()
    shutil.rmtree(spill, ignore_errors=True)
    print(json.dumps({"tool": "duckdb", "duckdb_version": duckdb.__version__,
                      "format": "correlate", "walk": a.walk,
                      "depth": a.depth if a.walk == "joins" else MAX_DEPTH,
                      "rows": stats[0], "with_agent": stats[1],
                      "duplicates_folded": stats[2],
                      "by_conf": dict(sorted(stats[3].items())),
                      "by_verdict": dict(sorted(stats[4].items())),
                      "violations": dict(sorted(stats[5].items())),
                      "threads": a.threads, "output": os.path.abspath(a.output),
                      "seconds": round(secs, 3)}))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Generate linked pgAudit csvlog + OTLP traces for the correlation benchmark.

    gen_correlate.py --events N --out-dir DIR [--seed S] [--sessions K]

Writes DIR/postgresql.csv (PostgreSQL 15 csvlog with pgAudit 1.7 SESSION
entries, the same shape as gen_pgaudit.py and fixtures/pgaudit/postgresql.csv)
and DIR/traces.jsonl (OpenTelemetry Collector file-exporter JSON lines, one
ExportTraceServiceRequest per line, like gen_otlp.py and
fixtures/otlp/traces.jsonl) that describe the SAME traffic, so that
`agaudit correlate` has something to join.  It stops after the tool call that
brings db_events rows + spans to N or more (both counted exactly as agaudit
ingest will count them).

Traffic: K agent sessions (default N / 5000, clamped to 10..2000; at most 64
run at once, each until its share of the tool calls is used), six agents.
Every tool call is one trace:

    invoke_agent AGENT          internal, gen_ai.agent.name + session.id
    └ execute_tool TOOL         internal, gen_ai.tool.name, gen_ai.tool.call.id
      └ tools/call TOOL         server, in the MCP server's resource
        │                       (mcp.method.name, gen_ai.tool.name, mcp.session.id)
        ├ 1..5 database spans   client: db.system.name = postgresql,
        │                       db.namespace, db.operation.name,
        │                       db.collection.name, server.address/port,
        │                       db.query.text
        └ (10 % of mcp-crm calls) POST https://api.stripe.com ... client span

Each database span's statement is in the csvlog, in the backend of that agent
session for that database (one backend per session and database; a
connection received/authorized pair when it starts, a disconnection when the
session ends), with the span's sqlcommenter comment
/*traceparent='00-<trace>-<span>-01'*/ and one AUDIT row per relation (joins
and INSERT ... SELECT give 2-3 rows with one statement id; a function call
gives 4: the call, two substatements of the function body, whose own text
has no comment, and the top-level SELECT).  ~60 % of the sessions log in with
their own role and application_name AGENT@SESSION (2 % of those name a stale
session: a conflict with the trace); the others use the shared role
svc_shared and an empty application_name.  ~7 % of statements carry no
comment (the span exists, its db.query.text has no comment either) and ~3 %
have no span at all (pool housekeeping before the tool's queries): the ~10 %
without trace context.  ~2 % of traced statements are refused (ERROR 42501
"permission denied for table X" + the statement; the span has status code
2).  Calls follow each other (exponential gaps, mean 1.5 s: ~16 days of
traffic for 10M events), so the csvlog is in time order and a statement
without trace context overlaps zero, one or several database spans within
+-1 s.  About 43 % of the events are db_events rows, 57 % spans.

Streams in constant memory from pre-rendered templates; deterministic for a
seed.  A one-line JSON summary (db_events rows, spans, calls, sessions, by
kind, bytes, seconds) goes to stderr; its `expected_rows` is db_events + spans.
"""

import argparse
import calendar
import json
import os
import random
import sys
import time

# --------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------

DBS = {
    "app": ["public.customers", "public.orders", "public.order_items",
            "public.products", "public.users", "public.documents",
            "public.api_keys"],
    "billing": ["billing.invoices", "billing.payments",
                "billing.subscriptions", "billing.refunds"],
    "crm": ["crm.accounts", "crm.contacts", "crm.tickets"],
    "hr": ["hr.employees", "hr.salaries"],
    "warehouse": ["analytics.daily_revenue", "analytics.shipments",
                  "analytics.events"],
}
# tool -> (MCP server, [(database, statement kind, weight)])
TOOLS = {
    "query": ("mcp-postgres", [("app", "read", 3), ("app", "join", 3),
                               ("warehouse", "read", 2),
                               ("warehouse", "join", 2), ("billing", "read", 1),
                               ("hr", "read", 1)]),
    "execute_sql": ("mcp-postgres", [("app", "write", 3),
                                     ("billing", "write", 1),
                                     ("warehouse", "insert_select", 2),
                                     ("app", "function", 1),
                                     ("hr", "write", 1), ("app", "ddl", 1)]),
    "describe_table": ("mcp-postgres", [("app", "read", 1),
                                        ("warehouse", "read", 1)]),
    "get_customer": ("mcp-crm", [("crm", "read", 2), ("crm", "join", 2),
                                 ("app", "read", 1)]),
    "find_contacts": ("mcp-crm", [("crm", "read", 1), ("crm", "join", 2)]),
    "update_ticket": ("mcp-crm", [("crm", "write", 3), ("crm", "read", 1)]),
    "refund_invoice": ("mcp-crm", [("billing", "join", 1),
                                   ("billing", "write", 1),
                                   ("billing", "function", 2),
                                   ("billing", "insert_select", 1)]),
}
AGENT_TOOLS = {
    "support-copilot": ["get_customer", "find_contacts", "update_ticket"],
    "billing-agent": ["refund_invoice", "query"],
    "sql-agent": ["query", "execute_sql", "describe_table"],
    "reporting-assistant": ["query", "describe_table"],
    "ops-agent": ["execute_sql", "query"],
    "crm-sync-agent": ["update_ticket", "find_contacts"],  # not in the policy
}
AGENT_ROLE = {
    "support-copilot": "support_agent", "billing-agent": "billing_rw",
    "sql-agent": "agent_rw", "reporting-assistant": "reporting_ro",
    "ops-agent": "ops_admin", "crm-sync-agent": "crm_sync",
}
SHARED_ROLE = "svc_shared"
DB_HOST, DB_PORT = "10.0.3.17", 5432
CLIENT_HOSTS = {"mcp-postgres": "10.0.5.21", "mcp-crm": "10.0.5.34"}
MCP_LANG = {"mcp-postgres": ("python", "opentelemetry.instrumentation.mcp",
                             "0.4.1", "opentelemetry.instrumentation.psycopg",
                             "0.55b1"),
            "mcp-crm": ("nodejs", "@modelcontextprotocol/sdk", "1.15.0",
                        "@opentelemetry/instrumentation-pg", "0.54.0")}

# markers inside templates, turned into %-format fields
M_N = "\ue000"   # a literal number           %(n)d
M_T = "\ue001"   # trace id                   %(t)s
M_S = "\ue002"   # span id of the db span     %(s)s
M_I = "\ue003"   # pgAudit statement id       %(i)d
MARKS = {M_N: "%(n)d", M_T: "%(t)s", M_S: "%(s)s", M_I: "%(i)d"}


def to_fmt(s):
    s = s.replace("%", "%%")
    for m, f in MARKS.items():
        s = s.replace(m, f)
    return s


def csv_field(s):
    """pgAudit's append_valid_csv(): quote only if needed."""
    if any(c in s for c in ',"\n\r'):
        return '"' + s.replace('"', '""') + '"'
    return s


def short(t):
    return t.split(".", 1)[1]


def js(s):
    return json.dumps(s, ensure_ascii=False)


def attr(k, v):
    if isinstance(v, int):
        return '{"key":%s,"value":{"intValue":"%d"}}' % (js(k), v)
    return '{"key":%s,"value":{"stringValue":%s}}' % (js(k), js(v))


# --------------------------------------------------------------------------
# Statement templates
# --------------------------------------------------------------------------

class Stmt:
    """One database statement: what pgAudit logs and what its span says."""
    __slots__ = ("db", "cmdtag", "op", "coll", "audit", "audit_plain",
                 "refused", "refused_plain", "span", "span_plain",
                 "span_refused", "nrec")


FUNCS = {"billing": ("billing.apply_refund", "billing.refunds"),
         "app": ("public.refresh_customer_stats", "public.orders")}


def make_statements(rng, db, kind):
    tables = DBS[db]
    out = []
    for _ in range(12):
        t = rng.choice(tables)
        cols = rng.choice(["id, name, updated_at", "id, status, total",
                           "id, owner_id, created_at", "*"])
        # records: (substatement, class, command, object type, object, inner
        # statement or None for the top-level one)
        if kind == "read":
            if rng.random() < 0.6:
                sql = "SELECT %s FROM %s WHERE id = %s" % (cols, t, M_N)
            else:
                sql = ("SELECT count(*) FROM %s WHERE created_at > now() - "
                       "interval '7 days' AND owner_id = %s" % (t, M_N))
            recs = [(1, "READ", "SELECT", "TABLE", t, None)]
            cmdtag = op = "SELECT"
            coll = t
        elif kind == "join":
            ts = rng.sample(tables, min(len(tables), rng.choice([2, 2, 3])))
            al = ["t%d" % i for i in range(len(ts))]
            frm = " JOIN ".join(
                "%s %s%s" % (x, a, "" if i == 0 else " ON %s.ref_id = t0.id" % a)
                for i, (x, a) in enumerate(zip(ts, al)))
            sql = ("SELECT t0.id, t1.id, t0.status FROM %s WHERE t0.id = %s "
                   "ORDER BY t0.id LIMIT 50" % (frm, M_N))
            recs = [(1, "READ", "SELECT", "TABLE", x, None) for x in ts]
            cmdtag = op = "SELECT"
            coll = ts[0]
        elif kind == "write":
            x = rng.random()
            if x < 0.4:
                sql = ("UPDATE %s SET status = 'done', note = 'agent, auto', "
                       "updated_at = now() WHERE id = %s" % (t, M_N))
                cmdtag = "UPDATE"
            elif x < 0.8:
                sql = ("INSERT INTO %s (owner_id, status, note) VALUES "
                       "(%s, 'new', 'Zoë said \"ok\"')" % (t, M_N))
                cmdtag = "INSERT"
            else:
                sql = "DELETE FROM %s WHERE id = %s" % (t, M_N)
                cmdtag = "DELETE"
            recs = [(1, "WRITE", cmdtag, "TABLE", t, None)]
            op = cmdtag
            coll = t
        elif kind == "insert_select":
            dst, src = rng.sample(tables, 2)
            sql = ("INSERT INTO %s (id, kind, payload) SELECT id, kind, payload "
                   "FROM %s WHERE id > %s" % (dst, src, M_N))
            recs = [(1, "READ", "SELECT", "TABLE", src, None),
                    (1, "WRITE", "INSERT", "TABLE", dst, None)]
            cmdtag = op = "INSERT"
            coll = dst
        elif kind == "function":
            fn, t = FUNCS[db]
            sql = "SELECT %s(%s, 0.15)" % (fn, M_N)
            # pgAudit: the call, the function body's statements as
            # substatements (their own text, so no sqlcommenter comment),
            # then the top-level SELECT with no relation
            recs = [(1, "FUNCTION", "EXECUTE", "FUNCTION", fn, None),
                    (2, "READ", "SELECT", "TABLE", t,
                     "select id, amount from %s where id = $1" % short(t)),
                    (3, "WRITE", "UPDATE", "TABLE", t,
                     "update %s set amount = $2 where id = $1" % short(t)),
                    (4, "READ", "SELECT", "", "", None)]
            cmdtag = op = "SELECT"
            coll = fn
        else:  # ddl
            sql = ("ALTER TABLE %s ADD COLUMN IF NOT EXISTS note_%d text"
                   % (t, rng.randint(1, 9)))
            recs = [(1, "DDL", "ALTER TABLE", "TABLE", t, None)]
            cmdtag, op = "ALTER TABLE", "ALTER"
            coll = t
        s = Stmt()
        s.db, s.cmdtag, s.op, s.coll, s.nrec = db, cmdtag, op, coll, len(recs)
        traced = "%s /*traceparent='00-%s-%s-01'*/" % (sql, M_T, M_S)

        def audit(text):
            # message field of the csvlog line (quoted, quotes doubled)
            return [to_fmt('"' + ("AUDIT: SESSION,%s,%d,%s,%s,%s,%s,%s,"
                                  "<not logged>" % (M_I, sub, c, cmd, ot, o,
                                                    csv_field(inner or text))
                                  ).replace('"', '""') + '"')
                    for sub, c, cmd, ot, o, inner in recs]
        s.audit, s.audit_plain = audit(traced), audit(sql)
        s.refused = s.refused_plain = None
        if kind != "function":
            tbl = short([r for r in recs if r[1] != "READ" or len(recs) == 1
                         or kind == "join"][-1][4])
            msg = '"permission denied for table %s"' % tbl

            def refused(text):
                return (msg, to_fmt('"' + text.replace('"', '""') + '"'))
            s.refused, s.refused_plain = refused(traced), refused(sql)
        else:
            tbl = None

        def span(text, error):
            attrs = ",".join([
                attr("db.system.name", "postgresql"), attr("db.namespace", db),
                attr("db.operation.name", op),
                attr("db.collection.name", coll),
                attr("server.address", DB_HOST), attr("server.port", DB_PORT),
                attr("db.query.text", text)])
            status = "{}"
            if error:
                status = '{"code":2,"message":%s}' % js(
                    "permission denied for table %s" % tbl)
            return to_fmt(
                '{"traceId":"%s","spanId":"%s","parentSpanId":"\ue004",'
                '"name":%s,"kind":3,"startTimeUnixNano":"\ue005",'
                '"endTimeUnixNano":"\ue006","attributes":[%s],"status":%s}'
                % (M_T, M_S, js("%s %s" % (op, coll)), attrs, status)
            ).replace("\ue004", "%(p)s").replace("\ue005", "%(a)d").replace(
                "\ue006", "%(b)d")
        s.span = span(traced, False)
        s.span_plain = span(sql, False)
        s.span_refused = span(traced, True) if tbl else None
        out.append(s)
    return out


def build(rng):
    stmts = {}
    for tool, (_, choices) in TOOLS.items():
        for db, kind, _w in choices:
            if (db, kind) not in stmts:
                stmts[(db, kind)] = make_statements(rng, db, kind)
    tool_pick = {}
    for tool, (_, choices) in TOOLS.items():
        bag = []
        for db, kind, w in choices:
            bag += [stmts[(db, kind)]] * w
        tool_pick[tool] = bag
    house = {}
    for db, tables in DBS.items():
        t = tables[0]
        sql = "SELECT count(*) FROM %s WHERE id > %s" % (t, M_N)
        house[db] = ("SELECT", [to_fmt(
            '"' + ("AUDIT: SESSION,%s,1,READ,SELECT,TABLE,%s,%s,<not logged>"
                   % (M_I, t, csv_field(sql))).replace('"', '""') + '"')])
    return tool_pick, house


# --------------------------------------------------------------------------
# Generator
# --------------------------------------------------------------------------

class Backend:
    __slots__ = ("pid", "pre", "post", "line", "stmt", "bid", "lxid",
                 "start", "sid", "conn", "user", "db", "app")


class Session:
    __slots__ = ("agent", "sid", "app", "user", "backends", "calls_left",
                 "mcp_sid", "rpc")


def generate(n_events, out_dir, seed, n_sessions):
    rng = random.Random(seed)
    rnd = rng.random
    bits = rng.getrandbits
    tool_pick, house = build(rng)
    agents = list(AGENT_TOOLS)

    # resources: one per agent, one per MCP server
    def resource(name, lang, version):
        a = ",".join([
            attr("service.name", name), attr("service.namespace", "shop"),
            attr("service.version", version),
            attr("deployment.environment.name", "production"),
            attr("host.name", "%s-%x" % (name, bits(32))),
            attr("process.pid", rng.randint(7, 65000)),
            attr("telemetry.sdk.name", "opentelemetry"),
            attr("telemetry.sdk.language", lang),
            attr("telemetry.sdk.version",
                 "1.34.1" if lang == "python" else "2.0.1")])
        return '{"resource":{"attributes":[%s]},"scopeSpans":[' % a
    res_agent = {a: resource(a, "python", "2.3.0") for a in agents}
    res_mcp = {m: resource(m, l[0], "0.9.2") for m, l in MCP_LANG.items()}
    scope_agent = '{"scope":{"name":"openai-agents","version":"0.2.4"},"spans":['
    scope_mcp = {m: ('{"scope":{"name":%s,"version":%s},"spans":[' % (js(l[1]), js(l[2])),
                     '{"scope":{"name":%s,"version":%s},"spans":[' % (js(l[3]), js(l[4])))
                 for m, l in MCP_LANG.items()}
    tail = ('],"schemaUrl":"https://opentelemetry.io/schemas/1.34.0"}')

    invoke_tpl = {a: to_fmt(
        '{"traceId":"%s","spanId":"\ue010","name":%s,"kind":1,'
        '"startTimeUnixNano":"\ue011","endTimeUnixNano":"\ue012",'
        '"attributes":[%s,%s,\ue013],"status":{}}' % (
            M_T, js("invoke_agent " + a), attr("gen_ai.operation.name", "invoke_agent"),
            attr("gen_ai.agent.name", a))).replace("\ue010", "%(r)s").replace(
                "\ue011", "%(a)d").replace("\ue012", "%(b)d").replace(
                    "\ue013", '{"key":"session.id","value":{"stringValue":"%(v)s"}}')
        for a in agents}
    tool_tpl = {}
    mcp_tpl = {}
    for tool, (server, _) in TOOLS.items():
        tool_tpl[tool] = to_fmt(
            '{"traceId":"%s","spanId":"\ue010","parentSpanId":"\ue014",'
            '"name":%s,"kind":1,"startTimeUnixNano":"\ue011",'
            '"endTimeUnixNano":"\ue012","attributes":[%s,%s,\ue013],"status":{}}' % (
                M_T, js("execute_tool " + tool),
                attr("gen_ai.operation.name", "execute_tool"),
                attr("gen_ai.tool.name", tool))).replace(
            "\ue010", "%(x)s").replace("\ue014", "%(r)s").replace(
            "\ue011", "%(a)d").replace("\ue012", "%(b)d").replace(
            "\ue013", '{"key":"gen_ai.tool.call.id","value":{"stringValue":"call_%(c)s"}}')
        mcp_tpl[tool] = to_fmt(
            '{"traceId":"%s","spanId":"\ue010","parentSpanId":"\ue014",'
            '"name":%s,"kind":2,"startTimeUnixNano":"\ue011",'
            '"endTimeUnixNano":"\ue012","attributes":[%s,%s,%s,\ue013],"status":{}}' % (
                M_T, js("tools/call " + tool), attr("mcp.method.name", "tools/call"),
                attr("gen_ai.tool.name", tool),
                attr("network.transport", "tcp"))).replace(
            "\ue010", "%(m)s").replace("\ue014", "%(x)s").replace(
            "\ue011", "%(a)d").replace("\ue012", "%(b)d").replace(
            "\ue013", '{"key":"mcp.session.id","value":{"stringValue":"%(q)s"}},'
                      '{"key":"jsonrpc.request.id","value":{"intValue":"%(k)d"}}')
    http_tpl = (
        '{"traceId":"%(t)s","spanId":"%(s)s","parentSpanId":"%(p)s",'
        '"name":"POST","kind":3,"startTimeUnixNano":"%(a)d",'
        '"endTimeUnixNano":"%(b)d","attributes":[' + ",".join([
            attr("http.request.method", "POST"),
            attr("server.address", "api.stripe.com"), attr("server.port", 443),
            attr("url.full", "https://api.stripe.com/v1/refunds"),
            attr("http.response.status_code", 200)]).replace("%", "%%") +
        '],"status":{}}')

    t0 = calendar.timegm((2026, 11, 24, 0, 0, 0))
    clock = [t0 * 10**9]      # ns
    sec_cache = [None, ""]

    def csv_ts(ns):
        ms = ns // 10**6
        s = ms // 1000
        if s != sec_cache[0]:
            sec_cache[0] = s
            sec_cache[1] = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(s))
        return "%s.%03d UTC" % (sec_cache[1], ms % 1000)

    pid_box = [20000 + rng.randint(0, 999)]
    bid_box = [3]
    xid_box = [731000]
    counts = {"db_events": 0, "spans": 0, "calls": 0, "sessions": 0,
              "statements": 0, "traced": 0, "no_comment": 0, "no_span": 0,
              "refused": 0, "http": 0, "app_sessions": 0, "conflict_sessions": 0,
              "csv_lines": 0, "json_lines": 0}

    def new_session():
        s = Session()
        s.agent = rng.choice(agents)
        s.sid = "s%08x" % bits(32)
        if rnd() < 0.6:
            sess = s.sid
            if rnd() < 0.02:
                sess = "s%08x" % bits(32)    # a stale name: conflicts with the trace
                counts["conflict_sessions"] += 1
            s.app = "%s@%s" % (s.agent, sess)
            s.user = AGENT_ROLE[s.agent]
            counts["app_sessions"] += 1
        else:
            s.app = ""
            s.user = SHARED_ROLE
        s.backends = {}
        s.calls_left = 0
        s.mcp_sid = "%032x" % bits(128)
        s.rpc = 0
        counts["sessions"] += 1
        return s

    csv_buf = []

    def backend(s, db, server, ns):
        b = s.backends.get(db)
        if b is not None:
            return b
        b = Backend()
        pid_box[0] += rng.randint(1, 37)
        b.pid = pid_box[0]
        start = ns // 10**9
        b.start = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(start))
        b.sid = "%x.%x" % (start, b.pid)
        b.conn = "%s:%d" % (CLIENT_HOSTS[server], rng.randint(32768, 60999))
        b.user, b.db, b.app = s.user, db, s.app
        bid_box[0] = bid_box[0] % 90 + 3
        b.bid = bid_box[0]
        b.lxid = 1
        b.line = 2
        b.stmt = 0
        b.pre = ',"%s","%s",%d,"%s",%s,' % (s.user, db, b.pid, b.conn, b.sid)
        b.post = ',,,"%s","client backend",,0\n' % s.app
        ts = csv_ts(ns)
        host, port = b.conn.split(":")
        auth = "connection authorized: user=%s database=%s" % (s.user, db)
        if s.app:
            auth += " application_name=%s" % s.app
        csv_buf.append(
            '%s,,,%d,"%s",%s,1,"",%s,,0,LOG,00000,"connection received: '
            'host=%s port=%s",,,,,,,,,"","not initialized",,0\n'
            '%s,"%s","%s",%d,"%s",%s,2,"authentication",%s,%d/1,0,LOG,00000,'
            '"%s",,,,,,,,,"","client backend",,0\n' % (
                ts, b.pid, b.conn, b.sid, b.start, host, port,
                ts, s.user, db, b.pid, b.conn, b.sid, b.start, b.bid, auth))
        counts["csv_lines"] += 2
        s.backends[db] = b
        return b

    def end_session(s, ns):
        ts = csv_ts(ns)
        for b in s.backends.values():
            b.line += 1
            host, port = b.conn.split(":")
            csv_buf.append(
                '%s%s%d,"idle",%s,,0,LOG,00000,"disconnection: session time: '
                '0:%02d:%02d.%03d user=%s database=%s host=%s port=%s",,,,,,%s' % (
                    ts, b.pre, b.line, b.start, rng.randint(0, 59),
                    rng.randint(0, 59), rng.randint(0, 999), b.user, b.db, host,
                    port, b.post))
            counts["csv_lines"] += 1

    def audit_lines(b, ns, st, plain, d):
        b.stmt += 1
        b.lxid += 1
        d["i"] = b.stmt
        if st.cmdtag == "SELECT":
            xid = 0
        else:
            xid_box[0] += 1
            xid = xid_box[0]
        ts = csv_ts(ns)
        for msg in (st.audit_plain if plain else st.audit):
            b.line += 1
            csv_buf.append('%s%s%d,"%s",%s,%d/%d,%d,LOG,00000,%s,,,,,,%s' % (
                ts, b.pre, b.line, st.cmdtag, b.start, b.bid, b.lxid, xid,
                msg % d, b.post))
        counts["db_events"] += st.nrec
        counts["csv_lines"] += st.nrec

    def refused_line(b, ns, st, d):
        b.lxid += 1
        b.line += 1
        msg, q = st.refused
        csv_buf.append('%s%s%d,"%s",%s,%d/%d,0,ERROR,42501,%s,,,,,,%s%s' % (
            csv_ts(ns), b.pre, b.line, st.cmdtag, b.start, b.bid, b.lxid, msg,
            q % d, b.post))
        counts["db_events"] += 1
        counts["csv_lines"] += 1

    calls_total_est = max(1, n_events // 11)
    per_session = max(1, calls_total_est // n_sessions)
    active = []
    started = 0
    max_active = min(64, n_sessions)

    csv_path = os.path.join(out_dir, "postgresql.csv")
    json_path = os.path.join(out_dir, "traces.jsonl")
    fc = open(csv_path + ".partial", "w", encoding="utf-8", newline="")
    fj = open(json_path + ".partial", "w", encoding="utf-8", newline="")
    written = [0, 0]
    t_start = time.time()

    def sid16():
        return "%016x" % bits(64)

    batch_agent = {a: [] for a in agents}
    batch_mcp = {m: ([], []) for m in MCP_LANG}

    def flush_json():
        parts = []
        for a in agents:
            spans = batch_agent[a]
            if spans:
                parts.append(res_agent[a] + scope_agent + ",".join(spans) + "]}" + tail)
                spans.clear()
        for m in MCP_LANG:
            mcp_spans, db_spans = batch_mcp[m]
            if mcp_spans:
                sc = scope_mcp[m]
                parts.append(res_mcp[m] + sc[0] + ",".join(mcp_spans) + "]}," +
                             sc[1] + ",".join(db_spans) + "]}" + tail)
                mcp_spans.clear()
                db_spans.clear()
        if parts:
            line = '{"resourceSpans":[' + ",".join(parts) + "]}\n"
            fj.write(line)
            written[1] += len(line.encode("utf-8"))
            counts["json_lines"] += 1

    def flush_csv():
        data = "".join(csv_buf)
        csv_buf.clear()
        fc.write(data)
        written[0] += len(data.encode("utf-8"))

    calls_in_batch = 0
    while counts["db_events"] + counts["spans"] < n_events:
        # pick a session (start new ones while sessions remain)
        while len(active) < max_active and started < n_sessions:
            s = new_session()
            s.calls_left = max(1, int(per_session * (0.5 + rnd())))
            active.append(s)
            started += 1
        if not active:            # every session used up: start one more
            s = new_session()
            s.calls_left = per_session
            active.append(s)
            started += 1
        idx = int(rnd() * len(active))
        s = active[idx]
        agent = s.agent
        tool = rng.choice(AGENT_TOOLS[agent])
        server = TOOLS[tool][0]
        counts["calls"] += 1

        clock[0] += int(rng.expovariate(1 / 1.5) * 1e9) + 1_000_000
        t_inv = clock[0]
        trace = "%032x" % bits(128)
        root, xs, ms = sid16(), sid16(), sid16()
        t_tool = t_inv + rng.randint(2, 40) * 10**6
        t_mcp = t_tool + rng.randint(1, 8) * 10**6
        now = t_mcp + rng.randint(1, 3) * 10**6
        d = {"t": trace, "n": 1, "s": "", "i": 0}
        mcp_spans, db_spans = batch_mcp[server]
        k = rng.randint(1, 5)
        pick = tool_pick[tool]
        # ~3 % of statements: pool housekeeping with no span at all
        if rnd() < 0.08:
            st0 = rng.choice(pick)[0]
            b = backend(s, st0.db, server, now)
            hcmd, hmsgs = house[st0.db]
            b.stmt += 1
            b.lxid += 1
            d["i"] = b.stmt
            d["n"] = bits(16)
            for msg in hmsgs:
                b.line += 1
                csv_buf.append('%s%s%d,"%s",%s,%d/%d,0,LOG,00000,%s,,,,,,%s' % (
                    csv_ts(now), b.pre, b.line, hcmd, b.start, b.bid, b.lxid,
                    msg % d, b.post))
            counts["db_events"] += len(hmsgs)
            counts["csv_lines"] += len(hmsgs)
            counts["statements"] += 1
            counts["no_span"] += 1
            now += rng.randint(1, 4) * 10**6
        for _ in range(k):
            st = rng.choice(rng.choice(pick))
            b = backend(s, st.db, server, now)
            sp = sid16()
            dur = rng.randint(1, 80) * 10**6 + bits(20)
            d["s"] = sp
            d["n"] = bits(24) + 1
            d["p"] = ms
            d["a"] = now
            d["b"] = now + dur
            log_ns = now + bits(19)     # logged within the first half ms
            x = rnd()
            counts["statements"] += 1
            if x < 0.0745:            # instrumented, but no sqlcommenter
                audit_lines(b, log_ns, st, True, d)
                db_spans.append(st.span_plain % d)
                counts["no_comment"] += 1
            elif x < 0.0745 + 0.0185 and st.refused:  # refused
                refused_line(b, log_ns, st, d)
                db_spans.append(st.span_refused % d)
                counts["refused"] += 1
                counts["traced"] += 1
            else:
                audit_lines(b, log_ns, st, False, d)
                db_spans.append(st.span % d)
                counts["traced"] += 1
            counts["spans"] += 1
            now += dur + rng.randint(1, 5) * 10**6
        if server == "mcp-crm" and rnd() < 0.10:
            d["s"] = sid16()
            d["p"] = ms
            d["a"] = now
            d["b"] = now + rng.randint(80, 400) * 10**6
            db_spans.append(http_tpl % d)
            now = d["b"] + 10**6
            counts["spans"] += 1
            counts["http"] += 1
        s.rpc += 1
        d.update(r=root, x=xs, m=ms, v=s.sid, c="%012x" % bits(48),
                 q=s.mcp_sid, k=s.rpc)
        d["a"], d["b"] = t_mcp, now + 10**6
        mcp_spans.append(mcp_tpl[tool] % d)
        d["a"], d["b"] = t_tool, now + 3 * 10**6
        batch_agent[agent].append(tool_tpl[tool] % d)
        d["a"], d["b"] = t_inv, now + 9 * 10**6
        batch_agent[agent].append(invoke_tpl[agent] % d)
        counts["spans"] += 3
        clock[0] = now + 10 * 10**6

        s.calls_left -= 1
        if s.calls_left <= 0:
            end_session(s, clock[0])
            active[idx] = active[-1]
            active.pop()
        calls_in_batch += 1
        if calls_in_batch >= 40:
            flush_json()
            calls_in_batch = 0
        if len(csv_buf) >= 4000:
            flush_csv()
    for s in active:
        end_session(s, clock[0])
    flush_json()
    flush_csv()
    fc.close()
    fj.close()
    os.replace(csv_path + ".partial", csv_path)
    os.replace(json_path + ".partial", json_path)
    secs = time.time() - t_start
    return {"out_dir": out_dir, "csvlog": csv_path, "traces": json_path,
            "csvlog_bytes": written[0], "traces_bytes": written[1],
            "expected_rows": counts["db_events"] + counts["spans"],
            "db_events": counts["db_events"], "spans": counts["spans"],
            "counts": counts, "first_ts": t0,
            "last_ts": clock[0] // 10**9, "seconds": round(secs, 3)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=float, required=True,
                    help="db_events rows + spans to reach (e.g. 1e7)")
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--sessions", type=int, default=0,
                    help="agent sessions (default: events / 5000, 10..2000)")
    a = ap.parse_args()
    n = int(a.events)
    if n <= 0:
        ap.error("--events must be positive")
    sessions = a.sessions or max(10, min(2000, n // 5000))
    os.makedirs(a.out_dir, exist_ok=True)
    summary = generate(n, a.out_dir, a.seed, sessions)
    print(json.dumps(summary), file=sys.stderr)


if __name__ == "__main__":
    main()

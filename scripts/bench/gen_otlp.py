#!/usr/bin/env python3
"""Generate a large, realistic synthetic OpenTelemetry Collector file-exporter file.

    gen_otlp.py --size MB --out FILE [--seed S] [--logs]

The output is what the Collector's `file` exporter (format: json) writes: JSON
lines, each line one ExportTraceServiceRequest (or, with --logs, one
ExportLogsServiceRequest) in OTLP/JSON: lowerCamelCase keys, traceId / spanId
/ parentSpanId as lowercase hex, *UnixNano timestamps as decimal strings, kind
and status.code as integers, attributes as [{"key", "value": {"stringValue" |
"intValue" (a decimal string) | "boolValue" | "doubleValue" | "arrayValue"}}],
empty fields left out (a root span has no parentSpanId, an unset status is {}).

Each line is one batch of ~100-500 spans from whole traces, grouped by
resource (resourceSpans, with schemaUrl) and instrumentation scope
(scopeSpans: {name, version}).  Resources carry service.name,
service.version, service.instance.id, process.pid, process.runtime.name,
host.name, deployment.environment.name and telemetry.sdk.{name,language,
version}: six agents and five backend services (two instances each) produce
three kinds of traces:

  * agent (~50 %): an AI agent (invoke_agent root, gen_ai.* attributes) calls
    an LLM (chat spans: gen_ai.request.model, token usage, finish reasons as an
    arrayValue, temperature as a doubleValue) and MCP tools: a client span
    "tools/call <tool>" (mcp.method.name, gen_ai.tool.name,
    gen_ai.operation.name = execute_tool, gen_ai.agent.name, mcp.session.id,
    jsonrpc.request.id) -> its HTTP POST -> the MCP server's SERVER span in
    another resource -> PostgreSQL client spans.  Sessions start with
    initialize and tools/list;
  * api (~35 %): an HTTP server span (http.request.method, http.route,
    url.path, http.response.status_code, ...) with database spans and, now and
    then, an HTTP call to a second service and its server span and queries;
  * job (~15 %): a batch job with many INSERT/UPDATE spans and a span link to
    the trace that scheduled it.

Database spans follow the semantic conventions (db.system.name = postgresql,
db.namespace, db.operation.name, db.collection.name, db.query.text,
server.address, server.port, db.response.returned_rows).  Python/Node
services send the query text with literals (quotes, commas, non-ASCII,
newlines) and a sqlcommenter comment whose traceparent
'00-<trace id>-<span id of this db span>-01' matches the span; the Java and
Go services send sanitised text (? / $1).  About 3 % of queries are refused
(status code 2, "permission denied for table X", SQLSTATE 42501, an
"exception" event with exception.type / exception.message / sometimes a
multi-line exception.stacktrace); the error propagates to the MCP server span
and the tool call.  Java and Go spans carry W3C flags (256, or 768 under a
remote parent).

--logs writes ExportLogsServiceRequest lines instead (resourceLogs ->
scopeLogs -> logRecords) from the same simulated traffic: one log record per
span (timeUnixNano, observedTimeUnixNano, severityNumber, severityText, body
stringValue, attributes, flags, traceId, spanId, and eventName for MCP tool
calls, LLM calls and exceptions).

Timestamps start at 2026-11-24T00:00:00Z and are consistent inside a trace.
Output is streamed (constant memory) from a few hundred pre-rendered
templates.  1 MB = 1,000,000 bytes; the file stops after the first line that
reaches --size.  Deterministic for a given --seed and signal.

A one-line JSON summary (lines, spans or log records, expected_rows = the
number of spans / log records, traces, by kind, errors, events, links, bytes,
seconds, MB/s) is written to stderr when done.
"""

import argparse
import calendar
import json
import os
import random
import sys
import time
import uuid

# --------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------

AGENTS = ["support-copilot", "billing-agent", "sql-agent",
          "reporting-assistant", "ops-agent", "crm-sync-agent"]
MODELS = ["gpt-4.1", "gpt-4.1-mini", "o4-mini", "claude-sonnet-4"]
TOOLS = {  # MCP server -> tools
    "mcp-postgres": ["query", "list_tables", "describe_table", "execute_sql",
                     "explain_query", "search_documents"],
    "mcp-crm": ["get_customer", "find_contacts", "update_ticket",
                "refund_invoice"],
}
TABLES = [  # (database, table)
    ("app", "public.customers"), ("app", "public.orders"),
    ("app", "public.order_items"), ("app", "public.products"),
    ("app", "public.users"), ("app", "public.sessions"),
    ("app", "public.documents"), ("app", "public.api_keys"),
    ("billing", "billing.invoices"), ("billing", "billing.payments"),
    ("billing", "billing.subscriptions"), ("billing", "billing.refunds"),
    ("crm", "crm.accounts"), ("crm", "crm.contacts"), ("crm", "crm.tickets"),
    ("hr", "hr.employees"), ("hr", "hr.salaries"),
    ("warehouse", "analytics.daily_revenue"),
    ("warehouse", "analytics.shipments"),
]
SENSITIVE = [("hr", "hr.salaries"), ("hr", "hr.employees"),
             ("app", "public.api_keys"), ("billing", "billing.refunds"),
             ("billing", "billing.payments")]
NAMES = ["O'Brien", "Zoë Müller", "Smith, John", 'Ana "Banana" Lee',
         "José Álvarez", "Chen Wei", "d'Artagnan", "Ngozi Okafor"]
NOTES = ["gift, wrap please", 'ship to "front desk"', "déjà vu", "n/a",
         "refund, manual", "50% off"]

# Markers inside template values (private-use characters survive
# json.dumps(ensure_ascii=False)); replaced by %-format fields.
MARKS = {
    "\ue000": "%(t)s",     # trace id, 32 hex
    "\ue001": "%(s)s",     # span id of this span, 16 hex
    "\ue002": "%(n)d",     # a random literal (1 .. 2^24)
    "\ue003": "%(n)08x",   # the same, as 8 hex digits (tool call ids)
    "\ue004": "%(c)s",     # MCP session id (per agent session)
    "\ue005": "%(v)s",     # conversation id (per agent session)
    "\ue006": "%(k)d",     # JSON-RPC request id (counts up per session)
}
M_TRACE, M_SPAN, M_NUM, M_HEX, M_SESS, M_CONV, M_RPC = list(MARKS)


class Int:
    """An intValue whose decimal string contains a marker."""
    def __init__(self, s):
        self.s = s


def any_value(v):
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, Int):
        return {"intValue": v.s}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, (list, tuple)):
        return {"arrayValue": {"values": [any_value(x) for x in v]}}
    return {"stringValue": v}


def attrs_json(attrs):
    return json.dumps([{"key": k, "value": any_value(v)} for k, v in attrs],
                      ensure_ascii=False, separators=(",", ":"))


def js(s):
    return json.dumps(s, ensure_ascii=False)


def to_fmt(s):
    """JSON text with markers -> %-format string."""
    s = s.replace("%", "%%")
    for m, f in MARKS.items():
        s = s.replace(m, f)
    return s


# --------------------------------------------------------------------------
# Resources and scopes
# --------------------------------------------------------------------------

SCHEMA_URL = "https://opentelemetry.io/schemas/1.34.0"
SERVICES = {
    # name: (language, sdk version, runtime, version, scopes by role, flags)
    "agent": ("python", "1.34.1", "cpython", "2.3.0", {
        "agent": ("openai-agents", "0.2.4"),
        "chat": ("opentelemetry.instrumentation.openai_v2", "2.1b0"),
        "mcp": ("opentelemetry.instrumentation.mcp", "0.4.1"),
        "http": ("opentelemetry.instrumentation.httpx", "0.55b1")}, False),
    "mcp-postgres": ("python", "1.34.1", "cpython", "0.9.2", {
        "mcp": ("opentelemetry.instrumentation.mcp", "0.4.1"),
        "db": ("opentelemetry.instrumentation.psycopg", "0.55b1")}, False),
    "mcp-crm": ("nodejs", "2.0.1", "nodejs", "1.4.0", {
        "mcp": ("@modelcontextprotocol/sdk", "1.15.0"),
        "db": ("@opentelemetry/instrumentation-pg", "0.54.0")}, False),
    "orders-api": ("java", "1.51.0", "OpenJDK Runtime Environment", "5.12.3", {
        "server": ("io.opentelemetry.spring-webmvc-6.0", "2.17.0-alpha"),
        "db": ("io.opentelemetry.jdbc", "2.17.0-alpha"),
        "http": ("io.opentelemetry.java-http-client", "2.17.0-alpha")}, True),
    "payments-api": ("go", "1.37.0", "go", "3.1.7", {
        "server": ("go.opentelemetry.io/contrib/instrumentation/net/http/"
                   "otelhttp", "0.62.0"),
        "db": ("github.com/exaring/otelpgx", "0.9.3")}, True),
    "etl-worker": ("python", "1.34.1", "cpython", "1.8.0", {
        "job": ("etl.jobs", "1.8.0"),
        "db": ("opentelemetry.instrumentation.psycopg", "0.55b1")}, False),
}


class Resource:
    __slots__ = ("service", "name", "prefix", "scopes", "flags", "style")


def build_resources(rng):
    """service -> list of Resource (instances)."""
    out = {}
    for kind, (lang, sdkv, runtime, ver, scopes, flags) in SERVICES.items():
        names = AGENTS if kind == "agent" else [kind]
        insts = []
        for name in names:
            for i in range(1 if kind == "agent" else 2):
                host = "%s-%s" % (name if kind != "agent" else "agents",
                                  "%x" % rng.getrandbits(40))
                attrs = [
                    ("service.name", name),
                    ("service.namespace", "shop"),
                    ("service.version", ver),
                    ("service.instance.id",
                     str(uuid.UUID(int=rng.getrandbits(128), version=4))),
                    ("deployment.environment.name", "production"),
                    ("host.name", host),
                    ("host.arch", "amd64"),
                    ("os.type", "linux"),
                    ("process.pid", rng.randint(7, 65000)),
                    ("process.runtime.name", runtime),
                    ("telemetry.sdk.name", "opentelemetry"),
                    ("telemetry.sdk.language", lang),
                    ("telemetry.sdk.version", sdkv),
                ]
                if lang == "nodejs":
                    attrs.append(("process.runtime.version", "22.17.0"))
                r = Resource()
                r.service = kind
                r.name = name
                r.prefix = '{"resource":{"attributes":%s},' % attrs_json(attrs)
                r.scopes = {role: '{"scope":{"name":%s,"version":%s},' % (
                    js(n), js(v)) for role, (n, v) in scopes.items()}
                r.flags = flags
                r.style = {"python": "psycopg", "nodejs": "node",
                           "java": "jdbc", "go": "pgx"}[lang]
                insts.append(r)
        out[kind] = insts
    return out


# --------------------------------------------------------------------------
# Span templates
# --------------------------------------------------------------------------

class Tpl:
    """A pre-rendered span (and log record) as %-format strings.

    Fields filled per span: t s p a b e n c v k l (see render())."""
    __slots__ = ("role", "span", "log", "kind", "error", "cat", "event")

    def __init__(self, role, cat, name, kind, attrs, error=None, flags=None,
                 log_body="", log_event="", remote=False):
        self.role = role
        self.cat = cat
        self.kind = kind
        self.error = error is not None
        self.event = bool(log_event)
        a = attrs_json(attrs)
        events = ""
        status = "{}"
        if error is not None:
            msg, etype, extra = error
            ev = [("exception.type", etype), ("exception.message", msg)]
            ev += extra
            events = (',"events":[{"timeUnixNano":"%%(e)d","name":"exception",'
                      '"attributes":%s}]' % to_fmt(attrs_json(ev)))
            status = '{"code":2,"message":%s}' % to_fmt(js(msg))
        fl = ""
        if flags:
            fl = ',"flags":%d' % (768 if remote else 256)
        # a span (the Collector's field order)
        self.span = ('{"traceId":"%%(t)s","spanId":"%%(s)s"%%(p)s%s,'
                     '"name":%s,"kind":%d,"startTimeUnixNano":"%%(a)d",'
                     '"endTimeUnixNano":"%%(b)d","attributes":%s%s%%(l)s,'
                     '"status":%s}' % (fl, to_fmt(js(name)), kind, to_fmt(a),
                                       events, status))
        # a log record about the same operation
        if error is not None:
            sev = '"severityNumber":17,"severityText":"ERROR"'
            body = "%s failed: %s" % (name, error[0])
            log_event = "exception"
            la = attrs + [("exception.type", error[1]),
                          ("exception.message", error[0])]
        else:
            sev = ('"severityNumber":9,"severityText":"INFO"' if kind != 3 or
                   cat != "db" else '"severityNumber":5,"severityText":"DEBUG"')
            body = log_body or ("%s done" % name)
            la = attrs
        self.log = ('{"timeUnixNano":"%%(b)d","observedTimeUnixNano":"%%(e)d",'
                    '%s,"body":{"stringValue":%s},"attributes":%s,"flags":1,'
                    '"traceId":"%%(t)s","spanId":"%%(s)s"%s}' % (
                        sev, to_fmt(js(body)), to_fmt(attrs_json(la)),
                        ',"eventName":%s' % js(log_event) if log_event else ""))


def sql_str(s):
    return "'" + s.replace("'", "''") + "'"


def short(t):
    return t.split(".", 1)[1]


STACK = ('Traceback (most recent call last):\n'
         '  File "/app/server.py", line 212, in call_tool\n'
         '    rows = await conn.execute(sql)\n'
         '  File "/usr/local/lib/python3.12/site-packages/psycopg/'
         'cursor_async.py", line 97, in execute\n'
         '    raise ex.with_traceback(None)\n'
         'psycopg.errors.InsufficientPrivilege: %s')


class Builder:
    def __init__(self, rng):
        self.r = rng

    def comment(self, style):
        r = self.r
        tp = "traceparent='00-%s-%s-01'" % (M_TRACE, M_SPAN)
        if style == "node":
            return "/*db_driver='pg%%3A8.16.3',%s*/" % tp
        x = r.random()
        if x < 0.5:
            return "/*%s*/" % tp
        return ("/*db_driver='psycopg%%3A3.2.9',dbapi_level='2.0',"
                "dbapi_threadsafety=1,driver_paramstyle='pyformat',"
                "libpq_version=170005,%s*/" % tp)

    def query(self, style, error=False):
        """(db, table, operation, text, returned rows or None)"""
        r = self.r
        db, t = r.choice(SENSITIVE if error else TABLES)
        lit = style in ("psycopg", "node")
        ph = "?" if not lit else M_NUM
        x = r.random()
        rows = None
        if x < 0.3:
            op = "SELECT"
            q = "SELECT id, name, email FROM %s WHERE id = %s" % (t, ph)
            rows = r.choice([0, 1, 1, 1])
        elif x < 0.42:
            op = "SELECT"
            if lit:
                q = "select id, email from %s where name = %s" % (
                    short(t), sql_str(r.choice(NAMES)))
            else:
                q = "select id, email from %s where name = ?" % short(t)
            rows = r.randint(0, 3)
        elif x < 0.52:
            op = "SELECT"
            _, t2 = r.choice(TABLES)
            if lit:
                cond = "'2026-%02d-%02d'" % (r.randint(1, 12), r.randint(1, 28))
                lim = str(r.choice([10, 50, 100]))
            else:
                cond, lim = "?", "?"
            q = ("select o.id,\n       o.total,\n       p.name\n  from %s o\n"
                 "  join %s p on p.id = o.ref_id\n where o.created_at > %s\n"
                 " order by o.total desc\n limit %s" % (t, t2, cond, lim))
            rows = r.randint(0, 100)
        elif x < 0.67:
            op = "INSERT"
            if lit:
                q = ("INSERT INTO %s (customer_id, total, note) VALUES "
                     "(%s, %d.%02d, %s)" % (t, M_NUM, r.randint(1, 999),
                                           r.randint(0, 99),
                                           sql_str(r.choice(NOTES))))
            else:
                q = "insert into %s (customer_id, total, note) values (?, ?, ?)" % t
        elif x < 0.85:
            op = "UPDATE"
            if lit:
                q = ("UPDATE %s SET status = 'paid', paid_at = now() "
                     "WHERE id = %s" % (t, M_NUM))
            else:
                q = "update %s set status = ?, paid_at = now() where id = %s" % (
                    t, ph)
        elif x < 0.93:
            op = "DELETE"
            q = ("DELETE FROM %s WHERE expires_at < now() - interval "
                 "'30 days'" % t)
        else:
            op = "SELECT"
            q = ("select count(*) from %s where subject like '%%refund%%' "
                 "and body ilike '%%\"urgent\"%%'" % t)
            if not lit:
                q = "select count(*) from %s where subject like ?" % t
            rows = 1
        if error:
            op = "SELECT"
            q = "select * from %s where id = %s" % (t, ph)
            rows = None
        if style == "pgx":     # ? -> $1, $2, ...
            parts = q.split("?")
            q = parts[0] + "".join("$%d%s" % (i, p)
                                   for i, p in enumerate(parts[1:], 1))
        if lit and r.random() < 0.8:
            q = "%s %s" % (q, self.comment(style))
        return db, t, op, q, rows

    def db_tpl(self, res, error=False):
        style = res.style
        db, t, op, q, rows = self.query(style, error)
        attrs = [("db.system.name", "postgresql"), ("db.namespace", db),
                 ("db.operation.name", op), ("db.collection.name", t),
                 ("db.query.text", q),
                 ("server.address", self.r.choice(["pg-primary.internal",
                                                   "10.0.3.17"])),
                 ("server.port", 5432)]
        if rows is not None:
            attrs.append(("db.response.returned_rows", rows))
        err = None
        if error:
            msg = "permission denied for table %s" % short(t)
            attrs += [("db.response.status_code", "42501"),
                      ("error.type", "42501")]
            etype = {"psycopg": "psycopg.errors.InsufficientPrivilege",
                     "node": "DatabaseError",
                     "jdbc": "org.postgresql.util.PSQLException",
                     "pgx": "*pgconn.PgError"}[style]
            extra = [("exception.escaped", False)]
            if style == "psycopg" and self.r.random() < 0.5:
                extra.append(("exception.stacktrace", STACK % msg))
            err = (msg, etype, extra)
        return Tpl("db", "db", "%s %s" % (op, t), 3, attrs, err, res.flags,
                   log_body="query on %s took %s ms" % (db, M_NUM),
                   log_event="")


def build_templates(rng, resources):
    b = Builder(rng)
    T = {}
    # -- database spans, per resource style
    for kind, insts in resources.items():
        if kind == "agent":
            continue
        res = insts[0]
        T[kind, "db"] = [b.db_tpl(res) for _ in range(80)]
        T[kind, "db_err"] = [b.db_tpl(res, True) for _ in range(12)]
    # -- agents: invoke_agent, chat, MCP client calls
    for res in resources["agent"]:
        ag = res.name
        T[ag, "root"] = []
        for model in MODELS:
            T[ag, "root"].append(Tpl("agent", "genai", "invoke_agent " + ag, 1, [
                ("gen_ai.operation.name", "invoke_agent"),
                ("gen_ai.agent.name", ag),
                ("gen_ai.agent.id", "asst_" + "%x" % rng.getrandbits(48)),
                ("gen_ai.conversation.id", M_CONV),
                ("gen_ai.provider.name", "openai"),
                ("gen_ai.request.model", model)]))
        T[ag, "chat"] = []
        for model in MODELS:
            for fin in (["tool_calls"], ["stop"], ["tool_calls"]):
                T[ag, "chat"].append(Tpl("chat", "genai", "chat " + model, 3, [
                    ("gen_ai.operation.name", "chat"),
                    ("gen_ai.provider.name", "openai"),
                    ("gen_ai.request.model", model),
                    ("gen_ai.request.temperature",
                     rng.choice([0.0, 0.2, 0.7])),
                    ("gen_ai.request.max_tokens", 4096),
                    ("gen_ai.response.model", model + "-2025-04-14"),
                    ("gen_ai.response.id", "chatcmpl-%s" % M_HEX),
                    ("gen_ai.response.finish_reasons", fin),
                    ("gen_ai.usage.input_tokens", rng.randint(200, 30000)),
                    ("gen_ai.usage.output_tokens", rng.randint(12, 900)),
                    ("server.address", "api.openai.com"),
                    ("server.port", 443)],
                    log_event="gen_ai.client.inference.operation.details"))
        for srv, tools in TOOLS.items():
            host = srv + ".internal"
            for method in ("initialize", "tools/list"):
                T[ag, srv, method] = Tpl("mcp", "mcp", method, 3, [
                    ("mcp.method.name", method),
                    ("mcp.session.id", M_SESS),
                    ("mcp.protocol.version", "2025-06-18"),
                    ("jsonrpc.request.id", Int(M_RPC)),
                    ("network.transport", "tcp"),
                    ("server.address", host), ("server.port", 8000)])
            for tool in tools:
                for err in (False, True):
                    a = [("mcp.method.name", "tools/call"),
                         ("gen_ai.operation.name", "execute_tool"),
                         ("gen_ai.tool.name", tool),
                         ("gen_ai.tool.call.id", "call_" + M_HEX),
                         ("gen_ai.agent.name", ag),
                         ("mcp.session.id", M_SESS),
                         ("mcp.protocol.version", "2025-06-18"),
                         ("jsonrpc.request.id", Int(M_RPC)),
                         ("network.transport", "tcp"),
                         ("server.address", host), ("server.port", 8000)]
                    e = None
                    if err:
                        a.append(("error.type", "tool_error"))
                        e = ("tool %s returned an error" % tool,
                             "McpError", [])
                    T[ag, srv, tool, err] = Tpl(
                        "mcp", "mcp", "tools/call " + tool, 3, a, e,
                        log_body="calling tool %s" % tool,
                        log_event="mcp.tool.call")
            T[ag, srv, "post"] = Tpl("http", "http", "POST", 3, [
                ("http.request.method", "POST"),
                ("url.full", "http://%s:8000/mcp" % host),
                ("server.address", host), ("server.port", 8000),
                ("network.protocol.version", "1.1"),
                ("http.response.status_code", 200)])
    # -- MCP servers
    for srv, tools in TOOLS.items():
        for res in resources[srv]:
            for method in ("initialize", "tools/list"):
                T[res, method] = Tpl("mcp", "mcp", method, 2, [
                    ("mcp.method.name", method),
                    ("mcp.session.id", M_SESS),
                    ("mcp.protocol.version", "2025-06-18"),
                    ("jsonrpc.request.id", Int(M_RPC)),
                    ("network.transport", "tcp"),
                    ("client.address", "10.0.7.41")])
            for tool in tools:
                for err in (False, True):
                    a = [("mcp.method.name", "tools/call"),
                         ("gen_ai.operation.name", "execute_tool"),
                         ("gen_ai.tool.name", tool),
                         ("mcp.session.id", M_SESS),
                         ("mcp.protocol.version", "2025-06-18"),
                         ("jsonrpc.request.id", Int(M_RPC)),
                         ("network.transport", "tcp"),
                         ("client.address", "10.0.7.41"),
                         ("client.port", rng.randint(32768, 60999))]
                    e = None
                    if err:
                        a.append(("error.type", "42501"))
                        e = ("permission denied", "ToolError",
                             [("exception.escaped", False)])
                    T[res, tool, err] = Tpl(
                        "mcp", "mcp", "tools/call " + tool, 2, a, e,
                        log_body="tool %s called" % tool,
                        log_event="mcp.tool.call", remote=True)
    # -- HTTP APIs
    routes = [("GET", "/api/v1/orders/{id}", "/api/v1/orders/"),
              ("GET", "/api/v1/customers/{id}", "/api/v1/customers/"),
              ("POST", "/api/v1/orders", "/api/v1/orders"),
              ("PUT", "/api/v1/orders/{id}/status", "/api/v1/orders/"),
              ("GET", "/api/v1/products", "/api/v1/products")]
    for res in resources["orders-api"]:
        T[res, "server"] = []
        for meth, route, path in routes:
            for code in (200, 200, 200, 201, 404, 500):
                p = path + M_NUM if route.endswith("}") else path
                if route.endswith("/status"):
                    p = path + M_NUM + "/status"
                a = [("http.request.method", meth), ("http.route", route),
                     ("url.path", p), ("url.scheme", "https"),
                     ("http.response.status_code", code),
                     ("server.address", "orders.shop.example"),
                     ("server.port", 443),
                     ("network.protocol.version", "1.1"),
                     ("client.address", "10.0.%d.%d" % (rng.randint(0, 9),
                                                        rng.randint(2, 250))),
                     ("user_agent.original",
                      rng.choice(["Mozilla/5.0 (X11; Linux x86_64)",
                                  "okhttp/4.12.0", "python-httpx/0.28.1"]))]
                e = None
                if code >= 500:
                    a.append(("error.type", "500"))
                    e = ("Request processing failed: timeout",
                         "jakarta.servlet.ServletException", [])
                T[res, "server"].append(Tpl(
                    "server", "http", "%s %s" % (meth, route), 2, a, e,
                    res.flags, remote=True))
        T[res, "call"] = Tpl("http", "http", "POST", 3, [
            ("http.request.method", "POST"),
            ("url.full", "http://payments-api.internal:8080/v1/charges"),
            ("server.address", "payments-api.internal"),
            ("server.port", 8080), ("network.protocol.version", "1.1"),
            ("http.response.status_code", 200)], None, res.flags)
    for res in resources["payments-api"]:
        T[res, "server"] = [Tpl("server", "http", "POST /v1/charges", 2, [
            ("http.request.method", "POST"), ("http.route", "/v1/charges"),
            ("url.path", "/v1/charges"), ("url.scheme", "http"),
            ("http.response.status_code", 200),
            ("server.address", "payments-api.internal"),
            ("server.port", 8080), ("network.protocol.version", "1.1"),
            ("client.address", "10.0.4.%d" % rng.randint(2, 250)),
            ("user_agent.original", "Java-http-client/21.0.7")], None,
            res.flags, remote=True)]
    # -- batch jobs
    for res in resources["etl-worker"]:
        T[res, "root"] = [Tpl("job", "job", "sync " + t, 1, [
            ("job.name", "sync " + t), ("job.id", Int(M_NUM)),
            ("code.function.name", "etl.jobs.sync_table"),
            ("etl.batch.size", rng.choice([500, 1000, 5000]))],
            log_body="job sync %s finished" % t) for _, t in TABLES]
    return T


# --------------------------------------------------------------------------
# Generator
# --------------------------------------------------------------------------

def generate(size_bytes, out, seed, logs=False):
    rng = random.Random(seed)
    resources = build_resources(rng)
    T = build_templates(rng, resources)
    rnd = rng.random
    randint = rng.randint
    getrandbits = rng.getrandbits
    choice = rng.choice

    attr_key = "log" if logs else "span"
    counts = {"spans": 0, "traces": 0, "agent": 0, "api": 0, "job": 0,
              "errors": 0, "events": 0, "links": 0,
              "by_category": {"genai": 0, "mcp": 0, "http": 0, "db": 0,
                              "job": 0}}
    by_cat = counts["by_category"]
    clock = [calendar.timegm((2026, 11, 24, 0, 0, 0)) * 10 ** 9]
    buckets = {}    # Resource -> {role: [text]}
    d = {"t": "", "s": "", "p": "", "a": 0, "b": 0, "e": 0, "n": 0, "c": "",
         "v": "", "k": 0, "l": ""}
    recent = []     # (trace id, span id) of earlier roots, for links
    n_spans = [0]

    def span_id():
        return "%016x" % getrandbits(64)

    def emit(res, role, tpl, sid, parent, start, end, link=""):
        """Render one span (or log record) into its resource/scope bucket."""
        d["s"] = sid
        d["p"] = ',"parentSpanId":"%s"' % parent if parent else ""
        d["a"] = start
        d["b"] = end
        d["e"] = end - 20000 if not logs else end + randint(10 ** 5, 10 ** 9)
        d["n"] = getrandbits(24) + 1
        d["l"] = link
        text = (tpl.log if logs else tpl.span) % d
        sc = buckets.get(res)
        if sc is None:
            sc = buckets[res] = {}
        lst = sc.get(role)
        if lst is None:
            lst = sc[role] = []
        lst.append(text)
        n_spans[0] += 1
        by_cat[tpl.cat] += 1
        if tpl.error:
            counts["errors"] += 1
            counts["events"] += 1
        if link:
            counts["links"] += 1

    def db_spans(res, kind, parent, start, n, err_at=-1):
        """n sequential db spans under parent from start; returns end."""
        cur = start
        ok = T[kind, "db"]
        bad = T[kind, "db_err"]
        for i in range(n):
            cur += randint(20000, 900000)
            dur = int(rnd() * rnd() * 40e6) + 250000
            tpl = bad[int(rnd() * len(bad))] if i == err_at else \
                ok[int(rnd() * len(ok))]
            emit(res, "db", tpl, span_id(), parent, cur, cur + dur)
            cur += dur
        return cur

    def agent_trace():
        ares = choice(resources["agent"])
        ag = ares.name
        srv = "mcp-postgres" if rnd() < 0.7 else "mcp-crm"
        sres = choice(resources[srv])
        tools = TOOLS[srv]
        d["c"] = "%032x" % getrandbits(128)
        d["v"] = "conv_%024x" % getrandbits(96)
        d["k"] = randint(0, 40)
        root = span_id()
        t0 = clock[0]
        cur = t0 + randint(100000, 3000000)
        rpc = ("initialize", "tools/list") if rnd() < 0.3 else ()
        turns = randint(1, 5)
        for method in rpc:
            cid, hid, sid = span_id(), span_id(), span_id()
            d["k"] += 1
            s0 = cur
            s1 = s0 + randint(300000, 2000000)
            s2 = s1 + randint(500000, 8000000)
            emit(sres, "mcp", T[sres, method], sid, hid, s1, s2)
            emit(ares, "http", T[ag, srv, "post"], hid, cid, s0 + 50000,
                 s2 + 200000)
            emit(ares, "mcp", T[ag, srv, method], cid, root, s0, s2 + 400000)
            cur = s2 + 600000
        for turn in range(turns + 1):
            # the model decides
            dur = randint(300, 6000) * 10 ** 6
            emit(ares, "chat", choice(T[ag, "chat"]), span_id(), root, cur,
                 cur + dur)
            cur += dur + randint(100000, 2000000)
            if turn == turns:
                break
            for _ in range(randint(1, 3)):
                tool = choice(tools)
                cid, hid, sid = span_id(), span_id(), span_id()
                d["k"] += 1
                err = rnd() < 0.04
                s0 = cur
                s1 = s0 + randint(300000, 3000000)
                nq = randint(1, 4)
                s2 = db_spans(sres, srv, sid, s1, nq,
                              randint(0, nq - 1) if err else -1)
                s2 += randint(100000, 2000000)
                emit(sres, "mcp", T[sres, tool, err], sid, hid, s1, s2)
                emit(ares, "http", T[ag, srv, "post"], hid, cid, s0 + 60000,
                     s2 + 300000)
                emit(ares, "mcp", T[ag, srv, tool, err], cid, root, s0,
                     s2 + 500000)
                cur = s2 + randint(600000, 3000000)
        link = ""
        if recent and rnd() < 0.15:      # previous turn of the conversation
            lt, ls = recent[int(rnd() * len(recent))]
            link = (',"links":[{"traceId":"%s","spanId":"%s","attributes":'
                    '[{"key":"gen_ai.link.type","value":{"stringValue":'
                    '"previous_turn"}}]}]' % (lt, ls))
        emit(ares, "agent", choice(T[ag, "root"]), root, "", t0, cur, link)
        recent.append((d["t"], root))
        counts["agent"] += 1

    def api_trace():
        res = choice(resources["orders-api"])
        d["k"] = 0
        root = span_id()
        t0 = clock[0]
        tpl = choice(T[res, "server"])
        nq = randint(1, 8)
        err = tpl.error
        end = db_spans(res, "orders-api", root, t0 + randint(200000, 900000),
                       nq)
        if rnd() < 0.25 and not err:
            pres = choice(resources["payments-api"])
            cid, sid = span_id(), span_id()
            c0 = end + randint(100000, 600000)
            s1 = c0 + randint(500000, 2000000)
            s2 = db_spans(pres, "payments-api", sid, s1, randint(1, 4))
            s2 += randint(100000, 900000)
            emit(pres, "server", T[pres, "server"][0], sid, cid, s1, s2)
            c1 = s2 + randint(500000, 2000000)
            emit(res, "http", T[res, "call"], cid, root, c0, c1)
            end = c1 + randint(100000, 1000000)
        emit(res, "server", tpl, root, "", t0, end + randint(100000, 2000000))
        counts["api"] += 1

    def job_trace():
        res = choice(resources["etl-worker"])
        root = span_id()
        t0 = clock[0]
        nq = randint(5, 40)
        end = db_spans(res, "etl-worker", root, t0 + randint(10 ** 6, 10 ** 8),
                       nq, randint(0, nq - 1) if rnd() < 0.05 else -1)
        link = ""
        if recent:
            lt, ls = recent[int(rnd() * len(recent))]
            link = (',"links":[{"traceId":"%s","spanId":"%s","attributes":'
                    '[{"key":"messaging.operation.type","value":'
                    '{"stringValue":"process"}}]}]' % (lt, ls))
        emit(res, "job", choice(T[res, "root"]), root, "", t0,
             end + randint(10 ** 5, 10 ** 7), link)
        counts["job"] += 1

    if logs:
        top, sub, recs = "resourceLogs", "scopeLogs", "logRecords"
    else:
        top, sub, recs = "resourceSpans", "scopeSpans", "spans"
    head = '{"%s":[' % top
    scope_tail = '"%s":[' % recs
    res_mid = '"%s":[' % sub
    res_tail = '],"schemaUrl":"%s"}' % SCHEMA_URL

    written = 0
    lines = 0
    f = open(out, "wb")
    t_start = time.time()
    while written < size_bytes:
        target = randint(100, 500)
        n_spans[0] = 0
        buckets.clear()
        while n_spans[0] < target:
            d["t"] = "%032x" % getrandbits(128)
            x = rnd()
            if x < 0.5:
                agent_trace()
            elif x < 0.85:
                api_trace()
            else:
                job_trace()
            counts["traces"] += 1
            clock[0] += int(rnd() * 4e8)
            if len(recent) > 64:
                del recent[:32]
        parts = []
        for res, scopes in buckets.items():
            parts.append(res.prefix + res_mid + ",".join(
                res.scopes[role] + scope_tail + ",".join(lst) + "]}"
                for role, lst in scopes.items()) + res_tail)
        data = (head + ",".join(parts) + "]}\n").encode("utf-8")
        f.write(data)
        written += len(data)
        lines += 1
        counts["spans"] += n_spans[0]
    f.close()
    secs = time.time() - t_start
    unit = "log_records" if logs else "spans"
    summary = {"signal": "logs" if logs else "traces", "out": out,
               "bytes": written, "lines": lines, unit: counts["spans"],
               "expected_rows": counts["spans"], "traces": counts["traces"],
               "trace_kinds": {k: counts[k] for k in ("agent", "api", "job")},
               "by_category": by_cat, "errors": counts["errors"],
               "exception_events": 0 if logs else counts["events"],
               "links": 0 if logs else counts["links"],
               "seconds": round(secs, 3),
               "mb_per_s": round(written / 1e6 / secs, 1) if secs else None}
    return summary


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", "--size-mb", dest="size", type=float,
                    required=True,
                    help="approximate output size in MB (1 MB = 10^6 bytes)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--logs", action="store_true",
                    help="write ExportLogsServiceRequest lines (log records) "
                    "instead of ExportTraceServiceRequest lines (spans)")
    a = ap.parse_args()
    if a.size <= 0:
        ap.error("--size must be positive")
    tmp = a.out + ".partial"
    summary = generate(int(a.size * 1e6), tmp, a.seed, a.logs)
    os.replace(tmp, a.out)
    summary["out"] = a.out
    print(json.dumps(summary), file=sys.stderr)


if __name__ == "__main__":
    main()

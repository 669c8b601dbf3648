#!/usr/bin/env python3
"""Generate a large, realistic synthetic PostgreSQL 15 + pgAudit log.

    gen_pgaudit.py --format csvlog|stderr --size-mb N --out FILE [--seed S]

The output imitates a PostgreSQL 15 server with pgAudit 1.7 (pgaudit.log =
'read,write,ddl,role,function,misc', pgaudit.log_relation = on,
pgaudit.log_parameter = on for most roles, log_connections,
log_disconnections, log_checkpoints = on) that several AI agents talk to.
Its shapes follow the real PostgreSQL 15.20 / pgAudit 1.7.0 logs in
fixtures/pgaudit/ (e.g. a parameter list is CSV-quoted twice by pgAudit, GRANT
has object type TABLE with an empty name).  pgaudit.log_rows is off unless
--log-rows is given.  Per ~100 log entries:

  * ~80 pgAudit "AUDIT:" entries (SESSION, a few OBJECT; classes READ, WRITE,
    DDL, ROLE, FUNCTION, MISC; statements touching several relations produce
    one entry per relation with the same statement id; function calls produce
    substatements; string literals with commas, quotes and non-ASCII text;
    multi-line statements with real newlines; sqlcommenter comments
    /*traceparent='00-<32hex>-<16hex>-01'*/; parameters '<not logged>',
    '<none>' or a CSV list such as "1,abc");
  * ~10 refused statements (ERROR 42501 "permission denied for table X" plus
    the statement: the csvlog `query` column, or a STATEMENT: line in stderr);
  * ~10 other entries (connection received / authorized, disconnection,
    checkpoint starting / complete).

Formats (PostgreSQL 15):

  csvlog  26 columns (log_time ... query_id), text fields always quoted the
          way PostgreSQL's csvlog.c does it (an empty, non-NULL text such as
          an unset application_name is written as ""), quotes doubled, real
          newlines inside quoted fields.
  stderr  log_line_prefix = '%m [%p] %q%u@%d app=%a '.  Continuation lines
          of multi-line messages start with a TAB; unset values print
          [unknown]; background processes (checkpointer) stop the prefix at
          %q.

Timestamps are UTC and strictly non-decreasing.  Output is streamed (constant
memory) and built from a few hundred pre-rendered templates, so a 1 GB file
takes well under a minute or two.  1 MB = 1,000,000 bytes.  The generator is
deterministic for a given --seed and --format.

A one-line JSON summary (entries by kind, records, expected_rows =
AUDIT + refused entries, bytes, seconds, MB/s) is
written to stderr when done.
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

AGENTS = [
    "reporting-assistant", "billing-agent", "support-copilot", "etl-agent",
    "sql-agent", "data-analyst-bot", "ops-agent", "crm-sync-agent",
]
ROLES = [  # (user, database)
    ("reporting_ro", "reporting"), ("billing_rw", "billing"),
    ("support_agent", "support"), ("etl_loader", "warehouse"),
    ("app_admin", "app"), ("analytics_ro", "warehouse"),
    ("agent_rw", "app"), ("postgres", "postgres"),
]
HOSTS = ["127.0.0.1", "10.0.3.17", "10.0.3.18", "10.0.7.41", "172.18.0.5",
         "[local]"]

TABLES = [
    "public.customers", "public.orders", "public.order_items",
    "public.products", "public.users", "public.sessions", "public.events",
    "public.documents", "public.embeddings", "public.api_keys",
    "billing.invoices", "billing.payments", "billing.subscriptions",
    "billing.refunds", "crm.accounts", "crm.contacts", "crm.tickets",
    "hr.employees", "hr.salaries", "analytics.daily_revenue",
    "analytics.audit_trail", "analytics.shipments",
]
# tables that the refused statements are denied on
SENSITIVE = ["invoices", "payments", "salaries", "employees", "api_keys",
             "refunds", "subscriptions", "users"]
NAMES = ["O'Brien", "Zoë Müller", "Smith, John", 'Ana "Banana" Lee',
         "José Álvarez", "Chen Wei", "d'Artagnan", "Ngozi Okafor"]
FUNCS = [("billing.apply_discount", "billing.subscriptions"),
         ("public.refresh_customer_stats", "public.orders"),
         ("crm.merge_contacts", "crm.contacts"),
         ("analytics.recompute_revenue", "analytics.daily_revenue")]

N_MARK = "\x00"   # replaced by a random integer for every entry
H_MARK = "\x01"   # replaced by 8 random hex digits for every entry


def short(t):
    return t.split(".", 1)[1]


def sql_str(s):
    return "'" + s.replace("'", "''") + "'"


def csv_field(s):
    """pgAudit's append_valid_csv(): quote only if needed."""
    if any(c in s for c in ',"\n\r'):
        return '"' + s.replace('"', '""') + '"'
    return s


# --------------------------------------------------------------------------
# Template construction
# --------------------------------------------------------------------------

class TemplateBuilder:
    def __init__(self, rng):
        self.r = rng

    def traceparent(self):
        # 24 fixed + 8 per-entry hex digits of trace id, 16 hex span id
        return "00-%024x%s-%016x-01" % (self.r.getrandbits(96), H_MARK,
                                         self.r.getrandbits(64))

    def comment(self, agent):
        r = self.r
        if r.random() < 0.5:
            return "/*traceparent='%s'*/" % self.traceparent()
        return ("/*application='%s',db_driver='psycopg',route='%%2Fapi%%2Fv1',"
                "traceparent='%s'*/" % (agent, self.traceparent()))

    def params(self, nparams):
        """Return the pgAudit PARAMETER field."""
        r = self.r
        if nparams == 0:
            return "<none>" if r.random() < 0.4 else "<not logged>"
        if r.random() < 0.3:
            return "<not logged>"
        vals = []
        for i in range(nparams):
            x = r.random()
            if x < 0.4:
                vals.append(str(r.randint(1, 99999)))
            elif x < 0.6:
                vals.append("abc")
            elif x < 0.75:
                vals.append("eu-west")
            elif x < 0.85:
                vals.append("")          # a NULL parameter prints nothing
            else:
                vals.append(csv_field(r.choice(NAMES)))
        return csv_field(",".join(vals))

    # Each builder returns (command_tag, assigns_xid, [records]) where a
    # record is (audit_type, substatement, class, command, objtype, objname,
    # statement, parameter).

    def read_simple(self):
        r = self.r
        t = r.choice(TABLES)
        x = r.random()
        if x < 0.25:
            stmt = "SELECT id, name FROM %s WHERE id > %s ORDER BY id" % (
                t, N_MARK)
            p = self.params(0)
        elif x < 0.5:
            stmt = "select id, name, email from %s where id = %s" % (
                short(t), N_MARK)
            p = self.params(0)
        else:
            stmt = "select * from %s where id = $1 and region = $2" % short(t)
            p = self.params(2)
        return "SELECT", False, [("SESSION", 1, "READ", "SELECT", "TABLE", t,
                                  stmt, p)]

    def read_join(self):
        r = self.r
        ts = r.sample(TABLES, r.choice([2, 2, 3]))
        a = [short(t)[0] + str(i) for i, t in enumerate(ts)]
        cols = ", ".join("%s.id" % x for x in a)
        frm = " join ".join(
            "%s %s%s" % (short(t), x,
                         "" if i == 0 else " on %s.ref_id = %s.id" % (x, a[0]))
            for i, (t, x) in enumerate(zip(ts, a)))
        stmt = ("select %s, sum(%s.amount) from %s where %s.created_at > "
                "'2026-%02d-%02d' group by %s order by 2 desc limit %s"
                % (cols, a[0], frm, a[0], r.randint(1, 12), r.randint(1, 28),
                   cols, N_MARK))
        p = self.params(0)
        return "SELECT", False, [("SESSION", 1, "READ", "SELECT", "TABLE", t,
                                  stmt, p) for t in ts]

    def read_multiline(self):
        r = self.r
        ts = r.sample(TABLES, 3)
        stmt = ("select o.id,\n       o.total,\n       p.name\n"
                "  from %s o\n  join %s i on i.order_id = o.id\n"
                "  join %s p on p.id = i.product_id\n where o.id = $1"
                % tuple(short(t) for t in ts))
        if r.random() < 0.5:
            stmt = "%s\n%s" % (self.comment(r.choice(AGENTS)), stmt)
        p = self.params(1)
        return "SELECT", False, [("SESSION", 1, "READ", "SELECT", "TABLE", t,
                                  stmt, p) for t in ts]

    def read_literals(self):
        r = self.r
        t = r.choice(["crm.tickets", "public.documents", "public.users"])
        x = r.random()
        if x < 0.3:
            stmt = ("select count(*) from %s where subject like '%%refund%%' "
                    "and body ilike '%%\"urgent\"%%'" % short(t))
        elif x < 0.6:
            stmt = "select id, email from %s where name = %s" % (
                short(t), sql_str(r.choice(NAMES)))
        else:
            stmt = ("select id, title from %s where title = 'a, b and c' "
                    "and score > %s.%02d" % (short(t), N_MARK,
                                             r.randint(0, 99)))
        if r.random() < 0.4:
            stmt = "%s %s" % (stmt, self.comment(r.choice(AGENTS)))
        rec = [("SESSION", 1, "READ", "SELECT", "TABLE", t, stmt,
                self.params(0))]
        if t == "public.users" and r.random() < 0.5:
            # object audit: the same statement also logged as OBJECT
            rec.append(("OBJECT",) + rec[0][1:])
        return "SELECT", False, rec

    def write(self):
        r = self.r
        x = r.random()
        if x < 0.3:
            t = r.choice(TABLES)
            stmt = ("insert into %s (customer_id, total, note) values "
                    "(%s, %d.%02d, %s)" % (short(t), N_MARK, r.randint(1, 999),
                                           r.randint(0, 99),
                                           sql_str(r.choice(
                                               ["gift, wrap please",
                                                "ship to \"front desk\"",
                                                "déjà vu", "n/a"]))))
            return "INSERT", True, [("SESSION", 1, "WRITE", "INSERT", "TABLE",
                                     t, stmt, self.params(0))]
        if x < 0.55:
            t = r.choice(TABLES)
            stmt = ("update %s set status = 'paid', paid_at = now() "
                    "where id = %s" % (short(t), N_MARK))
            if r.random() < 0.4:
                stmt = "%s %s" % (self.comment(r.choice(AGENTS)), stmt)
            return "UPDATE", True, [("SESSION", 1, "WRITE", "UPDATE", "TABLE",
                                     t, stmt, self.params(0))]
        if x < 0.7:
            t = r.choice(TABLES)
            stmt = ("delete from %s where expires_at < now() - interval "
                    "'30 days'" % short(t))
            return "DELETE", True, [("SESSION", 1, "WRITE", "DELETE", "TABLE",
                                     t, stmt, self.params(0))]
        if x < 0.85:
            dst, src = r.sample(TABLES, 2)
            stmt = ("insert into %s (id, kind, payload)\nselect id, kind, "
                    "payload\n  from %s\n where created_at >= now() - "
                    "interval '1 day'" % (short(dst), short(src)))
            p = self.params(0)
            return "INSERT", True, [
                ("SESSION", 1, "READ", "SELECT", "TABLE", src, stmt, p),
                ("SESSION", 1, "WRITE", "INSERT", "TABLE", dst, stmt, p)]
        t = r.choice(TABLES)
        stmt = "update %s set note = $1, updated_by = $2 where id = $3" % (
            short(t))
        return "UPDATE", True, [("SESSION", 1, "WRITE", "UPDATE", "TABLE", t,
                                 stmt, self.params(3))]

    def ddl(self):
        r = self.r
        x = r.random()
        name = "tmp_%s_%x" % (r.choice(AGENTS).split("-")[0],
                              r.getrandbits(16))
        if x < 0.4:
            stmt = ("create table analytics.%s (\n  id bigint primary key,\n"
                    "  payload jsonb,\n  created_at timestamptz default now()"
                    "\n)" % name)
            p = self.params(0)
            return "CREATE TABLE", True, [
                ("SESSION", 1, "DDL", "CREATE TABLE", "TABLE",
                 "analytics." + name, stmt, p),
                ("SESSION", 1, "DDL", "CREATE TABLE", "INDEX",
                 "analytics.%s_pkey" % name, stmt, p)]
        if x < 0.6:
            t = r.choice(TABLES)
            stmt = "alter table %s add column notes_%x text" % (
                t, r.getrandbits(12))
            return "ALTER TABLE", True, [("SESSION", 1, "DDL", "ALTER TABLE",
                                          "TABLE", t, stmt, self.params(0))]
        if x < 0.8:
            t = r.choice(TABLES)
            idx = "%s_created_%x_idx" % (short(t), r.getrandbits(12))
            stmt = "create index %s on %s (created_at)" % (idx, t)
            return "CREATE INDEX", True, [
                ("SESSION", 1, "DDL", "CREATE INDEX", "INDEX",
                 "%s.%s" % (t.split(".")[0], idx), stmt, self.params(0))]
        stmt = "drop table if exists analytics.%s" % name
        return "DROP TABLE", True, [("SESSION", 1, "DDL", "DROP TABLE",
                                     "TABLE", "analytics." + name, stmt,
                                     self.params(0))]

    def role(self):
        r = self.r
        user = r.choice(ROLES)[0]
        t = r.choice(TABLES)
        x = r.random()
        # GRANT/REVOKE on tables: object type TABLE, empty object name
        # (what pgAudit 1.7 logs)
        otype = "TABLE"
        if x < 0.4:
            cmd, stmt = "GRANT", "GRANT SELECT, INSERT ON %s TO %s" % (t, user)
        elif x < 0.7:
            cmd, stmt = "REVOKE", "revoke delete on %s from %s" % (t, user)
        else:
            otype = ""
            cmd, stmt = "ALTER ROLE", (
                "alter role %s set statement_timeout = '30s'" % user)
        return cmd, True, [("SESSION", 1, "ROLE", cmd, otype, "", stmt,
                            self.params(0))]

    def function(self):
        r = self.r
        fn, t = r.choice(FUNCS)
        stmt = "select %s(%s, 0.15)" % (fn, N_MARK)
        logged = r.random() < 0.7     # log_parameter on for this role?
        p = "<none>" if logged else "<not logged>"

        def inner(n):
            return self.params(n) if logged else "<not logged>"
        recs = [("SESSION", 1, "FUNCTION", "EXECUTE", "FUNCTION", fn, stmt, p),
                ("SESSION", 2, "READ", "SELECT", "TABLE", t,
                 "select plan, discount from %s where id = $1" % short(t),
                 inner(1))]
        if r.random() < 0.5:
            recs.append(("SESSION", 3, "WRITE", "UPDATE", "TABLE", t,
                         "update %s\n   set discount = $2\n where id = $1"
                         % short(t), inner(2)))
        writes = len(recs) > 2
        # the top-level SELECT itself, no relation
        recs.append(("SESSION", len(recs) + 1, "READ", "SELECT", "", "", stmt,
                     p))
        return "SELECT", writes, recs

    def misc(self):
        r = self.r
        x = r.random()
        if x < 0.4:
            cmd, stmt = "VACUUM", "vacuum analyze %s" % r.choice(TABLES)
        elif x < 0.8:
            cmd, stmt = "DISCARD ALL", "discard all"
        else:
            cmd, stmt = "CHECKPOINT", "checkpoint"
        return cmd, False, [("SESSION", 1, "MISC", cmd, "", "", stmt,
                             "<not logged>")]

    def refused(self):
        """(command_tag, table, statement) of a refused statement."""
        r = self.r
        tbl = r.choice(SENSITIVE)
        x = r.random()
        if x < 0.35:
            cmd, stmt = "UPDATE", (
                "update %s set amount = 0, note = 'refund, manual' where id = %s"
                % (tbl, N_MARK))
        elif x < 0.7:
            cmd, stmt = "SELECT", "select * from %s where id = %s" % (tbl,
                                                                       N_MARK)
        elif x < 0.85:
            cmd, stmt = "DELETE", ("delete from %s\n where created_at < "
                                   "'2026-01-01'" % tbl)
        else:
            cmd, stmt = "SELECT", "%s\nselect \"id\", email from %s limit %s" % (
                self.comment(r.choice(AGENTS)), tbl, N_MARK)
        return cmd, tbl, stmt


def fmt_escape(s):
    """Turn raw text with markers into a %-format string."""
    return (s.replace("%", "%%").replace(N_MARK, "%(n)d")
            .replace(H_MARK, "%(h)s"))


def build_templates(rng, csv, log_rows=False):
    """Pre-render the message parts of a few hundred statements."""
    b = TemplateBuilder(rng)
    kinds = [(b.read_simple, 26), (b.read_join, 12), (b.read_multiline, 4),
             (b.read_literals, 12), (b.write, 20), (b.ddl, 6), (b.role, 4),
             (b.function, 8), (b.misc, 8)]
    audit = []
    for fn, weight in kinds:
        for _ in range(weight * 5):
            cmdtag, xid, recs = fn()
            parts = []
            for (atype, sub, cls, cmd, otype, oname, stmt, param) in recs:
                tail = ",%d,%s,%s,%s,%s,%s,%s" % (
                    sub, cls, cmd, otype, csv_field(oname), csv_field(stmt),
                    param)
                if log_rows:     # pgaudit.log_rows = on: a ROWS field
                    tail += ",%d" % (0 if cls in ("DDL", "ROLE", "MISC",
                                                  "FUNCTION")
                                     else rng.choice([0, 1, 1, 1, 3, 25]))
                head = "AUDIT: %s," % atype
                if csv:
                    head = '"' + head
                    tail = tail.replace('"', '""') + '"'
                else:
                    tail = tail.replace("\n", "\n\t")
                parts.append((head, fmt_escape(tail)))
            audit.append((cmdtag, xid, parts))
    refused = []
    for _ in range(120):
        cmdtag, tbl, stmt = b.refused()
        msg = "permission denied for table %s" % tbl
        if csv:
            msg = '"%s"' % msg
            q = fmt_escape('"' + stmt.replace('"', '""') + '"')
        else:
            q = fmt_escape(stmt.replace("\n", "\n\t"))
        refused.append((cmdtag, msg, q))
    return audit, refused


# --------------------------------------------------------------------------
# Generator
# --------------------------------------------------------------------------

class Session:
    __slots__ = ("pid", "user", "db", "host", "port", "sid", "start",
                 "start_epoch", "app", "line", "stmt", "bid", "lxid",
                 "pre", "post")


def generate(fmt, size_bytes, out, seed, log_rows=False):
    csv = fmt == "csvlog"
    rng = random.Random(seed)
    audit, refused = build_templates(rng, csv, log_rows)
    rnd = rng.random
    getrandbits = rng.getrandbits

    avg_audit = sum(len(p) for _, _, p in audit) / len(audit)
    # fraction of events that are refused / other so that per 100 entries
    # ~80 are AUDIT, ~10 refused and ~10 other (other events emit ~2 entries)
    # (an "other" event emits ~2.8 entries on average)
    x = 1.0 / (8.0 / avg_audit + 1.0 + 1.0 / 2.8)
    p_refused = x
    p_other = p_refused + x / 2.8

    t0_epoch = calendar.timegm((2026, 11, 24, 0, 0, 0))
    clock_ms = [t0_epoch * 1000]
    sec_cache = [None, ""]

    def ts_ms():
        ms = clock_ms[0]
        s = ms // 1000
        if s != sec_cache[0]:
            sec_cache[0] = s
            sec_cache[1] = time.strftime("%Y-%m-%d %H:%M:%S",
                                         time.gmtime(s))
        return "%s.%03d UTC" % (sec_cache[1], ms % 1000)

    def fmt_start(epoch):
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))

    pid_box = [40000 + rng.randint(0, 999)]
    bid_box = [3]
    xid_box = [731000 + rng.randint(0, 9999)]

    def new_session(start_epoch):
        s = Session()
        pid_box[0] += rng.randint(1, 97)
        s.pid = pid_box[0]
        s.user, s.db = rng.choice(ROLES)
        s.host = rng.choice(HOSTS)
        s.port = rng.randint(32768, 60999)
        s.start_epoch = start_epoch
        s.start = fmt_start(start_epoch)
        s.sid = "%x.%x" % (start_epoch, s.pid)
        x = rng.random()
        if x < 0.85:
            s.app = "%s@s%x" % (rng.choice(AGENTS), rng.getrandbits(rng.choice(
                [16, 24, 32])))
        elif x < 0.92:
            s.app = ""
        else:
            s.app = rng.choice(["psql", "pgAdmin 4 - CONN:123", "dbt"])
        s.line = 0
        s.stmt = 0
        bid_box[0] = bid_box[0] % 90 + 3
        s.bid = bid_box[0]
        s.lxid = rng.randint(1, 500)
        conn = s.host if s.host == "[local]" else "%s:%d" % (s.host, s.port)
        if csv:
            s.pre = ',"%s","%s",%d,"%s",%s,' % (s.user, s.db, s.pid, conn,
                                                s.sid)
            s.post = ',,,"%s","client backend",,0\n' % s.app.replace('"', '""')
        else:
            s.pre = " [%d] %s@%s app=%s " % (s.pid, s.user, s.db,
                                             s.app or "[unknown]")
            s.post = ""
        return s

    sessions = [new_session(t0_epoch - rng.randint(60, 7200))
                for _ in range(16)]
    for s in sessions:      # already running when the log file starts
        s.line = rng.randint(3, 5000)
        s.stmt = rng.randint(0, 4000)
    ckpt_pid = 31000 + rng.randint(0, 999)
    ckpt_start = t0_epoch - 86400 * 3
    ckpt_sid = "%x.%x" % (ckpt_start, ckpt_pid)
    ckpt_line = [rng.randint(100, 900)]
    ckpt_pending = [0, 0.0]   # entries until "complete", write seconds

    counts = {"audit": 0, "refused": 0, "connection": 0, "disconnection": 0,
              "checkpoint": 0}
    buf = []
    written = 0
    records = 0   # csvlog records / stderr messages
    f = open(out, "wb")
    t_start = time.time()

    def ckpt_entry(msg):
        ckpt_line[0] += 1
        ts = ts_ms()
        if csv:
            return ('%s,,,%d,,%s,%d,,%s,,0,LOG,00000,"%s",,,,,,,,,"",'
                    '"checkpointer",,0\n' % (ts, ckpt_pid, ckpt_sid,
                                            ckpt_line[0], fmt_start(ckpt_start),
                                            msg))
        return "%s [%d] LOG:  %s\n" % (ts, ckpt_pid, msg)

    n_audit = len(audit)
    n_refused = len(refused)
    n_sess = len(sessions)
    while written < size_bytes:
        for _ in range(2000):
            clock_ms[0] += int(rnd() * rnd() * 60)
            r = rnd()
            s = sessions[int(rnd() * n_sess)]
            d = {"n": getrandbits(16) + 1, "h": "%08x" % getrandbits(32)}
            if r >= p_other:
                # ---- pgAudit entries of one statement
                cmdtag, assigns, parts = audit[int(rnd() * n_audit)]
                s.stmt += 1
                s.lxid += 1
                if assigns:
                    xid_box[0] += 1
                    xid = xid_box[0]
                else:
                    xid = 0
                ts = ts_ms()
                sid = str(s.stmt)
                for head, tail in parts:
                    s.line += 1
                    if csv:
                        buf.append('%s%s%d,"%s",%s,%d/%d,%d,LOG,00000,%s%s%s'
                                   ',,,,,,%s' % (ts, s.pre, s.line, cmdtag,
                                                s.start, s.bid, s.lxid, xid,
                                                head, sid, tail % d, s.post))
                    else:
                        buf.append("%s%sLOG:  %s%s%s\n" % (
                            ts, s.pre, head, sid, tail % d))
                counts["audit"] += len(parts)
                records += len(parts)
            elif r < p_refused:
                # ---- refused statement
                cmdtag, msg, q = refused[int(rnd() * n_refused)]
                s.lxid += 1
                s.line += 1
                ts = ts_ms()
                if csv:
                    buf.append('%s%s%d,"%s",%s,%d/%d,0,ERROR,42501,%s,,,,,,'
                               '%s%s' % (ts, s.pre, s.line, cmdtag, s.start,
                                           s.bid, s.lxid, msg, q % d, s.post))
                    records += 1
                else:
                    buf.append("%s%sERROR:  %s\n%s%sSTATEMENT:  %s\n" % (
                        ts, s.pre, msg, ts, s.pre, q % d))
                    records += 2
                counts["refused"] += 1
            else:
                # ---- other: session churn or checkpoint
                if ckpt_pending[0] == 0 and rnd() < 0.2:
                    buf.append(ckpt_entry("checkpoint starting: time"))
                    ckpt_pending[0] = rng.randint(50, 400)
                    ckpt_pending[1] = rnd() * 120
                    counts["checkpoint"] += 1
                    records += 1
                    continue
                # disconnect s, connect a new session in its place
                idx = sessions.index(s)
                now_s = clock_ms[0] // 1000
                dur = clock_ms[0] - s.start_epoch * 1000
                hp = ("host=[local]" if s.host == "[local]"
                      else "host=%s port=%d" % (s.host, s.port))
                msg = ("disconnection: session time: %d:%02d:%02d.%03d "
                       "user=%s database=%s %s" % (
                           dur // 3600000, dur // 60000 % 60,
                           dur // 1000 % 60, dur % 1000, s.user, s.db, hp))
                s.line += 1
                ts = ts_ms()
                if csv:
                    buf.append('%s%s%d,"idle",%s,,0,LOG,00000,"%s",,,,,,%s' % (
                        ts, s.pre, s.line, s.start, msg, s.post))
                else:
                    buf.append("%s%sLOG:  %s\n" % (ts, s.pre, msg))
                n = new_session(now_s)
                sessions[idx] = n
                clock_ms[0] += rng.randint(1, 900)
                ts = ts_ms()
                hp = ("host=[local]" if n.host == "[local]"
                      else "host=%s port=%d" % (n.host, n.port))
                conn = n.host if n.host == "[local]" else "%s:%d" % (n.host,
                                                                     n.port)
                auth = "connection authorized: user=%s database=%s" % (n.user,
                                                                        n.db)
                if n.app:
                    auth += " application_name=%s" % n.app
                if csv:
                    buf.append(
                        '%s,,,%d,"%s",%s,1,"",%s,,0,LOG,00000,'
                        '"connection received: %s",,,,,,,,,"",'
                        '"not initialized",,0\n' % (ts, n.pid, conn, n.sid,
                                                     n.start, hp))
                    buf.append(
                        '%s,"%s","%s",%d,"%s",%s,2,"authentication",%s,%d/1,0,'
                        'LOG,00000,"%s",,,,,,,,,"","client backend",,0\n' % (
                            ts, n.user, n.db, n.pid, conn, n.sid, n.start,
                            n.bid, auth.replace('"', '""')))
                else:
                    buf.append("%s [%d] [unknown]@[unknown] app=[unknown] "
                               "LOG:  connection received: %s\n" % (ts, n.pid,
                                                                    hp))
                    buf.append("%s [%d] %s@%s app=[unknown] LOG:  %s\n" % (
                        ts, n.pid, n.user, n.db, auth))
                n.line = 2
                counts["disconnection"] += 1
                counts["connection"] += 2
                records += 3
            if ckpt_pending[0]:
                ckpt_pending[0] -= 1
                if ckpt_pending[0] == 0:
                    w = ckpt_pending[1]
                    nb = rng.randint(50, 20000)
                    buf.append(ckpt_entry(
                        "checkpoint complete: wrote %d buffers (%.1f%%); "
                        "0 WAL file(s) added, 0 removed, %d recycled; "
                        "write=%.3f s, sync=%.3f s, total=%.3f s; sync "
                        "files=%d, longest=%.3f s, average=%.3f s; "
                        "distance=%d kB, estimate=%d kB" % (
                            nb, nb / 163.84, rng.randint(0, 3), w, w / 900,
                            w + w / 800, rng.randint(3, 80), w / 2000,
                            w / 9000, nb * 8, nb * 9)))
                    counts["checkpoint"] += 1
                    records += 1
        data = "".join(buf).encode("utf-8")
        buf.clear()
        f.write(data)
        written += len(data)
    f.close()
    secs = time.time() - t_start
    summary = {"format": fmt, "out": out, "bytes": written,
               "records": records, "kinds": counts,
               "expected_rows": counts["audit"] + counts["refused"],
               "seconds": round(secs, 3),
               "mb_per_s": round(written / 1e6 / secs, 1) if secs else None}
    return summary


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--format", choices=["csvlog", "stderr"], required=True)
    ap.add_argument("--size-mb", type=float, required=True,
                    help="approximate output size in MB (1 MB = 10^6 bytes)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--log-rows", action="store_true",
                    help="imitate pgaudit.log_rows = on (pgAudit >= 1.7): a "
                    "10th ROWS field after PARAMETER")
    a = ap.parse_args()
    if a.size_mb <= 0:
        ap.error("--size-mb must be positive")
    tmp = a.out + ".partial"
    summary = generate(a.format, int(a.size_mb * 1e6), tmp, a.seed,
                       a.log_rows)
    os.replace(tmp, a.out)
    summary["out"] = a.out
    print(json.dumps(summary), file=sys.stderr)


if __name__ == "__main__":
    main()

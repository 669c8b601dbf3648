//! Every table agaudit writes, declared in one place: the case's data dictionary.
//!
//! Each [`table!`](crate::table) block below is the one declaration of a table: its columns,
//! their kinds, descriptions and redaction classes. From it come the row struct, the Arrow
//! schema (mirrored in schemas/<table>.arrow.json), the builder and the typed view; the closed
//! vocabularies of its columns are declared next to it with [`vocabulary!`](crate::vocabulary).
//! Reading this file top to bottom is reading schemas/ in the order the pipeline writes it. What
//! a table needs beyond its columns (the columns one input file shares, the semantic-convention
//! spread, the claim digest) lives in the table's own module, which re-exports these types.
//!
//! In: nothing. Out: the row, builder and view types of every table.

use agaudit_capture_format::Kind;

use super::declare::kind::*;
use super::spans::{SEMCONV_COUNT, SemconvColumns};
use crate::policy::{Class, OnViolation, Op, Violation};

// db_events: pgAudit entries and refused statements (ingest of PostgreSQL logs).

crate::vocabulary! {
    /// Outcome of a statement as the database decided it.
    pub enum DbOutcome {
        /// pgAudit logged it: the database passed its permission checks and executed it.
        #[default]
        Ok = "ok",
        /// The database rejected it with an ERROR before pgAudit logged anything.
        Refused = "refused",
        /// pgAudit logged it, then it ended in an ERROR (constraint violation, cancel, ...).
        Failed = "failed",
    }
}

crate::vocabulary! {
    /// Whether pgAudit logged the statement text with this row.
    pub enum StatementState {
        #[default]
        Logged = "logged",
        /// pgaudit.log_statement = off.
        NotLogged = "not_logged",
        /// pgaudit.log_statement_once: an earlier substatement row carried it.
        PreviouslyLogged = "previously_logged",
    }
}

crate::vocabulary! {
    /// The log format a row was read from (docs/formats.md); envelopes of one family share it.
    pub enum LogFamily {
        #[default]
        Stderr = "stderr",
        Csvlog = "csvlog",
        Jsonlog = "jsonlog",
        Syslog = "syslog",
        Heroku = "heroku",
        CloudwatchExport = "cloudwatch_export",
        Cloudwatch = "cloudwatch",
        Cloudnativepg = "cloudnativepg",
        CloudLogging = "cloud_logging",
        Azure = "azure",
    }
}

crate::table! {
    /// One row, as the pgAudit stage reads it (the builder redacts each column as its class
    /// says). Its text borrows from the log message it was read from, and the columns that are
    /// the same for every row of a file from its [`FileColumns`] ([`FileColumns::stamp`]): a row
    /// costs no allocation of its own.
    pub struct DbEvent<'a> in "db_events", builder DbEventsBuilder, view DbEventsView {
        /// when the server logged it, UTC, microseconds
        ts: TsUs = Fixed,
        /// raw file the row came from (path as given to ingest)
        source_file: CowText = Identifier,
        /// 1-based line of the row's first line in the decompressed file
        source_line: U64 = Fixed,
        /// lines the row spans (continuations, STATEMENT lines)
        source_lines: U32 = Fixed,
        /// blake3 of the raw file's bytes (chain of custody, ingest.json)
        source_blake3: CowText = Fixed,
        /// stderr | csvlog | jsonlog | syslog | heroku | cloudwatch_export | cloudwatch | cloudnativepg | cloud_logging | azure (docs/formats.md)
        log_format: Enum<LogFamily> = Fixed,
        /// the server label given at ingest (--label server=NAME), else the server the log's envelope names (Cloud SQL instance, Azure server, CloudWatch log stream, CloudNativePG pod)
        server: OptCowText = Identifier,
        /// every --label KEY=VALUE given at ingest
        labels: Labels = Structured,
        /// database role of the session
        db_user: OptCowText = Identifier,
        /// database name
        database: OptCowText = Identifier,
        /// application_name; null when unset
        application_name: OptCowText = Identifier,
        /// AGENT of an application_name AGENT@SESSION
        agent: OptCowText = Identifier,
        /// SESSION of an application_name AGENT@SESSION
        session: OptCowText = Identifier,
        /// server process id of the session
        backend_pid: OptI32 = Fixed,
        /// PostgreSQL session id (%c)
        session_id: OptCowText = Identifier,
        /// client host or address; [local] for a unix socket
        client_addr: OptCowText = Identifier,
        /// pgAudit AUDIT_TYPE: SESSION or OBJECT
        audit_type: OptCowText = Identifier,
        /// pgAudit STATEMENT_ID (per session)
        statement_id: OptI64 = Fixed,
        /// pgAudit SUBSTATEMENT_ID
        substatement_id: OptI64 = Fixed,
        /// READ, WRITE, FUNCTION, ROLE, DDL, MISC, MISC_SET; derived from the command for refused statements
        class: OptCowText = Identifier,
        /// command tag, e.g. SELECT, UPDATE, ALTER TABLE
        command: OptCowText = Identifier,
        /// pgAudit OBJECT_TYPE, or the kind named in a refusal message
        object_type: OptCowText = Identifier,
        /// pgAudit OBJECT_NAME (schema-qualified), or the object named in a refusal message
        object_name: OptCowText = Identifier,
        /// statement with literals replaced by ? and secrets redacted
        statement: OptCowText = Sql,
        /// logged | not_logged | previously_logged
        statement_state: Enum<StatementState> = Fixed,
        /// number of bound parameters (values are never stored); null when not logged
        parameter_count: OptI32 = Fixed,
        /// rows affected (pgaudit.log_rows)
        rows: OptI64 = Fixed,
        /// ok | refused | failed
        outcome: Enum<DbOutcome> = Fixed,
        /// SQLSTATE of the error, for refused and failed rows
        sqlstate: OptCowText = Identifier,
        /// error message with values removed and secrets redacted
        error: OptCowText = Text,
        /// trace id from a sqlcommenter traceparent
        trace_id: OptCowText = Fixed,
        /// parent span id from a sqlcommenter traceparent
        span_id: OptCowText = Fixed,
    }
}

// spans: OpenTelemetry spans (ingest of OTLP JSON).

crate::vocabulary! {
    /// OpenTelemetry's span kind; `unknown` for a number the specification does not define.
    pub enum SpanKind {
        #[default]
        Unspecified = "unspecified",
        Internal = "internal",
        Server = "server",
        Client = "client",
        Producer = "producer",
        Consumer = "consumer",
        Unknown = "unknown",
    }
}

crate::vocabulary! {
    /// OpenTelemetry's status code; `unknown` for a number the specification does not define.
    pub enum SpanStatus {
        #[default]
        Unset = "unset",
        Ok = "ok",
        Error = "error",
        Unknown = "unknown",
    }
}

crate::table! {
    /// One span, already redacted.
    pub struct SpanRow<'a> in "spans", builder SpansBuilder, view SpansView {
        /// span start, UTC, nanoseconds
        start_time: TsNs = Fixed,
        /// span end, UTC, nanoseconds
        end_time: TsNs = Fixed,
        /// trace id, 32 lower-case hex digits; null when the exporter wrote an empty or all-zero id (such a span is kept but cannot be chained)
        trace_id: OptText = Fixed,
        /// span id, 16 lower-case hex digits; null when the exporter wrote an empty or all-zero id
        span_id: OptText = Fixed,
        /// parent span id; null for a root span
        parent_span_id: OptText = Fixed,
        /// W3C tracestate, secret-scanned
        trace_state: OptCowText = Identifier,
        /// span name, secret-scanned
        name: OptCowText = Identifier,
        /// unspecified | internal | server | client | producer | consumer
        kind: Enum<SpanKind> = Fixed,
        /// unset | ok | error
        status: Enum<SpanStatus> = Fixed,
        /// the status description, only as its length (`[message: N bytes]`): it usually quotes
        /// an exception message, and with it the data that failed
        status_message: OptText = Length,
        /// resource attribute service.name
        service_name: OptCowText = Identifier,
        /// resource attribute process.pid
        process_pid: OptI64 = Fixed,
        /// resource attribute host.name
        host_name: OptCowText = Identifier,
        /// the agent: AGENT of gen_ai.agent.name AGENT@SESSION, else gen_ai.agent.name, else gen_ai.agent.id
        agent: OptCowText = Identifier,
        /// the agent session: SESSION of gen_ai.agent.name AGENT@SESSION, else gen_ai.conversation.id, else session.id
        session: OptCowText = Identifier,
        /// the semantic-convention columns ([`SEMCONV_COLUMNS`]), in that order
        semconv: Spread<SEMCONV_COUNT, SemconvColumns> = Identifier,
        /// MCP server: SERVER of a tool name mcp__SERVER__TOOL, else mcp.server.name, else service.name of an MCP server span
        server: OptCowText = Identifier,
        /// MCP tool: TOOL of mcp__SERVER__TOOL, else gen_ai.tool.name, else for a tools/call span the tool its name ends with ("tools/call TOOL", the MCP conventions' span name)
        tool: OptCowText = Identifier,
        /// db.query.text (db.statement in older conventions) with literals replaced by ? and secrets redacted
        db_query: OptText = Sql,
        /// trace id of a sqlcommenter traceparent in db.query.text
        query_trace_id: OptText = Fixed,
        /// parent span id of a sqlcommenter traceparent in db.query.text
        query_span_id: OptText = Fixed,
        /// server.port
        server_port: OptI32 = Fixed,
        /// network.peer.port
        peer_port: OptI32 = Fixed,
        /// instrumentation scope name
        scope_name: OptCowText = Identifier,
        /// instrumentation scope version
        scope_version: OptCowText = Identifier,
        /// span attributes, except those lifted into columns; values rendered as text (arrays and maps as JSON) and secret-scanned; payload attributes (prompts, messages, tool arguments and results) only as [payload: N bytes]
        attributes: Pairs = Structured,
        /// instrumentation scope attributes, except those lifted into columns; values rendered as text (arrays and maps as JSON) and secret-scanned; payload attributes (prompts, messages, tool arguments and results) only as [payload: N bytes]
        scope_attributes: SharedPairs = Structured,
        /// resource attributes, except those lifted into columns; values rendered as text (arrays and maps as JSON) and secret-scanned; payload attributes (prompts, messages, tool arguments and results) only as [payload: N bytes]
        resource_attributes: SharedPairs = Structured,
        /// span events as a JSON array of {time_unix_nano, name, attributes}, redacted like attributes; null when none
        events: OptText = Structured,
        /// span links as a JSON array of {trace_id, span_id, attributes}, redacted like attributes; null when none
        links: OptText = Structured,
        /// 1-based line of the JSON line (or document) the row came from, in the decompressed file
        source: Source = Fixed,
    }
}

// log_events: one row per OpenTelemetry log record, with Claude Code's telemetry events
// understood (session, user, tool, decision, success). The OTLP stage writes it, already
// redacted.

crate::table! {
    /// One log record, already redacted.
    pub struct LogEventRow<'a> in "log_events", builder LogEventsBuilder, view LogEventsView {
        /// when the event occurred, UTC, nanoseconds
        time: TsNs = Fixed,
        /// when the collector or SDK observed it, UTC, nanoseconds
        observed_time: TsNs = Fixed,
        /// OpenTelemetry severity number (1-24)
        severity_number: OptI32 = Fixed,
        /// severity as the source wrote it
        severity_text: OptCowText = Identifier,
        /// the record's eventName, else a body that is an event name and ends with the event.name attribute (Claude Code: body claude_code.tool_result, event.name tool_result), else the event.name attribute, else a body that is an event name
        event_name: OptCowText = Identifier,
        /// trace id of the span active when it was logged
        trace_id: OptText = Fixed,
        /// span id of the span active when it was logged
        span_id: OptText = Fixed,
        /// resource attribute service.name
        service_name: OptCowText = Identifier,
        /// AGENT of gen_ai.agent.name AGENT@SESSION, else gen_ai.agent.name; null when the record names no agent
        agent: OptCowText = Identifier,
        /// SESSION of gen_ai.agent.name AGENT@SESSION, else session.id
        session: OptCowText = Identifier,
        /// session.id (Claude Code: one per CLI session)
        session_id: OptCowText = Identifier,
        /// user.account_uuid (Claude Code)
        user_account_uuid: OptCowText = Identifier,
        /// user.email (Claude Code) after the secret scan: the e-mail rule redacts addresses, so this only shows one was sent; user_account_uuid identifies the account
        user_email: OptCowText = Identifier,
        /// user.id (Claude Code: anonymous installation id)
        user_id: OptCowText = Identifier,
        /// organization.id (Claude Code)
        organization_id: OptCowText = Identifier,
        /// tool_name (Claude Code) or gen_ai.tool.name, as given (e.g. Bash, mcp__reporting__query_reports)
        tool_name: OptCowText = Identifier,
        /// tool_use_id attribute (ties tool_decision to tool_result)
        tool_use_id: OptCowText = Identifier,
        /// MCP server: tool_parameters.mcp_server_name, else SERVER of mcp__SERVER__TOOL or mcp__plugin_P_SERVER__TOOL
        server: OptCowText = Identifier,
        /// MCP tool: tool_parameters.mcp_tool_name, else TOOL of the MCP tool name; the tool name itself for built-in tools
        tool: OptCowText = Identifier,
        /// accept | reject (tool_decision, tool_result)
        decision: OptCowText = Identifier,
        /// who decided: config, user_permanent, user_temporary, user_abort, user_reject, hook, ...
        decision_source: OptCowText = Identifier,
        /// tool_result success ("true"/"false" in the source); null when absent or not a boolean
        success: OptBool = Fixed,
        /// duration_ms attribute
        duration_ms: OptF64 = Fixed,
        /// error attribute with values removed and secrets redacted
        error: OptText = Text,
        /// prompt_length, else the length in bytes of a prompt attribute (the prompt itself is never stored)
        prompt_length: OptI64 = Fixed,
        /// the body as text (maps and arrays as JSON), secret-scanned; null when absent
        body: OptText = Structured,
        /// record attributes not lifted into columns, as text, secret-scanned; payloads (prompt, tool_parameters, tool input and output) only as [payload: N bytes]
        attributes: Pairs = Structured,
        /// resource attributes, as text, secret-scanned
        resource_attributes: Pairs = Structured,
        /// instrumentation scope name
        scope_name: OptCowText = Identifier,
        /// 1-based line of the JSON line (or document) the row came from, in the decompressed file
        source: Source = Fixed,
    }
}

// tool_hints: what each MCP tool claims about itself (untrusted hints).

crate::vocabulary! {
    /// Where a claim was seen.
    pub enum Origin {
        /// A file holding one tools/list result (JSON-RPC response or bare result).
        #[default]
        ToolsList = "tools_list",
        /// A tools/list response inside captured MCP traffic (JSON lines).
        Traffic = "traffic",
        /// Annotation attributes on an OpenTelemetry span.
        SpanAttribute = "span_attribute",
    }
}

crate::table! {
    /// One claim, already redacted. Set the eight hint columns with [`ToolHintRow::with_hints`].
    pub struct ToolHintRow<'a> in "tool_hints", builder ToolHintsBuilder, view ToolHintsView {
        /// MCP server: serverInfo.name of the initialize result in the same file, else the mcp_server label, else the file name without extension; for span claims the span's server
        server: OptText = Identifier,
        /// tool name
        tool: Text = Identifier,
        /// annotations.title, else the tool's title; secret-scanned
        title: OptText = Identifier,
        /// readOnlyHint as the server declared it (an untrusted claim); null when not declared
        read_only_hint: OptBool = Fixed,
        /// destructiveHint as the server declared it (an untrusted claim); null when not declared
        destructive_hint: OptBool = Fixed,
        /// idempotentHint as the server declared it (an untrusted claim); null when not declared
        idempotent_hint: OptBool = Fixed,
        /// openWorldHint as the server declared it (an untrusted claim); null when not declared
        open_world_hint: OptBool = Fixed,
        /// readOnlyHint after the MCP defaults (absent = false); still only a claim
        effective_read_only: Bool = Fixed,
        /// destructiveHint after the MCP defaults (absent = true); still only a claim
        effective_destructive: Bool = Fixed,
        /// idempotentHint after the MCP defaults (absent = false); still only a claim
        effective_idempotent: Bool = Fixed,
        /// openWorldHint after the MCP defaults (absent = true); still only a claim
        effective_open_world: Bool = Fixed,
        /// where the claim was seen: tools_list (a tools/list result file) | traffic (captured MCP JSON-RPC lines) | span_attribute
        origin: Enum<Origin> = Fixed,
        /// 1-based number of the tools/list listing within the file (pages of one listing share it); null for span claims
        listing: OptI32 = Fixed,
        /// when the claim was seen (span start for span claims); null when the source does not say
        seen_at: TsNs = Fixed,
        /// trace of the span that carried the claim
        trace_id: OptText = Fixed,
        /// span that carried the claim
        span_id: OptText = Fixed,
        /// blake3 (16 hex digits) of the tool's name, title and declared hints: equal digests, same claim; a changed digest between listings is a changed claim
        claim_digest: Text = Fixed,
        /// 1-based line of the JSON line (or document) the row came from, in the decompressed file
        source: Source = Fixed,
    }
}

// kernel_events and processes: what ebpf-capture saw the kernel do.

crate::table! {
    /// One kernel event, already redacted.
    pub struct KernelEventRow<'a> in "kernel_events", builder KernelEventsBuilder, view KernelEventsView {
        /// when, UTC (boot clock converted with the capture header's clock pair)
        ts: TsNs = Fixed,
        /// CLOCK_BOOTTIME of the event, ns (orders events within one boot)
        boot_ns: U64 = Fixed,
        /// host name from the capture header
        host: Text = Identifier,
        /// boot id from the capture header
        boot_id: Text = Identifier,
        /// process (thread group) id
        pid: U32 = Fixed,
        /// thread id
        tid: U32 = Fixed,
        /// parent process id
        ppid: U32 = Fixed,
        /// user id
        uid: U32 = Fixed,
        /// command name (16 bytes, as the kernel keeps it)
        comm: Text = Identifier,
        /// cgroup v2 id
        cgroup_id: U64 = Fixed,
        /// exec | fork | exit | open (with write intent) | write (aggregated) | unlink | rename | truncate | chmod | connect | send
        event: Enum<Kind> = Fixed,
        /// the file (exec path, opened/written/unlinked/truncated/chmod-ed file, rename source), absolute; unix socket path for connect/send
        path: OptText = Identifier,
        /// rename destination
        new_path: OptText = Identifier,
        /// descriptor (open's result, written descriptor, socket)
        fd: OptI64 = Fixed,
        /// open flags (O_WRONLY 1, O_RDWR 2, O_CREAT 64, O_TRUNC 512, O_APPEND 1024); on a write, its open's: the row is the whole open, writes and close (or exit), and ts is the open's
        flags: OptU32 = Fixed,
        /// open or chmod mode
        mode: OptU32 = Fixed,
        /// inode of the written file
        inode: OptU64 = Fixed,
        /// write: bytes since the previous write row for this process and descriptor
        bytes: OptU64 = Fixed,
        /// write: write calls since then
        calls: OptU64 = Fixed,
        /// truncate: the new length
        length: OptI64 = Fixed,
        /// connect/send address family: 2 IPv4, 10 IPv6, 1 unix
        family: OptI32 = Fixed,
        /// connect/send destination address
        addr: OptText = Identifier,
        /// connect/send destination port
        port: OptU32 = Fixed,
        /// the syscall's result (negative errno on failure)
        result: OptI64 = Fixed,
        /// exit: the wait status
        exit_status: OptI32 = Fixed,
        /// exec: argv, space-separated; an argument that is a statement without its literals, URL
        /// query values as `?`; secret-scanned
        argv: OptText = Identifier,
        /// write: what flushed the totals (close, exit, interval, stop); exec: truncated when argv or the environment was cut
        flush: OptText = Identifier,
        /// AGENT the process declared (AGENT_ID or OTEL_RESOURCE_ATTRIBUTES, its own or inherited from its parent)
        agent: OptText = Identifier,
        /// SESSION (AGENT_SESSION_ID, AGENT@SESSION in AGENT_ID, or OTEL_RESOURCE_ATTRIBUTES)
        session: OptText = Identifier,
        /// trace id from TRACEPARENT (32 hex)
        trace_id: OptText = Fixed,
        /// 1-based number of the record in the capture file (the header is record 1)
        source: Source = Fixed,
    }
}

crate::table! {
    /// One process of the tree.
    pub struct ProcessRow<'a> in "processes", builder ProcessesBuilder, view ProcessesView {
        /// host name from the capture header
        host: Text = Identifier,
        /// boot id (with pid and started, identifies the process)
        boot_id: Text = Identifier,
        /// process id
        pid: U32 = Fixed,
        /// parent process id
        ppid: U32 = Fixed,
        /// user id
        uid: U32 = Fixed,
        /// command name at its last event
        comm: Text = Identifier,
        /// fork (or first event) time, UTC
        started: TsNs = Fixed,
        /// program of its last exec
        exec_path: OptText = Identifier,
        /// argv of its last exec, secret-scanned
        argv: OptText = Identifier,
        /// how many times it exec'd
        execs: U64 = Fixed,
        /// exit time, UTC; null when it outlived the capture
        exited: TsNs = Fixed,
        /// exit wait status
        exit_status: OptI32 = Fixed,
        /// AGENT the process declared (AGENT_ID or OTEL_RESOURCE_ATTRIBUTES, its own or inherited from its parent)
        agent: OptText = Identifier,
        /// SESSION (AGENT_SESSION_ID, AGENT@SESSION in AGENT_ID, or OTEL_RESOURCE_ATTRIBUTES)
        session: OptText = Identifier,
        /// trace id from TRACEPARENT (32 hex)
        trace_id: OptText = Fixed,
        /// pid, parent, grandparent … space-separated, as far as the capture saw
        lineage: Text = Fixed,
        /// kernel_events rows of this process
        events: U64 = Fixed,
        /// 1-based number of the record in the capture file of the process's first event
        source: Source = Fixed,
    }
}

// actions: one row per observed access, attributed and judged (correlate).

crate::vocabulary! {
    /// How sure an attribution is (DESIGN.md: identity); ordered from the strongest.
    pub enum Conf {
        Attributed = "attributed",
        Approximate = "approximate",
        #[default]
        Unattributed = "unattributed",
    }
}

crate::vocabulary! {
    /// What the source says happened, in agaudit's words.
    pub enum SourceOutcome {
        /// It went through.
        #[default]
        Ok = "ok",
        /// The database or the kernel refused it.
        Refused = "refused",
        /// Permitted, then failed (a constraint, a cancel).
        Failed = "failed",
        /// An error the source does not say more about.
        Error = "error",
    }
}

crate::vocabulary! {
    /// Whether the access went through: the outcome an auditor reads.
    pub enum Outcome {
        #[default]
        Allow = "allow",
        Deny = "DENY",
    }
}

crate::vocabulary! {
    /// How an access stands against the policy.
    pub enum Verdict {
        #[default]
        Ok = "ok",
        /// A violation the control refused: the control worked.
        ViolationRefused = "violation_refused",
        /// A violation that went through: the control failed (the most severe).
        ViolationAllowed = "violation_allowed",
        /// Unattributed, and no default block speaks to it.
        NotJudged = "not_judged",
    }
}

crate::vocabulary! {
    /// The table of an action's ground-truth row (in name order: actions sort by it).
    pub enum EvidenceTable {
        #[default]
        DbEvents = "db_events",
        KernelEvents = "kernel_events",
        Spans = "spans",
    }
}

crate::table! {
    /// One action, ready to write.
    pub struct ActionRow in "actions", builder ActionsBuilder, view ActionsView {
        /// 32 hex digits: blake3 of the evidence row hash (stable across re-runs and policies)
        action_id: Text = Fixed,
        /// when the access happened, UTC (the evidence row's time)
        ts: TsNs = Fixed,
        /// AGENT the access is attributed to; null when unattributed
        agent: OptText = Identifier,
        /// SESSION of AGENT@SESSION; null when unknown
        session: OptText = Identifier,
        /// identity used at the resource: database role, service account
        principal: OptText = Identifier,
        /// tool that made the access: nearest tool-call span above the access (gen_ai.tool.name / MCP tool)
        tool: OptText = Identifier,
        /// MCP server that ran the tool, from the span chain
        mcp_server: OptText = Identifier,
        /// SERVER/DATABASE[/SCHEMA.TABLE], file:///path, tcp://HOST:PORT (or a declared endpoint), s3://bucket/key
        resource: Text = Identifier,
        /// the resource lies on an endpoint the policy marks production = true
        production: Bool = Fixed,
        /// R (read) or RW (anything that can change state)
        op: Enum<Op> = Fixed,
        /// read | write | ddl | role | function | exec | network (docs/policy.md)
        class: Enum<Class> = Fixed,
        /// command as the source names it: SELECT, UPDATE, connect, …
        command: OptText = Identifier,
        /// allow (the source shows it went through) | DENY (the source refused it)
        outcome: Enum<Outcome> = Fixed,
        /// what the evidence says: ok | refused | failed (permitted, then failed) | error
        source_outcome: Enum<SourceOutcome> = Fixed,
        /// violated policy rule (read_only_violation, no_access_violation, write_only_violation, deny_CLASS_violation, unlisted_resource, unknown_agent); null when allowed or not judged
        violation: OptEnum<Violation> = Fixed,
        /// the policy rule that governs the access: agent NAME / resource PATTERN
        rule: OptText = Identifier,
        /// what the governing block asks for: block_and_alert | alert | log
        on_violation: OptEnum<OnViolation> = Fixed,
        /// ok | violation_refused (the control worked) | violation_allowed (the control failed: most severe) | not_judged (unattributed, no default block)
        verdict: Enum<Verdict> = Fixed,
        /// attributed | approximate | unattributed (docs/correlation.md)
        conf: Enum<Conf> = Fixed,
        /// how identity and outcome were established, or what is missing
        reason: Text = Derived,
        /// the tool's effective readOnlyHint in its latest listing (an untrusted claim); null when unknown
        claimed_read_only: OptBool = Fixed,
        /// trace that ties the access to its agent, when one does
        trace_id: OptText = Fixed,
        /// span of the access itself (db client span, HTTP client span)
        span_id: OptText = Fixed,
        /// table of the ground-truth row: db_events | kernel_events | spans
        evidence_table: Enum<EvidenceTable> = Fixed,
        /// raw file of that row (as given to ingest)
        evidence_file: Text = Derived,
        /// 1-based line of that row in its raw file
        evidence_line: U64 = Fixed,
        /// blake3 of the raw file (ingest.json chain of custody)
        evidence_blake3: Text = Fixed,
        /// blake3 of the evidence row as stored in Parquet (encoding in docs/ledger.md)
        evidence_row_hash: Text = Fixed,
        /// other rows behind the attribution or the same access, space-separated TABLE:FILE:LINE
        corroboration: OptText = Derived,
    }
}

// resolved_spans: a work table of correlate's partitions, never part of a case
// (docs/correlation.md, "Partitions"). A database client span or an MCP tools/call server span
// with what its chain of parents says, written by the partition of its trace and read by the
// rules that run elsewhere: the time-overlap rule for statements with no trace context, and
// kernel events placed in a tool call. Its text comes from evidence columns already made safe.

crate::table! {
    /// A span with its chain resolved, for a rule outside its trace's partition.
    pub struct ResolvedSpanRow in "resolved_spans", builder ResolvedSpansBuilder, view ResolvedSpansView {
        /// trace id as stored
        trace_id: Text = Derived,
        /// span id as stored
        span_id: Text = Derived,
        /// start of the span, UTC
        start: TsNs = Fixed,
        /// end of the span (its start when it has none), UTC
        end: TsNs = Fixed,
        /// a database client span (db.system set)
        db_client: Bool = Fixed,
        /// the database it names (db.namespace), when it does
        db_namespace: OptText = Derived,
        /// an MCP tools/call server span: the process that served it
        tool_call_pid: OptI64 = Fixed,
        /// the agent its chain names
        agent: OptText = Derived,
        /// that agent's session
        session: OptText = Derived,
        /// the tool its chain names
        tool: OptText = Derived,
        /// the MCP server its chain names
        mcp_server: OptText = Derived,
        /// raw file of the span
        source_file: Text = Derived,
        /// 1-based line of the span in that file
        source_line: U64 = Fixed,
    }
}

// findings: where a tool's claims and what was observed disagree. `agaudit diff` writes it:
// which tool (MCP server and name) claimed what (its effective annotations at the time), who
// used it (agent@session, or the principal when unattributed), what was observed instead (class,
// command, resource, outcome), by which layers and how often, how sure and how severe, and which
// actions and evidence rows prove it.

crate::vocabulary! {
    /// What a finding is.
    pub enum FindingKind {
        /// The tool claims readOnlyHint=true and changed state.
        #[default]
        ReadOnlyContradiction = "read_only_contradiction",
        /// The tool claims destructiveHint=false and destroyed something.
        DestructiveContradiction = "destructive_contradiction",
        /// The tool claims openWorldHint=false and reached the network.
        OpenWorldContradiction = "open_world_contradiction",
        /// The tool declares no annotations and wrote.
        UnannotatedWrite = "unannotated_write",
        /// The tool's annotations changed between listings.
        ClaimChanged = "claim_changed",
        /// A layer the policy relies on saw nothing (agaudit inventory).
        CoverageGap = "coverage_gap",
    }
}

crate::vocabulary! {
    /// How severe a finding is (docs/diff.md), from the most severe.
    pub enum FindingSeverity {
        Critical = "critical",
        High = "high",
        #[default]
        Medium = "medium",
        Low = "low",
    }
}

crate::table! {
    /// One finding, ready to write.
    pub struct FindingRow in "findings", builder FindingsBuilder, view FindingsView {
        /// 32 hex digits: blake3 of the kind, tool, actor and observation (stable across re-runs)
        finding_id: Text = Fixed,
        /// read_only_contradiction | destructive_contradiction | open_world_contradiction | unannotated_write | claim_changed (agaudit diff) | coverage_gap (agaudit inventory)
        kind: Enum<FindingKind> = Fixed,
        /// critical | high | medium | low (docs/diff.md)
        severity: Enum<FindingSeverity> = Fixed,
        /// MCP server of the tool, as the evidence names it
        mcp_server: OptText = Identifier,
        /// the tool (empty for a coverage gap)
        tool: Text = Identifier,
        /// AGENT that used the tool; null when unattributed
        agent: OptText = Identifier,
        /// SESSION of AGENT@SESSION
        session: OptText = Identifier,
        /// identity used at the resource (shown when there is no agent)
        principal: OptText = Identifier,
        /// the claim the observation contradicts (readOnlyHint=true, destructiveHint=false, openWorldHint=false), no annotations, or what changed
        claim: Text = Derived,
        /// the tool's annotations in force at the time (for claim_changed: the new ones), effective values after the MCP defaults
        annotations: Text = Derived,
        /// tool_hints rows of that claim (and, for claim_changed, of the new one): tool_hints:FILE:LINE
        claim_evidence: Text = Derived,
        /// observed class: write | ddl | role | network | … (null for claim_changed)
        class: OptEnum<Class> = Fixed,
        /// observed command: UPDATE, DELETE, connect, …
        command: OptText = Identifier,
        /// the resource the observation touched
        resource: OptText = Identifier,
        /// the resource is on an endpoint the policy marks production
        production: Bool = Fixed,
        /// allow (it went through) | DENY (refused: an attempt, rated lower)
        outcome: OptEnum<Outcome> = Fixed,
        /// layers that saw it, space-separated: db (pgAudit), telemetry (spans), kernel
        layers: Text = Fixed,
        /// seen by two or more layers
        corroborated: Bool = Fixed,
        /// how many actions this finding groups
        count: U64 = Fixed,
        /// first time observed, UTC
        first_ts: TsNs = Fixed,
        /// last time observed, UTC
        last_ts: TsNs = Fixed,
        /// the weakest attribution confidence among its actions: attributed | approximate | unattributed
        conf: Enum<Conf> = Fixed,
        /// one sentence: what was claimed and what was observed
        detail: Text = Derived,
        /// the actions behind it, space-separated (actions.action_id)
        action_ids: Text = Fixed,
        /// their ground-truth rows, space-separated TABLE:FILE:LINE
        evidence: Text = Derived,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_event_row_matches_schema() {
        let mut b = LogEventsBuilder::new();
        b.append(&LogEventRow {
            event_name: Some("claude_code.tool_result".into()),
            success: Some(true),
            ..Default::default()
        });
        let batch = b.finish().unwrap();
        assert_eq!(batch.num_rows(), 1);
        assert_eq!(batch.num_columns(), LogEventRow::schema().fields().len());
    }

    #[test]
    fn finding_row_matches_schema() {
        let mut b = FindingsBuilder::new();
        b.append(&FindingRow::default());
        assert_eq!(b.finish().unwrap().num_rows(), 1);
    }
}

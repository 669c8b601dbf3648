//! The `spans` table: one row per OpenTelemetry span, with the identity, tool and database
//! fields of the semantic conventions lifted into columns.
//!
//! [`SpanRow`] is a span as the OTLP stage produces it (already redacted, borrowing from the
//! parsed JSON where nothing had to change).
//!
//! In: redacted spans. Out: Arrow record batches.

use super::declare::kind::*;

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

/// The semantic-convention columns stored as text, in row order: (column, description); the
/// order of [`Semconv`]. Which attribute fills each is `otlp::semconv`'s one mapping table.
pub const SEMCONV_COUNT: usize = 16;
pub const SEMCONV_COLUMNS: [(&str, &str); SEMCONV_COUNT] = [
    (
        "agent_name",
        "gen_ai.agent.name as given (before splitting AGENT@SESSION)",
    ),
    ("agent_id", "gen_ai.agent.id"),
    ("conversation_id", "gen_ai.conversation.id"),
    ("session_id", "session.id"),
    ("enduser_id", "enduser.id"),
    (
        "operation_name",
        "gen_ai.operation.name (execute_tool, invoke_agent, chat, ...)",
    ),
    ("tool_name", "gen_ai.tool.name"),
    ("tool_call_id", "gen_ai.tool.call.id"),
    ("mcp_method", "mcp.method.name (tools/call, tools/list, ...)"),
    ("mcp_session_id", "mcp.session.id"),
    ("db_system", "db.system.name (db.system in older conventions)"),
    ("db_namespace", "db.namespace (db.name in older conventions)"),
    ("db_operation", "db.operation.name (db.operation in older conventions)"),
    (
        "db_collection",
        "db.collection.name (db.sql.table in older conventions)",
    ),
    ("server_address", "server.address"),
    ("peer_address", "network.peer.address"),
];

/// A semantic-convention column, by its place in [`SEMCONV_COLUMNS`] (same order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Semconv {
    AgentName,
    AgentId,
    ConversationId,
    SessionId,
    EnduserId,
    OperationName,
    ToolName,
    ToolCallId,
    McpMethod,
    McpSessionId,
    DbSystem,
    DbNamespace,
    DbOperation,
    DbCollection,
    ServerAddress,
    PeerAddress,
}

impl Semconv {
    /// Every column, in order.
    pub const ALL: [Semconv; SEMCONV_COUNT] = [
        Semconv::AgentName,
        Semconv::AgentId,
        Semconv::ConversationId,
        Semconv::SessionId,
        Semconv::EnduserId,
        Semconv::OperationName,
        Semconv::ToolName,
        Semconv::ToolCallId,
        Semconv::McpMethod,
        Semconv::McpSessionId,
        Semconv::DbSystem,
        Semconv::DbNamespace,
        Semconv::DbOperation,
        Semconv::DbCollection,
        Semconv::ServerAddress,
        Semconv::PeerAddress,
    ];

    /// The column's name.
    pub fn name(self) -> &'static str {
        SEMCONV_COLUMNS[self as usize].0
    }
}

impl<'a> std::ops::Index<Semconv> for SpreadValues<'a, SEMCONV_COUNT> {
    type Output = Option<std::borrow::Cow<'a, str>>;
    fn index(&self, c: Semconv) -> &Self::Output {
        &self.0[c as usize]
    }
}

/// The semantic-convention columns as a spread of the spans table.
pub struct SemconvColumns;

impl SpreadColumns for SemconvColumns {
    const COLUMNS: &'static [(&'static str, &'static str)] = &SEMCONV_COLUMNS;
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
        scope_attributes: Pairs = Structured,
        /// resource attributes, except those lifted into columns; values rendered as text (arrays and maps as JSON) and secret-scanned; payload attributes (prompts, messages, tool arguments and results) only as [payload: N bytes]
        resource_attributes: Pairs = Structured,
        /// span events as a JSON array of {time_unix_nano, name, attributes}, redacted like attributes; null when none
        events: OptText = Structured,
        /// span links as a JSON array of {trace_id, span_id, attributes}, redacted like attributes; null when none
        links: OptText = Structured,
        /// 1-based line of the JSON line (or document) the row came from, in the decompressed file
        source: Source = Fixed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::declare::SourceFile;

    #[test]
    fn row_matches_schema() {
        let file = SourceFile {
            file: "f".into(),
            blake3: "h".into(),
            labels: [("k".to_string(), "v".to_string())].into_iter().collect(),
        };
        let mut b = SpansBuilder::new();
        b.append(&SpanRow {
            trace_id: Some("t".into()),
            span_id: Some("s".into()),
            kind: SpanKind::Server,
            attributes: vec![("a".into(), "b".into())],
            source: file.at(3),
            ..Default::default()
        });
        let batch = b.finish().unwrap();
        assert_eq!(batch.num_rows(), 1);
        assert_eq!(batch.num_columns(), SpanRow::schema().fields().len());
        assert_eq!(SpansView::of(&batch).unwrap().source.line.get(0), 3);
    }
}

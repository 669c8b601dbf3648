//! The `spans` table: one row per OpenTelemetry span, with the identity, tool and database
//! fields of the semantic conventions lifted into columns.
//!
//! [`SpanRow`] is a span as the OTLP stage produces it (already redacted, borrowing from the
//! parsed JSON where nothing had to change); [`SpanRow::append`] writes it in [`schema`] order.
//!
//! In: redacted spans. Out: rows of a [`TableBuilder`].

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use arrow_schema::{DataType, Schema, SchemaRef};

use super::columns::{Row, Source, TableBuilder, field, source_fields, string_map, timestamp_ns};

pub const TABLE: &str = "spans";

type Text<'a> = Option<Cow<'a, str>>;

/// One span, already redacted.
#[derive(Debug, Default, Clone)]
pub struct SpanRow<'a> {
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    /// Null when the exporter wrote an empty id (the OpenTelemetry file-exporter example does).
    pub trace_id: Option<String>,
    pub span_id: Option<String>,
    pub parent_span_id: Option<String>,
    pub trace_state: Text<'a>,
    pub name: Text<'a>,
    pub kind: &'static str,
    pub status: &'static str,
    pub status_message: Option<String>,
    pub service_name: Text<'a>,
    pub process_pid: Option<i64>,
    pub host_name: Text<'a>,
    pub agent: Text<'a>,
    pub session: Text<'a>,
    /// Semantic-convention columns, in the order of `otlp::semconv::SPAN_COLUMNS`.
    pub semconv: [Text<'a>; SEMCONV_COUNT],
    pub server: Text<'a>,
    pub tool: Text<'a>,
    pub db_query: Option<String>,
    pub query_trace_id: Option<String>,
    pub query_span_id: Option<String>,
    pub server_port: Option<i32>,
    pub peer_port: Option<i32>,
    pub scope_name: Text<'a>,
    pub scope_version: Text<'a>,
    pub attributes: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    pub scope_attributes: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    pub resource_attributes: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    pub events: Option<String>,
    pub links: Option<String>,
    pub source_line: u64,
}

/// The semantic-convention columns stored as text, in row order: (column, description). Which
/// attribute fills each is `otlp::semconv`'s one mapping table.
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

fn list_of_pairs_doc(what: &str) -> String {
    format!(
        "{what}, except those lifted into columns; values rendered as text (arrays and maps as JSON) and \
         secret-scanned; payload attributes (prompts, messages, tool arguments and results) only as \
         [payload: N bytes]"
    )
}

/// The Arrow schema of `spans` (mirrored in schemas/spans.arrow.json).
pub fn schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            use DataType::*;
            let mut fields = vec![
                field("start_time", timestamp_ns(), true, "span start, UTC, nanoseconds"),
                field("end_time", timestamp_ns(), true, "span end, UTC, nanoseconds"),
                field(
                    "trace_id",
                    Utf8,
                    true,
                    "trace id, 32 lower-case hex digits; null when the exporter wrote an empty or all-zero id (such a span is kept but cannot be chained)",
                ),
                field(
                    "span_id",
                    Utf8,
                    true,
                    "span id, 16 lower-case hex digits; null when the exporter wrote an empty or all-zero id",
                ),
                field("parent_span_id", Utf8, true, "parent span id; null for a root span"),
                field("trace_state", Utf8, true, "W3C tracestate, secret-scanned"),
                field("name", Utf8, true, "span name, secret-scanned"),
                field(
                    "kind",
                    Utf8,
                    false,
                    "unspecified | internal | server | client | producer | consumer",
                ),
                field("status", Utf8, false, "unset | ok | error"),
                field(
                    "status_message",
                    Utf8,
                    true,
                    "status message with values removed and secrets redacted",
                ),
                field("service_name", Utf8, true, "resource attribute service.name"),
                field("process_pid", Int64, true, "resource attribute process.pid"),
                field("host_name", Utf8, true, "resource attribute host.name"),
                field(
                    "agent",
                    Utf8,
                    true,
                    "the agent: AGENT of gen_ai.agent.name AGENT@SESSION, else gen_ai.agent.name, else gen_ai.agent.id",
                ),
                field(
                    "session",
                    Utf8,
                    true,
                    "the agent session: SESSION of gen_ai.agent.name AGENT@SESSION, else gen_ai.conversation.id, else session.id",
                ),
            ];
            fields.extend(SEMCONV_COLUMNS.iter().map(|(n, d)| field(n, Utf8, true, d)));
            fields.extend([
                field(
                    "server",
                    Utf8,
                    true,
                    "MCP server: SERVER of a tool name mcp__SERVER__TOOL, else mcp.server.name, else service.name of an MCP server span",
                ),
                field(
                    "tool",
                    Utf8,
                    true,
                    "MCP tool: TOOL of mcp__SERVER__TOOL, else gen_ai.tool.name, else for a tools/call span the tool its name ends with (\"tools/call TOOL\", the MCP conventions' span name)",
                ),
                field(
                    "db_query",
                    Utf8,
                    true,
                    "db.query.text (db.statement in older conventions) with literals replaced by ? and secrets redacted",
                ),
                field(
                    "query_trace_id",
                    Utf8,
                    true,
                    "trace id of a sqlcommenter traceparent in db.query.text",
                ),
                field(
                    "query_span_id",
                    Utf8,
                    true,
                    "parent span id of a sqlcommenter traceparent in db.query.text",
                ),
                field("server_port", Int32, true, "server.port"),
                field("peer_port", Int32, true, "network.peer.port"),
                field("scope_name", Utf8, true, "instrumentation scope name"),
                field("scope_version", Utf8, true, "instrumentation scope version"),
                field("attributes", string_map(), false, &list_of_pairs_doc("span attributes")),
                field(
                    "scope_attributes",
                    string_map(),
                    false,
                    &list_of_pairs_doc("instrumentation scope attributes"),
                ),
                field(
                    "resource_attributes",
                    string_map(),
                    false,
                    &list_of_pairs_doc("resource attributes"),
                ),
                field(
                    "events",
                    Utf8,
                    true,
                    "span events as a JSON array of {time_unix_nano, name, attributes}, redacted like attributes; null when none",
                ),
                field(
                    "links",
                    Utf8,
                    true,
                    "span links as a JSON array of {trace_id, span_id, attributes}, redacted like attributes; null when none",
                ),
            ]);
            fields.extend(source_fields());
            Arc::new(Schema::new(fields))
        })
        .clone()
}

fn pairs<'r>(p: &'r [(Cow<'_, str>, Cow<'_, str>)]) -> impl Iterator<Item = (&'r str, Option<&'r str>)> {
    p.iter().map(|(k, v)| (k.as_ref(), Some(v.as_ref())))
}

impl SpanRow<'_> {
    pub fn append(&self, b: &mut TableBuilder, source: &Source) {
        let mut r: Row<'_> = b.row();
        r.ts_ns(self.start_time).ts_ns(self.end_time);
        r.str(self.trace_id.as_deref()).str(self.span_id.as_deref());
        r.str(self.parent_span_id.as_deref()).str(self.trace_state.as_deref());
        r.str(self.name.as_deref()).str(Some(self.kind)).str(Some(self.status));
        r.str(self.status_message.as_deref()).str(self.service_name.as_deref());
        r.i64(self.process_pid).str(self.host_name.as_deref());
        r.str(self.agent.as_deref()).str(self.session.as_deref());
        for v in &self.semconv {
            r.str(v.as_deref());
        }
        r.str(self.server.as_deref()).str(self.tool.as_deref());
        r.str(self.db_query.as_deref());
        r.str(self.query_trace_id.as_deref()).str(self.query_span_id.as_deref());
        r.i32(self.server_port).i32(self.peer_port);
        r.str(self.scope_name.as_deref()).str(self.scope_version.as_deref());
        r.map(pairs(&self.attributes));
        r.map(pairs(&self.scope_attributes));
        r.map(pairs(&self.resource_attributes));
        r.str(self.events.as_deref()).str(self.links.as_deref());
        r.source(source, self.source_line);
        r.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_matches_schema() {
        let mut b = TableBuilder::new(schema());
        let source = Source {
            file: "f".into(),
            blake3: "h".into(),
            labels: [("k".to_string(), "v".to_string())].into_iter().collect(),
        };
        SpanRow {
            trace_id: Some("t".into()),
            span_id: Some("s".into()),
            kind: "server",
            status: "unset",
            attributes: vec![("a".into(), "b".into())],
            ..Default::default()
        }
        .append(&mut b, &source);
        let batch = b.finish().unwrap();
        assert_eq!(batch.num_rows(), 1);
        assert_eq!(batch.num_columns(), schema().fields().len());
    }
}

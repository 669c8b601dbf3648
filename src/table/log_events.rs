//! The `log_events` table: one row per OpenTelemetry log record, with Claude Code's telemetry
//! events understood (session, user, tool, decision, success).
//!
//! [`LogEventRow`] is a record as the OTLP stage produces it (already redacted);
//! [`LogEventRow::append`] writes it in [`schema`] order.
//!
//! In: redacted log records. Out: rows of a [`TableBuilder`].

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use arrow_schema::{DataType, Schema, SchemaRef};

use super::columns::{Source, TableBuilder, field, source_fields, string_map, timestamp_ns};

pub const TABLE: &str = "log_events";

type Text<'a> = Option<Cow<'a, str>>;

/// One log record, already redacted.
#[derive(Debug, Default, Clone)]
pub struct LogEventRow<'a> {
    pub time: Option<i64>,
    pub observed_time: Option<i64>,
    pub severity_number: Option<i32>,
    pub severity_text: Text<'a>,
    pub event_name: Text<'a>,
    pub trace_id: Option<String>,
    pub span_id: Option<String>,
    pub service_name: Text<'a>,
    pub agent: Text<'a>,
    pub session: Text<'a>,
    pub session_id: Text<'a>,
    pub user_account_uuid: Text<'a>,
    pub user_email: Text<'a>,
    pub user_id: Text<'a>,
    pub organization_id: Text<'a>,
    pub tool_name: Text<'a>,
    pub tool_use_id: Text<'a>,
    pub server: Text<'a>,
    pub tool: Text<'a>,
    pub decision: Text<'a>,
    pub decision_source: Text<'a>,
    pub success: Option<bool>,
    pub duration_ms: Option<f64>,
    pub error: Option<String>,
    pub prompt_length: Option<i64>,
    pub body: Option<String>,
    pub attributes: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    pub resource_attributes: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    pub scope_name: Text<'a>,
    pub source_line: u64,
}

/// The Arrow schema of `log_events` (mirrored in schemas/log_events.arrow.json).
pub fn schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            use DataType::*;
            let mut fields = vec![
                field("time", timestamp_ns(), true, "when the event occurred, UTC, nanoseconds"),
                field(
                    "observed_time",
                    timestamp_ns(),
                    true,
                    "when the collector or SDK observed it, UTC, nanoseconds",
                ),
                field("severity_number", Int32, true, "OpenTelemetry severity number (1-24)"),
                field("severity_text", Utf8, true, "severity as the source wrote it"),
                field(
                    "event_name",
                    Utf8,
                    true,
                    "the record's eventName, else a body that is an event name and ends with the event.name attribute (Claude Code: body claude_code.tool_result, event.name tool_result), else the event.name attribute, else a body that is an event name",
                ),
                field("trace_id", Utf8, true, "trace id of the span active when it was logged"),
                field("span_id", Utf8, true, "span id of the span active when it was logged"),
                field("service_name", Utf8, true, "resource attribute service.name"),
                field(
                    "agent",
                    Utf8,
                    true,
                    "AGENT of gen_ai.agent.name AGENT@SESSION, else gen_ai.agent.name; null when the record names no agent",
                ),
                field(
                    "session",
                    Utf8,
                    true,
                    "SESSION of gen_ai.agent.name AGENT@SESSION, else session.id",
                ),
                field("session_id", Utf8, true, "session.id (Claude Code: one per CLI session)"),
                field("user_account_uuid", Utf8, true, "user.account_uuid (Claude Code)"),
                field(
                    "user_email",
                    Utf8,
                    true,
                    "user.email (Claude Code) after the secret scan: the e-mail rule redacts addresses, so this only shows one was sent; user_account_uuid identifies the account",
                ),
                field("user_id", Utf8, true, "user.id (Claude Code: anonymous installation id)"),
                field("organization_id", Utf8, true, "organization.id (Claude Code)"),
                field(
                    "tool_name",
                    Utf8,
                    true,
                    "tool_name (Claude Code) or gen_ai.tool.name, as given (e.g. Bash, mcp__reporting__query_reports)",
                ),
                field("tool_use_id", Utf8, true, "tool_use_id attribute (ties tool_decision to tool_result)"),
                field(
                    "server",
                    Utf8,
                    true,
                    "MCP server: tool_parameters.mcp_server_name, else SERVER of mcp__SERVER__TOOL or mcp__plugin_P_SERVER__TOOL",
                ),
                field(
                    "tool",
                    Utf8,
                    true,
                    "MCP tool: tool_parameters.mcp_tool_name, else TOOL of the MCP tool name; the tool name itself for built-in tools",
                ),
                field("decision", Utf8, true, "accept | reject (tool_decision, tool_result)"),
                field(
                    "decision_source",
                    Utf8,
                    true,
                    "who decided: config, user_permanent, user_temporary, user_abort, user_reject, hook, ...",
                ),
                field(
                    "success",
                    Boolean,
                    true,
                    "tool_result success (\"true\"/\"false\" in the source); null when absent or not a boolean",
                ),
                field("duration_ms", Float64, true, "duration_ms attribute"),
                field(
                    "error",
                    Utf8,
                    true,
                    "error attribute with values removed and secrets redacted",
                ),
                field(
                    "prompt_length",
                    Int64,
                    true,
                    "prompt_length, else the length in bytes of a prompt attribute (the prompt itself is never stored)",
                ),
                field(
                    "body",
                    Utf8,
                    true,
                    "the body as text (maps and arrays as JSON), secret-scanned; null when absent",
                ),
                field(
                    "attributes",
                    string_map(),
                    false,
                    "record attributes not lifted into columns, as text, secret-scanned; payloads (prompt, tool_parameters, tool input and output) only as [payload: N bytes]",
                ),
                field(
                    "resource_attributes",
                    string_map(),
                    false,
                    "resource attributes, as text, secret-scanned",
                ),
                field("scope_name", Utf8, true, "instrumentation scope name"),
            ];
            fields.extend(source_fields());
            Arc::new(Schema::new(fields))
        })
        .clone()
}

impl LogEventRow<'_> {
    pub fn append(&self, b: &mut TableBuilder, source: &Source) {
        let mut r = b.row();
        r.ts_ns(self.time).ts_ns(self.observed_time);
        r.i32(self.severity_number).str(self.severity_text.as_deref());
        r.str(self.event_name.as_deref());
        r.str(self.trace_id.as_deref()).str(self.span_id.as_deref());
        r.str(self.service_name.as_deref());
        r.str(self.agent.as_deref()).str(self.session.as_deref());
        r.str(self.session_id.as_deref()).str(self.user_account_uuid.as_deref());
        r.str(self.user_email.as_deref()).str(self.user_id.as_deref());
        r.str(self.organization_id.as_deref());
        r.str(self.tool_name.as_deref()).str(self.tool_use_id.as_deref());
        r.str(self.server.as_deref()).str(self.tool.as_deref());
        r.str(self.decision.as_deref()).str(self.decision_source.as_deref());
        r.bool(self.success).f64(self.duration_ms).str(self.error.as_deref());
        r.i64(self.prompt_length).str(self.body.as_deref());
        r.map(self.attributes.iter().map(|(k, v)| (k.as_ref(), Some(v.as_ref()))));
        r.map(
            self.resource_attributes
                .iter()
                .map(|(k, v)| (k.as_ref(), Some(v.as_ref()))),
        );
        r.str(self.scope_name.as_deref());
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
            labels: Default::default(),
        };
        LogEventRow {
            event_name: Some("claude_code.tool_result".into()),
            success: Some(true),
            ..Default::default()
        }
        .append(&mut b, &source);
        let batch = b.finish().unwrap();
        assert_eq!(batch.num_rows(), 1);
        assert_eq!(batch.num_columns(), schema().fields().len());
    }
}

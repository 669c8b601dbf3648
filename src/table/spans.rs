//! The `spans` table: one row per OpenTelemetry span, with the identity, tool and database
//! fields of the semantic conventions lifted into columns.
//!
//! [`SpanRow`] is a span as the OTLP stage produces it (already redacted, borrowing from the
//! parsed JSON where nothing had to change).
//!
//! In: redacted spans. Out: Arrow record batches.

use super::declare::kind::*;
pub use super::schema::{SpanKind, SpanRow, SpanStatus, SpansBuilder, SpansView};

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

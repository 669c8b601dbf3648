//! The one mapping from OpenTelemetry attribute keys to agaudit columns.
//!
//! The GenAI and MCP semantic conventions are still in development and keys move (db.system
//! became db.system.name, db.statement became db.query.text). Every key agaudit lifts into a
//! column is in [`SPAN_KEYS`] or [`LOG_KEYS`]: to follow a rename, add a row. Keys not listed
//! stay in the row's attribute maps, so nothing is lost. Payload keys (prompts, messages, tool
//! arguments and results) are never stored: only their length. docs/formats.md shows the tables.
//!
//! In: an attribute key. Out: where its value goes.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::table::spans::Semconv;

/// Where a span attribute's value goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanTarget {
    Text(Semconv),
    ServiceName,
    ProcessPid,
    HostName,
    McpServer,
    DbQuery,
    ServerPort,
    PeerPort,
}

/// Span, scope and resource attributes lifted into `spans` columns. When several rows fill the
/// same column (a current key and its older name), the first listed that is present wins; a key
/// on the span wins over the scope, and the scope over the resource.
pub const SPAN_KEYS: &[(&str, SpanTarget)] = &[
    ("gen_ai.agent.name", SpanTarget::Text(Semconv::AgentName)),
    ("gen_ai.agent.id", SpanTarget::Text(Semconv::AgentId)),
    ("gen_ai.conversation.id", SpanTarget::Text(Semconv::ConversationId)),
    ("session.id", SpanTarget::Text(Semconv::SessionId)),
    ("enduser.id", SpanTarget::Text(Semconv::EnduserId)),
    ("gen_ai.operation.name", SpanTarget::Text(Semconv::OperationName)),
    ("gen_ai.tool.name", SpanTarget::Text(Semconv::ToolName)),
    ("gen_ai.tool.call.id", SpanTarget::Text(Semconv::ToolCallId)),
    ("mcp.method.name", SpanTarget::Text(Semconv::McpMethod)),
    ("mcp.session.id", SpanTarget::Text(Semconv::McpSessionId)),
    ("db.system.name", SpanTarget::Text(Semconv::DbSystem)),
    ("db.system", SpanTarget::Text(Semconv::DbSystem)),
    ("db.namespace", SpanTarget::Text(Semconv::DbNamespace)),
    ("db.name", SpanTarget::Text(Semconv::DbNamespace)),
    ("db.operation.name", SpanTarget::Text(Semconv::DbOperation)),
    ("db.operation", SpanTarget::Text(Semconv::DbOperation)),
    ("db.collection.name", SpanTarget::Text(Semconv::DbCollection)),
    ("db.sql.table", SpanTarget::Text(Semconv::DbCollection)),
    ("server.address", SpanTarget::Text(Semconv::ServerAddress)),
    ("network.peer.address", SpanTarget::Text(Semconv::PeerAddress)),
    ("service.name", SpanTarget::ServiceName),
    ("process.pid", SpanTarget::ProcessPid),
    ("host.name", SpanTarget::HostName),
    ("mcp.server.name", SpanTarget::McpServer),
    ("db.query.text", SpanTarget::DbQuery),
    ("db.statement", SpanTarget::DbQuery),
    ("server.port", SpanTarget::ServerPort),
    ("network.peer.port", SpanTarget::PeerPort),
];

/// Where a log record attribute's value goes (`log_events` columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogTarget {
    EventName,
    AgentName,
    SessionId,
    UserAccountUuid,
    UserEmail,
    UserId,
    OrganizationId,
    ToolName,
    ToolUseId,
    Decision,
    DecisionSource,
    Success,
    DurationMs,
    Error,
    PromptLength,
    /// The prompt text: only its length is kept (in prompt_length when that is absent).
    Prompt,
    /// A JSON string whose mcp_server_name / mcp_tool_name are read; the rest is payload.
    ToolParameters,
}

/// Log record attributes lifted into `log_events` columns (Claude Code's event attributes and
/// the conventions' identity keys).
pub const LOG_KEYS: &[(&str, LogTarget)] = &[
    ("event.name", LogTarget::EventName),
    ("gen_ai.agent.name", LogTarget::AgentName),
    ("session.id", LogTarget::SessionId),
    ("user.account_uuid", LogTarget::UserAccountUuid),
    ("user.email", LogTarget::UserEmail),
    ("user.id", LogTarget::UserId),
    ("organization.id", LogTarget::OrganizationId),
    ("tool_name", LogTarget::ToolName),
    ("gen_ai.tool.name", LogTarget::ToolName),
    ("tool_use_id", LogTarget::ToolUseId),
    ("decision", LogTarget::Decision),
    ("decision_type", LogTarget::Decision),
    ("source", LogTarget::DecisionSource),
    ("decision_source", LogTarget::DecisionSource),
    ("success", LogTarget::Success),
    ("duration_ms", LogTarget::DurationMs),
    ("error", LogTarget::Error),
    ("prompt_length", LogTarget::PromptLength),
    ("prompt", LogTarget::Prompt),
    ("tool_parameters", LogTarget::ToolParameters),
];

/// Attributes whose values are payloads (what the user or model said, what a tool was given or
/// returned): stored only as `[payload: N bytes]`.
pub const PAYLOAD_KEYS: &[&str] = &[
    "prompt",
    "tool_parameters",
    "tool_input",
    "tool_output",
    "tool_result",
    "gen_ai.prompt",
    "gen_ai.completion",
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
    "gen_ai.tool.definitions",
    "mcp.request.params",
    "mcp.response.result",
    "http.request.body",
    "http.response.body",
    "exception.stacktrace",
];

/// Attributes holding error messages: values (quoted data, numbers) are removed from them as
/// from PostgreSQL's messages, since an exception message often quotes the offending input.
pub const MESSAGE_KEYS: &[&str] = &["exception.message", "error.message", "db.response.message"];

/// Keys whose values are SQL, wherever they appear (span, event, link, scope, resource, log
/// record): the one that is lifted into db_query and the ones that are not.
pub const SQL_KEYS: &[&str] = &["db.query.text", "db.statement", "db.query.summary"];

/// What an attribute's value is, for redaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeKind {
    /// Prompts, completions, tool arguments and results, bound parameters: only their length.
    Payload,
    /// A statement: literals out, then secrets.
    Sql,
    /// Free text not needed to attribute anything (exception and error messages): only its
    /// length.
    Message,
    /// Anything else: secret-scanned as text.
    Plain,
}

/// The kind of the attribute `key`: the one table redaction of attributes follows.
pub fn attribute_kind(key: &str) -> AttributeKind {
    if is_payload(key) {
        AttributeKind::Payload
    } else if SQL_KEYS.contains(&key) {
        AttributeKind::Sql
    } else if MESSAGE_KEYS.contains(&key) {
        AttributeKind::Message
    } else {
        AttributeKind::Plain
    }
}

/// Key prefixes whose values are payloads (bound query parameters, prompt/completion parts).
pub const PAYLOAD_PREFIXES: &[&str] = &["db.query.parameter.", "gen_ai.prompt.", "gen_ai.completion."];

pub fn is_payload(key: &str) -> bool {
    PAYLOAD_KEYS.contains(&key) || PAYLOAD_PREFIXES.iter().any(|p| key.starts_with(p))
}

pub fn span_target(key: &str) -> Option<(SpanTarget, usize)> {
    static MAP: OnceLock<HashMap<&'static str, (SpanTarget, usize)>> = OnceLock::new();
    MAP.get_or_init(|| SPAN_KEYS.iter().enumerate().map(|(i, (k, t))| (*k, (*t, i))).collect())
        .get(key)
        .copied()
}

pub fn log_target(key: &str) -> Option<LogTarget> {
    static MAP: OnceLock<HashMap<&'static str, LogTarget>> = OnceLock::new();
    MAP.get_or_init(|| LOG_KEYS.iter().map(|(k, t)| (*k, *t)).collect())
        .get(key)
        .copied()
}

/// Which MCP annotation a span attribute states, for keys `<prefix>annotations.<hint>` with the
/// hint in the specification's camelCase (readOnlyHint) or snake_case (read_only_hint).
pub fn hint_of(key: &str) -> Option<Hint> {
    // Called for every span attribute: reject the common case before searching.
    if !(key.ends_with("Hint") || key.ends_with("_hint")) {
        return None;
    }
    let (_, hint) = key.rsplit_once("annotations.")?;
    Some(match hint {
        "readOnlyHint" | "read_only_hint" => Hint::ReadOnly,
        "destructiveHint" | "destructive_hint" => Hint::Destructive,
        "idempotentHint" | "idempotent_hint" => Hint::Idempotent,
        "openWorldHint" | "open_world_hint" => Hint::OpenWorld,
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    ReadOnly,
    Destructive,
    Idempotent,
    OpenWorld,
}

/// `mcp__SERVER__TOOL` → (SERVER, TOOL); `mcp__plugin_P_SERVER__TOOL` → (SERVER, TOOL), where
/// the plugin name P ends at the first `_` (plugin names are kebab-case; server names may hold
/// underscores). Anything else → None (a built-in tool such as Bash). Claude Code's
/// tool_parameters name the server and tool exactly and win over this split.
pub fn split_mcp_tool_name(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix("mcp__")?;
    let (server, tool) = rest.split_once("__")?;
    if server.is_empty() || tool.is_empty() {
        return None;
    }
    let server = match server.strip_prefix("plugin_") {
        Some(p) => p.split_once('_').map_or(p, |(_, s)| s),
        None => server,
    };
    (!server.is_empty()).then_some((server, tool))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_semconv_column_is_filled_by_a_key() {
        for c in Semconv::ALL {
            assert!(SPAN_KEYS.iter().any(|(_, t)| *t == SpanTarget::Text(c)), "{}", c.name());
        }
    }

    #[test]
    fn mcp_tool_names() {
        assert_eq!(
            split_mcp_tool_name("mcp__reporting__query_reports"),
            Some(("reporting", "query_reports"))
        );
        assert_eq!(
            split_mcp_tool_name("mcp__plugin_acme-tools_git_hub__create_issue"),
            Some(("git_hub", "create_issue"))
        );
        assert_eq!(split_mcp_tool_name("Bash"), None);
        assert_eq!(split_mcp_tool_name("mcp____x"), None);
    }

    #[test]
    fn hints_and_payloads() {
        assert_eq!(hint_of("mcp.tool.annotations.readOnlyHint"), Some(Hint::ReadOnly));
        assert_eq!(hint_of("annotations.open_world_hint"), Some(Hint::OpenWorld));
        assert_eq!(hint_of("readOnlyHint"), None);
        assert!(is_payload("db.query.parameter.0"));
        assert!(is_payload("gen_ai.input.messages"));
        assert!(!is_payload("gen_ai.tool.name"));
    }
}

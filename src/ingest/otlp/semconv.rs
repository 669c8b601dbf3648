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
/// returned): stored only as `[payload: N bytes]`. Keys are compared in lower case, trimmed.
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

/// Key prefixes whose values are payloads: one of [`PAYLOAD_KEYS`] flattened
/// (`gen_ai.input.messages.0.content`), or these.
pub const PAYLOAD_PREFIXES: &[&str] = &[
    "db.query.parameter.",
    "db.operation.parameter.",
    "mcp.request.argument.",
    "gen_ai.prompt.",
    "gen_ai.completion.",
];

/// A key holding one of these as a dot-separated part is a payload, whatever vocabulary it
/// comes from: OpenInference (`input.value`, `llm.input_messages.0.message.content`), the
/// Vercel AI SDK (`ai.prompt`, `ai.toolCall.args`, `ai.response.text`), Traceloop and Langfuse
/// (`traceloop.entity.input`, `langfuse.observation.output`), GraphQL (`graphql.document`),
/// `url.query`, `code.stacktrace`. Payload keys are a deny-list by necessity (an attribute
/// agaudit never heard of is kept), so the list errs wide.
pub const PAYLOAD_PARTS: &[&str] = &[
    "prompt",
    "prompts",
    "completion",
    "completions",
    "input",
    "inputs",
    "output",
    "outputs",
    "content",
    "contents",
    "messages",
    "args",
    "arguments",
    "result",
    "results",
    "body",
    "text",
    "document",
    "documents",
    "parameter",
    "parameters",
    "params",
    "payload",
    "variables",
    "query",
    "stacktrace",
    "tool_input",
    "tool_output",
    "tool_result",
    "tool_parameters",
];

/// A key whose last part is one of these describes a value rather than holding it
/// (`http.request.body.size`, `gen_ai.output.type`, `messaging.message.id`): kept.
const DESCRIBING_PARTS: &[&str] = &[
    "size", "length", "count", "type", "id", "name", "format", "encoding", "role",
];

/// Registered attributes under a payload key that describe the payload's size: kept, although
/// a flattened payload (`tool_input.size`) is not.
const PAYLOAD_SIZE_KEYS: &[&str] = &[
    "http.request.body.size",
    "http.response.body.size",
    "messaging.message.body.size",
];

/// Attributes holding error messages: only their length is kept, since an exception message
/// often quotes the offending input. Any key whose part is `message` is one too.
pub const MESSAGE_KEYS: &[&str] = &[
    "exception.message",
    "error.message",
    "db.response.message",
    "otel.status_description",
];

/// Keys whose values are SQL, wherever they appear (span, event, link, scope, resource, log
/// record): the one that is lifted into db_query and the ones that are not.
pub const SQL_KEYS: &[&str] = &["db.query.text", "db.statement", "db.query.summary"];

/// Keys whose values are a process's command line (a string or its arguments as an array).
pub const COMMAND_LINE_KEYS: &[&str] = &["process.command_line", "process.command_args", "process.args"];

/// Words that make a key's last part name a credential (`db.password`, `api_key`,
/// `http.request.header.authorization`, `http.request.header.x-api-key`, `client_secret`).
const CREDENTIAL_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "authorization",
    "cookie",
    "credential",
    "credentials",
];

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
    /// A credential named by its key (a password, a token, an Authorization or Cookie header):
    /// replaced whole.
    Credential,
    /// A command line: arguments that are statements lose their literals, URLs their query
    /// values, then secrets.
    CommandLine,
    /// Anything else: secret-scanned as text.
    Plain,
}

/// The kind of the attribute `key`: the one table redaction of attributes follows.
pub fn attribute_kind(key: &str) -> AttributeKind {
    // A span's keys are the same few dozen, span after span: each is sorted once per thread (up
    // to a bound, past which keys are sorted every time: keys are the input's).
    thread_local! {
        static KINDS: std::cell::RefCell<HashMap<Box<str>, AttributeKind, foldhash::fast::RandomState>> =
            Default::default();
    }
    KINDS.with_borrow_mut(|known| {
        if let Some(kind) = known.get(key) {
            return *kind;
        }
        let kind = kind_of_key(key);
        if known.len() < KNOWN_KEYS {
            known.insert(key.into(), kind);
        }
        kind
    })
}

/// Keys whose kind [`attribute_kind`] remembers per thread.
const KNOWN_KEYS: usize = 4096;

fn kind_of_key(key: &str) -> AttributeKind {
    let key: std::borrow::Cow<'_, str> = if key.bytes().any(|b| b.is_ascii_uppercase()) || key.trim() != key {
        std::borrow::Cow::Owned(key.trim().to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(key)
    };
    let key = key.as_ref();
    if PAYLOAD_SIZE_KEYS.contains(&key) {
        return AttributeKind::Plain;
    }
    if PAYLOAD_KEYS.contains(&key)
        || PAYLOAD_PREFIXES.iter().any(|p| key.starts_with(p))
        || PAYLOAD_KEYS
            .iter()
            .any(|p| key.strip_prefix(p).is_some_and(|rest| rest.starts_with('.')))
    {
        return AttributeKind::Payload;
    }
    if SQL_KEYS.contains(&key) {
        return AttributeKind::Sql;
    }
    if MESSAGE_KEYS.contains(&key) {
        return AttributeKind::Message;
    }
    if COMMAND_LINE_KEYS.contains(&key) {
        return AttributeKind::CommandLine;
    }
    let last = key.rsplit('.').next().unwrap_or(key);
    if names_a_credential(last) {
        return AttributeKind::Credential;
    }
    if DESCRIBING_PARTS.contains(&last) {
        return AttributeKind::Plain;
    }
    let mut parts = key.split('.');
    if parts.clone().any(|p| PAYLOAD_PARTS.contains(&p)) {
        AttributeKind::Payload
    } else if parts.any(|p| p == "message") {
        AttributeKind::Message
    } else {
        AttributeKind::Plain
    }
}

/// Whether a key's last part names a credential: one of [`CREDENTIAL_WORDS`] among its
/// `_`/`-` separated words, or `api`/`access`/`private`/`secret` followed by `key`.
fn names_a_credential(last: &str) -> bool {
    let words: Vec<&str> = last.split(['_', '-']).collect();
    words.iter().any(|w| CREDENTIAL_WORDS.contains(w))
        || words
            .windows(2)
            .any(|w| matches!(w[0], "api" | "access" | "private" | "secret") && w[1] == "key")
}

pub fn span_target(key: &str) -> Option<(SpanTarget, usize)> {
    static MAP: OnceLock<HashMap<&'static str, (SpanTarget, usize), foldhash::fast::RandomState>> = OnceLock::new();
    MAP.get_or_init(|| SPAN_KEYS.iter().enumerate().map(|(i, (k, t))| (*k, (*t, i))).collect())
        .get(key)
        .copied()
}

pub fn log_target(key: &str) -> Option<LogTarget> {
    static MAP: OnceLock<HashMap<&'static str, LogTarget, foldhash::fast::RandomState>> = OnceLock::new();
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
    }

    #[test]
    fn attribute_kinds_by_key() {
        use AttributeKind::*;
        let cases = [
            ("db.query.parameter.0", Payload),
            ("db.operation.parameter.email", Payload),
            ("mcp.request.argument.customer", Payload),
            ("gen_ai.input.messages", Payload),
            ("gen_ai.input.messages.0.content", Payload),
            ("GEN_AI.PROMPT", Payload),
            (" tool_input ", Payload),
            // Other vocabularies' payloads.
            ("input.value", Payload),
            ("llm.input_messages.0.message.content", Payload),
            ("ai.prompt", Payload),
            ("ai.toolCall.args", Payload),
            ("ai.response.text", Payload),
            ("traceloop.entity.output", Payload),
            ("graphql.document", Payload),
            ("url.query", Payload),
            ("code.stacktrace", Payload),
            ("tool_input.size", Payload),
            // Statements, messages, credentials, command lines.
            ("db.query.text", Sql),
            ("DB.Statement", Sql),
            ("exception.message", Message),
            ("otel.status_description.message", Message),
            ("otel.status_description", Message),
            ("db.password", Credential),
            ("api_key", Credential),
            ("http.request.header.authorization", Credential),
            ("http.request.header.x-api-key", Credential),
            ("http.request.header.cookie", Credential),
            ("client_secret", Credential),
            ("process.command_args", CommandLine),
            // Kept: names, ids, sizes, and what the columns are lifted from.
            ("gen_ai.tool.name", Plain),
            ("session.id", Plain),
            ("http.request.body.size", Plain),
            ("gen_ai.output.type", Plain),
            ("messaging.message.id", Plain),
            ("gen_ai.usage.input_tokens", Plain),
            ("mcp.method.name", Plain),
            ("prompt_length", Plain),
            ("user.email", Plain),
        ];
        // Twice: the second answer comes from what the thread remembers.
        for (key, kind) in cases.iter().chain(&cases) {
            assert_eq!(attribute_kind(key), *kind, "{key}");
        }
    }
}

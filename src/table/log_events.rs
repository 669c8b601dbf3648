//! The `log_events` table: one row per OpenTelemetry log record, with Claude Code's telemetry
//! events understood (session, user, tool, decision, success).
//!
//! [`LogEventRow`] is a record as the OTLP stage produces it (already redacted).
//!
//! In: redacted log records. Out: Arrow record batches.

use super::declare::kind::*;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_matches_schema() {
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
}

//! The `actions` table: one row per observed access, attributed and judged.
//!
//! Correlation writes it: who (agent@session, principal, tool, MCP server) did what (op and
//! class) to which resource, what the source says happened (outcome), how it stands against the
//! policy (violation, verdict), how sure the attribution is (conf and reason), and which evidence
//! row proves it (table, raw file, line, the row's hash) plus the rows that corroborate it.
//!
//! In: [`ActionRow`]s. Out: Arrow record batches.

use std::sync::{Arc, OnceLock};

use arrow_schema::{DataType, Schema, SchemaRef};

use super::columns::{TableBuilder, field, timestamp_ns};

pub const TABLE: &str = "actions";

/// One action, ready to write.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActionRow {
    pub action_id: String,
    pub ts: Option<i64>,
    pub agent: Option<String>,
    pub session: Option<String>,
    pub principal: Option<String>,
    pub tool: Option<String>,
    pub mcp_server: Option<String>,
    pub resource: String,
    pub production: bool,
    pub op: &'static str,
    pub class: &'static str,
    pub command: Option<String>,
    pub outcome: &'static str,
    pub source_outcome: String,
    pub violation: Option<&'static str>,
    pub rule: Option<String>,
    pub on_violation: Option<&'static str>,
    pub verdict: &'static str,
    pub conf: &'static str,
    pub reason: String,
    pub claimed_read_only: Option<bool>,
    pub trace_id: Option<String>,
    pub span_id: Option<String>,
    pub evidence_table: &'static str,
    pub evidence_file: String,
    pub evidence_line: u64,
    pub evidence_blake3: String,
    pub evidence_row_hash: String,
    pub corroboration: Option<String>,
}

/// A `conf` value read back as the static name it was written from (unknown values count as
/// the weakest, unattributed).
pub fn conf_name(s: &str) -> &'static str {
    ["attributed", "approximate", "unattributed"]
        .into_iter()
        .find(|c| *c == s)
        .unwrap_or("unattributed")
}

/// The Arrow schema of `actions` (mirrored in schemas/actions.arrow.json).
pub fn schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            use DataType::*;
            Arc::new(Schema::new(vec![
                field(
                    "action_id",
                    Utf8,
                    false,
                    "32 hex digits: blake3 of the evidence row hash (stable across re-runs and policies)",
                ),
                field("ts", timestamp_ns(), true, "when the access happened, UTC (the evidence row's time)"),
                field("agent", Utf8, true, "AGENT the access is attributed to; null when unattributed"),
                field("session", Utf8, true, "SESSION of AGENT@SESSION; null when unknown"),
                field("principal", Utf8, true, "identity used at the resource: database role, service account"),
                field(
                    "tool",
                    Utf8,
                    true,
                    "tool that made the access: nearest tool-call span above the access (gen_ai.tool.name / MCP tool)",
                ),
                field("mcp_server", Utf8, true, "MCP server that ran the tool, from the span chain"),
                field(
                    "resource",
                    Utf8,
                    false,
                    "SERVER/DATABASE[/SCHEMA.TABLE], file:///path, tcp://HOST:PORT (or a declared endpoint), s3://bucket/key",
                ),
                field(
                    "production",
                    Boolean,
                    false,
                    "the resource lies on an endpoint the policy marks production = true",
                ),
                field("op", Utf8, false, "R (read) or RW (anything that can change state)"),
                field("class", Utf8, false, "read | write | ddl | role | function | exec | network (docs/policy.md)"),
                field("command", Utf8, true, "command as the source names it: SELECT, UPDATE, connect, …"),
                field("outcome", Utf8, false, "allow (the source shows it went through) | DENY (the source refused it)"),
                field(
                    "source_outcome",
                    Utf8,
                    false,
                    "what the evidence says: ok | refused | failed (permitted, then failed) | error",
                ),
                field(
                    "violation",
                    Utf8,
                    true,
                    "violated policy rule (read_only_violation, no_access_violation, write_only_violation, deny_CLASS_violation, unlisted_resource, unknown_agent); null when allowed or not judged",
                ),
                field("rule", Utf8, true, "the policy rule that governs the access: agent NAME / resource PATTERN"),
                field("on_violation", Utf8, true, "what the governing block asks for: block_and_alert | alert | log"),
                field(
                    "verdict",
                    Utf8,
                    false,
                    "ok | violation_refused (the control worked) | violation_allowed (the control failed: most severe) | not_judged (unattributed, no default block)",
                ),
                field("conf", Utf8, false, "attributed | approximate | unattributed (docs/correlation.md)"),
                field("reason", Utf8, false, "how identity and outcome were established, or what is missing"),
                field(
                    "claimed_read_only",
                    Boolean,
                    true,
                    "the tool's effective readOnlyHint in its latest listing (an untrusted claim); null when unknown",
                ),
                field("trace_id", Utf8, true, "trace that ties the access to its agent, when one does"),
                field("span_id", Utf8, true, "span of the access itself (db client span, HTTP client span)"),
                field("evidence_table", Utf8, false, "table of the ground-truth row: db_events or spans"),
                field("evidence_file", Utf8, false, "raw file of that row (as given to ingest)"),
                field("evidence_line", UInt64, false, "1-based line of that row in its raw file"),
                field("evidence_blake3", Utf8, false, "blake3 of the raw file (ingest.json chain of custody)"),
                field(
                    "evidence_row_hash",
                    Utf8,
                    false,
                    "blake3 of the evidence row as stored in Parquet (encoding in docs/ledger.md)",
                ),
                field(
                    "corroboration",
                    Utf8,
                    true,
                    "other rows behind the attribution or the same access, space-separated TABLE:FILE:LINE",
                ),
            ]))
        })
        .clone()
}

impl ActionRow {
    pub fn append(&self, b: &mut TableBuilder) {
        let mut r = b.row();
        r.str(Some(&self.action_id)).ts_ns(self.ts);
        r.str(self.agent.as_deref())
            .str(self.session.as_deref())
            .str(self.principal.as_deref());
        r.str(self.tool.as_deref()).str(self.mcp_server.as_deref());
        r.str(Some(&self.resource))
            .bool(Some(self.production))
            .str(Some(self.op))
            .str(Some(self.class))
            .str(self.command.as_deref());
        r.str(Some(self.outcome)).str(Some(&self.source_outcome));
        r.str(self.violation).str(self.rule.as_deref()).str(self.on_violation);
        r.str(Some(self.verdict)).str(Some(self.conf)).str(Some(&self.reason));
        r.bool(self.claimed_read_only);
        r.str(self.trace_id.as_deref()).str(self.span_id.as_deref());
        r.str(Some(self.evidence_table))
            .str(Some(&self.evidence_file))
            .u64(Some(self.evidence_line))
            .str(Some(&self.evidence_blake3))
            .str(Some(&self.evidence_row_hash));
        r.str(self.corroboration.as_deref());
        r.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_matches_schema() {
        let mut b = TableBuilder::new(schema());
        ActionRow::default().append(&mut b);
        let batch = b.finish().unwrap();
        assert_eq!(batch.num_rows(), 1);
    }
}

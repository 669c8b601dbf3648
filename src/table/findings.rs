//! The `findings` table: where a tool's claims and what was observed disagree.
//!
//! `agaudit diff` writes it: which tool (MCP server and name) claimed what (its effective
//! annotations at the time), who used it (agent@session, or the principal when unattributed),
//! what was observed instead (class, command, resource, outcome), by which layers and how
//! often, how sure and how severe, and which actions and evidence rows prove it.
//!
//! In: [`FindingRow`]s. Out: Arrow record batches.

use std::sync::{Arc, OnceLock};

use arrow_schema::{DataType, Schema, SchemaRef};

use super::columns::{TableBuilder, field, timestamp_ns};

pub const TABLE: &str = "findings";

/// One finding, ready to write.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FindingRow {
    pub finding_id: String,
    pub kind: &'static str,
    pub severity: &'static str,
    pub mcp_server: Option<String>,
    pub tool: String,
    pub agent: Option<String>,
    pub session: Option<String>,
    pub principal: Option<String>,
    pub claim: String,
    pub annotations: String,
    pub claim_evidence: String,
    pub class: Option<&'static str>,
    pub command: Option<String>,
    pub resource: Option<String>,
    pub production: bool,
    pub outcome: Option<String>,
    pub layers: String,
    pub corroborated: bool,
    pub count: u64,
    pub first_ts: Option<i64>,
    pub last_ts: Option<i64>,
    pub conf: &'static str,
    pub detail: String,
    pub action_ids: String,
    pub evidence: String,
}

/// The Arrow schema of `findings` (mirrored in schemas/findings.arrow.json).
pub fn schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            use DataType::*;
            Arc::new(Schema::new(vec![
                field(
                    "finding_id",
                    Utf8,
                    false,
                    "32 hex digits: blake3 of the kind, tool, actor and observation (stable across re-runs)",
                ),
                field(
                    "kind",
                    Utf8,
                    false,
                    "read_only_contradiction | destructive_contradiction | open_world_contradiction | unannotated_write | claim_changed (agaudit diff) | coverage_gap (agaudit inventory)",
                ),
                field("severity", Utf8, false, "critical | high | medium | low (docs/diff.md)"),
                field("mcp_server", Utf8, true, "MCP server of the tool, as the evidence names it"),
                field("tool", Utf8, false, "the tool (empty for a coverage gap)"),
                field("agent", Utf8, true, "AGENT that used the tool; null when unattributed"),
                field("session", Utf8, true, "SESSION of AGENT@SESSION"),
                field("principal", Utf8, true, "identity used at the resource (shown when there is no agent)"),
                field(
                    "claim",
                    Utf8,
                    false,
                    "the claim the observation contradicts (readOnlyHint=true, destructiveHint=false, openWorldHint=false), no annotations, or what changed",
                ),
                field(
                    "annotations",
                    Utf8,
                    false,
                    "the tool's annotations in force at the time (for claim_changed: the new ones), effective values after the MCP defaults",
                ),
                field(
                    "claim_evidence",
                    Utf8,
                    false,
                    "tool_hints rows of that claim (and, for claim_changed, of the new one): tool_hints:FILE:LINE",
                ),
                field("class", Utf8, true, "observed class: write | ddl | role | network | … (null for claim_changed)"),
                field("command", Utf8, true, "observed command: UPDATE, DELETE, connect, …"),
                field("resource", Utf8, true, "the resource the observation touched"),
                field(
                    "production",
                    Boolean,
                    false,
                    "the resource is on an endpoint the policy marks production",
                ),
                field(
                    "outcome",
                    Utf8,
                    true,
                    "allow (it went through) | DENY (refused: an attempt, rated lower)",
                ),
                field(
                    "layers",
                    Utf8,
                    false,
                    "layers that saw it, space-separated: db (pgAudit), telemetry (spans), kernel",
                ),
                field("corroborated", Boolean, false, "seen by two or more layers"),
                field("count", UInt64, false, "how many actions this finding groups"),
                field("first_ts", timestamp_ns(), true, "first time observed, UTC"),
                field("last_ts", timestamp_ns(), true, "last time observed, UTC"),
                field(
                    "conf",
                    Utf8,
                    false,
                    "the weakest attribution confidence among its actions: attributed | approximate | unattributed",
                ),
                field("detail", Utf8, false, "one sentence: what was claimed and what was observed"),
                field("action_ids", Utf8, false, "the actions behind it, space-separated (actions.action_id)"),
                field(
                    "evidence",
                    Utf8,
                    false,
                    "their ground-truth rows, space-separated TABLE:FILE:LINE",
                ),
            ]))
        })
        .clone()
}

impl FindingRow {
    pub fn append(&self, b: &mut TableBuilder) {
        let mut r = b.row();
        r.str(Some(&self.finding_id))
            .str(Some(self.kind))
            .str(Some(self.severity));
        r.str(self.mcp_server.as_deref()).str(Some(&self.tool));
        r.str(self.agent.as_deref())
            .str(self.session.as_deref())
            .str(self.principal.as_deref());
        r.str(Some(&self.claim))
            .str(Some(&self.annotations))
            .str(Some(&self.claim_evidence));
        r.str(self.class)
            .str(self.command.as_deref())
            .str(self.resource.as_deref())
            .bool(Some(self.production))
            .str(self.outcome.as_deref());
        r.str(Some(&self.layers))
            .bool(Some(self.corroborated))
            .u64(Some(self.count));
        r.ts_ns(self.first_ts).ts_ns(self.last_ts);
        r.str(Some(self.conf)).str(Some(&self.detail));
        r.str(Some(&self.action_ids)).str(Some(&self.evidence));
        r.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_matches_schema() {
        let mut b = TableBuilder::new(schema());
        FindingRow::default().append(&mut b);
        assert_eq!(b.finish().unwrap().num_rows(), 1);
    }
}

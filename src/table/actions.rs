//! The `actions` table: one row per observed access, attributed and judged.
//!
//! Correlation writes it: who (agent@session, principal, tool, MCP server) did what (op and
//! class) to which resource, what the source says happened (outcome), how it stands against the
//! policy (violation, verdict), how sure the attribution is (conf and reason), and which evidence
//! row proves it (table, raw file, line, the row's hash) plus the rows that corroborate it.
//!
//! In: [`ActionRow`]s. Out: Arrow record batches.

use super::db_events::DbOutcome;
use super::declare::kind::*;
use crate::policy::{Class, OnViolation, Op, Violation};

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

impl From<DbOutcome> for SourceOutcome {
    fn from(o: DbOutcome) -> Self {
        match o {
            DbOutcome::Ok => SourceOutcome::Ok,
            DbOutcome::Refused => SourceOutcome::Refused,
            DbOutcome::Failed => SourceOutcome::Failed,
        }
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

/// Who did an access, as a person reads it: AGENT@SESSION, AGENT, or `principal P` when no
/// agent is known.
pub fn actor(agent: Option<&str>, session: Option<&str>, principal: Option<&str>) -> String {
    match (agent, session) {
        (Some(a), Some(s)) => format!("{a}@{s}"),
        (Some(a), None) => a.to_string(),
        _ => format!("principal {}", principal.unwrap_or("(unknown)")),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_matches_schema() {
        let mut b = ActionsBuilder::new();
        b.append(&ActionRow::default());
        let batch = b.finish().unwrap();
        assert_eq!(batch.num_rows(), 1);
        assert_eq!(ActionsView::of(&batch).unwrap().conf.get(0), Conf::Unattributed);
    }
}

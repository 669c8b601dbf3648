//! The `actions` table: one row per observed access, attributed and judged.
//!
//! Correlation writes it: who (agent@session, principal, tool, MCP server) did what (op and
//! class) to which resource, what the source says happened (outcome), how it stands against the
//! policy (violation, verdict), how sure the attribution is (conf and reason), and which evidence
//! row proves it (table, raw file, line, the row's hash) plus the rows that corroborate it.
//!
//! In: [`ActionRow`]s. Out: Arrow record batches.

use super::db_events::DbOutcome;
pub use super::schema::{ActionRow, ActionsBuilder, ActionsView, Conf, EvidenceTable, Outcome, SourceOutcome, Verdict};

impl From<DbOutcome> for SourceOutcome {
    fn from(o: DbOutcome) -> Self {
        match o {
            DbOutcome::Ok => SourceOutcome::Ok,
            DbOutcome::Refused => SourceOutcome::Refused,
            DbOutcome::Failed => SourceOutcome::Failed,
        }
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

impl ActionRow {
    /// Row `i` of a batch of this table, owned again: correlate's sorted runs are written as
    /// actions batches and read back to be merged.
    pub fn of_view(v: &ActionsView<'_>, i: usize) -> ActionRow {
        let text = |s: &str| s.to_string();
        let opt = |s: Option<&str>| s.map(str::to_string);
        ActionRow {
            action_id: text(v.action_id.get(i)),
            ts: v.ts.get(i),
            agent: opt(v.agent.get(i)),
            session: opt(v.session.get(i)),
            principal: opt(v.principal.get(i)),
            tool: opt(v.tool.get(i)),
            mcp_server: opt(v.mcp_server.get(i)),
            resource: text(v.resource.get(i)),
            production: v.production.get(i),
            op: v.op.get(i),
            class: v.class.get(i),
            command: opt(v.command.get(i)),
            outcome: v.outcome.get(i),
            source_outcome: v.source_outcome.get(i),
            violation: v.violation.get(i),
            rule: opt(v.rule.get(i)),
            on_violation: v.on_violation.get(i),
            verdict: v.verdict.get(i),
            conf: v.conf.get(i),
            reason: text(v.reason.get(i)),
            claimed_read_only: v.claimed_read_only.get(i),
            trace_id: opt(v.trace_id.get(i)),
            span_id: opt(v.span_id.get(i)),
            evidence_table: v.evidence_table.get(i),
            evidence_file: text(v.evidence_file.get(i)),
            evidence_line: v.evidence_line.get(i),
            evidence_blake3: text(v.evidence_blake3.get(i)),
            evidence_row_hash: text(v.evidence_row_hash.get(i)),
            corroboration: opt(v.corroboration.get(i)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_matches_schema_and_reads_back_whole() {
        let row = ActionRow {
            ts: Some(1_764_892_800_000_000_000),
            agent: Some("code-helper".into()),
            resource: "pg-prod/app/public.orders".into(),
            conf: Conf::Attributed,
            evidence_line: 7,
            corroboration: Some("spans:traces.jsonl:3".into()),
            ..ActionRow::default()
        };
        let mut b = ActionsBuilder::new();
        b.append(&row);
        b.append(&ActionRow::default());
        let batch = b.finish().unwrap();
        assert_eq!(batch.num_rows(), 2);
        let v = ActionsView::of(&batch).unwrap();
        assert_eq!(v.conf.get(1), Conf::Unattributed);
        assert_eq!(ActionRow::of_view(&v, 0), row);
        assert_eq!(ActionRow::of_view(&v, 1), ActionRow::default());
    }
}

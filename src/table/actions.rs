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

//! Rows bound to the ledger: every action and finding record carries `row=`, the hash of the
//! row it describes as stored (agaudit_verify::row); a view of the case reads the table through
//! here, which checks each row against the latest record of its id before anything is shown.
//!
//! A rewritten row of actions.parquet (another agent, DENY instead of allow) no longer matches
//! the record the ledger holds for it, so `map`, `diff`, `inventory`, `log` and `export` stop
//! with the action named instead of showing it.
//!
//! In: the case directory, its verified ledger lines, a table's batches. Out: the batches, or the
//! first row that is not the one recorded.

use std::collections::HashMap;
use std::path::Path;

use arrow_array::RecordBatch;

use super::{LedgerError, RecordKind};
use crate::table::actions::ActionRow;
use crate::table::read;
use crate::table::schema::FindingRow;

/// A table whose rows are bound to ledger records, and the column naming each row's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoundTable {
    Actions,
    Findings,
}

impl BoundTable {
    pub fn name(self) -> &'static str {
        match self {
            BoundTable::Actions => ActionRow::TABLE,
            BoundTable::Findings => FindingRow::TABLE,
        }
    }

    /// The record kind, its id field, and the table's id column.
    pub fn keys(self) -> (RecordKind, &'static str, &'static str) {
        match self {
            BoundTable::Actions => (RecordKind::Action, "action", "action_id"),
            BoundTable::Findings => (RecordKind::Finding, "finding", "finding_id"),
        }
    }
}

/// The `row=` of the latest record of each id of `table`'s kind among `lines` (a later
/// judgement of the same evidence supersedes an earlier one; its row replaced the earlier row).
pub fn recorded_rows<'a>(
    lines: impl IntoIterator<Item = &'a str>,
    table: BoundTable,
) -> HashMap<String, Option<String>> {
    let (kind, id_field, _) = table.keys();
    let mut out = HashMap::new();
    for line in lines {
        if agaudit_verify::ledger::kind_of_line(line) != Some(kind.name()) {
            continue;
        }
        let Ok(fields) = agaudit_verify::ledger::fields(line) else {
            continue;
        };
        let get = |k: &str| fields.iter().find(|(key, _)| *key == k).map(|(_, v)| v.clone());
        if let Some(id) = get(id_field) {
            out.insert(id, get("row"));
        }
    }
    out
}

/// Checks every row of `batches` (the case's `table`) against the latest ledger record of its
/// id: the first row without a record, or whose hash is not the recorded one, is an error.
pub fn check(
    case_root: &Path,
    lines: &[String],
    table: BoundTable,
    batches: &[RecordBatch],
) -> Result<(), LedgerError> {
    let recorded = recorded_rows(lines.iter().map(String::as_str), table);
    let (_, _, id_column) = table.keys();
    let path = case_root.join("parquet").join(table.name());
    for batch in batches {
        let Some(ids) = batch.column_by_name(id_column) else {
            return Err(LedgerError::Unbound {
                path,
                id: String::new(),
                reason: format!("the table has no {id_column} column"),
            });
        };
        for i in 0..batch.num_rows() {
            let id = match agaudit_verify::row::value(ids.as_ref(), i) {
                agaudit_verify::row::Value::Text(t) => t.to_string(),
                _ => String::new(),
            };
            let unbound = |reason: String| LedgerError::Unbound {
                path: path.clone(),
                id: id.clone(),
                reason,
            };
            match recorded.get(&id) {
                None => {
                    return Err(unbound(
                        "no ledger record names it: the row was added after correlate".into(),
                    ));
                }
                Some(None) => {
                    return Err(unbound(
                        "its ledger record carries no row= (written by an agaudit before rows were bound); run agaudit correlate again".into(),
                    ));
                }
                Some(Some(want)) => {
                    let found = read::row_hash(batch, i);
                    if &found != want {
                        return Err(unbound(format!(
                            "the row hashes to {found} but its ledger record says row={want}: the row was altered after it was recorded"
                        )));
                    }
                }
            }
        }
    }
    Ok(())
}

/// The case's actions (or findings), each checked against the ledger: what views read.
pub fn read_bound(case_root: &Path, table: BoundTable) -> Result<Vec<RecordBatch>, LedgerError> {
    let (lines, _) = super::read(case_root)?;
    let batches = read::derived(case_root, table.name())?;
    check(case_root, &lines, table, &batches)?;
    Ok(batches)
}

/// The case's actions checked against the ledger; an error when correlate has not run.
pub fn actions(case_root: &Path) -> Result<Vec<RecordBatch>, LedgerError> {
    let batches = read_bound(case_root, BoundTable::Actions)?;
    if batches.is_empty() {
        return Err(read::ReadError::NotCorrelated(case_root.to_path_buf()).into());
    }
    Ok(batches)
}

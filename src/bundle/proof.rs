//! Building inclusion proofs (`agaudit prove`): the latest record of one action, its audit path
//! in the tree of the smallest signed checkpoint that covers it, and that checkpoint with its
//! signature (agaudit_verify::proof defines the file). Nothing else of the ledger leaves the case.
//!
//! In: a locked case and an action id. Out: the proof's text.

use agaudit_verify::proof::Proof;
use agaudit_verify::tree;

use crate::ledger::{self, LedgerError, RecordKind};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum ProveError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("no action record in the ledger has action={0}; agaudit log --kind action lists them")]
    NoSuchAction(String),
    #[error(
        "no signed checkpoint covers record {seq} (the latest of action {action}); sign one with \
         agaudit checkpoint --key KEY, or pass --key to prove"
    )]
    NotSigned { seq: u64, action: String },
}

/// The proof that the latest record of `action` is in the signed ledger.
pub fn prove(case_root: &Path, action: &str) -> Result<Proof, ProveError> {
    let (lines, verified) = ledger::read(case_root)?;
    let case_id = verified.case_id.unwrap_or_default();
    // An action record's id is its field, parsed: a quoted value of another record that holds
    // ` kind=action action=ID ` is not it.
    let marker = format!(" action={action} ");
    let is_its_record = |l: &String| {
        l.contains(&marker)
            && agaudit_verify::ledger::kind_of_line(l) == Some(RecordKind::Action.name())
            && agaudit_verify::ledger::fields(l).is_ok_and(|f| f.iter().any(|(k, v)| *k == "action" && v == action))
    };
    let index = lines
        .iter()
        .rposition(is_its_record)
        .ok_or_else(|| ProveError::NoSuchAction(action.to_string()))?;
    let seq = index as u64 + 1;
    let signed = ledger::case_checkpoints(case_root)?;
    // A proof is only made from a ledger that matches every checkpoint of the case.
    let raw: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
    let bodies: Vec<_> = signed.iter().map(|(_, c, _)| c.clone()).collect();
    agaudit_verify::checkpoint::check_ledger(&case_id, &raw, &bodies).map_err(|error| LedgerError::Contradicts {
        path: ledger::ledger_path(case_root),
        error,
    })?;
    let (path, checkpoint, signature) =
        signed
            .into_iter()
            .find(|(_, c, _)| c.size >= seq)
            .ok_or_else(|| ProveError::NotSigned {
                seq,
                action: action.to_string(),
            })?;
    let size = checkpoint.size as usize;
    let leaves = tree::leaves(lines[..size].iter().map(|l| l.as_bytes()));
    let body = std::fs::read_to_string(&path).map_err(|error| LedgerError::Io {
        path: path.clone(),
        error,
    })?;
    Ok(Proof {
        case_id,
        seq,
        record: lines[index].clone(),
        path: tree::inclusion_proof(&leaves, index),
        checkpoint: body,
        signature,
    })
}

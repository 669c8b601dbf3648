//! Signing checkpoints: the ledger's tree size, Merkle root and chain head, in the body
//! agaudit-verify defines (agaudit_verify::checkpoint), signed with the case owner's minisign key
//! and kept in CASE/checkpoints/ (NNN.txt and NNN.txt.minisig, what `minisign -Vm` checks), with
//! a `signed_checkpoint` record in the ledger. A copy handed to an auditor or written to WORM
//! storage is what a consistent rewrite of the case directory cannot match.
//!
//! In: a locked case, its ledger, a secret key. Out: the signed checkpoint, or nothing when the
//! ledger has not grown since the last one.

use std::fs;
use std::io::Write;
use std::path::PathBuf;

use agaudit_verify::checkpoint::Checkpoint;

use super::keys;
use crate::ledger::{self, CHECKPOINTS_DIR, Ledger, LedgerError, Record, RecordKind};

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("cannot sign the checkpoint: {0}")]
    Sign(String),
    #[error("cannot write {path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
}

/// A checkpoint just signed.
#[derive(Debug, Clone)]
pub struct Signed {
    pub checkpoint: Checkpoint,
    pub body: String,
    pub signature: String,
    pub path: PathBuf,
    pub key_id: String,
}

/// Signs the ledger's current state, unless the last signed checkpoint already covers every
/// record but its own (an unchanged case gets no new record).
pub fn sign_if_grown(ledger: &mut Ledger<'_>, sk: &minisign::SecretKey) -> Result<Option<Signed>, CheckpointError> {
    let case = ledger.case();
    // The writer's own state (verified when it opened), not a second read of every record.
    let (checkpoint, only_its_own_record) = ledger.checkpoint(&crate::time::now());
    let (case_id, size) = (checkpoint.case_id.clone(), checkpoint.size);
    let last_signed = ledger::case_checkpoints(case.root())?.last().map(|(_, c, _)| c.size);
    if last_signed.is_some_and(|s| s == size || (s + 1 == size && only_its_own_record)) {
        return Ok(None);
    }
    let body = checkpoint.render();
    let pk = minisign::PublicKey::from_secret_key(sk).map_err(|e| CheckpointError::Sign(e.to_string()))?;
    let key_id = keys::key_id(&pk);
    let signature = minisign::sign(
        Some(&pk),
        sk,
        body.as_bytes(),
        Some(&format!("agaudit checkpoint case={case_id} size={size}")),
        Some(&format!(
            "agaudit checkpoint of case {case_id} at {size} records, key {key_id}"
        )),
    )
    .map_err(|e| CheckpointError::Sign(e.to_string()))?
    .into_string();

    let dir = case.root().join(CHECKPOINTS_DIR);
    fs::create_dir_all(&dir).map_err(|error| CheckpointError::Io {
        path: dir.clone(),
        error,
    })?;
    let name = format!("{size:012}.txt");
    let path = dir.join(&name);
    // The signature first: a body without its signature would stop every later append.
    write_synced(&ledger::signature_path(&path), signature.as_bytes())?;
    write_synced(&path, body.as_bytes())?;
    ledger.append([Record {
        kind: RecordKind::SignedCheckpoint,
        ts: checkpoint.time.clone(),
        fields: vec![
            ("size", size.to_string()),
            ("root", agaudit_verify::to_hex(&checkpoint.root)),
            ("head", agaudit_verify::to_hex(&checkpoint.chain)),
            ("key", key_id.clone()),
            ("file", format!("{CHECKPOINTS_DIR}/{name}")),
        ],
    }])?;
    Ok(Some(Signed {
        checkpoint,
        body,
        signature,
        path,
        key_id,
    }))
}

fn write_synced(path: &std::path::Path, bytes: &[u8]) -> Result<(), CheckpointError> {
    let tmp = path.with_extension("tmp");
    let io = |error| CheckpointError::Io {
        path: path.to_path_buf(),
        error,
    };
    let mut f = fs::File::create(&tmp).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    fs::rename(&tmp, path).map_err(io)
}

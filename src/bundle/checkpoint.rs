//! Signing checkpoints: the ledger's tree size, Merkle root and chain head, in the body
//! agaudit-verify defines (agaudit_verify::checkpoint), signed with the case owner's minisign key
//! and kept in CASE/checkpoints/ (NNN.txt and NNN.txt.minisig, what `minisign -Vm` checks), with
//! a `signed_checkpoint` record in the ledger. A copy handed to an auditor or written to WORM
//! storage is what a consistent rewrite of the case directory cannot match.
//!
//! In: a locked case, its ledger, a secret key. Out: the signed checkpoint, or nothing when the
//! ledger has not grown since the last one.

use std::fs;
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
    // What is signed is computed from every record, never from the writer's cached tail: a
    // forged tail.json must not get the owner's key on a tree the ledger does not have.
    let (lines, verified) = ledger::read(case.root())?;
    let case_id = verified.case_id.clone().unwrap_or_default();
    let size = verified.last_seq;
    let last_signed = ledger::case_checkpoints(case.root())?.last().map(|(_, c, _)| c.size);
    let only_its_own_record = lines
        .last()
        .is_some_and(|l| agaudit_verify::ledger::kind_of_line(l) == Some(RecordKind::SignedCheckpoint.name()));
    if last_signed.is_some_and(|s| s == size || (s + 1 == size && only_its_own_record)) {
        return Ok(None);
    }
    let raw: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
    let checkpoint = Checkpoint::of_ledger(&case_id, &raw, size, &crate::time::now())
        .ok_or_else(|| CheckpointError::Sign(format!("the ledger has no record {size}")))?;
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
    crate::durable::replace(path, bytes).map_err(|error| CheckpointError::Io {
        path: path.to_path_buf(),
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Case;

    /// The tree the writer caches in tail.json is an insider's to edit: what is signed is
    /// computed from the records, so a forged frontier cannot get the owner's signature.
    #[test]
    fn a_forged_frontier_in_the_tail_is_not_what_gets_signed() {
        let dir = tempfile::tempdir().unwrap();
        let case = Case::open(dir.path()).unwrap();
        let mut l = Ledger::open(&case, "c").unwrap();
        l.append([Record {
            kind: RecordKind::View,
            ts: "2026-12-05T00:00:00Z".into(),
            fields: vec![("viewer", "v".into())],
        }])
        .unwrap();
        drop(l);
        let ledger_dir = dir.path().join(ledger::LEDGER_DIR);
        let mut tail = ledger::tail::Tail::load(&ledger_dir).unwrap();
        let forged: Vec<String> = tail.frontier.iter().map(|h| h.replace(&h[..2], "00")).collect();
        tail.frontier = forged;
        tail.save(&ledger_dir).unwrap();
        let sk = minisign::KeyPair::generate_unencrypted_keypair().unwrap().sk;
        let mut l = Ledger::open(&case, "c").unwrap();
        let signed = sign_if_grown(&mut l, &sk).unwrap().expect("the ledger grew");
        let (lines, _) = ledger::read(dir.path()).unwrap();
        let raw: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
        let size = signed.checkpoint.size as usize;
        let truth = Checkpoint::of_ledger("c", &raw[..size], size as u64, &signed.checkpoint.time).unwrap();
        assert_eq!(signed.checkpoint, truth);
    }
}

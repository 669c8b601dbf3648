//! A re-run that has nothing to do does nothing: correlation costs in proportion to what changed.
//!
//! Correlation is a function of its inputs: the evidence tables ingest wrote (and ingest.json,
//! their chain of custody), the policy kept in the case, and the agaudit that judges. Each full
//! run fingerprints those inputs ([`inputs`]), writes CASE/correlated.json (the fingerprint, the
//! blake3 of every file of the actions table it wrote, and its summary), and names the
//! fingerprint and the blake3 of correlated.json in its closing checkpoint
//! (`appended=… inputs=… state=…`). A later run whose inputs have the same fingerprint, whose
//! correlated.json still hashes to what the ledger's latest such record says, and whose actions
//! files are exactly the ones listed, with the same bytes, has nothing to do: it reports that
//! summary and appends nothing ([`unchanged`]). Anything else (new evidence, another policy, a
//! new agaudit, an actions file edited, added or removed, a state file edited or deleted) is a
//! full run. The state is trusted only as far as the ledger that names it: the ledger is opened
//! (and verified) first, as for every run.
//!
//! In: the case, its manifest and kept policy, the ledger's latest correlated record. Out: the
//! fingerprint, and the previous summary when nothing changed.

use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::Summary;
use crate::case::{INGEST_JSON, IngestManifest};
use crate::table::actions::ActionRow;

/// CASE/correlated.json: what the last full correlation was run on and what it wrote.
pub const STATE_FILE: &str = "correlated.json";

#[derive(Debug, Serialize, Deserialize)]
pub struct State {
    /// [`inputs`] of the run.
    pub inputs: String,
    /// Every file of the actions table the run wrote: its path in the case and its blake3.
    pub actions: Vec<(String, String)>,
    /// Its summary, without the ledger counts (those are the appending run's own).
    pub summary: Summary,
}

/// Why a fingerprint or a file could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {path} to fingerprint the correlation's inputs: {source}")]
pub struct InputError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// The fingerprint of everything a correlation depends on: this agaudit (version, and the size
/// and modification time of its executable, so a rebuilt or upgraded binary never reuses an old
/// run), the policy file's blake3 and its kept copy's (a new file is a new policy record),
/// ingest.json's bytes, and the bytes of every evidence part it lists.
pub fn inputs(
    case_root: &Path,
    manifest: &IngestManifest,
    policy: &str,
    kept_policy: &str,
) -> Result<String, InputError> {
    let mut h = blake3::Hasher::new_derive_key("agaudit 2026-12 correlate inputs v1");
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    if let Ok(exe) = std::env::current_exe()
        && let Ok(meta) = fs::metadata(&exe)
    {
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        h.update(&meta.len().to_le_bytes());
        h.update(&mtime.to_le_bytes());
    }
    h.update(policy.as_bytes());
    h.update(kept_policy.as_bytes());
    let ingest = case_root.join(INGEST_JSON);
    h.update(&read(&ingest)?);
    let mut parts: Vec<&str> = manifest
        .files
        .iter()
        .flat_map(|f| f.parts.iter().map(String::as_str))
        .collect();
    parts.sort_unstable();
    parts.dedup();
    for (part, digest) in hash_files(case_root, &parts)? {
        h.update(part.as_bytes());
        h.update(b"\0");
        h.update(digest.as_bytes());
    }
    Ok(h.finalize().to_hex().to_string())
}

/// The files of the actions table now, each with its blake3, by path in the case.
pub fn actions_files(case_root: &Path) -> Result<Vec<(String, String)>, InputError> {
    let dir = case_root.join("parquet").join(ActionRow::TABLE);
    let mut found = Vec::new();
    walk(&dir, &mut found).map_err(|source| InputError {
        path: dir.clone(),
        source,
    })?;
    let rel: Vec<String> = found
        .iter()
        .filter_map(|p| p.strip_prefix(case_root).ok())
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let rel: Vec<&str> = rel.iter().map(String::as_str).collect();
    hash_files(case_root, &rel)
}

/// The summary of the last full run when nothing it depended on has changed since: `recorded`
/// is what the ledger's latest closing checkpoint naming them says (inputs, state), `inputs`
/// this run's fingerprint.
pub fn unchanged(case_root: &Path, recorded: Option<(&str, &str)>, inputs: &str) -> Option<Summary> {
    let (recorded_inputs, recorded_state) = recorded?;
    if recorded_inputs != inputs {
        return None;
    }
    let bytes = fs::read(case_root.join(STATE_FILE)).ok()?;
    if blake3::hash(&bytes).to_hex().as_str() != recorded_state {
        return None;
    }
    let state: State = serde_json::from_slice(&bytes).ok()?;
    let mut listed = state.actions.clone();
    listed.sort();
    let now = actions_files(case_root).ok()?;
    (state.inputs == inputs && listed == now).then_some(state.summary)
}

/// Writes CASE/correlated.json (atomically) and returns its blake3, for the ledger record.
pub fn save(case_root: &Path, state: &State) -> Result<String, InputError> {
    let path = case_root.join(STATE_FILE);
    let io = |source| InputError {
        path: path.clone(),
        source,
    };
    let mut json = serde_json::to_vec_pretty(state).map_err(|e| io(e.into()))?;
    json.push(b'\n');
    crate::durable::replace(&path, &json).map_err(io)?;
    Ok(blake3::hash(&json).to_hex().to_string())
}

fn read(path: &Path) -> Result<Vec<u8>, InputError> {
    fs::read(path).map_err(|source| InputError {
        path: path.to_path_buf(),
        source,
    })
}

/// blake3 of each file (paths relative to the case), in parallel, sorted by path.
fn hash_files(case_root: &Path, rel: &[&str]) -> Result<Vec<(String, String)>, InputError> {
    let mut out: Vec<(String, String)> = rel
        .par_iter()
        .map(|r| {
            let bytes = read(&case_root.join(r))?;
            Ok((r.to_string(), blake3::hash(&bytes).to_hex().to_string()))
        })
        .collect::<Result<_, _>>()?;
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&entry.path(), out)?;
        } else {
            out.push(entry.path());
        }
    }
    Ok(())
}

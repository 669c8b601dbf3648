//! The case's append-only, hash-chained ledger: CASE/ledger/ledger.log.
//!
//! Stages hand this module [`Record`]s (action, finding, ingest, policy, view); it verifies the
//! existing chain before touching it, skips records already present (so re-running a stage does
//! not duplicate evidence), appends the new ones with one write and an fsync, closes each batch
//! with a checkpoint, and keeps CASE/ledger/head (the last sequence number and hash) so that a
//! ledger cut back at a record boundary is noticed too. The line format and the hashing are
//! agaudit-verify's ([`agaudit_verify::ledger`]): writer and verifier share one definition.
//!
//! An append interrupted by a crash leaves a torn last line. The next open detects it, moves its
//! bytes to CASE/ledger/torn-OFFSET.bin, cuts the file back to the last complete record and
//! records the recovery (offset, length, blake3 of the torn bytes) in a checkpoint: reported,
//! never silently accepted, never silently dropped.
//!
//! In: a case directory and records. Out: ledger.log, head, and what was appended.

pub mod bound;

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use agaudit_verify::ledger::{self as chain, ChainError, Verified};
use agaudit_verify::{Link, genesis, to_hex};

use crate::case::Case;
use crate::table::declare::{Redact, Redaction};

pub const LEDGER_DIR: &str = "ledger";
pub const LEDGER_FILE: &str = "ledger.log";
pub const HEAD_FILE: &str = "head";
/// Signed checkpoints of the case (`agaudit checkpoint`), outside ledger/ so that deleting the
/// ledger does not delete the evidence that it existed.
pub const CHECKPOINTS_DIR: &str = "checkpoints";

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("cannot use {path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
    #[error(
        "{path} does not verify at {error}. The ledger was altered after it was written; \
         keep this copy as evidence and restore the ledger from a signed bundle or backup"
    )]
    Chain { path: PathBuf, error: ChainError },
    #[error(
        "{path} holds {records} records but {head} says the ledger reached record {head_seq}: \
         records were cut from its end; restore it from a signed bundle or backup"
    )]
    Truncated {
        path: PathBuf,
        head: PathBuf,
        records: u64,
        head_seq: u64,
    },
    #[error(
        "{path}: record {seq} has hash {found} but {head} recorded {expected} for it: \
         the ledger was rewritten; restore it from a signed bundle or backup"
    )]
    HeadMismatch {
        path: PathBuf,
        head: PathBuf,
        seq: u64,
        expected: String,
        found: String,
    },
    #[error(
        "{path} holds {records} records but {head} is missing: the file that catches a ledger \
         cut back at a record boundary was deleted; restore both from a backup, or check the \
         ledger against a signed checkpoint (agaudit log --pubkey PUB --checkpoint FILE)"
    )]
    HeadMissing { path: PathBuf, head: PathBuf, records: u64 },
    #[error(
        "{path} is missing or empty but the case has signed checkpoints in {checkpoints}: the \
         ledger was deleted; restore it from a signed bundle or backup (a new chain for this \
         case is refused)"
    )]
    Deleted { path: PathBuf, checkpoints: PathBuf },
    #[error(
        "{path} hashes to {found}, but the ledger recorded kept={recorded}: the kept policy was altered; \
         pass --policy FILE to judge with a file you trust"
    )]
    KeptPolicy {
        path: PathBuf,
        found: String,
        recorded: String,
    },
    #[error(
        "{path} contradicts a checkpoint signed earlier: {error}; keep this copy as evidence and \
         restore the ledger from a signed bundle or backup (nothing is appended to it)"
    )]
    Contradicts {
        path: PathBuf,
        error: agaudit_verify::checkpoint::CheckpointError,
    },
    #[error("{path}: {reason}")]
    BadCheckpoint { path: PathBuf, reason: String },
    #[error(
        "{path}: the row of {id} is not the one the ledger recorded: {reason}; keep this copy as \
         evidence and restore the table from a signed bundle or backup (or re-run agaudit correlate)"
    )]
    Unbound { path: PathBuf, id: String, reason: String },
    #[error(transparent)]
    Read(#[from] crate::table::read::ReadError),
    #[error("{path} belongs to case {found}, not to this case ({expected})")]
    OtherCase {
        path: PathBuf,
        expected: String,
        found: String,
    },
}

crate::vocabulary! {
    /// What a ledger record records (docs/ledger.md lists each kind's fields).
    pub enum RecordKind {
        /// A raw file's chain of custody.
        Ingest = "ingest",
        /// The policy correlate judged with.
        Policy = "policy",
        Action = "action",
        Finding = "finding",
        /// Someone looked (log, diff, map, inventory).
        View = "view",
        /// An evidence bundle was exported.
        Export = "export",
        /// The ledger's head after an append (the first one opens the case).
        #[default]
        Checkpoint = "checkpoint",
        /// A checkpoint was signed (`agaudit checkpoint`, or a command given --key): its tree
        /// size, root and file under CASE/checkpoints/.
        SignedCheckpoint = "signed_checkpoint",
    }
}

/// One record to append: its kind, its time, then its fields in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub kind: RecordKind,
    /// RFC 3339 UTC; for actions the access's time, for ingest the ingest time.
    pub ts: String,
    pub fields: Vec<(&'static str, String)>,
}

/// What a field's value is, for `log --json` and schemas/log.schema.json: the ledger's text
/// holds both as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    Text,
    /// A decimal count, size or sequence number (a JSON number).
    Integer,
}

/// Every field a record can hold, how its value is made safe before it is written, and what
/// its value is: the ledger is an output like any table, so a field's value is redacted by its
/// class whoever built the record. A field not listed here is treated as an identifier (and a
/// test fails on any field of a real ledger missing from this table).
pub const FIELDS: &[(&str, Redaction, Value)] = &[
    // checkpoint
    ("case", Redaction::Fixed, Value::Text),
    ("note", Redaction::Derived, Value::Text),
    ("appended", Redaction::Fixed, Value::Integer),
    ("torn_line", Redaction::Fixed, Value::Integer),
    ("torn_offset", Redaction::Fixed, Value::Integer),
    ("torn_bytes", Redaction::Fixed, Value::Integer),
    ("torn_blake3", Redaction::Fixed, Value::Text),
    ("torn_saved_to", Redaction::Derived, Value::Text),
    ("inputs", Redaction::Fixed, Value::Text),
    ("state", Redaction::Fixed, Value::Text),
    // ingest, policy
    ("path", Redaction::Identifier, Value::Text),
    ("size", Redaction::Fixed, Value::Integer),
    ("blake3", Redaction::Fixed, Value::Text),
    ("format", Redaction::Fixed, Value::Text),
    ("status", Redaction::Fixed, Value::Text),
    ("kept", Redaction::Fixed, Value::Text),
    // action, finding
    ("agent", Redaction::Identifier, Value::Text),
    ("principal", Redaction::Identifier, Value::Text),
    ("tool", Redaction::Identifier, Value::Text),
    ("server", Redaction::Identifier, Value::Text),
    ("resource", Redaction::Identifier, Value::Text),
    ("command", Redaction::Identifier, Value::Text),
    ("op", Redaction::Fixed, Value::Text),
    ("class", Redaction::Fixed, Value::Text),
    ("outcome", Redaction::Fixed, Value::Text),
    ("conf", Redaction::Fixed, Value::Text),
    ("policy", Redaction::Fixed, Value::Text),
    ("verdict", Redaction::Fixed, Value::Text),
    ("action", Redaction::Fixed, Value::Text),
    ("evidence", Redaction::Fixed, Value::Text),
    ("row", Redaction::Fixed, Value::Text),
    ("finding", Redaction::Fixed, Value::Text),
    ("type", Redaction::Fixed, Value::Text),
    ("severity", Redaction::Fixed, Value::Text),
    ("claim", Redaction::Derived, Value::Text),
    ("annotations", Redaction::Derived, Value::Text),
    ("layers", Redaction::Fixed, Value::Text),
    ("count", Redaction::Fixed, Value::Integer),
    ("last", Redaction::Fixed, Value::Text),
    // view, export
    ("viewer", Redaction::Identifier, Value::Text),
    ("filters", Redaction::Identifier, Value::Text),
    ("bundle", Redaction::Identifier, Value::Text),
    ("first_seq", Redaction::Fixed, Value::Integer),
    ("last_seq", Redaction::Fixed, Value::Integer),
    ("head", Redaction::Fixed, Value::Text),
    ("manifest", Redaction::Fixed, Value::Text),
    ("key", Redaction::Identifier, Value::Text),
    // signed_checkpoint (also size, head, key)
    ("root", Redaction::Fixed, Value::Text),
    ("file", Redaction::Derived, Value::Text),
];

impl LedgerError {
    /// Whether the error is evidence of tampering (exit 1, "does not verify") rather than a
    /// failure to read or write (exit 2).
    pub fn is_tampering(&self) -> bool {
        matches!(
            self,
            LedgerError::Chain { .. }
                | LedgerError::Truncated { .. }
                | LedgerError::HeadMismatch { .. }
                | LedgerError::HeadMissing { .. }
                | LedgerError::Deleted { .. }
                | LedgerError::KeptPolicy { .. }
                | LedgerError::Contradicts { .. }
                | LedgerError::Unbound { .. }
        )
    }
}

/// An action's or finding's record body: (is it an action, its id). The kind is the body's
/// second field (`ts=… kind=…`); a finding's id is its third, an action's the last `action=`
/// (only hashes follow it), so quoted values cannot be mistaken for either.
fn evidence_id(body: &str) -> Option<(bool, String)> {
    let mut fields = body.splitn(4, ' ');
    let (_, kind, third) = (fields.next()?, fields.next()?, fields.next()?);
    match kind {
        "kind=finding" => Some((false, third.strip_prefix("finding=")?.to_string())),
        "kind=action" => {
            let at = body.rfind(" action=")? + " action=".len();
            Some((true, body[at..].split(' ').next()?.to_string()))
        }
        _ => None,
    }
}

/// The (inputs, state) a closing checkpoint of correlate names, from its body: the kind is its
/// second field and `appended=` its third, so no quoted value elsewhere can pass for one.
fn correlated(body: &str) -> Option<(String, String)> {
    let mut head = body.splitn(4, ' ');
    let (_, kind, third) = (head.next()?, head.next()?, head.next()?);
    if kind != "kind=checkpoint" || !third.starts_with("appended=") {
        return None;
    }
    let fields = chain::fields(body).ok()?;
    let get = |k: &str| fields.iter().find(|(key, _)| *key == k).map(|(_, v)| v.clone());
    Some((get("inputs")?, get("state")?))
}

/// What identifies a policy record: the file's blake3 and the kept copy's.
fn policy_key<K: AsRef<str>, V: AsRef<str>>(fields: &[(K, V)]) -> (String, String) {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(key, _)| key.as_ref() == k)
            .map_or(String::new(), |(_, v)| v.as_ref().to_string())
    };
    (get("blake3"), get("kept"))
}

/// How the value of ledger field `name` is made safe.
pub fn field_class(name: &str) -> Option<Redaction> {
    FIELDS.iter().find(|(n, _, _)| *n == name).map(|(_, c, _)| *c)
}

/// The fields every record starts and ends with (docs/ledger.md), and what each value is.
pub const RECORD_FIELDS: &[(&str, Value)] = &[
    ("seq", Value::Integer),
    ("ts", Value::Text),
    ("kind", Value::Text),
    ("prev", Value::Text),
    ("hash", Value::Text),
];

/// What the value of field `name` is (Text for a field not listed).
pub fn field_value(name: &str) -> Value {
    RECORD_FIELDS
        .iter()
        .map(|(n, v)| (*n, *v))
        .chain(FIELDS.iter().map(|(n, _, v)| (*n, *v)))
        .find(|(n, _)| *n == name)
        .map_or(Value::Text, |(_, v)| v)
}

/// One record as JSON: every field, integers as numbers (`log --json`).
pub fn record_json(fields: &[(String, String)]) -> serde_json::Value {
    let obj: serde_json::Map<String, serde_json::Value> = fields
        .iter()
        .map(|(k, v)| {
            let value = match (field_value(k), v.parse::<u64>()) {
                (Value::Integer, Ok(n)) => serde_json::Value::from(n),
                _ => serde_json::Value::String(v.clone()),
            };
            (k.clone(), value)
        })
        .collect();
    serde_json::Value::Object(obj)
}

/// schemas/log.schema.json: one `log --json` line, derived from [`RECORD_FIELDS`] and
/// [`FIELDS`] (the man-page test writes it; BLESS=1 regenerates it).
pub fn log_schema() -> serde_json::Value {
    let kinds: Vec<&str> = RecordKind::ALL.iter().map(|k| k.name()).collect();
    let mut properties = serde_json::Map::new();
    for (name, value) in RECORD_FIELDS
        .iter()
        .map(|(n, v)| (*n, *v))
        .chain(FIELDS.iter().map(|(n, _, v)| (*n, *v)))
    {
        let schema = match (name, value) {
            ("kind", _) => serde_json::json!({"enum": kinds}),
            ("prev" | "hash", _) => serde_json::json!({"type": "string", "pattern": "^[0-9a-f]{64}$"}),
            (_, Value::Integer) => serde_json::json!({"type": "integer", "minimum": 0}),
            (_, Value::Text) => serde_json::json!({"type": "string"}),
        };
        properties.insert(name.to_string(), schema);
    }
    serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://example.invalid/agaudit/schemas/log.schema.json",
        "title": "agaudit log --json (one line)",
        "description": "One ledger record per line: every field the record holds (docs/ledger.md lists each kind's fields), counts, sizes and sequence numbers as numbers, everything else as the text the ledger holds. Generated from src/ledger/mod.rs (FIELDS).",
        "type": "object",
        "additionalProperties": false,
        "required": RECORD_FIELDS.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        "properties": properties,
    })
}

impl Record {
    fn body(&self, redact: &mut Redact) -> String {
        let values: Vec<Cow<'_, str>> = self
            .fields
            .iter()
            .map(|(k, v)| redact.apply(field_class(k).unwrap_or(Redaction::Identifier), v))
            .collect();
        let mut fields: Vec<(&str, &str)> = vec![("ts", &self.ts), ("kind", self.kind.name())];
        fields.extend(self.fields.iter().zip(&values).map(|((k, _), v)| (*k, v.as_ref())));
        chain::render(&fields)
    }
}

/// A torn tail found on open and moved aside.
#[derive(Debug, Clone)]
pub struct Recovered {
    pub line: u64,
    pub offset: u64,
    pub len: u64,
    pub blake3: String,
    pub saved_to: PathBuf,
}

/// What one append did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Appended {
    /// New records written (not counting the closing checkpoint).
    pub new: u64,
    /// Records skipped because the ledger already holds them.
    pub already: u64,
    /// Sequence number of the last record now in the ledger.
    pub head_seq: u64,
}

/// An open, verified ledger ready for appends. It borrows the [`Case`], whose lock it needs:
/// appending without holding the case lock does not compile.
pub struct Ledger<'c> {
    case: &'c Case,
    path: PathBuf,
    head_path: PathBuf,
    file: File,
    head: Link,
    seq: u64,
    /// 128-bit digests of every record body present, for idempotent appends.
    bodies: HashSet<u128>,
    /// The digest of the latest record of each action and finding id.
    latest: HashMap<(bool, String), u128>,
    last_policy: Option<(String, String)>,
    /// The (inputs, state) of the latest closing checkpoint that names them: what correlate
    /// last ran on.
    last_correlated: Option<(String, String)>,
    pending_recovery: Option<Recovered>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> LedgerError + '_ {
    move |source| LedgerError::Io {
        path: path.to_path_buf(),
        error: source,
    }
}

fn digest(body: &str) -> u128 {
    let h = blake3::Hasher::new_derive_key("agaudit 2026-11 ledger body digest v1")
        .update(body.as_bytes())
        .finalize();
    u128::from_le_bytes(h.as_bytes()[..16].try_into().unwrap_or([0; 16]))
}

/// The signed checkpoints kept in the case (CASE/checkpoints/NNN.txt and NNN.txt.minisig), by
/// size: each body's path, its content and its signature's text. Their signatures are not checked
/// here (the case holds no key an auditor trusts): `agaudit log --pubkey` does that.
pub fn case_checkpoints(
    case_root: &Path,
) -> Result<Vec<(PathBuf, agaudit_verify::checkpoint::Checkpoint, String)>, LedgerError> {
    let dir = case_root.join(CHECKPOINTS_DIR);
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(&dir)(e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let path = entry.map_err(io(&dir))?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("txt") {
            continue;
        }
        let body = fs::read_to_string(&path).map_err(io(&path))?;
        let checkpoint =
            agaudit_verify::checkpoint::Checkpoint::parse(&body).map_err(|reason| LedgerError::BadCheckpoint {
                path: path.clone(),
                reason,
            })?;
        let sig_path = signature_path(&path);
        let signature = fs::read_to_string(&sig_path).map_err(io(&sig_path))?;
        out.push((path, checkpoint, signature));
    }
    out.sort_by_key(|(_, c, _)| c.size);
    Ok(out)
}

/// Where a checkpoint body's minisign signature is: next to it, `.minisig` appended.
pub fn signature_path(body: &Path) -> PathBuf {
    let mut p = body.as_os_str().to_owned();
    p.push(".minisig");
    PathBuf::from(p)
}

pub fn ledger_path(case_root: &Path) -> PathBuf {
    case_root.join(LEDGER_DIR).join(LEDGER_FILE)
}

/// Reads and verifies a ledger without changing it (for `agaudit log` and checks): the lines of
/// its complete records and the verification result. Errors when the chain is broken or the
/// head file says records are missing.
pub fn read(case_root: &Path) -> Result<(Vec<String>, Verified), LedgerError> {
    let path = ledger_path(case_root);
    let bytes = fs::read(&path).map_err(io(&path))?;
    let verified = chain::verify(&bytes).map_err(|error| LedgerError::Chain {
        path: path.clone(),
        error,
    })?;
    let complete = verified.torn.as_ref().map_or(bytes.len(), |t| t.offset as usize);
    let text = String::from_utf8_lossy(&bytes[..complete]);
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    check_head(
        &path,
        &case_root.join(LEDGER_DIR).join(HEAD_FILE),
        &lines,
        verified.last_seq,
    )?;
    // Every reader, recorded view or not, holds the ledger to the case's signed checkpoints.
    let case_id = verified.case_id.clone().unwrap_or_default();
    check_signed_checkpoints(case_root, &path, &lines, verified.last_seq, &case_id)?;
    Ok((lines, verified))
}

/// The ledger against every signed checkpoint in the case: a ledger that contradicts one, or an
/// empty ledger in a case that has them, is refused.
fn check_signed_checkpoints(
    case_root: &Path,
    path: &Path,
    lines: &[String],
    last_seq: u64,
    case_id: &str,
) -> Result<(), LedgerError> {
    let signed = case_checkpoints(case_root)?;
    if last_seq == 0 && !signed.is_empty() {
        return Err(LedgerError::Deleted {
            path: path.to_path_buf(),
            checkpoints: case_root.join(CHECKPOINTS_DIR),
        });
    }
    if !signed.is_empty() {
        let raw: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
        let bodies: Vec<agaudit_verify::checkpoint::Checkpoint> = signed.into_iter().map(|(_, c, _)| c).collect();
        agaudit_verify::checkpoint::check_ledger(case_id, &raw, &bodies).map_err(|error| LedgerError::Contradicts {
            path: path.to_path_buf(),
            error,
        })?;
    }
    Ok(())
}

fn check_head(path: &Path, head_path: &Path, lines: &[String], records: u64) -> Result<(), LedgerError> {
    let text = match fs::read_to_string(head_path) {
        Ok(text) => text,
        // Every append replaces the head; a ledger with records and no head lost it.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && records > 0 => {
            return Err(LedgerError::HeadMissing {
                path: path.to_path_buf(),
                head: head_path.to_path_buf(),
                records,
            });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(head_path)(e)),
    };
    let fields = chain::fields(text.trim_end()).unwrap_or_default();
    let get = |k: &str| fields.iter().find(|(key, _)| *key == k).map(|(_, v)| v.clone());
    let (Some(seq), Some(hash)) = (get("seq").and_then(|s| s.parse::<u64>().ok()), get("hash")) else {
        return Ok(());
    };
    if seq > records {
        return Err(LedgerError::Truncated {
            path: path.to_path_buf(),
            head: head_path.to_path_buf(),
            records,
            head_seq: seq,
        });
    }
    if seq == 0 {
        return Ok(());
    }
    let line = &lines[(seq - 1) as usize];
    let found = chain::split_hash(line.as_bytes())
        .map(|(_, h)| h.to_string())
        .unwrap_or_default();
    if found != hash {
        return Err(LedgerError::HeadMismatch {
            path: path.to_path_buf(),
            head: head_path.to_path_buf(),
            seq,
            expected: hash,
            found,
        });
    }
    Ok(())
}

impl<'c> Ledger<'c> {
    /// Opens (creating if needed) the ledger of the case `case_id`, verifying it; a torn last
    /// record is moved aside and reported (see the module docs).
    pub fn open(case: &'c Case, case_id: &str) -> Result<Ledger<'c>, LedgerError> {
        let case_root = case.root();
        let dir = case_root.join(LEDGER_DIR);
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        let path = dir.join(LEDGER_FILE);
        let head_path = dir.join(HEAD_FILE);
        let mut file = File::options()
            .create(true)
            .read(true)
            .append(true)
            .open(&path)
            .map_err(io(&path))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io(&path))?;
        let verified = chain::verify(&bytes).map_err(|error| LedgerError::Chain {
            path: path.clone(),
            error,
        })?;
        if let Some(found) = &verified.case_id
            && found != case_id
        {
            return Err(LedgerError::OtherCase {
                path,
                expected: case_id.to_string(),
                found: found.clone(),
            });
        }
        let mut pending_recovery = None;
        if let Some(torn) = &verified.torn {
            let torn_bytes = &bytes[torn.offset as usize..];
            let saved_to = dir.join(format!("torn-{}.bin", torn.offset));
            fs::write(&saved_to, torn_bytes).map_err(io(&saved_to))?;
            File::open(&saved_to)
                .and_then(|f| f.sync_all())
                .map_err(io(&saved_to))?;
            file.set_len(torn.offset).map_err(io(&path))?;
            file.sync_all().map_err(io(&path))?;
            pending_recovery = Some(Recovered {
                line: torn.line,
                offset: torn.offset,
                len: torn.len,
                blake3: blake3::hash(torn_bytes).to_hex().to_string(),
                saved_to,
            });
            bytes.truncate(torn.offset as usize);
        }
        file.seek(SeekFrom::End(0)).map_err(io(&path))?;
        let text = String::from_utf8_lossy(&bytes);
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        check_head(&path, &head_path, &lines, verified.last_seq)?;
        check_signed_checkpoints(case_root, &path, &lines, verified.last_seq, case_id)?;
        let mut bodies = HashSet::with_capacity(lines.len());
        let mut latest = HashMap::new();
        let mut last_policy = None;
        let mut last_correlated = None;
        for line in &lines {
            let Some(body) = chain::body_of(line) else { continue };
            let d = digest(body);
            bodies.insert(d);
            if let Some(id) = evidence_id(body) {
                latest.insert(id, d);
            }
            if body.contains(&format!(" kind={} ", RecordKind::Policy)) {
                last_policy = chain::fields(body).ok().map(|f| policy_key(&f));
            }
            if let Some(c) = correlated(body) {
                last_correlated = Some(c);
            }
        }
        let mut ledger = Ledger {
            case,
            path,
            head_path,
            file,
            head: if verified.last_seq == 0 {
                genesis(case_id)
            } else {
                verified.head
            },
            seq: verified.last_seq,
            bodies,
            latest,
            last_policy,
            last_correlated,
            pending_recovery,
        };
        if ledger.seq == 0 {
            let opened = Record {
                kind: RecordKind::Checkpoint,
                ts: crate::time::now(),
                fields: vec![("case", case_id.to_string()), ("note", "opened".into())],
            };
            let mut batch = ledger.batch();
            batch.push(&opened.body(&mut Redact::default()));
            ledger.write(batch)?;
        }
        Ok(ledger)
    }

    /// A torn tail found (and moved aside) when this ledger was opened, if any.
    pub fn recovered(&self) -> Option<&Recovered> {
        self.pending_recovery.as_ref()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The (inputs, state) of the latest correlation recorded (`crate::correlate::rerun`).
    pub fn last_correlated(&self) -> Option<(&str, &str)> {
        self.last_correlated.as_ref().map(|(i, s)| (i.as_str(), s.as_str()))
    }

    /// The case this ledger belongs to (whose lock is held while it is open).
    pub fn case(&self) -> &'c Case {
        self.case
    }

    /// Appends the records the ledger does not already hold, then a checkpoint; one write and
    /// one fsync for the whole batch. A policy record is skipped when the last policy recorded
    /// has the same blake3 (the policy in force did not change).
    pub fn append(&mut self, records: impl IntoIterator<Item = Record>) -> Result<Appended, LedgerError> {
        self.append_closing(records, Vec::new())
    }

    /// [`append`](Self::append), with `closing` fields added to the closing checkpoint (which is
    /// then written even when no record is new): correlate's `inputs` and `state`.
    pub fn append_closing(
        &mut self,
        records: impl IntoIterator<Item = Record>,
        closing: Vec<(&'static str, String)>,
    ) -> Result<Appended, LedgerError> {
        // Lines are rendered as records come (no record or body is held beyond its own turn)
        // and written with one write and one fsync at the end, so that a crash leaves at most
        // a torn tail, never a batch cut at a line boundary.
        let mut batch = self.batch();
        let mut redact = Redact::default();
        let mut appended = Appended::default();
        if let Some(r) = &self.pending_recovery {
            let note = Record {
                kind: RecordKind::Checkpoint,
                ts: crate::time::now(),
                fields: vec![
                    ("note", "torn_tail_recovered".into()),
                    ("torn_line", r.line.to_string()),
                    ("torn_offset", r.offset.to_string()),
                    ("torn_bytes", r.len.to_string()),
                    ("torn_blake3", r.blake3.clone()),
                    ("torn_saved_to", format!("{LEDGER_DIR}/torn-{}.bin", r.offset)),
                ],
            };
            batch.push(&note.body(&mut redact));
        }
        for record in records {
            if record.kind == RecordKind::Policy {
                // The same file kept in the same form: already recorded. A new agaudit that keeps
                // it differently (new secret rules) records it again, so `kept=` stays true.
                let key = Some(policy_key(&record.fields));
                if key == self.last_policy {
                    appended.already += 1;
                    continue;
                }
                self.last_policy = key;
            }
            let body = record.body(&mut redact);
            let d = digest(&body);
            // An action or finding is new when it differs from the latest record of its id (a
            // judgement that changed back is recorded again, so the latest record is always the
            // one the tables hold); any other record when no record has its body.
            let new = match evidence_id(&body) {
                Some(id) => self.latest.get(&id) != Some(&d),
                None => !self.bodies.contains(&d),
            };
            if !new {
                appended.already += 1;
                continue;
            }
            self.bodies.insert(d);
            if let Some(id) = evidence_id(&body) {
                self.latest.insert(id, d);
            }
            appended.new += 1;
            batch.push(&body);
        }
        // A signed checkpoint closes its own batch: a closing record after it would make every
        // signed checkpoint stale the moment it is written.
        let only_signed = appended.new > 0 && batch.only_signed;
        if only_signed && self.pending_recovery.is_none() {
            self.write(batch)?;
        } else if appended.new > 0 || self.pending_recovery.is_some() || !closing.is_empty() {
            let mut fields = vec![("appended", appended.new.to_string())];
            fields.extend(closing);
            let closing = Record {
                kind: RecordKind::Checkpoint,
                ts: crate::time::now(),
                fields,
            };
            let body = closing.body(&mut redact);
            if let Some(c) = correlated(&body) {
                self.last_correlated = Some(c);
            }
            batch.push(&body);
            self.write(batch)?;
            self.pending_recovery = None;
        }
        appended.head_seq = self.seq;
        Ok(appended)
    }

    /// An empty batch starting at the current head.
    fn batch(&self) -> Batch {
        Batch {
            out: String::new(),
            head: self.head,
            seq: self.seq,
            only_signed: true,
        }
    }

    /// Writes a batch (one write, one fsync) and moves the head to its last record.
    fn write(&mut self, batch: Batch) -> Result<(), LedgerError> {
        let Batch { out, head, seq, .. } = batch;
        self.file.write_all(out.as_bytes()).map_err(io(&self.path))?;
        self.file.sync_data().map_err(io(&self.path))?;
        self.head = head;
        self.seq = seq;
        // The head file is a hint for truncation detection; replace it atomically.
        let tmp = self.head_path.with_extension("tmp");
        let text = format!("seq={seq} hash={}\n", to_hex(&head));
        let write_tmp = || -> std::io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()
        };
        write_tmp().map_err(io(&tmp))?;
        fs::rename(&tmp, &self.head_path).map_err(io(&self.head_path))?;
        Ok(())
    }
}

/// The lines of one append, rendered as its records come, and the chain position after them.
struct Batch {
    out: String,
    head: Link,
    seq: u64,
    /// Every record pushed is a signed checkpoint (which closes its own batch).
    only_signed: bool,
}

impl Batch {
    fn push(&mut self, body: &str) {
        self.seq += 1;
        let (line, next) = chain::record_line(&self.head, self.seq, body);
        self.out.push_str(&line);
        self.head = next;
        self.only_signed &= body.contains(" kind=signed_checkpoint ");
    }
}

/// Wall-clock time now, RFC 3339 UTC with seconds.
/// Records that someone looked at the case: `view` with the viewer, the command and its
/// filters, so "who saw what" is answerable from the ledger (and travels in bundles).
/// Called before the view prints, so a view cut short (`agaudit log | head`) is still recorded.
pub fn record_view(
    case: &Case,
    viewer: &str,
    command: &str,
    filters: &[(&str, Option<&str>)],
) -> Result<(), LedgerError> {
    let (_, verified) = read(case.root())?;
    let case_id = verified.case_id.unwrap_or_default();
    let filters: Vec<String> = filters
        .iter()
        .filter_map(|(k, v)| v.map(|v| format!("--{k} {v}")))
        .collect();
    let mut fields = vec![("viewer", viewer.to_string()), ("command", command.to_string())];
    if !filters.is_empty() {
        fields.push(("filters", filters.join(" ")));
    }
    Ledger::open(case, &case_id)?.append([Record {
        kind: RecordKind::View,
        ts: crate::time::now(),
        fields,
    }])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(n: u32) -> Record {
        Record {
            kind: RecordKind::Action,
            ts: "2026-06-08T09:14:02Z".into(),
            fields: vec![("agent", format!("a@s{n}")), ("resource", "db/x".into())],
        }
    }

    #[test]
    fn appends_are_idempotent_and_new_evidence_appends() {
        let dir = tempfile::tempdir().unwrap();
        let case = Case::open(dir.path()).unwrap();
        let mut l = Ledger::open(&case, "case-x").unwrap();
        let a = l.append([action(1), action(2)]).unwrap();
        assert_eq!((a.new, a.already, a.head_seq), (2, 0, 4), "opened + 2 + checkpoint");
        drop(l);
        let mut l = Ledger::open(&case, "case-x").unwrap();
        let b = l.append([action(1), action(2)]).unwrap();
        assert_eq!(
            (b.new, b.already, b.head_seq),
            (0, 2, 4),
            "nothing new, nothing written"
        );
        let c = l.append([action(1), action(3)]).unwrap();
        assert_eq!((c.new, c.already, c.head_seq), (1, 1, 6));
        let (lines, v) = read(dir.path()).unwrap();
        assert_eq!((lines.len(), v.last_seq), (6, 6));
        assert!(matches!(
            Ledger::open(&case, "other"),
            Err(LedgerError::OtherCase { .. })
        ));
    }

    /// A judgement that changes and changes back is recorded each time, so the latest record of
    /// an action is always the one its row matches (policy A, then B, then A again).
    #[test]
    fn an_action_judged_again_as_before_is_recorded_again() {
        let judged = |verdict: &str| Record {
            kind: RecordKind::Action,
            ts: "2026-06-08T09:14:02Z".into(),
            fields: vec![
                ("agent", "a@s".into()),
                ("verdict", verdict.into()),
                ("claim", "\"x action=fake\"".into()),
                ("action", "a1".into()),
                ("row", "ab".repeat(32)),
            ],
        };
        let dir = tempfile::tempdir().unwrap();
        let case = Case::open(dir.path()).unwrap();
        let mut l = Ledger::open(&case, "case-x").unwrap();
        assert_eq!(l.append([judged("ok")]).unwrap().new, 1);
        assert_eq!(l.append([judged("violation_allowed")]).unwrap().new, 1);
        drop(l);
        let mut l = Ledger::open(&case, "case-x").unwrap();
        assert_eq!(l.append([judged("ok")]).unwrap().new, 1, "back to A: recorded again");
        assert_eq!(l.append([judged("ok")]).unwrap().already, 1, "the same again: already");
        assert_eq!(
            evidence_id("ts=t kind=action claim=\"y action=fake\" action=a1 row=ab"),
            Some((true, "a1".into()))
        );
        assert_eq!(
            evidence_id("ts=t kind=finding finding=f1 claim=\" finding=zz\""),
            Some((false, "f1".into()))
        );
        assert_eq!(evidence_id("ts=t kind=view viewer=x"), None);
    }

    #[test]
    fn a_torn_tail_at_any_byte_is_recovered_and_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let case = Case::open(dir.path()).unwrap();
        let mut l = Ledger::open(&case, "c").unwrap();
        l.append([action(1)]).unwrap();
        let full = fs::read(ledger_path(dir.path())).unwrap();
        let before = full.len();
        // The head as a crash in the next append leaves it: naming the last complete batch.
        let head_before = fs::read(dir.path().join(LEDGER_DIR).join(HEAD_FILE)).unwrap();
        l.append([action(2)]).unwrap();
        let grown = fs::read(ledger_path(dir.path())).unwrap();
        drop(l);
        // Cut inside the second batch at every byte: as after a kill -9 mid-write.
        for cut in (before + 1..grown.len()).step_by(7) {
            let case = tempfile::tempdir().unwrap();
            fs::create_dir_all(case.path().join(LEDGER_DIR)).unwrap();
            fs::write(ledger_path(case.path()), &grown[..cut]).unwrap();
            fs::write(case.path().join(LEDGER_DIR).join(HEAD_FILE), &head_before).unwrap();
            let (_, v) = read(case.path()).unwrap();
            assert!(v.last_seq >= 3, "complete records still verify");
            let torn = grown[..cut].last() != Some(&b'\n');
            let opened = Case::open(case.path()).unwrap();
            let mut l = Ledger::open(&opened, "c").unwrap();
            assert_eq!(l.recovered().is_some(), torn, "cut at {cut}");
            l.append([action(2)]).unwrap();
            let (lines, v) = read(case.path()).unwrap();
            assert!(v.torn.is_none());
            if torn {
                assert!(lines.iter().any(|x| x.contains("note=torn_tail_recovered")));
                let saved = fs::read_dir(case.path().join(LEDGER_DIR))
                    .unwrap()
                    .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with("torn-"))
                    .count();
                assert_eq!(saved, 1);
            }
            assert!(lines.iter().any(|x| x.contains("agent=a@s2")));
        }
    }

    #[test]
    fn truncation_at_a_record_boundary_is_caught_by_the_head() {
        let dir = tempfile::tempdir().unwrap();
        let case = Case::open(dir.path()).unwrap();
        let mut l = Ledger::open(&case, "c").unwrap();
        l.append([action(1), action(2)]).unwrap();
        drop(l);
        let path = ledger_path(dir.path());
        let text = fs::read_to_string(&path).unwrap();
        let keep: String = text.lines().take(2).map(|l| format!("{l}\n")).collect();
        fs::write(&path, keep).unwrap();
        assert!(matches!(
            read(dir.path()),
            Err(LedgerError::Truncated {
                records: 2,
                head_seq: 4,
                ..
            })
        ));
        assert!(matches!(Ledger::open(&case, "c"), Err(LedgerError::Truncated { .. })));
        fs::remove_file(dir.path().join(LEDGER_DIR).join(HEAD_FILE)).unwrap();
        assert!(matches!(
            read(dir.path()),
            Err(LedgerError::HeadMissing { records: 2, .. })
        ));
    }
}

//! The case's append-only, hash-chained ledger: CASE/ledger/ledger.log.
//!
//! Stages hand this module [`Record`]s (action, finding, ingest, policy, view); it verifies the
//! existing chain before touching it, skips records already present (so re-running a stage does
//! not duplicate evidence), appends the new ones at once with one fsync, closes each batch
//! with a checkpoint, and keeps CASE/ledger/head (the last sequence number and hash) so that a
//! ledger cut back at a record boundary is noticed too. The line format and the hashing are
//! agaudit-verify's ([`agaudit_verify::ledger`]): writer and verifier share one definition.
//!
//! An append interrupted by a crash leaves a torn last line. The next open detects it, moves its
//! bytes to CASE/ledger/torn-OFFSET.bin, cuts the file back to the last complete record and
//! records the recovery (offset, length, blake3 of the torn bytes) in a checkpoint: reported,
//! never silently accepted, never silently dropped.
//!
//! An append does not read the whole ledger: it starts from the tail the previous append left
//! (`tail`: the last record's hash and offset, the Merkle frontier) and skips records already
//! present through a digest index on disk (`index`), verifying only the records written since.
//! Without a tail it can trust, it checks everything from the genesis and rebuilds both. `log`,
//! `export` and `verify` always check every record ([`read`]).
//!
//! In: a case directory and records. Out: ledger.log, head, tail, index, and what was appended.

pub mod bound;
pub mod index;
pub mod tail;

use std::borrow::Cow;
use std::fs::{self, File};
use std::io::{IoSlice, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use agaudit_verify::ledger::{self as chain, Anchor, ChainError, Verified};
use agaudit_verify::tree;
use agaudit_verify::{Link, genesis, to_hex};

use self::index::{Index, IndexError};
use self::tail::{Checked, Tail};

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
    #[error("cannot close the append: {0}")]
    Closing(Box<dyn std::error::Error + Send + Sync>),
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
    #[error("the ledger's digest index: {0}")]
    Index(#[from] IndexError),
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
    match chain::kind_of(body)? {
        "finding" => {
            let third = body.split(' ').nth(2)?;
            Some((false, third.strip_prefix("finding=")?.to_string()))
        }
        "action" => {
            let at = body.rfind(" action=")? + " action=".len();
            Some((true, body[at..].split(' ').next()?.to_string()))
        }
        _ => None,
    }
}

/// The (inputs, state) a closing checkpoint of correlate names, from its body: the kind is its
/// second field and `appended=` its third, so no quoted value elsewhere can pass for one.
fn correlated(body: &str) -> Option<(String, String)> {
    let third = body.split(' ').nth(2)?;
    if chain::kind_of(body)? != RecordKind::Checkpoint.name() || !third.starts_with("appended=") {
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

/// A record made ready to append: its body rendered (every value made safe) and how it is found
/// again. Made on any thread and appended in order: correlate renders a million records on every
/// core while the ledger links them on one.
pub struct Prepared {
    body: String,
    found: Indexed,
    /// A policy record's (blake3, kept): the policy already in force is not recorded again.
    policy: Option<(String, String)>,
}

impl From<Record> for Prepared {
    fn from(record: Record) -> Prepared {
        record.prepare()
    }
}

impl Record {
    /// The record rendered and made safe (through the redaction memo every builder shares per
    /// thread: the same agent, role and resource come back record after record).
    pub fn prepare(&self) -> Prepared {
        let body = self.body(&mut Redact::default());
        Prepared {
            found: indexed(&body),
            body,
            policy: (self.kind == RecordKind::Policy).then(|| policy_key(&self.fields)),
        }
    }

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
    paths: Paths,
    file: File,
    /// An append failed part-way and was cut back: this writer's state no longer matches the
    /// file, so it appends nothing more.
    failed: bool,
    /// Body digests of the records (other than actions and findings) this writer appended.
    new_bodies: std::collections::HashSet<u128>,
    state: State,
    pending_recovery: Option<Recovered>,
}

/// Where the chain stands: what the tail records and what appends need.
struct State {
    case_id: String,
    head: Link,
    seq: u64,
    /// The ledger's length in bytes.
    offset: u64,
    tree: tree::Builder,
    /// Digest of every record body, and of the latest record of each action and finding id.
    index: Index,
    /// The (blake3, kept) of the latest policy record.
    last_policy: Latest<(String, String)>,
    /// The (inputs, state) of the latest closing checkpoint that names them: what correlate
    /// last ran on.
    last_correlated: Latest<(String, String)>,
    last_signed: bool,
    /// Signed checkpoints already checked against this ledger.
    checked: Vec<Checked>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> LedgerError + '_ {
    move |source| LedgerError::Io {
        path: path.to_path_buf(),
        error: source,
    }
}

const BODY_DIGEST: &str = "agaudit 2026-11 ledger body digest v1";
const EVIDENCE_KEY: &str = "agaudit 2026-12 ledger evidence id v1";

/// The first 16 bytes of blake3 in key-derivation mode for `context` (one of the two above),
/// its context key derived once per process: an append computes one per record.
fn digest128(context: &'static str, bytes: &[u8]) -> u128 {
    static BODY: std::sync::OnceLock<blake3::Hasher> = std::sync::OnceLock::new();
    static ID: std::sync::OnceLock<blake3::Hasher> = std::sync::OnceLock::new();
    let base = if context == BODY_DIGEST { &BODY } else { &ID };
    let h = base
        .get_or_init(|| blake3::Hasher::new_derive_key(context))
        .clone()
        .update(bytes)
        .finalize();
    u128::from_be_bytes(h.as_bytes()[..16].try_into().unwrap_or([0; 16]))
}

/// How a record is found again, so that appending it twice writes it once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Indexed {
    /// An action or finding: the index maps its id (`key`) to the digest of the latest record
    /// of that id. A forged entry can only make an append skip a record, and every view then
    /// reports the table row without its record.
    Evidence { key: u128, digest: u128 },
    /// Any other record (custody, policy, view, export, checkpoint) is present when a record has
    /// its body: the index maps the body digest to where that record ends, and a hit counts only
    /// when the record there has that body, so a forged entry cannot hide a record.
    Body { digest: u128 },
}

fn indexed(body: &str) -> Indexed {
    let digest = digest128(BODY_DIGEST, body.as_bytes());
    match evidence_id(body) {
        Some((action, id)) => {
            let tagged = [if action { "action=" } else { "finding=" }, &id].concat();
            Indexed::Evidence {
                key: digest128(EVIDENCE_KEY, tagged.as_bytes()),
                digest,
            }
        }
        None => Indexed::Body { digest },
    }
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
/// empty ledger in a case that has them, is refused. Returns the checkpoints checked.
fn check_signed_checkpoints(
    case_root: &Path,
    path: &Path,
    lines: &[impl AsRef<str>],
    last_seq: u64,
    case_id: &str,
) -> Result<Vec<agaudit_verify::checkpoint::Checkpoint>, LedgerError> {
    let signed = case_checkpoints(case_root)?;
    if last_seq == 0 && !signed.is_empty() {
        return Err(LedgerError::Deleted {
            path: path.to_path_buf(),
            checkpoints: case_root.join(CHECKPOINTS_DIR),
        });
    }
    if signed.is_empty() {
        return Ok(Vec::new());
    }
    let raw: Vec<&[u8]> = lines.iter().map(|l| l.as_ref().as_bytes()).collect();
    let bodies: Vec<agaudit_verify::checkpoint::Checkpoint> = signed.into_iter().map(|(_, c, _)| c).collect();
    agaudit_verify::checkpoint::check_ledger(case_id, &raw, &bodies).map_err(|error| LedgerError::Contradicts {
        path: path.to_path_buf(),
        error,
    })?;
    Ok(bodies)
}

fn check_head(path: &Path, head_path: &Path, lines: &[impl AsRef<str>], records: u64) -> Result<(), LedgerError> {
    // Every append replaces the head; a ledger with records and no head lost it. Except the
    // ledger's opening record alone: a crash after its fsync, before its head was written,
    // leaves exactly that (and a ledger cut back to it with its head deleted could as well
    // have been deleted whole, which signed checkpoints catch).
    let opening_only = records == 1
        && lines
            .first()
            .and_then(|l| chain::body_of(l.as_ref()))
            .is_some_and(|b| b.split(' ').nth(1) == Some("kind=checkpoint") && b.ends_with(" note=opened"));
    if records > 0 && !head_path.exists() && !opening_only {
        return Err(LedgerError::HeadMissing {
            path: path.to_path_buf(),
            head: head_path.to_path_buf(),
            records,
        });
    }
    let Some((seq, hash)) = head_file(head_path)? else {
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
    let line = lines[(seq - 1) as usize].as_ref();
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

/// What the latest record of some kind says, once it is known: from the records this writer
/// has seen, or read back from the ledger when first asked (never from the tail, which an
/// insider can write).
#[derive(Debug, Clone)]
enum Latest<T> {
    Unknown,
    Known(Option<T>),
}

/// The latest complete record before byte `end` (a record boundary) for which `pick` says
/// something, reading the ledger backwards a block at a time.
fn scan_back<T>(file: &File, end: u64, pick: impl Fn(&str) -> Option<T>) -> std::io::Result<Option<T>> {
    const BLOCK: u64 = 1 << 20;
    let mut hi = end;
    // The start of the line that runs on past `hi` (its bytes up to and including its newline).
    let mut carry: Vec<u8> = Vec::new();
    while hi > 0 {
        let lo = hi.saturating_sub(BLOCK);
        let mut buf = vec![0u8; (hi - lo) as usize];
        file.read_exact_at(&mut buf, lo)?;
        buf.extend_from_slice(&carry);
        let first = match buf.iter().position(|&b| b == b'\n') {
            _ if lo == 0 => 0,
            Some(i) => i + 1,
            None => {
                carry = buf;
                hi = lo;
                continue;
            }
        };
        for line in buf[first..].split(|&b| b == b'\n').rev() {
            if let Some(found) = std::str::from_utf8(line).ok().and_then(chain::body_of).and_then(&pick) {
                return Ok(Some(found));
            }
        }
        buf.truncate(first);
        carry = buf;
        hi = lo;
    }
    Ok(None)
}

fn policy_of(body: &str) -> Option<(String, String)> {
    if chain::kind_of(body)? != RecordKind::Policy.name() {
        return None;
    }
    chain::fields(body).ok().map(|f| policy_key(&f))
}

/// Bytes after the last complete record, found on open: (the bytes, their offset, their line).
type TornTail = (Vec<u8>, u64, u64);

impl State {
    /// The state after the complete records `lines` (each without its newline) are appended.
    fn replay<'a>(&mut self, lines: impl IntoIterator<Item = &'a [u8]>) {
        for line in lines {
            // Records after the tail may be in the index already (an append that crashed
            // after syncing the index, before writing the tail).
            self.advance(line, &tree::leaf(line));
            match std::str::from_utf8(line).ok().and_then(chain::body_of).map(indexed) {
                Some(Indexed::Evidence { key, digest }) if self.index.get(key).ok().flatten() != Some(digest) => {
                    self.index.insert(key, digest)
                }
                Some(Indexed::Body { digest }) => self.index.insert(digest, u128::from(self.offset)),
                _ => {}
            }
        }
    }

    /// Moves past one verified record line (without its newline, leaf hash `leaf`): the chain
    /// position, the tree, the last policy and correlation, and a signed checkpoint's claim
    /// checked against the tree it names. The index is the caller's.
    fn advance(&mut self, line: &[u8], leaf: &tree::Hash) {
        if let Some(body) = std::str::from_utf8(line).ok().and_then(chain::body_of) {
            if let Some(p) = policy_of(body) {
                self.last_policy = Latest::Known(Some(p));
            }
            if let Some(c) = correlated(body) {
                self.last_correlated = Latest::Known(Some(c));
            }
            self.last_signed = chain::kind_of(body) == Some(RecordKind::SignedCheckpoint.name());
            if self.last_signed {
                self.check_signed_record(body);
            }
        }
        self.tree.push(leaf);
        if let Some(link) = chain::split_hash(line).and_then(|(_, h)| chain::from_hex(h)) {
            self.head = link;
        }
        self.seq += 1;
        self.offset += line.len() as u64 + 1;
    }

    /// A signed_checkpoint record names the tree it was signed over (size, root, head): when
    /// that is the tree right before it, the checkpoint file with those values needs no check
    /// from the genesis on later opens.
    fn check_signed_record(&mut self, body: &str) {
        let Ok(fields) = chain::fields(body) else { return };
        let get = |k: &str| fields.iter().find(|(key, _)| *key == k).map(|(_, v)| v.clone());
        let claim = Checked {
            size: get("size").and_then(|s| s.parse().ok()).unwrap_or(0),
            root: get("root").unwrap_or_default(),
            chain: get("head").unwrap_or_default(),
            offset: self.offset,
        };
        if claim.size == self.seq
            && claim.root == to_hex(&self.tree.root())
            && claim.chain == to_hex(&self.head)
            && !self.checked.contains(&claim)
        {
            self.checked.push(claim);
        }
    }

    /// Syncs the index and replaces the tail with this state.
    fn save(&mut self, dir: &Path) -> Result<(), LedgerError> {
        self.index.persist()?;
        self.tail().save(dir).map_err(io(&dir.join(tail::TAIL_FILE)))
    }

    fn tail(&self) -> Tail {
        Tail {
            version: tail::VERSION,
            case: self.case_id.clone(),
            seq: self.seq,
            hash: to_hex(&self.head),
            offset: self.offset,
            frontier: Tail::hex_frontier(&self.tree),
            index: self.index.counts(),
            last_signed: self.last_signed,
            checked: self.checked.clone(),
        }
    }
}

/// The longest record an append reads back (agaudit's own are a few hundred bytes).
const LONGEST_RECORD: u64 = 16 << 20;

/// The line of `file` that ends right before `offset` (without its newline), if it is one.
fn line_before(file: &File, offset: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut window = 4096u64;
    loop {
        let start = offset.saturating_sub(window);
        let mut buf = vec![0u8; (offset - start) as usize];
        file.read_exact_at(&mut buf, start)?;
        if buf.last() != Some(&b'\n') {
            return Ok(None);
        }
        buf.pop();
        if let Some(at) = buf.iter().rposition(|&b| b == b'\n') {
            return Ok(Some(buf.split_off(at + 1)));
        }
        if start == 0 {
            return Ok(Some(buf));
        }
        // A record longer than this is not one agaudit wrote: let the full check say why
        // (and never read more than this for one record).
        if window >= LONGEST_RECORD {
            return Ok(None);
        }
        window = (window * 4).min(LONGEST_RECORD);
    }
}

/// Whether the line ending right before `offset` is record `seq` with hash `hash` (hex).
fn ends_record(file: &File, offset: u64, seq: u64, hash: &str) -> std::io::Result<bool> {
    let line = line_before(file, offset)?;
    Ok(line
        .as_deref()
        .is_some_and(|l| seq_of(l) == Some(seq) && chain::split_hash(l).is_some_and(|(_, h)| h == hash)))
}

/// The `seq` a record line starts with.
fn seq_of(line: &[u8]) -> Option<u64> {
    let rest = line.strip_prefix(b"seq=")?;
    let end = rest.iter().position(|&b| b == b' ')?;
    std::str::from_utf8(&rest[..end]).ok()?.parse().ok()
}

/// The head file's (seq, hash), None when it is missing or says nothing.
fn head_file(head_path: &Path) -> Result<Option<(u64, String)>, LedgerError> {
    let text = match fs::read_to_string(head_path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(head_path)(e)),
    };
    let fields = chain::fields(text.trim_end()).unwrap_or_default();
    let get = |k: &str| fields.iter().find(|(key, _)| *key == k).map(|(_, v)| v.clone());
    Ok(get("seq").and_then(|s| s.parse::<u64>().ok()).zip(get("hash")))
}

/// Where a case's ledger files are.
struct Paths {
    case_root: PathBuf,
    dir: PathBuf,
    ledger: PathBuf,
    head: PathBuf,
}

/// Takes the chain's state from `tail` and verifies only the records after it. Ok(None) when the
/// tail cannot be trusted (the record at its offset is not the one it names, the index or head
/// file does not match it, a signed checkpoint is new to it): the caller checks everything.
fn resume(paths: &Paths, file: &File, tail: Tail) -> Result<Option<(State, Option<TornTail>)>, LedgerError> {
    let len = file.metadata().map_err(io(&paths.ledger))?.len();
    let (Some(link), Some(tree)) = (tail.link(), tail.builder()) else {
        return Ok(None);
    };
    if tail.seq == 0 || tail.offset > len {
        return Ok(None);
    }
    // The ledger is this case's: its first record names the case and chains to its genesis (a
    // ledger copied from another case, with the tail edited to match, is not resumed).
    let mut first = vec![0u8; len.min(64 << 10) as usize];
    file.read_exact_at(&mut first, 0).map_err(io(&paths.ledger))?;
    let opening = first.iter().position(|&b| b == b'\n').map(|i| &first[..=i]);
    let ours = opening.and_then(|l| chain::verify(l).ok()).and_then(|v| v.case_id);
    if ours.as_deref() != Some(tail.case.as_str()) {
        return Ok(None);
    }
    if !ends_record(file, tail.offset, tail.seq, &tail.hash).map_err(io(&paths.ledger))? {
        return Ok(None);
    }
    let mut after = vec![0u8; (len - tail.offset) as usize];
    file.read_exact_at(&mut after, tail.offset).map_err(io(&paths.ledger))?;
    let anchor = Anchor::After { seq: tail.seq, link };
    let verified = chain::verify_from(&after, anchor).map_err(|mut error| {
        error.line += tail.seq;
        LedgerError::Chain {
            path: paths.ledger.clone(),
            error,
        }
    })?;
    let Ok(index) = Index::open(&paths.dir, tail.index) else {
        return Ok(None);
    };
    let complete = verified.torn.as_ref().map_or(after.len(), |t| t.offset as usize);
    let mut state = State {
        case_id: tail.case,
        head: link,
        seq: tail.seq,
        offset: tail.offset,
        tree,
        index,
        last_policy: Latest::Unknown,
        last_correlated: Latest::Unknown,
        last_signed: tail.last_signed,
        checked: tail.checked,
    };
    state.replay(after[..complete].split(|&b| b == b'\n').filter(|l| !l.is_empty()));
    // The head file names the last record, or the tail's if an append crashed before replacing
    // it; anything else is for the full check to explain.
    let at_tail = (tail.seq, tail.hash);
    match head_file(&paths.head)? {
        Some(head) if head == (state.seq, to_hex(&state.head)) || head == at_tail => {}
        _ => return Ok(None),
    }
    // Each checkpoint checked before still names its record (a consistent rewrite of anything
    // before it changed that record's hash); a new one must be the tree as it stands.
    for c in &state.checked {
        if c.offset > len || !ends_record(file, c.offset, c.size, &c.chain).map_err(io(&paths.ledger))? {
            return Ok(None);
        }
    }
    for (_, c, _) in case_checkpoints(&paths.case_root)? {
        if state.checked.iter().any(|seen| seen.is(&c)) {
            continue;
        }
        let names_now = c.size == state.tree.size() && c.root == state.tree.root() && c.chain == state.head;
        if c.case_id != state.case_id || !names_now {
            return Ok(None);
        }
        state.checked.push(Checked::of(&c, state.offset));
    }
    let torn = verified
        .torn
        .map(|t| (after[complete..].to_vec(), tail.offset + t.offset, tail.seq + t.line));
    Ok(Some((state, torn)))
}

/// Verifies the whole ledger from the genesis (its chain, head file and every signed
/// checkpoint), and rebuilds the digest index and the tail from it.
fn check_all(paths: &Paths, file: &mut File, case_id: &str) -> Result<(State, Option<TornTail>), LedgerError> {
    let mut bytes = Vec::new();
    file.seek(SeekFrom::Start(0)).map_err(io(&paths.ledger))?;
    file.read_to_end(&mut bytes).map_err(io(&paths.ledger))?;
    let verified = chain::verify(&bytes).map_err(|error| LedgerError::Chain {
        path: paths.ledger.clone(),
        error,
    })?;
    if let Some(found) = &verified.case_id
        && found != case_id
    {
        return Err(LedgerError::OtherCase {
            path: paths.ledger.clone(),
            expected: case_id.to_string(),
            found: found.clone(),
        });
    }
    let complete = verified.torn.as_ref().map_or(bytes.len(), |t| t.offset as usize);
    let text = String::from_utf8_lossy(&bytes[..complete]);
    let lines: Vec<&str> = text.lines().collect();
    check_head(&paths.ledger, &paths.head, &lines, verified.last_seq)?;
    let mut checked = check_signed_checkpoints(&paths.case_root, &paths.ledger, &lines, verified.last_seq, case_id)?;
    checked.sort_by_key(|c| c.size);
    let mut entries = Vec::new();
    let mut end = 0u64;
    for line in &lines {
        end += line.len() as u64 + 1;
        match chain::body_of(line).map(indexed) {
            Some(Indexed::Evidence { key, digest }) => entries.push((key, digest)),
            Some(Indexed::Body { digest }) => entries.push((digest, u128::from(end))),
            _ => {}
        }
    }
    let mut state = State {
        case_id: case_id.to_string(),
        head: genesis(case_id),
        seq: 0,
        offset: 0,
        tree: tree::Builder::default(),
        index: Index::rebuild(&paths.dir, entries)?,
        last_policy: Latest::Known(None),
        last_correlated: Latest::Known(None),
        last_signed: false,
        checked: Vec::new(),
    };
    let mut wanted = checked.iter().peekable();
    let records = bytes[..complete].split(|&b| b == b'\n').filter(|l| !l.is_empty());
    for (line, leaf) in records.zip(tree::leaves_of_ledger(&bytes[..complete])) {
        state.advance(line, &leaf);
        while let Some(c) = wanted.next_if(|c| c.size <= state.seq) {
            state.checked.push(Checked::of(c, state.offset));
        }
    }
    if state.seq > 0 {
        state.save(&paths.dir)?;
    }
    let torn = verified.torn.map(|t| (bytes[complete..].to_vec(), t.offset, t.line));
    Ok((state, torn))
}

impl<'c> Ledger<'c> {
    /// Opens (creating if needed) the ledger of the case `case_id`, verifying it: from its tail
    /// when the tail can be trusted, else from the genesis. A torn last record is moved aside
    /// and reported (see the module docs).
    pub fn open(case: &'c Case, case_id: &str) -> Result<Ledger<'c>, LedgerError> {
        let dir = case.root().join(LEDGER_DIR);
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        let paths = Paths {
            case_root: case.root().to_path_buf(),
            ledger: dir.join(LEDGER_FILE),
            head: dir.join(HEAD_FILE),
            dir,
        };
        let mut file = File::options()
            .create(true)
            .read(true)
            .append(true)
            .open(&paths.ledger)
            .map_err(io(&paths.ledger))?;
        let resumed = match Tail::load(&paths.dir).filter(|t| t.case == case_id) {
            Some(tail) => resume(&paths, &file, tail)?,
            None => None,
        };
        let (state, torn) = match resumed {
            Some(found) => found,
            None => check_all(&paths, &mut file, case_id)?,
        };
        let mut ledger = Ledger {
            case,
            paths,
            file,
            failed: false,
            new_bodies: Default::default(),
            state,
            pending_recovery: None,
        };
        if let Some((bytes, offset, line)) = torn {
            ledger.pending_recovery = Some(ledger.move_torn(&bytes, offset, line)?);
        }
        ledger.file.seek(SeekFrom::End(0)).map_err(io(&ledger.paths.ledger))?;
        if ledger.state.seq == 0 {
            let opened = Record {
                kind: RecordKind::Checkpoint,
                ts: crate::time::now(),
                fields: vec![("case", case_id.to_string()), ("note", "opened".into())],
            };
            let mut batch = ledger.batch();
            ledger.push(&mut batch, opened.prepare())?;
            ledger.write(&mut batch)?;
        }
        Ok(ledger)
    }

    /// Moves a torn tail to CASE/ledger/torn-OFFSET.bin and cuts the ledger back before it.
    fn move_torn(&mut self, bytes: &[u8], offset: u64, line: u64) -> Result<Recovered, LedgerError> {
        let saved_to = self.paths.dir.join(format!("torn-{offset}.bin"));
        fs::write(&saved_to, bytes).map_err(io(&saved_to))?;
        File::open(&saved_to)
            .and_then(|f| f.sync_all())
            .map_err(io(&saved_to))?;
        self.file.set_len(offset).map_err(io(&self.paths.ledger))?;
        self.file.sync_all().map_err(io(&self.paths.ledger))?;
        Ok(Recovered {
            line,
            offset,
            len: bytes.len() as u64,
            blake3: blake3::hash(bytes).to_hex().to_string(),
            saved_to,
        })
    }

    /// A torn tail found (and moved aside) when this ledger was opened, if any.
    pub fn recovered(&self) -> Option<&Recovered> {
        self.pending_recovery.as_ref()
    }

    pub fn path(&self) -> &Path {
        &self.paths.ledger
    }

    /// The (inputs, state) of the latest correlation recorded (`crate::correlate::rerun`).
    pub fn last_correlated(&mut self) -> Result<Option<(String, String)>, LedgerError> {
        if let Latest::Unknown = self.state.last_correlated {
            let found = scan_back(&self.file, self.state.offset, correlated).map_err(io(&self.paths.ledger))?;
            self.state.last_correlated = Latest::Known(found);
        }
        Ok(match &self.state.last_correlated {
            Latest::Known(found) => found.clone(),
            Latest::Unknown => None,
        })
    }

    /// The (blake3, kept) of the latest policy record, read back before byte `end` when not
    /// yet known.
    fn last_policy(&mut self, end: u64) -> Result<Option<(String, String)>, LedgerError> {
        if let Latest::Unknown = self.state.last_policy {
            let found = scan_back(&self.file, end, policy_of).map_err(io(&self.paths.ledger))?;
            self.state.last_policy = Latest::Known(found);
        }
        Ok(match &self.state.last_policy {
            Latest::Known(found) => found.clone(),
            Latest::Unknown => None,
        })
    }

    /// The case this ledger belongs to (whose lock is held while it is open).
    pub fn case(&self) -> &'c Case {
        self.case
    }

    /// The checkpoint of the ledger as this writer's state has it (its size, tree root and
    /// chain head), and whether its last record is a signed checkpoint. For tests of the tree
    /// the tail carries: what is signed is always computed from the records themselves.
    #[cfg(test)]
    pub fn checkpoint(&self, time: &str) -> (agaudit_verify::checkpoint::Checkpoint, bool) {
        let checkpoint = agaudit_verify::checkpoint::Checkpoint {
            case_id: self.state.case_id.clone(),
            size: self.state.seq,
            root: self.state.tree.root(),
            chain: self.state.head,
            time: time.to_string(),
        };
        (checkpoint, self.state.last_signed)
    }

    /// Appends the records the ledger does not already hold, then a checkpoint; one write and
    /// one fsync for the whole batch. A policy record is skipped when the last policy recorded
    /// has the same blake3 (the policy in force did not change).
    pub fn append<R: Into<Prepared>>(&mut self, records: impl IntoIterator<Item = R>) -> Result<Appended, LedgerError> {
        self.append_closing(records, || Ok(Vec::new()))
    }

    /// [`append`](Self::append), with the fields `closing` makes once every record is taken
    /// added to the closing checkpoint (which is then written even when no record is new):
    /// correlate's `inputs` and `state`, which name the actions its records come from as they
    /// are written. A closing that fails abandons the whole batch, as a failed write does.
    pub fn append_closing<R: Into<Prepared>>(
        &mut self,
        records: impl IntoIterator<Item = R>,
        closing: impl FnOnce() -> Result<Vec<(&'static str, String)>, LedgerError>,
    ) -> Result<Appended, LedgerError> {
        // Lines are rendered as records come (no record or body is held beyond its own turn),
        // written a chunk at a time, and synced once at the end; a crash leaves at most a torn
        // tail, never a batch cut at a line boundary.
        if self.failed {
            return Err(io(&self.paths.ledger)(std::io::Error::other(
                "an earlier append through this writer failed and was cut back; open the ledger again",
            )));
        }
        let mut batch = self.batch();
        let filled = self.fill(&mut batch, records, closing);
        if filled.is_err() {
            self.abandon(&batch);
        }
        filled
    }

    /// The records of `append_closing` into `batch`, and the batch written.
    fn fill<R: Into<Prepared>>(
        &mut self,
        batch: &mut Batch,
        records: impl IntoIterator<Item = R>,
        closing: impl FnOnce() -> Result<Vec<(&'static str, String)>, LedgerError>,
    ) -> Result<Appended, LedgerError> {
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
            self.push(batch, note.prepare())?;
        }
        for record in records {
            let Prepared { body, found, policy } = record.into();
            if let Some(key) = policy {
                // The same file kept in the same form: already recorded. A new agaudit that keeps
                // it differently (new secret rules) records it again, so `kept=` stays true.
                if Some(&key) == self.last_policy(batch.start)?.as_ref() {
                    appended.already += 1;
                    continue;
                }
                self.state.last_policy = Latest::Known(Some(key));
            }
            // An action or finding is new when it differs from the latest record of its id (a
            // judgement that changed back is recorded again, so the latest record is always the
            // one the tables hold); any other record when no record has its body.
            let present = match found {
                Indexed::Evidence { key, digest } => self.state.index.get(key)? == Some(digest),
                Indexed::Body { digest } => self.body_present(digest, batch.start)?,
            };
            if present {
                appended.already += 1;
                continue;
            }
            appended.new += 1;
            self.push_indexed(batch, &body, found)?;
        }
        let closing = closing()?;
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
            self.push(batch, closing.prepare())?;
            self.write(batch)?;
            self.pending_recovery = None;
        }
        appended.head_seq = self.state.seq;
        Ok(appended)
    }

    /// An empty batch starting at the current head.
    fn batch(&self) -> Batch {
        Batch {
            out: String::new(),
            start: self.state.offset,
            carry: false,
            synced: false,
            head: self.state.head,
            seq: self.state.seq,
            only_signed: true,
        }
    }

    /// Adds a record to `batch` and its entry to the index (so a repeat later in the same batch
    /// is skipped too), writing the batch's pending lines once they fill a chunk.
    fn push(&mut self, batch: &mut Batch, record: Prepared) -> Result<(), LedgerError> {
        self.push_indexed(batch, &record.body, record.found)
    }

    /// [`push`](Self::push) of a body whose index entry is already made (`found`: the
    /// append's check made it, two keyed digests not made again).
    fn push_indexed(&mut self, batch: &mut Batch, body: &str, found: Indexed) -> Result<(), LedgerError> {
        batch.push(body);
        match found {
            Indexed::Evidence { key, digest } => self.state.index.insert(key, digest),
            Indexed::Body { digest } => {
                // Where the record will end: what is written, then what is pending.
                let end = self.state.offset + batch.out.len() as u64;
                self.state.index.insert(digest, u128::from(end));
                self.new_bodies.insert(digest);
            }
        }
        if batch.out.len() >= BATCH_CHUNK {
            self.flush(batch, false)?;
        }
        Ok(())
    }

    /// Whether the ledger holds a record with body digest `digest`: one this writer appended, or
    /// the record the index points to, read back and found to have that body.
    fn body_present(&mut self, digest: u128, before: u64) -> Result<bool, LedgerError> {
        if self.new_bodies.contains(&digest) {
            return Ok(true);
        }
        let Some(end) = self.state.index.get(digest)?.and_then(|e| u64::try_from(e).ok()) else {
            return Ok(false);
        };
        if end > before {
            return Ok(false);
        }
        let line = line_before(&self.file, end).map_err(io(&self.paths.ledger))?;
        let body = line
            .as_deref()
            .and_then(|l| std::str::from_utf8(l).ok())
            .and_then(chain::body_of);
        Ok(body.is_some_and(|b| digest128(BODY_DIGEST, b.as_bytes()) == digest))
    }

    /// Writes the batch's pending lines and moves the tree, the chain position and what the
    /// tail tracks past them. Unless `last`, the final newline is held back and written with
    /// the next lines, so the file ends inside a record between writes: a crash there leaves a
    /// torn tail, which the next open recovers and records, never a batch cut cleanly at a
    /// record boundary.
    fn flush(&mut self, batch: &mut Batch, last: bool) -> Result<(), LedgerError> {
        let out = batch.out.as_bytes();
        let newline: &[u8] = if batch.carry { b"\n" } else { b"" };
        let lines = if last { out } else { &out[..out.len().saturating_sub(1)] };
        write_all_of(&mut self.file, &mut [IoSlice::new(newline), IoSlice::new(lines)])
            .map_err(io(&self.paths.ledger))?;
        batch.carry = !last && !out.is_empty();
        let leaves = tree::leaves_of_ledger(out);
        for (line, leaf) in out.split(|&b| b == b'\n').zip(&leaves) {
            self.state.advance(line, leaf);
        }
        // The buffer is kept for the next chunk: not grown again from nothing.
        batch.out.clear();
        Ok(())
    }

    /// After a failed append, cuts the ledger back to where the batch began, unless it was
    /// already synced (a crash instead leaves a torn tail for the next open). Either way this
    /// writer's state (its index, its tree) has moved past the file: it is not used again.
    fn abandon(&mut self, batch: &Batch) {
        if !batch.synced {
            let _ = self.file.set_len(batch.start);
        }
        self.failed = true;
    }

    /// Writes what remains of a batch, syncs it, then brings the head file, the index and the
    /// tail up to its last record.
    fn write(&mut self, batch: &mut Batch) -> Result<(), LedgerError> {
        self.flush(batch, true)?;
        self.file.sync_data().map_err(io(&self.paths.ledger))?;
        batch.synced = true;
        let (head, seq) = (batch.head, batch.seq);
        debug_assert_eq!((self.state.head, self.state.seq), (head, seq));
        // The head file is a hint for truncation detection; replace it atomically.
        let text = format!("seq={seq} hash={}\n", to_hex(&head));
        crate::durable::replace(&self.paths.head, text.as_bytes()).map_err(io(&self.paths.head))?;
        self.state.save(&self.paths.dir)
    }
}

/// One append: the lines rendered and not yet written, and the chain position after them.
/// Lines go to the file a chunk at a time as they come (a batch of a million records is half a
/// gigabyte, never held whole); the fsync, the head file and the tail come once, at the end.
struct Batch {
    /// Complete lines not yet written.
    out: String,
    /// The ledger's length before the batch (where a failed append is cut back to).
    start: u64,
    /// Whether the newline ending the last line written is still held back (see `Ledger::flush`).
    carry: bool,
    /// The batch is written and synced (it is no longer cut back if what follows fails).
    synced: bool,
    head: Link,
    seq: u64,
    /// Every record pushed is a signed checkpoint (which closes its own batch).
    only_signed: bool,
}

/// Lines are written once this many bytes are pending.
const BATCH_CHUNK: usize = 8 << 20;

/// Writes every byte of `bufs`, in as few system calls as the kernel allows.
fn write_all_of(file: &mut File, mut bufs: &mut [IoSlice<'_>]) -> std::io::Result<()> {
    // Empty buffers first are skipped (a write of nothing is not a failed write).
    IoSlice::advance_slices(&mut bufs, 0);
    while !bufs.is_empty() {
        match file.write_vectored(bufs) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut bufs, n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

impl Batch {
    fn push(&mut self, body: &str) {
        self.seq += 1;
        let (line, next) = chain::record_line(&self.head, self.seq, body);
        self.out.push_str(&line);
        self.head = next;
        self.only_signed &= chain::kind_of(body) == Some(RecordKind::SignedCheckpoint.name());
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

    /// A crash after the opening record's fsync, before its head file: the case stays usable.
    #[test]
    fn a_crash_right_after_the_opening_record_leaves_a_usable_case() {
        let dir = tempfile::tempdir().unwrap();
        let case = Case::open(dir.path()).unwrap();
        drop(Ledger::open(&case, "c").unwrap());
        for f in [HEAD_FILE, tail::TAIL_FILE, index::SORTED_FILE, index::RECENT_FILE] {
            let _ = fs::remove_file(dir.path().join(LEDGER_DIR).join(f));
        }
        let (_, v) = read(dir.path()).unwrap();
        assert_eq!(v.last_seq, 1);
        Ledger::open(&case, "c").unwrap().append([action(1)]).unwrap();
        read(dir.path()).unwrap();
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

    /// The files an append leaves beside the ledger for the next one, copied aside and put back:
    /// the state a crash after the ledger's fsync, before the tail was replaced, leaves.
    fn tail_files(case: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        [tail::TAIL_FILE, index::SORTED_FILE, index::RECENT_FILE, HEAD_FILE]
            .iter()
            .map(|f| case.join(LEDGER_DIR).join(f))
            .map(|p| (p.clone(), fs::read(&p).unwrap()))
            .collect()
    }

    fn put_back(files: &[(PathBuf, Vec<u8>)]) {
        for (p, bytes) in files {
            fs::write(p, bytes).unwrap();
        }
    }

    /// Flips one byte of record `seq`'s agent value, as an insider editing the ledger would.
    fn edit_record(case: &Path, seq: usize) {
        let path = ledger_path(case);
        let mut lines: Vec<String> = fs::read_to_string(&path).unwrap().lines().map(String::from).collect();
        lines[seq - 1] = lines[seq - 1].replacen("agent=a@s", "agent=b@s", 1);
        fs::write(&path, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    }

    #[test]
    fn an_append_verifies_from_the_tail_and_every_reader_from_the_genesis() {
        let dir = tempfile::tempdir().unwrap();
        let case = Case::open(dir.path()).unwrap();
        let mut l = Ledger::open(&case, "c").unwrap();
        l.append([action(1), action(2)]).unwrap();
        let before = tail_files(dir.path());
        l.append([action(3)]).unwrap();
        drop(l);

        // A tail one batch behind (a crash before it was replaced): the records after it are
        // verified and replayed, so nothing is appended twice.
        put_back(&before);
        let mut l = Ledger::open(&case, "c").unwrap();
        let again = l.append([action(1), action(2), action(3)]).unwrap();
        assert_eq!((again.new, again.already, again.head_seq), (0, 3, 6));
        drop(l);

        // An edit after the tail is caught by the append, at its line.
        put_back(&before);
        edit_record(dir.path(), 5);
        match Ledger::open(&case, "c") {
            Err(LedgerError::Chain { error, .. }) => assert_eq!(error.line, 5, "{error}"),
            other => panic!("expected the edit at line 5, got {:?}", other.err()),
        }
        edit_record(dir.path(), 5);
        let fixed = fs::read_to_string(ledger_path(dir.path()))
            .unwrap()
            .replacen("agent=b@s3", "agent=a@s3", 1);
        fs::write(ledger_path(dir.path()), fixed).unwrap();

        // An edit before the tail is not the append's to find (it starts from the tail) but every
        // reader's: log, export and verify check from the genesis.
        let mut l = Ledger::open(&case, "c").unwrap();
        l.append([action(4)]).unwrap();
        drop(l);
        edit_record(dir.path(), 2);
        assert!(Ledger::open(&case, "c").is_ok());
        match read(dir.path()) {
            Err(LedgerError::Chain { error, .. }) => assert_eq!(error.line, 2, "{error}"),
            other => panic!("expected the edit at line 2, got {other:?}"),
        }

        // Without a tail to trust (deleted, or naming another record), the append checks
        // everything again.
        let tail_path = dir.path().join(LEDGER_DIR).join(tail::TAIL_FILE);
        let trusted = fs::read_to_string(&tail_path).unwrap();
        fs::write(&tail_path, trusted.replace("\"seq\":", "\"seq\":1")).unwrap();
        assert!(matches!(Ledger::open(&case, "c"), Err(LedgerError::Chain { .. })));
        fs::remove_file(&tail_path).unwrap();
        assert!(matches!(Ledger::open(&case, "c"), Err(LedgerError::Chain { .. })));
    }

    /// An insider's consistent rewrite of record `seq` onwards: every later hash recomputed, the
    /// head file and the tail made to match.
    fn rewrite_consistently(case: &Path, seq: usize) {
        let path = ledger_path(case);
        let lines: Vec<String> = fs::read_to_string(&path).unwrap().lines().map(String::from).collect();
        let mut prev = chain::from_hex(chain::split_hash(lines[seq - 2].as_bytes()).unwrap().1).unwrap();
        let mut out: String = lines[..seq - 1].iter().map(|l| format!("{l}\n")).collect();
        for (i, line) in lines.iter().enumerate().skip(seq - 1) {
            let body = chain::body_of(line).unwrap().replacen("agent=a@s", "agent=b@s", 1);
            let (line, next) = chain::record_line(&prev, i as u64 + 1, &body);
            out.push_str(&line);
            prev = next;
        }
        fs::write(&path, out).unwrap();
        let n = lines.len();
        fs::write(
            case.join(LEDGER_DIR).join(HEAD_FILE),
            format!("seq={n} hash={}\n", to_hex(&prev)),
        )
        .unwrap();
        let tail_path = case.join(LEDGER_DIR).join(tail::TAIL_FILE);
        let mut t: Tail = serde_json::from_slice(&fs::read(&tail_path).unwrap()).unwrap();
        t.hash = to_hex(&prev);
        t.save(&case.join(LEDGER_DIR)).unwrap();
    }

    #[test]
    fn a_consistent_rewrite_under_a_signed_checkpoint_stops_the_append_even_with_the_tail_forged() {
        let dir = tempfile::tempdir().unwrap();
        let case = Case::open(dir.path()).unwrap();
        let mut l = Ledger::open(&case, "c").unwrap();
        l.append([action(1), action(2), action(3)]).unwrap();
        // A checkpoint kept in the case (its signature is not this test's concern).
        let (signed, _) = l.checkpoint("2026-12-05T00:00:00Z");
        let cp_dir = dir.path().join(CHECKPOINTS_DIR);
        fs::create_dir_all(&cp_dir).unwrap();
        fs::write(cp_dir.join("000000000005.txt"), signed.render()).unwrap();
        fs::write(cp_dir.join("000000000005.txt.minisig"), "untrusted comment: test\n").unwrap();
        l.append([action(4)]).unwrap();
        drop(l);
        let mut l = Ledger::open(&case, "c").unwrap();
        l.append([action(5)]).unwrap();
        drop(l);
        let trusted = Tail::load(&dir.path().join(LEDGER_DIR)).unwrap();
        assert_eq!(
            trusted.checked.len(),
            1,
            "the checkpoint is checked once, then remembered"
        );

        rewrite_consistently(dir.path(), 3);
        match Ledger::open(&case, "c") {
            Err(LedgerError::Contradicts { .. }) => {}
            other => panic!("expected the checkpoint to be contradicted, got {:?}", other.err()),
        }
    }

    #[test]
    fn the_index_and_tail_are_rebuilt_from_the_ledger_when_missing() {
        let dir = tempfile::tempdir().unwrap();
        let case = Case::open(dir.path()).unwrap();
        let mut l = Ledger::open(&case, "c").unwrap();
        l.append((1..=20).map(action)).unwrap();
        drop(l);
        for f in [tail::TAIL_FILE, index::SORTED_FILE, index::RECENT_FILE] {
            fs::remove_file(dir.path().join(LEDGER_DIR).join(f)).unwrap();
        }
        let mut l = Ledger::open(&case, "c").unwrap();
        let a = l.append((1..=21).map(action)).unwrap();
        assert_eq!((a.new, a.already), (1, 20));
        drop(l);
        // The index files damaged under a tail that names them: rebuilt too.
        fs::write(dir.path().join(LEDGER_DIR).join(index::SORTED_FILE), b"agaidx01").unwrap();
        let mut l = Ledger::open(&case, "c").unwrap();
        assert_eq!(l.append((1..=21).map(action)).unwrap().already, 21);
        drop(l);
        // The tree the tail carries gives the same checkpoint as the ledger's records.
        let l = Ledger::open(&case, "c").unwrap();
        assert_eq!(l.checkpoint("t").0, checkpoint_of_lines(dir.path()));
    }

    /// The checkpoint of case "c" at time "t", computed from every line of its ledger.
    fn checkpoint_of_lines(case: &Path) -> agaudit_verify::checkpoint::Checkpoint {
        let (lines, _) = read(case).unwrap();
        let raw: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
        agaudit_verify::checkpoint::Checkpoint::of_ledger("c", &raw, raw.len() as u64, "t").unwrap()
    }

    /// An action record whose command is `len` bytes long.
    fn big(n: u32, len: usize) -> Record {
        Record {
            fields: vec![("agent", format!("a@s{n}")), ("command", "x".repeat(len))],
            ..action(n)
        }
    }

    #[test]
    fn a_tail_with_absurd_values_sends_the_writer_to_the_full_check() {
        let dir = tempfile::tempdir().unwrap();
        let case = Case::open(dir.path()).unwrap();
        let mut l = Ledger::open(&case, "c").unwrap();
        l.append([action(1)]).unwrap();
        drop(l);
        let ledger_dir = dir.path().join(LEDGER_DIR);
        let trusted = Tail::load(&ledger_dir).unwrap();
        let absurd = [
            Tail {
                index: index::Counts {
                    sorted: u64::MAX,
                    recent: u64::MAX,
                },
                ..trusted.clone()
            },
            Tail {
                checked: vec![Checked {
                    size: 1,
                    root: String::new(),
                    chain: String::new(),
                    offset: u64::MAX,
                }],
                ..trusted.clone()
            },
            Tail {
                frontier: Vec::new(),
                ..trusted.clone()
            },
            Tail {
                offset: u64::MAX,
                ..trusted
            },
        ];
        for (n, tail) in absurd.into_iter().enumerate() {
            tail.save(&ledger_dir).unwrap();
            let mut l = Ledger::open(&case, "c").unwrap();
            assert_eq!(l.append([action(1)]).unwrap().already, 1, "tail {n}");
            assert_eq!(l.append([action(10 + n as u32)]).unwrap().new, 1, "tail {n}");
        }
        read(dir.path()).unwrap();
    }

    /// What the latest policy and correlation records say is read back from the ledger, not
    /// taken from the tail (which an insider can write).
    #[test]
    fn the_latest_policy_and_correlation_are_read_from_the_ledger() {
        let dir = tempfile::tempdir().unwrap();
        let case = Case::open(dir.path()).unwrap();
        let policy = |b3: &str, ts: &str| Record {
            kind: RecordKind::Policy,
            ts: ts.into(),
            fields: vec![("path", "p.hcl".into()), ("blake3", b3.into()), ("kept", "k".into())],
        };
        let view = |n: u32| Record {
            kind: RecordKind::View,
            ts: "2026-12-05T00:00:00Z".into(),
            fields: vec![("viewer", format!("v{n}"))],
        };
        let mut l = Ledger::open(&case, "c").unwrap();
        l.append_closing([policy("aa", "t1")], || {
            Ok(vec![("inputs", "i1".into()), ("state", "s1".into())])
        })
        .unwrap();
        drop(l);
        // Views after it; then a writer resumed from the tail finds both by reading back.
        let mut l = Ledger::open(&case, "c").unwrap();
        l.append((0..2000).map(view)).unwrap();
        drop(l);
        let mut l = Ledger::open(&case, "c").unwrap();
        assert_eq!(l.last_correlated().unwrap(), Some(("i1".into(), "s1".into())));
        assert_eq!(l.append([policy("aa", "t2")]).unwrap().already, 1);
        assert_eq!(l.append([policy("bb", "t3")]).unwrap().new, 1);
        drop(l);
        let mut l = Ledger::open(&case, "c").unwrap();
        assert_eq!(
            l.append([policy("aa", "t4")]).unwrap().new,
            1,
            "A after B is recorded again"
        );
    }

    /// A forged index entry cannot hide a record: a hit counts only when the record it points
    /// to has the body.
    #[test]
    fn a_forged_index_entry_does_not_hide_a_record() {
        let dir = tempfile::tempdir().unwrap();
        let case = Case::open(dir.path()).unwrap();
        let mut l = Ledger::open(&case, "c").unwrap();
        l.append([action(1)]).unwrap();
        drop(l);
        let view = Record {
            kind: RecordKind::View,
            ts: "2026-12-05T00:00:00Z".into(),
            fields: vec![("viewer", "auditor".into())],
        };
        let Indexed::Body { digest } = indexed(&view.body(&mut Redact::default())) else {
            panic!("a view is found by its body");
        };
        let ledger_dir = dir.path().join(LEDGER_DIR);
        let mut tail = Tail::load(&ledger_dir).unwrap();
        // Pointing at the body's own digest, or at a real record that is another.
        let mut recent = fs::read(ledger_dir.join(index::RECENT_FILE)).unwrap();
        for value in [digest, u128::from(tail.offset)] {
            recent.extend_from_slice(&digest.to_be_bytes());
            recent.extend_from_slice(&value.to_be_bytes());
        }
        fs::write(ledger_dir.join(index::RECENT_FILE), recent).unwrap();
        tail.index.recent += 2;
        tail.save(&ledger_dir).unwrap();
        let mut l = Ledger::open(&case, "c").unwrap();
        assert_eq!(l.append([view]).unwrap().new, 1);
        let (lines, _) = read(dir.path()).unwrap();
        assert!(lines.iter().any(|x| x.contains("viewer=auditor")));
    }

    /// Another case's ledger copied in, its tail edited to name this case, is not resumed: the
    /// full check refuses it.
    #[test]
    fn another_cases_ledger_with_its_tail_edited_is_refused() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (case_a, case_b) = (Case::open(a.path()).unwrap(), Case::open(b.path()).unwrap());
        Ledger::open(&case_a, "case-a").unwrap().append([action(1)]).unwrap();
        Ledger::open(&case_b, "case-b").unwrap().append([action(2)]).unwrap();
        for f in [
            LEDGER_FILE,
            HEAD_FILE,
            tail::TAIL_FILE,
            index::SORTED_FILE,
            index::RECENT_FILE,
        ] {
            fs::copy(b.path().join(LEDGER_DIR).join(f), a.path().join(LEDGER_DIR).join(f)).unwrap();
        }
        let mut tail = Tail::load(&a.path().join(LEDGER_DIR)).unwrap();
        tail.case = "case-a".into();
        tail.save(&a.path().join(LEDGER_DIR)).unwrap();
        assert!(matches!(
            Ledger::open(&case_a, "case-a"),
            Err(LedgerError::OtherCase { .. })
        ));
    }

    #[test]
    fn a_batch_larger_than_a_chunk_is_written_whole_and_its_tree_kept() {
        let dir = tempfile::tempdir().unwrap();
        let case = Case::open(dir.path()).unwrap();
        let mut l = Ledger::open(&case, "c").unwrap();
        assert_eq!(l.append((1..=10).map(|n| big(n, BATCH_CHUNK / 3))).unwrap().new, 10);
        let (lines, v) = read(dir.path()).unwrap();
        assert_eq!((lines.len(), v.last_seq), (12, 12));
        assert_eq!(l.checkpoint("t").0, checkpoint_of_lines(dir.path()));
    }

    /// A batch is written a chunk at a time: between two writes the file ends inside a record,
    /// so a crash there leaves a torn tail (recovered and recorded), never a batch that stops
    /// cleanly at a record boundary.
    #[test]
    fn between_the_writes_of_a_batch_the_ledger_ends_inside_a_record() {
        let dir = tempfile::tempdir().unwrap();
        let case = Case::open(dir.path()).unwrap();
        let mut l = Ledger::open(&case, "c").unwrap();
        let before = fs::metadata(ledger_path(dir.path())).unwrap().len();
        let mut batch = l.batch();
        let mut n = 0;
        while fs::metadata(ledger_path(dir.path())).unwrap().len() == before {
            n += 1;
            l.push(&mut batch, big(n, BATCH_CHUNK / 5).prepare()).unwrap();
        }
        let written = fs::read(ledger_path(dir.path())).unwrap();
        assert_ne!(
            written.last(),
            Some(&b'\n'),
            "the last record written waits for its newline"
        );
        // As if the process died here.
        drop(l);
        let (_, v) = read(dir.path()).unwrap();
        assert!(v.torn.is_some(), "a crash now leaves a torn tail");
        let mut l = Ledger::open(&case, "c").unwrap();
        assert!(l.recovered().is_some());
        l.append([action(99)]).unwrap();
        let (lines, v) = read(dir.path()).unwrap();
        assert!(v.torn.is_none());
        assert!(lines.iter().any(|x| x.contains("note=torn_tail_recovered")));
    }

    #[test]
    fn a_torn_tail_after_the_tail_is_recovered_and_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let case = Case::open(dir.path()).unwrap();
        let mut l = Ledger::open(&case, "c").unwrap();
        l.append([action(1)]).unwrap();
        let before = tail_files(dir.path());
        let short = fs::read(ledger_path(dir.path())).unwrap().len();
        l.append([action(2)]).unwrap();
        drop(l);
        let grown = fs::read(ledger_path(dir.path())).unwrap();
        fs::write(ledger_path(dir.path()), &grown[..short + 40]).unwrap();
        put_back(&before);
        let mut l = Ledger::open(&case, "c").unwrap();
        let torn = l.recovered().expect("the torn record is found").clone();
        assert_eq!((torn.offset, torn.len, torn.line), (short as u64, 40, 4));
        assert_eq!(l.append([action(2)]).unwrap().new, 1);
        let (lines, v) = read(dir.path()).unwrap();
        assert!(v.torn.is_none());
        assert!(lines[3].contains("note=torn_tail_recovered"), "{}", lines[3]);
    }
}

//! The case directory: the contract between stages, and its chain-of-custody record.
//!
//! A case is a directory (default ./agaudit-case) holding ingest.json — one record per raw file
//! ever ingested: path, size, blake3 of its bytes, kind, counts, the parts it produced — the
//! Parquet tables under parquet/, and quarantined lines under quarantine/. One process at a time
//! may change a case (an advisory lock on CASE/.lock); ingest.json is replaced atomically.
//!
//! In: a directory path. Out: a locked [`Case`] and its [`IngestManifest`].

use std::collections::BTreeMap;
use std::fs::{self, File, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub const INGEST_JSON: &str = "ingest.json";
/// Where correlate keeps the policies it judged with (canonical form, by the original's blake3).
pub const POLICIES_DIR: &str = "policies";

/// The policy correlate kept for the original file with this blake3.
pub fn kept_policy(root: &Path, blake3: &str) -> PathBuf {
    root.join(POLICIES_DIR).join(format!("{blake3}.hcl"))
}
pub const MANIFEST_FORMAT: &str = "agaudit-ingest";
pub const MANIFEST_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("cannot use case directory {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(
        "case directory {path} is still in use after waiting {waited_s} s (held by {holder}); \
         wait for that process to finish, or raise AGAUDIT_LOCK_WAIT (seconds)"
    )]
    Locked {
        path: PathBuf,
        holder: String,
        waited_s: u64,
    },
    #[error("{path} is not a valid agaudit ingest.json: {reason}; restore it from a backup or start a new case")]
    BadManifest { path: PathBuf, reason: String },
}

/// ingest.json: the chain of custody of every raw file in the case.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IngestManifest {
    pub format: String,
    pub version: u32,
    pub case_id: String,
    pub created: String,
    pub files: Vec<FileRecord>,
}

/// What became of one input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileStatus {
    /// Read to its end; every line is in a row, a count or the quarantine.
    Ingested,
    /// Reading stopped early (corrupt compression, I/O); what was read before is kept.
    Partial,
    /// Same content as a file already in the case (only in reports, never in ingest.json).
    Duplicate,
    /// Not a kind agaudit reads; all its lines are quarantined.
    Unrecognised,
    /// Reading it would have meant guessing (an ambiguous time zone abbreviation, two
    /// log_line_prefixes that fit equally); nothing kept, its message says what to pass.
    Held,
    /// Read to its end, but nothing in it could be used: no rows, lines quarantined (often the
    /// wrong log_line_prefix).
    Unusable,
    /// Could not be read or written; nothing of it was kept.
    Error,
    /// Found in a named directory but not read: a symbolic link out of the named tree, or not a
    /// regular file (a FIFO, socket or device). Only in reports.
    Skipped,
}

impl FileStatus {
    pub fn name(self) -> &'static str {
        match self {
            FileStatus::Ingested => "ingested",
            FileStatus::Partial => "partial",
            FileStatus::Duplicate => "duplicate",
            FileStatus::Unrecognised => "unrecognised",
            FileStatus::Held => "held",
            FileStatus::Unusable => "unusable",
            FileStatus::Error => "error",
            FileStatus::Skipped => "skipped",
        }
    }

    /// Whether the case holds this file's content completely (so the same content is skipped).
    /// A held or unusable file is read again next time (with the flag its message names).
    pub fn complete(self) -> bool {
        matches!(self, FileStatus::Ingested | FileStatus::Unrecognised)
    }

    /// Whether the exit code must say an input could not be used (exit 2).
    pub fn is_error(self) -> bool {
        !matches!(self, FileStatus::Ingested | FileStatus::Duplicate | FileStatus::Skipped)
    }
}

/// Lines of one file by what became of them. `lines_read` = `row_lines` + all `other_lines` +
/// `quarantined_lines`, always.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileCounts {
    pub lines_read: u64,
    /// Lines that are part of a row (continuations and STATEMENT lines included).
    pub row_lines: u64,
    /// Lines that are not rows, by kind (connection_received, checkpoint, blank, ...).
    pub other_lines: BTreeMap<String, u64>,
    pub quarantined_lines: u64,
}

impl FileCounts {
    pub fn add(&mut self, o: &FileCounts) {
        self.lines_read += o.lines_read;
        self.row_lines += o.row_lines;
        for (k, v) in &o.other_lines {
            self.add_other(k, *v);
        }
        self.quarantined_lines += o.quarantined_lines;
    }

    /// Counts `n` lines of another kind; allocates the key only the first time a kind is seen.
    pub fn add_other(&mut self, kind: &str, n: u64) {
        match self.other_lines.get_mut(kind) {
            Some(v) => *v += n,
            None => {
                self.other_lines.insert(kind.to_string(), n);
            }
        }
    }

    pub fn other_total(&self) -> u64 {
        self.other_lines.values().sum()
    }

    pub fn balanced(&self) -> bool {
        self.lines_read == self.row_lines + self.other_total() + self.quarantined_lines
    }
}

/// One raw file as ingested.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileRecord {
    pub path: String,
    pub size: u64,
    pub blake3: String,
    pub kind: String,
    pub compression: String,
    pub ingest_id: String,
    pub ingested_at: String,
    pub labels: BTreeMap<String, String>,
    /// The log_line_prefix its text was read with, and how it was found (given, or inferred).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub pg_prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub pg_prefix_how: Option<String>,
    /// --log-timezone of the run that read it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub log_timezone: Option<String>,
    pub status: FileStatus,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
    pub counts: FileCounts,
    /// Rows written per table.
    pub rows: BTreeMap<String, u64>,
    /// Redactions per rule.
    pub redactions: BTreeMap<String, u64>,
    /// Parquet parts written, relative to the case directory.
    pub parts: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub quarantine: Option<String>,
}

/// An open case whose lock this process holds. Only [`Case::open`] makes one, so holding a
/// `&Case` proves the lock is held: the ledger's writer takes one ([`crate::ledger::Ledger`]).
pub struct Case {
    root: PathBuf,
    _lock: File,
}

/// How long [`Case::open`] waits for another agaudit process to release the case, unless
/// AGAUDIT_LOCK_WAIT (seconds) says otherwise.
const LOCK_WAIT_SECONDS: u64 = 120;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CaseError + '_ {
    move |source| CaseError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl Case {
    /// Opens (creating if needed) and locks a case directory.
    pub fn open(root: &Path) -> Result<Case, CaseError> {
        for dir in [root.to_path_buf(), root.join("parquet"), root.join("quarantine")] {
            fs::create_dir_all(&dir).map_err(io(&dir))?;
        }
        let lock_path = root.join(".lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        // A second writer waits its turn (views and correlate run side by side in practice);
        // the holder's own line in the lock file says who it is when the wait runs out.
        let wait = std::env::var("AGAUDIT_LOCK_WAIT")
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(LOCK_WAIT_SECONDS);
        let started = std::time::Instant::now();
        let mut told = false;
        loop {
            match lock.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {
                    let holder = fs::read_to_string(&lock_path)
                        .ok()
                        .map(|t| t.trim().to_string())
                        .filter(|t| !t.is_empty())
                        .unwrap_or_else(|| "another agaudit process".into());
                    if started.elapsed().as_secs() >= wait {
                        return Err(CaseError::Locked {
                            path: root.to_path_buf(),
                            holder,
                            waited_s: wait,
                        });
                    }
                    if !told && started.elapsed().as_millis() >= 1000 {
                        crate::tell!("agaudit: waiting for {} ({holder})", root.display());
                        told = true;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(25));
                }
                Err(TryLockError::Error(e)) => {
                    return Err(CaseError::Io {
                        path: lock_path,
                        source: e,
                    });
                }
            }
        }
        let holder = format!(
            "pid {} ({}) since {}",
            std::process::id(),
            // The subcommand only: any other argument could be a path that names a secret.
            std::env::args()
                .nth(1)
                .filter(|a| a.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'))
                .unwrap_or_else(|| "agaudit".into()),
            crate::time::now()
        );
        let mut held = &lock;
        // Best effort: who holds the lock is a courtesy for whoever waits.
        let _ = lock.set_len(0).and_then(|()| held.write_all(holder.as_bytes()));
        Ok(Case {
            root: root.to_path_buf(),
            _lock: lock,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn parquet_dir(&self) -> PathBuf {
        self.root.join("parquet")
    }

    pub fn quarantine_dir(&self) -> PathBuf {
        self.root.join("quarantine")
    }

    /// A path inside the case, relative to its root, with forward slashes (as recorded in JSON).
    pub fn relative(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/")
    }

    /// The case's ingest.json, or a new empty one.
    pub fn load_manifest(&self) -> Result<IngestManifest, CaseError> {
        load_manifest(&self.root)
    }

    /// Keeps `text` (a policy's canonical form) as the policy of the original with `blake3`,
    /// replacing any earlier copy atomically; returns the kept text's own blake3.
    pub fn keep_policy(&self, blake3: &str, text: &str) -> Result<String, CaseError> {
        let dir = self.root.join(POLICIES_DIR);
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        let path = kept_policy(&self.root, blake3);
        crate::durable::replace(&path, text.as_bytes()).map_err(io(&path))?;
        Ok(blake3::hash(text.as_bytes()).to_hex().to_string())
    }

    /// Replaces ingest.json atomically ([`crate::durable`]).
    pub fn save_manifest(&self, manifest: &IngestManifest) -> Result<(), CaseError> {
        let path = self.root.join(INGEST_JSON);
        let mut json = serde_json::to_vec_pretty(manifest).map_err(|e| CaseError::Io {
            path: path.clone(),
            source: e.into(),
        })?;
        json.push(b'\n');
        crate::durable::replace(&path, &json).map_err(io(&path))
    }
}

/// The ingest.json of the case at `root`, or a new empty one; reads only (a read-only case can be
/// viewed).
pub fn load_manifest(root: &Path) -> Result<IngestManifest, CaseError> {
    let path = root.join(INGEST_JSON);
    match fs::read(&path) {
        Ok(bytes) => {
            let m: IngestManifest = serde_json::from_slice(&bytes).map_err(|e| CaseError::BadManifest {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            if m.format != MANIFEST_FORMAT || m.version != MANIFEST_VERSION {
                return Err(CaseError::BadManifest {
                    path,
                    reason: format!(
                        "expected format {MANIFEST_FORMAT} version {MANIFEST_VERSION}, found {} version {}",
                        m.format, m.version
                    ),
                });
            }
            Ok(m)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(IngestManifest {
            format: MANIFEST_FORMAT.to_string(),
            version: MANIFEST_VERSION,
            case_id: new_id(root),
            created: crate::time::now(),
            files: Vec::new(),
        }),
        Err(e) => Err(CaseError::Io { path, source: e }),
    }
}

/// A fresh 16-hex-digit id (case ids, ingest ids): unique per directory, time and process.
pub fn new_id(salt: &Path) -> String {
    let mut h = blake3::Hasher::new();
    h.update(salt.to_string_lossy().as_bytes());
    h.update(
        &chrono::Utc::now()
            .timestamp_nanos_opt()
            .unwrap_or_default()
            .to_le_bytes(),
    );
    h.update(&std::process::id().to_le_bytes());
    h.finalize().to_hex()[..16].to_string()
}

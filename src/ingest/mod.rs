//! `agaudit ingest`: raw files → normalised tables, quarantine, and chain of custody.
//!
//! Walks the given paths (never into the case directory itself), hashes every file (blake3 of
//! its raw bytes), skips files whose content the case already holds, detects each file's kind by
//! content, and hands it to the parser for that kind — files in parallel, and chunks of one file
//! in parallel inside it. Every line ends as part of a row, a counted other line, or a
//! quarantined line; the counts are checked to add up and recorded in ingest.json.
//!
//! In: [`Options`]. Out: a [`Report`] (also what `--json` prints), files in the case directory.

pub mod capture;
pub mod csv;
pub mod detect;
pub mod framing;
pub mod mcp;
pub mod otlp;
pub mod pgaudit;
pub mod pipeline;
pub mod sink;

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use indicatif::ProgressBar;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::case::FileCounts;
use crate::case::{self, Case, CaseError, FileRecord, FileStatus};
use crate::redact::{self, RuleCounts};
use crate::table::declare::SourceFile;
use crate::table::writer::WrittenPart;
use detect::Kind;
use framing::{Compression, Framer, Framing, Splitter};
use pgaudit::LogFormat;
use pgaudit::prefix::Prefix;
use pgaudit::timestamp::LogZone;

pub struct Options {
    pub paths: Vec<PathBuf>,
    pub case_dir: PathBuf,
    /// The servers' log_line_prefix; None: inferred per file.
    pub pg_prefix: Option<String>,
    /// The servers' log_timezone (an IANA name); None: unambiguous abbreviations only.
    pub log_timezone: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub progress: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    BadPrefix(#[from] crate::ingest::pgaudit::prefix::SettingError),
    #[error(transparent)]
    BadTimezone(#[from] crate::ingest::pgaudit::timestamp::UnknownZone),
    #[error(transparent)]
    Case(#[from] CaseError),
    #[error(
        "none of the inputs exists ({}): nothing was ingested and no case was created; check the paths",
        paths.join(", ")
    )]
    NoInput { paths: Vec<String> },
}

/// What the parser of one file needs to know about it.
pub struct FileContext {
    /// The file's path as given, its blake3 and the run's labels: the provenance columns of
    /// every row from it.
    pub source: SourceFile,
    /// First 16 hex digits of the blake3: names this file's Parquet parts.
    pub tag: String,
}

/// What parsing one file produced.
pub struct FileOutcome {
    pub counts: FileCounts,
    /// Rows written, per table.
    pub rows: BTreeMap<&'static str, u64>,
    pub redactions: RuleCounts,
    pub parts: Vec<WrittenPart>,
    pub quarantine: Option<PathBuf>,
    /// Writing failed: nothing of this file was kept.
    pub error: Option<String>,
    /// Reading would have meant guessing (an ambiguous time zone, two fitting prefixes): nothing
    /// of this file was kept, and this says what to pass.
    pub held: Option<String>,
    /// Reading stopped early (corrupt compression, I/O): what was read before is kept.
    pub read_error: Option<String>,
}

impl FileOutcome {
    pub fn failed(error: String) -> Self {
        FileOutcome {
            error: Some(error),
            ..FileOutcome::empty()
        }
    }

    pub fn empty() -> Self {
        FileOutcome {
            counts: FileCounts::default(),
            rows: BTreeMap::new(),
            redactions: RuleCounts::new(),
            parts: Vec::new(),
            quarantine: None,
            error: None,
            held: None,
            read_error: None,
        }
    }
}

/// One input file in the report.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: String,
    pub kind: String,
    pub compression: String,
    pub size: u64,
    pub blake3: String,
    pub status: FileStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The log_line_prefix its text was read with, and how it was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pg_prefix: Option<PrefixUsed>,
    pub counts: FileCounts,
    /// Rows written, all tables together.
    pub rows: u64,
    /// Rows written per table (db_events, spans, log_events, tool_hints).
    pub tables: BTreeMap<String, u64>,
    pub redactions: BTreeMap<String, u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quarantine: Option<String>,
}

impl FileReport {
    /// What the report says of a file its custody record holds: the same facts, told once.
    fn of(r: &FileRecord) -> FileReport {
        FileReport {
            path: r.path.clone(),
            kind: r.kind.clone(),
            compression: r.compression.clone(),
            size: r.size,
            blake3: r.blake3.clone(),
            status: r.status,
            message: r.error.clone(),
            pg_prefix: r.pg_prefix.clone().map(|setting| PrefixUsed {
                setting,
                how: r.pg_prefix_how.clone().unwrap_or_default(),
            }),
            counts: r.counts.clone(),
            rows: r.rows.values().sum(),
            tables: r.rows.clone(),
            redactions: r.redactions.clone(),
            quarantine: r.quarantine.clone(),
        }
    }
}

/// The log_line_prefix a file was read with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrefixUsed {
    pub setting: String,
    /// "given with --pg-prefix", or how inference found it.
    pub how: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub files: u64,
    pub ingested: u64,
    pub duplicates: u64,
    pub unrecognised: u64,
    /// Files held: reading them would have meant guessing (what to pass is in their message).
    pub held: u64,
    /// Files read to their end with nothing usable in them (no rows, lines quarantined).
    pub unusable: u64,
    /// Not read: symbolic links out of a named directory, non-regular files in it.
    pub skipped: u64,
    pub errors: u64,
    pub lines_read: u64,
    pub rows: u64,
    /// Rows written per table.
    pub tables: BTreeMap<String, u64>,
    pub row_lines: u64,
    pub other_lines: u64,
    pub quarantined_lines: u64,
    pub redactions: BTreeMap<String, u64>,
}

/// The result of one `agaudit ingest` (the `--json` output, schemas/ingest-summary.schema.json).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub case: String,
    pub case_id: String,
    pub ingest_id: String,
    pub files: Vec<FileReport>,
    pub totals: Totals,
    /// What the user should know about the run (a prefix escape read as an opaque token).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Report {
    /// Exit code 2 (the one table in README): a file could not be read, recognised or used.
    pub fn has_errors(&self) -> bool {
        self.files.iter().any(|f| f.status.is_error())
    }
}

/// Size and blake3 of a file, or why it could not be read.
type Hashed = Result<(u64, String), Unreadable>;

/// A path that could not be read or walked: the message of its file report.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Unreadable {
    #[error("cannot read: {0}")]
    Open(String),
    #[error("cannot read after byte {at}: {error}")]
    After { at: u64, error: String },
    #[error("cannot walk: {0}")]
    Walk(String),
    /// A symbolic link in a named directory that points out of it: not followed.
    #[error("not read: a symbolic link out of the named tree ({0})")]
    OutOfTree(String),
    /// Not a regular file: nothing to read to an end.
    #[error("not read: not a regular file (a {0})")]
    NotRegular(&'static str),
}

impl Unreadable {
    /// Skipped (reported, the run goes on) rather than an error: what a directory holds
    /// besides log files. Named on the command line, the same is an error.
    fn skipped(&self, named: bool) -> bool {
        !named && matches!(self, Unreadable::OutOfTree(_) | Unreadable::NotRegular(_))
    }
}

/// A file found by the walk, or a path that could not be walked or is not read.
struct Input {
    path: PathBuf,
    /// Given on the command line itself, not found inside a named directory.
    named: bool,
    walk_error: Option<Unreadable>,
}

pub fn run(opts: &Options) -> Result<Report, IngestError> {
    let prefix = match &opts.pg_prefix {
        Some(p) => Some(Prefix::compile(p)?),
        None => None,
    };
    let zone = match &opts.log_timezone {
        Some(z) => LogZone::named(z)?,
        None => LogZone::unnamed(),
    };
    let settings = Settings { prefix, zone };
    // A typo in every path must not leave an empty case behind that looks like a result.
    if !opts.paths.is_empty() && opts.paths.iter().all(|p| std::fs::symlink_metadata(p).is_err()) {
        return Err(IngestError::NoInput {
            paths: opts.paths.iter().map(|p| p.display().to_string()).collect(),
        });
    }
    let case = Case::open(&opts.case_dir)?;
    let mut manifest = case.load_manifest()?;
    let ingest_id = case::new_id(case.root());
    let mut label_counts = RuleCounts::new();
    let labels: BTreeMap<String, String> = opts
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), redact::redactor().text(v, &mut label_counts).into_owned()))
        .collect();

    let inputs = discover(&opts.paths, case.root());
    let total: u64 = inputs
        .iter()
        .filter_map(|i| std::fs::metadata(&i.path).ok())
        .map(|m| m.len())
        .sum();
    let progress = crate::output::progress::bar(opts.progress, "ingest", total, crate::output::progress::Unit::Bytes);

    // Hash first (in parallel) so duplicate content is never parsed twice.
    let hashed: Vec<(Input, Hashed)> = inputs
        .into_par_iter()
        .map(|input| {
            let h = match &input.walk_error {
                Some(e) => Err(e.clone()),
                None => hash_file(&input.path),
            };
            (input, h)
        })
        .collect();
    let known: HashMap<&str, &FileRecord> = manifest
        .files
        .iter()
        .filter(|f| f.status.complete())
        .map(|f| (f.blake3.as_str(), f))
        .collect();
    let mut first_of: HashMap<String, String> = HashMap::new();
    let mut work = Vec::new();
    let mut reports: Vec<(usize, FileReport, Option<FileRecord>)> = Vec::new();
    for (idx, (input, hash)) in hashed.into_iter().enumerate() {
        let path = shown(&input.path, &mut RuleCounts::new());
        match hash {
            Err(e) => {
                let message = redact::redactor()
                    .text(&e.to_string(), &mut RuleCounts::new())
                    .into_owned();
                let mut report = error_report(&path, message);
                if e.skipped(input.named) {
                    report.status = FileStatus::Skipped;
                }
                reports.push((idx, report, None))
            }
            Ok((size, b3)) => {
                let earlier = known
                    .get(b3.as_str())
                    .map(|f| f.path.clone())
                    .or_else(|| first_of.get(&b3).cloned());
                match earlier {
                    Some(earlier) => {
                        progress.inc(size);
                        reports.push((idx, duplicate_report(&path, size, &b3, &earlier), None));
                    }
                    None => {
                        first_of.insert(b3.clone(), path.clone());
                        work.push((idx, input.path, size, b3));
                    }
                }
            }
        }
    }

    let done: Vec<(usize, FileReport, Option<FileRecord>)> = work
        .into_par_iter()
        .map(|(idx, path, size, b3)| {
            let run = RunContext {
                case: &case,
                settings: &settings,
                labels: &labels,
                ingest_id: &ingest_id,
                progress: &progress,
            };
            let (report, record) = ingest_one(&run, &path, size, &b3);
            (idx, report, Some(record))
        })
        .collect();
    progress.finish_and_clear();
    reports.extend(done);
    reports.sort_by_key(|(idx, _, _)| *idx);

    let mut totals = Totals::default();
    for (k, v) in label_counts {
        *totals.redactions.entry(k.to_string()).or_insert(0) += v;
    }
    let mut files = Vec::new();
    for (_, report, record) in reports {
        if let Some(record) = record {
            manifest.files.retain(|f| f.blake3 != record.blake3);
            manifest.files.push(record);
        }
        totals.files += 1;
        match report.status {
            FileStatus::Ingested => totals.ingested += 1,
            FileStatus::Duplicate => totals.duplicates += 1,
            FileStatus::Unrecognised => totals.unrecognised += 1,
            FileStatus::Held => totals.held += 1,
            FileStatus::Unusable => totals.unusable += 1,
            FileStatus::Partial | FileStatus::Error => totals.errors += 1,
            FileStatus::Skipped => totals.skipped += 1,
        }
        if report.status != FileStatus::Duplicate {
            totals.lines_read += report.counts.lines_read;
            totals.rows += report.rows;
            for (t, n) in &report.tables {
                *totals.tables.entry(t.clone()).or_insert(0) += n;
            }
            totals.row_lines += report.counts.row_lines;
            totals.other_lines += report.counts.other_total();
            totals.quarantined_lines += report.counts.quarantined_lines;
            for (k, v) in &report.redactions {
                *totals.redactions.entry(k.clone()).or_insert(0) += v;
            }
        }
        files.push(report);
    }
    case.save_manifest(&manifest)?;
    let mut warnings: Vec<String> = settings.prefix.iter().flat_map(Prefix::warnings).collect();
    warnings.sort();
    warnings.dedup();
    Ok(Report {
        case: case.root().to_string_lossy().into_owned(),
        case_id: manifest.case_id.clone(),
        ingest_id,
        files,
        totals,
        warnings,
    })
}

/// What the user set for every file of the run.
struct Settings {
    /// --pg-prefix; None: inferred per file.
    prefix: Option<Prefix>,
    zone: LogZone,
}

/// Everything one file's ingest needs from the run.
struct RunContext<'a> {
    case: &'a Case,
    settings: &'a Settings,
    labels: &'a BTreeMap<String, String>,
    ingest_id: &'a str,
    progress: &'a ProgressBar,
}

/// How much of a file's decompressed start is read to detect its kind and infer its prefix.
const HEAD_BYTES: usize = 256 << 10;

/// Files under `paths`, sorted per directory, skipping the case directory. A symbolic link
/// inside a named directory is followed only when it stays inside it; one that leaves it, and
/// what is not a regular file (a FIFO, socket or device), is reported instead of read.
fn discover(paths: &[PathBuf], case_root: &Path) -> Vec<Input> {
    use std::os::unix::fs::FileTypeExt;
    let case_canon = case_root.canonicalize().ok();
    let mut out = Vec::new();
    for root in paths {
        let root_canon = root.canonicalize().ok();
        let mut walker = walkdir::WalkDir::new(root)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter();
        while let Some(entry) = walker.next() {
            let e = match entry {
                Ok(e) => e,
                Err(e) => {
                    let path = e.path().map_or_else(|| root.clone(), Path::to_path_buf);
                    let reason = match e.io_error() {
                        Some(io) => Unreadable::Open(io.to_string()),
                        None => Unreadable::Walk(e.to_string()),
                    };
                    out.push(Input {
                        path,
                        named: e.depth() == 0,
                        walk_error: Some(reason),
                    });
                    continue;
                }
            };
            let named = e.depth() == 0;
            let canon = e.path().canonicalize().ok();
            let ft = e.file_type();
            let problem = if canon.is_some() && canon == case_canon {
                if ft.is_dir() {
                    walker.skip_current_dir();
                }
                continue;
            } else if e.path_is_symlink()
                && !named
                && !matches!((&canon, &root_canon), (Some(c), Some(r)) if c.starts_with(r))
            {
                if ft.is_dir() {
                    walker.skip_current_dir();
                }
                let target = canon.map_or_else(|| "a target that does not resolve".into(), |c| c.display().to_string());
                Some(Unreadable::OutOfTree(target))
            } else if ft.is_dir() || ft.is_file() {
                None
            } else if ft.is_fifo() {
                Some(Unreadable::NotRegular("FIFO"))
            } else if ft.is_socket() {
                Some(Unreadable::NotRegular("socket"))
            } else {
                Some(Unreadable::NotRegular("device"))
            };
            if ft.is_dir() && problem.is_none() {
                continue;
            }
            out.push(Input {
                path: e.into_path(),
                named,
                walk_error: problem,
            });
        }
    }
    out
}

/// Size and blake3 of a file's raw bytes. Streams fixed-size blocks (hashed with rayon inside
/// each block, while the next block is read) rather than mapping the file: a mapping would count
/// the whole file in the process's resident memory, and memory must stay flat whatever the input
/// size.
fn hash_file(path: &Path) -> Hashed {
    use std::io::Read;
    fn read_some(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            match file.read(buf) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                r => return r,
            }
        }
    }
    let mut file = std::fs::File::open(path).map_err(|e| Unreadable::Open(e.to_string()))?;
    let mut hasher = blake3::Hasher::new();
    let (mut block, mut next) = (vec![0u8; 4 << 20], vec![0u8; 4 << 20]);
    let mut size = 0u64;
    let mut n = read_some(&mut file, &mut block).map_err(|e| Unreadable::After {
        at: 0,
        error: e.to_string(),
    })?;
    while n > 0 {
        let (_, read) = rayon::join(|| hasher.update_rayon(&block[..n]), || read_some(&mut file, &mut next));
        size += n as u64;
        n = read.map_err(|e| Unreadable::After {
            at: size,
            error: e.to_string(),
        })?;
        std::mem::swap(&mut block, &mut next);
    }
    Ok((size, hasher.finalize().to_hex().to_string()))
}

fn error_report(path: &str, message: String) -> FileReport {
    FileReport {
        path: path.to_string(),
        kind: "unknown".into(),
        compression: "none".into(),
        size: 0,
        blake3: String::new(),
        status: FileStatus::Error,
        message: Some(message),
        pg_prefix: None,
        counts: FileCounts::default(),
        rows: 0,
        tables: BTreeMap::new(),
        redactions: BTreeMap::new(),
        quarantine: None,
    }
}

fn duplicate_report(path: &str, size: u64, b3: &str, earlier: &str) -> FileReport {
    FileReport {
        size,
        blake3: b3.to_string(),
        status: FileStatus::Duplicate,
        message: Some(format!("same content as {earlier}, already in the case; nothing added")),
        ..error_report(path, String::new())
    }
}

/// The prefix a PostgreSQL file's text is read with: the one given, or the one its first lines
/// show. Err: held, with the reason.
fn prefix_for(
    format: LogFormat,
    head: &[u8],
    settings: &Settings,
) -> Result<(Prefix, PrefixUsed), pgaudit::infer::InferError> {
    if let Some(p) = &settings.prefix {
        let used = PrefixUsed {
            setting: p.setting().to_string(),
            how: "given with --pg-prefix".to_string(),
        };
        return Ok((p.clone(), used));
    }
    let sample = pgaudit::envelope::sample_lines(format, head, &settings.zone);
    if !sample.iter().any(|l| pgaudit::infer::severity_at(l).is_some()) && format != LogFormat::Stderr {
        // The envelope holds no server text here (Cloud SQL's pgAudit entries are fields).
        let used = PrefixUsed {
            setting: String::new(),
            how: "none needed: the first records carry no server text".to_string(),
        };
        return Ok((Prefix::compile("").expect("the empty prefix compiles"), used));
    }
    let inference = pgaudit::infer::infer(sample.iter().map(String::as_str))?;
    let used = PrefixUsed {
        setting: inference.prefix.setting().to_string(),
        how: inference.how,
    };
    Ok((inference.prefix, used))
}

/// A path as agaudit writes it (ingest.json, the ledger, quarantine names, reports): a file
/// name is input too — `dump-AKIA….log` — so it is secret-scanned like any identifier.
fn shown(path: &Path, counts: &mut RuleCounts) -> String {
    redact::redactor().text(&path.to_string_lossy(), counts).into_owned()
}

fn ingest_one(run: &RunContext<'_>, path: &Path, size: u64, b3: &str) -> (FileReport, FileRecord) {
    let case = run.case;
    // The raw path opens the file; only its scanned form is written anywhere.
    let mut path_redactions = RuleCounts::new();
    let source_file = shown(path, &mut path_redactions);
    let tag = b3[..16].to_string();
    let file_name = path
        .file_name()
        .map_or_else(|| "input".to_string(), |n| shown(Path::new(n), &mut path_redactions));
    let quarantine_path = case.quarantine_dir().join(format!("{file_name}-{tag}.jsonl"));
    let ctx = FileContext {
        source: SourceFile {
            file: source_file.clone(),
            blake3: b3.to_string(),
            labels: run.labels.clone(),
        },
        tag,
    };

    let mut prefix_used = None;
    let (kind, compression, outcome) = match framing::sniff(path, HEAD_BYTES) {
        Err(e) => (
            Kind::Unknown,
            Compression::None,
            FileOutcome::failed(format!("cannot read: {e}")),
        ),
        Ok((head, compression)) => {
            let kind = detect::detect(&head);
            let bar = run.progress.clone();
            let outcome = match framing::open(path, move |n| bar.inc(n)) {
                Err(e) => FileOutcome::failed(format!("cannot read: {e}")),
                Ok((reader, _)) => match kind {
                    Kind::Postgres(format) => {
                        let prefix = if format.prefixed() {
                            prefix_for(format, &head, run.settings).map(|(p, used)| {
                                prefix_used = Some(used);
                                p
                            })
                        } else {
                            Ok(Prefix::compile("").expect("the empty prefix compiles"))
                        };
                        match prefix {
                            Ok(prefix) => {
                                let reading = pgaudit::Reading {
                                    format,
                                    prefix,
                                    zone: run.settings.zone.clone(),
                                };
                                pipeline::ingest(&reading, &ctx, reader, &case.parquet_dir(), quarantine_path)
                            }
                            Err(reason) => hold_whole_file(&ctx, reader, quarantine_path, &reason.to_string()),
                        }
                    }
                    Kind::Otlp(layout) => pipeline::ingest(
                        &otlp::Otlp { layout },
                        &ctx,
                        reader,
                        &case.parquet_dir(),
                        quarantine_path,
                    ),
                    Kind::Mcp(layout) => {
                        pipeline::ingest(&mcp::Mcp { layout }, &ctx, reader, &case.parquet_dir(), quarantine_path)
                    }
                    Kind::Capture => {
                        pipeline::ingest(&capture::Capture, &ctx, reader, &case.parquet_dir(), quarantine_path)
                    }
                    Kind::Unknown => quarantine_whole_file(&ctx, reader, quarantine_path),
                },
            };
            (kind, compression, outcome)
        }
    };

    let mut message = outcome.error.clone().or_else(|| outcome.read_error.clone());
    let rows_written: u64 = outcome.rows.values().sum();
    let status = if outcome.error.is_some() {
        FileStatus::Error
    } else if let Some(reason) = &outcome.held {
        message = Some(format!("held, nothing kept: {reason}"));
        FileStatus::Held
    } else if outcome.read_error.is_some() {
        FileStatus::Partial
    } else if !outcome.counts.balanced() {
        message = Some(format!(
            "internal error: line counts do not add up ({:?}); please report this",
            outcome.counts
        ));
        FileStatus::Error
    } else if kind == Kind::Unknown {
        message = Some(UNRECOGNISED.into());
        FileStatus::Unrecognised
    } else if rows_written == 0 && outcome.counts.quarantined_lines > 0 {
        message = Some(unusable_message(kind, &outcome.counts, prefix_used.as_ref()));
        FileStatus::Unusable
    } else {
        FileStatus::Ingested
    };
    let mut redactions: BTreeMap<String, u64> = outcome.redactions.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    // Every text the record holds besides counts and hashes is scanned: the file's own path and
    // name above; the prefix (inferred from the file's lines), how it was found, the message.
    let mut scan = |s: String| redact::redactor().text(&s, &mut path_redactions).into_owned();
    let pg_prefix = prefix_used.as_ref().map(|p| scan(p.setting.clone()));
    let pg_prefix_how = prefix_used.map(|p| scan(p.how));
    let message = message.map(&mut scan);
    for (rule, n) in path_redactions {
        *redactions.entry(rule.to_string()).or_insert(0) += n;
    }
    let tables: BTreeMap<String, u64> = outcome
        .rows
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(t, n)| (t.to_string(), *n))
        .collect();
    let quarantine = outcome.quarantine.as_deref().map(|q| case.relative(q));
    let record = FileRecord {
        path: source_file,
        size,
        blake3: b3.to_string(),
        kind: kind.name().into(),
        compression: compression.name().into(),
        ingest_id: run.ingest_id.to_string(),
        ingested_at: crate::time::now(),
        labels: run.labels.clone(),
        pg_prefix,
        pg_prefix_how,
        log_timezone: run.settings.zone.name().map(str::to_string),
        status,
        error: message,
        counts: outcome.counts,
        rows: tables,
        redactions,
        parts: outcome.parts.iter().map(|p| case.relative(&p.path)).collect(),
        quarantine,
    };
    (FileReport::of(&record), record)
}

/// Why a file gave no rows, and what to pass.
fn unusable_message(kind: Kind, counts: &FileCounts, prefix: Option<&PrefixUsed>) -> String {
    let mut m = format!(
        "no rows: {} of {} lines quarantined (reasons in the quarantine file)",
        counts.quarantined_lines, counts.lines_read
    );
    if let (Kind::Postgres(_), Some(p)) = (kind, prefix) {
        m.push_str(&format!(
            "; read with log_line_prefix '{}' ({}): if that is not the server's, pass its setting with --pg-prefix",
            p.setting, p.how
        ));
    }
    m
}

/// A file held before parsing (its prefix could not be decided): count its lines, keep none.
fn hold_whole_file(
    ctx: &FileContext,
    reader: Box<dyn std::io::Read + Send>,
    quarantine_path: PathBuf,
    reason: &str,
) -> FileOutcome {
    let mut outcome = quarantine_whole_file_with(
        ctx,
        reader,
        quarantine_path,
        &format!("file held, nothing kept: {reason}"),
    );
    outcome.held = Some(reason.to_string());
    outcome
}

const UNRECOGNISED: &str = "content is not a PostgreSQL log (stderr, csvlog, jsonlog, syslog, Heroku, CloudWatch, CloudNativePG, Cloud Logging or Azure; docs/formats.md), OTLP JSON traces or logs, MCP tools/list JSON or traffic, or an ebpf-capture file; all lines quarantined";

/// A file of unknown content: count its lines and quarantine them as one entry.
fn quarantine_whole_file(
    ctx: &FileContext,
    reader: Box<dyn std::io::Read + Send>,
    quarantine_path: PathBuf,
) -> FileOutcome {
    let reason = format!("unrecognised content: {UNRECOGNISED} (the kind is detected from content, not the name)");
    quarantine_whole_file_with(ctx, reader, quarantine_path, &reason)
}

/// Counts a file's lines and quarantines them as one entry with `reason`.
fn quarantine_whole_file_with(
    ctx: &FileContext,
    reader: Box<dyn std::io::Read + Send>,
    quarantine_path: PathBuf,
    reason: &str,
) -> FileOutcome {
    let mut lines = 0u64;
    let mut read_error = None;
    for chunk in Framer::new(reader, Framing::Lines, Splitter::plain()) {
        match chunk {
            Ok(c) => lines += c.records.iter().map(|r| u64::from(r.lines)).sum::<u64>(),
            Err(e) => {
                read_error = Some(e.to_string());
                break;
            }
        }
    }
    let mut outcome = FileOutcome::empty();
    outcome.read_error = read_error;
    outcome.counts.lines_read = lines;
    outcome.counts.quarantined_lines = lines;
    if lines > 0 {
        let entry = serde_json::json!({
            "file": ctx.source.file, "line": 1, "lines": lines, "reason": reason,
        });
        let written = std::fs::File::create(&quarantine_path).and_then(|mut f| writeln!(f, "{entry}"));
        if let Err(e) = written {
            outcome.error = Some(format!("cannot write {}: {e}", quarantine_path.display()));
        }
        outcome.quarantine = Some(quarantine_path);
    }
    outcome
}

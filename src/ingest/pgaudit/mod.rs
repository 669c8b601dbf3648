//! PostgreSQL server logs with pgAudit entries → the `db_events` table.
//!
//! Three formats (stderr with any log_line_prefix, csvlog, jsonlog) each turn a chunk of framed
//! records into [`Message`]s, the shape they have in common. [`audit::classify`] decides what a
//! message is (pgAudit entry, refused statement, other line) and redacts it. Chunks are parsed in
//! parallel; an ordered sink then restores file order (so output is deterministic), writes rows to Parquet and unparseable lines to the quarantine, and keeps the line counts.
//!
//! In: a decompressed reader over one log file. Out: Parquet parts, a quarantine file, counts.

pub mod audit;
pub mod csvlog;
pub mod jsonlog;
pub mod prefix;
pub mod stderr;
pub mod timestamp;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::iter::{ParallelBridge, ParallelIterator};

use crate::ingest::framing::{self, Chunk, Framer, Framing, Record, RecordProblem, SplitCheck};
use crate::ingest::{FileContext, FileCounts, FileOutcome};
use crate::redact::{self, RuleCounts};
use crate::table::db_events::{self, DbEvent, DbEventsBuilder, FileColumns};
use crate::table::writer::{PartitionedWriter, date_partition};
use audit::Classified;
use prefix::Prefix;

/// Which of PostgreSQL's log formats a file is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Stderr,
    Csvlog,
    Jsonlog,
}

impl LogFormat {
    pub fn name(self) -> &'static str {
        match self {
            LogFormat::Stderr => "stderr",
            LogFormat::Csvlog => "csvlog",
            LogFormat::Jsonlog => "jsonlog",
        }
    }

    fn framing(self) -> Framing {
        match self {
            LogFormat::Stderr => Framing::TabContinued,
            LogFormat::Csvlog => Framing::Csv,
            LogFormat::Jsonlog => Framing::Lines,
        }
    }
}

/// One server message with the session fields its format carried; borrowed where possible.
#[derive(Debug, Default, Clone)]
pub struct Message<'a> {
    pub line: u64,
    pub lines: u32,
    pub ts: Option<i64>,
    pub db_user: Option<Cow<'a, str>>,
    pub database: Option<Cow<'a, str>>,
    pub application_name: Option<Cow<'a, str>>,
    pub backend_pid: Option<i32>,
    pub session_id: Option<Cow<'a, str>>,
    pub client_addr: Option<Cow<'a, str>>,
    /// LOG, ERROR, ... or a follow-up keyword (STATEMENT, DETAIL, ...) without its primary.
    pub severity: &'static str,
    pub sqlstate: Option<Cow<'a, str>>,
    pub text: Cow<'a, str>,
    /// The statement an error report carries (STATEMENT line, csvlog query, jsonlog statement).
    pub statement: Option<Cow<'a, str>>,
}

/// What a format parser makes of one record.
#[derive(Debug)]
pub enum Parsed<'a> {
    Message(Box<Message<'a>>),
    /// Lines counted under a kind without being a message (blank lines).
    Counted {
        lines: u32,
        kind: &'static str,
    },
    Invalid {
        line: u64,
        lines: u32,
        reason: String,
    },
}

/// The severity keywords PostgreSQL writes before a message, and the follow-up keywords
/// (DETAIL, STATEMENT, ...) that start the lines belonging to the message before them.
pub const SEVERITIES: &[&str] = &[
    "LOG",
    "ERROR",
    "FATAL",
    "PANIC",
    "WARNING",
    "NOTICE",
    "INFO",
    "DEBUG",
    "DEBUG1",
    "DEBUG2",
    "DEBUG3",
    "DEBUG4",
    "DEBUG5",
    "DETAIL",
    "HINT",
    "QUERY",
    "CONTEXT",
    "LOCATION",
    "STATEMENT",
];

/// `s` as one of [`SEVERITIES`], as a static string.
pub fn known_severity(s: &str) -> Option<&'static str> {
    SEVERITIES.iter().find(|k| **k == s).copied()
}

/// An empty string means "not set" in csvlog and jsonlog.
pub fn non_empty(v: Cow<'_, str>) -> Option<Cow<'_, str>> {
    (!v.is_empty()).then_some(v)
}

/// A record's text, or why it cannot be read as UTF-8 (naming the line inside the record).
pub fn record_text<'a>(chunk: &'a Chunk, r: &Record) -> Result<&'a str, String> {
    let bytes = chunk.bytes(r);
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        let line = r.line + memchr::memchr_iter(b'\n', &bytes[..at]).count() as u64;
        let col = at - bytes[..at].iter().rposition(|&c| c == b'\n').map_or(0, |p| p + 1) + 1;
        format!("invalid UTF-8 at line {line}, column {col}: PostgreSQL logs are read as UTF-8")
    })
}

/// One parsed chunk, ready for the ordered sink.
struct ChunkOut {
    seq: u64,
    events: Vec<DbEvent>,
    counts: FileCounts,
    quarantine: Vec<Quarantined>,
    redactions: RuleCounts,
}

struct Quarantined {
    line: u64,
    lines: u32,
    reason: String,
    excerpt: String,
}

fn process_chunk(chunk: &Chunk, format: LogFormat, prefix: &Prefix) -> ChunkOut {
    let mut out = ChunkOut {
        seq: chunk.seq,
        events: Vec::new(),
        counts: FileCounts::default(),
        quarantine: Vec::new(),
        redactions: RuleCounts::new(),
    };
    let mut parsed = Vec::with_capacity(chunk.records.len());
    for r in &chunk.records {
        out.counts.lines_read += u64::from(r.lines);
        if let Some(problem) = r.problem {
            let reason = match problem {
                RecordProblem::TooLong => format!(
                    "record longer than the {} MiB limit (agaudit keeps records up to that size)",
                    crate::ingest::framing::MAX_RECORD_BYTES >> 20
                ),
                RecordProblem::UnterminatedQuote => {
                    "unterminated quoted CSV field: the record never closes its quote".to_string()
                }
            };
            parsed.push(Parsed::Invalid {
                line: r.line,
                lines: r.lines,
                reason,
            });
            continue;
        }
        match format {
            LogFormat::Stderr => stderr::parse_record(chunk, r, prefix, &mut parsed),
            LogFormat::Csvlog => parsed.push(csvlog::parse_record(chunk, r)),
            LogFormat::Jsonlog => parsed.push(jsonlog::parse_record(chunk, r)),
        }
    }
    for p in parsed {
        match p {
            Parsed::Message(msg) => match audit::classify(&msg, &mut out.redactions) {
                Classified::Audit(ev) | Classified::Error(ev) => {
                    out.counts.row_lines += u64::from(msg.lines);
                    out.events.push(*ev);
                }
                Classified::Other(kind) => out.counts.add_other(kind, u64::from(msg.lines)),
                Classified::Invalid(reason) => {
                    out.quarantine
                        .push(quarantined(chunk, msg.line, msg.lines, reason, &mut out.redactions))
                }
            },
            Parsed::Counted { lines, kind } => out.counts.add_other(kind, u64::from(lines)),
            Parsed::Invalid { line, lines, reason } => {
                out.quarantine
                    .push(quarantined(chunk, line, lines, reason, &mut out.redactions))
            }
        }
    }
    out.counts.quarantined_lines = out.quarantine.iter().map(|q| u64::from(q.lines)).sum();
    out
}

fn quarantined(chunk: &Chunk, line: u64, lines: u32, reason: String, counts: &mut RuleCounts) -> Quarantined {
    let first = chunk
        .records
        .iter()
        .find(|r| r.line <= line && line < r.line + u64::from(r.lines))
        .map(|r| {
            let bytes = chunk.bytes(r);
            let end = memchr::memchr(b'\n', bytes).unwrap_or(bytes.len());
            String::from_utf8_lossy(&bytes[..end.min(400)]).into_owned()
        })
        .unwrap_or_default();
    Quarantined {
        line,
        lines,
        // Reasons quote input only as its shape; the scan is a second net.
        reason: redact::redactor().text(&reason, counts).into_owned(),
        excerpt: redact::shape(&first, 160),
    }
}

/// Rows are handed to Arrow in batches of this many per date partition.
const BATCH_ROWS: usize = 16 * 1024;

/// The `date=` partition of the last day seen: logs are in time order, so formatting a date per
/// row would be wasted work.
#[derive(Default)]
struct DateCache {
    day: Option<i64>,
    text: String,
}

impl DateCache {
    fn partition(&mut self, ts: Option<i64>) -> String {
        let day = ts.map(|t| t.div_euclid(86_400_000_000));
        if day != self.day || self.text.is_empty() {
            self.day = day;
            self.text = date_partition(ts);
        }
        self.text.clone()
    }
}

/// Restores file order and writes rows and quarantine entries.
struct Sink {
    next_seq: u64,
    pending: BTreeMap<u64, ChunkOut>,
    file: FileColumns,
    builders: BTreeMap<String, DbEventsBuilder>,
    writer: Option<PartitionedWriter>,
    quarantine_path: PathBuf,
    quarantine: Option<BufWriter<File>>,
    source_file: String,
    dates: DateCache,
    counts: FileCounts,
    rows: u64,
    redactions: RuleCounts,
    error: Option<String>,
}

impl Sink {
    fn accept(&mut self, out: ChunkOut) {
        self.pending.insert(out.seq, out);
        while let Some(out) = self.pending.remove(&self.next_seq) {
            self.next_seq += 1;
            if let Err(e) = self.absorb(out) {
                self.error.get_or_insert(e);
            }
        }
    }

    fn absorb(&mut self, out: ChunkOut) -> Result<(), String> {
        self.counts.add(&out.counts);
        for (k, v) in out.redactions {
            *self.redactions.entry(k).or_insert(0) += v;
        }
        for q in &out.quarantine {
            self.write_quarantine(q)?;
        }
        for ev in out.events {
            let date = self.dates.partition(ev.ts);
            let builder = self
                .builders
                .entry(date.clone())
                .or_insert_with(|| DbEventsBuilder::new(self.file.clone()));
            builder.append(&ev);
            self.rows += 1;
            if builder.len() >= BATCH_ROWS {
                self.flush(&date)?;
            }
        }
        Ok(())
    }

    fn flush(&mut self, date: &str) -> Result<(), String> {
        let Some(builder) = self.builders.get_mut(date) else {
            return Ok(());
        };
        if builder.is_empty() {
            return Ok(());
        }
        let batch = builder.finish().map_err(|e| format!("building db_events batch: {e}"))?;
        match &mut self.writer {
            Some(w) => w.write(date, &batch).map_err(|e| e.to_string()),
            None => Ok(()),
        }
    }

    fn write_quarantine(&mut self, q: &Quarantined) -> Result<(), String> {
        if self.quarantine.is_none() {
            let f = File::create(&self.quarantine_path)
                .map_err(|e| format!("cannot create {}: {e}", self.quarantine_path.display()))?;
            self.quarantine = Some(BufWriter::new(f));
        }
        let entry = serde_json::json!({
            "file": self.source_file, "line": q.line, "lines": q.lines, "reason": q.reason, "excerpt": q.excerpt,
        });
        let w = self.quarantine.as_mut().expect("created above");
        writeln!(w, "{entry}").map_err(|e| format!("cannot write {}: {e}", self.quarantine_path.display()))
    }
}

/// Parses one PostgreSQL log file end to end.
pub fn ingest_file(
    ctx: &FileContext,
    format: LogFormat,
    prefix: &Prefix,
    reader: Box<dyn Read + Send>,
    table_root: &Path,
    quarantine_path: PathBuf,
) -> FileOutcome {
    let file = FileColumns {
        source_file: ctx.source_file.clone(),
        source_blake3: ctx.blake3.clone(),
        log_format: format.name(),
        server: ctx.labels.get("server").cloned(),
        labels: ctx.labels.clone(),
    };
    let metadata = vec![
        ("agaudit.table".to_string(), db_events::TABLE.to_string()),
        ("agaudit.source_blake3".to_string(), ctx.blake3.clone()),
    ];
    let table_dir = table_root.join(db_events::TABLE);
    let writer = match PartitionedWriter::new(&table_dir, &ctx.tag, db_events::schema(), metadata) {
        Ok(w) => w,
        Err(e) => return FileOutcome::failed(e.to_string()),
    };
    let _ = std::fs::remove_file(&quarantine_path);
    let sink = Mutex::new(Sink {
        next_seq: 0,
        pending: BTreeMap::new(),
        file,
        builders: BTreeMap::new(),
        writer: Some(writer),
        quarantine_path: quarantine_path.clone(),
        quarantine: None,
        source_file: ctx.source_file.clone(),
        dates: DateCache::default(),
        counts: FileCounts::default(),
        rows: 0,
        redactions: RuleCounts::new(),
        error: None,
    });
    let split_prefix = prefix.clone();
    let can_split: SplitCheck = match format {
        LogFormat::Stderr => Box::new(move |line| stderr::may_start_chunk(line, &split_prefix)),
        _ => Box::new(|_| true),
    };
    let framer = Framer::new(reader, format.framing(), can_split);
    let pool = framer.pool();
    let frame_error: Mutex<Option<String>> = Mutex::new(None);
    framer.par_bridge().for_each(|chunk| match chunk {
        Ok(chunk) => {
            let out = process_chunk(&chunk, format, prefix);
            framing::recycle(&pool, chunk);
            sink.lock().unwrap_or_else(|p| p.into_inner()).accept(out);
        }
        Err(e) => {
            frame_error
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get_or_insert(e.to_string());
        }
    });
    let mut sink = sink.into_inner().unwrap_or_else(|p| p.into_inner());
    let dates: Vec<String> = sink.builders.keys().cloned().collect();
    for date in dates {
        if let Err(e) = sink.flush(&date) {
            sink.error.get_or_insert(e);
        }
    }
    if let Some(mut q) = sink.quarantine.take()
        && let Err(e) = q.flush()
    {
        sink.error
            .get_or_insert(format!("cannot write {}: {e}", quarantine_path.display()));
    }
    let writer = sink.writer.take().expect("writer is set until here");
    let mut outcome = FileOutcome {
        counts: sink.counts.clone(),
        rows: sink.rows,
        redactions: sink.redactions.clone(),
        parts: Vec::new(),
        quarantine: (sink.counts.quarantined_lines > 0).then_some(quarantine_path),
        error: sink.error.clone(),
        read_error: frame_error.into_inner().unwrap_or_else(|p| p.into_inner()),
    };
    if outcome.error.is_some() {
        let _ = writer.abort();
        outcome.rows = 0;
        return outcome;
    }
    match writer.finish() {
        Ok(parts) => outcome.parts = parts,
        Err(e) => outcome.error = Some(e.to_string()),
    }
    outcome
}

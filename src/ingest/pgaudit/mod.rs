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
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::ingest::framing::{Chunk, Framer, Framing, Record, SplitCheck};
use crate::ingest::sink::{self, ChunkOut, DatePartitions, Sink, TableBatch, run_chunks};
use crate::ingest::{FileContext, FileOutcome};
use crate::table::db_events::{self, DbEventsBuilder, FileColumns};
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

fn process_chunk(chunk: &Chunk, format: LogFormat, prefix: &Prefix, file: &FileColumns) -> ChunkOut {
    let mut out = ChunkOut::new(chunk.seq);
    let mut parsed = Vec::with_capacity(chunk.records.len());
    for r in &chunk.records {
        out.counts.lines_read += u64::from(r.lines);
        if let Some(problem) = r.problem {
            parsed.push(Parsed::Invalid {
                line: r.line,
                lines: r.lines,
                reason: sink::problem_reason(problem),
            });
            continue;
        }
        match format {
            LogFormat::Stderr => stderr::parse_record(chunk, r, prefix, &mut parsed),
            LogFormat::Csvlog => parsed.push(csvlog::parse_record(chunk, r)),
            LogFormat::Jsonlog => parsed.push(jsonlog::parse_record(chunk, r)),
        }
    }
    let mut dates: DatePartitions<DbEventsBuilder> = DatePartitions::default();
    for p in parsed {
        match p {
            Parsed::Message(msg) => match audit::classify(&msg, &mut out.redactions) {
                Classified::Audit(ev) | Classified::Error(ev) => {
                    out.counts.row_lines += u64::from(msg.lines);
                    dates
                        .for_micros(ev.ts, || DbEventsBuilder::new(file.clone()))
                        .append(&ev);
                }
                Classified::Other(kind) => out.counts.add_other(kind, u64::from(msg.lines)),
                Classified::Invalid(reason) => {
                    out.quarantine(sink::record_at(chunk, msg.line), msg.line, msg.lines, &reason)
                }
            },
            Parsed::Counted { lines, kind } => out.counts.add_other(kind, u64::from(lines)),
            Parsed::Invalid { line, lines, reason } => {
                out.quarantine(sink::record_at(chunk, line), line, lines, &reason)
            }
        }
    }
    for (date, mut builder) in dates.builders {
        match builder.finish() {
            Ok(batch) => out.batches.push(TableBatch {
                table: db_events::TABLE,
                date,
                batch,
            }),
            // A builder/schema mismatch is a bug; the line counts stay honest and the file fails.
            Err(e) => out.error = Some(format!("internal error building db_events: {e}")),
        }
    }
    out
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
    let sink = match Sink::new(
        ctx,
        table_root,
        &[(db_events::TABLE, db_events::schema())],
        quarantine_path,
    ) {
        Ok(s) => s,
        Err(e) => return FileOutcome::failed(e),
    };
    let split_prefix = prefix.clone();
    let can_split: SplitCheck = match format {
        LogFormat::Stderr => Box::new(move |line| stderr::may_start_chunk(line, &split_prefix)),
        _ => Box::new(|_| true),
    };
    let framer = Framer::new(reader, format.framing(), can_split);
    run_chunks(framer, sink, |chunk| process_chunk(chunk, format, prefix, &file))
}

//! PostgreSQL server logs with pgAudit entries → the `db_events` table.
//!
//! The server writes three formats (stderr with any log_line_prefix, csvlog, jsonlog); estates
//! keep them inside envelopes (syslog, Heroku's logplex, CloudWatch, CloudNativePG's JSON, Cloud
//! Logging, Azure resource logs). [`LogFormat`] declares each once: its name, how its records are
//! framed, and whether its text carries a log_line_prefix. [`envelope`] unwraps a chunk of
//! records into the stderr text or the fields inside them; [`stderr`], [`csvlog`] and
//! [`jsonlog`] turn those into [`Message`]s, the shape every format has in common;
//! [`audit::classify`] decides what a message is (pgAudit entry, refused statement, other line)
//! and redacts it. Chunks are parsed in parallel; an ordered sink then restores file order (so
//! output is deterministic), writes rows to Parquet and unparseable lines to the quarantine, and
//! keeps the line counts.
//!
//! In: a decompressed reader over one log file, its format, its log_line_prefix (given or
//! inferred) and the run's log_timezone. Out: Parquet parts, a quarantine file, counts.

pub mod audit;
pub mod csvlog;
pub mod envelope;
pub mod infer;
pub mod jsonlog;
pub mod prefix;
pub mod stderr;
pub mod timestamp;

use std::borrow::Cow;
use std::io::Read;

use crate::ingest::framing::{self, Chunk, Framer, Framing, Layout, Record, Splitter};
use crate::ingest::pipeline::{Chunks, Format};
use crate::ingest::sink::{self, ChunkOut, DatePartitions};
use crate::table::db_events::{DbEvent, DbEventsBuilder, FileColumns, LogFamily};
use crate::table::declare::SourceFile;
use audit::Classified;
use envelope::{ContainerContext, Step, Unwrapper};
use prefix::Prefix;
use timestamp::LogZone;

/// A PostgreSQL log format, plain or in the envelope an estate keeps it in (docs/formats.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// The server's stderr log (log_destination = 'stderr'), as written or as RDS/Aurora hand it
    /// out (`aws rds download-db-log-file-portion`).
    Stderr,
    Csvlog,
    Jsonlog,
    /// log_destination = 'syslog' through a syslog daemon's file (RFC 3164, RFC 3339 or RFC 5424
    /// headers), PostgreSQL's `[SEQ-PART]` numbering.
    Syslog,
    /// Heroku Postgres through logplex (`heroku logs` lines or a drain's octet-counted frames).
    Heroku,
    /// A CloudWatch Logs export to S3: each event as `RFC3339 message`, continuation lines raw.
    CloudWatchExport,
    /// CloudWatch Logs events (`timestamp` in ms, `message`), as JSON lines or in an
    /// `events` / `logEvents` document.
    CloudWatch(Layout),
    /// CloudNativePG's JSON lines (`logger`, `record` with the csvlog columns, `record.audit`).
    CloudNativePg,
    /// Google Cloud Logging entries of Cloud SQL (`textPayload`, or a PgAuditEntry request).
    CloudLogging(Layout),
    /// Azure resource logs of Azure Database for PostgreSQL (`properties.message`).
    Azure(Layout),
}

impl LogFormat {
    /// Every format, for documentation and tests.
    pub const ALL: &[LogFormat] = &[
        LogFormat::Stderr,
        LogFormat::Csvlog,
        LogFormat::Jsonlog,
        LogFormat::Syslog,
        LogFormat::Heroku,
        LogFormat::CloudWatchExport,
        LogFormat::CloudWatch(Layout::Lines),
        LogFormat::CloudWatch(Layout::Document),
        LogFormat::CloudNativePg,
        LogFormat::CloudLogging(Layout::Lines),
        LogFormat::CloudLogging(Layout::Document),
        LogFormat::Azure(Layout::Lines),
        LogFormat::Azure(Layout::Document),
    ];

    /// The `log_format` column.
    pub fn family(self) -> LogFamily {
        match self {
            LogFormat::Stderr => LogFamily::Stderr,
            LogFormat::Csvlog => LogFamily::Csvlog,
            LogFormat::Jsonlog => LogFamily::Jsonlog,
            LogFormat::Syslog => LogFamily::Syslog,
            LogFormat::Heroku => LogFamily::Heroku,
            LogFormat::CloudWatchExport => LogFamily::CloudwatchExport,
            LogFormat::CloudWatch(_) => LogFamily::Cloudwatch,
            LogFormat::CloudNativePg => LogFamily::Cloudnativepg,
            LogFormat::CloudLogging(_) => LogFamily::CloudLogging,
            LogFormat::Azure(_) => LogFamily::Azure,
        }
    }

    /// The format's name: the `log_format` column, and (with `pg_`) the file kind.
    pub fn name(self) -> &'static str {
        self.family().name()
    }

    /// Whether its messages are stderr text that starts with the log_line_prefix.
    pub fn prefixed(self) -> bool {
        !matches!(self, LogFormat::Csvlog | LogFormat::Jsonlog | LogFormat::CloudNativePg)
    }

    /// The whole file is one JSON document (an array or an object holding the records).
    pub fn layout(self) -> Layout {
        match self {
            LogFormat::CloudWatch(l) | LogFormat::CloudLogging(l) | LogFormat::Azure(l) => l,
            _ => Layout::Lines,
        }
    }

    fn framing(self) -> Framing {
        match self {
            LogFormat::Stderr | LogFormat::CloudWatchExport => Framing::Continued,
            LogFormat::Csvlog => Framing::Csv,
            _ => Framing::Lines,
        }
    }
}

/// How one file's messages are read: its format, the prefix of its text, the run's time zone.
#[derive(Clone)]
pub struct Reading {
    pub format: LogFormat,
    pub prefix: Prefix,
    pub zone: LogZone,
}

/// One server message with the session fields its format carried; borrowed where possible.
#[derive(Debug, Default, Clone)]
pub struct Message<'a> {
    pub line: u64,
    pub lines: u32,
    pub ts: Option<i64>,
    /// The server the envelope names (a label given at ingest wins).
    pub server: Option<Cow<'a, str>>,
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
    /// Lines counted under a kind without being a message (blank lines, envelope lines).
    Counted {
        lines: u32,
        kind: &'static str,
    },
    Invalid {
        line: u64,
        lines: u32,
        reason: String,
    },
    /// Reading on would mean guessing (an ambiguous time zone abbreviation): the whole file is
    /// held, with this reason.
    Held {
        line: u64,
        lines: u32,
        reason: String,
    },
}

impl Parsed<'_> {
    /// Record `r` quarantined with `reason`.
    pub fn invalid(r: &Record, reason: impl Into<String>) -> Parsed<'static> {
        Parsed::Invalid {
            line: r.line,
            lines: r.lines,
            reason: reason.into(),
        }
    }
}

/// The text of record `r` of a one-record-per-line format, or what the record already is: a
/// blank line (counted) or not UTF-8 (quarantined).
pub fn line_text<'a>(chunk: &'a Chunk, r: &Record) -> Result<&'a str, Parsed<'a>> {
    match record_text(chunk, r) {
        Ok(t) if t.trim().is_empty() => Err(Parsed::Counted {
            lines: r.lines,
            kind: "blank",
        }),
        Ok(t) => Ok(t),
        Err(reason) => Err(Parsed::invalid(r, reason.to_string())),
    }
}

/// The instant of a timestamp field named `field` of record `r` (with what follows it), or what
/// becomes of the record: held (an ambiguous zone) or quarantined.
pub fn field_time<'t>(
    text: &'t str,
    zone: &LogZone,
    r: &Record,
    field: &str,
) -> Result<(i64, &'t str), Parsed<'static>> {
    match timestamp::parse(text, zone) {
        Ok((ts, n)) => Ok((ts, &text[n..])),
        Err(e) if e.holds_file() => Err(Parsed::Held {
            line: r.line,
            lines: r.lines,
            reason: e.to_string(),
        }),
        Err(e) => Err(Parsed::invalid(r, format!("{field}: {e}"))),
    }
}

impl<'a> From<Message<'a>> for Parsed<'a> {
    fn from(m: Message<'a>) -> Self {
        Parsed::Message(Box::new(m))
    }
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

/// Where a record stops being UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid UTF-8 at line {line}, column {column}: PostgreSQL logs are read as UTF-8")]
pub struct NotUtf8 {
    pub line: u64,
    pub column: usize,
}

/// A record's text, or why it cannot be read as UTF-8 (naming the line inside the record).
pub fn record_text<'a>(chunk: &'a Chunk, r: &Record) -> Result<&'a str, NotUtf8> {
    let bytes = chunk.bytes(r);
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        let line = r.line + memchr::memchr_iter(b'\n', &bytes[..at]).count() as u64;
        let column = at - bytes[..at].iter().rposition(|&c| c == b'\n').map_or(0, |p| p + 1) + 1;
        NotUtf8 { line, column }
    })
}

/// Parses one chunk: unwraps its records, reads the messages, classifies and builds the rows.
/// `contexts` are the containers' fields for each record of a JSON document (None for lines).
fn process_chunk(
    chunk: &Chunk,
    reading: &Reading,
    file: &FileColumns,
    contexts: Option<&[ContainerContext]>,
) -> ChunkOut {
    let mut out = ChunkOut::new(chunk.seq);
    if reading.format == LogFormat::Stderr {
        // No envelope: each record's text goes straight to the stderr parser.
        let mut parsed: Vec<Parsed<'_>> = Vec::with_capacity(chunk.records.len());
        for r in &chunk.records {
            out.counts.lines_read += u64::from(r.lines);
            plain_stderr(chunk, r, reading, &mut parsed);
        }
        return classify_into(out, chunk, parsed, file);
    }
    let mut unwrapper = Unwrapper::new(reading, chunk);
    for (i, r) in chunk.records.iter().enumerate() {
        out.counts.lines_read += u64::from(r.lines);
        if let Some(problem) = r.problem {
            unwrapper.push(Parsed::Invalid {
                line: r.line,
                lines: r.lines,
                reason: sink::problem_reason(problem),
            });
            continue;
        }
        unwrapper.unwrap(r, contexts.and_then(|c| c.get(i)));
    }
    let (texts, steps) = unwrapper.finish();
    let mut parsed: Vec<Parsed<'_>> = Vec::with_capacity(steps.len());
    for step in steps {
        match step {
            Step::Text(i) => stderr::parse_text(&texts[i], reading, &mut parsed),
            Step::Parsed(p) => parsed.push(p),
        }
    }
    classify_into(out, chunk, parsed, file)
}

/// One record of a plain stderr file.
fn plain_stderr<'c>(chunk: &'c Chunk, r: &Record, reading: &Reading, parsed: &mut Vec<Parsed<'c>>) {
    if let Some(problem) = r.problem {
        return parsed.push(Parsed::Invalid {
            line: r.line,
            lines: r.lines,
            reason: sink::problem_reason(problem),
        });
    }
    match record_text(chunk, r) {
        Ok(text) if text.trim().is_empty() => parsed.push(Parsed::Counted {
            lines: r.lines,
            kind: "blank",
        }),
        Ok(text) => {
            let piece = stderr::Piece {
                text,
                line: r.line,
                lines: r.lines,
                ..Default::default()
            };
            stderr::parse_lines(piece, reading, parsed)
        }
        Err(reason) => parsed.push(Parsed::Invalid {
            line: r.line,
            lines: r.lines,
            reason: reason.to_string(),
        }),
    }
}

/// Classifies the messages of a chunk and builds its rows.
fn classify_into(mut out: ChunkOut, chunk: &Chunk, parsed: Vec<Parsed<'_>>, file: &FileColumns) -> ChunkOut {
    let mut dates: DatePartitions<DbEventsBuilder> = DatePartitions::default();
    for p in parsed {
        match p {
            Parsed::Message(msg) => match audit::classify(&msg, &mut out.redactions) {
                Classified::Audit(ev) | Classified::Error(ev) => {
                    out.counts.row_lines += u64::from(msg.lines);
                    dates.for_micros(ev.ts, DbEventsBuilder::new).append(&file.stamp(ev));
                }
                Classified::Other(kind) => out.counts.add_other(kind, u64::from(msg.lines)),
                Classified::Invalid(reason) => out.quarantine(
                    sink::record_at(chunk, msg.line),
                    msg.line,
                    msg.lines,
                    &reason.to_string(),
                ),
            },
            Parsed::Counted { lines, kind } => out.counts.add_other(kind, u64::from(lines)),
            Parsed::Invalid { line, lines, reason } => {
                out.quarantine(sink::record_at(chunk, line), line, lines, &reason)
            }
            Parsed::Held { line, lines, reason } => out.hold(line, lines, &reason),
        }
    }
    out.add_partitions(DbEvent::TABLE, dates);
    out
}

impl Format for Reading {
    fn tables(&self) -> Vec<(&'static str, arrow_schema::SchemaRef)> {
        vec![(DbEvent::TABLE, DbEvent::schema())]
    }

    fn parse(&self, reader: Box<dyn Read + Send>, source: &SourceFile, out: &Chunks<'_>) -> Option<String> {
        let file = FileColumns {
            source_file: source.file.clone(),
            source_blake3: source.blake3.clone(),
            log_format: self.format.family(),
            server: source.labels.get("server").cloned(),
            labels: source.labels.clone(),
        };
        if self.format.layout() == Layout::Document {
            return envelope::document::parse(reader, out, |chunk, contexts| {
                process_chunk(chunk, self, &file, Some(contexts))
            });
        }
        let framer = Framer::new(reader, self.format.framing(), splitter(self));
        out.parse_all(framer, |chunk| process_chunk(chunk, self, &file, None))
    }
}

/// Where records of a file continue, and where a chunk may end (never between an error and the
/// STATEMENT line that follows it, nor between the parts of a syslog message).
fn splitter(reading: &Reading) -> Splitter {
    let r = reading.clone();
    let continues: framing::LineCheck = match reading.format {
        LogFormat::Stderr => {
            let prefix = r.prefix.clone();
            Box::new(move |line| stderr::continues(line, &prefix))
        }
        LogFormat::CloudWatchExport => Box::new(|line| !envelope::starts_with_rfc3339(line)),
        _ => Box::new(|_| false),
    };
    let can_split: framing::LineCheck = match reading.format {
        LogFormat::Stderr => Box::new(move |line| stderr::may_start_chunk(line, &r.prefix)),
        LogFormat::Syslog | LogFormat::Heroku => Box::new(envelope::syslog::may_start_chunk),
        // A JSON record holding a STATEMENT line stays with the ERROR record before it.
        LogFormat::CloudWatch(_) | LogFormat::CloudLogging(_) | LogFormat::Azure(_) => Box::new(move |line| {
            envelope::json_string_values(line, &["message", "textPayload"])
                .first()
                .is_none_or(|text| stderr::may_start_chunk(text.as_bytes(), &r.prefix))
        }),
        _ => Box::new(|_| true),
    };
    Splitter { continues, can_split }
}

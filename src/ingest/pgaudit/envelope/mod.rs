//! Envelopes: what estates wrap PostgreSQL's log lines in, unwrapped into what the server wrote.
//!
//! A syslog daemon, Heroku's logplex, CloudWatch, CloudNativePG, Cloud Logging and Azure all
//! carry the server's own output inside records of their own: a stderr line behind a header, or
//! the csvlog columns as JSON fields. Each envelope here only unwraps — header, JSON, multi-part
//! reassembly — and hands on either a [`TextRecord`] (stderr text, read by the one stderr parser
//! with the file's log_line_prefix) or a [`Message`] built from fields (pgAudit's own fields
//! become the `AUDIT:` text pgAudit writes, read by the one pgAudit parser). The plain formats
//! (stderr, csvlog, jsonlog) go through the same door with no envelope.
//!
//! In: the records of one chunk, in file order. Out: [`Step`]s in the same order, and the text
//! records they point to.

pub mod document;
pub mod json;
pub mod syslog;

use std::borrow::Cow;

use super::{LogFormat, Message, Parsed, Reading, csvlog, jsonlog, record_text};
use crate::ingest::framing::{Chunk, Record};

/// One stderr record as the server wrote it (a prefixed line, its TAB-started continuation
/// lines, and in envelopes that keep a whole report together, the DETAIL/STATEMENT lines after
/// it), with what the envelope knows about it.
#[derive(Debug, Clone)]
pub struct TextRecord<'a> {
    pub text: Cow<'a, str>,
    /// First line of the record in the file.
    pub line: u64,
    /// Lines of the file it spans.
    pub lines: u32,
    /// The envelope's own time (microseconds), used when the prefix carries none.
    pub ts: Option<i64>,
    /// The server the envelope names.
    pub server: Option<Cow<'a, str>>,
    /// The process id the envelope names (syslog's `postgres[PID]`), used when the prefix has
    /// no %p.
    pub pid: Option<i32>,
}

/// What became of one record, in file order.
#[derive(Debug)]
pub enum Step<'a> {
    /// Stderr text to parse: an index into the text records.
    Text(usize),
    Parsed(Parsed<'a>),
}

/// Fields of a JSON container shared by the records inside it (a CloudWatch subscription
/// payload's log stream, say).
#[derive(Debug, Clone, Default)]
pub struct ContainerContext {
    pub server: Option<String>,
    /// Counted under this kind, not read (a CloudWatch CONTROL_MESSAGE's events).
    pub skip: Option<&'static str>,
}

/// Unwraps the records of one chunk in order.
pub struct Unwrapper<'r, 'c> {
    reading: &'r Reading,
    chunk: &'c Chunk,
    texts: Vec<TextRecord<'c>>,
    steps: Vec<Step<'c>>,
    syslog: syslog::Assembly,
}

impl<'r, 'c> Unwrapper<'r, 'c> {
    pub fn new(reading: &'r Reading, chunk: &'c Chunk) -> Self {
        Unwrapper {
            reading,
            chunk,
            texts: Vec::new(),
            steps: Vec::with_capacity(chunk.records.len()),
            syslog: syslog::Assembly::default(),
        }
    }

    pub fn push(&mut self, parsed: Parsed<'c>) {
        self.steps.push(Step::Parsed(parsed));
    }

    pub fn push_text(&mut self, text: TextRecord<'c>) -> usize {
        self.texts.push(text);
        self.steps.push(Step::Text(self.texts.len() - 1));
        self.texts.len() - 1
    }

    fn invalid(&mut self, r: &Record, reason: String) {
        self.push(Parsed::Invalid {
            line: r.line,
            lines: r.lines,
            reason,
        });
    }

    /// Unwraps one record; `context` is its JSON container's, for records of a document.
    pub fn unwrap(&mut self, r: &Record, context: Option<&ContainerContext>) {
        let chunk = self.chunk;
        let zone = &self.reading.zone;
        match self.reading.format {
            LogFormat::Csvlog => self.push(csvlog::parse_record(chunk, r, zone)),
            LogFormat::Jsonlog => self.push(jsonlog::parse_record(chunk, r, zone)),
            format => {
                let text = match record_text(chunk, r) {
                    Ok(t) => t,
                    Err(reason) => return self.invalid(r, reason.to_string()),
                };
                if text.trim().is_empty() {
                    return self.push(Parsed::Counted {
                        lines: r.lines,
                        kind: "blank",
                    });
                }
                match format {
                    // Plain stderr files take a shorter road (pgaudit::process_chunk); inference
                    // samples them here.
                    LogFormat::Stderr => {
                        self.push_text(TextRecord {
                            text: Cow::Borrowed(text),
                            line: r.line,
                            lines: r.lines,
                            ts: None,
                            server: None,
                            pid: None,
                        });
                    }
                    LogFormat::CloudWatchExport => match split_rfc3339(text) {
                        Some((ts, message)) => {
                            self.push_text(TextRecord {
                                text: Cow::Borrowed(message),
                                line: r.line,
                                lines: r.lines,
                                ts: Some(ts),
                                server: None,
                                pid: None,
                            });
                        }
                        None => self.invalid(
                            r,
                            "expected a CloudWatch export line: an RFC 3339 time, a space, the log line".to_string(),
                        ),
                    },
                    LogFormat::Syslog | LogFormat::Heroku => {
                        syslog::unwrap_line(self, text, r);
                    }
                    _ => json::unwrap(self, format, text, r, context),
                }
            }
        }
    }

    /// The text records and the steps, in file order, once every record is unwrapped.
    pub fn finish(self) -> (Vec<TextRecord<'c>>, Vec<Step<'c>>) {
        (self.texts, self.steps)
    }
}

/// The first lines of the server's text in `head` (the start of a file in `format`), for
/// inferring the log_line_prefix: each record's first line, and the later lines of a record that
/// do not start with a TAB (a DETAIL or STATEMENT line kept in the same envelope record).
pub fn sample_lines(format: LogFormat, head: &[u8], zone: &super::timestamp::LogZone) -> Vec<String> {
    let texts: Vec<String> = if format.layout() == crate::ingest::framing::Layout::Document {
        json_string_values(head, &["message", "textPayload"])
    } else {
        let reading = Reading {
            format,
            prefix: super::prefix::Prefix::compile("").expect("the empty prefix compiles"),
            zone: zone.clone(),
        };
        let reader: Box<dyn std::io::Read + Send> = Box::new(std::io::Cursor::new(head.to_vec()));
        let splitter = crate::ingest::framing::Splitter::plain();
        let mut framer = crate::ingest::framing::Framer::new(reader, format.framing(), splitter);
        let Some(Ok(chunk)) = framer.next() else {
            return Vec::new();
        };
        let mut u = Unwrapper::new(&reading, &chunk);
        for r in &chunk.records {
            u.unwrap(r, None);
        }
        u.finish().0.into_iter().map(|t| t.text.into_owned()).collect()
    };
    texts
        .iter()
        .flat_map(|t| t.split('\n').filter(|l| !l.starts_with('\t')).map(str::to_string))
        .collect()
}

/// The string values of `keys` in JSON text that may be cut anywhere (a document's head).
pub fn json_string_values(head: &[u8], keys: &[&str]) -> Vec<String> {
    let text = String::from_utf8_lossy(head);
    let mut out = Vec::new();
    for key in keys {
        let needle = format!("\"{key}\"");
        for (at, _) in text.match_indices(&needle) {
            let rest = text[at + needle.len()..].trim_start();
            let Some(rest) = rest.strip_prefix(':').map(str::trim_start) else {
                continue;
            };
            if !rest.starts_with('"') {
                continue;
            }
            let b = rest.as_bytes();
            let mut i = 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            if i < b.len()
                && let Ok(v) = serde_json::from_str::<String>(&rest[..=i])
            {
                out.push(v);
            }
        }
    }
    out
}

/// Whether `line` starts with an RFC 3339 time followed by a space.
pub fn starts_with_rfc3339(line: &[u8]) -> bool {
    let end = memchr::memchr(b' ', &line[..line.len().min(40)]);
    end.is_some_and(|e| std::str::from_utf8(&line[..e]).ok().and_then(rfc3339_micros).is_some())
}

/// `TIME message` → (TIME in microseconds, message).
pub fn split_rfc3339(text: &str) -> Option<(i64, &str)> {
    let (time, rest) = text.split_once(' ')?;
    Some((rfc3339_micros(time)?, rest))
}

/// Microseconds since the epoch of an RFC 3339 instant (`2026-11-24T10:00:00.123Z`, `+00:00`).
pub fn rfc3339_micros(s: &str) -> Option<i64> {
    if s.len() < 20 || s.as_bytes().get(10) != Some(&b'T') {
        return None;
    }
    let ts: jiff::Timestamp = s.parse().ok()?;
    Some(ts.as_microsecond())
}

/// Microseconds of an epoch in milliseconds (CloudWatch's `timestamp`).
pub fn epoch_millis_micros(ms: i64) -> Option<i64> {
    ms.checked_mul(1000)
}

/// The AUDIT text pgAudit writes, from its fields (envelopes that split it into JSON fields):
/// read back by the one pgAudit parser, so every envelope gets the same rows.
pub fn audit_text(fields: &[Option<&str>]) -> String {
    let mut out = String::from("AUDIT: ");
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        crate::ingest::csv::write_field(&mut out, f.unwrap_or(""));
    }
    out
}

/// A message's server, borrowed when possible.
pub fn server_of<'a>(s: Option<&'a str>) -> Option<Cow<'a, str>> {
    s.filter(|s| !s.is_empty()).map(Cow::Borrowed)
}

/// A message built from an envelope's fields, at the record's place.
pub fn message<'a>(r: &Record, fields: Message<'a>) -> Parsed<'a> {
    Parsed::Message(Box::new(Message {
        line: r.line,
        lines: r.lines,
        ..fields
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_prefixes() {
        assert!(starts_with_rfc3339(
            b"2020-09-08T04:00:24.000Z 2020-09-08 04:00:24 UTC:x"
        ));
        assert!(!starts_with_rfc3339(b"\tFROM sample1 JOIN sample2"));
        assert_eq!(
            split_rfc3339("2026-11-24T10:15:26.123Z rest"),
            Some((1_795_515_326_123_000, "rest"))
        );
        assert_eq!(
            rfc3339_micros("2026-11-24T11:15:26.123+01:00"),
            Some(1_795_515_326_123_000)
        );
        assert_eq!(rfc3339_micros("2026-11-24 10:15:26"), None);
    }

    #[test]
    fn audit_text_quotes_like_pgaudit() {
        assert_eq!(
            audit_text(&[
                Some("SESSION"),
                Some("1"),
                Some("1"),
                Some("READ"),
                Some("SELECT"),
                None,
                None,
                Some("select 'a,b'"),
                Some("<none>")
            ]),
            "AUDIT: SESSION,1,1,READ,SELECT,,,\"select 'a,b'\",<none>"
        );
    }
}

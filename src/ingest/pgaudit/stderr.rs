//! PostgreSQL's stderr log format: a log_line_prefix, a severity, the message; continuation
//! lines start with a TAB; an error's DETAIL/HINT/CONTEXT/STATEMENT come as separate lines of
//! their own with the same prefix, right after it. Every envelope that carries stderr text
//! (syslog, Heroku, CloudWatch, Cloud SQL, Azure) is read here too.
//!
//! In: a [`TextRecord`] (a line and its continuations, from a plain file or an envelope). Out:
//! [`Parsed`] values appended to the chunk's list; follow-up lines are folded into the message
//! they belong to. The prefix's time is resolved in the run's log_timezone; when the prefix has
//! no time or no %p, the envelope's are used.

use std::borrow::Cow;

use super::envelope::TextRecord;
use super::prefix::{self, Prefix, PrefixTime};
use super::{Message, Parsed, Reading};

const FOLLOW_UPS: &[&str] = &["DETAIL", "HINT", "QUERY", "CONTEXT", "LOCATION", "STATEMENT"];

/// A chunk may start at `line` unless it is a follow-up of the message before it.
pub fn may_start_chunk(line: &[u8], prefix: &Prefix) -> bool {
    let Ok(text) = std::str::from_utf8(&line[..line.len().min(4096)]) else {
        return true;
    };
    match prefix.parse(text) {
        Ok((_, rest)) => !prefix::severity(rest).is_some_and(|(sev, _)| FOLLOW_UPS.contains(&sev)),
        Err(_) => true,
    }
}

/// Whether `line` continues the record before it: a TAB starts PostgreSQL's own continuation
/// lines; a space starts them when a log shipper turned the TAB into spaces (then the line does
/// not read as a prefixed line).
pub fn continues(line: &[u8], prefix: &Prefix) -> bool {
    match line.first() {
        // PostgreSQL never writes an empty line inside a message (a blank line of a statement
        // becomes a lone TAB); an empty one comes from a collector, such as the blank line the
        // AWS CLI prints after each page of download-db-log-file-portion, possibly between a
        // line and its continuation. It stays with the record before it.
        None => true,
        Some(b'\t') => true,
        Some(b' ') => {
            let head = &line[..line.len().min(4096)];
            std::str::from_utf8(head).map_or(true, |t| prefix.parse(t).is_err())
        }
        _ => false,
    }
}

/// Server text to parse: where in the file it is, and what its envelope knows beyond the text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Piece<'a> {
    pub text: &'a str,
    /// The file line it starts on, and how many lines it spans.
    pub line: u64,
    pub lines: u32,
    /// The envelope's time (microseconds), used when the prefix carries none.
    pub ts: Option<i64>,
    pub server: Option<&'a str>,
    /// The envelope's process id, used when the prefix has no %p.
    pub pid: Option<i32>,
}

/// Reads one text record of an envelope: splits it into the server's records (a prefixed line
/// and its continuation lines; envelopes that keep a whole report in one record also hold its
/// DETAIL/STATEMENT lines) and parses each.
pub fn parse_text<'a>(t: &'a TextRecord<'_>, reading: &Reading, out: &mut Vec<Parsed<'a>>) {
    let piece = Piece {
        text: &t.text,
        line: t.line,
        lines: t.lines,
        ts: t.ts,
        server: t.server.as_deref(),
        pid: t.pid,
    };
    parse_lines(piece, reading, out);
}

/// Parses the text of `lines` lines of the file from `line` on: one server record, or several
/// when lines after the first read as prefixed lines of their own.
pub fn parse_lines<'a>(piece: Piece<'a>, reading: &Reading, out: &mut Vec<Parsed<'a>>) {
    let (text, line, lines) = (piece.text, piece.line, piece.lines);
    let bytes = text.as_bytes();
    // Where a server record starts after the first line: a line not started by a TAB that reads
    // as a prefixed line. Most records are one line, or a line and TAB-started ones.
    let mut starts: Vec<(usize, u64)> = Vec::new();
    let mut newlines = 0u64;
    for nl in memchr::memchr_iter(b'\n', bytes) {
        newlines += 1;
        let next = nl + 1;
        if bytes.get(next).is_some_and(|&b| b != b'\t') {
            let piece = &text[next..];
            let head = &piece[..floor_char_boundary(piece, 4096)];
            let head = head.split('\n').next().unwrap_or(head);
            if reading.prefix.parse(head).is_ok() {
                starts.push((next, newlines));
            }
        }
    }
    if starts.is_empty() {
        return parse_one(piece, reading, out);
    }
    // When the text's lines are the file's lines, each record keeps its own line number;
    // otherwise (a JSON message, a reassembled syslog message) they all point at the record.
    let one_to_one = newlines + 1 == u64::from(lines);
    let mut from = (0usize, 0u64);
    starts.push((text.len() + 1, newlines + 1));
    for (i, &(to, to_line)) in starts.iter().enumerate() {
        let (at, n) = if one_to_one {
            (line + from.1, (to_line - from.1) as u32)
        } else {
            (line, if i == 0 { lines } else { 0 })
        };
        let part = Piece {
            text: &text[from.0..to - 1],
            line: at,
            lines: n,
            ..piece
        };
        parse_one(part, reading, out);
        from = (to, to_line);
    }
}

fn floor_char_boundary(s: &str, max: usize) -> usize {
    if s.len() <= max {
        return s.len();
    }
    (0..=max).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0)
}

/// Parses one server record (a prefixed line and its continuation lines).
fn parse_one<'a>(piece: Piece<'a>, reading: &Reading, out: &mut Vec<Parsed<'a>>) {
    let (line, lines) = (piece.line, piece.lines);
    // Empty lines a collector put inside the record (see `continues`) are not the server's.
    let text = piece.text.trim_end_matches('\n');
    let invalid = |reason: String| Parsed::Invalid { line, lines, reason };
    if text.trim().is_empty() {
        return out.push(Parsed::Counted { lines, kind: "blank" });
    }
    if text.starts_with('\t') {
        return out.push(invalid(
            "continuation line (starting with a TAB) without a log line before it".to_string(),
        ));
    }
    let (fields, rest) = match reading.prefix.parse(text) {
        Ok(v) => v,
        Err(reason) => return out.push(invalid(reason.to_string())),
    };
    let Some((severity, body)) = prefix::severity(rest) else {
        return out.push(invalid(
            "expected a severity (LOG:, ERROR:, ...) after the log_line_prefix".to_string(),
        ));
    };
    let ts = match fields.time {
        Some(PrefixTime::Local(stamp)) => match reading.zone.resolve(&stamp) {
            Ok(ts) => Some(ts),
            Err(e) if e.holds_file() => {
                return out.push(Parsed::Held {
                    line,
                    lines,
                    reason: e.to_string(),
                });
            }
            Err(e) => return out.push(invalid(format!("timestamp: {e}"))),
        },
        Some(PrefixTime::Epoch(ts)) => Some(ts),
        None => piece.ts,
    };
    let pid = fields.pid.or(piece.pid);
    // log_error_verbosity=verbose puts the SQLSTATE first: "ERROR:  42501: permission denied".
    let (verbose_state, body) = match body.get(..7) {
        Some(head) if head.ends_with(": ") && is_sqlstate(&head[..5]) => (Some(&head[..5]), &body[7..]),
        _ => (None, body),
    };
    // The server put a TAB after each newline of the message; take it out again (and any
    // empty line a collector added).
    let body: Cow<'a, str> = if body.contains('\n') {
        let lines: Vec<&str> = body
            .split('\n')
            .filter(|l| !l.is_empty())
            .map(|l| l.strip_prefix('\t').unwrap_or(l))
            .collect();
        Cow::Owned(lines.join("\n"))
    } else {
        Cow::Borrowed(body)
    };
    // Only stderr appends the error position to the message; csvlog and jsonlog keep it apart.
    let body = strip_error_position(body);
    if FOLLOW_UPS.contains(&severity)
        && let Some(primary) = primary_for(out, pid)
    {
        primary.lines += lines;
        if severity == "STATEMENT" {
            primary.statement = Some(body);
        }
        return;
    }
    out.push(Parsed::Message(Box::new(Message {
        line,
        lines,
        ts,
        server: piece.server.map(Cow::Borrowed),
        db_user: fields.user.map(Cow::Borrowed),
        database: fields.database.map(Cow::Borrowed),
        application_name: fields.application_name.map(Cow::Borrowed),
        backend_pid: pid,
        session_id: fields.session_id.map(Cow::Borrowed),
        client_addr: fields.client_addr.map(Cow::Borrowed),
        severity,
        sqlstate: verbose_state.or(fields.sqlstate).map(Cow::Borrowed),
        text: body,
        statement: None,
    })));
}

/// "permission denied for schema finance at character 14" → without " at character 14".
fn strip_error_position(body: Cow<'_, str>) -> Cow<'_, str> {
    let Some(at) = body.rfind(" at character ") else {
        return body;
    };
    let digits = &body[at + " at character ".len()..];
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return body;
    }
    match body {
        Cow::Borrowed(b) => Cow::Borrowed(&b[..at]),
        Cow::Owned(mut o) => {
            o.truncate(at);
            Cow::Owned(o)
        }
    }
}

/// SQLSTATEs are 5 digits/upper-case letters with at least one digit (so "AUDIT" is not one).
fn is_sqlstate(s: &str) -> bool {
    s.len() == 5
        && s.bytes().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        && s.bytes().any(|c| c.is_ascii_digit())
}

/// The most recent primary message of the same process among the last few parsed records.
fn primary_for<'b, 'a>(out: &'b mut [Parsed<'a>], pid: Option<i32>) -> Option<&'b mut Message<'a>> {
    out.iter_mut().rev().take(16).find_map(|p| match p {
        Parsed::Message(m) if !FOLLOW_UPS.contains(&m.severity) && (pid.is_none() || m.backend_pid == pid) => {
            Some(&mut **m)
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::framing::{Framer, Framing, Splitter};

    fn parse(input: &str, prefix: &str) -> Vec<String> {
        let reading = Reading {
            format: super::super::LogFormat::Stderr,
            prefix: Prefix::compile(prefix).unwrap(),
            zone: super::super::timestamp::LogZone::unnamed(),
        };
        let reader: Box<dyn std::io::Read + Send> = Box::new(std::io::Cursor::new(input.as_bytes().to_vec()));
        let mut out_text = Vec::new();
        for chunk in Framer::new(reader, Framing::Continued, Splitter::plain()) {
            let chunk = chunk.unwrap();
            let texts: Vec<TextRecord<'_>> = chunk
                .records
                .iter()
                .map(|r| TextRecord {
                    text: Cow::Borrowed(std::str::from_utf8(chunk.bytes(r)).unwrap()),
                    line: r.line,
                    lines: r.lines,
                    ts: None,
                    server: None,
                    pid: None,
                })
                .collect();
            let mut out = Vec::new();
            for t in &texts {
                parse_text(t, &reading, &mut out);
            }
            for o in out {
                out_text.push(match o {
                    Parsed::Message(m) => {
                        format!("{}|{}|{}|{:?}|{:?}", m.line, m.lines, m.severity, m.text, m.statement)
                    }
                    Parsed::Counted { kind, .. } => kind.to_string(),
                    Parsed::Invalid { line, reason, .. } => format!("invalid {line}: {reason}"),
                    Parsed::Held { line, reason, .. } => format!("held {line}: {reason}"),
                });
            }
        }
        out_text
    }

    #[test]
    fn multi_line_audit_and_error_with_statement() {
        let log = "2026-11-24 10:00:00.000 UTC [10] LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,\"select a,\n\t  b from t\",<none>\n\
2026-11-24 10:00:01.000 UTC [10] ERROR:  42501: permission denied for table t\n\
2026-11-24 10:00:01.000 UTC [10] STATEMENT:  update t\n\tset a = 1\n";
        let out = parse(log, "%m [%p] ");
        assert_eq!(
            out[0],
            "1|2|LOG|\"AUDIT: SESSION,1,1,READ,SELECT,,,\\\"select a,\\n  b from t\\\",<none>\"|None"
        );
        assert_eq!(
            out[1],
            "3|3|ERROR|\"permission denied for table t\"|Some(\"update t\\nset a = 1\")"
        );
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn continuation_lines_indented_with_spaces() {
        // A log shipper turned the TABs into spaces.
        let log = "2026-11-24 10:00:00.000 UTC [10] LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,\"select a,\n    b from t\",<none>\n\
2026-11-24 10:00:01.000 UTC [11] LOG:  checkpoint starting: time\n";
        let reading_prefix = Prefix::compile("%m [%p] ").unwrap();
        assert!(continues(b"    b from t", &reading_prefix));
        assert!(!continues(b"2026-11-24 10:00:00.000 UTC [10] LOG:  x", &reading_prefix));
        let splitter = Splitter {
            continues: Box::new(move |l| continues(l, &reading_prefix)),
            can_split: Box::new(|_| true),
        };
        let reader: Box<dyn std::io::Read + Send> = Box::new(std::io::Cursor::new(log.as_bytes().to_vec()));
        let chunk = Framer::new(reader, Framing::Continued, splitter)
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(chunk.records.len(), 2);
        assert_eq!(chunk.records[0].lines, 2);
    }

    #[test]
    fn an_ambiguous_zone_holds_instead_of_guessing() {
        let out = parse("2026-11-24 18:00:00.000 CST [10] LOG:  x\n", "%m [%p] ");
        assert!(
            out[0].starts_with("held 1:") && out[0].contains("--log-timezone"),
            "{}",
            out[0]
        );
    }

    #[test]
    fn bad_lines_are_invalid_with_reasons() {
        let out = parse("\torphan\ngarbage line\n\n", "%m [%p] ");
        assert!(out[0].starts_with("invalid 1: continuation"));
        assert!(out[1].starts_with("invalid 2: line does not match --pg-prefix"));
        assert_eq!(out[2], "blank");
    }
}

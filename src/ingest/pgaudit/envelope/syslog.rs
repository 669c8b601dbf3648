//! PostgreSQL through syslog (log_destination = 'syslog') and through Heroku's logplex.
//!
//! A syslog daemon writes one line per syslog message: a header (RFC 3164 `Mmm dd hh:mm:ss host
//! postgres[PID]:`, rsyslog's RFC 3339 file format, or RFC 5424 `<PRI>1 TIME HOST APP PROCID
//! MSGID SD`, optionally behind an RFC 6587 octet count as Heroku drains send it), then what
//! PostgreSQL handed to syslog(3). PostgreSQL sends each message in parts of at most 900 bytes
//! (src/backend/utils/error/elog.c, write_syslog): `[SEQ-PART] ` before each, a new part at every
//! newline (the newline itself not sent, the TAB that follows it kept) and, inside a long line, at
//! the last space before the limit (the space starts the next part). So a part continues the line
//! of the part before it exactly when that part was cut for length — its length plus the next
//! part's first word passes the limit — and otherwise starts a new line of the message. rsyslog
//! writes control characters as `#ooo` (a TAB as `#011`); they are unescaped first. Parts of one
//! message share host, process and SEQ; other processes' lines may come between them.
//!
//! Heroku Postgres logs the same way, with `app[postgres.PID]` as the tag and its database
//! attachment (`[DATABASE]`, `[YELLOW]`) before or after the part number.
//!
//! In: one line of a syslog file. Out: text records (one per line of the server's message), with
//! the header's time and host; other programs' lines counted.

use std::borrow::Cow;
use std::collections::HashMap;

use super::{TextRecord, Unwrapper, rfc3339_micros};
use crate::ingest::framing::Record;
use crate::ingest::pgaudit::{LogFormat, Parsed};

/// PostgreSQL's PG_SYSLOG_LIMIT: the longest part it sends.
const PART_LIMIT: usize = 900;

/// A syslog line's header, and the message after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Header<'a> {
    pub host: Option<&'a str>,
    /// The program (syslog tag or APP-NAME): `postgres`, or `app` for Heroku.
    pub program: &'a str,
    /// The process field: a pid, or Heroku's `postgres.PID`.
    pub procid: Option<&'a str>,
    /// The header's time when it names the year and zone (RFC 3339, RFC 5424).
    pub ts: Option<i64>,
    pub message: &'a str,
}

/// PostgreSQL's part marker: `[SEQ-PART]`, or `[N]` when sequence numbers or splitting are off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marker {
    pub seq: Option<u64>,
    pub part: u32,
}

/// Parses a syslog header; None when the line is not syslog.
pub fn header(line: &str) -> Option<Header<'_>> {
    let mut s = line;
    // RFC 6587 octet counting: "123 <134>1 ...".
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && s[digits..].starts_with(" <") {
        s = &s[digits + 1..];
    }
    let mut pri = false;
    if let Some(rest) = s.strip_prefix('<') {
        let close = rest.find('>')?;
        if close == 0 || close > 3 || !rest[..close].bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s = &rest[close + 1..];
        pri = true;
    }
    if pri && let Some(rest) = s.strip_prefix("1 ") {
        return rfc5424(rest);
    }
    // RFC 3164 time (no year, no zone) or RFC 3339 (rsyslog's file format, Heroku).
    let (ts, rest) = if is_bsd_time(s) {
        (None, s.get(16..)?)
    } else {
        let (time, rest) = s.split_once(' ')?;
        (Some(rfc3339_micros(time)?), rest)
    };
    let (first, after_first) = rest.split_once(' ').unwrap_or((rest, ""));
    let (host, tag, message) = if first.ends_with(':') {
        (None, first, after_first)
    } else {
        let (tag, message) = after_first.split_once(' ').unwrap_or((after_first, ""));
        if !tag.ends_with(':') {
            return None;
        }
        (Some(first), tag, message)
    };
    let tag = &tag[..tag.len() - 1];
    let (program, procid) = match tag.split_once('[') {
        Some((p, pid)) => (p, Some(pid.strip_suffix(']')?)),
        None => (tag, None),
    };
    Some(Header {
        host,
        program,
        procid,
        ts,
        message,
    })
}

fn rfc5424(s: &str) -> Option<Header<'_>> {
    let mut fields = s.splitn(6, ' ');
    let time = fields.next()?;
    let host = fields.next()?;
    let app = fields.next()?;
    let procid = fields.next()?;
    let _msgid = fields.next()?;
    let mut rest = fields.next().unwrap_or("");
    fn nil(v: &str) -> Option<&str> {
        (v != "-").then_some(v)
    }
    // STRUCTURED-DATA: "-", or elements "[id k=\"v\" ...]"; a PostgreSQL part marker or a
    // Heroku attachment in brackets is the message, not structured data.
    if let Some(after) = rest.strip_prefix('-') {
        rest = after.strip_prefix(' ').unwrap_or(after);
    } else {
        while rest.starts_with('[') && marker(rest).is_none() && attachment(rest).is_none() {
            rest = skip_sd_element(rest)?;
        }
        rest = rest.strip_prefix(' ').unwrap_or(rest);
    }
    let rest = rest.strip_prefix('\u{feff}').unwrap_or(rest);
    // rsyslog's RFC 5424 template keeps the space glibc put before the message.
    let trimmed = rest.trim_start_matches(' ');
    let rest = if trimmed.starts_with('[') { trimmed } else { rest };
    Some(Header {
        host: nil(host),
        program: app,
        procid: nil(procid),
        ts: nil(time).and_then(rfc3339_micros),
        message: rest,
    })
}

fn skip_sd_element(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    let mut i = 1;
    let mut quoted = false;
    while i < b.len() {
        match b[i] {
            b'\\' if quoted => i += 1,
            b'"' => quoted = !quoted,
            b']' if !quoted => return Some(&s[i + 1..]),
            _ => {}
        }
        i += 1;
    }
    None
}

/// "Nov 24 10:00:00 " (day space-padded).
fn is_bsd_time(s: &str) -> bool {
    let b = s.as_bytes();
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    b.len() > 16
        && MONTHS.iter().any(|m| b[..3] == *m.as_bytes())
        && b[3] == b' '
        && (b[4] == b' ' || b[4].is_ascii_digit())
        && b[5].is_ascii_digit()
        && b[6] == b' '
        && b[9] == b':'
        && b[12] == b':'
        && b[15] == b' '
        && [7, 8, 10, 11, 13, 14].iter().all(|&i| b[i].is_ascii_digit())
}

/// `[SEQ-PART] ` or `[N] ` at the start of `s`, and the text after its one space.
pub fn marker(s: &str) -> Option<(Marker, &str)> {
    let inner = s.strip_prefix('[')?;
    let close = inner.find(']')?;
    let (body, rest) = (&inner[..close], &inner[close + 1..]);
    let num =
        |t: &str| (!t.is_empty() && t.len() <= 20 && t.bytes().all(|b| b.is_ascii_digit())).then(|| t.parse().ok())?;
    let m = match body.split_once('-') {
        Some((seq, part)) => Marker {
            seq: Some(num(seq)?),
            part: u32::try_from(num(part)?).ok()?,
        },
        None => Marker {
            seq: None,
            part: u32::try_from(num(body)?).ok()?,
        },
    };
    Some((m, rest.strip_prefix(' ').unwrap_or(rest)))
}

/// Heroku's database attachment, `[DATABASE] ` or `[HEROKU_POSTGRESQL_YELLOW] `.
fn attachment(s: &str) -> Option<(&str, &str)> {
    let inner = s.strip_prefix('[')?;
    let close = inner.find(']')?;
    let name = &inner[..close];
    let ok = !name.is_empty()
        && name.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    ok.then(|| {
        let rest = &inner[close + 1..];
        (name, rest.strip_prefix(' ').unwrap_or(rest))
    })
}

/// A chunk may start at `line` unless it is a later part of a message.
pub fn may_start_chunk(line: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(&line[..line.len().min(512)]) else {
        return true;
    };
    match header(text).and_then(|h| split_message(h.message)) {
        Some((Some(m), _, _)) => m.part <= 1,
        _ => true,
    }
}

/// The marker, the attachment and the text of a message.
fn split_message(message: &str) -> Option<(Option<Marker>, Option<&str>, &str)> {
    let (attach, rest) = match attachment(message) {
        Some((a, rest)) => (Some(a), rest),
        None => (None, message),
    };
    match marker(rest) {
        Some((m, text)) => {
            // Old Heroku logs put the attachment after the number.
            let (attach, text) = match (attach, attachment(text)) {
                (None, Some((a, t))) => (Some(a), t),
                (a, _) => (a, text),
            };
            Some((Some(m), attach, text))
        }
        None => Some((None, attach, rest)),
    }
}

/// rsyslog writes control characters as `#ooo`: `#011` for a TAB, `#012` for a newline.
fn unescape(text: &str) -> Cow<'_, str> {
    if !text.contains("#0") {
        return Cow::Borrowed(text);
    }
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut last = 0;
    while i + 3 < b.len() {
        let octal = |c: u8| (b'0'..=b'7').contains(&c);
        if b[i] == b'#' && b[i + 1] == b'0' && (b'0'..=b'3').contains(&b[i + 2]) && octal(b[i + 3]) {
            out.push_str(&text[last..i]);
            out.push(char::from((b[i + 2] - b'0') * 8 + (b[i + 3] - b'0')));
            i += 4;
            last = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[last..]);
    Cow::Owned(out)
}

/// Whether a part continues the line of the part before it (it was cut for length) rather than
/// start the next line of the message. PostgreSQL cuts a line that is too long at the last
/// whitespace before the limit, the whitespace starting the next part, so that part's first word
/// would not have fitted; with no whitespace to cut at, it cuts at the limit itself (less up to
/// three bytes for a multi-byte character). A part after a newline starts with the TAB the server
/// puts after every newline of a message, or with the log_line_prefix of a DETAIL or STATEMENT
/// line.
fn continues_line(prev_len: usize, next: &str) -> bool {
    let at_limit = prev_len + 3 >= PART_LIMIT;
    match next.as_bytes().first() {
        Some(b' ') => {
            let ws = next.bytes().take_while(u8::is_ascii_whitespace).count();
            let word = next[ws..].bytes().take_while(|b| !b.is_ascii_whitespace()).count();
            prev_len + ws + word > PART_LIMIT - 3
        }
        // A TAB after a newline; a TAB inside a line only when the part before was cut there.
        _ => at_limit,
    }
}

/// Messages whose later parts may still come, by host, process and sequence number.
#[derive(Debug, Default)]
pub struct Assembly {
    open: HashMap<(String, String, Option<u64>), Open>,
}

#[derive(Debug)]
struct Open {
    /// The text record the last part went to.
    text: usize,
    part: u32,
    /// Bytes of the last part, unescaped.
    len: usize,
}

/// Unwraps one line of a syslog or Heroku file into the text records of its message.
pub fn unwrap_line<'c>(u: &mut Unwrapper<'_, 'c>, line: &'c str, r: &Record) {
    let Some(h) = header(line) else {
        return u.push(Parsed::Invalid {
            line: r.line,
            lines: r.lines,
            reason: format!(
                "expected a syslog line (RFC 3164, RFC 3339 or RFC 5424 header, then postgres[PID]: ...), found '{}'",
                crate::redact::shape(line, 40)
            ),
        });
    };
    let heroku = u.reading.format == LogFormat::Heroku;
    let (pid, postgres) = match h.procid {
        Some(p) if heroku => match p.strip_prefix("postgres") {
            Some(rest) => (rest.strip_prefix('.').and_then(|n| n.parse().ok()), true),
            None => (None, false),
        },
        Some(p) => (p.parse::<i32>().ok(), true),
        None => (None, !heroku),
    };
    let Some((marker, attach, text)) = split_message(h.message).filter(|_| postgres) else {
        let kind = if heroku {
            "heroku_other_source"
        } else {
            "syslog_other_program"
        };
        return u.push(Parsed::Counted { lines: r.lines, kind });
    };
    if marker.is_none() && !heroku && !h.program.starts_with("postgres") {
        return u.push(Parsed::Counted {
            lines: r.lines,
            kind: "syslog_other_program",
        });
    }
    let server = if heroku { attach } else { h.host };
    let text = unescape(text);
    let len = text.len();
    let key = (
        h.host.unwrap_or_default().to_string(),
        h.procid.unwrap_or_default().to_string(),
        marker.and_then(|m| m.seq),
    );
    if let Some(m) = marker.filter(|m| m.part > 1) {
        let open = u.syslog.open.get(&key).filter(|o| o.part + 1 == m.part);
        let Some(open) = open else {
            // Without sequence numbers a "[N]" may also be a whole message's number.
            if m.seq.is_some() {
                return u.push(Parsed::Invalid {
                    line: r.line,
                    lines: r.lines,
                    reason: format!(
                        "part {} of a syslog message whose part {} is not right before it in this file (lost by the syslog daemon, or the file was cut)",
                        m.part,
                        m.part - 1
                    ),
                });
            }
            return start(u, key, text, r, h.ts, server, pid, m.part);
        };
        let (index, prev_len) = (open.text, open.len);
        if continues_line(prev_len, &text) {
            let t = &mut u.texts[index];
            t.text.to_mut().push_str(&text);
            t.lines += r.lines;
        } else if text.starts_with('\t') {
            let t = &mut u.texts[index];
            let s = t.text.to_mut();
            s.push('\n');
            s.push_str(&text);
            t.lines += r.lines;
        } else {
            // A new line of the same report: DETAIL, STATEMENT, ... with its own prefix.
            let index = u.push_text(TextRecord {
                text,
                line: r.line,
                lines: r.lines,
                ts: h.ts,
                server: server.map(Cow::Borrowed),
                pid,
            });
            u.syslog.open.insert(
                key,
                Open {
                    text: index,
                    part: m.part,
                    len,
                },
            );
            return;
        }
        if let Some(o) = u.syslog.open.get_mut(&key) {
            o.part = m.part;
            o.len = len;
        }
        return;
    }
    start(u, key, text, r, h.ts, server, pid, marker.map_or(1, |m| m.part));
}

#[allow(clippy::too_many_arguments)]
fn start<'c>(
    u: &mut Unwrapper<'_, 'c>,
    key: (String, String, Option<u64>),
    text: Cow<'c, str>,
    r: &Record,
    ts: Option<i64>,
    server: Option<&'c str>,
    pid: Option<i32>,
    part: u32,
) {
    let len = text.len();
    let index = u.push_text(TextRecord {
        text,
        line: r.line,
        lines: r.lines,
        ts,
        server: server.map(Cow::Borrowed),
        pid,
    });
    u.syslog.open.insert(key, Open { text: index, part, len });
}

#[cfg(test)]
mod tests {
    /// A line starting with a multi-byte character (here U+FFFD in bytes 1..4) made the month
    /// check slice inside it: a panic on any byte sequence (found by fuzzing `ingest_run`).
    #[test]
    fn fuzz_ingest_run_a_multibyte_character_where_the_month_goes_is_not_a_panic() {
        assert!(!super::is_bsd_time("x\u{fffd}x 24 10:00:00 host postgres[1]: x"));
        assert!(super::is_bsd_time("Nov 24 10:00:00 host postgres[1]: x"));
    }

    use super::*;

    #[test]
    fn headers_of_every_flavour() {
        let h = header("Nov 24 10:00:00 db1 postgres[4242]: [5-1] LOG:  x").unwrap();
        assert_eq!(
            (h.host, h.program, h.procid, h.ts),
            (Some("db1"), "postgres", Some("4242"), None)
        );
        assert_eq!(h.message, "[5-1] LOG:  x");
        let h = header("Nov  4 10:00:00 db1 postgres[4242]: [5-2] #011and more").unwrap();
        assert_eq!(h.message, "[5-2] #011and more");
        let h = header("2026-11-24T10:00:00.123456+00:00 db1 postgres[4242]: [5-1] LOG:  x").unwrap();
        assert_eq!(h.ts, Some(1_795_514_400_123_456));
        let h = header("<134>1 2026-11-24T10:00:00.123456+00:00 db1 postgres 4242 - - [5-1] LOG:  x").unwrap();
        assert_eq!(
            (h.host, h.program, h.procid, h.message),
            (Some("db1"), "postgres", Some("4242"), "[5-1] LOG:  x")
        );
        let h = header("<134>1 2026-11-24T10:00:00Z db1 postgres 4242 - [meta x=\"]\"] [5-1] LOG:  x").unwrap();
        assert_eq!(h.message, "[5-1] LOG:  x");
        // Heroku: a drain's octet-counted frame and `heroku logs`.
        let h = header("451 <134>1 2023-06-05T19:33:14+00:00 host app postgres.1105947 - [YELLOW] [12-1]  sql_error_code = 00000 LOG:  x").unwrap();
        assert_eq!((h.program, h.procid), ("app", Some("postgres.1105947")));
        assert_eq!(h.message, "[YELLOW] [12-1]  sql_error_code = 00000 LOG:  x");
        let h = header("2012-11-01T17:41:42+00:00 app[postgres]: [15521-1] [CHARCOAL] LOG: checkpoint starting: time")
            .unwrap();
        assert_eq!((h.host, h.program, h.procid), (None, "app", Some("postgres")));
        assert_eq!(
            split_message(h.message),
            Some((
                Some(Marker {
                    seq: Some(15521),
                    part: 1
                }),
                Some("CHARCOAL"),
                "LOG: checkpoint starting: time"
            ))
        );
        assert!(header("2026-11-24 10:00:00.000 UTC [1] LOG:  x").is_none());
    }

    #[test]
    fn parts_join_as_postgres_split_them() {
        // A newline split: the next part starts with the TAB append_with_tabs put there,
        // whatever the length of its first word.
        assert!(!continues_line(40, "\tFROM t"));
        assert!(!continues_line(23, &format!("\t{}", "x".repeat(890))));
        // A word split near the limit: the next part starts with the space and a long word.
        assert!(continues_line(895, " abcdefgh"));
        // A hard split at the limit (no space to cut at).
        assert!(continues_line(900, "xyz"));
        assert!(continues_line(898, "xyz"));
        // A follow-up line with its own prefix after a short line.
        assert!(!continues_line(120, "2026-11-24 10:00:00 UTC [1] STATEMENT:  x"));
        assert_eq!(unescape("a#011b#012c#035d#099"), "a\tb\nc\u{1d}d#099");
    }

    /// The text records a syslog file unwraps into.
    fn texts(log: &str) -> Vec<(u64, u32, String)> {
        use crate::ingest::framing::{Framer, Framing, Splitter};
        use crate::ingest::pgaudit::{Reading, prefix::Prefix, timestamp::LogZone};
        let reading = Reading {
            format: LogFormat::Syslog,
            prefix: Prefix::compile("").unwrap(),
            zone: LogZone::unnamed(),
        };
        let reader: Box<dyn std::io::Read + Send> = Box::new(std::io::Cursor::new(log.as_bytes().to_vec()));
        let chunk = Framer::new(reader, Framing::Lines, Splitter::plain())
            .next()
            .unwrap()
            .unwrap();
        let mut u = Unwrapper::new(&reading, &chunk);
        for r in &chunk.records {
            u.unwrap(r, None);
        }
        u.finish()
            .0
            .into_iter()
            .map(|t| (t.line, t.lines, t.text.into_owned()))
            .collect()
    }

    #[test]
    fn a_message_is_reassembled_from_its_parts() {
        let long = "x".repeat(880);
        let log = format!(
            "Nov 24 10:00:00 db1 postgres[7]: [5-1] P ERROR:  bad\n\
Nov 24 10:00:00 db1 postgres[8]: [9-1] Q LOG:  other process in between\n\
Nov 24 10:00:00 db1 postgres[7]: [5-2] P STATEMENT:  select 1,\n\
Nov 24 10:00:00 db1 postgres[7]: [5-3] #011{long} yy\n\
Nov 24 10:00:00 db1 postgres[7]: [5-4]  zzzzzzzzzzzzzzzzzzzzzzzzz\n\
Nov 24 10:00:00 db1 postgres[7]: [5-5] #011from t\n"
        );
        let t = texts(&log);
        assert_eq!(t[0], (1, 1, "P ERROR:  bad".to_string()));
        assert_eq!(t[1], (2, 1, "Q LOG:  other process in between".to_string()));
        // The STATEMENT line starts a line of its own; the part cut at the limit continues it.
        assert_eq!(t[2].0, 3);
        assert_eq!(t[2].1, 4);
        assert_eq!(
            t[2].2,
            format!("P STATEMENT:  select 1,\n\t{long} yy zzzzzzzzzzzzzzzzzzzzzzzzz\n\tfrom t")
        );
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn without_sequence_numbers_or_without_splitting() {
        // syslog_sequence_numbers = off: "[N]" counts the parts of each message.
        let t = texts(
            "Nov 24 10:00:00 db1 postgres[7]: [1] P LOG:  a\nNov 24 10:00:00 db1 postgres[7]: [2] #011b\nNov 24 10:00:00 db1 postgres[7]: [1] P LOG:  c\n",
        );
        assert_eq!(
            t.iter().map(|x| x.2.as_str()).collect::<Vec<_>>(),
            ["P LOG:  a\n\tb", "P LOG:  c"]
        );
        // syslog_split_messages = off: the whole message in one line, newlines escaped.
        let t = texts("Nov 24 10:00:00 db1 postgres[7]: [12] P LOG:  a#012#011b\n");
        assert_eq!(t[0].2, "P LOG:  a\n\tb");
        // A later part whose first part is missing is quarantined, not glued to something else.
        let log = "Nov 24 10:00:00 db1 postgres[7]: [5-2] #011orphan\n";
        assert!(texts(log).is_empty());
    }

    #[test]
    fn later_parts_do_not_start_chunks() {
        assert!(may_start_chunk(b"Nov 24 10:00:00 db1 postgres[1]: [5-1] LOG:  x"));
        assert!(!may_start_chunk(b"Nov 24 10:00:00 db1 postgres[1]: [5-2] #011x"));
        assert!(may_start_chunk(b"garbage"));
    }
}

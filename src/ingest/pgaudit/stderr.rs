//! PostgreSQL's stderr log format: a log_line_prefix, a severity, the message; continuation
//! lines start with a TAB; an error's DETAIL/HINT/CONTEXT/STATEMENT come as separate lines of
//! their own with the same prefix, right after it.
//!
//! In: one framed record (a line and its TAB continuations). Out: a [`Parsed`] appended to the
//! chunk's list; follow-up lines are folded into the message they belong to.

use std::borrow::Cow;

use super::prefix::{self, Prefix};
use super::{Message, Parsed, record_text};
use crate::ingest::framing::{Chunk, Record};

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

pub fn parse_record<'a>(chunk: &'a Chunk, r: &Record, prefix: &Prefix, out: &mut Vec<Parsed<'a>>) {
    let text = match record_text(chunk, r) {
        Ok(t) => t,
        Err(reason) => {
            return out.push(Parsed::Invalid {
                line: r.line,
                lines: r.lines,
                reason,
            });
        }
    };
    if text.is_empty() {
        return out.push(Parsed::Counted {
            lines: r.lines,
            kind: "blank",
        });
    }
    if text.starts_with('\t') {
        let reason = "continuation line (starting with a TAB) without a log line before it".to_string();
        return out.push(Parsed::Invalid {
            line: r.line,
            lines: r.lines,
            reason,
        });
    }
    let (fields, rest) = match prefix.parse(text) {
        Ok(v) => v,
        Err(reason) => {
            return out.push(Parsed::Invalid {
                line: r.line,
                lines: r.lines,
                reason,
            });
        }
    };
    let Some((severity, body)) = prefix::severity(rest) else {
        let reason = "expected a severity (LOG:, ERROR:, ...) after the log_line_prefix".to_string();
        return out.push(Parsed::Invalid {
            line: r.line,
            lines: r.lines,
            reason,
        });
    };
    // log_error_verbosity=verbose puts the SQLSTATE first: "ERROR:  42501: permission denied".
    let (verbose_state, body) = match body.get(..7) {
        Some(head) if head.ends_with(": ") && is_sqlstate(&head[..5]) => (Some(&head[..5]), &body[7..]),
        _ => (None, body),
    };
    // The server put a TAB after each newline of the message; take it out again.
    let body: Cow<'a, str> = if body.contains("\n\t") {
        Cow::Owned(body.replace("\n\t", "\n"))
    } else {
        Cow::Borrowed(body)
    };
    // Only stderr appends the error position to the message; csvlog and jsonlog keep it apart.
    let body = strip_error_position(body);
    if FOLLOW_UPS.contains(&severity)
        && let Some(primary) = primary_for(out, fields.pid)
    {
        primary.lines += r.lines;
        if severity == "STATEMENT" {
            primary.statement = Some(body);
        }
        return;
    }
    out.push(Parsed::Message(Box::new(Message {
        line: r.line,
        lines: r.lines,
        ts: fields.ts,
        db_user: fields.user.map(Cow::Borrowed),
        database: fields.database.map(Cow::Borrowed),
        application_name: fields.application_name.map(Cow::Borrowed),
        backend_pid: fields.pid,
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
    use crate::ingest::framing::{Framer, Framing};

    fn parse(input: &str, prefix: &str) -> Vec<String> {
        let p = Prefix::compile(prefix).unwrap();
        let reader: Box<dyn std::io::Read + Send> = Box::new(std::io::Cursor::new(input.as_bytes().to_vec()));
        let mut out_text = Vec::new();
        for chunk in Framer::new(reader, Framing::TabContinued, Box::new(|_| true)) {
            let chunk = chunk.unwrap();
            let mut out = Vec::new();
            for r in &chunk.records {
                parse_record(&chunk, r, &p, &mut out);
            }
            for o in out {
                out_text.push(match o {
                    Parsed::Message(m) => {
                        format!("{}|{}|{}|{:?}|{:?}", m.line, m.lines, m.severity, m.text, m.statement)
                    }
                    Parsed::Counted { kind, .. } => kind.to_string(),
                    Parsed::Invalid { line, reason, .. } => format!("invalid {line}: {reason}"),
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
    fn bad_lines_are_invalid_with_reasons() {
        let out = parse("\torphan\ngarbage line\n\n", "%m [%p] ");
        assert!(out[0].starts_with("invalid 1: continuation"));
        assert!(out[1].starts_with("invalid 2: line does not match --pg-prefix"));
        assert_eq!(out[2], "blank");
    }
}

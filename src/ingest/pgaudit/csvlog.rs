//! PostgreSQL's csvlog format: one CSV record per message, 23 columns up to PostgreSQL 12, 24 in
//! 13 (backend_type), 26 from 14 on (leader_pid, query_id). The pgAudit record is itself CSV
//! inside the message column; the refused statement is in the query column.
//!
//! In: one framed CSV record. Out: a [`Parsed`] message or the reason it is malformed.

use super::envelope::json::host_of;
use super::timestamp::LogZone;
use super::{Message, Parsed, field_time, known_severity, line_text, non_empty};
use crate::ingest::csv;
use crate::ingest::framing::{Chunk, Record};

pub fn parse_record<'a>(chunk: &'a Chunk, r: &Record, zone: &LogZone) -> Parsed<'a> {
    let invalid = |reason: String| Parsed::invalid(r, reason);
    let text = match line_text(chunk, r) {
        Ok(t) => t,
        Err(p) => return p,
    };
    let mut f = match csv::fields(text) {
        Ok(f) => f,
        Err(e) => return invalid(format!("malformed csvlog record: {e}")),
    };
    if !matches!(f.len(), 23 | 24 | 26) {
        return invalid(format!(
            "expected 23, 24 or 26 csvlog columns (PostgreSQL 12, 13, 14-17), found {}",
            f.len()
        ));
    }
    let ts = match field_time(&f[0], zone, r, "log_time") {
        Ok((ts, "")) => ts,
        Ok(_) => return invalid("log_time has text after the time zone".to_string()),
        Err(p) => return p,
    };
    let Some(severity) = known_severity(&f[11]) else {
        return invalid(format!(
            "unknown error_severity in column 12 ({} characters)",
            f[11].len()
        ));
    };
    let backend_pid = match &*f[3] {
        "" => None,
        pid => match pid.parse() {
            Ok(p) => Some(p),
            Err(_) => return invalid("process_id (column 4) is not a number".to_string()),
        },
    };
    let mut take = |i: usize| non_empty(std::mem::take(&mut f[i]));
    // "host:port", or "[local]" for a unix socket.
    let client_addr = take(4).map(host_of);
    Message {
        line: r.line,
        lines: r.lines,
        ts: Some(ts),
        db_user: take(1),
        database: take(2),
        backend_pid,
        client_addr,
        session_id: take(5),
        severity,
        sqlstate: take(12).filter(|s| s != "00000"),
        text: take(13).unwrap_or_default(),
        statement: take(19),
        application_name: take(22),
        server: None,
    }
    .into()
}

//! PostgreSQL's jsonlog format (15+): one JSON object per line; keys are omitted when empty.
//!
//! In: one framed line. Out: a [`Parsed`] message or the reason it is malformed.

use std::borrow::Cow;

use serde::Deserialize;

use super::timestamp::LogZone;
use super::{Message, Parsed, field_time, known_severity, line_text, non_empty};
use crate::ingest::framing::{Chunk, Record};

#[derive(Deserialize)]
struct JsonRecord<'a> {
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow)]
    user: Option<Cow<'a, str>>,
    #[serde(borrow)]
    dbname: Option<Cow<'a, str>>,
    pid: Option<i64>,
    #[serde(borrow)]
    remote_host: Option<Cow<'a, str>>,
    #[serde(borrow)]
    session_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    error_severity: Option<Cow<'a, str>>,
    #[serde(borrow)]
    state_code: Option<Cow<'a, str>>,
    #[serde(borrow)]
    message: Option<Cow<'a, str>>,
    #[serde(borrow)]
    statement: Option<Cow<'a, str>>,
    #[serde(borrow)]
    application_name: Option<Cow<'a, str>>,
}

pub fn parse_record<'a>(chunk: &'a Chunk, r: &Record, zone: &LogZone) -> Parsed<'a> {
    let invalid = |reason: String| Parsed::invalid(r, reason);
    let text = match line_text(chunk, r) {
        Ok(t) => t,
        Err(p) => return p,
    };
    let rec: JsonRecord<'a> = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return invalid(format!(
                "malformed jsonlog record at column {}: {}",
                e.column(),
                e.classify_name()
            ));
        }
    };
    let ts = match rec.timestamp.as_deref().map(|t| field_time(t, zone, r, "timestamp")) {
        Some(Ok((ts, _))) => Some(ts),
        Some(Err(p)) => return p,
        None => None,
    };
    let Some(severity) = rec.error_severity.as_deref().and_then(known_severity) else {
        return invalid("missing or unknown error_severity".to_string());
    };
    let Ok(backend_pid) = rec.pid.map(i32::try_from).transpose() else {
        return invalid("pid out of range".to_string());
    };
    Parsed::Message(Box::new(Message {
        line: r.line,
        lines: r.lines,
        ts,
        db_user: rec.user.and_then(non_empty),
        database: rec.dbname.and_then(non_empty),
        application_name: rec.application_name.and_then(non_empty),
        backend_pid,
        session_id: rec.session_id.and_then(non_empty),
        client_addr: rec.remote_host.and_then(non_empty),
        severity,
        sqlstate: rec.state_code.and_then(non_empty).filter(|s| s != "00000"),
        text: rec.message.unwrap_or_default(),
        statement: rec.statement.and_then(non_empty),
        server: None,
    }))
}

/// serde_json's error category, without echoing input text.
trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "invalid JSON syntax",
            serde_json::error::Category::Data => "a key has the wrong type (expected a jsonlog object)",
            serde_json::error::Category::Eof => "the JSON object is truncated",
        }
    }
}

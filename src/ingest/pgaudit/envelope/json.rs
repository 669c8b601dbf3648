//! JSON envelopes: one JSON object per PostgreSQL message, as a line or inside a document.
//!
//! - CloudWatch Logs (RDS, Aurora): `{"timestamp": ms, "message": "<stderr line>"}` and the
//!   `logStreamName` of `filter-log-events`; in subscription payloads `{"id", "timestamp",
//!   "message"}` under `logEvents`.
//! - CloudNativePG: `{"logger": "postgres" | "pgaudit", "msg": "record", "logging_pod": ...,
//!   "record": {csvlog columns as strings, "audit": {pgAudit fields}}}`; other loggers are the
//!   operator's own lines, counted.
//! - Cloud Logging (Cloud SQL): LogEntries with `textPayload` (the stderr line) or a Data Access
//!   `protoPayload` whose `request` is a `PgAuditEntry` (pgAudit's fields, `[not logged]` in
//!   brackets); `resource.labels.database_id` names the instance.
//! - Azure resource logs: `{"category": "PostgreSQLLogs", "resourceId", "properties": {"message":
//!   "<stderr line>", ...}}` (flexible server), or `properties.prefix` + `errorLevel` + `message`
//!   (single server).
//!
//! In: one JSON object's text. Out: a text record, a message, or a counted or invalid line.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;

use super::{ContainerContext, TextRecord, Unwrapper, audit_text, epoch_millis_micros, message, rfc3339_micros};
use crate::ingest::framing::Record;
use crate::ingest::pgaudit::{LogFormat, Message, Parsed, field_time, known_severity, non_empty, timestamp};

type S<'a> = Option<Cow<'a, str>>;

#[derive(Deserialize)]
struct CloudWatchEvent<'a> {
    timestamp: Option<i64>,
    #[serde(borrow)]
    message: S<'a>,
    #[serde(borrow, rename = "logStreamName")]
    log_stream: S<'a>,
}

#[derive(Deserialize)]
struct CnpgLine<'a> {
    #[serde(borrow)]
    logger: S<'a>,
    #[serde(borrow)]
    msg: S<'a>,
    #[serde(borrow)]
    logging_pod: S<'a>,
    #[serde(borrow)]
    record: Option<CnpgRecord<'a>>,
}

#[derive(Deserialize)]
struct CnpgRecord<'a> {
    #[serde(borrow)]
    log_time: S<'a>,
    #[serde(borrow)]
    user_name: S<'a>,
    #[serde(borrow)]
    database_name: S<'a>,
    #[serde(borrow)]
    process_id: S<'a>,
    #[serde(borrow)]
    connection_from: S<'a>,
    #[serde(borrow)]
    session_id: S<'a>,
    #[serde(borrow)]
    error_severity: S<'a>,
    #[serde(borrow)]
    sql_state_code: S<'a>,
    #[serde(borrow)]
    message: S<'a>,
    #[serde(borrow)]
    query: S<'a>,
    #[serde(borrow)]
    application_name: S<'a>,
    #[serde(borrow)]
    audit: Option<CnpgAudit<'a>>,
}

#[derive(Deserialize)]
struct CnpgAudit<'a> {
    #[serde(borrow)]
    audit_type: S<'a>,
    #[serde(borrow)]
    statement_id: S<'a>,
    #[serde(borrow)]
    substatement_id: S<'a>,
    #[serde(borrow)]
    class: S<'a>,
    #[serde(borrow)]
    command: S<'a>,
    #[serde(borrow)]
    object_type: S<'a>,
    #[serde(borrow)]
    object_name: S<'a>,
    #[serde(borrow)]
    statement: S<'a>,
    #[serde(borrow)]
    parameter: S<'a>,
    #[serde(borrow)]
    rows: S<'a>,
}

#[derive(Deserialize)]
struct LogEntry<'a> {
    #[serde(borrow)]
    timestamp: S<'a>,
    #[serde(borrow, rename = "textPayload")]
    text_payload: S<'a>,
    #[serde(borrow, rename = "protoPayload")]
    proto_payload: Option<ProtoPayload<'a>>,
    #[serde(borrow)]
    resource: Option<Resource<'a>>,
}

#[derive(Deserialize)]
struct Resource<'a> {
    #[serde(borrow)]
    labels: Option<ResourceLabels<'a>>,
}

#[derive(Deserialize)]
struct ResourceLabels<'a> {
    #[serde(borrow)]
    database_id: S<'a>,
}

#[derive(Deserialize)]
struct ProtoPayload<'a> {
    #[serde(borrow)]
    request: Option<PgAuditEntry<'a>>,
}

/// Cloud SQL's pgAudit entry; int64 fields come as numbers or as strings (proto3 JSON).
#[derive(Deserialize)]
struct PgAuditEntry<'a> {
    #[serde(borrow, rename = "@type")]
    kind: S<'a>,
    #[serde(borrow, rename = "auditClass")]
    audit_class: S<'a>,
    #[serde(borrow, rename = "auditType")]
    audit_type: S<'a>,
    #[serde(rename = "chunkIndex")]
    chunk_index: Option<Value>,
    #[serde(borrow)]
    command: S<'a>,
    #[serde(borrow)]
    database: S<'a>,
    #[serde(rename = "databaseSessionId")]
    database_session_id: Option<Value>,
    #[serde(borrow)]
    object: S<'a>,
    #[serde(borrow, rename = "objectType")]
    object_type: S<'a>,
    #[serde(borrow)]
    parameter: S<'a>,
    #[serde(borrow)]
    statement: S<'a>,
    #[serde(rename = "statementId")]
    statement_id: Option<Value>,
    #[serde(rename = "substatementId")]
    substatement_id: Option<Value>,
    #[serde(borrow)]
    user: S<'a>,
}

#[derive(Deserialize)]
struct AzureRecord<'a> {
    #[serde(borrow)]
    time: S<'a>,
    #[serde(borrow, rename = "resourceId")]
    resource_id: S<'a>,
    #[serde(borrow)]
    category: S<'a>,
    #[serde(borrow)]
    properties: Option<AzureProperties<'a>>,
}

#[derive(Deserialize)]
struct AzureProperties<'a> {
    #[serde(borrow)]
    message: S<'a>,
    #[serde(borrow)]
    prefix: S<'a>,
    #[serde(borrow, rename = "errorLevel")]
    error_level: S<'a>,
}

/// Unwraps one JSON object of a JSON envelope.
pub fn unwrap<'c>(
    u: &mut Unwrapper<'_, 'c>,
    format: LogFormat,
    text: &'c str,
    r: &Record,
    context: Option<&ContainerContext>,
) {
    if let Some(kind) = context.and_then(|c| c.skip) {
        return u.push(Parsed::Counted { lines: r.lines, kind });
    }
    let container_server = context.and_then(|c| c.server.clone()).map(Cow::Owned);
    let invalid = |reason: String| Parsed::invalid(r, reason);
    let bad_json = |what: &str, e: serde_json::Error| {
        invalid(format!(
            "malformed {what} at column {}: {}",
            e.column(),
            match e.classify() {
                serde_json::error::Category::Syntax => "invalid JSON syntax",
                serde_json::error::Category::Eof => "the JSON object is truncated",
                _ => "a key has the wrong type",
            }
        ))
    };
    match format {
        LogFormat::CloudWatch(_) => match serde_json::from_str::<CloudWatchEvent<'c>>(text) {
            Ok(CloudWatchEvent {
                timestamp,
                message: Some(message),
                log_stream,
            }) => {
                u.push_text(TextRecord {
                    text: message,
                    line: r.line,
                    lines: r.lines,
                    ts: timestamp.and_then(epoch_millis_micros),
                    server: log_stream.or(container_server),
                    pid: None,
                });
            }
            Ok(_) => u.push(invalid("CloudWatch event without a message".into())),
            Err(e) => u.push(bad_json("CloudWatch event", e)),
        },
        LogFormat::CloudNativePg => {
            // Node files of Kubernetes put "TIME stdout F " (CRI) before the container's line.
            let json = strip_cri(text);
            match serde_json::from_str::<CnpgLine<'c>>(json) {
                Ok(line) => u.push(cnpg(line, r, &u.reading.zone)),
                Err(e) => u.push(bad_json("CloudNativePG line", e)),
            }
        }
        LogFormat::CloudLogging(_) => match serde_json::from_str::<LogEntry<'c>>(text) {
            Ok(entry) => {
                let server = entry
                    .resource
                    .and_then(|r| r.labels)
                    .and_then(|l| l.database_id)
                    .or(container_server);
                let ts = entry.timestamp.as_deref().and_then(rfc3339_micros);
                if let Some(payload) = entry.text_payload {
                    u.push_text(TextRecord {
                        text: payload,
                        line: r.line,
                        lines: r.lines,
                        ts,
                        server,
                        pid: None,
                    });
                } else if let Some(req) = entry.proto_payload.and_then(|p| p.request)
                    && req.kind.as_deref().is_some_and(|k| k.ends_with(".PgAuditEntry"))
                {
                    u.push(pg_audit_entry(req, r, ts, server));
                } else {
                    u.push(Parsed::Counted {
                        lines: r.lines,
                        kind: "cloud_logging_other",
                    });
                }
            }
            Err(e) => u.push(bad_json("Cloud Logging entry", e)),
        },
        LogFormat::Azure(_) => match serde_json::from_str::<AzureRecord<'c>>(text) {
            Ok(rec) if rec.category.as_deref() != Some("PostgreSQLLogs") => u.push(Parsed::Counted {
                lines: r.lines,
                kind: "azure_other_category",
            }),
            Ok(rec) => {
                let server = rec
                    .resource_id
                    .as_deref()
                    .and_then(|id| id.rsplit('/').next())
                    .map(|name| Cow::Owned(name.to_ascii_lowercase()))
                    .or(container_server);
                let ts = rec.time.as_deref().and_then(rfc3339_micros);
                let Some(props) = rec.properties else {
                    return u.push(invalid("Azure record without properties".into()));
                };
                let text = match (props.prefix, props.error_level, props.message) {
                    // Single server: the prefix and the severity come apart from the message.
                    (Some(prefix), Some(level), Some(message)) => Cow::Owned(format!("{prefix}{level}:  {message}")),
                    (_, _, Some(message)) => message,
                    _ => return u.push(invalid("Azure record without properties.message".into())),
                };
                u.push_text(TextRecord {
                    text,
                    line: r.line,
                    lines: r.lines,
                    ts,
                    server,
                    pid: None,
                });
            }
            Err(e) => u.push(bad_json("Azure resource log record", e)),
        },
        other => u.push(invalid(format!(
            "internal error: {} is not a JSON envelope",
            other.name()
        ))),
    }
}

fn strip_cri(line: &str) -> &str {
    if line.starts_with('{') {
        return line;
    }
    let mut parts = line.splitn(4, ' ');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(time), Some("stdout" | "stderr"), Some("F"), Some(rest)) if rfc3339_micros(time).is_some() => rest,
        _ => line,
    }
}

fn cnpg<'c>(line: CnpgLine<'c>, r: &Record, zone: &timestamp::LogZone) -> Parsed<'c> {
    let invalid = |reason: String| Parsed::invalid(r, reason);
    let logger = line.logger.as_deref().unwrap_or("");
    let is_record = line.msg.as_deref() == Some("record") && matches!(logger, "postgres" | "pgaudit");
    let Some(rec) = line.record.filter(|_| is_record) else {
        let kind = if logger == "postgres" {
            "cloudnativepg_postgres_raw"
        } else {
            "cloudnativepg_operator"
        };
        return Parsed::Counted { lines: r.lines, kind };
    };
    let ts = match rec
        .log_time
        .as_deref()
        .map(|t| field_time(t, zone, r, "record.log_time"))
    {
        Some(Ok((ts, _))) => Some(ts),
        Some(Err(p)) => return p,
        None => None,
    };
    let Some(severity) = rec.error_severity.as_deref().and_then(known_severity) else {
        return invalid("missing or unknown record.error_severity".to_string());
    };
    let backend_pid = match rec.process_id.as_deref().map(str::parse::<i32>) {
        Some(Ok(p)) => Some(p),
        Some(Err(_)) => return invalid("record.process_id is not a number".to_string()),
        None => None,
    };
    let text = match rec.audit {
        Some(a) => Cow::Owned(audit_text(&[
            a.audit_type.as_deref(),
            a.statement_id.as_deref(),
            a.substatement_id.as_deref(),
            a.class.as_deref(),
            a.command.as_deref(),
            a.object_type.as_deref(),
            a.object_name.as_deref(),
            a.statement.as_deref(),
            a.parameter.as_deref(),
            a.rows.as_deref(),
        ])),
        None => rec.message.unwrap_or_default(),
    };
    // The pods of a cluster are named CLUSTER-N; the cluster is the server.
    let server = line.logging_pod.map(|pod| match pod.rsplit_once('-') {
        Some((cluster, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => Cow::Owned(cluster.to_string()),
        _ => pod,
    });
    message(
        r,
        Message {
            ts,
            server,
            db_user: rec.user_name.and_then(non_empty),
            database: rec.database_name.and_then(non_empty),
            application_name: rec.application_name.and_then(non_empty),
            backend_pid,
            session_id: rec.session_id.and_then(non_empty),
            client_addr: rec.connection_from.and_then(non_empty).map(host_of),
            severity,
            sqlstate: rec.sql_state_code.and_then(non_empty).filter(|s| s != "00000"),
            text,
            statement: rec.query.and_then(non_empty),
            ..Default::default()
        },
    )
}

/// "host:port" → "host" (csvlog's connection_from); "[local]" stays.
pub fn host_of(c: Cow<'_, str>) -> Cow<'_, str> {
    match c {
        Cow::Borrowed(s) => Cow::Borrowed(s.rsplit_once(':').map_or(s, |(h, _)| h)),
        Cow::Owned(s) => Cow::Owned(s.rsplit_once(':').map_or(s.as_str(), |(h, _)| h).to_string()),
    }
}

fn number_text(v: Option<Value>) -> Option<String> {
    match v? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// Cloud SQL writes `[not logged]`, `[none]` where pgAudit writes `<not logged>`, `<none>`.
fn angle(v: Option<&str>) -> Option<String> {
    v.map(|s| match s {
        "[not logged]" => "<not logged>".to_string(),
        "[none]" => "<none>".to_string(),
        "[previously logged]" => "<previously logged>".to_string(),
        other => other.to_string(),
    })
}

fn pg_audit_entry<'c>(req: PgAuditEntry<'c>, r: &Record, ts: Option<i64>, server: Option<Cow<'c, str>>) -> Parsed<'c> {
    // A statement longer than Cloud Logging takes is split over entries; the first carries the
    // row (its statement cut short), the others are counted.
    if number_text(req.chunk_index).is_some_and(|i| i != "1") {
        return Parsed::Counted {
            lines: r.lines,
            kind: "cloud_sql_audit_continuation",
        };
    }
    let statement_id = number_text(req.statement_id);
    let substatement_id = number_text(req.substatement_id);
    let parameter = angle(req.parameter.as_deref());
    let statement = angle(req.statement.as_deref());
    let text = audit_text(&[
        req.audit_type.as_deref(),
        statement_id.as_deref(),
        substatement_id.as_deref(),
        req.audit_class.as_deref(),
        req.command.as_deref(),
        req.object_type.as_deref(),
        req.object.as_deref(),
        statement.as_deref(),
        parameter.as_deref(),
    ]);
    message(
        r,
        Message {
            ts,
            server,
            db_user: req.user.and_then(non_empty),
            database: req.database.and_then(non_empty),
            session_id: number_text(req.database_session_id).map(Cow::Owned),
            severity: "LOG",
            text: Cow::Owned(text),
            ..Default::default()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cri_lines_are_unwrapped() {
        assert_eq!(
            strip_cri("2026-11-24T10:00:00.123456789Z stdout F {\"a\":1}"),
            "{\"a\":1}"
        );
        assert_eq!(strip_cri("{\"a\":1}"), "{\"a\":1}");
    }

    #[test]
    fn host_without_port() {
        assert_eq!(host_of(Cow::Borrowed("10.0.0.7:40112")), "10.0.0.7");
        assert_eq!(host_of(Cow::Borrowed("[local]")), "[local]");
    }
}

//! Recognising what a file holds from its content, not its name.
//!
//! Log collectors rename, rotate and compress files freely, so the name is only a hint. The
//! first decompressed kilobytes decide:
//! - JSON: the keys say whose it is — CloudNativePG (`logger` + `record`), Cloud Logging
//!   (`logName`, `textPayload` / `protoPayload`), Azure resource logs (`resourceId` +
//!   `category`), CloudWatch (`timestamp` + `message`, `logEvents`), PostgreSQL's jsonlog
//!   (`error_severity`), OTLP (`resourceSpans` / `resourceLogs`), MCP (JSON-RPC, a tools list).
//!   One object per line is the lines layout; an array, a pretty-printed object or a container
//!   (`events`, `logEvents`, `records`) is one document.
//! - syslog and Heroku: lines behind a syslog header with PostgreSQL's `[SEQ-PART]` numbering.
//! - A CloudWatch export: lines that start with an RFC 3339 time, then a PostgreSQL line.
//! - csvlog: records that start with a timestamp followed by a comma.
//! - stderr: lines (not counting continuation lines) with a severity keyword (`LOG:  `,
//!   `ERROR:  `, ...) after whatever prefix they have; the prefix itself is inferred later.
//!
//! In: the head of a file. Out: its [`Kind`].

use super::pgaudit::envelope::{self, syslog};
use super::pgaudit::{LogFormat, infer, timestamp};
use super::{framing::Layout, mcp, otlp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Postgres(LogFormat),
    Otlp(otlp::Layout),
    Mcp(mcp::Layout),
    /// An ebpf-capture file (binary, recognised by its magic).
    Capture,
    Unknown,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Postgres(f) => match f {
                LogFormat::Stderr => "pg_stderr",
                LogFormat::Csvlog => "pg_csvlog",
                LogFormat::Jsonlog => "pg_jsonlog",
                LogFormat::Syslog => "pg_syslog",
                LogFormat::Heroku => "pg_heroku",
                LogFormat::CloudWatchExport => "pg_cloudwatch_export",
                LogFormat::CloudWatch(_) => "pg_cloudwatch",
                LogFormat::CloudNativePg => "pg_cloudnativepg",
                LogFormat::CloudLogging(_) => "pg_cloud_logging",
                LogFormat::Azure(_) => "pg_azure",
            },
            Kind::Otlp(otlp::Layout::Lines) => "otlp_json_lines",
            Kind::Otlp(otlp::Layout::Document) => "otlp_json",
            Kind::Mcp(mcp::Layout::Lines) => "mcp_traffic",
            Kind::Mcp(mcp::Layout::Document) => "mcp_tools_list",
            Kind::Capture => "ebpf_capture",
            Kind::Unknown => "unknown",
        }
    }

    /// Every kind name a file can get (ingest.json and the summary's enums).
    pub fn names() -> Vec<&'static str> {
        let mut out: Vec<&'static str> = LogFormat::ALL.iter().map(|f| Kind::Postgres(*f).name()).collect();
        out.dedup();
        out.extend([
            Kind::Otlp(otlp::Layout::Lines).name(),
            Kind::Otlp(otlp::Layout::Document).name(),
            Kind::Mcp(mcp::Layout::Lines).name(),
            Kind::Mcp(mcp::Layout::Document).name(),
            Kind::Capture.name(),
            Kind::Unknown.name(),
        ]);
        out
    }
}

/// Decides the kind from up to the first few hundred KiB of decompressed content.
pub fn detect(head: &[u8]) -> Kind {
    if agaudit_capture_format::is_capture(head) {
        return Kind::Capture;
    }
    // Text up to the first NUL: a log whose compressed stream breaks mid-way decodes to good
    // lines, then garbage; its good start still says what it is (the garbage is quarantined).
    let text_end = memchr::memchr(0, head).unwrap_or(head.len());
    if text_end == 0 {
        return Kind::Unknown;
    }
    let text = String::from_utf8_lossy(&head[..text_end]);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(200).collect();
    let Some(first) = lines.first() else {
        return Kind::Unknown;
    };
    if let Some(kind) = json_kind(&text, first, lines.len()).or_else(|| mcp_kind(&text, first, lines.len())) {
        return kind;
    }
    if let Some(kind) = syslog_kind(&lines) {
        return kind;
    }
    // Lines that are not continuations of the line before.
    let heads: Vec<&str> = lines.iter().copied().filter(|l| !l.starts_with([' ', '\t'])).collect();
    let with_severity = |l: &&str| infer::severity_at(l).is_some();
    let exported = heads
        .iter()
        .filter(|l| envelope::split_rfc3339(l).is_some_and(|(_, rest)| with_severity(&rest)))
        .count();
    if exported > 0 && exported * 2 >= heads.len() {
        return Kind::Postgres(LogFormat::CloudWatchExport);
    }
    let csv_like = |l: &&str| matches!(timestamp::scan(l), Ok(s) if l.as_bytes().get(s.len) == Some(&b','));
    if lines.iter().take(5).any(csv_like) {
        return Kind::Postgres(LogFormat::Csvlog);
    }
    let severe = heads.iter().filter(|l| with_severity(l)).count();
    if severe > 0 && severe * 3 >= heads.len() {
        return Kind::Postgres(LogFormat::Stderr);
    }
    Kind::Unknown
}

fn json_kind(text: &str, first: &str, line_count: usize) -> Option<Kind> {
    let first = first.trim_start_matches('\u{feff}');
    // Kubernetes node files: "TIME stdout F {json}" (CRI).
    let cri_json = first.contains(" stdout F {") || first.contains(" stderr F {");
    let json_start = matches!(first.trim(), "{" | "[") || first.starts_with('[');
    if !(first.starts_with('{') || json_start || cri_json) {
        return None;
    }
    let has = |key: &str| text.contains(key);
    // A whole container on one line ({"events":[...]}) or back-to-back payloads is a document.
    let container = has("\"logEvents\"") || has("\"events\":[") || has("\"events\": [") || has("\"records\"");
    let layout = if json_start || container || line_count == 1 && first.len() > 1 << 16 {
        Layout::Document
    } else {
        Layout::Lines
    };
    let otlp_layout = |l: Layout| match l {
        Layout::Lines => otlp::Layout::Lines,
        Layout::Document => otlp::Layout::Document,
    };
    if (has("\"logger\"") && has("\"record\"")) || has("\"logging_pod\"") {
        return Some(Kind::Postgres(LogFormat::CloudNativePg));
    }
    if has("\"logName\"") && (has("\"textPayload\"") || has("\"protoPayload\"") || has("\"resource\"")) {
        return Some(Kind::Postgres(LogFormat::CloudLogging(layout)));
    }
    if has("\"resourceId\"") && has("\"category\"") && has("\"properties\"") {
        return Some(Kind::Postgres(LogFormat::Azure(layout)));
    }
    if first.starts_with('{') && has("\"error_severity\"") && !has("\"record\"") {
        return Some(Kind::Postgres(LogFormat::Jsonlog));
    }
    if ["\"resourceSpans\"", "\"resourceLogs\"", "\"resourceMetrics\""]
        .iter()
        .any(|k| has(k))
    {
        return Some(Kind::Otlp(otlp_layout(if json_start {
            Layout::Document
        } else {
            Layout::Lines
        })));
    }
    if let Some(kind) = mcp_kind(text, first, line_count) {
        return Some(kind);
    }
    if has("\"message\"")
        && has("\"timestamp\"")
        && (container || has("\"ingestionTime\"") || has("\"eventId\"") || has("\"logStreamName\"") || has("\"id\""))
    {
        return Some(Kind::Postgres(LogFormat::CloudWatch(layout)));
    }
    None
}

fn syslog_kind(lines: &[&str]) -> Option<Kind> {
    let headers: Vec<syslog::Header<'_>> = lines.iter().filter_map(|l| syslog::header(l)).collect();
    if headers.is_empty() || headers.len() * 2 < lines.len() {
        return None;
    }
    let heroku = headers
        .iter()
        .any(|h| h.procid.is_some_and(|p| p.starts_with("postgres")) && !h.program.starts_with("postgres"));
    if heroku {
        return Some(Kind::Postgres(LogFormat::Heroku));
    }
    let postgres = headers
        .iter()
        .any(|h| h.program.starts_with("postgres") || syslog::marker(h.message).is_some());
    postgres.then_some(Kind::Postgres(LogFormat::Syslog))
}

/// MCP: JSON-RPC messages (as lines, or as Server-Sent Events) or a tools list.
fn mcp_kind(text: &str, first: &str, lines: usize) -> Option<Kind> {
    let in_head = |key: &str| text.contains(key);
    let json_start = matches!(first.trim(), "{" | "[");
    let looks_mcp = in_head("\"jsonrpc\"") || (in_head("\"tools\"") && in_head("\"name\""));
    let sse = ["data:", "event:", "id:", "retry:", ":"]
        .iter()
        .any(|f| first.starts_with(f));
    if looks_mcp && (first.starts_with('{') || first.starts_with('[') || sse || json_start) {
        let one_document = (json_start || lines == 1) && !sse;
        return Some(Kind::Mcp(if one_document {
            mcp::Layout::Document
        } else {
            mcp::Layout::Lines
        }));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(s: &str) -> Kind {
        detect(s.as_bytes())
    }

    #[test]
    fn by_content() {
        assert_eq!(
            kind("{\"timestamp\":\"2026-11-24 10:00:00.000 UTC\",\"error_severity\":\"LOG\"}\n"),
            Kind::Postgres(LogFormat::Jsonlog)
        );
        assert_eq!(
            kind("2026-11-24 10:00:00.000 UTC,\"u\",\"d\",1,,,,,,,,LOG,00000,\"x\"\n"),
            Kind::Postgres(LogFormat::Csvlog)
        );
        assert_eq!(
            kind("2026-11-24 10:00:00.000 UTC [1] LOG:  x\n"),
            Kind::Postgres(LogFormat::Stderr)
        );
        assert_eq!(
            kind("Nov 24 10:00:00 host postgres[1]: [1-1] LOG:  x\n"),
            Kind::Postgres(LogFormat::Syslog)
        );
        assert_eq!(
            kind("{\"resourceSpans\":[]}\n{\"resourceLogs\":[]}\n"),
            Kind::Otlp(otlp::Layout::Lines)
        );
        assert_eq!(kind("{\n  \"resourceSpans\": [\n"), Kind::Otlp(otlp::Layout::Document));
        assert_eq!(
            kind(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\"}\n{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n"
            ),
            Kind::Mcp(mcp::Layout::Lines)
        );
        assert_eq!(
            kind("{\n \"tools\": [{\"name\": \"x\"}]\n}\n"),
            Kind::Mcp(mcp::Layout::Document)
        );
        assert_eq!(
            kind("event: message\nid: 1\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n"),
            Kind::Mcp(mcp::Layout::Lines)
        );
        assert_eq!(kind("# README\nnothing here\n"), Kind::Unknown);
        assert_eq!(kind("\0\0binary"), Kind::Unknown);
        assert_eq!(kind(""), Kind::Unknown);
    }

    #[test]
    fn the_schemas_name_every_kind() {
        let mut want = Kind::names();
        want.sort();
        for schema in [
            include_str!("../../schemas/ingest.schema.json"),
            include_str!("../../schemas/ingest-summary.schema.json"),
        ] {
            let v: serde_json::Value = serde_json::from_str(schema).unwrap();
            let kinds = &v["properties"]["files"]["items"]["properties"]["kind"]["enum"];
            let mut got: Vec<&str> = kinds.as_array().unwrap().iter().map(|k| k.as_str().unwrap()).collect();
            got.sort();
            assert_eq!(got, want);
        }
    }

    #[test]
    fn managed_and_kubernetes_envelopes() {
        // RDS/Aurora as downloaded: the prefix is not the default, most lines are continuations.
        let rds = "2026-11-24 10:00:00 UTC:10.0.1.5(5432):app@db:[42]:LOG:  statement: select a,\n\tb,\n\tc,\n\td\n\tfrom t\n";
        assert_eq!(kind(rds), Kind::Postgres(LogFormat::Stderr));
        assert_eq!(
            kind("2026-11-24T10:00:00.000Z 2026-11-24 10:00:00 UTC::@:[1]:LOG:  checkpoint starting: time\n"),
            Kind::Postgres(LogFormat::CloudWatchExport)
        );
        assert_eq!(
            kind(
                "{\"timestamp\":1795514400000,\"message\":\"2026-11-24 10:00:00 UTC::@:[1]:LOG:  x\",\"ingestionTime\":1795514401000}\n"
            ),
            Kind::Postgres(LogFormat::CloudWatch(Layout::Lines))
        );
        assert_eq!(
            kind("{\"events\":[{\"timestamp\":1,\"message\":\"x\"}],\"nextForwardToken\":\"f\"}"),
            Kind::Postgres(LogFormat::CloudWatch(Layout::Document))
        );
        assert_eq!(
            kind(
                "{\"level\":\"info\",\"ts\":\"2026-11-24T10:00:00Z\",\"logger\":\"postgres\",\"msg\":\"record\",\"logging_pod\":\"pg-1\",\"record\":{\"error_severity\":\"LOG\"}}\n"
            ),
            Kind::Postgres(LogFormat::CloudNativePg)
        );
        assert_eq!(
            kind(
                "{\"insertId\":\"x\",\"logName\":\"projects/p/logs/cloudsql.googleapis.com%2Fpostgres.log\",\"textPayload\":\"x\"}\n"
            ),
            Kind::Postgres(LogFormat::CloudLogging(Layout::Lines))
        );
        assert_eq!(
            kind(
                "[\n  {\n    \"logName\": \"projects/p/logs/cloudsql.googleapis.com%2Fpostgres.log\",\n    \"textPayload\": \"x\"\n"
            ),
            Kind::Postgres(LogFormat::CloudLogging(Layout::Document))
        );
        assert_eq!(
            kind(
                "{\"time\":\"2026-11-24T10:00:00Z\",\"resourceId\":\"/SUBSCRIPTIONS/X\",\"category\":\"PostgreSQLLogs\",\"operationName\":\"LogEvent\",\"properties\":{\"message\":\"x\"}}\n"
            ),
            Kind::Postgres(LogFormat::Azure(Layout::Lines))
        );
        assert_eq!(
            kind("2023-06-05T19:33:14+00:00 app[postgres.1105947]: [YELLOW] [12-1]  sql_error_code = 00000 LOG:  x\n"),
            Kind::Postgres(LogFormat::Heroku)
        );
    }
}

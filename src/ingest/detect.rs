//! Recognising what a file holds from its content, not its name.
//!
//! Log collectors rename, rotate and compress files freely, so the name is only a hint. The
//! first decompressed kilobytes decide: jsonlog objects have PostgreSQL's keys; OTLP JSON has
//! resourceSpans / resourceLogs (one compact request per line from the Collector's file
//! exporter, or one document, often pretty-printed, for an OTLP/HTTP body); MCP files carry
//! JSON-RPC messages or a tools list; csvlog records start with a timestamp followed by a comma;
//! stderr lines match the log_line_prefix (or at least carry a severity keyword, so a wrong
//! --pg-prefix still yields clear per-line reasons rather than "unknown file").
//!
//! In: the head of a file. Out: its [`Kind`].

use super::pgaudit::prefix::Prefix;
use super::pgaudit::{LogFormat, timestamp};
use super::{mcp, otlp};

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
            Kind::Postgres(LogFormat::Stderr) => "pg_stderr",
            Kind::Postgres(LogFormat::Csvlog) => "pg_csvlog",
            Kind::Postgres(LogFormat::Jsonlog) => "pg_jsonlog",
            Kind::Otlp(otlp::Layout::Lines) => "otlp_json_lines",
            Kind::Otlp(otlp::Layout::Document) => "otlp_json",
            Kind::Mcp(mcp::Layout::Lines) => "mcp_traffic",
            Kind::Mcp(mcp::Layout::Document) => "mcp_tools_list",
            Kind::Capture => "ebpf_capture",
            Kind::Unknown => "unknown",
        }
    }
}

/// Decides the kind from up to the first 64 KiB of decompressed content.
pub fn detect(head: &[u8], prefix: &Prefix) -> Kind {
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
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(50).collect();
    let Some(first) = lines.first() else {
        return Kind::Unknown;
    };
    if first.starts_with('{') && first.contains("\"error_severity\"") {
        return Kind::Postgres(LogFormat::Jsonlog);
    }
    // A compact document is one line; a pretty-printed one opens with a line of its own.
    let json_start = matches!(first.trim(), "{" | "[");
    let in_head = |key: &str| text.contains(key);
    if first.starts_with('{') || json_start {
        let otlp_keys = ["\"resourceSpans\"", "\"resourceLogs\"", "\"resourceMetrics\""];
        if otlp_keys.iter().any(|k| in_head(k)) {
            return Kind::Otlp(if json_start {
                otlp::Layout::Document
            } else {
                otlp::Layout::Lines
            });
        }
    }
    let looks_mcp = in_head("\"jsonrpc\"") || (in_head("\"tools\"") && in_head("\"name\""));
    if looks_mcp && (first.starts_with('{') || first.starts_with('[') || first.starts_with("data:") || json_start) {
        let one_document = json_start || lines.len() == 1;
        return Kind::Mcp(if one_document {
            mcp::Layout::Document
        } else {
            mcp::Layout::Lines
        });
    }
    let csv_like = |l: &&str| matches!(timestamp::parse(l), Ok((_, n)) if l.as_bytes().get(n) == Some(&b','));
    if lines.iter().take(5).any(csv_like) {
        return Kind::Postgres(LogFormat::Csvlog);
    }
    let prefixed = |l: &&str| prefix.parse(l).is_ok();
    let severity_somewhere = |l: &&str| {
        ["LOG:  ", "ERROR:  ", "FATAL:  ", "STATEMENT:  "]
            .iter()
            .any(|s| l.contains(s))
    };
    if lines.iter().any(prefixed) || lines.iter().filter(|l| severity_somewhere(l)).count() * 2 >= lines.len() {
        return Kind::Postgres(LogFormat::Stderr);
    }
    Kind::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(s: &str) -> Kind {
        detect(s.as_bytes(), &Prefix::compile("%m [%p] ").unwrap())
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
            Kind::Postgres(LogFormat::Stderr)
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
        assert_eq!(kind("# README\nnothing here\n"), Kind::Unknown);
        assert_eq!(kind("\0\0binary"), Kind::Unknown);
        assert_eq!(kind(""), Kind::Unknown);
    }
}

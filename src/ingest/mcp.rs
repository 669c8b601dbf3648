//! MCP tools/list results → the `tool_hints` table (what each tool claims about itself).
//!
//! Three shapes: a file holding one JSON-RPC response to tools/list, a file holding a bare
//! result object (`{"tools": [...]}`), and JSON lines of captured MCP traffic (stdio lines or
//! HTTP bodies, `data: ` SSE prefixes accepted, batches too) in which every tools/list response
//! is a listing page. Pages of one listing (`nextCursor`) share a listing number; a new listing
//! gets the next number, so a claim that changed between two listings shows as two rows.
//! The server is named by the initialize result's serverInfo.name in the same file, else the
//! `mcp_server` label, else the file name.
//!
//! In: a decompressed reader over one file. Out: Parquet parts, quarantine, counts.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use serde_json::Value;

use crate::ingest::framing::{self, Framer, Framing, Splitter};
use crate::ingest::otlp::json_error;
use crate::ingest::pipeline::{Chunks, Format};
use crate::ingest::sink::{self, ChunkOut, DatePartitions};
use crate::redact::{self, RuleCounts};
use crate::table::declare::{SourceFile, SourceRef};
use crate::table::tool_hints::{self, Hints, Origin, ToolHintRow, ToolHintsBuilder};

/// How the file holds its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One JSON document: a tools/list response or a bare result.
    Document,
    /// Captured traffic, one JSON-RPC message (or batch) per line.
    Lines,
}

/// MCP listings are small; a bigger single document is refused rather than held in memory.
pub const MAX_DOCUMENT_BYTES: usize = 64 << 20;

/// What has been learnt so far from earlier lines of the file.
struct State {
    server: Option<String>,
    fallback_server: String,
    /// Ids of tools/list requests, and whether each asked for a further page (had a cursor).
    requests: HashMap<String, bool>,
    listing: i32,
    previous_had_next: bool,
}

/// MCP tools/list results or traffic in one layout, as an ingest format. Read in order, one
/// chunk: a listing's server is learnt from the initialize result anywhere in the file.
pub struct Mcp {
    pub layout: Layout,
}

impl Format for Mcp {
    fn tables(&self) -> Vec<(&'static str, arrow_schema::SchemaRef)> {
        vec![(ToolHintRow::TABLE, ToolHintRow::schema())]
    }

    fn parse(&self, reader: Box<dyn Read + Send>, source: &SourceFile, out: &Chunks<'_>) -> Option<String> {
        let (chunk, read_error) = parse_file(self.layout, reader, source);
        out.emit(chunk);
        read_error
    }
}

fn parse_file(layout: Layout, reader: Box<dyn Read + Send>, source: &SourceFile) -> (ChunkOut, Option<String>) {
    let fallback_server = source.labels.get("mcp_server").cloned().unwrap_or_else(|| {
        let name = Path::new(&source.file)
            .file_name()
            .map_or_else(|| "mcp".to_string(), |n| n.to_string_lossy().into_owned());
        name.split('.').next().unwrap_or(&name).to_string()
    });
    let mut state = State {
        server: None,
        fallback_server: redact::redactor()
            .text(&fallback_server, &mut RuleCounts::new())
            .into_owned(),
        requests: HashMap::new(),
        listing: 0,
        previous_had_next: false,
    };
    let mut out = ChunkOut::new(0);
    let mut rows = Vec::new();
    let mut read_error = None;
    match layout {
        Layout::Document => {
            let doc = framing::read_document(reader, MAX_DOCUMENT_BYTES);
            read_error = doc.read_error;
            out.counts.lines_read = doc.lines;
            let lines32 = u32::try_from(doc.lines).unwrap_or(u32::MAX);
            if doc.too_big {
                let reason = format!("an MCP document larger than {} MiB", MAX_DOCUMENT_BYTES >> 20);
                out.quarantine(&doc.bytes, 1, lines32, &reason);
                out.counts.quarantined_lines = doc.lines;
            } else {
                let got = serde_json::from_slice::<Value>(&doc.bytes)
                    .map_err(|e| json_error(&e, "a tools/list JSON-RPC response or result"))
                    .and_then(|v| {
                        listing_of(&v, &mut state, &mut out.redactions, 1, Origin::ToolsList).map_err(|e| e.to_string())
                    });
                match got {
                    Ok(Some(found)) if !found.is_empty() => {
                        out.counts.row_lines += doc.lines;
                        rows.extend(found);
                    }
                    Ok(_) => out.quarantine(
                        &doc.bytes,
                        1,
                        lines32,
                        "not a tools/list result: expected a JSON-RPC response whose result has a tools list, or a bare {\"tools\": [...]} object",
                    ),
                    Err(reason) => out.quarantine(&doc.bytes, 1, lines32, &reason),
                }
            }
        }
        Layout::Lines => {
            for chunk in Framer::new(reader, Framing::Lines, Splitter::plain()) {
                let chunk = match chunk {
                    Ok(c) => c,
                    Err(e) => {
                        read_error = Some(e.to_string());
                        break;
                    }
                };
                for r in &chunk.records {
                    out.counts.lines_read += u64::from(r.lines);
                    let bytes = chunk.bytes(r);
                    if let Some(problem) = r.problem {
                        out.quarantine(bytes, r.line, r.lines, &sink::problem_reason(problem));
                        continue;
                    }
                    traffic_line(bytes, r.line, r.lines, &mut state, &mut out, &mut rows);
                }
            }
        }
    }
    let mut parts: DatePartitions<ToolHintsBuilder> = DatePartitions::default();
    for row in &rows {
        let server = Some(
            row.server
                .clone()
                .or_else(|| state.server.clone())
                .unwrap_or_else(|| state.fallback_server.clone()),
        );
        let row = ToolHintRow {
            claim_digest: tool_hints::claim_digest(server.as_deref(), &row.tool, row.title.as_deref(), row.hints()),
            server,
            source: source.at(row.source.line),
            ..row.clone()
        };
        parts.for_micros(None, ToolHintsBuilder::new).append(&row);
    }
    out.add_partitions(ToolHintRow::TABLE, parts);
    (out, read_error)
}

/// One line of captured traffic.
fn traffic_line(
    bytes: &[u8],
    line: u64,
    lines: u32,
    state: &mut State,
    out: &mut ChunkOut,
    rows: &mut Vec<ToolHintRow<'static>>,
) {
    let trimmed = bytes.trim_ascii();
    if trimmed.is_empty() {
        out.counts.add_other("blank", u64::from(lines));
        return;
    }
    // Server-sent events carry JSON-RPC in `data:` lines; their other fields carry none.
    let json = match trimmed.strip_prefix(b"data:") {
        Some(rest) => rest.trim_ascii(),
        None if [&b"event:"[..], b"id:", b"retry:", b":"]
            .iter()
            .any(|f| trimmed.starts_with(f)) =>
        {
            out.counts.add_other("sse_field", u64::from(lines));
            return;
        }
        None => trimmed,
    };
    let value: Value = match serde_json::from_slice(json) {
        Ok(v) => v,
        Err(e) => {
            out.quarantine(bytes, line, lines, &json_error(&e, "a JSON-RPC message per line"));
            return;
        }
    };
    let messages = match &value {
        Value::Array(batch) => batch.iter().collect::<Vec<_>>(),
        v => vec![v],
    };
    let mut counts = RuleCounts::new();
    let mut found = Vec::new();
    for m in messages {
        match listing_of(m, state, &mut counts, line, Origin::Traffic) {
            Ok(Some(page)) => found.extend(page),
            Ok(None) => {}
            Err(reason) => {
                out.quarantine(bytes, line, lines, &reason.to_string());
                return;
            }
        }
    }
    for (k, v) in counts {
        *out.redactions.entry(k).or_insert(0) += v;
    }
    if found.is_empty() {
        out.counts.add_other("mcp_message", u64::from(lines));
    } else {
        out.counts.row_lines += u64::from(lines);
        rows.extend(found);
    }
}

/// A tool of a listing without the name the MCP specification requires: its index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("tools[{0}] has no name (a string is required by the MCP specification)")]
pub struct NamelessTool(pub usize);

fn id_key(v: Option<&Value>) -> Option<String> {
    v.filter(|v| v.is_string() || v.is_number()).map(Value::to_string)
}

/// The tools of a tools/list result in `m` (a JSON-RPC message or a bare result); None when
/// `m` is some other message (after learning what it teaches: serverInfo, request ids).
fn listing_of(
    m: &Value,
    state: &mut State,
    counts: &mut RuleCounts,
    line: u64,
    origin: Origin,
) -> Result<Option<Vec<ToolHintRow<'static>>>, NamelessTool> {
    let Value::Object(obj) = m else {
        return Ok(None);
    };
    if obj.get("method").and_then(Value::as_str) == Some("tools/list") {
        if let Some(id) = id_key(obj.get("id")) {
            let has_cursor = obj
                .get("params")
                .and_then(|p| p.get("cursor"))
                .is_some_and(|c| !c.is_null());
            state.requests.insert(id, has_cursor);
        }
        return Ok(None);
    }
    let result = match obj.get("result") {
        Some(r) => r,
        None if obj.contains_key("tools") && !obj.contains_key("jsonrpc") => m,
        None => return Ok(None),
    };
    if let Some(name) = result
        .get("serverInfo")
        .and_then(|s| s.get("name"))
        .and_then(Value::as_str)
    {
        state.server = Some(redact::redactor().text(name, counts).into_owned());
        return Ok(None);
    }
    let Some(tools) = result.get("tools").and_then(Value::as_array) else {
        return Ok(None);
    };
    let continuation = match id_key(obj.get("id")).and_then(|id| state.requests.get(&id).copied()) {
        Some(had_cursor) => had_cursor,
        None => state.previous_had_next,
    };
    if !continuation || state.listing == 0 {
        state.listing += 1;
    }
    state.previous_had_next = result.get("nextCursor").is_some_and(|c| !c.is_null());
    let mut rows = Vec::with_capacity(tools.len());
    for (i, tool) in tools.iter().enumerate() {
        let name = tool
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .ok_or(NamelessTool(i))?;
        let annotations = tool.get("annotations");
        let flag = |k: &str| annotations.and_then(|a| a.get(k)).and_then(Value::as_bool);
        let title = annotations
            .and_then(|a| a.get("title"))
            .or_else(|| tool.get("title"))
            .and_then(Value::as_str)
            .map(|t| redact::redactor().text(t, counts).into_owned());
        rows.push(
            ToolHintRow {
                server: None,
                tool: redact::redactor().text(name, counts).into_owned(),
                title,
                origin,
                listing: Some(state.listing),
                source: SourceRef {
                    line,
                    ..Default::default()
                },
                ..Default::default()
            }
            .with_hints(Hints {
                read_only: flag("readOnlyHint"),
                destructive: flag("destructiveHint"),
                idempotent: flag("idempotentHint"),
                open_world: flag("openWorldHint"),
            }),
        );
    }
    Ok(Some(rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        State {
            server: None,
            fallback_server: "f".into(),
            requests: HashMap::new(),
            listing: 0,
            previous_had_next: false,
        }
    }

    fn page(v: &str, s: &mut State) -> Option<Vec<ToolHintRow<'static>>> {
        let v: Value = serde_json::from_str(v).unwrap();
        listing_of(&v, s, &mut RuleCounts::new(), 1, Origin::Traffic).unwrap()
    }

    #[test]
    fn pages_share_a_listing_and_relisting_counts_up() {
        let mut s = state();
        assert!(
            page(
                r#"{"jsonrpc":"2.0","id":0,"result":{"serverInfo":{"name":"reporting"}}}"#,
                &mut s
            )
            .is_none()
        );
        assert_eq!(s.server.as_deref(), Some("reporting"));
        page(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#, &mut s);
        let p1 = page(
            r#"{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"a","annotations":{"readOnlyHint":true}}],"nextCursor":"x"}}"#,
            &mut s,
        )
        .unwrap();
        page(
            r#"{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"cursor":"x"}}"#,
            &mut s,
        );
        let p2 = page(r#"{"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"b"}]}}"#, &mut s).unwrap();
        page(r#"{"jsonrpc":"2.0","id":3,"method":"tools/list"}"#, &mut s);
        let p3 = page(r#"{"jsonrpc":"2.0","id":3,"result":{"tools":[{"name":"a"}]}}"#, &mut s).unwrap();
        assert_eq!(
            (p1[0].listing, p2[0].listing, p3[0].listing),
            (Some(1), Some(1), Some(2))
        );
        assert_eq!(p1[0].hints().read_only, Some(true));
        assert_eq!(p2[0].hints(), Hints::default());
    }

    #[test]
    fn bare_result_and_nameless_tool() {
        let mut s = state();
        let rows = page(r#"{"tools":[{"name":"t","title":"T"}]}"#, &mut s).unwrap();
        assert_eq!(rows[0].title.as_deref(), Some("T"));
        let v: Value = serde_json::from_str(r#"{"tools":[{"title":"x"}]}"#).unwrap();
        let e = listing_of(&v, &mut s, &mut RuleCounts::new(), 1, Origin::ToolsList).unwrap_err();
        assert!(e.to_string().contains("tools[0] has no name"));
    }
}

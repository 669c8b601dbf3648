//! The `tool_hints` table: what each MCP tool CLAIMS about itself (its annotations).
//!
//! The MCP specification calls annotations untrusted hints: a server may say anything. agaudit
//! records them as claims, both as declared and as effective after the specification's
//! defaults, so `agaudit diff` can hold them against what the database, telemetry and kernel
//! observed. Every listing is kept: when a tool's annotations change between two listings, both
//! rows are there with different `claim_digest`s.
//!
//! In: claims from tools/list results or span attributes. Out: rows of a [`TableBuilder`].

use std::sync::{Arc, OnceLock};

use arrow_schema::{DataType, Schema, SchemaRef};

use super::columns::{Source, TableBuilder, field, source_fields, timestamp_ns};

pub const TABLE: &str = "tool_hints";

/// The MCP specification's defaults for absent annotations: a tool is assumed to write,
/// destructively, not idempotently, and to reach the open world.
pub const DEFAULT_READ_ONLY: bool = false;
pub const DEFAULT_DESTRUCTIVE: bool = true;
pub const DEFAULT_IDEMPOTENT: bool = false;
pub const DEFAULT_OPEN_WORLD: bool = true;

/// Where a claim was seen.
pub mod origin {
    /// A file holding one tools/list result (JSON-RPC response or bare result).
    pub const TOOLS_LIST: &str = "tools_list";
    /// A tools/list response inside captured MCP traffic (JSON lines).
    pub const TRAFFIC: &str = "traffic";
    /// Annotation attributes on an OpenTelemetry span.
    pub const SPAN_ATTRIBUTE: &str = "span_attribute";
}

/// The four annotations as declared; None when the tool did not declare it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Hints {
    pub read_only: Option<bool>,
    pub destructive: Option<bool>,
    pub idempotent: Option<bool>,
    pub open_world: Option<bool>,
}

impl Hints {
    pub fn is_empty(&self) -> bool {
        *self == Hints::default()
    }
}

/// One claim, already redacted.
#[derive(Debug, Default, Clone)]
pub struct ToolHintRow {
    pub server: Option<String>,
    pub tool: String,
    pub title: Option<String>,
    pub hints: Hints,
    pub origin: &'static str,
    pub listing: Option<i32>,
    pub seen_at: Option<i64>,
    pub trace_id: Option<String>,
    pub span_id: Option<String>,
    pub claim_digest: String,
    pub source_line: u64,
}

/// The Arrow schema of `tool_hints` (mirrored in schemas/tool_hints.arrow.json).
pub fn schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            use DataType::*;
            let declared = |name: &str, hint: &str| {
                field(
                    name,
                    Boolean,
                    true,
                    &format!("{hint} as the server declared it (an untrusted claim); null when not declared"),
                )
            };
            let effective = |name: &str, hint: &str, default: bool| {
                field(
                    name,
                    Boolean,
                    false,
                    &format!("{hint} after the MCP defaults (absent = {default}); still only a claim"),
                )
            };
            let mut fields = vec![
                field(
                    "server",
                    Utf8,
                    true,
                    "MCP server: serverInfo.name of the initialize result in the same file, else the mcp_server label, else the file name without extension; for span claims the span's server",
                ),
                field("tool", Utf8, false, "tool name"),
                field("title", Utf8, true, "annotations.title, else the tool's title; secret-scanned"),
                declared("read_only_hint", "readOnlyHint"),
                declared("destructive_hint", "destructiveHint"),
                declared("idempotent_hint", "idempotentHint"),
                declared("open_world_hint", "openWorldHint"),
                effective("effective_read_only", "readOnlyHint", DEFAULT_READ_ONLY),
                effective("effective_destructive", "destructiveHint", DEFAULT_DESTRUCTIVE),
                effective("effective_idempotent", "idempotentHint", DEFAULT_IDEMPOTENT),
                effective("effective_open_world", "openWorldHint", DEFAULT_OPEN_WORLD),
                field(
                    "origin",
                    Utf8,
                    false,
                    "where the claim was seen: tools_list (a tools/list result file) | traffic (captured MCP JSON-RPC lines) | span_attribute",
                ),
                field(
                    "listing",
                    Int32,
                    true,
                    "1-based number of the tools/list listing within the file (pages of one listing share it); null for span claims",
                ),
                field(
                    "seen_at",
                    timestamp_ns(),
                    true,
                    "when the claim was seen (span start for span claims); null when the source does not say",
                ),
                field("trace_id", Utf8, true, "trace of the span that carried the claim"),
                field("span_id", Utf8, true, "span that carried the claim"),
                field(
                    "claim_digest",
                    Utf8,
                    false,
                    "blake3 (16 hex digits) of the tool's name, title and declared hints: equal digests, same claim; a changed digest between listings is a changed claim",
                ),
            ];
            fields.extend(source_fields());
            Arc::new(Schema::new(fields))
        })
        .clone()
}

/// The digest of a claim: what `claim_digest` holds.
pub fn claim_digest(server: Option<&str>, tool: &str, title: Option<&str>, h: Hints) -> String {
    let canonical = serde_json::json!([
        server,
        tool,
        title,
        h.read_only,
        h.destructive,
        h.idempotent,
        h.open_world
    ]);
    blake3::hash(canonical.to_string().as_bytes()).to_hex()[..16].to_string()
}

impl ToolHintRow {
    pub fn append(&self, b: &mut TableBuilder, source: &Source) {
        let h = self.hints;
        let mut r = b.row();
        r.str(self.server.as_deref())
            .str(Some(&self.tool))
            .str(self.title.as_deref());
        r.bool(h.read_only)
            .bool(h.destructive)
            .bool(h.idempotent)
            .bool(h.open_world);
        r.bool(Some(h.read_only.unwrap_or(DEFAULT_READ_ONLY)));
        r.bool(Some(h.destructive.unwrap_or(DEFAULT_DESTRUCTIVE)));
        r.bool(Some(h.idempotent.unwrap_or(DEFAULT_IDEMPOTENT)));
        r.bool(Some(h.open_world.unwrap_or(DEFAULT_OPEN_WORLD)));
        r.str(Some(self.origin)).i32(self.listing).ts_ns(self.seen_at);
        r.str(self.trace_id.as_deref()).str(self.span_id.as_deref());
        r.str(Some(&self.claim_digest));
        r.source(source, self.source_line);
        r.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_matches_schema_and_defaults_apply() {
        use arrow_array::{Array, BooleanArray};
        let mut b = TableBuilder::new(schema());
        let source = Source {
            file: "f".into(),
            blake3: "h".into(),
            labels: Default::default(),
        };
        ToolHintRow {
            tool: "t".into(),
            hints: Hints {
                read_only: Some(true),
                ..Default::default()
            },
            origin: origin::TOOLS_LIST,
            claim_digest: claim_digest(None, "t", None, Hints::default()),
            ..Default::default()
        }
        .append(&mut b, &source);
        let batch = b.finish().unwrap();
        assert_eq!(batch.num_columns(), schema().fields().len());
        let col = |n: &str| {
            batch
                .column_by_name(n)
                .unwrap()
                .as_any()
                .downcast_ref::<BooleanArray>()
                .unwrap()
                .clone()
        };
        assert!(col("effective_read_only").value(0));
        assert!(col("destructive_hint").is_null(0));
        assert!(col("effective_destructive").value(0));
        assert!(col("effective_open_world").value(0));
        assert!(!col("effective_idempotent").value(0));
    }
}

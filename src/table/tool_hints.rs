//! The `tool_hints` table: what each MCP tool CLAIMS about itself (its annotations).
//!
//! The MCP specification calls annotations untrusted hints: a server may say anything. agaudit
//! records them as claims, both as declared and as effective after the specification's
//! defaults, so `agaudit diff` can hold them against what the database, telemetry and kernel
//! observed. Every listing is kept: when a tool's annotations change between two listings, both
//! rows are there with different `claim_digest`s.
//!
//! In: claims from tools/list results or span attributes. Out: Arrow record batches.

use super::declare::kind::*;

/// The MCP specification's defaults for absent annotations: a tool is assumed to write,
/// destructively, not idempotently, and to reach the open world.
pub const DEFAULT_READ_ONLY: bool = false;
pub const DEFAULT_DESTRUCTIVE: bool = true;
pub const DEFAULT_IDEMPOTENT: bool = false;
pub const DEFAULT_OPEN_WORLD: bool = true;

crate::vocabulary! {
    /// Where a claim was seen.
    pub enum Origin {
        /// A file holding one tools/list result (JSON-RPC response or bare result).
        #[default]
        ToolsList = "tools_list",
        /// A tools/list response inside captured MCP traffic (JSON lines).
        Traffic = "traffic",
        /// Annotation attributes on an OpenTelemetry span.
        SpanAttribute = "span_attribute",
    }
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

crate::table! {
    /// One claim, already redacted. Set the eight hint columns with [`ToolHintRow::with_hints`].
    pub struct ToolHintRow<'a> in "tool_hints", builder ToolHintsBuilder, view ToolHintsView {
        /// MCP server: serverInfo.name of the initialize result in the same file, else the mcp_server label, else the file name without extension; for span claims the span's server
        server: OptText = Identifier,
        /// tool name
        tool: Text = Identifier,
        /// annotations.title, else the tool's title; secret-scanned
        title: OptText = Identifier,
        /// readOnlyHint as the server declared it (an untrusted claim); null when not declared
        read_only_hint: OptBool = Fixed,
        /// destructiveHint as the server declared it (an untrusted claim); null when not declared
        destructive_hint: OptBool = Fixed,
        /// idempotentHint as the server declared it (an untrusted claim); null when not declared
        idempotent_hint: OptBool = Fixed,
        /// openWorldHint as the server declared it (an untrusted claim); null when not declared
        open_world_hint: OptBool = Fixed,
        /// readOnlyHint after the MCP defaults (absent = false); still only a claim
        effective_read_only: Bool = Fixed,
        /// destructiveHint after the MCP defaults (absent = true); still only a claim
        effective_destructive: Bool = Fixed,
        /// idempotentHint after the MCP defaults (absent = false); still only a claim
        effective_idempotent: Bool = Fixed,
        /// openWorldHint after the MCP defaults (absent = true); still only a claim
        effective_open_world: Bool = Fixed,
        /// where the claim was seen: tools_list (a tools/list result file) | traffic (captured MCP JSON-RPC lines) | span_attribute
        origin: Enum<Origin> = Fixed,
        /// 1-based number of the tools/list listing within the file (pages of one listing share it); null for span claims
        listing: OptI32 = Fixed,
        /// when the claim was seen (span start for span claims); null when the source does not say
        seen_at: TsNs = Fixed,
        /// trace of the span that carried the claim
        trace_id: OptText = Fixed,
        /// span that carried the claim
        span_id: OptText = Fixed,
        /// blake3 (16 hex digits) of the tool's name, title and declared hints: equal digests, same claim; a changed digest between listings is a changed claim
        claim_digest: Text = Fixed,
        /// 1-based line of the JSON line (or document) the row came from, in the decompressed file
        source: Source = Fixed,
    }
}

impl<'a> ToolHintRow<'a> {
    /// The hints as declared.
    pub fn hints(&self) -> Hints {
        Hints {
            read_only: self.read_only_hint,
            destructive: self.destructive_hint,
            idempotent: self.idempotent_hint,
            open_world: self.open_world_hint,
        }
    }

    /// This row with the declared hints `h` and their effective values after the defaults.
    pub fn with_hints(self, h: Hints) -> Self {
        ToolHintRow {
            read_only_hint: h.read_only,
            destructive_hint: h.destructive,
            idempotent_hint: h.idempotent,
            open_world_hint: h.open_world,
            effective_read_only: h.read_only.unwrap_or(DEFAULT_READ_ONLY),
            effective_destructive: h.destructive.unwrap_or(DEFAULT_DESTRUCTIVE),
            effective_idempotent: h.idempotent.unwrap_or(DEFAULT_IDEMPOTENT),
            effective_open_world: h.open_world.unwrap_or(DEFAULT_OPEN_WORLD),
            ..self
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_matches_schema_and_defaults_apply() {
        let mut b = ToolHintsBuilder::new();
        let read_only = Hints {
            read_only: Some(true),
            ..Default::default()
        };
        b.append(
            &ToolHintRow {
                tool: "t".into(),
                origin: Origin::ToolsList,
                claim_digest: claim_digest(None, "t", None, Hints::default()),
                ..Default::default()
            }
            .with_hints(read_only),
        );
        let batch = b.finish().unwrap();
        assert_eq!(batch.num_columns(), ToolHintRow::schema().fields().len());
        let v = ToolHintsView::of(&batch).unwrap();
        assert!(v.effective_read_only.get(0));
        assert_eq!(v.destructive_hint.get(0), None);
        assert!(v.effective_destructive.get(0));
        assert!(v.effective_open_world.get(0));
        assert!(!v.effective_idempotent.get(0));
    }
}

//! The `tool_hints` table: what each MCP tool CLAIMS about itself (its annotations).
//!
//! The MCP specification calls annotations untrusted hints: a server may say anything. agaudit
//! records them as claims, both as declared and as effective after the specification's
//! defaults, so `agaudit diff` can hold them against what the database, telemetry and kernel
//! observed. Every listing is kept: when a tool's annotations change between two listings, both
//! rows are there with different `claim_digest`s.
//!
//! In: claims from tools/list results or span attributes. Out: Arrow record batches.

pub use super::schema::{Origin, ToolHintRow, ToolHintsBuilder, ToolHintsView};

/// The MCP specification's defaults for absent annotations: a tool is assumed to write,
/// destructively, not idempotently, and to reach the open world.
pub const DEFAULT_READ_ONLY: bool = false;
pub const DEFAULT_DESTRUCTIVE: bool = true;
pub const DEFAULT_IDEMPOTENT: bool = false;
pub const DEFAULT_OPEN_WORLD: bool = true;

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

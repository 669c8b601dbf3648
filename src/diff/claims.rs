//! What each tool claimed, and when: the tool_hints rows of every (MCP server, tool) as a
//! timeline, so an action is judged against the claim in force when it happened, and a claim
//! that changed between listings is seen.
//!
//! In: tool_hints record batches. Out: [`Claims`].

use std::collections::{BTreeMap, BTreeSet};

use arrow_array::RecordBatch;

use crate::table::declare::TableError;
use crate::table::tool_hints::{Origin, ToolHintsView};

/// A tool's annotations as one listing gave them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Claim {
    /// Whether the listing annotated the tool at all (any hint present).
    pub annotated: bool,
    /// Effective values, after the specification's defaults.
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
    pub open_world: bool,
}

impl Claim {
    /// What changed from `self` to `other`, e.g. `readOnlyHint true→false`.
    pub fn changes(&self, other: &Claim) -> String {
        let mut out = Vec::new();
        if self.annotated != other.annotated {
            out.push(format!("annotated {}→{}", self.annotated, other.annotated));
        }
        for (name, a, b) in [
            ("readOnlyHint", self.read_only, other.read_only),
            ("destructiveHint", self.destructive, other.destructive),
            ("idempotentHint", self.idempotent, other.idempotent),
            ("openWorldHint", self.open_world, other.open_world),
        ] {
            if a != b {
                out.push(format!("{name} {a}→{b}"));
            }
        }
        out.join(", ")
    }

    /// All four effective annotations, or that there were none.
    pub fn describe(&self) -> String {
        if !self.annotated {
            return "no annotations (the defaults: may write, may destroy, open world)".into();
        }
        format!(
            "readOnlyHint={} destructiveHint={} idempotentHint={} openWorldHint={}",
            self.read_only, self.destructive, self.idempotent, self.open_world
        )
    }
}

/// One tool_hints row: when it was seen, where, and what it claimed.
#[derive(Debug, Clone)]
pub struct Listed {
    /// Nanoseconds UTC; None for a tools/list dump with no time (ordered first).
    pub seen_at: Option<i64>,
    pub file: String,
    pub listing: i32,
    pub line: u64,
    /// How the listing was seen: a dump, MCP messages, or span attributes.
    pub origin: Origin,
    pub claim: Claim,
}

impl Listed {
    /// The layer that saw this listing: MCP messages and dumps, or telemetry.
    pub fn layer(&self) -> &'static str {
        if self.origin == Origin::SpanAttribute {
            "telemetry"
        } else {
            "mcp"
        }
    }
}

impl Listed {
    pub fn reference(&self) -> String {
        format!("tool_hints:{}:{}", self.file, self.line)
    }
}

/// Every listing of every tool, in time order per (server, tool).
#[derive(Debug, Default)]
pub struct Claims {
    by_tool: BTreeMap<(String, String), Vec<Listed>>,
}

impl Claims {
    pub fn from_batches<'a>(batches: impl IntoIterator<Item = &'a RecordBatch>) -> Result<Claims, TableError> {
        let mut by_tool: BTreeMap<(String, String), Vec<Listed>> = BTreeMap::new();
        for batch in batches {
            let v = ToolHintsView::of(batch)?;
            for i in 0..v.num_rows {
                let key = (v.server.get(i).unwrap_or("").to_string(), v.tool.get(i).to_string());
                let declared = [
                    v.read_only_hint.get(i),
                    v.destructive_hint.get(i),
                    v.idempotent_hint.get(i),
                    v.open_world_hint.get(i),
                ];
                by_tool.entry(key).or_default().push(Listed {
                    seen_at: v.seen_at.get(i),
                    file: v.source.file.get(i).to_string(),
                    listing: v.listing.get(i).unwrap_or(0),
                    line: v.source.line.get(i),
                    origin: v.origin.get(i),
                    claim: Claim {
                        annotated: declared.iter().any(Option::is_some),
                        read_only: v.effective_read_only.get(i),
                        destructive: v.effective_destructive.get(i),
                        idempotent: v.effective_idempotent.get(i),
                        open_world: v.effective_open_world.get(i),
                    },
                });
            }
        }
        for listed in by_tool.values_mut() {
            listed.sort_by(|a, b| {
                (a.seen_at.unwrap_or(i64::MIN), &a.file, a.listing, a.line).cmp(&(
                    b.seen_at.unwrap_or(i64::MIN),
                    &b.file,
                    b.listing,
                    b.line,
                ))
            });
        }
        Ok(Claims { by_tool })
    }

    /// The listings of `tool` on `server`; when that server never listed it, the listings of the
    /// one server that did (servers are named differently by different sources), else none.
    pub fn of(&self, server: Option<&str>, tool: &str) -> &[Listed] {
        if let Some(l) = server.and_then(|s| self.by_tool.get(&(s.to_string(), tool.to_string()))) {
            return l;
        }
        let mut servers = self.by_tool.iter().filter(|((_, t), _)| t == tool);
        match (servers.next(), servers.next()) {
            (Some((_, l)), None) => l,
            _ => &[],
        }
    }

    /// The listing in force at `ts`: the last one seen at or before it, else the first.
    pub fn in_force<'a>(&'a self, server: Option<&str>, tool: &str, ts: Option<i64>) -> Option<&'a Listed> {
        let listed = self.of(server, tool);
        let ts = ts.unwrap_or(i64::MAX);
        listed
            .iter()
            .rev()
            .find(|l| l.seen_at.unwrap_or(i64::MIN) <= ts)
            .or_else(|| listed.first())
    }

    /// Tools whose claims differ between listings: (server, tool, first listing, first listing
    /// that differs from it, how many distinct claims).
    pub fn changed(&self) -> Vec<(&str, &str, &Listed, &Listed, usize)> {
        let mut out = Vec::new();
        for ((server, tool), listed) in &self.by_tool {
            let distinct: BTreeSet<&Claim> = listed.iter().map(|l| &l.claim).collect();
            if distinct.len() < 2 {
                continue;
            }
            let first = &listed[0];
            if let Some(other) = listed.iter().find(|l| l.claim != first.claim) {
                out.push((server.as_str(), tool.as_str(), first, other, distinct.len()));
            }
        }
        out
    }
}

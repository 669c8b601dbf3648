//! What each tool claimed, and when: the tool_hints rows of every (MCP server, tool) as a
//! timeline, so an action is judged against the claim in force when it happened, and a claim
//! that changed between listings is seen.
//!
//! In: tool_hints record batches. Out: [`Claims`].

use std::collections::{BTreeMap, BTreeSet};

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, TimestampNanosecondType, UInt64Type};
use arrow_array::{Array, RecordBatch};

use crate::correlate::load;

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
    /// How the listing was seen: tools_list (a dump), traffic (MCP messages), span_attribute.
    pub origin: String,
    pub claim: Claim,
}

impl Listed {
    /// The layer that saw this listing: MCP messages and dumps, or telemetry.
    pub fn layer(&self) -> &'static str {
        if self.origin == "span_attribute" {
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
    pub fn from_batches<'a>(batches: impl IntoIterator<Item = &'a RecordBatch>) -> Result<Claims, String> {
        let mut by_tool: BTreeMap<(String, String), Vec<Listed>> = BTreeMap::new();
        for batch in batches {
            let server = load::strings(batch, "server")?;
            let tool = load::strings(batch, "tool")?;
            let file = load::strings(batch, "source_file")?;
            let origin = load::strings(batch, "origin")?;
            let col = |name: &str| {
                batch.column_by_name(name).ok_or_else(|| {
                    format!("tool_hints lacks `{name}`; the case was written by another agaudit version")
                })
            };
            let bools: Vec<_> = [
                "read_only_hint",
                "destructive_hint",
                "idempotent_hint",
                "open_world_hint",
                "effective_read_only",
                "effective_destructive",
                "effective_idempotent",
                "effective_open_world",
            ]
            .iter()
            .map(|n| col(n).map(|c| c.as_boolean().clone()))
            .collect::<Result<_, _>>()?;
            let listing = col("listing")?.as_primitive::<Int32Type>().clone();
            let seen = col("seen_at")?.as_primitive::<TimestampNanosecondType>().clone();
            let line = col("source_line")?.as_primitive::<UInt64Type>().clone();
            for i in 0..batch.num_rows() {
                let key = (
                    load::opt(server, i).unwrap_or("").to_string(),
                    tool.value(i).to_string(),
                );
                by_tool.entry(key).or_default().push(Listed {
                    seen_at: seen.is_valid(i).then(|| seen.value(i)),
                    file: file.value(i).to_string(),
                    listing: if listing.is_valid(i) { listing.value(i) } else { 0 },
                    line: line.value(i),
                    origin: origin.value(i).to_string(),
                    claim: Claim {
                        annotated: bools[..4].iter().any(|b| b.is_valid(i)),
                        read_only: bools[4].value(i),
                        destructive: bools[5].value(i),
                        idempotent: bools[6].value(i),
                        open_world: bools[7].value(i),
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

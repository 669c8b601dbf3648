//! The `findings` table: where a tool's claims and what was observed disagree.
//!
//! `agaudit diff` writes it: which tool (MCP server and name) claimed what (its effective
//! annotations at the time), who used it (agent@session, or the principal when unattributed),
//! what was observed instead (class, command, resource, outcome), by which layers and how
//! often, how sure and how severe, and which actions and evidence rows prove it.
//!
//! In: [`FindingRow`]s. Out: Arrow record batches.

use super::actions::{Conf, Outcome};
use super::declare::kind::*;
use crate::policy::Class;

crate::vocabulary! {
    /// What a finding is.
    pub enum FindingKind {
        /// The tool claims readOnlyHint=true and changed state.
        #[default]
        ReadOnlyContradiction = "read_only_contradiction",
        /// The tool claims destructiveHint=false and destroyed something.
        DestructiveContradiction = "destructive_contradiction",
        /// The tool claims openWorldHint=false and reached the network.
        OpenWorldContradiction = "open_world_contradiction",
        /// The tool declares no annotations and wrote.
        UnannotatedWrite = "unannotated_write",
        /// The tool's annotations changed between listings.
        ClaimChanged = "claim_changed",
        /// A layer the policy relies on saw nothing (agaudit inventory).
        CoverageGap = "coverage_gap",
    }
}

crate::vocabulary! {
    /// How severe a finding is (docs/diff.md), from the most severe.
    pub enum FindingSeverity {
        Critical = "critical",
        High = "high",
        #[default]
        Medium = "medium",
        Low = "low",
    }
}

crate::table! {
    /// One finding, ready to write.
    pub struct FindingRow in "findings", builder FindingsBuilder, view FindingsView {
        /// 32 hex digits: blake3 of the kind, tool, actor and observation (stable across re-runs)
        finding_id: Text = Fixed,
        /// read_only_contradiction | destructive_contradiction | open_world_contradiction | unannotated_write | claim_changed (agaudit diff) | coverage_gap (agaudit inventory)
        kind: Enum<FindingKind> = Fixed,
        /// critical | high | medium | low (docs/diff.md)
        severity: Enum<FindingSeverity> = Fixed,
        /// MCP server of the tool, as the evidence names it
        mcp_server: OptText = Identifier,
        /// the tool (empty for a coverage gap)
        tool: Text = Identifier,
        /// AGENT that used the tool; null when unattributed
        agent: OptText = Identifier,
        /// SESSION of AGENT@SESSION
        session: OptText = Identifier,
        /// identity used at the resource (shown when there is no agent)
        principal: OptText = Identifier,
        /// the claim the observation contradicts (readOnlyHint=true, destructiveHint=false, openWorldHint=false), no annotations, or what changed
        claim: Text = Derived,
        /// the tool's annotations in force at the time (for claim_changed: the new ones), effective values after the MCP defaults
        annotations: Text = Derived,
        /// tool_hints rows of that claim (and, for claim_changed, of the new one): tool_hints:FILE:LINE
        claim_evidence: Text = Derived,
        /// observed class: write | ddl | role | network | … (null for claim_changed)
        class: OptEnum<Class> = Fixed,
        /// observed command: UPDATE, DELETE, connect, …
        command: OptText = Identifier,
        /// the resource the observation touched
        resource: OptText = Identifier,
        /// the resource is on an endpoint the policy marks production
        production: Bool = Fixed,
        /// allow (it went through) | DENY (refused: an attempt, rated lower)
        outcome: OptEnum<Outcome> = Fixed,
        /// layers that saw it, space-separated: db (pgAudit), telemetry (spans), kernel
        layers: Text = Fixed,
        /// seen by two or more layers
        corroborated: Bool = Fixed,
        /// how many actions this finding groups
        count: U64 = Fixed,
        /// first time observed, UTC
        first_ts: TsNs = Fixed,
        /// last time observed, UTC
        last_ts: TsNs = Fixed,
        /// the weakest attribution confidence among its actions: attributed | approximate | unattributed
        conf: Enum<Conf> = Fixed,
        /// one sentence: what was claimed and what was observed
        detail: Text = Derived,
        /// the actions behind it, space-separated (actions.action_id)
        action_ids: Text = Fixed,
        /// their ground-truth rows, space-separated TABLE:FILE:LINE
        evidence: Text = Derived,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_matches_schema() {
        let mut b = FindingsBuilder::new();
        b.append(&FindingRow::default());
        assert_eq!(b.finish().unwrap().num_rows(), 1);
    }
}

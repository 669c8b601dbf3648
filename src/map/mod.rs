//! The access map: agent × resource, what the policy grants against what was observed.
//!
//! For every agent the case saw, and every resource it touched or its policy block names: the
//! grant (none, read, write, readwrite, from the policy's most specific rule), what was observed
//! (reads, writes, refused attempts, with their confidence), and the drift both ways — observed
//! beyond the grant (violations) and granted but never used (a least-privilege candidate: a rule
//! nothing used, or write access only ever used to read).
//!
//! The policy's identity grants are mapped too: each principal an agent block claims as its own
//! (`db_roles`, `uids`, `services`) against the actions seen through it; a claim nothing used is
//! drift (`unused_identity`), like a resource grant nothing used. The principals an agent was
//! seen through that its block does not claim (a uid its kernel actions ran as, a shared role)
//! are listed too, as `undeclared`: they are how the agent really reached its resources.
//!
//! In: the actions table and the policy. Out: a [`Map`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

use crate::inventory::principal_kind;
use crate::policy::Op;
use crate::policy::{Access, Class, Policy, PrincipalKind};
use crate::table::actions::{ActionsView, Outcome};
use crate::table::read::ReadError;

/// One agent × resource cell.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Pair {
    pub agent: String,
    /// First segment of the resource (the database server or endpoint), for grouping.
    pub server: String,
    /// An observed resource, or the pattern of a rule nothing used.
    pub resource: String,
    /// none | read | write | readwrite, or connect for a network endpoint (what the policy lets
    /// this agent do here).
    pub granted: &'static str,
    /// The policy rule that decides, `agent NAME / resource PATTERN`; null when none does.
    pub rule: Option<String>,
    pub reads: u64,
    pub writes: u64,
    /// Attempts the source refused (included in reads/writes).
    pub refused: u64,
    /// Observed actions the policy does not allow here (a violation, whatever the outcome).
    pub beyond_grant: u64,
    pub conf: BTreeMap<&'static str, u64>,
    /// beyond_grant, unused_grant, write_never_used; empty when observation and grant agree.
    pub drift: Vec<&'static str>,
}

/// A principal (or pattern of per-lease principals) an agent block claims, against its use.
#[derive(Debug, Clone, Serialize)]
pub struct IdentityGrant {
    pub agent: String,
    pub kind: PrincipalKind,
    pub pattern: String,
    /// Actions of this agent seen through it.
    pub actions: u64,
    /// For a pattern: how many distinct principals (leases) it matched.
    pub principals: u64,
    /// `unused_identity` when nothing was seen through it; `undeclared` for a principal the agent
    /// was seen through that its block does not claim.
    pub drift: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Map {
    pub policy: String,
    pub policy_blake3: String,
    pub pairs: Vec<Pair>,
    pub identities: Vec<IdentityGrant>,
    pub agents: u64,
    pub unattributed_actions: u64,
    /// Every agent the actions name, whatever the filter (for saying what a filter missed).
    #[serde(skip)]
    pub known_agents: BTreeSet<String>,
}

/// Builds the map of the case at `case_root` under `policy`, for agents matching `agent`.
pub fn build(
    case_root: &Path,
    policy: &Policy,
    policy_name: &str,
    policy_blake3: &str,
    agent: Option<&str>,
) -> Result<Map, crate::ledger::LedgerError> {
    let batches = crate::ledger::bound::actions(case_root)?;
    let mut pairs: BTreeMap<(String, String), Pair> = BTreeMap::new();
    let mut used_rules: BTreeMap<String, (bool, bool)> = BTreeMap::new();
    let mut through: BTreeMap<(String, PrincipalKind, String), u64> = BTreeMap::new();
    let mut unattributed = 0;
    let mut known_agents = BTreeSet::new();
    for b in &batches {
        let v = ActionsView::of(b).map_err(ReadError::from)?;
        for i in 0..v.num_rows {
            let Some(name) = v.agent.get(i) else {
                unattributed += 1;
                continue;
            };
            if !known_agents.contains(name) {
                known_agents.insert(name.to_string());
            }
            if agent.is_some_and(|want| !crate::policy::pattern::agent_matches(want, name)) {
                continue;
            }
            if let Some(p) = v.principal.get(i) {
                let (kind, bare) = principal_kind(p);
                *through.entry((name.to_string(), kind, bare.to_string())).or_default() += 1;
            }
            let resource = v.resource.get(i);
            let pair = pairs
                .entry((name.to_string(), resource.to_string()))
                .or_insert_with(|| cell(policy, name, resource));
            let write = v.op.get(i) == Op::Rw;
            if write {
                pair.writes += 1;
            } else {
                pair.reads += 1;
            }
            pair.refused += u64::from(v.outcome.get(i) == Outcome::Deny);
            pair.beyond_grant += u64::from(v.violation.get(i).is_some());
            *pair.conf.entry(v.conf.get(i).name()).or_default() += 1;
            if let Some(rule) = v.rule.get(i) {
                let used = used_rules.entry(rule.to_string()).or_default();
                used.0 = true;
                used.1 |= write;
            }
        }
    }
    let seen: BTreeSet<String> = pairs.keys().map(|(a, _)| a.clone()).collect();
    for name in &seen {
        let Some(block) = policy.block_for(name, None) else {
            continue;
        };
        let block_name = block
            .name
            .as_deref()
            .map_or("default".to_string(), |n| format!("agent {n}"));
        for rule in &block.rules {
            let key = format!("{block_name} / resource {}", rule.pattern);
            let (used, wrote) = used_rules.get(&key).copied().unwrap_or_default();
            if rule.access == Access::None {
                continue;
            }
            if !used {
                pairs.insert(
                    (name.clone(), rule.pattern.clone()),
                    Pair {
                        agent: name.clone(),
                        server: server_of(&rule.pattern),
                        resource: rule.pattern.clone(),
                        granted: rule.access.name(),
                        rule: Some(key),
                        drift: vec!["unused_grant"],
                        ..Pair::default()
                    },
                );
            } else if rule.access.allows(Class::Write) && !wrote {
                for pair in pairs
                    .values_mut()
                    .filter(|p| p.agent == *name && p.rule.as_deref() == Some(&key))
                {
                    if !pair.drift.contains(&"write_never_used") {
                        pair.drift.push("write_never_used");
                    }
                }
            }
        }
    }
    for pair in pairs.values_mut() {
        if pair.beyond_grant > 0 {
            pair.drift.insert(0, "beyond_grant");
        }
    }
    let mut pairs: Vec<Pair> = pairs.into_values().collect();
    pairs.sort_by(|a, b| (&a.server, &a.resource, &a.agent).cmp(&(&b.server, &b.resource, &b.agent)));
    let mut identities = Vec::new();
    for block in &policy.agents {
        let Some(name) = block.name.as_deref() else { continue };
        if agent.is_some_and(|want| !crate::policy::pattern::agent_matches(want, name)) {
            continue;
        }
        for claim in &block.owns.claims {
            let used: Vec<u64> = through
                .iter()
                .filter(|((a, k, p), _)| a == name && *k == claim.kind && claim.matches(p))
                .map(|(_, n)| *n)
                .collect();
            identities.push(IdentityGrant {
                agent: name.to_string(),
                kind: claim.kind,
                pattern: claim.pattern.clone(),
                actions: used.iter().sum(),
                principals: used.len() as u64,
                drift: if used.is_empty() {
                    vec!["unused_identity"]
                } else {
                    Vec::new()
                },
            });
        }
    }
    // Seen through, not claimed: a uid (kernel actions), a role or a service of someone else.
    for ((name, kind, principal), n) in &through {
        let claimed = policy
            .agents
            .iter()
            .filter(|b| b.name.as_deref() == Some(name.as_str()))
            .flat_map(|b| &b.owns.claims)
            .any(|c| c.kind == *kind && c.matches(principal));
        if !claimed {
            identities.push(IdentityGrant {
                agent: name.clone(),
                kind: *kind,
                pattern: principal.clone(),
                actions: *n,
                principals: 1,
                drift: vec!["undeclared"],
            });
        }
    }
    Ok(Map {
        policy: policy_name.to_string(),
        policy_blake3: policy_blake3.to_string(),
        agents: seen.len() as u64,
        pairs,
        identities,
        unattributed_actions: unattributed,
        known_agents,
    })
}

/// A cell with the grant filled in from the policy.
fn cell(policy: &Policy, agent: &str, resource: &str) -> Pair {
    let read = policy.judge(Some((agent, None)), resource, Class::Read);
    let write = policy.judge(Some((agent, None)), resource, Class::Write);
    // A network endpoint is granted or not for connecting (class network), not read/write.
    let endpoint = policy.endpoints.iter().any(|e| e.resource == resource);
    let granted = if resource.starts_with("tcp://") || resource.starts_with("udp://") || endpoint {
        let connect = policy.judge(Some((agent, None)), resource, Class::Network);
        if connect.violation.is_none() { "connect" } else { "none" }
    } else {
        match (read.violation.is_none(), write.violation.is_none()) {
            (true, true) => "readwrite",
            (true, false) => "read",
            (false, true) => "write",
            (false, false) => "none",
        }
    };
    Pair {
        agent: agent.to_string(),
        server: server_of(resource),
        resource: resource.to_string(),
        granted,
        rule: read.rule.or(write.rule),
        ..Pair::default()
    }
}

fn server_of(resource: &str) -> String {
    match resource.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{}", rest.split('/').next().unwrap_or(rest)),
        None => resource.split('/').next().unwrap_or(resource).to_string(),
    }
}

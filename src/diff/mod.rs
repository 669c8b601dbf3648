//! Claims against observations: what each MCP tool said about itself (tool_hints) against what
//! its calls were seen doing (actions), at every layer that saw them.
//!
//! The MCP specification calls tool annotations untrusted hints; this stage checks them. For
//! every action made through a tool it takes the tool's claim in force at that time (the latest
//! listing seen before it) and reports:
//! - a read-only claim and a write (class write, ddl or role): went through, or refused (an
//!   attempt is still a contradiction, rated lower);
//! - a non-destructive claim (of a tool that does not claim read-only) and a destructive command
//!   (DELETE, TRUNCATE, DROP, UPDATE: every UPDATE overwrites values);
//! - a closed-world claim (openWorldHint false) and a network connection to an endpoint the
//!   policy does not grant the agent (or no agent to grant it to);
//! - a write by a tool that carries no annotations: not a contradiction (the defaults allow it),
//!   listed so that a reviewer annotates the tool;
//! - a claim that changed between two listings (the claim changed under the client).
//!
//! Actions are grouped into findings per tool, actor (agent@session, or the principal when
//! unattributed), observation and outcome, with the layers that saw them (db: the pgAudit row;
//! telemetry: a span carrying the access; kernel: an ebpf-capture event placed in the call), counts,
//! first and last time, the weakest confidence, a severity, and the actions and evidence rows
//! behind them.
//!
//! In: the case's tool_hints, spans and actions. Out: the findings table, finding records for the
//! ledger, and a [`Report`].

pub mod claims;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::{TimestampNanosecondType, UInt64Type};
use serde::Serialize;

use crate::case::{IngestManifest, rfc3339};
use crate::correlate::load;
use crate::ledger::{Ledger, LedgerError, Record};
use crate::table::columns::TableBuilder;
use crate::table::findings::{self, FindingRow};
use crate::table::writer::{PartitionedWriter, WriteError, date_partition};
use claims::{Claims, Listed};

#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error("{0}")]
    Case(String),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// Severities, most severe first; `--fail-on` compares against this order.
pub const SEVERITIES: [&str; 4] = ["critical", "high", "medium", "low"];

/// Position of `severity` in [`SEVERITIES`] (0 = critical).
pub fn rank(severity: &str) -> usize {
    SEVERITIES
        .iter()
        .position(|s| *s == severity)
        .unwrap_or(SEVERITIES.len())
}

/// What diff found, for the terminal and `--json` (schemas/diff.schema.json).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub findings: Vec<FindingJson>,
    pub by_severity: BTreeMap<&'static str, u64>,
    pub by_kind: BTreeMap<&'static str, u64>,
    pub tools: u64,
    pub actions_checked: u64,
    pub ledger_appended: u64,
}

/// One finding as JSON: the findings table's columns, times as RFC 3339.
#[derive(Debug, Clone, Serialize)]
pub struct FindingJson {
    pub finding_id: String,
    pub kind: &'static str,
    pub severity: &'static str,
    pub mcp_server: Option<String>,
    pub tool: String,
    pub actor: String,
    pub agent: Option<String>,
    pub session: Option<String>,
    pub principal: Option<String>,
    pub claim: String,
    pub annotations: String,
    pub observed: Option<String>,
    pub class: Option<&'static str>,
    pub command: Option<String>,
    pub resource: Option<String>,
    pub production: bool,
    pub outcome: Option<String>,
    pub layers: Vec<String>,
    pub corroborated: bool,
    pub count: u64,
    pub first: Option<String>,
    pub last: Option<String>,
    pub conf: &'static str,
    pub detail: String,
    pub claim_evidence: Vec<String>,
    pub action_ids: Vec<String>,
    pub evidence: Vec<String>,
}

/// One action as diff reads it.
struct Action {
    id: String,
    ts: Option<i64>,
    agent: Option<String>,
    session: Option<String>,
    principal: Option<String>,
    tool: String,
    server: Option<String>,
    resource: String,
    production: bool,
    class: &'static str,
    command: Option<String>,
    outcome: String,
    violation: Option<String>,
    verdict: String,
    conf: &'static str,
    layers: BTreeSet<&'static str>,
    evidence: String,
}

/// A finding being accumulated.
struct Group {
    kind: &'static str,
    severity: &'static str,
    listed: Option<Listed>,
    actions: Vec<Action>,
}

/// Compares claims with observations in the case at `case_root`, writes the findings table and
/// appends finding records to the ledger.
pub fn run(case_root: &Path, manifest: &IngestManifest) -> Result<Report, DiffError> {
    let case_err = DiffError::Case;
    let hints = load::table(case_root, manifest, "tool_hints").map_err(case_err)?;
    let claims = Claims::from_batches(hints.iter().flat_map(|p| &p.batches)).map_err(DiffError::Case)?;
    let spans = span_ids(case_root, manifest)?;
    let action_batches = load::derived(case_root, crate::table::actions::TABLE).map_err(DiffError::Case)?;
    if action_batches.is_empty() {
        return Err(DiffError::Case(format!(
            "{} has no actions table: run agaudit correlate on this case first",
            case_root.display()
        )));
    }
    let actions = read_actions(&action_batches, &spans).map_err(DiffError::Case)?;

    // (kind, server, tool, actor, class, command, resource, outcome) → group
    let mut groups: BTreeMap<Vec<String>, Group> = BTreeMap::new();
    let mut checked = 0;
    for a in actions {
        checked += 1;
        let listed = claims.in_force(a.server.as_deref(), &a.tool, a.ts).cloned();
        let Some((kind, severity)) = judge(&a, listed.as_ref()) else {
            continue;
        };
        let actor = match (&a.agent, &a.session) {
            (Some(n), Some(s)) => format!("{n}@{s}"),
            (Some(n), None) => n.clone(),
            _ => format!("principal {}", a.principal.as_deref().unwrap_or("(unknown)")),
        };
        let key = vec![
            kind.to_string(),
            a.server.clone().unwrap_or_default(),
            a.tool.clone(),
            actor,
            a.class.to_string(),
            a.command.clone().unwrap_or_default(),
            a.resource.clone(),
            a.outcome.clone(),
        ];
        groups
            .entry(key)
            .or_insert_with(|| Group {
                kind,
                severity,
                listed,
                actions: Vec::new(),
            })
            .actions
            .push(a);
    }
    let mut rows: Vec<FindingRow> = groups.into_iter().map(|(key, g)| finding(&key, g)).collect();
    for (server, tool, first, other, distinct) in claims.changed() {
        rows.push(claim_changed(server, tool, first, other, distinct));
    }
    rows.sort_by(|a, b| {
        (
            rank(a.severity),
            &a.tool,
            &a.mcp_server,
            a.kind,
            &a.agent,
            &a.session,
            a.first_ts,
        )
            .cmp(&(
                rank(b.severity),
                &b.tool,
                &b.mcp_server,
                b.kind,
                &b.agent,
                &b.session,
                b.first_ts,
            ))
    });

    write_findings(case_root, "diff", &rows)?;
    let mut ledger = Ledger::open(case_root, &manifest.case_id)?;
    let appended = ledger.append(rows.iter().map(finding_record))?;

    let mut report = Report {
        findings: rows.iter().map(to_json).collect(),
        by_severity: BTreeMap::new(),
        by_kind: BTreeMap::new(),
        tools: rows
            .iter()
            .map(|r| (&r.mcp_server, &r.tool))
            .collect::<HashSet<_>>()
            .len() as u64,
        actions_checked: checked,
        ledger_appended: appended.new,
    };
    for r in &rows {
        *report.by_severity.entry(r.severity).or_default() += 1;
        *report.by_kind.entry(r.kind).or_default() += 1;
    }
    Ok(report)
}

/// What an action says about its tool's claim, if anything: (kind, severity).
fn judge(a: &Action, listed: Option<&Listed>) -> Option<(&'static str, &'static str)> {
    let writes = matches!(a.class, "write" | "ddl" | "role");
    let went_through = a.outcome == "allow";
    let claim = listed.map(|l| &l.claim).filter(|c| c.annotated);
    let Some(claim) = claim else {
        return writes.then_some(("unannotated_write", "low"));
    };
    if claim.read_only && writes {
        let severity = match (went_through, a.production) {
            (true, true) => "critical",
            (true, false) => "high",
            (false, _) => "medium",
        };
        return Some(("read_only_contradiction", severity));
    }
    if !claim.read_only && !claim.destructive && destructive(a.command.as_deref()) {
        return Some((
            "destructive_contradiction",
            if went_through { "high" } else { "medium" },
        ));
    }
    let ungranted = a.violation.is_some() || a.verdict == "not_judged";
    if !claim.open_world && a.class == "network" && ungranted {
        return Some(("open_world_contradiction", if went_through { "high" } else { "medium" }));
    }
    None
}

/// DELETE, TRUNCATE, DROP …, and UPDATE (which overwrites the values it sets).
fn destructive(command: Option<&str>) -> bool {
    let c = command.unwrap_or("").to_ascii_uppercase();
    ["DELETE", "TRUNCATE", "DROP", "UPDATE"]
        .iter()
        .any(|d| c.starts_with(d))
}

/// Ids of the spans in the case: a database action whose own span is among them was seen by
/// telemetry as well as by the database.
fn span_ids(case_root: &Path, manifest: &IngestManifest) -> Result<HashSet<String>, DiffError> {
    let parts = load::table(case_root, manifest, "spans").map_err(DiffError::Case)?;
    let mut ids = HashSet::new();
    for batch in parts.iter().flat_map(|p| &p.batches) {
        let col = load::strings(batch, "span_id").map_err(DiffError::Case)?;
        ids.extend(col.iter().flatten().map(str::to_string));
    }
    Ok(ids)
}

fn read_actions(batches: &[arrow_array::RecordBatch], spans: &HashSet<String>) -> Result<Vec<Action>, String> {
    let mut out = Vec::new();
    for b in batches {
        let s = |n: &str| load::strings(b, n);
        let (id, agent, session, principal, tool, server) = (
            s("action_id")?,
            s("agent")?,
            s("session")?,
            s("principal")?,
            s("tool")?,
            s("mcp_server")?,
        );
        let (resource, class, command, outcome, violation, verdict, conf) = (
            s("resource")?,
            s("class")?,
            s("command")?,
            s("outcome")?,
            s("violation")?,
            s("verdict")?,
            s("conf")?,
        );
        let (span_id, table, file) = (s("span_id")?, s("evidence_table")?, s("evidence_file")?);
        let missing = |n: &str| format!("actions lacks `{n}`; re-run agaudit correlate with this agaudit");
        let ts = b
            .column_by_name("ts")
            .ok_or_else(|| missing("ts"))?
            .as_primitive::<TimestampNanosecondType>();
        let line = b
            .column_by_name("evidence_line")
            .ok_or_else(|| missing("evidence_line"))?
            .as_primitive::<UInt64Type>();
        let production = b
            .column_by_name("production")
            .ok_or_else(|| missing("production"))?
            .as_boolean();
        for i in 0..b.num_rows() {
            let Some(tool) = load::opt(tool, i) else { continue };
            let mut layers = BTreeSet::new();
            match table.value(i) {
                "db_events" => {
                    layers.insert("db");
                    if load::opt(span_id, i).is_some_and(|sp| spans.contains(sp)) {
                        layers.insert("telemetry");
                    }
                }
                "kernel_events" => {
                    layers.insert("kernel");
                    // Placed inside a tool call by that call's own span.
                    if load::opt(span_id, i).is_some_and(|sp| spans.contains(sp)) {
                        layers.insert("telemetry");
                    }
                }
                _ => {
                    layers.insert("telemetry");
                }
            }
            out.push(Action {
                id: id.value(i).to_string(),
                ts: ts.is_valid(i).then(|| ts.value(i)),
                agent: load::opt(agent, i).map(str::to_string),
                session: load::opt(session, i).map(str::to_string),
                principal: load::opt(principal, i).map(str::to_string),
                tool: tool.to_string(),
                server: load::opt(server, i).map(str::to_string),
                resource: resource.value(i).to_string(),
                production: production.value(i),
                class: class_name(class.value(i)),
                command: load::opt(command, i).map(str::to_string),
                outcome: outcome.value(i).to_string(),
                violation: load::opt(violation, i).map(str::to_string),
                verdict: verdict.value(i).to_string(),
                conf: crate::table::actions::conf_name(conf.value(i)),
                layers,
                evidence: format!("{}:{}:{}", table.value(i), file.value(i), line.value(i)),
            });
        }
    }
    Ok(out)
}

fn class_name(s: &str) -> &'static str {
    ["read", "write", "ddl", "role", "function", "exec", "network"]
        .into_iter()
        .find(|c| *c == s)
        .unwrap_or("other")
}

/// The weakest of two confidences.
fn weakest(a: &'static str, b: &'static str) -> &'static str {
    let order = |c: &str| {
        ["unattributed", "approximate", "attributed"]
            .iter()
            .position(|x| *x == c)
    };
    if order(a) <= order(b) { a } else { b }
}

fn finding(key: &[String], g: Group) -> FindingRow {
    let first = &g.actions[0];
    let layers: BTreeSet<&str> = g.actions.iter().flat_map(|a| a.layers.iter().copied()).collect();
    let conf = g.actions.iter().fold("attributed", |c, a| weakest(c, a.conf));
    let first_ts = g.actions.iter().filter_map(|a| a.ts).min();
    let last_ts = g.actions.iter().filter_map(|a| a.ts).max();
    let mut evidence: Vec<&str> = g.actions.iter().map(|a| a.evidence.as_str()).collect();
    evidence.dedup();
    let annotations = g.listed.as_ref().map_or_else(
        || "never listed: no annotations seen".to_string(),
        |l| l.claim.describe(),
    );
    let claim = match g.kind {
        "read_only_contradiction" => "readOnlyHint=true".to_string(),
        "destructive_contradiction" => "destructiveHint=false".to_string(),
        "open_world_contradiction" => "openWorldHint=false".to_string(),
        _ => "no annotations".to_string(),
    };
    let observed = format!(
        "{} {} on {}",
        first.class,
        first.command.as_deref().unwrap_or("?"),
        first.resource
    );
    let went = if first.outcome == "allow" {
        "went through"
    } else {
        "was refused"
    };
    let n = g.actions.len();
    let detail = match g.kind {
        "read_only_contradiction" => format!("claims readOnlyHint=true, and {observed} {went} ({n}x)"),
        "destructive_contradiction" => format!("claims destructiveHint=false, and {observed} {went} ({n}x)"),
        "open_world_contradiction" => {
            format!(
                "claims openWorldHint=false, and connected to {} outside its grants ({n}x)",
                first.resource
            )
        }
        _ => format!("carries no annotations and {observed} {went} ({n}x): annotate it"),
    };
    FindingRow {
        finding_id: finding_id(key),
        kind: g.kind,
        severity: g.severity,
        mcp_server: first.server.clone(),
        tool: first.tool.clone(),
        agent: first.agent.clone(),
        session: first.session.clone(),
        principal: first.principal.clone(),
        claim,
        annotations,
        claim_evidence: g.listed.as_ref().map(Listed::reference).unwrap_or_default(),
        class: Some(first.class),
        command: first.command.clone(),
        resource: Some(first.resource.clone()),
        production: g.actions.iter().any(|a| a.production),
        outcome: Some(first.outcome.clone()),
        layers: layers.iter().copied().collect::<Vec<_>>().join(" "),
        corroborated: layers.len() >= 2,
        count: n as u64,
        first_ts,
        last_ts,
        conf,
        detail,
        action_ids: g.actions.iter().map(|a| a.id.as_str()).collect::<Vec<_>>().join(" "),
        evidence: evidence.join(" "),
    }
}

fn claim_changed(server: &str, tool: &str, first: &Listed, other: &Listed, distinct: usize) -> FindingRow {
    let key = vec!["claim_changed".to_string(), server.to_string(), tool.to_string()];
    FindingRow {
        finding_id: finding_id(&key),
        kind: "claim_changed",
        severity: "medium",
        mcp_server: (!server.is_empty()).then(|| server.to_string()),
        tool: tool.to_string(),
        claim: format!("annotations changed: {}", first.claim.changes(&other.claim)),
        annotations: other.claim.describe(),
        claim_evidence: format!("{} {}", first.reference(), other.reference()),
        layers: [first.layer(), other.layer()]
            .into_iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
            .join(" "),
        count: distinct as u64 - 1,
        first_ts: first.seen_at,
        last_ts: other.seen_at,
        conf: "attributed",
        detail: format!(
            "its annotations changed between listings ({} distinct claims): {} became {}",
            distinct,
            first.claim.describe(),
            other.claim.describe()
        ),
        ..FindingRow::default()
    }
}

fn finding_id(key: &[String]) -> String {
    let mut h = blake3::Hasher::new_derive_key("agaudit 2026-11 finding id v1");
    for k in key {
        h.update(&(k.len() as u64).to_le_bytes());
        h.update(k.as_bytes());
    }
    h.finalize().to_hex()[..32].to_string()
}

/// The ledger record of a finding: what an auditor reads, absent values left out.
pub fn finding_record(r: &FindingRow) -> Record {
    let agent = r.agent.as_ref().map(|a| match &r.session {
        Some(s) => format!("{a}@{s}"),
        None => a.clone(),
    });
    let mut fields: Vec<(&'static str, String)> = vec![("finding", r.finding_id.clone())];
    let mut put = |k: &'static str, v: Option<String>| {
        if let Some(v) = v {
            fields.push((k, v));
        }
    };
    put("type", Some(r.kind.to_string()));
    put("severity", Some(r.severity.to_string()));
    put("server", r.mcp_server.clone());
    put("tool", (!r.tool.is_empty()).then(|| r.tool.clone()));
    put("agent", agent);
    put("principal", r.principal.clone());
    put("claim", Some(r.claim.clone()));
    put(
        "annotations",
        (!r.annotations.is_empty()).then(|| r.annotations.clone()),
    );
    put("class", r.class.map(str::to_string));
    put("command", r.command.clone());
    put("resource", r.resource.clone());
    put("outcome", r.outcome.clone());
    put("layers", Some(r.layers.clone()));
    put("count", Some(r.count.to_string()));
    put("last", rfc3339(r.last_ts));
    put("conf", Some(r.conf.to_string()));
    Record {
        kind: "finding",
        ts: rfc3339(r.first_ts).unwrap_or_else(|| "unknown".into()),
        fields,
    }
}

fn to_json(r: &FindingRow) -> FindingJson {
    let words = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    let actor = match (&r.agent, &r.session) {
        (Some(a), Some(s)) => format!("{a}@{s}"),
        (Some(a), None) => a.clone(),
        _ => r
            .principal
            .as_ref()
            .map_or_else(String::new, |p| format!("principal {p}")),
    };
    FindingJson {
        finding_id: r.finding_id.clone(),
        kind: r.kind,
        severity: r.severity,
        mcp_server: r.mcp_server.clone(),
        tool: r.tool.clone(),
        actor,
        agent: r.agent.clone(),
        session: r.session.clone(),
        principal: r.principal.clone(),
        claim: r.claim.clone(),
        annotations: r.annotations.clone(),
        observed: r.class.map(|c| {
            format!(
                "{c} {} {}",
                r.command.as_deref().unwrap_or("?"),
                r.resource.as_deref().unwrap_or("?")
            )
        }),
        class: r.class,
        command: r.command.clone(),
        resource: r.resource.clone(),
        production: r.production,
        outcome: r.outcome.clone(),
        layers: words(&r.layers),
        corroborated: r.corroborated,
        count: r.count,
        first: rfc3339(r.first_ts),
        last: rfc3339(r.last_ts),
        conf: r.conf,
        detail: r.detail.clone(),
        claim_evidence: words(&r.claim_evidence),
        action_ids: words(&r.action_ids),
        evidence: words(&r.evidence),
    }
}

/// Replaces the findings a stage wrote (parts tagged `tag`: diff, inventory) with `rows`,
/// partitioned by the first time observed.
pub fn write_findings(case_root: &Path, tag: &str, rows: &[FindingRow]) -> Result<(), DiffError> {
    let dir = case_root.join("parquet").join(findings::TABLE);
    let mut writer = PartitionedWriter::new(&dir, tag, findings::schema(), vec![])?;
    let mut by_date: BTreeMap<String, Vec<&FindingRow>> = BTreeMap::new();
    for r in rows {
        by_date
            .entry(date_partition(r.first_ts.map(|t| t / 1000)))
            .or_default()
            .push(r);
    }
    for (date, rows) in by_date {
        let mut b = TableBuilder::new(findings::schema());
        for r in rows {
            r.append(&mut b);
        }
        let batch = b
            .finish()
            .map_err(|e| DiffError::Case(format!("findings batch: {e}")))?;
        writer.write(&date, &batch)?;
    }
    writer.finish()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use claims::Claim;

    fn action(class: &'static str, command: &str, outcome: &str, production: bool) -> Action {
        Action {
            id: "a".into(),
            ts: Some(0),
            agent: Some("agent".into()),
            session: Some("s1".into()),
            principal: None,
            tool: "t".into(),
            server: None,
            resource: "prod/db/public.t".into(),
            production,
            class,
            command: Some(command.into()),
            outcome: outcome.into(),
            violation: None,
            verdict: "ok".into(),
            conf: "attributed",
            layers: BTreeSet::from(["db"]),
            evidence: "db_events:f:1".into(),
        }
    }

    fn listed(read_only: bool, destructive: bool, open_world: bool) -> Listed {
        Listed {
            seen_at: None,
            file: "f".into(),
            listing: 1,
            line: 1,
            origin: "traffic".into(),
            claim: Claim {
                annotated: true,
                read_only,
                destructive,
                idempotent: false,
                open_world,
            },
        }
    }

    #[test]
    fn severities_follow_the_claim_the_outcome_and_production() {
        let ro = listed(true, true, false);
        let prod_write = action("write", "UPDATE", "allow", true);
        assert_eq!(
            judge(&prod_write, Some(&ro)),
            Some(("read_only_contradiction", "critical"))
        );
        assert_eq!(
            judge(&action("write", "UPDATE", "allow", false), Some(&ro)),
            Some(("read_only_contradiction", "high"))
        );
        assert_eq!(
            judge(&action("ddl", "DROP TABLE", "DENY", true), Some(&ro)),
            Some(("read_only_contradiction", "medium"))
        );
        assert_eq!(judge(&action("read", "SELECT", "allow", true), Some(&ro)), None);
        let careful = listed(false, false, false);
        assert_eq!(
            judge(&action("write", "DELETE", "allow", true), Some(&careful)),
            Some(("destructive_contradiction", "high"))
        );
        assert_eq!(judge(&action("write", "INSERT", "allow", true), Some(&careful)), None);
        let mut unannotated = listed(false, true, true);
        unannotated.claim.annotated = false;
        assert_eq!(
            judge(&action("write", "DELETE", "allow", true), Some(&unannotated)),
            Some(("unannotated_write", "low"))
        );
        assert_eq!(
            judge(&action("write", "DELETE", "allow", true), None),
            Some(("unannotated_write", "low"))
        );
        let mut connect = action("network", "connect", "allow", false);
        assert_eq!(judge(&connect, Some(&ro)), None, "granted by the policy");
        connect.violation = Some("unlisted_resource".into());
        assert_eq!(judge(&connect, Some(&ro)), Some(("open_world_contradiction", "high")));
        assert_eq!(
            judge(&connect, Some(&listed(true, true, true))),
            None,
            "openWorldHint true"
        );
    }
}

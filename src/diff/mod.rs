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

use serde::Serialize;

use crate::case::{Case, IngestManifest};
use crate::ledger::{Ledger, LedgerError, Record, RecordKind};
use crate::policy::Class;
use crate::table::actions::{ActionsView, Conf, EvidenceTable, Outcome, Verdict, actor};
use crate::table::declare::TableError;
use crate::table::read::{self, ReadError};
use crate::table::schema::{FindingKind, FindingRow, FindingSeverity, FindingsBuilder};
use crate::table::spans::{SpanRow, SpansView};
use crate::table::tool_hints::ToolHintRow;
use crate::table::writer::{PartitionedWriter, WriteError, date_partition};
use crate::time::rfc3339;
use claims::{Claims, Listed};

#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Table(#[from] TableError),
    #[error("building the findings batch: {0}")]
    Build(#[from] arrow_schema::ArrowError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
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
    pub kind: FindingKind,
    pub severity: FindingSeverity,
    pub mcp_server: Option<String>,
    pub tool: String,
    pub actor: String,
    pub agent: Option<String>,
    pub session: Option<String>,
    pub principal: Option<String>,
    pub claim: String,
    pub annotations: String,
    pub observed: Option<String>,
    pub class: Option<Class>,
    pub command: Option<String>,
    pub resource: Option<String>,
    pub production: bool,
    pub outcome: Option<Outcome>,
    pub layers: Vec<String>,
    pub corroborated: bool,
    pub count: u64,
    pub first: Option<String>,
    pub last: Option<String>,
    pub conf: Conf,
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
    class: Class,
    command: Option<String>,
    outcome: Outcome,
    ungranted: bool,
    conf: Conf,
    layers: BTreeSet<&'static str>,
    evidence: String,
}

/// A finding being accumulated.
struct Group {
    kind: FindingKind,
    severity: FindingSeverity,
    listed: Option<Listed>,
    actions: Vec<Action>,
}

/// Compares claims with observations in the case at `case_root`, writes the findings table and
/// appends finding records to the ledger.
pub fn run(case: &Case, manifest: &IngestManifest) -> Result<Report, DiffError> {
    let (rows, checked) = judge_all(case.root(), manifest)?;
    let hashes = write_findings(case.root(), "diff", &rows)?;
    let mut ledger = Ledger::open(case, &manifest.case_id)?;
    let appended = ledger.append(rows.iter().zip(&hashes).map(|(r, h)| finding_record(r, h)))?;
    Ok(report(&rows, checked, appended.new))
}

/// [`run`] without writing: the findings of a case that cannot or may not be written (an
/// unrecorded view), `ledger_appended` 0.
pub fn run_unrecorded(case_root: &Path, manifest: &IngestManifest) -> Result<Report, DiffError> {
    let (rows, checked) = judge_all(case_root, manifest)?;
    Ok(report(&rows, checked, 0))
}

/// Every finding of the case's actions and claims, most severe first, and how many actions
/// were checked.
fn judge_all(case_root: &Path, manifest: &IngestManifest) -> Result<(Vec<FindingRow>, u64), DiffError> {
    let claims = Claims::from_batches(&read::evidence(case_root, manifest, ToolHintRow::TABLE)?)?;
    let spans = span_ids(case_root, manifest)?;
    let actions = read_actions(&crate::ledger::bound::actions(case_root)?, &spans)?;

    // (kind, server, tool, actor, class, command, resource, outcome) → group
    let mut groups: BTreeMap<Vec<String>, Group> = BTreeMap::new();
    let mut checked = 0;
    for a in actions {
        checked += 1;
        let listed = claims.in_force(a.server.as_deref(), &a.tool, a.ts).cloned();
        let Some((kind, severity)) = judge(&a, listed.as_ref()) else {
            continue;
        };
        let actor = actor(a.agent.as_deref(), a.session.as_deref(), a.principal.as_deref());
        let key = vec![
            kind.name().to_string(),
            a.server.clone().unwrap_or_default(),
            a.tool.clone(),
            actor,
            a.class.to_string(),
            a.command.clone().unwrap_or_default(),
            a.resource.clone(),
            a.outcome.name().to_string(),
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
            a.severity,
            &a.tool,
            &a.mcp_server,
            a.kind.name(),
            &a.agent,
            &a.session,
            a.first_ts,
        )
            .cmp(&(
                b.severity,
                &b.tool,
                &b.mcp_server,
                b.kind.name(),
                &b.agent,
                &b.session,
                b.first_ts,
            ))
    });

    Ok((rows, checked))
}

fn report(rows: &[FindingRow], checked: u64, appended: u64) -> Report {
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
        ledger_appended: appended,
    };
    for r in rows {
        *report.by_severity.entry(r.severity.name()).or_default() += 1;
        *report.by_kind.entry(r.kind.name()).or_default() += 1;
    }
    report
}

/// What an action says about its tool's claim, if anything: (kind, severity).
fn judge(a: &Action, listed: Option<&Listed>) -> Option<(FindingKind, FindingSeverity)> {
    use FindingSeverity::{Critical, High, Low, Medium};
    let writes = matches!(a.class, Class::Write | Class::Ddl | Class::Role);
    let went_through = a.outcome == Outcome::Allow;
    let claim = listed.map(|l| &l.claim).filter(|c| c.annotated);
    let Some(claim) = claim else {
        return writes.then_some((FindingKind::UnannotatedWrite, Low));
    };
    let high_if_through = if went_through { High } else { Medium };
    if claim.read_only && writes {
        let severity = match (went_through, a.production) {
            (true, true) => Critical,
            (true, false) => High,
            (false, _) => Medium,
        };
        return Some((FindingKind::ReadOnlyContradiction, severity));
    }
    if !claim.read_only && !claim.destructive && destructive(a.command.as_deref()) {
        return Some((FindingKind::DestructiveContradiction, high_if_through));
    }
    if !claim.open_world && a.class == Class::Network && a.ungranted {
        return Some((FindingKind::OpenWorldContradiction, high_if_through));
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
    let mut ids = HashSet::new();
    for batch in read::evidence(case_root, manifest, SpanRow::TABLE)? {
        let v = SpansView::of(&batch)?;
        ids.extend((0..v.num_rows).filter_map(|i| v.span_id.get(i)).map(str::to_string));
    }
    Ok(ids)
}

fn read_actions(batches: &[arrow_array::RecordBatch], spans: &HashSet<String>) -> Result<Vec<Action>, TableError> {
    let mut out = Vec::new();
    for b in batches {
        let v = ActionsView::of(b)?;
        for i in 0..v.num_rows {
            let Some(tool) = v.tool.get(i) else { continue };
            let table = v.evidence_table.get(i);
            let own_span_seen = v.span_id.get(i).is_some_and(|sp| spans.contains(sp));
            let layers: BTreeSet<&'static str> = match table {
                EvidenceTable::DbEvents if own_span_seen => ["db", "telemetry"].into(),
                EvidenceTable::DbEvents => ["db"].into(),
                // Placed inside a tool call by that call's own span.
                EvidenceTable::KernelEvents if own_span_seen => ["kernel", "telemetry"].into(),
                EvidenceTable::KernelEvents => ["kernel"].into(),
                EvidenceTable::Spans => ["telemetry"].into(),
            };
            out.push(Action {
                id: v.action_id.get(i).to_string(),
                ts: v.ts.get(i),
                agent: v.agent.get(i).map(str::to_string),
                session: v.session.get(i).map(str::to_string),
                principal: v.principal.get(i).map(str::to_string),
                tool: tool.to_string(),
                server: v.mcp_server.get(i).map(str::to_string),
                resource: v.resource.get(i).to_string(),
                production: v.production.get(i),
                class: v.class.get(i),
                command: v.command.get(i).map(str::to_string),
                outcome: v.outcome.get(i),
                ungranted: v.violation.get(i).is_some() || v.verdict.get(i) == Verdict::NotJudged,
                conf: v.conf.get(i),
                layers,
                evidence: format!("{table}:{}:{}", v.evidence_file.get(i), v.evidence_line.get(i)),
            });
        }
    }
    Ok(out)
}

fn finding(key: &[String], g: Group) -> FindingRow {
    let first = &g.actions[0];
    let layers: BTreeSet<&str> = g.actions.iter().flat_map(|a| a.layers.iter().copied()).collect();
    let conf = g.actions.iter().map(|a| a.conf).max().unwrap_or_default();
    let first_ts = g.actions.iter().filter_map(|a| a.ts).min();
    let last_ts = g.actions.iter().filter_map(|a| a.ts).max();
    let mut evidence: Vec<&str> = g.actions.iter().map(|a| a.evidence.as_str()).collect();
    evidence.dedup();
    let annotations = g.listed.as_ref().map_or_else(
        || "never listed: no annotations seen".to_string(),
        |l| l.claim.describe(),
    );
    let claim = match g.kind {
        FindingKind::ReadOnlyContradiction => "readOnlyHint=true".to_string(),
        FindingKind::DestructiveContradiction => "destructiveHint=false".to_string(),
        FindingKind::OpenWorldContradiction => "openWorldHint=false".to_string(),
        _ => "no annotations".to_string(),
    };
    let observed = format!(
        "{} {} on {}",
        first.class,
        first.command.as_deref().unwrap_or("?"),
        first.resource
    );
    let went = if first.outcome == Outcome::Allow {
        "went through"
    } else {
        "was refused"
    };
    let n = g.actions.len();
    let detail = match g.kind {
        FindingKind::ReadOnlyContradiction => format!("claims readOnlyHint=true, and {observed} {went} ({n}x)"),
        FindingKind::DestructiveContradiction => {
            format!("claims destructiveHint=false, and {observed} {went} ({n}x)")
        }
        FindingKind::OpenWorldContradiction => {
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
        outcome: Some(first.outcome),
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
        kind: FindingKind::ClaimChanged,
        severity: FindingSeverity::Medium,
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
        conf: Conf::Attributed,
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
/// The ledger record of a finding whose stored row hashes to `row`.
pub fn finding_record(r: &FindingRow, row: &str) -> Record {
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
    put("class", r.class.map(|c| c.name().to_string()));
    put("command", r.command.clone());
    put("resource", r.resource.clone());
    put("outcome", r.outcome.map(|o| o.name().to_string()));
    put("layers", Some(r.layers.clone()));
    put("count", Some(r.count.to_string()));
    put("last", rfc3339(r.last_ts));
    put("conf", Some(r.conf.to_string()));
    put("row", Some(row.to_string()));
    Record {
        kind: RecordKind::Finding,
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
        outcome: r.outcome,
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
/// partitioned by the first time observed. Returns each row's hash as stored, in the order of
/// `rows`, for its ledger record's `row=`.
pub fn write_findings(case_root: &Path, tag: &str, rows: &[FindingRow]) -> Result<Vec<String>, DiffError> {
    let dir = case_root.join("parquet").join(FindingRow::TABLE);
    let mut writer = PartitionedWriter::new(&dir, tag, FindingRow::schema(), vec![])?;
    let mut by_date: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        by_date
            .entry(date_partition(r.first_ts.map(|t| t / 1000)))
            .or_default()
            .push(i);
    }
    let mut hashes = vec![String::new(); rows.len()];
    for (date, positions) in by_date {
        let mut b = FindingsBuilder::new();
        for &i in &positions {
            b.append(&rows[i]);
        }
        let batch = b.finish()?;
        for (j, &i) in positions.iter().enumerate() {
            hashes[i] = crate::table::read::row_hash(&batch, j);
        }
        writer.write(&date, &batch)?;
    }
    writer.finish()?;
    Ok(hashes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::tool_hints::Origin;
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
            class: Class::from_name(class).unwrap(),
            command: Some(command.into()),
            outcome: Outcome::from_name(outcome).unwrap(),
            ungranted: false,
            conf: Conf::Attributed,
            layers: BTreeSet::from(["db"]),
            evidence: "db_events:f:1".into(),
        }
    }

    /// The judgement by name.
    fn judge(a: &Action, l: Option<&Listed>) -> Option<(&'static str, &'static str)> {
        super::judge(a, l).map(|(k, s)| (k.name(), s.name()))
    }

    fn listed(read_only: bool, destructive: bool, open_world: bool) -> Listed {
        Listed {
            seen_at: None,
            file: "f".into(),
            listing: 1,
            line: 1,
            origin: Origin::Traffic,
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
        connect.ungranted = true; // an unlisted_resource violation
        assert_eq!(judge(&connect, Some(&ro)), Some(("open_world_contradiction", "high")));
        assert_eq!(
            judge(&connect, Some(&listed(true, true, true))),
            None,
            "openWorldHint true"
        );
    }
}

//! The agent inventory: every agent identity any source saw, the shared principals attribution
//! collapses through, and what each source covers.
//!
//! Identities come from each source on its own — pgAudit's application_name (read by the
//! policy's convention) or a role the policy says is one agent's own (db_events), OpenTelemetry
//! spans and log records — so an agent seen by only one of them stands out (uncorroborated), as
//! does one the policy does not name (unknown). Each agent lists the principals it was seen
//! through: database roles (a pattern of roles made per lease, such as Vault's, counted as
//! leases with the first and last seen), uids and services, and whether the policy says they
//! are its own. Unattributed actions are
//! counted per principal: the structural reason attribution collapses, shown plainly. Coverage
//! gives each source's time range and the gaps where one source saw activity another should
//! have seen: a database client span with no pgAudit record of its statement (an action
//! correlate could only take from telemetry), and a host whose kernel capture stopped before the
//! rest of the evidence (no trailer, or an early end). Gaps are findings too.
//!
//! In: the case's db_events, spans, log_events, kernel_events and actions, ingest.json (which
//! captures have a trailer), and the policy. Out: an [`Inventory`] and the gap findings.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

use crate::case::IngestManifest;
use crate::policy::{Class, Policy, PrincipalKind};
use crate::table::actions::{ActionsView, Conf, EvidenceTable};
use crate::table::db_events::{DbEvent, DbEventsView};
use crate::table::kernel_events::{KernelEventRow, KernelEventsView};
use crate::table::read::{self, ReadError};
use crate::table::schema::{FindingKind, FindingRow, FindingSeverity};
use crate::table::schema::{LogEventRow, LogEventsView};
use crate::table::spans::{SpanRow, SpansView};
use crate::time::rfc3339;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Agent {
    pub agent: String,
    pub sessions: BTreeSet<String>,
    pub tools: BTreeSet<String>,
    pub resources: BTreeSet<String>,
    /// db_events, spans, log_events, kernel_events: the sources whose own records name the agent.
    pub sources: BTreeSet<&'static str>,
    /// Actions attributed (or approximately attributed) to it by correlation.
    pub actions: u64,
    pub first: Option<String>,
    pub last: Option<String>,
    /// The policy has no agent block naming it (only the default block, if any, applies).
    pub unknown: bool,
    /// Only one source names it.
    pub uncorroborated: bool,
    /// The principals its actions came through.
    pub principals: Vec<SeenPrincipal>,
    #[serde(skip)]
    first_ns: Option<i64>,
    #[serde(skip)]
    last_ns: Option<i64>,
}

/// A principal (or, for principals made per lease, the policy's pattern of them) an agent's
/// actions came through.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SeenPrincipal {
    pub kind: Option<PrincipalKind>,
    /// The role, uid or service; for per-lease roles the pattern that claims them.
    pub name: String,
    /// The policy says it is this agent's own (`db_roles`, `uids`, `services`).
    pub owned: bool,
    /// Principals made per lease (a glob claim): how many distinct ones were seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leases: Option<u64>,
    pub actions: u64,
    pub first: Option<String>,
    pub last: Option<String>,
    #[serde(skip)]
    seen: BTreeSet<String>,
    #[serde(skip)]
    first_ns: Option<i64>,
    #[serde(skip)]
    last_ns: Option<i64>,
}

/// The kind and name of an action's principal column (`uid N`, `service NAME`, or a role).
pub fn principal_kind(principal: &str) -> (PrincipalKind, &str) {
    if let Some(uid) = principal.strip_prefix("uid ") {
        (PrincipalKind::Uid, uid)
    } else if let Some(service) = principal.strip_prefix("service ") {
        (PrincipalKind::Service, service)
    } else {
        (PrincipalKind::DbRole, principal)
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Principal {
    pub principal: String,
    pub unattributed: u64,
    pub approximate: u64,
    pub attributed: u64,
    /// The policy declares it shared.
    pub shared: bool,
    /// Agents whose attributed actions used it.
    pub agents: BTreeSet<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Coverage {
    pub source: &'static str,
    /// The server or service the rows come from.
    pub scope: String,
    pub rows: u64,
    pub first: Option<String>,
    pub last: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Gap {
    /// Where activity was seen without the record that should accompany it.
    pub resource: String,
    pub seen_by: &'static str,
    pub missing: &'static str,
    pub count: u64,
    pub first: Option<String>,
    pub last: Option<String>,
    pub finding_id: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Inventory {
    pub agents: Vec<Agent>,
    pub principals: Vec<Principal>,
    pub coverage: Vec<Coverage>,
    pub gaps: Vec<Gap>,
}

/// Nanoseconds of row `i` of a timestamp column in µs or ns.
/// What one evidence row says about who was there.
struct Sighting<'b> {
    ts: Option<i64>,
    /// The server (db_events) or service (spans, log_events) that recorded it.
    scope: Option<&'b str>,
    /// The agent and session it names.
    named: Option<(String, Option<String>)>,
    tool: Option<&'b str>,
}

/// Every row of the case's evidence tables as a sighting, per table.
fn sightings(
    case_root: &Path,
    manifest: &IngestManifest,
    policy: &Policy,
    mut each: impl FnMut(&'static str, Sighting<'_>),
) -> Result<(), ReadError> {
    let owned = |a: Option<&str>, s: Option<&str>| a.map(|a| (a.to_string(), s.map(str::to_string)));
    for b in read::evidence(case_root, manifest, DbEvent::TABLE)? {
        let v = DbEventsView::of(&b)?;
        for i in 0..v.num_rows {
            // The agent is what the policy reads there (the estate's application_name
            // convention, a role that is one agent's own), not ingest's split.
            let named = v
                .application_name
                .get(i)
                .and_then(|a| policy.agent_session(a))
                .or_else(|| {
                    let role = v.db_user.get(i)?;
                    let o = policy.owner(PrincipalKind::DbRole, role)?;
                    Some((o.agent.to_string(), o.claim.dynamic().then(|| role.to_string())))
                });
            let ts = v.ts.get(i).map(|t| t * 1000);
            each(
                DbEvent::TABLE,
                Sighting {
                    ts,
                    scope: v.server.get(i),
                    named,
                    tool: None,
                },
            );
        }
    }
    for b in read::evidence(case_root, manifest, SpanRow::TABLE)? {
        let v = SpansView::of(&b)?;
        for i in 0..v.num_rows {
            each(
                SpanRow::TABLE,
                Sighting {
                    ts: v.start_time.get(i),
                    scope: v.service_name.get(i),
                    named: owned(v.agent.get(i), v.session.get(i)),
                    tool: v.tool.get(i),
                },
            );
        }
    }
    // The kernel layer names an agent by the environment the recorder allow-listed (AGENT_ID).
    for b in read::evidence(case_root, manifest, KernelEventRow::TABLE)? {
        let v = KernelEventsView::of(&b)?;
        for i in 0..v.num_rows {
            each(
                KernelEventRow::TABLE,
                Sighting {
                    ts: v.ts.get(i),
                    scope: Some(v.host.get(i)),
                    named: owned(v.agent.get(i), v.session.get(i)),
                    tool: None,
                },
            );
        }
    }
    for b in read::evidence(case_root, manifest, LogEventRow::TABLE)? {
        let v = LogEventsView::of(&b)?;
        for i in 0..v.num_rows {
            each(
                LogEventRow::TABLE,
                Sighting {
                    ts: v.time.get(i).or(v.observed_time.get(i)),
                    scope: v.service_name.get(i),
                    named: owned(v.agent.get(i), v.session.get(i)),
                    tool: v.tool.get(i),
                },
            );
        }
    }
    Ok(())
}

impl Agent {
    fn saw(&mut self, ts: Option<i64>) {
        if let Some(t) = ts {
            self.first_ns = Some(self.first_ns.map_or(t, |f| f.min(t)));
            self.last_ns = Some(self.last_ns.map_or(t, |l| l.max(t)));
        }
    }
}

/// Builds the inventory of the case at `case_root` under `policy`.
pub fn build(
    case_root: &Path,
    manifest: &IngestManifest,
    policy: &Policy,
) -> Result<(Inventory, Vec<FindingRow>), crate::ledger::LedgerError> {
    let mut agents: BTreeMap<String, Agent> = BTreeMap::new();
    let mut coverage: BTreeMap<(&'static str, String), Coverage> = BTreeMap::new();
    let mut cover_ns: BTreeMap<(&'static str, String), (i64, i64)> = BTreeMap::new();
    // The latest time any other source saw something, with the times, to tell what a capture
    // that ended early missed.
    let mut others: Vec<i64> = Vec::new();
    sightings(case_root, manifest, policy, |table, seen| {
        if table != KernelEventRow::TABLE
            && let Some(t) = seen.ts
        {
            others.push(t);
        }
        let key = (table, seen.scope.unwrap_or("(unnamed)").to_string());
        let cov = coverage.entry(key.clone()).or_insert_with(|| Coverage {
            source: table,
            scope: key.1.clone(),
            ..Coverage::default()
        });
        cov.rows += 1;
        if let Some(t) = seen.ts {
            let r = cover_ns.entry(key).or_insert((t, t));
            *r = (r.0.min(t), r.1.max(t));
        }
        let Some((name, sess)) = seen.named else { return };
        let a = agents.entry(name.clone()).or_insert_with(|| Agent {
            agent: name.clone(),
            ..Agent::default()
        });
        a.sources.insert(table);
        a.sessions.extend(sess);
        a.tools.extend(seen.tool.map(str::to_string));
        a.saw(seen.ts);
    })?;
    for (key, (first, last)) in cover_ns {
        if let Some(c) = coverage.get_mut(&key) {
            c.first = rfc3339(Some(first));
            c.last = rfc3339(Some(last));
        }
    }

    let mut principals: BTreeMap<String, Principal> = BTreeMap::new();
    let mut seen_through: BTreeMap<(String, PrincipalKind, String), SeenPrincipal> = BTreeMap::new();
    let mut gaps: BTreeMap<String, (u64, Option<i64>, Option<i64>)> = BTreeMap::new();
    for b in crate::ledger::bound::read_bound(case_root, crate::ledger::bound::BoundTable::Actions)? {
        let v = ActionsView::of(&b).map_err(ReadError::from)?;
        for i in 0..v.num_rows {
            let ts = v.ts.get(i);
            let conf = v.conf.get(i);
            if let Some(p) = v.principal.get(i) {
                let e = principals.entry(p.to_string()).or_insert_with(|| Principal {
                    principal: p.to_string(),
                    shared: policy.is_shared_principal(p),
                    ..Principal::default()
                });
                match conf {
                    Conf::Attributed => e.attributed += 1,
                    Conf::Approximate => e.approximate += 1,
                    Conf::Unattributed => e.unattributed += 1,
                }
                if conf != Conf::Unattributed {
                    e.agents.extend(v.agent.get(i).map(str::to_string));
                }
            }
            let resource = v.resource.get(i);
            if v.evidence_table.get(i) == EvidenceTable::Spans && v.class.get(i) != Class::Network {
                let g = gaps.entry(database_of(resource)).or_default();
                g.0 += 1;
                g.1 = ts.map(|t| g.1.map_or(t, |f: i64| f.min(t))).or(g.1);
                g.2 = ts.map(|t| g.2.map_or(t, |l: i64| l.max(t))).or(g.2);
            }
            let Some(name) = v.agent.get(i) else { continue };
            if let Some(p) = v.principal.get(i) {
                let (kind, bare) = principal_kind(p);
                let owner = policy.owner(kind, bare).filter(|o| o.agent == name);
                let (key, lease) = match owner {
                    Some(o) if o.claim.dynamic() => (o.claim.pattern.clone(), true),
                    _ => (bare.to_string(), false),
                };
                let e = seen_through
                    .entry((name.to_string(), kind, key.clone()))
                    .or_insert_with(|| SeenPrincipal {
                        kind: Some(kind),
                        name: key,
                        owned: owner.is_some(),
                        ..SeenPrincipal::default()
                    });
                e.actions += 1;
                if lease {
                    e.seen.insert(bare.to_string());
                    e.leases = Some(e.seen.len() as u64);
                }
                if let Some(t) = ts {
                    e.first_ns = Some(e.first_ns.map_or(t, |f| f.min(t)));
                    e.last_ns = Some(e.last_ns.map_or(t, |l| l.max(t)));
                }
            }
            let a = agents.entry(name.to_string()).or_insert_with(|| Agent {
                agent: name.to_string(),
                ..Agent::default()
            });
            a.actions += 1;
            a.sessions.extend(v.session.get(i).map(str::to_string));
            a.tools.extend(v.tool.get(i).map(str::to_string));
            a.resources.insert(resource.to_string());
            a.saw(ts);
        }
    }

    let named = |agent: &str| {
        policy.agents.iter().any(|b| {
            b.name.as_deref().is_some_and(|n| {
                let n = n.split('@').next().unwrap_or(n);
                crate::policy::pattern::glob(n.as_bytes(), agent.as_bytes())
            })
        })
    };
    for ((agent, _, _), mut p) in seen_through {
        p.first = rfc3339(p.first_ns);
        p.last = rfc3339(p.last_ns);
        if let Some(a) = agents.get_mut(&agent) {
            a.principals.push(p);
        }
    }
    let agents: Vec<Agent> = agents
        .into_values()
        .map(|mut a| {
            a.unknown = !named(&a.agent);
            a.uncorroborated = a.sources.len() < 2;
            a.first = rfc3339(a.first_ns);
            a.last = rfc3339(a.last_ns);
            a
        })
        .collect();
    let mut principals: Vec<Principal> = principals
        .into_values()
        .filter(|p| p.unattributed + p.approximate > 0)
        .collect();
    principals.sort_by(|a, b| b.unattributed.cmp(&a.unattributed).then(a.principal.cmp(&b.principal)));

    let mut findings = Vec::new();
    let mut gaps: Vec<Gap> = gaps
        .into_iter()
        .map(|(resource, (count, first, last))| {
            let row = gap_finding(&resource, count, first, last);
            let gap = Gap {
                resource,
                seen_by: "spans",
                missing: "db_events",
                count,
                first: rfc3339(first),
                last: rfc3339(last),
                finding_id: row.finding_id.clone(),
            };
            findings.push(row);
            gap
        })
        .collect();
    for (gap, row) in capture_gaps(case_root, manifest, &others)? {
        gaps.push(gap);
        findings.push(row);
    }
    Ok((
        Inventory {
            agents,
            principals,
            coverage: coverage.into_values().collect(),
            gaps,
        },
        findings,
    ))
}

/// Where the kernel layer stopped before the rest of the evidence: a capture with no trailer
/// (the recorder was killed, or its host went down) until the next capture of its host begins,
/// and a host whose last capture ends before the other sources' last event. Several captures of
/// one host (one per session, say) cover it together. Each gap names its host and the span it
/// missed; the other sources' events in that span are its count.
fn capture_gaps(
    case_root: &Path,
    manifest: &IngestManifest,
    others: &[i64],
) -> Result<Vec<(Gap, FindingRow)>, ReadError> {
    // Per capture file: its host, first and last event.
    let mut captures: BTreeMap<String, (String, i64, i64)> = BTreeMap::new();
    for b in read::evidence(case_root, manifest, KernelEventRow::TABLE)? {
        let v = KernelEventsView::of(&b)?;
        for i in 0..v.num_rows {
            let Some(t) = v.ts.get(i) else { continue };
            let entry = captures
                .entry(v.source.file.get(i).to_string())
                .or_insert_with(|| (v.host.get(i).to_string(), t, t));
            entry.1 = entry.1.min(t);
            entry.2 = entry.2.max(t);
        }
    }
    let Some(&end) = others.iter().max() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let mut gap = |resource: String, from: i64, to: i64, why: String| {
        let missed = others.iter().filter(|&&t| t > from && t <= to).count() as u64;
        let mut row = gap_finding(&resource, missed, Some(from), Some(to));
        row.claim = "the kernel layer records the host until the evidence ends".into();
        row.layers = "kernel".into();
        row.detail = format!(
            "{why}: the kernel saw nothing of {} .. {}, while other sources saw {missed} event(s) then",
            rfc3339(Some(from)).unwrap_or_default(),
            rfc3339(Some(to)).unwrap_or_default()
        );
        let g = Gap {
            resource,
            seen_by: "db_events, spans, log_events",
            missing: "kernel_events",
            count: missed,
            first: rfc3339(Some(from)),
            last: rfc3339(Some(to)),
            finding_id: row.finding_id.clone(),
        };
        out.push((g, row));
    };
    let mut host_last: BTreeMap<&str, i64> = BTreeMap::new();
    // Hosts whose cut capture's gap already runs to the end of the evidence.
    let mut reaches_end: Vec<&str> = Vec::new();
    // Where a cut capture's gap starts, per host: two captures cut at once are one gap.
    let mut cut_at: Vec<(&str, i64)> = Vec::new();
    for (path, (host, _, last)) in &captures {
        let l = host_last.entry(host.as_str()).or_insert(*last);
        *l = (*l).max(*last);
        // Ingested more than once (while recording, then finished): any copy with a trailer.
        let trailer = manifest
            .files
            .iter()
            .filter(|f| f.path == *path)
            .any(|f| f.counts.other_lines.get("capture_trailer").copied().unwrap_or(0) > 0);
        // Another capture of the host going on past this one's end covers it.
        let covered = captures
            .values()
            .any(|(h, first, other_last)| h == host && *first <= *last && *other_last > *last);
        if trailer || covered || cut_at.contains(&(host.as_str(), *last)) {
            continue;
        }
        cut_at.push((host.as_str(), *last));
        // Until the host's next capture starts, or the evidence ends.
        let next = captures
            .values()
            .filter(|(h, first, _)| h == host && first > last)
            .map(|(_, first, _)| *first)
            .min()
            .unwrap_or(end);
        if next == end {
            reaches_end.push(host.as_str());
        }
        if next > *last {
            gap(
                format!("host {host} (capture {path})"),
                *last,
                next,
                format!(
                    "the kernel capture {path} of {host} has no trailer: its recorder was killed or its host went down"
                ),
            );
        }
    }
    for (host, last) in host_last {
        if last < end && !reaches_end.contains(&host) {
            gap(
                format!("host {host}"),
                last,
                end,
                format!("the last kernel capture of {host} ends before the rest of the evidence"),
            );
        }
    }
    Ok(out)
}

/// SERVER/DATABASE of a database resource (the level pgAudit logging is configured at).
fn database_of(resource: &str) -> String {
    resource.split('/').take(2).collect::<Vec<_>>().join("/")
}

fn gap_finding(database: &str, count: u64, first: Option<i64>, last: Option<i64>) -> FindingRow {
    let id = blake3::Hasher::new_derive_key("agaudit 2026-11 finding id v1")
        .update(b"coverage_gap\0")
        .update(database.as_bytes())
        .finalize();
    FindingRow {
        finding_id: id.to_hex()[..32].to_string(),
        kind: FindingKind::CoverageGap,
        severity: FindingSeverity::Medium,
        tool: String::new(),
        claim: "every statement on this database is audited (pgAudit)".into(),
        annotations: String::new(),
        resource: Some(database.to_string()),
        layers: "telemetry".into(),
        count,
        first_ts: first,
        last_ts: last,
        conf: Conf::Approximate,
        detail: format!(
            "{count} database statement(s) seen by telemetry on {database} with no pgAudit record: \
             the database's audit log does not cover them (pgAudit off, a log gap, or logs not ingested)"
        ),
        ..FindingRow::default()
    }
}

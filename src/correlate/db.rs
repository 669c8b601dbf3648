//! Database accesses: each pgAudit row becomes an access with an identity and its confidence.
//!
//! Identity comes from three independent places: the role the database authenticated, when the
//! policy says it is one agent's own (`db_roles`; a glob claims a role per lease, whose name is
//! then the session); the session's application_name, read by the estate's convention
//! (`identity { application_name = … }`, default AGENT@SESSION); and the statement's
//! sqlcommenter traceparent, followed through the span chain to the span that names the agent.
//! The rules (docs/correlation.md): the owned role alone, or with the others agreeing, is
//! `attributed` (the database authenticated it; the pgAudit row gives the outcome); so is the
//! trace and application_name agreeing, or either alone on a role that is not shared;
//! application_name alone on a shared role, any disagreement (both names in the reason), or
//! only a time overlap with exactly one database span is `approximate`; nothing is
//! `unattributed`. The same statement logged in several formats (stderr, csvlog, jsonlog of one
//! server) is one access whose other rows corroborate it.
//!
//! In: db_events batches, the span index, the policy (owned and shared principals, the
//! application_name convention). Out: [`Access`]es.

use std::collections::HashMap;

use arrow_array::RecordBatch;

use super::Access;
use super::spans::{Resolved, SpanIndex, Texts};
use crate::policy::{Class, Owner, Policy, PrincipalKind};
use crate::table::actions::{Conf, EvidenceTable};
use crate::table::db_events::DbEventsView;
use crate::table::declare::TableError;
use crate::table::read;

/// How far outside a database span's interval a statement may be logged and still overlap it
/// (client and server clocks, and the server logging at executor end).
const OVERLAP_SLACK_NS: i64 = 1_000_000_000;

/// Database client spans sorted by start, for the time-overlap fallback: resolved, so the
/// statements of a time window can be matched against spans of any trace's partition.
#[derive(Default)]
pub struct DbSpans {
    by_start: Vec<Resolved>,
    longest: i64,
}

impl DbSpans {
    /// Over the database client spans of `batches` (moved into room reserved once).
    pub fn new(batches: Vec<Vec<Resolved>>) -> DbSpans {
        let mut by_start: Vec<Resolved> = Vec::with_capacity(batches.iter().map(Vec::len).sum());
        for batch in batches {
            by_start.extend(batch.into_iter().filter(|r| r.db_client));
        }
        by_start.sort_unstable_by_key(|r| (r.start, r.end, r.trace, r.id, r.reference.line));
        let longest = by_start.iter().map(|r| r.end - r.start).max().unwrap_or(0);
        DbSpans { by_start, longest }
    }

    /// Whether a span running from `start` to `end` can overlap a statement logged between
    /// `from` and `to` (ns): the halo a time window needs around it.
    pub fn may_overlap(start: i64, end: i64, from: i64, to: i64) -> bool {
        start <= to.saturating_add(OVERLAP_SLACK_NS) && end.saturating_add(OVERLAP_SLACK_NS) >= from
    }

    /// Database spans whose interval (with slack) contains `ts` and whose namespace is
    /// `database` (or unknown).
    fn overlapping(&self, ts: i64, database: Option<&str>) -> Vec<&Resolved> {
        let hi = self.by_start.partition_point(|r| r.start <= ts + OVERLAP_SLACK_NS);
        let lo_start = ts - OVERLAP_SLACK_NS - self.longest;
        let mut out = Vec::new();
        for r in self.by_start[..hi].iter().rev() {
            if r.start < lo_start {
                break;
            }
            if r.end + OVERLAP_SLACK_NS < ts {
                continue;
            }
            let ns = r.db_namespace.as_deref();
            if ns.is_none() || database.is_none() || ns == database {
                out.push(r);
            }
        }
        out
    }
}

/// Turns one db_events batch into accesses (identity resolved, not yet judged).
pub fn accesses(
    batch: &RecordBatch,
    index: &SpanIndex,
    db_spans: &DbSpans,
    policy: &Policy,
) -> Result<Vec<Access>, TableError> {
    let v = DbEventsView::of(batch)?;
    let mut out = Vec::with_capacity(v.num_rows);
    // Both lookups repeat for every row of a session: once per distinct value.
    let mut owners: HashMap<&str, Option<Owner<'_>>> = HashMap::new();
    let mut app_names: HashMap<&str, Option<Who>> = HashMap::new();
    let mut texts = Texts::default();
    for i in 0..v.num_rows {
        let ts_ns = v.ts.get(i).map(|t| t * 1000);
        let principal = v.db_user.get(i).map(str::to_string);
        let database_name = v.database.get(i);
        let class_name = v.class.get(i).unwrap_or("");
        let access_class = Class::of_pgaudit(class_name);

        // Identity from the trace.
        let traced = match (v.trace_id.get(i), v.span_id.get(i)) {
            (Some(t), Some(sp)) => Some((t, sp, index.find(t, sp))),
            _ => None,
        };
        let chain = traced.and_then(|(_, _, found)| found).map(|k| (k, &index.chains[k]));
        let app = v
            .application_name
            .get(i)
            .and_then(|a| app_names.entry(a).or_insert_with(|| policy.agent_session(a)).clone());
        let owner = v.db_user.get(i).and_then(|p| {
            *owners
                .entry(p)
                .or_insert_with(|| policy.owner(PrincipalKind::DbRole, p))
        });
        let shared = principal.as_deref().is_some_and(|p| policy.is_shared_principal(p));
        let role = principal.as_deref().unwrap_or("?");

        let mut a = Access {
            ts: ts_ns,
            principal: principal.clone(),
            class: access_class,
            command: v.command.get(i).map(str::to_string),
            source_outcome: v.outcome.get(i).into(),
            evidence_table: EvidenceTable::DbEvents,
            evidence_file: texts.intern(v.source_file.get(i)),
            evidence_line: v.source_line.get(i),
            evidence_blake3: texts.intern(v.source_blake3.get(i)),
            evidence_row_hash: read::row_digest(batch, i).into(),
            ..Access::default()
        };
        if let Some((k, c)) = chain {
            let s = &index.spans[k];
            a.trace_id = Some(s.trace_hex());
            a.span_id = Some(s.id_hex());
            a.tool = c.owned_tool();
            a.mcp_server = c.owned_server();
            a.corroboration.push(s.reference());
            if let Some(agent_span) = c.agent_span {
                a.corroboration.push(index.spans[agent_span].reference());
            }
        }
        let trace_agent = chain.and_then(|(_, c)| c.owned_agent());
        let sp = traced.map_or("", |t| t.1);
        let named_by = chain.map_or_else(|| "its span chain names the agent".to_string(), |(_, c)| c.named_by());
        let via_trace = |sp: &str| format!("sqlcommenter traceparent → span {sp} → {named_by}");
        (a.agent, a.conf, a.reason) = if let Some(o) = owner {
            by_owned_role(o, role, app.as_ref(), trace_agent.as_ref(), &via_trace(sp))
        } else {
            match (&app, &trace_agent, traced) {
                (Some(app), Some(tr), _) if app == tr => (
                    Some(app.clone()),
                    Conf::Attributed,
                    format!(
                        "application_name and {} agree; outcome from the pgAudit row",
                        via_trace(sp)
                    ),
                ),
                (Some(app), Some(tr), _) => (
                    Some(tr.clone()),
                    Conf::Approximate,
                    format!(
                        "conflict: application_name says {} but {} {}; the trace is kept",
                        show(app),
                        via_trace(sp),
                        show(tr)
                    ),
                ),
                (None, Some(tr), _) => (
                    Some(tr.clone()),
                    Conf::Attributed,
                    format!("{}; outcome from the pgAudit row", via_trace(sp)),
                ),
                (Some(app), None, _) if shared => (
                    Some(app.clone()),
                    Conf::Approximate,
                    format!(
                        "only application_name, which any client of the shared role {role} can set; no trace context corroborates it"
                    ),
                ),
                (Some(app), None, _) => (
                    Some(app.clone()),
                    Conf::Attributed,
                    "application_name AGENT@SESSION on the session; outcome from the pgAudit row".to_string(),
                ),
                (None, None, Some((t, _, found))) => {
                    let why = if found.is_some() {
                        format!("traceparent names span {sp} of trace {t}, but no span of that trace names an agent")
                    } else {
                        format!(
                            "traceparent names span {sp} of trace {t}, which is not among the case's spans (ingest that trace)"
                        )
                    };
                    (None, Conf::Unattributed, why)
                }
                (None, None, None) => match ts_ns.map(|t| db_spans.overlapping(t, database_name)) {
                    Some(c) if c.len() == 1 && c[0].chain.agent.is_some() => {
                        let sp = c[0];
                        a.tool = sp.chain.owned_tool();
                        a.mcp_server = sp.chain.owned_server();
                        a.trace_id = Some(sp.trace_hex());
                        a.span_id = Some(sp.id_hex());
                        a.corroboration.push(sp.reference.clone());
                        (
                            sp.chain.owned_agent(),
                            Conf::Approximate,
                            format!(
                                "inferred: no application_name and no trace context; the only database span overlapping it in time is {}",
                                sp.id_hex()
                            ),
                        )
                    }
                    Some(c) if c.len() > 1 => (
                        None,
                        Conf::Unattributed,
                        format!(
                            "no application_name and no trace context; {} database spans overlap it in time, so none can be chosen",
                            c.len()
                        ),
                    ),
                    _ if shared => (
                        None,
                        Conf::Unattributed,
                        format!("shared role {role} with no application_name and no trace context"),
                    ),
                    _ => (
                        None,
                        Conf::Unattributed,
                        "no application_name and no trace context".to_string(),
                    ),
                },
            }
        };

        // Resource: SERVER/DATABASE[/OBJECT]; an unqualified table named by an error message
        // is qualified from the db span's collection when that ends in the same name.
        let srv = v.server.get(i).unwrap_or("unknown-server");
        let mut resource = match database_name {
            Some(db) => format!("{srv}/{db}"),
            None => srv.to_string(),
        };
        if let (Some(obj), Some(_)) = (v.object_name.get(i), database_name) {
            let qualified = if obj.contains('.') || v.object_type.get(i) == Some("SCHEMA") {
                obj.to_string()
            } else {
                chain
                    .and_then(|(k, _)| index.spans[k].db_collection.as_deref())
                    .filter(|c| c.rsplit_once('.').is_some_and(|(_, t)| t == obj))
                    .unwrap_or(obj)
                    .to_string()
            };
            resource.push('/');
            resource.push_str(&qualified);
        }
        a.resource = resource;
        a.dedupe = Some(dedupe_key(&[
            srv,
            v.session_id.get(i).unwrap_or(""),
            &v.backend_pid.get(i).unwrap_or(0).to_string(),
            &v.statement_id.get(i).unwrap_or(-1).to_string(),
            &v.substatement_id.get(i).unwrap_or(-1).to_string(),
            // Milliseconds: what every log format of one server prints.
            &v.ts.get(i).map_or(0, |t| t / 1000).to_string(),
            class_name,
            v.command.get(i).unwrap_or(""),
            v.object_name.get(i).unwrap_or(""),
            v.outcome.get(i).name(),
            v.sqlstate.get(i).unwrap_or(""),
        ]));
        out.push(a);
    }
    Ok(out)
}

type Who = (String, Option<String>);

/// Identity from a role the policy says is one agent's own: the database authenticated it, so
/// with nothing disagreeing it is `attributed`; application_name or the trace naming another
/// agent makes it `approximate`, both named (the trace is kept over the role, the role over
/// application_name, which any client sets). A role claimed by a glob is a role per lease: its
/// name is the session unless application_name or the trace gives one.
fn by_owned_role(
    o: Owner<'_>,
    role: &str,
    app: Option<&Who>,
    trace: Option<&Who>,
    via_trace: &str,
) -> (Option<Who>, Conf, String) {
    let lease = o.claim.dynamic().then(|| role.to_string());
    let owned = format!(
        "the database authenticated role {role}, which the policy says is {}'s own (db_roles \"{}\")",
        o.agent, o.claim.pattern
    );
    let (trace_other, app_other) = (trace.filter(|w| w.0 != o.agent), app.filter(|w| w.0 != o.agent));
    match (trace_other, app_other) {
        (None, None) => {
            let session = trace
                .and_then(|t| t.1.clone())
                .or_else(|| app.and_then(|a| a.1.clone()))
                .or(lease);
            let also = match (trace.is_some(), app.is_some()) {
                (true, true) => "; application_name and the trace agree",
                (true, false) => "; the trace agrees",
                (false, true) => "; application_name agrees",
                (false, false) => "",
            };
            (
                Some((o.agent.to_string(), session)),
                Conf::Attributed,
                format!("{owned}{also}; outcome from the pgAudit row"),
            )
        }
        (Some(t), _) => (
            Some(t.clone()),
            Conf::Approximate,
            format!("conflict: {owned}, but {via_trace} {}; the trace is kept", show(t)),
        ),
        (None, Some(a)) => (
            Some((o.agent.to_string(), trace.and_then(|t| t.1.clone()).or(lease))),
            Conf::Approximate,
            format!(
                "conflict: {owned}, but application_name says {}; the role is kept (any client sets application_name)",
                show(a)
            ),
        ),
    }
}

fn show((agent, session): &(String, Option<String>)) -> String {
    match session {
        Some(s) => format!("{agent}@{s}"),
        None => agent.clone(),
    }
}

fn dedupe_key(parts: &[&str]) -> u128 {
    let mut h = blake3::Hasher::new();
    for p in parts {
        h.update(&(p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    u128::from_le_bytes(h.finalize().as_bytes()[..16].try_into().unwrap_or([0; 16]))
}

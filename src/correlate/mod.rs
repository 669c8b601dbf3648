//! Correlation: from normalised evidence to attributed, judged actions, written as evidence.
//!
//! Reads the case's db_events, spans, tool_hints, kernel_events and processes, resolves who did
//! each access and how sure that is ([`db`], [`spans`], [`kernel`]), judges
//! it against the policy, writes the `actions` table (replacing the previous run's) and appends
//! the chain of custody, the policy used and every action to the ledger — idempotently, so the
//! same case and policy give the same actions in the same order and no duplicate records.
//!
//! In: a case directory and a parsed policy. Out: CASE/parquet/actions/, ledger records, and a
//! [`Summary`].

pub mod db;
pub mod kernel;
pub mod partition;
pub mod rerun;
pub mod spans;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use indicatif::ProgressBar;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use self::spans::{Reference, Text};
use crate::case::{Case, IngestManifest};
use crate::ledger::{Appended, Ledger, LedgerError, Record, RecordKind};
use crate::policy::{Class, Judgement, Policy};
use crate::table::actions::{
    ActionRow, ActionsBuilder, ActionsView, Conf, EvidenceTable, Outcome, SourceOutcome, Verdict,
};
use crate::table::db_events::{DbEvent, DbEventsView};
use crate::table::declare::TableError;
use crate::table::kernel_events::{KernelEventRow, KernelEventsView, ProcessRow};
use crate::table::read::{self, ReadError};
use crate::table::schema::ResolvedSpansBuilder;
use crate::table::spans::{SpanRow, SpanStatus, SpansView};
use crate::table::tool_hints::{ToolHintRow, ToolHintsView};
use crate::table::writer::{PartitionedWriter, date_partition};

#[derive(Debug, thiserror::Error)]
pub enum CorrelateError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Table(#[from] TableError),
    #[error("building the actions batch: {0}")]
    Build(#[from] arrow_schema::ArrowError),
    #[error(transparent)]
    Write(#[from] crate::table::writer::WriteError),
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
    #[error(transparent)]
    Case(#[from] crate::case::CaseError),
    #[error(transparent)]
    Inputs(#[from] rerun::InputError),
    #[error(transparent)]
    Spill(#[from] partition::SpillError),
    #[error("{path}: the case cannot keep this policy: {error}")]
    PolicyNotKept {
        path: String,
        error: crate::policy::canonical::CanonicalError,
    },
}

/// The policy a case is judged with: the file it came from (its path as given, its text and the
/// blake3 of its bytes). Correlate judges with the form the case keeps of it.
pub struct InForce<'p> {
    pub path: &'p str,
    pub text: &'p str,
    pub blake3: &'p str,
}

/// One observed access before judgement.
#[derive(Debug, Clone, Default)]
pub struct Access {
    pub ts: Option<i64>,
    pub agent: AgentSession,
    pub principal: Option<String>,
    pub tool: Option<String>,
    pub mcp_server: Option<String>,
    pub resource: String,
    pub class: Class,
    pub command: Option<String>,
    pub source_outcome: SourceOutcome,
    pub conf: Conf,
    pub reason: String,
    pub trace_id: Option<String>,
    pub span_id: Option<String>,
    pub evidence_table: EvidenceTable,
    /// Shared by the rows of a batch.
    pub evidence_file: Text,
    pub evidence_line: u64,
    pub evidence_blake3: Text,
    /// The evidence row's hash, as bytes (hex only in the action row).
    pub evidence_row_hash: [u8; 32],
    pub corroboration: Vec<Reference>,
    /// Same access seen in several rows (one statement in several log formats).
    pub dedupe: Option<u128>,
}

/// The judgements made so far, by resource, then agent, session and class: actions with the
/// same agent, resource and class get the same judgement, and a resource rarely has more than a
/// few of those, so the lookup borrows the resource and scans the few. Whether the resource is
/// production is kept with them.
#[derive(Default)]
struct Judgements {
    by_resource: HashMap<String, Judged>,
}

/// Whether a resource is production, and the judgements made on it.
type Judged = (bool, Vec<(AgentSession, Class, Judgement)>);

/// An access's agent and session, when it has one.
type AgentSession = Option<(String, Option<String>)>;

impl Judgements {
    /// Judges `row` (its agent, resource and class) against the policy: the policy's verdict,
    /// and the outcome an auditor reads.
    fn judge(&mut self, policy: &Policy, row: &mut ActionRow) {
        let agent = row.agent.as_deref().map(|a| (a, row.session.as_deref()));
        let same = |(known, class, _): &&(AgentSession, Class, Judgement)| {
            *class == row.class && known.as_ref().map(|(a, s)| (a.as_str(), s.as_deref())) == agent
        };
        let known = self.by_resource.get(&row.resource);
        let (j, production) = match known.map(|(p, k)| (*p, k.iter().find(same))) {
            Some((production, Some((_, _, j)))) => (j.clone(), production),
            _ => {
                let j = policy.judge(agent, &row.resource, row.class);
                let owned = agent.map(|(a, s)| (a.to_string(), s.map(str::to_string)));
                let (production, judged) = self
                    .by_resource
                    .entry(row.resource.clone())
                    .or_insert_with(|| (policy.is_production(&row.resource), Vec::new()));
                judged.push((owned, row.class, j.clone()));
                (j, *production)
            }
        };
        row.production = production;
        row.outcome = if row.source_outcome == SourceOutcome::Refused {
            Outcome::Deny
        } else {
            Outcome::Allow
        };
        row.verdict = match (j.violation, row.outcome) {
            (None, _) if j.rule.is_none() && row.agent.is_none() => Verdict::NotJudged,
            (None, _) => Verdict::Ok,
            (Some(_), Outcome::Deny) => Verdict::ViolationRefused,
            (Some(_), Outcome::Allow) => Verdict::ViolationAllowed,
        };
        (row.violation, row.rule, row.on_violation) = (j.violation, j.rule, j.on_violation);
    }
}

/// What a run produced.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Summary {
    pub actions: u64,
    /// Evidence rows folded into another action (the same statement in another log format).
    pub duplicates_folded: u64,
    pub by_conf: BTreeMap<String, u64>,
    pub by_verdict: BTreeMap<String, u64>,
    pub violations: BTreeMap<String, u64>,
    /// Unattributed actions per principal: shown, never attached to an agent.
    pub unattributed_by_principal: BTreeMap<String, u64>,
    pub policy_blake3: String,
    pub ledger_appended: u64,
    pub ledger_already: u64,
    pub ledger_head_seq: u64,
    /// Kernel events that are not actions, by why (they stay in kernel_events).
    pub kernel_not_actions: kernel::Skipped,
    /// How the run was cut to fit its memory budget ([`partition`]); zeros in a summary
    /// recorded before parts existed.
    #[serde(default)]
    pub parts: partition::Counts,
    /// Nothing the correlation depends on changed since the full run the ledger last recorded
    /// ([`rerun`]): this is that run's summary, and nothing was correlated or appended.
    #[serde(default)]
    pub unchanged: bool,
}

/// The evidence rows correlate reads, the total its progress bar counts to.
pub fn evidence_rows(manifest: &IngestManifest) -> u64 {
    let tables = [SpanRow::TABLE, DbEvent::TABLE, KernelEventRow::TABLE];
    manifest
        .files
        .iter()
        .flat_map(|f| f.rows.iter())
        .filter(|(table, _)| tables.contains(&table.as_str()))
        .map(|(_, n)| n)
        .sum()
}

/// Correlates the (locked) case under `policy` (whose file is `policy_path` with bytes
/// hashing to `policy_blake3`). `progress` counts to [`evidence_rows`] as the rows become
/// accesses, then names the stage (judging, writing actions, the ledger).
pub fn run(
    case: &Case,
    manifest: &IngestManifest,
    in_force: &InForce,
    budget: Option<u64>,
    progress: &ProgressBar,
) -> Result<(Summary, Option<crate::ledger::Recovered>), CorrelateError> {
    // Open the ledger first: a tampered ledger stops the run before anything is written.
    let case_root = case.root();
    let mut ledger = Ledger::open(case, &manifest.case_id)?;
    let (policy_path, policy_blake3) = (in_force.path, in_force.blake3);
    // The case keeps the policy it is judged with, so its views need nothing from outside it;
    // the actions are judged with that kept form too, so they and the views agree (the two
    // differ only where a value matched a secret rule, as the evidence it matches did).
    let canonical =
        crate::policy::canonical::canonical(in_force.text).map_err(|error| CorrelateError::PolicyNotKept {
            path: policy_path.to_string(),
            error,
        })?;
    let kept = case.keep_policy(policy_blake3, &canonical)?;
    let (kept_policy, _) = crate::policy::parse(&canonical);
    let policy = &kept_policy;
    let recovered = ledger.recovered().cloned();

    let inputs = rerun::inputs(case_root, manifest, policy_blake3, &kept)?;
    let last = ledger.last_correlated()?;
    if let Some(mut summary) =
        rerun::unchanged(case_root, last.as_ref().map(|(i, s)| (i.as_str(), s.as_str())), &inputs)
    {
        // Only a torn tail's recovery note, if the open found one, is written.
        let appended = ledger.append(std::iter::empty())?;
        summary.unchanged = true;
        summary.ledger_appended = 0;
        summary.ledger_head_seq = appended.head_seq;
        progress.finish_and_clear();
        return Ok((summary, recovered));
    }

    let facts = Facts {
        policy,
        claims: claims(case_root, manifest)?,
        lineages: kernel::lineages(&read::evidence(case_root, manifest, ProcessRow::TABLE)?)?,
    };
    let plan = partition::Plan::of(manifest, budget);
    let parts = if plan.is_single() {
        whole(case_root, manifest, &facts, progress)?
    } else {
        parted(case_root, manifest, &facts, plan, progress)?
    };
    let mut summary = Summary {
        policy_blake3: policy_blake3.to_string(),
        duplicates_folded: parts.folded,
        kernel_not_actions: parts.skipped.clone(),
        parts: parts.count,
        ..Summary::default()
    };
    progress.set_message("writing actions");
    let written = write_actions(case_root, parts, &facts, &mut summary)?;

    // The chain of custody and the policy, then one record per action, made as the ledger
    // takes them (a million actions never exist as records all at once).
    let mut custody: Vec<Record> = manifest
        .files
        .iter()
        .map(|f| Record {
            kind: RecordKind::Ingest,
            ts: f.ingested_at.clone(),
            fields: vec![
                ("path", f.path.clone()),
                ("size", f.size.to_string()),
                ("blake3", f.blake3.clone()),
                ("format", f.kind.clone()),
                ("status", f.status.name().to_string()),
            ],
        })
        .collect();
    custody.push(Record {
        kind: RecordKind::Policy,
        ts: crate::time::now(),
        fields: vec![
            ("path", policy_path.to_string()),
            ("blake3", policy_blake3.to_string()),
            ("kept", kept),
        ],
    });
    let n_records = custody.len() as u64 + summary.actions;
    let records = custody.into_iter().map(Ok).chain(ledger_records(written));

    // What this run was made of, for a later run to know it has nothing to do: every record of
    // this correlation is in the ledger once it is appended.
    let state = rerun::State {
        inputs: inputs.clone(),
        actions: rerun::actions_files(case_root)?,
        summary: Summary {
            ledger_already: n_records,
            ..summary.clone()
        },
    };
    let state_blake3 = rerun::save(case_root, &state)?;
    // The closing checkpoint names them, unless the latest one already does.
    let closing = if last == Some((inputs.clone(), state_blake3.clone())) {
        Vec::new()
    } else {
        vec![("inputs", inputs), ("state", state_blake3)]
    };
    progress.set_message("ledger");
    let Appended { new, already, head_seq } = ledger.append_closing(records, closing)?;
    progress.finish_and_clear();
    summary.ledger_appended = new;
    summary.ledger_already = already;
    summary.ledger_head_seq = head_seq;
    Ok((summary, recovered))
}

/// PostgreSQL's permission errors name a table without its schema (`permission denied for
/// table orders`). When exactly one schema-qualified table of that name was seen on the same
/// server and database, the resource is qualified with it and the reason says it was inferred;
/// otherwise the unqualified name stays. The tables seen, (SERVER/DATABASE, TABLE) → every
/// SCHEMA.TABLE, come from every part's database actions and are applied at the merge.
#[derive(Default)]
struct Tables(HashMap<(String, String), HashSet<String>>);

impl Tables {
    /// The schema-qualified tables the database accesses of a part name.
    fn seen(accesses: &[Access]) -> Tables {
        let mut known = Tables::default();
        for a in accesses.iter().filter(|a| a.evidence_table == EvidenceTable::DbEvents) {
            if let Some((db, object)) = a.resource.rsplit_once('/')
                && let Some((_, table)) = object.split_once('.')
            {
                known
                    .0
                    .entry((db.to_string(), table.to_string()))
                    .or_default()
                    .insert(object.to_string());
            }
        }
        known
    }

    fn absorb(&mut self, other: Tables) {
        for (k, names) in other.0 {
            self.0.entry(k).or_default().extend(names);
        }
    }

    /// Qualifies the resource of a database action that names a table without its schema, when
    /// exactly one schema-qualified table of that name was seen; true when it did.
    fn qualify(&self, row: &mut ActionRow) -> bool {
        if row.evidence_table != EvidenceTable::DbEvents {
            return false;
        }
        let Some((db, object)) = row.resource.rsplit_once('/') else {
            return false;
        };
        if object.contains('.') || db.matches('/').count() != 1 {
            return false;
        }
        let Some(names) = self.0.get(&(db.to_string(), object.to_string())) else {
            return false;
        };
        let (1, Some(q)) = (names.len(), names.iter().next()) else {
            return false;
        };
        row.reason.push_str(&format!(
            "; the source names table {object} without a schema: {q} is inferred (the only {object} seen in {db})"
        ));
        row.resource = format!("{db}/{q}");
        true
    }
}

/// Accesses seen only in telemetry: outgoing network calls, and database spans whose
/// statement no pgAudit row shows. Their outcome is the span's own word: never `attributed`.
fn span_accesses(index: &spans::SpanIndex, traced: &HashSet<(u128, u64)>, policy: &Policy) -> Vec<Access> {
    let mut out = Vec::new();
    for (i, s) in index.spans.iter().enumerate() {
        let is_db = s.is_db_client();
        // Exactly the spans whose row hash the index kept (spans::read_batch).
        let (true, Some(row_hash)) = (is_db || s.is_network_client(), s.row_hash) else {
            continue;
        };
        if is_db && traced.contains(&(s.trace, s.id)) {
            continue;
        }
        let chain = &index.chains[i];
        let address = match (&s.server_address, s.server_port) {
            (Some(h), Some(p)) => Some(format!("{h}:{p}")),
            _ => None,
        };
        let endpoint = address.as_deref().and_then(|a| policy.endpoint_for(a));
        let resource = if is_db {
            let server = endpoint
                .map(str::to_string)
                .or(address.clone())
                .unwrap_or("unknown-server".into());
            [
                Some(server.as_str()),
                s.db_namespace.as_deref(),
                s.db_collection.as_deref(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("/")
        } else {
            endpoint.map_or_else(
                || format!("tcp://{}", address.clone().unwrap_or_default()),
                str::to_string,
            )
        };
        let who = if chain.agent.is_some() {
            chain.named_by()
        } else {
            "no span of its trace names an agent".to_string()
        };
        let what = if is_db {
            "database span with no pgAudit row for its statement"
        } else {
            "outgoing connection reported by telemetry"
        };
        let mut corroboration = Vec::new();
        if let Some(k) = chain.agent_span {
            corroboration.push(index.spans[k].reference());
        }
        out.push(Access {
            ts: s.start,
            agent: chain.owned_agent(),
            principal: s.service.as_ref().map(|n| format!("service {n}")),
            tool: chain.owned_tool(),
            mcp_server: chain.owned_server(),
            resource,
            class: if is_db { Class::Write } else { Class::Network },
            command: if is_db {
                s.name.as_deref().map(str::to_string)
            } else {
                Some("connect".into())
            },
            source_outcome: if s.status == SpanStatus::Error {
                SourceOutcome::Error
            } else {
                SourceOutcome::Ok
            },
            conf: if chain.agent.is_some() {
                Conf::Approximate
            } else {
                Conf::Unattributed
            },
            reason: format!(
                "{what}; {who}; outcome from telemetry only (no database or kernel record corroborates it)"
            ),
            trace_id: Some(s.trace_hex()),
            span_id: Some(s.id_hex()),
            evidence_table: EvidenceTable::Spans,
            evidence_file: s.source_file.clone(),
            evidence_line: s.source_line,
            evidence_blake3: s.source_blake3.clone(),
            evidence_row_hash: row_hash.into(),
            corroboration,
            dedupe: None,
        });
    }
    out
}

/// (MCP server, tool) → the tool's effective readOnlyHint in its latest listing.
fn claims(case_root: &Path, manifest: &IngestManifest) -> Result<HashMap<(String, String), bool>, CorrelateError> {
    let mut latest: HashMap<(String, String), (i32, bool)> = HashMap::new();
    for batch in read::evidence(case_root, manifest, ToolHintRow::TABLE)? {
        let v = ToolHintsView::of(&batch)?;
        for i in 0..v.num_rows {
            let Some(s) = v.server.get(i) else { continue };
            let (n, ro) = (v.listing.get(i).unwrap_or(0), v.effective_read_only.get(i));
            let key = (s.to_string(), v.tool.get(i).to_string());
            let slot = latest.entry(key).or_insert((n, ro));
            if n >= slot.0 {
                *slot = (n, ro);
            }
        }
    }
    Ok(latest.into_iter().map(|(k, (_, ro))| (k, ro)).collect())
}

/// An access as an action row, before judgement ([`Judgements::judge`] fills the verdict).
fn action_row(a: Access, claims: &HashMap<(String, String), bool>) -> ActionRow {
    let claimed_read_only = match (&a.mcp_server, &a.tool) {
        (Some(s), Some(t)) => claims.get(&(s.clone(), t.clone())).copied(),
        _ => None,
    };
    let row_hash = blake3::Hash::from_bytes(a.evidence_row_hash).to_hex();
    let id = blake3::Hasher::new_derive_key("agaudit 2026-11 action id v1")
        .update(a.evidence_table.name().as_bytes())
        .update(row_hash.as_bytes())
        .finalize();
    let (agent, session) = a.agent.map_or((None, None), |(n, s)| (Some(n), s));
    ActionRow {
        action_id: id.to_hex()[..32].to_string(),
        ts: a.ts,
        agent,
        session,
        principal: a.principal,
        tool: a.tool,
        mcp_server: a.mcp_server,
        resource: a.resource,
        op: a.class.op(),
        class: a.class,
        command: a.command,
        source_outcome: a.source_outcome,
        conf: a.conf,
        reason: a.reason,
        claimed_read_only,
        trace_id: a.trace_id,
        span_id: a.span_id,
        evidence_table: a.evidence_table,
        evidence_file: a.evidence_file.to_string(),
        evidence_line: a.evidence_line,
        evidence_blake3: a.evidence_blake3.to_string(),
        evidence_row_hash: row_hash.to_string(),
        corroboration: (!a.corroboration.is_empty()).then(|| {
            let refs: Vec<String> = a.corroboration.iter().map(Reference::to_string).collect();
            refs.join(" ")
        }),
        ..ActionRow::default()
    }
}

/// The ledger record of an action whose stored row hashes to `row`: the fields an auditor
/// reads, in a fixed order; absent values are left out.
fn action_record(r: &ActionRow, row: &str) -> Record {
    let ts = crate::time::rfc3339(r.ts).unwrap_or_else(|| "unknown".into());
    let agent = r.agent.as_ref().map(|a| match &r.session {
        Some(s) => format!("{a}@{s}"),
        None => a.clone(),
    });
    let mut fields: Vec<(&'static str, String)> = Vec::new();
    let mut put = |k: &'static str, v: Option<String>| {
        if let Some(v) = v {
            fields.push((k, v));
        }
    };
    put("agent", agent);
    put("principal", r.principal.clone());
    put("tool", r.tool.clone());
    put("resource", Some(r.resource.clone()));
    put("op", Some(r.op.to_string()));
    put("class", Some(r.class.to_string()));
    put("outcome", Some(r.outcome.to_string()));
    put("conf", Some(r.conf.to_string()));
    put("policy", r.violation.map(|v| v.name().to_string()));
    put("verdict", Some(r.verdict.to_string()));
    put("action", Some(r.action_id.clone()));
    put(
        "evidence",
        Some(format!("{}:{}", r.evidence_table, r.evidence_row_hash)),
    );
    put("row", Some(row.to_string()));
    Record {
        kind: RecordKind::Action,
        ts,
        fields,
    }
}

/// What every part needs: the policy and the small global facts.
struct Facts<'p> {
    policy: &'p Policy,
    /// (MCP server, tool) → the tool's effective readOnlyHint in its latest listing.
    claims: HashMap<(String, String), bool>,
    lineages: HashMap<(String, i64), Vec<i64>>,
}

/// What the parts made, for the merge: their sorted runs of judged rows, and what the merge
/// applies across them.
#[derive(Default)]
struct Parts {
    runs: Vec<Run>,
    tables: Tables,
    /// Database spans a time window's statement reached by overlap: not telemetry-only.
    reached: HashSet<(u128, u64)>,
    folded: u64,
    skipped: kernel::Skipped,
    count: partition::Counts,
    /// Holds the spill files the runs are read from.
    _spill: Option<partition::Spill>,
}

/// What one part made.
struct Part {
    rows: Vec<ActionRow>,
    tables: Tables,
    folded: u64,
}

/// The order of actions and of their ledger records.
fn action_order(r: &ActionRow) -> (Option<i64>, &str, u64, EvidenceTable) {
    (r.ts, &r.evidence_file, r.evidence_line, r.evidence_table)
}

/// The database spans some statement of `per_batch` reached, by its trace or by time overlap:
/// the others are accesses of their own.
fn reached(per_batch: &[Vec<Access>]) -> HashSet<(u128, u64)> {
    per_batch
        .iter()
        .flatten()
        .filter_map(|a| {
            Some((
                spans::parse_trace(a.trace_id.as_ref()?)?,
                spans::parse_span(a.span_id.as_ref()?)?,
            ))
        })
        .collect()
}

/// Finishes a part: the same statement logged in several formats folded into its first row,
/// the part's other accesses (telemetry-only, kernel) added, and every access judged, in the
/// actions' order. Accesses are consumed as their rows are made.
fn finish_part(facts: &Facts, per_batch: Vec<Vec<Access>>, others: Vec<Access>) -> Part {
    // Folded into room reserved once (a million accesses are not copied to grow).
    let db_rows: usize = per_batch.iter().map(Vec::len).sum();
    let mut accesses: Vec<Access> = Vec::with_capacity(db_rows + others.len());
    let mut first: HashMap<u128, usize> = HashMap::new();
    let mut folded = 0;
    for a in per_batch.into_iter().flatten() {
        match a.dedupe.and_then(|k| first.get(&k).copied()) {
            Some(i) => {
                let r = Reference {
                    table: EvidenceTable::DbEvents,
                    file: a.evidence_file.clone(),
                    line: a.evidence_line,
                };
                accesses[i].corroboration.push(r);
                folded += 1;
            }
            None => {
                if let Some(k) = a.dedupe {
                    first.insert(k, accesses.len());
                }
                accesses.push(a);
            }
        }
    }
    drop(first);
    let tables = Tables::seen(&accesses);
    accesses.extend(others);
    accesses.par_sort_by(|a, b| {
        (a.ts, &a.evidence_file, a.evidence_line, a.evidence_table).cmp(&(
            b.ts,
            &b.evidence_file,
            b.evidence_line,
            b.evidence_table,
        ))
    });
    let rows = accesses
        .into_par_iter()
        .map_init(Judgements::default, |judgements, a| {
            let mut row = action_row(a, &facts.claims);
            judgements.judge(facts.policy, &mut row);
            row
        })
        .collect();
    Part { rows, tables, folded }
}

/// The whole case as one part, nothing spilled: each evidence batch is turned into spans or
/// accesses as it is decoded and dropped, so neither table is ever held whole.
fn whole(
    case_root: &Path,
    manifest: &IngestManifest,
    facts: &Facts,
    progress: &ProgressBar,
) -> Result<Parts, CorrelateError> {
    progress.set_message("spans");
    let spans = read::evidence_map(case_root, manifest, SpanRow::TABLE, |b| {
        progress.inc(b.num_rows() as u64);
        spans::read_batch(b).map_err(CorrelateError::from)
    })?;
    let index = spans::SpanIndex::build(spans, facts.policy);
    let (db_side, calls) = spans::Resolved::split(index.resolved());
    let db_spans = db::DbSpans::new(db_side);
    let calls = kernel::ToolCalls::new(calls);
    progress.set_message("db_events");
    let per_batch: Vec<Vec<Access>> = read::evidence_map(case_root, manifest, DbEvent::TABLE, |b| {
        progress.inc(b.num_rows() as u64);
        db::accesses(b, &index, &db_spans, facts.policy).map_err(CorrelateError::from)
    })?;
    drop(db_spans);
    progress.set_message("kernel_events");
    let kernel_batches = read::evidence(case_root, manifest, KernelEventRow::TABLE)?;
    progress.inc(kernel_batches.iter().map(|b| b.num_rows() as u64).sum());
    let (mut others, skipped) = kernel::accesses(&kernel_batches, &facts.lineages, &calls, facts.policy)?;
    drop((kernel_batches, calls));
    others.extend(span_accesses(&index, &reached(&per_batch), facts.policy));
    // Every access is resolved: the rest is done without the spans.
    drop(index);
    progress.set_message("judging");
    let part = finish_part(facts, per_batch, others);
    Ok(Parts {
        runs: vec![Run::Rows(part.rows.into_iter())],
        tables: part.tables,
        folded: part.folded,
        skipped,
        count: partition::Counts {
            traces: 1,
            windows: 1,
            hosts: 1,
        },
        ..Parts::default()
    })
}

/// The case cut into parts that each fit the budget ([`partition`]): rows are routed to spill
/// files in one pass per table, then each part is correlated and its run spilled.
fn parted(
    case_root: &Path,
    manifest: &IngestManifest,
    facts: &Facts,
    plan: partition::Plan,
    progress: &ProgressBar,
) -> Result<Parts, CorrelateError> {
    use partition::{SpillWriter, Windows, finish_all, host_part, trace_part_of};
    let spill = partition::Spill::new(case_root)?;
    let policy = facts.policy;

    progress.set_message("routing spans");
    let mut writers = spill.writers("spans", plan.traces);
    read::evidence_each(case_root, manifest, SpanRow::TABLE, |b| {
        progress.inc(b.num_rows() as u64);
        let v = SpansView::of(&b)?;
        SpillWriter::route(&mut writers, &b, |i| {
            Some(v.trace_id.get(i).map_or(0, |t| trace_part_of(t, plan.traces)))
        })
        .map_err(CorrelateError::from)
    })?;
    finish_all(writers)?;

    // A statement with a traceparent goes to its trace's part; the others to the time windows,
    // cut once their time range and count are known.
    progress.set_message("routing db_events");
    let mut traced = spill.writers("db", plan.traces);
    let mut untraced = spill.writers("untraced", 1);
    let (mut first_ms, mut last_ms) = (i64::MAX, i64::MIN);
    read::evidence_each(case_root, manifest, DbEvent::TABLE, |b| {
        progress.inc(b.num_rows() as u64);
        let v = DbEventsView::of(&b)?;
        let part = |i| match (v.trace_id.get(i), v.span_id.get(i)) {
            (Some(t), Some(_)) => Some(trace_part_of(t, plan.traces)),
            _ => None,
        };
        SpillWriter::route(&mut traced, &b, part)?;
        for i in (0..v.num_rows).filter(|&i| part(i).is_none()) {
            if let Some(ms) = v.ts.get(i).map(|t| t.div_euclid(1000)) {
                (first_ms, last_ms) = (first_ms.min(ms), last_ms.max(ms));
            }
        }
        SpillWriter::route(&mut untraced, &b, |i| part(i).is_none().then_some(0)).map_err(CorrelateError::from)
    })?;
    finish_all(traced)?;
    let n_untraced: u64 = untraced.iter().map(|w| w.rows).sum();
    finish_all(untraced)?;
    let windows = Windows {
        first_ms: first_ms.min(last_ms),
        last_ms,
        count: plan.windows(n_untraced),
    };
    let mut writers = spill.writers("window", windows.count);
    for b in spill.batches("untraced-0")? {
        let b = b?;
        let v = DbEventsView::of(&b)?;
        SpillWriter::route(&mut writers, &b, |i| Some(windows.of(v.ts.get(i))))?;
    }
    finish_all(writers)?;

    progress.set_message("routing kernel_events");
    let mut writers = spill.writers("kernel", plan.hosts);
    read::evidence_each(case_root, manifest, KernelEventRow::TABLE, |b| {
        progress.inc(b.num_rows() as u64);
        let v = KernelEventsView::of(&b)?;
        SpillWriter::route(&mut writers, &b, |i| Some(host_part(v.boot_id.get(i), plan.hosts)))
            .map_err(CorrelateError::from)
    })?;
    finish_all(writers)?;

    let mut parts = Parts {
        count: partition::Counts {
            traces: plan.traces,
            windows: windows.count,
            hosts: plan.hosts,
        },
        ..Parts::default()
    };
    let mut runs = Vec::new();
    let mut absorb = |parts: &mut Parts, part: Part, name: String| -> Result<(), CorrelateError> {
        parts.tables.absorb(part.tables);
        parts.folded += part.folded;
        let mut w = spill.writers(&name, 1);
        for chunk in part.rows.chunks(partition::RUN_BATCH_ROWS) {
            let mut b = ActionsBuilder::new();
            for r in chunk {
                b.append(r);
            }
            SpillWriter::route(&mut w, &b.finish()?, |_| Some(0))?;
        }
        finish_all(w)?;
        runs.push(format!("{name}-0"));
        Ok(())
    };

    // Trace parts: each resolves the database and tool-call spans the windows and the kernel
    // parts need, then correlates its statements.
    let mut resolved = spill.writers("resolved", windows.count);
    let mut calls = spill.writers("calls", 1);
    for p in 0..plan.traces {
        progress.set_message(format!("trace part {} of {}", p + 1, plan.traces));
        let batches = spill.map(&format!("spans-{p}"), |b| {
            spans::read_batch(b).map_err(CorrelateError::from)
        })?;
        let index = spans::SpanIndex::build(batches, policy);
        let mut by_window: Vec<ResolvedSpansBuilder> =
            (0..windows.count).map(|_| ResolvedSpansBuilder::new()).collect();
        let mut tool_calls = ResolvedSpansBuilder::new();
        for r in index.resolved() {
            if r.tool_call_pid.is_some() {
                tool_calls.append(&r.row());
            }
            if r.db_client && n_untraced > 0 {
                for (w, b) in by_window.iter_mut().enumerate() {
                    let (from, to) = windows.range_ns(w);
                    if db::DbSpans::may_overlap(r.start, r.end, from, to) {
                        b.append(&r.row());
                    }
                }
            }
        }
        for (w, mut b) in by_window.into_iter().enumerate() {
            SpillWriter::route(&mut resolved, &b.finish()?, |_| Some(w))?;
        }
        SpillWriter::route(&mut calls, &tool_calls.finish()?, |_| Some(0))?;
        let none = db::DbSpans::default();
        let per_batch = spill.map(&format!("db-{p}"), |b| {
            db::accesses(b, &index, &none, policy).map_err(CorrelateError::from)
        })?;
        let telemetry_only = span_accesses(&index, &reached(&per_batch), policy);
        drop(index);
        let part = finish_part(facts, per_batch, telemetry_only);
        absorb(&mut parts, part, format!("run-trace-{p}"))?;
    }
    finish_all(resolved)?;
    finish_all(calls)?;

    // Time windows: the statements with no trace context, against the database spans that may
    // overlap the window.
    let empty = spans::SpanIndex::build(Vec::new(), policy);
    for w in 0..windows.count {
        progress.set_message(format!("time window {} of {}", w + 1, windows.count));
        let near = spill.map(&format!("resolved-{w}"), |b| {
            spans::Resolved::read_batch(b).map_err(CorrelateError::from)
        })?;
        let db_spans = db::DbSpans::new(near.into_iter().flatten());
        let per_batch = spill.map(&format!("window-{w}"), |b| {
            db::accesses(b, &empty, &db_spans, policy).map_err(CorrelateError::from)
        })?;
        parts.reached.extend(reached(&per_batch));
        let part = finish_part(facts, per_batch, Vec::new());
        absorb(&mut parts, part, format!("run-window-{w}"))?;
    }

    // Host parts: kernel events, placed in the tool calls of every trace.
    let resolved_calls = spill.map("calls-0", |b| {
        spans::Resolved::read_batch(b).map_err(CorrelateError::from)
    })?;
    let calls = kernel::ToolCalls::new(resolved_calls.into_iter().flatten());
    for h in 0..plan.hosts {
        progress.set_message(format!("host part {} of {}", h + 1, plan.hosts));
        let batches = spill.batches(&format!("kernel-{h}"))?.collect::<Result<Vec<_>, _>>()?;
        let (accesses, skipped) = kernel::accesses(&batches, &facts.lineages, &calls, policy)?;
        parts.skipped.add(&skipped);
        drop(batches);
        let part = finish_part(facts, Vec::new(), accesses);
        absorb(&mut parts, part, format!("run-host-{h}"))?;
    }
    parts.runs = runs
        .iter()
        .map(|name| spill.batches(name).map(Run::spilled))
        .collect::<Result<_, _>>()?;
    parts._spill = Some(spill);
    Ok(parts)
}

/// One part's judged rows in the actions' order: in memory, or read back from its spill file
/// a few thousand at a time.
enum Run {
    Rows(std::vec::IntoIter<ActionRow>),
    Spilled {
        batches: partition::SpillBatches,
        rows: std::vec::IntoIter<ActionRow>,
    },
}

impl Run {
    fn spilled(batches: partition::SpillBatches) -> Run {
        Run::Spilled {
            batches,
            rows: Vec::new().into_iter(),
        }
    }

    fn next(&mut self) -> Result<Option<ActionRow>, CorrelateError> {
        match self {
            Run::Rows(rows) => Ok(rows.next()),
            Run::Spilled { batches, rows } => loop {
                if let Some(r) = rows.next() {
                    return Ok(Some(r));
                }
                let Some(b) = batches.next() else { return Ok(None) };
                let b = b?;
                let v = ActionsView::of(&b)?;
                *rows = (0..v.num_rows)
                    .map(|i| ActionRow::of_view(&v, i))
                    .collect::<Vec<_>>()
                    .into_iter();
            },
        }
    }
}

/// Merges the parts' runs into the actions table (replacing the previous run's), partitioned
/// by date: a statement's table qualified from every part's tables (and judged again when it
/// changes), a database span some time window reached dropped from the telemetry-only
/// actions, and the summary counted. Returns the written parts in the actions' order, for the
/// ledger.
fn write_actions(
    case_root: &Path,
    mut parts: Parts,
    facts: &Facts,
    summary: &mut Summary,
) -> Result<Vec<PathBuf>, CorrelateError> {
    let dir = case_root.join("parquet").join(ActionRow::TABLE);
    let mut writer = PartitionedWriter::new(&dir, "correlate", ActionRow::schema(), vec![])?;
    let mut heads = Vec::with_capacity(parts.runs.len());
    for run in &mut parts.runs {
        heads.push(run.next()?);
    }
    let mut judgements = Judgements::default();
    let (mut by_conf, mut by_verdict, mut violations) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    let mut dates: Vec<String> = Vec::new();
    let mut batch = ActionsBuilder::new();
    let mut in_batch = 0;
    loop {
        let next = heads
            .iter()
            .enumerate()
            .filter_map(|(k, h)| Some((k, action_order(h.as_ref()?))))
            .min_by(|a, b| a.1.cmp(&b.1))
            .map(|(k, _)| k);
        let Some(k) = next else { break };
        let Some(mut row) = std::mem::replace(&mut heads[k], parts.runs[k].next()?) else {
            break;
        };
        if row.evidence_table == EvidenceTable::Spans
            && let (Some(t), Some(s)) = (row.trace_id.as_deref(), row.span_id.as_deref())
            && let (Some(t), Some(s)) = (spans::parse_trace(t), spans::parse_span(s))
            && parts.reached.contains(&(t, s))
        {
            continue;
        }
        if parts.tables.qualify(&mut row) {
            judgements.judge(facts.policy, &mut row);
        }
        summary.actions += 1;
        *by_conf.entry(row.conf.name()).or_default() += 1;
        *by_verdict.entry(row.verdict.name()).or_default() += 1;
        if let Some(v) = row.violation {
            *violations.entry(v.name()).or_default() += 1;
        }
        if row.conf == Conf::Unattributed {
            let p = row.principal.clone().unwrap_or_else(|| "(unknown)".into());
            *summary.unattributed_by_principal.entry(p).or_default() += 1;
        }
        let date = date_partition(row.ts.map(|t| t / 1000));
        if dates.last() != Some(&date) || in_batch == 64 * 1024 {
            if let Some(d) = dates.last() {
                writer.write(d, &std::mem::take(&mut batch).finish()?)?;
            }
            if dates.last() != Some(&date) {
                dates.push(date);
            }
            in_batch = 0;
        }
        batch.append(&row);
        in_batch += 1;
    }
    if let Some(d) = dates.last() {
        writer.write(d, &batch.finish()?)?;
    }
    let named = |m: BTreeMap<&str, u64>| m.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
    (summary.by_conf, summary.by_verdict, summary.violations) = (named(by_conf), named(by_verdict), named(violations));
    let written = writer.finish()?;
    Ok(dates
        .iter()
        .filter_map(|d| {
            let at = dir.join(format!("date={d}"));
            written
                .iter()
                .find(|p| p.path.parent() == Some(at.as_path()))
                .map(|p| p.path.clone())
        })
        .collect())
}

/// One ledger record per action, read back from the actions table as written (its `row=` is
/// the hash of the row as stored), in the actions' order: no action exists as a record beyond
/// its own batch.
fn ledger_records(parts: Vec<PathBuf>) -> impl Iterator<Item = Result<Record, LedgerError>> {
    let failed = |e: ReadError| LedgerError::Records(Box::new(e));
    parts
        .into_iter()
        .flat_map(
            move |path| match read::file_batches(&path, partition::RUN_BATCH_ROWS * 4) {
                Ok(batches) => Box::new(batches.map(move |b| b.map_err(failed)))
                    as Box<dyn Iterator<Item = Result<RecordBatch, LedgerError>>>,
                Err(e) => Box::new(std::iter::once(Err(failed(e)))),
            },
        )
        .flat_map(|batch| -> Vec<Result<Record, LedgerError>> {
            let batch = match batch {
                Ok(b) => b,
                Err(e) => return vec![Err(e)],
            };
            let v = match ActionsView::of(&batch) {
                Ok(v) => v,
                Err(e) => return vec![Err(LedgerError::Records(Box::new(e)))],
            };
            (0..batch.num_rows())
                .into_par_iter()
                .map(|i| Ok(action_record(&ActionRow::of_view(&v, i), &read::row_hash(&batch, i))))
                .collect()
        })
}

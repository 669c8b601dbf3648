//! Correlation: from normalised evidence to attributed, judged actions, written as evidence.
//!
//! Reads the case's db_events, spans, tool_hints, kernel_events and processes, resolves who did
//! each access and how sure that is ([`db`], [`spans`], [`kernel`], [`telemetry`]), judges it
//! against the policy, writes the `actions` table (replacing the previous run's) and appends the
//! chain of custody, the policy used and every action to the ledger — idempotently, so the same
//! case and policy give the same actions in the same order and no duplicate records. A case
//! larger than the memory budget is correlated in parts ([`partition`], `parts`) and merged
//! here, to the same actions: the merge writes the actions on one thread while the ledger takes
//! their records on another.
//!
//! In: a case directory and a parsed policy. Out: CASE/parquet/actions/, ledger records, and a
//! [`Summary`].

pub mod db;
pub mod kernel;
pub mod partition;
mod parts;
pub mod rerun;
pub mod spans;
pub mod telemetry;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use arrow_array::RecordBatch;
use indicatif::ProgressBar;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use self::parts::{Facts, Parts};
use self::spans::{Reference, Text};
use crate::case::{Case, IngestManifest};
use crate::ledger::{Appended, Ledger, LedgerError, Prepared, Record, RecordKind};
use crate::policy::{Class, Judgement, Policy};
use crate::table::actions::{
    ActionRow, ActionsBuilder, ActionsView, Conf, EvidenceTable, Outcome, SourceOutcome, Verdict,
};
use crate::table::db_events::DbEvent;
use crate::table::declare::TableError;
use crate::table::kernel_events::{KernelEventRow, ProcessRow};
use crate::table::read::{self, ReadError};
use crate::table::spans::SpanRow;
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
    #[error("the ledger stopped taking the actions' records")]
    LedgerStopped,
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
/// production is kept with them. The session is part of the key only when the policy names
/// sessions: agents open a session per task, and judging each afresh is most of the cost.
#[derive(Default)]
struct Judgements {
    by_resource: HashMap<String, Judged>,
    names_sessions: Option<bool>,
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
        let names_sessions = *self.names_sessions.get_or_insert_with(|| policy.names_sessions());
        let key = agent.map(|(a, s)| (a, s.filter(|_| names_sessions)));
        let same = |(known, class, _): &&(AgentSession, Class, Judgement)| {
            *class == row.class && known.as_ref().map(|(a, s)| (a.as_str(), s.as_deref())) == key
        };
        let known = self.by_resource.get(&row.resource);
        let (j, production) = match known.map(|(p, k)| (*p, k.iter().find(same))) {
            Some((production, Some((_, _, j)))) => (j.clone(), production),
            _ => {
                let j = policy.judge(agent, &row.resource, row.class);
                let owned = key.map(|(a, s)| (a.to_string(), s.map(str::to_string)));
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
        let appended = ledger.append(std::iter::empty::<Record>())?;
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
        parts::whole(case_root, manifest, &facts, progress)?
    } else {
        parts::parted(case_root, manifest, &facts, plan, progress)?
    };
    let summary = Summary {
        policy_blake3: policy_blake3.to_string(),
        duplicates_folded: parts.folded,
        kernel_not_actions: parts.skipped.clone(),
        parts: parts.count,
        ..Summary::default()
    };

    // The chain of custody and the policy, then one record per action, made as the actions are
    // written (a million actions never exist as records all at once).
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
    let n_custody = custody.len() as u64;
    progress.set_message("writing actions and the ledger");
    // The merge writes the actions on one thread while the ledger takes their records on this
    // one (two batches of records at most wait).
    let (summary, appended) = std::thread::scope(|scope| {
        let (made, taken) = std::sync::mpsc::sync_channel::<Vec<Prepared>>(2);
        let merging = scope.spawn(|| write_actions(case_root, parts, &facts, summary, made));
        let records = custody
            .into_iter()
            .map(Prepared::from)
            .chain(taken.into_iter().flatten());
        // Filled by the closing, which runs when every record is taken: read only when the
        // append succeeded, which it cannot without its closing.
        let mut merged = Summary::default();
        let appended = ledger.append_closing(records, || {
            let failed = |e: CorrelateError| LedgerError::Closing(Box::new(e));
            let summary = merging
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                .map_err(failed)?;
            // What this run was made of, for a later run to know it has nothing to do: every
            // record of this correlation is in the ledger once it is appended.
            let state = rerun::State {
                inputs: inputs.clone(),
                actions: rerun::actions_files(case_root).map_err(|e| failed(e.into()))?,
                summary: Summary {
                    ledger_already: n_custody + summary.actions,
                    ..summary.clone()
                },
            };
            let state_blake3 = rerun::save(case_root, &state).map_err(|e| failed(e.into()))?;
            merged = summary;
            // The closing checkpoint names them, unless the latest one already does.
            Ok(if last == Some((inputs.clone(), state_blake3.clone())) {
                Vec::new()
            } else {
                vec![("inputs", inputs.clone()), ("state", state_blake3)]
            })
        });
        (merged, appended)
    });
    let Appended { new, already, head_seq } = appended?;
    let mut summary = summary;
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

/// The ledger record of action `i` of a written batch, whose stored row hashes to `row`: the
/// fields an auditor reads, in a fixed order; absent values are left out. Read from the batch
/// in place (a million actions are not made owned rows again to be recorded).
fn action_record(v: &ActionsView<'_>, i: usize, row: &str) -> Record {
    let ts = crate::time::rfc3339(v.ts.get(i)).unwrap_or_else(|| "unknown".into());
    let agent = v.agent.get(i).map(|a| match v.session.get(i) {
        Some(s) => format!("{a}@{s}"),
        None => a.to_string(),
    });
    let mut fields: Vec<(&'static str, String)> = Vec::with_capacity(13);
    let mut put = |k: &'static str, v: Option<String>| {
        if let Some(v) = v {
            fields.push((k, v));
        }
    };
    put("agent", agent);
    put("principal", v.principal.get(i).map(str::to_string));
    put("tool", v.tool.get(i).map(str::to_string));
    put("resource", Some(v.resource.get(i).to_string()));
    put("op", Some(v.op.get(i).to_string()));
    put("class", Some(v.class.get(i).to_string()));
    put("outcome", Some(v.outcome.get(i).to_string()));
    put("conf", Some(v.conf.get(i).to_string()));
    put("policy", v.violation.get(i).map(|x| x.name().to_string()));
    put("verdict", Some(v.verdict.get(i).to_string()));
    put("action", Some(v.action_id.get(i).to_string()));
    put(
        "evidence",
        Some(format!("{}:{}", v.evidence_table.get(i), v.evidence_row_hash.get(i))),
    );
    put("row", Some(row.to_string()));
    Record {
        kind: RecordKind::Action,
        ts,
        fields,
    }
}

/// The order of actions and of their ledger records.
fn action_order(r: &ActionRow) -> (Option<i64>, &str, u64, EvidenceTable) {
    (r.ts, &r.evidence_file, r.evidence_line, r.evidence_table)
}

/// Merges the parts' runs into the actions table (replacing the previous run's), partitioned
/// by date: a statement's table qualified from every part's tables (and judged again when it
/// changes), a database span some time window reached dropped from the telemetry-only
/// actions, and `summary` counted. Each batch written is sent on as the ledger records of its
/// actions, in the actions' order (their `row=` is the hash of the row as stored).
fn write_actions(
    case_root: &Path,
    mut parts: Parts,
    facts: &Facts,
    mut summary: Summary,
    records: std::sync::mpsc::SyncSender<Vec<Prepared>>,
) -> Result<Summary, CorrelateError> {
    let dir = case_root.join("parquet").join(ActionRow::TABLE);
    let mut writer = PartitionedWriter::new(&dir, "correlate", ActionRow::schema(), vec![])?;
    // `last`: the date's rows are all written, so its part is complete (rows come in time
    // order, a date's together) and its buffers are freed.
    let mut write = |date: &str, mut batch: ActionsBuilder, last: bool| -> Result<(), CorrelateError> {
        let batch = batch.finish()?;
        writer.write(date, &batch)?;
        if last {
            writer.seal(date)?;
        }
        let made = action_records(&batch)?;
        // The ledger stopped taking them: its error is the run's.
        records.send(made).map_err(|_| CorrelateError::LedgerStopped)
    };
    let mut heads = Vec::with_capacity(parts.runs.len());
    for run in &mut parts.runs {
        heads.push(run.next()?);
    }
    let mut judgements = Judgements::default();
    let (mut by_conf, mut by_verdict, mut violations) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    let mut date: Option<String> = None;
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
        let row_date = date_partition(row.ts.map(|t| t / 1000));
        if date.as_ref() != Some(&row_date) || in_batch == ACTIONS_BATCH_ROWS {
            if let Some(d) = &date {
                write(d, std::mem::take(&mut batch), *d != row_date)?;
            }
            date = Some(row_date);
            in_batch = 0;
        }
        batch.append(&row);
        in_batch += 1;
    }
    if let Some(d) = &date {
        write(d, batch, true)?;
    }
    let named = |m: BTreeMap<&str, u64>| m.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
    (summary.by_conf, summary.by_verdict, summary.violations) = (named(by_conf), named(by_verdict), named(violations));
    writer.finish()?;
    Ok(summary)
}

/// Actions written, and their records made, at a time.
const ACTIONS_BATCH_ROWS: usize = 16 * 1024;

/// The ledger records of a batch of the actions table, rendered on any core.
fn action_records(batch: &RecordBatch) -> Result<Vec<Prepared>, CorrelateError> {
    let v = ActionsView::of(batch)?;
    Ok((0..batch.num_rows())
        .into_par_iter()
        .map(|i| action_record(&v, i, &read::row_hash(batch, i)).prepare())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The memo shares a judgement across sessions only when no block names a session: a
    /// break-glass session is judged by its own block, and the session after it is not.
    #[test]
    fn a_session_changes_a_judgement_only_when_the_policy_names_sessions() {
        let row = |session: &str| ActionRow {
            agent: Some("reporting-assistant".into()),
            session: Some(session.into()),
            resource: "prod-postgres/reporting/public.orders".into(),
            class: Class::Write,
            ..ActionRow::default()
        };
        let verdicts = |policy: &str| {
            let (policy, diags) = crate::policy::parse(policy);
            assert!(diags.is_empty(), "{diags:?}");
            let mut judgements = Judgements::default();
            ["s1", "breakglass", "s2"].map(|s| {
                let mut r = row(s);
                judgements.judge(&policy, &mut r);
                r.verdict
            })
        };
        let plain = r#"agent "reporting-assistant" {
  resource "prod-postgres/reporting" { access = "read" }
}
"#;
        let allowed = Verdict::ViolationAllowed;
        assert_eq!(verdicts(plain), [allowed; 3]);
        let breakglass = format!(
            "{plain}agent \"reporting-assistant@breakglass\" {{\n  resource \"prod-postgres/**\" {{ access = \"readwrite\" }}\n}}\n"
        );
        assert_eq!(verdicts(&breakglass), [allowed, Verdict::Ok, allowed]);
    }
}

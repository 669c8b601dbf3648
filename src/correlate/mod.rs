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
pub mod rerun;
pub mod spans;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use indicatif::ProgressBar;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use self::spans::{Reference, Text};
use crate::case::{Case, IngestManifest};
use crate::ledger::{Appended, Ledger, Record, RecordKind};
use crate::policy::{Class, Judgement, Policy};
use crate::table::actions::{ActionRow, ActionsBuilder, Conf, EvidenceTable, Outcome, SourceOutcome, Verdict};
use crate::table::db_events::DbEvent;
use crate::table::declare::TableError;
use crate::table::kernel_events::{KernelEventRow, ProcessRow};
use crate::table::read::{self, ReadError};
use crate::table::spans::{SpanRow, SpanStatus};
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

/// The judgements made so far, by resource, then agent and class: accesses with the same agent,
/// resource and class get the same judgement, and a resource rarely has more than a few of
/// those, so the lookup borrows the resource and scans the few.
#[derive(Default)]
struct Judgements {
    by_resource: HashMap<String, Vec<(AgentSession, Class, Judgement)>>,
}

/// An access's agent and session, when it has one.
type AgentSession = Option<(String, Option<String>)>;

impl Judgements {
    fn judge(&mut self, policy: &Policy, a: &Access) -> Judgement {
        if let Some(known) = self.by_resource.get(&a.resource)
            && let Some((_, _, j)) = known
                .iter()
                .find(|(agent, class, _)| *class == a.class && *agent == a.agent)
        {
            return j.clone();
        }
        let agent = a.agent.as_ref().map(|(n, s)| (n.as_str(), s.as_deref()));
        let j = policy.judge(agent, &a.resource, a.class);
        self.by_resource
            .entry(a.resource.clone())
            .or_default()
            .push((a.agent.clone(), a.class, j.clone()));
        j
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

    // Each evidence batch is turned into spans or accesses as it is decoded and dropped:
    // neither table is ever held whole.
    progress.set_message("spans");
    let spans = read::evidence_map(case_root, manifest, SpanRow::TABLE, |b| {
        progress.inc(b.num_rows() as u64);
        spans::read_batch(b).map_err(CorrelateError::from)
    })?;
    let index = spans::SpanIndex::build(spans, policy);
    let db_spans = db::DbSpans::new(&index);
    let claims = claims(case_root, manifest)?;

    progress.set_message("db_events");
    let per_batch: Vec<Vec<Access>> = read::evidence_map(case_root, manifest, DbEvent::TABLE, |b| {
        progress.inc(b.num_rows() as u64);
        db::accesses(b, &index, &db_spans, policy).map_err(CorrelateError::from)
    })?;

    let mut summary = Summary {
        policy_blake3: policy_blake3.to_string(),
        ..Summary::default()
    };
    // The database spans some pgAudit row reached: the others are accesses of their own.
    let traced_spans: HashSet<(u128, u64)> = per_batch
        .iter()
        .flatten()
        .filter_map(|a| {
            Some((
                spans::parse_trace(a.trace_id.as_ref()?)?,
                spans::parse_span(a.span_id.as_ref()?)?,
            ))
        })
        .collect();
    let telemetry_only = span_accesses(&index, &traced_spans, policy);
    drop(traced_spans);
    progress.set_message("kernel_events");
    let lineages = kernel::lineages(&read::evidence(case_root, manifest, ProcessRow::TABLE)?)?;
    let kernel_batches = read::evidence(case_root, manifest, KernelEventRow::TABLE)?;
    let (kernel_accesses, skipped) = kernel::accesses(&kernel_batches, &lineages, &index, policy)?;
    progress.inc(rows_of(&kernel_batches));
    drop(kernel_batches);
    summary.kernel_not_actions = skipped;
    // Every access is resolved: the rest is done without the spans.
    drop((db_spans, index));

    // Fold the same statement logged in several formats into its first row, into room
    // reserved once (a million accesses are not copied to grow).
    let db_rows: usize = per_batch.iter().map(Vec::len).sum();
    let mut accesses: Vec<Access> = Vec::with_capacity(db_rows + telemetry_only.len() + kernel_accesses.len());
    let mut first: HashMap<u128, usize> = HashMap::new();
    for a in per_batch.into_iter().flatten() {
        match a.dedupe.and_then(|k| first.get(&k).copied()) {
            Some(i) => {
                let r = Reference {
                    table: EvidenceTable::DbEvents,
                    file: a.evidence_file.clone(),
                    line: a.evidence_line,
                };
                accesses[i].corroboration.push(r);
                summary.duplicates_folded += 1;
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
    qualify_tables(&mut accesses);
    accesses.extend(telemetry_only);
    accesses.extend(kernel_accesses);
    progress.set_message("judging");
    accesses.par_sort_by(|a, b| {
        (a.ts, &a.evidence_file, a.evidence_line, a.evidence_table).cmp(&(
            b.ts,
            &b.evidence_file,
            b.evidence_line,
            b.evidence_table,
        ))
    });

    // Each access is consumed as its row is made, so the two never all exist at once.
    let rows: Vec<ActionRow> = accesses
        .into_par_iter()
        .map_init(Judgements::default, |judgements, a| {
            let j = judgements.judge(policy, &a);
            let production = policy.is_production(&a.resource);
            action_row(a, j, &claims, production)
        })
        .collect();

    let (mut by_conf, mut by_verdict, mut violations) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for r in &rows {
        summary.actions += 1;
        *by_conf.entry(r.conf.name()).or_default() += 1;
        *by_verdict.entry(r.verdict.name()).or_default() += 1;
        if let Some(v) = r.violation {
            *violations.entry(v.name()).or_default() += 1;
        }
        if r.conf == Conf::Unattributed {
            let p = r.principal.clone().unwrap_or_else(|| "(unknown)".into());
            *summary.unattributed_by_principal.entry(p).or_default() += 1;
        }
    }
    let named = |m: BTreeMap<&str, u64>| m.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
    (summary.by_conf, summary.by_verdict, summary.violations) = (named(by_conf), named(by_verdict), named(violations));
    progress.set_message("writing actions");
    let hashes = write_actions(case_root, &rows)?;

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
    let n_records = (custody.len() + rows.len()) as u64;
    let records = custody
        .into_iter()
        .chain(rows.iter().zip(&hashes).map(|(r, h)| action_record(r, h)));

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

fn rows_of(batches: &[arrow_array::RecordBatch]) -> u64 {
    batches.iter().map(|b| b.num_rows() as u64).sum()
}

/// PostgreSQL's permission errors name a table without its schema (`permission denied for
/// table orders`). When exactly one schema-qualified table of that name was seen on the same
/// server and database, the resource is qualified with it and the reason says it was inferred;
/// otherwise the unqualified name stays.
fn qualify_tables(accesses: &mut [Access]) {
    let mut known: HashMap<(String, String), HashSet<String>> = HashMap::new();
    for a in accesses.iter() {
        if let Some((db, object)) = a.resource.rsplit_once('/')
            && let Some((_, table)) = object.split_once('.')
            && a.evidence_table == EvidenceTable::DbEvents
        {
            known
                .entry((db.to_string(), table.to_string()))
                .or_default()
                .insert(object.to_string());
        }
    }
    for a in accesses
        .iter_mut()
        .filter(|a| a.evidence_table == EvidenceTable::DbEvents)
    {
        let Some((db, object)) = a.resource.rsplit_once('/') else {
            continue;
        };
        if object.contains('.') || db.matches('/').count() != 1 {
            continue;
        }
        if let Some(names) = known.get(&(db.to_string(), object.to_string()))
            && names.len() == 1
            && let Some(q) = names.iter().next()
        {
            a.reason.push_str(&format!(
                "; the source names table {object} without a schema: {q} is inferred (the only {object} seen in {db})"
            ));
            a.resource = format!("{db}/{q}");
        }
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

fn action_row(a: Access, j: Judgement, claims: &HashMap<(String, String), bool>, production: bool) -> ActionRow {
    let outcome = if a.source_outcome == SourceOutcome::Refused {
        Outcome::Deny
    } else {
        Outcome::Allow
    };
    let verdict = match (j.violation, outcome) {
        (None, _) if j.rule.is_none() && a.agent.is_none() => Verdict::NotJudged,
        (None, _) => Verdict::Ok,
        (Some(_), Outcome::Deny) => Verdict::ViolationRefused,
        (Some(_), Outcome::Allow) => Verdict::ViolationAllowed,
    };
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
        production,
        op: a.class.op(),
        class: a.class,
        command: a.command,
        outcome,
        source_outcome: a.source_outcome,
        violation: j.violation,
        rule: j.rule,
        on_violation: j.on_violation,
        verdict,
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
    }
}

/// The ledger record of an action: the fields an auditor reads, in a fixed order; absent
/// values are left out.
/// The ledger record of an action whose stored row hashes to `row`.
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

/// Replaces the actions table with this run's rows, partitioned by date. Returns each row's
/// hash as stored, in the order of `rows`, for its ledger record's `row=`.
fn write_actions(case_root: &Path, rows: &[ActionRow]) -> Result<Vec<String>, CorrelateError> {
    let dir = case_root.join("parquet").join(ActionRow::TABLE);
    let mut writer = PartitionedWriter::new(&dir, "correlate", ActionRow::schema(), vec![])?;
    let mut by_date: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        by_date
            .entry(date_partition(r.ts.map(|t| t / 1000)))
            .or_default()
            .push(i);
    }
    let mut hashes = vec![String::new(); rows.len()];
    for (date, positions) in by_date {
        for chunk in positions.chunks(64 * 1024) {
            let mut b = ActionsBuilder::new();
            for &i in chunk {
                b.append(&rows[i]);
            }
            let batch = b.finish()?;
            let keyed: Vec<String> = (0..batch.num_rows())
                .into_par_iter()
                .map(|j| crate::table::read::row_hash(&batch, j))
                .collect();
            for (&i, h) in chunk.iter().zip(keyed) {
                hashes[i] = h;
            }
            writer.write(&date, &batch)?;
        }
    }
    writer.finish()?;
    Ok(hashes)
}

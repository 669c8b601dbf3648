//! Correlating the case part by part: whole, as one part with nothing spilled, or cut as
//! [`partition`] plans it. Each part's accesses are resolved ([`db`], [`kernel`],
//! [`telemetry`]), the same statement in several log formats folded into its first row, and
//! every access judged into an action row, sorted into the part's run; the runs and what crosses
//! parts go to the merge.
//!
//! In: the case, its manifest, the global facts, a [`partition::Plan`]. Out: [`Parts`].

use std::collections::{HashMap, HashSet};
use std::path::Path;

use indicatif::ProgressBar;
use rayon::prelude::*;

use super::spans::{self, Reference};
use super::{Access, CorrelateError, Judgements, Tables, action_row, db, kernel, partition, telemetry};
use crate::case::IngestManifest;
use crate::policy::Policy;
use crate::table::actions::{ActionRow, ActionsBuilder, ActionsView, EvidenceTable};
use crate::table::db_events::{DbEvent, DbEventsView};
use crate::table::kernel_events::{KernelEventRow, KernelEventsView};
use crate::table::read;
use crate::table::schema::ResolvedSpansBuilder;
use crate::table::spans::{SpanRow, SpansView};

/// What every part needs: the policy and the small global facts.
pub(super) struct Facts<'p> {
    pub policy: &'p Policy,
    /// (MCP server, tool) → the tool's effective readOnlyHint in its latest listing.
    pub claims: HashMap<(String, String), bool>,
    pub lineages: HashMap<(String, i64), Vec<i64>>,
}

/// What the parts made, for the merge: their sorted runs of judged rows, and what the merge
/// applies across them.
#[derive(Default)]
pub(super) struct Parts {
    pub runs: Vec<Run>,
    pub tables: Tables,
    /// Database spans a time window's statement reached by overlap: not telemetry-only.
    pub reached: HashSet<(u128, u64)>,
    pub folded: u64,
    pub skipped: kernel::Skipped,
    pub count: partition::Counts,
    /// Holds the spill files the runs are read from.
    _spill: Option<partition::Spill>,
}

/// What one part made.
struct Part {
    rows: Vec<ActionRow>,
    tables: Tables,
    folded: u64,
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
pub(super) fn whole(
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
    let db_spans = db::DbSpans::new(vec![db_side]);
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
    others.extend(telemetry::accesses(&index, &reached(&per_batch), facts.policy));
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
pub(super) fn parted(
    case_root: &Path,
    manifest: &IngestManifest,
    facts: &Facts,
    plan: partition::Plan,
    progress: &ProgressBar,
) -> Result<Parts, CorrelateError> {
    use partition::{SpillWriter, Windows, finish_all};
    let spill = partition::Spill::new(case_root)?;
    let router = partition::Router::default();
    let policy = facts.policy;

    progress.set_message("routing spans");
    let mut writers = spill.writers("spans", plan.traces);
    read::evidence_each(case_root, manifest, SpanRow::TABLE, |b| {
        progress.inc(b.num_rows() as u64);
        let v = SpansView::of(&b)?;
        SpillWriter::route(&mut writers, &b, |i| {
            Some(v.trace_id.get(i).map_or(0, |t| router.trace_part(t, plan.traces)))
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
            (Some(t), Some(_)) => Some(router.trace_part(t, plan.traces)),
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
    // No untraced statement with a time (none at all, or none with a time, which overlap
    // nothing): one window of no time.
    let (first_ms, last_ms) = if first_ms <= last_ms {
        (first_ms, last_ms)
    } else {
        (0, 0)
    };
    let windows = Windows {
        first_ms,
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
        SpillWriter::route(&mut writers, &b, |i| {
            Some(router.host_part(v.boot_id.get(i), plan.hosts))
        })
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
            if r.tool_call_pid.is_some() && plan.kernel_events > 0 {
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
        let telemetry_only = telemetry::accesses(&index, &reached(&per_batch), policy);
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
        let db_spans = db::DbSpans::new(near);
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
pub(super) enum Run {
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

    pub fn next(&mut self) -> Result<Option<ActionRow>, CorrelateError> {
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

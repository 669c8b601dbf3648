//! Kernel accesses: what ebpf-capture saw a process do, tied to the MCP tool call it did it in.
//!
//! The kernel is the one witness a tool cannot talk its way past: a file opened for writing,
//! written, truncated, renamed, unlinked or chmod'ed, or an IPv4/IPv6 connection or datagram,
//! is an access whose outcome is the syscall's own result. Who did it comes from two
//! independent places, as for the database: the identity the process carried in its
//! allow-listed environment (AGENT_ID…, inherited by children), and the MCP `tools/call` server
//! span of the same process (or an ancestor in its lineage) whose time range covers the event —
//! that span's chain names the agent and the tool. Both agreeing is `attributed`; either alone
//! is `approximate` with the reason; neither is `unattributed` and counted under `uid N`.
//!
//! What is left out, and why: execs outside a tool call (that is how a server came to be, not
//! something a tool did) and AF_UNIX connections (local IPC such as nscd, not the network). They
//! stay in kernel_events; [`Skipped`] counts them so the totals add up.
//!
//! In: kernel_events and processes batches, the resolved tool-call spans, the policy. Out:
//! [`Access`]es.

use std::collections::HashMap;

use agaudit_capture_format::Kind;
use arrow_array::RecordBatch;
use serde::Serialize;

use super::Access;
use super::spans::Resolved;
use crate::policy::{Class, Owner, Policy, PrincipalKind};
use crate::table::actions::{Conf, EvidenceTable, SourceOutcome};
use crate::table::declare::TableError;
use crate::table::kernel_events::{KernelEventsView, ProcessesView};
use crate::table::read;

/// Events of the kernel_events table that are not actions, by why.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct Skipped {
    /// fork, exit, and execs outside any tool call: the process tree, kept in `processes`.
    pub process_lifecycle: u64,
    /// AF_UNIX connects and sends: local IPC.
    pub local_ipc: u64,
    /// A write-intent open whose writes on the same descriptor are their own action.
    pub folded_into_write: u64,
}

impl Skipped {
    pub fn add(&mut self, other: &Skipped) {
        self.process_lifecycle += other.process_lifecycle;
        self.local_ipc += other.local_ipc;
        self.folded_into_write += other.folded_into_write;
    }
}

/// `tools/call` server spans by the process that served them, resolved (they come from every
/// trace's partition).
#[derive(Default)]
pub struct ToolCalls {
    by_pid: HashMap<i64, Vec<Resolved>>,
}

impl ToolCalls {
    pub fn new(resolved: impl IntoIterator<Item = Resolved>) -> ToolCalls {
        let mut by_pid: HashMap<i64, Vec<Resolved>> = HashMap::new();
        for r in resolved {
            if let Some(pid) = r.tool_call_pid {
                by_pid.entry(pid).or_default().push(r);
            }
        }
        ToolCalls { by_pid }
    }

    /// The tool call spans of any process in `lineage` whose time range covers `ts`, each once.
    fn covering(&self, lineage: &[i64], ts: i64) -> Vec<&Resolved> {
        let mut out: Vec<&Resolved> = Vec::new();
        for r in lineage.iter().filter_map(|p| self.by_pid.get(p)).flatten() {
            if r.start <= ts && ts <= r.end && !out.iter().any(|o| std::ptr::eq(*o, r)) {
                out.push(r);
            }
        }
        out
    }
}

/// (boot id, pid) → the pid and its ancestors, nearest first, from the processes table.
pub fn lineages(batches: &[RecordBatch]) -> Result<HashMap<(String, i64), Vec<i64>>, TableError> {
    let mut out = HashMap::new();
    for b in batches {
        let v = ProcessesView::of(b)?;
        for i in 0..v.num_rows {
            let chain = v.lineage.get(i).split(' ').filter_map(|p| p.parse().ok()).collect();
            out.insert((v.boot_id.get(i).to_string(), i64::from(v.pid.get(i))), chain);
        }
    }
    Ok(out)
}

/// A descriptor of one process: (boot id, pid, fd, path).
type Descriptor<'v> = (&'v str, u32, Option<i64>, Option<&'v str>);

/// A row of the kernel_events batches: (batch, row).
type At = (usize, usize);

/// Which open each write came through, in row order: a write row is flushed when its descriptor
/// closes (or at an interval, an exit, the stop), so the open before it on the same descriptor
/// says when the tool started writing, and that open is not an action of its own. A write row
/// that carries open flags is the whole open, writes and close (ebpf-capture joins them): it is
/// its own open, and an open before it on the same descriptor number is another open.
#[derive(Default)]
struct Opens {
    /// Write row → the time of the open it came through.
    opened_at: HashMap<At, i64>,
    /// Open rows some write came through.
    written: std::collections::HashSet<At>,
}

impl Opens {
    fn of(views: &[KernelEventsView<'_>]) -> Opens {
        let mut last: HashMap<Descriptor<'_>, At> = HashMap::new();
        let mut out = Opens::default();
        for (b, v) in views.iter().enumerate() {
            for i in 0..v.num_rows {
                let d = (v.boot_id.get(i), v.pid.get(i), v.fd.get(i), v.path.get(i));
                match v.event.get(i) {
                    Kind::Open => {
                        last.insert(d, (b, i));
                    }
                    Kind::Write if v.flags.get(i).is_some() => {
                        last.remove(&d);
                    }
                    Kind::Write => {
                        let at = v.ts.get(i);
                        // An open after the write (captures ingested out of order) is another.
                        let before = |(ob, oi): At| !matches!((views[ob].ts.get(oi), at), (Some(o), Some(w)) if o > w);
                        if let Some(&(ob, oi)) = last.get(&d).filter(|&&o| before(o)) {
                            out.written.insert((ob, oi));
                            if let Some(t) = views[ob].ts.get(oi) {
                                out.opened_at.insert((b, i), t);
                            }
                        }
                        // Flushed by its close: the descriptor is gone, a later write is another's.
                        if v.flush.get(i) == Some("close") {
                            last.remove(&d);
                        }
                    }
                    _ => {}
                }
            }
        }
        out
    }
}

/// The accesses of the kernel_events batches, in order (a write is placed by its open, which
/// may be in an earlier batch).
pub fn accesses(
    batches: &[RecordBatch],
    lineages: &HashMap<(String, i64), Vec<i64>>,
    calls: &ToolCalls,
    policy: &Policy,
) -> Result<(Vec<Access>, Skipped), TableError> {
    let views = batches
        .iter()
        .map(KernelEventsView::of)
        .collect::<Result<Vec<_>, _>>()?;
    let opens = Opens::of(&views);
    let mut skipped = Skipped::default();
    let mut out = Vec::new();
    for (n, (b, v)) in batches.iter().zip(&views).enumerate() {
        let at = Batch { n, batch: b, view: v };
        out.extend(batch_accesses(&at, lineages, calls, policy, &opens, &mut skipped));
    }
    Ok((out, skipped))
}

/// One kernel_events batch: its place in the row order, its rows and their view.
struct Batch<'b, 'v> {
    n: usize,
    batch: &'b RecordBatch,
    view: &'b KernelEventsView<'v>,
}

fn batch_accesses(
    at_batch: &Batch<'_, '_>,
    lineages: &HashMap<(String, i64), Vec<i64>>,
    calls: &ToolCalls,
    policy: &Policy,
    opens: &Opens,
    skipped: &mut Skipped,
) -> Vec<Access> {
    let (b, v) = (at_batch.batch, at_batch.view);
    let mut out = Vec::new();
    for i in 0..v.num_rows {
        let at = v.ts.get(i);
        let kind = v.event.get(i);
        let ev = kind.name();
        let path = v.path.get(i);
        let (class, resource) = match kind {
            Kind::Open => {
                if opens.written.contains(&(at_batch.n, i)) {
                    skipped.folded_into_write += 1;
                    continue;
                }
                (Class::Write, file_resource(path))
            }
            Kind::Write | Kind::Unlink | Kind::Truncate | Kind::Chmod | Kind::Rename => {
                (Class::Write, file_resource(path))
            }
            Kind::Connect | Kind::Send => {
                let fam = v.family.get(i);
                if !matches!(fam, Some(2 | 10)) {
                    skipped.local_ipc += 1;
                    continue;
                }
                let host = v.addr.get(i).unwrap_or("?");
                let address = match v.port.get(i) {
                    Some(p) if fam == Some(10) => format!("[{host}]:{p}"),
                    Some(p) => format!("{host}:{p}"),
                    None => host.to_string(),
                };
                let scheme = if kind == Kind::Connect { "tcp" } else { "udp" };
                let resource = policy
                    .endpoint_for(&address)
                    .map_or_else(|| format!("{scheme}://{address}"), str::to_string);
                (Class::Network, resource)
            }
            Kind::Exec => (Class::Exec, file_resource(path)),
            Kind::Fork | Kind::Exit => {
                skipped.process_lifecycle += 1;
                continue;
            }
        };
        // A write is flushed when its descriptor closes; the open it came through says when
        // the tool started writing, so the open's time is what places the write inside a tool
        // call ([`Opens`]; a joined write's own time is its open's).
        let when = opens.opened_at.get(&(at_batch.n, i)).copied().or(at);
        let pid = v.pid.get(i);
        let lineage = lineages
            .get(&(v.boot_id.get(i).to_string(), i64::from(pid)))
            .cloned()
            .unwrap_or_else(|| vec![i64::from(pid)]);
        let covering = when.map(|t| calls.covering(&lineage, t)).unwrap_or_default();
        if kind == Kind::Exec && covering.is_empty() {
            skipped.process_lifecycle += 1;
            continue;
        }
        let env = v
            .agent
            .get(i)
            .map(|a| (a.to_string(), v.session.get(i).map(str::to_string)));
        let call = match covering.as_slice() {
            [one] => Some(*one),
            _ => None,
        };
        let chain = call.map(|k| &k.chain);
        let span_agent = chain.and_then(|c| c.owned_agent());
        let renamed = v.new_path.get(i).map(|n| format!(" to {n}")).unwrap_or_default();
        let outcome = outcome_of(v.result.get(i), kind);
        let what = format!("kernel: {ev}{renamed} by {} pid {pid} ({outcome})", v.comm.get(i));
        let uid = v.uid.get(i);
        let owner = policy.owner(PrincipalKind::Uid, &uid.to_string());
        let (who, conf, reason) = match owner {
            Some(o) => by_owned_uid(o, uid, env, span_agent, covering.len()),
            None => identity(env, span_agent, covering.len()),
        };
        let mut corroboration = Vec::new();
        if let Some(k) = call {
            corroboration.push(k.reference.clone());
        }
        out.push(Access {
            ts: at,
            agent: who,
            principal: Some(format!("uid {uid}")),
            tool: chain.and_then(|c| c.owned_tool()),
            mcp_server: chain.and_then(|c| c.owned_server()),
            resource,
            class,
            command: Some(ev.to_string()),
            source_outcome: outcome,
            conf,
            reason: format!("{what}; {reason}; outcome from the kernel"),
            trace_id: call.map(|k| k.trace_hex()),
            span_id: call.map(|k| k.id_hex()),
            evidence_table: EvidenceTable::KernelEvents,
            evidence_file: v.source.file.get(i).into(),
            evidence_line: v.source.line.get(i),
            evidence_blake3: v.source.blake3.get(i).into(),
            evidence_row_hash: read::row_digest(b, i).into(),
            corroboration,
            dedupe: None,
        });
    }
    out
}

fn file_resource(path: Option<&str>) -> String {
    format!("file://{}", path.unwrap_or("(unknown path)"))
}

/// `ok`, `refused` (the kernel said no: EPERM, EACCES) or `error` (anything else that
/// failed). A non-blocking connect in progress (EINPROGRESS) went out.
fn outcome_of(result: Option<i64>, event: Kind) -> SourceOutcome {
    match result {
        None => SourceOutcome::Ok,
        Some(r) if r >= 0 => SourceOutcome::Ok,
        Some(-115) if event == Kind::Connect => SourceOutcome::Ok,
        Some(-1 | -13) => SourceOutcome::Refused,
        Some(_) => SourceOutcome::Error,
    }
}

type Who = Option<(String, Option<String>)>;

fn calls_note(calls: usize) -> String {
    match calls {
        0 => "no tool call of its process tree covers it".to_string(),
        1 => "one tools/call span of its process tree covers it".to_string(),
        n => format!("{n} concurrent tools/call spans of its process tree cover it: the tool is not known"),
    }
}

/// Identity from a uid the policy says is one agent's own (`uids`): the kernel ran the process
/// as that user, so with nothing disagreeing it is `attributed`; the span chain or the process
/// environment naming another agent makes it `approximate`, both named (the span chain is kept,
/// then the uid).
fn by_owned_uid(o: Owner<'_>, uid: u32, env: Who, span: Who, calls: usize) -> (Who, Conf, String) {
    let owned = format!(
        "{}; the process ran as uid {uid}, which the policy says is {}'s own",
        calls_note(calls),
        o.agent
    );
    let differs = |w: &Who| w.as_ref().is_some_and(|w| w.0 != o.agent);
    let name = |w: &(String, Option<String>)| match &w.1 {
        Some(s) => format!("{}@{s}", w.0),
        None => w.0.clone(),
    };
    if let Some(s) = span.as_ref().filter(|_| differs(&span)) {
        return (
            Some(s.clone()),
            Conf::Approximate,
            format!(
                "conflict: {owned}, but its span chain names {}; the span chain is kept",
                name(s)
            ),
        );
    }
    let session = span.as_ref().and_then(|s| s.1.clone());
    if let Some(e) = env.as_ref().filter(|_| differs(&env)) {
        return (
            Some((o.agent.to_string(), session)),
            Conf::Approximate,
            format!(
                "conflict: {owned}, but the process environment names {}; the uid is kept",
                name(e)
            ),
        );
    }
    let session = session.or_else(|| env.as_ref().and_then(|e| e.1.clone()));
    (Some((o.agent.to_string(), session)), Conf::Attributed, owned)
}

/// Who did it and how sure that is, from the process environment and the covering tool call.
fn identity(env: Who, span: Who, calls: usize) -> (Who, Conf, String) {
    let name = |w: &(String, Option<String>)| match &w.1 {
        Some(s) => format!("{}@{s}", w.0),
        None => w.0.clone(),
    };
    let calls_note = calls_note(calls);
    match (env, span) {
        (Some(e), Some(s)) if e.0 == s.0 && (e.1 == s.1 || e.1.is_none() || s.1.is_none()) => (
            Some((s.0, s.1.or(e.1))),
            Conf::Attributed,
            format!("{calls_note}; its span chain and the process environment both name the agent"),
        ),
        (Some(e), Some(s)) => {
            let reason = format!(
                "{calls_note}; conflict: the span chain names {} but the process environment names {}",
                name(&s),
                name(&e)
            );
            (Some(s), Conf::Approximate, reason)
        }
        (None, Some(s)) => (
            Some(s),
            Conf::Approximate,
            format!("{calls_note}; identity from its span chain only (the process carried no AGENT_ID)"),
        ),
        (Some(e), None) => (
            Some(e),
            Conf::Approximate,
            format!("{calls_note}; identity from the process environment only (AGENT_ID, set by whoever started it)"),
        ),
        (None, None) => (
            None,
            Conf::Unattributed,
            format!("{calls_note}; no identity in its environment"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse;
    use crate::table::kernel_events::{KernelEventRow, KernelEventsBuilder};

    /// Rows of one process on descriptor 3: (event, path, ts, open flags on the row).
    fn events(rows: &[(Kind, &str, i64, Option<u32>)]) -> RecordBatch {
        let mut b = KernelEventsBuilder::new();
        for &(event, path, ts, flags) in rows {
            b.append(&KernelEventRow {
                event,
                path: Some(path.into()),
                ts: Some(ts),
                pid: 7,
                fd: Some(3),
                flags,
                boot_id: "boot".into(),
                ..KernelEventRow::default()
            });
        }
        b.finish().unwrap()
    }

    #[test]
    fn a_write_is_placed_by_the_open_it_came_through_and_a_joined_write_by_its_own() {
        let w = Some(0o1001); // O_WRONLY|O_TRUNC
        let batches = [
            events(&[
                // Opened and closed unwritten (a truncation): an action of its own.
                (Kind::Open, "/x", 10, w),
                // The same descriptor again, opened, written and closed: one joined row.
                (Kind::Write, "/x", 20, w),
                // The earlier shape: an open, then the write its close flushed.
                (Kind::Open, "/y", 30, w),
            ]),
            events(&[(Kind::Write, "/y", 45, None), (Kind::Write, "/x", 50, None)]),
        ];
        let views: Vec<_> = batches.iter().map(|b| KernelEventsView::of(b).unwrap()).collect();
        let opens = Opens::of(&views);
        // Only /y's open had a write come through it (in the next batch), which it places.
        assert_eq!(opens.written, [(0, 2)].into_iter().collect());
        assert_eq!(opens.opened_at.get(&(1, 0)), Some(&30));
        // The joined write is its own open: a bare write of /x after it has none before it.
        assert_eq!(opens.opened_at.get(&(0, 1)), None);
        assert_eq!(opens.opened_at.get(&(1, 1)), None);

        // The earlier shape, a descriptor opened twice: the write came through the second open.
        let batches = [events(&[
            (Kind::Open, "/z", 10, w),
            (Kind::Open, "/z", 20, w),
            (Kind::Write, "/z", 30, None),
        ])];
        let views: Vec<_> = batches.iter().map(|b| KernelEventsView::of(b).unwrap()).collect();
        let opens = Opens::of(&views);
        assert_eq!(opens.written, [(0, 1)].into_iter().collect());
        assert_eq!(opens.opened_at.get(&(0, 2)), Some(&20));
    }

    #[test]
    fn a_uid_of_an_agents_own_names_it_and_disagreement_is_approximate() {
        let (policy, diags) = parse(
            "agent \"release-bot\" {\n  uids = [1001]\n  resource \"file:///**\" { access = \"readwrite\" }\n}\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        let o = policy.owner(PrincipalKind::Uid, "1001").unwrap();
        let who = |a: &str| Some((a.to_string(), None));
        let (w, conf, reason) = by_owned_uid(o, 1001, None, None, 0);
        assert_eq!((w, conf), (who("release-bot"), Conf::Attributed));
        assert!(reason.contains("uid 1001"), "{reason}");
        let (w, conf, _) = by_owned_uid(
            o,
            1001,
            who("release-bot"),
            Some(("release-bot".into(), Some("s1".into()))),
            1,
        );
        assert_eq!(
            (w, conf),
            (Some(("release-bot".into(), Some("s1".into()))), Conf::Attributed)
        );
        let (w, conf, reason) = by_owned_uid(o, 1001, None, who("code-helper"), 1);
        assert_eq!((w, conf), (who("code-helper"), Conf::Approximate));
        assert!(
            reason.contains("code-helper") && reason.contains("uid 1001"),
            "{reason}"
        );
        let (w, conf, reason) = by_owned_uid(o, 1001, who("code-helper"), None, 0);
        assert_eq!((w, conf), (who("release-bot"), Conf::Approximate));
        assert!(reason.contains("process environment names code-helper"), "{reason}");
    }
}

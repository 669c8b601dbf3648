//! ebpf-capture files: every event becomes a kernel_events row, and the process tree becomes the
//! processes table.
//!
//! The file is read with agaudit-capture-format, the same definition ebpf-capture writes with.
//! Timestamps are converted from the boot clock to UTC with the header's clock pair. Each
//! process carries the identity its environment declared at exec (AGENT_ID, AGENT_SESSION_ID,
//! TRACEPARENT, OTEL_RESOURCE_ATTRIBUTES), and a child inherits its parent's until it declares
//! its own. Text fields are secret-scanned again here (ebpf-capture already did: a second net).
//!
//! Counting: for a capture file a "line" is a record. The header and the trailer are counted as
//! other records; an undecodable record is quarantined with its record number and byte offset
//! and reading goes on; a record cut short (a killed recorder) is quarantined as one, and a
//! missing trailer, or events the recorder lost, make the file partial with the reason.
//!
//! In: a capture file's bytes. Out: kernel_events and processes rows, quarantine entries.

use std::collections::HashMap;
use std::io::Read;

use agaudit_capture_format::{End, Event, Header, Kind, Reader, Record};

use super::pipeline::{Chunks, Format};
use super::sink::{ChunkOut, DatePartitions};
use crate::redact;
use crate::table::declare::{SourceFile, SourceRef};
use crate::table::kernel_events::{Identity, KernelEventRow, KernelEventsBuilder, ProcessRow, ProcessesBuilder};

/// The largest capture file read (they are read whole).
pub const MAX_CAPTURE_BYTES: u64 = 4 << 30;

fn identity_of(env: &[(String, String)]) -> Option<Identity> {
    let mut id = Identity::default();
    for (k, v) in env {
        match k.as_str() {
            "AGENT_ID" => match v.split_once('@') {
                Some((a, s)) => {
                    id.agent = Some(a.to_string());
                    id.session.get_or_insert_with(|| s.to_string());
                }
                None => id.agent = Some(v.clone()),
            },
            "AGENT_SESSION_ID" => id.session = Some(v.clone()),
            "TRACEPARENT" => id.trace_id = redact::sql::traceparent(v).map(|(t, _)| t),
            "OTEL_RESOURCE_ATTRIBUTES" => {
                for kv in v.split(',') {
                    match kv.split_once('=').map(|(k, v)| (k.trim(), v.trim())) {
                        Some(("gen_ai.agent.name" | "agent.name", a)) => {
                            id.agent.get_or_insert_with(|| a.to_string());
                        }
                        Some(("session.id" | "gen_ai.conversation.id", s)) => {
                            id.session.get_or_insert_with(|| s.to_string());
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    (id != Identity::default()).then_some(id)
}

/// What the reader knows of one process so far.
#[derive(Default, Clone)]
struct Proc<'a> {
    row: ProcessRow<'a>,
}

/// An ebpf-capture file, as an ingest format: read whole (records are length-prefixed binary),
/// one chunk.
pub struct Capture;

impl Format for Capture {
    fn tables(&self) -> Vec<(&'static str, arrow_schema::SchemaRef)> {
        vec![
            (KernelEventRow::TABLE, KernelEventRow::schema()),
            (ProcessRow::TABLE, ProcessRow::schema()),
        ]
    }

    fn parse(&self, mut reader: Box<dyn Read + Send>, source: &SourceFile, chunks: &Chunks<'_>) -> Option<String> {
        let mut bytes = Vec::new();
        let read_error = match reader.by_ref().take(MAX_CAPTURE_BYTES + 1).read_to_end(&mut bytes) {
            Err(e) => Some(format!("reading stopped at byte {}: {e}", bytes.len())),
            Ok(_) if bytes.len() as u64 > MAX_CAPTURE_BYTES => {
                bytes.truncate(MAX_CAPTURE_BYTES as usize);
                Some(format!(
                    "the capture is larger than {} GiB: only its first {} GiB were read",
                    MAX_CAPTURE_BYTES >> 30,
                    MAX_CAPTURE_BYTES >> 30
                ))
            }
            Ok(_) => None,
        };
        let mut out = ChunkOut::new(0);
        let problem = read_capture(source, &bytes, &mut out);
        chunks.emit(out);
        read_error.or(problem)
    }
}

/// Parses `bytes` into `out`; returns why the file is partial, if it is.
fn read_capture(source: &SourceFile, bytes: &[u8], out: &mut ChunkOut) -> Option<String> {
    let mut records = match Reader::new(bytes) {
        Ok(r) => r,
        Err(e) => {
            out.counts.lines_read += 1;
            out.quarantine(bytes, 1, 1, &e.reason);
            return None;
        }
    };
    let mut header: Option<Header> = None;
    let mut lost = 0;
    let mut events: DatePartitions<KernelEventsBuilder> = DatePartitions::default();
    let mut procs: HashMap<u32, Proc> = HashMap::new();
    let mut identities: HashMap<u32, Identity> = HashMap::new();
    for record in records.by_ref() {
        out.counts.lines_read += 1;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let at = (e.offset as usize).min(bytes.len());
                out.quarantine(
                    &bytes[at..(at + 64).min(bytes.len())],
                    e.record,
                    1,
                    &format!("byte {}: {}", e.offset, e.reason),
                );
                continue;
            }
        };
        let line = out.counts.lines_read;
        match record {
            Record::Header(h) => {
                out.counts.add_other("capture_header", 1);
                header = Some(h);
            }
            Record::Trailer(t) => {
                out.counts.add_other("capture_trailer", 1);
                lost = t.lost;
            }
            Record::Event(e) => {
                let Some(h) = &header else {
                    out.quarantine(&[], line, 1, "an event before the capture header");
                    continue;
                };
                let row = event_row(h, &e, source.at(line), &mut identities, &mut out.redactions);
                track(h, &e, &row, &mut procs);
                events
                    .for_micros(row.ts.map(|t| t / 1000), KernelEventsBuilder::new)
                    .append(&row);
                out.counts.row_lines += 1;
            }
        }
    }
    let mut problem = None;
    match records.end() {
        Some(End::Cut { offset, len }) => {
            out.counts.lines_read += 1;
            let at = (*offset as usize).min(bytes.len());
            out.quarantine(
                &bytes[at..(at + 64).min(bytes.len())],
                out.counts.lines_read,
                1,
                &format!(
                    "a record cut short at byte {offset} ({len} bytes): the recorder was stopped while writing it"
                ),
            );
            problem = Some(
                "the capture ends inside a record: the recorder was killed; every complete record was read".to_string(),
            );
        }
        Some(End::NoTrailer) => {
            problem = Some("the capture has no trailer: the recorder did not stop cleanly (killed or crashed); every record was read".to_string());
        }
        _ => {}
    }
    if lost > 0 {
        problem = Some(format!(
            "the recorder reported {lost} event(s) lost (its ring buffer was full): the capture is incomplete"
        ));
    }
    // The process tree, with each process's lineage as far as the capture saw.
    let parents: HashMap<u32, u32> = procs.iter().map(|(p, x)| (*p, x.row.ppid)).collect();
    let mut tree: DatePartitions<ProcessesBuilder> = DatePartitions::default();
    let mut rows: Vec<ProcessRow> = procs.into_values().map(|p| p.row).collect();
    rows.sort_by_key(|r| (r.started, r.pid));
    for mut r in rows {
        let mut lineage = vec![r.pid.to_string()];
        let mut at = r.ppid;
        while lineage.len() < 64 && at != 0 {
            lineage.push(at.to_string());
            match parents.get(&at) {
                Some(&p) if p != at => at = p,
                _ => break,
            }
        }
        r.lineage = lineage.join(" ");
        tree.for_micros(r.started.map(|t| t / 1000), ProcessesBuilder::new)
            .append(&r);
    }
    out.add_partitions(KernelEventRow::TABLE, events);
    out.add_partitions(ProcessRow::TABLE, tree);
    problem
}

fn event_row<'a>(
    h: &Header,
    e: &Event,
    source: SourceRef<'a>,
    identities: &mut HashMap<u32, Identity>,
    counts: &mut crate::redact::RuleCounts,
) -> KernelEventRow<'a> {
    let kind = e.kind.unwrap_or(Kind::Exec);
    match kind {
        Kind::Fork => {
            let inherited = identities.get(&e.ppid).cloned().unwrap_or_default();
            identities.insert(e.pid, inherited);
        }
        Kind::Exec => {
            if let Some(id) = e.env.as_deref().and_then(identity_of) {
                identities.insert(e.pid, id);
            }
        }
        _ => {}
    }
    // The kernel_events builder redacts each text as its column's class says.
    let comm = e.comm.clone();
    let text = |s: &Option<String>| s.clone();
    let mut row = KernelEventRow {
        ts: Some(wall_time(h.wall_ns, h.boot_ns, e.ts)),
        boot_ns: e.ts,
        host: h.host.clone(),
        boot_id: h.boot_id.clone(),
        pid: e.pid,
        tid: e.tid,
        ppid: e.ppid,
        uid: e.uid,
        comm,
        cgroup_id: e.cgroup_id,
        event: kind,
        path: text(&e.path),
        new_path: text(&e.new_path),
        fd: e.fd,
        flags: e.flags,
        mode: e.mode,
        inode: e.inode,
        bytes: e.bytes,
        calls: e.calls,
        length: e.length,
        family: e.family.map(i32::from),
        addr: text(&e.addr),
        port: e.port.map(u32::from),
        result: e.result,
        exit_status: e.exit_status,
        argv: e.argv.as_ref().map(|a| crate::redact::command_line(a, counts)),
        flush: e.flush.clone(),
        source,
        ..Default::default()
    };
    if let Some(id) = identities.get(&e.pid) {
        row.agent = id.agent.clone();
        row.session = id.session.clone();
        row.trace_id = id.trace_id.clone();
    }
    row
}

/// Updates the process tree with one event.
/// An event's wall-clock time: the header's wall time plus how long after the header's boot
/// time the event came, saturating (a capture anyone can write may hold any numbers).
fn wall_time(wall_ns: i64, header_boot_ns: u64, event_boot_ns: u64) -> i64 {
    let since = i128::from(event_boot_ns) - i128::from(header_boot_ns);
    let wall = i128::from(wall_ns) + since;
    wall.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

fn track<'a>(h: &Header, e: &Event, row: &KernelEventRow<'a>, procs: &mut HashMap<u32, Proc<'a>>) {
    let p = procs.entry(e.pid).or_insert_with(|| Proc {
        row: ProcessRow {
            host: h.host.clone(),
            boot_id: h.boot_id.clone(),
            pid: e.pid,
            ppid: e.ppid,
            uid: e.uid,
            started: row.ts,
            source: row.source,
            ..ProcessRow::default()
        },
    });
    p.row.events += 1;
    p.row.agent = row.agent.clone();
    p.row.session = row.session.clone();
    p.row.trace_id = row.trace_id.clone();
    if !row.comm.is_empty() {
        p.row.comm = row.comm.clone();
    }
    if e.ppid != 0 {
        p.row.ppid = e.ppid;
    }
    match e.kind {
        Some(Kind::Exec) => {
            p.row.execs += 1;
            p.row.exec_path = row.path.clone();
            p.row.argv = row.argv.clone();
        }
        Some(Kind::Exit) => {
            p.row.exited = row.ts;
            p.row.exit_status = e.exit_status;
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An event time far from the header's boot time overflowed the subtraction (found by
    /// fuzzing `ingest_capture`): the time saturates instead.
    #[test]
    fn fuzz_ingest_capture_an_event_time_far_from_the_boot_time_is_not_an_overflow() {
        assert_eq!(wall_time(1_000, 10, 25), 1_015);
        assert_eq!(wall_time(1_000, 25, 10), 985);
        assert_eq!(wall_time(i64::MAX - 1, 0, u64::MAX), i64::MAX);
        assert_eq!(wall_time(i64::MIN + 1, u64::MAX, 0), i64::MIN);
        assert_eq!(wall_time(0, 0, u64::MAX), i64::MAX);
    }

    #[test]
    fn identity_from_the_environment() {
        let env = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        };
        let id = identity_of(&env(&[("AGENT_ID", "reporting-assistant@q8n5")])).unwrap();
        assert_eq!(
            (id.agent.as_deref(), id.session.as_deref()),
            (Some("reporting-assistant"), Some("q8n5"))
        );
        let id = identity_of(&env(&[
            (
                "OTEL_RESOURCE_ATTRIBUTES",
                "service.name=x,gen_ai.agent.name=code-helper,session.id=h2v6",
            ),
            ("TRACEPARENT", "00-3e72dfcbb5ba18d305092bdb7e45a4dc-5ea0647bb3d38a87-01"),
        ]))
        .unwrap();
        assert_eq!(id.agent.as_deref(), Some("code-helper"));
        assert_eq!(id.session.as_deref(), Some("h2v6"));
        assert_eq!(id.trace_id.as_deref(), Some("3e72dfcbb5ba18d305092bdb7e45a4dc"));
        assert!(identity_of(&env(&[("PATH", "/bin")])).is_none());
    }
}

//! The `kernel_events` table (what ebpf-capture saw the kernel do) and the `processes` table
//! (the process tree rebuilt from it).
//!
//! One kernel_events row per capture event: who (host, pid, tid, ppid, uid, comm, cgroup, and
//! the agent/session/trace the process carried in its allow-listed environment, inherited by
//! its children), what (exec, fork, exit, open, write, unlink, rename, truncate, chmod,
//! connect, send) on which file or address, with the result. One processes row per process seen:
//! its parent, when it started, what it exec'd, when and how it ended, its identity, and its
//! lineage up the tree, so correlation can ask which tool call's process tree a pid belonged to.
//!
//! In: rows. Out: Arrow record batches.

use agaudit_capture_format::Kind;

use super::declare::ColumnEnum;
use super::declare::kind::*;

/// The capture format's event kinds are the `event` column's vocabulary.
impl ColumnEnum for Kind {
    const ALL: &'static [Self] = &Kind::ALL;
    fn name(self) -> &'static str {
        Kind::name(self)
    }
}

/// Who a process says it is, from AGENT_ID / AGENT_SESSION_ID / TRACEPARENT /
/// OTEL_RESOURCE_ATTRIBUTES in its environment (or its parent's).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Identity {
    pub agent: Option<String>,
    pub session: Option<String>,
    pub trace_id: Option<String>,
}

crate::table! {
    /// One kernel event, already redacted.
    pub struct KernelEventRow<'a> in "kernel_events", builder KernelEventsBuilder, view KernelEventsView {
        /// when, UTC (boot clock converted with the capture header's clock pair)
        ts: TsNs = Fixed,
        /// CLOCK_BOOTTIME of the event, ns (orders events within one boot)
        boot_ns: U64 = Fixed,
        /// host name from the capture header
        host: Text = Identifier,
        /// boot id from the capture header
        boot_id: Text = Identifier,
        /// process (thread group) id
        pid: U32 = Fixed,
        /// thread id
        tid: U32 = Fixed,
        /// parent process id
        ppid: U32 = Fixed,
        /// user id
        uid: U32 = Fixed,
        /// command name (16 bytes, as the kernel keeps it)
        comm: Text = Identifier,
        /// cgroup v2 id
        cgroup_id: U64 = Fixed,
        /// exec | fork | exit | open (with write intent) | write (aggregated) | unlink | rename | truncate | chmod | connect | send
        event: Enum<Kind> = Fixed,
        /// the file (exec path, opened/written/unlinked/truncated/chmod-ed file, rename source), absolute; unix socket path for connect/send
        path: OptText = Identifier,
        /// rename destination
        new_path: OptText = Identifier,
        /// descriptor (open's result, written descriptor, socket)
        fd: OptI64 = Fixed,
        /// open flags (O_WRONLY 1, O_RDWR 2, O_CREAT 64, O_TRUNC 512, O_APPEND 1024)
        flags: OptU32 = Fixed,
        /// open or chmod mode
        mode: OptU32 = Fixed,
        /// inode of the written file
        inode: OptU64 = Fixed,
        /// write: bytes since the previous write row for this process and descriptor
        bytes: OptU64 = Fixed,
        /// write: write calls since then
        calls: OptU64 = Fixed,
        /// truncate: the new length
        length: OptI64 = Fixed,
        /// connect/send address family: 2 IPv4, 10 IPv6, 1 unix
        family: OptI32 = Fixed,
        /// connect/send destination address
        addr: OptText = Identifier,
        /// connect/send destination port
        port: OptU32 = Fixed,
        /// the syscall's result (negative errno on failure)
        result: OptI64 = Fixed,
        /// exit: the wait status
        exit_status: OptI32 = Fixed,
        /// exec: argv, space-separated; an argument that is a statement without its literals, URL
        /// query values as `?`; secret-scanned
        argv: OptText = Identifier,
        /// write: what flushed the totals (close, exit, interval, stop); exec: truncated when argv or the environment was cut
        flush: OptText = Identifier,
        /// AGENT the process declared (AGENT_ID or OTEL_RESOURCE_ATTRIBUTES, its own or inherited from its parent)
        agent: OptText = Identifier,
        /// SESSION (AGENT_SESSION_ID, AGENT@SESSION in AGENT_ID, or OTEL_RESOURCE_ATTRIBUTES)
        session: OptText = Identifier,
        /// trace id from TRACEPARENT (32 hex)
        trace_id: OptText = Fixed,
        /// 1-based number of the record in the capture file (the header is record 1)
        source: Source = Fixed,
    }
}

crate::table! {
    /// One process of the tree.
    pub struct ProcessRow<'a> in "processes", builder ProcessesBuilder, view ProcessesView {
        /// host name from the capture header
        host: Text = Identifier,
        /// boot id (with pid and started, identifies the process)
        boot_id: Text = Identifier,
        /// process id
        pid: U32 = Fixed,
        /// parent process id
        ppid: U32 = Fixed,
        /// user id
        uid: U32 = Fixed,
        /// command name at its last event
        comm: Text = Identifier,
        /// fork (or first event) time, UTC
        started: TsNs = Fixed,
        /// program of its last exec
        exec_path: OptText = Identifier,
        /// argv of its last exec, secret-scanned
        argv: OptText = Identifier,
        /// how many times it exec'd
        execs: U64 = Fixed,
        /// exit time, UTC; null when it outlived the capture
        exited: TsNs = Fixed,
        /// exit wait status
        exit_status: OptI32 = Fixed,
        /// AGENT the process declared (AGENT_ID or OTEL_RESOURCE_ATTRIBUTES, its own or inherited from its parent)
        agent: OptText = Identifier,
        /// SESSION (AGENT_SESSION_ID, AGENT@SESSION in AGENT_ID, or OTEL_RESOURCE_ATTRIBUTES)
        session: OptText = Identifier,
        /// trace id from TRACEPARENT (32 hex)
        trace_id: OptText = Fixed,
        /// pid, parent, grandparent … space-separated, as far as the capture saw
        lineage: Text = Fixed,
        /// kernel_events rows of this process
        events: U64 = Fixed,
        /// 1-based number of the record in the capture file of the process's first event
        source: Source = Fixed,
    }
}

impl Identity {
    /// The identity a kernel event row carries.
    pub fn of_event(r: &KernelEventRow<'_>) -> Identity {
        Identity {
            agent: r.agent.clone(),
            session: r.session.clone(),
            trace_id: r.trace_id.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_match_schemas() {
        let mut b = KernelEventsBuilder::new();
        b.append(&KernelEventRow::default());
        assert_eq!(b.finish().unwrap().num_rows(), 1);
        let mut b = ProcessesBuilder::new();
        b.append(&ProcessRow::default());
        assert_eq!(b.finish().unwrap().num_rows(), 1);
    }
}

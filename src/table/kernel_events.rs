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

use std::sync::{Arc, OnceLock};

use arrow_schema::{DataType, Schema, SchemaRef};

use super::columns::{Source, TableBuilder, field, source_fields, timestamp_ns};

pub const TABLE: &str = "kernel_events";
pub const PROCESSES: &str = "processes";

/// Who a process says it is, from AGENT_ID / AGENT_SESSION_ID / TRACEPARENT /
/// OTEL_RESOURCE_ATTRIBUTES in its environment (or its parent's).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Identity {
    pub agent: Option<String>,
    pub session: Option<String>,
    pub trace_id: Option<String>,
}

/// One kernel event, already redacted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KernelEventRow {
    pub ts: Option<i64>,
    pub boot_ns: u64,
    pub host: String,
    pub boot_id: String,
    pub pid: u32,
    pub tid: u32,
    pub ppid: u32,
    pub uid: u32,
    pub comm: String,
    pub cgroup_id: u64,
    pub event: &'static str,
    pub path: Option<String>,
    pub new_path: Option<String>,
    pub fd: Option<i64>,
    pub flags: Option<u32>,
    pub mode: Option<u32>,
    pub inode: Option<u64>,
    pub bytes: Option<u64>,
    pub calls: Option<u64>,
    pub length: Option<i64>,
    pub family: Option<i32>,
    pub addr: Option<String>,
    pub port: Option<u32>,
    pub result: Option<i64>,
    pub exit_status: Option<i32>,
    pub argv: Option<String>,
    pub flush: Option<String>,
    pub identity: Identity,
    pub line: u64,
}

/// One process of the tree.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcessRow {
    pub host: String,
    pub boot_id: String,
    pub pid: u32,
    pub ppid: u32,
    pub uid: u32,
    pub comm: String,
    pub started: Option<i64>,
    pub exec_path: Option<String>,
    pub argv: Option<String>,
    pub execs: u64,
    pub exited: Option<i64>,
    pub exit_status: Option<i32>,
    pub identity: Identity,
    /// pid, its parent, its grandparent … as far as the capture knows, space-separated.
    pub lineage: String,
    pub events: u64,
    pub line: u64,
}

fn identity_fields() -> Vec<arrow_schema::Field> {
    vec![
        field(
            "agent",
            DataType::Utf8,
            true,
            "AGENT the process declared (AGENT_ID or OTEL_RESOURCE_ATTRIBUTES, its own or inherited from its parent)",
        ),
        field(
            "session",
            DataType::Utf8,
            true,
            "SESSION (AGENT_SESSION_ID, AGENT@SESSION in AGENT_ID, or OTEL_RESOURCE_ATTRIBUTES)",
        ),
        field("trace_id", DataType::Utf8, true, "trace id from TRACEPARENT (32 hex)"),
    ]
}

/// The Arrow schema of `kernel_events` (mirrored in schemas/kernel_events.arrow.json).
pub fn schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            use DataType::*;
            let mut fields = vec![
                field("ts", timestamp_ns(), true, "when, UTC (boot clock converted with the capture header's clock pair)"),
                field("boot_ns", UInt64, false, "CLOCK_BOOTTIME of the event, ns (orders events within one boot)"),
                field("host", Utf8, false, "host name from the capture header"),
                field("boot_id", Utf8, false, "boot id from the capture header"),
                field("pid", UInt32, false, "process (thread group) id"),
                field("tid", UInt32, false, "thread id"),
                field("ppid", UInt32, false, "parent process id"),
                field("uid", UInt32, false, "user id"),
                field("comm", Utf8, false, "command name (16 bytes, as the kernel keeps it)"),
                field("cgroup_id", UInt64, false, "cgroup v2 id"),
                field(
                    "event",
                    Utf8,
                    false,
                    "exec | fork | exit | open (with write intent) | write (aggregated) | unlink | rename | truncate | chmod | connect | send",
                ),
                field("path", Utf8, true, "the file (exec path, opened/written/unlinked/truncated/chmod-ed file, rename source), absolute; unix socket path for connect/send"),
                field("new_path", Utf8, true, "rename destination"),
                field("fd", Int64, true, "descriptor (open's result, written descriptor, socket)"),
                field("flags", UInt32, true, "open flags (O_WRONLY 1, O_RDWR 2, O_CREAT 64, O_TRUNC 512, O_APPEND 1024)"),
                field("mode", UInt32, true, "open or chmod mode"),
                field("inode", UInt64, true, "inode of the written file"),
                field("bytes", UInt64, true, "write: bytes since the previous write row for this process and descriptor"),
                field("calls", UInt64, true, "write: write calls since then"),
                field("length", Int64, true, "truncate: the new length"),
                field("family", Int32, true, "connect/send address family: 2 IPv4, 10 IPv6, 1 unix"),
                field("addr", Utf8, true, "connect/send destination address"),
                field("port", UInt32, true, "connect/send destination port"),
                field("result", Int64, true, "the syscall's result (negative errno on failure)"),
                field("exit_status", Int32, true, "exit: the wait status"),
                field("argv", Utf8, true, "exec: argv, space-separated, secret-scanned"),
                field("flush", Utf8, true, "write: what flushed the totals (close, exit, interval, stop); exec: truncated when argv or the environment was cut"),
            ];
            fields.extend(identity_fields());
            fields.extend(source_fields());
            Arc::new(Schema::new(fields))
        })
        .clone()
}

/// The Arrow schema of `processes` (mirrored in schemas/processes.arrow.json).
pub fn processes_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            use DataType::*;
            let mut fields = vec![
                field("host", Utf8, false, "host name from the capture header"),
                field(
                    "boot_id",
                    Utf8,
                    false,
                    "boot id (with pid and started, identifies the process)",
                ),
                field("pid", UInt32, false, "process id"),
                field("ppid", UInt32, false, "parent process id"),
                field("uid", UInt32, false, "user id"),
                field("comm", Utf8, false, "command name at its last event"),
                field("started", timestamp_ns(), true, "fork (or first event) time, UTC"),
                field("exec_path", Utf8, true, "program of its last exec"),
                field("argv", Utf8, true, "argv of its last exec, secret-scanned"),
                field("execs", UInt64, false, "how many times it exec'd"),
                field(
                    "exited",
                    timestamp_ns(),
                    true,
                    "exit time, UTC; null when it outlived the capture",
                ),
                field("exit_status", Int32, true, "exit wait status"),
            ];
            fields.extend(identity_fields());
            fields.extend([
                field(
                    "lineage",
                    Utf8,
                    false,
                    "pid, parent, grandparent … space-separated, as far as the capture saw",
                ),
                field("events", UInt64, false, "kernel_events rows of this process"),
            ]);
            fields.extend(source_fields());
            Arc::new(Schema::new(fields))
        })
        .clone()
}

impl KernelEventRow {
    pub fn append(&self, b: &mut TableBuilder, source: &Source) {
        let mut r = b.row();
        r.ts_ns(self.ts)
            .u64(Some(self.boot_ns))
            .str(Some(&self.host))
            .str(Some(&self.boot_id));
        r.u32(Some(self.pid))
            .u32(Some(self.tid))
            .u32(Some(self.ppid))
            .u32(Some(self.uid));
        r.str(Some(&self.comm)).u64(Some(self.cgroup_id)).str(Some(self.event));
        r.str(self.path.as_deref()).str(self.new_path.as_deref());
        r.i64(self.fd).u32(self.flags).u32(self.mode).u64(self.inode);
        r.u64(self.bytes).u64(self.calls).i64(self.length);
        r.i32(self.family).str(self.addr.as_deref()).u32(self.port);
        r.i64(self.result).i32(self.exit_status);
        r.str(self.argv.as_deref()).str(self.flush.as_deref());
        r.str(self.identity.agent.as_deref())
            .str(self.identity.session.as_deref())
            .str(self.identity.trace_id.as_deref());
        r.source(source, self.line);
        r.end();
    }
}

impl ProcessRow {
    pub fn append(&self, b: &mut TableBuilder, source: &Source) {
        let mut r = b.row();
        r.str(Some(&self.host)).str(Some(&self.boot_id));
        r.u32(Some(self.pid))
            .u32(Some(self.ppid))
            .u32(Some(self.uid))
            .str(Some(&self.comm));
        r.ts_ns(self.started)
            .str(self.exec_path.as_deref())
            .str(self.argv.as_deref());
        r.u64(Some(self.execs)).ts_ns(self.exited).i32(self.exit_status);
        r.str(self.identity.agent.as_deref())
            .str(self.identity.session.as_deref())
            .str(self.identity.trace_id.as_deref());
        r.str(Some(&self.lineage)).u64(Some(self.events));
        r.source(source, self.line);
        r.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_match_schemas() {
        let source = Source {
            file: "f".into(),
            blake3: "b".into(),
            labels: Default::default(),
        };
        let mut b = TableBuilder::new(schema());
        KernelEventRow::default().append(&mut b, &source);
        assert_eq!(b.finish().unwrap().num_rows(), 1);
        let mut b = TableBuilder::new(processes_schema());
        ProcessRow::default().append(&mut b, &source);
        assert_eq!(b.finish().unwrap().num_rows(), 1);
    }
}

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
pub use super::schema::{
    KernelEventRow, KernelEventsBuilder, KernelEventsView, ProcessRow, ProcessesBuilder, ProcessesView,
};

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

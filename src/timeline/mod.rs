//! The case's actions and findings as a timeline, for the tools investigators already use:
//! Timesketch (its CSV import), SIEMs and data lakes that speak OCSF (JSON Lines), and plain
//! CSV or JSON Lines.
//!
//! Every event comes from the actions and findings tables, checked row by row against the
//! ledger, so nothing is shown that the ledger does not vouch for. The values are the tables'
//! own, already redacted at ingest: no secret or literal reaches an export. OCSF events follow
//! schema version [`OCSF_VERSION`]: a database access is Datastore Activity (6005), a tool call
//! API Activity (6003), a kernel file write, unlink, rename or chmod File System Activity
//! (1001), a program started Process Activity (1007), a connection Network Activity (4001), a
//! diff finding Detection Finding (2004); what OCSF has no attribute for is kept under
//! `unmapped`.
//!
//! In: the case, a time range and an agent filter. Out: events, then text in one format.

use std::path::Path;

use serde_json::{Value, json};

use crate::case::IngestManifest;
use crate::ledger::LedgerError;
use crate::ledger::bound::{self, BoundTable};
use crate::policy::Class;
use crate::policy::Op;
use crate::table::actions::{ActionsView, EvidenceTable, Outcome, Verdict};
use crate::table::read::{self, ReadError};
use crate::table::schema::{FindingSeverity, FindingsView};
use crate::table::spans::{Semconv, SpanKind, SpanRow, SpanStatus, SpansView};
use crate::time::Bound;

/// The OCSF schema version the events follow (tests validate them against it).
pub const OCSF_VERSION: &str = "1.3.0";

/// Where the timeline goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The CSV Timesketch imports: message, datetime, timestamp_desc, timestamp, then fields.
    Timesketch,
    /// OCSF events, one JSON object per line.
    Ocsf,
    /// One JSON object per line: datetime, message and the fields.
    Jsonl,
    /// A header, then one row per event: datetime, message and the fields.
    Csv,
}

/// What to include.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub since: Option<Bound>,
    pub until: Option<Bound>,
    /// AGENT or AGENT@SESSION, globs allowed.
    pub agent: Option<String>,
}

/// The columns every event carries, in this order (empty when it has none).
pub const FIELDS: &[&str] = &[
    "event",
    "id",
    "agent",
    "session",
    "principal",
    "tool",
    "mcp_server",
    "resource",
    "op",
    "class",
    "command",
    "outcome",
    "verdict",
    "violation",
    "conf",
    "severity",
    "finding",
    "layers",
    "count",
    "evidence",
];

/// One action or finding.
#[derive(Debug, Clone)]
pub struct Event {
    /// None: nothing says when (a claim that changed between two listings without times).
    pub ts_ns: Option<i64>,
    pub message: String,
    /// What the time is: "access" for an action, "first seen" for a finding.
    pub timestamp_desc: &'static str,
    /// Values of [`FIELDS`], by position.
    pub fields: Vec<String>,
    pub ocsf: Value,
}

impl Event {
    fn get(&self, name: &str) -> &str {
        FIELDS
            .iter()
            .position(|f| *f == name)
            .and_then(|i| self.fields.get(i))
            .map_or("", String::as_str)
    }
}

/// The events of the case, oldest first, within `filter`.
pub fn events(case_root: &Path, manifest: &IngestManifest, filter: &Filter) -> Result<Vec<Event>, LedgerError> {
    let mut out = Vec::new();
    // The MCP tool calls themselves (the server side of tools/call), from the spans table: the
    // parents of the accesses that became actions.
    for b in &read::evidence(case_root, manifest, SpanRow::TABLE)? {
        let v = SpansView::of(b).map_err(ReadError::from)?;
        for i in 0..v.num_rows {
            let method = v.semconv[Semconv::McpMethod as usize].get(i);
            if v.kind.get(i) == SpanKind::Server && method == Some("tools/call") {
                out.push(tool_call(&v, i));
            }
        }
    }
    for b in &bound::actions(case_root)? {
        let v = ActionsView::of(b).map_err(ReadError::from)?;
        for i in 0..v.num_rows {
            out.push(action(&v, i));
        }
    }
    // A finding with no observed time (a claim that changed between listings) is placed at
    // the time the ledger recorded it, when it has one, and says so.
    let recorded = finding_records(case_root)?;
    for b in &bound::read_bound(case_root, BoundTable::Findings)? {
        let v = FindingsView::of(b).map_err(ReadError::from)?;
        for i in 0..v.num_rows {
            out.push(finding(&v, i, &recorded));
        }
    }
    out.retain(|e| selected(e, filter));
    // Events without a time last.
    out.sort_by(|a, b| (a.ts_ns.is_none(), a.ts_ns, a.get("id")).cmp(&(b.ts_ns.is_none(), b.ts_ns, b.get("id"))));
    Ok(out)
}

/// When the ledger recorded each finding (its latest record), by finding id.
fn finding_records(case_root: &Path) -> Result<std::collections::HashMap<String, i64>, LedgerError> {
    let (lines, _) = crate::ledger::read(case_root)?;
    let mut out = std::collections::HashMap::new();
    for line in &lines {
        if !line.contains(" kind=finding ") {
            continue;
        }
        let Ok(fields) = agaudit_verify::ledger::fields(line) else {
            continue;
        };
        let get = |k: &str| fields.iter().find(|(key, _)| *key == k).map(|(_, v)| v.as_str());
        let ts = get("ts").and_then(crate::time::instant).map(|t| t.as_nanosecond());
        if let (Some(id), Some(ts)) = (get("finding"), ts.and_then(|n| i64::try_from(n).ok())) {
            out.insert(id.to_string(), ts);
        }
    }
    Ok(out)
}

fn selected(e: &Event, f: &Filter) -> bool {
    let ts = crate::time::rfc3339(e.ts_ns).unwrap_or_default();
    let agent = match (e.get("agent"), e.get("session")) {
        ("", _) => None,
        (a, "") => Some(a.to_string()),
        (a, s) => Some(format!("{a}@{s}")),
    };
    f.since.is_none_or(|s| s.admits_from(&ts))
        && f.until.is_none_or(|u| u.admits_until(&ts))
        && f.agent.as_deref().is_none_or(|want| {
            agent
                .as_deref()
                .is_some_and(|a| crate::policy::pattern::agent_matches(want, a))
        })
}

fn opt(s: Option<&str>) -> String {
    s.unwrap_or_default().to_string()
}

/// OCSF's severity of an action: how its verdict stands against the policy.
fn action_severity(v: Verdict) -> (u8, &'static str) {
    match v {
        Verdict::ViolationAllowed => (4, "High"),
        Verdict::ViolationRefused => (3, "Medium"),
        Verdict::Ok | Verdict::NotJudged => (1, "Informational"),
    }
}

fn finding_severity(s: FindingSeverity) -> (u8, &'static str) {
    match s {
        FindingSeverity::Critical => (5, "Critical"),
        FindingSeverity::High => (4, "High"),
        FindingSeverity::Medium => (3, "Medium"),
        FindingSeverity::Low => (2, "Low"),
    }
}

/// `metadata`, `time`, the class, activity, status and severity: what every OCSF event has.
#[allow(clippy::too_many_arguments)]
fn ocsf_base(
    (category_uid, class_uid, class_name): (u32, u32, &str),
    (activity_id, activity_name): (u32, &str),
    (status_id, status): (u8, &str),
    (severity_id, severity): (u8, &str),
    ts_ns: i64,
    uid: &str,
    correlation: Option<&str>,
) -> Value {
    let mut metadata = json!({
        "version": OCSF_VERSION,
        "product": {"name": "agaudit", "vendor_name": "agaudit", "version": env!("CARGO_PKG_VERSION")},
        "uid": uid,
    });
    if let Some(c) = correlation {
        metadata["correlation_uid"] = c.into();
    }
    json!({
        "category_uid": category_uid,
        "class_uid": class_uid,
        "class_name": class_name,
        "activity_id": activity_id,
        "activity_name": activity_name,
        "type_uid": u64::from(class_uid) * 100 + u64::from(activity_id),
        "status_id": status_id,
        "status": status,
        "severity_id": severity_id,
        "severity": severity,
        "time": ts_ns.div_euclid(1_000_000),
        "metadata": metadata,
    })
}

/// `tcp://HOST:PORT` (an IPv6 address in brackets) as an OCSF network endpoint.
fn endpoint(resource: &str) -> Value {
    let rest = resource.split_once("://").map_or(resource, |(_, r)| r);
    if let Ok(addr) = rest.parse::<std::net::SocketAddr>() {
        return json!({"ip": addr.ip().to_string(), "port": addr.port()});
    }
    if let Ok(ip) = rest.trim_matches(['[', ']']).parse::<std::net::IpAddr>() {
        return json!({"ip": ip.to_string()});
    }
    match rest.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.parse::<u16>().is_ok() => {
            json!({"hostname": host, "port": port.parse::<u16>().unwrap_or_default()})
        }
        _ => json!({"name": resource}),
    }
}

fn action(v: &ActionsView<'_>, i: usize) -> Event {
    let ts_ns = v.ts.get(i).unwrap_or_default();
    let (agent, session, principal) = (v.agent.get(i), v.session.get(i), v.principal.get(i));
    let (resource, class, command) = (v.resource.get(i), v.class.get(i), v.command.get(i));
    let (outcome, verdict) = (v.outcome.get(i), v.verdict.get(i));
    let evidence = format!(
        "{}:{}:{}",
        v.evidence_table.get(i).name(),
        v.evidence_file.get(i),
        v.evidence_line.get(i)
    );
    let who = crate::table::actions::actor(agent, session, principal);
    let fields = vec![
        "action".into(),
        v.action_id.get(i).to_string(),
        opt(agent),
        opt(session),
        opt(principal),
        opt(v.tool.get(i)),
        opt(v.mcp_server.get(i)),
        resource.to_string(),
        v.op.get(i).name().to_string(),
        class.name().to_string(),
        opt(command),
        outcome.name().to_string(),
        verdict.name().to_string(),
        v.violation.get(i).map_or(String::new(), |x| x.name().to_string()),
        v.conf.get(i).name().to_string(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        evidence.clone(),
    ];
    let message = format!(
        "{who} {} {} {resource}: {}{}",
        command.unwrap_or(class.name()),
        v.op.get(i).name(),
        outcome.name(),
        v.violation
            .get(i)
            .map_or(String::new(), |x| format!(" ({}, {})", x.name(), verdict.name()))
    );
    let status = if outcome == Outcome::Deny {
        (2, "Failure")
    } else {
        (1, "Success")
    };
    let mut actor =
        json!({"user": {"name": agent.map_or_else(|| principal.unwrap_or("unknown").to_string(), |a| a.to_string())}});
    if let Some(s) = session {
        actor["session"] = json!({"uid": s});
    }
    if let Some(app) = v.mcp_server.get(i) {
        actor["app_name"] = app.into();
    }
    let upper = command.unwrap_or_default().to_ascii_uppercase();
    let base = |class, activity| {
        ocsf_base(
            class,
            activity,
            status,
            action_severity(verdict),
            ts_ns,
            v.action_id.get(i),
            v.trace_id.get(i),
        )
    };
    // Tool calls and file accesses: a write updates, anything else reads.
    let read_or_update = if v.op.get(i) == Op::Rw {
        (3, "Update")
    } else {
        (2, "Read")
    };
    let ocsf = match (v.evidence_table.get(i), class) {
        (_, Class::Network) => {
            let mut e = base((4, 4001, "Network Activity"), (1, "Open"));
            e["dst_endpoint"] = endpoint(resource);
            // Network Activity has no actor: who connected is the source endpoint's name.
            e["src_endpoint"] = json!({"name": agent.or(principal).unwrap_or("unknown")});
            e
        }
        (EvidenceTable::DbEvents, _) => {
            let activity = match (class, upper.as_str()) {
                (Class::Read, _) => (1, "Read"),
                (_, "UPDATE") => (2, "Update"),
                (_, "INSERT" | "COPY") => (5, "Write"),
                (Class::Ddl, c) if c.starts_with("CREATE") => (6, "Create"),
                (_, c) if c.starts_with("DELETE") || c.starts_with("TRUNCATE") || c.starts_with("DROP") => {
                    (7, "Delete")
                }
                _ => (99, "Other"),
            };
            let mut e = base((6, 6005, "Datastore Activity"), activity);
            let mut parts = resource.splitn(3, '/');
            let (server, db, table) = (parts.next(), parts.next(), parts.next());
            e["dst_endpoint"] = json!({"name": server.unwrap_or(resource)});
            e["src_endpoint"] = json!({"name": principal.unwrap_or("unknown")});
            e["database"] =
                json!({"name": db.unwrap_or(server.unwrap_or(resource)), "type_id": 1, "type": "Relational"});
            if let Some(t) = table {
                e["table"] = json!({"name": t});
            }
            e["actor"] = actor.clone();
            e
        }
        (EvidenceTable::KernelEvents, Class::Exec) => {
            // A program started: Process Activity, Launch. The process is known by its exec
            // record in the capture (the action holds no pid).
            let path = resource.strip_prefix("file://").unwrap_or(resource);
            let name = path.rsplit('/').next().unwrap_or(path);
            let mut e = base((1, 1007, "Process Activity"), (1, "Launch"));
            e["process"] = json!({
                "name": name,
                "uid": evidence,
                "file": {"name": name, "path": path, "type_id": 1, "type": "Regular File"},
            });
            e["device"] = json!({"type_id": 0, "type": "Unknown", "name": v.evidence_file.get(i)});
            e["actor"] = actor.clone();
            e
        }
        (EvidenceTable::KernelEvents, _) => {
            let path = resource.strip_prefix("file://").unwrap_or(resource);
            let name = path.rsplit('/').next().unwrap_or(path);
            // The kernel event's name is the command: what happened to the file.
            let activity = match command.unwrap_or_default() {
                "unlink" => (4, "Delete"),
                "rename" => (5, "Rename"),
                "chmod" => (7, "Set Security"),
                _ => read_or_update,
            };
            let mut e = base((1, 1001, "File System Activity"), activity);
            e["file"] = json!({"name": name, "path": path, "type_id": 1, "type": "Regular File"});
            // The recording names the host in its header, not in the action: what agaudit
            // knows of the device is the capture it was recorded in.
            e["device"] = json!({"type_id": 0, "type": "Unknown", "name": v.evidence_file.get(i)});
            e["actor"] = actor.clone();
            e
        }
        (EvidenceTable::Spans, _) => {
            let mut e = base((6, 6003, "API Activity"), read_or_update);
            let mut api = json!({"operation": command.or(v.tool.get(i)).unwrap_or(class.name())});
            if let Some(s) = v.mcp_server.get(i) {
                api["service"] = json!({"name": s});
            }
            e["api"] = api;
            e["src_endpoint"] = json!({"name": agent.or(principal).unwrap_or("unknown")});
            e["dst_endpoint"] = endpoint(resource);
            e["actor"] = actor.clone();
            e
        }
    };
    let mut ocsf = ocsf;
    ocsf["message"] = message.clone().into();
    ocsf["unmapped"] = unmapped(&fields);
    Event {
        ts_ns: Some(ts_ns),
        message,
        timestamp_desc: "access",
        fields,
        ocsf,
    }
}

fn tool_call(v: &SpansView<'_>, i: usize) -> Event {
    let ts_ns = v.start_time.get(i);
    let (agent, session) = (v.agent.get(i), v.session.get(i));
    let tool = v
        .tool
        .get(i)
        .or(v.semconv[Semconv::ToolName as usize].get(i))
        .unwrap_or("?");
    let server = v.server.get(i).or(v.service_name.get(i));
    let failed = v.status.get(i) == SpanStatus::Error;
    let evidence = format!("spans:{}:{}", v.source.file.get(i), v.source.line.get(i));
    let id = format!(
        "{}/{}",
        v.trace_id.get(i).unwrap_or_default(),
        v.span_id.get(i).unwrap_or_default()
    );
    let fields = vec![
        "tool_call".into(),
        id.clone(),
        opt(agent),
        opt(session),
        String::new(),
        tool.to_string(),
        opt(server),
        String::new(),
        String::new(),
        String::new(),
        "tools/call".into(),
        if failed { "error" } else { "ok" }.to_string(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        "telemetry".into(),
        String::new(),
        evidence,
    ];
    let who = agent.map_or("an unknown caller".to_string(), |a| match session {
        Some(s) => format!("{a}@{s}"),
        None => a.to_string(),
    });
    let message = format!(
        "{who} called tool {tool} on {}{}",
        server.unwrap_or("an MCP server"),
        if failed { " (error)" } else { "" }
    );
    let status = if failed { (2, "Failure") } else { (1, "Success") };
    // A tool call reads or changes nothing by itself: its accesses are the actions.
    let mut e = ocsf_base(
        (6, 6003, "API Activity"),
        (99, "Other"),
        status,
        (1, "Informational"),
        ts_ns.unwrap_or_default(),
        &id,
        v.trace_id.get(i),
    );
    let mut api = json!({"operation": format!("tools/call {tool}")});
    if let Some(s) = server {
        api["service"] = json!({"name": s});
    }
    e["api"] = api;
    e["actor"] = json!({"user": {"name": agent.unwrap_or("unknown")}});
    if let Some(s) = session {
        e["actor"]["session"] = json!({"uid": s});
    }
    e["src_endpoint"] = json!({"name": agent.unwrap_or("unknown")});
    e["dst_endpoint"] = json!({"svc_name": server.unwrap_or("unknown")});
    e["message"] = message.clone().into();
    e["unmapped"] = unmapped(&fields);
    Event {
        ts_ns,
        message,
        timestamp_desc: "tool call",
        fields,
        ocsf: e,
    }
}

fn finding(v: &FindingsView<'_>, i: usize, recorded: &std::collections::HashMap<String, i64>) -> Event {
    let observed = v.first_ts.get(i);
    let when = observed.or_else(|| recorded.get(v.finding_id.get(i)).copied());
    let ts_ns = when.unwrap_or_default();
    let timestamp_desc = if observed.is_some() {
        "first seen"
    } else {
        "recorded by agaudit diff"
    };
    let (kind, severity) = (v.kind.get(i), v.severity.get(i));
    let who = crate::table::actions::actor(v.agent.get(i), v.session.get(i), v.principal.get(i));
    let tool = format!("{}/{}", v.mcp_server.get(i).unwrap_or("?"), v.tool.get(i));
    let fields = vec![
        "finding".into(),
        v.finding_id.get(i).to_string(),
        opt(v.agent.get(i)),
        opt(v.session.get(i)),
        opt(v.principal.get(i)),
        v.tool.get(i).to_string(),
        opt(v.mcp_server.get(i)),
        opt(v.resource.get(i)),
        String::new(),
        v.class.get(i).map_or(String::new(), |c| c.name().to_string()),
        opt(v.command.get(i)),
        v.outcome.get(i).map_or(String::new(), |o| o.name().to_string()),
        String::new(),
        String::new(),
        v.conf.get(i).name().to_string(),
        severity.name().to_string(),
        kind.name().to_string(),
        v.layers.get(i).to_string(),
        v.count.get(i).to_string(),
        v.evidence.get(i).to_string(),
    ];
    let message = format!("{} {kind} on {tool} by {who}: {}", severity.name(), v.detail.get(i));
    let mut ocsf = ocsf_base(
        (2, 2004, "Detection Finding"),
        (1, "Create"),
        (1, "New"),
        finding_severity(severity),
        ts_ns,
        v.finding_id.get(i),
        None,
    );
    ocsf["finding_info"] = json!({
        "uid": v.finding_id.get(i),
        "title": format!("{kind}: {tool}"),
        "desc": v.detail.get(i),
        "types": [kind.name()],
        "created_time": recorded.get(v.finding_id.get(i)).copied().unwrap_or(ts_ns).div_euclid(1_000_000),
        "related_events": v.action_ids.get(i).split_whitespace().map(|a| json!({"uid": a})).collect::<Vec<_>>(),
    });
    if let Some(first) = observed {
        ocsf["finding_info"]["first_seen_time"] = first.div_euclid(1_000_000).into();
        ocsf["finding_info"]["last_seen_time"] = v.last_ts.get(i).unwrap_or(first).div_euclid(1_000_000).into();
    }
    ocsf["count"] = v.count.get(i).into();
    ocsf["message"] = message.clone().into();
    ocsf["unmapped"] = unmapped(&fields);
    Event {
        ts_ns: when,
        message,
        timestamp_desc,
        fields,
        ocsf,
    }
}

/// What OCSF has no attribute for: every non-empty field, under `unmapped.agaudit`.
fn unmapped(fields: &[String]) -> Value {
    let agaudit: serde_json::Map<String, Value> = FIELDS
        .iter()
        .zip(fields)
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_string(), Value::String(v.clone())))
        .collect();
    json!({ "agaudit": agaudit })
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The events as text in `format`, and how many were left out because the format needs a time
/// they do not have (OCSF and Timesketch require one; JSON Lines and CSV leave it empty).
pub fn render(events: &[Event], format: Format) -> (String, usize) {
    let mut out = String::new();
    let time = |e: &Event| crate::time::rfc3339(e.ts_ns).unwrap_or_default();
    let needs_time = matches!(format, Format::Ocsf | Format::Timesketch);
    let timeless = if needs_time {
        events.iter().filter(|e| e.ts_ns.is_none()).count()
    } else {
        0
    };
    let events = events.iter().filter(|e| !needs_time || e.ts_ns.is_some());
    match format {
        Format::Ocsf => {
            for e in events {
                out.push_str(&e.ocsf.to_string());
                out.push('\n');
            }
        }
        Format::Jsonl => {
            for e in events {
                let mut obj = serde_json::Map::new();
                obj.insert("datetime".into(), e.ts_ns.map_or(Value::Null, |_| time(e).into()));
                obj.insert("message".into(), e.message.clone().into());
                for (k, v) in FIELDS.iter().zip(&e.fields) {
                    if !v.is_empty() {
                        obj.insert(k.to_string(), v.clone().into());
                    }
                }
                out.push_str(&Value::Object(obj).to_string());
                out.push('\n');
            }
        }
        Format::Timesketch | Format::Csv => {
            let head: Vec<&str> = if format == Format::Timesketch {
                vec!["message", "datetime", "timestamp_desc", "timestamp"]
            } else {
                vec!["datetime", "message"]
            };
            out.push_str(&head.iter().chain(FIELDS).copied().collect::<Vec<_>>().join(","));
            out.push_str("\r\n");
            for e in events {
                let mut row = if format == Format::Timesketch {
                    vec![
                        csv_field(&e.message),
                        time(e),
                        e.timestamp_desc.to_string(),
                        e.ts_ns.unwrap_or_default().div_euclid(1000).to_string(),
                    ]
                } else {
                    vec![time(e), csv_field(&e.message)]
                };
                row.extend(e.fields.iter().map(|f| csv_field(f)));
                out.push_str(&row.join(","));
                out.push_str("\r\n");
            }
        }
    }
    (out, timeless)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::actions::{ActionRow, ActionsBuilder};

    fn kernel_action(class: Class, command: &str, resource: &str) -> Value {
        let mut b = ActionsBuilder::new();
        b.append(&ActionRow {
            action_id: "a1".into(),
            ts: Some(1_780_000_000_000_000_000),
            resource: resource.into(),
            class,
            command: Some(command.into()),
            evidence_table: EvidenceTable::KernelEvents,
            evidence_file: "capture/host.cap".into(),
            evidence_line: 7,
            ..ActionRow::default()
        });
        let batch = b.finish().unwrap();
        action(&ActionsView::of(&batch).unwrap(), 0).ocsf
    }

    /// Each kernel event becomes the OCSF activity it is (`class_uid * 100 + activity_id`).
    #[test]
    fn kernel_actions_map_to_their_ocsf_activity() {
        for (class, command, type_uid) in [
            (Class::Write, "write", 100103),
            (Class::Write, "unlink", 100104),
            (Class::Write, "rename", 100105),
            (Class::Write, "chmod", 100107),
            (Class::Exec, "exec", 100701),
        ] {
            let e = kernel_action(class, command, "file:///srv/reports/w.json");
            assert_eq!(e["type_uid"], type_uid, "{command}: {e}");
        }
        let e = kernel_action(Class::Exec, "exec", "file:///usr/bin/curl");
        assert_eq!(e["process"]["name"], "curl");
        assert_eq!(e["process"]["uid"], "kernel_events:capture/host.cap:7");
    }

    #[test]
    fn endpoints_read_ipv4_ipv6_and_names() {
        assert_eq!(endpoint("tcp://10.0.0.5:5432"), json!({"ip": "10.0.0.5", "port": 5432}));
        assert_eq!(endpoint("tcp://[::1]:8080"), json!({"ip": "::1", "port": 8080}));
        assert_eq!(endpoint("tcp://fe80::1"), json!({"ip": "fe80::1"}));
        assert_eq!(
            endpoint("tcp://db.internal:5432"),
            json!({"hostname": "db.internal", "port": 5432})
        );
        assert_eq!(endpoint("otel-collector"), json!({"name": "otel-collector"}));
    }
}

//! Ingest of ebpf-capture files (fixtures/capture, recorded from the real kernel by
//! scripts/fixtures/capture.sh), checked against what the workload declares in expected.json:
//! kernel_events rows, the process tree, identities from the environment, redaction, and
//! killed, cut and corrupt captures read as far as they go with the counts adding up.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Output;

use serde_json::Value;

use super::util::Agaudit;
use super::{balanced_lines, everything_written, root, table_rows};

type Row = BTreeMap<String, Option<String>>;

fn ingest(case: &Path, file: &str) -> (Value, Output) {
    let o = Agaudit::new()
        .args(["ingest", "--json", file])
        .case(case)
        .at_root()
        .run();
    let v: Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)));
    (v, o)
}

fn expected() -> Value {
    serde_json::from_str(&fs::read_to_string(root().join("fixtures/capture/expected.json")).unwrap()).unwrap()
}

fn get<'a>(r: &'a Row, k: &str) -> Option<&'a str> {
    r.get(k).and_then(|v| v.as_deref())
}

fn num(r: &Row, k: &str) -> u64 {
    get(r, k).and_then(|v| v.parse().ok()).unwrap_or(0)
}

#[test]
fn a_recorded_workload_becomes_kernel_events_and_a_process_tree() {
    let case = tempfile::TempDir::new().unwrap();
    let (v, out) = ingest(case.path(), "fixtures/capture/workload.cap");
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    let file = &v["files"][0];
    assert_eq!(
        (file["kind"].as_str(), file["status"].as_str()),
        (Some("ebpf_capture"), Some("ingested"))
    );
    let records = balanced_lines(&file["counts"]);
    assert_eq!(file["counts"]["other_lines"]["capture_header"], 1);
    assert_eq!(file["counts"]["other_lines"]["capture_trailer"], 1);
    assert_eq!(file["counts"]["quarantined_lines"], 0);

    let x = expected();
    let events = table_rows(case.path(), "kernel_events");
    assert_eq!(events.len() as u64, records - 2);
    let of = |event: &'static str| events.iter().filter(move |r| get(r, "event") == Some(event));
    let wf = &x["workload_file"];
    let path = wf["path"].as_str().unwrap();
    let written: u64 = of("write")
        .filter(|r| get(r, "path") == Some(path))
        .map(|r| num(r, "bytes"))
        .sum();
    assert_eq!(written, wf["bytes"].as_u64().unwrap());
    let t = of("truncate").find(|r| get(r, "path") == Some(path)).expect("truncate");
    assert_eq!(get(t, "length"), Some(wf["truncated_to"].to_string().as_str()));
    let renamed = wf["renamed_to"].as_str().unwrap();
    assert!(of("rename").any(|r| get(r, "path") == Some(path) && get(r, "new_path") == Some(renamed)));
    assert!(of("chmod").any(|r| get(r, "path") == Some(renamed) && num(r, "mode") == wf["chmod"].as_u64().unwrap()));
    assert!(of("unlink").any(|r| get(r, "path") == Some(renamed) && get(r, "result") == Some("0")));
    let port = x["port"].as_u64().unwrap();
    assert!(
        of("connect")
            .any(|r| get(r, "addr") == Some("127.0.0.1") && num(r, "port") == port && get(r, "result") == Some("0"))
    );
    assert!(of("send").any(|r| num(r, "port") == port && num(r, "result") == x["send"]["bytes"].as_u64().unwrap()));
    // Every event has a UTC time on the capture's day and the header's host.
    assert!(
        events
            .iter()
            .all(|r| get(r, "ts").is_some() && get(r, "host").is_some())
    );

    // The child declared its agent in its environment; its write carries it.
    let child = &x["child"];
    let exec = of("exec")
        .find(|r| get(r, "agent") == child["agent"].as_str())
        .expect("the child's exec with its AGENT_ID");
    let child_pid = get(exec, "pid").unwrap();
    assert!(of("write").any(|r| get(r, "pid") == Some(child_pid)
        && get(r, "path") == child["writes"].as_str()
        && num(r, "bytes") == child["bytes"].as_u64().unwrap()
        && get(r, "agent") == child["agent"].as_str()));
    assert!(
        get(exec, "argv").unwrap().contains("[REDACTED:github_token]"),
        "{exec:?}"
    );

    // The process tree: the child's lineage runs through the workload process.
    let procs = table_rows(case.path(), "processes");
    let p = procs.iter().find(|r| get(r, "pid") == Some(child_pid)).unwrap();
    let lineage: Vec<&str> = get(p, "lineage").unwrap().split(' ').collect();
    assert_eq!(lineage[0], child_pid);
    assert_eq!(Some(lineage[1]), get(p, "ppid"));
    assert!(
        procs
            .iter()
            .any(|r| get(r, "pid") == Some(lineage[1]) && get(r, "exec_path").is_some_and(|e| e.contains("python")))
    );
    assert_eq!(get(p, "exit_status"), Some("0"));

    // No planted secret anywhere agaudit wrote or printed.
    let all = everything_written(case.path(), &[&out]);
    for s in x["planted_secrets"].as_array().unwrap() {
        assert!(!all.contains(s.as_str().unwrap()), "{s} reached an output");
    }
}

#[test]
fn killed_cut_and_corrupt_captures_are_read_as_far_as_they_go() {
    let x = expected();
    let case = tempfile::TempDir::new().unwrap();
    let (v, _) = ingest(case.path(), "fixtures/capture/killed.cap");
    let file = &v["files"][0];
    assert_eq!(file["status"], "partial", "{file:#}");
    assert!(file["message"].as_str().unwrap().contains("no trailer"), "{file:#}");
    balanced_lines(&file["counts"]);
    let loops = table_rows(case.path(), "kernel_events")
        .into_iter()
        .filter(|r| get(r, "path") == x["killed"]["loop_file"].as_str())
        .count();
    assert!(loops > 3, "the complete records before the kill are kept: {loops}");

    let tmp = tempfile::TempDir::new().unwrap();
    let bytes = fs::read(root().join("fixtures/capture/killed.cap")).unwrap();
    let cut = tmp.path().join("cut.cap");
    fs::write(&cut, &bytes[..bytes.len() - 7]).unwrap();
    let case = tempfile::TempDir::new().unwrap();
    let (v, _) = ingest(case.path(), cut.to_str().unwrap());
    let file = &v["files"][0];
    assert_eq!(file["status"], "partial");
    assert_eq!(file["counts"]["quarantined_lines"], 1, "the cut record");
    assert!(file["message"].as_str().unwrap().contains("inside a record"));
    balanced_lines(&file["counts"]);
    let quarantine = fs::read_to_string(case.path().join(file["quarantine"].as_str().unwrap())).unwrap();
    assert!(quarantine.contains("cut short at byte"), "{quarantine}");

    // A record whose kind byte is wrong: quarantined by number, the rest still read.
    let good = fs::read(root().join("fixtures/capture/workload.cap")).unwrap();
    let mut reader = agaudit_capture_format::Reader::new(&good).unwrap();
    reader.next();
    reader.next();
    let third = reader.offset() as usize;
    let mut bad = good.clone();
    bad[third + 4] = 0x77;
    let corrupt = tmp.path().join("corrupt.cap");
    fs::write(&corrupt, &bad).unwrap();
    let case = tempfile::TempDir::new().unwrap();
    let (v, _) = ingest(case.path(), corrupt.to_str().unwrap());
    let file = &v["files"][0];
    assert_eq!(file["counts"]["quarantined_lines"], 1);
    balanced_lines(&file["counts"]);
    let quarantine = fs::read_to_string(case.path().join(file["quarantine"].as_str().unwrap())).unwrap();
    assert!(
        quarantine.contains("\"line\":3") && quarantine.contains("unknown record kind 119"),
        "{quarantine}"
    );
}

/// The MCP fixture server recorded from the kernel while it served each agent session
/// (scripts/fixtures/capture.sh), against that run's own record of the tool calls.
#[test]
fn the_mcp_servers_process_tree_is_seen_from_the_kernel() {
    let calls: Value =
        serde_json::from_str(&fs::read_to_string(root().join("fixtures/capture/mcp-expected.json")).unwrap()).unwrap();
    let calls = calls["tool_calls"].as_array().unwrap();
    // Capture file ↔ the agent session it served (fixtures/mcp/README.md).
    let mut ports: Vec<(bool, std::collections::BTreeSet<String>)> = Vec::new();
    for (file, agent, session) in [
        ("mcp-traffic.cap", "reporting-assistant", "q8n5"),
        ("mcp-traffic-code-helper.cap", "code-helper", "h2v6"),
        ("mcp-traffic-data-export.cap", "data-export-job", "x7p3"),
    ] {
        let case = tempfile::TempDir::new().unwrap();
        let (v, _) = ingest(case.path(), &format!("fixtures/capture/{file}"));
        assert_eq!(v["files"][0]["status"], "ingested", "{file}: {v:#}");
        let events = table_rows(case.path(), "kernel_events");
        let server = events
            .iter()
            .find(|r| {
                get(r, "event") == Some("exec")
                    && get(r, "argv")
                        .and_then(|a| a.split(' ').nth(1))
                        .is_some_and(|a| a.ends_with("mcp_server.py"))
            })
            .unwrap_or_else(|| panic!("{file}: the MCP server's exec"));
        let pid = get(server, "pid").unwrap();
        assert_eq!(
            (get(server, "agent"), get(server, "session")),
            (Some(agent), Some(session)),
            "{file}"
        );
        let by_server = |event: &'static str| {
            events
                .iter()
                .filter(move |r| get(r, "pid") == Some(pid) && get(r, "event") == Some(event))
        };
        assert!(
            by_server("connect").any(|r| get(r, "addr") == Some("127.0.0.1") && get(r, "port") == Some("54329")),
            "{file}: the server's connection to the fixture PostgreSQL"
        );
        let called = |tool: &str| calls.iter().any(|c| c["agent"] == agent && c["tool"] == tool);
        let report_writes = by_server("write")
            .filter(|r| get(r, "path").is_some_and(|p| p.contains("/reports/")))
            .count();
        assert_eq!(
            report_writes > 0,
            called("export_report"),
            "{file}: export_report writes its report file"
        );
        let other_ports = by_server("connect")
            .filter(|r| get(r, "addr") == Some("127.0.0.1") && get(r, "port") != Some("54329"))
            .filter_map(|r| get(r, "port").map(str::to_string))
            .collect();
        ports.push((called("fetch_rates"), other_ports));
    }
    // Every session's server exports telemetry to the one OTLP receiver of the run; only the
    // sessions that called fetch_rates also reach the run's rates API.
    let common: std::collections::BTreeSet<String> = ports
        .iter()
        .map(|(_, p)| p.clone())
        .reduce(|a, b| a.intersection(&b).cloned().collect())
        .unwrap();
    assert!(!common.is_empty(), "the OTLP receiver: {ports:?}");
    for (fetched, p) in &ports {
        assert_eq!(
            p.len() > common.len(),
            *fetched,
            "fetch_rates connects to the rates API: {ports:?}"
        );
    }
}

/// The kernel layer in the inventory: a source that names agents (by the recorder's allow-listed
/// environment), a coverage row per host, and a capture with no trailer a coverage gap naming
/// its host and the span from its last event on. The host and the last event's time are read
/// from the capture with the format's own reader, not from agaudit's tables.
#[test]
fn a_capture_cut_short_is_a_coverage_gap_of_its_host() {
    use agaudit_capture_format::{Reader, Record};
    let bytes = fs::read(root().join("fixtures/capture/killed.cap")).unwrap();
    let (mut host, mut boot, mut wall, mut last) = (String::new(), 0u64, 0i64, 0u64);
    for r in Reader::new(&bytes).unwrap() {
        match r {
            Ok(Record::Header(h)) => (host, boot, wall) = (h.host, h.boot_ns, h.wall_ns),
            Ok(Record::Event(e)) => last = last.max(e.ts),
            _ => {}
        }
    }
    let last_ns = wall + (last - boot) as i64;
    let case = tempfile::TempDir::new().unwrap();
    // A database log that goes on after the capture stopped, from the same run of the workload.
    ingest(case.path(), "fixtures/capture/killed.cap");
    Agaudit::new()
        .args([
            "ingest",
            "--label",
            "server=prod-postgres",
            "--pg-prefix",
            "%m [%p] %q%u@%d app=%a client=%h session=%c sqlstate=%e ",
        ])
        .case(case.path())
        .arg("fixtures/pgaudit/postgresql.log")
        .at_root()
        .run();
    Agaudit::new()
        .args(["correlate", "--policy", "fixtures/policy/agents.hcl"])
        .case(case.path())
        .at_root()
        .run();
    let o = Agaudit::new()
        .args(["inventory", "--json", "--no-record"])
        .case(case.path())
        .at_root()
        .run();
    let inv: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", super::util::text(&o)));
    assert!(
        inv["coverage"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["source"] == "kernel_events" && c["scope"] == host.as_str()),
        "{inv:#}"
    );
    let db_last = inv["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["source"] == "db_events")
        .filter_map(|c| c["last"].as_str())
        .max()
        .map(str::to_string);
    let capture_ends_first = db_last.as_deref().is_some_and(|d| {
        chrono::DateTime::parse_from_rfc3339(d)
            .unwrap()
            .timestamp_nanos_opt()
            .unwrap()
            > last_ns
    });
    assert!(
        capture_ends_first,
        "the fixtures: the database log goes on after the killed capture"
    );
    let gaps: Vec<&Value> = inv["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["missing"] == "kernel_events")
        .collect();
    assert_eq!(gaps.len(), 1, "one gap for the host, not one per rule: {gaps:#?}");
    let g = gaps[0];
    assert!(
        g["resource"]
            .as_str()
            .unwrap()
            .starts_with(&format!("host {host} (capture fixtures/capture/killed.cap)")),
        "{g}"
    );
    let first = chrono::DateTime::parse_from_rfc3339(g["first"].as_str().unwrap()).unwrap();
    assert_eq!(
        first.timestamp_nanos_opt().unwrap() / 1000,
        last_ns / 1000,
        "the span starts at its last event"
    );
    assert_eq!(g["last"].as_str(), db_last.as_deref(), "and runs to the evidence's end");
    assert!(g["count"].as_u64().unwrap() > 0);
}

/// `map` shows the principals an agent was seen through that its block does not claim: the
/// uid its kernel actions ran as, read here from the capture itself.
#[test]
fn the_map_shows_the_uid_an_agents_kernel_actions_ran_as() {
    use agaudit_capture_format::{Reader, Record};
    let bytes = fs::read(root().join("fixtures/capture/mcp-traffic.cap")).unwrap();
    let uids: std::collections::BTreeSet<String> = Reader::new(&bytes)
        .unwrap()
        .filter_map(|r| match r {
            Ok(Record::Event(e)) if e.kind == Some(agaudit_capture_format::Kind::Write) => Some(e.uid.to_string()),
            _ => None,
        })
        .collect();
    assert!(!uids.is_empty());
    let dir = tempfile::TempDir::new().unwrap();
    let demo = dir.path().join("demo");
    Agaudit::new().args(["demo", "--case"]).arg(&demo).expect(0);
    let o = Agaudit::new()
        .args(["map", "--json", "--no-record"])
        .case(&demo.join("case"))
        .run();
    let map: Value = serde_json::from_slice(&o.stdout).unwrap();
    let seen: Vec<&Value> = map["identities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["agent"] == "reporting-assistant" && i["kind"] == "uid")
        .collect();
    assert!(
        seen.iter()
            .any(|i| uids.contains(i["pattern"].as_str().unwrap()) && i["drift"] == serde_json::json!(["undeclared"])),
        "uids {uids:?} in {seen:#?}"
    );
}

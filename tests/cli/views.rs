//! map, inventory and the audited views on the real fixtures, checked against the workload's own
//! record (fixtures/pgaudit/expected.json: application_name and actor_* keys; fixtures/mcp:
//! tool calls) and the fixture policy.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::diff::{at_root as run, readme_case};
use super::root;
use super::util::Agaudit;

fn json(args: &[&str]) -> Value {
    let o = run(args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

fn views(case: &Path) -> Vec<Value> {
    let o = run(&["log", "--case", case.to_str().unwrap(), "--kind", "view", "--json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "the ledger verifies: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn follows(schema: &str, value: &Value) {
    let file = tempfile::NamedTempFile::new().unwrap();
    fs::write(file.path(), serde_json::to_vec(value).unwrap()).unwrap();
    let o = Command::new("python3")
        .args([
            "-c",
            "import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))",
            root().join("schemas").join(schema).to_str().unwrap(),
            file.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{schema}: {}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn inventory_lists_every_agent_and_the_principals_attribution_collapses_through() {
    let case = readme_case();
    let c = case.path().to_str().unwrap();
    let inv = json(&["inventory", "--case", c, "--json", "--as", "auditor@example"]);
    follows("inventory.schema.json", &inv);

    let rows: Vec<Value> =
        serde_json::from_str::<Value>(&fs::read_to_string(root().join("fixtures/pgaudit/expected.json")).unwrap())
            .unwrap()["rows"]
            .as_array()
            .unwrap()
            .clone();
    let mut sessions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut unattributed: BTreeMap<String, u64> = BTreeMap::new();
    for r in &rows {
        let agent = r["actor_agent"].as_str().or(r["agent"].as_str());
        let session = r["actor_session"].as_str().or(r["session"].as_str());
        match (agent, session) {
            (Some(a), Some(s)) => {
                sessions.entry(a.to_string()).or_default().insert(s.to_string());
            }
            (Some(a), None) => {
                sessions.entry(a.to_string()).or_default();
            }
            (None, _) => {
                *unattributed
                    .entry(r["db_user"].as_str().unwrap().to_string())
                    .or_default() += 1
            }
        }
    }
    let mcp: Value =
        serde_json::from_str(&fs::read_to_string(root().join("fixtures/mcp/expected.json")).unwrap()).unwrap();
    for call in mcp["tool_calls"].as_array().unwrap() {
        sessions.entry(call["agent"].as_str().unwrap().to_string()).or_default();
    }
    let got: BTreeMap<String, BTreeSet<String>> = inv["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let s = a["sessions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect();
            (a["agent"].as_str().unwrap().to_string(), s)
        })
        .collect();
    assert_eq!(got, sessions, "every agent of the workload with its sessions");
    for a in inv["agents"].as_array().unwrap() {
        assert_eq!(a["unknown"], false, "the fixture policy names every agent: {a}");
        let single = a["sources"].as_array().unwrap().len() < 2;
        assert_eq!(a["uncorroborated"], single);
    }
    let got: BTreeMap<String, u64> = inv["principals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["unattributed"].as_u64() > Some(0))
        .map(|p| {
            (
                p["principal"].as_str().unwrap().to_string(),
                p["unattributed"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got, unattributed,
        "unattributed statements per role, as the workload ran them"
    );
    let shared = inv["principals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["principal"] == "svc_shared")
        .unwrap();
    assert_eq!(shared["shared"], true);
    assert!(
        inv["gaps"].as_array().unwrap().is_empty(),
        "every db span has its pgAudit row"
    );

    let v = views(case.path());
    assert_eq!(v.len(), 1, "one view record: {v:?}");
    assert_eq!(
        (v[0]["viewer"].as_str(), v[0]["command"].as_str()),
        (Some("auditor@example"), Some("inventory"))
    );
}

#[test]
fn the_map_shows_the_lying_tools_agent_writing_against_a_read_grant() {
    let case = readme_case();
    let c = case.path().to_str().unwrap();
    let map = json(&["map", "--case", c, "--json", "--as", "auditor"]);
    follows("map.schema.json", &map);
    let pairs = map["pairs"].as_array().unwrap();
    let cell = |agent: &str, resource: &str| {
        pairs
            .iter()
            .find(|p| p["agent"] == agent && p["resource"] == resource)
            .unwrap_or_else(|| panic!("no cell {agent} × {resource}"))
    };
    // refresh_summary's UPDATE for reporting-assistant, under `access = "read"`.
    let invoices = cell("reporting-assistant", "prod-postgres/reporting/finance.invoices");
    assert_eq!(invoices["granted"], "read");
    assert!(invoices["writes"].as_u64() >= Some(1));
    assert!(invoices["drift"].as_array().unwrap().contains(&"beyond_grant".into()));
    // Its grant on the postgres database was never used: a least-privilege candidate.
    let unused = cell("reporting-assistant", "prod-postgres/postgres");
    assert_eq!(unused["drift"], serde_json::json!(["unused_grant"]));
    assert_eq!(
        (unused["reads"].as_u64(), unused["writes"].as_u64()),
        (Some(0), Some(0))
    );
    // The migrator writes where it may: no drift.
    let migrator = cell("schema-migrator", "prod-postgres/reporting");
    assert_eq!(migrator["granted"], "readwrite");
    assert!(migrator["drift"].as_array().unwrap().is_empty());
    // --agent narrows the map to one agent; without --as the viewer is the OS user.
    let o = Agaudit::new()
        .args(["map", "--case", c, "--json", "--agent", "code-helper"])
        .at_root()
        .env("USER", "ops-user")
        .run();
    let one: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        one["pairs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["agent"] == "code-helper")
    );

    // Each view adds one view record, naming its viewer, command and filters; log and diff too.
    assert_eq!(run(&["diff", "--case", c, "--as", "auditor"]).status.code(), Some(1));
    let v = views(case.path());
    let seen: Vec<(&str, &str, Option<&str>)> = v
        .iter()
        .map(|r| {
            (
                r["viewer"].as_str().unwrap(),
                r["command"].as_str().unwrap(),
                r["filters"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("auditor", "map", None),
            ("ops-user", "map", Some("--agent code-helper")),
            ("auditor", "diff", Some("--fail-on high")),
        ]
    );
    // The `log` that listed them is itself recorded, after it printed.
    let v = views(case.path());
    assert_eq!(v.len(), 4);
    assert_eq!(v[3]["command"], "log");
    assert_eq!(v[3]["filters"], "--kind view");
}

#[test]
fn a_database_seen_only_by_telemetry_is_a_coverage_gap_and_a_finding() {
    // Only the OTLP traces: every database statement the spans carry lacks its pgAudit row.
    let case = tempfile::TempDir::new().unwrap();
    let c = case.path().to_str().unwrap();
    let o = run(&[
        "ingest",
        "--case",
        c,
        "--label",
        "server=prod-postgres",
        "fixtures/otlp/traces.jsonl",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(&["correlate", "--case", c, "--policy", "fixtures/policy/agents.hcl"]);
    assert!(o.status.code() == Some(0) || o.status.code() == Some(1));
    let db_spans = {
        let text = fs::read_to_string(root().join("fixtures/otlp/traces.jsonl")).unwrap();
        text.matches("\"db.query.text\"").count() as u64
    };
    let inv = json(&["inventory", "--case", c, "--json"]);
    let gaps = inv["gaps"].as_array().unwrap();
    assert_eq!(gaps.len(), 1, "{gaps:#?}");
    assert_eq!(gaps[0]["resource"], "prod-postgres/reporting");
    assert_eq!(
        gaps[0]["count"].as_u64(),
        Some(db_spans),
        "one per database span of the workload"
    );
    let id = gaps[0]["finding_id"].as_str().unwrap();
    let o = run(&["log", "--case", c, "--kind", "finding", "--json"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains(id) && text.contains("coverage_gap"), "{text}");
    // Looking again records a view but no second finding.
    json(&["inventory", "--case", c, "--json"]);
    let o = run(&["log", "--case", c, "--kind", "finding", "--json"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 1);
}

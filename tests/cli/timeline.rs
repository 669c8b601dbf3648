//! `agaudit timeline`: OCSF events valid against the pinned OCSF schema (the
//! ocsf-json-schema package ships it, so the check is offline), Timesketch's CSV with the
//! columns its importer requires, one event per action and finding the ledger records, and the
//! filters applied.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use super::diff::readme_case;
use super::util::{Agaudit, text};

fn timeline(case: &Path, extra: &[&str]) -> String {
    let o = Agaudit::new()
        .args(["timeline", "--no-record"])
        .args(extra)
        .case(case)
        .at_root()
        .run();
    assert_eq!(o.status.code(), Some(0), "{extra:?}: {}", text(&o));
    String::from_utf8(o.stdout).unwrap()
}

fn python(script: &str, input: &str) -> String {
    let mut child = Command::new("python3")
        .args(["-c", script])
        .current_dir(super::root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    String::from_utf8(o.stdout).unwrap()
}

/// Validates each line against its OCSF 1.3.0 class; prints `bad N` and the classes seen.
const VALIDATE_OCSF: &str = r#"
import json, sys
from jsonschema import Draft202012Validator
from ocsf_json_schema import get_ocsf_schema, OcsfJsonSchemaEmbedded
ocsf = OcsfJsonSchemaEmbedded(get_ocsf_schema(version="1.3.0"))
validators, classes, bad = {}, {}, []
for line in sys.stdin:
    event = json.loads(line)
    uid = event["class_uid"]
    if uid not in validators:
        name = ocsf.lookup_class_name_from_uid(class_uid=uid)
        validators[uid] = Draft202012Validator(ocsf.get_class_schema(class_name=name, profiles=[]))
    classes[uid] = classes.get(uid, 0) + 1
    bad += [f"{uid} {list(e.path)}: {e.message[:200]}" for e in validators[uid].iter_errors(event)]
print(json.dumps({"bad": bad[:10], "classes": {str(k): v for k, v in sorted(classes.items())}}))
"#;

/// Reads Timesketch's CSV as its importer does: the required columns, a parseable datetime.
const READ_TIMESKETCH: &str = r#"
import csv, json, sys, datetime
rows = list(csv.DictReader(sys.stdin))
for r in rows:
    datetime.datetime.fromisoformat(r["datetime"].replace("Z", "+00:00"))
    assert r["message"] and r["timestamp_desc"], r
    int(r["timestamp"])
print(json.dumps({"rows": len(rows), "columns": list(rows[0].keys()) if rows else [],
                  "events": sorted({r["event"] for r in rows})}))
"#;

/// The server spans of MCP tools/call in the OTLP files the README case ingests.
const COUNT_TOOL_CALLS: &str = r#"
import json
n = 0
for f in ["fixtures/otlp/traces.jsonl", "fixtures/mcp/traffic.jsonl",
          "fixtures/mcp/traffic-code-helper.jsonl", "fixtures/mcp/traffic-data-export.jsonl"]:
    for line in open(f):
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        for rs in doc.get("resourceSpans") or []:
            for ss in rs.get("scopeSpans") or []:
                for sp in ss.get("spans") or []:
                    attrs = {a["key"]: list(a["value"].values())[0] for a in sp.get("attributes") or []}
                    if sp.get("kind") in (2, "SPAN_KIND_SERVER") and attrs.get("mcp.method.name") == "tools/call":
                        n += 1
print(n)
"#;

#[test]
fn ocsf_events_validate_and_timesketch_csv_imports() {
    let dir = readme_case();
    let case = dir.path();
    // diff records the findings (exit 1: some are high).
    Agaudit::new().arg("diff").case(case).at_root().expect(1);
    // What the ledger records: one event per action and per finding.
    let log = Agaudit::new().args(["log", "--json", "--no-record"]).case(case).run();
    let records: Vec<Value> = String::from_utf8_lossy(&log.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let count = |kind: &str| {
        let ids: std::collections::BTreeSet<&str> = records
            .iter()
            .filter(|r| r["kind"] == kind)
            .filter_map(|r| r[kind].as_str())
            .collect();
        ids.len()
    };
    let timeless = records
        .iter()
        .filter(|r| r["kind"] == "finding" && r["ts"] == "unknown")
        .count();
    let (actions, findings) = (count("action"), count("finding"));
    assert!(actions > 50 && findings > 3, "{actions} actions, {findings} findings");
    // The MCP tool calls: the server spans of tools/call in the ingested OTLP, read here.
    let tool_calls: usize = python(COUNT_TOOL_CALLS, "").trim().parse().unwrap();
    assert!(tool_calls > 3, "{tool_calls}");
    let events = actions + findings + tool_calls;

    let ocsf = timeline(case, &["--format", "ocsf"]);
    let report: Value = serde_json::from_str(&python(VALIDATE_OCSF, &ocsf)).unwrap();
    assert_eq!(report["bad"], serde_json::json!([]), "{report}");
    let classes = &report["classes"];
    let total: u64 = classes.as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(total as usize, events - timeless, "{classes}");
    assert_eq!(classes["6003"].as_u64(), Some(tool_calls as u64), "{classes}");
    for class in ["6005", "4001", "2004"] {
        assert!(classes.get(class).is_some(), "no {class} events: {classes}");
    }

    let csv = timeline(case, &["--format", "timesketch"]);
    let ts: Value = serde_json::from_str(&python(READ_TIMESKETCH, &csv)).unwrap();
    assert_eq!(ts["rows"].as_u64().unwrap() as usize, events - timeless, "{ts}");
    let columns: Vec<&str> = ts["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(&columns[..3], ["message", "datetime", "timestamp_desc"]);
    assert_eq!(ts["events"], serde_json::json!(["action", "finding", "tool_call"]));

    // JSON Lines and CSV keep the events that have no time, with an empty datetime.
    let jsonl = timeline(case, &["--format", "jsonl"]);
    assert_eq!(jsonl.lines().count(), events);
    assert_eq!(
        jsonl.lines().filter(|l| l.contains("\"datetime\":null")).count(),
        timeless
    );
    assert_eq!(timeline(case, &["--format", "csv"]).lines().count(), events + 1);
}

#[test]
fn the_filters_choose_the_events() {
    let dir = readme_case();
    let case = dir.path();
    let mine = timeline(case, &["--format", "jsonl", "--agent", "reporting-assistant"]);
    assert!(mine.lines().count() > 5);
    for line in mine.lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        assert_eq!(e["agent"], "reporting-assistant", "{e}");
    }
    assert_eq!(
        timeline(case, &["--format", "jsonl", "--since", "2100-01-01"])
            .lines()
            .count(),
        0
    );
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("week.csv");
    let o = Agaudit::new()
        .args(["timeline", "--format", "timesketch", "--out"])
        .arg(&file)
        .case(case)
        .at_root()
        .expect(0);
    assert!(file.is_file() && text(&o).contains("wrote"), "{}", text(&o));
    // Never overwritten.
    Agaudit::new()
        .args(["timeline", "--format", "csv", "--out"])
        .arg(&file)
        .case(case)
        .expect(2);
}

//! OpenTelemetry and MCP ingest, checked against fixtures/otlp/expected.json and
//! fixtures/mcp/expected.json, which the MCP workload declared from the span contexts and tool
//! definitions it created (scripts/fixtures/mcp_workload.py) — never from agaudit's output.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{agaudit, balanced_lines, everything_written, gzip, root, table_rows};

type Row = BTreeMap<String, Option<String>>;

/// A file of the OTLP or MCP fixture set: the committed one, or a live run's when
/// AGAUDIT_PGAUDIT_FIXTURES points at it (scripts/test; the generator writes otlp/ and mcp/
/// next to the pgAudit logs).
fn fixture(set: &str, name: &str) -> PathBuf {
    match std::env::var_os("AGAUDIT_PGAUDIT_FIXTURES") {
        Some(dir) => PathBuf::from(dir).join(set).join(name),
        None => root().join("fixtures").join(set).join(name),
    }
}

/// The OTLP and MCP fixture files a whole case is built from (the pretty-printed body repeats
/// spans of traces.jsonl, so it is left out).
pub fn fixture_files() -> Vec<PathBuf> {
    let otlp = ["traces.jsonl", "logs.jsonl", "claude-code-logs.jsonl"].map(|f| fixture("otlp", f));
    let mcp = [
        "traffic.jsonl",
        "traffic-code-helper.jsonl",
        "traffic-data-export.jsonl",
        "tools-list.json",
    ]
    .map(|f| fixture("mcp", f));
    otlp.into_iter().chain(mcp).collect()
}

fn expected(set: &str) -> Value {
    serde_json::from_slice(&fs::read(fixture(set, "expected.json")).unwrap()).unwrap()
}

fn ingest_json(case: &Path, paths: &[PathBuf], extra: &[&str]) -> Value {
    let mut args = vec!["ingest", "--case", case.to_str().unwrap(), "--json"];
    args.extend_from_slice(extra);
    args.extend(paths.iter().map(|p| p.to_str().unwrap()));
    let out = agaudit(&args);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn by(rows: &[Row], key: &str) -> BTreeMap<String, Row> {
    rows.iter().map(|r| (r[key].clone().unwrap(), r.clone())).collect()
}

const SPAN_FIELDS: &[&str] = &[
    "trace_id",
    "parent_span_id",
    "name",
    "kind",
    "status",
    "service_name",
    "mcp_method",
    "mcp_session_id",
    "db_system",
    "db_namespace",
    "db_operation",
    "db_collection",
    "query_trace_id",
    "query_span_id",
    "server_address",
    "server_port",
];

#[test]
fn spans_carry_the_fields_the_workload_set() {
    let case = tempfile::tempdir().unwrap();
    let exp = expected("otlp");
    // The file exporter's output, compressed as a rotated file would be.
    let gz = case.path().join("traces.jsonl.gz");
    fs::write(&gz, gzip(&fs::read(fixture("otlp", "traces.jsonl")).unwrap())).unwrap();
    let json = ingest_json(case.path(), &[gz], &[]);
    let file = &json["files"][0];
    assert_eq!(file["kind"], "otlp_json_lines");
    assert_eq!(file["compression"], "gzip");
    assert_eq!(file["counts"]["quarantined_lines"], 0);
    balanced_lines(&file["counts"]);

    let spans = by(&table_rows(case.path(), "spans"), "span_id");
    let want = exp["spans"].as_array().unwrap();
    assert_eq!(spans.len(), want.len());
    assert_eq!(
        spans.len() as u64,
        exp["files"]["traces.jsonl"]["spans"].as_u64().unwrap()
    );
    let mut agent_spans = 0;
    for w in want {
        let id = w["span_id"].as_str().unwrap();
        let got = spans.get(id).unwrap_or_else(|| panic!("span {id} missing"));
        for f in SPAN_FIELDS {
            assert_eq!(got[*f], text(&w[*f]), "span {id} ({:?}) column {f}", w["name"]);
        }
        // The workload declares the tool a span is about, whether it put it in
        // gen_ai.tool.name or the SDK only in the span name: the derived `tool` column.
        assert_eq!(got["tool"], text(&w["tool_name"]), "span {id} ({:?}) tool", w["name"]);
        // agent/session come from the span's own attributes (gen_ai.agent.name and friends);
        // the workload declares the agent of the whole trace. Where a span names one, they
        // must agree; the trace-wide inference is correlation's job, not ingest's.
        if got["agent"].is_some() {
            agent_spans += 1;
            assert_eq!(got["agent"], text(&w["agent"]), "span {id} agent");
            assert_eq!(got["session"], text(&w["session"]), "span {id} session");
        }
        assert!(got["start_time"].is_some() && got["end_time"].is_some());
        if got["db_system"].is_some() {
            let q = got["db_query"].as_deref().unwrap_or_default();
            assert!(!q.replace("'?'", "").contains('\''), "literal left in db_query: {q}");
        }
    }
    let roots = want
        .iter()
        .filter(|w| w["name"].as_str().unwrap().starts_with("invoke_agent"))
        .count();
    assert!(
        roots > 0 && agent_spans >= roots,
        "{agent_spans} spans name an agent, {roots} roots"
    );

    // Each traceparent a database span put into its SQL reached PostgreSQL: db_events from the
    // same run carry exactly those ids.
    let pg = tempfile::tempdir().unwrap();
    let log = super::fixture("postgresql.json");
    ingest_json(pg.path(), &[log], &[]);
    let db_ids: BTreeSet<(Option<String>, Option<String>)> = table_rows(pg.path(), "db_events")
        .into_iter()
        .map(|r| (r["trace_id"].clone(), r["span_id"].clone()))
        .collect();
    let span_ids: Vec<_> = spans
        .values()
        .filter(|s| s["query_trace_id"].is_some())
        .map(|s| (s["query_trace_id"].clone(), s["query_span_id"].clone()))
        .collect();
    assert!(!span_ids.is_empty());
    for ids in span_ids {
        assert!(
            db_ids.contains(&ids),
            "traceparent {ids:?} of a span is not in db_events"
        );
    }
}

#[test]
fn annotation_attributes_on_spans_are_recorded_as_claims() {
    let case = tempfile::tempdir().unwrap();
    ingest_json(case.path(), &[fixture("otlp", "traces.jsonl")], &[]);
    let hints = table_rows(case.path(), "tool_hints");
    let declared: BTreeSet<String> = expected("mcp")["tool_hints"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| {
            [
                "read_only_hint",
                "destructive_hint",
                "idempotent_hint",
                "open_world_hint",
            ]
            .iter()
            .any(|k| !h[*k].is_null())
        })
        .map(|h| h["tool"].as_str().unwrap().to_string())
        .collect();
    let exp = expected("otlp");
    let calls: Vec<&Value> = exp["spans"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "server" && s["mcp_method"] == "tools/call")
        .filter(|s| s["tool_name"].as_str().is_some_and(|t| declared.contains(t)))
        .collect();
    assert_eq!(hints.len(), calls.len());
    for h in &hints {
        assert_eq!(h["origin"].as_deref(), Some("span_attribute"));
        assert_eq!(h["server"].as_deref(), Some("reporting-mcp"));
        assert!(h["seen_at"].is_some() && h["span_id"].is_some());
    }
}

#[test]
fn a_single_pretty_printed_body_is_one_request() {
    let case = tempfile::tempdir().unwrap();
    let json = ingest_json(case.path(), &[fixture("otlp", "traces-body.json")], &[]);
    let file = &json["files"][0];
    assert_eq!(file["kind"], "otlp_json");
    // The whole document is one request: every line of it belongs to the rows.
    assert_eq!(file["counts"]["row_lines"], file["counts"]["lines_read"]);
    let ids: BTreeSet<String> = table_rows(case.path(), "spans")
        .into_iter()
        .map(|r| r["span_id"].clone().unwrap())
        .collect();
    let want: BTreeSet<String> = expected("otlp")["files"]["traces-body.json"]["span_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, want);
}

#[test]
fn log_records_and_claude_code_events_are_understood() {
    let case = tempfile::tempdir().unwrap();
    let files = [fixture("otlp", "logs.jsonl"), fixture("otlp", "claude-code-logs.jsonl")];
    ingest_json(case.path(), &files, &[]);
    let key = |file: &str, r: &dyn Fn(&str) -> Option<String>| {
        [
            Some(file.to_string()),
            r("event_name"),
            r("trace_id"),
            r("span_id"),
            r("severity_text"),
            r("session_id"),
            r("server"),
            r("tool"),
            r("decision"),
            r("success"),
        ]
    };
    let got: Vec<_> = table_rows(case.path(), "log_events")
        .into_iter()
        .map(|r| {
            let file = Path::new(r["source_file"].as_deref().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            key(&file, &|c: &str| r[c].clone())
        })
        .collect();
    let want: Vec<_> = expected("otlp")["log_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| key(w["file"].as_str().unwrap(), &|c: &str| text(&w[c])))
        .collect();
    assert_eq!(super::sorted(got), super::sorted(want));
}

#[test]
fn tools_list_claims_match_the_server_definitions() {
    let case = tempfile::tempdir().unwrap();
    let dir = fixture("mcp", "traffic.jsonl").parent().unwrap().to_path_buf();
    let files: Vec<PathBuf> = [
        "traffic.jsonl",
        "traffic-code-helper.jsonl",
        "traffic-data-export.jsonl",
        "tools-list.json",
        "tools-list-result.json",
    ]
    .iter()
    .map(|f| dir.join(f))
    .collect();
    let json = ingest_json(case.path(), &files, &["--label", "mcp_server=reporting"]);
    for f in json["files"].as_array().unwrap() {
        assert_eq!(f["counts"]["quarantined_lines"], 0, "{f}");
        balanced_lines(&f["counts"]);
    }
    let exp = expected("mcp");
    let hints = [
        "read_only_hint",
        "destructive_hint",
        "idempotent_hint",
        "open_world_hint",
    ];
    let key = |file: &str, r: &dyn Fn(&str) -> Option<String>| {
        let mut k = vec![Some(file.to_string()), r("server"), r("tool"), r("title")];
        k.extend(hints.iter().map(|h| r(h)));
        k
    };
    let got_rows = table_rows(case.path(), "tool_hints");
    let file_of = |r: &Row| {
        Path::new(r["source_file"].as_deref().unwrap())
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned()
    };
    let got: Vec<_> = got_rows
        .iter()
        .map(|r| key(&file_of(r), &|c: &str| r[c].clone()))
        .collect();
    let want_rows = exp["tool_hints"].as_array().unwrap();
    let want: Vec<_> = want_rows
        .iter()
        .map(|w| key(w["file"].as_str().unwrap(), &|c: &str| text(&w[c])))
        .collect();
    assert_eq!(super::sorted(got), super::sorted(want));

    // Effective values follow the MCP defaults.
    for r in &got_rows {
        let eff = |declared: &str, effective: &str, default: bool| {
            let want = r[declared].clone().unwrap_or(default.to_string());
            assert_eq!(r[effective].as_deref(), Some(want.as_str()), "{r:?}");
        };
        eff("read_only_hint", "effective_read_only", false);
        eff("destructive_hint", "effective_destructive", true);
        eff("idempotent_hint", "effective_idempotent", false);
        eff("open_world_hint", "effective_open_world", true);
    }

    // Pages of one listing share its number; the re-listing after the rug pull is the next one,
    // and the changed claim has a different digest.
    for pull in exp["rug_pulls"].as_array().unwrap() {
        let file = pull["file"].as_str().unwrap();
        let tool = pull["tool"].as_str().unwrap();
        let mine: Vec<&Row> = got_rows
            .iter()
            .filter(|r| file_of(r) == file && r["tool"].as_deref() == Some(tool))
            .collect();
        let listings: BTreeSet<_> = mine.iter().map(|r| r["listing"].clone()).collect();
        let digests: BTreeSet<_> = mine.iter().map(|r| r["claim_digest"].clone()).collect();
        let relisted = want_rows
            .iter()
            .any(|w| w["file"] == file && w["tool"] == tool && w["listing"].as_u64() > pull["after_listing"].as_u64());
        if relisted {
            assert_eq!(listings.len(), 2, "{file} {tool}: {listings:?}");
            assert_eq!(
                digests.len(),
                2,
                "{file} {tool}: the changed claim must change the digest"
            );
        } else {
            assert_eq!(listings.len(), 1, "{file} {tool}: pages of one listing share it");
        }
    }
}

#[test]
fn no_planted_secret_from_telemetry_is_written_anywhere() {
    let case = tempfile::tempdir().unwrap();
    let files: Vec<PathBuf> = [
        "traces.jsonl",
        "logs.jsonl",
        "traces-body.json",
        "claude-code-logs.jsonl",
    ]
    .iter()
    .map(|f| fixture("otlp", f))
    .collect();
    let mut args = vec!["ingest", "--case", case.path().to_str().unwrap()];
    args.extend(files.iter().map(|p| p.to_str().unwrap()));
    let out = agaudit(&args);
    assert_eq!(out.status.code(), Some(0));
    let all = everything_written(case.path(), &[&out]);
    let planted = fs::read_to_string(fixture("otlp", "planted-secrets.txt")).unwrap();
    for secret in planted.lines().filter(|l| !l.trim().is_empty()) {
        for f in &files {
            let raw = fs::read_to_string(f).unwrap();
            if raw.contains(secret) {
                assert!(!all.contains(secret), "planted secret from {} was written", f.display());
            }
        }
        assert!(
            !all.contains(secret),
            "planted secret {} chars long was written",
            secret.len()
        );
    }
    // Prompt text is a payload: only its length may be stored.
    let logs = table_rows(case.path(), "log_events");
    let prompts: Vec<&Row> = logs
        .iter()
        .filter(|r| r["event_name"].as_deref() == Some("claude_code.user_prompt"))
        .collect();
    assert!(!prompts.is_empty());
    for p in prompts {
        assert!(p["prompt_length"].is_some());
        assert!(
            p["attributes"]
                .as_deref()
                .unwrap_or_default()
                .lines()
                .all(|kv| !kv.starts_with("prompt=") || kv.starts_with("prompt=[payload:"))
        );
    }
}

#[test]
fn malformed_otlp_is_quarantined_by_line_and_counts_add_up() {
    let case = tempfile::tempdir().unwrap();
    let good = fs::read_to_string(fixture("otlp", "logs.jsonl")).unwrap();
    let first = good.lines().next().unwrap();
    let deep = format!("{{\"resourceSpans\":{}{}}}", "[".repeat(5000), "]".repeat(5000));
    let lines = [
        first.to_string(),
        "{\"resourceSpans\": [".to_string(),
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"S/ePRjV3vbM=AAAAAAAAAAAA","spanId":"0123456789abcdef"}]}]}]}"#.to_string(),
        r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"AKIAZ7VQXHNP3EXAMPLE"}]}]}]}"#.to_string(),
        r#"{"resourceMetrics":[{"scopeMetrics":[]}]}"#.to_string(),
        deep,
        String::new(),
        r#"{"resourceLogs":[]}"#.to_string(),
        first.to_string(),
    ];
    let mut bytes = lines.join("\n").into_bytes();
    bytes.extend_from_slice(
        b"\n{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":{\"stringValue\":\"\xff\xfe\"}}]}]}]}\n",
    );
    let path = case.path().join("mixed.jsonl");
    fs::write(&path, &bytes).unwrap();
    let out = agaudit(&[
        "ingest",
        "--case",
        case.path().join("c").to_str().unwrap(),
        "--json",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let file = &json["files"][0];
    assert_eq!(file["kind"], "otlp_json_lines");
    assert_eq!(balanced_lines(&file["counts"]), 10);
    assert_eq!(file["counts"]["row_lines"], 2);
    assert_eq!(file["counts"]["quarantined_lines"], 6);
    let q = fs::read_to_string(case.path().join("c").join(file["quarantine"].as_str().unwrap())).unwrap();
    let entries: Vec<Value> = q.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let at: BTreeMap<u64, String> = entries
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["reason"].as_str().unwrap().to_string()))
        .collect();
    assert!(at[&2].contains("truncated JSON"), "{}", at[&2]);
    assert!(at[&3].contains("traceId") && at[&3].contains("hex"), "{}", at[&3]);
    assert!(at[&4].contains("fixed64"), "{}", at[&4]);
    assert!(at[&5].contains("metrics"), "{}", at[&5]);
    assert!(at[&6].contains("JSON"), "{}", at[&6]);
    assert!(at[&10].starts_with("invalid UTF-8 at line 10, byte "), "{}", at[&10]);
    assert!(!q.contains("AKIA"), "a quarantine entry quotes input: {q}");
}

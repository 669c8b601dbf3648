//! The end-to-end scenario: every real component of one run together — PostgreSQL 15 with
//! pgAudit, the instrumented MCP server and its agents (OpenTelemetry), the MCP traffic with its
//! tools/list listings, and ebpf-capture recording the MCP server's process tree — through
//! ingest → correlate → diff → export → verify.
//!
//! On the committed fixtures by default; on a fresh live run when AGAUDIT_PGAUDIT_FIXTURES names
//! one (scripts/test, as root: its captures are in capture/ there). What is expected comes from
//! what the workload declared (fixtures/mcp/expected.json: the tool calls, and the files each
//! tool wrote), never from agaudit.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{agaudit, root};

/// The run's files: (pgAudit logs, OTLP, MCP, captures), and its MCP expected.json.
fn run_files() -> (Vec<PathBuf>, Value) {
    run_files_of(std::env::var_os("AGAUDIT_PGAUDIT_FIXTURES").map(PathBuf::from))
}

/// The files of the live run in `live`, or of the committed fixtures.
fn run_files_of(live: Option<PathBuf>) -> (Vec<PathBuf>, Value) {
    let (pg, otlp, mcp, caps) = match live {
        Some(d) => (d.clone(), d.join("otlp"), d.join("mcp"), d.join("capture")),
        None => {
            let f = root().join("fixtures");
            (f.join("pgaudit"), f.join("otlp"), f.join("mcp"), f.join("capture"))
        }
    };
    let mut files: Vec<PathBuf> = ["postgresql.log", "postgresql.csv", "postgresql.json"]
        .iter()
        .map(|n| pg.join(n))
        .collect();
    files.extend(
        ["traces.jsonl", "logs.jsonl", "claude-code-logs.jsonl"]
            .iter()
            .map(|n| otlp.join(n)),
    );
    let expected: Value = serde_json::from_slice(&std::fs::read(mcp.join("expected.json")).unwrap()).unwrap();
    files.extend(expected["files"].as_object().unwrap().keys().map(|n| mcp.join(n)));
    files.push(mcp.join("tools-list.json"));
    let mut captures: Vec<PathBuf> = std::fs::read_dir(&caps)
        .unwrap_or_else(|e| panic!("{}: {e}: the run has no captures", caps.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.ends_with(".cap") && (name.starts_with("mcp-") || !caps.starts_with(root()))
        })
        .collect();
    captures.sort();
    assert_eq!(
        captures.len(),
        expected["files"].as_object().unwrap().len(),
        "one capture of the MCP server per agent session in {}",
        caps.display()
    );
    files.extend(captures);
    (files, expected)
}

fn strs(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_lying_tool_is_caught_by_the_database_and_the_kernel_and_the_bundle_holds() {
    let (files, expected) = run_files();
    let dir = tempfile::TempDir::new().unwrap();
    let case = dir.path().join("case");
    let c = case.to_str().unwrap();
    let o = ingest_and_correlate(&case, &files);
    assert_eq!(o.status.code(), Some(1), "violations went through: exit 1");

    let o = agaudit(&["diff", "--case", c, "--json"]);
    assert_eq!(o.status.code(), Some(1), "a critical finding: exit 1");
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();

    // Every file the lying tool wrote, per agent@session, as the server declared it.
    let writes: Vec<&Value> = expected["file_writes"]
        .as_array()
        .expect("expected.json declares file_writes")
        .iter()
        .filter(|w| w["tool"] == "refresh_summary")
        .collect();
    let sessions: BTreeSet<(String, String)> = writes
        .iter()
        .map(|w| {
            (
                w["agent"].as_str().unwrap().into(),
                w["session"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        sessions.len() >= 2,
        "the workload calls refresh_summary in two sessions"
    );
    let contradictions = |layer: &str| -> BTreeSet<(String, String)> {
        findings
            .iter()
            .filter(|f| f["tool"] == "refresh_summary" && f["kind"] == "read_only_contradiction")
            .filter(|f| strs(&f["layers"]).contains(layer))
            .map(|f| {
                (
                    f["agent"].as_str().unwrap().into(),
                    f["session"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    assert_eq!(
        contradictions("db"),
        sessions,
        "the database layer catches it in each session"
    );
    assert_eq!(
        contradictions("kernel"),
        sessions,
        "the kernel layer catches it in each session"
    );
    for w in &writes {
        let resource = format!("file://{}", w["path"].as_str().unwrap());
        let f = findings
            .iter()
            .find(|f| {
                f["kind"] == "read_only_contradiction"
                    && f["agent"] == w["agent"]
                    && f["session"] == w["session"]
                    && f["resource"].as_str() == Some(&resource)
            })
            .unwrap_or_else(|| panic!("no kernel finding for {resource} by {} {}", w["agent"], w["session"]));
        assert_eq!(
            strs(&f["layers"]),
            BTreeSet::from(["kernel".into(), "telemetry".into()])
        );
        assert_eq!(f["corroborated"], true);
        assert_eq!(f["conf"], "attributed", "the environment and the call span agree: {f}");
        assert_eq!(
            f["outcome"], "allow",
            "the kernel let the write through even where the database refused"
        );
    }
    // The honest tools are clean: export_report writes only what it says (a report file),
    // query_reports only reads (its one finding is the rug pull of its claim).
    for f in findings {
        match f["tool"].as_str().unwrap() {
            "export_report" => panic!("export_report is honest, yet: {f}"),
            "query_reports" => assert_eq!(f["kind"], "claim_changed", "{f}"),
            _ => {}
        }
    }

    // Export, verify as an auditor, and a one-byte change makes it fail.
    let key = dir.path().join("key");
    let o = agaudit(&["keygen", "--out", key.to_str().unwrap(), "--no-password"]);
    assert_eq!(o.status.code(), Some(0));
    let bundle = dir.path().join("bundle.tar");
    let (k, b, p) = (key.with_extension("key"), bundle.clone(), key.with_extension("pub"));
    let o = agaudit(&[
        "export",
        "--case",
        c,
        "--key",
        k.to_str().unwrap(),
        "--out",
        b.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let verify = |path: &Path| agaudit(&["verify", path.to_str().unwrap(), "--pubkey", p.to_str().unwrap()]);
    assert_eq!(verify(&b).status.code(), Some(0));
    let mut bytes = std::fs::read(&b).unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let at = text
        .find("read_only_contradiction")
        .expect("the ledger in the bundle names the finding");
    bytes[at] ^= 0x01;
    let tampered = dir.path().join("tampered.tar");
    std::fs::write(&tampered, &bytes).unwrap();
    let o = verify(&tampered);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stdout));
    assert!(String::from_utf8_lossy(&o.stdout).contains("INVALID"));
}

#[test]
fn the_demo_runs_the_whole_pipeline_on_its_embedded_data() {
    let dir = tempfile::TempDir::new().unwrap();
    let case = dir.path().join("demo");
    let o = agaudit(&["demo", "--case", case.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}{}", String::from_utf8_lossy(&o.stderr));
    for shown in [
        "read_only_contradiction",
        "NOT blocked",
        "blocked",
        "unattributed",
        "Result: valid",
        "agaudit-verify",
    ] {
        assert!(out.contains(shown), "the demo shows {shown}: {out}");
    }
    assert!(case.join("bundle.tar").is_file() && case.join("demo-key.pub").is_file());
    // A second demo replaces its own directory; any other directory is refused.
    assert_eq!(
        agaudit(&["demo", "--case", case.to_str().unwrap()]).status.code(),
        Some(0)
    );
    let o = agaudit(&["demo", "--case", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("was not made by agaudit demo"));
}

/// Ingests `files` into `case` as the run's labels and log_line_prefix say, then correlates it
/// with the fixture policy; the correlate run's output.
fn ingest_and_correlate(case: &Path, files: &[PathBuf]) -> std::process::Output {
    let c = case.to_str().unwrap();
    let mut args = vec!["ingest", "--case", c, "--label", "server=prod-postgres"];
    args.extend(["--label", "mcp_server=reporting", "--pg-prefix"]);
    args.push("%m [%p] %q%u@%d app=%a client=%h session=%c sqlstate=%e ");
    args.extend(files.iter().map(|p| p.to_str().unwrap()));
    let o = agaudit(&args);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let policy = root().join("fixtures/policy/agents.hcl");
    agaudit(&["correlate", "--case", c, "--policy", policy.to_str().unwrap()])
}

/// The kernel actions of a case made of `files`: (agent, session, tool, MCP server, resource,
/// class, conf, verdict, outcome), counted.
fn kernel_actions(dir: &Path, files: &[PathBuf]) -> std::collections::BTreeMap<Vec<Option<String>>, usize> {
    let case = dir.join("case");
    let o = ingest_and_correlate(&case, files);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut out = std::collections::BTreeMap::new();
    for row in super::table_rows(&case, "actions") {
        if row["evidence_table"].as_deref() != Some("kernel_events") {
            continue;
        }
        let key = [
            "agent",
            "session",
            "tool",
            "mcp_server",
            "resource",
            "class",
            "conf",
            "verdict",
            "outcome",
        ]
        .iter()
        .map(|k| row[*k].clone())
        .collect();
        *out.entry(key).or_default() += 1;
    }
    out
}

/// `capture` as a recorder that writes each open, its writes and its close as one event would
/// have written it: each successful open joined with the write its close flushed (same process,
/// descriptor and path) into one write carrying the open's time, flags and mode. Returns the
/// capture's bytes and how many were joined.
fn joined(capture: &Path) -> (Vec<u8>, usize) {
    use agaudit_capture_format::{self as format, Event, Kind, Reader, Record};
    let bytes = std::fs::read(capture).unwrap();
    let mut records: Vec<Option<Record>> = Reader::new(&bytes).unwrap().map(|r| Some(r.unwrap())).collect();
    let mut opened: std::collections::HashMap<(u32, i64), usize> = std::collections::HashMap::new();
    let mut n = 0;
    for i in 0..records.len() {
        let Some(Record::Event(e)) = &records[i] else { continue };
        let (kind, key) = (e.kind, (e.pid, e.fd.unwrap_or(-1)));
        if kind == Some(Kind::Open) && e.result.is_some_and(|r| r >= 0) {
            opened.insert(key, i);
        } else if kind == Some(Kind::Write)
            && e.flush.as_deref() == Some("close")
            && let Some(j) = opened.remove(&key)
            && let Some(Record::Event(open)) = &records[j]
            && open.path == e.path
        {
            let whole = Event {
                kind: Some(Kind::Write),
                ts: open.ts,
                flags: open.flags,
                mode: open.mode,
                ..e.clone()
            };
            records[i] = Some(Record::Event(whole));
            records[j] = None;
            n += 1;
        }
    }
    let mut counts: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    let mut out = Vec::new();
    for r in records.into_iter().flatten() {
        match r {
            Record::Header(h) => out.extend(format::encode_start(&h)),
            Record::Event(e) => {
                *counts.entry(e.kind.unwrap().name().to_string()).or_default() += 1;
                out.extend(format::encode_event(&e));
            }
            Record::Trailer(mut t) => {
                t.counts = counts.clone().into_iter().collect();
                out.extend(format::encode_trailer(&t));
            }
        }
    }
    (out, n)
}

/// ebpf-capture writes a file opened, written and closed within one flush interval as one
/// write event carrying its open's time, flags and mode, where it wrote an open and a write
/// before. The committed captures (recorded in the earlier shape), rewritten into the new one
/// with the format's own reader and writer, correlate to the same kernel actions: the open's
/// time still places the write in its tool call. (The live run of scripts/test records the new
/// shape itself, and the test above holds its kernel findings.)
#[test]
fn a_written_file_as_one_event_correlates_like_its_open_and_its_write() {
    let (files, _) = run_files_of(None);
    let dir = tempfile::TempDir::new().unwrap();
    let mut rewritten = Vec::new();
    let mut joined_total = 0;
    for f in &files {
        if f.extension().is_some_and(|e| e == "cap") {
            let (bytes, n) = joined(f);
            joined_total += n;
            let to = dir.path().join(f.file_name().unwrap());
            std::fs::write(&to, bytes).unwrap();
            rewritten.push(to);
        } else {
            rewritten.push(f.clone());
        }
    }
    assert!(joined_total > 0, "the committed captures hold written files");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let before = kernel_actions(&a, &files);
    assert!(before.keys().any(|k| k[5].as_deref() == Some("write")));
    assert_eq!(before, kernel_actions(&b, &rewritten));
}

/// The ledger's action records of `case`, by body (the chain's links differ between cases).
fn action_records(case: &Path) -> Vec<String> {
    let log = std::fs::read_to_string(case.join("ledger/ledger.log")).unwrap();
    log.lines()
        .filter_map(|l| Some(l.get(l.find(' ')? + 1..l.rfind(" prev=")?)?.to_string()))
        .filter(|body| body.contains(" kind=action "))
        .collect()
}

/// Correlates the files of `ingest` (its arguments but the case) under `policy` twice: whole,
/// and under a memory budget with room for `rows_per_part` rows a part. Checks the parted run
/// was cut into more than one part of each kind in `cut`, and that both runs made the same
/// summary, the same actions row for row in the same order, and the same ledger action records.
/// Returns the actions.
fn whole_and_in_parts(
    ingest: &[&str],
    policy: &Path,
    rows_per_part: u64,
    cut: &[&str],
) -> Vec<std::collections::BTreeMap<String, Option<String>>> {
    let dir = tempfile::TempDir::new().unwrap();
    let correlate = |name: &str, budget: Option<String>| {
        let case = dir.path().join(name);
        let c = case.to_str().unwrap();
        let mut args = vec!["ingest", "--case", c];
        args.extend(ingest);
        let o = agaudit(&args);
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        let mut args = vec!["correlate", "--case", c, "--policy", policy.to_str().unwrap(), "--json"];
        if let Some(b) = &budget {
            args.extend(["--memory-budget", b]);
        }
        let o = agaudit(&args);
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(!case.join(".correlate").exists(), "the spill files are removed");
        (case, serde_json::from_slice::<Value>(&o.stdout).unwrap())
    };
    let (whole, whole_summary) = correlate("whole", None);
    // The memory every run needs (partition::BASE_BYTES), and 1 KiB a row.
    let budget = (256u64 << 20) + rows_per_part * 1024;
    let (parted, parted_summary) = correlate("parted", Some(budget.to_string()));
    assert_eq!(
        whole_summary["parts"],
        serde_json::json!({"traces": 1, "windows": 1, "hosts": 1})
    );
    let parts = &parted_summary["parts"];
    for kind in cut {
        assert!(parts[kind].as_u64().unwrap() > 1, "{kind}: {parts}");
    }
    for field in [
        "actions",
        "duplicates_folded",
        "by_conf",
        "by_verdict",
        "violations",
        "unattributed_by_principal",
        "kernel_not_actions",
    ] {
        assert_eq!(whole_summary[field], parted_summary[field], "{field}");
    }
    let rows = super::table_rows(&whole, "actions");
    assert_eq!(super::table_rows(&parted, "actions"), rows);
    assert_eq!(action_records(&parted), action_records(&whole));
    rows
}

/// How many actions' reasons say what `needle` says.
fn reasons(rows: &[std::collections::BTreeMap<String, Option<String>>], needle: &str) -> usize {
    rows.iter()
        .filter(|r| r["reason"].as_deref().is_some_and(|r| r.contains(needle)))
        .count()
}

/// Issue 22: the live run's case (PostgreSQL's three log formats, OTLP, Claude Code telemetry,
/// MCP listings and kernel captures), correlated under a budget far below what it needs, is cut
/// into parts of every kind and gets what it gets whole.
#[test]
fn a_case_larger_than_its_memory_budget_is_correlated_in_parts_to_the_same_actions() {
    let (files, _) = run_files();
    let mut ingest = vec![
        "--label",
        "server=prod-postgres",
        "--label",
        "mcp_server=reporting",
        "--pg-prefix",
    ];
    ingest.push("%m [%p] %q%u@%d app=%a client=%h session=%c sqlstate=%e ");
    ingest.extend(files.iter().map(|p| p.to_str().unwrap()));
    let rows = whole_and_in_parts(
        &ingest,
        &root().join("fixtures/policy/agents.hcl"),
        12,
        &["traces", "windows", "hosts"],
    );
    assert!(rows.len() > 100, "{} actions", rows.len());
    assert!(reasons(&rows, "folded") + reasons(&rows, "kernel: ") > 0);
}

/// Issue 22: the rules that reach across parts hold in parts. The benchmark's generator
/// (scripts/bench/gen_correlate.py, a linked pgAudit csvlog and OTLP trace) makes statements
/// with no trace context that only a database span of another part overlaps in time (that span
/// is then not an action of its own), and tables named without their schema that only another
/// part's statements qualify.
#[test]
fn statements_with_no_trace_context_and_unqualified_tables_are_judged_alike_in_parts() {
    let generated = tempfile::TempDir::new().unwrap();
    let out = std::process::Command::new("python3")
        .arg(root().join("scripts/bench/gen_correlate.py"))
        .args(["--events", "20000", "--seed", "7", "--out-dir"])
        .arg(generated.path())
        .output()
        .expect("python3 runs the benchmark's generator");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let csv = generated.path().join("postgresql.csv");
    let traces = generated.path().join("traces.jsonl");
    let ingest = [
        "--label",
        "server=prod-postgres",
        "--quiet",
        csv.to_str().unwrap(),
        traces.to_str().unwrap(),
    ];
    let policy = root().join("scripts/bench/correlate-policy.hcl");
    let rows = whole_and_in_parts(&ingest, &policy, 500, &["traces", "windows"]);
    assert!(reasons(&rows, "the only database span overlapping it in time") > 0);
    assert!(reasons(&rows, "database spans overlap it in time") + reasons(&rows, "without a schema") > 0);
}

//! `agaudit diff` on the real fixtures, checked against what the workload did and declared:
//! which statements each tool ran for which agent@session (the actor_* keys of
//! fixtures/pgaudit/expected.json), what each tool claimed in its first listing and the rug pull
//! (fixtures/mcp/expected.json). Plus golden files for the table and the JSON
//! (tests/golden/diff.txt, diff.json; BLESS=1 regenerates them).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use super::util::{Agaudit, prepared};
use super::{read_parquet, root};

/// The README's ingest and correlate, run from the repository root with relative paths (so the
/// evidence references in the output do not depend on where the repository is checked out).
pub(super) fn readme_case() -> tempfile::TempDir {
    prepared("readme", |dir| build_readme_case(&dir.join("case"))).0
}

fn build_readme_case(case: &Path) {
    let c = case.to_str().unwrap();
    let mut ingest = vec![
        "ingest",
        "--case",
        c,
        "--label",
        "server=prod-postgres",
        "--label",
        "mcp_server=reporting",
        "--pg-prefix",
        "%m [%p] %q%u@%d app=%a client=%h session=%c sqlstate=%e ",
    ];
    ingest.extend([
        "fixtures/pgaudit/postgresql.log",
        "fixtures/pgaudit/postgresql.csv",
        "fixtures/pgaudit/postgresql.json",
        "fixtures/otlp/traces.jsonl",
        "fixtures/otlp/logs.jsonl",
        "fixtures/otlp/claude-code-logs.jsonl",
        "fixtures/mcp/traffic.jsonl",
        "fixtures/mcp/traffic-code-helper.jsonl",
        "fixtures/mcp/traffic-data-export.jsonl",
        "fixtures/mcp/tools-list.json",
    ]);
    Agaudit::new().args(&ingest).at_root().expect(0);
    let correlate = ["correlate", "--case", c, "--policy", "fixtures/policy/agents.hcl"];
    Agaudit::new().args(correlate).at_root().expect(1);
}

pub(super) fn at_root(args: &[&str]) -> Output {
    Agaudit::new().args(args).at_root().run()
}

fn diff(case: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["diff", "--case", case.to_str().unwrap()];
    args.extend_from_slice(extra);
    at_root(&args)
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)))
}

fn findings<'a>(v: &'a Value, kind: &str, tool: &str) -> Vec<&'a Value> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == kind && f["tool"] == tool)
        .collect()
}

fn workload() -> (Vec<Value>, Value) {
    let pg: Value =
        serde_json::from_str(&fs::read_to_string(root().join("fixtures/pgaudit/expected.json")).unwrap()).unwrap();
    let mcp: Value =
        serde_json::from_str(&fs::read_to_string(root().join("fixtures/mcp/expected.json")).unwrap()).unwrap();
    (pg["rows"].as_array().unwrap().clone(), mcp)
}

/// Tools whose first listing in traffic.jsonl claimed readOnlyHint true.
fn claimed_read_only(mcp: &Value) -> BTreeSet<String> {
    mcp["tool_hints"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["file"] == "traffic.jsonl" && h["listing"].as_i64() <= Some(3))
        .filter(|h| h["read_only_hint"] == true)
        .map(|h| h["tool"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_lying_tool_is_caught_for_every_session_and_honest_tools_are_not() {
    let case = readme_case();
    let o = diff(case.path(), &["--json"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "a critical finding fails the default --fail-on high"
    );
    let v = json(&o);
    let (rows, mcp) = workload();
    let read_only = claimed_read_only(&mcp);
    assert!(
        read_only.contains("refresh_summary") && read_only.contains("query_reports"),
        "{read_only:?}"
    );

    // Every write the workload ran through a tool that claimed read-only is a contradiction for
    // that agent@session, seen by the database and by telemetry, rated by its outcome.
    let writes: Vec<&Value> = rows
        .iter()
        .filter(|r| r["class"] == "WRITE" && r["actor_tool"].as_str().is_some_and(|t| read_only.contains(t)))
        .collect();
    assert!(writes.len() >= 2, "the workload's lying-tool writes: {writes:?}");
    for w in &writes {
        let tool = w["actor_tool"].as_str().unwrap();
        let actor = format!(
            "{}@{}",
            w["actor_agent"].as_str().unwrap(),
            w["actor_session"].as_str().unwrap()
        );
        let hits: Vec<_> = findings(&v, "read_only_contradiction", tool)
            .into_iter()
            .filter(|f| f["actor"] == actor.as_str())
            .collect();
        assert_eq!(hits.len(), 1, "{tool} for {actor}: {v:#}");
        let f = hits[0];
        let went_through = w["outcome"] == "ok";
        assert_eq!(f["outcome"], if went_through { "allow" } else { "DENY" });
        assert_eq!(
            f["severity"],
            if went_through { "critical" } else { "medium" },
            "production write vs refused attempt"
        );
        assert_eq!(f["layers"], serde_json::json!(["db", "telemetry"]));
        assert_eq!(f["corroborated"], true);
        assert_eq!(f["conf"], "attributed");
        assert_eq!(f["command"], w["command"]);
    }
    // Exactly those: no other read-only contradiction anywhere.
    let all: Vec<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "read_only_contradiction")
        .collect();
    assert_eq!(all.len(), writes.len(), "{all:#?}");

    // The honest read-only tool only read: no write finding for it, only its rug pull.
    assert!(
        rows.iter()
            .filter(|r| r["actor_tool"] == "query_reports")
            .all(|r| r["class"] == "READ")
    );
    for kind in [
        "read_only_contradiction",
        "destructive_contradiction",
        "unannotated_write",
    ] {
        assert!(
            findings(&v, kind, "query_reports").is_empty(),
            "{kind} for query_reports"
        );
    }
    for pull in mcp["rug_pulls"].as_array().unwrap() {
        let hits = findings(&v, "claim_changed", pull["tool"].as_str().unwrap());
        assert!(
            hits.iter().any(|f| f["mcp_server"] == pull["server"]
                && f["claim"].as_str().unwrap().contains("readOnlyHint true→false")),
            "rug pull {pull}: {hits:#?}"
        );
    }
    // A tool with no annotations that wrote is listed, not a contradiction.
    let unannotated = findings(&v, "unannotated_write", "legacy_cleanup");
    let legacy_writers = rows
        .iter()
        .filter(|r| r["actor_tool"] == "legacy_cleanup" && r["class"] == "WRITE")
        .count();
    assert_eq!(unannotated.len(), legacy_writers);
    assert!(unannotated.iter().all(|f| f["severity"] == "low"));
    // The closed-world claim of fetch_rates against its connections (fixtures/mcp/README.md).
    let callers: BTreeSet<&str> = mcp["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["tool"] == "fetch_rates")
        .map(|c| c["agent"].as_str().unwrap())
        .collect();
    let open: BTreeSet<&str> = findings(&v, "open_world_contradiction", "fetch_rates")
        .iter()
        .map(|f| f["agent"].as_str().unwrap())
        .collect();
    assert_eq!(open, callers);

    // The findings table, the ledger and the exit codes.
    let parquet = super::parquet_files(&case.path().join("parquet/findings"));
    let n: usize = parquet.iter().flat_map(|p| read_parquet(p)).map(|b| b.num_rows()).sum();
    assert_eq!(n, v["findings"].as_array().unwrap().len());
    assert_eq!(v["ledger_appended"], n);
    let again = json(&diff(case.path(), &["--json"]));
    assert_eq!(again["ledger_appended"], 0, "a re-run appends nothing");
    let log = at_root(&[
        "log",
        "--case",
        case.path().to_str().unwrap(),
        "--kind",
        "finding",
        "--json",
    ]);
    assert_eq!(log.status.code(), Some(0), "the ledger still verifies");
    assert_eq!(String::from_utf8_lossy(&log.stdout).lines().count(), n);
    assert_eq!(diff(case.path(), &["--fail-on", "critical"]).status.code(), Some(1));
    assert_eq!(diff(case.path(), &["--fail-on", "none"]).status.code(), Some(0));

    // Findings travel in bundles.
    let dir = tempfile::TempDir::new().unwrap();
    let key = dir.path().join("k");
    assert_eq!(
        at_root(&["keygen", "--out", key.to_str().unwrap(), "--no-password"])
            .status
            .code(),
        Some(0)
    );
    let bundle = dir.path().join("b.tar");
    let o = at_root(&[
        "export",
        "--case",
        case.path().to_str().unwrap(),
        "--key",
        dir.path().join("k.key").to_str().unwrap(),
        "--out",
        bundle.to_str().unwrap(),
        "--agent",
        "code-helper",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("findings.parquet: 2 rows"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let o = at_root(&[
        "verify",
        bundle.to_str().unwrap(),
        "--pubkey",
        dir.path().join("k.pub").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));

    // The JSON follows its schema.
    let file = dir.path().join("diff.json");
    fs::write(&file, serde_json::to_vec(&v).unwrap()).unwrap();
    let check = Command::new("python3")
        .args([
            "-c",
            "import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))",
            root().join("schemas/diff.schema.json").to_str().unwrap(),
            file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
}

#[test]
fn golden_table_and_json() {
    let case = readme_case();
    let table = diff(case.path(), &[]);
    let json_out = diff(case.path(), &["--json"]);
    for (name, out) in [("diff.txt", &table.stdout), ("diff.json", &json_out.stdout)] {
        let path: PathBuf = root().join("tests/golden").join(name);
        if std::env::var_os("BLESS").is_some() {
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, out).unwrap();
            continue;
        }
        let golden = fs::read(&path).unwrap_or_default();
        assert!(
            golden == *out,
            "{} differs from this run's output (BLESS=1 cargo nextest run --test cli golden rewrites it after review):\n{}",
            path.display(),
            String::from_utf8_lossy(out)
        );
    }
}

//! Correlation and the ledger on the real fixtures, checked against the workload's own record
//! of who did what (the actor_agent / actor_session / actor_tool keys of
//! fixtures/pgaudit/expected.json, declared next to each statement by the workload scripts).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::util::prepared;
use super::{FORMATS, agaudit, expected, fixture, ingest, root, table_rows};

type Row = BTreeMap<String, Option<String>>;

pub(super) fn policy() -> PathBuf {
    root().join("fixtures/policy/agents.hcl")
}

/// A case holding every fixture (all three pgAudit formats, OTLP, MCP), correlated once.
pub(super) fn correlated_case() -> (tempfile::TempDir, Vec<Row>, Value) {
    let (case, prepared) = prepared("correlated", |dir| {
        let case = dir.join("case");
        let mut files: Vec<PathBuf> = FORMATS.iter().map(|(f, _)| fixture(f)).collect();
        files.extend(super::otlp::fixture_files());
        let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
        let out = ingest(&case, &refs, &["--label", "server=prod-postgres"]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let summary = correlate(&case, &["--json"]);
        fs::write(dir.join("summary.json"), summary.to_string()).unwrap();
    });
    let summary = serde_json::from_str(&fs::read_to_string(prepared.join("summary.json")).unwrap()).unwrap();
    let actions = table_rows(case.path(), "actions");
    (case, actions, summary)
}

fn correlate(case: &Path, extra: &[&str]) -> Value {
    let policy = policy();
    let mut args = vec![
        "correlate",
        "--case",
        case.to_str().unwrap(),
        "--policy",
        policy.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = agaudit(&args);
    // Exit 1: the fixtures hold violations that went through (the lying tool's write).
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
}

fn s(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

fn get<'a>(r: &'a Row, k: &str) -> Option<&'a str> {
    r.get(k).and_then(|v| v.as_deref())
}

#[test]
fn every_attributed_action_names_the_agent_the_workload_says_did_it() {
    let (_case, actions, summary) = correlated_case();
    let rows = expected()["rows"].as_array().unwrap().clone();
    // Every workload statement is one action (the three log formats fold into one), plus the
    // outgoing connections seen in telemetry.
    let from_db: Vec<&Row> = actions
        .iter()
        .filter(|a| get(a, "evidence_table") == Some("db_events"))
        .collect();
    assert_eq!(from_db.len(), rows.len(), "one action per statement");
    assert_eq!(summary["duplicates_folded"], Value::from(2 * rows.len() as u64));

    // Actors by trace context (exact) and by the session's identity (the set it may be).
    let by_trace: BTreeMap<(String, String), &Value> = rows
        .iter()
        .filter_map(|r| Some(((s(&r["trace_id"])?, s(&r["span_id"])?), r)))
        .collect();
    let mut actors_of: BTreeMap<(Option<String>, String, String), BTreeSet<Option<String>>> = BTreeMap::new();
    for r in &rows {
        let actor = s(&r["actor_agent"]).map(|a| format!("{a}@{}", s(&r["actor_session"]).unwrap_or_default()));
        let key = (
            s(&r["db_user"]),
            s(&r["command"]).unwrap_or_default(),
            s(&r["outcome"]).unwrap(),
        );
        actors_of.entry(key).or_default().insert(actor);
    }
    let mut checked_by_trace = 0;
    for a in &from_db {
        let conf = get(a, "conf").unwrap();
        let agent = get(a, "agent").map(|ag| format!("{ag}@{}", get(a, "session").unwrap_or_default()));
        match conf {
            "unattributed" => assert!(agent.is_none(), "unattributed never names an agent: {a:?}"),
            _ => assert!(agent.is_some(), "{a:?}"),
        }
        if let (Some(t), Some(sp)) = (get(a, "trace_id"), get(a, "span_id")) {
            let r = by_trace[&(t.to_string(), sp.to_string())];
            let want = s(&r["actor_agent"]).map(|x| format!("{x}@{}", s(&r["actor_session"]).unwrap()));
            assert_eq!(agent, want, "traced action attributed to the wrong agent: {a:?}");
            assert_eq!(get(a, "tool").map(str::to_string), s(&r["actor_tool"]), "{a:?}");
            checked_by_trace += 1;
        } else if agent.is_some() {
            let key = (
                get(a, "principal").map(str::to_string),
                get(a, "command").unwrap_or_default().to_string(),
                if get(a, "outcome") == Some("DENY") {
                    "refused"
                } else {
                    "ok_or_failed"
                }
                .to_string(),
            );
            let candidates: BTreeSet<Option<String>> = actors_of
                .iter()
                .filter(|((u, c, o), _)| {
                    *u == key.0
                        && *c == key.1
                        && (o == &key.2 || (key.2 == "ok_or_failed" && (o == "ok" || o == "failed")))
                })
                .flat_map(|(_, v)| v.iter().cloned())
                .collect();
            assert!(
                candidates.contains(&agent),
                "action attributed to {agent:?}, but the workload's statements of that shape were done by {candidates:?}: {a:?}"
            );
        }
    }
    // The MCP workload's statements all carry a traceparent of a span in the case.
    let mcp_rows: u64 = expected()["rows_added_by"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(Value::as_u64)
        .sum();
    assert_eq!(
        checked_by_trace, mcp_rows,
        "every statement with a known span was checked by its trace"
    );
    // Statements whose workload actor is nobody are never attributed.
    let nobody = rows.iter().filter(|r| r["actor_agent"].is_null()).count();
    let unattributed = from_db
        .iter()
        .filter(|a| get(a, "conf") == Some("unattributed"))
        .count();
    assert_eq!(unattributed, nobody);
}

#[test]
fn the_lying_tool_its_refusal_the_shared_role_and_the_ledger() {
    let (case, actions, summary) = correlated_case();
    let find = |pred: &dyn Fn(&Row) -> bool| -> Vec<&Row> { actions.iter().filter(|a| pred(a)).collect() };

    // refresh_summary claims readOnlyHint=true; its UPDATE went through for reporting-assistant.
    let lied = find(&|a| get(a, "tool") == Some("refresh_summary") && get(a, "class") == Some("write"));
    assert_eq!(lied.len(), 2, "{lied:?}");
    let went_through = lied.iter().find(|a| get(a, "outcome") == Some("allow")).unwrap();
    assert_eq!(get(went_through, "agent"), Some("reporting-assistant"));
    assert_eq!(get(went_through, "session"), Some("q8n5"));
    assert_eq!(get(went_through, "conf"), Some("attributed"));
    assert_eq!(get(went_through, "violation"), Some("read_only_violation"));
    assert_eq!(get(went_through, "verdict"), Some("violation_allowed"));
    assert_eq!(get(went_through, "claimed_read_only"), Some("true"));
    assert_eq!(
        get(went_through, "resource"),
        Some("prod-postgres/reporting/finance.invoices")
    );
    // ...and was refused for code-helper: the control worked.
    let refused = lied.iter().find(|a| get(a, "outcome") == Some("DENY")).unwrap();
    assert_eq!(get(refused, "agent"), Some("code-helper"));
    assert_eq!(get(refused, "violation"), Some("read_only_violation"));
    assert_eq!(get(refused, "verdict"), Some("violation_refused"));
    assert_eq!(get(refused, "source_outcome"), Some("refused"));

    // The shared role with trace context: attributed through the trace alone.
    let traced_shared = find(&|a| get(a, "principal") == Some("svc_shared") && get(a, "agent").is_some());
    assert!(!traced_shared.is_empty());
    for a in &traced_shared {
        assert_eq!(get(a, "agent"), Some("data-export-job"));
        assert_eq!(get(a, "conf"), Some("attributed"));
        assert!(
            get(a, "reason").unwrap().starts_with("sqlcommenter traceparent"),
            "{a:?}"
        );
    }
    // Without trace context: unattributed, counted per principal.
    let untraced_shared = find(&|a| get(a, "principal") == Some("svc_shared") && get(a, "agent").is_none());
    let declared = expected()["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["db_user"] == "svc_shared" && r["trace_id"].is_null())
        .count();
    assert_eq!(untraced_shared.len(), declared);
    assert_eq!(
        summary["unattributed_by_principal"]["svc_shared"],
        Value::from(declared as u64)
    );

    // Every action has its evidence row: the hash of a db_events row that exists.
    let db_rows = table_rows(case.path(), "db_events");
    let files: BTreeSet<(String, String)> = db_rows
        .iter()
        .map(|r| (r["source_file"].clone().unwrap(), r["source_line"].clone().unwrap()))
        .collect();
    for a in actions.iter().filter(|a| get(a, "evidence_table") == Some("db_events")) {
        let key = (
            get(a, "evidence_file").unwrap().to_string(),
            get(a, "evidence_line").unwrap().to_string(),
        );
        assert!(files.contains(&key), "{a:?}");
        assert_eq!(get(a, "evidence_row_hash").unwrap().len(), 64);
    }

    // The ledger: opened + one ingest record per file + policy + every action + the closing
    // checkpoint (which also names what the run was made of, for a re-run to compare with).
    let manifest: Value = serde_json::from_slice(&fs::read(case.path().join("ingest.json")).unwrap()).unwrap();
    let n_files = manifest["files"].as_array().unwrap().len();
    let log = agaudit(&["log", "--case", case.path().to_str().unwrap(), "--json"]);
    assert_eq!(log.status.code(), Some(0), "{}", String::from_utf8_lossy(&log.stderr));
    let records: Vec<Value> = String::from_utf8_lossy(&log.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 1 + n_files + 1 + actions.len() + 1);
    assert_eq!(summary["ledger_head_seq"], Value::from(records.len() as u64));
    let first_lie = records
        .iter()
        .find(|r| r["tool"] == "refresh_summary" && r["outcome"] == "allow" && r["class"] == "write")
        .unwrap();
    assert_eq!(first_lie["agent"], "reporting-assistant@q8n5");
    assert_eq!(first_lie["policy"], "read_only_violation");
    assert_eq!(first_lie["hash"].as_str().unwrap().len(), 64);
    let denied = agaudit(&[
        "log",
        "--case",
        case.path().to_str().unwrap(),
        "--outcome",
        "DENY",
        "--agent",
        "code-helper@h2v6",
        "--json",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&denied.stdout).lines().count(),
        2,
        "legacy_cleanup and refresh_summary"
    );

    // Same case, same policy: nothing appended (the ledger's head stays where the `log` views
    // above left it); the same actions in the same order.
    let records = fs::read_to_string(case.path().join("ledger/ledger.log"))
        .unwrap()
        .lines()
        .count();
    let again = correlate(case.path(), &["--json"]);
    assert_eq!(again["ledger_appended"], Value::from(0));
    assert_eq!(again["ledger_head_seq"], Value::from(records));
    assert_eq!(table_rows(case.path(), "actions"), actions);
}

#[test]
fn a_tampered_ledger_is_located_and_a_torn_one_recovered() {
    let (case, _, _) = correlated_case();
    let path = case.path().join("ledger/ledger.log");
    let original = fs::read_to_string(&path).unwrap();

    // Edit one record (an R access made to look like RW): `log` names that line and exits 1.
    let edited = original.replacen(" op=R ", " op=RW ", 1);
    let line = original[..original.find(" op=R ").unwrap()].matches('\n').count() + 1;
    fs::write(&path, &edited).unwrap();
    let out = agaudit(&["log", "--case", case.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("does not verify at line {line}:")), "{err}");
    let policy = policy();
    let args = [
        "correlate",
        "--case",
        case.path().to_str().unwrap(),
        "--policy",
        policy.to_str().unwrap(),
    ];
    let refused = agaudit(&args);
    assert_eq!(
        refused.status.code(),
        Some(1),
        "a broken chain stops correlate: evidence that does not verify"
    );

    // Cut the last record in half (a kill -9 mid-append): log reports it, correlate moves it
    // aside, records the recovery, and the chain verifies again.
    let cut = original.len() - 40;
    fs::write(&path, &original[..cut]).unwrap();
    // The head as the interrupted append left it: naming the record before the torn one.
    let text = original.clone();
    let before = text.lines().rev().nth(1).unwrap();
    let field = |k: &str| {
        before
            .split(' ')
            .find_map(|f| f.strip_prefix(&format!("{k}=")))
            .unwrap()
    };
    fs::write(
        case.path().join("ledger/head"),
        format!("seq={} hash={}\n", field("seq"), field("hash")),
    )
    .unwrap();
    let out = agaudit(&["log", "--case", case.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("incomplete record"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = agaudit(&args);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("was interrupted"));
    let out = agaudit(&[
        "log",
        "--case",
        case.path().to_str().unwrap(),
        "--kind",
        "checkpoint",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("torn_tail_recovered"));
    let saved: Vec<_> = fs::read_dir(case.path().join("ledger"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("torn-"))
        .collect();
    assert_eq!(saved.len(), 1);
    assert_eq!(
        fs::read(saved[0].path()).unwrap(),
        original.as_bytes()[original[..cut].rfind('\n').unwrap() + 1..cut]
    );
}

#[test]
fn policy_check_shows_errors_with_a_caret_and_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.hcl");
    fs::write(
        &bad,
        "agent \"a\" {\n  resource \"prod-postgres/db\" {\n    access = \"reed\"\n  }\n  resource \"http://x\" { access = \"read\" }\n}\n",
    )
    .unwrap();
    let out = agaudit(&["policy", "check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(":3:14: error: unknown access level \"reed\""), "{err}");
    assert!(err.contains("3 |     access = \"reed\"\n  |              ^"), "{err}");
    assert!(
        err.contains(":5:12: error: resource \"http://x\": unknown resource scheme"),
        "{err}"
    );

    let policy = policy();
    let warn = dir.path().join("warn.hcl");
    fs::write(
        &warn,
        "agent \"a\" {\n  resource \"db/x\" { access = \"read\" }\n  resource \"db/x\" { access = \"none\" }\n}\n",
    )
    .unwrap();
    let out = agaudit(&["policy", "check", warn.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains(":3:3: warning: never matches"));

    let out = agaudit(&["policy", "check", policy.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Identity as estates issue it: a role of an agent's own (`db_roles`), short-lived roles per
/// lease (Vault's template, a glob), an estate's own application_name convention (`identity`),
/// on the fixture run and on a copy whose per-agent role carries no application_name.
#[test]
fn roles_of_an_agents_own_leases_and_conventions_name_the_agent() {
    let (case, actions, _) = correlated_case();
    let rows = expected()["rows"].as_array().unwrap().clone();
    let by_role = |pred: &dyn Fn(&str) -> bool| -> Vec<&Row> {
        actions
            .iter()
            .filter(|a| get(a, "evidence_table") == Some("db_events") && get(a, "principal").is_some_and(pred))
            .collect()
    };
    let release = by_role(&|p| p == "release_bot");
    assert_eq!(
        release.len(),
        rows.iter().filter(|r| r["db_user"] == "release_bot").count()
    );
    for a in &release {
        assert_eq!(
            (get(a, "agent"), get(a, "conf")),
            (Some("release-bot"), Some("attributed")),
            "{a:?}"
        );
        assert!(get(a, "reason").unwrap().contains("role release_bot"), "{a:?}");
    }
    // Every lease is a session of nightly-etl, named by the lease role.
    let leases = by_role(&|p| p.starts_with("v-approle-nightly-"));
    let want: BTreeSet<String> = rows
        .iter()
        .filter(|r| r["actor_agent"] == "nightly-etl")
        .map(|r| s(&r["actor_session"]).unwrap())
        .collect();
    assert_eq!(want.len(), 2, "the workload leased twice");
    assert_eq!(
        leases.len(),
        rows.iter().filter(|r| r["actor_agent"] == "nightly-etl").count()
    );
    for a in &leases {
        assert_eq!(
            (get(a, "agent"), get(a, "conf")),
            (Some("nightly-etl"), Some("attributed")),
            "{a:?}"
        );
        assert_eq!(
            get(a, "session"),
            get(a, "principal"),
            "the lease is the session: {a:?}"
        );
        assert!(want.contains(get(a, "session").unwrap()));
    }
    // The estate's own convention, declared in the policy's identity block.
    let triage: Vec<&Row> = actions
        .iter()
        .filter(|a| get(a, "agent") == Some("triage-bot"))
        .collect();
    assert_eq!(
        triage.len(),
        rows.iter().filter(|r| r["actor_agent"] == "triage-bot").count()
    );
    assert!(
        triage
            .iter()
            .all(|a| get(a, "session") == Some("r7f3a") && get(a, "conf") == Some("attributed"))
    );
    // The shared role without trace context stays unattributed, the role names nobody.
    let shared = by_role(&|p| p == "svc_shared");
    assert!(
        shared
            .iter()
            .filter(|a| get(a, "trace_id").is_none())
            .all(|a| get(a, "conf") == Some("unattributed"))
    );

    // Views: the inventory lists the lease pattern with its lease count; the map maps every
    // identity grant against its use.
    let c = case.path().to_str().unwrap();
    let inv: Value = serde_json::from_slice(&agaudit(&["inventory", "--case", c, "--json"]).stdout).unwrap();
    let nightly = inv["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agent"] == "nightly-etl")
        .unwrap();
    let lease = nightly["principals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "v-*-nightly-*")
        .unwrap();
    assert_eq!(
        (
            lease["kind"].as_str(),
            lease["owned"].as_bool(),
            lease["leases"].as_u64()
        ),
        (Some("db_role"), Some(true), Some(2))
    );
    assert!(
        nightly["sources"].as_array().unwrap().iter().any(|s| s == "db_events"),
        "{nightly}"
    );
    let triage = inv["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agent"] == "triage-bot")
        .unwrap();
    assert!(
        triage["sources"].as_array().unwrap().iter().any(|s| s == "db_events"),
        "{triage}"
    );
    let policy = policy();
    let map: Value =
        serde_json::from_slice(&agaudit(&["map", "--case", c, "--policy", policy.to_str().unwrap(), "--json"]).stdout)
            .unwrap();
    let ids = map["identities"].as_array().unwrap();
    assert!(
        ids.iter().any(|g| g["pattern"] == "v-*-nightly-*"
            && g["principals"] == 2
            && g["drift"].as_array().unwrap().is_empty()),
        "{ids:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let unused = dir.path().join("unused.hcl");
    let text = fs::read_to_string(&policy)
        .unwrap()
        .replace("agent \"triage-bot\" {", "agent \"triage-bot\" {\n  uids = [4242]");
    fs::write(&unused, text).unwrap();
    let map: Value =
        serde_json::from_slice(&agaudit(&["map", "--case", c, "--policy", unused.to_str().unwrap(), "--json"]).stdout)
            .unwrap();
    let g = map["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["pattern"] == "4242")
        .unwrap();
    assert_eq!(g["drift"], serde_json::json!(["unused_identity"]));

    // A copy whose per-agent role carries no application_name: the role alone still says who;
    // one whose application_name names another agent: approximate, both named.
    for (variant, app) in [("stripped", None), ("conflicting", Some("code-helper@zz9"))] {
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join(format!("{variant}.json"));
        let lines: Vec<String> = fs::read_to_string(fixture("postgresql.json"))
            .unwrap()
            .lines()
            .map(|l| {
                let mut v: Value = serde_json::from_str(l).unwrap();
                if v["user"] == "release_bot" {
                    match app {
                        None => v.as_object_mut().unwrap().remove("application_name"),
                        Some(a) => v.as_object_mut().unwrap().insert("application_name".into(), a.into()),
                    };
                }
                v.to_string()
            })
            .collect();
        fs::write(&copy, lines.join("\n") + "\n").unwrap();
        let case = tempfile::tempdir().unwrap();
        let out = ingest(case.path(), &[&copy], &["--label", "server=prod-postgres"]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        correlate(case.path(), &[]);
        let actions = table_rows(case.path(), "actions");
        let release: Vec<&Row> = actions
            .iter()
            .filter(|a| get(a, "principal") == Some("release_bot"))
            .collect();
        assert_eq!(
            release.len(),
            rows.iter().filter(|r| r["db_user"] == "release_bot").count()
        );
        for a in release {
            assert_eq!(get(a, "agent"), Some("release-bot"), "{variant}: {a:?}");
            match app {
                None => assert_eq!((get(a, "conf"), get(a, "session")), (Some("attributed"), None), "{a:?}"),
                Some(_) => {
                    assert_eq!(get(a, "conf"), Some("approximate"), "{a:?}");
                    let reason = get(a, "reason").unwrap();
                    assert!(
                        reason.contains("release_bot") && reason.contains("code-helper@zz9"),
                        "{reason}"
                    );
                }
            }
        }
        // The leases and the shared role are unchanged.
        assert!(
            actions
                .iter()
                .filter(|a| get(a, "principal").is_some_and(|p| p.starts_with("v-approle-nightly-")))
                .all(|a| get(a, "agent") == Some("nightly-etl"))
        );
        assert!(
            actions
                .iter()
                .filter(|a| get(a, "principal") == Some("svc_shared") && get(a, "trace_id").is_none())
                .all(|a| get(a, "conf") == Some("unattributed"))
        );
    }
}

/// `policy check` refuses identity claims that would make attribution by the principal a guess.
#[test]
fn policy_check_refuses_a_principal_of_two_agents_a_shared_one_and_a_pattern_without_agent() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("identity.hcl");
    fs::write(
        &bad,
        r#"identity {
  application_name = ["^(?P<name>[^@]+)@(?P<session>.+)$"]
}
principal "svc_shared" { shared = true }
agent "a" {
  db_roles = ["etl_*"]
  uids     = [1001]
  resource "db/x" { access = "read" }
}
agent "b" {
  db_roles = ["etl_rw", "svc_*"]
  uids     = [1001]
  resource "db/x" { access = "read" }
}
agent "c@s1" {
  services = ["worker"]
  resource "db/x" { access = "read" }
}
"#,
    )
    .unwrap();
    let out = agaudit(&["policy", "check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(":2:23: error: application_name pattern has no group named agent"),
        "{err}"
    );
    assert!(err.contains(":11:15: error: db_roles \"etl_rw\" of agent \"b\" can name the same principal as \"etl_*\" of agent \"a\" (line 6)"), "{err}");
    assert!(
        err.contains(
            ":11:25: error: db_roles \"svc_*\" of agent \"b\" covers \"svc_shared\", which the policy declares shared"
        ),
        "{err}"
    );
    assert!(err.contains(":12:15: error: uids \"1001\" of agent \"b\""), "{err}");
    assert!(
        err.contains(":16:3: error: `services` names principals of one agent"),
        "{err}"
    );
}

/// A re-run with nothing new reports the last run and appends nothing; any change to what it
/// depends on (the actions table's files, its state file, the policy file, the evidence) is a
/// full run, which then leaves the case ready to be skipped again.
#[test]
fn a_rerun_with_nothing_new_reports_the_last_run_and_any_change_runs_in_full() {
    let (case, _, first) = correlated_case();
    let case = case.path();
    let ledger = case.join("ledger/ledger.log");
    assert_eq!(first["unchanged"], false);

    let before = fs::read(&ledger).unwrap();
    let again = correlate(case, &["--json"]);
    assert_eq!(again["unchanged"], true, "{again}");
    assert_eq!(again["ledger_appended"], 0);
    assert_eq!(
        fs::read(&ledger).unwrap(),
        before,
        "a re-run with nothing new appends nothing"
    );
    for k in [
        "actions",
        "by_conf",
        "by_verdict",
        "violations",
        "unattributed_by_principal",
        "duplicates_folded",
        "kernel_not_actions",
        "policy_blake3",
    ] {
        assert_eq!(again[k], first[k], "{k}");
    }

    let full_then_skipped = |what: &str| {
        let full = correlate(case, &["--json"]);
        assert_eq!(full["unchanged"], false, "{what}: {full}");
        assert_eq!(correlate(case, &["--json"])["unchanged"], true, "{what}: skipped after");
        full
    };

    // An actions file edited (a byte of its data flipped), or one added beside the others.
    let actions_dir = case.join("parquet/actions");
    let mut parts = super::walk(&actions_dir);
    parts.sort();
    let part = parts.into_iter().next().expect("an actions file");
    let mut bytes = fs::read(&part).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    fs::write(&part, bytes).unwrap();
    let full = full_then_skipped("an actions file edited");
    assert_eq!(full["actions"], first["actions"], "written again from the evidence");
    fs::write(part.with_file_name("part-extra.parquet"), b"PAR1").unwrap();
    full_then_skipped("an actions file added");

    // The state file edited (one more action claimed): its blake3 no longer matches the ledger.
    let state = case.join("correlated.json");
    let mut doc: Value = serde_json::from_slice(&fs::read(&state).unwrap()).unwrap();
    doc["summary"]["actions"] = Value::from(first["actions"].as_u64().unwrap() + 1);
    fs::write(&state, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    full_then_skipped("the state file edited");

    // New evidence: a kernel capture ingested into the case.
    let capture = root().join("fixtures/capture/workload.cap");
    assert_eq!(ingest(case, &[capture.as_path()], &[]).status.code(), Some(0));
    full_then_skipped("new evidence");

    // Another policy file (the same rules with a comment more): a full run, which records it.
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("agents.hcl");
    fs::write(
        &other,
        format!("{}\n# reviewed\n", fs::read_to_string(policy()).unwrap()),
    )
    .unwrap();
    let out = agaudit(&[
        "correlate",
        "--case",
        case.to_str().unwrap(),
        "--policy",
        other.to_str().unwrap(),
        "--json",
    ]);
    let full: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(full["unchanged"], false, "another policy file: {full}");
    assert!(
        full["ledger_appended"].as_u64().unwrap() >= 1,
        "its policy record: {full}"
    );
}

//! The leak test: one secret of every rule kind planted in every source — SQL literals and bound
//! parameters in a pgAudit log, span attributes and log bodies in OTLP, a tools/list
//! description, argv and file paths in an ebpf-capture file, and comments in the policy — then
//! the whole pipeline (ingest, policy check, correlate, diff, map, inventory, log, export,
//! verify), each command with and without --json. No planted secret may appear in any output:
//! the case (Parquet read back decompressed, the ledger, the quarantine, ingest.json), the
//! bundle's members, and everything printed.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use agaudit_capture_format::{self as capture, Event, Header, Kind, Trailer};
use serde_json::{Value, json};

use super::{agaudit, everything_written, root};

/// (rule, text carrying the secret, the secret itself). Every rule of the secrets crate.
const PLANTS: &[(&str, &str, &str)] = &[
    (
        "private_key",
        "-----BEGIN RSA PRIVATE KEY-----MIIBplantedKEYbody0agaudit-----END RSA PRIVATE KEY-----",
        "MIIBplantedKEYbody0agaudit",
    ),
    (
        "jwt",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudGVkMDAwIn0.c2lnbmF0dXJlcGxhbnRlZA",
        "eyJzdWIiOiJwbGFudGVkMDAwIn0",
    ),
    ("aws_access_key_id", "AKIAPLANTEDLEAK00001", "AKIAPLANTEDLEAK00001"),
    (
        "aws_secret_access_key",
        "aws_secret_access_key=PlantedLeakAwsSecret0000000000000000000a",
        "PlantedLeakAwsSecret0000000000000000000a",
    ),
    (
        "gcp_api_key",
        "AIzaPlantedLeakGcpKey000000000000000000",
        "AIzaPlantedLeakGcpKey000000000000000000",
    ),
    (
        "gcp_service_account_key",
        "\"private_key_id\": \"0123456789abcdef0123456789abcdef0badc0de\"",
        "0123456789abcdef0123456789abcdef0badc0de",
    ),
    (
        "azure_storage_key",
        "AccountKey=PlantedLeakAzureStorageKey000000000000000000000000000000000000000000000000000000000000==",
        "PlantedLeakAzureStorageKey000000000000000000000000000000000000000000000000000000000000==",
    ),
    (
        "azure_sas_signature",
        "https://acct.blob.example/c?sv=2024&sig=PlantedLeakSasSig0000000000",
        "PlantedLeakSasSig0000000000",
    ),
    (
        "azure_client_secret",
        "abc8Q~PlantedLeakAzureClientSecret000000",
        "abc8Q~PlantedLeakAzureClientSecret000000",
    ),
    (
        "github_token",
        "ghp_PlantedLeakGithubToken000000000000000",
        "ghp_PlantedLeakGithubToken000000000000000",
    ),
    (
        "gitlab_token",
        "glpat-PlantedLeakGitlabToken00",
        "glpat-PlantedLeakGitlabToken00",
    ),
    ("slack_token", "xoxb-PlantedLeakSlack0000", "xoxb-PlantedLeakSlack0000"),
    (
        "slack_webhook",
        "https://hooks.slack.com/services/T000/B000/PlantedLeakWebhook",
        "PlantedLeakWebhook",
    ),
    (
        "anthropic_api_key",
        "sk-ant-api03-PlantedLeakAnthropic0000",
        "sk-ant-api03-PlantedLeakAnthropic0000",
    ),
    (
        "openai_api_key",
        "sk-proj-PlantedLeakOpenai000000000",
        "sk-proj-PlantedLeakOpenai000000000",
    ),
    (
        "bearer_token",
        "Authorization: Bearer PlantedLeakBearer0000",
        "PlantedLeakBearer0000",
    ),
    (
        "uri_password",
        "postgres://bob:PlantedLeakUriPw0@db:5432/x",
        "PlantedLeakUriPw0",
    ),
    (
        "connection_password",
        "host=db user=bob password=PlantedLeakConnPw0 dbname=x",
        "PlantedLeakConnPw0",
    ),
    (
        "sql_password",
        "ALTER ROLE bob PASSWORD PlantedLeakSqlPw0",
        "PlantedLeakSqlPw0",
    ),
    ("email", "mail planted.leak@example.org now", "planted.leak@example.org"),
];

const PREFIX: &str = "%m [%p] %q%u@%d app=%a client=%h session=%c sqlstate=%e ";

/// A pgAudit stderr log: per plant, one statement carrying it as a literal and as a bound
/// parameter (pgAudit's parameter list), in the fixture server's log_line_prefix.
fn pgaudit_log() -> String {
    let mut out = String::new();
    for (i, (_, text, _)) in PLANTS.iter().enumerate() {
        let n = i + 1;
        let literal = text.replace('\'', "''").replace('"', "\"\"");
        let param = text.replace('"', "\"\"");
        out.push_str(&format!(
            "2026-11-24 05:14:{:02}.{n:03} UTC [4242] app_owner@reporting app=leak-agent@s1 client=[local] \
             session=6b051d2c.1092 sqlstate=00000 LOG:  AUDIT: SESSION,{n},1,READ,SELECT,TABLE,public.orders,\
             \"SELECT id FROM public.orders WHERE note = '{literal}' AND item = $1\",\"{param}\",0\n",
            20 + i % 30
        ));
    }
    out
}

/// The first OTLP traces line of the fixtures with every plant as a span attribute of its first
/// span, and the first logs line with every plant in its first record's body.
fn otlp() -> (String, String) {
    let all: Vec<&str> = PLANTS.iter().map(|p| p.1).collect();
    let traces = fs::read_to_string(root().join("fixtures/otlp/traces.jsonl")).unwrap();
    let mut t: Value = serde_json::from_str(traces.lines().next().unwrap()).unwrap();
    let attrs = t["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"]
        .as_array_mut()
        .unwrap();
    for (rule, text, _) in PLANTS {
        attrs.push(json!({"key": format!("leak.{rule}"), "value": {"stringValue": text}}));
    }
    attrs.push(json!({"key": "db.query.text", "value": {"stringValue": format!("SELECT '{}'", all.join(" "))}}));
    let logs = fs::read_to_string(root().join("fixtures/otlp/logs.jsonl")).unwrap();
    let mut l: Value = serde_json::from_str(logs.lines().next().unwrap()).unwrap();
    l["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["body"] = json!({"stringValue": all.join(" ")});
    (t.to_string() + "\n", l.to_string() + "\n")
}

/// The fixtures' tools/list with every plant in the first tool's description and title.
fn tools_list() -> String {
    let text = fs::read_to_string(root().join("fixtures/mcp/tools-list.json")).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    let all: Vec<&str> = PLANTS.iter().map(|p| p.1).collect();
    v["result"]["tools"][0]["description"] = json!(all.join(" "));
    v["result"]["tools"][0]["annotations"]["title"] = json!(PLANTS[9].1);
    v.to_string()
}

/// A capture whose exec argv and opened paths carry every plant: what a capture written by a
/// tool that scans nothing would hold (agaudit's own scan is the second net).
fn capture_file() -> Vec<u8> {
    let header = Header {
        version: 1,
        tool_version: "leak-test".into(),
        host: "leak-host".into(),
        kernel_release: "6.1.0".into(),
        boot_id: "00000000-0000-0000-0000-00000000leak".into(),
        boot_ns: 1_000_000_000,
        wall_ns: 1_795_496_056_000_000_000,
        filter: "pid 4243".into(),
        env_allow: vec!["AGENT_ID".into()],
    };
    let mut out = capture::encode_start(&header);
    let base = Event {
        ts: 1_000_000_100,
        pid: 4243,
        tid: 4243,
        ppid: 1,
        uid: 1000,
        comm: "leaky".into(),
        ..Event::default()
    };
    let mut argv = vec!["/usr/bin/leaky".to_string()];
    argv.extend(PLANTS.iter().map(|p| p.1.to_string()));
    out.extend(capture::encode_event(&Event {
        kind: Some(Kind::Exec),
        path: Some("/usr/bin/leaky".into()),
        argv: Some(argv),
        env: Some(vec![("AGENT_ID".into(), "leak-agent@s1".into())]),
        ..base.clone()
    }));
    for (i, (_, text, _)) in PLANTS.iter().enumerate() {
        out.extend(capture::encode_event(&Event {
            kind: Some(Kind::Open),
            ts: base.ts + 10 + i as u64,
            path: Some(format!("/tmp/leak/{text}")),
            fd: Some(3),
            flags: Some(0o101),
            result: Some(3),
            ..base.clone()
        }));
    }
    out.extend(capture::encode_trailer(&Trailer {
        counts: vec![("exec".into(), 1), ("open".into(), PLANTS.len() as u64)],
        lost: 0,
        stopped_wall_ns: 1_795_496_057_000_000_000,
        reason: "exit".into(),
    }));
    out
}

/// The fixture policy with a comment carrying every plant, and a broken copy whose erroneous
/// line carries one (policy check prints that line).
fn policies(dir: &Path) -> (PathBuf, PathBuf) {
    let mut policy = fs::read_to_string(root().join("fixtures/policy/agents.hcl")).unwrap();
    for (_, text, _) in PLANTS {
        policy.push_str(&format!("# ops note: {text}\n"));
    }
    let broken = format!(
        "agent \"a\" {{\n  resource \"x/y\" {{ access = \"raed\" }} # {}\n}}\n",
        PLANTS[9].1
    );
    let (p, b) = (dir.join("policy.hcl"), dir.join("broken.hcl"));
    fs::write(&p, policy).unwrap();
    fs::write(&b, broken).unwrap();
    (p, b)
}

/// Everything agaudit writes and prints when every command runs on `inputs`: ingest (twice,
/// into two cases, with and without --json), policy check of `policies`, correlate against the
/// first, diff, map, inventory and log with and without --json, timeline in every format,
/// keygen, export, and verify
/// with and without --json. Returns the ingest --json report and, as one text, every file of
/// both cases (Parquet decoded), every member of the unpacked bundle and every byte printed.
/// No command may panic.
pub(super) fn run_every_command(dir: &Path, inputs: &[&Path], prefix: &str, policies: &[&Path]) -> (Value, String) {
    // The paths agaudit is given carry canaries too (leak9021canary and on): the case, the key
    // and the bundle are named by secrets, as a careless user might name them.
    let case = dir.join("case-AKIALEAK9021CANARYQQ");
    let c = case.to_str().unwrap();
    let mut outputs: Vec<Output> = Vec::new();
    let mut run = |args: &[&str]| {
        let o = agaudit(args);
        assert_ne!(o.status.code(), Some(101), "{args:?} panicked");
        outputs.push(o);
        outputs.last().unwrap().clone()
    };
    let labels = ["--label", "server=prod-postgres", "--label", "mcp_server=reporting"];
    let paths: Vec<&str> = inputs.iter().map(|p| p.to_str().unwrap()).collect();
    let mut ingest = vec!["ingest", "--case", c, "--pg-prefix", prefix, "--json"];
    ingest.extend(labels);
    ingest.extend(&paths);
    let o = run(&ingest);
    let report: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "ingest --json printed no JSON ({e}): {}",
            String::from_utf8_lossy(&o.stderr)
        )
    });
    // The same input again, as a table (a second case, so nothing is deduplicated away).
    let case2 = dir.join("case2");
    let mut ingest = vec!["ingest", "--case", case2.to_str().unwrap(), "--pg-prefix", prefix];
    ingest.extend(labels);
    ingest.extend(&paths);
    run(&ingest);
    for p in policies {
        run(&["policy", "check", p.to_str().unwrap()]);
    }
    let policy = policies[0].to_str().unwrap();
    for json in [false, true] {
        let j = |mut v: Vec<&'static str>| {
            if json {
                v.push("--json");
            }
            v
        };
        let mut a = j(vec!["correlate", "--policy"]);
        a.extend([policy, "--case", c]);
        run(&a);
        for cmd in ["diff", "map", "inventory", "log"] {
            let mut a = j(vec![cmd]);
            a.extend(["--case", c]);
            run(&a);
        }
    }
    // The timeline exports, every format.
    for format in ["timesketch", "ocsf", "jsonl", "csv"] {
        run(&["timeline", "--case", c, "--format", format]);
    }
    let key = dir.join("key-xoxb-leak9022canary-0000");
    run(&["keygen", "--out", key.to_str().unwrap(), "--no-password"]);
    let bundle = dir.join("bundle-ghp_Leak9023CanaryQQQQQQQQQQQQQQQQQQQQQQ.tar");
    let (k, b, p) = (key.with_extension("key"), bundle.clone(), key.with_extension("pub"));
    run(&[
        "export",
        "--case",
        c,
        "--key",
        k.to_str().unwrap(),
        "--out",
        b.to_str().unwrap(),
    ]);
    run(&["verify", b.to_str().unwrap(), "--pubkey", p.to_str().unwrap()]);
    run(&["verify", b.to_str().unwrap(), "--pubkey", p.to_str().unwrap(), "--json"]);
    assert!(bundle.is_file(), "the export ran");
    // Signed checkpoints, the log checked against them, and an inclusion proof of one action.
    run(&["checkpoint", "--case", c, "--key", k.to_str().unwrap()]);
    run(&["log", "--case", c, "--pubkey", p.to_str().unwrap()]);
    let ledger = fs::read_to_string(case.join("ledger/ledger.log")).unwrap();
    let action = ledger
        .lines()
        .find_map(|l| l.split(' ').find_map(|f| f.strip_prefix("action=")))
        .expect("an action record")
        .to_string();
    let proof = dir.join("proof-sk_live_Leak9024Canary0000.txt");
    run(&[
        "prove",
        "--case",
        c,
        "--action",
        &action,
        "--out",
        proof.to_str().unwrap(),
    ]);
    run(&["verify", proof.to_str().unwrap(), "--pubkey", p.to_str().unwrap()]);
    run(&[
        "verify",
        proof.to_str().unwrap(),
        "--pubkey",
        p.to_str().unwrap(),
        "--json",
    ]);
    assert!(proof.is_file(), "the proof was written");

    // The bundle's members, unpacked (Parquet is read back decompressed below).
    let unpacked = dir.join("unpacked");
    fs::create_dir(&unpacked).unwrap();
    let tar = std::process::Command::new("tar")
        .arg("-xf")
        .arg(&bundle)
        .arg("-C")
        .arg(&unpacked)
        .status()
        .unwrap();
    assert!(tar.success());

    let refs: Vec<&Output> = outputs.iter().collect();
    let mut written = everything_written(&case, &refs);
    written.push_str(&everything_written(&case2, &[]));
    written.push_str(&everything_written(&unpacked, &[]));
    written.push_str(&fs::read_to_string(&proof).unwrap());
    assert!(written.contains("[REDACTED:"), "the outputs were read");
    (report, written)
}

/// The text around `needle`'s first occurrence in `haystack`, for a failure message.
pub(super) fn around<'a>(haystack: &'a str, needle: &str) -> Option<&'a str> {
    let i = haystack.find(needle)?;
    let (mut a, mut b) = (i.saturating_sub(200), (i + needle.len() + 100).min(haystack.len()));
    while !haystack.is_char_boundary(a) {
        a -= 1;
    }
    while !haystack.is_char_boundary(b) {
        b += 1;
    }
    Some(&haystack[a..b])
}

#[test]
fn no_planted_secret_of_any_rule_reaches_any_output() {
    let dir = tempfile::TempDir::new().unwrap();
    let inputs = dir.path().join("inputs");
    fs::create_dir(&inputs).unwrap();
    let (traces, logs) = otlp();
    fs::write(inputs.join("postgresql.log"), pgaudit_log()).unwrap();
    fs::write(inputs.join("traces.jsonl"), traces).unwrap();
    fs::write(inputs.join("logs.jsonl"), logs).unwrap();
    fs::write(inputs.join("tools-list.json"), tools_list()).unwrap();
    fs::write(inputs.join("leaky.cap"), capture_file()).unwrap();
    let (policy, broken) = policies(dir.path());
    let raw: String = [
        "postgresql.log",
        "traces.jsonl",
        "logs.jsonl",
        "tools-list.json",
        "leaky.cap",
    ]
    .iter()
    .map(|f| String::from_utf8_lossy(&fs::read(inputs.join(f)).unwrap()).into_owned())
    .collect();
    for (rule, _, secret) in PLANTS {
        assert!(raw.contains(secret), "{rule}: the corpus must carry its secret");
    }

    let (report, written) = run_every_command(dir.path(), &[&inputs], PREFIX, &[&policy, &broken]);
    for f in report["files"].as_array().unwrap() {
        assert_eq!(f["status"], "ingested", "{f}");
    }
    let redacted = &report["totals"]["redactions"];
    for (rule, _, _) in PLANTS {
        assert!(
            redacted[rule].as_u64().unwrap_or(0) > 0,
            "rule {rule} was exercised: {redacted}"
        );
    }
    for (rule, _, secret) in PLANTS {
        let at = around(&written, secret);
        assert!(at.is_none(), "{rule}: '{secret}' leaked into an output: …{at:?}…");
    }
}

//! PostgreSQL logs as real estates keep them (fixtures/estates/, scripts/fixtures/estates.py):
//! RDS/Aurora files and CloudWatch's shapes, syslog through rsyslog, Heroku's logplex, Cloud SQL
//! through Cloud Logging, Azure resource logs, CloudNativePG's JSON, a server in Asia/Shanghai.
//! Each file is ingested without --pg-prefix (the prefix is inferred) and must give exactly the
//! rows its server's workload declared (expected/<variant>.json), less what the format does not
//! carry, as manifest.json says — both written by the generator, never from agaudit's output.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{KEY_COLUMNS, agaudit, balanced_lines, key_of_expected, key_of_row, root, sorted, table_rows};

/// The estates fixture set: the committed one, or a live run's (AGAUDIT_ESTATES_FIXTURES).
fn dir() -> PathBuf {
    match std::env::var_os("AGAUDIT_ESTATES_FIXTURES") {
        Some(d) => PathBuf::from(d),
        None => root().join("fixtures/estates"),
    }
}

fn manifest() -> Vec<Value> {
    let m: Value = serde_json::from_slice(&fs::read(dir().join("manifest.json")).unwrap()).unwrap();
    m["files"].as_array().unwrap().clone()
}

fn expected(variant: &str) -> Value {
    serde_json::from_slice(&fs::read(dir().join(format!("expected/{variant}.json"))).unwrap()).unwrap()
}

fn ingest(case: &Path, paths: &[PathBuf], extra: &[&str]) -> (Value, std::process::Output) {
    let mut args = vec!["ingest", "--case", case.to_str().unwrap(), "--json"];
    args.extend_from_slice(extra);
    args.extend(paths.iter().map(|p| p.to_str().unwrap()));
    let out = agaudit(&args);
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (json, out)
}

/// The rows a file must give: its server's declared rows that survive the format (`keep`), with
/// the columns it does not carry set to null (agent and session come from application_name).
fn want_rows(entry: &Value) -> Vec<Vec<Option<String>>> {
    let exp = expected(entry["variant"].as_str().unwrap());
    let carries: Vec<&str> = entry["carries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let keep = entry["keep"].as_str().unwrap();
    let rows = exp["rows"].as_array().unwrap().iter().filter(|r| match keep {
        "all" => true,
        "ok" => r["outcome"] == "ok",
        "not_ok" => r["outcome"] != "ok",
        other => panic!("manifest: unknown keep {other}"),
    });
    let nulled = |col: &str| {
        let carried = match col {
            "agent" | "session" => "application_name",
            c => c,
        };
        ["db_user", "database", "application_name", "sqlstate"].contains(&carried) && !carries.contains(&carried)
    };
    sorted(
        rows.map(|r| {
            key_of_expected(r)
                .into_iter()
                .zip(KEY_COLUMNS)
                .map(|(v, c)| if nulled(c) { None } else { v })
                .collect()
        })
        .collect(),
    )
}

#[test]
fn every_estate_format_gives_exactly_the_rows_its_workload_declared() {
    for entry in manifest() {
        let file = dir().join(entry["file"].as_str().unwrap());
        let name = entry["file"].as_str().unwrap();
        let case = tempfile::tempdir().unwrap();
        let extra: Vec<String> = entry["log_timezone"]
            .as_str()
            .map(|z| vec!["--log-timezone".to_string(), z.to_string()])
            .unwrap_or_default();
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        let (json, out) = ingest(case.path(), std::slice::from_ref(&file), &extra);
        let f = &json["files"][0];
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(f["kind"], entry["kind"], "{name}: kind");
        assert_eq!(f["status"], "ingested", "{name}");
        assert_eq!(f["counts"]["quarantined_lines"], 0, "{name}: nothing quarantined");
        let bytes = fs::read(&file).unwrap();
        if entry["compression"].is_null() {
            let lines = bytes.split(|b| *b == b'\n').count() as u64 - u64::from(bytes.ends_with(b"\n"));
            assert_eq!(balanced_lines(&f["counts"]), lines, "{name}: every line accounted for");
        } else {
            balanced_lines(&f["counts"]);
            assert_eq!(f["compression"], entry["compression"], "{name}");
        }
        if let Some(prefix) = entry["prefix"].as_str() {
            // Cloud SQL's pgAudit entries carry no server text, so no prefix is needed.
            // A %q the lines do not show either way reads the same (it only cuts the prefix of
            // processes without a session).
            let used = &f["pg_prefix"];
            let setting = used["setting"].as_str().unwrap().replace("%q", "");
            assert!(
                setting == prefix.replace("%q", "") || used["how"].as_str().unwrap().starts_with("none needed"),
                "{name}: inferred {used}, the server ran with '{prefix}'"
            );
            assert!(
                used["how"].as_str().unwrap().starts_with("inferred") || used["setting"] == "",
                "{name}: {used}"
            );
        }
        let got = table_rows(case.path(), "db_events");
        assert_eq!(
            sorted(got.iter().map(key_of_row).collect()),
            want_rows(&entry),
            "{name}: rows differ from the workload's"
        );
        // Times are instants in the run's window: a misread zone would be hours off.
        let exp = expected(entry["variant"].as_str().unwrap());
        let window = exp["window_us"].as_array().unwrap();
        let (from, to) = (window[0].as_i64().unwrap(), window[1].as_i64().unwrap());
        for r in &got {
            let ts: i64 = r["ts"]
                .as_deref()
                .unwrap_or_else(|| panic!("{name}: a row without a time"))
                .parse()
                .unwrap();
            assert!(
                from <= ts && ts <= to,
                "{name}: row time {ts} outside the run [{from}, {to}]"
            );
        }
        if entry["carries"].as_array().unwrap().iter().any(|c| c == "client_addr") {
            let rows = exp["rows"].as_array().unwrap();
            let want = sorted(
                rows.iter()
                    .map(|r| {
                        if r["transport"] == "tcp" {
                            "127.0.0.1"
                        } else {
                            "[local]"
                        }
                        .to_string()
                    })
                    .collect::<Vec<_>>(),
            );
            let got = sorted(
                got.iter()
                    .map(|r| r["client_addr"].clone().unwrap_or_default())
                    .collect::<Vec<_>>(),
            );
            assert_eq!(got, want, "{name}: client addresses");
        }
    }
}

#[test]
fn a_mixed_directory_of_every_estate_needs_only_the_time_zone() {
    let logs = dir().join("logs");
    let total: usize = manifest().iter().map(|e| want_rows(e).len()).sum();
    // Without --log-timezone the server that prints CST is held, the rest ingested: exit 2.
    let case = tempfile::tempdir().unwrap();
    let (json, out) = ingest(case.path(), std::slice::from_ref(&logs), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let held: Vec<&Value> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "held")
        .collect();
    assert_eq!(held.len(), 1, "{json}");
    let message = held[0]["message"].as_str().unwrap();
    assert!(
        message.contains("'CST'") && message.contains("--log-timezone"),
        "{message}"
    );
    assert!(
        stderr.contains("shanghai") && stderr.contains("--log-timezone"),
        "{stderr}"
    );
    assert_eq!(
        table_rows(case.path(), "db_events")
            .iter()
            .filter(|r| r["source_file"].as_deref().unwrap().contains("shanghai"))
            .count(),
        0
    );
    // The same directory again with the zone: the held file is read now, the rest are known.
    let (json, out) = ingest(case.path(), &[logs], &["--log-timezone", "Asia/Shanghai"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json["totals"]["ingested"], 1, "{json}");
    assert_eq!(table_rows(case.path(), "db_events").len(), total);
    let manifest: Value = serde_json::from_slice(&fs::read(case.path().join("ingest.json")).unwrap()).unwrap();
    let by_kind: BTreeMap<&str, usize> =
        manifest["files"]
            .as_array()
            .unwrap()
            .iter()
            .fold(BTreeMap::new(), |mut m, f| {
                *m.entry(f["kind"].as_str().unwrap()).or_insert(0) += 1;
                m
            });
    for kind in [
        "pg_stderr",
        "pg_syslog",
        "pg_heroku",
        "pg_cloudwatch",
        "pg_cloudwatch_export",
        "pg_cloudnativepg",
        "pg_cloud_logging",
        "pg_azure",
    ] {
        assert!(by_kind.contains_key(kind), "{kind} in {by_kind:?}");
    }
    let shanghai = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().contains("shanghai"))
        .unwrap();
    assert_eq!(shanghai["log_timezone"], "Asia/Shanghai");
    assert!(
        shanghai["pg_prefix_how"].as_str().unwrap().contains("Debian"),
        "{shanghai}"
    );
}

#[test]
fn the_servers_the_envelopes_name_become_the_server_column() {
    let case = tempfile::tempdir().unwrap();
    let files = [
        "logs/cloudsql/data_access.json",
        "logs/azure/PT1H.json",
        "logs/cloudnativepg/pg-fixtures-1.jsonl",
        "logs/rds/cloudwatch/events.jsonl",
    ]
    .map(|f| dir().join(f));
    let (_, out) = ingest(case.path(), &files, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let servers: BTreeMap<String, String> = table_rows(case.path(), "db_events")
        .into_iter()
        .map(|r| {
            let file = Path::new(r["source_file"].as_deref().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (file, r["server"].clone().unwrap_or_default())
        })
        .collect();
    assert_eq!(servers["data_access.json"], "agaudit-fixtures:pg-main");
    assert_eq!(servers["PT1H.json"], "pg-main");
    assert_eq!(servers["pg-fixtures-1.jsonl"], "pg-fixtures");
    assert_eq!(servers["events.jsonl"], "agaudit-rds");
    // A label given at ingest wins over what the envelope says.
    let case = tempfile::tempdir().unwrap();
    let (_, out) = ingest(case.path(), &files[..1], &["--label", "server=prod-postgres"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        table_rows(case.path(), "db_events")
            .iter()
            .all(|r| r["server"].as_deref() == Some("prod-postgres"))
    );
}

//! The JSON contracts: every `--json` output and every JSON file agaudit writes validates
//! against its schema in schemas/, checked with the jsonschema package (an independent
//! validator), on the demo's case.

use std::path::Path;
use std::process::Command;

use super::bundle::verifier_binary;
use super::root;
use super::util::{Agaudit, text};

fn json_of(args: &[&str], case: &Path) -> (Vec<u8>, Option<i32>) {
    let o = Agaudit::new().args(args).case(case).run();
    assert!(matches!(o.status.code(), Some(0 | 1)), "{args:?}: {}", text(&o));
    (o.stdout, o.status.code())
}

/// Reads `SCHEMA<TAB>DOCUMENT` lines; prints each document that does not validate.
const VALIDATE: &str = r#"
import json, sys, jsonschema
bad = 0
for line in sys.stdin:
    schema, doc = line.rstrip("\n").split("\t")
    try:
        jsonschema.validate(json.load(open(doc)), json.load(open(schema)))
    except Exception as e:
        bad += 1
        print(schema, doc, str(e)[:600])
sys.exit(1 if bad else 0)
"#;

#[test]
fn every_json_output_and_file_follows_its_schema() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    Agaudit::new().args(["demo", "--case"]).arg(&demo).expect(0);
    let case = demo.join("case");
    let fresh = dir.path().join("fresh");
    // (schema, document) pairs; JSON Lines outputs give one document per line.
    let mut docs: Vec<(&str, Vec<u8>)> = Vec::new();
    let o = Agaudit::new()
        .args(["ingest", "--json", "--label", "server=prod-postgres"])
        .case(&fresh)
        .arg(demo.join("demo-input"))
        .run();
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", text(&o));
    docs.push(("ingest-summary.schema.json", o.stdout));
    docs.push(("ingest.schema.json", std::fs::read(case.join("ingest.json")).unwrap()));
    docs.push(("ingest.schema.json", std::fs::read(fresh.join("ingest.json")).unwrap()));
    let policy = demo.join("demo-policy.hcl");
    let policy = policy.to_str().unwrap();
    docs.push((
        "correlate-summary.schema.json",
        json_of(&["correlate", "--json", "--policy", policy], &case).0,
    ));
    let correlated = std::fs::read(case.join("correlated.json")).unwrap();
    let state: serde_json::Value = serde_json::from_slice(&correlated).unwrap();
    docs.push(("correlated.schema.json", correlated));
    docs.push((
        "correlate-summary.schema.json",
        state["summary"].to_string().into_bytes(),
    ));
    docs.push(("diff.schema.json", json_of(&["diff", "--json"], &case).0));
    docs.push(("map.schema.json", json_of(&["map", "--json"], &case).0));
    docs.push(("inventory.schema.json", json_of(&["inventory", "--json"], &case).0));
    let (log, _) = json_of(&["log", "--json"], &case);
    let lines: Vec<&[u8]> = log.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
    assert!(lines.len() > 100, "the demo's ledger");
    docs.extend(lines.iter().map(|l| ("log.schema.json", l.to_vec())));
    let bundle = demo.join("bundle.tar");
    let pubkey = demo.join("demo-key.pub");
    let o = Agaudit::new()
        .arg("verify")
        .arg(&bundle)
        .arg("--pubkey")
        .arg(&pubkey)
        .arg("--json")
        .expect(0);
    docs.push(("verify.schema.json", o.stdout));
    let o = Command::new(verifier_binary())
        .arg(&bundle)
        .arg("--pubkey")
        .arg(&pubkey)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    docs.push(("verify.schema.json", o.stdout));

    // Every schema in schemas/ that describes a JSON output or file is exercised.
    let used: std::collections::BTreeSet<&str> = docs.iter().map(|(s, _)| *s).collect();
    for entry in std::fs::read_dir(root().join("schemas")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".schema.json") {
            assert!(used.contains(name.as_str()), "{name} is not exercised by this test");
        }
    }
    let work = tempfile::tempdir().unwrap();
    let mut list = String::new();
    for (i, (schema, doc)) in docs.iter().enumerate() {
        let path = work.path().join(format!("{i}.json"));
        std::fs::write(&path, doc).unwrap();
        list.push_str(&format!(
            "{}\t{}\n",
            root().join("schemas").join(schema).display(),
            path.display()
        ));
    }
    let o = Command::new("python3")
        .args(["-c", VALIDATE])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(list.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    // Typed values: log's counts are numbers.
    let first: serde_json::Value = serde_json::from_slice(lines[0]).unwrap();
    assert!(first["seq"].is_u64(), "{first}");
}

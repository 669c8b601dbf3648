//! Filters as an investigator types them: times compared as instants in any form, vocabularies
//! checked, names the case does not hold refused with the ones meant, and policies a view
//! cannot use refused. Expected values come from the ledger's own records, read with chrono
//! (not agaudit's time code).

use std::path::Path;

use chrono::{DateTime, Timelike, Utc};
use serde_json::Value;

use super::diff::{at_root as run, readme_case};
use super::util::text;

fn records(case: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["log", "--case", case.to_str().unwrap(), "--json"];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{extra:?}: {}", text(&o));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn instant(r: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(r["ts"].as_str().unwrap())
        .unwrap()
        .to_utc()
}

fn refused(case: &Path, args: &[&str]) -> String {
    let mut all = vec![args[0], "--case", case.to_str().unwrap()];
    all.extend_from_slice(&args[1..]);
    let o = run(&all);
    assert_eq!(o.status.code(), Some(2), "{args:?} must be refused: {}", text(&o));
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn time_filters_compare_instants_in_any_form_and_refuse_what_they_cannot_read() {
    let dir = readme_case();
    let case = dir.path().to_path_buf();
    let actions = records(&case, &["--kind", "action"]);
    // A record with a fraction of a second: its whole second, as --since, must include it.
    let r = actions
        .iter()
        .find(|r| instant(r).timestamp_subsec_micros() != 0)
        .expect("an action with a fraction of a second");
    let t = instant(r);
    let second = t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let want = actions
        .iter()
        .filter(|a| instant(a) >= t.with_nanosecond(0).unwrap())
        .count();
    let since = records(&case, &["--kind", "action", "--since", &second]);
    assert_eq!(since.len(), want, "--since {second} keeps {}", r["ts"]);
    assert!(since.iter().any(|a| a["ts"] == r["ts"]));
    // The same instant with an offset, and --until (exclusive) taking the rest.
    let offset = t
        .with_nanosecond(0)
        .unwrap()
        .with_timezone(&chrono::FixedOffset::east_opt(3600 + 1800).unwrap())
        .to_rfc3339();
    assert_eq!(
        records(&case, &["--kind", "action", "--since", &offset]).len(),
        want,
        "{offset}"
    );
    let until = records(&case, &["--kind", "action", "--until", &offset]);
    assert_eq!(until.len(), actions.len() - want);
    // A plain date is that day from 00:00 UTC; a duration counts back from now.
    let day = t.format("%Y-%m-%d").to_string();
    let from_day = actions
        .iter()
        .filter(|a| instant(a).format("%Y-%m-%d").to_string() >= day)
        .count();
    assert_eq!(records(&case, &["--kind", "action", "--since", &day]).len(), from_day);
    assert_eq!(
        records(&case, &["--kind", "action", "--since", "100000d"]).len(),
        actions.len()
    );
    assert_eq!(records(&case, &["--kind", "action", "--until", "100000d"]).len(), 0);
    // What is not a time is refused, with the forms that are; export signs nothing.
    for bad in ["yesterday", "2026-13-45", "2026-06-08T10:00:00", "garbage"] {
        let e = refused(&case, &["log", "--since", bad]);
        assert!(e.contains("24h") && e.contains(bad), "{bad}: {e}");
    }
    let keys = tempfile::tempdir().unwrap();
    let out = keys.path().join("bundle.tar");
    let key = keys.path().join("key");
    run(&["keygen", "--out", key.to_str().unwrap(), "--no-password"]);
    let e = refused(
        &case,
        &[
            "export",
            "--key",
            keys.path().join("key.key").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--since",
            "garbage",
        ],
    );
    assert!(e.contains("garbage") && !out.exists(), "{e}");
}

#[test]
fn vocabulary_filters_take_their_values_in_any_case_and_refuse_others() {
    let dir = readme_case();
    let case = dir.path().to_path_buf();
    let all = records(&case, &[]);
    let count = |key: &str, value: &str| all.iter().filter(|r| r[key] == value).count();
    assert!(count("outcome", "DENY") > 0);
    assert_eq!(records(&case, &["--outcome", "deny"]).len(), count("outcome", "DENY"));
    assert_eq!(records(&case, &["--outcome", "DENY"]).len(), count("outcome", "DENY"));
    assert_eq!(records(&case, &["--kind", "Action"]).len(), count("kind", "action"));
    for (flag, value) in [("--verdict", "violation_allowed"), ("--conf", "attributed")] {
        assert!(count(&flag[2..], value) > 0);
        assert_eq!(records(&case, &[flag, value]).len(), count(&flag[2..], value), "{flag}");
    }
    let e = refused(&case, &["log", "--kind", "actions"]);
    assert!(e.contains("'action'"), "{e}");
    let e = refused(&case, &["log", "--verdict", "violation"]);
    assert!(e.contains("violation_allowed"), "the values are listed: {e}");
}

#[test]
fn a_name_the_case_does_not_hold_is_refused_with_the_names_meant() {
    let dir = readme_case();
    let case = dir.path().to_path_buf();
    let views = || records(&case, &["--kind", "view"]).len();
    let before = views();
    let e = refused(&case, &["log", "--agent", "reportng-assistant"]);
    assert!(e.contains("did you mean reporting-assistant?"), "{e}");
    let e = refused(&case, &["map", "--agent", "reportng-assistant"]);
    assert!(e.contains("did you mean reporting-assistant?"), "{e}");
    let e = refused(&case, &["log", "--resource", "prod-postgres/nosuch.table"]);
    assert!(e.contains("covers no resource"), "{e}");
    // Each refusal was recorded as a view before its hint showed the case's names (the first
    // `views()` call was recorded too).
    assert_eq!(views(), before + 4);
    // A glob that matches, or an agent filtered to nothing by time, is an answer, not an error.
    assert!(!records(&case, &["--agent", "report*"]).is_empty());
    assert!(records(&case, &["--agent", "reporting-assistant", "--until", "100000d"]).is_empty());
}

#[test]
fn views_refuse_a_policy_that_policy_check_rejects() {
    let dir = readme_case();
    let case = dir.path().to_path_buf();
    let policies = tempfile::tempdir().unwrap();
    let bad = policies.path().join("typo.hcl");
    std::fs::write(
        &bad,
        "agent \"x\" {\n  resource \"db/*\" { acess = \"read\" }\n}\nagnet \"y\" {}\n",
    )
    .unwrap();
    for view in ["map", "inventory"] {
        let e = refused(&case, &[view, "--policy", bad.to_str().unwrap()]);
        assert!(
            e.contains("did you mean `access`?") && e.contains("did you mean `agent`?"),
            "{view}: {e}"
        );
        let e = refused(&case, &[view, "--policy", "README.md"]);
        assert!(e.contains("README.md has 1 error(s)"), "{view}: {e}");
    }
}

//! Cases as evidence: a case on a read-only mount can be viewed, and `--no-record` views any
//! case, without a byte of it changing; the output says the view was not recorded, and the
//! exit code and the findings are those of a recorded view.

use std::path::Path;

use super::diff::readme_case;
use super::util::{Agaudit, text};

/// Every file of the case, with its bytes.
fn snapshot(case: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in super::walk(case) {
        out.push((entry.display().to_string(), std::fs::read(&entry).unwrap()));
    }
    out.sort();
    out
}

/// agaudit in a private mount namespace where `case` is bind-mounted read-only onto itself.
fn read_only(case: &Path) -> Agaudit {
    let script = r#"mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@""#;
    Agaudit::under("unshare", &["--mount", "sh", "-c", script, case.to_str().unwrap()]).at_root()
}

#[test]
fn a_read_only_case_is_viewed_unrecorded_with_the_same_answers() {
    let dir = readme_case();
    let case = dir.path();
    let c = case.to_str().unwrap();
    // What a recorded view answers, on a writable copy.
    let copy = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("cp")
        .args(["-a", &format!("{c}/."), copy.path().to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    let recorded = |args: &[&str]| Agaudit::new().args(args).case(copy.path()).at_root().run();
    let before = snapshot(case);
    for view in [
        vec!["log", "--kind", "action", "--json"],
        vec!["diff", "--json"],
        vec!["map", "--json"],
        vec!["inventory", "--json"],
    ] {
        let ro = read_only(case).args(&view).case(case).run();
        let rw = recorded(&view);
        assert_eq!(ro.status.code(), rw.status.code(), "{view:?}: {}", text(&ro));
        let stderr = String::from_utf8_lossy(&ro.stderr);
        assert!(
            stderr.contains("this view is not recorded in the case's ledger: the case cannot be written"),
            "{view:?}: {stderr}"
        );
        let answer = |o: &std::process::Output| -> String {
            let s = String::from_utf8_lossy(&o.stdout).into_owned();
            // diff's count of records it appended is the one thing a recorded view adds.
            s.lines()
                .filter(|l| !l.contains("\"ledger_appended\""))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert!(!ro.stdout.is_empty(), "{view:?}");
        if view[0] != "log" {
            assert_eq!(answer(&ro), answer(&rw), "{view:?}");
        }
    }
    assert!(snapshot(case) == before, "the read-only case is unchanged");
    // --no-record on a writable case: the same note, no change either.
    let o = Agaudit::new().args(["diff", "--no-record"]).case(case).at_root().run();
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("not recorded in the case's ledger: --no-record was given"),
        "{}",
        text(&o)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("finding(s)"));
    assert!(snapshot(case) == before, "--no-record changes nothing");
}

/// The case keeps the policy it was judged with: views work from another directory and on a
/// copy of the case, without the original file; a kept copy altered afterwards is refused.
#[test]
fn the_policy_in_force_is_kept_in_the_case() {
    let dir = readme_case();
    let case = dir.path();
    let at_root = Agaudit::new()
        .args(["map", "--json", "--no-record"])
        .case(case)
        .at_root()
        .expect(0);
    let copy = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("cp")
        .args(["-a", &format!("{}/.", case.display()), copy.path().to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    // From elsewhere, where the recorded relative path names nothing.
    let elsewhere = tempfile::tempdir().unwrap();
    let mut map = std::process::Command::new(env!("CARGO_BIN_EXE_agaudit"));
    map.args(["map", "--json", "--no-record", "--case", copy.path().to_str().unwrap()])
        .current_dir(elsewhere.path());
    let o = map.output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(o.stdout, at_root.stdout, "the same map from the kept policy");
    let kept: Vec<_> = std::fs::read_dir(copy.path().join("policies"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let text_kept = std::fs::read_to_string(&kept[0]).unwrap();
    let original = std::fs::read_to_string(super::root().join("fixtures/policy/agents.hcl")).unwrap_or_default();
    assert!(
        original.contains('#') && !text_kept.contains('#'),
        "comments are not kept"
    );
    // An insider edits the kept copy: evidence that does not verify (exit 1), naming it.
    std::fs::write(&kept[0], text_kept.replace("\"read\"", "\"readwrite\"")).unwrap();
    let o = map.output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("the kept policy was altered"),
        "{}",
        text(&o)
    );
}

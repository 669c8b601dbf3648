//! One writer: correlate, diff, map, inventory, log and export run side by side on one case,
//! round after round, and the ledger always verifies. Each command that appends takes the case
//! lock (a second one waits for it), so no append is made from a stale head.

use std::path::Path;
use std::process::{Command, Output};

use super::correlate::{correlated_case, policy};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_agaudit"))
        .args(args)
        .env_remove("AGAUDIT_CASE")
        .output()
        .unwrap()
}

#[test]
fn concurrent_writers_never_break_the_chain() {
    let (case, _, _) = correlated_case();
    let c = case.path().to_str().unwrap();
    let keys = tempfile::tempdir().unwrap();
    let prefix = keys.path().join("k");
    let o = run(&["keygen", "--out", prefix.to_str().unwrap(), "--no-password"]);
    assert_eq!(o.status.code(), Some(0));
    let key = keys.path().join("k.key");
    let policy = policy();
    for round in 0..6 {
        let out = keys.path().join(format!("round-{round}.tar"));
        let jobs: Vec<Vec<String>> = vec![
            vec!["correlate", "--case", c, "--policy", policy.to_str().unwrap(), "--json"],
            vec!["diff", "--case", c, "--json"],
            vec!["map", "--case", c, "--json"],
            vec!["inventory", "--case", c, "--json"],
            vec!["log", "--case", c, "--json"],
            vec![
                "export",
                "--case",
                c,
                "--key",
                key.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
        ]
        .into_iter()
        .map(|a| a.into_iter().map(str::to_string).collect())
        .collect();
        let outputs: Vec<(String, Output)> = std::thread::scope(|s| {
            let handles: Vec<_> = jobs
                .iter()
                .map(|args| {
                    s.spawn(move || {
                        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
                        (args.join(" "), run(&refs))
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (cmd, o) in &outputs {
            let err = String::from_utf8_lossy(&o.stderr);
            // 0 or 1 (violations, findings); never an error, never a tamper alarm.
            assert!(matches!(o.status.code(), Some(0 | 1)), "round {round}: {cmd}: {err}");
            assert!(!err.contains("does not verify"), "round {round}: {cmd}: {err}");
        }
        assert!(Path::new(&out).exists(), "round {round}: the export was written");
    }
    let o = run(&["log", "--case", c]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("chain verified from genesis"), "{text}");
    // Every look is on record: 6 rounds of diff, map, inventory and log.
    let o = run(&["log", "--case", c, "--kind", "view", "--json"]);
    let views = String::from_utf8_lossy(&o.stdout).lines().count();
    assert!(views >= 24, "{views} view records");
}

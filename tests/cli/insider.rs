//! An insider who can write the case directory but does not hold the signing key: each attack
//! of issue 18 performed as they would, and caught and located. The consistent rewrite uses
//! tests/interop/rewrite_ledger_by_hand.py, written from docs/ledger.md alone; signed
//! checkpoints are also checked by tests/interop/verify_tree_by_hand.py and Debian's minisign.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::correlate::{correlated_case, policy};
use super::root;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_agaudit"))
        .args(args)
        .env_remove("AGAUDIT_CASE")
        .env_remove("AGAUDIT_KEY")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn python(script: &str, args: &[&str]) -> Output {
    Command::new("python3")
        .arg(root().join("tests/interop").join(script))
        .args(args)
        .output()
        .unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// A private copy of the correlated case in a fresh directory, and a key pair `name` there.
fn case_and_key(name: &str) -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let (shared, _, _) = correlated_case();
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    copy_dir(shared.path(), &case);
    let (key, public) = keygen(dir.path(), name);
    (dir, case, key, public)
}

/// `agaudit keygen` without a password: the secret and public key files.
fn keygen(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let o = run(&["keygen", "--out", dir.join(name).to_str().unwrap(), "--no-password"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    (dir.join(format!("{name}.key")), dir.join(format!("{name}.pub")))
}

/// The record numbers of the ledger's records of `kind`.
fn seqs_of(case: &Path, kind: &str) -> Vec<u64> {
    fs::read_to_string(case.join("ledger/ledger.log"))
        .unwrap()
        .lines()
        .filter(|l| l.contains(&format!(" kind={kind} ")))
        .map(|l| l[4..l.find(' ').unwrap()].parse().unwrap())
        .collect()
}

#[test]
fn a_consistent_rewrite_is_caught_by_signed_checkpoints_and_located_between_them() {
    let (dir, case, key, public) = case_and_key("owner");
    let c = case.to_str().unwrap();
    let (k, p) = (key.to_str().unwrap(), public.to_str().unwrap());

    // Checkpoint A after correlate; then diff grows the ledger and signs checkpoint B.
    let a = run(&["checkpoint", "--case", c, "--key", k]);
    assert_eq!(a.status.code(), Some(0), "{}", text(&a));
    let again = run(&["checkpoint", "--case", c, "--key", k]);
    assert!(
        text(&again).contains("nothing signed"),
        "an unchanged ledger is not signed again"
    );
    let d = run(&["diff", "--case", c, "--fail-on", "none", "--key", k]);
    assert_eq!(d.status.code(), Some(0), "{}", text(&d));
    let signed: Vec<_> = fs::read_dir(case.join("checkpoints"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    assert_eq!(signed.len(), 2, "{signed:?}");
    // The auditor's copies, outside the insider's reach; each checks with minisign and by hand.
    let vault = dir.path().join("worm");
    copy_dir(&case.join("checkpoints"), &vault);
    let mut copies: Vec<_> = fs::read_dir(&vault)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    copies.sort();
    for copy in &copies {
        let m = Command::new("minisign")
            .args(["-Vm", copy.to_str().unwrap(), "-p", p])
            .output()
            .unwrap();
        assert!(m.status.success(), "minisign: {}", text(&m));
        let by_hand = python(
            "verify_tree_by_hand.py",
            &[
                "checkpoint",
                case.join("ledger/ledger.log").to_str().unwrap(),
                copy.to_str().unwrap(),
                p,
            ],
        );
        assert!(by_hand.status.success(), "{}", text(&by_hand));
    }
    let size = |p: &Path| -> u64 { p.file_stem().unwrap().to_str().unwrap().parse().unwrap() };
    let (size_a, size_b) = (size(&copies[0]), size(&copies[1]));
    let log_checked = |extra: &[&str]| {
        let mut args = vec!["log", "--case", c, "--pubkey", p];
        for copy in &copies {
            args.extend(["--checkpoint", copy.to_str().unwrap()]);
        }
        args.extend_from_slice(extra);
        run(&args)
    };
    let ok = log_checked(&[]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    assert!(text(&ok).contains("matches 4 signed checkpoint(s)"), "{}", text(&ok));

    // The rewrite: a finding diff recorded between A and B gets another severity; every later
    // hash and the head are recomputed from the published algorithm.
    let target = *seqs_of(&case, "finding")
        .iter()
        .find(|&&s| s > size_a && s <= size_b)
        .unwrap();
    let w = python(
        "rewrite_ledger_by_hand.py",
        &[c, &target.to_string(), "severity", "low"],
    );
    assert!(w.status.success(), "{}", text(&w));
    // The chain alone cannot tell: with the case's checkpoints gone, log verifies...
    fs::remove_dir_all(case.join("checkpoints")).unwrap();
    let blind = run(&["log", "--case", c]);
    assert_eq!(blind.status.code(), Some(0), "{}", text(&blind));
    // ...the auditor's signed copies contradict it, between A and B.
    let caught = log_checked(&[]);
    assert_eq!(caught.status.code(), Some(1), "{}", text(&caught));
    let t = text(&caught);
    assert!(
        t.contains(&format!("first altered record is one of {}..{size_b}", size_a + 1)),
        "{t}"
    );
    let by_hand = python(
        "verify_tree_by_hand.py",
        &[
            "checkpoint",
            case.join("ledger/ledger.log").to_str().unwrap(),
            copies[1].to_str().unwrap(),
            p,
        ],
    );
    assert!(
        !by_hand.status.success(),
        "the by-hand check agrees: {}",
        text(&by_hand)
    );

    // Left in the case, the signed checkpoints stop every append, and every view, recorded or
    // not: an auditor's --no-record look at a read-only copy is refused the same way.
    copy_dir(&vault, &case.join("checkpoints"));
    for view in ["log", "map", "inventory", "diff", "report"] {
        let o = run(&[view, "--case", c, "--no-record"]);
        assert_eq!(o.status.code(), Some(1), "{view}: {}", text(&o));
        assert!(
            text(&o).contains("contradicts a checkpoint signed earlier"),
            "{view}: {}",
            text(&o)
        );
    }
    let refused = run(&["correlate", "--case", c, "--policy", policy().to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        text(&refused).contains("contradicts a checkpoint signed earlier"),
        "{}",
        text(&refused)
    );
}

#[test]
fn a_deleted_ledger_or_head_and_a_forged_checkpoint_are_refused() {
    let (dir, case, owner, public) = case_and_key("owner");
    let (insider, _) = keygen(dir.path(), "insider");
    let c = case.to_str().unwrap();
    let p = public.to_str().unwrap();
    assert_eq!(
        run(&["checkpoint", "--case", c, "--key", owner.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );

    // A checkpoint signed with the insider's own key over a rewritten ledger: log --pubkey
    // refuses its signature.
    let forged = tempfile::tempdir().unwrap();
    copy_dir(&case, forged.path());
    let target = seqs_of(forged.path(), "action")[3];
    let f = forged.path().to_str().unwrap();
    assert!(
        python(
            "rewrite_ledger_by_hand.py",
            &[f, &target.to_string(), "verdict", "compliant"]
        )
        .status
        .success()
    );
    fs::remove_dir_all(forged.path().join("checkpoints")).unwrap();
    assert_eq!(
        run(&["checkpoint", "--case", f, "--key", insider.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let o = run(&["log", "--case", f, "--pubkey", p]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("signature does not verify"), "{}", text(&o));

    // Deleting only the head switches nothing off.
    let head = case.join("ledger/head");
    let saved = fs::read(&head).unwrap();
    fs::remove_file(&head).unwrap();
    let o = run(&["log", "--case", c]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("is missing"), "{}", text(&o));
    fs::write(&head, saved).unwrap();

    // Deleting the whole ledger: correlate will not start a new chain for this case.
    fs::remove_dir_all(case.join("ledger")).unwrap();
    let o = run(&["correlate", "--case", c, "--policy", policy().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("the ledger was deleted"), "{}", text(&o));
    assert!(!case.join("ledger/ledger.log").exists() || fs::read(case.join("ledger/ledger.log")).unwrap().is_empty());
}

#[test]
fn a_rewritten_actions_row_is_refused_by_every_view_and_by_export_naming_the_action() {
    let (dir, case, key, _) = case_and_key("k");
    let c = case.to_str().unwrap();
    // The insider's edit, with pyarrow: the first allowed action becomes another agent's,
    // refused, and its violation refused.
    let script = r#"
import glob, sys
import pyarrow as pa, pyarrow.parquet as pq
path = sorted(glob.glob(sys.argv[1] + "/parquet/actions/**/*.parquet", recursive=True))[0]
t = pq.read_table(path, partitioning=None)
i = t.column("outcome").to_pylist().index("allow")
for name, value in (("agent", "someone-else"), ("outcome", "DENY"), ("verdict", "violation_refused")):
    col = t.column(name).to_pylist()
    col[i] = value
    t = t.set_column(t.schema.get_field_index(name), t.schema.field(name), pa.array(col, t.schema.field(name).type))
pq.write_table(t, path, compression="zstd")
print(t.column("action_id")[i].as_py())
"#;
    let o = Command::new("python3").args(["-c", script, c]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let action = String::from_utf8_lossy(&o.stdout).trim().to_string();
    let out = dir.path().join("b.tar");
    for args in [
        vec!["log", "--case", c],
        vec!["map", "--case", c],
        vec!["diff", "--case", c],
        vec!["inventory", "--case", c],
        vec![
            "export",
            "--case",
            c,
            "--key",
            key.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    ] {
        let o = run(&args);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(1), "{}: {t}", args[0]);
        assert!(t.contains(&action) && t.contains("altered"), "{}: {t}", args[0]);
    }
    assert!(!out.exists(), "no bundle carries a row its ledger disowns");
}

#[test]
fn an_inclusion_proof_of_one_action_verifies_with_both_verifiers_and_by_hand_and_holds_nothing_else() {
    let (dir, case, key, public) = case_and_key("k");
    let c = case.to_str().unwrap();
    let p = public.to_str().unwrap();
    let ledger = fs::read_to_string(case.join("ledger/ledger.log")).unwrap();
    let record = ledger.lines().filter(|l| l.contains(" kind=action ")).nth(20).unwrap();
    let action = record.split(' ').find_map(|f| f.strip_prefix("action=")).unwrap();

    let out = dir.path().join("proof.txt");
    let o = run(&["prove", "--case", c, "--action", action, "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "no signed checkpoint yet: {}", text(&o));
    assert!(text(&o).contains("agaudit checkpoint"), "{}", text(&o));
    let o = run(&[
        "prove",
        "--case",
        c,
        "--action",
        action,
        "--out",
        out.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let proof = fs::read_to_string(&out).unwrap();
    // Selective disclosure: the one record, and no other record's line.
    assert!(proof.contains(record), "{proof}");
    assert_eq!(proof.matches(" kind=").count(), 1, "{proof}");

    let verifiers = |file: &Path| -> Vec<(String, bool)> {
        let f = file.to_str().unwrap();
        let agaudit = run(&["verify", f, "--pubkey", p]);
        let standalone = Command::new(super::bundle::verifier_binary())
            .args([f, "--pubkey", p])
            .output()
            .unwrap();
        let mut out = vec![
            ("agaudit verify".to_string(), agaudit.status.success()),
            ("agaudit-verify".to_string(), standalone.status.success()),
        ];
        let by_hand = python("verify_tree_by_hand.py", &["proof", f, p]);
        out.push(("by hand".into(), by_hand.status.success()));
        out
    };
    for (who, ok) in verifiers(&out) {
        assert!(ok, "{who} refuses a good proof");
    }
    // The record altered (its outcome), the path bent, the checkpoint's size changed: refused
    // by every verifier.
    let bent_hash = proof.lines().nth(4).unwrap().split(' ').nth(1).unwrap().to_string();
    let mut flipped = bent_hash.clone().into_bytes();
    flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
    for (name, forged) in [
        ("record", proof.replacen(" conf=", " conf=x", 1)),
        (
            "path",
            proof.replacen(&bent_hash, std::str::from_utf8(&flipped).unwrap(), 1),
        ),
        ("size", {
            let lines: Vec<&str> = proof.lines().collect();
            let size: u64 = lines[7].parse().unwrap();
            proof.replacen(&format!("\n{size}\n"), &format!("\n{}\n", size + 1), 1)
        }),
    ] {
        let file = dir.path().join(format!("forged-{name}.txt"));
        fs::write(&file, forged).unwrap();
        for (who, ok) in verifiers(&file) {
            assert!(!ok, "{who} accepts a proof with its {name} changed");
        }
    }
}

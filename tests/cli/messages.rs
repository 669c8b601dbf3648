//! Messages for ordinary mistakes: each says what is wrong and what to do, with the exit code
//! the table gives (2 for what could not be used, 1 for what needs attention).

use std::process::Command;

use super::bundle::verifier_binary;
use super::diff::readme_case;
use super::root;
use super::util::{Agaudit, text};

#[test]
fn a_bundle_checked_with_the_wrong_key_names_both_key_ids() {
    let bundles = root().join("fixtures/bundles");
    let good = bundles.join("good.tar");
    let other = bundles.join("other.pub");
    // The IDs as minisign writes them in a public key's comment line.
    let minisign_id = |pubkey: &std::path::Path| {
        let text = std::fs::read_to_string(pubkey).unwrap();
        text.lines().next().unwrap().rsplit(' ').next().unwrap().to_string()
    };
    let (signer, given) = (minisign_id(&bundles.join("signer.pub")), minisign_id(&other));
    assert_ne!(signer, given);
    let via_agaudit = Agaudit::new()
        .arg("verify")
        .arg(&good)
        .arg("--pubkey")
        .arg(&other)
        .expect(1);
    let via_verifier = Command::new(verifier_binary())
        .arg(&good)
        .arg("--pubkey")
        .arg(&other)
        .output()
        .unwrap();
    assert_eq!(via_verifier.status.code(), Some(1));
    for o in [&via_agaudit, &via_verifier] {
        let t = text(o);
        assert!(
            t.contains(&format!("key ID {signer}")) && t.contains(&format!("is key ID {given}")),
            "{t}"
        );
    }
}

#[test]
fn what_is_not_evidence_is_unusable_input() {
    let dir = tempfile::tempdir().unwrap();
    let stray = dir.path().join("notes.tar");
    std::fs::write(&stray, "a text file, not a bundle\n").unwrap();
    let pubkey = root().join("fixtures/bundles/signer.pub");
    let o = Agaudit::new()
        .arg("verify")
        .arg(&stray)
        .arg("--pubkey")
        .arg(&pubkey)
        .expect(2);
    assert!(text(&o).contains("is not an evidence bundle"), "{}", text(&o));
    let o = Command::new(verifier_binary())
        .arg(&stray)
        .arg("--pubkey")
        .arg(&pubkey)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    // An ingest whose every path is a typo leaves no case behind.
    let case = dir.path().join("case");
    let o = Agaudit::new()
        .args(["ingest"])
        .case(&case)
        .arg(dir.path().join("typo.log"))
        .expect(2);
    assert!(
        text(&o).contains("no case was created") && !case.exists(),
        "{}",
        text(&o)
    );
}

/// A fresh key pair without a password: the directory holding k.key and k.pub.
fn keypair() -> tempfile::TempDir {
    let keys = tempfile::tempdir().unwrap();
    Agaudit::new()
        .args(["keygen", "--no-password", "--out"])
        .arg(keys.path().join("k"))
        .expect(0);
    keys
}

#[test]
fn a_public_key_given_to_sign_is_named_as_one() {
    let dir = readme_case();
    let keys = keypair();
    let pubkey = keys.path().join("k.pub");
    let o = Agaudit::new()
        .args(["export", "--key"])
        .arg(&pubkey)
        .arg("--out")
        .arg(keys.path().join("b.tar"))
        .case(dir.path())
        .expect(2);
    assert!(
        text(&o).contains("is a public key") && !text(&o).contains("chmod"),
        "{}",
        text(&o)
    );
}

#[test]
fn correlate_says_why_it_exits_1() {
    let dir = readme_case();
    let o = Agaudit::new()
        .args(["correlate", "--policy", "fixtures/policy/agents.hcl"])
        .case(dir.path())
        .at_root()
        .expect(1);
    assert!(
        text(&o).contains("exit 1:") && text(&o).contains("violation_allowed"),
        "{}",
        text(&o)
    );
}

/// A secret key through a pipe (`--key <(pass show key)`) is read once, and works.
#[test]
fn a_secret_key_can_come_through_a_pipe() {
    let dir = readme_case();
    let keys = keypair();
    let secret = std::fs::read(keys.path().join("k.key")).unwrap();
    let out = keys.path().join("b.tar");
    let mut child = Command::new(env!("CARGO_BIN_EXE_agaudit"))
        .args(["export", "--key", "/dev/stdin", "--out"])
        .arg(&out)
        .arg("--case")
        .arg(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(&secret).unwrap();
    }
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(out.is_file());
}

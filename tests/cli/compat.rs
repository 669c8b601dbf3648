//! Existing cases stay valid: the ledger's action records of the compatibility case — their
//! evidence row hashes, action ids and every judged field — are byte for byte what the agaudit
//! before the tables were declared once wrote (tests/golden/compat.txt, made by
//! scripts/golden/compat.sh with that build), but for the `row=` field that binds each record to
//! its actions row (since then: re-correlating an older case appends its records again, with
//! their rows bound). Any other difference is a format break, not a refactoring.

use std::process::Command;

use super::root;

#[test]
fn evidence_row_hashes_and_action_records_are_unchanged() {
    let out = Command::new("sh")
        .arg("scripts/golden/compat.sh")
        .arg(env!("CARGO_BIN_EXE_agaudit"))
        .current_dir(root())
        .env_remove("AGAUDIT_CASE")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let written = String::from_utf8(out.stdout).unwrap();
    // Records now also bind the actions table's row (`row=`, added in ledger format 2): the
    // rest of each record, evidence and action id included, is what it was.
    let mut now = String::new();
    for line in written.lines() {
        let (before, row) = line.rsplit_once(" row=").expect("every action record binds its row");
        assert!(row.len() == 64 && row.bytes().all(|b| b.is_ascii_hexdigit()), "{line}");
        now.push_str(before);
        now.push('\n');
    }
    let before = std::fs::read_to_string(root().join("tests/golden/compat.txt")).unwrap();
    assert!(before.lines().count() > 100, "the golden holds the case's actions");
    for (i, (a, b)) in before.lines().zip(now.lines()).enumerate() {
        assert_eq!(a, b, "action record {} of the compatibility case changed", i + 1);
    }
    assert_eq!(
        before.lines().count(),
        now.lines().count(),
        "the number of action records changed"
    );
}

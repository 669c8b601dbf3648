//! Fuzz target `ledger`: the ledger verifier and logfmt reader (verify/src/ledger.rs), the code
//! an auditor runs on a ledger of unknown origin. It must say valid, or which line breaks the
//! chain and why, for any bytes.
//!
//! Input: a ledger file (or slice of one).

#![no_main]

use agaudit_verify::ledger::{self, Anchor};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let complete_lines = data.iter().filter(|&&b| b == b'\n').count() as u64;
    let torn = !data.is_empty() && !data.ends_with(b"\n");

    // A whole ledger, anchored at its case's genesis.
    if let Ok(v) = ledger::verify(data) {
        assert_eq!(v.count, complete_lines, "every complete line of a valid ledger is a record");
        assert_eq!(v.last_seq, v.count, "a ledger from its genesis numbers its records 1, 2, 3, ...");
        assert_eq!(v.torn.is_some(), torn, "the torn tail is the bytes after the last newline");
        assert!(v.count == 0 || v.case_id.is_some(), "a chain from the genesis names its case");
    }

    // A slice (as in a bundle), anchored where its own first line says it starts, so that slices
    // such as the one in fixtures/bundles/good.tar verify and mutations of them go deep.
    let first = data.split(|&b| b == b'\n').next().unwrap_or(&[]);
    if let Some((anchor_seq, anchor)) = anchor_of(first) {
        if let Ok(v) = ledger::verify_from(data, anchor) {
            assert_eq!(v.count, complete_lines, "every complete line of a valid slice is a record");
            assert_eq!(Some(v.last_seq), anchor_seq.checked_add(v.count), "records follow the anchor");
            assert_eq!(v.torn.is_some(), torn, "the torn tail is the bytes after the last newline");
        }
    }

    for line in data.split(|&b| b == b'\n') {
        let split = ledger::split_hash(line);
        if let Some((record, hex)) = split {
            assert_eq!(record.len() + " hash=".len() + 64, line.len(), "the hash is the line's last field");
            assert!(ledger::from_hex(hex).is_some(), "split_hash returns 64 lower-case hex digits");
            if let Ok(text) = std::str::from_utf8(record) {
                round_trip(text);
            }
        }
        if let Ok(text) = std::str::from_utf8(line) {
            round_trip(text);
            let _ = ledger::body_of(text);
        }
    }
});

/// `fields` and `scan` agree, and rendering what `fields` read reads back the same.
fn round_trip(text: &str) {
    let parsed = ledger::fields(text);
    let mut scanned = 0usize;
    let scan = ledger::scan(text, |_, _, _| scanned += 1);
    assert_eq!(parsed.is_ok(), scan.is_ok(), "fields and scan accept the same records");
    let Ok(fields) = parsed else {
        return;
    };
    assert_eq!(fields.len(), scanned, "fields returns every field scan walks");
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let rendered = ledger::render(&pairs);
    let again = ledger::fields(&rendered).expect("render writes what fields reads");
    assert_eq!(again, fields, "render then fields gives the same fields");
}

/// The anchor a slice starting with `line` claims: the record before it (seq - 1, prev).
fn anchor_of(line: &[u8]) -> Option<(u64, Anchor)> {
    let (record, _) = ledger::split_hash(line)?;
    let fields = ledger::fields(std::str::from_utf8(record).ok()?).ok()?;
    let seq: u64 = value(&fields, "seq")?.parse().ok()?;
    let link = ledger::from_hex(value(&fields, "prev")?)?;
    let before = seq.checked_sub(1)?;
    Some((before, Anchor::After { seq: before, link }))
}

fn value<'a>(fields: &'a [(&str, String)], key: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| *k == key).map(|(_, v)| v.as_str())
}

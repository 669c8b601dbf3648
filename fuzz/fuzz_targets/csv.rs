//! Fuzz target `csv`: the CSV field splitter (src/ingest/csv.rs) that reads csvlog records and
//! pgAudit's record inside every AUDIT message. Both are written by the server from data that
//! clients choose (statements, application names), so any text must split or fail cleanly.
//!
//! Input: one record (lossy UTF-8).

#![no_main]

use agaudit::ingest::csv;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let record = String::from_utf8_lossy(data);

    if !record.contains('"') {
        // Without quotes a record is bare fields: exactly what splitting at commas gives.
        let fields = csv::fields(&record).expect("a record without quotes always splits");
        let plain: Vec<&str> = record.split(',').collect();
        assert_eq!(fields, plain, "a record without quotes splits at every comma");
    }

    if let Ok(fields) = csv::fields(&record) {
        assert!(!fields.is_empty(), "a record has at least one field");
        // Writing every field quoted, as PostgreSQL does, and reading it back gives the same fields.
        let quoted: Vec<String> = fields.iter().map(|f| format!("\"{}\"", f.replace('"', "\"\""))).collect();
        let rewritten = quoted.join(",");
        let again = csv::fields(&rewritten).expect("a record of quoted fields always splits");
        assert_eq!(again, fields, "quoting the fields and splitting again gives them back");
    }
});

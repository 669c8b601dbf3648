//! What the six ingest_* targets share: one fuzz input written as a file and ingested whole,
//! through the same public entry point as `agaudit ingest` (src/ingest/mod.rs `run`), into a
//! fresh case. The targets differ only in their name and seed corpus (scripts/fuzz), which steer
//! the fuzzer towards one file kind each; detection is by content, so any input can reach any
//! parser.

use std::collections::BTreeMap;

use agaudit::ingest::{self, Options, Report};

/// The log_line_prefix the fixtures were written with (fixtures/pgaudit/README.md).
const FIXTURE_PREFIX: &str = "%m [%p] %q%u@%d app=%a client=%h session=%c sqlstate=%e ";

/// Ingests `data` as a file called `file_name`; checks the report when ingest returns one.
pub fn ingest_bytes(file_name: &str, data: &[u8]) {
    // Failing to set up the scratch directory says nothing about the input: stop loudly.
    let dir = tempfile::tempdir().expect("fuzz harness: cannot create a temporary directory");
    let input = dir.path().join(file_name);
    std::fs::write(&input, data).expect("fuzz harness: cannot write the input file");
    let opts = Options {
        paths: vec![input],
        case_dir: dir.path().join("case"),
        pg_prefix: Some(FIXTURE_PREFIX.to_string()),
        log_timezone: None,
        labels: BTreeMap::new(),
        progress: false,
    };
    // Err is a clean failure (the case could not be opened or saved); only Ok has counts.
    if let Ok(report) = ingest::run(&opts) {
        check(&report);
    }
}

/// Invariants of every ingest report: every line is a row, a counted other line or quarantined,
/// in each file and in the totals, and the totals add up the files.
fn check(report: &Report) {
    assert_eq!(report.files.len(), 1, "one input file, one file report");
    for f in &report.files {
        assert!(
            f.counts.balanced(),
            "lines_read != row_lines + other lines + quarantined_lines: {:?} ({:?})",
            f.counts,
            f.message
        );
        assert_eq!(f.rows, f.tables.values().sum::<u64>(), "a file's rows are its tables' rows");
    }
    let t = &report.totals;
    assert_eq!(t.files, report.files.len() as u64, "totals count every file");
    assert_eq!(
        t.ingested + t.duplicates + t.unrecognised + t.held + t.unusable + t.errors,
        t.files,
        "every file has exactly one status"
    );
    assert_eq!(
        t.lines_read,
        t.row_lines + t.other_lines + t.quarantined_lines,
        "the totals balance"
    );
    assert_eq!(t.rows, t.tables.values().sum::<u64>(), "total rows are the tables' rows");
}

//! What the ingest_* targets share: one fuzz input parsed in memory by one ingest format,
//! through the same `Format` trait `agaudit ingest` drives (src/ingest/pipeline.rs), with nothing
//! written — so each execution is the parser alone, thousands of times a second. `ingest_run`
//! alone goes through the whole entry point (detection, decompression, Parquet, quarantine).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use agaudit::ingest::pgaudit::prefix::Prefix;
use agaudit::ingest::pgaudit::timestamp::LogZone;
use agaudit::ingest::pgaudit::{LogFormat, Reading};
use agaudit::ingest::pipeline::{self, Format};
use agaudit::ingest::{self, Options, Report};
use agaudit::table::declare::SourceFile;

/// The log_line_prefix the fixtures were written with (fixtures/pgaudit/README.md).
pub const FIXTURE_PREFIX: &str = "%m [%p] %q%u@%d app=%a client=%h session=%c sqlstate=%e ";

/// A PostgreSQL format read with the fixtures' prefix, in UTC (compiled once per process).
pub fn postgres(format: LogFormat) -> Reading {
    static SETTINGS: OnceLock<(Prefix, LogZone)> = OnceLock::new();
    let (prefix, zone) = SETTINGS.get_or_init(|| {
        (
            Prefix::compile(FIXTURE_PREFIX).expect("the fixtures' prefix compiles"),
            LogZone::named("UTC").expect("UTC is a zone"),
        )
    });
    Reading {
        format,
        prefix: prefix.clone(),
        zone: zone.clone(),
    }
}

/// Parses `data` with `format` in memory; every line must end as a row, a counted other line
/// or quarantine, and no chunk may fail.
pub fn parse(format: &dyn Format, data: &[u8]) {
    let source = SourceFile {
        file: "fuzz-input".into(),
        blake3: "0".repeat(64),
        labels: BTreeMap::from([("server".to_string(), "fuzz".to_string())]),
    };
    let t = pipeline::in_memory(format, data.to_vec(), &source);
    assert!(
        t.counts.balanced(),
        "lines_read != row_lines + other lines + quarantined_lines: {:?}",
        t.counts
    );
    assert!(t.error.is_none(), "a chunk failed: {:?}", t.error);
    assert!(t.counts.lines_read == 0 || t.chunks > 0, "lines were read but no chunk was emitted");
}

/// Ingests `data` as a file called `file_name` through `agaudit::ingest::run`; checks the report.
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

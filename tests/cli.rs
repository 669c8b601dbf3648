//! Integration tests: run the agaudit binary on fixtures generated from real software and check
//! what it wrote by reading it back. Expected values come from fixtures/pgaudit/expected.json,
//! which the workload script declared while it ran the statements — never from agaudit itself.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use arrow_array::{
    Array, BooleanArray, Float64Array, Int32Array, Int64Array, MapArray, RecordBatch, StringArray,
    TimestampMicrosecondArray, TimestampNanosecondArray, UInt32Array, UInt64Array,
};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

/// The log_line_prefix the fixture server ran with (fixtures/pgaudit/README.md).
const FIXTURE_PREFIX: &str = "%m [%p] %q%u@%d app=%a client=%h session=%c sqlstate=%e ";
const FORMATS: &[(&str, &str)] = &[
    ("postgresql.log", "pg_stderr"),
    ("postgresql.csv", "pg_csvlog"),
    ("postgresql.json", "pg_jsonlog"),
];

mod util;

use util::{Agaudit, root};

/// A file of the pgAudit fixture set: the committed one, or a freshly generated one when
/// AGAUDIT_PGAUDIT_FIXTURES points at a live run of scripts/fixtures/pgaudit.sh (scripts/test).
fn fixture(name: &str) -> PathBuf {
    match std::env::var_os("AGAUDIT_PGAUDIT_FIXTURES") {
        Some(dir) => PathBuf::from(dir).join(name),
        None => root().join("fixtures/pgaudit").join(name),
    }
}

fn agaudit(args: &[&str]) -> Output {
    Agaudit::new().args(args).run()
}

fn ingest(case: &Path, paths: &[&Path], extra: &[&str]) -> Output {
    let mut args = vec![
        "ingest",
        "--case",
        case.to_str().unwrap(),
        "--pg-prefix",
        FIXTURE_PREFIX,
    ];
    args.extend_from_slice(extra);
    args.extend(paths.iter().map(|p| p.to_str().unwrap()));
    agaudit(&args)
}

fn ingest_json(case: &Path, paths: &[&Path]) -> (Value, Output) {
    let out = ingest(case, paths, &["--json", "--label", "server=prod-postgres"]);
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "--json output is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (json, out)
}

#[path = "cli/otlp.rs"]
mod otlp;

#[path = "cli/correlate.rs"]
mod correlate;

#[path = "cli/bundle.rs"]
mod bundle;

#[path = "cli/diff.rs"]
mod diff;

#[path = "cli/views.rs"]
mod views;

#[path = "cli/capture.rs"]
mod capture;
#[path = "cli/e2e.rs"]
mod e2e;

#[path = "cli/bad_input.rs"]
mod bad_input;

#[path = "cli/leak.rs"]
mod leak;

#[path = "cli/leak_corpus.rs"]
mod leak_corpus;

#[path = "cli/estates.rs"]
mod estates;

#[path = "cli/compat.rs"]
mod compat;

#[path = "cli/writers.rs"]
mod writers;

#[path = "cli/insider.rs"]
mod insider;

#[path = "cli/filters.rs"]
mod filters;

#[path = "cli/readonly.rs"]
mod readonly;

#[path = "cli/messages.rs"]
mod messages;

#[path = "cli/contracts.rs"]
mod contracts;

#[path = "cli/screen.rs"]
mod screen;

#[path = "cli/timeline.rs"]
mod timeline;

#[path = "cli/report.rs"]
mod report;

/// Every row of db_events in the case, each column rendered as an optional string.
fn rows(case: &Path) -> Vec<BTreeMap<String, Option<String>>> {
    table_rows(case, "db_events")
}

/// Every row of `table` in the case, each column rendered as an optional string.
fn table_rows(case: &Path, table: &str) -> Vec<BTreeMap<String, Option<String>>> {
    let mut out = Vec::new();
    for part in parquet_files(&case.join("parquet").join(table)) {
        for batch in read_parquet(&part) {
            for i in 0..batch.num_rows() {
                let mut row = BTreeMap::new();
                for (f, col) in batch.schema().fields().iter().zip(batch.columns()) {
                    row.insert(f.name().clone(), cell(col.as_ref(), i));
                }
                out.push(row);
            }
        }
    }
    out
}

fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walk(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    files.sort();
    files
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
        }
    }
    out
}

fn read_parquet(path: &Path) -> Vec<RecordBatch> {
    let file = fs::File::open(path).unwrap();
    ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
}

fn cell(col: &dyn Array, i: usize) -> Option<String> {
    if col.is_null(i) {
        return None;
    }
    let any = col.as_any();
    if let Some(a) = any.downcast_ref::<StringArray>() {
        return Some(a.value(i).to_string());
    }
    if let Some(a) = any.downcast_ref::<Int32Array>() {
        return Some(a.value(i).to_string());
    }
    if let Some(a) = any.downcast_ref::<Int64Array>() {
        return Some(a.value(i).to_string());
    }
    if let Some(a) = any.downcast_ref::<UInt32Array>() {
        return Some(a.value(i).to_string());
    }
    if let Some(a) = any.downcast_ref::<UInt64Array>() {
        return Some(a.value(i).to_string());
    }
    if let Some(a) = any.downcast_ref::<BooleanArray>() {
        return Some(a.value(i).to_string());
    }
    if let Some(a) = any.downcast_ref::<Float64Array>() {
        return Some(a.value(i).to_string());
    }
    if let Some(a) = any.downcast_ref::<TimestampNanosecondArray>() {
        return Some(a.value(i).to_string());
    }
    if let Some(a) = any.downcast_ref::<TimestampMicrosecondArray>() {
        return Some(a.value(i).to_string());
    }
    if let Some(a) = any.downcast_ref::<MapArray>() {
        // key=value pairs, one per line: what a reader of the map column sees.
        let entries = a.value(i);
        let (keys, values) = (entries.column(0), entries.column(1));
        let pairs: Vec<String> = (0..entries.len())
            .map(|j| {
                format!(
                    "{}={}",
                    cell(keys.as_ref(), j).unwrap_or_default(),
                    cell(values.as_ref(), j).unwrap_or_default()
                )
            })
            .collect();
        return Some(pairs.join("\n"));
    }
    panic!("cell(): no rendering for {:?}", col.data_type())
}

/// Asserts lines_read = row_lines + other lines + quarantined lines; returns lines_read.
fn balanced_lines(counts: &Value) -> u64 {
    let n = |v: &Value| v.as_u64().unwrap();
    let other: u64 = counts["other_lines"].as_object().unwrap().values().map(n).sum();
    let read = n(&counts["lines_read"]);
    assert_eq!(
        read,
        n(&counts["row_lines"]) + other + n(&counts["quarantined_lines"]),
        "{counts}"
    );
    read
}

fn expected() -> Value {
    serde_json::from_slice(&fs::read(fixture("expected.json")).unwrap()).unwrap()
}

const KEY_COLUMNS: &[&str] = &[
    "agent",
    "session",
    "application_name",
    "db_user",
    "database",
    "class",
    "command",
    "object_type",
    "object_name",
    "outcome",
    "sqlstate",
    "parameter_count",
    "trace_id",
    "span_id",
];

fn key_of_row(r: &BTreeMap<String, Option<String>>) -> Vec<Option<String>> {
    KEY_COLUMNS.iter().map(|c| r[*c].clone()).collect()
}

fn key_of_expected(r: &Value) -> Vec<Option<String>> {
    KEY_COLUMNS
        .iter()
        .map(|c| match &r[*c] {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        })
        .collect()
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

#[test]
fn each_format_yields_exactly_the_workload_rows() {
    let expected = expected();
    let want = sorted(
        expected["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(key_of_expected)
            .collect(),
    );
    let want_addr = sorted(
        expected["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                if r["transport"] == "tcp" {
                    "127.0.0.1"
                } else {
                    "[local]"
                }
                .to_string()
            })
            .collect(),
    );
    for (file, kind) in FORMATS {
        let case = tempfile::tempdir().unwrap();
        let (json, out) = ingest_json(case.path(), &[&fixture(file)]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(json["files"][0]["kind"], *kind);
        let got = rows(case.path());
        assert_eq!(
            sorted(got.iter().map(key_of_row).collect()),
            want,
            "{file}: rows differ from the workload"
        );
        let addrs = sorted(
            got.iter()
                .map(|r| r["client_addr"].clone().unwrap_or_default())
                .collect(),
        );
        assert_eq!(addrs, want_addr, "{file}: client addresses");
        assert!(
            got.iter().all(|r| r["server"].as_deref() == Some("prod-postgres")),
            "{file}: server label"
        );
        assert!(got.iter().all(|r| r["ts"].is_some() || r["source_line"].is_some()));
    }
}

#[test]
fn counts_add_up_and_custody_is_recorded() {
    let case = tempfile::tempdir().unwrap();
    let files: Vec<PathBuf> = FORMATS.iter().map(|(f, _)| fixture(f)).collect();
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let (json, _) = ingest_json(case.path(), &refs);
    let want_rows = expected()["rows"].as_array().unwrap().len() as u64;
    for (f, path) in json["files"].as_array().unwrap().iter().zip(&files) {
        let bytes = fs::read(path).unwrap();
        let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        assert_eq!(
            balanced_lines(&f["counts"]),
            lines,
            "{}: every line is read",
            path.display()
        );
        assert_eq!(f["rows"].as_u64().unwrap(), want_rows);
        assert_eq!(f["blake3"].as_str().unwrap(), blake3::hash(&bytes).to_hex().as_str());
    }
    assert_eq!(json["totals"]["rows"].as_u64().unwrap(), 3 * want_rows);
    let manifest: Value = serde_json::from_slice(&fs::read(case.path().join("ingest.json")).unwrap()).unwrap();
    assert_eq!(manifest["files"].as_array().unwrap().len(), 3);
    for rec in manifest["files"].as_array().unwrap() {
        assert_eq!(rec["status"], "ingested");
        assert_eq!(rec["labels"]["server"], "prod-postgres");
        for part in rec["parts"].as_array().unwrap() {
            assert!(
                case.path().join(part.as_str().unwrap()).is_file(),
                "recorded part exists: {part}"
            );
        }
    }
}

#[test]
fn reingesting_the_same_content_adds_nothing() {
    let case = tempfile::tempdir().unwrap();
    let csv = fixture("postgresql.csv");
    let (first, _) = ingest_json(case.path(), &[&csv]);
    assert_eq!(first["files"][0]["status"], "ingested");
    // The same bytes under another name are still the same evidence.
    let copy = case.path().join("copy-of-log.txt");
    fs::copy(&csv, &copy).unwrap();
    let (second, out) = ingest_json(case.path(), &[&csv, &copy]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(second["totals"]["duplicates"], 2, "{second}");
    assert_eq!(
        rows(case.path()).len() as u64,
        first["totals"]["rows"].as_u64().unwrap()
    );
    let manifest: Value = serde_json::from_slice(&fs::read(case.path().join("ingest.json")).unwrap()).unwrap();
    assert_eq!(manifest["files"].as_array().unwrap().len(), 1);
}

/// Every byte agaudit wrote or printed, with Parquet read back decompressed.
fn everything_written(case: &Path, outputs: &[&Output]) -> String {
    let mut all = String::new();
    for path in walk(case) {
        // File names are written too (quarantine files, bundle members); the root is the caller's.
        all.push_str(&path.strip_prefix(case).unwrap_or(&path).to_string_lossy());
        all.push('\n');
        if path.extension().is_some_and(|e| e == "parquet") {
            for batch in read_parquet(&path) {
                for col in batch.columns() {
                    for i in 0..batch.num_rows() {
                        all.push_str(&cell(col.as_ref(), i).unwrap_or_default());
                        all.push('\n');
                    }
                }
            }
        }
        all.push_str(&String::from_utf8_lossy(&fs::read(&path).unwrap()));
    }
    for out in outputs {
        all.push_str(&String::from_utf8_lossy(&out.stdout));
        all.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    all
}

#[test]
fn no_planted_secret_or_literal_is_written_anywhere() {
    let secrets = fs::read_to_string(fixture("planted-secrets.txt")).unwrap();
    let secrets: Vec<&str> = secrets.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(secrets.len() >= 4);
    // Literal values the workload used in statements (not secrets, but data all the same).
    let literals = [
        "Acme Corp",
        "Globex",
        "Initech",
        "Planted Company",
        "billing@globex.example",
        "net 30",
        "sprocket",
    ];
    let raw = fs::read_to_string(fixture("postgresql.log")).unwrap();
    for s in secrets.iter().chain(&literals) {
        assert!(
            raw.contains(s),
            "the fixture must carry '{s}' for this test to mean anything"
        );
    }
    let case = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Include a broken copy so quarantine entries exist and are checked too.
    let broken = dir.path().join("broken.log");
    // Lines that fail the prefix and the pgAudit record carry literals near their start, where an
    // error message quoting the input would pick them up.
    let mut lines: Vec<String> = raw
        .replace("LOG:  AUDIT: SESSION,", "LOG:  AUDIT: SESSION,x")
        .lines()
        .map(String::from)
        .collect();
    lines.insert(
        1,
        "'Acme Corp' 'Globex' LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,x,<none>".to_string(),
    );
    lines.insert(2, "2026-11-24 10:00:00 'Initech' [1] LOG:  x".to_string());
    fs::write(&broken, lines.join("\n") + "\n").unwrap();
    let files: Vec<PathBuf> = FORMATS.iter().map(|(f, _)| fixture(f)).collect();
    let mut refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    refs.push(&broken);
    let table = ingest(case.path(), &refs, &["--label", "server=prod-postgres"]);
    // Correlation's outputs (actions, ledger, its terminal summary and log) are checked too.
    let policy = root().join("fixtures/policy/agents.hcl");
    let c = case.path().to_str().unwrap();
    let correlated = agaudit(&["correlate", "--case", c, "--policy", policy.to_str().unwrap()]);
    assert!(case.path().join("ledger/ledger.log").exists(), "{correlated:?}");
    let log = agaudit(&["log", "--case", c]);
    let json_case = tempfile::tempdir().unwrap();
    let (json, json_out) = ingest_json(json_case.path(), &refs);
    assert!(
        json["totals"]["quarantined_lines"].as_u64().unwrap() > 0,
        "the broken copy is quarantined"
    );
    for (case, outs) in [
        (case.path(), vec![&table, &correlated, &log]),
        (json_case.path(), vec![&json_out]),
    ] {
        let written = everything_written(case, &outs);
        for s in secrets.iter().chain(&literals) {
            assert!(!written.contains(s), "'{s}' leaked into the case or terminal output");
        }
        assert!(written.contains("[REDACTED:sql_password]"), "the password rule fired");
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn compressed_and_misnamed_inputs_are_read_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let csv = fs::read(fixture("postgresql.csv")).unwrap();
    fs::write(dir.path().join("rotated.1.dat"), gzip(&csv)).unwrap();
    fs::write(
        dir.path().join("archive.bin"),
        zstd::encode_all(&fs::read(fixture("postgresql.json")).unwrap()[..], 3).unwrap(),
    )
    .unwrap();
    let case = tempfile::tempdir().unwrap();
    let (json, out) = ingest_json(case.path(), &[dir.path()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let by_kind: BTreeMap<String, (String, u64)> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_string(),
                (
                    f["compression"].as_str().unwrap().to_string(),
                    f["rows"].as_u64().unwrap(),
                ),
            )
        })
        .collect();
    let n = expected()["rows"].as_array().unwrap().len() as u64;
    assert_eq!(by_kind["pg_csvlog"], ("gzip".to_string(), n));
    assert_eq!(by_kind["pg_jsonlog"], ("zstd".to_string(), n));
}

#[test]
fn bad_input_is_reported_by_file_and_line_and_counts_still_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let log = fs::read(fixture("postgresql.log")).unwrap();
    // Truncated gzip: what was decoded before the cut is kept, the file is reported.
    let gz = gzip(&log);
    fs::write(d.join("truncated.log.gz"), &gz[..gz.len() / 2]).unwrap();
    // Invalid UTF-8 in the middle of a stderr log.
    let mut bad_utf8 = log.clone();
    let at = bad_utf8.iter().position(|&b| b == b'\n').unwrap() + 5;
    bad_utf8[at] = 0xff;
    fs::write(d.join("bad-utf8.log"), &bad_utf8).unwrap();
    // Unterminated CSV quote on the last record.
    let mut csv = fs::read(fixture("postgresql.csv")).unwrap();
    csv.extend_from_slice(b"2026-11-24 10:00:00.000 UTC,\"u\",\"d\",1,,,,,,,,LOG,00000,\"AUDIT: never closed\n");
    fs::write(d.join("open-quote.csv"), &csv).unwrap();
    // Binary junk and an empty file.
    fs::write(
        d.join("junk.bin"),
        (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect::<Vec<u8>>(),
    )
    .unwrap();
    fs::write(d.join("empty.log"), b"").unwrap();

    let case = tempfile::tempdir().unwrap();
    let (json, out) = ingest_json(case.path(), &[d]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a file that could not be read to its end is an input error"
    );
    assert!(
        stderr.contains("truncated.log.gz") && stderr.contains("after line"),
        "{stderr}"
    );
    let files: BTreeMap<String, &Value> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                Path::new(f["path"].as_str().unwrap())
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                f,
            )
        })
        .collect();
    assert_eq!(files["truncated.log.gz"]["status"], "partial");
    assert_eq!(files["bad-utf8.log"]["status"], "ingested");
    assert_eq!(files["bad-utf8.log"]["counts"]["quarantined_lines"], 1);
    assert_eq!(files["open-quote.csv"]["counts"]["quarantined_lines"], 1);
    assert_eq!(files["junk.bin"]["status"], "unrecognised");
    assert_eq!(files["empty.log"]["counts"]["lines_read"], 0);
    for f in files.values() {
        balanced_lines(&f["counts"]);
    }
    // Quarantine entries name file and line and say why.
    let q = fs::read_to_string(
        walk(&case.path().join("quarantine"))
            .into_iter()
            .find(|p| p.to_string_lossy().contains("bad-utf8"))
            .unwrap(),
    )
    .unwrap();
    let entry: Value = serde_json::from_str(q.lines().next().unwrap()).unwrap();
    assert_eq!(entry["line"], 2);
    assert!(
        entry["reason"].as_str().unwrap().contains("invalid UTF-8 at line 2"),
        "{entry}"
    );
}

#[test]
fn a_wrong_prefix_quarantines_lines_with_a_reason_naming_the_prefix() {
    let case = tempfile::tempdir().unwrap();
    let out = agaudit(&[
        "ingest",
        "--json",
        "--case",
        case.path().to_str().unwrap(),
        "--pg-prefix",
        "%t [%p]: ",
        fixture("postgresql.log").to_str().unwrap(),
    ]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["files"][0]["rows"], 0);
    let q = walk(&case.path().join("quarantine")).pop().unwrap();
    let first: Value = serde_json::from_str(fs::read_to_string(q).unwrap().lines().next().unwrap()).unwrap();
    assert!(
        first["reason"].as_str().unwrap().contains("--pg-prefix '%t [%p]: '"),
        "{first}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--pg-prefix"), "the hint names the option: {stderr}");
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(agaudit(&["ingest"]).status.code(), Some(2));
    let case = tempfile::tempdir().unwrap();
    let out = agaudit(&[
        "ingest",
        "--case",
        case.path().to_str().unwrap(),
        "--pg-prefix",
        "%a%u ",
        "x",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no text between"));
    // An escape PostgreSQL does not have (a fork's) is an opaque token and a warning, not an error.
    let out = agaudit(&[
        "ingest",
        "--case",
        case.path().to_str().unwrap(),
        "--pg-prefix",
        "%m [%p] %C %q%u@%d app=%a client=%h session=%c sqlstate=%e ",
        fixture("postgresql.csv").to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("'%C' is not a PostgreSQL escape"), "{stderr}");
    let out = agaudit(&[
        "ingest",
        "--case",
        case.path().to_str().unwrap(),
        "--log-timezone",
        "Mars/Olympus",
        "x",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("IANA"));
    let out = agaudit(&[
        "ingest",
        "--case",
        case.path().to_str().unwrap(),
        "/nonexistent/agaudit-input",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/agaudit-input"));
}

/// Files generated from the CLI definition must match what is committed; BLESS=1 rewrites them.
#[test]
fn man_pages_completions_and_schemas_are_current() {
    let mut generated: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    let cmd = agaudit::cli::command();
    // A page for agaudit, each command and each nested command (agaudit policy check), with
    // the sections clap does not write (EXIT STATUS, ENVIRONMENT, EXAMPLES).
    let mut man = |cmd: &clap::Command, name: String, examples_of: &str| {
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd.clone().name(&*name.clone().leak()))
            .render(&mut page)
            .unwrap();
        page.extend_from_slice(agaudit::cli::manual::roff_sections(examples_of).as_bytes());
        generated.push((root().join(format!("man/{name}.1")), page));
    };
    man(&cmd, "agaudit".into(), "agaudit");
    for sub in cmd.get_subcommands() {
        let name = format!("agaudit-{}", sub.get_name());
        man(sub, name.clone(), sub.get_name());
        for nested in sub.get_subcommands() {
            man(nested, format!("{name}-{}", nested.get_name()), sub.get_name());
        }
    }
    // Every page a page refers to exists.
    for (path, page) in &generated {
        let text = String::from_utf8_lossy(page);
        for word in text.split(|c: char| c.is_whitespace()) {
            if let Some(name) = word.strip_suffix("(1)") {
                let name = name.replace("\\-", "-").replace("\\fB", "").replace("\\fR", "");
                let exists = generated.iter().any(|(p, _)| p.ends_with(format!("{name}.1")));
                assert!(exists, "{} refers to {name}(1), which is not generated", path.display());
            }
        }
    }
    use clap_complete::Shell;
    for (shell, file) in [
        (Shell::Bash, "agaudit.bash"),
        (Shell::Zsh, "_agaudit"),
        (Shell::Fish, "agaudit.fish"),
        (Shell::Elvish, "agaudit.elv"),
        (Shell::PowerShell, "_agaudit.ps1"),
    ] {
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut cmd.clone(), "agaudit", &mut buf);
        generated.push((root().join("completions").join(file), buf));
    }
    generated.push((
        root().join("schemas/log.schema.json"),
        (serde_json::to_string_pretty(&agaudit::ledger::log_schema()).unwrap() + "\n").into_bytes(),
    ));
    for (table, schema) in agaudit::table::all() {
        let json = agaudit::table::schema_json(table, &schema);
        generated.push((
            root().join(format!("schemas/{table}.arrow.json")),
            (serde_json::to_string_pretty(&json).unwrap() + "\n").into_bytes(),
        ));
    }
    {
        use agaudit_capture_format as cf;
        let fields = |f: &[(&str, &str)]| -> Vec<Value> {
            f.iter()
                .map(|(n, t)| serde_json::json!({"name": n, "type": t}))
                .collect()
        };
        let format = serde_json::json!({
            "title": "ebpf-capture file format (agaudit-capture-format); prose in docs/formats.md",
            "magic_hex": cf::MAGIC.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "version": cf::VERSION,
            "record": "u32 LE length of what follows, u8 kind, payload; integers LE; string = u32 length + UTF-8; list = u32 count + items",
            "max_record_bytes": cf::MAX_RECORD,
            "kinds": {
                "0": "header",
                "255": "trailer",
                "events": cf::Kind::ALL.iter().map(|k| serde_json::json!({"kind": *k as u8, "name": k.name()})).collect::<Vec<_>>(),
            },
            "header": fields(&[("version", "u16"), ("tool_version", "string"), ("host", "string"), ("kernel_release", "string"),
                ("boot_id", "string"), ("boot_ns", "u64"), ("wall_ns", "i64"), ("filter", "string"), ("env_allow", "list<string>")]),
            "event_fixed": fields(cf::FIXED_FIELDS),
            "event_optional_after_u32_presence_mask": fields(cf::OPTIONAL_FIELDS),
            "trailer": fields(&[("counts", "list<string,u64>"), ("lost", "u64"), ("stopped_wall_ns", "i64"), ("reason", "string")]),
        });
        generated.push((
            root().join("schemas/capture-format.json"),
            (serde_json::to_string_pretty(&format).unwrap() + "\n").into_bytes(),
        ));
    }
    let bless = std::env::var_os("BLESS").is_some();
    for (path, bytes) in generated {
        if bless {
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, &bytes).unwrap();
        } else {
            let committed = fs::read(&path).unwrap_or_default();
            assert!(
                committed == bytes,
                "{} is stale: run BLESS=1 cargo test --test cli man_pages",
                path.display()
            );
        }
    }
}

/// An independent reader (pyarrow, and DuckDB when installed) reads the case and agrees; the
/// JSON outputs validate against their schemas. Needs python3 with pyarrow: ./scripts/test
/// installs it.
#[test]
fn independent_readers_agree() {
    let case = tempfile::tempdir().unwrap();
    let mut files: Vec<PathBuf> = FORMATS.iter().map(|(f, _)| fixture(f)).collect();
    files.extend(otlp::fixture_files());
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let (json, _) = ingest_json(case.path(), &refs);
    let summary = case.path().join("summary.json");
    fs::write(&summary, serde_json::to_vec(&json).unwrap()).unwrap();
    let policy = root().join("fixtures/policy/agents.hcl");
    let correlated = agaudit(&[
        "correlate",
        "--case",
        case.path().to_str().unwrap(),
        "--policy",
        policy.to_str().unwrap(),
        "--json",
    ]);
    let correlate_summary = case.path().join("correlate.json");
    fs::write(&correlate_summary, &correlated.stdout).unwrap();
    let readers = [
        vec![
            root().join("tests/interop/read_case.py"),
            case.path().to_path_buf(),
            summary.clone(),
            fixture("expected.json"),
            correlate_summary,
        ],
        // The ledger and evidence row hashes, recomputed from docs/ledger.md alone.
        vec![root().join("tests/interop/verify_ledger.py"), case.path().to_path_buf()],
    ];
    for args in readers {
        let out = Command::new("python3")
            .args(&args)
            .output()
            .expect("python3 is needed for the interoperability test: run ./scripts/test");
        assert!(
            out.status.success(),
            "independent reader {} disagreed:\n{}{}",
            args[0].display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

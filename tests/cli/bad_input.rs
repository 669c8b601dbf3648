//! Hostile and broken input: every case gives a clear message naming the file (and the line
//! where there is one), never a panic, and the per-file line counts still add up. The cases of
//! the hardening issue not covered by cli.rs's bad_input test: corrupt (not only truncated)
//! gzip, truncated and corrupt zstd, a 10 MB line and a line past the 32 MiB record limit, JSON
//! with wrong types and deep nesting (jsonlog and OTLP), a file that grows while it is read, and
//! a directory holding a file that cannot be read.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use std::process::Command;

use serde_json::Value;

use super::util::Agaudit;
use super::{balanced_lines, fixture, gzip, root, walk};

const PREFIX: &str = "%m [%p] %q%u@%d app=%a client=%h session=%c sqlstate=%e ";

/// `agaudit ingest --json` of `paths` with the fixtures' prefix: (per-file reports by file
/// name, exit code, stderr).
fn ingest(case: &Path, paths: &[&Path]) -> (BTreeMap<String, Value>, Option<i32>, String) {
    let out = Agaudit::new()
        .args(["ingest", "--json", "--pg-prefix", PREFIX])
        .case(case)
        .args(paths)
        .run();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let files = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let name = Path::new(f["path"].as_str().unwrap()).file_name().unwrap();
            balanced_lines(&f["counts"]);
            (name.to_string_lossy().into_owned(), f.clone())
        })
        .collect();
    (files, out.status.code(), stderr)
}

/// The quarantine entries of the file called `name`.
fn quarantined(case: &Path, name: &str) -> Vec<Value> {
    walk(&case.join("quarantine"))
        .into_iter()
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(name))
        .flat_map(|p| {
            fs::read_to_string(p)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect::<Vec<Value>>()
        })
        .collect()
}

#[test]
fn corrupt_and_truncated_compressed_streams_keep_what_decoded_and_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let log = fs::read(fixture("postgresql.log")).unwrap();
    let mut gz = gzip(&log);
    let mid = gz.len() / 2;
    gz[mid] ^= 0xff;
    gz[mid + 1] ^= 0x55;
    fs::write(d.join("corrupt.log.gz"), &gz).unwrap();
    // Many copies, cut near the end: zstd decodes whole blocks (up to 128 KiB), so a cut inside
    // the first block (which holds nearly all the compressed bytes here) leaves nothing to keep.
    let json = fs::read(fixture("postgresql.json")).unwrap().repeat(50);
    let zst = zstd::encode_all(&json[..], 3).unwrap();
    fs::write(d.join("truncated.json.zst"), &zst[..zst.len() - 64]).unwrap();
    // As the zstd CLI writes it, with a content checksum (without one a flipped byte decodes to
    // garbage lines that are quarantined like any other).
    let mut enc = zstd::stream::Encoder::new(Vec::new(), 3).unwrap();
    enc.include_checksum(true).unwrap();
    enc.write_all(&json).unwrap();
    let mut bad = enc.finish().unwrap();
    let at = bad.len() - 100;
    bad[at] ^= 0xff;
    fs::write(d.join("corrupt.json.zst"), &bad).unwrap();

    let case = tempfile::tempdir().unwrap();
    let (files, code, stderr) = ingest(case.path(), &[d]);
    assert_eq!(code, Some(2), "a file not read to its end is an input error");
    for (name, kind) in [
        ("corrupt.log.gz", "pg_stderr"),
        ("truncated.json.zst", "pg_jsonlog"),
        ("corrupt.json.zst", "pg_jsonlog"),
    ] {
        let f = &files[name];
        assert_eq!(f["status"], "partial", "{name}: {f}");
        assert_eq!(f["kind"], kind, "the good start says what it is: {f}");
        let msg = f["message"].as_str().unwrap();
        assert!(msg.starts_with("read failed after line "), "{name}: {msg}");
        let line: u64 = msg["read failed after line ".len()..]
            .split(':')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(
            f["counts"]["lines_read"].as_u64(),
            Some(line),
            "{name}: every line read before the failure is counted: {f}"
        );
        assert!(line > 0, "{name}: {f}");
        assert!(stderr.contains(name), "{stderr}");
    }
}

#[test]
fn long_lines_are_quarantined_by_line_and_the_record_limit_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let log = fs::read(fixture("postgresql.log")).unwrap();
    let lines: Vec<&[u8]> = log.split(|&b| b == b'\n').collect();
    let with = |extra: Vec<u8>| {
        let mut v: Vec<&[u8]> = lines[..3].to_vec();
        v.push(&extra);
        v.extend_from_slice(&lines[3..]);
        v.join(&b'\n')
    };
    let ten_mb = dir.path().join("ten-mb-line.log");
    fs::write(&ten_mb, with(vec![b'x'; 10 << 20])).unwrap();
    let mut huge = b"2026-11-24 10:00:00.000 UTC [1] LOG:  ".to_vec();
    huge.resize(40 << 20, b'y');
    let forty_mb = dir.path().join("forty-mb-line.log");
    fs::write(&forty_mb, with(huge)).unwrap();

    let case = tempfile::tempdir().unwrap();
    let (files, code, _) = ingest(case.path(), &[&ten_mb, &forty_mb]);
    assert_eq!(code, Some(0));
    let rows = files["ten-mb-line.log"]["rows"].clone();
    for name in ["ten-mb-line.log", "forty-mb-line.log"] {
        assert_eq!(files[name]["counts"]["quarantined_lines"], 1, "{}", files[name]);
        assert_eq!(files[name]["rows"], rows, "the other records are unaffected");
        let q = quarantined(case.path(), name);
        assert_eq!(q.len(), 1);
        assert_eq!(q[0]["line"], 4);
        assert!(
            q[0]["excerpt"].as_str().unwrap().len() < 1024,
            "no megabytes in the quarantine"
        );
    }
    let reason = |name| {
        quarantined(case.path(), name)[0]["reason"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(reason("ten-mb-line.log").contains("--pg-prefix"));
    assert!(reason("forty-mb-line.log").contains("32 MiB limit"));
}

#[test]
fn json_with_wrong_types_or_deep_nesting_is_quarantined_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let json = fs::read_to_string(fixture("postgresql.json")).unwrap();
    let mut lines: Vec<String> = json.lines().map(str::to_string).collect();
    let n = lines.len();
    lines.insert(
        2,
        r#"{"timestamp":12,"error_severity":"LOG","message":[1,2],"pid":"x"}"#.into(),
    );
    lines.insert(3, "[".repeat(100_000));
    fs::write(dir.path().join("wrong.json"), lines.join("\n") + "\n").unwrap();
    let mut otlp = fs::read_to_string(root().join("fixtures/otlp/traces.jsonl")).unwrap();
    let good = otlp.lines().count();
    otlp.push_str("{\"resourceSpans\":5}\n");
    otlp.push_str(&"{\"resourceSpans\":[".repeat(50_000));
    otlp.push('\n');
    otlp.push_str("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":7,\"spanId\":[]}]}]}]}\n");
    fs::write(dir.path().join("wrong.jsonl"), otlp).unwrap();

    let case = tempfile::tempdir().unwrap();
    let (files, code, stderr) = ingest(case.path(), &[dir.path()]);
    assert_eq!(code, Some(0), "{stderr}");
    let jsonlog = &files["wrong.json"];
    assert_eq!(jsonlog["kind"], "pg_jsonlog");
    assert_eq!(jsonlog["counts"]["lines_read"], n as u64 + 2);
    let q = quarantined(case.path(), "wrong.json-");
    let at: Vec<u64> = q.iter().map(|e| e["line"].as_u64().unwrap()).collect();
    assert!(at.contains(&3) && at.contains(&4), "{q:?}");
    let otlp = &files["wrong.jsonl"];
    assert_eq!(otlp["kind"], "otlp_json_lines");
    assert_eq!(otlp["counts"]["lines_read"], good as u64 + 3);
    assert!(
        otlp["counts"]["quarantined_lines"].as_u64().unwrap() >= 2,
        "the wrong type and the nesting: {otlp}"
    );
    for e in quarantined(case.path(), "wrong.jsonl") {
        assert!(e["line"].as_u64().unwrap() > good as u64, "{e}");
        assert!(!e["reason"].as_str().unwrap().is_empty());
    }
}

#[test]
fn a_file_that_grows_while_read_is_read_to_a_consistent_end() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("growing.log");
    let log = fs::read(fixture("postgresql.log")).unwrap();
    let mut seed = Vec::new();
    for _ in 0..200 {
        seed.extend_from_slice(&log);
    }
    fs::write(&path, &seed).unwrap();
    let writer = {
        let (path, log) = (path.clone(), log.clone());
        std::thread::spawn(move || {
            let mut f = fs::OpenOptions::new().append(true).open(path).unwrap();
            for _ in 0..200 {
                f.write_all(&log).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        })
    };
    let case = tempfile::tempdir().unwrap();
    let (files, code, stderr) = ingest(case.path(), &[&path]);
    writer.join().unwrap();
    assert!(matches!(code, Some(0 | 2)), "{stderr}");
    let f = &files["growing.log"];
    let read = f["counts"]["lines_read"].as_u64().unwrap();
    let per_copy = log.iter().filter(|&&b| b == b'\n').count() as u64;
    assert!(read >= 200 * per_copy, "at least what was there at the start: {f}");
    assert!(read <= 400 * per_copy, "never more than was ever written: {f}");
    // Custody describes the bytes agaudit hashed; the file itself may have moved on since.
    assert!(f["size"].as_u64().unwrap() >= seed.len() as u64);
}

#[test]
fn a_directory_with_an_unreadable_file_names_it_and_ingests_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::copy(fixture("postgresql.csv"), d.join("readable.csv")).unwrap();
    fs::write(d.join("secret.log"), b"2026-11-24 10:00:00.000 UTC [1] LOG:  x\n").unwrap();
    std::os::unix::fs::symlink(d.join("missing-target.log"), d.join("dangling.log")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(d.join("secret.log"), fs::Permissions::from_mode(0o000)).unwrap();
    fs::set_permissions(d, fs::Permissions::from_mode(0o755)).unwrap();
    let case = tempfile::tempdir().unwrap();
    fs::set_permissions(case.path(), fs::Permissions::from_mode(0o777)).unwrap();

    // Root reads a mode-000 file anyway: run as nobody when root, so that it cannot.
    // SAFETY: getuid has no preconditions.
    let root_user = unsafe { libc::getuid() } == 0;
    let agaudit = if root_user {
        Agaudit::under("setpriv", &["--reuid=65534", "--regid=65534", "--clear-groups"])
    } else {
        Agaudit::new()
    };
    let out = agaudit.args(["ingest", "--json"]).case(case.path()).arg(d).run();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for name in ["secret.log", "dangling.log"] {
        assert!(stderr.contains(name), "the error names {name}: {stderr}");
    }
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let readable = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("readable.csv"))
        .unwrap();
    assert_eq!(readable["status"], "ingested", "{readable}");
}

/// Found by fuzzing (docs/fuzzing.md): a file holding only the first 7 bytes of the capture
/// magic made the capture reader index past its end. Now it is quarantined with the reason.
#[test]
fn links_out_of_a_named_directory_and_non_regular_files_are_reported_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let (d, outside) = (dir.path().join("logs"), dir.path().join("elsewhere"));
    fs::create_dir_all(&d).unwrap();
    fs::create_dir_all(&outside).unwrap();
    fs::copy(fixture("postgresql.csv"), d.join("kept.csv")).unwrap();
    fs::copy(fixture("postgresql.log"), outside.join("private.log")).unwrap();
    std::os::unix::fs::symlink(outside.join("private.log"), d.join("out.log")).unwrap();
    std::os::unix::fs::symlink(d.join("kept.csv"), d.join("in.csv")).unwrap();
    let fifo = d.join("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let case = tempfile::tempdir().unwrap();
    let (files, code, stderr) = ingest(case.path(), &[&d]);
    // Skipped files are reported; the run still exits 0 (the directory's logs were ingested).
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(files["out.log"]["status"], "skipped", "{files:?}");
    assert!(
        files["out.log"]["message"]
            .as_str()
            .unwrap()
            .contains("symbolic link out of the named tree")
    );
    assert_eq!(files["pipe"]["status"], "skipped");
    assert!(files["pipe"]["message"].as_str().unwrap().contains("FIFO"));
    // The link inside the tree is followed; it names the same content as the file it points
    // at, so one of the two (in name order) is read and the other is a duplicate.
    assert_eq!(
        (files["in.csv"]["status"].as_str(), files["kept.csv"]["status"].as_str()),
        (Some("ingested"), Some("duplicate"))
    );
    // Nothing of the file outside was read: the case never names the link.
    let everything = super::everything_written(case.path(), &[]);
    assert!(!everything.contains("out.log"), "the link out of the tree was followed");
    // Named on the command line, a FIFO is an error: the user asked for it.
    let (files, code, _) = ingest(case.path(), &[&fifo]);
    assert_eq!((code, files["pipe"]["status"].as_str()), (Some(2), Some("error")));
}

#[test]
fn a_file_cut_inside_the_capture_magic_is_quarantined_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.cap");
    fs::write(&cut, b"AGCAPT\x00").unwrap();
    let case = tempfile::tempdir().unwrap();
    let (files, _, stderr) = ingest(case.path(), &[&cut]);
    assert_eq!(files["cut.cap"]["counts"]["quarantined_lines"], 1, "{stderr}");
    let q = quarantined(case.path(), "cut.cap");
    assert!(
        q[0]["reason"]
            .as_str()
            .unwrap()
            .contains("ends inside the capture magic"),
        "{q:?}"
    );
}

/// Records between 16 and 32 MiB are rows: the limit is per record, not shared with the record
/// before (the framer used to keep only what the previous record left of it).
#[test]
fn records_up_to_the_documented_limit_are_rows_whatever_came_before() {
    let dir = tempfile::tempdir().unwrap();
    let json = fs::read_to_string(fixture("postgresql.json")).unwrap();
    let audit = json.lines().find(|l| l.contains("AUDIT: ")).unwrap();
    let v: Value = serde_json::from_str(audit).unwrap();
    let mut big = v.clone();
    // A 20 MiB statement inside the AUDIT message (still a valid pgAudit record).
    let message = v["message"].as_str().unwrap();
    let (head, tail) = message.split_at(message.find(",<").unwrap());
    big["message"] = Value::String(format!("{head} {}{tail}", "/*x*/".repeat(4 << 20)));
    let big = serde_json::to_string(&big).unwrap();
    assert!(big.len() > 20 << 20 && big.len() < 32 << 20);
    let file = dir.path().join("two-big-records.json");
    fs::write(&file, format!("{big}\n{big}\n{audit}\n")).unwrap();
    let case = tempfile::tempdir().unwrap();
    let (files, code, stderr) = ingest(case.path(), &[&file]);
    assert_eq!(code, Some(0), "{stderr}");
    let f = &files["two-big-records.json"];
    assert_eq!(f["rows"], 3, "{f}");
    assert_eq!(f["counts"]["quarantined_lines"], 0, "{f}");
}

/// A file of garbage quarantines its first 1,000 lines with reasons and counts the rest per
/// reason: the quarantine stays proportionate, the counts still add up, and a file that gave no
/// rows and quarantined its lines is unusable (exit 2, with what to pass).
#[test]
fn quarantine_is_proportionate_and_a_file_with_nothing_usable_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..20_000 {
        text.push_str(&format!(
            "2026-11-24 10:00:{:02}.000 UTC [{i}] no severity keyword here {i}\n",
            i % 60
        ));
        text.push_str(&format!(
            "2026-11-24 10:00:{:02}.000 UTC [{i}] LOG:  fine {i}\n",
            i % 60
        ));
    }
    let file = dir.path().join("garbage.log.gz");
    fs::write(&file, gzip(text.as_bytes())).unwrap();
    let case = tempfile::tempdir().unwrap();
    let (files, code, stderr) = ingest(case.path(), &[&file]);
    assert_eq!(code, Some(2), "{stderr}");
    let f = &files["garbage.log.gz"];
    assert_eq!(f["status"], "unusable", "{f}");
    assert_eq!(f["counts"]["quarantined_lines"], 20_000);
    assert!(f["message"].as_str().unwrap().contains("--pg-prefix"), "{f}");
    assert!(
        stderr.contains("garbage.log.gz") && stderr.contains("unusable"),
        "{stderr}"
    );
    let q = quarantined(case.path(), "garbage.log.gz");
    let listed = q.iter().filter(|e| e.get("line").is_some()).count();
    assert_eq!(listed, 1000);
    let counted: u64 = q
        .iter()
        .filter(|e| e.get("first_line").is_some())
        .map(|e| e["lines"].as_u64().unwrap())
        .sum();
    assert_eq!(counted, 19_000, "{:?}", q.last());
    let size = walk(&case.path().join("quarantine"))
        .iter()
        .map(|p| fs::metadata(p).unwrap().len())
        .sum::<u64>();
    assert!(size < 1 << 20, "the quarantine holds {size} bytes");
}

/// An unrecognised file makes ingest exit 2 too; the other files are still ingested.
#[test]
fn an_unrecognised_file_is_an_input_error_and_the_rest_is_ingested() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("notes.txt"), "nothing a log would hold\n").unwrap();
    fs::copy(fixture("postgresql.csv"), dir.path().join("postgresql.csv")).unwrap();
    let case = tempfile::tempdir().unwrap();
    let (files, code, stderr) = ingest(case.path(), &[dir.path()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(files["notes.txt"]["status"], "unrecognised");
    assert_eq!(files["postgresql.csv"]["status"], "ingested");
    assert!(stderr.contains("notes.txt"), "{stderr}");
}

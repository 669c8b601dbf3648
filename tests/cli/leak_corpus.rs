//! The leak corpus test: fixtures/leak/ (scripts/fixtures/leak_corpus.py) holds a unique canary
//! in every field of every input kind, written by the real software that writes those inputs —
//! PostgreSQL + pgAudit in every log format and envelope, the OpenTelemetry SDK at every level
//! of traces and logs, the MCP SDK over stdio, ebpf-capture, a policy, file names. Every
//! command runs on it (see leak::run_every_command); no canary's core may appear in anything
//! written or printed, Parquet decoded, bundle unpacked. A capture as a tool that scans nothing
//! would write it (every string field carrying a canary) is added here, for agaudit's own scan.
//!
//! canaries.json says, for each canary, where it was planted; a leak names it.

use std::fs;
use std::path::PathBuf;

use agaudit_capture_format::{self as capture, Event, Header, Kind, Trailer};
use serde_json::Value;

use super::leak::{around, run_every_command};
use super::{root, walk};

/// The committed corpus, or a fresh one when AGAUDIT_LEAK_CORPUS points at a live run of the
/// generator (scripts/test).
fn corpus() -> PathBuf {
    std::env::var_os("AGAUDIT_LEAK_CORPUS").map_or_else(|| root().join("fixtures/leak"), PathBuf::from)
}

/// A planted canary: its core (what is searched for, lower case) and where it was planted.
struct Canary {
    core: String,
    planted: String,
}

/// A secret-shaped canary of this test (numbers from 9001: the generator's stay below).
fn secret(n: u32) -> String {
    let core = format!("Leak{n:04}Canary");
    format!("ghp_{core}{}", "Q".repeat(36 - core.len()))
}

/// A value canary of this test (`zqxleakz…`: the generator's never start with z).
fn value(n: u32) -> String {
    format!("zqxleakz{}", char::from(b'a' + (n % 26) as u8))
}

/// A capture whose every string field carries a canary, credentials on command lines
/// included, as a recorder that redacts nothing would write it. Returns the file's bytes and
/// the canaries.
fn raw_capture() -> (Vec<u8>, Vec<Canary>) {
    let mut planted = Vec::new();
    let mut s = |n: u32, what: &str| {
        let t = secret(n);
        planted.push(Canary {
            core: format!("leak{n:04}canary"),
            planted: format!("raw capture: {what}"),
        });
        t
    };
    let header = Header {
        version: 1,
        tool_version: s(9001, "header tool_version"),
        host: s(9002, "header host"),
        kernel_release: s(9003, "header kernel_release"),
        boot_id: s(9004, "header boot_id"),
        boot_ns: 1_000_000_000,
        wall_ns: 1_795_496_056_000_000_000,
        filter: format!("command leaky {}", s(9005, "header filter")),
        env_allow: vec!["AGENT_ID".into(), s(9006, "header env_allow")],
    };
    let base = Event {
        ts: 1_000_000_100,
        pid: 4243,
        tid: 4243,
        ppid: 1,
        uid: 1000,
        comm: "leaky".into(),
        ..Event::default()
    };
    let mut events = vec![
        Event {
            kind: Some(Kind::Exec),
            path: Some(format!("/opt/{}/bin/leaky", s(9007, "exec path"))),
            argv: Some(vec![
                "/opt/bin/leaky".into(),
                s(9008, "argv element"),
                "--password".into(),
                value(0),
                "-u".into(),
                format!("svc:{}", value(1)),
                format!("--token={}", value(2)),
                format!("postgresql://app:{}@db/app", value(3)),
            ]),
            env: Some(vec![
                ("AGENT_ID".into(), s(9009, "env value")),
                (s(9010, "env key"), "x".into()),
            ]),
            ..base.clone()
        },
        Event {
            kind: Some(Kind::Exec),
            ts: base.ts + 5,
            path: Some("/usr/bin/mysql".into()),
            argv: Some(vec!["mysql".into(), "-uroot".into(), format!("-p{}", value(4))]),
            ..base.clone()
        },
        Event {
            kind: Some(Kind::Open),
            ts: base.ts + 10,
            // Cut to 15 bytes like the kernel's comm: a cut secret is no canary.
            comm: secret(9011).chars().take(15).collect(),
            path: Some(format!("/srv/{}/notes.txt", s(9012, "opened path"))),
            fd: Some(3),
            flags: Some(0o101),
            result: Some(3),
            ..base.clone()
        },
        Event {
            kind: Some(Kind::Rename),
            ts: base.ts + 20,
            path: Some(format!("/srv/{}.tmp", s(9013, "rename old path"))),
            new_path: Some(format!("/srv/{}", s(9014, "rename new path"))),
            result: Some(0),
            ..base.clone()
        },
        Event {
            kind: Some(Kind::Connect),
            ts: base.ts + 30,
            family: Some(1),
            addr: Some(format!("/run/{}.sock", s(9015, "AF_UNIX address"))),
            result: Some(0),
            ..base.clone()
        },
        Event {
            kind: Some(Kind::Write),
            ts: base.ts + 40,
            path: Some(format!("/srv/{}/out.txt", s(9016, "written path"))),
            fd: Some(4),
            bytes: Some(10),
            calls: Some(1),
            flush: Some(s(9017, "write flush reason")),
            ..base.clone()
        },
    ];
    let mut out = capture::encode_start(&header);
    for e in events.drain(..) {
        out.extend(capture::encode_event(&e));
    }
    out.extend(capture::encode_trailer(&Trailer {
        counts: vec![("exec".into(), 2), (s(9018, "trailer count name"), 1)],
        lost: 0,
        stopped_wall_ns: 1_795_496_057_000_000_000,
        reason: s(9019, "trailer reason"),
    }));
    for n in 0..5 {
        planted.push(Canary {
            core: value(n),
            planted: "raw capture: a credential on a command line".into(),
        });
    }
    (out, planted)
}

/// The corpus's canaries, after checking that each one planted in an input is there (and that
/// the ones ebpf-capture was handed are not in its capture).
fn corpus_canaries() -> (String, Vec<Canary>) {
    let text = fs::read_to_string(corpus().join("canaries.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let mut raw = String::new();
    for path in walk(&corpus().join("inputs"))
        .into_iter()
        .chain(walk(&corpus().join("policy")))
    {
        raw.push_str(&path.to_string_lossy());
        raw.push('\n');
        raw.push_str(&String::from_utf8_lossy(&fs::read(&path).unwrap()));
    }
    let raw = raw.to_lowercase();
    let cap = String::from_utf8_lossy(&fs::read(corpus().join("inputs/capture/leak.cap")).unwrap()).to_lowercase();
    let mut canaries = Vec::new();
    for c in doc["canaries"].as_array().unwrap() {
        let core = c["core"].as_str().unwrap().to_string();
        let planted = c["planted"].as_str().unwrap().to_string();
        if c["in_input"].as_bool().unwrap() {
            assert!(raw.contains(&core), "the corpus lost its canary {core} ({planted})");
        } else {
            assert!(
                !cap.contains(&core),
                "ebpf-capture wrote {core} ({planted}) into its capture"
            );
        }
        canaries.push(Canary { core, planted });
    }
    assert!(canaries.len() >= 100, "the corpus holds {} canaries", canaries.len());
    (doc["pg_prefix"].as_str().unwrap().to_string(), canaries)
}

/// Every `leak9999canary` in `text` (lower case): a canary of any origin, listed or not.
fn any_secret_canary(text: &str) -> Option<&str> {
    text.match_indices("canary").find_map(|(i, _)| {
        let start = i.checked_sub(8)?;
        let head = text.get(start..i)?;
        (head.starts_with("leak") && head[4..].bytes().all(|b| b.is_ascii_digit())).then(|| &text[start..i + 6])
    })
}

#[test]
fn no_canary_of_the_leak_corpus_reaches_any_output() {
    let (prefix, mut canaries) = corpus_canaries();
    let dir = tempfile::TempDir::new().unwrap();
    let (cap, raw) = raw_capture();
    canaries.extend(raw);
    let raw_cap = dir.path().join("raw-capture.cap");
    fs::write(&raw_cap, cap).unwrap();
    let inputs = corpus().join("inputs");
    let (policy, broken) = (corpus().join("policy/policy.hcl"), corpus().join("policy/broken.hcl"));
    let (report, written) = run_every_command(dir.path(), &[&inputs, &raw_cap], &prefix, &[&policy, &broken]);

    // Every file was read as what it is: a canary in a file nothing parsed proves nothing.
    let files = report["files"].as_array().unwrap();
    assert!(files.len() >= 25, "{} files", files.len());
    for f in files {
        assert_eq!(f["status"], "ingested", "{f}");
        assert_eq!(f["counts"]["quarantined_lines"].as_u64(), Some(0), "{f}");
    }

    let written = written.to_lowercase();
    let leaks: Vec<String> = canaries
        .iter()
        .filter_map(|c| around(&written, &c.core).map(|at| format!("{} ({}): …{at:?}…", c.core, c.planted)))
        .collect();
    assert!(
        leaks.is_empty(),
        "{} canaries leaked:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
    assert_eq!(around(&written, "zqxleak"), None, "a value canary leaked");
    assert_eq!(any_secret_canary(&written), None, "a secret canary leaked");

    // Every field of the ledger every command wrote to has its redaction class declared.
    let ledger = fs::read_to_string(dir.path().join("case-AKIALEAK9021CANARYQQ/ledger/ledger.log")).unwrap();
    let mut kinds = std::collections::BTreeSet::new();
    for line in ledger.lines() {
        for (key, value) in agaudit_verify::ledger::fields(line).unwrap() {
            if key == "kind" {
                kinds.insert(value);
            } else if !["seq", "ts", "prev", "hash"].contains(&key) {
                assert!(
                    agaudit::ledger::field_class(key).is_some(),
                    "ledger field {key} has no redaction class in ledger::FIELDS"
                );
            }
        }
    }
    assert!(kinds.len() >= 5, "the ledger holds records of every stage: {kinds:?}");
}

#[test]
fn the_canary_finder_finds_canaries() {
    assert_eq!(any_secret_canary("x ghp_leak0042canaryqq y"), Some("leak0042canary"));
    assert_eq!(any_secret_canary("a leak canary, leak00x2canary"), None);
    let (_, planted) = raw_capture();
    assert!(planted.iter().any(|c| c.core == "leak9005canary"));
}

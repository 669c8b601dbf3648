//! Output that fits: the demo read in real terminals of 80 and 120 columns (tmux), tables at any
//! width never wider than it, CSV every column whole, colour only when asked, and a pager only
//! for output longer than the screen.

use std::path::Path;
use std::process::Command;

use super::diff::readme_case;
use super::util::{Agaudit, text};

/// The demo in a tmux pane `width` columns wide: what the terminal shows, wrapped lines joined
/// back (`capture-pane -J`), so a line longer than the width is one the terminal had to break.
fn demo_in_tmux(width: usize, dir: &Path) -> String {
    let socket = format!("agaudit-test-{}-{width}", std::process::id());
    let case = dir.join(format!("demo{width}"));
    let command = format!(
        "{} demo --case {}; echo DEMO-DONE-$?; sleep 600",
        env!("CARGO_BIN_EXE_agaudit"),
        case.display()
    );
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null"])
            .args(args)
            .env_remove("COLUMNS")
            .env_remove("NO_COLOR")
            .output()
            .expect("tmux runs (scripts/test installs it)")
    };
    let w = width.to_string();
    let o = tmux(&["new-session", "-d", "-x", &w, "-y", "50", "-s", "demo", &command]);
    assert!(o.status.success(), "{}", text(&o));
    tmux(&["set-option", "-g", "history-limit", "50000"]);
    let mut screen = String::new();
    for _ in 0..240 {
        std::thread::sleep(std::time::Duration::from_millis(500));
        let o = tmux(&["capture-pane", "-p", "-J", "-S", "-", "-t", "demo"]);
        screen = String::from_utf8_lossy(&o.stdout).into_owned();
        if screen.contains("DEMO-DONE-") {
            break;
        }
    }
    tmux(&["kill-server"]);
    assert!(
        screen.contains("DEMO-DONE-0"),
        "the demo finished at {width} columns:\n{screen}"
    );
    screen
}

#[test]
fn the_demo_fits_terminals_of_80_and_120_columns() {
    let dir = tempfile::tempdir().unwrap();
    for width in [80, 120] {
        let screen = demo_in_tmux(width, dir.path());
        let over: Vec<&str> = screen.lines().filter(|l| l.chars().count() > width).collect();
        assert!(
            over.is_empty(),
            "{width} columns: lines the terminal had to break:\n{}",
            over.join("\n")
        );
        for section in ["== 3. contradictions", "== 5. the access map", "Result: valid"] {
            assert!(screen.contains(section), "{width}: {section}");
        }
        // Colour on a terminal: the pane shows the severity; no escape code leaks as text.
        assert!(!screen.contains("\u{1b}[") && screen.contains("critical"));
    }
}

fn view(case: &Path, args: &[&str]) -> std::process::Output {
    Agaudit::new().args(args).arg("--no-record").case(case).at_root().run()
}

#[test]
fn every_view_fits_the_width_it_is_given_and_csv_keeps_every_column() {
    let dir = readme_case();
    let case = dir.path();
    for width in ["60", "80", "100", "140"] {
        for v in ["log", "diff", "map", "inventory"] {
            let o = view(case, &[v, "--width", width]);
            let w: usize = width.parse().unwrap();
            let out = String::from_utf8_lossy(&o.stdout);
            let over: Vec<&str> = out.lines().filter(|l| l.chars().count() > w).collect();
            assert!(over.is_empty(), "{v} at {width}: {}", over.join("\n"));
        }
    }
    // CSV: the header and one row per record, every column whole, read by Python's csv module.
    let o = view(case, &["log", "--format", "csv", "--kind", "action"]);
    let records = Agaudit::new()
        .args(["log", "--json", "--kind", "action", "--no-record"])
        .case(case)
        .run();
    let n = String::from_utf8_lossy(&records.stdout).lines().count();
    let check = Command::new("python3")
        .args(["-c", "import csv, sys; rows = list(csv.reader(sys.stdin)); print(len(rows) - 1, ','.join(rows[0]), max(len(c) for r in rows for c in r))"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(&o.stdout)?;
            c.wait_with_output()
        })
        .unwrap();
    let summary = String::from_utf8_lossy(&check.stdout);
    let mut parts = summary.split_whitespace();
    assert_eq!(parts.next(), Some(n.to_string().as_str()), "{summary}");
    assert_eq!(
        parts.next(),
        Some("seq,ts,kind,agent,tool,resource,op,outcome,conf,policy,detail,hash"),
        "{summary}"
    );
    assert!(
        parts.next().unwrap().parse::<usize>().unwrap() >= 64,
        "full hashes in CSV: {summary}"
    );
}

#[test]
fn colour_only_when_asked_and_never_under_no_color() {
    let dir = readme_case();
    let case = dir.path();
    let esc = |o: &std::process::Output| o.stdout.contains(&0x1b);
    assert!(esc(&view(case, &["diff", "--color", "always", "--width", "200"])));
    assert!(!esc(&view(case, &["diff", "--color", "never", "--width", "200"])));
    assert!(!esc(&view(case, &["diff", "--width", "200"])), "auto: not a terminal");
    // In a terminal (script(1) gives one): colour by default, none under NO_COLOR.
    let in_tty = |env: &str| {
        let cmd = format!(
            "{env} {} diff --case {} --no-record --width 200",
            env!("CARGO_BIN_EXE_agaudit"),
            case.display()
        );
        Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .env_remove("NO_COLOR")
            .output()
            .unwrap()
    };
    assert!(esc(&in_tty("")), "a terminal gets colour");
    assert!(!esc(&in_tty("NO_COLOR=1")), "NO_COLOR is honoured");
}

#[test]
fn long_output_goes_through_the_pager_on_a_terminal_only() {
    let dir = readme_case();
    let case = dir.path();
    let in_tty = |extra: &str| {
        let cmd = format!(
            "stty rows 10 cols 100; PAGER='sed s/^/paged:/' {} log --case {} --no-record {extra}",
            env!("CARGO_BIN_EXE_agaudit"),
            case.display()
        );
        let o = Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    assert!(in_tty("").contains("paged:"), "longer than 10 rows: paged");
    assert!(!in_tty("--no-pager").contains("paged:"), "--no-pager");
    assert!(!in_tty("--kind policy").contains("paged:"), "one screen: not paged");
    let piped = view(case, &["log"]);
    assert!(!String::from_utf8_lossy(&piped.stdout).contains("paged:"));
}

/// Long runs show their progress on a terminal (a pty from util-linux `script`), and nothing of
/// it reaches a pipe, where it would only be noise in a log.
#[test]
fn ingest_and_correlate_show_progress_on_a_terminal_and_not_in_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let bin = env!("CARGO_BIN_EXE_agaudit");
    let run = |case: &Path, in_pty: bool| {
        let ingest = format!(
            "{bin} ingest --case {} {root}/fixtures/pgaudit {root}/fixtures/otlp",
            case.display()
        );
        let correlate = format!(
            "{bin} correlate --case {} --policy {root}/fixtures/policy/agents.hcl",
            case.display()
        );
        [ingest, correlate].map(|command| {
            let o = if in_pty {
                Command::new("script")
                    .args(["-q", "-e", "-c", &command, "/dev/null"])
                    .env("TERM", "xterm")
                    .output()
                    .expect("script runs (util-linux)")
            } else {
                Command::new("sh").args(["-c", &command]).output().unwrap()
            };
            // `script` puts the terminal's stdout and stderr together on its stdout.
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            )
        })
    };
    let [ingest, correlate] = run(&dir.path().join("tty"), true);
    assert!(
        ingest.contains("ingest [") && ingest.contains(" KiB/") && ingest.contains(" eta "),
        "{ingest}"
    );
    // Counted in evidence rows (those of the tables correlate reads); indicatif draws at most
    // 20 frames a second, so which stage names a quick run shows is left open.
    assert!(
        correlate.contains("correlate [") && correlate.contains(" events "),
        "{correlate}"
    );
    for piped in run(&dir.path().join("pipe"), false) {
        assert!(!piped.contains(" eta ") && !piped.contains('\r'), "{piped}");
    }
}

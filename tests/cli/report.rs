//! `agaudit report` in a real browser: Debian's chromium renders the demo's page headless at
//! 1280 and 390 pixels (screenshots kept as test artefacts), its DOM holds every finding of
//! `diff --json` and every agent of `map --json` and both pictures, and its network log shows
//! no request from the page (a page that does load something is caught the same way).

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::util::{Agaudit, text};

/// Headless chromium with its own background traffic (updates, accounts, time) turned off as
/// far as flags allow; what remains of it is from google hosts, told apart in `page_requests`.
fn chromium(args: &[&str]) -> std::process::Output {
    Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-default-apps",
            "--disable-domain-reliability",
            "--disable-breakpad",
        ])
        .args(args)
        .output()
        .expect("chromium runs (scripts/test installs Debian's chromium)")
}

/// URLs the page itself requested, from chromium's network log.
fn page_requests(netlog: &Path) -> Vec<String> {
    let log: Value = serde_json::from_slice(&std::fs::read(netlog).unwrap()).unwrap();
    let browser_own = ["google.com/", "googleapis.com/", "gvt1.com/"];
    let mut urls: Vec<String> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["params"]["url"].as_str().map(str::to_string))
        .filter(|u| !u.starts_with("file://") && !u.starts_with("data:"))
        .filter(|u| !browser_own.iter().any(|h| u.contains(h)))
        .collect();
    urls.sort();
    urls.dedup();
    urls
}

#[test]
fn the_report_renders_everything_and_requests_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let o = Agaudit::new().args(["demo", "--case"]).arg(&demo).expect(0);
    let report = demo.join("report.html");
    assert!(
        text(&o).contains(&format!("report: {}", report.display())),
        "{}",
        text(&o)
    );
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.contains("Content-Security-Policy") && html.contains("default-src 'none'"));

    let url = format!("file://{}", report.display());
    let artefacts = Path::new(env!("CARGO_TARGET_TMPDIR"));
    for width in [1280, 390] {
        let png = artefacts.join(format!("report-{width}.png"));
        let _ = std::fs::remove_file(&png);
        let o = chromium(&[
            &format!("--screenshot={}", png.display()),
            &format!("--window-size={width},2400"),
            &url,
        ]);
        assert!(
            png.metadata().is_ok_and(|m| m.len() > 10_000),
            "{}: {}",
            png.display(),
            text(&o)
        );
    }
    let netlog = dir.path().join("net.json");
    let o = chromium(&[&format!("--log-net-log={}", netlog.display()), "--dump-dom", &url]);
    let dom = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        dom.contains("<svg class=\"access-map\"") && dom.contains("<svg class=\"timeline\""),
        "both pictures"
    );
    assert_eq!(
        page_requests(&netlog),
        Vec::<String>::new(),
        "the page requested nothing"
    );

    // What the terminal views say is what the page shows.
    let case = demo.join("case");
    let view = |args: &[&str]| -> Value {
        let o = Agaudit::new()
            .args(args)
            .args(["--json", "--no-record"])
            .case(&case)
            .run();
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {}", text(&o)))
    };
    let findings = view(&["diff"]);
    let findings = findings["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        let id = f["finding_id"].as_str().unwrap();
        assert!(
            dom.contains(&format!("data-finding=\"{id}\"")),
            "finding {id} is on the page"
        );
    }
    let map = view(&["map"]);
    let mut agents: Vec<&str> = map["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["agent"].as_str().unwrap())
        .collect();
    agents.dedup();
    for a in agents {
        assert!(
            dom.contains(&format!("<title>{a}</title>")),
            "agent {a} is in the access map"
        );
    }

    // The same network check catches a page that does load something.
    let leaky = dir.path().join("leaky.html");
    std::fs::write(
        &leaky,
        "<html><body><img src=\"http://example.invalid/x.png\"></body></html>",
    )
    .unwrap();
    let netlog = dir.path().join("net-leaky.json");
    chromium(&[
        &format!("--log-net-log={}", netlog.display()),
        "--dump-dom",
        &format!("file://{}", leaky.display()),
    ]);
    assert_eq!(page_requests(&netlog), ["http://example.invalid/x.png"]);
}

//! `agaudit demo`: the whole pipeline on a data set embedded in the binary.
//!
//! A new user's first question is "what does it find?", before they have wired up any logs.
//! The demo writes the embedded fixtures (one live run of the fixture workload: PostgreSQL 15 +
//! pgAudit in all three log formats, the MCP server's and agents' OTLP telemetry, Claude Code's
//! events, the MCP traffic with its tools/list listings, and ebpf-capture recordings of the MCP
//! server) and the fixture policy into the case directory, then runs ingest, correlate, diff,
//! map, keygen (a throw-away key), export and verify through the same code as the commands, and
//! prints what an auditor looks at first.
//!
//! In: an optional case directory. Out: the case, a bundle and its key in that directory, and a
//! report on stdout. Exit 0 when every stage ran and the bundle verified.

use super::args::{CaseArgs, JsonArgs, RecordedPolicyArgs, ShowArgs, ViewArgs, ViewerArgs};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;

use super::{EXIT_OK, diff::FailOn};
use crate::case::Case;
use crate::table::actions::{ActionRow, ActionsView, Verdict, actor};
use crate::table::read;

/// Run the whole pipeline on embedded demo data and show what an auditor sees first.
///
/// Writes the demo's logs (real PostgreSQL + pgAudit, OpenTelemetry, MCP and ebpf-capture
/// output from the fixture generators) and its policy into the case directory, then ingests,
/// correlates, compares tool claims with observations, builds the access map, exports an
/// evidence bundle signed with a throw-away key and verifies it. Shows the contradictions, the
/// policy violations (blocked and not blocked), the access map, the inventory of agents and the
/// principals they were seen through (a role of their own, short-lived Vault leases), the
/// unattributed actions, and where the bundle and its public key are, and writes the HTML
/// report (report.html). A directory left by an earlier demo is replaced; any other existing
/// directory is refused.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Case directory for the demo (default: agaudit-demo in the system's temporary directory).
    #[arg(long, value_name = "DIR")]
    pub case: Option<PathBuf>,

    /// Width of the tables in characters (default: the terminal's, else $COLUMNS, else 100).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(40..))]
    pub width: Option<u16>,

    /// Colour severities, verdicts and refusals: auto (on a terminal, unless NO_COLOR is set),
    /// always or never.
    #[arg(long, value_enum, value_name = "WHEN", default_value = "auto")]
    pub color: crate::output::ColorChoice,
}

/// Marks a directory the demo made, so only such a directory is ever replaced.
const MARKER: &str = ".agaudit-demo";

/// The embedded data set: (file name, bytes). The policy is the fixture estate's.
const INPUTS: &[(&str, &[u8])] = &[
    (
        "postgresql.log",
        include_bytes!("../../fixtures/pgaudit/postgresql.log"),
    ),
    (
        "postgresql.csv",
        include_bytes!("../../fixtures/pgaudit/postgresql.csv"),
    ),
    (
        "postgresql.json",
        include_bytes!("../../fixtures/pgaudit/postgresql.json"),
    ),
    ("traces.jsonl", include_bytes!("../../fixtures/otlp/traces.jsonl")),
    ("logs.jsonl", include_bytes!("../../fixtures/otlp/logs.jsonl")),
    (
        "claude-code-logs.jsonl",
        include_bytes!("../../fixtures/otlp/claude-code-logs.jsonl"),
    ),
    ("traffic.jsonl", include_bytes!("../../fixtures/mcp/traffic.jsonl")),
    (
        "traffic-code-helper.jsonl",
        include_bytes!("../../fixtures/mcp/traffic-code-helper.jsonl"),
    ),
    (
        "traffic-data-export.jsonl",
        include_bytes!("../../fixtures/mcp/traffic-data-export.jsonl"),
    ),
    ("tools-list.json", include_bytes!("../../fixtures/mcp/tools-list.json")),
    (
        "mcp-traffic.cap",
        include_bytes!("../../fixtures/capture/mcp-traffic.cap"),
    ),
    (
        "mcp-traffic-code-helper.cap",
        include_bytes!("../../fixtures/capture/mcp-traffic-code-helper.cap"),
    ),
    (
        "mcp-traffic-data-export.cap",
        include_bytes!("../../fixtures/capture/mcp-traffic-data-export.cap"),
    ),
];
const POLICY: &[u8] = include_bytes!("../../fixtures/policy/agents.hcl");
/// The fixture server's log_line_prefix.
const PG_PREFIX: &str = "%m [%p] %q%u@%d app=%a client=%h session=%c sqlstate=%e ";

pub fn run(args: DemoArgs) -> anyhow::Result<u8> {
    let dir = args.case.unwrap_or_else(|| std::env::temp_dir().join("agaudit-demo"));
    prepare(&dir)?;
    let logs = dir.join("demo-input");
    std::fs::create_dir_all(&logs).with_context(|| format!("cannot create {}", logs.display()))?;
    let mut paths = Vec::new();
    for (name, bytes) in INPUTS {
        let p = logs.join(name);
        std::fs::write(&p, bytes).with_context(|| format!("cannot write {}", p.display()))?;
        paths.push(p);
    }
    let policy = dir.join("demo-policy.hcl");
    std::fs::write(&policy, POLICY).with_context(|| format!("cannot write {}", policy.display()))?;

    let case = dir.join("case");
    let case_args = CaseArgs { case: case.clone() };
    let viewer = ViewerArgs {
        viewer: Some("agaudit demo".into()),
        no_record: false,
    };
    // The demo's views print one after another: tables fitted to the screen, never paged.
    let show = ShowArgs {
        json: false,
        format: None,
        width: args.width,
        color: args.color,
        no_pager: true,
    };
    let screen = show.screen(false);
    let width = screen.look.width;
    let view = ViewArgs {
        policy: RecordedPolicyArgs { policy: None },
        output: show,
        viewer: viewer.clone(),
    };
    heading(
        "1. ingest: the estate's own logs, parsed, redacted, kept with their blake3",
        width,
    );
    let labels = [("server", "prod-postgres"), ("mcp_server", "reporting")]
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .into_iter()
        .collect();
    let report = crate::ingest::run(&crate::ingest::Options {
        paths,
        case_dir: case.clone(),
        pg_prefix: Some(PG_PREFIX.to_string()),
        log_timezone: None,
        labels,
        progress: false,
    })
    .context("demo ingest failed")?;
    let files = report.files.len();
    let failed = report.files.iter().filter(|f| f.status.is_error()).count();
    if failed > 0 {
        bail!("{failed} of the demo's {files} files could not be ingested: this build's embedded data is broken");
    }
    crate::say!(
        "{}",
        crate::output::wrap(
            &format!(
                "{files} files from PostgreSQL+pgAudit, OpenTelemetry, MCP and ebpf-capture ingested into {}",
                case.display()
            ),
            width
        )
    );

    heading(
        "2. correlate: who did what, judged against the policy, into the hash-chained ledger",
        width,
    );
    let loaded = super::policy::load(&policy)?;
    let summary = {
        // The case stays locked while this is open; the later stages open it themselves.
        let opened = Case::open(&case)?;
        let manifest = opened.load_manifest()?;
        let name = policy.display().to_string();
        let (summary, _) = crate::correlate::run(
            &opened,
            &manifest,
            &loaded.in_force(&name),
            None,
            &indicatif::ProgressBar::hidden(),
        )
        .context("demo correlate failed")?;
        summary
    };
    crate::output::correlate_page(&summary).show(&screen);

    heading(
        "3. contradictions: what each MCP tool claimed against what it was seen doing",
        width,
    );
    super::diff::run(super::diff::DiffArgs {
        case: case_args.clone(),
        output: show,
        fail_on: FailOn::None,
        viewer: viewer.clone(),
        signing: super::args::CheckpointKeyArgs {
            key: None,
            password_file: None,
        },
    })?;

    heading(
        "4. policy violations: blocked (the control worked) and not blocked (it failed)",
        width,
    );
    violations(&case, &screen)?;

    heading(
        "5. the access map: granted against observed, per agent and resource",
        width,
    );
    super::map::run(super::map::MapArgs {
        case: case_args.clone(),
        agent: None,
        view: view.clone(),
    })?;

    heading(
        "6. inventory: every agent, the principals it was seen through (its own role, Vault leases), and what each source covers",
        width,
    );
    super::inventory::run(super::inventory::InventoryArgs {
        case: case_args.clone(),
        view,
    })?;

    heading(
        "7. unattributed: actions nothing ties to an agent, per database role or uid",
        width,
    );
    if summary.unattributed_by_principal.is_empty() {
        crate::say!("none");
    }
    for (principal, n) in &summary.unattributed_by_principal {
        crate::say!("{n:>5}  {principal}");
    }

    heading(
        "8. evidence bundle: signed with a throw-away key, verified as an auditor would",
        width,
    );
    let key = dir.join("demo-key");
    super::keygen::run(super::keygen::KeygenArgs {
        out: key.clone(),
        no_password: true,
        password_file: None,
    })?;
    let bundle = dir.join("bundle.tar");
    super::export::run(super::export::ExportArgs {
        case: case_args.clone(),
        key: key.with_extension("key"),
        out: bundle.clone(),
        since: None,
        until: None,
        agent: None,
        password_file: None,
    })?;
    let pubkey = key.with_extension("pub");
    let code = super::verify::run(super::verify::VerifyArgs {
        bundle: bundle.clone(),
        pubkey: pubkey.clone(),
        against: None,
        output: JsonArgs { json: false },
    })?;
    if code != EXIT_OK {
        bail!("the demo bundle did not verify (exit {code}): this is a bug, please report it");
    }
    heading(
        "9. the report: one page for people who will not run a command line",
        width,
    );
    let report = dir.join("report.html");
    super::report::run(super::report::ReportArgs {
        case: case_args,
        out: Some(report.clone()),
        bundle: Some(bundle.clone()),
        pubkey: Some(pubkey.clone()),
        policy: RecordedPolicyArgs { policy: None },
        viewer,
    })?;
    crate::say!(
        "\nbundle: {}\nverify it yourself: agaudit-verify {} --pubkey {}\nreport: {}",
        bundle.display(),
        bundle.display(),
        pubkey.display(),
        report.display()
    );
    crate::say!("explore the case: agaudit log --case {}", case.display());
    Ok(EXIT_OK)
}

/// Makes `dir` ready: absent, or an earlier demo's (replaced). Anything else is refused.
fn prepare(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        if !dir.join(MARKER).is_file() {
            bail!(
                "{} exists and was not made by agaudit demo: give --case a new directory",
                dir.display()
            );
        }
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot remove the earlier demo at {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(dir.join(MARKER), b"made by agaudit demo; replaced by the next one\n")
        .with_context(|| format!("cannot write into {}", dir.display()))?;
    Ok(())
}

fn heading(text: &str, width: usize) {
    crate::say!("\n{}", crate::output::wrap(&format!("== {text}"), width));
}

/// Violations grouped per verdict, actor, violation and resource, with counts.
fn violations(case: &Path, screen: &crate::output::Screen) -> anyhow::Result<()> {
    use std::collections::BTreeMap;
    let mut groups: BTreeMap<(String, String, String, String), u64> = BTreeMap::new();
    for b in &read::derived(case, ActionRow::TABLE)? {
        let v = ActionsView::of(b)?;
        for i in 0..v.num_rows {
            let Some(violation) = v.violation.get(i) else { continue };
            let actor = actor(v.agent.get(i), v.session.get(i), v.principal.get(i));
            let blocked = if v.verdict.get(i) == Verdict::ViolationRefused {
                "blocked"
            } else {
                "NOT blocked"
            };
            let key = (
                blocked.to_string(),
                actor,
                violation.to_string(),
                v.resource.get(i).to_string(),
            );
            *groups.entry(key).or_default() += 1;
        }
    }
    if groups.is_empty() {
        crate::say!("none");
        return Ok(());
    }
    use crate::output::{Col, Fit, Grid, Style};
    let mut g = Grid::new(&[
        Col::new("", Fit::Keep, 0),
        Col::new("actor", Fit::Middle, 0),
        Col::new("violation", Fit::Middle, 0),
        Col::new("resource", Fit::Middle, 0),
        Col::num("actions"),
    ]);
    // Not blocked first: those are the controls that failed.
    let mut rows: Vec<_> = groups.into_iter().collect();
    rows.sort_by_key(|((blocked, ..), _)| blocked != "NOT blocked");
    for ((blocked, actor, violation, resource), n) in rows {
        let style = if blocked == "NOT blocked" {
            Style::Bad
        } else {
            Style::Warn
        };
        g.row(vec![
            (blocked, style),
            (actor, Style::Plain),
            (violation, Style::Plain),
            (resource, Style::Plain),
            (n.to_string(), Style::Plain),
        ]);
    }
    let mut page = crate::output::Page::default();
    page.grid(g);
    screen.show(&page.render(&screen.look));
    Ok(())
}

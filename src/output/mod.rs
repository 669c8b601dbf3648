//! Terminal presentation: comfy-table summaries sized to the terminal, and the one way
//! anything reaches stdout or stderr.
//!
//! Everything shown comes from redacted tables and records, but the command line, file paths
//! and error messages are input too: [`say!`](crate::say) and [`tell!`](crate::tell) print
//! through the secret scanner, so nothing printed can carry a secret whatever its source.
//!
//! In: reports from the stages. Out: text on stdout and stderr.

use std::fmt::Arguments;
use std::io::{IsTerminal, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table};

use crate::ingest::Report;

pub mod grid;
pub mod progress;

pub use grid::{Col, Fit, Grid, Look, Style};

/// What a view prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
    Jsonl,
}

/// When to colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Where a view's output goes: its format, its look (width, colour) and whether a pager may
/// take it.
#[derive(Debug, Clone, Copy)]
pub struct Screen {
    pub format: Format,
    pub look: Look,
    /// Lines of the terminal when stdout is one and a pager may be used.
    pager_rows: Option<usize>,
}

impl Screen {
    /// Width: `width`, else the terminal's, else $COLUMNS, else 100. Colour: as `color` says,
    /// `auto` meaning a terminal and no NO_COLOR. A pager only on a terminal, when `pager`.
    pub fn new(format: Format, width: Option<usize>, color: ColorChoice, pager: bool) -> Screen {
        let tty = std::io::stdout().is_terminal();
        let size = if tty { terminal_size() } else { None };
        let columns = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok());
        let width = width.or(size.map(|s| s.0)).or(columns).unwrap_or(100).max(40);
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => tty && !no_color,
        };
        Screen {
            format,
            look: Look { width, color },
            pager_rows: size.filter(|_| pager && tty).map(|s| s.1),
        }
    }

    /// A screen for tables of a known width, without colour or pager (tests, the demo).
    pub fn plain(width: usize) -> Screen {
        Screen {
            format: Format::Table,
            look: Look { width, color: false },
            pager_rows: None,
        }
    }

    /// Prints `text` (secret-scanned like everything else): through the pager when it is
    /// longer than the terminal, else straight to stdout.
    pub fn show(&self, text: &str) {
        let text = text.trim_end_matches('\n');
        let long = self.pager_rows.is_some_and(|rows| text.lines().count() + 1 > rows);
        if long && self.format == Format::Table && page(text).is_ok() {
            return;
        }
        print(format_args!("{text}"), false);
    }
}

/// Columns and rows of the terminal on stdout.
fn terminal_size() -> Option<(usize, usize)> {
    // SAFETY: TIOCGWINSZ fills a winsize; the struct is zeroed and only read on success.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) } == 0;
    (ok && ws.ws_col > 0).then_some((usize::from(ws.ws_col), usize::from(ws.ws_row)))
}

/// Sends `text` through $PAGER, else `less -FRX` (quit if one screen, keep colours, leave the
/// text on the screen), secret-scanned first.
fn page(text: &str) -> std::io::Result<()> {
    let safe = crate::redact::redactor().text(text, &mut crate::redact::RuleCounts::new());
    let pager = std::env::var("PAGER").ok().filter(|p| !p.trim().is_empty());
    let mut child = match &pager {
        Some(p) => std::process::Command::new("sh")
            .args(["-c", p])
            .stdin(std::process::Stdio::piped())
            .spawn()?,
        None => std::process::Command::new("less")
            .arg("-FRX")
            .stdin(std::process::Stdio::piped())
            .spawn()?,
    };
    if let Some(mut stdin) = child.stdin.take() {
        // A pager quit early closes its input: not an error.
        let _ = writeln!(stdin, "{safe}");
    }
    // A $PAGER that does not exist (sh says 127): the output goes straight out instead.
    match child.wait()?.code() {
        Some(127) => Err(std::io::Error::new(std::io::ErrorKind::NotFound, "no such pager")),
        _ => Ok(()),
    }
}

/// The width prose is wrapped to on a terminal, 0 for none: set by commands whose output is
/// all prose and tables ([`wrap_prose`]), never by one printing JSON or CSV.
static PROSE_WIDTH: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// From now on, printed lines wrap at spaces (a token longer than the width stays whole): to
/// `width` when one is given (--width), else, on a terminal only, to the terminal's width.
pub fn wrap_prose(width: Option<usize>) {
    let width = width.or_else(|| {
        let tty = std::io::stdout().is_terminal() || std::io::stderr().is_terminal();
        tty.then(|| terminal_size().map_or(100, |s| s.0))
    });
    if let Some(w) = width {
        PROSE_WIDTH.store(w.max(40), std::sync::atomic::Ordering::Relaxed);
    }
}

/// Prints `args` and a newline on stdout (or stderr), secret-scanned.
pub fn print(args: Arguments<'_>, to_stderr: bool) {
    let mut text = args.to_string();
    let width = PROSE_WIDTH.load(std::sync::atomic::Ordering::Relaxed);
    if width > 0 {
        text = wrap(&text, width);
    }
    let safe = crate::redact::redactor().text(&text, &mut crate::redact::RuleCounts::new());
    // A closed pipe (`agaudit log | head`) ends the output, not the program with a panic.
    let _ = if to_stderr {
        writeln!(std::io::stderr().lock(), "{safe}")
    } else {
        writeln!(std::io::stdout().lock(), "{safe}")
    };
}

/// `println!`, through the secret scanner.
#[macro_export]
macro_rules! say {
    () => { $crate::output::print(format_args!(""), false) };
    ($($arg:tt)*) => { $crate::output::print(format_args!($($arg)*), false) };
}

/// `eprintln!`, through the secret scanner.
#[macro_export]
macro_rules! tell {
    ($($arg:tt)*) => { $crate::output::print(format_args!($($arg)*), true) };
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.to_vec());
    t
}

fn num(n: u64) -> Cell {
    Cell::new(n).set_alignment(CellAlignment::Right)
}

/// Per-file table, then totals and redactions.
pub fn ingest_summary(r: &Report) {
    let mut t = table(&[
        "file",
        "kind",
        "status",
        "lines",
        "rows",
        "row lines",
        "other",
        "quarantined",
    ]);
    for f in &r.files {
        t.add_row(vec![
            Cell::new(&f.path),
            Cell::new(&f.kind),
            Cell::new(f.status.name()),
            num(f.counts.lines_read),
            num(f.rows),
            num(f.counts.row_lines),
            num(f.counts.other_total()),
            num(f.counts.quarantined_lines),
        ]);
    }
    crate::say!("{t}");
    // How each PostgreSQL file's log_line_prefix was found (given, or inferred and how well).
    for f in &r.files {
        if let Some(p) = &f.pg_prefix {
            crate::say!("{}: log_line_prefix '{}' ({})", f.path, p.setting, p.how);
        }
    }
    let tot = &r.totals;
    crate::say!(
        "{} file(s): {} ingested, {} duplicate, {} unrecognised, {} held, {} unusable, {} skipped, {} error(s)",
        tot.files,
        tot.ingested,
        tot.duplicates,
        tot.unrecognised,
        tot.held,
        tot.unusable,
        tot.skipped,
        tot.errors
    );
    crate::say!(
        "{} lines read = {} in rows + {} other + {} quarantined",
        tot.lines_read,
        tot.row_lines,
        tot.other_lines,
        tot.quarantined_lines
    );
    let tables: Vec<String> = tot.tables.iter().map(|(t, n)| format!("{n} {t}")).collect();
    crate::say!(
        "rows written: {}",
        if tables.is_empty() {
            "none".to_string()
        } else {
            tables.join(", ")
        }
    );
    if !tot.redactions.is_empty() {
        let list: Vec<String> = tot.redactions.iter().map(|(k, v)| format!("{k} {v}")).collect();
        crate::say!("redacted: {}", list.join(", "));
    }
    crate::say!("case {} (id {}), ingest {}", r.case, r.case_id, r.ingest_id);
}

/// What correlation found: counts by confidence and verdict, violations, unattributed per
/// principal, and what the ledger gained.
pub fn correlate_page(s: &crate::correlate::Summary) -> Page {
    let list = |m: &std::collections::BTreeMap<String, u64>| {
        m.iter().map(|(k, v)| format!("{v} {k}")).collect::<Vec<_>>().join(", ")
    };
    let mut page = Page::default();
    page.line(format!("{} action(s): {}", s.actions, list(&s.by_conf)));
    page.line(format!("verdicts: {}", list(&s.by_verdict)));
    let counts = |first: &'static str, second: &'static str, rows: &mut dyn Iterator<Item = (String, u64)>| {
        let mut g = Grid::new(&[Col::new(first, Fit::Middle, 0), Col::num(second)]);
        for (k, n) in rows {
            g.row(vec![(k, Style::Plain), (n.to_string(), Style::Plain)]);
        }
        g
    };
    if !s.violations.is_empty() {
        page.grid(counts(
            "violation",
            "actions",
            &mut s.violations.iter().map(|(v, n)| (v.to_string(), *n)),
        ));
    }
    if !s.unattributed_by_principal.is_empty() {
        page.grid(counts(
            "principal",
            "unattributed actions",
            &mut s.unattributed_by_principal.iter().map(|(p, n)| (p.clone(), *n)),
        ));
    }
    if s.duplicates_folded > 0 {
        page.line(format!(
            "{} evidence row(s) were the same statement in another log format: kept as corroboration",
            s.duplicates_folded
        ));
    }
    let k = &s.kernel_not_actions;
    if k.process_lifecycle + k.local_ipc + k.folded_into_write > 0 {
        page.line(format!(
            "kernel events kept but not actions: {} process lifecycle, {} local IPC, {} opens folded into their writes",
            k.process_lifecycle, k.local_ipc, k.folded_into_write
        ));
    }
    let p = &s.parts;
    if p.traces + p.windows + p.hosts > 3 {
        page.line(format!(
            "correlated in parts to fit --memory-budget: {} by trace, {} time window(s) of untraced statements, {} by host",
            p.traces, p.windows, p.hosts
        ));
    }
    page.line(format!(
        "ledger: {} record(s) appended, {} already present; head at record {}",
        s.ledger_appended, s.ledger_already, s.ledger_head_seq
    ));
    if s.unchanged {
        page.line(
            "unchanged: the evidence, the policy and agaudit are those of the last correlation the \
             ledger records, so its actions stand (shown above) and nothing was correlated again"
                .to_string(),
        );
    }
    page
}

/// A view's output in order: tables and the lines between them.
#[derive(Debug, Default)]
pub struct Page {
    parts: Vec<Part>,
}

#[derive(Debug)]
enum Part {
    Grid(Grid),
    Line(String),
}

impl Page {
    pub fn grid(&mut self, g: Grid) {
        self.parts.push(Part::Grid(g));
    }

    pub fn line(&mut self, s: impl Into<String>) {
        self.parts.push(Part::Line(s.into()));
    }

    /// The page as a table view prints it, fitted to `look`: tables laid out to the width,
    /// lines wrapped at spaces (a word longer than the width stays whole on its own line).
    pub fn render(&self, look: &Look) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Grid(g) => out.push_str(&g.table(look)),
                Part::Line(l) => out.push_str(&wrap(l, look.width)),
            }
            out.push('\n');
        }
        out
    }

    /// Shows the page on `screen`: tables fitted to it, or CSV (every table, a blank line
    /// between; the summary lines go to stderr so the CSV stays CSV).
    pub fn show(&self, screen: &Screen) {
        if screen.format != Format::Csv {
            return screen.show(&self.render(&screen.look));
        }
        let mut csv = String::new();
        for p in &self.parts {
            match p {
                Part::Grid(g) => {
                    if !csv.is_empty() {
                        csv.push_str("\r\n");
                    }
                    csv.push_str(&g.csv());
                }
                Part::Line(l) => crate::tell!("{l}"),
            }
        }
        screen.show(&csv);
    }
}

/// `text` wrapped at spaces to `width` characters, tokens never split. A line that fits is
/// left as it is; a longer one keeps its indentation on every line it becomes.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        if grid::width_of(line) <= width {
            out.push_str(line);
            continue;
        }
        let body = line.trim_start_matches(' ');
        let indent = &line[..line.len() - body.len()];
        out.push_str(indent);
        let mut len = indent.len();
        for word in body.split(' ').filter(|w| !w.is_empty()) {
            let n = grid::width_of(word);
            if len > indent.len() && len + 1 + n > width {
                out.push('\n');
                out.push_str(indent);
                len = indent.len();
            } else if len > indent.len() {
                out.push(' ');
                len += 1;
            }
            out.push_str(word);
            len += n;
        }
    }
    out
}

/// The shortened form of a full hash in a table (the ledger and --json keep it whole).
fn short_hash(v: &str) -> String {
    // By bytes, but only where the 64 bytes are hex digits, so every cut is on a character.
    let hex_tail = v
        .get(v.len().saturating_sub(64)..)
        .is_some_and(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()));
    match v.get(..v.len().saturating_sub(52)) {
        Some(head) if hex_tail => format!("{head}…"),
        _ => v.to_string(),
    }
}

fn severity_style(s: crate::table::schema::FindingSeverity) -> Style {
    use crate::table::schema::FindingSeverity::*;
    match s {
        Critical | High => Style::Bad,
        Medium => Style::Warn,
        Low => Style::Plain,
    }
}

/// Ledger records as a table: one row per record, the common fields as columns and the rest
/// of a record's fields in `detail`; hashes shortened for display only. A column every shown
/// record has the same value in, because a filter asked for it, is said once above the table.
pub fn ledger_page(records: &[Vec<(String, String)>], filtered: &[&'static str]) -> Page {
    const COLS: [Col; 12] = [
        Col::num("seq"),
        Col::new("ts", Fit::Time, 3),
        Col::new("kind", Fit::Keep, 0),
        Col::new("agent", Fit::Middle, 0),
        Col::new("tool", Fit::Middle, 7),
        Col::new("resource", Fit::Middle, 0),
        Col::new("op", Fit::Keep, 0),
        Col::new("outcome", Fit::Keep, 0),
        Col::new("conf", Fit::Keep, 4),
        Col::new("policy", Fit::Middle, 6),
        Col::new("detail", Fit::End, 9),
        Col::new("hash", Fit::Middle, 8),
    ];
    let common = &COLS[..10];
    let mut g = Grid::new(&COLS);
    for r in records {
        let get = |k: &str| r.iter().find(|(key, _)| key == k).map_or("", |(_, v)| v.as_str());
        let verdict = get("verdict");
        let mut row: Vec<(String, Style)> = common
            .iter()
            .map(|c| {
                let style = match (c.name, get(c.name)) {
                    ("outcome", "DENY") => Style::Warn,
                    ("policy", p) if !p.is_empty() && verdict == "violation_allowed" => Style::Bad,
                    ("policy", p) if !p.is_empty() => Style::Warn,
                    _ => Style::Plain,
                };
                (get(c.name).to_string(), style)
            })
            .collect();
        let detail: Vec<String> = r
            .iter()
            .filter(|(k, _)| !common.iter().any(|c| c.name == k) && k != "prev" && k != "hash")
            .map(|(k, v)| format!("{k}={}", short_hash(v)))
            .collect();
        row.push((detail.join(" "), Style::Plain));
        row.push((get("hash").to_string(), Style::Plain));
        g.row(row);
    }
    let mut page = Page::default();
    // A filter that fixes a column to one value: said once, the column left out of the table.
    for name in filtered {
        if let Some(v) = g.fix_if_uniform(name) {
            page.line(format!("{name}: {v} (every record shown)"));
        }
    }
    page.grid(g);
    page
}

/// diff's findings: one table grouped by tool (the tool with the most severe finding first,
/// then by severity), then a one-line summary.
pub fn diff_page(r: &crate::diff::Report) -> Page {
    let mut tool_order: Vec<(&Option<String>, &str)> = Vec::new();
    for f in &r.findings {
        let key = (&f.mcp_server, f.tool.as_str());
        if !tool_order.contains(&key) {
            tool_order.push(key);
        }
    }
    let mut rows: Vec<&crate::diff::FindingJson> = r.findings.iter().collect();
    rows.sort_by_key(|f| {
        let tool = tool_order.iter().position(|k| *k == (&f.mcp_server, f.tool.as_str()));
        (tool, f.severity)
    });
    let mut g = Grid::new(&[
        Col::new("tool", Fit::Middle, 0).grouped(),
        Col::new("severity", Fit::Keep, 0),
        Col::new("finding", Fit::Middle, 0),
        Col::new("actor", Fit::Middle, 0),
        Col::new("claim", Fit::End, 5),
        Col::new("observed", Fit::Middle, 0),
        Col::new("outcome", Fit::Keep, 6),
        Col::new("layers", Fit::End, 7),
        Col::num("n"),
        Col::new("first .. last", Fit::End, 8),
        Col::new("conf", Fit::Keep, 9),
    ]);
    g.stack_when_narrow = true;
    for f in rows {
        let tool = format!("{}/{}", f.mcp_server.as_deref().unwrap_or("?"), f.tool);
        let layers = if f.corroborated {
            format!("{} (corroborated)", f.layers.join("+"))
        } else {
            f.layers.join("+")
        };
        let times = match (&f.first, &f.last) {
            (Some(a), Some(b)) if a == b => a.clone(),
            (Some(a), Some(b)) => format!("{a} .. {b}"),
            (Some(a), None) | (None, Some(a)) => a.clone(),
            (None, None) => String::new(),
        };
        let outcome = f.outcome.map_or("", |o| o.name());
        let plain = |s: String| (s, Style::Plain);
        g.row(vec![
            plain(tool),
            (f.severity.to_string(), severity_style(f.severity)),
            plain(f.kind.to_string()),
            plain(f.actor.clone()),
            plain(f.claim.clone()),
            plain(f.observed.clone().unwrap_or_default()),
            (
                outcome.to_string(),
                if outcome == "DENY" { Style::Warn } else { Style::Plain },
            ),
            plain(layers),
            plain(f.count.to_string()),
            plain(times),
            plain(f.conf.to_string()),
        ]);
    }
    let mut page = Page::default();
    if !r.findings.is_empty() {
        page.grid(g);
    }
    let by: Vec<String> = crate::table::schema::FindingSeverity::ALL
        .iter()
        .filter_map(|s| r.by_severity.get(s.name()).map(|n| format!("{n} {s}")))
        .collect();
    page.line(format!(
        "{} finding(s) on {} tool(s){}{}; {} action(s) checked; ledger: {} finding record(s) appended",
        r.findings.len(),
        r.tools,
        if by.is_empty() { "" } else { ": " },
        by.join(", "),
        r.actions_checked,
        r.ledger_appended
    ));
    page
}

/// The access map: one table, rows grouped by server, then a summary line.
pub fn map_page(m: &crate::map::Map, agent_filter: bool) -> Page {
    // The resource names its server too: the server column is the first to go.
    let mut g = Grid::new(&[
        Col::new("server", Fit::Middle, 5).grouped(),
        Col::new("resource", Fit::Middle, 0),
        Col::new("agent", Fit::Middle, 0),
        Col::new("granted", Fit::Keep, 0),
        Col::new("observed", Fit::End, 0),
        Col::new("conf", Fit::End, 3),
        Col::new("drift", Fit::End, 0),
    ]);
    for p in &m.pairs {
        let mut observed = Vec::new();
        if p.reads > 0 {
            observed.push(format!("R {}", p.reads));
        }
        if p.writes > 0 {
            observed.push(format!("RW {}", p.writes));
        }
        if p.refused > 0 {
            observed.push(format!("refused {}", p.refused));
        }
        let conf: Vec<String> = p.conf.iter().map(|(c, n)| format!("{c} {n}")).collect();
        let drift: Vec<String> = p
            .drift
            .iter()
            .map(|d| match *d {
                "beyond_grant" => format!("beyond grant ({})", p.beyond_grant),
                "unused_grant" => "granted, never used".to_string(),
                "write_never_used" => "write granted, never used".to_string(),
                other => other.to_string(),
            })
            .collect();
        let beyond = p.drift.contains(&"beyond_grant");
        let plain = |s: String| (s, Style::Plain);
        g.row(vec![
            plain(p.server.clone()),
            plain(p.resource.clone()),
            plain(p.agent.clone()),
            plain(p.granted.to_string()),
            plain(if observed.is_empty() {
                "-".to_string()
            } else {
                observed.join(", ")
            }),
            plain(conf.join(", ")),
            (drift.join("; "), if beyond { Style::Bad } else { Style::Plain }),
        ]);
    }
    let mut page = Page::default();
    if agent_filter && let Some(agent) = g.fix_if_uniform("agent") {
        page.line(format!("agent: {agent} (every pair shown)"));
    }
    page.grid(g);
    if !m.identities.is_empty() {
        let mut g = Grid::new(&[
            Col::new("agent", Fit::Middle, 0),
            Col::new("principal", Fit::Middle, 0),
            Col::new("kind", Fit::Keep, 0),
            Col::num("seen through"),
            Col::num("actions"),
            Col::new("drift", Fit::End, 1),
        ]);
        for i in &m.identities {
            g.row(vec![
                (i.agent.clone(), Style::Plain),
                (i.pattern.clone(), Style::Plain),
                (i.kind.attribute().to_string(), Style::Plain),
                (i.principals.to_string(), Style::Plain),
                (i.actions.to_string(), Style::Plain),
                (
                    match i.drift.first().copied() {
                        Some("unused_identity") => "declared, never seen",
                        Some("undeclared") => "seen through, not declared",
                        _ => "",
                    }
                    .to_string(),
                    Style::Plain,
                ),
            ]);
        }
        page.grid(g);
    }
    let beyond = m.pairs.iter().filter(|p| p.drift.contains(&"beyond_grant")).count();
    let unused = m
        .pairs
        .iter()
        .filter(|p| p.drift.contains(&"unused_grant") || p.drift.contains(&"write_never_used"))
        .count();
    page.line(format!(
        "{} agent(s), {} pair(s): {beyond} observed beyond the grant, {unused} least-privilege candidate(s); {} unattributed action(s) are not in the map (agaudit inventory); policy {} (blake3 {}…)",
        m.agents,
        m.pairs.len(),
        m.unattributed_actions,
        m.policy,
        &m.policy_blake3[..m.policy_blake3.len().min(12)]
    ));
    page
}

/// The inventory: agents, principals, coverage and gaps, one table each.
pub fn inventory_page(inv: &crate::inventory::Inventory) -> Page {
    let join = |s: &std::collections::BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(" ");
    let plain = |s: String| (s, Style::Plain);
    let span = |a: &Option<String>, b: &Option<String>| {
        format!("{} .. {}", a.as_deref().unwrap_or("?"), b.as_deref().unwrap_or("?"))
    };
    let mut page = Page::default();
    let mut g = Grid::new(&[
        Col::new("agent", Fit::Middle, 0),
        Col::new("sessions", Fit::End, 5),
        Col::new("tools", Fit::End, 4),
        Col::num("resources"),
        Col::new("sources", Fit::End, 0),
        Col::num("actions"),
        Col::new("first .. last", Fit::Middle, 3),
        Col::new("flags", Fit::End, 0),
    ]);
    for a in &inv.agents {
        let mut flags = Vec::new();
        if a.unknown {
            flags.push("unknown to the policy");
        }
        if a.uncorroborated {
            flags.push("uncorroborated (one source)");
        }
        g.row(vec![
            plain(a.agent.clone()),
            plain(join(&a.sessions)),
            plain(join(&a.tools)),
            plain(a.resources.len().to_string()),
            plain(a.sources.iter().copied().collect::<Vec<_>>().join(" ")),
            plain(a.actions.to_string()),
            plain(span(&a.first, &a.last)),
            (flags.join(", "), if a.unknown { Style::Warn } else { Style::Plain }),
        ]);
    }
    page.grid(g);
    // The principals each agent was seen through, and which the policy says are its own.
    let mut g = Grid::new(&[
        Col::new("agent", Fit::Middle, 0),
        Col::new("seen through", Fit::Middle, 0),
        Col::new("kind", Fit::Keep, 0),
        Col::new("its own", Fit::Keep, 0),
        Col::new("leases", Fit::Keep, 2),
        Col::num("actions"),
        Col::new("first .. last", Fit::Middle, 1),
    ]);
    for a in &inv.agents {
        for p in &a.principals {
            g.row(vec![
                plain(a.agent.clone()),
                plain(p.name.clone()),
                plain(p.kind.map_or("", |k| k.attribute()).to_string()),
                plain(if p.owned { "yes (policy)" } else { "" }.to_string()),
                plain(p.leases.map_or(String::new(), |n| n.to_string())),
                plain(p.actions.to_string()),
                plain(span(&p.first, &p.last)),
            ]);
        }
    }
    page.grid(g);
    let mut g = Grid::new(&[
        Col::new("principal", Fit::Middle, 0),
        Col::num("unattributed"),
        Col::num("approximate"),
        Col::num("attributed"),
        Col::new("shared", Fit::Keep, 0),
        Col::new("agents using it", Fit::End, 0),
    ]);
    for p in &inv.principals {
        g.row(vec![
            plain(p.principal.clone()),
            plain(p.unattributed.to_string()),
            plain(p.approximate.to_string()),
            plain(p.attributed.to_string()),
            plain(if p.shared { "yes (policy)" } else { "" }.to_string()),
            plain(join(&p.agents)),
        ]);
    }
    page.grid(g);
    let mut g = Grid::new(&[
        Col::new("source", Fit::Keep, 0),
        Col::new("scope", Fit::Middle, 0),
        Col::num("rows"),
        Col::new("first .. last", Fit::Middle, 0),
    ]);
    for c in &inv.coverage {
        g.row(vec![
            plain(c.source.to_string()),
            plain(c.scope.clone()),
            plain(c.rows.to_string()),
            plain(span(&c.first, &c.last)),
        ]);
    }
    page.grid(g);
    if inv.gaps.is_empty() {
        page.line("no coverage gaps: every database statement telemetry saw has its pgAudit record");
    }
    for g in &inv.gaps {
        page.line(format!(
            "GAP {}: {} statement(s) seen by {} with no {} record, {} .. {} (finding {})",
            g.resource,
            g.count,
            g.seen_by,
            g.missing,
            g.first.as_deref().unwrap_or("?"),
            g.last.as_deref().unwrap_or("?"),
            g.finding_id
        ));
    }
    let unknown = inv.agents.iter().filter(|a| a.unknown).count();
    let single = inv.agents.iter().filter(|a| a.uncorroborated).count();
    page.line(format!(
        "{} agent(s): {unknown} unknown to the policy, {single} seen by one source only; {} principal(s) with unattributed or approximate actions; {} coverage gap(s)",
        inv.agents.len(),
        inv.principals.len(),
        inv.gaps.len()
    ));
    page
}

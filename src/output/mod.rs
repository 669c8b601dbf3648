//! Terminal presentation: comfy-table summaries sized to the terminal, and the one way
//! anything reaches stdout or stderr.
//!
//! Everything shown comes from redacted tables and records, but the command line, file paths
//! and error messages are input too: [`say!`](crate::say) and [`tell!`](crate::tell) print
//! through the secret scanner, so nothing printed can carry a secret whatever its source.
//!
//! In: reports from the stages. Out: text on stdout and stderr.

use std::fmt::Arguments;
use std::io::Write;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table};

use crate::ingest::Report;

/// Prints `args` and a newline on stdout (or stderr), secret-scanned.
pub fn print(args: Arguments<'_>, to_stderr: bool) {
    let text = args.to_string();
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
pub fn correlate_summary(s: &crate::correlate::Summary) {
    let list = |m: &std::collections::BTreeMap<&'static str, u64>| {
        m.iter().map(|(k, v)| format!("{v} {k}")).collect::<Vec<_>>().join(", ")
    };
    crate::say!("{} action(s): {}", s.actions, list(&s.by_conf));
    crate::say!("verdicts: {}", list(&s.by_verdict));
    if !s.violations.is_empty() {
        let mut t = table(&["violation", "actions"]);
        for (v, n) in &s.violations {
            t.add_row(vec![Cell::new(v), num(*n)]);
        }
        crate::say!("{t}");
    }
    if !s.unattributed_by_principal.is_empty() {
        let mut t = table(&["principal", "unattributed actions"]);
        for (p, n) in &s.unattributed_by_principal {
            t.add_row(vec![Cell::new(p), num(*n)]);
        }
        crate::say!("{t}");
    }
    if s.duplicates_folded > 0 {
        crate::say!(
            "{} evidence row(s) were the same statement in another log format: kept as corroboration",
            s.duplicates_folded
        );
    }
    let k = &s.kernel_not_actions;
    if k.process_lifecycle + k.local_ipc + k.folded_into_write > 0 {
        crate::say!(
            "kernel events kept but not actions: {} process lifecycle, {} local IPC, {} opens folded into their writes",
            k.process_lifecycle,
            k.local_ipc,
            k.folded_into_write
        );
    }
    crate::say!(
        "ledger: {} record(s) appended, {} already present; head at record {}",
        s.ledger_appended,
        s.ledger_already,
        s.ledger_head_seq
    );
}

/// Ledger records as a table: one row per record, the common fields as columns and the rest
/// of a record's fields in `detail`; hashes shortened for display only.
pub fn ledger_table(records: &[Vec<(String, String)>]) {
    const COLUMNS: [&str; 10] = [
        "seq", "ts", "kind", "agent", "tool", "resource", "op", "outcome", "conf", "policy",
    ];
    let mut header: Vec<&str> = COLUMNS.to_vec();
    header.extend(["detail", "hash"]);
    let mut t = table(&header);
    for r in records {
        let get = |k: &str| {
            r.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
                .unwrap_or("")
        };
        let mut row: Vec<Cell> = COLUMNS.iter().map(|c| Cell::new(get(c))).collect();
        let detail: Vec<String> = r
            .iter()
            .filter(|(k, _)| !COLUMNS.contains(&k.as_str()) && k != "prev" && k != "hash")
            .map(|(k, v)| {
                // Full hashes stay in the ledger and in --json; the table shows their first 12.
                let hex_tail = v.len() >= 64 && v[v.len() - 64..].bytes().all(|b| b.is_ascii_hexdigit());
                let v = if hex_tail {
                    format!("{}…", &v[..v.len() - 52])
                } else {
                    v.clone()
                };
                format!("{k}={v}")
            })
            .collect();
        row.push(Cell::new(detail.join(" ")));
        row.push(Cell::new(format!("{}…", &get("hash")[..get("hash").len().min(12)])));
        t.add_row(row);
    }
    crate::say!("{t}");
}

/// diff's findings: one table grouped by tool (the tool with the most severe finding first,
/// then by severity), then a one-line summary.
pub fn diff_table(r: &crate::diff::Report) {
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
    let mut t = table(&[
        "tool",
        "severity",
        "finding",
        "actor",
        "claim",
        "observed",
        "outcome",
        "layers",
        "n",
        "first .. last",
        "conf",
    ]);
    let mut last_tool = None;
    for f in rows {
        let tool = format!("{}/{}", f.mcp_server.as_deref().unwrap_or("?"), f.tool);
        let shown = if last_tool.as_ref() == Some(&tool) {
            String::new()
        } else {
            tool.clone()
        };
        last_tool = Some(tool);
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
        let observed = f.observed.clone().unwrap_or_default();
        t.add_row(vec![
            Cell::new(shown),
            Cell::new(f.severity),
            Cell::new(f.kind),
            Cell::new(&f.actor),
            Cell::new(&f.claim),
            Cell::new(observed),
            Cell::new(f.outcome.map_or("", |o| o.name())),
            Cell::new(layers),
            num(f.count),
            Cell::new(times),
            Cell::new(f.conf),
        ]);
    }
    if !r.findings.is_empty() {
        crate::say!("{t}");
    }
    let by: Vec<String> = crate::table::findings::FindingSeverity::ALL
        .iter()
        .filter_map(|s| r.by_severity.get(s.name()).map(|n| format!("{n} {s}")))
        .collect();
    crate::say!(
        "{} finding(s) on {} tool(s){}{}; {} action(s) checked; ledger: {} finding record(s) appended",
        r.findings.len(),
        r.tools,
        if by.is_empty() { "" } else { ": " },
        by.join(", "),
        r.actions_checked,
        r.ledger_appended
    );
}

/// The access map: one table, rows grouped by server, then a summary line.
pub fn map_table(m: &crate::map::Map) {
    let mut t = table(&["server", "resource", "agent", "granted", "observed", "conf", "drift"]);
    let mut last_server = None;
    for p in &m.pairs {
        let server = if last_server == Some(&p.server) {
            String::new()
        } else {
            p.server.clone()
        };
        last_server = Some(&p.server);
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
        t.add_row(vec![
            Cell::new(server),
            Cell::new(&p.resource),
            Cell::new(&p.agent),
            Cell::new(p.granted),
            Cell::new(if observed.is_empty() {
                "-".to_string()
            } else {
                observed.join(", ")
            }),
            Cell::new(conf.join(", ")),
            Cell::new(drift.join("; ")),
        ]);
    }
    crate::say!("{t}");
    if !m.identities.is_empty() {
        let mut t = table(&["agent", "its own", "kind", "seen through", "actions", "drift"]);
        for g in &m.identities {
            t.add_row(vec![
                Cell::new(&g.agent),
                Cell::new(&g.pattern),
                Cell::new(g.kind.attribute()),
                num(g.principals),
                num(g.actions),
                Cell::new(if g.drift.is_empty() { "" } else { "declared, never seen" }),
            ]);
        }
        crate::say!("{t}");
    }
    let beyond = m.pairs.iter().filter(|p| p.drift.contains(&"beyond_grant")).count();
    let unused = m
        .pairs
        .iter()
        .filter(|p| p.drift.contains(&"unused_grant") || p.drift.contains(&"write_never_used"))
        .count();
    crate::say!(
        "{} agent(s), {} pair(s): {beyond} observed beyond the grant, {unused} least-privilege candidate(s); {} unattributed action(s) are not in the map (agaudit inventory); policy {} (blake3 {}…)",
        m.agents,
        m.pairs.len(),
        m.unattributed_actions,
        m.policy,
        &m.policy_blake3[..m.policy_blake3.len().min(12)]
    );
}

/// The inventory: agents, principals, coverage and gaps, one table each.
pub fn inventory_tables(inv: &crate::inventory::Inventory) {
    let join = |s: &std::collections::BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(" ");
    let mut t = table(&[
        "agent",
        "sessions",
        "tools",
        "resources",
        "sources",
        "actions",
        "first .. last",
        "flags",
    ]);
    for a in &inv.agents {
        let mut flags = Vec::new();
        if a.unknown {
            flags.push("unknown to the policy");
        }
        if a.uncorroborated {
            flags.push("uncorroborated (one source)");
        }
        t.add_row(vec![
            Cell::new(&a.agent),
            Cell::new(join(&a.sessions)),
            Cell::new(join(&a.tools)),
            num(a.resources.len() as u64),
            Cell::new(a.sources.iter().copied().collect::<Vec<_>>().join(" ")),
            num(a.actions),
            Cell::new(format!(
                "{} .. {}",
                a.first.as_deref().unwrap_or("?"),
                a.last.as_deref().unwrap_or("?")
            )),
            Cell::new(flags.join(", ")),
        ]);
    }
    crate::say!("{t}");
    // The principals each agent was seen through, and which the policy says are its own.
    let mut t = table(&[
        "agent",
        "seen through",
        "kind",
        "its own",
        "leases",
        "actions",
        "first .. last",
    ]);
    for a in &inv.agents {
        for p in &a.principals {
            t.add_row(vec![
                Cell::new(&a.agent),
                Cell::new(&p.name),
                Cell::new(p.kind.map_or("", |k| k.attribute())),
                Cell::new(if p.owned { "yes (policy)" } else { "" }),
                Cell::new(p.leases.map_or(String::new(), |n| n.to_string())),
                num(p.actions),
                Cell::new(format!(
                    "{} .. {}",
                    p.first.as_deref().unwrap_or("?"),
                    p.last.as_deref().unwrap_or("?")
                )),
            ]);
        }
    }
    crate::say!("{t}");
    let mut t = table(&[
        "principal",
        "unattributed",
        "approximate",
        "attributed",
        "shared",
        "agents using it",
    ]);
    for p in &inv.principals {
        t.add_row(vec![
            Cell::new(&p.principal),
            num(p.unattributed),
            num(p.approximate),
            num(p.attributed),
            Cell::new(if p.shared { "yes (policy)" } else { "" }),
            Cell::new(join(&p.agents)),
        ]);
    }
    crate::say!("{t}");
    let mut t = table(&["source", "scope", "rows", "first .. last"]);
    for c in &inv.coverage {
        t.add_row(vec![
            Cell::new(c.source),
            Cell::new(&c.scope),
            num(c.rows),
            Cell::new(format!(
                "{} .. {}",
                c.first.as_deref().unwrap_or("?"),
                c.last.as_deref().unwrap_or("?")
            )),
        ]);
    }
    crate::say!("{t}");
    if inv.gaps.is_empty() {
        crate::say!("no coverage gaps: every database statement telemetry saw has its pgAudit record");
    }
    for g in &inv.gaps {
        crate::say!(
            "GAP {}: {} statement(s) seen by {} with no {} record, {} .. {} (finding {})",
            g.resource,
            g.count,
            g.seen_by,
            g.missing,
            g.first.as_deref().unwrap_or("?"),
            g.last.as_deref().unwrap_or("?"),
            g.finding_id
        );
    }
    let unknown = inv.agents.iter().filter(|a| a.unknown).count();
    let single = inv.agents.iter().filter(|a| a.uncorroborated).count();
    crate::say!(
        "{} agent(s): {unknown} unknown to the policy, {single} seen by one source only; {} principal(s) with unattributed or approximate actions; {} coverage gap(s)",
        inv.agents.len(),
        inv.principals.len(),
        inv.gaps.len()
    );
}

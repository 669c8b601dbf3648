//! Terminal presentation: comfy-table summaries sized to the terminal.
//!
//! In: reports from the stages. Out: text on stdout. Everything shown was already redacted.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table};

use crate::ingest::Report;

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
    println!("{t}");
    let tot = &r.totals;
    println!(
        "{} file(s): {} ingested, {} duplicate, {} unrecognised, {} error(s)",
        tot.files, tot.ingested, tot.duplicates, tot.unrecognised, tot.errors
    );
    println!(
        "{} lines read = {} in rows + {} other + {} quarantined",
        tot.lines_read, tot.row_lines, tot.other_lines, tot.quarantined_lines
    );
    let tables: Vec<String> = tot.tables.iter().map(|(t, n)| format!("{n} {t}")).collect();
    println!(
        "rows written: {}",
        if tables.is_empty() {
            "none".to_string()
        } else {
            tables.join(", ")
        }
    );
    if !tot.redactions.is_empty() {
        let list: Vec<String> = tot.redactions.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!("redacted: {}", list.join(", "));
    }
    println!("case {} (id {}), ingest {}", r.case, r.case_id, r.ingest_id);
}

/// What correlation found: counts by confidence and verdict, violations, unattributed per
/// principal, and what the ledger gained.
pub fn correlate_summary(s: &crate::correlate::Summary) {
    let list = |m: &std::collections::BTreeMap<&'static str, u64>| {
        m.iter().map(|(k, v)| format!("{v} {k}")).collect::<Vec<_>>().join(", ")
    };
    println!("{} action(s): {}", s.actions, list(&s.by_conf));
    println!("verdicts: {}", list(&s.by_verdict));
    if !s.violations.is_empty() {
        let mut t = table(&["violation", "actions"]);
        for (v, n) in &s.violations {
            t.add_row(vec![Cell::new(v), num(*n)]);
        }
        println!("{t}");
    }
    if !s.unattributed_by_principal.is_empty() {
        let mut t = table(&["principal", "unattributed actions"]);
        for (p, n) in &s.unattributed_by_principal {
            t.add_row(vec![Cell::new(p), num(*n)]);
        }
        println!("{t}");
    }
    if s.duplicates_folded > 0 {
        println!(
            "{} evidence row(s) were the same statement in another log format: kept as corroboration",
            s.duplicates_folded
        );
    }
    println!(
        "ledger: {} record(s) appended, {} already present; head at record {}",
        s.ledger_appended, s.ledger_already, s.ledger_head_seq
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
    println!("{t}");
}

/// diff's findings: one table grouped by tool (the tool with the most severe finding first,
/// then by severity), then a one-line summary.
pub fn diff_table(r: &crate::diff::Report) {
    use crate::diff::rank;
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
        (tool, rank(f.severity))
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
            Cell::new(f.outcome.as_deref().unwrap_or("")),
            Cell::new(layers),
            num(f.count),
            Cell::new(times),
            Cell::new(f.conf),
        ]);
    }
    if !r.findings.is_empty() {
        println!("{t}");
    }
    let by: Vec<String> = crate::diff::SEVERITIES
        .iter()
        .filter_map(|s| r.by_severity.get(s).map(|n| format!("{n} {s}")))
        .collect();
    println!(
        "{} finding(s) on {} tool(s){}{}; {} action(s) checked; ledger: {} finding record(s) appended",
        r.findings.len(),
        r.tools,
        if by.is_empty() { "" } else { ": " },
        by.join(", "),
        r.actions_checked,
        r.ledger_appended
    );
}

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

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

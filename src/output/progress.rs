//! Progress for long runs: `ingest` counts the bytes of its inputs, `correlate` the evidence rows
//! it has turned into accesses and then names the stage it is in. Drawn on stderr only when
//! stderr is a terminal and the output is not JSON or quiet (the caller decides); hidden
//! otherwise, so pipes, CI logs and `--json` stay clean.
//!
//! In: whether to show, a total and its unit. Out: an indicatif bar the stages advance.

use indicatif::{ProgressBar, ProgressFinish, ProgressStyle};

/// What a bar counts.
#[derive(Debug, Clone, Copy)]
pub enum Unit {
    Bytes,
    Events,
}

/// A bar named `what` over `total` units, or a hidden one when `show` is false.
pub fn bar(show: bool, what: &str, total: u64, unit: Unit) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let counts = match unit {
        Unit::Bytes => "{bytes}/{total_bytes} {bytes_per_sec}",
        Unit::Events => "{human_pos}/{human_len} events {per_sec}",
    };
    let template = format!("{{spinner}} {what} [{{bar:30}}] {counts} eta {{eta}} {{msg}}");
    // Cleared however the run ends, so an error is not printed under a stale bar.
    ProgressBar::new(total)
        .with_style(ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()))
        .with_finish(ProgressFinish::AndClear)
}

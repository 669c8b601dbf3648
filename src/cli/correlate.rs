//! `agaudit correlate`: arguments and presentation; the work is in `crate::correlate`.

use super::args::{CaseArgs, CheckpointKeyArgs, JsonArgs};
use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::{EXIT_FINDINGS, EXIT_OK};

/// Correlate a case against a policy: attribute every observed access, judge it, write the
/// actions table and append the evidence to the hash-chained ledger.
///
/// Joins db_events (pgAudit), spans and tool_hints: identity from application_name AGENT@SESSION
/// and from sqlcommenter traceparents followed through the span chain; each action is
/// attributed, approximate (with the reason) or unattributed (counted per principal, never
/// attached to an agent). Writes CASE/parquet/actions/ (replacing the previous run's) and
/// appends ingest, policy and action records to CASE/ledger/ledger.log; running again on the
/// same case and policy appends nothing, and when nothing it depends on changed (evidence,
/// policy file, agaudit) it reports the last run's summary without correlating again
/// ("unchanged": true; docs/ledger.md). Exit 1 when an action violated the policy and the
/// source shows it went through (the control failed). --json prints the summary as
/// schemas/correlate-summary.schema.json describes it. On a terminal, a progress bar on stderr
/// counts the evidence rows read and names the stage.
#[derive(Debug, Args)]
pub struct CorrelateArgs {
    #[command(flatten)]
    pub case: CaseArgs,

    /// Policy file (HCL, docs/policy.md).
    #[arg(long, value_name = "FILE")]
    pub policy: PathBuf,

    /// Memory correlation may use, in bytes or with a K, M or G suffix (powers of 1024). A case
    /// that needs more is cut into parts (by trace, by time window of untraced statements, by
    /// host) that are correlated one after the other and merged: the same actions in the same
    /// order, at the cost of writing the parts to CASE/.correlate/ and reading them back
    /// (docs/correlation.md, "Partitions").
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = parse_size)]
    pub memory_budget: u64,

    #[command(flatten)]
    pub output: JsonArgs,

    #[command(flatten)]
    pub signing: CheckpointKeyArgs,
}

/// A size in bytes: digits, optionally followed by K, M or G (powers of 1024).
fn parse_size(s: &str) -> Result<u64, String> {
    let (digits, shift) = match s.trim().to_ascii_uppercase() {
        t if t.ends_with('G') => (t[..t.len() - 1].to_string(), 30),
        t if t.ends_with('M') => (t[..t.len() - 1].to_string(), 20),
        t if t.ends_with('K') => (t[..t.len() - 1].to_string(), 10),
        t => (t, 0),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("expected a size such as 512M, 1G or 1073741824, found {s:?}"))
}

pub fn run(args: CorrelateArgs) -> anyhow::Result<u8> {
    let loaded = super::policy::load_usable(&args.policy)?;
    let name = args.policy.display().to_string();
    let sk = args.signing.unlock()?;
    let (case, manifest) = args.case.open("agaudit ingest")?;
    let progress = crate::output::progress::bar(
        !args.output.json && std::io::stderr().is_terminal(),
        "correlate",
        crate::correlate::evidence_rows(&manifest),
        crate::output::progress::Unit::Events,
    );
    let (summary, recovered) = crate::correlate::run(
        &case,
        &manifest,
        &loaded.in_force(&name),
        Some(args.memory_budget),
        &progress,
    )
    .context("correlate failed")?;
    super::args::sign_checkpoint(&case, &manifest.case_id, sk.as_ref())?;
    if let Some(r) = recovered {
        crate::tell!(
            "agaudit: warning: the ledger ended in an incomplete record (line {}, {} bytes at offset {}): an append was interrupted. \
             Its bytes were moved to {} (blake3 {}) and the recovery is recorded in the ledger.",
            r.line,
            r.len,
            r.offset,
            r.saved_to.display(),
            r.blake3
        );
    }
    if args.output.json {
        crate::say!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        let screen = crate::output::Screen::new(
            crate::output::Format::Table,
            None,
            crate::output::ColorChoice::Auto,
            false,
        );
        crate::output::correlate_page(&summary).show(&screen);
    }
    let failed_controls = summary.by_verdict.get("violation_allowed").copied().unwrap_or(0);
    if failed_controls > 0 {
        // Say why the exit code is 1, as diff does for --fail-on (on stderr: --json stays JSON).
        crate::tell!(
            "agaudit: exit 1: {failed_controls} action(s) violated the policy and went through (verdict violation_allowed); agaudit log --case {} --verdict violation_allowed lists them",
            args.case.case.display()
        );
        return Ok(EXIT_FINDINGS);
    }
    Ok(EXIT_OK)
}

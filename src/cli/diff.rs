//! `agaudit diff`: arguments and presentation; the work is in `crate::diff`.

use super::args::{CaseArgs, CheckpointKeyArgs, ShowArgs, ViewerArgs};

use anyhow::Context;
use clap::{Args, ValueEnum};

use super::{EXIT_FINDINGS, EXIT_OK};
use crate::diff;
use crate::output::Format;
use crate::table::schema::FindingSeverity;

/// Compare what each MCP tool claims (its annotations) with what its calls were seen doing.
///
/// For every action made through a tool (agaudit correlate writes them), the tool's claim in
/// force at the time is checked: readOnlyHint true and a write (went through, or refused: an
/// attempt); destructiveHint false and DELETE, TRUNCATE, DROP or UPDATE; openWorldHint false
/// and a connection the policy does not grant. Writes by tools with no annotations are listed
/// as unannotated, and annotations that changed between listings are reported. Findings go to
/// the findings table and the ledger, followed by a view record (who looked). Exit 1 when a
/// finding is at or above --fail-on. --json prints one object, schemas/diff.schema.json.
#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub case: CaseArgs,

    #[command(flatten)]
    pub output: ShowArgs,

    /// Exit 1 when a finding of this severity or worse exists (none: always exit 0).
    #[arg(long, value_enum, default_value = "high", value_name = "SEVERITY")]
    pub fail_on: FailOn,

    #[command(flatten)]
    pub viewer: ViewerArgs,

    #[command(flatten)]
    pub signing: CheckpointKeyArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Critical,
    High,
    Medium,
    Low,
    None,
}

impl FailOn {
    fn severity(self) -> Option<FindingSeverity> {
        match self {
            FailOn::Critical => Some(FindingSeverity::Critical),
            FailOn::High => Some(FindingSeverity::High),
            FailOn::Medium => Some(FindingSeverity::Medium),
            FailOn::Low => Some(FindingSeverity::Low),
            FailOn::None => None,
        }
    }
}

pub fn run(args: DiffArgs) -> anyhow::Result<u8> {
    let (viewing, manifest) = args.case.view("agaudit ingest and agaudit correlate", &args.viewer)?;
    let sk = args.signing.unlock()?;
    // Findings are written and recorded when the view is; an unrecorded view only shows them.
    let report = match viewing.case() {
        Some(case) => diff::run(case, &manifest),
        None => diff::run_unrecorded(viewing.root(), &manifest),
    }
    .context("diff failed")?;
    let threshold = args.fail_on.severity();
    let failing = threshold.map_or(0, |t| report.findings.iter().filter(|f| f.severity <= t).count());
    viewing.record(
        &args.viewer,
        "diff",
        &[("fail-on", threshold.map(FindingSeverity::name))],
    )?;
    match viewing.case() {
        Some(case) => {
            super::args::sign_checkpoint(case, &manifest.case_id, sk.as_ref())?;
        }
        None if sk.is_some() => {
            crate::tell!("agaudit: note: no checkpoint signed: this view does not write to the case");
        }
        None => {}
    }
    drop(viewing);
    let screen = args.output.screen(false);
    match screen.format {
        Format::Json => {
            let mut value = serde_json::to_value(&report)?;
            value["fail_on"] = threshold.map_or(serde_json::Value::Null, |t| t.name().into());
            value["failing"] = failing.into();
            crate::say!("{}", serde_json::to_string_pretty(&value)?);
        }
        Format::Jsonl => {
            for f in &report.findings {
                crate::say!("{}", serde_json::to_string(f)?);
            }
        }
        Format::Table | Format::Csv => {
            let mut page = crate::output::diff_page(&report);
            if let Some(t) = threshold
                && failing > 0
            {
                page.line(format!("exit 1: {failing} finding(s) at or above --fail-on {t}"));
            }
            page.show(&screen);
        }
    }
    Ok(if failing > 0 { EXIT_FINDINGS } else { EXIT_OK })
}

//! `agaudit inventory`: every agent identity, shared principal and source; the work is in
//! `crate::inventory`.

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;

use super::EXIT_OK;
use crate::case::Case;

/// List every agent identity seen in any source, the shared principals that unattributed
/// actions came through, and what each source covers.
///
/// Per agent: sessions, tools, resources, the sources whose own records name it (db_events,
/// spans, log_events), first and last seen; flagged unknown when the policy has no block naming
/// it and uncorroborated when only one source does. Per principal: unattributed, approximate and
/// attributed actions, and whether the policy declares it shared. Coverage: each source's time
/// range, and gaps (database statements telemetry saw that pgAudit did not), which are recorded
/// as findings. Looking is recorded: a view record is appended to the ledger.
#[derive(Debug, Args)]
pub struct InventoryArgs {
    /// Case directory (correlated).
    #[arg(long, env = "AGAUDIT_CASE", default_value = "agaudit-case", value_name = "DIR")]
    pub case: PathBuf,

    /// Policy to check agent names against (default: the one correlate recorded in the ledger).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,

    /// One JSON object (schemas/inventory.schema.json) instead of tables.
    #[arg(long)]
    pub json: bool,

    /// Who is looking, for the ledger's view record (default: the OS user).
    #[arg(long = "as", value_name = "VIEWER")]
    pub viewer: Option<String>,
}

pub fn run(args: InventoryArgs) -> anyhow::Result<u8> {
    if !args.case.join(crate::case::INGEST_JSON).exists() {
        bail!(
            "{} is not a case: it has no ingest.json; run agaudit ingest and agaudit correlate first",
            args.case.display()
        );
    }
    let (_, loaded) = super::policy::recorded(&args.case, args.policy.as_deref())?;
    let case = Case::open(&args.case)?;
    let manifest = case.load_manifest()?;
    let (inventory, gaps) = crate::inventory::build(case.root(), &manifest, &loaded.policy)?;
    crate::diff::write_findings(case.root(), "inventory", &gaps)?;
    let mut ledger = crate::ledger::Ledger::open(case.root(), &manifest.case_id)?;
    ledger.append(gaps.iter().map(crate::diff::finding_record))?;
    drop(ledger);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&inventory)?);
    } else {
        crate::output::inventory_tables(&inventory);
    }
    crate::ledger::record_view(
        case.root(),
        &super::viewer(args.viewer.as_deref()),
        "inventory",
        &[("policy", args.policy.as_ref().and_then(|p| p.to_str()))],
    )?;
    Ok(EXIT_OK)
}

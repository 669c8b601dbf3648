//! `agaudit inventory`: every agent identity, shared principal and source; the work is in
//! `crate::inventory`.

use super::args::{CaseArgs, ViewArgs};

use clap::Args;

use super::EXIT_OK;
use crate::output::Format;

/// List every agent identity seen in any source, the shared principals that unattributed
/// actions came through, and what each source covers.
///
/// Per agent: sessions, tools, resources, the sources whose own records name it (db_events,
/// spans, log_events), first and last seen; flagged unknown when the policy has no block naming
/// it and uncorroborated when only one source does. Per principal: unattributed, approximate and
/// attributed actions, and whether the policy declares it shared. Coverage: each source's time
/// range, and gaps (database statements telemetry saw that pgAudit did not), which are recorded
/// as findings. Looking is recorded: a view record is appended to the ledger. --json prints one
/// object, schemas/inventory.schema.json.
#[derive(Debug, Args)]
pub struct InventoryArgs {
    #[command(flatten)]
    pub case: CaseArgs,

    #[command(flatten)]
    pub view: ViewArgs,
}

pub fn run(args: InventoryArgs) -> anyhow::Result<u8> {
    let (viewing, manifest) = args
        .case
        .view("agaudit ingest and agaudit correlate", &args.view.viewer)?;
    let (_, loaded) = args.view.policy.load(viewing.root())?;
    let (inventory, gaps) = crate::inventory::build(viewing.root(), &manifest, &loaded.policy)?;
    // The coverage gaps are findings: written and recorded when the view is, else only shown.
    if let Some(case) = viewing.case() {
        let hashes = crate::diff::write_findings(case.root(), "inventory", &gaps)?;
        let mut ledger = crate::ledger::Ledger::open(case, &manifest.case_id)?;
        ledger.append(gaps.iter().zip(&hashes).map(|(r, h)| crate::diff::finding_record(r, h)))?;
    }
    viewing.record(
        &args.view.viewer,
        "inventory",
        &[("policy", args.view.policy.policy.as_ref().and_then(|p| p.to_str()))],
    )?;
    drop(viewing);
    let screen = args.view.output.screen(false);
    match screen.format {
        Format::Json => crate::say!("{}", serde_json::to_string_pretty(&inventory)?),
        Format::Jsonl => {
            let value = serde_json::to_value(&inventory)?;
            for (key, kind) in [
                ("agents", "agent"),
                ("principals", "principal"),
                ("coverage", "coverage"),
                ("gaps", "gap"),
            ] {
                for item in value[key].as_array().into_iter().flatten() {
                    let mut item = item.clone();
                    item["kind"] = kind.into();
                    crate::say!("{item}");
                }
            }
        }
        Format::Table | Format::Csv => crate::output::inventory_page(&inventory).show(&screen),
    }
    Ok(EXIT_OK)
}

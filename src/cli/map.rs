//! `agaudit map`: the access map, agent × resource; the work is in `crate::map`.

use std::path::PathBuf;

use clap::Args;

use super::EXIT_OK;

/// Show the access map: for each agent and resource, what the policy grants, what was observed
/// (reads, writes, refused attempts, confidence), and the drift both ways.
///
/// Drift: beyond_grant (observed actions the policy does not allow: violations), unused_grant
/// (a rule nothing used: a least-privilege candidate), write_never_used (write access only ever
/// used to read). Resources are grouped by server. The policy is the one correlate recorded in
/// the ledger (checked against its blake3) unless --policy is given. Looking is recorded: a view
/// record (viewer, command, filters) is appended to the ledger.
#[derive(Debug, Args)]
pub struct MapArgs {
    /// Case directory (correlated).
    #[arg(long, env = "AGAUDIT_CASE", default_value = "agaudit-case", value_name = "DIR")]
    pub case: PathBuf,

    /// Only this agent: AGENT, globs allowed.
    #[arg(long, value_name = "AGENT")]
    pub agent: Option<String>,

    /// Policy to map against (default: the one correlate recorded in the ledger).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,

    /// One JSON object (schemas/map.schema.json) instead of the table.
    #[arg(long)]
    pub json: bool,

    /// Who is looking, for the ledger's view record (default: the OS user).
    #[arg(long = "as", value_name = "VIEWER")]
    pub viewer: Option<String>,
}

pub fn run(args: MapArgs) -> anyhow::Result<u8> {
    let (name, loaded) = super::policy::recorded(&args.case, args.policy.as_deref())?;
    let map = crate::map::build(&args.case, &loaded.policy, &name, &loaded.blake3, args.agent.as_deref())?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&map)?);
    } else {
        crate::output::map_table(&map);
    }
    crate::ledger::record_view(
        &args.case,
        &super::viewer(args.viewer.as_deref()),
        "map",
        &[
            ("agent", args.agent.as_deref()),
            ("policy", args.policy.as_ref().and_then(|p| p.to_str())),
        ],
    )?;
    Ok(EXIT_OK)
}

//! `agaudit map`: the access map, agent × resource; the work is in `crate::map`.

use super::args::{CaseArgs, ViewArgs};

use clap::Args;

use super::{EXIT_ERROR, EXIT_OK};
use crate::output::Format;

/// Show the access map: for each agent and resource, what the policy grants, what was observed
/// (reads, writes, refused attempts, confidence), and the drift both ways.
///
/// Drift: beyond_grant (observed actions the policy does not allow: violations), unused_grant
/// (a rule nothing used: a least-privilege candidate), write_never_used (write access only ever
/// used to read). Resources are grouped by server. The policy is the one correlate recorded in
/// the ledger (checked against its blake3) unless --policy is given. Looking is recorded: a view
/// record (viewer, command, filters) is appended to the ledger. --json prints one object,
/// schemas/map.schema.json.
#[derive(Debug, Args)]
pub struct MapArgs {
    #[command(flatten)]
    pub case: CaseArgs,

    /// Only this agent: AGENT, globs allowed.
    #[arg(long, value_name = "AGENT")]
    pub agent: Option<String>,

    #[command(flatten)]
    pub view: ViewArgs,
}

pub fn run(args: MapArgs) -> anyhow::Result<u8> {
    let (viewing, _) = args
        .case
        .view("agaudit ingest and agaudit correlate", &args.view.viewer)?;
    let (name, loaded) = args.view.policy.load(viewing.root())?;
    let map = crate::map::build(
        viewing.root(),
        &loaded.policy,
        &name,
        &loaded.blake3,
        args.agent.as_deref(),
    )?;
    viewing.record(
        &args.view.viewer,
        "map",
        &[
            ("agent", args.agent.as_deref()),
            ("policy", args.view.policy.policy.as_ref().and_then(|p| p.to_str())),
        ],
    )?;
    // After the view is recorded: the names the hint shows are the case's.
    if let Some(want) = &args.agent
        && !map
            .known_agents
            .iter()
            .any(|a| crate::policy::pattern::agent_matches(want, a))
    {
        crate::tell!(
            "agaudit: error: --agent {want} matches no agent in this case's actions{}",
            crate::suggest::hint(want, map.known_agents.iter().map(String::as_str))
        );
        return Ok(EXIT_ERROR);
    }
    drop(viewing);
    let screen = args.view.output.screen(false);
    match screen.format {
        Format::Json => crate::say!("{}", serde_json::to_string_pretty(&map)?),
        Format::Jsonl => {
            let pairs = map.pairs.iter().map(|p| ("pair", serde_json::to_value(p)));
            let identities = map.identities.iter().map(|i| ("identity", serde_json::to_value(i)));
            for (kind, value) in pairs.chain(identities) {
                let mut value = value?;
                value["kind"] = kind.into();
                crate::say!("{value}");
            }
        }
        Format::Table | Format::Csv => crate::output::map_page(&map, args.agent.is_some()).show(&screen),
    }
    Ok(EXIT_OK)
}

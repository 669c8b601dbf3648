//! `agaudit timeline`: arguments and output; the work is in `crate::timeline`.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::EXIT_OK;
use super::args::{CaseArgs, ViewerArgs};
use crate::time::Bound;
use crate::timeline::{self, Filter, Format};

/// Export the case's actions and findings as a timeline: the CSV Timesketch imports, OCSF
/// events for a SIEM or data lake (JSON Lines), or plain JSON Lines or CSV.
///
/// One event per action, per finding and per MCP tool call, oldest first; actions and findings
/// are checked against the ledger first. OCSF events follow schema 1.3.0: database accesses are
/// Datastore Activity (6005), tool calls API Activity (6003), kernel file changes File System
/// Activity (1001), programs started Process Activity (1007), connections Network Activity
/// (4001), findings Detection Finding (2004). Values are the case's own, redacted at ingest.
/// Looking is recorded like every view.
#[derive(Debug, Args)]
pub struct TimelineArgs {
    #[command(flatten)]
    pub case: CaseArgs,

    /// Destination format (not the views' table/csv/json choice: these are other tools' formats).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Format,

    /// Only events at or after this time: RFC 3339 with an offset, a date (00:00 UTC), or a
    /// duration back from now (30m, 24h, 7d).
    #[arg(long, value_name = "TIME", value_parser = Bound::from_arg)]
    pub since: Option<Bound>,

    /// Only events before this time (same forms as --since).
    #[arg(long, value_name = "TIME", value_parser = Bound::from_arg)]
    pub until: Option<Bound>,

    /// Only events of this agent: AGENT or AGENT@SESSION, globs allowed.
    #[arg(long, value_name = "AGENT")]
    pub agent: Option<String>,

    /// File to write (never overwritten); standard output when not given.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    #[command(flatten)]
    pub viewer: ViewerArgs,
}

pub fn run(args: TimelineArgs) -> anyhow::Result<u8> {
    let (viewing, manifest) = args.case.view("agaudit ingest and agaudit correlate", &args.viewer)?;
    let filter = Filter {
        since: args.since,
        until: args.until,
        agent: args.agent.clone(),
    };
    let events = timeline::events(viewing.root(), &manifest, &filter)?;
    let (since, until) = (args.since.map(|b| b.to_string()), args.until.map(|b| b.to_string()));
    let format = format!("{:?}", args.format).to_lowercase();
    viewing.record(
        &args.viewer,
        "timeline",
        &[
            ("format", Some(format.as_str())),
            ("since", since.as_deref()),
            ("until", until.as_deref()),
            ("agent", args.agent.as_deref()),
        ],
    )?;
    drop(viewing);
    let (text, timeless) = timeline::render(&events, args.format);
    if timeless > 0 {
        crate::tell!(
            "agaudit: note: {timeless} event(s) with no time (a claim that changed between listings that carry none) left out: {format} needs a time; --format jsonl or csv keeps them"
        );
    }
    match &args.out {
        None if text.is_empty() => {}
        None => crate::output::print(format_args!("{}", text.trim_end_matches('\n')), false),
        Some(path) => {
            let mut file = std::fs::File::options()
                .write(true)
                .create_new(true)
                .open(path)
                .map_err(|e| {
                    anyhow::anyhow!(
                        "cannot create {} (an existing file is never overwritten): {e}",
                        path.display()
                    )
                })?;
            // Every value is the case's own, redacted at ingest; the scanner runs once more, as
            // on everything agaudit prints.
            let safe = crate::redact::redactor().text(&text, &mut crate::redact::RuleCounts::new());
            file.write_all(safe.as_bytes())?;
            file.sync_all()?;
            crate::tell!("wrote {} event(s) to {}", events.len() - timeless, path.display());
        }
    }
    Ok(EXIT_OK)
}

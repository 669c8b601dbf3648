//! `agaudit log`: verify the case's ledger and print its records, filtered.

use super::args::{CaseArgs, JsonArgs, ViewerArgs};

use std::path::PathBuf;

use agaudit_verify::checkpoint::{self, Checkpoint};
use clap::Args;

use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::case::Case;
use crate::ledger::bound::BoundTable;
use crate::ledger::{self, LedgerError};
use crate::policy::pattern;

/// Print the case's ledger records as a table, after verifying the whole hash chain.
///
/// Every record is checked (sequence, previous hash, own hash) before anything is shown; a
/// broken chain names the first bad line and exits 1. A torn last record (an interrupted
/// append) is reported and exits 1 too. Filters apply to action records' fields; other record
/// kinds (ingest, policy, checkpoint) are shown unless a filter excludes them. Looking is
/// recorded: a view record (viewer, command, filters) is appended before the records are shown.
/// --json prints one JSON object per record (all fields, full hashes).
#[derive(Debug, Args)]
pub struct LogArgs {
    #[command(flatten)]
    pub case: CaseArgs,

    /// Only records of this agent: AGENT or AGENT@SESSION, globs allowed (e.g. 'report*').
    #[arg(long, value_name = "AGENT")]
    pub agent: Option<String>,

    /// Only records on this resource or below it (a policy resource pattern, globs allowed).
    #[arg(long, value_name = "RESOURCE")]
    pub resource: Option<String>,

    /// Only records with this outcome: allow or DENY.
    #[arg(long, value_name = "OUTCOME")]
    pub outcome: Option<String>,

    /// Only records of this kind: action, ingest, policy, checkpoint, finding, view, export.
    #[arg(long, value_name = "KIND")]
    pub kind: Option<String>,

    /// Only records at or after this time (RFC 3339 UTC or a prefix of it, e.g. 2026-06-08).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Only records before this time (same forms as --since).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// Public key that signed the checkpoints: check the ledger against every signed checkpoint
    /// (the case's and those given with --checkpoint). Without it, signatures are not checked.
    #[arg(long, value_name = "FILE")]
    pub pubkey: Option<PathBuf>,

    /// A signed checkpoint kept outside the case (FILE, with its signature in FILE.minisig), as
    /// agaudit checkpoint printed it; repeatable. Needs --pubkey.
    #[arg(long, value_name = "FILE", requires = "pubkey")]
    pub checkpoint: Vec<PathBuf>,

    #[command(flatten)]
    pub output: JsonArgs,

    #[command(flatten)]
    pub viewer: ViewerArgs,
}

pub fn run(args: LogArgs) -> anyhow::Result<u8> {
    let ledger_file = ledger::ledger_path(&args.case.case);
    if !ledger_file.exists() {
        crate::tell!(
            "agaudit: error: {} does not exist; run agaudit correlate to create the ledger",
            ledger_file.display()
        );
        return Ok(EXIT_ERROR);
    }
    // Locked while reading and recording the view: a correlate running beside waits.
    let case = Case::open(&args.case.case)?;
    let (lines, verified) = match ledger::read(case.root()) {
        Ok(v) => v,
        Err(
            e @ (LedgerError::Chain { .. }
            | LedgerError::Truncated { .. }
            | LedgerError::HeadMismatch { .. }
            | LedgerError::HeadMissing { .. }),
        ) => {
            crate::tell!("agaudit: ledger does not verify: {e}");
            return Ok(EXIT_FINDINGS);
        }
        Err(e) => {
            crate::tell!("agaudit: error: {e}; run agaudit correlate to create the ledger");
            return Ok(EXIT_ERROR);
        }
    };
    // The rows the case's tables hold are the ones the ledger recorded.
    for table in [BoundTable::Actions, BoundTable::Findings] {
        let batches = crate::table::read::derived(case.root(), table.name())?;
        if let Err(e) = ledger::bound::check(case.root(), &lines, table, &batches) {
            crate::tell!("agaudit: evidence does not verify: {e}");
            return Ok(EXIT_FINDINGS);
        }
    }
    if let Err(message) = check_checkpoints(
        &args,
        case.root(),
        &lines,
        verified.case_id.as_deref().unwrap_or_default(),
    ) {
        crate::tell!("agaudit: ledger does not verify: {message}");
        return Ok(EXIT_FINDINGS);
    }
    if let Some(t) = &verified.torn {
        // Appending the view would first move the torn record aside: log stays read-only on a
        // damaged ledger, and the next correlate recovers it (and records that).
        crate::tell!(
            "agaudit: warning: the ledger ends in an incomplete record at line {} ({} bytes at offset {}): an append was interrupted; \
             the next agaudit correlate moves it aside and records the recovery (this view is not recorded until then)",
            t.line,
            t.len,
            t.offset
        );
    } else {
        // Recorded before anything is printed, so a reader that stops early (`| head`) is
        // still on record.
        crate::ledger::record_view(
            &case,
            &args.viewer.name(),
            "log",
            &[
                ("agent", args.agent.as_deref()),
                ("resource", args.resource.as_deref()),
                ("outcome", args.outcome.as_deref()),
                ("kind", args.kind.as_deref()),
                ("since", args.since.as_deref()),
                ("until", args.until.as_deref()),
            ],
        )?;
    }
    drop(case);
    let mut shown = Vec::new();
    for line in &lines {
        let fields: Vec<(String, String)> = agaudit_verify::ledger::fields(line)
            .map_err(|e| anyhow::anyhow!("verified ledger line cannot be split: {e}"))?
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        if keep(&args, &fields) {
            shown.push(fields);
        }
    }
    if args.output.json {
        for r in &shown {
            let obj: serde_json::Map<String, serde_json::Value> = r
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect();
            crate::say!("{}", serde_json::Value::Object(obj));
        }
    } else {
        crate::output::ledger_table(&shown);
        crate::say!(
            "{} of {} record(s) shown; chain verified from genesis to record {}",
            shown.len(),
            lines.len(),
            verified.last_seq
        );
    }
    Ok(if verified.torn.is_some() {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}

fn keep(args: &LogArgs, r: &[(String, String)]) -> bool {
    let get = |k: &str| r.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let ts = get("ts").unwrap_or("");
    if args.kind.as_deref().is_some_and(|k| get("kind") != Some(k)) {
        return false;
    }
    if args.since.as_deref().is_some_and(|s| ts < s) || args.until.as_deref().is_some_and(|u| ts >= u) {
        return false;
    }
    if let Some(want) = &args.agent
        && !get("agent").is_some_and(|agent| pattern::agent_matches(want, agent))
    {
        return false;
    }
    if let Some(want) = &args.resource {
        let Some(resource) = get("resource") else { return false };
        if pattern::covers(want, resource).is_none() {
            return false;
        }
    }
    if args.outcome.as_deref().is_some_and(|o| get("outcome") != Some(o)) {
        return false;
    }
    true
}

/// Checks the ledger against its signed checkpoints: with --pubkey, every checkpoint of the case
/// and every one given must carry a valid signature by that key and match the ledger; without
/// it, the case's checkpoints are compared unsigned and the output says so. Err: what to report.
fn check_checkpoints(
    args: &LogArgs,
    case_root: &std::path::Path,
    lines: &[String],
    case_id: &str,
) -> Result<(), String> {
    let in_case = ledger::case_checkpoints(case_root).map_err(|e| e.to_string())?;
    let raw: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
    let Some(pubkey) = &args.pubkey else {
        let bodies: Vec<Checkpoint> = in_case.iter().map(|(_, c, _)| c.clone()).collect();
        checkpoint::check_ledger(case_id, &raw, &bodies).map_err(|e| e.to_string())?;
        if !in_case.is_empty() {
            let keys: std::collections::BTreeSet<String> = lines
                .iter()
                .filter(|l| l.contains(" kind=signed_checkpoint "))
                .filter_map(|l| l.split(' ').find_map(|f| f.strip_prefix("key=")).map(str::to_string))
                .collect();
            crate::tell!(
                "agaudit: note: {} signed checkpoint(s) in the case were compared, but their signatures were not checked \
                 (the case names key ID(s) {}, which is not a key to trust: an insider could replace it); pass --pubkey",
                in_case.len(),
                keys.into_iter().collect::<Vec<_>>().join(", ")
            );
        }
        return Ok(());
    };
    let key = agaudit_verify::cli::read_key(pubkey).map_err(|e| format!("{}: {e}", pubkey.display()))?;
    let mut genuine = Vec::new();
    for (path, _, signature) in &in_case {
        let body = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        genuine
            .push(checkpoint::verify_signed(&body, signature, &key).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    for path in &args.checkpoint {
        let body = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let sig_path = ledger::signature_path(path);
        let signature = std::fs::read_to_string(&sig_path).map_err(|e| format!("{}: {e}", sig_path.display()))?;
        genuine
            .push(checkpoint::verify_signed(&body, &signature, &key).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    checkpoint::check_ledger(case_id, &raw, &genuine).map_err(|e| e.to_string())?;
    crate::tell!(
        "agaudit: the ledger matches {} signed checkpoint(s), each signature checked with {}",
        genuine.len(),
        pubkey.display()
    );
    Ok(())
}

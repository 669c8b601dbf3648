//! `agaudit log`: verify the case's ledger and print its records, filtered.

use super::args::{CaseArgs, ShowArgs, ViewerArgs, Viewing};

use std::path::PathBuf;

use agaudit_verify::checkpoint::{self, Checkpoint};
use clap::Args;

use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::ledger;
use crate::ledger::RecordKind;
use crate::ledger::bound::BoundTable;
use crate::output::Format;
use crate::policy::pattern;
use crate::table::actions::{Conf, Outcome, Verdict};
use crate::time::Bound;

/// Print the case's ledger records as a table, after verifying the whole hash chain.
///
/// Every record is checked (sequence, previous hash, own hash) before anything is shown; a
/// broken chain names the first bad line and exits 1. A torn last record (an interrupted
/// append) is reported and exits 1 too. Filters apply to action records' fields; other record
/// kinds (ingest, policy, checkpoint) are shown unless a filter excludes them. Looking is
/// recorded: a view record (viewer, command, filters) is appended before the records are shown.
/// --json prints one JSON object per record (all fields, full hashes, counts as numbers),
/// schemas/log.schema.json.
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

    /// Only action records with this outcome (any case: deny is DENY).
    #[arg(long, value_name = "OUTCOME", ignore_case = true)]
    pub outcome: Option<Outcome>,

    /// Only records of this kind.
    #[arg(long, value_name = "KIND", ignore_case = true)]
    pub kind: Option<RecordKind>,

    /// Only action and finding records of this attribution confidence.
    #[arg(long, value_name = "CONF", ignore_case = true)]
    pub conf: Option<Conf>,

    /// Only action records with this verdict against the policy.
    #[arg(long, value_name = "VERDICT", ignore_case = true)]
    pub verdict: Option<Verdict>,

    /// Only records at or after this time: RFC 3339 with an offset (2026-06-08T10:00:00Z,
    /// …+02:00), a date (2026-06-08, from 00:00 UTC), or a duration back from now (30m, 24h, 7d).
    #[arg(long, value_name = "TIME", value_parser = Bound::from_arg)]
    pub since: Option<Bound>,

    /// Only records before this time (same forms as --since).
    #[arg(long, value_name = "TIME", value_parser = Bound::from_arg)]
    pub until: Option<Bound>,

    /// Public key that signed the checkpoints: check the ledger against every signed checkpoint
    /// (the case's and those given with --checkpoint). Without it, signatures are not checked.
    #[arg(long, value_name = "FILE")]
    pub pubkey: Option<PathBuf>,

    /// A signed checkpoint kept outside the case (FILE, with its signature in FILE.minisig), as
    /// agaudit checkpoint printed it; repeatable. Needs --pubkey.
    #[arg(long, value_name = "FILE", requires = "pubkey")]
    pub checkpoint: Vec<PathBuf>,

    #[command(flatten)]
    pub output: ShowArgs,

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
    let viewing = Viewing::open(&args.case.case, &args.viewer)?;
    let (lines, verified) = match ledger::read(viewing.root()) {
        Ok(v) => v,
        Err(e) if e.is_tampering() => {
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
        let batches = crate::table::read::derived(viewing.root(), table.name())?;
        if let Err(e) = ledger::bound::check(viewing.root(), &lines, table, &batches) {
            crate::tell!("agaudit: evidence does not verify: {e}");
            return Ok(EXIT_FINDINGS);
        }
    }
    // A key or checkpoint file that cannot be read is an input error (exit 2), not evidence
    // that does not verify.
    if let Some(p) = &args.pubkey
        && let Err(e) = agaudit_verify::cli::read_key(p)
    {
        crate::tell!("agaudit: error: {}: {e}", p.display());
        return Ok(EXIT_ERROR);
    }
    if let Some(p) = args.checkpoint.iter().find(|p| !p.is_file()) {
        crate::tell!("agaudit: error: cannot read checkpoint {}", p.display());
        return Ok(EXIT_ERROR);
    }
    if let Err(message) = check_checkpoints(
        &args,
        viewing.root(),
        &lines,
        verified.case_id.as_deref().unwrap_or_default(),
    ) {
        crate::tell!("agaudit: ledger does not verify: {message}");
        return Ok(EXIT_FINDINGS);
    }
    let mut records = Vec::with_capacity(lines.len());
    for line in &lines {
        let fields: Vec<(String, String)> = agaudit_verify::ledger::fields(line)
            .map_err(|e| anyhow::anyhow!("verified ledger line cannot be split: {e}"))?
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        records.push(fields);
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
        let (since, until) = (args.since.map(|b| b.to_string()), args.until.map(|b| b.to_string()));
        viewing.record(
            &args.viewer,
            "log",
            &[
                ("agent", args.agent.as_deref()),
                ("resource", args.resource.as_deref()),
                ("outcome", args.outcome.map(Outcome::name)),
                ("kind", args.kind.map(RecordKind::name)),
                ("conf", args.conf.map(Conf::name)),
                ("verdict", args.verdict.map(Verdict::name)),
                ("since", since.as_deref()),
                ("until", until.as_deref()),
            ],
        )?;
    }
    // A name the case does not hold is a typo more often than an answer: say so (exit 2) with
    // the names meant. After the view is recorded: the names shown are the case's.
    if let Some(problem) = matches_nothing(&args, &records) {
        crate::tell!("agaudit: error: {problem}");
        return Ok(EXIT_ERROR);
    }
    drop(viewing);
    let shown: Vec<Vec<(String, String)>> = records.into_iter().filter(|r| keep(&args, r)).collect();
    let screen = args.output.screen(true);
    match screen.format {
        Format::Jsonl => {
            for r in &shown {
                crate::say!("{}", ledger::record_json(r));
            }
        }
        Format::Json => {
            let all: Vec<serde_json::Value> = shown.iter().map(|r| ledger::record_json(r)).collect();
            crate::say!("{}", serde_json::to_string_pretty(&all)?);
        }
        Format::Table | Format::Csv => {
            let given = [
                ("agent", args.agent.is_some()),
                ("resource", args.resource.is_some()),
                ("kind", args.kind.is_some()),
                ("outcome", args.outcome.is_some()),
                ("conf", args.conf.is_some()),
            ];
            let filtered: Vec<&'static str> = given.iter().filter(|(_, on)| *on).map(|(n, _)| *n).collect();
            let mut page = crate::output::ledger_page(&shown, &filtered);
            page.line(format!(
                "{} of {} record(s) shown; chain verified from genesis to record {}",
                shown.len(),
                lines.len(),
                verified.last_seq
            ));
            page.show(&screen);
        }
    }
    Ok(if verified.torn.is_some() {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}

/// `--agent` or `--resource` naming nothing any record of the case holds, and the values nearest.
fn matches_nothing(args: &LogArgs, records: &[Vec<(String, String)>]) -> Option<String> {
    let values = |key: &str| -> std::collections::BTreeSet<&str> {
        records
            .iter()
            .filter_map(|r| r.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()))
            .collect()
    };
    if let Some(want) = &args.agent {
        let agents = values("agent");
        if !agents.iter().any(|a| pattern::agent_matches(want, a)) {
            // Suggest agent names, not whole AGENT@SESSION values.
            let names: std::collections::BTreeSet<&str> =
                agents.iter().map(|a| a.split('@').next().unwrap_or(a)).collect();
            return Some(format!(
                "--agent {want} matches no agent in this case's ledger{}",
                crate::suggest::hint(want.split('@').next().unwrap_or(want), names.iter().copied())
            ));
        }
    }
    if let Some(want) = &args.resource {
        let resources = values("resource");
        if !resources.iter().any(|r| pattern::covers(want, r).is_some()) {
            return Some(format!(
                "--resource {want} covers no resource in this case's ledger{}",
                crate::suggest::hint(want, resources.iter().copied())
            ));
        }
    }
    None
}

fn keep(args: &LogArgs, r: &[(String, String)]) -> bool {
    let get = |k: &str| r.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let ts = get("ts").unwrap_or("");
    let differs = |key: &str, want: Option<&str>| want.is_some_and(|w| get(key) != Some(w));
    if differs("kind", args.kind.map(RecordKind::name))
        || differs("outcome", args.outcome.map(Outcome::name))
        || differs("conf", args.conf.map(Conf::name))
        || differs("verdict", args.verdict.map(Verdict::name))
    {
        return false;
    }
    if args.since.is_some_and(|s| !s.admits_from(ts)) || args.until.is_some_and(|u| !u.admits_until(ts)) {
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
                .filter(|l| agaudit_verify::ledger::kind_of_line(l) == Some(RecordKind::SignedCheckpoint.name()))
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

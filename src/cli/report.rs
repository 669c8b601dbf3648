//! `agaudit report`: gathers what the views show and writes the page; the page is built in
//! `crate::report`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::EXIT_OK;
use super::args::{CaseArgs, RecordedPolicyArgs, ViewerArgs};
use crate::report::{Header, Inputs, Mark};
use crate::table::actions::ActionsView;
use crate::table::read::ReadError;

/// Write the case as one self-contained HTML page: findings, the access map and a timeline as
/// pictures, unattributed actions, coverage gaps and the agents.
///
/// The page loads nothing (styles inline, pictures inline SVG, no script) and its
/// Content-Security-Policy forbids every load, so it can be mailed, archived and opened offline.
/// Its numbers come from the same code as diff, map and inventory; findings are computed without
/// being written. Looking is recorded like every view.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub case: CaseArgs,

    /// Page to write (never overwritten; default: agaudit-report-CASE_ID.html here).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// An evidence bundle of the case, verified with --pubkey and its result shown.
    #[arg(long, value_name = "BUNDLE", requires = "pubkey")]
    pub bundle: Option<PathBuf>,

    /// The signer's public key: checks the bundle and the signed checkpoints' signatures.
    #[arg(long, value_name = "FILE")]
    pub pubkey: Option<PathBuf>,

    #[command(flatten)]
    pub policy: RecordedPolicyArgs,

    #[command(flatten)]
    pub viewer: ViewerArgs,
}

pub fn run(args: ReportArgs) -> anyhow::Result<u8> {
    let (viewing, manifest) = args.case.view("agaudit ingest and agaudit correlate", &args.viewer)?;
    let root = viewing.root();
    let (name, loaded) = args.policy.load(root)?;
    let diff = crate::diff::run_unrecorded(root, &manifest)?;
    let map = crate::map::build(root, &loaded.policy, &name, &loaded.blake3, None)?;
    let (inventory, _) = crate::inventory::build(root, &manifest, &loaded.policy)?;
    let (lines, verified) = crate::ledger::read(root)?;
    let key = match &args.pubkey {
        Some(p) => Some(agaudit_verify::cli::read_key(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?),
        None => None,
    };
    let case_id = verified.case_id.clone().unwrap_or_default();
    let checkpoint = crate::ledger::case_checkpoints(root)?
        .pop()
        .map(|(path, c, signature)| {
            let key_id = signature
                .lines()
                .nth(1)
                .and_then(agaudit_verify::checkpoint::key_id)
                .unwrap_or_else(|| "(unreadable)".into());
            let raw: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
            let matches = agaudit_verify::checkpoint::check_ledger(&case_id, &raw, std::slice::from_ref(&c));
            let ledger = match matches {
                Ok(()) => "the ledger matches it".to_string(),
                Err(e) => format!("the ledger CONTRADICTS it: {e}"),
            };
            let signed = match &key {
                None => "its signature was not checked (give --pubkey)".to_string(),
                Some(k) => match std::fs::read(&path).map_err(|e| e.to_string()).and_then(|body| {
                    agaudit_verify::checkpoint::verify_signed(&body, &signature, k).map_err(|e| e.to_string())
                }) {
                    Ok(_) => "its signature verifies with the key given".to_string(),
                    Err(e) => format!("its signature does NOT verify with the key given: {e}"),
                },
            };
            (c.size, key_id, format!("{ledger}; {signed}"))
        });
    let bundle = match (&args.bundle, &key) {
        (Some(path), Some(k)) => {
            let src = std::fs::File::open(path)
                .and_then(agaudit_verify::source::Source::open)
                .map_err(|e| anyhow::anyhow!("cannot read bundle {}: {e}", path.display()))?;
            let r = agaudit_verify::bundle::verify_source(&src, k, None);
            let failed = r
                .checks
                .iter()
                .filter(|c| !c.valid)
                .map(|c| format!("{}: {}", c.check, c.detail))
                .collect();
            Some((path.display().to_string(), r.valid(), failed))
        }
        _ => None,
    };
    let mut lanes: BTreeMap<String, Vec<Mark>> = BTreeMap::new();
    for b in &crate::ledger::bound::actions(root)? {
        let v = ActionsView::of(b).map_err(ReadError::from)?;
        for i in 0..v.num_rows {
            let lane = match (v.agent.get(i), v.session.get(i), v.principal.get(i)) {
                (Some(a), Some(s), _) => format!("{a}@{s}"),
                (Some(a), None, _) => a.to_string(),
                (None, _, p) => format!("unattributed: {}", p.unwrap_or("unknown")),
            };
            let ts_ns = v.ts.get(i).unwrap_or_default();
            let title = format!(
                "{} {} {} {}: {} ({})",
                crate::time::rfc3339(Some(ts_ns)).unwrap_or_default(),
                v.command.get(i).unwrap_or(v.class.get(i).name()),
                v.op.get(i).name(),
                v.resource.get(i),
                v.outcome.get(i).name(),
                v.verdict.get(i).name()
            );
            lanes.entry(lane).or_default().push(Mark {
                ts_ns,
                layer: v.evidence_table.get(i),
                verdict: v.verdict.get(i),
                outcome: v.outcome.get(i),
                title,
            });
        }
    }
    let actions: usize = lanes.values().map(Vec::len).sum();
    let page = crate::report::html(&Inputs {
        header: Header {
            case_id: case_id.clone(),
            head_seq: verified.last_seq,
            head_hash: agaudit_verify::to_hex(&verified.head),
            checkpoint,
            bundle,
            generated: crate::time::now(),
        },
        diff: &diff,
        map: &map,
        inventory: &inventory,
        lanes,
    });
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("agaudit-report-{case_id}.html")));
    let out_text = out.display().to_string();
    viewing.record(
        &args.viewer,
        "report",
        &[
            ("out", Some(out_text.as_str())),
            ("policy", args.policy.policy.as_ref().and_then(|p| p.to_str())),
        ],
    )?;
    drop(viewing);
    let mut file = std::fs::File::options()
        .write(true)
        .create_new(true)
        .open(&out)
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot create {} (an existing file is never overwritten): {e}",
                out.display()
            )
        })?;
    // The values are the case's own, redacted at ingest; the scanner runs once more, as on
    // everything agaudit writes.
    let safe = crate::redact::redactor().text(&page, &mut crate::redact::RuleCounts::new());
    file.write_all(safe.as_bytes())?;
    file.sync_all()?;
    crate::say!(
        "wrote {} ({} finding(s), {} agent(s), {} action(s)); open it in a browser",
        out.display(),
        diff.findings.len(),
        map.agents,
        actions
    );
    Ok(EXIT_OK)
}

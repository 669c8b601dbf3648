//! `agaudit prove`: an inclusion proof of one action, for an auditor who may see only it.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::EXIT_OK;
use super::args::{CaseArgs, CheckpointKeyArgs, ViewerArgs};

/// Write an inclusion proof of one action: its ledger record, its audit path in the Merkle tree,
/// and a signed checkpoint of the ledger.
///
/// The proof shows an auditor that this one action is in the signed ledger without showing any
/// other record (selective disclosure). They check it with `agaudit verify FILE --pubkey PUB` or
/// `agaudit-verify`. The smallest signed checkpoint covering the action's latest record is used;
/// with --key (or AGAUDIT_KEY) one is signed first when none covers it. Handing out a proof is
/// recorded in the ledger as a view.
#[derive(Debug, Args)]
pub struct ProveArgs {
    #[command(flatten)]
    pub case: CaseArgs,

    /// The action id (the `action` field of its ledger record, the action_id column).
    #[arg(long, value_name = "ID")]
    pub action: String,

    /// Proof file to write (never overwritten).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,

    #[command(flatten)]
    pub signing: CheckpointKeyArgs,

    #[command(flatten)]
    pub viewer: ViewerArgs,
}

pub fn run(args: ProveArgs) -> anyhow::Result<u8> {
    let sk = args.signing.unlock()?;
    let (viewing, manifest) = args.case.view("agaudit ingest and agaudit correlate", &args.viewer)?;
    match (viewing.case(), sk.as_ref()) {
        (Some(case), sk) => {
            super::args::sign_checkpoint(case, &manifest.case_id, sk)?;
        }
        (None, Some(_)) => anyhow::bail!(
            "--key signs a checkpoint into the case, which this unrecorded view does not write: drop --key (the proof then needs a signed checkpoint already in the case)"
        ),
        (None, None) => {}
    }
    let proof = crate::bundle::proof::prove(viewing.root(), &args.action)?;
    // Recorded before the proof leaves the case.
    viewing.record(&args.viewer, "prove", &[("action", Some(args.action.as_str()))])?;
    let mut file = std::fs::File::options()
        .write(true)
        .create_new(true)
        .open(&args.out)
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot create {} (an existing file is never overwritten): {e}",
                args.out.display()
            )
        })?;
    file.write_all(proof.render().as_bytes())?;
    file.sync_all()?;
    crate::say!(
        "wrote {}: record {} (action {}) with an audit path of {} hashes to the signed checkpoint of {} records; verify with: agaudit verify {} --pubkey PUBLIC_KEY.pub",
        args.out.display(),
        proof.seq,
        args.action,
        proof.path.len(),
        proof.checkpoint.lines().nth(1).unwrap_or_default(),
        args.out.display()
    );
    Ok(EXIT_OK)
}

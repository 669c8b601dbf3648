//! `agaudit checkpoint`: sign the ledger's current state, for auditors and WORM storage.

use std::path::PathBuf;

use clap::Args;

use super::EXIT_OK;
use super::args::CaseArgs;
use crate::bundle::keys::{self, Password};

/// Sign a checkpoint of the case's ledger: its record count (tree size), Merkle root and last
/// record's hash, in the C2SP tlog-checkpoint text layout, signed with minisign.
///
/// The checkpoint is kept in CASE/checkpoints/ (NNN.txt and NNN.txt.minisig, which `minisign
/// -Vm NNN.txt -p KEY.pub` checks), recorded in the ledger as a signed_checkpoint record, and
/// printed: hand it to an auditor or write it to WORM storage. A later rewrite of the ledger, even
/// one that recomputes every hash, contradicts it (`agaudit log --pubkey KEY.pub --checkpoint
/// FILE` names where), and correlate refuses to append to a ledger that contradicts one. A
/// ledger that has not grown since its last signed checkpoint gets no new one.
#[derive(Debug, Args)]
pub struct CheckpointArgs {
    #[command(flatten)]
    pub case: CaseArgs,

    /// Secret key (from agaudit keygen or minisign -G); must not be readable by group or others.
    #[arg(long, env = "AGAUDIT_KEY", value_name = "FILE")]
    pub key: PathBuf,

    /// Read the secret key's password from the first line of FILE (else AGAUDIT_KEY_PASSWORD,
    /// else a prompt on a terminal).
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
}

pub fn run(args: CheckpointArgs) -> anyhow::Result<u8> {
    let sk = keys::unlock(&args.key, || Password::resolve(args.password_file.as_deref(), false))?;
    let (case, manifest) = args.case.open("agaudit ingest and agaudit correlate")?;
    let Some(signed) = super::args::sign_checkpoint(&case, &manifest.case_id, Some(&sk))? else {
        let last = crate::ledger::case_checkpoints(case.root())?;
        let path = last.last().map(|(p, _, _)| p.display().to_string()).unwrap_or_default();
        crate::say!("the ledger has not grown since its last signed checkpoint ({path}); nothing signed");
        return Ok(EXIT_OK);
    };
    crate::say!("{}", signed.body);
    crate::say!("{}", signed.signature.trim_end());
    crate::say!(
        "\nkept as {} and {}; verify with: minisign -Vm {} -p PUBLIC_KEY.pub",
        signed.path.display(),
        crate::ledger::signature_path(&signed.path).display(),
        signed.path.display()
    );
    Ok(EXIT_OK)
}

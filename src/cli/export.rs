//! `agaudit export`: a signed evidence bundle of the case's ledger, for auditors.

use super::args::CaseArgs;
use std::path::PathBuf;

use clap::Args;

use super::EXIT_OK;
use crate::bundle::keys::{self, Password};
use crate::bundle::{self, Filter};

/// Export a signed evidence bundle: a contiguous slice of the ledger, the matching actions
/// (and findings) as Parquet, and a minisign-signed manifest, in one tar archive.
///
/// The filters select action and finding records; the slice runs from the first to the last
/// of them and keeps every record in between, so the chain can be recomputed. Without filters
/// the whole ledger is exported. The export is recorded in the ledger. Auditors check the
/// bundle with `agaudit verify` or `agaudit-verify` and your public key.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub case: CaseArgs,

    /// Secret key (from agaudit keygen or minisign -G); must not be readable by group or others.
    /// It also signs a checkpoint of the ledger the export leaves.
    #[arg(long, env = "AGAUDIT_KEY", value_name = "FILE")]
    pub key: PathBuf,

    /// Bundle file to write (never overwritten), e.g. case-2026-06.agb.tar.
    #[arg(long, value_name = "BUNDLE")]
    pub out: PathBuf,

    /// Only actions and findings at or after this time: RFC 3339 with an offset
    /// (2026-06-08T10:00:00Z, …+02:00), a date (2026-06-08, from 00:00 UTC), or a duration back
    /// from now (30m, 24h, 7d). Recorded in the manifest as the instant it meant.
    #[arg(long, value_name = "TIME", value_parser = crate::time::Bound::from_arg)]
    pub since: Option<crate::time::Bound>,

    /// Only actions and findings before this time (same forms as --since).
    #[arg(long, value_name = "TIME", value_parser = crate::time::Bound::from_arg)]
    pub until: Option<crate::time::Bound>,

    /// Only actions and findings of this agent: AGENT or AGENT@SESSION, globs allowed.
    #[arg(long, value_name = "AGENT")]
    pub agent: Option<String>,

    /// Read the secret key's password from the first line of FILE (else AGAUDIT_KEY_PASSWORD,
    /// else a prompt on a terminal).
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
}

pub fn run(args: ExportArgs) -> anyhow::Result<u8> {
    let sk = keys::unlock(&args.key, || Password::resolve(args.password_file.as_deref(), false))?;
    let filter = Filter {
        since: args.since,
        until: args.until,
        agent: args.agent,
    };
    let (case, manifest) = args.case.open("agaudit ingest and agaudit correlate")?;
    let outcome = bundle::export(&case, &filter, &sk, &args.out)?;
    // The export grew the ledger: its state, export record included, is signed too.
    super::args::sign_checkpoint(&case, &manifest.case_id, Some(&sk))?;
    drop(case);
    let e = match outcome {
        bundle::Outcome::Exported(e) => e,
        bundle::Outcome::Resumed {
            out,
            manifest_blake3,
            published_now,
        } => {
            let what = if published_now {
                "an interrupted export had recorded this bundle in the ledger; it is now published"
            } else {
                "this bundle is already exported and recorded in the ledger; nothing to do"
            };
            crate::say!("{}: {what} (manifest blake3 {manifest_blake3})", out.display());
            return Ok(EXIT_OK);
        }
    };
    let m = &e.manifest;
    crate::say!(
        "exported records {}..{} ({} records, {} .. {}) of case {} to {} ({} bytes)",
        m.first_seq,
        m.last_seq,
        m.records,
        m.first_ts,
        m.last_ts,
        m.case_id,
        e.out.display(),
        e.bundle_bytes
    );
    for (name, rows) in &e.rows {
        crate::say!("  {name}: {rows} rows");
    }
    crate::say!(
        "  {} custody records (the policy in force, the ingest record of every raw file); head {}",
        m.custody.len(),
        m.head
    );
    crate::say!("signed by key ID {}; manifest blake3 {}", e.key_id, e.manifest_blake3);
    crate::say!(
        "verify with: agaudit verify {} --pubkey PUBLIC_KEY.pub",
        e.out.display()
    );
    Ok(EXIT_OK)
}

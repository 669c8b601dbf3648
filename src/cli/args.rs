//! The argument groups several commands share, declared once and flattened into each
//! (`#[command(flatten)]`): the case, the JSON switch, the viewer.
//!
//! In: parsed flags. Out: the opened case, the output choice, the viewer's name.

use std::path::{Path, PathBuf};

use anyhow::bail;
use clap::Args;

use crate::case::{Case, INGEST_JSON, IngestManifest};

/// The case directory a command works on.
#[derive(Debug, Clone, Args)]
pub struct CaseArgs {
    /// Case directory.
    #[arg(long, env = "AGAUDIT_CASE", default_value = "agaudit-case", value_name = "DIR")]
    pub case: PathBuf,
}

impl CaseArgs {
    /// The case and its ingest manifest; when it was never ingested, an error that says to run
    /// `first` (e.g. "agaudit ingest and agaudit correlate") before.
    pub fn open(&self, first: &str) -> anyhow::Result<(Case, IngestManifest)> {
        if !self.case.join(INGEST_JSON).exists() {
            bail!(
                "{} is not a case: it has no ingest.json; run {first} first",
                self.case.display()
            );
        }
        let case = Case::open(&self.case)?;
        let manifest = case.load_manifest()?;
        Ok((case, manifest))
    }
}

/// The policy a view of a correlated case judges against.
#[derive(Debug, Clone, Args)]
pub struct RecordedPolicyArgs {
    /// Policy to use (default: the one correlate recorded in the ledger, checked against its
    /// blake3).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

impl RecordedPolicyArgs {
    /// The policy's name and contents: `--policy`, else the one correlate recorded in `case`.
    pub fn load(&self, case: &Path) -> anyhow::Result<(String, super::policy::Loaded)> {
        super::policy::recorded(case, self.policy.as_deref())
    }
}

/// What a view of a correlated case (map, inventory) takes besides the case: the policy to
/// judge against, the output, the viewer.
#[derive(Debug, Clone, Args)]
pub struct ViewArgs {
    #[command(flatten)]
    pub policy: RecordedPolicyArgs,

    #[command(flatten)]
    pub output: JsonArgs,

    #[command(flatten)]
    pub viewer: ViewerArgs,
}

/// Machine-readable output instead of tables.
#[derive(Debug, Clone, Copy, Args)]
pub struct JsonArgs {
    /// Print JSON (its schema is in schemas/, named in the command's description) instead of
    /// tables.
    #[arg(long)]
    pub json: bool,
}

/// Who is looking at the case, for the view record the ledger keeps of every look.
#[derive(Debug, Clone, Args)]
pub struct ViewerArgs {
    /// Who is looking, for the ledger's view record (default: the OS user).
    #[arg(long = "as", value_name = "VIEWER")]
    pub viewer: Option<String>,
}

impl ViewerArgs {
    /// `--as` when given, else the OS user.
    pub fn name(&self) -> String {
        if let Some(v) = &self.viewer {
            return v.clone();
        }
        std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            // SAFETY: getuid has no preconditions and cannot fail.
            .unwrap_or_else(|_| format!("uid {}", unsafe { libc::getuid() }))
    }
}

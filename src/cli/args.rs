//! The argument groups several commands share, declared once and flattened into each
//! (`#[command(flatten)]`): the case, the JSON switch, the viewer.
//!
//! In: parsed flags. Out: the opened case, the output choice, the viewer's name.

use std::path::{Path, PathBuf};

use anyhow::bail;
use clap::Args;

use crate::bundle::checkpoint::{self, Signed};
use crate::bundle::keys::{self, Password};
use crate::case::{Case, CaseError, INGEST_JSON, IngestManifest};
use crate::ledger::Ledger;

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

    /// The case to view and its ingest manifest, recorded or not ([`Viewing::open`]); the same
    /// error as [`CaseArgs::open`] when it was never ingested.
    pub fn view(&self, first: &str, viewer: &ViewerArgs) -> anyhow::Result<(Viewing, IngestManifest)> {
        if !self.case.join(INGEST_JSON).exists() {
            bail!(
                "{} is not a case: it has no ingest.json; run {first} first",
                self.case.display()
            );
        }
        let viewing = Viewing::open(&self.case, viewer)?;
        let manifest = crate::case::load_manifest(viewing.root())?;
        Ok((viewing, manifest))
    }
}

/// A view of a case: recorded in its ledger (the case locked while it reads and records), or
/// not recorded, and why. A read-only case (evidence on a read-only mount, a copy an auditor
/// may not change) can be viewed; the view says it was not recorded, and never writes.
pub enum Viewing {
    Recorded(Case),
    Unrecorded {
        root: PathBuf,
        why: String,
        /// A shared lock on the case's lock file, when it can be taken: a writer (correlate)
        /// holds it exclusively while it writes, so the view waits rather than read half a run.
        _shared: Option<std::fs::File>,
    },
}

/// A shared lock on CASE/.lock, opened read-only so nothing is written; None when the case has
/// no lock file or the lock cannot be taken.
fn shared_lock(root: &Path) -> Option<std::fs::File> {
    let file = std::fs::File::open(root.join(".lock")).ok()?;
    file.lock_shared().ok()?;
    Some(file)
}

impl Viewing {
    /// Locks `root` to record the view. With --no-record, or when the case cannot be written
    /// (read-only file system, no permission), an unrecorded view that touches nothing, not even
    /// the lock file: it reads what is there, as `agaudit-verify` reads a bundle.
    pub fn open(root: &Path, viewer: &ViewerArgs) -> anyhow::Result<Viewing> {
        if viewer.no_record {
            return Ok(Viewing::Unrecorded {
                root: root.to_path_buf(),
                why: "--no-record was given".into(),
                _shared: shared_lock(root),
            });
        }
        match Case::open(root) {
            Ok(case) => Ok(Viewing::Recorded(case)),
            Err(CaseError::Io { path, source })
                if matches!(
                    source.kind(),
                    std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied
                ) =>
            {
                Ok(Viewing::Unrecorded {
                    root: root.to_path_buf(),
                    why: format!("the case cannot be written ({}: {source})", path.display()),
                    _shared: shared_lock(root),
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    pub fn root(&self) -> &Path {
        match self {
            Viewing::Recorded(case) => case.root(),
            Viewing::Unrecorded { root, .. } => root,
        }
    }

    /// The locked case, when the view is recorded: what may write to it.
    pub fn case(&self) -> Option<&Case> {
        match self {
            Viewing::Recorded(case) => Some(case),
            Viewing::Unrecorded { .. } => None,
        }
    }

    /// Records the view (viewer, command, filters) before anything is shown; an unrecorded
    /// view says so instead, on stderr, so the output is never taken for a recorded one.
    pub fn record(&self, viewer: &ViewerArgs, command: &str, filters: &[(&str, Option<&str>)]) -> anyhow::Result<()> {
        match self {
            Viewing::Recorded(case) => Ok(crate::ledger::record_view(case, &viewer.name(), command, filters)?),
            Viewing::Unrecorded { why, .. } => {
                crate::tell!("agaudit: note: this view is not recorded in the case's ledger: {why}");
                Ok(())
            }
        }
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
    pub output: ShowArgs,

    #[command(flatten)]
    pub viewer: ViewerArgs,
}

/// How a view shows its records: the format, and for tables the width, colour and pager.
#[derive(Debug, Clone, Copy, Args)]
pub struct ShowArgs {
    /// Print JSON (what --format json prints, JSON Lines for log; the schema is in schemas/,
    /// named in the command's description).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,

    /// Output format: a table fitted to the width, CSV (every column whole), one JSON document,
    /// or JSON Lines (one record per line).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<crate::output::Format>,

    /// Width of tables in characters (default: the terminal's, else $COLUMNS, else 100).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(40..))]
    pub width: Option<u16>,

    /// Colour severities, verdicts and refusals: auto (on a terminal, unless NO_COLOR is set),
    /// always or never.
    #[arg(long, value_enum, value_name = "WHEN", default_value = "auto")]
    pub color: crate::output::ColorChoice,

    /// Print straight to the terminal instead of through $PAGER (else less -FRX) when the
    /// output is longer than the screen.
    #[arg(long)]
    pub no_pager: bool,
}

impl ShowArgs {
    /// The screen this output goes to; `json_lines` says what --json means for the command.
    pub fn screen(&self, json_lines: bool) -> crate::output::Screen {
        use crate::output::Format;
        let format = match (self.json, self.format) {
            (true, _) if json_lines => Format::Jsonl,
            (true, _) => Format::Json,
            (false, Some(f)) => f,
            (false, None) => Format::Table,
        };
        crate::output::Screen::new(format, self.width.map(usize::from), self.color, !self.no_pager)
    }
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

    /// Do not record this view in the ledger (the output says so). A case that cannot be
    /// written is viewed this way without asking.
    #[arg(long)]
    pub no_record: bool,
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

/// The key a command signs a checkpoint with after its append (correlate, diff).
#[derive(Debug, Clone, Args)]
pub struct CheckpointKeyArgs {
    /// Sign a checkpoint of the ledger with this secret key when the command grew it (as agaudit
    /// checkpoint does); keep the public key away from the case.
    #[arg(long, env = "AGAUDIT_KEY", value_name = "FILE")]
    pub key: Option<PathBuf>,

    /// Read the secret key's password from the first line of FILE (else AGAUDIT_KEY_PASSWORD,
    /// else a prompt on a terminal).
    #[arg(long, value_name = "FILE", requires = "key")]
    pub password_file: Option<PathBuf>,
}

impl CheckpointKeyArgs {
    /// The unlocked key, if one was given: asked for before any work, so a wrong password
    /// fails the command before it changes anything.
    pub fn unlock(&self) -> anyhow::Result<Option<minisign::SecretKey>> {
        let Some(path) = &self.key else { return Ok(None) };
        Ok(Some(keys::unlock(path, || {
            Password::resolve(self.password_file.as_deref(), false)
        })?))
    }
}

/// Signs a checkpoint of `case`'s ledger with `sk` when it grew, and says so on stderr.
pub fn sign_checkpoint(case: &Case, case_id: &str, sk: Option<&minisign::SecretKey>) -> anyhow::Result<Option<Signed>> {
    let Some(sk) = sk else { return Ok(None) };
    let mut ledger = Ledger::open(case, case_id)?;
    let signed = checkpoint::sign_if_grown(&mut ledger, sk)?;
    if let Some(s) = &signed {
        crate::tell!(
            "agaudit: signed checkpoint of {} records (root {}) with key ID {}: {}",
            s.checkpoint.size,
            agaudit_verify::checkpoint::base64(&s.checkpoint.root),
            s.key_id,
            s.path.display()
        );
    }
    Ok(signed)
}

//! Command-line definition (clap derive) and dispatch, one file per command.
//!
//! The same definition generates the man pages and shell completions committed in man/ and
//! completions/ (a test fails when they are stale). Exit codes: 0 success, 1 findings or invalid
//! evidence, 2 usage or input error.
//!
//! In: process arguments. Out: the command's output and an exit code.

pub mod args;
pub mod checkpoint;
pub mod correlate;
pub mod demo;
pub mod diff;
pub mod export;
pub mod ingest;
pub mod inventory;
pub mod keygen;
pub mod log;
pub mod manual;
pub mod map;
pub mod policy;
pub mod prove;
pub mod report;
pub mod timeline;
pub mod verify;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::ledger::LedgerError;

/// Success.
pub const EXIT_OK: u8 = 0;
/// Findings at or above the threshold, or evidence that does not verify.
pub const EXIT_FINDINGS: u8 = 1;
/// Usage error, unreadable or unusable input.
pub const EXIT_ERROR: u8 = 2;

/// agaudit: prove what AI agents did, from the logs your estate already collects.
///
/// agaudit reads PostgreSQL pgAudit logs, OpenTelemetry OTLP JSON traces and logs, MCP
/// tools/list dumps and ebpf-capture files, normalises them to Parquet in a case directory, and
/// keeps a chain of custody of every raw file. It correlates them into attributed actions judged against a policy,
/// keeps them in a hash-chained ledger, and exports minisign-signed evidence bundles that
/// auditors verify on their own. It never opens a network connection.
#[derive(Debug, Parser)]
#[command(
    name = "agaudit",
    version = version(),
    propagate_version = true,
    max_term_width = 100,
    disable_help_subcommand = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Demo(demo::DemoArgs),
    Ingest(ingest::IngestArgs),
    Policy(policy::PolicyArgs),
    Correlate(correlate::CorrelateArgs),
    Diff(diff::DiffArgs),
    Map(map::MapArgs),
    Inventory(inventory::InventoryArgs),
    Log(log::LogArgs),
    Checkpoint(checkpoint::CheckpointArgs),
    Prove(prove::ProveArgs),
    Timeline(timeline::TimelineArgs),
    Report(report::ReportArgs),
    Keygen(keygen::KeygenArgs),
    Export(export::ExportArgs),
    Verify(verify::VerifyArgs),
}

/// `agaudit --version`: the release and the bundle format it writes, which is what an auditor's
/// verifier must understand.
pub fn version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        format!(
            "{} (bundle format {} {})",
            env!("CARGO_PKG_VERSION"),
            agaudit_verify::manifest::FORMAT,
            agaudit_verify::manifest::FORMAT_VERSION
        )
    })
}

/// The clap command, for man pages and completions.
pub fn command() -> clap::Command {
    Cli::command()
}

/// The ledger error inside a stage's error, if that is what it is.
fn ledger_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a LedgerError> {
    if let Some(l) = e.downcast_ref::<LedgerError>() {
        return Some(l);
    }
    if let Some(crate::diff::DiffError::Ledger(l)) = e.downcast_ref() {
        return Some(l);
    }
    if let Some(crate::correlate::CorrelateError::Ledger(l)) = e.downcast_ref() {
        return Some(l);
    }
    if let Some(crate::bundle::ExportError::Ledger(l)) = e.downcast_ref() {
        return Some(l);
    }
    if let Some(crate::bundle::checkpoint::CheckpointError::Ledger(l)) = e.downcast_ref() {
        return Some(l);
    }
    if let Some(crate::bundle::proof::ProveError::Ledger(l)) = e.downcast_ref() {
        return Some(l);
    }
    None
}

/// Parses arguments, runs the command, maps the result to an exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    // Commands that print only prose: their lines wrap on a terminal.
    if matches!(
        cli.command,
        Command::Checkpoint(_) | Command::Prove(_) | Command::Keygen(_) | Command::Export(_)
    ) {
        crate::output::wrap_prose(None);
    }
    let result = match cli.command {
        Command::Demo(args) => {
            crate::output::wrap_prose(args.width.map(usize::from));
            demo::run(args)
        }
        Command::Ingest(args) => ingest::run(args),
        Command::Policy(args) => policy::run(args),
        Command::Correlate(args) => correlate::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Map(args) => map::run(args),
        Command::Inventory(args) => inventory::run(args),
        Command::Log(args) => log::run(args),
        Command::Checkpoint(args) => checkpoint::run(args),
        Command::Prove(args) => prove::run(args),
        Command::Timeline(args) => timeline::run(args),
        Command::Report(args) => report::run(args),
        Command::Keygen(args) => keygen::run(args),
        Command::Export(args) => export::run(args),
        Command::Verify(args) => verify::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // Evidence that does not verify is a finding (exit 1), not a usage or input error.
            let tampered = e
                .chain()
                .any(|c| ledger_error(c).is_some_and(LedgerError::is_tampering));
            if tampered {
                crate::tell!("agaudit: evidence does not verify: {e:#}");
                return ExitCode::from(EXIT_FINDINGS);
            }
            crate::tell!("agaudit: error: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

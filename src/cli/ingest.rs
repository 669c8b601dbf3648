//! `agaudit ingest`: arguments and presentation; the work is in `crate::ingest`.

use super::args::{CaseArgs, JsonArgs};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::{EXIT_ERROR, EXIT_OK};
use crate::ingest::{self, Options};
use crate::output;

/// Ingest raw log files into a case: detect, parse, redact, write Parquet and chain of custody.
///
/// Walks files and directories, detects each file's kind from its content (PostgreSQL logs with
/// pgAudit entries: stderr, csvlog, jsonlog, syslog, RDS/Aurora, CloudWatch, CloudNativePG,
/// Cloud SQL via Cloud Logging, Azure, Heroku; OpenTelemetry OTLP JSON traces and logs, as JSON
/// lines or one request body; MCP tools/list results and captured MCP traffic; ebpf-capture
/// files), reads gzip, zstd, bzip2 and xz transparently, and writes the db_events, spans,
/// log_events, tool_hints, kernel_events and processes tables under CASE/parquet/. The
/// log_line_prefix of each PostgreSQL file is inferred from its lines unless --pg-prefix is given;
/// the summary says which prefix was used and how it was found. Every line becomes part of a row,
/// a counted other line, or a quarantined line (CASE/quarantine/) with a reason. Literals,
/// parameter values and secrets are never written. Content already in the case is not added
/// twice. Exits 2 when a file could not be read, recognised or used (held for an ambiguity, or
/// no rows and lines quarantined); the other files are still ingested. --json prints the
/// summary as schemas/ingest-summary.schema.json describes it.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Files or directories to ingest (directories are walked recursively).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub case: CaseArgs,

    /// The servers' log_line_prefix (same %-escapes as postgresql.conf), for every PostgreSQL file
    /// whose text carries one (stderr, and the text inside syslog, CloudWatch, Cloud SQL, Azure and
    /// Heroku envelopes: the part after their own header). Default: inferred per file.
    #[arg(long, value_name = "FORMAT")]
    pub pg_prefix: Option<String>,

    /// The servers' log_timezone, an IANA name (Asia/Shanghai, America/Chicago): resolves the
    /// time-zone abbreviations and local times in the logs, daylight saving included. Without it,
    /// an abbreviation with more than one meaning (CST, IST, BST) holds its file.
    #[arg(long, value_name = "ZONE")]
    pub log_timezone: Option<String>,

    /// Tag every record of this call, e.g. server=prod-postgres (repeatable). The server label
    /// names database resources: SERVER/DATABASE/SCHEMA.TABLE; mcp_server=NAME names the MCP
    /// server of a tools/list file that carries no initialize result.
    #[arg(long = "label", value_name = "KEY=VALUE", value_parser = parse_label)]
    pub labels: Vec<(String, String)>,

    #[command(flatten)]
    pub output: JsonArgs,

    /// No progress bar and no table; errors and warnings still go to stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

fn parse_label(s: &str) -> Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("expected KEY=VALUE, found '{s}'"))?;
    let valid_key = !k.is_empty() && k.bytes().all(|c| c.is_ascii_alphanumeric() || b"_.-".contains(&c));
    if !valid_key {
        return Err(format!("label key '{k}' must be letters, digits, '_', '.' or '-'"));
    }
    Ok((k.to_string(), v.to_string()))
}

pub fn run(args: IngestArgs) -> anyhow::Result<u8> {
    let labels: BTreeMap<String, String> = args.labels.into_iter().collect();
    let opts = Options {
        paths: args.paths,
        case_dir: args.case.case,
        pg_prefix: args.pg_prefix,
        log_timezone: args.log_timezone,
        labels,
        progress: !args.quiet && !args.output.json && std::io::stderr().is_terminal(),
    };
    let report = ingest::run(&opts).context("ingest failed")?;
    if args.output.json {
        crate::say!("{}", serde_json::to_string_pretty(&report)?);
    } else if !args.quiet {
        output::ingest_summary(&report);
    }
    for w in &report.warnings {
        crate::tell!("agaudit: warning: {w}");
    }
    for f in report.files.iter().filter(|f| f.status.is_error()) {
        crate::tell!(
            "agaudit: error: {}: {}: {}",
            f.path,
            f.status.name(),
            f.message.as_deref().unwrap_or("failed")
        );
    }
    if report.totals.quarantined_lines > 0 {
        crate::tell!(
            "agaudit: warning: {} line(s) quarantined with reasons under {}/quarantine/",
            report.totals.quarantined_lines,
            report.case
        );
    }
    Ok(if report.has_errors() { EXIT_ERROR } else { EXIT_OK })
}

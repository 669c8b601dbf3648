//! `agaudit policy check`: parse a policy and show every error and warning with a caret.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};

use super::{EXIT_FINDINGS, EXIT_OK};
use crate::policy::{self, Severity};

/// Work with policy files (the language is in docs/policy.md).
#[derive(Debug, Args)]
pub struct PolicyArgs {
    #[command(subcommand)]
    pub command: PolicyCommand,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    Check(CheckArgs),
}

/// Check a policy file: errors (exit 1) and warnings about rules that can never match or that
/// compete, each at FILE:LINE:COLUMN with the line and a caret.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The policy file (HCL).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

pub fn run(args: PolicyArgs) -> anyhow::Result<u8> {
    let PolicyCommand::Check(args) = args.command;
    let loaded = load(&args.file)?;
    let name = args.file.display().to_string();
    for d in &loaded.diagnostics {
        eprint!("{}", d.render(&name, &loaded.text));
    }
    let errors = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = loaded.diagnostics.len() - errors;
    let p = &loaded.policy;
    if errors == 0 {
        println!(
            "{name}: ok — {} agent block(s){}, {} rule(s), {} endpoint(s), {} principal(s); {warnings} warning(s)",
            p.agents.len(),
            if p.default.is_some() { " + default" } else { "" },
            p.agents.iter().chain(&p.default).map(|a| a.rules.len()).sum::<usize>(),
            p.endpoints.len(),
            p.principals.len(),
        );
        Ok(EXIT_OK)
    } else {
        println!("{name}: {errors} error(s), {warnings} warning(s)");
        Ok(EXIT_FINDINGS)
    }
}

/// A policy file read, parsed and checked.
pub struct Loaded {
    pub text: String,
    pub blake3: String,
    pub policy: policy::Policy,
    pub diagnostics: Vec<policy::Diagnostic>,
}

pub fn load(path: &std::path::Path) -> anyhow::Result<Loaded> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read policy {}", path.display()))?;
    let text = String::from_utf8(bytes.clone()).map_err(|e| {
        anyhow::anyhow!(
            "policy {} is not UTF-8 (byte {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })?;
    let (policy, mut diagnostics) = policy::parse(&text);
    if diagnostics.iter().all(|d| d.severity != Severity::Error) {
        diagnostics.extend(policy::check(&policy));
        diagnostics.sort_by_key(|d| d.pos);
    }
    Ok(Loaded {
        text,
        blake3: blake3::hash(&bytes).to_hex().to_string(),
        policy,
        diagnostics,
    })
}

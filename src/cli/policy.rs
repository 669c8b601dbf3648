//! `agaudit policy check`: parse a policy and show every error and warning with a caret.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};

use super::{EXIT_FINDINGS, EXIT_OK};
use crate::policy::{self, Severity};

/// Work with policy files (the language is in docs/policy.md).
#[derive(Debug, Args)]
#[command(disable_help_subcommand = true)]
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
        crate::tell!("{}", d.render(&name, &loaded.text).trim_end());
    }
    let errors = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = loaded.diagnostics.len() - errors;
    let p = &loaded.policy;
    if errors == 0 {
        crate::say!(
            "{name}: ok — {} agent block(s){}, {} rule(s), {} endpoint(s), {} principal(s); {warnings} warning(s)",
            p.agents.len(),
            if p.default.is_some() { " + default" } else { "" },
            p.agents.iter().chain(&p.default).map(|a| a.rules.len()).sum::<usize>(),
            p.endpoints.len(),
            p.principals.len(),
        );
        Ok(EXIT_OK)
    } else {
        crate::say!("{name}: {errors} error(s), {warnings} warning(s)");
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

impl Loaded {
    /// What correlate judges with and keeps in the case, `name` being the path as given.
    pub fn in_force<'p>(&'p self, name: &'p str) -> crate::correlate::InForce<'p> {
        crate::correlate::InForce {
            path: name,
            text: &self.text,
            blake3: &self.blake3,
        }
    }
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
    Ok(parsed(text, blake3::hash(&bytes).to_hex().to_string()))
}

/// `text` parsed and checked; `blake3` is the blake3 of the file it stands for.
fn parsed(text: String, blake3: String) -> Loaded {
    let (policy, mut diagnostics) = policy::parse(&text);
    // The checks' errors (identity claims) are shown with the parse errors; their warnings only
    // once the policy parses, since they would speak of blocks the parser had to drop.
    let parsed = diagnostics.iter().all(|d| d.severity != Severity::Error);
    diagnostics.extend(
        policy::check(&policy)
            .into_iter()
            .filter(|d| parsed || d.severity == Severity::Error),
    );
    diagnostics.sort_by_key(|d| d.pos);
    Loaded {
        text,
        blake3,
        policy,
        diagnostics,
    }
}

/// A policy to judge with: [`load`], refused (each error shown, then exit 2) when `policy check`
/// would report an error, so no command judges with what the parser had to drop.
pub fn load_usable(path: &std::path::Path) -> anyhow::Result<Loaded> {
    let loaded = load(path)?;
    let name = path.display().to_string();
    let errors: Vec<_> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    if !errors.is_empty() {
        for d in &errors {
            crate::tell!("{}", d.render(&name, &loaded.text).trim_end());
        }
        anyhow::bail!(
            "{name} has {} error(s); fix them (agaudit policy check {name})",
            errors.len()
        );
    }
    Ok(loaded)
}

/// The policy to judge a case against: `explicit` when given, else the policy correlate last
/// recorded in the case's ledger (its path, checked against the blake3 recorded with it, so a
/// policy edited since is not silently used in its place).
pub fn recorded(case_root: &std::path::Path, explicit: Option<&std::path::Path>) -> anyhow::Result<(String, Loaded)> {
    if let Some(path) = explicit {
        return Ok((path.display().to_string(), load_usable(path)?));
    }
    let (lines, _) = crate::ledger::read(case_root).with_context(|| {
        format!(
            "{}: no readable ledger; run agaudit correlate first",
            case_root.display()
        )
    })?;
    let last = lines.iter().rev().find_map(|l| {
        let f = agaudit_verify::ledger::fields(l).ok()?;
        let get = |k: &str| f.iter().find(|(key, _)| *key == k).map(|(_, v)| v.clone());
        (get("kind").as_deref() == Some(crate::ledger::RecordKind::Policy.name()))
            .then(|| (get("path"), get("blake3"), get("kept")))
    });
    let Some((Some(path), Some(blake3), kept)) = last else {
        anyhow::bail!("the ledger records no policy: run agaudit correlate --policy FILE first, or pass --policy");
    };
    // The copy correlate kept in the case, checked against the blake3 the ledger recorded for it.
    if let Some(kept) = kept {
        let file = crate::case::kept_policy(case_root, &blake3);
        let text = std::fs::read_to_string(&file).with_context(|| {
            format!(
                "the ledger says correlate kept the policy in {}, which cannot be read; re-run agaudit correlate, or pass --policy FILE",
                file.display()
            )
        })?;
        let found = blake3::hash(text.as_bytes()).to_hex().to_string();
        if found != kept {
            // Evidence that does not verify (exit 1), not an input error.
            return Err(crate::ledger::LedgerError::KeptPolicy {
                path: file,
                found,
                recorded: kept,
            }
            .into());
        }
        return Ok((path, parsed(text, blake3)));
    }
    let loaded = load(std::path::Path::new(&path))
        .with_context(|| format!("the policy correlate used ({path}) cannot be read from here; pass --policy FILE"))?;
    if loaded.blake3 != blake3 {
        anyhow::bail!(
            "{path} changed since correlate used it (blake3 {blake3} then, {} now): re-run agaudit correlate, or pass --policy {path} to use it as it is now",
            loaded.blake3
        );
    }
    Ok((path, loaded))
}

//! agaudit-verify: the auditor's verifier of evidence bundles, with no dependency beyond
//! blake3, minisign-verify and a tar reader (the code that decides is in this crate's lib).
//!
//! Usage: agaudit-verify BUNDLE --pubkey FILE [--against OLDER_BUNDLE] [--json] | --version
//! Exit codes: 0 valid, 1 evidence invalid, 2 unusable input (unreadable file, bad key, usage).

use std::process::ExitCode;

const USAGE: &str = "usage: agaudit-verify BUNDLE --pubkey FILE [--against OLDER_BUNDLE] [--json]
       agaudit-verify --version

Verifies an agaudit evidence bundle: the archive, the manifest's minisign signature against
the public key you hold (never one found in the bundle), every member's blake3, the ledger
slice's hash chain from its anchor, and with --against that the bundle extends an older one.
Exit codes: 0 valid, 1 evidence invalid, 2 unusable input.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-V" || a == "--version") {
        println!(
            "agaudit-verify {} (bundle format {} {})",
            env!("CARGO_PKG_VERSION"),
            agaudit_verify::manifest::FORMAT,
            agaudit_verify::manifest::FORMAT_VERSION
        );
        return ExitCode::SUCCESS;
    }
    match agaudit_verify::cli::run(&args, "agaudit-verify") {
        Ok(code) => ExitCode::from(code),
        Err(agaudit_verify::cli::Usage(msg)) => {
            if msg.is_empty() {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            eprintln!("agaudit-verify: {msg}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

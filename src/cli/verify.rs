//! `agaudit verify`: check an evidence bundle (the same code as the agaudit-verify binary).

use std::io::IsTerminal;

use super::args::JsonArgs;
use std::path::PathBuf;

use clap::Args;

/// Verify an evidence bundle against your copy of the signer's public key.
///
/// Checks, each reported valid or INVALID with its location: the archive; the manifest's
/// minisign signature (with the key you give, never one inside the bundle); every member's
/// blake3; the ledger slice's hash chain from its anchor to its head; the custody records;
/// and with --against, that this bundle extends an older one. Exit 0 valid, 1 invalid,
/// 2 unusable input. Verifying a bundle does not touch any case. The standalone agaudit-verify
/// binary (the same code, with no dependency beyond blake3, minisign-verify and a tar reader)
/// takes the same arguments, for auditors who do not install agaudit. --json prints one object,
/// schemas/verify.schema.json.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The bundle to verify.
    #[arg(value_name = "BUNDLE")]
    pub bundle: PathBuf,

    /// The signer's public key (a minisign .pub file), obtained outside the bundle.
    #[arg(long, short = 'p', value_name = "FILE")]
    pub pubkey: PathBuf,

    /// An older bundle of the same case that this one must extend.
    #[arg(long, value_name = "OLDER_BUNDLE")]
    pub against: Option<PathBuf>,

    #[command(flatten)]
    pub output: JsonArgs,
}

pub fn run(args: VerifyArgs) -> anyhow::Result<u8> {
    let options = agaudit_verify::cli::Options {
        bundle: args.bundle,
        pubkey: args.pubkey,
        against: args.against,
        json: args.output.json,
    };
    // On a terminal the report's lines wrap at spaces to its width (hashes stay whole).
    let width = (!args.output.json && std::io::stdout().is_terminal()).then(|| {
        use crate::output::{ColorChoice, Format, Screen};
        Screen::new(Format::Table, None, ColorChoice::Auto, false).look.width
    });
    // The report names the files given (a bundle's path may hold anything): printed like all of
    // agaudit's output, through the secret scanner.
    Ok(agaudit_verify::cli::execute_to(
        &options,
        "agaudit",
        &mut |stream, text| {
            let text = width.map_or_else(|| text.to_string(), |w| crate::output::wrap(text, w));
            crate::output::print(format_args!("{text}"), stream == agaudit_verify::cli::Stream::Err)
        },
    ))
}

//! `agaudit keygen`: a minisign key pair for signing evidence bundles.

use std::path::PathBuf;

use clap::Args;

use super::EXIT_OK;
use crate::bundle::keys::{self, Password};

/// Generate a minisign key pair for signing bundles: PREFIX.key (secret) and PREFIX.pub.
///
/// The secret key is password-protected unless --no-password is given; the password comes
/// from --password-file, else AGAUDIT_KEY_PASSWORD, else a prompt when there is a terminal.
/// PREFIX.key is written with mode 0600 and agaudit refuses to sign with a secret key that
/// group or others can read. Existing files are never overwritten. Hand PREFIX.pub to your
/// auditors through a channel other than the bundles it verifies.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Path prefix of the key files: writes PREFIX.key and PREFIX.pub.
    #[arg(long, value_name = "PREFIX")]
    pub out: PathBuf,

    /// Leave the secret key unencrypted (for throw-away keys and automation you protect otherwise).
    #[arg(long, conflicts_with = "password_file")]
    pub no_password: bool,

    /// Read the password from the first line of FILE.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
}

pub fn run(args: KeygenArgs) -> anyhow::Result<u8> {
    let password = if args.no_password {
        Password::Unprotected
    } else {
        Password::resolve(args.password_file.as_deref(), true)?
    };
    let g = keys::generate(&args.out, password)?;
    crate::say!(
        "wrote {} (secret key, mode 0600, {}) and {} (public key, ID {})",
        g.secret.display(),
        if g.protected {
            "password-protected"
        } else {
            "NOT password-protected"
        },
        g.public.display(),
        g.key_id
    );
    crate::say!(
        "give {} to your auditors through a channel other than the bundles; they verify with: agaudit verify BUNDLE --pubkey {}",
        g.public.display(),
        g.public.display()
    );
    Ok(EXIT_OK)
}

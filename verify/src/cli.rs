//! The verify command, shared by the `agaudit-verify` binary and `agaudit verify`: read the
//! files, verify, print, choose the exit code. Kept here so that both front ends behave the same
//! byte for byte.
//!
//! In: arguments (or parsed [`Options`]). Out: the report on stdout, problems with the input on
//! stderr, and an exit code: 0 valid, 1 evidence invalid, 2 unusable input.

use std::path::{Path, PathBuf};

use minisign_verify::PublicKey;

use crate::source::Source;
use crate::{bundle, report};

/// The largest proof file read: a proof is a record, a path of O(log n) hashes and a checkpoint.
const MAX_PROOF: usize = 1 << 20;

/// The exit codes.
pub const VALID: u8 = 0;
pub const INVALID: u8 = 1;
pub const UNUSABLE: u8 = 2;

/// A usage problem (empty: help was asked for).
#[derive(Debug)]
pub struct Usage(pub String);

#[derive(Debug, Clone)]
pub struct Options {
    pub bundle: PathBuf,
    pub pubkey: PathBuf,
    pub against: Option<PathBuf>,
    pub json: bool,
}

/// Parses `BUNDLE --pubkey FILE [--against OLDER] [--json]`.
pub fn parse(args: &[String]) -> Result<Options, Usage> {
    let (mut bundle, mut pubkey, mut against, mut json) = (None, None, None, false);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .map(PathBuf::from)
                .ok_or_else(|| Usage(format!("{name} expects a file")))
        };
        match a.as_str() {
            "-h" | "--help" => return Err(Usage(String::new())),
            "--pubkey" | "-p" => pubkey = Some(value("--pubkey")?),
            "--against" => against = Some(value("--against")?),
            "--json" => json = true,
            s if s.starts_with('-') => return Err(Usage(format!("unknown option {s}"))),
            s if bundle.is_none() => bundle = Some(PathBuf::from(s)),
            s => return Err(Usage(format!("unexpected argument {s}: one bundle at a time"))),
        }
    }
    Ok(Options {
        bundle: bundle.ok_or_else(|| Usage("expected a BUNDLE to verify".into()))?,
        pubkey: pubkey.ok_or_else(|| {
            Usage("expected --pubkey FILE: the signer's public key, as you received it outside the bundle".into())
        })?,
        against,
        json,
    })
}

/// Parses and runs.
pub fn run(args: &[String], program: &str) -> Result<u8, Usage> {
    Ok(execute(&parse(args)?, program))
}

/// Which stream a piece of output is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// The report.
    Out,
    /// A problem with the input.
    Err,
}

/// Verifies and prints to stdout and stderr; returns the exit code.
pub fn execute(o: &Options, program: &str) -> u8 {
    execute_to(o, program, &mut |stream, text| match stream {
        Stream::Out => println!("{text}"),
        Stream::Err => eprintln!("{text}"),
    })
}

/// Verifies and hands each piece of output (one or more lines, without the final newline) to
/// `print`; returns the exit code. agaudit passes its output through its secret scanner.
pub fn execute_to(o: &Options, program: &str, print: &mut dyn FnMut(Stream, &str)) -> u8 {
    let mut unusable = |msg: String| {
        print(Stream::Err, &format!("{program}: {msg}"));
        UNUSABLE
    };
    let key = match read_key(&o.pubkey) {
        Ok(k) => k,
        Err(e) => return unusable(e.to_string()),
    };
    // Bundles are read piece by piece from the file (memory stays bounded whatever their size);
    // a proof is a small text file, read whole.
    let open = |path: &Path, what: &str| {
        std::fs::File::open(path)
            .and_then(Source::open)
            .map_err(|e| format!("cannot read {what} {}: {e}", path.display()))
    };
    let src = match open(&o.bundle, "bundle") {
        Ok(s) => s,
        Err(e) => return unusable(e),
    };
    let older = match o.against.as_deref().map(|p| open(p, "older bundle")).transpose() {
        Ok(s) => s,
        Err(e) => return unusable(e),
    };
    let magic = crate::proof::MAGIC.as_bytes();
    let mut start = vec![0; magic.len()];
    let is_proof = src.read_at(0, &mut start).is_ok() && start == magic;
    if is_proof && older.is_some() {
        return unusable(format!(
            "{} is an inclusion proof: --against compares bundles",
            o.bundle.display()
        ));
    }
    // Neither a tar archive nor a proof: not evidence of any kind (exit 2), as opposed to a
    // bundle that fails its checks (exit 1).
    let mut header = [0u8; 512];
    // A bundle's first header names its top directory `agaudit-bundle-…`; either mark is
    // enough (an altered magic is then reported INVALID, not unusable).
    let is_tar = src.read_at(0, &mut header).is_ok()
        && (&header[257..262] == b"ustar" || header.starts_with(b"agaudit-bundle-"));
    if !is_proof && !is_tar {
        return unusable(format!(
            "{} is not an evidence bundle (a tar archive agaudit export writes) nor an inclusion proof (agaudit prove)",
            o.bundle.display()
        ));
    }
    let r = if is_proof {
        match std::fs::read(&o.bundle) {
            Ok(bytes) if bytes.len() <= MAX_PROOF => crate::proof::verify(&bytes, &key),
            Ok(bytes) => {
                return unusable(format!(
                    "{} starts like a proof but is {} bytes: a proof is a few kilobytes",
                    o.bundle.display(),
                    bytes.len()
                ));
            }
            Err(e) => return unusable(format!("cannot read proof {}: {e}", o.bundle.display())),
        }
    } else {
        bundle::verify_source(&src, &key, older.as_ref())
    };
    // A bundle signed by another key: name both keys, as minisign does.
    let given = key_id_of(&o.pubkey);
    if let (Some(signer), Some(given)) = (&r.signer_key_id, &given)
        && signer != given
    {
        print(
            Stream::Err,
            &format!(
                "{program}: the bundle is signed by key ID {signer}; the public key given ({}) is key ID {given}",
                o.pubkey.display()
            ),
        );
    }
    let name = o.bundle.display().to_string();
    if o.json {
        let against = o.against.as_ref().map(|p| p.display().to_string());
        print(Stream::Out, &report::json(&name, against.as_deref(), &r));
    } else {
        let kind = if is_proof { "proof" } else { "bundle" };
        print(Stream::Out, report::text_for(kind, &name, &r).trim_end_matches('\n'));
    }
    if r.valid() { VALID } else { INVALID }
}

/// Reads a minisign public key file (`untrusted comment:` line, then the key), or a file holding
/// only the base64 key.
/// The key ID of a public key file (minisign's two-line form, or its base64 line alone).
fn key_id_of(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty() && !l.starts_with("untrusted comment:"))?;
    crate::checkpoint::key_id(line)
}

pub fn read_key(path: &Path) -> Result<PublicKey, KeyError> {
    let text = std::fs::read_to_string(path).map_err(|e| KeyError::Read {
        path: path.to_path_buf(),
        error: e.to_string(),
    })?;
    PublicKey::decode(&text)
        .or_else(|_| PublicKey::from_base64(text.trim()))
        .map_err(|e| KeyError::NotAKey {
            path: path.to_path_buf(),
            error: e.to_string(),
        })
}

/// Why a public key file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    Read { path: std::path::PathBuf, error: String },
    NotAKey { path: std::path::PathBuf, error: String },
}

impl std::error::Error for KeyError {}

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyError::Read { path, error } => write!(f, "cannot read public key {}: {error}", path.display()),
            KeyError::NotAKey { path, error } => write!(
                f,
                "{} is not a minisign public key ({error}): expected the .pub file written by agaudit keygen or minisign -G",
                path.display()
            ),
        }
    }
}

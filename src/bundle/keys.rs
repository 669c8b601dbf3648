//! Signing keys: generating a minisign key pair, and unlocking a secret key to sign a bundle.
//!
//! Keys are standard minisign files (interoperable with the `minisign` CLI both ways). A secret
//! key is password-protected unless the user asks otherwise, written with mode 0600, and refused
//! when group or others can read it. A password comes from, in order: the file given, the
//! AGAUDIT_KEY_PASSWORD variable, or a prompt — only when there is a terminal to ask on, so that
//! automation fails with a clear message instead of hanging.
//!
//! In: a path prefix or a key file, and a password source. Out: key files, or a secret key.

use std::fs::OpenOptions;
use std::io::{IsTerminal, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use minisign::{KeyPair, PublicKey, SecretKey, SecretKeyBox};

/// The environment variable holding a key password for automation.
pub const PASSWORD_ENV: &str = "AGAUDIT_KEY_PASSWORD";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot use {path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
    #[error("{path} already exists; agaudit never overwrites a key: choose another --out or remove it")]
    Exists { path: PathBuf },
    #[error(
        "{path} can be read by group or others (mode {mode:o}); a secret key must be private: run chmod 600 {path}"
    )]
    Readable { path: PathBuf, mode: u32 },
    #[error("{path} is not a minisign secret key ({reason})")]
    NotAKey { path: PathBuf, reason: String },
    #[error(
        "{path} is a public key (key ID {key_id}); --key takes the secret key that pairs with it (agaudit keygen wrote both: KEY.key and KEY.pub)"
    )]
    PublicNotSecret { path: PathBuf, key_id: String },
    #[error("cannot unlock {path}: {reason}")]
    Unlock { path: PathBuf, reason: String },
    #[error(
        "no password for the secret key and no terminal to ask on: give --password-file FILE or set {PASSWORD_ENV}{extra}"
    )]
    NoPassword { extra: &'static str },
    #[error("minisign: {0}")]
    Minisign(String),
}

/// Where a password comes from.
#[derive(Debug, Clone)]
pub enum Password {
    /// No password: an unencrypted secret key (keygen --no-password).
    Unprotected,
    Given(String),
    /// Ask on the terminal.
    Prompt,
}

impl Password {
    /// Resolves the sources in order: `file`, the environment, a terminal prompt.
    pub fn resolve(file: Option<&Path>, for_keygen: bool) -> Result<Password, KeyError> {
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| KeyError::Io {
                path: path.to_path_buf(),
                error: source,
            })?;
            return Ok(Password::Given(text.lines().next().unwrap_or("").to_string()));
        }
        if let Ok(p) = std::env::var(PASSWORD_ENV) {
            return Ok(Password::Given(p));
        }
        if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
            return Ok(Password::Prompt);
        }
        Err(KeyError::NoPassword {
            extra: if for_keygen {
                " (or pass --no-password for an unprotected key)"
            } else {
                ""
            },
        })
    }

    fn into_option(self) -> Option<String> {
        match self {
            Password::Given(p) => Some(p),
            Password::Unprotected | Password::Prompt => None,
        }
    }
}

/// Paths and id of a new key pair.
#[derive(Debug, Clone)]
pub struct Generated {
    pub secret: PathBuf,
    pub public: PathBuf,
    pub key_id: String,
    pub protected: bool,
}

/// Writes PREFIX.key (mode 0600) and PREFIX.pub, refusing to overwrite either.
pub fn generate(prefix: &Path, password: Password) -> Result<Generated, KeyError> {
    let with = |ext: &str| {
        let mut p = prefix.as_os_str().to_owned();
        p.push(ext);
        PathBuf::from(p)
    };
    let (secret, public) = (with(".key"), with(".pub"));
    for p in [&secret, &public] {
        if p.exists() {
            return Err(KeyError::Exists { path: p.clone() });
        }
    }
    let protected = !matches!(password, Password::Unprotected);
    let pair = if protected {
        KeyPair::generate_encrypted_keypair(password.into_option())
    } else {
        KeyPair::generate_unencrypted_keypair()
    }
    .map_err(|e| KeyError::Minisign(e.to_string()))?;
    let comment = if protected {
        "agaudit secret key (minisign, password-protected)"
    } else {
        "agaudit secret key (minisign, NOT password-protected)"
    };
    let sk_text = pair
        .sk
        .to_box(Some(comment))
        .map_err(|e| KeyError::Minisign(e.to_string()))?
        .into_string();
    let pk_text = pair
        .pk
        .to_box()
        .map_err(|e| KeyError::Minisign(e.to_string()))?
        .into_string();
    write_new(&secret, sk_text.as_bytes(), 0o600)?;
    write_new(&public, pk_text.as_bytes(), 0o644)?;
    Ok(Generated {
        secret,
        public,
        key_id: key_id(&pair.pk),
        protected,
    })
}

fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), KeyError> {
    let io = |source| KeyError::Io {
        path: path.to_path_buf(),
        error: source,
    };
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)
}

/// The key id as minisign prints it (16 upper-case hex digits).
pub fn key_id(pk: &PublicKey) -> String {
    let id = u64::from_le_bytes(pk.keynum().try_into().unwrap_or([0; 8]));
    format!("{id:016X}")
}

/// Reads and unlocks the secret key at `path`: refused when others can read it; a password is
/// asked for (through `password`) only when the key is protected.
pub fn unlock(path: &Path, password: impl FnOnce() -> Result<Password, KeyError>) -> Result<SecretKey, KeyError> {
    let meta = std::fs::metadata(path).map_err(|source| KeyError::Io {
        path: path.to_path_buf(),
        error: source,
    })?;

    // A public key given where the secret one goes: say that, not how to make it private.
    let public = |text: &str| {
        minisign::PublicKeyBox::from_string(text)
            .and_then(|b| b.into_public_key())
            .or_else(|_| PublicKey::from_base64(text.trim()))
            .ok()
            .map(|pk| KeyError::PublicNotSecret {
                path: path.to_path_buf(),
                key_id: key_id(&pk),
            })
    };
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        // A regular file can be read to say which mistake it is; a pipe is read only once, below.
        if meta.is_file()
            && meta.len() < 4096
            && let Some(e) = std::fs::read_to_string(path).ok().as_deref().and_then(public)
        {
            return Err(e);
        }
        return Err(KeyError::Readable {
            path: path.to_path_buf(),
            mode,
        });
    }
    // Read once: the key may come through a pipe (`--key <(pass show key)`).
    let text = std::fs::read_to_string(path).map_err(|source| KeyError::Io {
        path: path.to_path_buf(),
        error: source,
    })?;
    if let Some(e) = public(&text) {
        return Err(e);
    }
    let not_a_key = |e: minisign::PError| KeyError::NotAKey {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let boxed = || SecretKeyBox::from_string(&text).map_err(not_a_key);
    match SecretKey::from_unencrypted_box(boxed()?) {
        Ok(sk) => Ok(sk),
        Err(e) if e.to_string().contains("encrypted") => SecretKey::from_box(boxed()?, password()?.into_option())
            .map_err(|e| KeyError::Unlock {
                path: path.to_path_buf(),
                reason: e.to_string(),
            }),
        // minisign -W (0.11) leaves an unprotected key's checksum zeroed, which the minisign
        // crate cannot tell from a damaged key.
        Err(e) if e.to_string().contains("Corrupted") => Err(KeyError::NotAKey {
            path: path.to_path_buf(),
            reason: format!(
                "{e}: its checksum does not match; an unprotected key made by `minisign -G -W` has a zeroed checksum \
                 that cannot be told from damage — make keys with agaudit keygen, or with minisign -G and a password"
            ),
        }),
        Err(e) => Err(not_a_key(e)),
    }
}

//! Signed checkpoints: the ledger's state (tree size, Merkle root, chain head) in the C2SP
//! tlog-checkpoint text layout, signed with minisign, so that it can leave the case directory
//! (to auditors, to WORM storage) and later prove what the ledger held.
//!
//! An insider who can write the case directory can rewrite the ledger consistently (every later
//! hash recomputed); a checkpoint signed before the rewrite, kept where the insider cannot
//! reach, contradicts it. The body is:
//!
//! ```text
//! agaudit/case/<case id>
//! <tree size>
//! <Merkle root, standard base64>
//! chain <tree size> <hash of record <tree size>, 64 hex>
//! time <RFC 3339 UTC>
//! ```
//!
//! In: the body's bytes, its minisign signature, a public key, and the ledger's record lines.
//! Out: the checkpoint, or where the ledger contradicts it.

use minisign_verify::{PublicKey, Signature};

use crate::tree::{self, Hash};
use crate::{Link, to_hex};

/// A checkpoint's content (docs/ledger.md, "Signed checkpoints").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub case_id: String,
    /// Records covered: 1..=size.
    pub size: u64,
    pub root: Hash,
    /// The link (`hash=`) of record `size`.
    pub chain: Link,
    pub time: String,
}

const ORIGIN_PREFIX: &str = "agaudit/case/";

impl Checkpoint {
    /// The signed text.
    pub fn render(&self) -> String {
        format!(
            "{ORIGIN_PREFIX}{}\n{}\n{}\nchain {} {}\ntime {}\n",
            self.case_id,
            self.size,
            base64(&self.root),
            self.size,
            to_hex(&self.chain),
            self.time
        )
    }

    /// Parses a body as [`Checkpoint::render`] writes it; anything else is refused.
    pub fn parse(text: &str) -> Result<Checkpoint, String> {
        let lines: Vec<&str> = text.split_terminator('\n').collect();
        if !text.ends_with('\n') || lines.len() != 5 {
            return Err(format!(
                "expected 5 newline-terminated lines (origin, size, root, chain, time), found {}",
                lines.len()
            ));
        }
        let case_id = lines[0]
            .strip_prefix(ORIGIN_PREFIX)
            .filter(|c| !c.is_empty() && !c.contains([' ', '+']))
            .ok_or_else(|| format!("line 1: expected origin {ORIGIN_PREFIX}<case id>"))?;
        let size: u64 = lines[1]
            .parse()
            .ok()
            .filter(|n: &u64| *n > 0 && lines[1] == n.to_string())
            .ok_or("line 2: expected the tree size, a positive decimal number")?;
        let root = unbase64(lines[2]).ok_or("line 3: expected the root hash, 32 bytes in standard base64")?;
        let chain = lines[3]
            .strip_prefix("chain ")
            .and_then(|rest| rest.split_once(' '))
            .filter(|(n, _)| *n == lines[1])
            .and_then(|(_, h)| crate::ledger::from_hex(h))
            .ok_or("line 4: expected `chain <size> <64 hex>`")?;
        let time = lines[4]
            .strip_prefix("time ")
            .filter(|t| !t.is_empty() && !t.contains(' '))
            .ok_or("line 5: expected `time <RFC 3339>`")?;
        Ok(Checkpoint {
            case_id: case_id.to_string(),
            size,
            root,
            chain,
            time: time.to_string(),
        })
    }

    /// The checkpoint of the first `size` records of a ledger given as its lines (without
    /// newlines); None when it has fewer.
    pub fn of_ledger(case_id: &str, lines: &[&[u8]], size: u64, time: &str) -> Option<Checkpoint> {
        let n = usize::try_from(size).ok()?;
        if n == 0 || n > lines.len() {
            return None;
        }
        let leaves = tree::leaves(lines[..n].iter().copied());
        let chain = crate::ledger::split_hash(lines[n - 1]).and_then(|(_, h)| crate::ledger::from_hex(h))?;
        Some(Checkpoint {
            case_id: case_id.to_string(),
            size,
            root: tree::root(&leaves),
            chain,
            time: time.to_string(),
        })
    }
}

/// Why a signed checkpoint is not accepted, or where the ledger contradicts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointError {
    Malformed(String),
    Signature(String),
    OtherCase {
        checkpoint: String,
        ledger: String,
    },
    /// The ledger has fewer records than the checkpoint covers.
    Shorter {
        size: u64,
        records: u64,
    },
    /// The ledger's first `size` records are not the ones signed. `after` is the size of the
    /// largest checkpoint the ledger still matches (0 if none): the first altered record is in
    /// `after + 1 ..= size`.
    Differs {
        size: u64,
        after: u64,
    },
}

impl std::fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CheckpointError::Malformed(m) => write!(f, "not a checkpoint: {m}"),
            CheckpointError::Signature(m) => write!(f, "signature does not verify: {m}"),
            CheckpointError::OtherCase { checkpoint, ledger } => {
                write!(f, "the checkpoint is of case {checkpoint}, the ledger of case {ledger}")
            }
            CheckpointError::Shorter { size, records } => write!(
                f,
                "the checkpoint covers {size} records but the ledger holds {records}: records were cut from the ledger"
            ),
            CheckpointError::Differs { size, after } if after + 1 == *size => write!(
                f,
                "record {size} differs from the one signed in the checkpoint of size {size}: the ledger was rewritten"
            ),
            CheckpointError::Differs { size, after: 0 } => write!(
                f,
                "the ledger's records 1..{size} are not the ones signed in the checkpoint of size {size} \
                 (no earlier checkpoint narrows down which): the ledger was rewritten"
            ),
            CheckpointError::Differs { size, after } => write!(
                f,
                "the ledger's records 1..{size} are not the ones signed in the checkpoint of size {size} \
                 (records 1..{after} still match an earlier checkpoint): the first altered record is one of {}..{size}",
                after + 1
            ),
        }
    }
}

impl std::error::Error for CheckpointError {}

/// A checkpoint body and its minisign signature, checked with `key`. Minisign's legacy
/// (not prehashed) signatures are accepted, as the minisign command accepts them.
pub fn verify_signed(body: &[u8], signature: &str, key: &PublicKey) -> Result<Checkpoint, CheckpointError> {
    let sig = Signature::decode(signature)
        .map_err(|e| CheckpointError::Signature(format!("not a minisign signature: {e}")))?;
    key.verify(body, &sig, true)
        .map_err(|e| CheckpointError::Signature(e.to_string()))?;
    let text = std::str::from_utf8(body).map_err(|_| CheckpointError::Malformed("not UTF-8".into()))?;
    Checkpoint::parse(text).map_err(CheckpointError::Malformed)
}

/// Checks a ledger (its verified record lines, without newlines) against checkpoints known to be
/// genuine, smallest first. Each must be of the ledger's case, cover no more records than it
/// holds, and match its first `size` records; the first contradiction is returned, located
/// between the largest checkpoint still matched and the one that is not.
pub fn check_ledger(case_id: &str, lines: &[&[u8]], checkpoints: &[Checkpoint]) -> Result<(), CheckpointError> {
    let mut sorted: Vec<&Checkpoint> = checkpoints.iter().collect();
    sorted.sort_by_key(|c| c.size);
    let leaves = tree::leaves(lines.iter().copied());
    let mut matched = 0;
    for c in sorted {
        if c.case_id != case_id {
            return Err(CheckpointError::OtherCase {
                checkpoint: c.case_id.clone(),
                ledger: case_id.to_string(),
            });
        }
        let size = c.size as usize;
        if size > lines.len() {
            return Err(CheckpointError::Shorter {
                size: c.size,
                records: lines.len() as u64,
            });
        }
        let chain = crate::ledger::split_hash(lines[size - 1]).and_then(|(_, h)| crate::ledger::from_hex(h));
        if tree::root(&leaves[..size]) != c.root || chain != Some(c.chain) {
            return Err(CheckpointError::Differs {
                size: c.size,
                after: matched,
            });
        }
        matched = c.size;
    }
    Ok(())
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (RFC 4648 §4), as C2SP checkpoints write hashes.
pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A 32-byte hash from standard base64; None for anything else (including non-canonical forms).
pub fn unbase64(text: &str) -> Option<Hash> {
    if text.len() != 44 || !text.ends_with('=') || text.ends_with("==") {
        return None;
    }
    let hash: Hash = decode_base64(text)?.try_into().ok()?;
    // Canonical only: the padding bits must be zero, so one hash has one text.
    (base64(&hash) == text).then_some(hash)
}

/// Standard base64 with padding, decoded; None when `text` is not that.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    for chunk in text.as_bytes().chunks(4) {
        let mut n = 0u32;
        let mut pad = 0;
        for &c in chunk {
            let v = match c {
                b'=' => {
                    pad += 1;
                    0
                }
                _ if pad > 0 => return None,
                _ => B64.iter().position(|&x| x == c)? as u32,
            };
            n = (n << 6) | v;
        }
        if pad > 2 {
            return None;
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

/// The key ID minisign shows (16 hex digits) of a public key or signature line in base64:
/// bytes 2..10 of it, little-endian.
pub fn key_id(base64_line: &str) -> Option<String> {
    let bytes = decode_base64(base64_line.trim())?;
    let id = u64::from_le_bytes(bytes.get(2..10)?.try_into().ok()?);
    Some(format!("{id:016X}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_and_refuses_other_forms() {
        let h: Hash = core::array::from_fn(|i| (i * 7) as u8);
        let t = base64(&h);
        assert_eq!(t.len(), 44);
        assert_eq!(unbase64(&t), Some(h));
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert!(unbase64(&t.replace('=', "A")).is_none());
        let mut bent = t.clone().into_bytes();
        bent[42] = if bent[42] == b'B' { b'C' } else { b'B' };
        // A non-zero padding bit is not canonical (or decodes to another hash).
        assert_ne!(unbase64(std::str::from_utf8(&bent).unwrap()), Some(h));
    }

    #[test]
    fn a_checkpoint_renders_and_parses_back_and_refuses_variants() {
        let c = Checkpoint {
            case_id: "0123abcd".into(),
            size: 42,
            root: [7; 32],
            chain: [9; 32],
            time: "2026-12-05T17:00:00Z".into(),
        };
        let text = c.render();
        assert_eq!(Checkpoint::parse(&text), Ok(c.clone()));
        assert!(Checkpoint::parse(&text.replace("\n42\n", "\n042\n")).is_err());
        assert!(Checkpoint::parse(&text.replace("chain 42", "chain 41")).is_err());
        assert!(Checkpoint::parse(&format!("{text}extra\n")).is_err());
        assert!(Checkpoint::parse(text.trim_end()).is_err());
    }
}

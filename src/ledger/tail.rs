//! The ledger's tail: what the writer knew after its last append, so that the next append starts
//! from there instead of reading and verifying every record since the genesis.
//!
//! CASE/ledger/tail.json, replaced atomically after every append (after the ledger and its
//! index are synced): the last record's sequence number, hash and end offset, the Merkle tree's
//! frontier at that size, the entry counts of the digest index (`super::index`), and the signed
//! checkpoints already checked against the ledger. What the latest policy and correlation
//! records say is read back from the ledger itself when asked, never kept here.
//!
//! It is a cache, never evidence. An append trusts it only when the record that ends at its
//! offset has its sequence number and hash; the records after it are verified as always, and
//! anything that does not match sends the writer back to the full check from the genesis.
//! `agaudit log`, `export` and `verify` never use it: they check every record.
//!
//! In: the ledger directory. Out: the tail, or None when there is none to trust.

use std::fs;
use std::path::Path;

use agaudit_verify::tree::{self, Hash};
use agaudit_verify::{Link, to_hex};

use super::index::Counts;

pub const TAIL_FILE: &str = "tail.json";
/// The tail's format; a tail of another version is not used (the full check runs and rebuilds
/// it and the index). 2: the index maps records other than actions and findings to where they
/// end, and the latest policy and correlation are no longer kept here.
pub const VERSION: u32 = 2;

/// A signed checkpoint already checked against this ledger: its size, root and chain head (hex),
/// and where record `size` ends in the ledger, so that the next append can check that the
/// record is still there with that hash (a consistent rewrite of any record before it changes it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Checked {
    pub size: u64,
    pub root: String,
    pub chain: String,
    pub offset: u64,
}

impl Checked {
    /// The checkpoint `c`, whose record `size` ends at `offset`.
    pub fn of(c: &agaudit_verify::checkpoint::Checkpoint, offset: u64) -> Checked {
        Checked {
            size: c.size,
            root: to_hex(&c.root),
            chain: to_hex(&c.chain),
            offset,
        }
    }

    /// Whether this is checkpoint `c`.
    pub fn is(&self, c: &agaudit_verify::checkpoint::Checkpoint) -> bool {
        self.size == c.size && self.root == to_hex(&c.root) && self.chain == to_hex(&c.chain)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tail {
    pub version: u32,
    pub case: String,
    pub seq: u64,
    /// The last record's `hash=`, hex.
    pub hash: String,
    /// The ledger's length in bytes after that record.
    pub offset: u64,
    /// The Merkle tree's frontier over records 1..=seq, hex, largest subtree first.
    pub frontier: Vec<String>,
    pub index: Counts,
    /// Whether the last record is a signed checkpoint (which closes its own batch).
    pub last_signed: bool,
    pub checked: Vec<Checked>,
}

impl Tail {
    /// The tail of the ledger in `dir`, if one was written and parses (else the full check runs).
    pub fn load(dir: &Path) -> Option<Tail> {
        let text = fs::read(dir.join(TAIL_FILE)).ok()?;
        let tail: Tail = serde_json::from_slice(&text).ok()?;
        (tail.version == VERSION).then_some(tail)
    }

    /// Writes the tail through a temporary file renamed into place.
    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        let json = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        crate::durable::replace(&dir.join(TAIL_FILE), &json)
    }

    /// The frontier of `builder` as the tail holds it.
    pub fn hex_frontier(builder: &tree::Builder) -> Vec<String> {
        builder.frontier().iter().map(to_hex).collect()
    }

    /// The tree builder at the tail, None when its frontier does not fit its size.
    pub fn builder(&self) -> Option<tree::Builder> {
        let frontier: Option<Vec<Hash>> = self
            .frontier
            .iter()
            .map(|h| agaudit_verify::ledger::from_hex(h))
            .collect();
        tree::Builder::from_frontier(self.seq, &frontier?)
    }

    pub fn link(&self) -> Option<Link> {
        agaudit_verify::ledger::from_hex(&self.hash)
    }
}

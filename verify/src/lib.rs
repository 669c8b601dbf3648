//! agaudit-verify: the one definition of agaudit's hash chain.
//!
//! The ledger writer in `agaudit` calls these functions to link records, and auditors' verifiers
//! call the same ones to recompute the chain, so writer and verifier cannot disagree. Every hash
//! is blake3 in key-derivation mode with its own context string (domain separation), so a record
//! hash can never be confused with a genesis hash or with any other blake3 use in agaudit.
//!
//! In: a case id (for the genesis), the previous link, a record's sequence number and its exact
//! bytes. Out: 32-byte links. The exact byte layout is specified in docs/ledger.md.
//!
//! The crate also holds everything that decides whether an evidence bundle is valid (archive,
//! manifest, bundle, report, cli), the ledger's Merkle tree and signed checkpoints (tree,
//! checkpoint), and the small `agaudit-verify` binary, with no dependency beyond blake3,
//! minisign-verify and tar — and, behind the default `rows` feature, the parquet crate to read the
//! rows a bundle binds to its records — so that an auditor can read all of it.

pub mod archive;
pub mod bundle;
pub mod checkpoint;
pub mod cli;
pub mod ledger;
pub mod manifest;
pub mod proof;
pub mod report;
pub mod row;
pub mod source;
pub mod tree;

/// Context string of the genesis link; changing it is a format break.
pub const GENESIS_CONTEXT: &str = "agaudit 2026-11 ledger genesis v1";
/// Context string of a record link; changing it is a format break.
pub const RECORD_CONTEXT: &str = "agaudit 2026-11 ledger record v1";

/// A 32-byte chain link.
pub type Link = [u8; 32];

/// The link before the first record of a case's ledger.
pub fn genesis(case_id: &str) -> Link {
    let mut hasher = blake3::Hasher::new_derive_key(GENESIS_CONTEXT);
    hasher.update(&(case_id.len() as u64).to_le_bytes());
    hasher.update(case_id.as_bytes());
    *hasher.finalize().as_bytes()
}

/// The link after appending `record` (its exact bytes, without the line terminator) as record
/// number `seq` to a chain whose last link is `prev`.
///
/// Bytes hashed, in order: `prev` (32 bytes), `seq` (u64 little-endian), the record length
/// (u64 little-endian), the record bytes. Lengths make the encoding unambiguous.
pub fn link(prev: &Link, seq: u64, record: &[u8]) -> Link {
    let mut hasher = keyed(RECORD_CONTEXT);
    hasher.update(prev);
    hasher.update(&seq.to_le_bytes());
    hasher.update(&(record.len() as u64).to_le_bytes());
    hasher.update(record);
    *hasher.finalize().as_bytes()
}

/// A blake3 hasher in key-derivation mode for `context`. The context keys of the hashes
/// verification computes millions of times (records, leaves, nodes, rows) are derived once per
/// process and the hasher cloned: deriving one costs as much as hashing a short record.
pub fn keyed(context: &'static str) -> blake3::Hasher {
    static BASES: std::sync::OnceLock<Vec<(&'static str, blake3::Hasher)>> = std::sync::OnceLock::new();
    let bases = BASES.get_or_init(|| {
        [RECORD_CONTEXT, tree::LEAF_CONTEXT, tree::NODE_CONTEXT, row::ROW_CONTEXT]
            .into_iter()
            .map(|c| (c, blake3::Hasher::new_derive_key(c)))
            .collect()
    });
    match bases.iter().find(|(c, _)| *c == context) {
        Some((_, h)) => h.clone(),
        None => blake3::Hasher::new_derive_key(context),
    }
}

/// Lower-case hex of a link, the form links take in JSON and on the command line.
pub fn to_hex(link: &Link) -> String {
    blake3::Hash::from_bytes(*link).to_hex().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genesis_depends_on_case_and_differs_from_plain_blake3() {
        assert_ne!(genesis("a"), genesis("b"));
        assert_ne!(genesis("a"), *blake3::hash(b"a").as_bytes());
    }

    #[test]
    fn link_changes_with_every_input() {
        let g = genesis("case");
        let base = link(&g, 0, b"record");
        assert_ne!(base, link(&g, 1, b"record"), "sequence number is bound");
        assert_ne!(base, link(&g, 0, b"recorD"), "record bytes are bound");
        assert_ne!(base, link(&genesis("other"), 0, b"record"), "previous link is bound");
        assert_eq!(to_hex(&base).len(), 64);
    }

    #[test]
    fn length_prefix_prevents_boundary_shifts() {
        // Without the length, (prev, seq, "ab") and a record that starts with part of seq could
        // collide; with it, the encodings differ.
        let g = genesis("case");
        assert_ne!(link(&g, 0x6261, b""), link(&g, 0, b"ab"));
    }
}

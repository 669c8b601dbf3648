//! The ledger's Merkle tree: RFC 9162 (Certificate Transparency v2) §2.1 in shape, blake3 with
//! domain separation in place of SHA-256 with prefix bytes.
//!
//! The per-record chain (crate::ledger) orders records; the tree over the same records lets a
//! signed checkpoint (its root and size) be extended and disclosed piecewise: an inclusion proof
//! shows that one record is in the signed ledger without showing any other, and a consistency
//! proof shows that a later tree extends an earlier one, both in O(log n) hashes.
//!
//! In: record lines (leaves), sizes and indices. Out: roots, proofs, and whether a proof holds.
//! docs/ledger.md specifies every byte; verify/testdata/tree.json holds vectors.

use crate::Link;

/// The bytes hashed into leaf `i`: record `i + 1`'s whole line, without its newline.
pub const LEAF_CONTEXT: &str = "agaudit 2026-12 ledger leaf v1";
/// An interior node: the left child's 32 bytes, then the right child's.
pub const NODE_CONTEXT: &str = "agaudit 2026-12 ledger node v1";
/// The root of the empty tree (a ledger has at least its opening record, so it is never signed).
pub const EMPTY_CONTEXT: &str = "agaudit 2026-12 ledger empty v1";

pub type Hash = Link;

/// Leaf hash of one record line (without its `\n`).
pub fn leaf(line: &[u8]) -> Hash {
    *crate::keyed(LEAF_CONTEXT).update(line).finalize().as_bytes()
}

/// Leaf hashes of many record lines, with the context key derived once.
pub fn leaves<'a>(lines: impl IntoIterator<Item = &'a [u8]>) -> Vec<Hash> {
    let keyed = crate::keyed(LEAF_CONTEXT);
    lines
        .into_iter()
        .map(|l| *keyed.clone().update(l).finalize().as_bytes())
        .collect()
}

/// Leaf hashes of the complete lines of a ledger (or slice), on every core.
pub fn leaves_of_ledger(bytes: &[u8]) -> Vec<Hash> {
    let keyed = crate::keyed(LEAF_CONTEXT);
    crate::ledger::parallel_lines(bytes, |_, l| *keyed.clone().update(l).finalize().as_bytes())
}

/// Interior node over two children.
pub fn node(left: &Hash, right: &Hash) -> Hash {
    let mut both = [0u8; 64];
    both[..32].copy_from_slice(left);
    both[32..].copy_from_slice(right);
    *crate::keyed(NODE_CONTEXT).update(&both).finalize().as_bytes()
}

pub fn empty() -> Hash {
    *blake3::Hasher::new_derive_key(EMPTY_CONTEXT).finalize().as_bytes()
}

/// The largest power of two smaller than `n` (n ≥ 2): where RFC 9162 splits a tree.
fn split(n: usize) -> usize {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// The tree head over `leaves` (RFC 9162's MTH), in one pass.
pub fn root(leaves: &[Hash]) -> Hash {
    let mut b = Builder::default();
    for l in leaves {
        b.push(l);
    }
    b.root()
}

/// A tree built leaf by leaf: perfect subtrees are kept on a stack like the digits of a binary
/// counter (O(log n) hashes), folded from the right for the root. Seeded with a prefix's
/// [`frontier`], it goes on from there: how a bundle's slice gives the root of the whole prefix
/// it ends.
#[derive(Debug, Clone, Default)]
pub struct Builder {
    /// (height, root) of each perfect subtree, largest first.
    stack: Vec<(u32, Hash)>,
    size: u64,
}

impl Builder {
    /// The builder after `size` leaves whose frontier is `frontier`; None when the frontier does
    /// not have one root per set bit of `size`.
    pub fn from_frontier(size: u64, frontier: &[Hash]) -> Option<Builder> {
        let heights: Vec<u32> = (0..64).rev().filter(|h| size >> h & 1 == 1).collect();
        if heights.len() != frontier.len() {
            return None;
        }
        Some(Builder {
            stack: heights.into_iter().zip(frontier.iter().copied()).collect(),
            size,
        })
    }

    pub fn push(&mut self, leaf: &Hash) {
        let mut h = *leaf;
        let mut height = 0;
        while let Some(&(top, left)) = self.stack.last() {
            if top != height {
                break;
            }
            self.stack.pop();
            h = node(&left, &h);
            height += 1;
        }
        self.stack.push((height, h));
        self.size += 1;
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The roots of the perfect subtrees so far, largest first.
    pub fn frontier(&self) -> Vec<Hash> {
        self.stack.iter().map(|(_, h)| *h).collect()
    }

    pub fn root(&self) -> Hash {
        let mut it = self.stack.iter().rev();
        let Some(&(_, mut h)) = it.next() else {
            return empty();
        };
        for (_, left) in it {
            h = node(left, &h);
        }
        h
    }
}

/// The roots of the perfect subtrees that make up the tree over `leaves`, largest first (one per
/// set bit of its size).
pub fn frontier(leaves: &[Hash]) -> Vec<Hash> {
    let mut b = Builder::default();
    for l in leaves {
        b.push(l);
    }
    b.frontier()
}

/// The audit path of leaf `index` in the tree over `leaves` (RFC 9162 §2.1.3.1), leaf end first.
pub fn inclusion_proof(leaves: &[Hash], index: usize) -> Vec<Hash> {
    let mut path = Vec::new();
    fn walk(d: &[Hash], m: usize, path: &mut Vec<Hash>) {
        if d.len() <= 1 {
            return;
        }
        let k = split(d.len());
        if m < k {
            walk(&d[..k], m, path);
            path.push(root(&d[k..]));
        } else {
            walk(&d[k..], m - k, path);
            path.push(root(&d[..k]));
        }
    }
    if index < leaves.len() {
        walk(leaves, index, &mut path);
    }
    path
}

/// The proof that the tree over `leaves` extends its first `old_size` leaves (RFC 9162 §2.1.4.1).
pub fn consistency_proof(leaves: &[Hash], old_size: usize) -> Vec<Hash> {
    fn sub(d: &[Hash], m: usize, whole: bool, out: &mut Vec<Hash>) {
        if m == d.len() {
            if !whole {
                out.push(root(d));
            }
            return;
        }
        let k = split(d.len());
        if m <= k {
            sub(&d[..k], m, whole, out);
            out.push(root(&d[k..]));
        } else {
            sub(&d[k..], m - k, false, out);
            out.push(root(&d[..k]));
        }
    }
    let mut out = Vec::new();
    if old_size > 0 && old_size < leaves.len() {
        sub(leaves, old_size, true, &mut out);
    }
    out
}

/// Why a proof does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofError {
    IndexBeyondSize { index: u64, size: u64 },
    BadSizes { old: u64, new: u64 },
    WrongLength { expected: usize, found: usize },
    RootMismatch { expected: String, computed: String },
    OldRootMismatch { expected: String, computed: String },
}

impl std::fmt::Display for ProofError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProofError::IndexBeyondSize { index, size } => {
                write!(f, "leaf index {index} is not below the tree size {size}")
            }
            ProofError::BadSizes { old, new } => {
                write!(f, "the old tree size {old} is not between 1 and the new size {new}")
            }
            ProofError::WrongLength { expected, found } => write!(
                f,
                "the proof has {found} hashes where a tree of this size needs {expected}"
            ),
            ProofError::RootMismatch { expected, computed } => {
                write!(f, "the proof leads to root {computed}, not the signed root {expected}")
            }
            ProofError::OldRootMismatch { expected, computed } => write!(
                f,
                "the proof does not lead to the older tree's root {expected} (it gives {computed}): \
                 the older tree is not a prefix of the newer"
            ),
        }
    }
}

impl std::error::Error for ProofError {}

fn hex(h: &Hash) -> String {
    crate::to_hex(h)
}

/// Checks that `leaf` is leaf `index` of the tree of `size` leaves whose root is `root`
/// (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexBeyondSize { index, size });
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return Err(ProofError::WrongLength {
                expected: inclusion_length(index, size),
                found: proof.len(),
            });
        }
        if f & 1 == 1 || f == s {
            r = node(p, &r);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::WrongLength {
            expected: inclusion_length(index, size),
            found: proof.len(),
        });
    }
    if &r != root {
        return Err(ProofError::RootMismatch {
            expected: hex(root),
            computed: hex(&r),
        });
    }
    Ok(())
}

/// How many hashes the audit path of leaf `index` in a tree of `size` has.
fn inclusion_length(index: u64, size: u64) -> usize {
    let (mut f, mut s, mut n) = (index, size.saturating_sub(1), 0);
    while s != 0 {
        if f & 1 == 0 && f == s {
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        }
        n += 1;
        f >>= 1;
        s >>= 1;
    }
    n
}

/// Checks that the tree of `new_size` leaves with root `new_root` extends the tree of
/// `old_size` leaves with root `old_root` (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size == 0 || old_size > new_size {
        return Err(ProofError::BadSizes {
            old: old_size,
            new: new_size,
        });
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength {
                expected: 0,
                found: proof.len(),
            });
        }
        if old_root != new_root {
            return Err(ProofError::RootMismatch {
                expected: hex(new_root),
                computed: hex(old_root),
            });
        }
        return Ok(());
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let Some((first, rest)) = path.split_first() else {
        return Err(ProofError::WrongLength { expected: 1, found: 0 });
    };
    let (mut f, mut s) = (old_size - 1, new_size - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s == 0 {
            return Err(ProofError::WrongLength {
                expected: path.len() - 1,
                found: proof.len(),
            });
        }
        if f & 1 == 1 || f == s {
            fr = node(c, &fr);
            sr = node(c, &sr);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            sr = node(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::WrongLength {
            expected: path.len(),
            found: proof.len(),
        });
    }
    if &fr != old_root {
        return Err(ProofError::OldRootMismatch {
            expected: hex(old_root),
            computed: hex(&fr),
        });
    }
    if &sr != new_root {
        return Err(ProofError::RootMismatch {
            expected: hex(new_root),
            computed: hex(&sr),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves_of(n: usize) -> Vec<Hash> {
        (0..n).map(|i| leaf(format!("record {i}").as_bytes())).collect()
    }

    /// RFC 9162's recursive definition, to check the one-pass root against.
    fn mth(d: &[Hash]) -> Hash {
        match d.len() {
            0 => empty(),
            1 => d[0],
            n => {
                let k = split(n);
                node(&mth(&d[..k]), &mth(&d[k..]))
            }
        }
    }

    #[test]
    fn a_frontier_and_the_leaves_after_it_give_the_whole_root() {
        let d = leaves_of(45);
        for p in 0..45 {
            let mut b = Builder::from_frontier(p as u64, &frontier(&d[..p])).unwrap();
            for l in &d[p..] {
                b.push(l);
            }
            assert_eq!(b.root(), root(&d), "prefix {p}");
        }
        assert!(
            Builder::from_frontier(7, &frontier(&d[..5])).is_none(),
            "7 has three perfect subtrees, 5 two"
        );
    }

    #[test]
    fn every_inclusion_and_consistency_proof_up_to_33_leaves_holds_and_any_change_breaks_it() {
        for n in 1..=33 {
            let d = leaves_of(n);
            let r = root(&d);
            assert_eq!(r, mth(&d), "size {n}");
            for i in 0..n {
                let p = inclusion_proof(&d, i);
                assert_eq!(p.len(), inclusion_length(i as u64, n as u64));
                verify_inclusion(i as u64, n as u64, &d[i], &p, &r).unwrap();
                // Another leaf, another index, a changed path, a short path: refused.
                let other = leaf(b"not in the tree");
                assert!(verify_inclusion(i as u64, n as u64, &other, &p, &r).is_err());
                if n > 1 {
                    assert!(verify_inclusion(((i + 1) % n) as u64, n as u64, &d[i], &p, &r).is_err());
                    let mut bent = p.clone();
                    bent[0][0] ^= 1;
                    assert!(verify_inclusion(i as u64, n as u64, &d[i], &bent, &r).is_err());
                    assert!(verify_inclusion(i as u64, n as u64, &d[i], &p[..p.len() - 1], &r).is_err());
                }
            }
            for m in 1..=n {
                let p = consistency_proof(&d, m);
                let old = root(&d[..m]);
                verify_consistency(m as u64, n as u64, &old, &r, &p).unwrap();
                if m < n {
                    // A rewritten old leaf: the old root no longer follows.
                    let mut forged = d.clone();
                    forged[m - 1] = leaf(b"rewritten");
                    assert!(verify_consistency(m as u64, n as u64, &root(&forged[..m]), &r, &p).is_err());
                    let mut bent = p.clone();
                    bent[0][31] ^= 1;
                    assert!(verify_consistency(m as u64, n as u64, &old, &r, &bent).is_err());
                }
            }
        }
    }
}

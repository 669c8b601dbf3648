//! The ledger's digest index, on disk: for each action and finding id the digest of its latest
//! record, and the digest of every other record. It is what the writer needs to skip records the
//! ledger already holds, kept beside the ledger so that an append to a ledger of millions of
//! records neither reads every record nor holds every digest in memory.
//!
//! Two files in CASE/ledger/, both 32-byte entries (a 128-bit key, then a 128-bit value, each
//! big-endian):
//! - `index.sorted`: a header (`agaidx01`, the entry count, the fanout width), a fanout table
//!   (like git's pack index: for each value of the key's top `bits` bits, how many entries have
//!   that prefix or a smaller one), then the entries sorted by key, one per key. A lookup reads
//!   only its prefix's few entries.
//! - `index.recent`: entries appended since the sorted file was last written, in ledger order (a
//!   later entry of a key replaces an earlier one). Read whole on open; merged into a new sorted
//!   file once it holds more than a quarter of the sorted file's entries (at least 65,536), so
//!   the cost of an append stays proportional to what it appends.
//!
//! The index is a cache of what the ledger says, never evidence: the tail (`super::tail`) names
//! the entry counts it covers, anything that does not match them is rebuilt from a full read of
//! the ledger, and a wrong entry can only make the writer skip a record, which every view then
//! reports as a table row without its record.
//!
//! In: keys and values, the ledger directory. Out: lookups, and the counts the tail records.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

pub const SORTED_FILE: &str = "index.sorted";
pub const RECENT_FILE: &str = "index.recent";

const MAGIC: &[u8; 8] = b"agaidx01";
const HEADER: u64 = 24;
const ENTRY: usize = 32;
/// The recent entries are merged into the sorted file beyond this many, or a quarter of it.
const RECENT_MIN: u64 = 1 << 16;

/// Why an index file cannot be used (the caller rebuilds it from the ledger).
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("cannot use {path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
    #[error("{path}: {reason}")]
    Damaged { path: PathBuf, reason: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> IndexError + '_ {
    move |error| IndexError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// The entry counts an index holds, as the tail records them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    pub sorted: u64,
    pub recent: u64,
}

/// The sorted file, open for lookups: its fanout in memory, its entries read on demand.
struct Sorted {
    path: PathBuf,
    file: Option<File>,
    count: u64,
    bits: u32,
    fanout: Vec<u32>,
}

/// An open index: lookups see the sorted file, the recent entries and what was inserted since.
pub struct Index {
    dir: PathBuf,
    sorted: Sorted,
    /// Recent entries, persisted and not.
    recent: HashMap<u128, u128>,
    /// How many entries `index.recent` holds.
    recent_saved: u64,
    /// Entries inserted and not yet persisted, in order.
    unsaved: Vec<(u128, u128)>,
}

fn encode(key: u128, value: u128) -> [u8; ENTRY] {
    let mut e = [0; ENTRY];
    e[..16].copy_from_slice(&key.to_be_bytes());
    e[16..].copy_from_slice(&value.to_be_bytes());
    e
}

fn decode(e: &[u8]) -> (u128, u128) {
    let half = |b: &[u8]| u128::from_be_bytes(b.try_into().unwrap_or([0; 16]));
    (half(&e[..16]), half(&e[16..ENTRY]))
}

/// How many top bits of a key the fanout of `count` entries indexes: about eight entries per
/// prefix, so a lookup reads a few hundred bytes.
fn fanout_bits(count: u64) -> u32 {
    (64 - count.leading_zeros()).saturating_sub(3).min(24)
}

fn prefix(key: u128, bits: u32) -> usize {
    if bits == 0 { 0 } else { (key >> (128 - bits)) as usize }
}

impl Sorted {
    fn open(path: PathBuf, expected: u64) -> Result<Sorted, IndexError> {
        let damaged = |reason: String| IndexError::Damaged {
            path: path.clone(),
            reason,
        };
        if expected == 0 && !path.exists() {
            return Ok(Sorted {
                path,
                file: None,
                count: 0,
                bits: 0,
                fanout: vec![0],
            });
        }
        let mut file = File::open(&path).map_err(io(&path))?;
        let mut header = [0u8; HEADER as usize];
        file.read_exact(&mut header).map_err(io(&path))?;
        let count = u64::from_le_bytes(header[8..16].try_into().unwrap_or_default());
        let bits = u32::from_le_bytes(header[16..20].try_into().unwrap_or_default());
        if &header[..8] != MAGIC || bits > 24 {
            return Err(damaged("expected an agaudit ledger index (agaidx01)".into()));
        }
        if count != expected {
            return Err(damaged(format!("expected {expected} entries, found {count}")));
        }
        let mut raw = vec![0u8; 4 << bits];
        file.read_exact(&mut raw).map_err(io(&path))?;
        let fanout: Vec<u32> = raw
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().unwrap_or_default()))
            .collect();
        let len = file.metadata().map_err(io(&path))?.len();
        let monotonic = fanout.windows(2).all(|w| w[0] <= w[1]);
        // A count from a damaged header must not overflow the length it implies.
        let expected_len = count
            .checked_mul(ENTRY as u64)
            .and_then(|n| n.checked_add(Sorted::start(bits)));
        if !monotonic || fanout.last().copied().map(u64::from) != Some(count) || Some(len) != expected_len {
            return Err(damaged("the fanout does not match the entries".into()));
        }
        Ok(Sorted {
            path,
            file: Some(file),
            count,
            bits,
            fanout,
        })
    }

    fn start(bits: u32) -> u64 {
        HEADER + (4u64 << bits)
    }

    fn get(&self, key: u128) -> Result<Option<u128>, IndexError> {
        let Some(file) = &self.file else { return Ok(None) };
        let p = prefix(key, self.bits);
        let lo = if p == 0 { 0 } else { self.fanout[p - 1] } as u64;
        let hi = self.fanout[p] as u64;
        let mut buf = vec![0u8; ((hi - lo) as usize) * ENTRY];
        file.read_exact_at(&mut buf, Sorted::start(self.bits) + lo * ENTRY as u64)
            .map_err(io(&self.path))?;
        let entries: Vec<(u128, u128)> = buf.chunks_exact(ENTRY).map(decode).collect();
        Ok(entries
            .binary_search_by_key(&key, |(k, _)| *k)
            .ok()
            .map(|i| entries[i].1))
    }

    /// Every entry, in key order.
    fn entries(&self) -> Result<impl Iterator<Item = Result<(u128, u128), IndexError>> + '_, IndexError> {
        let mut reader = match &self.file {
            Some(f) => {
                let mut f = f.try_clone().map_err(io(&self.path))?;
                f.seek(SeekFrom::Start(Sorted::start(self.bits)))
                    .map_err(io(&self.path))?;
                Some(BufReader::with_capacity(1 << 20, f))
            }
            None => None,
        };
        Ok((0..self.count).map(move |_| {
            let mut e = [0u8; ENTRY];
            if let Some(r) = reader.as_mut() {
                r.read_exact(&mut e).map_err(io(&self.path))?;
            }
            Ok(decode(&e))
        }))
    }
}

/// Writes `entries` (sorted by key, one per key, at most `bound` of them) as a sorted file at
/// `path`, through a temporary file renamed into place. Returns how many were written.
fn write_sorted(
    path: &Path,
    bound: u64,
    entries: impl Iterator<Item = Result<(u128, u128), IndexError>>,
) -> Result<u64, IndexError> {
    let tmp = path.with_extension("tmp");
    let bits = fanout_bits(bound);
    let mut fanout = vec![0u32; 1 << bits];
    let file = File::create(&tmp).map_err(io(&tmp))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    out.seek(SeekFrom::Start(Sorted::start(bits))).map_err(io(&tmp))?;
    let mut count = 0u64;
    for entry in entries {
        let (key, value) = entry?;
        out.write_all(&encode(key, value)).map_err(io(&tmp))?;
        fanout[prefix(key, bits)] += 1;
        count += 1;
    }
    let mut total = 0;
    for f in &mut fanout {
        total += *f;
        *f = total;
    }
    let mut head = Vec::with_capacity(Sorted::start(bits) as usize);
    head.extend_from_slice(MAGIC);
    head.extend_from_slice(&count.to_le_bytes());
    head.extend_from_slice(&bits.to_le_bytes());
    head.extend_from_slice(&[0; 4]);
    for f in &fanout {
        head.extend_from_slice(&f.to_le_bytes());
    }
    out.seek(SeekFrom::Start(0)).map_err(io(&tmp))?;
    out.write_all(&head).map_err(io(&tmp))?;
    let file = out.into_inner().map_err(|e| io(&tmp)(e.into_error()))?;
    file.sync_all().map_err(io(&tmp))?;
    fs::rename(&tmp, path).map_err(io(path))?;
    Ok(count)
}

/// Two key-ordered streams merged, the second's value winning on equal keys.
fn merge<'a>(
    older: impl Iterator<Item = Result<(u128, u128), IndexError>> + 'a,
    newer: Vec<(u128, u128)>,
) -> impl Iterator<Item = Result<(u128, u128), IndexError>> + 'a {
    let mut older = older.peekable();
    let mut newer = newer.into_iter().peekable();
    std::iter::from_fn(move || {
        let take_old = match (older.peek(), newer.peek()) {
            (Some(Err(_)), _) => return older.next(),
            (Some(Ok((o, _))), Some((n, _))) => {
                if o == n {
                    older.next();
                    false
                } else {
                    o < n
                }
            }
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return None,
        };
        if take_old { older.next() } else { newer.next().map(Ok) }
    })
}

/// Entries in order of insertion reduced to one per key (the last), sorted by key.
fn latest_per_key(entries: impl IntoIterator<Item = (u128, u128)>) -> Vec<(u128, u128)> {
    let mut v: Vec<(u128, usize, u128)> = entries.into_iter().enumerate().map(|(i, (k, v))| (k, i, v)).collect();
    v.sort_unstable();
    let mut out: Vec<(u128, u128)> = Vec::with_capacity(v.len());
    for (k, _, value) in v {
        match out.last_mut() {
            Some(last) if last.0 == k => last.1 = value,
            _ => out.push((k, value)),
        }
    }
    out
}

impl Index {
    /// Opens the index of the ledger in `dir`, which the tail says holds `counts`; an index that
    /// does not is an error (rebuild it with [`Index::rebuild`]). Recent entries beyond the
    /// count (an append that crashed before its tail was written) are cut off: the ledger
    /// records after the tail are replayed into the index instead.
    pub fn open(dir: &Path, counts: Counts) -> Result<Index, IndexError> {
        let sorted = Sorted::open(dir.join(SORTED_FILE), counts.sorted)?;
        let path = dir.join(RECENT_FILE);
        let mut recent = HashMap::new();
        if counts.recent > 0 || path.exists() {
            let mut file = File::options().read(true).write(true).open(&path).map_err(io(&path))?;
            let want = counts.recent.saturating_mul(ENTRY as u64);
            let len = file.metadata().map_err(io(&path))?.len();
            if len < want {
                return Err(IndexError::Damaged {
                    path,
                    reason: format!("expected {} entries, found {} bytes", counts.recent, len),
                });
            }
            if len > want {
                file.set_len(want).map_err(io(&path))?;
            }
            let mut bytes = Vec::with_capacity(want as usize);
            file.read_to_end(&mut bytes).map_err(io(&path))?;
            recent.extend(bytes.chunks_exact(ENTRY).map(decode));
        }
        Ok(Index {
            dir: dir.to_path_buf(),
            sorted,
            recent,
            recent_saved: counts.recent,
            unsaved: Vec::new(),
        })
    }

    /// Writes a new index holding `entries` (in ledger order; the last of a key wins), replacing
    /// whatever index `dir` held.
    pub fn rebuild(dir: &Path, entries: Vec<(u128, u128)>) -> Result<Index, IndexError> {
        let entries = latest_per_key(entries);
        let path = dir.join(SORTED_FILE);
        let count = write_sorted(&path, entries.len() as u64, entries.into_iter().map(Ok))?;
        let recent = dir.join(RECENT_FILE);
        File::create(&recent).and_then(|f| f.sync_all()).map_err(io(&recent))?;
        Index::open(
            dir,
            Counts {
                sorted: count,
                recent: 0,
            },
        )
    }

    /// The value of `key`: inserted, recent, or in the sorted file.
    pub fn get(&self, key: u128) -> Result<Option<u128>, IndexError> {
        match self.recent.get(&key) {
            Some(v) => Ok(Some(*v)),
            None => self.sorted.get(key),
        }
    }

    /// Sets `key` to `value` (persisted by the next [`Index::persist`]).
    pub fn insert(&mut self, key: u128, value: u128) {
        self.recent.insert(key, value);
        self.unsaved.push((key, value));
    }

    /// Writes what was inserted since the last call (appended to `index.recent`, or merged with
    /// everything into a new `index.sorted` when the recent entries grew large), synced, and
    /// returns the counts for the tail.
    pub fn persist(&mut self) -> Result<Counts, IndexError> {
        let path = self.dir.join(RECENT_FILE);
        let recent = self.recent_saved + self.unsaved.len() as u64;
        if recent > RECENT_MIN.max(self.sorted.count / 4) {
            return self.compact();
        }
        if !self.unsaved.is_empty() {
            let mut bytes = Vec::with_capacity(self.unsaved.len() * ENTRY);
            for (k, v) in self.unsaved.drain(..) {
                bytes.extend_from_slice(&encode(k, v));
            }
            let mut file = File::options()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(io(&path))?;
            file.write_all(&bytes).map_err(io(&path))?;
            file.sync_data().map_err(io(&path))?;
            self.recent_saved = recent;
        }
        Ok(self.counts())
    }

    /// Merges the sorted file and every recent entry into a new sorted file.
    fn compact(&mut self) -> Result<Counts, IndexError> {
        // Every unsaved entry is in `recent` too: freed first, so a large append does not hold
        // its entries three times while they are merged.
        self.unsaved = Vec::new();
        // A map holds one entry per key, its latest: sorting is all that is left to do.
        let mut newer: Vec<(u128, u128)> = std::mem::take(&mut self.recent).into_iter().collect();
        newer.sort_unstable();
        let bound = self.sorted.count + newer.len() as u64;
        let path = self.dir.join(SORTED_FILE);
        let count = write_sorted(&path, bound, merge(self.sorted.entries()?, newer))?;
        let recent = self.dir.join(RECENT_FILE);
        File::create(&recent).and_then(|f| f.sync_all()).map_err(io(&recent))?;
        self.sorted = Sorted::open(path, count)?;
        self.recent_saved = 0;
        Ok(self.counts())
    }

    pub fn counts(&self) -> Counts {
        Counts {
            sorted: self.sorted.count,
            recent: self.recent_saved,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u64) -> u128 {
        u128::from_le_bytes(blake3::hash(&i.to_le_bytes()).as_bytes()[..16].try_into().unwrap())
    }

    #[test]
    fn lookups_see_every_entry_through_appends_compactions_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let mut index = Index::rebuild(dir.path(), (0..1000).map(|i| (key(i), i as u128)).collect()).unwrap();
        // Enough appends to compact twice; every 7th key is updated (latest value wins).
        let mut expected: HashMap<u128, u128> = (0..1000).map(|i| (key(i), i as u128)).collect();
        for round in 0..3u64 {
            for i in 0..(RECENT_MIN / 2) {
                let n = 1000 + round * RECENT_MIN + i;
                index.insert(key(n), n as u128);
                expected.insert(key(n), n as u128);
                if i % 7 == 0 {
                    let old = key(i % 1000);
                    index.insert(old, u128::MAX - n as u128);
                    expected.insert(old, u128::MAX - n as u128);
                }
            }
            let counts = index.persist().unwrap();
            index = Index::open(dir.path(), counts).unwrap();
        }
        assert!(index.counts().sorted > 1000, "the recent entries were merged");
        for (k, v) in &expected {
            assert_eq!(index.get(*k).unwrap(), Some(*v));
        }
        assert_eq!(index.get(key(u64::MAX)).unwrap(), None);
        assert!(index.counts().sorted + index.counts().recent >= expected.len() as u64);
    }

    #[test]
    fn an_index_that_does_not_hold_what_the_tail_says_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut index = Index::rebuild(dir.path(), (0..50).map(|i| (key(i), 1)).collect()).unwrap();
        index.insert(key(99), 2);
        let counts = index.persist().unwrap();
        assert_eq!(counts, Counts { sorted: 50, recent: 1 });
        assert!(Index::open(dir.path(), Counts { sorted: 49, recent: 1 }).is_err());
        assert!(Index::open(dir.path(), Counts { sorted: 50, recent: 2 }).is_err());
        // Entries past the tail's count (a crash before the tail was written) are cut off.
        let index = Index::open(dir.path(), Counts { sorted: 50, recent: 0 }).unwrap();
        assert_eq!(index.get(key(99)).unwrap(), None);
        let bytes = fs::read(dir.path().join(SORTED_FILE)).unwrap();
        fs::write(dir.path().join(SORTED_FILE), &bytes[..bytes.len() - 1]).unwrap();
        assert!(Index::open(dir.path(), Counts { sorted: 50, recent: 0 }).is_err());
    }
}

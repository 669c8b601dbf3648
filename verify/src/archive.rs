//! The bundle's container: a plain POSIX tar archive with one top directory.
//!
//! Plain tar because an auditor can open it with the tools on any machine (`tar xf`) and the
//! layout is the same whoever wrote it: ustar headers, regular files only, mode 0644, owner 0,
//! one fixed modification time, members in a fixed order. agaudit's exporter calls [`write`] and
//! every verifier calls [`read`], so the two agree on what a well-formed bundle is.
//!
//! In: member names and bytes (write), or an archive (read, index). Out: the archive's bytes, its
//! members (slices, or spans of a file), or why the archive is not a bundle.

use std::collections::BTreeMap;

use crate::source::{Source, Span};

/// The members of a bundle, by name (without the top directory): slices of the archive's bytes,
/// never copies (a bundle can hold hundreds of megabytes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Members<'a> {
    /// The top directory every member lives in.
    pub directory: String,
    pub files: BTreeMap<String, &'a [u8]>,
}

/// Writes `members` (name, bytes) under `directory` as a tar archive, in the given order.
pub fn write(directory: &str, members: &[(&str, &[u8])], mtime: u64) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(members.iter().map(|(_, b)| b.len() + 1024).sum::<usize>() + 2048);
    out.extend_from_slice(&header(&format!("{directory}/"), tar::EntryType::Directory, 0, mtime)?);
    for (name, bytes) in members {
        out.extend_from_slice(&header(
            &format!("{directory}/{name}"),
            tar::EntryType::Regular,
            bytes.len() as u64,
            mtime,
        )?);
        out.extend_from_slice(bytes);
        out.resize(out.len().next_multiple_of(BLOCK), 0);
    }
    out.resize(out.len() + 2 * BLOCK, 0);
    Ok(out)
}

const BLOCK: usize = 512;

/// The one header a bundle entry may have: ustar, the path, mode 0755 (the directory) or 0644,
/// owner and group 0 with no names, the bundle's modification time, the size, the checksum;
/// every other byte zero.
fn header(path: &str, kind: tar::EntryType, size: u64, mtime: u64) -> std::io::Result<[u8; BLOCK]> {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(kind);
    h.set_path(path)?;
    h.set_mode(if kind == tar::EntryType::Directory {
        0o755
    } else {
        0o644
    });
    h.set_mtime(mtime);
    h.set_size(size);
    h.set_cksum();
    let mut out = [0u8; BLOCK];
    out.copy_from_slice(h.as_bytes());
    Ok(out)
}

/// The ustar header's fields, for naming the one that differs from the canonical header.
const FIELDS: &[(&str, usize, usize)] = &[
    ("name", 0, 100),
    ("mode", 100, 108),
    ("uid", 108, 116),
    ("gid", 116, 124),
    ("size", 124, 136),
    ("mtime", 136, 148),
    ("checksum", 148, 156),
    ("type", 156, 157),
    ("link name", 157, 257),
    ("magic", 257, 263),
    ("version", 263, 265),
    ("owner name", 265, 297),
    ("group name", 297, 329),
    ("device major", 329, 337),
    ("device minor", 337, 345),
    ("name prefix", 345, 500),
    ("padding", 500, 512),
];

/// Why an archive is not a bundle: which entry (1-based) broke which rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveError {
    NotTar(String),
    Unreadable {
        entry: usize,
        error: String,
    },
    NameNotUtf8 {
        entry: usize,
    },
    /// The entry `path` breaks `rule`.
    Entry {
        entry: usize,
        path: String,
        rule: EntryRule,
    },
    Empty,
    /// What follows the last entry is not exactly the two zero blocks that end a tar archive.
    End {
        offset: u64,
        reason: &'static str,
    },
}

/// The rule an archive entry breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryRule {
    NotInTop,
    OutsideTop {
        directory: String,
    },
    Truncated,
    Duplicate {
        name: String,
    },
    NotPlainName,
    NotRegular {
        kind: String,
    },
    /// A header byte that the canonical header does not have (mode, owner, time, PAX, …).
    NotCanonical {
        field: &'static str,
    },
    /// Non-zero bytes in the padding after a member's data.
    Padding,
}

impl std::error::Error for ArchiveError {}

impl std::fmt::Display for ArchiveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArchiveError::NotTar(e) => write!(f, "not a tar archive: {e}"),
            ArchiveError::Unreadable { entry, error } => write!(f, "entry {entry}: cannot be read as tar: {error}"),
            ArchiveError::NameNotUtf8 { entry } => write!(f, "entry {entry}: its name is not UTF-8"),
            ArchiveError::Entry { entry, path, rule } => {
                write!(f, "entry {entry} `{path}`: ")?;
                match rule {
                    EntryRule::NotInTop => f.write_str("expected a name inside the bundle's top directory"),
                    EntryRule::OutsideTop { directory } => {
                        write!(f, "outside the bundle's top directory `{directory}/`")
                    }
                    EntryRule::Truncated => f.write_str("the archive ends inside it (truncated)"),
                    EntryRule::Duplicate { name } => write!(f, "a second member named {name}"),
                    EntryRule::NotPlainName => {
                        f.write_str("expected a plain file name directly in the top directory (no `/`, `.` or `..`)")
                    }
                    EntryRule::NotRegular { kind } => {
                        write!(f, "expected a regular file directly in the top directory, found {kind}")
                    }
                    EntryRule::NotCanonical { field } => write!(
                        f,
                        "its header's {field} is not the one agaudit writes (docs/formats.md, bundle archive): the archive was repacked or altered"
                    ),
                    EntryRule::Padding => f.write_str("non-zero bytes in the padding after its data"),
                }
            }
            ArchiveError::Empty => f.write_str("the archive is empty"),
            ArchiveError::End { offset, reason } => write!(f, "at byte {offset}: {reason}"),
        }
    }
}

/// Reads a bundle archive in its canonical form only: see [`index`]. The members are slices
/// of `bytes`.
pub fn read(bytes: &[u8]) -> Result<Members<'_>, ArchiveError> {
    let index = index(&Source::Bytes(bytes))?;
    let files = index
        .files
        .into_iter()
        .map(|(name, span)| (name, &bytes[span.offset as usize..(span.offset + span.len) as usize]))
        .collect();
    Ok(Members {
        directory: index.directory,
        files,
    })
}

/// Where each member's data lies in a bundle archive, by name (without the top directory).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Index {
    /// The top directory every member lives in.
    pub directory: String,
    pub files: BTreeMap<String, Span>,
}

/// Indexes a bundle archive in its canonical form only: the top directory's header, then each
/// member's header and data padded with zeros to 512 bytes, then exactly two zero blocks and
/// nothing after them. Every header must be byte for byte the one [`write`] makes for that path,
/// size and the directory's modification time, so changed modes, owners, times, PAX or GNU
/// extension headers, and members or bytes after the end are all refused. The error says which
/// entry broke which rule. Only headers, padding and the end are read: members' data is not.
pub fn index(src: &Source) -> Result<Index, ArchiveError> {
    let mut out = Index::default();
    let len = src.len();
    let mut offset = 0u64;
    let mut mtime = 0;
    let mut n = 0;
    let mut block = [0u8; BLOCK];
    loop {
        if src.read_at(offset, &mut block).is_err() {
            return Err(if n == 0 {
                ArchiveError::NotTar("shorter than one 512-byte header".into())
            } else {
                ArchiveError::End {
                    offset,
                    reason: "the archive ends without its end-of-archive blocks (truncated)",
                }
            });
        }
        if block.iter().all(|&b| b == 0) {
            break;
        }
        n += 1;
        let h = tar::Header::from_byte_slice(&block);
        let path = std::str::from_utf8(&h.path_bytes())
            .map(str::to_string)
            .map_err(|_| ArchiveError::NameNotUtf8 { entry: n })?;
        let broken = |rule| ArchiveError::Entry {
            entry: n,
            path: path.clone(),
            rule,
        };
        let size = h.size().map_err(|e| ArchiveError::Unreadable {
            entry: n,
            error: e.to_string(),
        })?;
        let kind = h.entry_type();
        if n == 1 {
            mtime = h.mtime().map_err(|e| ArchiveError::Unreadable {
                entry: n,
                error: e.to_string(),
            })?;
        }
        let (dir, name) = match path.trim_end_matches('/').split_once('/') {
            Some((dir, name)) => (dir.to_string(), Some(name.to_string())),
            None => (path.trim_end_matches('/').to_string(), None),
        };
        if dir.is_empty() || dir == "." || dir == ".." {
            return Err(broken(EntryRule::NotInTop));
        }
        match (&kind, &name, n) {
            (tar::EntryType::Directory, None, 1) => out.directory = dir.clone(),
            (tar::EntryType::Regular, Some(_), 1) | (tar::EntryType::Directory, _, _) => {
                return Err(broken(EntryRule::NotInTop));
            }
            _ if dir != out.directory => {
                return Err(broken(EntryRule::OutsideTop {
                    directory: out.directory.clone(),
                }));
            }
            (tar::EntryType::Regular, Some(name), _) if !name.contains('/') && name != "." && name != ".." => {}
            (tar::EntryType::Regular, Some(_), _) => return Err(broken(EntryRule::NotPlainName)),
            (kind, _, _) => {
                return Err(broken(EntryRule::NotRegular {
                    kind: format!("{kind:?}"),
                }));
            }
        }
        let canonical_path = match &name {
            Some(name) => format!("{dir}/{name}"),
            None => format!("{dir}/"),
        };
        let canonical = header(&canonical_path, kind, size, mtime).map_err(|e| ArchiveError::Unreadable {
            entry: n,
            error: e.to_string(),
        })?;
        // The checksum follows from the other bytes: name the field that made it differ.
        let differs = |(_, a, b): &&(&'static str, usize, usize)| canonical[*a..*b] != block[*a..*b];
        let field = FIELDS
            .iter()
            .filter(|(f, _, _)| *f != "checksum")
            .find(differs)
            .or_else(|| FIELDS.iter().find(differs));
        if let Some((field, _, _)) = field {
            return Err(broken(EntryRule::NotCanonical { field }));
        }
        let start = offset + BLOCK as u64;
        let data = Span {
            offset: start,
            len: size,
        };
        let padded = start
            .checked_add(size)
            .and_then(|end| end.checked_next_multiple_of(BLOCK as u64))
            .filter(|&end| end <= len)
            .ok_or_else(|| broken(EntryRule::Truncated))?;
        let mut padding = vec![0; (padded - start - size) as usize];
        src.read_at(start + size, &mut padding)
            .map_err(|_| broken(EntryRule::Truncated))?;
        if padding.iter().any(|&b| b != 0) {
            return Err(broken(EntryRule::Padding));
        }
        if let Some(name) = name
            && out.files.insert(name.clone(), data).is_some()
        {
            return Err(broken(EntryRule::Duplicate { name }));
        }
        offset = padded;
    }
    if n == 0 {
        return Err(ArchiveError::Empty);
    }
    let end = offset + 2 * BLOCK as u64;
    match len.cmp(&end) {
        std::cmp::Ordering::Less => Err(ArchiveError::End {
            offset,
            reason: "the archive ends inside its end-of-archive blocks (truncated)",
        }),
        std::cmp::Ordering::Greater => {
            // Name the first non-zero byte after the first end block, reading piece by piece.
            let extra = Span {
                offset: offset + BLOCK as u64,
                len: len - offset - BLOCK as u64,
            };
            let (mut at, mut found) = (extra.offset, false);
            let _ = src.pieces(extra, |piece| {
                if !found {
                    match piece.iter().position(|&b| b != 0) {
                        Some(p) => {
                            at += p as u64;
                            found = true;
                        }
                        None => at += piece.len() as u64,
                    }
                }
            });
            Err(ArchiveError::End {
                offset: if found { at } else { extra.offset },
                reason: "bytes after the end-of-archive blocks: something was appended (tar may still extract it)",
            })
        }
        std::cmp::Ordering::Equal => {
            let mut second = [0u8; BLOCK];
            src.read_at(offset + BLOCK as u64, &mut second)
                .map_err(|e| ArchiveError::NotTar(e.to_string()))?;
            if second.iter().any(|&b| b != 0) {
                Err(ArchiveError::End {
                    offset,
                    reason: "the end-of-archive blocks are not all zero",
                })
            } else {
                Ok(out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rules() {
        let bytes = write("b", &[("x.txt", b"hello"), ("y.bin", &[0, 1, 2])], 1_700_000_000).unwrap();
        let m = read(&bytes).unwrap();
        assert_eq!(m.directory, "b");
        assert_eq!(m.files["x.txt"], b"hello");
        assert_eq!(m.files["y.bin"], [0, 1, 2]);
        assert!(
            read(&bytes[..bytes.len() - 1024 - 512]).is_err(),
            "truncated inside a member"
        );
        assert_eq!(
            bytes,
            write("b", &[("x.txt", b"hello"), ("y.bin", &[0, 1, 2])], 1_700_000_000).unwrap()
        );
        let dup = write("b", &[("x.txt", b"1"), ("x.txt", b"2")], 0).unwrap();
        assert!(read(&dup).unwrap_err().to_string().contains("second member"));
        assert!(read(b"not a tar at all, just text").is_err());
    }

    /// What tar would still extract, or a repacked archive, is not a bundle.
    #[test]
    fn only_the_canonical_form_is_read() {
        let good = write("b", &[("x.txt", b"hello")], 1_700_000_000).unwrap();
        let err = |bytes: &[u8]| read(bytes).unwrap_err().to_string();
        // A member after the end-of-archive blocks, and stray bytes there.
        let mut appended = good.clone();
        appended.extend_from_slice(&write("b", &[("evil.sh", b"rm -rf")], 1_700_000_000).unwrap()[512..]);
        assert!(err(&appended).contains("appended"), "{}", err(&appended));
        let mut stray = good.clone();
        stray.push(b'x');
        assert!(err(&stray).contains("appended"));
        let mut padded = good.clone();
        padded.resize(10240, 0);
        assert!(
            err(&padded).contains("appended"),
            "a record-padded archive is not the canonical one"
        );
        // Header fields: mode, owner, time, owner name; each named.
        for (field, at, value) in [
            ("mode", 512 + 100, b'7'),
            ("uid", 512 + 108, b'1'),
            ("mtime", 512 + 140, b'1'),
            ("owner name", 512 + 265, b'r'),
        ] {
            let mut bent = good.clone();
            bent[at] = value;
            let mut h = tar::Header::new_old();
            h.as_mut_bytes().copy_from_slice(&bent[512..1024]);
            h.set_cksum();
            bent[512..1024].copy_from_slice(h.as_bytes());
            assert!(
                err(&bent).contains(&format!("header's {field} ")),
                "{field}: {}",
                err(&bent)
            );
        }
        // A PAX extended header before a member.
        let mut builder = tar::Builder::new(Vec::new());
        builder.append_pax_extensions([("comment", b"x".as_slice())]).unwrap();
        let pax = builder.into_inner().unwrap();
        let mut with_pax = good[..512].to_vec();
        with_pax.extend_from_slice(&pax[..pax.len() - 1024]);
        with_pax.extend_from_slice(&good[512..]);
        assert!(read(&with_pax).is_err());
        // Non-zero padding after a member's data.
        let mut bent = good.clone();
        bent[1024 + 100] = 1;
        assert!(err(&bent).contains("padding"));
        assert!(read(&good[..good.len() - 1]).is_err(), "cut inside the end blocks");
    }
}

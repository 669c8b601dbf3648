//! The bundle's container: a plain POSIX tar archive with one top directory.
//!
//! Plain tar because an auditor can open it with the tools on any machine (`tar xf`) and the
//! layout is the same whoever wrote it: ustar headers, regular files only, mode 0644, owner 0,
//! one fixed modification time, members in a fixed order. agaudit's exporter calls [`write`] and
//! every verifier calls [`read`], so the two agree on what a well-formed bundle is.
//!
//! In: member names and bytes (write) or an archive's bytes (read). Out: the other, or why the
//! archive is not a bundle.

use std::collections::BTreeMap;
use std::io::Cursor;

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
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(tar::EntryType::Directory);
    header.set_path(format!("{directory}/"))?;
    header.set_mode(0o755);
    header.set_mtime(mtime);
    header.set_size(0);
    header.set_cksum();
    builder.append(&header, std::io::empty())?;
    for (name, bytes) in members {
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_path(format!("{directory}/{name}"))?;
        header.set_mode(0o644);
        header.set_mtime(mtime);
        header.set_size(bytes.len() as u64);
        header.set_cksum();
        builder.append(&header, *bytes)?;
    }
    builder.into_inner()
}

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
}

/// The rule an archive entry breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryRule {
    NotInTop,
    OutsideTop { directory: String },
    Truncated,
    Duplicate { name: String },
    NotPlainName,
    NotRegular { kind: String },
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
                }
            }
            ArchiveError::Empty => f.write_str("the archive is empty"),
        }
    }
}

/// Reads a bundle archive: every entry must be the top directory or a regular file directly in
/// it, each name once. The error says which entry broke the rule.
pub fn read(bytes: &[u8]) -> Result<Members<'_>, ArchiveError> {
    let mut archive = tar::Archive::new(Cursor::new(bytes));
    let entries = archive
        .entries_with_seek()
        .map_err(|e| ArchiveError::NotTar(e.to_string()))?;
    let mut out = Members::default();
    for (i, entry) in entries.enumerate() {
        let n = i + 1;
        let entry = entry.map_err(|e| ArchiveError::Unreadable {
            entry: n,
            error: e.to_string(),
        })?;
        let path =
            String::from_utf8(entry.path_bytes().into_owned()).map_err(|_| ArchiveError::NameNotUtf8 { entry: n })?;
        let broken = |rule| ArchiveError::Entry {
            entry: n,
            path: path.clone(),
            rule,
        };
        let kind = entry.header().entry_type();
        let (dir, name) = match path.trim_end_matches('/').split_once('/') {
            Some((dir, name)) => (dir.to_string(), Some(name.to_string())),
            None => (path.trim_end_matches('/').to_string(), None),
        };
        if dir.is_empty() || dir == "." || dir == ".." {
            return Err(broken(EntryRule::NotInTop));
        }
        if out.directory.is_empty() {
            out.directory = dir.clone();
        } else if out.directory != dir {
            return Err(broken(EntryRule::OutsideTop {
                directory: out.directory.clone(),
            }));
        }
        match (kind, name) {
            (tar::EntryType::Directory, None) => {}
            (tar::EntryType::Regular, Some(name)) if !name.contains('/') && name != "." && name != ".." => {
                let start = entry.raw_file_position() as usize;
                let data = start
                    .checked_add(entry.size() as usize)
                    .and_then(|end| bytes.get(start..end))
                    .ok_or_else(|| broken(EntryRule::Truncated))?;
                if out.files.insert(name.clone(), data).is_some() {
                    return Err(broken(EntryRule::Duplicate { name }));
                }
            }
            (tar::EntryType::Regular, Some(_)) => {
                return Err(broken(EntryRule::NotPlainName));
            }
            (kind, _) => {
                return Err(broken(EntryRule::NotRegular {
                    kind: format!("{kind:?}"),
                }));
            }
        }
    }
    if out.directory.is_empty() {
        return Err(ArchiveError::Empty);
    }
    Ok(out)
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
}

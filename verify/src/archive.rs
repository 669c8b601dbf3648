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

/// Reads a bundle archive: every entry must be the top directory or a regular file directly in
/// it, each name once. The error says which entry broke the rule.
pub fn read(bytes: &[u8]) -> Result<Members<'_>, String> {
    let mut archive = tar::Archive::new(Cursor::new(bytes));
    let entries = archive
        .entries_with_seek()
        .map_err(|e| format!("not a tar archive: {e}"))?;
    let mut out = Members::default();
    for (i, entry) in entries.enumerate() {
        let n = i + 1;
        let entry = entry.map_err(|e| format!("entry {n}: cannot be read as tar: {e}"))?;
        let path = String::from_utf8(entry.path_bytes().into_owned())
            .map_err(|_| format!("entry {n}: its name is not UTF-8"))?;
        let kind = entry.header().entry_type();
        let (dir, name) = match path.trim_end_matches('/').split_once('/') {
            Some((dir, name)) => (dir.to_string(), Some(name.to_string())),
            None => (path.trim_end_matches('/').to_string(), None),
        };
        if dir.is_empty() || dir == "." || dir == ".." {
            return Err(format!(
                "entry {n} `{path}`: expected a name inside the bundle's top directory"
            ));
        }
        if out.directory.is_empty() {
            out.directory = dir.clone();
        } else if out.directory != dir {
            return Err(format!(
                "entry {n} `{path}`: outside the bundle's top directory `{}/`",
                out.directory
            ));
        }
        match (kind, name) {
            (tar::EntryType::Directory, None) => {}
            (tar::EntryType::Regular, Some(name)) if !name.contains('/') && name != "." && name != ".." => {
                let start = entry.raw_file_position() as usize;
                let data = start
                    .checked_add(entry.size() as usize)
                    .and_then(|end| bytes.get(start..end))
                    .ok_or_else(|| format!("entry {n} `{path}`: the archive ends inside it (truncated)"))?;
                if out.files.insert(name.clone(), data).is_some() {
                    return Err(format!("entry {n} `{path}`: a second member named {name}"));
                }
            }
            (tar::EntryType::Regular, Some(_)) => {
                return Err(format!(
                    "entry {n} `{path}`: expected a plain file name directly in the top directory (no `/`, `.` or `..`)"
                ));
            }
            (kind, _) => {
                return Err(format!(
                    "entry {n} `{path}`: expected a regular file directly in the top directory, found {kind:?}"
                ));
            }
        }
    }
    if out.directory.is_empty() {
        return Err("the archive is empty".into());
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
        assert!(read(&dup).unwrap_err().contains("second member"));
        assert!(read(b"not a tar at all, just text").is_err());
    }
}

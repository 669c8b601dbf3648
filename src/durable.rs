//! Files replaced whole: a small file the case keeps (a signed checkpoint, the ledger's head and
//! tail, the rerun state) must never be seen half-written, whatever kills the process. A reader
//! that found a torn checkpoint would refuse the case for good, and an empty one is what an
//! insider's deletion looks like.
//!
//! In: a path and its new bytes. Out: the file holds either its old bytes or all the new ones.
//! The bytes go to a sibling `NAME.tmp`, are synced, and are renamed over the path; the
//! directory is synced after, so the rename survives a power loss too.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Replaces `path` with `bytes` atomically. Leaves at most a `NAME.tmp` behind when killed, which
/// the next replace overwrites.
pub fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = tmp_path(path);
    let mut f = File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        sync_dir(dir)?;
    }
    Ok(())
}

/// Syncs a directory's entries. Some file systems cannot sync a directory and say so with
/// EINVAL or EBADF: that is not a failed write (PostgreSQL's `fsync_fname` takes it the same way).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    match File::open(dir)?.sync_all() {
        Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::EBADF)) => Ok(()),
        other => other,
    }
}

/// `NAME.tmp` beside `NAME`: the whole name kept, so `x.txt` and `x.txt.minisig` never share one.
fn tmp_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".tmp");
    PathBuf::from(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replaced_file_holds_the_new_bytes_and_no_temporary_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("000000000116.txt");
        fs::write(&path, b"old\n").unwrap();
        // A temporary left by a killed earlier replace is overwritten, not appended to.
        fs::write(tmp_path(&path), b"torn").unwrap();
        replace(&path, b"new\n").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new\n");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("000000000116.txt")]);
    }
}

//! Where a bundle's bytes come from: a file read by position, or bytes already in memory.
//!
//! Verification must not need memory in proportion to the bundle (a bundle can hold gigabytes).
//! Every check reads what it needs through a [`Source`]: the archive's 512-byte headers, the
//! small members whole, and the large ones (the ledger slice, the Parquet tables) in pieces of a
//! few megabytes. Tests, fuzzing and callers holding bytes use the in-memory form; the command
//! line uses the file form, so the same checks run on both.
//!
//! In: a file or a byte slice, and spans of it. Out: the bytes of a span, a span's complete
//! lines piece by piece, or a reader the Parquet crate can use.

use std::fs::File;
use std::io;
use std::sync::Arc;

/// The bundle's bytes, wherever they are.
#[derive(Debug, Clone)]
pub enum Source<'a> {
    Bytes(&'a [u8]),
    File { file: Arc<File>, len: u64 },
}

/// A stretch of a [`Source`]: a member's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub offset: u64,
    pub len: u64,
}

/// How much of a large member is read at a time: enough for every core to have work and for
/// reads to be sequential, small beside any machine's memory.
pub const PIECE: usize = 16 << 20;

/// The longest line a ledger may have: a record agaudit writes is a few hundred bytes. A longer
/// line is not read (so a hostile bundle cannot make the verifier hold it), only hashed.
pub const LONGEST_LINE: usize = 64 << 20;

impl Source<'_> {
    pub fn open(file: File) -> io::Result<Source<'static>> {
        let len = file.metadata()?.len();
        Ok(Source::File {
            file: Arc::new(file),
            len,
        })
    }

    /// What identifies a file's contents cheaply (device, inode, size, modification time), to
    /// tell that it did not change while it was read; None for bytes in memory.
    pub fn identity(&self) -> Option<(u64, u64, u64, i64, i64)> {
        let Source::File { file, .. } = self else { return None };
        let m = file.metadata().ok()?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Some((m.dev(), m.ino(), m.size(), m.mtime(), m.mtime_nsec()))
        }
        #[cfg(not(unix))]
        {
            let t = m.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
            Some((0, 0, m.len(), t.as_secs() as i64, i64::from(t.subsec_nanos())))
        }
    }

    pub fn len(&self) -> u64 {
        match self {
            Source::Bytes(b) => b.len() as u64,
            Source::File { len, .. } => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fills `buf` from `offset`; an error when the source ends before `buf` is full.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        match self {
            Source::Bytes(b) => {
                let start = usize::try_from(offset).map_err(|_| eof())?;
                let end = start.checked_add(buf.len()).ok_or_else(eof)?;
                buf.copy_from_slice(b.get(start..end).ok_or_else(eof)?);
                Ok(())
            }
            Source::File { file, .. } => read_exact_at(file, buf, offset),
        }
    }

    /// A span's bytes, whole: for the small members (manifest, signatures, checkpoint).
    pub fn bytes(&self, span: Span) -> io::Result<Vec<u8>> {
        let mut out = vec![0; usize::try_from(span.len).map_err(|_| eof())?];
        self.read_at(span.offset, &mut out)?;
        Ok(out)
    }

    /// Calls `each` with consecutive pieces of `span` (at most [`PIECE`] bytes), in order.
    pub fn pieces(&self, span: Span, mut each: impl FnMut(&[u8])) -> io::Result<()> {
        if let Source::Bytes(b) = self {
            let start = usize::try_from(span.offset).map_err(|_| eof())?;
            let end = start
                .checked_add(usize::try_from(span.len).map_err(|_| eof())?)
                .ok_or_else(eof)?;
            b.get(start..end).ok_or_else(eof)?.chunks(PIECE).for_each(each);
            return Ok(());
        }
        let mut buf = vec![0; PIECE.min(span.len as usize)];
        let mut done = 0;
        while done < span.len {
            let n = PIECE.min((span.len - done) as usize);
            self.read_at(span.offset + done, &mut buf[..n])?;
            each(&buf[..n]);
            done += n as u64;
        }
        Ok(())
    }

    /// Calls `each` with the span's bytes cut into pieces that end at a newline, in order:
    /// `each(raw, lines)` where `raw` is every byte read since the last call (for hashing the
    /// member) and `lines` its complete lines, each with its `\n`. What follows the last newline
    /// (a torn record) comes last as `raw` with no `lines`. A line longer than [`LONGEST_LINE`]
    /// ends the lines: `Err(line number)` after every byte was passed on as `raw`.
    pub fn lines(&self, span: Span, mut each: impl FnMut(&[u8], &[u8])) -> io::Result<Result<(), u64>> {
        let mut carry: Vec<u8> = Vec::new();
        let mut line_no = 0u64;
        let mut too_long = None;
        self.pieces(span, |piece| {
            if too_long.is_some() {
                return each(piece, &[]);
            }
            let Some(last_nl) = piece.iter().rposition(|&b| b == b'\n') else {
                carry.extend_from_slice(piece);
                if carry.len() > LONGEST_LINE {
                    too_long = Some(line_no + 1);
                    each(&carry, &[]);
                    carry = Vec::new();
                }
                return;
            };
            let (complete, rest) = piece.split_at(last_nl + 1);
            if carry.is_empty() {
                line_no += count_lines(complete);
                each(complete, complete);
            } else {
                carry.extend_from_slice(complete);
                line_no += count_lines(&carry);
                each(&carry, &carry);
                carry.clear();
            }
            carry.extend_from_slice(rest);
        })?;
        if !carry.is_empty() {
            each(&carry, &[]);
        }
        Ok(too_long.map_or(Ok(()), Err))
    }

    /// The span as something the Parquet crate reads by position (it needs to own it).
    #[cfg(feature = "rows")]
    pub fn parquet(&self, span: Span) -> io::Result<Member> {
        Ok(match self {
            Source::Bytes(_) => Member::Bytes(bytes::Bytes::from(self.bytes(span)?)),
            Source::File { file, .. } => Member::File {
                file: Arc::clone(file),
                span,
            },
        })
    }
}

/// A span's complete lines one at a time (without their `\n`), for checks that walk a ledger
/// record by record or two ledgers side by side. Holds one piece and the line it is in.
pub struct Lines<'s, 'a> {
    src: &'s Source<'a>,
    span: Span,
    /// Bytes of the span read so far.
    read: u64,
    buf: Vec<u8>,
    /// Where the next line starts in `buf`.
    at: usize,
}

impl<'s, 'a> Lines<'s, 'a> {
    pub fn new(src: &'s Source<'a>, span: Span) -> Self {
        Lines {
            src,
            span,
            read: 0,
            buf: Vec::new(),
            at: 0,
        }
    }

    /// The next complete line, or None at the end (a torn tail, a line longer than
    /// [`LONGEST_LINE`] and a read error all end the lines: the main pass reports them).
    pub fn next_line(&mut self) -> Option<&[u8]> {
        loop {
            if let Some(nl) = self.buf[self.at..].iter().position(|&b| b == b'\n') {
                let line = self.at..self.at + nl;
                self.at += nl + 1;
                return Some(&self.buf[line]);
            }
            let left = self.span.len - self.read;
            if left == 0 || self.buf.len() - self.at > LONGEST_LINE {
                return None;
            }
            self.buf.drain(..self.at);
            self.at = 0;
            let n = PIECE.min(left as usize);
            let have = self.buf.len();
            self.buf.resize(have + n, 0);
            self.src
                .read_at(self.span.offset + self.read, &mut self.buf[have..])
                .ok()?;
            self.read += n as u64;
        }
    }
}

fn count_lines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

fn eof() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the bundle ends before the data its archive headers describe",
    )
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(file, buf, offset)? {
            0 => return Err(eof()),
            n => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

/// A Parquet member, owned so the Parquet reader can keep it: a copy of a small in-memory one,
/// or the bundle file and the member's span.
#[cfg(feature = "rows")]
pub enum Member {
    Bytes(bytes::Bytes),
    File { file: Arc<File>, span: Span },
}

#[cfg(feature = "rows")]
mod parquet_reader {
    use parquet::errors::{ParquetError, Result};
    use parquet::file::reader::{ChunkReader, Length};

    use super::*;

    impl Length for Member {
        fn len(&self) -> u64 {
            match self {
                Member::Bytes(b) => b.len() as u64,
                Member::File { span, .. } => span.len,
            }
        }
    }

    /// Reads a member from a position to its end.
    pub struct Reader {
        file: Arc<File>,
        at: u64,
        end: u64,
    }

    impl io::Read for Reader {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min((self.end - self.at) as usize);
            read_exact_at(&self.file, &mut buf[..n], self.at)?;
            self.at += n as u64;
            Ok(n)
        }
    }

    pub enum Read {
        Bytes(bytes::buf::Reader<bytes::Bytes>),
        File(Reader),
    }

    impl io::Read for Read {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self {
                Read::Bytes(r) => r.read(buf),
                Read::File(r) => r.read(buf),
            }
        }
    }

    impl ChunkReader for Member {
        type T = Read;

        fn get_read(&self, start: u64) -> Result<Read> {
            match self {
                Member::Bytes(b) => b.get_read(start).map(Read::Bytes),
                Member::File { file, span } if start <= span.len => Ok(Read::File(Reader {
                    file: Arc::clone(file),
                    at: span.offset + start,
                    end: span.offset + span.len,
                })),
                Member::File { .. } => Err(ParquetError::EOF(format!("no byte {start} in the member"))),
            }
        }

        fn get_bytes(&self, start: u64, length: usize) -> Result<bytes::Bytes> {
            match self {
                Member::Bytes(b) => b.get_bytes(start, length),
                Member::File { file, span } => {
                    let inside = start.checked_add(length as u64).is_some_and(|end| end <= span.len);
                    if !inside {
                        return Err(ParquetError::EOF(format!(
                            "bytes {start}+{length} are past the member's end"
                        )));
                    }
                    let mut buf = vec![0; length];
                    read_exact_at(file, &mut buf, span.offset + start)?;
                    Ok(buf.into())
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(src: &Source, span: Span) -> (Vec<u8>, Vec<u8>, Result<(), u64>) {
        let (mut raw, mut lines) = (Vec::new(), Vec::new());
        let r = src
            .lines(span, |r, l| {
                raw.extend_from_slice(r);
                lines.extend_from_slice(l);
            })
            .unwrap();
        (raw, lines, r)
    }

    #[test]
    fn lines_cut_at_newlines_and_pass_every_byte() {
        let mut text = Vec::new();
        for i in 0..(3 * PIECE / 40) {
            text.extend_from_slice(format!("line {i} {}\n", "x".repeat(i % 50)).as_bytes());
        }
        text.extend_from_slice(b"torn");
        let path = std::env::temp_dir().join(format!("agaudit-verify-source-{}", std::process::id()));
        std::fs::write(&path, &text).unwrap();
        let file = Source::open(File::open(&path).unwrap()).unwrap();
        for src in [Source::Bytes(&text), file] {
            let span = Span {
                offset: 0,
                len: text.len() as u64,
            };
            let (raw, lines, r) = lines_of(&src, span);
            assert_eq!(raw, text);
            assert_eq!(lines, &text[..text.len() - 4]);
            assert_eq!(r, Ok(()));
        }
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_line_too_long_is_hashed_not_held() {
        let mut text = b"a\n".to_vec();
        text.resize(LONGEST_LINE + PIECE + 10, b'y');
        let span = Span {
            offset: 0,
            len: text.len() as u64,
        };
        let (raw, lines, r) = lines_of(&Source::Bytes(&text), span);
        assert_eq!(raw, text);
        assert_eq!(lines, b"a\n");
        assert_eq!(r, Err(2));
    }
}

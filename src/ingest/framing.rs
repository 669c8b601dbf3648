//! Framing: raw bytes → chunks of whole records, before any parsing.
//!
//! Reads a file (plain, gzip, zstd, bzip2 or xz, recognised by magic bytes, not by name), splits it into
//! records — a line; a line plus its TAB-started continuation lines (PostgreSQL's stderr); or a
//! CSV record whose quoted fields may hold newlines (csvlog) — and packs whole records into
//! chunks of about [`CHUNK_BYTES`] that parsers can take in parallel. Every line of the input is
//! in exactly one record, so line counts add up whatever the parsers do.
//!
//! Memory stays bounded: a record longer than [`MAX_RECORD_BYTES`] is not kept (its lines are
//! counted and the record is marked [`RecordProblem::TooLong`]), and an unterminated CSV quote
//! gives up at that size too and resynchronises on the next line.
//!
//! In: a path. Out: an iterator of [`Chunk`]s, in file order, each with its records' line numbers.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

/// Target size of one chunk handed to a parser.
pub const CHUNK_BYTES: usize = 1 << 20;
/// Longest record agaudit keeps; longer ones are quarantined as too long.
pub const MAX_RECORD_BYTES: usize = 32 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    None,
    Gzip,
    Zstd,
    Bzip2,
    Xz,
}

impl Compression {
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Bzip2 => "bzip2",
            Compression::Xz => "xz",
        }
    }
}

/// Opens `path`, decompressing transparently; `on_read` is told how many raw bytes were read.
pub fn open(path: &Path, on_read: impl Fn(u64) + Send + 'static) -> io::Result<(Box<dyn Read + Send>, Compression)> {
    let file = CountingReader {
        inner: File::open(path)?,
        on_read,
    };
    let mut raw = BufReader::with_capacity(256 << 10, file);
    let magic = raw.fill_buf()?;
    Ok(if magic.starts_with(&[0x1f, 0x8b]) {
        (
            Box::new(SmallReads(flate2::read::MultiGzDecoder::new(raw))),
            Compression::Gzip,
        )
    } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        (
            Box::new(SmallReads(zstd::stream::read::Decoder::with_buffer(raw)?)),
            Compression::Zstd,
        )
    } else if magic.starts_with(b"BZh") && magic.get(3).is_some_and(|b| (b'1'..=b'9').contains(b)) {
        (
            Box::new(SmallReads(bzip2::read::MultiBzDecoder::new(raw))),
            Compression::Bzip2,
        )
    } else if magic.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
        (
            Box::new(SmallReads(lzma_rust2::XzReader::new(raw, true))),
            Compression::Xz,
        )
    } else {
        (Box::new(raw), Compression::None)
    })
}

/// The first `limit` decompressed bytes of `path` (fewer if the file is shorter or its
/// compressed stream breaks early), for detecting the kind of content.
pub fn sniff(path: &Path, limit: usize) -> io::Result<(Vec<u8>, Compression)> {
    let (mut reader, compression) = open(path, |_| {})?;
    let mut head = Vec::with_capacity(limit);
    // A broken stream still yields what was decoded before the break; framing reports it. Small
    // reads, because a decoder that fails inside one read call drops that call's output: one
    // read of a small corrupt file would leave nothing to detect the kind from.
    let mut buf = [0u8; 4096];
    while head.len() < limit {
        let want = buf.len().min(limit - head.len());
        match reader.read(&mut buf[..want]) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    Ok((head, compression))
}

/// Asks a decoder for at most 16 KiB per read. A decoder that fails inside a read call drops
/// what it decoded in that call, so small calls keep everything decoded before a corrupt or cut
/// stream breaks (and the lines before the break are parsed and counted).
struct SmallReads<R>(R);

impl<R: Read> Read for SmallReads<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(16 << 10);
        self.0.read(&mut buf[..n])
    }
}

struct CountingReader<R, F> {
    inner: R,
    on_read: F,
}

impl<R: Read, F: Fn(u64)> Read for CountingReader<R, F> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.on_read)(n as u64);
        Ok(n)
    }
}

/// How records are delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// One line, one record (jsonlog, OTLP JSON lines).
    Lines,
    /// A line plus the following lines that the splitter's `continues` says belong to it (the
    /// stderr log's TAB-started continuation lines).
    Continued,
    /// A CSV record: newlines inside double-quoted fields do not end it (csvlog).
    Csv,
}

/// How the records of a file are laid out: one per line, or all in one JSON document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Lines,
    Document,
}

/// A decision about one line (its first bytes).
pub type LineCheck = Box<dyn Fn(&[u8]) -> bool + Send>;

/// Where records continue and where chunks may end, for one file.
pub struct Splitter {
    /// Whether a line continues the record before it ([`Framing::Continued`]).
    pub continues: LineCheck,
    /// Whether a chunk may end before this line (stderr keeps an ERROR and its STATEMENT line
    /// together; syslog keeps the parts of a message together).
    pub can_split: LineCheck,
}

impl Splitter {
    /// A TAB-started line continues the record before it; chunks may end anywhere.
    pub fn plain() -> Splitter {
        Splitter {
            continues: Box::new(|line| line.first() == Some(&b'\t')),
            can_split: Box::new(|_| true),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordProblem {
    /// Longer than [`MAX_RECORD_BYTES`]; its bytes were not kept.
    TooLong,
    /// The input ended (or the size limit was hit) inside a quoted CSV field.
    UnterminatedQuote,
}

/// One record: a byte range of its chunk's data (line terminators of the last line excluded).
#[derive(Debug, Clone)]
pub struct Record {
    pub start: usize,
    pub end: usize,
    /// 1-based number of its first line in the (decompressed) file.
    pub line: u64,
    /// How many lines it spans.
    pub lines: u32,
    pub problem: Option<RecordProblem>,
}

#[derive(Debug, Default)]
pub struct Chunk {
    pub seq: u64,
    pub data: Vec<u8>,
    pub records: Vec<Record>,
}

impl Chunk {
    pub fn bytes(&self, r: &Record) -> &[u8] {
        &self.data[r.start..r.end]
    }
}

/// The input could not be read to its end (I/O error or corrupt compressed stream).
#[derive(Debug, thiserror::Error)]
#[error("read failed after line {line}: {source}")]
pub struct FrameError {
    pub line: u64,
    #[source]
    pub source: io::Error,
}

/// Chunk buffers handed back after parsing, so the next chunks reuse memory already faulted in
/// instead of asking the kernel for fresh zeroed pages every megabyte.
pub type BufferPool = std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>>;

/// Iterator of chunks over one input.
pub struct Framer {
    pool: BufferPool,
    reader: BufReader<Box<dyn Read + Send>>,
    framing: Framing,
    splitter: Splitter,
    line_no: u64,
    seq: u64,
    /// First line of the next chunk, already read.
    carry: Option<(Vec<u8>, LineRead)>,
    in_quote: bool,
    done: bool,
    /// A read error met after some records of a chunk: the chunk goes out first, then this.
    failed: Option<FrameError>,
}

#[derive(Debug, Clone, Copy)]
struct LineRead {
    /// The line was longer than the limit and only its start was kept.
    truncated: bool,
    quotes_odd: bool,
}

impl Framer {
    pub fn new(reader: Box<dyn Read + Send>, framing: Framing, splitter: Splitter) -> Self {
        Framer {
            pool: BufferPool::default(),
            reader: BufReader::with_capacity(256 << 10, reader),
            framing,
            splitter,
            line_no: 0,
            seq: 0,
            carry: None,
            in_quote: false,
            done: false,
            failed: None,
        }
    }

    /// The pool this framer takes chunk buffers from; return them with [`recycle`].
    pub fn pool(&self) -> BufferPool {
        self.pool.clone()
    }

    /// Lines read so far.
    pub fn lines(&self) -> u64 {
        self.line_no
    }

    /// Reads one line (without its terminator) into `buf`, keeping at most `keep` bytes.
    /// Ok(None) at end of input.
    fn read_line(&mut self, buf: &mut Vec<u8>, keep: usize) -> io::Result<Option<LineRead>> {
        let mut any = false;
        let mut kept = 0usize;
        let mut truncated = false;
        let mut quotes = 0usize;
        loop {
            let available = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                break;
            }
            any = true;
            let (take, found) = match memchr::memchr(b'\n', available) {
                Some(n) => (n, true),
                None => (available.len(), false),
            };
            let part = &available[..take];
            if self.framing == Framing::Csv {
                quotes += memchr::memchr_iter(b'"', part).count();
            }
            let room = keep.saturating_sub(kept);
            if part.len() > room {
                truncated = true;
            }
            let stored = part.len().min(room);
            buf.extend_from_slice(&part[..stored]);
            kept += stored;
            self.reader.consume(take + usize::from(found));
            if found {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        // Only this line's own carriage return: an empty line must not take the last byte of the
        // line before it.
        if kept > 0 && buf.last() == Some(&b'\r') && !truncated {
            buf.pop();
        }
        self.line_no += 1;
        Ok(Some(LineRead {
            truncated,
            quotes_odd: quotes % 2 == 1,
        }))
    }

    fn next_chunk(&mut self) -> Result<Option<Chunk>, FrameError> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        if self.done {
            return Ok(None);
        }
        let mut chunk = Chunk {
            seq: self.seq,
            data: Vec::with_capacity(CHUNK_BYTES + 4096),
            records: Vec::new(),
        };
        self.seq += 1;
        let mut pending = self.carry.take();
        loop {
            // The next line: carried over from the previous chunk, or read now.
            let (line_start, read) = match pending.take() {
                Some((bytes, read)) => {
                    let start = chunk.data.len();
                    chunk.data.extend_from_slice(&bytes);
                    (start, read)
                }
                None => {
                    let start = chunk.data.len();
                    // Whether the line continues the record before it is only known once it is
                    // read, so every line may use the whole limit; a continuation that makes its
                    // record too long is caught below. (Keeping only what the previous record
                    // left would cut a new record short after a long one.)
                    match self.read_line(&mut chunk.data, MAX_RECORD_BYTES) {
                        Ok(Some(read)) => (start, read),
                        Ok(None) => {
                            self.done = true;
                            break;
                        }
                        Err(source) => {
                            self.done = true;
                            let e = FrameError {
                                line: self.line_no,
                                source,
                            };
                            if chunk.records.is_empty() {
                                return Err(e);
                            }
                            // The complete lines before the failure are parsed and counted.
                            chunk.data.truncate(start);
                            self.failed = Some(e);
                            break;
                        }
                    }
                }
            };
            let line = &chunk.data[line_start..];
            let continues = match self.framing {
                Framing::Lines => false,
                Framing::Continued => !chunk.records.is_empty() && (self.splitter.continues)(line),
                Framing::Csv => self.in_quote && !chunk.records.is_empty(),
            };
            // A new record starts here: end the chunk first if it is full and may end here. Decided
            // before the line's quotes count, since a carried line is framed again next chunk.
            if !continues && line_start >= CHUNK_BYTES && !chunk.records.is_empty() && (self.splitter.can_split)(line) {
                let bytes = chunk.data.split_off(line_start);
                self.carry = Some((bytes, read));
                return Ok(Some(chunk));
            }
            if self.framing == Framing::Csv && read.quotes_odd {
                self.in_quote = !self.in_quote;
            }
            if continues {
                let rec = chunk.records.last_mut().expect("continues implies a record");
                rec.lines += 1;
                if read.truncated || chunk.data.len() - rec.start + 1 > MAX_RECORD_BYTES {
                    rec.problem = Some(RecordProblem::TooLong);
                }
                if rec.problem.is_some() {
                    // Keep counting lines of an oversized record, not its bytes.
                    chunk.data.truncate(rec.start);
                    rec.end = rec.start;
                    if self.in_quote && self.framing == Framing::Csv {
                        // Give up on a quote that never closes: resynchronise at the next line.
                        rec.problem = Some(RecordProblem::UnterminatedQuote);
                        self.in_quote = false;
                    }
                } else {
                    // The newline between the record's lines belongs to the record.
                    chunk.data.insert(line_start, b'\n');
                    rec.end = chunk.data.len();
                }
                continue;
            }
            let problem = read.truncated.then_some(RecordProblem::TooLong);
            if problem.is_some() {
                chunk.data.truncate(line_start);
            }
            chunk.records.push(Record {
                start: line_start,
                end: chunk.data.len(),
                line: self.line_no,
                lines: 1,
                problem,
            });
        }
        if self.in_quote
            && let Some(rec) = chunk.records.last_mut()
        {
            rec.problem = Some(RecordProblem::UnterminatedQuote);
        }
        Ok((!chunk.records.is_empty()).then_some(chunk))
    }
}

/// Gives a parsed chunk's buffer back to its framer's pool (a few are kept, the rest freed).
pub fn recycle(pool: &BufferPool, chunk: Chunk) {
    if let Ok(mut p) = pool.lock()
        && p.len() < 8
    {
        p.push(chunk.data);
    }
}

impl Iterator for Framer {
    type Item = Result<Chunk, FrameError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_chunk().transpose()
    }
}

/// A file read whole, for formats whose unit is the document (an OTLP/HTTP body, a tools/list
/// result): its first `max` bytes are kept, and lines are counted over all of it so the line
/// totals add up even when it is too big to keep.
pub struct Document {
    pub bytes: Vec<u8>,
    pub lines: u64,
    /// The file is longer than `max`; `bytes` holds only its start.
    pub too_big: bool,
    pub read_error: Option<String>,
}

pub fn read_document(mut reader: Box<dyn Read + Send>, max: usize) -> Document {
    let mut doc = Document {
        bytes: Vec::new(),
        lines: 0,
        too_big: false,
        read_error: None,
    };
    let mut buf = vec![0u8; 1 << 20];
    let mut last = None;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                doc.read_error = Some(format!("cannot read: {e}"));
                break;
            }
        };
        let block = &buf[..n];
        doc.lines += memchr::memchr_iter(b'\n', block).count() as u64;
        last = block.last().copied();
        let room = max.saturating_sub(doc.bytes.len());
        doc.bytes.extend_from_slice(&block[..room.min(n)]);
        doc.too_big |= n > room;
    }
    if last.is_some_and(|b| b != b'\n') {
        doc.lines += 1;
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(input: &str, framing: Framing) -> Vec<(u64, u32, String, Option<RecordProblem>)> {
        let reader: Box<dyn Read + Send> = Box::new(io::Cursor::new(input.as_bytes().to_vec()));
        let framer = Framer::new(reader, framing, Splitter::plain());
        let mut out = Vec::new();
        for chunk in framer {
            let chunk = chunk.unwrap();
            for r in &chunk.records {
                out.push((
                    r.line,
                    r.lines,
                    String::from_utf8_lossy(chunk.bytes(r)).into_owned(),
                    r.problem,
                ));
            }
        }
        out
    }

    #[test]
    fn a_document_counts_every_line_even_when_too_big() {
        let doc = read_document(Box::new(&b"a\nb\nc"[..]), 3);
        assert_eq!((doc.lines, doc.too_big, doc.bytes.as_slice()), (3, true, &b"a\nb"[..]));
        let doc = read_document(Box::new(&b"{}\n"[..]), 10);
        assert_eq!((doc.lines, doc.too_big), (1, false));
        assert_eq!(read_document(Box::new(&b""[..]), 10).lines, 0);
    }

    #[test]
    fn tab_continuations_join_their_record() {
        let r = frame("a\n\tb\n\tc\nd\r\n\te", Framing::Continued);
        assert_eq!(r[0], (1, 3, "a\n\tb\n\tc".into(), None));
        assert_eq!(r[1], (4, 2, "d\n\te".into(), None));
    }

    #[test]
    fn csv_quotes_span_lines() {
        let r = frame("1,\"a\nb\"\n2,\"x\"\"y\"\n3,\"open\nno close", Framing::Csv);
        assert_eq!(r[0], (1, 2, "1,\"a\nb\"".into(), None));
        assert_eq!(r[1], (3, 1, "2,\"x\"\"y\"".into(), None));
        assert_eq!(r[2].0, 4);
        assert_eq!(r[2].1, 2);
        assert_eq!(r[2].3, Some(RecordProblem::UnterminatedQuote));
    }

    #[test]
    fn counts_every_line_across_chunks() {
        let mut input = String::new();
        for i in 0..200_000 {
            input.push_str(&format!("line {i} with some padding to fill chunks\n"));
        }
        let r = frame(&input, Framing::Lines);
        assert_eq!(r.len(), 200_000);
        assert!(r.iter().enumerate().all(|(i, rec)| rec.0 == i as u64 + 1));
    }

    #[test]
    fn csv_records_straddling_chunk_boundaries_stay_whole() {
        let mut input = String::new();
        for i in 0..40_000 {
            input.push_str(&format!("{i},\"multi\nline \"\"quoted\"\" field padding padding\",x\n"));
        }
        let r = frame(&input, Framing::Csv);
        assert_eq!(r.len(), 40_000);
        for (i, rec) in r.iter().enumerate() {
            assert_eq!((rec.0, rec.1, rec.3), (2 * i as u64 + 1, 2, None));
            assert!(rec.2.starts_with(&format!("{i},\"multi\nline")), "{}", rec.2);
        }
    }

    /// An empty line after a line ending in two carriage returns took the earlier line's last
    /// byte and framed past the end of the buffer (found by fuzzing `ingest_otlp` and
    /// `ingest_mcp`).
    #[test]
    fn fuzz_ingest_otlp_an_empty_line_keeps_the_carriage_return_of_the_line_before() {
        for framing in [Framing::Lines, Framing::Continued, Framing::Csv] {
            let r = frame("a\r\r\n\nb\r\n\r\n\n", framing);
            assert_eq!(r[0].2, "a\r", "{framing:?}");
            assert!(r.iter().any(|x| x.2 == "b"), "{framing:?}: {r:?}");
        }
    }

    #[test]
    fn empty_input_has_no_records() {
        assert!(frame("", Framing::Lines).is_empty());
    }
}

//! One file through one format: the [`Format`] parses, the pipeline owns everything else.
//!
//! A format knows its tables and how its records become rows; it hands numbered chunk results
//! ([`ChunkOut`]) to [`Chunks`], parsing chunks in parallel where its records allow and the
//! pipeline lets it ([`Chunks::parse_all`]).
//! The pipeline decides where they go: into the case through the one [`Sink`] of the file
//! ([`ingest`]; a worker does not wait while another writes a chunk's Parquet, see `Handoff`),
//! or nowhere but a tally ([`in_memory`], what the fuzz targets run — no file is written, so a
//! parser is exercised thousands of times a second).
//!
//! In: a format, the decompressed file, its provenance. Out: a [`FileOutcome`] or a [`Tally`].

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use arrow_schema::SchemaRef;
use rayon::iter::{ParallelBridge, ParallelIterator};

use super::framing::{self, Chunk, Framer};
use super::sink::{ChunkOut, Sink};
use super::{FileContext, FileOutcome};
use crate::case::FileCounts;
use crate::table::declare::SourceFile;

/// Where a format's chunk results go, and whether its chunks may be parsed in parallel.
pub struct Chunks<'e> {
    emit: &'e (dyn Fn(ChunkOut) + Sync + 'e),
    parallel: bool,
}

impl Chunks<'_> {
    /// Hands one chunk's result on (from any thread; each chunk number once).
    pub fn emit(&self, out: ChunkOut) {
        (self.emit)(out)
    }

    /// Cuts the file into chunks with `framer` and parses them with `parse`, in parallel when
    /// the pipeline allows: the one way a format parallelises a file. Returns why reading
    /// stopped early, if it did.
    pub fn parse_all(&self, framer: Framer, parse: impl Fn(&Chunk) -> ChunkOut + Sync) -> Option<String> {
        if !self.parallel {
            for chunk in framer {
                match chunk {
                    Ok(chunk) => self.emit(parse(&chunk)),
                    Err(e) => return Some(e.to_string()),
                }
            }
            return None;
        }
        let pool = framer.pool();
        let frame_error: Mutex<Option<String>> = Mutex::new(None);
        framer.par_bridge().for_each(|chunk| match chunk {
            Ok(chunk) => {
                let out = parse(&chunk);
                framing::recycle(&pool, chunk);
                self.emit(out);
            }
            Err(e) => {
                frame_error
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get_or_insert(e.to_string());
            }
        });
        frame_error.into_inner().unwrap_or_else(|p| p.into_inner())
    }
}

/// One input format: the tables its rows go to, and how a file of it becomes rows.
pub trait Format: Sync {
    /// The tables (with their schemas) this format's rows go to.
    fn tables(&self) -> Vec<(&'static str, SchemaRef)>;

    /// Parses the decompressed file. Every line ends as part of a row, a counted other line, or
    /// a quarantine entry, in the [`ChunkOut`]s handed to `out` (numbered from 0, each number
    /// once, in any order). Returns why reading stopped early, if it did.
    fn parse(&self, reader: Box<dyn Read + Send>, source: &SourceFile, out: &Chunks<'_>) -> Option<String>;
}

/// Parses one file with `format` into the case: its Parquet parts under `table_root`, its
/// quarantine entries at `quarantine_path`.
pub fn ingest(
    format: &dyn Format,
    ctx: &FileContext,
    reader: Box<dyn Read + Send>,
    table_root: &Path,
    quarantine_path: PathBuf,
) -> FileOutcome {
    let sink = match Sink::new(ctx, table_root, &format.tables(), quarantine_path) {
        Ok(s) => Handoff::new(s),
        Err(e) => return FileOutcome::failed(e.to_string()),
    };
    let emit = |out| sink.hand(out);
    let read_error = format.parse(
        reader,
        &ctx.source,
        &Chunks {
            emit: &emit,
            parallel: true,
        },
    );
    sink.into_sink().finish(read_error)
}

/// Parsed chunks on their way to the one sink of a file, from every worker. A worker that finds
/// the sink busy (another is writing a chunk's Parquet) leaves its chunk queued and goes back to
/// parsing; whoever holds the sink writes what is queued before letting go. Only when
/// [`Handoff::QUEUED`] chunks wait does a worker wait for the sink too, so memory stays bounded
/// when writing is slower than parsing.
struct Handoff {
    queue: Mutex<Vec<ChunkOut>>,
    sink: Mutex<Sink>,
}

impl Handoff {
    /// Chunks queued before a worker waits for the sink instead of going back to parsing.
    const QUEUED: usize = 4;

    fn new(sink: Sink) -> Self {
        Handoff {
            queue: Mutex::new(Vec::new()),
            sink: Mutex::new(sink),
        }
    }

    fn hand(&self, out: ChunkOut) {
        let queued = {
            let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            q.push(out);
            q.len()
        };
        let mut sink = match self.sink.try_lock() {
            Ok(s) => s,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) if queued < Self::QUEUED => return,
            Err(std::sync::TryLockError::WouldBlock) => self.sink.lock().unwrap_or_else(|p| p.into_inner()),
        };
        loop {
            let batch = std::mem::take(&mut *self.queue.lock().unwrap_or_else(|p| p.into_inner()));
            if batch.is_empty() {
                return;
            }
            for out in batch {
                sink.accept(out);
            }
        }
    }

    /// The sink, once every worker is done, with what is still queued written.
    fn into_sink(self) -> Sink {
        let mut sink = self.sink.into_inner().unwrap_or_else(|p| p.into_inner());
        for out in self.queue.into_inner().unwrap_or_else(|p| p.into_inner()) {
            sink.accept(out);
        }
        sink
    }
}

/// What a format made of a file parsed in memory.
#[derive(Debug, Default)]
pub struct Tally {
    pub counts: FileCounts,
    pub rows: u64,
    pub quarantine_entries: u64,
    pub chunks: u64,
    /// A chunk that failed (a bug: a builder that could not finish).
    pub error: Option<String>,
    pub read_error: Option<String>,
}

/// Parses `bytes` with `format` in memory, on the calling thread, and keeps only the tally:
/// nothing is written, and no other thread is woken (a small input parsed thousands of times a
/// second would otherwise spend its time handing work to the pool).
pub fn in_memory(format: &dyn Format, bytes: Vec<u8>, source: &SourceFile) -> Tally {
    tally(format, bytes, source)
}

fn tally(format: &dyn Format, bytes: Vec<u8>, source: &SourceFile) -> Tally {
    let tally = Mutex::new(Tally::default());
    let reader: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(bytes));
    let emit = |out: ChunkOut| {
        let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
        t.counts.add(&out.counts);
        t.rows += out.batches.iter().map(|b| b.batch.num_rows() as u64).sum::<u64>();
        t.quarantine_entries += out.quarantine.len() as u64;
        t.chunks += 1;
        if let Some(e) = out.error {
            t.error.get_or_insert(e);
        }
    };
    let read_error = format.parse(
        reader,
        source,
        &Chunks {
            emit: &emit,
            parallel: false,
        },
    );
    let mut tally = tally.into_inner().unwrap_or_else(|p| p.into_inner());
    tally.read_error = read_error;
    tally
}

#[cfg(test)]
mod tests {
    use rayon::prelude::*;

    use super::*;
    use crate::table::db_events::{DbEvent, DbEventsBuilder, DbEventsView};

    /// Hands its chunks to the sink from every worker at once, each with rows numbered by chunk.
    struct ManyChunks(u64);

    const ROWS: u64 = 50;

    impl Format for ManyChunks {
        fn tables(&self) -> Vec<(&'static str, SchemaRef)> {
            vec![(DbEvent::TABLE, DbEvent::schema())]
        }

        fn parse(&self, _reader: Box<dyn Read + Send>, _source: &SourceFile, out: &Chunks<'_>) -> Option<String> {
            (0..self.0).into_par_iter().map(|n| self.0 - 1 - n).for_each(|seq| {
                let mut b = DbEventsBuilder::new();
                for i in 0..ROWS {
                    b.append(&DbEvent {
                        ts: Some(0),
                        source_line: seq * ROWS + i,
                        ..Default::default()
                    });
                }
                let mut chunk = ChunkOut::new(seq);
                chunk.counts.lines_read = ROWS;
                chunk.counts.row_lines = ROWS;
                chunk.batches.push(super::super::sink::TableBatch {
                    table: DbEvent::TABLE,
                    date: "1970-01-01".into(),
                    batch: b.finish().unwrap(),
                });
                out.emit(chunk);
            });
            None
        }
    }

    fn context() -> FileContext {
        FileContext {
            source: SourceFile {
                file: "f".into(),
                blake3: "0".repeat(64),
                labels: Default::default(),
            },
            tag: "0".repeat(16),
        }
    }

    #[test]
    fn every_chunk_handed_from_any_worker_is_written_once_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let chunks = 400;
        let outcome = ingest(
            &ManyChunks(chunks),
            &context(),
            Box::new(std::io::empty()),
            dir.path(),
            dir.path().join("q.jsonl"),
        );
        assert_eq!(
            (outcome.error.as_deref(), outcome.counts.lines_read),
            (None, chunks * ROWS)
        );
        assert_eq!(lines_of(&outcome), (0..chunks * ROWS).collect::<Vec<_>>());
    }

    /// A chunk handed while another worker holds the sink, after that worker's last look at the
    /// queue, is written when the sink is taken back.
    #[test]
    fn a_chunk_left_queued_is_written_at_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let sink = Sink::new(
            &context(),
            dir.path(),
            &ManyChunks(1).tables(),
            dir.path().join("q.jsonl"),
        )
        .unwrap();
        let handoff = Handoff::new(sink);
        let mut chunk = ChunkOut::new(0);
        chunk.counts.lines_read = 7;
        {
            let _busy = handoff.sink.lock().unwrap();
            handoff.hand(chunk);
        }
        let outcome = handoff.into_sink().finish(None);
        assert_eq!((outcome.error, outcome.counts.lines_read), (None, 7));
    }

    fn lines_of(outcome: &FileOutcome) -> Vec<u64> {
        let mut lines = Vec::new();
        for part in &outcome.parts {
            let file = std::fs::File::open(&part.path).unwrap();
            let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReader::try_new(file, 4096).unwrap();
            for batch in reader {
                let batch = batch.unwrap();
                let v = DbEventsView::of(&batch).unwrap();
                lines.extend((0..batch.num_rows()).map(|i| v.source_line.get(i)));
            }
        }
        lines
    }
}

//! One file through one format: the [`Format`] parses, the pipeline owns everything else.
//!
//! A format knows its tables and how its records become rows; it hands numbered chunk results
//! ([`ChunkOut`]) to [`Chunks`], parsing chunks in parallel where its records allow and the
//! pipeline lets it ([`Chunks::parse_all`]).
//! The pipeline decides where they go: into the case through the one [`Sink`] of the file
//! ([`ingest`]), or nowhere but a tally ([`in_memory`], what the fuzz targets run — no file is
//! written, so a parser is exercised thousands of times a second).
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
        Ok(s) => Mutex::new(s),
        Err(e) => return FileOutcome::failed(e.to_string()),
    };
    let emit = |out| sink.lock().unwrap_or_else(|p| p.into_inner()).accept(out);
    let read_error = format.parse(
        reader,
        &ctx.source,
        &Chunks {
            emit: &emit,
            parallel: true,
        },
    );
    sink.into_inner().unwrap_or_else(|p| p.into_inner()).finish(read_error)
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

//! Partitions: correlating a case larger than memory, one part at a time.
//!
//! Every rule of correlation needs only rows that share a key (docs/correlation.md,
//! "Partitions"), so a case that does not fit its memory budget is cut into parts that do,
//! correlated one after the other, and merged back into the one order actions and ledger have:
//! - a **trace part** (trace id hash mod K): the spans of its traces and their chains, the
//!   statements whose traceparent names one of those traces (one statement in several log
//!   formats carries one traceparent, so folding stays inside the part), and the database and
//!   network spans no statement of the part reached;
//! - a **time window** of the statements with no trace context: they need only the database
//!   spans that may overlap the window (the rule's slack is the halo), which the trace parts
//!   resolve and write to the `resolved_spans` work table per window; the rows of one statement
//!   share their millisecond, so folding stays inside the window;
//! - a **host part** (boot id hash mod H) of kernel events: a descriptor's opens and writes are
//!   of one host, and the tool-call spans that place them are resolved ones, from every trace.
//!
//! The facts every part needs are small and global: the policy, the tool claims, the process
//! lineages; the schema-qualified tables seen are collected by the parts and applied at the
//! merge, and a database span reached only by a window's time overlap is dropped from the
//! telemetry-only actions there.
//!
//! The parts read their rows from spill files this module writes (Arrow IPC streams, one per
//! part, rows in evidence order) under CASE/.correlate/, removed when the run ends. A case that
//! fits its budget is one part and spills nothing.
//!
//! In: the case's evidence, its manifest's row counts, a memory budget. Out: the [`Plan`] and
//! the spill files of each part.

use std::collections::HashMap;
use std::fs::{self, File};
use std::hash::BuildHasher;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{BooleanArray, RecordBatch};
use arrow_ipc::CompressionType;
use arrow_ipc::reader::StreamReader;
use arrow_ipc::writer::{IpcWriteOptions, StreamWriter};
use arrow_schema::{ArrowError, Field, Schema, SchemaRef};
use rayon::prelude::*;

use super::spans::parse_trace;
use crate::case::IngestManifest;

/// Memory a part's evidence row takes while it is correlated (its span or access, its action
/// row, their text), measured on the benchmark case (docs/benchmarks.md).
const BYTES_PER_ROW: u64 = 1024;
/// Memory a resolved database span takes in a time window, with its share of the batches it
/// is read from (measured at 10M events: docs/benchmarks.md).
const RESOLVED_BYTES: u64 = 640;
/// Memory that does not grow with a part: the program, the global facts, the merge's batches.
const BASE_BYTES: u64 = 256 << 20;
/// Rows per batch a run is read back in: the merge holds one per part.
pub const RUN_BATCH_ROWS: usize = 4096;

/// How many parts of each kind a case is cut into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Rows one part may hold within the budget.
    pub rows_per_part: u64,
    pub traces: usize,
    pub hosts: usize,
    /// Spans in the case: at most this many are resolved into the time windows.
    spans: u64,
    /// Kernel events in the case: without any, no tool-call span need be resolved.
    pub kernel_events: u64,
}

impl Plan {
    /// The parts the case of `manifest` needs under `budget` bytes (None: no limit).
    pub fn of(manifest: &IngestManifest, budget: Option<u64>) -> Plan {
        let rows = |table: &str| -> u64 {
            manifest
                .files
                .iter()
                .flat_map(|f| f.rows.iter())
                .filter(|(t, _)| t.as_str() == table)
                .map(|(_, n)| n)
                .sum()
        };
        Plan::for_rows(
            rows(crate::table::spans::SpanRow::TABLE),
            rows(crate::table::db_events::DbEvent::TABLE),
            rows(crate::table::kernel_events::KernelEventRow::TABLE),
            budget,
        )
    }

    /// The parts for `spans` spans, `statements` db_events rows and `kernel` kernel events.
    fn for_rows(spans: u64, statements: u64, kernel: u64, budget: Option<u64>) -> Plan {
        let rows_per_part = match budget {
            None => u64::MAX,
            Some(b) => (b.saturating_sub(BASE_BYTES) / BYTES_PER_ROW).max(1),
        };
        let traced = spans + statements;
        let (traces, hosts) = if traced + kernel <= rows_per_part {
            (1, 1)
        } else {
            (parts(traced, rows_per_part).max(2), parts(kernel, rows_per_part))
        };
        Plan {
            rows_per_part,
            traces,
            hosts,
            spans,
            kernel_events: kernel,
        }
    }

    /// The whole case is one part: nothing is spilled.
    pub fn is_single(&self) -> bool {
        self.traces == 1 && self.hosts == 1
    }

    /// Time windows for `rows` statements with no trace context: each holds its share of them
    /// and of the resolved database spans that may overlap them.
    pub fn windows(&self, rows: u64) -> usize {
        if rows == 0 {
            return 1;
        }
        parts(rows + self.spans * RESOLVED_BYTES / BYTES_PER_ROW, self.rows_per_part)
    }
}

fn parts(rows: u64, per_part: u64) -> usize {
    usize::try_from(rows.div_ceil(per_part)).unwrap_or(usize::MAX).max(1)
}

/// Which part a row goes to, by a hash keyed afresh for every run. Trace ids and boot ids come
/// from the estate's clients and recorders: with a known hash, someone who writes them could
/// send every row to one part and past the budget. The parts' output does not depend on which
/// part a row went to (the merge restores one order), so a random key changes nothing else.
#[derive(Default)]
pub struct Router(std::hash::RandomState);

impl Router {
    /// The trace part of a row whose trace id column says `trace`, of `n`. The id is hashed as
    /// parsed, so its spellings (upper or lower case) go together; an id that does not parse
    /// names no span and goes wherever its text hashes.
    pub fn trace_part(&self, trace: &str, n: usize) -> usize {
        let h = match parse_trace(trace) {
            Some(t) => self.0.hash_one(t),
            None => self.0.hash_one(trace),
        };
        (h % n as u64) as usize
    }

    /// The host part of a boot id, of `n`.
    pub fn host_part(&self, boot_id: &str, n: usize) -> usize {
        (self.0.hash_one(boot_id) % n as u64) as usize
    }
}

/// How many parts of each kind a run was cut into (the summary's `parts`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    pub traces: usize,
    pub windows: usize,
    pub hosts: usize,
}

/// The time windows of the statements with no trace context: `count` windows of whole
/// milliseconds from `first` to `last` (so the rows of one statement, which share their
/// millisecond, share a window).
#[derive(Debug, Clone, Copy)]
pub struct Windows {
    pub first_ms: i64,
    pub last_ms: i64,
    pub count: usize,
}

impl Windows {
    /// The window of a statement logged at `ts_us` (none: the first; it overlaps nothing).
    pub fn of(&self, ts_us: Option<i64>) -> usize {
        let Some(ms) = ts_us.map(|t| t.div_euclid(1000)) else {
            return 0;
        };
        let span = (self.last_ms - self.first_ms) as i128 + 1;
        let at = (ms.clamp(self.first_ms, self.last_ms) - self.first_ms) as i128;
        ((at * self.count as i128) / span) as usize
    }

    /// The time range of window `w`, in nanoseconds, inclusive.
    pub fn range_ns(&self, w: usize) -> (i64, i64) {
        let span = (self.last_ms - self.first_ms) as i128 + 1;
        let (n, w) = (self.count as i128, w as i128);
        // The first millisecond m with m * n / span >= w, and the last with < w + 1.
        let ceil = |a: i128| (a + n - 1) / n;
        let lo = self.first_ms as i128 + ceil(w * span);
        let hi = self.first_ms as i128 + ceil((w + 1) * span) - 1;
        let ns = |ms: i128| i64::try_from(ms * 1_000_000).unwrap_or(i64::MAX);
        (ns(lo), ns(hi).saturating_add(999_999))
    }
}

/// Why a spill file could not be written or read back.
#[derive(Debug, thiserror::Error)]
pub enum SpillError {
    #[error("cannot use the spill file {}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("cannot encode or decode the spill file {}: {source}", path.display())]
    Arrow { path: PathBuf, source: ArrowError },
}

/// Spill files of one run, under CASE/.correlate/: Arrow IPC streams, zstd-compressed at its
/// fastest level (written once, read back once, soon). Removed when dropped, and at the start of
/// a run (a crashed run leaves them behind).
pub struct Spill {
    dir: PathBuf,
}

impl Spill {
    pub fn new(case_root: &Path) -> Result<Spill, SpillError> {
        let dir = case_root.join(".correlate");
        let io = |source| SpillError::Io {
            path: dir.clone(),
            source,
        };
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(io)?;
        }
        fs::create_dir_all(&dir).map_err(io)?;
        Ok(Spill { dir })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.arrows"))
    }

    /// Writers for `n` files `name-0` ….
    pub fn writers(&self, name: &str, n: usize) -> Vec<SpillWriter> {
        (0..n)
            .map(|i| SpillWriter {
                path: self.path(&format!("{name}-{i}")),
                writer: None,
                rows: 0,
            })
            .collect()
    }

    /// The batches of the spill file `name`, decoded as they are taken (none when nothing was
    /// written to it).
    pub fn batches(&self, name: &str) -> Result<SpillBatches, SpillError> {
        let path = self.path(name);
        let reader = match File::open(&path) {
            Ok(f) => Some(
                StreamReader::try_new(BufReader::new(f), None).map_err(|source| SpillError::Arrow {
                    path: path.clone(),
                    source,
                })?,
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => return Err(SpillError::Io { path, source }),
        };
        Ok(SpillBatches { path, reader })
    }

    /// What `each` makes of every batch of the spill file `name`, in order: batches are decoded
    /// one after the other and handed to `each` on any core as they come.
    pub fn map<T: Send, E: From<SpillError> + Send>(
        &self,
        name: &str,
        each: impl Fn(&RecordBatch) -> Result<T, E> + Sync,
    ) -> Result<Vec<T>, E> {
        let mut made: Vec<(usize, Result<T, E>)> = self
            .batches(name)?
            .enumerate()
            .par_bridge()
            .map(|(i, batch)| (i, batch.map_err(E::from).and_then(|b| each(&b))))
            .collect();
        made.sort_unstable_by_key(|(i, _)| *i);
        made.into_iter().map(|(_, m)| m).collect()
    }
}

impl Drop for Spill {
    fn drop(&mut self) {
        // Best effort: a file left behind is removed by the next run.
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The batches of one spill file.
pub struct SpillBatches {
    path: PathBuf,
    reader: Option<StreamReader<BufReader<File>>>,
}

impl Iterator for SpillBatches {
    type Item = Result<RecordBatch, SpillError>;

    fn next(&mut self) -> Option<Self::Item> {
        let batch = self.reader.as_mut()?.next()?;
        Some(batch.map_err(|source| SpillError::Arrow {
            path: self.path.clone(),
            source,
        }))
    }
}

/// One spill file, created when its first row comes, with that row's columns (without the
/// descriptions, which differ between the agaudit versions that wrote a case's parts).
pub struct SpillWriter {
    path: PathBuf,
    writer: Option<(StreamWriter<BufWriter<File>>, SchemaRef)>,
    pub rows: u64,
}

impl SpillWriter {
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), SpillError> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let arrow = |source| SpillError::Arrow {
            path: self.path.clone(),
            source,
        };
        if self.writer.is_none() {
            let file = File::create(&self.path).map_err(|source| SpillError::Io {
                path: self.path.clone(),
                source,
            })?;
            let fields: Vec<Field> = batch
                .schema()
                .fields()
                .iter()
                .map(|f| f.as_ref().clone().with_metadata(HashMap::new()))
                .collect();
            let schema = Arc::new(Schema::new(fields));
            // zstd at its fastest: spans repeat their file, blake3 and resource attributes row
            // after row, which Arrow holds uncompressed (a span is about 1 KB in memory).
            let options = IpcWriteOptions::default()
                .try_with_compression(Some(CompressionType::ZSTD))
                .and_then(|o| o.try_with_compression_level(Some(1)))
                .map_err(arrow)?;
            let writer = StreamWriter::try_new_with_options(BufWriter::with_capacity(1 << 20, file), &schema, options)
                .map_err(arrow)?;
            self.writer = Some((writer, schema));
        }
        if let Some((w, schema)) = self.writer.as_mut() {
            let same = RecordBatch::try_new(schema.clone(), batch.columns().to_vec()).map_err(arrow)?;
            w.write(&same).map_err(arrow)?;
        }
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Writes each row of `batch` to the writer of its part (`part_of` the row; none: to none),
    /// rows of a part in the batch's order.
    pub fn route(
        writers: &mut [SpillWriter],
        batch: &RecordBatch,
        part_of: impl Fn(usize) -> Option<usize>,
    ) -> Result<(), SpillError> {
        let parts: Vec<Option<usize>> = (0..batch.num_rows()).map(part_of).collect();
        for (p, w) in writers.iter_mut().enumerate() {
            let mask = BooleanArray::from_iter(parts.iter().map(|&q| Some(q == Some(p))));
            match mask.true_count() {
                0 => continue,
                n if n == batch.num_rows() => w.write(batch)?,
                _ => {
                    let rows = arrow_select::filter::filter_record_batch(batch, &mask).map_err(|source| {
                        SpillError::Arrow {
                            path: w.path.clone(),
                            source,
                        }
                    })?;
                    w.write(&rows)?;
                }
            }
        }
        Ok(())
    }

    pub fn finish(self) -> Result<(), SpillError> {
        if let Some((mut w, _)) = self.writer {
            w.finish().map_err(|source| SpillError::Arrow {
                path: self.path.clone(),
                source,
            })?;
            let file = w.into_inner().map_err(|source| SpillError::Arrow {
                path: self.path.clone(),
                source,
            })?;
            file.into_inner().map_err(|e| SpillError::Io {
                path: self.path.clone(),
                source: e.into_error(),
            })?;
        }
        Ok(())
    }
}

/// Finishes every writer of `writers`.
pub fn finish_all(writers: Vec<SpillWriter>) -> Result<(), SpillError> {
    writers.into_iter().try_for_each(SpillWriter::finish)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_the_range_in_whole_milliseconds_and_say_their_own_range() {
        let w = Windows {
            first_ms: 1_000,
            last_ms: 1_009,
            count: 3,
        };
        let of: Vec<usize> = (1_000..=1_009).map(|ms| w.of(Some(ms * 1000 + 999))).collect();
        assert_eq!(of, [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]);
        assert_eq!(
            w.of(Some(1_003_000)),
            w.of(Some(1_003_999)),
            "one millisecond, one window"
        );
        assert_eq!(w.of(None), 0);
        for ms in 1_000..=1_009i64 {
            let (lo, hi) = w.range_ns(w.of(Some(ms * 1000)));
            assert!(
                lo <= ms * 1_000_000 && ms * 1_000_000 + 999_999 <= hi,
                "{ms} in its window"
            );
        }
        assert_eq!(w.range_ns(0).0, 1_000_000_000);
        assert_eq!(w.range_ns(2).1, 1_009_999_999);
        assert_eq!(w.range_ns(0).1 + 1, w.range_ns(1).0, "windows meet");
        let far = Windows {
            first_ms: i64::MAX / 1_000_000 - 5,
            last_ms: i64::MAX / 1_000,
            count: 2,
        };
        assert_eq!(far.range_ns(1).1, i64::MAX, "times past what nanoseconds hold saturate");
    }

    #[test]
    fn a_trace_goes_to_one_part_however_its_id_is_spelled_and_parts_fill_evenly() {
        let router = Router::default();
        let id = "0af7651916cd43dd8448eb211c80319c";
        assert_eq!(router.trace_part(id, 7), router.trace_part(&id.to_uppercase(), 7));
        let mut counts = [0u32; 4];
        for i in 0..4000u32 {
            counts[router.trace_part(&format!("{:032x}", u128::from(i) << 64), 4)] += 1;
        }
        // Ids that differ only in their high bits spread evenly.
        assert!(counts.iter().all(|&c| c > 800), "{counts:?}");
    }

    #[test]
    fn a_case_within_its_budget_is_one_part() {
        assert!(Plan::for_rows(3_000, 1_000, 0, None).is_single());
        assert!(Plan::for_rows(3_000, 1_000, 0, Some(BASE_BYTES + 4_000 * BYTES_PER_ROW)).is_single());
        let cut = Plan::for_rows(3_000, 1_000, 0, Some(BASE_BYTES + 1_000 * BYTES_PER_ROW));
        // 2,500 statements and their share of 3,000 resolved spans at 640 bytes each.
        assert_eq!((cut.traces, cut.hosts, cut.windows(2_500)), (4, 1, 5));
        assert_eq!(cut.windows(0), 1, "no statement, no window to fill");
    }
}

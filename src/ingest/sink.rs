//! The ordered sink every parser feeds: restores file order, writes Parquet and quarantine.
//!
//! Parsers turn chunks of one file into [`ChunkOut`]s in parallel (rows already redacted and
//! built into Arrow batches per table and date partition). Chunks finish out of order; the sink
//! takes them back in sequence so parts, quarantine entries and counts are deterministic, and it
//! is the only place that touches the case directory for that file.
//!
//! In: [`ChunkOut`]s of one file. Out: a [`FileOutcome`] (parts, quarantine file, counts).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

use crate::case::FileCounts;
use crate::ingest::framing::{Chunk, MAX_RECORD_BYTES, RecordProblem};
use crate::ingest::{FileContext, FileOutcome};
use crate::redact::{self, RuleCounts};
use crate::table::declare::RowsBuilder;
use crate::table::writer::{PartitionedWriter, WriteError, date_partition};

/// Why a file's parts or quarantine could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("cannot write {}: {source}", path.display())]
    Quarantine { path: PathBuf, source: std::io::Error },
    #[error("internal error: no writer for table {0}")]
    NoWriter(&'static str),
    /// A chunk that could not be built (a bug), as the chunk reported it.
    #[error("{0}")]
    Chunk(String),
}

/// Rows of one table and date partition, from one chunk.
pub struct TableBatch {
    pub table: &'static str,
    pub date: String,
    pub batch: RecordBatch,
}

/// A quarantined record: where it is, why, and its shape (never its text).
pub struct Quarantined {
    pub line: u64,
    pub lines: u32,
    pub reason: String,
    pub excerpt: String,
}

/// One parsed chunk.
pub struct ChunkOut {
    pub seq: u64,
    pub batches: Vec<TableBatch>,
    pub counts: FileCounts,
    pub quarantine: Vec<Quarantined>,
    pub redactions: RuleCounts,
    /// A bug surfaced while building this chunk's batches: the file fails, nothing is kept.
    pub error: Option<String>,
    /// Reading on would mean guessing (an ambiguous time zone): the file is held, nothing kept.
    pub held: Option<String>,
}

impl ChunkOut {
    pub fn new(seq: u64) -> Self {
        ChunkOut {
            seq,
            batches: Vec::new(),
            counts: FileCounts::default(),
            quarantine: Vec::new(),
            redactions: RuleCounts::new(),
            error: None,
            held: None,
        }
    }

    /// Holds the whole file: lines `line..line+lines` are counted as quarantined, and the first
    /// reason is kept for the file.
    pub fn hold(&mut self, line: u64, lines: u32, reason: &str) {
        self.counts.quarantined_lines += u64::from(lines);
        if self.held.is_none() {
            let reason = redact::redactor().text(reason, &mut self.redactions).into_owned();
            self.held = Some(format!("line {line}: {reason}"));
        }
    }

    /// The batches of one table's date partitions, and what redacting them removed; a builder
    /// that cannot finish is a bug, and fails the file (the line counts stay honest).
    pub fn add_partitions<B: RowsBuilder>(&mut self, table: &'static str, parts: DatePartitions<B>) {
        for (date, mut b) in parts.builders {
            for (rule, n) in b.take_redactions() {
                *self.redactions.entry(rule).or_insert(0) += n;
            }
            match b.finish() {
                Ok(batch) => self.batches.push(TableBatch { table, date, batch }),
                Err(e) => self.error = Some(format!("internal error building {table}: {e}")),
            }
        }
    }

    /// Quarantines lines `line..line+lines`, whose raw text starts with `raw`, with `reason`.
    /// Only the first line's shape is kept, never its text; the secret scan over the reason is
    /// a second net (reasons quote input only as its shape).
    pub fn quarantine(&mut self, raw: &[u8], line: u64, lines: u32, reason: &str) {
        let end = memchr::memchr(b'\n', raw).unwrap_or(raw.len()).min(400);
        let first = String::from_utf8_lossy(&raw[..end]);
        self.counts.quarantined_lines += u64::from(lines);
        self.quarantine.push(Quarantined {
            line,
            lines,
            reason: redact::redactor().text(reason, &mut self.redactions).into_owned(),
            excerpt: redact::shape(&first, 160),
        });
    }
}

/// The raw bytes of the record of `chunk` that holds `line` (empty when none does).
pub fn record_at(chunk: &Chunk, line: u64) -> &[u8] {
    chunk
        .records
        .iter()
        .find(|r| r.line <= line && line < r.line + u64::from(r.lines))
        .map_or(&[], |r| chunk.bytes(r))
}

/// Why the framer could not deliver a record whole.
pub fn problem_reason(problem: RecordProblem) -> String {
    match problem {
        RecordProblem::TooLong => format!(
            "record longer than the {} MiB limit (agaudit keeps records up to that size)",
            MAX_RECORD_BYTES >> 20
        ),
        RecordProblem::UnterminatedQuote => "unterminated quoted CSV field: the record never closes its quote".into(),
    }
}

/// Batches rows per date partition inside one chunk; logs are in time order, so the date is
/// formatted only when the day changes.
pub struct DatePartitions<B> {
    day: Option<i64>,
    text: String,
    pub builders: BTreeMap<String, B>,
}

impl<B> Default for DatePartitions<B> {
    fn default() -> Self {
        DatePartitions {
            day: None,
            text: String::new(),
            builders: BTreeMap::new(),
        }
    }
}

impl<B> DatePartitions<B> {
    /// The builder for the day of `ts_micros` (microseconds since the epoch, UTC).
    pub fn for_micros(&mut self, ts_micros: Option<i64>, new: impl FnOnce() -> B) -> &mut B {
        let day = ts_micros.map(|t| t.div_euclid(86_400_000_000));
        if day != self.day || self.text.is_empty() {
            self.day = day;
            self.text = date_partition(ts_micros);
        }
        if !self.builders.contains_key(&self.text) {
            self.builders.insert(self.text.clone(), new());
        }
        self.builders.get_mut(&self.text).expect("inserted above")
    }
}

/// Quarantine entries written per file; past this, lines are still counted, per reason.
pub const QUARANTINE_ENTRIES: u64 = 1000;

/// A reason without its particulars (quoted shapes, numbers), so that lines quarantined for the
/// same reason are counted together once the entries stop.
fn reason_class(reason: &str) -> String {
    let mut out = String::with_capacity(reason.len());
    let mut quoted = false;
    let mut last_digit = false;
    for c in reason.chars() {
        match c {
            '\'' => {
                if !quoted {
                    out.push_str("'…'");
                }
                quoted = !quoted;
            }
            _ if quoted => {}
            '0'..='9' => {
                if !last_digit {
                    out.push('N');
                }
                last_digit = true;
                continue;
            }
            c => out.push(c),
        }
        last_digit = false;
    }
    out
}

/// Restores file order and writes each table's batches and the quarantine.
pub struct Sink {
    next_seq: u64,
    pending: BTreeMap<u64, ChunkOut>,
    writers: BTreeMap<&'static str, PartitionedWriter>,
    quarantine_path: PathBuf,
    quarantine: Option<BufWriter<File>>,
    source_file: String,
    counts: FileCounts,
    rows: BTreeMap<&'static str, u64>,
    redactions: RuleCounts,
    error: Option<String>,
    held: Option<String>,
    /// Quarantine entries written so far, and the lines quarantined after the last entry, per
    /// reason.
    entries: u64,
    beyond: BTreeMap<String, (u64, u64)>,
}

impl Sink {
    /// A sink for one file whose rows go to `tables`. Every table's stale parts for this file
    /// are removed now, so a re-run never leaves rows an earlier run wrote.
    pub fn new(
        ctx: &FileContext,
        table_root: &Path,
        tables: &[(&'static str, SchemaRef)],
        quarantine_path: PathBuf,
    ) -> Result<Sink, WriteError> {
        let mut writers = BTreeMap::new();
        for (table, schema) in tables {
            let metadata = vec![
                ("agaudit.table".to_string(), table.to_string()),
                ("agaudit.source_blake3".to_string(), ctx.source.blake3.clone()),
            ];
            let w = PartitionedWriter::new(&table_root.join(table), &ctx.tag, schema.clone(), metadata)?;
            writers.insert(*table, w);
        }
        let _ = std::fs::remove_file(&quarantine_path);
        Ok(Sink {
            next_seq: 0,
            pending: BTreeMap::new(),
            writers,
            quarantine_path,
            quarantine: None,
            source_file: ctx.source.file.clone(),
            counts: FileCounts::default(),
            rows: BTreeMap::new(),
            redactions: RuleCounts::new(),
            error: None,
            held: None,
            entries: 0,
            beyond: BTreeMap::new(),
        })
    }

    pub fn accept(&mut self, out: ChunkOut) {
        self.pending.insert(out.seq, out);
        while let Some(out) = self.pending.remove(&self.next_seq) {
            self.next_seq += 1;
            if let Err(e) = self.absorb(out) {
                self.error.get_or_insert(e.to_string());
            }
        }
    }

    fn absorb(&mut self, out: ChunkOut) -> Result<(), SinkError> {
        if let Some(e) = out.error {
            return Err(SinkError::Chunk(e));
        }
        if self.held.is_none() {
            self.held = out.held;
        }
        self.counts.add(&out.counts);
        for (k, v) in out.redactions {
            *self.redactions.entry(k).or_insert(0) += v;
        }
        for q in &out.quarantine {
            self.write_quarantine(q)?;
        }
        for tb in out.batches {
            *self.rows.entry(tb.table).or_insert(0) += tb.batch.num_rows() as u64;
            let w = self.writers.get_mut(tb.table).ok_or(SinkError::NoWriter(tb.table))?;
            w.write(&tb.date, &tb.batch)?;
        }
        Ok(())
    }

    fn write_quarantine(&mut self, q: &Quarantined) -> Result<(), SinkError> {
        if self.entries >= QUARANTINE_ENTRIES {
            let e = self.beyond.entry(reason_class(&q.reason)).or_insert((0, q.line));
            e.0 += u64::from(q.lines);
            return Ok(());
        }
        self.entries += 1;
        self.open_quarantine()?;
        let entry = serde_json::json!({
            "file": self.source_file, "line": q.line, "lines": q.lines, "reason": q.reason, "excerpt": q.excerpt,
        });
        let w = self.quarantine.as_mut().expect("opened above");
        writeln!(w, "{entry}").map_err(|e| self.quarantine_error(e))
    }

    fn quarantine_error(&self, source: std::io::Error) -> SinkError {
        SinkError::Quarantine {
            path: self.quarantine_path.clone(),
            source,
        }
    }

    fn open_quarantine(&mut self) -> Result<(), SinkError> {
        if self.quarantine.is_none() {
            let f = File::create(&self.quarantine_path).map_err(|e| self.quarantine_error(e))?;
            self.quarantine = Some(BufWriter::new(f));
        }
        Ok(())
    }

    /// After the first [`QUARANTINE_ENTRIES`] entries: one entry per reason with its count.
    fn write_beyond(&mut self) -> Result<(), SinkError> {
        for (reason, (lines, first)) in std::mem::take(&mut self.beyond) {
            let entry = serde_json::json!({
                "file": self.source_file, "first_line": first, "lines": lines, "reason": reason,
                "note": format!("quarantined after the first {QUARANTINE_ENTRIES} entries: counted, not listed"),
            });
            let w = self.quarantine.as_mut().expect("entries were written before");
            if let Err(e) = writeln!(w, "{entry}") {
                return Err(self.quarantine_error(e));
            }
        }
        Ok(())
    }

    /// A held file keeps nothing: its lines are counted as quarantined, with one entry saying why.
    fn write_held(&mut self, reason: &str) -> Result<(), SinkError> {
        self.quarantine = None;
        let f = File::create(&self.quarantine_path).map_err(|e| self.quarantine_error(e))?;
        let mut w = BufWriter::new(f);
        let entry = serde_json::json!({
            "file": self.source_file, "line": 1, "lines": self.counts.lines_read,
            "reason": format!("file held, nothing kept: {reason}"),
        });
        writeln!(w, "{entry}")
            .and_then(|_| w.flush())
            .map_err(|e| self.quarantine_error(e))
    }

    /// Closes the parts (or removes them all when writing failed) and says what was kept.
    /// `read_error`: reading stopped early; what was read before is kept.
    pub fn finish(mut self, read_error: Option<String>) -> FileOutcome {
        if !self.pending.is_empty() && self.error.is_none() {
            self.error = Some(format!(
                "internal error: {} parsed chunks never reached the sink in order",
                self.pending.len()
            ));
        }
        if !self.beyond.is_empty()
            && let Err(e) = self.write_beyond()
        {
            self.error.get_or_insert(e.to_string());
        }
        if let Some(mut q) = self.quarantine.take()
            && let Err(e) = q.flush()
        {
            let e = self.quarantine_error(e);
            self.error.get_or_insert(e.to_string());
        }
        if let Some(reason) = self.held.clone()
            && self.error.is_none()
        {
            if let Err(e) = self.write_held(&reason) {
                self.error = Some(e.to_string());
            }
            let lines = self.counts.lines_read;
            self.counts = FileCounts {
                lines_read: lines,
                quarantined_lines: lines,
                ..FileCounts::default()
            };
        }
        let mut outcome = FileOutcome {
            counts: self.counts.clone(),
            rows: self.rows.clone(),
            redactions: self.redactions.clone(),
            parts: Vec::new(),
            quarantine: (self.counts.quarantined_lines > 0).then(|| self.quarantine_path.clone()),
            error: self.error.clone(),
            held: self.held.clone(),
            read_error,
        };
        let writers = std::mem::take(&mut self.writers);
        if outcome.error.is_some() || outcome.held.is_some() {
            for (_, w) in writers {
                let _ = w.abort();
            }
            outcome.rows.clear();
            return outcome;
        }
        for (_, w) in writers {
            match w.finish() {
                Ok(parts) => outcome.parts.extend(parts),
                Err(e) => {
                    outcome.error.get_or_insert(e.to_string());
                }
            }
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_counted_without_their_particulars() {
        assert_eq!(
            reason_class("line does not match --pg-prefix '%m [%p] ': expected '[' , found 'aaa 99'"),
            "line does not match --pg-prefix '…': expected '…' , found '…'"
        );
        assert_eq!(
            reason_class("invalid UTF-8 at line 12, column 7"),
            "invalid UTF-N at line N, column N"
        );
    }
}

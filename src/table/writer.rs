//! Partitioned Parquet writing for one input file's rows of one table.
//!
//! Rows go to CASE/parquet/<table>/date=YYYY-MM-DD/part-<tag>.parquet, where <tag> is the first
//! 16 hex digits of the raw file's blake3: one part per raw file and day, so re-ingesting a file
//! after an interruption replaces its parts instead of adding to them. Parts are written under a
//! `.tmp` name and renamed only when complete; stale parts of the same tag are removed first.
//! Row groups are bounded (memory stays flat whatever the input size) and zstd-compressed.
//!
//! In: record batches with a partition key. Out: complete part files and their row counts.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::{Schema, SchemaRef};
use parquet::arrow::{ArrowSchemaConverter, ArrowWriter};
use parquet::basic::{Compression, Type as PhysicalType, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};

/// Partition value for rows without a timestamp (the hive convention).
pub const NO_DATE: &str = "__HIVE_DEFAULT_PARTITION__";
const ROW_GROUP_ROWS: usize = 128 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot write {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("cannot encode Parquet {path}: {source}")]
    Parquet { path: PathBuf, source: ParquetError },
}

struct Part {
    /// None once sealed: the file is complete under its `.tmp` name.
    writer: Option<ArrowWriter<File>>,
    tmp: PathBuf,
    path: PathBuf,
    rows: u64,
}

pub struct PartitionedWriter {
    table_dir: PathBuf,
    tag: String,
    schema: SchemaRef,
    metadata: Vec<KeyValue>,
    parts: BTreeMap<String, Part>,
}

/// A written part: its path and row count.
#[derive(Debug, Clone)]
pub struct WrittenPart {
    pub path: PathBuf,
    pub rows: u64,
}

/// How every Parquet file agaudit writes is encoded (zstd level 1, bounded row groups, the
/// writer's version and `metadata` in the footer). Text columns carry no min/max statistics:
/// nothing in agaudit reads them, in time-ordered rows a text column spans nearly its whole range
/// in every row group so no reader could skip one by them, and computing them cost 4 % of a
/// csvlog ingest's instructions (docs/benchmarks.md). Numbers and times keep theirs.
pub fn properties(schema: &Schema, metadata: Vec<KeyValue>) -> WriterProperties {
    let mut props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).unwrap_or_default()))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_created_by(format!("agaudit {}", env!("CARGO_PKG_VERSION")))
        .set_key_value_metadata(Some(metadata));
    // Every leaf column of text, map keys and values included; a schema that cannot convert
    // fails where the writer is made, with its own error.
    if let Ok(leaves) = ArrowSchemaConverter::new().convert(schema) {
        for leaf in leaves.columns() {
            if leaf.physical_type() == PhysicalType::BYTE_ARRAY {
                props = props.set_column_statistics_enabled(leaf.path().clone(), EnabledStatistics::None);
            }
        }
    }
    props.build()
}

/// The `date=` partition of a timestamp in microseconds.
pub fn date_partition(ts_micros: Option<i64>) -> String {
    match ts_micros.and_then(chrono::DateTime::from_timestamp_micros) {
        Some(t) => t.format("%Y-%m-%d").to_string(),
        None => NO_DATE.to_string(),
    }
}

impl PartitionedWriter {
    /// Prepares writing `table_dir` parts tagged `tag`, removing stale parts with that tag.
    pub fn new(
        table_dir: &Path,
        tag: &str,
        schema: SchemaRef,
        metadata: Vec<(String, String)>,
    ) -> Result<Self, WriteError> {
        remove_parts(table_dir, tag)?;
        Ok(PartitionedWriter {
            table_dir: table_dir.to_path_buf(),
            tag: tag.to_string(),
            schema,
            metadata: metadata.into_iter().map(|(k, v)| KeyValue::new(k, v)).collect(),
            parts: BTreeMap::new(),
        })
    }

    pub fn write(&mut self, date: &str, batch: &RecordBatch) -> Result<(), WriteError> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        if !self.parts.contains_key(date) {
            let dir = self.table_dir.join(format!("date={date}"));
            fs::create_dir_all(&dir).map_err(|source| WriteError::Io {
                path: dir.clone(),
                source,
            })?;
            let path = dir.join(format!("part-{}.parquet", self.tag));
            let tmp = dir.join(format!("part-{}.parquet.tmp", self.tag));
            let file = File::create(&tmp).map_err(|source| WriteError::Io {
                path: tmp.clone(),
                source,
            })?;
            let props = properties(&self.schema, self.metadata.clone());
            let writer =
                ArrowWriter::try_new(file, self.schema.clone(), Some(props)).map_err(|source| WriteError::Parquet {
                    path: tmp.clone(),
                    source,
                })?;
            self.parts.insert(
                date.to_string(),
                Part {
                    writer: Some(writer),
                    tmp,
                    path,
                    rows: 0,
                },
            );
        }
        let part = self.parts.get_mut(date).expect("inserted above");
        let Some(writer) = part.writer.as_mut() else {
            return Err(WriteError::Io {
                path: part.tmp.clone(),
                source: std::io::Error::other(format!("partition date={date} was sealed; its rows must come together")),
            });
        };
        writer.write(batch).map_err(|source| WriteError::Parquet {
            path: part.tmp.clone(),
            source,
        })?;
        part.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Completes the part of `date` (its last row group and footer written, its buffers freed),
    /// for a writer whose rows come date after date; [`finish`](Self::finish) still moves it to
    /// its final name, with the others.
    pub fn seal(&mut self, date: &str) -> Result<(), WriteError> {
        let Some(part) = self.parts.get_mut(date) else {
            return Ok(());
        };
        if let Some(writer) = part.writer.take() {
            Self::complete(writer, &part.tmp)?;
        }
        Ok(())
    }

    fn complete(writer: ArrowWriter<File>, tmp: &Path) -> Result<(), WriteError> {
        let file = writer.into_inner().map_err(|source| WriteError::Parquet {
            path: tmp.to_path_buf(),
            source,
        })?;
        file.sync_all().map_err(|source| WriteError::Io {
            path: tmp.to_path_buf(),
            source,
        })
    }

    /// Closes every part and moves it to its final name.
    pub fn finish(self) -> Result<Vec<WrittenPart>, WriteError> {
        let mut written = Vec::new();
        for (_, part) in self.parts {
            if let Some(writer) = part.writer {
                Self::complete(writer, &part.tmp)?;
            }
            fs::rename(&part.tmp, &part.path).map_err(|source| WriteError::Io {
                path: part.path.clone(),
                source,
            })?;
            written.push(WrittenPart {
                path: part.path,
                rows: part.rows,
            });
        }
        Ok(written)
    }

    /// Drops every part written so far (used when the input file failed).
    pub fn abort(self) -> Result<(), WriteError> {
        let dir = self.table_dir.clone();
        let tag = self.tag.clone();
        drop(self.parts);
        remove_parts(&dir, &tag)
    }
}

/// Removes `part-<tag>.parquet[.tmp]` from every partition of `table_dir`.
pub fn remove_parts(table_dir: &Path, tag: &str) -> Result<(), WriteError> {
    let Ok(entries) = fs::read_dir(table_dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        for name in [format!("part-{tag}.parquet"), format!("part-{tag}.parquet.tmp")] {
            let p = entry.path().join(name);
            if p.exists() {
                fs::remove_file(&p).map_err(|source| WriteError::Io {
                    path: p.clone(),
                    source,
                })?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::db_events::{DbEvent, DbEventsBuilder};
    use parquet::file::reader::{FileReader, SerializedFileReader};

    #[test]
    fn numbers_and_times_keep_statistics_and_text_does_not() {
        let mut b = DbEventsBuilder::new();
        for i in 0..3 {
            b.append(&DbEvent {
                ts: Some(i),
                db_user: Some(format!("role{i}").into()),
                ..Default::default()
            });
        }
        let batch = b.finish().unwrap();
        let file = tempfile::tempfile().unwrap();
        let mut w = ArrowWriter::try_new(file, batch.schema(), Some(properties(&batch.schema(), vec![]))).unwrap();
        w.write(&batch).unwrap();
        let reader = SerializedFileReader::new(w.into_inner().unwrap()).unwrap();
        let rg = reader.metadata().row_group(0);
        let stats = |name: &str| {
            (0..rg.num_columns())
                .map(|i| rg.column(i))
                .find(|c| c.column_path().string() == name)
                .unwrap_or_else(|| panic!("no column {name}"))
                .statistics()
                .is_some()
        };
        assert!(stats("ts") && stats("source_line"));
        assert!(!stats("db_user") && !stats("statement") && !stats("labels.entries.key"));
    }
}

//! Reading the case's normalised tables back for correlation, and hashing evidence rows.
//!
//! Only the Parquet parts that ingest.json lists are read (a stray file in parquet/ is not
//! evidence), in manifest order, in parallel per part; row order is preserved so correlation
//! stays deterministic. [`row_hash`] is the canonical hash of one stored row, which an action
//! cites so that an auditor can find and check the exact row behind it (docs/ledger.md gives
//! the encoding).
//!
//! In: the case directory and its manifest. Out: record batches per table, row hashes.

use std::fs::File;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float64Type, Int32Type, Int64Type, TimestampMicrosecondType, TimestampNanosecondType, UInt32Type, UInt64Type,
};
use arrow_array::{Array, RecordBatch, StringArray};
use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rayon::prelude::*;

use crate::case::IngestManifest;

/// A batch and the position of its part in manifest order.
pub struct Part {
    pub batches: Vec<RecordBatch>,
}

/// Every batch of `table` in the case, part by part in manifest order.
pub fn table(case_root: &Path, manifest: &IngestManifest, table: &str) -> Result<Vec<Part>, String> {
    let prefix = format!("parquet/{table}/");
    let mut paths: Vec<&str> = Vec::new();
    for file in &manifest.files {
        for part in &file.parts {
            if part.starts_with(&prefix) && !paths.contains(&part.as_str()) {
                paths.push(part);
            }
        }
    }
    paths
        .par_iter()
        .map(|rel| {
            let path = case_root.join(rel);
            let file = File::open(&path).map_err(|e| {
                format!(
                    "cannot read {}: {e}; ingest.json lists it, so the case is incomplete — re-run ingest",
                    path.display()
                )
            })?;
            let reader = ParquetRecordBatchReaderBuilder::try_new(file)
                .and_then(|b| b.with_batch_size(64 * 1024).build())
                .map_err(|e| format!("cannot decode {}: {e}", path.display()))?;
            let batches = reader
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("cannot decode {}: {e}", path.display()))?;
            Ok(Part { batches })
        })
        .collect()
}

/// Every batch of a table agaudit derived from the case (actions, findings): all the Parquet
/// parts under CASE/parquet/TABLE/, in path order. Empty when the table was never written.
pub fn derived(case_root: &Path, table: &str) -> Result<Vec<RecordBatch>, String> {
    let dir = case_root.join("parquet").join(table);
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut parts: Vec<std::path::PathBuf> = walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter_map(Result::ok)
        .map(walkdir::DirEntry::into_path)
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    parts.sort();
    let mut out = Vec::new();
    for path in parts {
        let file = File::open(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|b| b.with_batch_size(64 * 1024).build())
            .map_err(|e| format!("cannot decode {}: {e}", path.display()))?;
        for batch in reader {
            out.push(batch.map_err(|e| format!("cannot decode {}: {e}", path.display()))?);
        }
    }
    Ok(out)
}

/// A string column by name (all the columns correlation reads by name are Utf8).
pub fn strings<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a StringArray, String> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_string_opt::<i32>())
        .ok_or_else(|| format!("expected a utf8 column `{name}`; the case was written by another agaudit version"))
}

pub fn opt(a: &StringArray, i: usize) -> Option<&str> {
    a.is_valid(i).then(|| a.value(i)).filter(|s| !s.is_empty())
}

/// Context string of evidence row hashes; changing it is a format break.
pub const ROW_CONTEXT: &str = "agaudit 2026-11 evidence row v1";

/// The canonical hash of row `i` of `batch`: blake3 (derive-key mode, [`ROW_CONTEXT`]) over,
/// for each column in schema order, the column name and the value, each length-prefixed
/// (u64 little-endian); a null is the single byte 0 in place of the value's length and bytes,
/// a value starts with byte 1. Values: UTF-8 text; integers and timestamps (in the column's
/// unit) as decimal text; floats as 8 bytes little-endian IEEE 754; booleans `true`/`false`;
/// maps as their entry count (u64 LE) then each key and value encoded like a column value.
pub fn row_hash(batch: &RecordBatch, i: usize) -> String {
    let mut h = blake3::Hasher::new_derive_key(ROW_CONTEXT);
    for (field, col) in batch.schema().fields().iter().zip(batch.columns()) {
        bytes(&mut h, field.name().as_bytes());
        value(&mut h, col.as_ref(), i);
    }
    h.finalize().to_hex().to_string()
}

fn bytes(h: &mut blake3::Hasher, b: &[u8]) {
    h.update(&(b.len() as u64).to_le_bytes());
    h.update(b);
}

fn value(h: &mut blake3::Hasher, col: &dyn Array, i: usize) {
    if col.is_null(i) {
        h.update(&[0]);
        return;
    }
    h.update(&[1]);
    let text = |h: &mut blake3::Hasher, s: String| bytes(h, s.as_bytes());
    match col.data_type() {
        DataType::Utf8 => bytes(h, col.as_string::<i32>().value(i).as_bytes()),
        DataType::Int32 => text(h, col.as_primitive::<Int32Type>().value(i).to_string()),
        DataType::Int64 => text(h, col.as_primitive::<Int64Type>().value(i).to_string()),
        DataType::UInt32 => text(h, col.as_primitive::<UInt32Type>().value(i).to_string()),
        DataType::UInt64 => text(h, col.as_primitive::<UInt64Type>().value(i).to_string()),
        DataType::Float64 => bytes(h, &col.as_primitive::<Float64Type>().value(i).to_le_bytes()),
        DataType::Boolean => text(h, col.as_boolean().value(i).to_string()),
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            text(h, col.as_primitive::<TimestampMicrosecondType>().value(i).to_string())
        }
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            text(h, col.as_primitive::<TimestampNanosecondType>().value(i).to_string())
        }
        DataType::Map(..) => {
            let entries = col.as_map().value(i);
            h.update(&(entries.len() as u64).to_le_bytes());
            for j in 0..entries.len() {
                value(h, entries.column(0).as_ref(), j);
                value(h, entries.column(1).as_ref(), j);
            }
        }
        // Every table agaudit writes uses only the types above (checked by the schema tests).
        other => text(h, format!("unsupported:{other}")),
    }
}

//! Reading a case's tables back, and the hash of one stored row.
//!
//! Evidence tables (what ingest wrote) are read only from the Parquet parts ingest.json lists —
//! a stray file in parquet/ is not evidence — in manifest order, in parallel per part, with row
//! order kept so everything downstream stays deterministic. Derived tables (actions, findings)
//! are every part under their directory, in path order. A reader then takes a table's typed view
//! (`ActionsView::of(&batch)`), never a column by name.
//!
//! [`row_hash`] feeds a stored row to agaudit-verify's row hasher, where the encoding is
//! specified next to the ledger chain it is cited in.
//!
//! In: the case directory and its manifest. Out: record batches, row hashes.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rayon::prelude::*;

use super::declare::TableError;
use crate::case::IngestManifest;

/// Why a case's table could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {}: {source}; ingest.json lists it, so the case is incomplete — re-run ingest", path.display())]
    Missing { path: PathBuf, source: std::io::Error },
    #[error("cannot read {}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("cannot decode {}: {source}; the file is not the Parquet agaudit wrote (re-run the stage that wrote it)", path.display())]
    Decode {
        path: PathBuf,
        source: parquet::errors::ParquetError,
    },
    #[error("{} has no actions table: run agaudit correlate on this case first", .0.display())]
    NotCorrelated(PathBuf),
    #[error(transparent)]
    Table(#[from] TableError),
}

/// Every batch of the evidence table `table`, part by part in manifest order.
pub fn evidence(case_root: &Path, manifest: &IngestManifest, table: &str) -> Result<Vec<RecordBatch>, ReadError> {
    evidence_map(case_root, manifest, table, |b| Ok::<_, ReadError>(b.clone()))
}

/// What `each` makes of every batch of the evidence table `table`, in the order of
/// [`evidence`]: each batch is dropped once `each` returns, so the table is never held whole.
pub fn evidence_map<T, E>(
    case_root: &Path,
    manifest: &IngestManifest,
    table: &str,
    each: impl Fn(&RecordBatch) -> Result<T, E> + Sync,
) -> Result<Vec<T>, E>
where
    T: Send,
    E: From<ReadError> + Send,
{
    let parts: Vec<Vec<T>> = evidence_parts(manifest, table)
        .par_iter()
        .map(|rel| {
            let path = case_root.join(rel);
            let file = File::open(&path).map_err(|source| ReadError::Missing {
                path: path.clone(),
                source,
            })?;
            part_map(file, &path, &each)
        })
        .collect::<Result<_, E>>()?;
    Ok(parts.into_iter().flatten().collect())
}

/// The Parquet parts of the evidence table `table`, relative to the case, in manifest order.
fn evidence_parts<'m>(manifest: &'m IngestManifest, table: &str) -> Vec<&'m str> {
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
}

/// Hands every batch of the evidence table `table` to `each`, one after the other in the order
/// of [`evidence`], on this thread: for a stage that routes rows and must keep their order. The
/// next batches are decoded on another thread meanwhile (two at most wait).
pub fn evidence_each<E: From<ReadError>>(
    case_root: &Path,
    manifest: &IngestManifest,
    table: &str,
    mut each: impl FnMut(RecordBatch) -> Result<(), E>,
) -> Result<(), E> {
    let parts = evidence_parts(manifest, table);
    std::thread::scope(|scope| {
        let (decoded, batches) = std::sync::mpsc::sync_channel::<Result<RecordBatch, ReadError>>(2);
        scope.spawn(move || {
            for rel in parts {
                let path = case_root.join(rel);
                if let Err(source) = File::open(&path) {
                    let _ = decoded.send(Err(ReadError::Missing { path, source }));
                    return;
                }
                let read = file_batches(&path, BATCH_ROWS).map(|batches| {
                    for b in batches {
                        // The reader stopped (an error of its own): nothing more is wanted.
                        if decoded.send(b).is_err() {
                            return false;
                        }
                    }
                    true
                });
                match read {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(e) => {
                        let _ = decoded.send(Err(e));
                        return;
                    }
                }
            }
        });
        for batch in batches {
            each(batch?)?;
        }
        Ok(())
    })
}

/// The batches of `batch_rows` rows of the Parquet file at `path`, decoded as they are taken.
pub fn file_batches(
    path: &Path,
    batch_rows: usize,
) -> Result<impl Iterator<Item = Result<RecordBatch, ReadError>> + use<>, ReadError> {
    let file = File::open(path).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let owned = path.to_path_buf();
    let decode = move |source| ReadError::Decode {
        path: owned.clone(),
        source,
    };
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.with_batch_size(batch_rows).build())
        .map_err(&decode)?;
    Ok(reader.map(move |b| b.map_err(|e| decode(parquet::errors::ParquetError::from(e)))))
}

/// Rows per batch read back.
const BATCH_ROWS: usize = 64 * 1024;

/// Every batch of a table agaudit derived from the case (actions, findings): all the Parquet
/// parts under CASE/parquet/TABLE/, in path order. Empty when the table was never written.
pub fn derived(case_root: &Path, table: &str) -> Result<Vec<RecordBatch>, ReadError> {
    let dir = case_root.join("parquet").join(table);
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut paths: Vec<PathBuf> = walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter_map(Result::ok)
        .map(walkdir::DirEntry::into_path)
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let file = File::open(&path).map_err(|source| ReadError::Io {
            path: path.clone(),
            source,
        })?;
        out.extend(part(file, &path)?);
    }
    Ok(out)
}

/// The actions correlate wrote: an error when it has not run on the case.
pub fn actions(case_root: &Path) -> Result<Vec<RecordBatch>, ReadError> {
    let batches = derived(case_root, super::actions::ActionRow::TABLE)?;
    if batches.is_empty() {
        return Err(ReadError::NotCorrelated(case_root.to_path_buf()));
    }
    Ok(batches)
}

fn part(file: File, path: &Path) -> Result<Vec<RecordBatch>, ReadError> {
    part_map(file, path, |b| Ok::<_, ReadError>(b.clone()))
}

/// What `each` makes of every batch of one Parquet part, in order: batches are decoded one
/// after the other and handed to `each` on any core as they come.
fn part_map<T: Send, E: From<ReadError> + Send>(
    file: File,
    path: &Path,
    each: impl Fn(&RecordBatch) -> Result<T, E> + Sync,
) -> Result<Vec<T>, E> {
    let decode = |source| ReadError::Decode {
        path: path.to_path_buf(),
        source,
    };
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.with_batch_size(BATCH_ROWS).build())
        .map_err(decode)?;
    let mut made: Vec<(usize, Result<T, E>)> = reader
        .enumerate()
        .par_bridge()
        .map(|(i, batch)| {
            let made = match batch {
                Ok(b) => each(&b),
                Err(e) => Err(decode(parquet::errors::ParquetError::from(e)).into()),
            };
            (i, made)
        })
        .collect();
    made.sort_unstable_by_key(|(i, _)| *i);
    made.into_iter().map(|(_, m)| m).collect()
}

/// The row hash of row `i` of `batch` (agaudit_verify::row specifies it, for any storage).
pub fn row_hash(batch: &RecordBatch, i: usize) -> String {
    agaudit_verify::row::row_hash(batch, i)
}

/// [`row_hash`] as its 32 bytes, for a stage that holds one per row.
pub fn row_digest(batch: &RecordBatch, i: usize) -> blake3::Hash {
    agaudit_verify::row::row_digest(batch, i)
}

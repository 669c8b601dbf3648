//! The `db_events` table: one row per pgAudit entry and one per statement the database refused
//! (or that failed after it was audited).
//!
//! [`DbEvent`] is a row as the pgAudit stage produces it (already redacted); [`DbEventsBuilder`]
//! collects rows into an Arrow record batch. Columns that are the same for every row of one
//! input file (source file, its blake3, format, server label, labels) come from [`FileColumns`].
//!
//! In: redacted rows. Out: Arrow record batches for the Parquet writer.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::declare::LabelsRef;
pub use super::schema::{DbEvent, DbEventsBuilder, DbEventsView, DbOutcome, LogFamily, StatementState};

/// Columns shared by every row of one input file.
#[derive(Debug, Clone)]
pub struct FileColumns {
    pub source_file: String,
    pub source_blake3: String,
    pub log_format: LogFamily,
    /// The `server` label given at ingest: it wins over the server an envelope names.
    pub server: Option<String>,
    pub labels: BTreeMap<String, String>,
}

impl FileColumns {
    /// `row` with this file's columns filled in.
    pub fn stamp<'f>(&'f self, row: DbEvent<'f>) -> DbEvent<'f> {
        DbEvent {
            source_file: Cow::Borrowed(&self.source_file),
            source_blake3: Cow::Borrowed(&self.source_blake3),
            log_format: self.log_format,
            server: self.server.as_deref().map(Cow::Borrowed).or(row.server),
            labels: LabelsRef(&self.labels),
            ..row
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_matches_schema_and_the_server_label_wins() {
        let file = FileColumns {
            source_file: "f".into(),
            source_blake3: "h".into(),
            log_format: LogFamily::Csvlog,
            server: Some("prod".into()),
            labels: [("server".to_string(), "prod".to_string())].into_iter().collect(),
        };
        let mut b = DbEventsBuilder::new();
        b.append(&file.stamp(DbEvent {
            server: Some("from-envelope".into()),
            ..Default::default()
        }));
        b.append(&file.stamp(DbEvent {
            ts: Some(1),
            outcome: DbOutcome::Refused,
            ..Default::default()
        }));
        let batch = b.finish().unwrap();
        assert_eq!(batch.num_rows(), 2);
        let v = DbEventsView::of(&batch).unwrap();
        assert_eq!(
            (v.server.get(0), v.log_format.get(0), v.outcome.get(1)),
            (Some("prod"), LogFamily::Csvlog, DbOutcome::Refused)
        );
    }
}

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
use super::declare::kind::*;

crate::vocabulary! {
    /// Outcome of a statement as the database decided it.
    pub enum DbOutcome {
        /// pgAudit logged it: the database passed its permission checks and executed it.
        #[default]
        Ok = "ok",
        /// The database rejected it with an ERROR before pgAudit logged anything.
        Refused = "refused",
        /// pgAudit logged it, then it ended in an ERROR (constraint violation, cancel, ...).
        Failed = "failed",
    }
}

crate::vocabulary! {
    /// Whether pgAudit logged the statement text with this row.
    pub enum StatementState {
        #[default]
        Logged = "logged",
        /// pgaudit.log_statement = off.
        NotLogged = "not_logged",
        /// pgaudit.log_statement_once: an earlier substatement row carried it.
        PreviouslyLogged = "previously_logged",
    }
}

crate::vocabulary! {
    /// The log format a row was read from (docs/formats.md); envelopes of one family share it.
    pub enum LogFamily {
        #[default]
        Stderr = "stderr",
        Csvlog = "csvlog",
        Jsonlog = "jsonlog",
        Syslog = "syslog",
        Heroku = "heroku",
        CloudwatchExport = "cloudwatch_export",
        Cloudwatch = "cloudwatch",
        Cloudnativepg = "cloudnativepg",
        CloudLogging = "cloud_logging",
        Azure = "azure",
    }
}

crate::table! {
    /// One row, already redacted. The columns that are the same for every row of a file borrow
    /// from its [`FileColumns`] ([`FileColumns::stamp`]).
    pub struct DbEvent<'a> in "db_events", builder DbEventsBuilder, view DbEventsView {
        /// when the server logged it, UTC, microseconds
        ts: TsUs = Fixed,
        /// raw file the row came from (path as given to ingest)
        source_file: CowText = Identifier,
        /// 1-based line of the row's first line in the decompressed file
        source_line: U64 = Fixed,
        /// lines the row spans (continuations, STATEMENT lines)
        source_lines: U32 = Fixed,
        /// blake3 of the raw file's bytes (chain of custody, ingest.json)
        source_blake3: CowText = Fixed,
        /// stderr | csvlog | jsonlog | syslog | heroku | cloudwatch_export | cloudwatch | cloudnativepg | cloud_logging | azure (docs/formats.md)
        log_format: Enum<LogFamily> = Fixed,
        /// the server label given at ingest (--label server=NAME), else the server the log's envelope names (Cloud SQL instance, Azure server, CloudWatch log stream, CloudNativePG pod)
        server: OptCowText = Identifier,
        /// every --label KEY=VALUE given at ingest
        labels: Labels = Structured,
        /// database role of the session
        db_user: OptText = Identifier,
        /// database name
        database: OptText = Identifier,
        /// application_name; null when unset
        application_name: OptText = Identifier,
        /// AGENT of an application_name AGENT@SESSION
        agent: OptText = Identifier,
        /// SESSION of an application_name AGENT@SESSION
        session: OptText = Identifier,
        /// server process id of the session
        backend_pid: OptI32 = Fixed,
        /// PostgreSQL session id (%c)
        session_id: OptText = Identifier,
        /// client host or address; [local] for a unix socket
        client_addr: OptText = Identifier,
        /// pgAudit AUDIT_TYPE: SESSION or OBJECT
        audit_type: OptText = Identifier,
        /// pgAudit STATEMENT_ID (per session)
        statement_id: OptI64 = Fixed,
        /// pgAudit SUBSTATEMENT_ID
        substatement_id: OptI64 = Fixed,
        /// READ, WRITE, FUNCTION, ROLE, DDL, MISC, MISC_SET; derived from the command for refused statements
        class: OptText = Identifier,
        /// command tag, e.g. SELECT, UPDATE, ALTER TABLE
        command: OptText = Identifier,
        /// pgAudit OBJECT_TYPE, or the kind named in a refusal message
        object_type: OptText = Identifier,
        /// pgAudit OBJECT_NAME (schema-qualified), or the object named in a refusal message
        object_name: OptText = Identifier,
        /// statement with literals replaced by ? and secrets redacted
        statement: OptText = Sql,
        /// logged | not_logged | previously_logged
        statement_state: Enum<StatementState> = Fixed,
        /// number of bound parameters (values are never stored); null when not logged
        parameter_count: OptI32 = Fixed,
        /// rows affected (pgaudit.log_rows)
        rows: OptI64 = Fixed,
        /// ok | refused | failed
        outcome: Enum<DbOutcome> = Fixed,
        /// SQLSTATE of the error, for refused and failed rows
        sqlstate: OptText = Identifier,
        /// error message with values removed and secrets redacted
        error: OptText = Text,
        /// trace id from a sqlcommenter traceparent
        trace_id: OptText = Fixed,
        /// parent span id from a sqlcommenter traceparent
        span_id: OptText = Fixed,
    }
}

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

//! The `db_events` table: one row per pgAudit entry and one per statement the database refused
//! (or that failed after it was audited).
//!
//! [`DbEvent`] is a row as the pgAudit stage produces it (already redacted); [`DbEventsBuilder`]
//! collects rows into an Arrow record batch with [`schema`]. Columns that are the same for every
//! row of one input file (source file, its blake3, server, labels) come from [`FileColumns`].
//!
//! In: redacted rows. Out: Arrow record batches for the Parquet writer.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use arrow_array::builder::{
    Int32Builder, Int64Builder, MapBuilder, StringBuilder, TimestampMicrosecondBuilder, UInt32Builder, UInt64Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Schema, SchemaRef, TimeUnit};

use super::columns::{field, string_map};

pub const TABLE: &str = "db_events";

/// Outcome of a statement as the database decided it.
pub mod outcome {
    /// pgAudit logged it: the database passed its permission checks and executed it.
    pub const OK: &str = "ok";
    /// The database rejected it with an ERROR before pgAudit logged anything.
    pub const REFUSED: &str = "refused";
    /// pgAudit logged it, then it ended in an ERROR (constraint violation, cancel, ...).
    pub const FAILED: &str = "failed";
}

/// One row, already redacted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DbEvent {
    pub ts: Option<i64>,
    pub source_line: u64,
    pub source_lines: u32,
    /// The server the envelope named (Cloud SQL instance, Azure server, RDS log stream); the
    /// `server` label given at ingest wins over it.
    pub server: Option<String>,
    pub db_user: Option<String>,
    pub database: Option<String>,
    pub application_name: Option<String>,
    pub agent: Option<String>,
    pub session: Option<String>,
    pub backend_pid: Option<i32>,
    pub session_id: Option<String>,
    pub client_addr: Option<String>,
    pub audit_type: Option<String>,
    pub statement_id: Option<i64>,
    pub substatement_id: Option<i64>,
    pub class: Option<String>,
    pub command: Option<String>,
    pub object_type: Option<String>,
    pub object_name: Option<String>,
    pub statement: Option<String>,
    pub statement_state: &'static str,
    pub parameter_count: Option<i32>,
    pub rows: Option<i64>,
    pub outcome: &'static str,
    pub sqlstate: Option<String>,
    pub error: Option<String>,
    pub trace_id: Option<String>,
    pub span_id: Option<String>,
}

/// Columns shared by every row of one input file.
#[derive(Debug, Clone)]
pub struct FileColumns {
    pub source_file: String,
    pub source_blake3: String,
    pub log_format: &'static str,
    pub server: Option<String>,
    pub labels: BTreeMap<String, String>,
}

/// The Arrow schema of `db_events` (mirrored in schemas/db_events.arrow.json).
pub fn schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            use DataType::*;
            let ts = Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
            Arc::new(Schema::new(vec![
                field("ts", ts, true, "when the server logged it, UTC, microseconds"),
                field(
                    "source_file",
                    Utf8,
                    false,
                    "raw file the row came from (path as given to ingest)",
                ),
                field(
                    "source_line",
                    UInt64,
                    false,
                    "1-based line of the row's first line in the decompressed file",
                ),
                field(
                    "source_lines",
                    UInt32,
                    false,
                    "lines the row spans (continuations, STATEMENT lines)",
                ),
                field(
                    "source_blake3",
                    Utf8,
                    false,
                    "blake3 of the raw file's bytes (chain of custody, ingest.json)",
                ),
                field(
                    "log_format",
                    Utf8,
                    false,
                    "stderr | csvlog | jsonlog | syslog | heroku | cloudwatch_export | cloudwatch | cloudnativepg | cloud_logging | azure (docs/formats.md)",
                ),
                field(
                    "server",
                    Utf8,
                    true,
                    "the server label given at ingest (--label server=NAME), else the server the log's envelope names (Cloud SQL instance, Azure server, CloudWatch log stream, CloudNativePG pod)",
                ),
                field("labels", string_map(), false, "every --label KEY=VALUE given at ingest"),
                field("db_user", Utf8, true, "database role of the session"),
                field("database", Utf8, true, "database name"),
                field("application_name", Utf8, true, "application_name; null when unset"),
                field("agent", Utf8, true, "AGENT of an application_name AGENT@SESSION"),
                field("session", Utf8, true, "SESSION of an application_name AGENT@SESSION"),
                field("backend_pid", Int32, true, "server process id of the session"),
                field("session_id", Utf8, true, "PostgreSQL session id (%c)"),
                field(
                    "client_addr",
                    Utf8,
                    true,
                    "client host or address; [local] for a unix socket",
                ),
                field("audit_type", Utf8, true, "pgAudit AUDIT_TYPE: SESSION or OBJECT"),
                field("statement_id", Int64, true, "pgAudit STATEMENT_ID (per session)"),
                field("substatement_id", Int64, true, "pgAudit SUBSTATEMENT_ID"),
                field(
                    "class",
                    Utf8,
                    true,
                    "READ, WRITE, FUNCTION, ROLE, DDL, MISC, MISC_SET; derived from the command for refused statements",
                ),
                field("command", Utf8, true, "command tag, e.g. SELECT, UPDATE, ALTER TABLE"),
                field(
                    "object_type",
                    Utf8,
                    true,
                    "pgAudit OBJECT_TYPE, or the kind named in a refusal message",
                ),
                field(
                    "object_name",
                    Utf8,
                    true,
                    "pgAudit OBJECT_NAME (schema-qualified), or the object named in a refusal message",
                ),
                field(
                    "statement",
                    Utf8,
                    true,
                    "statement with literals replaced by ? and secrets redacted",
                ),
                field(
                    "statement_state",
                    Utf8,
                    false,
                    "logged | not_logged | previously_logged",
                ),
                field(
                    "parameter_count",
                    Int32,
                    true,
                    "number of bound parameters (values are never stored); null when not logged",
                ),
                field("rows", Int64, true, "rows affected (pgaudit.log_rows)"),
                field("outcome", Utf8, false, "ok | refused | failed"),
                field(
                    "sqlstate",
                    Utf8,
                    true,
                    "SQLSTATE of the error, for refused and failed rows",
                ),
                field(
                    "error",
                    Utf8,
                    true,
                    "error message with values removed and secrets redacted",
                ),
                field("trace_id", Utf8, true, "trace id from a sqlcommenter traceparent"),
                field("span_id", Utf8, true, "parent span id from a sqlcommenter traceparent"),
            ]))
        })
        .clone()
}

/// Collects rows into a record batch.
pub struct DbEventsBuilder {
    file: FileColumns,
    len: usize,
    ts: TimestampMicrosecondBuilder,
    source_line: UInt64Builder,
    source_lines: UInt32Builder,
    labels: MapBuilder<StringBuilder, StringBuilder>,
    strings: Vec<StringBuilder>,
    backend_pid: Int32Builder,
    statement_id: Int64Builder,
    substatement_id: Int64Builder,
    parameter_count: Int32Builder,
    rows: Int64Builder,
}

/// Order of the string columns in `DbEventsBuilder::strings`.
const STRING_COLUMNS: &[&str] = &[
    "source_file",
    "source_blake3",
    "log_format",
    "server",
    "db_user",
    "database",
    "application_name",
    "agent",
    "session",
    "session_id",
    "client_addr",
    "audit_type",
    "class",
    "command",
    "object_type",
    "object_name",
    "statement",
    "statement_state",
    "outcome",
    "sqlstate",
    "error",
    "trace_id",
    "span_id",
];

impl DbEventsBuilder {
    pub fn new(file: FileColumns) -> Self {
        DbEventsBuilder {
            file,
            len: 0,
            ts: TimestampMicrosecondBuilder::new().with_timezone("UTC"),
            source_line: UInt64Builder::new(),
            source_lines: UInt32Builder::new(),
            labels: MapBuilder::new(None, StringBuilder::new(), StringBuilder::new()),
            strings: STRING_COLUMNS.iter().map(|_| StringBuilder::new()).collect(),
            backend_pid: Int32Builder::new(),
            statement_id: Int64Builder::new(),
            substatement_id: Int64Builder::new(),
            parameter_count: Int32Builder::new(),
            rows: Int64Builder::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn append(&mut self, e: &DbEvent) {
        self.len += 1;
        self.ts.append_option(e.ts);
        self.source_line.append_value(e.source_line);
        self.source_lines.append_value(e.source_lines);
        for (k, v) in &self.file.labels {
            self.labels.keys().append_value(k);
            self.labels.values().append_value(v);
        }
        // Infallible: keys and values were appended in pairs just above.
        let _ = self.labels.append(true);
        let f = &self.file;
        let values: [Option<&str>; 23] = [
            Some(&f.source_file),
            Some(&f.source_blake3),
            Some(f.log_format),
            f.server.as_deref().or(e.server.as_deref()),
            e.db_user.as_deref(),
            e.database.as_deref(),
            e.application_name.as_deref(),
            e.agent.as_deref(),
            e.session.as_deref(),
            e.session_id.as_deref(),
            e.client_addr.as_deref(),
            e.audit_type.as_deref(),
            e.class.as_deref(),
            e.command.as_deref(),
            e.object_type.as_deref(),
            e.object_name.as_deref(),
            e.statement.as_deref(),
            Some(e.statement_state),
            Some(e.outcome),
            e.sqlstate.as_deref(),
            e.error.as_deref(),
            e.trace_id.as_deref(),
            e.span_id.as_deref(),
        ];
        for (b, v) in self.strings.iter_mut().zip(values) {
            b.append_option(v);
        }
        self.backend_pid.append_option(e.backend_pid);
        self.statement_id.append_option(e.statement_id);
        self.substatement_id.append_option(e.substatement_id);
        self.parameter_count.append_option(e.parameter_count);
        self.rows.append_option(e.rows);
    }

    /// The rows appended since the last call, as a batch with [`schema`].
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        self.len = 0;
        let schema = schema();
        let mut strings: BTreeMap<&str, ArrayRef> = BTreeMap::new();
        for (name, b) in STRING_COLUMNS.iter().zip(self.strings.iter_mut()) {
            strings.insert(name, Arc::new(b.finish()));
        }
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
        for f in schema.fields() {
            let col: ArrayRef = match f.name().as_str() {
                "ts" => Arc::new(self.ts.finish()),
                "source_line" => Arc::new(self.source_line.finish()),
                "source_lines" => Arc::new(self.source_lines.finish()),
                "labels" => Arc::new(self.labels.finish()),
                "backend_pid" => Arc::new(self.backend_pid.finish()),
                "statement_id" => Arc::new(self.statement_id.finish()),
                "substatement_id" => Arc::new(self.substatement_id.finish()),
                "parameter_count" => Arc::new(self.parameter_count.finish()),
                "rows" => Arc::new(self.rows.finish()),
                name => strings
                    .remove(name)
                    .ok_or_else(|| ArrowError::SchemaError(format!("db_events builder has no column {name}")))?,
            };
            columns.push(col);
        }
        RecordBatch::try_new(schema, columns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_matches_schema() {
        let mut b = DbEventsBuilder::new(FileColumns {
            source_file: "f".into(),
            source_blake3: "h".into(),
            log_format: "csvlog",
            server: Some("prod".into()),
            labels: [("server".to_string(), "prod".to_string())].into_iter().collect(),
        });
        b.append(&DbEvent {
            statement_state: "logged",
            outcome: outcome::OK,
            ..Default::default()
        });
        b.append(&DbEvent {
            ts: Some(1),
            statement_state: "logged",
            outcome: outcome::REFUSED,
            ..Default::default()
        });
        let batch = b.finish().unwrap();
        assert_eq!(batch.num_rows(), 2);
        assert_eq!(batch.num_columns(), schema().fields().len());
    }
}

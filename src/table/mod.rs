//! The normalised tables: each declared once, and the partitioned Parquet writer and reader.
//!
//! [`schema`] declares every table with [`table!`](crate::table) (columns, kinds,
//! descriptions, redaction), which yields the row struct, the Arrow schema (mirrored in
//! schemas/<table>.arrow.json, checked by a test), a builder and a typed view. [`writer`] writes
//! batches as zstd Parquet under CASE/parquet/<table>/date=YYYY-MM-DD/, hive style, so DuckDB,
//! Spark or Trino read a case directly; [`read`] reads them back.
//!
//! In: rows from the stages. Out: Parquet part files, and batches read back from them.

#[macro_use]
pub mod declare;
pub mod actions;
pub mod db_events;
pub mod kernel_events;
pub mod read;
pub mod schema;
pub mod spans;
pub mod tool_hints;
pub mod writer;

use arrow_schema::{DataType, Schema, SchemaRef};

/// Every table agaudit writes, with its schema.
pub fn all() -> Vec<(&'static str, SchemaRef)> {
    vec![
        (db_events::DbEvent::TABLE, db_events::DbEvent::schema()),
        (spans::SpanRow::TABLE, spans::SpanRow::schema()),
        (schema::LogEventRow::TABLE, schema::LogEventRow::schema()),
        (tool_hints::ToolHintRow::TABLE, tool_hints::ToolHintRow::schema()),
        (
            kernel_events::KernelEventRow::TABLE,
            kernel_events::KernelEventRow::schema(),
        ),
        (kernel_events::ProcessRow::TABLE, kernel_events::ProcessRow::schema()),
        (actions::ActionRow::TABLE, actions::ActionRow::schema()),
        (schema::FindingRow::TABLE, schema::FindingRow::schema()),
    ]
}

/// The schema as JSON (name, Arrow type, nullable, description and redaction per field), the
/// form committed in schemas/.
pub fn schema_json(table: &str, schema: &Schema) -> serde_json::Value {
    let fields: Vec<serde_json::Value> = schema
        .fields()
        .iter()
        .map(|f| {
            let meta = |k: &str| f.metadata().get(k).cloned().unwrap_or_default();
            serde_json::json!({
                "name": f.name(),
                "type": type_name(f.data_type()),
                "nullable": f.is_nullable(),
                "description": meta("description"),
                "redaction": meta("redaction"),
            })
        })
        .collect();
    serde_json::json!({ "table": table, "format": "parquet (zstd), hive-partitioned by date=YYYY-MM-DD", "fields": fields })
}

fn type_name(t: &DataType) -> String {
    match t {
        DataType::Utf8 => "utf8".into(),
        DataType::Int32 => "int32".into(),
        DataType::Int64 => "int64".into(),
        DataType::UInt32 => "uint32".into(),
        DataType::UInt64 => "uint64".into(),
        DataType::Boolean => "bool".into(),
        DataType::Float64 => "float64".into(),
        DataType::Timestamp(unit, tz) => format!("timestamp[{unit:?}, tz={}]", tz.as_deref().unwrap_or("none")),
        DataType::Map(f, _) => format!("map<{}>", type_name(f.data_type())),
        DataType::Struct(fields) => format!(
            "struct<{}>",
            fields
                .iter()
                .map(|f| format!("{}: {}", f.name(), type_name(f.data_type())))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => format!("{other:?}"),
    }
}

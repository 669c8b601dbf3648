//! The normalised tables: one Arrow schema per table, and the partitioned Parquet writer.
//!
//! Each table module defines its schema (mirrored in schemas/<table>.arrow.json, checked by a
//! test) and a builder that turns rows into Arrow record batches. [`writer`] writes them as
//! zstd Parquet under CASE/parquet/<table>/date=YYYY-MM-DD/, hive style, so DuckDB, Spark or
//! Trino read a case directly.
//!
//! In: rows from the ingest stages. Out: Parquet part files.

pub mod actions;
pub mod columns;
pub mod db_events;
pub mod findings;
pub mod kernel_events;
pub mod log_events;
pub mod spans;
pub mod tool_hints;
pub mod writer;

use arrow_schema::{DataType, Schema, SchemaRef};

/// Every table agaudit writes, with its schema.
pub fn all() -> Vec<(&'static str, SchemaRef)> {
    vec![
        (db_events::TABLE, db_events::schema()),
        (spans::TABLE, spans::schema()),
        (log_events::TABLE, log_events::schema()),
        (tool_hints::TABLE, tool_hints::schema()),
        (kernel_events::TABLE, kernel_events::schema()),
        (kernel_events::PROCESSES, kernel_events::processes_schema()),
        (actions::TABLE, actions::schema()),
        (findings::TABLE, findings::schema()),
    ]
}

/// The schema as JSON (name, Arrow type, nullable per field), the form committed in schemas/.
pub fn schema_json(table: &str, schema: &Schema) -> serde_json::Value {
    let fields: Vec<serde_json::Value> = schema
        .fields()
        .iter()
        .map(|f| {
            serde_json::json!({
                "name": f.name(),
                "type": type_name(f.data_type()),
                "nullable": f.is_nullable(),
                "description": f.metadata().get("description").cloned().unwrap_or_default(),
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

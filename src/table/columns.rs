//! A record-batch builder driven by a table's schema, for tables whose rows are written column
//! by column in schema order.
//!
//! Each table module declares its schema once (names, types, descriptions) and appends a row by
//! calling [`Row`] methods in that order. The builder checks every call against the schema, so a
//! column added to the schema but not to the row writer is an error from [`TableBuilder::finish`]
//! (caught by each table's unit test), not a silently shifted column.
//!
//! In: values in schema order. Out: Arrow record batches.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, MapBuilder, StringBuilder, TimestampNanosecondBuilder,
    UInt32Builder, UInt64Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Fields, SchemaRef, TimeUnit};

/// A field with its description (written into schemas/<table>.arrow.json).
pub fn field(name: &str, data_type: DataType, nullable: bool, description: &str) -> Field {
    Field::new(name, data_type, nullable).with_metadata([("description", description)])
}

/// The type of a key/value string column (labels, attributes).
pub fn string_map() -> DataType {
    let entries = Fields::from(vec![
        Field::new("key", DataType::Utf8, false),
        Field::new("value", DataType::Utf8, true),
    ]);
    DataType::Map(Arc::new(Field::new("entries", DataType::Struct(entries), false)), false)
}

/// UTC timestamps with nanoseconds, as OpenTelemetry records them.
pub fn timestamp_ns() -> DataType {
    DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
}

/// Where the rows of one input file came from; the same for every row of that file.
#[derive(Debug, Clone)]
pub struct Source {
    pub file: String,
    pub blake3: String,
    pub labels: std::collections::BTreeMap<String, String>,
}

/// The provenance columns every OpenTelemetry and MCP table ends with, in this order.
pub fn source_fields() -> Vec<Field> {
    vec![
        field(
            "source_file",
            DataType::Utf8,
            false,
            "raw file the row came from (path as given to ingest)",
        ),
        field(
            "source_line",
            DataType::UInt64,
            false,
            "1-based line of the JSON line (or document) the row came from, in the decompressed file",
        ),
        field(
            "source_blake3",
            DataType::Utf8,
            false,
            "blake3 of the raw file's bytes (chain of custody, ingest.json)",
        ),
        field("labels", string_map(), false, "every --label KEY=VALUE given at ingest"),
    ]
}

enum Column {
    Utf8(StringBuilder),
    Int32(Int32Builder),
    Int64(Int64Builder),
    UInt32(UInt32Builder),
    UInt64(UInt64Builder),
    Float64(Float64Builder),
    Bool(BooleanBuilder),
    TimestampNs(TimestampNanosecondBuilder),
    // Boxed: a map builder is several times the size of the others.
    Map(Box<MapBuilder<StringBuilder, StringBuilder>>),
}

impl Column {
    fn for_type(t: &DataType) -> Option<Column> {
        Some(match t {
            DataType::Utf8 => Column::Utf8(StringBuilder::new()),
            DataType::Int32 => Column::Int32(Int32Builder::new()),
            DataType::Int64 => Column::Int64(Int64Builder::new()),
            DataType::UInt32 => Column::UInt32(UInt32Builder::new()),
            DataType::UInt64 => Column::UInt64(UInt64Builder::new()),
            DataType::Float64 => Column::Float64(Float64Builder::new()),
            DataType::Boolean => Column::Bool(BooleanBuilder::new()),
            DataType::Timestamp(TimeUnit::Nanosecond, Some(_)) => {
                Column::TimestampNs(TimestampNanosecondBuilder::new().with_timezone("UTC"))
            }
            DataType::Map(..) => Column::Map(Box::new(MapBuilder::new(
                None,
                StringBuilder::new(),
                StringBuilder::new(),
            ))),
            _ => return None,
        })
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Column::Utf8(b) => Arc::new(b.finish()),
            Column::Int32(b) => Arc::new(b.finish()),
            Column::Int64(b) => Arc::new(b.finish()),
            Column::UInt32(b) => Arc::new(b.finish()),
            Column::UInt64(b) => Arc::new(b.finish()),
            Column::Float64(b) => Arc::new(b.finish()),
            Column::Bool(b) => Arc::new(b.finish()),
            Column::TimestampNs(b) => Arc::new(b.finish()),
            Column::Map(b) => Arc::new(b.finish()),
        }
    }
}

/// Collects rows of one table into record batches.
pub struct TableBuilder {
    schema: SchemaRef,
    columns: Vec<Column>,
    len: usize,
    error: Option<String>,
}

impl TableBuilder {
    pub fn new(schema: SchemaRef) -> Self {
        let mut error = None;
        let columns = schema
            .fields()
            .iter()
            .filter_map(|f| {
                let c = Column::for_type(f.data_type());
                if c.is_none() {
                    error.get_or_insert(format!("column {} has unsupported type {}", f.name(), f.data_type()));
                }
                c
            })
            .collect();
        TableBuilder {
            schema,
            columns,
            len: 0,
            error,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Starts a row: call one [`Row`] method per column, in schema order, then [`Row::end`].
    pub fn row(&mut self) -> Row<'_> {
        Row { table: self, next: 0 }
    }

    /// The rows appended since the last call, as one batch.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        if let Some(e) = self.error.take() {
            return Err(ArrowError::SchemaError(format!("table builder: {e}")));
        }
        self.len = 0;
        let columns: Vec<ArrayRef> = self.columns.iter_mut().map(Column::finish).collect();
        RecordBatch::try_new(self.schema.clone(), columns)
    }
}

/// Appends one row, a column at a time.
pub struct Row<'a> {
    table: &'a mut TableBuilder,
    next: usize,
}

macro_rules! setter {
    ($name:ident, $variant:ident, $t:ty) => {
        pub fn $name(&mut self, v: Option<$t>) -> &mut Self {
            match self.column() {
                Some(Column::$variant(b)) => b.append_option(v),
                _ => self.mismatch(stringify!($variant)),
            }
            self
        }
    };
}

impl Row<'_> {
    fn column(&mut self) -> Option<&mut Column> {
        let i = self.next;
        self.next += 1;
        self.table.columns.get_mut(i)
    }

    fn mismatch(&mut self, wanted: &str) {
        let at = self.next - 1;
        let name = self
            .table
            .schema
            .fields()
            .get(at)
            .map_or("<past the last column>", |f| f.name().as_str())
            .to_string();
        self.table
            .error
            .get_or_insert(format!("value of type {wanted} given for column {at} ({name})"));
    }

    setter!(str, Utf8, &str);
    setter!(i32, Int32, i32);
    setter!(i64, Int64, i64);
    setter!(u32, UInt32, u32);
    setter!(u64, UInt64, u64);
    setter!(f64, Float64, f64);
    setter!(bool, Bool, bool);
    setter!(ts_ns, TimestampNs, i64);

    /// A key/value column; keys in the order given.
    pub fn map<'k>(&mut self, entries: impl IntoIterator<Item = (&'k str, Option<&'k str>)>) -> &mut Self {
        match self.column() {
            Some(Column::Map(b)) => {
                for (k, v) in entries {
                    b.keys().append_value(k);
                    b.values().append_option(v);
                }
                // Infallible: keys and values were appended in pairs just above.
                let _ = b.append(true);
            }
            _ => self.mismatch("Map"),
        }
        self
    }

    /// The columns of [`source_fields`].
    pub fn source(&mut self, source: &Source, line: u64) -> &mut Self {
        self.str(Some(&source.file)).u64(Some(line)).str(Some(&source.blake3));
        self.map(source.labels.iter().map(|(k, v)| (k.as_str(), Some(v.as_str()))))
    }

    /// Ends the row; every column must have been given a value.
    pub fn end(self) {
        if self.next != self.table.columns.len() {
            let n = self.table.columns.len();
            self.table
                .error
                .get_or_insert(format!("row gave {} values for {n} columns", self.next));
        }
        self.table.len += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_schema::Schema;

    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            field("a", DataType::Utf8, true, ""),
            field("b", DataType::Int64, true, ""),
            field("m", string_map(), false, ""),
        ]))
    }

    #[test]
    fn rows_in_schema_order() {
        let mut t = TableBuilder::new(schema());
        let mut r = t.row();
        r.str(Some("x")).i64(None).map([("k", Some("v"))]);
        r.end();
        assert_eq!(t.len(), 1);
        let batch = t.finish().unwrap();
        assert_eq!(batch.num_rows(), 1);
        assert!(t.is_empty());
    }

    #[test]
    fn wrong_order_or_count_is_an_error() {
        let mut t = TableBuilder::new(schema());
        let mut r = t.row();
        r.i64(Some(1)).str(None).map([]);
        r.end();
        assert!(t.finish().unwrap_err().to_string().contains("column 0 (a)"));
        let mut t = TableBuilder::new(schema());
        let mut r = t.row();
        r.str(None);
        r.end();
        assert!(t.finish().unwrap_err().to_string().contains("1 values for 3 columns"));
    }
}

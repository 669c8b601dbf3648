//! The evidence row hash: how an action cites the exact stored row behind it.
//!
//! An action's `evidence_row_hash` is blake3 (key-derivation mode, [`ROW_CONTEXT`]) over the
//! row's columns in schema order: for each, the column name then its value, each
//! length-prefixed (u64 little-endian). A null is the single byte 0 in place of the value; a
//! value starts with byte 1. Text is its UTF-8 bytes; integers and timestamps (in the column's
//! unit) are decimal text; floats are 8 bytes little-endian IEEE 754; booleans `true`/`false`;
//! a map is its entry count (u64 LE) then each key and value encoded like a column value.
//! docs/ledger.md specifies the same; the Python verifier in scripts/ recomputes it.
//!
//! The same hash binds an action or finding row to its ledger record (`row=`). It is defined on
//! the values, not on how a column is stored: a string column written plain, dictionary-encoded
//! or as a view, an integer of any width, hash alike. With the `rows` feature, [`row_hash`] reads
//! an Arrow row and [`for_each_row`] a whole Parquet file; without it a reader walks the row and
//! feeds [`RowHasher`] the values.
//!
//! In: column names and values (or Arrow batches, Parquet bytes). Out: row hashes, 64 hex digits.

/// Context string of evidence row hashes; changing it is a format break.
pub const ROW_CONTEXT: &str = "agaudit 2026-11 evidence row v1";

/// One stored value, as the encoding sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    Null,
    Text(&'a str),
    Int(i128),
    Float(f64),
    Bool(bool),
}

/// Hashes one row, a column at a time, in schema order. The encoding is gathered in a buffer
/// and hashed at once: a row is hundreds of small pieces, and blake3 is fastest fed in bulk.
#[derive(Default)]
pub struct RowHasher {
    buf: Vec<u8>,
}

impl RowHasher {
    pub fn new() -> Self {
        Self::default()
    }

    /// A column holding one value.
    pub fn column(&mut self, name: &str, value: Value<'_>) -> &mut Self {
        self.bytes(name.as_bytes());
        self.value(value);
        self
    }

    /// A map column: `entries` key/value pairs (a null map is `column(name, Value::Null)`).
    pub fn map<'v>(&mut self, name: &str, entries: impl ExactSizeIterator<Item = (Value<'v>, Value<'v>)>) -> &mut Self {
        self.bytes(name.as_bytes());
        self.buf.push(1);
        self.buf.extend_from_slice(&(entries.len() as u64).to_le_bytes());
        for (k, v) in entries {
            self.value(k);
            self.value(v);
        }
        self
    }

    /// The row's hash, 64 lower-case hex digits.
    pub fn finish(&self) -> String {
        self.digest().to_hex().to_string()
    }

    /// The row's hash as its 32 bytes (a reader that holds many keeps them, not their hex).
    pub fn digest(&self) -> blake3::Hash {
        crate::keyed(ROW_CONTEXT).update(&self.buf).finalize()
    }

    /// Starts the next row, keeping the buffer's memory.
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(&(b.len() as u64).to_le_bytes());
        self.buf.extend_from_slice(b);
    }

    fn value(&mut self, v: Value<'_>) {
        match v {
            Value::Null => self.buf.push(0),
            Value::Text(s) => {
                self.buf.push(1);
                self.bytes(s.as_bytes());
            }
            Value::Int(n) => {
                self.buf.push(1);
                // Decimal without allocating: most cells of a row are numbers and times. Every
                // stored integer fits 64 bits, whose division is a few cycles; 128-bit division
                // is a library call per digit.
                let mut digits = [0u8; 40];
                let mut at = digits.len();
                let mut push = |d: u8| {
                    at -= 1;
                    digits[at] = b'0' + d;
                };
                match u64::try_from(n.unsigned_abs()) {
                    Ok(mut m) => loop {
                        push((m % 10) as u8);
                        m /= 10;
                        if m == 0 {
                            break;
                        }
                    },
                    Err(_) => {
                        let mut m = n.unsigned_abs();
                        loop {
                            push((m % 10) as u8);
                            m /= 10;
                            if m == 0 {
                                break;
                            }
                        }
                    }
                }
                if n < 0 {
                    at -= 1;
                    digits[at] = b'-';
                }
                self.bytes(&digits[at..]);
            }
            Value::Float(f) => {
                self.buf.push(1);
                self.bytes(&f.to_le_bytes());
            }
            Value::Bool(b) => {
                self.buf.push(1);
                self.bytes(if b { b"true" } else { b"false" });
            }
        }
    }
}

#[cfg(feature = "rows")]
mod arrow {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{
        Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, TimestampMicrosecondType,
        TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type, UInt32Type,
        UInt64Type,
    };
    use arrow_array::{Array, RecordBatch};
    use arrow_schema::{DataType, TimeUnit};

    use super::{RowHasher, Value};

    /// The row hash of row `i` of `batch`, its columns in schema order.
    pub fn row_hash(batch: &RecordBatch, i: usize) -> String {
        row_digest(batch, i).to_hex().to_string()
    }

    /// [`row_hash`] as its 32 bytes.
    pub fn row_digest(batch: &RecordBatch, i: usize) -> blake3::Hash {
        // One buffer per thread, kept: a row's encoding is built without growing it afresh.
        thread_local! {
            static HASHER: std::cell::RefCell<RowHasher> = std::cell::RefCell::new(RowHasher::new());
        }
        HASHER.with_borrow_mut(|h| {
            h.clear();
            row_into(h, batch, i);
            h.digest()
        })
    }

    /// The row hashes of every row of `batch`, in order, on every core.
    pub fn row_hashes(batch: &RecordBatch) -> Vec<String> {
        let n = batch.num_rows();
        let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).min(16);
        if threads == 1 || n < 4096 {
            return (0..n).map(|i| row_hash(batch, i)).collect();
        }
        let per = n.div_ceil(threads);
        std::thread::scope(|scope| {
            let parts: Vec<_> = (0..n)
                .step_by(per)
                .map(|start| {
                    scope.spawn(move || {
                        let mut h = RowHasher::new();
                        (start..(start + per).min(n))
                            .map(|i| {
                                h.clear();
                                row_into(&mut h, batch, i);
                                h.finish()
                            })
                            .collect::<Vec<String>>()
                    })
                })
                .collect();
            parts.into_iter().flat_map(|p| p.join().unwrap_or_default()).collect()
        })
    }

    fn row_into(h: &mut RowHasher, batch: &RecordBatch, i: usize) {
        for (field, col) in batch.schema_ref().fields().iter().zip(batch.columns()) {
            if let DataType::Map(..) = col.data_type()
                && col.is_valid(i)
            {
                // The entries are read in place by their offsets: `MapArray::value` would slice
                // (and allocate) a struct array per row.
                let map = col.as_map();
                let offsets = map.value_offsets();
                let (from, to) = (offsets[i] as usize, offsets[i + 1] as usize);
                let (keys, values) = (map.keys().as_ref(), map.values().as_ref());
                h.map(field.name(), (from..to).map(|j| (value(keys, j), value(values, j))));
            } else {
                h.column(field.name(), value(col.as_ref(), i));
            }
        }
    }

    /// Value `i` of a column, whatever its physical storage.
    pub fn value(col: &dyn Array, i: usize) -> Value<'_> {
        if col.is_null(i) {
            return Value::Null;
        }
        macro_rules! int {
            ($t:ty) => {
                Value::Int(col.as_primitive::<$t>().value(i).into())
            };
        }
        match col.data_type() {
            DataType::Utf8 => Value::Text(col.as_string::<i32>().value(i)),
            DataType::LargeUtf8 => Value::Text(col.as_string::<i64>().value(i)),
            DataType::Utf8View => Value::Text(col.as_string_view().value(i)),
            DataType::Dictionary(key, _) => {
                let dict = col.as_any_dictionary();
                let keys = dict.keys();
                let k = match key.as_ref() {
                    DataType::Int8 => keys.as_primitive::<Int8Type>().value(i) as usize,
                    DataType::Int16 => keys.as_primitive::<Int16Type>().value(i) as usize,
                    DataType::Int32 => keys.as_primitive::<Int32Type>().value(i) as usize,
                    DataType::Int64 => keys.as_primitive::<Int64Type>().value(i) as usize,
                    DataType::UInt8 => keys.as_primitive::<UInt8Type>().value(i) as usize,
                    DataType::UInt16 => keys.as_primitive::<UInt16Type>().value(i) as usize,
                    DataType::UInt32 => keys.as_primitive::<UInt32Type>().value(i) as usize,
                    DataType::UInt64 => keys.as_primitive::<UInt64Type>().value(i) as usize,
                    _ => return Value::Null,
                };
                value(dict.values().as_ref(), k)
            }
            DataType::Int8 => int!(Int8Type),
            DataType::Int16 => int!(Int16Type),
            DataType::Int32 => int!(Int32Type),
            DataType::Int64 => int!(Int64Type),
            DataType::UInt8 => int!(UInt8Type),
            DataType::UInt16 => int!(UInt16Type),
            DataType::UInt32 => int!(UInt32Type),
            DataType::UInt64 => int!(UInt64Type),
            DataType::Float32 => Value::Float(col.as_primitive::<Float32Type>().value(i).into()),
            DataType::Float64 => Value::Float(col.as_primitive::<Float64Type>().value(i)),
            DataType::Boolean => Value::Bool(col.as_boolean().value(i)),
            DataType::Timestamp(TimeUnit::Second, _) => int!(TimestampSecondType),
            DataType::Timestamp(TimeUnit::Millisecond, _) => int!(TimestampMillisecondType),
            DataType::Timestamp(TimeUnit::Microsecond, _) => int!(TimestampMicrosecondType),
            DataType::Timestamp(TimeUnit::Nanosecond, _) => int!(TimestampNanosecondType),
            // Every table agaudit writes uses only the types above.
            _ => Value::Null,
        }
    }

    /// Calls `each(id, row hash)` for every row of a Parquet member, in file order, a batch
    /// at a time (memory is one batch, whatever the file's size). Returns the number of rows.
    pub fn for_each_row(
        member: crate::source::Member,
        id_column: &str,
        mut each: impl FnMut(&str, &str),
    ) -> Result<u64, String> {
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(member)
            .and_then(|b| b.with_batch_size(64 * 1024).build())
            .map_err(|e| format!("not a readable Parquet file: {e}"))?;
        let mut rows = 0u64;
        for batch in reader {
            let batch = batch.map_err(|e| format!("cannot read its rows: {e}"))?;
            let ids = batch
                .column_by_name(id_column)
                .ok_or_else(|| format!("it has no {id_column} column"))?;
            for (i, hash) in row_hashes(&batch).iter().enumerate() {
                rows += 1;
                match value(ids.as_ref(), i) {
                    Value::Text(id) => each(id, hash),
                    _ => return Err(format!("row {rows} has no {id_column}")),
                }
            }
        }
        Ok(rows)
    }
}

#[cfg(feature = "rows")]
pub use arrow::{for_each_row, row_digest, row_hash, row_hashes, value};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_part_of_a_row_is_bound() {
        let h = |name: &str, v: Value<'_>| RowHasher::new().column(name, v).finish();
        let base = h("a", Value::Text("1"));
        assert_ne!(base, h("b", Value::Text("1")), "the column name");
        // Text "1" and the number 1 encode alike (the schema tells them apart): same hash.
        assert_eq!(base, h("a", Value::Int(1)));
        assert_ne!(base, h("a", Value::Null), "null");
        assert_ne!(h("a", Value::Text("")), h("a", Value::Null), "empty is not null");
        assert_ne!(h("a", Value::Bool(true)), h("a", Value::Text("false")));
        let two = RowHasher::new()
            .column("a", Value::Text("x"))
            .column("b", Value::Null)
            .finish();
        let shifted = RowHasher::new().column("ab", Value::Text("x")).finish();
        assert_ne!(two, shifted);
    }

    /// An integer encodes as its decimal text, across every width a column can hold.
    #[test]
    fn an_integer_encodes_as_its_decimal_text() {
        let h = |v: Value<'_>| RowHasher::new().column("n", v).finish();
        for n in [
            0i128,
            7,
            -7,
            10,
            1_764_633_600_123_456,
            i64::MIN.into(),
            i64::MAX.into(),
            u64::MAX.into(),
            i128::from(u64::MAX) + 1,
            -i128::from(u64::MAX) - 1,
            i128::MIN,
            i128::MAX,
        ] {
            assert_eq!(h(Value::Int(n)), h(Value::Text(&n.to_string())), "{n}");
        }
    }

    /// A map's entries are hashed in place, in a batch sliced anywhere as in a whole one.
    #[cfg(feature = "rows")]
    #[test]
    fn a_map_hashes_its_own_entries_in_a_sliced_batch() {
        use std::sync::Arc;

        use arrow_array::builder::{MapBuilder, StringBuilder};
        use arrow_array::{ArrayRef, RecordBatch};
        let rows: [&[(&str, &str)]; 4] = [&[("a", "1")], &[], &[("b", "2"), ("c", "3")], &[("d", "4")]];
        let mut b = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new());
        for entries in rows {
            for (k, v) in entries {
                b.keys().append_value(k);
                b.values().append_value(v);
            }
            b.append(true).unwrap();
        }
        let batch = RecordBatch::try_from_iter([("attributes", Arc::new(b.finish()) as ArrayRef)]).unwrap();
        let expected = |entries: &[(&str, &str)]| {
            RowHasher::new()
                .map(
                    "attributes",
                    entries.iter().map(|(k, v)| (Value::Text(k), Value::Text(v))),
                )
                .finish()
        };
        for (i, entries) in rows.iter().enumerate() {
            assert_eq!(row_hash(&batch, i), expected(entries), "row {i}");
        }
        let sliced = batch.slice(1, 3);
        for (i, entries) in rows[1..].iter().enumerate() {
            assert_eq!(row_hash(&sliced, i), expected(entries), "sliced row {i}");
        }
    }

    /// The same values stored plain, dictionary-encoded, as views, or in other integer widths
    /// hash alike; a changed value does not.
    #[cfg(feature = "rows")]
    #[test]
    fn the_hash_is_of_the_values_not_of_their_storage() {
        use std::sync::Arc;

        use arrow_array::types::Int32Type;
        use arrow_array::{
            ArrayRef, DictionaryArray, Int32Array, Int64Array, LargeStringArray, RecordBatch, StringArray,
            StringViewArray, UInt16Array,
        };
        let batch = |verdict: ArrayRef, count: ArrayRef| {
            RecordBatch::try_from_iter([("verdict", verdict), ("count", count)]).unwrap()
        };
        let values = ["ok", "violation_allowed", "ok"];
        let plain = batch(
            Arc::new(StringArray::from(values.to_vec())),
            Arc::new(Int64Array::from(vec![1, 2, 3])),
        );
        let forms: Vec<RecordBatch> = vec![
            batch(
                Arc::new(values.iter().copied().collect::<DictionaryArray<Int32Type>>()),
                Arc::new(Int32Array::from(vec![1, 2, 3])),
            ),
            batch(
                Arc::new(StringViewArray::from(values.to_vec())),
                Arc::new(UInt16Array::from(vec![1, 2, 3])),
            ),
            batch(
                Arc::new(LargeStringArray::from(values.to_vec())),
                Arc::new(Int64Array::from(vec![1, 2, 3])),
            ),
        ];
        for form in &forms {
            for i in 0..3 {
                assert_eq!(row_hash(&plain, i), row_hash(form, i), "{:?}", form.schema());
            }
        }
        let changed = batch(
            Arc::new(StringArray::from(vec!["ok", "violation_refused", "ok"])),
            Arc::new(Int64Array::from(vec![1, 2, 3])),
        );
        assert_ne!(row_hash(&plain, 1), row_hash(&changed, 1));
        assert_eq!(row_hash(&plain, 0), row_hash(&changed, 0));
    }
}

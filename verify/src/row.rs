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
//! This crate has no Parquet reader: a reader walks the row and feeds [`RowHasher`] the values.
//!
//! In: column names and values. Out: the row's hash, 64 hex digits.

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

/// Hashes one row, a column at a time, in schema order.
pub struct RowHasher(blake3::Hasher);

impl Default for RowHasher {
    fn default() -> Self {
        RowHasher(blake3::Hasher::new_derive_key(ROW_CONTEXT))
    }
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
        self.0.update(&[1]);
        self.0.update(&(entries.len() as u64).to_le_bytes());
        for (k, v) in entries {
            self.value(k);
            self.value(v);
        }
        self
    }

    /// The row's hash, 64 lower-case hex digits.
    pub fn finish(&self) -> String {
        self.0.finalize().to_hex().to_string()
    }

    fn bytes(&mut self, b: &[u8]) {
        self.0.update(&(b.len() as u64).to_le_bytes());
        self.0.update(b);
    }

    fn value(&mut self, v: Value<'_>) {
        if v == Value::Null {
            self.0.update(&[0]);
            return;
        }
        self.0.update(&[1]);
        match v {
            Value::Null => {}
            Value::Text(s) => self.bytes(s.as_bytes()),
            Value::Int(n) => self.bytes(n.to_string().as_bytes()),
            Value::Float(f) => self.bytes(&f.to_le_bytes()),
            Value::Bool(b) => self.bytes(if b { b"true" } else { b"false" }),
        }
    }
}

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
}

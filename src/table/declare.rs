//! Tables declared once.
//!
//! Every table agaudit writes is one [`table!`](crate::table) declaration: its columns in
//! order, each with a kind (what the row holds, the Arrow type, whether it may be null), a
//! description, and how its text is made safe ([`Redaction`]). From that one list come the row
//! struct, the Arrow schema (and schemas/<table>.arrow.json), a typed builder, and a typed view
//! for reading a batch back — so a reader names a column by a field, never by a string, and a
//! column cannot be added to the schema and forgotten in the writer or the reader.
//!
//! A kind is a type implementing [`Kind`] (in [`kind`]); closed vocabularies are enums declared
//! with [`vocabulary!`](crate::vocabulary), stored as their names.
//!
//! In: the declarations in [`schema`](super::schema). Out: rows, schemas, builders and views.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, MapBuilder, PrimitiveBuilder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float64Type, Int32Type, Int64Type, TimestampMicrosecondType, TimestampNanosecondType, UInt32Type, UInt64Type,
};
use arrow_array::{
    Array, ArrayRef, ArrowPrimitiveType, BooleanArray, MapArray, PrimitiveArray, RecordBatch, StringArray,
};
use arrow_schema::{ArrowError, DataType, Field, Fields, TimeUnit};

crate::vocabulary! {
    /// How a column's text is made safe. Every column says which, and the table's builder
    /// applies it to every value it writes: no stage can write a column and forget to redact it.
    pub enum Redaction {
        /// Not text from the input: numbers, times, flags, hashes and ids agaudit computed or
        /// validated (hex ids), values of a closed vocabulary. Written as is.
        #[default]
        Fixed = "fixed",
        /// A name or token from the input (role, database, object, agent, host, path, file
        /// name, argv): scanned for secrets.
        Identifier = "identifier",
        /// SQL: literals replaced by `?`, then scanned for secrets.
        Sql = "sql",
        /// A server message: quoted values and numbers removed, then scanned for secrets.
        Text = "text",
        /// Structured text (rendered attribute values, JSON, key/value maps): every key and
        /// value scanned for secrets (payload attributes were already cut to their length).
        Structured = "structured",
        /// Free text no attribution needs and that often quotes data (a span's status
        /// description, usually an exception's message): kept only as its length.
        Length = "length",
        /// agaudit's own text, built only from evidence columns already redacted (a reason, a
        /// resource, a finding's detail): written as is.
        Derived = "derived",
    }
}

/// What a table's builder uses to make each value safe as its column's class says, and what it
/// counted removing.
#[derive(Debug, Default)]
pub struct Redact {
    pub counts: crate::redact::RuleCounts,
}

/// Texts already scanned for secrets, with what they became and what the scan counted: the same
/// role, database, file, label, resource attributes and statement shape come back row after row,
/// chunk after chunk. One per thread, so that it outlives the builders of one chunk and no lock
/// is taken. Keyed by content (never by address), with a per-process random seed: input cannot
/// choose colliding keys.
#[derive(Default)]
struct Memo {
    seen: std::collections::HashMap<Box<str>, Remembered, foldhash::fast::RandomState>,
    /// Bytes of keys held in `seen`.
    bytes: usize,
}

/// A text scanned before: what it became (None: unchanged), the redactions counted, and the
/// classes whose first step (removing literals, removing message values) leaves it as it is, so
/// that the next time it comes as such a column the first step can be skipped.
struct Remembered {
    safe: Option<Box<str>>,
    counted: Vec<(&'static str, u64)>,
    kept_by: u8,
}

/// Texts longer than this are made safe every time (they rarely repeat).
const MEMO_LEN: usize = 4096;
/// Bytes of texts remembered per thread before the memo starts over.
const MEMO_BYTES: usize = 4 << 20;

impl Redact {
    /// `text` made safe for a column of class `class`.
    pub fn apply<'t>(&mut self, class: Redaction, text: &'t str) -> Cow<'t, str> {
        // Statements and messages lose their literals and values first; the secret scan, which
        // every class ends with, is what the memo remembers, keyed by the text it scanned.
        let bit = match class {
            Redaction::Fixed | Redaction::Derived => return Cow::Borrowed(text),
            Redaction::Length => return Cow::Owned(crate::redact::only_length("message", text, &mut self.counts)),
            Redaction::Identifier | Redaction::Structured => 0,
            Redaction::Sql => 1,
            Redaction::Text => 2,
        };
        let first_step = |text: &'t str, counts: &mut crate::redact::RuleCounts| -> Cow<'t, str> {
            let r = crate::redact::redactor();
            match class {
                Redaction::Sql => r.sql_without_literals(text, counts),
                Redaction::Text => r.message_without_values(text, counts),
                _ => Cow::Borrowed(text),
            }
        };
        if text.len() > MEMO_LEN {
            let prepared = first_step(text, &mut self.counts);
            return scanned(prepared, &mut self.counts);
        }
        thread_local! {
            static MEMO: std::cell::RefCell<Memo> = std::cell::RefCell::new(Memo::default());
        }
        MEMO.with_borrow_mut(|memo| {
            if let Some(known) = memo.seen.get(text)
                && known.kept_by & bit == bit
            {
                return known.reuse(Cow::Borrowed(text), &mut self.counts);
            }
            let prepared = first_step(text, &mut self.counts);
            let kept_by = if prepared == text { bit } else { 0 };
            if let Some(known) = memo.seen.get_mut(prepared.as_ref()) {
                known.kept_by |= kept_by;
                return known.reuse(prepared, &mut self.counts);
            }
            let mut counted = crate::redact::RuleCounts::new();
            let safe = match crate::redact::redactor().text(&prepared, &mut counted) {
                Cow::Borrowed(_) => None,
                Cow::Owned(s) => Some(s),
            };
            for (rule, n) in &counted {
                *self.counts.entry(rule).or_insert(0) += n;
            }
            if prepared.len() <= MEMO_LEN {
                if memo.bytes + prepared.len() > MEMO_BYTES {
                    memo.seen.clear();
                    memo.bytes = 0;
                }
                memo.bytes += prepared.len();
                let remembered = Remembered {
                    safe: safe.as_deref().map(Box::from),
                    counted: counted.into_iter().collect(),
                    kept_by,
                };
                memo.seen.insert(Box::from(prepared.as_ref()), remembered);
            }
            match safe {
                None => prepared,
                Some(s) => Cow::Owned(s),
            }
        })
    }
}

impl Remembered {
    /// What `prepared` (the text this was remembered for) became, its redactions counted again.
    fn reuse<'t>(&self, prepared: Cow<'t, str>, counts: &mut crate::redact::RuleCounts) -> Cow<'t, str> {
        for (rule, n) in &self.counted {
            *counts.entry(rule).or_insert(0) += n;
        }
        match &self.safe {
            None => prepared,
            Some(safe) => Cow::Owned(safe.to_string()),
        }
    }
}

/// `text` with its secrets redacted, counted into `counts`.
fn scanned<'t>(text: Cow<'t, str>, counts: &mut crate::redact::RuleCounts) -> Cow<'t, str> {
    match crate::redact::redactor().text(&text, counts) {
        Cow::Borrowed(_) => text,
        Cow::Owned(s) => Cow::Owned(s),
    }
}

/// A table's builder, as the stages that collect rows in date partitions see it.
pub trait RowsBuilder {
    /// The rows appended since the last call, as one batch.
    fn finish(&mut self) -> Result<RecordBatch, ArrowError>;
    /// What redacting them removed, per rule (taken: counted once).
    fn take_redactions(&mut self) -> crate::redact::RuleCounts;
}

/// A closed vocabulary stored as text: declared with [`vocabulary!`](crate::vocabulary).
pub trait ColumnEnum: Sized + Copy + Default + std::fmt::Debug + PartialEq + 'static {
    const ALL: &'static [Self];
    fn name(self) -> &'static str;
    fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.name() == s)
    }
    /// The names, comma-separated, for messages and documentation.
    fn names() -> String {
        Self::ALL.iter().map(|v| v.name()).collect::<Vec<_>>().join(", ")
    }
}

/// Declares a closed vocabulary: an enum whose values are stored and shown by their names.
///
/// ```ignore
/// vocabulary! {
///     /// Outcome of a statement.
///     pub enum DbOutcome {
///         #[default]
///         Ok = "ok",
///         Refused = "refused",
///     }
/// }
/// ```
#[macro_export]
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$( $name::$variant ),*];

            /// The names, comma-separated, for messages and documentation.
            pub fn names() -> String {
                <Self as $crate::table::declare::ColumnEnum>::names()
            }

            /// The value's name, as stored.
            pub const fn name(self) -> &'static str {
                match self {
                    $( $name::$variant => $text ),*
                }
            }

            /// The value named `s`.
            pub fn from_name(s: &str) -> Option<Self> {
                <Self as $crate::table::declare::ColumnEnum>::parse(s)
            }
        }

        impl $crate::table::declare::ColumnEnum for $name {
            const ALL: &'static [Self] = $name::ALL;
            fn name(self) -> &'static str {
                $name::name(self)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }

        /// A filter on the command line takes exactly these names (listed in --help and the
        /// completions; clap suggests the nearest for a typo).
        impl ::clap::ValueEnum for $name {
            fn value_variants<'a>() -> &'a [Self] {
                $name::ALL
            }

            fn to_possible_value(&self) -> ::std::option::Option<::clap::builder::PossibleValue> {
                ::std::option::Option::Some(::clap::builder::PossibleValue::new(self.name()))
            }
        }
    };
}

/// Why a batch could not be read as the table it claims to be.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error(
        "{table}: expected a column `{column}` of type {expected}; the case was written by another agaudit version (re-ingest it)"
    )]
    Column {
        table: &'static str,
        column: &'static str,
        expected: &'static str,
    },
    #[error("{table}.{column}: row {row} holds '{value}', not one of {allowed}")]
    Vocabulary {
        table: &'static str,
        column: &'static str,
        row: usize,
        value: String,
        allowed: String,
    },
}

/// A field with its description and redaction in its metadata.
pub fn field(name: &str, data_type: DataType, nullable: bool, doc: &str, redaction: Redaction) -> Field {
    Field::new(name, data_type, nullable).with_metadata(std::collections::HashMap::from([
        ("description".to_string(), doc.to_string()),
        ("redaction".to_string(), redaction.name().to_string()),
    ]))
}

/// The lines of a doc comment as one sentence.
pub fn doc(lines: &[&str]) -> String {
    lines.iter().map(|d| d.trim()).collect::<Vec<_>>().join(" ")
}

/// The type of a key/value string column (labels, attributes).
pub fn string_map() -> DataType {
    let entries = Fields::from(vec![
        Field::new("key", DataType::Utf8, false),
        Field::new("value", DataType::Utf8, true),
    ]);
    DataType::Map(Arc::new(Field::new("entries", DataType::Struct(entries), false)), false)
}

/// What a column kind is: the Rust value a row holds, the Arrow field(s) it makes, how it is
/// built and how it is read back.
pub trait Kind {
    /// The value in a row.
    type Value<'a>: Default + Clone + std::fmt::Debug + PartialEq;
    /// The Arrow builder(s) of the column.
    type Builder;
    /// Typed access to the column of a batch.
    type View<'b>;
    /// The schema field(s); most kinds make one.
    fn fields(name: &str, doc: &str, redaction: Redaction) -> Vec<Field>;
    fn builder() -> Self::Builder;
    /// Appends `v`, made safe as `class` says (text kinds; the others are numbers and flags).
    fn push(b: &mut Self::Builder, v: &Self::Value<'_>, class: Redaction, redact: &mut Redact);
    fn finish(b: &mut Self::Builder, out: &mut Vec<ArrayRef>);
    fn view<'b>(batch: &'b RecordBatch, table: &'static str, name: &'static str) -> Result<Self::View<'b>, TableError>;
}

/// The column `name` of `batch`, checked to be of the type `check` accepts.
fn column<'b, T: 'b>(
    batch: &'b RecordBatch,
    table: &'static str,
    name: &'static str,
    expected: &'static str,
    check: impl FnOnce(&'b dyn Array) -> Option<T>,
) -> Result<T, TableError> {
    batch
        .column_by_name(name)
        .and_then(|c| check(c.as_ref()))
        .ok_or(TableError::Column {
            table,
            column: name,
            expected,
        })
}

fn text_column<'b>(
    batch: &'b RecordBatch,
    table: &'static str,
    name: &'static str,
) -> Result<&'b StringArray, TableError> {
    column(batch, table, name, "utf8", |a| a.as_string_opt::<i32>())
}

fn map_column<'b>(batch: &'b RecordBatch, table: &'static str, name: &'static str) -> Result<MapCol<'b>, TableError> {
    column(batch, table, name, "map<utf8, utf8>", |a| a.as_map_opt()).map(MapCol)
}

fn push_pairs<'k>(
    b: &mut MapBuilder<StringBuilder, StringBuilder>,
    pairs: impl Iterator<Item = (&'k str, &'k str)>,
    class: Redaction,
    redact: &mut Redact,
) {
    for (k, v) in pairs {
        b.keys().append_value(redact.apply(class, k));
        b.values().append_value(redact.apply(class, v));
    }
    // Infallible: keys and values were appended in pairs just above.
    let _ = b.append(true);
}

fn map_builder() -> MapBuilder<StringBuilder, StringBuilder> {
    MapBuilder::new(None, StringBuilder::new(), StringBuilder::new())
}

/// The builder of a map column whose rows often repeat the row before whole (a resource's
/// attributes on each of its spans): such a row is compared with the last one and, when equal,
/// written from what the last one became, its redactions counted again, without being made safe
/// value by value.
#[derive(Default)]
pub struct SharedPairsBuilder {
    map: MapBuilderOf,
    /// The last row as given, what it became, and what making it safe counted.
    last: Vec<(String, String)>,
    last_safe: Vec<(String, String)>,
    last_counted: Vec<(&'static str, u64)>,
}

/// A map column's Arrow builder (a newtype only for its default).
pub struct MapBuilderOf(MapBuilder<StringBuilder, StringBuilder>);

impl Default for MapBuilderOf {
    fn default() -> Self {
        MapBuilderOf(map_builder())
    }
}

impl SharedPairsBuilder {
    fn push(&mut self, pairs: &[(Cow<'_, str>, Cow<'_, str>)], class: Redaction, redact: &mut Redact) {
        let b = &mut self.map.0;
        let same =
            self.last.len() == pairs.len() && self.last.iter().zip(pairs).all(|((lk, lv), (k, v))| lk == k && lv == v);
        if !same {
            let before = std::mem::take(&mut redact.counts);
            self.last_safe.clear();
            for (k, v) in pairs {
                let pair = (redact.apply(class, k).into_owned(), redact.apply(class, v).into_owned());
                self.last_safe.push(pair);
            }
            self.last_counted = std::mem::replace(&mut redact.counts, before).into_iter().collect();
            self.last.clear();
            self.last
                .extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        }
        for (rule, n) in &self.last_counted {
            *redact.counts.entry(rule).or_insert(0) += n;
        }
        for (k, v) in &self.last_safe {
            b.keys().append_value(k);
            b.values().append_value(v);
        }
        // Infallible: keys and values were appended in pairs just above.
        let _ = b.append(true);
    }

    fn finish(&mut self) -> arrow_array::MapArray {
        self.map.0.finish()
    }
}

/// A non-null text column.
pub struct TextCol<'b>(pub &'b StringArray);
/// A nullable text column; an empty string reads as null, as agaudit never writes one.
pub struct OptTextCol<'b>(pub &'b StringArray);
/// A column of a closed vocabulary (every value checked when the view was made).
pub struct EnumCol<'b, E>(&'b StringArray, std::marker::PhantomData<E>);
pub struct OptEnumCol<'b, E>(&'b StringArray, std::marker::PhantomData<E>);
pub struct NumCol<'b, T: ArrowPrimitiveType>(pub &'b PrimitiveArray<T>);
pub struct OptNumCol<'b, T: ArrowPrimitiveType>(pub &'b PrimitiveArray<T>);
pub struct BoolCol<'b>(pub &'b BooleanArray);
pub struct OptBoolCol<'b>(pub &'b BooleanArray);
pub struct MapCol<'b>(pub &'b MapArray);

impl<'b> TextCol<'b> {
    pub fn get(&self, i: usize) -> &'b str {
        self.0.value(i)
    }
}

impl<'b> OptTextCol<'b> {
    pub fn get(&self, i: usize) -> Option<&'b str> {
        self.0.is_valid(i).then(|| self.0.value(i)).filter(|s| !s.is_empty())
    }
}

impl<E: ColumnEnum> EnumCol<'_, E> {
    pub fn get(&self, i: usize) -> E {
        // Checked when the view was made; the default only for a batch changed since.
        E::parse(self.0.value(i)).unwrap_or_default()
    }
}

impl<E: ColumnEnum> OptEnumCol<'_, E> {
    pub fn get(&self, i: usize) -> Option<E> {
        self.0.is_valid(i).then(|| E::parse(self.0.value(i))).flatten()
    }
}

impl<T: ArrowPrimitiveType> NumCol<'_, T> {
    pub fn get(&self, i: usize) -> T::Native {
        self.0.value(i)
    }
}

impl<T: ArrowPrimitiveType> OptNumCol<'_, T> {
    pub fn get(&self, i: usize) -> Option<T::Native> {
        self.0.is_valid(i).then(|| self.0.value(i))
    }
}

impl BoolCol<'_> {
    pub fn get(&self, i: usize) -> bool {
        self.0.value(i)
    }
}

impl OptBoolCol<'_> {
    pub fn get(&self, i: usize) -> Option<bool> {
        self.0.is_valid(i).then(|| self.0.value(i))
    }
}

impl<'b> MapCol<'b> {
    /// The key/value pairs of row `i`, in stored order.
    pub fn get(&self, i: usize) -> Vec<(&'b str, Option<&'b str>)> {
        if self.0.is_null(i) {
            return Vec::new();
        }
        let offsets = self.0.value_offsets();
        let (start, end) = (offsets[i] as usize, offsets[i + 1] as usize);
        let keys = self.0.keys().as_string::<i32>();
        let values = self.0.values().as_string::<i32>();
        (start..end)
            .map(|j| (keys.value(j), values.is_valid(j).then(|| values.value(j))))
            .collect()
    }
}

/// The value of labels given at ingest, borrowed from the file's context.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LabelsRef<'a>(pub &'a BTreeMap<String, String>);

static NO_LABELS: BTreeMap<String, String> = BTreeMap::new();

impl Default for LabelsRef<'_> {
    fn default() -> Self {
        LabelsRef(&NO_LABELS)
    }
}

/// Where a row came from: the provenance columns every OpenTelemetry, MCP and capture table
/// ends with (source_file, source_line, source_blake3, labels). All but the line are the same
/// for every row of a file, so a row borrows them from the file's [`SourceFile`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SourceRef<'a> {
    pub file: &'a str,
    pub line: u64,
    pub blake3: &'a str,
    pub labels: LabelsRef<'a>,
}

/// The file-wide part of [`SourceRef`], owned by the file's ingest.
#[derive(Debug, Clone, Default)]
pub struct SourceFile {
    pub file: String,
    pub blake3: String,
    pub labels: BTreeMap<String, String>,
}

impl SourceFile {
    /// The provenance of the row at `line`.
    pub fn at(&self, line: u64) -> SourceRef<'_> {
        SourceRef {
            file: &self.file,
            line,
            blake3: &self.blake3,
            labels: LabelsRef(&self.labels),
        }
    }
}

/// The source columns of a view.
pub struct SourceCols<'b> {
    pub file: TextCol<'b>,
    pub line: NumCol<'b, UInt64Type>,
    pub blake3: TextCol<'b>,
    pub labels: MapCol<'b>,
}

/// The column kinds a declaration names.
pub mod kind {
    use std::borrow::Cow;
    use std::marker::PhantomData;

    use super::*;

    /// Text (String), never null.
    pub struct Text;
    /// Text (String) or null.
    pub struct OptText;
    /// Text borrowed from the input where nothing had to change, never null.
    pub struct CowText;
    /// Text borrowed from the input, or null.
    pub struct OptCowText;
    /// A value of a closed vocabulary, never null.
    pub struct Enum<E>(PhantomData<E>);
    /// A value of a closed vocabulary, or null.
    pub struct OptEnum<E>(PhantomData<E>);
    /// A boolean, never null.
    pub struct Bool;
    /// A boolean or null.
    pub struct OptBool;
    /// A number, never null: `Num<UInt64Type>`.
    pub struct Num<T>(PhantomData<T>);
    /// A number or null.
    pub struct OptNum<T>(PhantomData<T>);
    /// UTC nanoseconds since the epoch, or null.
    pub struct TsNs;
    /// UTC microseconds since the epoch, or null.
    pub struct TsUs;
    /// Key/value pairs (attributes), borrowed where they could be.
    pub struct Pairs;
    /// Key/value pairs that often repeat the row before whole (a resource's or a scope's
    /// attributes, on each of its spans): see [`SharedPairsBuilder`](super::SharedPairsBuilder).
    pub struct SharedPairs;
    /// The labels given at ingest.
    pub struct Labels;
    /// The four provenance columns of [`SourceRef`].
    pub struct Source;
    /// N nullable text columns named by `C`, held as an array (the semantic-convention columns
    /// of spans, whose attribute mapping is one table indexed by column).
    pub struct Spread<const N: usize, C>(PhantomData<C>);

    pub type U64 = Num<UInt64Type>;
    pub type U32 = Num<UInt32Type>;
    pub type I64 = Num<Int64Type>;
    pub type OptU64 = OptNum<UInt64Type>;
    pub type OptU32 = OptNum<UInt32Type>;
    pub type OptI64 = OptNum<Int64Type>;
    pub type OptI32 = OptNum<Int32Type>;
    pub type OptF64 = OptNum<Float64Type>;

    /// The values of a [`Spread`]: an array of N texts.
    #[derive(Debug, Clone, PartialEq)]
    pub struct SpreadValues<'a, const N: usize>(pub [Option<Cow<'a, str>>; N]);

    impl<const N: usize> Default for SpreadValues<'_, N> {
        fn default() -> Self {
            SpreadValues(std::array::from_fn(|_| None))
        }
    }

    impl<'a, const N: usize> std::ops::Deref for SpreadValues<'a, N> {
        type Target = [Option<Cow<'a, str>>; N];
        fn deref(&self) -> &Self::Target {
            &self.0
        }
    }

    impl<const N: usize> std::ops::DerefMut for SpreadValues<'_, N> {
        fn deref_mut(&mut self) -> &mut Self::Target {
            &mut self.0
        }
    }

    /// The names and descriptions of a [`Spread`]'s columns.
    pub trait SpreadColumns {
        const COLUMNS: &'static [(&'static str, &'static str)];
    }

    /// Every value of a vocabulary column checked to be one of the vocabulary.
    fn vocabulary<'b, E: ColumnEnum>(
        batch: &'b RecordBatch,
        table: &'static str,
        column: &'static str,
    ) -> Result<&'b StringArray, TableError> {
        let a = text_column(batch, table, column)?;
        for i in 0..a.len() {
            if a.is_valid(i) && E::parse(a.value(i)).is_none() {
                return Err(TableError::Vocabulary {
                    table,
                    column,
                    row: i,
                    value: crate::redact::shape(a.value(i), 40),
                    allowed: E::names(),
                });
            }
        }
        Ok(a)
    }

    /// The Arrow type of a primitive column and its name in messages.
    pub trait Primitive: ArrowPrimitiveType + Sized {
        const NAME: &'static str;
        fn data_type() -> DataType {
            Self::DATA_TYPE
        }
        fn builder() -> PrimitiveBuilder<Self> {
            PrimitiveBuilder::new()
        }
    }

    /// A number column: the message name of its type.
    macro_rules! number {
        ($($t:ty = $name:literal),*) => {
            $( impl Primitive for $t {
                const NAME: &'static str = $name;
            } )*
        };
    }

    number!(
        UInt64Type = "uint64",
        UInt32Type = "uint32",
        Int64Type = "int64",
        Int32Type = "int32",
        Float64Type = "float64"
    );

    /// A UTC time column of `unit`.
    macro_rules! utc_time {
        ($($t:ty = $unit:expr, $name:literal),*) => {
            $( impl Primitive for $t {
                const NAME: &'static str = $name;
                fn data_type() -> DataType {
                    DataType::Timestamp($unit, Some("UTC".into()))
                }
                fn builder() -> PrimitiveBuilder<Self> {
                    PrimitiveBuilder::new().with_timezone("UTC")
                }
            } )*
        };
    }

    utc_time!(
        TimestampNanosecondType = TimeUnit::Nanosecond,
        "timestamp[ns, UTC]",
        TimestampMicrosecondType = TimeUnit::Microsecond,
        "timestamp[us, UTC]"
    );

    fn primitive<'b, T: Primitive>(
        batch: &'b RecordBatch,
        t: &'static str,
        n: &'static str,
    ) -> Result<&'b PrimitiveArray<T>, TableError> {
        column(batch, t, n, T::NAME, |a| a.as_primitive_opt::<T>())
    }

    /// The `Kind` of a kind that is one column: its value, its Arrow builder (made by `new`),
    /// its type and nullability, how a value is pushed, and how the column is read back.
    macro_rules! one_column {
        (
            $(@<$($g:ident: $bound:path),*>)? $kind:ty,
            value $value:ty,
            builder $builder:ty = $new:expr,
            column $data_type:expr, nullable $nullable:expr,
            push |$b:ident, $v:ident, $class:ident, $redact:ident| $push:expr,
            view $view:ty = |$batch:ident, $t:ident, $n:ident| $read:expr $(,)?
        ) => {
            impl$(<$($g: $bound),*>)? Kind for $kind {
                type Value<'a> = $value;
                type Builder = $builder;
                type View<'b> = $view;
                fn fields(name: &str, doc: &str, r: Redaction) -> Vec<Field> {
                    vec![field(name, $data_type, $nullable, doc, r)]
                }
                fn builder() -> Self::Builder {
                    $new
                }
                fn push($b: &mut Self::Builder, $v: &Self::Value<'_>, $class: Redaction, $redact: &mut Redact) {
                    $push
                }
                fn finish(b: &mut Self::Builder, out: &mut Vec<ArrayRef>) {
                    out.push(Arc::new(b.finish()));
                }
                fn view<'b>(
                    $batch: &'b RecordBatch,
                    $t: &'static str,
                    $n: &'static str,
                ) -> Result<Self::View<'b>, TableError> {
                    $read
                }
            }
        };
    }

    one_column!(Text, value String, builder StringBuilder = StringBuilder::new(),
        column DataType::Utf8, nullable false, push |b, v, c, r| b.append_value(r.apply(c, v)),
        view TextCol<'b> = |batch, t, n| text_column(batch, t, n).map(TextCol));
    one_column!(OptText, value Option<String>, builder StringBuilder = StringBuilder::new(),
        column DataType::Utf8, nullable true, push |b, v, c, r| b.append_option(v.as_deref().map(|v| r.apply(c, v))),
        view OptTextCol<'b> = |batch, t, n| text_column(batch, t, n).map(OptTextCol));
    one_column!(CowText, value Cow<'a, str>, builder StringBuilder = StringBuilder::new(),
        column DataType::Utf8, nullable false, push |b, v, c, r| b.append_value(r.apply(c, v)),
        view TextCol<'b> = |batch, t, n| text_column(batch, t, n).map(TextCol));
    one_column!(OptCowText, value Option<Cow<'a, str>>, builder StringBuilder = StringBuilder::new(),
        column DataType::Utf8, nullable true, push |b, v, c, r| b.append_option(v.as_deref().map(|v| r.apply(c, v))),
        view OptTextCol<'b> = |batch, t, n| text_column(batch, t, n).map(OptTextCol));
    one_column!(@<E: ColumnEnum> Enum<E>, value E, builder StringBuilder = StringBuilder::new(),
        column DataType::Utf8, nullable false, push |b, v, _c, _r| b.append_value(v.name()),
        view EnumCol<'b, E> = |batch, t, n| vocabulary::<E>(batch, t, n).map(|a| EnumCol(a, PhantomData)));
    one_column!(@<E: ColumnEnum> OptEnum<E>, value Option<E>, builder StringBuilder = StringBuilder::new(),
        column DataType::Utf8, nullable true, push |b, v, _c, _r| b.append_option(v.map(E::name)),
        view OptEnumCol<'b, E> = |batch, t, n| vocabulary::<E>(batch, t, n).map(|a| OptEnumCol(a, PhantomData)));
    one_column!(Bool, value bool, builder BooleanBuilder = BooleanBuilder::new(),
        column DataType::Boolean, nullable false, push |b, v, _c, _r| b.append_value(*v),
        view BoolCol<'b> = |batch, t, n| column(batch, t, n, "bool", |a| a.as_boolean_opt()).map(BoolCol));
    one_column!(OptBool, value Option<bool>, builder BooleanBuilder = BooleanBuilder::new(),
        column DataType::Boolean, nullable true, push |b, v, _c, _r| b.append_option(*v),
        view OptBoolCol<'b> = |batch, t, n| column(batch, t, n, "bool", |a| a.as_boolean_opt()).map(OptBoolCol));
    one_column!(@<T: Primitive> Num<T>, value T::Native, builder PrimitiveBuilder<T> = T::builder(),
        column T::data_type(), nullable false, push |b, v, _c, _r| b.append_value(*v),
        view NumCol<'b, T> = |batch, t, n| primitive(batch, t, n).map(NumCol));
    one_column!(@<T: Primitive> OptNum<T>, value Option<T::Native>, builder PrimitiveBuilder<T> = T::builder(),
        column T::data_type(), nullable true, push |b, v, _c, _r| b.append_option(*v),
        view OptNumCol<'b, T> = |batch, t, n| primitive(batch, t, n).map(OptNumCol));
    one_column!(TsNs, value Option<i64>, builder PrimitiveBuilder<TimestampNanosecondType> = TimestampNanosecondType::builder(),
        column TimestampNanosecondType::data_type(), nullable true, push |b, v, _c, _r| b.append_option(*v),
        view OptNumCol<'b, TimestampNanosecondType> = |batch, t, n| primitive(batch, t, n).map(OptNumCol));
    one_column!(TsUs, value Option<i64>, builder PrimitiveBuilder<TimestampMicrosecondType> = TimestampMicrosecondType::builder(),
        column TimestampMicrosecondType::data_type(), nullable true, push |b, v, _c, _r| b.append_option(*v),
        view OptNumCol<'b, TimestampMicrosecondType> = |batch, t, n| primitive(batch, t, n).map(OptNumCol));
    one_column!(Pairs, value Vec<(Cow<'a, str>, Cow<'a, str>)>, builder MapBuilder<StringBuilder, StringBuilder> = map_builder(),
        column string_map(), nullable false, push |b, v, c, r| push_pairs(b, v.iter().map(|(k, v)| (k.as_ref(), v.as_ref())), c, r),
        view MapCol<'b> = |batch, t, n| map_column(batch, t, n));
    one_column!(SharedPairs, value Vec<(Cow<'a, str>, Cow<'a, str>)>, builder super::SharedPairsBuilder = super::SharedPairsBuilder::default(),
        column string_map(), nullable false, push |b, v, c, r| b.push(v, c, r),
        view MapCol<'b> = |batch, t, n| map_column(batch, t, n));
    one_column!(Labels, value LabelsRef<'a>, builder MapBuilder<StringBuilder, StringBuilder> = map_builder(),
        column string_map(), nullable false, push |b, v, c, r| push_pairs(b, v.0.iter().map(|(k, v)| (k.as_str(), v.as_str())), c, r),
        view MapCol<'b> = |batch, t, n| map_column(batch, t, n));

    /// The descriptions of the source columns; `line` is the declaration's own (what a line
    /// is differs between a JSON-lines file and a capture).
    const SOURCE_FILE_DOC: &str = "raw file the row came from (path as given to ingest)";
    const SOURCE_BLAKE3_DOC: &str = "blake3 of the raw file's bytes (chain of custody, ingest.json)";
    const LABELS_DOC: &str = "every --label KEY=VALUE given at ingest";

    impl Kind for Source {
        type Value<'a> = SourceRef<'a>;
        type Builder = (
            StringBuilder,
            PrimitiveBuilder<UInt64Type>,
            StringBuilder,
            MapBuilder<StringBuilder, StringBuilder>,
        );
        type View<'b> = SourceCols<'b>;
        fn fields(_name: &str, line_doc: &str, _r: Redaction) -> Vec<Field> {
            vec![
                field(
                    "source_file",
                    DataType::Utf8,
                    false,
                    SOURCE_FILE_DOC,
                    Redaction::Identifier,
                ),
                field("source_line", DataType::UInt64, false, line_doc, Redaction::Fixed),
                field(
                    "source_blake3",
                    DataType::Utf8,
                    false,
                    SOURCE_BLAKE3_DOC,
                    Redaction::Fixed,
                ),
                field("labels", string_map(), false, LABELS_DOC, Redaction::Structured),
            ]
        }
        fn builder() -> Self::Builder {
            (
                StringBuilder::new(),
                PrimitiveBuilder::new(),
                StringBuilder::new(),
                map_builder(),
            )
        }
        fn push(b: &mut Self::Builder, v: &SourceRef<'_>, _class: Redaction, redact: &mut Redact) {
            b.0.append_value(redact.apply(Redaction::Identifier, v.file));
            b.1.append_value(v.line);
            b.2.append_value(v.blake3);
            let labels = v.labels.0.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            push_pairs(&mut b.3, labels, Redaction::Structured, redact);
        }
        fn finish(b: &mut Self::Builder, out: &mut Vec<ArrayRef>) {
            out.push(Arc::new(b.0.finish()));
            out.push(Arc::new(b.1.finish()));
            out.push(Arc::new(b.2.finish()));
            out.push(Arc::new(b.3.finish()));
        }
        fn view<'b>(batch: &'b RecordBatch, t: &'static str, _n: &'static str) -> Result<SourceCols<'b>, TableError> {
            Ok(SourceCols {
                file: text_column(batch, t, "source_file").map(TextCol)?,
                line: primitive(batch, t, "source_line").map(NumCol)?,
                blake3: text_column(batch, t, "source_blake3").map(TextCol)?,
                labels: map_column(batch, t, "labels")?,
            })
        }
    }

    impl<const N: usize, C: SpreadColumns> Kind for Spread<N, C> {
        type Value<'a> = SpreadValues<'a, N>;
        type Builder = [StringBuilder; N];
        type View<'b> = [OptTextCol<'b>; N];
        fn fields(_name: &str, _doc: &str, r: Redaction) -> Vec<Field> {
            assert_eq!(C::COLUMNS.len(), N, "a spread declares as many columns as it holds");
            C::COLUMNS
                .iter()
                .map(|(n, d)| field(n, DataType::Utf8, true, d, r))
                .collect()
        }
        fn builder() -> Self::Builder {
            std::array::from_fn(|_| StringBuilder::new())
        }
        fn push(b: &mut Self::Builder, v: &Self::Value<'_>, class: Redaction, redact: &mut Redact) {
            for (b, v) in b.iter_mut().zip(v.iter()) {
                b.append_option(v.as_deref().map(|v| redact.apply(class, v)));
            }
        }
        fn finish(b: &mut Self::Builder, out: &mut Vec<ArrayRef>) {
            out.extend(b.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
        }
        fn view<'b>(batch: &'b RecordBatch, t: &'static str, _n: &'static str) -> Result<Self::View<'b>, TableError> {
            let mut cols = Vec::with_capacity(N);
            for (n, _) in C::COLUMNS {
                cols.push(OptTextCol(text_column(batch, t, n)?));
            }
            cols.try_into().map_err(|_| TableError::Column {
                table: t,
                column: C::COLUMNS.first().map_or("", |c| c.0),
                expected: "the spread's columns",
            })
        }
    }
}

/// Declares a table: its row struct, schema, builder and typed view, from one list of columns.
///
/// ```ignore
/// table! {
///     /// One action, ready to write.
///     pub struct ActionRow in "actions", builder ActionsBuilder, view ActionsView {
///         /// 32 hex digits: blake3 of the evidence row hash
///         action_id: Text = Fixed,
///         ts: TsNs = Fixed,
///         agent: OptText = Identifier,
///     }
/// }
/// ```
///
/// The kinds are the types of [`kind`]; the doc comment of a column is its description in the
/// schema.
#[macro_export]
macro_rules! table {
    (
        $(#[$meta:meta])*
        pub struct $row:ident <$lt:lifetime> in $table:literal, builder $builder:ident, view $view:ident { $($cols:tt)* }
    ) => {
        $crate::table!(@emit [$(#[$meta])*] $row [<$lt>] [<'_>] $lt $table $builder $view { $($cols)* });
    };
    (
        $(#[$meta:meta])*
        pub struct $row:ident in $table:literal, builder $builder:ident, view $view:ident { $($cols:tt)* }
    ) => {
        $crate::table!(@emit [$(#[$meta])*] $row [] [] 'static $table $builder $view { $($cols)* });
    };
    (
        @emit [$($meta:tt)*] $row:ident [$($gen:tt)*] [$($anon:tt)*] $lt:lifetime $table:literal $builder:ident $view:ident {
            $(
                $(#[doc = $doc:literal])*
                $col:ident : $kind:ty = $redaction:ident
            ),* $(,)?
        }
    ) => {
        $($meta)*
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct $row $($gen)* {
            $(
                $(#[doc = $doc])*
                pub $col: <$kind as $crate::table::declare::Kind>::Value<$lt>,
            )*
        }

        impl $($gen)* $row $($gen)* {
            /// The table's name: its directory under CASE/parquet/.
            pub const TABLE: &'static str = $table;

            /// The Arrow schema (mirrored in schemas/<table>.arrow.json).
            pub fn schema() -> ::arrow_schema::SchemaRef {
                static SCHEMA: ::std::sync::OnceLock<::arrow_schema::SchemaRef> = ::std::sync::OnceLock::new();
                SCHEMA
                    .get_or_init(|| {
                        let mut fields: ::std::vec::Vec<::arrow_schema::Field> = ::std::vec::Vec::new();
                        $(
                            fields.extend(<$kind as $crate::table::declare::Kind>::fields(
                                stringify!($col),
                                &$crate::table::declare::doc(&[$($doc),*]),
                                $crate::table::declare::Redaction::$redaction,
                            ));
                        )*
                        ::std::sync::Arc::new(::arrow_schema::Schema::new(fields))
                    })
                    .clone()
            }
        }

        /// Collects rows of this table into a record batch, each value made safe as its
        /// column's redaction class says.
        pub struct $builder {
            $( $col: <$kind as $crate::table::declare::Kind>::Builder, )*
            len: usize,
            redact: $crate::table::declare::Redact,
        }

        impl ::std::default::Default for $builder {
            fn default() -> Self {
                $builder {
                    $( $col: <$kind as $crate::table::declare::Kind>::builder(), )*
                    len: 0,
                    redact: $crate::table::declare::Redact::default(),
                }
            }
        }

        impl $builder {
            pub fn new() -> Self {
                Self::default()
            }

            pub fn len(&self) -> usize {
                self.len
            }

            pub fn is_empty(&self) -> bool {
                self.len == 0
            }

            pub fn append(&mut self, row: &$row $($anon)*) {
                $(
                    <$kind as $crate::table::declare::Kind>::push(
                        &mut self.$col,
                        &row.$col,
                        $crate::table::declare::Redaction::$redaction,
                        &mut self.redact,
                    );
                )*
                self.len += 1;
            }

            /// The rows appended since the last call, as one batch.
            pub fn finish(&mut self) -> ::std::result::Result<::arrow_array::RecordBatch, ::arrow_schema::ArrowError> {
                self.len = 0;
                let mut columns: ::std::vec::Vec<::arrow_array::ArrayRef> = ::std::vec::Vec::new();
                $( <$kind as $crate::table::declare::Kind>::finish(&mut self.$col, &mut columns); )*
                ::arrow_array::RecordBatch::try_new($row::schema(), columns)
            }

            /// What redacting the rows removed, per rule; taken, so that it is counted once.
            pub fn take_redactions(&mut self) -> $crate::redact::RuleCounts {
                ::std::mem::take(&mut self.redact.counts)
            }
        }

        impl $crate::table::declare::RowsBuilder for $builder {
            fn finish(&mut self) -> ::std::result::Result<::arrow_array::RecordBatch, ::arrow_schema::ArrowError> {
                $builder::finish(self)
            }

            fn take_redactions(&mut self) -> $crate::redact::RuleCounts {
                $builder::take_redactions(self)
            }
        }

        /// Typed access to the columns of a batch of this table.
        pub struct $view<'b> {
            $( pub $col: <$kind as $crate::table::declare::Kind>::View<'b>, )*
            pub num_rows: usize,
        }

        impl<'b> $view<'b> {
            /// The view of `batch`; an error names the missing or mistyped column.
            pub fn of(batch: &'b ::arrow_array::RecordBatch) -> ::std::result::Result<Self, $crate::table::declare::TableError> {
                Ok($view {
                    $( $col: <$kind as $crate::table::declare::Kind>::view(batch, $table, stringify!($col))?, )*
                    num_rows: batch.num_rows(),
                })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::kind::*;
    use super::*;

    #[test]
    fn a_repeated_row_of_shared_pairs_is_written_and_counted_like_the_first() {
        let key = "AKIAABCDEFGHIJKLMNOP";
        let a: Vec<(Cow<'_, str>, Cow<'_, str>)> = vec![("host".into(), "db1".into()), ("token".into(), key.into())];
        let b: Vec<(Cow<'_, str>, Cow<'_, str>)> = vec![("host".into(), "db2".into())];
        let mut builder = SharedPairsBuilder::default();
        let mut r = Redact::default();
        for row in [&a, &a, &b, &a, &a[..1].to_vec()] {
            builder.push(row, Redaction::Structured, &mut r);
        }
        let map = builder.finish();
        let rows: Vec<Vec<(String, String)>> = (0..map.len())
            .map(|i| {
                let entries = map.value(i);
                let (k, v) = (
                    entries.column(0).as_string::<i32>(),
                    entries.column(1).as_string::<i32>(),
                );
                (0..entries.len())
                    .map(|j| (k.value(j).to_string(), v.value(j).to_string()))
                    .collect()
            })
            .collect();
        let safe_a = vec![
            ("host".to_string(), "db1".to_string()),
            ("token".to_string(), "[REDACTED:aws_access_key_id]".to_string()),
        ];
        assert_eq!(rows[0], safe_a);
        assert_eq!((&rows[1], &rows[3]), (&safe_a, &safe_a));
        assert_eq!(rows[2], vec![("host".to_string(), "db2".to_string())]);
        assert_eq!(rows[4], vec![("host".to_string(), "db1".to_string())]);
        assert_eq!(r.counts.get("aws_access_key_id"), Some(&3));
    }

    #[test]
    fn the_memo_never_skips_a_first_step_and_counts_every_time() {
        let mut r = Redact::default();
        let key = "AKIAABCDEFGHIJKLMNOP";
        use Redaction::{Identifier, Sql, Text};
        let shape = "select * from t where a = ?";
        // In order, through one memo: (class, text, what it becomes).
        let steps = [
            // Scanned as an identifier first: remembered, but a statement with the same text
            // still loses its literal.
            (Identifier, "select 1", "select 1"),
            (Sql, "select 1", "select ?"),
            (Sql, "select 1", "select ?"),
            // A shape seen as the result of removing literals, then as a statement of its own.
            (Sql, shape, shape),
            (Sql, "select * from t where a = 'x'", shape),
            (Sql, shape, shape),
            // A message's values go whatever the memo holds.
            (Identifier, "value 42 is out of range", "value 42 is out of range"),
            (Text, "value 42 is out of range", "value ? is out of range"),
        ];
        for (class, text, safe) in steps {
            assert_eq!(r.apply(class, text), safe, "{class:?} {text}");
        }
        // Secrets are redacted and counted on every use, remembered or not.
        for class in [
            Redaction::Identifier,
            Redaction::Identifier,
            Redaction::Sql,
            Redaction::Structured,
        ] {
            assert!(!r.apply(class, key).contains(key));
        }
        let statement = format!("select '{key}' as k");
        assert_eq!(r.apply(Redaction::Sql, &statement), "select ? as k");
        assert_eq!(
            r.apply(Redaction::Sql, &format!("select 1, {key}")),
            "select ?, [REDACTED:aws_access_key_id]"
        );
        assert_eq!(r.counts.get("aws_access_key_id"), Some(&5));
        assert_eq!(r.counts.get(crate::redact::SQL_LITERAL), Some(&5));
        assert_eq!(r.counts.get(crate::redact::MESSAGE_VALUE), Some(&1));
    }

    crate::vocabulary! {
        /// A test vocabulary.
        pub enum Colour {
            #[default]
            Red = "red",
            Blue = "blue",
        }
    }

    crate::table! {
        /// A test table.
        pub struct TestRow<'a> in "test", builder TestBuilder, view TestView {
            /// an id
            /// over two lines
            id: Text = Fixed,
            name: OptCowText = Identifier,
            colour: Enum<Colour> = Fixed,
            n: OptU64 = Fixed,
            at: TsNs = Fixed,
            attrs: Pairs = Structured,
            /// line of the test input
            source: Source = Fixed,
        }
    }

    #[test]
    fn one_declaration_gives_schema_builder_and_view() {
        let schema = TestRow::schema();
        assert_eq!(TestRow::TABLE, "test");
        assert_eq!(schema.fields().len(), 10);
        assert_eq!(schema.field(0).metadata()["description"], "an id over two lines");
        assert_eq!(schema.field(1).metadata()["redaction"], "identifier");
        assert_eq!(schema.field(7).name(), "source_line");
        assert_eq!(schema.field(7).metadata()["description"], "line of the test input");
        let file = SourceFile {
            file: "f".into(),
            blake3: "b".into(),
            labels: [("server".to_string(), "prod".to_string())].into(),
        };
        let mut b = TestBuilder::new();
        b.append(&TestRow {
            id: "x".into(),
            name: Some(Cow::Borrowed("alice")),
            colour: Colour::Blue,
            n: Some(3),
            at: Some(7),
            attrs: vec![(Cow::Borrowed("k"), Cow::Borrowed("v"))],
            source: file.at(4),
        });
        b.append(&TestRow::default());
        assert_eq!(b.len(), 2);
        let batch = b.finish().unwrap();
        assert!(b.is_empty());
        let v = TestView::of(&batch).unwrap();
        assert_eq!(
            (v.id.get(0), v.name.get(0), v.colour.get(0), v.n.get(0)),
            ("x", Some("alice"), Colour::Blue, Some(3))
        );
        assert_eq!(
            (v.name.get(1), v.n.get(1), v.at.get(1), v.colour.get(1)),
            (None, None, None, Colour::Red)
        );
        assert_eq!(v.attrs.get(0), vec![("k", Some("v"))]);
        assert_eq!(v.attrs.get(1), vec![]);
        assert_eq!((v.source.file.get(0), v.source.line.get(0)), ("f", 4));
        assert_eq!(v.source.labels.get(0), vec![("server", Some("prod"))]);
        assert_eq!(v.num_rows, 2);
    }

    #[test]
    fn a_value_outside_the_vocabulary_or_a_missing_column_is_an_error_naming_it() {
        let mut b = TestBuilder::new();
        b.append(&TestRow::default());
        let batch = b.finish().unwrap();
        let i = batch.schema().index_of("colour").unwrap();
        let mut columns = batch.columns().to_vec();
        columns[i] = Arc::new(StringArray::from(vec!["green"]));
        let bad = RecordBatch::try_new(batch.schema(), columns).unwrap();
        let e = TestView::of(&bad).err().unwrap().to_string();
        assert!(
            e.contains("test.colour: row 0 holds 'aaaaa', not one of red, blue"),
            "{e}"
        );
        let e = TestView::of(&bad.project(&[0]).unwrap()).err().unwrap().to_string();
        assert!(e.contains("test: expected a column `name` of type utf8"), "{e}");
    }

    #[test]
    fn vocabulary_names_round_trip() {
        assert_eq!(Colour::from_name("blue"), Some(Colour::Blue));
        assert_eq!(Colour::Blue.to_string(), "blue");
        assert_eq!(Colour::names(), "red, blue");
        assert_eq!(serde_json::to_string(&Colour::Red).unwrap(), "\"red\"");
    }
}

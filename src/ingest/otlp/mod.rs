//! OpenTelemetry OTLP JSON (traces and logs) → the `spans`, `log_events` and `tool_hints` tables.
//!
//! Two layouts: the Collector's file exporter (JSON lines, one export request per line, parsed
//! in parallel in chunks) and a single OTLP/HTTP JSON request body (one document, possibly
//! pretty-printed). Each request either becomes rows — every span and log record, redacted, with
//! the semantic-convention fields lifted into columns by [`semconv`] — or is quarantined whole
//! with the reason (a request is the unit the exporter wrote, so it is kept or refused as one).
//!
//! In: a decompressed reader over one OTLP JSON file. Out: Parquet parts, quarantine, counts.

pub mod model;
pub mod semconv;

use std::borrow::Cow;
use std::io::Read;

use model::{AnyValue, Enum, KeyValue, Request};
use semconv::{AttributeKind, Hint, LogTarget, SpanTarget};

use crate::ingest::framing::{self, Chunk, Framer, Framing, Splitter};
use crate::ingest::pipeline::{Chunks, Format};
use crate::ingest::sink::{self, ChunkOut, DatePartitions};
use crate::redact::sql::Dialect;
use crate::redact::{self, RuleCounts};
use crate::table::declare::kind::SpreadValues;
use crate::table::declare::{ColumnEnum, SourceFile, SourceRef};
use crate::table::schema::{LogEventRow, LogEventsBuilder};
use crate::table::spans::{SEMCONV_COUNT, Semconv, SpanKind, SpanRow, SpanStatus, SpansBuilder};
use crate::table::tool_hints::{self, Hints, Origin, ToolHintRow, ToolHintsBuilder};

/// How the requests are laid out in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One request per line (the Collector's file exporter).
    Lines,
    /// One request in the whole file (an OTLP/HTTP JSON body).
    Document,
}

/// A single-document file larger than this is refused (the file exporter's JSON lines have no
/// such limit: they are streamed).
pub const MAX_DOCUMENT_BYTES: usize = 256 << 20;

/// OTLP JSON in one layout, as an ingest format.
pub struct Otlp {
    pub layout: Layout,
}

impl Format for Otlp {
    fn tables(&self) -> Vec<(&'static str, arrow_schema::SchemaRef)> {
        vec![
            (SpanRow::TABLE, SpanRow::schema()),
            (LogEventRow::TABLE, LogEventRow::schema()),
            (ToolHintRow::TABLE, ToolHintRow::schema()),
        ]
    }

    fn parse(&self, reader: Box<dyn Read + Send>, source: &SourceFile, out: &Chunks<'_>) -> Option<String> {
        match self.layout {
            Layout::Lines => {
                let framer = Framer::new(reader, Framing::Lines, Splitter::plain());
                out.parse_all(framer, |chunk| process_chunk(chunk, source))
            }
            Layout::Document => {
                let doc = framing::read_document(reader, MAX_DOCUMENT_BYTES);
                out.emit(process_document(&doc, source));
                doc.read_error
            }
        }
    }
}

/// Builders of one chunk, per table and date partition.
#[derive(Default)]
struct Builders {
    spans: DatePartitions<SpansBuilder>,
    logs: DatePartitions<LogEventsBuilder>,
    hints: DatePartitions<ToolHintsBuilder>,
}

impl Builders {
    fn into_batches(self, out: &mut ChunkOut) {
        out.add_partitions(SpanRow::TABLE, self.spans);
        out.add_partitions(LogEventRow::TABLE, self.logs);
        out.add_partitions(ToolHintRow::TABLE, self.hints);
    }
}

fn process_chunk(chunk: &Chunk, source: &SourceFile) -> ChunkOut {
    let mut out = ChunkOut::new(chunk.seq);
    let mut builders = Builders::default();
    for r in &chunk.records {
        out.counts.lines_read += u64::from(r.lines);
        let bytes = chunk.bytes(r);
        match r.problem {
            Some(problem) => out.quarantine(bytes, r.line, r.lines, &sink::problem_reason(problem)),
            None => process_request(bytes, r.line, r.lines, source, &mut out, &mut builders),
        }
    }
    builders.into_batches(&mut out);
    out
}

/// A file holding one request (an OTLP/HTTP JSON body), read whole.
fn process_document(doc: &framing::Document, source: &SourceFile) -> ChunkOut {
    let mut out = ChunkOut::new(0);
    out.counts.lines_read = doc.lines;
    let lines = u32::try_from(doc.lines).unwrap_or(u32::MAX);
    if doc.too_big {
        out.quarantine(
            &doc.bytes,
            1,
            lines,
            &format!(
                "a single OTLP JSON document larger than {} MiB: write one request per line (the Collector's file exporter does) so it can be streamed",
                MAX_DOCUMENT_BYTES >> 20
            ),
        );
        // lines may exceed u32: keep the counts exact.
        out.counts.quarantined_lines = doc.lines;
    } else {
        let mut builders = Builders::default();
        process_request(&doc.bytes, 1, lines, source, &mut out, &mut builders);
        builders.into_batches(&mut out);
    }
    out
}

/// Rows made from one request, kept apart until the whole request converted.
#[derive(Default)]
struct Rows<'r> {
    spans: Vec<SpanRow<'r>>,
    logs: Vec<LogEventRow<'r>>,
    hints: Vec<ToolHintRow<'r>>,
}

/// One export request (a JSON line or the whole document): rows, or one quarantine entry.
fn process_request(bytes: &[u8], line: u64, lines: u32, source: &SourceFile, out: &mut ChunkOut, b: &mut Builders) {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        out.counts.add_other("blank", u64::from(lines));
        return;
    }
    // Validated once, whole: the parser then borrows strings without checking each again.
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let reason = format!(
                "invalid UTF-8 at line {line}, byte {} of the line: OTLP JSON is read as UTF-8",
                e.valid_up_to() + 1
            );
            out.quarantine(bytes, line, lines, &reason);
            return;
        }
    };
    let request: Request = match serde_json::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            out.quarantine(bytes, line, lines, &json_error(&e, "an OTLP JSON export request"));
            return;
        }
    };
    if request.resource_spans.is_empty() && request.resource_logs.is_empty() {
        if request.resource_metrics.is_some() || request.resource_profiles.is_some() {
            out.quarantine(
                bytes,
                line,
                lines,
                "OTLP metrics or profiles: agaudit ingests traces and logs only",
            );
        } else {
            out.counts.add_other("otlp_empty_request", u64::from(lines));
        }
        return;
    }
    let mut counts = RuleCounts::new();
    let mut rows = Rows::default();
    let at = source.at(line);
    let converted = convert_spans(&request, at, &mut rows, &mut counts)
        .and_then(|()| convert_logs(&request, at, &mut rows, &mut counts));
    if let Err(reason) = converted {
        out.quarantine(bytes, line, lines, &reason.to_string());
        return;
    }
    for (k, v) in counts {
        *out.redactions.entry(k).or_insert(0) += v;
    }
    if rows.spans.is_empty() && rows.logs.is_empty() {
        out.counts.add_other("otlp_empty_request", u64::from(lines));
        return;
    }
    out.counts.row_lines += u64::from(lines);
    for s in &rows.spans {
        b.spans.for_micros(micros(s.start_time), SpansBuilder::new).append(s);
    }
    for l in &rows.logs {
        b.logs
            .for_micros(micros(l.time.or(l.observed_time)), LogEventsBuilder::new)
            .append(l);
    }
    for h in &rows.hints {
        b.hints.for_micros(micros(h.seen_at), ToolHintsBuilder::new).append(h);
    }
}

fn micros(ns: Option<i64>) -> Option<i64> {
    ns.map(|n| n.div_euclid(1000))
}

/// A JSON error as a reason: kind and position, never the input's values (serde quotes the
/// offending value in some messages, so everything between quotes is dropped).
pub fn json_error(e: &serde_json::Error, expected: &str) -> String {
    let msg = without_values(&e.to_string());
    let what = match e.classify() {
        serde_json::error::Category::Io => "unreadable",
        serde_json::error::Category::Syntax => "invalid JSON",
        serde_json::error::Category::Data => "valid JSON, but not",
        serde_json::error::Category::Eof => "truncated JSON, expected",
    };
    match e.classify() {
        serde_json::error::Category::Data => format!("{what} {expected}: {msg}"),
        serde_json::error::Category::Eof => format!("{what} the rest of {expected}: {msg}"),
        _ => format!("{what} (expected {expected}): {msg}"),
    }
}

/// serde's message with the input's values taken out: a quoted string (`"…"`, from the first
/// quote to the last, since the value may hold quotes) or a `` `…` ``-quoted value becomes
/// `<value>`, and a number outside "line N column M" becomes `<number>`.
fn without_values(msg: &str) -> String {
    let (msg, at) = match msg.rfind(" at line ") {
        Some(i) => msg.split_at(i),
        None => (msg, ""),
    };
    let mut msg = msg.to_string();
    for q in ['"', '`'] {
        if let (Some(a), Some(b)) = (msg.find(q), msg.rfind(q))
            && b > a
        {
            msg = format!("{}<value>{}", &msg[..a], &msg[b + 1..]);
        }
    }
    let mut out = String::with_capacity(msg.len() + at.len());
    let (mut number, mut word) = (false, false);
    for c in msg.chars() {
        // Digits ending a word (int64) are the word's.
        let part_of_number = !word && (c.is_ascii_digit() || (number && matches!(c, '.' | 'e' | 'E' | '+' | '-')));
        if part_of_number {
            if !number {
                out.push_str("<number>");
            }
        } else {
            out.push(c);
            word = c.is_alphanumeric() || c == '_';
        }
        number = part_of_number;
    }
    out + at
}

/// A span or log record field that cannot be stored, where it is in the request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at}: {problem}")]
pub struct FieldError {
    /// The field's path in the request: resourceSpans[0].scopeSpans[1].spans[2].traceId.
    pub at: String,
    pub problem: Problem,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("expected {digits} hex digits (OTLP JSON encodes ids as hex, not base64), found {found} characters")]
    Id { digits: usize, found: usize },
    #[error("timestamp {0} ns is after the year 2262")]
    Time(u64),
}

/// An id as lower-case hex of `digits` digits; empty or all zeros (invalid per W3C) → None.
fn hex_id(v: Option<&Cow<'_, str>>, digits: usize, at: &dyn Fn() -> String) -> Result<Option<String>, FieldError> {
    let Some(v) = v.filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if v.len() != digits || !v.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(FieldError {
            at: at(),
            problem: Problem::Id {
                digits,
                found: v.chars().count(),
            },
        });
    }
    Ok(v.bytes().any(|c| c != b'0').then(|| v.to_ascii_lowercase()))
}

fn nanos(v: Option<model::Fixed64>, at: &dyn Fn() -> String) -> Result<Option<i64>, FieldError> {
    match v {
        None | Some(model::Fixed64(0)) => Ok(None),
        Some(model::Fixed64(n)) => i64::try_from(n).map(Some).map_err(|_| FieldError {
            at: at(),
            problem: Problem::Time(n),
        }),
    }
}

const KIND_NAMES: &[&str] = &[
    "SPAN_KIND_UNSPECIFIED",
    "SPAN_KIND_INTERNAL",
    "SPAN_KIND_SERVER",
    "SPAN_KIND_CLIENT",
    "SPAN_KIND_PRODUCER",
    "SPAN_KIND_CONSUMER",
];
const STATUS_NAMES: &[&str] = &["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"];

/// The value of a protobuf enum given by number or by its protobuf name; the vocabulary lists
/// the values in protobuf order, and `unknown` stands for a number it does not define.
fn enum_value<E: ColumnEnum>(v: Option<&Enum>, proto: &[&str], unknown: E) -> E {
    match v.map(|e| e.number(proto)) {
        None => E::ALL[0],
        Some(Some(n)) => usize::try_from(n)
            .ok()
            .filter(|&i| i < proto.len())
            .map_or(unknown, |i| E::ALL[i]),
        Some(None) => unknown,
    }
}

/// A value as text: strings as they are, numbers in decimal, arrays and maps as JSON, bytes only
/// as their length.
fn render<'r>(v: &'r AnyValue<'_>) -> Cow<'r, str> {
    if let Some(s) = &v.string_value {
        return Cow::Borrowed(s.as_ref());
    }
    match to_json(v) {
        serde_json::Value::String(s) => Cow::Owned(s),
        serde_json::Value::Null => Cow::Borrowed(""),
        other => Cow::Owned(other.to_string()),
    }
}

fn to_json(v: &AnyValue<'_>) -> serde_json::Value {
    use serde_json::Value;
    if let Some(s) = &v.string_value {
        Value::String(s.to_string())
    } else if let Some(b) = v.bool_value {
        Value::Bool(b)
    } else if let Some(i) = v.int_value {
        Value::from(i.0)
    } else if let Some(d) = v.double_value {
        serde_json::Number::from_f64(d.0).map_or_else(|| Value::String(d.0.to_string()), Value::Number)
    } else if let Some(a) = &v.array_value {
        Value::Array(a.values.iter().map(to_json).collect())
    } else if let Some(kv) = &v.kvlist_value {
        Value::Object(
            kv.values
                .iter()
                .map(|e| (e.key.to_string(), e.value.as_ref().map_or(Value::Null, to_json)))
                .collect(),
        )
    } else if let Some(b) = &v.bytes_value {
        let padding = b.bytes().rev().take_while(|c| *c == b'=').count();
        Value::String(format!("[bytes: {}]", (b.len() * 3 / 4).saturating_sub(padding)))
    } else {
        Value::Null
    }
}

fn payload(len: usize) -> Cow<'static, str> {
    Cow::Owned(redact::length_marker("payload", len))
}

/// What the statements of a span or log record are written in, from its db.system.name (or
/// db.system) attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QueryLanguage {
    Sql(Dialect),
    /// A database whose queries are not SQL (MongoDB filters, Redis commands, Elasticsearch
    /// DSL): a query is data, kept only as its length.
    NotSql,
}

/// Databases whose queries are not SQL (db.system.name values of the semantic conventions).
const NOT_SQL: &[&str] = &[
    "mongodb",
    "redis",
    "memcached",
    "elasticsearch",
    "opensearch",
    "couchdb",
    "aws.dynamodb",
    "dynamodb",
    "hbase",
    "geode",
    "aerospike",
];

/// The query language of a db.system(.name) value: PostgreSQL's SQL for PostgreSQL (and
/// CockroachDB), no SQL for the databases in [`NOT_SQL`], and for any other database or none
/// named, SQL whose "…" may be a string — the reading that keeps less.
fn query_language(db_system: Option<&str>) -> QueryLanguage {
    match db_system.map(|s| s.trim().to_ascii_lowercase()) {
        Some(s) if s == "postgresql" || s == "cockroachdb" => QueryLanguage::Sql(Dialect::Postgres),
        Some(s) if NOT_SQL.contains(&s.as_str()) => QueryLanguage::NotSql,
        _ => QueryLanguage::Sql(Dialect::DoubleQuotedStrings),
    }
}

/// The query language named among `attrs`, if one is.
fn named_query_language(attrs: &[KeyValue<'_>]) -> Option<QueryLanguage> {
    ["db.system.name", "db.system"]
        .iter()
        .find_map(|k| {
            attrs
                .iter()
                .find(|kv| kv.key == *k)
                .and_then(|kv| kv.value.as_ref())
                .and_then(|v| v.string_value.as_deref())
        })
        .map(|system| query_language(Some(system)))
}

/// The query language of `attrs`' statements.
fn query_language_of(attrs: &[KeyValue<'_>]) -> QueryLanguage {
    named_query_language(attrs).unwrap_or(query_language(None))
}

/// A query as stored: SQL without its literals, or another language's query as its length. The
/// secret scan is left to the builder of the column it goes to (db_query is `sql`, the attribute
/// and body maps `structured`, a span's name `identifier`: every one of them scans), which
/// remembers the scan of a statement's shape instead of scanning it again span after span.
fn stored_query(query: &str, lang: QueryLanguage, counts: &mut RuleCounts) -> String {
    match lang {
        QueryLanguage::Sql(dialect) => redact::redactor()
            .sql_without_literals_in(query, dialect, counts)
            .into_owned(),
        QueryLanguage::NotSql => redact::only_length("payload", query, counts),
    }
}

/// A key/value pair as stored in an attribute map: the value as [`stored_value`] keeps it, as
/// text (maps and arrays as JSON); the builder secret-scans keys and values (the maps are
/// `structured` columns).
fn stored<'r>(kv: &'r KeyValue<'_>, lang: QueryLanguage, counts: &mut RuleCounts) -> (Cow<'r, str>, Cow<'r, str>) {
    let key = Cow::Borrowed(kv.key.as_ref());
    let Some(v) = kv.value.as_ref() else {
        return (key, Cow::Borrowed(""));
    };
    // The common case, a plain string, without a copy.
    if let Some(s) = &v.string_value
        && semconv::attribute_kind(&kv.key) == AttributeKind::Plain
    {
        return (key, redact::url_query_values_out(s, counts));
    }
    let value = match stored_value(&kv.key, v, lang, counts) {
        serde_json::Value::String(s) => s,
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    (key, Cow::Owned(value))
}

/// An attribute's value as stored, by what its key says it is (semconv::AttributeKind):
/// payloads and free messages only as their length, statements without their literals, a
/// credential replaced, a command line as [`redact::command_line`] keeps it; a map entry by
/// entry and an array element by element, a nested key saying what its value is just as a
/// top-level one does (`{"prompt": …}` inside a map is a payload too); anything else as it is.
fn stored_value(key: &str, v: &AnyValue<'_>, lang: QueryLanguage, counts: &mut RuleCounts) -> serde_json::Value {
    use serde_json::Value;
    match semconv::attribute_kind(key) {
        AttributeKind::Payload => Value::String(payload(render(v).len()).into_owned()),
        AttributeKind::Message => Value::String(redact::only_length("message", &render(v), counts)),
        AttributeKind::Sql => Value::String(stored_query(&render(v), lang, counts)),
        AttributeKind::Credential => {
            *counts.entry(redact::CREDENTIAL_ATTRIBUTE).or_insert(0) += 1;
            Value::String(format!("[REDACTED:{}]", redact::CREDENTIAL_ATTRIBUTE))
        }
        AttributeKind::CommandLine => {
            let args: Vec<Cow<'_, str>> = match &v.array_value {
                Some(a) => a.values.iter().map(render).collect(),
                None => vec![render(v)],
            };
            Value::String(redact::command_line(&args, counts))
        }
        AttributeKind::Plain => {
            if let Some(kv) = &v.kvlist_value {
                map_value(kv, lang, counts)
            } else if let Some(a) = &v.array_value {
                Value::Array(a.values.iter().map(|e| stored_value(key, e, lang, counts)).collect())
            } else if let Some(s) = &v.string_value {
                Value::String(redact::url_query_values_out(s, counts).into_owned())
            } else {
                to_json(v)
            }
        }
    }
}

/// A map value as stored: entry by entry, each nested key saying what its value is.
fn map_value(kv: &model::KeyValueList<'_>, lang: QueryLanguage, counts: &mut RuleCounts) -> serde_json::Value {
    serde_json::Value::Object(
        kv.values
            .iter()
            .map(|e| (e.key.to_string(), entry_value(e, lang, counts)))
            .collect(),
    )
}

fn entry_value(kv: &KeyValue<'_>, lang: QueryLanguage, counts: &mut RuleCounts) -> serde_json::Value {
    kv.value
        .as_ref()
        .map_or(serde_json::Value::Null, |v| stored_value(&kv.key, v, lang, counts))
}

/// A log record's body as stored. Text is the record's message: kept as SQL when it reads as a
/// statement (literals out), as it is when it is an event name (claude_code.tool_result), and
/// otherwise only as its length, since a message quotes whatever the program was handling. A
/// map is kept entry by entry like attributes; a list item by item like a body.
fn stored_body(v: &AnyValue<'_>, lang: QueryLanguage, counts: &mut RuleCounts) -> serde_json::Value {
    use serde_json::Value;
    if let Some(s) = &v.string_value {
        Value::String(if reads_as_sql(s) {
            stored_query(s, lang, counts)
        } else if looks_like_event_name(s) {
            s.to_string()
        } else {
            redact::only_length("message", s, counts)
        })
    } else if let Some(kv) = &v.kvlist_value {
        map_value(kv, lang, counts)
    } else if let Some(a) = &v.array_value {
        Value::Array(a.values.iter().map(|e| stored_body(e, lang, counts)).collect())
    } else {
        to_json(v)
    }
}

fn int_of(v: &AnyValue<'_>) -> Option<i64> {
    v.int_value
        .map(|i| i.0)
        .or_else(|| v.string_value.as_deref().and_then(|s| s.trim().parse().ok()))
        .or_else(|| v.double_value.filter(|d| d.0.fract() == 0.0).map(|d| d.0 as i64))
}

/// Attribute key/value pairs as stored in a map column.
type Pairs<'r> = Vec<(Cow<'r, str>, Cow<'r, str>)>;

/// Attributes of one level (resource, scope or span) sorted into lifted and kept.
struct Level<'r> {
    /// (target, rank in SPAN_KEYS, the attribute)
    lifted: Vec<(SpanTarget, usize, &'r KeyValue<'r>)>,
    kept: Pairs<'r>,
    /// The query language this level's attributes name (for its statements).
    lang: QueryLanguage,
}

impl<'r> Level<'r> {
    fn of(attrs: &'r [KeyValue<'r>], counts: &mut RuleCounts) -> Level<'r> {
        let mut level = Level {
            lifted: Vec::new(),
            kept: Vec::with_capacity(attrs.len()),
            lang: query_language_of(attrs),
        };
        for kv in attrs {
            match semconv::span_target(&kv.key) {
                Some((target, rank)) if kv.value.is_some() => level.lifted.push((target, rank, kv)),
                _ => level.kept.push(stored(kv, level.lang, counts)),
            }
        }
        level
    }
}

/// The winning attribute per target across levels (span over scope over resource; within a
/// level, the earlier row of SPAN_KEYS). Losers go back to their level's map.
fn lift<'r>(levels: [&Level<'r>; 3], counts: &mut RuleCounts) -> (Vec<Option<&'r KeyValue<'r>>>, [Pairs<'r>; 3]) {
    let mut best: Vec<Option<(usize, usize, &'r KeyValue<'r>)>> = vec![None; TARGETS];
    for (li, level) in levels.iter().enumerate() {
        for &(target, rank, kv) in &level.lifted {
            let slot = &mut best[target_index(target)];
            let better = match slot {
                None => true,
                Some((bl, br, _)) => li > *bl || (li == *bl && rank < *br),
            };
            if better {
                *slot = Some((li, rank, kv));
            }
        }
    }
    let mut kept: [Pairs<'r>; 3] = [levels[0].kept.clone(), levels[1].kept.clone(), levels[2].kept.clone()];
    for (li, level) in levels.iter().enumerate() {
        for &(target, _, kv) in &level.lifted {
            let won = best[target_index(target)].is_some_and(|(_, _, w)| std::ptr::eq(w, kv));
            if !won {
                kept[li].push(stored(kv, level.lang, counts));
            }
        }
    }
    (best.into_iter().map(|b| b.map(|(_, _, kv)| kv)).collect(), kept)
}

const TARGETS: usize = SEMCONV_COUNT + 7;

fn target_index(t: SpanTarget) -> usize {
    match t {
        SpanTarget::Text(c) => c as usize,
        SpanTarget::ServiceName => SEMCONV_COUNT,
        SpanTarget::ProcessPid => SEMCONV_COUNT + 1,
        SpanTarget::HostName => SEMCONV_COUNT + 2,
        SpanTarget::McpServer => SEMCONV_COUNT + 3,
        SpanTarget::DbQuery => SEMCONV_COUNT + 4,
        SpanTarget::ServerPort => SEMCONV_COUNT + 5,
        SpanTarget::PeerPort => SEMCONV_COUNT + 6,
    }
}

/// `AGENT@SESSION` → (AGENT, SESSION); otherwise (the name, None).
fn split_agent<'r>(name: Option<Cow<'r, str>>) -> (Option<Cow<'r, str>>, Option<Cow<'r, str>>) {
    match name {
        Some(n) => match n.split_once('@') {
            Some((a, s)) if !a.is_empty() && !s.is_empty() => (Some(Cow::Owned(a.into())), Some(Cow::Owned(s.into()))),
            _ => (Some(n), None),
        },
        None => (None, None),
    }
}

fn convert_spans<'r>(
    req: &'r Request<'r>,
    source: SourceRef<'r>,
    rows: &mut Rows<'r>,
    counts: &mut RuleCounts,
) -> Result<(), FieldError> {
    let empty = Level {
        lifted: Vec::new(),
        kept: Vec::new(),
        lang: query_language(None),
    };
    // Rows are large: grown one at a time, they would be copied over and over.
    let spans = req
        .resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .map(|ss| ss.spans.len());
    rows.spans.reserve(spans.sum());
    for (ri, rs) in req.resource_spans.iter().enumerate() {
        let resource = rs.resource.as_ref().map(|r| Level::of(&r.attributes, counts));
        for (si, ss) in rs.scope_spans.iter().enumerate() {
            let scope = ss.scope.as_ref();
            let scope_level = scope.map(|s| Level::of(&s.attributes, counts));
            for (pi, sp) in ss.spans.iter().enumerate() {
                let at = |field: &str| format!("resourceSpans[{ri}].scopeSpans[{si}].spans[{pi}].{field}");
                let span_level = Level::of(&sp.attributes, counts);
                let (won, [res_kept, scope_kept, span_kept]) = lift(
                    [
                        resource.as_ref().unwrap_or(&empty),
                        scope_level.as_ref().unwrap_or(&empty),
                        &span_level,
                    ],
                    counts,
                );
                let text = |i: usize| -> Option<Cow<'r, str>> {
                    won[i]
                        .and_then(|kv| kv.value.as_ref())
                        .map(|v| render(v))
                        .filter(|v| !v.is_empty())
                };
                let int = |i: usize| won[i].and_then(|kv| kv.value.as_ref()).and_then(int_of);
                // Empty ids are kept as nulls: the specification's own file-exporter example has
                // them; such a span is evidence, only not one that can be chained.
                let trace_id = hex_id(sp.trace_id.as_ref(), 32, &|| at("traceId"))?;
                let span_id = hex_id(sp.span_id.as_ref(), 16, &|| at("spanId"))?;
                let mut semconv: [Option<Cow<'r, str>>; SEMCONV_COUNT] = Default::default();
                for (i, slot) in semconv.iter_mut().enumerate() {
                    *slot = text(i);
                }
                let service_name = text(target_index(SpanTarget::ServiceName));
                let kind = enum_value(sp.kind.as_ref(), KIND_NAMES, SpanKind::Unknown);
                let tool_name = semconv[Semconv::ToolName as usize].clone();
                let split = tool_name.as_deref().and_then(semconv::split_mcp_tool_name);
                let server = match split {
                    Some((s, _)) => Some(Cow::Owned(s.to_string())),
                    None => text(target_index(SpanTarget::McpServer)).or_else(|| {
                        (semconv[Semconv::McpMethod as usize].is_some() && kind == SpanKind::Server)
                            .then(|| service_name.clone())
                            .flatten()
                    }),
                };
                // The MCP conventions name a tools/call span "{method} {tool}"; SDKs that omit
                // gen_ai.tool.name (the Python SDK's own spans) name the tool only there.
                let named_in_span = || {
                    let method = semconv[Semconv::McpMethod as usize].as_deref()?;
                    let name = sp.name.as_deref()?;
                    let (before, last) = name.rsplit_once(' ')?;
                    (method == "tools/call" && before.ends_with(method) && !last.is_empty())
                        .then(|| Cow::Owned(last.to_string()))
                };
                let tool = match split {
                    Some((_, t)) => Some(Cow::Owned(t.to_string())),
                    None => tool_name.clone().or_else(named_in_span),
                };
                let (agent, agent_session) = split_agent(semconv[Semconv::AgentName as usize].clone());
                let agent = agent.or_else(|| semconv[Semconv::AgentId as usize].clone());
                let session = agent_session
                    .or_else(|| semconv[Semconv::ConversationId as usize].clone())
                    .or_else(|| semconv[Semconv::SessionId as usize].clone());
                // The span's statements are in the language of its database (any level's
                // db.system, as lifted).
                let lang = query_language(semconv[Semconv::DbSystem as usize].as_deref());
                let query_raw = won[target_index(SpanTarget::DbQuery)]
                    .and_then(|kv| kv.value.as_ref())
                    .map(render);
                let query_tp = query_raw.as_deref().and_then(|q| {
                    redact::sql::sqlcommenter(q)
                        .and_then(|kv| kv.get("traceparent").and_then(|v| redact::sql::traceparent(v)))
                });
                let start_time = nanos(sp.start_time_unix_nano, &|| at("startTimeUnixNano"))?;
                let status = sp.status.as_ref();
                let row = SpanRow {
                    start_time,
                    end_time: nanos(sp.end_time_unix_nano, &|| at("endTimeUnixNano"))?,
                    parent_span_id: hex_id(sp.parent_span_id.as_ref(), 16, &|| at("parentSpanId"))?,
                    trace_state: sp
                        .trace_state
                        .as_ref()
                        .filter(|t| !t.is_empty())
                        .map(|t| Cow::Borrowed(t.as_ref())),
                    // Some instrumentations name a database span by its whole statement.
                    name: sp.name.as_ref().map(|n| match redact::sql::reads_as_statement(n) {
                        true => Cow::Owned(stored_query(n, lang, counts)),
                        false => Cow::Borrowed(n.as_ref()),
                    }),
                    kind,
                    status: enum_value(status.and_then(|s| s.code.as_ref()), STATUS_NAMES, SpanStatus::Unknown),
                    status_message: status
                        .and_then(|s| s.message.as_deref())
                        .filter(|m| !m.is_empty())
                        .map(str::to_string),
                    service_name,
                    process_pid: int(target_index(SpanTarget::ProcessPid)),
                    host_name: text(target_index(SpanTarget::HostName)),
                    agent,
                    session,
                    server,
                    tool,
                    db_query: query_raw.as_deref().map(|q| stored_query(q, lang, counts)),
                    query_trace_id: query_tp.as_ref().map(|t| t.0.clone()),
                    query_span_id: query_tp.map(|t| t.1),
                    server_port: int(target_index(SpanTarget::ServerPort)).and_then(|p| i32::try_from(p).ok()),
                    peer_port: int(target_index(SpanTarget::PeerPort)).and_then(|p| i32::try_from(p).ok()),
                    scope_name: scope.and_then(|s| s.name.as_ref()).map(|n| Cow::Borrowed(n.as_ref())),
                    scope_version: scope
                        .and_then(|s| s.version.as_ref())
                        .map(|n| Cow::Borrowed(n.as_ref())),
                    attributes: span_kept,
                    scope_attributes: scope_kept,
                    resource_attributes: res_kept,
                    events: events_json(sp, &at, span_level.lang, counts)?,
                    links: links_json(sp, &at, span_level.lang, counts)?,
                    source,
                    trace_id,
                    span_id,
                    semconv: SpreadValues(semconv),
                };
                if let Some(hint) = span_hints(&row, &sp.attributes) {
                    rows.hints.push(hint);
                }
                rows.spans.push(row);
            }
        }
    }
    Ok(())
}

fn attributes_json(attrs: &[KeyValue<'_>], lang: QueryLanguage, counts: &mut RuleCounts) -> serde_json::Value {
    serde_json::Value::Object(
        attrs
            .iter()
            .map(|kv| {
                let (k, v) = stored(kv, lang, counts);
                (k.into_owned(), serde_json::Value::String(v.into_owned()))
            })
            .collect(),
    )
}

fn events_json(
    sp: &model::Span<'_>,
    at: &dyn Fn(&str) -> String,
    lang: QueryLanguage,
    counts: &mut RuleCounts,
) -> Result<Option<String>, FieldError> {
    if sp.events.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(sp.events.len());
    for (i, e) in sp.events.iter().enumerate() {
        let time = nanos(e.time_unix_nano, &|| at(&format!("events[{i}].timeUnixNano")))?;
        out.push(serde_json::json!({
            "time_unix_nano": time.map(|t| t.to_string()),
            "name": e.name.as_deref(),
            "attributes": attributes_json(&e.attributes, lang, counts),
        }));
    }
    Ok(Some(serde_json::Value::Array(out).to_string()))
}

fn links_json(
    sp: &model::Span<'_>,
    at: &dyn Fn(&str) -> String,
    lang: QueryLanguage,
    counts: &mut RuleCounts,
) -> Result<Option<String>, FieldError> {
    if sp.links.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(sp.links.len());
    for (i, l) in sp.links.iter().enumerate() {
        out.push(serde_json::json!({
            "trace_id": hex_id(l.trace_id.as_ref(), 32, &|| at(&format!("links[{i}].traceId")))?,
            "span_id": hex_id(l.span_id.as_ref(), 16, &|| at(&format!("links[{i}].spanId")))?,
            "attributes": attributes_json(&l.attributes, lang, counts),
        }));
    }
    Ok(Some(serde_json::Value::Array(out).to_string()))
}

/// A claim carried as span attributes (`…annotations.readOnlyHint` and friends).
fn span_hints<'r>(row: &SpanRow<'r>, attrs: &[KeyValue<'_>]) -> Option<ToolHintRow<'r>> {
    let mut hints = Hints::default();
    for kv in attrs {
        let Some(hint) = semconv::hint_of(&kv.key) else {
            continue;
        };
        let Some(value) = kv.value.as_ref().and_then(|v| {
            v.bool_value
                .or_else(|| v.string_value.as_deref().and_then(|s| s.parse().ok()))
        }) else {
            continue;
        };
        match hint {
            Hint::ReadOnly => hints.read_only = Some(value),
            Hint::Destructive => hints.destructive = Some(value),
            Hint::Idempotent => hints.idempotent = Some(value),
            Hint::OpenWorld => hints.open_world = Some(value),
        }
    }
    if hints.is_empty() {
        return None;
    }
    let tool = row.tool.as_deref()?.to_string();
    let server = row.server.as_deref().map(str::to_string);
    let row = ToolHintRow {
        claim_digest: tool_hints::claim_digest(server.as_deref(), &tool, None, hints),
        server,
        tool,
        title: None,
        origin: Origin::SpanAttribute,
        listing: None,
        seen_at: row.start_time,
        trace_id: row.trace_id.clone(),
        span_id: row.span_id.clone(),
        source: row.source,
        ..Default::default()
    };
    Some(row.with_hints(hints))
}

/// Whether a log body is a statement, as drivers and ORMs log them: it opens with a statement
/// keyword PostgreSQL knows and has a second keyword of a statement's grammar, both written in
/// capitals (`SELECT id FROM t`). Prose that happens to begin with one ("UPDATE failed for
/// customer 42", "DELETE /api/x HTTP/1.1") is a message and is kept only as its length: being
/// strict only ever keeps less.
fn reads_as_sql(body: &str) -> bool {
    const SECOND: &[&str] = &[
        "FROM",
        "INTO",
        "SET",
        "VALUES",
        "WHERE",
        "TABLE",
        "JOIN",
        "AS",
        "ON",
        "BY",
        "RETURNING",
        "INDEX",
        "VIEW",
        "SCHEMA",
        "FUNCTION",
        "ROLE",
        "USER",
        "DATABASE",
        "SEQUENCE",
        "TRIGGER",
        "DISTINCT",
        "LIMIT",
        "TO",
    ];
    let mut words = redact::sql::tokens(body)
        .into_iter()
        .filter(|(kind, _, _)| *kind == redact::sql::Token::Word)
        .map(|(_, start, end)| &body[start..end]);
    let capitals = |w: &str| w.bytes().all(|c| c.is_ascii_uppercase());
    words.next().is_some_and(capitals)
        && words.any(|w| capitals(w) && SECOND.contains(&w))
        && redact::sql::reads_as_statement(body)
}

/// A body that is an event name: dotted lower-case identifiers (claude_code.tool_result).
fn looks_like_event_name(s: &str) -> bool {
    s.len() <= 128
        && s.contains('.')
        && s.split('.').all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
        })
}

fn convert_logs<'r>(
    req: &'r Request<'r>,
    source: SourceRef<'r>,
    rows: &mut Rows<'r>,
    counts: &mut RuleCounts,
) -> Result<(), FieldError> {
    for (ri, rl) in req.resource_logs.iter().enumerate() {
        let resource_attrs: &[KeyValue<'_>] = rl.resource.as_ref().map_or(&[], |r| &r.attributes);
        let mut service_name = None;
        let resource_lang = query_language_of(resource_attrs);
        let mut resource_kept = Vec::new();
        let mut resource_lifted = Vec::new();
        for kv in resource_attrs {
            if kv.key == "service.name" {
                service_name = kv.value.as_ref().map(|v| render(v));
            } else if let Some(t) = semconv::log_target(&kv.key) {
                resource_lifted.push((t, kv));
            } else {
                resource_kept.push(stored(kv, resource_lang, counts));
            }
        }
        for (si, sl) in rl.scope_logs.iter().enumerate() {
            let scope_name = sl
                .scope
                .as_ref()
                .and_then(|s| s.name.as_ref())
                .map(|n| Cow::Borrowed(n.as_ref()));
            for (li, lr) in sl.log_records.iter().enumerate() {
                let at = |field: &str| format!("resourceLogs[{ri}].scopeLogs[{si}].logRecords[{li}].{field}");
                let mut row = LogEventRow {
                    time: nanos(lr.time_unix_nano, &|| at("timeUnixNano"))?,
                    observed_time: nanos(lr.observed_time_unix_nano, &|| at("observedTimeUnixNano"))?,
                    severity_number: lr
                        .severity_number
                        .as_ref()
                        .and_then(|e| e.number(&[]))
                        .and_then(|n| i32::try_from(n).ok())
                        .filter(|n| *n != 0),
                    severity_text: lr
                        .severity_text
                        .as_ref()
                        .filter(|s| !s.is_empty())
                        .map(|s| Cow::Borrowed(s.as_ref())),
                    event_name: lr
                        .event_name
                        .as_ref()
                        .filter(|s| !s.is_empty())
                        .map(|s| Cow::Borrowed(s.as_ref())),
                    trace_id: hex_id(lr.trace_id.as_ref(), 32, &|| at("traceId"))?,
                    span_id: hex_id(lr.span_id.as_ref(), 16, &|| at("spanId"))?,
                    service_name: service_name.clone(),
                    resource_attributes: resource_kept.clone(),
                    scope_name: scope_name.clone(),
                    source,
                    ..Default::default()
                };
                let mut prompt_len = None;
                let mut params: Option<(Option<String>, Option<String>)> = None;
                let lang = named_query_language(&lr.attributes).unwrap_or(resource_lang);
                // Resource first, so the record's own attributes overwrite.
                let lifted = resource_lifted.iter().map(|(t, kv)| (Some(*t), *kv));
                let own = lr.attributes.iter().map(|kv| (semconv::log_target(&kv.key), kv));
                for (target, kv) in lifted.chain(own) {
                    let Some(value) = kv.value.as_ref() else {
                        row.attributes.push(stored(kv, lang, counts));
                        continue;
                    };
                    let text = || Some(render(value));
                    match target {
                        None => row.attributes.push(stored(kv, lang, counts)),
                        Some(LogTarget::EventName) => {
                            if row.event_name.is_none() {
                                row.event_name = text();
                            }
                        }
                        Some(LogTarget::AgentName) => {
                            let (a, s) = split_agent(text());
                            row.agent = a;
                            if s.is_some() {
                                row.session = s;
                            }
                        }
                        Some(LogTarget::SessionId) => row.session_id = text(),
                        Some(LogTarget::UserAccountUuid) => row.user_account_uuid = text(),
                        Some(LogTarget::UserEmail) => row.user_email = text(),
                        Some(LogTarget::UserId) => row.user_id = text(),
                        Some(LogTarget::OrganizationId) => row.organization_id = text(),
                        Some(LogTarget::ToolName) => row.tool_name = text(),
                        Some(LogTarget::ToolUseId) => row.tool_use_id = text(),
                        Some(LogTarget::Decision) => row.decision = text(),
                        Some(LogTarget::DecisionSource) => row.decision_source = text(),
                        Some(LogTarget::Success) => {
                            row.success = value.bool_value.or(match value.string_value.as_deref() {
                                Some("true") => Some(true),
                                Some("false") => Some(false),
                                _ => None,
                            })
                        }
                        Some(LogTarget::DurationMs) => {
                            row.duration_ms = value
                                .double_value
                                .map(|d| d.0)
                                .or_else(|| value.int_value.map(|i| i.0 as f64))
                                .or_else(|| value.string_value.as_deref().and_then(|s| s.trim().parse().ok()))
                        }
                        Some(LogTarget::Error) => {
                            row.error = Some(render(value).into_owned());
                        }
                        Some(LogTarget::PromptLength) => row.prompt_length = int_of(value),
                        Some(LogTarget::Prompt) => {
                            prompt_len = Some(render(value).len() as i64);
                            row.attributes.push(stored(kv, lang, counts));
                        }
                        Some(LogTarget::ToolParameters) => {
                            params = Some(mcp_names_of(&render(value), counts));
                            row.attributes.push(stored(kv, lang, counts));
                        }
                    }
                }
                row.prompt_length = row.prompt_length.or(prompt_len);
                if row.session.is_none() {
                    row.session = row.session_id.clone();
                }
                let body = lr.body.as_ref().map(render).filter(|b| !b.is_empty());
                // Claude Code writes the qualified name in the body (claude_code.tool_result)
                // and the short one in event.name (tool_result): the qualified one is kept.
                if lr.event_name.as_ref().is_none_or(|e| e.is_empty())
                    && let Some(b) = body.as_deref().filter(|b| looks_like_event_name(b))
                    && row
                        .event_name
                        .as_deref()
                        .is_none_or(|short| b.strip_suffix(short).is_some_and(|ns| ns.ends_with('.')))
                {
                    row.event_name = Some(Cow::Owned(b.to_string()));
                }
                row.body = lr
                    .body
                    .as_ref()
                    .map(|b| match stored_body(b, lang, counts) {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    })
                    .filter(|b| !b.is_empty());
                let split = row.tool_name.as_deref().and_then(semconv::split_mcp_tool_name);
                let (p_server, p_tool) = params.unwrap_or_default();
                row.server = p_server
                    .map(Cow::Owned)
                    .or_else(|| split.map(|(s, _)| Cow::Owned(s.to_string())));
                row.tool = p_tool
                    .map(Cow::Owned)
                    .or_else(|| split.map(|(_, t)| Cow::Owned(t.to_string())))
                    .or_else(|| row.tool_name.clone());
                rows.logs.push(row);
            }
        }
    }
    Ok(())
}

/// mcp_server_name and mcp_tool_name of Claude Code's tool_parameters JSON (the rest of it is
/// payload and is not kept).
fn mcp_names_of(params: &str, counts: &mut RuleCounts) -> (Option<String>, Option<String>) {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(params) else {
        return (None, None);
    };
    let get = |k: &str, counts: &mut RuleCounts| {
        map.get(k)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map(|s| redact::redactor().text(s, counts).into_owned())
    };
    (get("mcp_server_name", counts), get("mcp_tool_name", counts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_one() -> SourceRef<'static> {
        SourceRef {
            line: 1,
            ..Default::default()
        }
    }

    fn convert(json: &str) -> Result<(Vec<String>, usize, usize), String> {
        let req: Request = serde_json::from_str(json).map_err(|e| json_error(&e, "x"))?;
        let mut rows = Rows::default();
        let mut counts = RuleCounts::new();
        let converted = convert_spans(&req, line_one(), &mut rows, &mut counts)
            .and_then(|()| convert_logs(&req, line_one(), &mut rows, &mut counts));
        converted.map_err(|e| e.to_string())?;
        let names = rows
            .spans
            .iter()
            .map(|s| format!("{}/{}/{:?}/{:?}", s.kind, s.status, s.agent, s.session))
            .collect();
        Ok((names, rows.logs.len(), rows.hints.len()))
    }

    #[test]
    fn lookup_order_span_over_scope_over_resource() {
        let json = r#"{"resourceSpans":[{"resource":{"attributes":[
              {"key":"gen_ai.agent.name","value":{"stringValue":"from-resource"}},
              {"key":"service.name","value":{"stringValue":"svc"}}]},
            "scopeSpans":[{"scope":{"name":"s","attributes":[{"key":"gen_ai.agent.name","value":{"stringValue":"from-scope"}}]},
            "spans":[
              {"traceId":"0123456789abcdef0123456789abcdef","spanId":"0123456789abcdef","kind":3,
               "attributes":[{"key":"gen_ai.agent.name","value":{"stringValue":"alice@s1"}}]},
              {"traceId":"0123456789abcdef0123456789abcdef","spanId":"0123456789abcde0","status":{"code":2}}]}]}]}"#;
        let (names, _, _) = convert(json).unwrap();
        assert_eq!(names[0], r#"client/unset/Some("alice")/Some("s1")"#);
        assert_eq!(names[1], r#"unspecified/error/Some("from-scope")/None"#);
    }

    #[test]
    fn empty_ids_are_kept_as_nulls() {
        // The OpenTelemetry specification's own file-exporter example has empty ids.
        let json = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"","spanId":"","name":"x","kind":1}]}]}]}"#;
        let (names, _, _) = convert(json).unwrap();
        assert_eq!(names.len(), 1);
        let json = r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"","spanId":"","body":{"stringValue":"x"}}]}]}]}"#;
        assert_eq!(convert(json).unwrap().1, 1);
    }

    #[test]
    fn bad_ids_name_the_span() {
        let json = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"S/ePRjV3vbM=","spanId":"0123456789abcdef"}]}]}]}"#;
        let e = convert(json).unwrap_err();
        assert!(e.contains("resourceSpans[0].scopeSpans[0].spans[0].traceId"), "{e}");
        assert!(e.contains("not base64"), "{e}");
    }

    #[test]
    fn json_errors_never_quote_values() {
        let e = serde_json::from_str::<Request>(
            r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":true}]}]}]}"#,
        )
        .unwrap_err();
        let r = json_error(&e, "an OTLP JSON export request");
        assert!(r.starts_with("valid JSON, but not"), "{r}");
        let e = serde_json::from_str::<Request>(r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"x"},"timeUnixNano":"AKIAZ7VQXHNP3EXAMPLE"}]}]}]}"#).unwrap_err();
        let r = json_error(&e, "x");
        assert!(!r.contains("AKIA"), "{r}");
        // Numbers are values too (a card number where a string belongs); where the error is stays.
        let e = serde_json::from_str::<Request>(
            r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":4111111111110001}}]}]}]}"#,
        )
        .unwrap_err();
        let r = json_error(&e, "x");
        assert!(!r.contains("411111"), "{r}");
        assert!(r.contains("at line 1 column"), "{r}");
        let e = serde_json::from_str::<Request>(
            r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"intValue":4111111111110002.5}}]}]}]}"#,
        )
        .unwrap_err();
        let r = json_error(&e, "x");
        assert!(!r.contains("411111") && r.contains("int64"), "{r}");
    }

    /// The first span of a request as the spans builder writes it, and what redacting it counted.
    fn first_span_written(json: &str) -> (arrow_array::RecordBatch, RuleCounts) {
        let r: Request = serde_json::from_str(json).unwrap();
        let mut rows = Rows::default();
        convert_spans(&r, line_one(), &mut rows, &mut RuleCounts::new()).unwrap();
        let mut b = crate::table::spans::SpansBuilder::new();
        b.append(&rows.spans[0]);
        let redactions = b.take_redactions();
        (b.finish().unwrap(), redactions)
    }

    /// A statement loses its literals where it is read, and its secrets where it is written:
    /// a key outside any literal is still redacted, in the lifted column, the attribute map and
    /// the span's name alike, in every dialect.
    #[test]
    fn secrets_outside_literals_of_a_query_are_redacted_where_it_is_written() {
        let q = "select AKIAZ7VQXHNP3EXAMPLE from t where a = 'x'";
        for system in ["postgresql", "mysql"] {
            let json = format!(
                r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"0123456789abcdef0123456789abcdef","spanId":"0123456789abcdef","name":"{q}","attributes":[{{"key":"db.system.name","value":{{"stringValue":"{system}"}}}},{{"key":"db.query.text","value":{{"stringValue":"{q}"}}}},{{"key":"db.statement","value":{{"stringValue":"{q}"}}}}]}}]}}]}}]}}"#
            );
            let (batch, redactions) = first_span_written(&json);
            let view = crate::table::spans::SpansView::of(&batch).unwrap();
            let want = "select [REDACTED:aws_access_key_id] from t where a = ?";
            assert_eq!(view.db_query.get(0), Some(want), "{system}");
            assert_eq!(view.name.get(0), Some(want), "{system}");
            let statement = view.attributes.get(0).into_iter().find(|(k, _)| *k == "db.statement");
            assert_eq!(statement.and_then(|(_, v)| v), Some(want), "{system}");
            assert_eq!(redactions.get("aws_access_key_id"), Some(&3), "{system}");
        }
    }

    #[test]
    fn secrets_found_even_behind_json_escapes() {
        let req = |v: &str| {
            format!(
                r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"0123456789abcdef0123456789abcdef","spanId":"0123456789abcdef","attributes":[{{"key":"note","value":{{"stringValue":"{v}"}}}},{{"key":"exception.message","value":{{"stringValue":"bad input 'x1' in 42"}}}},{{"key":"gen_ai.tool.call.arguments","value":{{"stringValue":"{{}}"}}}}]}}]}}]}}]}}"#
            )
        };
        for v in ["key AKIAZ7VQXHNP3EXAMPLE", "key \\u0041KIAZ7VQXHNP3EXAMPLE", "plain"] {
            // As the spans builder writes them: the attribute map is a structured column.
            let (batch, _) = first_span_written(&req(v));
            let view = crate::table::spans::SpansView::of(&batch).unwrap();
            let attrs: Vec<(&str, String)> = view
                .attributes
                .get(0)
                .into_iter()
                .map(|(k, v)| (k, v.unwrap_or("").to_string()))
                .collect();
            let note = &attrs.iter().find(|(k, _)| *k == "note").unwrap().1;
            assert!(!note.contains("AKIA"), "{v}: {note}");
            assert_eq!(
                note.contains("[REDACTED:aws_access_key_id]"),
                v != "plain",
                "{v}: {note}"
            );
            // An exception message is not needed to attribute anything: only its length.
            let msg = &attrs.iter().find(|(k, _)| *k == "exception.message").unwrap().1;
            assert_eq!(msg, "[message: 20 bytes]");
            let args = &attrs
                .iter()
                .find(|(k, _)| *k == "gen_ai.tool.call.arguments")
                .unwrap()
                .1;
            assert_eq!(args, "[payload: 2 bytes]");
        }
    }

    #[test]
    fn event_names_from_body() {
        assert!(looks_like_event_name("claude_code.tool_result"));
        assert!(!looks_like_event_name("user said hello."));
        assert!(!looks_like_event_name("plain"));
    }

    /// A body as the OTLP JSON of one log record would carry it.
    fn body_of(json: &str) -> String {
        let v: AnyValue = serde_json::from_str(json).unwrap();
        match stored_body(&v, query_language(Some("postgresql")), &mut RuleCounts::new()) {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        }
    }

    #[test]
    fn log_bodies_keep_statements_and_event_names_and_only_the_length_of_messages() {
        assert_eq!(
            body_of(r#"{"stringValue": "SELECT id FROM t WHERE a = 'alice'"}"#),
            "SELECT id FROM t WHERE a = ?"
        );
        assert_eq!(
            body_of(r#"{"stringValue": "claude_code.tool_result"}"#),
            "claude_code.tool_result"
        );
        assert_eq!(
            body_of(r#"{"stringValue": "user alice logged in"}"#),
            "[message: 20 bytes]"
        );
        // Prose opening with a statement keyword is prose.
        assert_eq!(
            body_of(r#"{"stringValue": "Update failed for bob"}"#),
            "[message: 21 bytes]"
        );
        assert_eq!(
            body_of(r#"{"arrayValue": {"values": [{"stringValue": "hi bob"}, {"intValue": "3"}]}}"#),
            r#"["[message: 6 bytes]",3]"#
        );
        // A map keeps its entries as attributes do, nested keys included.
        assert_eq!(
            body_of(
                r#"{"kvlistValue": {"values": [{"key": "user", "value": {"stringValue": "bob"}},
                    {"key": "m", "value": {"kvlistValue": {"values": [{"key": "prompt", "value": {"stringValue": "secret plan"}}]}}}]}}"#
            ),
            r#"{"m":{"prompt":"[payload: 11 bytes]"},"user":"bob"}"#
        );
    }
}

//! JSON documents that hold many log records: `aws logs filter-log-events` output
//! (`{"events": [...]}`), CloudWatch subscription payloads (`{"logGroup", "logStream",
//! "messageType", "logEvents": [...]}`, several of them back to back as Firehose delivers them),
//! `gcloud logging read --format=json` (a JSON array of LogEntries), Azure Event Hubs captures
//! (`{"records": [...]}`).
//!
//! The document is read whole (up to [`MAX_DOCUMENT_BYTES`]), its records located without
//! copying them (serde_json's RawValue), and each record becomes a record of one chunk at its
//! byte range and line, so the same unwrapping and parsing as for JSON lines applies. Lines that
//! hold no record's start (brackets, pagination tokens) are counted as `json_envelope`; a record
//! that starts on a line another record already started on spans no further line of its own.
//!
//! In: a reader over the document. Out: one chunk of its records, parsed.

use std::io::Read;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::ContainerContext;
use crate::ingest::framing::{self, Chunk, Record};
use crate::ingest::pipeline::Chunks;
use crate::ingest::sink::ChunkOut;

/// A document larger than this is refused (JSON lines have no such limit: they are streamed).
pub const MAX_DOCUMENT_BYTES: usize = 256 << 20;

#[derive(Deserialize)]
struct Holder<'a> {
    #[serde(borrow)]
    events: Option<Vec<&'a RawValue>>,
    #[serde(borrow, rename = "logEvents")]
    log_events: Option<Vec<&'a RawValue>>,
    #[serde(borrow)]
    records: Option<Vec<&'a RawValue>>,
    #[serde(rename = "logStream")]
    log_stream: Option<String>,
    #[serde(rename = "messageType")]
    message_type: Option<String>,
}

/// Where a document stops being JSON holding log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the document is not JSON holding log records (an array, or objects with events, logEvents or records) at line {line}, column {column}"
)]
pub struct NotRecords {
    pub line: usize,
    pub column: usize,
}

/// Locates the records of `doc`: (byte range, container context) for each, in order.
pub fn records(doc: &str) -> Result<Vec<(usize, usize, ContainerContext)>, NotRecords> {
    let mut out = Vec::new();
    let base = doc.as_ptr() as usize;
    let mut at = 0;
    loop {
        at += doc[at..].len() - doc[at..].trim_start().len();
        let rest = &doc[at..];
        if rest.is_empty() {
            break;
        }
        let bad = |e: Option<serde_json::Error>| {
            let (line, column) = e.map_or((0, 0), |e| (e.line(), e.column()));
            NotRecords {
                line: doc[..at].matches('\n').count() + line.max(1),
                column,
            }
        };
        // A top-level array holds the records; a top-level object holds them under a key.
        let (items, context, used) = if rest.starts_with('[') {
            let mut it = serde_json::Deserializer::from_str(rest).into_iter::<Vec<&RawValue>>();
            let items = it.next().ok_or_else(|| bad(None))?.map_err(|e| bad(Some(e)))?;
            (items, ContainerContext::default(), it.byte_offset())
        } else {
            let mut it = serde_json::Deserializer::from_str(rest).into_iter::<Holder<'_>>();
            let h = it.next().ok_or_else(|| bad(None))?.map_err(|e| bad(Some(e)))?;
            let skip = match h.message_type.as_deref() {
                Some("CONTROL_MESSAGE") => Some("cloudwatch_control_message"),
                _ => None,
            };
            let context = ContainerContext {
                server: h.log_stream,
                skip,
            };
            let items = h.events.or(h.log_events).or(h.records).unwrap_or_default();
            (items, context, it.byte_offset())
        };
        for item in items {
            let start = item.get().as_ptr() as usize - base;
            out.push((start, start + item.get().len(), context.clone()));
        }
        at += used;
    }
    Ok(out)
}

/// Reads the document, parses its records with `process` (one chunk), and feeds the sink.
pub fn parse(
    reader: Box<dyn Read + Send>,
    chunks: &Chunks<'_>,
    process: impl Fn(&Chunk, &[ContainerContext]) -> ChunkOut,
) -> Option<String> {
    let doc = framing::read_document(reader, MAX_DOCUMENT_BYTES);
    let mut out_of_band = ChunkOut::new(0);
    out_of_band.counts.lines_read = doc.lines;
    let refuse = |mut out: ChunkOut, reason: String| {
        out.quarantine(&doc.bytes, 1, doc.lines.try_into().unwrap_or(u32::MAX), &reason);
        chunks.emit(out);
        doc.read_error.clone()
    };
    if doc.too_big {
        let reason = format!(
            "a JSON document larger than {} MiB is not read whole; export JSON lines (one record per line) instead",
            MAX_DOCUMENT_BYTES >> 20
        );
        return refuse(out_of_band, reason);
    }
    let text = match std::str::from_utf8(&doc.bytes) {
        Ok(t) => t,
        Err(e) => {
            let reason = format!("invalid UTF-8 at byte {}: JSON is read as UTF-8", e.valid_up_to());
            return refuse(out_of_band, reason);
        }
    };
    let located = match records(text) {
        Ok(r) => r,
        Err(reason) => return refuse(out_of_band, reason.to_string()),
    };
    // Line of each record's start and end; a line is counted once, by the first record on it.
    let mut chunk = Chunk {
        seq: 0,
        data: Vec::new(),
        records: Vec::with_capacity(located.len()),
    };
    let mut contexts = Vec::with_capacity(located.len());
    let mut line = 1u64;
    let mut at = 0usize;
    let mut last_counted = 0u64;
    let mut claimed = 0u64;
    for (start, end, context) in located {
        line += memchr::memchr_iter(b'\n', &doc.bytes[at..start]).count() as u64;
        let end_line = line + memchr::memchr_iter(b'\n', &doc.bytes[start..end]).count() as u64;
        let first_new = line.max(last_counted + 1);
        let lines = end_line.saturating_sub(first_new) + u64::from(end_line >= first_new);
        last_counted = last_counted.max(end_line);
        claimed += lines;
        chunk.records.push(Record {
            start,
            end,
            line,
            lines: u32::try_from(lines).unwrap_or(u32::MAX),
            problem: None,
        });
        contexts.push(context);
        at = start;
    }
    let envelope_lines = doc.lines.saturating_sub(claimed);
    chunk.data = doc.bytes;
    let mut out = process(&chunk, &contexts);
    // process counted the records' lines; the rest are the container's own.
    out.counts.add_other("json_envelope", envelope_lines);
    out.counts.lines_read += envelope_lines;
    chunks.emit(out);
    doc.read_error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_of_each_container() {
        let doc = "{\"events\":[{\"message\":\"a\"},{\"message\":\"b\"}],\"searchedLogStreams\":[]}";
        let r = records(doc).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(&doc[r[1].0..r[1].1], "{\"message\":\"b\"}");
        let doc = "[\n {\"textPayload\": \"x\"},\n {\"textPayload\": \"y\"}\n]\n";
        assert_eq!(records(doc).unwrap().len(), 2);
        // Firehose: subscription payloads back to back, one a control message.
        let doc = "{\"messageType\":\"DATA_MESSAGE\",\"logStream\":\"db1\",\"logEvents\":[{\"id\":\"1\",\"timestamp\":1,\"message\":\"m\"}]}{\"messageType\":\"CONTROL_MESSAGE\",\"logEvents\":[{\"id\":\"2\",\"timestamp\":1,\"message\":\"CWL CONTROL MESSAGE\"}]}";
        let r = records(doc).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].2.server.as_deref(), Some("db1"));
        assert_eq!(r[1].2.skip, Some("cloudwatch_control_message"));
        assert!(records("{\"x\": [1]} nonsense").is_err());
    }
}

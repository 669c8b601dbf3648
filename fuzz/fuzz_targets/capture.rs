//! Fuzz target `capture`: the ebpf-capture file reader (capture-format/src/lib.rs). Capture
//! files can be cut by a killed recorder or damaged in transit; the reader must report every
//! record or error and how the file ended, never panic.
//!
//! Input: a whole capture file.

#![no_main]

use agaudit_capture_format::{encode_event, encode_start, encode_trailer, Reader, Record, MAGIC};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = Reader::new(data) else {
        return;
    };
    loop {
        let start = reader.offset() as usize;
        let Some(item) = reader.next() else {
            break;
        };
        let end = reader.offset() as usize;
        assert!(start <= end && end <= data.len(), "the reader moves forward, within the file");
        if let Ok(record) = item {
            // The format has one encoding per record: writing what was read gives its bytes back.
            let encoded = match &record {
                Record::Header(h) => encode_start(h)[MAGIC.len()..].to_vec(),
                Record::Event(e) => encode_event(e),
                Record::Trailer(t) => encode_trailer(t),
            };
            assert!(
                encoded == data[start..end],
                "record at byte {start} does not re-encode to the bytes it was read from"
            );
        }
    }
    assert!(reader.end().is_some(), "an exhausted reader says how the file ended");
});

//! Fuzz target `timestamp`: the log timestamp parsers (src/ingest/pgaudit/timestamp.rs) behind
//! %m %t %s (date, time, zone) and %n (epoch seconds), and csvlog/jsonlog timestamps. A log line
//! that starts with anything must give a value or an error, never a panic.
//!
//! Input: the text at the start of a field (lossy UTF-8).

#![no_main]

use agaudit::ingest::pgaudit::timestamp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    for result in [timestamp::parse(&s), timestamp::parse_epoch(&s)] {
        if let Ok((_micros, used)) = result {
            assert!(used > 0, "a timestamp consumes something");
            assert!(used <= s.len(), "a timestamp consumes at most the input");
            assert!(s.is_char_boundary(used), "the caller slices at the end of the timestamp");
        }
    }
});

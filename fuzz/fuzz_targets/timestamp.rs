//! Fuzz target `timestamp`: the log timestamp parsers (src/ingest/pgaudit/timestamp.rs) behind
//! %m %t %s (date, time, zone) and %n (epoch seconds), and csvlog/jsonlog timestamps. A log line
//! that starts with anything must give a value or an error, never a panic.
//!
//! Input: the text at the start of a field (lossy UTF-8).

#![no_main]

use agaudit::ingest::pgaudit::timestamp::{self, LogZone};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let zones = [LogZone::unnamed(), LogZone::named("Europe/Paris").expect("a zone of the database")];
    let mut results: Vec<Result<(i64, usize), String>> = zones
        .iter()
        .map(|z| timestamp::parse(&s, z).map_err(|e| e.to_string()))
        .collect();
    results.push(timestamp::parse_epoch(&s).map_err(|e| e.to_string()));
    for result in results {
        if let Ok((_micros, used)) = result {
            assert!(used > 0, "a timestamp consumes something");
            assert!(used <= s.len(), "a timestamp consumes at most the input");
            assert!(s.is_char_boundary(used), "the caller slices at the end of the timestamp");
        }
    }
});

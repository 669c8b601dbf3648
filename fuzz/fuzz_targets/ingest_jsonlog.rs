//! Fuzz target `ingest_jsonlog`: PostgreSQL jsonlog, parsed in memory by the jsonlog format. Every line must end as a row, a counted
//! other line or quarantine, never as a panic; common/mod.rs holds the harness and invariants.

#![no_main]

mod common;

use agaudit::ingest::pgaudit::LogFormat;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    common::parse(&common::postgres(LogFormat::Jsonlog), data);
});

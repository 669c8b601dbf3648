//! Fuzz target `ingest_otlp`: OTLP JSON, parsed in memory as JSON lines and as one document. Every line must end as a row, a counted
//! other line or quarantine, never as a panic; common/mod.rs holds the harness and invariants.

#![no_main]

mod common;

use agaudit::ingest::otlp::{Layout, Otlp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    common::parse(&Otlp { layout: Layout::Lines }, data);
    common::parse(&Otlp { layout: Layout::Document }, data);
});

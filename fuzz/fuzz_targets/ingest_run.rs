//! Fuzz target `ingest_run`: one whole file through `agaudit::ingest::run`, the entry point of
//! `agaudit ingest` — detection by content, decompression, framing, every parser, redaction,
//! Parquet and quarantine in a fresh case. Slow (a case per input); the per-format targets
//! fuzz the parsers themselves. common/mod.rs holds the harness and the invariants it checks.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    common::ingest_bytes("input", data);
});

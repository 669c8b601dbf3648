//! Fuzz target `ingest_capture`: ebpf-capture files, parsed in memory by the capture format. Every line must end as a row, a counted
//! other line or quarantine, never as a panic; common/mod.rs holds the harness and invariants.

#![no_main]

mod common;

use agaudit::ingest::capture::Capture;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    common::parse(&Capture, data);
});

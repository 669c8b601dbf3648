//! Fuzz target `ingest_capture`: one whole file through `agaudit::ingest::run`, the entry point of
//! `agaudit ingest`. scripts/fuzz seeds it with
//! ebpf-capture files.
//! Any file a user points ingest at must end as rows, counted lines or quarantine, never as a
//! panic. The harness and the invariants it checks are in common/mod.rs.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    common::ingest_bytes("workload.cap", data);
});

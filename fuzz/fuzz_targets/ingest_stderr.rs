//! Fuzz target `ingest_stderr`: PostgreSQL stderr logs, parsed in memory by the stderr format (the fixtures' log_line_prefix). Every line must end as a row, a counted
//! other line or quarantine, never as a panic; common/mod.rs holds the harness and invariants.

#![no_main]

mod common;

use agaudit::ingest::pgaudit::LogFormat;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    common::parse(&common::postgres(LogFormat::Stderr), data);
});

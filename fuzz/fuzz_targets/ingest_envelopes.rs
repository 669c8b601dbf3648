//! Fuzz target `ingest_envelopes`: the PostgreSQL logs estates keep in an envelope (syslog,
//! Heroku, CloudWatch export and events, CloudNativePG, Cloud Logging, Azure), parsed in memory;
//! the first byte of the input picks the format, the rest is the file. Every line must end as a
//! row, a counted other line or quarantine; common/mod.rs holds the harness and invariants.

#![no_main]

mod common;

use agaudit::ingest::pgaudit::LogFormat;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((pick, file)) = data.split_first() else { return };
    let formats: Vec<LogFormat> = LogFormat::ALL
        .iter()
        .copied()
        .filter(|f| !matches!(f, LogFormat::Stderr | LogFormat::Csvlog | LogFormat::Jsonlog))
        .collect();
    common::parse(&common::postgres(formats[usize::from(*pick) % formats.len()]), file);
});

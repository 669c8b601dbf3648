//! Fuzz target `prefix`: the log_line_prefix compiler and the line parser it builds
//! (src/ingest/pgaudit/prefix.rs). Both the setting (`--pg-prefix`) and every stderr line are
//! outside agaudit's control; neither may panic it.
//!
//! Input: the setting, a newline, then the line (each read as lossy UTF-8).

#![no_main]

use agaudit::ingest::pgaudit::prefix::{self, Prefix};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (setting, line) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &data[data.len()..]),
    };
    let setting = String::from_utf8_lossy(setting);
    let line = String::from_utf8_lossy(line);

    let Ok(compiled) = Prefix::compile(&setting) else {
        return;
    };
    assert_eq!(compiled.setting(), &*setting, "a compiled prefix keeps its setting");

    if let Ok((_fields, rest)) = compiled.parse(&line) {
        assert!(line.ends_with(rest), "parse returns the end of the line after the prefix");
        assert!(
            prefix::severity(rest).is_some(),
            "parse returns the rest only when it starts with a severity keyword"
        );
    }
});

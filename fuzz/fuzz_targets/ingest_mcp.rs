//! Fuzz target `ingest_mcp`: MCP traffic and tools/list results, parsed in memory in both layouts. Every line must end as a row, a counted
//! other line or quarantine, never as a panic; common/mod.rs holds the harness and invariants.

#![no_main]

mod common;

use agaudit::ingest::mcp::{Layout, Mcp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    common::parse(&Mcp { layout: Layout::Lines }, data);
    common::parse(&Mcp { layout: Layout::Document }, data);
});

//! agaudit: prove what AI agents did, from logs the estate already collects, offline.
//!
//! The pipeline flows one way through these modules: `ingest` (detect, frame, parse, redact)
//! writes `table`s into a `case` directory; later stages read the case. `cli` is the thin edge
//! that parses arguments and presents results via `output`.

pub mod bundle;
pub mod case;
pub mod cli;
pub mod correlate;
pub mod diff;
pub mod durable;
pub mod ingest;
pub mod inventory;
pub mod ledger;
pub mod map;
pub mod output;
pub mod policy;
pub mod redact;
pub mod report;
pub mod suggest;
pub mod table;
pub mod time;
pub mod timeline;

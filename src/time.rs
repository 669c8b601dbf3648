//! Time as agaudit writes it: one form — RFC 3339, UTC, microseconds, `Z` — for every time in
//! ingest.json, the ledger, bundle manifests and reports.
//!
//! Parsing the times of the inputs is the formats' business (src/ingest/pgaudit/timestamp.rs,
//! the envelopes); this module only says what agaudit itself writes.
//!
//! In: the clock, or nanoseconds since the epoch. Out: text.

use chrono::{DateTime, SecondsFormat, Utc};

/// Now.
pub fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Now as seconds since the epoch (file times in archives).
pub fn now_unix_seconds() -> u64 {
    Utc::now().timestamp().max(0) as u64
}

/// Nanoseconds since the epoch in the same form; None stays None.
pub fn rfc3339(ns: Option<i64>) -> Option<String> {
    ns.map(|t| DateTime::from_timestamp_nanos(t).to_rfc3339_opts(SecondsFormat::Micros, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_form() {
        assert_eq!(
            rfc3339(Some(1_732_414_526_123_456_789)).unwrap(),
            "2024-11-24T02:15:26.123456Z"
        );
        assert_eq!(rfc3339(Some(0)).unwrap(), "1970-01-01T00:00:00.000000Z");
        assert_eq!(now().len(), "2024-11-24T02:15:26.123456Z".len());
    }
}

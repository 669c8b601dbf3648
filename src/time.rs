//! Time as agaudit writes it: one form — RFC 3339, UTC, microseconds, `Z` — for every time in
//! ingest.json, the ledger, bundle manifests and reports.
//!
//! Parsing the times of the inputs is the formats' business (src/ingest/pgaudit/timestamp.rs,
//! the envelopes); this module says what agaudit itself writes, and what a time given on the
//! command line (`--since`, `--until`) may be: [`Bound`].
//!
//! In: the clock, nanoseconds since the epoch, or a time as a user types it. Out: text, or an
//! instant to compare records' times with.

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

/// A time a filter starts or stops at (`--since` inclusive, `--until` exclusive), as an instant.
///
/// Typed as RFC 3339 with any offset (`2026-06-08T10:00:00Z`, `2026-06-08T12:00:00.5+02:00`), as
/// a date (`2026-06-08`: 00:00 UTC of that day), or as a duration counted back from now (`90s`,
/// `30m`, `24h`, `7d`, `2w`). Anything else is refused: a filter that could not be read must
/// never select records, least of all for a signed bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Bound(jiff::Timestamp);

/// Why a `--since`/`--until` value is not a time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "expected RFC 3339 with an offset (2026-06-08T10:00:00Z, 2026-06-08T12:00:00+02:00), a date (2026-06-08, from 00:00 UTC) or a duration back from now (30m, 24h, 7d, 2w); found `{found}`{why}"
)]
pub struct BoundError {
    found: String,
    /// What was wrong with it, when it looked like one of the forms (`: …`), else empty.
    why: String,
}

impl Bound {
    /// Reads `text`; durations count back from `now`. The instant is kept to the microsecond,
    /// the precision every time agaudit writes has, so it is recorded as it is applied.
    pub fn parse(text: &str, now: jiff::Timestamp) -> Result<Bound, BoundError> {
        Bound::exact(text, now).map(|Bound(t)| {
            let micros = t.as_microsecond();
            Bound(jiff::Timestamp::from_microsecond(micros).unwrap_or(t))
        })
    }

    fn exact(text: &str, now: jiff::Timestamp) -> Result<Bound, BoundError> {
        let fail = |why: String| BoundError {
            found: text.to_string(),
            why,
        };
        let t = text.trim();
        if let Some(back) = duration(t) {
            let back = back.ok_or_else(|| fail(": that duration is too long".into()))?;
            return now
                .checked_sub(back)
                .map(Bound)
                .map_err(|_| fail(": that duration is too long".into()));
        }
        if t.len() == 10 && t.as_bytes().get(4) == Some(&b'-') {
            let date: jiff::civil::Date = t.parse().map_err(|e| fail(format!(": {e}")))?;
            return jiff::tz::TimeZone::UTC
                .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
                .map(Bound)
                .map_err(|e| fail(format!(": {e}")));
        }
        if t.starts_with(|c: char| c.is_ascii_digit()) && t.contains(['T', 't', ' ']) {
            return t
                .parse::<jiff::Timestamp>()
                .map(Bound)
                .map_err(|e| fail(format!(": {e}")));
        }
        Err(fail(String::new()))
    }

    /// Reads `text` with durations counted back from the clock: the command line's parser.
    pub fn from_arg(text: &str) -> Result<Bound, BoundError> {
        Bound::parse(text, jiff::Timestamp::now())
    }

    /// Whether a record's time (RFC 3339) is at or after this bound. A record whose time cannot
    /// be read is outside every time filter.
    pub fn admits_from(&self, ts: &str) -> bool {
        instant(ts).is_some_and(|t| t >= self.0)
    }

    /// Whether a record's time is before this bound (the same rule for unreadable times).
    pub fn admits_until(&self, ts: &str) -> bool {
        instant(ts).is_some_and(|t| t < self.0)
    }
}

/// The form every bound is recorded in (view records, export records, manifests): agaudit's
/// one time form, so a relative `24h` is recorded as the instant it meant.
impl std::fmt::Display for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ns = self.0.as_nanosecond();
        let text = i64::try_from(ns).ok().and_then(|ns| rfc3339(Some(ns)));
        match text {
            Some(t) => f.write_str(&t),
            None => write!(f, "{}", self.0),
        }
    }
}

/// `N` then one of s, m, h, d, w: Some(None) when the number overflows; None when `t` is not
/// of that form.
fn duration(t: &str) -> Option<Option<jiff::SignedDuration>> {
    let unit = t.chars().last()?;
    let seconds: i64 = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return None,
    };
    let digits = &t[..t.len() - 1];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(
        digits
            .parse::<i64>()
            .ok()
            .and_then(|n| n.checked_mul(seconds))
            .map(jiff::SignedDuration::from_secs),
    )
}

/// A record's time as an instant: RFC 3339 with an offset, as agaudit writes it.
pub fn instant(ts: &str) -> Option<jiff::Timestamp> {
    ts.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_instants_whatever_form_they_are_typed_in() {
        let now: jiff::Timestamp = "2026-06-08T12:00:00Z".parse().unwrap();
        let at = |s: &str| Bound::parse(s, now).map(|b| b.to_string());
        assert_eq!(at("2026-06-08T10:00:00Z").unwrap(), "2026-06-08T10:00:00.000000Z");
        assert_eq!(at("2026-06-08T12:00:00+02:00").unwrap(), "2026-06-08T10:00:00.000000Z");
        assert_eq!(
            at("2026-06-08T10:00:00.5-01:30").unwrap(),
            "2026-06-08T11:30:00.500000Z"
        );
        assert_eq!(at("2026-06-08").unwrap(), "2026-06-08T00:00:00.000000Z");
        assert_eq!(at("24h").unwrap(), "2026-06-07T12:00:00.000000Z");
        assert_eq!(at("7d").unwrap(), "2026-06-01T12:00:00.000000Z");
        assert_eq!(at("2w").unwrap(), "2026-05-25T12:00:00.000000Z");
        assert_eq!(at("90s").unwrap(), "2026-06-08T11:58:30.000000Z");
        assert_eq!(at("30m").unwrap(), "2026-06-08T11:30:00.000000Z");
        for bad in [
            "yesterday",
            "2026-13-45",
            "2026-06-08T10:00:00",
            "garbage",
            "",
            "h",
            "-3h",
            "99999999999999999999d",
            "2026-06",
        ] {
            let e = at(bad).unwrap_err().to_string();
            assert!(e.contains(&format!("found `{bad}`")) && e.contains("24h"), "{bad}: {e}");
        }
    }

    /// A record at 05:14:22.503 is after --since 05:14:22Z; string comparison said otherwise
    /// ('.' sorts before 'Z').
    #[test]
    fn records_compare_as_instants() {
        let now = jiff::Timestamp::now();
        let since = Bound::parse("2026-11-24T05:14:22Z", now).unwrap();
        assert!(since.admits_from("2026-11-24T05:14:22.503Z"));
        assert!(since.admits_from("2026-11-24T05:14:22.000000Z"), "--since is inclusive");
        assert!(!since.admits_from("2026-11-24T05:14:21.999999Z"));
        assert!(
            !since.admits_until("2026-11-24T05:14:22.000000Z"),
            "--until is exclusive"
        );
        assert!(since.admits_until("2026-11-24T06:14:21+01:00"));
        assert!(!since.admits_from("not a time") && !since.admits_until("not a time"));
    }

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

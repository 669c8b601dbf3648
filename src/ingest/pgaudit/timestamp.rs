//! PostgreSQL log timestamps → microseconds since the Unix epoch, UTC.
//!
//! The server prints local time in its `log_timezone` followed by that zone's abbreviation as the
//! time-zone database names it ("2026-11-24 10:15:26.123 UTC", "... CET", "... CST", "... +0530"),
//! or, for %n, epoch seconds with milliseconds. Reading a timestamp is two steps: [`scan`] checks
//! the syntax and finds where it ends (all a log_line_prefix parser needs), then
//! [`LogZone::resolve`] turns the local time into an instant.
//!
//! An abbreviation is not a time zone: `CST` is UTC-6 in Chicago, UTC+8 in Shanghai and UTC-5 in
//! Havana. So an abbreviation is resolved (1) in the zone the user named with `--log-timezone`
//! (an IANA name, as in postgresql.conf), daylight saving included — a repeated hour is told apart
//! by its abbreviation; (2) otherwise only when every zone of the bundled time-zone database that
//! used it in that year used it with one offset, and PostgreSQL's own abbreviation list
//! (src/timezone/tznames) does not mark it as conflicting. An abbreviation with several meanings
//! is [`TimeError::Ambiguous`]: the caller holds the whole file rather than pick one.
//!
//! In: the text of a timestamp field, and the [`LogZone`] of the run. Out: microseconds, and how
//! many bytes were consumed; or a [`TimeError`] that says what to pass.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use jiff::civil;
use jiff::tz::{AmbiguousOffset, TimeZone};

/// A timestamp's text, checked for syntax but not yet placed in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp<'a> {
    pub year: i16,
    pub month: i8,
    pub day: i8,
    pub hour: i8,
    pub minute: i8,
    pub second: i8,
    pub micros: i32,
    /// The zone as printed: an abbreviation (`UTC`, `CEST`) or a numeric offset (`+05:30`).
    pub zone: &'a str,
    /// Bytes of the input the timestamp covers.
    pub len: usize,
}

impl Stamp<'_> {
    /// Microseconds since the epoch if the local time were UTC.
    fn local_micros(&self) -> i64 {
        let days = days_from_civil(i64::from(self.year), i64::from(self.month), i64::from(self.day));
        let secs = days * 86_400 + i64::from(self.hour) * 3600 + i64::from(self.minute) * 60 + i64::from(self.second);
        secs * 1_000_000 + i64::from(self.micros)
    }

    fn civil(&self) -> civil::DateTime {
        // scan() checked the fields, so the default is never used.
        civil::DateTime::new(
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
            self.micros * 1000,
        )
        .unwrap_or_default()
    }
}

/// Why text is not a timestamp PostgreSQL writes: what was expected, and the shape of what
/// was found (never its data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StampError {
    #[error("expected a timestamp like '2026-11-24 10:15:26.123 UTC', found '{found}'")]
    NotATimestamp { found: String },
    #[error("invalid date or time in timestamp '{0}'")]
    InvalidDate(String),
    #[error("expected a time zone after the timestamp '{0}'")]
    NoZone(String),
    #[error("expected a time zone abbreviation or offset after the timestamp '{0}'")]
    NoZoneToken(String),
    #[error("expected epoch seconds (%n), found '{found}'")]
    NotEpoch { found: String },
    #[error("bad fraction in epoch timestamp '{0}'")]
    EpochFraction(String),
    #[error("epoch timestamp '{0}' is out of range")]
    EpochRange(String),
    #[error("malformed numeric time zone '{0}'")]
    NumericZone(String),
    #[error("numeric time zone '{0}' is out of range")]
    NumericZoneRange(String),
}

/// A --log-timezone that is not a zone of the IANA database, with the names nearest to it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--log-timezone '{name}' is not a time zone of the IANA database; {}", hint(.near))]
pub struct UnknownZone {
    pub name: String,
    pub near: Vec<String>,
}

fn hint(near: &[String]) -> String {
    if near.is_empty() {
        "use an IANA name such as UTC, Europe/Paris or Asia/Shanghai".to_string()
    } else {
        format!("did you mean {}?", near.join(", "))
    }
}

/// Why a timestamp could not be placed in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeError {
    /// Not a timestamp PostgreSQL writes.
    Malformed(StampError),
    /// The abbreviation means different offsets in different places; nothing is guessed.
    Ambiguous { abbr: String, offsets: Vec<i32> },
    /// No zone of the time-zone database used this abbreviation that year.
    Unknown { abbr: String, zone: Option<String> },
    /// A local time that does not exist in the named zone (skipped by a daylight-saving change).
    Skipped { zone: String },
}

impl TimeError {
    /// An ambiguity holds the whole file (no rows) instead of quarantining a line.
    pub fn holds_file(&self) -> bool {
        matches!(self, TimeError::Ambiguous { .. })
    }
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeError::Malformed(e) => e.fmt(f),
            TimeError::Ambiguous { abbr, offsets } => {
                let offsets: Vec<String> = offsets.iter().map(|o| format_offset(*o)).collect();
                write!(
                    f,
                    "time zone abbreviation '{abbr}' means different offsets in different places ({}); pass the server's log_timezone with --log-timezone (an IANA name such as Asia/Shanghai or America/Chicago)",
                    offsets.join(", ")
                )
            }
            TimeError::Unknown { abbr, zone: Some(zone) } => write!(
                f,
                "time zone abbreviation '{abbr}' is not used by --log-timezone {zone} at that time, nor by any single zone elsewhere; is --log-timezone the server's log_timezone?"
            ),
            TimeError::Unknown { abbr, zone: None } => write!(
                f,
                "unknown time zone abbreviation '{abbr}': no zone of the time-zone database uses it that year; pass the server's log_timezone with --log-timezone"
            ),
            TimeError::Skipped { zone } => write!(
                f,
                "this local time does not exist in {zone} (a daylight-saving change skipped it); is --log-timezone the server's log_timezone?"
            ),
        }
    }
}

/// How the run resolves local times: the `--log-timezone` zone, if any.
#[derive(Debug, Clone, Default)]
pub struct LogZone {
    named: Option<(String, TimeZone)>,
}

impl LogZone {
    /// No zone named: unambiguous abbreviations and numeric offsets only.
    pub fn unnamed() -> LogZone {
        LogZone::default()
    }

    /// The IANA zone `name` (as postgresql.conf's log_timezone), from the bundled database.
    pub fn named(name: &str) -> Result<LogZone, UnknownZone> {
        match jiff::tz::db().get(name) {
            Ok(tz) => Ok(LogZone {
                named: Some((name.to_string(), tz)),
            }),
            Err(_) => {
                let lower = name.to_ascii_lowercase();
                let tail = lower.rsplit('/').next().unwrap_or(&lower).to_string();
                let near: Vec<String> = jiff::tz::db()
                    .available()
                    .map(|n| n.as_str().to_string())
                    .filter(|n| n.to_ascii_lowercase().contains(&tail))
                    .take(5)
                    .collect();
                Err(UnknownZone {
                    name: name.to_string(),
                    near,
                })
            }
        }
    }

    pub fn name(&self) -> Option<&str> {
        self.named.as_ref().map(|(n, _)| n.as_str())
    }

    /// The instant of `stamp`, in microseconds since the epoch.
    pub fn resolve(&self, stamp: &Stamp<'_>) -> Result<i64, TimeError> {
        let local = stamp.local_micros();
        if let Some(offset) = numeric_offset(stamp.zone)? {
            return Ok(local - i64::from(offset) * 1_000_000);
        }
        if is_utc(stamp.zone) {
            return Ok(local);
        }
        if let Some((_, tz)) = &self.named
            && let Some(offset) = offset_in_zone(tz, stamp)?
        {
            return Ok(local - i64::from(offset) * 1_000_000);
        }
        match global_offset(stamp.zone, stamp.year) {
            Ok(offset) => Ok(local - i64::from(offset) * 1_000_000),
            Err(TimeError::Unknown { abbr, .. }) => Err(TimeError::Unknown {
                abbr,
                zone: self.name().map(str::to_string),
            }),
            Err(e) => Err(e),
        }
    }
}

/// Checks the syntax of `YYYY-MM-DD HH:MM:SS[.fraction] ZONE` at the start of `s`.
pub fn scan(s: &str) -> Result<Stamp<'_>, StampError> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<u32> {
        let part = b.get(from..from + len)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| part.iter().fold(0u32, |a, d| a * 10 + u32::from(d - b'0')))
    };
    let shape_ok = b.len() >= 19 && b[4] == b'-' && b[7] == b'-' && b[10] == b' ' && b[13] == b':' && b[16] == b':';
    let fields = (num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2));
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(sec)) = fields else {
        return Err(expected(s));
    };
    if !shape_ok {
        return Err(expected(s));
    }
    let mut i = 19;
    let mut micros: u32 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return Err(expected(s));
        }
        for k in 0..6 {
            let digit = if start + k < i {
                u32::from(b[start + k] - b'0')
            } else {
                0
            };
            micros = micros * 10 + digit;
        }
    }
    let valid = civil::DateTime::new(y as i16, mo as i8, d as i8, h as i8, mi as i8, sec as i8, 0).is_ok();
    if !valid {
        return Err(StampError::InvalidDate(s[..19].to_string()));
    }
    if b.get(i) != Some(&b' ') {
        return Err(StampError::NoZone(s[..i].to_string()));
    }
    i += 1;
    let zone_len = zone_token(&b[i..]);
    if zone_len == 0 {
        return Err(StampError::NoZoneToken(s[..i - 1].to_string()));
    }
    Ok(Stamp {
        year: y as i16,
        month: mo as i8,
        day: d as i8,
        hour: h as i8,
        minute: mi as i8,
        second: sec as i8,
        micros: micros as i32,
        zone: &s[i..i + zone_len],
        len: i + zone_len,
    })
}

/// [`scan`] then [`LogZone::resolve`]: microseconds and the bytes consumed.
pub fn parse(s: &str, zone: &LogZone) -> Result<(i64, usize), TimeError> {
    let stamp = scan(s).map_err(TimeError::Malformed)?;
    Ok((zone.resolve(&stamp)?, stamp.len))
}

/// Length of the zone at the start of `b`: letters (an abbreviation, at most 6: the database's
/// longest is 5), or a sign and digits with optional colons (`+05`, `-0330`, `+05:30`).
fn zone_token(b: &[u8]) -> usize {
    match b.first() {
        Some(b'+' | b'-') => {
            let n = 1 + b[1..].iter().take_while(|c| c.is_ascii_digit() || **c == b':').count();
            if n > 1 { n } else { 0 }
        }
        Some(c) if c.is_ascii_alphabetic() => {
            let n = b.iter().take_while(|c| c.is_ascii_alphabetic()).count();
            if n <= 6 { n } else { 0 }
        }
        _ => 0,
    }
}

/// Parses an epoch timestamp with optional fraction ("1732414526.123", %n) at the start of `s`.
pub fn parse_epoch(s: &str) -> Result<(i64, usize), StampError> {
    let end = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let text = &s[..end];
    let (secs, frac) = text.split_once('.').unwrap_or((text, ""));
    let secs: i64 = secs.parse().map_err(|_| StampError::NotEpoch { found: excerpt(s) })?;
    let mut frac: String = frac.chars().take(6).collect();
    while frac.len() < 6 {
        frac.push('0');
    }
    let micros: i64 = frac.parse().map_err(|_| StampError::EpochFraction(text.to_string()))?;
    let at = secs
        .checked_mul(1_000_000)
        .and_then(|us| us.checked_add(micros))
        .ok_or_else(|| StampError::EpochRange(text.to_string()))?;
    Ok((at, end))
}

fn is_utc(zone: &str) -> bool {
    matches!(zone, "UTC" | "GMT" | "UCT" | "UT" | "Z" | "Zulu")
}

/// Seconds east of UTC of a numeric zone (`+05`, `-0330`, `+05:30`, `+053000`); None for an
/// abbreviation.
fn numeric_offset(zone: &str) -> Result<Option<i32>, TimeError> {
    let (sign, rest) = match zone.as_bytes().first() {
        Some(b'+') => (1, &zone[1..]),
        Some(b'-') => (-1, &zone[1..]),
        _ => return Ok(None),
    };
    let digits: Vec<i32> = rest
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|d| i32::from(d - b'0'))
        .collect();
    let two = |i: usize| digits[i] * 10 + digits[i + 1];
    let secs = match digits.len() {
        1 => digits[0] * 3600,
        2 => two(0) * 3600,
        4 => two(0) * 3600 + two(2) * 60,
        6 => two(0) * 3600 + two(2) * 60 + two(4),
        _ => return Err(TimeError::Malformed(StampError::NumericZone(zone.to_string()))),
    };
    if secs > 26 * 3600 {
        return Err(TimeError::Malformed(StampError::NumericZoneRange(zone.to_string())));
    }
    Ok(Some(sign * secs))
}

/// The offset of `stamp` in the named zone when that zone uses its abbreviation then (a repeated
/// hour is told apart by the abbreviation); None when it does not.
fn offset_in_zone(tz: &TimeZone, stamp: &Stamp<'_>) -> Result<Option<i32>, TimeError> {
    let dt = stamp.civil();
    let ambiguous = tz.to_ambiguous_timestamp(dt);
    let candidates = match ambiguous.offset() {
        AmbiguousOffset::Unambiguous { offset } => vec![offset],
        AmbiguousOffset::Fold { before, after } => vec![before, after],
        AmbiguousOffset::Gap { before, after } => {
            // Only an abbreviation of this zone makes a skipped time an error of the zone.
            let uses = [before, after]
                .iter()
                .filter_map(|o| o.to_timestamp(dt).ok())
                .any(|ts| tz.to_offset_info(ts).abbreviation() == stamp.zone);
            if uses {
                return Err(TimeError::Skipped {
                    zone: tz.iana_name().unwrap_or("the named zone").to_string(),
                });
            }
            return Ok(None);
        }
    };
    Ok(candidates
        .into_iter()
        .find(|o| abbreviation_at(tz, dt, *o).as_deref() == Some(stamp.zone))
        .map(|o| o.seconds()))
}

fn abbreviation_at(tz: &TimeZone, dt: civil::DateTime, offset: jiff::tz::Offset) -> Option<String> {
    let ts = offset.to_timestamp(dt).ok()?;
    let info = tz.to_offset_info(ts);
    (info.offset() == offset).then(|| info.abbreviation().to_string())
}

/// An abbreviation resolved for a year, remembered per thread.
type Memo = (String, i16, Result<i32, TimeError>);

/// Abbreviation → the offsets zones used it with.
type YearIndex = HashMap<String, BTreeSet<i32>>;

/// The one offset `abbr` had in `year` across the time-zone database (and PostgreSQL's list of
/// conflicting abbreviations), or why there is not exactly one.
fn global_offset(abbr: &str, year: i16) -> Result<i32, TimeError> {
    thread_local! {
        static MEMO: std::cell::RefCell<Vec<Memo>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    if let Some(hit) = MEMO.with(|m| {
        m.borrow()
            .iter()
            .find(|(a, y, _)| a == abbr && *y == year)
            .map(|(_, _, r)| r.clone())
    }) {
        return hit;
    }
    let index = year_index(year);
    let mut offsets: BTreeSet<i32> = index.get(abbr).cloned().unwrap_or_default();
    if !offsets.is_empty() {
        for (_, offset, _) in OTHER_MEANINGS.iter().filter(|(a, _, _)| *a == abbr) {
            offsets.insert(*offset);
        }
    }
    let result = match offsets.len() {
        0 => Err(TimeError::Unknown {
            abbr: abbr.to_string(),
            zone: None,
        }),
        1 => Ok(*offsets.iter().next().expect("one offset")),
        _ => Err(TimeError::Ambiguous {
            abbr: abbr.to_string(),
            offsets: offsets.into_iter().collect(),
        }),
    };
    MEMO.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() > 64 {
            m.clear();
        }
        m.push((abbr.to_string(), year, result.clone()));
    });
    result
}

/// Abbreviation → the offsets zones used it with in `year`, sampled on the 1st and 15th of each
/// month (an abbreviation is in use for months at a time). Built once per year and kept.
fn year_index(year: i16) -> Arc<YearIndex> {
    static ZONES: OnceLock<Vec<TimeZone>> = OnceLock::new();
    static INDEX: OnceLock<Mutex<HashMap<i16, Arc<YearIndex>>>> = OnceLock::new();
    let cache = INDEX.get_or_init(Mutex::default);
    if let Some(hit) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(&year) {
        return hit.clone();
    }
    let zones = ZONES.get_or_init(|| {
        let db = jiff::tz::db();
        db.available().filter_map(|name| db.get(name.as_str()).ok()).collect()
    });
    let mut index: YearIndex = HashMap::new();
    for month in 1..=12i8 {
        for day in [1i8, 15] {
            let Ok(dt) = civil::DateTime::new(year.clamp(1900, 2200), month, day, 12, 0, 0, 0) else {
                continue;
            };
            let Ok(ts) = jiff::tz::Offset::UTC.to_timestamp(dt) else {
                continue;
            };
            for tz in zones {
                let info = tz.to_offset_info(ts);
                let abbr = info.abbreviation();
                if abbr.starts_with(['+', '-']) {
                    continue;
                }
                index
                    .entry(abbr.to_string())
                    .or_default()
                    .insert(info.offset().seconds());
            }
        }
    }
    let index = Arc::new(index);
    cache
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(year, index.clone());
    index
}

/// Other meanings of abbreviations the bundled database prints with one offset only: meanings
/// PostgreSQL's own list (src/timezone/tznames, "CONFLICT!") or national usage gives them and that
/// servers with older time-zone data still print. Added to what the database says, so such an
/// abbreviation is never silently read as one of its meanings. (Australia's EST, CST and WST
/// are left out: Australia itself renamed them AEST, ACST and AWST in 2014.)
const OTHER_MEANINGS: &[(&str, i32, &str)] = &[
    ("BST", 21_600, "Bangladesh Standard Time"),
    ("BST", 39_600, "Bougainville Standard Time"),
    ("AST", 10_800, "Arabia Standard Time"),
    ("AMT", 14_400, "Armenia Time"),
    ("AMST", 18_000, "Armenia Summer Time"),
    ("CST", 28_800, "China Standard Time"),
    ("CDT", -14_400, "Cuba Central Daylight Time"),
    ("PST", 28_800, "Philippine Standard Time"),
    ("IST", 3_600, "Irish Standard Time"),
    ("IST", 7_200, "Israel Standard Time"),
    ("IST", 19_800, "Indian Standard Time"),
];

fn format_offset(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.abs();
    format!("UTC{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60)
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn expected(s: &str) -> StampError {
    StampError::NotATimestamp { found: excerpt(s) }
}

/// What the input looked like where parsing stopped: its shape only, never its data.
fn excerpt(s: &str) -> String {
    crate::redact::shape(s, 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> Result<(i64, usize), TimeError> {
        parse(s, &LogZone::unnamed())
    }

    /// Found by reading for the fuzz targets: 13+ digit epochs overflowed the microseconds.
    #[test]
    fn an_epoch_out_of_range_is_an_error_not_an_overflow() {
        assert!(parse_epoch("9999999999999999999").is_err());
        assert!(
            parse_epoch("9223372036855.5")
                .unwrap_err()
                .to_string()
                .contains("out of range")
        );
        assert_eq!(parse_epoch("1732414526.5 x").unwrap(), (1_732_414_526_500_000, 12));
    }

    #[test]
    fn zones_and_fractions() {
        let (at, n) = utc("2026-11-24 10:15:26.123 UTC [12]").unwrap();
        assert_eq!(n, 27);
        assert_eq!(at, 1_795_515_326_123_000, "2026-11-24T10:15:26.123Z");
        assert_eq!(utc("2026-11-24 11:15:26.123 CET").unwrap().0, at);
        assert_eq!(utc("2026-11-24 15:45:26.123 +0530").unwrap().0, at);
        assert_eq!(utc("2026-11-24 15:45:26.123 +05:30").unwrap().0, at);
        assert_eq!(utc("2026-11-24 05:15:26.123 -05").unwrap().0, at);
        assert_eq!(utc("2026-11-24 10:15:26 UTC").unwrap().0, at - 123_000);
        assert_eq!(utc("2026-11-24 13:15:26.123 MSK").unwrap().0, at);
        assert_eq!(utc("2026-11-24 05:15:26.123 EST").unwrap().0, at);
        assert_eq!(parse_epoch("1795515326.123 rest").unwrap(), (at, 14));
    }

    #[test]
    fn the_zone_ends_at_the_abbreviation_as_on_rds() {
        // RDS and Aurora: '%t:%r:%u@%d:[%p]:' puts a colon right after the zone.
        let stamp = scan("2026-11-24 10:15:26 UTC:10.0.1.5(5432):app@db:[42]:LOG:  x").unwrap();
        assert_eq!((stamp.zone, stamp.len), ("UTC", 23));
    }

    #[test]
    fn an_abbreviation_with_several_meanings_is_never_picked() {
        for abbr in ["CST", "IST", "BST"] {
            let err = utc(&format!("2026-11-24 18:15:26 {abbr}")).unwrap_err();
            assert!(err.holds_file(), "{abbr}: {err}");
            assert!(err.to_string().contains("--log-timezone"), "{err}");
        }
        let shanghai = LogZone::named("Asia/Shanghai").unwrap();
        let at = utc("2026-11-24 10:15:26 UTC").unwrap().0;
        assert_eq!(parse("2026-11-24 18:15:26 CST", &shanghai).unwrap().0, at);
        let chicago = LogZone::named("America/Chicago").unwrap();
        assert_eq!(parse("2026-11-24 04:15:26 CST", &chicago).unwrap().0, at);
        // An unambiguous abbreviation of another server still reads under a named zone.
        assert_eq!(parse("2026-11-24 11:15:26 CET", &chicago).unwrap().0, at);
    }

    #[test]
    fn daylight_saving_repeated_hour_is_told_apart_by_the_abbreviation() {
        let paris = LogZone::named("Europe/Paris").unwrap();
        // 2026-10-25 02:30 happens twice in Paris: first CEST (UTC+2), then CET (UTC+1).
        let cest = parse("2026-10-25 02:30:00 CEST", &paris).unwrap().0;
        let cet = parse("2026-10-25 02:30:00 CET", &paris).unwrap().0;
        assert_eq!(cet - cest, 3_600_000_000);
        assert_eq!(cest, utc("2026-10-25 00:30:00 UTC").unwrap().0);
        // 2026-03-29 02:30 does not exist in Paris.
        assert!(matches!(
            parse("2026-03-29 02:30:00 CET", &paris),
            Err(TimeError::Skipped { .. })
        ));
    }

    #[test]
    fn bad_timestamps_say_what_was_expected() {
        assert!(matches!(
            utc("2026-11-24 10:15:26.123 XYZT"),
            Err(TimeError::Unknown { .. })
        ));
        assert!(
            utc("not a time")
                .unwrap_err()
                .to_string()
                .contains("expected a timestamp")
        );
        assert!(
            utc("2026-13-24 10:15:26 UTC")
                .unwrap_err()
                .to_string()
                .contains("invalid date")
        );
        assert!(
            LogZone::named("Europe/Pariss")
                .unwrap_err()
                .to_string()
                .contains("Europe/Paris")
        );
    }
}

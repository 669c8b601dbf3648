//! PostgreSQL log timestamps → microseconds since the Unix epoch, UTC.
//!
//! Logs print local time in log_timezone with a zone abbreviation ("2026-11-24 10:15:26.123
//! UTC", "... CET", "... +05:30") or, for %n, epoch seconds with milliseconds. Abbreviations are
//! ambiguous in general, so only a fixed, documented table is accepted (docs/formats.md); anything
//! else is an error telling the user to log in UTC.
//!
//! In: the text of a timestamp field. Out: microseconds, and how many bytes were consumed.

use chrono::NaiveDate;

/// Fixed offsets (seconds east of UTC) of the zone abbreviations agaudit accepts.
const ZONES: &[(&str, i32)] = &[
    ("UTC", 0),
    ("GMT", 0),
    ("UCT", 0),
    ("Z", 0),
    ("WET", 0),
    ("WEST", 3600),
    ("BST", 3600),
    ("CET", 3600),
    ("CEST", 7200),
    ("EET", 7200),
    ("EEST", 10800),
    ("MSK", 10800),
    ("IST", 19800),
    ("SGT", 28800),
    ("HKT", 28800),
    ("AWST", 28800),
    ("JST", 32400),
    ("KST", 32400),
    ("ACST", 34200),
    ("AEST", 36000),
    ("AEDT", 39600),
    ("NZST", 43200),
    ("NZDT", 46800),
    ("HST", -36000),
    ("AKST", -32400),
    ("AKDT", -28800),
    ("PST", -28800),
    ("PDT", -25200),
    ("MST", -25200),
    ("MDT", -21600),
    ("CST", -21600),
    ("CDT", -18000),
    ("EST", -18000),
    ("EDT", -14400),
];

/// Parses `YYYY-MM-DD HH:MM:SS[.fraction] ZONE` at the start of `s`.
pub fn parse(s: &str) -> Result<(i64, usize), String> {
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
    let mut micros: i64 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let digits = &s[start..i];
        if digits.is_empty() {
            return Err(expected(s));
        }
        let mut frac: String = digits.chars().take(6).collect();
        while frac.len() < 6 {
            frac.push('0');
        }
        micros = frac.parse::<i64>().map_err(|_| expected(s))?;
    }
    let date = NaiveDate::from_ymd_opt(y as i32, mo, d)
        .and_then(|d| d.and_hms_opt(h, mi, sec))
        .ok_or_else(|| format!("invalid date or time in timestamp '{}'", &s[..19]))?;
    let local = date.and_utc().timestamp() * 1_000_000 + micros;
    if b.get(i) != Some(&b' ') {
        return Err(format!("expected a time zone after the timestamp '{}'", &s[..i]));
    }
    i += 1;
    let zone_start = i;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'+' | b'-' | b':')) {
        i += 1;
    }
    let offset = zone_offset(&s[zone_start..i])?;
    Ok((local - i64::from(offset) * 1_000_000, i))
}

/// Parses an epoch timestamp with optional fraction ("1732414526.123", %n) at the start of `s`.
pub fn parse_epoch(s: &str) -> Result<(i64, usize), String> {
    let end = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let text = &s[..end];
    let (secs, frac) = text.split_once('.').unwrap_or((text, ""));
    let secs: i64 = secs
        .parse()
        .map_err(|_| format!("expected epoch seconds (%n), found '{}'", excerpt(s)))?;
    let mut frac: String = frac.chars().take(6).collect();
    while frac.len() < 6 {
        frac.push('0');
    }
    let micros: i64 = frac
        .parse()
        .map_err(|_| format!("bad fraction in epoch timestamp '{text}'"))?;
    let at = secs
        .checked_mul(1_000_000)
        .and_then(|us| us.checked_add(micros))
        .ok_or_else(|| format!("epoch timestamp '{text}' is out of range"))?;
    Ok((at, end))
}

fn zone_offset(zone: &str) -> Result<i32, String> {
    if let Some(&(_, off)) = ZONES.iter().find(|(name, _)| *name == zone) {
        return Ok(off);
    }
    // Numeric zones as PostgreSQL prints them when there is no abbreviation: +05, -0330, +05:30.
    let (sign, rest) = match zone.as_bytes().first() {
        Some(b'+') => (1, &zone[1..]),
        Some(b'-') => (-1, &zone[1..]),
        _ => {
            return Err(format!(
                "unknown time zone abbreviation '{zone}': set log_timezone = 'UTC' on the server, or use a numeric zone"
            ));
        }
    };
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().unwrap_or(0), 0),
        4 => (
            digits[..2].parse::<i32>().unwrap_or(0),
            digits[2..].parse::<i32>().unwrap_or(0),
        ),
        _ => return Err(format!("malformed numeric time zone '{zone}'")),
    };
    Ok(sign * (h * 3600 + m * 60))
}

fn expected(s: &str) -> String {
    format!(
        "expected a timestamp like '2026-11-24 10:15:26.123 UTC', found '{}'",
        excerpt(s)
    )
}

/// What the input looked like where parsing stopped: its shape only, never its data.
fn excerpt(s: &str) -> String {
    crate::redact::shape(s, 32)
}

#[cfg(test)]
mod tests {
    /// Found by reading for the fuzz targets: 13+ digit epochs overflowed the microseconds.
    #[test]
    fn an_epoch_out_of_range_is_an_error_not_an_overflow() {
        assert!(super::parse_epoch("9999999999999999999").is_err());
        assert!(
            super::parse_epoch("9223372036855.5")
                .unwrap_err()
                .contains("out of range")
        );
        assert_eq!(
            super::parse_epoch("1732414526.5 x").unwrap(),
            (1_732_414_526_500_000, 12)
        );
    }

    use super::*;

    #[test]
    fn zones_and_fractions() {
        let (utc, n) = parse("2026-11-24 10:15:26.123 UTC [12]").unwrap();
        assert_eq!(n, 27);
        assert_eq!(utc, 1_795_515_326_123_000, "2026-11-24T10:15:26.123Z");
        assert_eq!(parse("2026-11-24 11:15:26.123 CET").unwrap().0, utc);
        assert_eq!(parse("2026-11-24 15:45:26.123 +0530").unwrap().0, utc);
        assert_eq!(parse("2026-11-24 15:45:26.123 +05:30").unwrap().0, utc);
        assert_eq!(parse("2026-11-24 05:15:26.123 -05").unwrap().0, utc);
        assert_eq!(parse("2026-11-24 10:15:26 UTC").unwrap().0, utc - 123_000);
        assert_eq!(parse_epoch("1795515326.123 rest").unwrap(), (utc, 14));
    }

    #[test]
    fn bad_timestamps_say_what_was_expected() {
        assert!(
            parse("2026-11-24 10:15:26.123 XYZT")
                .unwrap_err()
                .contains("log_timezone")
        );
        assert!(parse("not a time").unwrap_err().contains("expected a timestamp"));
        assert!(parse("2026-13-24 10:15:26 UTC").unwrap_err().contains("invalid date"));
    }
}

//! log_line_prefix → a parser for the front of each stderr log line.
//!
//! PostgreSQL's stderr lines start with whatever the server's log_line_prefix prints. The user
//! gives agaudit the same setting (`--pg-prefix`), or [`super::infer`] finds it from the file;
//! this module compiles it into a sequence of literal text and typed fields and parses lines
//! with it. Free-text fields (%a %u %d %r %h %b %i) end at the literal that follows them; when a
//! value contains that literal (an application_name with a space), the parser backtracks over
//! later occurrences until the rest of the prefix and a severity keyword fit. `%q` ends the
//! prefix for processes without a session, exactly as the server does. Padding (`%-20a`, `%10p`)
//! is accepted. An escape PostgreSQL does not have (forks add their own, such as YugabyteDB's
//! `%C %R %Z %H`) is read as an opaque free-text token and reported as a warning.
//!
//! In: the prefix setting; then one line. Out: the prefix's fields and the rest of the line. The
//! time is only checked for syntax here ([`Stamp`]); placing it in time needs the log_timezone.

use nom::bytes::complete::{tag, take_while, take_while1};
use nom::combinator::opt;
use nom::{IResult, Parser};

use super::known_severity;
use std::fmt;

use super::timestamp::{self, Stamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    App,            // %a
    User,           // %u
    Database,       // %d
    RemoteHostPort, // %r
    RemoteHost,     // %h
    BackendType,    // %b
    Pid,            // %p
    LeaderPid,      // %P
    TimeNoMs,       // %t
    TimeMs,         // %m
    TimeEpoch,      // %n
    CommandTag,     // %i
    SqlState,       // %e
    SessionId,      // %c
    LineNumber,     // %l
    ProcessStart,   // %s
    VirtualXid,     // %v
    Xid,            // %x
    QueryId,        // %Q
    /// An escape PostgreSQL does not have (a fork's): free text whose value is not used.
    Opaque(char),
}

impl Field {
    fn free_text(self) -> bool {
        matches!(
            self,
            Field::App
                | Field::User
                | Field::Database
                | Field::RemoteHostPort
                | Field::RemoteHost
                | Field::BackendType
                | Field::CommandTag
                | Field::VirtualXid
                | Field::Opaque(_)
        )
    }

    /// The escape as written in a log_line_prefix.
    pub fn escape(self) -> char {
        match self {
            Field::App => 'a',
            Field::User => 'u',
            Field::Database => 'd',
            Field::RemoteHostPort => 'r',
            Field::RemoteHost => 'h',
            Field::BackendType => 'b',
            Field::Pid => 'p',
            Field::LeaderPid => 'P',
            Field::TimeNoMs => 't',
            Field::TimeMs => 'm',
            Field::TimeEpoch => 'n',
            Field::CommandTag => 'i',
            Field::SqlState => 'e',
            Field::SessionId => 'c',
            Field::LineNumber => 'l',
            Field::ProcessStart => 's',
            Field::VirtualXid => 'v',
            Field::Xid => 'x',
            Field::QueryId => 'Q',
            Field::Opaque(c) => c,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Literal(String),
    Field { field: Field, padded: bool },
}

/// A compiled log_line_prefix.
#[derive(Debug, Clone)]
pub struct Prefix {
    setting: String,
    items: Vec<Item>,
    /// Index in `items` where `%q` cut the prefix for non-session processes.
    session_only_from: Option<usize>,
    /// Escapes PostgreSQL does not have, read as opaque tokens.
    unknown_escapes: Vec<char>,
    /// Where the setting came from, as error messages name it.
    origin: &'static str,
}

/// The time a prefix carried: a local time to resolve (%t %m), or an instant (%n).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PrefixTime<'a> {
    Local(Stamp<'a>),
    Epoch(i64),
}

/// Values a prefix carried on one line. Borrowed from the line.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct PrefixFields<'a> {
    pub time: Option<PrefixTime<'a>>,
    pub pid: Option<i32>,
    pub user: Option<&'a str>,
    pub database: Option<&'a str>,
    pub application_name: Option<&'a str>,
    pub client_addr: Option<&'a str>,
    pub session_id: Option<&'a str>,
    pub sqlstate: Option<&'a str>,
}

impl Prefix {
    /// Compiles a log_line_prefix setting; errors name what cannot be parsed.
    pub fn compile(setting: &str) -> Result<Prefix, SettingError> {
        let mut items: Vec<Item> = Vec::new();
        let mut session_only_from = None;
        let mut unknown_escapes = Vec::new();
        let mut chars = setting.char_indices().peekable();
        let mut literal = String::new();
        while let Some((pos, c)) = chars.next() {
            if c != '%' {
                literal.push(c);
                continue;
            }
            let mut padded = false;
            while let Some(&(_, p)) = chars.peek() {
                if p == '-' || p.is_ascii_digit() {
                    padded = true;
                    chars.next();
                } else {
                    break;
                }
            }
            let Some((_, esc)) = chars.next() else {
                return Err(SettingError::LonePercent {
                    setting: setting.to_string(),
                    at: pos,
                });
            };
            let field = match esc {
                '%' => {
                    literal.push('%');
                    continue;
                }
                'q' => {
                    if !literal.is_empty() {
                        items.push(Item::Literal(std::mem::take(&mut literal)));
                    }
                    session_only_from = Some(items.len());
                    continue;
                }
                'a' => Field::App,
                'u' => Field::User,
                'd' => Field::Database,
                'r' => Field::RemoteHostPort,
                'h' => Field::RemoteHost,
                'b' => Field::BackendType,
                'p' => Field::Pid,
                'P' => Field::LeaderPid,
                't' => Field::TimeNoMs,
                'm' => Field::TimeMs,
                'n' => Field::TimeEpoch,
                'i' => Field::CommandTag,
                'e' => Field::SqlState,
                'c' => Field::SessionId,
                'l' => Field::LineNumber,
                's' => Field::ProcessStart,
                'v' => Field::VirtualXid,
                'x' => Field::Xid,
                'Q' => Field::QueryId,
                other => {
                    unknown_escapes.push(other);
                    Field::Opaque(other)
                }
            };
            if !literal.is_empty() {
                items.push(Item::Literal(std::mem::take(&mut literal)));
            }
            items.push(Item::Field { field, padded });
        }
        if !literal.is_empty() {
            items.push(Item::Literal(literal));
        }
        for pair in items.windows(2) {
            if let [Item::Field { field: a, .. }, Item::Field { field: b, .. }] = pair
                && a.free_text()
            {
                return Err(SettingError::Adjacent {
                    setting: setting.to_string(),
                    first: *a,
                    second: *b,
                });
            }
        }
        Ok(Prefix {
            setting: setting.to_string(),
            items,
            session_only_from,
            unknown_escapes,
            origin: "--pg-prefix",
        })
    }

    /// The same prefix, named in messages as found by inference rather than given.
    pub fn inferred(mut self) -> Prefix {
        self.origin = "the inferred log_line_prefix";
        self
    }

    pub fn setting(&self) -> &str {
        &self.setting
    }

    /// What the user should know about this prefix: escapes read as opaque tokens.
    pub fn warnings(&self) -> Vec<String> {
        self.unknown_escapes
            .iter()
            .map(|c| {
                format!(
                    "log_line_prefix '{}': '%{c}' is not a PostgreSQL escape (a fork's?); its value is read as an opaque token and not used",
                    self.setting
                )
            })
            .collect()
    }

    /// The escapes of this prefix, in order (inference compares prefixes by what they read).
    pub fn fields(&self) -> impl Iterator<Item = char> + '_ {
        self.items.iter().filter_map(|i| match i {
            Item::Field { field, .. } => Some(field.escape()),
            Item::Literal(_) => None,
        })
    }

    /// Parses the prefix at the start of `line`; returns its fields and the rest of the line,
    /// which starts with the severity keyword. Err says what did not match, for quarantine.
    pub fn parse<'p, 'a>(&'p self, line: &'a str) -> Result<(PrefixFields<'a>, &'a str), PrefixError<'p, 'a>> {
        let mut fields = PrefixFields::default();
        let full_err = match parse_items(&self.items, line, &mut fields, &mut Failed::default()) {
            Ok(rest) => return Ok((fields, rest)),
            Err(e) => e,
        };
        if let Some(cut) = self.session_only_from {
            let mut short = PrefixFields::default();
            if let Ok(rest) = parse_items(&self.items[..cut], line, &mut short, &mut Failed::default()) {
                return Ok((short, rest));
            }
        }
        Err(PrefixError {
            origin: self.origin,
            setting: &self.setting,
            cause: full_err,
        })
    }
}

/// The ways of matching the rest of a prefix against the rest of a line already found to fail:
/// (items left, bytes left) and why. Backtracking over free-text fields tries up to 16 ends for
/// each; without this, a line whose client-chosen values repeat the prefix's separators (an
/// application_name holding " client=" many times) would take 16^fields tries. With it, each
/// (items, position) is tried once.
#[derive(Default)]
struct Failed<'p, 'a>(Vec<((usize, usize), Mismatch<'p, 'a>)>);

/// Matches `items` against the start of `input`, then requires a severity keyword.
fn parse_items<'p, 'a>(
    items: &'p [Item],
    input: &'a str,
    out: &mut PrefixFields<'a>,
    failed: &mut Failed<'p, 'a>,
) -> Result<&'a str, Mismatch<'p, 'a>> {
    let key = (items.len(), input.len());
    if let Some((_, e)) = failed.0.iter().find(|(k, _)| *k == key) {
        return Err(e.clone());
    }
    let result = match_items(items, input, out, failed);
    if let Err(e) = &result {
        failed.0.push((key, e.clone()));
    }
    result
}

fn match_items<'p, 'a>(
    items: &'p [Item],
    input: &'a str,
    out: &mut PrefixFields<'a>,
    failed: &mut Failed<'p, 'a>,
) -> Result<&'a str, Mismatch<'p, 'a>> {
    let Some((first, rest_items)) = items.split_first() else {
        return if severity(input).is_some() {
            Ok(input)
        } else {
            Err(Mismatch::NoSeverity { found: Found(input) })
        };
    };
    match first {
        Item::Literal(lit) => match input.strip_prefix(lit.as_str()) {
            Some(rest) => parse_items(rest_items, rest, out, failed),
            None => Err(Mismatch::Literal {
                literal: lit,
                found: Found(input),
            }),
        },
        Item::Field { field, padded } if field.free_text() => {
            let input = if *padded { input.trim_start_matches(' ') } else { input };
            // The value runs to the next literal; try each occurrence (bounded) until the rest fits.
            let terminator = match rest_items.first() {
                Some(Item::Literal(l)) => Some(l.as_str()),
                _ => None,
            };
            let mut last_err = None;
            // Found one at a time: the first usually fits, and the message after the prefix
            // (a whole SQL statement) is not searched further for occurrences never tried.
            let by_terminator = terminator.map(|t| input.match_indices(t).map(|(i, _)| i).take(16));
            let by_severity = terminator.is_none().then(|| severity_positions(input));
            for end in by_terminator
                .into_iter()
                .flatten()
                .chain(by_severity.into_iter().flatten())
            {
                let mut trial = out.clone();
                let value = &input[..end];
                set_free_text(
                    &mut trial,
                    *field,
                    if *padded { value.trim_end_matches(' ') } else { value },
                );
                let after = if *padded {
                    skip_padding(&input[end..], rest_items.first())
                } else {
                    &input[end..]
                };
                match parse_items(rest_items, after, &mut trial, failed) {
                    Ok(rest) => {
                        *out = trial;
                        return Ok(rest);
                    }
                    Err(e) => last_err = Some(e),
                }
            }
            Err(last_err.unwrap_or(Mismatch::FreeText {
                field: *field,
                until: terminator.unwrap_or("a severity"),
                found: Found(input),
            }))
        }
        Item::Field { field, padded } => {
            let input = if *padded { input.trim_start_matches(' ') } else { input };
            let consumed = typed_field(*field, input, out).map_err(|cause| Mismatch::Field { field: *field, cause })?;
            let rest = &input[consumed..];
            let rest = if *padded {
                skip_padding(rest, rest_items.first())
            } else {
                rest
            };
            parse_items(rest_items, rest, out, failed)
        }
    }
}

/// Skips the spaces a padded field was filled with, leaving any the next literal starts with.
fn skip_padding<'a>(rest: &'a str, next: Option<&Item>) -> &'a str {
    let trimmed = rest.trim_start_matches(' ');
    let keep = match next {
        Some(Item::Literal(l)) => l.len() - l.trim_start_matches(' ').len(),
        _ => 0,
    };
    let skipped = rest.len() - trimmed.len();
    &rest[skipped.saturating_sub(keep)..]
}

fn set_free_text<'a>(out: &mut PrefixFields<'a>, field: Field, value: &'a str) {
    // PostgreSQL prints "[unknown]" for a session value that is not set.
    let value = (value != "[unknown]" && !value.is_empty()).then_some(value);
    match field {
        Field::App => out.application_name = value,
        Field::User => out.user = value,
        Field::Database => out.database = value,
        Field::RemoteHost => out.client_addr = value,
        Field::RemoteHostPort => {
            out.client_addr = value.map(|v| match v.rfind('(') {
                Some(i) if v.ends_with(')') => &v[..i],
                _ => v,
            })
        }
        _ => {}
    }
}

/// Parses a self-delimiting field; returns bytes consumed.
fn typed_field<'a>(field: Field, input: &'a str, out: &mut PrefixFields<'a>) -> Result<usize, FieldError<'a>> {
    let digits = |i: &'a str| -> IResult<&'a str, &'a str> { take_while1(|c: char| c.is_ascii_digit()).parse(i) };
    match field {
        Field::TimeMs | Field::TimeNoMs | Field::ProcessStart => {
            let stamp = timestamp::scan(input).map_err(FieldError::Time)?;
            if field != Field::ProcessStart {
                out.time = Some(PrefixTime::Local(stamp));
            }
            Ok(stamp.len)
        }
        Field::TimeEpoch => {
            let (ts, n) = timestamp::parse_epoch(input).map_err(FieldError::Time)?;
            out.time = Some(PrefixTime::Epoch(ts));
            Ok(n)
        }
        Field::Pid => {
            let (rest, d) = digits(input).map_err(|_| FieldError::Pid(Found(input)))?;
            out.pid = d.parse().ok();
            Ok(input.len() - rest.len())
        }
        Field::LeaderPid | Field::LineNumber | Field::Xid => {
            let (rest, _) = take_while(|c: char| c.is_ascii_digit())
                .parse(input)
                .map_err(|_: nom::Err<nom::error::Error<&str>>| FieldError::Digits(Found(input)))?;
            Ok(input.len() - rest.len())
        }
        Field::QueryId => {
            let (rest, _) = (opt(tag("-")), take_while(|c: char| c.is_ascii_digit()))
                .parse(input)
                .map_err(|_: nom::Err<nom::error::Error<&str>>| FieldError::Digits(Found(input)))?;
            Ok(input.len() - rest.len())
        }
        Field::SqlState => {
            let code: &str = input.get(..5).unwrap_or("");
            if code.len() == 5 && code.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) {
                out.sqlstate = (code != "00000").then_some(code);
                Ok(5)
            } else {
                Err(FieldError::Sqlstate(Found(input)))
            }
        }
        Field::SessionId => {
            let hex = |c: char| c.is_ascii_hexdigit();
            let (rest, _) = (take_while1(hex), tag("."), take_while1(hex))
                .parse(input)
                .map_err(|_: nom::Err<nom::error::Error<&str>>| FieldError::SessionId(Found(input)))?;
            let n = input.len() - rest.len();
            out.session_id = Some(&input[..n]);
            Ok(n)
        }
        _ => Err(FieldError::FreeText),
    }
}

/// The severity keyword at the start of `s` and the text after "KEYWORD:  ".
pub fn severity(s: &str) -> Option<(&'static str, &str)> {
    let colon = s.bytes().take(10).position(|c| c == b':')?;
    let word = known_severity(&s[..colon])?;
    let rest = &s[colon + 1..];
    Some((word, rest.strip_prefix("  ").unwrap_or(rest.trim_start_matches(' '))))
}

fn severity_positions(s: &str) -> Vec<usize> {
    super::SEVERITIES
        .iter()
        .filter_map(|sev| s.find(&format!("{sev}:")))
        .collect()
}

/// What the input looked like where parsing stopped: its shape only, never its data.
/// Input where parsing stopped, shown only as its shape (never its data), when displayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found<'a>(pub &'a str);

impl fmt::Display for Found<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::redact::shape(self.0, 40))
    }
}

/// A log_line_prefix setting that cannot be parsed reliably.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingError {
    #[error("--pg-prefix '{setting}' ends with a lone '%' at byte {at}")]
    LonePercent { setting: String, at: usize },
    #[error(
        "--pg-prefix '{setting}': {first:?} is followed directly by {second:?} with no text between them, so their boundary cannot be found; logs written with such a prefix cannot be parsed reliably"
    )]
    Adjacent {
        setting: String,
        first: Field,
        second: Field,
    },
}

/// A line that does not start with the prefix, for quarantine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line does not match {origin} '{setting}': {cause}")]
pub struct PrefixError<'p, 'a> {
    /// `--pg-prefix` or `the inferred log_line_prefix`.
    pub origin: &'static str,
    pub setting: &'p str,
    pub cause: Mismatch<'p, 'a>,
}

/// What did not match, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch<'p, 'a> {
    #[error("expected a severity (LOG:, ERROR:, STATEMENT:, ...) after the prefix, found '{found}'")]
    NoSeverity { found: Found<'a> },
    #[error("expected '{literal}' , found '{found}'")]
    Literal { literal: &'p str, found: Found<'a> },
    #[error("expected {field:?} followed by '{until}', found '{found}'")]
    FreeText {
        field: Field,
        until: &'p str,
        found: Found<'a>,
    },
    #[error("{cause} (for {field:?})")]
    Field { field: Field, cause: FieldError<'a> },
}

/// A self-delimiting field that does not hold what its escape writes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError<'a> {
    #[error(transparent)]
    Time(timestamp::StampError),
    #[error("expected a process id, found '{0}'")]
    Pid(Found<'a>),
    #[error("expected digits, found '{0}'")]
    Digits(Found<'a>),
    #[error("expected a 5-character SQLSTATE, found '{0}'")]
    Sqlstate(Found<'a>),
    #[error("expected a session id like 6743a1b2.4d2, found '{0}'")]
    SessionId(Found<'a>),
    #[error("a free-text field has no fixed form")]
    FreeText,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_prefix() {
        let p = Prefix::compile("%m [%p] ").unwrap();
        let (f, rest) = p.parse("2026-11-24 10:15:26.123 UTC [4242] LOG:  AUDIT: x").unwrap();
        assert_eq!(f.pid, Some(4242));
        assert!(matches!(f.time, Some(PrefixTime::Local(_))));
        assert_eq!(rest, "LOG:  AUDIT: x");
    }

    #[test]
    fn rich_prefix_with_q_unknown_and_spaces() {
        let p = Prefix::compile("%m [%p] %q%u@%d app=%a client=%h session=%c sqlstate=%e ").unwrap();
        let line = "2026-11-24 10:15:26.123 UTC [77] ro@reporting app=my app client=127.0.0.1 session=6743a1b2.4d sqlstate=42501 ERROR:  permission denied";
        let (f, rest) = p.parse(line).unwrap();
        assert_eq!(f.application_name, Some("my app"));
        assert_eq!(f.user, Some("ro"));
        assert_eq!(f.database, Some("reporting"));
        assert_eq!(f.client_addr, Some("127.0.0.1"));
        assert_eq!(f.session_id, Some("6743a1b2.4d"));
        assert_eq!(f.sqlstate, Some("42501"));
        assert!(rest.starts_with("ERROR:"));
        // A background process stops at %q.
        let (f, rest) = p
            .parse("2026-11-24 10:15:26.123 UTC [78] LOG:  checkpoint starting: time")
            .unwrap();
        assert_eq!((f.pid, f.user), (Some(78), None));
        assert!(rest.starts_with("LOG:"));
        // [unknown] application_name is null.
        let line = "2026-11-24 10:15:26.123 UTC [77] ro@reporting app=[unknown] client=[local] session=1.2 sqlstate=00000 LOG:  x";
        let (f, _) = p.parse(line).unwrap();
        assert_eq!(
            (f.application_name, f.client_addr, f.sqlstate),
            (None, Some("[local]"), None)
        );
    }

    #[test]
    fn remote_host_port_and_padding_and_epoch() {
        let p = Prefix::compile("%n %-8p %r ").unwrap();
        let (f, rest) = p.parse("1795515326.123 42       10.0.0.5(51234) LOG:  x").unwrap();
        assert_eq!((f.pid, f.client_addr), (Some(42), Some("10.0.0.5")));
        assert_eq!(rest, "LOG:  x");
    }

    #[test]
    fn values_that_repeat_the_separators_are_split_once_per_position() {
        // A client chooses its application_name; one that repeats the prefix's separators must
        // not make the backtracking try every combination of ends (16 per free-text field).
        let p = Prefix::compile("%m [%p] %q%u@%d app=%a client=%h session=%c sqlstate=%e ").unwrap();
        let app = " client=x session=y".repeat(20);
        let line = format!(
            "2026-11-24 10:15:26.123 UTC [42] alice@db app={app} client=10.0.0.5 session=6743a1b2.4d2 sqlstate=00000 LOG:  x"
        );
        // Such a line can be split in more than one way; the first split that fits is taken
        // (the value then reads shorter than the client set it).
        let (f, rest) = p.parse(&line).unwrap();
        assert_eq!((f.user, f.sqlstate, rest), (Some("alice"), None, "LOG:  x"));
        // A line no split fits fails, after each (field, position) was tried once: without that
        // this line takes 16^4 tries.
        let bad = format!("2026-11-24 10:15:26.123 UTC [42] alice@db app={app} client=10.0.0.5 session=zz LOG:  x");
        let e = p.parse(&bad).unwrap_err().to_string();
        assert!(e.contains("expected"), "{e}");
    }

    #[test]
    fn wrong_prefix_errors_say_what_was_expected() {
        let p = Prefix::compile("%t [%p]: ").unwrap();
        let err = p
            .parse("2026-11-24 10:15:26.123 UTC [4242] LOG:  x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("--pg-prefix '%t [%p]: '"), "{err}");
        assert!(
            Prefix::compile("%a%u ")
                .unwrap_err()
                .to_string()
                .contains("no text between")
        );
    }

    #[test]
    fn a_forks_escape_is_an_opaque_token_with_a_warning() {
        // YugabyteDB's default adds cloud, region and zone.
        let p = Prefix::compile("%m [%p] %C %R %Z ").unwrap();
        let (f, rest) = p
            .parse("2026-11-24 10:15:26.123 UTC [42] aws us-east-1 us-east-1a LOG:  x")
            .unwrap();
        assert_eq!((f.pid, rest), (Some(42), "LOG:  x"));
        let w = p.warnings();
        assert_eq!(w.len(), 3);
        assert!(w[0].contains("'%C' is not a PostgreSQL escape"), "{}", w[0]);
    }

    #[test]
    fn severities() {
        assert_eq!(severity("ERROR:  boom"), Some(("ERROR", "boom")));
        assert_eq!(severity("STATEMENT:  select 1"), Some(("STATEMENT", "select 1")));
        assert_eq!(severity("AUDIT: x"), None);
    }
}

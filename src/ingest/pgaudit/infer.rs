//! Finding a file's log_line_prefix from its own lines, when the user did not pass `--pg-prefix`.
//!
//! Estates rarely run PostgreSQL's default prefix, and managed services fix their own (AWS RDS
//! and Aurora `%t:%r:%u@%d:[%p]:`, Cloud SQL, Azure, Heroku). Two sources of candidates are
//! tried against the first lines of the file: the prefixes PostgreSQL, the distributions, the
//! managed services and common tools document ([`KNOWN`]), and prefixes read off the lines'
//! own structure (a timestamp, `[digits]`, `key=value` pairs such as `user=` `db=` `app=`,
//! `user@db`, `[N-1]` line numbers, session ids, SQLSTATEs). Each candidate is scored by how many
//! sampled lines it parses up to a severity keyword. The best wins; when two fit equally but
//! would read different values from the same lines (two bare words: `%u %d` or `%d %u`?), nothing
//! is guessed: the caller holds the file and names both.
//!
//! In: the first lines of a file (stderr text, after any envelope). Out: an [`Inference`] (the
//! prefix and how it was found) or an [`InferError`].

use std::collections::HashMap;

use super::prefix::{Prefix, PrefixFields, PrefixTime};
use super::{SEVERITIES, timestamp};

/// Prefixes documented by PostgreSQL, distributions, managed services and log tools, most common
/// first (ties between equally good fits go to the earlier one).
pub const KNOWN: &[(&str, &str)] = &[
    ("Debian and Ubuntu packages", "%m [%p] %q%u@%d "),
    ("PostgreSQL 10 and later (default)", "%m [%p] "),
    ("AWS RDS and Aurora", "%t:%r:%u@%d:[%p]:"),
    ("Google Cloud SQL", "%m [%p]: [%l-1] db=%d,user=%u "),
    ("Azure Database for PostgreSQL", "%t-%c-"),
    (
        "Heroku Postgres",
        " sql_error_code = %e time_ms = \"%m\" pid=\"%p\" proc_start_time=\"%s\" session_id=\"%c\" vtid=\"%v\" tid=\"%x\" log_line=\"%l\" %qdatabase=\"%d\" connection_source=\"%r\" user=\"%u\" application_name=\"%a\" ",
    ),
    ("Heroku Postgres (before 2023)", " sql_error_code = %e "),
    (
        "pgBadger's recommendation (stderr)",
        "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
    ),
    ("pgBadger's recommendation", "%t [%p]: user=%u,db=%d,app=%a,client=%h "),
    ("pgBadger's recommendation (syslog)", "user=%u,db=%d,app=%a,client=%h "),
    ("PostgreSQL before 10 (default)", ""),
];

/// How many sampled lines inference looks at.
const SAMPLE: usize = 400;

/// The prefix found for a file, and how.
#[derive(Debug, Clone)]
pub struct Inference {
    pub prefix: Prefix,
    /// For the summary and ingest.json: where the prefix came from and how well it fits.
    pub how: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InferError {
    #[error(
        "no log_line_prefix fits the first lines (tried {tried} prefixes, among them PostgreSQL's, Debian's and the managed services'); a line looks like '{shape}': pass the server's setting with --pg-prefix"
    )]
    NoFit { tried: usize, shape: String },
    #[error(
        "two log_line_prefixes fit the first lines equally well ({fit} of {sampled}) but read different values from them: '{first}' and '{second}'; pass the server's setting with --pg-prefix"
    )]
    Ambiguous {
        first: String,
        second: String,
        fit: usize,
        sampled: usize,
    },
}

/// A candidate that fits: lines fitted, rank among equal fits (fields read, documented, has
/// %q), how it was found, the prefix.
type Scored = (usize, (usize, bool, bool), String, Prefix);

/// Finds the prefix of `lines` (first lines of records; continuation lines are skipped here).
pub fn infer<'a>(lines: impl IntoIterator<Item = &'a str>) -> Result<Inference, InferError> {
    let sample: Vec<&str> = lines
        .into_iter()
        .filter(|l| !l.is_empty() && !l.starts_with('\t'))
        .filter(|l| severity_at(l).is_some())
        .take(SAMPLE)
        .collect();
    let mut candidates: Vec<(String, String)> = KNOWN
        .iter()
        .map(|(name, setting)| (format!("matches {name}"), setting.to_string()))
        .collect();
    for setting in from_structure(&sample) {
        if !candidates.iter().any(|(_, s)| *s == setting) {
            candidates.push(("read from the lines' structure".to_string(), setting));
        }
    }
    let tried = candidates.len();
    let mut scored: Vec<Scored> = Vec::new();
    for (i, (how, setting)) in candidates.into_iter().enumerate() {
        let Ok(prefix) = Prefix::compile(&setting) else {
            continue;
        };
        let fit = sample.iter().filter(|l| prefix.parse(l).is_ok()).count();
        if fit > 0 {
            // Among equal fits: the one that reads more; then a documented one; then one with
            // %q (it also fits the lines of processes without a session).
            let rank = (prefix.fields().count(), i < KNOWN.len(), setting.contains("%q"));
            scored.push((fit, rank, how, prefix));
        }
    }
    let Some(best_fit) = scored.iter().map(|s| s.0).max() else {
        let shape = sample.first().map_or_else(String::new, |l| {
            crate::redact::shape(&l[..severity_at(l).unwrap_or(0)], 60)
        });
        return Err(InferError::NoFit { tried, shape });
    };
    let mut best: Vec<_> = scored.into_iter().filter(|s| s.0 == best_fit).collect();
    // The sort is stable: among equals the documented order decides.
    best.sort_by_key(|c| std::cmp::Reverse(c.1));
    let reading = |p: &Prefix| -> Vec<Option<Reading>> {
        sample
            .iter()
            .map(|l| p.parse(l).ok().map(|(f, _)| Reading::of(&f)))
            .collect()
    };
    // A prefix that reads more fields and fits as many lines explains them better (a shorter one
    // fits only because its last free-text field swallows the rest); only prefixes that read as
    // many fields but different values leave a real choice.
    // A documented prefix that fits is preferred to one guessed from the lines' structure.
    let first = reading(&best[0].3);
    let (fields, known, _) = best[0].1;
    if let Some(other) = best[1..]
        .iter()
        .filter(|c| c.1.0 == fields && c.1.1 == known)
        .find(|c| reading(&c.3) != first)
    {
        return Err(InferError::Ambiguous {
            first: best[0].3.setting().to_string(),
            second: other.3.setting().to_string(),
            fit: best_fit,
            sampled: sample.len(),
        });
    }
    let (fit, _, how, prefix) = best.swap_remove(0);
    Ok(Inference {
        how: format!("inferred: {how} ({fit} of {} sampled lines fit)", sample.len()),
        prefix: prefix.inferred(),
    })
}

/// What a prefix reads from one line; two prefixes that read the same give the same rows.
#[derive(Debug, PartialEq, Eq)]
struct Reading {
    time: Option<String>,
    pid: Option<i32>,
    user: Option<String>,
    database: Option<String>,
    application_name: Option<String>,
    client_addr: Option<String>,
    session_id: Option<String>,
    sqlstate: Option<String>,
}

impl Reading {
    fn of(f: &PrefixFields<'_>) -> Reading {
        let own = |v: Option<&str>| v.map(str::to_string);
        Reading {
            time: f.time.map(|t| match t {
                PrefixTime::Local(s) => format!("{s:?}"),
                PrefixTime::Epoch(e) => e.to_string(),
            }),
            pid: f.pid,
            user: own(f.user),
            database: own(f.database),
            application_name: own(f.application_name),
            client_addr: own(f.client_addr),
            session_id: own(f.session_id),
            sqlstate: own(f.sqlstate),
        }
    }
}

/// Where the severity keyword (`LOG:  `, `ERROR:  `, ...) of a line starts.
pub fn severity_at(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    let mut from = 0;
    while let Some(colon) = memchr::memchr(b':', &b[from..]).map(|i| i + from) {
        let word_start = b[..colon]
            .iter()
            .rposition(|c| !c.is_ascii_alphanumeric())
            .map_or(0, |p| p + 1);
        let word = &line[word_start..colon];
        let spaced = line[colon + 1..].starts_with("  ") || colon + 1 == line.len();
        if spaced && SEVERITIES.contains(&word) {
            return Some(word_start);
        }
        from = colon + 1;
    }
    None
}

/// Candidate prefixes read off the structure of the sample: from the longest line of each of the
/// most common shapes (a shape keeps the punctuation and turns each run of letters and digits into
/// one mark), so that a few unusual lines (a long role name, an odd application_name) do not
/// decide alone.
fn from_structure(sample: &[&str]) -> Vec<String> {
    let mut by_shape: HashMap<String, (usize, &str)> = HashMap::new();
    for head in sample.iter().filter_map(|l| Some(&l[..severity_at(l)?])) {
        let e = by_shape.entry(shape(head)).or_insert((0, head));
        e.0 += 1;
        if head.len() > e.1.len() {
            e.1 = head;
        }
    }
    let mut shapes: Vec<(usize, &str)> = by_shape.into_values().collect();
    shapes.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.len().cmp(&a.1.len())).then(a.1.cmp(b.1)));
    let mut out = Vec::new();
    for (_, head) in shapes.into_iter().take(6) {
        for setting in synthesize(head) {
            let with_q = insert_q(&setting);
            for s in [setting, with_q] {
                if !out.contains(&s) {
                    out.push(s);
                }
            }
        }
    }
    out
}

/// The punctuation of a prefix, each run of letters and digits one `a`.
fn shape(head: &str) -> String {
    let mut out = String::with_capacity(head.len());
    for c in head.chars() {
        if c.is_alphanumeric() {
            if !out.ends_with('a') {
                out.push('a');
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// One token of a rendered prefix.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Literal(String),
    Escape(&'static str),
    /// A bare word whose meaning the line does not say: user, database or application?
    Bare,
}

/// The settings that could have printed `head` (several when bare words leave a choice).
fn synthesize(head: &str) -> Vec<String> {
    let tokens = tokenize(head);
    let bare = tokens.iter().filter(|t| **t == Token::Bare).count();
    if bare > 3 {
        return Vec::new();
    }
    let choices: Vec<Vec<&str>> = permutations(&["%u", "%d", "%a"], bare);
    choices
        .into_iter()
        .map(|choice| {
            let mut next = choice.into_iter();
            tokens
                .iter()
                .map(|t| match t {
                    Token::Literal(l) => l.replace('%', "%%"),
                    Token::Escape(e) => e.to_string(),
                    Token::Bare => next.next().unwrap_or("%a").to_string(),
                })
                .collect()
        })
        .collect()
}

fn permutations<'s>(items: &[&'s str], k: usize) -> Vec<Vec<&'s str>> {
    if k == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for (i, first) in items.iter().enumerate() {
        let rest: Vec<&str> = items
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, s)| *s)
            .collect();
        for mut tail in permutations(&rest, k - 1) {
            tail.insert(0, first);
            out.push(tail);
        }
    }
    out
}

/// Keys of `key=value` pairs in prefixes, and the escape their value is.
const KEYS: &[(&str, &str)] = &[
    ("user", "%u"),
    ("usr", "%u"),
    ("u", "%u"),
    ("role", "%u"),
    ("db", "%d"),
    ("database", "%d"),
    ("dbname", "%d"),
    ("d", "%d"),
    ("app", "%a"),
    ("appname", "%a"),
    ("application", "%a"),
    ("application_name", "%a"),
    ("a", "%a"),
    ("client", "%h"),
    ("host", "%h"),
    ("remote", "%r"),
    ("h", "%h"),
    ("r", "%r"),
    ("session", "%c"),
    ("sess", "%c"),
    ("session_id", "%c"),
    ("c", "%c"),
    ("pid", "%p"),
    ("p", "%p"),
    ("line", "%l"),
    ("l", "%l"),
    ("sqlstate", "%e"),
    ("sql_error_code", "%e"),
    ("e", "%e"),
    ("xid", "%x"),
    ("txid", "%x"),
    ("vxid", "%v"),
    ("query_id", "%Q"),
    ("queryid", "%Q"),
    ("backend", "%b"),
    ("backend_type", "%b"),
    ("tag", "%i"),
    ("command_tag", "%i"),
    ("cmd", "%i"),
];

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '$')
}

/// The end of the word at the start of `s`: word characters, and hyphens between them.
fn word_end(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = char::from(b[i]);
        let inner_hyphen = c == '-' && i > 0 && b.get(i + 1).is_some_and(|n| is_word(char::from(*n)));
        if !(is_word(c) || inner_hyphen) {
            break;
        }
        i += 1;
    }
    i
}

fn tokenize(head: &str) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::new();
    let mut rest = head;
    let mut seen_pid = false;
    let literal = |out: &mut Vec<Token>, s: &str| match out.last_mut() {
        Some(Token::Literal(l)) => l.push_str(s),
        _ => out.push(Token::Literal(s.to_string())),
    };
    while !rest.is_empty() {
        if let Ok(stamp) = timestamp::scan(rest) {
            let fraction = rest[..stamp.len].contains('.');
            out.push(Token::Escape(if fraction { "%m" } else { "%t" }));
            rest = &rest[stamp.len..];
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        if c == '[' {
            if let Some(end) = rest.find(']') {
                let inner = &rest[1..end];
                let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
                if digits(inner) {
                    let e = if seen_pid { "%l" } else { "%p" };
                    seen_pid = true;
                    literal(&mut out, "[");
                    out.push(Token::Escape(e));
                    literal(&mut out, "]");
                    rest = &rest[end + 1..];
                    continue;
                }
                if let Some((a, b)) = inner.split_once('-')
                    && digits(a)
                    && digits(b)
                {
                    literal(&mut out, "[");
                    out.push(Token::Escape("%l"));
                    literal(&mut out, &format!("-{b}]"));
                    rest = &rest[end + 1..];
                    continue;
                }
            }
            literal(&mut out, "[");
            rest = &rest[1..];
            continue;
        }
        if is_word(c) {
            let end = word_end(rest);
            let word = &rest[..end];
            let after = &rest[end..];
            // key=value (and "key = value", as Heroku's sql_error_code = %e)
            let eq = after.strip_prefix('=').or_else(|| after.strip_prefix(" = "));
            if let Some(value_and_rest) = eq
                && let Some((_, esc)) = KEYS.iter().find(|(k, _)| k.eq_ignore_ascii_case(word))
            {
                literal(&mut out, &rest[..rest.len() - value_and_rest.len()]);
                out.push(Token::Escape(esc));
                let sep = value_and_rest
                    .find([',', ' ', ';', ']', ')'])
                    .unwrap_or(value_and_rest.len());
                rest = &value_and_rest[sep..];
                continue;
            }
            // user@db
            if let Some(db_and_rest) = after.strip_prefix('@') {
                let db_end = word_end(db_and_rest);
                out.push(Token::Escape("%u"));
                literal(&mut out, "@");
                out.push(Token::Escape("%d"));
                rest = &db_and_rest[db_end..];
                continue;
            }
            // host(port)
            if after.starts_with('(')
                && let Some(close) = after.find(')')
                && after[1..close].bytes().all(|b| b.is_ascii_digit())
            {
                out.push(Token::Escape("%r"));
                rest = &after[close + 1..];
                continue;
            }
            if is_session_id(word) {
                out.push(Token::Escape("%c"));
            } else if is_sqlstate(word) {
                out.push(Token::Escape("%e"));
            } else if word.bytes().all(|b| b.is_ascii_digit()) {
                out.push(Token::Escape(if seen_pid { "%l" } else { "%p" }));
                seen_pid = true;
            } else if is_ip(word) {
                out.push(Token::Escape("%h"));
            } else {
                out.push(Token::Bare);
            }
            rest = after;
            continue;
        }
        let len = c.len_utf8();
        literal(&mut out, &rest[..len]);
        rest = &rest[len..];
    }
    out
}

fn is_session_id(w: &str) -> bool {
    match w.split_once('.') {
        Some((a, b)) => {
            a.len() >= 6
                && !b.is_empty()
                && a.bytes().all(|c| c.is_ascii_hexdigit())
                && b.bytes().all(|c| c.is_ascii_hexdigit())
                && a.bytes().any(|c| c.is_ascii_alphabetic() || c.is_ascii_digit())
        }
        None => false,
    }
}

fn is_sqlstate(w: &str) -> bool {
    w.len() == 5
        && w.bytes().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        && w.bytes().any(|c| c.is_ascii_digit())
}

fn is_ip(w: &str) -> bool {
    w.parse::<std::net::IpAddr>().is_ok()
}

/// The same setting with `%q` before its first session-only escape, as Debian writes it, so that
/// lines of background processes (no user, no database) fit too.
fn insert_q(setting: &str) -> String {
    let at = ["%u", "%d", "%a", "%r", "%h"]
        .iter()
        .filter_map(|e| setting.find(e))
        .min();
    match at {
        Some(i) if !setting.contains("%q") => {
            // Literal text that belongs to the session part (a key such as "user=") goes after %q.
            let head = &setting[..i];
            let cut = head.rfind([' ', ']', ':']).map_or(0, |p| p + 1);
            format!("{}%q{}", &setting[..cut], &setting[cut..])
        }
        _ => setting.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(lines: &[&str]) -> String {
        infer(lines.iter().copied()).unwrap().prefix.setting().to_string()
    }

    #[test]
    fn known_prefixes_are_recognised() {
        let rds = [
            "2026-11-24 10:15:26 UTC::@:[381]:LOG:  checkpoint starting: time",
            "2026-11-24 10:15:27 UTC:10.0.1.5(53412):app_user@reporting:[4242]:LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,select 1,<none>",
            "2026-11-24 10:15:27 UTC:10.0.1.5(53412):app_user@reporting:[4242]:ERROR:  permission denied for table t",
        ];
        assert_eq!(setting(&rds), "%t:%r:%u@%d:[%p]:");
        let debian = [
            "2026-11-24 10:15:26.123 UTC [381] LOG:  checkpoint starting: time",
            "2026-11-24 10:15:27.001 UTC [4242] alice@reporting LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,select 1,<none>",
        ];
        assert_eq!(setting(&debian), "%m [%p] %q%u@%d ");
        assert_eq!(setting(&["LOG:  database system is ready to accept connections"]), "");
    }

    #[test]
    fn structure_gives_a_prefix_no_list_has() {
        let lines = [
            "2026-11-24 10:15:26.123 UTC [381] sess=6743a1b2.4d user=alice,db=reporting,app=psql LOG:  x",
            "2026-11-24 10:15:27.001 UTC [4242] sess=6743a1b2.4e user=bob,db=reporting,app=my app LOG:  y",
        ];
        let inferred = infer(lines.iter().copied()).unwrap();
        assert_eq!(inferred.prefix.setting(), "%m [%p] sess=%c %quser=%u,db=%d,app=%a ");
        assert!(inferred.how.contains("structure"), "{}", inferred.how);
        let (f, _) = inferred.prefix.parse(lines[1]).unwrap();
        assert_eq!(f.application_name, Some("my app"));
    }

    #[test]
    fn two_readings_of_the_same_lines_hold_the_file() {
        let lines = [
            "2026-11-24 10:15:26.123 UTC [381] alice reporting LOG:  x",
            "2026-11-24 10:15:27.001 UTC [4242] bob reporting LOG:  y",
        ];
        match infer(lines.iter().copied()) {
            Err(InferError::Ambiguous { first, second, .. }) => {
                assert_ne!(first, second);
                assert!(first.contains("%u") && second.contains("%u"), "{first} / {second}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn nothing_fits_says_so_without_echoing_data() {
        // Two bare words could be user and database in either order, or the application.
        assert!(matches!(
            infer(["garbage Acme LOG:  x"].iter().copied()),
            Err(InferError::Ambiguous { .. })
        ));
        let literal = infer(["<<<%%%>>> ((( LOG:  x"].iter().copied()).unwrap();
        assert_eq!(literal.prefix.setting(), "<<<%%%%%%>>> ((( ");
        assert!(matches!(
            infer(["no severity here"].iter().copied()),
            Err(InferError::NoFit { .. })
        ));
    }

    #[test]
    fn severity_position() {
        assert_eq!(severity_at("2026-11-24 10:15:26 UTC::@:[381]:LOG:  x"), Some(33));
        assert_eq!(severity_at("x [1] STATEMENT:  select"), Some(6));
        assert_eq!(severity_at("AUDIT: x"), None);
    }
}

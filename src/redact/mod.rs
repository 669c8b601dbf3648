//! Redaction: nothing agaudit writes may carry a literal, a parameter value or a secret.
//!
//! Three entry points, one per kind of text: [`Redactor::sql`] for statements (literals out,
//! then secrets), [`Redactor::message`] for server error messages (quoted values and numbers out,
//! then secrets), and [`Redactor::text`] for every other text field (secrets). Each counts what
//! it removed per rule, so the ingest summary and ingest.json can say what was redacted.
//!
//! In: text from parsed input. Out: text safe to write, and counts in a [`RuleCounts`].

pub mod sql;

/// The secret rules live in their own crate, shared with ebpf-capture.
pub use agaudit_secrets as secrets;

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::OnceLock;

pub use secrets::RuleCounts;
use secrets::SecretScanner;

/// Count name for literals replaced in statements.
pub const SQL_LITERAL: &str = "sql_literal";
/// Count name for bound parameter values dropped (only their number is kept).
pub const BOUND_PARAMETER: &str = "bound_parameter";
/// Count name for quoted values and numbers removed from server messages.
pub const MESSAGE_VALUE: &str = "message_value";
/// Count name for values of URL query strings dropped from command lines.
pub const URL_QUERY_VALUE: &str = "url_query_value";
/// Count name for attribute values replaced because their key names a credential.
pub const CREDENTIAL_ATTRIBUTE: &str = "credential_attribute";
/// Count name for free text kept only as its length (log bodies, status descriptions,
/// exception messages, payloads).
pub const LENGTH_ONLY: &str = "length_only";

pub struct Redactor {
    secrets: SecretScanner,
}

/// The process-wide redactor (rules compile once).
pub fn redactor() -> &'static Redactor {
    static R: OnceLock<Redactor> = OnceLock::new();
    R.get_or_init(|| Redactor {
        secrets: SecretScanner::new(),
    })
}

impl Redactor {
    /// A statement with its literals replaced by `?` and secrets redacted. A length marker (a
    /// statement an earlier stage kept only as its length) is kept as it is.
    pub fn sql(&self, statement: &str, counts: &mut RuleCounts) -> String {
        let stripped = self.sql_without_literals(statement, counts);
        self.secrets.scan(&stripped, counts).into_owned()
    }

    /// The first half of [`Redactor::sql`]: literals replaced by `?` (counted), secrets not yet
    /// scanned. Callers that remember scans ([`crate::table::declare::Redact`]) key them by this.
    pub fn sql_without_literals<'a>(&self, statement: &'a str, counts: &mut RuleCounts) -> Cow<'a, str> {
        self.sql_without_literals_in(statement, sql::Dialect::Postgres, counts)
    }

    /// [`Redactor::sql_without_literals`] for a statement of `dialect`.
    pub fn sql_without_literals_in<'a>(
        &self,
        statement: &'a str,
        dialect: sql::Dialect,
        counts: &mut RuleCounts,
    ) -> Cow<'a, str> {
        if is_length_marker(statement) {
            return Cow::Borrowed(statement);
        }
        let stripped = sql::strip_literals_in(statement, dialect);
        if stripped.literals > 0 {
            *counts.entry(SQL_LITERAL).or_insert(0) += stripped.literals;
        }
        Cow::Owned(stripped.text)
    }

    /// Any other text field with secrets redacted (the scan alone: the last step of every kind
    /// of text).
    pub fn text<'a>(&self, text: &'a str, counts: &mut RuleCounts) -> Cow<'a, str> {
        self.secrets.scan(text, counts)
    }

    /// A server message (e.g. an ERROR's primary text) with values removed: a quoted segment
    /// stays only when the word before it names an object kind (relation "x", column "y"), since
    /// PostgreSQL quotes both identifiers and data values the same way; an unquoted word stays
    /// only after an object word or when PostgreSQL's own messages use it (a RAISE or an
    /// extension can put data in a message unquoted); numbers become `?`.
    pub fn message(&self, message: &str, counts: &mut RuleCounts) -> String {
        let text = self.message_without_values(message, counts);
        self.secrets.scan(&text, counts).into_owned()
    }

    /// The first half of [`Redactor::message`]: values removed (counted), secrets not yet
    /// scanned.
    pub fn message_without_values<'a>(&self, message: &'a str, counts: &mut RuleCounts) -> Cow<'a, str> {
        if is_length_marker(message) {
            return Cow::Borrowed(message);
        }
        let (text, removed) = strip_message_values(message);
        if removed > 0 {
            *counts.entry(MESSAGE_VALUE).or_insert(0) += removed;
        }
        Cow::Owned(text)
    }
}

/// The shape of raw input, for quarantine entries and error reasons: upper-case letters become
/// `A`, lower-case `a`, other letters `x`, digits `9`, control characters `?`; spaces and ASCII
/// punctuation stay; at most `max` characters. A shape shows why a line did not parse
/// (`9999-99-99 99:99:99.999 AAA [99]` against the prefix expected) without carrying any of its
/// data: input that fails to parse may start inside a literal, so stripping literals is not
/// enough. The file and line point the reader at the raw evidence itself.
pub fn shape(raw: &str, max: usize) -> String {
    let mut out: String = raw
        .chars()
        .take(max)
        .map(|c| match c {
            'A'..='Z' => 'A',
            'a'..='z' => 'a',
            '0'..='9' => '9',
            c if c.is_alphabetic() => 'x',
            c if c.is_numeric() => '9',
            ' ' => ' ',
            c if c.is_ascii_punctuation() => c,
            _ => '?',
        })
        .collect();
    if raw.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

/// What agaudit writes in place of text it keeps only the length of: `[message: N bytes]`,
/// `[payload: N bytes]`.
pub fn length_marker(kind: &str, len: usize) -> String {
    format!("[{kind}: {len} bytes]")
}

/// A command line as agaudit keeps it: an argument that reads as a statement (`psql -c "…"`)
/// loses its literals, a URL the values of its query string (`?q=…` is data), and the
/// arguments are joined by spaces. The caller's column then secret-scans the whole line, so a
/// flag and the value after it (`--password X`) are seen together.
pub fn command_line<S: AsRef<str>>(args: &[S], counts: &mut RuleCounts) -> String {
    let mut line = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            line.push(' ');
        }
        let a = a.as_ref();
        if sql::reads_as_statement(a) && a.contains(|c: char| c.is_whitespace()) {
            line.push_str(&redactor().sql(a, counts));
        } else {
            line.push_str(&url_query_values_out(a, counts));
        }
    }
    line
}

/// `text` with the value of every `key=value` in a URL's query string replaced by `?`: a
/// query string carries the request's data (`?customer=…`), not its shape.
pub fn url_query_values_out<'a>(text: &'a str, counts: &mut RuleCounts) -> Cow<'a, str> {
    let Some(q) = text
        .find("://")
        .and_then(|scheme| text[scheme..].find('?').map(|q| scheme + q))
    else {
        return Cow::Borrowed(text);
    };
    let (head, query) = text.split_at(q + 1);
    let (query, fragment) = query.split_at(query.find('#').unwrap_or(query.len()));
    let mut out = String::from(head);
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        match pair.split_once('=') {
            Some((key, value)) if !value.is_empty() => {
                *counts.entry(URL_QUERY_VALUE).or_insert(0) += 1;
                out.push_str(key);
                out.push_str("=?");
            }
            _ => out.push_str(pair),
        }
    }
    out.push_str(fragment);
    Cow::Owned(out)
}

/// `text` as its length marker (`[KIND: N bytes]`), counted; a marker already is one.
pub fn only_length(kind: &str, text: &str, counts: &mut RuleCounts) -> String {
    if is_length_marker(text) {
        return text.to_string();
    }
    *counts.entry(LENGTH_ONLY).or_insert(0) += 1;
    length_marker(kind, text.len())
}

fn is_length_marker(text: &str) -> bool {
    let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(" bytes]")) else {
        return false;
    };
    inner
        .split_once(": ")
        .is_some_and(|(kind, n)| kind.bytes().all(|c| c.is_ascii_lowercase()) && n.bytes().all(|c| c.is_ascii_digit()))
}

/// Whether a word is one of PostgreSQL's own messages (scripts/message_words.py), ignoring case.
fn is_message_word(word: &str) -> bool {
    static WORDS: OnceLock<HashSet<&'static str>> = OnceLock::new();
    let words = WORDS.get_or_init(|| {
        include_str!("message_words.txt")
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect()
    });
    word.len() <= 64 && words.contains(word.to_ascii_lowercase().as_str())
}

/// Words after which PostgreSQL names an object (quoted, or unquoted as in `permission denied
/// for table x`): the word after one is an identifier, not a value.
const OBJECT_WORDS: &[&str] = &[
    "relation",
    "table",
    "column",
    "constraint",
    "schema",
    "function",
    "procedure",
    "role",
    "database",
    "index",
    "sequence",
    "type",
    "view",
    "extension",
    "operator",
    "trigger",
    "domain",
    "user",
    "object",
    "policy",
    "publication",
    "subscription",
    "server",
    "tablespace",
    "language",
    "collation",
    "conversion",
    "rule",
    "cast",
    "aggregate",
    "statistics",
    "routine",
];

fn strip_message_values(message: &str) -> (String, u64) {
    fn starts_a_word(rest: &str) -> bool {
        rest.chars().next().is_some_and(char::is_alphabetic)
    }
    let b = message.as_bytes();
    let mut out = String::with_capacity(message.len());
    let mut removed = 0;
    let mut i = 0;
    let mut last_word: &str = "";
    while i < b.len() {
        let c = b[i];
        if c == b'"' || c == b'\'' {
            let end = memchr::memchr(c, &b[i + 1..]).map_or(b.len(), |n| i + 1 + n + 1);
            // An identifier in typographic quotes (`column "‘x’"`) was a value the server read
            // as a name: the statement's lexer treats ‘…’ as a literal, and so does this.
            let typographic = ['\u{2018}', '\u{2019}', '\u{201c}', '\u{201d}'];
            if c == b'"'
                && OBJECT_WORDS.contains(&last_word.to_ascii_lowercase().as_str())
                && !message[i..end].contains(typographic)
            {
                out.push_str(&message[i..end]);
            } else {
                removed += 1;
                out.push(c as char);
                out.push('?');
                out.push(c as char);
            }
            i = end;
            last_word = "";
        } else if c.is_ascii_digit() && !out.ends_with(|p: char| p.is_alphanumeric() || p == '_') {
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            removed += 1;
            out.push('?');
            last_word = "";
        } else if c.is_ascii_alphabetic() || c == b'_' || !c.is_ascii() && starts_a_word(&message[i..]) {
            let start = i;
            let len = message[i..]
                .char_indices()
                .find(|&(_, ch)| !(ch.is_alphanumeric() || ch == '_'))
                .map_or(message.len() - i, |(n, _)| n);
            i += len;
            let word = &message[start..i];
            let after_object = OBJECT_WORDS.contains(&last_word.to_ascii_lowercase().as_str());
            if after_object || is_message_word(word) {
                out.push_str(word);
            } else {
                removed += 1;
                out.push('?');
            }
            last_word = word;
        } else {
            let len = message[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&message[i..i + len]);
            if !c.is_ascii_whitespace() {
                last_word = "";
            }
            i += len;
        }
    }
    (out, removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(s: &str) -> String {
        redactor().message(s, &mut RuleCounts::new())
    }

    #[test]
    fn messages_keep_identifiers_and_lose_values() {
        assert_eq!(
            msg("permission denied for table invoices"),
            "permission denied for table invoices"
        );
        assert_eq!(
            msg("duplicate key value violates unique constraint \"customers_pkey\""),
            "duplicate key value violates unique constraint \"customers_pkey\""
        );
        assert_eq!(
            msg("invalid input syntax for type integer: \"AKIA-ish\""),
            "invalid input syntax for type integer: \"?\""
        );
        assert_eq!(
            msg("value 99999 is out of range for t2"),
            "value ? is out of range for ?"
        );
        // A RAISE's own words are data: only PostgreSQL's vocabulary and object names stay.
        assert_eq!(msg("card 4111111111111111 of Kowalczyk declined"), "? ? of ? ?");
        assert_eq!(msg("tenant Zürich-ACME suspended"), "? ?-? ?");
        assert_eq!(
            msg("function charge(text) does not exist"),
            "function charge(text) does not exist"
        );
        assert_eq!(msg("relation \"x\" does not exist"), "relation \"x\" does not exist");
        assert_eq!(
            msg("column \"\u{2018}Kowalczyk\u{2019}\" does not exist"),
            "column \"?\" does not exist"
        );
    }

    #[test]
    fn shape_keeps_structure_not_data() {
        assert_eq!(
            shape("2026-11-24 10:00:00 'Acme' Ünï", 40),
            "9999-99-99 99:99:99 'Aaaa' xax"
        );
        assert_eq!(shape("abcdef", 3), "aaa…");
        assert_eq!(shape("a\tb", 5), "a?a");
    }

    #[test]
    fn sql_counts_literals_and_secrets() {
        let mut c = RuleCounts::new();
        let out = redactor().sql(
            "update t set note = 'mail dana.planted@example.org' where id = 3",
            &mut c,
        );
        assert_eq!(out, "update t set note = ? where id = ?");
        assert_eq!(c[SQL_LITERAL], 2);
        // A secret outside any literal (here in an identifier position) is still caught.
        let out = redactor().sql("select AKIAZ7VQXHNP3EXAMPLE from t", &mut c);
        assert_eq!(out, "select [REDACTED:aws_access_key_id] from t");
    }
}

//! SQL lexing for redaction: literals out, structure in.
//!
//! Statements reach agaudit inside pgAudit records and error reports. Their literals are data
//! (customer names, keys typed into a WHERE clause), so they must never be written. This module
//! lexes PostgreSQL's lexical structure (not its grammar) and rebuilds the statement with every
//! literal replaced by `?`: quoted strings, E'' / U&'' / B'' / X'' / N'' strings, dollar-quoted
//! strings, and numbers. Identifiers (plain and "quoted"), keywords, operators and `$n`
//! parameters stay. Comment bodies are dropped, except that a sqlcommenter comment keeps its keys
//! (values become `'?'`). Anything unterminated is treated as literal to the end, so a lexing
//! surprise can only redact more, never less.
//!
//! Assumes standard_conforming_strings=on (PostgreSQL's default since 9.1): in a plain '...'
//! string a backslash is an ordinary character.
//!
//! In: statement text. Out: redacted text and the number of literals removed; the sqlcommenter
//! key/value pairs of the last comment; the command tag a statement starts with.

use std::collections::BTreeMap;

/// One lexical token, as byte offsets into the statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    Space,
    /// Keyword or unquoted identifier.
    Word,
    /// "quoted identifier" (or U&"...").
    QuotedIdent,
    /// Any literal: string, bit string, dollar-quoted string, number.
    Literal,
    /// `$1`-style positional parameter.
    Param,
    /// `/* ... */` (nesting allowed) or `-- ...`.
    BlockComment,
    LineComment,
    /// Any other single character (operators, punctuation).
    Punct,
}

/// Which lexical conventions a statement follows, as far as redaction cares: what a
/// double-quoted "…" is, and whether `#` starts a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// PostgreSQL's (and the SQL standard's): "…" is an identifier.
    Postgres,
    /// "…" may be a string, as in MySQL, MariaDB and SQLite, or in a statement whose database
    /// is not known: it is treated as a literal, so a value so quoted is never kept; `#` starts
    /// a comment, as in MySQL.
    DoubleQuotedStrings,
}

/// Splits `sql` into tokens with their byte ranges (PostgreSQL's lexical structure).
pub fn tokens(sql: &str) -> Vec<(Token, usize, usize)> {
    tokens_in(sql, Dialect::Postgres)
}

/// [`tokens`] in a dialect.
pub fn tokens_in(sql: &str, dialect: Dialect) -> Vec<(Token, usize, usize)> {
    let mut out = Vec::with_capacity(sql.len() / 4 + 1);
    each_token(sql, dialect, |kind, s, e| out.push((kind, s, e)));
    out
}

/// Calls `f` with each token of `sql` in order, as (kind, start, end): tokens are contiguous and
/// cover every byte. What [`tokens_in`] collects, for callers that need no list.
fn each_token(sql: &str, dialect: Dialect, mut f: impl FnMut(Token, usize, usize)) {
    let b = sql.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let c = b[i];
        let kind = match c {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0c => {
                while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0c) {
                    i += 1;
                }
                Token::Space
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                i = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |n| i + n);
                Token::LineComment
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = block_comment_end(b, i);
                Token::BlockComment
            }
            b'\'' => {
                i = plain_literal_end(b, i);
                Token::Literal
            }
            b'"' if dialect == Dialect::DoubleQuotedStrings => {
                // MySQL's strings take backslash escapes.
                i = quoted_end(b, i, true);
                Token::Literal
            }
            b'"' => {
                i = quoted_end(b, i, false);
                Token::QuotedIdent
            }
            b'#' if dialect == Dialect::DoubleQuotedStrings => {
                // MySQL's other line comment.
                i = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |n| i + n);
                Token::LineComment
            }
            0xe2 if typographic_quote(&b[i..]) => {
                // ‘…’ or “…” from a word processor or a chat: not SQL, but what it encloses
                // was meant as a value. To the next typographic quote, or to the end.
                i += 3;
                while i < b.len() && !typographic_quote(&b[i..]) {
                    i += 1;
                }
                i = (i + 3).min(b.len());
                Token::Literal
            }
            b'$' => {
                if b.get(i + 1).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                    Token::Param
                } else if let Some(end) = dollar_quoted_end(b, i) {
                    i = end;
                    Token::Literal
                } else {
                    i += 1;
                    Token::Punct
                }
            }
            b'0'..=b'9' => {
                i = number_end(b, i);
                Token::Literal
            }
            b'.' if b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                i = number_end(b, i);
                Token::Literal
            }
            c if is_ident_start(c) => {
                while i < b.len() && is_ident_char(b[i]) {
                    i += 1;
                }
                let word = &b[start..i];
                match b.get(i) {
                    // E'..', B'..', X'..', N'..' are literals introduced by one letter.
                    Some(b'\'') if word.len() == 1 && b"EeBbXxNn".contains(&word[0]) => {
                        i = quoted_end(b, i, matches!(word[0], b'E' | b'e'));
                        Token::Literal
                    }
                    // U&'..' is a literal, U&".." an identifier.
                    Some(b'&')
                        if word.eq_ignore_ascii_case(b"u") && matches!(b.get(i + 1), Some(b'\'') | Some(b'"')) =>
                    {
                        let quote = b[i + 1];
                        i = quoted_end(b, i + 1, false);
                        if quote == b'\'' {
                            Token::Literal
                        } else {
                            Token::QuotedIdent
                        }
                    }
                    _ => Token::Word,
                }
            }
            _ => {
                // One character; step over a whole UTF-8 sequence.
                i += utf8_len(c);
                Token::Punct
            }
        };
        i = i.min(b.len());
        f(kind, start, i);
    }
}

/// Whether `b` starts with ‘ ’ “ or ” (U+2018, U+2019, U+201C, U+201D).
fn typographic_quote(b: &[u8]) -> bool {
    matches!(b, [0xe2, 0x80, 0x98 | 0x99 | 0x9c | 0x9d, ..])
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xf0..=0xff => 4,
        0xe0..=0xef => 3,
        0xc0..=0xdf => 2,
        _ => 1,
    }
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

/// End (exclusive) of a plain '…' literal starting at `start`. Whether a backslash escapes
/// the quote after it depends on the session's standard_conforming_strings (on by default, off
/// in sessions that set it, and old servers): `'x\''y'` is one literal when it is on, and ends
/// before `y` when it is off. Which one the session had is not known here, so a backslash
/// before a quote makes the rest of the statement literal: text that might be inside a literal
/// is never kept, at the cost of the shape of what follows.
fn plain_literal_end(b: &[u8], start: usize) -> usize {
    let end = quoted_end(b, start, false);
    match memchr::memmem::find(&b[start + 1..end], b"\\'") {
        Some(_) => b.len(),
        None => end,
    }
}

/// End (exclusive) of a quoted token starting at `start` (the quote); doubled quotes escape, and
/// with `backslash` a backslash escapes the next byte. Unterminated: end of input.
fn quoted_end(b: &[u8], start: usize, backslash: bool) -> usize {
    let quote = b[start];
    let mut i = start + 1;
    while i < b.len() {
        let c = b[i];
        if backslash && c == b'\\' {
            i += 2;
            continue;
        }
        if c == quote {
            if b.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    b.len()
}

fn block_comment_end(b: &[u8], start: usize) -> usize {
    let mut depth = 0usize;
    let mut i = start;
    while i + 1 < b.len() {
        if b[i] == b'/' && b[i + 1] == b'*' {
            depth += 1;
            i += 2;
        } else if b[i] == b'*' && b[i + 1] == b'/' {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    b.len()
}

/// `$tag$ ... $tag$` starting at `start`; None when `start` does not open a dollar quote.
fn dollar_quoted_end(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    if i < b.len() && !(b[i] == b'$' || is_ident_start(b[i])) {
        return None;
    }
    while i < b.len() && b[i] != b'$' {
        if !is_ident_char(b[i]) || b[i] == b'$' {
            return None;
        }
        i += 1;
    }
    if i >= b.len() {
        return None;
    }
    let tag = &b[start..=i];
    let body = i + 1;
    Some(memchr::memmem::find(&b[body..], tag).map_or(b.len(), |n| body + n + tag.len()))
}

fn number_end(b: &[u8], start: usize) -> usize {
    let mut i = start;
    if b[i] == b'0' && matches!(b.get(i + 1), Some(b'x' | b'X' | b'o' | b'O' | b'b' | b'B')) {
        i += 2;
        while i < b.len() && (b[i].is_ascii_hexdigit() || b[i] == b'_') {
            i += 1;
        }
        return i;
    }
    let digits = |i: &mut usize| {
        while *i < b.len() && (b[*i].is_ascii_digit() || b[*i] == b'_') {
            *i += 1;
        }
    };
    digits(&mut i);
    if i < b.len() && b[i] == b'.' && b.get(i + 1) != Some(&b'.') {
        i += 1;
        digits(&mut i);
    }
    if i < b.len() && matches!(b[i], b'e' | b'E') {
        let mut j = i + 1;
        if j < b.len() && matches!(b[j], b'+' | b'-') {
            j += 1;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            i = j;
            digits(&mut i);
        }
    }
    i
}

/// A statement with its literals and comment bodies removed.
pub struct Stripped {
    pub text: String,
    /// Literals replaced by `?`.
    pub literals: u64,
}

/// The keys the sqlcommenter specification defines (and the OpenTelemetry ones it carries).
const SQLCOMMENTER_KEYS: &[&str] = &[
    "action",
    "application",
    "controller",
    "db_driver",
    "framework",
    "route",
    "traceparent",
    "tracestate",
];

/// Replaces every literal by `?` and drops comment bodies (the known sqlcommenter keys stay).
pub fn strip_literals(sql: &str) -> Stripped {
    strip_literals_in(sql, Dialect::Postgres)
}

/// [`strip_literals`] in a dialect.
pub fn strip_literals_in(sql: &str, dialect: Dialect) -> Stripped {
    let mut text = String::with_capacity(sql.len());
    let mut literals = 0;
    // Bytes of `sql` up to here are in `text`: the tokens between two replaced ones are copied
    // in one piece.
    let mut kept = 0;
    each_token(sql, dialect, |kind, s, e| {
        if !matches!(kind, Token::Literal | Token::LineComment | Token::BlockComment) {
            return;
        }
        text.push_str(&sql[kept..s]);
        kept = e;
        match kind {
            Token::Literal => {
                literals += 1;
                text.push('?');
            }
            Token::LineComment => text.push_str("--?"),
            _ => match sqlcommenter_pairs(&sql[s..e]) {
                Some(pairs) => {
                    text.push_str("/*");
                    for (n, (key, _)) in pairs.iter().enumerate() {
                        if n > 0 {
                            text.push(',');
                        }
                        // Keys are the input's text too: only the keys sqlcommenter defines are
                        // kept (any other could be a secret, or decode to `*/` and end the
                        // comment early).
                        let known = SQLCOMMENTER_KEYS.contains(&key.as_str());
                        text.push_str(if known { key } else { "?" });
                        text.push_str("='?'");
                    }
                    text.push_str("*/");
                }
                None => text.push_str("/*?*/"),
            },
        }
    });
    text.push_str(&sql[kept..]);
    Stripped { text, literals }
}

/// The key/value pairs of the statement's last comment, when it is a sqlcommenter comment
/// (`/*key='value',...*/`, keys and values URL-encoded, `\'` escaping a quote in a value).
pub fn sqlcommenter(sql: &str) -> Option<BTreeMap<String, String>> {
    // Most statements carry no comment at all: skip lexing them.
    memchr::memmem::find(sql.as_bytes(), b"/*")?;
    let mut last = None;
    each_token(sql, Dialect::Postgres, |kind, s, e| {
        if kind == Token::BlockComment {
            last = Some((s, e));
        }
    });
    let (s, e) = last?;
    sqlcommenter_pairs(&sql[s..e]).map(|pairs| pairs.into_iter().collect())
}

/// Pairs of one block comment, in order, decoded; None unless the whole body is sqlcommenter.
fn sqlcommenter_pairs(comment: &str) -> Option<Vec<(String, String)>> {
    let body = comment.strip_prefix("/*")?.strip_suffix("*/")?.trim();
    if body.is_empty() {
        return None;
    }
    let b = body.as_bytes();
    let mut pairs = Vec::new();
    let mut i = 0;
    loop {
        let eq = i + memchr::memchr(b'=', &b[i..])?;
        let key = body[i..eq].trim();
        if key.is_empty() || !key.bytes().all(|c| c.is_ascii_alphanumeric() || b"_-.%".contains(&c)) {
            return None;
        }
        i = eq + 1;
        if b.get(i) != Some(&b'\'') {
            return None;
        }
        i += 1;
        let mut raw = Vec::new();
        loop {
            match b.get(i)? {
                b'\\' if b.get(i + 1) == Some(&b'\'') => {
                    raw.push(b'\'');
                    i += 2;
                }
                b'\'' => {
                    i += 1;
                    break;
                }
                &c => {
                    raw.push(c);
                    i += 1;
                }
            }
        }
        pairs.push((url_decode(key.as_bytes()), url_decode(&raw)));
        while b.get(i) == Some(&b' ') {
            i += 1;
        }
        match b.get(i) {
            None => return Some(pairs),
            Some(b',') => i += 1,
            Some(_) => return None,
        }
        while b.get(i) == Some(&b' ') {
            i += 1;
        }
    }
}

fn url_decode(s: &[u8]) -> String {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%'
            && i + 2 < s.len()
            && let (Some(h), Some(l)) = (hex_val(s[i + 1]), hex_val(s[i + 2]))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(s[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_val(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// A W3C traceparent's trace id and parent (span) id, when the value is valid: version not
/// `ff`, lower-case hex, ids not all zeros, any flags.
pub fn traceparent(value: &str) -> Option<(String, String)> {
    let mut parts = value.trim().split('-');
    let (version, trace, span, flags) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let rest = parts.next();
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'));
    let valid = hex(version, 2)
        && version != "ff"
        && (version != "00" || rest.is_none())
        && hex(trace, 32)
        && hex(span, 16)
        && hex(flags, 2)
        && trace.bytes().any(|c| c != b'0')
        && span.bytes().any(|c| c != b'0');
    valid.then(|| (trace.to_string(), span.to_string()))
}

/// The command tag a statement starts with ("SELECT", "ALTER TABLE", "CREATE ROLE", ...), and
/// whether a WITH query contains a data-modifying CTE. Used for statements the database refused,
/// for which pgAudit wrote nothing. None when the statement has no leading keyword.
pub fn leading_command(sql: &str) -> Option<LeadingCommand> {
    let toks = tokens(sql);
    let mut words = Vec::new(); // (word upper-cased, paren depth)
    let mut depth = 0i32;
    for (kind, s, e) in toks {
        match kind {
            Token::Word => words.push((sql[s..e].to_ascii_uppercase(), depth)),
            Token::Punct if &sql[s..e] == "(" => depth += 1,
            Token::Punct if &sql[s..e] == ")" => depth -= 1,
            Token::Punct if &sql[s..e] == ";" && depth == 0 => break,
            _ => {}
        }
        if words.len() > 4096 {
            break;
        }
    }
    // The words that follow the first at its own depth: a statement may open with a
    // parenthesis, or (in a damaged log line) a stray closing one.
    let (first, first_depth) = words.first()?.clone();
    let rest: Vec<&str> = words[1..]
        .iter()
        .filter(|(_, d)| *d == first_depth)
        .map(|(w, _)| w.as_str())
        .collect();
    let nested_write = words
        .iter()
        .any(|(w, d)| *d > first_depth && matches!(w.as_str(), "INSERT" | "UPDATE" | "DELETE" | "MERGE"));
    let command = match first.as_str() {
        "CREATE" | "ALTER" | "DROP" => object_command(&first, &rest),
        "WITH" => rest
            .iter()
            .find(|w| matches!(**w, "SELECT" | "INSERT" | "UPDATE" | "DELETE" | "MERGE"))
            .map_or_else(|| "SELECT".to_string(), |w| w.to_string()),
        "START" => "START TRANSACTION".to_string(),
        "COPY" => "COPY".to_string(),
        _ => first.clone(),
    };
    let copy_from = first == "COPY" && rest.iter().find(|w| matches!(**w, "FROM" | "TO")) == Some(&"FROM");
    Some(LeadingCommand {
        command,
        data_modifying_cte: first == "WITH" && nested_write,
        copy_from,
    })
}

/// pgAudit's class for a command tag, for statements pgAudit never saw (documented in
/// docs/formats.md). None for a command agaudit does not know.
pub fn class_of(cmd: &LeadingCommand) -> Option<&'static str> {
    let c = cmd.command.as_str();
    let verb = c.split(' ').next().unwrap_or("");
    let object = c.split_once(' ').map_or("", |(_, o)| o);
    Some(match verb {
        "SELECT" | "VALUES" | "TABLE" | "DECLARE" | "PREPARE" | "EXPLAIN" | "SHOW" if !cmd.data_modifying_cte => "READ",
        "SELECT" => "WRITE",
        "COPY" => {
            if cmd.copy_from {
                "WRITE"
            } else {
                "READ"
            }
        }
        "INSERT" | "UPDATE" | "DELETE" | "MERGE" | "TRUNCATE" => "WRITE",
        "GRANT" | "REVOKE" | "REASSIGN" => "ROLE",
        "CREATE" | "ALTER" | "DROP" => match object {
            "ROLE" | "USER" | "GROUP" | "DEFAULT PRIVILEGES" | "USER MAPPING" => "ROLE",
            _ => "DDL",
        },
        "COMMENT" | "SECURITY" | "REFRESH" | "IMPORT" | "CLUSTER" => "DDL",
        "DO" | "CALL" => "FUNCTION",
        "SET" | "RESET" => "MISC_SET",
        "BEGIN"
        | "START"
        | "COMMIT"
        | "END"
        | "ROLLBACK"
        | "ABORT"
        | "SAVEPOINT"
        | "RELEASE"
        | "VACUUM"
        | "ANALYZE"
        | "CHECKPOINT"
        | "DISCARD"
        | "FETCH"
        | "MOVE"
        | "CLOSE"
        | "LISTEN"
        | "UNLISTEN"
        | "NOTIFY"
        | "LOCK"
        | "REINDEX"
        | "LOAD"
        | "DEALLOCATE"
        | "EXECUTE"
        | "PREPARE TRANSACTION" => "MISC",
        _ => return None,
    })
}

/// Whether `text` reads as a statement: it opens with a command PostgreSQL knows (one with a
/// [`class_of`]), in any case. Text that is not one (a message, a password typed at the prompt)
/// is not kept as SQL.
pub fn reads_as_statement(text: &str) -> bool {
    leading_command(text).is_some_and(|cmd| class_of(&cmd).is_some())
}

/// What [`leading_command`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadingCommand {
    pub command: String,
    pub data_modifying_cte: bool,
    pub copy_from: bool,
}

/// "CREATE" + modifiers + object type words → a command tag like PostgreSQL's.
fn object_command(verb: &str, rest: &[&str]) -> String {
    const MODIFIERS: &[&str] = &[
        "OR",
        "REPLACE",
        "TEMP",
        "TEMPORARY",
        "UNLOGGED",
        "GLOBAL",
        "LOCAL",
        "UNIQUE",
        "RECURSIVE",
        "TRUSTED",
        "PROCEDURAL",
        "CONSTRAINT",
        "DEFAULT",
    ];
    const TWO_WORD: &[&str] = &[
        "MATERIALIZED",
        "FOREIGN",
        "EVENT",
        "TEXT",
        "ACCESS",
        "USER",
        "PRIVILEGES",
    ];
    let mut i = 0;
    // ALTER DEFAULT PRIVILEGES is a command of its own.
    if verb == "ALTER" && rest.first() == Some(&"DEFAULT") {
        return "ALTER DEFAULT PRIVILEGES".to_string();
    }
    while i < rest.len() && MODIFIERS.contains(&rest[i]) {
        i += 1;
    }
    let Some(kind) = rest.get(i) else {
        return verb.to_string();
    };
    let mut tag = format!("{verb} {kind}");
    let two_word = TWO_WORD.contains(kind) && (*kind != "USER" || rest.get(i + 1) == Some(&"MAPPING"));
    if two_word && let Some(next) = rest.get(i + 1) {
        tag.push(' ');
        tag.push_str(next);
        if *kind == "FOREIGN" && *next == "DATA" {
            tag.push_str(" WRAPPER");
        } else if *kind == "TEXT"
            && let Some(third) = rest.get(i + 2)
        {
            tag.push(' ');
            tag.push_str(third);
        }
    }
    tag
}

#[cfg(test)]
mod tests {
    /// Copying the text between replaced tokens in one piece gives what replacing token by token
    /// gave: every byte of a kept token, in order, and one `?` per literal.
    #[test]
    fn runs_between_literals_are_copied_whole() {
        let statements = [
            "",
            "select 1",
            "'only'",
            "select * from t where a = 'x' and b = 2.5e3 -- note\n and c = $1",
            "insert into t values (E'a\\'b', U&'d\\0061', B'101', X'ff', $tag$ body $tag$)",
            "select \"col\", 'a''b' /* plain */ from t /*traceparent='00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'*/",
            "select ‘typed’ , “quoted” from t where x = 'unterminated",
            "select é, 表 from t where n = .5 and m = 0x1F",
        ];
        for sql in statements {
            let mut want = String::new();
            let mut literals = 0;
            for (kind, s, e) in super::tokens(sql) {
                match kind {
                    super::Token::Literal => {
                        literals += 1;
                        want.push('?');
                    }
                    super::Token::LineComment => want.push_str("--?"),
                    super::Token::BlockComment => {
                        want.push_str(&super::strip_literals(&sql[s..e]).text);
                    }
                    _ => want.push_str(&sql[s..e]),
                }
            }
            let got = super::strip_literals(sql);
            assert_eq!((got.text.as_str(), got.literals), (want.as_str(), literals), "{sql}");
        }
    }

    /// A sqlcommenter key that decodes to `*/` must not end the comment early and expose what
    /// follows as text (found by reading for the fuzz targets).
    #[test]
    fn sqlcommenter_keys_that_are_not_plain_names_are_not_copied() {
        let s = super::strip_literals("SELECT 1 /*a%2A%2F='x',ghp%5Ftok='y'*/").text;
        assert!(!s.contains("a*/"), "{s}");
        assert_eq!(
            super::tokens(&s)
                .iter()
                .filter(|t| t.0 == super::Token::Literal)
                .count(),
            0,
            "{s}"
        );
    }

    use super::*;

    fn strip(s: &str) -> String {
        strip_literals(s).text
    }

    #[test]
    fn typographic_quotes_and_mysql_comments_enclose_values() {
        assert_eq!(
            strip("UPDATE a SET owner = \u{2018}Kowalczyk\u{2019} WHERE id = \u{201c}7\u{201d}"),
            "UPDATE a SET owner = ? WHERE id = ?"
        );
        assert_eq!(strip("SELECT \u{201c}open to the end"), "SELECT ?");
        let mysql = strip_literals_in("select 1 # card 4111\nfrom t", Dialect::DoubleQuotedStrings).text;
        assert_eq!(mysql, "select ? --?\nfrom t");
        // In PostgreSQL `#` is an operator.
        assert_eq!(strip("select 5 # 3"), "select ? # ?");
    }

    #[test]
    fn a_backslash_quote_makes_the_rest_literal_whatever_standard_conforming_strings_was() {
        // standard_conforming_strings = off: one literal `x' secret y`.
        let s = strip("select 'x\\' secret y' from t");
        assert!(!s.contains("secret"), "{s}");
        // on: `'x\''y'` is one literal; off, `y` would be outside it. Neither keeps y.
        let s = strip("select 'x\\''yy' , z from t");
        assert!(!s.contains("yy"), "{s}");
        assert!(s.starts_with("select ?"), "{s}");
        // No backslash before a quote: literals end where they always did.
        assert_eq!(strip("select 'a\\b', 'c' from t"), "select ?, ? from t");
    }

    #[test]
    fn every_literal_form_is_replaced() {
        assert_eq!(
            strip("select 'a''b', E'x\\'y', 42, 3.5e-3, .5 from t"),
            "select ?, ?, ?, ?, ? from t"
        );
        assert_eq!(
            strip("select U&'d\\0061t', B'1010', X'1F', N'nat', 0x1F, 1_000"),
            "select ?, ?, ?, ?, ?, ?"
        );
        assert_eq!(strip("select $$secret$$, $tag$a $$ b$tag$, $1"), "select ?, ?, $1");
        assert_eq!(
            strip("insert into \"Odd\"\"Name\" (c1) values ('x')"),
            "insert into \"Odd\"\"Name\" (c1) values (?)"
        );
        assert_eq!(
            strip("select t1.c2 from t1 where a=-7"),
            "select t1.c2 from t1 where a=-?"
        );
        assert_eq!(strip("select U&\"ident\" from x"), "select U&\"ident\" from x");
    }

    #[test]
    fn unterminated_literal_redacts_to_the_end() {
        let s = strip("select 'unterminated secret");
        assert_eq!(s, "select ?");
        assert_eq!(strip("select $x$ never closed"), "select ?");
    }

    #[test]
    fn comments_lose_their_bodies_sqlcommenter_keeps_its_own_keys() {
        assert_eq!(strip("select 1 -- password hunter2\n"), "select ? --?\n");
        assert_eq!(strip("select /* nested /* x */ y */ 1"), "select /*?*/ ?");
        // The specification's keys stay; any other key is input that could be a secret.
        assert_eq!(
            strip("select 1 /*application='rep',traceparent='00-aa-bb-01',AKIAZ7X='1'*/"),
            "select ? /*application='?',traceparent='?',?='?'*/"
        );
    }

    #[test]
    fn sqlcommenter_last_comment_url_decoded() {
        let m = sqlcommenter("/*x='1'*/ select 1 /*route='%2Fapi%2Fv1',q='it\\'s'*/").unwrap();
        assert_eq!(m["route"], "/api/v1");
        assert_eq!(m["q"], "it's");
        assert!(sqlcommenter("select 1 /* just a comment */").is_none());
    }

    #[test]
    fn traceparent_validation() {
        let ok = traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00").unwrap();
        assert_eq!(ok.0, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(ok.1, "00f067aa0ba902b7");
        assert!(traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff").is_some());
        assert!(traceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").is_none());
        assert!(traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01").is_none());
        assert!(traceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01").is_none());
        assert!(traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x").is_none());
        assert!(traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x").is_some());
    }

    #[test]
    fn leading_commands() {
        let c = |s: &str| leading_command(s).unwrap().command;
        assert_eq!(c("  /* x */ update t set a = 1"), "UPDATE");
        assert_eq!(c("ALTER TABLE finance.invoices ADD COLUMN x int"), "ALTER TABLE");
        assert_eq!(c("create or replace temp view v as select 1"), "CREATE VIEW");
        assert_eq!(c("create unique index i on t(a)"), "CREATE INDEX");
        assert_eq!(c("drop materialized view v"), "DROP MATERIALIZED VIEW");
        assert_eq!(c("create foreign data wrapper w"), "CREATE FOREIGN DATA WRAPPER");
        assert_eq!(c("alter role bob password 'x'"), "ALTER ROLE");
        assert_eq!(
            c("alter default privileges grant select on tables to r"),
            "ALTER DEFAULT PRIVILEGES"
        );
        assert_eq!(c("create user mapping for bob server s"), "CREATE USER MAPPING");
        let w = leading_command("with m as (delete from a returning *) insert into b select * from m").unwrap();
        assert_eq!(w.command, "INSERT");
        assert!(w.data_modifying_cte);
        let r = leading_command("with m as (select 1) select * from m").unwrap();
        assert_eq!((r.command.as_str(), r.data_modifying_cte), ("SELECT", false));
        assert!(leading_command("COPY t FROM STDIN").unwrap().copy_from);
        assert!(!leading_command("COPY (select 1 from x) TO STDOUT").unwrap().copy_from);
        assert!(leading_command("  -- only a comment").is_none());
        // Parentheses around or before the statement (fuzzing found the stray `)` case).
        assert_eq!(c("(select 1) union (select 2)"), "SELECT");
        assert_eq!(c(")CREATE ROLE x"), "CREATE ROLE");
        assert_eq!(c("(create)"), "CREATE");
    }
}

//! The ledger file: one logfmt record per line, each linked to the one before by blake3.
//!
//! This module is the whole definition of what a valid ledger is, shared by agaudit's writer
//! and by every verifier: how a line is split into fields (quoting and escapes), which bytes are
//! hashed, how the first record anchors the chain to its case, and what counts as a torn tail
//! (an append interrupted by a crash) as opposed to tampering. docs/ledger.md says the same in
//! prose, precisely enough to write another verifier from it.
//!
//! In: the ledger's bytes. Out: the verified head (last sequence number and link) and whether
//! the file ends in a torn record, or the first line that breaks the chain and why.

use crate::{Link, genesis, link, to_hex};

/// What a valid ledger ends with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Number of complete, verified records (= the last sequence number).
    pub records: u64,
    /// The last record's link (the genesis link when there are none).
    pub head: Link,
    /// The case the chain is anchored to (from the first record).
    pub case_id: Option<String>,
    /// Bytes after the last complete record: an interrupted append.
    pub torn: Option<Torn>,
}

/// An incomplete last line: bytes with no terminating newline after the last complete record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Torn {
    /// 1-based line number of the incomplete record.
    pub line: u64,
    /// Byte offset where it starts.
    pub offset: u64,
    /// Its length in bytes.
    pub len: u64,
}

/// Why a ledger does not verify, at which line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainError {
    /// 1-based line number.
    pub line: u64,
    /// What was expected there and what was found.
    pub reason: String,
}

impl std::error::Error for ChainError {}

impl std::fmt::Display for ChainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// Splits a record line (without its newline) into the hashed bytes and the stated hash.
///
/// The hash is always the last field, written ` hash=` followed by 64 lower-case hex digits;
/// the hashed bytes are everything before that space.
pub fn split_hash(line: &[u8]) -> Option<(&[u8], &str)> {
    const SUFFIX: usize = " hash=".len() + 64;
    if line.len() < SUFFIX {
        return None;
    }
    let (record, tail) = line.split_at(line.len() - SUFFIX);
    let hex = tail.strip_prefix(b" hash=")?;
    let hex = std::str::from_utf8(hex).ok()?;
    hex.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        .then_some((record, hex))
}

/// Parses logfmt fields: `key=value` separated by single spaces; a value is bare (no space,
/// quote, `=` or backslash) or double-quoted with `\\`, `\"`, `\n`, `\r`, `\t` and `\xHH` escapes.
pub fn fields(record: &str) -> Result<Vec<(&str, String)>, String> {
    let mut out = Vec::new();
    let mut rest = record;
    while !rest.is_empty() {
        let eq = rest
            .find('=')
            .ok_or_else(|| format!("expected key=value at `{}`", preview(rest)))?;
        let key = &rest[..eq];
        if key.is_empty()
            || !key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(format!("expected a key of a-z, 0-9 and _ at `{}`", preview(rest)));
        }
        rest = &rest[eq + 1..];
        let (value, after) = if let Some(quoted) = rest.strip_prefix('"') {
            unquote(quoted)?
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            let v = &rest[..end];
            if v.is_empty() || v.contains(['"', '=', '\\']) {
                return Err(format!("value of `{key}` must be quoted"));
            }
            (v.to_string(), &rest[end..])
        };
        out.push((key, value));
        rest = match after.strip_prefix(' ') {
            Some(r) if !r.is_empty() => r,
            None if after.is_empty() => after,
            _ => return Err(format!("expected one space after the value of `{key}`")),
        };
    }
    Ok(out)
}

fn unquote(s: &str) -> Result<(String, &str), String> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &s[i + 1..])),
            '\\' => match chars.next().map(|(_, c)| c) {
                Some('\\') => out.push('\\'),
                Some('"') => out.push('"'),
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some('x') => {
                    let hex: String = (0..2).filter_map(|_| chars.next().map(|(_, c)| c)).collect();
                    let byte = u8::from_str_radix(&hex, 16).map_err(|_| format!("bad \\x escape `\\x{hex}`"))?;
                    out.push(char::from(byte));
                }
                other => return Err(format!("unknown escape `\\{}`", other.unwrap_or(' '))),
            },
            c => out.push(c),
        }
    }
    Err("unterminated quoted value".into())
}

/// Writes `value` as a logfmt value: bare when it is made only of safe characters, quoted
/// otherwise. Safe: ASCII letters, digits and `-_.:/@+,*~#%`.
pub fn quote(value: &str, out: &mut String) {
    let bare = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/@+,*~#%".contains(&b));
    if bare {
        out.push_str(value);
        return;
    }
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn preview(s: &str) -> String {
    s.chars().take(24).collect()
}

/// Verifies a whole ledger.
///
/// Every complete line (ending in `\n`) must be a record whose `seq` is one more than the
/// previous record's (the first is 1), whose `prev` is the previous record's `hash` (the first
/// record's is the genesis link of its `case`), and whose `hash` is [`link`] over its bytes. Bytes
/// after the last newline are a torn record, reported in [`Verified::torn`], never verified.
pub fn verify(bytes: &[u8]) -> Result<Verified, ChainError> {
    let mut verified = Verified {
        records: 0,
        head: [0; 32],
        case_id: None,
        torn: None,
    };
    let mut offset = 0usize;
    let mut line_no = 0u64;
    while offset < bytes.len() {
        line_no += 1;
        let Some(len) = bytes[offset..].iter().position(|&b| b == b'\n') else {
            verified.torn = Some(Torn {
                line: line_no,
                offset: offset as u64,
                len: (bytes.len() - offset) as u64,
            });
            break;
        };
        let line = &bytes[offset..offset + len];
        let err = |reason: String| ChainError { line: line_no, reason };
        let text = std::str::from_utf8(line).map_err(|_| err("not UTF-8".into()))?;
        let (record, stated) =
            split_hash(line).ok_or_else(|| err("expected the line to end with ` hash=` and 64 hex digits".into()))?;
        let record_text = &text[..record.len()];
        let fields = fields(record_text).map_err(err)?;
        let get = |k: &str| fields.iter().find(|(key, _)| *key == k).map(|(_, v)| v.as_str());
        let seq: u64 = get("seq")
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| err("expected seq=NUMBER".into()))?;
        if fields.first().map(|(k, _)| *k) != Some("seq") {
            return Err(err("expected seq to be the first field".into()));
        }
        if seq != verified.records + 1 {
            return Err(err(format!(
                "expected seq={} (records are numbered from 1 without gaps), found seq={seq}: a record was removed, inserted or moved",
                verified.records + 1
            )));
        }
        let prev = if seq == 1 {
            let case = get("case")
                .ok_or_else(|| err("expected the first record to name its case= (the chain's anchor)".into()))?;
            verified.case_id = Some(case.to_string());
            genesis(case)
        } else {
            verified.head
        };
        let stated_prev = get("prev").ok_or_else(|| err("expected prev=".into()))?;
        if stated_prev != to_hex(&prev) {
            return Err(err(format!(
                "expected prev={} (the previous record's hash), found prev={stated_prev}",
                to_hex(&prev)
            )));
        }
        let computed = link(&prev, seq, record);
        if to_hex(&computed) != stated {
            return Err(err(format!(
                "the record's bytes hash to {} but the line says hash={stated}: the record was edited",
                to_hex(&computed)
            )));
        }
        verified.records = seq;
        verified.head = computed;
        offset += len + 1;
    }
    Ok(verified)
}

/// Renders `fields` as logfmt, in order, separated by single spaces: a record's body.
pub fn render(fields: &[(&str, &str)]) -> String {
    let mut body = String::new();
    for (k, v) in fields {
        if !body.is_empty() {
            body.push(' ');
        }
        body.push_str(k);
        body.push('=');
        quote(v, &mut body);
    }
    body
}

/// Builds one record line (with its newline): `seq=N `, the body, ` prev=` and ` hash=`.
/// Returns the line and the new link.
pub fn record_line(prev: &Link, seq: u64, body: &str) -> (String, Link) {
    let mut line = format!("seq={seq} {body} prev={}", to_hex(prev));
    let next = link(prev, seq, line.as_bytes());
    line.push_str(" hash=");
    line.push_str(&to_hex(&next));
    line.push('\n');
    (line, next)
}

/// The body of a record line: between `seq=N ` and ` prev=` (what makes two records the same).
pub fn body_of(line: &str) -> Option<&str> {
    let start = line.find(' ')? + 1;
    let end = line.rfind(" prev=")?;
    line.get(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger(n: u64) -> Vec<u8> {
        let mut out = String::new();
        let mut prev = genesis("case-1");
        for seq in 1..=n {
            let note = format!("record {seq} with \"quotes\", = signs and\na newline");
            let fields: Vec<(&str, &str)> = if seq == 1 {
                vec![("kind", "checkpoint"), ("case", "case-1")]
            } else {
                vec![("kind", "action"), ("note", &note)]
            };
            let (line, next) = record_line(&prev, seq, &render(&fields));
            assert_eq!(body_of(&line), Some(render(&fields).as_str()));
            out.push_str(&line);
            prev = next;
        }
        out.into_bytes()
    }

    #[test]
    fn round_trip_and_field_parsing() {
        let bytes = ledger(4);
        let v = verify(&bytes).unwrap();
        assert_eq!(v.records, 4);
        assert_eq!(v.case_id.as_deref(), Some("case-1"));
        assert!(v.torn.is_none());
        let line2 = std::str::from_utf8(&bytes).unwrap().lines().nth(1).unwrap();
        let (record, _) = split_hash(line2.as_bytes()).unwrap();
        let f = fields(std::str::from_utf8(record).unwrap()).unwrap();
        assert_eq!(f[2].1, "record 2 with \"quotes\", = signs and\na newline");
    }

    #[test]
    fn every_edit_deletion_insertion_reordering_is_located() {
        let bytes = ledger(5);
        let text = std::str::from_utf8(&bytes).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let join = |ls: Vec<&str>| ls.iter().map(|l| format!("{l}\n")).collect::<String>().into_bytes();
        // Edit one byte of every line's body: the error names that line.
        for (i, l) in lines.iter().enumerate() {
            let mut ls = lines.clone();
            let edited = l.replacen("kind=", "kind=X", 1);
            ls[i] = &edited;
            assert_eq!(verify(&join(ls)).unwrap_err().line, i as u64 + 1);
        }
        let mut deleted = lines.clone();
        deleted.remove(2);
        assert_eq!(verify(&join(deleted)).unwrap_err().line, 3);
        let mut swapped = lines.clone();
        swapped.swap(1, 2);
        assert_eq!(verify(&join(swapped)).unwrap_err().line, 2);
        let mut inserted = lines.clone();
        inserted.insert(3, lines[1]);
        assert_eq!(verify(&join(inserted)).unwrap_err().line, 4);
    }

    #[test]
    fn torn_tail_is_reported_not_accepted() {
        let bytes = ledger(3);
        let last_start = bytes[..bytes.len() - 1].iter().rposition(|&b| b == b'\n').unwrap() + 1;
        for cut in last_start + 1..bytes.len() {
            let v = verify(&bytes[..cut]).unwrap();
            assert_eq!(v.records, 2);
            assert_eq!(
                v.torn,
                Some(Torn {
                    line: 3,
                    offset: last_start as u64,
                    len: (cut - last_start) as u64
                })
            );
        }
    }

    #[test]
    fn quoting() {
        let mut s = String::new();
        quote("a b=\"c\"\\\u{1}", &mut s);
        assert_eq!(s, r#""a b=\"c\"\\\x01""#);
        let (v, rest) = unquote(&s[1..]).unwrap();
        assert_eq!((v.as_str(), rest), ("a b=\"c\"\\\u{1}", ""));
        let mut e = String::new();
        quote("", &mut e);
        assert_eq!(e, "\"\"");
    }
}

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

/// What a valid ledger (or slice of one) ends with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Sequence number of the last complete, verified record (the anchor's when there are none).
    pub last_seq: u64,
    /// Number of complete, verified records.
    pub count: u64,
    /// The last record's link (the anchor when there are none).
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

/// Where a record's `key=value` syntax breaks, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyntaxError {
    /// No `=` where a field starts; `at` is the start of the rest, shortened.
    NoEquals {
        at: String,
    },
    BadKey {
        at: String,
    },
    MustQuote {
        key: String,
    },
    Spacing {
        key: String,
    },
    BadHexEscape {
        hex: String,
    },
    UnknownEscape(char),
    Unterminated,
}

impl std::error::Error for SyntaxError {}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SyntaxError::NoEquals { at } => write!(f, "expected key=value at `{at}`"),
            SyntaxError::BadKey { at } => write!(f, "expected a key of a-z, 0-9 and _ at `{at}`"),
            SyntaxError::MustQuote { key } => write!(f, "value of `{key}` must be quoted"),
            SyntaxError::Spacing { key } => write!(f, "expected one space after the value of `{key}`"),
            SyntaxError::BadHexEscape { hex } => write!(f, "bad \\x escape `\\x{hex}`"),
            SyntaxError::UnknownEscape(c) => write!(f, "unknown escape `\\{c}`"),
            SyntaxError::Unterminated => f.write_str("unterminated quoted value"),
        }
    }
}

/// Why one record line cannot be read, before any link is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordError {
    NotUtf8,
    NoHash,
    Syntax(SyntaxError),
    NoSeq,
    SeqNotFirst,
    NoPrev,
}

impl std::error::Error for RecordError {}

impl std::fmt::Display for RecordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RecordError::NotUtf8 => f.write_str("not UTF-8"),
            RecordError::NoHash => f.write_str("expected the line to end with ` hash=` and 64 hex digits"),
            RecordError::Syntax(e) => e.fmt(f),
            RecordError::NoSeq => f.write_str("expected seq=NUMBER"),
            RecordError::SeqNotFirst => f.write_str("expected seq to be the first field"),
            RecordError::NoPrev => f.write_str("expected prev="),
        }
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
pub fn fields(record: &str) -> Result<Vec<(&str, String)>, SyntaxError> {
    let mut out = Vec::new();
    scan(record, |key, raw, quoted| {
        out.push((key, if quoted { decode(raw) } else { raw.to_string() }));
    })?;
    Ok(out)
}

/// Walks the fields of `record`, checking the syntax [`fields`] describes, and hands each to
/// `each` as (key, raw value, quoted) — a quoted value still escaped, without its quotes. Nothing
/// is allocated, so verifying a million records does not build a million strings.
pub fn scan<'a>(record: &'a str, mut each: impl FnMut(&'a str, &'a str, bool)) -> Result<(), SyntaxError> {
    let mut rest = record;
    while !rest.is_empty() {
        let eq = rest
            .find('=')
            .ok_or_else(|| SyntaxError::NoEquals { at: preview(rest) })?;
        let key = &rest[..eq];
        if key.is_empty()
            || !key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(SyntaxError::BadKey { at: preview(rest) });
        }
        rest = &rest[eq + 1..];
        let after = if let Some(quoted) = rest.strip_prefix('"') {
            let len = quoted_len(quoted)?;
            each(key, &quoted[..len], true);
            &quoted[len + 1..]
        } else {
            // One pass finds the end of the value and any character that needs quoting.
            let b = rest.as_bytes();
            let mut end = 0;
            while end < b.len() && b[end] != b' ' {
                if matches!(b[end], b'"' | b'=' | b'\\') {
                    return Err(SyntaxError::MustQuote { key: key.to_string() });
                }
                end += 1;
            }
            if end == 0 {
                return Err(SyntaxError::MustQuote { key: key.to_string() });
            }
            each(key, &rest[..end], false);
            &rest[end..]
        };
        rest = match after.strip_prefix(' ') {
            Some(r) if !r.is_empty() => r,
            None if after.is_empty() => after,
            _ => return Err(SyntaxError::Spacing { key: key.to_string() }),
        };
    }
    Ok(())
}

/// Length of a quoted value's body (up to its closing quote), checking every escape.
fn quoted_len(s: &str) -> Result<usize, SyntaxError> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => return Ok(i),
            b'\\' => match b.get(i + 1) {
                Some(b'\\' | b'"' | b'n' | b'r' | b't') => i += 2,
                Some(b'x') => {
                    let hex = s.get(i + 2..i + 4).unwrap_or("");
                    if hex.len() != 2 || u8::from_str_radix(hex, 16).is_err() {
                        return Err(SyntaxError::BadHexEscape { hex: hex.to_string() });
                    }
                    i += 4;
                }
                other => return Err(SyntaxError::UnknownEscape(other.map_or(' ', |&c| c as char))),
            },
            _ => i += 1,
        }
    }
    Err(SyntaxError::Unterminated)
}

/// Decodes the escapes of a quoted value that [`scan`] accepted.
fn decode(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                out.push(char::from(u8::from_str_radix(&hex, 16).unwrap_or(b'?')));
            }
            Some(c) => out.push(c),
            None => {}
        }
    }
    out
}

/// The bytes a value may hold and stay unquoted: letters, digits and `-_.:/@+,*~#%`. A table,
/// not a search per byte: every field of every record passes here.
const BARE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'_' | b'.' | b':' | b'/' | b'@' | b'+' | b',' | b'*' | b'~' | b'#' | b'%'
            );
        b += 1;
    }
    table
};

/// Writes `value` as a logfmt value: bare when it is made only of safe characters, quoted
/// otherwise. Safe: ASCII letters, digits and `-_.:/@+,*~#%`.
pub fn quote(value: &str, out: &mut String) {
    let bare = !value.is_empty() && value.bytes().all(|b| BARE[usize::from(b)]);
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

/// Where a chain starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// At the beginning of a case's ledger: the first record is seq 1, names its `case`, and
    /// its `prev` is that case's genesis link.
    Genesis,
    /// After record `seq`, whose link is `link`: a slice of a ledger (an evidence bundle).
    After { seq: u64, link: Link },
}

/// Verifies a whole ledger: [`verify_from`] the genesis.
pub fn verify(bytes: &[u8]) -> Result<Verified, ChainError> {
    verify_from(bytes, Anchor::Genesis)
}

/// Verifies a ledger or a contiguous slice of one, starting at `anchor`.
///
/// Every complete line (ending in `\n`) must be a record whose `seq` is one more than the
/// previous record's (the first is 1, or the anchor's + 1), whose `prev` is the previous record's
/// `hash` (the first record's is the genesis link of its `case`, or the anchor's link), and whose
/// `hash` is [`link`] over its bytes. Bytes after the last newline are a torn record, reported in
/// [`Verified::torn`], never verified. An export record's claim about an earlier record's hash
/// must hold too.
pub fn verify_from(bytes: &[u8], anchor: Anchor) -> Result<Verified, ChainError> {
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let mut chain = Chain::new(anchor);
    let fed = chain.feed(&bytes[..complete]);
    let claims = chain.check_claims(|seqs| stated_links(&bytes[..complete], anchor, seqs));
    match (fed, claims) {
        (Err(a), Err(b)) => Err(if b.line < a.line { b } else { a }),
        (Err(e), Ok(())) | (Ok(()), Err(e)) => Err(e),
        (Ok(()), Ok(())) => Ok(chain.finish(complete as u64, bytes.len() as u64)),
    }
}

/// The stated hash of the records `seqs` (ascending) of a verified stretch of complete lines.
pub fn stated_links(lines: &[u8], anchor: Anchor, seqs: &[u64]) -> Vec<Option<Link>> {
    let first = anchor.seq() + 1;
    let mut lines = lines.split(|&b| b == b'\n');
    let mut at = first;
    seqs.iter()
        .map(|&seq| {
            let line = lines.nth(seq.checked_sub(at)? as usize)?;
            at = seq + 1;
            from_hex(split_hash(line)?.1)
        })
        .collect()
}

impl Anchor {
    /// The sequence number of the record before the chain's first (0 at genesis).
    pub fn seq(self) -> u64 {
        match self {
            Anchor::Genesis => 0,
            Anchor::After { seq, .. } => seq,
        }
    }
}

/// A chain verified piece by piece: [`Chain::feed`] complete lines in order, then
/// [`Chain::check_claims`] and [`Chain::finish`]. Holds a few links, never the records, so a
/// ledger of any size is verified in bounded memory.
pub struct Chain {
    anchor: Anchor,
    verified: Verified,
    /// Complete lines fed so far.
    lines: u64,
    /// Export records' claims about earlier records of this chain: (line of the export record,
    /// the record it names, the hash it says that record had).
    claims: Vec<(u64, u64, String)>,
}

impl Chain {
    pub fn new(anchor: Anchor) -> Chain {
        let (last_seq, head) = match anchor {
            Anchor::Genesis => (0, [0; 32]),
            Anchor::After { seq, link } => (seq, link),
        };
        Chain {
            anchor,
            verified: Verified {
                last_seq,
                count: 0,
                head,
                case_id: None,
                torn: None,
            },
            lines: 0,
            claims: Vec::new(),
        }
    }

    /// Verifies the next complete lines (each ending in `\n`). After an error, the chain is
    /// broken there and further lines are not verified.
    pub fn feed(&mut self, lines: &[u8]) -> Result<(), ChainError> {
        let anchor = self.anchor;
        let first_line = self.lines == 0;
        // Each record's own checks and hash do not depend on the others: done in parallel. The
        // links between records are then checked in order, so the first bad line is reported.
        let parsed = parallel_lines(lines, |first, line| {
            parse_record(line, first && first_line && anchor == Anchor::Genesis)
        });
        let verified = &mut self.verified;
        for p in parsed {
            self.lines += 1;
            let line = self.lines;
            let err = |reason: String| ChainError { line, reason };
            let p = p.map_err(|e| err(e.to_string()))?;
            if p.seq != verified.last_seq + 1 {
                return Err(err(format!(
                    "expected seq={} (records are numbered from 1 without gaps), found seq={}: a record was removed, inserted or moved",
                    verified.last_seq + 1,
                    p.seq
                )));
            }
            let prev = if anchor == Anchor::Genesis && p.seq == 1 {
                let case = p
                    .case
                    .ok_or_else(|| err("expected the first record to name its case= (the chain's anchor)".into()))?;
                let g = genesis(&case);
                verified.case_id = Some(case);
                g
            } else {
                verified.head
            };
            if p.prev != Some(prev) {
                return Err(err(format!(
                    "expected prev={} (the previous record's hash), found prev={}",
                    to_hex(&prev),
                    p.prev_text
                )));
            }
            if p.computed != Some(p.stated) {
                let computed = p.computed.map(|c| to_hex(&c)).unwrap_or_default();
                return Err(err(format!(
                    "the record's bytes hash to {computed} but the line says hash={}: the record was edited",
                    to_hex(&p.stated)
                )));
            }
            if let Some((exported_seq, head)) = p.exported
                && exported_seq > anchor.seq()
                && exported_seq < p.seq
            {
                self.claims.push((line, exported_seq, head.to_string()));
            }
            verified.last_seq = p.seq;
            verified.count += 1;
            verified.head = p.stated;
        }
        Ok(())
    }

    /// Checks the export records' claims: the chain's record `last_seq` must have the hash an
    /// export record says it had, or the ledger was rewritten after the export. `stated` gives
    /// the stated hash of records by sequence number (ascending; they were verified by `feed`):
    /// a second read of the lines, so the chain need not keep every link.
    pub fn check_claims(&self, stated: impl FnOnce(&[u64]) -> Vec<Option<Link>>) -> Result<(), ChainError> {
        if self.claims.is_empty() {
            return Ok(());
        }
        let mut seqs: Vec<u64> = self.claims.iter().map(|c| c.1).collect();
        seqs.sort_unstable();
        seqs.dedup();
        let links = stated(&seqs);
        for (line, seq, head) in &self.claims {
            let had = seqs
                .binary_search(seq)
                .ok()
                .and_then(|i| links.get(i).copied().flatten());
            let had = had.map(|h| to_hex(&h)).unwrap_or_default();
            if had != *head {
                return Err(ChainError {
                    line: *line,
                    reason: format!(
                        "this export record says record {seq} had hash {head} when the bundle was made, but the chain's record {seq} has hash {had}: the ledger was rewritten after the export"
                    ),
                });
            }
        }
        Ok(())
    }

    /// What the chain verified, when the input held `total` bytes of which the complete lines
    /// fed were the first `complete` (the rest is a torn record).
    pub fn finish(&self, complete: u64, total: u64) -> Verified {
        let mut verified = self.verified.clone();
        if complete < total {
            verified.torn = Some(Torn {
                line: self.lines + 1,
                offset: complete,
                len: total - complete,
            });
        }
        verified
    }
}

/// One record line checked on its own.
struct Parsed<'a> {
    seq: u64,
    /// The stated `prev`, decoded (None when it is not 64 hex digits), and as written.
    prev: Option<Link>,
    prev_text: &'a str,
    stated: Link,
    /// The link over the record's bytes from its stated `prev` and `seq` (equal to the real
    /// link once the linking pass has checked that `prev` and `seq` are the expected ones).
    computed: Option<Link>,
    /// The `case` field, read only for a ledger's first record.
    case: Option<String>,
    /// An export record's `last_seq` and `head`: the chain's record `last_seq` must have that
    /// hash, or the ledger was rewritten after the export.
    exported: Option<(u64, &'a str)>,
}

fn parse_record(line: &[u8], want_case: bool) -> Result<Parsed<'_>, RecordError> {
    let text = std::str::from_utf8(line).map_err(|_| RecordError::NotUtf8)?;
    let (record, stated) = split_hash(line).ok_or(RecordError::NoHash)?;
    let record_text = &text[..record.len()];
    let (mut first, mut seq, mut prev, mut case) = (None, None, None, None);
    let (mut kind, mut last_seq, mut head) = (None, None, None);
    scan(record_text, |key, raw, quoted| {
        first.get_or_insert(key);
        match key {
            "seq" if seq.is_none() => seq = Some(raw),
            "prev" if prev.is_none() => prev = Some(raw),
            "case" if want_case && case.is_none() => case = Some(if quoted { decode(raw) } else { raw.to_string() }),
            "kind" if kind.is_none() => kind = Some(raw),
            "last_seq" if last_seq.is_none() => last_seq = Some(raw),
            "head" if head.is_none() => head = Some(raw),
            _ => {}
        }
    })
    .map_err(RecordError::Syntax)?;
    let exported = match (kind, last_seq.and_then(|s| s.parse().ok()), head) {
        (Some("export"), Some(n), Some(h)) => Some((n, h)),
        _ => None,
    };
    let seq: u64 = seq.and_then(|s| s.parse().ok()).ok_or(RecordError::NoSeq)?;
    if first != Some("seq") {
        return Err(RecordError::SeqNotFirst);
    }
    let prev_text = prev.ok_or(RecordError::NoPrev)?;
    let prev = from_hex(prev_text);
    Ok(Parsed {
        seq,
        prev,
        prev_text,
        stated: from_hex(stated).unwrap_or_default(),
        computed: prev.map(|p| link(&p, seq, record)),
        case,
        exported,
    })
}

/// A 64-hex-digit link, decoded.
pub fn from_hex(s: &str) -> Option<Link> {
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        let pair = s.get(2 * i..2 * i + 2)?;
        if !pair.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)) {
            return None;
        }
        *b = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

/// `f` over every newline-terminated line of `bytes` (without its newline), in order, on as
/// many threads as there are cores: each thread splits and handles its own stretch of the bytes,
/// cut at line boundaries (std threads: the verifier keeps its dependencies to blake3,
/// minisign-verify and tar). `f` is told whether the line is the first of all.
pub(crate) fn parallel_lines<'a, R: Send>(bytes: &'a [u8], f: impl Fn(bool, &'a [u8]) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(16);
    let run = |start: usize, part: &'a [u8]| -> Vec<R> {
        part.split_inclusive(|&b| b == b'\n')
            .enumerate()
            .map(|(i, l)| f(start == 0 && i == 0, &l[..l.len() - 1]))
            .collect()
    };
    if threads == 1 || bytes.len() < 1 << 20 {
        return run(0, bytes);
    }
    let mut cuts = vec![0];
    for t in 1..threads {
        let from = (bytes.len() * t / threads).max(*cuts.last().unwrap_or(&0));
        match bytes[from..].iter().position(|&b| b == b'\n') {
            Some(nl) if from + nl + 1 < bytes.len() => cuts.push(from + nl + 1),
            _ => break,
        }
    }
    cuts.push(bytes.len());
    std::thread::scope(|scope| {
        let run = &run;
        let handles: Vec<_> = cuts
            .windows(2)
            .map(|w| {
                let (a, b) = (w[0], w[1]);
                scope.spawn(move || run(a, &bytes[a..b]))
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
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

/// The kind of a record body (`ts=T kind=K …`): its second field, read where it stands, so that
/// no quoted value holding ` kind=…` can pass for it.
pub fn kind_of(body: &str) -> Option<&str> {
    let kind = body.split_once(' ')?.1.strip_prefix("kind=")?;
    Some(kind.split_once(' ').map_or(kind, |(k, _)| k))
}

/// [`kind_of`] a whole record line (`seq=N ts=T kind=K …`).
pub fn kind_of_line(line: &str) -> Option<&str> {
    kind_of(line.split_once(' ')?.1)
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

    /// A record's kind is its second field: a quoted value that holds ` kind=…` is not it.
    #[test]
    fn the_kind_is_read_where_it_stands() {
        let body = render(&[
            ("ts", "2026-12-06T00:00:00Z"),
            ("kind", "view"),
            ("filters", " kind=signed_checkpoint action=x "),
        ]);
        assert!(body.contains(" kind=signed_checkpoint "));
        assert_eq!(kind_of(&body), Some("view"));
        let (line, _) = record_line(&genesis("c"), 1, &body);
        assert_eq!(kind_of_line(&line), Some("view"));
        assert_eq!(kind_of("ts=x kind=action"), Some("action"));
        assert_eq!(kind_of("ts=x note=kind=action"), None);
    }

    #[test]
    fn round_trip_and_field_parsing() {
        let bytes = ledger(4);
        let v = verify(&bytes).unwrap();
        assert_eq!((v.last_seq, v.count), (4, 4));
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
            assert_eq!(v.last_seq, 2);
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
        let line = format!("k={s}");
        let f = fields(&line).unwrap();
        assert_eq!(f, vec![("k", "a b=\"c\"\\\u{1}".to_string())]);
        assert!(fields("k=\"\\q\"").unwrap_err().to_string().contains("unknown escape"));
        assert!(fields("k=\"\\x4\"").unwrap_err().to_string().contains("bad \\x escape"));
        assert!(fields("k=\"open").unwrap_err().to_string().contains("unterminated"));
        let mut e = String::new();
        quote("", &mut e);
        assert_eq!(e, "\"\"");
    }
}

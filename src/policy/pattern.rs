//! Resource names and the glob patterns that name them in a policy.
//!
//! A resource is a string: `SERVER/DATABASE[/SCHEMA.TABLE]`, `file:///path`, `tcp://HOST:PORT`
//! or `s3://bucket[/prefix]`. A pattern is the same with `*` (any characters but `/`), `**` (any
//! characters) and `?` (one character but `/`). A pattern covers a resource when it matches the
//! resource itself or one of its ancestors (`prod-postgres/reporting` covers every table of that
//! database; `file:///srv/reports` every file below it). When several rules cover a resource the
//! most specific wins: the deepest matched ancestor, then the most literal characters, then the
//! fewest wildcards — [`Specificity`] orders exactly that.
//!
//! In: pattern and resource strings. Out: matches, specificity, and whether two patterns can
//! ever match the same name (for the policy checker's overlap warnings).

/// The kinds of resource a pattern may name, told apart by their prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Database,
    File,
    Tcp,
    S3,
}

impl Scheme {
    pub fn of(name: &str) -> Scheme {
        if name.starts_with("file://") {
            Scheme::File
        } else if name.starts_with("tcp://") {
            Scheme::Tcp
        } else if name.starts_with("s3://") {
            Scheme::S3
        } else {
            Scheme::Database
        }
    }

    /// Where the path part starts: ancestors are only cut after this.
    fn root_len(self) -> usize {
        match self {
            Scheme::Database => 0,
            Scheme::File => "file://".len(),
            Scheme::Tcp => "tcp://".len(),
            Scheme::S3 => "s3://".len(),
        }
    }
}

/// Why a pattern is not a valid resource pattern (shown by `policy check` at the pattern).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("empty resource pattern; expected e.g. prod-postgres/reporting or file:///srv/reports")]
    Empty,
    #[error("unknown resource scheme `{0}://`; expected file://, tcp://, s3:// or SERVER/DATABASE[/SCHEMA.TABLE]")]
    Scheme(String),
    #[error("a database resource has at most 3 parts SERVER/DATABASE/SCHEMA.TABLE; found {0}")]
    TooDeep(usize),
    #[error("empty part between `/` in a database resource")]
    EmptyPart,
    #[error("a file resource is an absolute path: file:///path")]
    RelativeFile,
    #[error("tcp port `{0}` is not a number or a glob")]
    Port(String),
    #[error("a network resource is tcp://HOST:PORT (either may be a glob)")]
    Network,
    #[error("an object store resource is s3://bucket[/prefix]")]
    Bucket,
}

pub fn validate(pattern: &str) -> Result<(), PatternError> {
    if pattern.is_empty() {
        return Err(PatternError::Empty);
    }
    if let Some(i) = pattern.find("://") {
        let scheme = &pattern[..i];
        if !matches!(scheme, "file" | "tcp" | "s3") {
            return Err(PatternError::Scheme(scheme.to_string()));
        }
    }
    let rest = &pattern[Scheme::of(pattern).root_len()..];
    match Scheme::of(pattern) {
        Scheme::Database => {
            let segments = rest.split('/').count();
            if rest.contains("**") {
                // `**` is fine: it stands for any depth.
            } else if segments > 3 {
                return Err(PatternError::TooDeep(segments));
            }
            if rest.split('/').any(str::is_empty) {
                return Err(PatternError::EmptyPart);
            }
        }
        Scheme::File => {
            if !rest.starts_with('/') && !rest.starts_with('*') {
                return Err(PatternError::RelativeFile);
            }
        }
        Scheme::Tcp => match rest.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && !port.is_empty() => {
                if !port.chars().all(|c| c.is_ascii_digit() || c == '*' || c == '?') {
                    return Err(PatternError::Port(port.to_string()));
                }
            }
            _ => return Err(PatternError::Network),
        },
        Scheme::S3 => {
            if rest.is_empty() || rest.starts_with('/') {
                return Err(PatternError::Bucket);
            }
        }
    }
    Ok(())
}

/// How specific a matching pattern is; greater wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Specificity {
    /// Length of the ancestor of the resource that the pattern matched (deeper = longer).
    pub depth: usize,
    /// Characters of the pattern that are not wildcards.
    pub literals: usize,
    /// Negated wildcard count, so fewer wildcards order higher.
    pub fewer_wildcards: i64,
}

/// The specificity with which `pattern` covers `resource`, or None when it does not.
pub fn covers(pattern: &str, resource: &str) -> Option<Specificity> {
    let scheme = Scheme::of(resource);
    if Scheme::of(pattern) != scheme {
        return None;
    }
    let (literals, wildcards) = counts(pattern);
    let spec = |depth| Specificity {
        depth,
        literals,
        fewer_wildcards: -(wildcards as i64),
    };
    if glob(pattern.as_bytes(), resource.as_bytes()) {
        return Some(spec(resource.len()));
    }
    // Ancestors, longest first: cut at each '/' after the scheme's root.
    let root = scheme.root_len();
    let bytes = resource.as_bytes();
    for cut in (root + 1..resource.len()).rev() {
        if bytes[cut] == b'/' && glob(pattern.as_bytes(), &bytes[..cut]) {
            return Some(spec(cut));
        }
    }
    None
}

fn counts(pattern: &str) -> (usize, usize) {
    let wildcards = pattern.chars().filter(|&c| c == '*' || c == '?').count();
    (pattern.chars().count() - wildcards, wildcards)
}

/// Whether an `agent` (AGENT or AGENT@SESSION, as records name it) matches `want` (AGENT or
/// AGENT@SESSION, globs allowed): `report*` matches every session of every reporting agent.
pub fn agent_matches(want: &str, agent: &str) -> bool {
    let name = agent.split('@').next().unwrap_or(agent);
    glob(want.as_bytes(), agent.as_bytes()) || glob(want.as_bytes(), name.as_bytes())
}

/// Whether `text` matches the glob `pat` (`*` not across `/`, `**` across, `?` one non-`/`).
pub fn glob(pat: &[u8], text: &[u8]) -> bool {
    let toks = tokens_bytes(pat);
    // reach[j]: the first i tokens can match text[..j]. One pass per token, O(tokens × text).
    let mut reach = vec![false; text.len() + 1];
    reach[0] = true;
    for tok in toks {
        let mut next = vec![false; text.len() + 1];
        for j in 0..=text.len() {
            match tok {
                Tok::Star(double) => {
                    // Stay (empty match) or extend the previous reach by one acceptable byte.
                    next[j] = reach[j] || (j > 0 && next[j - 1] && (double || text[j - 1] != b'/'));
                }
                Tok::Any => next[j] = j > 0 && reach[j - 1] && text[j - 1] != b'/',
                Tok::Lit(c) => next[j] = j > 0 && reach[j - 1] && text[j - 1] == c,
            }
        }
        reach = next;
    }
    reach[text.len()]
}

/// Whether some name matches both globs (so two equally specific rules could compete).
pub fn intersect(a: &str, b: &str) -> bool {
    // Search the product of the two patterns' positions; a star may stay put or advance.
    let (a, b) = (tokens(a), tokens(b));
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, j)) = stack.pop() {
        if !seen.insert((i, j)) {
            continue;
        }
        if i == a.len() && j == b.len() {
            return true;
        }
        let ta = a.get(i).copied();
        let tb = b.get(j).copied();
        // A star may match nothing.
        if let Some(Tok::Star(_)) = ta {
            stack.push((i + 1, j));
        }
        if let Some(Tok::Star(_)) = tb {
            stack.push((i, j + 1));
        }
        // Both consume one character that both accept; a star stays where it is.
        if let (Some(x), Some(y)) = (ta, tb)
            && common(x, y)
        {
            let ni = if matches!(x, Tok::Star(_)) { i } else { i + 1 };
            let nj = if matches!(y, Tok::Star(_)) { j } else { j + 1 };
            stack.push((ni, nj));
        }
    }
    false
}

#[derive(Debug, Clone, Copy)]
enum Tok {
    Lit(u8),
    Any,        // ?
    Star(bool), // * (false) or ** (true)
}

fn tokens(p: &str) -> Vec<Tok> {
    tokens_bytes(p.as_bytes())
}

fn tokens_bytes(b: &[u8]) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'*' if b.get(i + 1) == Some(&b'*') => {
                out.push(Tok::Star(true));
                i += 2;
                continue;
            }
            b'*' => out.push(Tok::Star(false)),
            b'?' => out.push(Tok::Any),
            c => out.push(Tok::Lit(c)),
        }
        i += 1;
    }
    out
}

/// Whether one character can satisfy both tokens.
fn common(x: Tok, y: Tok) -> bool {
    let accepts_slash = |t: Tok| matches!(t, Tok::Star(true) | Tok::Lit(b'/'));
    match (x, y) {
        (Tok::Lit(a), Tok::Lit(b)) => a == b,
        (Tok::Lit(c), other) | (other, Tok::Lit(c)) => c != b'/' || accepts_slash(other),
        // Both wildcards: any character but '/' satisfies both.
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob(b"prod-*/reporting", b"prod-postgres/reporting"));
        assert!(!glob(b"*", b"a/b"));
        assert!(glob(b"**", b"a/b"));
        assert!(glob(b"file:///srv/**.json", b"file:///srv/a/b.json"));
        assert!(!glob(b"file:///srv/*.json", b"file:///srv/a/b.json"));
        assert!(glob(b"tcp://10.0.0.?:5432", b"tcp://10.0.0.5:5432"));
        assert!(glob(b"a/**/c", b"a/x/y/c"));
        assert!(!glob(b"a/*/c", b"a/x/y/c"));
    }

    #[test]
    fn covers_ancestors_and_orders_by_specificity() {
        let r = "prod-postgres/reporting/finance.invoices";
        let db = covers("prod-postgres/reporting", r).unwrap();
        let table = covers("prod-postgres/reporting/finance.invoices", r).unwrap();
        let glob_table = covers("prod-postgres/reporting/finance.*", r).unwrap();
        let server = covers("prod-postgres", r).unwrap();
        assert!(table > glob_table && glob_table > db && db > server);
        assert!(covers("prod-postgres/other", r).is_none());
        assert!(covers("file:///srv", r).is_none(), "schemes never mix");
        assert!(covers("file:///srv/reports", "file:///srv/reports/w.json").is_some());
        assert!(
            covers("file:///srv/rep", "file:///srv/reports/w.json").is_none(),
            "whole segments only"
        );
        assert!(covers("s3://billing-exports", "s3://billing-exports/2026/06/x.csv").is_some());
    }

    #[test]
    fn validation_names_the_problem() {
        assert!(validate("prod-postgres/reporting_replica").is_ok());
        assert!(validate("s3://billing-exports").is_ok());
        assert!(validate("tcp://127.0.0.1:*").is_ok());
        assert!(
            validate("http://x")
                .unwrap_err()
                .to_string()
                .contains("unknown resource scheme")
        );
        assert!(validate("a/b/c.d/e").unwrap_err().to_string().contains("at most 3"));
        assert!(validate("tcp://host").unwrap_err().to_string().contains("HOST:PORT"));
        assert!(validate("file://relative").is_err());
    }

    #[test]
    fn intersections() {
        assert!(intersect("prod-postgres/*/public.orders", "prod-postgres/reporting/*"));
        assert!(!intersect("prod-postgres/a/*", "prod-postgres/b/*"));
        assert!(!intersect("a/*", "a/x/y"), "a single star never crosses /");
        assert!(intersect("a/**", "a/x/y"));
        assert!(intersect("x?z", "*"));
        assert!(!intersect("abc", "abd"));
    }
}

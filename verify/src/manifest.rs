//! The bundle manifest: what an evidence bundle claims to hold, the text its signature covers.
//!
//! One logfmt record per line (the ledger's own field syntax, so one parser serves both), the
//! first field `kind` saying what the line is. agaudit's exporter renders it with [`render`] and
//! every verifier reads it with [`parse`], so the two cannot drift. The layout is plain enough to
//! check by hand: the `member` lines turn into `b3sum --check` input with one `sed` (docs/
//! verify-by-hand.md).
//!
//! In: a [`Manifest`] or the manifest's bytes. Out: the other.

use crate::ledger::{SyntaxError, fields, render as render_fields};

/// Name of the format, written in the `bundle` line and the signature's trusted comment.
pub const FORMAT: &str = "agaudit-bundle";
/// Version of the bundle format agaudit writes: 2 binds each Parquet row to its ledger record
/// (`row=`). A verifier reads 1 and 2 and refuses versions it does not know.
pub const FORMAT_VERSION: u32 = 2;
/// The oldest version still read (its rows are not bound; the check says so).
pub const OLDEST_VERSION: u32 = 1;
/// Member names inside the bundle's top directory.
pub const MANIFEST: &str = "manifest.txt";
pub const SIGNATURE: &str = "manifest.txt.minisig";
pub const LEDGER: &str = "ledger.log";
/// The bundle's own signed checkpoint (the tree of records 1..last_seq) and its signature.
pub const CHECKPOINT: &str = "checkpoint.txt";
pub const CHECKPOINT_SIG: &str = "checkpoint.txt.minisig";

/// What the bundle claims.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Manifest {
    pub format_version: u32,
    /// Version of the agaudit that exported it.
    pub agaudit_version: String,
    pub case_id: String,
    /// When it was exported (RFC 3339 UTC).
    pub exported: String,
    /// The slice: sequence numbers of its first and last record, how many, the link before the
    /// first record (the genesis of the case when the slice starts at 1) and after the last.
    pub first_seq: u64,
    pub last_seq: u64,
    pub records: u64,
    pub anchor: String,
    pub head: String,
    /// Times of the first and last record in the slice (the records' `ts`).
    pub first_ts: String,
    pub last_ts: String,
    /// The case ledger's own head when the bundle was exported (its last sequence number and
    /// link), which may lie beyond the slice.
    pub ledger_seq: u64,
    pub ledger_head: String,
    /// The filters given to export (`since`, `until`, `agent`), in that order, only those given.
    pub filters: Vec<(String, String)>,
    /// Every member but the manifest and its signature, sorted by name.
    pub members: Vec<Member>,
    /// Chain-of-custody records the slice relies on: the policy in force (and those inside the
    /// slice) and the ingest record of every raw file up to the slice's end, wherever they are
    /// in the ledger.
    pub custody: Vec<Custody>,
    /// The Merkle tree of records 1..last_seq (version 2): its root, and the frontier of records
    /// 1..first_seq-1 from which the slice's leaves recompute it.
    pub tree: Option<TreeLine>,
    /// Consistency proofs from the trees of earlier checkpoints and exports to this one.
    pub consistency: Vec<ConsistencyLine>,
}

/// `kind=tree size root frontier`: hashes in hex, the frontier comma-separated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeLine {
    pub size: u64,
    pub root: String,
    pub frontier: Vec<String>,
}

/// `kind=consistency size root path`: the tree of `size` records with `root` is a prefix of the
/// bundle's tree, by `path` (RFC 9162 PROOF, hex, comma-separated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsistencyLine {
    pub size: u64,
    pub root: String,
    pub path: Vec<String>,
}

/// A file in the bundle and its blake3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    pub bytes: u64,
    pub blake3: String,
    /// Rows, for Parquet members.
    pub rows: Option<u64>,
}

/// A copy of one ledger record's identity: its kind (`ingest` or `policy`), sequence number,
/// link, and the path and blake3 it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Custody {
    pub record: String,
    pub seq: u64,
    pub hash: String,
    pub path: String,
    pub blake3: String,
}

impl Manifest {
    /// The signature's trusted comment: format, case, range, count, head, and the blake3 of
    /// the manifest's bytes (so a verifier can tell an altered manifest from an altered
    /// signature). `minisign -V` prints it: an auditor sees what the signer vouched for.
    pub fn trusted_comment(&self, manifest_blake3: &str) -> String {
        format!(
            "{FORMAT} v{} case={} seq={}..{} records={} head={} manifest={manifest_blake3}",
            self.format_version, self.case_id, self.first_seq, self.last_seq, self.records, self.head
        )
    }

    /// The signature's untrusted comment. Minisign does not sign it, so agaudit writes it
    /// deterministically and verifiers require exactly this text: a changed byte there is
    /// reported like any other.
    pub fn untrusted_comment(&self) -> String {
        format!(
            "agaudit bundle manifest signature, case {} records {}..{}",
            self.case_id, self.first_seq, self.last_seq
        )
    }

    /// Name of the bundle's top directory (every member lives in it).
    pub fn directory(&self) -> String {
        format!("agaudit-bundle-{}-{}-{}", self.case_id, self.first_seq, self.last_seq)
    }

    pub fn member(&self, name: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.name == name)
    }
}

/// The manifest's text (what is signed).
pub fn render(m: &Manifest) -> String {
    let mut out = String::new();
    let mut line = |fields: &[(&str, &str)]| {
        out.push_str(&render_fields(fields));
        out.push('\n');
    };
    let version = m.format_version.to_string();
    line(&[
        ("kind", "bundle"),
        ("format", FORMAT),
        ("version", &version),
        ("agaudit", &m.agaudit_version),
        ("case", &m.case_id),
        ("exported", &m.exported),
    ]);
    let (first, last, records, ledger_seq) = (
        m.first_seq.to_string(),
        m.last_seq.to_string(),
        m.records.to_string(),
        m.ledger_seq.to_string(),
    );
    line(&[
        ("kind", "range"),
        ("first_seq", &first),
        ("last_seq", &last),
        ("records", &records),
        ("anchor", &m.anchor),
        ("head", &m.head),
        ("first_ts", &m.first_ts),
        ("last_ts", &m.last_ts),
    ]);
    line(&[("kind", "ledger"), ("seq", &ledger_seq), ("head", &m.ledger_head)]);
    let mut filter: Vec<(&str, &str)> = vec![("kind", "filter")];
    filter.extend(m.filters.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    line(&filter);
    for member in &m.members {
        let (bytes, rows) = (member.bytes.to_string(), member.rows.map(|r| r.to_string()));
        let mut f = vec![
            ("kind", "member"),
            ("name", member.name.as_str()),
            ("bytes", bytes.as_str()),
            ("blake3", member.blake3.as_str()),
        ];
        if let Some(rows) = &rows {
            f.push(("rows", rows));
        }
        line(&f);
    }
    for c in &m.custody {
        let seq = c.seq.to_string();
        line(&[
            ("kind", "custody"),
            ("record", &c.record),
            ("seq", &seq),
            ("hash", &c.hash),
            ("path", &c.path),
            ("blake3", &c.blake3),
        ]);
    }
    if let Some(t) = &m.tree {
        let (size, frontier) = (t.size.to_string(), t.frontier.join(","));
        line(&[
            ("kind", "tree"),
            ("size", &size),
            ("root", &t.root),
            ("frontier", &frontier),
        ]);
    }
    for c in &m.consistency {
        let (size, path) = (c.size.to_string(), c.path.join(","));
        line(&[
            ("kind", "consistency"),
            ("size", &size),
            ("root", &c.root),
            ("path", &path),
        ]);
    }
    out
}

fn hex_list(v: &str) -> Vec<String> {
    v.split(',').filter(|h| !h.is_empty()).map(str::to_string).collect()
}

/// Why a manifest cannot be read: at which line (1-based; None for the whole manifest), and
/// what was expected there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    pub line: Option<usize>,
    pub problem: ManifestProblem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestProblem {
    Syntax(SyntaxError),
    Missing(&'static str),
    NotNumber(&'static str),
    Format,
    Version(u32),
    UnknownKind(Option<String>),
    NoBundleLine,
    NoLedgerMember,
}

impl std::error::Error for ManifestError {}

impl std::fmt::Display for ManifestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(n) => write!(f, "{MANIFEST} line {n}: ")?,
            None => write!(f, "{MANIFEST}: ")?,
        }
        match &self.problem {
            ManifestProblem::Syntax(e) => e.fmt(f),
            ManifestProblem::Missing(k) => write!(f, "expected {k}="),
            ManifestProblem::NotNumber(k) => write!(f, "expected {k}= to be a number"),
            ManifestProblem::Format => write!(f, "expected format={FORMAT}"),
            ManifestProblem::Version(v) => write!(
                f,
                "bundle format version {v} is not one this verifier knows ({FORMAT_VERSION}); use a newer agaudit-verify"
            ),
            ManifestProblem::UnknownKind(k) => write!(f, "unknown line kind {k:?}"),
            ManifestProblem::NoBundleLine => f.write_str("expected a `kind=bundle` line naming the format"),
            ManifestProblem::NoLedgerMember => write!(f, "expected a member line for {LEDGER}"),
        }
    }
}

/// Reads a manifest; the error names the line and what was expected.
pub fn parse(text: &str) -> Result<Manifest, ManifestError> {
    let mut m = Manifest::default();
    let mut seen_bundle = false;
    for (i, raw) in text.split_terminator('\n').enumerate() {
        let at = |problem: ManifestProblem| ManifestError {
            line: Some(i + 1),
            problem,
        };
        let f = fields(raw).map_err(|e| at(ManifestProblem::Syntax(e)))?;
        let get = |k: &str| f.iter().find(|(key, _)| *key == k).map(|(_, v)| v.clone());
        let need = |k: &'static str| get(k).ok_or_else(|| at(ManifestProblem::Missing(k)));
        let number = |k: &'static str| need(k)?.parse::<u64>().map_err(|_| at(ManifestProblem::NotNumber(k)));
        match get("kind").as_deref() {
            Some("bundle") => {
                if need("format")? != FORMAT {
                    return Err(at(ManifestProblem::Format));
                }
                m.format_version = number("version")? as u32;
                if !(OLDEST_VERSION..=FORMAT_VERSION).contains(&m.format_version) {
                    return Err(at(ManifestProblem::Version(m.format_version)));
                }
                m.agaudit_version = need("agaudit")?;
                m.case_id = need("case")?;
                m.exported = need("exported")?;
                seen_bundle = true;
            }
            Some("range") => {
                m.first_seq = number("first_seq")?;
                m.last_seq = number("last_seq")?;
                m.records = number("records")?;
                m.anchor = need("anchor")?;
                m.head = need("head")?;
                m.first_ts = need("first_ts")?;
                m.last_ts = need("last_ts")?;
            }
            Some("ledger") => {
                m.ledger_seq = number("seq")?;
                m.ledger_head = need("head")?;
            }
            Some("filter") => {
                m.filters = f
                    .iter()
                    .filter(|(k, _)| *k != "kind")
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect();
            }
            Some("member") => m.members.push(Member {
                name: need("name")?,
                bytes: number("bytes")?,
                blake3: need("blake3")?,
                rows: get("rows").map(|_| number("rows")).transpose()?,
            }),
            Some("custody") => m.custody.push(Custody {
                record: need("record")?,
                seq: number("seq")?,
                hash: need("hash")?,
                path: need("path")?,
                blake3: need("blake3")?,
            }),
            Some("tree") => {
                m.tree = Some(TreeLine {
                    size: number("size")?,
                    root: need("root")?,
                    frontier: hex_list(&need("frontier")?),
                })
            }
            Some("consistency") => m.consistency.push(ConsistencyLine {
                size: number("size")?,
                root: need("root")?,
                path: hex_list(&need("path")?),
            }),
            other => return Err(at(ManifestProblem::UnknownKind(other.map(str::to_string)))),
        }
    }
    let whole = |problem| ManifestError { line: None, problem };
    if !seen_bundle {
        return Err(whole(ManifestProblem::NoBundleLine));
    }
    if m.member(LEDGER).is_none() {
        return Err(whole(ManifestProblem::NoLedgerMember));
    }
    Ok(m)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn sample() -> Manifest {
        Manifest {
            format_version: FORMAT_VERSION,
            agaudit_version: "0.1.0".into(),
            case_id: "c1".into(),
            exported: "2026-11-24T00:00:00Z".into(),
            first_seq: 3,
            last_seq: 9,
            records: 7,
            anchor: "a".repeat(64),
            head: "b".repeat(64),
            first_ts: "2026-06-08T10:00:00Z".into(),
            last_ts: "2026-06-08T11:00:00Z".into(),
            ledger_seq: 12,
            ledger_head: "c".repeat(64),
            filters: vec![("agent".into(), "report* x".into())],
            members: vec![Member {
                name: LEDGER.into(),
                bytes: 10,
                blake3: "d".repeat(64),
                rows: None,
            }],
            custody: vec![Custody {
                record: "ingest".into(),
                seq: 2,
                hash: "e".repeat(64),
                path: "logs/pg.log".into(),
                blake3: "f".repeat(64),
            }],
            tree: None,
            consistency: vec![],
        }
    }

    #[test]
    fn round_trip() {
        let m = sample();
        assert_eq!(parse(&render(&m)).unwrap(), m);
    }

    #[test]
    fn unknown_version_is_refused_with_the_line() {
        let text = render(&sample()).replace("version=2", "version=3");
        let e = parse(&text).unwrap_err();
        assert_eq!(e.line, Some(1));
        let e = e.to_string();
        assert!(e.contains("line 1") && e.contains("version 3"), "{e}");
    }
}

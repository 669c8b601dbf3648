//! Verifying an evidence bundle: every check an auditor needs, each with its own verdict.
//!
//! A bundle is valid when all of these hold: it is a well-formed bundle archive; the manifest's
//! minisign signature verifies with the auditor's public key (never a key from the bundle) and
//! its comments are the ones agaudit writes; every member the manifest lists is present with the
//! blake3 it states and nothing else is; the ledger slice recomputes from its anchor to the head
//! the manifest states, record for record; and the chain-of-custody records the manifest copies
//! agree with the slice where they fall inside it. With an older bundle, the newer one must also
//! extend it: identical records where they overlap, one continuous chain. Checks go on after a
//! failure so that every problem is reported with its location (member, line, record).
//!
//! In: the bundle's bytes, the auditor's public key, optionally an older bundle's bytes. Out: a
//! [`Report`] of checks.

use minisign_verify::{PublicKey, Signature};

use std::collections::{BTreeMap, HashMap};

use crate::archive;
use crate::ledger::{Anchor, Chain, ChainError, fields, from_hex, split_hash};
use crate::manifest::{self, LEDGER, MANIFEST, Manifest, SIGNATURE};
use crate::source::{Lines, Source, Span};
use crate::{genesis, to_hex};

/// One check's outcome and, when it failed, where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What was checked: archive, signature, manifest, member, chain, records, custody, against.
    pub check: &'static str,
    pub valid: bool,
    /// What was found; for a failure, what was expected and what was found.
    pub detail: String,
    pub member: Option<String>,
    /// 1-based line within the member.
    pub line: Option<u64>,
    /// Ledger sequence number of the record at fault.
    pub seq: Option<u64>,
}

/// Everything verify found about one bundle.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub checks: Vec<Check>,
    /// From the manifest, when it could be read (trust it only when the report is valid).
    pub case_id: Option<String>,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    pub head: Option<String>,
    /// Records that recomputed in chain order, and the count the manifest states.
    pub records_valid: u64,
    pub records_total: u64,
    /// The key ID the manifest's signature names (whether or not it verifies): for telling
    /// the auditor which key to ask for when it is not the one given.
    pub signer_key_id: Option<String>,
}

impl Report {
    pub fn valid(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.valid)
    }

    pub(crate) fn pass(&mut self, check: &'static str, detail: String) {
        self.checks.push(Check {
            check,
            valid: true,
            detail,
            member: None,
            line: None,
            seq: None,
        });
    }

    pub(crate) fn fail(
        &mut self,
        check: &'static str,
        detail: String,
        member: Option<&str>,
        line: Option<u64>,
        seq: Option<u64>,
    ) {
        self.checks.push(Check {
            check,
            valid: false,
            detail,
            member: member.map(str::to_string),
            line,
            seq,
        });
    }
}

/// A bundle opened and checked: the report, and what later comparisons need.
struct Opened<'s> {
    report: Report,
    manifest: Option<Manifest>,
    src: Source<'s>,
    /// Where the ledger slice lies in the bundle (empty when there is none).
    ledger: Span,
    /// The root of records 1..last_seq, recomputed from the manifest's frontier and the slice.
    root: Option<crate::tree::Hash>,
}

/// The largest a manifest, signature or checkpoint may be: they are read whole. A manifest
/// grows by about 1.3 KB per earlier checkpoint it proves consistency from: 256 MiB is about
/// 200,000 of them.
const SMALL_MEMBER: u64 = 256 << 20;

/// How many records' row hashes the rows check holds at once (about 64 bytes each). A bundle
/// with more records is checked in several passes, each over the ids of one bucket, so memory
/// stays bounded whatever the bundle's size.
pub const ROWS_IN_MEMORY: u64 = 1 << 21;

/// Verifies the bundle in `bytes` with `key`; with `older`, also that it extends that bundle.
pub fn verify(bytes: &[u8], key: &PublicKey, older: Option<&[u8]>) -> Report {
    verify_source(&Source::Bytes(bytes), key, older.map(Source::Bytes).as_ref())
}

/// [`verify`] a bundle wherever it is (a file is read piece by piece, never whole).
pub fn verify_source(src: &Source, key: &PublicKey, older: Option<&Source>) -> Report {
    verify_with(src, key, older, ROWS_IN_MEMORY)
}

/// [`verify_source`] holding at most `rows_in_memory` records' row hashes at a time.
pub fn verify_with(src: &Source, key: &PublicKey, older: Option<&Source>, rows_in_memory: u64) -> Report {
    // A file is read more than once (its members, then the Parquet by position, the ledger
    // again for claims): it must be the same file throughout, or what was hashed is not what
    // was read.
    let before = [Some(src), older].map(|s| s.and_then(Source::identity));
    let mut opened = open(src, key, rows_in_memory);
    if let Some(older) = older {
        let old = open(older, key, rows_in_memory);
        against(&mut opened, &old);
    }
    let after = [Some(src), older].map(|s| s.and_then(Source::identity));
    if before != after {
        opened.report.fail(
            "archive",
            "a bundle file changed while it was being verified: verify a copy nobody else can write".into(),
            None,
            None,
            None,
        );
    }
    opened.report
}

fn open<'s>(src: &Source<'s>, key: &PublicKey, rows_in_memory: u64) -> Opened<'s> {
    let mut opened = Opened {
        report: Report::default(),
        manifest: None,
        src: src.clone(),
        ledger: Span::default(),
        root: None,
    };
    let report = &mut opened.report;
    let index = match archive::index(src) {
        Ok(i) => i,
        Err(e) => {
            report.fail("archive", e.to_string(), None, None, None);
            return opened;
        }
    };
    report.pass(
        "archive",
        format!("{} members in {}/", index.files.len(), index.directory),
    );
    let mut small = |name: &str| -> Option<Vec<u8>> {
        let span = *index.files.get(name)?;
        let read = if span.len > SMALL_MEMBER {
            Err(format!(
                "{} bytes, more than the {} MiB it may be",
                span.len,
                SMALL_MEMBER >> 20
            ))
        } else {
            src.bytes(span).map_err(|e| e.to_string())
        };
        read.map_err(|e| report.fail("archive", format!("{name} cannot be read: {e}"), Some(name), None, None))
            .ok()
    };
    let manifest_bytes = small(MANIFEST);
    let sig_bytes = small(SIGNATURE);
    let checkpoint = (
        small(crate::manifest::CHECKPOINT),
        small(crate::manifest::CHECKPOINT_SIG),
    );
    // Err: what is wrong, and at which line of the manifest when a line is to blame.
    let parsed: Result<Manifest, (String, Option<usize>)> = match &manifest_bytes {
        None => Err((format!("{MANIFEST} is missing"), None)),
        Some(b) => match std::str::from_utf8(b) {
            Err(_) => Err((format!("{MANIFEST} is not UTF-8"), None)),
            Ok(text) => manifest::parse(text).map_err(|e| (e.to_string(), e.line)),
        },
    };
    signature(
        report,
        manifest_bytes.as_deref(),
        sig_bytes.as_deref(),
        parsed.as_ref().ok(),
        key,
    );
    let manifest = match parsed {
        Ok(m) => {
            report.pass(
                "manifest",
                format!(
                    "format {} v{}, case {}, exported {} by agaudit {}",
                    manifest::FORMAT,
                    m.format_version,
                    m.case_id,
                    m.exported,
                    m.agaudit_version
                ),
            );
            m
        }
        Err((e, line)) => {
            report.fail("manifest", e, Some(MANIFEST), line.map(|l| l as u64), None);
            return opened;
        }
    };
    if manifest.directory() != index.directory {
        report.fail(
            "archive",
            format!(
                "top directory is {}/ but the manifest's case and range name {}/",
                index.directory,
                manifest.directory()
            ),
            None,
            None,
            None,
        );
    }
    report.case_id = Some(manifest.case_id.clone());
    report.first_seq = Some(manifest.first_seq);
    report.last_seq = Some(manifest.last_seq);
    report.head = Some(manifest.head.clone());
    report.records_total = manifest.records;
    let ledger = index.files.get(LEDGER).copied().unwrap_or_default();
    opened.ledger = ledger;
    // The ledger is read once, for its member hash, the chain, the tree, the custody records and
    // the rows' records; the other members are hashed beside it.
    let mut chain_report = Report::default();
    let anchor = anchor(&mut chain_report, &manifest);
    let (pass, mut digests) = std::thread::scope(|s| {
        let pass = s.spawn(|| LedgerPass::run(src, ledger, &manifest, anchor, rows_in_memory));
        let digests = member_digests(src, &index);
        (pass.join().unwrap_or_else(|e| std::panic::resume_unwind(e)), digests)
    });
    let pass = match pass {
        Ok(p) => p,
        Err(e) => {
            report.fail(
                "member",
                format!("{LEDGER} cannot be read: {e}"),
                Some(LEDGER),
                None,
                None,
            );
            return opened;
        }
    };
    if index.files.contains_key(LEDGER) {
        digests.insert(LEDGER.to_string(), pass.digest.clone());
    }
    member_hashes(report, &manifest, &index, &digests);
    chain_report.records_total = manifest.records;
    chain(&mut chain_report, &manifest, src, ledger, anchor, &pass);
    report.records_valid = chain_report.records_valid;
    report.checks.append(&mut chain_report.checks);
    custody(report, &manifest, &pass);
    let tree_ok = tree(report, &manifest, pass.tree, checkpoint, key);
    rows(
        report,
        &manifest,
        &index,
        &digests,
        src,
        ledger,
        pass.recorded,
        rows_in_memory,
    );
    opened.root = tree_ok;
    opened.manifest = Some(manifest);
    opened
}

/// Each member's size and blake3 but the ledger's (the ledger pass hashes it), read piece by
/// piece.
fn member_digests(src: &Source, index: &archive::Index) -> BTreeMap<String, Result<(u64, String), String>> {
    index
        .files
        .iter()
        .filter(|(name, _)| *name != LEDGER)
        .map(|(name, span)| {
            let mut h = blake3::Hasher::new();
            let read = src.pieces(*span, |piece| {
                h.update(piece);
            });
            let digest = read.map(|()| (span.len, h.finalize().to_hex().to_string()));
            (name.clone(), digest.map_err(|e| e.to_string()))
        })
        .collect()
}

/// What one read of the ledger slice found: its hash, the chain, the tree's leaves, the
/// custody records the manifest copies, and the row hashes the records name.
struct LedgerPass<'m> {
    digest: Result<(u64, String), String>,
    /// The chain as far as it verified (None when the manifest's anchor is unusable), where it
    /// broke, and the bytes of complete lines (the rest is a torn record).
    chain: Option<Chain>,
    broken: Option<ChainError>,
    complete: u64,
    tree: Tree,
    /// (line, the manifest's copy, whether the line is that record).
    custody: Vec<(u64, &'m manifest::Custody, bool)>,
    recorded: Recorded,
    first_ts: String,
    last_ts: String,
}

impl<'m> LedgerPass<'m> {
    fn run(
        src: &Source,
        span: Span,
        m: &'m Manifest,
        anchor: Option<Anchor>,
        rows_in_memory: u64,
    ) -> std::io::Result<LedgerPass<'m>> {
        let mut hasher = blake3::Hasher::new();
        let mut chain = anchor.map(Chain::new);
        let mut broken: Option<ChainError> = None;
        let mut tree = Tree::start(m);
        let mut recorded = Recorded::new(m, span, 0, rows_in_memory);
        let wanted: BTreeMap<u64, &manifest::Custody> = m
            .custody
            .iter()
            .filter(|c| (m.first_seq..=m.last_seq).contains(&c.seq))
            .map(|c| (c.seq - m.first_seq + 1, c))
            .collect();
        let mut custody = Vec::new();
        let (mut lines_before, mut complete) = (0u64, 0u64);
        let (mut first_ts, mut last_ts) = (None, String::new());
        let too_long = src.lines(span, |raw, lines| {
            std::thread::scope(|s| {
                s.spawn(|| hasher.update(raw));
                if lines.is_empty() {
                    return;
                }
                if let Some(c) = &mut chain
                    && broken.is_none()
                {
                    broken = c.feed(lines).err();
                }
                if let Tree::Building(b) = &mut tree {
                    for leaf in crate::tree::leaves_of_ledger(lines) {
                        b.push(&leaf);
                    }
                }
                recorded.collect(lines);
                let n = lines.iter().filter(|&&b| b == b'\n').count() as u64;
                for (&line_no, c) in wanted.range(lines_before + 1..=lines_before + n) {
                    let line = lines.split(|&b| b == b'\n').nth((line_no - lines_before - 1) as usize);
                    custody.push((line_no, *c, line.is_some_and(|l| is_custody_record(l, c))));
                }
                let mut each = lines[..lines.len() - 1].split(|&b| b == b'\n');
                if first_ts.is_none() {
                    first_ts = Some(each.next().and_then(record_ts).unwrap_or_default());
                }
                last_ts = lines[..lines.len() - 1]
                    .rsplit(|&b| b == b'\n')
                    .next()
                    .and_then(record_ts)
                    .unwrap_or_default();
                lines_before += n;
                complete += lines.len() as u64;
            });
        })?;
        if let Err(line) = too_long
            && broken.is_none()
        {
            broken = Some(ChainError {
                line,
                reason: format!(
                    "a line longer than {} MiB: not a record agaudit writes (it is hashed, not read)",
                    crate::source::LONGEST_LINE >> 20
                ),
            });
        }
        Ok(LedgerPass {
            digest: Ok((span.len, hasher.finalize().to_hex().to_string())),
            chain,
            broken,
            complete,
            tree,
            custody,
            recorded,
            first_ts: first_ts.unwrap_or_default(),
            last_ts,
        })
    }
}

fn is_custody_record(line: &[u8], c: &manifest::Custody) -> bool {
    let found = std::str::from_utf8(line).ok().and_then(|l| fields(l).ok());
    let get = |k: &str| {
        found
            .as_ref()
            .and_then(|f| f.iter().find(|(key, _)| *key == k).map(|(_, v)| v.as_str()))
    };
    get("kind") == Some(c.record.as_str())
        && get("hash") == Some(c.hash.as_str())
        && get("path") == Some(c.path.as_str())
        && get("blake3") == Some(c.blake3.as_str())
}

fn signature(
    report: &mut Report,
    manifest_bytes: Option<&[u8]>,
    sig_bytes: Option<&[u8]>,
    manifest: Option<&Manifest>,
    key: &PublicKey,
) {
    let fail = |report: &mut Report, detail: String, member: &str, line: Option<u64>| {
        report.fail("signature", detail, Some(member), line, None)
    };
    let (Some(manifest_bytes), Some(sig_bytes)) = (manifest_bytes, sig_bytes) else {
        let missing = if manifest_bytes.is_none() { MANIFEST } else { SIGNATURE };
        return fail(
            report,
            format!("{missing} is missing: nothing vouches for this bundle"),
            missing,
            None,
        );
    };
    // The signature file must be exactly the four lines agaudit writes: minisign itself ignores
    // some variations (line endings, the untrusted comment), and evidence must not change unseen.
    let Ok(text) = std::str::from_utf8(sig_bytes) else {
        return fail(report, "not UTF-8".into(), SIGNATURE, None);
    };
    let lines: Vec<&str> = text.split_terminator('\n').collect();
    if lines.len() != 4 || !text.ends_with('\n') || text.contains('\r') {
        return fail(
            report,
            format!(
                "expected exactly 4 newline-terminated lines (untrusted comment, signature, trusted comment, global signature), found {}",
                lines.len()
            ),
            SIGNATURE,
            None,
        );
    }
    report.signer_key_id = crate::checkpoint::key_id(lines[1]);
    let sig = match Signature::decode(text) {
        Ok(s) => s,
        Err(e) => {
            let line = if lines[1].len() != 100 { 2 } else { 4 };
            return fail(report, format!("not a minisign signature: {e}"), SIGNATURE, Some(line));
        }
    };
    let manifest_hash = blake3::hash(manifest_bytes).to_hex().to_string();
    let named_hash = sig
        .trusted_comment()
        .split(' ')
        .find_map(|w| w.strip_prefix("manifest="))
        .unwrap_or("");
    // Legacy (not prehashed) signatures are accepted, as `minisign -V` accepts them.
    if let Err(e) = key.verify(manifest_bytes, &sig, true) {
        return match e {
            minisign_verify::Error::UnexpectedKeyId => fail(
                report,
                format!(
                    "signed by a different key than the public key given: the signature names key ID {} (key IDs differ); verify with the signer's public key",
                    report.signer_key_id.as_deref().unwrap_or("(unreadable)")
                ),
                SIGNATURE,
                Some(2),
            ),
            // A well-formed hash other than the manifest's: the signed comment is intact and the
            // manifest is not the one it names (a flipped byte inside that hash looks the same).
            _ if named_hash.len() == 64
                && named_hash
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                && named_hash != manifest_hash =>
            {
                fail(
                    report,
                    format!(
                        "{MANIFEST} hashes to {manifest_hash} but the signed comment names manifest={named_hash}: \
                     the manifest was altered or replaced, or the signature belongs to another manifest"
                    ),
                    MANIFEST,
                    None,
                )
            }
            e => fail(
                report,
                format!("does not verify ({e}): the signature or its trusted comment was altered"),
                SIGNATURE,
                None,
            ),
        };
    }
    let Some(manifest) = manifest else {
        // Signed but unreadable: reported by the manifest check.
        return report.pass("signature", format!("{MANIFEST} signed by the given key"));
    };
    let want_trusted = manifest.trusted_comment(&manifest_hash);
    let want_untrusted = format!("untrusted comment: {}", manifest.untrusted_comment());
    if sig.trusted_comment() != want_trusted {
        return fail(
            report,
            format!(
                "trusted comment is `{}`, expected `{want_trusted}` from the manifest",
                sig.trusted_comment()
            ),
            SIGNATURE,
            Some(3),
        );
    }
    if lines[0] != want_untrusted {
        return fail(
            report,
            format!("untrusted comment is `{}`, expected `{want_untrusted}`", lines[0]),
            SIGNATURE,
            Some(1),
        );
    }
    report.pass(
        "signature",
        format!("{MANIFEST} signed by the given key; trusted comment: {want_trusted}"),
    );
}

fn member_hashes(
    report: &mut Report,
    manifest: &Manifest,
    index: &archive::Index,
    digests: &BTreeMap<String, Result<(u64, String), String>>,
) {
    for m in &manifest.members {
        match digests.get(&m.name) {
            None => report.fail(
                "member",
                format!("{} is listed in the manifest but missing from the bundle", m.name),
                Some(&m.name),
                None,
                None,
            ),
            Some(Err(e)) => report.fail(
                "member",
                format!("{} cannot be read: {e}", m.name),
                Some(&m.name),
                None,
                None,
            ),
            Some(Ok((len, found))) => {
                if *found != m.blake3 || *len != m.bytes {
                    report.fail(
                        "member",
                        format!(
                            "{}: {len} bytes with blake3 {found}, the manifest says {} bytes with blake3 {}",
                            m.name, m.bytes, m.blake3
                        ),
                        Some(&m.name),
                        None,
                        None,
                    );
                } else {
                    report.pass("member", format!("{}: {} bytes, blake3 {found}", m.name, m.bytes));
                }
            }
        }
    }
    for name in index.files.keys() {
        if name != MANIFEST && name != SIGNATURE && manifest.member(name).is_none() {
            report.fail(
                "member",
                format!("{name} is in the bundle but not in the manifest: a member was added"),
                Some(name),
                None,
                None,
            );
        }
    }
}

/// Where the slice's chain starts, from the manifest: the case's genesis, or the anchor link.
fn anchor(report: &mut Report, m: &Manifest) -> Option<Anchor> {
    if m.first_seq == 1 {
        let g = to_hex(&genesis(&m.case_id));
        if m.anchor != g {
            report.fail(
                "chain",
                format!("anchor is {} but the genesis of case {} is {g}", m.anchor, m.case_id),
                Some(MANIFEST),
                None,
                None,
            );
            return None;
        }
        return Some(Anchor::Genesis);
    }
    match from_hex(&m.anchor) {
        Some(link) if m.first_seq > 1 => Some(Anchor::After {
            seq: m.first_seq - 1,
            link,
        }),
        _ => {
            report.fail(
                "chain",
                format!(
                    "expected first_seq >= 1 and a 64-hex anchor, found {} and {}",
                    m.first_seq, m.anchor
                ),
                Some(MANIFEST),
                None,
                None,
            );
            None
        }
    }
}

/// The stated hash of the records `seqs` (ascending) of the slice at `span`, whose first record
/// is `first_seq`, read again.
fn stated_links(src: &Source, span: Span, first_seq: u64, seqs: &[u64]) -> Vec<Option<crate::Link>> {
    let mut lines = Lines::new(src, span);
    let mut seq = first_seq.saturating_sub(1);
    seqs.iter()
        .map(|&want| {
            while seq + 1 < want {
                lines.next_line()?;
                seq += 1;
            }
            let line = lines.next_line()?;
            seq += 1;
            from_hex(split_hash(line)?.1)
        })
        .collect()
}

fn chain(report: &mut Report, m: &Manifest, src: &Source, ledger: Span, anchor: Option<Anchor>, pass: &LedgerPass) {
    let (Some(anchor), Some(c)) = (anchor, &pass.chain) else {
        return;
    };
    let claims = c.check_claims(|seqs| stated_links(src, ledger, anchor.seq() + 1, seqs));
    let result = match (pass.broken.clone(), claims) {
        (Some(a), Err(b)) => Err(if b.line < a.line { b } else { a }),
        (Some(e), Ok(())) | (None, Err(e)) => Err(e),
        (None, Ok(())) => Ok(c.finish(pass.complete, ledger.len)),
    };
    match result {
        Err(e) => {
            report.records_valid = e.line - 1;
            let seq = m.first_seq.saturating_add(e.line).saturating_sub(1);
            report.fail(
                "chain",
                format!("{LEDGER} line {} (record {seq}): {}", e.line, e.reason),
                Some(LEDGER),
                Some(e.line),
                Some(seq),
            );
        }
        Ok(v) => {
            report.records_valid = v.count;
            let problem = if let Some(t) = &v.torn {
                Some((
                    format!(
                        "ends in {} bytes that are not a complete record: the slice was cut",
                        t.len
                    ),
                    Some(t.line),
                    Some(v.last_seq + 1),
                ))
            } else if m.first_seq == 1 && v.case_id.as_deref() != Some(m.case_id.as_str()) {
                Some((
                    format!("record 1 names case {:?}, the manifest {}", v.case_id, m.case_id),
                    Some(1),
                    Some(1),
                ))
            } else if v.last_seq != m.last_seq || v.count != m.records {
                Some((
                    format!(
                        "holds records {}..{} ({}), the manifest says {}..{} ({}): records were removed or added",
                        m.first_seq, v.last_seq, v.count, m.first_seq, m.last_seq, m.records
                    ),
                    Some(v.count + 1),
                    Some(v.last_seq + 1),
                ))
            } else if to_hex(&v.head) != m.head {
                Some((
                    format!("ends at link {} but the manifest's head is {}", to_hex(&v.head), m.head),
                    Some(v.count),
                    Some(v.last_seq),
                ))
            } else {
                None
            };
            match problem {
                Some((detail, line, seq)) => {
                    report.fail("chain", format!("{LEDGER}: {detail}"), Some(LEDGER), line, seq)
                }
                None => {
                    report.pass(
                        "chain",
                        format!(
                            "records {}..{} recompute from the anchor {} to the head {}",
                            m.first_seq, m.last_seq, m.anchor, m.head
                        ),
                    );
                    let (first_ts, last_ts) = (&pass.first_ts, &pass.last_ts);
                    if *first_ts != m.first_ts || *last_ts != m.last_ts {
                        report.fail(
                            "chain",
                            format!(
                                "records span {first_ts} .. {last_ts}, the manifest says {} .. {}",
                                m.first_ts, m.last_ts
                            ),
                            Some(MANIFEST),
                            None,
                            None,
                        );
                    }
                }
            }
        }
    }
    let (valid, total) = (report.records_valid, report.records_total);
    let chain_ok = report.checks.iter().all(|c| c.check != "chain" || c.valid);
    if valid == total && chain_ok {
        report.pass("records", format!("{valid}/{total} records valid"));
    } else if valid == total {
        report.fail(
            "records",
            format!("{valid}/{total} records recompute, but the slice does not end as the manifest says (chain check)"),
            Some(LEDGER),
            None,
            None,
        );
    } else {
        report.fail(
            "records",
            format!("{valid}/{total} records valid (verified in chain order up to the first break)"),
            Some(LEDGER),
            None,
            None,
        );
    }
}

fn record_ts(line: &[u8]) -> Option<String> {
    let (record, _) = split_hash(line)?;
    let f = fields(std::str::from_utf8(record).ok()?).ok()?;
    f.into_iter().find(|(k, _)| *k == "ts").map(|(_, v)| v)
}

/// The `row=` the slice's action and finding records name, by id, for the ids of one bucket
/// (the latest record of an id wins, as in the case).
struct Recorded {
    bucket: u64,
    buckets: u64,
    /// The most records one bucket may hold: twice its share, which ids agaudit writes (blake3
    /// digests) never come near. More, or more records in all than the manifest counts, and the
    /// rows check stops rather than hold them.
    limit: u64,
    /// The manifest's record count, and the action and finding records read so far.
    records: u64,
    read: u64,
    actions: Ids,
    findings: Ids,
    overflow: bool,
    /// Whether the slice records any action at all, in any bucket.
    any_action: bool,
}

/// Ids and the `row=` their latest record names. Ids as agaudit writes them (32 hex digits)
/// are held as 16 bytes in a vector sorted once all are in (about 50 bytes a record); others,
/// which agaudit does not write, in a map.
#[derive(Default)]
struct Ids {
    hex: Vec<([u8; 16], Entry)>,
    sorted: bool,
    other: HashMap<String, Entry>,
}

// Without the rows feature the records are not collected: only the rows check reads them.
#[cfg_attr(not(feature = "rows"), allow(dead_code))]
#[derive(Clone, Copy)]
struct Entry {
    row: RowField,
    /// A row of this id was found in the Parquet member.
    seen: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum RowField {
    Absent,
    Malformed,
    Hash(crate::Link),
}

fn id_number(id: &str) -> Option<u128> {
    let hex = id.len() == 32 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    hex.then(|| u128::from_str_radix(id, 16).ok()).flatten()
}

fn bucket_of(id: &str, buckets: u64) -> u64 {
    let n = id_number(id).unwrap_or_else(|| {
        let h = blake3::hash(id.as_bytes());
        u128::from_le_bytes(h.as_bytes()[..16].try_into().unwrap_or_default())
    });
    (n % u128::from(buckets.max(1))) as u64
}

#[cfg_attr(not(feature = "rows"), allow(dead_code))]
impl Ids {
    /// Records `id`; a later record of the same id replaces it.
    fn insert(&mut self, id: &str, row: RowField) {
        let entry = Entry { row, seen: false };
        match id_number(id) {
            Some(n) => {
                self.hex.push((n.to_be_bytes(), entry));
                self.sorted = false;
            }
            None => {
                self.other.insert(id.to_string(), entry);
            }
        }
    }

    /// Sorts the hex ids, keeping each id's latest record (the sort is stable).
    fn sort(&mut self) {
        if !self.sorted {
            self.hex.sort_by_key(|a| a.0);
            self.hex.dedup_by(|later, kept| {
                let same = later.0 == kept.0;
                if same {
                    kept.1 = later.1;
                }
                same
            });
            self.sorted = true;
        }
    }

    /// The entry of `id`; [`Ids::sort`] first.
    fn get_mut(&mut self, id: &str) -> Option<&mut Entry> {
        match id_number(id) {
            Some(n) => {
                let key = n.to_be_bytes();
                let at = self.hex.binary_search_by(|(k, _)| k.cmp(&key)).ok()?;
                Some(&mut self.hex[at].1)
            }
            None => self.other.get_mut(id),
        }
    }

    fn len(&self) -> u64 {
        (self.hex.len() + self.other.len()) as u64
    }

    /// An id recorded whose row was not found.
    fn unseen(&self) -> Option<String> {
        let hex = self
            .hex
            .iter()
            .find(|(_, e)| !e.seen)
            .map(|(n, _)| format!("{:032x}", u128::from_be_bytes(*n)));
        hex.or_else(|| self.other.iter().find(|(_, e)| !e.seen).map(|(id, _)| id.clone()))
    }
}

impl Recorded {
    /// The records of `bucket` of the slice at `ledger`. The number of buckets follows the
    /// manifest's record count, but never more records than the slice's bytes can hold (a
    /// record line is more than 128 bytes: its prev and hash alone are 128 hex digits), so a
    /// signed manifest stating an absurd count cannot make the check read the slice forever.
    fn new(m: &Manifest, ledger: Span, bucket: u64, rows_in_memory: u64) -> Recorded {
        let possible = m.records.min(ledger.len / 128 + 1);
        Recorded {
            bucket,
            buckets: possible.div_ceil(rows_in_memory.max(1)).max(1),
            limit: 2 * rows_in_memory.max(1) + 16,
            records: m.records,
            read: 0,
            actions: Ids::default(),
            findings: Ids::default(),
            overflow: false,
            any_action: false,
        }
    }

    /// Takes the records of this bucket from complete lines, on every core. An action record
    /// ends `… action=<id> evidence=<table>:<hash> row=<hash> prev=<hash> hash=<hash>` and a
    /// finding record `… conf=<conf> row=<hash> prev=… hash=…` (docs/ledger.md), values the
    /// writer writes bare, so the fields are found from the end without parsing the whole line.
    fn collect(&mut self, lines: &[u8]) {
        if !cfg!(feature = "rows") || self.overflow {
            return;
        }
        let found = crate::ledger::parallel_lines(lines, |_, line| {
            let line = std::str::from_utf8(line).ok()?;
            // `seq=N ts=T kind=K` open every record, unquoted: the kind is the third field,
            // never a quoted value that happens to contain ` kind=action `.
            let mut head = line.splitn(4, ' ');
            let (_, _, kind, rest) = (head.next()?, head.next()?, head.next()?, head.next()?);
            let action = match kind {
                "kind=action" => true,
                "kind=finding" => false,
                _ => return None,
            };
            let before_prev = &line[..line.rfind(" prev=")?];
            let row = before_prev
                .rfind(" row=")
                .map(|at| &before_prev[at + 5..])
                .filter(|r| !r.contains(' '));
            let id = if action {
                // `… action=<id> evidence=… row=…`: the last ` action=`, after every quoted value.
                let at = before_prev.rfind(" action=")? + " action=".len();
                before_prev[at..].split(' ').next()?
            } else {
                // A finding's id is its fourth field (docs/ledger.md).
                rest.strip_prefix("finding=")?.split(' ').next()?
            };
            Some((action, id, row))
        });
        for (action, id, row) in found.into_iter().flatten() {
            // Before any early return: a missing actions.parquet is reported whatever else is.
            self.any_action |= action;
            self.read += 1;
            if self.read > self.records {
                self.overflow = true;
                return;
            }
            if bucket_of(id, self.buckets) != self.bucket {
                continue;
            }
            let row = match row {
                None => RowField::Absent,
                Some(r) => from_hex(r).map_or(RowField::Malformed, RowField::Hash),
            };
            let ids = if action { &mut self.actions } else { &mut self.findings };
            ids.insert(id, row);
            if self.actions.len() + self.findings.len() > self.limit {
                self.overflow = true;
                return;
            }
        }
    }

    /// The records of `bucket`, from a second read of the slice.
    #[cfg_attr(not(feature = "rows"), allow(dead_code))]
    fn scan(src: &Source, ledger: Span, m: &Manifest, bucket: u64, rows_in_memory: u64) -> Recorded {
        let mut r = Recorded::new(m, ledger, bucket, rows_in_memory);
        let _ = src.lines(ledger, |_, lines| r.collect(lines));
        r
    }
}

/// The Parquet members hold exactly the rows the slice's records name: each row hashes to the
/// `row=` of the latest record of its id, no row lacks a record, every action record has its
/// row, and each member holds the `rows=` its manifest line says. The records are held one
/// bucket of ids at a time ([`ROWS_IN_MEMORY`]); each bucket reads the member once.
#[cfg(feature = "rows")]
#[allow(clippy::too_many_arguments)]
fn rows(
    report: &mut Report,
    m: &Manifest,
    index: &archive::Index,
    digests: &BTreeMap<String, Result<(u64, String), String>>,
    src: &Source,
    ledger: Span,
    mut first: Recorded,
    rows_in_memory: u64,
) {
    let signed = report.checks.iter().all(|c| c.check != "signature" || c.valid);
    if first.overflow {
        return report.fail(
            "rows",
            format!(
                "the slice's action and finding records do not fit the manifest's {} records (more of them, or ids crowding one bucket): rows not compared",
                m.records
            ),
            Some(LEDGER),
            None,
            None,
        );
    }
    'members: for (member, action, id_column) in [
        ("actions.parquet", true, "action_id"),
        ("findings.parquet", false, "finding_id"),
    ] {
        let kind = if action { "action" } else { "finding" };
        let fail = |report: &mut Report, detail: String| report.fail("rows", detail, Some(member), None, None);
        let Some(span) = index.files.get(member) else {
            if action && first.any_action {
                fail(
                    report,
                    format!("the slice records actions but the bundle has no {member}"),
                );
            }
            continue;
        };
        // Only bytes the signed manifest vouches for are parsed: a member that does not hash to
        // its manifest line is already invalid, and a Parquet reader is not for hostile input.
        let vouched = m.member(member).is_some_and(|x| {
            digests
                .get(member)
                .is_some_and(|d| d.as_ref().is_ok_and(|(len, h)| *len == x.bytes && *h == x.blake3))
        });
        if !vouched || !signed {
            fail(
                report,
                format!("{member} is not the one the signed manifest names: its rows are not read"),
            );
            continue;
        }
        let mut problem: Option<String> = None;
        let mut total = 0;
        for bucket in 0..first.buckets {
            let mut recorded = if bucket == 0 {
                std::mem::take(if action {
                    &mut first.actions
                } else {
                    &mut first.findings
                })
            } else {
                let mut r = Recorded::scan(src, ledger, m, bucket, rows_in_memory);
                if r.overflow {
                    first.overflow = true;
                }
                std::mem::take(if action { &mut r.actions } else { &mut r.findings })
            };
            recorded.sort();
            if first.overflow {
                problem = Some(format!(
                    "the slice's action and finding records do not fit the manifest's {} records (more of them, or ids crowding one bucket): rows not compared",
                    m.records
                ));
                break;
            }
            let buckets = first.buckets;
            let mut check = |id: &str, hash: &str, problem: &mut Option<String>| {
                if problem.is_some() || bucket_of(id, buckets) != bucket {
                    return;
                }
                *problem = match recorded.get_mut(id) {
                    None => Some(format!(
                        "the row of {kind} {id} is named by no record in the slice: a row was added"
                    )),
                    Some(e) if e.seen => Some(format!("{kind} {id} has two rows")),
                    Some(e) => {
                        e.seen = true;
                        match e.row {
                            RowField::Absent => Some(format!("the record of {kind} {id} carries no row=")),
                            RowField::Malformed => Some(format!(
                                "the record of {kind} {id} carries a row= that is not 64 hex digits"
                            )),
                            RowField::Hash(want) if from_hex(hash) != Some(want) => Some(format!(
                                "the row of {kind} {id} hashes to {hash} but its record says row={}: the row was altered",
                                to_hex(&want)
                            )),
                            RowField::Hash(_) => None,
                        }
                    }
                };
            };
            let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let member = src.parquet(*span).map_err(|e| e.to_string())?;
                crate::row::for_each_row(member, id_column, |id, hash| check(id, hash, &mut problem))
            }));
            match read {
                Ok(Ok(n)) => total = n,
                Ok(Err(e)) => {
                    fail(report, e);
                    continue 'members;
                }
                Err(_) => {
                    fail(report, "the Parquet reader failed on it".into());
                    continue 'members;
                }
            }
            if bucket == 0 {
                let stated = m.member(member).and_then(|x| x.rows);
                if stated != Some(total) {
                    fail(
                        report,
                        format!(
                            "the manifest says rows={} but {member} holds {total} rows",
                            stated.map_or("(none)".into(), |n| n.to_string()),
                        ),
                    );
                }
                if m.format_version < 2 {
                    report.pass(
                        "rows",
                        format!(
                            "{member}: {total} rows (bundle format {}: rows are not bound to records)",
                            m.format_version
                        ),
                    );
                    continue 'members;
                }
            }
            // A filtered export carries only the selected actions' rows (the others' records
            // stay in the slice for the chain): absence is checked on unfiltered bundles only.
            if problem.is_none()
                && action
                && m.filters.is_empty()
                && let Some(id) = recorded.unseen()
            {
                problem = Some(format!(
                    "action {id} is recorded in the slice but {member} has no row for it: a row was removed"
                ));
            }
            if problem.is_some() {
                break;
            }
        }
        match problem {
            Some(detail) => fail(report, detail),
            None => report.pass("rows", format!("{member}: {total} rows, each the one its record names")),
        }
    }
}

#[cfg(not(feature = "rows"))]
#[allow(clippy::too_many_arguments)]
fn rows(
    report: &mut Report,
    _: &Manifest,
    _: &archive::Index,
    _: &BTreeMap<String, Result<(u64, String), String>>,
    _: &Source,
    _: Span,
    _: Recorded,
    _: u64,
) {
    report.pass(
        "rows",
        "not checked: this agaudit-verify was built without its rows feature (a Parquet reader)".into(),
    );
}

/// The tree over the slice, as the ledger pass builds it.
enum Tree {
    /// Bundle format 1 has no tree.
    None,
    NoTreeLine,
    /// The manifest's frontier is not the subtree roots of the records before the slice.
    BadFrontier,
    Building(crate::tree::Builder),
}

impl Tree {
    fn start(m: &Manifest) -> Tree {
        if m.format_version < 2 {
            return Tree::None;
        }
        let Some(t) = &m.tree else {
            return Tree::NoTreeLine;
        };
        let frontier: Option<Vec<crate::tree::Hash>> = t.frontier.iter().map(|h| from_hex(h)).collect();
        match frontier.and_then(|f| crate::tree::Builder::from_frontier(m.first_seq.saturating_sub(1), &f)) {
            Some(b) => Tree::Building(b),
            None => Tree::BadFrontier,
        }
    }
}

/// Version 2: the slice's leaves, after the manifest's frontier, give the root it states for
/// records 1..last_seq; the bundle's checkpoint signs that root (with the auditor's key); every
/// consistency proof leads from an earlier tree to it. Returns the root when it recomputes.
fn tree(
    report: &mut Report,
    m: &Manifest,
    tree: Tree,
    checkpoint: (Option<Vec<u8>>, Option<Vec<u8>>),
    key: &PublicKey,
) -> Option<crate::tree::Hash> {
    use crate::manifest::{CHECKPOINT, CHECKPOINT_SIG};
    use crate::tree;
    let builder = match (tree, &m.tree) {
        (Tree::None, _) => return None,
        (Tree::Building(b), Some(t)) => (b, t),
        (Tree::BadFrontier, _) => {
            report.fail(
                "tree",
                format!(
                    "the frontier is not the {} subtree roots of records 1..{}",
                    (m.first_seq.saturating_sub(1)).count_ones(),
                    m.first_seq.saturating_sub(1)
                ),
                Some(MANIFEST),
                None,
                None,
            );
            return None;
        }
        _ => {
            report.fail(
                "tree",
                "the manifest has no kind=tree line".into(),
                Some(MANIFEST),
                None,
                None,
            );
            return None;
        }
    };
    let (builder, t) = builder;
    let root = builder.root();
    if builder.size() != t.size || t.size != m.last_seq || to_hex(&root) != t.root {
        report.fail(
            "tree",
            format!(
                "records 1..{} give root {} (from the frontier and the slice), the manifest says {} records with root {}",
                builder.size(),
                to_hex(&root),
                t.size,
                t.root
            ),
            Some(LEDGER),
            None,
            None,
        );
        return None;
    }
    report.pass(
        "tree",
        format!(
            "records 1..{} have root {} (frontier of {} hashes and the slice)",
            t.size,
            t.root,
            t.frontier.len()
        ),
    );
    match checkpoint {
        (Some(body), Some(sig)) => {
            let signed = std::str::from_utf8(&sig)
                .map_err(|_| crate::checkpoint::CheckpointError::Signature("not UTF-8".into()))
                .and_then(|sig| crate::checkpoint::verify_signed(&body, sig, key));
            match signed {
                Ok(c) if c.case_id == m.case_id && c.size == t.size && c.root == root && to_hex(&c.chain) == m.head => report.pass(
                    "checkpoint",
                    format!("{CHECKPOINT} signs records 1..{} of case {} (root {})", c.size, c.case_id, crate::checkpoint::base64(&c.root)),
                ),
                Ok(c) => report.fail(
                    "checkpoint",
                    format!("{CHECKPOINT} signs case {} at {} records, not this bundle's tree (case {}, {} records, head {})", c.case_id, c.size, m.case_id, t.size, m.head),
                    Some(CHECKPOINT),
                    None,
                    None,
                ),
                Err(e) => report.fail("checkpoint", e.to_string(), Some(CHECKPOINT_SIG), None, None),
            }
        }
        _ => report.fail(
            "checkpoint",
            format!("{CHECKPOINT} or its signature is missing"),
            Some(CHECKPOINT),
            None,
            None,
        ),
    }
    let mut held = Vec::new();
    for c in &m.consistency {
        let path: Option<Vec<tree::Hash>> = c.path.iter().map(|h| from_hex(h)).collect();
        let result = match (from_hex(&c.root), path) {
            (Some(old), Some(path)) => {
                tree::verify_consistency(c.size, t.size, &old, &root, &path).map_err(|e| e.to_string())
            }
            _ => Err("its root or path is not 64-hex hashes".into()),
        };
        if let Err(e) = result {
            report.fail(
                "consistency",
                format!("the proof from the tree of {} records: {e}", c.size),
                Some(MANIFEST),
                None,
                Some(c.size),
            );
            return Some(root);
        }
        held.push(c.size.to_string());
    }
    report.pass(
        "consistency",
        if held.is_empty() {
            "no earlier checkpoint or export to prove consistency from".into()
        } else {
            format!(
                "this tree extends the earlier trees of {} records (RFC 9162 consistency proofs)",
                held.join(", ")
            )
        },
    );
    Some(root)
}

fn custody(report: &mut Report, m: &Manifest, pass: &LedgerPass) {
    // Every copy naming a record inside the slice: the record the pass found at its line, or
    // none when the slice does not reach that line.
    let mut inside = 0;
    for c in m.custody.iter().filter(|c| (m.first_seq..=m.last_seq).contains(&c.seq)) {
        let line_no = c.seq - m.first_seq + 1;
        let same = pass
            .custody
            .iter()
            .any(|(l, copy, same)| *l == line_no && std::ptr::eq(*copy, c) && *same);
        if same {
            inside += 1;
        } else {
            report.fail(
                "custody",
                format!(
                    "the manifest's {} record {} (hash {}, {} blake3 {}) is not the record at that place in {LEDGER}",
                    c.record, c.seq, c.hash, c.path, c.blake3
                ),
                Some(LEDGER),
                Some(line_no),
                Some(c.seq),
            );
        }
    }
    let before = m
        .custody
        .iter()
        .filter(|c| !(m.first_seq..=m.last_seq).contains(&c.seq))
        .count();
    if report.checks.iter().all(|c| c.check != "custody") {
        report.pass(
            "custody",
            format!(
                "{} custody records: {inside} inside the slice match it, {before} before it (vouched for by the signature; --against an older bundle holding them checks them)",
                m.custody.len()
            ),
        );
    }
}

/// Checks that `newer` extends `older`: same case, not ending earlier, identical records where
/// the two overlap, and one continuous chain (an overlap, or the newer anchored on the older head).
fn against(newer: &mut Opened, older: &Opened) {
    let report = &mut newer.report;
    let (Some(n), Some(o)) = (&newer.manifest, &older.manifest) else {
        return report.fail(
            "against",
            "cannot compare: one of the bundles has no readable manifest".into(),
            None,
            None,
            None,
        );
    };
    if let Some(bad) = older.report.checks.iter().find(|c| !c.valid) {
        return report.fail(
            "against",
            format!("the older bundle does not verify: {} check: {}", bad.check, bad.detail),
            bad.member.as_deref(),
            bad.line,
            bad.seq,
        );
    }
    if n.case_id != o.case_id {
        return report.fail(
            "against",
            format!(
                "the older bundle is of case {}, this one of case {}",
                o.case_id, n.case_id
            ),
            None,
            None,
            None,
        );
    }
    if n.last_seq < o.last_seq {
        return report.fail(
            "against",
            format!(
                "this bundle ends at record {} before the older one's end ({}): it does not extend it",
                n.last_seq, o.last_seq
            ),
            None,
            None,
            None,
        );
    }
    // Custody records the newer manifest copies from before its slice are checked against the
    // older bundle's records wherever it holds them (one read of the older slice, in order).
    let mut checked = 0;
    let mut before: Vec<&manifest::Custody> = n
        .custody
        .iter()
        .filter(|c| c.seq < n.first_seq && c.seq >= o.first_seq && c.seq <= o.last_seq)
        .collect();
    before.sort_by_key(|c| c.seq);
    let seqs: Vec<u64> = before.iter().map(|c| c.seq).collect();
    let mut unique = seqs.clone();
    unique.dedup();
    let links = stated_links(&older.src, older.ledger, o.first_seq, &unique);
    for c in before {
        let hash = unique
            .binary_search(&c.seq)
            .ok()
            .and_then(|i| links.get(i).copied().flatten())
            .map(|h| to_hex(&h))
            .unwrap_or_default();
        if hash != c.hash {
            return report.fail(
                "against",
                format!(
                    "the manifest's {} record {} has hash {}, the older bundle's record {} has {hash}",
                    c.record, c.seq, c.hash, c.seq
                ),
                Some(MANIFEST),
                None,
                Some(c.seq),
            );
        }
        checked += 1;
    }
    // Version 2: the newer bundle proves in O(log n) that its tree extends the older one's. A
    // proof from another root than the older bundle's is a rewrite: the records are then
    // compared to locate it.
    let mut contradicted: Option<String> = None;
    if let (Some(old_root), Some(_)) = (older.root, newer.root) {
        let proof = n.consistency.iter().find(|c| c.size == o.last_seq);
        let same = n.last_seq == o.last_seq && newer.root == Some(old_root);
        match proof {
            _ if same => {
                return report.pass("against", format!("the same tree as the older bundle ({} records); {checked} custody records before the slice match it", n.last_seq));
            }
            Some(c)
                if c.root == to_hex(&old_root) && report.checks.iter().all(|k| k.check != "consistency" || k.valid) =>
            {
                return report.pass(
                    "against",
                    format!(
                        "extends the older bundle: its tree of {} records is a prefix of this one's ({} records), by a consistency proof of {} hashes; {checked} custody records before the slice match it",
                        o.last_seq,
                        n.last_seq,
                        c.path.len()
                    ),
                );
            }
            Some(c) => {
                contradicted = Some(format!(
                    "the older bundle's tree of {} records has root {}, but this bundle proves consistency from root {}: the ledger was rewritten",
                    o.last_seq,
                    to_hex(&old_root),
                    c.root
                ));
            }
            // No proof from that size: the records are compared where both bundles hold them.
            None => {}
        }
    }
    let (lo, hi) = (n.first_seq.max(o.first_seq), n.last_seq.min(o.last_seq));
    if lo > hi {
        if let Some(why) = contradicted {
            return report.fail("against", why, Some(MANIFEST), None, Some(o.last_seq));
        }
        if n.first_seq == o.last_seq + 1 && n.anchor == o.head {
            return report.pass(
                "against",
                format!(
                    "continues the older bundle (records {}..{}): its anchor is the older head {}; {checked} custody records before the slice match it",
                    o.first_seq, o.last_seq, o.head
                ),
            );
        }
        return report.fail(
            "against",
            format!(
                "records {}..{} lie between the two bundles (or the anchor {} is not the older head {}): continuity cannot be shown",
                o.last_seq + 1,
                n.first_seq.saturating_sub(1),
                n.anchor,
                o.head
            ),
            Some(LEDGER),
            Some(1),
            Some(n.first_seq),
        );
    }
    // Both slices read side by side, record by record, from where they overlap.
    let (mut nl, mut ol) = (
        Lines::new(&newer.src, newer.ledger),
        Lines::new(&older.src, older.ledger),
    );
    for _ in n.first_seq..lo {
        nl.next_line();
    }
    for _ in o.first_seq..lo {
        ol.next_line();
    }
    for seq in lo..=hi {
        if nl.next_line() != ol.next_line() {
            return report.fail(
                "against",
                format!("record {seq} differs from the older bundle's: the two chains diverge there"),
                Some(LEDGER),
                Some(seq - n.first_seq + 1),
                Some(seq),
            );
        }
    }
    if let Some(why) = contradicted {
        return report.fail("against", why, Some(MANIFEST), None, Some(o.last_seq));
    }
    report.pass(
        "against",
        format!(
            "extends the older bundle (records {}..{}): records {lo}..{hi} are identical in both; {checked} custody records before the slice match it",
            o.first_seq, o.last_seq
        ),
    );
}

#[cfg(all(test, feature = "rows"))]
mod tests {
    use super::*;

    /// A record's kind is its third field: a quoted value that reads ` kind=action ` (a tool's
    /// claim, say) does not make a finding an action, nor does ` finding=` inside a value give
    /// it another id.
    #[test]
    fn records_are_read_by_their_own_fields_not_by_what_their_values_say() {
        let hash = "ab".repeat(32);
        let finding = format!(
            "seq=7 ts=2026-06-08T10:00:00Z kind=finding finding=f1 type=claim_changed claim=\"x kind=action y finding=zz\" conf=attributed row={hash} prev={hash} hash={hash}\n"
        );
        let action = format!(
            "seq=8 ts=2026-06-08T10:00:00Z kind=action agent=a command=\"UPDATE kind=finding\" action=a1 evidence=db_events:{hash} row={hash} prev={hash} hash={hash}\n"
        );
        let mut m = crate::manifest::tests::sample();
        m.records = 10;
        let mut r = Recorded::new(&m, Span { offset: 0, len: 10_000 }, 0, ROWS_IN_MEMORY);
        r.collect(format!("{finding}{action}").as_bytes());
        r.actions.sort();
        r.findings.sort();
        assert!(r.findings.get_mut("f1").is_some() && r.findings.get_mut("zz").is_none());
        assert!(r.actions.get_mut("a1").is_some() && r.actions.len() == 1 && r.findings.len() == 1);
        assert!(r.any_action && !r.overflow);
    }
}

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

use crate::archive;
use crate::ledger::{Anchor, fields, from_hex, split_hash, verify_from};
use crate::manifest::{self, LEDGER, MANIFEST, Manifest, SIGNATURE};
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
struct Opened<'a> {
    report: Report,
    manifest: Option<Manifest>,
    ledger: &'a [u8],
    /// The root of records 1..last_seq, recomputed from the manifest's frontier and the slice.
    root: Option<crate::tree::Hash>,
}

/// Verifies the bundle in `bytes` with `key`; with `older`, also that it extends that bundle.
pub fn verify(bytes: &[u8], key: &PublicKey, older: Option<&[u8]>) -> Report {
    let mut opened = open(bytes, key);
    if let Some(older) = older {
        let old = open(older, key);
        against(&mut opened, &old);
    }
    opened.report
}

fn open<'a>(bytes: &'a [u8], key: &PublicKey) -> Opened<'a> {
    let mut report = Report::default();
    let members = match archive::read(bytes) {
        Ok(m) => m,
        Err(e) => {
            report.fail("archive", e.to_string(), None, None, None);
            return Opened {
                report,
                manifest: None,
                ledger: &[],
                root: None,
            };
        }
    };
    report.pass(
        "archive",
        format!("{} members in {}/", members.files.len(), members.directory),
    );
    let manifest_bytes = members.files.get(MANIFEST).copied();
    // Err: what is wrong, and at which line of the manifest when a line is to blame.
    let parsed: Result<Manifest, (String, Option<usize>)> = match manifest_bytes {
        None => Err((format!("{MANIFEST} is missing"), None)),
        Some(b) => match std::str::from_utf8(b) {
            Err(_) => Err((format!("{MANIFEST} is not UTF-8"), None)),
            Ok(text) => manifest::parse(text).map_err(|e| (e.to_string(), e.line)),
        },
    };
    signature(
        &mut report,
        manifest_bytes,
        members.files.get(SIGNATURE).copied(),
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
            return Opened {
                report,
                manifest: None,
                ledger: &[],
                root: None,
            };
        }
    };
    if manifest.directory() != members.directory {
        report.fail(
            "archive",
            format!(
                "top directory is {}/ but the manifest's case and range name {}/",
                members.directory,
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
    let ledger = members.files.get(LEDGER).copied().unwrap_or_default();
    // The members' hashes and the chain read the same bytes independently: side by side.
    let mut chain_report = Report::default();
    std::thread::scope(|s| {
        s.spawn(|| {
            chain_report.records_total = manifest.records;
            chain(&mut chain_report, &manifest, ledger);
        });
        member_hashes(&mut report, &manifest, &members.files);
    });
    report.records_valid = chain_report.records_valid;
    report.checks.append(&mut chain_report.checks);
    custody(&mut report, &manifest, ledger);
    rows(&mut report, &manifest, &members.files, ledger);
    let root = tree(&mut report, &manifest, &members.files, ledger, key);
    Opened {
        report,
        manifest: Some(manifest),
        ledger,
        root,
    }
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
                "signed by a different key than the public key given (key ids differ)".into(),
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

fn member_hashes(report: &mut Report, manifest: &Manifest, files: &std::collections::BTreeMap<String, &[u8]>) {
    for m in &manifest.members {
        match files.get(&m.name) {
            None => report.fail(
                "member",
                format!("{} is listed in the manifest but missing from the bundle", m.name),
                Some(&m.name),
                None,
                None,
            ),
            Some(bytes) => {
                let found = blake3::hash(bytes).to_hex().to_string();
                if found != m.blake3 || bytes.len() as u64 != m.bytes {
                    report.fail(
                        "member",
                        format!(
                            "{}: {} bytes with blake3 {found}, the manifest says {} bytes with blake3 {}",
                            m.name,
                            bytes.len(),
                            m.bytes,
                            m.blake3
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
    for name in files.keys() {
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

fn chain(report: &mut Report, m: &Manifest, ledger: &[u8]) {
    let anchor = if m.first_seq == 1 {
        let g = to_hex(&genesis(&m.case_id));
        if m.anchor != g {
            report.fail(
                "chain",
                format!("anchor is {} but the genesis of case {} is {g}", m.anchor, m.case_id),
                Some(MANIFEST),
                None,
                None,
            );
            return;
        }
        Anchor::Genesis
    } else {
        match from_hex(&m.anchor) {
            Some(link) if m.first_seq > 1 => Anchor::After {
                seq: m.first_seq - 1,
                link,
            },
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
                return;
            }
        }
    };
    match verify_from(ledger, anchor) {
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
                    let ts = |line: Option<&[u8]>| line.and_then(record_ts).unwrap_or_default();
                    let mut lines = ledger.split(|&b| b == b'\n').filter(|l| !l.is_empty());
                    let (first_ts, last_ts) = (ts(lines.next()), ts(lines.next_back()));
                    let last_ts = if m.records == 1 { first_ts.clone() } else { last_ts };
                    if first_ts != m.first_ts || last_ts != m.last_ts {
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

/// The Parquet members hold exactly the rows the slice's records name: each row hashes to the
/// `row=` of the latest record of its id, no row lacks a record, every action record has its
/// row, and each member holds the `rows=` its manifest line says.
#[cfg(feature = "rows")]
fn rows(report: &mut Report, m: &Manifest, files: &std::collections::BTreeMap<String, &[u8]>, ledger: &[u8]) {
    use std::collections::{HashMap, HashSet};
    for (member, kind, id_field, id_column) in [
        ("actions.parquet", "action", "action", "action_id"),
        ("findings.parquet", "finding", "finding", "finding_id"),
    ] {
        let marker = format!(" kind={kind} ");
        let id_key = format!(" {id_field}=");
        // Every record line on every core, read in place: an action record ends `… action=<id>
        // evidence=<table>:<hash> row=<hash> prev=<hash> hash=<hash>` and a finding record
        // `… conf=<conf> row=<hash> prev=… hash=…` (docs/ledger.md), values the writer writes
        // bare, so the fields are found from the end without parsing the whole line.
        let complete = ledger.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let pairs = crate::ledger::parallel_lines(&ledger[..complete], |_, line| {
            let line = std::str::from_utf8(line).ok()?;
            if !line.contains(&marker) {
                return None;
            }
            let before_prev = &line[..line.rfind(" prev=")?];
            let row = before_prev
                .rfind(" row=")
                .map(|at| &before_prev[at + 5..])
                .filter(|r| !r.contains(' '));
            let at = before_prev.rfind(&id_key)? + id_key.len();
            let id = before_prev[at..].split(' ').next()?;
            Some((id, row))
        });
        let mut recorded: HashMap<&str, Option<&str>> = HashMap::with_capacity(pairs.len());
        for (id, row) in pairs.into_iter().flatten() {
            recorded.insert(id, row);
        }
        let Some(bytes) = files.get(member) else {
            if kind == "action" && !recorded.is_empty() {
                report.fail(
                    "rows",
                    format!(
                        "the slice records {} action(s) but the bundle has no {member}",
                        recorded.len()
                    ),
                    Some(member),
                    None,
                    None,
                );
            }
            continue;
        };
        let fail = |report: &mut Report, detail: String| report.fail("rows", detail, Some(member), None, None);
        // Only bytes the signed manifest vouches for are parsed: a member that does not hash to
        // its manifest line is already invalid, and a Parquet reader is not for hostile input.
        let vouched = m
            .member(member)
            .is_some_and(|x| x.bytes == bytes.len() as u64 && x.blake3 == blake3::hash(bytes).to_hex().as_str());
        if !vouched || report.checks.iter().any(|c| c.check == "signature" && !c.valid) {
            fail(
                report,
                format!("{member} is not the one the signed manifest names: its rows are not read"),
            );
            continue;
        }
        let read = std::panic::catch_unwind(|| crate::row::table_rows(bytes, id_column));
        let rows = match read {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                fail(report, e);
                continue;
            }
            Err(_) => {
                fail(report, "the Parquet reader failed on it".into());
                continue;
            }
        };
        let stated = m.member(member).and_then(|x| x.rows);
        if stated != Some(rows.len() as u64) {
            fail(
                report,
                format!(
                    "the manifest says rows={} but {member} holds {} rows",
                    stated.map_or("(none)".into(), |n| n.to_string()),
                    rows.len()
                ),
            );
        }
        if m.format_version < 2 {
            report.pass(
                "rows",
                format!(
                    "{member}: {} rows (bundle format {}: rows are not bound to records)",
                    rows.len(),
                    m.format_version
                ),
            );
            continue;
        }
        let mut seen = HashSet::new();
        let mut bad = None;
        for (id, hash) in &rows {
            let problem = if !seen.insert(id.as_str()) {
                Some(format!("{kind} {id} has two rows"))
            } else {
                match recorded.get(id.as_str()) {
                    None => Some(format!(
                        "the row of {kind} {id} is named by no record in the slice: a row was added"
                    )),
                    Some(None) => Some(format!("the record of {kind} {id} carries no row=")),
                    Some(Some(want)) if *want != hash => Some(format!(
                        "the row of {kind} {id} hashes to {hash} but its record says row={want}: the row was altered"
                    )),
                    Some(Some(_)) => None,
                }
            };
            if problem.is_some() {
                bad = problem;
                break;
            }
        }
        // A filtered export carries only the selected actions' rows (the others' records stay
        // in the slice for the chain): absence is checked on unfiltered bundles only.
        if bad.is_none()
            && kind == "action"
            && m.filters.is_empty()
            && let Some(id) = recorded.keys().find(|id| !seen.contains(**id))
        {
            bad = Some(format!(
                "action {id} is recorded in the slice but {member} has no row for it: a row was removed"
            ));
        }
        match bad {
            Some(detail) => fail(report, detail),
            None => report.pass(
                "rows",
                format!("{member}: {} rows, each the one its record names", rows.len()),
            ),
        }
    }
}

#[cfg(not(feature = "rows"))]
fn rows(report: &mut Report, _: &Manifest, _: &std::collections::BTreeMap<String, &[u8]>, _: &[u8]) {
    report.pass(
        "rows",
        "not checked: this agaudit-verify was built without its rows feature (a Parquet reader)".into(),
    );
}

/// Version 2: the slice's leaves, after the manifest's frontier, give the root it states for
/// records 1..last_seq; the bundle's checkpoint signs that root (with the auditor's key); every
/// consistency proof leads from an earlier tree to it. Returns the root when it recomputes.
fn tree(
    report: &mut Report,
    m: &Manifest,
    files: &std::collections::BTreeMap<String, &[u8]>,
    ledger: &[u8],
    key: &PublicKey,
) -> Option<crate::tree::Hash> {
    use crate::manifest::{CHECKPOINT, CHECKPOINT_SIG};
    use crate::tree::{self, Builder};
    if m.format_version < 2 {
        return None;
    }
    let Some(t) = &m.tree else {
        report.fail(
            "tree",
            "the manifest has no kind=tree line".into(),
            Some(MANIFEST),
            None,
            None,
        );
        return None;
    };
    let frontier: Option<Vec<tree::Hash>> = t.frontier.iter().map(|h| from_hex(h)).collect();
    let builder = frontier.and_then(|f| Builder::from_frontier(m.first_seq.saturating_sub(1), &f));
    let Some(mut builder) = builder else {
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
    };
    let complete = ledger.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    for leaf in tree::leaves_of_ledger(&ledger[..complete]) {
        builder.push(&leaf);
    }
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
    match (files.get(CHECKPOINT), files.get(CHECKPOINT_SIG)) {
        (Some(body), Some(sig)) => {
            let signed = std::str::from_utf8(sig)
                .map_err(|_| crate::checkpoint::CheckpointError::Signature("not UTF-8".into()))
                .and_then(|sig| crate::checkpoint::verify_signed(body, sig, key));
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

fn custody(report: &mut Report, m: &Manifest, ledger: &[u8]) {
    // Custody records sit early in a ledger: read lines only as far as the last one inside.
    let last_inside = m
        .custody
        .iter()
        .filter(|c| (m.first_seq..=m.last_seq).contains(&c.seq))
        .map(|c| c.seq - m.first_seq + 1)
        .max()
        .unwrap_or(0);
    let lines: Vec<&[u8]> = ledger
        .split_inclusive(|&b| b == b'\n')
        .take(last_inside as usize)
        .collect();
    let (mut inside, mut before) = (0, 0);
    for c in &m.custody {
        if c.seq < m.first_seq || c.seq > m.last_seq {
            before += 1;
            continue;
        }
        let line_no = c.seq - m.first_seq + 1;
        let found = lines
            .get((line_no - 1) as usize)
            .and_then(|l| std::str::from_utf8(l.strip_suffix(b"\n")?).ok())
            .and_then(|l| fields(l).ok());
        let get = |k: &str| {
            found
                .as_ref()
                .and_then(|f| f.iter().find(|(key, _)| *key == k).map(|(_, v)| v.as_str()))
        };
        let same = get("kind") == Some(c.record.as_str())
            && get("hash") == Some(c.hash.as_str())
            && get("path") == Some(c.path.as_str())
            && get("blake3") == Some(c.blake3.as_str());
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
    let nl: Vec<&[u8]> = newer.ledger.split_inclusive(|&b| b == b'\n').collect();
    let ol: Vec<&[u8]> = older.ledger.split_inclusive(|&b| b == b'\n').collect();
    // Custody records the newer manifest copies from before its slice are checked against the
    // older bundle's records wherever it holds them.
    let mut checked = 0;
    for c in n.custody.iter().filter(|c| c.seq < n.first_seq) {
        let Some(line) = c.seq.checked_sub(o.first_seq).and_then(|i| ol.get(i as usize)) else {
            continue;
        };
        let hash = line
            .strip_suffix(b"\n")
            .and_then(split_hash)
            .map(|(_, h)| h.to_string())
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
    for seq in lo..=hi {
        let a = nl.get((seq - n.first_seq) as usize);
        let b = ol.get((seq - o.first_seq) as usize);
        if a != b {
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

//! Exporting evidence bundles: a signed, contiguous slice of the case's ledger with the matching
//! actions (and findings) as Parquet, for an auditor to verify on their own.
//!
//! The filters (agent, time) choose which action and finding records matter; the slice runs
//! from the first to the last of them, keeping every record in between, so that the chain can
//! be recomputed from the slice's anchor. The manifest (agaudit-verify's format) lists every
//! member's blake3, the range, the policy in force and the ingest record of every raw file; it is
//! signed with minisign, and the archive is written by agaudit-verify's own writer, so what
//! export writes is by construction what verify reads. The bundle is written to OUT.partial, the
//! export is recorded in the ledger (`export` record), then OUT.partial is renamed to OUT: a crash
//! never leaves a half bundle under the final name, and a rerun finishes a killed export instead
//! of recording it twice ([`export`]).
//!
//! In: the case directory, filters, an unlocked secret key, the output path. Out: the bundle
//! file and what it holds.

pub mod checkpoint;
pub mod keys;
pub mod proof;

use std::collections::{BTreeSet, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use crate::time::Bound;
use agaudit_verify::ledger::{fields, split_hash};
use agaudit_verify::manifest::{
    self, CHECKPOINT, CHECKPOINT_SIG, ConsistencyLine, Custody, FORMAT_VERSION, LEDGER, MANIFEST, Manifest, Member,
    SIGNATURE, TreeLine,
};
use agaudit_verify::tree;
use agaudit_verify::{genesis, to_hex};
use arrow_array::{BooleanArray, RecordBatch};
use parquet::arrow::ArrowWriter;

use crate::case::Case;
use crate::ledger::bound::BoundTable;
use crate::ledger::{self, Ledger, Record, RecordKind};
use crate::table::actions::ActionsView;
use crate::table::declare::{TableError, TextCol};
use crate::table::schema::FindingsView;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Ledger(#[from] ledger::LedgerError),
    #[error("cannot use {path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
    #[error("cannot read or write Parquet {path}: {reason}")]
    Parquet { path: PathBuf, reason: String },
    #[error("{0}")]
    Nothing(String),
    #[error("{path} already exists; choose another --out or remove it (agaudit never overwrites a bundle)")]
    Exists { path: PathBuf },
    #[error("signing the manifest failed: {0}")]
    Sign(String),
}

/// What to export.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Records at or after this instant.
    pub since: Option<Bound>,
    /// Records before this instant.
    pub until: Option<Bound>,
    /// AGENT or AGENT@SESSION, globs allowed.
    pub agent: Option<String>,
}

impl Filter {
    fn is_empty(&self) -> bool {
        self.since.is_none() && self.until.is_none() && self.agent.is_none()
    }

    fn pairs(&self) -> Vec<(String, String)> {
        let time = |b: &Option<Bound>| b.map(|b| b.to_string());
        [
            ("since", time(&self.since)),
            ("until", time(&self.until)),
            ("agent", self.agent.clone()),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
        .collect()
    }

    /// Whether an evidence record (action, finding) with this time and agent is selected.
    fn selects(&self, ts: &str, agent: Option<&str>) -> bool {
        self.since.is_none_or(|s| s.admits_from(ts))
            && self.until.is_none_or(|u| u.admits_until(ts))
            && self
                .agent
                .as_deref()
                .is_none_or(|want| agent.is_some_and(|a| crate::policy::pattern::agent_matches(want, a)))
    }
}

/// What was exported.
#[derive(Debug, Clone)]
pub struct Exported {
    pub out: PathBuf,
    pub manifest: Manifest,
    pub manifest_blake3: String,
    pub key_id: String,
    /// Rows per Parquet member.
    pub rows: Vec<(String, u64)>,
    pub bundle_bytes: u64,
}

/// A ledger record as export sees it.
struct Line {
    text: String,
    kind: String,
    ts: String,
    fields: Vec<(String, String)>,
}

impl Line {
    fn get(&self, k: &str) -> Option<&str> {
        self.fields.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str())
    }
}

/// What an export run did.
#[derive(Debug, Clone)]
pub enum Outcome {
    Exported(Box<Exported>),
    /// An earlier run was killed after recording the export: its bundle (left as OUT.partial)
    /// was published under OUT now, or was already there. Nothing new was recorded.
    Resumed {
        out: PathBuf,
        manifest_blake3: String,
        published_now: bool,
    },
}

/// Exports the slice of `case_root`'s ledger that `filter` selects, signed with `sk`, to `out`.
///
/// Crash-safe by rolling forward: the bundle is written to OUT.partial, then the export record
/// is appended to the ledger, then OUT.partial is renamed to OUT. A run killed before the record
/// leaves an unrecorded OUT.partial, which the next run discards; a run killed after it leaves a
/// recorded one, which the next run publishes instead of exporting (and recording) again.
pub fn export(case: &Case, filter: &Filter, sk: &minisign::SecretKey, out: &Path) -> Result<Outcome, ExportError> {
    let case_root = case.root();
    if let Some(resumed) = resume(case_root, out)? {
        return Ok(resumed);
    }
    let (texts, verified) = match ledger::read(case_root) {
        Err(ledger::LedgerError::Io { path, error }) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(ExportError::Nothing(format!(
                "{} does not exist: there is nothing to export yet; run agaudit ingest and agaudit correlate on this case first",
                path.display()
            )));
        }
        other => other?,
    };
    let case_id = verified.case_id.clone().unwrap_or_default();
    let lines: Vec<Line> = texts.into_iter().map(parse_line).collect();
    let selected: Vec<usize> = (0..lines.len())
        .filter(|&i| {
            filter.is_empty()
                || ([RecordKind::Action, RecordKind::Finding]
                    .map(RecordKind::name)
                    .contains(&lines[i].kind.as_str())
                    && filter.selects(&lines[i].ts, lines[i].get("agent")))
        })
        .collect();
    let (Some(&lo), Some(&hi)) = (selected.first(), selected.last()) else {
        return Err(ExportError::Nothing(format!(
            "no action or finding record in the ledger matches the filters ({}); agaudit log shows what is there",
            describe(filter)
        )));
    };
    let slice = &lines[lo..=hi];
    let anchor = if lo == 0 {
        to_hex(&genesis(&case_id))
    } else {
        hash_of(&lines[lo - 1].text)
    };
    let ledger_bytes: Vec<u8> = slice.iter().flat_map(|l| [l.text.as_bytes(), b"\n"].concat()).collect();

    // Evidence rows: the actions (and findings) the selected records name.
    let selected_ids: HashSet<&str> = selected
        .iter()
        .filter_map(|&i| lines[i].get("action").or_else(|| lines[i].get("finding")))
        .collect();
    let mut parquet_members: Vec<(String, Vec<u8>, u64)> = Vec::new();
    let action_ids: IdColumn = |b| Ok(ActionsView::of(b)?.action_id);
    let finding_ids: IdColumn = |b| Ok(FindingsView::of(b)?.finding_id);
    for (table, ids) in [(BoundTable::Actions, action_ids), (BoundTable::Findings, finding_ids)] {
        let (kept, found) = table_member(case_root, table, ids, &selected_ids)?;
        // Every selected action's row travels with it (findings a later diff no longer finds
        // have no row any more; their records still do).
        if table == BoundTable::Actions {
            let (kind, id_field, _) = table.keys();
            if let Some(missing) = selected
                .iter()
                .filter(|&&i| lines[i].kind == kind.name())
                .filter_map(|&i| lines[i].get(id_field))
                .find(|id| !found.contains(*id))
            {
                return Err(ExportError::Ledger(ledger::LedgerError::Unbound {
                    path: case_root.join("parquet").join(table.name()),
                    id: missing.to_string(),
                    reason: "the ledger records it but the table has no row for it".into(),
                }));
            }
        }
        if let Some((bytes, rows)) = kept {
            parquet_members.push((format!("{}.parquet", table.name()), bytes, rows));
        }
    }

    // Chain of custody: the policy in force at the slice's start and those inside it, and the
    // ingest record of every raw file the case was correlated from up to the slice's end
    // (identity and outcome of any action may rest on any of them).
    let in_force = lines[..lo].iter().rposition(|l| l.kind == RecordKind::Policy.name());
    let mut custody = Vec::new();
    for (i, l) in lines[..=hi].iter().enumerate() {
        let wanted = match RecordKind::from_name(&l.kind) {
            Some(RecordKind::Policy) => Some(i) == in_force || i >= lo,
            Some(RecordKind::Ingest) => true,
            _ => false,
        };
        if wanted {
            custody.push(Custody {
                record: l.kind.clone(),
                seq: i as u64 + 1,
                hash: hash_of(&l.text),
                path: l.get("path").unwrap_or("").to_string(),
                blake3: l.get("blake3").unwrap_or("").to_string(),
            });
        }
    }

    let mut members: Vec<Member> = parquet_members
        .iter()
        .map(|(name, bytes, rows)| Member {
            name: name.clone(),
            bytes: bytes.len() as u64,
            blake3: blake3::hash(bytes).to_hex().to_string(),
            rows: Some(*rows),
        })
        .collect();
    members.push(Member {
        name: LEDGER.into(),
        bytes: ledger_bytes.len() as u64,
        blake3: blake3::hash(&ledger_bytes).to_hex().to_string(),
        rows: None,
    });

    // The tree of records 1..last_seq: its root, the frontier the slice recomputes it from, a
    // signed checkpoint of it, and consistency proofs from every earlier checkpoint and export.
    let pk = minisign::PublicKey::from_secret_key(sk).map_err(|e| ExportError::Sign(e.to_string()))?;
    let tree = BundleTree::of(case, &case_id, &lines, lo, hi, sk, &pk)?;
    for (name, bytes) in [(CHECKPOINT, &tree.body), (CHECKPOINT_SIG, &tree.signature)] {
        members.push(Member {
            name: name.into(),
            bytes: bytes.len() as u64,
            blake3: blake3::hash(bytes.as_bytes()).to_hex().to_string(),
            rows: None,
        });
    }
    members.sort_by(|a, b| a.name.cmp(&b.name));

    let m = Manifest {
        format_version: FORMAT_VERSION,
        agaudit_version: env!("CARGO_PKG_VERSION").into(),
        case_id: case_id.clone(),
        exported: crate::time::now(),
        first_seq: lo as u64 + 1,
        last_seq: hi as u64 + 1,
        records: slice.len() as u64,
        anchor,
        head: hash_of(&slice[slice.len() - 1].text),
        first_ts: slice[0].ts.clone(),
        last_ts: slice[slice.len() - 1].ts.clone(),
        ledger_seq: verified.last_seq,
        ledger_head: to_hex(&verified.head),
        filters: filter.pairs(),
        members,
        custody,
        tree: Some(tree.line.clone()),
        consistency: tree.consistency.clone(),
    };
    let manifest_text = manifest::render(&m);
    let manifest_blake3 = blake3::hash(manifest_text.as_bytes()).to_hex().to_string();
    let signature = minisign::sign(
        Some(&pk),
        sk,
        manifest_text.as_bytes(),
        Some(&m.trusted_comment(&manifest_blake3)),
        Some(&m.untrusted_comment()),
    )
    .map_err(|e| ExportError::Sign(e.to_string()))?
    .into_string();

    let mut archive_members: Vec<(&str, &[u8])> = vec![
        (MANIFEST, manifest_text.as_bytes()),
        (SIGNATURE, signature.as_bytes()),
        (LEDGER, &ledger_bytes),
        (CHECKPOINT, tree.body.as_bytes()),
        (CHECKPOINT_SIG, tree.signature.as_bytes()),
    ];
    for (name, bytes, _) in &parquet_members {
        archive_members.push((name, bytes));
    }
    let archive = agaudit_verify::archive::write(&m.directory(), &archive_members, crate::time::now_unix_seconds())
        .map_err(|source| ExportError::Io {
            path: out.into(),
            error: source,
        })?;
    let partial = partial_path(out);
    write_synced(&partial, &archive)?;
    // The bundle's checkpoint is one of the case's too (unless one of that size is kept already).
    let kept = case_root
        .join(ledger::CHECKPOINTS_DIR)
        .join(format!("{:012}.txt", m.last_seq));
    if !kept.exists() {
        let dir = case_root.join(ledger::CHECKPOINTS_DIR);
        fs::create_dir_all(&dir).map_err(|error| ExportError::Io { path: dir, error })?;
        write_synced(&ledger::signature_path(&kept), tree.signature.as_bytes())?;
        write_synced(&kept, tree.body.as_bytes())?;
    }

    let key_id = keys::key_id(&pk);
    let file_name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut ledger = Ledger::open(case, &case_id)?;
    ledger.append([Record {
        kind: RecordKind::Export,
        ts: crate::time::now(),
        fields: vec![
            ("bundle", file_name),
            ("first_seq", m.first_seq.to_string()),
            ("last_seq", m.last_seq.to_string()),
            ("head", m.head.clone()),
            ("manifest", manifest_blake3.clone()),
            ("key", key_id.clone()),
        ],
    }])?;
    fs::rename(&partial, out).map_err(|error| ExportError::Io {
        path: out.into(),
        error,
    })?;
    Ok(Outcome::Exported(Box::new(Exported {
        out: out.into(),
        rows: parquet_members.iter().map(|(n, _, r)| (n.clone(), *r)).collect(),
        manifest: m,
        manifest_blake3,
        key_id,
        bundle_bytes: archive.len() as u64,
    })))
}

fn partial_path(out: &Path) -> PathBuf {
    let mut p = out.as_os_str().to_owned();
    p.push(".partial");
    PathBuf::from(p)
}

/// Finishes what a killed export left, if anything: see [`export`]. An OUT that the ledger does
/// not record as this case's export is never overwritten.
fn resume(case_root: &Path, out: &Path) -> Result<Option<Outcome>, ExportError> {
    let partial = partial_path(out);
    if !out.exists() && !partial.exists() {
        return Ok(None);
    }
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let recorded: HashSet<String> = match ledger::read(case_root) {
        Ok((texts, _)) => texts
            .into_iter()
            .map(parse_line)
            .filter(|l| l.kind == RecordKind::Export.name() && l.get("bundle") == Some(name.as_str()))
            .filter_map(|l| l.get("manifest").map(str::to_string))
            .collect(),
        Err(_) => HashSet::new(),
    };
    let manifest_of = |path: &Path| -> Option<String> {
        let bytes = fs::read(path).ok()?;
        let members = agaudit_verify::archive::read(&bytes).ok()?;
        members
            .files
            .get(MANIFEST)
            .map(|m| blake3::hash(m).to_hex().to_string())
    };
    if out.exists() {
        return match manifest_of(out).filter(|m| recorded.contains(m)) {
            Some(m) => Ok(Some(Outcome::Resumed {
                out: out.into(),
                manifest_blake3: m,
                published_now: false,
            })),
            None => Err(ExportError::Exists { path: out.into() }),
        };
    }
    match manifest_of(&partial).filter(|m| recorded.contains(m)) {
        Some(m) => {
            fs::rename(&partial, out).map_err(|error| ExportError::Io {
                path: out.into(),
                error,
            })?;
            Ok(Some(Outcome::Resumed {
                out: out.into(),
                manifest_blake3: m,
                published_now: true,
            }))
        }
        None => {
            // Killed before its export was recorded: not evidence of anything; start again.
            fs::remove_file(&partial).map_err(|error| ExportError::Io { path: partial, error })?;
            Ok(None)
        }
    }
}

fn parse_line(text: String) -> Line {
    let record_len = split_hash(text.as_bytes()).map_or(text.len(), |(r, _)| r.len());
    let fields: Vec<(String, String)> = fields(&text[..record_len])
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let get = |k: &str| {
        fields
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    Line {
        kind: get("kind"),
        ts: get("ts"),
        fields,
        text,
    }
}

/// The Merkle tree part of a bundle (docs/formats.md, manifest `tree` and `consistency` lines).
struct BundleTree {
    line: TreeLine,
    consistency: Vec<ConsistencyLine>,
    /// The signed checkpoint of records 1..last_seq, also kept in CASE/checkpoints/.
    body: String,
    signature: String,
}

impl BundleTree {
    fn of(
        case: &Case,
        case_id: &str,
        lines: &[Line],
        lo: usize,
        hi: usize,
        sk: &minisign::SecretKey,
        pk: &minisign::PublicKey,
    ) -> Result<BundleTree, ExportError> {
        let leaves = tree::leaves(lines[..=hi].iter().map(|l| l.text.as_bytes()));
        let size = hi as u64 + 1;
        let root = tree::root(&leaves);
        // Earlier trees an auditor may hold: signed checkpoints, and earlier bundles (an export
        // record's last_seq).
        let mut earlier: BTreeSet<u64> = ledger::case_checkpoints(case.root())?
            .iter()
            .map(|(_, c, _)| c.size)
            .collect();
        earlier.extend(
            lines[..=hi]
                .iter()
                .filter(|l| l.kind == RecordKind::Export.name())
                .filter_map(|l| l.get("last_seq").and_then(|n| n.parse::<u64>().ok())),
        );
        let consistency = earlier
            .into_iter()
            .filter(|&m| m >= 1 && m < size)
            .map(|m| ConsistencyLine {
                size: m,
                root: to_hex(&tree::root(&leaves[..m as usize])),
                path: tree::consistency_proof(&leaves, m as usize)
                    .iter()
                    .map(to_hex)
                    .collect(),
            })
            .collect();
        let checkpoint = agaudit_verify::checkpoint::Checkpoint {
            case_id: case_id.to_string(),
            size,
            root,
            chain: agaudit_verify::ledger::from_hex(&hash_of(&lines[hi].text)).unwrap_or_default(),
            time: crate::time::now(),
        };
        let body = checkpoint.render();
        let signature = minisign::sign(
            Some(pk),
            sk,
            body.as_bytes(),
            Some(&format!("agaudit checkpoint case={case_id} size={size}")),
            Some(&format!(
                "agaudit checkpoint of case {case_id} at {size} records, key {}",
                keys::key_id(pk)
            )),
        )
        .map_err(|e| ExportError::Sign(e.to_string()))?
        .into_string();
        Ok(BundleTree {
            line: TreeLine {
                size,
                root: to_hex(&root),
                frontier: tree::frontier(&leaves[..lo]).iter().map(to_hex).collect(),
            },
            consistency,
            body,
            signature,
        })
    }
}

fn hash_of(line: &str) -> String {
    split_hash(line.as_bytes())
        .map(|(_, h)| h.to_string())
        .unwrap_or_default()
}

fn describe(filter: &Filter) -> String {
    let pairs = filter.pairs();
    if pairs.is_empty() {
        return "no filters".into();
    }
    pairs
        .iter()
        .map(|(k, v)| format!("--{k} {v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The id column of a derived table's batch.
type IdColumn = for<'b> fn(&'b RecordBatch) -> Result<TextCol<'b>, TableError>;

/// A table's selected rows as Parquet bytes with their count (None when none), and the ids found.
type TableMember = (Option<(Vec<u8>, u64)>, HashSet<String>);

/// The rows of `table` whose id (`id_column`) is among `ids`, as one Parquet file in memory,
/// with their count (None when no row is selected), and the ids found. Every row of the table is
/// first checked against its ledger record: a bundle never carries a row the ledger disowns.
fn table_member(
    case_root: &Path,
    table: BoundTable,
    id_column: IdColumn,
    ids: &HashSet<&str>,
) -> Result<TableMember, ExportError> {
    let path = case_root.join("parquet").join(table.name());
    let pq = |e: &dyn std::fmt::Display| ExportError::Parquet {
        path: path.clone(),
        reason: e.to_string(),
    };
    let mut writer: Option<ArrowWriter<Vec<u8>>> = None;
    let mut rows = 0u64;
    let mut found = HashSet::new();
    for batch in ledger::bound::read_bound(case_root, table)? {
        let col = id_column(&batch).map_err(|e| pq(&e))?;
        found.extend(
            (0..batch.num_rows())
                .map(|i| col.get(i))
                .filter(|id| ids.contains(id))
                .map(str::to_string),
        );
        let keep: BooleanArray = (0..batch.num_rows()).map(|i| Some(ids.contains(col.get(i)))).collect();
        let kept = arrow_select::filter::filter_record_batch(&batch, &keep).map_err(|e| pq(&e))?;
        if kept.num_rows() == 0 {
            continue;
        }
        rows += kept.num_rows() as u64;
        if writer.is_none() {
            let props = crate::table::writer::properties(&kept.schema(), vec![]);
            writer = Some(ArrowWriter::try_new(Vec::new(), kept.schema(), Some(props)).map_err(|e| pq(&e))?);
        }
        if let Some(w) = writer.as_mut() {
            w.write(&kept).map_err(|e| pq(&e))?;
        }
    }
    let Some(writer) = writer else {
        return Ok((None, found));
    };
    let bytes = writer.into_inner().map_err(|e| pq(&e))?;
    Ok((Some((bytes, rows)), found))
}

/// Every file export writes is replaced whole: a kill mid-write must not leave a torn
/// checkpoint in the case, which every later reader would refuse.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    crate::durable::replace(path, bytes).map_err(|error| ExportError::Io {
        path: path.to_path_buf(),
        error,
    })
}

//! Inclusion proofs: one ledger record, its audit path and a signed checkpoint — enough for an
//! auditor to check that this one action is in the signed ledger without seeing any other record
//! (selective disclosure). `agaudit prove` writes them; `agaudit verify` and `agaudit-verify`
//! check them like bundles.
//!
//! The file is text, every line ending in `\n`:
//!
//! ```text
//! agaudit-proof v1
//! case <case id>
//! seq <record number>
//! record <the record's whole line>
//! path[ <64 hex>]…          the audit path, leaf end first (RFC 9162 §2.1.3.1)
//! checkpoint
//! <the checkpoint body, 5 lines>
//! signature
//! <its minisign signature, 4 lines>
//! ```
//!
//! In: a proof's bytes and the auditor's public key. Out: a [`Report`] of checks.

use minisign_verify::PublicKey;

use crate::bundle::Report;
use crate::checkpoint::{self, Checkpoint};
use crate::ledger::{fields, split_hash};
use crate::tree::{self, Hash};

/// First line of a proof file, how verifiers tell a proof from a bundle.
pub const MAGIC: &str = "agaudit-proof v1";

/// A proof's parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    pub case_id: String,
    pub seq: u64,
    pub record: String,
    pub path: Vec<Hash>,
    pub checkpoint: String,
    pub signature: String,
}

impl Proof {
    pub fn render(&self) -> String {
        let mut out = format!(
            "{MAGIC}\ncase {}\nseq {}\nrecord {}\npath",
            self.case_id, self.seq, self.record
        );
        for h in &self.path {
            out.push(' ');
            out.push_str(&crate::to_hex(h));
        }
        out.push_str("\ncheckpoint\n");
        out.push_str(&self.checkpoint);
        out.push_str("signature\n");
        out.push_str(&self.signature);
        out
    }

    /// Parses a proof as [`Proof::render`] writes it; Err names the line at fault.
    pub fn parse(text: &str) -> Result<Proof, (usize, String)> {
        let lines: Vec<&str> = text.split_terminator('\n').collect();
        if !text.ends_with('\n') || lines.len() != 16 {
            return Err((
                lines.len().min(16),
                format!(
                    "expected 16 newline-terminated lines ({MAGIC}, case, seq, record, path, checkpoint and its 5 lines, signature and its 4), found {}",
                    lines.len()
                ),
            ));
        }
        if lines[0] != MAGIC {
            return Err((1, format!("expected `{MAGIC}`")));
        }
        let after = |n: usize, word: &str| -> Result<&str, (usize, String)> {
            lines[n - 1]
                .strip_prefix(word)
                .and_then(|r| r.strip_prefix(' '))
                .filter(|r| !r.is_empty())
                .ok_or_else(|| (n, format!("expected `{word} …`")))
        };
        let case_id = after(2, "case")?.to_string();
        let seq_text = after(3, "seq")?;
        let seq = seq_text
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0 && n.to_string() == seq_text)
            .ok_or((3, "expected a record number".to_string()))?;
        let record = after(4, "record")?.to_string();
        let path = match lines[4] {
            "path" => Vec::new(),
            l => l
                .strip_prefix("path ")
                .ok_or((5, "expected `path` and the audit path's hashes".to_string()))?
                .split(' ')
                .map(crate::ledger::from_hex)
                .collect::<Option<Vec<Hash>>>()
                .ok_or((5, "expected 64-hex-digit hashes separated by one space".to_string()))?,
        };
        if lines[5] != "checkpoint" || lines[11] != "signature" {
            return Err((
                if lines[5] != "checkpoint" { 6 } else { 12 },
                "expected the checkpoint, then the signature".into(),
            ));
        }
        let join = |ls: &[&str]| ls.iter().map(|l| format!("{l}\n")).collect::<String>();
        Ok(Proof {
            case_id,
            seq,
            record,
            path,
            checkpoint: join(&lines[6..11]),
            signature: join(&lines[12..16]),
        })
    }
}

/// Checks a proof with the auditor's key: the checkpoint's signature, that it is the proof's
/// case, and that the record is leaf `seq - 1` of the signed tree.
pub fn verify(bytes: &[u8], key: &PublicKey) -> Report {
    let mut report = Report::default();
    let Ok(text) = std::str::from_utf8(bytes) else {
        report.fail("proof", "not UTF-8".into(), None, None, None);
        return report;
    };
    let proof = match Proof::parse(text) {
        Ok(p) => p,
        Err((line, e)) => {
            report.fail("proof", e, None, Some(line as u64), None);
            return report;
        }
    };
    report.case_id = Some(proof.case_id.clone());
    report.first_seq = Some(proof.seq);
    report.last_seq = Some(proof.seq);
    report.records_total = 1;
    report.head = split_hash(proof.record.as_bytes()).map(|(_, h)| h.to_string());
    report.pass(
        "proof",
        format!(
            "record {} of case {}, audit path of {} hashes",
            proof.seq,
            proof.case_id,
            proof.path.len()
        ),
    );
    let signed = match checkpoint::verify_signed(proof.checkpoint.as_bytes(), &proof.signature, key) {
        Ok(c) => {
            report.pass(
                "signature",
                format!(
                    "the checkpoint is signed by the given key: {} records, root {}",
                    c.size,
                    checkpoint::base64(&c.root)
                ),
            );
            Some(c)
        }
        Err(e) => {
            report.fail("signature", e.to_string(), None, Some(13), None);
            None
        }
    };
    let Some(c) = signed else { return report };
    let record_seq = fields(&proof.record)
        .ok()
        .and_then(|f| f.into_iter().find(|(k, _)| *k == "seq").map(|(_, v)| v));
    if c.case_id != proof.case_id {
        report.fail(
            "checkpoint",
            format!(
                "the checkpoint is of case {}, the proof says {}",
                c.case_id, proof.case_id
            ),
            None,
            Some(7),
            None,
        );
    } else if record_seq.as_deref() != Some(proof.seq.to_string().as_str()) {
        report.fail(
            "checkpoint",
            format!(
                "the record's seq is {}, the proof says {}",
                record_seq.unwrap_or_default(),
                proof.seq
            ),
            None,
            Some(4),
            Some(proof.seq),
        );
    } else {
        report.pass(
            "checkpoint",
            format!("case {}, {} records signed at {}", c.case_id, c.size, c.time),
        );
    }
    inclusion(&mut report, &proof, &c);
    report
}

fn inclusion(report: &mut Report, proof: &Proof, c: &Checkpoint) {
    let leaf = tree::leaf(proof.record.as_bytes());
    match tree::verify_inclusion(proof.seq - 1, c.size, &leaf, &proof.path, &c.root) {
        Ok(()) => {
            report.records_valid = 1;
            report.pass(
                "inclusion",
                format!(
                    "record {} is leaf {} of the signed tree of {} records",
                    proof.seq,
                    proof.seq - 1,
                    c.size
                ),
            );
        }
        Err(e) => report.fail(
            "inclusion",
            format!("{e}: the record is not the one signed"),
            None,
            Some(4),
            Some(proof.seq),
        ),
    }
}

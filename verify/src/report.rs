//! How a verification report is shown: one line per check with `valid` or `INVALID`, the reason
//! and the location, then the record count and the result (the style auditors know from
//! log-validation tools); or one JSON object following schemas/verify.schema.json.
//!
//! In: a [`Report`]. Out: text.

use crate::bundle::{Check, Report};

/// The report as terminal text.
pub fn text(bundle: &str, report: &Report) -> String {
    text_for("bundle", bundle, report)
}

/// The report of a `kind` (bundle, proof) named `name`, as terminal text.
pub fn text_for(kind: &str, name: &str, report: &Report) -> String {
    let mut out = format!("{kind} {name}\n");
    for c in &report.checks {
        let verdict = if c.valid { "valid  " } else { "INVALID" };
        out.push_str(&format!("{verdict}  {:<9}  {}", c.check, c.detail));
        if let Some(at) = location(c) {
            out.push_str(&format!("  [at {at}]"));
        }
        out.push('\n');
    }
    let failed = report.checks.iter().filter(|c| !c.valid).count();
    if let (Some(case), Some(first), Some(last)) = (&report.case_id, report.first_seq, report.last_seq) {
        out.push_str(&format!(
            "case {case}, records {first}..{last}: {}/{} records valid\n",
            report.records_valid, report.records_total
        ));
    }
    if report.valid() {
        out.push_str(&format!("Result: valid ({} checks passed)\n", report.checks.len()));
    } else {
        out.push_str(&format!(
            "Result: INVALID ({failed} of {} checks failed)\n",
            report.checks.len()
        ));
    }
    out
}

fn location(c: &Check) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(m) = &c.member {
        parts.push(format!("member {m}"));
    }
    if let Some(l) = c.line {
        parts.push(format!("line {l}"));
    }
    if let Some(s) = c.seq {
        parts.push(format!("record {s}"));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The report as one JSON object (schemas/verify.schema.json).
pub fn json(bundle: &str, against: Option<&str>, report: &Report) -> String {
    let opt_str = |v: Option<&str>| v.map_or("null".to_string(), quote);
    let opt_num = |v: Option<u64>| v.map_or("null".to_string(), |n| n.to_string());
    let checks: Vec<String> = report
        .checks
        .iter()
        .map(|c| {
            format!(
                r#"{{"check":{},"valid":{},"detail":{},"member":{},"line":{},"seq":{}}}"#,
                quote(c.check),
                c.valid,
                quote(&c.detail),
                opt_str(c.member.as_deref()),
                opt_num(c.line),
                opt_num(c.seq)
            )
        })
        .collect();
    format!(
        r#"{{"bundle":{},"against":{},"valid":{},"case_id":{},"first_seq":{},"last_seq":{},"head":{},"records":{{"valid":{},"total":{}}},"signer_key_id":{},"checks":[{}]}}"#,
        quote(bundle),
        opt_str(against),
        report.valid(),
        opt_str(report.case_id.as_deref()),
        opt_num(report.first_seq),
        opt_num(report.last_seq),
        opt_str(report.head.as_deref()),
        report.records_valid,
        report.records_total,
        opt_str(report.signer_key_id.as_deref()),
        checks.join(",")
    )
}

/// A JSON string literal.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes() {
        assert_eq!(quote("a\"b\\c\n\u{1}"), r#""a\"b\\c\n\u0001""#);
    }
}

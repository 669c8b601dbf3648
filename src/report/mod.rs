//! `agaudit report`: the case as one self-contained HTML page, for people who will never run a
//! command line.
//!
//! The page holds everything it shows: styles inline, pictures drawn here as inline SVG, no
//! script, no font, no request of any kind, and a Content-Security-Policy that forbids every
//! load. Its numbers come from the same code as the terminal views (diff, map, inventory): the
//! caller passes their results in, so the page and the terminal cannot disagree. Every value
//! shown is the case's own, redacted at ingest, and HTML-escaped here.
//!
//! In: the views' results, the ledger's state, the case's actions. Out: HTML text.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::output::grid::{Fit, shorten};
use crate::table::actions::{EvidenceTable, Outcome, Verdict};

/// The ledger's and the evidence's state, for the page's header.
#[derive(Debug, Clone, Default)]
pub struct Header {
    pub case_id: String,
    pub head_seq: u64,
    pub head_hash: String,
    /// The latest signed checkpoint: its size, key ID, and what was checked of it.
    pub checkpoint: Option<(u64, String, String)>,
    /// `--bundle`: its path, whether it verified, and the checks that failed.
    pub bundle: Option<(String, bool, Vec<String>)>,
    pub generated: String,
}

/// One mark on the timeline: an action.
#[derive(Debug, Clone)]
pub struct Mark {
    pub ts_ns: i64,
    pub layer: EvidenceTable,
    pub verdict: Verdict,
    pub outcome: Outcome,
    pub title: String,
}

/// The views' results the page shows.
pub struct Inputs<'a> {
    pub header: Header,
    pub diff: &'a crate::diff::Report,
    pub map: &'a crate::map::Map,
    pub inventory: &'a crate::inventory::Inventory,
    /// Per agent@session (or the principal of unattributed actions), its actions.
    pub lanes: BTreeMap<String, Vec<Mark>>,
}

/// HTML-escaped text.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Forbids every load: nothing the page needs is outside it.
pub const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const STYLE: &str = r#"
:root { --bad: #b42318; --warn: #b54708; --ok: #067647; --muted: #667085; --line: #d0d5dd; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; padding: 16px; max-width: 1180px; color: #101828; }
h1 { font-size: 1.4em; margin: 0 0 4px; } h2 { font-size: 1.15em; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.muted { color: var(--muted); } code, .id { font-family: ui-monospace, monospace; font-size: .88em; overflow-wrap: anywhere; }
.cards { display: grid; gap: 10px; }
.card { border: 1px solid var(--line); border-left: 5px solid var(--muted); border-radius: 6px; padding: 8px 12px; }
.card.critical, .card.high { border-left-color: var(--bad); } .card.medium { border-left-color: var(--warn); }
.sev { font-weight: 600; text-transform: uppercase; font-size: .8em; } .critical .sev, .high .sev { color: var(--bad); } .medium .sev { color: var(--warn); }
.scroll { overflow-x: auto; } table { border-collapse: collapse; width: 100%; font-size: .92em; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: anywhere; }
th { background: #f9fafb; } td.n { text-align: right; }
.valid { color: var(--ok); font-weight: 600; } .invalid { color: var(--bad); font-weight: 600; }
svg { width: 100%; height: auto; display: block; } .legend span { margin-right: 14px; white-space: nowrap; }
.pic { overflow-x: auto; } .pic svg { min-width: 720px; }
details summary { cursor: pointer; } ul.ev { margin: 4px 0; padding-left: 18px; }
@media (max-width: 600px) { body { padding: 10px; font-size: 14px; } th, td { padding: 3px 5px; } }
"#;

/// The whole page.
pub fn html(i: &Inputs) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>agaudit report: case {}</title><style>{STYLE}</style></head><body>",
        esc(&i.header.case_id)
    );
    header(&mut h, &i.header);
    findings(&mut h, i.diff);
    access_map(&mut h, i.map);
    timeline(&mut h, &i.lanes);
    unattributed(&mut h, i.inventory);
    gaps(&mut h, i.inventory);
    agents(&mut h, i.inventory);
    let _ = writeln!(
        h,
        "<p class=\"muted\">Written by agaudit {} at {}. Every value is the case's own, redacted at ingest; \
         this page loads nothing from anywhere.</p></body></html>",
        env!("CARGO_PKG_VERSION"),
        esc(&i.header.generated)
    );
    h
}

fn header(h: &mut String, hd: &Header) {
    let _ = write!(
        h,
        "<header><h1>agaudit report</h1><p>Case <code>{}</code> · ledger verified from genesis to record {} · head <code>{}</code></p>",
        esc(&hd.case_id),
        hd.head_seq,
        esc(&hd.head_hash)
    );
    match &hd.checkpoint {
        Some((size, key, status)) => {
            let _ = write!(
                h,
                "<p>Latest signed checkpoint: records 1..{size}, key ID <code>{}</code> — {}</p>",
                esc(key),
                esc(status)
            );
        }
        None => h.push_str("<p>No signed checkpoint in the case (agaudit checkpoint signs one).</p>"),
    }
    if let Some((path, valid, failed)) = &hd.bundle {
        let verdict = if *valid {
            "<span class=\"valid\">valid</span>".to_string()
        } else {
            format!("<span class=\"invalid\">INVALID</span>: {}", esc(&failed.join("; ")))
        };
        let _ = write!(h, "<p>Bundle <code>{}</code>: {verdict}</p>", esc(path));
    }
    h.push_str("</header>");
}

fn findings(h: &mut String, r: &crate::diff::Report) {
    let _ = write!(
        h,
        "<section id=\"findings\"><h2>Findings: what the tools claimed against what they did ({})</h2>",
        r.findings.len()
    );
    if r.findings.is_empty() {
        h.push_str("<p>No finding: every tool call matched its claims.</p>");
    }
    // Most severe first (diff's own order within a severity).
    let mut rows: Vec<&crate::diff::FindingJson> = r.findings.iter().collect();
    rows.sort_by_key(|f| f.severity);
    h.push_str("<div class=\"cards\">");
    for f in rows {
        let sev = f.severity.name();
        let _ = write!(
            h,
            "<article class=\"card {sev}\" id=\"finding-{id}\" data-finding=\"{id}\"><div><span class=\"sev\">{sev}</span> \
             <strong>{kind}</strong> · {server}/{tool}</div><div>{detail}</div><div class=\"muted\">actor {actor} · \
             layers {layers}{corr} · {n} action(s) · {conf}{first}</div>",
            id = esc(&f.finding_id),
            kind = esc(f.kind.name()),
            server = esc(f.mcp_server.as_deref().unwrap_or("?")),
            tool = esc(&f.tool),
            detail = esc(&f.detail),
            actor = esc(&f.actor),
            layers = esc(&f.layers.join("+")),
            corr = if f.corroborated { " (corroborated)" } else { "" },
            n = f.count,
            conf = esc(f.conf.name()),
            first = f
                .first
                .as_deref()
                .map_or(String::new(), |t| format!(" · first {}", esc(t))),
        );
        if !f.action_ids.is_empty() || !f.evidence.is_empty() {
            h.push_str("<details><summary>actions and evidence</summary><ul class=\"ev\">");
            for a in &f.action_ids {
                let _ = write!(h, "<li>action <code>{}</code></li>", esc(a));
            }
            for e in f.evidence.iter().chain(&f.claim_evidence) {
                let _ = write!(h, "<li>evidence <code>{}</code></li>", esc(e));
            }
            h.push_str("</ul></details>");
        }
        h.push_str("</article>");
    }
    h.push_str("</div></section>");
}

/// Agents on the left, resources on the right, an edge per pair coloured by how it stands.
fn access_map(h: &mut String, m: &crate::map::Map) {
    let _ = write!(
        h,
        "<section id=\"map\"><h2>Access map: {} agent(s), {} pair(s)</h2>",
        m.agents,
        m.pairs.len()
    );
    let mut agents: Vec<&str> = m.pairs.iter().map(|p| p.agent.as_str()).collect();
    agents.sort_unstable();
    agents.dedup();
    let mut resources: Vec<&str> = m.pairs.iter().map(|p| p.resource.as_str()).collect();
    resources.sort_unstable();
    resources.dedup();
    let row = 24.0;
    let height = 40.0 + row * agents.len().max(resources.len()).max(1) as f64;
    let (w, left, right) = (1000.0, 230.0, 560.0);
    let y = |i: usize, n: usize| 20.0 + (i as f64 + 0.5) * (height - 40.0) / n.max(1) as f64;
    let _ = write!(
        h,
        "<div class=\"pic\"><svg class=\"access-map\" viewBox=\"0 0 {w} {height}\" role=\"img\" aria-label=\"access map\" font-size=\"13\">"
    );
    for p in &m.pairs {
        let (ai, ri) = (
            agents.binary_search(&p.agent.as_str()).unwrap_or(0),
            resources.binary_search(&p.resource.as_str()).unwrap_or(0),
        );
        let (y1, y2) = (y(ai, agents.len()), y(ri, resources.len()));
        let (class, colour, dash) = if p.beyond_grant > 0 {
            ("beyond", "#b42318", "")
        } else if p.refused > 0 {
            ("refused", "#b54708", " stroke-dasharray=\"6 3\"")
        } else if p.reads + p.writes > 0 {
            ("observed", "#2e90fa", "")
        } else {
            ("granted", "#98a2b3", " stroke-dasharray=\"2 4\"")
        };
        let _ = write!(
            h,
            "<path class=\"edge {class}\" d=\"M{left} {y1:.1} C{c1} {y1:.1},{c2} {y2:.1},{right} {y2:.1}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"{sw}\"{dash}><title>{a} → {r}: granted {g}; R {reads}, RW {writes}, refused {refused}, beyond the grant {beyond}</title></path>",
            c1 = (left + right) / 2.0,
            c2 = (left + right) / 2.0,
            sw = if p.beyond_grant > 0 { 2.5 } else { 1.5 },
            a = esc(&p.agent),
            r = esc(&p.resource),
            g = esc(p.granted),
            reads = p.reads,
            writes = p.writes,
            refused = p.refused,
            beyond = p.beyond_grant,
        );
    }
    for (i, a) in agents.iter().enumerate() {
        let _ = write!(
            h,
            "<g class=\"agent\"><circle cx=\"{left}\" cy=\"{cy:.1}\" r=\"5\" fill=\"#101828\"/><text x=\"{tx}\" y=\"{ty:.1}\" text-anchor=\"end\">{label}<title>{full}</title></text></g>",
            cy = y(i, agents.len()),
            tx = left - 10.0,
            ty = y(i, agents.len()) + 4.0,
            label = esc(&shorten(a, 28, Fit::Middle)),
            full = esc(a),
        );
    }
    for (i, r) in resources.iter().enumerate() {
        let _ = write!(
            h,
            "<g class=\"resource\"><rect x=\"{rx}\" y=\"{ry:.1}\" width=\"10\" height=\"10\" fill=\"#475467\"/><text x=\"{tx}\" y=\"{ty:.1}\">{label}<title>{full}</title></text></g>",
            rx = right - 5.0,
            ry = y(i, resources.len()) - 5.0,
            tx = right + 12.0,
            ty = y(i, resources.len()) + 4.0,
            label = esc(&shorten(r, 58, Fit::Middle)),
            full = esc(r),
        );
    }
    h.push_str("</svg></div>");
    h.push_str(
        "<p class=\"legend\"><span style=\"color:#b42318\">━ beyond the grant</span><span style=\"color:#b54708\">╍ refused</span>\
         <span style=\"color:#2e90fa\">━ observed within the grant</span><span style=\"color:#98a2b3\">┈ granted, never used</span></p></section>",
    );
}

/// One lane per agent@session (or principal), its actions placed in time, coloured by the layer
/// that saw them, violations ringed.
fn timeline(h: &mut String, lanes: &BTreeMap<String, Vec<Mark>>) {
    let all: Vec<i64> = lanes.values().flatten().map(|m| m.ts_ns).collect();
    let _ = write!(
        h,
        "<section id=\"timeline\"><h2>Timeline: {} action(s) in {} lane(s)</h2>",
        all.len(),
        lanes.len()
    );
    let (Some(&t0), Some(&t1)) = (all.iter().min(), all.iter().max()) else {
        h.push_str("<p>No action.</p></section>");
        return;
    };
    // In floating point: times centuries apart must not overflow an i64 difference.
    let span = ((t1 as f64) - (t0 as f64)).max(1.0);
    let (w, label_w, row) = (1000.0, 250.0, 22.0);
    let height = 36.0 + row * lanes.len() as f64;
    let x = |t: i64| label_w + 10.0 + ((t as f64) - (t0 as f64)) / span * (w - label_w - 30.0);
    let _ = write!(
        h,
        "<div class=\"pic\"><svg class=\"timeline\" viewBox=\"0 0 {w} {height}\" role=\"img\" aria-label=\"timeline\" font-size=\"12\">"
    );
    for (n, (lane, marks)) in lanes.iter().enumerate() {
        let cy = 14.0 + row * (n as f64 + 0.5);
        let _ = write!(
            h,
            "<text x=\"{tx}\" y=\"{ty:.1}\" text-anchor=\"end\">{label}<title>{full}</title></text><line x1=\"{lx}\" y1=\"{cy:.1}\" x2=\"{rx}\" y2=\"{cy:.1}\" stroke=\"#eaecf0\"/>",
            tx = label_w,
            ty = cy + 4.0,
            label = esc(&shorten(lane, 34, Fit::Middle)),
            full = esc(lane),
            lx = label_w + 10.0,
            rx = w - 20.0,
        );
        for m in marks {
            let colour = match m.layer {
                EvidenceTable::DbEvents => "#2e90fa",
                EvidenceTable::Spans => "#7a5af8",
                EvidenceTable::KernelEvents => "#0e9384",
            };
            let (class, ring) = match m.verdict {
                Verdict::ViolationAllowed => ("mark violation", " stroke=\"#b42318\" stroke-width=\"2.5\""),
                Verdict::ViolationRefused => ("mark refused", " stroke=\"#b54708\" stroke-width=\"2\""),
                _ => ("mark", ""),
            };
            let fill = if m.outcome == Outcome::Deny { "#fff" } else { colour };
            let _ = write!(
                h,
                "<circle class=\"{class}\" cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"5\" fill=\"{fill}\"{ring}><title>{t}</title></circle>",
                cx = x(m.ts_ns),
                t = esc(&m.title),
            );
        }
    }
    let _ = write!(
        h,
        "<text x=\"{lx}\" y=\"{y:.1}\" class=\"muted\">{a}</text><text x=\"{rx}\" y=\"{y:.1}\" text-anchor=\"end\">{b}</text></svg>",
        lx = label_w + 10.0,
        rx = w - 20.0,
        y = height - 6.0,
        a = esc(&crate::time::rfc3339(Some(t0)).unwrap_or_default()),
        b = esc(&crate::time::rfc3339(Some(t1)).unwrap_or_default()),
    );
    h.push_str("</div>");
    h.push_str(
        "<p class=\"legend\"><span style=\"color:#2e90fa\">● database</span><span style=\"color:#7a5af8\">● telemetry</span>\
         <span style=\"color:#0e9384\">● kernel</span><span style=\"color:#b42318\">◯ violation that went through</span>\
         <span style=\"color:#b54708\">◯ violation refused</span><span>○ hollow: refused by the source</span></p></section>",
    );
}

fn table(h: &mut String, head: &[&str], rows: impl Iterator<Item = Vec<String>>, numeric: &[usize]) {
    h.push_str("<div class=\"scroll\"><table><thead><tr>");
    for c in head {
        let _ = write!(h, "<th>{}</th>", esc(c));
    }
    h.push_str("</tr></thead><tbody>");
    for r in rows {
        h.push_str("<tr>");
        for (n, c) in r.iter().enumerate() {
            let class = if numeric.contains(&n) { " class=\"n\"" } else { "" };
            let _ = write!(h, "<td{class}>{}</td>", esc(c));
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table></div>");
}

fn unattributed(h: &mut String, inv: &crate::inventory::Inventory) {
    h.push_str("<section id=\"unattributed\"><h2>Unattributed and approximate actions, per principal</h2>");
    table(
        h,
        &[
            "principal",
            "unattributed",
            "approximate",
            "attributed",
            "shared",
            "agents using it",
        ],
        inv.principals.iter().map(|p| {
            vec![
                p.principal.clone(),
                p.unattributed.to_string(),
                p.approximate.to_string(),
                p.attributed.to_string(),
                if p.shared { "yes (policy)" } else { "" }.to_string(),
                p.agents.iter().cloned().collect::<Vec<_>>().join(" "),
            ]
        }),
        &[1, 2, 3],
    );
    h.push_str("</section>");
}

fn gaps(h: &mut String, inv: &crate::inventory::Inventory) {
    let _ = write!(h, "<section id=\"gaps\"><h2>Coverage gaps ({})</h2>", inv.gaps.len());
    if inv.gaps.is_empty() {
        h.push_str("<p>No coverage gap: every database statement telemetry saw has its pgAudit record.</p>");
    } else {
        table(
            h,
            &[
                "resource",
                "seen by",
                "missing",
                "statements",
                "first .. last",
                "finding",
            ],
            inv.gaps.iter().map(|g| {
                vec![
                    g.resource.clone(),
                    g.seen_by.to_string(),
                    g.missing.to_string(),
                    g.count.to_string(),
                    format!(
                        "{} .. {}",
                        g.first.as_deref().unwrap_or("?"),
                        g.last.as_deref().unwrap_or("?")
                    ),
                    g.finding_id.clone(),
                ]
            }),
            &[3],
        );
    }
    h.push_str("</section>");
}

fn agents(h: &mut String, inv: &crate::inventory::Inventory) {
    let _ = write!(h, "<section id=\"agents\"><h2>Agents ({})</h2>", inv.agents.len());
    table(
        h,
        &[
            "agent",
            "sessions",
            "tools",
            "resources",
            "sources",
            "actions",
            "first .. last",
            "flags",
        ],
        inv.agents.iter().map(|a| {
            let mut flags = Vec::new();
            if a.unknown {
                flags.push("unknown to the policy");
            }
            if a.uncorroborated {
                flags.push("uncorroborated (one source)");
            }
            vec![
                a.agent.clone(),
                a.sessions.iter().cloned().collect::<Vec<_>>().join(" "),
                a.tools.iter().cloned().collect::<Vec<_>>().join(" "),
                a.resources.len().to_string(),
                a.sources.iter().copied().collect::<Vec<_>>().join(" "),
                a.actions.to_string(),
                format!(
                    "{} .. {}",
                    a.first.as_deref().unwrap_or("?"),
                    a.last.as_deref().unwrap_or("?")
                ),
                flags.join(", "),
            ]
        }),
        &[3, 5],
    );
    h.push_str("</section>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            esc("<script>\"x\" & 'y'</script>"),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;"
        );
    }
}

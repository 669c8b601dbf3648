//! Fuzz target `policy`: the policy language (src/policy): parse (HCL via hcl-edit, then
//! agaudit's vocabulary), the checker's warnings, diagnostics rendering, and judging accesses
//! against whatever model a policy without errors gives. Policy files are written by people and
//! passed around; `policy check` must answer any text with diagnostics, never a panic.
//!
//! Input: the policy text (lossy UTF-8).

#![no_main]

use agaudit::policy::{self, Class, Diagnostic, Policy, Severity, Violation};
use libfuzzer_sys::fuzz_target;

/// A resource of each scheme, judged against every policy besides the policy's own patterns.
const RESOURCES: [&str; 4] = [
    "prod-postgres/reporting/public.invoices",
    "file:///srv/reports/q1.csv",
    "tcp://127.0.0.1:54329",
    "s3://exports/2026/11/dump.parquet",
];

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (parsed, diagnostics) = policy::parse(&text);
    assert!(sorted(&diagnostics), "parse returns its diagnostics sorted by position");

    // check warns, and refuses identity claims that collide (errors since per-agent roles).
    let checked = policy::check(&parsed);
    assert!(sorted(&checked), "check returns its diagnostics sorted by position");

    for d in diagnostics.iter().chain(&checked) {
        let _ = d.render("policy.hcl", &text);
    }
    // The model is used only when no diagnostic is an error (src/policy/parse.rs, check.rs).
    if diagnostics.iter().chain(&checked).any(|d| d.severity == Severity::Error) {
        return;
    }
    judge_some(&parsed);
});

fn sorted(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.windows(2).all(|w| w[0].pos <= w[1].pos)
}

/// Judges a bounded set of accesses: each of a few named agents (and nobody) on a few of the
/// policy's own patterns and on `RESOURCES`, as reads, writes and connections.
fn judge_some(p: &Policy) {
    for block in p.agents.iter().chain(p.default.as_ref()) {
        for rule in &block.rules {
            assert!(
                block.most_specific(&rule.pattern).is_some(),
                "a rule's pattern covers the pattern itself, so its block has a rule for it"
            );
        }
    }

    let patterns: Vec<&str> = p
        .agents
        .iter()
        .chain(p.default.as_ref())
        .flat_map(|b| b.rules.iter().map(|r| r.pattern.as_str()))
        .take(8)
        .collect();
    let mut agents: Vec<Option<(&str, Option<&str>)>> = vec![None];
    for block in p.agents.iter().take(4) {
        if let Some(name) = &block.name {
            agents.push(Some(match name.split_once('@') {
                Some((agent, session)) => (agent, Some(session)),
                None => (name.as_str(), None),
            }));
        }
    }

    for &agent in &agents {
        for resource in patterns.iter().copied().chain(RESOURCES) {
            for class in [Class::Read, Class::Write, Class::Network] {
                let j = p.judge(agent, resource, class);
                match j.violation {
                    Some(Violation::UnknownAgent) => assert!(
                        agent.is_some() && j.rule.is_none() && j.on_violation.is_none(),
                        "only a named agent can be unknown, and then no rule governs it: {j:?}"
                    ),
                    Some(_) => assert!(
                        j.on_violation.is_some(),
                        "a violation says what its block asks for: {j:?}"
                    ),
                    None => {}
                }
                if agent.is_none() && p.default.is_none() {
                    assert!(
                        j.rule.is_none() && j.violation.is_none() && j.on_violation.is_none(),
                        "an unattributed access with no default block is not judged: {j:?}"
                    );
                }
            }
        }
        let _ = p.is_production(RESOURCES[0]);
    }
    let _ = p.endpoint_for("127.0.0.1:54329");
    for principal in &p.principals {
        let _ = p.is_shared_principal(&principal.name);
    }
}

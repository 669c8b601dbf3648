//! Warnings about a policy that parses but does not say what its author likely meant.
//!
//! Rules that can never govern anything (a second rule with the same pattern in one block), rules
//! that allow nothing (the deny list takes back everything the access level gives), and rules or
//! agent blocks that compete with equal specificity, where only their order in the file decides.
//!
//! Identity claims are checked here too, as errors: a principal two agents claim, or a claim
//! that also covers a principal the policy declares shared, would make attribution by the
//! principal a guess.
//!
//! In: a parsed [`Policy`]. Out: warning and error [`Diagnostic`]s.

use super::{Access, AgentBlock, Class, Diagnostic, Policy, PrincipalKind, Severity, pattern};

pub fn check(policy: &Policy) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut warn = |pos, message: String| {
        out.push(Diagnostic {
            severity: Severity::Warning,
            pos,
            message,
        })
    };
    for block in policy.agents.iter().chain(policy.default.as_ref()) {
        rules_of(block, &mut warn);
    }
    for (i, a) in policy.agents.iter().enumerate() {
        for b in &policy.agents[i + 1..] {
            let (Some(an), Some(bn)) = (&a.name, &b.name) else {
                continue;
            };
            if an.contains('@') == bn.contains('@') && same_weight(an, bn) && pattern::intersect(an, bn) {
                warn(
                    b.pos,
                    format!(
                        "agent \"{bn}\" and agent \"{an}\" (line {}) can match the same agent with equal specificity; \
                         the one at line {} wins — name the agent exactly or make one pattern narrower",
                        a.pos.line, a.pos.line
                    ),
                );
            }
        }
    }
    for (i, p) in policy.principals.iter().enumerate() {
        if let Some(prev) = policy.principals[..i].iter().find(|q| q.name == p.name) {
            warn(
                p.pos,
                format!(
                    "principal \"{}\" is already declared at line {}; this one is ignored",
                    p.name, prev.pos.line
                ),
            );
        }
    }
    claims(policy, &mut out);
    out.sort_by_key(|d| d.pos);
    out
}

/// Errors: a principal claimed by two agents, a claim covering a shared principal.
fn claims(policy: &Policy, out: &mut Vec<Diagnostic>) {
    let mut error = |pos, message: String| {
        out.push(Diagnostic {
            severity: Severity::Error,
            pos,
            message,
        })
    };
    let owned: Vec<(&str, &super::Claim)> = policy
        .agents
        .iter()
        .filter_map(|b| Some((b.name.as_deref()?, b)))
        .flat_map(|(name, b)| b.owns.claims.iter().map(move |c| (name, c)))
        .collect();
    for (i, (agent, claim)) in owned.iter().enumerate() {
        for (other, earlier) in &owned[..i] {
            if other == agent || earlier.kind != claim.kind {
                continue;
            }
            let overlap = if claim.kind == PrincipalKind::Uid {
                earlier.pattern == claim.pattern
            } else {
                pattern::intersect(&earlier.pattern, &claim.pattern)
            };
            if overlap {
                error(
                    claim.pos,
                    format!(
                        "{} \"{}\" of agent \"{agent}\" can name the same principal as \"{}\" of agent \"{other}\" (line {}): a principal belongs to one agent; narrow one of them",
                        claim.kind.attribute(),
                        claim.pattern,
                        earlier.pattern,
                        earlier.pos.line
                    ),
                );
            }
        }
        if claim.kind == PrincipalKind::DbRole {
            for p in policy.principals.iter().filter(|p| p.shared && claim.matches(&p.name)) {
                error(
                    claim.pos,
                    format!(
                        "db_roles \"{}\" of agent \"{agent}\" covers \"{}\", which the policy declares shared (line {}): a shared role names no agent; narrow the pattern",
                        claim.pattern, p.name, p.pos.line
                    ),
                );
            }
        }
    }
}

fn rules_of(block: &AgentBlock, warn: &mut impl FnMut(super::Pos, String)) {
    for (i, rule) in block.rules.iter().enumerate() {
        let allowed: Vec<Class> = Class::ALL
            .iter()
            .copied()
            .filter(|&c| rule.access.allows(c) && !rule.deny.contains(&c))
            .collect();
        if rule.access == Access::None && !rule.deny.is_empty() {
            warn(
                rule.pos,
                "deny is redundant: access = \"none\" already allows nothing".into(),
            );
        } else if allowed.is_empty() && rule.access != Access::None {
            warn(
                rule.pos,
                format!(
                    "this rule allows nothing: deny takes back everything access = \"{}\" gives; write access = \"none\" if that is meant",
                    rule.access.name()
                ),
            );
        }
        for earlier in &block.rules[..i] {
            if earlier.pattern == rule.pattern {
                warn(
                    rule.pos,
                    format!(
                        "never matches: resource \"{}\" is already declared at line {}, which always wins",
                        rule.pattern, earlier.pos.line
                    ),
                );
            } else if same_weight(&earlier.pattern, &rule.pattern)
                && pattern::intersect(&earlier.pattern, &rule.pattern)
            {
                warn(
                    rule.pos,
                    format!(
                        "overlaps resource \"{}\" (line {}) with equal specificity: for a name both match, line {} wins",
                        earlier.pattern, earlier.pos.line, earlier.pos.line
                    ),
                );
            }
        }
    }
}

/// Same literal and wildcard counts: for a name both match exactly, neither is more specific.
fn same_weight(a: &str, b: &str) -> bool {
    let w = |p: &str| {
        let wild = p.chars().filter(|&c| c == '*' || c == '?').count();
        (p.chars().count() - wild, wild)
    };
    w(a) == w(b)
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    #[test]
    fn warns_about_shadowed_empty_and_competing_rules() {
        let text = r#"agent "a" {
  resource "db/x" { access = "read" }
  resource "db/x" { access = "readwrite" }
  resource "db/y" {
    access = "read"
    deny = ["read"]
  }
  resource "db/*/public.t" { access = "read" }
  resource "db/r/public.*" { access = "read" }
}
agent "b*" {}
agent "*c" {}
"#;
        let (policy, errors) = parse(text);
        assert!(errors.is_empty(), "{errors:?}");
        let w = check(&policy);
        let lines: Vec<(usize, &str)> = w.iter().map(|d| (d.pos.line, d.message.as_str())).collect();
        assert_eq!(w.len(), 4, "{lines:?}");
        assert!(lines[0].0 == 3 && lines[0].1.starts_with("never matches"), "{lines:?}");
        assert!(
            lines[1].0 == 4 && lines[1].1.starts_with("this rule allows nothing"),
            "{lines:?}"
        );
        assert!(
            lines[2].0 == 9 && lines[2].1.starts_with("overlaps resource \"db/*/public.t\""),
            "{lines:?}"
        );
        assert!(
            lines[3].0 == 12 && lines[3].1.contains("equal specificity"),
            "{lines:?}"
        );
    }
}

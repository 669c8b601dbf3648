//! From policy text to the [`Policy`] model, with every problem at its line and column.
//!
//! HCL syntax is hcl-edit's job (a maintained parser that keeps byte spans); this module walks
//! the parsed body and checks the agaudit vocabulary: which blocks, labels and attributes exist
//! and what values they take. It keeps going after an error so that one run of `policy check`
//! shows them all.
//!
//! In: the policy text. Out: the model and the diagnostics (the model is only usable when no
//! diagnostic is an error).

use hcl_edit::Span;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Attribute, Block, Body, Structure};

use super::{
    Access, AgentBlock, AppNamePattern, Claim, Class, Diagnostic, Endpoint, OnViolation, Owned, Policy, Pos, Principal,
    PrincipalKind, Rule, Severity,
};

/// Parses a policy; errors and warnings come back sorted by position.
pub fn parse(text: &str) -> (Policy, Vec<Diagnostic>) {
    let mut p = Parser {
        text,
        diagnostics: Vec::new(),
    };
    let policy = match hcl_edit::parser::parse_body(text) {
        Ok(body) => p.policy(&body),
        Err(e) => {
            let loc = e.location();
            p.diagnostics.push(Diagnostic {
                severity: Severity::Error,
                pos: Pos {
                    line: loc.line(),
                    column: loc.column(),
                },
                message: format!("HCL syntax: {}", e.message()),
            });
            Policy::default()
        }
    };
    p.diagnostics.sort_by_key(|d| d.pos);
    (policy, p.diagnostics)
}

struct Parser<'a> {
    text: &'a str,
    diagnostics: Vec<Diagnostic>,
}

impl Parser<'_> {
    fn pos(&self, span: Option<std::ops::Range<usize>>) -> Pos {
        let offset = span.map_or(0, |r| r.start).min(self.text.len());
        // hcl-edit spans start at tokens, so on char boundaries; `get` keeps a surprise harmless.
        let before = self.text.get(..offset).unwrap_or(self.text);
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Pos { line, column }
    }

    /// `unknown WHAT `NAME`PLACE; did you mean `X`? expected A, B or C`.
    fn unknown(
        &mut self,
        span: Option<std::ops::Range<usize>>,
        what: &str,
        name: &str,
        place: &str,
        expected: &[&str],
    ) {
        let near = crate::suggest::nearest(name, expected.iter().copied(), 1);
        let near = near.first().map_or(String::new(), |n| format!("did you mean `{n}`? "));
        let (last, rest) = expected.split_last().unwrap_or((&"", &[]));
        let list = if rest.is_empty() {
            last.to_string()
        } else {
            format!("{} or {last}", rest.join(", "))
        };
        self.error(span, format!("unknown {what} `{name}`{place}; {near}expected {list}"));
    }

    fn error(&mut self, span: Option<std::ops::Range<usize>>, message: String) {
        let pos = self.pos(span);
        self.diagnostics.push(Diagnostic {
            severity: Severity::Error,
            pos,
            message,
        });
    }

    fn policy(&mut self, body: &Body) -> Policy {
        let mut policy = Policy::default();
        for structure in body.iter() {
            let Structure::Block(block) = structure else {
                let attr = structure.as_attribute().map(|a| a.key.as_str()).unwrap_or_default();
                self.error(
                    structure.span(),
                    format!("unexpected attribute `{attr}` at the top level; expected an agent, default, endpoint, principal or identity block"),
                );
                continue;
            };
            match block.ident.as_str() {
                "agent" => {
                    if let Some(name) = self.one_label(block, "agent \"NAME\" or agent \"NAME@SESSION\"") {
                        let pos = self.pos(block.span());
                        if let Some(prev) = policy.agents.iter().find(|a| a.name.as_deref() == Some(&name)) {
                            let message = format!(
                                "agent \"{name}\" is already defined at line {}; merge the two blocks",
                                prev.pos.line
                            );
                            self.error(block.span(), message);
                            continue;
                        }
                        let agent = self.agent_body(Some(name), block, pos);
                        policy.agents.push(agent);
                    }
                }
                "default" => {
                    if !block.labels.is_empty() {
                        self.error(block.span(), "the default block takes no label: default { … }".into());
                    }
                    if let Some(prev) = &policy.default {
                        let message = format!("a default block is already defined at line {}", prev.pos.line);
                        self.error(block.span(), message);
                        continue;
                    }
                    let pos = self.pos(block.span());
                    policy.default = Some(self.agent_body(None, block, pos));
                }
                "endpoint" => {
                    if let Some(e) = self.endpoint(block) {
                        policy.endpoints.push(e);
                    }
                }
                "principal" => {
                    if let Some(p) = self.principal(block) {
                        policy.principals.push(p);
                    }
                }
                "identity" => {
                    if !policy.application_name.is_empty() {
                        self.error(
                            block.span(),
                            "an identity block is already defined; merge the two".into(),
                        );
                        continue;
                    }
                    policy.application_name = self.identity(block);
                }
                other => self.unknown(
                    block.ident.span(),
                    "block",
                    other,
                    "",
                    &["agent", "default", "endpoint", "principal", "identity"],
                ),
            }
        }
        policy
    }

    fn one_label(&mut self, block: &Block, shape: &str) -> Option<String> {
        match block.labels.as_slice() {
            [label] if !label.as_str().is_empty() => Some(label.as_str().to_string()),
            _ => {
                self.error(block.span(), format!("expected exactly one non-empty label: {shape}"));
                None
            }
        }
    }

    fn agent_body(&mut self, name: Option<String>, block: &Block, pos: Pos) -> AgentBlock {
        let mut agent = AgentBlock {
            name,
            rules: Vec::new(),
            on_violation: OnViolation::Alert,
            owns: Owned::default(),
            pos,
        };
        let mut seen_on_violation = false;
        for structure in block.body.iter() {
            match structure {
                Structure::Block(b) if b.ident.as_str() == "resource" => {
                    if let Some(rule) = self.rule(b) {
                        agent.rules.push(rule);
                    }
                }
                Structure::Block(b) if b.ident.as_str() == "on_violation" => {
                    if seen_on_violation {
                        self.error(b.span(), "on_violation is given twice in this block".into());
                    }
                    seen_on_violation = true;
                    if let Some(action) = self.on_violation(b) {
                        agent.on_violation = action;
                    }
                }
                Structure::Block(b) => self.unknown(
                    b.ident.span(),
                    "block",
                    b.ident.as_str(),
                    " in an agent block",
                    &["resource", "on_violation"],
                ),
                Structure::Attribute(a) if a.key.as_str() == "description" => {
                    self.string(a);
                }
                Structure::Attribute(a) if matches!(a.key.as_str(), "db_roles" | "uids" | "services") => {
                    let claims = self.claims(a);
                    let plain = agent.name.as_deref().is_some_and(|n| !n.contains(['@', '*', '?']));
                    if !plain {
                        self.error(
                            a.key.span(),
                            format!(
                                "`{}` names principals of one agent: only in a block named by a plain agent name (agent \"NAME\"), not a session, a glob or default",
                                a.key.as_str()
                            ),
                        );
                        continue;
                    }
                    agent.owns.claims.extend(claims);
                }
                Structure::Attribute(a) => self.unknown(
                    a.key.span(),
                    "attribute",
                    a.key.as_str(),
                    " in an agent block (resource and on_violation are blocks)",
                    &["db_roles", "uids", "services", "description"],
                ),
            }
        }
        agent
    }

    /// `db_roles = [...]` (names or globs), `uids = [1001]`, `services = [...]`.
    fn claims(&mut self, a: &Attribute) -> Vec<Claim> {
        let kind = match a.key.as_str() {
            "db_roles" => PrincipalKind::DbRole,
            "uids" => PrincipalKind::Uid,
            _ => PrincipalKind::Service,
        };
        let mut out = Vec::new();
        if kind == PrincipalKind::Uid {
            let items: Vec<&Expression> = match &a.value {
                Expression::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            for item in items {
                match item {
                    Expression::Number(n) if n.value().as_u64().is_some_and(|u| u <= u64::from(u32::MAX)) => {
                        out.push(Claim {
                            kind,
                            pattern: n.value().to_string(),
                            pos: self.pos(item.span()),
                        });
                    }
                    other => self.error(
                        other.span(),
                        "`uids` takes a list of user ids (numbers 0 to 4294967295)".into(),
                    ),
                }
            }
            return out;
        }
        for (value, span) in self.strings(a) {
            if value.is_empty() {
                self.error(span, format!("an empty name in `{}`", a.key.as_str()));
                continue;
            }
            out.push(Claim {
                kind,
                pattern: value,
                pos: self.pos(span),
            });
        }
        out
    }

    /// `identity { application_name = "REGEX" }` (or a list): how this estate writes
    /// application_name, with named groups `agent` and `session`.
    fn identity(&mut self, block: &Block) -> Vec<AppNamePattern> {
        if !block.labels.is_empty() {
            self.error(block.span(), "the identity block takes no label: identity { … }".into());
        }
        let mut out = Vec::new();
        for structure in block.body.iter() {
            match structure {
                Structure::Attribute(a) if a.key.as_str() == "application_name" => {
                    for (value, span) in self.strings(a) {
                        match regex::Regex::new(&value) {
                            Ok(re) if re.capture_names().flatten().any(|n| n == "agent") => {
                                out.push(AppNamePattern {
                                    regex: re,
                                    pos: self.pos(span),
                                });
                            }
                            Ok(_) => self.error(
                                span,
                                "application_name pattern has no group named agent: write (?P<agent>…) (and (?P<session>…) when it names the session)".into(),
                            ),
                            Err(e) => {
                                let why = e.to_string().lines().last().unwrap_or("invalid").trim().to_string();
                                self.error(span, format!("application_name is not a regular expression: {why}"));
                            }
                        }
                    }
                }
                Structure::Attribute(a) if a.key.as_str() == "description" => {
                    self.string(a);
                }
                other => self.error(
                    other.span(),
                    "an identity block holds application_name (and description)".into(),
                ),
            }
        }
        out
    }

    fn rule(&mut self, block: &Block) -> Option<Rule> {
        let pattern = self.one_label(block, "resource \"PATTERN\"")?;
        let label_span = block.labels.first().and_then(|l| l.span());
        if let Err(why) = super::pattern::validate(&pattern) {
            self.error(label_span, format!("resource \"{pattern}\": {why}"));
            return None;
        }
        let mut access = None;
        let mut deny = Vec::new();
        for structure in block.body.iter() {
            let Structure::Attribute(a) = structure else {
                self.error(
                    structure.span(),
                    "a resource block holds only attributes: access, deny, description".into(),
                );
                continue;
            };
            match a.key.as_str() {
                "access" => {
                    if let Some(s) = self.string(a) {
                        match Access::from_name(&s) {
                            Some(level) => access = Some(level),
                            None => self.error(
                                a.value.span(),
                                format!("unknown access level \"{s}\"; expected one of {}", Access::names()),
                            ),
                        }
                    }
                }
                "deny" => {
                    for (value, span) in self.strings(a) {
                        match Class::from_name(&value) {
                            Some(c) if !deny.contains(&c) => deny.push(c),
                            Some(_) => self.error(span, format!("\"{value}\" is listed twice in deny")),
                            None => self.error(
                                span,
                                format!("unknown deny class \"{value}\"; expected one of {}", Class::names()),
                            ),
                        }
                    }
                }
                "description" => {
                    self.string(a);
                }
                other => self.unknown(
                    a.key.span(),
                    "attribute",
                    other,
                    " in a resource block",
                    &["access", "deny", "description"],
                ),
            }
        }
        let Some(access) = access else {
            self.error(
                block.span(),
                format!(
                    "resource \"{pattern}\" has no access; add access = one of {}",
                    Access::names()
                ),
            );
            return None;
        };
        Some(Rule {
            pattern,
            access,
            deny,
            pos: self.pos(block.span()),
        })
    }

    fn on_violation(&mut self, block: &Block) -> Option<OnViolation> {
        let mut action = None;
        let mut given = false;
        for structure in block.body.iter() {
            match structure {
                Structure::Attribute(a) if a.key.as_str() == "action" => {
                    given = true;
                    let s = self.string(a)?;
                    match OnViolation::from_name(&s) {
                        Some(v) => action = Some(v),
                        None => self.error(
                            a.value.span(),
                            format!(
                                "unknown on_violation action \"{s}\"; expected one of {}",
                                OnViolation::names()
                            ),
                        ),
                    }
                }
                other => self.error(other.span(), "on_violation holds one attribute: action".into()),
            }
        }
        if !given {
            self.error(
                block.span(),
                format!("on_violation needs action = one of {}", OnViolation::names()),
            );
        }
        action
    }

    fn endpoint(&mut self, block: &Block) -> Option<Endpoint> {
        let resource = self.one_label(block, "endpoint \"RESOURCE\" (e.g. endpoint \"prod-postgres\")")?;
        let mut addresses = Vec::new();
        let mut production = false;
        for structure in block.body.iter() {
            match structure {
                Structure::Attribute(a) if a.key.as_str() == "production" => match &a.value {
                    Expression::Bool(b) => production = *b.value(),
                    other => self.error(other.span(), "production takes true or false".into()),
                },
                Structure::Attribute(a) if a.key.as_str() == "address" => {
                    for (value, span) in self.strings(a) {
                        match value.rsplit_once(':') {
                            Some((host, port)) if !host.is_empty() && !port.is_empty() => addresses.push(value),
                            _ => self.error(span, format!("address \"{value}\" is not HOST:PORT")),
                        }
                    }
                }
                Structure::Attribute(a) if a.key.as_str() == "description" => {
                    self.string(a);
                }
                other => self.error(
                    other.span(),
                    "an endpoint block holds address (and production, description)".into(),
                ),
            }
        }
        if addresses.is_empty() {
            self.error(
                block.span(),
                format!("endpoint \"{resource}\" has no address = \"HOST:PORT\""),
            );
            return None;
        }
        Some(Endpoint {
            resource,
            addresses,
            production,
            pos: self.pos(block.span()),
        })
    }

    fn principal(&mut self, block: &Block) -> Option<Principal> {
        let name = self.one_label(block, "principal \"ROLE\"")?;
        let mut shared = false;
        for structure in block.body.iter() {
            match structure {
                Structure::Attribute(a) if a.key.as_str() == "shared" => match &a.value {
                    Expression::Bool(b) => shared = *b.value(),
                    other => self.error(other.span(), "shared takes true or false".into()),
                },
                Structure::Attribute(a) if a.key.as_str() == "description" => {
                    self.string(a);
                }
                other => self.error(other.span(), "a principal block holds shared (and description)".into()),
            }
        }
        Some(Principal {
            name,
            shared,
            pos: self.pos(block.span()),
        })
    }

    fn string(&mut self, a: &Attribute) -> Option<String> {
        match &a.value {
            Expression::String(s) => Some(s.value().to_string()),
            other => {
                self.error(other.span(), format!("`{}` takes a quoted string", a.key.as_str()));
                None
            }
        }
    }

    /// A string or a list of strings, each with its span.
    fn strings(&mut self, a: &Attribute) -> Vec<(String, Option<std::ops::Range<usize>>)> {
        match &a.value {
            Expression::String(s) => vec![(s.value().to_string(), a.value.span())],
            Expression::Array(items) => {
                let mut out = Vec::new();
                for item in items.iter() {
                    match item {
                        Expression::String(s) => out.push((s.value().to_string(), item.span())),
                        other => self.error(
                            other.span(),
                            format!("`{}` takes a list of quoted strings", a.key.as_str()),
                        ),
                    }
                }
                out
            }
            other => {
                self.error(
                    other.span(),
                    format!("`{}` takes a list of quoted strings", a.key.as_str()),
                );
                Vec::new()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PrincipalKind;

    pub const ISSUE_EXAMPLE: &str = r#"agent "reporting-assistant" {
  # Claude Code session via the reporting MCP server
  resource "prod-postgres/reporting_replica" {
    access     = "read"      # SELECT only
    deny       = ["write", "ddl"]
  }
  resource "s3://billing-exports" {
    access = "read"
  }
  on_violation {
    action = "block_and_alert"   # refuse at access time, not just log
  }
}
"#;

    #[test]
    fn the_documented_example_parses_verbatim() {
        let (policy, diags) = parse(ISSUE_EXAMPLE);
        assert!(diags.is_empty(), "{diags:?}");
        let agent = &policy.agents[0];
        assert_eq!(agent.name.as_deref(), Some("reporting-assistant"));
        assert_eq!(agent.on_violation, OnViolation::BlockAndAlert);
        assert_eq!(agent.rules.len(), 2);
        assert_eq!(agent.rules[0].access, Access::Read);
        assert_eq!(agent.rules[0].deny, vec![Class::Write, Class::Ddl]);
        assert_eq!(agent.rules[0].pos, Pos { line: 3, column: 3 });
    }

    #[test]
    fn errors_point_at_the_value() {
        let text = "agent \"a\" {\n  resource \"x/y\" {\n    access = \"raed\"\n    deny = [\"wirte\"]\n  }\n}\n";
        let (_, diags) = parse(text);
        assert_eq!(diags.len(), 3, "{diags:?}");
        assert_eq!(
            diags[0].pos,
            Pos { line: 2, column: 3 },
            "missing access reported at the block"
        );
        assert_eq!(diags[1].pos, Pos { line: 3, column: 14 });
        assert!(diags[1].message.contains("unknown access level \"raed\""));
        assert_eq!(diags[2].pos, Pos { line: 4, column: 13 });
        let shown = diags[1].render("p.hcl", text);
        assert!(shown.starts_with("p.hcl:3:14: error: unknown access level"), "{shown}");
        assert!(
            shown.contains("3 |     access = \"raed\"\n  |              ^"),
            "{shown}"
        );
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let (_, diags) = parse("agent \"a\" {\n  resource \"x\" {\n");
        assert_eq!(diags.len(), 1);
        assert!(diags[0].message.starts_with("HCL syntax"), "{diags:?}");
        assert!(diags[0].pos.line >= 2);
    }

    #[test]
    fn judges_by_most_specific_rule() {
        let text = r#"
principal "svc_shared" { shared = true }
endpoint "prod-postgres" {
  address    = ["127.0.0.1:54329"]
  production = true
}
agent "reporting-assistant" {
  resource "prod-postgres/reporting" { access = "read" }
  resource "prod-postgres/reporting/finance.*" { access = "none" }
  resource "prod-postgres/reporting/public.scratch" {
    access = "readwrite"
    deny   = ["ddl"]
  }
}
agent "reporting-assistant@breakglass" {
  resource "prod-postgres/**" { access = "readwrite" }
}
"#;
        let (policy, diags) = parse(text);
        assert!(diags.is_empty(), "{diags:?}");
        let ra = Some(("reporting-assistant", Some("s3f1")));
        let j = |agent, res, class| {
            policy
                .judge(agent, res, class)
                .violation
                .map(crate::policy::Violation::name)
        };
        assert_eq!(j(ra, "prod-postgres/reporting/public.orders", Class::Read), None);
        assert_eq!(
            j(ra, "prod-postgres/reporting/public.orders", Class::Write),
            Some("read_only_violation")
        );
        assert_eq!(
            j(ra, "prod-postgres/reporting/finance.invoices", Class::Read),
            Some("no_access_violation")
        );
        assert_eq!(j(ra, "prod-postgres/reporting/public.scratch", Class::Write), None);
        assert_eq!(
            j(ra, "prod-postgres/reporting/public.scratch", Class::Ddl),
            Some("deny_ddl_violation")
        );
        assert_eq!(j(ra, "prod-postgres/other", Class::Read), Some("unlisted_resource"));
        let bg = Some(("reporting-assistant", Some("breakglass")));
        assert_eq!(j(bg, "prod-postgres/reporting/finance.invoices", Class::Write), None);
        assert_eq!(
            j(Some(("stranger", None)), "prod-postgres/x", Class::Read),
            Some("unknown_agent")
        );
        assert_eq!(
            j(None, "prod-postgres/x", Class::Read),
            None,
            "no default block: not judged"
        );
        // Connecting to the endpoint is implied by a grant under it, but not for a session
        // whose only grant there is `none`, and never for a resource that is not an endpoint.
        assert_eq!(j(ra, "prod-postgres", Class::Network), None);
        assert_eq!(j(ra, "prod-postgres", Class::Write), Some("unlisted_resource"));
        assert_eq!(
            j(ra, "prod-postgres/reporting", Class::Network),
            Some("read_only_violation")
        );
        assert!(policy.is_shared_principal("svc_shared"));
        assert_eq!(policy.endpoint_for("127.0.0.1:54329"), Some("prod-postgres"));
        assert!(policy.is_production("prod-postgres/reporting/public.orders"));
        assert!(!policy.is_production("tcp://127.0.0.1:80"));
    }

    #[test]
    fn identity_claims_and_the_estates_application_name_convention() {
        let text = r#"
identity {
  application_name = ["^agent:(?P<agent>[a-z-]+);run=(?P<session>\\w+)$", "^(?P<agent>[^@/]+)$"]
}
principal "svc_shared" { shared = true }
agent "release-bot" {
  db_roles = ["release_bot"]
  uids     = [1001]
  services = ["release-worker"]
  resource "db/x" { access = "read" }
}
agent "nightly-etl" {
  db_roles = ["v-*-nightly-*"]
  resource "db/x" { access = "read" }
}
"#;
        let (policy, diags) = parse(text);
        assert!(diags.is_empty(), "{diags:?}");
        let owner = |k, p| policy.owner(k, p).map(|o| (o.agent, o.claim.dynamic()));
        assert_eq!(
            owner(PrincipalKind::DbRole, "release_bot"),
            Some(("release-bot", false))
        );
        assert_eq!(
            owner(
                PrincipalKind::DbRole,
                "v-approle-nightly--Ab3dE5fG7hJ9kL1mN3pQ-1764930000"
            ),
            Some(("nightly-etl", true))
        );
        assert_eq!(owner(PrincipalKind::Uid, "1001"), Some(("release-bot", false)));
        assert_eq!(
            owner(PrincipalKind::Service, "release-worker"),
            Some(("release-bot", false))
        );
        assert_eq!(owner(PrincipalKind::DbRole, "svc_shared"), None);
        assert_eq!(owner(PrincipalKind::Uid, "release_bot"), None, "kinds do not mix");
        assert_eq!(
            policy.agent_session("agent:triage-bot;run=r7f3a"),
            Some(("triage-bot".into(), Some("r7f3a".into())))
        );
        assert_eq!(policy.agent_session("psql"), Some(("psql".into(), None)));
        // Without an identity block: AGENT@SESSION, split at the first '@'.
        let (plain, _) = parse("agent \"a\" { resource \"db/x\" { access = \"read\" } }");
        assert_eq!(
            plain.agent_session("reporting-assistant@s3f1@x"),
            Some(("reporting-assistant".into(), Some("s3f1@x".into())))
        );
        assert_eq!(plain.agent_session("psql"), None);
    }
}

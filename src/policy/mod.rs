//! The policy: which agent may do what to which resource, and what a violation means.
//!
//! A policy is an HCL file (docs/policy.md defines the language). [`parse`] turns its text into a
//! [`Policy`] plus [`Diagnostic`]s (errors and warnings, each at a line and column); [`check`]
//! adds the warnings about rules that can never match or that compete. Correlation asks
//! [`Policy::judge`] for the rule that governs one access and whether the access violates it.
//!
//! In: the policy file's text. Out: the model, diagnostics, and judgements.

pub mod canonical;
pub mod check;
pub mod parse;
pub mod pattern;

use std::fmt;

use serde::Serialize;

pub use check::check;
pub use parse::parse;

crate::vocabulary! {
    /// What an agent may do to a resource.
    pub enum Access {
        #[default]
        None = "none",
        Read = "read",
        Write = "write",
        ReadWrite = "readwrite",
    }
}

impl Access {
    /// Whether this level lets an access of `class` through (before deny lists).
    pub fn allows(self, class: Class) -> bool {
        match self {
            Access::None => false,
            Access::Read => class == Class::Read,
            Access::Write => class != Class::Read,
            Access::ReadWrite => true,
        }
    }
}

crate::vocabulary! {
    /// The class of an access: what pgAudit classes and kernel operations map onto
    /// (the table is in docs/policy.md and [`Class::of_pgaudit`]).
    pub enum Class {
        Read = "read",
        /// The default: an access of unknown class is never treated as weaker than a write.
        #[default]
        Write = "write",
        Ddl = "ddl",
        Role = "role",
        Function = "function",
        Exec = "exec",
        Network = "network",
    }
}

crate::vocabulary! {
    /// R for reads, RW for everything that can change state.
    pub enum Op {
        R = "R",
        #[default]
        Rw = "RW",
    }
}

impl Class {
    /// The class of a pgAudit CLASS field. MISC_SET (SET, RESET) only changes the session's own
    /// settings, so it counts as a read; MISC (VACUUM, CHECKPOINT, DISCARD, …) changes server
    /// state, so it counts as a write. An unknown class is treated as a write: never weaker.
    pub fn of_pgaudit(class: &str) -> Class {
        match class {
            "READ" | "MISC_SET" => Class::Read,
            "DDL" => Class::Ddl,
            "ROLE" => Class::Role,
            "FUNCTION" => Class::Function,
            _ => Class::Write,
        }
    }

    /// R for reads, RW for everything that can change state.
    pub fn op(self) -> Op {
        if self == Class::Read { Op::R } else { Op::Rw }
    }
}

crate::vocabulary! {
    /// What the policy asks for when a rule is violated.
    pub enum OnViolation {
        /// Refuse at access time and alert: a violation that went through means the control
        /// failed.
        BlockAndAlert = "block_and_alert",
        /// Let it through but alert.
        #[default]
        Alert = "alert",
        /// Record only.
        Log = "log",
    }
}

/// A position in the policy file, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

/// One `resource "PATTERN" { … }` rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub pattern: String,
    pub access: Access,
    pub deny: Vec<Class>,
    pub pos: Pos,
}

/// An `agent "NAME[@SESSION]" { … }` block, or the `default { … }` block (name None).
#[derive(Debug, Clone)]
pub struct AgentBlock {
    pub name: Option<String>,
    pub rules: Vec<Rule>,
    pub on_violation: OnViolation,
    /// The principals that are this agent's alone (only in a block named by a plain agent).
    pub owns: Owned,
    pub pos: Pos,
}

/// What kind of principal a claim is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// A database role (`db_roles`), as the database logs `user`.
    DbRole,
    /// An OS user id (`uids`), as the kernel reports it.
    Uid,
    /// An OpenTelemetry service.name (`services`).
    Service,
}

impl PrincipalKind {
    pub fn attribute(self) -> &'static str {
        match self {
            PrincipalKind::DbRole => "db_roles",
            PrincipalKind::Uid => "uids",
            PrincipalKind::Service => "services",
        }
    }
}

/// One principal (or a glob of them) an agent block claims as its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub kind: PrincipalKind,
    /// A name, a uid in decimal, or a glob (`v-*-release-*`: a fresh role per lease).
    pub pattern: String,
    pub pos: Pos,
}

impl Claim {
    /// A glob claims principals made on demand (one per lease or session), not one fixed name.
    pub fn dynamic(&self) -> bool {
        self.pattern.contains(['*', '?'])
    }

    pub fn matches(&self, principal: &str) -> bool {
        pattern::glob(self.pattern.as_bytes(), principal.as_bytes())
    }
}

/// The principals of an agent block: database roles, uids and services.
#[derive(Debug, Clone, Default)]
pub struct Owned {
    pub claims: Vec<Claim>,
}

/// Whose a principal is, by the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner<'a> {
    pub agent: &'a str,
    pub claim: &'a Claim,
}

/// How this estate writes application_name: a regular expression with named groups `agent`
/// (required) and `session` (optional); the first that matches decides.
#[derive(Debug, Clone)]
pub struct AppNamePattern {
    pub regex: regex::Regex,
    pub pos: Pos,
}

/// application_name `AGENT@SESSION`: what the policy assumes unless its identity block says
/// otherwise.
pub const DEFAULT_APPLICATION_NAME: &str = "^(?P<agent>[^@]+)@(?P<session>.+)$";

/// `endpoint "RESOURCE" { address = [...] }`: network addresses that are this resource.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub resource: String,
    pub addresses: Vec<String>,
    /// `production = true`: a write through a tool that claimed read-only is critical here.
    pub production: bool,
    pub pos: Pos,
}

/// `principal "ROLE" { shared = true }`: a database role (or service account) many use.
#[derive(Debug, Clone)]
pub struct Principal {
    pub name: String,
    pub shared: bool,
    pub pos: Pos,
}

/// The whole policy.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub agents: Vec<AgentBlock>,
    pub default: Option<AgentBlock>,
    pub endpoints: Vec<Endpoint>,
    pub principals: Vec<Principal>,
    /// `identity { application_name = … }`; empty: [`DEFAULT_APPLICATION_NAME`].
    pub application_name: Vec<AppNamePattern>,
}

/// An error or warning at a place in the policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub pos: Pos,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

impl Diagnostic {
    /// `FILE:LINE:COL: error: MESSAGE` then the line and a caret under the column.
    pub fn render(&self, file: &str, text: &str) -> String {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        // A policy's comments and values may carry secrets (a token in a note): the excerpt and
        // the message go through the secret rules like every other output.
        let mut counts = crate::redact::RuleCounts::new();
        let scan =
            |s: &str, counts: &mut crate::redact::RuleCounts| crate::redact::redactor().text(s, counts).into_owned();
        let raw = text.lines().nth(self.pos.line.saturating_sub(1)).unwrap_or("");
        let before: String = raw.chars().take(self.pos.column.saturating_sub(1)).collect();
        let line = scan(raw, &mut counts);
        let gutter = self.pos.line.to_string();
        let caret_at = scan(&before, &mut counts)
            .chars()
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect::<String>();
        format!(
            "{file}:{}:{}: {kind}: {}\n{gutter} | {line}\n{} | {caret_at}^\n",
            self.pos.line,
            self.pos.column,
            scan(&self.message, &mut counts),
            " ".repeat(gutter.len())
        )
    }
}

/// How one access stands against the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    /// The rule that governs it (`agent NAME / resource PATTERN`), or why none does.
    pub rule: Option<String>,
    /// The violated rule's name (read_only_violation, …), None when the access is allowed.
    pub violation: Option<Violation>,
    /// What the governing block asks for on a violation.
    pub on_violation: Option<OnViolation>,
}

impl Policy {
    /// The block that governs AGENT (at SESSION): `agent "A@S"` beats `agent "A"` beats a glob
    /// beats `default`; among globs the most specific (see [`pattern::Specificity`]) wins.
    pub fn block_for(&self, agent: &str, session: Option<&str>) -> Option<&AgentBlock> {
        let full = session.map(|s| format!("{agent}@{s}"));
        let mut best: Option<(pattern::Specificity, &AgentBlock)> = None;
        for block in &self.agents {
            let Some(name) = &block.name else { continue };
            let subject = if name.contains('@') {
                match &full {
                    Some(f) => f.as_str(),
                    None => continue,
                }
            } else {
                agent
            };
            if !pattern::glob(name.as_bytes(), subject.as_bytes()) {
                continue;
            }
            let wild = name.chars().filter(|&c| c == '*' || c == '?').count();
            let spec = pattern::Specificity {
                depth: usize::from(name.contains('@')),
                literals: name.len() - wild,
                fewer_wildcards: -(wild as i64),
            };
            if best.as_ref().is_none_or(|(b, _)| spec > *b) {
                best = Some((spec, block));
            }
        }
        best.map(|(_, b)| b).or(self.default.as_ref())
    }

    /// Whether some agent block names a session (`agent "NAME@SESSION"`): otherwise an access's
    /// session never changes its judgement.
    pub fn names_sessions(&self) -> bool {
        self.agents
            .iter()
            .any(|b| b.name.as_deref().is_some_and(|n| n.contains('@')))
    }

    /// Judges an access by AGENT@SESSION (None: nobody could be tied to it) of `class` on
    /// `resource`.
    pub fn judge(&self, agent: Option<(&str, Option<&str>)>, resource: &str, class: Class) -> Judgement {
        let block = match agent {
            Some((a, s)) => self.block_for(a, s),
            None => self.default.as_ref(),
        };
        let Some(block) = block else {
            return match agent {
                Some(_) => Judgement {
                    rule: None,
                    violation: Some(Violation::UnknownAgent),
                    on_violation: None,
                },
                // Unattributed and no default block: nothing in the policy speaks to it.
                None => Judgement {
                    rule: None,
                    violation: None,
                    on_violation: None,
                },
            };
        };
        let block_name = block
            .name
            .as_deref()
            .map_or("default".to_string(), |n| format!("agent {n}"));
        if block.most_specific(resource).is_none()
            && class == Class::Network
            && let Some(rule) = self.grant_below_endpoint(block, resource)
        {
            return Judgement {
                rule: Some(format!(
                    "{block_name} / resource {} (connects to its endpoint)",
                    rule.pattern
                )),
                violation: None,
                on_violation: Some(block.on_violation),
            };
        }
        let Some(rule) = block.most_specific(resource) else {
            return Judgement {
                rule: Some(block_name),
                violation: Some(Violation::UnlistedResource),
                on_violation: Some(block.on_violation),
            };
        };
        let violation = match rule.access {
            _ if rule.access.allows(class) => rule.deny.contains(&class).then(|| Violation::denied(class)),
            Access::None => Some(Violation::NoAccess),
            Access::Read => Some(Violation::ReadOnly),
            Access::Write | Access::ReadWrite => Some(Violation::WriteOnly),
        };
        Judgement {
            rule: Some(format!("{block_name} / resource {}", rule.pattern)),
            violation,
            on_violation: Some(block.on_violation),
        }
    }

    /// A connection to a declared endpoint that no rule names is granted by a rule on something
    /// under it that allows access and does not deny the network: a grant on a database implies
    /// connecting to its server.
    fn grant_below_endpoint<'a>(&self, block: &'a AgentBlock, resource: &str) -> Option<&'a Rule> {
        if !self.endpoints.iter().any(|e| e.resource == resource) {
            return None;
        }
        let below = format!("{resource}/");
        block
            .rules
            .iter()
            .find(|r| r.pattern.starts_with(&below) && r.access != Access::None && !r.deny.contains(&Class::Network))
    }

    pub fn is_shared_principal(&self, principal: &str) -> bool {
        self.principals.iter().any(|p| p.shared && p.name == principal)
    }

    /// The agent a principal belongs to: claimed by exactly one agent block and not shared.
    /// (`policy check` rejects a principal two agents claim, and a claim on a shared one.)
    pub fn owner(&self, kind: PrincipalKind, principal: &str) -> Option<Owner<'_>> {
        if kind == PrincipalKind::DbRole && self.is_shared_principal(principal) {
            return None;
        }
        let mut found = None;
        for block in &self.agents {
            let Some(agent) = block.name.as_deref() else { continue };
            if let Some(claim) = block
                .owns
                .claims
                .iter()
                .find(|c| c.kind == kind && c.matches(principal))
            {
                if found.is_some_and(|f: Owner<'_>| f.agent != agent) {
                    return None;
                }
                found = Some(Owner { agent, claim });
            }
        }
        found
    }

    /// AGENT and SESSION of an application_name, by the estate's convention.
    pub fn agent_session(&self, application_name: &str) -> Option<(String, Option<String>)> {
        static DEFAULT: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
        let default =
            DEFAULT.get_or_init(|| regex::Regex::new(DEFAULT_APPLICATION_NAME).expect("the default compiles"));
        let patterns: Vec<&regex::Regex> = if self.application_name.is_empty() {
            vec![default]
        } else {
            self.application_name.iter().map(|p| &p.regex).collect()
        };
        patterns.into_iter().find_map(|re| {
            let caps = re.captures(application_name)?;
            let agent = caps.name("agent").map(|m| m.as_str()).filter(|a| !a.is_empty())?;
            let session = caps
                .name("session")
                .map(|m| m.as_str().to_string())
                .filter(|s| !s.is_empty());
            Some((agent.to_string(), session))
        })
    }

    /// The endpoint resource a network address (`HOST:PORT`) belongs to, if one is declared.
    /// Whether `resource` lies on an endpoint the policy marks `production = true` (its first
    /// path segment, or the whole resource, names the endpoint).
    pub fn is_production(&self, resource: &str) -> bool {
        let server = resource.split('/').next().unwrap_or(resource);
        self.endpoints
            .iter()
            .any(|e| e.production && (e.resource == server || e.resource == resource))
    }

    pub fn endpoint_for(&self, address: &str) -> Option<&str> {
        self.endpoints
            .iter()
            .find(|e| {
                e.addresses
                    .iter()
                    .any(|a| pattern::glob(a.as_bytes(), address.as_bytes()))
            })
            .map(|e| e.resource.as_str())
    }
}

crate::vocabulary! {
    /// The policy rule an access violates.
    pub enum Violation {
        /// A read-only grant, and the access can change state.
        ReadOnly = "read_only_violation",
        /// An explicit `access = "none"` on the resource.
        NoAccess = "no_access_violation",
        /// A write-only grant, and the access reads.
        WriteOnly = "write_only_violation",
        DenyRead = "deny_read_violation",
        DenyWrite = "deny_write_violation",
        DenyDdl = "deny_ddl_violation",
        DenyRole = "deny_role_violation",
        DenyFunction = "deny_function_violation",
        DenyExec = "deny_exec_violation",
        DenyNetwork = "deny_network_violation",
        /// The agent's block has no rule for the resource.
        UnlistedResource = "unlisted_resource",
        /// The agent has no block and there is no default block.
        #[default]
        UnknownAgent = "unknown_agent",
    }
}

impl Violation {
    /// The violation of a `deny` list naming `class`.
    pub fn denied(class: Class) -> Violation {
        match class {
            Class::Read => Violation::DenyRead,
            Class::Write => Violation::DenyWrite,
            Class::Ddl => Violation::DenyDdl,
            Class::Role => Violation::DenyRole,
            Class::Function => Violation::DenyFunction,
            Class::Exec => Violation::DenyExec,
            Class::Network => Violation::DenyNetwork,
        }
    }
}

impl AgentBlock {
    /// The rule that covers `resource` most specifically; the first declared wins a tie.
    pub fn most_specific(&self, resource: &str) -> Option<&Rule> {
        let mut best: Option<(pattern::Specificity, &Rule)> = None;
        for rule in &self.rules {
            if let Some(spec) = pattern::covers(&rule.pattern, resource)
                && best.as_ref().is_none_or(|(b, _)| spec > *b)
            {
                best = Some((spec, rule));
            }
        }
        best.map(|(_, r)| r)
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

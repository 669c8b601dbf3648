//! Secret scanning of free text: the rules, and replacement by `[REDACTED:<rule>]`.
//!
//! Its own crate (agaudit-secrets) so that agaudit and the ebpf-capture companion apply the same
//! rules — capture redacts argv and paths before they are written — from one definition.
//!
//! Every text field agaudit writes passes through [`SecretScanner::scan`] last, whatever else
//! redacted it first. Rules are regular expressions over well-known credential shapes; a match is
//! replaced whole (or, for "key = value" rules, the value part) and counted per rule. A fast
//! combined pre-check keeps the common case — no secret at all — to one pass over the text.
//!
//! In: text. Out: the same text, or a redacted copy, and a count per rule into [`RuleCounts`].

use std::borrow::Cow;
use std::collections::BTreeMap;

use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

/// Lazy DFA cache per compiled rule set and thread.
const DFA_CACHE: usize = 32 << 20;

/// Redactions per rule name (also counts `sql_literal` and `bound_parameter`, see `redact`).
pub type RuleCounts = BTreeMap<&'static str, u64>;

struct Rule {
    name: &'static str,
    /// Replaced: the named group `secret` when present, else the whole match.
    re: &'static str,
    /// A check of a match in its context (the text before it, the secret): false keeps it. Only
    /// run on the rare texts the pattern matches, so the combined pre-check stays as cheap as
    /// the plain patterns make it.
    keep_if: Option<KeepIf>,
}

/// A rule's check of a match in its context (see [`Rule`]).
type KeepIf = fn(before: &str, matched: &str, secret: &str) -> bool;

/// A bare 40-character token is an AWS secret access key only when it mixes upper and lower
/// case letters and digits as those keys do (a quarter of them hold no `/` or `+`), which hex
/// digests and words do not.
fn looks_like_aws_secret(_before: &str, _matched: &str, secret: &str) -> bool {
    let has = |f: fn(&u8) -> bool| secret.as_bytes().iter().any(f);
    has(u8::is_ascii_uppercase) && has(u8::is_ascii_lowercase) && has(u8::is_ascii_digit)
}

/// `password = ?` or `= $1` in SQL binds a parameter: it is not a password.
fn not_a_placeholder(_before: &str, _matched: &str, secret: &str) -> bool {
    !(secret == "?" || (secret.starts_with('$') && secret.len() > 1 && secret[1..].bytes().all(|b| b.is_ascii_digit())))
}

/// A value named as a credential is one unless it is a placeholder, or the name is one of these
/// rules' own (`"sql_password": 3` counts redactions in agaudit's reports).
fn named_secret(before: &str, matched: &str, secret: &str) -> bool {
    let name = matched
        .trim_start_matches(['_', '"', '\''])
        .split(['"', '\'', '=', ':', ' ', '\t'])
        .next()
        .unwrap_or("");
    not_a_placeholder(before, matched, secret) && !RULES.iter().any(|r| r.name == name)
}

/// PASSWORD followed by a value is a password only in CREATE/ALTER ROLE/USER/GROUP (and USER
/// MAPPING options) of the same statement: `select password from account` names a column.
fn in_role_statement(before: &str, _matched: &str, _secret: &str) -> bool {
    static ROLE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let statement = before.rsplit(';').next().unwrap_or(before);
    ROLE.get_or_init(|| {
        Regex::new(&boundaries(r"(?i)\b(?:create|alter)\s+(?:role|user|group)\b")).expect("rule compiles")
    })
    .is_match(statement)
}

/// The capture groups a rule names the part to replace with (the whole match when none).
const SECRET_GROUPS: [&str; 7] = [
    "secret", "secret2", "secret3", "secret4", "secret5", "secret6", "secret7",
];

/// The rules, most specific first (a later rule never sees what an earlier one replaced).
const RULES: &[Rule] = &[
    Rule {
        name: "private_key",
        re: r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?s:.*?)(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\z)",
        keep_if: None,
    },
    Rule {
        name: "jwt",
        re: r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
        keep_if: None,
    },
    Rule {
        name: "aws_access_key_id",
        re: r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}\b",
        keep_if: None,
    },
    Rule {
        name: "aws_secret_access_key",
        re: r#"(?i)aws.{0,20}?(?:secret|private).{0,20}?['"\s:=]+(?P<secret>[A-Za-z0-9/+]{40})\b"#,
        keep_if: None,
    },
    Rule {
        name: "gcp_api_key",
        re: r"\bAIza[0-9A-Za-z_-]{35}\b",
        keep_if: None,
    },
    Rule {
        name: "gcp_service_account_key",
        re: r#""private_key_id"\s*:\s*"(?P<secret>[0-9a-f]{40})""#,
        keep_if: None,
    },
    Rule {
        name: "azure_storage_key",
        // Storage account keys and Service Bus / Event Hubs shared access keys in connection
        // strings.
        re: r"(?i)\b(?:AccountKey|SharedAccessKey)=(?P<secret>[A-Za-z0-9+/=]{20,})",
        keep_if: None,
    },
    Rule {
        name: "azure_sas_signature",
        re: r"(?i)[?&]sig=(?P<secret>[A-Za-z0-9%+/=]{20,})",
        keep_if: None,
    },
    Rule {
        name: "azure_client_secret",
        re: r"\b[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}\b",
        keep_if: None,
    },
    Rule {
        name: "github_token",
        re: r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b",
        keep_if: None,
    },
    Rule {
        name: "gitlab_token",
        re: r"\bgl(?:pat|dt|ptt|rt|cbt|soat|ffct)-[A-Za-z0-9_-]{20,}\b",
        keep_if: None,
    },
    Rule {
        name: "slack_token",
        re: r"\bxox[abposr]-[A-Za-z0-9-]{10,}",
        keep_if: None,
    },
    Rule {
        name: "slack_webhook",
        re: r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+",
        keep_if: None,
    },
    Rule {
        name: "anthropic_api_key",
        re: r"\bsk-ant-[A-Za-z0-9_-]{20,}",
        keep_if: None,
    },
    Rule {
        name: "openai_api_key",
        re: r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}",
        keep_if: None,
    },
    Rule {
        name: "stripe_key",
        re: r"\b(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{16,}",
        keep_if: None,
    },
    Rule {
        name: "sendgrid_api_key",
        re: r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}",
        keep_if: None,
    },
    Rule {
        name: "huggingface_token",
        re: r"\bhf_[A-Za-z0-9]{30,}",
        keep_if: None,
    },
    Rule {
        name: "npm_token",
        re: r"\bnpm_[A-Za-z0-9]{36,}",
        keep_if: None,
    },
    Rule {
        name: "pypi_token",
        re: r"\bpypi-AgE[A-Za-z0-9_-]{50,}",
        keep_if: None,
    },
    Rule {
        name: "google_oauth_token",
        re: r"\b(?:ya29\.[0-9A-Za-z_-]{20,}|GOCSPX-[0-9A-Za-z_-]{20,}|1//0[0-9A-Za-z_-]{30,})",
        keep_if: None,
    },
    Rule {
        name: "vendor_token",
        // Prefixed tokens of other services: Docker Hub, HashiCorp Vault and Terraform Cloud,
        // DigitalOcean, Shopify, Atlassian, Databricks, Grafana, Sentry, Postman, Linear,
        // Doppler, New Relic, Pulumi, Mailgun, Square, Twilio, age.
        re: r"\b(?:dckr_pat_[A-Za-z0-9_-]{20,}|hv[sbr]\.[A-Za-z0-9_-]{20,}|[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{40,}|do[opr]_v1_[a-f0-9]{64}|shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}|ATATT3[A-Za-z0-9_=-]{20,}|dapi[a-f0-9]{32}|glsa_[A-Za-z0-9]{32}_[a-f0-9]{8}|glc_[A-Za-z0-9+/]{32,}={0,2}|sntry[su]_[A-Za-z0-9+/=_]{20,}|PMAK-[a-f0-9]{24}-[a-f0-9]{34}|lin_api_[A-Za-z0-9]{40}|dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,}|NRAK-[A-Z0-9]{27}|pul-[a-f0-9]{40}|key-[a-f0-9]{32}|sq0(?:atp|csp)-[A-Za-z0-9_-]{22,}|SK[0-9a-fA-F]{32}|AGE-SECRET-KEY-1[A-Z0-9]{58})",
        keep_if: None,
    },
    Rule {
        name: "telegram_bot_token",
        re: r"\b[0-9]{8,10}:AA[A-Za-z0-9_-]{33}",
        keep_if: None,
    },
    Rule {
        name: "basic_auth",
        re: r"(?i)\bauthorization\s*[:=]\s*basic\s+(?P<secret>[A-Za-z0-9+/=._-]{4,})",
        keep_if: None,
    },
    Rule {
        name: "cookie",
        re: r"(?i)\b(?:set-)?cookie\s*:\s*(?P<secret>[^\r\n]+)",
        keep_if: None,
    },
    Rule {
        name: "bearer_token",
        re: r"(?i)\bbearer\s+(?P<secret>[A-Za-z0-9._~+/-]{8,}=*)",
        keep_if: None,
    },
    Rule {
        name: "header_credential",
        // HTTP headers that carry credentials, as curl -H, proxies and dumps write them (after
        // the Bearer, Basic and Cookie rules, which name their value better).
        re: r#"(?i)\b(?:x-api-key|api-key|apikey|x-auth-token|x-access-token|private-token|job-token|x-vault-token|x-goog-api-key|ocp-apim-subscription-key|(?:proxy-)?authorization)\s*:\s*(?:(?:token|digest|apikey|sso-key|key|negotiate|ntlm)\s+)?(?P<secret>[^\s"',;\[][^\s"',;]*)"#,
        keep_if: None,
    },
    Rule {
        name: "uri_password",
        re: r"\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:(?P<secret>[^@\s]+)@",
        keep_if: None,
    },
    Rule {
        name: "connection_password",
        re: r#"(?i)\b(?:password|passwd|pwd)\s*=\s*(?P<secret>'[^']*'?|"[^"]*"?|[^\s;'"]+)"#,
        keep_if: Some(not_a_placeholder),
    },
    Rule {
        name: "sql_password",
        re: r#"(?i)\bpassword\s+(?P<secret>'[^']*'?|"[^"]*"?|[^\s;'"<,)]+)"#,
        keep_if: Some(in_role_statement),
    },
    Rule {
        name: "url_credential",
        // In a query string, or percent-encoded inside another URL (a redirect target).
        re: r#"(?i)(?:[?&;]|%3F|%26|%3B)(?:access_token|refresh_token|id_token|api_?key|apikey|auth|authorization|client_secret|code|key|password|passwd|pwd|secret|sig|signature|session|sessionid|token|x-amz-signature|x-amz-credential|x-amz-security-token)(?:=(?P<secret>[^&\s#"'<>]+)|%3D(?P<secret2>(?:[A-Za-z0-9._~+/=-]|%(?:[013-9A-Fa-f][0-9A-Fa-f]|2[0-57-9A-Fa-f]))+))"#,
        keep_if: None,
    },
    Rule {
        name: "argv_credential",
        // --password=X, --token X, --api-key=X … as command lines carry them; -u USER:PW and
        // --user=USER:PW (curl, wget), glued or not.
        re: r"(?i)(?:(?:^|\s)--?(?:password|passwd|pass|token|secret|api[-_]?key|access[-_]?key|secret[-_]?key|auth[-_]?token|client[-_]?secret|private[-_]?key|credentials?)(?:=|\s+)(?P<secret>[^\s]+)|(?:^|\s)(?:-u\s*|--user(?:=|\s+))[^\s:]+:(?P<secret2>[^\s]+))",
        keep_if: None,
    },
    Rule {
        name: "tool_password",
        // Tools with a password option of their own: -pPW / -p PW of the MySQL clients and
        // sshpass, redis-cli -a PW, `docker login -p PW` (podman, helm, skopeo alike), openssl's
        // -k PW and -passin/-passout pass:PW, htpasswd's password argument, `vault login TOKEN`.
        re: r"(?:\b(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump|sshpass)\b[^\n]*?\s-p\s*(?P<secret>[^\s]+)|\bredis-cli\b[^\n]*?\s-a\s+(?P<secret2>[^\s]+)|\b(?:docker|podman|helm|skopeo|buildah|nerdctl)\b[^\n]*?\blogin\b[^\n]*?\s-p\s+(?P<secret3>[^\s]+)|\bopenssl\b[^\n]*?\s-k\s+(?P<secret4>[^\s]+)|(?:^|\s)-pass(?:in|out)?\s+pass:(?P<secret5>[^\s]+)|\bhtpasswd\b(?:\s+-[^\s]+)+\s+[^\s]+\s+[^\s]+\s+(?P<secret6>[^\s]+)|\bvault\s+login\s+(?:-[^\s]+\s+)*(?P<secret7>[^\s=-][^\s=]*)(?:\s|$))",
        keep_if: None,
    },
    Rule {
        name: "named_credential",
        // A value assigned to a name that says it is a credential: PGPASSWORD=…, DB_PASS=…,
        // GITHUB_TOKEN=…, client_secret=…, "password": "…", api_key: … — environment
        // assignments, JSON, YAML, config files.
        re: r#"(?i)\b[a-z0-9_]*?(?:password|passwd|pass|pwd|secret|token|api_?key|apikey|access_?key|private_?key|credentials?)["']?\s*[=:]\s*["']?(?P<secret>[^\s&;,'"<>\[\]{}()][^\s&;,'"<>\]{}()]*)"#,
        keep_if: Some(named_secret),
    },
    Rule {
        name: "password_file",
        // The password of a .netrc entry (`machine H login U password PW`) and of a .pgpass
        // line (`host:port:database:user:password`), as a `cat` of either shows them.
        re: r"(?m)\bmachine\s+[^\s]+\s+(?:login\s+[^\s]+\s+)?password\s+(?P<secret>[^\s]+)|^[^\s:#]+:(?:[0-9]{1,5}|\*):[^\s:]+:[^\s:]+:(?P<secret2>[^\s]+)$",
        keep_if: None,
    },
    Rule {
        name: "aws_secret_access_key",
        // Without "aws" nearby: 40 characters of the key's alphabet, standing alone, with upper
        // and lower case letters and a digit (not a hex digest, not a word).
        re: r"(?:^|[^A-Za-z0-9/+=])(?P<secret>[A-Za-z0-9/+]{40})(?:$|[^A-Za-z0-9/+=])",
        keep_if: Some(looks_like_aws_secret),
    },
    Rule {
        name: "email",
        re: r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b",
        keep_if: None,
    },
];

/// Names of every rule, for reports and documentation.
pub fn rule_names() -> impl Iterator<Item = &'static str> {
    RULES.iter().map(|r| r.name)
}

/// The compiled rules. Build once ([`SecretScanner::new`]) and share.
pub struct SecretScanner {
    any: RegexSet,
    rules: Vec<(&'static str, Regex, Option<KeepIf>)>,
}

impl Default for SecretScanner {
    fn default() -> Self {
        Self::new()
    }
}

/// A rule with the boundaries secrets have. Each `\b` becomes an ASCII word boundary or an
/// underscore:
/// - ASCII, because a Unicode `\b` cannot be decided by the regex crate's fast engines on text
///   holding any non-ASCII character: every such text (a statement naming a table in Chinese, a
///   UTF-8 message) fell back to its slowest engine — fuzzing found the scan taking two thirds
///   of the time on such input. Secrets are ASCII; an ASCII boundary only ever finds more of
///   them (a letter like é counts as a boundary).
/// - or an underscore, because names are glued with one: PostgreSQL names a table's index
///   `<table>_pkey` and its sequence `<table>_id_seq`, and people name things `backup_<key>`;
///   to `\b` an underscore is a letter, and a key so glued was kept. The underscore is taken
///   into the match (replaced with the secret when the rule has no `secret` group).
fn boundaries(re: &str) -> String {
    re.replace(r"\b", r"(?:(?-u:\b)|_)")
}

impl SecretScanner {
    pub fn new() -> Self {
        // The patterns are constants checked by the tests below; failing to compile one is a
        // programming error, not an input error.
        // The set of every rule is one lazy DFA: with the default cache (2 MiB) its states were
        // thrown away and rebuilt over and over on varied text (a third of OTLP ingest's time in
        // regex determinization); the cache is per thread and reused, so a larger one costs
        // memory once.
        let any = RegexSetBuilder::new(RULES.iter().map(|r| boundaries(r.re)))
            .dfa_size_limit(DFA_CACHE)
            .build()
            .expect("secret rules compile");
        let rules = RULES
            .iter()
            .map(|r| {
                (
                    r.name,
                    RegexBuilder::new(&boundaries(r.re))
                        .dfa_size_limit(DFA_CACHE)
                        .build()
                        .expect("secret rule compiles"),
                    r.keep_if,
                )
            })
            .collect();
        SecretScanner { any, rules }
    }

    /// `text` with every secret replaced by `[REDACTED:<rule>]`, counting per rule.
    pub fn scan<'a>(&self, text: &'a str, counts: &mut RuleCounts) -> Cow<'a, str> {
        // is_match stops at the first hit and is much cheaper than collecting every rule.
        if !self.any.is_match(text) {
            return Cow::Borrowed(text);
        }
        let hits = self.any.matches(text);
        let mut out = text.to_string();
        for (idx, (name, re, keep_if)) in self.rules.iter().enumerate() {
            // A rule that did not match the original may match after an earlier replacement
            // shortened the text only if it matched before, so the set's answer is enough.
            if !hits.matched(idx) {
                continue;
            }
            let mut n = 0u64;
            let text = out.clone();
            let replaced = re.replace_all(&out, |caps: &regex::Captures| {
                let whole = caps.get(0).map_or("", |m| m.as_str());
                // A rule with alternatives names each one's value secret, secret2, …
                let part = SECRET_GROUPS.iter().find_map(|g| caps.name(g));
                if let Some(keep) = keep_if {
                    let start = caps.get(0).map_or(0, |m| m.start());
                    let secret = part.map_or(whole, |m| m.as_str());
                    if !keep(&text[..start], whole, secret) {
                        return whole.to_string();
                    }
                }
                n += 1;
                match part {
                    Some(secret) => {
                        let start = secret.start() - caps.get(0).map_or(0, |m| m.start());
                        format!("{}[REDACTED:{name}]{}", &whole[..start], &whole[start + secret.len()..])
                    }
                    None => format!("[REDACTED:{name}]"),
                }
            });
            if n > 0 {
                out = replaced.into_owned();
                *counts.entry(name).or_insert(0) += n;
            }
        }
        Cow::Owned(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(s: &str) -> (String, RuleCounts) {
        let mut c = RuleCounts::new();
        let out = SecretScanner::new().scan(s, &mut c).into_owned();
        (out, c)
    }

    #[test]
    fn secrets_next_to_non_ascii_text_are_found() {
        // Word boundaries are ASCII: a letter like é or 表 before a key is a boundary too.
        let (out, _) = scan("表 AKIAABCDEFGHIJKLMNOP é ghp_abcdefghijklmnopqrstuvwxyz0123456789");
        assert!(
            !out.contains("AKIAABCDEFGHIJKLMNOP") && !out.contains("ghp_abc"),
            "{out}"
        );
        let (out, _) = scan("éAKIAABCDEFGHIJKLMNOP");
        assert!(!out.contains("AKIAABCDEFGHIJKLMNOP"), "{out}");
    }

    #[test]
    fn secrets_glued_by_underscores_are_found() {
        // PostgreSQL's own names for a table's index and sequence, a backup copy's name.
        for text in [
            "ghp_0123456789abcdefghijABCDEFGHIJ012345_pkey",
            "AKIAZ7VQXHNP3EXAMPLE_id_seq",
            "backup_AKIAZ7VQXHNP3EXAMPLE",
            "idx_sk_live_0123456789abcdefABCDEF_email",
        ] {
            let (out, _) = scan(text);
            assert!(
                !out.contains("0123456789abcdefghij")
                    && !out.contains("Z7VQXHNP3")
                    && !out.contains("0123456789abcdef"),
                "{text} → {out}"
            );
        }
        // Not a boundary: a key glued to letters or digits is not a key.
        assert_eq!(scan("xAKIAZ7VQXHNP3EXAMPLE").0, "xAKIAZ7VQXHNP3EXAMPLE");
    }

    #[test]
    fn each_rule_redacts_its_shape() {
        let cases = [
            (
                "key AKIAZ7VQXHNP3EXAMPLE here",
                "AKIAZ7VQXHNP3EXAMPLE",
                "aws_access_key_id",
            ),
            (
                "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "aws_secret_access_key",
            ),
            (
                "AIzaSyA1234567890abcdefghijklmnopqrstuv",
                "AIzaSyA1234567890abcdefghijklmnopqrstuv",
                "gcp_api_key",
            ),
            (
                "tok ghp_0123456789abcdefghijABCDEFGHIJ012345 x",
                "ghp_0123456789abcdefghijABCDEFGHIJ012345",
                "github_token",
            ),
            (
                "glpat-abcdefghij0123456789",
                "glpat-abcdefghij0123456789",
                "gitlab_token",
            ),
            (
                "xoxb-1234567890-abcdefghij",
                "xoxb-1234567890-abcdefghij",
                "slack_token",
            ),
            (
                "sk-ant-api03-abcdefghijklmnopqrstuvwx",
                "sk-ant-api03-abcdefghijklmnopqrstuvwx",
                "anthropic_api_key",
            ),
            (
                "sk-proj-abcdefghijklmnopqrstuvwx",
                "sk-proj-abcdefghijklmnopqrstuvwx",
                "openai_api_key",
            ),
            (
                "Authorization: Bearer abc.def-ghi_jkl",
                "abc.def-ghi_jkl",
                "bearer_token",
            ),
            (
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig",
                "eyJzdWIiOiIxMjM0NTY3ODkwIn0",
                "jwt",
            ),
            ("postgres://bob:s3cr3t@db:5432/x", "s3cr3t", "uri_password"),
            (
                "host=db user=bob password=s3cr3t dbname=x",
                "s3cr3t",
                "connection_password",
            ),
            (
                "ALTER ROLE bob PASSWORD 'Pl4nted-Hunter2'",
                "Pl4nted-Hunter2",
                "sql_password",
            ),
            ("mail dana.planted@example.org now", "dana.planted@example.org", "email"),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----",
                "MIIB",
                "private_key",
            ),
            (
                "charge sk_live_4eC39HqLyjWDarjtT1zdp7dc",
                "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
                "stripe_key",
            ),
            (
                "restricted rk_test_51H8abcdefghijklmnop",
                "rk_test_51H8abcdefghijklmnop",
                "stripe_key",
            ),
            (
                "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",
                "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",
                "sendgrid_api_key",
            ),
            (
                "hf_abcdefghijklmnopqrstuvwxyzABCDEFGH",
                "hf_abcdefghijklmnopqrstuvwxyzABCDEFGH",
                "huggingface_token",
            ),
            (
                "npm_abcdefghijklmnopqrstuvwxyz0123456789",
                "npm_abcdefghijklmnopqrstuvwxyz0123456789",
                "npm_token",
            ),
            (
                "pypi-AgEIcHlwaS5vcmcCJGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6MDEyMzQ1Njc4OQ",
                "pypi-AgEIcHlwaS5vcmcCJGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6MDEyMzQ1Njc4OQ",
                "pypi_token",
            ),
            (
                "tok ya29.a0AfH6SMBabcdefghijklmnopqrst",
                "ya29.a0AfH6SMBabcdefghijklmnopqrst",
                "google_oauth_token",
            ),
            (
                "dckr_pat_abcdefghijklmnopqrstuvw",
                "dckr_pat_abcdefghijklmnopqrstuvw",
                "vendor_token",
            ),
            (
                "VAULT_TOKEN=hvs.CAESIabcdefghijklmnopqrstuv",
                "hvs.CAESIabcdefghijklmnopqrstuv",
                "vendor_token",
            ),
            (
                "shpat_0123456789abcdef0123456789abcdef",
                "shpat_0123456789abcdef0123456789abcdef",
                "vendor_token",
            ),
            (
                "bot 1234567890:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw9",
                "1234567890:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw9",
                "telegram_bot_token",
            ),
            (
                "Authorization: Basic dXNlcjpwYXNzd29yZA==",
                "dXNlcjpwYXNzd29yZA==",
                "basic_auth",
            ),
            (
                "Cookie: session=abc123; csrftoken=xyz789",
                "session=abc123; csrftoken=xyz789",
                "cookie",
            ),
            ("GET /export?format=csv&api_key=Zx81mQp", "Zx81mQp", "url_credential"),
            (
                "https://x.example/cb?access_token=eyAbc123&state=1",
                "eyAbc123",
                "url_credential",
            ),
            ("curl --token=tkn8812xyz https://x", "tkn8812xyz", "argv_credential"),
            ("deploy --password hunter2x", "hunter2x", "argv_credential"),
            ("curl -u admin:p4ssw0rd https://x", "p4ssw0rd", "argv_credential"),
            ("mysql -h db -u root -pS3cretPw db", "S3cretPw", "tool_password"),
            ("curl -uadmin:Pw8812x https://x", "Pw8812x", "argv_credential"),
            ("wget --user=admin:Pw8813x https://x", "Pw8813x", "argv_credential"),
            ("sshpass -p Pw8814x ssh host", "Pw8814x", "tool_password"),
            ("redis-cli -h r -a Pw8815x ping", "Pw8815x", "tool_password"),
            (
                "docker login -u bob -p Pw8816x registry.example",
                "Pw8816x",
                "tool_password",
            ),
            ("openssl enc -aes256 -k Pw8817x -in f", "Pw8817x", "tool_password"),
            ("openssl pkcs12 -passin pass:Pw8818x -in f", "Pw8818x", "tool_password"),
            ("htpasswd -b -c /etc/h bob Pw8819x", "Pw8819x", "tool_password"),
            ("vault login s.Pw8820xToken", "s.Pw8820xToken", "tool_password"),
            ("env PGPASSWORD=Pw8821x psql", "Pw8821x", "named_credential"),
            ("DD_API_KEY=Pw8822x ./agent", "Pw8822x", "named_credential"),
            (r#"{"user":"bob","password":"Pw8823x"}"#, "Pw8823x", "named_credential"),
            ("client_secret: Pw8824x", "Pw8824x", "named_credential"),
            (
                "machine api.example.com login svc password Pw8825x",
                "Pw8825x",
                "password_file",
            ),
            ("db.internal:5432:app:svc:Pw8826x", "Pw8826x", "password_file"),
            ("x\n*:*:*:replicator:Pw8827x\n", "Pw8827x", "password_file"),
            (r#"{"SecretAccessKey": "Pw8825xyz"}"#, "Pw8825xyz", "named_credential"),
            ("curl -H 'X-Api-Key: Pw8826x' https://x", "Pw8826x", "header_credential"),
            ("PRIVATE-TOKEN: Pw8827x", "Pw8827x", "header_credential"),
            ("Authorization: Token Pw8828x", "Pw8828x", "header_credential"),
            (
                "https://sso.example/login?next=%2Fcb%3Faccess_token%3DPw8829x%26state%3D1",
                "Pw8829x",
                "url_credential",
            ),
            (
                "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=r;SharedAccessKey=Pw8830xPw8830xPw8830x=",
                "Pw8830xPw8830xPw8830x=",
                "azure_storage_key",
            ),
            (
                "key wJalrXUtnFEMI7K7MDENG0bPxRfiCYEXAMPLEKEY here",
                "wJalrXUtnFEMI7K7MDENG0bPxRfiCYEXAMPLEKEY",
                "aws_secret_access_key",
            ),
            (
                "key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY here",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "aws_secret_access_key",
            ),
            ("postgres://bob:s3c/r3t@db:5432/x", "s3c/r3t", "uri_password"),
        ];
        for (input, secret, rule) in cases {
            let (out, counts) = scan(input);
            assert!(!out.contains(secret), "{rule}: {out}");
            assert!(out.contains(&format!("[REDACTED:{rule}]")), "{rule}: {out}");
            assert_eq!(counts.get(rule), Some(&1), "{rule}");
        }
    }

    #[test]
    fn agent_session_names_and_plain_sql_are_untouched() {
        for s in [
            "reporting-assistant@s3f1",
            "select * from finance.invoices where id = ?",
            "pgaudit",
            // pgAudit's README example, and the users.password columns found everywhere.
            "select password from account",
            "SELECT u.password, u.password_hash FROM users u WHERE password IS NOT NULL",
            "update account set password = ? where id = ?",
            "update account set api_key = $1, token = $2 where id = $3",
            // Names that merely contain a credential word, and options that take no password.
            "token_count: 5 max_tokens=100 tokens: 3",
            "SET password_encryption = ?",
            r#"{"token_type": "bearer", "expires_in": 3600}"#,
            "curl -k https://example.org/x",
            "mysql -uroot reporting",
            "apt update && vault status",
            "gen_ai.usage.input_tokens",
            // agaudit's own counts per rule.
            r#"{"sql_password": 3, "connection_password": 1, "tool_password": 2}"#,
        ] {
            assert_eq!(scan(s).0, s);
        }
        let (out, _) = scan("CREATE USER app WITH LOGIN ENCRYPTED PASSWORD 'Pl4nted' VALID UNTIL 'x'");
        assert!(!out.contains("Pl4nted"), "{out}");
        let (out, _) = scan("create user mapping for app server s options (user 'u', password 'Pl4nted')");
        assert!(!out.contains("Pl4nted"), "{out}");
    }

    #[test]
    fn pgaudit_own_redaction_is_left_alone() {
        assert_eq!(
            scan("ALTER ROLE bob PASSWORD <REDACTED>").0,
            "ALTER ROLE bob PASSWORD <REDACTED>"
        );
    }
}

//! What every man page says beyond the options: the exit codes, the environment, and examples.
//!
//! Declared once here and rendered into man/*.1 by the man-page test (BLESS=1 regenerates
//! them), so the pages, `--help` and the code cannot drift apart: the exit codes are the
//! constants the commands return, the variables the ones they read.
//!
//! In: a command's name. Out: roff sections to append to its page.

use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};

/// The one exit-code table (../shared/DESIGN.md, README): when a run meets several outcomes the
/// highest code wins.
pub const EXIT_STATUS: &[(u8, &str)] = &[
    (EXIT_OK, "done: all input used, nothing to report"),
    (
        EXIT_FINDINGS,
        "done, and something needs attention: a violation that went through, a finding at or above --fail-on, a policy with errors, evidence that does not verify",
    ),
    (
        EXIT_ERROR,
        "usage or input error: bad arguments, a file that could not be read, recognised or used, something that is not a bundle",
    ),
];

/// The environment variables agaudit reads, and what for.
pub const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "AGAUDIT_CASE",
        "the case directory when --case is not given (default agaudit-case)",
    ),
    (
        "AGAUDIT_KEY",
        "the secret key file when --key is not given (correlate, diff, checkpoint, prove, export)",
    ),
    (
        "AGAUDIT_KEY_PASSWORD",
        "the secret key's password when --password-file is not given",
    ),
    (
        "AGAUDIT_LOCK_WAIT",
        "seconds to wait for another agaudit process to release the case (default 120)",
    ),
    (
        "USER, LOGNAME",
        "who is looking, for a view's ledger record, when --as is not given",
    ),
];

/// Examples for a command (`agaudit` itself for the top page): (what it does, the command).
pub fn examples(command: &str) -> &'static [(&'static str, &'static str)] {
    match command {
        "agaudit" => &[
            ("See everything at once on embedded data", "agaudit demo"),
            (
                "Ingest an estate's logs into a case",
                "agaudit ingest --case case/ pg.log traces.jsonl tools.json",
            ),
            (
                "Judge the actions against a policy",
                "agaudit correlate --case case/ --policy agents.hcl",
            ),
            (
                "Export a signed bundle and verify it",
                "agaudit export --case case/ --key me.key --out case.tar && agaudit verify case.tar --pubkey me.pub",
            ),
        ],
        "demo" => &[(
            "Run the demo into a directory of your choice",
            "agaudit demo --case /tmp/demo",
        )],
        "ingest" => &[
            (
                "Ingest PostgreSQL logs and OTLP traces, naming the server",
                "agaudit ingest --case case/ --label server=prod-db postgresql.log traces.jsonl",
            ),
            (
                "Say the log_line_prefix and time zone instead of inferring them",
                "agaudit ingest --case case/ --pg-prefix '%m [%p] ' --log-timezone Europe/Paris pg.log",
            ),
        ],
        "policy" => &[("Check a policy before using it", "agaudit policy check agents.hcl")],
        "correlate" => &[(
            "Correlate and sign a checkpoint of the ledger",
            "agaudit correlate --case case/ --policy agents.hcl --key me.key",
        )],
        "diff" => &[
            (
                "Tools that said one thing and did another; exit 1 from medium up",
                "agaudit diff --case case/ --fail-on medium",
            ),
            (
                "The same on a read-only copy, without recording the view",
                "agaudit diff --case /mnt/evidence/case --no-record",
            ),
        ],
        "map" => &[(
            "The access map of agents named report*",
            "agaudit map --case case/ --agent 'report*'",
        )],
        "inventory" => &[(
            "Every agent, shared principal and source, as JSON",
            "agaudit inventory --case case/ --json",
        )],
        "log" => &[
            (
                "Refused actions of one agent in the last day",
                "agaudit log --case case/ --agent reporting-assistant --outcome deny --since 24h",
            ),
            (
                "Check the ledger against the signed checkpoints an auditor holds",
                "agaudit log --case case/ --pubkey me.pub --checkpoint cp-2026-06.txt",
            ),
        ],
        "checkpoint" => &[(
            "Sign the ledger's current state",
            "agaudit checkpoint --case case/ --key me.key",
        )],
        "prove" => &[(
            "Prove one action is in the signed ledger",
            "agaudit prove --case case/ --action 3f2a… --out action.proof",
        )],
        "keygen" => &[("A password-protected key pair", "agaudit keygen --out me")],
        "report" => &[(
            "A page for the auditor, with the bundle's verification",
            "agaudit report --case case/ --out case.html --bundle case.tar --pubkey signer.pub",
        )],
        "timeline" => &[
            (
                "A Timesketch import of one agent's last week",
                "agaudit timeline --case case/ --format timesketch --agent reporting-assistant --since 7d --out week.csv",
            ),
            (
                "OCSF events for a SIEM",
                "agaudit timeline --case case/ --format ocsf --out case.ocsf.jsonl",
            ),
        ],
        "export" => &[(
            "A bundle of one agent's June",
            "agaudit export --case case/ --key me.key --out june.tar --agent reporting-assistant --since 2026-06-01 --until 2026-07-01",
        )],
        "verify" => &[
            (
                "Verify a bundle with the signer's public key",
                "agaudit verify case.tar --pubkey signer.pub",
            ),
            (
                "Verify that a newer bundle extends an older one",
                "agaudit verify july.tar --pubkey signer.pub --against june.tar",
            ),
        ],
        _ => &[],
    }
}

/// The EXIT STATUS, ENVIRONMENT and EXAMPLES sections for `command`'s page, in roff.
pub fn roff_sections(command: &str) -> String {
    let mut out = String::from(".SH \"EXIT STATUS\"\n");
    for (code, meaning) in EXIT_STATUS {
        out.push_str(&format!(".TP\n\\fB{code}\\fR\n{}\n", escape(meaning)));
    }
    out.push_str(".SH ENVIRONMENT\n");
    for (var, meaning) in ENVIRONMENT {
        out.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", escape(var), escape(meaning)));
    }
    let examples = examples(command);
    if !examples.is_empty() {
        out.push_str(".SH EXAMPLES\n");
        for (what, cmd) in examples {
            out.push_str(&format!(
                ".PP\n{}\n.PP\n.RS 4\n.nf\n\\fB{}\\fR\n.fi\n.RE\n",
                escape(what),
                escape(cmd)
            ));
        }
    }
    out
}

/// Text safe in roff: backslashes and hyphens escaped, no line starting with a control dot.
fn escape(s: &str) -> String {
    let e = s.replace('\\', "\\e").replace('-', "\\-");
    if e.starts_with(['.', '\'']) {
        format!("\\&{e}")
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command has examples, and every example names its own command.
    #[test]
    fn every_command_has_examples_of_itself() {
        for sub in super::super::command().get_subcommands() {
            let name = sub.get_name();
            let ex = examples(name);
            assert!(!ex.is_empty(), "{name} has no examples");
            assert!(
                ex.iter().all(|(_, c)| c.starts_with(&format!("agaudit {name}"))),
                "{name}"
            );
        }
        assert!(roff_sections("log").contains(".SH \"EXIT STATUS\""));
        assert_eq!(escape(".x-y"), "\\&.x\\-y");
    }
}

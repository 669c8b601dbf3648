//! What a PostgreSQL log message means for the audit: a pgAudit entry, a refused or failed
//! statement, or another kind of line to count.
//!
//! pgAudit writes `AUDIT: AUDIT_TYPE,STATEMENT_ID,SUBSTATEMENT_ID,CLASS,COMMAND,OBJECT_TYPE,
//! OBJECT_NAME,STATEMENT,PARAMETER[,ROWS]` as CSV (a field is quoted only when it must be), with
//! `<not logged>` / `<previously logged>` in place of STATEMENT and PARAMETER, `<none>` for a
//! statement without parameters, and PARAMETER itself a CSV list. A statement the database
//! refuses has no AUDIT entry at all: only an ERROR with its SQLSTATE and the statement. Both
//! become [`DbEvent`]s here, redacted; everything else is counted by kind.
//!
//! In: a [`Message`] from any of the three log formats. Out: a [`Classified`] value.

use std::borrow::Cow;

use crate::ingest::csv;
use crate::ingest::pgaudit::Message;
use crate::redact::{self, RuleCounts, sql};
use crate::table::db_events::{DbEvent, DbOutcome, StatementState};

/// What one message turned out to be.
#[derive(Debug)]
// Not boxed: one row per message, moved straight into the builder; a box would be one more
// allocation per row.
#[allow(clippy::large_enum_variant)]
pub enum Classified<'m> {
    /// A pgAudit entry (outcome ok).
    Audit(DbEvent<'m>),
    /// An ERROR/FATAL with a statement: refused or failed (see [`error_outcome`]).
    Error(DbEvent<'m>),
    /// Any other line, counted under this kind.
    Other(&'static str),
    /// Malformed: quarantined with this reason.
    Invalid(AuditError),
}

/// Classifies one message; the row borrows its text (the db_events builder redacts it).
pub fn classify<'m>(msg: &'m Message<'_>, counts: &mut RuleCounts) -> Classified<'m> {
    let text: &str = &msg.text;
    if let Some(record) = text.strip_prefix("AUDIT: ") {
        return match parse_audit(record, msg, counts) {
            Ok(ev) => Classified::Audit(ev),
            Err(reason) => Classified::Invalid(reason),
        };
    }
    match msg.severity {
        "ERROR" | "FATAL" | "PANIC" => match &msg.statement {
            Some(stmt) => Classified::Error(error_event(msg, stmt)),
            None => Classified::Other(if msg.severity == "ERROR" {
                "error_without_statement"
            } else {
                "fatal"
            }),
        },
        "LOG" => Classified::Other(log_kind(text)),
        "WARNING" => Classified::Other("warning"),
        "NOTICE" => Classified::Other("notice"),
        "INFO" => Classified::Other("info"),
        s if s.starts_with("DEBUG") => Classified::Other("debug"),
        // A DETAIL/STATEMENT/... line whose primary message is not in this file.
        _ => Classified::Other("followup_without_primary"),
    }
}

fn log_kind(text: &str) -> &'static str {
    const KINDS: &[(&str, &str)] = &[
        ("connection received", "connection_received"),
        ("connection authorized", "connection_authorized"),
        ("connection authenticated", "connection_authorized"),
        ("disconnection", "disconnection"),
        ("checkpoint", "checkpoint"),
        ("restartpoint", "checkpoint"),
        ("statement: ", "statement"),
        ("execute ", "statement"),
        ("duration: ", "duration"),
        ("automatic vacuum", "autovacuum"),
        ("automatic analyze", "autovacuum"),
        ("database system", "server_lifecycle"),
        ("starting PostgreSQL", "server_lifecycle"),
        ("listening on", "server_lifecycle"),
        ("received ", "server_lifecycle"),
        ("shutting down", "server_lifecycle"),
        ("background worker", "server_lifecycle"),
        ("parameter \"", "configuration"),
        ("configuration file", "configuration"),
    ];
    KINDS
        .iter()
        .find(|(p, _)| text.starts_with(p))
        .map_or("log_other", |(_, k)| k)
}

/// The identity columns every row shares (the db_events builder redacts each as its column's
/// class says).
fn identity<'m>(msg: &'m Message<'_>) -> DbEvent<'m> {
    let text = |v: &'m Option<Cow<'_, str>>| v.as_deref().map(Cow::Borrowed);
    let application_name = text(&msg.application_name);
    let (agent, session) = split_agent_session(msg.application_name.as_deref());
    DbEvent {
        ts: msg.ts,
        source_line: msg.line,
        // A record that shares its line with the one before (a compact JSON document) still
        // spans that line.
        source_lines: msg.lines.max(1),
        server: text(&msg.server),
        db_user: text(&msg.db_user),
        database: text(&msg.database),
        agent: agent.map(Cow::Borrowed),
        session: session.map(Cow::Borrowed),
        application_name,
        backend_pid: msg.backend_pid,
        session_id: text(&msg.session_id),
        client_addr: text(&msg.client_addr),
        statement_state: StatementState::Logged,
        outcome: DbOutcome::Ok,
        ..Default::default()
    }
}

/// `AGENT@SESSION` → (agent, session); anything else → (None, None).
pub fn split_agent_session(app: Option<&str>) -> (Option<&str>, Option<&str>) {
    match app.and_then(|a| a.split_once('@')) {
        Some((agent, session)) if !agent.is_empty() && !session.is_empty() => (Some(agent), Some(session)),
        _ => (None, None),
    }
}

/// Why an AUDIT message is not a pgAudit record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    #[error("malformed pgAudit record: {0}")]
    Csv(#[from] csv::CsvError),
    #[error("malformed pgAudit record: expected 9 fields (10 with pgaudit.log_rows), found {0}")]
    Fields(usize),
    #[error("malformed pgAudit record: {field} must be an integer, found '{found}'")]
    NotInteger { field: &'static str, found: String },
}

fn parse_audit<'m>(record: &'m str, msg: &'m Message<'_>, counts: &mut RuleCounts) -> Result<DbEvent<'m>, AuditError> {
    let mut f = csv::fields(record)?;
    if f.len() != 9 && f.len() != 10 {
        return Err(AuditError::Fields(f.len()));
    }
    let int = |i: usize, field: &'static str| -> Result<i64, AuditError> {
        f[i].parse().map_err(|_| AuditError::NotInteger {
            field,
            found: short(&f[i]),
        })
    };
    let statement_id = int(1, "STATEMENT_ID")?;
    let substatement_id = int(2, "SUBSTATEMENT_ID")?;
    let rows = if f.len() == 10 { Some(int(9, "ROWS")?) } else { None };
    let mut ev = identity(msg);
    let mut nonempty = |i: usize| Some(std::mem::take(&mut f[i])).filter(|s| !s.is_empty());
    ev.audit_type = nonempty(0);
    ev.class = nonempty(3);
    ev.command = nonempty(4);
    ev.object_type = nonempty(5);
    ev.object_name = nonempty(6);
    ev.statement_id = Some(statement_id);
    ev.substatement_id = Some(substatement_id);
    ev.rows = rows;
    match &*f[7] {
        "<not logged>" => ev.statement_state = StatementState::NotLogged,
        "<previously logged>" => ev.statement_state = StatementState::PreviouslyLogged,
        stmt => {
            trace_context(stmt, &mut ev);
            ev.statement = Some(std::mem::take(&mut f[7]));
        }
    }
    ev.parameter_count = match &*f[8] {
        "<not logged>" | "<previously logged>" => None,
        "<none>" => Some(0),
        list => {
            let n = csv::fields(list).map_or(1, |v| v.len()) as i32;
            *counts.entry(redact::BOUND_PARAMETER).or_insert(0) += n as u64;
            Some(n)
        }
    };
    Ok(ev)
}

fn trace_context(statement: &str, ev: &mut DbEvent<'_>) {
    if let Some(tp) =
        sql::sqlcommenter(statement).and_then(|kv| kv.get("traceparent").and_then(|v| sql::traceparent(v)))
    {
        ev.trace_id = Some(Cow::Owned(tp.0));
        ev.span_id = Some(Cow::Owned(tp.1));
    }
}

fn error_event<'m>(msg: &'m Message<'_>, statement: &'m str) -> DbEvent<'m> {
    let mut ev = identity(msg);
    ev.outcome = error_outcome(msg.sqlstate.as_deref(), &msg.text);
    ev.sqlstate = msg.sqlstate.as_deref().map(Cow::Borrowed);
    // A RAISE's text is the function author's (class P0: raise_exception, no_data_found, …):
    // nothing of it is needed, so only its length is kept. The server's own messages keep
    // their words, without values.
    ev.error = Some(if msg.sqlstate.as_deref().is_some_and(|c| c.starts_with("P0")) {
        Cow::Owned(redact::length_marker("message", msg.text.len()))
    } else {
        Cow::Borrowed(&msg.text)
    });
    if let Some((kind, name)) = refused_object(&msg.text) {
        ev.object_type = Some(Cow::Owned(kind));
        ev.object_name = Some(Cow::Owned(name));
    }
    // What the server could not parse was not necessarily meant as SQL: a password typed at a
    // psql prompt, a pasted line of data. Only its length is kept, and no command is made of it.
    let unparsed = msg.sqlstate.as_deref() == Some("42601")
        || ["syntax error", "unterminated"].iter().any(|p| msg.text.starts_with(p));
    match sql::leading_command(statement).filter(|cmd| !unparsed && sql::class_of(cmd).is_some()) {
        Some(cmd) => {
            ev.class = sql::class_of(&cmd).map(Cow::Borrowed);
            ev.command = Some(Cow::Owned(cmd.command));
            trace_context(statement, &mut ev);
            ev.statement = Some(Cow::Borrowed(statement));
        }
        None => ev.statement = Some(Cow::Owned(redact::length_marker("statement", statement.len()))),
    }
    ev
}

/// `refused` when the database rejected the statement before executing it, `failed` when it
/// started executing and then errored. With pgaudit.log_rows on, pgAudit writes nothing for
/// either, so the SQLSTATE class decides: 42 (syntax error or access rule violation), 28
/// (invalid authorization), 0L/0P (invalid grantor/role), 3D/3F (unknown database/schema) are
/// refusals. Without a SQLSTATE (a log_line_prefix without %e), the message decides.
pub fn error_outcome(sqlstate: Option<&str>, message: &str) -> DbOutcome {
    let refused = match sqlstate {
        Some(code) => ["42", "28", "0L", "0P", "3D", "3F"].iter().any(|c| code.starts_with(c)),
        None => [
            "permission denied",
            "must be owner",
            "must be superuser",
            "must be member",
            "must have",
            "syntax error",
        ]
        .iter()
        .any(|p| message.starts_with(p)),
    };
    if refused { DbOutcome::Refused } else { DbOutcome::Failed }
}

/// The object a refusal message names: "permission denied for table invoices",
/// "must be owner of table invoices" → ("TABLE", "invoices").
pub fn refused_object(message: &str) -> Option<(String, String)> {
    let rest = message
        .strip_prefix("permission denied for ")
        .or_else(|| message.strip_prefix("must be owner of "))?;
    let (kind, name) = rest.rsplit_once(' ')?;
    let name = name.trim_matches('"');
    if kind.is_empty() || name.is_empty() || kind.len() > 32 {
        return None;
    }
    Some((kind.to_ascii_uppercase(), name.to_string()))
}

/// What a malformed field looked like: its shape only, never its data.
fn short(s: &str) -> String {
    crate::redact::shape(s, 24)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::db_events::{DbEventsBuilder, DbEventsView};

    /// (statement, object_name, error) as the db_events builder writes them: redacted as their
    /// columns' classes say.
    fn written(ev: &DbEvent<'_>) -> (Option<String>, Option<String>, Option<String>) {
        let mut b = DbEventsBuilder::new();
        b.append(ev);
        let batch = b.finish().unwrap();
        let v = DbEventsView::of(&batch).unwrap();
        let own = |s: Option<&str>| s.map(str::to_string);
        (own(v.statement.get(0)), own(v.object_name.get(0)), own(v.error.get(0)))
    }

    fn msg(severity: &'static str, text: &'static str, statement: Option<&'static str>) -> Message<'static> {
        Message {
            line: 7,
            lines: 1,
            severity,
            text: Cow::Borrowed(text),
            statement: statement.map(Cow::Borrowed),
            application_name: Some(Cow::Borrowed("reporting-assistant@s3f1")),
            ..Default::default()
        }
    }

    #[test]
    fn audit_entry_fields() {
        let m = msg(
            "LOG",
            "AUDIT: SESSION,3,1,READ,SELECT,TABLE,public.customers,\"select name from customers where email = 'dana.planted@example.org' /*traceparent='00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'*/\",\"AKIAZ7VQXHNP3EXAMPLE,2\",1",
            None,
        );
        let mut c = RuleCounts::new();
        let Classified::Audit(ev) = classify(&m, &mut c) else {
            panic!("not audit")
        };
        assert_eq!(ev.audit_type.as_deref(), Some("SESSION"));
        assert_eq!(
            (ev.statement_id, ev.substatement_id, ev.rows),
            (Some(3), Some(1), Some(1))
        );
        assert_eq!(ev.class.as_deref(), Some("READ"));
        assert_eq!(ev.object_name.as_deref(), Some("public.customers"));
        assert_eq!(ev.parameter_count, Some(2));
        assert_eq!(ev.agent.as_deref(), Some("reporting-assistant"));
        assert_eq!(ev.session.as_deref(), Some("s3f1"));
        assert_eq!(ev.trace_id.as_deref(), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
        let stmt = written(&ev).0.unwrap();
        assert!(!stmt.contains("dana") && stmt.contains("email = ?"), "{stmt}");
        assert_eq!(c[redact::BOUND_PARAMETER], 2);
    }

    #[test]
    fn not_logged_none_previously_logged() {
        let mut c = RuleCounts::new();
        let m = msg(
            "LOG",
            "AUDIT: OBJECT,1,2,WRITE,UPDATE,TABLE,t,<previously logged>,<previously logged>",
            None,
        );
        let Classified::Audit(ev) = classify(&m, &mut c) else {
            panic!()
        };
        assert_eq!(
            (ev.statement_state.name(), ev.parameter_count, ev.statement),
            ("previously_logged", None, None)
        );
        let m = msg(
            "LOG",
            "AUDIT: SESSION,1,1,DDL,CREATE TABLE,,,create table t(a int),<none>",
            None,
        );
        let Classified::Audit(ev) = classify(&m, &mut c) else {
            panic!()
        };
        assert_eq!((ev.parameter_count, ev.object_type.clone()), (Some(0), None));
    }

    #[test]
    fn malformed_audit_is_invalid_with_reason() {
        let mut c = RuleCounts::new();
        let m = msg("LOG", "AUDIT: SESSION,x,1,READ,SELECT,,,select 1,<none>", None);
        let Classified::Invalid(reason) = classify(&m, &mut c) else {
            panic!()
        };
        assert!(
            reason.to_string().contains("STATEMENT_ID must be an integer"),
            "{reason}"
        );
        let m = msg("LOG", "AUDIT: SESSION,1,1,READ", None);
        assert!(matches!(classify(&m, &mut c), Classified::Invalid(r) if r.to_string().contains("found 4")));
    }

    #[test]
    fn a_raise_keeps_only_its_length_and_server_messages_their_words() {
        let mut c = RuleCounts::new();
        let mut m = msg("ERROR", "token for acct 991 is hunter2-not-a-rule", Some("select f()"));
        m.sqlstate = Some(Cow::Borrowed("P0001"));
        let Classified::Error(ev) = classify(&m, &mut c) else {
            panic!()
        };
        assert_eq!(written(&ev).2.as_deref(), Some("[message: 40 bytes]"));
        let mut m = msg(
            "ERROR",
            "value too long for type character varying(8)",
            Some("select 1"),
        );
        m.sqlstate = Some(Cow::Borrowed("22001"));
        let Classified::Error(ev) = classify(&m, &mut c) else {
            panic!()
        };
        assert_eq!(
            written(&ev).2.as_deref(),
            Some("value too long for type character varying(?)")
        );
    }

    #[test]
    fn refused_statement_class_and_object() {
        let mut c = RuleCounts::new();
        let m = msg(
            "ERROR",
            "permission denied for table invoices",
            Some("UPDATE finance.invoices SET note = 'x'"),
        );
        let Classified::Error(ev) = classify(&m, &mut c) else {
            panic!()
        };
        assert_eq!(ev.outcome.name(), "refused");
        assert_eq!(
            (ev.class.as_deref(), ev.command.as_deref()),
            (Some("WRITE"), Some("UPDATE"))
        );
        assert_eq!(
            (ev.object_type.as_deref(), ev.object_name.as_deref()),
            (Some("TABLE"), Some("invoices"))
        );
        assert_eq!(written(&ev).0.as_deref(), Some("UPDATE finance.invoices SET note = ?"));
        let m = msg(
            "ERROR",
            "must be owner of table invoices",
            Some("alter table finance.invoices add column y int"),
        );
        let Classified::Error(ev) = classify(&m, &mut c) else {
            panic!()
        };
        assert_eq!(
            (ev.class.as_deref(), ev.command.as_deref()),
            (Some("DDL"), Some("ALTER TABLE"))
        );
        let mut m = msg(
            "ERROR",
            "duplicate key value violates unique constraint \"p\"",
            Some("insert into t values (1)"),
        );
        m.sqlstate = Some(Cow::Borrowed("23505"));
        let Classified::Error(ev) = classify(&m, &mut c) else {
            panic!()
        };
        assert_eq!((ev.outcome.name(), ev.class.as_deref()), ("failed", Some("WRITE")));
        let m = msg(
            "ERROR",
            "permission denied to alter role",
            Some("ALTER ROLE x PASSWORD 'Pl4nted'"),
        );
        let Classified::Error(ev) = classify(&m, &mut c) else {
            panic!()
        };
        assert_eq!(ev.class.as_deref(), Some("ROLE"));
        assert!(!written(&ev).0.unwrap().contains("Pl4nted"));
    }

    #[test]
    fn other_lines_by_kind() {
        let mut c = RuleCounts::new();
        assert!(matches!(
            classify(&msg("LOG", "connection received: host=[local]", None), &mut c),
            Classified::Other("connection_received")
        ));
        assert!(matches!(
            classify(&msg("LOG", "checkpoint starting: time", None), &mut c),
            Classified::Other("checkpoint")
        ));
        assert!(matches!(
            classify(&msg("ERROR", "canceling autovacuum task", None), &mut c),
            Classified::Other("error_without_statement")
        ));
    }
}

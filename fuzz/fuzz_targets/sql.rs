//! Fuzz target `sql`: the SQL lexer and the redaction built on it (src/redact/sql.rs and
//! src/redact/mod.rs). Statements come from logs verbatim; redaction is what keeps their
//! literals and secrets out of everything agaudit writes, so it must hold for any text.
//!
//! Input: one statement (lossy UTF-8).

#![no_main]

use std::borrow::Cow;

use agaudit::redact::{self, sql, RuleCounts};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let s: &str = &text;

    // Tokens are contiguous, non-empty, on character boundaries, and cover the whole statement:
    // strip_literals rebuilds the statement from them by slicing.
    let tokens = sql::tokens(s);
    let mut at = 0;
    for &(_, start, end) in &tokens {
        assert_eq!(start, at, "each token starts where the previous one ended");
        assert!(start < end, "no token is empty");
        assert!(s.is_char_boundary(end), "tokens end on character boundaries");
        at = end;
    }
    assert_eq!(at, s.len(), "the tokens cover the whole statement");

    let literal_tokens = tokens.iter().filter(|(kind, _, _)| *kind == sql::Token::Literal).count() as u64;
    let stripped = sql::strip_literals(s);
    assert_eq!(stripped.literals, literal_tokens, "one `?` per literal token");
    // Literals out, structure in: the stripped statement, lexed again, holds no literal.
    assert!(
        sql::tokens(&stripped.text).iter().all(|(kind, _, _)| *kind != sql::Token::Literal),
        "strip_literals left a literal: {:?}",
        stripped.text
    );

    if let Some(pairs) = sql::sqlcommenter(s) {
        if let Some(value) = pairs.get("traceparent") {
            if let Some((trace, span)) = sql::traceparent(value) {
                assert_eq!((trace.len(), span.len()), (32, 16), "a valid traceparent has 32 + 16 hex digits");
            }
        }
    }
    let _ = sql::traceparent(s);
    let _ = sql::leading_command(s);

    let r = redact::redactor();
    let mut counts = RuleCounts::new();
    let _ = r.sql(s, &mut counts);
    assert_eq!(
        counts.get(redact::SQL_LITERAL).copied().unwrap_or(0),
        stripped.literals,
        "Redactor::sql counts the literals strip_literals removed"
    );

    let mut counts = RuleCounts::new();
    if let Cow::Borrowed(same) = r.text(s, &mut counts) {
        assert_eq!(same, s, "text unchanged is the input itself");
        assert!(counts.is_empty(), "nothing counted when nothing was redacted");
    }

    let mut counts = RuleCounts::new();
    let _ = r.message(s, &mut counts);
    let _ = redact::shape(s, 40);
});

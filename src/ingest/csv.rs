//! CSV fields as PostgreSQL writes them (csvlog records, and pgAudit's record inside a message).
//!
//! Both writers follow the same rules: a field is either bare (no comma, quote or newline) or
//! wrapped in double quotes with inner quotes doubled; newlines may appear inside quotes. The
//! parser borrows from the input unless a doubled quote forces a copy.
//!
//! In: one record's text (no trailing newline). Out: its fields, or where and why it is malformed.

use std::borrow::Cow;

/// Where and why a CSV record is malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    #[error(
        "unexpected character after field {field} at byte {at} (a quote inside an unquoted field, or text after a closing quote)"
    )]
    AfterField { field: usize, at: usize },
    #[error("unterminated quoted field at byte {at}")]
    Unterminated { at: usize },
}

/// Splits one CSV record into fields. Scans bytes with memchr: the quote and the comma are
/// ASCII, so they never fall inside a multi-byte character and every slice is on a boundary.
pub fn fields(record: &str) -> Result<Vec<Cow<'_, str>>, CsvError> {
    let b = record.as_bytes();
    let mut out = Vec::with_capacity(32);
    let mut i = 0;
    loop {
        let value = if b.get(i) == Some(&b'"') {
            // ok_or_else: where an unterminated field starts is searched for only when one is.
            let (value, end) = quoted(record, i + 1).ok_or_else(|| CsvError::Unterminated {
                at: unterminated_at(record),
            })?;
            i = end;
            value
        } else {
            let n = memchr::memchr2(b',', b'"', &b[i..]).unwrap_or(b.len() - i);
            let value = Cow::Borrowed(&record[i..i + n]);
            i += n;
            value
        };
        out.push(value);
        match b.get(i) {
            None => return Ok(out),
            Some(b',') => i += 1,
            Some(_) => {
                return Err(CsvError::AfterField {
                    field: out.len(),
                    at: i,
                });
            }
        }
    }
}

/// The quoted field whose text starts at byte `start` (after its opening quote), and where it
/// ends (after its closing quote); None when no closing quote comes.
fn quoted(record: &str, mut start: usize) -> Option<(Cow<'_, str>, usize)> {
    let b = record.as_bytes();
    let mut owned: Option<String> = None;
    loop {
        let end = start + memchr::memchr(b'"', &b[start..])?;
        let text = &record[start..end];
        if b.get(end + 1) == Some(&b'"') {
            let s = owned.get_or_insert_with(String::new);
            s.push_str(text);
            s.push('"');
            start = end + 2;
            continue;
        }
        let value = match owned {
            Some(mut s) => {
                s.push_str(text);
                Cow::Owned(s)
            }
            None => Cow::Borrowed(text),
        };
        return Some((value, end + 1));
    }
}

/// Appends `value` as one CSV field the way PostgreSQL writes it: bare when it needs no quotes,
/// else quoted with inner quotes doubled.
pub fn write_field(out: &mut String, value: &str) {
    if value.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

fn unterminated_at(record: &str) -> usize {
    record.rfind(",\"").map_or(0, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_quoted_empty_and_doubled() {
        let f = fields("a,\"b,c\",,\"d\"\"e\",\"multi\nline\"").unwrap();
        assert_eq!(f, vec!["a", "b,c", "", "d\"e", "multi\nline"]);
        assert!(matches!(f[1], Cow::Borrowed(_)));
        assert!(matches!(f[3], Cow::Owned(_)));
    }

    #[test]
    fn malformed_records_say_where() {
        assert!(fields("a,\"open").unwrap_err().to_string().contains("unterminated"));
        assert!(fields("a,\"x\"y").unwrap_err().to_string().contains("byte 5"));
        assert!(fields("a,b\"c").is_err());
        assert_eq!(fields("a,b\"c").unwrap_err(), CsvError::AfterField { field: 2, at: 3 });
        assert_eq!(fields("x,\"y\",\"z").unwrap_err(), CsvError::Unterminated { at: 6 });
    }

    #[test]
    fn edges_empty_records_trailing_commas_and_multibyte_text() {
        assert_eq!(fields("").unwrap(), vec![""]);
        assert_eq!(fields(",").unwrap(), vec!["", ""]);
        assert_eq!(fields("\"\"").unwrap(), vec![""]);
        assert_eq!(fields("\"\"\"\"").unwrap(), vec!["\""]);
        assert_eq!(fields("é,\"ü,ö\",名前").unwrap(), vec!["é", "ü,ö", "名前"]);
        assert_eq!(fields("a,\"b\"").unwrap(), vec!["a", "b"]);
    }

    /// The nom parser this module had before, kept to check the byte scanner against.
    mod before {
        use std::borrow::Cow;

        use nom::branch::alt;
        use nom::bytes::complete::take_till;
        use nom::character::complete::char;
        use nom::multi::separated_list1;
        use nom::{IResult, Parser};

        pub fn fields(record: &str) -> Result<Vec<Cow<'_, str>>, super::CsvError> {
            match separated_list1(char(','), alt((quoted, bare))).parse(record) {
                Ok(("", fields)) => Ok(fields),
                Ok((rest, fields)) => Err(super::CsvError::AfterField {
                    field: fields.len(),
                    at: record.len() - rest.len(),
                }),
                Err(_) => Err(super::CsvError::Unterminated {
                    at: super::unterminated_at(record),
                }),
            }
        }
        fn quoted(input: &str) -> IResult<&str, Cow<'_, str>> {
            let (mut rest, _) = char('"')(input)?;
            let mut owned: Option<String> = None;
            loop {
                let (after_text, text) = take_till(|c| c == '"')(rest)?;
                // A missing closing quote is a hard failure, not "try a bare field instead".
                let (after_quote, _) =
                    char('"')(after_text).map_err(|e| e.map(|e: nom::error::Error<&str>| e).to_failure())?;
                if let Some(next) = after_quote.strip_prefix('"') {
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(text);
                    s.push('"');
                    rest = next;
                    continue;
                }
                let value = match owned {
                    Some(mut s) => {
                        s.push_str(text);
                        Cow::Owned(s)
                    }
                    None => Cow::Borrowed(text),
                };
                return Ok((after_quote, value));
            }
        }
        fn bare(input: &str) -> IResult<&str, Cow<'_, str>> {
            let (rest, text) = take_till(|c| c == ',' || c == '"')(input)?;
            Ok((rest, Cow::Borrowed(text)))
        }
        trait ToFailure {
            fn to_failure(self) -> Self;
        }
        impl<E> ToFailure for nom::Err<E> {
            fn to_failure(self) -> Self {
                match self {
                    nom::Err::Error(e) => nom::Err::Failure(e),
                    other => other,
                }
            }
        }
    }

    #[test]
    fn the_byte_scanner_splits_every_record_as_the_nom_parser_did() {
        // Every record of up to 6 characters over an alphabet of the characters that matter.
        let alphabet = ['a', ',', '"', '\n', 'é'];
        let mut checked = 0;
        for len in 0..=6u32 {
            for n in 0..alphabet.len().pow(len) {
                let mut k = n;
                let record: String = (0..len)
                    .map(|_| {
                        let c = alphabet[k % alphabet.len()];
                        k /= alphabet.len();
                        c
                    })
                    .collect();
                assert_eq!(fields(&record), before::fields(&record), "{record:?}");
                checked += 1;
            }
        }
        assert_eq!(checked, 19_531);
    }
}

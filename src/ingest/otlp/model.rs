//! The OTLP JSON encoding of ExportTraceServiceRequest and ExportLogsServiceRequest.
//!
//! Follows the OTLP specification's JSON mapping: lowerCamelCase keys, trace and span ids as hex
//! strings, 64-bit integers as decimal strings (numbers accepted too), enums as integers (their
//! protobuf names accepted too), unknown fields ignored, and `null` wherever a field may be
//! absent. Strings borrow from the input line unless they contain escapes.
//!
//! In: one JSON document. Out: a borrowed [`Request`], or serde's error (with line and column).

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, Visitor};

type Str<'a> = Cow<'a, str>;

/// A `null` list is an empty list (protobuf JSON allows null for any field).
fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct Request<'a> {
    #[serde(default, deserialize_with = "list", borrow)]
    pub resource_spans: Vec<ResourceSpans<'a>>,
    #[serde(default, deserialize_with = "list", borrow)]
    pub resource_logs: Vec<ResourceLogs<'a>>,
    /// Metrics are not ingested; noticed so the line is reported, not silently dropped.
    #[serde(default)]
    pub resource_metrics: Option<IgnoredAny>,
    #[serde(default)]
    pub resource_profiles: Option<IgnoredAny>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct Resource<'a> {
    #[serde(default, deserialize_with = "list", borrow)]
    pub attributes: Vec<KeyValue<'a>>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct Scope<'a> {
    #[serde(default, borrow)]
    pub name: Option<Str<'a>>,
    #[serde(default, borrow)]
    pub version: Option<Str<'a>>,
    #[serde(default, deserialize_with = "list", borrow)]
    pub attributes: Vec<KeyValue<'a>>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ResourceSpans<'a> {
    #[serde(default, borrow)]
    pub resource: Option<Resource<'a>>,
    #[serde(default, deserialize_with = "list", borrow)]
    pub scope_spans: Vec<ScopeSpans<'a>>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ScopeSpans<'a> {
    #[serde(default, borrow)]
    pub scope: Option<Scope<'a>>,
    #[serde(default, deserialize_with = "list", borrow)]
    pub spans: Vec<Span<'a>>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Span<'a> {
    #[serde(default, borrow)]
    pub trace_id: Option<Str<'a>>,
    #[serde(default, borrow)]
    pub span_id: Option<Str<'a>>,
    #[serde(default, borrow)]
    pub trace_state: Option<Str<'a>>,
    #[serde(default, borrow)]
    pub parent_span_id: Option<Str<'a>>,
    #[serde(default, borrow)]
    pub name: Option<Str<'a>>,
    #[serde(default)]
    pub kind: Option<Enum>,
    #[serde(default)]
    pub start_time_unix_nano: Option<Fixed64>,
    #[serde(default)]
    pub end_time_unix_nano: Option<Fixed64>,
    #[serde(default, deserialize_with = "list", borrow)]
    pub attributes: Vec<KeyValue<'a>>,
    #[serde(default, deserialize_with = "list", borrow)]
    pub events: Vec<Event<'a>>,
    #[serde(default, deserialize_with = "list", borrow)]
    pub links: Vec<Link<'a>>,
    #[serde(default, borrow)]
    pub status: Option<Status<'a>>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Event<'a> {
    #[serde(default)]
    pub time_unix_nano: Option<Fixed64>,
    #[serde(default, borrow)]
    pub name: Option<Str<'a>>,
    #[serde(default, deserialize_with = "list", borrow)]
    pub attributes: Vec<KeyValue<'a>>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Link<'a> {
    #[serde(default, borrow)]
    pub trace_id: Option<Str<'a>>,
    #[serde(default, borrow)]
    pub span_id: Option<Str<'a>>,
    #[serde(default, deserialize_with = "list", borrow)]
    pub attributes: Vec<KeyValue<'a>>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct Status<'a> {
    #[serde(default, borrow)]
    pub message: Option<Str<'a>>,
    #[serde(default)]
    pub code: Option<Enum>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ResourceLogs<'a> {
    #[serde(default, borrow)]
    pub resource: Option<Resource<'a>>,
    #[serde(default, deserialize_with = "list", borrow)]
    pub scope_logs: Vec<ScopeLogs<'a>>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ScopeLogs<'a> {
    #[serde(default, borrow)]
    pub scope: Option<Scope<'a>>,
    #[serde(default, deserialize_with = "list", borrow)]
    pub log_records: Vec<LogRecord<'a>>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct LogRecord<'a> {
    #[serde(default)]
    pub time_unix_nano: Option<Fixed64>,
    #[serde(default)]
    pub observed_time_unix_nano: Option<Fixed64>,
    #[serde(default)]
    pub severity_number: Option<Enum>,
    #[serde(default, borrow)]
    pub severity_text: Option<Str<'a>>,
    #[serde(default, borrow)]
    pub body: Option<AnyValue<'a>>,
    #[serde(default, deserialize_with = "list", borrow)]
    pub attributes: Vec<KeyValue<'a>>,
    #[serde(default, borrow)]
    pub trace_id: Option<Str<'a>>,
    #[serde(default, borrow)]
    pub span_id: Option<Str<'a>>,
    #[serde(default, borrow)]
    pub event_name: Option<Str<'a>>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct KeyValue<'a> {
    #[serde(borrow)]
    pub key: Str<'a>,
    #[serde(default, borrow)]
    pub value: Option<AnyValue<'a>>,
}

/// AnyValue: exactly one of its fields is set (none for an empty value).
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct AnyValue<'a> {
    #[serde(default, borrow)]
    pub string_value: Option<Str<'a>>,
    #[serde(default)]
    pub bool_value: Option<bool>,
    #[serde(default)]
    pub int_value: Option<Int64>,
    #[serde(default)]
    pub double_value: Option<Double>,
    #[serde(default, borrow)]
    pub array_value: Option<ArrayValue<'a>>,
    #[serde(default, borrow)]
    pub kvlist_value: Option<KeyValueList<'a>>,
    /// Base64, as protobuf JSON encodes bytes.
    #[serde(default, borrow)]
    pub bytes_value: Option<Str<'a>>,
}

#[derive(Deserialize, Debug, Default)]
pub struct ArrayValue<'a> {
    #[serde(default, deserialize_with = "list", borrow)]
    pub values: Vec<AnyValue<'a>>,
}

#[derive(Deserialize, Debug, Default)]
pub struct KeyValueList<'a> {
    #[serde(default, deserialize_with = "list", borrow)]
    pub values: Vec<KeyValue<'a>>,
}

/// A fixed64 (timestamps): a decimal string, or a JSON number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fixed64(pub u64);

/// An int64: a decimal string, or a JSON number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Int64(pub i64);

/// A double: a JSON number, or "NaN", "Infinity", "-Infinity" (or a decimal string).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Double(pub f64);

/// An enum: an integer, or its protobuf name (e.g. SPAN_KIND_SERVER).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enum {
    Number(i64),
    Name(String),
}

struct NumberVisitor<T>(&'static str, std::marker::PhantomData<T>);

macro_rules! number_visitor {
    ($t:ty, $wrap:expr) => {
        impl<'de> Visitor<'de> for NumberVisitor<$t> {
            type Value = $t;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "{} as a decimal string or a number", self.0)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<$t, E> {
                v.try_into()
                    .map($wrap)
                    .map_err(|_| E::custom(format!("{} out of range: {v}", self.0)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<$t, E> {
                v.try_into()
                    .map($wrap)
                    .map_err(|_| E::custom(format!("{} out of range: {v}", self.0)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<$t, E> {
                // 1.7e18 style numbers from JSON encoders that went through a double.
                if v.fract() == 0.0 && v.is_finite() && v.abs() < 9.2e18 {
                    (v as i128)
                        .try_into()
                        .map($wrap)
                        .map_err(|_| E::custom(format!("{} out of range: {v}", self.0)))
                } else {
                    Err(E::custom(format!("{} must be an integer, found {v}", self.0)))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<$t, E> {
                v.trim().parse().map($wrap).map_err(|_| {
                    E::custom(format!(
                        "{} must be a decimal integer, found a {}-byte string",
                        self.0,
                        v.len()
                    ))
                })
            }
        }
    };
}
number_visitor!(Fixed64, Fixed64);
number_visitor!(Int64, Int64);

impl<'de> Deserialize<'de> for Fixed64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NumberVisitor::<Fixed64>("fixed64", std::marker::PhantomData))
    }
}

impl<'de> Deserialize<'de> for Int64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NumberVisitor::<Int64>("int64", std::marker::PhantomData))
    }
}

impl<'de> Deserialize<'de> for Double {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Double;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a double as a number or NaN / Infinity / -Infinity")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Double, E> {
                Ok(Double(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Double, E> {
                Ok(Double(v as f64))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Double, E> {
                Ok(Double(v as f64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Double, E> {
                match v {
                    "NaN" => Ok(Double(f64::NAN)),
                    "Infinity" => Ok(Double(f64::INFINITY)),
                    "-Infinity" => Ok(Double(f64::NEG_INFINITY)),
                    s => s
                        .parse()
                        .map(Double)
                        .map_err(|_| E::custom(format!("double must be a number, found a {}-byte string", s.len()))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Enum {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Enum;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an enum as an integer (or its protobuf name)")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Enum, E> {
                i64::try_from(v)
                    .map(Enum::Number)
                    .map_err(|_| E::custom("enum value out of range"))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Enum, E> {
                Ok(Enum::Number(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Enum, E> {
                Ok(Enum::Name(v.chars().take(64).collect()))
            }
        }
        d.deserialize_any(V)
    }
}

impl Enum {
    /// The value, mapping a protobuf name through `names` (index = number).
    pub fn number(&self, names: &[&str]) -> Option<i64> {
        match self {
            Enum::Number(n) => Some(*n),
            Enum::Name(s) => names.iter().position(|n| n == s).map(|i| i as i64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_strings_or_numbers() {
        let r: Span = serde_json::from_str(
            r#"{"traceId":"ab","spanId":"cd","startTimeUnixNano":"1700000000000000001","endTimeUnixNano":1700000000000000002,"kind":2,"status":{"code":"STATUS_CODE_ERROR"},"attributes":null,"x":{"unknown":[1]}}"#,
        )
        .unwrap();
        assert_eq!(r.start_time_unix_nano, Some(Fixed64(1_700_000_000_000_000_001)));
        assert_eq!(r.end_time_unix_nano, Some(Fixed64(1_700_000_000_000_000_002)));
        assert_eq!(r.kind, Some(Enum::Number(2)));
        assert!(r.attributes.is_empty());
        let code = r.status.unwrap().code.unwrap();
        assert_eq!(
            code.number(&["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"]),
            Some(2)
        );
    }

    #[test]
    fn every_any_value_kind() {
        let v: AnyValue = serde_json::from_str(
            r#"{"arrayValue":{"values":[{"intValue":"-5"},{"doubleValue":"NaN"},{"boolValue":true},{"bytesValue":"AAE="},{"kvlistValue":{"values":[{"key":"k","value":{"stringValue":"v"}}]}}]}}"#,
        )
        .unwrap();
        let a = v.array_value.unwrap().values;
        assert_eq!(a[0].int_value, Some(Int64(-5)));
        assert!(a[1].double_value.unwrap().0.is_nan());
        assert_eq!(a[2].bool_value, Some(true));
        assert_eq!(a[3].bytes_value.as_deref(), Some("AAE="));
        assert_eq!(a[4].kvlist_value.as_ref().unwrap().values[0].key, "k");
    }

    #[test]
    fn wrong_types_are_errors_not_panics() {
        assert!(serde_json::from_str::<Span>(r#"{"startTimeUnixNano":"soon"}"#).is_err());
        assert!(serde_json::from_str::<Span>(r#"{"attributes":{"a":1}}"#).is_err());
        assert!(serde_json::from_str::<AnyValue>(r#"{"intValue":1.5}"#).is_err());
        let deep = "[".repeat(10_000);
        assert!(serde_json::from_str::<Request>(&deep).is_err());
    }
}

//! The JSON intake rule for any JSON text the service reads: a request body
//! (`extract::JsonBody`), a chat frame (`chat::protocol`). One JSON value and nothing
//! after it (else `malformed_json`), no key twice in one object (`duplicate_key` at the
//! key's pointer), every string and key through `crate::intake` (`invalid_character` at
//! its pointer; line breaks to LF; NFC); then the value read as `T` with a JSON pointer
//! per field. Depends on nothing of the running service (no state), so that every reader
//! can use it.

use crate::error::{ApiError, FieldError};
use serde::de::{DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::fmt;

/// Parses `bytes` as `T`: syntax first (400), then duplicate keys and the text rule
/// (422), then the shape of `T` (422); errors located by JSON pointer.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    parse_as(bytes, None)
}

/// [`parse`], and when the body does not read as `T`, every structural issue that
/// `schema` (the contract's `#/components` and the name of `T`'s schema in them) finds
/// in it (`crate::body_schema`), not only serde's first (which is always listed).
pub fn parse_as<T: DeserializeOwned>(
    bytes: &[u8],
    schema: Option<(&Value, &str)>,
) -> Result<T, ApiError> {
    let value = checked_value(bytes)?;
    // Every request body of the API is an object; serde would otherwise read a struct
    // from an array by position (`[null, null]` as the first two members).
    if !value.is_object() {
        return Err(ApiError::Validation(vec![FieldError::new(
            "",
            "invalid_type",
        )]));
    }
    read(&value).map_err(|first| {
        let mut errors = vec![*first];
        if let Some((components, name)) = schema {
            for other in crate::body_schema::structural_errors(components, name, &value) {
                if !errors.iter().any(|e| e.pointer == other.pointer) {
                    errors.push(other);
                }
            }
        }
        ApiError::Validation(errors)
    })
}

/// The body as a JSON value: one value and nothing after it (else `malformed_json`), no
/// key twice in one object, every string and key through the intake rule (else
/// `validation_failed` listing every offending pointer).
pub fn checked_value(bytes: &[u8]) -> Result<Value, ApiError> {
    let errors = RefCell::new(Vec::new());
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = Node {
        pointer: String::new(),
        errors: &errors,
    }
    .deserialize(&mut deserializer)
    .and_then(|value| deserializer.end().map(|()| value))
    .map_err(|e| ApiError::MalformedJson(e.to_string()))?;
    let errors = errors.into_inner();
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// One node of the document being read, at `pointer`.
struct Node<'a> {
    pointer: String,
    errors: &'a RefCell<Vec<FieldError>>,
}

impl Node<'_> {
    fn child(&self, segment: &str) -> String {
        format!("{}/{}", self.pointer, domain::forms::escape(segment))
    }

    fn refuse(&self, pointer: String, code: &str) {
        self.errors
            .borrow_mut()
            .push(FieldError::new(pointer, code));
    }
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    /// A number with no fractional part is an integer, however it is written (`2.0`, `2e3`):
    /// JSON does not tell them apart, nor does JSON Schema's `integer`.
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        if v.fract() == 0.0 && v >= -(2f64.powi(63)) && v < 2f64.powi(63) {
            return Ok(Value::from(v as i64));
        }
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        match crate::intake::normalise_text(v) {
            Some(text) => Ok(Value::String(text.into_owned())),
            None => {
                self.refuse(self.pointer.clone(), "invalid_character");
                Ok(Value::Null)
            }
        }
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Node {
            pointer: format!("{}/{}", self.pointer, items.len()),
            errors: self.errors,
        })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(raw) = map.next_key::<String>()? {
            let key = crate::intake::normalise_key(&raw).map(|k| k.into_owned());
            let pointer = self.child(key.as_deref().unwrap_or(&raw));
            let value = map.next_value_seed(Node {
                pointer: pointer.clone(),
                errors: self.errors,
            })?;
            match key {
                None => self.refuse(pointer, "invalid_character"),
                Some(key) if object.contains_key(&key) => self.refuse(pointer, "duplicate_key"),
                Some(key) => {
                    object.insert(key, value);
                }
            }
        }
        Ok(Value::Object(object))
    }
}

/// Reads a checked value as `T`, with errors located by JSON pointer.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    read(&value).map_err(|e| ApiError::Validation(vec![*e]))
}

/// `value` read as `T`, or serde's first issue located by JSON pointer.
fn read<T: DeserializeOwned>(value: &Value) -> Result<T, Box<FieldError>> {
    let result: Result<T, _> = serde_path_to_error::deserialize(value);
    result.map_err(|e| {
        let inner = e.inner();
        let parent = pointer_of(e.path());
        let message = inner.to_string();
        let (pointer, code) = if let Some(name) = quoted_after(&message, "missing field `") {
            (format!("{parent}/{name}"), "required")
        } else if let Some(name) = quoted_after(&message, "unknown field `") {
            // The path already ends at the unknown field.
            let own = format!("/{}", domain::forms::escape(name));
            let pointer = if parent.ends_with(&own) {
                parent
            } else {
                format!("{parent}{own}")
            };
            (pointer, "unknown_field")
        } else if message.starts_with("unknown variant") {
            (parent, "unknown_option")
        } else {
            (parent, "invalid_type")
        };
        Box::new(FieldError {
            pointer,
            code: code.to_owned(),
            message,
            accepted: Default::default(),
        })
    })
}

fn quoted_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = message.strip_prefix(prefix)?;
    rest.split('`').next()
}

/// `serde_path_to_error`'s path (`answers.injury`, `items[0].brand`) as a JSON pointer.
fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
            Segment::Map { key } => {
                pointer.push('/');
                pointer.push_str(&domain::forms::escape(key));
            }
            Segment::Enum { variant } => {
                pointer.push('/');
                pointer.push_str(&domain::forms::escape(variant));
            }
            Segment::Unknown => {}
        }
    }
    pointer
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use std::collections::BTreeMap;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        answers: BTreeMap<String, bool>,
        items: Vec<Item>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        value: u32,
    }

    fn field_error(json: &str) -> (String, String) {
        match parse::<Body>(json.as_bytes()) {
            Err(ApiError::Validation(errors)) => {
                (errors[0].pointer.clone(), errors[0].code.clone())
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_are_located() {
        assert_eq!(
            field_error(r#"{"answers":{},"items":[]}"#),
            ("/name".into(), "required".into())
        );
        assert_eq!(
            field_error(r#"{"name":"x","answers":{"a/b":3},"items":[]}"#),
            ("/answers/a~1b".into(), "invalid_type".into())
        );
        assert_eq!(
            field_error(r#"{"name":"x","answers":{},"items":[{"value":-1}]}"#),
            ("/items/0/value".into(), "invalid_type".into())
        );
        assert_eq!(
            field_error(r#"{"name":"x","answers":{},"items":[],"status":"registered"}"#),
            ("/status".into(), "unknown_field".into())
        );
        assert!(matches!(
            parse::<Body>(b"{\"name\": "),
            Err(ApiError::MalformedJson(m)) if m.contains("line 1")
        ));
    }

    #[test]
    fn syntax_before_shape() {
        for body in [
            r#"{"a":"#,
            r#"{"name":"x","answers":{},"items":[]} xyz"#,
            r#"{"name":"x","answers":{},"items":[]}{"name":"y","answers":{},"items":[]}"#,
            r#"{"name":"x","answers":{},"items":[]}]"#,
            r#"{"status":"#,
            "",
        ] {
            assert!(
                matches!(
                    parse::<Body>(body.as_bytes()),
                    Err(ApiError::MalformedJson(_))
                ),
                "{body}"
            );
        }
        // Trailing white space is not content.
        assert!(parse::<Body>(b"{\"name\":\"x\",\"answers\":{},\"items\":[]}\n \t").is_ok());
    }

    #[test]
    fn duplicate_keys_anywhere() {
        assert_eq!(
            field_error(r#"{"name":"x","answers":{"injury":true,"injury":false},"items":[]}"#),
            ("/answers/injury".into(), "duplicate_key".into())
        );
        assert_eq!(
            field_error(r#"{"name":"x","name":"y","answers":{},"items":[]}"#),
            ("/name".into(), "duplicate_key".into())
        );
        assert_eq!(
            field_error(r#"{"name":"x","answers":{},"items":[{"value":1,"value":2}]}"#),
            ("/items/0/value".into(), "duplicate_key".into())
        );
        // Keys equal once normalised (NFD and NFC) are the same key.
        assert_eq!(
            field_error(
                r#"{"name":"x","answers":{"caf\u00e9":true,"cafe\u0301":true},"items":[]}"#
            ),
            ("/answers/caf\u{e9}".into(), "duplicate_key".into())
        );
    }

    #[test]
    fn strings_follow_the_intake_rule() {
        assert_eq!(
            field_error(r#"{"name":"a\u0000b","answers":{},"items":[]}"#),
            ("/name".into(), "invalid_character".into())
        );
        assert_eq!(
            field_error(r#"{"name":"x","answers":{"a\u0007":true},"items":[]}"#),
            ("/answers/a\u{7}".into(), "invalid_character".into())
        );
        let body: Body =
            parse(br#"{"name":"a\r\nb\u2028c Lie\u0300ge","answers":{},"items":[]}"#).unwrap();
        assert_eq!(body.name, "a\nb\nc Li\u{e8}ge");
    }
}

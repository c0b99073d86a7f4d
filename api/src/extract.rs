//! `JsonBody<T>`: a JSON body extractor whose errors say where.
//!
//! In order: the content type (415 `unsupported_media_type`), the size (413), the time
//! to receive the body (408 `request_timeout`, see `server.body_timeout_secs`), then the
//! syntax of the whole body: one JSON value and nothing after it, else 400
//! `malformed_json` with line and column, whatever fields it started with. Then, in one
//! pass over every object and string of the document: a key repeated in the same object
//! is a field error `duplicate_key` at the key's pointer (typed members and free-form
//! maps alike: answers, facts, items), and every string goes through the intake rule of
//! `crate::intake` (`invalid_character` at its pointer; line breaks to LF; NFC). Only
//! then is the value read as `T`: a body that does not fit is 422 `validation_failed`
//! with a JSON pointer per field (unknown fields are rejected, not ignored, where `T`
//! denies them).

use crate::error::{ApiError, FieldError};
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::{DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::fmt;

pub struct JsonBody<T>(pub T);

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| {
            let m = m.trim().to_ascii_lowercase();
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        })
        .unwrap_or(false)
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>();
        let limit = state.map(|s| s.body_limit).unwrap_or(1024 * 1024);
        let timeout = state
            .map(|s| s.body_timeout)
            .unwrap_or(std::time::Duration::from_secs(10));
        let json = is_json(req);
        let body = Bytes::from_request(req, payload);
        Box::pin(async move {
            if !json {
                return Err(ApiError::UnsupportedMediaType {
                    expected: "application/json",
                }
                .into());
            }
            let received = actix_web::rt::time::timeout(timeout, body)
                .await
                .map_err(|_| ApiError::Status(StatusCode::REQUEST_TIMEOUT))?;
            let bytes = received.map_err(|e| {
                if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge { limit }
                } else {
                    // The body could not be read (an invalid chunk, a cut connection, an
                    // encoding): 400, without the HTTP library's own words.
                    tracing::debug!(error = %e, "request body unreadable");
                    ApiError::Status(StatusCode::BAD_REQUEST)
                }
            })?;
            parse(&bytes).map(JsonBody).map_err(Into::into)
        })
    }
}

/// Parses `bytes` as `T`: syntax first (400), then duplicate keys and the text rule
/// (422), then the shape of `T` (422); errors located by JSON pointer.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value = checked_value(bytes)?;
    // Every request body of the API is an object; serde would otherwise read a struct
    // from an array by position (`[null, null]` as the first two members).
    if !value.is_object() {
        return Err(ApiError::Validation(vec![FieldError::new(
            "",
            "invalid_type",
        )]));
    }
    from_value(value)
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
    let result: Result<T, _> = serde_path_to_error::deserialize(value);
    let value = result.map_err(|e| {
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
        ApiError::Validation(vec![FieldError {
            pointer,
            code: code.to_owned(),
            message,
            accepted: Default::default(),
        }])
    })?;
    Ok(value)
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

/// A streamed request body (a multipart upload, a tus `PATCH`) that ends with an error
/// when no byte arrives for `server.body_timeout_secs`: a client that stalls gets 408
/// `request_timeout` instead of holding its connection for ever. An idle timeout, not a
/// total one: a 10 MB file on a slow line takes as long as it needs while bytes come.
/// [`IdleBody::timed_out`] tells the caller that the error was this timeout.
pub struct IdleBody<S> {
    inner: S,
    idle: std::time::Duration,
    sleep: std::pin::Pin<Box<actix_web::rt::time::Sleep>>,
    fired: std::rc::Rc<std::cell::Cell<bool>>,
}

/// Whether an [`IdleBody`] timed out; kept by the caller when the body is handed on.
#[derive(Clone, Default)]
pub struct TimedOut(std::rc::Rc<std::cell::Cell<bool>>);

impl TimedOut {
    pub fn get(&self) -> bool {
        self.0.get()
    }
}

impl<S> IdleBody<S> {
    /// `inner` with the idle limit of the service's settings (`state.body_timeout`).
    pub fn new(inner: S, idle: std::time::Duration) -> (Self, TimedOut) {
        let flag = TimedOut::default();
        let body = IdleBody {
            inner,
            idle,
            sleep: Box::pin(actix_web::rt::time::sleep(idle)),
            fired: flag.0.clone(),
        };
        (body, flag)
    }
}

impl<S> futures_util::Stream for IdleBody<S>
where
    S: futures_util::Stream<Item = Result<Bytes, actix_web::error::PayloadError>> + Unpin,
{
    type Item = Result<Bytes, actix_web::error::PayloadError>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::future::Future;
        use std::task::Poll;
        if self.fired.get() {
            return Poll::Ready(None);
        }
        match std::pin::Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(item) => {
                let deadline = actix_web::rt::time::Instant::now() + self.idle;
                self.sleep.as_mut().reset(deadline);
                Poll::Ready(item)
            }
            Poll::Pending => match self.sleep.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    self.fired.set(true);
                    Poll::Ready(Some(Err(actix_web::error::PayloadError::Io(
                        std::io::Error::new(std::io::ErrorKind::TimedOut, "request body idle"),
                    ))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

//! `JsonBody<T>`: a JSON body extractor whose errors say where. Syntax errors are 400
//! `malformed_json` with line and column; a body that parses but does not fit `T` is 422
//! `validation_failed` with a JSON pointer per field (unknown fields are rejected, not
//! ignored, where `T` denies them).

use crate::error::{ApiError, FieldError};
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

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
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.body_limit)
            .unwrap_or(1024 * 1024);
        let json = is_json(req);
        let body = Bytes::from_request(req, payload);
        Box::pin(async move {
            if !json {
                return Err(ApiError::UnsupportedMediaType {
                    expected: "application/json",
                }
                .into());
            }
            let bytes = body.await.map_err(|e| {
                if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge { limit }
                } else {
                    ApiError::MalformedJson(e.to_string())
                }
            })?;
            parse(&bytes).map(JsonBody).map_err(Into::into)
        })
    }
}

/// Parses `bytes` as `T`, with errors located by JSON pointer.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    let result: Result<T, _> = serde_path_to_error::deserialize(deserializer);
    // Trailing content after the value is a syntax error too.
    let value = result.map_err(|e| {
        let inner = e.inner();
        if !inner.is_data() {
            return ApiError::MalformedJson(inner.to_string());
        }
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
}

//! Query-string errors as field errors, the same way on every route: a parameter that
//! does not read (`limit=abc`, `lat=abc`, `submitted_from=yesterday`, `overdue=maybe`, a
//! number too large for its type), is given twice (`limit=1&limit=2`) or is missing is a
//! 422 `validation_failed` whose error names it (`/query/<name>`), says why (its code,
//! explained in the request's language) and what would be accepted (the contract's
//! `minimum`/`maximum`, its `enum` or `true`/`false` as `allowed`), as data and as text.
//!
//! The contract is the source of what each operation accepts (`crate::contract`), so the
//! rule cannot drift from the published parameters.

use crate::contract::{Contract, QueryParam};
use crate::error::{Accepted, ApiError, FieldError};
use actix_web::http::Method;
use serde_json::Value;

/// The field errors of a query string that did not deserialize: every declared parameter
/// given twice, missing although required, or whose value does not read as its type or
/// is outside its bounds. Never empty: when no parameter is at fault by the contract, one
/// error at `/query` says the query could not be read.
pub fn errors(contract: &Contract, path: &str, method: &Method, query: &str) -> Vec<FieldError> {
    let declared = contract.query_parameters(path, method);
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut errors = Vec::new();
    for param in &declared {
        let values: Vec<&str> = pairs
            .iter()
            .filter(|(k, _)| *k == param.name)
            .map(|(_, v)| v.as_str())
            .collect();
        let pointer = format!("/query/{}", domain::forms::escape(&param.name));
        let error = match values.as_slice() {
            [] if param.required => Some(FieldError::new(&pointer, "required")),
            [] => None,
            [value] => check(&pointer, value, &param.schema),
            _ => Some(FieldError::new(&pointer, "repeated_parameter")),
        };
        errors.extend(error);
    }
    if errors.is_empty() {
        errors.push(FieldError::new("/query", "invalid_type"));
    }
    errors
}

/// Fills in what a query parameter accepts, from the contract, where a handler's error
/// left it empty (`limit` out of range gets its minimum and maximum).
pub fn complete(contract: &Contract, path: &str, method: &Method, errors: &mut [FieldError]) {
    let declared = contract.query_parameters(path, method);
    for error in errors.iter_mut() {
        let Some(name) = error.pointer.strip_prefix("/query/") else {
            continue;
        };
        if error.accepted != Accepted::default() {
            continue;
        }
        if let Some(param) = declared.iter().find(|p| p.name == name) {
            error.accepted = accepted(&param.schema);
        }
    }
}

/// The schema's type, ignoring `null` (optional parameters are `[T, "null"]`).
fn type_of(schema: &Value) -> Option<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => Some(t.as_str()),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null"),
        _ => None,
    }
}

/// What a parameter's schema accepts: its bounds, its enumeration, or `true`/`false`.
fn accepted(schema: &Value) -> Accepted {
    let number = |name: &str| schema.get(name).and_then(Value::as_number).cloned();
    let allowed = match (schema.get("enum"), type_of(schema)) {
        (Some(Value::Array(values)), _) => Some(
            values
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
        ),
        (_, Some("boolean")) => Some(vec!["true".to_owned(), "false".to_owned()]),
        _ => None,
    };
    Accepted {
        allowed,
        minimum: number("minimum"),
        maximum: number("maximum"),
        min_length: schema.get("minLength").and_then(Value::as_u64),
        max_length: schema.get("maxLength").and_then(Value::as_u64),
        ..Accepted::default()
    }
}

/// The error of one value against its schema, if any.
fn check(pointer: &str, value: &str, schema: &Value) -> Option<FieldError> {
    let bounds = accepted(schema);
    let error = |code: &str| Some(FieldError::new(pointer, code).with(bounds.clone()));
    let in_bounds = |n: f64| {
        bounds
            .minimum
            .as_ref()
            .and_then(|m| m.as_f64())
            .is_none_or(|m| n >= m)
            && bounds
                .maximum
                .as_ref()
                .and_then(|m| m.as_f64())
                .is_none_or(|m| n <= m)
    };
    match (
        type_of(schema),
        schema.get("format").and_then(Value::as_str),
    ) {
        (Some("integer"), _) => match value.trim().parse::<i64>() {
            Err(_) => error("invalid_integer"),
            Ok(n) if !in_bounds(n as f64) => error("out_of_range"),
            Ok(_) => None,
        },
        (Some("number"), _) => match value.trim().parse::<f64>() {
            Ok(n) if !n.is_finite() => error("invalid_number"),
            Err(_) => error("invalid_number"),
            Ok(n) if !in_bounds(n) => error("out_of_range"),
            Ok(_) => None,
        },
        (Some("boolean"), _) => (!matches!(value, "true" | "false"))
            .then(|| FieldError::new(pointer, "unknown_option").with(bounds.clone())),
        (Some("string"), Some("date-time")) => chrono::DateTime::parse_from_rfc3339(value)
            .is_err()
            .then(|| FieldError::new(pointer, "invalid_date_time")),
        (Some("string"), Some("date")) => domain::dates::full_date(value)
            .is_none()
            .then(|| FieldError::new(pointer, "invalid_date")),
        // Free strings and closed vocabularies read as text: their handlers check them,
        // and `complete` adds what they accept to those errors.
        _ => None,
    }
}

/// The problem of a query string that did not deserialize, for the request `req`.
pub fn problem(req: &actix_web::HttpRequest, cause: String) -> ApiError {
    let Some(state) = req.app_data::<actix_web::web::Data<crate::state::AppState>>() else {
        return ApiError::InvalidQuery(cause);
    };
    ApiError::Validation(errors(
        &state.contract,
        req.path(),
        req.method(),
        req.query_string(),
    ))
}

impl QueryParam {
    /// A parameter `name` of this schema (for tests).
    pub fn new(name: &str, required: bool, schema: Value) -> Self {
        QueryParam {
            name: name.to_owned(),
            required,
            schema,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_checked_against_their_schema() {
        let limit = json!({"type": ["integer", "null"], "minimum": 1, "maximum": 200});
        let e = check("/query/limit", "abc", &limit).unwrap();
        assert_eq!(e.code, "invalid_integer");
        assert_eq!(e.accepted.maximum, Some(200.into()));
        assert_eq!(
            check("/query/limit", "99999999999999999999", &limit)
                .unwrap()
                .code,
            "invalid_integer"
        );
        assert_eq!(
            check("/query/limit", "0", &limit).unwrap().code,
            "out_of_range"
        );
        assert!(check("/query/limit", "20", &limit).is_none());
        let flag = json!({"type": ["boolean", "null"]});
        let e = check("/query/overdue", "maybe", &flag).unwrap();
        assert_eq!(e.code, "unknown_option");
        assert_eq!(
            e.accepted.allowed,
            Some(vec!["true".into(), "false".into()])
        );
        let at = json!({"type": ["string", "null"], "format": "date-time"});
        assert_eq!(
            check("/query/from", "yesterday", &at).unwrap().code,
            "invalid_date_time"
        );
        assert!(check("/query/from", "2026-11-22T10:00:00Z", &at).is_none());
        let lat = json!({"type": ["number", "null"], "minimum": -90, "maximum": 90});
        assert_eq!(
            check("/query/lat", "abc", &lat).unwrap().code,
            "invalid_number"
        );
        assert_eq!(
            check("/query/lat", "NaN", &lat).unwrap().code,
            "invalid_number"
        );
        assert_eq!(
            check("/query/lat", "91", &lat).unwrap().code,
            "out_of_range"
        );
        let format = json!({"type": "string", "enum": ["json", "pdf"]});
        assert!(check("/query/format", "xml", &format).is_none());
        assert_eq!(
            accepted(&format).allowed,
            Some(vec!["json".to_owned(), "pdf".to_owned()])
        );
    }
}

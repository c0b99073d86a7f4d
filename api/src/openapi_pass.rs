//! A pass over the generated contract that documents, once for every operation of the
//! right kind, what the shared machinery does (so that no handler has to repeat it):
//!
//! - a JSON request body: 400 `malformed_json`, 408, 413, 415 and 422;
//! - query parameters: 400 `invalid_query` (unreadable) and 422 (field errors at
//!   `/query/<name>`, control characters included);
//! - path parameters: 400 `invalid_path`;
//! - an `Idempotency-Key` header: 400 `invalid_header` when malformed;
//! - a bearer token: 401 with `WWW-Authenticate`; on the citizen routes (tag
//!   `filings`), 403 for a token that is not a citizen's account;
//! - a 200 with several media types: 406 when none is acceptable.
//!
//! It also writes the constraints the handlers enforce into the parameters: `limit` is
//! an integer from 1 to the maximum its description states ("1 to N"), `country` is one
//! of the catalogue's country codes (parameters and body properties), `format` is one of
//! the formats of its operation, `justification` is required on the export, and a body's
//! `message` is at least one character.

use domain::catalogue::Country;
use utoipa::openapi::path::{Operation, Parameter, ParameterIn};
use utoipa::openapi::request_body::RequestBody;
use utoipa::openapi::schema::{Object, Schema};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Required, ResponseBuilder};

/// The values of `format` per operation (path, values).
const FORMATS: [(&str, &[&str]); 2] = [
    ("/v1/filings/{id}/receipt", &["json", "pdf"]),
    (
        "/v1/units/{unit_id}/filings/{id}/export",
        &["json", "xml", "text"],
    ),
];

/// Query parameters that are required although their type is optional (the handler
/// answers 422 without them): (path, name).
const REQUIRED_QUERY: [(&str, &str); 1] =
    [("/v1/units/{unit_id}/filings/{id}/export", "justification")];

pub fn complete(api: &mut OpenApi) {
    for (path, item) in api.paths.paths.iter_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            constrain_parameters(path, operation);
            add_shared_responses(operation);
        }
    }
    if let Some(components) = api.components.as_mut() {
        for (name, schema) in components.schemas.iter_mut() {
            if matches!(name.as_str(), "Problem" | "FieldError") {
                continue;
            }
            if let RefOr::T(Schema::Object(object)) = schema {
                constrain_properties(object);
            }
        }
    }
}

fn country_codes() -> Vec<serde_json::Value> {
    Country::ALL
        .iter()
        .map(|c| serde_json::Value::from(c.as_str()))
        .collect()
}

fn object_of(schema: &mut Option<RefOr<Schema>>) -> Option<&mut Object> {
    match schema {
        Some(RefOr::T(Schema::Object(object))) => Some(object),
        _ => None,
    }
}

fn constrain_properties(object: &mut Object) {
    for (name, property) in object.properties.iter_mut() {
        let RefOr::T(Schema::Object(property)) = property else {
            continue;
        };
        match name.as_str() {
            "country" if property.enum_values.is_none() => {
                property.enum_values = Some(country_codes());
            }
            "message" => property.min_length = Some(1),
            _ => {}
        }
    }
}

fn constrain_parameters(path: &str, operation: &mut Operation) {
    let Some(parameters) = operation.parameters.as_mut() else {
        return;
    };
    for parameter in parameters.iter_mut() {
        let RefOr::T(parameter) = parameter else {
            continue;
        };
        if parameter.parameter_in != ParameterIn::Query {
            continue;
        }
        let description = parameter.description.clone().unwrap_or_default();
        if REQUIRED_QUERY.contains(&(path, parameter.name.as_str())) {
            parameter.required = Required::True;
        }
        let name = parameter.name.clone();
        let Some(schema) = object_of(&mut parameter.schema) else {
            continue;
        };
        match name.as_str() {
            "limit" => {
                schema.minimum = Some(1.into());
                if let Some(max) = stated_maximum(&description) {
                    schema.maximum = Some(max.into());
                }
            }
            "country" if schema.enum_values.is_none() => {
                schema.enum_values = Some(country_codes());
            }
            "format" => {
                if let Some((_, values)) = FORMATS.iter().find(|(p, _)| *p == path) {
                    schema.enum_values = Some(values.iter().map(|v| (*v).into()).collect());
                }
            }
            _ => {}
        }
    }
}

/// N in a description saying "1 to N".
fn stated_maximum(description: &str) -> Option<i64> {
    let rest = &description[description.find("1 to ")? + 5..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn problem(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                crate::error::PROBLEM_CONTENT_TYPE,
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build(),
    )
}

/// Adds the response `status`, or, when the operation documents it already for another
/// reason, adds the reason to its description.
fn add(operation: &mut Operation, status: &str, code: &str, description: &str) {
    let responses = &mut operation.responses.responses;
    match responses.get_mut(status) {
        None => {
            responses.insert(status.to_owned(), problem(description));
        }
        Some(RefOr::T(existing)) => {
            if !existing.description.contains(code) {
                let joined = format!(
                    "{}; or: {}",
                    existing.description.trim_end_matches('.'),
                    description
                );
                existing.description = joined;
            }
        }
        Some(RefOr::Ref(_)) => {}
    }
}

fn has_json_body(body: &Option<RefOr<RequestBody>>) -> bool {
    matches!(body, Some(RefOr::T(b)) if b.content.keys().any(|k| k.contains("json")))
}

fn parameters(operation: &Operation) -> Vec<&Parameter> {
    operation
        .parameters
        .iter()
        .flatten()
        .filter_map(|p| match p {
            RefOr::T(p) => Some(p),
            RefOr::Ref(_) => None,
        })
        .collect()
}

fn add_shared_responses(operation: &mut Operation) {
    let params = parameters(operation);
    let query = params.iter().any(|p| p.parameter_in == ParameterIn::Query);
    let path = params.iter().any(|p| p.parameter_in == ParameterIn::Path);
    let idempotency = params.iter().any(|p| {
        p.parameter_in == ParameterIn::Header && p.name.eq_ignore_ascii_case("idempotency-key")
    });
    let bearer = serde_json::to_string(&operation.security).is_ok_and(|s| s.contains("\"bearer\""));
    let citizen = bearer
        && operation
            .tags
            .as_ref()
            .is_some_and(|t| t.iter().any(|t| t == "filings"));
    let several_media = matches!(
        operation.responses.responses.get("200"),
        Some(RefOr::T(r)) if r.content.len() > 1
    );
    if has_json_body(&operation.request_body) {
        add(
            operation,
            "400",
            "malformed_json",
            "The body is not one JSON value (`malformed_json`)",
        );
        add(
            operation,
            "408",
            "request_timeout",
            "The body did not arrive in time (`request_timeout`)",
        );
        add(
            operation,
            "413",
            "payload_too_large",
            "The body is larger than the limit (`payload_too_large`)",
        );
        add(
            operation,
            "415",
            "unsupported_media_type",
            "The body is not `application/json` (`unsupported_media_type`)",
        );
        add(
            operation,
            "422",
            "validation_failed",
            "The body is invalid: field errors with JSON pointers (`validation_failed`)",
        );
    }
    if query {
        add(
            operation,
            "400",
            "invalid_query",
            "A query parameter cannot be read (`invalid_query`)",
        );
        add(
            operation,
            "422",
            "/query/",
            "A query parameter is invalid: field errors at `/query/<name>`",
        );
    }
    if path {
        add(
            operation,
            "400",
            "invalid_path",
            "A path parameter cannot be read (`invalid_path`)",
        );
    }
    if idempotency {
        add(
            operation,
            "400",
            "invalid_header",
            "A malformed `Idempotency-Key` (`invalid_header`)",
        );
    }
    if bearer {
        add(
            operation,
            "401",
            "unauthorized",
            "No valid token (`unauthorized`), with `WWW-Authenticate`",
        );
    }
    if citizen {
        add(
            operation,
            "403",
            "citizen",
            "The token is not a citizen account (`forbidden`)",
        );
    }
    if several_media {
        add(
            operation,
            "406",
            "not_acceptable",
            "None of the response's media types is acceptable (`not_acceptable`)",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maxima_are_read_from_descriptions() {
        assert_eq!(
            stated_maximum("Page size, 1 to 500 (default 100)."),
            Some(500)
        );
        assert_eq!(
            stated_maximum("At most this many (1 to 200, default 20)."),
            Some(200)
        );
        assert_eq!(stated_maximum("Page size."), None);
    }
}

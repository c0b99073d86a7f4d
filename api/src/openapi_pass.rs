//! A pass over the generated contract that documents, once for every operation of the
//! right kind, what the shared machinery does (so that no handler has to repeat it):
//!
//! - a JSON request body: 400 `malformed_json`, 408, 413, 415 and 422;
//! - query parameters: 422 (field errors at `/query/<name>`: unreadable, out of bounds,
//!   repeated, missing, not UTF-8 or with a control character, each with what the
//!   parameter accepts; `crate::query_params`);
//! - path parameters: 400 `invalid_path`;
//! - an `Idempotency-Key` header: 400 `invalid_header` when malformed; no header is
//!   `null` (it is sent or not);
//! - a bearer token: 401 with `WWW-Authenticate`; on the citizen's routes
//!   ([`CITIZEN_PATHS`]), 403 for a token that is not a citizen's account;
//! - a 200 with several media types: 406 when none is acceptable.
//!
//! It also writes the constraints the handlers enforce into the parameters: `limit` is
//! an integer from 1 to the maximum its description states ("1 to N"), `country` is one
//! of the catalogue's country codes (parameters and body properties), `format` is one of
//! the formats of its operation, `justification` is required on the export, and a body's
//! `message` is at least one character; a body's `message`, `body` and every required
//! text with a minimum length are trimmed, so they must hold a character that is not
//! white space ([`BODY_TEXT_NOT_BLANK`]). The closed vocabularies the handlers check
//! (`declarant`, `kind`, `status`, `assigned`, the dev IdP's `assurance` and `role`) get
//! their `enum`, and so do the appointments' (`kind`, the agenda's `span`, an outcome and
//! the identity document checked); the cursors and `Idempotency-Key` their `pattern`.
//!
//! And it writes the intake rule for text (`crate::intake`) as a `pattern`: on every free
//! string parameter in the path or the query, no control character (C0, DEL, C1) nor
//! U+2028/U+2029 ([`OUTSIDE_BODY_TEXT`]); on every free string of a request body's schema,
//! no control character but tab, LF and CR ([`BODY_TEXT`]); on the keys of free-form body
//! objects, none at all (`propertyNames`). The patterns use `\xNN`/`\uNNNN` escapes, which
//! ECMA-262 and Python's `re` read alike.
//!
//! Last, `Problem.code` lists every code the service answers with
//! (`ApiError::all_codes`), and the names and labels of partners get the pattern of
//! `domain::names` ([`refused_in_name_class`]).

use domain::appointments::{AppointmentKind, Outcome};
use domain::catalogue::{Assurance, Country, DeclarantKind};
use domain::directory::UnitKind;
use domain::filing::FilingStatus;
use std::collections::BTreeSet;
use utoipa::openapi::path::{Operation, Parameter, ParameterIn};
use utoipa::openapi::request_body::RequestBody;
use utoipa::openapi::schema::{AdditionalProperties, ArrayItems, Object, Schema, SchemaType, Type};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Required, ResponseBuilder};

/// A path segment, a query parameter or an object key: no control character (C0, DEL,
/// C1) and no U+2028/U+2029 (`crate::intake::is_control_or_separator`).
pub const OUTSIDE_BODY_TEXT: &str = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*$";

/// A string in a JSON body: no control character but tab, LF and CR (which, like
/// U+2028/U+2029, become LF).
pub const BODY_TEXT: &str = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$";

/// A body string that is trimmed and must not be empty (a note's `body`, a `message`): at
/// least one character that is not white space, and the rule of [`BODY_TEXT`].
pub const BODY_TEXT_NOT_BLANK: &str = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\s\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$";

/// `Idempotency-Key`: 1 to 255 visible ASCII characters (`domain::idempotency`).
const IDEMPOTENCY_KEY: &str = r"^[!-~]{1,255}$";

/// A list cursor `<microseconds>.<id>` (`routes::filings::parse_cursor`): every list
/// that reads its cursor with it (the citizen's filings, a unit's queue of filings and of
/// travel authorisations) publishes this pattern.
const TIME_CURSOR: &str = r"^[+-]?[0-9]{1,18}\.[^\x00-\x1f\x7f-\x9f\u2028\u2029]*$";

/// What a query parameter may hold, beyond its type.
enum Values {
    Enum(Vec<String>),
    Pattern(String),
}

fn codes<T: ToString>(all: &[T]) -> Vec<String> {
    all.iter().map(ToString::to_string).collect()
}

/// The closed query parameters (path, name, values).
fn query_values() -> Vec<(&'static str, &'static str, Values)> {
    let statuses = codes(FilingStatus::ALL).join("|");
    vec![
        ("/v1/procedures", "declarant", Values::Enum(codes(DeclarantKind::ALL))),
        ("/v1/units", "kind", Values::Enum(codes(UnitKind::ALL))),
        ("/v1/filings", "status", Values::Enum(codes(FilingStatus::ALL))),
        ("/v1/filings", "cursor", Values::Pattern(TIME_CURSOR.into())),
        (
            "/v1/units/{unit_id}/filings",
            "status",
            // Comma-separated, spaces around each allowed.
            Values::Pattern(format!("^ *({statuses}) *(, *({statuses}) *)*$")),
        ),
        (
            "/v1/units/{unit_id}/filings",
            "assigned",
            Values::Enum(vec!["me".into(), "none".into()]),
        ),
        (
            "/v1/units/{unit_id}/filings",
            "cursor",
            Values::Pattern(TIME_CURSOR.into()),
        ),
        (
            "/v1/units/{unit_id}/travel-authorisations",
            "cursor",
            Values::Pattern(TIME_CURSOR.into()),
        ),
        ("/v1/units/{unit_id}/agenda", "span", Values::Enum(vec!["day".into(), "week".into()])),
        (
            "/v1/units/{unit_id}/appointment-capacities/{kind}",
            "kind",
            Values::Enum(codes(AppointmentKind::ALL)),
        ),
        (
            "/v1/units/{unit_id}/appointment-capacities/{kind}/slots",
            "kind",
            Values::Enum(codes(AppointmentKind::ALL)),
        ),
        (
            "/v1/units/{unit_id}/filings/{id}/export",
            "justification",
            // At least one character that is not white space (it is trimmed).
            Values::Pattern(
                r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*[^\s\x00-\x1f\x7f-\x9f\u2028\u2029][^\x00-\x1f\x7f-\x9f\u2028\u2029]*$"
                    .into(),
            ),
        ),
    ]
}

/// The closed properties of request bodies (schema, property, values).
fn body_enums() -> Vec<(&'static str, &'static str, Vec<String>)> {
    vec![
        ("DevTokenRequest", "assurance", codes(Assurance::ALL)),
        ("DevTokenRequest", "role", codes(crate::routes::dev::ROLES)),
        ("OutcomeBody", "outcome", codes(Outcome::ALL)),
        (
            "OutcomeBody",
            "identity_document",
            codes(domain::appointments::IDENTITY_DOCUMENTS),
        ),
    ]
}

/// The values of `format` per operation (path, values).
const FORMATS: [(&str, &[&str]); 5] = [
    ("/v1/filings/{id}/receipt", &["json", "pdf"]),
    ("/v1/me/export", &["json", "pdf"]),
    ("/v1/records-of-processing", &["json", "markdown"]),
    ("/v1/statistics", &["json", "csv"]),
    (
        "/v1/units/{unit_id}/filings/{id}/export",
        &["json", "xml", "text"],
    ),
];

/// Operations with several media types that `format` alone chooses (no 406).
const NO_NEGOTIATION: [&str; 1] = ["/v1/units/{unit_id}/filings/{id}/export"];

/// Query parameters that are required although their type is optional (the handler
/// answers 422 without them): (path, name).
const REQUIRED_QUERY: [(&str, &str); 1] =
    [("/v1/units/{unit_id}/filings/{id}/export", "justification")];

pub fn complete(api: &mut OpenApi) {
    let query_values = query_values();
    let mut bodies = BTreeSet::new();
    for (path, item) in api.paths.paths.iter_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            constrain_parameters(path, operation, &query_values);
            // Open311's errors are its own format (docs/OPEN311.md), stated per route.
            if !path.starts_with("/open311/") {
                add_shared_responses(path, operation, !NO_NEGOTIATION.contains(&path.as_str()));
            }
            if let Some(RefOr::T(body)) = operation.request_body.as_mut() {
                for content in body.content.values_mut() {
                    let RefOr::T(content) = content else {
                        continue;
                    };
                    if let Some(schema) = content.schema.as_mut() {
                        collect_refs(schema, &mut bodies);
                        constrain_text(schema);
                    }
                }
            }
        }
    }
    if let Some(components) = api.components.as_mut() {
        // The schemas a request body reaches, through references.
        let mut pending: Vec<String> = bodies.iter().cloned().collect();
        while let Some(name) = pending.pop() {
            if let Some(schema) = components.schemas.get(&name) {
                let mut found = BTreeSet::new();
                collect_refs(schema, &mut found);
                for name in found {
                    if bodies.insert(name.clone()) {
                        pending.push(name);
                    }
                }
            }
        }
        list_problem_codes(&mut components.schemas);
        let enums = body_enums();
        for (name, schema) in components.schemas.iter_mut() {
            if matches!(name.as_str(), "Problem" | "FieldError") {
                continue;
            }
            if let RefOr::T(Schema::Object(object)) = schema {
                constrain_properties(object);
                constrain_names(name, object);
                for (_, property, values) in enums.iter().filter(|(s, _, _)| s == name) {
                    if let Some(RefOr::T(Schema::Object(p))) = object.properties.get_mut(*property)
                    {
                        p.enum_values = Some(enum_of(p, values));
                    }
                }
            }
            if bodies.contains(name) {
                if let RefOr::T(Schema::Object(object)) = schema {
                    let required = object.required.clone();
                    for (property, schema) in object.properties.iter_mut() {
                        let RefOr::T(Schema::Object(schema)) = schema else {
                            continue;
                        };
                        // A note's `body`, a `message`, and every required text that
                        // must not be empty: trimmed, so not blank either.
                        let not_empty = required.contains(property)
                            && schema.min_length.is_some_and(|m| m >= 1);
                        if (matches!(property.as_str(), "message" | "body") || not_empty)
                            && is_string(schema)
                            && schema.pattern.is_none()
                            && schema.enum_values.is_none()
                            && schema.format.is_none()
                        {
                            schema.pattern = Some(BODY_TEXT_NOT_BLANK.into());
                        }
                    }
                }
                constrain_text(schema);
            }
        }
    }
}

/// The names and labels of partners (and their endpoints): the rule of
/// `domain::names` (schema, property, must hold a character that is not white space).
const NAMES: [(&str, &str, bool); 2] = [
    ("PartnerBody", "name", true),
    ("EndpointBody", "description", false),
];

/// The characters of the Basic Multilingual Plane a name may not hold
/// (`domain::names::is_refused_in_name`), as the inside of a regular expression's
/// class, in `\xNN`/`\uNNNN` escapes. Beyond it, the format characters of other planes
/// (U+E0001 and the tags, a few in U+1xxxx) are refused too; a pattern that both
/// ECMA-262 and Python read cannot name them.
pub fn refused_in_name_class() -> String {
    let escape = |c: u32| {
        if c < 0x100 {
            format!("\\x{c:02x}")
        } else {
            format!("\\u{c:04x}")
        }
    };
    let mut class = String::new();
    let mut start: Option<u32> = None;
    for code in 0..=0x1_0000u32 {
        let refused =
            code < 0x1_0000 && char::from_u32(code).is_some_and(domain::names::is_refused_in_name);
        match (refused, start) {
            (true, None) => start = Some(code),
            (false, Some(first)) => {
                class.push_str(&escape(first));
                if code - 1 > first {
                    class.push('-');
                    class.push_str(&escape(code - 1));
                }
                start = None;
            }
            _ => {}
        }
    }
    class
}

fn constrain_names(schema: &str, object: &mut Object) {
    for (_, property, not_blank) in NAMES.iter().filter(|(s, _, _)| *s == schema) {
        if let Some(RefOr::T(Schema::Object(p))) = object.properties.get_mut(*property) {
            let refused = refused_in_name_class();
            p.pattern = Some(if *not_blank {
                format!("^[^{refused}]*[^\\s{refused}][^{refused}]*$")
            } else {
                format!("^[^{refused}]*$")
            });
        }
    }
}

/// `Problem.code` names every code the service can answer with
/// (`ApiError::all_codes`), so the contract cannot disagree with the code.
fn list_problem_codes(schemas: &mut std::collections::BTreeMap<String, RefOr<Schema>>) {
    let Some(RefOr::T(Schema::Object(problem))) = schemas.get_mut("Problem") else {
        return;
    };
    if let Some(RefOr::T(Schema::Object(code))) = problem.properties.get_mut("code") {
        let list = crate::error::ApiError::all_codes()
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ");
        code.description = Some(format!(
            "Stable machine-readable code; clients branch on it. New codes may be added: \
             treat an unknown one by its `status`. The codes: {list}."
        ));
    }
}

/// The `enum` of a string property: the values, and `null` when the type admits it.
fn enum_of(object: &Object, values: &[String]) -> Vec<serde_json::Value> {
    let mut out: Vec<serde_json::Value> = values.iter().map(|v| v.as_str().into()).collect();
    if matches!(&object.schema_type, SchemaType::Array(types) if types.contains(&Type::Null)) {
        out.push(serde_json::Value::Null);
    }
    out
}

/// The names of the component schemas `schema` refers to.
fn collect_refs(schema: &RefOr<Schema>, names: &mut BTreeSet<String>) {
    if let Ok(json) = serde_json::to_value(schema) {
        collect_json_refs(&json, names);
    }
}

fn collect_json_refs(value: &serde_json::Value, names: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", serde_json::Value::String(r)) => {
                        if let Some(name) = r.strip_prefix("#/components/schemas/") {
                            names.insert(name.to_owned());
                        }
                    }
                    _ => collect_json_refs(value, names),
                }
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                collect_json_refs(item, names);
            }
        }
        _ => {}
    }
}

fn is_string(object: &Object) -> bool {
    match &object.schema_type {
        SchemaType::Type(t) => *t == Type::String,
        SchemaType::Array(types) => types.contains(&Type::String),
        SchemaType::AnyValue => false,
    }
}

fn is_object(object: &Object) -> bool {
    match &object.schema_type {
        SchemaType::Type(t) => *t == Type::Object,
        SchemaType::Array(types) => types.contains(&Type::Object),
        SchemaType::AnyValue => false,
    }
}

/// The intake rule, in a request body's schema: free strings get [`BODY_TEXT`], the keys
/// of free-form objects [`OUTSIDE_BODY_TEXT`].
fn constrain_text(schema: &mut RefOr<Schema>) {
    let RefOr::T(schema) = schema else {
        return;
    };
    match schema {
        Schema::Object(object) => {
            if is_string(object)
                && object.enum_values.is_none()
                && object.format.is_none()
                && object.pattern.is_none()
            {
                object.pattern = Some(BODY_TEXT.into());
            }
            if is_object(object) && object.properties.is_empty() && object.property_names.is_none()
            {
                let mut keys = Object::with_type(Type::String);
                keys.pattern = Some(OUTSIDE_BODY_TEXT.into());
                object.property_names = Some(Box::new(Schema::Object(keys)));
            }
            for property in object.properties.values_mut() {
                constrain_text(property);
            }
            if let Some(additional) = object.additional_properties.as_mut() {
                if let AdditionalProperties::RefOr(schema) = additional.as_mut() {
                    constrain_text(schema);
                }
            }
        }
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                constrain_text(items);
            }
        }
        Schema::OneOf(one_of) => one_of.items.iter_mut().for_each(constrain_text),
        Schema::AllOf(all_of) => all_of.items.iter_mut().for_each(constrain_text),
        Schema::AnyOf(any_of) => any_of.items.iter_mut().for_each(constrain_text),
        _ => {}
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
            // A nullable country's `null` is one of its values too (an `enum` without it
            // refuses the `null` its type allows).
            "country" if property.enum_values.is_none() => {
                let codes: Vec<String> = Country::ALL.iter().map(|c| c.as_str().into()).collect();
                property.enum_values = Some(enum_of(property, &codes));
            }
            "message" => property.min_length = Some(1),
            _ => {}
        }
    }
}

fn constrain_parameters(
    path: &str,
    operation: &mut Operation,
    query_values: &[(&str, &str, Values)],
) {
    let Some(parameters) = operation.parameters.as_mut() else {
        return;
    };
    for parameter in parameters.iter_mut() {
        let RefOr::T(parameter) = parameter else {
            continue;
        };
        let location = parameter.parameter_in.clone();
        let name = parameter.name.clone();
        if location == ParameterIn::Header {
            let Some(schema) = object_of(&mut parameter.schema) else {
                continue;
            };
            // A header is sent or not: never `null` (an optional one is `required: false`).
            if let SchemaType::Array(types) = &schema.schema_type {
                let kept: Vec<Type> = types
                    .iter()
                    .filter(|t| **t != Type::Null)
                    .cloned()
                    .collect();
                if let [one] = kept.as_slice() {
                    schema.schema_type = SchemaType::Type(one.clone());
                }
            }
            if name.eq_ignore_ascii_case("tus-resumable") {
                // The one tus version spoken (`routes::evidence::uploads::TUS_VERSION`).
                schema.pattern = None;
                schema.enum_values =
                    Some(vec![crate::routes::evidence::uploads::TUS_VERSION.into()]);
            }
            if name.eq_ignore_ascii_case("upload-metadata") {
                schema.pattern =
                    Some(crate::routes::evidence::uploads::UPLOAD_METADATA_PATTERN.into());
            }
            if name.eq_ignore_ascii_case("idempotency-key") {
                schema.schema_type = SchemaType::Type(Type::String);
                schema.min_length = Some(1);
                schema.max_length = Some(255);
                schema.pattern = Some(IDEMPOTENCY_KEY.into());
            }
            continue;
        }
        if !matches!(location, ParameterIn::Query | ParameterIn::Path) {
            continue;
        }
        let description = parameter.description.clone().unwrap_or_default();
        if location == ParameterIn::Query && REQUIRED_QUERY.contains(&(path, name.as_str())) {
            parameter.required = Required::True;
        }
        let Some(schema) = object_of(&mut parameter.schema) else {
            continue;
        };
        if location == ParameterIn::Query {
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
            if let Some((_, _, values)) = query_values
                .iter()
                .find(|(p, n, _)| *p == path && *n == name)
            {
                match values {
                    Values::Enum(values) => {
                        schema.enum_values =
                            Some(values.iter().map(|v| v.as_str().into()).collect());
                    }
                    Values::Pattern(pattern) => schema.pattern = Some(pattern.clone()),
                }
            }
        }
        if is_string(schema)
            && schema.enum_values.is_none()
            && schema.format.is_none()
            && schema.pattern.is_none()
        {
            schema.pattern = Some(OUTSIDE_BODY_TEXT.into());
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

/// The citizen's own routes: their handlers take `crate::actors::Citizen`, which answers
/// 403 to a token that is not a citizen's account (an officer's, say).
pub const CITIZEN_PATHS: [&str; 7] = [
    "/v1/filings",
    "/v1/me",
    "/v1/appointments",
    "/v1/appointment-slots",
    "/v1/notifications",
    "/v1/alerts",
    "/v1/alert-cancel-code",
];

fn add_shared_responses(route: &str, operation: &mut Operation, negotiates: bool) {
    let params = parameters(operation);
    let query = params.iter().any(|p| p.parameter_in == ParameterIn::Query);
    let path = params.iter().any(|p| p.parameter_in == ParameterIn::Path);
    let idempotency = params.iter().any(|p| {
        p.parameter_in == ParameterIn::Header && p.name.eq_ignore_ascii_case("idempotency-key")
    });
    let bearer = serde_json::to_string(&operation.security).is_ok_and(|s| s.contains("\"bearer\""));
    let citizen = bearer
        && CITIZEN_PATHS
            .iter()
            .any(|p| route == *p || route.starts_with(&format!("{p}/")));
    let several_media = negotiates
        && matches!(
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
            "422",
            "/query/",
            "A query parameter is invalid (unreadable, out of bounds, repeated, missing, not \
             UTF-8): field errors at `/query/<name>` with what it accepts (`validation_failed`)",
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
    if citizen || (bearer && route.starts_with("/v1/partner/")) {
        add(
            operation,
            "429",
            "too_many_requests",
            "Over the quota of the partner or the citizen (`too_many_requests`), with              `Retry-After`, `RateLimit-Policy` and `RateLimit`",
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

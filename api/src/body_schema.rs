//! Every structural issue of a refused request body at once: when a body does not read
//! as its type (serde stops at the first issue), it is checked against the type's schema
//! in the published contract (`openapi.yaml`, `#/components/schemas/<name>`, JSON Schema
//! 2020-12 as OpenAPI 3.1 uses it), and each missing member (`required`), unknown member
//! (`unknown_field`), value of the wrong type (`invalid_type`) and value outside its
//! options (`unknown_option`) is listed with its JSON pointer (RFC 6901).
//!
//! Only the structural keywords are reported here: lengths, ranges and patterns are the
//! domain's rules, which answer with their own codes (`too_long`, `out_of_range`...) once
//! the body reads. The contract is the one the service serves (`crate::contract`, built
//! at start-up from the code), and each type's validator is compiled once, on the first
//! refused body of that type.

use crate::error::FieldError;
use jsonschema::error::ValidationErrorKind as Kind;
use jsonschema::Validator;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The validator of the component schema `name` of `components` (the contract's, the
/// same for the process's life); `None` when it has no such schema or the schema does
/// not compile (then only serde's first issue is reported).
fn validator(components: &Value, name: &str) -> Option<Arc<Validator>> {
    static VALIDATORS: OnceLock<Mutex<HashMap<String, Option<Arc<Validator>>>>> = OnceLock::new();
    let cache = VALIDATORS.get_or_init(|| Mutex::new(HashMap::new()));
    if let Ok(known) = cache.lock() {
        if let Some(found) = known.get(name) {
            return found.clone();
        }
    }
    let compiled = components
        .get("schemas")
        .and_then(|s| s.get(name))
        .and_then(|_| {
            // The components travel with the root, so that every `$ref` resolves in it.
            let root = json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "$ref": format!("#/components/schemas/{name}"),
                "components": components,
            });
            jsonschema::draft202012::new(&root).ok().map(Arc::new)
        });
    if compiled.is_none() {
        tracing::warn!(schema = name, "no validator for a request body's schema");
    }
    if let Ok(mut known) = cache.lock() {
        known.insert(name.to_owned(), compiled.clone());
    }
    compiled
}

/// The structural issues of `value` against the component schema `name` of
/// `components` (the contract's `#/components`), each once, in document order; empty when
/// the schema finds none (or is unknown).
pub fn structural_errors(components: &Value, name: &str, value: &Value) -> Vec<FieldError> {
    let Some(validator) = validator(components, name) else {
        return Vec::new();
    };
    let mut issues = Vec::new();
    for error in validator.iter_errors(value) {
        issues.extend(issues_of(&error));
    }
    let mut errors: Vec<FieldError> = Vec::new();
    for (pointer, code, message) in issues {
        if !errors.iter().any(|e| e.pointer == pointer) {
            errors.push(FieldError {
                pointer,
                code: code.to_owned(),
                message,
                accepted: Default::default(),
            });
        }
    }
    errors
}

/// One issue: its pointer, its code and serde's words for it.
type Issue = (String, &'static str, String);

/// The structural issues one validation error stands for.
///
/// A `oneOf` or `anyOf` that fails (a member that may be null, a tagged choice) is not
/// answered as a whole when one can tell what was meant: the branches the value's type
/// fits (an object is not the `null` branch) are read; one such branch answers with its
/// own issues (`/companion/name` required), several with the issues they all share
/// (`/other_holder/kind` required); none, or nothing shared, is `invalid_type` at the
/// member.
fn issues_of(error: &jsonschema::ValidationError<'_>) -> Vec<Issue> {
    let at = error.instance_path().to_string();
    match error.kind() {
        Kind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            let pointer = format!("{at}/{}", domain::forms::escape(name));
            vec![(pointer, "required", format!("missing field `{name}`"))]
        }
        Kind::AdditionalProperties { unexpected } | Kind::UnevaluatedProperties { unexpected } => {
            unexpected
                .iter()
                .map(|name| {
                    let pointer = format!("{at}/{}", domain::forms::escape(name));
                    (pointer, "unknown_field", format!("unknown field `{name}`"))
                })
                .collect()
        }
        Kind::OneOfNotValid { context } | Kind::AnyOf { context } => {
            let fitting: Vec<Vec<Issue>> = context
                .iter()
                .filter(|branch| {
                    !branch.iter().any(|e| {
                        matches!(e.kind(), Kind::Type { .. }) && e.instance_path().to_string() == at
                    })
                })
                .map(|branch| branch.iter().flat_map(issues_of).collect())
                .collect();
            let shared: Vec<Issue> = match fitting.split_first() {
                Some((first, rest)) => first
                    .iter()
                    .filter(|issue| {
                        rest.iter()
                            .all(|other| other.iter().any(|o| o.0 == issue.0 && o.1 == issue.1))
                    })
                    .cloned()
                    .collect(),
                None => Vec::new(),
            };
            if shared.is_empty() {
                vec![(at, "invalid_type", error.to_string())]
            } else {
                shared
            }
        }
        Kind::Type { .. } => vec![(at, "invalid_type", error.to_string())],
        Kind::Enum { .. } | Kind::Constant { .. } => {
            vec![(at, "unknown_option", error.to_string())]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The (pointer, code) of each issue of `body` as a travel request, sorted.
    fn issues(components: &Value, body: &Value) -> Vec<(String, String)> {
        let mut found: Vec<(String, String)> =
            structural_errors(components, "NewTravelRequest", body)
                .into_iter()
                .map(|e| (e.pointer, e.code))
                .collect();
        found.sort();
        found
    }

    fn owned(expected: &[(&str, &str)]) -> Vec<(String, String)> {
        expected
            .iter()
            .map(|(p, c)| ((*p).to_owned(), (*c).to_owned()))
            .collect()
    }

    #[test]
    fn a_body_with_several_structural_issues_lists_each() {
        let body = json!({
            "minor": {"first_name": 5, "birth_date": "2014-05-10", "document_number": "1"},
            "trip": {"destinations": "FR", "departure": "2026-12-20", "return_date": "2027-01-06"},
            "other_holder": {"kind": "invited", "name": "Jordi Puig", "email": "j@example.org"},
            "municipality": "BE-25121", "contact_email": "a@example.org", "colour": "red"
        });
        let doc = serde_json::to_value(crate::openapi::document()).unwrap();
        let components = &doc["components"];
        let expected = owned(&[
            ("/colour", "unknown_field"),
            ("/minor/first_name", "invalid_type"),
            ("/minor/last_name", "required"),
            ("/trip/destinations", "invalid_type"),
        ]);
        assert_eq!(issues(components, &body), expected);
        assert!(structural_errors(components, "NoSuchSchema", &body).is_empty());

        // Inside a member that may be null, and inside a tagged choice: the members'
        // own issues (reported from outside: `/companion invalid_type` only).
        let body = json!({
            "minor": {"first_name": "Laia", "last_name": "Puig", "birth_date": "2014-05-10", "document_number": "1"},
            "trip": {"destinations": ["FR"], "departure": "2026-12-20", "return_date": "2027-01-06"},
            "companion": {"zz": 1},
            "other_holder": {},
            "municipality": "BE-25121", "contact_email": "a@example.org"
        });
        let expected = owned(&[
            ("/companion/document_number", "required"),
            ("/companion/name", "required"),
            ("/companion/zz", "unknown_field"),
            ("/other_holder/kind", "required"),
        ]);
        assert_eq!(issues(components, &body), expected);
        // A member of a type no branch takes is `invalid_type`.
        let mut body = body;
        body["companion"] = json!(5);
        body["other_holder"] = json!({"kind": "sole_holder", "ground": "court_decision"});
        let found = structural_errors(components, "NewTravelRequest", &body);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].pointer.as_str(), found[0].code.as_str()),
            ("/companion", "invalid_type")
        );
    }
}

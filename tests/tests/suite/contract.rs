//! The published contract: the committed `openapi.yaml` is what the code generates and
//! what the service serves, and every operation is fully described.

use serde_json::Value;
use tests::spawn_app;

const REGENERATE: &str = "cargo run -q -p api --bin ecommissariat -- openapi > openapi.yaml";

fn committed() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml");
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn committed_contract_matches_the_code() {
    let generated = api::openapi::to_yaml(&api::openapi::document()).unwrap();
    assert!(
        generated == committed(),
        "openapi.yaml differs from the code; regenerate it with:\n    {REGENERATE}"
    );
}

#[tokio::test]
async fn served_contract_is_the_committed_file() {
    let app = spawn_app().await;
    let yaml = app.get("/openapi.yaml").await.text().await.unwrap();
    assert!(
        yaml == committed(),
        "served /openapi.yaml differs; run {REGENERATE}"
    );
    let json: Value = app.get("/openapi.json").await.json().await.unwrap();
    assert_eq!(json["openapi"], "3.1.0");
}

/// Resolves a `$ref` to a component schema.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

#[test]
fn every_operation_is_fully_described() {
    let doc: Value = serde_json::from_str(&api::openapi::document().to_json().unwrap()).unwrap();
    let mut defects = Vec::new();
    let paths = doc["paths"].as_object().unwrap();
    assert!(!paths.is_empty());
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let at = format!("{} {path}", method.to_uppercase());
            if operation["summary"].as_str().unwrap_or_default().is_empty() {
                defects.push(format!("{at}: no summary"));
            }
            if operation["tags"].as_array().is_none_or(Vec::is_empty) {
                defects.push(format!("{at}: no tag"));
            }
            let responses = operation["responses"].as_object().unwrap();
            for (status, response) in responses {
                if response["description"]
                    .as_str()
                    .unwrap_or_default()
                    .is_empty()
                {
                    defects.push(format!("{at} {status}: no description"));
                }
                let status_code: u16 = status.parse().unwrap_or(0);
                let Some(content) = response["content"].as_object() else {
                    // 101: a WebSocket handshake (the chat), whose protocol is asyncapi.yaml.
                    if ![101, 204, 304].contains(&status_code) {
                        defects.push(format!("{at} {status}: no content"));
                    }
                    continue;
                };
                for (media, body) in content {
                    let schema = resolve(&doc, &body["schema"]);
                    if schema.is_null() {
                        defects.push(format!("{at} {status} {media}: no schema"));
                    }
                    let has_example = body.get("example").is_some()
                        || body.get("examples").is_some()
                        || schema.get("example").is_some()
                        || schema.get("examples").is_some();
                    if !has_example {
                        defects.push(format!("{at} {status} {media}: no example"));
                    }
                    if status_code >= 400 && path.starts_with("/open311/") {
                        // Open311's own error format (docs/OPEN311.md): an array of
                        // {code, description}, in JSON or in XML.
                        let items = &body["schema"]["items"]["$ref"];
                        let ok = (media == "application/json"
                            && items == "#/components/schemas/ErrorItem")
                            || (media == "text/xml" && schema["type"] == "string");
                        if !ok {
                            defects.push(format!("{at} {status}: not Open311's error format"));
                        }
                    } else if status_code >= 400 {
                        if media != "application/problem+json" {
                            defects.push(format!("{at} {status}: error is {media}"));
                        }
                        if body["schema"]["$ref"] != "#/components/schemas/Problem" {
                            defects.push(format!("{at} {status}: error without Problem"));
                        }
                    }
                }
            }
        }
    }
    assert!(defects.is_empty(), "{}", defects.join("\n"));
}

/// Every example in the contract conforms to its schema (an independent JSON Schema
/// validator over the OpenAPI 3.1 components): an example that lies, or two types that
/// collide under one schema name, fail here.
#[test]
fn every_schema_example_conforms_to_its_schema() {
    let doc: Value = serde_json::from_str(&api::openapi::document().to_json().unwrap()).unwrap();
    let mut components = doc["components"].clone();
    // Strict, like contract linters: an object may not hold members its schema does not
    // describe (unless the schema says otherwise).
    // Schemas used as parts of an `allOf` (flattened structs) are checked through the
    // composite only.
    let text = components["schemas"].to_string();
    let parts: Vec<String> = components["schemas"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|name| {
            text.match_indices("\"allOf\":[").any(|(at, _)| {
                let end = text[at..].find(']').map(|e| at + e).unwrap_or(text.len());
                text[at..end].contains(&format!("#/components/schemas/{name}\""))
            })
        })
        .cloned()
        .collect();
    // `mark` is false for the direct parts of an `allOf`: the composite judges them.
    fn strict(value: &mut Value, mark: bool) {
        match value {
            Value::Object(map) => {
                // Objects that declare their members; free-form objects stay open.
                if mark
                    && (map.contains_key("properties") || map.contains_key("allOf"))
                    && !map.contains_key("additionalProperties")
                {
                    map.insert("unevaluatedProperties".into(), Value::Bool(false));
                }
                for (key, child) in map.iter_mut() {
                    match key.as_str() {
                        "example" | "examples" => {}
                        "allOf" => {
                            if let Value::Array(items) = child {
                                items.iter_mut().for_each(|i| strict(i, false));
                            }
                        }
                        _ => strict(child, true),
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|i| strict(i, true)),
            _ => {}
        }
    }
    for (name, schema) in components["schemas"].as_object_mut().unwrap() {
        if !parts.contains(name) {
            strict(schema, true);
        }
    }
    let mut defects = Vec::new();
    for (name, schema) in components["schemas"].as_object().unwrap() {
        let Some(example) = schema.get("example") else {
            continue;
        };
        let root = serde_json::json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$ref": format!("#/components/schemas/{name}"),
            "components": components,
        });
        let validator = jsonschema::validator_for(&root).unwrap_or_else(|e| panic!("{name}: {e}"));
        for error in validator.iter_errors(example) {
            defects.push(format!("{name}: {error} at {}", error.instance_path()));
        }
    }
    assert!(defects.is_empty(), "{}", defects.join("\n"));
}

/// Whether `pattern` (a JSON Schema `pattern`) accepts `text`.
fn pattern_accepts(pattern: &str, text: &str) -> bool {
    let schema = serde_json::json!({"type": "string", "pattern": pattern});
    jsonschema::validator_for(&schema)
        .unwrap_or_else(|e| panic!("{pattern}: {e}"))
        .is_valid(&Value::from(text))
}

/// Characters around the edges of the intake rule.
fn probes() -> Vec<char> {
    let mut chars: Vec<char> = ('\u{0}'..='\u{a0}').collect();
    chars.extend([
        '\u{2027}', '\u{2028}', '\u{2029}', '\u{202a}', '\u{feff}', 'é', '中', '😀',
    ]);
    chars
}

/// The contract states the intake rule of `api::intake` (schemathesis generates from
/// it): every free string parameter in the path or the query carries a pattern that
/// refuses exactly the characters the service refuses there, and every free string of
/// a request body one that refuses exactly what the body rule refuses.
#[test]
fn the_contract_states_the_intake_rule_for_text() {
    let doc: Value = serde_json::from_str(&api::openapi::document().to_json().unwrap()).unwrap();
    let mut outside = std::collections::BTreeSet::new();
    let mut defects = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let schema = &parameter["schema"];
                let free = schema["type"] == "string"
                    && schema.get("enum").is_none()
                    && schema.get("format").is_none();
                if !free || !matches!(parameter["in"].as_str(), Some("path" | "query")) {
                    continue;
                }
                match schema["pattern"].as_str() {
                    Some(pattern) => {
                        outside.insert(pattern.to_owned());
                    }
                    None => {
                        defects.push(format!("{method} {path} {}: no pattern", parameter["name"]))
                    }
                }
            }
        }
    }
    assert!(defects.is_empty(), "{}", defects.join("\n"));
    // The general rule; the narrower patterns (cursors, lists) refuse the same characters.
    let general = outside
        .iter()
        .find(|p| pattern_accepts(p, "any text"))
        .expect("a general pattern");
    for c in probes() {
        let refused = api::intake::is_control_or_separator(c);
        assert_eq!(
            pattern_accepts(general, &format!("a{c}b")),
            !refused,
            "U+{:04X} in a path or query",
            c as u32
        );
        for pattern in &outside {
            for witness in ["1.a", "me", "submitted", "x"] {
                if pattern_accepts(pattern, witness) && refused {
                    assert!(
                        !pattern_accepts(pattern, &format!("{witness}{c}")),
                        "{pattern} accepts U+{:04X}",
                        c as u32
                    );
                }
            }
        }
    }
    // Request bodies: the pattern on a free string of NoteBody, say, and on every other.
    let body = doc["components"]["schemas"]["RejectBody"]["properties"]["where_to_go"]["pattern"]
        .as_str()
        .expect("a body pattern");
    for c in probes() {
        let accepted = api::intake::normalise_text(&format!("a{c}b")).is_some();
        assert_eq!(
            pattern_accepts(body, &format!("a{c}b")),
            accepted,
            "U+{:04X} in a body string",
            c as u32
        );
    }
    let note = doc["components"]["schemas"]["NoteBody"]["properties"]["body"]["pattern"]
        .as_str()
        .expect("a note pattern");
    for (text, ok) in [
        ("a", true),
        (" a\t", true),
        ("", false),
        (" \u{a0}\n", false),
        ("a\u{7}", false),
    ] {
        assert_eq!(pattern_accepts(note, text), ok, "{text:?}");
    }
}

/// Each officer action requires exactly the members its contract body requires. The
/// reported case: `{}` posted to `transfer` or `reject` was valid by the contract (one
/// shared body with every member optional) and refused by the service. Now each action has
/// its own body; an empty body and a blank one are refused by both, naming the same members.
#[tokio::test]
async fn each_officer_action_requires_what_its_contract_body_requires() {
    use serde_json::json;
    use std::collections::BTreeSet;
    const ZONE: &str = "zp-ottignies-louvain-la-neuve";
    let app = spawn_app().await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    let schemas = &doc["components"]["schemas"];
    let required = |name: &str| -> BTreeSet<String> {
        schemas[name]["required"]
            .as_array()
            .map(|r| r.iter().map(|v| v.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default()
    };
    for (path, schema) in [
        ("take-in-charge", "TakeInChargeBody"),
        ("request-info", "RequestInfoBody"),
        ("register", "RegisterBody"),
        ("reject", "RejectBody"),
        ("redirect", "RedirectBody"),
        ("transfer", "TransferBody"),
        ("close", "CloseBody"),
    ] {
        let operation =
            &doc["paths"][format!("/v1/units/{{unit_id}}/filings/{{id}}/{path}")]["post"];
        let body = &operation["requestBody"]["content"]["application/json"]["schema"]["$ref"];
        assert_eq!(
            body,
            &json!(format!("#/components/schemas/{schema}")),
            "{path}"
        );
    }
    for schema in ["TakeInChargeBody", "RegisterBody", "CloseBody"] {
        assert!(required(schema).is_empty(), "{schema} requires nothing");
    }

    let citizen = app
        .dev_token(json!({"kind": "citizen", "subject": "zoe"}))
        .await;
    let created: Value = app
        .client
        .post(app.url("/v1/filings"))
        .bearer_auth(&citizen)
        .json(&json!({
            "procedure": "bicycle_theft", "country": "BE", "place": {"municipality": "BE-25121"},
            "facts_date": {"from": (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339()},
            "answers": {"ongoing_danger": false, "injury": false, "known_author": false, "violence": false, "exploitable_traces": false},
            "facts": {"bicycle_locked": true, "circumstances": "Gone.", "items": [{"category": "bicycle"}]},
            "contact": {"email": "zoe@example.org"}, "confirmation_channel": "email"
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let submitted = app
        .client
        .post(app.url(&format!("/v1/filings/{id}/submit")))
        .bearer_auth(&citizen)
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 200);
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-9", "units": [ZONE]}))
        .await;
    let post = |action: &str, version: i64, body: Value| {
        app.client
            .post(app.url(&format!("/v1/units/{ZONE}/filings/{id}/{action}")))
            .bearer_auth(&officer)
            .header("if-match", format!("\"v{version}\""))
            .json(&body)
            .send()
    };
    let taken = post("take-in-charge", 2, json!({})).await.unwrap();
    assert_eq!(taken.status(), 200);

    for (action, schema) in [
        ("request-info", "RequestInfoBody"),
        ("reject", "RejectBody"),
        ("redirect", "RedirectBody"),
        ("transfer", "TransferBody"),
    ] {
        let members = required(schema);
        assert!(!members.is_empty(), "{schema} requires its members");
        let validator = jsonschema::validator_for(&schemas[schema]).unwrap();
        let blank: Value = members
            .iter()
            .map(|m| (m.clone(), json!(" \t ")))
            .collect::<serde_json::Map<_, _>>()
            .into();
        for body in [json!({}), blank] {
            assert!(!validator.is_valid(&body), "{schema} accepts {body}");
            let response = post(action, 3, body.clone()).await.unwrap();
            assert_eq!(response.status(), 422, "{action} {body}");
            let problem: Value = response.json().await.unwrap();
            assert_eq!(problem["code"], "validation_failed");
            let named: BTreeSet<String> = problem["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    e["pointer"]
                        .as_str()
                        .unwrap()
                        .trim_start_matches('/')
                        .to_owned()
                })
                .collect();
            assert_eq!(named, members, "{action} {body}");
        }
    }
    // A member of another action is not one of this action's.
    let stray = post("close", 3, json!({"message": "hello"})).await.unwrap();
    assert_eq!(stray.status(), 422);
    assert!(!jsonschema::validator_for(&schemas["CloseBody"])
        .unwrap()
        .is_valid(&json!({"message": "hello"})));
}

/// What the contract lint (Redocly) requires of every operation, checked here so that a
/// new route cannot break it unnoticed: a unique `operationId` (code generators name
/// methods after it), and a `security` of its own or the root's (`{}` = no token).
#[test]
fn operation_ids_are_unique_and_every_operation_states_its_security() {
    let doc = serde_json::to_value(api::openapi::document()).unwrap();
    let root_security = doc["security"].is_array();
    let mut seen = std::collections::BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            assert!(!id.is_empty(), "{method} {path}: no operationId");
            if let Some(other) = seen.insert(id.clone(), format!("{method} {path}")) {
                panic!("operationId {id} of {method} {path} is also {other}'s");
            }
            assert!(
                root_security || operation["security"].is_array(),
                "{method} {path}: no security (use `security(())` for a public route)"
            );
        }
    }
}

/// Every schema whose type allows `null` and that lists its values lists `null` too:
/// an `enum` without it refuses the `null` the service sends (reported from outside:
/// every filing's `place.country: null` failed validation against the contract).
#[test]
fn a_nullable_enum_lists_null() {
    fn walk(at: &str, value: &Value, defects: &mut Vec<String>) {
        match value {
            Value::Object(object) => {
                let nullable = object
                    .get("type")
                    .and_then(Value::as_array)
                    .is_some_and(|types| types.iter().any(|t| t == "null"));
                if let (true, Some(values)) =
                    (nullable, object.get("enum").and_then(Value::as_array))
                {
                    if !values.contains(&Value::Null) {
                        defects.push(at.to_owned());
                    }
                }
                for (key, child) in object {
                    walk(&format!("{at}/{key}"), child, defects);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(&format!("{at}/{i}"), child, defects);
                }
            }
            _ => {}
        }
    }
    let doc: Value = serde_json::from_str(&api::openapi::document().to_json().unwrap()).unwrap();
    let mut defects = Vec::new();
    walk("", &doc, &mut defects);
    assert!(
        defects.is_empty(),
        "nullable enums without null: {defects:#?}"
    );
}

/// Every list's `cursor` parameter publishes what the service accepts: a value the
/// contract's schema allows is never refused at `/query/cursor` (found by schemathesis:
/// `?cursor=` on a unit's travel queue was schema-valid and answered 422). Each list is
/// read by a caller who may read it, with cursors of every shape.
#[tokio::test]
async fn a_cursor_the_contract_allows_is_one_the_service_accepts() {
    let app = spawn_app().await;
    let unit = "zp-ottignies-louvain-la-neuve";
    let citizen = app
        .dev_token(serde_json::json!({"kind": "citizen", "subject": "cursor-citizen"}))
        .await;
    let officer = app
        .dev_token(
            serde_json::json!({"kind": "officer", "subject": "cursor-officer",
                                      "role": "supervisor", "units": [unit]}),
        )
        .await;
    let auditor = app
        .dev_token(
            serde_json::json!({"kind": "officer", "subject": "cursor-auditor",
                                      "role": "auditor", "units": []}),
        )
        .await;
    let doc: Value = serde_json::from_str(&api::openapi::document().to_json().unwrap()).unwrap();
    let mut lists = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(cursor) = item["get"]["parameters"].as_array().and_then(|ps| {
            ps.iter()
                .find(|p| p["name"] == "cursor" && p["in"] == "query")
        }) else {
            continue;
        };
        lists += 1;
        let schema = resolve(&doc, &cursor["schema"]);
        let url = path.replace("{unit_id}", unit);
        let mut reader = None;
        for token in [&citizen, &officer, &auditor] {
            let status = app
                .client
                .get(app.url(&url))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status();
            if status == 200 {
                reader = Some(token);
                break;
            }
        }
        let reader = reader.unwrap_or_else(|| panic!("no test caller reads {path}"));
        for value in [
            "",
            "abc",
            "0",
            "-1",
            "12",
            "1.x",
            "1750000000000000.abc",
            "9999999999999999999.x",
        ] {
            let allowed = match schema["type"].as_str() {
                Some("integer") => value.parse::<i64>().is_ok(),
                _ => schema["pattern"]
                    .as_str()
                    .is_none_or(|p| pattern_accepts(p, value)),
            };
            if !allowed {
                continue;
            }
            let response = app
                .client
                .get(app.url(&url))
                .query(&[("cursor", value)])
                .bearer_auth(reader)
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body = response.text().await.unwrap();
            assert!(
                !(status == 422 && body.contains("/query/cursor")),
                "{path}?cursor={value:?} is allowed by the contract but refused: {body}"
            );
        }
    }
    assert!(lists >= 5, "{lists} lists with a cursor");
}

/// A refused body names every member its schema requires and every unknown member at
/// once, not only the first issue (serde stops at one; `api::body_schema` reads the
/// rest from the contract's schema). For every operation whose JSON body refuses unknown
/// members and requires some, a body holding one stray member is answered with each
/// (reported from outside: a body with several issues was answered one at a time).
#[tokio::test]
async fn a_refused_body_names_every_missing_and_every_unknown_member() {
    use serde_json::json;
    use std::collections::BTreeSet;
    const ZONE: &str = "zp-ottignies-louvain-la-neuve";
    let app = spawn_app().await;
    let citizen = app
        .dev_token(json!({"kind": "citizen", "subject": "body-citizen", "assurance": "high"}))
        .await;
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "body-officer",
                          "role": "supervisor", "units": [ZONE]}))
        .await;
    let doc = serde_json::to_value(api::openapi::document()).unwrap();
    let mut checked = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["post", "put", "patch"] {
            let operation = &item[method];
            let body = &operation["requestBody"]["content"]["application/json"]["schema"];
            if body.is_null() {
                continue;
            }
            let schema = resolve(&doc, body);
            let required: BTreeSet<String> = schema["required"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .map(|v| format!("/{}", v.as_str().unwrap()))
                        .collect()
                })
                .unwrap_or_default();
            if schema["additionalProperties"] != json!(false) || required.is_empty() {
                continue;
            }
            let mut url = path.replace("{unit_id}", ZONE);
            while let (Some(start), Some(end)) = (url.find('{'), url.find('}')) {
                url.replace_range(start..=end, "x");
            }
            let expected: BTreeSet<String> = required
                .iter()
                .cloned()
                .chain(["/zz_unknown".to_owned()])
                .collect();
            for token in [&citizen, &officer] {
                let response = app
                    .client
                    .request(method.to_uppercase().parse().unwrap(), app.url(&url))
                    .bearer_auth(token)
                    .header("if-match", "\"v1\"")
                    .json(&json!({"zz_unknown": true}))
                    .send()
                    .await
                    .unwrap();
                if response.status() != 422 {
                    continue;
                }
                let problem: Value = response.json().await.unwrap();
                let named: BTreeSet<String> = problem["errors"]
                    .as_array()
                    .map(|errors| {
                        errors
                            .iter()
                            .map(|e| e["pointer"].as_str().unwrap_or_default().to_owned())
                            .collect()
                    })
                    .unwrap_or_default();
                if !named.contains("/zz_unknown") {
                    // Refused before its body was read (a query or a path rule).
                    continue;
                }
                assert_eq!(problem["code"], "validation_failed", "{method} {path}");
                assert_eq!(named, expected, "{method} {path}: {problem}");
                checked.push(format!("{method} {path}"));
                break;
            }
        }
    }
    assert!(
        checked.len() >= 15,
        "only {} checked: {checked:?}",
        checked.len()
    );
}

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
                    if status_code != 204 && status_code != 304 {
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
                    if status_code >= 400 {
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

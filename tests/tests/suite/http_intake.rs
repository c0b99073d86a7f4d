//! HTTP intake from outside (issue 12, items 1–7, 13, 21, 24–26, 29, 30): JSON syntax
//! before shape, duplicate keys, the text rule, control characters in every part of a
//! request on every operation, If-Match, HEAD, content negotiation, the language served,
//! metrics labels and access, slow bodies, and parser-level errors.

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::time::{Duration, Instant};
use tests::{assert_problem, spawn_app, spawn_app_with, TestApp};

const ZONE: &str = "zp-ottignies-louvain-la-neuve";

fn yesterday() -> String {
    (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339()
}

fn draft() -> Value {
    json!({
        "procedure": "bicycle_theft", "country": "BE", "place": {"municipality": "BE-25121"},
        "facts_date": {"from": yesterday()},
        "answers": {"ongoing_danger": false, "injury": false, "known_author": false, "violence": false, "exploitable_traces": false},
        "facts": {"bicycle_locked": true, "circumstances": "Gone.", "items": [{"category": "bicycle"}]},
        "contact": {"email": "alice@example.org"}, "confirmation_channel": "email"
    })
}

fn eligibility() -> Value {
    json!({"procedure": "simple_theft", "country": "BE",
           "answers": {"ongoing_danger": false, "injury": false, "known_author": false, "violence": false, "exploitable_traces": false}})
}

async fn citizen(app: &TestApp) -> String {
    app.dev_token(json!({"kind": "citizen", "subject": "alice"}))
        .await
}

async fn officer(app: &TestApp) -> String {
    app.dev_token(json!({"kind": "officer", "subject": "o-1", "units": [ZONE]}))
        .await
}

async fn post_raw(app: &TestApp, path: &str, token: Option<&str>, body: &str) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url(path))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn filings_count(app: &TestApp, token: &str) -> usize {
    let list: Value = app
        .client
        .get(app.url("/v1/filings"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    list["items"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn trailing_content_and_truncated_json_are_malformed_whatever_they_start_with() {
    let app = spawn_app().await;
    let token = citizen(&app).await;
    let valid = eligibility().to_string();
    let draft = draft().to_string();
    for (path, valid) in [("/v1/eligibility-checks", &valid), ("/v1/filings", &draft)] {
        let bodies = [
            format!("{valid} xyz"),
            format!("{valid}{valid}"),
            format!("{valid}\n{valid}"),
            format!("{valid}]"),
            format!("{valid} 1"),
            format!("{valid} null"),
            r#"{"a":"#.to_owned(),
            r#"{"procedure":"#.to_owned(),
            r#"{"unknown":1"#.to_owned(),
            valid[..valid.len() - 1].to_owned(),
            String::new(),
            "\u{feff}{}".to_owned(),
            r#"{"a":"\ud800"}"#.to_owned(),
        ];
        for body in bodies {
            let response = post_raw(&app, path, Some(&token), &body).await;
            let problem = assert_problem(response, 400, "malformed_json").await;
            assert!(problem["errors"].is_null(), "{body}: {problem}");
        }
        // Trailing white space is not content.
        let response = post_raw(&app, path, Some(&token), &format!("{valid} \n\t")).await;
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
    }
    // Only the last, well-formed draft was created.
    assert_eq!(filings_count(&app, &token).await, 1);
}

#[tokio::test]
async fn duplicate_keys_are_refused_in_every_object_of_a_body() {
    let app = spawn_app().await;
    let token = citizen(&app).await;
    let answers_dup = r#"{"procedure":"simple_theft","country":"BE","answers":{"ongoing_danger":false,"injury":true,"known_author":false,"violence":false,"exploitable_traces":false,"injury":false}}"#;
    let cases: [(&str, String, &str); 5] = [
        (
            "/v1/eligibility-checks",
            answers_dup.to_owned(),
            "/answers/injury",
        ),
        (
            "/v1/eligibility-checks",
            r#"{"procedure":"simple_theft","country":"BE","country":"LU","answers":{}}"#.to_owned(),
            "/country",
        ),
        (
            "/v1/filings",
            draft().to_string().replace(
                r#""bicycle_locked":true"#,
                r#""bicycle_locked":true,"bicycle_locked":false"#,
            ),
            "/facts/bicycle_locked",
        ),
        (
            "/v1/filings",
            draft().to_string().replace(
                r#"{"category":"bicycle"}"#,
                r#"{"category":"bicycle","category":"scooter"}"#,
            ),
            "/facts/items/0/category",
        ),
        (
            "/v1/filings",
            draft().to_string().replace(
                r#""email":"alice@example.org""#,
                r#""email":"alice@example.org","email":"mallory@example.org""#,
            ),
            "/contact/email",
        ),
    ];
    for (path, body, pointer) in cases {
        assert!(
            body.matches(pointer.rsplit('/').next().unwrap()).count() >= 2,
            "{body}"
        );
        let response = post_raw(&app, path, Some(&token), &body).await;
        let problem = assert_problem(response, 422, "validation_failed").await;
        let errors = problem["errors"].as_array().unwrap();
        assert!(
            errors
                .iter()
                .any(|e| e["pointer"] == pointer && e["code"] == "duplicate_key"),
            "{path} {pointer}: {problem}"
        );
    }
    // A key written once in NFC and once in NFD is the same key.
    let body = r#"{"procedure":"simple_theft","country":"BE","answers":{"caf\u00e9":true,"cafe\u0301":true}}"#;
    let problem = assert_problem(
        post_raw(&app, "/v1/eligibility-checks", None, body).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["code"], "duplicate_key", "{problem}");
    assert_eq!(filings_count(&app, &token).await, 0);
}

#[tokio::test]
async fn body_text_follows_the_intake_rule() {
    let app = spawn_app().await;
    let token = citizen(&app).await;
    // Refused control characters, in values and in keys, at their pointers.
    for (raw, pointer) in [
        ("a\\u0000b", "/facts/circumstances"),
        ("form\\u000cfeed", "/facts/circumstances"),
        ("bell\\u0007", "/facts/circumstances"),
        ("vt\\u000b", "/facts/circumstances"),
        ("del\\u007f", "/facts/circumstances"),
        ("nel\\u0085", "/facts/circumstances"),
        ("csi\\u009b", "/facts/circumstances"),
    ] {
        let body = draft()
            .to_string()
            .replace("\"Gone.\"", &format!("\"{raw}\""));
        let problem = assert_problem(
            post_raw(&app, "/v1/filings", Some(&token), &body).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["pointer"], pointer, "{raw}: {problem}");
        assert_eq!(problem["errors"][0]["code"], "invalid_character");
    }
    let body = draft()
        .to_string()
        .replace("\"contact\":{", "\"contact\":{\"x\\u0000\":1,");
    let problem = assert_problem(
        post_raw(&app, "/v1/filings", Some(&token), &body).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        problem["errors"][0]["code"], "invalid_character",
        "{problem}"
    );
    // Line breaks become LF, and text is stored in NFC; tab and LF stay.
    let mut body = draft();
    body["facts"]["circumstances"] =
        json!("Reference: a\r\nReference: b\rc\u{2028}d\u{2029}e\tf\ng Lie\u{300}ge");
    let created: Value = app
        .client
        .post(app.url("/v1/filings"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        created["facts"]["circumstances"], "Reference: a\nReference: b\nc\nd\ne\tf\ng Li\u{e8}ge",
        "{created}"
    );
}

/// Every operation of the contract, as (method, path template).
async fn operations(app: &TestApp) -> Vec<(String, String, Value)> {
    let contract: Value = app.get("/openapi.json").await.json().await.unwrap();
    let mut out = Vec::new();
    for (path, item) in contract["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            out.push((method.to_uppercase(), path.clone(), operation.clone()));
        }
    }
    out
}

fn fill(template: &str, value: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |e| start + e + 1);
        out.push_str(value);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// NUL (and other control characters) in the path, the query, a header or a body string
/// of any operation is a 4xx problem, never a 500, on SQLite and on PostgreSQL.
#[tokio::test]
async fn control_characters_anywhere_in_any_operation_are_4xx_problems() {
    let app = spawn_app().await;
    let citizen = citizen(&app).await;
    let officer = officer(&app).await;
    let mut tried = 0;
    for (method, template, operation) in operations(&app).await {
        // Open311 answers in its own error format (400 in JSON or XML), not problem+json:
        // docs/OPEN311.md, tests/tests/suite/open311.rs.
        if template.starts_with("/open311/") {
            continue;
        }
        let token = if template.starts_with("/v1/units") || template.starts_with("/v1/audit") {
            &officer
        } else {
            &citizen
        };
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let queries: Vec<String> = operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query")
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect();
        let mut urls = Vec::new();
        if template.contains('{') {
            for bad in ["%00", "a%00b", "%0a", "%1b", "%7f", "%c2%85"] {
                urls.push((fill(&template, bad), 400, "invalid_path"));
            }
        }
        for name in &queries {
            urls.push((
                format!("{}?{name}=a%00b", fill(&template, ZONE)),
                422,
                "validation_failed",
            ));
        }
        for (url, status, code) in urls {
            let mut request = app
                .client
                .request(method.clone(), app.url(&url))
                .bearer_auth(token);
            if operation["requestBody"].is_object() {
                request = request.json(&json!({}));
            }
            let response = request.send().await.unwrap();
            assert_problem(response, status, code).await;
            tried += 1;
        }
        // A NUL in a body string.
        if operation["requestBody"].is_object() {
            let url = fill(&template, ZONE);
            for body in [
                json!({"x": "a\u{0}b"}),
                json!({"answers": {"k": "\u{0}"}}),
                json!(["\u{0}"]),
            ] {
                let response = app
                    .client
                    .request(method.clone(), app.url(&url))
                    .bearer_auth(token)
                    .header("if-match", "\"v1\"")
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                assert!(
                    (400..500).contains(&status),
                    "{method} {url} {body}: {status}"
                );
                let problem: Value = response.json().await.unwrap();
                assert!(problem["code"].is_string(), "{problem}");
                tried += 1;
            }
        }
    }
    assert!(tried > 80, "{tried}");
    // The issue's example, and a query on a list.
    assert_problem(
        app.client
            .get(app.url("/v1/filings/%00"))
            .bearer_auth(&citizen)
            .send()
            .await
            .unwrap(),
        400,
        "invalid_path",
    )
    .await;
    let problem = assert_problem(
        app.client
            .get(app.url("/v1/municipalities?q=Li%00ge"))
            .send()
            .await
            .unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["pointer"], "/query/q");
    // A control character in a header value never reaches a handler (the HTTP parser
    // or the intake rule refuses it).
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", app.port)).unwrap();
    stream
        .write_all(b"GET /v1/procedures HTTP/1.1\r\nHost: x\r\nIdempotency-Key: a\x01b\r\n\r\n")
        .unwrap();
    let head = read_head(&mut stream);
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
}

fn read_head(stream: &mut std::net::TcpStream) -> String {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buffer = vec![0; 64 * 1024];
    let mut read = 0;
    while read < buffer.len() {
        match stream.read(&mut buffer[read..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => read += n,
        }
        if buffer[..read].windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    String::from_utf8_lossy(&buffer[..read]).into_owned()
}

async fn patch(app: &TestApp, token: &str, id: &str, if_match: &[&str]) -> u16 {
    let mut request = app
        .client
        .patch(app.url(&format!("/v1/filings/{id}")))
        .bearer_auth(token)
        .json(&json!({"facts": {"bicycle_locked": true, "circumstances": "Still gone.", "items": [{"category": "bicycle"}]}}));
    for value in if_match {
        request = request.header("if-match", *value);
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn if_match_is_a_strong_comparison_of_a_list_of_quoted_tags() {
    let app = spawn_app().await;
    let token = citizen(&app).await;
    let created: Value = app
        .client
        .post(app.url("/v1/filings"))
        .bearer_auth(&token)
        .json(&draft())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let version = created["version"].as_i64().unwrap();
    let tag = format!("\"v{version}\"");
    for bad in [
        format!("W/{tag}"),
        format!("v{version}"),
        format!("\"v0{version}\""),
        format!("\"v+{version}\""),
        format!("\"V{version}\""),
        format!("\"v{version} \""),
        format!("{tag}x"),
        format!("\"v{}\"", version + 1),
        "\"\"".to_owned(),
        ",".to_owned(),
    ] {
        assert_eq!(patch(&app, &token, id, &[&bad]).await, 412, "{bad}");
    }
    assert_eq!(patch(&app, &token, id, &[]).await, 428);
    let listed = format!("\"v{}\", {tag}", version + 7);
    assert_eq!(patch(&app, &token, id, &[&listed]).await, 200);
    // Two If-Match fields are one list.
    let tag = format!("\"v{}\"", version + 1);
    assert_eq!(patch(&app, &token, id, &["\"v0\"", &tag]).await, 200);
    // `*`: whatever the current version.
    assert_eq!(patch(&app, &token, id, &["*"]).await, 200);
    assert_eq!(patch(&app, &token, id, &["*, \"v1\""]).await, 412);

    // The back office reads the same rule.
    let submitted = app
        .client
        .post(app.url(&format!("/v1/filings/{id}/submit")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 200);
    let officer = officer(&app).await;
    let read = app
        .client
        .get(app.url(&format!("/v1/units/{ZONE}/filings/{id}")))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    let etag = read.headers()["etag"].to_str().unwrap().to_owned();
    let take = |value: String| {
        app.client
            .post(app.url(&format!("/v1/units/{ZONE}/filings/{id}/take-in-charge")))
            .bearer_auth(&officer)
            .header("if-match", value)
            .json(&json!({}))
            .send()
    };
    assert_eq!(take(format!("W/{etag}")).await.unwrap().status(), 412);
    assert_eq!(
        take(etag.trim_matches('"').to_owned())
            .await
            .unwrap()
            .status(),
        412
    );
    assert_eq!(
        take(format!("\"v999\", {etag}")).await.unwrap().status(),
        200
    );
}

#[tokio::test]
async fn head_works_wherever_get_does_with_the_gets_headers_and_no_body() {
    let app = spawn_app().await;
    let token = citizen(&app).await;
    let mut paths: Vec<String> = vec![
        "/docs".into(),
        "/docs/".into(),
        "/v1/procedures/simple_theft".into(),
    ];
    for (method, template, _) in operations(&app).await {
        if method == "GET" && !template.contains('{') {
            paths.push(template);
        }
    }
    assert!(paths.len() > 10, "{paths:?}");
    for path in paths {
        let get = app
            .client
            .get(app.url(&path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let head = app
            .client
            .head(app.url(&path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), get.status(), "{path}");
        for name in [
            "content-type",
            "etag",
            "cache-control",
            "content-language",
            "x-content-type-options",
        ] {
            assert_eq!(
                head.headers().get(name),
                get.headers().get(name),
                "{path}: {name}"
            );
        }
        assert!(head.headers().contains_key("x-request-id"), "{path}");
        // (The metrics page and the readiness round trip change between the two.)
        if path != "/metrics" && path != "/health/ready" {
            let length = get.headers().get("content-length").cloned();
            assert_eq!(
                head.headers().get("content-length"),
                length.as_ref(),
                "{path}"
            );
        }
        assert!(head.bytes().await.unwrap().is_empty(), "{path}");
    }
    // Allow lists HEAD with GET.
    let response = app
        .client
        .delete(app.url("/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    let allow = response.headers()["allow"].to_str().unwrap().to_owned();
    assert!(allow.contains("GET") && allow.contains("HEAD"), "{allow}");
}

async fn language_of(app: &TestApp, path: &str, accept_language: &str) -> (String, Value) {
    let response = app
        .client
        .get(app.url(path))
        .header("accept-language", accept_language)
        .send()
        .await
        .unwrap();
    let header = response.headers()["content-language"]
        .to_str()
        .unwrap()
        .to_owned();
    (header, response.json().await.unwrap())
}

#[tokio::test]
async fn languages_are_negotiated_per_rfc_and_labelled_as_served() {
    let app = spawn_app().await;
    for (accept, expected) in [
        ("fr;Q=0, nl", "nl"),
        ("fr;q=0, nl;Q=0.5", "nl"),
        ("de;q=0.5, fr;Q=0.9", "fr"),
        ("en;q=0", "fr"),
        ("lb", "de"),
        ("lb-LU, fr;q=0.5", "de"),
        ("ca", "ca"),
        ("es-ES", "es"),
    ] {
        let (header, body) = language_of(&app, "/v1/guidance", accept).await;
        assert_eq!(header, expected, "{accept}");
        assert_eq!(body["language"], expected, "{accept}");
    }
    // Catalan and Spanish guidance and advice are their own texts.
    let (_, ca) = language_of(&app, "/v1/guidance", "ca").await;
    let (_, es) = language_of(&app, "/v1/guidance", "es").await;
    let (_, en) = language_of(&app, "/v1/guidance", "en").await;
    assert_eq!(ca["nodes"][0]["label"], "Sóc víctima");
    assert_eq!(es["nodes"][0]["label"], "Soy víctima");
    assert_ne!(ca["nodes"][0]["description"], en["nodes"][0]["description"]);
    // The Catalan service's guidance is Catalan throughout: every label differs from
    // the English one.
    let (_, ca) = language_of(&app, "/v1/guidance?country=ES-CT", "ca").await;
    let (_, en) = language_of(&app, "/v1/guidance?country=ES-CT", "en").await;
    let labels = |v: &Value| -> Vec<String> {
        let mut out = Vec::new();
        for node in v["nodes"].as_array().unwrap() {
            out.push(node["label"].as_str().unwrap().to_owned());
            out.push(node["description"].as_str().unwrap().to_owned());
            for link in node["links"].as_array().unwrap() {
                out.push(link["label"].as_str().unwrap().to_owned());
            }
        }
        out
    };
    let (ca_labels, en_labels) = (labels(&ca), labels(&en));
    assert_eq!(ca_labels.len(), en_labels.len());
    assert!(ca_labels.len() > 8, "{ca_labels:?}");
    for (c, e) in ca_labels.iter().zip(&en_labels) {
        assert_ne!(c, e, "not translated");
    }
    let (header, article) = language_of(&app, "/v1/advice/bicycle-theft", "ca").await;
    assert_eq!(
        (header.as_str(), article["language"].as_str()),
        ("ca", Some("ca"))
    );
    assert_eq!(article["title"], "Tingueu cura de la bicicleta");
    let (header, list) = language_of(&app, "/v1/advice", "es").await;
    assert_eq!(header, "es");
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["theme_label"] == "Estafas"),
        "{list}"
    );
    // Luxembourgish is answered in German, and labelled so, everywhere.
    let (header, procedures) = language_of(&app, "/v1/procedures", "lb").await;
    assert_eq!(
        (header.as_str(), procedures["language"].as_str()),
        ("de", Some("de"))
    );
    let response = app
        .client
        .get(app.url("/v1/procedures/no-such-thing"))
        .header("accept-language", "lb")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-language"], "de");
    // In a list, each procedure says the language its texts are in.
    let (header, list) = language_of(&app, "/v1/procedures", "ca").await;
    assert_eq!(header, "ca");
    let items = list["items"].as_array().unwrap();
    assert!(items.iter().any(|i| i["language"] == "ca"));
    assert!(items.iter().any(|i| i["language"] != "ca"));
    for item in items {
        let languages = item["languages"].as_array().unwrap();
        assert!(languages.contains(&item["language"]), "{item}");
        if languages.contains(&json!("ca")) {
            assert_eq!(item["language"], "ca", "{item}");
        }
    }
    // A procedure without Catalan texts is answered, and labelled, in its best language.
    let (header, procedure) = language_of(&app, "/v1/procedures/bicycle_theft", "ca").await;
    assert_eq!(header, procedure["language"].as_str().unwrap());
    assert_ne!(header, "ca");
}

#[tokio::test]
async fn the_receipt_honours_q_zero() {
    let app = spawn_app().await;
    let token = citizen(&app).await;
    let created: Value = app
        .client
        .post(app.url("/v1/filings"))
        .bearer_auth(&token)
        .json(&draft())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let submitted = app
        .client
        .post(app.url(&format!("/v1/filings/{id}/submit")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 200);
    for (accept, expected) in [
        ("application/pdf;q=0, text/html", None),
        ("application/pdf;Q=0, */*", Some("application/json")),
        ("APPLICATION/PDF", Some("application/pdf")),
        (
            "application/json;q=0, application/*",
            Some("application/pdf"),
        ),
        (
            "application/json;q=0.4, application/pdf;q=0.5",
            Some("application/pdf"),
        ),
        ("text/html", None),
        ("text/html, */*;q=0.8", Some("application/json")),
    ] {
        let response = app
            .client
            .get(app.url(&format!("/v1/filings/{id}/receipt")))
            .bearer_auth(&token)
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        match expected {
            Some(media) => {
                assert_eq!(response.status(), 200, "{accept}");
                assert_eq!(response.headers()["content-type"], media, "{accept}");
            }
            None => {
                assert_problem(response, 406, "not_acceptable").await;
            }
        }
    }
}

async fn metrics_page(app: &TestApp) -> String {
    app.get("/metrics").await.text().await.unwrap()
}

/// One round of requests of every kind that used to add label values: invented
/// methods on known and unknown paths, unknown paths, unknown sub-resources.
async fn odd_requests(app: &TestApp, round: &str) {
    for i in 0..20 {
        let method = reqwest::Method::from_bytes(format!("INVENTED{round}{i}").as_bytes()).unwrap();
        let response = app
            .client
            .request(method.clone(), app.url(&format!("/v1/procedures?x={i}")))
            .send()
            .await
            .unwrap();
        assert_problem(response, 405, "method_not_allowed").await;
        let response = app
            .client
            .request(method, app.url(&format!("/{round}/{i}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404);
        let _ = app.get(&format!("/no/such/path/{round}{i}")).await;
        let _ = app.get(&format!("/v1/filings/{round}{i}/nothing")).await;
        let _ = app
            .client
            .head(app.url(&format!("/{round}{i}")))
            .send()
            .await
            .unwrap();
    }
}

fn series(page: &str) -> Vec<String> {
    page.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' ').map(|(series, _)| series.to_owned()))
        .collect()
}

#[tokio::test]
async fn metrics_labels_come_from_a_closed_set() {
    let app = spawn_app().await;
    odd_requests(&app, "a").await;
    let _ = metrics_page(&app).await;
    let first = metrics_page(&app).await;
    assert!(!first.contains("INVENTED"), "{first}");
    assert!(first.contains("method=\"OTHER\""), "{first}");
    assert!(!first.contains("/no/such"), "{first}");
    assert!(first.contains("endpoint=\"unmatched\""), "{first}");
    odd_requests(&app, "b").await;
    let second = metrics_page(&app).await;
    assert_eq!(series(&first), series(&second), "new label values appeared");
}

#[tokio::test]
async fn metrics_are_not_public_in_production() {
    let hidden = spawn_app_with(tests::production).await;
    assert_problem(hidden.get("/metrics").await, 404, "not_found").await;

    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let admin_port = free.local_addr().unwrap().port();
    drop(free);
    let app = spawn_app_with(move |s| {
        tests::production(s);
        s.metrics.token = Some("s3cret-token".to_owned().into());
        s.server.admin_bind = Some(format!("127.0.0.1:{admin_port}"));
    })
    .await;
    let response = app.get("/metrics").await;
    assert!(response.headers().contains_key("www-authenticate"));
    assert_problem(response, 401, "unauthorized").await;
    let wrong = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("s3cret-tokeN")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let right = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("s3cret-token")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    assert!(right.text().await.unwrap().contains("ecommissariat_"));
    // The admin listener: probes and metrics, nothing else.
    let admin = format!("http://127.0.0.1:{admin_port}");
    for (path, status) in [
        ("/metrics", 200),
        ("/health/live", 200),
        ("/health/ready", 200),
        ("/v1/procedures", 404),
    ] {
        let response = app
            .client
            .get(format!("{admin}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{path}");
    }
}

/// Clients that send headers and then stall their body are cut off after the body
/// timeout, and the probes keep answering meanwhile.
#[tokio::test]
async fn slow_bodies_time_out_and_probes_keep_answering() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let admin_port = free.local_addr().unwrap().port();
    drop(free);
    let app = spawn_app_with(move |s| {
        s.server.body_timeout_secs = 1;
        s.server.max_connections = 16;
        s.server.admin_bind = Some(format!("127.0.0.1:{admin_port}"));
    })
    .await;
    let port = app.port;
    let started = Instant::now();
    let stalled: Vec<_> = (0..24)
        .map(|_| {
            std::thread::spawn(move || {
                let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
                let _ = stream.write_all(
                    b"POST /v1/eligibility-checks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"proc",
                );
                read_head(&mut stream)
            })
        })
        .collect();
    // While the public listener is saturated, the admin listener answers at once.
    std::thread::sleep(Duration::from_millis(300));
    let probe_started = Instant::now();
    let probe = app
        .client
        .get(format!("http://127.0.0.1:{admin_port}/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(probe.status(), 200);
    assert!(probe_started.elapsed() < Duration::from_millis(500));
    let mut timed_out = 0;
    for handle in stalled {
        let head = handle.join().unwrap();
        if head.starts_with("HTTP/1.1 408") {
            timed_out += 1;
            assert!(
                head.to_ascii_lowercase()
                    .contains("content-type: application/problem+json"),
                "{head}"
            );
        }
    }
    assert_eq!(timed_out, 24);
    // The 24 were served 16 at a time: two rounds of about a second.
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(app.get("/health/live").await.status(), 200);
}

/// Reads a whole response from a connection the server closes after it (the parser's
/// responses close the connection): the head, and the body as JSON.
fn read_closed_response(stream: &mut std::net::TcpStream) -> (String, Value) {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let body = serde_json::from_str(body).unwrap_or(Value::Null);
    (head.to_owned(), body)
}

/// Checks one response of the HTTP parser: the status, a problem+json body with the code
/// and a request id that the `X-Request-Id` header repeats, and the security headers.
fn assert_parser_problem(head: &str, body: &Value, status: u16, code: &str) {
    assert!(head.starts_with(&format!("HTTP/1.1 {status}")), "{head}");
    let header = |name: &str| {
        head.lines()
            .find_map(|line| {
                let (n, v) = line.split_once(':')?;
                n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
            })
            .unwrap_or_default()
    };
    assert_eq!(header("content-type"), "application/problem+json", "{head}");
    assert_eq!(header("x-content-type-options"), "nosniff", "{head}");
    assert_eq!(header("cache-control"), "no-store", "{head}");
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(
        body["type"],
        format!("urn:e-commissariat:problem:{code}"),
        "{body}"
    );
    assert!(
        !body["title"].as_str().unwrap_or_default().is_empty(),
        "{body}"
    );
    let request_id = body["request_id"].as_str().unwrap_or_default();
    assert!(!request_id.is_empty(), "{body}");
    assert_eq!(header("x-request-id"), request_id, "{head}");
}

/// Responses made by actix-http's HTTP/1 parser, before a request exists, have the
/// standard shape too (the hook patched into actix-http, `vendor/README.md`): a head over
/// 128 KiB (431), heads the parser refuses (400), a head that does not arrive in time
/// (408). The issue's example was the 431 with an empty body.
#[tokio::test]
async fn parser_level_errors_are_problems_too() {
    let app = spawn_app_with(|s| s.server.head_timeout_secs = 1).await;
    let send = |raw: Vec<u8>| {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", app.port)).unwrap();
        let _ = stream.write_all(&raw);
        read_closed_response(&mut stream)
    };
    let big = "a".repeat(140 * 1024);
    let (head, body) =
        send(format!("GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n").into_bytes());
    assert_parser_problem(&head, &body, 431, "headers_too_large");
    // Many headers that are each small but together too large.
    let many: String = (0..3000)
        .map(|i| format!("X-H{i}: {}\r\n", "b".repeat(50)))
        .collect();
    let (head, body) =
        send(format!("GET /health/live HTTP/1.1\r\nHost: x\r\n{many}\r\n").into_bytes());
    assert_parser_problem(&head, &body, 431, "headers_too_large");
    for raw in [
        // A control character in a header value.
        &b"GET /v1/procedures HTTP/1.1\r\nHost: x\r\nIdempotency-Key: a\x01b\r\n\r\n"[..],
        // A malformed header name.
        b"GET /v1/procedures HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n",
        // A Content-Length that is not a number, and two that disagree.
        b"POST /v1/eligibility-checks HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n",
        b"POST /v1/eligibility-checks HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        // Not HTTP at all.
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
    ] {
        let (head, body) = send(raw.to_vec());
        assert_parser_problem(&head, &body, 400, "bad_request");
    }
    // A head that never completes: 408 after `server.head_timeout_secs`.
    let (head, body) = send(b"GET /health/live HTTP/1.1\r\nHost: x\r\n".to_vec());
    assert_parser_problem(&head, &body, 408, "request_timeout");
    // Just under the limit is served by the application, with the standard shape.
    let response = app
        .client
        .get(app.url("/v1/procedures/none"))
        .header("x-big", "a".repeat(100 * 1024))
        .send()
        .await
        .unwrap();
    assert_problem(response, 404, "procedure_not_found").await;
}

#[tokio::test]
async fn the_contract_documents_the_shared_responses_and_constraints() {
    let app = spawn_app().await;
    let contract: Value = app.get("/openapi.json").await.json().await.unwrap();
    for (path, item) in contract["paths"].as_object().unwrap() {
        // Open311's errors are its own format, stated per route (docs/OPEN311.md).
        if path.starts_with("/open311/") {
            continue;
        }
        for (method, operation) in item.as_object().unwrap() {
            let responses = &operation["responses"];
            let has = |status: &str| responses[status].is_object();
            if operation["requestBody"]["content"]["application/json"].is_object() {
                for status in ["400", "413", "415", "422"] {
                    assert!(has(status), "{method} {path}: {status}");
                }
                assert!(responses["400"]["description"]
                    .as_str()
                    .unwrap()
                    .contains("malformed_json"));
            }
            let parameters = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for parameter in &parameters {
                let name = parameter["name"].as_str().unwrap();
                let schema = &parameter["schema"];
                if parameter["in"] == "query" {
                    assert!(
                        responses["422"]["description"]
                            .as_str()
                            .is_some_and(|d| d.contains("/query/")),
                        "{method} {path}: 422 for the query"
                    );
                }
                if name == "limit" {
                    assert_eq!(schema["minimum"], 1, "{path}");
                    assert!(schema["maximum"].as_i64().is_some(), "{path}");
                }
                if name == "country" {
                    assert!(
                        schema["enum"]
                            .as_array()
                            .is_some_and(|e| e.contains(&json!("ES-CT"))),
                        "{path}"
                    );
                }
                if name == "format" {
                    assert!(schema["enum"].is_array(), "{path}");
                }
                if name == "justification" {
                    assert_eq!(parameter["required"], true, "{path}");
                }
                if name.eq_ignore_ascii_case("idempotency-key") {
                    assert!(has("400"), "{path}");
                }
            }
            if api::openapi_pass::CITIZEN_PATHS
                .iter()
                .any(|p| path.starts_with(p))
                && operation["security"].is_array()
            {
                assert!(has("403"), "{method} {path}: 403");
            }
        }
    }
    assert_eq!(
        contract["components"]["schemas"]["RequestInfoBody"]["properties"]["message"]["minLength"],
        1
    );
    // A negative limit is the same problem on every list.
    let citizen = citizen(&app).await;
    let officer = officer(&app).await;
    for (path, token) in [
        ("/v1/filings?limit=-1", &citizen),
        ("/v1/units?limit=-1", &citizen),
        ("/v1/municipalities?q=a&limit=-1", &citizen),
        (&*format!("/v1/units/{ZONE}/filings?limit=-1"), &officer),
    ] {
        let response = app
            .client
            .get(app.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["pointer"], "/query/limit", "{path}");
    }
}

/// A JSON number without a fractional part is an integer however it is written (JSON
/// Schema's `integer` says so too): `60.0` and `6e1` are 60 seconds; `60.5` is not.
#[tokio::test]
async fn integral_numbers_written_with_a_fraction_or_exponent_are_integers() {
    let app = spawn_app().await;
    for ttl in ["60.0", "6e1", "6.0E1"] {
        let body = format!(r#"{{"kind": "citizen", "subject": "alice", "ttl_secs": {ttl}}}"#);
        let response = post_raw(&app, "/dev/tokens", None, &body).await;
        assert_eq!(response.status(), 200, "{ttl}");
        let token: Value = response.json().await.unwrap();
        assert_eq!(token["expires_in"], 60, "{ttl}: {token}");
    }
    for ttl in ["60.5", "1e-3"] {
        let body = format!(r#"{{"kind": "citizen", "subject": "alice", "ttl_secs": {ttl}}}"#);
        let problem = assert_problem(
            post_raw(&app, "/dev/tokens", None, &body).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["pointer"], "/ttl_secs", "{ttl}");
    }
    // 0 and 86401 are out of the stated range, 0.0 too.
    for ttl in ["0", "0.0", "86401"] {
        let body = format!(r#"{{"kind": "citizen", "ttl_secs": {ttl}}}"#);
        let problem = assert_problem(
            post_raw(&app, "/dev/tokens", None, &body).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["code"], "out_of_range", "{ttl}");
    }
}

/// The development IdP's `role` is one of its three values for every kind of account
/// (the contract's `enum`), not only for officers.
#[tokio::test]
async fn an_unknown_dev_role_is_refused_whatever_the_kind() {
    let app = spawn_app().await;
    for kind in ["citizen", "business", "officer"] {
        let body = json!({"kind": kind, "role": "AAA"}).to_string();
        let problem = assert_problem(
            post_raw(&app, "/dev/tokens", None, &body).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(
            problem["errors"][0]["pointer"], "/role",
            "{kind}: {problem}"
        );
        assert_eq!(problem["errors"][0]["code"], "unknown_option", "{kind}");
    }
    let body = json!({"kind": "officer", "role": "supervisor", "units": [ZONE]}).to_string();
    assert_eq!(
        post_raw(&app, "/dev/tokens", None, &body).await.status(),
        200
    );
    let body = json!({"kind": "citizen", "role": null}).to_string();
    assert_eq!(
        post_raw(&app, "/dev/tokens", None, &body).await.status(),
        200
    );
}

/// A body whose chunked framing is invalid (a chunk size `zz`) is 400 `bad_request`
/// problem+json, without the HTTP library's own words ("payload reached EOF before
/// completing"; reported from outside), and the service keeps serving.
#[tokio::test]
async fn an_unreadable_chunked_body_is_a_plain_400() {
    let app = spawn_app().await;
    let token = app
        .dev_token(json!({"kind": "citizen", "subject": "alice"}))
        .await;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", app.port)).unwrap();
    let request = format!(
        "POST /v1/filings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{{}}\r\n0\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(answer.contains("\"code\":\"bad_request\""), "{answer}");
    assert!(!answer.to_lowercase().contains("payload"), "{answer}");
    assert!(!answer.contains("EOF"), "{answer}");
    assert_eq!(app.get("/health/ready").await.status(), 200);
}

/// A problem's texts name the id they did not find, but never mirror kilobytes of it
/// back (reported from outside: `GET /v1/filings/<3,000 characters>` echoed them all in
/// its detail): every GET with a path parameter, given a very long one, answers with the
/// identifier shortened in its detail (`api::error::ECHO_MAX_CHARS` and an ellipsis), and
/// an invisible or bidirectional character in it shown as U+FFFD.
#[tokio::test]
async fn a_long_path_parameter_is_not_echoed_back_whole() {
    let app = spawn_app().await;
    let citizen = citizen(&app).await;
    let officer = officer(&app).await;
    let long = "x".repeat(2000);
    let echo = "x".repeat(api::error::ECHO_MAX_CHARS + 1);
    let mut tried = 0;
    for (method, template, _) in operations(&app).await {
        if !template.contains('{') || method != "GET" {
            continue;
        }
        let token = if template.starts_with("/v1/units") || template.starts_with("/v1/audit") {
            &officer
        } else {
            &citizen
        };
        let response = app
            .client
            .get(app.url(&fill(&template, &long)))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert!(status < 500, "{template}: {status} {body}");
        // `instance` is the request's URI (RFC 9457, section 3.1.5): it is the path as
        // sent; the texts are what must not mirror it.
        let mut problem: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        if let Some(members) = problem.as_object_mut() {
            members.remove("instance");
        }
        assert!(
            !problem.to_string().contains(&echo),
            "{template} echoes the id: {problem}"
        );
        // Nor does it echo a right-to-left override (reported from outside).
        let response = app
            .client
            .get(app.url(&fill(&template, "%E2%80%AEabc")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let mut problem: Value = response.json().await.unwrap_or(Value::Null);
        if let Some(members) = problem.as_object_mut() {
            members.remove("instance");
        }
        assert!(
            !problem.to_string().contains('\u{202E}'),
            "{template} echoes U+202E: {problem}"
        );
        tried += 1;
    }
    assert!(tried > 20, "{tried} operations");
}

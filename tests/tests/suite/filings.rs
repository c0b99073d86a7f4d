//! Citizen filings end to end: identity, drafts, recap, submission, receipt,
//! idempotency, concurrency, privacy, and the JWT attack matrix.

use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use tests::{assert_problem, spawn_app_with, TestApp};

const TEST_ISSUER: &str = "https://idp.test.example";
const AUDIENCE: &str = "e-commissariat";
const SEED: [u8; 32] = [7; 32];

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn public_key() -> [u8; 32] {
    ed25519_dalek::SigningKey::from_bytes(&SEED)
        .verifying_key()
        .to_bytes()
}

fn test_issuer() -> api::config::IssuerSettings {
    api::config::IssuerSettings {
        issuer: TEST_ISSUER.into(),
        audience: AUDIENCE.into(),
        kind: api::auth::IssuerKind::Citizen,
        jwks: Some(json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "test-1", "x": b64(&public_key())}]}).to_string()),
        jwks_file: None,
        jwks_url: None,
        jwks_refresh_secs: None,
        acr: [("loa-high".to_owned(), "high".to_owned()), ("loa-substantial".to_owned(), "substantial".to_owned())].into(),
        default_assurance: "low".into(),
    }
}

async fn app() -> TestApp {
    spawn_app_with(|s| s.auth.issuers = vec![test_issuer()]).await
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A token of the test issuer, with `edit` applied to the standard claims.
fn token_with(edit: impl FnOnce(&mut serde_json::Map<String, Value>), kid: &str) -> String {
    let mut claims = json!({
        "iss": TEST_ISSUER, "aud": AUDIENCE, "sub": "citizen-42", "iat": now(), "exp": now() + 600,
        "acr": "loa-substantial"
    })
    .as_object()
    .unwrap()
    .clone();
    edit(&mut claims);
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(&SEED);
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.into());
    header.typ = Some("JWT".into());
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ed_der(&der)).unwrap()
}

/// A valid token of the test issuer whose header `edit` changed.
fn token_with_header(edit: impl FnOnce(&mut Header)) -> String {
    let claims = json!({
        "iss": TEST_ISSUER, "aud": AUDIENCE, "sub": "citizen-42", "iat": now(), "exp": now() + 600
    });
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(&SEED);
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some("test-1".into());
    header.typ = Some("JWT".into());
    edit(&mut header);
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ed_der(&der)).unwrap()
}

async fn citizen(app: &TestApp, subject: &str) -> String {
    app.dev_token(json!({"kind": "citizen", "subject": subject, "assurance": "substantial"}))
        .await
}

fn theft_answers() -> Value {
    json!({"ongoing_danger": false, "injury": false, "known_author": false, "violence": false, "exploitable_traces": false})
}

fn yesterday() -> String {
    (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339()
}

fn bicycle_draft() -> Value {
    json!({
        "procedure": "bicycle_theft", "country": "BE",
        "place": {"lat": 50.6730, "lon": 4.5687, "description": "Station rack"},
        "facts_date": {"from": yesterday()},
        "answers": theft_answers(),
        "facts": {"bicycle_locked": true, "circumstances": "Gone from the rack.",
                  "items": [{"category": "bicycle", "brand": "Gazelle", "serial_number": "GZ12345678", "colour": "blue"}]},
        "contact": {"email": "alice@example.org"}, "confirmation_channel": "email"
    })
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> reqwest::Response {
    let mut request = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.unwrap()
}

async fn create(app: &TestApp, token: &str, body: &Value) -> Value {
    let response = send(app, reqwest::Method::POST, "/v1/filings", token, Some(body)).await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    response.json().await.unwrap()
}

async fn submit(app: &TestApp, token: &str, id: &str) -> reqwest::Response {
    send(
        app,
        reqwest::Method::POST,
        &format!("/v1/filings/{id}/submit"),
        token,
        None,
    )
    .await
}

#[tokio::test]
async fn a_bicycle_theft_in_ottignies_goes_to_its_zone_with_a_receipt() {
    let app = app().await;
    let token = citizen(&app, "alice").await;
    let draft = create(&app, &token, &bicycle_draft()).await;
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["eligibility"]["outcome"], "eligible");
    assert_eq!(
        draft["routing"]["unit"]["id"],
        "zp-ottignies-louvain-la-neuve"
    );
    assert!(draft["routing"]["unit_open_now"].is_boolean());
    let id = draft["id"].as_str().unwrap();

    let response = submit(&app, &token, id).await;
    assert_eq!(response.status(), 200);
    let submitted: Value = response.json().await.unwrap();
    assert_eq!(submitted["status"], "submitted");
    let reference = submitted["reference"].as_str().unwrap();
    assert!(
        domain::filing::ReferenceNumber::parse(reference).is_ok(),
        "{reference}"
    );
    let statuses: Vec<&str> = submitted["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["draft", "submitted"]);

    let receipt: Value = send(
        &app,
        reqwest::Method::GET,
        &format!("/v1/filings/{id}/receipt"),
        &token,
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(receipt["reference"], reference);
    assert_eq!(receipt["unit"]["id"], "zp-ottignies-louvain-la-neuve");
    assert_eq!(receipt["items"], 1);
    assert_eq!(receipt["emergency_numbers"], json!(["101", "112"]));

    // The same receipt as a one-page PDF, asked by Accept or by ?format=pdf.
    for (path, accept) in [
        (
            format!("/v1/filings/{id}/receipt?lang=fr"),
            "application/pdf",
        ),
        (
            format!("/v1/filings/{id}/receipt?format=pdf&lang=fr"),
            "*/*",
        ),
    ] {
        let response = app
            .client
            .get(app.url(&path))
            .bearer_auth(&token)
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/pdf");
        assert!(response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("receipt-{reference}.pdf")));
        let bytes = response.bytes().await.unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
        let pdf = printpdf::PdfDocument::parse(
            &bytes,
            &printpdf::PdfParseOptions::default(),
            &mut Vec::new(),
        )
        .unwrap();
        assert_eq!(pdf.pages.len(), 1, "one page");
        let text = pdf.extract_text().concat().join("\n");
        for expected in [
            reference,
            "Accusé de réception",
            "ZP Ottignies-Louvain-la-Neuve",
            "101",
        ] {
            assert!(text.contains(expected), "{expected:?} not in {text:?}");
        }
    }
    // JSON stays the default, and an unknown format is refused.
    let json_by_default = app
        .client
        .get(app.url(&format!("/v1/filings/{id}/receipt")))
        .bearer_auth(&token)
        .header("accept", "text/html, */*;q=0.8")
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_by_default.headers()["content-type"],
        "application/json"
    );
    let unknown = send(
        &app,
        reqwest::Method::GET,
        &format!("/v1/filings/{id}/receipt?format=docx"),
        &token,
        None,
    )
    .await;
    assert_problem(unknown, 422, "validation_failed").await;

    // Creation and submission are in the audit trail.
    let pool = app.db.pool();
    let mut conn = pool.get().unwrap();
    let events = persistence::audit::list(
        &mut conn,
        &persistence::audit::AuditFilter {
            object_id: Some(id.into()),
            ..Default::default()
        },
        10,
    )
    .unwrap();
    assert_eq!(events.len(), 2);
    assert!(events
        .iter()
        .all(|e| e.event.operation == domain::audit::AuditOperation::Collection));
}

#[tokio::test]
async fn a_fuel_drive_off_is_declared_by_a_luxembourg_station_operator() {
    let app = app().await;
    let operator = app.dev_token( json!({"kind": "business", "subject": "station-7", "business_id": "LU12345678", "business_name": "Station Grevenmacher"})).await;
    let draft = create(&app, &operator, &json!({
        "procedure": "fuel_drive_off", "country": "LU",
        "place": {"municipality": "LU-grevenmacher"},
        "facts_date": {"from": yesterday()},
        "answers": {"ongoing_danger": false, "injury": false, "violence": false},
        "facts": {"station_name": "Station Grevenmacher", "amount_eur": 84.5, "fuel_litres": 50, "vehicle_plate": "AB1234"},
        "contact": {"email": "station@example.lu"}, "confirmation_channel": "email"
    })).await;
    assert_eq!(draft["declarant"], "business");
    let response = submit(&app, &operator, draft["id"].as_str().unwrap()).await;
    assert_eq!(response.status(), 200);
    let submitted: Value = response.json().await.unwrap();
    assert_eq!(submitted["routing"]["unit"]["id"], "lu-e-commissariat");

    // A private person cannot.
    let person = citizen(&app, "bob").await;
    let mut body = draft.clone();
    let draft = create(&app, &person, &json!({
        "procedure": "fuel_drive_off", "country": "LU", "place": {"municipality": "LU-grevenmacher"},
        "facts_date": {"from": yesterday()}, "answers": {"ongoing_danger": false, "injury": false, "violence": false},
        "facts": {"station_name": "x", "amount_eur": 1}, "contact": {"email": "b@example.org"}, "confirmation_channel": "email"
    })).await;
    body["id"] = draft["id"].clone();
    let problem = assert_problem(
        submit(&app, &person, draft["id"].as_str().unwrap()).await,
        422,
        "filing_not_eligible",
    )
    .await;
    assert_eq!(problem["errors"][0]["code"], "declarant_not_allowed");
}

#[tokio::test]
async fn an_online_scam_goes_to_the_national_unit() {
    let app = app().await;
    let token = citizen(&app, "carol").await;
    let draft = create(&app, &token, &json!({
        "procedure": "online_scam", "country": "FR",
        "facts_date": {"from": yesterday()},
        "answers": {"scam_kind": "romance_scam", "ongoing_danger": false, "illegal_content_only": false},
        "facts": {"scam_kind": "romance_scam", "payment_method": "bank_transfer", "amount_eur": 1500, "circumstances": "Met online, asked for money."},
        "contact": {"email": "carol@example.fr"}, "confirmation_channel": "email"
    })).await;
    assert_eq!(draft["routing"]["outcome"], "national");
    let submitted: Value = submit(&app, &token, draft["id"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(submitted["routing"]["unit"]["id"], "fr-ofac-thesee");
}

#[tokio::test]
async fn a_place_near_a_border_is_confirmed_then_submitted() {
    let app = app().await;
    let token = citizen(&app, "dan").await;
    let mut body = bicycle_draft();
    body["procedure"] = json!("simple_theft");
    body["place"] = json!({"lat": 50.875085, "lon": 4.374263});
    body["facts"] = json!({"theft_kind": "wallet", "circumstances": "Pickpocketed.", "items": [{"category": "wallet"}]});
    let draft = create(&app, &token, &body).await;
    assert_eq!(draft["routing"]["outcome"], "ambiguous");
    let id = draft["id"].as_str().unwrap();
    let response = app
        .client
        .post(app.url(&format!("/v1/filings/{id}/submit?lang=nl")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 422, "place_ambiguous").await;
    // The candidates as data (id and name in the reader's language, with their unit)...
    let candidates = problem["candidates"].as_array().unwrap();
    let schaerbeek = candidates
        .iter()
        .find(|c| c["municipality"]["id"] == "BE-21015")
        .unwrap_or_else(|| panic!("{problem}"));
    assert_eq!(
        schaerbeek["municipality"]["name"], "Schaarbeek",
        "{problem}"
    );
    assert_eq!(
        schaerbeek["unit"]["id"],
        "pz-evere-schaarbeek-sint-joost-ten-node"
    );
    assert!(candidates.len() >= 2, "{problem}");
    // ...and as text: each field error names one, and accepts its id.
    let error = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["allowed"] == json!(["BE-21015"]))
        .unwrap_or_else(|| panic!("{problem}"));
    assert_eq!(error["pointer"], "/place/municipality");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("Schaarbeek (BE-21015)"),
        "{problem}"
    );

    let patched = app
        .client
        .patch(app.url(&format!("/v1/filings/{id}")))
        .bearer_auth(&token)
        .header("if-match", "\"v1\"")
        .json(&json!({"place": {"municipality": "BE-21015"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    assert_eq!(patched.headers()["etag"], "\"v2\"");
    let submitted: Value = submit(&app, &token, id).await.json().await.unwrap();
    assert_eq!(submitted["status"], "submitted");
    assert_eq!(
        submitted["routing"]["unit"]["id"],
        "pz-evere-schaarbeek-sint-joost-ten-node"
    );
}

#[tokio::test]
async fn ineligible_facts_and_weak_identification_are_refused_at_submit() {
    let app = app().await;
    let token = citizen(&app, "erin").await;
    let mut body = bicycle_draft();
    body["answers"]["violence"] = json!(true);
    let draft = create(&app, &token, &body).await;
    assert_eq!(draft["eligibility"]["outcome"], "not_eligible");
    let problem = assert_problem(
        submit(&app, &token, draft["id"].as_str().unwrap()).await,
        422,
        "filing_not_eligible",
    )
    .await;
    assert_eq!(problem["errors"][0]["pointer"], "/answers/violence");
    assert_eq!(problem["errors"][0]["code"], "violence");

    let weak = app
        .dev_token(json!({"kind": "citizen", "subject": "erin-weak", "assurance": "low"}))
        .await;
    let draft = create(&app, &weak, &bicycle_draft()).await;
    let response = submit(&app, &weak, draft["id"].as_str().unwrap()).await;
    assert!(response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("insufficient_user_authentication"));
    assert_problem(response, 403, "insufficient_assurance").await;
}

#[tokio::test]
async fn the_jwt_attack_matrix_is_refused_with_401() {
    let app = app().await;
    let valid = token_with(|_| {}, "test-1");
    assert_eq!(
        send(&app, reqwest::Method::GET, "/v1/filings", &valid, None)
            .await
            .status(),
        200
    );

    let header_none = b64(br#"{"alg":"none","typ":"JWT","kid":"test-1"}"#);
    let payload = valid.split('.').nth(1).unwrap();
    let alg_none = format!("{header_none}.{payload}.");
    let hs256 = {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("test-1".into());
        let claims: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap();
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&public_key())).unwrap()
    };
    let tampered = {
        let mut claims: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap();
        claims["sub"] = json!("someone-else");
        let parts: Vec<&str> = valid.split('.').collect();
        format!(
            "{}.{}.{}",
            parts[0],
            b64(claims.to_string().as_bytes()),
            parts[2]
        )
    };
    let cases = [
        ("alg none", alg_none),
        ("HS256 signed with the public key", hs256),
        (
            "wrong iss",
            token_with(
                |c| {
                    c.insert("iss".into(), json!("https://evil.example"));
                },
                "test-1",
            ),
        ),
        (
            "wrong aud",
            token_with(
                |c| {
                    c.insert("aud".into(), json!("another-service"));
                },
                "test-1",
            ),
        ),
        (
            "expired",
            token_with(
                |c| {
                    c.insert("exp".into(), json!(now() - 3600));
                },
                "test-1",
            ),
        ),
        (
            "future nbf",
            token_with(
                |c| {
                    c.insert("nbf".into(), json!(now() + 3600));
                },
                "test-1",
            ),
        ),
        ("unknown kid", token_with(|_| {}, "test-9")),
        ("tampered payload", tampered),
        (
            "missing sub",
            token_with(
                |c| {
                    c.remove("sub");
                },
                "test-1",
            ),
        ),
        ("garbage", "not.a.token".to_owned()),
        (
            "crit with an unknown extension",
            token_with_header(|h| h.crit = Some(vec!["x-unknown".into()])),
        ),
        (
            "crit naming a registered header",
            token_with_header(|h| h.crit = Some(vec!["exp".into()])),
        ),
        (
            "empty crit",
            token_with_header(|h| h.crit = Some(Vec::new())),
        ),
        (
            "iat a year in the future",
            token_with(
                |c| {
                    c.insert("iat".into(), json!(now() + 365 * 86_400));
                },
                "test-1",
            ),
        ),
        (
            "iat two minutes in the future",
            token_with(
                |c| {
                    c.insert("iat".into(), json!(now() + 120));
                },
                "test-1",
            ),
        ),
        (
            "a control character in a claim",
            token_with(
                |c| {
                    c.insert("name".into(), json!("Alice\u{0}Admin"));
                },
                "test-1",
            ),
        ),
        (
            "missing iat",
            token_with(
                |c| {
                    c.remove("iat");
                },
                "test-1",
            ),
        ),
    ];
    for (name, token) in cases {
        let response = send(&app, reqwest::Method::GET, "/v1/filings", &token, None).await;
        assert_eq!(response.status(), 401, "{name}");
        let challenge = response
            .headers()
            .get("www-authenticate")
            .unwrap_or_else(|| panic!("{name}: no WWW-Authenticate"));
        assert!(challenge.to_str().unwrap().starts_with("Bearer"), "{name}");
        assert_problem(response, 401, "unauthorized").await;
    }
    // The control: a header edit alone does not break a token, and an `iat` within the
    // leeway is accepted.
    let plain = token_with_header(|_| {});
    assert_eq!(
        send(&app, reqwest::Method::GET, "/v1/filings", &plain, None)
            .await
            .status(),
        200
    );
    let skewed = token_with(
        |c| {
            c.insert("iat".into(), json!(now() + 5));
        },
        "test-1",
    );
    assert_eq!(
        send(&app, reqwest::Method::GET, "/v1/filings", &skewed, None)
            .await
            .status(),
        200
    );
    // Two Authorization headers are ambiguous, even two valid ones.
    for (first, second) in [
        (valid.clone(), valid.clone()),
        (valid.clone(), "garbage".to_owned()),
        ("garbage".to_owned(), valid.clone()),
    ] {
        let response = app
            .client
            .get(app.url("/v1/filings"))
            .header("authorization", format!("Bearer {first}"))
            .header("authorization", format!("Bearer {second}"))
            .send()
            .await
            .unwrap();
        assert!(response.headers().contains_key("www-authenticate"));
        assert_problem(response, 401, "unauthorized").await;
    }
    // A token in the query string is never accepted, even a valid one.
    let response = app
        .client
        .get(app.url(&format!("/v1/filings?access_token={valid}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
    let response = app
        .client
        .get(app.url(&format!("/v1/filings?access_token={valid}")))
        .bearer_auth(&valid)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    // No token at all.
    let response = app.client.get(app.url("/v1/filings")).send().await.unwrap();
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer realm=\"e-commissariat\""
    );
    assert_problem(response, 401, "unauthorized").await;
    // The acr of the test issuer maps to its level.
    let high = token_with(
        |c| {
            c.insert("acr".into(), json!("loa-high"));
        },
        "test-1",
    );
    let draft = create(&app, &high, &bicycle_draft()).await;
    assert_eq!(
        submit(&app, &high, draft["id"].as_str().unwrap())
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn another_citizens_filing_is_a_404_like_a_missing_one() {
    let app = app().await;
    let alice = citizen(&app, "alice").await;
    let mallory = citizen(&app, "mallory").await;
    let draft = create(&app, &alice, &bicycle_draft()).await;
    let id = draft["id"].as_str().unwrap();
    for (method, path) in [
        (reqwest::Method::GET, format!("/v1/filings/{id}")),
        (reqwest::Method::POST, format!("/v1/filings/{id}/submit")),
        (reqwest::Method::POST, format!("/v1/filings/{id}/withdraw")),
        (reqwest::Method::GET, format!("/v1/filings/{id}/receipt")),
        (
            reqwest::Method::GET,
            "/v1/filings/00000000-0000-0000-0000-000000000000".to_owned(),
        ),
    ] {
        let response = send(&app, method.clone(), &path, &mallory, None).await;
        assert_problem(response, 404, "filing_not_found").await;
    }
    let list: Value = send(&app, reqwest::Method::GET, "/v1/filings", &mallory, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"], json!([]));
    // An officer token is not a citizen's.
    let officer = app
        .dev_token(json!({"kind": "officer", "units": ["zp-ottignies-louvain-la-neuve"]}))
        .await;
    assert_problem(
        send(&app, reqwest::Method::GET, "/v1/filings", &officer, None).await,
        403,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn idempotency_keys_replay_refuse_and_never_create_twice() {
    let app = app().await;
    let token = citizen(&app, "frank").await;
    let post = |key: &'static str, body: Value| {
        let request = app
            .client
            .post(app.url("/v1/filings"))
            .bearer_auth(&token)
            .header("idempotency-key", key)
            .json(&body);
        async move { request.send().await.unwrap() }
    };
    let body = bicycle_draft();
    let first = post("draft-1", body.clone()).await;
    assert_eq!(first.status(), 201);
    let location = first.headers()["location"].to_str().unwrap().to_owned();
    let first: Value = first.json().await.unwrap();
    let again = post("draft-1", body.clone()).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["location"], location.as_str());
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    let mut other = body.clone();
    other["facts"]["circumstances"] = json!("Something else.");
    assert_problem(post("draft-1", other).await, 422, "idempotency_key_reused").await;
    let list: Value = send(&app, reqwest::Method::GET, "/v1/filings", &token, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "nothing created twice"
    );
    // Keys are scoped to the caller: another citizen's same key is independent.
    let gina = citizen(&app, "gina").await;
    let response = app
        .client
        .post(app.url("/v1/filings"))
        .bearer_auth(&gina)
        .header("idempotency-key", "draft-1")
        .json(&bicycle_draft())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let theirs: Value = response.json().await.unwrap();
    assert_ne!(theirs["id"], first["id"]);
}

#[tokio::test]
async fn twenty_parallel_identical_submits_give_exactly_one_submission() {
    let app = app().await;
    let token = citizen(&app, "hugo").await;
    let draft = create(&app, &token, &bicycle_draft()).await;
    let id = draft["id"].as_str().unwrap().to_owned();
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let request = app
            .client
            .post(app.url(&format!("/v1/filings/{id}/submit")))
            .bearer_auth(&token)
            .header("idempotency-key", "submit-storm");
        tasks.push(tokio::spawn(async move { request.send().await.unwrap() }));
    }
    let mut references = std::collections::HashSet::new();
    let mut statuses = Vec::new();
    for task in tasks {
        let response = task.await.unwrap();
        let status = response.status().as_u16();
        statuses.push(status);
        if status == 200 {
            let body: Value = response.json().await.unwrap();
            references.insert(body["reference"].as_str().unwrap().to_owned());
        } else {
            assert_eq!(status, 409, "only replays and in-progress answers");
        }
    }
    assert!(statuses.contains(&200));
    assert_eq!(
        references.len(),
        1,
        "one reference for all successful answers"
    );
    let pool = app.db.pool();
    let mut conn = pool.get().unwrap();
    let history = persistence::filings::history(&mut conn, &id).unwrap();
    assert_eq!(
        history
            .iter()
            .filter(|h| h.to_status == "submitted")
            .count(),
        1
    );
    // Without a key, a second submit is a conflict, not a second submission.
    assert_problem(submit(&app, &token, &id).await, 409, "invalid_transition").await;
}

#[tokio::test]
async fn two_patches_with_the_same_etag_give_exactly_one_412() {
    let app = app().await;
    let token = citizen(&app, "iris").await;
    let draft = create(&app, &token, &bicycle_draft()).await;
    let id = draft["id"].as_str().unwrap();
    let patch = |text: &'static str| {
        app.client
            .patch(app.url(&format!("/v1/filings/{id}")))
            .bearer_auth(&token)
            .header("if-match", "\"v1\"")
            .json(&json!({"facts": {"bicycle_locked": true, "circumstances": text, "items": [{"category": "bicycle"}]}}))
            .send()
    };
    let (a, b) = tokio::join!(patch("first"), patch("second"));
    let mut codes = vec![a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
    codes.sort();
    assert_eq!(codes, [200, 412]);
    let missing = app
        .client
        .patch(app.url(&format!("/v1/filings/{id}")))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_problem(missing, 428, "precondition_required").await;
}

#[tokio::test]
async fn field_errors_carry_json_pointers_and_forbidden_fields_are_rejected() {
    let app = app().await;
    let token = citizen(&app, "jack").await;
    let mut body = bicycle_draft();
    body["facts"]["items"][0]["category"] = json!("spaceship");
    body["facts_date"] =
        json!({"from": (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339()});
    body["contact"]["email"] = json!("not-an-address");
    let problem = assert_problem(
        send(
            &app,
            reqwest::Method::POST,
            "/v1/filings",
            &token,
            Some(&body),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert!(
        pointers.contains(&"/facts/items/0/category"),
        "{pointers:?}"
    );
    assert!(pointers.contains(&"/facts_date/from"), "{pointers:?}");
    assert!(pointers.contains(&"/contact/email"), "{pointers:?}");
    let mut body = bicycle_draft();
    body["status"] = json!("registered");
    let problem = assert_problem(
        send(
            &app,
            reqwest::Method::POST,
            "/v1/filings",
            &token,
            Some(&body),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["pointer"], "/status");
    assert_eq!(problem["errors"][0]["code"], "unknown_field");
    // A draft missing what submission needs is told what, field by field.
    let draft = create(
        &app,
        &token,
        &json!({"procedure": "bicycle_theft", "country": "BE"}),
    )
    .await;
    let problem = assert_problem(
        submit(&app, &token, draft["id"].as_str().unwrap()).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["pointer"].as_str().unwrap().starts_with("/answers/")));
}

#[tokio::test]
async fn withdraw_before_processing_and_the_daily_quota() {
    let app = spawn_app_with(|s| {
        s.auth.issuers = vec![test_issuer()];
        s.filings.daily_submissions = 1;
    })
    .await;
    let token = citizen(&app, "kim").await;
    let first = create(&app, &token, &bicycle_draft()).await;
    assert_eq!(
        submit(&app, &token, first["id"].as_str().unwrap())
            .await
            .status(),
        200
    );
    let second = create(&app, &token, &bicycle_draft()).await;
    let response = submit(&app, &token, second["id"].as_str().unwrap()).await;
    let retry_after: i64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=86_400).contains(&retry_after));
    assert_problem(response, 429, "too_many_requests").await;
    // The refused one is still a draft; withdrawing works, twice does not.
    let path = format!("/v1/filings/{}/withdraw", first["id"].as_str().unwrap());
    let withdrawn: Value = send(&app, reqwest::Method::POST, &path, &token, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(withdrawn["status"], "withdrawn");
    assert_problem(
        send(&app, reqwest::Method::POST, &path, &token, None).await,
        409,
        "invalid_transition",
    )
    .await;
    let drafts: Value = send(
        &app,
        reqwest::Method::GET,
        "/v1/filings?status=draft",
        &token,
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(drafts["items"].as_array().unwrap().len(), 1);
}

/// A JWKS endpoint on the loopback interface, counting its fetches; `served` is what it
/// answers (a std thread, as the service fetches the keys before it starts serving).
fn jwks_server(
    served: std::sync::Arc<std::sync::Mutex<String>>,
    fetches: std::sync::Arc<std::sync::atomic::AtomicUsize>,
) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buffer = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buffer[..n]),
                }
            }
            fetches.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let body = served.lock().unwrap().clone();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[tokio::test]
async fn keys_from_a_jwks_url_are_cached_and_rotated_by_kid() {
    use std::sync::atomic::Ordering::SeqCst;
    let jwks = |kid: &str| {
        json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": kid, "x": b64(&public_key())}]})
            .to_string()
    };
    let served = std::sync::Arc::new(std::sync::Mutex::new(jwks("rot-1")));
    let fetches = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let url = jwks_server(served.clone(), fetches.clone());
    let app = spawn_app_with(move |s| {
        s.auth.issuers = vec![api::config::IssuerSettings {
            jwks: None,
            jwks_url: Some(url),
            ..test_issuer()
        }]
    })
    .await;
    assert_eq!(fetches.load(SeqCst), 1, "fetched once, at start-up");
    let list = |kid: &'static str| {
        let request = app
            .client
            .get(app.url("/v1/filings"))
            .bearer_auth(token_with(|_| {}, kid));
        async move { request.send().await.unwrap() }
    };
    for _ in 0..5 {
        assert_eq!(list("rot-1").await.status(), 200);
    }
    assert_eq!(fetches.load(SeqCst), 1, "the keys are cached");
    // The provider rotates its key: the first token naming the new kid makes the service
    // fetch the keys again, and it is accepted.
    *served.lock().unwrap() = jwks("rot-2");
    assert_eq!(list("rot-2").await.status(), 200);
    assert_eq!(fetches.load(SeqCst), 2);
    // The retired key is no longer accepted.
    let refused = list("rot-1").await;
    assert_eq!(refused.status(), 401);
    assert!(refused.headers().contains_key("www-authenticate"));
    // Made-up kids do not make the service fetch again (one fetch per minute at most).
    for _ in 0..10 {
        assert_eq!(list("made-up").await.status(), 401);
    }
    assert_eq!(fetches.load(SeqCst), 2);
}

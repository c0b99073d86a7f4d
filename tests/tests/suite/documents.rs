//! Verifiable documents (issue 19): the receipt's item list and signed credential, the
//! published keys (JWKS) and their rotation, an independent verifier (Python's
//! `jwcrypto`) using nothing but the JWKS, the public online check and its verdicts,
//! tampering, revocation by withdrawal, and the check's quota.

use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use tests::{assert_problem, spawn_app_with, TestApp};

fn yesterday() -> String {
    (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339()
}

fn phone_theft() -> Value {
    json!({
        "procedure": "bicycle_theft", "country": "BE",
        "place": {"lat": 50.6730, "lon": 4.5687, "description": "Station rack"},
        "facts_date": {"from": yesterday()},
        "answers": {"ongoing_danger": false, "injury": false, "known_author": false, "violence": false, "exploitable_traces": false},
        "facts": {"bicycle_locked": true, "circumstances": "Gone from the rack with the phone in its bag.",
                  "items": [
                      {"category": "bicycle", "brand": "Gazelle", "model": "Ultimate C8 Żółw Δέλτα", "serial_number": "GZ12345678", "colour": "blue", "estimated_value_eur": 1200},
                      {"category": "phone", "brand": "Fairphone", "serial_number": "356938035643809"}
                  ]},
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

/// A submitted filing of `subject`: its id and its receipt (JSON).
async fn submitted(app: &TestApp, subject: &str) -> (String, String, Value) {
    let token = app
        .dev_token(json!({"kind": "citizen", "subject": subject, "assurance": "substantial"}))
        .await;
    let response = send(
        app,
        reqwest::Method::POST,
        "/v1/filings",
        &token,
        Some(&phone_theft()),
    )
    .await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    let id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/filings/{id}/submit");
    let response = send(app, reqwest::Method::POST, &path, &token, None).await;
    assert_eq!(response.status(), 200);
    let path = format!("/v1/filings/{id}/receipt");
    let response = send(app, reqwest::Method::GET, &path, &token, None).await;
    assert_eq!(response.status(), 200);
    (id, token, response.json().await.unwrap())
}

async fn check(app: &TestApp, credential: &str) -> Value {
    let response = app
        .post_json("/v1/credentials/verify", &json!({"credential": credential}))
        .await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    response.json().await.unwrap()
}

async fn jwks(app: &TestApp) -> Value {
    let response = app.get("/v1/credentials/keys").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/jwk-set+json"
    );
    response.json().await.unwrap()
}

/// Verifies `token` with Python's `jwcrypto` and nothing but the published `jwks`, and
/// computes the digest of the receipt's item list the way the documentation says; prints
/// `{"claims": ..., "items_sha256": ...}`.
const VERIFY: &str = r#"
import hashlib, json, sys
from jwcrypto import jwk, jws
given = json.load(sys.stdin)
keys = jwk.JWKSet.from_json(json.dumps(given["jwks"]))
token = jws.JWS()
token.deserialize(given["token"])
header = token.jose_header
assert header["alg"] == "EdDSA", header
token.verify(keys.get_key(header["kid"]), alg="EdDSA")
items = json.dumps(given["items"], separators=(",", ":"), sort_keys=True, ensure_ascii=False)
print(json.dumps({
    "claims": json.loads(token.payload),
    "items_sha256": hashlib.sha256(items.encode("utf-8")).hexdigest(),
}))
"#;

fn verify_independently(jwks: &Value, token: &str, items: &Value) -> Value {
    let input = json!({"jwks": jwks, "token": token, "items": items}).to_string();
    let output = tests::python::run_script(VERIFY, input.as_bytes(), "jwcrypto verification");
    serde_json::from_slice(&output).unwrap()
}

#[tokio::test]
async fn a_receipt_lists_its_items_and_carries_a_credential_an_insurer_can_check() {
    let app = spawn_app_with(|s| s.credentials.verify_per_minute = 0).await;
    let (id, token, receipt) = submitted(&app, "alice").await;
    assert_eq!(receipt["items"], 2);
    assert_eq!(
        receipt["declared_items"],
        json!([
            {"brand": "Gazelle", "category": "bicycle", "model": "Ultimate C8 Żółw Δέλτα", "serial_number": "GZ12345678"},
            {"brand": "Fairphone", "category": "phone", "serial_number": "356938035643809"}
        ])
    );
    let credential = receipt["credential"].as_str().unwrap();

    // An independent implementation, with nothing but the published keys.
    let keys = jwks(&app).await;
    assert_eq!(keys["keys"].as_array().unwrap().len(), 1);
    assert!(keys["keys"][0].get("d").is_none(), "no private part");
    let checked = verify_independently(&keys, credential, &receipt["declared_items"]);
    let claims = &checked["claims"];
    assert_eq!(claims["kind"], "complaint_receipt");
    assert_eq!(claims["ref"], receipt["reference"]);
    assert_eq!(claims["procedure"], "bicycle_theft");
    assert_eq!(claims["unit"], receipt["unit"]["id"]);
    assert_eq!(claims["items_sha256"], checked["items_sha256"]);
    let submitted_at =
        chrono::DateTime::parse_from_rfc3339(claims["submitted_at"].as_str().unwrap()).unwrap();
    let receipt_time =
        chrono::DateTime::parse_from_rfc3339(receipt["submitted_at"].as_str().unwrap()).unwrap();
    assert_eq!(submitted_at.timestamp(), receipt_time.timestamp());
    // The credential holds the minimum: no item, no name, no address, no facts.
    let text = claims.to_string();
    for secret in ["Gazelle", "GZ12345678", "356938035643809", "alice", "rack"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }

    // The online check: valid, with the credential's claims and nothing more.
    let answer = check(&app, credential).await;
    assert_eq!(answer["status"], "valid", "{answer}");
    assert_eq!(answer["kind"], "complaint_receipt");
    assert_eq!(answer["key_id"], keys["keys"][0]["kid"]);
    assert_eq!(&answer["claims"], claims);
    let members: Vec<&String> = answer.as_object().unwrap().keys().collect();
    assert_eq!(members, ["claims", "key_id", "kind", "status"]);

    // The same receipt gives the same credential.
    let again = send(
        &app,
        reqwest::Method::GET,
        &format!("/v1/filings/{id}/receipt"),
        &token,
        None,
    )
    .await
    .json::<Value>()
    .await
    .unwrap();
    assert_eq!(again["credential"], receipt["credential"]);

    // Any byte changed: invalid_signature, and nothing disclosed.
    for i in 0..credential.len() {
        let mut bytes = credential.as_bytes().to_vec();
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        let answer = check(&app, &tampered).await;
        assert_eq!(answer, json!({"status": "invalid_signature"}), "byte {i}");
    }
    let truncated = &credential[..credential.len() - 1];
    assert_eq!(check(&app, truncated).await["status"], "invalid_signature");
    assert_eq!(
        check(&app, "not a credential").await["status"],
        "invalid_signature"
    );

    // Withdrawn since: revoked.
    let path = format!("/v1/filings/{id}/withdraw");
    let response = send(&app, reqwest::Method::POST, &path, &token, None).await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    let answer = check(&app, credential).await;
    assert_eq!(answer["status"], "revoked");
    assert_eq!(&answer["claims"], claims);
}

#[tokio::test]
async fn the_pdf_receipt_lists_the_items() {
    let app = spawn_app_with(|_| {}).await;
    let (id, token, _) = submitted(&app, "bob").await;
    let path = format!("/v1/filings/{id}/receipt?format=pdf&lang=en");
    let response = send(&app, reqwest::Method::GET, &path, &token, None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let pdf = response.bytes().await.unwrap();
    let text = tests::python::run_script(
        "import io, sys\nfrom pypdf import PdfReader\nreader = PdfReader(io.BytesIO(sys.stdin.buffer.read()))\nassert len(reader.pages) == 1\nprint(reader.pages[0].extract_text())",
        &pdf,
        "pypdf",
    );
    let text = String::from_utf8_lossy(&text);
    // The model's Polish and Greek letters print as typed (an embedded Unicode font).
    for expected in [
        "Declared items",
        "Ultimate C8 Żółw Δέλτα",
        "Gazelle",
        "GZ12345678",
        "356938035643809",
        "QR code",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
}

/// The key file the service made in its data folder, as the seed of a private JWK.
fn service_seed(app: &TestApp) -> [u8; 32] {
    let file = std::fs::read(app.data_dir().join("credential-signing-key.json")).unwrap();
    let jwk: Value = serde_json::from_slice(&file).unwrap();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(jwk["d"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

fn sign(seed: &[u8; 32], kid: &str, claims: &Value) -> String {
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(seed);
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(&der)).unwrap()
}

#[tokio::test]
async fn the_check_reports_expired_and_not_yet_valid_documents_and_refuses_other_keys() {
    let app = spawn_app_with(|_| {}).await;
    let (_, _, receipt) = submitted(&app, "carol").await;
    let keys = jwks(&app).await;
    let kid = keys["keys"][0]["kid"].as_str().unwrap();
    let seed = service_seed(&app);
    let now = chrono::Utc::now().timestamp();
    let valid = verify_independently(&keys, receipt["credential"].as_str().unwrap(), &json!([]));
    let mut claims = valid["claims"].clone();

    claims["exp"] = json!(now - 60);
    assert_eq!(
        check(&app, &sign(&seed, kid, &claims)).await["status"],
        "expired"
    );
    claims["exp"] = json!(now + 3600);
    claims["nbf"] = json!(now + 600);
    assert_eq!(
        check(&app, &sign(&seed, kid, &claims)).await["status"],
        "not_yet_valid"
    );
    claims["nbf"] = json!(now - 600);
    assert_eq!(
        check(&app, &sign(&seed, kid, &claims)).await["status"],
        "valid"
    );

    // Another key under the service's key id, another issuer, another algorithm's name.
    assert_eq!(
        check(&app, &sign(&[9; 32], kid, &claims)).await["status"],
        "invalid_signature"
    );
    let mut foreign = claims.clone();
    foreign["iss"] = json!("https://elsewhere.example");
    assert_eq!(
        check(&app, &sign(&seed, kid, &foreign)).await["status"],
        "invalid_signature"
    );
    let unsigned = format!(
        "{}.{}.",
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(json!({"alg": "none", "kid": kid}).to_string()),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    assert_eq!(check(&app, &unsigned).await["status"], "invalid_signature");
}

#[tokio::test]
async fn documents_signed_before_a_rotation_keep_verifying() {
    let app = spawn_app_with(|_| {}).await;
    let (_, _, receipt) = submitted(&app, "dave").await;
    let credential = receipt["credential"].as_str().unwrap();
    let old = jwks(&app).await["keys"][0].clone();

    // A new key in the sibling's own data folder; the old public key listed as retired.
    let rotated = app
        .sibling(|s| s.credentials.retired_public_keys = vec![old["x"].as_str().unwrap().into()])
        .await;
    let keys = jwks(&rotated).await;
    let kids: Vec<&str> = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids.len(), 2);
    assert_ne!(kids[0], old["kid"]);
    assert_eq!(kids[1], old["kid"]);
    assert_eq!(check(&rotated, credential).await["status"], "valid");
    verify_independently(&keys, credential, &json!([]));
    // The new key signs new receipts.
    let (_, _, newer) = submitted(&rotated, "erin").await;
    let answer = check(&rotated, newer["credential"].as_str().unwrap()).await;
    assert_eq!(answer["key_id"], kids[0]);

    // Without the retired key, the old documents no longer verify.
    let forgotten = app.sibling(|_| {}).await;
    assert_eq!(
        check(&forgotten, credential).await["status"],
        "invalid_signature"
    );
}

#[tokio::test]
async fn the_check_is_limited_per_address_and_reads_bounded_input() {
    let app = spawn_app_with(|s| s.credentials.verify_per_minute = 2).await;
    for _ in 0..2 {
        let response = app
            .post_json("/v1/credentials/verify", &json!({"credential": "x.y.z"}))
            .await;
        assert_eq!(response.status(), 200);
        assert!(response.headers().contains_key("ratelimit"));
    }
    let response = app
        .post_json("/v1/credentials/verify", &json!({"credential": "x.y.z"}))
        .await;
    let problem = assert_problem(response, 429, "too_many_requests").await;
    assert!(problem.get("credential").is_none());

    let app = spawn_app_with(|_| {}).await;
    let long = "a".repeat(domain::limits::CREDENTIAL_MAX_CHARS + 1);
    let response = app
        .post_json("/v1/credentials/verify", &json!({"credential": long}))
        .await;
    assert_problem(response, 422, "validation_failed").await;
    let response = app
        .post_json("/v1/credentials/verify", &json!({"credential": " "}))
        .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["pointer"], "/credential", "{problem}");
}

/// Every per-address quota takes the caller's address from one place
/// (`app::ratelimit::caller_address`): behind a trusted reverse proxy
/// (`items.trust_forwarded_for`) the credential check counts each forwarded address on
/// its own (it counted the proxy's, so one caller used up everyone's quota); without
/// the setting, a forwarded address is not believed.
#[tokio::test]
async fn the_check_counts_the_forwarded_address_only_behind_a_trusted_proxy() {
    async fn send(app: &TestApp, from: &str) -> Result<reqwest::Response, reqwest::Error> {
        app.client
            .post(app.url("/v1/credentials/verify"))
            .header("X-Forwarded-For", from)
            .json(&json!({"credential": "x.y.z"}))
            .send()
            .await
    }
    let app = spawn_app_with(|s| {
        s.credentials.verify_per_minute = 1;
        s.items.trust_forwarded_for = true;
    })
    .await;
    assert_eq!(send(&app, "203.0.113.1").await.unwrap().status(), 200);
    let response = send(&app, "203.0.113.1").await.unwrap();
    assert_problem(response, 429, "too_many_requests").await;
    assert_eq!(send(&app, "203.0.113.2").await.unwrap().status(), 200);

    let app = spawn_app_with(|s| s.credentials.verify_per_minute = 1).await;
    assert_eq!(send(&app, "203.0.113.1").await.unwrap().status(), 200);
    let response = send(&app, "203.0.113.2").await.unwrap();
    assert_problem(response, 429, "too_many_requests").await;
}

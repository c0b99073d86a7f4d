//! A minor's travel authorisation (issue 19), end to end over HTTP: two parents (two
//! development identities at level high) complete a request, the second invited by an
//! e-mail (received by an independent SMTP server) whose single-use link works once and
//! not after it expires; an officer of the unit of the requester's municipality approves;
//! the credential is checked by Python's `jwcrypto` with nothing but the published JWKS,
//! and online (`valid`, `not_yet_valid`, `revoked`, `invalid_signature` for a changed
//! byte); a parent revokes before departure, the police after; a third citizen sees
//! nothing (404); level substantial is refused; the field issues are 422 problems; and
//! the service's log holds none of the minor's data.

use chrono::{Duration, NaiveDate, Utc};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::time::Duration as Wait;
use tests::smtp::SmtpSink;
use tests::{assert_problem, spawn_app_with, TestApp};

const ZONE: &str = "zp-ottignies-louvain-la-neuve";
const BIN: &str = env!("CARGO_BIN_EXE_ecommissariat-under-test");
/// What identifies the minor, the companion and the other parent: never in a log.
const PERSONAL: [&str; 8] = [
    "Laia",
    "Puig",
    "12345678Z",
    "X1234567L",
    "Marta",
    "Vidal",
    "2014-05-10",
    "jordi@example.org",
];

/// The local date in Belgium (the unit's zone), `days` from today.
fn local_date(days: i64) -> NaiveDate {
    (Utc::now().with_timezone(&chrono_tz::Europe::Brussels) + Duration::days(days)).date_naive()
}

fn request_body(departure: NaiveDate, invited: bool) -> Value {
    let other = if invited {
        json!({"kind": "invited", "name": "Jordi Puig", "email": "jordi@example.org"})
    } else {
        json!({"kind": "sole_holder", "ground": "court_decision"})
    };
    json!({
        "minor": {"first_name": "Laia", "last_name": "Puig", "birth_date": "2014-05-10", "document_number": "12345678Z"},
        "trip": {"destinations": ["FR", "IT"], "departure": departure, "return_date": departure + Duration::days(10)},
        "companion": {"name": "Marta Vidal", "document_number": "X1234567L"},
        "other_holder": other,
        "municipality": "BE-25121",
        "contact_email": "anna@example.org"
    })
}

/// A running service: in this process, or the real binary (for its log).
struct Target {
    base: String,
    client: reqwest::Client,
}

impl Target {
    fn of(app: &TestApp) -> Self {
        Target {
            base: app.address.clone(),
            client: app.client.clone(),
        }
    }

    async fn token(&self, body: Value) -> String {
        let response = self
            .client
            .post(format!("{}/dev/tokens", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn citizen(&self, subject: &str, assurance: &str) -> String {
        self.token(json!({"kind": "citizen", "subject": subject, "assurance": assurance}))
            .await
    }

    async fn officer(&self) -> String {
        self.token(json!({"kind": "officer", "subject": "o-travel", "units": [ZONE]}))
            .await
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> reqwest::Response {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.unwrap()
    }

    async fn post(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.send(reqwest::Method::POST, path, Some(token), Some(body))
            .await
    }

    async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.send(reqwest::Method::GET, path, Some(token), None)
            .await
    }

    async fn ok(&self, response: reqwest::Response) -> Value {
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "{status}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    async fn check(&self, credential: &str) -> Value {
        let response = self
            .send(
                reqwest::Method::POST,
                "/v1/credentials/verify",
                None,
                Some(&json!({"credential": credential})),
            )
            .await;
        self.ok(response).await
    }
}

/// The single-use token of the last invitation `sink` received for `to`.
async fn invitation_token(sink: &SmtpSink, count: usize, to: &str) -> String {
    let messages = sink.wait_for(count, Wait::from_secs(20)).await;
    let message = messages
        .iter()
        .rev()
        .find(|m| m["rcpt_tos"] == json!([to]))
        .unwrap_or_else(|| panic!("no mail to {to}: {messages:?}"));
    let text = message["parts"][0]["text"].as_str().unwrap();
    let start = text.find("travel-invitations/").expect("the link") + "travel-invitations/".len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// Python's `jwcrypto` checks `token` against nothing but the published `jwks` and
/// prints the claims.
const VERIFY: &str = r#"
import json, sys
from jwcrypto import jwk, jws
given = json.load(sys.stdin)
keys = jwk.JWKSet.from_json(json.dumps(given["jwks"]))
token = jws.JWS()
token.deserialize(given["token"])
header = token.jose_header
assert header["alg"] == "EdDSA", header
token.verify(keys.get_key(header["kid"]), alg="EdDSA")
print(token.payload.decode("utf-8"))
"#;

fn verify_independently(jwks: &Value, token: &str) -> Value {
    let input = json!({"jwks": jwks, "token": token}).to_string();
    let output = tests::python::run_script(VERIFY, input.as_bytes(), "jwcrypto verification");
    serde_json::from_slice(&output).unwrap()
}

/// The whole flow with two parents, today's departure: returns nothing, asserts all.
async fn two_parents_and_an_officer(t: &Target, sink: &SmtpSink, mails_before: usize) {
    let anna = t.citizen("anna", "high").await;
    let jordi = t.citizen("jordi", "high").await;
    let eve = t.citizen("eve", "high").await;
    let officer = t.officer().await;

    let response = t
        .post(
            "/v1/travel-authorisations",
            &anna,
            &request_body(local_date(0), true),
        )
        .await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/v1/travel-authorisations/{id}"));
    assert_eq!(created["status"], "awaiting_consent");
    assert_eq!(created["unit_id"], ZONE);
    let path = format!("/v1/travel-authorisations/{id}");

    // Nobody else sees it: not a third citizen, not the invited parent before the link.
    for who in [&eve, &jordi] {
        assert_problem(t.get(&path, who).await, 404, "travel_request_not_found").await;
        let consent = t.post(&format!("{path}/consent"), who, &json!({})).await;
        assert_problem(consent, 404, "travel_request_not_found").await;
    }

    // The invitation, by e-mail through the outbox.
    let token = invitation_token(sink, mails_before + 1, "jordi@example.org").await;
    assert!(token.len() >= 40, "{token}");
    let take = json!({"token": token});
    let substantial = t.citizen("jordi", "substantial").await;
    let response = t.post("/v1/travel-invitations", &substantial, &take).await;
    assert_problem(response, 403, "insufficient_assurance").await;
    let taken = t
        .ok(t.post("/v1/travel-invitations", &jordi, &take).await)
        .await;
    assert_eq!(taken["id"], id.as_str());
    assert_eq!(taken["request"]["minor"]["first_name"], "Laia");
    assert_eq!(taken["second_holder_joined"], true);
    // Single use: neither a third citizen nor the same parent again.
    for who in [&eve, &jordi] {
        let again = t.post("/v1/travel-invitations", who, &take).await;
        assert_problem(again, 410, "invitation_invalid").await;
    }
    // The requester's consent is the request: answering is the other holder's (403,
    // not 404: the request exists for them).
    let own = t.post(&format!("{path}/consent"), &anna, &json!({})).await;
    assert_problem(own, 403, "forbidden").await;
    let consented = t
        .ok(t.post(&format!("{path}/consent"), &jordi, &json!({})).await)
        .await;
    assert_eq!(consented["status"], "awaiting_review");
    let again = t.post(&format!("{path}/consent"), &jordi, &json!({})).await;
    assert_problem(again, 409, "travel_invalid_state").await;

    // The officer of the unit of the requester's municipality reviews and approves.
    let queue = t
        .ok(t
            .get(&format!("/v1/units/{ZONE}/travel-authorisations"), &officer)
            .await)
        .await;
    assert!(queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == id.as_str()));
    let unit_path = format!("/v1/units/{ZONE}/travel-authorisations/{id}");
    let approved = t
        .ok(t
            .post(&format!("{unit_path}/approve"), &officer, &json!({}))
            .await)
        .await;
    assert_eq!(approved["status"], "approved");
    assert_problem(
        t.get(&format!("{path}/document"), &eve).await,
        404,
        "travel_request_not_found",
    )
    .await;
    let document = t.ok(t.get(&format!("{path}/document"), &jordi).await).await;
    assert_eq!(document["status"], "valid");
    let credential = document["credential"].as_str().unwrap().to_owned();

    // An independent verifier, with the published keys only.
    let keys = t
        .ok(t
            .send(reqwest::Method::GET, "/v1/credentials/keys", None, None)
            .await)
        .await;
    let claims = verify_independently(&keys, &credential);
    assert_eq!(claims["kind"], "minor_travel_authorisation");
    assert_eq!(claims["jti"], document["id"]);
    assert_eq!(claims["minor_name"], "Laia Puig");
    assert_eq!(claims["minor_birth_date"], "2014-05-10");
    assert_eq!(claims["destinations"], json!(["FR", "IT"]));
    assert_eq!(claims["companion"], "Marta Vidal");
    assert_eq!(claims["unit"], ZONE);
    assert_eq!(claims["valid_from"], local_date(0).to_string());
    let text = claims.to_string();
    for absent in [
        "12345678Z",
        "X1234567L",
        "Jordi",
        "jordi@example.org",
        "anna",
    ] {
        assert!(!text.contains(absent), "{absent} in {text}");
    }

    // Online: valid, with the credential's claims and nothing more.
    let answer = t.check(&credential).await;
    assert_eq!(answer["status"], "valid", "{answer}");
    assert_eq!(answer["kind"], "minor_travel_authorisation");
    assert_eq!(answer["claims"], claims);
    // Any byte changed: invalid_signature, nothing disclosed.
    for i in (0..credential.len())
        .step_by(9)
        .chain([credential.len() - 1])
    {
        let mut bytes = credential.as_bytes().to_vec();
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert_eq!(
            t.check(&tampered).await,
            json!({"status": "invalid_signature"}),
            "byte {i}"
        );
    }

    // The departure day started: a parent can no longer revoke, the police can.
    let reason = json!({"reason": "The trip was cancelled."});
    let response = t.post(&format!("{path}/revoke"), &anna, &reason).await;
    assert_problem(response, 409, "revocation_closed").await;
    let response = t.post(&format!("{path}/revoke"), &eve, &reason).await;
    assert_problem(response, 404, "travel_request_not_found").await;
    let response = t
        .post(
            &format!("{unit_path}/revoke"),
            &officer,
            &json!({"reason": " "}),
        )
        .await;
    assert_problem(response, 422, "validation_failed").await;
    let revoked = t
        .ok(t
            .post(&format!("{unit_path}/revoke"), &officer, &reason)
            .await)
        .await;
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(revoked["document"]["revoked_by"], "police");
    let answer = t.check(&credential).await;
    assert_eq!(answer["status"], "revoked");
    assert_eq!(answer["claims"], claims);
    // The PDF is served to the parents.
    let pdf = t.get(&format!("{path}/document/pdf"), &anna).await;
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"));
}

async fn mail_app(sink: &SmtpSink) -> TestApp {
    let url = sink.url();
    spawn_app_with(move |s| {
        s.notifications.smtp_url = Some(SecretString::from(url));
        s.notifications.poll_interval_ms = 100;
        s.credentials.verify_per_minute = 0;
        s.travel.invitation_url = "https://app.police.test/travel-invitations/{token}".into();
    })
    .await
}

#[tokio::test]
async fn two_parents_complete_a_request_and_the_document_verifies_until_revoked() {
    let sink = SmtpSink::start("accept");
    let app = mail_app(&sink).await;
    two_parents_and_an_officer(&Target::of(&app), &sink, 0).await;
    // Both consents are audited with their level of assurance.
    let pool = app.db.pool();
    let mut conn = pool.get().unwrap();
    #[derive(diesel::QueryableByName)]
    struct Event {
        #[diesel(sql_type = diesel::sql_types::Text)]
        action: String,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        justification: Option<String>,
    }
    use diesel::RunQueryDsl;
    let events: Vec<Event> = diesel::sql_query(
        "SELECT action, justification FROM audit_events WHERE object_type = 'travel_request' ORDER BY id",
    )
    .load(&mut **conn)
    .unwrap();
    let find = |action: &str| {
        events
            .iter()
            .find(|e| e.action == action)
            .and_then(|e| e.justification.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        find("request_travel_authorisation"),
        "consent of the requester at level high"
    );
    assert_eq!(
        find("consent_travel_authorisation"),
        "consent of the second holder at level high"
    );
    for action in [
        "approve_travel_authorisation",
        "revoke_travel_authorisation",
    ] {
        assert!(events.iter().any(|e| e.action == action), "{action}");
    }
    // The token is stored as a hash only.
    #[derive(diesel::QueryableByName)]
    struct Hash {
        #[diesel(sql_type = diesel::sql_types::Text)]
        token_hash: String,
    }
    let hashes: Vec<Hash> = diesel::sql_query("SELECT token_hash FROM travel_invitations")
        .load(&mut **conn)
        .unwrap();
    assert_eq!(hashes.len(), 1);
    assert_eq!(hashes[0].token_hash.len(), 64);
}

/// The text of every page of `pdf`, as Python's `pypdf` extracts it (through the fonts'
/// ToUnicode maps).
fn pdf_text(pdf: &[u8]) -> String {
    let script = "import io, sys\nfrom pypdf import PdfReader\n\
                  reader = PdfReader(io.BytesIO(sys.stdin.buffer.read()), strict=True)\n\
                  assert len(reader.pages) == 1\n\
                  sys.stdout.buffer.write(reader.pages[0].extract_text().encode('utf-8'))";
    let out = tests::python::run_script(script, pdf, "pypdf");
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn the_officer_sees_who_took_the_invitation_and_the_pdf_prints_every_name() {
    let sink = SmtpSink::start("accept");
    let app = mail_app(&sink).await;
    let t = Target::of(&app);
    let named = |subject: &str, given: &str, family: &str| {
        t.token(
            json!({"kind": "citizen", "subject": subject, "assurance": "high",
                       "given_name": given, "family_name": family, "birthdate": "1980-03-02"}),
        )
    };
    let anna = named("anna-u", "Anna", "Żółć").await;
    let jordi = named("jordi-u", "JORDI", "Puig Ferrer").await;
    let mallory = named("mallory-u", "Mallory", "Smith").await;
    let officer = t.officer().await;
    // Names in Polish, Greek and Cyrillic letters, and an invited holder by name.
    let mut body = request_body(local_date(3), true);
    body["minor"]["first_name"] = json!("Łucja");
    body["minor"]["last_name"] = json!("Żółć-Παπαδοπούλου");
    body["companion"]["name"] = json!("Анна Іваненко");
    let mut requests = Vec::new();
    for (n, taker) in [&jordi, &mallory].into_iter().enumerate() {
        let created = t
            .ok(t.post("/v1/travel-authorisations", &anna, &body).await)
            .await;
        let id = created["id"].as_str().unwrap().to_owned();
        let token = invitation_token(&sink, n + 1, "jordi@example.org").await;
        t.ok(t
            .post("/v1/travel-invitations", taker, &json!({"token": token}))
            .await)
            .await;
        let path = format!("/v1/travel-authorisations/{id}/consent");
        t.ok(t.post(&path, taker, &json!({})).await).await;
        requests.push(id);
    }
    // The officer sees both parties as their sign-ins vouched for them, and whether the
    // one who took the link bears the name the requester gave ("Jordi Puig").
    for (id, given, check) in [
        (&requests[0], "JORDI", "matches"),
        (&requests[1], "Mallory", "differs"),
    ] {
        let unit_path = format!("/v1/units/{ZONE}/travel-authorisations/{id}");
        let review = t.ok(t.get(&unit_path, &officer).await).await;
        let parties = review["parties"].as_array().unwrap();
        assert_eq!(parties.len(), 2, "{review}");
        assert_eq!(parties[0]["party"], "requester");
        assert_eq!(parties[0]["identity"]["family_name"], "Żółć");
        assert!(parties[0].get("name_check").is_none());
        assert_eq!(parties[1]["party"], "second_holder");
        assert_eq!(parties[1]["assurance"], "high");
        assert_eq!(parties[1]["identity"]["given_name"], given);
        assert_eq!(parties[1]["identity"]["birthdate"], "1980-03-02");
        assert_eq!(parties[1]["name_check"], check);
        assert_eq!(review["status"], "awaiting_review");
        // Parents do not see each other's identity claims.
        let own = t
            .ok(t
                .get(&format!("/v1/travel-authorisations/{id}"), &anna)
                .await)
            .await;
        assert!(own.get("parties").is_none(), "{own}");
    }
    // Approved, the PDF prints every name in its own letters (an embedded Unicode font:
    // the standard fonts printed `?`), and once revoked it says so at the top.
    let id = &requests[0];
    let unit_path = format!("/v1/units/{ZONE}/travel-authorisations/{id}");
    t.ok(t
        .post(&format!("{unit_path}/approve"), &officer, &json!({}))
        .await)
        .await;
    let pdf_path = format!("/v1/travel-authorisations/{id}/document/pdf");
    let response = t.get(&pdf_path, &anna).await;
    assert_eq!(response.status(), 200);
    let text = pdf_text(&response.bytes().await.unwrap());
    for expected in ["Łucja Żółć-Παπαδοπούλου", "Анна Іваненко", "Autorització"]
    {
        assert!(text.contains(expected), "{expected} not in:\n{text}");
    }
    assert!(!text.contains('?'), "{text}");
    assert!(!text.contains("REVOKED"), "{text}");
    let reason = json!({"reason": "The trip was cancelled."});
    t.ok(t
        .post(&format!("{unit_path}/revoke"), &officer, &reason)
        .await)
        .await;
    let response = t.get(&pdf_path, &jordi).await;
    let text = pdf_text(&response.bytes().await.unwrap());
    let today = local_date(0).to_string();
    for expected in [
        format!("REVOKED on {today}"),
        format!("REVOCADA el {today}"),
        "Łucja Żółć-Παπαδοπούλου".to_owned(),
    ] {
        assert!(text.contains(&expected), "{expected} not in:\n{text}");
    }
}

#[tokio::test]
async fn a_sole_holder_request_is_revoked_by_a_parent_before_departure() {
    let app = spawn_app_with(|s| s.credentials.verify_per_minute = 0).await;
    let t = Target::of(&app);
    let anna = t.citizen("anna", "high").await;
    let officer = t.officer().await;
    let created = t
        .ok(t
            .post(
                "/v1/travel-authorisations",
                &anna,
                &request_body(local_date(5), false),
            )
            .await)
        .await;
    assert_eq!(created["status"], "awaiting_review");
    assert_eq!(created["sole_holder"], true);
    let id = created["id"].as_str().unwrap();
    let path = format!("/v1/travel-authorisations/{id}");
    let unit_path = format!("/v1/units/{ZONE}/travel-authorisations/{id}");
    // Another unit's officer sees nothing of it.
    let other = t
        .token(json!({"kind": "officer", "subject": "o-other", "units": ["zp-namur"]}))
        .await;
    let response = t
        .post(&format!("{unit_path}/approve"), &other, &json!({}))
        .await;
    assert_problem(response, 403, "forbidden").await;
    attach_court_decision(&app, &anna, id).await;
    t.ok(t
        .post(&format!("{unit_path}/approve"), &officer, &json!({}))
        .await)
        .await;
    let document = t.ok(t.get(&format!("{path}/document"), &anna).await).await;
    assert_eq!(document["status"], "not_yet_valid");
    let credential = document["credential"].as_str().unwrap();
    assert_eq!(t.check(credential).await["status"], "not_yet_valid");
    let revoked = t
        .ok(t
            .post(
                &format!("{path}/revoke"),
                &anna,
                &json!({"reason": "Plans changed."}),
            )
            .await)
        .await;
    assert_eq!(revoked["document"]["revoked_by"], "parent");
    assert_eq!(t.check(credential).await["status"], "revoked");
    let again = t
        .post(
            &format!("{path}/revoke"),
            &anna,
            &json!({"reason": "Again."}),
        )
        .await;
    assert_problem(again, 409, "travel_invalid_state").await;
}

#[tokio::test]
async fn a_refusal_ends_the_request_and_tells_the_requester() {
    let sink = SmtpSink::start("accept");
    let app = mail_app(&sink).await;
    let t = Target::of(&app);
    let anna = t.citizen("anna", "high").await;
    let jordi = t.citizen("jordi", "high").await;
    let created = t
        .ok(t
            .post(
                "/v1/travel-authorisations",
                &anna,
                &request_body(local_date(3), true),
            )
            .await)
        .await;
    let id = created["id"].as_str().unwrap();
    let token = invitation_token(&sink, 1, "jordi@example.org").await;
    t.ok(t
        .post("/v1/travel-invitations", &jordi, &json!({"token": token}))
        .await)
        .await;
    let refused = t
        .ok(t
            .post(
                &format!("/v1/travel-authorisations/{id}/refuse"),
                &jordi,
                &json!({}),
            )
            .await)
        .await;
    assert_eq!(refused["status"], "refused");
    let messages = sink.wait_for(2, Wait::from_secs(20)).await;
    assert_eq!(messages[1]["rcpt_tos"], json!(["anna@example.org"]));
    let subject = messages[1]["headers"]["subject"].as_str().unwrap();
    assert!(subject.contains("refused"), "{subject}");
    for m in &messages {
        let text = m.to_string();
        for absent in ["Laia", "12345678Z"] {
            assert!(!text.contains(absent), "{absent} in an e-mail");
        }
    }
    // The refused request takes no consent and no approval.
    let officer = t.officer().await;
    let response = t
        .post(
            &format!("/v1/units/{ZONE}/travel-authorisations/{id}/approve"),
            &officer,
            &json!({}),
        )
        .await;
    assert_problem(response, 409, "travel_invalid_state").await;
}

#[tokio::test]
async fn an_expired_invitation_and_level_substantial_are_refused() {
    let sink = SmtpSink::start("accept");
    let app = mail_app(&sink).await;
    let t = Target::of(&app);
    let substantial = t.citizen("anna", "substantial").await;
    let response = t
        .post(
            "/v1/travel-authorisations",
            &substantial,
            &request_body(local_date(3), true),
        )
        .await;
    let problem = assert_problem(response, 403, "insufficient_assurance").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("high"),
        "{problem}"
    );

    let anna = t.citizen("anna", "high").await;
    t.ok(t
        .post(
            "/v1/travel-authorisations",
            &anna,
            &request_body(local_date(3), true),
        )
        .await)
        .await;
    let token = invitation_token(&sink, 1, "jordi@example.org").await;
    {
        use diesel::RunQueryDsl;
        let pool = app.db.pool();
        let mut conn = pool.get().unwrap();
        diesel::sql_query("UPDATE travel_invitations SET expires_at = '2000-01-01 00:00:00'")
            .execute(&mut **conn)
            .unwrap();
    }
    let jordi = t.citizen("jordi", "high").await;
    let response = t
        .post("/v1/travel-invitations", &jordi, &json!({"token": token}))
        .await;
    assert_problem(response, 410, "invitation_invalid").await;
    let response = t
        .post(
            "/v1/travel-invitations",
            &jordi,
            &json!({"token": "made-up"}),
        )
        .await;
    assert_problem(response, 410, "invitation_invalid").await;
}

#[tokio::test]
async fn each_invalid_field_is_a_422_problem() {
    let app = spawn_app_with(|_| {}).await;
    let t = Target::of(&app);
    let anna = t.citizen("anna", "high").await;
    let mut body = request_body(local_date(3), true);
    // 18 on the return date, a return before the departure, a lowercase country, an
    // unknown municipality, no plausible addresses.
    body["minor"]["birth_date"] = json!("2000-01-01");
    body["trip"]["return_date"] = json!(local_date(1));
    body["trip"]["destinations"] = json!(["fr"]);
    body["municipality"] = json!("nowhere");
    body["other_holder"]["email"] = json!("nobody");
    body["contact_email"] = json!("");
    let response = t.post("/v1/travel-authorisations", &anna, &body).await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    let mut pointers: Vec<(String, String)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["pointer"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    pointers.sort();
    let expected: Vec<(String, String)> = [
        ("/contact_email", "invalid_email"),
        ("/minor/birth_date", "age_over_limit"),
        ("/municipality", "unknown_municipality"),
        ("/other_holder/email", "invalid_email"),
        ("/trip/destinations/0", "unknown_country"),
        ("/trip/return_date", "too_early"),
    ]
    .iter()
    .map(|(p, c)| ((*p).to_owned(), (*c).to_owned()))
    .collect();
    assert_eq!(pointers, expected, "{problem}");
    // A trip longer than the maximum, an unknown ground.
    let mut body = request_body(local_date(3), false);
    body["trip"]["return_date"] = json!(local_date(3 + 90));
    let response = t.post("/v1/travel-authorisations", &anna, &body).await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["pointer"], "/trip/return_date");
    assert_eq!(problem["errors"][0]["code"], "too_late");
    body = request_body(local_date(3), false);
    body["other_holder"]["ground"] = json!("rumour");
    let response = t.post("/v1/travel-authorisations", &anna, &body).await;
    assert_problem(response, 422, "validation_failed").await;
    // Destinations that are no assigned ISO 3166-1 code, or repeated, and a name with a
    // line break or a right-to-left override: refused, never signed into a credential
    // (reported from outside).
    body = request_body(local_date(3), true);
    body["trip"]["destinations"] = json!(["AB", "FR", "FR"]);
    body["minor"]["first_name"] = json!("Laia\nFAKE LINE");
    body["companion"]["name"] = json!("Marta\u{202E}atraM");
    let response = t.post("/v1/travel-authorisations", &anna, &body).await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    let mut pointers: Vec<String> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["pointer"].as_str().unwrap(),
                e["code"].as_str().unwrap()
            )
        })
        .collect();
    pointers.sort();
    assert_eq!(
        pointers,
        [
            "/companion/name invalid_character",
            "/minor/first_name invalid_character",
            "/trip/destinations/0 unknown_country",
            "/trip/destinations/2 duplicate_item",
        ],
        "{problem}"
    );
    // A municipality served by several units by part (Barcelona, by district): its
    // parts to choose from, each with its unit; one of them is routed (reported from
    // outside: the whole city was a bare `no_competent_unit`).
    body = request_body(local_date(3), true);
    body["municipality"] = json!("ES-CT-08019");
    let response = t.post("/v1/travel-authorisations", &anna, &body).await;
    let problem = assert_problem(response, 422, "place_ambiguous").await;
    let candidates = problem["candidates"].as_array().unwrap();
    assert_eq!(candidates.len(), 10, "{problem}");
    for (candidate, error) in candidates.iter().zip(problem["errors"].as_array().unwrap()) {
        let part = candidate["municipality"]["id"].as_str().unwrap();
        assert!(part.starts_with("ES-CT-08019-"), "{candidate}");
        assert!(candidate["unit"]["id"].as_str().is_some(), "{candidate}");
        assert_eq!(error["pointer"], "/municipality");
        assert_eq!(error["allowed"], json!([part]));
    }
    // A part or a municipality the directory does not hold is unknown, not unrouted.
    for unknown in ["ES-CT-08019-99", "BE-25121-1"] {
        body["municipality"] = json!(unknown);
        let response = t.post("/v1/travel-authorisations", &anna, &body).await;
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert_eq!(
            problem["errors"][0]["pointer"], "/municipality",
            "{problem}"
        );
        assert_eq!(
            problem["errors"][0]["code"], "unknown_municipality",
            "{problem}"
        );
    }
    let part = candidates[0]["municipality"]["id"].clone();
    body["municipality"] = part;
    let created = t
        .ok(t.post("/v1/travel-authorisations", &anna, &body).await)
        .await;
    assert_eq!(created["unit_id"], candidates[0]["unit"]["id"]);
    let response = t
        .post(
            "/v1/units/zp-ottignies-louvain-la-neuve/travel-authorisations/x/reject",
            &t.officer().await,
            &json!({"reason": ""}),
        )
        .await;
    assert_problem(response, 422, "validation_failed").await;
    // An invitation token over its length is `too_long`, not `empty`.
    let response = t
        .post(
            "/v1/travel-invitations",
            &anna,
            &json!({"token": "a".repeat(300)}),
        )
        .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "too_long", "{problem}");
}

/// The real binary, its log captured (JSON lines), delivering to `smtp`.
struct Instance {
    child: std::process::Child,
    base: String,
    log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Instance {
    fn start(db: &tests::TestDb, dir: &std::path::Path, smtp: &str) -> Instance {
        use std::io::BufRead;
        let mut child = std::process::Command::new(BIN)
            .args(["--bind", "127.0.0.1:0"])
            .env("DATABASE_URL", db.url())
            .env("ECOM__DATABASE__DATA_DIR", dir)
            .env("ECOM__LOG__FORMAT", "json")
            .env("ECOM__NOTIFICATIONS__SMTP_URL", smtp)
            .env("ECOM__NOTIFICATIONS__POLL_INTERVAL_MS", "100")
            .env("ECOM__CREDENTIALS__VERIFY_PER_MINUTE", "0")
            .env_remove("RUST_LOG")
            .env_remove("ECOM__ENVIRONMENT")
            .env_remove("ECOM_CONFIG")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        for stream in [
            Box::new(child.stderr.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stdout.take().unwrap()),
        ] {
            let (log, tx) = (log.clone(), tx.clone());
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    log.lock().unwrap().push_str(&line);
                    log.lock().unwrap().push('\n');
                    let event: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
                    if let Some(rest) = event["message"]
                        .as_str()
                        .and_then(|m| m.strip_prefix("listening on "))
                    {
                        let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_owned());
                    }
                }
            });
        }
        // A debug build on a loaded machine imports the directory's reference first.
        let address = match rx.recv_timeout(std::time::Duration::from_secs(180)) {
            Ok(address) => address,
            Err(e) => panic!("the instance did not start ({e}): {}", log.lock().unwrap()),
        };
        let base = if address.starts_with("http") {
            address
        } else {
            format!("http://{address}")
        };
        Instance { child, base, log }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn the_log_holds_none_of_the_minors_data() {
    let sink = SmtpSink::start("accept");
    let db = tests::TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let instance = Instance::start(&db, dir.path(), &sink.url());
    let target = Target {
        base: instance.base.clone(),
        client: reqwest::Client::new(),
    };
    two_parents_and_an_officer(&target, &sink, 0).await;
    tokio::time::sleep(Wait::from_millis(300)).await;
    let log = instance.log.lock().unwrap().clone();
    assert!(
        log.contains("travel authorisation requested"),
        "the log was captured"
    );
    assert!(log.contains("credential checked"), "the checks were logged");
    for personal in PERSONAL {
        assert!(!log.contains(personal), "the log holds {personal:?}");
    }
}

// ---------------------------------------------------------------------------------------
// A sole holder's supporting documents (the evidence store and its rules), the unit's
// paginated review list, and the retention of travel requests.

use crate::evidence::{
    audit_events, elf, exif_tags, get_bytes, jpeg_with_gps, part, pdf, s3_server, sha256, upload,
    use_s3,
};

fn form(files: Vec<(Vec<u8>, &str, &str)>) -> reqwest::multipart::Form {
    files.into_iter().fold(
        reqwest::multipart::Form::new(),
        |form, (bytes, name, kind)| form.part("file", part(bytes, name, kind)),
    )
}

/// The requester `token` attaches a court decision (a PDF) to sole holder's request `id`.
async fn attach_court_decision(app: &TestApp, token: &str, id: &str) {
    let path = format!("/v1/travel-authorisations/{id}/supporting-documents");
    let response = upload(
        app,
        Some(token),
        &path,
        form(vec![(pdf(), "decision.pdf", "application/pdf")]),
    )
    .await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
}

/// A sole holder's request by `token`, departing in `days` days: its id.
async fn sole_holder_request(t: &Target, token: &str, days: i64) -> String {
    let created = t
        .ok(t
            .post(
                "/v1/travel-authorisations",
                token,
                &request_body(local_date(days), false),
            )
            .await)
        .await;
    assert_eq!(created["sole_holder"], true);
    created["id"].as_str().unwrap().to_owned()
}

/// The whole life of supporting documents on one store.
async fn supporting_documents_on(app: &TestApp) {
    let t = Target::of(app);
    let anna = t.citizen("anna", "high").await;
    let eve = t.citizen("eve", "high").await;
    let officer = t.officer().await;
    let other_unit = t
        .token(json!({"kind": "officer", "subject": "o-other", "units": ["zp-namur"]}))
        .await;
    let id = sole_holder_request(&t, &anna, 5).await;
    let own = format!("/v1/travel-authorisations/{id}/supporting-documents");
    let unit_path = format!("/v1/units/{ZONE}/travel-authorisations/{id}");
    let unit_docs = format!("{unit_path}/supporting-documents");

    // Without its supporting document, a sole holder's declaration is not approved.
    let response = t
        .post(&format!("{unit_path}/approve"), &officer, &json!({}))
        .await;
    assert_problem(response, 409, "supporting_document_required").await;

    // Another citizen can neither send nor list: 404, as if it did not exist.
    let pdf_form = || form(vec![(pdf(), "decision.pdf", "application/pdf")]);
    let response = upload(app, Some(&eve), &own, pdf_form()).await;
    assert_problem(response, 404, "travel_request_not_found").await;
    assert_problem(t.get(&own, &eve).await, 404, "travel_request_not_found").await;
    // Level substantial is not enough for the requester either.
    let weak = t.citizen("anna", "substantial").await;
    let response = upload(app, Some(&weak), &own, pdf_form()).await;
    assert_problem(response, 403, "insufficient_assurance").await;

    // The evidence store's rules: the type from the content, and only PDF, JPEG or PNG
    // (plain text, which evidence takes, is refused here); nothing is kept of a refusal.
    let response = upload(
        app,
        Some(&anna),
        &own,
        form(vec![(elf(), "decision.pdf", "application/pdf")]),
    )
    .await;
    assert_problem(response, 422, "attachment_refused").await;
    let response = upload(
        app,
        Some(&anna),
        &own,
        form(vec![
            (pdf(), "decision.pdf", "application/pdf"),
            (b"The court decided.".to_vec(), "decision.txt", "text/plain"),
        ]),
    )
    .await;
    let problem = assert_problem(response, 422, "attachment_refused").await;
    assert!(problem.to_string().contains("decision.txt"), "{problem}");
    // The reason lists what this intake takes, not what evidence in general takes
    // (reported from outside: it listed WebP, HEIC and plain text).
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("PDF, JPEG or PNG"), "{detail}");
    for other in ["WebP", "HEIC", "plain text"] {
        assert!(!detail.contains(other), "{other} in {detail}");
    }
    assert_eq!(t.ok(t.get(&own, &anna).await).await["items"], json!([]));

    // The decision (PDF) and a photo of it with its GPS position.
    let photo = jpeg_with_gps();
    assert!(exif_tags(&photo).iter().any(|t| t.starts_with("GPS")));
    let response = upload(
        app,
        Some(&anna),
        &own,
        form(vec![
            (pdf(), "decision.pdf", "application/pdf"),
            (photo.clone(), "decision.jpg", "image/jpeg"),
        ]),
    )
    .await;
    assert_eq!(response.status(), 201);
    let sent: Value = response.json().await.unwrap();
    let items = sent["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|i| i["origin"] == "supporting_document"));
    assert_eq!(items[1]["sha256"], sha256(&photo));
    assert_eq!(items[1]["metadata_removed"], true);
    let photo_id = items[1]["id"].as_str().unwrap().to_owned();
    assert_eq!(t.ok(t.get(&own, &anna).await).await["items"], sent["items"]);

    // The unit reviews them; nobody else.
    assert_problem(t.get(&unit_docs, &other_unit).await, 403, "forbidden").await;
    let other_docs = format!("/v1/units/zp-namur/travel-authorisations/{id}/supporting-documents");
    assert_problem(
        t.get(&other_docs, &other_unit).await,
        404,
        "travel_request_not_found",
    )
    .await;
    assert_eq!(t.get(&unit_docs, &anna).await.status(), 403);
    let listed = t.ok(t.get(&unit_docs, &officer).await).await;
    assert_eq!(listed["items"], sent["items"]);
    let (status, viewing) =
        get_bytes(app, &officer, &format!("{unit_docs}/{photo_id}/content")).await;
    assert_eq!(status, 200);
    assert!(exif_tags(&viewing).is_empty(), "{:?}", exif_tags(&viewing));
    let (status, original) =
        get_bytes(app, &officer, &format!("{unit_docs}/{photo_id}/original")).await;
    assert_eq!((status, sha256(&original)), (200, sha256(&photo)));
    let (status, _) = get_bytes(app, &officer, &format!("{unit_docs}/nope/original")).await;
    assert_eq!(status, 404);
    let (status, _) = get_bytes(app, &eve, &format!("{unit_docs}/{photo_id}/original")).await;
    assert_eq!(status, 403);

    // Every collection and every access is in the audit trail, naming the request.
    let events = audit_events(app);
    let of = |action: &str| -> Vec<&domain::audit::AuditEvent> {
        events.iter().filter(|e| e.action == action).collect()
    };
    let collected = of("collect_supporting_document");
    assert_eq!(collected.len(), 2);
    let expected = format!("sha256={}; travel_request={id}", sha256(&photo));
    assert!(collected
        .iter()
        .any(|e| e.justification.as_deref() == Some(expected.as_str())));
    assert_eq!(of("list_supporting_documents").len(), 1);
    for action in ["download_viewing_copy", "download_original"] {
        let found = of(action);
        assert_eq!(found.len(), 1, "{action}");
        assert_eq!(found[0].object_id.as_deref(), Some(photo_id.as_str()));
        assert_eq!(
            found[0].justification.as_deref(),
            Some(format!("travel_request={id}").as_str())
        );
    }

    // Approved on its documents; then the request takes no more.
    let approved = t
        .ok(t
            .post(&format!("{unit_path}/approve"), &officer, &json!({}))
            .await)
        .await;
    assert_eq!(approved["status"], "approved");
    let response = upload(app, Some(&anna), &own, pdf_form()).await;
    assert_problem(response, 409, "supporting_documents_not_accepted").await;
    // A request both holders consent to takes none.
    let invited = t
        .ok(t
            .post(
                "/v1/travel-authorisations",
                &anna,
                &request_body(local_date(5), true),
            )
            .await)
        .await;
    let path = format!(
        "/v1/travel-authorisations/{}/supporting-documents",
        invited["id"].as_str().unwrap()
    );
    let response = upload(app, Some(&anna), &path, pdf_form()).await;
    assert_problem(response, 409, "supporting_documents_not_accepted").await;
}

#[tokio::test]
async fn a_sole_holders_supporting_documents_are_required_reviewed_and_audited() {
    let app = spawn_app_with(|s| s.credentials.verify_per_minute = 0).await;
    supporting_documents_on(&app).await;
}

#[tokio::test]
async fn a_sole_holders_supporting_documents_on_an_s3_compatible_store() {
    let s3 = s3_server().await;
    let endpoint = s3.endpoint.clone();
    let app = spawn_app_with(move |s| {
        use_s3(s, &endpoint);
        s.credentials.verify_per_minute = 0;
    })
    .await;
    supporting_documents_on(&app).await;
    // The bucket holds the files, encrypted: never the photo's bytes.
    let listing = reqwest::get(format!("{}/evidence?list-type=2", s3.endpoint))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(listing.contains("attachments/"), "{listing}");
}

#[tokio::test]
async fn the_units_review_list_is_paginated_with_a_cursor() {
    let app = spawn_app_with(|s| s.credentials.verify_per_minute = 0).await;
    let t = Target::of(&app);
    let officer = t.officer().await;
    let mut made = Vec::new();
    for who in ["p1", "p2", "p3"] {
        let token = t.citizen(who, "high").await;
        made.push(sole_holder_request(&t, &token, 5).await);
    }
    let list = format!("/v1/units/{ZONE}/travel-authorisations");
    let first = t
        .ok(t.get(&format!("{list}?limit=2"), &officer).await)
        .await;
    let ids = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&first), made[..2]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = t
        .ok(t
            .get(&format!("{list}?limit=2&cursor={cursor}"), &officer)
            .await)
        .await;
    assert_eq!(ids(&second), made[2..]);
    assert!(second.get("next_cursor").is_none(), "{second}");
    let all = t.ok(t.get(&list, &officer).await).await;
    assert_eq!(ids(&all), made);
    for query in ["limit=0", "limit=201", "cursor=nonsense"] {
        let response = t.get(&format!("{list}?{query}"), &officer).await;
        assert_problem(response, 422, "validation_failed").await;
    }
}

/// `ecommissariat retention run` on the app's database, the clock moved by `days`.
fn retention_run(app: &TestApp, days: i64) -> String {
    let output = std::process::Command::new(BIN)
        .args(["retention", "run"])
        .env("DATABASE_URL", app.db.url())
        .env("ECOM__RETENTION__CLOCK_OFFSET_DAYS", days.to_string())
        .env_remove("ECOM_CONFIG")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[derive(diesel::QueryableByName, Debug, PartialEq)]
struct Left {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// How many rows of `table` hang on request `id` (through `column`).
fn rows_of(app: &TestApp, table: &str, column: &str, id: &str) -> i64 {
    use diesel::RunQueryDsl;
    let pool = app.db.pool();
    let mut conn = pool.get().unwrap();
    let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE {column} = '{id}'");
    let rows: Vec<Left> = diesel::sql_query(sql).load(&mut **conn).unwrap();
    rows[0].n
}

#[tokio::test]
async fn travel_requests_are_erased_after_their_periods_and_the_register_still_answers() {
    let app = spawn_app_with(|s| s.credentials.verify_per_minute = 0).await;
    let t = Target::of(&app);
    let anna = t.citizen("anna", "high").await;
    let officer = t.officer().await;
    let unit = |id: &str| format!("/v1/units/{ZONE}/travel-authorisations/{id}");
    // The trip: from tomorrow, ten days (it ends 12 days from now at the latest).
    let invited = t
        .ok(t
            .post(
                "/v1/travel-authorisations",
                &anna,
                &request_body(local_date(1), true),
            )
            .await)
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let unreviewed = sole_holder_request(&t, &anna, 1).await;
    attach_court_decision(&app, &anna, &unreviewed).await;
    let rejected = sole_holder_request(&t, &anna, 1).await;
    t.ok(t
        .post(
            &format!("{}/reject", unit(&rejected)),
            &officer,
            &json!({"reason": "Ground not shown."}),
        )
        .await)
        .await;
    let mut documents = Vec::new();
    let (issued, revoked) = (
        sole_holder_request(&t, &anna, 1).await,
        sole_holder_request(&t, &anna, 1).await,
    );
    for id in [&issued, &revoked] {
        attach_court_decision(&app, &anna, id).await;
        t.ok(t
            .post(&format!("{}/approve", unit(id)), &officer, &json!({}))
            .await)
            .await;
        let path = format!("/v1/travel-authorisations/{id}/document");
        documents.push(
            t.ok(t.get(&path, &anna).await).await["credential"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    t.ok(t
        .post(
            &format!("{}/revoke", unit(&revoked)),
            &officer,
            &json!({"reason": "Court order."}),
        )
        .await)
        .await;
    // What the credential holds (its payload: the minor's name and birth date) is sealed
    // in the register until the erasure: never readable in the database.
    let payload = |credential: &str| credential.split('.').nth(1).unwrap().to_owned();
    let database = crate::retention::whole_database(&app);
    for credential in &documents {
        assert!(!database.contains(&payload(credential)));
    }
    assert_eq!(rows_of(&app, "travel_documents", "credential", ""), 0);
    for text in ["Ground not shown.", "Court order."] {
        assert!(database.contains(text), "{text}");
    }

    // Day 31: the unanswered invitation goes; the others' periods run.
    let out = retention_run(&app, 31);
    assert!(
        out.contains(&format!("erased travel_request {invited} unfinished 30d")),
        "{out}"
    );
    assert!(
        out.contains("1 travel request(s) erased, 0 skipped; kept: period_running 4"),
        "{out}"
    );
    assert_eq!(
        rows_of(&app, "travel_invitations", "request_id", &invited),
        0
    );
    // The parties' sealed identities go with the request.
    assert_eq!(
        rows_of(&app, "travel_identities", "request_id", &invited),
        0
    );
    assert_eq!(rows_of(&app, "travel_identities", "request_id", &issued), 1);
    assert_eq!(rows_of(&app, "outbox_messages", "filing_id", &invited), 0);
    assert_problem(
        t.get(&format!("/v1/travel-authorisations/{invited}"), &anna)
            .await,
        404,
        "travel_request_not_found",
    )
    .await;
    // Day 110: the request nobody reviewed (30 days after the trip) and the issued
    // document (90 days after its expiry) go, with their supporting documents.
    let out = retention_run(&app, 110);
    assert!(
        out.contains(&format!(
            "erased travel_request {unreviewed} unreviewed 30d"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("erased travel_request {issued} issued 90d")),
        "{out}"
    );
    assert!(
        out.contains("2 travel request(s) erased, 0 skipped; kept: period_running 2"),
        "{out}"
    );
    for id in [&unreviewed, &issued] {
        assert_eq!(rows_of(&app, "attachments", "filing_id", id), 0);
        assert_eq!(rows_of(&app, "travel_identities", "request_id", id), 0);
    }
    assert_eq!(rows_of(&app, "attachments", "filing_id", &revoked), 1);
    // Day 400: the rejection and the revocation (a year) go.
    let out = retention_run(&app, 400);
    assert!(
        out.contains(&format!("erased travel_request {rejected} rejected 365d")),
        "{out}"
    );
    assert!(
        out.contains(&format!("erased travel_request {revoked} revoked 365d")),
        "{out}"
    );
    // A rerun erases nothing.
    let out = retention_run(&app, 400);
    assert!(
        out.contains("0 travel request(s) erased, 0 skipped; kept: none"),
        "{out}"
    );

    // Nothing of the requests is left: not the sealed credentials, not the reasons.
    let database = crate::retention::whole_database(&app);
    for credential in &documents {
        assert!(!database.contains(&payload(credential)));
    }
    assert_eq!(rows_of(&app, "travel_documents", "credential", ""), 2);
    for text in ["Ground not shown.", "Court order."] {
        assert!(!database.contains(text), "{text}");
    }
    // The rows stay as tombstones: no party, no sealed request.
    assert_eq!(
        rows_of(&app, "travel_requests", "requester_id", "erased"),
        5
    );
    assert_eq!(rows_of(&app, "travel_requests", "sealed_request", ""), 5);
    for id in [&invited, &unreviewed, &rejected, &issued, &revoked] {
        assert_problem(
            t.get(&format!("/v1/travel-authorisations/{id}"), &anna)
                .await,
            404,
            "travel_request_not_found",
        )
        .await;
        assert_eq!(t.get(&unit(id), &officer).await.status(), 404);
    }
    // The register entry outlives the request: the revoked document still reads
    // `revoked`, the other is still genuine (on today's clock, before its trip).
    assert_eq!(t.check(&documents[1]).await["status"], "revoked");
    assert_eq!(t.check(&documents[0]).await["status"], "not_yet_valid");
    // One erasure event per request, naming the period, never the content.
    let erasures: Vec<_> = audit_events(&app)
        .into_iter()
        .filter(|e| e.action == "retention_erase" && e.object_type == "travel_request")
        .collect();
    assert_eq!(erasures.len(), 5);
    assert!(erasures
        .iter()
        .any(|e| e.object_id.as_deref() == Some(revoked.as_str())
            && e.justification.as_deref()
                == Some(
                    "retention period elapsed: revoked travel authorisation requests, 365 days"
                )));
}

/// A parent's retried request with the same `Idempotency-Key` is one request and one
/// invitation, answered as the first time; the stored answer (the minor's name, the
/// trip) is sealed at rest, not kept in clear for the replay (reported from outside: the
/// key was ignored and each retry invited the other parent again).
#[tokio::test]
async fn a_retried_request_with_its_idempotency_key_is_one_request_sealed_at_rest() {
    let app = spawn_app_with(|_| {}).await;
    let target = Target::of(&app);
    let parent = target.citizen("retry-parent", "high").await;
    let body = request_body(local_date(30), true);
    let post = |body: Value| {
        app.client
            .post(app.url("/v1/travel-authorisations"))
            .bearer_auth(&parent)
            .header("Idempotency-Key", "travel-retry-1")
            .json(&body)
            .send()
    };
    let first = post(body.clone()).await.unwrap();
    assert_eq!(first.status(), 201);
    let location = first.headers()["location"].clone();
    let first: Value = first.json().await.unwrap();
    let again = post(body.clone()).await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["location"], location);
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    use diesel::prelude::*;
    use persistence::schema::{idempotency_keys as k, outbox_messages as o, travel_requests as t};
    let mut conn = app.conn();
    let requests: i64 = t::table.count().get_result(&mut conn).unwrap();
    assert_eq!(requests, 1);
    let invitations: i64 = o::table
        .filter(o::template.eq("travel_invitation"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(invitations, 1);
    let stored: Vec<Option<String>> = k::table.select(k::response_body).load(&mut conn).unwrap();
    assert_eq!(stored.len(), 1);
    let stored = stored[0].clone().unwrap();
    assert!(
        !stored.contains("Laia") && !stored.contains("Puig"),
        "{stored}"
    );
}

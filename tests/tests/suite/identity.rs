//! The complainant's identity (issue 13, item 6): the identity claims of the citizen's
//! sign-in are kept on the filing, sealed at rest, shown only to officers of the competent
//! unit (view and export), each read audited, and never to the citizen, in a queue, in a
//! queued message or in the database in clear.

use diesel::prelude::*;
use serde_json::{json, Value};
use tests::{assert_problem, spawn_app, spawn_app_with, TestApp};

const ZONE: &str = "zp-ottignies-louvain-la-neuve";
const K1: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const K2: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

/// What the identity provider says about Alice: every value below must stay out of the
/// database in clear and out of every citizen-facing answer.
fn alice() -> Value {
    json!({
        "kind": "citizen", "subject": "alice-identity", "assurance": "substantial",
        "name": "Alice Vandersmissen", "given_name": "Alice", "family_name": "Vandersmissen",
        "birthdate": "1985-07-30", "national_number": "85.07.30-033.28",
        "address": {"street_address": "Rue des Wallons 77", "postal_code": "1348",
                    "locality": "Louvain-la-Neuve", "country": "BE"},
        "email": "alice@example.org"
    })
}

const SECRETS: [&str; 5] = [
    "Vandersmissen",
    "85073003328",
    "85.07.30-033.28",
    "1985-07-30",
    "Rue des Wallons",
];

async fn token(app: &TestApp, body: Value) -> String {
    app.dev_token(body).await
}

async fn officer(app: &TestApp, subject: &str, unit: &str) -> String {
    token(
        app,
        json!({"kind": "officer", "subject": subject, "units": [unit], "name": "Insp. Peeters"}),
    )
    .await
}

/// Creates and submits a bicycle theft in Ottignies-Louvain-la-Neuve.
async fn submitted(app: &TestApp, citizen: &str) -> String {
    let body = json!({
        "procedure": "bicycle_theft", "country": "BE", "place": {"municipality": "BE-25121"},
        "facts_date": {"from": (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339()},
        "answers": {"ongoing_danger": false, "injury": false, "known_author": false, "violence": false, "exploitable_traces": false},
        "facts": {"bicycle_locked": true, "circumstances": "Gone.", "items": [{"category": "bicycle"}]},
        "contact": {"email": "alice@example.org"}, "confirmation_channel": "email"
    });
    let response = app
        .client
        .post(app.url("/v1/filings"))
        .bearer_auth(citizen)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = app
        .client
        .post(app.url(&format!("/v1/filings/{id}/submit")))
        .bearer_auth(citizen)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    id
}

async fn get(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} holds {secret}: {text}");
    }
}

/// The audit events about the identity of `filing`, as (operation, unit).
fn identity_reads(app: &TestApp, filing: &str) -> Vec<(String, Option<String>)> {
    let mut conn = app.conn();
    let filter = persistence::audit::AuditFilter {
        object_type: Some("complainant_identity".into()),
        object_id: Some(filing.into()),
        ..Default::default()
    };
    persistence::audit::list(&mut conn, &filter, 100)
        .unwrap()
        .into_iter()
        .map(|e| (e.event.operation.to_string(), e.event.actor.unit))
        .collect()
}

#[tokio::test]
async fn the_competent_unit_reads_who_the_complainant_is_and_each_read_is_audited() {
    let app = spawn_app().await;
    let citizen = token(&app, alice()).await;
    let id = submitted(&app, &citizen).await;
    let officer = officer(&app, "o-identity", ZONE).await;

    let response = get(&app, &officer, &format!("/v1/units/{ZONE}/filings/{id}")).await;
    assert_eq!(response.status(), 200);
    let view: Value = response.json().await.unwrap();
    let complainant = &view["complainant"];
    assert_eq!(complainant["name"], "Alice Vandersmissen", "{view}");
    assert_eq!(complainant["given_name"], "Alice");
    assert_eq!(complainant["family_name"], "Vandersmissen");
    assert_eq!(complainant["birthdate"], "1985-07-30");
    assert_eq!(complainant["national_number"], "85.07.30-033.28");
    assert_eq!(complainant["address"]["locality"], "Louvain-la-Neuve");
    assert_eq!(complainant["address"]["postal_code"], "1348");
    assert!(complainant["captured_at"].is_string());
    assert_eq!(view["declarant"], "person");
    assert_eq!(
        identity_reads(&app, &id),
        vec![("consultation".to_owned(), Some(ZONE.to_owned()))]
    );

    // The export carries it too, field by field, and is audited as a disclosure of it.
    let export: Value = get(
        &app,
        &officer,
        &format!("/v1/units/{ZONE}/filings/{id}/export?format=json&justification=PV"),
    )
    .await
    .json()
    .await
    .unwrap();
    let field = |key: &str| {
        export["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == key)
            .map(|f| f["value"].clone())
    };
    assert_eq!(
        field("complainant.national_number"),
        Some(json!("85.07.30-033.28"))
    );
    assert_eq!(
        field("complainant.family_name"),
        Some(json!("Vandersmissen"))
    );
    assert_eq!(
        field("complainant.address.street_address"),
        Some(json!("Rue des Wallons 77"))
    );
    let text = get(
        &app,
        &officer,
        &format!("/v1/units/{ZONE}/filings/{id}/export?format=text&justification=PV"),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        text.contains("Complainant – national number: 85.07.30-033.28"),
        "{text}"
    );
    let reads = identity_reads(&app, &id);
    assert_eq!(reads.len(), 3, "{reads:?}");
    assert_eq!(reads[1].0, "disclosure");

    // The queue and the notes do not show it (and are not reads of it).
    let queue = get(&app, &officer, &format!("/v1/units/{ZONE}/filings")).await;
    assert_no_secret("the queue", &queue.text().await.unwrap());
    let notes = get(
        &app,
        &officer,
        &format!("/v1/units/{ZONE}/filings/{id}/notes"),
    )
    .await;
    assert_no_secret("the notes", &notes.text().await.unwrap());
    assert_eq!(identity_reads(&app, &id).len(), 3);
}

#[tokio::test]
async fn no_one_else_sees_the_identity_and_the_database_holds_it_sealed() {
    let app = spawn_app().await;
    let citizen = token(&app, alice()).await;
    let id = submitted(&app, &citizen).await;

    // An officer of another unit: not in their unit (404), not theirs to enter (403).
    let stranger = officer(&app, "o-namur", "zp-namur").await;
    let response = get(&app, &stranger, &format!("/v1/units/zp-namur/filings/{id}")).await;
    let body = assert_problem(response, 404, "filing_not_found").await;
    assert_no_secret("another unit's 404", &body.to_string());
    let response = get(&app, &stranger, &format!("/v1/units/{ZONE}/filings/{id}")).await;
    let body = assert_problem(response, 403, "forbidden").await;
    assert_no_secret("a non-member's 403", &body.to_string());
    assert!(identity_reads(&app, &id).is_empty());

    // The citizen's own views: the recap, the list, the receipt (JSON and PDF).
    for path in [
        format!("/v1/filings/{id}"),
        "/v1/filings".to_owned(),
        format!("/v1/filings/{id}/receipt"),
    ] {
        let response = get(&app, &citizen, &path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_no_secret(&path, &response.text().await.unwrap());
    }

    // Registration queues the citizen's confirmation: no identity in its payload.
    let officer = officer(&app, "o-identity", ZONE).await;
    for action in ["take-in-charge", "register"] {
        let version = get(&app, &officer, &format!("/v1/units/{ZONE}/filings/{id}"))
            .await
            .headers()["etag"]
            .to_str()
            .unwrap()
            .to_owned();
        let response = app
            .client
            .post(app.url(&format!("/v1/units/{ZONE}/filings/{id}/{action}")))
            .bearer_auth(&officer)
            .header("if-match", version)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{action}");
    }

    // Read the database directly: the identity row is an envelope naming its key, and
    // no row anywhere holds a claim in clear.
    let mut conn = app.conn();
    let stored = persistence::identities::find(&mut conn, &id)
        .unwrap()
        .expect("an identity row");
    assert!(stored.sealed.starts_with("ecs1.dev-"), "{}", stored.sealed);
    assert_eq!(
        persistence::sealing::key_id_of(&stored.sealed).unwrap(),
        stored.key_id
    );
    assert_no_secret("the sealed identity", &stored.sealed);
    use persistence::schema::filings::dsl as f;
    let rows: Vec<(String, String, String, String)> = f::filings
        .select((f::place, f::facts, f::answers, f::contact))
        .load(&mut conn)
        .unwrap();
    assert_no_secret("the filings table", &format!("{rows:?}"));
    let audit = persistence::audit::list(&mut conn, &Default::default(), 1000).unwrap();
    assert_no_secret("the audit trail", &format!("{audit:?}"));
    let outbox = persistence::filings::outbox_for(&mut conn, &id).unwrap();
    // One message per status change the citizen is told of (issue 15), registration last.
    assert!(
        outbox.last().is_some_and(|m| m.1 == "filing_registered"),
        "{outbox:?}"
    );
    assert_no_secret("the outbox", &format!("{outbox:?}"));
    assert!(!format!("{outbox:?}").contains("Alice"));
    let history = persistence::filings::history(&mut conn, &id).unwrap();
    assert_no_secret("the history", &format!("{history:?}"));
}

#[tokio::test]
async fn a_sign_in_without_identity_claims_stores_none_and_a_business_keeps_its_own() {
    let app = spawn_app().await;
    let anonymous = token(&app, json!({"kind": "citizen", "subject": "bare"})).await;
    let bare = submitted(&app, &anonymous).await;
    let shop = token(
        &app,
        json!({"kind": "business", "subject": "shop-1", "business_id": "BE0403170701",
               "business_name": "Station Total Wavre", "name": "Marc Dupont"}),
    )
    .await;
    let officer = officer(&app, "o-identity", ZONE).await;
    let view: Value = get(&app, &officer, &format!("/v1/units/{ZONE}/filings/{bare}"))
        .await
        .json()
        .await
        .unwrap();
    assert!(view.get("complainant").is_none(), "{view}");
    assert!(identity_reads(&app, &bare).is_empty());
    let mut conn = app.conn();
    assert!(persistence::identities::find(&mut conn, &bare)
        .unwrap()
        .is_none());

    // A business declarant (bicycle theft is for persons: use a draft's creation).
    let response = app
        .client
        .post(app.url("/v1/filings"))
        .bearer_auth(&shop)
        .json(&json!({"procedure": "shoplifting", "country": "BE"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let draft = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let stored = persistence::identities::find(&mut conn, &draft)
        .unwrap()
        .expect("the business's identity");
    assert!(!stored.sealed.contains("Total"));
}

#[tokio::test]
async fn a_new_current_key_still_opens_identities_sealed_with_the_old_one() {
    let keys = |current: &str, keys: &[(&str, &str)]| {
        let current = current.to_owned();
        let keys: Vec<(String, String)> = keys
            .iter()
            .map(|(i, k)| (i.to_string(), k.to_string()))
            .collect();
        move |s: &mut api::config::Settings| {
            s.sealing.current_key = Some(current);
            s.sealing.keys = keys.into_iter().map(|(i, k)| (i, k.into())).collect();
        }
    };
    let first = spawn_app_with(keys("k1", &[("k1", K1)])).await;
    let old = submitted(&first, &token(&first, alice()).await).await;

    // Rotation: k2 seals from now on, k1 still opens.
    let rotated = first.sibling(keys("k2", &[("k1", K1), ("k2", K2)])).await;
    let officer_token = officer(&rotated, "o-identity", ZONE).await;
    let view: Value = get(
        &rotated,
        &officer_token,
        &format!("/v1/units/{ZONE}/filings/{old}"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(view["complainant"]["national_number"], "85.07.30-033.28");
    let new = submitted(&rotated, &token(&rotated, alice()).await).await;
    let mut conn = first.conn();
    let sealed = |conn: &mut persistence::DbConnection, id: &str| {
        persistence::identities::find(conn, id).unwrap().unwrap()
    };
    assert_eq!(sealed(&mut conn, &old).key_id, "k1");
    assert_eq!(sealed(&mut conn, &new).key_id, "k2");
    assert!(sealed(&mut conn, &new).sealed.starts_with("ecs1.k2."));
    assert_eq!(
        persistence::identities::count_by_key(&mut conn).unwrap(),
        vec![("k1".to_owned(), 1), ("k2".to_owned(), 1)]
    );

    // Without k1, the old identity does not open: an error, never "no identity".
    let retired = first.sibling(keys("k2", &[("k2", K2)])).await;
    let officer_token = officer(&retired, "o-identity", ZONE).await;
    let response = get(
        &retired,
        &officer_token,
        &format!("/v1/units/{ZONE}/filings/{old}"),
    )
    .await;
    let body = assert_problem(response, 500, "internal_error").await;
    assert!(!body.to_string().contains("k1"), "{body}");
    let response = get(
        &retired,
        &officer_token,
        &format!("/v1/units/{ZONE}/filings/{new}"),
    )
    .await;
    assert_eq!(response.status(), 200);
}

/// The development IdP refuses identity claims the contract does not allow (found by
/// schemathesis): an address in a country the service does not know, an empty client id.
#[tokio::test]
async fn development_tokens_refuse_claims_outside_the_contract() {
    let app = spawn_app().await;
    for (body, pointer) in [
        (
            json!({"kind": "citizen", "subject": "a", "address": {"country": "AAA"}}),
            "/address/country",
        ),
        (
            json!({"kind": "citizen", "subject": "a", "client_id": ""}),
            "/client_id",
        ),
    ] {
        let response = app
            .client
            .post(app.url("/dev/tokens"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["pointer"], pointer, "{problem}");
    }
    // A known country is accepted.
    let response = app
        .client
        .post(app.url("/dev/tokens"))
        .json(&json!({"kind": "citizen", "subject": "a", "address": {"country": "BE"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

//! The back office, first slice: unit queues with audited access, taking in charge under
//! concurrency, and the information request answered by the citizen.

use serde_json::{json, Value};
use tests::{assert_problem, spawn_app, TestApp};

const ZONE: &str = "zp-ottignies-louvain-la-neuve";

async fn token(app: &TestApp, body: Value) -> String {
    let response = app.post_json("/dev/tokens", &body).await;
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn submitted_filing(app: &TestApp, citizen: &str) -> String {
    let body = json!({
        "procedure": "bicycle_theft", "country": "BE", "place": {"municipality": "BE-25121"},
        "facts_date": {"from": (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339()},
        "answers": {"ongoing_danger": false, "injury": false, "known_author": false, "violence": false, "exploitable_traces": false},
        "facts": {"bicycle_locked": true, "circumstances": "Gone.", "items": [{"category": "bicycle"}]},
        "contact": {"email": "alice@example.org"}, "confirmation_channel": "email"
    });
    let created: Value = app
        .client
        .post(app.url("/v1/filings"))
        .bearer_auth(citizen)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
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

fn audit_count(app: &TestApp, outcome: Option<domain::audit::AuditOutcome>) -> usize {
    let pool = app.db.pool();
    let mut conn = pool.get().unwrap();
    persistence::audit::list(&mut conn, &Default::default(), 10_000)
        .unwrap()
        .into_iter()
        .filter(|e| e.event.actor.role != domain::audit::ActorRole::Citizen)
        .filter(|e| outcome.is_none_or(|o| e.event.outcome == o))
        .count()
}

#[tokio::test]
async fn a_unit_sees_its_queue_and_another_zone_is_refused_and_audited() {
    let app = spawn_app().await;
    let citizen = token(&app, json!({"kind": "citizen", "subject": "alice"})).await;
    let id = submitted_filing(&app, &citizen).await;
    let officer = token(
        &app,
        json!({"kind": "officer", "subject": "o-1", "units": [ZONE]}),
    )
    .await;
    let stranger = token(
        &app,
        json!({"kind": "officer", "subject": "o-9", "units": ["zp-namur"]}),
    )
    .await;

    let queue: Value = app
        .client
        .get(app.url(&format!("/v1/units/{ZONE}/filings")))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(queue["items"][0]["id"], id.as_str());
    assert_eq!(queue["items"][0]["status"], "submitted");
    let unassigned: Value = app
        .client
        .get(app.url(&format!(
            "/v1/units/{ZONE}/filings?assigned=none&status=submitted"
        )))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(unassigned["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        audit_count(&app, Some(domain::audit::AuditOutcome::Allowed)),
        2
    );

    for path in [
        format!("/v1/units/{ZONE}/filings"),
        format!("/v1/units/{ZONE}/filings/{id}"),
    ] {
        let response = app
            .client
            .get(app.url(&path))
            .bearer_auth(&stranger)
            .send()
            .await
            .unwrap();
        assert_problem(response, 403, "forbidden").await;
    }
    assert_eq!(
        audit_count(&app, Some(domain::audit::AuditOutcome::Denied)),
        2
    );
    // A citizen token is not an officer's.
    let response = app
        .client
        .get(app.url(&format!("/v1/units/{ZONE}/filings")))
        .bearer_auth(&citizen)
        .send()
        .await
        .unwrap();
    assert_problem(response, 403, "forbidden").await;
}

#[tokio::test]
async fn two_officers_take_the_same_filing_in_charge_and_exactly_one_wins() {
    let app = spawn_app().await;
    let citizen = token(&app, json!({"kind": "citizen", "subject": "bob"})).await;
    let id = submitted_filing(&app, &citizen).await;
    let first = token(
        &app,
        json!({"kind": "officer", "subject": "o-1", "units": [ZONE]}),
    )
    .await;
    let second = token(
        &app,
        json!({"kind": "officer", "subject": "o-2", "units": [ZONE]}),
    )
    .await;
    let read = app
        .client
        .get(app.url(&format!("/v1/units/{ZONE}/filings/{id}")))
        .bearer_auth(&first)
        .send()
        .await
        .unwrap();
    let etag = read.headers()["etag"].to_str().unwrap().to_owned();
    let take = |t: &str| {
        app.client
            .post(app.url(&format!("/v1/units/{ZONE}/filings/{id}/take-in-charge")))
            .bearer_auth(t)
            .header("if-match", &etag)
            .json(&json!({}))
            .send()
    };
    let (a, b) = tokio::join!(take(&first), take(&second));
    let mut codes = vec![a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
    codes.sort();
    assert_eq!(codes, [200, 412]);
    // Without If-Match: 428. The citizen can no longer withdraw.
    let response = app
        .client
        .post(app.url(&format!("/v1/units/{ZONE}/filings/{id}/request-info")))
        .bearer_auth(&first)
        .json(&json!({"message": "?"}))
        .send()
        .await
        .unwrap();
    assert_problem(response, 428, "precondition_required").await;
    let response = app
        .client
        .post(app.url(&format!("/v1/filings/{id}/withdraw")))
        .bearer_auth(&citizen)
        .send()
        .await
        .unwrap();
    assert_problem(response, 409, "invalid_transition").await;
}

#[tokio::test]
async fn the_officer_asks_the_citizen_answers_and_back_office_data_never_leaks() {
    let app = spawn_app().await;
    let citizen = token(&app, json!({"kind": "citizen", "subject": "carol"})).await;
    let id = submitted_filing(&app, &citizen).await;
    let officer = token(
        &app,
        json!({"kind": "officer", "subject": "o-1", "units": [ZONE]}),
    )
    .await;
    let base = format!("/v1/units/{ZONE}/filings/{id}");
    let taken = app
        .client
        .post(app.url(&format!("{base}/take-in-charge")))
        .bearer_auth(&officer)
        .header("if-match", "\"v2\"")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(taken.status(), 200);
    let asked = app
        .client
        .post(app.url(&format!("{base}/request-info")))
        .bearer_auth(&officer)
        .header("if-match", "\"v3\"")
        .json(&json!({"message": "What is the frame number?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), 200);

    let seen: Value = app
        .client
        .get(app.url(&format!("/v1/filings/{id}")))
        .bearer_auth(&citizen)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seen["status"], "info_requested");
    assert_eq!(seen["info_request"], "What is the frame number?");
    let text = seen.to_string();
    for internal in ["assigned_officer", "owner_id", "o-1"] {
        assert!(
            !text.contains(internal),
            "{internal} leaks to the citizen: {text}"
        );
    }
    let statuses: Vec<&str> = seen["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["draft", "submitted", "taken_in_charge", "info_requested"]
    );

    let answered = app
        .client
        .post(app.url(&format!("/v1/filings/{id}/answers")))
        .bearer_auth(&citizen)
        .json(&json!({"message": "GZ12345678"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 200);
    let answered: Value = answered.json().await.unwrap();
    assert_eq!(answered["status"], "taken_in_charge");
    let again = app
        .client
        .post(app.url(&format!("/v1/filings/{id}/answers")))
        .bearer_auth(&citizen)
        .json(&json!({"message": "again"}))
        .send()
        .await
        .unwrap();
    assert_problem(again, 409, "invalid_transition").await;
    let officer_view: Value = app
        .client
        .get(app.url(&base))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(officer_view["info_answer"], "GZ12345678");
    assert!(officer_view["assigned_officer"].is_string());
    // Officer operations audited: two alterations and one consultation, all allowed.
    assert_eq!(
        audit_count(&app, Some(domain::audit::AuditOutcome::Allowed)),
        3
    );
}

#[tokio::test]
async fn an_unknown_unit_filing_is_404_for_a_member() {
    let app = spawn_app().await;
    let officer = token(&app, json!({"kind": "officer", "units": [ZONE]})).await;
    let response = app
        .client
        .get(app.url(&format!("/v1/units/{ZONE}/filings/no-such-filing")))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert_problem(response, 404, "filing_not_found").await;
}

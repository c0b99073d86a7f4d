//! The back office, first slice: unit queues with audited access, taking in charge under
//! concurrency, and the information request answered by the citizen.

use serde_json::{json, Value};
use tests::{assert_problem, spawn_app, TestApp};

const ZONE: &str = "zp-ottignies-louvain-la-neuve";

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
    let citizen = app
        .dev_token(json!({"kind": "citizen", "subject": "alice"}))
        .await;
    let id = submitted_filing(&app, &citizen).await;
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-1", "units": [ZONE]}))
        .await;
    let stranger = app
        .dev_token(json!({"kind": "officer", "subject": "o-9", "units": ["zp-namur"]}))
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
    let citizen = app
        .dev_token(json!({"kind": "citizen", "subject": "bob"}))
        .await;
    let id = submitted_filing(&app, &citizen).await;
    let first = app
        .dev_token(json!({"kind": "officer", "subject": "o-1", "units": [ZONE]}))
        .await;
    let second = app
        .dev_token(json!({"kind": "officer", "subject": "o-2", "units": [ZONE]}))
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
    let citizen = app
        .dev_token(json!({"kind": "citizen", "subject": "carol"}))
        .await;
    let id = submitted_filing(&app, &citizen).await;
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-1", "units": [ZONE]}))
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
    let officer = app
        .dev_token(json!({"kind": "officer", "units": [ZONE]}))
        .await;
    let response = app
        .client
        .get(app.url(&format!("/v1/units/{ZONE}/filings/no-such-filing")))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert_problem(response, 404, "filing_not_found").await;
}

async fn officer_post(
    app: &TestApp,
    token: &str,
    path: &str,
    version: i64,
    body: Value,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .header("if-match", format!("\"v{version}\""))
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_full_path_ends_registered_with_a_confirmation_in_the_outbox() {
    let app = spawn_app().await;
    let citizen = app
        .dev_token(json!({"kind": "citizen", "subject": "dora"}))
        .await;
    let id = submitted_filing(&app, &citizen).await;
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-1", "units": [ZONE]}))
        .await;
    let base = format!("/v1/units/{ZONE}/filings/{id}");
    assert_eq!(
        officer_post(
            &app,
            &officer,
            &format!("{base}/take-in-charge"),
            2,
            json!({})
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        officer_post(
            &app,
            &officer,
            &format!("{base}/request-info"),
            3,
            json!({"message": "Colour?"})
        )
        .await
        .status(),
        200
    );
    let answer = app
        .client
        .post(app.url(&format!("/v1/filings/{id}/answers")))
        .bearer_auth(&citizen)
        .json(&json!({"message": "Blue"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let note = app
        .client
        .post(app.url(&format!("{base}/notes")))
        .bearer_auth(&officer)
        .json(&json!({"body": "SECRET-INTERNAL-NOTE"}))
        .send()
        .await
        .unwrap();
    assert_eq!(note.status(), 201);
    // Registering needs nothing more: the record number follows the unit's pattern.
    let registered = officer_post(&app, &officer, &format!("{base}/register"), 5, json!({})).await;
    assert_eq!(registered.status(), 200);
    let registered: Value = registered.json().await.unwrap();
    let year = chrono::Utc::now().format("%Y").to_string();
    assert_eq!(registered["record_number"], format!("5275/{year}/000001"));

    let pool = app.db.pool();
    let mut conn = pool.get().unwrap();
    let outbox = persistence::filings::outbox_for(&mut conn, &id).unwrap();
    // One message per status change the citizen is told of (the answer is theirs).
    let templates: Vec<&str> = outbox.iter().map(|m| m.1.as_str()).collect();
    assert_eq!(
        templates,
        [
            "filing_submitted",
            "filing_taken_in_charge",
            "filing_info_requested",
            "filing_registered"
        ]
    );
    assert!(outbox.iter().all(|m| m.0 == "email"));
    assert!(outbox[3].2.contains(&format!("5275/{year}/000001")));
    assert!(outbox
        .iter()
        .all(|m| !m.2.contains("SECRET") && !m.2.contains("Colour")));

    let seen: Value = app
        .client
        .get(app.url(&format!("/v1/filings/{id}?lang=fr")))
        .bearer_auth(&citizen)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seen["status"], "registered");
    assert_eq!(seen["status_label"], "Enregistré");
    assert_eq!(seen["record_number"], format!("5275/{year}/000001"));
    let labels: Vec<&str> = seen["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "Brouillon",
            "Envoyé",
            "Pris en charge",
            "Informations demandées",
            "Pris en charge",
            "Enregistré"
        ]
    );
    // Each status change comes with what it means for the citizen, in their language.
    let last = seen["history"].as_array().unwrap().last().unwrap().clone();
    assert!(
        last["explanation"]
            .as_str()
            .unwrap()
            .starts_with("Votre plainte ou déclaration a été enregistrée"),
        "{last}"
    );
    let info = &seen["history"][3];
    assert_eq!(info["status"], "info_requested");
    assert!(info["explanation"].as_str().unwrap().contains("répondez"));
    assert!(
        !seen.to_string().contains("SECRET-INTERNAL-NOTE"),
        "an internal note leaked"
    );
    assert_eq!(
        officer_post(&app, &officer, &format!("{base}/close"), 6, json!({}))
            .await
            .status(),
        200
    );

    // The audit trail of the filing holds exactly one event per operation, in order: who
    // did what to it, never what it contains.
    let trail: Vec<(String, String, String)> = persistence::audit::list(
        &mut conn,
        &persistence::audit::AuditFilter {
            object_type: Some("filing".into()),
            object_id: Some(id.clone()),
            ..Default::default()
        },
        100,
    )
    .unwrap()
    .into_iter()
    .map(|e| {
        (
            e.event.actor.role.as_str().to_owned(),
            e.event.operation.as_str().to_owned(),
            e.event.outcome.as_str().to_owned(),
        )
    })
    .collect();
    let expected = [
        ("citizen", "collection"), // create
        ("citizen", "collection"), // submit
        ("officer", "alteration"), // take in charge
        ("officer", "alteration"), // request information
        ("citizen", "collection"), // the answer
        ("officer", "alteration"), // the internal note
        ("officer", "alteration"), // register
        ("officer", "alteration"), // close
    ]
    .map(|(role, operation)| (role.to_owned(), operation.to_owned(), "allowed".to_owned()));
    assert_eq!(trail, expected);
}

#[tokio::test]
async fn a_transfer_moves_the_filing_to_the_other_queue_and_decisions_need_reasons() {
    let app = spawn_app().await;
    let citizen = app
        .dev_token(json!({"kind": "citizen", "subject": "emil"}))
        .await;
    let id = submitted_filing(&app, &citizen).await;
    let here = app
        .dev_token(json!({"kind": "officer", "subject": "o-1", "units": [ZONE]}))
        .await;
    let there = app
        .dev_token(json!({"kind": "officer", "subject": "o-2", "units": ["zp-wavre"]}))
        .await;
    let base = format!("/v1/units/{ZONE}/filings/{id}");
    let missing = officer_post(
        &app,
        &here,
        &format!("{base}/transfer"),
        2,
        json!({"target_unit": "zp-wavre"}),
    )
    .await;
    assert_problem(missing, 422, "validation_failed").await;
    let moved = officer_post(&app, &here, &format!("{base}/transfer"), 2, json!({
        "target_unit": "zp-wavre", "reason_code": "wrong_unit", "explanation": "The theft happened in Wavre."
    }))
    .await;
    assert_eq!(moved.status(), 200);
    let queue = |t: String, unit: &'static str| {
        let request = app
            .client
            .get(app.url(&format!("/v1/units/{unit}/filings")))
            .bearer_auth(t);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    assert_eq!(queue(here.clone(), ZONE).await["items"], json!([]));
    let theirs = queue(there.clone(), "zp-wavre").await;
    assert_eq!(theirs["items"][0]["id"], id.as_str());
    assert_eq!(theirs["items"][0]["status"], "transferred");
    // The new unit takes it in charge, then rejects it with a reason; no redirect without where to go.
    let new_base = format!("/v1/units/zp-wavre/filings/{id}");
    assert_eq!(
        officer_post(
            &app,
            &there,
            &format!("{new_base}/take-in-charge"),
            3,
            json!({})
        )
        .await
        .status(),
        200
    );
    let no_where = officer_post(
        &app,
        &there,
        &format!("{new_base}/redirect"),
        4,
        json!({"reason_code": "x", "explanation": "y"}),
    )
    .await;
    assert_problem(no_where, 422, "validation_failed").await;
    let rejected = officer_post(
        &app,
        &there,
        &format!("{new_base}/reject"),
        4,
        json!({
            "reason_code": "not_a_police_matter", "explanation": "A civil dispute, not a theft."
        }),
    )
    .await;
    assert_eq!(rejected.status(), 200);
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
    assert_eq!(seen["status"], "rejected");
    assert_eq!(seen["decision"]["reason_code"], "not_a_police_matter");
    // The old unit no longer reaches it.
    let response = app
        .client
        .get(app.url(&base))
        .bearer_auth(&here)
        .send()
        .await
        .unwrap();
    assert_problem(response, 404, "filing_not_found").await;
}

#[tokio::test]
async fn exports_are_field_by_field_need_a_justification_and_are_disclosures() {
    let app = spawn_app().await;
    let citizen = app
        .dev_token(json!({"kind": "citizen", "subject": "fay"}))
        .await;
    let id = submitted_filing(&app, &citizen).await;
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-1", "units": [ZONE]}))
        .await;
    let base = format!("/v1/units/{ZONE}/filings/{id}/export");
    let response = app
        .client
        .get(app.url(&base))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["pointer"], "/query/justification");

    let json_export: Value = app
        .client
        .get(app.url(&format!("{base}?justification=case+file+PV")))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys: Vec<&str> = json_export["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    for key in [
        "reference",
        "procedure",
        "unit",
        "municipality",
        "facts.bicycle_locked",
        "facts.items.0.category",
        "contact.email",
        "answers.violence",
    ] {
        assert!(keys.contains(&key), "{key} missing from {keys:?}");
    }
    let text = app
        .client
        .get(app.url(&format!("{base}?format=text&justification=x&lang=fr")))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert!(text.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = text.text().await.unwrap();
    assert!(text.contains("Le vélo était-il attaché ?: true"), "{text}");
    let xml = app
        .client
        .get(app.url(&format!("{base}?format=xml&justification=x")))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        xml.starts_with("<?xml") && xml.contains("<field key=\"reference\""),
        "{xml}"
    );

    let pool = app.db.pool();
    let mut conn = pool.get().unwrap();
    let disclosures: Vec<_> = persistence::audit::list(&mut conn, &Default::default(), 1000)
        .unwrap()
        .into_iter()
        .filter(|e| e.event.operation == domain::audit::AuditOperation::Disclosure)
        .collect();
    assert_eq!(disclosures.len(), 3);
    assert_eq!(
        disclosures[0].event.justification.as_deref(),
        Some("case file PV")
    );
    assert_eq!(
        disclosures[0].event.recipient.as_deref(),
        Some("police_records_system")
    );
}

#[tokio::test]
async fn supervisors_read_the_audit_trail_and_the_read_is_audited() {
    let app = spawn_app().await;
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-1", "units": [ZONE]}))
        .await;
    let supervisor = app
        .dev_token(
            json!({"kind": "officer", "role": "supervisor", "subject": "s-1", "units": [ZONE]}),
        )
        .await;
    let refused = app
        .client
        .get(app.url("/v1/audit-events"))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert_problem(refused, 403, "forbidden").await;
    let page: Value = app
        .client
        .get(app.url("/v1/audit-events?object_type=audit_trail"))
        .bearer_auth(&supervisor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "the refused read and this read: {items:?}");
    assert_eq!(items[0]["outcome"], "denied");
    assert_eq!(items[1]["outcome"], "allowed");
    assert_eq!(items[1]["actor_role"], "supervisor");
}

#[tokio::test]
async fn a_filing_beyond_the_processing_target_is_overdue() {
    let app = tests::spawn_app_with(|s| s.filings.target_hours = 0).await;
    let citizen = app
        .dev_token(json!({"kind": "citizen", "subject": "gus"}))
        .await;
    let id = submitted_filing(&app, &citizen).await;
    let officer = app
        .dev_token(json!({"kind": "officer", "units": [ZONE]}))
        .await;
    let overdue: Value = app
        .client
        .get(app.url(&format!("/v1/units/{ZONE}/filings?overdue=true")))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(overdue["items"][0]["id"], id.as_str());
}

async fn get_json(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_filing_is_assigned_only_to_a_known_colleague_of_the_unit() {
    let app = spawn_app().await;
    let citizen = app
        .dev_token(json!({"kind": "citizen", "subject": "olga"}))
        .await;
    let id = submitted_filing(&app, &citizen).await;
    let ana = app
        .dev_token(json!({"kind": "officer", "subject": "ana", "units": [ZONE]}))
        .await;
    let ben = app
        .dev_token(json!({"kind": "officer", "subject": "ben", "units": [ZONE]}))
        .await;
    let stranger = app
        .dev_token(json!({"kind": "officer", "subject": "carl", "units": ["zp-liege"]}))
        .await;
    let members = format!("/v1/units/{ZONE}/members");
    // Ben uses the unit's back office: he becomes a known member, listed first.
    let (status, seen) = get_json(&app, &ben, &members).await;
    assert_eq!(status, 200);
    let ben_id = seen["items"][0]["officer_id"].as_str().unwrap().to_owned();
    assert_eq!(seen["items"][0]["role"], "officer");
    // An officer of another zone may not list them (and is audited as denied).
    let (status, _) = get_json(&app, &stranger, &members).await;
    assert_eq!(status, 403);
    // Someone nobody has seen in the unit cannot be given the filing...
    let path = format!("/v1/units/{ZONE}/filings/{id}/take-in-charge");
    let unknown = officer_post(
        &app,
        &ana,
        &path,
        2,
        json!({"officer_id": "u-000000000000000000000000"}),
    )
    .await;
    let problem = assert_problem(unknown, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["pointer"], "/officer_id");
    // ...nor the stranger, who is known to another unit only.
    let (_, theirs) = get_json(&app, &stranger, "/v1/units/zp-liege/members").await;
    let stranger_id = theirs["items"][0]["officer_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = officer_post(&app, &ana, &path, 2, json!({"officer_id": stranger_id})).await;
    assert_problem(refused, 422, "validation_failed").await;
    // Ben can.
    let assigned = officer_post(&app, &ana, &path, 2, json!({"officer_id": ben_id})).await;
    assert_eq!(assigned.status(), 200);
    let assigned: Value = assigned.json().await.unwrap();
    assert_eq!(assigned["assigned_officer"], ben_id.as_str());
    // Ana is now known too.
    let (_, seen) = get_json(&app, &ben, &members).await;
    assert_eq!(seen["items"].as_array().unwrap().len(), 2);
}

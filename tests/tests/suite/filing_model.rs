//! The filing's domain model seen from outside: what the redesign fixed (issue 11) and
//! the faults of the same kinds found from outside (issue 12: local dates, record
//! numbers, the quota under concurrency, reference check characters).

use serde_json::{json, Value};
use tests::{assert_problem, spawn_app, spawn_app_with, TestApp};

const ZONE: &str = "zp-ottignies-louvain-la-neuve";

fn bicycle(from: &str) -> Value {
    json!({
        "procedure": "bicycle_theft", "country": "BE", "place": {"municipality": "BE-25121"},
        "facts_date": {"from": from},
        "answers": {"ongoing_danger": false, "injury": false, "known_author": false, "violence": false, "exploitable_traces": false},
        "facts": {"bicycle_locked": true, "circumstances": "Gone.", "items": [{"category": "bicycle"}]},
        "contact": {"email": "alice@example.org"}, "confirmation_channel": "email", "language": "fr"
    })
}

fn yesterday() -> String {
    (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339()
}

async fn citizen(app: &TestApp, subject: &str) -> String {
    app.dev_token(json!({"kind": "citizen", "subject": subject}))
        .await
}

async fn officer(app: &TestApp, subject: &str, units: &[&str]) -> String {
    app.dev_token(json!({"kind": "officer", "subject": subject, "units": units}))
        .await
}

async fn create(app: &TestApp, token: &str, body: &Value) -> Value {
    let response = app
        .client
        .post(app.url("/v1/filings"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    response.json().await.unwrap()
}

async fn submit(app: &TestApp, token: &str, id: &str) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/v1/filings/{id}/submit")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn submitted(app: &TestApp, token: &str, body: &Value) -> Value {
    let draft = create(app, token, body).await;
    let response = submit(app, token, draft["id"].as_str().unwrap()).await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    response.json().await.unwrap()
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

/// Submits a filing and takes it in charge; returns its id and version.
async fn taken_in_charge(app: &TestApp, citizen: &str, officer: &str) -> (String, i64) {
    let filing = submitted(app, citizen, &bicycle(&yesterday())).await;
    let id = filing["id"].as_str().unwrap().to_owned();
    let taken: Value = officer_post(
        app,
        officer,
        &format!("/v1/units/{ZONE}/filings/{id}/take-in-charge"),
        filing["version"].as_i64().unwrap(),
        json!({}),
    )
    .await
    .json()
    .await
    .unwrap();
    (id, taken["version"].as_i64().unwrap())
}

#[tokio::test]
async fn a_corrupt_stored_filing_is_an_error_not_a_belgian_filing() {
    let app = spawn_app().await;
    let token = citizen(&app, "alice").await;
    let draft = create(&app, &token, &bicycle(&yesterday())).await;
    let id = draft["id"].as_str().unwrap();
    {
        use diesel::prelude::*;
        let mut conn = app.conn();
        diesel::update(persistence::schema::filings::table.find(id))
            .set(persistence::schema::filings::country.eq("XX"))
            .execute(&mut conn)
            .unwrap();
    }
    let response = app
        .client
        .get(app.url(&format!("/v1/filings/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 500, "internal_error").await;
    // Nothing of the row, nor of the cause, reaches the client.
    assert!(!problem.to_string().contains("XX"), "{problem}");
    let list = app
        .client
        .get(app.url("/v1/filings"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 500);
}

#[tokio::test]
async fn the_declarants_reason_is_filled_on_every_path() {
    let app = spawn_app().await;
    let person = citizen(&app, "bob").await;
    let body = json!({
        "procedure": "fuel_drive_off", "country": "LU", "place": {"municipality": "LU-grevenmacher"},
        "facts_date": {"from": yesterday()}, "answers": {"ongoing_danger": false, "injury": false, "violence": false},
        "facts": {"station_name": "x", "amount_eur": 1}, "contact": {"email": "b@example.org"}, "confirmation_channel": "email"
    });
    for lang in ["fr", "nl", "de", "en"] {
        // The recap.
        let draft: Value = app
            .client
            .post(app.url(&format!("/v1/filings?lang={lang}")))
            .bearer_auth(&person)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let reasons = draft["eligibility"]["reasons"].as_array().unwrap();
        assert_eq!(reasons[0]["code"], "declarant_not_allowed");
        let text = reasons[0]["explanation"].as_str().unwrap();
        assert!(!text.contains('{') && !text.is_empty(), "{lang}: {text}");
        // The recap read again.
        let id = draft["id"].as_str().unwrap();
        let again: Value = app
            .client
            .get(app.url(&format!("/v1/filings/{id}?lang={lang}")))
            .bearer_auth(&person)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(again["eligibility"]["reasons"][0]["explanation"], text);
        // The refusal at submission.
        let response = app
            .client
            .post(app.url(&format!("/v1/filings/{id}/submit?lang={lang}")))
            .bearer_auth(&person)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 422, "filing_not_eligible").await;
        let message = problem["errors"][0]["message"].as_str().unwrap();
        assert!(!message.contains('{'), "{lang}: {message}");
        // The eligibility check.
        let check: Value = app
            .client
            .post(app.url(&format!("/v1/eligibility-checks?lang={lang}")))
            .json(
                &json!({"procedure": "fuel_drive_off", "country": "LU", "declarant": "person",
                "answers": {"ongoing_danger": false, "injury": false, "violence": false}}),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let explanation = check["reasons"][0]["explanation"].as_str().unwrap();
        assert!(!explanation.contains('{'), "{lang}: {explanation}");
    }
}

#[tokio::test]
async fn a_theft_just_after_midnight_is_dated_by_the_local_calendar() {
    let app = spawn_app().await;
    let token = citizen(&app, "carol").await;
    // 00:30 in Brussels on the 20th is 23:30 UTC on the 19th.
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-20T00:30:00+01:00").unwrap();
    if chrono::Utc::now() < at + chrono::Duration::minutes(5) {
        return; // the date would be in the future on a clock set before it
    }
    let filing = submitted(&app, &token, &bicycle("2026-11-20T00:30:00+01:00")).await;
    let id = filing["id"].as_str().unwrap();
    let receipt: Value = app
        .client
        .get(app.url(&format!("/v1/filings/{id}/receipt")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let summary = receipt["summary"].as_str().unwrap();
    assert!(summary.ends_with("2026-11-20"), "{summary}");
    // The same instant written in UTC is the same local day.
    let filing = submitted(&app, &token, &bicycle("2026-11-19T23:30:00Z")).await;
    let id = filing["id"].as_str().unwrap();
    let receipt: Value = app
        .client
        .get(app.url(&format!("/v1/filings/{id}/receipt")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(receipt["summary"].as_str().unwrap().ends_with("2026-11-20"));
    // And the officers' export gives the local date too.
    let officer = officer(&app, "o-1", &[ZONE]).await;
    let text = app
        .client
        .get(app.url(&format!(
            "/v1/units/{ZONE}/filings/{id}/export?format=text&justification=PV"
        )))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("Date of the facts: 2026-11-20"), "{text}");
}

#[tokio::test]
async fn the_citizen_reads_their_filing_in_the_language_they_filed_in() {
    let app = spawn_app().await;
    let token = app
        .dev_token(json!({"kind": "citizen", "subject": "dora", "locale": "nl"}))
        .await;
    let mut body = bicycle(&yesterday());
    body["language"] = json!("fr");
    let filing = submitted(&app, &token, &body).await;
    let id = filing["id"].as_str().unwrap();
    let read = |path: String, accept: Option<&'static str>| {
        let mut request = app.client.get(app.url(&path)).bearer_auth(&token);
        if let Some(lang) = accept {
            request = request.header("accept-language", lang);
        }
        request.send()
    };
    let view: Value = read(format!("/v1/filings/{id}"), None)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["status_label"], "Envoyé", "{view}");
    let receipt: Value = read(format!("/v1/filings/{id}/receipt"), None)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(receipt["language"], "fr");
    // The request's own choice comes first.
    let receipt: Value = read(format!("/v1/filings/{id}/receipt"), Some("de"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(receipt["language"], "de");
    // Without a language in the body, the filing takes the sign-in's locale.
    let mut body = bicycle(&yesterday());
    body.as_object_mut().unwrap().remove("language");
    let draft = create(&app, &token, &body).await;
    assert_eq!(draft["language"], "nl");
}

#[tokio::test]
async fn record_numbers_are_the_units_own_unique_and_conflicts_are_409() {
    let app = spawn_app().await;
    let alice = citizen(&app, "alice").await;
    let officer = officer(&app, "o-1", &[ZONE]).await;

    // Generated numbers follow the unit's sequence.
    let (first, version) = taken_in_charge(&app, &alice, &officer).await;
    let registered: Value = officer_post(
        &app,
        &officer,
        &format!("/v1/units/{ZONE}/filings/{first}/register"),
        version,
        json!({}),
    )
    .await
    .json()
    .await
    .unwrap();
    let number = registered["record_number"].as_str().unwrap().to_owned();
    let (prefix, sequence) = number.rsplit_once('/').unwrap();
    assert_eq!(sequence, "000001", "{number}");

    // An entered number already used: 409, never 500.
    let (second, version) = taken_in_charge(&app, &alice, &officer).await;
    let response = officer_post(
        &app,
        &officer,
        &format!("/v1/units/{ZONE}/filings/{second}/register"),
        version,
        json!({"record_number": number}),
    )
    .await;
    assert_problem(response, 409, "record_number_taken").await;

    // Another unit's pattern is refused: it would take that unit's next number.
    let response = officer_post(
        &app,
        &officer,
        &format!("/v1/units/{ZONE}/filings/{second}/register"),
        version,
        json!({"record_number": "5999/2026/000001"}),
    )
    .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["pointer"], "/record_number");
    assert_eq!(problem["errors"][0]["code"], "invalid_record_number");

    // A number of the unit's own entered ahead of the sequence is skipped by the
    // generator later.
    let ahead = format!("{prefix}/000002");
    let response = officer_post(
        &app,
        &officer,
        &format!("/v1/units/{ZONE}/filings/{second}/register"),
        version,
        json!({"record_number": ahead}),
    )
    .await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    let (third, version) = taken_in_charge(&app, &alice, &officer).await;
    let registered: Value = officer_post(
        &app,
        &officer,
        &format!("/v1/units/{ZONE}/filings/{third}/register"),
        version,
        json!({}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        registered["record_number"].as_str().unwrap(),
        format!("{prefix}/000003")
    );
}

#[tokio::test]
async fn concurrent_registrations_in_one_unit_each_get_their_own_number() {
    let app = spawn_app().await;
    let alice = citizen(&app, "alice").await;
    let officer = officer(&app, "o-1", &[ZONE]).await;
    let mut filings = Vec::new();
    for _ in 0..6 {
        filings.push(taken_in_charge(&app, &alice, &officer).await);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (id, version) in filings {
        let request = app
            .client
            .post(app.url(&format!("/v1/units/{ZONE}/filings/{id}/register")))
            .bearer_auth(&officer)
            .header("if-match", format!("\"v{version}\""))
            .json(&json!({}));
        tasks.spawn(async move { request.send().await.unwrap() });
    }
    let mut numbers = Vec::new();
    while let Some(response) = tasks.join_next().await {
        let response = response.unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        numbers.push(body["record_number"].as_str().unwrap().to_owned());
    }
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 6, "{numbers:?}");
}

#[tokio::test]
async fn the_daily_quota_holds_under_concurrent_submissions() {
    let app = spawn_app_with(|s| s.filings.daily_submissions = 3).await;
    let token = citizen(&app, "eve").await;
    let mut ids = Vec::new();
    for _ in 0..12 {
        let draft = create(&app, &token, &bicycle(&yesterday())).await;
        ids.push(draft["id"].as_str().unwrap().to_owned());
    }
    let mut tasks = tokio::task::JoinSet::new();
    for id in &ids {
        let request = app
            .client
            .post(app.url(&format!("/v1/filings/{id}/submit")))
            .bearer_auth(&token);
        tasks.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }
    let mut statuses = Vec::new();
    while let Some(status) = tasks.join_next().await {
        statuses.push(status.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        9,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn a_non_member_is_audited_before_its_body_or_query_is_read() {
    let app = spawn_app().await;
    let alice = citizen(&app, "alice").await;
    let member = officer(&app, "o-1", &[ZONE]).await;
    let (id, version) = taken_in_charge(&app, &alice, &member).await;
    let stranger = officer(&app, "o-9", &["zp-namur", "zp-liege"]).await;
    let denied = |app: &TestApp| {
        let mut conn = app.conn();
        persistence::audit::list(&mut conn, &Default::default(), 10_000)
            .unwrap()
            .into_iter()
            .filter(|e| e.event.outcome == domain::audit::AuditOutcome::Denied)
            .collect::<Vec<_>>()
    };
    // A malformed body.
    let response = app
        .client
        .post(app.url(&format!("/v1/units/{ZONE}/filings/{id}/request-info")))
        .bearer_auth(&stranger)
        .header("if-match", format!("\"v{version}\""))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_problem(response, 403, "forbidden").await;
    // A body of the wrong media type.
    let response = app
        .client
        .post(app.url(&format!("/v1/units/{ZONE}/filings/{id}/notes")))
        .bearer_auth(&stranger)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_problem(response, 403, "forbidden").await;
    // A malformed query.
    let response = app
        .client
        .get(app.url(&format!("/v1/units/{ZONE}/filings?limit=abc")))
        .bearer_auth(&stranger)
        .send()
        .await
        .unwrap();
    assert_problem(response, 403, "forbidden").await;
    let events = denied(&app);
    assert_eq!(events.len(), 3);
    for event in events {
        // The actor's own units, never the unit they tried to reach.
        assert_eq!(event.event.actor.unit.as_deref(), Some("zp-namur,zp-liege"));
    }
}

#[tokio::test]
async fn the_officer_sees_the_date_history_and_notes_and_the_citizen_the_record_number() {
    let app = spawn_app().await;
    let alice = citizen(&app, "alice").await;
    let officer = officer(&app, "o-1", &[ZONE]).await;
    let (id, version) = taken_in_charge(&app, &alice, &officer).await;
    // Sent twice with one Idempotency-Key (a retry after a lost answer): one note, the
    // same answer replayed; the key with another body is 422.
    let note = |body: &'static str, key: &'static str| {
        app.client
            .post(app.url(&format!("/v1/units/{ZONE}/filings/{id}/notes")))
            .bearer_auth(&officer)
            .header("Idempotency-Key", key)
            .json(&json!({ "body": body }))
            .send()
    };
    let first = note("Checked the frame number.", "note-1").await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = note("Checked the frame number.", "note-1").await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert_problem(
        note("Another note.", "note-1").await.unwrap(),
        422,
        "idempotency_key_reused",
    )
    .await;
    let registered: Value = officer_post(
        &app,
        &officer,
        &format!("/v1/units/{ZONE}/filings/{id}/register"),
        version,
        json!({}),
    )
    .await
    .json()
    .await
    .unwrap();
    let number = registered["record_number"].as_str().unwrap();
    let view: Value = app
        .client
        .get(app.url(&format!("/v1/units/{ZONE}/filings/{id}")))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(view["facts_date"]["from"].is_string(), "{view}");
    assert_eq!(view["declarant"], "person");
    assert_eq!(view["confirmation_channel"], "email");
    let actions: Vec<&str> = view["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create", "submit", "take_in_charge", "register"]);
    assert_eq!(view["notes"][0]["body"], "Checked the frame number.");
    let notes: Value = app
        .client
        .get(app.url(&format!("/v1/units/{ZONE}/filings/{id}/notes")))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(notes["notes"].as_array().unwrap().len(), 1);
    // The citizen reads the record number on the receipt.
    let receipt: Value = app
        .client
        .get(app.url(&format!("/v1/filings/{id}/receipt")))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(receipt["record_number"], number);
}

#[tokio::test]
async fn issued_references_end_in_a_letter_or_digit() {
    let app = spawn_app_with(|s| s.filings.daily_submissions = 100).await;
    let token = citizen(&app, "frank").await;
    for _ in 0..20 {
        let filing = submitted(&app, &token, &bicycle(&yesterday())).await;
        let reference = filing["reference"].as_str().unwrap();
        let check = reference.chars().last().unwrap();
        assert!(check.is_ascii_alphanumeric(), "{reference}");
        assert!(!"ILOU".contains(check), "{reference}");
    }
}

#[tokio::test]
async fn the_roster_lists_colleagues_by_the_name_their_token_gives() {
    let app = spawn_app().await;
    let named = app
        .dev_token(json!({"kind": "officer", "subject": "o-7", "name": "Inspecteur Jan Peeters", "units": [ZONE]}))
        .await;
    let unnamed = officer(&app, "o-8", &[ZONE]).await;
    for token in [&named, &unnamed] {
        let response = app
            .client
            .get(app.url(&format!("/v1/units/{ZONE}/filings")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let roster: Value = app
        .client
        .get(app.url(&format!("/v1/units/{ZONE}/members")))
        .bearer_auth(&unnamed)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = roster["items"].as_array().unwrap();
    let named_entry = items.iter().find(|m| m["name"] == "Inspecteur Jan Peeters");
    assert!(named_entry.is_some(), "{roster}");
    assert_eq!(items.len(), 2);
}

#[tokio::test]
async fn a_case_for_the_station_says_how_to_reach_the_competent_unit() {
    let app = spawn_app().await;
    let token = citizen(&app, "gina").await;
    let mut body = bicycle(&yesterday());
    body["answers"]["violence"] = json!(true);
    // Ghent (NIS 44021): PZ Gent's main station, from the zone contacts of the directory.
    body["place"] = json!({"municipality": "BE-44021"});
    let draft = create(&app, &token, &body).await;
    assert_eq!(draft["eligibility"]["outcome"], "not_eligible");
    assert_eq!(draft["routing"]["unit"]["id"], "pz-gent");
    let contact = &draft["routing"]["unit_contact"];
    assert_eq!(contact["phone"], "+3292666130", "{draft}");
    assert!(contact["address"].as_str().unwrap().contains("Gent"));
}

#[tokio::test]
async fn a_body_must_be_an_object_not_an_array_read_by_position() {
    let app = spawn_app().await;
    let token = citizen(&app, "hana").await;
    let supervisor = app
        .dev_token(
            json!({"kind": "officer", "subject": "s-1", "role": "supervisor", "units": [ZONE]}),
        )
        .await;
    for (method, path, token) in [
        (reqwest::Method::POST, "/v1/filings".to_owned(), &token),
        (
            reqwest::Method::PATCH,
            format!("/v1/units/{ZONE}/contact"),
            &supervisor,
        ),
    ] {
        let response = app
            .client
            .request(method, app.url(&path))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(r#"["bicycle_theft", "BE"]"#)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["code"], "invalid_type", "{path}");
    }
}

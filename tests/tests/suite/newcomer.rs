//! What a newcomer hit (issue 13, items 7, 9, 11 and the findings after them): every
//! round of questions and answers kept; refusals that say where to go give the station's
//! contact as data; query-string errors that name the parameter and what it accepts, in
//! the request's language, on every route; one timestamp precision; clear 409 and 404
//! texts; text that is not UTF-8 refused.

use serde_json::{json, Value};
use tests::{assert_problem, spawn_app, TestApp};

const ZONE: &str = "zp-ottignies-louvain-la-neuve";

fn bicycle_theft() -> Value {
    json!({
        "procedure": "bicycle_theft", "country": "BE", "place": {"municipality": "BE-25121"},
        "facts_date": {"from": (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339()},
        "answers": {"ongoing_danger": false, "injury": false, "known_author": false, "violence": false, "exploitable_traces": false},
        "facts": {"bicycle_locked": true, "circumstances": "Gone.", "items": [{"category": "bicycle"}]},
        "contact": {"email": "alice@example.org"}, "confirmation_channel": "email"
    })
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let response = send(app, reqwest::Method::POST, "/v1/filings", token, Some(body)).await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn submitted(app: &TestApp, token: &str) -> String {
    let draft = create(app, token, bicycle_theft()).await;
    let id = draft["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/filings/{id}/submit");
    let response = send(app, reqwest::Method::POST, &path, token, None).await;
    assert_eq!(response.status(), 200);
    id
}

/// An officer action with the current ETag.
async fn act(app: &TestApp, officer: &str, id: &str, action: &str, body: Value) -> Value {
    let path = format!("/v1/units/{ZONE}/filings/{id}");
    let etag = send(app, reqwest::Method::GET, &path, officer, None)
        .await
        .headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    let response = app
        .client
        .post(app.url(&format!("{path}/{action}")))
        .bearer_auth(officer)
        .header("if-match", etag)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{action}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn every_round_of_questions_and_answers_is_kept_for_both_sides() {
    let app = spawn_app().await;
    let citizen = app
        .dev_token(json!({"kind": "citizen", "subject": "rounds"}))
        .await;
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-rounds", "units": [ZONE]}))
        .await;
    let id = submitted(&app, &citizen).await;
    act(&app, &officer, &id, "take-in-charge", json!({})).await;
    let rounds = [
        ("What colour is the bicycle?", "Blue"),
        ("Its frame number?", "GZ12345678"),
    ];
    for (question, answer) in rounds {
        act(
            &app,
            &officer,
            &id,
            "request-info",
            json!({"message": question}),
        )
        .await;
        let path = format!("/v1/filings/{id}/answers");
        let body = json!({"message": answer});
        let response = send(&app, reqwest::Method::POST, &path, &citizen, Some(body)).await;
        assert_eq!(response.status(), 200);
    }
    act(
        &app,
        &officer,
        &id,
        "request-info",
        json!({"message": "A photo?"}),
    )
    .await;

    let mine: Value = send(
        &app,
        reqwest::Method::GET,
        &format!("/v1/filings/{id}"),
        &citizen,
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    let exchanges = mine["exchanges"].as_array().unwrap();
    assert_eq!(exchanges.len(), 3, "{mine}");
    for (i, (question, answer)) in rounds.iter().enumerate() {
        assert_eq!(exchanges[i]["question"], *question);
        assert_eq!(exchanges[i]["answer"], *answer);
        assert!(
            exchanges[i]["answered_at"].as_str().unwrap()
                >= exchanges[i]["asked_at"].as_str().unwrap()
        );
        assert!(
            exchanges[i].get("asked_by").is_none(),
            "no officer id for the citizen"
        );
    }
    assert_eq!(exchanges[2]["question"], "A photo?");
    assert!(exchanges[2].get("answer").is_none());
    assert_eq!(mine["info_request"], "A photo?");

    let path = format!("/v1/units/{ZONE}/filings/{id}");
    let view: Value = send(&app, reqwest::Method::GET, &path, &officer, None)
        .await
        .json()
        .await
        .unwrap();
    let exchanges = view["exchanges"].as_array().unwrap();
    assert_eq!(exchanges.len(), 3);
    assert_eq!(exchanges[1]["answer"], "GZ12345678");
    assert!(exchanges[0]["asked_by"].as_str().unwrap().starts_with("u-"));

    let export: Value = send(
        &app,
        reqwest::Method::GET,
        &format!("{path}/export?justification=PV"),
        &officer,
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    let keys: Vec<&str> = export["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    for key in [
        "exchanges.1.question",
        "exchanges.1.answer",
        "exchanges.2.answer",
        "exchanges.3.question",
    ] {
        assert!(keys.contains(&key), "{key} in {keys:?}");
    }
    assert!(!keys.contains(&"exchanges.3.answer"));
}

#[tokio::test]
async fn a_refusal_that_sends_the_citizen_to_a_station_gives_its_contact() {
    let app = spawn_app().await;
    let citizen = app
        .dev_token(json!({"kind": "citizen", "subject": "refused"}))
        .await;
    let mut body = bicycle_theft();
    body["answers"]["violence"] = json!(true);
    // Boom, served by PZ Rupel, whose main station the directory knows.
    body["place"] = json!({"municipality": "BE-11005"});
    let draft = create(&app, &citizen, body).await;
    let path = format!(
        "/v1/filings/{}/submit?lang=nl",
        draft["id"].as_str().unwrap()
    );
    let response = send(&app, reqwest::Method::POST, &path, &citizen, None).await;
    let problem = assert_problem(response, 422, "filing_not_eligible").await;
    let unit = &problem["competent_unit"];
    assert_eq!(unit["id"], "pz-rupel", "{problem}");
    assert!(unit["name"].as_str().is_some_and(|n| !n.is_empty()));
    assert!(unit["open_now"].is_boolean());
    assert_eq!(
        unit["address"], "Hoofdcommissariaat, Jozef Van Cleemputplein 5, 2850 Boom",
        "{problem}"
    );
    assert_eq!(unit["phone"], "+3234430900");
    assert!(unit["website"].is_string());
    assert_eq!(problem["errors"][0]["pointer"], "/answers/violence");
}

#[tokio::test]
async fn query_errors_name_the_parameter_and_what_it_accepts_on_every_route() {
    let app = spawn_app().await;
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-query", "units": [ZONE]}))
        .await;
    let citizen = app
        .dev_token(json!({"kind": "citizen", "subject": "query"}))
        .await;
    let queue = format!("/v1/units/{ZONE}/filings");
    for (token, path, pointer, code) in [
        (
            &officer,
            format!("{queue}?limit=99999999999999999999"),
            "/query/limit",
            "invalid_integer",
        ),
        (
            &officer,
            format!("{queue}?limit=10&limit=20"),
            "/query/limit",
            "repeated_parameter",
        ),
        (
            &officer,
            format!("{queue}?limit=0"),
            "/query/limit",
            "out_of_range",
        ),
        (
            &officer,
            format!("{queue}?submitted_from=yesterday"),
            "/query/submitted_from",
            "invalid_date_time",
        ),
        (
            &officer,
            format!("{queue}?overdue=maybe"),
            "/query/overdue",
            "unknown_option",
        ),
        (
            &citizen,
            "/v1/filings?limit=abc".to_owned(),
            "/query/limit",
            "invalid_integer",
        ),
        (
            &citizen,
            "/v1/filings?limit=500".to_owned(),
            "/query/limit",
            "out_of_range",
        ),
        (
            &officer,
            "/v1/audit-events?limit=x".to_owned(),
            "/query/limit",
            "invalid_integer",
        ),
    ] {
        for lang in ["fr", "nl"] {
            let separator = if path.contains('?') { '&' } else { '?' };
            let response = app
                .client
                .get(app.url(&format!("{path}{separator}lang={lang}")))
                .bearer_auth(token)
                .header("accept-language", lang)
                .send()
                .await
                .unwrap();
            let problem = assert_problem(response, 422, "validation_failed").await;
            let error = &problem["errors"][0];
            assert_eq!(error["pointer"], pointer, "{path}: {problem}");
            assert_eq!(error["code"], code, "{path}: {problem}");
            let message = error["message"].as_str().unwrap();
            assert!(
                !message.contains("invalid digit"),
                "serde's words: {message}"
            );
            if pointer == "/query/limit" && code != "repeated_parameter" {
                assert_eq!(error["minimum"], 1, "{problem}");
                assert!(error["maximum"].is_number(), "{problem}");
                let word = if lang == "fr" {
                    "Minimum :"
                } else {
                    "Minimum:"
                };
                assert!(message.contains(word), "{lang}: {message}");
            }
            if code == "unknown_option" {
                assert_eq!(error["allowed"], json!(["true", "false"]), "{problem}");
            }
        }
    }
}

#[tokio::test]
async fn what_a_write_answers_is_what_a_read_shows() {
    let app = spawn_app().await;
    let citizen = app
        .dev_token(json!({"kind": "citizen", "subject": "clock"}))
        .await;
    for _ in 0..3 {
        let created = create(&app, &citizen, bicycle_theft()).await;
        let id = created["id"].as_str().unwrap();
        let read: Value = send(
            &app,
            reqwest::Method::GET,
            &format!("/v1/filings/{id}"),
            &citizen,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
        for member in ["created_at", "updated_at"] {
            assert_eq!(created[member], read[member], "{member}");
            let text = created[member].as_str().unwrap();
            let fraction = text
                .split('.')
                .nth(1)
                .map(|f| f.trim_end_matches('Z').len())
                .unwrap_or(0);
            assert!(fraction <= 6, "{text}: more than microseconds");
        }
        assert_eq!(created["history"], read["history"]);
    }
}

#[tokio::test]
async fn a_draft_has_no_receipt_yet_and_an_officer_looks_in_a_unit() {
    let app = spawn_app().await;
    let citizen = app
        .dev_token(json!({"kind": "citizen", "subject": "early", "locale": "fr"}))
        .await;
    let draft = create(&app, &citizen, bicycle_theft()).await;
    let id = draft["id"].as_str().unwrap();
    for (lang, status) in [("fr", "Brouillon"), ("nl", "Ontwerp")] {
        let response = app
            .client
            .get(app.url(&format!("/v1/filings/{id}/receipt")))
            .bearer_auth(&citizen)
            .header("accept-language", lang)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 409, "receipt_not_available").await;
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(status), "{lang}: {detail}");
        assert!(!detail.to_lowercase().contains("submit"), "{detail}");
    }

    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-404", "units": [ZONE]}))
        .await;
    let path = format!("/v1/units/{ZONE}/filings/{id}");
    let response = app
        .client
        .get(app.url(&path))
        .bearer_auth(&officer)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 404, "filing_not_found").await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains(ZONE), "{detail}");
    assert!(!detail.contains("yours"), "{detail}");
}

#[tokio::test]
async fn text_that_is_not_utf8_is_refused_not_ignored() {
    let app = spawn_app().await;
    let problem = assert_problem(
        app.get("/v1/municipalities?country=BE&q=Li%E8ge").await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["pointer"], "/query/q");
    assert_eq!(problem["errors"][0]["code"], "invalid_utf8");
    // The same text in UTF-8 is found.
    let found = app.get("/v1/municipalities?country=BE&q=Li%C3%A8ge").await;
    assert_eq!(found.status(), 200);
    assert_problem(app.get("/v1/units/%FF").await, 400, "invalid_path").await;
}

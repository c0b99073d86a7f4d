//! Facts forms over HTTP: validated against the published schema, dates checked against
//! each other and today, field errors that say what would be accepted, messages with
//! every placeholder filled, and each question asked once.

use chrono::{Duration, Utc};
use serde_json::{json, Value};
use tests::{assert_problem, spawn_app, TestApp};

const LANGUAGES: [&str; 6] = ["fr", "nl", "de", "en", "es", "ca"];

async fn token(app: &TestApp, kind: &str, subject: &str, assurance: &str) -> String {
    let mut body = json!({"kind": kind, "subject": subject, "assurance": assurance});
    if kind == "business" {
        body["business_id"] = json!("LU12345678");
        body["business_name"] = json!("Station Grevenmacher");
    }
    app.dev_token(body).await
}

async fn post(app: &TestApp, path: &str, token: &str, body: &str, lang: &str) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .header("accept-language", lang)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

/// A date `offset` days from today where the travel forms are filed (Catalonia): the
/// service checks the dates against the country's local date, which differs from UTC's
/// around midnight.
fn day(offset: i64) -> String {
    (Utc::now().with_timezone(&chrono_tz::Europe::Madrid) + Duration::days(offset))
        .format("%Y-%m-%d")
        .to_string()
}

fn errors(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["pointer"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn no_placeholder(text: &str) -> bool {
    !text.contains('{') && !text.contains('}')
}

fn fuel(pump: &str) -> String {
    format!(
        r#"{{"procedure": "fuel_drive_off", "country": "LU",
            "facts": {{"station_name": "Total Grevenmacher", "amount_eur": 72.5, "pump_number": {pump}}}}}"#
    )
}

/// Issue: the schema says `"type": "integer"` (2020-12: 3.0 is an integer), the server
/// refused 3.0 and 3e0. Both now read the same schema.
#[tokio::test]
async fn integer_fields_accept_what_the_published_schema_accepts() {
    let app = spawn_app().await;
    let operator = token(&app, "business", "station-7", "substantial").await;
    let detail: Value = app
        .get("/v1/procedures/fuel_drive_off")
        .await
        .json()
        .await
        .unwrap();
    let schema = &detail["form_schema"];
    assert_eq!(schema["properties"]["pump_number"]["type"], "integer");
    let validator = jsonschema::validator_for(schema).unwrap();
    for (pump, accepted) in [
        ("3", true),
        ("3.0", true),
        ("3e0", true),
        ("30E-1", true),
        ("3.5", false),
        ("\"3\"", false),
        ("0", false),
        ("1000", false),
    ] {
        let body = fuel(pump);
        let facts = serde_json::from_str::<Value>(&body).unwrap()["facts"].clone();
        assert_eq!(validator.is_valid(&facts), accepted, "schema, {pump}");
        let response = post(&app, "/v1/filings", &operator, &body, "en").await;
        if accepted {
            assert_eq!(response.status(), 201, "{pump}");
            // Stored, and shown back, as the integer it is.
            let draft: Value = response.json().await.unwrap();
            assert_eq!(draft["facts"]["pump_number"], json!(3), "{pump}");
        } else {
            let problem = assert_problem(response, 422, "validation_failed").await;
            let code = if pump == "3.5" || pump == "\"3\"" {
                "invalid_type"
            } else {
                "out_of_range"
            };
            assert_eq!(
                errors(&problem),
                vec![("/facts/pump_number".to_owned(), code.to_owned())],
                "{pump}"
            );
            if pump == "1000" {
                let e = &problem["errors"][0];
                assert_eq!(e["minimum"], 1);
                assert_eq!(e["maximum"], 999);
                assert!(e["message"].as_str().unwrap().contains("999"), "{e}");
            }
        }
    }
}

fn travel(birth: &str, departure: &str, back: &str) -> String {
    json!({
        "procedure": "minor_travel_authorisation", "country": "ES-CT",
        "facts": {
            "minor_first_name": "Ana", "minor_last_name": "Puig", "minor_birth_date": birth,
            "destination_country": "Portugal", "departure_date": departure,
            "return_date": back, "accompanying_adult": "Joan Puig"
        }
    })
    .to_string()
}

/// Issue: a return before the departure, a birth date in the future and an adult
/// "minor" were accepted.
#[tokio::test]
async fn travel_dates_are_checked_against_each_other_and_today() {
    let app = spawn_app().await;
    let parent = token(&app, "citizen", "parent-1", "high").await;
    let cases = [
        (travel(&day(-3000), &day(10), &day(20)), vec![]),
        (
            travel(&day(-3000), &day(10), &day(5)),
            vec![("/facts/return_date", "too_early")],
        ),
        (
            travel(&day(30), &day(10), &day(20)),
            vec![("/facts/minor_birth_date", "in_future")],
        ),
        (
            travel(&day(-20 * 366), &day(10), &day(20)),
            vec![("/facts/minor_birth_date", "age_over_limit")],
        ),
        (
            travel(&day(-3000), &day(-2), &day(20)),
            vec![("/facts/departure_date", "in_past")],
        ),
    ];
    for (body, expected) in cases {
        let response = post(&app, "/v1/filings", &parent, &body, "ca").await;
        if expected.is_empty() {
            assert_eq!(response.status(), 201, "{:?}", response.text().await);
            continue;
        }
        let problem = assert_problem(response, 422, "validation_failed").await;
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(p, c)| ((*p).to_owned(), (*c).to_owned()))
            .collect();
        assert_eq!(errors(&problem), expected, "{body}");
        let error = &problem["errors"][0];
        assert!(
            no_placeholder(error["message"].as_str().unwrap()),
            "{error}"
        );
        match error["code"].as_str().unwrap() {
            "too_early" => {
                assert_eq!(error["other"], "/facts/departure_date");
                assert_eq!(error["earliest"], day(10));
            }
            "age_over_limit" => assert_eq!(error["max_age_years"], 18),
            "in_future" => assert_eq!(error["latest"], day(0)),
            "in_past" => assert_eq!(error["earliest"], day(0)),
            _ => {}
        }
    }
}

/// Issue: appointment preferences in the past were accepted.
#[tokio::test]
async fn appointment_slots_in_the_past_are_refused() {
    let app = spawn_app().await;
    let citizen = token(&app, "citizen", "slots", "substantial").await;
    let slot = |days: i64| (Utc::now() + Duration::days(days)).to_rfc3339();
    let body = |slots: Vec<String>| {
        json!({
            "procedure": "video_complaint", "country": "FR",
            "answers": {"ongoing_danger": false, "injury": false},
            "facts": {"offence_kind": "theft", "circumstances": "Phone stolen.", "preferred_slots": slots}
        })
        .to_string()
    };
    let response = post(
        &app,
        "/v1/filings",
        &citizen,
        &body(vec![slot(2), slot(-1)]),
        "fr",
    )
    .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(
        errors(&problem),
        vec![("/facts/preferred_slots/1".to_owned(), "in_past".to_owned())]
    );
    assert!(problem["errors"][0]["earliest"].is_string());
    let response = post(
        &app,
        "/v1/filings",
        &citizen,
        &body(vec![slot(2), slot(3)]),
        "fr",
    )
    .await;
    assert_eq!(response.status(), 201);

    // A draft saved when its slots were ahead, submitted once one has passed: refused at
    // submission too (the slot is moved back in the stored row to stand for the wait).
    let draft: Value = response.json().await.unwrap();
    let id = draft["id"].as_str().unwrap();
    let past = json!({"offence_kind": "theft", "circumstances": "Phone stolen.",
                      "preferred_slots": [slot(2), slot(-1)]});
    let sql = format!(
        "UPDATE filings SET facts = '{}' WHERE id = '{}'",
        past.to_string().replace('\'', "''"),
        id.replace('\'', "''")
    );
    {
        use diesel::RunQueryDsl;
        let mut conn = app.conn();
        assert_eq!(diesel::sql_query(sql).execute(&mut conn).unwrap(), 1);
    }
    let response = post(
        &app,
        &format!("/v1/filings/{id}/submit"),
        &citizen,
        "",
        "fr",
    )
    .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert!(
        errors(&problem).contains(&("/facts/preferred_slots/1".to_owned(), "in_past".to_owned())),
        "{problem}"
    );
}

/// Issue: `unknown_option` did not list the accepted values, `too_old` gave no limit,
/// length errors no maximum: now as data and as text, in the citizen's language.
#[tokio::test]
async fn field_errors_say_what_would_be_accepted_in_the_citizens_language() {
    let app = spawn_app().await;
    let citizen = token(&app, "citizen", "limits", "substantial").await;
    let body = json!({
        "procedure": "simple_theft", "country": "BE",
        "facts_date": {"from": (Utc::now() - Duration::days(800)).to_rfc3339()},
        "place": {"description": "z".repeat(501)},
        "contact": {"phone": "1".repeat(31)},
        "facts": {"theft_kind": "bicycle", "circumstances": "x".repeat(4001),
                  "items": [{"category": "wallet", "colour": "y".repeat(51)}]}
    })
    .to_string();
    for (lang, accepted_words) in [
        ("fr", "Valeurs acceptées"),
        ("nl", "Aanvaarde waarden"),
        ("de", "Zulässige Werte"),
        ("en", "Accepted values"),
        ("es", "Valores aceptados"),
        ("ca", "Valors acceptats"),
    ] {
        let response = post(&app, "/v1/filings", &citizen, &body, lang).await;
        let problem = assert_problem(response, 422, "validation_failed").await;
        let by_pointer = |p: &str| {
            problem["errors"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["pointer"] == p)
                .unwrap_or_else(|| panic!("{p} in {problem}"))
                .clone()
        };
        let option = by_pointer("/facts/theft_kind");
        assert_eq!(option["code"], "unknown_option");
        assert_eq!(
            option["allowed"],
            json!([
                "wallet",
                "luggage",
                "handbag",
                "phone_or_tablet",
                "camera",
                "jewellery",
                "other"
            ])
        );
        let message = option["message"].as_str().unwrap();
        assert!(
            message.contains(accepted_words) && message.contains("phone_or_tablet"),
            "{lang}: {message}"
        );
        let old = by_pointer("/facts_date/from");
        assert_eq!(old["code"], "too_old");
        assert_eq!(old["max_age_days"], 365);
        assert!(old["earliest"].is_string());
        assert!(old["message"].as_str().unwrap().contains("365"), "{old}");
        let long = by_pointer("/facts/circumstances");
        assert_eq!(
            (long["code"].as_str(), long["max_length"].as_u64()),
            (Some("too_long"), Some(4000))
        );
        assert!(long["message"].as_str().unwrap().contains("4000"), "{long}");
        let colour = by_pointer("/facts/items/0/colour");
        assert_eq!(colour["max_length"], 50);
        assert_eq!(by_pointer("/place/description")["max_length"], 500);
        assert_eq!(by_pointer("/contact/phone")["max_length"], 30);
        for error in problem["errors"].as_array().unwrap() {
            assert!(
                no_placeholder(error["message"].as_str().unwrap()),
                "{error}"
            );
        }
    }
    // The eligibility check says which countries, declarants and answers exist.
    let response = app
        .post_json(
            "/v1/eligibility-checks",
            &json!({"procedure": "simple_theft", "country": "XX", "declarant": "robot", "answers": {}}),
        )
        .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(
        problem["errors"][0]["allowed"],
        json!(["BE", "LU", "FR", "ES-CT"])
    );
    assert_eq!(
        problem["errors"][1]["allowed"],
        json!(["person", "business"])
    );
    let response = app
        .post_json(
            "/v1/eligibility-checks",
            &json!({"procedure": "simple_theft", "country": "BE", "answers": {"injury": "maybe", "colour": true}}),
        )
        .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    let unknown = &problem["errors"][0];
    assert_eq!(unknown["code"], "unknown_question");
    assert!(unknown["allowed"]
        .as_array()
        .unwrap()
        .contains(&json!("injury")));
    assert_eq!(problem["errors"][1]["code"], "invalid_answer");
    assert_eq!(problem["errors"][1]["allowed"], json!(["true", "false"]));
}

/// Issue: `{id}` in the 404 (six languages), `{status}` and `{action}` in the 409.
#[tokio::test]
async fn not_found_and_conflict_problems_are_filled_in_every_language() {
    let app = spawn_app().await;
    let citizen = token(&app, "citizen", "placeholders", "substantial").await;
    let id = "0192f3c4-5b6a-7c8d-9e0f-112233445566";
    for lang in LANGUAGES {
        let response = app
            .client
            .get(app.url(&format!("/v1/filings/{id}?lang={lang}")))
            .bearer_auth(&citizen)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 404, "filing_not_found").await;
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.contains(id) && no_placeholder(detail),
            "{lang}: {detail}"
        );
    }
    // A filing submitted twice: the second submit is a 409 naming the status and action.
    let body = json!({
        "procedure": "found_object", "country": "LU",
        "place": {"municipality": "LU-grevenmacher"},
        "facts_date": {"from": (Utc::now() - Duration::hours(3)).to_rfc3339()},
        "answers": {"dangerous_object": false},
        "facts": {"object_category": "keys", "object_description": "Car keys", "object_whereabouts": "kept_by_finder"},
        "contact": {"email": "finder@example.lu"}, "confirmation_channel": "email"
    })
    .to_string();
    let response = post(&app, "/v1/filings", &citizen, &body, "en").await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    let draft: Value = response.json().await.unwrap();
    let id = draft["id"].as_str().unwrap();
    let first = post(
        &app,
        &format!("/v1/filings/{id}/submit"),
        &citizen,
        "",
        "en",
    )
    .await;
    assert_eq!(first.status(), 200, "{:?}", first.text().await);
    for (lang, status, action) in [
        ("fr", "Envoyé", "envoyer"),
        ("en", "Submitted", "submit"),
        ("nl", "", ""),
        ("de", "", ""),
        ("es", "", ""),
        ("ca", "", ""),
    ] {
        let again = post(
            &app,
            &format!("/v1/filings/{id}/submit"),
            &citizen,
            "",
            lang,
        )
        .await;
        let problem = assert_problem(again, 409, "invalid_transition").await;
        let detail = problem["detail"].as_str().unwrap();
        assert!(no_placeholder(detail), "{lang}: {detail}");
        assert!(
            detail.contains(status) && detail.contains(action),
            "{lang}: {detail}"
        );
    }
}

/// Issue: `{declarants}` reached citizens through the filing paths. Every path that
/// gives the reason gives it filled.
#[tokio::test]
async fn the_declarant_reason_is_filled_on_every_path() {
    let app = spawn_app().await;
    let person = token(&app, "citizen", "not-a-station", "substantial").await;
    let answers = json!({"ongoing_danger": false, "injury": false, "violence": false});
    let check = |lang: &'static str| {
        let app = &app;
        let answers = answers.clone();
        async move {
            let response = app
                .client
                .post(app.url(&format!("/v1/eligibility-checks?lang={lang}")))
                .json(&json!({"procedure": "fuel_drive_off", "country": "LU", "declarant": "person", "answers": answers}))
                .send()
                .await
                .unwrap();
            response.json::<Value>().await.unwrap()["reasons"][0]["explanation"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let body = json!({
        "procedure": "fuel_drive_off", "country": "LU",
        "place": {"municipality": "LU-grevenmacher"},
        "facts_date": {"from": (Utc::now() - Duration::hours(3)).to_rfc3339()},
        "answers": answers,
        "facts": {"station_name": "Aral", "amount_eur": 60},
        "contact": {"email": "p@example.lu"}, "confirmation_channel": "email"
    })
    .to_string();
    let response = post(&app, "/v1/filings", &person, &body, "en").await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    let draft: Value = response.json().await.unwrap();
    let id = draft["id"].as_str().unwrap().to_owned();
    for lang in LANGUAGES {
        let from_check = check(lang).await;
        let view: Value = app
            .client
            .get(app.url(&format!("/v1/filings/{id}?lang={lang}")))
            .bearer_auth(&person)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let reason = &view["eligibility"]["reasons"][0];
        assert_eq!(reason["code"], "declarant_not_allowed");
        let from_recap = reason["explanation"].as_str().unwrap().to_owned();
        let submitted = post(&app, &format!("/v1/filings/{id}/submit"), &person, "", lang).await;
        let problem = assert_problem(submitted, 422, "filing_not_eligible").await;
        assert_eq!(problem["errors"][0]["code"], "declarant_not_allowed");
        let from_submit = problem["errors"][0]["message"].as_str().unwrap().to_owned();
        for text in [&from_check, &from_recap, &from_submit] {
            assert!(no_placeholder(text) && !text.is_empty(), "{lang}: {text}");
        }
        assert_eq!(from_check, from_recap, "{lang}");
        assert_eq!(from_check, from_submit, "{lang}");
    }
}

/// Issue: the online-scam form asked the kind twice, and accepted two different kinds.
#[tokio::test]
async fn the_scam_kind_is_asked_once() {
    let app = spawn_app().await;
    let detail: Value = app
        .get("/v1/procedures/online_scam")
        .await
        .json()
        .await
        .unwrap();
    let questions: Vec<&str> = detail["questionnaire"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["code"].as_str().unwrap())
        .collect();
    assert!(!questions.contains(&"scam_kind"), "{questions:?}");
    assert!(detail["form_schema"]["properties"]["scam_kind"].is_object());

    let citizen = token(&app, "citizen", "scam", "substantial").await;
    let body = |answer: &str| {
        json!({
            "procedure": "online_scam", "country": "FR",
            "answers": {"scam_kind": answer, "ongoing_danger": false, "illegal_content_only": false},
            "facts": {"scam_kind": "romance_scam", "payment_method": "bank_transfer", "circumstances": "Asked for money."}
        })
        .to_string()
    };
    let response = post(&app, "/v1/filings", &citizen, &body("ransomware"), "en").await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(
        errors(&problem),
        vec![(
            "/answers/scam_kind".to_owned(),
            "contradicts_facts".to_owned()
        )]
    );
    assert_eq!(problem["errors"][0]["other"], "/facts/scam_kind");
    // A draft saved before the change, answer and facts agreeing, is still accepted.
    let response = post(&app, "/v1/filings", &citizen, &body("romance_scam"), "en").await;
    assert_eq!(response.status(), 201);
    // Without the old answer, of course too.
    let mut fresh: Value = serde_json::from_str(&body("x")).unwrap();
    fresh["answers"]
        .as_object_mut()
        .unwrap()
        .remove("scam_kind");
    let response = post(&app, "/v1/filings", &citizen, &fresh.to_string(), "en").await;
    assert_eq!(response.status(), 201);
}

/// The published form schemas state every limit the server applies.
#[tokio::test]
async fn form_schemas_publish_their_limits() {
    let app = spawn_app().await;
    let detail: Value = app
        .get("/v1/procedures/simple_theft")
        .await
        .json()
        .await
        .unwrap();
    let properties = &detail["form_schema"]["properties"];
    assert_eq!(properties["circumstances"]["maxLength"], 4000);
    assert_eq!(properties["items"]["maxItems"], 20);
    let item = &properties["items"]["items"]["properties"];
    assert_eq!(
        item["brand"]["maxLength"],
        domain::limits::ITEM_TEXT_MAX_CHARS
    );
    assert_eq!(
        item["colour"]["maxLength"],
        domain::limits::ITEM_COLOUR_MAX_CHARS
    );
    assert_eq!(
        item["estimated_value_eur"]["maximum"],
        domain::limits::ITEM_VALUE_MAX_EUR
    );
}

//! The catalogue and the eligibility check over HTTP: languages, caching, the rules of
//! the source documents, and every form schema checked by an independent validator.

use serde_json::{json, Value};
use tests::{assert_problem, spawn_app, spawn_app_with, TestApp};

async fn get_json(app: &TestApp, path: &str) -> Value {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

async fn check(app: &TestApp, body: Value) -> Value {
    let response = app.post_json("/v1/eligibility-checks?lang=en", &body).await;
    assert_eq!(response.status(), 200, "{body}");
    response.json().await.unwrap()
}

fn theft(answers: &[(&str, bool)]) -> Value {
    let mut all = json!({
        "ongoing_danger": false, "injury": false, "known_author": false,
        "violence": false, "exploitable_traces": false
    });
    for (q, v) in answers {
        all[*q] = json!(v);
    }
    json!({"procedure": "simple_theft", "country": "BE", "answers": all})
}

#[tokio::test]
async fn procedures_are_listed_in_dutch() {
    let app = spawn_app().await;
    let response = app.get("/v1/procedures?lang=nl").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-language"], "nl");
    let body: Value = response.json().await.unwrap();
    let items = body["items"].as_array().unwrap();
    assert!(items.len() >= 15, "{}", items.len());
    let english = get_json(&app, "/v1/procedures?lang=en").await;
    for (nl, en) in items.iter().zip(english["items"].as_array().unwrap()) {
        assert!(!nl["name"].as_str().unwrap().is_empty());
        assert!(!nl["description"].as_str().unwrap().is_empty());
        assert_ne!(nl["name"], en["name"], "{} is not translated", nl["code"]);
    }
    assert_eq!(items[0]["name"], "Klacht voor eenvoudige diefstal");
}

#[tokio::test]
async fn language_is_negotiated_with_q_values_and_fallbacks() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/v1/procedures/simple_theft"))
        .header("accept-language", "ja;q=1, de-LU;q=0.8, fr;q=0.5")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-language"], "de");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["name"], "Anzeige wegen einfachen Diebstahls");
    // Luxembourgish falls back to German; Catalan texts exist for Catalonia's procedures.
    let lb = get_json(&app, "/v1/procedures/simple_theft?lang=lb").await;
    assert_eq!(lb["name"], "Anzeige wegen einfachen Diebstahls");
    let ca = get_json(&app, "/v1/procedures/simple_theft?lang=ca").await;
    assert_eq!(ca["name"], "Denúncia per furt");
    // Problems are localized too.
    let response = app
        .client
        .get(app.url("/v1/procedures/nope"))
        .header("accept-language", "nl")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-language"], "nl");
    let problem = assert_problem(response, 404, "procedure_not_found").await;
    assert_eq!(problem["title"], "Onbekende procedure");
}

#[tokio::test]
async fn filters_select_country_and_declarant() {
    let app = spawn_app().await;
    let lu_business = get_json(&app, "/v1/procedures?country=LU&declarant=business").await;
    let codes: Vec<&str> = lu_business["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"fuel_drive_off"), "{codes:?}");
    assert!(codes.contains(&"found_object"));
    assert!(
        !codes.contains(&"simple_theft"),
        "a business does not file a simple theft"
    );
    assert!(!codes.contains(&"shoplifting"), "shoplifting is BE only");

    let problem = assert_problem(
        app.get("/v1/procedures?country=XX").await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["pointer"], "/query/country");
    let problem = assert_problem(
        app.get("/v1/procedures?country=BE&country=FR").await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["pointer"], "/query/country");
    assert_eq!(problem["errors"][0]["code"], "repeated_parameter");
}

#[tokio::test]
async fn a_deployment_can_disable_countries() {
    let app = spawn_app_with(|s| s.catalogue.countries = vec!["BE".into()]).await;
    let all = get_json(&app, "/v1/procedures").await;
    for item in all["items"].as_array().unwrap() {
        assert_eq!(item["countries"], json!(["BE"]), "{}", item["code"]);
    }
    assert_problem(
        app.get("/v1/procedures/fuel_drive_off").await,
        404,
        "procedure_not_found",
    )
    .await;
    let response = app
        .post_json(
            "/v1/eligibility-checks",
            &json!({"procedure": "simple_theft", "country": "LU", "answers": {}}),
        )
        .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["pointer"], "/country");
}

#[tokio::test]
async fn reference_data_is_cacheable() {
    let app = spawn_app().await;
    for path in [
        "/v1/procedures?lang=fr",
        "/v1/procedures/online_scam?lang=fr",
    ] {
        let first = app.get(path).await;
        assert_eq!(first.headers()["cache-control"], "public, max-age=300");
        assert_eq!(first.headers()["vary"], "Accept-Language");
        let etag = first.headers()["etag"].to_str().unwrap().to_owned();
        let again = app
            .client
            .get(app.url(path))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(again.headers()["etag"], etag.as_str());
        assert!(again.bytes().await.unwrap().is_empty());
        let stale = app
            .client
            .get(app.url(path))
            .header("if-none-match", "\"something-else\"")
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status(), 200);
        let other_language = app.get(&path.replace("fr", "nl")).await;
        assert_ne!(other_language.headers()["etag"], etag.as_str());
    }
}

#[tokio::test]
async fn every_form_schema_is_valid_and_accepts_a_sample() {
    let app = spawn_app().await;
    let catalogue = domain::catalogue::Catalogue::builtin().unwrap();
    for procedure in &catalogue.procedures {
        for lang in &procedure.languages {
            let detail = get_json(
                &app,
                &format!("/v1/procedures/{}?lang={lang}", procedure.code),
            )
            .await;
            let schema = &detail["form_schema"];
            jsonschema::meta::validate(schema)
                .unwrap_or_else(|e| panic!("{} ({lang}): invalid schema: {e}", procedure.code));
            let validator = jsonschema::validator_for(schema).unwrap();
            let sample = catalogue.sample_facts(procedure, chrono::Utc::now());
            let errors: Vec<String> = validator
                .iter_errors(&sample)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{}: {errors:?}", procedure.code);
            // An unknown field and a missing required field are refused by the schema too.
            let mut bad = sample.clone();
            bad["status"] = json!("registered");
            assert!(!validator.is_valid(&bad), "{}", procedure.code);
            // Labels are text, for screen readers.
            for (name, property) in schema["properties"].as_object().unwrap() {
                assert!(
                    property["title"].as_str().is_some_and(|t| !t.is_empty()),
                    "{} {name} ({lang})",
                    procedure.code
                );
            }
            for question in detail["questionnaire"].as_array().unwrap() {
                assert!(!question["text"].as_str().unwrap().is_empty());
            }
        }
    }
}

#[tokio::test]
async fn the_four_theft_conditions_are_enforced_one_by_one() {
    let app = spawn_app().await;
    let ok = check(&app, theft(&[])).await;
    assert_eq!(ok["outcome"], "eligible");
    assert_eq!(ok["competence"]["scope"], "local");
    assert_eq!(ok["emergency_numbers"], json!(["101", "112"]));

    for (question, redirect) in [
        ("known_author", "police_station"),
        ("violence", "police_station"),
        ("exploitable_traces", "police_station"),
        ("injury", "emergency"),
    ] {
        let result = check(&app, theft(&[(question, true)])).await;
        assert_eq!(result["outcome"], "not_eligible", "{question}");
        let reasons = result["reasons"].as_array().unwrap();
        assert_eq!(reasons.len(), 1, "{question}: {reasons:?}");
        assert_eq!(reasons[0]["code"], question);
        assert_eq!(reasons[0]["question"], question);
        assert_eq!(reasons[0]["redirect"]["kind"], redirect);
        assert!(!reasons[0]["explanation"].as_str().unwrap().is_empty());
        assert_eq!(result["redirects"][0]["kind"], redirect);
    }
}

#[tokio::test]
async fn an_injury_in_luxembourg_names_113_and_112() {
    let app = spawn_app().await;
    let mut body = theft(&[("injury", true)]);
    body["country"] = json!("LU");
    let result = check(&app, body).await;
    assert_eq!(
        result["reasons"][0]["redirect"]["emergency_numbers"],
        json!(["113", "112"])
    );
    assert_eq!(result["redirects"][0]["kind"], "emergency");
    assert_eq!(
        result["redirects"][0]["emergency_numbers"],
        json!(["113", "112"])
    );
    // France: 17 and 112.
    let mut body = theft(&[("ongoing_danger", true), ("known_author", true)]);
    body["country"] = json!("FR");
    let result = check(&app, body).await;
    assert_eq!(
        result["redirects"][0]["emergency_numbers"],
        json!(["17", "112"])
    );
    assert_eq!(result["redirects"][1]["kind"], "police_station");
}

#[tokio::test]
async fn danger_comes_first_even_with_missing_answers() {
    let app = spawn_app().await;
    let result = check(
        &app,
        json!({"procedure": "simple_theft", "country": "BE", "answers": {"ongoing_danger": true}}),
    )
    .await;
    assert_eq!(result["outcome"], "not_eligible");
    assert_eq!(
        result["redirects"][0]["emergency_numbers"],
        json!(["101", "112"])
    );
}

#[tokio::test]
async fn a_fuel_drive_off_by_a_private_person_is_not_eligible() {
    let app = spawn_app().await;
    let answers = json!({"ongoing_danger": false, "injury": false, "violence": false});
    let operator = check(
        &app,
        json!({"procedure": "fuel_drive_off", "country": "LU", "declarant": "business", "answers": answers}),
    )
    .await;
    assert_eq!(operator["outcome"], "eligible");
    let private = check(
        &app,
        json!({"procedure": "fuel_drive_off", "country": "LU", "declarant": "person", "answers": answers}),
    )
    .await;
    assert_eq!(private["outcome"], "not_eligible");
    assert_eq!(private["reasons"][0]["code"], "declarant_not_allowed");
    assert!(private["reasons"][0]["explanation"]
        .as_str()
        .unwrap()
        .contains("business"));
}

#[tokio::test]
async fn each_online_scam_kind_is_eligible_with_national_competence() {
    let app = spawn_app().await;
    // The kind is asked once, in the facts form (no longer in the questionnaire); an
    // answer saved before the change is still accepted and does not change the outcome.
    let detail = get_json(&app, "/v1/procedures/online_scam").await;
    let kinds: Vec<String> = detail["form_schema"]["properties"]["scam_kind"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["const"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds.len(), 6);
    for kind in kinds {
        let result = check(
            &app,
            json!({"procedure": "online_scam", "country": "FR", "answers": {
                "scam_kind": kind, "ongoing_danger": false, "illegal_content_only": false
            }}),
        )
        .await;
        assert_eq!(result["outcome"], "eligible", "{kind}");
        assert_eq!(
            result["competence"],
            json!({"scope": "national", "unit": "fr-ofac-thesee"})
        );
    }
}

#[tokio::test]
async fn missing_unknown_and_invalid_answers_are_422_with_pointers() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/v1/eligibility-checks",
            &json!({"procedure": "simple_theft", "country": "BE", "answers": {"injury": false}}),
        )
        .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(
        pointers,
        [
            "/answers/ongoing_danger",
            "/answers/known_author",
            "/answers/violence",
            "/answers/exploitable_traces"
        ]
    );
    assert!(problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["code"] == "required"));

    let mut body = theft(&[]);
    body["answers"]["favourite_colour"] = json!(true);
    body["answers"]["injury"] = json!(3);
    let problem = assert_problem(
        app.post_json("/v1/eligibility-checks", &body).await,
        422,
        "validation_failed",
    )
    .await;
    let errors = problem["errors"].as_array().unwrap();
    assert_eq!(errors[0]["pointer"], "/answers/injury");
    assert_eq!(errors[0]["code"], "invalid_answer");

    let problem = assert_problem(
        app.post_json(
            "/v1/eligibility-checks",
            &json!({"procedure": "nope", "country": "ZZ", "declarant": "robot", "answers": {}}),
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
    assert_eq!(pointers, ["/procedure", "/country", "/declarant"]);
}

#[tokio::test]
async fn bad_bodies_get_problems_saying_what_and_where() {
    let app = spawn_app_with(|s| s.server.body_limit_bytes = 2048).await;
    let url = app.url("/v1/eligibility-checks");
    // Malformed JSON: 400, with line and column.
    let response = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body("{\n  \"procedure\": \"simple_theft\",\n  oops\n}")
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 400, "malformed_json").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("line 3"),
        "{problem}"
    );
    // Wrong content type: 415.
    let response = app
        .client
        .post(&url)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_problem(response, 415, "unsupported_media_type").await;
    // Over the limit: 413, naming it.
    let big = json!({"procedure": "x".repeat(4000), "country": "BE", "answers": {}});
    let problem = assert_problem(
        app.post_json("/v1/eligibility-checks", &big).await,
        413,
        "payload_too_large",
    )
    .await;
    assert!(
        problem["detail"].as_str().unwrap().contains("2048"),
        "{problem}"
    );
    // A field nobody may set is rejected, not ignored.
    let mut body = theft(&[]);
    body["status"] = json!("registered");
    let problem = assert_problem(
        app.post_json("/v1/eligibility-checks", &body).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["pointer"], "/status");
    assert_eq!(problem["errors"][0]["code"], "unknown_field");
    // A field of the wrong type is located.
    let problem = assert_problem(
        app.post_json(
            "/v1/eligibility-checks",
            &json!({"procedure": 7, "country": "BE", "answers": {}}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["pointer"], "/procedure");
}

#[tokio::test]
async fn guidance_links_procedures_platforms_and_emergency_numbers() {
    let app = spawn_app().await;
    let all = get_json(&app, "/v1/guidance?lang=fr").await;
    let ids: Vec<&str> = all["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["victim", "report", "information"]);
    assert_eq!(all["nodes"][0]["label"], "Je suis victime");

    let fr = get_json(&app, "/v1/guidance?country=FR&lang=en").await;
    let victim = &fr["nodes"][0]["links"];
    assert_eq!(victim[0]["kind"], "emergency");
    assert_eq!(victim[0]["emergency_numbers"], json!(["17", "112"]));
    let procedures: Vec<&str> = fr["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|n| n["links"].as_array().unwrap())
        .filter_map(|l| l["procedure"].as_str())
        .collect();
    assert!(procedures.contains(&"online_scam"));
    assert!(!procedures.contains(&"fuel_drive_off"), "LU only");
    let platforms: Vec<&Value> = fr["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|n| n["links"].as_array().unwrap())
        .filter(|l| l["kind"] == "platform")
        .collect();
    assert_eq!(platforms.len(), 2);
    assert!(platforms
        .iter()
        .all(|p| p["url"].as_str().unwrap().starts_with("https://")));

    let be = get_json(&app, "/v1/guidance?country=BE").await;
    assert!(!be.to_string().contains("pharos"), "Pharos is French");
    assert_problem(
        app.get("/v1/guidance?country=XX").await,
        422,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn advice_is_listed_by_theme_and_read_in_the_readers_language() {
    let app = spawn_app().await;
    let all = get_json(&app, "/v1/advice?lang=de").await;
    assert!(all["items"].as_array().unwrap().len() >= 5);
    let scams = get_json(&app, "/v1/advice?theme=scams").await;
    assert_eq!(scams["items"].as_array().unwrap().len(), 1);

    let article = get_json(&app, "/v1/advice/bicycle-theft?lang=nl").await;
    assert_eq!(article["title"], "Houd uw fiets");
    assert!(article["paragraphs"].as_array().unwrap().len() >= 3);
    assert_eq!(article["related_procedures"][0]["code"], "bicycle_theft");
    assert_eq!(
        article["related_procedures"][0]["name"],
        "Klacht voor fietsdiefstal"
    );
    // Spanish and Catalan readers get their own texts (issue 12, item 7).
    let es = get_json(&app, "/v1/advice/bicycle-theft?lang=es").await;
    assert_eq!(es["title"], "Cuide su bicicleta");
    assert_eq!(es["language"], "es");

    assert_problem(app.get("/v1/advice/nope").await, 404, "advice_not_found").await;
}

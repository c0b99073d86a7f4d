//! Open311 GeoReport v2 (issue 22, docs/OPEN311.md), driven by existing Open311 clients
//! (`georeport`, `three`: tests/open311/client.py) and checked against JSON Schemas
//! written from the specification; the officer API shows where the requests went.

use futures_util::StreamExt;
use serde_json::{json, Value};
use tests::{spawn_app, TestApp};

const CLIENT: &str = include_str!("../../open311/client.py");
/// Louvain-la-Neuve: routed to the zone of Ottignies-Louvain-la-Neuve.
const LAT: f64 = 50.6741;
const LON: f64 = 4.5702;
const ZONE: &str = "zp-ottignies-louvain-la-neuve";

/// Registers a partner and issues its Open311 key.
async fn partner_key(app: &TestApp, id: &str) -> String {
    let admin = app
        .dev_token(json!({"kind": "officer", "subject": "admin-1", "role": "admin", "units": []}))
        .await;
    let registered = app
        .client
        .post(app.url("/v1/partners"))
        .bearer_auth(&admin)
        .json(&json!({"id": id, "name": "FixMyStreet", "kind": "other",
                      "client_ids": [format!("{id}-client")], "quota_per_minute": 100000}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        registered.status(),
        201,
        "{}",
        registered.text().await.unwrap()
    );
    let key: Value = app
        .client
        .post(app.url(&format!("/v1/partners/{id}/open311-key")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    key["api_key"].as_str().unwrap().to_owned()
}

/// Runs the Open311 clients over `steps` and returns what they saw.
fn drive(app: &TestApp, api_key: &str, steps: Value) -> Value {
    let input = json!({"base": app.url("/open311/v2"), "api_key": api_key, "steps": steps});
    let out = tests::python::run_script(
        CLIENT,
        input.to_string().as_bytes(),
        "the Open311 clients (tests/open311/client.py)",
    );
    serde_json::from_slice(&out).unwrap()
}

fn graffiti(known_author: bool, extra: Value) -> Value {
    let mut fields = json!({
        "lat": LAT, "long": LON, "address_string": "Rue des Wallons 12, 1348 Louvain-la-Neuve",
        "email": "reporter@example.be", "first_name": "Ada", "last_name": "Lovelace",
        "phone": "+32470000000", "account_id": "fms-42",
        "description": "SECRETTAG sprayed on the school wall",
        "attribute[ongoing_danger]": "false",
        "attribute[known_author]": if known_author { "true" } else { "false" },
        "attribute[surface]": "wall", "attribute[area_m2]": "3.5",
    });
    for (k, v) in extra.as_object().unwrap() {
        fields[k] = v.clone();
    }
    json!({"kind": "post", "service_code": "graffiti-BE", "fields": fields})
}

#[tokio::test]
async fn open311_discovery_services_and_definitions_validate_in_json_and_xml() {
    let app = spawn_app().await;
    let key = partner_key(&app, "fixmystreet-be").await;
    let seen = drive(
        &app,
        &key,
        json!([{"kind": "discovery"}, {"kind": "services"}]),
    );

    let endpoint = &seen["discovery"]["endpoints"][0];
    assert_eq!(
        endpoint["specification"],
        "http://wiki.open311.org/GeoReport_v2"
    );
    assert_eq!(endpoint["formats"], json!(["application/json", "text/xml"]));
    assert_eq!(seen["discovery_xml_equal"], true);

    let codes: Vec<&str> = seen["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["service_code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        ["graffiti-BE", "property_damage-BE", "found_object-LU"]
    );
    assert_eq!(
        seen["services"][0]["service_name"],
        "Complaint for graffiti"
    );
    assert_eq!(seen["services_xml_equal"], true);

    let graffiti = &seen["definitions"]["graffiti-BE"];
    assert_eq!(graffiti["xml_equal"], true);
    let attributes: Vec<(String, String, bool)> = graffiti["json"]["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["code"].as_str().unwrap().to_owned(),
                a["datatype"].as_str().unwrap().to_owned(),
                a["required"].as_bool().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("ongoing_danger", "singlevaluelist", true),
        ("known_author", "singlevaluelist", true),
        ("surface", "singlevaluelist", true),
        ("area_m2", "number", false),
        ("circumstances", "text", true),
        ("facts_datetime", "datetime", false),
    ]
    .map(|(c, d, r)| (c.to_owned(), d.to_owned(), r));
    assert_eq!(attributes, expected);
    let surface = &graffiti["json"]["attributes"][2];
    assert_eq!(surface["description"], "Where is the graffiti?");
    assert_eq!(surface["values"][1], json!({"key": "wall", "name": "Wall"}));
    for code in ["property_damage-BE", "found_object-LU"] {
        assert_eq!(seen["definitions"][code]["xml_equal"], true, "{code}");
    }
    // found objects: a short text is a `string`.
    let found = seen["definitions"]["found_object-LU"]["json"]["attributes"]
        .as_array()
        .unwrap()
        .clone();
    assert!(found
        .iter()
        .any(|a| a["code"] == "object_description" && a["datatype"] == "text"));
}

#[tokio::test]
async fn open311_post_files_a_routed_filing_that_the_public_sees_without_personal_data() {
    let app = spawn_app().await;
    let key = partner_key(&app, "fixmystreet-be").await;
    let seen = drive(&app, &key, json!([graffiti(false, json!({}))]));
    let post = &seen["posts"][0];
    assert_eq!(post["status"], 201, "{post}");
    let id = post["body"][0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = post["body"][0]["token"].as_str().unwrap().to_owned();

    // The filing is in the competent unit's queue, with the form's facts.
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-1", "units": [ZONE]}))
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
    let item = &queue["items"][0];
    assert_eq!(item["procedure"], "graffiti", "{queue}");
    assert_eq!(item["status"], "submitted");
    assert_eq!(item["channel"], "fixmystreet-be");
    assert_eq!(queue["items"].as_array().unwrap().len(), 1);

    // The public reads it by id, by token and in the listing: nothing personal, the
    // place as the centre of a grid cell at least 500 m wide.
    let seen = drive(
        &app,
        &key,
        json!([
            {"kind": "token", "token": token},
            {"kind": "request", "id": id},
            {"kind": "requests"},
        ]),
    );
    assert_eq!(seen["tokens"][0][0]["service_request_id"], id.as_str());
    let public = &seen["request"][0]["json"];
    assert_eq!(seen["request"][0]["xml_equal"], true);
    assert_eq!(seen["requests"][0]["count"], 1);
    assert_eq!(seen["requests"][0]["xml_equal"], true);
    let mut members: Vec<&str> = public
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    members.sort_unstable();
    assert_eq!(
        members,
        [
            "lat",
            "long",
            "requested_datetime",
            "service_code",
            "service_name",
            "service_request_id",
            "status",
            "status_notes"
        ]
    );
    assert_eq!(public["status"], "open");
    // The status's public note, in the request's language (English by default); no
    // media_url: no media of a request is public.
    assert_eq!(
        public["status_notes"],
        "Received: waiting for the police unit of the place to take it in charge."
    );
    let text = seen.to_string();
    for personal in [
        "SECRETTAG",
        "Wallons",
        "Ada",
        "Lovelace",
        "reporter@",
        "+3247",
        "fms-42",
    ] {
        assert!(!text.contains(personal), "{personal} in {text}");
    }
    let (lat, lon) = (
        public["lat"].as_f64().unwrap(),
        public["long"].as_f64().unwrap(),
    );
    assert_ne!((lat, lon), (LAT, LON));
    let (dlat, dlon) = (
        (lat - LAT) * 111_320.0,
        (lon - LON) * 111_320.0 * LAT.to_radians().cos(),
    );
    let offset = (dlat * dlat + dlon * dlon).sqrt();
    // The default grid is 1000 m: within half a diagonal of the true place.
    assert!(offset <= 710.0, "{offset} m");
    // An independent check of the grid: a cell's centre, rows 1000 m of latitude apart.
    let row = (lat * 111_320.0 / 1000.0 - 0.5).round();
    assert!(
        (lat * 111_320.0 / 1000.0 - 0.5 - row).abs() < 1e-3,
        "{lat} is no row centre"
    );

    // Taken in charge: the note follows the status, in the language asked for, in JSON
    // and in XML.
    let filing = item["id"].as_str().unwrap();
    let take = app
        .client
        .post(app.url(&format!("/v1/units/{ZONE}/filings/{filing}/take-in-charge")))
        .bearer_auth(&officer)
        .header("if-match", format!("\"v{}\"", item["version"]))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(take.status(), 200);
    let french: Value = app
        .client
        .get(app.url(&format!("/open311/v2/requests/{id}.json")))
        .header("accept-language", "fr")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(french[0]["status"], "open");
    assert_eq!(
        french[0]["status_notes"], "Un policier la traite.",
        "{french}"
    );
    let xml = app
        .client
        .get(app.url(&format!("/open311/v2/requests/{id}.xml")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        xml.contains("<status_notes>A police officer is handling it.</status_notes>"),
        "{xml}"
    );
    assert!(!xml.contains("media_url"), "{xml}");
    let seen = drive(&app, &key, json!([{"kind": "request", "id": id}]));
    assert_eq!(seen["request"][0]["xml_equal"], true, "{seen}");
    assert_eq!(
        seen["request"][0]["json"]["status_notes"],
        "A police officer is handling it."
    );

    // In XML too, with its error format for a refusal.
    let seen = drive(
        &app,
        &key,
        json!([{"kind": "post_xml", "service_code": "graffiti-BE", "api_key": "nope",
                "fields": {"lat": LAT, "long": LON}}]),
    );
    assert_eq!(seen["posts_xml"][0]["status"], 403);
    assert_eq!(
        seen["posts_xml"][0]["body"]["errors"]["error"]["code"],
        "403"
    );
}

#[tokio::test]
async fn open311_refusals_are_in_the_specification_error_format() {
    let app = spawn_app().await;
    let key = partner_key(&app, "fixmystreet-be").await;
    let mut bad_key = graffiti(false, json!({}));
    bad_key["fields"]["api_key"] = json!("o311_not-a-key");
    let seen = drive(
        &app,
        &key,
        json!([
            bad_key,
            graffiti(true, json!({})),
            graffiti(false, json!({"attribute[surface]": "roof", "attribute[area_m2]": "big"})),
            graffiti(false, json!({"lat": "", "long": ""})),
            {"kind": "post", "service_code": "simple_theft-BE", "fields": {"lat": LAT, "long": LON}},
            {"kind": "error", "path": "/services/nothing-BE.xml"},
            {"kind": "error", "path": "/requests/unknown.json"},
            {"kind": "error", "path": "/requests.json", "params": {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}},
            {"kind": "error", "path": "/requests.json", "params": {"start_date": "yesterday"}},
            {"kind": "error", "path": "/nowhere.json"},
        ]),
    );
    let posts = seen["posts"].as_array().unwrap();
    assert_eq!(posts[0]["status"], 403);
    assert_eq!(posts[0]["body"][0]["code"], 403);
    // Not eligible: our explanation of the refusal, in the specification's format.
    assert_eq!(posts[1]["status"], 400);
    let explanation = posts[1]["body"][0]["description"].as_str().unwrap();
    assert!(explanation.contains("station"), "{explanation}");
    assert_eq!(posts[2]["status"], 400);
    let described: Vec<&str> = posts[2]["body"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["description"].as_str().unwrap())
        .collect();
    // One error per attribute, each naming it (in the order the form sent them).
    assert_eq!(described.len(), 2, "{described:?}");
    for attribute in ["attribute[surface]: ", "attribute[area_m2]: "] {
        assert!(
            described.iter().any(|d| d.starts_with(attribute)),
            "{attribute} in {described:?}"
        );
    }
    assert_eq!(posts[3]["status"], 400);
    assert!(posts[3]["body"][0]["description"]
        .as_str()
        .unwrap()
        .contains("lat"));
    assert_eq!(posts[4]["status"], 400, "a service not offered");
    let errors = seen["errors"].as_array().unwrap();
    let statuses: Vec<u64> = errors
        .iter()
        .map(|e| e["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [404, 404, 400, 400, 404]);
    assert!(errors[0]["content_type"]
        .as_str()
        .unwrap()
        .starts_with("text/xml"));
    assert!(errors[1]["content_type"]
        .as_str()
        .unwrap()
        .starts_with("application/json"));
    assert!(errors[2]["body"][0]["description"]
        .as_str()
        .unwrap()
        .contains("90"));

    // Nothing was filed by the refused requests.
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-1", "units": [ZONE]}))
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
    assert_eq!(queue["items"], json!([]));
}

#[tokio::test]
async fn open311_listing_filters_by_id_code_status_and_window_and_caps_at_1000() {
    let app = spawn_app().await;
    let key = partner_key(&app, "fixmystreet-be").await;
    let started = std::time::Instant::now();
    // 1001 anonymous requests (each its own reporter: no daily quota), 8 at a time.
    let bodies = (0..1001).map(|i| {
        let lat = LAT + f64::from(i % 7) * 0.0001;
        format!(
            "api_key={key}&service_code=graffiti-BE&lat={lat}&long={LON}\
             &attribute[ongoing_danger]=false&attribute[known_author]=false\
             &attribute[surface]=facade&description=tag+{i}"
        )
    });
    let statuses: Vec<u16> = futures_util::stream::iter(bodies)
        .map(|body| {
            let request = app
                .client
                .post(app.url("/open311/v2/requests.json"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body);
            async move { request.send().await.unwrap().status().as_u16() }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    eprintln!("1001 Open311 requests in {:?}", started.elapsed());

    let now = chrono::Utc::now();
    let old = (now - chrono::Duration::days(200)).to_rfc3339();
    let seen = drive(
        &app,
        &key,
        json!([
            {"kind": "requests"},
            {"kind": "requests", "params": {"service_code": "found_object-LU"}},
            {"kind": "requests", "params": {"status": "closed"}},
            {"kind": "requests", "params": {"status": "open", "service_code": "graffiti-BE"}},
            {"kind": "requests", "params": {"start_date": old}},
        ]),
    );
    let counts: Vec<u64> = seen["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["count"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, [1000, 0, 0, 1000, 0]);
    assert_eq!(seen["requests"][0]["xml_equal"], true);
    // Newest first; an id names one request whatever the window.
    let newest = &seen["requests"][0]["documents"][0];
    let id = newest["service_request_id"].as_str().unwrap();
    let seen = drive(
        &app,
        &key,
        json!([{"kind": "requests", "params": {"service_request_id": id, "start_date": old}}]),
    );
    assert_eq!(seen["requests"][0]["count"], 1);
    assert_eq!(
        seen["requests"][0]["documents"][0]["service_request_id"],
        id
    );
}

const BIN: &str = env!("CARGO_BIN_EXE_ecommissariat-under-test");

/// `ecommissariat partners ARGS` on the app's database.
fn partners_cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    std::process::Command::new(BIN)
        .arg("partners")
        .args(args)
        .env("DATABASE_URL", app.db.url())
        .env("ECOM__DATABASE__DATA_DIR", app.data_dir())
        .env_remove("ECOM_CONFIG")
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn issued_key(app: &TestApp, partner: &str) -> String {
    let output = partners_cli(app, &["open311-key", partner]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let issued: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(issued["partner_id"], partner);
    let key = issued["api_key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("o311_") && key.len() == 48, "{key}");
    key
}

#[tokio::test]
async fn open311_keys_are_issued_and_rotated_from_the_command_line() {
    let app = spawn_app().await;
    let added = partners_cli(
        &app,
        &[
            "add",
            "--id",
            "fms-cli",
            "--name",
            "FixMyStreet",
            "--kind",
            "other",
            "--client-id",
            "fms-cli-client",
        ],
    );
    assert!(added.status.success(), "{added:?}");
    let first = issued_key(&app, "fms-cli");
    let seen = drive(&app, &first, json!([graffiti(false, json!({}))]));
    assert_eq!(seen["posts"][0]["status"], 201, "{seen}");

    // Rotation: a new key works, the previous one no longer does.
    let second = issued_key(&app, "fms-cli");
    assert_ne!(first, second);
    let old = drive(&app, &first, json!([graffiti(false, json!({}))]));
    assert_eq!(old["posts"][0]["status"], 403, "{old}");
    let new = drive(
        &app,
        &second,
        json!([graffiti(false, json!({"account_id": "fms-43"}))]),
    );
    assert_eq!(new["posts"][0]["status"], 201, "{new}");

    // An unknown partner: one line naming the cause, exit 1.
    let missing = partners_cli(&app, &["open311-key", "nobody"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no partner nobody"));

    // Both issues are audited as the command line's (no key in the trail).
    app.wait_sealed().await;
    let auditor = app
        .dev_token(json!({"kind": "officer", "subject": "dpo", "role": "auditor", "units": [ZONE]}))
        .await;
    let page: Value = app
        .client
        .get(app.url("/v1/audit-events?object_type=partner&limit=500"))
        .bearer_auth(&auditor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let issues: Vec<&Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "issue_open311_key")
        .collect();
    assert_eq!(issues.len(), 2, "{page}");
    for event in issues {
        assert_eq!(event["actor_role"], "system");
        assert_eq!(event["object_id"], "fms-cli");
    }
    let trail = page.to_string();
    assert!(!trail.contains(&first) && !trail.contains(&second));
}

/// Every Open311 answer says which languages its texts are in (`Content-Language`, a
/// list when a services list mixes them, with `Vary: Accept-Language`), and a service's
/// definition reads in one language: its procedure's texts and ours (the date's and
/// yes/no's) alike (reported from outside: a Catalan reader got French questions and a
/// Catalan `facts_datetime`).
#[tokio::test]
async fn open311_answers_name_their_languages_and_a_definition_reads_in_one() {
    let app = spawn_app().await;
    let when = [
        ("en", "When did it happen?"),
        ("fr", "Quand est-ce arrivé"),
        ("nl", "Wanneer is het gebeurd"),
        ("de", "Wann ist es passiert"),
        ("es", "¿Cuándo ocurrió?"),
        ("ca", "Quan va passar?"),
    ];
    let get = |path: &str, lang: &str| {
        app.client
            .get(app.url(&format!("/open311/v2{path}")))
            .header("accept-language", lang)
            .send()
    };
    for (lang, _) in when {
        for path in [
            "/discovery.json",
            "/services.json",
            "/services.xml",
            "/services/graffiti-BE.json",
            "/services/found_object-LU.xml",
            "/requests.json",
            "/services/nothing-BE.json",
        ] {
            let response = get(path, lang).await.unwrap();
            let named = response
                .headers()
                .get("content-language")
                .unwrap_or_else(|| panic!("{path} in {lang}: no Content-Language"))
                .to_str()
                .unwrap()
                .to_owned();
            assert!(
                named.split(", ").all(|l| when.iter().any(|(w, _)| *w == l)),
                "{path} in {lang}: {named}"
            );
            if response.status().is_success() {
                assert_eq!(response.headers()["vary"], "Accept-Language", "{path}");
            }
        }
        let response = get("/services/graffiti-BE.json", lang).await.unwrap();
        let served = response.headers()["content-language"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(!served.contains(','), "one language: {served}");
        let definition: Value = response.json().await.unwrap();
        let date = definition["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["code"] == "facts_datetime")
            .unwrap()["description"]
            .as_str()
            .unwrap()
            .to_owned();
        let (_, expected) = when.iter().find(|(w, _)| *w == served).unwrap();
        assert!(
            date.starts_with(expected),
            "asked {lang}, served {served}: {date}"
        );
    }
}

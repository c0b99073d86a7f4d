//! The directory over HTTP and from the command line: units, opening hours, routing by
//! the place of the facts, municipality search, operator imports picked up live.

use serde_json::{json, Value};
use std::process::Command;
use tests::{assert_problem, spawn_app, spawn_app_with, TestApp};

async fn get_json(app: &TestApp, path: &str) -> Value {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn places_route_to_the_competent_zone_or_say_why_not() {
    let app = spawn_app().await;
    // A bicycle stolen at the station of Ottignies.
    let ottignies = get_json(
        &app,
        "/v1/jurisdiction?procedure=bicycle_theft&lat=50.6730&lon=4.5687&lang=fr",
    )
    .await;
    assert_eq!(ottignies["outcome"], "routed");
    assert_eq!(ottignies["unit"]["id"], "zp-ottignies-louvain-la-neuve");
    assert_eq!(ottignies["municipality"]["id"], "BE-25121");
    assert_eq!(ottignies["method"], "coordinates");
    assert!(
        ottignies["explanation"]
            .as_str()
            .unwrap()
            .contains("Ottignies"),
        "{ottignies}"
    );
    // Lille is a French commune of the sample, with no unit configured: never a Belgian zone.
    let lille = get_json(
        &app,
        "/v1/jurisdiction?procedure=simple_theft&lat=50.6365&lon=3.0635",
    )
    .await;
    assert_eq!(lille["outcome"], "no_unit", "{lille}");
    assert_eq!(lille["municipality"]["id"], "FR-59350");
    // Aachen and the North Sea are outside the area.
    for (lat, lon) in [(50.7753, 6.0839), (51.45, 2.60)] {
        let outside = get_json(
            &app,
            &format!("/v1/jurisdiction?procedure=simple_theft&lat={lat}&lon={lon}"),
        )
        .await;
        assert_eq!(outside["outcome"], "out_of_area", "{lat},{lon}");
    }
    // An online scam goes to the national unit, whatever the place, even none.
    for query in ["&lat=50.6730&lon=4.5687", "&lat=43.3&lon=5.4", ""] {
        let scam = get_json(
            &app,
            &format!("/v1/jurisdiction?procedure=online_scam{query}"),
        )
        .await;
        assert_eq!(scam["outcome"], "national");
        assert_eq!(scam["unit"]["id"], "fr-ofac-thesee");
    }
}

#[tokio::test]
async fn near_a_border_the_citizen_is_asked_to_choose() {
    let app = spawn_app().await;
    let border = get_json(
        &app,
        "/v1/jurisdiction?procedure=simple_theft&lat=50.875085&lon=4.374263&lang=nl",
    )
    .await;
    assert_eq!(border["outcome"], "ambiguous", "{border}");
    let candidates = border["candidates"].as_array().unwrap();
    assert_eq!(candidates[0]["municipality"]["id"], "BE-21004");
    assert_eq!(candidates[0]["municipality"]["name"], "Brussel");
    assert_eq!(candidates[0]["distance_m"], 0.0);
    assert!(
        candidates
            .iter()
            .any(|c| c["municipality"]["id"] == "BE-21015"),
        "{candidates:?}"
    );
    assert!(candidates.iter().all(|c| c["unit"]["id"].is_string()));
    assert!(border["explanation"].as_str().unwrap().contains("gemeente"));
    // Choosing the municipality settles it.
    let chosen = get_json(
        &app,
        "/v1/jurisdiction?procedure=simple_theft&municipality=21004&country=BE",
    )
    .await;
    assert_eq!(chosen["outcome"], "routed");
    assert_eq!(chosen["unit"]["id"], "pz-brussel-hoofdstad-elsene");
    assert_eq!(chosen["method"], "municipality_code");
    // So does a postal code of one side.
    let postal = get_json(&app, "/v1/jurisdiction?procedure=simple_theft&lat=50.875085&lon=4.374263&postal_code=1030&country=BE").await;
    assert_eq!(postal["outcome"], "routed", "{postal}");
    assert_eq!(postal["municipality"]["id"], "BE-21015");
    assert_eq!(postal["method"], "coordinates_and_postal_code");
}

#[tokio::test]
async fn postal_codes_resolve_or_list_the_municipalities_sharing_them() {
    let app = spawn_app().await;
    let unique = get_json(
        &app,
        "/v1/jurisdiction?procedure=simple_theft&postal_code=1340&country=BE",
    )
    .await;
    assert_eq!(unique["outcome"], "routed");
    assert_eq!(unique["unit"]["id"], "zp-ottignies-louvain-la-neuve");
    let shared = get_json(
        &app,
        "/v1/jurisdiction?procedure=simple_theft&postal_code=1050&country=BE",
    )
    .await;
    assert_eq!(shared["outcome"], "ambiguous");
    assert_eq!(shared["candidates"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn bad_places_are_422_naming_the_parameter_and_unknown_codes_404() {
    let app = spawn_app().await;
    for (query, pointer, code, accepted) in [
        (
            "lat=NaN&lon=4",
            "/query/lat",
            "out_of_range",
            Some(("minimum", -90.0)),
        ),
        (
            "lat=91&lon=4",
            "/query/lat",
            "out_of_range",
            Some(("maximum", 90.0)),
        ),
        (
            "lat=50&lon=181",
            "/query/lon",
            "out_of_range",
            Some(("maximum", 180.0)),
        ),
        ("lat=50", "/query/lon", "required", None),
        (
            "lat=abc&lon=4",
            "/query/lat",
            "invalid_number",
            Some(("minimum", -90.0)),
        ),
        ("", "/query", "place_required", None),
        ("postal_code=1000", "/query/country", "required", None),
        (
            "lat=50&lat=51&lon=4",
            "/query/lat",
            "repeated_parameter",
            None,
        ),
    ] {
        let problem = assert_problem(
            app.get(&format!(
                "/v1/jurisdiction?procedure=simple_theft&{query}&lang=fr"
            ))
            .await,
            422,
            "validation_failed",
        )
        .await;
        let error = &problem["errors"][0];
        assert_eq!(error["pointer"], pointer, "{query}: {problem}");
        assert_eq!(error["code"], code, "{query}: {problem}");
        if let Some((member, value)) = accepted {
            assert_eq!(error[member].as_f64(), Some(value), "{query}: {problem}");
        }
        // In the request's language, with what is accepted in words.
        assert!(!error["message"].as_str().unwrap().is_empty());
        if code == "out_of_range" {
            assert!(
                error["message"].as_str().unwrap().contains("Minimum"),
                "{problem}"
            );
        }
    }
    assert_problem(
        app.get("/v1/jurisdiction?procedure=simple_theft&municipality=BE-99999")
            .await,
        404,
        "municipality_not_found",
    )
    .await;
    assert_problem(
        app.get("/v1/jurisdiction?procedure=simple_theft&postal_code=0001&country=BE")
            .await,
        404,
        "postal_code_not_found",
    )
    .await;
    assert_problem(
        app.get("/v1/jurisdiction?procedure=nope&lat=50&lon=4")
            .await,
        404,
        "procedure_not_found",
    )
    .await;
    assert_problem(
        app.get("/v1/units/no-such-unit").await,
        404,
        "unit_not_found",
    )
    .await;
}

#[tokio::test]
async fn units_are_listed_page_by_page_and_say_whether_they_are_open() {
    let app = spawn_app().await;
    let first = get_json(
        &app,
        "/v1/units?country=BE&kind=local_police_zone&limit=100",
    )
    .await;
    assert_eq!(first["items"].as_array().unwrap().len(), 100);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let second = get_json(
        &app,
        &format!("/v1/units?country=BE&kind=local_police_zone&limit=100&cursor={cursor}"),
    )
    .await;
    assert_eq!(second["items"].as_array().unwrap().len(), 76);
    assert!(second.get("next_cursor").is_none());
    let found = get_json(&app, "/v1/units?q=ottignies").await;
    assert_eq!(found["items"][0]["id"], "zp-ottignies-louvain-la-neuve");
    let by_number = get_json(&app, "/v1/units?q=5275").await;
    assert_eq!(by_number["items"][0]["id"], "zp-ottignies-louvain-la-neuve");
    assert_problem(app.get("/v1/units?limit=0").await, 422, "validation_failed").await;
    assert_problem(
        app.get("/v1/units?kind=castle").await,
        422,
        "validation_failed",
    )
    .await;

    let zone = get_json(&app, "/v1/units/zp-ottignies-louvain-la-neuve").await;
    assert!(zone["open_now"].is_boolean());
    if zone["open_now"] == true {
        assert!(zone["closes_at"].is_string());
    } else {
        assert!(zone["next_opening"].is_string());
    }
    assert_eq!(zone["service_hours"]["timezone"], "Europe/Brussels");
    assert_eq!(zone["service_hours"]["is_default"], true);
    assert_eq!(
        zone["municipalities"],
        json!([{"id": "BE-25121", "name": "Ottignies-Louvain-la-Neuve"}])
    );
    let chat = get_json(&app, "/v1/units/fr-chat-team").await;
    assert_eq!(
        chat["open_now"], true,
        "the chat team works around the clock"
    );
}

#[tokio::test]
async fn municipalities_are_found_by_prefix_in_any_language() {
    let app = spawn_app().await;
    for q in ["lieg", "LIÈGE", "Luik", "lütt"] {
        let found = get_json(
            &app,
            &format!("/v1/municipalities?country=BE&q={q}&lang=fr"),
        )
        .await;
        assert_eq!(found["items"][0]["name"], "Liège", "{q}");
    }
    let louvain = get_json(&app, "/v1/municipalities?country=BE&q=louvain").await;
    let ids: Vec<&str> = louvain["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"BE-25121"), "{ids:?}");
    let lille = get_json(&app, "/v1/municipalities?country=FR&q=lille").await;
    assert_eq!(lille["items"][0]["id"], "FR-59350");
    assert_problem(
        app.get("/v1/municipalities?country=XX&q=a").await,
        422,
        "validation_failed",
    )
    .await;
    let problem = assert_problem(
        app.get("/v1/municipalities?country=BE").await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["pointer"], "/query/q", "{problem}");
    assert_eq!(problem["errors"][0]["code"], "required", "{problem}");
}

fn operator_folder(competence: &str) -> tempfile::TempDir {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("directory.toml"),
        "dataset = \"operator-fr\"\nversion = \"1\"\n[defaults.FR]\ntimezone = \"Europe/Paris\"\nhours = \"mo-fr 09:00-17:00\"\n",
    )
    .unwrap();
    std::fs::write(
        folder.path().join("fr_territorial_competence.csv"),
        format!("commune_code,institution,service_id,service_name,postal_codes\n{competence}"),
    )
    .unwrap();
    folder
}

#[tokio::test]
async fn an_operator_import_from_the_command_line_is_picked_up_live() {
    let app = spawn_app_with(|s| s.directory.refresh_secs = 1).await;
    let bin = env!("CARGO_BIN_EXE_ecommissariat-under-test");

    // A bad row: exit 1, the report names file, line and field; nothing changes.
    let broken = operator_folder(
        "59350,PN,0001,Commissariat de Lille (SYNTHETIC TEST FIXTURE),59000\n59009,??,0002,x,\n",
    );
    let output = Command::new(bin)
        .args(["directory", "import"])
        .arg(broken.path())
        .env("DATABASE_URL", app.db.url())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("fr_territorial_competence.csv:3: field `institution`"),
        "{stderr}"
    );

    let good =
        operator_folder("59350,PN,0001,Commissariat de Lille (SYNTHETIC TEST FIXTURE),59000\n");
    let dry = Command::new(bin)
        .args(["directory", "import", "--dry-run"])
        .arg(good.path())
        .env("DATABASE_URL", app.db.url())
        .output()
        .unwrap();
    assert!(dry.status.success(), "{dry:?}");
    assert!(String::from_utf8_lossy(&dry.stdout).contains("dry run"));
    let imported = Command::new(bin)
        .args(["directory", "import"])
        .arg(good.path())
        .env("DATABASE_URL", app.db.url())
        .output()
        .unwrap();
    assert!(imported.status.success(), "{imported:?}");
    assert!(String::from_utf8_lossy(&imported.stdout)
        .contains("operator-fr 1 imported: 0 municipalities, 1 units, 1 coverage rows"));
    let again = Command::new(bin)
        .args(["directory", "import"])
        .arg(good.path())
        .env("DATABASE_URL", app.db.url())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("already imported"));

    // The running service reloads and now routes Lille to the imported unit.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let lille = get_json(
            &app,
            "/v1/jurisdiction?procedure=simple_theft&municipality=FR-59350",
        )
        .await;
        if lille["outcome"] == "routed" {
            assert_eq!(lille["unit"]["id"], "fr-pn-0001");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not reloaded: {lille}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn the_answer_follows_the_positions_own_accuracy() {
    let app = spawn_app().await;
    // The Grand-Place, with or without a phone's accuracy: never ambiguous.
    for accuracy in ["", "&accuracy_m=8", "&accuracy_m=65"] {
        let grand_place = get_json(
            &app,
            &format!("/v1/jurisdiction?procedure=simple_theft&lat=50.846750&lon=4.352470{accuracy}&lang=en"),
        )
        .await;
        assert_eq!(
            grand_place["outcome"], "routed",
            "{accuracy}: {grand_place}"
        );
        assert_eq!(grand_place["confidence"], "high");
        assert_eq!(grand_place["unit"]["id"], "pz-brussel-hoofdstad-elsene");
    }
    // 150 m from the Bruxelles|Schaerbeek border: routed with a good fix, ambiguous
    // (naming both sides) when the phone reports 250 m.
    let near = "/v1/jurisdiction?procedure=simple_theft&lat=50.862328&lon=4.355898";
    let precise = get_json(&app, &format!("{near}&accuracy_m=10")).await;
    assert_eq!(precise["outcome"], "routed", "{precise}");
    assert_eq!(precise["municipality"]["id"], "BE-21004");
    let wide = get_json(&app, &format!("{near}&accuracy_m=250&lang=en")).await;
    assert_eq!(wide["outcome"], "ambiguous", "{wide}");
    assert_eq!(wide["reason"], "near_border");
    let names: Vec<&str> = wide["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["municipality"]["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Brussels") && names.contains(&"Schaerbeek"),
        "{names:?}"
    );
    // An accuracy that is not a distance is a field error saying what is accepted.
    for (bad, code) in [("-5", "out_of_range"), ("abc", "invalid_number")] {
        let response = app.get(&format!("{near}&accuracy_m={bad}")).await;
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert_eq!(
            problem["errors"][0]["pointer"], "/query/accuracy_m",
            "{bad}"
        );
        assert_eq!(problem["errors"][0]["code"], code, "{bad}");
        assert_eq!(problem["errors"][0]["minimum"].as_f64(), Some(0.0), "{bad}");
    }
}

#[tokio::test]
async fn foreign_land_is_never_routed_to_a_belgian_zone() {
    let app = spawn_app().await;
    // Baarle-Nassau, between Baarle-Hertog's exclaves (the reported case).
    let nassau = get_json(
        &app,
        "/v1/jurisdiction?procedure=simple_theft&lat=51.4475&lon=4.92917&lang=en",
    )
    .await;
    assert_ne!(nassau["outcome"], "routed", "{nassau}");
    // Maastricht, 150 m from Lanaken, with a poor fix reaching Belgium: ambiguous with
    // one candidate and the explanation that the point is outside, not "several
    // municipalities served by different units".
    let maastricht = get_json(
        &app,
        "/v1/jurisdiction?procedure=simple_theft&lat=50.845464&lon=5.642492&accuracy_m=400&lang=en",
    )
    .await;
    assert_eq!(maastricht["outcome"], "ambiguous", "{maastricht}");
    assert_eq!(maastricht["reason"], "outside_near_edge");
    assert_eq!(maastricht["candidates"].as_array().unwrap().len(), 1);
    let explanation = maastricht["explanation"].as_str().unwrap();
    assert!(explanation.contains("outside"), "{explanation}");
    assert!(!explanation.contains("several"), "{explanation}");
    // A Baarle-Hertog exclave is Belgian.
    let exclave = get_json(
        &app,
        "/v1/jurisdiction?procedure=simple_theft&lat=51.436249&lon=4.926933",
    )
    .await;
    assert_eq!(exclave["unit"]["id"], "pz-regio-turnhout", "{exclave}");
}

#[tokio::test]
async fn disagreeing_place_fields_name_both_candidates() {
    let app = spawn_app().await;
    // Coordinates in Visé with the municipality Brussels (the reported case).
    let vise = get_json(
        &app,
        "/v1/jurisdiction?procedure=simple_theft&lat=50.7376&lon=5.6947&municipality=BE-21004&lang=fr",
    )
    .await;
    assert_eq!(vise["outcome"], "ambiguous", "{vise}");
    assert_eq!(vise["reason"], "place_fields_disagree");
    let ids: Vec<&str> = vise["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["municipality"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["BE-21004", "BE-62108"]);
    assert!(
        vise["explanation"].as_str().unwrap().contains("Visé"),
        "{vise}"
    );
    // The coordinates with a Brussels postal code.
    let postal = get_json(
        &app,
        "/v1/jurisdiction?procedure=simple_theft&lat=50.7376&lon=5.6947&postal_code=1000&country=BE",
    )
    .await;
    assert_eq!(postal["outcome"], "ambiguous", "{postal}");
    assert_eq!(postal["reason"], "place_fields_disagree");
    // A municipality with the postal code of another.
    let mixed = get_json(
        &app,
        "/v1/jurisdiction?procedure=simple_theft&municipality=BE-62108&postal_code=B-1000&country=BE",
    )
    .await;
    assert_eq!(mixed["outcome"], "ambiguous", "{mixed}");
    // Agreeing fields route.
    let agreeing = get_json(
        &app,
        "/v1/jurisdiction?procedure=simple_theft&lat=50.7376&lon=5.6947&municipality=BE-62108&postal_code=4600&country=BE",
    )
    .await;
    assert_eq!(agreeing["outcome"], "routed", "{agreeing}");
    assert_eq!(agreeing["unit"]["id"], "zp-basse-meuse");
}

#[tokio::test]
async fn postal_codes_in_every_written_form_and_unknown_ones() {
    let app = spawn_app().await;
    let gps = get_json(
        &app,
        "/v1/jurisdiction?procedure=simple_theft&lat=49.6116&lon=6.1319",
    )
    .await;
    assert_eq!(gps["outcome"], "routed", "{gps}");
    assert_eq!(gps["municipality"]["id"], "LU-luxembourg");
    for written in ["L-2449", "l-2449", "L2449", "%202449"] {
        let postal = get_json(
            &app,
            &format!("/v1/jurisdiction?procedure=simple_theft&postal_code={written}&country=LU"),
        )
        .await;
        assert_eq!(postal["unit"]["id"], gps["unit"]["id"], "{written}");
    }
    for written in ["B-1050", "%201050", "b1050"] {
        let postal = get_json(
            &app,
            &format!("/v1/jurisdiction?procedure=simple_theft&postal_code={written}&country=BE"),
        )
        .await;
        assert_eq!(postal["outcome"], "ambiguous", "{written}: 1050 is shared");
        assert_eq!(postal["reason"], "shared_postal_code");
    }
    for unknown in ["9999", "L-2449", "abcd"] {
        let response = app
            .get(&format!(
                "/v1/jurisdiction?procedure=simple_theft&postal_code={unknown}&country=BE"
            ))
            .await;
        assert_problem(response, 404, "postal_code_not_found").await;
    }
}

#[tokio::test]
async fn a_country_without_directory_is_no_unit() {
    let app = spawn_app_with(|s| s.directory.import_reference = false).await;
    let response = get_json(
        &app,
        "/v1/jurisdiction?procedure=minor_travel_authorisation&postal_code=08001&country=ES-CT&lang=ca",
    )
    .await;
    assert_eq!(response["outcome"], "no_unit", "{response}");
    assert_eq!(response["country"], "ES-CT");
}

#[tokio::test]
async fn catalan_procedures_route_to_the_abp() {
    let app = spawn_app().await;
    let girona = get_json(
        &app,
        "/v1/jurisdiction?procedure=minor_travel_authorisation&lat=41.9831&lon=2.8249&lang=es",
    )
    .await;
    assert_eq!(girona["outcome"], "routed", "{girona}");
    assert_eq!(girona["unit"]["kind"], "basic_police_area");
    let llivia = get_json(
        &app,
        "/v1/jurisdiction?procedure=minor_travel_authorisation&lat=42.4651&lon=1.9818",
    )
    .await;
    assert_eq!(llivia["municipality"]["id"], "ES-CT-17094", "{llivia}");
    assert_eq!(llivia["unit"]["id"], "es-ct-abp-32");
}

#[tokio::test]
async fn names_are_decomposition_proof_and_in_the_places_own_language() {
    let app = spawn_app().await;
    let nfd = get_json(&app, "/v1/municipalities?q=Lie%CC%80ge&country=BE").await;
    assert_eq!(nfd["items"][0]["id"], "BE-62063", "{nfd}");
    let upper = get_json(&app, "/v1/municipalities?q=LI%C3%88GE&country=BE").await;
    assert_eq!(upper["items"][0]["id"], "BE-62063");
    for lang in ["en", "es", "ca"] {
        let voeren = get_json(&app, &format!("/v1/municipalities?q=Fourons&lang={lang}")).await;
        assert_eq!(voeren["items"][0]["name"], "Voeren", "{lang}");
        let vith = get_json(
            &app,
            &format!("/v1/municipalities?q=Saint-Vith&lang={lang}"),
        )
        .await;
        assert_eq!(vith["items"][0]["name"], "Sankt Vith", "{lang}");
        let leuven = get_json(
            &app,
            &format!("/v1/jurisdiction?procedure=simple_theft&municipality=BE-24062&lang={lang}"),
        )
        .await;
        assert_eq!(leuven["municipality"]["name"], "Leuven", "{lang}");
        assert!(leuven["explanation"].as_str().unwrap().contains("Leuven"));
        assert!(!leuven["explanation"].as_str().unwrap().contains("Louvain"));
    }
    let galmaarden = get_json(&app, "/v1/municipalities?q=Galmaarden&lang=en").await;
    assert_eq!(galmaarden["items"][0]["id"], "BE-23106", "{galmaarden}");
    assert_eq!(
        galmaarden["items"][0]["found_as"]["kind"],
        "merged_municipality"
    );
    assert_eq!(
        galmaarden["items"][0]["found_as"]["note"],
        "Galmaarden → Pajottegem since 2025-01-01"
    );
    let luxembourg = get_json(&app, "/v1/municipalities?q=L-2449").await;
    assert_eq!(
        luxembourg["items"][0]["id"], "LU-luxembourg",
        "{luxembourg}"
    );
}

#[tokio::test]
async fn a_supervisor_corrects_their_units_contact_and_it_is_audited() {
    let app = spawn_app().await;
    const ZONE: &str = "pz-pajottenland";
    let public = get_json(&app, &format!("/v1/units/{ZONE}")).await;
    assert_eq!(public["contact"]["phone"], "+3254313501", "{public}");
    let details = public["contact_details"].as_array().unwrap();
    let phone = details.iter().find(|d| d["field"] == "phone").unwrap();
    assert_eq!(phone["data_as_of"], "2023-11");
    assert!(
        phone.get("source").is_none(),
        "sources are for the unit's officers"
    );

    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-1", "units": [ZONE]}))
        .await;
    let supervisor = app
        .dev_token(
            json!({"kind": "officer", "role": "supervisor", "subject": "s-1", "units": [ZONE]}),
        )
        .await;
    let other = app
        .dev_token(json!({"kind": "officer", "role": "supervisor", "subject": "s-9", "units": ["pz-gent"]}))
        .await;
    let url = app.url(&format!("/v1/units/{ZONE}/contact"));
    // Officers of the unit see every value's date and source.
    let seen: Value = app
        .client
        .get(&url)
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let phone = seen["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["field"] == "phone")
        .unwrap();
    assert_eq!(phone["data_as_of"], "2023-11");
    assert!(phone["source"].as_str().unwrap().contains("lblod"));
    // Neither an officer nor another unit's supervisor may correct it.
    for token in [&officer, &other] {
        let refused = app
            .client
            .patch(&url)
            .bearer_auth(token)
            .json(&json!({"phone": "+3254000000"}))
            .send()
            .await
            .unwrap();
        assert_problem(refused, 403, "forbidden").await;
    }
    let nothing = app
        .client
        .patch(&url)
        .bearer_auth(&supervisor)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_problem(nothing, 422, "validation_failed").await;
    // What is published must be a web link, an address and a number (reported from
    // outside: a `javascript:` website was published on the public page).
    let unsafe_values = app
        .client
        .patch(&url)
        .bearer_auth(&supervisor)
        .json(&json!({"website": "javascript:alert(document.cookie)", "email": "not an email", "phone": "<script>"}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(unsafe_values, 422, "validation_failed").await;
    let errors = tests::field_errors(&problem);
    for (pointer, code) in [
        ("/website", "invalid_url"),
        ("/email", "invalid_email"),
        ("/phone", "invalid_phone"),
    ] {
        let expected = (pointer.to_owned(), code.to_owned());
        assert!(errors.contains(&expected), "{expected:?} in {problem}");
    }
    let corrected = app
        .client
        .patch(&url)
        .bearer_auth(&supervisor)
        .json(&json!({"phone": "+32 54 31 35 02", "reception_hours": "mo-fr 08:00-20:00", "email": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(corrected.status(), 200);
    let corrected: Value = corrected.json().await.unwrap();
    let values = corrected["values"].as_array().unwrap();
    let phone = values.iter().find(|v| v["field"] == "phone").unwrap();
    assert_eq!(phone["value"], "+32 54 31 35 02");
    let source = phone["source"].as_str().unwrap();
    assert!(source.starts_with("correction by officer "), "{source}");
    assert!(values.iter().all(|v| v["field"] != "email"), "cleared");
    // The public view shows the correction at once.
    let public = get_json(&app, &format!("/v1/units/{ZONE}")).await;
    assert_eq!(public["contact"]["phone"], "+32 54 31 35 02");
    assert!(public["contact"].get("email").is_none());
    // The correction and the refusals are in the audit trail.
    let trail: Value = app
        .client
        .get(app.url("/v1/audit-events?object_type=unit_contact"))
        .bearer_auth(&supervisor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = trail["items"].as_array().unwrap();
    assert!(
        items.iter().any(|e| e["operation"] == "alteration"
            && e["outcome"] == "allowed"
            && e["actor_role"] == "supervisor"),
        "{trail}"
    );
    assert!(items.iter().any(|e| e["outcome"] == "denied"));
}

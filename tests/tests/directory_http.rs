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
async fn bad_places_are_400_and_unknown_codes_404() {
    let app = spawn_app().await;
    for query in [
        "lat=NaN&lon=4",
        "lat=91&lon=4",
        "lat=50&lon=181",
        "lat=50",
        "lat=abc&lon=4",
        "",
        "postal_code=1000",
    ] {
        assert_problem(
            app.get(&format!("/v1/jurisdiction?procedure=simple_theft&{query}"))
                .await,
            400,
            "invalid_query",
        )
        .await;
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
    assert_problem(
        app.get("/v1/municipalities?country=BE").await,
        400,
        "invalid_query",
    )
    .await;
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

//! The partner registry (issue 16): administrators register, read, disable partners and
//! rotate their webhook signing secrets, through the API and the command line; every
//! change is in the audit trail; nobody else may touch the registry.

use base64::Engine;
use reqwest::Response;
use serde_json::{json, Value};
use std::process::Command;
use tests::{assert_problem, spawn_app, spawn_app_with, TestApp};

const BIN: &str = env!("CARGO_BIN_EXE_ecommissariat-under-test");

async fn staff(app: &TestApp, subject: &str, role: &str) -> String {
    app.dev_token(json!({"kind": "officer", "subject": subject, "role": role,
                         "units": ["zp-ottignies-louvain-la-neuve"]}))
        .await
}

async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Response {
    let mut request = app
        .client
        .request(method.parse().unwrap(), app.url(path))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

/// The registry's partners, as an administrator lists them.
async fn partners_listed(app: &TestApp, admin: &str) -> Value {
    let list: Value = send(app, "GET", "/v1/partners", admin, None)
        .await
        .json()
        .await
        .unwrap();
    list["items"].clone()
}

fn portal(id: &str, client: &str) -> Value {
    json!({"id": id, "name": "MyGuichet.lu", "kind": "national_portal",
           "client_ids": [client], "origins": ["https://guichet.public.lu"],
           "scopes": ["filings", "webhooks"], "quota_per_minute": 120})
}

/// A Standard Webhooks secret: `whsec_` and 32 random bytes in base64.
fn assert_secret(secret: &str) {
    let key = secret.strip_prefix("whsec_").expect("whsec_ prefix");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(key)
        .unwrap();
    assert_eq!(bytes.len(), 32);
}

/// The audit events about partners, as an auditor reads them: (actor role, action,
/// object, outcome).
async fn partner_events(app: &TestApp) -> Vec<(String, String, String, String)> {
    app.wait_sealed().await;
    let auditor = staff(app, "dpo", "auditor").await;
    let response = send(
        app,
        "GET",
        "/v1/audit-events?object_type=partner&limit=500",
        &auditor,
        None,
    )
    .await;
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let text = |k: &str| e[k].as_str().unwrap_or("").to_owned();
            (
                text("actor_role"),
                text("action"),
                text("object_id"),
                text("outcome"),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_administrator_registers_reads_rotates_and_disables_a_partner() {
    let app = spawn_app().await;
    let admin = staff(&app, "root", "admin").await;

    let response = send(
        &app,
        "POST",
        "/v1/partners",
        &admin,
        Some(portal("myguichet-lu", "myguichet")),
    )
    .await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["location"], "/v1/partners/myguichet-lu");
    let created: Value = response.json().await.unwrap();
    let first_secret = created["signing_secret"].as_str().unwrap().to_owned();
    assert_secret(&first_secret);
    let partner = &created["partner"];
    assert_eq!(partner["kind"], "national_portal");
    assert_eq!(partner["client_ids"], json!(["myguichet"]));
    assert_eq!(partner["scopes"], json!(["filings", "webhooks"]));
    assert_eq!(partner["quota_per_minute"], 120);
    assert_eq!(partner["disabled"], false);

    // Read back, alone and in the list; the secret is never shown again.
    let shown: Value = send(&app, "GET", "/v1/partners/myguichet-lu", &admin, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(&shown, partner);
    assert!(!shown.to_string().contains(&first_secret));
    let list: Value = send(&app, "GET", "/v1/partners", &admin, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"], json!([partner]));

    // The same id, or a client id of another partner: 409, and nothing half-written.
    let again = send(
        &app,
        "POST",
        "/v1/partners",
        &admin,
        Some(portal("myguichet-lu", "other")),
    )
    .await;
    assert_problem(again, 409, "partner_conflict").await;
    let mut zone = portal("zp-5276", "myguichet");
    zone["kind"] = json!("zone_website");
    zone["unit"] = json!("zp-ottignies-louvain-la-neuve");
    let taken = send(&app, "POST", "/v1/partners", &admin, Some(zone)).await;
    let problem = assert_problem(taken, 409, "partner_conflict").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("myguichet"),
        "{problem}"
    );
    assert_problem(
        send(&app, "GET", "/v1/partners/zp-5276", &admin, None).await,
        404,
        "partner_not_found",
    )
    .await;

    // Rotation: a new secret; the previous one signs for 24 hours more.
    let response = send(
        &app,
        "POST",
        "/v1/partners/myguichet-lu/rotate-secret",
        &admin,
        None,
    )
    .await;
    assert_eq!(response.status(), 200);
    let rotated: Value = response.json().await.unwrap();
    let second_secret = rotated["signing_secret"].as_str().unwrap();
    assert_secret(second_secret);
    assert_ne!(second_secret, first_secret);
    let rotated_at: chrono::DateTime<chrono::Utc> = rotated["partner"]["secret_rotated_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let until: chrono::DateTime<chrono::Utc> = rotated["partner"]["previous_secret_until"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(until - rotated_at, chrono::Duration::hours(24));

    // Disabling.
    let response = send(
        &app,
        "POST",
        "/v1/partners/myguichet-lu/disable",
        &admin,
        None,
    )
    .await;
    assert_eq!(response.status(), 200);
    let disabled: Value = response.json().await.unwrap();
    assert_eq!(disabled["disabled"], true);
    assert!(disabled["disabled_at"].is_string());
    let missing = send(&app, "POST", "/v1/partners/nobody/disable", &admin, None).await;
    assert_problem(missing, 404, "partner_not_found").await;

    // Every change is in the audit trail, by the administrator; the refused ones
    // changed nothing and wrote nothing.
    let events = partner_events(&app).await;
    let expected: Vec<(String, String, String, String)> = [
        ("register_partner", "myguichet-lu"),
        ("rotate_partner_secret", "myguichet-lu"),
        ("disable_partner", "myguichet-lu"),
    ]
    .iter()
    .map(|(a, o)| {
        (
            "admin".to_owned(),
            (*a).to_owned(),
            (*o).to_owned(),
            "allowed".to_owned(),
        )
    })
    .collect();
    assert_eq!(events, expected);
}

/// A partner registered with the police app's client id would capture the app's
/// citizens (their filings listed as made through it, its disabling locking them out):
/// the app's clients (`auth.app_client_ids`, and the development IdP's `dev-client`)
/// are refused, each at its position, and nothing is written (reported from outside).
#[tokio::test]
async fn a_partner_cannot_take_the_police_apps_clients() {
    let app = spawn_app_with(|s| s.auth.app_client_ids = vec!["police-app".into()]).await;
    let admin = staff(&app, "root", "admin").await;
    let body = json!({"id": "x1", "name": "X", "kind": "other",
                      "client_ids": ["x1-web", "police-app", "dev-client"]});
    let response = send(&app, "POST", "/v1/partners", &admin, Some(body)).await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    let reserved = |i: usize| (format!("/client_ids/{i}"), "reserved_client_id".to_owned());
    assert_eq!(
        tests::field_errors(&problem),
        [reserved(1), reserved(2)],
        "{problem}"
    );
    let list: Value = send(&app, "GET", "/v1/partners", &admin, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"], json!([]));
    assert!(partner_events(&app).await.is_empty());
    // The same partner without them is registered.
    let body = json!({"id": "x1", "name": "X", "kind": "other", "client_ids": ["x1-web"]});
    let response = send(&app, "POST", "/v1/partners", &admin, Some(body)).await;
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn bad_registrations_get_every_field_error_and_write_nothing() {
    let app = spawn_app().await;
    let admin = staff(&app, "root", "admin").await;
    let body = json!({"id": "My Portal", "name": "Portal", "kind": "bank",
                      "client_ids": [], "origins": ["https://x.example/path"],
                      "scopes": ["everything"], "quota_per_minute": 0});
    let response = send(&app, "POST", "/v1/partners", &admin, Some(body)).await;
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
            "/id",
            "/kind",
            "/client_ids",
            "/origins/0",
            "/scopes/0",
            "/quota_per_minute"
        ],
        "{problem}"
    );
    let unknown =
        json!({"id": "p1", "name": "P", "kind": "other", "client_ids": ["c"], "secret": "x"});
    let response = send(&app, "POST", "/v1/partners", &admin, Some(unknown)).await;
    assert_problem(response, 422, "validation_failed").await;
    assert_eq!(partners_listed(&app, &admin).await, json!([]));
    assert!(partner_events(&app).await.is_empty());
}

#[tokio::test]
async fn only_administrators_manage_partners_and_refusals_are_audited() {
    let app = spawn_app().await;
    let admin = staff(&app, "root", "admin").await;
    let created = send(
        &app,
        "POST",
        "/v1/partners",
        &admin,
        Some(portal("myguichet-lu", "myguichet")),
    )
    .await;
    assert_eq!(created.status(), 201);

    let supervisor = staff(&app, "chief", "supervisor").await;
    let citizen = app
        .dev_token(json!({"kind": "citizen", "subject": "alice"}))
        .await;
    for token in [&supervisor, &citizen] {
        for (method, path) in [
            ("GET", "/v1/partners"),
            ("GET", "/v1/partners/myguichet-lu"),
            ("POST", "/v1/partners/myguichet-lu/disable"),
            ("POST", "/v1/partners/myguichet-lu/rotate-secret"),
        ] {
            assert_problem(
                send(&app, method, path, token, None).await,
                403,
                "forbidden",
            )
            .await;
        }
        let response = send(
            &app,
            "POST",
            "/v1/partners",
            token,
            Some(portal("evil", "evil")),
        )
        .await;
        assert_problem(response, 403, "forbidden").await;
    }
    let anonymous = app
        .client
        .get(app.url("/v1/partners"))
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, 401, "unauthorized").await;

    let shown: Value = send(&app, "GET", "/v1/partners/myguichet-lu", &admin, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["disabled"], false);
    let denied: Vec<_> = partner_events(&app)
        .await
        .into_iter()
        .filter(|(_, _, _, outcome)| outcome == "denied")
        .collect();
    let supervisor_denials: Vec<_> = denied
        .iter()
        .filter(|(role, ..)| role == "supervisor")
        .collect();
    assert_eq!(supervisor_denials.len(), 5, "{denied:?}");
    assert!(supervisor_denials
        .iter()
        .any(|(_, action, object, _)| action == "disable_partner" && object == "myguichet-lu"));
}

fn cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(["partners"])
        .args(args)
        .env("DATABASE_URL", app.db.url())
        .env("ECOM__DATABASE__DATA_DIR", app.data_dir())
        .env_remove("ECOM_CONFIG")
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn cli_ok(app: &TestApp, args: &[&str]) -> String {
    let output = cli(app, args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
async fn the_command_line_manages_the_same_registry_and_is_audited() {
    let app = spawn_app().await;
    let added: Value = serde_json::from_str(&cli_ok(
        &app,
        &[
            "add",
            "--id",
            "zp-5276",
            "--name",
            "ZP Ottignies-Louvain-la-Neuve",
            "--kind",
            "zone_website",
            "--unit",
            "zp-ottignies-louvain-la-neuve",
            "--client-id",
            "zp5276-site",
            "--client-id",
            "zp5276-kiosk",
            "--origin",
            "https://www.police.be",
        ],
    ))
    .unwrap();
    assert_secret(added["signing_secret"].as_str().unwrap());
    assert_eq!(added["partner"]["scopes"], json!(["filings"]));
    assert_eq!(added["partner"]["quota_per_minute"], 600);

    // What the command line wrote, the API reads.
    let admin = staff(&app, "root", "admin").await;
    let shown: Value = send(&app, "GET", "/v1/partners/zp-5276", &admin, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["client_ids"], json!(["zp5276-kiosk", "zp5276-site"]));

    let list = cli_ok(&app, &["list"]);
    assert!(
        list.starts_with("zp-5276\tzone_website\tenabled\tzp5276-kiosk,zp5276-site\t"),
        "{list}"
    );
    let rotated: Value =
        serde_json::from_str(&cli_ok(&app, &["rotate-secret", "zp-5276"])).unwrap();
    assert_ne!(rotated["signing_secret"], added["signing_secret"]);
    let disabled: Value = serde_json::from_str(&cli_ok(&app, &["disable", "zp-5276"])).unwrap();
    assert_eq!(disabled["disabled"], true);
    let shown: Value = serde_json::from_str(&cli_ok(&app, &["show", "zp-5276"])).unwrap();
    assert_eq!(shown["disabled"], true);

    // Errors: one line naming the cause, exit 1, nothing written.
    let bad = cli(
        &app,
        &[
            "add",
            "--id",
            "x y",
            "--name",
            "X",
            "--kind",
            "bank",
            "--client-id",
            "c",
        ],
    );
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("/id: invalid_slug") && stderr.contains("/kind: unknown_option"),
        "{stderr}"
    );
    let missing = cli(&app, &["disable", "nobody"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no partner nobody"));

    let events = partner_events(&app).await;
    let actions: Vec<(&str, &str)> = events
        .iter()
        .map(|(actor, action, ..)| (actor.as_str(), action.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("system", "register_partner"),
            ("system", "rotate_partner_secret"),
            ("system", "disable_partner")
        ]
    );
}

fn bicycle_draft() -> Value {
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    json!({
        "procedure": "bicycle_theft", "country": "BE",
        "place": {"lat": 50.6730, "lon": 4.5687, "description": "Station rack"},
        "facts_date": {"from": yesterday},
        "answers": {"ongoing_danger": false, "injury": false, "known_author": false,
                    "violence": false, "exploitable_traces": false},
        "facts": {"bicycle_locked": true, "circumstances": "Gone from the rack.",
                  "items": [{"category": "bicycle", "brand": "Gazelle", "serial_number": "GZ12345678"}]},
        "contact": {"email": "alice@example.org"}, "confirmation_channel": "email"
    })
}

/// A citizen's token issued to `client` (the IdP's `azp`).
async fn citizen_via(app: &TestApp, subject: &str, client: &str) -> String {
    app.dev_token(
        json!({"kind": "citizen", "subject": subject, "assurance": "substantial",
                         "client_id": client}),
    )
    .await
}

/// Creates a draft with `token`; its id.
async fn draft(app: &TestApp, token: &str) -> String {
    let response = send(app, "POST", "/v1/filings", token, Some(bicycle_draft())).await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

async fn listed(app: &TestApp, token: &str) -> Vec<(String, String)> {
    let response = send(app, "GET", "/v1/filings", token, None).await;
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.unwrap();
    let mut items: Vec<(String, String)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_owned(),
                f["channel"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    items.sort();
    items
}

fn sorted(mut items: Vec<(String, String)>) -> Vec<(String, String)> {
    items.sort();
    items
}

#[tokio::test]
async fn a_partner_sees_only_what_the_citizen_filed_through_it() {
    let app = tests::spawn_app_with(|s| s.auth.app_client_ids = vec!["police-app".into()]).await;
    let admin = staff(&app, "root", "admin").await;
    for (id, client) in [("portal-a", "client-a"), ("portal-b", "client-b")] {
        let response = send(
            &app,
            "POST",
            "/v1/partners",
            &admin,
            Some(portal(id, client)),
        )
        .await;
        assert_eq!(response.status(), 201);
    }
    let x_app = citizen_via(&app, "xavier", "police-app").await;
    let x_a = citizen_via(&app, "xavier", "client-a").await;
    let x_b = citizen_via(&app, "xavier", "client-b").await;
    let y_a = citizen_via(&app, "yvonne", "client-a").await;
    let by_app = draft(&app, &x_app).await;
    let by_a = draft(&app, &x_a).await;
    let by_b = draft(&app, &x_b).await;
    let y_by_a = draft(&app, &y_a).await;

    // The citizen sees everything, with its channel; each partner only its own.
    let pair = |id: &str, channel: &str| (id.to_owned(), channel.to_owned());
    assert_eq!(
        listed(&app, &x_app).await,
        sorted(vec![
            pair(&by_app, "app"),
            pair(&by_a, "portal-a"),
            pair(&by_b, "portal-b")
        ])
    );
    assert_eq!(listed(&app, &x_a).await, vec![pair(&by_a, "portal-a")]);
    assert_eq!(listed(&app, &x_b).await, vec![pair(&by_b, "portal-b")]);
    let shown: Value = send(&app, "GET", &format!("/v1/filings/{by_a}"), &x_app, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["channel"], "portal-a");

    // BOLA (OWASP API1): another partner's filing, the app's, another citizen's: 404,
    // exactly like a filing that does not exist, for reads and for changes.
    for (token, id) in [
        (&x_a, &by_b),
        (&x_a, &by_app),
        (&x_b, &by_a),
        (&x_a, &y_by_a),
        (&y_a, &by_a),
    ] {
        for (method, path) in [
            ("GET", format!("/v1/filings/{id}")),
            ("GET", format!("/v1/filings/{id}/receipt")),
            ("POST", format!("/v1/filings/{id}/withdraw")),
        ] {
            let response = send(&app, method, &path, token, None).await;
            assert_problem(response, 404, "filing_not_found").await;
        }
    }
    // A partner's token reaches the citizen's filings only, not their feed or appointments.
    assert_problem(
        send(&app, "GET", "/v1/notifications", &x_a, None).await,
        403,
        "forbidden",
    )
    .await;
    let path = format!("/v1/filings/{by_a}/appointments");
    assert_problem(send(&app, "GET", &path, &x_a, None).await, 403, "forbidden").await;

    // A machine token (client credentials: `sub` is the client) reads no personal data.
    let machine = citizen_via(&app, "client-a", "client-a").await;
    assert_problem(
        send(&app, "GET", "/v1/filings", &machine, None).await,
        403,
        "forbidden",
    )
    .await;
    let path = format!("/v1/filings/{by_a}");
    assert_problem(
        send(&app, "GET", &path, &machine, None).await,
        403,
        "forbidden",
    )
    .await;

    // A client nobody registered: 401; a disabled partner: 403.
    let rogue = citizen_via(&app, "xavier", "rogue-portal").await;
    assert_problem(
        send(&app, "GET", "/v1/filings", &rogue, None).await,
        401,
        "unknown_client",
    )
    .await;
    let response = send(&app, "POST", "/v1/partners/portal-b/disable", &admin, None).await;
    assert_eq!(response.status(), 200);
    let problem = assert_problem(
        send(&app, "GET", "/v1/filings", &x_b, None).await,
        403,
        "partner_disabled",
    )
    .await;
    assert!(problem["detail"].as_str().unwrap().contains("portal-b"));
    // The citizen still sees the filing made through it, in the app.
    assert_eq!(listed(&app, &x_app).await.len(), 3);
}

#[tokio::test]
async fn an_idempotency_key_is_the_citizens_per_front_door() {
    let app = spawn_app().await;
    let admin = staff(&app, "root", "admin").await;
    let response = send(
        &app,
        "POST",
        "/v1/partners",
        &admin,
        Some(portal("portal-a", "client-a")),
    )
    .await;
    assert_eq!(response.status(), 201);
    let via_app = citizen_via(&app, "xavier", "dev-client").await;
    let via_a = citizen_via(&app, "xavier", "client-a").await;
    let create = |token: &str| {
        app.client
            .post(app.url("/v1/filings"))
            .bearer_auth(token)
            .header("idempotency-key", "same-key-1")
            .json(&bicycle_draft())
            .send()
    };
    let first: Value = create(&via_app).await.unwrap().json().await.unwrap();
    let second = create(&via_a).await.unwrap();
    assert_eq!(second.status(), 201);
    let second: Value = second.json().await.unwrap();
    assert_ne!(
        first["id"], second["id"],
        "the partner got the app's filing back"
    );
    assert_eq!(second["channel"], "portal-a");
}

/// A zone's website (issue 16): registered with its zone's unit; a filing made there about
/// a theft in Namur goes to Namur, and the recap and the submitted filing say so in the
/// citizen's language; one about Ottignies says nothing. A zone website without its unit,
/// or with an unknown one, is refused and not written.
#[tokio::test]
async fn a_zone_website_files_for_its_zone_and_tells_when_another_unit_handles_it() {
    let app = tests::spawn_app_with(|s| s.auth.app_client_ids = vec!["police-app".into()]).await;
    let admin = staff(&app, "root", "admin").await;
    let site = |unit: Option<&str>| {
        let mut body = json!({"id": "zp-ottignies-site", "name": "Police Ottignies-LLN website",
                              "kind": "zone_website", "client_ids": ["ottignies-site"],
                              "origins": ["https://www.police-ottignies.be"]});
        if let Some(unit) = unit {
            body["unit"] = json!(unit);
        }
        body
    };
    for (unit, code) in [(None, "required"), (Some("zp-nowhere"), "unknown_unit")] {
        let response = send(&app, "POST", "/v1/partners", &admin, Some(site(unit))).await;
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["pointer"], "/unit");
        assert_eq!(problem["errors"][0]["code"], code);
    }
    let response = send(&app, "GET", "/v1/partners/zp-ottignies-site", &admin, None).await;
    assert_problem(response, 404, "partner_not_found").await;
    let response = send(
        &app,
        "POST",
        "/v1/partners",
        &admin,
        Some(site(Some("zp-ottignies-louvain-la-neuve"))),
    )
    .await;
    assert_eq!(response.status(), 201);
    let registered: Value = response.json().await.unwrap();
    assert_eq!(
        registered["partner"]["unit"],
        "zp-ottignies-louvain-la-neuve"
    );

    let citizen = citizen_via(&app, "xavier", "ottignies-site").await;
    let mut in_namur = bicycle_draft();
    in_namur["place"] = json!({"lat": 50.4655, "lon": 4.8670, "description": "Station"});
    in_namur["language"] = json!("fr");
    let response = send(&app, "POST", "/v1/filings", &citizen, Some(in_namur)).await;
    assert_eq!(response.status(), 201);
    let draft: Value = response.json().await.unwrap();
    assert_eq!(draft["channel"], "zp-ottignies-site");
    assert_eq!(draft["routing"]["unit"]["id"], "zp-namur");
    let notice = draft["routing"]["channel_notice"].as_str().unwrap();
    assert!(
        notice.contains("Police Ottignies-LLN website") && notice.contains("Namur"),
        "{notice}"
    );
    let id = draft["id"].as_str().unwrap();
    let response = send(
        &app,
        "POST",
        &format!("/v1/filings/{id}/submit"),
        &citizen,
        None,
    )
    .await;
    assert_eq!(response.status(), 200);
    let submitted: Value = response.json().await.unwrap();
    assert_eq!(submitted["routing"]["unit"]["id"], "zp-namur");
    assert_eq!(submitted["routing"]["channel_notice"], notice);

    // In the site's own zone: no notice.
    let here = draft_with(&app, &citizen).await;
    assert_eq!(
        here["routing"]["unit"]["id"],
        "zp-ottignies-louvain-la-neuve"
    );
    assert!(here["routing"].get("channel_notice").is_none(), "{here}");
}

async fn draft_with(app: &TestApp, token: &str) -> Value {
    let response = send(app, "POST", "/v1/filings", token, Some(bicycle_draft())).await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

/// Found by a newcomer's trial: the registry's checks said "control character" for every
/// malformed id, client id and origin; line breaks were trimmed and registered; a port
/// beyond 65535 passed; `unknown_unit` had no message; a path segment that is not a
/// number told the client about our i64. Each now has its own code and words.
#[tokio::test]
async fn registry_errors_say_what_is_wrong() {
    let app = spawn_app().await;
    let admin = staff(&app, "root", "admin").await;
    let body = json!({"id": "Portal", "name": "X", "kind": "other",
                      "client_ids": ["nl2\n", "ok", "ok"],
                      "origins": ["https://a.example:99999", "https://b.example\n", "https://A.example"]});
    let problem = assert_problem(
        send(&app, "POST", "/v1/partners", &admin, Some(body)).await,
        422,
        "validation_failed",
    )
    .await;
    let codes: Vec<(String, String, String)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["pointer"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
                e["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let pairs: Vec<(&str, &str)> = codes
        .iter()
        .map(|(p, c, _)| (p.as_str(), c.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("/id", "invalid_slug"),
            ("/client_ids/0", "invalid_client_id"),
            ("/client_ids/2", "duplicate_item"),
            ("/origins/0", "invalid_origin"),
            ("/origins/1", "invalid_origin"),
            ("/origins/2", "invalid_origin"),
        ]
    );
    assert!(codes
        .iter()
        .all(|(_, _, m)| !m.is_empty() && !m.contains("control character")));
    let zone = json!({"id": "zone-b", "name": "Zone B", "kind": "zone_website",
                      "unit": "zp-nowhere", "client_ids": ["zone-b"]});
    let problem = assert_problem(
        send(&app, "POST", "/v1/partners", &admin, Some(zone)).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["code"], "unknown_unit");
    assert!(problem["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("/v1/units"));
    // Nothing was written.
    let list: Value = send(&app, "GET", "/v1/partners", &admin, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"], json!([]));

    let response = send(
        &app,
        "POST",
        "/v1/partners",
        &admin,
        Some(portal("portal-a", "client-a")),
    )
    .await;
    assert_eq!(response.status(), 201);
    let machine = app
        .dev_token(json!({"kind": "citizen", "subject": "client-a", "client_id": "client-a"}))
        .await;
    let problem = assert_problem(
        send(
            &app,
            "GET",
            "/v1/partner/webhook-endpoints/nope",
            &machine,
            None,
        )
        .await,
        400,
        "invalid_path",
    )
    .await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        !detail.contains("i64") && !detail.contains("deserialize"),
        "{detail}"
    );
}

/// The registry's grammar (issue: `scopes: []`, an id ending in `-`, a name with a
/// right-to-left override or a zero-width space were registered): at least one scope
/// when `scopes` is sent, an id of words joined by one hyphen, a name on one line with
/// no bidirectional control nor invisible character; the same rule for an endpoint's
/// description and through the command line. Nothing is written.
#[tokio::test]
async fn empty_scopes_loose_ids_and_invisible_characters_in_names_are_refused() {
    let app = spawn_app().await;
    let admin = staff(&app, "root", "admin").await;
    let cases: [(Value, &str, &str); 8] = [
        (json!({"scopes": []}), "/scopes", "too_few"),
        (json!({"id": "zp-5276-"}), "/id", "invalid_slug"),
        (json!({"id": "zp--5276"}), "/id", "invalid_slug"),
        (
            json!({"name": "My\u{202e}lu.tehciug"}),
            "/name",
            "invalid_name_character",
        ),
        (
            json!({"name": "My\u{2066}Guichet\u{2069}"}),
            "/name",
            "invalid_name_character",
        ),
        (
            json!({"name": "My\u{200b}Guichet"}),
            "/name",
            "invalid_name_character",
        ),
        (
            json!({"name": "My\u{ad}Guichet"}),
            "/name",
            "invalid_name_character",
        ),
        (
            json!({"name": "My\tGuichet"}),
            "/name",
            "invalid_name_character",
        ),
    ];
    for (change, pointer, code) in cases {
        let mut body = portal("myguichet-lu", "myguichet-portal");
        for (key, value) in change.as_object().unwrap() {
            body[key] = value.clone();
        }
        let response = send(&app, "POST", "/v1/partners", &admin, Some(body)).await;
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["pointer"], pointer, "{problem}");
        assert_eq!(problem["errors"][0]["code"], code, "{problem}");
        assert!(!problem["errors"][0]["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(partners_listed(&app, &admin).await, json!([]));
    // What is fine stays fine: accents, a no-break space, a dash, another script.
    let mut good = portal("myguichet-lu", "myguichet-portal");
    good["name"] = json!("Guichet d’Évere\u{a0}— שלום");
    let response = send(&app, "POST", "/v1/partners", &admin, Some(good)).await;
    assert_eq!(response.status(), 201);
    // An endpoint's description follows the same rule.
    let response = send(
        &app,
        "POST",
        "/v1/partners/myguichet-lu/webhook-endpoints",
        &admin,
        Some(json!({"url": "https://hooks.example.org/x", "description": "a\u{2067}b"})),
    )
    .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["pointer"], "/description");
    assert_eq!(problem["errors"][0]["code"], "invalid_name_character");
    // The command line applies the same checks.
    let output = cli(
        &app,
        &[
            "add",
            "--id",
            "zone-1",
            "--name",
            "Zone\u{202e}1",
            "--kind",
            "other",
            "--client-id",
            "zone-1",
        ],
    );
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("invalid_name_character"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

//! Webhooks (issue 16): a partner registers an endpoint with its client-credentials
//! token; the status changes of the filings made through it reach a real receiver
//! (`tests/webhooks/receiver.py`) that verifies every signature with the
//! `standardwebhooks` package, in order, after retries; a rotated secret signs twice;
//! the delivery log shows each attempt; SSRF URLs are refused.

use reqwest::Response;
use serde_json::{json, Value};
use std::time::Duration;
use tests::webhooks::Receiver;
use tests::{assert_problem, spawn_app_with, TestApp};

const ZONE: &str = "zp-ottignies-louvain-la-neuve";

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

/// A service that delivers webhooks quickly to http receivers on 127.0.0.1.
async fn hook_app(allow_local: bool) -> TestApp {
    spawn_app_with(move |s| {
        s.webhooks.allow_http = true;
        if allow_local {
            s.webhooks.allowed_addresses = vec!["127.0.0.1".into()];
        }
        s.webhooks.poll_interval_ms = 100;
        s.webhooks.retry_base_secs = 1;
        s.webhooks.retry_max_secs = 1;
        s.webhooks.timeout_secs = 5;
    })
    .await
}

async fn admin(app: &TestApp) -> String {
    app.dev_token(
        json!({"kind": "officer", "subject": "root", "role": "admin",
                         "units": [ZONE]}),
    )
    .await
}

/// Registers partner `id` with client `client` (filings and webhooks); its secret.
async fn partner(app: &TestApp, id: &str, client: &str, scopes: Value) -> String {
    let body = json!({"id": id, "name": id, "kind": "national_portal",
                      "client_ids": [client], "scopes": scopes});
    let response = send(app, "POST", "/v1/partners", &admin(app).await, Some(body)).await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    body["signing_secret"].as_str().unwrap().to_owned()
}

/// A client-credentials token of `client` (`sub` is the client).
async fn machine(app: &TestApp, client: &str) -> String {
    app.dev_token(json!({"kind": "citizen", "subject": client, "client_id": client}))
        .await
}

async fn citizen_via(app: &TestApp, subject: &str, client: &str) -> String {
    app.dev_token(
        json!({"kind": "citizen", "subject": subject, "assurance": "substantial",
                         "client_id": client}),
    )
    .await
}

/// Registers an endpoint with the partner's machine token; its id.
async fn endpoint(app: &TestApp, token: &str, url: &str) -> i64 {
    let response = send(
        app,
        "POST",
        "/v1/partner/webhook-endpoints",
        token,
        Some(json!({"url": url, "description": "test receiver"})),
    )
    .await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    let body: Value = response.json().await.unwrap();
    body["id"].as_i64().unwrap()
}

/// A submitted bicycle theft made through the partner of `token`; its id.
async fn submitted(app: &TestApp, token: &str) -> String {
    let body = json!({
        "procedure": "bicycle_theft", "country": "BE", "place": {"municipality": "BE-25121"},
        "facts_date": {"from": (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339()},
        "answers": {"ongoing_danger": false, "injury": false, "known_author": false, "violence": false, "exploitable_traces": false},
        "facts": {"bicycle_locked": true, "circumstances": "SECRET-FACTS at the rack",
                  "items": [{"category": "bicycle", "brand": "Gazelle", "serial_number": "GZ12345678"}]},
        "contact": {"email": "secret-contact@example.org"}, "confirmation_channel": "email"
    });
    let created = send(app, "POST", "/v1/filings", token, Some(body)).await;
    assert_eq!(created.status(), 201, "{:?}", created.text().await);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/filings/{id}/submit");
    let response = send(app, "POST", &path, token, None).await;
    assert_eq!(response.status(), 200);
    id
}

async fn act(app: &TestApp, id: &str, action: &str, version: i64) {
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-1", "units": [ZONE]}))
        .await;
    let response = app
        .client
        .post(app.url(&format!("/v1/units/{ZONE}/filings/{id}/{action}")))
        .bearer_auth(officer)
        .header("if-match", format!("\"v{version}\""))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{action}");
}

/// The accepted deliveries' event types, in arrival order.
fn accepted_types(received: &[Value]) -> Vec<String> {
    received
        .iter()
        .filter(|r| r["answered"].as_u64().unwrap() < 300)
        .map(|r| r["body"]["type"].as_str().unwrap().to_owned())
        .collect()
}

async fn deliveries(app: &TestApp, token: &str, endpoint: i64) -> Vec<Value> {
    let path = format!("/v1/partner/webhook-endpoints/{endpoint}/deliveries");
    let response = send(app, "GET", &path, token, None).await;
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.unwrap()["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn status_changes_reach_the_partner_signed_in_order_after_retries() {
    let app = hook_app(true).await;
    let secret = partner(&app, "portal-a", "client-a", json!(["filings", "webhooks"])).await;
    // 500 to the first two requests, then 200.
    let receiver = Receiver::start("fail-first:2", &[&secret]);
    let redirecting = Receiver::start("redirect:http://169.254.169.254/latest/meta-data", &[]);
    let portal = machine(&app, "client-a").await;
    let hook = endpoint(&app, &portal, &receiver.url("/hooks")).await;
    let bounced = endpoint(&app, &portal, &redirecting.url("/bounce")).await;

    let citizen = citizen_via(&app, "xavier", "client-a").await;
    let id = submitted(&app, &citizen).await;
    act(&app, &id, "take-in-charge", 2).await;
    act(&app, &id, "register", 3).await;

    let received = receiver
        .wait_until(Duration::from_secs(60), |r| accepted_types(r).len() >= 3)
        .await;
    // In the order of the changes, although the first was refused twice.
    assert_eq!(
        accepted_types(&received),
        [
            "filing.submitted",
            "filing.taken_in_charge",
            "filing.registered"
        ]
    );
    let types: Vec<&str> = received
        .iter()
        .map(|r| r["body"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types[..3],
        ["filing.submitted"; 3],
        "the first event was tried again before the next one was sent"
    );
    assert_eq!(
        received[0]["id"], received[2]["id"],
        "the same webhook-id at every attempt"
    );
    for r in &received {
        // Every signature verified by the standardwebhooks package.
        assert_eq!(r["verified"], json!([true]), "{r}");
        assert_eq!(r["path"], "/hooks");
        let data = &r["body"]["data"];
        assert_eq!(data["filing_id"], id.as_str());
        assert_eq!(data["href"], format!("/v1/filings/{id}"));
        // Minimal: never the facts or the contact.
        let text = r["body"].to_string();
        for secret in ["SECRET-FACTS", "secret-contact", "GZ12345678", "Gazelle"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
    let statuses: Vec<&str> = received
        .iter()
        .skip(2)
        .map(|r| r["body"]["data"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["submitted", "taken_in_charge", "registered"]);

    // The delivery log: each attempt with its status code.
    let log = deliveries(&app, &portal, hook).await;
    assert_eq!(log.len(), 3);
    let first = log.last().unwrap();
    assert_eq!(first["event_type"], "filing.submitted");
    assert_eq!(first["status"], "sent");
    let codes: Vec<Value> = first["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status_code"].clone())
        .collect();
    assert_eq!(codes, [json!(500), json!(500), json!(200)]);
    assert_eq!(first["attempts"][0]["error"], "http_500");
    assert_eq!(first["webhook_id"], received[0]["id"]);

    // A redirect is not followed: the attempt is logged as such and retried, and only
    // the endpoint's own URL was ever called.
    let start = std::time::Instant::now();
    let bounced_log = loop {
        let log = deliveries(&app, &portal, bounced).await;
        if log
            .iter()
            .any(|d| !d["attempts"].as_array().unwrap().is_empty())
        {
            break log;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{log:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let attempt = bounced_log
        .iter()
        .flat_map(|d| d["attempts"].as_array().unwrap().clone())
        .next()
        .unwrap();
    assert_eq!(attempt["status_code"], 302);
    assert_eq!(attempt["error"], "redirect_not_followed");
    assert!(redirecting
        .received()
        .iter()
        .all(|r| r["path"] == "/bounce"));

    // A rotation: for 24 h both secrets sign, each verifies on its own.
    let rotated = send(
        &app,
        "POST",
        "/v1/partners/portal-a/rotate-secret",
        &admin(&app).await,
        None,
    )
    .await;
    assert_eq!(rotated.status(), 200);
    let new_secret = rotated.json::<Value>().await.unwrap()["signing_secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let after = Receiver::start("accept", &[&secret, &new_secret]);
    let later = endpoint(&app, &portal, &after.url("/after")).await;
    act(&app, &id, "close", 4).await;
    let got = after
        .wait_until(Duration::from_secs(30), |r| !r.is_empty())
        .await;
    assert_eq!(got[0]["body"]["type"], "filing.closed");
    assert_eq!(got[0]["verified"], json!([true, true]));
    assert_eq!(
        got[0]["signature"].as_str().unwrap().split(' ').count(),
        2,
        "one signature per valid secret"
    );
    assert_eq!(deliveries(&app, &portal, later).await.len(), 1);
}

#[tokio::test]
async fn internal_addresses_and_plain_http_are_refused_and_nothing_is_written() {
    let app = hook_app(false).await;
    partner(&app, "portal-a", "client-a", json!(["filings", "webhooks"])).await;
    let portal = machine(&app, "client-a").await;
    for url in [
        "http://10.0.0.1/hooks",
        "http://169.254.169.254/latest/meta-data",
        "http://127.0.0.1:8080/hooks",
        "http://[::1]/hooks",
        "http://localhost/hooks",
        "http://[::ffff:192.168.1.1]/hooks",
    ] {
        let response = send(
            &app,
            "POST",
            "/v1/partner/webhook-endpoints",
            &portal,
            Some(json!({"url": url})),
        )
        .await;
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["pointer"], "/url", "{url}: {problem}");
        assert_eq!(
            problem["errors"][0]["code"], "address_not_allowed",
            "{url}: {problem}"
        );
    }
    for (url, types) in [
        ("ftp://hooks.example/x", json!(null)),
        ("https://user:pw@hooks.example/x", json!(null)),
        ("not a url", json!(null)),
    ] {
        let response = send(
            &app,
            "POST",
            "/v1/partner/webhook-endpoints",
            &portal,
            Some(json!({"url": url, "event_types": types})),
        )
        .await;
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["code"], "invalid_url", "{url}");
    }
    let response = send(
        &app,
        "POST",
        "/v1/partner/webhook-endpoints",
        &portal,
        Some(json!({"url": "http://10.0.0.1/x", "event_types": ["filing.lost"]})),
    )
    .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["pointer"], "/event_types/0");

    // Nothing was written.
    let response = send(&app, "GET", "/v1/partner/webhook-endpoints", &portal, None).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["items"], json!([]));

    // In production, https only.
    let strict = spawn_app_with(|s| s.webhooks.allowed_addresses = vec!["127.0.0.1".into()]).await;
    partner(
        &strict,
        "portal-a",
        "client-a",
        json!(["filings", "webhooks"]),
    )
    .await;
    let portal = machine(&strict, "client-a").await;
    let response = send(
        &strict,
        "POST",
        "/v1/partner/webhook-endpoints",
        &portal,
        Some(json!({"url": "http://127.0.0.1:9/hooks"})),
    )
    .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "invalid_url");
}

#[tokio::test]
async fn only_the_partners_own_machine_token_reaches_its_endpoints() {
    let app = hook_app(true).await;
    partner(&app, "portal-a", "client-a", json!(["filings", "webhooks"])).await;
    partner(&app, "portal-b", "client-b", json!(["filings", "webhooks"])).await;
    partner(&app, "portal-c", "client-c", json!(["filings"])).await;
    let receiver = Receiver::start("accept", &[]);
    let a = machine(&app, "client-a").await;
    let hook = endpoint(&app, &a, &receiver.url("/a")).await;
    let b = machine(&app, "client-b").await;
    for (method, path) in [
        ("GET", format!("/v1/partner/webhook-endpoints/{hook}")),
        ("DELETE", format!("/v1/partner/webhook-endpoints/{hook}")),
        (
            "GET",
            format!("/v1/partner/webhook-endpoints/{hook}/deliveries"),
        ),
    ] {
        let response = send(&app, method, &path, &b, None).await;
        assert_problem(response, 404, "webhook_endpoint_not_found").await;
    }
    let listed: Value = send(&app, "GET", "/v1/partner/webhook-endpoints", &b, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"], json!([]));
    // A citizen's token through the partner, a partner without the scope: 403; a client
    // nobody registered: 401.
    let citizen = citizen_via(&app, "xavier", "client-a").await;
    let c = machine(&app, "client-c").await;
    for token in [&citizen, &c] {
        let response = send(&app, "GET", "/v1/partner/webhook-endpoints", token, None).await;
        assert_problem(response, 403, "forbidden").await;
    }
    let rogue = machine(&app, "rogue").await;
    let response = send(&app, "GET", "/v1/partner/webhook-endpoints", &rogue, None).await;
    assert_problem(response, 401, "unknown_client").await;
    // The administrator sees them; the partner disables its own.
    let response = send(
        &app,
        "GET",
        "/v1/partners/portal-a/webhook-endpoints",
        &admin(&app).await,
        None,
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["items"][0]["id"], hook);
    let path = format!("/v1/partner/webhook-endpoints/{hook}");
    assert_eq!(send(&app, "DELETE", &path, &a, None).await.status(), 204);
    let shown: Value = send(&app, "GET", &path, &a, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["disabled"], true);
}

/// Two standalone `ecommissariat worker` processes on the service's database (the
/// service's own workers off): every event reaches the receiver once (one accepted
/// delivery per `webhook-id`), each filing's events in the order of its changes, although
/// the receiver refuses the first attempt and the workers claim concurrently.
#[tokio::test]
async fn two_standalone_workers_deliver_every_event_once_in_order() {
    let app = spawn_app_with(|s| {
        s.notifications.worker = false;
        s.webhooks.allow_http = true;
        s.webhooks.allowed_addresses = vec!["127.0.0.1".into()];
    })
    .await;
    let secret = partner(&app, "portal-a", "client-a", json!(["filings", "webhooks"])).await;
    let receiver = Receiver::start("fail-first:1", &[&secret]);
    let portal = machine(&app, "client-a").await;
    endpoint(&app, &portal, &receiver.url("/hooks")).await;
    let citizen = citizen_via(&app, "yara", "client-a").await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let id = submitted(&app, &citizen).await;
        act(&app, &id, "take-in-charge", 2).await;
        act(&app, &id, "register", 3).await;
        ids.push(id);
    }

    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        config.path(),
        format!(
            "[database]\ndata_dir = {data:?}\n\n[directory]\nimport_reference = false\n\n\
             [notifications]\nsmtp_url = \"smtp://127.0.0.1:9\"\n\n\
             [webhooks]\nallow_http = true\nallowed_addresses = [\"127.0.0.1\"]\n\
             poll_interval_ms = 50\nbatch_size = 2\nretry_base_secs = 1\nretry_max_secs = 1\n\
             timeout_secs = 5\nlease_secs = 30\n",
            data = app.data_dir().display().to_string()
        ),
    )
    .unwrap();
    let start = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_ecommissariat-under-test"))
            .arg("worker")
            .env("DATABASE_URL", app.db.url())
            .env("ECOM_CONFIG", config.path())
            .env_remove("RUST_LOG")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut workers = [start(), start()];
    receiver
        .wait_until(Duration::from_secs(60), |r| accepted_types(r).len() >= 9)
        .await;
    // A moment more: a duplicate would arrive now.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for worker in &mut workers {
        worker.kill().unwrap();
        worker.wait().unwrap();
    }
    let latest = receiver.received();
    let accepted: Vec<&Value> = latest
        .iter()
        .filter(|r| r["answered"].as_u64().unwrap() < 300)
        .collect();
    assert_eq!(accepted.len(), 9, "every event accepted once: {latest:#?}");
    let mut distinct: Vec<&str> = accepted.iter().map(|r| r["id"].as_str().unwrap()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 9, "nine distinct webhook-ids");
    assert!(latest.iter().all(|r| r["verified"] == json!([true])));
    for id in &ids {
        let order: Vec<&str> = latest
            .iter()
            .filter(|r| r["answered"].as_u64().unwrap() < 300)
            .filter(|r| r["body"]["data"]["filing_id"] == id.as_str())
            .map(|r| r["body"]["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            order,
            [
                "filing.submitted",
                "filing.taken_in_charge",
                "filing.registered"
            ],
            "{id}"
        );
    }
}

/// An endpoint that fails every retry (here 2 attempts instead of 20, about 3 days) lets
/// its message die and is then disabled, with an alert metric; its log stays readable and
/// nothing more is queued for it.
#[tokio::test]
async fn an_endpoint_that_fails_every_retry_is_disabled() {
    let app = spawn_app_with(|s| {
        s.webhooks.allow_http = true;
        s.webhooks.allowed_addresses = vec!["127.0.0.1".into()];
        s.webhooks.poll_interval_ms = 100;
        s.webhooks.retry_base_secs = 1;
        s.webhooks.retry_max_secs = 1;
        s.webhooks.max_attempts = 2;
    })
    .await;
    let secret = partner(&app, "portal-a", "client-a", json!(["filings", "webhooks"])).await;
    let receiver = Receiver::start("fail-first:1000", &[&secret]);
    let portal = machine(&app, "client-a").await;
    let hook = endpoint(&app, &portal, &receiver.url("/hooks")).await;
    let citizen = citizen_via(&app, "xavier", "client-a").await;
    let id = submitted(&app, &citizen).await;

    let path = format!("/v1/partner/webhook-endpoints/{hook}");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let shown = loop {
        let shown: Value = send(&app, "GET", &path, &portal, None)
            .await
            .json()
            .await
            .unwrap();
        if shown["disabled"] == true {
            break shown;
        }
        assert!(std::time::Instant::now() < deadline, "{shown}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(shown["disabled_at"].is_string());
    assert_eq!(receiver.received().len(), 2, "two attempts, then no more");
    let log = deliveries(&app, &portal, hook).await;
    assert_eq!(log[0]["status"], "dead");
    assert_eq!(log[0]["attempts"].as_array().unwrap().len(), 2);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.lines().any(|l| l.contains("channel=\"webhook\"")
            && l.contains("outcome=\"endpoint_disabled\"")
            && !l.ends_with(" 0")),
        "{metrics}"
    );
    // Nothing more is queued for it.
    act(&app, &id, "take-in-charge", 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(deliveries(&app, &portal, hook).await.len(), 1);
}

/// The caller is decided before the body is judged: a caller without the right gets 401
/// or 403 whatever it sends, never the body's rules (a partner's machine token with an
/// invalid body got 422 on the partner routes, the registry and the citizens' routes,
/// since the body was refused before the partner's registry lookup ended; an officer who
/// is not an administrator got 422, unaudited, on the registry's body routes).
#[tokio::test]
async fn callers_without_the_right_are_refused_before_their_body_is_judged() {
    let app = hook_app(true).await;
    partner(&app, "portal-a", "client-a", json!(["filings", "webhooks"])).await;
    partner(&app, "portal-c", "client-c", json!(["filings"])).await;
    let machine_a = machine(&app, "client-a").await;
    let machine_c = machine(&app, "client-c").await;
    let rogue = machine(&app, "rogue").await;
    let officer = app
        .dev_token(
            json!({"kind": "officer", "subject": "o1", "role": "officer",
                          "units": [ZONE]}),
        )
        .await;
    let invalid = json!({"url": 42, "unknown": true});
    let cases: [(&str, &str, &str, u16, &str); 8] = [
        (machine_a.as_str(), "POST", "/v1/partners", 403, "forbidden"),
        (machine_a.as_str(), "POST", "/v1/filings", 403, "forbidden"),
        (
            machine_a.as_str(),
            "POST",
            "/v1/partners/portal-a/webhook-endpoints",
            403,
            "forbidden",
        ),
        (
            machine_c.as_str(),
            "POST",
            "/v1/partner/webhook-endpoints",
            403,
            "forbidden",
        ),
        (
            rogue.as_str(),
            "POST",
            "/v1/partner/webhook-endpoints",
            401,
            "unknown_client",
        ),
        (
            officer.as_str(),
            "POST",
            "/v1/partner/webhook-endpoints",
            403,
            "forbidden",
        ),
        (officer.as_str(), "POST", "/v1/partners", 403, "forbidden"),
        (
            officer.as_str(),
            "POST",
            "/v1/partners/portal-a/webhook-endpoints",
            403,
            "forbidden",
        ),
    ];
    for (token, method, path, status, code) in cases {
        // A body that breaks the rules, one that is not JSON, one of another type.
        let requests = [
            app.client
                .request(method.parse().unwrap(), app.url(path))
                .json(&invalid),
            app.client
                .request(method.parse().unwrap(), app.url(path))
                .header("Content-Type", "application/json")
                .body("{\"url\": "),
            app.client
                .request(method.parse().unwrap(), app.url(path))
                .header("Content-Type", "text/plain")
                .body("hello"),
        ];
        for request in requests {
            let response = request.bearer_auth(token).send().await.unwrap();
            let problem = assert_problem(response, status, code).await;
            assert!(problem.get("errors").is_none(), "{path}: {problem}");
        }
    }
    // The rightful caller still learns the rules.
    let response = send(
        &app,
        "POST",
        "/v1/partner/webhook-endpoints",
        &machine_a,
        Some(invalid),
    )
    .await;
    assert_problem(response, 422, "validation_failed").await;
}

//! A partner's quota and CORS (issue 16): requests are counted per partner (for a
//! citizen or for itself) and per citizen through the app, in the database, so that two
//! instances share one quota; over it, 429 problem+json with `Retry-After`; every counted
//! answer carries `RateLimit-Policy` and `RateLimit` (IETF draft). Browsers may call only
//! from the registered origins, and a partner's token only from its own.

use reqwest::Response;
use serde_json::{json, Value};
use tests::{assert_problem, spawn_app_with, TestApp};

async fn admin(app: &TestApp) -> String {
    app.dev_token(
        json!({"kind": "officer", "subject": "root", "role": "admin",
                         "units": ["zp-ottignies-louvain-la-neuve"]}),
    )
    .await
}

async fn register(app: &TestApp, body: Value) {
    let token = admin(app).await;
    let response = app
        .client
        .post(app.url("/v1/partners"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

async fn token(app: &TestApp, subject: &str, client: Option<&str>) -> String {
    let mut claims = json!({"kind": "citizen", "subject": subject, "assurance": "substantial"});
    if let Some(client) = client {
        claims["client_id"] = json!(client);
    }
    app.dev_token(claims).await
}

async fn get(app: &TestApp, path: &str, token: &str, origin: Option<&str>) -> Response {
    let mut request = app.client.get(app.url(path)).bearer_auth(token);
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    request.send().await.unwrap()
}

fn header(response: &Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// Waits, when needed, until at least 8 seconds remain in the current minute (the
/// quota's fixed window), so that a test's requests fall in one window.
async fn early_in_a_window() {
    use chrono::Timelike;
    let second = chrono::Utc::now().second();
    if second > 50 {
        tokio::time::sleep(std::time::Duration::from_secs(u64::from(61 - second))).await;
    }
}

#[tokio::test]
async fn two_instances_share_a_partners_quota_and_answer_429_beyond() {
    let app = spawn_app_with(|s| s.rate_limits.citizen_per_minute = 3).await;
    // The same development IdP key, so that one token works on both instances.
    let key = app.data_dir().join("dev-idp-key.json");
    let other = app
        .sibling(move |s| {
            s.rate_limits.citizen_per_minute = 3;
            s.dev_idp.key_file = Some(key);
        })
        .await;
    register(
        &app,
        json!({"id": "portal-a", "name": "A", "kind": "national_portal",
               "client_ids": ["client-a"], "scopes": ["filings", "webhooks"],
               "quota_per_minute": 5}),
    )
    .await;
    register(
        &app,
        json!({"id": "portal-b", "name": "B", "kind": "national_portal",
               "client_ids": ["client-b"], "quota_per_minute": 5}),
    )
    .await;
    let via_a = token(&app, "xavier", Some("client-a")).await;
    let machine_a = token(&app, "client-a", Some("client-a")).await;
    let via_b = token(&app, "xavier", Some("client-b")).await;
    let in_app = token(&app, "yvonne", None).await;
    early_in_a_window().await;

    // Five requests of partner A, spread over both instances, one of them with its own
    // machine token: the quota is the partner's, wherever they land.
    let mut remaining = Vec::new();
    for (i, (instance, path, token)) in [
        (&app, "/v1/filings", &via_a),
        (&other, "/v1/filings", &via_a),
        (&app, "/v1/partner/webhook-endpoints", &machine_a),
        (&other, "/v1/filings", &via_a),
        (&app, "/v1/filings", &via_a),
    ]
    .into_iter()
    .enumerate()
    {
        let response = get(instance, path, token, None).await;
        assert_eq!(response.status(), 200, "request {i}");
        assert_eq!(
            header(&response, "ratelimit-policy"),
            "\"partner\";q=5;w=60"
        );
        remaining.push(header(&response, "ratelimit"));
    }
    let r: Vec<&str> = remaining
        .iter()
        .map(|h| h.split(';').nth(1).unwrap())
        .collect();
    assert_eq!(r, ["r=4", "r=3", "r=2", "r=1", "r=0"]);
    let refused = get(&other, "/v1/filings", &via_a, None).await;
    let retry_after: i64 = header(&refused, "retry-after").parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert!(header(&refused, "ratelimit").starts_with("\"partner\";r=0;t="));
    assert_problem(refused, 429, "too_many_requests").await;
    // Partner B has its own quota.
    assert_eq!(get(&app, "/v1/filings", &via_b, None).await.status(), 200);

    // A citizen through the app: 3 a minute here, on both instances together.
    for instance in [&app, &other, &app] {
        let response = get(instance, "/v1/filings", &in_app, None).await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            header(&response, "ratelimit-policy"),
            "\"citizen\";q=3;w=60"
        );
    }
    let refused = get(&other, "/v1/filings", &in_app, None).await;
    assert_problem(refused, 429, "too_many_requests").await;
}

async fn preflight(app: &TestApp, origin: &str) -> Response {
    app.client
        .request(reqwest::Method::OPTIONS, app.url("/v1/filings"))
        .header("origin", origin)
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn browsers_call_only_from_a_partners_own_origins() {
    let app = spawn_app_with(|_| {}).await;
    register(
        &app,
        json!({"id": "zp-a", "name": "Zone A", "kind": "zone_website",
               "unit": "zp-ottignies-louvain-la-neuve", "client_ids": ["zone-a"], "origins": ["https://www.zone-a.example"]}),
    )
    .await;
    register(
        &app,
        json!({"id": "portal-b", "name": "B", "kind": "national_portal",
               "client_ids": ["client-b"], "origins": ["https://portal-b.example"]}),
    )
    .await;
    // The preflight: a registered origin is allowed, another is not.
    let allowed = preflight(&app, "https://www.zone-a.example").await;
    assert_eq!(allowed.status(), 200);
    assert_eq!(
        header(&allowed, "access-control-allow-origin"),
        "https://www.zone-a.example"
    );
    let evil = preflight(&app, "https://evil.example").await;
    assert_ne!(evil.status(), 200);
    assert_eq!(header(&evil, "access-control-allow-origin"), "");

    // The request itself, from the partner's page: allowed, with the CORS headers.
    let via_a = token(&app, "xavier", Some("zone-a")).await;
    let response = get(
        &app,
        "/v1/filings",
        &via_a,
        Some("https://www.zone-a.example"),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        "https://www.zone-a.example"
    );
    assert!(header(&response, "access-control-expose-headers")
        .to_ascii_lowercase()
        .contains("ratelimit"));
    // Partner A's token from partner B's page (a registered origin, not A's): 403.
    let response = get(
        &app,
        "/v1/filings",
        &via_a,
        Some("https://portal-b.example"),
    )
    .await;
    assert_problem(response, 403, "forbidden").await;
    // Without a browser (no Origin), the token works as before.
    assert_eq!(get(&app, "/v1/filings", &via_a, None).await.status(), 200);

    // A disabled partner's origins are closed at once.
    let response = app
        .client
        .post(app.url("/v1/partners/zp-a/disable"))
        .bearer_auth(admin(&app).await)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let closed = preflight(&app, "https://www.zone-a.example").await;
    assert_eq!(header(&closed, "access-control-allow-origin"), "");
}

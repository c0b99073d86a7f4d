//! The service's foundation over HTTP: probes, problem+json for every error class,
//! request ids, security headers, metrics, CORS, the docs UI and the contract.

use tests::{assert_problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn live_answers_without_the_database() {
    let app = spawn_app().await;
    let response = app.get("/health/live").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"status": "ok"}));
}

#[tokio::test]
async fn ready_is_200_then_503_when_the_database_is_gone() {
    let app = spawn_app().await;
    let response = app.get("/health/ready").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    let backend = if app.db.is_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(body["database"]["backend"], backend);

    app.db.destroy();
    let response = app.get("/health/ready").await;
    assert_eq!(response.status(), 503, "{:?}", response.headers());
    assert_eq!(response.headers()["retry-after"], "5");
    let problem = assert_problem(response, 503, "service_unavailable").await;
    // It stays so: the service never replaces a vanished database with an empty one.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.get("/health/ready").await.status(), 503);
    if let tests::TestDb::Sqlite { path, .. } = &app.db {
        assert!(!path.exists(), "the SQLite file was recreated");
    }
    // The cause is logged, not sent.
    let text = problem.to_string();
    assert!(
        !text.contains("ecom_test_") && !text.contains("test.db"),
        "{text}"
    );
}

#[tokio::test]
async fn unknown_route_is_a_404_problem() {
    let app = spawn_app().await;
    let problem = assert_problem(app.get("/v1/no-such-thing").await, 404, "not_found").await;
    assert_eq!(problem["instance"], "/v1/no-such-thing");
}

#[tokio::test]
async fn wrong_method_is_a_405_problem_with_allow() {
    let app = spawn_app().await;
    let response = app
        .client
        .delete(app.url("/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "GET, HEAD");
    assert_problem(response, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let app = spawn_app().await;
    let echoed = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", "portal-42.abc")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "portal-42.abc");

    let generated = app.get("/health/live").await;
    let id = generated.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");

    // A malformed id (spaces, markup, too long) is replaced, not reflected.
    for bad in ["has space", "<script>", &"a".repeat(200)] {
        let response = app
            .client
            .get(app.url("/health/live"))
            .header("x-request-id", bad)
            .send()
            .await
            .unwrap();
        let id = response.headers()["x-request-id"].to_str().unwrap();
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{bad} gave {id}");
    }

    // And problems carry the caller's id.
    let response = app
        .client
        .get(app.url("/nowhere"))
        .header("x-request-id", "trace-me")
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 404, "not_found").await;
    assert_eq!(problem["request_id"], "trace-me");
}

#[tokio::test]
async fn security_headers_are_on_every_response() {
    let app = spawn_app().await;
    for path in ["/health/live", "/nowhere", "/openapi.json"] {
        let response = app.get(path).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        assert!(
            headers.get("server").is_none(),
            "{path} leaks a server header"
        );
        assert!(headers.contains_key("cache-control"), "{path}");
    }
    let response = app.get("/health/ready").await;
    assert_eq!(response.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn metrics_expose_requests_latency_and_pool() {
    let app = spawn_app().await;
    app.get("/health/live").await;
    app.get("/health/live").await;
    app.get("/nowhere/12345").await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = response.text().await.unwrap();
    assert!(
        text.contains(
            r#"ecommissariat_http_requests_total{endpoint="/health/live",method="GET",status="200"} 2"#
        ),
        "{text}"
    );
    assert!(text.contains("ecommissariat_http_requests_duration_seconds_bucket"));
    // Unknown paths are folded into one label, so that probes cannot explode cardinality.
    assert!(text.contains(r#"endpoint="unmatched""#), "{text}");
    assert!(!text.contains("12345"));
    assert!(
        text.contains("ecommissariat_db_pool_max_connections 4"),
        "{text}"
    );
    assert!(text.contains("ecommissariat_db_pool_connections "));
    assert!(text.contains("ecommissariat_db_pool_idle_connections "));
}

#[tokio::test]
async fn cors_is_closed_unless_origins_are_configured() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/health/live"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(response
        .headers()
        .get("access-control-allow-origin")
        .is_none());

    let app = spawn_app_with(|s| {
        s.cors.allowed_origins = vec!["https://www.police.example".into()];
    })
    .await;
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/health/live"))
        .header("origin", "https://www.police.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 200);
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "https://www.police.example"
    );
    let other = app
        .client
        .get(app.url("/health/live"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn docs_are_served_with_no_external_url() {
    let app = spawn_app().await;
    let redirect = app.get("/docs").await;
    assert_eq!(redirect.status(), 308);
    assert_eq!(redirect.headers()["location"], "/docs/");

    let page = app.get("/docs/").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let mut references = Vec::new();
    for tag in html.split('<').skip(1) {
        let lower = tag.to_ascii_lowercase();
        if lower.starts_with("script") || lower.starts_with("link") {
            for attribute in ["src=\"", "href=\""] {
                if let Some(start) = lower.find(attribute) {
                    let rest = &tag[start + attribute.len()..];
                    references.push(rest[..rest.find('"').unwrap()].to_owned());
                }
            }
        }
    }
    assert!(references.len() >= 3, "{references:?}");
    for reference in &references {
        assert!(
            !reference.contains("//"),
            "external reference {reference} in /docs/"
        );
        let asset = app
            .get(&format!("/docs/{}", reference.trim_start_matches("./")))
            .await;
        assert_eq!(asset.status(), 200, "{reference}");
    }
    let initializer = app
        .get("/docs/swagger-initializer.js")
        .await
        .text()
        .await
        .unwrap();
    assert!(initializer.contains("/openapi.json"), "{initializer}");
}

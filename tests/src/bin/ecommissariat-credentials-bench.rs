//! Benchmark of the online check of a document's credential (issue 19):
//! `POST /v1/credentials/verify` with a receipt's QR content and with a minor's travel
//! authorisation's (one read of the register by the document's id), on the real service
//! and database (SQLite, or PostgreSQL with `TEST_DATABASE_URL`). Sequential requests after a
//! warm-up, first without the per-address quota, then with it (one counter upsert per
//! check), and the published keys (`GET /v1/credentials/keys`) as the same run's
//! baseline. Target: p99 at most 5 ms. Run:
//! `cargo run --release -p tests --bin ecommissariat-credentials-bench`
//! (`BENCH_REQUESTS`, default 2000).

use serde_json::{json, Value};
use std::time::Instant;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A submitted bicycle theft's receipt credential.
async fn credential(app: &tests::TestApp) -> String {
    let citizen = app
        .dev_token(json!({"kind": "citizen", "subject": "bench", "assurance": "substantial"}))
        .await;
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    let body = json!({
        "procedure": "bicycle_theft", "country": "BE",
        "place": {"lat": 50.6730, "lon": 4.5687, "description": "Station rack"},
        "facts_date": {"from": yesterday},
        "answers": {"ongoing_danger": false, "injury": false, "known_author": false, "violence": false, "exploitable_traces": false},
        "facts": {"bicycle_locked": true, "circumstances": "Bench.",
                  "items": [{"category": "bicycle", "brand": "Gazelle", "serial_number": "GZ12345678"}]},
        "contact": {"email": "bench@example.org"}, "confirmation_channel": "email"
    });
    let created: Value = app
        .client
        .post(app.url("/v1/filings"))
        .bearer_auth(&citizen)
        .json(&body)
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("created");
    let id = created["id"].as_str().expect("an id").to_owned();
    let submitted = app
        .client
        .post(app.url(&format!("/v1/filings/{id}/submit")))
        .bearer_auth(&citizen)
        .send()
        .await
        .expect("submit");
    assert_eq!(submitted.status(), 200);
    let receipt: Value = app
        .client
        .get(app.url(&format!("/v1/filings/{id}/receipt")))
        .bearer_auth(&citizen)
        .send()
        .await
        .expect("receipt")
        .json()
        .await
        .expect("a receipt");
    receipt["credential"]
        .as_str()
        .expect("a credential")
        .to_owned()
}

/// The QR content of a minor's travel authorisation valid today: a sole holder's request
/// with its court decision attached, approved by an officer of the unit.
async fn travel_credential(app: &tests::TestApp) -> String {
    let parent = app
        .dev_token(json!({"kind": "citizen", "subject": "bench-parent", "assurance": "high"}))
        .await;
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "bench-officer", "units": ["zp-ottignies-louvain-la-neuve"]}))
        .await;
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Brussels)
        .date_naive();
    let body = json!({
        "minor": {"first_name": "Bench", "last_name": "Minor", "birth_date": "2014-05-10", "document_number": "B0000000"},
        "trip": {"destinations": ["FR"], "departure": today, "return_date": today + chrono::Duration::days(7)},
        "other_holder": {"kind": "sole_holder", "ground": "death_certificate"},
        "municipality": "BE-25121", "contact_email": "bench@example.org"
    });
    let send = |request: reqwest::RequestBuilder| async move {
        let response = request.send().await.expect("answer");
        assert!(response.status().is_success(), "{}", response.status());
        response.json::<Value>().await.expect("json")
    };
    let created = send(
        app.client
            .post(app.url("/v1/travel-authorisations"))
            .bearer_auth(&parent)
            .json(&body),
    )
    .await;
    let id = created["id"].as_str().expect("an id").to_owned();
    let certificate = reqwest::multipart::Part::bytes(
        b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n".to_vec(),
    )
    .file_name("certificate.pdf")
    .mime_str("application/pdf")
    .expect("a part");
    send(
        app.client
            .post(app.url(&format!(
                "/v1/travel-authorisations/{id}/supporting-documents"
            )))
            .bearer_auth(&parent)
            .multipart(reqwest::multipart::Form::new().part("file", certificate)),
    )
    .await;
    send(
        app.client
            .post(app.url(&format!(
                "/v1/units/zp-ottignies-louvain-la-neuve/travel-authorisations/{id}/approve"
            )))
            .bearer_auth(&officer)
            .json(&json!({})),
    )
    .await;
    let document = send(
        app.client
            .get(app.url(&format!("/v1/travel-authorisations/{id}/document")))
            .bearer_auth(&parent),
    )
    .await;
    document["credential"]
        .as_str()
        .expect("a credential")
        .to_owned()
}

/// Latencies in milliseconds of `requests` sequential calls after 100 of warm-up.
async fn measure(app: &tests::TestApp, requests: usize, check: Option<&str>) -> Vec<f64> {
    let mut latencies = Vec::with_capacity(requests);
    for i in 0..(requests + 100) {
        let t = Instant::now();
        let response = match check {
            Some(credential) => {
                app.client
                    .post(app.url("/v1/credentials/verify"))
                    .json(&json!({ "credential": credential }))
                    .send()
                    .await
            }
            None => app.client.get(app.url("/v1/credentials/keys")).send().await,
        }
        .expect("answer");
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.expect("json");
        if check.is_some() {
            assert_eq!(body["status"], "valid");
        }
        if i >= 100 {
            latencies.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    latencies.sort_by(f64::total_cmp);
    latencies
}

fn report(what: &str, latencies: &[f64]) {
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{what}: n={} p50={:.2} ms p90={:.2} ms p99={:.2} ms max={:.2} ms",
        latencies.len(),
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0)
    );
}

#[tokio::main]
async fn main() {
    let requests = env("BENCH_REQUESTS", 2000);
    let app = tests::spawn_app_with(|s| s.credentials.verify_per_minute = 0).await;
    let backend = if app.db.is_postgres() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let credential = credential(&app).await;
    let travel = travel_credential(&app).await;
    report(
        "baseline GET /v1/credentials/keys",
        &measure(&app, requests, None).await,
    );
    report(
        &format!("POST /v1/credentials/verify, no quota ({backend})"),
        &measure(&app, requests, Some(&credential)).await,
    );
    report(
        &format!("POST /v1/credentials/verify, travel authorisation, no quota ({backend})"),
        &measure(&app, requests, Some(&travel)).await,
    );
    // The same key (the first service's key file), with the quota counted.
    let key_file = app.data_dir().join("credential-signing-key.json");
    let limited = app
        .sibling(|s| {
            s.credentials.verify_per_minute = 1_000_000;
            s.credentials.signing_key_file = Some(key_file);
        })
        .await;
    report(
        &format!("POST /v1/credentials/verify, with the per-address quota ({backend})"),
        &measure(&limited, requests, Some(&credential)).await,
    );
    report(
        &format!(
            "POST /v1/credentials/verify, travel authorisation, with the per-address quota ({backend})"
        ),
        &measure(&limited, requests, Some(&travel)).await,
    );
}

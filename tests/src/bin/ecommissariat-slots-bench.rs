//! Benchmark of the slot search (issue 18): `GET /v1/appointment-slots` over 30 days of
//! one unit, whose capacity is Monday to Friday 08:00–18:00 in 15-minute slots with 4
//! desks, with bookings spread over the period, on the real service and database
//! (SQLite, or PostgreSQL with `TEST_DATABASE_URL`). Sequential requests, after a warm-up.
//! Target: p99 at most 20 ms. Run:
//! `cargo run --release -p tests --bin ecommissariat-slots-bench`
//! (`BENCH_BOOKINGS`, default 1200; `BENCH_REQUESTS`, default 1000).

use chrono::{Duration, Utc};
use serde_json::{json, Value};
use std::time::Instant;

const UNIT: &str = "fr-pn-commissariat-de-police-de-cergy";

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn token(app: &tests::TestApp, body: Value) -> String {
    app.dev_token(body).await
}

async fn filing(app: &tests::TestApp, citizen: &str) -> String {
    let body = json!({
        "procedure": "video_complaint", "country": "FR", "place": {"municipality": "FR-95127"},
        "facts_date": {"from": (Utc::now() - Duration::days(1)).to_rfc3339()},
        "answers": {"ongoing_danger": false, "injury": false},
        "facts": {"offence_kind": "theft", "circumstances": "Bench.",
                  "preferred_slots": [(Utc::now() + Duration::days(3)).to_rfc3339()]},
        "contact": {"email": "bench@example.org"}, "confirmation_channel": "email"
    });
    let created: Value = app
        .client
        .post(app.url("/v1/filings"))
        .bearer_auth(citizen)
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
        .bearer_auth(citizen)
        .send()
        .await
        .expect("submit");
    assert_eq!(submitted.status(), 200);
    id
}

#[tokio::main]
async fn main() {
    let bookings = env("BENCH_BOOKINGS", 1200);
    let requests = env("BENCH_REQUESTS", 1000);
    let app = tests::spawn_app_with(|s| {
        s.filings.daily_submissions = 1_000_000;
    })
    .await;
    let backend = if app.db.is_postgres() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let supervisor = token(
        &app,
        json!({"kind": "officer", "subject": "bench-sup", "role": "supervisor", "units": [UNIT]}),
    )
    .await;
    let day = ["08:00-18:00"];
    let capacity = json!({
        "duration_minutes": 15, "desks": 4,
        "weekly": {"mo": day, "tu": day, "we": day, "th": day, "fr": day},
        "min_notice_minutes": 0, "horizon_days": 60
    });
    let response = app
        .client
        .put(app.url(&format!("/v1/units/{UNIT}/appointment-capacities/video")))
        .bearer_auth(&supervisor)
        .json(&capacity)
        .send()
        .await
        .expect("publish");
    assert_eq!(response.status(), 201);
    let citizen = token(
        &app,
        json!({"kind": "citizen", "subject": "bench", "assurance": "substantial"}),
    )
    .await;
    let probe = filing(&app, &citizen).await;
    let today = Utc::now().date_naive();
    let until = today + Duration::days(29);
    let search = format!("/v1/appointment-slots?filing={probe}&from={today}&until={until}");
    let offered: Value = app
        .client
        .get(app.url(&search))
        .bearer_auth(&citizen)
        .send()
        .await
        .expect("search")
        .json()
        .await
        .expect("slots");
    let slots: Vec<String> = offered["units"][0]["slots"]
        .as_array()
        .expect("slots")
        .iter()
        .map(|s| s["starts_at"].as_str().unwrap_or_default().to_owned())
        .collect();
    let started = Instant::now();
    for i in 0..bookings {
        let f = filing(&app, &citizen).await;
        let slot = &slots[(i * 7) % slots.len()];
        let _ = app
            .client
            .post(app.url(&format!("/v1/filings/{f}/appointments")))
            .bearer_auth(&citizen)
            .json(&json!({"starts_at": slot}))
            .send()
            .await
            .expect("book");
    }
    eprintln!(
        "{} slots over 30 days, {bookings} bookings made in {:.1} s",
        slots.len(),
        started.elapsed().as_secs_f64()
    );
    let mut latencies = Vec::with_capacity(requests);
    let mut offered_now = 0;
    for i in 0..(requests + 50) {
        let t = Instant::now();
        let response = app
            .client
            .get(app.url(&search))
            .bearer_auth(&citizen)
            .send()
            .await
            .expect("search");
        let body: Value = response.json().await.expect("slots");
        let elapsed = t.elapsed().as_secs_f64() * 1e3;
        if i >= 50 {
            latencies.push(elapsed);
            offered_now = body["units"][0]["slots"].as_array().map_or(0, Vec::len);
        }
    }
    // The same run's baseline: an authenticated read of one filing (`GET /v1/filings/{id}`).
    let mut baseline = Vec::with_capacity(requests);
    for _ in 0..requests {
        let t = Instant::now();
        let response = app
            .client
            .get(app.url(&format!("/v1/filings/{probe}")))
            .bearer_auth(&citizen)
            .send()
            .await
            .expect("read");
        let _: Value = response.json().await.expect("filing");
        baseline.push(t.elapsed().as_secs_f64() * 1e3);
    }
    baseline.sort_by(f64::total_cmp);
    let base = |q: f64| baseline[((baseline.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "baseline GET /v1/filings/{{id}}: p50={:.2} ms p99={:.2} ms",
        base(0.5),
        base(0.99)
    );
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "slot search, 30 days, one unit ({backend}, {} slots offered of {}): n={} p50={:.2} ms p90={:.2} ms p99={:.2} ms max={:.2} ms",
        offered_now,
        slots.len(),
        latencies.len(),
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0)
    );
}

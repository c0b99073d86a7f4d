//! Issue 22, the open statistics (docs/STATISTICS.md): public, cacheable counts by
//! procedure, country, unit and month, in JSON and CSV, with small-cell suppression and
//! its complement, so that no published total gives a small count away.

use chrono::{Datelike, Months, NaiveDate, Utc};
use diesel::prelude::*;
use serde_json::{json, Value};
use tests::{assert_problem, spawn_app_with, TestApp};

const ZONE: &str = "zp-ottignies-louvain-la-neuve";

/// A submitted bicycle theft of a citizen of its own (one each: the daily quota).
async fn submitted(app: &TestApp, n: usize) -> String {
    let citizen = app
        .dev_token(json!({"kind": "citizen", "subject": format!("stats-{n}")}))
        .await;
    let body = json!({
        "procedure": "bicycle_theft", "country": "BE", "place": {"municipality": "BE-25121"},
        "facts_date": {"from": (Utc::now() - chrono::Duration::days(1)).to_rfc3339()},
        "answers": {"ongoing_danger": false, "injury": false, "known_author": false, "violence": false, "exploitable_traces": false},
        "facts": {"bicycle_locked": true, "circumstances": "stolen at the station",
                  "items": [{"category": "bicycle", "brand": "Gazelle", "serial_number": format!("SN{n}")}]},
        "contact": {"email": "someone@example.org"}, "confirmation_channel": "email"
    });
    let created = app
        .client
        .post(app.url("/v1/filings"))
        .bearer_auth(&citizen)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let sent = app
        .client
        .post(app.url(&format!("/v1/filings/{id}/submit")))
        .bearer_auth(&citizen)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);
    id
}

async fn register(app: &TestApp, officer: &str, id: &str) {
    for (action, version) in [("take-in-charge", 2), ("register", 3)] {
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
}

/// Moves filings' submission into an earlier month (the test builds a history).
fn submitted_on(app: &TestApp, ids: &[String], day: NaiveDate) {
    let pool = app.db.pool();
    let mut conn = pool.get().unwrap();
    for id in ids {
        let sql = format!("UPDATE filings SET submitted_at = '{day} 12:00:00' WHERE id = '{id}'");
        let changed = match &mut **conn {
            persistence::DbConnection::Postgresql(pg) => diesel::sql_query(sql).execute(pg),
            persistence::DbConnection::Sqlite(sqlite) => diesel::sql_query(sql).execute(sqlite),
        }
        .unwrap();
        assert_eq!(changed, 1);
    }
}

async fn get(app: &TestApp, query: &str, accept: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/v1/statistics{query}")))
        .header("accept", accept)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn counts_are_published_with_small_cells_and_their_complements_suppressed() {
    let app = spawn_app_with(|s| s.statistics.threshold = 3).await;
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-stats", "units": [ZONE]}))
        .await;
    // Last month: three filings, all registered. This month: four, one registered.
    let mut last = Vec::new();
    for n in 0..3 {
        let id = submitted(&app, n).await;
        register(&app, &officer, &id).await;
        last.push(id);
    }
    let first = submitted(&app, 3).await;
    register(&app, &officer, &first).await;
    for n in 4..7 {
        submitted(&app, n).await;
    }
    let today = Utc::now().date_naive();
    let this = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap();
    let previous = this - Months::new(1);
    submitted_on(&app, &last, previous + chrono::Duration::days(14));
    let window = format!(
        "?group_by=month&from={}&to={}",
        previous.format("%Y-%m"),
        this.format("%Y-%m")
    );

    let response = get(&app, &window, "application/json").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["cache-control"]
        .to_str()
        .unwrap()
        .starts_with("public"));
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let table: Value = response.json().await.unwrap();
    assert_eq!(table["threshold"], 3);
    assert_eq!(table["dimensions"], json!(["month"]));
    let rows = table["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{table}");
    assert_eq!(rows[0]["month"], previous.format("%Y-%m").to_string());
    assert_eq!(rows[0]["submitted"], 3);
    assert_eq!(rows[1]["submitted"], 4);
    assert_eq!(table["totals"]["submitted"], 7);
    // Registered: 3 and 1. The 1 is small; with the total (4) published, the 3 would give
    // it away: it is suppressed too.
    assert_eq!(rows[1]["registered"], "<3");
    assert_eq!(rows[0]["registered"], "<3");
    assert_eq!(table["totals"]["registered"], 4);
    // Zeros are published.
    assert_eq!(rows[0]["rejected"], 0);
    assert_eq!(table["totals"]["rejected"], 0);
    // No column can be solved: never exactly one hidden cell beside a published total.
    for measure in ["submitted", "registered", "rejected", "redirected"] {
        let hidden = rows.iter().filter(|r| r[measure].is_string()).count();
        assert!(
            hidden != 1 || table["totals"][measure].is_string(),
            "{measure}: {table}"
        );
    }

    // Cacheable: the same table again is 304 with its ETag.
    let again = app
        .client
        .get(app.url(&format!("/v1/statistics{window}")))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);

    // The same table as CSV (by Accept, and by ?format=csv).
    let csv = get(&app, &window, "text/csv").await;
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = csv.text().await.unwrap();
    let expected = format!(
        "month,submitted,registered,rejected,redirected\n{},3,<3,0,0\n{},4,<3,0,0\ntotal,7,4,0,0\n",
        previous.format("%Y-%m"),
        this.format("%Y-%m")
    );
    assert_eq!(text, expected);
    let by_format = get(&app, &format!("{window}&format=csv"), "*/*").await;
    assert_eq!(by_format.text().await.unwrap(), expected);

    // By procedure, country and unit: one row, nothing small.
    let whole: Value = get(
        &app,
        &format!(
            "?group_by=procedure,country,unit&from={}&to={}",
            previous.format("%Y-%m"),
            this.format("%Y-%m")
        ),
        "application/json",
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        whole["rows"],
        json!([{"procedure": "bicycle_theft", "country": "BE", "unit": ZONE,
                "submitted": 7, "registered": 4, "rejected": 0, "redirected": 0}])
    );

    // This month alone: the one registration is small and nothing can hide it but the
    // total, which is suppressed.
    let month: Value = get(
        &app,
        &format!("?group_by=procedure&from={0}&to={0}", this.format("%Y-%m")),
        "application/json",
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(month["rows"][0]["submitted"], 4);
    assert_eq!(month["rows"][0]["registered"], "<3");
    assert_eq!(month["totals"]["registered"], "<3");
}

#[tokio::test]
async fn bad_statistics_queries_are_refused() {
    let app = spawn_app_with(|_| {}).await;
    for (query, pointer) in [
        ("?group_by=colour", "/query/group_by"),
        ("?group_by=month,,unit", "/query/group_by"),
        ("?from=2026-13", "/query/from"),
        ("?from=2026-05&to=2026-04", "/query/to"),
        ("?from=2020-01&to=2026-01", "/query/to"),
        ("?format=xml", "/query/format"),
    ] {
        let response = get(&app, query, "application/json").await;
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["pointer"], pointer, "{query}");
    }
    // The default window (the last twelve months) of an empty service: only zeros.
    let empty: Value = get(&app, "", "application/json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(empty["rows"], json!([]));
    assert_eq!(empty["totals"]["submitted"], 0);
}

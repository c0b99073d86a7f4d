//! Issue 22, the open statistics (docs/STATISTICS.md): public, cacheable counts by
//! procedure, country, unit, municipality, region, week and month, in JSON and CSV, with
//! small-cell suppression and its complement, so that no published total gives a small
//! count away; processing times (checked against Python's own median, and their
//! log-scaled buckets against the `hdrhistogram` crate), the counter counts' import, the
//! online share, and the incremental refresh (checked against a full rebuild) with the
//! answers cached per generation of the summary.

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

/// Runs one SQL statement on the app's database; returns the rows changed.
fn execute(app: &TestApp, sql: String) -> usize {
    let pool = app.db.pool();
    let mut conn = pool.get().unwrap();
    match &mut **conn {
        persistence::DbConnection::Postgresql(pg) => diesel::sql_query(sql).execute(pg),
        persistence::DbConnection::Sqlite(sqlite) => diesel::sql_query(sql).execute(sqlite),
    }
    .unwrap()
}

/// Moves filings' submission into an earlier month (the test builds a history).
fn submitted_on(app: &TestApp, ids: &[String], day: NaiveDate) {
    for id in ids {
        let sql = format!("UPDATE filings SET submitted_at = '{day} 12:00:00' WHERE id = '{id}'");
        assert_eq!(execute(app, sql), 1);
    }
}

/// What the statistics job does (`persistence::statistics::refresh`), now.
fn refresh(app: &TestApp) -> persistence::statistics::RefreshReport {
    let pool = app.db.pool();
    let mut conn = pool.get().unwrap();
    persistence::statistics::refresh(&mut conn, Utc::now(), false).unwrap()
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
    // Nothing is published before the summary's refresh; the refresh sees both months.
    let report = refresh(&app);
    assert_eq!(report.filings, 7, "{report:?}");
    assert_eq!(report.months.len(), 2, "{report:?}");
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
    // The counts (the times depend on the clock; they are checked below on a known set).
    let counts = |text: &str| -> String {
        text.lines()
            .map(|l| l.split(',').take(5).collect::<Vec<_>>().join(","))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let expected = format!(
        "month,submitted,registered,rejected,redirected\n{},3,<3,0,0\n{},4,<3,0,0\ntotal,7,4,0,0",
        previous.format("%Y-%m"),
        this.format("%Y-%m")
    );
    assert_eq!(counts(&text), expected);
    assert!(text.starts_with(
        "month,submitted,registered,rejected,redirected,in_charge_median_hours,in_charge_p90_hours,end_median_hours,end_p90_hours,online_share\n"
    ));
    let by_format = get(&app, &format!("{window}&format=csv"), "*/*").await;
    assert_eq!(by_format.text().await.unwrap(), text);

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
    let row = &whole["rows"][0];
    assert_eq!(whole["rows"].as_array().unwrap().len(), 1, "{whole}");
    for (name, value) in [
        ("procedure", json!("bicycle_theft")),
        ("country", json!("BE")),
        ("unit", json!(ZONE)),
        ("submitted", json!(7)),
        ("registered", json!(4)),
        ("rejected", json!(0)),
        ("redirected", json!(0)),
        ("online_share", Value::Null),
    ] {
        assert_eq!(row[name], value, "{name}: {whole}");
    }

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
        ("?group_by=week,province", "/query/group_by"),
        ("?group_by=month,,unit", "/query/group_by"),
        ("?from=2026-13", "/query/from"),
        ("?from=2026-05&to=2026-04", "/query/to"),
        ("?from=2020-01&to=2026-01", "/query/to"),
        ("?format=xml", "/query/format"),
        ("?group_by=unit,unit", "/query/group_by"),
        ("?from=2026-1", "/query/from"),
        // A signed year (reported from outside: it answered for the year 1 BC).
        ("?from=-001-01&to=-001-12", "/query/from"),
        ("?from=+2026-01", "/query/from"),
    ] {
        let response = get(&app, query, "application/json").await;
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["pointer"], pointer, "{query}");
    }
    // A dimension given twice is a mistake (reported from outside: it was answered),
    // and a month is said to be one.
    let twice = get(&app, "?group_by=unit,unit", "application/json").await;
    let problem = assert_problem(twice, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "duplicate_item");
    let month = get(&app, "?to=2026-1", "application/json").await;
    let problem = assert_problem(month, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "invalid_month");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("YYYY-MM)"),
        "{problem}"
    );
    // Both bad months are named at once.
    let both = get(&app, "?from=2026-13&to=-001-12", "application/json").await;
    let problem = assert_problem(both, 422, "validation_failed").await;
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(pointers, ["/query/from", "/query/to"], "{problem}");
    // The default window (the last twelve months) of an empty service: only zeros.
    let empty: Value = get(&app, "", "application/json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(empty["rows"], json!([]));
    assert_eq!(empty["totals"]["submitted"], 0);
}

/// A filing submitted, taken in charge and (when `end`) registered, then dated: submitted
/// on `day` at 08:00, taken in charge `in_charge` hours and 30 minutes later, ended `end`
/// hours and 30 minutes later.
async fn dated(
    app: &TestApp,
    officer: &str,
    n: usize,
    day: &str,
    in_charge: u32,
    end: Option<u32>,
) -> String {
    let id = submitted(app, n).await;
    let take = app
        .client
        .post(app.url(&format!("/v1/units/{ZONE}/filings/{id}/take-in-charge")))
        .bearer_auth(officer)
        .header("if-match", "\"v2\"")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(take.status(), 200);
    if end.is_some() {
        let registered = app
            .client
            .post(app.url(&format!("/v1/units/{ZONE}/filings/{id}/register")))
            .bearer_auth(officer)
            .header("if-match", "\"v3\"")
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(registered.status(), 200);
    }
    let start = NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .unwrap()
        .and_hms_opt(8, 0, 0)
        .unwrap();
    let at = |hours: u32| {
        (start + chrono::Duration::minutes(i64::from(hours) * 60 + 30))
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    execute(
        app,
        format!("UPDATE filings SET submitted_at = '{start}' WHERE id = '{id}'"),
    );
    let history = |status: &str, when: String| {
        format!(
            "UPDATE filing_history SET occurred_at = '{when}' WHERE filing_id = '{id}' AND to_status = '{status}'"
        )
    };
    assert_eq!(execute(app, history("taken_in_charge", at(in_charge))), 1);
    if let Some(end) = end {
        assert_eq!(execute(app, history("registered", at(end))), 1);
    }
    id
}

/// Python's own nearest-rank median (`statistics.median_low`) and 90th percentile.
fn python_percentiles(values: &[u32]) -> (u64, u64) {
    let script = "import json, math, statistics, sys\n\
                  v = json.load(sys.stdin)\n\
                  s = sorted(v)\n\
                  print(json.dumps([statistics.median_low(v), s[math.ceil(0.9 * len(s)) - 1]]))";
    let out = tests::python::run_script(
        script,
        serde_json::to_string(values).unwrap().as_bytes(),
        "percentiles",
    );
    serde_json::from_slice(&out).unwrap()
}

/// The bucket of a time by the independent implementation the service's buckets follow:
/// HdrHistogram at one significant digit (exact below 32, then 16 buckets per doubling),
/// its lowest equivalent value.
fn hdr_bucket(hours: u64) -> u64 {
    hdrhistogram::Histogram::<u64>::new(1)
        .unwrap()
        .lowest_equivalent(hours)
}

#[tokio::test]
async fn long_processing_times_are_published_within_the_stated_relative_error() {
    let app = spawn_app_with(|s| s.statistics.threshold = 3).await;
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-precision", "units": [ZONE]}))
        .await;
    // Ten filings of February 2026 taken in charge after 3 hours to a month, registered
    // after twice that and 5 hours more.
    let in_charge: Vec<u32> = vec![500, 3, 45, 333, 70, 150, 40, 200, 100, 700];
    let ends: Vec<u32> = in_charge.iter().map(|h| h * 2 + 5).collect();
    for (n, (hours, end)) in in_charge.iter().zip(&ends).enumerate() {
        dated(&app, &officer, 200 + n, "2026-02-10", *hours, Some(*end)).await;
    }
    refresh(&app);
    let table: Value = get(
        &app,
        "?group_by=month&from=2026-02&to=2026-02",
        "application/json",
    )
    .await
    .json()
    .await
    .unwrap();
    let row = &table["rows"][0];
    assert_eq!(row["submitted"], 10, "{table}");
    let (median, p90) = python_percentiles(&in_charge);
    let (end_median, end_p90) = python_percentiles(&ends);
    assert_eq!((median, p90, end_median, end_p90), (100, 500, 205, 1005));
    for (column, exact) in [
        ("in_charge_median_hours", median),
        ("in_charge_p90_hours", p90),
        ("end_median_hours", end_median),
        ("end_p90_hours", end_p90),
    ] {
        let published = row[column].as_u64().unwrap();
        assert_eq!(published, hdr_bucket(exact), "{column}: {table}");
        // Never above the exact time, and less than 1/17 of it below.
        assert!(published <= exact, "{column}");
        assert!(
            (exact - published) * 17 < exact,
            "{column}: {published} for {exact}"
        );
    }
    // The buckets of these times are not the times: the precision rule is at work.
    assert_eq!(row["in_charge_p90_hours"], 496);
    assert_eq!(row["end_p90_hours"], 992);
}

#[tokio::test]
async fn an_incremental_refresh_rebuilds_only_the_changed_cells_and_equals_a_full_one() {
    let app = spawn_app_with(|s| s.statistics.threshold = 2).await;
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-incremental", "units": [ZONE]}))
        .await;
    let mut ids = Vec::new();
    for n in 0..4 {
        ids.push(submitted(&app, 400 + n).await);
    }
    let today = Utc::now().date_naive();
    let this = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap();
    let window = format!(
        "?group_by=procedure,unit,municipality,week,month&from={0}&to={0}",
        this.format("%Y-%m")
    );
    let first = refresh(&app);
    assert!(first.full, "the first refresh builds everything: {first:?}");
    let before = get(&app, &window, "application/json").await;
    let etag = before.headers()["etag"].to_str().unwrap().to_owned();
    let before: Value = before.json().await.unwrap();
    assert_eq!(before["totals"]["registered"], 0, "{before}");

    // Two filings last changed long ago: a refresh does not read them again.
    for id in &ids[2..] {
        let sql =
            format!("UPDATE filings SET updated_at = '2020-01-01 00:00:00' WHERE id = '{id}'");
        assert_eq!(execute(&app, sql), 1);
    }
    // Nothing changed: the two recent filings are read again (the margin for late
    // commits) but their cells are not touched; the generation stays, and so does the
    // cached answer.
    let idle = refresh(&app);
    assert!(!idle.full);
    assert_eq!(
        (idle.filings, idle.cells, idle.generation),
        (2, 0, first.generation),
        "{idle:?}"
    );
    let cached = get(&app, &window, "application/json").await;
    assert_eq!(cached.headers()["etag"].to_str().unwrap(), etag);

    // Two filings registered: only their cell is rebuilt (one cell: same week,
    // municipality and unit), the answer changes at once (a new generation), and it is
    // what a full rebuild gives.
    register(&app, &officer, &ids[0]).await;
    register(&app, &officer, &ids[1]).await;
    let second = refresh(&app);
    assert!(!second.full);
    assert_eq!(
        second.filings, 2,
        "only the changed filings are read: {second:?}"
    );
    assert_eq!(second.cells, 1, "{second:?}");
    assert_eq!(second.generation, first.generation + 1);
    let after = get(&app, &window, "application/json").await;
    assert_ne!(after.headers()["etag"].to_str().unwrap(), etag);
    let after: Value = after.json().await.unwrap();
    assert_eq!(after["totals"]["registered"], 2, "{after}");
    assert_eq!(after["totals"]["submitted"], 4);

    let pool = app.db.pool();
    let mut conn = pool.get().unwrap();
    let full = persistence::statistics::refresh(&mut conn, Utc::now(), true).unwrap();
    drop(conn);
    assert!(full.full);
    let rebuilt: Value = get(&app, &window, "application/json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rebuilt, after, "incremental and full refreshes agree");
}

#[tokio::test]
async fn processing_times_weeks_and_places_are_published_with_small_cells_suppressed() {
    let app = spawn_app_with(|s| s.statistics.threshold = 3).await;
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-times", "units": [ZONE]}))
        .await;
    // Ten filings in March 2026: eight in ISO week 10 (2 and 3 March), two in week 11
    // (9 March). Taken in charge after 1..10 hours; the first six registered after 20,
    // 30, ... 70 hours.
    let in_charge: Vec<u32> = vec![7, 1, 10, 3, 5, 2, 9, 4, 6, 8];
    let ends: Vec<u32> = vec![50, 20, 70, 40, 30, 60];
    let mut ids = Vec::new();
    for (n, hours) in in_charge.iter().enumerate() {
        let day = match n {
            0..=3 => "2026-03-02",
            4..=7 => "2026-03-03",
            _ => "2026-03-09",
        };
        ids.push(dated(&app, &officer, 100 + n, day, *hours, ends.get(n).copied()).await);
    }
    // One filing of the week 11 has no municipality.
    execute(
        &app,
        format!(
            "UPDATE filings SET municipality_id = NULL WHERE id = '{}'",
            ids[9]
        ),
    );
    let report = refresh(&app);
    assert_eq!(report.months, ["2026-03"], "{report:?}");

    let (median, p90) = python_percentiles(&in_charge);
    let (end_median, end_p90) = python_percentiles(&ends);
    assert_eq!((median, p90, end_median, end_p90), (5, 9, 40, 70));
    // Exact below 32 hours; 70 hours is published as its bucket's lower bound, 68.
    let end_p90 = hdr_bucket(end_p90);
    assert_eq!(end_p90, 68);
    let month: Value = get(
        &app,
        "?group_by=month&from=2026-03&to=2026-03",
        "application/json",
    )
    .await
    .json()
    .await
    .unwrap();
    let row = &month["rows"][0];
    assert_eq!(row["submitted"], 10, "{month}");
    assert_eq!(row["registered"], 6);
    assert_eq!(row["in_charge_median_hours"], median);
    assert_eq!(row["in_charge_p90_hours"], p90);
    assert_eq!(row["end_median_hours"], end_median);
    assert_eq!(row["end_p90_hours"], end_p90);
    assert_eq!(month["totals"]["in_charge_median_hours"], median);
    // No counter counts: the share is null.
    assert_eq!(row["online_share"], Value::Null);

    // By week: 8 and 2 filings. The week of two has its counts and its times
    // suppressed (fewer than 3 filings); no share is published by week.
    let weeks: Value = get(
        &app,
        "?group_by=week&from=2026-03&to=2026-03",
        "application/json",
    )
    .await
    .json()
    .await
    .unwrap();
    let rows = weeks["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{weeks}");
    assert_eq!(rows[0]["week"], "2026-W10");
    assert_eq!(
        rows[0]["submitted"], "<3",
        "the complement of the small cell: {weeks}"
    );
    assert_eq!(rows[1]["week"], "2026-W11");
    assert_eq!(rows[1]["submitted"], "<3");
    assert_eq!(weeks["totals"]["submitted"], 10);
    let first_week: Vec<u32> = in_charge[..8].to_vec();
    let (w_median, w_p90) = python_percentiles(&first_week);
    assert_eq!(rows[0]["in_charge_median_hours"], w_median);
    assert_eq!(rows[0]["in_charge_p90_hours"], w_p90);
    assert_eq!(rows[1]["in_charge_median_hours"], "<3");
    assert_eq!(
        rows[1]["end_median_hours"],
        Value::Null,
        "no filing of week 11 ended"
    );
    assert!(rows[0].get("online_share").is_none(), "{weeks}");

    // By municipality and region: Ottignies-Louvain-la-Neuve is in Wallonia; the filing
    // without a municipality is `unknown`.
    let places: Value = get(
        &app,
        "?group_by=region,municipality&from=2026-03&to=2026-03",
        "application/json",
    )
    .await
    .json()
    .await
    .unwrap();
    let rows = places["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{places}");
    assert_eq!(rows[0]["region"], "BE-WAL");
    assert_eq!(rows[0]["municipality"], "BE-25121");
    assert_eq!(rows[1]["region"], "unknown");
    assert_eq!(rows[1]["municipality"], "unknown");
    assert_eq!(rows[1]["submitted"], "<3");
    assert_eq!(rows[1]["in_charge_median_hours"], "<3");

    // The same in CSV: empty cells for no time.
    let csv = get(
        &app,
        "?group_by=week&from=2026-03&to=2026-03&format=csv",
        "*/*",
    )
    .await
    .text()
    .await
    .unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "week,submitted,registered,rejected,redirected,in_charge_median_hours,in_charge_p90_hours,end_median_hours,end_p90_hours"
    );
    assert_eq!(lines[2], "2026-W11,<3,0,0,0,<3,<3,,");
}

async fn import(app: &TestApp, token: &str, unit: &str, csv: &str) -> reqwest::Response {
    app.client
        .put(app.url(&format!("/v1/units/{unit}/counter-counts")))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn counter_counts_are_imported_by_the_units_supervisors_and_give_the_online_share() {
    let app = spawn_app_with(|s| s.statistics.threshold = 3).await;
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-share", "units": [ZONE]}))
        .await;
    let supervisor = app
        .dev_token(
            json!({"kind": "officer", "subject": "s-share", "role": "supervisor", "units": [ZONE]}),
        )
        .await;
    let elsewhere = app
        .dev_token(json!({"kind": "officer", "subject": "s-other", "role": "supervisor", "units": ["zp-bruxelles-ixelles"]}))
        .await;
    // Ten online filings in March 2026.
    for n in 0..10 {
        dated(&app, &officer, 200 + n, "2026-03-10", 1, None).await;
    }
    refresh(&app);

    // A bad file: every bad line named, nothing imported.
    let bad = import(
        &app,
        &supervisor,
        ZONE,
        "procedure,month,count\nbicycle_theft,2026-03,30\nbicycle_theft,2026-13,4\nno_such_procedure,2026-04,x\n",
    )
    .await;
    let problem = assert_problem(bad, 422, "validation_failed").await;
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(
        pointers,
        ["/body/3/month", "/body/4/procedure", "/body/4/count"],
        "{problem}"
    );
    // Another unit's supervisor, and an officer who is not a supervisor: 403, audited.
    let refused = import(&app, &elsewhere, ZONE, "procedure,month,count\n").await;
    assert_problem(refused, 403, "forbidden").await;
    let refused = import(&app, &officer, ZONE, "procedure,month,count\n").await;
    assert_problem(refused, 403, "forbidden").await;
    // Not CSV: 415.
    let json_body = app
        .client
        .put(app.url(&format!("/v1/units/{ZONE}/counter-counts")))
        .bearer_auth(&supervisor)
        .json(&json!({"count": 1}))
        .send()
        .await
        .unwrap();
    assert_problem(json_body, 415, "unsupported_media_type").await;

    let file = "procedure,month,count\nbicycle_theft,2026-03,90\nbicycle_theft,2026-04,2\n";
    let share = |table: &Value, month: &str| {
        table["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["month"] == month)
            .map(|r| r["online_share"].clone())
            .unwrap_or(Value::Null)
    };
    for _ in 0..2 {
        // Twice: the second import replaces the first with the same.
        let imported = import(&app, &supervisor, ZONE, file).await;
        assert_eq!(imported.status(), 200);
        let body: Value = imported.json().await.unwrap();
        assert_eq!(body["months"], json!(["2026-03", "2026-04"]));
        assert_eq!(body["counter_total"], 92);
        // March: 10 online, 90 at the counter: 0.1.
        let march: Value = get(
            &app,
            "?group_by=unit,month&from=2026-03&to=2026-03",
            "application/json",
        )
        .await
        .json()
        .await
        .unwrap();
        assert_eq!(share(&march, "2026-03"), json!(0.1), "{march}");
        assert_eq!(march["totals"]["online_share"], json!(0.1), "{march}");
        // With April (no filing online, 2 at the counter: small), April's share is
        // suppressed, and so is March's (its complement: the published total share,
        // 10 / 102, would otherwise give April's 2 away).
        let both: Value = get(
            &app,
            "?group_by=unit,month&from=2026-03&to=2026-04",
            "application/json",
        )
        .await
        .json()
        .await
        .unwrap();
        assert_eq!(share(&both, "2026-04"), json!("<3"), "{both}");
        assert_eq!(share(&both, "2026-03"), json!("<3"), "{both}");
        assert_eq!(both["totals"]["online_share"], json!(0.098), "{both}");
        assert_eq!(both["rows"][1]["submitted"], 0, "{both}");
    }
    // A corrected March replaces March (and leaves April).
    let corrected = import(
        &app,
        &supervisor,
        ZONE,
        "procedure,month,count\nbicycle_theft,2026-03,30\n",
    )
    .await;
    assert_eq!(corrected.status(), 200);
    let table: Value = get(
        &app,
        "?group_by=month&from=2026-03&to=2026-03",
        "application/json",
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(share(&table, "2026-03"), json!(0.25), "{table}");
    assert_eq!(table["totals"]["online_share"], json!(0.25), "{table}");

    // Every import and refusal is in the audit trail, as an auditor reads it.
    app.wait_sealed().await;
    let auditor = app
        .dev_token(json!({"kind": "officer", "subject": "dpo", "role": "auditor"}))
        .await;
    let events: Value = app
        .client
        .get(app.url("/v1/audit-events?object_type=counter_counts&limit=100"))
        .bearer_auth(&auditor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let outcomes: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes.len(),
        3 + 2,
        "three imports, two refusals: {events}"
    );
    assert_eq!(
        outcomes.iter().filter(|o| **o == "denied").count(),
        2,
        "{events}"
    );
}

#[tokio::test]
async fn the_service_refreshes_the_summary_itself() {
    let app = spawn_app_with(|s| {
        s.statistics.threshold = 2;
        s.statistics.refresh_secs = 1;
    })
    .await;
    for n in 0..2 {
        submitted(&app, 300 + n).await;
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let table: Value = get(&app, "?group_by=procedure", "application/json")
            .await
            .json()
            .await
            .unwrap();
        // The default window ends last month: ask this month explicitly.
        let now: Value = get(
            &app,
            &format!(
                "?group_by=procedure&from={0}&to={0}",
                Utc::now().format("%Y-%m")
            ),
            "application/json",
        )
        .await
        .json()
        .await
        .unwrap();
        if now["totals"]["submitted"] == 2 {
            assert_eq!(table["totals"]["submitted"], 0);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never refreshed: {now}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// `ecommissariat_statistics_answers_total{source}` as `/metrics` shows it.
async fn answers(app: &TestApp, source: &str) -> u64 {
    let name = format!("ecommissariat_statistics_answers_total{{source=\"{source}\"}}");
    metric(app, &name).await as u64
}

/// The refresh job computes the answers without a query (JSON and CSV) after each
/// refresh that changed the summary, so that their first reader is served from the cache
/// (at 1,000,000 filings a computation from the summary in memory costs 50 ms to 0.9 s,
/// a cached answer under 16 ms).
#[tokio::test]
async fn the_refresh_job_computes_the_default_answers_ahead() {
    let app = spawn_app_with(|s| {
        s.statistics.threshold = 2;
        s.statistics.refresh_secs = 1;
    })
    .await;
    for n in 0..2 {
        submitted(&app, 400 + n).await;
    }
    // Until the summary holds the two filings (read this month: the default window ends
    // last month).
    let month = format!("?from={0}&to={0}", Utc::now().format("%Y-%m"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let now: Value = get(&app, &month, "application/json")
            .await
            .json()
            .await
            .unwrap();
        if now["totals"]["submitted"] == 2 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never refreshed");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // The warm-up follows the refresh; later refreshes change nothing.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let (computed, cached) = (
        answers(&app, "computed").await,
        answers(&app, "cache").await,
    );
    assert!(
        computed >= 3,
        "the warm-up's two and this month's: {computed}"
    );
    for accept in ["application/json", "text/csv"] {
        let response = get(&app, "", accept).await;
        assert_eq!(response.status(), 200);
    }
    assert_eq!(
        answers(&app, "computed").await,
        computed,
        "computed by a reader"
    );
    assert!(answers(&app, "cache").await >= cached + 2);
}

/// A metric's value as `/metrics` shows it (0 when absent).
async fn metric(app: &TestApp, name: &str) -> f64 {
    let metrics = app.get("/metrics").await.text().await.unwrap();
    let prefix = format!("{name} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

/// A refresh made elsewhere (another instance, or `ecommissariat statistics refresh`) is
/// followed within `statistics.follow_secs`: the instance reads the summary into memory
/// once and computes the default answers before any reader asks; readers are then served
/// from its cache, and another window is computed from the summary in memory, with the
/// refresh's figures, without reading the summary again. An incremental refresh is
/// followed from the cells it rebuilt (the copy held updated in place, not read whole),
/// and a full one by reading the whole summary again; the answers equal the figures
/// either way.
#[tokio::test]
async fn an_instance_follows_a_refresh_made_elsewhere() {
    const LOADS: &str = r#"ecommissariat_statistics_summary_load_seconds_count{read="whole"}"#;
    const UPDATES: &str = r#"ecommissariat_statistics_summary_load_seconds_count{read="changes"}"#;
    const CELLS: &str = "ecommissariat_statistics_summary_cells";
    let app = spawn_app_with(|s| {
        s.statistics.threshold = 2;
        s.statistics.refresh_secs = 0;
        s.statistics.follow_secs = 1;
    })
    .await;
    for n in 0..3 {
        submitted(&app, 420 + n).await;
    }
    let until = |what: &'static str| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        move || assert!(std::time::Instant::now() < deadline, "never {what}")
    };
    // Followed from the start: the empty summary (no refresh yet) is read once.
    let check = until("read at start-up");
    while metric(&app, LOADS).await < 1.0 {
        check();
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (loads, computed) = (metric(&app, LOADS).await, answers(&app, "computed").await);
    assert_eq!(metric(&app, CELLS).await, 0.0);

    let report = refresh(&app);
    assert!(report.full && report.cells > 0, "{report:?}");
    let check = until("followed");
    while metric(&app, CELLS).await == 0.0 || answers(&app, "computed").await < computed + 2 {
        check();
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        metric(&app, LOADS).await,
        loads + 1.0,
        "one read per generation"
    );

    let cached = answers(&app, "cache").await;
    for accept in ["application/json", "text/csv"] {
        assert_eq!(get(&app, "", accept).await.status(), 200);
    }
    assert_eq!(
        answers(&app, "computed").await,
        computed + 2,
        "no reader computed"
    );
    assert!(answers(&app, "cache").await >= cached + 2);

    let month = format!("?from={0}&to={0}", Utc::now().format("%Y-%m"));
    let body: Value = get(&app, &month, "application/json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["totals"]["submitted"], 3, "{body}");
    assert_eq!(
        metric(&app, LOADS).await,
        loads + 1.0,
        "the summary was not read again"
    );

    // Two more filings, and an incremental refresh: the copy held is updated from the
    // cells it rebuilt.
    for n in 0..2 {
        submitted(&app, 430 + n).await;
    }
    let computed = answers(&app, "computed").await;
    let report = refresh(&app);
    assert!(!report.full && report.cells > 0, "{report:?}");
    let check = until("followed from the changes");
    while metric(&app, UPDATES).await < 1.0 || answers(&app, "computed").await < computed + 2 {
        check();
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(metric(&app, LOADS).await, loads + 1.0, "not read whole");
    let body: Value = get(&app, &month, "application/json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["totals"]["submitted"], 5, "{body}");
    assert_eq!(metric(&app, UPDATES).await, 1.0);

    // A full rebuild records no changes: the summary is read whole again, and says the
    // same.
    let pool = app.db.pool();
    let mut conn = pool.get().unwrap();
    let report = persistence::statistics::refresh(&mut conn, Utc::now(), true).unwrap();
    assert!(report.full, "{report:?}");
    let check = until("read whole after a full rebuild");
    while metric(&app, LOADS).await < loads + 2.0 {
        check();
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let again: Value = get(&app, &month, "application/json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["rows"], body["rows"]);
    assert_eq!(again["totals"], body["totals"]);
    assert_eq!(metric(&app, UPDATES).await, 1.0);
}

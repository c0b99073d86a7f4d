//! Retention (issue 22, docs/RETENTION.md): a database with drafts and decided filings is
//! aged by the test setting of the clock (`retention.clock_offset_days`), the job is run
//! (`ecommissariat retention run`, and the service's own schedule), and then every text
//! column of every table is searched for what was erased; on SQLite the database file
//! itself is searched too. Two runs at once erase each filing once.

use diesel::prelude::*;
use diesel::sql_types::Text;
use serde_json::{json, Value};
use std::process::{Command, Output};
use tests::{spawn_app_with, TestApp};

const ZONE: &str = "zp-ottignies-louvain-la-neuve";
const BIN: &str = env!("CARGO_BIN_EXE_ecommissariat-under-test");

/// A service that does not run the job itself (the test runs it).
async fn app() -> TestApp {
    spawn_app_with(|s| s.retention.enabled = false).await
}

/// A bicycle theft of `subject` whose texts carry `marker`; submitted unless `draft`.
async fn filing(app: &TestApp, subject: &str, marker: &str, draft: bool) -> (String, String) {
    let citizen = app
        .dev_token(json!({"kind": "citizen", "subject": subject}))
        .await;
    let body = json!({
        "procedure": "bicycle_theft", "country": "BE", "place": {"municipality": "BE-25121"},
        "facts_date": {"from": (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339()},
        "answers": {"ongoing_danger": false, "injury": false, "known_author": false, "violence": false, "exploitable_traces": false},
        "facts": {"bicycle_locked": true, "circumstances": format!("{marker} circumstances"),
                  "items": [{"category": "bicycle", "brand": "Gazelle", "serial_number": format!("{marker}SN")}]},
        "contact": {"email": format!("{marker}@example.org")}, "confirmation_channel": "email"
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
    if !draft {
        let submitted = app
            .client
            .post(app.url(&format!("/v1/filings/{id}/submit")))
            .bearer_auth(&citizen)
            .send()
            .await
            .unwrap();
        assert_eq!(submitted.status(), 200);
    }
    (id, citizen)
}

async fn officer(app: &TestApp) -> String {
    app.dev_token(json!({"kind": "officer", "subject": "o-ret", "units": [ZONE]}))
        .await
}

async fn act(app: &TestApp, officer: &str, id: &str, action: &str, version: i64, body: Value) {
    let response = app
        .client
        .post(app.url(&format!("/v1/units/{ZONE}/filings/{id}/{action}")))
        .bearer_auth(officer)
        .header("if-match", format!("\"v{version}\""))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        200,
        "{action}: {}",
        response.text().await.unwrap()
    );
}

async fn note(app: &TestApp, officer: &str, id: &str, body: &str) {
    let response = app
        .client
        .post(app.url(&format!("/v1/units/{ZONE}/filings/{id}/notes")))
        .bearer_auth(officer)
        .json(&json!({ "body": body }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

async fn export(app: &TestApp, officer: &str, id: &str) {
    let response = app
        .client
        .get(app.url(&format!(
            "/v1/units/{ZONE}/filings/{id}/export?justification=case+file"
        )))
        .bearer_auth(officer)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

/// `ecommissariat retention run` on the app's database, the clock moved by `days`.
fn retention(app: &TestApp, days: i64, dry_run: bool) -> Output {
    let mut args = vec!["retention", "run"];
    if dry_run {
        args.push("--dry-run");
    }
    Command::new(BIN)
        .args(&args)
        .env("DATABASE_URL", app.db.url())
        .env("ECOM__RETENTION__CLOCK_OFFSET_DAYS", days.to_string())
        .env_remove("ECOM_CONFIG")
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[derive(QueryableByName)]
struct V {
    #[diesel(sql_type = Text)]
    v: String,
}

fn texts(conn: &mut persistence::DbConnection, sql: &str) -> Vec<String> {
    let rows: Vec<V> = match conn {
        persistence::DbConnection::Postgresql(pg) => diesel::sql_query(sql).load(pg),
        persistence::DbConnection::Sqlite(sqlite) => diesel::sql_query(sql).load(sqlite),
    }
    .unwrap();
    rows.into_iter().map(|r| r.v).collect()
}

/// Every value of every column of every table, as text (the whole database, read back).
pub(crate) fn whole_database(app: &TestApp) -> String {
    let mut conn = app.conn();
    let postgres = app.db.is_postgres();
    let tables = if postgres {
        texts(
            &mut conn,
            "SELECT table_name::text AS v FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
        )
    } else {
        texts(
            &mut conn,
            "SELECT name AS v FROM sqlite_master WHERE type = 'table'",
        )
    };
    assert!(tables.iter().any(|t| t == "filings"), "{tables:?}");
    let mut all = String::new();
    for table in tables {
        let columns = if postgres {
            texts(
                &mut conn,
                &format!(
                    "SELECT column_name::text AS v FROM information_schema.columns \
                     WHERE table_schema = 'public' AND table_name = '{table}'"
                ),
            )
        } else {
            texts(
                &mut conn,
                &format!("SELECT name AS v FROM pragma_table_info('{table}')"),
            )
        };
        for column in columns {
            for value in texts(
                &mut conn,
                &format!(
                    "SELECT CAST(\"{column}\" AS TEXT) AS v FROM \"{table}\" \
                     WHERE \"{column}\" IS NOT NULL"
                ),
            ) {
                all.push_str(&value);
                all.push('\n');
            }
        }
    }
    all
}

/// The SQLite file's bytes, after a checkpoint has moved the WAL into it.
fn sqlite_file(app: &TestApp) -> Option<Vec<u8>> {
    if app.db.is_postgres() {
        return None;
    }
    let mut conn = app.conn();
    if let persistence::DbConnection::Sqlite(sqlite) = &mut conn {
        diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(sqlite)
            .ok();
    }
    let path = app.db.url().trim_start_matches("sqlite://").to_owned();
    let mut bytes = std::fs::read(&path).unwrap();
    for suffix in ["-wal", "-journal"] {
        if let Ok(more) = std::fs::read(format!("{path}{suffix}")) {
            bytes.extend(more);
        }
    }
    Some(bytes)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// The erasure events of the audit trail, as (filing, justification).
fn erasures(app: &TestApp) -> Vec<(String, String)> {
    let mut conn = app.conn();
    persistence::audit::list(&mut conn, &Default::default(), 10_000)
        .unwrap()
        .into_iter()
        .filter(|e| e.event.operation == domain::audit::AuditOperation::Erasure)
        .map(|e| {
            assert_eq!(e.event.action, "retention_erase");
            assert_eq!(e.event.actor.role, domain::audit::ActorRole::System);
            (
                e.event.object_id.unwrap_or_default(),
                e.event.justification.unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test]
async fn aged_filings_are_erased_and_nothing_of_them_remains() {
    let app = app().await;
    let officer = officer(&app).await;
    // An abandoned draft.
    let (draft, draft_owner) = filing(&app, "ret-draft", "MARKDRAFT", true).await;
    // Rejected, with a note and a decision that carry the marker too.
    let (rejected, _) = filing(&app, "ret-rejected", "MARKREJECT", false).await;
    note(&app, &officer, &rejected, "MARKREJECT internal note").await;
    act(&app, &officer, &rejected, "take-in-charge", 2, json!({})).await;
    act(
        &app,
        &officer,
        &rejected,
        "reject",
        3,
        json!({"reason_code": "not_a_police_matter", "explanation": "MARKREJECT civil dispute"}),
    )
    .await;
    // Registered and handed over to the records system.
    let (handed, _) = filing(&app, "ret-handed", "MARKHANDED", false).await;
    act(&app, &officer, &handed, "take-in-charge", 2, json!({})).await;
    act(&app, &officer, &handed, "register", 3, json!({})).await;
    export(&app, &officer, &handed).await;
    // Registered, never handed over: kept. Open: kept.
    let (kept_registered, _) = filing(&app, "ret-kept", "MARKKEPT", false).await;
    act(
        &app,
        &officer,
        &kept_registered,
        "take-in-charge",
        2,
        json!({}),
    )
    .await;
    act(&app, &officer, &kept_registered, "register", 3, json!({})).await;
    let (open, _) = filing(&app, "ret-open", "MARKOPEN", false).await;

    // Today nothing is due; in 31 days, the draft only (dry: nothing changes).
    let today = stdout(&retention(&app, 0, true));
    assert!(today.starts_with("0 filing(s) due"), "{today}");
    let month = stdout(&retention(&app, 31, true));
    assert!(month.contains(&format!("due {draft} draft 30d")), "{month}");
    assert_eq!(month.lines().filter(|l| l.starts_with("due ")).count(), 1);
    assert!(whole_database(&app).contains("MARKDRAFT"));
    assert!(erasures(&app).is_empty());

    // In 400 days: the draft, the rejected filing and the handed-over one.
    let run = stdout(&retention(&app, 400, false));
    for line in [
        format!("erased {draft} draft 30d"),
        format!("erased {rejected} rejected 365d"),
        format!("erased {handed} registered 90d"),
    ] {
        assert!(run.contains(&line), "{line} in {run}");
    }
    assert!(run.contains("3 filing(s) erased"), "{run}");
    assert!(run.contains("not_handed_over 1"), "{run}");

    let database = whole_database(&app);
    for marker in ["MARKDRAFT", "MARKREJECT", "MARKHANDED"] {
        assert!(
            !database.contains(marker),
            "{marker} is still in the database"
        );
    }
    for marker in ["MARKKEPT", "MARKOPEN"] {
        assert!(database.contains(marker), "{marker} was erased");
    }
    if let Some(file) = sqlite_file(&app) {
        assert!(
            contains(&file, "MARKKEPT"),
            "the file search finds what is kept"
        );
        for marker in ["MARKDRAFT", "MARKREJECT", "MARKHANDED"] {
            assert!(
                !contains(&file, marker),
                "{marker} is still in the SQLite file"
            );
        }
    }
    // The sealed identities, messages and notes went with their filings.
    {
        let mut conn = app.conn();
        for id in [&draft, &rejected, &handed] {
            assert!(persistence::filings::outbox_for(&mut conn, id)
                .unwrap()
                .is_empty());
            assert!(persistence::filings::notes(&mut conn, id)
                .unwrap()
                .is_empty());
        }
        assert!(!persistence::filings::outbox_for(&mut conn, &open)
            .unwrap()
            .is_empty());
    }
    // One audit event per erasure, naming the filing and the period, not the content.
    let mut events = erasures(&app);
    events.sort();
    let mut expected = vec![draft.clone(), rejected.clone(), handed.clone()];
    expected.sort();
    assert_eq!(
        events.iter().map(|e| e.0.clone()).collect::<Vec<_>>(),
        expected
    );
    assert!(events
        .iter()
        .all(|(_, why)| why.starts_with("retention period elapsed")));
    // The erased filing is gone for its owner and for the unit; the queue no longer
    // lists it; the kept ones are as before.
    let mine = app
        .client
        .get(app.url(&format!("/v1/filings/{draft}")))
        .bearer_auth(&draft_owner)
        .send()
        .await
        .unwrap();
    assert_eq!(mine.status(), 404);
    for id in [&rejected, &handed] {
        let seen = app
            .client
            .get(app.url(&format!("/v1/units/{ZONE}/filings/{id}")))
            .bearer_auth(&officer)
            .send()
            .await
            .unwrap();
        assert_eq!(seen.status(), 404);
    }
    let queue: Value = app
        .client
        .get(app.url(&format!("/v1/units/{ZONE}/filings?limit=100")))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let listed = queue.to_string();
    assert!(
        !listed.contains(&rejected) && !listed.contains(&handed),
        "{queue}"
    );
    assert!(
        listed.contains(&kept_registered) && listed.contains(&open),
        "{queue}"
    );

    // Run again: nothing more to do (idempotent).
    let again = stdout(&retention(&app, 400, false));
    assert!(again.starts_with("0 filing(s) erased"), "{again}");
    assert_eq!(erasures(&app).len(), 3);
}

#[tokio::test]
async fn two_runs_at_once_erase_each_filing_once() {
    let app = app().await;
    let mut drafts = Vec::new();
    for n in 0..6 {
        drafts.push(
            filing(
                &app,
                &format!("ret-twice-{n}"),
                &format!("MARKTWICE{n}"),
                true,
            )
            .await
            .0,
        );
    }
    let run = |app: &TestApp| {
        Command::new(BIN)
            .args(["retention", "run"])
            .env("DATABASE_URL", app.db.url())
            .env("ECOM__RETENTION__CLOCK_OFFSET_DAYS", "31")
            .env_remove("ECOM_CONFIG")
            .env_remove("RUST_LOG")
            .spawn()
            .unwrap()
    };
    let (mut first, mut second) = (run(&app), run(&app));
    assert!(first.wait().unwrap().success());
    assert!(second.wait().unwrap().success());
    let mut erased: Vec<String> = erasures(&app).into_iter().map(|e| e.0).collect();
    erased.sort();
    drafts.sort();
    assert_eq!(erased, drafts, "each draft erased exactly once");
}

#[tokio::test]
async fn the_service_runs_the_job_on_its_own() {
    let app = spawn_app_with(|s| {
        s.retention.enabled = true;
        s.retention.interval_secs = 1;
        s.retention.clock_offset_days = 31;
    })
    .await;
    let (draft, owner) = filing(&app, "ret-scheduled", "MARKSCHEDULED", true).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let status = app
            .client
            .get(app.url(&format!("/v1/filings/{draft}")))
            .bearer_auth(&owner)
            .send()
            .await
            .unwrap()
            .status();
        if status == 404 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the service did not erase the draft"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(!whole_database(&app).contains("MARKSCHEDULED"));
    assert_eq!(erasures(&app).len(), 1);
}

#[test]
fn production_refuses_the_test_clock() {
    let output = Command::new(BIN)
        .args(["retention", "run", "--dry-run"])
        .env("ECOM__ENVIRONMENT", "production")
        .env("ECOM__RETENTION__CLOCK_OFFSET_DAYS", "3")
        .env_remove("ECOM_CONFIG")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("retention.clock_offset_days"));
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

/// The audit actions recorded about filing `id`, in order.
fn actions_about(app: &TestApp, id: &str) -> Vec<String> {
    let mut conn = app.conn();
    persistence::audit::list(&mut conn, &Default::default(), 10_000)
        .unwrap()
        .into_iter()
        .filter(|e| e.event.object_id.as_deref() == Some(id))
        .map(|e| e.event.action)
        .collect()
}

/// Art. 16(3): a restricted filing is kept by the job whatever its age, leaves the queue
/// and the officers' processing (but can still be read, as evidence), and is erased once
/// the restriction is lifted; every step is audited.
#[tokio::test]
async fn a_restricted_filing_is_kept_out_of_the_queue_and_erased_once_lifted() {
    use reqwest::Method;
    let app = app().await;
    let officer = officer(&app).await;
    let stranger = app
        .dev_token(json!({"kind": "officer", "subject": "o-elsewhere", "units": ["zp-namur"]}))
        .await;
    let (open, _) = filing(&app, "res-open", "MARKRESOPEN", false).await;
    let (rejected, _) = filing(&app, "res-rejected", "MARKRESREJ", false).await;
    act(&app, &officer, &rejected, "take-in-charge", 2, json!({})).await;
    act(
        &app,
        &officer,
        &rejected,
        "reject",
        3,
        json!({"reason_code": "not_a_police_matter", "explanation": "civil dispute"}),
    )
    .await;
    let review = (chrono::Utc::now() + chrono::Duration::days(30)).date_naive();
    let body =
        json!({"reason": "Evidence in case file 2026/1234", "review_on": review.to_string()});
    for id in [&open, &rejected] {
        let path = format!("/v1/units/{ZONE}/filings/{id}/restriction");
        let restricted = send(&app, Method::PUT, &path, &officer, Some(body.clone())).await;
        assert_eq!(restricted.status(), 200);
        let view: Value = restricted.json().await.unwrap();
        assert_eq!(view["review_on"], review.to_string());
        assert!(view["restricted_by"].as_str().unwrap().starts_with("u-"));
        assert_eq!(view["review_due"], false);
    }
    // Checked: a reason, a review date ahead; members of the unit only.
    let path = format!("/v1/units/{ZONE}/filings/{open}/restriction");
    let bad = send(
        &app,
        Method::PUT,
        &path,
        &officer,
        Some(json!({"reason": " ", "review_on": "2020-01-01"})),
    )
    .await;
    let bad = tests::assert_problem(bad, 422, "validation_failed").await;
    assert_eq!(bad["errors"].as_array().unwrap().len(), 2, "{bad}");
    let outsider = send(&app, Method::PUT, &path, &stranger, Some(body.clone())).await;
    assert_eq!(outsider.status(), 403);

    // Out of the queue and of the processing; still readable, and listed as restricted.
    let queue = send(
        &app,
        Method::GET,
        &format!("/v1/units/{ZONE}/filings?limit=100"),
        &officer,
        None,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(!queue.contains(&open), "{queue}");
    let take = app
        .client
        .post(app.url(&format!("/v1/units/{ZONE}/filings/{open}/take-in-charge")))
        .bearer_auth(&officer)
        .header("if-match", "\"v2\"")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    tests::assert_problem(take, 409, "filing_restricted").await;
    let note = send(
        &app,
        Method::POST,
        &format!("/v1/units/{ZONE}/filings/{open}/notes"),
        &officer,
        Some(json!({"body": "more"})),
    )
    .await;
    tests::assert_problem(note, 409, "filing_restricted").await;
    let read = send(
        &app,
        Method::GET,
        &format!("/v1/units/{ZONE}/filings/{open}"),
        &officer,
        None,
    )
    .await;
    assert_eq!(read.status(), 200);
    let listed: Value = send(
        &app,
        Method::GET,
        &format!("/v1/units/{ZONE}/restrictions"),
        &officer,
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["filing_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&open.as_str()) && ids.contains(&rejected.as_str()));

    // In 400 days the rejected filing would be erased: restricted, it is kept (its
    // review date has passed, which the run reports; the open one is no candidate).
    let run = stdout(&retention(&app, 400, false));
    assert!(run.starts_with("0 filing(s) erased"), "{run}");
    assert!(run.contains("restricted_review_due 1"), "{run}");
    assert!(whole_database(&app).contains("MARKRESREJ"));

    // Lifted (once: again is 404), it goes at the next run.
    let path = format!("/v1/units/{ZONE}/filings/{rejected}/restriction");
    let lifted = send(&app, Method::DELETE, &path, &officer, None).await;
    assert_eq!(lifted.status(), 204);
    let again = send(&app, Method::DELETE, &path, &officer, None).await;
    tests::assert_problem(again, 404, "restriction_not_found").await;
    let gone = send(&app, Method::GET, &path, &officer, None).await;
    tests::assert_problem(gone, 404, "restriction_not_found").await;
    let run = stdout(&retention(&app, 400, false));
    assert!(
        run.contains(&format!("erased {rejected} rejected 365d")),
        "{run}"
    );
    let database = whole_database(&app);
    assert!(!database.contains("MARKRESREJ"));
    assert!(database.contains("MARKRESOPEN"));
    let actions = actions_about(&app, &rejected);
    let restrict = actions.iter().position(|a| a == "restrict").unwrap();
    let lift = actions
        .iter()
        .position(|a| a == "lift_restriction")
        .unwrap();
    let erase = actions.iter().position(|a| a == "retention_erase").unwrap();
    assert!(restrict < lift && lift < erase, "{actions:?}");
}

/// The replies kept for idempotent retries hold the filing as answered (its facts, its
/// contact): they go with the filing, even before the key expires, and expired keys are
/// purged by the job.
#[tokio::test]
async fn the_stored_replies_of_an_erased_filing_go_with_it() {
    let app = app().await;
    let citizen = app
        .dev_token(json!({"kind": "citizen", "subject": "ret-idem"}))
        .await;
    let create = |marker: &'static str, key: &'static str| {
        let app = &app;
        let citizen = citizen.clone();
        async move {
            let body = json!({
                "procedure": "bicycle_theft", "country": "BE", "place": {"municipality": "BE-25121"},
                "facts_date": {"from": (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339()},
                "answers": {"ongoing_danger": false, "injury": false, "known_author": false, "violence": false, "exploitable_traces": false},
                "facts": {"bicycle_locked": true, "circumstances": format!("{marker} circumstances"),
                          "items": [{"category": "bicycle", "brand": "Gazelle", "serial_number": format!("{marker}SN")}]},
                "contact": {"email": format!("{marker}@example.org")}, "confirmation_channel": "email"
            });
            let created = app
                .client
                .post(app.url("/v1/filings"))
                .bearer_auth(&citizen)
                .header("idempotency-key", key)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(created.status(), 201);
            created.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let erased = create("MARKIDEMOLD", "key-old").await;
    let _young = create("MARKIDEMNEW", "key-new").await;
    assert!(whole_database(&app).contains("MARKIDEMOLD"));
    // The old draft's key is made to outlive the run, so that only the erasure can take
    // its reply away; the young draft's key is left to expire.
    {
        let mut conn = app.conn();
        let sql = "UPDATE idempotency_keys SET expires_at = '2200-01-01 00:00:00' \
                   WHERE idempotency_key = 'key-old'";
        let changed = match &mut conn {
            persistence::DbConnection::Postgresql(pg) => diesel::sql_query(sql).execute(pg),
            persistence::DbConnection::Sqlite(sqlite) => diesel::sql_query(sql).execute(sqlite),
        }
        .unwrap();
        assert_eq!(changed, 1);
    }
    // In 31 days both drafts are erased: the young key has expired (purged), the old one
    // has not, and goes with its filing.
    let run = stdout(&retention(&app, 31, false));
    assert!(run.contains(&format!("erased {erased} draft 30d")), "{run}");
    assert!(run.contains("1 expired idempotency key(s) purged"), "{run}");
    let database = whole_database(&app);
    assert!(!database.contains("MARKIDEMOLD"), "a stored reply kept it");
    assert!(!database.contains("MARKIDEMNEW"));
    let mut conn = app.conn();
    assert!(texts(
        &mut conn,
        "SELECT idempotency_key AS v FROM idempotency_keys"
    )
    .is_empty());
}

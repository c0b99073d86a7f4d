//! Delivery of the citizen's messages (issue 15), against a real SMTP server
//! (`tests/smtp/sink.py`, aiosmtpd) whose received mail is read back with Python's own
//! parser: one e-mail per event in the citizen's language with both parts and the
//! headers, nothing of the facts; an SMTP server down then up; a permanent refusal and an
//! operator's retry; `kill -9` in the middle of a delivery; two instances on one
//! PostgreSQL; a letter batch, never printed twice.

use secrecy::SecretString;
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tests::smtp::SmtpSink;
use tests::{spawn_app_with, TestApp};

const ZONE: &str = "zp-ottignies-louvain-la-neuve";
const BIN: &str = env!("CARGO_BIN_EXE_ecommissariat-under-test");
const SERIAL: &str = "GZ12345678";
const CIRCUMSTANCES: &str = "Locked at the rack near the bakery";

/// A service delivering to `smtp_url` quickly (polls every 100 ms, retries after ~1 s).
async fn mail_app(smtp_url: &str, worker: bool) -> TestApp {
    let url = smtp_url.to_owned();
    spawn_app_with(move |s| {
        s.notifications.smtp_url = Some(SecretString::from(url));
        s.notifications.worker = worker;
        s.notifications.poll_interval_ms = 100;
        s.notifications.retry_base_secs = 1;
        s.notifications.retry_max_secs = 2;
        s.notifications.smtp_timeout_secs = 5;
        s.notifications.answer_url = "https://app.police.test/filings/{filing_id}".into();
    })
    .await
}

/// A submitted bicycle theft of `subject`, written in `language`, confirmed by `channel`.
async fn submitted(
    app: &TestApp,
    subject: &str,
    language: &str,
    channel: &str,
) -> (String, String) {
    let citizen = app
        .dev_token(json!({"kind": "citizen", "subject": subject}))
        .await;
    let body = json!({
        "procedure": "bicycle_theft", "country": "BE", "place": {"municipality": "BE-25121"},
        "facts_date": {"from": (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339()},
        "answers": {"ongoing_danger": false, "injury": false, "known_author": false, "violence": false, "exploitable_traces": false},
        "facts": {"bicycle_locked": true, "circumstances": CIRCUMSTANCES,
                  "items": [{"category": "bicycle", "brand": "Gazelle", "serial_number": SERIAL}]},
        "contact": {"email": format!("{subject}@example.org"),
                    "postal_address": format!("{subject} Wójcik-Ζήση\nRue de la Loi 16\n1000 Bruxelles")},
        "confirmation_channel": channel, "language": language
    });
    let created = app
        .client
        .post(app.url("/v1/filings"))
        .bearer_auth(&citizen)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "{:?}", created.text().await);
    let created: Value = created.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let response = app
        .client
        .post(app.url(&format!("/v1/filings/{id}/submit")))
        .bearer_auth(&citizen)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    (id, body["reference"].as_str().unwrap().to_owned())
}

async fn officer(app: &TestApp) -> String {
    app.dev_token(json!({"kind": "officer", "subject": "o-1", "units": [ZONE]}))
        .await
}

/// An officer's action at `version`.
async fn act(app: &TestApp, token: &str, id: &str, action: &str, version: i64, body: Value) {
    let response = app
        .client
        .post(app.url(&format!("/v1/units/{ZONE}/filings/{id}/{action}")))
        .bearer_auth(token)
        .header("if-match", format!("\"v{version}\""))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        200,
        "{action}: {:?}",
        response.text().await
    );
}

/// The back office's view of the filing's messages.
async fn deliveries(app: &TestApp, token: &str, id: &str) -> Vec<Value> {
    let url = app.url(&format!("/v1/units/{ZONE}/filings/{id}/messages"));
    // A pooled connection the server closed while the test waited for a command is
    // tried again on a new one.
    let mut tries = 0;
    let response = loop {
        match app.client.get(&url).bearer_auth(token).send().await {
            Ok(response) => break response,
            Err(e) if tries < 3 => {
                tries += 1;
                eprintln!("retrying: {e}");
            }
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["items"].as_array().unwrap().clone()
}

/// Waits until every message of the filing is in `status`.
async fn wait_all(app: &TestApp, token: &str, id: &str, status: &str) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let items = deliveries(app, token, id).await;
        if !items.is_empty() && items.iter().all(|m| m["status"] == status) {
            return items;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "not all {status}: {items:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn text_part<'a>(message: &'a Value, content_type: &str) -> &'a str {
    message["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["content_type"] == content_type)
        .and_then(|p| p["text"].as_str())
        .unwrap_or_else(|| panic!("no {content_type} part in {message}"))
}

#[tokio::test]
async fn each_event_sends_one_e_mail_in_the_citizens_language_without_facts() {
    let sink = SmtpSink::start("accept");
    let app = mail_app(&sink.url(), true).await;
    let (id, reference) = submitted(&app, "noor", "nl", "email").await;
    let clerk = officer(&app).await;
    act(&app, &clerk, &id, "take-in-charge", 2, json!({})).await;
    act(
        &app,
        &clerk,
        &id,
        "request-info",
        3,
        json!({"message": "SECRET-QUESTION: which colour?"}),
    )
    .await;
    let citizen = app
        .dev_token(json!({"kind": "citizen", "subject": "noor"}))
        .await;
    let answered = app
        .client
        .post(app.url(&format!("/v1/filings/{id}/answers")))
        .bearer_auth(&citizen)
        .json(&json!({"message": "Red"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 200);
    act(&app, &clerk, &id, "register", 5, json!({})).await;

    let received = sink.wait_for(4, Duration::from_secs(30)).await;
    let delivered = wait_all(&app, &clerk, &id, "sent").await;
    assert_eq!(received.len(), 4, "one message per event, no more");
    // In the order of the events (messages due together are sent concurrently): the
    // Message-ID names the outbox id.
    let messages: Vec<Value> = delivered
        .iter()
        .map(|d| {
            let prefix = format!("<outbox.{}.", d["id"].as_str().unwrap());
            received
                .iter()
                .find(|m| {
                    m["headers"]["message-id"]
                        .as_str()
                        .unwrap()
                        .starts_with(&prefix)
                })
                .unwrap_or_else(|| panic!("{prefix} not received"))
                .clone()
        })
        .collect();
    let templates: Vec<&str> = delivered
        .iter()
        .map(|m| m["template"].as_str().unwrap())
        .collect();
    assert_eq!(
        templates,
        [
            "filing_submitted",
            "filing_taken_in_charge",
            "filing_info_requested",
            "filing_registered"
        ]
    );
    let mut ids = std::collections::BTreeSet::new();
    for message in &messages {
        let headers = &message["headers"];
        assert_eq!(message["rcpt_tos"], json!(["noor@example.org"]));
        assert_eq!(headers["auto-submitted"], "auto-generated");
        assert_eq!(headers["content-language"], "nl");
        assert!(headers["from"]
            .as_str()
            .unwrap()
            .contains("no-reply@e-commissariat.localhost"));
        let message_id = headers["message-id"].as_str().unwrap();
        assert!(message_id.starts_with("<outbox."), "{message_id}");
        assert!(message_id.ends_with("@e-commissariat.localhost>"));
        ids.insert(message_id.to_owned());
        assert!(headers["subject"].as_str().unwrap().contains(&reference));
        assert_eq!(message["content_type"], "multipart/alternative");
        let text = text_part(message, "text/plain");
        let html = text_part(message, "text/html");
        assert!(text.contains(&reference) && html.contains(&reference));
        assert!(html.contains("<html lang=\"nl\">"));
        assert!(text.contains("Goedendag"), "Dutch: {text}");
        let raw = std::fs::read_to_string(
            sink.dir()
                .join(format!("{}.eml", message["n"].as_u64().unwrap())),
        )
        .unwrap();
        for secret in [
            SERIAL,
            CIRCUMSTANCES,
            "Gazelle",
            "SECRET-QUESTION",
            "Red",
            "Rue de la Loi",
        ] {
            assert!(!text.contains(secret) && !html.contains(secret), "{secret}");
            assert!(!raw.contains(secret), "{secret} in the raw message");
        }
    }
    assert_eq!(ids.len(), 4, "distinct Message-IDs");
    // The acknowledgement names the zone and the expected processing date.
    let ack = text_part(&messages[0], "text/plain");
    assert!(ack.contains("Ottignies"), "{ack}");
    // The information request links to where the citizen answers.
    let asked = text_part(&messages[2], "text/html");
    assert!(
        asked.contains(&format!("href=\"https://app.police.test/filings/{id}\"")),
        "{asked}"
    );
    let registered = text_part(&messages[3], "text/plain");
    let year = chrono::Utc::now().format("%Y").to_string();
    assert!(
        registered.contains(&format!("5275/{year}/000001")),
        "{registered}"
    );
    assert!(delivered.iter().all(|m| m["attempts"] == 1));

    // The delivery outcomes are counted in the metrics (the gauges come every 5 s).
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(
            r#"ecommissariat_outbox_deliveries_total{channel="email",outcome="delivered"} 4"#
        ),
        "{metrics}"
    );
}

#[tokio::test]
async fn smtp_down_then_up_loses_nothing_and_a_5xx_waits_for_an_operator() {
    // A port where nothing listens yet.
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let app = mail_app(&format!("smtp://127.0.0.1:{port}"), true).await;
    let (id, _) = submitted(&app, "sam", "fr", "email").await;
    let clerk = officer(&app).await;
    // It fails, and is scheduled again.
    let start = Instant::now();
    loop {
        let items = deliveries(&app, &clerk, &id).await;
        if items[0]["attempts"].as_i64().unwrap() >= 2 {
            assert_eq!(items[0]["status"], "pending");
            assert_eq!(items[0]["last_error"], "smtp_unavailable");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{items:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The server comes up on that port: the message arrives.
    let sink = SmtpSink::start_on(port, "accept", dir.path());
    let messages = sink.wait_for(1, Duration::from_secs(30)).await;
    assert_eq!(messages[0]["headers"]["content-language"], "fr");
    let items = wait_all(&app, &clerk, &id, "sent").await;
    assert!(items[0]["attempts"].as_i64().unwrap() >= 3);
    drop(sink);

    // A server that refuses the message (5xx): failed at once, no further attempt.
    let refusing = SmtpSink::start("reject");
    let app = mail_app(&refusing.url(), true).await;
    let clerk = officer(&app).await;
    let (id, _) = submitted(&app, "sam", "en", "email").await;
    let items = wait_all(&app, &clerk, &id, "failed").await;
    assert_eq!(items[0]["attempts"], 1);
    assert_eq!(items[0]["last_error"], "smtp_5xx");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(deliveries(&app, &clerk, &id).await[0]["attempts"], 1);

    // The operator lists the failed messages and retries one: it is delivered.
    let db = app.db.url();
    let listed = run_cli(&db, &["outbox", "list", "--status", "failed"]);
    let message_id = items[0]["id"].as_str().unwrap();
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with(&format!("{message_id}\temail\tfailed\t1\t"))),
        "{listed}"
    );
    assert!(
        !listed.contains("@example.org"),
        "no address in the listing"
    );
    let port = refusing.port;
    drop(refusing);
    let accepting_dir = tempfile::tempdir().unwrap();
    let accepting = SmtpSink::start_on(port, "accept", accepting_dir.path());
    let retried = run_cli(&db, &["outbox", "retry", message_id]);
    assert!(retried.contains("pending again"), "{retried}");
    wait_all(&app, &clerk, &id, "sent").await;
    assert_eq!(accepting.messages().len(), 1);
    // A message that was sent is not sent again by hand.
    let refused = cli(&db, &["outbox", "retry", message_id]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("only failed and dead"));
}

fn cli(database_url: &str, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", database_url)
        .env_remove("ECOM_CONFIG")
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn run_cli(database_url: &str, args: &[&str]) -> String {
    let output = cli(database_url, args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// `ecommissariat worker` on `database_url`, delivering to `smtp_url`.
fn worker_process(database_url: &str, smtp_url: &str, data: &Path) -> Child {
    Command::new(BIN)
        .arg("worker")
        .env("DATABASE_URL", database_url)
        .env("ECOM__DATABASE__DATA_DIR", data)
        .env("ECOM__NOTIFICATIONS__SMTP_URL", smtp_url)
        .env("ECOM__NOTIFICATIONS__POLL_INTERVAL_MS", "100")
        .env("ECOM__NOTIFICATIONS__LEASE_SECS", "2")
        .env("ECOM__NOTIFICATIONS__SMTP_TIMEOUT_SECS", "600")
        .env("ECOM__DIRECTORY__IMPORT_REFERENCE", "false")
        .env_remove("ECOM_CONFIG")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[tokio::test]
async fn a_worker_killed_mid_delivery_delivers_after_a_restart_with_the_same_message_id() {
    // The service queues; the worker runs alone, as its own process.
    let app = mail_app("smtp://127.0.0.1:9", false).await;
    let (id, _) = submitted(&app, "kim", "de", "email").await;
    let data = tempfile::tempdir().unwrap();
    // The first server takes the message and never answers: the worker is mid-delivery.
    let stalling = SmtpSink::start("stall");
    let mut worker = worker_process(&app.db.url(), &stalling.url(), data.path());
    let first = stalling.wait_for(1, Duration::from_secs(60)).await;
    // kill -9.
    worker.kill().unwrap();
    worker.wait().unwrap();
    drop(stalling);
    let clerk = officer(&app).await;
    let items = deliveries(&app, &clerk, &id).await;
    assert_eq!(items[0]["status"], "sending", "{items:?}");
    // A restarted worker takes it again once the lease (2 s) ran out.
    let sink = SmtpSink::start("accept");
    let mut worker = worker_process(&app.db.url(), &sink.url(), data.path());
    let second = sink.wait_for(1, Duration::from_secs(60)).await;
    let items = wait_all(&app, &clerk, &id, "sent").await;
    worker.kill().unwrap();
    worker.wait().unwrap();
    assert_eq!(
        first[0]["headers"]["message-id"], second[0]["headers"]["message-id"],
        "the same Message-ID on resend"
    );
    assert_eq!(second.len(), 1, "delivered once more, no more");
    assert_eq!(items[0]["attempts"], 2);
}

#[tokio::test]
async fn two_instances_on_one_postgresql_deliver_1000_messages_once() {
    let app = mail_app("smtp://127.0.0.1:9", false).await;
    if !app.db.is_postgres() {
        eprintln!("PostgreSQL only (set TEST_DATABASE_URL)");
        return;
    }
    let (id, reference) = submitted(&app, "lou", "fr", "email").await;
    // 1,000 more messages for the filing, queued directly.
    {
        use diesel::prelude::*;
        use persistence::schema::outbox_messages as o;
        let pool = app.db.pool();
        let mut conn = pool.get().unwrap();
        let now = chrono::Utc::now().naive_utc();
        conn.transaction(|conn| {
            for _ in 0..999 {
                diesel::insert_into(o::table)
                    .values((
                        o::filing_id.eq(&id),
                        o::channel.eq("email"),
                        o::template.eq("filing_closed"),
                        o::language.eq("fr"),
                        o::payload.eq(json!({"reference": reference, "unit_id": ZONE}).to_string()),
                        o::created_at.eq(now),
                        o::status.eq("pending"),
                        o::available_at.eq(now),
                    ))
                    .execute(conn)?;
            }
            diesel::QueryResult::Ok(())
        })
        .unwrap();
    }
    let sink = SmtpSink::start("accept");
    let data = tempfile::tempdir().unwrap();
    let instance = |n: u32| {
        Command::new(BIN)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("DATABASE_URL", app.db.url())
            .env("ECOM__DATABASE__DATA_DIR", data.path().join(n.to_string()))
            .env("ECOM__NOTIFICATIONS__SMTP_URL", sink.url())
            .env("ECOM__NOTIFICATIONS__POLL_INTERVAL_MS", "50")
            .env("ECOM__NOTIFICATIONS__BATCH_SIZE", "25")
            .env("ECOM__NOTIFICATIONS__CONCURRENCY", "4")
            .env("ECOM__DIRECTORY__IMPORT_REFERENCE", "false")
            .env_remove("ECOM_CONFIG")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut first = instance(1);
    let mut second = instance(2);
    let messages = sink.wait_for(1000, Duration::from_secs(240)).await;
    // Nothing more arrives.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let messages_after = sink.messages();
    first.kill().unwrap();
    second.kill().unwrap();
    let _ = (first.wait(), second.wait());
    assert_eq!(messages.len(), 1000);
    assert_eq!(messages_after.len(), 1000, "no duplicate");
    let ids: std::collections::BTreeSet<&str> = messages_after
        .iter()
        .map(|m| m["headers"]["message-id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1000, "each Message-ID once");
    // Both instances delivered.
    let pool = app.db.pool();
    let mut conn = pool.get().unwrap();
    let rows = persistence::outbox::for_filing(&mut conn, &id).unwrap();
    assert!(rows.iter().all(|r| r.status == "sent" && r.attempts == 1));
    let workers: std::collections::BTreeSet<_> =
        rows.iter().filter_map(|r| r.claimed_by.clone()).collect();
    assert_eq!(workers.len(), 2, "both instances took part: {workers:?}");
}

#[tokio::test]
async fn a_letter_batch_has_its_pdfs_and_manifest_and_never_prints_twice() {
    let app = mail_app("smtp://127.0.0.1:9", true).await;
    let (id, reference) = submitted(&app, "leo", "fr", "post").await;
    let clerk = officer(&app).await;
    act(&app, &clerk, &id, "take-in-charge", 2, json!({})).await;
    act(&app, &clerk, &id, "register", 3, json!({})).await;
    // Letters are not e-mailed: they wait for the batch.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let items = deliveries(&app, &clerk, &id).await;
    assert_eq!(items.len(), 3);
    assert!(items
        .iter()
        .all(|m| m["channel"] == "post" && m["status"] == "pending"));

    let letters = tempfile::tempdir().unwrap();
    let today = chrono::Utc::now().date_naive();
    let batch = |date: chrono::NaiveDate| {
        let output = Command::new(BIN)
            .args(["letters", "batch", "--date", &date.to_string()])
            .env("DATABASE_URL", app.db.url())
            .env("ECOM__NOTIFICATIONS__LETTERS_DIR", letters.path())
            .env("ECOM__DIRECTORY__IMPORT_REFERENCE", "false")
            .env_remove("ECOM_CONFIG")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let said = batch(today);
    assert!(said.contains("3 letter(s)"), "{said}");
    let folder = letters.path().join(today.to_string());
    let manifest = std::fs::read_to_string(folder.join("manifest.csv")).unwrap();
    let mut rows = csv::Reader::from_reader(manifest.as_bytes());
    assert_eq!(
        rows.headers().unwrap(),
        vec!["message_id", "reference", "page_count", "country", "file"]
    );
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    for (row, item) in rows.iter().zip(&items) {
        assert_eq!(&row[0], item["id"].as_str().unwrap());
        assert_eq!(&row[1], reference.as_str());
        assert_eq!(&row[2], "1");
        assert_eq!(&row[3], "BE");
        let pdf = std::fs::read(folder.join(&row[4])).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let parsed = printpdf::PdfDocument::parse(
            &pdf,
            &printpdf::PdfParseOptions::default(),
            &mut Vec::new(),
        )
        .unwrap();
        assert_eq!(parsed.pages.len(), 1);
        let text = parsed.extract_text().concat().join("\n");
        for expected in [
            "leo Wójcik-Ζήση",
            "Rue de la Loi 16",
            "1000 Bruxelles",
            reference.as_str(),
        ] {
            assert!(text.contains(expected), "{expected:?} not in {text:?}");
        }
        for secret in [SERIAL, CIRCUMSTANCES, "Gazelle"] {
            assert!(!text.contains(secret), "{secret} in a letter");
        }
    }
    assert!(rows[0].get(4).is_some());
    let first: String = {
        let pdf = std::fs::read(folder.join(&rows[0][4])).unwrap();
        let parsed = printpdf::PdfDocument::parse(
            &pdf,
            &printpdf::PdfParseOptions::default(),
            &mut Vec::new(),
        )
        .unwrap();
        parsed.extract_text().concat().join("\n")
    };
    assert!(first.contains("Nous avons reçu"), "in French: {first}");
    let items = wait_all(&app, &clerk, &id, "sent").await;
    assert!(items.iter().all(|m| m["batch"] == today.to_string()));

    // Again: nothing is printed twice.
    let said = batch(today);
    assert!(said.contains("already closed"), "{said}");
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 4);
    // A later letter goes into the next batch, alone.
    act(&app, &clerk, &id, "close", 4, json!({})).await;
    let tomorrow = today.succ_opt().unwrap();
    let said = batch(tomorrow);
    assert!(said.contains("1 letter(s)"), "{said}");
    let said = batch(tomorrow);
    assert!(said.contains("already closed"), "{said}");
    let items = deliveries(&app, &clerk, &id).await;
    assert_eq!(items.len(), 4);
    assert!(items.iter().all(|m| m["status"] == "sent"));
    assert_eq!(items[3]["batch"], tomorrow.to_string());
}

#[test]
fn the_smtp_password_is_redacted_and_every_command_has_help() {
    let output = Command::new(BIN)
        .arg("config")
        .env(
            "ECOM__NOTIFICATIONS__SMTP_URL",
            "smtps://mailer:s3cret@smtp.example:465",
        )
        .env_remove("ECOM_CONFIG")
        .output()
        .unwrap();
    assert!(output.status.success());
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        printed.contains("smtps://mailer:***@smtp.example:465"),
        "{printed}"
    );
    assert!(!printed.contains("s3cret"));
    // A sender that is not a mailbox is refused at start-up, naming the setting.
    let output = Command::new(BIN)
        .arg("config")
        .env("ECOM__NOTIFICATIONS__FROM", "not an address")
        .env_remove("ECOM_CONFIG")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("notifications.from"));
    for args in [
        vec!["worker", "--help"],
        vec!["outbox", "list", "--help"],
        vec!["outbox", "retry", "--help"],
        vec!["letters", "batch", "--help"],
    ] {
        let output = Command::new(BIN).args(&args).output().unwrap();
        assert!(output.status.success(), "{args:?}");
        assert!(String::from_utf8_lossy(&output.stdout).contains("Usage:"));
    }
}

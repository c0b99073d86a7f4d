//! The delivery worker's benchmark (`bench/README.md`, part `delivery`): queues
//! `--messages` e-mails for one filing, then lets one worker (`api::delivery::Worker`,
//! as the service runs it) deliver them to a local SMTP sink (`tests/smtp/sink.py` in its
//! `fast` mode) and reports e-mails per second, counted from the first claim to the last
//! recorded outcome. Checks that the sink received each Message-ID once. Prints one JSON
//! object on stdout.

use clap::Parser;
use diesel::prelude::*;
use persistence::schema::outbox_messages as o;
use secrecy::SecretString;
use serde_json::json;
use std::time::{Duration, Instant};
use tests::smtp::SmtpSink;

#[derive(Debug, Parser)]
#[command(about = "Benchmark of the e-mail delivery worker")]
struct Args {
    /// E-mails to deliver.
    #[arg(long, default_value_t = 5000)]
    messages: usize,
    /// Messages claimed per round (`notifications.batch_size`).
    #[arg(long, default_value_t = 256)]
    batch_size: u32,
    /// E-mails sent at once (`notifications.concurrency`).
    #[arg(long, default_value_t = 32)]
    concurrency: u32,
}

fn main() {
    let args = Args::parse();
    let sink = SmtpSink::start("fast");
    let runtime = actix_web::rt::System::new();
    let result = runtime.block_on(async move {
        let url = sink.url();
        let app = tests::spawn_app_with(move |s| {
            s.notifications.worker = false;
            s.notifications.smtp_url = Some(SecretString::from(url));
        })
        .await;
        let filing = queue(&app, args.messages).await;
        let mut settings = tests::test_settings(&app.db);
        settings.notifications.smtp_url = Some(SecretString::from(sink.url()));
        settings.notifications.batch_size = args.batch_size;
        settings.notifications.concurrency = args.concurrency;
        settings.database.pool_size = 4;
        let pool = app.db.pool();
        let worker = api::delivery::Worker::new(
            &settings,
            pool.clone(),
            std::sync::Arc::new(|_, _| None),
            None,
            settings.keyring().expect("keyring").0,
        )
        .expect("worker");
        let start = Instant::now();
        let mut delivered = 0;
        loop {
            let n = worker.round().await.expect("round");
            if n == 0 {
                break;
            }
            delivered += n;
        }
        let elapsed = start.elapsed();
        let mut conn = pool.get().unwrap();
        let sent: i64 = o::table
            .filter(o::filing_id.eq(&filing))
            .filter(o::status.eq("sent"))
            .count()
            .get_result(&mut **conn)
            .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let ids = std::fs::read_to_string(sink.dir().join("ids.txt")).unwrap_or_default();
        let received: Vec<&str> = ids.lines().collect();
        let distinct: std::collections::BTreeSet<&str> = received.iter().copied().collect();
        json!({
            "backend": if app.db.is_postgres() { "postgres" } else { "sqlite" },
            "messages": delivered,
            "sent_rows": sent,
            "received": received.len(),
            "distinct_message_ids": distinct.len(),
            "seconds": elapsed.as_secs_f64(),
            "emails_per_second": delivered as f64 / elapsed.as_secs_f64(),
            "batch_size": args.batch_size,
            "concurrency": args.concurrency,
        })
    });
    println!("{result}");
}

/// A submitted filing, then `count` e-mails queued for it (one is the acknowledgement).
async fn queue(app: &tests::TestApp, count: usize) -> String {
    let token = app
        .dev_token(json!({"kind": "citizen", "subject": "bench"}))
        .await;
    let body = json!({
        "procedure": "bicycle_theft", "country": "BE", "place": {"municipality": "BE-25121"},
        "facts_date": {"from": (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339()},
        "answers": {"ongoing_danger": false, "injury": false, "known_author": false, "violence": false, "exploitable_traces": false},
        "facts": {"bicycle_locked": true, "circumstances": "Gone.", "items": [{"category": "bicycle"}]},
        "contact": {"email": "bench@example.org"}, "confirmation_channel": "email"
    });
    let created: serde_json::Value = app
        .client
        .post(app.url("/v1/filings"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let submitted: serde_json::Value = app
        .client
        .post(app.url(&format!("/v1/filings/{id}/submit")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let reference = submitted["reference"].as_str().unwrap().to_owned();
    let pool = app.db.pool();
    let mut conn = pool.get().unwrap();
    let now = chrono::Utc::now().naive_utc();
    conn.transaction(|conn| {
        for _ in 1..count {
            diesel::insert_into(o::table)
                .values((
                    o::filing_id.eq(&id),
                    o::channel.eq("email"),
                    o::template.eq("filing_taken_in_charge"),
                    o::language.eq("fr"),
                    o::payload.eq(
                        json!({"reference": reference, "unit_id": "zp-ottignies-louvain-la-neuve"})
                            .to_string(),
                    ),
                    o::created_at.eq(now),
                    o::status.eq("pending"),
                    o::available_at.eq(now),
                ))
                .execute(conn)?;
        }
        diesel::QueryResult::Ok(())
    })
    .unwrap();
    id
}

//! Benchmark of the chat's relay (issue 17): `BENCH_CONVERSATIONS` (500) conversations
//! held by `BENCH_AGENTS` (10) agents on the real service (SQLite, or PostgreSQL with
//! `TEST_DATABASE_URL`: then through LISTEN/NOTIFY), every citizen sending one message
//! per second for `BENCH_SECONDS` (20); the time from the citizen's send to the agent's
//! receive, over loopback WebSockets. Target: p99 at most 50 ms. Run:
//! `cargo run --release -p tests --bin ecommissariat-chat-bench`

use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const DESK: &str = "national-chat-team";

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn connect(app: &tests::TestApp, path: &str, header: (&'static str, String)) -> Socket {
    let url = format!("ws://127.0.0.1:{}{path}", app.port);
    let mut request = url.into_client_request().expect("a request");
    request
        .headers_mut()
        .insert(header.0, header.1.parse().expect("a header"));
    tokio_tungstenite::connect_async(request)
        .await
        .expect("connected")
        .0
}

async fn next(socket: &mut Socket, kind: &str) -> Value {
    loop {
        if let Some(Ok(Message::Text(text))) = socket.next().await {
            let frame: Value = serde_json::from_str(&text).expect("JSON");
            if frame["type"] == kind {
                return frame;
            }
        }
    }
}

#[tokio::main]
async fn main() {
    let conversations = env("BENCH_CONVERSATIONS", 500);
    let agents = env("BENCH_AGENTS", 10);
    let seconds = env("BENCH_SECONDS", 20);
    let per_agent = conversations.div_ceil(agents);
    let app = tests::spawn_app_with(|s| {
        s.server.workers = Some(2);
        s.database.pool_size = 16;
        s.rate_limits.enabled = false;
        s.chat.max_per_agent = u32::try_from(per_agent).unwrap_or(u32::MAX);
        s.chat.desks = vec![api::config::ChatDeskSettings {
            unit: DESK.into(),
            countries: vec!["FR".into()],
            timezone: "Europe/Paris".into(),
            hours: "24/7".into(),
            exceptions: Default::default(),
        }];
    })
    .await;
    let backend = if app.db.is_postgres() {
        "PostgreSQL (LISTEN/NOTIFY)"
    } else {
        "SQLite (in process)"
    };
    let started = Instant::now();
    let histogram = Arc::new(Mutex::new(
        Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("a histogram"),
    ));

    let mut agent_sockets = Vec::new();
    for i in 0..agents {
        let token = app
            .dev_token(
                json!({"kind": "officer", "subject": format!("bench-agent-{i}"), "units": [DESK]}),
            )
            .await;
        let mut socket = connect(
            &app,
            &format!("/v1/chat/desks/{DESK}/socket"),
            ("authorization", format!("Bearer {token}")),
        )
        .await;
        next(&mut socket, "welcome").await;
        socket
            .send(Message::text(
                json!({"type": "set_status", "status": "available", "languages": ["fr"]})
                    .to_string(),
            ))
            .await
            .expect("sent");
        next(&mut socket, "status").await;
        agent_sockets.push(socket);
    }
    let mut citizens = Vec::new();
    for i in 0..conversations {
        let opened: Value = app
            .client
            .post(app.url("/v1/chat/conversations"))
            .header("x-device-token", format!("bench-device-{i:012}"))
            .json(&json!({"topic": "question", "language": "fr", "country": "FR"}))
            .send()
            .await
            .expect("opened")
            .json()
            .await
            .expect("JSON");
        let path = opened["socket"].as_str().expect("a socket").to_owned();
        let token = opened["token"].as_str().expect("a token").to_owned();
        let mut socket = connect(&app, &path, ("x-chat-token", token)).await;
        next(&mut socket, "welcome").await;
        citizens.push(socket);
    }
    for (i, socket) in agent_sockets.iter_mut().enumerate() {
        for _ in 0..per_agent.min(conversations.saturating_sub(i * per_agent)) {
            socket
                .send(Message::text(r#"{"type":"take_next"}"#))
                .await
                .expect("sent");
            next(socket, "assigned").await;
        }
    }
    println!(
        "chat relay bench: {conversations} conversations, {agents} agents, {backend}; set up in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Each message's `ref` is its send time (µs since `origin`); the agents measure.
    let origin = Instant::now();
    let mut receivers = Vec::new();
    for mut socket in agent_sockets {
        let histogram = histogram.clone();
        receivers.push(tokio::spawn(async move {
            while let Some(Ok(message)) = socket.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                let frame: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                if frame["type"] == "message" && frame["from"] == "citizen" {
                    if let Some(sent) = frame["ref"].as_str().and_then(|r| r.parse::<u64>().ok()) {
                        let now = u64::try_from(origin.elapsed().as_micros()).unwrap_or(u64::MAX);
                        let _ = histogram
                            .lock()
                            .map(|mut h| h.record(now.saturating_sub(sent).max(1)));
                    }
                }
            }
        }));
    }
    let mut senders = Vec::new();
    for (i, mut socket) in citizens.into_iter().enumerate() {
        senders.push(tokio::spawn(async move {
            // Spread the conversations over the second.
            tokio::time::sleep(Duration::from_micros((i as u64 * 1_000_000) / 500)).await;
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            for _ in 0..seconds {
                tick.tick().await;
                let sent = origin.elapsed().as_micros().to_string();
                let frame = json!({"type": "message", "text": "Bench message of a citizen, fifty characters long.", "ref": sent});
                if socket.send(Message::text(frame.to_string())).await.is_err() {
                    break;
                }
            }
            socket
        }));
    }
    let mut kept = Vec::new();
    for sender in senders {
        kept.push(sender.await.expect("a sender"));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let h = histogram.lock().expect("the histogram").clone();
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "relayed {} of {} messages in {seconds} s: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms (target p99 <= 50 ms)",
        h.len(),
        conversations * seconds,
        ms(0.5),
        ms(0.9),
        ms(0.99),
        h.max() as f64 / 1000.0
    );
    drop(kept);
    for receiver in receivers {
        receiver.abort();
    }
}

//! Issue 17, the chat with a police agent, not recorded: real WebSocket clients (a
//! citizen, two agents) against the running service; a transfer and a close; then the
//! database (every table, every column) and the service's log output are searched for
//! what was said. A malformed frame is answered with a protocol error and closes
//! nothing. Two instances on one PostgreSQL relay a message between a citizen on one and
//! an agent on the other (LISTEN/NOTIFY). An independent client in Python (`websockets`),
//! written from asyncapi.yaml, holds a conversation too.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tests::{assert_problem, spawn_app_with, TestApp};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const DESK: &str = "national-chat-team";
const SENTENCES: [&str; 3] = [
    "My neighbour's zebra-striped kayak vanished from the quay at Ostend",
    "Please describe the kayak's hull number and when you last saw it",
    "The hull number is painted in turquoise near the rudder",
];
const BIN: &str = env!("CARGO_BIN_EXE_ecommissariat-under-test");

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn desk_settings(settings: &mut api::config::Settings) {
    settings.chat.desks = vec![api::config::ChatDeskSettings {
        unit: DESK.into(),
        countries: vec!["BE".into(), "FR".into()],
        timezone: "Europe/Brussels".into(),
        hours: "24/7".into(),
        exceptions: Default::default(),
    }];
}

async fn officer(base: &str, subject: &str) -> String {
    let response = reqwest::Client::new()
        .post(format!("{base}/dev/tokens"))
        .json(&json!({"kind": "officer", "subject": subject, "units": [DESK]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

async fn connect(base: &str, path: &str, header: (&str, &str)) -> Socket {
    let url = format!("{}{path}", base.replacen("http://", "ws://", 1));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(header.0.as_bytes()).unwrap(),
        header.1.parse().unwrap(),
    );
    let (socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.status(), 101);
    socket
}

async fn agent(base: &str, subject: &str) -> (Socket, String) {
    let token = officer(base, subject).await;
    let mut socket = connect(
        base,
        &format!("/v1/chat/desks/{DESK}/socket"),
        ("authorization", &format!("Bearer {token}")),
    )
    .await;
    let welcome = next(&mut socket, "welcome").await;
    let id = welcome["agent"].as_str().unwrap().to_owned();
    send(
        &mut socket,
        json!({"type": "set_status", "status": "available", "languages": ["fr"]}),
    )
    .await;
    next(&mut socket, "status").await;
    (socket, id)
}

async fn send(socket: &mut Socket, frame: Value) {
    socket.send(Message::text(frame.to_string())).await.unwrap();
}

/// The next frame of type `kind` (others are skipped), within 10 s.
async fn next(socket: &mut Socket, kind: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let message = tokio::time::timeout_at(deadline, socket.next())
            .await
            .unwrap_or_else(|_| panic!("no `{kind}` frame within 10 s"))
            .expect("the socket is open")
            .unwrap();
        if let Message::Text(text) = message {
            let frame: Value = serde_json::from_str(&text).unwrap();
            if frame["type"] == kind {
                return frame;
            }
        }
    }
}

async fn open(base: &str, device: &str) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{base}/v1/chat/conversations"))
        .header("x-device-token", device)
        .json(&json!({"topic": "lost_or_found", "language": "fr", "country": "BE"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn citizen(base: &str, opened: &Value) -> Socket {
    let id = opened["conversation"].as_str().unwrap();
    let token = opened["token"].as_str().unwrap();
    connect(
        base,
        &format!("/v1/chat/conversations/{id}/socket"),
        ("x-chat-token", token),
    )
    .await
}

/// A citizen, two agents, a quick reply, a transfer, malformed frames and a close.
async fn hold_a_conversation(base: &str) -> String {
    let (mut first, _) = agent(base, "chat-agent-1").await;
    let (mut second, second_id) = agent(base, "chat-agent-2").await;
    let opened = open(base, "device-0f8fad5b-d9cb-469f-a165").await;
    assert_eq!(opened["status"], "waiting");
    assert_eq!(opened["position"], 1);
    assert!(opened["estimated_wait_secs"].as_u64().is_some());
    let notice = opened["notice"]["text"].as_str().unwrap();
    assert!(notice.contains("n'est pas enregistrée"), "{notice}");
    assert!(notice.contains("112"), "{notice}");
    let conversation = opened["conversation"].as_str().unwrap().to_owned();
    let mut me = citizen(base, &opened).await;
    let welcome = next(&mut me, "welcome").await;
    assert_eq!(welcome["status"], "waiting");
    assert_eq!(welcome["position"], 1);

    send(
        &mut me,
        json!({"type": "message", "text": SENTENCES[0], "ref": "c1"}),
    )
    .await;
    send(&mut first, json!({"type": "take_next"})).await;
    let assigned = next(&mut first, "assigned").await;
    assert_eq!(assigned["conversation"], conversation.as_str());
    assert_eq!(assigned["history"][0]["text"], SENTENCES[0]);
    assert_eq!(next(&mut me, "agent_joined").await["transferred"], false);

    send(
        &mut first,
        json!({"type": "message", "conversation": conversation, "text": SENTENCES[1]}),
    )
    .await;
    let heard = next(&mut me, "message").await;
    // The citizen's own message comes back first (the echo), then the agent's.
    let heard = if heard["from"] == "citizen" {
        next(&mut me, "message").await
    } else {
        heard
    };
    assert_eq!(heard["text"], SENTENCES[1]);
    send(
        &mut first,
        json!({"type": "quick_reply", "conversation": conversation, "guidance": "platform:pharos"}),
    )
    .await;
    let quick = next(&mut me, "message").await;
    assert_eq!(quick["guidance"]["code"], "platform:pharos");
    assert!(quick["guidance"]["url"].as_str().is_some(), "{quick}");

    // A malformed frame: a documented error, and the conversation goes on.
    me.send(Message::text("{not json")).await.unwrap();
    let error = next(&mut me, "error").await;
    assert_eq!(error["code"], "chat_malformed_frame");
    send(&mut first, json!({"type": "dance"})).await;
    assert_eq!(
        next(&mut first, "error").await["code"],
        "chat_malformed_frame"
    );
    // Frames follow the intake rule of every request body (reported from outside: a NUL
    // or a next-line control was relayed, a repeated key read last-wins): each is
    // refused where it is, and nothing of it is relayed.
    for (text, at) in [
        (r#"{"type":"message","text":"a\u0000b"}"#, "/text"),
        (r#"{"type":"message","text":"a\u0085b"}"#, "/text"),
        (r#"{"type":"message","text":"a","text":"b"}"#, "/text"),
    ] {
        me.send(Message::text(text)).await.unwrap();
        let error = next(&mut me, "error").await;
        assert_eq!(error["code"], "chat_malformed_frame", "{text}");
        assert!(error.to_string().contains(at), "{text}: {error}");
    }
    send(&mut me, json!({"type": "message", "text": "Still there?"})).await;
    let heard = next(&mut first, "message").await;
    assert_eq!(
        heard["text"], "Still there?",
        "the refused frames were not relayed"
    );
    assert_eq!(
        next(&mut me, "message").await["text"],
        "Still there?",
        "the echo"
    );
    send(
        &mut first,
        json!({"type": "quick_reply", "conversation": conversation, "guidance": "nowhere"}),
    )
    .await;
    assert_eq!(
        next(&mut first, "error").await["code"],
        "chat_unknown_guidance"
    );

    send(
        &mut first,
        json!({"type": "transfer", "conversation": conversation, "to": second_id}),
    )
    .await;
    assert_eq!(
        next(&mut first, "transferred").await["to"],
        second_id.as_str()
    );
    let received = next(&mut second, "assigned").await;
    assert!(received["from"].as_str().is_some());
    // The three sentences and "Still there?".
    assert_eq!(received["history"].as_array().unwrap().len(), 4);
    assert_eq!(next(&mut me, "agent_joined").await["transferred"], true);

    send(&mut me, json!({"type": "message", "text": SENTENCES[2]})).await;
    let relayed = next(&mut second, "message").await;
    assert_eq!(relayed["text"], SENTENCES[2]);
    // The first agent no longer holds it.
    send(
        &mut first,
        json!({"type": "message", "conversation": conversation, "text": "still there?"}),
    )
    .await;
    assert_eq!(next(&mut first, "error").await["code"], "chat_not_holder");

    send(
        &mut second,
        json!({"type": "close", "conversation": conversation, "outcome": "redirected"}),
    )
    .await;
    assert_eq!(next(&mut second, "closed").await["outcome"], "redirected");
    assert_eq!(next(&mut me, "closed").await["outcome"], "redirected");
    // The citizen's socket ends with the conversation.
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(message)) = me.next().await {
            if let Message::Close(_) = message {
                return;
            }
        }
    })
    .await;
    assert!(end.is_ok(), "the citizen's socket stayed open");
    conversation
}

#[derive(diesel::QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Every table and column of the database, as text, searched for `needle`.
fn database_holds(db: &tests::TestDb, needle: &str) -> Vec<String> {
    use diesel::RunQueryDsl;
    let mut conn = db.conn();
    let postgres = db.is_postgres();
    let tables: Vec<Name> = diesel::sql_query(if postgres {
        "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = 'public'"
    } else {
        "SELECT name FROM sqlite_master WHERE type = 'table'"
    })
    .load(&mut conn)
    .unwrap();
    assert!(tables.iter().any(|t| t.name == "chat_conversations"));
    let mut found = Vec::new();
    for table in tables {
        let columns: Vec<Name> = diesel::sql_query(if postgres {
            format!("SELECT column_name::text AS name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '{}'", table.name)
        } else {
            format!("SELECT name FROM pragma_table_info('{}')", table.name)
        })
        .load(&mut conn)
        .unwrap();
        for column in columns {
            let cast = if postgres { "::text" } else { "" };
            let query = format!(
                "SELECT COUNT(*) AS n FROM \"{}\" WHERE CAST(\"{}\"{cast} AS TEXT) LIKE '%{needle}%'",
                table.name, column.name
            );
            let count: Count = diesel::sql_query(query).get_result(&mut conn).unwrap();
            if count.n > 0 {
                found.push(format!("{}.{}", table.name, column.name));
            }
        }
    }
    found
}

/// The real binary on the test's database, its log lines collected.
struct Instance {
    child: std::process::Child,
    base: String,
    log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Instance {
    fn start(db: &tests::TestDb, dir: &std::path::Path) -> Instance {
        use std::io::BufRead;
        let config = dir.join("chat.toml");
        std::fs::write(
            &config,
            format!("[[chat.desks]]\nunit = \"{DESK}\"\ncountries = [\"BE\", \"FR\"]\nhours = \"24/7\"\n"),
        )
        .unwrap();
        let mut child = std::process::Command::new(BIN)
            .args(["--bind", "127.0.0.1:0"])
            .env("DATABASE_URL", db.url())
            .env("ECOM_CONFIG", &config)
            .env("ECOM__DATABASE__DATA_DIR", dir)
            .env("ECOM__LOG__FORMAT", "json")
            .env_remove("RUST_LOG")
            .env_remove("ECOM__ENVIRONMENT")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        for stream in [
            Box::new(child.stderr.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stdout.take().unwrap()),
        ] {
            let (log, tx) = (log.clone(), tx.clone());
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    log.lock().unwrap().push_str(&line);
                    log.lock().unwrap().push('\n');
                    let event: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
                    if let Some(rest) = event["message"]
                        .as_str()
                        .and_then(|m| m.strip_prefix("listening on "))
                    {
                        let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_owned());
                    }
                }
            });
        }
        let base = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the instance started");
        Instance { child, base, log }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn a_conversation_leaves_no_content_in_the_database_nor_the_logs() {
    let db = tests::TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let instance = Instance::start(&db, dir.path());
    let conversation = hold_a_conversation(&instance.base).await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    for sentence in SENTENCES {
        // A distinctive fragment of each sentence, in no table and no log line.
        let fragment = &sentence[sentence.len() - 20..];
        assert_eq!(
            database_holds(&db, fragment),
            Vec::<String>::new(),
            "{fragment}"
        );
        let log = instance.log.lock().unwrap().clone();
        assert!(!log.contains(fragment), "the log holds {fragment:?}");
        assert!(log.contains("listening on"), "the log was captured");
    }
    // What remains: metadata only, its token erased.
    use diesel::RunQueryDsl;
    let mut conn = db.conn();
    #[derive(diesel::QueryableByName)]
    struct Meta {
        #[diesel(sql_type = diesel::sql_types::Text)]
        status: String,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        outcome: Option<String>,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        token_hash: Option<String>,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        transfers: i32,
    }
    let meta: Meta = diesel::sql_query(format!(
        "SELECT status, outcome, token_hash, transfers FROM chat_conversations WHERE id = '{conversation}'"
    ))
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(meta.status, "closed");
    assert_eq!(meta.outcome.as_deref(), Some("redirected"));
    assert_eq!(meta.token_hash, None);
    assert_eq!(meta.transfers, 1);
    // Opening, taking, transferring and closing are audited; never the content.
    let actions: Vec<Name> = diesel::sql_query(format!(
        "SELECT action AS name FROM audit_events WHERE object_id = '{conversation}' ORDER BY id"
    ))
    .load(&mut conn)
    .unwrap();
    let actions: Vec<_> = actions.into_iter().map(|a| a.name).collect();
    assert_eq!(
        actions,
        ["open_chat", "take_chat", "transfer_chat", "close_chat"]
    );
}

async fn app() -> TestApp {
    spawn_app_with(desk_settings).await
}

#[tokio::test]
async fn opening_checks_who_asks_and_the_hours() {
    let app = app().await;
    let body = json!({"topic": "question", "language": "nl", "country": "BE"});
    // Neither an account nor a device token.
    let response = app.post_json("/v1/chat/conversations", &body).await;
    assert_problem(response, 401, "unauthorized").await;
    // A country without a desk.
    let response = app
        .client
        .post(app.url("/v1/chat/conversations"))
        .header("x-device-token", "device-aaaaaaaaaaaaaaaaaaaa")
        .json(&json!({"topic": "question", "language": "nl", "country": "LU"}))
        .send()
        .await
        .unwrap();
    assert_problem(response, 422, "chat_not_offered").await;
    // An account opens too; a wrong conversation token is 404.
    let token = app
        .dev_token(json!({"kind": "citizen", "subject": "chat-citizen"}))
        .await;
    let response = app
        .client
        .post(app.url("/v1/chat/conversations"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let opened: Value = response.json().await.unwrap();
    let response = app
        .client
        .get(app.url(&format!(
            "/v1/chat/conversations/{}/events",
            opened["conversation"].as_str().unwrap()
        )))
        .header("x-chat-token", "wrong")
        .send()
        .await
        .unwrap();
    assert_problem(response, 404, "chat_conversation_not_found").await;

    // Outside the desk's hours: nothing opens; the next opening and the alternatives.
    let closed = spawn_app_with(|s| {
        desk_settings(s);
        s.chat.desks[0].hours = "closed".into();
        s.chat.desks[0].exceptions = [("2099-01-01".to_owned(), "08:00-20:00".to_owned())].into();
    })
    .await;
    let response = closed
        .client
        .post(closed.url("/v1/chat/conversations"))
        .header("x-device-token", "device-bbbbbbbbbbbbbbbbbbbb")
        .json(&json!({"topic": "violence", "language": "fr", "country": "FR"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["status"], "outside_hours");
    assert!(answer.get("conversation").is_none());
    assert_eq!(answer["notice"]["emergency_numbers"][0], "17");
    assert!(
        !answer["alternatives"].as_array().unwrap().is_empty(),
        "{answer}"
    );
    // The next opening is not within a year: none given.
    assert!(answer.get("next_opening_at").is_none(), "{answer}");
}

#[tokio::test]
async fn the_device_limit_applies() {
    let app = spawn_app_with(|s| {
        desk_settings(s);
        s.rate_limits.enabled = true;
        s.chat.opens_per_minute_per_device = 2;
    })
    .await;
    let open = || {
        app.client
            .post(app.url("/v1/chat/conversations"))
            .header("x-device-token", "device-cccccccccccccccccccc")
            .json(&json!({"topic": "question", "language": "fr", "country": "FR"}))
            .send()
    };
    assert_eq!(open().await.unwrap().status(), 201);
    assert_eq!(open().await.unwrap().status(), 201);
    assert_problem(open().await.unwrap(), 429, "too_many_requests").await;
}

#[tokio::test]
async fn the_http_fallback_carries_the_same_frames() {
    let app = app().await;
    let (mut agent_socket, _) = agent(&app.address, "chat-agent-http").await;
    let opened = open(&app.address, "device-dddddddddddddddddddd").await;
    let id = opened["conversation"].as_str().unwrap();
    let token = opened["token"].as_str().unwrap();
    let mut events = app
        .client
        .get(app.url(&format!("/v1/chat/conversations/{id}/events")))
        .header("x-chat-token", token)
        .send()
        .await
        .unwrap();
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    send(&mut agent_socket, json!({"type": "take_next"})).await;
    next(&mut agent_socket, "assigned").await;
    let post = |frame: Value| {
        app.client
            .post(app.url(&format!("/v1/chat/conversations/{id}/messages")))
            .header("x-chat-token", token)
            .json(&frame)
            .send()
    };
    assert_eq!(
        post(json!({"type": "message", "text": "over plain HTTP"}))
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        next(&mut agent_socket, "message").await["text"],
        "over plain HTTP"
    );
    assert_problem(
        post(json!({"type": "message", "text": " "})).await.unwrap(),
        422,
        "chat_bad_message",
    )
    .await;
    send(
        &mut agent_socket,
        json!({"type": "message", "conversation": id, "text": "heard you"}),
    )
    .await;
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !seen.contains("heard you") {
        let chunk = tokio::time::timeout_at(deadline, events.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("event: welcome"), "{seen}");
    assert!(seen.contains("event: agent_joined"), "{seen}");
    assert_eq!(post(json!({"type": "leave"})).await.unwrap().status(), 204);
    assert_eq!(
        next(&mut agent_socket, "closed").await["outcome"],
        "citizen_left"
    );
}

#[tokio::test]
async fn idle_conversations_close() {
    let app = spawn_app_with(|s| {
        desk_settings(s);
        s.chat.idle_close_secs = 1;
        s.chat.idle_poll_ms = 100;
    })
    .await;
    let opened = open(&app.address, "device-eeeeeeeeeeeeeeeeeeee").await;
    let mut me = citizen(&app.address, &opened).await;
    next(&mut me, "welcome").await;
    assert_eq!(next(&mut me, "closed").await["outcome"], "idle");
}

/// Two instances on one PostgreSQL: the citizen on one, the agent on the other.
#[tokio::test]
async fn two_instances_relay_through_postgresql() {
    let first = app().await;
    if !first.db.is_postgres() {
        return; // One instance on SQLite (the relay is in the process).
    }
    let second = first.sibling(desk_settings).await;
    let (mut agent_socket, _) = agent(&second.address, "chat-agent-far").await;
    let opened = open(&first.address, "device-ffffffffffffffffffff").await;
    let conversation = opened["conversation"].as_str().unwrap().to_owned();
    let mut me = citizen(&first.address, &opened).await;
    next(&mut me, "welcome").await;
    send(
        &mut me,
        json!({"type": "message", "text": "from the first instance"}),
    )
    .await;
    send(&mut agent_socket, json!({"type": "take_next"})).await;
    let assigned = next(&mut agent_socket, "assigned").await;
    assert_eq!(assigned["history"][0]["text"], "from the first instance");
    assert_eq!(
        next(&mut me, "agent_joined").await["conversation"],
        conversation.as_str()
    );
    send(
        &mut me,
        json!({"type": "message", "text": "across instances"}),
    )
    .await;
    assert_eq!(
        next(&mut agent_socket, "message").await["text"],
        "across instances"
    );
    send(
        &mut agent_socket,
        json!({"type": "message", "conversation": conversation, "text": "back across"}),
    )
    .await;
    let mut heard = next(&mut me, "message").await;
    while heard["from"] == "citizen" {
        heard = next(&mut me, "message").await;
    }
    assert_eq!(heard["text"], "back across");
    send(
        &mut agent_socket,
        json!({"type": "close", "conversation": conversation, "outcome": "answered"}),
    )
    .await;
    assert_eq!(next(&mut me, "closed").await["outcome"], "answered");
}

/// A client written independently from asyncapi.yaml (Python `websockets`) holds a
/// conversation with two agents, a quick reply, a malformed frame, a transfer and a
/// close.
#[tokio::test]
async fn an_independent_client_speaks_the_protocol() {
    let app = app().await;
    let agents = [
        officer(&app.address, "chat-agent-py-1").await,
        officer(&app.address, "chat-agent-py-2").await,
    ];
    let input = json!({"base": app.address, "desk": DESK, "agents": agents,
                       "device": "device-python-0123456789"});
    let script = include_str!("../../chat/client.py");
    let output = tokio::task::spawn_blocking(move || {
        tests::python::run_script(
            script,
            input.to_string().as_bytes(),
            "the Python chat client failed",
        )
    })
    .await
    .unwrap();
    let seen: Value = serde_json::from_slice(&output).unwrap();
    assert_eq!(seen["outcome"], "answered");
    assert_eq!(seen["history_after_transfer"], 2);
    assert_eq!(seen["heard"], "Nog steeds daar?");
    assert_eq!(seen["quick_reply"]["code"], "procedure:online_scam");
    assert!(
        seen["notice"].as_str().unwrap().contains("niet bewaard"),
        "{seen}"
    );
}

const DECLINED: &str = "Umbrella with ochre giraffes left on tram 81";
const ACCEPTED: &str = "Copper bicycle bell stolen near the lilac kiosk";

async fn opened_by(app: &TestApp, token: &str, country: &str) -> Value {
    let response = app
        .client
        .post(app.url("/v1/chat/conversations"))
        .bearer_auth(token)
        .json(&json!({"topic": "complaint", "language": "fr", "country": country}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

fn accept(app: &TestApp, opened: &Value, proposal: &str, bearer: &str) -> reqwest::RequestBuilder {
    let id = opened["conversation"].as_str().unwrap();
    app.client
        .post(app.url(&format!(
            "/v1/chat/conversations/{id}/proposals/{proposal}/accept"
        )))
        .bearer_auth(bearer)
        .header("x-chat-token", opened["token"].as_str().unwrap())
}

/// The agent proposes a pre-filled draft: the citizen declines one (nothing of it
/// remains) and accepts another (their own draft, with its fields); an anonymous
/// conversation gets none; each step is audited.
#[tokio::test]
async fn an_agent_proposes_a_draft_the_citizen_accepts_or_declines() {
    let app = app().await;
    let (mut desk, _) = agent(&app.address, "chat-agent-proposals").await;
    let account = app
        .dev_token(json!({"kind": "citizen", "subject": "chat-proposal-citizen"}))
        .await;
    let opened = opened_by(&app, &account, "FR").await;
    let conversation = opened["conversation"].as_str().unwrap().to_owned();
    let mut me = citizen(&app.address, &opened).await;
    next(&mut me, "welcome").await;
    send(&mut desk, json!({"type": "take_next"})).await;
    next(&mut desk, "assigned").await;
    let propose = |description: &str| {
        json!({"type": "propose_draft", "conversation": conversation, "procedure": "pre_complaint",
               "fields": {"place": {"description": description}}})
    };

    // Declined: both sides hear it; declining again is an error.
    send(&mut desk, propose(DECLINED)).await;
    let offered = next(&mut me, "proposal").await;
    assert_eq!(offered["procedure"], "pre_complaint");
    assert_eq!(offered["fields"]["place"]["description"], DECLINED);
    assert!(offered["label"].as_str().unwrap().len() > 3, "{offered}");
    let first = offered["proposal"].as_str().unwrap().to_owned();
    assert_eq!(
        offered["accept"],
        format!("/v1/chat/conversations/{conversation}/proposals/{first}/accept")
    );
    assert_eq!(
        next(&mut desk, "proposal").await["proposal"],
        first.as_str()
    );
    send(
        &mut me,
        json!({"type": "decline_proposal", "proposal": first}),
    )
    .await;
    let answered = next(&mut desk, "proposal_answered").await;
    assert_eq!(answered["accepted"], false);
    assert_eq!(next(&mut me, "proposal_answered").await["accepted"], false);
    send(
        &mut me,
        json!({"type": "decline_proposal", "proposal": first}),
    )
    .await;
    assert_eq!(
        next(&mut me, "error").await["code"],
        "chat_proposal_not_found"
    );
    assert_problem(
        accept(&app, &opened, &first, &account)
            .send()
            .await
            .unwrap(),
        404,
        "chat_proposal_not_found",
    )
    .await;

    // Refused proposals: a procedure not offered in France; a contact pre-filled.
    let mut wrong = propose("x");
    wrong["procedure"] = json!("graffiti");
    send(&mut desk, wrong).await;
    assert_eq!(next(&mut desk, "error").await["code"], "chat_bad_proposal");
    let mut wrong = propose("x");
    wrong["fields"]["contact"] = json!({"email": "someone@example.org"});
    send(&mut desk, wrong).await;
    assert_eq!(
        next(&mut desk, "error").await["code"],
        "chat_malformed_frame"
    );

    // Accepted: the citizen's own draft, created once.
    send(&mut desk, propose(ACCEPTED)).await;
    let second = next(&mut me, "proposal").await["proposal"]
        .as_str()
        .unwrap()
        .to_owned();
    let stranger = app
        .dev_token(json!({"kind": "citizen", "subject": "chat-proposal-stranger"}))
        .await;
    assert_problem(
        accept(&app, &opened, &second, &stranger)
            .send()
            .await
            .unwrap(),
        404,
        "chat_conversation_not_found",
    )
    .await;
    let response = accept(&app, &opened, &second, &account)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let draft: Value = response.json().await.unwrap();
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["procedure"], "pre_complaint");
    assert_eq!(draft["place"]["description"], ACCEPTED);
    assert_eq!(next(&mut desk, "proposal_answered").await["accepted"], true);
    let mine = app
        .client
        .get(app.url(&location))
        .bearer_auth(&account)
        .send()
        .await
        .unwrap();
    assert_eq!(mine.status(), 200);
    let theirs = app
        .client
        .get(app.url(&location))
        .bearer_auth(&stranger)
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), 404);
    assert_problem(
        accept(&app, &opened, &second, &account)
            .send()
            .await
            .unwrap(),
        404,
        "chat_proposal_not_found",
    )
    .await;

    // An anonymous conversation: nobody would own the draft.
    let anonymous = open(&app.address, "device-proposal-anonymous-1").await;
    send(
        &mut desk,
        json!({"type": "close", "conversation": conversation, "outcome": "redirected"}),
    )
    .await;
    next(&mut desk, "closed").await;
    send(&mut desk, json!({"type": "take_next"})).await;
    let taken = next(&mut desk, "assigned").await;
    assert_eq!(taken["conversation"], anonymous["conversation"]);
    let mut refused = propose("x");
    refused["conversation"] = anonymous["conversation"].clone();
    send(&mut desk, refused).await;
    assert_eq!(
        next(&mut desk, "error").await["code"],
        "chat_proposal_needs_account"
    );

    // Only the accepted draft holds what was proposed; the declined one left nothing.
    assert_eq!(
        database_holds(&app.db, &DECLINED[10..]),
        Vec::<String>::new()
    );
    let holders = database_holds(&app.db, &ACCEPTED[10..]);
    assert!(!holders.is_empty(), "the accepted draft was not stored");
    assert!(
        holders.iter().all(|h| h.starts_with("filings.")),
        "{holders:?}"
    );
    use diesel::RunQueryDsl;
    let mut conn = app.conn();
    // The sealer gives each event its place in the log after its commit.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let actions = loop {
        let actions: Vec<Name> = diesel::sql_query(format!(
            "SELECT action AS name FROM audit_events WHERE object_id = '{conversation}' ORDER BY id"
        ))
        .load(&mut conn)
        .unwrap();
        let actions: Vec<_> = actions.into_iter().map(|a| a.name).collect();
        if actions.len() >= 7 || std::time::Instant::now() > deadline {
            break actions;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(
        actions,
        [
            "open_chat",
            "take_chat",
            "propose_chat_draft",
            "decline_chat_draft",
            "propose_chat_draft",
            "accept_chat_draft",
            "close_chat"
        ]
    );
}

/// A browser cannot set headers on a WebSocket: both sockets take their token as a
/// subprotocol beside `ecom-chat`, which the service selects; never in the URL. An
/// independent client (Python `websockets`, which checks the selected subprotocol) does
/// the same.
#[tokio::test]
async fn browsers_authenticate_the_sockets_by_subprotocol() {
    let app = app().await;
    let ws = app.address.replacen("http://", "ws://", 1);
    let handshake = |path: String, protocols: String| {
        let mut request = format!("{ws}{path}").into_client_request().unwrap();
        request
            .headers_mut()
            .insert("sec-websocket-protocol", protocols.parse().unwrap());
        tokio_tungstenite::connect_async(request)
    };
    let officer_token = officer(&app.address, "chat-agent-browser").await;
    let desk_path = format!("/v1/chat/desks/{DESK}/socket");
    let (mut desk, response) = handshake(
        desk_path.clone(),
        format!("ecom-chat, ecom-bearer.{officer_token}"),
    )
    .await
    .unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "ecom-chat");
    assert_eq!(next(&mut desk, "welcome").await["desk"], DESK);

    let opened = open(&app.address, "device-browser-0123456789").await;
    let id = opened["conversation"].as_str().unwrap();
    let token = opened["token"].as_str().unwrap();
    let path = format!("/v1/chat/conversations/{id}/socket");
    let (mut me, response) = handshake(path.clone(), format!("ecom-chat, ecom-chat-token.{token}"))
        .await
        .unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "ecom-chat");
    assert_eq!(next(&mut me, "welcome").await["conversation"], id);

    // Refused: a wrong token; the token without the protocol's name; a token in the URL.
    let status = |e: tokio_tungstenite::tungstenite::Error| match e {
        tokio_tungstenite::tungstenite::Error::Http(response) => response.status().as_u16(),
        other => panic!("{other}"),
    };
    let wrong = handshake(path.clone(), "ecom-chat, ecom-chat-token.wrong".into()).await;
    assert_eq!(status(wrong.unwrap_err()), 404);
    let unnamed = handshake(path.clone(), format!("ecom-chat-token.{token}")).await;
    assert_eq!(status(unnamed.unwrap_err()), 401);
    let bare = handshake(desk_path.clone(), format!("ecom-bearer.{officer_token}")).await;
    assert_eq!(status(bare.unwrap_err()), 401);
    let in_url =
        tokio_tungstenite::connect_async(format!("{ws}{desk_path}?access_token={officer_token}"))
            .await;
    assert_eq!(status(in_url.unwrap_err()), 401);

    // An independent client.
    let second = open(&app.address, "device-browser-9876543210").await;
    let input = json!({"ws": ws, "desk": DESK, "officer": officer_token,
                       "conversation": second["conversation"], "token": second["token"]});
    let script = include_str!("../../chat/subprotocol.py");
    let output = tokio::task::spawn_blocking(move || {
        tests::python::run_script(
            script,
            input.to_string().as_bytes(),
            "the Python subprotocol client failed",
        )
    })
    .await
    .unwrap();
    let seen: Value = serde_json::from_slice(&output).unwrap();
    assert_eq!(seen["citizen_subprotocol"], "ecom-chat");
    assert_eq!(seen["agent_subprotocol"], "ecom-chat");
    assert_eq!(seen["citizen_welcome"], "welcome");
    assert_eq!(seen["agent_welcome"], "welcome");
}

/// The next SSE event of type `kind` on an HTTP fallback stream (others skipped).
async fn next_event(stream: &mut reqwest::Response, buffer: &mut String, kind: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let event = block
                .lines()
                .find_map(|l| l.strip_prefix("event: "))
                .unwrap_or_default();
            let data = block.lines().find_map(|l| l.strip_prefix("data: "));
            if let (true, Some(data)) = (event == kind, data) {
                return serde_json::from_str(data).unwrap();
            }
        }
        let chunk = tokio::time::timeout_at(deadline, stream.chunk())
            .await
            .unwrap_or_else(|_| panic!("no `{kind}` event within 10 s"))
            .unwrap()
            .expect("the stream is open");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
}

/// An agent without WebSocket: the desk's event stream and its actions over HTTP, with
/// a citizen on the socket: presence, taking, talking both ways, the agents' list, a
/// refusal as a problem, a close.
#[tokio::test]
async fn agents_work_over_the_http_fallback() {
    let app = app().await;
    let token = officer(&app.address, "chat-agent-over-http").await;
    let mut events = app
        .client
        .get(app.url(&format!("/v1/chat/desks/{DESK}/events")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    let mut buffer = String::new();
    let welcome = next_event(&mut events, &mut buffer, "welcome").await;
    assert_eq!(welcome["desk"], DESK);
    let act = |frame: Value| {
        app.client
            .post(app.url(&format!("/v1/chat/desks/{DESK}/actions")))
            .bearer_auth(&token)
            .json(&frame)
            .send()
    };
    // Away: taking is refused, as a problem.
    assert_problem(
        act(json!({"type": "take_next"})).await.unwrap(),
        409,
        "chat_agent_away",
    )
    .await;
    let set = act(json!({"type": "set_status", "status": "available", "languages": ["fr"]}))
        .await
        .unwrap();
    assert_eq!(set.status(), 204);
    assert_eq!(
        next_event(&mut events, &mut buffer, "status").await["status"],
        "available"
    );
    let opened = open(&app.address, "device-agent-over-http-1").await;
    let conversation = opened["conversation"].as_str().unwrap().to_owned();
    let mut me = citizen(&app.address, &opened).await;
    next(&mut me, "welcome").await;
    send(
        &mut me,
        json!({"type": "message", "text": "anyone over HTTP?"}),
    )
    .await;
    // The echo: the message is recorded before the agent takes the conversation (the
    // socket and the HTTP action are two connections; without it they race).
    assert_eq!(next(&mut me, "message").await["text"], "anyone over HTTP?");
    assert_eq!(
        act(json!({"type": "take_next"})).await.unwrap().status(),
        204
    );
    let assigned = next_event(&mut events, &mut buffer, "assigned").await;
    assert_eq!(assigned["conversation"], conversation.as_str());
    assert_eq!(assigned["history"][0]["text"], "anyone over HTTP?");
    let said =
        act(json!({"type": "message", "conversation": conversation, "text": "yes, over HTTP"}))
            .await
            .unwrap();
    assert_eq!(said.status(), 204);
    let mut heard = next(&mut me, "message").await;
    while heard["from"] == "citizen" {
        heard = next(&mut me, "message").await;
    }
    assert_eq!(heard["text"], "yes, over HTTP");
    send(&mut me, json!({"type": "message", "text": "thanks"})).await;
    let mut relayed = next_event(&mut events, &mut buffer, "message").await;
    while relayed["text"] != "thanks" {
        relayed = next_event(&mut events, &mut buffer, "message").await;
    }
    // The chat's metrics (the gauges are refreshed every 5 s).
    let available = format!("ecommissariat_chat_agents_available{{desk=\"{DESK}\"}} 1");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let metrics = loop {
        let text = app
            .client
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if text.contains(&available) || tokio::time::Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert!(metrics.contains(&available), "{metrics}");
    let waiting = format!("ecommissariat_chat_waiting_conversations{{desk=\"{DESK}\"}} 0");
    assert!(metrics.contains(&waiting), "{metrics}");
    assert!(
        metrics.contains("ecommissariat_chat_wait_seconds_count 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("ecommissariat_chat_relay_latency_seconds_bucket"),
        "{metrics}"
    );
    let listed = act(json!({"type": "list_agents"})).await.unwrap();
    assert_eq!(listed.status(), 200);
    let listed: Value = listed.json().await.unwrap();
    assert_eq!(listed["type"], "agents");
    assert_eq!(listed["agents"][0]["conversations"], 1);
    assert_problem(
        act(json!({"type": "dance"})).await.unwrap(),
        400,
        "chat_malformed_frame",
    )
    .await;
    let closed = act(json!({"type": "close", "conversation": conversation, "outcome": "answered"}))
        .await
        .unwrap();
    assert_eq!(closed.status(), 204);
    assert_eq!(
        next_event(&mut events, &mut buffer, "closed").await["outcome"],
        "answered"
    );
    assert_eq!(next(&mut me, "closed").await["outcome"], "answered");
    // A citizen's token is refused.
    let citizen_token = app
        .dev_token(json!({"kind": "citizen", "subject": "chat-not-an-agent"}))
        .await;
    let refused = app
        .client
        .get(app.url(&format!("/v1/chat/desks/{DESK}/events")))
        .bearer_auth(&citizen_token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
}

/// The relay's listening connections of the test's database: how many, after
/// terminating them when `terminate`.
fn relay_listeners(db: &tests::TestDb, terminate: bool) -> i64 {
    use diesel::RunQueryDsl;
    let mut conn = db.conn();
    let query = if terminate {
        "SELECT COUNT(pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
         WHERE application_name = 'ecom-chat-relay' AND datname = current_database()"
    } else {
        "SELECT COUNT(*) AS n FROM pg_stat_activity \
         WHERE application_name = 'ecom-chat-relay' AND datname = current_database()"
    };
    let count: Count = diesel::sql_query(query).get_result(&mut conn).unwrap();
    count.n
}

/// Two instances on PostgreSQL; both listeners' connections are terminated
/// (`pg_terminate_backend`) mid-conversation, and both sides speak while nobody
/// listens: once the listeners reconnect, each side hears what was said meanwhile,
/// once.
#[tokio::test]
async fn a_reconnected_listener_misses_nothing() {
    let first = app().await;
    if !first.db.is_postgres() {
        return; // One instance on SQLite: no listener.
    }
    let second = first.sibling(desk_settings).await;
    let (mut desk, _) = agent(&second.address, "chat-agent-reconnect").await;
    let opened = open(&first.address, "device-reconnect-0123456789").await;
    let conversation = opened["conversation"].as_str().unwrap().to_owned();
    let mut me = citizen(&first.address, &opened).await;
    next(&mut me, "welcome").await;
    send(&mut desk, json!({"type": "take_next"})).await;
    next(&mut desk, "assigned").await;
    next(&mut me, "agent_joined").await;

    assert_eq!(relay_listeners(&first.db, true), 2);
    // The terminated backends leave pg_stat_activity when they have handled the signal,
    // which takes longer on a loaded machine; the listeners come back a second later.
    // Both sides speak once nobody listens.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while relay_listeners(&first.db, false) > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the terminated listeners are still connected"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let said = ["while nobody listened (1)", "while nobody listened (2)"];
    for text in said {
        send(&mut me, json!({"type": "message", "text": text})).await;
    }
    send(
        &mut desk,
        json!({"type": "message", "conversation": conversation, "text": "the agent, meanwhile"}),
    )
    .await;

    // Listening again (within a few seconds), then one more message.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while relay_listeners(&first.db, false) < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no listener came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let last = "after the reconnection";
    send(&mut me, json!({"type": "message", "text": last})).await;
    // Each side hears everything said meanwhile, once (its own words echoed once).
    for socket in [&mut desk, &mut me] {
        let mut heard: Vec<String> = Vec::new();
        while !heard.iter().any(|t| t == last) {
            heard.push(
                next(socket, "message").await["text"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        for text in said.iter().chain(&["the agent, meanwhile", last]) {
            let times = heard.iter().filter(|t| t == text).count();
            assert_eq!(times, 1, "{text}: {heard:?}");
        }
    }
}

//! Issue 17, the discreet alert: raised by a citizen at a Belgian position, routed by the
//! directory to the zone covering it, streamed at once to that zone's officer
//! (Server-Sent Events), followed by positions, acknowledged (the citizen's quiet stream
//! says so), and escalated to the country's fallback unit when nobody acknowledges.
//! Cancelling needs the account's cancel code. Every action is audited. Over real HTTP,
//! on SQLite and PostgreSQL, with two instances on one database.

use serde_json::{json, Value};
use std::time::Duration;
use tests::{assert_problem, spawn_app_with, TestApp};

/// Ottignies-Louvain-la-Neuve (the station), and its zone.
const ZONE: &str = "zp-ottignies-louvain-la-neuve";
const LAT: f64 = 50.6730;
const LON: f64 = 4.5687;
/// The Belgian fallback unit of these tests (a real unit of the reference directory).
const FALLBACK: &str = "pz-brussel-hoofdstad-elsene";
const SENTENCE: &str = "Grey coat, last car of the S-train, he keeps touching me";

async fn citizen(app: &TestApp, subject: &str) -> String {
    app.dev_token(json!({"kind": "citizen", "subject": subject}))
        .await
}

async fn officer(app: &TestApp, subject: &str, unit: &str) -> String {
    app.dev_token(json!({"kind": "officer", "subject": subject, "units": [unit]}))
        .await
}

async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

async fn raise(app: &TestApp, token: &str) -> String {
    let response = send(
        app,
        "POST",
        "/v1/alerts",
        token,
        Some(json!({"kind": "harassment", "position": {"lat": LAT, "lon": LON, "accuracy_m": 15.0}, "text": SENTENCE})),
    )
    .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    // Minimal: the id and the status, nothing else.
    assert_eq!(body.as_object().unwrap().len(), 2, "{body}");
    assert_eq!(body["status"], "raised");
    body["id"].as_str().unwrap().to_owned()
}

async fn open_stream(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    response
}

/// Reads the stream until an event `name` about `alert` arrives; returns its data.
async fn next_event(
    response: &mut reqwest::Response,
    buffer: &mut String,
    name: &str,
    alert: &str,
    secs: u64,
) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let event = block.lines().find_map(|l| l.strip_prefix("event: "));
            let data = block.lines().find_map(|l| l.strip_prefix("data: "));
            if let (Some(event), Some(data)) = (event, data) {
                let data: Value = serde_json::from_str(data).unwrap();
                if event == name && data["alert_id"] == alert {
                    return data;
                }
            }
        }
        let chunk = tokio::time::timeout_at(deadline, response.chunk())
            .await
            .unwrap_or_else(|_| panic!("no {name} within {secs} s; left: {buffer}"))
            .unwrap()
            .unwrap_or_else(|| panic!("stream ended before {name}"));
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

fn audit_actions(app: &TestApp, alert: &str) -> Vec<(String, String)> {
    let pool = app.db.pool();
    let mut conn = pool.get().unwrap();
    persistence::audit::list(&mut conn, &Default::default(), 1000)
        .unwrap()
        .into_iter()
        .filter(|e| e.event.object_id.as_deref() == Some(alert))
        .map(|e| (e.event.action, e.event.outcome.as_str().to_owned()))
        .collect()
}

fn quick(s: &mut api::config::Settings) {
    s.alerts.stream_poll_ms = 50;
    s.alerts.escalation_poll_ms = 100;
    s.alerts.fallback_units = [("BE".to_owned(), FALLBACK.to_owned())].into();
}

#[tokio::test]
async fn an_alert_reaches_the_zone_officer_at_once_with_its_track_and_is_acknowledged() {
    let app = spawn_app_with(quick).await;
    let alice = citizen(&app, "alice").await;
    let agent = officer(&app, "o-1", ZONE).await;
    let mut officer_stream =
        open_stream(&app, &format!("/v1/units/{ZONE}/alerts/stream"), &agent).await;
    let mut seen = String::new();

    let id = raise(&app, &alice).await;
    let raised = next_event(&mut officer_stream, &mut seen, "raised", &id, 5).await;
    assert_eq!(raised["alert"]["kind"], "harassment");
    assert_eq!(raised["alert"]["text"], SENTENCE);
    assert_eq!(raised["alert"]["unit_id"], ZONE);
    assert_eq!(raised["alert"]["track"][0]["lat"], LAT);

    // The citizen's stream is quiet until the acknowledgement.
    let mut citizen_stream = open_stream(&app, &format!("/v1/alerts/{id}/stream"), &alice).await;
    let mut citizen_seen = String::new();

    let moved = send(
        &app,
        "POST",
        &format!("/v1/alerts/{id}/positions"),
        &alice,
        Some(json!({"lat": 50.6741, "lon": 4.5702, "accuracy_m": 10.0})),
    )
    .await;
    assert_eq!(moved.status(), 204);
    let position = next_event(&mut officer_stream, &mut seen, "position", &id, 5).await;
    assert_eq!(position["alert"]["track"][0]["lat"], 50.6741);

    // Another unit's officer cannot read it (and the attempt is audited).
    let stranger = officer(&app, "o-9", FALLBACK).await;
    let refused = send(
        &app,
        "GET",
        &format!("/v1/units/{ZONE}/alerts/{id}"),
        &stranger,
        None,
    )
    .await;
    assert_problem(refused, 403, "forbidden").await;
    let elsewhere = send(
        &app,
        "GET",
        &format!("/v1/units/{FALLBACK}/alerts/{id}"),
        &stranger,
        None,
    )
    .await;
    assert_problem(elsewhere, 404, "alert_not_found").await;

    let read = send(
        &app,
        "GET",
        &format!("/v1/units/{ZONE}/alerts/{id}"),
        &agent,
        None,
    )
    .await;
    assert_eq!(read.status(), 200);
    let read: Value = read.json().await.unwrap();
    assert_eq!(read["track"].as_array().unwrap().len(), 2);
    assert_eq!(read["status"], "raised");

    // Closing before acknowledging is refused.
    let early = send(
        &app,
        "POST",
        &format!("/v1/units/{ZONE}/alerts/{id}/close"),
        &agent,
        None,
    )
    .await;
    assert_problem(early, 409, "alert_not_acknowledged").await;

    let acked = send(
        &app,
        "POST",
        &format!("/v1/units/{ZONE}/alerts/{id}/acknowledge"),
        &agent,
        None,
    )
    .await;
    assert_eq!(acked.status(), 200);
    let acked: Value = acked.json().await.unwrap();
    assert_eq!(acked["status"], "acknowledged");
    assert!(acked["acknowledged_by"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));
    let told = next_event(
        &mut citizen_stream,
        &mut citizen_seen,
        "acknowledged",
        &id,
        5,
    )
    .await;
    assert!(
        told.get("alert").is_none(),
        "the citizen's stream carries no details: {told}"
    );
    assert!(!citizen_seen.contains("position"), "{citizen_seen}");
    next_event(&mut officer_stream, &mut seen, "acknowledged", &id, 5).await;

    let closed = send(
        &app,
        "POST",
        &format!("/v1/units/{ZONE}/alerts/{id}/close"),
        &agent,
        None,
    )
    .await;
    assert_eq!(closed.status(), 200);
    next_event(&mut citizen_stream, &mut citizen_seen, "closed", &id, 5).await;
    let late = send(
        &app,
        "POST",
        &format!("/v1/alerts/{id}/positions"),
        &alice,
        Some(json!({"lat": 50.6741, "lon": 4.5702})),
    )
    .await;
    assert_problem(late, 409, "alert_not_active").await;

    let actions = audit_actions(&app, &id);
    for expected in [
        ("raise_alert", "allowed"),
        ("add_alert_position", "allowed"),
        ("consultation_alert", "denied"),
        ("view_alert", "allowed"),
        ("alert_acknowledge", "allowed"),
        ("alert_close", "allowed"),
    ] {
        assert!(
            actions
                .iter()
                .any(|(a, o)| a == expected.0 && o == expected.1),
            "{expected:?} not in {actions:?}"
        );
    }
    assert!(audit_actions(&app, ZONE)
        .iter()
        .any(|(a, _)| a == "watch_unit_alerts"));
}

#[tokio::test]
async fn an_alert_nobody_acknowledges_escalates_to_the_fallback_unit() {
    let app = spawn_app_with(|s| {
        quick(s);
        s.alerts.ack_timeout_secs = 1;
    })
    .await;
    let alice = citizen(&app, "alice").await;
    let zone_agent = officer(&app, "o-1", ZONE).await;
    let centre_agent = officer(&app, "o-2", FALLBACK).await;
    let mut zone = open_stream(
        &app,
        &format!("/v1/units/{ZONE}/alerts/stream"),
        &zone_agent,
    )
    .await;
    let mut centre = open_stream(
        &app,
        &format!("/v1/units/{FALLBACK}/alerts/stream"),
        &centre_agent,
    )
    .await;
    let (mut zone_seen, mut centre_seen) = (String::new(), String::new());

    let id = raise(&app, &alice).await;
    next_event(&mut zone, &mut zone_seen, "raised", &id, 5).await;
    let arrived = next_event(&mut centre, &mut centre_seen, "escalated_in", &id, 10).await;
    assert_eq!(arrived["alert"]["unit_id"], FALLBACK);
    assert_eq!(arrived["alert"]["first_unit_id"], ZONE);
    assert_eq!(arrived["alert"]["text"], SENTENCE);
    next_event(&mut zone, &mut zone_seen, "escalated_out", &id, 5).await;

    // The zone can still read it, but only the holding unit acts on it.
    let zone_ack = send(
        &app,
        "POST",
        &format!("/v1/units/{ZONE}/alerts/{id}/acknowledge"),
        &zone_agent,
        None,
    )
    .await;
    assert_problem(zone_ack, 404, "alert_not_found").await;
    let ack = send(
        &app,
        "POST",
        &format!("/v1/units/{FALLBACK}/alerts/{id}/acknowledge"),
        &centre_agent,
        None,
    )
    .await;
    assert_eq!(ack.status(), 200);
    let actions = audit_actions(&app, &id);
    assert!(
        actions.iter().any(|(a, _)| a == "alert_escalate"),
        "{actions:?}"
    );

    // Escalation happens once.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let read = send(
        &app,
        "GET",
        &format!("/v1/units/{FALLBACK}/alerts/{id}"),
        &centre_agent,
        None,
    )
    .await;
    let read: Value = read.json().await.unwrap();
    assert_eq!(read["unit_id"], FALLBACK);
    assert_eq!(read["status"], "acknowledged");
}

#[tokio::test]
async fn an_alert_raised_on_one_instance_reaches_an_officer_on_another() {
    let first = spawn_app_with(quick).await;
    let second = first.sibling(quick).await;
    let alice = citizen(&first, "alice").await;
    let agent = officer(&second, "o-1", ZONE).await;
    let mut stream = open_stream(&second, &format!("/v1/units/{ZONE}/alerts/stream"), &agent).await;
    let mut seen = String::new();
    let id = raise(&first, &alice).await;
    next_event(&mut stream, &mut seen, "raised", &id, 5).await;
    let ack = send(
        &second,
        "POST",
        &format!("/v1/units/{ZONE}/alerts/{id}/acknowledge"),
        &agent,
        None,
    )
    .await;
    assert_eq!(ack.status(), 200);
}

#[tokio::test]
async fn cancelling_needs_the_accounts_cancel_code() {
    let app = spawn_app_with(quick).await;
    let alice = citizen(&app, "alice").await;
    let mallory = citizen(&app, "mallory").await;
    let id = raise(&app, &alice).await;

    let path = format!("/v1/alerts/{id}/cancel");
    let none = send(
        &app,
        "POST",
        &path,
        &alice,
        Some(json!({"cancel_code": "1234"})),
    )
    .await;
    assert_problem(none, 409, "alert_cancel_code_not_set").await;
    let bad = send(
        &app,
        "PUT",
        "/v1/alert-cancel-code",
        &alice,
        Some(json!({"code": "12a"})),
    )
    .await;
    let bad = assert_problem(bad, 422, "validation_failed").await;
    assert_eq!(bad["errors"][0]["code"], "invalid_cancel_code");
    let set = send(
        &app,
        "PUT",
        "/v1/alert-cancel-code",
        &alice,
        Some(json!({"code": "4711"})),
    )
    .await;
    assert_eq!(set.status(), 204);

    let other = send(
        &app,
        "POST",
        &path,
        &mallory,
        Some(json!({"cancel_code": "4711"})),
    )
    .await;
    assert_problem(other, 404, "alert_not_found").await;
    let wrong = send(
        &app,
        "POST",
        &path,
        &alice,
        Some(json!({"cancel_code": "1234"})),
    )
    .await;
    assert_problem(wrong, 403, "alert_cancel_code_wrong").await;
    let right = send(
        &app,
        "POST",
        &path,
        &alice,
        Some(json!({"cancel_code": "4711"})),
    )
    .await;
    assert_eq!(right.status(), 204);
    let again = send(
        &app,
        "POST",
        &path,
        &alice,
        Some(json!({"cancel_code": "4711"})),
    )
    .await;
    assert_problem(again, 409, "alert_not_active").await;
    let actions = audit_actions(&app, &id);
    assert!(
        actions.contains(&("cancel_alert".to_owned(), "denied".to_owned())),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("cancel_alert".to_owned(), "allowed".to_owned())),
        "{actions:?}"
    );

    // Five wrong codes lock cancelling for that alert.
    let second = raise(&app, &alice).await;
    let path = format!("/v1/alerts/{second}/cancel");
    for _ in 0..5 {
        let wrong = send(
            &app,
            "POST",
            &path,
            &alice,
            Some(json!({"cancel_code": "0000"})),
        )
        .await;
        assert_problem(wrong, 403, "alert_cancel_code_wrong").await;
    }
    let locked = send(
        &app,
        "POST",
        &path,
        &alice,
        Some(json!({"cancel_code": "4711"})),
    )
    .await;
    assert_problem(locked, 409, "alert_cancel_locked").await;
}

#[tokio::test]
async fn bad_alerts_are_problems_and_limits_hold() {
    let app = spawn_app_with(quick).await;
    let alice = citizen(&app, "alice").await;
    let agent = officer(&app, "o-1", ZONE).await;

    let far = send(
        &app,
        "POST",
        "/v1/alerts",
        &alice,
        Some(json!({"kind": "following", "position": {"lat": 91.0, "lon": LON}})),
    )
    .await;
    let far = assert_problem(far, 422, "validation_failed").await;
    assert_eq!(far["errors"][0]["pointer"], "/position/lat");
    let long = send(
        &app,
        "POST",
        "/v1/alerts",
        &alice,
        Some(
            json!({"kind": "other", "position": {"lat": LAT, "lon": LON}, "text": "x".repeat(281)}),
        ),
    )
    .await;
    let long = assert_problem(long, 422, "validation_failed").await;
    assert_eq!(long["errors"][0]["pointer"], "/text");
    let kind = send(
        &app,
        "POST",
        "/v1/alerts",
        &alice,
        Some(json!({"kind": "burglary", "position": {"lat": LAT, "lon": LON}})),
    )
    .await;
    assert_problem(kind, 422, "validation_failed").await;
    // The middle of the Atlantic: no unit, no fallback.
    let sea = send(
        &app,
        "POST",
        "/v1/alerts",
        &alice,
        Some(json!({"kind": "other", "position": {"lat": 40.0, "lon": -30.0}})),
    )
    .await;
    assert_problem(sea, 422, "no_competent_unit").await;
    let officer_raises = send(
        &app,
        "POST",
        "/v1/alerts",
        &agent,
        Some(json!({"kind": "other", "position": {"lat": LAT, "lon": LON}})),
    )
    .await;
    assert_problem(officer_raises, 403, "forbidden").await;

    // Three an hour; the fourth waits.
    let first = raise(&app, &alice).await;
    raise(&app, &alice).await;
    raise(&app, &alice).await;
    let fourth = send(
        &app,
        "POST",
        "/v1/alerts",
        &alice,
        Some(json!({"kind": "other", "position": {"lat": LAT, "lon": LON}})),
    )
    .await;
    assert!(fourth.headers().contains_key("retry-after"));
    assert_problem(fourth, 429, "too_many_requests").await;

    // An alert flagged abusive blocks its author for a day.
    let bob = citizen(&app, "bob").await;
    let id = raise(&app, &bob).await;
    send(
        &app,
        "POST",
        &format!("/v1/units/{ZONE}/alerts/{id}/acknowledge"),
        &agent,
        None,
    )
    .await;
    let flagged = send(
        &app,
        "POST",
        &format!("/v1/units/{ZONE}/alerts/{id}/flag-abusive"),
        &agent,
        None,
    )
    .await;
    assert_eq!(flagged.status(), 200);
    let blocked = send(
        &app,
        "POST",
        "/v1/alerts",
        &bob,
        Some(json!({"kind": "other", "position": {"lat": LAT, "lon": LON}})),
    )
    .await;
    let retry: i64 = blocked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 23 * 3600, "{retry}");
    assert_problem(blocked, 429, "too_many_requests").await;

    // Another citizen's alert is 404, like a missing one.
    let stream = send(
        &app,
        "GET",
        &format!("/v1/alerts/{first}/stream"),
        &bob,
        None,
    )
    .await;
    assert_problem(stream, 404, "alert_not_found").await;
}

/// A retried raise with the same `Idempotency-Key` is the first answer again (one alert,
/// one quota place); the same key with another body is 422 (reported from outside: the
/// key was ignored and each retry raised another alert).
#[tokio::test]
async fn a_retried_alert_with_its_idempotency_key_raises_one_alert() {
    let app = spawn_app_with(quick).await;
    let token = citizen(&app, "alert-retry").await;
    let body =
        json!({"kind": "harassment", "position": {"lat": LAT, "lon": LON, "accuracy_m": 15.0}});
    let post = |body: Value| {
        app.client
            .post(app.url("/v1/alerts"))
            .bearer_auth(&token)
            .header("Idempotency-Key", "alert-retry-1")
            .json(&body)
            .send()
    };
    let first = post(body.clone()).await.unwrap();
    assert_eq!(first.status(), 201);
    let location = first.headers()["location"].clone();
    let first: Value = first.json().await.unwrap();
    let again = post(body.clone()).await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["location"], location);
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    let mut other = body;
    other["kind"] = json!("other");
    let reused = post(other).await.unwrap();
    assert_problem(reused, 422, "idempotency_key_reused").await;
    use diesel::prelude::*;
    use persistence::schema::alerts as a;
    // A fresh service: every alert in it is this citizen's.
    let alerts: i64 = a::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(alerts, 1);
}

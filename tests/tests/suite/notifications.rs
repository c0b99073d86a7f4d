//! Issue 15, in-app half: the notification feed written with each status change, its
//! live stream (Server-Sent Events, resumable), the citizen's preferences, the
//! end-of-case notice and the case clock. Over real HTTP, on SQLite and PostgreSQL.

use serde_json::{json, Value};
use std::time::Duration;
use tests::{assert_problem, spawn_app, spawn_app_with, TestApp};

const ZONE: &str = "zp-ottignies-louvain-la-neuve";

async fn citizen(app: &TestApp, subject: &str) -> String {
    app.dev_token(json!({"kind": "citizen", "subject": subject}))
        .await
}

async fn officer(app: &TestApp) -> String {
    app.dev_token(json!({"kind": "officer", "subject": "o-1", "units": [ZONE]}))
        .await
}

async fn submitted_filing(app: &TestApp, token: &str, channel: Value) -> String {
    let mut body = json!({
        "procedure": "bicycle_theft", "country": "BE", "place": {"municipality": "BE-25121"},
        "facts_date": {"from": (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339()},
        "answers": {"ongoing_danger": false, "injury": false, "known_author": false, "violence": false, "exploitable_traces": false},
        "facts": {"bicycle_locked": true, "circumstances": "Chained at the rack near platform 3.",
                  "items": [{"category": "bicycle", "brand": "Gazelle", "serial_number": "GZ12345678"}]},
        "contact": {"email": "alice@example.org"}
    });
    body["confirmation_channel"] = channel;
    let created = app
        .client
        .post(app.url("/v1/filings"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let submitted = app
        .client
        .post(app.url(&format!("/v1/filings/{id}/submit")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 200);
    id
}

/// An officer's action on the filing, at its current version.
async fn act(app: &TestApp, officer: &str, id: &str, action: &str, body: Value) -> Value {
    let base = format!("/v1/units/{ZONE}/filings/{id}");
    let current = app
        .client
        .get(app.url(&base))
        .bearer_auth(officer)
        .send()
        .await
        .unwrap();
    let etag = current.headers()["etag"].to_str().unwrap().to_owned();
    let response = app
        .client
        .post(app.url(&format!("{base}/{action}")))
        .bearer_auth(officer)
        .header("if-match", etag)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{action}");
    response.json().await.unwrap()
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

fn events(feed: &Value) -> Vec<&str> {
    feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["event"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn each_status_change_reaches_the_feed_in_the_readers_language_and_only_the_owners() {
    let app = spawn_app().await;
    let alice = citizen(&app, "alice").await;
    let officer = officer(&app).await;
    let id = submitted_filing(&app, &alice, json!("email")).await;
    act(&app, &officer, &id, "take-in-charge", json!({})).await;
    act(
        &app,
        &officer,
        &id,
        "request-info",
        json!({"message": "Frame number?"}),
    )
    .await;
    let answered = app
        .client
        .post(app.url(&format!("/v1/filings/{id}/answers")))
        .bearer_auth(&alice)
        .json(&json!({"message": "GZ12345678"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 200);
    act(&app, &officer, &id, "register", json!({})).await;

    let feed = get(&app, &alice, "/v1/notifications?lang=fr").await;
    // The citizen's own answer notifies nobody; newest first.
    assert_eq!(
        events(&feed),
        [
            "registered",
            "info_requested",
            "taken_in_charge",
            "submitted"
        ]
    );
    assert_eq!(feed["unread_count"], 4);
    let registered = &feed["items"][0];
    assert_eq!(registered["language"], "fr");
    assert_eq!(registered["title"], "Plainte enregistrée");
    let record = registered["record_number"].as_str().unwrap();
    assert!(registered["text"].as_str().unwrap().contains(record));
    assert!(registered["text"].as_str().unwrap().contains("Ottignies"));
    assert_eq!(registered["filing_url"], format!("/v1/filings/{id}"));
    assert_eq!(registered["legally_required"], true);
    assert_eq!(feed["items"][1]["legally_required"], false);
    // No facts, no items, no question or answer in the feed.
    let text = feed.to_string();
    for secret in [
        "GZ12345678",
        "platform 3",
        "Gazelle",
        "Frame number",
        "alice@example.org",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    // Event ids increase with time.
    let ids: Vec<i64> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["event_id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(ids, [4, 3, 2, 1]);

    // Pages of two, with a cursor, in another language.
    let first = get(&app, &alice, "/v1/notifications?limit=2&lang=nl").await;
    assert_eq!(events(&first), ["registered", "info_requested"]);
    assert_eq!(first["items"][0]["title"], "Klacht geregistreerd");
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = get(
        &app,
        &alice,
        &format!("/v1/notifications?limit=2&cursor={cursor}"),
    )
    .await;
    assert_eq!(events(&second), ["taken_in_charge", "submitted"]);
    assert!(second.get("next_cursor").is_none());
    let bad = app
        .client
        .get(app.url("/v1/notifications?cursor=yesterday"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_problem(bad, 422, "validation_failed").await;

    // Another citizen sees nothing, and alice's notification is 404 for them.
    let bob = citizen(&app, "bob").await;
    let theirs = get(&app, &bob, "/v1/notifications").await;
    assert_eq!(theirs["items"], json!([]));
    assert_eq!(theirs["unread_count"], 0);
    let notification_id = registered["id"].as_str().unwrap();
    let stolen = app
        .client
        .post(app.url(&format!("/v1/notifications/{notification_id}/read")))
        .bearer_auth(&bob)
        .send()
        .await
        .unwrap();
    assert_problem(stolen, 404, "not_found").await;
    // An officer's token is not a citizen's.
    let refused = app
        .client
        .get(app.url("/v1/notifications"))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert_problem(refused, 403, "forbidden").await;

    // Read one, then everything up to the taking in charge.
    let read = app
        .client
        .post(app.url(&format!("/v1/notifications/{notification_id}/read")))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let read: Value = read.json().await.unwrap();
    assert_eq!(read["read"], true);
    let unread = get(&app, &alice, "/v1/notifications?unread=true").await;
    assert_eq!(
        events(&unread),
        ["info_requested", "taken_in_charge", "submitted"]
    );
    let marked: Value = app
        .client
        .post(app.url("/v1/notifications/read"))
        .bearer_auth(&alice)
        .json(&json!({"up_to_event_id": "2"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(marked, json!({"marked": 2, "unread_count": 1}));
    let unread = get(
        &app,
        &alice,
        &format!("/v1/notifications?unread=true&filing_id={id}"),
    )
    .await;
    assert_eq!(events(&unread), ["info_requested"]);
    assert_eq!(unread["unread_count"], 1);
}

#[tokio::test]
async fn a_rejection_and_a_closure_tell_the_reason_the_review_and_victim_support() {
    let app = spawn_app().await;
    let alice = citizen(&app, "alice").await;
    let officer = officer(&app).await;
    let id = submitted_filing(&app, &alice, json!("email")).await;
    act(&app, &officer, &id, "take-in-charge", json!({})).await;
    act(
        &app,
        &officer,
        &id,
        "reject",
        json!({"reason_code": "not_a_crime", "explanation": "A civil dispute with the seller."}),
    )
    .await;
    let feed = get(&app, &alice, "/v1/notifications?lang=en").await;
    assert_eq!(events(&feed)[0], "rejected");
    let notice = &feed["items"][0]["end_of_case"];
    assert_eq!(notice["outcome"], "rejected");
    assert!(!notice["reason"].as_str().unwrap().is_empty());
    assert!(notice["victim_rights"]
        .as_str()
        .unwrap()
        .contains("2012/29/EU"));
    let review_by = notice["review"]["review_by"].as_str().unwrap();
    let expected = domain::filing::model::local_date(
        chrono::Utc::now() + chrono::Duration::days(30),
        domain::catalogue::Country::Be,
    )
    .to_string();
    assert_eq!(review_by, expected);
    assert!(notice["review"]["text"]
        .as_str()
        .unwrap()
        .contains(review_by));
    let services = notice["support_services"].as_array().unwrap();
    assert!(services.iter().any(|s| s["kind"] == "police"));
    assert!(services
        .iter()
        .all(|s| !s["source"].as_str().unwrap().is_empty()));
    // The officer's own words stay in the filing, not in the feed.
    assert!(!feed.to_string().contains("civil dispute"));

    // The filing's view carries the same notice, in its reader's language.
    let view = get(&app, &alice, &format!("/v1/filings/{id}?lang=de")).await;
    assert_eq!(view["end_of_case"]["outcome"], "rejected");
    assert_eq!(view["end_of_case"]["language"], "de");
    assert_eq!(view["end_of_case"]["review"]["review_by"], review_by);
    assert_eq!(
        view["decision"]["explanation"],
        "A civil dispute with the seller."
    );
    assert_eq!(view["timeline"]["steps"], json!([]));

    act(&app, &officer, &id, "close", json!({})).await;
    let feed = get(&app, &alice, "/v1/notifications?lang=ca").await;
    assert_eq!(events(&feed)[0], "closed");
    let closed = &feed["items"][0]["end_of_case"];
    assert_eq!(closed["outcome"], "closed");
    assert_eq!(closed["language"], "ca");
    assert!(closed["review"].get("review_by").is_none());
}

#[tokio::test]
async fn the_case_clock_gives_the_expected_dates_in_the_view_and_the_receipt() {
    let app = spawn_app().await;
    let alice = citizen(&app, "alice").await;
    let id = submitted_filing(&app, &alice, json!("email")).await;
    let view = get(&app, &alice, &format!("/v1/filings/{id}?lang=fr")).await;
    let clock = &view["timeline"];
    assert_eq!(clock["late"], false);
    assert_eq!(
        clock["target"],
        json!({"take_in_charge_hours": 8, "decision_hours": 24})
    );
    let steps = clock["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[0]["step"], "taken_in_charge");
    assert_eq!(steps[1]["step"], "decision");
    let taken: chrono::DateTime<chrono::Utc> =
        steps[0]["expected_by"].as_str().unwrap().parse().unwrap();
    let decided: chrono::DateTime<chrono::Utc> =
        steps[1]["expected_by"].as_str().unwrap().parse().unwrap();
    let submitted: chrono::DateTime<chrono::Utc> =
        view["submitted_at"].as_str().unwrap().parse().unwrap();
    // Eight service hours take at least eight hours, and the decision comes after.
    assert!(
        taken >= submitted + chrono::Duration::hours(8),
        "{taken} {submitted}"
    );
    assert!(
        decided >= taken + chrono::Duration::hours(24),
        "{decided} {taken}"
    );
    assert!(!steps[0]["label"].as_str().unwrap().is_empty());
    let receipt = get(&app, &alice, &format!("/v1/filings/{id}/receipt?lang=fr")).await;
    assert_eq!(receipt["timeline"]["steps"], clock["steps"]);
}

#[tokio::test]
async fn a_units_own_target_and_a_late_filing() {
    let app = spawn_app_with(|s| {
        s.notices.unit_targets.insert(
            ZONE.into(),
            api::config::UnitTarget {
                take_in_charge_hours: 0,
                decision_hours: 0,
            },
        );
    })
    .await;
    let alice = citizen(&app, "alice").await;
    let id = submitted_filing(&app, &alice, json!("email")).await;
    let view = get(&app, &alice, &format!("/v1/filings/{id}")).await;
    let clock = &view["timeline"];
    assert_eq!(
        clock["target"],
        json!({"take_in_charge_hours": 0, "decision_hours": 0})
    );
    // A zero target is due when the unit is next open: at the submission (to the minute)
    // if it was open then, and the filing is late at once; else at its next opening,
    // still to come.
    let due: chrono::DateTime<chrono::Utc> = clock["steps"][0]["expected_by"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let submitted: chrono::DateTime<chrono::Utc> =
        view["submitted_at"].as_str().unwrap().parse().unwrap();
    let open_at_submission = due <= submitted;
    assert_eq!(clock["late"], json!(open_at_submission));
    assert_eq!(clock["steps"][0]["late"], json!(open_at_submission));
    assert_eq!(
        clock["steps"][1]["expected_by"],
        clock["steps"][0]["expected_by"]
    );
}

#[tokio::test]
async fn preferences_change_the_channel_and_app_notifications_with_their_rules() {
    let app = spawn_app().await;
    let alice = citizen(&app, "alice").await;
    let officer = officer(&app).await;
    let id = submitted_filing(&app, &alice, json!("email")).await;
    let path = format!("/v1/filings/{id}/preferences");
    let patch = |body: Value, etag: Option<&str>| {
        let mut request = app
            .client
            .patch(app.url(&path))
            .bearer_auth(&alice)
            .json(&body);
        if let Some(etag) = etag {
            request = request.header("if-match", etag.to_owned());
        }
        request.send()
    };
    assert_problem(
        patch(json!({"app_notifications": false}), None)
            .await
            .unwrap(),
        428,
        "precondition_required",
    )
    .await;
    assert_problem(
        patch(json!({"app_notifications": false}), Some("\"v1\""))
            .await
            .unwrap(),
        412,
        "precondition_failed",
    )
    .await;
    let no_address = assert_problem(
        patch(json!({"confirmation_channel": "post"}), Some("*"))
            .await
            .unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(no_address["errors"][0]["pointer"], "/postal_address");
    let bad_email = assert_problem(
        patch(json!({"email": "ivan@@example.net"}), Some("*"))
            .await
            .unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(bad_email["errors"][0]["pointer"], "/email");
    assert_problem(
        patch(json!({}), Some("*")).await.unwrap(),
        422,
        "validation_failed",
    )
    .await;

    // Off the app, by e-mail: a decision is e-mailed (queued), not in the feed.
    let changed = patch(json!({"app_notifications": false}), Some("*"))
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    let changed: Value = changed.json().await.unwrap();
    assert_eq!(changed["app_notifications"], false);
    act(&app, &officer, &id, "take-in-charge", json!({})).await;
    act(&app, &officer, &id, "register", json!({})).await;
    let feed = get(&app, &alice, "/v1/notifications").await;
    assert_eq!(events(&feed), ["submitted"]);
    {
        let pool = app.db.pool();
        let mut conn = pool.get().unwrap();
        // One e-mail per status change (issue 15's delivery), none in the feed.
        let outbox = persistence::filings::outbox_for(&mut conn, &id).unwrap();
        let sent: Vec<(&str, &str)> = outbox
            .iter()
            .map(|m| (m.0.as_str(), m.1.as_str()))
            .collect();
        assert_eq!(
            sent,
            [
                ("email", "filing_submitted"),
                ("email", "filing_taken_in_charge"),
                ("email", "filing_registered")
            ]
        );
    }

    // A second filing, confirmed in the app and with app notifications off: the required
    // notices still reach the feed, the others do not, and nothing is queued for e-mail.
    let second = submitted_filing(&app, &alice, json!("app")).await;
    let response = app
        .client
        .patch(app.url(&format!("/v1/filings/{second}/preferences")))
        .bearer_auth(&alice)
        .header("if-match", "*")
        .json(&json!({"app_notifications": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    act(&app, &officer, &second, "take-in-charge", json!({})).await;
    act(
        &app,
        &officer,
        &second,
        "request-info",
        json!({"message": "When?"}),
    )
    .await;
    let answered = app
        .client
        .post(app.url(&format!("/v1/filings/{second}/answers")))
        .bearer_auth(&alice)
        .json(&json!({"message": "Yesterday."}))
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 200);
    act(&app, &officer, &second, "register", json!({})).await;
    let feed = get(
        &app,
        &alice,
        &format!("/v1/notifications?filing_id={second}"),
    )
    .await;
    assert_eq!(
        events(&feed),
        ["registered", "taken_in_charge", "submitted"]
    );
    {
        let pool = app.db.pool();
        let mut conn = pool.get().unwrap();
        assert!(persistence::filings::outbox_for(&mut conn, &second)
            .unwrap()
            .is_empty());
        // Each change of preferences is audited as an alteration by the citizen.
        let alterations = persistence::audit::list(&mut conn, &Default::default(), 10_000)
            .unwrap()
            .into_iter()
            .filter(|e| e.event.actor.role == domain::audit::ActorRole::Citizen)
            .filter(|e| e.event.operation == domain::audit::AuditOperation::Alteration)
            .count();
        assert_eq!(alterations, 2);
    }

    // Back to post with an address; a withdrawn filing cannot change any more.
    let to_post = patch(
        json!({"confirmation_channel": "post", "postal_address": "Rue de la Gare 1, 1340 Ottignies"}),
        Some("*"),
    )
    .await
    .unwrap();
    assert_eq!(to_post.status(), 200);
    let to_post: Value = to_post.json().await.unwrap();
    assert_eq!(to_post["confirmation_channel"], "post");
    let third = submitted_filing(&app, &alice, json!("email")).await;
    let withdrawn = app
        .client
        .post(app.url(&format!("/v1/filings/{third}/withdraw")))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(withdrawn.status(), 200);
    let late = app
        .client
        .patch(app.url(&format!("/v1/filings/{third}/preferences")))
        .bearer_auth(&alice)
        .header("if-match", "*")
        .json(&json!({"app_notifications": true}))
        .send()
        .await
        .unwrap();
    assert_problem(late, 409, "invalid_transition").await;
}

/// Reads the stream until `needle` appears (or fails after `secs`); returns what was read.
async fn read_until(response: &mut reqwest::Response, seen: &mut String, needle: &str, secs: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !seen.contains(needle) {
        let chunk = tokio::time::timeout_at(deadline, response.chunk())
            .await
            .unwrap_or_else(|_| panic!("no {needle:?} within {secs} s; read: {seen}"))
            .unwrap()
            .unwrap_or_else(|| panic!("stream ended before {needle:?}; read: {seen}"));
        seen.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

#[tokio::test]
async fn the_stream_sends_new_notifications_heartbeats_and_resumes_after_last_event_id() {
    let app = spawn_app_with(|s| {
        s.notices.stream_poll_ms = 50;
        s.notices.stream_heartbeat_secs = 1;
    })
    .await;
    let alice = citizen(&app, "alice").await;
    let officer = officer(&app).await;
    let id = submitted_filing(&app, &alice, json!("email")).await;

    let mut stream = app
        .client
        .get(app.url("/v1/notifications/stream?lang=fr"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    assert_eq!(stream.headers()["cache-control"], "no-store");
    let mut seen = String::new();
    read_until(&mut stream, &mut seen, "retry: 3000\n\n", 5).await;
    // Without Last-Event-ID the stream starts now: the submission (event 1) is not sent.
    act(&app, &officer, &id, "take-in-charge", json!({})).await;
    read_until(&mut stream, &mut seen, "event: notification\n", 5).await;
    read_until(&mut stream, &mut seen, "}\n\n", 5).await;
    assert!(!seen.contains("id: 1\n"), "{seen}");
    assert!(
        seen.contains("id: 2\nevent: notification\ndata: {"),
        "{seen}"
    );
    let data = seen.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
    let event: Value = serde_json::from_str(data).unwrap();
    assert_eq!(event["event"], "taken_in_charge");
    assert_eq!(event["event_id"], "2");
    assert_eq!(event["language"], "fr");
    // Idle: heartbeats.
    read_until(&mut stream, &mut seen, ": heartbeat\n\n", 5).await;
    drop(stream);

    // While disconnected, two more changes; resuming after event 2 sends 3 then 4.
    act(
        &app,
        &officer,
        &id,
        "request-info",
        json!({"message": "Colour?"}),
    )
    .await;
    let answered = app
        .client
        .post(app.url(&format!("/v1/filings/{id}/answers")))
        .bearer_auth(&alice)
        .json(&json!({"message": "Blue."}))
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 200);
    act(&app, &officer, &id, "register", json!({})).await;
    let mut resumed = app
        .client
        .get(app.url("/v1/notifications/stream"))
        .bearer_auth(&alice)
        .header("last-event-id", "2")
        .send()
        .await
        .unwrap();
    let mut again = String::new();
    read_until(&mut resumed, &mut again, "id: 4\n", 5).await;
    read_until(&mut resumed, &mut again, "}\n\n", 5).await;
    let ids: Vec<&str> = again
        .lines()
        .filter_map(|l| l.strip_prefix("id: "))
        .collect();
    assert_eq!(ids, ["3", "4"], "{again}");
    assert!(again.contains("\"event\":\"info_requested\""));
    assert!(again.contains("\"event\":\"registered\""));
    drop(resumed);

    // Another citizen's stream never carries alice's notifications.
    let bob = citizen(&app, "bob").await;
    let mut theirs = app
        .client
        .get(app.url("/v1/notifications/stream"))
        .bearer_auth(&bob)
        .header("last-event-id", "0")
        .send()
        .await
        .unwrap();
    let mut bobs = String::new();
    read_until(&mut theirs, &mut bobs, ": heartbeat\n\n", 5).await;
    assert!(!bobs.contains("event: notification"), "{bobs}");
    drop(theirs);

    let bad = app
        .client
        .get(app.url("/v1/notifications/stream"))
        .bearer_auth(&alice)
        .header("last-event-id", "yesterday")
        .send()
        .await
        .unwrap();
    assert_problem(bad, 400, "invalid_header").await;
    let anonymous = app
        .client
        .get(app.url("/v1/notifications/stream"))
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, 401, "unauthorized").await;
}

#[tokio::test]
async fn a_stream_ends_after_its_maximum_duration() {
    let app = spawn_app_with(|s| {
        s.notices.stream_poll_ms = 50;
        s.notices.stream_max_secs = 1;
    })
    .await;
    let alice = citizen(&app, "alice").await;
    let mut stream = app
        .client
        .get(app.url("/v1/notifications/stream"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(_chunk) = stream.chunk().await.unwrap() {}
    })
    .await;
    assert!(ended.is_ok(), "the stream did not end");
}

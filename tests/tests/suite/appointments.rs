//! Appointments (issue 18): capacity published by a unit, slot search (DST days included),
//! booking with Idempotency-Key and its races, rescheduling and cancelling, the unit's
//! cancellation, no-show and outcomes, the video room's link, iCalendar files checked by
//! an independent parser (Python's `icalendar`), and the audited agenda.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use reqwest::{Method, Response};
use serde_json::{json, Value};
use tests::{assert_problem, spawn_app, TestApp};

const CERGY: &str = "fr-pn-commissariat-de-police-de-cergy";
const ENGHIEN: &str = "fr-pn-commissariat-de-police-d-enghien-les-bains";
const IXELLES: &str = "pz-brussel-hoofdstad-elsene";
const CERGY_TOWN: &str = "FR-95127";

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Response {
    let mut request = app.client.request(method, app.url(path)).bearer_auth(token);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

async fn citizen(app: &TestApp, subject: &str, assurance: &str) -> String {
    app.dev_token(
        json!({"kind": "citizen", "subject": subject, "assurance": assurance, "locale": "fr"}),
    )
    .await
}

async fn officer(app: &TestApp, subject: &str, role: &str, unit: &str) -> String {
    app.dev_token(json!({"kind": "officer", "subject": subject, "role": role, "units": [unit]}))
        .await
}

/// A submitted filing of `procedure` whose facts happened in Cergy.
async fn submitted(app: &TestApp, token: &str, procedure: &str) -> String {
    let mut facts = json!({"offence_kind": "theft", "circumstances": "Phone stolen on the bus."});
    let answers = if procedure == "video_complaint" {
        facts["preferred_slots"] = json!([(Utc::now() + Duration::days(3)).to_rfc3339()]);
        json!({"ongoing_danger": false, "injury": false})
    } else {
        json!({"ongoing_danger": false, "injury": false, "known_author": false, "violence": false,
               "sexual_or_sexist_violence": false})
    };
    let body = json!({
        "procedure": procedure, "country": "FR", "place": {"municipality": CERGY_TOWN},
        "facts_date": {"from": (Utc::now() - Duration::days(1)).to_rfc3339()},
        "answers": answers, "facts": facts,
        "contact": {"email": "alice@example.org"}, "confirmation_channel": "email"
    });
    let response = send(app, Method::POST, "/v1/filings", token, Some(body), &[]).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = send(
        app,
        Method::POST,
        &format!("/v1/filings/{id}/submit"),
        token,
        None,
        &[],
    )
    .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    id
}

fn capacity(duration: u32, desks: u32) -> Value {
    json!({
        "duration_minutes": duration, "desks": desks,
        "weekly": {"mo": ["09:00-17:00"], "tu": ["09:00-17:00"], "we": ["09:00-17:00"],
                   "th": ["09:00-17:00"], "fr": ["09:00-17:00"]},
        "change_cutoff_minutes": 60, "min_notice_minutes": 0, "horizon_days": 60
    })
}

async fn publish(app: &TestApp, unit: &str, kind: &str, body: Value) -> Value {
    let supervisor = officer(app, &format!("sup-{unit}"), "supervisor", unit).await;
    let path = format!("/v1/units/{unit}/appointment-capacities/{kind}");
    let response = send(app, Method::PUT, &path, &supervisor, Some(body), &[]).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    response.json().await.unwrap()
}

/// The open slots offered for a filing at `unit`.
async fn slots(app: &TestApp, token: &str, filing: &str, unit: &str) -> Vec<Value> {
    let response = send(
        app,
        Method::GET,
        &format!("/v1/appointment-slots?filing={filing}"),
        token,
        None,
        &[],
    )
    .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let body: Value = response.json().await.unwrap();
    body["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit_id"] == unit)
        .map(|u| u["slots"].as_array().unwrap().clone())
        .unwrap_or_default()
}

/// A slot starting at least `days` days from now.
fn later(slots: &[Value], days: i64) -> String {
    let after = Utc::now() + Duration::days(days);
    slots
        .iter()
        .map(|s| s["starts_at"].as_str().unwrap().to_owned())
        .find(|s| DateTime::parse_from_rfc3339(s).unwrap() > after)
        .expect("a slot far enough ahead")
}

async fn book(app: &TestApp, token: &str, filing: &str, starts_at: &str, key: &str) -> Response {
    let path = format!("/v1/filings/{filing}/appointments");
    send(
        app,
        Method::POST,
        &path,
        token,
        Some(json!({"starts_at": starts_at})),
        &[("idempotency-key", key)],
    )
    .await
}

fn sql(app: &TestApp, statement: &str) {
    use diesel::RunQueryDsl;
    let mut conn = app.conn();
    diesel::sql_query(statement).execute(&mut conn).unwrap();
}

/// Moves an appointment so that it starts `minutes` from now (30 minutes long): the test's
/// stand-in for waiting until the day of the appointment.
fn move_to(app: &TestApp, id: &str, minutes: i64) {
    let start = Utc::now() + Duration::minutes(minutes);
    let f = |t: DateTime<Utc>| t.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string();
    sql(
        app,
        &format!(
            "UPDATE appointments SET starts_at = '{}', ends_at = '{}' WHERE id = '{id}'",
            f(start),
            f(start + Duration::minutes(30))
        ),
    );
}

#[tokio::test]
async fn supervisors_publish_capacity_and_bad_templates_are_refused() {
    let app = spawn_app().await;
    let path = format!("/v1/units/{CERGY}/appointment-capacities/video");
    let plain = officer(&app, "o-1", "officer", CERGY).await;
    let response = send(&app, Method::PUT, &path, &plain, Some(capacity(30, 2)), &[]).await;
    assert_problem(response, 403, "forbidden").await;

    let supervisor = officer(&app, "s-1", "supervisor", CERGY).await;
    let response = send(
        &app,
        Method::PUT,
        &path,
        &supervisor,
        Some(capacity(30, 2)),
        &[],
    )
    .await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["etag"], "\"v1\"");
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["timezone"], "Europe/Paris");
    assert_eq!(created["weekly"]["mo"], json!(["09:00-17:00"]));

    let response = send(
        &app,
        Method::PUT,
        &path,
        &supervisor,
        Some(capacity(20, 3)),
        &[],
    )
    .await;
    assert_problem(response, 428, "precondition_required").await;
    let response = send(
        &app,
        Method::PUT,
        &path,
        &supervisor,
        Some(capacity(20, 3)),
        &[("if-match", "\"v0\"")],
    )
    .await;
    assert_problem(response, 412, "precondition_failed").await;

    // Saturday is outside the unit's service hours (mo-fr 08:00-18:00); overlapping and
    // malformed windows and out-of-range numbers are named, and nothing is written.
    let mut bad = capacity(30, 0);
    bad["weekly"]["sa"] = json!(["09:00-12:00"]);
    bad["weekly"]["tu"] = json!(["09:00-12:00", "11:00-13:00"]);
    bad["weekly"]["we"] = json!(["9h-12h"]);
    let response = send(
        &app,
        Method::PUT,
        &path,
        &supervisor,
        Some(bad),
        &[("if-match", "\"v1\"")],
    )
    .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    let errors: Vec<(String, String)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["pointer"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for expected in [
        ("/desks", "out_of_range"),
        ("/weekly/sa", "outside_service_hours"),
        ("/weekly/tu", "overlapping_windows"),
        ("/weekly/we/0", "invalid_window"),
    ] {
        assert!(
            errors.contains(&(expected.0.into(), expected.1.into())),
            "{errors:?}"
        );
    }

    let response = send(
        &app,
        Method::PUT,
        &path,
        &supervisor,
        Some(capacity(20, 3)),
        &[("if-match", "\"v1\"")],
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["etag"], "\"v2\"");
    let response = send(
        &app,
        Method::PUT,
        &format!("/v1/units/{CERGY}/appointment-capacities/phone"),
        &supervisor,
        Some(capacity(20, 3)),
        &[],
    )
    .await;
    assert_problem(response, 422, "validation_failed").await;

    let list: Value = send(
        &app,
        Method::GET,
        &format!("/v1/units/{CERGY}/appointment-capacities"),
        &plain,
        None,
        &[],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(list["items"][0]["desks"], 3);
    assert_eq!(list["items"][0]["version"], 2);
}

/// The next last Sunday of `month` after today.
fn next_last_sunday(month: u32) -> NaiveDate {
    let today = Utc::now().date_naive();
    for year in [today.year(), today.year() + 1] {
        let first_next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)
        }
        .unwrap();
        let mut day = first_next - Duration::days(1);
        while day.weekday() != Weekday::Sun {
            day -= Duration::days(1);
        }
        if day > today {
            return day;
        }
    }
    unreachable!()
}

#[tokio::test]
async fn dst_sundays_give_the_right_local_times_in_paris_and_brussels() {
    let app = spawn_app().await;
    let spring = next_last_sunday(3);
    let autumn = next_last_sunday(10);
    for (unit, tz_winter, tz_summer) in [(CERGY, "+01:00", "+02:00"), (IXELLES, "+01:00", "+02:00")]
    {
        // Open around the clock on both Sundays (exceptions may open a day the weekly
        // hours close), one desk, hourly slots.
        let body = json!({
            "duration_minutes": 60, "desks": 1, "weekly": {"mo": ["09:00-10:00"]},
            "exceptions": [{"date": spring, "hours": ["00:00-24:00"], "reason": "DST open day"},
                           {"date": autumn, "hours": ["00:00-24:00"]}],
            "min_notice_minutes": 0, "horizon_days": 366
        });
        publish(&app, unit, "station", body).await;
        let member = officer(&app, &format!("m-{unit}"), "officer", unit).await;
        for (day, count) in [(spring, 23), (autumn, 25)] {
            let path = format!(
                "/v1/units/{unit}/appointment-capacities/station/slots?from={day}&until={day}"
            );
            let response = send(&app, Method::GET, &path, &member, None, &[]).await;
            assert_eq!(response.status(), 200);
            let body: Value = response.json().await.unwrap();
            let local: Vec<&str> = body["slots"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["local_start"].as_str().unwrap())
                .collect();
            assert_eq!(local.len(), count, "{unit} {day}: {local:?}");
            let at = |hhmm: &str, offset: &str| format!("{day}T{hhmm}:00{offset}");
            if count == 23 {
                // 02:00 does not exist: 01:00 in winter time, then 03:00 in summer time.
                assert_eq!(local[1], at("01:00", tz_winter));
                assert_eq!(local[2], at("03:00", tz_summer));
                assert!(!local.iter().any(|t| t.contains("T02:")), "{local:?}");
                assert_eq!(local[9 - 1], at("09:00", tz_summer));
            } else {
                // 02:00 happens twice, as two distinct slots.
                assert_eq!(local[2], at("02:00", tz_summer));
                assert_eq!(local[3], at("02:00", tz_winter));
                assert_eq!(local[10], at("09:00", tz_winter));
            }
            let starts: Vec<DateTime<Utc>> = body["slots"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["starts_at"].as_str().unwrap().parse().unwrap())
                .collect();
            assert!(starts.windows(2).all(|w| w[1] - w[0] == Duration::hours(1)));
        }
    }
}

#[tokio::test]
async fn a_citizen_books_reschedules_and_cancels_a_video_complaint() {
    let app = spawn_app().await;
    publish(&app, CERGY, "video", capacity(30, 2)).await;
    let alice = citizen(&app, "alice", "substantial").await;
    let filing = submitted(&app, &alice, "video_complaint").await;
    let offered = slots(&app, &alice, &filing, CERGY).await;
    assert!(!offered.is_empty());
    assert!(offered.iter().all(|s| s["starts_at"]
        .as_str()
        .unwrap()
        .parse::<DateTime<Utc>>()
        .unwrap()
        > Utc::now()));
    let first = later(&offered, 2);

    // Bad input: a past slot, a time that is no slot, another unit, a low assurance.
    let past = (Utc::now() - Duration::days(1)).to_rfc3339();
    assert_problem(
        book(&app, &alice, &filing, &past, "k-past").await,
        422,
        "slot_in_past",
    )
    .await;
    let odd = (DateTime::parse_from_rfc3339(&first).unwrap() + Duration::minutes(7)).to_rfc3339();
    assert_problem(
        book(&app, &alice, &filing, &odd, "k-odd").await,
        422,
        "slot_not_found",
    )
    .await;
    let path = format!("/v1/filings/{filing}/appointments");
    let elsewhere = json!({"starts_at": first, "unit_id": ENGHIEN});
    let response = send(&app, Method::POST, &path, &alice, Some(elsewhere), &[]).await;
    assert_problem(response, 422, "appointment_wrong_unit").await;
    let low = citizen(&app, "alice", "low").await;
    assert_problem(
        book(&app, &low, &filing, &first, "k-low").await,
        403,
        "insufficient_assurance",
    )
    .await;

    let response = book(&app, &alice, &filing, &first, "k-1").await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let booked: Value = response.json().await.unwrap();
    let id = booked["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/v1/appointments/{id}"));
    assert_eq!(booked["status"], "booked");
    assert_eq!(booked["timezone"], "Europe/Paris");
    // The same request again: the same booking, nothing booked twice.
    let replay = book(&app, &alice, &filing, &first, "k-1").await;
    assert_eq!(replay.status(), 201);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.json::<Value>().await.unwrap()["id"], id.as_str());
    assert_problem(
        book(&app, &alice, &filing, &first, "k-2").await,
        409,
        "appointment_already_booked",
    )
    .await;
    let list: Value = send(&app, Method::GET, &path, &alice, None, &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    let bob = citizen(&app, "bob", "substantial").await;
    let response = send(&app, Method::GET, &location, &bob, None, &[]).await;
    assert_problem(response, 404, "appointment_not_found").await;

    let second = later(&offered, 3);
    let reschedule = format!("{location}/reschedule");
    let response = send(
        &app,
        Method::POST,
        &reschedule,
        &alice,
        Some(json!({"starts_at": second})),
        &[],
    )
    .await;
    assert_problem(response, 428, "precondition_required").await;
    let response = send(
        &app,
        Method::POST,
        &reschedule,
        &alice,
        Some(json!({"starts_at": second})),
        &[("if-match", "\"v9\"")],
    )
    .await;
    assert_problem(response, 412, "precondition_failed").await;
    let response = send(
        &app,
        Method::POST,
        &reschedule,
        &alice,
        Some(json!({"starts_at": second})),
        &[("if-match", "\"v1\"")],
    )
    .await;
    assert_eq!(response.status(), 200);
    let moved: Value = response.json().await.unwrap();
    assert_eq!(
        moved["starts_at"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap(),
        second.parse::<DateTime<Utc>>().unwrap()
    );
    assert_eq!(moved["version"], 2);

    let response = send(
        &app,
        Method::POST,
        &format!("{location}/cancel"),
        &alice,
        None,
        &[("if-match", "\"v2\"")],
    )
    .await;
    assert_eq!(response.status(), 200);
    let cancelled: Value = response.json().await.unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["cancelled_by"], "citizen");
    // Cancelled: the place is free again, and the filing may book anew.
    assert_eq!(
        book(&app, &alice, &filing, &first, "k-3").await.status(),
        201
    );

    // Within the cut-off (60 minutes before), changes are refused.
    let again: Value = send(&app, Method::GET, &path, &alice, None, &[])
        .await
        .json()
        .await
        .unwrap();
    let current = again["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["status"] == "booked")
        .unwrap();
    let current_id = current["id"].as_str().unwrap();
    move_to(&app, current_id, 30);
    let response = send(
        &app,
        Method::POST,
        &format!("/v1/appointments/{current_id}/cancel"),
        &alice,
        None,
        &[("if-match", "\"v1\"")],
    )
    .await;
    assert_problem(response, 409, "appointment_change_closed").await;

    // A pre-complaint where the unit publishes no station capacity.
    let pre = submitted(&app, &alice, "pre_complaint").await;
    assert_problem(
        book(&app, &alice, &pre, &first, "k-pre").await,
        422,
        "appointment_kind_not_offered",
    )
    .await;
}

#[tokio::test]
async fn twenty_citizens_race_for_a_slot_with_two_desks() {
    let app = spawn_app().await;
    publish(&app, CERGY, "video", capacity(30, 2)).await;
    let mut people = Vec::new();
    for i in 0..20 {
        let token = citizen(&app, &format!("racer-{i}"), "substantial").await;
        let filing = submitted(&app, &token, "video_complaint").await;
        people.push((token, filing));
    }
    let offered = slots(&app, &people[0].0, &people[0].1, CERGY).await;
    let slot = later(&offered, 1);
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for (i, (token, filing)) in people.into_iter().enumerate() {
        let (app, slot) = (app.clone(), slot.clone());
        tasks.push(tokio::spawn(async move {
            let response = book(&app, &token, &filing, &slot, &format!("race-{i}")).await;
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap();
            (status, body["code"].as_str().unwrap_or_default().to_owned())
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    let booked = outcomes.iter().filter(|(s, _)| *s == 201).count();
    let full = outcomes
        .iter()
        .filter(|(s, c)| *s == 409 && c == "slot_full")
        .count();
    assert_eq!((booked, full), (2, 18), "{outcomes:?}");
    let mut conn = app.conn();
    use diesel::prelude::*;
    let count: i64 = persistence::schema::appointments::table
        .filter(persistence::schema::appointments::status.eq("booked"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(count, 2);
    // The full slot is no longer offered.
    let late = citizen(&app, "late", "substantial").await;
    let filing = submitted(&app, &late, "video_complaint").await;
    let offered = slots(&app, &late, &filing, CERGY).await;
    assert!(!offered.iter().any(|s| s["starts_at"]
        .as_str()
        .unwrap()
        .parse::<DateTime<Utc>>()
        .unwrap()
        == slot.parse::<DateTime<Utc>>().unwrap()));
}

/// Runs Python's `icalendar` (an independent RFC 5545 parser) on `ics` and returns what
/// it read, as JSON, with the tests' Python (`tests::python`).
fn parse_ics(ics: &str) -> Value {
    let script = r#"
import json, sys
from icalendar import Calendar
cal = Calendar.from_ical(sys.stdin.read())
out = {"version": str(cal.get("VERSION")), "prodid": str(cal.get("PRODID")), "timezones": [], "events": []}
for tz in cal.walk("VTIMEZONE"):
    out["timezones"].append({"tzid": str(tz.get("TZID")), "observances": len(tz.subcomponents)})
for ev in cal.walk("VEVENT"):
    start = ev.decoded("DTSTART"); end = ev.decoded("DTEND")
    alarms = [str(a.get("TRIGGER").to_ical().decode()) for a in ev.walk("VALARM")]
    out["events"].append({
        "uid": str(ev.get("UID")), "summary": str(ev.get("SUMMARY")), "status": str(ev.get("STATUS")),
        "tzid": ev.get("DTSTART").params.get("TZID"),
        "start_utc": start.astimezone(__import__("datetime").timezone.utc).isoformat(),
        "end_utc": end.astimezone(__import__("datetime").timezone.utc).isoformat(),
        "start_local": start.isoformat(), "alarms": alarms,
        "location": str(ev.get("LOCATION")),
    })
print(json.dumps(out))
"#;
    let what = format!("Python's icalendar refused the file\n{ics}");
    serde_json::from_slice(&tests::python::run_script(script, ics.as_bytes(), &what)).unwrap()
}

#[tokio::test]
async fn the_ics_and_the_unit_feed_are_read_by_an_independent_parser() {
    let app = spawn_app().await;
    publish(&app, CERGY, "station", capacity(30, 1)).await;
    let alice = citizen(&app, "alice", "substantial").await;
    let filing = submitted(&app, &alice, "pre_complaint").await;
    let offered = slots(&app, &alice, &filing, CERGY).await;
    let start = later(&offered, 1);
    let booked: Value = book(&app, &alice, &filing, &start, "ics-1")
        .await
        .json()
        .await
        .unwrap();
    let id = booked["id"].as_str().unwrap();

    let response = send(
        &app,
        Method::GET,
        &format!("/v1/appointments/{id}/calendar.ics"),
        &alice,
        None,
        &[],
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let ics = response.text().await.unwrap();
    let parsed = parse_ics(&ics);
    assert_eq!(parsed["version"], "2.0");
    assert_eq!(parsed["timezones"][0]["tzid"], "Europe/Paris");
    let event = &parsed["events"][0];
    assert_eq!(event["uid"], format!("{id}@e-commissariat"));
    assert_eq!(event["tzid"], "Europe/Paris");
    assert_eq!(event["status"], "CONFIRMED");
    let start_utc: DateTime<Utc> = event["start_utc"].as_str().unwrap().parse().unwrap();
    assert_eq!(start_utc, start.parse::<DateTime<Utc>>().unwrap());
    let end_utc: DateTime<Utc> = event["end_utc"].as_str().unwrap().parse().unwrap();
    assert_eq!(end_utc - start_utc, Duration::minutes(30));
    assert_eq!(event["alarms"], json!(["-P1D"]));
    assert!(
        event["summary"].as_str().unwrap().contains("Cergy"),
        "{event}"
    );
    // The local time is the unit's: the same instant, in Paris.
    let local =
        chrono::DateTime::parse_from_rfc3339(event["start_local"].as_str().unwrap()).unwrap();
    assert_eq!(local.with_timezone(&Utc), start_utc);
    assert_eq!(booked["local_start"].as_str().unwrap(), local.to_rfc3339());

    // The unit's private feed: made by a supervisor, read without a token, audited.
    let supervisor = officer(&app, "sup", "supervisor", CERGY).await;
    let plain = officer(&app, "o-1", "officer", CERGY).await;
    let response = send(
        &app,
        Method::POST,
        &format!("/v1/units/{CERGY}/calendar-feed"),
        &plain,
        None,
        &[],
    )
    .await;
    assert_problem(response, 403, "forbidden").await;
    let response = send(
        &app,
        Method::POST,
        &format!("/v1/units/{CERGY}/calendar-feed"),
        &supervisor,
        None,
        &[],
    )
    .await;
    assert_eq!(response.status(), 201);
    let url = response.json::<Value>().await.unwrap()["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let feed = app.client.get(app.url(&url)).send().await.unwrap();
    assert_eq!(feed.status(), 200);
    let parsed = parse_ics(&feed.text().await.unwrap());
    assert_eq!(parsed["events"].as_array().unwrap().len(), 1);
    assert_eq!(parsed["events"][0]["uid"], format!("{id}@e-commissariat"));
    // A new feed revokes the old URL.
    let response = send(
        &app,
        Method::POST,
        &format!("/v1/units/{CERGY}/calendar-feed"),
        &supervisor,
        None,
        &[],
    )
    .await;
    assert_eq!(response.status(), 201);
    let old = app.client.get(app.url(&url)).send().await.unwrap();
    assert_problem(old, 404, "not_found").await;
}

fn jwt_claims(url: &str) -> Value {
    use base64::Engine;
    let token = url.split("jwt=").nth(1).unwrap();
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn the_video_link_goes_to_the_two_participants_within_its_window() {
    let app = spawn_app().await;
    publish(&app, CERGY, "video", capacity(30, 1)).await;
    let alice = citizen(&app, "alice", "substantial").await;
    let filing = submitted(&app, &alice, "video_complaint").await;
    let offered = slots(&app, &alice, &filing, CERGY).await;
    let booked: Value = book(&app, &alice, &filing, &later(&offered, 1), "v-1")
        .await
        .json()
        .await
        .unwrap();
    let id = booked["id"].as_str().unwrap();
    let room = format!("/v1/appointments/{id}/video-room");

    // Too early.
    let response = send(&app, Method::GET, &room, &alice, None, &[]).await;
    assert_problem(response, 409, "video_room_not_open").await;
    // The wrong person: another citizen, an officer of another unit.
    let bob = citizen(&app, "bob", "substantial").await;
    assert_problem(
        send(&app, Method::GET, &room, &bob, None, &[]).await,
        404,
        "appointment_not_found",
    )
    .await;
    let stranger = officer(&app, "o-x", "officer", ENGHIEN).await;
    let officer_room = format!("/v1/units/{CERGY}/appointments/{id}/video-room");
    assert_problem(
        send(&app, Method::GET, &officer_room, &stranger, None, &[]).await,
        403,
        "forbidden",
    )
    .await;

    // At the right time (five minutes before the start).
    move_to(&app, id, 5);
    let response = send(&app, Method::GET, &room, &alice, None, &[]).await;
    assert_eq!(response.status(), 200);
    let link: Value = response.json().await.unwrap();
    let claims = jwt_claims(link["url"].as_str().unwrap());
    assert_eq!(claims["room"], link["room"]);
    assert_eq!(claims["context"]["user"]["moderator"], false);
    let start = Utc::now() + Duration::minutes(5);
    assert!(
        (claims["nbf"].as_i64().unwrap() - (start - Duration::minutes(10)).timestamp()).abs() < 5
    );
    assert!(
        (claims["exp"].as_i64().unwrap() - (start + Duration::minutes(30)).timestamp()).abs() < 5
    );
    assert!(
        !link["room"].as_str().unwrap().contains(id),
        "the room name does not reveal the id"
    );
    let low = citizen(&app, "alice", "low").await;
    assert_problem(
        send(&app, Method::GET, &room, &low, None, &[]).await,
        403,
        "insufficient_assurance",
    )
    .await;

    let taker = officer(&app, "o-1", "officer", CERGY).await;
    let colleague = officer(&app, "o-2", "officer", CERGY).await;
    let response = send(&app, Method::GET, &officer_room, &taker, None, &[]).await;
    assert_eq!(response.status(), 200);
    let officer_link: Value = response.json().await.unwrap();
    assert_eq!(officer_link["room"], link["room"]);
    assert_eq!(
        jwt_claims(officer_link["url"].as_str().unwrap())["context"]["user"]["moderator"],
        true
    );
    assert_eq!(
        send(&app, Method::GET, &officer_room, &taker, None, &[])
            .await
            .status(),
        200
    );
    let response = send(&app, Method::GET, &officer_room, &colleague, None, &[]).await;
    assert_problem(response, 403, "appointment_other_officer").await;

    // After the end.
    move_to(&app, id, -31);
    assert_problem(
        send(&app, Method::GET, &room, &alice, None, &[]).await,
        409,
        "video_room_closed",
    )
    .await;

    // The outcome: taken, so the filing is registered.
    let current: Value = send(
        &app,
        Method::GET,
        &format!("/v1/appointments/{id}"),
        &alice,
        None,
        &[],
    )
    .await
    .json()
    .await
    .unwrap();
    let tag = format!("\"v{}\"", current["version"]);
    let outcome = format!("/v1/units/{CERGY}/appointments/{id}/outcome");
    let response = send(
        &app,
        Method::POST,
        &outcome,
        &taker,
        Some(json!({"outcome": "signed", "identity_document": "passport"})),
        &[("if-match", &tag)],
    )
    .await;
    assert_problem(response, 422, "outcome_not_for_kind").await;
    let response = send(
        &app,
        Method::POST,
        &outcome,
        &taker,
        Some(json!({"outcome": "complaint_taken"})),
        &[("if-match", &tag)],
    )
    .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let recap: Value = send(
        &app,
        Method::GET,
        &format!("/v1/filings/{filing}"),
        &alice,
        None,
        &[],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(recap["status"], "registered", "{recap}");
}

#[tokio::test]
async fn a_pre_complaint_is_signed_at_the_station_and_the_agenda_is_audited() {
    let app = spawn_app().await;
    publish(&app, CERGY, "station", capacity(30, 2)).await;
    publish(&app, ENGHIEN, "station", capacity(30, 2)).await;
    let alice = citizen(&app, "alice", "low").await;
    let filing = submitted(&app, &alice, "pre_complaint").await;
    // The competent unit first, then a nearby station that publishes capacity.
    let search: Value = send(
        &app,
        Method::GET,
        &format!("/v1/appointment-slots?filing={filing}"),
        &alice,
        None,
        &[],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(search["kind"], "station");
    assert_eq!(search["units"][0]["unit_id"], CERGY);
    assert_eq!(search["units"][0]["competent"], true);
    assert_eq!(search["units"][1]["unit_id"], ENGHIEN);
    assert!(search["units"][1]["distance_km"].as_f64().unwrap() > 0.0);

    let offered = slots(&app, &alice, &filing, CERGY).await;
    let start = later(&offered, 1);
    let booked: Value = book(&app, &alice, &filing, &start, "p-1")
        .await
        .json()
        .await
        .unwrap();
    let id = booked["id"].as_str().unwrap();

    // The agenda of that local day lists it with its filing; reading it is audited.
    let member = officer(&app, "o-1", "officer", CERGY).await;
    let day = &booked["local_start"].as_str().unwrap()[..10];
    let agenda: Value = send(
        &app,
        Method::GET,
        &format!("/v1/units/{CERGY}/agenda?date={day}"),
        &member,
        None,
        &[],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(agenda["items"][0]["appointment"]["id"], id);
    assert_eq!(agenda["items"][0]["filing"]["id"], filing.as_str());
    assert_eq!(agenda["items"][0]["filing"]["procedure"], "pre_complaint");
    let week: Value = send(
        &app,
        Method::GET,
        &format!("/v1/units/{CERGY}/agenda?date={day}&span=week"),
        &member,
        None,
        &[],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(week["items"].as_array().unwrap().len(), 1);
    {
        let mut conn = app.conn();
        let events = persistence::audit::list(&mut conn, &Default::default(), 1000).unwrap();
        let reads = events
            .iter()
            .filter(|e| e.event.object_type == "unit_agenda")
            .count();
        assert_eq!(reads, 2);
    }
    let stranger = officer(&app, "o-x", "officer", ENGHIEN).await;
    let response = send(
        &app,
        Method::GET,
        &format!("/v1/units/{CERGY}/agenda"),
        &stranger,
        None,
        &[],
    )
    .await;
    assert_problem(response, 403, "forbidden").await;

    // Not before the start; then the signature needs the identity document checked.
    let outcome = format!("/v1/units/{CERGY}/appointments/{id}/outcome");
    let signed = json!({"outcome": "signed", "identity_document": "identity_card"});
    let response = send(
        &app,
        Method::POST,
        &outcome,
        &member,
        Some(signed.clone()),
        &[("if-match", "\"v1\"")],
    )
    .await;
    assert_problem(response, 409, "appointment_not_started").await;
    move_to(&app, id, -5);
    let response = send(
        &app,
        Method::POST,
        &outcome,
        &member,
        Some(json!({"outcome": "signed"})),
        &[("if-match", "\"v1\"")],
    )
    .await;
    assert_problem(response, 422, "validation_failed").await;
    let response = send(
        &app,
        Method::POST,
        &outcome,
        &member,
        Some(signed),
        &[("if-match", "\"v1\"")],
    )
    .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let done: Value = response.json().await.unwrap();
    assert_eq!(
        (done["status"].as_str(), done["outcome"].as_str()),
        (Some("completed"), Some("signed"))
    );
    let recap: Value = send(
        &app,
        Method::GET,
        &format!("/v1/filings/{filing}"),
        &alice,
        None,
        &[],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(recap["status"], "registered", "{recap}");
    let response = send(
        &app,
        Method::POST,
        &format!("/v1/units/{CERGY}/appointments/{id}/no-show"),
        &member,
        None,
        &[("if-match", "\"v2\"")],
    )
    .await;
    assert_problem(response, 409, "appointment_not_booked").await;
}

#[tokio::test]
async fn the_unit_cancels_with_a_reason_the_citizen_is_told_and_records_no_shows() {
    let app = spawn_app().await;
    publish(&app, CERGY, "video", capacity(30, 1)).await;
    let alice = citizen(&app, "alice", "substantial").await;
    let member = officer(&app, "o-1", "officer", CERGY).await;
    let first = submitted(&app, &alice, "video_complaint").await;
    let offered = slots(&app, &alice, &first, CERGY).await;
    let booked: Value = book(&app, &alice, &first, &later(&offered, 1), "c-1")
        .await
        .json()
        .await
        .unwrap();
    let id = booked["id"].as_str().unwrap();
    let cancel = format!("/v1/units/{CERGY}/appointments/{id}/cancel");
    let response = send(
        &app,
        Method::POST,
        &cancel,
        &member,
        Some(json!({"reason": "  "})),
        &[("if-match", "\"v1\"")],
    )
    .await;
    assert_problem(response, 422, "validation_failed").await;
    let reason = "The officer on duty is needed elsewhere; please book another slot.";
    let response = send(
        &app,
        Method::POST,
        &cancel,
        &member,
        Some(json!({"reason": reason})),
        &[("if-match", "\"v1\"")],
    )
    .await;
    assert_eq!(response.status(), 200);
    let seen: Value = send(
        &app,
        Method::GET,
        &format!("/v1/appointments/{id}"),
        &alice,
        None,
        &[],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        (
            seen["status"].as_str(),
            seen["cancelled_by"].as_str(),
            seen["reason"].as_str()
        ),
        (Some("cancelled"), Some("unit"), Some(reason))
    );
    {
        let mut conn = app.conn();
        let outbox = persistence::filings::outbox_for(&mut conn, &first).unwrap();
        let told = outbox
            .iter()
            .find(|(_, template, _, _)| template == "appointment_cancelled_by_unit")
            .expect("the citizen is told");
        assert_eq!(told.0, "email");
        assert!(told.2.contains(reason));
    }

    // A no-show, once the slot has started.
    let booked: Value = book(&app, &alice, &first, &later(&offered, 2), "c-2")
        .await
        .json()
        .await
        .unwrap();
    let id = booked["id"].as_str().unwrap();
    let no_show = format!("/v1/units/{CERGY}/appointments/{id}/no-show");
    assert_problem(
        send(
            &app,
            Method::POST,
            &no_show,
            &member,
            None,
            &[("if-match", "\"v1\"")],
        )
        .await,
        409,
        "appointment_not_started",
    )
    .await;
    move_to(&app, id, -10);
    let response = send(
        &app,
        Method::POST,
        &no_show,
        &member,
        None,
        &[("if-match", "\"v1\"")],
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["status"], "no_show");
    let other = officer(&app, "o-x", "officer", ENGHIEN).await;
    let response = send(
        &app,
        Method::POST,
        &format!("/v1/units/{ENGHIEN}/appointments/{id}/no-show"),
        &other,
        None,
        &[("if-match", "\"v2\"")],
    )
    .await;
    assert_problem(response, 404, "appointment_not_found").await;
}

/// The pending reminders of a filing's appointments: (appointment id, due at).
fn pending_reminders(app: &TestApp, filing: &str) -> Vec<(String, DateTime<Utc>)> {
    let mut conn = app.conn();
    persistence::outbox::for_filing(&mut conn, filing)
        .unwrap()
        .into_iter()
        .filter(|m| m.template == "appointment_reminder" && m.status == "pending")
        .map(|m| {
            let payload: Value = serde_json::from_str(&m.payload).unwrap();
            (
                payload["appointment_id"].as_str().unwrap().to_owned(),
                m.available(),
            )
        })
        .collect()
}

fn text_part(message: &Value) -> String {
    message["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["content_type"] == "text/plain")
        .and_then(|p| p["text"].as_str())
        .unwrap_or_else(|| panic!("no text part in {message}"))
        .to_owned()
}

/// The reminder follows the appointment: queued 24 h before the start when it is booked,
/// replaced when it moves, withdrawn when it is cancelled; delivered by e-mail (to a real
/// SMTP server) in the citizen's language and the unit's local time, without the facts.
/// The unit's cancellation reaches the citizen the same way, with its reason.
#[tokio::test]
async fn the_reminder_follows_the_appointment_and_goes_out_by_e_mail() {
    use tests::smtp::SmtpSink;
    let sink = SmtpSink::start("accept");
    let smtp = sink.url();
    let app = tests::spawn_app_with(move |s| {
        s.notifications.smtp_url = Some(secrecy::SecretString::from(smtp));
        s.notifications.worker = true;
        s.notifications.poll_interval_ms = 100;
    })
    .await;
    publish(&app, CERGY, "video", capacity(30, 2)).await;
    let alice = citizen(&app, "alice", "substantial").await;
    let filing = submitted(&app, &alice, "video_complaint").await;
    let offered = slots(&app, &alice, &filing, CERGY).await;
    let (first, second) = (later(&offered, 2), later(&offered, 3));
    let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();

    let booked: Value = book(&app, &alice, &filing, &first, "r-1")
        .await
        .json()
        .await
        .unwrap();
    let id = booked["id"].as_str().unwrap().to_owned();
    assert_eq!(
        pending_reminders(&app, &filing),
        [(id.clone(), at(&first) - Duration::hours(24))]
    );
    // Rescheduled: one reminder, for the new time.
    let response = send(
        &app,
        Method::POST,
        &format!("/v1/appointments/{id}/reschedule"),
        &alice,
        Some(json!({"starts_at": second})),
        &[("if-match", "\"v1\"")],
    )
    .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    assert_eq!(
        pending_reminders(&app, &filing),
        [(id.clone(), at(&second) - Duration::hours(24))]
    );

    // The day before: the worker sends it (the acknowledgement went first).
    sql(
        &app,
        "UPDATE outbox_messages SET available_at = '2000-01-01 00:00:00' \
         WHERE template = 'appointment_reminder'",
    );
    let received = sink.wait_for(2, std::time::Duration::from_secs(30)).await;
    let reminder = received
        .iter()
        .find(|m| text_part(m).contains("rendez-vous vidéo"))
        .unwrap_or_else(|| panic!("no reminder in {received:?}"));
    let text = text_part(reminder);
    let local = at(&second)
        .with_timezone(&chrono_tz::Europe::Paris)
        .format("%d/%m/%Y, %H:%M")
        .to_string();
    assert!(text.contains(&local), "{local} not in {text}");
    assert!(reminder["headers"]["subject"]
        .as_str()
        .unwrap()
        .starts_with("Rappel"));
    assert!(!text.contains("Phone stolen"), "no facts in an e-mail");
    assert!(pending_reminders(&app, &filing).is_empty());

    // Cancelled by the citizen: the next booking's reminder is withdrawn with it.
    let response = send(
        &app,
        Method::POST,
        &format!("/v1/appointments/{id}/cancel"),
        &alice,
        None,
        &[("if-match", "\"v2\"")],
    )
    .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let again: Value = book(&app, &alice, &filing, &first, "r-2")
        .await
        .json()
        .await
        .unwrap();
    let again_id = again["id"].as_str().unwrap().to_owned();
    assert_eq!(pending_reminders(&app, &filing).len(), 1);
    // The unit cancels it: withdrawn, and the citizen is told why, in local time.
    let member = officer(&app, "o-cergy", "officer", CERGY).await;
    let reason = "The officer on duty is needed elsewhere.";
    let response = send(
        &app,
        Method::POST,
        &format!("/v1/units/{CERGY}/appointments/{again_id}/cancel"),
        &member,
        Some(json!({"reason": reason})),
        &[("if-match", "\"v1\"")],
    )
    .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    assert!(pending_reminders(&app, &filing).is_empty());
    let received = sink.wait_for(3, std::time::Duration::from_secs(30)).await;
    let told = received
        .iter()
        .map(text_part)
        .find(|t| t.contains(reason))
        .unwrap_or_else(|| panic!("no cancellation in {received:?}"));
    let local = at(&first)
        .with_timezone(&chrono_tz::Europe::Paris)
        .format("%d/%m/%Y, %H:%M")
        .to_string();
    assert!(told.contains(&local), "{local} not in {told}");
}

/// Dates at the calendar's edge (chrono reads years up to ±262,143) are 422, never a
/// panic: the slot search's default end, the agenda's week and following day, and the
/// statistics' window each add to a date the caller gave (reported from outside: 500).
#[tokio::test]
async fn dates_at_the_calendars_edge_are_422_not_a_panic() {
    let app = spawn_app().await;
    let alice = citizen(&app, "alice", "substantial").await;
    let member = officer(&app, "o-1", "officer", CERGY).await;
    let cases = [
        (
            "/v1/appointment-slots?filing=nope&from=%2B262142-12-25",
            &alice,
            "/query/from",
        ),
        (
            &format!("/v1/units/{CERGY}/agenda?date=%2B262142-12-31") as &str,
            &member,
            "/query/date",
        ),
        (
            &format!("/v1/units/{CERGY}/agenda?date=-262143-01-01&span=week"),
            &member,
            "/query/date",
        ),
    ];
    for (path, token, pointer) in cases {
        let response = send(&app, Method::GET, path, token, None, &[]).await;
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert_eq!(
            problem["errors"][0]["pointer"], pointer,
            "{path}: {problem}"
        );
    }
    let response = app
        .get("/v1/statistics?from=%2B262142-12&to=%2B262142-12")
        .await;
    assert_eq!(response.status(), 422, "statistics at the calendar's edge");
    assert_eq!(app.get("/health/ready").await.status(), 200);
}

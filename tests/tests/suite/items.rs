//! Issue 20, objects (docs/ITEMS.md): a filing's objects and identifiers as records,
//! written with the filing and backfilled for older filings; the public stolen-item
//! check, probed for leaks (the same shape whoever the owner), its quota per address and
//! its counts.

use diesel::prelude::*;
use persistence::schema::{
    item_backfills as b, item_checks as c, item_identifiers as ii, items as it,
};
use serde_json::{json, Value};
use tests::{assert_problem, spawn_app, spawn_app_with, TestApp};

/// A citizen's draft bicycle theft (Belgium) listing `items`; its id and the token.
async fn draft(app: &TestApp, subject: &str, items: Value) -> (String, String) {
    let citizen = app
        .dev_token(json!({"kind": "citizen", "subject": subject}))
        .await;
    let body = json!({
        "procedure": "bicycle_theft", "country": "BE", "place": {"municipality": "BE-25121"},
        "facts_date": {"from": (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339()},
        "answers": {"ongoing_danger": false, "injury": false, "known_author": false, "violence": false, "exploitable_traces": false},
        "facts": {"bicycle_locked": true, "circumstances": "stolen at the station", "items": items},
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
    (id, citizen)
}

async fn act(app: &TestApp, token: &str, id: &str, action: &str) {
    let response = app
        .client
        .post(app.url(&format!("/v1/filings/{id}/{action}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{action}");
}

async fn check(app: &TestApp, kind: &str, identifier: &str) -> reqwest::Response {
    app.client
        .post(app.url("/v1/stolen-item-checks"))
        .json(&json!({"kind": kind, "identifier": identifier}))
        .send()
        .await
        .unwrap()
}

async fn checked(app: &TestApp, kind: &str, identifier: &str) -> Value {
    let response = check(app, kind, identifier).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

type IdentifierRow = (Option<i32>, String, String, String);

fn identifiers(app: &TestApp, filing: &str) -> Vec<IdentifierRow> {
    let pool = app.db.pool();
    let mut conn = pool.get().unwrap();
    ii::table
        .filter(ii::filing_id.eq(filing))
        .order(ii::id.asc())
        .select((ii::item_position, ii::kind, ii::normalised, ii::typed))
        .load(&mut **conn)
        .unwrap()
}

#[tokio::test]
async fn a_filings_items_are_records_written_with_it() {
    let app = spawn_app().await;
    let items = json!([
        {"category": "bicycle", "brand": "Gazelle", "colour": "blue", "serial_number": "wtu 123-456 x"},
        {"category": "phone", "brand": "Fairphone", "serial_number": "49-015420-323751-8"},
        {"category": "bag", "description": "red backpack"}
    ]);
    let (id, citizen) = draft(&app, "items-1", items.clone()).await;
    // A draft's items are not records yet: nothing reads them before the submission.
    assert!(identifiers(&app, &id).is_empty());
    act(&app, &citizen, &id, "submit").await;
    type ItemRow = (i32, String, String, Option<String>, Option<String>);
    let rows: Vec<ItemRow> = {
        let pool = app.db.pool();
        let mut conn = pool.get().unwrap();
        it::table
            .filter(it::filing_id.eq(&id))
            .order(it::position.asc())
            .select((
                it::position,
                it::role,
                it::category,
                it::brand,
                it::serial_typed,
            ))
            .load(&mut **conn)
            .unwrap()
    };
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].1, "stolen");
    assert_eq!(rows[0].3.as_deref(), Some("Gazelle"));
    assert_eq!(rows[0].4.as_deref(), Some("wtu 123-456 x"));
    assert_eq!(
        identifiers(&app, &id),
        vec![
            (
                Some(0),
                "frame_number".into(),
                "WTU123456X".into(),
                "wtu 123-456 x".into()
            ),
            (
                Some(1),
                "imei".into(),
                "490154203237518".into(),
                "49-015420-323751-8".into()
            ),
        ]
    );
    // The filing's JSON is what the citizen wrote.
    let filing: Value = app
        .client
        .get(app.url(&format!("/v1/filings/{id}")))
        .bearer_auth(&citizen)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(filing["facts"]["items"], items);
    // The items submitted are the draft's last version.
    let (id, citizen) = draft(&app, "items-1b", items.clone()).await;
    let patched = app
        .client
        .patch(app.url(&format!("/v1/filings/{id}")))
        .bearer_auth(&citizen)
        .header("if-match", "\"v1\"")
        .json(
            &json!({"facts": {"bicycle_locked": true, "circumstances": "stolen",
            "items": [{"category": "bicycle", "serial_number": "AB-9999"}]}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    assert!(identifiers(&app, &id).is_empty());
    act(&app, &citizen, &id, "submit").await;
    assert_eq!(
        identifiers(&app, &id),
        vec![(
            Some(0),
            "frame_number".into(),
            "AB9999".into(),
            "AB-9999".into()
        )]
    );
}

#[tokio::test]
async fn filings_saved_before_items_were_records_are_backfilled() {
    let app = spawn_app().await;
    let (id, citizen) = draft(
        &app,
        "items-2",
        json!([{"category": "bicycle", "serial_number": "GZ 1234 5678"}]),
    )
    .await;
    act(&app, &citizen, &id, "submit").await;
    // One connection throughout: opening a pool migrates (and so backfills).
    let pool = app.db.pool();
    let mut conn = pool.get().unwrap();
    let rows = |conn: &mut persistence::DbConnection| -> Vec<IdentifierRow> {
        ii::table
            .filter(ii::filing_id.eq(&id))
            .select((ii::item_position, ii::kind, ii::normalised, ii::typed))
            .load(conn)
            .unwrap()
    };
    // As the database was before the migration: no item rows, no backfill mark.
    diesel::delete(ii::table).execute(&mut **conn).unwrap();
    diesel::delete(it::table).execute(&mut **conn).unwrap();
    diesel::delete(persistence::schema::item_fingerprints::table)
        .execute(&mut **conn)
        .unwrap();
    diesel::delete(b::table).execute(&mut **conn).unwrap();
    assert!(rows(&mut conn).is_empty());
    let _restarted = app.sibling(|_| {}).await;
    assert_eq!(
        rows(&mut conn),
        vec![(
            Some(0),
            "frame_number".into(),
            "GZ12345678".into(),
            "GZ 1234 5678".into()
        )]
    );
    let marks: i64 = b::table.count().get_result(&mut **conn).unwrap();
    assert_eq!(marks, 1);
}

#[tokio::test]
async fn the_public_check_answers_the_same_shape_whoever_the_owner_and_nothing_more() {
    let app = spawn_app().await;
    let (first, alice) = draft(
        &app,
        "items-owner-a",
        json!([{"category": "bicycle", "brand": "Gazelle", "serial_number": "WTU-111-222"}]),
    )
    .await;
    let (second, bob) = draft(
        &app,
        "items-owner-b",
        json!([{"category": "phone", "serial_number": "490154203237518"}]),
    )
    .await;

    // A draft is not a report.
    let before = checked(&app, "frame_number", "wtu111222").await;
    assert_eq!(before["reported"], false);
    assert_eq!(before["since"], Value::Null);
    assert_eq!(before["category"], Value::Null);
    assert!(!before["advice"].as_str().unwrap().is_empty());

    act(&app, &alice, &first, "submit").await;
    act(&app, &bob, &second, "submit").await;
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let a = checked(&app, "frame_number", "wtu 111 222").await;
    let b = checked(&app, "imei", "49 015420 323751 8").await;
    // Typed as another kind of object identifier: the same object.
    let c = checked(&app, "serial_number", "WTU111222").await;
    assert_eq!(
        a,
        json!({"reported": true, "since": month, "category": "bicycle", "advice": a["advice"]})
    );
    assert_eq!(c, a);
    assert_eq!(b["category"], "phone");
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&a), keys(&b));
    assert_eq!(keys(&a), keys(&before));
    assert_eq!(a["advice"], b["advice"]);
    // Nothing of the owner, the unit or the filing.
    for answer in [&a, &b] {
        let text = answer.to_string();
        for secret in [
            &first,
            &second,
            "items-owner",
            "zp-",
            "example.org",
            "Gazelle",
            "BE-",
        ] {
            assert!(!text.contains(secret), "{text} shows {secret}");
        }
    }
    // A language of the request, said in Content-Language.
    let fr = app
        .client
        .post(app.url("/v1/stolen-item-checks"))
        .header("accept-language", "fr")
        .json(&json!({"kind": "imei", "identifier": "490154203237518"}))
        .send()
        .await
        .unwrap();
    assert_eq!(fr.headers()["content-language"], "fr");
    let fr: Value = fr.json().await.unwrap();
    assert_ne!(fr["advice"], b["advice"]);

    // Withdrawn: no longer reported.
    act(&app, &alice, &first, "withdraw").await;
    assert_eq!(
        checked(&app, "frame_number", "WTU111222").await["reported"],
        false
    );

    // An identifier that does not validate.
    assert_problem(
        check(&app, "imei", "490154203237519").await,
        422,
        "validation_failed",
    )
    .await;

    // Counted per day, kind and answer: no address, no identifier.
    let pool = app.db.pool();
    let mut conn = pool.get().unwrap();
    let counts: Vec<(String, String, i64)> = c::table
        .order((c::kind.asc(), c::outcome.asc()))
        .select((c::kind, c::outcome, c::count))
        .load(&mut **conn)
        .unwrap();
    assert_eq!(
        counts,
        vec![
            ("frame_number".into(), "not_reported".into(), 2),
            ("frame_number".into(), "reported".into(), 1),
            ("imei".into(), "reported".into(), 2),
            ("serial_number".into(), "reported".into(), 1),
        ]
    );
}

#[tokio::test]
async fn the_public_check_is_rate_limited_per_address() {
    let app = spawn_app_with(|s| s.items.check_per_minute_per_ip = 2).await;
    for _ in 0..2 {
        assert_eq!(check(&app, "serial_number", "ABC123").await.status(), 200);
    }
    let refused = check(&app, "serial_number", "ABC123").await;
    assert!(refused.headers().contains_key("retry-after"));
    assert_problem(refused, 429, "too_many_requests").await;
}

/// Creates and submits a filing; its id and the unit it went to.
async fn filed(app: &TestApp, subject: &str, body: Value) -> (String, String) {
    let citizen = app
        .dev_token(json!({"kind": "citizen", "subject": subject}))
        .await;
    let created = app
        .client
        .post(app.url("/v1/filings"))
        .bearer_auth(&citizen)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "{:?}", created.text().await);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let submitted: Value = app
        .client
        .post(app.url(&format!("/v1/filings/{id}/submit")))
        .bearer_auth(&citizen)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(submitted["status"], "submitted", "{submitted}");
    let unit = submitted["routing"]["unit"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (id, unit)
}

fn bicycle(municipality: &str, frame: &str) -> Value {
    json!({
        "procedure": "bicycle_theft", "country": "BE", "place": {"municipality": municipality},
        "facts_date": {"from": (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339()},
        "answers": {"ongoing_danger": false, "injury": false, "known_author": false, "violence": false, "exploitable_traces": false},
        "facts": {"bicycle_locked": true, "circumstances": "stolen", "items": [{"category": "bicycle", "brand": "Gazelle", "serial_number": frame}]},
        "contact": {"email": "someone@example.org"}, "confirmation_channel": "email"
    })
}

fn scam(iban: &str) -> Value {
    json!({
        "procedure": "online_scam", "country": "FR",
        "facts_date": {"from": (chrono::Utc::now() - chrono::Duration::days(2)).to_rfc3339()},
        "answers": {"ongoing_danger": false, "illegal_content_only": false},
        "facts": {"scam_kind": "classified_ad_scam", "payment_method": "bank_transfer", "amount_eur": 300,
                  "suspect_identifiers": [iban, "+33 6 12 34 56 78"], "circumstances": "Paid for a sofa never delivered."},
        "contact": {"email": "someone@example.fr"}, "confirmation_channel": "email"
    })
}

/// An officer of `unit` hands the found object of filing `found` back to the owner of
/// `lost`.
async fn hand_back_as(
    app: &TestApp,
    officer: &str,
    (unit, found): (&str, &str),
    lost: &str,
) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/v1/units/{unit}/filings/{found}/hand-back")))
        .bearer_auth(officer)
        .json(&json!({"lost_filing_id": lost}))
        .send()
        .await
        .unwrap()
}

/// A filing's status, as stored.
fn status_of(app: &TestApp, id: &str) -> String {
    let pool = app.db.pool();
    let mut conn = pool.get().unwrap();
    persistence::schema::filings::table
        .find(id)
        .select(persistence::schema::filings::status)
        .first::<String>(&mut **conn)
        .unwrap()
}

async fn officer_get(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn linked_filings_are_shown_on_a_need_to_know_basis_and_audited() {
    let app = spawn_app().await;
    let (mine, unit) = filed(&app, "link-a", bicycle("BE-25121", "WTU 555 777")).await;
    let (theirs, other_unit) = filed(&app, "link-b", bicycle("BE-21015", "wtu-555777")).await;
    let (same_unit, _) = filed(&app, "link-c", bicycle("BE-25121", "WTU555777")).await;
    filed(&app, "link-d", bicycle("BE-25121", "OTHER-1")).await;
    assert_ne!(unit, other_unit);
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-links", "units": [unit]}))
        .await;
    let response = officer_get(
        &app,
        &officer,
        &format!("/v1/units/{unit}/filings/{mine}/links"),
    )
    .await;
    assert_eq!(response.status(), 200);
    let links: Value = response.json().await.unwrap();
    let items = links["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{links}");
    let visible = items.iter().find(|l| l["visible"] == true).unwrap();
    assert_eq!(visible["filing_id"], same_unit.as_str());
    assert_eq!(visible["explanation"], "same frame number");
    let restricted = items.iter().find(|l| l["visible"] == false).unwrap();
    assert_eq!(restricted["unit"], other_unit.as_str());
    assert!(restricted["reference"].is_string());
    assert!(restricted["since"].is_string());
    assert_eq!(restricted["explanation"], "same frame number");
    // Nothing else of the other unit's filing: not even its id.
    let keys: Vec<&String> = restricted.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["explanation", "reference", "since", "unit", "visible"]
    );
    assert!(!restricted.to_string().contains(&theirs));

    // The consultation, and the other unit's filing it revealed, are audited.
    let pool = app.db.pool();
    let mut conn = pool.get().unwrap();
    use persistence::schema::audit_events as a;
    let objects: Vec<(String, Option<String>)> = a::table
        .filter(a::object_type.eq_any(["filing_links", "linked_filing"]))
        .select((a::object_type, a::object_id))
        .load(&mut **conn)
        .unwrap();
    assert!(objects.contains(&("filing_links".into(), Some(mine.clone()))));
    assert!(objects.contains(&("linked_filing".into(), Some(theirs.clone()))));

    // From the other unit, the first two are the restricted ones.
    let colleague = app
        .dev_token(json!({"kind": "officer", "subject": "o-links-2", "units": [other_unit]}))
        .await;
    let seen: Value = officer_get(
        &app,
        &colleague,
        &format!("/v1/units/{other_unit}/filings/{theirs}/links"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(
        seen["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["visible"] == false && l["unit"] == unit.as_str()),
        "{seen}"
    );
    // Not a member: 403; another unit's filing in my unit's path: 404.
    assert_problem(
        officer_get(
            &app,
            &colleague,
            &format!("/v1/units/{unit}/filings/{mine}/links"),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        officer_get(
            &app,
            &officer,
            &format!("/v1/units/{unit}/filings/{theirs}/links"),
        )
        .await,
        404,
        "filing_not_found",
    )
    .await;
    // A filing of the unit without any identifier has no link (found all the same); an
    // id nobody holds is 404.
    let mut plain = bicycle("BE-25121", "unused");
    plain["facts"]["items"][0]
        .as_object_mut()
        .unwrap()
        .remove("serial_number");
    let (plain, plain_unit) = filed(&app, "link-e", plain).await;
    assert_eq!(plain_unit, unit);
    let none = officer_get(
        &app,
        &officer,
        &format!("/v1/units/{unit}/filings/{plain}/links"),
    )
    .await;
    assert_eq!(none.status(), 200);
    assert_eq!(none.json::<Value>().await.unwrap()["items"], json!([]));
    assert_problem(
        officer_get(
            &app,
            &officer,
            &format!("/v1/units/{unit}/filings/no-such-filing/links"),
        )
        .await,
        404,
        "filing_not_found",
    )
    .await;
}

#[tokio::test]
async fn scams_paying_the_same_iban_form_a_cluster_for_the_supervisor() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for (n, iban) in [
        "FR76 3000 6000 0112 3456 7890 189",
        "fr7630006000011234567890189",
        "FR7630006000011234567890189",
    ]
    .iter()
    .enumerate()
    {
        ids.push(filed(&app, &format!("scam-{n}"), scam(iban)).await);
    }
    let unit = ids[0].1.clone();
    let supervisor = app
        .dev_token(
            json!({"kind": "officer", "subject": "s-links", "units": [unit], "role": "supervisor"}),
        )
        .await;
    let response = officer_get(&app, &supervisor, &format!("/v1/units/{unit}/linked-cases")).await;
    assert_eq!(response.status(), 200);
    let clusters: Value = response.json().await.unwrap();
    let iban = clusters["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "iban")
        .unwrap();
    assert_eq!(iban["identifier"], "FR7630006000011234567890189");
    assert_eq!(iban["filings"], 3);
    assert_eq!(iban["units"][&unit], 3);
    // The links of one of them name the IBAN and the phone.
    let links: Value = officer_get(
        &app,
        &supervisor,
        &format!("/v1/units/{unit}/filings/{}/links", ids[0].0),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        links["items"][0]["explanation"], "same IBAN and phone number",
        "{links}"
    );
    // An officer is not a supervisor.
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-links-3", "units": [unit]}))
        .await;
    assert_problem(
        officer_get(&app, &officer, &format!("/v1/units/{unit}/linked-cases")).await,
        403,
        "forbidden",
    )
    .await;
}

fn lost_or_found(procedure: &str, days_ago: i64, lat: f64, item: Value) -> Value {
    let (answers, extra) = if procedure == "found_object" {
        (
            json!({"dangerous_object": false}),
            json!({"object_whereabouts": "deposited_at_police"}),
        )
    } else {
        (json!({"possibly_stolen": false}), json!({}))
    };
    let mut facts = json!({"object_category": item["category"], "object_description": item["description"], "items": [item]});
    for (k, v) in extra.as_object().unwrap() {
        facts[k] = v.clone();
    }
    json!({
        "procedure": procedure, "country": "LU", "place": {"lat": lat, "lon": 6.1319},
        "facts_date": {"from": (chrono::Utc::now() - chrono::Duration::days(days_ago)).to_rfc3339()},
        "answers": answers, "facts": facts,
        "contact": {"email": "someone@example.lu"}, "confirmation_channel": "email"
    })
}

#[tokio::test]
async fn a_found_object_is_matched_against_lost_ones_with_a_score_and_a_reason() {
    let app = spawn_app().await;
    let (certain, _) = filed(&app, "lost-1", lost_or_found("lost_object", 5, 49.6116,
        json!({"category": "phone", "brand": "Samsung", "colour": "black", "serial_number": "490154203237518", "description": "black phone"}))).await;
    let (likely, _) = filed(&app, "lost-2", lost_or_found("lost_object", 3, 49.6116,
        json!({"category": "wallet", "brand": "Fossil", "colour": "brown", "description": "brown leather wallet with cards"}))).await;
    let (unlikely, _) = filed(&app, "lost-3", lost_or_found("lost_object", 3, 49.6116,
        json!({"category": "wallet", "brand": "Guess", "colour": "pink", "description": "pink purse"}))).await;
    let (phone, unit) = filed(&app, "found-1", lost_or_found("found_object", 1, 49.6143,
        json!({"category": "phone", "serial_number": "49 015420 323751 8", "description": "phone found on a bench"}))).await;
    let (wallet, _) = filed(&app, "found-2", lost_or_found("found_object", 1, 49.6143,
        json!({"category": "wallet", "brand": "Fossil", "colour": "brown", "description": "leather wallet, brown"}))).await;
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-match", "units": [unit]}))
        .await;
    let found_phone: Value = officer_get(
        &app,
        &officer,
        &format!("/v1/units/{unit}/filings/{phone}/matches"),
    )
    .await
    .json()
    .await
    .unwrap();
    let first = &found_phone["items"][0];
    assert_eq!(first["filing_id"], certain.as_str(), "{found_phone}");
    assert_eq!(first["certain"], true);
    assert_eq!(first["score"], 1.0);
    assert_eq!(first["explanation"], "same IMEI");
    let found_wallet: Value = officer_get(
        &app,
        &officer,
        &format!("/v1/units/{unit}/filings/{wallet}/matches"),
    )
    .await
    .json()
    .await
    .unwrap();
    let items = found_wallet["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{found_wallet}");
    assert_eq!(items[0]["filing_id"], likely.as_str());
    assert_eq!(items[0]["certain"], false);
    assert!(
        items[0]["explanation"]
            .as_str()
            .unwrap()
            .starts_with("same brand and colour, 300 m and 2 days apart"),
        "{found_wallet}"
    );
    assert!(!found_wallet.to_string().contains(&unlikely));
    // And the reverse: the lost wallet's candidates are the found one.
    let lost_wallet: Value = officer_get(
        &app,
        &officer,
        &format!("/v1/units/{unit}/filings/{likely}/matches"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        lost_wallet["items"][0]["filing_id"],
        wallet.as_str(),
        "{lost_wallet}"
    );
    assert_eq!(lost_wallet["items"][0]["role"], "found");

    // The owners were told through the outbox, once each: their reference and the unit
    // holding the object, nothing of the finder.
    let pool = app.db.pool();
    let mut conn = pool.get().unwrap();
    use persistence::schema::outbox_messages as o;
    let told: Vec<(String, String)> = o::table
        .filter(o::template.eq("object_maybe_found"))
        .order(o::id.asc())
        .select((o::filing_id, o::payload))
        .load(&mut **conn)
        .unwrap();
    let filings: Vec<&str> = told.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(filings, [certain.as_str(), likely.as_str()]);
    for (_, payload) in &told {
        let payload: Value = serde_json::from_str(payload).unwrap();
        let mut keys: Vec<&String> = payload.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["reference", "unit_id"], "{payload}");
        assert_eq!(payload["unit_id"], unit.as_str());
    }
}

#[tokio::test]
async fn an_object_handed_back_is_no_longer_reported_nor_matched() {
    let app = spawn_app().await;
    let theft = json!({
        "procedure": "simple_theft", "country": "LU", "place": {"lat": 49.6116, "lon": 6.1319},
        "facts_date": {"from": (chrono::Utc::now() - chrono::Duration::days(4)).to_rfc3339()},
        "answers": {"ongoing_danger": false, "injury": false, "known_author": false, "violence": false, "exploitable_traces": false},
        "facts": {"theft_kind": "phone_or_tablet", "circumstances": "taken from my table",
                  "items": [{"category": "phone", "brand": "Apple", "serial_number": "356938035643809"}]},
        "contact": {"email": "owner@example.lu"}, "confirmation_channel": "email"
    });
    let (stolen, _) = filed(&app, "theft-1", theft).await;
    let (found, unit) = filed(&app, "finder-1", lost_or_found("found_object", 1, 49.6120,
        json!({"category": "phone", "serial_number": "35-693803-564380-9", "description": "iphone"}))).await;
    assert_eq!(
        checked(&app, "imei", "356938035643809").await["reported"],
        true
    );
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-hand", "units": [unit]}))
        .await;
    let matches: Value = officer_get(
        &app,
        &officer,
        &format!("/v1/units/{unit}/filings/{found}/matches"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(matches["items"][0]["role"], "stolen", "{matches}");
    assert_eq!(matches["items"][0]["certain"], true);
    // Not one of the object's candidates (here the found object itself): 409.
    assert_problem(
        hand_back_as(&app, &officer, (&unit, &found), &found).await,
        409,
        "not_a_candidate",
    )
    .await;
    let done = hand_back_as(&app, &officer, (&unit, &found), &stolen).await;
    assert_eq!(done.status(), 200);
    assert_eq!(done.json::<Value>().await.unwrap()["recovered_items"], 2);
    assert_eq!(
        checked(&app, "imei", "356938035643809").await["reported"],
        false
    );
    let matches: Value = officer_get(
        &app,
        &officer,
        &format!("/v1/units/{unit}/filings/{found}/matches"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(matches["items"], json!([]));
    // Both declarations are closed by the hand-back, and the owner is told.
    let pool = app.db.pool();
    let mut conn = pool.get().unwrap();
    use persistence::schema::{filing_history as h, filings as f, outbox_messages as o};
    for id in [&stolen, &found] {
        let status: String = f::table
            .find(id)
            .select(f::status)
            .first(&mut **conn)
            .unwrap();
        assert_eq!(status, "closed", "{id}");
        let last: String = h::table
            .filter(h::filing_id.eq(id))
            .order(h::id.desc())
            .select(h::action)
            .first(&mut **conn)
            .unwrap();
        assert_eq!(last, "hand_back");
    }
    let closed: i64 = o::table
        .filter(o::filing_id.eq(&stolen))
        .filter(o::template.eq("filing_closed"))
        .count()
        .get_result(&mut **conn)
        .unwrap();
    assert_eq!(closed, 1);
    drop(conn);
    // Handed back again: no longer a candidate (nothing waits), nothing closed twice.
    assert_problem(
        hand_back_as(&app, &officer, (&unit, &found), &stolen).await,
        409,
        "not_a_candidate",
    )
    .await;
    let mut conn = pool.get().unwrap();
    let closed_twice: i64 = h::table
        .filter(h::filing_id.eq(&stolen))
        .filter(h::action.eq("hand_back"))
        .count()
        .get_result(&mut **conn)
        .unwrap();
    assert_eq!(closed_twice, 1);
}

/// Reported from outside (2026-12-02): an officer's hand-back closed any lost or stolen
/// declaration named, of any unit and even withdrawn, and marked every object of the
/// found filing recovered. Now the declaration must be one of the object's current
/// candidates, and only the matched objects go back.
#[tokio::test]
async fn a_hand_back_gives_only_the_matched_object_to_a_candidate_owner() {
    let app = spawn_app().await;
    let days = |n: i64| (chrono::Utc::now() - chrono::Duration::days(n)).to_rfc3339();
    let theft = json!({
        "procedure": "simple_theft", "country": "LU", "place": {"lat": 49.6116, "lon": 6.1319},
        "facts_date": {"from": days(4)},
        "answers": {"ongoing_danger": false, "injury": false, "known_author": false, "violence": false, "exploitable_traces": false},
        "facts": {"theft_kind": "phone_or_tablet", "circumstances": "taken from my table",
                  "items": [{"category": "phone", "brand": "Apple", "serial_number": "356938035643809"}]},
        "contact": {"email": "owner@example.lu"}, "confirmation_channel": "email"
    });
    let (phone_owner, _) = filed(&app, "owner-phone", theft).await;
    let frame = json!({"category": "bicycle", "brand": "Gazelle", "serial_number": "WBK-4711-X", "description": "blue city bike"});
    let (bike_owner, _) = filed(
        &app,
        "owner-bike",
        lost_or_found("lost_object", 3, 49.6118, frame.clone()),
    )
    .await;
    // The same frame number, declared lost and then withdrawn: no longer a candidate.
    let (withdrawn, _) = filed(
        &app,
        "owner-gone",
        lost_or_found("lost_object", 3, 49.6118, frame.clone()),
    )
    .await;
    let gone = app
        .dev_token(json!({"kind": "citizen", "subject": "owner-gone"}))
        .await;
    act(&app, &gone, &withdrawn, "withdraw").await;
    // Another unit's theft of another bicycle: never a candidate.
    let (stranger, _) = filed(&app, "stranger", bicycle("BE-25121", "ZZ-9999-Q")).await;
    // One found filing holding both objects.
    let mut found_body = lost_or_found(
        "found_object",
        1,
        49.6120,
        json!({"category": "phone", "serial_number": "35-693803-564380-9", "description": "iphone"}),
    );
    found_body["facts"]["items"]
        .as_array_mut()
        .unwrap()
        .push(json!({"category": "bicycle", "serial_number": "wbk 4711 x", "description": "bike"}));
    let (found, unit) = filed(&app, "finder-2", found_body).await;
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-hand-2", "units": [unit]}))
        .await;
    for lost in [stranger.as_str(), withdrawn.as_str(), "no-such-filing"] {
        assert_problem(
            hand_back_as(&app, &officer, (&unit, &found), lost).await,
            409,
            "not_a_candidate",
        )
        .await;
    }
    // Out of the body schema's limits: 422 at the field, before anything is read.
    for (lost, code) in [("", "empty"), (&"x".repeat(65)[..], "too_long")] {
        let refused = hand_back_as(&app, &officer, (&unit, &found), lost).await;
        assert_eq!(refused.status(), 422);
        let problem: Value = refused.json().await.unwrap();
        assert_eq!(
            problem["errors"][0]["pointer"], "/lost_filing_id",
            "{problem}"
        );
        assert_eq!(problem["errors"][0]["code"], code, "{problem}");
    }
    assert_eq!(status_of(&app, &stranger), "submitted");
    assert_eq!(status_of(&app, &withdrawn), "withdrawn");

    // The phone goes back to its owner: two items (the found phone and the stolen one).
    let done = hand_back_as(&app, &officer, (&unit, &found), &phone_owner).await;
    assert_eq!(done.status(), 200);
    assert_eq!(done.json::<Value>().await.unwrap()["recovered_items"], 2);
    assert_eq!(status_of(&app, &phone_owner), "closed");
    // The bicycle is still waiting: the found filing stays open, and the bicycle's owner
    // still sees it proposed.
    assert_eq!(status_of(&app, &found), "submitted");
    let bike_matches: Value = officer_get(
        &app,
        &officer,
        &format!("/v1/units/{unit}/filings/{bike_owner}/matches"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        bike_matches["items"][0]["filing_id"],
        found.as_str(),
        "{bike_matches}"
    );
    assert_eq!(bike_matches["items"][0]["certain"], true);
    assert_eq!(
        checked(&app, "imei", "356938035643809").await["reported"],
        false
    );

    // Then the bicycle: the found filing has nothing left waiting and is closed too. The
    // owner's declaration was indexed under older rules (a stale fingerprint), so closing
    // it re-indexes it: its object stays recovered (found by review: the rows were
    // rewritten unrecovered).
    {
        let pool = app.db.pool();
        let mut conn = pool.get().unwrap();
        diesel::update(
            persistence::schema::item_fingerprints::table
                .filter(persistence::schema::item_fingerprints::filing_id.eq(&bike_owner)),
        )
        .set(persistence::schema::item_fingerprints::fingerprint.eq("stale"))
        .execute(&mut **conn)
        .unwrap();
    }
    let done = hand_back_as(&app, &officer, (&unit, &found), &bike_owner).await;
    assert_eq!(done.status(), 200);
    assert_eq!(done.json::<Value>().await.unwrap()["recovered_items"], 2);
    assert_eq!(status_of(&app, &bike_owner), "closed");
    assert_eq!(status_of(&app, &found), "closed");
    assert_eq!(status_of(&app, &withdrawn), "withdrawn");
    {
        let pool = app.db.pool();
        let mut conn = pool.get().unwrap();
        let waiting: i64 = it::table
            .filter(it::filing_id.eq(&bike_owner))
            .filter(it::recovered_at.is_null())
            .count()
            .get_result(&mut **conn)
            .unwrap();
        assert_eq!(
            waiting, 0,
            "the re-indexed declaration's object is still recovered"
        );
    }
    // An object handed back is nobody else's: a later declaration of the same frame
    // number does not get it (found by review: a recovered item was still a probe).
    let (late, _) = filed(
        &app,
        "owner-late",
        lost_or_found("lost_object", 1, 49.6118, frame),
    )
    .await;
    assert_problem(
        hand_back_as(&app, &officer, (&unit, &found), &late).await,
        409,
        "not_a_candidate",
    )
    .await;
    assert_eq!(status_of(&app, &late), "submitted");
}

/// Two identical wallets found together, two owners of such a wallet: each owner gets
/// one, and the found filing closes with the second (found by review: the second
/// hand-back paired the first wallet again).
#[tokio::test]
async fn two_identical_objects_found_together_go_to_two_owners() {
    let app = spawn_app().await;
    let wallet = json!({"category": "wallet", "brand": "Fossil", "colour": "brown", "description": "brown leather wallet"});
    let (first_owner, _) = filed(
        &app,
        "wallet-a",
        lost_or_found("lost_object", 2, 49.6118, wallet.clone()),
    )
    .await;
    let (second_owner, _) = filed(
        &app,
        "wallet-b",
        lost_or_found("lost_object", 2, 49.6119, wallet.clone()),
    )
    .await;
    let mut found_body = lost_or_found("found_object", 1, 49.6120, wallet.clone());
    found_body["facts"]["items"]
        .as_array_mut()
        .unwrap()
        .push(wallet);
    let (found, unit) = filed(&app, "wallet-finder", found_body).await;
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-wallets", "units": [unit]}))
        .await;
    for owner in [&first_owner, &second_owner] {
        let done = hand_back_as(&app, &officer, (&unit, &found), owner).await;
        assert_eq!(done.status(), 200);
        assert_eq!(done.json::<Value>().await.unwrap()["recovered_items"], 2);
    }
    let pool = app.db.pool();
    let mut conn = pool.get().unwrap();
    let waiting: i64 = it::table
        .filter(it::filing_id.eq(&found))
        .filter(it::recovered_at.is_null())
        .count()
        .get_result(&mut **conn)
        .unwrap();
    assert_eq!(waiting, 0);
    for id in [&first_owner, &second_owner, &found] {
        let status: String = persistence::schema::filings::table
            .find(id)
            .select(persistence::schema::filings::status)
            .first(&mut **conn)
            .unwrap();
        assert_eq!(status, "closed", "{id}");
    }
    drop(conn);
    assert_problem(
        hand_back_as(&app, &officer, (&unit, &found), &first_owner).await,
        409,
        "not_a_candidate",
    )
    .await;
}

#[tokio::test]
async fn an_owner_who_chose_the_app_is_told_in_the_feed_that_an_object_may_be_theirs() {
    let app = spawn_app().await;
    let mut lost = lost_or_found(
        "lost_object",
        3,
        49.6116,
        json!({"category": "phone", "brand": "Fairphone", "serial_number": "490154203237518", "description": "green phone"}),
    );
    lost["confirmation_channel"] = json!("app");
    let owner = app
        .dev_token(json!({"kind": "citizen", "subject": "app-owner"}))
        .await;
    let created: Value = app
        .client
        .post(app.url("/v1/filings"))
        .bearer_auth(&owner)
        .json(&lost)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let lost_id = created["id"].as_str().unwrap().to_owned();
    act(&app, &owner, &lost_id, "submit").await;
    let (_, unit) = filed(&app, "app-finder", lost_or_found("found_object", 1, 49.6120,
        json!({"category": "phone", "serial_number": "49 015420 323751 8", "description": "found by the river"}))).await;
    let feed: Value = app
        .client
        .get(app.url("/v1/notifications?lang=fr"))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let found: Vec<&Value> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["event"] == "object_maybe_found")
        .collect();
    assert_eq!(found.len(), 1, "{feed}");
    assert_eq!(found[0]["title"], "Un objet est peut-être le vôtre");
    assert_eq!(found[0]["filing_url"], format!("/v1/filings/{lost_id}"));
    let text = found[0].to_string();
    assert!(!text.contains(&unit), "the unit's name, not its id: {text}");
    // Nothing of the finder, nor of the object's description.
    for secret in ["app-finder", "river", "someone@example.lu"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    // No e-mail for an owner who chose the app.
    let pool = app.db.pool();
    let mut conn = pool.get().unwrap();
    use persistence::schema::outbox_messages as o;
    let mails: i64 = o::table
        .filter(o::filing_id.eq(&lost_id))
        .filter(o::template.eq("object_maybe_found"))
        .count()
        .get_result(&mut **conn)
        .unwrap();
    assert_eq!(mails, 0);
}

/// Registers a municipality's lost-property office (`lost_property` scope) with client
/// `client` and the given quota; its machine token (`sub` is the client).
async fn office(app: &TestApp, id: &str, municipality: &str, quota: i64) -> String {
    let admin = app
        .dev_token(json!({"kind": "officer", "subject": "root", "role": "admin", "units": []}))
        .await;
    let client = format!("{id}-client");
    let body = json!({"id": id, "name": id, "kind": "lost_property_office",
                      "municipality": municipality, "client_ids": [client],
                      "scopes": ["lost_property"], "quota_per_minute": quota});
    let response = app
        .client
        .post(app.url("/v1/partners"))
        .bearer_auth(&admin)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    let registered: Value = response.json().await.unwrap();
    assert_eq!(registered["partner"]["municipality"], municipality);
    app.dev_token(json!({"kind": "citizen", "subject": client, "client_id": client}))
        .await
}

async fn as_office(
    app: &TestApp,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app
        .client
        .request(method.parse().unwrap(), app.url(path))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

fn found_phone(lat: f64) -> Value {
    json!({"object_category": "phone", "object_description": "phone left on a bench",
           "found_at": (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339(),
           "lat": lat, "lon": 6.1319, "place_description": "Place d'Armes",
           "items": [{"category": "phone", "serial_number": "49 015420 323751 8"}]})
}

#[tokio::test]
async fn a_lost_property_office_files_sees_its_candidates_and_hands_back_on_a_need_to_know_basis() {
    let app = spawn_app().await;
    let (lost, _) = filed(&app, "office-owner", lost_or_found("lost_object", 3, 49.6116,
        json!({"category": "phone", "brand": "Samsung", "colour": "black", "serial_number": "490154203237518",
               "description": "OWNER-SECRET sticker"}))).await;
    let (citizens_found, _) = filed(
        &app,
        "office-finder",
        lost_or_found(
            "found_object",
            1,
            49.6120,
            json!({"category": "wallet", "description": "a wallet"}),
        ),
    )
    .await;
    let lux = office(&app, "lpo-luxembourg", "LU-luxembourg", 600).await;
    let esch = office(&app, "lpo-esch", "LU-esch-sur-alzette", 600).await;

    // Filed by the office: a submitted found object's declaration, routed, referenced.
    let filed = as_office(
        &app,
        &lux,
        "POST",
        "/v1/partner/found-objects",
        Some(found_phone(49.6143)),
    )
    .await;
    assert_eq!(filed.status(), 201, "{:?}", filed.text().await);
    let location = filed.headers()["location"].to_str().unwrap().to_owned();
    let view: Value = filed.json().await.unwrap();
    let found = view["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/v1/partner/found-objects/{found}"));
    assert_eq!(view["status"], "submitted", "{view}");
    assert!(view["reference"].is_string(), "{view}");
    // The owner is told that an object that may be theirs was found.
    let pool = app.db.pool();
    let mut conn = pool.get().unwrap();
    use persistence::schema::{
        audit_events as a, filing_history as h, filings as f, outbox_messages as o,
    };
    let told: i64 = o::table
        .filter(o::filing_id.eq(&lost))
        .filter(o::template.eq("object_maybe_found"))
        .count()
        .get_result(&mut **conn)
        .unwrap();
    assert_eq!(told, 1);
    // It names the office holding the object (its registered name), not only the unit.
    let payload: String = o::table
        .filter(o::filing_id.eq(&lost))
        .filter(o::template.eq("object_maybe_found"))
        .select(o::payload)
        .first(&mut **conn)
        .unwrap();
    let payload: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(payload["held_at"], "lpo-luxembourg", "{payload}");
    let reference: String = f::table
        .find(&lost)
        .select(f::reference)
        .first::<Option<String>>(&mut **conn)
        .unwrap()
        .unwrap();
    drop(conn);

    // Its candidates: the owner's reference and the object's kind, nothing of the owner.
    let path = format!("/v1/partner/found-objects/{found}/matches");
    let response = as_office(&app, &lux, "GET", &path, None).await;
    assert_eq!(response.status(), 200);
    let matches: Value = response.json().await.unwrap();
    let first = &matches["items"][0];
    assert_eq!(first["reference"], reference.as_str(), "{matches}");
    assert_eq!(first["certain"], true);
    assert_eq!(first["explanation"], "same IMEI");
    assert_eq!(first["brand"], "Samsung");
    let mut keys: Vec<&String> = first.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "brand",
            "category",
            "certain",
            "colour",
            "explanation",
            "item_position",
            "model",
            "reference",
            "role",
            "score"
        ]
    );
    let text = matches.to_string();
    for secret in [
        lost.as_str(),
        "OWNER-SECRET",
        "someone@example.lu",
        "office-owner",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }

    // Another office (of another municipality), a citizen's found object, no such id:
    // 404; a citizen's or an officer's token: 403.
    for path in [
        format!("/v1/partner/found-objects/{found}"),
        format!("/v1/partner/found-objects/{found}/matches"),
    ] {
        assert_problem(
            as_office(&app, &esch, "GET", &path, None).await,
            404,
            "filing_not_found",
        )
        .await;
    }
    let hand_back = format!("/v1/partner/found-objects/{found}/hand-back");
    let body = json!({"lost_reference": reference});
    assert_problem(
        as_office(&app, &esch, "POST", &hand_back, Some(body.clone())).await,
        404,
        "filing_not_found",
    )
    .await;
    for id in [citizens_found.as_str(), lost.as_str(), "no-such-filing"] {
        let path = format!("/v1/partner/found-objects/{id}");
        assert_problem(
            as_office(&app, &lux, "GET", &path, None).await,
            404,
            "filing_not_found",
        )
        .await;
    }
    let citizen = app
        .dev_token(json!({"kind": "citizen", "subject": "office-owner"}))
        .await;
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-lpo", "units": ["lu-luxembourg"]}))
        .await;
    for token in [&citizen, &officer] {
        let path = format!("/v1/partner/found-objects/{found}");
        assert_problem(
            as_office(&app, token, "GET", &path, None).await,
            403,
            "forbidden",
        )
        .await;
    }
    // A place in another municipality than the office's: refused, nothing written.
    let outside = as_office(
        &app,
        &esch,
        "POST",
        "/v1/partner/found-objects",
        Some(found_phone(49.6143)),
    )
    .await;
    assert_eq!(outside.status(), 422);
    let problem: Value = outside.json().await.unwrap();
    assert_eq!(problem["errors"][0]["pointer"], "/place", "{problem}");
    assert_eq!(problem["errors"][0]["code"], "outside_municipality");

    // A reference that is not a candidate: 409; the candidate's: both closed.
    let wrong = json!({"lost_reference": "LU-2026-0000-0000-0"});
    assert_problem(
        as_office(&app, &lux, "POST", &hand_back, Some(wrong)).await,
        409,
        "not_a_candidate",
    )
    .await;
    let done = as_office(&app, &lux, "POST", &hand_back, Some(body.clone())).await;
    assert_eq!(done.status(), 200);
    assert_eq!(done.json::<Value>().await.unwrap()["recovered_items"], 2);
    let shown: Value = as_office(
        &app,
        &lux,
        "GET",
        &format!("/v1/partner/found-objects/{found}"),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(shown["status"], "closed");
    assert_eq!(
        checked(&app, "imei", "490154203237518").await["reported"],
        false
    );
    let mut conn = pool.get().unwrap();
    for id in [&lost, &found] {
        let status: String = f::table
            .find(id)
            .select(f::status)
            .first(&mut **conn)
            .unwrap();
        assert_eq!(status, "closed", "{id}");
        let last: (String, String, String) = h::table
            .filter(h::filing_id.eq(id))
            .order(h::id.desc())
            .select((h::action, h::actor_role, h::actor_id))
            .first(&mut **conn)
            .unwrap();
        assert_eq!(
            last,
            (
                "hand_back".into(),
                "lost_property_office".into(),
                "partner:lpo-luxembourg".into()
            )
        );
    }
    // Every access of the office is audited under its name.
    let events: Vec<(String, Option<String>)> = a::table
        .filter(a::actor_id.eq("partner:lpo-luxembourg"))
        .order(a::id.asc())
        .select((a::object_type, a::object_id))
        .load(&mut **conn)
        .unwrap();
    let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    for kind in [
        "found_object_matches",
        "linked_filing",
        "found_object",
        "item_hand_back",
    ] {
        assert!(kinds.contains(&kind), "{kind} not in {kinds:?}");
    }
    assert!(events.contains(&("linked_filing".into(), Some(lost.clone()))));
    drop(conn);
    // Handed back: no longer a candidate.
    assert_problem(
        as_office(&app, &lux, "POST", &hand_back, Some(body)).await,
        409,
        "not_a_candidate",
    )
    .await;
}

#[tokio::test]
async fn a_lost_property_office_is_registered_with_its_municipality_and_counted_against_its_quota()
{
    let app = spawn_app().await;
    let admin = app
        .dev_token(json!({"kind": "officer", "subject": "root", "role": "admin", "units": []}))
        .await;
    let register = |body: Value| {
        app.client
            .post(app.url("/v1/partners"))
            .bearer_auth(&admin)
            .json(&body)
            .send()
    };
    let refused = register(
        json!({"id": "lpo-x", "name": "x", "kind": "lost_property_office",
                                  "client_ids": ["lpo-x"], "scopes": ["lost_property"]}),
    )
    .await
    .unwrap();
    assert_eq!(refused.status(), 422);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(
        problem["errors"][0]["pointer"], "/municipality",
        "{problem}"
    );
    assert_eq!(problem["errors"][0]["code"], "required");
    let portal = register(json!({"id": "portal-x", "name": "x", "kind": "national_portal",
                                 "client_ids": ["portal-x"], "scopes": ["webhooks", "lost_property"]}))
    .await
    .unwrap();
    let problem: Value = portal.json().await.unwrap();
    assert_eq!(problem["errors"][0]["pointer"], "/scopes/1", "{problem}");
    assert_eq!(problem["errors"][0]["code"], "not_allowed");
    // Another kind of partner's machine token does not reach the office's routes.
    register(
        json!({"id": "portal-y", "name": "y", "kind": "national_portal",
                    "client_ids": ["portal-y"], "scopes": ["webhooks"]}),
    )
    .await
    .unwrap();
    let portal = app
        .dev_token(json!({"kind": "citizen", "subject": "portal-y", "client_id": "portal-y"}))
        .await;
    assert_problem(
        as_office(
            &app,
            &portal,
            "POST",
            "/v1/partner/found-objects",
            Some(found_phone(49.6143)),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    // The office's requests count against its quota, like any partner's.
    let token = office(&app, "lpo-quota", "LU-luxembourg", 3).await;
    for _ in 0..3 {
        let r = as_office(&app, &token, "GET", "/v1/partner/found-objects/none", None).await;
        assert_eq!(r.status(), 404);
        assert!(r.headers().contains_key("ratelimit"));
    }
    let over = as_office(&app, &token, "GET", "/v1/partner/found-objects/none", None).await;
    assert!(over.headers().contains_key("retry-after"));
    assert_problem(over, 429, "too_many_requests").await;
}

/// A lost-property office's retry with the same `Idempotency-Key` files nothing twice
/// and tells the owner once: the first answer again (reported from outside: two filings
/// and two notices).
#[tokio::test]
async fn an_office_retrying_with_its_idempotency_key_files_one_found_object() {
    let app = spawn_app().await;
    let (lost, _) = filed(&app, "retry-owner", lost_or_found("lost_object", 3, 49.6116,
        json!({"category": "phone", "brand": "Samsung", "colour": "black", "serial_number": "490154203237518",
               "description": "black phone"}))).await;
    let lux = office(&app, "lpo-retry", "LU-luxembourg", 600).await;
    let post = |body: Value, key: &'static str| {
        app.client
            .post(app.url("/v1/partner/found-objects"))
            .bearer_auth(&lux)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let body = found_phone(49.6143);
    let first = post(body.clone(), "found-1").await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = post(body.clone(), "found-1").await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    let mut other = body;
    other["object_description"] = json!("another phone");
    assert_problem(
        post(other, "found-1").await.unwrap(),
        422,
        "idempotency_key_reused",
    )
    .await;
    use persistence::schema::{filings as f, outbox_messages as o};
    let mut conn = app.conn();
    let found: i64 = f::table
        .filter(f::procedure_code.eq("found_object"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(found, 1);
    let told: i64 = o::table
        .filter(o::filing_id.eq(&lost))
        .filter(o::template.eq("object_maybe_found"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(told, 1);
}

/// An office's field errors are located in the body it sent, not in the filing its
/// found object becomes (reported from outside: `/facts_date/from` for `found_at`,
/// `lat: 91` answered "outside the municipality", `lat` alone "`/place/lat` required").
#[tokio::test]
async fn an_offices_field_errors_point_into_its_own_body() {
    let app = spawn_app().await;
    let lux = office(&app, "lpo-pointers", "LU-luxembourg", 600).await;
    let future = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
    let cases = [
        (json!({"found_at": future}), "/found_at"),
        (json!({"lat": 91.0}), "/lat"),
        (json!({"lon": null}), "/lon"),
        (
            json!({"items": [{"category": "phone", "serial_number": "x".repeat(300)}]}),
            "/items/0/serial_number",
        ),
    ];
    for (change, pointer) in cases {
        let mut body = found_phone(49.6143);
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let response = as_office(&app, &lux, "POST", "/v1/partner/found-objects", Some(body)).await;
        let problem = assert_problem(response, 422, "validation_failed").await;
        let pointers: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["pointer"].as_str().unwrap())
            .collect();
        assert!(pointers.contains(&pointer), "{pointer}: {problem}");
        assert!(
            pointers
                .iter()
                .all(|p| !p.starts_with("/facts") && !p.starts_with("/place/")),
            "{problem}"
        );
    }
}

/// Only a client-credentials token is the office: a token that names a police role or a
/// business is a person's, even when its `sub` is the office's client (reported from
/// outside: both filed found objects as the office).
#[tokio::test]
async fn a_persons_token_naming_the_offices_client_is_not_the_office() {
    let app = spawn_app().await;
    let office_token = office(&app, "lpo-persons", "LU-luxembourg", 600).await;
    let client = "lpo-persons-client";
    let officer = app
        .dev_token(
            json!({"kind": "officer", "subject": client, "client_id": client,
                          "role": "officer", "units": ["lu-luxembourg"]}),
        )
        .await;
    let business = app
        .dev_token(
            json!({"kind": "business", "subject": client, "client_id": client,
                          "business_id": "B123456", "business_name": "Fundbüro"}),
        )
        .await;
    for token in [&officer, &business] {
        let response = as_office(
            &app,
            token,
            "POST",
            "/v1/partner/found-objects",
            Some(found_phone(49.6143)),
        )
        .await;
        assert_problem(response, 403, "forbidden").await;
    }
    let filed = as_office(
        &app,
        &office_token,
        "POST",
        "/v1/partner/found-objects",
        Some(found_phone(49.6143)),
    )
    .await;
    assert_eq!(filed.status(), 201);
}

/// A place in another country than the procedure's is refused at submission (reported
/// from outside: a Belgian procedure at a Luxembourg point went to a Luxembourg unit as a
/// Belgian filing, and counted so in the statistics); nothing is submitted. Here the
/// reverse: a Luxembourg procedure at a Belgian point.
#[tokio::test]
async fn a_place_in_another_country_than_the_procedures_is_refused() {
    let app = spawn_app().await;
    let citizen = app
        .dev_token(json!({"kind": "citizen", "subject": "wrong-country"}))
        .await;
    // A Luxembourg procedure at a point in Brussels.
    let mut body = lost_or_found(
        "lost_object",
        2,
        50.8466,
        json!({"category": "wallet", "description": "brown wallet"}),
    );
    body["place"] = json!({"lat": 50.8466, "lon": 4.3528});
    let created = as_office(&app, &citizen, "POST", "/v1/filings", Some(body)).await;
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let submit = format!("/v1/filings/{id}/submit");
    let submitted = as_office(&app, &citizen, "POST", &submit, None).await;
    let problem = assert_problem(submitted, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["pointer"], "/place", "{problem}");
    assert_eq!(problem["errors"][0]["code"], "outside_country", "{problem}");
    let filing = format!("/v1/filings/{id}");
    let status: Value = as_office(&app, &citizen, "GET", &filing, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["status"], "draft");
}

/// Reported from outside (2026-12-02): two thefts whose serial was typed as "unknown" (or
/// "0000") were linked across units, and the public check reported "unknown" stolen.
/// Such placeholders are not indexed, and the check refuses them.
#[tokio::test]
async fn placeholder_codes_link_nobody_and_are_not_checked() {
    let app = spawn_app().await;
    let (first, unit) = filed(&app, "placeholder-1", bicycle("BE-25121", "unknown")).await;
    filed(&app, "placeholder-2", bicycle("BE-21015", "unknown")).await;
    filed(&app, "placeholder-3", bicycle("BE-21015", "0000")).await;
    assert!(identifiers(&app, &first).is_empty());
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-placeholder", "units": [unit]}))
        .await;
    let links: Value = officer_get(
        &app,
        &officer,
        &format!("/v1/units/{unit}/filings/{first}/links"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(links["items"], json!([]), "{links}");
    for typed in ["unknown", "0000", "N/A"] {
        let refused = check(&app, "serial_number", typed).await;
        assert_eq!(refused.status(), 422, "{typed}");
        let problem: Value = refused.json().await.unwrap();
        assert_eq!(
            problem["errors"][0]["code"], "invalid_identifier",
            "{problem}"
        );
    }
}

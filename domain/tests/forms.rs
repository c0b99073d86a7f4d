//! The facts forms of the catalogue: validated against their published JSON Schema, then
//! their cross-field date rules, with pointers, codes and what would be accepted.

// A test's unwrap is its assertion (helpers outside `#[test]` functions included).
#![allow(clippy::unwrap_used)]

use chrono::{NaiveDate, TimeZone, Utc};
use domain::catalogue::Catalogue;
use domain::forms::{age_on, Moment};
use serde_json::{json, Number, Value};

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: std::sync::OnceLock<Catalogue> = std::sync::OnceLock::new();
    CATALOGUE.get_or_init(|| Catalogue::builtin().unwrap())
}

fn moment() -> Moment {
    Moment::new(
        Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap(),
        chrono_tz::Europe::Madrid,
    )
}

fn check(code: &str, payload: &Value) -> Vec<(String, &'static str)> {
    let c = catalogue();
    let p = c.procedure(code).unwrap();
    c.validate_facts(p, payload, "/facts", &moment())
        .into_iter()
        .map(|i| (i.pointer, i.code))
        .collect()
}

#[test]
fn every_sample_passes_its_own_validation() {
    let c = catalogue();
    for p in &c.procedures {
        let sample = c.sample_facts(p, moment().now);
        assert_eq!(
            c.validate_facts(p, &sample, "/facts", &moment()),
            vec![],
            "{}",
            p.code
        );
    }
}

#[test]
fn issues_carry_pointers_and_codes() {
    let payload = json!({
        "theft_kind": "bicycle",
        "circumstances": "   ",
        "items": [{"brand": "x", "colour": 3, "weird/key": 1}],
        "extra": true
    });
    assert_eq!(
        check("simple_theft", &payload),
        vec![
            ("/facts/extra".to_owned(), "unknown_field"),
            ("/facts/theft_kind".to_owned(), "unknown_option"),
            ("/facts/circumstances".to_owned(), "empty"),
            ("/facts/items/0/weird~1key".to_owned(), "unknown_field"),
            ("/facts/items/0/category".to_owned(), "required"),
            ("/facts/items/0/colour".to_owned(), "invalid_type"),
        ]
    );
    let c = catalogue();
    let p = c.procedure("simple_theft").unwrap();
    let missing = c.validate_facts(p, &json!({}), "", &moment());
    assert_eq!(missing.len(), 3);
    assert!(missing.iter().all(|i| i.code == "required"));
    assert_eq!(check("simple_theft", &json!([]))[0].1, "invalid_type");
}

#[test]
fn issues_say_what_would_be_accepted() {
    let c = catalogue();
    let p = c.procedure("simple_theft").unwrap();
    let payload = json!({
        "theft_kind": "bicycle",
        "circumstances": "x".repeat(4001),
        "items": [{"category": "wallet", "estimated_value_eur": -1}]
    });
    let issues = c.validate_facts(p, &payload, "/facts", &moment());
    let option = &issues[0];
    assert_eq!(option.code, "unknown_option");
    assert_eq!(
        option.accepted.allowed.as_deref().unwrap(),
        c.enums["theft_kind"].as_slice()
    );
    assert_eq!(issues[1].code, "too_long");
    assert_eq!(issues[1].accepted.max_length, Some(4000));
    assert_eq!(issues[2].pointer, "/facts/items/0/estimated_value_eur");
    assert_eq!(issues[2].accepted.minimum, Some(Number::from(0)));
    assert_eq!(
        issues[2].accepted.maximum.as_ref().unwrap().as_f64(),
        Some(1e7)
    );
    let scam = c.procedure("online_scam").unwrap();
    let many = json!({
        "scam_kind": "blackmail", "payment_method": "card", "circumstances": "x",
        "suspect_identifiers": vec!["a"; 21]
    });
    let issues = c.validate_facts(scam, &many, "/facts", &moment());
    assert_eq!(issues[0].code, "too_many");
    assert_eq!(issues[0].accepted.max_items, Some(20));
}

/// JSON Schema 2020-12: a number with a zero fractional part is an integer.
#[test]
fn integers_may_be_written_with_a_fraction_or_an_exponent() {
    let base = json!({"station_name": "Total", "amount_eur": 50});
    for (pump, ok) in [
        (json!(3), true),
        (json!(3.0), true),
        (serde_json::from_str::<Value>("3e0").unwrap(), true),
        (serde_json::from_str::<Value>("30E-1").unwrap(), true),
        (json!(3.5), false),
        (json!("3"), false),
        (json!(0), false),
        (json!(1000.0), false),
    ] {
        let mut payload = base.clone();
        payload["pump_number"] = pump.clone();
        let issues = check("fuel_drive_off", &payload);
        assert_eq!(issues.is_empty(), ok, "{pump}: {issues:?}");
    }
}

fn travel(birth: &str, departure: &str, back: &str) -> Value {
    json!({
        "minor_first_name": "Ana", "minor_last_name": "Puig",
        "minor_birth_date": birth, "destination_country": "Portugal",
        "departure_date": departure, "return_date": back,
        "accompanying_adult": "Joan Puig"
    })
}

fn travel_issues(birth: &str, departure: &str, back: &str) -> Vec<(String, &'static str)> {
    check(
        "minor_travel_authorisation",
        &travel(birth, departure, back),
    )
}

#[test]
fn travel_dates_are_checked_against_each_other_and_today() {
    assert_eq!(
        travel_issues("2015-04-01", "2026-12-20", "2027-01-03"),
        vec![]
    );
    // A return before the departure.
    assert_eq!(
        travel_issues("2015-04-01", "2026-12-20", "2026-12-10"),
        vec![("/facts/return_date".to_owned(), "too_early")]
    );
    // A departure in the past (today is 2026-11-30 in Madrid); today itself is fine.
    assert_eq!(
        travel_issues("2015-04-01", "2026-11-29", "2026-12-03"),
        vec![("/facts/departure_date".to_owned(), "in_past")]
    );
    assert_eq!(
        travel_issues("2015-04-01", "2026-11-30", "2026-11-30"),
        vec![]
    );
    // A birth date in the future.
    assert_eq!(
        travel_issues("2027-02-01", "2026-12-20", "2027-01-03"),
        vec![("/facts/minor_birth_date".to_owned(), "in_future")]
    );
    // An adult "minor": 18 on the departure date; one day younger is a minor.
    assert_eq!(
        travel_issues("2008-12-20", "2026-12-20", "2027-01-03"),
        vec![("/facts/minor_birth_date".to_owned(), "age_over_limit")]
    );
    assert_eq!(
        travel_issues("2008-12-21", "2026-12-20", "2027-01-03"),
        vec![]
    );
    let c = catalogue();
    let p = c.procedure("minor_travel_authorisation").unwrap();
    let issue = &c.validate_facts(
        p,
        &travel("2008-12-20", "2026-12-20", "2027-01-03"),
        "/facts",
        &moment(),
    )[0];
    assert_eq!(issue.accepted.max_age_years, Some(18));
    assert_eq!(issue.accepted.earliest.as_deref(), Some("2008-12-21"));
    assert_eq!(
        issue.accepted.other.as_deref(),
        Some("/facts/departure_date")
    );
    // A malformed date gets its format issue only, not a rule issue as well.
    assert_eq!(
        travel_issues("2015-04-01", "2026-12-20", "2027-13-03"),
        vec![("/facts/return_date".to_owned(), "invalid_date")]
    );
}

#[test]
fn today_is_the_local_date_at_the_place() {
    let c = catalogue();
    let p = c.procedure("minor_travel_authorisation").unwrap();
    // 23:30 UTC on 30 November is already 1 December in Madrid.
    let late = Moment::new(
        Utc.with_ymd_and_hms(2026, 11, 30, 23, 30, 0).unwrap(),
        chrono_tz::Europe::Madrid,
    );
    let issues = c.validate_facts(
        p,
        &travel("2015-04-01", "2026-11-30", "2026-12-03"),
        "/facts",
        &late,
    );
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].code, "in_past");
    assert_eq!(issues[0].accepted.earliest.as_deref(), Some("2026-12-01"));
}

#[test]
fn appointment_slots_in_the_past_are_refused_one_by_one() {
    let payload = json!({
        "offence_kind": "theft", "circumstances": "x",
        "preferred_slots": ["2026-12-02T09:00:00+01:00", "2026-11-29T09:00:00+01:00", "2026-11-30T12:03:00Z"]
    });
    assert_eq!(
        check("video_complaint", &payload),
        vec![("/facts/preferred_slots/1".to_owned(), "in_past")]
    );
}

#[test]
fn ages_count_completed_years() {
    let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    assert_eq!(age_on(d(2008, 12, 20), d(2026, 12, 20)), 18);
    assert_eq!(age_on(d(2008, 12, 21), d(2026, 12, 20)), 17);
    assert_eq!(age_on(d(2008, 2, 29), d(2026, 2, 28)), 17);
    assert_eq!(age_on(d(2008, 2, 29), d(2026, 3, 1)), 18);
    assert_eq!(age_on(d(2027, 1, 1), d(2026, 1, 1)), -1);
}

#[test]
fn integers_are_stored_as_integers() {
    let c = catalogue();
    let p = c.procedure("fuel_drive_off").unwrap();
    for (raw, expected) in [
        ("3.0", json!(3)),
        ("3e0", json!(3)),
        ("3", json!(3)),
        ("3.5", json!(3.5)),
    ] {
        let mut facts =
            json!({"pump_number": serde_json::from_str::<Value>(raw).unwrap(), "amount_eur": 2.0});
        c.normalize_facts(p, &mut facts);
        assert_eq!(facts["pump_number"], expected, "{raw}");
        assert_eq!(facts["pump_number"].is_i64(), raw != "3.5", "{raw}");
        // Number fields are left alone.
        assert!(facts["amount_eur"].is_f64());
    }
}

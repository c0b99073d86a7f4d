//! Items read from a filing's facts, and the public check's verdict.

use super::matching::{score, MatchSettings, Reason, Sighting};
use super::*;
use crate::actor::CitizenActor;
use crate::catalogue::{Assurance, Catalogue, Country, DeclarantKind};
use crate::filing::commands::{DraftInput, NewFilingInput, PlaceInput, Rules};
use crate::filing::{Contact, FactsDate};
use chrono::{Duration, TimeZone};
use serde_json::json;

fn filing(procedure: &str, country: &str, facts: serde_json::Value) -> Filing {
    let catalogue = Catalogue::builtin().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
    let rules = Rules {
        catalogue: &catalogue,
        countries: &[Country::Be, Country::Lu, Country::Fr, Country::EsCt],
        daily_submissions: 3,
    };
    let citizen = CitizenActor {
        id: "u-1".into(),
        declarant: DeclarantKind::Person,
        assurance: Assurance::Substantial,
        client_id: None,
        partner: None,
    };
    let input = NewFilingInput {
        procedure: "bicycle_theft".into(),
        country: "BE".into(),
        draft: DraftInput {
            place: Some(PlaceInput {
                municipality: Some("BE-25121".into()),
                ..PlaceInput::default()
            }),
            facts_date: Some(FactsDate {
                from: (now - Duration::days(1)).fixed_offset(),
                until: None,
            }),
            contact: Some(Contact {
                email: Some("a@example.org".into()),
                ..Contact::default()
            }),
            ..DraftInput::default()
        },
    };
    let mut filing = Filing::create(
        &rules,
        &citizen,
        input,
        "f-1".into(),
        crate::i18n::Lang::En,
        now,
    )
    .unwrap()
    .filing;
    filing.procedure = procedure.into();
    filing.country = country.parse().unwrap();
    filing.facts = facts.as_object().unwrap().clone();
    filing
}

#[test]
fn a_phones_serial_is_an_imei_and_a_bicycles_a_frame_number() {
    let f = filing(
        "simple_theft",
        "BE",
        json!({"items": [
            {"category": "phone", "brand": "Fairphone", "serial_number": "49-015420-323751-8"},
            {"category": "bicycle", "serial_number": "wtu 123-456 x"},
            {"category": "laptop", "serial_number": "C02-XY"},
            {"category": "phone", "serial_number": "490154203237519"}
        ]}),
    );
    let extract = extract(&f);
    assert_eq!(extract.items.len(), 4);
    assert_eq!(extract.items[0].role, ItemRole::Stolen);
    assert_eq!(
        extract.items[0].serial_typed.as_deref(),
        Some("49-015420-323751-8")
    );
    let ids: Vec<_> = extract
        .identifiers
        .iter()
        .map(|i| (i.item, i.identifier.kind, i.identifier.normalised.as_str()))
        .collect();
    assert_eq!(
        ids,
        vec![
            (Some(0), IdentifierKind::Imei, "490154203237518"),
            (Some(1), IdentifierKind::FrameNumber, "WTU123456X"),
            (Some(2), IdentifierKind::SerialNumber, "C02XY"),
            // A bad Luhn digit: not an IMEI, kept as a serial number.
            (Some(3), IdentifierKind::SerialNumber, "490154203237519"),
        ]
    );
}

#[test]
fn a_lost_object_without_items_is_one_item_and_scams_and_plates_are_identifiers() {
    let lost = extract(&filing(
        "lost_object",
        "LU",
        json!({"object_category": "wallet", "object_description": "Brown leather wallet"}),
    ));
    assert_eq!(lost.items.len(), 1);
    assert_eq!(lost.items[0].role, ItemRole::Lost);
    assert_eq!(lost.items[0].category, "wallet");
    let scam = extract(&filing(
        "online_scam",
        "FR",
        json!({"suspect_identifiers": ["FR76 3000 6000 0112 3456 7890 189", "Bad@Example.ORG", "06 12 34 56 78", "https://www.shop-example.com/x", "???"]}),
    ));
    let kinds: Vec<_> = scam
        .identifiers
        .iter()
        .map(|i| (i.identifier.kind, i.identifier.normalised.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (IdentifierKind::Iban, "FR7630006000011234567890189"),
            (IdentifierKind::Email, "bad@example.org"),
            (IdentifierKind::Phone, "+33612345678"),
            (IdentifierKind::WebDomain, "shop-example.com"),
        ]
    );
    let drive_off = extract(&filing(
        "fuel_drive_off",
        "LU",
        json!({"vehicle_plate": "ab 1234"}),
    ));
    assert_eq!(drive_off.identifiers.len(), 1);
    assert_eq!(
        drive_off.identifiers[0].identifier.kind,
        IdentifierKind::Plate
    );
    // The fingerprint follows the content.
    assert_ne!(lost.fingerprint, scam.fingerprint);
}

#[test]
fn the_check_answers_the_earliest_month_and_kind_only() {
    assert!(!check_verdict(&[]).reported);
    let at = |m| Utc.with_ymd_and_hms(2026, m, 3, 0, 0, 0).unwrap();
    let verdict = check_verdict(&[
        ReportedItem {
            category: "bicycle".into(),
            submitted_at: at(5),
        },
        ReportedItem {
            category: "other".into(),
            submitted_at: at(3),
        },
    ]);
    assert_eq!(verdict.since.as_deref(), Some("2026-03"));
    assert_eq!(verdict.category.as_deref(), Some("other"));
}

#[test]
fn matching_explains_its_candidates() {
    let at = |d| Some(Utc.with_ymd_and_hms(2026, 11, d, 12, 0, 0).unwrap());
    let lost = Sighting {
        category: "bicycle".into(),
        brand: Some("Gazelle".into()),
        colour: Some("dark blue".into()),
        description: Some("city bike with a basket".into()),
        lat: Some(49.6116),
        lon: Some(6.1319),
        at: at(1),
        identifiers: vec![(IdentifierKind::FrameNumber, "WTU123".into())],
        ..Sighting::default()
    };
    let mut found = Sighting {
        category: "bicycle".into(),
        brand: Some("gazelle".into()),
        colour: Some("blue".into()),
        description: Some("blue city bike, basket".into()),
        lat: Some(49.6143),
        lon: Some(6.1319),
        at: at(3),
        ..Sighting::default()
    };
    let settings = MatchSettings::default();
    let outcome = score(&lost, &found, &settings).unwrap();
    assert!(!outcome.certain);
    assert!(
        outcome
            .explanation()
            .starts_with("same brand and colour, 300 m and 2 days apart"),
        "{}",
        outcome.explanation()
    );
    found.identifiers = vec![(IdentifierKind::SerialNumber, "WTU123".into())];
    let outcome = score(&lost, &found, &settings).unwrap();
    assert!(outcome.certain);
    assert_eq!(
        outcome.reasons,
        vec![Reason::SameIdentifier {
            kind: IdentifierKind::FrameNumber
        }]
    );
    assert_eq!(outcome.explanation(), "same frame number");
    // Another frame number: another bicycle.
    found.identifiers = vec![(IdentifierKind::FrameNumber, "XYZ999".into())];
    assert!(score(&lost, &found, &settings).is_none());
    // Found before it was lost.
    found.identifiers.clear();
    found.at = Some(Utc.with_ymd_and_hms(2026, 10, 20, 12, 0, 0).unwrap());
    assert!(score(&lost, &found, &settings).is_none());
}

#[test]
fn placeholder_codes_are_not_indexed() {
    assert!(object_identifiers("bicycle", Some("unknown"), Some("0000")).is_empty());
    assert!(object_identifiers("phone", Some("000000000000000"), None).is_empty());
    assert!(object_identifiers("other", Some("n/a"), Some("1-2-3-4-5")).is_empty());
    let kept = object_identifiers("bicycle", Some("WBK 4711 X"), Some("xx-unknown-1"));
    let values: Vec<&str> = kept.iter().map(|i| i.normalised.as_str()).collect();
    assert_eq!(values, ["WBK4711X", "XXUNKNOWN1"]);
}

#[test]
fn a_shared_platform_is_not_a_suspects_domain() {
    let scam = extract(&filing(
        "online_scam",
        "FR",
        json!({"suspect_identifiers": ["https://www.leboncoin.fr/ad/123", "m.facebook.com/seller", "https://shop.wixsite.com/deals", "fake-sofas.example"]}),
    ));
    let domains: Vec<&str> = scam
        .identifiers
        .iter()
        .map(|i| i.identifier.normalised.as_str())
        .collect();
    assert_eq!(domains, ["shop.wixsite.com", "fake-sofas.example"]);
    assert!(crate::identifiers::is_shared_platform("vinted.fr"));
    assert!(!crate::identifiers::is_shared_platform("notvinted.fr"));
}

#[test]
fn a_foreign_plate_at_a_border_station_is_indexed_in_its_compact_form() {
    let plates = |typed: &str| -> Vec<String> {
        extract(&filing(
            "fuel_drive_off",
            "LU",
            json!({"vehicle_plate": typed}),
        ))
        .identifiers
        .into_iter()
        .map(|i| i.identifier.normalised)
        .collect()
    };
    // A French plate, typed two ways at two stations: the same identifier.
    assert_eq!(plates("AB-123-CD"), ["AB123CD"]);
    assert_eq!(plates("ab 123 cd"), ["AB123CD"]);
    // Luxembourg's own formats as before, the personalised ones included.
    assert_eq!(plates("ab 1234"), ["AB1234"]);
    assert_eq!(plates("12 345"), ["12345"]);
    assert_eq!(plates("1111"), ["1111"]);
    // Words typed in the field are not plates; nor a placeholder.
    for text in [
        "XXXXXX",
        "no plate",
        "illisible",
        "belge",
        "voir vidéo",
        "VOIR-VIDEO",
        "?",
    ] {
        assert!(plates(text).is_empty(), "{text}");
    }
    assert!(plates("AA-000-00").len() == 1);
}

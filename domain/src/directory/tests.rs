//! Routing on a synthetic directory (labelled as such): two squares side by side, a
//! third one far away, units with a merger planned ahead.

use super::*;
use geo::{polygon, MultiPolygon};

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn square(lon: f64, lat: f64, size: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![polygon![
        (x: lon, y: lat), (x: lon + size, y: lat), (x: lon + size, y: lat + size),
        (x: lon, y: lat + size), (x: lon, y: lat),
    ]])
}

fn municipality(code: &str, name: &str, postal: &[&str]) -> Municipality {
    Municipality {
        id: MunicipalityId::new(Country::Be, code),
        country: Country::Be,
        names: [(Lang::Fr, name.to_owned())].into(),
        languages: vec![Lang::Fr],
        part_of: None,
        postal_codes: postal.iter().map(|p| (*p).to_owned()).collect(),
    }
}

fn unit(id: &str) -> Unit {
    Unit {
        id: id.into(),
        kind: UnitKind::LocalPoliceZone,
        official_number: None,
        country: Country::Be,
        names: [(Lang::Fr, id.to_owned())].into(),
        contact: Contact::default(),
        hours: ServiceHours::always(chrono_tz::Europe::Brussels),
        hours_are_default: false,
        validity: Validity::default(),
        institution: None,
        confidence: None,
    }
}

fn cover(unit: &str, code: &str, from: Option<&str>, until: Option<&str>) -> Coverage {
    Coverage {
        unit: unit.into(),
        municipality: MunicipalityId::new(Country::Be, code),
        validity: Validity {
            from: from.map(date),
            until: until.map(date),
        },
    }
}

/// West (10001) and East (10002) share the border at lon 4.5; Far (10003) is alone.
/// West and East belong to different zones until 2027-12-31, then merge.
fn fixture() -> DirectoryData {
    let mut national = unit("national-cyber");
    national.kind = UnitKind::NationalUnit;
    let mut merged = unit("zone-merged");
    merged.validity.from = Some(date("2028-01-01"));
    DirectoryData {
        version: "synthetic-1".into(),
        municipalities: vec![
            municipality("10001", "West", &["1000", "1001"]),
            municipality("10002", "East", &["1001", "1002"]),
            municipality("10003", "Far", &["3000"]),
            municipality("10004", "Nowhere", &["4000"]),
        ],
        units: vec![unit("zone-west"), unit("zone-east"), merged, national],
        coverage: vec![
            cover("zone-west", "10001", None, Some("2027-12-31")),
            cover("zone-east", "10002", None, Some("2027-12-31")),
            cover("zone-merged", "10001", Some("2028-01-01"), None),
            cover("zone-merged", "10002", Some("2028-01-01"), None),
            cover("zone-west", "10003", None, None),
            cover("zone-east", "10004", None, None),
        ],
        shapes: vec![
            Shape {
                municipality: MunicipalityId::new(Country::Be, "10001"),
                polygons: square(4.4, 50.8, 0.1),
            },
            Shape {
                municipality: MunicipalityId::new(Country::Be, "10002"),
                polygons: square(4.5, 50.8, 0.1),
            },
            Shape {
                municipality: MunicipalityId::new(Country::Be, "10003"),
                polygons: square(5.5, 50.0, 0.1),
            },
        ],
        former_names: Vec::new(),
    }
}

fn directory() -> Directory {
    Directory::new(fixture(), 1000.0)
}

fn point(lat: f64, lon: f64) -> Place {
    Place {
        point: Some((lat, lon)),
        ..Place::default()
    }
}

const TODAY: &str = "2026-11-22";

#[test]
fn the_fixture_is_valid_and_defects_are_reported() {
    assert_eq!(fixture().validate(), vec![]);
    let mut gap = fixture();
    gap.coverage.retain(|c| c.municipality.code() != "10004");
    let issues = gap.validate();
    assert_eq!(issues.len(), 1);
    assert!(!issues[0].is_error, "a gap is a warning");
    let mut broken = fixture();
    broken
        .coverage
        .push(cover("zone-east", "10001", Some("2027-06-01"), None));
    broken
        .coverage
        .push(cover("no-such-unit", "10003", None, None));
    let messages: Vec<String> = broken
        .validate()
        .into_iter()
        .filter(|i| i.is_error)
        .map(|i| i.message)
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("BE-10001 is covered by")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("unknown unit no-such-unit")),
        "{messages:?}"
    );
}

#[test]
fn a_municipality_code_resolves_exactly() {
    let d = directory();
    let place = Place {
        municipality: Some(MunicipalityId::new(Country::Be, "10001")),
        ..Place::default()
    };
    assert_eq!(
        d.route(&Competence::Local, &place, date(TODAY)).unwrap(),
        Routing::Routed {
            unit: "zone-west".into(),
            municipality: MunicipalityId::new(Country::Be, "10001"),
            method: RoutingMethod::MunicipalityCode,
            confidence: Confidence::High,
        }
    );
    let unknown = Place {
        municipality: Some(MunicipalityId::new(Country::Be, "99999")),
        ..Place::default()
    };
    assert!(matches!(
        d.route(&Competence::Local, &unknown, date(TODAY)),
        Err(PlaceError::UnknownMunicipality(_))
    ));
}

#[test]
fn a_future_dated_merger_applies_only_from_its_date() {
    let d = directory();
    let place = Place {
        municipality: Some(MunicipalityId::new(Country::Be, "10002")),
        ..Place::default()
    };
    let unit_on = |day: &str| match d.route(&Competence::Local, &place, date(day)).unwrap() {
        Routing::Routed { unit, .. } => unit,
        other => panic!("{other:?}"),
    };
    assert_eq!(unit_on("2027-12-31"), "zone-east");
    assert_eq!(unit_on("2028-01-01"), "zone-merged");
    assert_eq!(d.covered_by("zone-merged", date(TODAY)).len(), 0);
    assert_eq!(d.covered_by("zone-merged", date("2028-06-01")).len(), 2);
}

#[test]
fn points_far_from_borders_are_routed_with_high_confidence() {
    let d = directory();
    match d
        .route(&Competence::Local, &point(50.85, 4.43), date(TODAY))
        .unwrap()
    {
        Routing::Routed {
            unit,
            confidence,
            method,
            ..
        } => {
            assert_eq!(unit, "zone-west");
            assert_eq!(confidence, Confidence::High);
            assert_eq!(method, RoutingMethod::Coordinates);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_point_near_a_border_between_units_is_ambiguous_nearest_first() {
    let d = directory();
    // 0.004° of longitude at 50.85°N is about 280 m west of the border.
    let routing = d
        .route(&Competence::Local, &point(50.85, 4.496), date(TODAY))
        .unwrap();
    let Routing::Ambiguous { candidates, .. } = routing else {
        panic!("{routing:?}")
    };
    let ids: Vec<&str> = candidates.iter().map(|c| c.municipality.as_str()).collect();
    assert_eq!(ids, ["BE-10001", "BE-10002"]);
    assert_eq!(candidates[0].distance_m, Some(0.0));
    let d1 = candidates[1].distance_m.unwrap();
    assert!((250.0..320.0).contains(&d1), "{d1}");
    assert_eq!(candidates[1].unit.as_deref(), Some("zone-east"));
    // After the merger both sides are one unit: routed, with medium confidence.
    let merged = d
        .route(&Competence::Local, &point(50.85, 4.496), date("2028-02-01"))
        .unwrap();
    assert!(
        matches!(merged, Routing::Routed { ref unit, confidence: Confidence::Medium, .. } if unit == "zone-merged"),
        "{merged:?}"
    );
}

#[test]
fn a_postal_code_settles_a_border_case_or_is_ambiguous_alone() {
    let d = directory();
    let mut place = point(50.85, 4.496);
    place.postal_code = Some((Country::Be, "1000".into()));
    assert!(matches!(
        d.route(&Competence::Local, &place, date(TODAY)).unwrap(),
        Routing::Routed { ref unit, method: RoutingMethod::CoordinatesAndPostalCode, confidence: Confidence::Medium, .. } if unit == "zone-west"
    ));
    let shared = Place {
        postal_code: Some((Country::Be, "1001".into())),
        ..Place::default()
    };
    let Routing::Ambiguous {
        candidates,
        method,
        reason,
    } = d.route(&Competence::Local, &shared, date(TODAY)).unwrap()
    else {
        panic!()
    };
    assert_eq!(method, RoutingMethod::PostalCode);
    assert_eq!(reason, AmbiguityReason::SharedPostalCode);
    assert_eq!(candidates.len(), 2);
    let unique = Place {
        postal_code: Some((Country::Be, "1002".into())),
        ..Place::default()
    };
    assert!(matches!(
        d.route(&Competence::Local, &unique, date(TODAY)).unwrap(),
        Routing::Routed {
            method: RoutingMethod::PostalCode,
            ..
        }
    ));
    let unknown = Place {
        postal_code: Some((Country::Be, "9999".into())),
        ..Place::default()
    };
    assert!(d.route(&Competence::Local, &unknown, date(TODAY)).is_err());
}

#[test]
fn outside_every_polygon_is_out_of_area_and_national_ignores_the_place() {
    let d = directory();
    assert_eq!(
        d.route(&Competence::Local, &point(48.0, 2.0), date(TODAY))
            .unwrap(),
        Routing::OutOfArea { country: None }
    );
    let national = Competence::National {
        unit: "national-cyber".into(),
    };
    assert_eq!(
        d.route(&national, &point(48.0, 2.0), date(TODAY)).unwrap(),
        Routing::National {
            unit: "national-cyber".into()
        }
    );
    assert_eq!(
        d.route(&national, &Place::default(), date(TODAY)).unwrap(),
        Routing::National {
            unit: "national-cyber".into()
        }
    );
    assert!(d
        .route(&Competence::Local, &Place::default(), date(TODAY))
        .is_err());
    assert_eq!(
        d.route(&Competence::Local, &point(f64::NAN, 4.0), date(TODAY)),
        Err(PlaceError::InvalidCoordinates)
    );
    assert_eq!(
        d.route(&Competence::Local, &point(91.0, 4.0), date(TODAY)),
        Err(PlaceError::InvalidCoordinates)
    );
}

#[test]
fn a_known_municipality_without_a_unit_is_no_unit() {
    let mut data = fixture();
    data.coverage.retain(|c| c.municipality.code() != "10004");
    let d = Directory::new(data, 1000.0);
    let place = Place {
        municipality: Some(MunicipalityId::new(Country::Be, "10004")),
        ..Place::default()
    };
    assert!(matches!(
        d.route(&Competence::Local, &place, date(TODAY)).unwrap(),
        Routing::NoUnit { .. }
    ));
}

#[test]
fn municipality_ids_parse() {
    assert_eq!(
        MunicipalityId::parse("BE-21004", None).unwrap().as_str(),
        "BE-21004"
    );
    assert_eq!(
        MunicipalityId::parse("21004", Some(Country::Be))
            .unwrap()
            .code(),
        "21004"
    );
    assert_eq!(
        MunicipalityId::parse("ES-CT-08019", None)
            .unwrap()
            .country(),
        Some(Country::EsCt)
    );
    assert!(MunicipalityId::parse("21004", None).is_none());
    assert!(MunicipalityId::parse("BE-21 004", None).is_none());
}

#[test]
fn search_ignores_accents_and_case_and_ranks_prefixes() {
    let mut data = fixture();
    data.municipalities
        .push(municipality("10005", "Liège", &["4000"]));
    data.municipalities.push(municipality(
        "10006",
        "Ottignies-Louvain-la-Neuve",
        &["1340"],
    ));
    data.municipalities
        .push(municipality("10007", "Louveigné", &["4141"]));
    let d = Directory::new(data, 1000.0);
    let names = |q: &str| {
        d.search(Some(Country::Be), q, Lang::Fr, 10)
            .iter()
            .map(|h| h.municipality.name(Lang::Fr).to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(names("LIEGE"), ["Liège"]);
    assert_eq!(names("louv"), ["Louveigné", "Ottignies-Louvain-la-Neuve"]);
    assert_eq!(names("134"), ["Ottignies-Louvain-la-Neuve"]);
    assert!(names("  ").is_empty());
    assert!(d
        .search(Some(Country::Fr), "liege", Lang::Fr, 10)
        .is_empty());
    assert_eq!(fold("Œuvre Ærø Straße"), "oeuvre aero strasse");
    // Decomposed accents (NFD, as macOS and iOS send them) find the same.
    assert_eq!(names("Lie\u{300}ge"), ["Liège"]);
    assert_eq!(names("LIE\u{300}GE"), ["Liège"]);
    assert_eq!(names("Louveigne\u{301}"), ["Louveigné"]);
}

/// The fixture with a default accuracy of 50 m (and the 25 m data margin).
fn precise() -> Directory {
    Directory::new(fixture(), DEFAULT_ACCURACY_M)
}

fn with_accuracy(lat: f64, lon: f64, accuracy_m: f64) -> Place {
    Place {
        point: Some((lat, lon)),
        accuracy_m: Some(accuracy_m),
        ..Place::default()
    }
}

#[test]
fn the_band_is_the_positions_own_accuracy_plus_the_data_margin() {
    let d = precise();
    // About 280 m west of the West|East border.
    let place = point(50.85, 4.496);
    assert!(matches!(
        d.route(&Competence::Local, &place, date(TODAY)).unwrap(),
        Routing::Routed { ref unit, confidence: Confidence::High, .. } if unit == "zone-west"
    ));
    for accuracy in [0.0, 10.0, 200.0] {
        assert!(
            matches!(
                d.route(&Competence::Local, &with_accuracy(50.85, 4.496, accuracy), date(TODAY)).unwrap(),
                Routing::Routed { ref unit, .. } if unit == "zone-west"
            ),
            "{accuracy}"
        );
    }
    // A 300 m circle (plus 25 m) crosses into East, another unit.
    let routing = d
        .route(
            &Competence::Local,
            &with_accuracy(50.85, 4.496, 300.0),
            date(TODAY),
        )
        .unwrap();
    let Routing::Ambiguous {
        candidates, reason, ..
    } = routing
    else {
        panic!("{routing:?}")
    };
    assert_eq!(reason, AmbiguityReason::NearBorder);
    assert_eq!(candidates.len(), 2);
    assert_eq!(candidates[0].name(Lang::En), "West");
    assert_eq!(candidates[1].name(Lang::Nl), "East");
    // No accuracy: the configured default applies.
    assert!(matches!(
        Directory::new(fixture(), 400.0)
            .route(&Competence::Local, &place, date(TODAY))
            .unwrap(),
        Routing::Ambiguous { .. }
    ));
    // An accuracy that is not a distance is refused.
    for bad in [-1.0, f64::NAN, f64::INFINITY] {
        assert_eq!(
            d.route(
                &Competence::Local,
                &with_accuracy(50.85, 4.43, bad),
                date(TODAY)
            ),
            Err(PlaceError::InvalidAccuracy)
        );
    }
}

#[test]
fn a_point_outside_every_polygon_is_never_routed() {
    let d = precise();
    // About 100 m, 50 m and 21 m east of Far's eastern edge (lon 5.6).
    for (accuracy, lon) in [(500.0, 5.6014), (100.0, 5.6007), (0.0, 5.6003)] {
        let routing = d
            .route(
                &Competence::Local,
                &with_accuracy(50.05, lon, accuracy),
                date(TODAY),
            )
            .unwrap();
        match routing {
            Routing::Ambiguous {
                candidates, reason, ..
            } => {
                // A single candidate, with a reason saying the point is outside: never
                // "several municipalities served by different units".
                assert_eq!(reason, AmbiguityReason::OutsideNearEdge, "{lon}");
                assert_eq!(candidates.len(), 1);
                assert!(candidates[0].distance_m.unwrap() > 0.0);
            }
            other => panic!("{lon}: {other:?}"),
        }
    }
    // Beyond the circle: out of area.
    assert_eq!(
        d.route(
            &Competence::Local,
            &with_accuracy(50.05, 5.603, 10.0),
            date(TODAY)
        )
        .unwrap(),
        Routing::OutOfArea { country: None }
    );
}

#[test]
fn disagreeing_place_fields_are_ambiguous_with_both_sides() {
    let d = precise();
    // A point in West with the municipality East.
    let place = Place {
        municipality: Some(MunicipalityId::new(Country::Be, "10002")),
        point: Some((50.85, 4.43)),
        ..Place::default()
    };
    let routing = d.route(&Competence::Local, &place, date(TODAY)).unwrap();
    let Routing::Ambiguous {
        candidates, reason, ..
    } = routing
    else {
        panic!("{routing:?}")
    };
    assert_eq!(reason, AmbiguityReason::PlaceFieldsDisagree);
    let ids: Vec<&str> = candidates.iter().map(|c| c.municipality.as_str()).collect();
    assert_eq!(ids, ["BE-10002", "BE-10001"]);
    assert_eq!(candidates[0].name(Lang::Fr), "East");
    assert_eq!(candidates[1].name(Lang::Fr), "West");
    // The same municipality as the point: routed by the municipality.
    let agreeing = Place {
        municipality: Some(MunicipalityId::new(Country::Be, "10001")),
        point: Some((50.85, 4.43)),
        ..Place::default()
    };
    assert!(matches!(
        d.route(&Competence::Local, &agreeing, date(TODAY)).unwrap(),
        Routing::Routed { ref unit, method: RoutingMethod::MunicipalityCode, .. } if unit == "zone-west"
    ));
    // Near the border, the citizen's municipality settles it (no disagreement).
    let chosen = Place {
        municipality: Some(MunicipalityId::new(Country::Be, "10002")),
        point: Some((50.85, 4.4995)),
        ..Place::default()
    };
    assert!(matches!(
        d.route(&Competence::Local, &chosen, date(TODAY)).unwrap(),
        Routing::Routed { ref unit, .. } if unit == "zone-east"
    ));
    // A point in West with the postal code of Far only.
    let mut postal = point(50.85, 4.43);
    postal.postal_code = Some((Country::Be, "3000".into()));
    let Routing::Ambiguous {
        candidates, reason, ..
    } = d.route(&Competence::Local, &postal, date(TODAY)).unwrap()
    else {
        panic!()
    };
    assert_eq!(reason, AmbiguityReason::PlaceFieldsDisagree);
    let ids: Vec<&str> = candidates.iter().map(|c| c.municipality.as_str()).collect();
    assert_eq!(ids, ["BE-10001", "BE-10003"]);
    // A municipality with a postal code of another one.
    let mixed = Place {
        municipality: Some(MunicipalityId::new(Country::Be, "10003")),
        postal_code: Some((Country::Be, "B-1002".into())),
        ..Place::default()
    };
    assert!(matches!(
        d.route(&Competence::Local, &mixed, date(TODAY)).unwrap(),
        Routing::Ambiguous { reason: AmbiguityReason::PlaceFieldsDisagree, ref candidates, .. } if candidates.len() == 2
    ));
    // A point abroad with a municipality that has a shape: disagreeing too.
    let abroad = Place {
        municipality: Some(MunicipalityId::new(Country::Be, "10001")),
        point: Some((48.0, 2.0)),
        ..Place::default()
    };
    assert!(matches!(
        d.route(&Competence::Local, &abroad, date(TODAY)).unwrap(),
        Routing::Ambiguous {
            reason: AmbiguityReason::PlaceFieldsDisagree,
            ..
        }
    ));
    // A municipality without a shape cannot be checked against the point.
    let unshaped = Place {
        municipality: Some(MunicipalityId::new(Country::Be, "10004")),
        point: Some((50.85, 4.43)),
        ..Place::default()
    };
    assert!(matches!(
        d.route(&Competence::Local, &unshaped, date(TODAY)).unwrap(),
        Routing::Routed { ref unit, .. } if unit == "zone-east"
    ));
}

#[test]
fn postal_codes_are_normalised_and_unknown_ones_say_so() {
    let d = precise();
    for raw in ["1002", " 1002", "B-1002", "b1002", "BE-1002 "] {
        let place = Place {
            postal_code: Some((Country::Be, raw.into())),
            ..Place::default()
        };
        assert!(
            matches!(
                d.route(&Competence::Local, &place, date(TODAY)).unwrap(),
                Routing::Routed { ref unit, .. } if unit == "zone-east"
            ),
            "{raw}"
        );
    }
    let unknown = Place {
        postal_code: Some((Country::Be, " B-9999".into())),
        ..Place::default()
    };
    let error = d
        .route(&Competence::Local, &unknown, date(TODAY))
        .unwrap_err();
    assert_eq!(
        error,
        PlaceError::UnknownPostalCode(Country::Be, "9999".into())
    );
    assert_eq!(error.code(), "postal_code_not_found");
    assert_eq!(error.member(), "/postal_code");
    // A country without any directory data: a clear "no unit", not an error.
    let elsewhere = Place {
        postal_code: Some((Country::EsCt, "08001".into())),
        ..Place::default()
    };
    assert_eq!(
        d.route(&Competence::Local, &elsewhere, date(TODAY))
            .unwrap(),
        Routing::OutOfArea {
            country: Some(Country::EsCt)
        }
    );
    let municipality = Place {
        municipality: MunicipalityId::parse("ES-CT-08019", None),
        ..Place::default()
    };
    assert_eq!(
        d.route(&Competence::Local, &municipality, date(TODAY))
            .unwrap(),
        Routing::OutOfArea {
            country: Some(Country::EsCt)
        }
    );
    assert_eq!(
        PlaceError::UnknownMunicipality("BE-1".into()).code(),
        "municipality_not_found"
    );
}

#[test]
fn a_municipality_served_by_district_routes_its_parts() {
    let mut data = fixture();
    let city = MunicipalityId::new(Country::Be, "20000");
    let mut whole = municipality("20000", "City", &["2000"]);
    whole.languages = vec![Lang::Nl];
    data.municipalities.push(whole);
    for (code, lon) in [("20000-1", 6.0), ("20000-2", 6.1)] {
        let mut part = municipality(code, &format!("City {code}"), &[]);
        part.part_of = Some(city.clone());
        data.municipalities.push(part);
        data.shapes.push(Shape {
            municipality: MunicipalityId::new(Country::Be, code),
            polygons: square(lon, 50.0, 0.1),
        });
    }
    data.coverage
        .push(cover("zone-west", "20000-1", None, None));
    data.coverage
        .push(cover("zone-east", "20000-2", None, None));
    assert!(data.validate().is_empty(), "{:?}", data.validate());
    let d = Directory::new(data, DEFAULT_ACCURACY_M);
    // By point: the district's unit.
    assert!(matches!(
        d.route(&Competence::Local, &point(50.05, 6.15), date(TODAY)).unwrap(),
        Routing::Routed { ref unit, .. } if unit == "zone-east"
    ));
    // By the city's code or postal code: the districts to choose from.
    for place in [
        Place {
            municipality: Some(city.clone()),
            ..Place::default()
        },
        Place {
            postal_code: Some((Country::Be, "2000".into())),
            ..Place::default()
        },
    ] {
        let routing = d.route(&Competence::Local, &place, date(TODAY)).unwrap();
        let Routing::Ambiguous {
            candidates, reason, ..
        } = routing
        else {
            panic!("{routing:?}")
        };
        assert_eq!(reason, AmbiguityReason::MunicipalitySplit);
        assert_eq!(candidates.len(), 2);
    }
    // The city with a point in one district: that district.
    let both = Place {
        municipality: Some(city),
        point: Some((50.05, 6.05)),
        ..Place::default()
    };
    assert!(matches!(
        d.route(&Competence::Local, &both, date(TODAY)).unwrap(),
        Routing::Routed { ref unit, .. } if unit == "zone-west"
    ));
}

#[test]
fn names_in_a_language_a_place_has_no_name_in_are_its_own_official_name() {
    let voeren = Municipality {
        id: MunicipalityId::new(Country::Be, "73109"),
        country: Country::Be,
        names: [
            (Lang::Fr, "Fourons".to_owned()),
            (Lang::Nl, "Voeren".to_owned()),
            (Lang::De, "Voeren".to_owned()),
        ]
        .into(),
        languages: vec![Lang::Nl],
        part_of: None,
        postal_codes: vec!["3790".into()],
    };
    for lang in [Lang::En, Lang::Es, Lang::Ca, Lang::Nl, Lang::Lb] {
        assert_eq!(voeren.name(lang), "Voeren", "{lang}");
    }
    assert_eq!(voeren.name(Lang::Fr), "Fourons");
    let mut sankt_vith = voeren.clone();
    sankt_vith.names = [
        (Lang::Fr, "Saint-Vith".to_owned()),
        (Lang::Nl, "Sankt Vith".to_owned()),
        (Lang::De, "Sankt Vith".to_owned()),
    ]
    .into();
    sankt_vith.languages = vec![Lang::De];
    for lang in [Lang::En, Lang::Es, Lang::Ca] {
        assert_eq!(sankt_vith.name(lang), "Sankt Vith", "{lang}");
    }
    let mut brussels = voeren.clone();
    brussels.names = [
        (Lang::Fr, "Bruxelles".to_owned()),
        (Lang::Nl, "Brussel".to_owned()),
        (Lang::En, "Brussels".to_owned()),
    ]
    .into();
    brussels.languages = vec![Lang::Fr, Lang::Nl];
    assert_eq!(brussels.name(Lang::En), "Brussels", "an established exonym");
    assert_eq!(brussels.name(Lang::Es), "Bruxelles");
    assert_eq!(brussels.name(Lang::Nl), "Brussel");
}

#[test]
fn former_names_find_the_municipality_they_merged_into() {
    let mut data = fixture();
    data.former_names.push(FormerName {
        name: "Galmaarden".into(),
        municipality: MunicipalityId::new(Country::Be, "10002"),
        since: Some(date("2025-01-01")),
        kind: FormerNameKind::MergedMunicipality,
    });
    assert!(data.validate().is_empty());
    let d = Directory::new(data, DEFAULT_ACCURACY_M);
    let hits = d.search(Some(Country::Be), "galmaa", Lang::En, 10);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].municipality.name(Lang::Fr), "East");
    assert_eq!(hits[0].via.map(|f| f.name.as_str()), Some("Galmaarden"));
    // A name matching directly comes first and without `via`.
    let hits = d.search(Some(Country::Be), "east", Lang::En, 10);
    assert!(hits[0].via.is_none());
    assert!(d
        .search(Some(Country::Fr), "galmaarden", Lang::En, 10)
        .is_empty());
    let mut broken = fixture();
    broken.former_names.push(FormerName {
        name: "Nowhere".into(),
        municipality: MunicipalityId::new(Country::Be, "99999"),
        since: None,
        kind: FormerNameKind::PostalLocality,
    });
    assert_eq!(broken.validate().len(), 1);
}

#[test]
fn contact_values_keep_their_date_and_source() {
    let mut contact = Contact::default();
    let provenance = Provenance {
        data_as_of: Some("2023-11".into()),
        source: Some("synthetic".into()),
    };
    contact.set(
        ContactField::Phone,
        Some("+3221234567".into()),
        provenance.clone(),
    );
    assert_eq!(contact.get(ContactField::Phone), Some("+3221234567"));
    assert_eq!(
        contact.provenance.get(&ContactField::Phone),
        Some(&provenance)
    );
    contact.set(ContactField::Phone, None, provenance);
    assert!(contact.is_empty());
    assert!(contact.provenance.is_empty());
    let d = precise();
    let mut updated_contact = Contact::default();
    updated_contact.set(
        ContactField::Email,
        Some("zone@example.invalid".into()),
        Provenance::default(),
    );
    let updated = d.with_unit_contact("zone-west", updated_contact).unwrap();
    assert_eq!(
        updated.unit_contact("zone-west").unwrap().email.as_deref(),
        Some("zone@example.invalid")
    );
    assert!(d.unit_contact("zone-west").unwrap().is_empty());
    assert!(d
        .with_unit_contact("no-such-unit", Contact::default())
        .is_none());
}

#[test]
fn french_forces_keep_commissariats_and_brigades_apart() {
    assert_eq!(
        french_force("PN"),
        Some((UnitKind::Commissariat, "police_nationale"))
    );
    assert_eq!(
        french_force(" gendarmerie nationale"),
        Some((UnitKind::GendarmerieBrigade, "gendarmerie_nationale"))
    );
    assert_eq!(french_force("XX"), None);
}

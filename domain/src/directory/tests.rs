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
    let Routing::Ambiguous { candidates, method } =
        d.route(&Competence::Local, &shared, date(TODAY)).unwrap()
    else {
        panic!()
    };
    assert_eq!(method, RoutingMethod::PostalCode);
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
            .map(|m| m.name(Lang::Fr).to_owned())
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
}

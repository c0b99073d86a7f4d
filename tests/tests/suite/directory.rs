//! The reference directory: import (idempotent, all or nothing), and routing of every
//! case of the shared routing files (Belgium's landmarks and borders, the national
//! borders, Baarle, Catalonia), of every Belgian municipality and postal code, and the
//! data the bundle carries (Luxembourg's communes, Val-d'Oise's units, contacts, former
//! names).

use chrono::{NaiveDate, Utc};
use domain::catalogue::{Competence, Country};
use domain::directory::{
    AmbiguityReason, ContactField, Directory, MunicipalityId, Place, Routing, UnitKind,
    DEFAULT_ACCURACY_M,
};
use domain::i18n::Lang;
use persistence::directory::{self, BundleFiles, ImportError, ImportOutcome};
use std::time::Instant;
use tests::TestDb;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

fn loaded() -> (TestDb, Directory) {
    let db = TestDb::new();
    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    let started = Instant::now();
    let outcome = directory::ensure_reference(&mut conn, Utc::now()).unwrap();
    assert!(
        matches!(outcome, ImportOutcome::Imported { .. }),
        "{outcome:?}"
    );
    eprintln!("reference import: {:?}", started.elapsed());
    let started = Instant::now();
    let data = directory::load(&mut conn).unwrap();
    let directory = Directory::new(data, DEFAULT_ACCURACY_M);
    eprintln!("load and index: {:?}", started.elapsed());
    (db, directory)
}

fn at(lat: f64, lon: f64) -> Place {
    Place {
        point: Some((lat, lon)),
        ..Place::default()
    }
}

fn route(directory: &Directory, place: &Place) -> Routing {
    directory.route(&Competence::Local, place, today()).unwrap()
}

const MUNICIPALITIES: usize = 565 + 100 + 1365 + 947 + 10;
const UNITS: usize = 176 + 2 + 2 + 21 + 59;
const COVERAGE: usize = 565 + 100 + 183 + 946 + 10;
const SHAPES: usize = 565 + 100 + 1365 + 946 + 10;

#[test]
fn the_reference_imports_once_and_loads() {
    let db = TestDb::new();
    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    let first = directory::ensure_reference(&mut conn, Utc::now()).unwrap();
    let ImportOutcome::Imported {
        counts, warnings, ..
    } = first
    else {
        panic!("{first:?}")
    };
    // Every Belgian, Luxembourg and Catalan municipality has its unit; France is loaded
    // in part (Val-d'Oise), and says so in one line.
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("FR: 1182 municipalities are covered by no unit"),
        "{warnings:?}"
    );
    assert_eq!(counts.municipalities, MUNICIPALITIES);
    assert_eq!(counts.units, UNITS);
    assert_eq!(counts.shapes, SHAPES);
    let second = directory::ensure_reference(&mut conn, Utc::now()).unwrap();
    assert!(
        matches!(second, ImportOutcome::Unchanged { .. }),
        "{second:?}"
    );
    let data = directory::load(&mut conn).unwrap();
    assert_eq!(data.municipalities.len(), MUNICIPALITIES);
    assert_eq!(data.coverage.len(), COVERAGE);
    assert_eq!(data.shapes.len(), SHAPES);
    assert!(data.former_names.len() > 20);
    assert!(
        data.validate().iter().all(|i| !i.is_error),
        "{:?}",
        data.validate().first()
    );
}

fn reference_csv(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../data/reference/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn every_belgian_municipality_resolves_by_code_to_its_zone() {
    let (_db, directory) = loaded();
    let mut checked = 0;
    for line in reference_csv("coverage.csv")
        .lines()
        .skip(1)
        .filter(|l| l.contains(",BE-"))
    {
        let mut fields = line.split(',');
        let (zone, municipality) = (fields.next().unwrap(), fields.next().unwrap());
        let place = Place {
            municipality: MunicipalityId::parse(municipality, None),
            ..Place::default()
        };
        match route(&directory, &place) {
            Routing::Routed { unit, .. } => assert_eq!(unit, zone, "{municipality}"),
            other => panic!("{municipality}: {other:?}"),
        }
        checked += 1;
    }
    assert_eq!(checked, 565);
}

#[test]
fn every_belgian_postal_code_resolves_or_is_ambiguous_with_the_right_candidates() {
    let (_db, directory) = loaded();
    let mut by_postal: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    let content = reference_csv("municipalities.csv");
    let mut reader = csv_reader(&content);
    for row in reader.records() {
        let row = row.unwrap();
        if &row[1] == "BE" {
            for postal in row[11].split_whitespace() {
                by_postal
                    .entry(postal.to_owned())
                    .or_default()
                    .push(row[0].to_owned());
            }
        }
    }
    assert!(by_postal.len() > 1100);
    let mut shared = 0;
    for (postal, expected) in &by_postal {
        // Every usual written form of the code resolves alike.
        for written in [postal.clone(), format!("B-{postal}"), format!(" {postal}")] {
            let place = Place {
                postal_code: Some((Country::Be, written.clone())),
                ..Place::default()
            };
            match route(&directory, &place) {
                Routing::Routed { municipality, .. } => {
                    assert_eq!(expected, &vec![municipality.to_string()], "{written}");
                }
                Routing::Ambiguous {
                    candidates, reason, ..
                } => {
                    assert_eq!(reason, AmbiguityReason::SharedPostalCode);
                    let mut got: Vec<String> = candidates
                        .iter()
                        .map(|c| c.municipality.to_string())
                        .collect();
                    got.sort();
                    let mut want = expected.clone();
                    want.sort();
                    assert_eq!(got, want, "{written}");
                    assert!(candidates.iter().all(|c| c.unit.is_some()));
                    assert!(candidates.iter().all(|c| !c.name(Lang::En).is_empty()));
                    if written == *postal {
                        shared += 1;
                    }
                }
                other => panic!("{written}: {other:?}"),
            }
        }
    }
    assert_eq!(shared, 3, "the bundle documents 3 shared postal codes");
}

fn csv_reader(content: &str) -> csv::Reader<&[u8]> {
    csv::Reader::from_reader(content.as_bytes())
}

/// The regenerated routing cases of the rebuilt Belgian layer: landmarks and zone
/// borders (points 150 m from a border) route with a phone's accuracy; a circle wider
/// than the distance to the border makes a border point ambiguous between the two
/// zones; outside points are out of the area.
#[test]
fn every_row_of_the_shared_routing_cases() {
    let (_db, directory) = loaded();
    let content = fixture("routing_cases.csv");
    let mut reader = csv_reader(&content);
    let mut counted = 0;
    for row in reader.records() {
        let row = row.unwrap();
        let (case, category) = (&row[0], &row[1]);
        let (lat, lon): (f64, f64) = (row[3].parse().unwrap(), row[4].parse().unwrap());
        let expected_nis = &row[5];
        let expected_zone = &row[9];
        let own_border: f64 = row[13].parse().unwrap();
        let routing = route(&directory, &at(lat, lon));
        counted += 1;
        if category == "outside" {
            // Never a Belgian unit (Luxembourg City routes to Luxembourg's team).
            match &routing {
                Routing::OutOfArea { country: None } => {}
                Routing::Routed { municipality, .. } => {
                    assert_ne!(municipality.country(), Some(Country::Be), "{case}")
                }
                other => panic!("{case}: {other:?}"),
            }
            continue;
        }
        let expected_municipality = format!("BE-{expected_nis}");
        match &routing {
            Routing::Routed {
                unit,
                municipality,
                confidence,
                ..
            } => {
                assert_eq!(unit, expected_zone, "{case}");
                assert_eq!(municipality.as_str(), expected_municipality, "{case}");
                assert_eq!(confidence.as_str(), "high", "{case}");
            }
            other => panic!("{case} ({own_border} m from its border): {other:?}"),
        }
        if category == "border" {
            // The phone reports 200 m: the circle crosses into the other zone.
            let mut wide = at(lat, lon);
            wide.accuracy_m = Some(200.0);
            let Routing::Ambiguous {
                candidates, reason, ..
            } = route(&directory, &wide)
            else {
                panic!("{case} with 200 m")
            };
            assert_eq!(reason, AmbiguityReason::NearBorder, "{case}");
            assert_eq!(
                candidates[0].municipality.as_str(),
                expected_municipality,
                "{case}: most likely first"
            );
            assert_eq!(candidates[0].distance_m, Some(0.0), "{case}");
            let units: std::collections::HashSet<_> =
                candidates.iter().map(|c| c.unit.clone()).collect();
            assert!(units.len() >= 2, "{case}: ambiguous only between units");
        }
    }
    assert_eq!(counted, 29);
}

#[test]
fn the_grand_place_is_routed_with_high_confidence() {
    let (_db, directory) = loaded();
    for accuracy in [None, Some(5.0), Some(65.0), Some(300.0)] {
        let mut place = at(50.846750, 4.352470);
        place.accuracy_m = accuracy;
        assert!(
            matches!(
                route(&directory, &place),
                Routing::Routed { ref unit, confidence, .. }
                    if unit == "pz-brussel-hoofdstad-elsene" && confidence.as_str() == "high"
            ),
            "{accuracy:?}"
        );
    }
}

/// Points 100–300 m from the national border: the Belgian side routes to its zone, the
/// foreign side is never routed to a Belgian unit.
#[test]
fn national_border_points_route_on_their_side() {
    let (_db, directory) = loaded();
    let content = fixture("border_cases_2.csv");
    let mut reader = csv_reader(&content);
    let mut counted = 0;
    for row in reader.records() {
        let row = row.unwrap();
        let case = &row[0];
        let (lat, lon): (f64, f64) = (row[3].parse().unwrap(), row[4].parse().unwrap());
        let (expected_nis, expected_zone) = (&row[5], &row[9]);
        counted += 1;
        let routing = route(&directory, &at(lat, lon));
        if expected_nis.is_empty() {
            assert!(
                !matches!(routing, Routing::Routed { .. }),
                "{case}: {routing:?}"
            );
            // Even with a poor fix reaching Belgium, a foreign point is not routed.
            let mut wide = at(lat, lon);
            wide.accuracy_m = Some(1000.0);
            let routing = route(&directory, &wide);
            assert!(
                matches!(
                    routing,
                    Routing::Ambiguous {
                        reason: AmbiguityReason::OutsideNearEdge,
                        ..
                    }
                ),
                "{case}: {routing:?}"
            );
            continue;
        }
        match routing {
            Routing::Routed {
                unit, municipality, ..
            } => {
                assert_eq!(
                    municipality.as_str(),
                    format!("BE-{expected_nis}"),
                    "{case}"
                );
                assert_eq!(unit, expected_zone, "{case}");
            }
            other => panic!("{case}: {other:?}"),
        }
    }
    assert_eq!(counted, 8);
}

/// Baarle-Hertog's exclaves route to PZ Regio Turnhout; the Dutch enclaves and the
/// Dutch land between the exclaves are not Belgian.
#[test]
fn baarle_exclaves_and_enclaves() {
    let (_db, directory) = loaded();
    let content = fixture("baarle_cases.csv");
    let mut reader = csv_reader(&content);
    let mut counted = 0;
    let mut cases: Vec<(String, f64, f64, String)> = Vec::new();
    for row in reader.records() {
        let row = row.unwrap();
        cases.push((
            row[0].to_owned(),
            row[3].parse().unwrap(),
            row[4].parse().unwrap(),
            row[5].to_owned(),
        ));
    }
    // The example of the issue: Baarle-Nassau, between the exclaves.
    cases.push(("issue".into(), 51.4475, 4.92917, "NOT_BELGIUM".into()));
    for (case, lat, lon, expected) in cases {
        counted += 1;
        let routing = route(&directory, &at(lat, lon));
        if expected == "NOT_BELGIUM" {
            assert!(
                !matches!(routing, Routing::Routed { .. } | Routing::NoUnit { .. }),
                "{case}: {routing:?}"
            );
            if let Routing::Ambiguous { reason, .. } = &routing {
                assert_eq!(*reason, AmbiguityReason::OutsideNearEdge, "{case}");
            }
        } else {
            assert!(
                matches!(
                    routing,
                    Routing::Routed { ref unit, ref municipality, .. }
                        if unit == "pz-regio-turnhout" && municipality.as_str() == format!("BE-{expected}")
                ),
                "{case}: {routing:?}"
            );
        }
    }
    assert_eq!(counted, 6);
}

#[test]
fn luxembourg_places_given_by_gps_route_as_their_postal_code_does() {
    let (_db, directory) = loaded();
    let by_gps = route(&directory, &at(49.6116, 6.1319));
    let Routing::Routed {
        unit, municipality, ..
    } = by_gps
    else {
        panic!("{by_gps:?}")
    };
    assert_eq!(municipality.as_str(), "LU-luxembourg");
    assert_eq!(unit, "lu-e-commissariat");
    for written in ["2449", "L-2449", "l-2449", "L2449", " 2449"] {
        let by_postal = Place {
            postal_code: Some((Country::Lu, written.into())),
            ..Place::default()
        };
        assert!(
            matches!(
                route(&directory, &by_postal),
                Routing::Routed { unit: ref u, municipality: ref m, .. }
                    if u == &unit && m == &municipality
            ),
            "{written}"
        );
    }
    // Thionville, across the border: not Luxembourg.
    assert!(!matches!(
        route(&directory, &at(49.3579, 6.1686)),
        Routing::Routed { .. }
    ));
}

/// Catalonia's shared routing cases, Llívia (the Spanish exclave inside France), and
/// Barcelona served by district.
#[test]
fn catalan_places_route_to_their_abp() {
    let (_db, directory) = loaded();
    let content = fixture("es_ct_routing_cases.csv");
    let mut reader = csv_reader(&content);
    let mut counted = 0;
    for row in reader.records() {
        let row = row.unwrap();
        let case = &row[0];
        let (lat, lon): (f64, f64) = (row[3].parse().unwrap(), row[4].parse().unwrap());
        let routing = route(&directory, &at(lat, lon));
        counted += 1;
        if &row[1] == "outside" {
            assert!(
                !matches!(routing, Routing::Routed { .. }),
                "{case}: {routing:?}"
            );
            continue;
        }
        let Routing::Routed {
            unit, municipality, ..
        } = &routing
        else {
            panic!("{case}: {routing:?}")
        };
        assert_eq!(unit, &format!("es-ct-abp-{}", &row[7]), "{case}");
        let parent = directory
            .municipality(municipality)
            .and_then(|m| m.part_of.clone())
            .unwrap_or_else(|| municipality.clone());
        assert_eq!(parent.as_str(), format!("ES-CT-{}", &row[5]), "{case}");
        assert_eq!(
            directory.unit(unit).unwrap().kind,
            UnitKind::BasicPoliceArea
        );
    }
    assert_eq!(counted, 15);
    // Llívia, inside France: ABP Cerdanya.
    assert!(matches!(
        route(&directory, &at(42.4651, 1.9818)),
        Routing::Routed { ref unit, ref municipality, .. }
            if unit == "es-ct-abp-32" && municipality.as_str() == "ES-CT-17094"
    ));
    // Puigcerdà's neighbour across the border (Bourg-Madame, France): not Catalan.
    assert!(!matches!(
        route(&directory, &at(42.4325, 1.9443)),
        Routing::Routed { .. }
    ));
    // Barcelona by code or postal code: its 10 district ABPs to choose from.
    for place in [
        Place {
            municipality: MunicipalityId::parse("ES-CT-08019", None),
            ..Place::default()
        },
        Place {
            postal_code: Some((Country::EsCt, "08001".into())),
            ..Place::default()
        },
    ] {
        let Routing::Ambiguous {
            candidates, reason, ..
        } = route(&directory, &place)
        else {
            panic!("{place:?}")
        };
        assert_eq!(reason, AmbiguityReason::MunicipalitySplit);
        assert_eq!(candidates.len(), 10);
        assert!(candidates
            .iter()
            .all(|c| c.name(Lang::Es).starts_with("Barcelona – ")));
    }
    // A unique Catalan postal code routes; its name in Spanish is the Catalan one.
    let girona = Place {
        postal_code: Some((Country::EsCt, "17004".into())),
        ..Place::default()
    };
    let Routing::Routed { municipality, .. } = route(&directory, &girona) else {
        panic!()
    };
    assert_eq!(
        directory
            .municipality(&municipality)
            .unwrap()
            .name(Lang::Es),
        "Girona"
    );
}

/// Val-d'Oise: 183 communes, each routed to its commissariat or gendarmerie brigade,
/// with the unit's address and phone.
#[test]
fn val_d_oise_communes_reach_their_commissariat_or_brigade() {
    let (_db, directory) = loaded();
    let content = fixture("fr_competence.csv");
    let mut reader = csv_reader(&content);
    let (mut police, mut gendarmerie) = (0, 0);
    for row in reader.records() {
        let row = row.unwrap();
        let place = Place {
            municipality: MunicipalityId::parse(&format!("FR-{}", &row[0]), None),
            ..Place::default()
        };
        let Routing::Routed { unit, .. } = route(&directory, &place) else {
            panic!("{}", &row[0])
        };
        let unit = directory.unit(&unit).unwrap();
        assert_eq!(unit.name(Lang::Fr), &row[4]);
        match &row[3] {
            "PN" => {
                police += 1;
                assert_eq!(unit.kind, UnitKind::Commissariat);
                assert_eq!(unit.institution.as_deref(), Some("police_nationale"));
            }
            _ => {
                gendarmerie += 1;
                assert_eq!(unit.kind, UnitKind::GendarmerieBrigade);
                assert_eq!(unit.institution.as_deref(), Some("gendarmerie_nationale"));
            }
        }
        assert_eq!(unit.contact.phone.as_deref(), Some(&row[9]));
        assert_eq!(
            unit.contact
                .provenance
                .get(&ContactField::Phone)
                .and_then(|p| p.data_as_of.as_deref()),
            Some("2026-08")
        );
    }
    assert_eq!((police, gendarmerie), (47, 136));
    // By GPS too: Cergy's prefecture.
    assert!(matches!(
        route(&directory, &at(49.0365, 2.0761)),
        Routing::Routed { ref unit, .. } if unit == "fr-pn-commissariat-de-police-de-cergy"
    ));
}

#[test]
fn belgian_zones_carry_their_dated_contacts() {
    let (_db, directory) = loaded();
    let contact = directory.unit_contact("pz-pajottenland").unwrap();
    assert_eq!(contact.phone.as_deref(), Some("+3254313501"));
    assert!(contact
        .address
        .as_deref()
        .unwrap()
        .contains("Edingsesteenweg 308"));
    let phone = contact.provenance.get(&ContactField::Phone).unwrap();
    assert_eq!(phone.data_as_of.as_deref(), Some("2023-11"));
    assert!(phone.source.as_deref().unwrap().contains("lblod"));
    let with_contact = directory
        .units()
        .filter(|u| u.country == Country::Be && !u.contact.is_empty())
        .count();
    assert_eq!(
        with_contact, 125,
        "README §15: 125 zones have some contact data"
    );
    assert!(directory.unit_contact("no-such-unit").is_none());
}

#[test]
fn names_in_languages_a_municipality_has_no_name_in() {
    let (_db, directory) = loaded();
    let name = |id: &str, lang: Lang| {
        directory.municipality_name(&MunicipalityId::parse(id, None).unwrap(), lang)
    };
    for lang in [Lang::En, Lang::Es, Lang::Ca] {
        assert_eq!(name("BE-73109", lang), "Voeren", "{lang}");
        assert_eq!(name("BE-24062", lang), "Leuven", "{lang}");
        assert_eq!(name("BE-63067", lang), "Sankt Vith", "{lang}");
        assert_eq!(name("BE-62063", lang), "Liège", "{lang}");
    }
    assert_eq!(name("BE-73109", Lang::Fr), "Fourons");
    assert_eq!(name("BE-24062", Lang::De), "Löwen");
    assert_eq!(name("BE-21004", Lang::En), "Brussels");
    assert_eq!(name("BE-11002", Lang::En), "Antwerp");
    assert_eq!(name("ES-CT-17079", Lang::Fr), "Girona");
}

#[test]
fn old_names_of_merged_municipalities_and_postal_localities_are_found() {
    let (_db, directory) = loaded();
    for (query, expected) in [
        ("Galmaarden", "BE-23106"),
        ("gooik", "BE-23106"),
        ("Borsbeek", "BE-11002"),
        ("Kortessem", "BE-71072"),
        ("Bertogne", "BE-82039"),
        ("Moerbeke", "BE-46029"),
    ] {
        let hits = directory.search(Some(Country::Be), query, Lang::Nl, 10);
        let hit = hits
            .iter()
            .find(|h| h.municipality.id.as_str() == expected)
            .unwrap_or_else(|| panic!("{query}: {hits:?}"));
        let via = hit.via.unwrap();
        assert_eq!(via.since, NaiveDate::from_ymd_opt(2025, 1, 1));
    }
    // Luxembourg's postal localities lead to their commune (Wahl → Groussbus-Wal).
    let hits = directory.search(Some(Country::Lu), "Wahl", Lang::Fr, 10);
    assert!(
        hits.iter()
            .any(|h| h.municipality.id.as_str() == "LU-groussbus-wal" && h.via.is_some()),
        "{hits:?}"
    );
}

#[test]
fn a_broken_import_leaves_the_previous_data_intact_and_dry_runs_write_nothing() {
    let db = TestDb::new();
    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    directory::ensure_reference(&mut conn, Utc::now()).unwrap();
    let before = directory::load(&mut conn).unwrap();

    // An operator dataset with a bad row: reported with file, line and field.
    let operator = tempfile::tempdir().unwrap();
    std::fs::write(operator.path().join("directory.toml"), "dataset = \"operator-fr\"\nversion = \"1\"\n[defaults.FR]\ntimezone = \"Europe/Paris\"\nhours = \"mo-fr 09:00-17:00\"\n").unwrap();
    std::fs::write(
        operator.path().join("fr_territorial_competence.csv"),
        "commune_code,institution,service_id,service_name,postal_codes\n59350,PN,0001,Commissariat central de Lille (SYNTHETIC TEST FIXTURE),59000\n59009,XX,0002,Brigade (SYNTHETIC),59491\n",
    )
    .unwrap();
    let files = BundleFiles::from_folder(operator.path()).unwrap();
    let errors = directory::read_bundle(&files).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].to_string(), "fr_territorial_competence.csv:3: field `institution`: `xx` is neither police (PN) nor gendarmerie (GN)");

    // A coverage of an unknown municipality is refused as a whole: nothing written.
    std::fs::write(
        operator.path().join("fr_territorial_competence.csv"),
        "commune_code,institution,service_id,service_name,postal_codes\n59350,PN,0001,Commissariat central de Lille (SYNTHETIC TEST FIXTURE),59000\n99999,GN,0002,Brigade (SYNTHETIC),\n",
    )
    .unwrap();
    let bundle =
        directory::read_bundle(&BundleFiles::from_folder(operator.path()).unwrap()).unwrap();
    let failed = directory::import(&mut conn, &bundle, false, Utc::now(), &mut |_, _, _| {});
    let Err(ImportError::Invalid(issues)) = failed else {
        panic!("{failed:?}")
    };
    assert!(issues.iter().any(|i| i.contains("FR-99999")), "{issues:?}");
    let after = directory::load(&mut conn).unwrap();
    assert_eq!(after.units.len(), before.units.len());
    assert_eq!(after.coverage.len(), before.coverage.len());

    // Fixed: a dry run checks and writes nothing; the real import adds the unit.
    std::fs::write(
        operator.path().join("fr_territorial_competence.csv"),
        "commune_code,institution,service_id,service_name,postal_codes\n59350,PN,0001,Commissariat central de Lille (SYNTHETIC TEST FIXTURE),59000\n59009,GN,0002,Brigade de Villeneuve-d'Ascq (SYNTHETIC),59491\n",
    )
    .unwrap();
    let bundle =
        directory::read_bundle(&BundleFiles::from_folder(operator.path()).unwrap()).unwrap();
    let checked =
        directory::import(&mut conn, &bundle, true, Utc::now(), &mut |_, _, _| {}).unwrap();
    assert!(matches!(checked, ImportOutcome::Checked { .. }));
    assert_eq!(
        directory::load(&mut conn).unwrap().units.len(),
        before.units.len()
    );
    let imported =
        directory::import(&mut conn, &bundle, false, Utc::now(), &mut |_, _, _| {}).unwrap();
    assert!(
        matches!(imported, ImportOutcome::Imported { .. }),
        "{imported:?}"
    );
    let again =
        directory::import(&mut conn, &bundle, false, Utc::now(), &mut |_, _, _| {}).unwrap();
    assert!(matches!(again, ImportOutcome::Unchanged { .. }));
    let data = directory::load(&mut conn).unwrap();
    assert_eq!(data.units.len(), before.units.len() + 2);
    let lille = Directory::new(data, DEFAULT_ACCURACY_M);
    let place = Place {
        municipality: MunicipalityId::parse("FR-59350", None),
        ..Place::default()
    };
    match lille.route(&Competence::Local, &place, today()).unwrap() {
        Routing::Routed { unit, .. } => {
            assert_eq!(unit, "fr-pn-0001");
            assert_eq!(
                lille.unit(&unit).unwrap().institution.as_deref(),
                Some("police_nationale")
            );
        }
        other => panic!("{other:?}"),
    }
    // The reference dataset is still there, and re-importing it is a no-op.
    assert!(matches!(
        directory::ensure_reference(&mut conn, Utc::now()).unwrap(),
        ImportOutcome::Unchanged { .. }
    ));
}

//! The reference directory: import (idempotent, all or nothing), and routing of every
//! case of the shared routing file and of every Belgian municipality and postal code.

use chrono::{NaiveDate, Utc};
use domain::catalogue::{Competence, Country};
use domain::directory::{Directory, MunicipalityId, Place, Routing};
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
    let data = directory::load(&mut conn).unwrap();
    (db, Directory::new(data, 1000.0))
}

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
    assert_eq!(
        warnings,
        Vec::<String>::new(),
        "every Belgian and Luxembourg municipality has its unit"
    );
    assert_eq!(counts.municipalities, 565 + 100 + 1182);
    assert_eq!(counts.units, 176 + 4);
    assert_eq!(counts.shapes, 565 + 1182);
    let second = directory::ensure_reference(&mut conn, Utc::now()).unwrap();
    assert!(
        matches!(second, ImportOutcome::Unchanged { .. }),
        "{second:?}"
    );
    let data = directory::load(&mut conn).unwrap();
    assert_eq!(data.municipalities.len(), 1847);
    assert_eq!(data.coverage.len(), 565 + 100);
    assert!(data.validate().is_empty(), "{:?}", data.validate().first());
}

fn reference_csv(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../data/reference/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
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
        match directory
            .route(&Competence::Local, &place, today())
            .unwrap()
        {
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
            for postal in row[7].split_whitespace() {
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
        let place = Place {
            postal_code: Some((Country::Be, postal.clone())),
            ..Place::default()
        };
        match directory
            .route(&Competence::Local, &place, today())
            .unwrap()
        {
            Routing::Routed { municipality, .. } => {
                assert_eq!(expected, &vec![municipality.to_string()], "{postal}");
            }
            Routing::Ambiguous { candidates, .. } => {
                let mut got: Vec<String> = candidates
                    .iter()
                    .map(|c| c.municipality.to_string())
                    .collect();
                got.sort();
                let mut want = expected.clone();
                want.sort();
                assert_eq!(got, want, "{postal}");
                assert!(candidates.iter().all(|c| c.unit.is_some()));
                shared += 1;
            }
            other => panic!("{postal}: {other:?}"),
        }
    }
    assert_eq!(shared, 3, "the bundle documents 3 shared postal codes");
}

fn csv_reader(content: &str) -> csv::Reader<&[u8]> {
    csv::Reader::from_reader(content.as_bytes())
}

#[test]
fn every_row_of_the_shared_routing_cases() {
    let (_db, directory) = loaded();
    let content = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/routing_cases.csv"
    ))
    .unwrap();
    let mut reader = csv_reader(&content);
    let mut counted = 0;
    for row in reader.records() {
        let row = row.unwrap();
        let (case, category) = (&row[0], &row[1]);
        let (lat, lon): (f64, f64) = (row[3].parse().unwrap(), row[4].parse().unwrap());
        let expected_nis = &row[5];
        let expected_zone = &row[9];
        let own_border: f64 = row[13].parse().unwrap();
        let routing = directory
            .route(
                &Competence::Local,
                &Place {
                    point: Some((lat, lon)),
                    ..Place::default()
                },
                today(),
            )
            .unwrap();
        counted += 1;
        if category == "outside" {
            assert_eq!(routing, Routing::OutOfArea { country: None }, "{case}");
            continue;
        }
        let expected_municipality = format!("BE-{expected_nis}");
        match &routing {
            Routing::Routed {
                unit, municipality, ..
            } => {
                assert_eq!(unit, expected_zone, "{case}");
                assert_eq!(municipality.as_str(), expected_municipality, "{case}");
                assert_ne!(
                    category, "border",
                    "{case}: 150 m from a zone border must be ambiguous"
                );
            }
            Routing::Ambiguous { candidates, .. } => {
                assert!(
                    own_border < 1000.0,
                    "{case} is {own_border} m from its border, yet ambiguous"
                );
                assert_eq!(
                    candidates[0].municipality.as_str(),
                    expected_municipality,
                    "{case}: most likely first"
                );
                assert_eq!(candidates[0].unit.as_deref(), Some(expected_zone), "{case}");
                assert_eq!(candidates[0].distance_m, Some(0.0), "{case}");
                assert!(candidates.len() >= 2, "{case}");
                let units: std::collections::HashSet<_> =
                    candidates.iter().map(|c| c.unit.clone()).collect();
                assert!(
                    units.len() >= 2,
                    "{case}: ambiguous only between different units"
                );
            }
            other => panic!("{case}: {other:?}"),
        }
    }
    assert_eq!(counted, 29);
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
    let lille = Directory::new(data, 1000.0);
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

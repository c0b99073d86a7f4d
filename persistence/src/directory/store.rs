//! The directory's rows: the import transaction (all or nothing, idempotent per version
//! and checksum), loading every dataset for routing, and the supervisors' corrections of
//! their unit's contact data.

use super::format::{read_bundle, Bundle, BundleFiles, Manifest, RowError};
use crate::db::DbConnection;
use crate::error::PersistenceError;
use crate::idempotency::to_db_time;
use crate::schema::{
    directory_contact_corrections as crr, directory_coverage as cov, directory_datasets as ds,
    directory_former_names as fnm, directory_municipalities as mun, directory_shapes as shp,
    directory_units as unt,
};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use domain::directory::{
    Contact, ContactField, Coverage, DirectoryData, FormerName, Municipality, MunicipalityId,
    Provenance, ServiceHours, Shape, Unit, Validity,
};
use domain::i18n::Lang;
use std::collections::BTreeMap;
use std::sync::LazyLock;

pub use super::format::geometry;

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    /// The same version and content were already imported: nothing changed.
    Unchanged { dataset: String, version: String },
    Imported {
        dataset: String,
        version: String,
        counts: Counts,
        warnings: Vec<String>,
    },
    /// `--dry-run`: everything checked, nothing written.
    Checked {
        dataset: String,
        version: String,
        counts: Counts,
        warnings: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub municipalities: usize,
    pub units: usize,
    pub coverage: usize,
    pub shapes: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{} error(s) in the bundle", .0.len())]
    Rows(Vec<RowError>),
    #[error("{} inconsistency(ies) in the directory", .0.len())]
    Invalid(Vec<String>),
    #[error(transparent)]
    Persistence(#[from] PersistenceError),
}

impl From<diesel::result::Error> for ImportError {
    fn from(e: diesel::result::Error) -> Self {
        ImportError::Persistence(e.into())
    }
}

/// Imports `bundle` as its dataset: replaces that dataset's rows in one transaction after
/// checking the union with the other datasets. `progress` gets (stage, done, total).
pub fn import(
    conn: &mut DbConnection,
    bundle: &Bundle,
    dry_run: bool,
    now: DateTime<Utc>,
    progress: &mut dyn FnMut(&str, usize, usize),
) -> Result<ImportOutcome, ImportError> {
    let counts = Counts {
        municipalities: bundle.data.municipalities.len(),
        units: bundle.data.units.len(),
        coverage: bundle.data.coverage.len(),
        shapes: bundle.data.shapes.len(),
    };
    conn.write_transaction(|c| {
        let current: Option<(String, String)> = ds::table
            .filter(ds::dataset.eq(&bundle.dataset))
            .select((ds::version, ds::checksum))
            .first(c)
            .optional()?;
        if current.as_ref() == Some(&(bundle.version.clone(), bundle.checksum.clone())) {
            return Ok(ImportOutcome::Unchanged {
                dataset: bundle.dataset.clone(),
                version: bundle.version.clone(),
            });
        }
        progress("checking", 0, 1);
        let mut union = load_filtered(c, Some(&bundle.dataset))?;
        let issues = union.conflicts_with(&bundle.data);
        if !issues.is_empty() {
            return Err(ImportError::Invalid(issues));
        }
        union.extend(&bundle.data);
        let (errors, warnings): (Vec<_>, Vec<_>) =
            union.validate().into_iter().partition(|i| i.is_error);
        if !errors.is_empty() {
            return Err(ImportError::Invalid(
                errors.into_iter().map(|i| i.message).collect(),
            ));
        }
        let warnings: Vec<String> = warnings.into_iter().map(|i| i.message).collect();
        progress("checking", 1, 1);
        if dry_run {
            return Ok(ImportOutcome::Checked {
                dataset: bundle.dataset.clone(),
                version: bundle.version.clone(),
                counts,
                warnings,
            });
        }
        write_dataset(c, bundle, now, progress)?;
        Ok(ImportOutcome::Imported {
            dataset: bundle.dataset.clone(),
            version: bundle.version.clone(),
            counts,
            warnings,
        })
    })
}

#[derive(Insertable)]
#[diesel(table_name = mun, treat_none_as_null = true)]
struct MunicipalityRow {
    id: String,
    dataset: String,
    country: String,
    code: String,
    names: String,
    postal_codes: String,
    languages: String,
    part_of: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = fnm, treat_none_as_null = true)]
struct FormerNameRow {
    dataset: String,
    name: String,
    municipality_id: String,
    since: Option<NaiveDate>,
    kind: String,
}

#[derive(Insertable, Queryable)]
#[diesel(table_name = unt, treat_none_as_null = true)]
struct UnitRow {
    id: String,
    dataset: String,
    kind: String,
    official_number: Option<String>,
    country: String,
    names: String,
    contact: String,
    timezone: String,
    hours: String,
    exceptions: String,
    hours_are_default: bool,
    valid_from: Option<NaiveDate>,
    valid_until: Option<NaiveDate>,
    institution: Option<String>,
    confidence: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = cov, treat_none_as_null = true)]
struct CoverageRow {
    dataset: String,
    unit_id: String,
    municipality_id: String,
    valid_from: Option<NaiveDate>,
    valid_until: Option<NaiveDate>,
}

#[derive(Insertable)]
#[diesel(table_name = shp)]
struct ShapeRow {
    municipality_id: String,
    dataset: String,
    geometry: String,
}

fn names_json(names: &BTreeMap<Lang, String>) -> Result<String, PersistenceError> {
    Ok(serde_json::to_string(names)?)
}

fn geometry_json(polygons: &geo::MultiPolygon<f64>) -> String {
    let coords: Vec<Vec<Vec<[f64; 2]>>> = polygons
        .0
        .iter()
        .map(|p| {
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(|r| r.0.iter().map(|c| [c.x, c.y]).collect())
                .collect()
        })
        .collect();
    serde_json::json!({"type": "MultiPolygon", "coordinates": coords}).to_string()
}

const CHUNK: usize = 500;

/// Inserts rows, in multi-row statements on PostgreSQL and one by one on SQLite (inside
/// the import's transaction, where single inserts are cheap).
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr, $stage:expr, $progress:expr) => {{
        let rows = $rows;
        let total = rows.len();
        match $conn {
            DbConnection::Postgresql(pg) => {
                for (i, chunk) in rows.chunks(CHUNK).enumerate() {
                    diesel::insert_into($table).values(chunk).execute(pg)?;
                    $progress($stage, (i * CHUNK + chunk.len()).min(total), total);
                }
            }
            DbConnection::Sqlite(sqlite) => {
                for (i, row) in rows.iter().enumerate() {
                    diesel::insert_into($table).values(row).execute(sqlite)?;
                    if (i + 1) % CHUNK == 0 || i + 1 == total {
                        $progress($stage, i + 1, total);
                    }
                }
            }
        }
    }};
}

fn write_dataset(
    conn: &mut DbConnection,
    bundle: &Bundle,
    now: DateTime<Utc>,
    progress: &mut dyn FnMut(&str, usize, usize),
) -> Result<(), ImportError> {
    let dataset = &bundle.dataset;
    diesel::delete(mun::table.filter(mun::dataset.eq(dataset))).execute(conn)?;
    diesel::delete(unt::table.filter(unt::dataset.eq(dataset))).execute(conn)?;
    diesel::delete(cov::table.filter(cov::dataset.eq(dataset))).execute(conn)?;
    diesel::delete(shp::table.filter(shp::dataset.eq(dataset))).execute(conn)?;
    diesel::delete(fnm::table.filter(fnm::dataset.eq(dataset))).execute(conn)?;
    diesel::delete(ds::table.filter(ds::dataset.eq(dataset))).execute(conn)?;

    let data = &bundle.data;
    let municipalities = data
        .municipalities
        .iter()
        .map(|m| {
            Ok(MunicipalityRow {
                id: m.id.to_string(),
                dataset: dataset.clone(),
                country: m.country.to_string(),
                code: m.id.code().to_owned(),
                names: names_json(&m.names)?,
                postal_codes: m.postal_codes.join(" "),
                languages: m
                    .languages
                    .iter()
                    .map(|l| l.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                part_of: m.part_of.as_ref().map(ToString::to_string),
            })
        })
        .collect::<Result<Vec<_>, PersistenceError>>()?;
    insert_rows!(
        &mut *conn,
        mun::table,
        &municipalities,
        "municipalities",
        progress
    );

    let units = data
        .units
        .iter()
        .map(|u| {
            Ok(UnitRow {
                id: u.id.clone(),
                dataset: dataset.clone(),
                kind: u.kind.to_string(),
                official_number: u.official_number.clone(),
                country: u.country.to_string(),
                names: names_json(&u.names)?,
                contact: contact_json(&u.contact),
                timezone: u.hours.timezone.name().to_owned(),
                hours: u.hours.spec.clone(),
                exceptions: u.hours.exceptions_spec(),
                hours_are_default: u.hours_are_default,
                valid_from: u.validity.from,
                valid_until: u.validity.until,
                institution: u.institution.clone(),
                confidence: u.confidence.clone(),
            })
        })
        .collect::<Result<Vec<_>, PersistenceError>>()?;
    insert_rows!(&mut *conn, unt::table, &units, "units", progress);

    let coverage: Vec<CoverageRow> = data
        .coverage
        .iter()
        .map(|c| CoverageRow {
            dataset: dataset.clone(),
            unit_id: c.unit.clone(),
            municipality_id: c.municipality.to_string(),
            valid_from: c.validity.from,
            valid_until: c.validity.until,
        })
        .collect();
    insert_rows!(&mut *conn, cov::table, &coverage, "coverage", progress);

    let shapes: Vec<ShapeRow> = data
        .shapes
        .iter()
        .map(|s| ShapeRow {
            municipality_id: s.municipality.to_string(),
            dataset: dataset.clone(),
            geometry: geometry_json(&s.polygons),
        })
        .collect();
    insert_rows!(&mut *conn, shp::table, &shapes, "shapes", progress);

    let former: Vec<FormerNameRow> = data
        .former_names
        .iter()
        .map(|f| FormerNameRow {
            dataset: dataset.clone(),
            name: f.name.clone(),
            municipality_id: f.municipality.to_string(),
            since: f.since,
            kind: f.kind.to_string(),
        })
        .collect();
    insert_rows!(&mut *conn, fnm::table, &former, "former names", progress);

    diesel::insert_into(ds::table)
        .values((
            ds::dataset.eq(dataset),
            ds::version.eq(&bundle.version),
            ds::checksum.eq(&bundle.checksum),
            ds::imported_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Every dataset's rows, as one directory.
pub fn load(conn: &mut DbConnection) -> Result<DirectoryData, PersistenceError> {
    load_filtered(conn, None)
}

fn corrupt(what: String) -> PersistenceError {
    PersistenceError::Corrupt(domain::UnknownCode {
        kind: "directory row",
        value: what,
    })
}

/// Every dataset's rows except those of `except`.
fn load_filtered(
    conn: &mut DbConnection,
    except: Option<&str>,
) -> Result<DirectoryData, PersistenceError> {
    let mut data = DirectoryData::default();
    let versions: Vec<(String, String)> = ds::table
        .select((ds::dataset, ds::version))
        .order(ds::dataset)
        .load(conn)?;
    data.version = versions
        .iter()
        .map(|(d, v)| format!("{d}@{v}"))
        .collect::<Vec<_>>()
        .join(",");

    let mut query = mun::table.into_boxed();
    if let Some(skip) = except {
        query = query.filter(mun::dataset.ne(skip));
    }
    type MunicipalityColumns = (String, String, String, String, Option<String>);
    let rows: Vec<MunicipalityColumns> = query
        .select((
            mun::id,
            mun::names,
            mun::postal_codes,
            mun::languages,
            mun::part_of,
        ))
        .load(conn)?;
    for (id, names, postal, languages, part_of) in rows {
        let id = MunicipalityId::parse(&id, None).ok_or_else(|| corrupt(id.clone()))?;
        let country = id.country().ok_or_else(|| corrupt(id.to_string()))?;
        data.municipalities.push(Municipality {
            id,
            country,
            names: serde_json::from_str(&names)?,
            languages: languages
                .split_whitespace()
                .map(str::parse)
                .collect::<Result<_, _>>()?,
            part_of: part_of
                .map(|p| MunicipalityId::parse(&p, None).ok_or_else(|| corrupt(p.clone())))
                .transpose()?,
            postal_codes: postal.split_whitespace().map(str::to_owned).collect(),
        });
    }

    let mut query = fnm::table.into_boxed();
    if let Some(skip) = except {
        query = query.filter(fnm::dataset.ne(skip));
    }
    let rows: Vec<(String, String, Option<NaiveDate>, String)> = query
        .select((fnm::name, fnm::municipality_id, fnm::since, fnm::kind))
        .order(fnm::id)
        .load(conn)?;
    for (name, municipality, since, kind) in rows {
        data.former_names.push(FormerName {
            name,
            municipality: MunicipalityId::parse(&municipality, None)
                .ok_or_else(|| corrupt(municipality.clone()))?,
            since,
            kind: kind.parse()?,
        });
    }

    let mut query = unt::table.into_boxed();
    if let Some(skip) = except {
        query = query.filter(unt::dataset.ne(skip));
    }
    let rows: Vec<UnitRow> = query.load(conn)?;
    for row in rows {
        let contact = parse_contact_json(&row.contact)?;
        let hours = ServiceHours::parse(&row.hours, &row.exceptions, &row.timezone)
            .map_err(|e| corrupt(e.to_string()))?;
        data.units.push(Unit {
            kind: row.kind.parse()?,
            country: row.country.parse()?,
            names: serde_json::from_str(&row.names)?,
            contact,
            hours,
            hours_are_default: row.hours_are_default,
            validity: Validity {
                from: row.valid_from,
                until: row.valid_until,
            },
            official_number: row.official_number,
            institution: row.institution,
            confidence: row.confidence,
            id: row.id,
        });
    }

    let mut query = cov::table.into_boxed();
    if let Some(skip) = except {
        query = query.filter(cov::dataset.ne(skip));
    }
    let rows: Vec<(String, String, Option<NaiveDate>, Option<NaiveDate>)> = query
        .select((
            cov::unit_id,
            cov::municipality_id,
            cov::valid_from,
            cov::valid_until,
        ))
        .order(cov::id)
        .load(conn)?;
    for (unit, municipality, from, until) in rows {
        data.coverage.push(Coverage {
            unit,
            municipality: MunicipalityId::parse(&municipality, None)
                .ok_or_else(|| corrupt(municipality.clone()))?,
            validity: Validity { from, until },
        });
    }

    let mut query = shp::table.into_boxed();
    if let Some(skip) = except {
        query = query.filter(shp::dataset.ne(skip));
    }
    let rows: Vec<(String, String)> = query
        .select((shp::municipality_id, shp::geometry))
        .load(conn)?;
    for (id, geometry_text) in rows {
        let value: serde_json::Value = serde_json::from_str(&geometry_text)?;
        data.shapes.push(Shape {
            municipality: MunicipalityId::parse(&id, None).ok_or_else(|| corrupt(id.clone()))?,
            polygons: geometry(&value).ok_or_else(|| corrupt(format!("geometry of {id}")))?,
        });
    }
    apply_corrections(conn, &mut data)?;
    Ok(data)
}

/// The imported datasets: name, version, import time.
pub fn datasets(
    conn: &mut DbConnection,
) -> Result<Vec<(String, String, NaiveDateTime)>, PersistenceError> {
    Ok(ds::table
        .select((ds::dataset, ds::version, ds::imported_at))
        .order(ds::dataset)
        .load(conn)?)
}

/// Imports the embedded reference bundle unless the same version is already there. The
/// bundle is parsed only when its checksum differs from the imported one.
pub fn ensure_reference(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
) -> Result<ImportOutcome, ImportError> {
    static CHECKSUM: LazyLock<String> = LazyLock::new(|| BundleFiles::embedded().checksum());
    static MANIFEST: LazyLock<Result<Manifest, String>> = LazyLock::new(|| {
        let source = BundleFiles::embedded()
            .files
            .get("directory.toml")
            .map(String::as_str)
            .unwrap_or_default();
        toml::from_str(source).map_err(|e| e.to_string())
    });
    static BUNDLE: LazyLock<Result<Bundle, Vec<RowError>>> =
        LazyLock::new(|| read_bundle(BundleFiles::embedded()));
    if let Ok(manifest) = MANIFEST.as_ref() {
        let current: Option<(String, String)> = ds::table
            .filter(ds::dataset.eq(&manifest.dataset))
            .select((ds::version, ds::checksum))
            .first(conn)
            .optional()?;
        if current == Some((manifest.version.clone(), CHECKSUM.clone())) {
            return Ok(ImportOutcome::Unchanged {
                dataset: manifest.dataset.clone(),
                version: manifest.version.clone(),
            });
        }
    }
    let bundle = BUNDLE
        .as_ref()
        .map_err(|errors| ImportError::Rows(errors.clone()))?;
    import(conn, bundle, false, now, &mut |_, _, _| {})
}

/// A unit's contact as stored: `{"phone": {"value": "+32…", "data_as_of": "2023-11",
/// "source": "…"}, …}`. Rows written by earlier versions hold `[address, phone, email,
/// web]` and are still read.
fn contact_json(contact: &Contact) -> String {
    let map: serde_json::Map<String, serde_json::Value> = ContactField::ALL
        .iter()
        .filter_map(|field| {
            let value = contact.get(*field)?;
            let provenance = contact.provenance.get(field).cloned().unwrap_or_default();
            Some((
                field.to_string(),
                serde_json::json!({
                    "value": value,
                    "data_as_of": provenance.data_as_of,
                    "source": provenance.source,
                }),
            ))
        })
        .collect();
    serde_json::Value::Object(map).to_string()
}

fn parse_contact_json(text: &str) -> Result<Contact, PersistenceError> {
    let value: serde_json::Value = serde_json::from_str(text)?;
    let mut contact = Contact::default();
    match value {
        serde_json::Value::Array(old) => {
            for (field, v) in [
                ContactField::Address,
                ContactField::Phone,
                ContactField::Email,
                ContactField::Website,
            ]
            .into_iter()
            .zip(old)
            {
                if let Some(v) = v.as_str() {
                    contact.set(field, Some(v.to_owned()), Provenance::default());
                }
            }
        }
        serde_json::Value::Object(map) => {
            for (key, entry) in map {
                let field: ContactField = key.parse()?;
                let text = |name: &str| entry.get(name).and_then(|v| v.as_str()).map(str::to_owned);
                contact.set(
                    field,
                    text("value"),
                    Provenance {
                        data_as_of: text("data_as_of"),
                        source: text("source"),
                    },
                );
            }
        }
        _ => return Err(corrupt("unit contact".into())),
    }
    Ok(contact)
}

/// Applies the supervisors' corrections: a corrected value replaces the dataset's
/// unless the dataset's value is dated later than the correction.
fn apply_corrections(
    conn: &mut DbConnection,
    data: &mut DirectoryData,
) -> Result<(), PersistenceError> {
    let rows: Vec<(String, String)> = crr::table.select((crr::unit_id, crr::contact)).load(conn)?;
    for (unit_id, text) in rows {
        let corrected = parse_contact_json(&text)?;
        let Some(unit) = data.units.iter_mut().find(|u| u.id == unit_id) else {
            continue;
        };
        unit.contact = merge_contact(&unit.contact, &corrected);
    }
    Ok(())
}

/// `corrected` over `imported`, field by field; an imported value dated after the
/// correction wins (dates compare as text: `2026-12` > `2026-11-30`).
fn merge_contact(imported: &Contact, corrected: &Contact) -> Contact {
    let mut merged = imported.clone();
    for field in ContactField::ALL {
        let Some(provenance) = corrected.provenance.get(field) else {
            continue;
        };
        let newer_import = imported
            .provenance
            .get(field)
            .and_then(|p| p.data_as_of.as_deref())
            .zip(provenance.data_as_of.as_deref())
            .is_some_and(|(imported, corrected)| {
                imported.starts_with(|c: char| c.is_ascii_digit()) && imported > corrected
            });
        if !newer_import {
            merged.set(
                *field,
                corrected
                    .get(*field)
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned),
                provenance.clone(),
            );
        }
    }
    merged
}

/// Whether `unit_id` is a unit of the directory (any dataset, valid or not today).
pub fn unit_exists(conn: &mut DbConnection, unit_id: &str) -> Result<bool, PersistenceError> {
    Ok(
        diesel::select(diesel::dsl::exists(unt::table.filter(unt::id.eq(unit_id))))
            .get_result(conn)?,
    )
}

/// Whether a municipality of this id is in a dataset of the directory.
pub fn municipality_exists(
    conn: &mut DbConnection,
    municipality_id: &str,
) -> Result<bool, PersistenceError> {
    Ok(diesel::select(diesel::dsl::exists(
        mun::table.filter(mun::id.eq(municipality_id)),
    ))
    .get_result(conn)?)
}

/// A unit's contact data (with every correction applied), or `None` for an unknown
/// unit: for receipts and refusals ("go to your station").
pub fn unit_contact(
    conn: &mut DbConnection,
    unit_id: &str,
) -> Result<Option<Contact>, PersistenceError> {
    let stored: Option<String> = unt::table
        .filter(unt::id.eq(unit_id))
        .select(unt::contact)
        .first(conn)
        .optional()?;
    let Some(stored) = stored else {
        return Ok(None);
    };
    let imported = parse_contact_json(&stored)?;
    let corrected: Option<String> = crr::table
        .filter(crr::unit_id.eq(unit_id))
        .select(crr::contact)
        .first(conn)
        .optional()?;
    Ok(Some(match corrected {
        Some(text) => merge_contact(&imported, &parse_contact_json(&text)?),
        None => imported,
    }))
}

/// Records a supervisor's correction of their unit's contact data: `changes` sets (or
/// with `None` clears) each field given, dated `today` and sourced to `officer`.
/// Returns the unit's contact after the correction; `None` for an unknown unit. The
/// caller writes the audit event in the same transaction.
pub fn correct_unit_contact(
    conn: &mut DbConnection,
    unit_id: &str,
    changes: &[(ContactField, Option<String>)],
    officer: &str,
    now: DateTime<Utc>,
) -> Result<Option<Contact>, PersistenceError> {
    let Some(current) = unit_contact(conn, unit_id)? else {
        return Ok(None);
    };
    let previous: Option<String> = crr::table
        .filter(crr::unit_id.eq(unit_id))
        .select(crr::contact)
        .first(conn)
        .optional()?;
    let mut corrections = match previous {
        Some(text) => parse_contact_json(&text)?,
        None => Contact::default(),
    };
    let provenance = Provenance {
        data_as_of: Some(now.date_naive().to_string()),
        source: Some(format!("correction by officer {officer}")),
    };
    let mut result = current;
    for (field, value) in changes {
        // A cleared value is kept as an empty correction so that it stays cleared.
        corrections.set(
            *field,
            Some(value.clone().unwrap_or_default()),
            provenance.clone(),
        );
        result.set(*field, value.clone(), provenance.clone());
    }
    let text = contact_json(&corrections);
    diesel::delete(crr::table.filter(crr::unit_id.eq(unit_id))).execute(conn)?;
    diesel::insert_into(crr::table)
        .values((
            crr::unit_id.eq(unit_id),
            crr::contact.eq(&text),
            crr::corrected_by.eq(officer),
            crr::corrected_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    Ok(Some(result))
}

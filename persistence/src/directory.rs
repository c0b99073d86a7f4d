//! The directory's reference data: reading a bundle folder (with a report naming file,
//! line and field for every bad value), importing it as one dataset (all or nothing,
//! idempotent per version and checksum), and loading every dataset for routing.
//!
//! A bundle folder holds `directory.toml` (dataset, version, default hours per country)
//! and any of `municipalities.csv`, `units.csv`, `coverage.csv`,
//! `fr_territorial_competence.csv` and `shapes/*.geojson`.

use crate::db::DbConnection;
use crate::error::PersistenceError;
use crate::idempotency::to_db_time;
use crate::schema::{
    directory_coverage as cov, directory_datasets as ds, directory_municipalities as mun,
    directory_shapes as shp, directory_units as unt,
};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use domain::catalogue::Country;
use domain::directory::{
    Contact, Coverage, DirectoryData, Municipality, MunicipalityId, ServiceHours, Shape, Unit,
    UnitKind, Validity,
};
use domain::i18n::Lang;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::Path;
use std::sync::LazyLock;

/// The files of a bundle, by path relative to its folder.
#[derive(Debug, Clone, Default)]
pub struct BundleFiles {
    pub files: BTreeMap<String, String>,
}

const KNOWN_FILES: [&str; 5] = [
    "directory.toml",
    "municipalities.csv",
    "units.csv",
    "coverage.csv",
    "fr_territorial_competence.csv",
];

static EMBEDDED: LazyLock<BundleFiles> = LazyLock::new(|| BundleFiles {
    files: [
        (
            "directory.toml",
            include_str!("../../data/reference/directory.toml"),
        ),
        (
            "municipalities.csv",
            include_str!("../../data/reference/municipalities.csv"),
        ),
        ("units.csv", include_str!("../../data/reference/units.csv")),
        (
            "coverage.csv",
            include_str!("../../data/reference/coverage.csv"),
        ),
        (
            "shapes/be.geojson",
            include_str!("../../data/reference/shapes/be.geojson"),
        ),
        (
            "shapes/fr.geojson",
            include_str!("../../data/reference/shapes/fr.geojson"),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect(),
});

impl BundleFiles {
    /// The reference bundle compiled into the binary (`data/reference/`).
    pub fn embedded() -> &'static BundleFiles {
        &EMBEDDED
    }

    /// Reads a bundle folder.
    pub fn from_folder(folder: &Path) -> Result<Self, Vec<RowError>> {
        let mut files = BTreeMap::new();
        let read = |name: &str, path: &Path| {
            std::fs::read_to_string(path)
                .map_err(|e| RowError::file(name, format!("cannot read: {e}")))
        };
        if !folder.join("directory.toml").is_file() {
            return Err(vec![RowError::file(
                "directory.toml",
                "missing from the folder".into(),
            )]);
        }
        for name in KNOWN_FILES {
            let path = folder.join(name);
            if path.is_file() {
                files.insert(name.to_owned(), read(name, &path).map_err(|e| vec![e])?);
            }
        }
        let shapes = folder.join("shapes");
        if shapes.is_dir() {
            let mut entries: Vec<_> = std::fs::read_dir(&shapes)
                .map_err(|e| vec![RowError::file("shapes/", format!("cannot list: {e}"))])?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "geojson"))
                .collect();
            entries.sort();
            for path in entries {
                let name = format!(
                    "shapes/{}",
                    path.file_name()
                        .map(|n| n.to_string_lossy())
                        .unwrap_or_default()
                );
                files.insert(name.clone(), read(&name, &path).map_err(|e| vec![e])?);
            }
        }
        Ok(Self { files })
    }

    fn checksum(&self) -> String {
        let mut hasher = Sha256::new();
        for (name, content) in &self.files {
            hasher.update(name.as_bytes());
            hasher.update([0]);
            hasher.update(content.as_bytes());
            hasher.update([0]);
        }
        hex::encode(hasher.finalize())
    }
}

/// A bad value in a bundle: where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub file: String,
    pub line: Option<u64>,
    pub field: Option<String>,
    pub message: String,
}

impl RowError {
    fn file(file: &str, message: String) -> Self {
        Self {
            file: file.to_owned(),
            line: None,
            field: None,
            message,
        }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A parsed bundle, ready to import.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub dataset: String,
    pub version: String,
    pub checksum: String,
    pub data: DirectoryData,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    dataset: String,
    version: String,
    #[serde(default)]
    defaults: BTreeMap<String, HoursDefault>,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct HoursDefault {
    timezone: String,
    hours: String,
    #[serde(default)]
    exceptions: String,
}

/// Reads CSV records as maps from column name to value, with their line numbers.
fn records(
    file: &str,
    content: &str,
    required: &[&str],
    errors: &mut Vec<RowError>,
) -> Vec<(u64, HashMap<String, String>)> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(content.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(str::to_owned).collect(),
        Err(e) => {
            errors.push(RowError::file(file, format!("unreadable header: {e}")));
            return Vec::new();
        }
    };
    for column in required {
        if !headers.iter().any(|h| h == column) {
            errors.push(RowError {
                file: file.into(),
                line: Some(1),
                field: Some((*column).into()),
                message: "missing column".into(),
            });
        }
    }
    let mut out = Vec::new();
    for record in reader.records() {
        match record {
            Ok(record) => {
                let line = record.position().map(|p| p.line()).unwrap_or(0);
                let map = headers
                    .iter()
                    .cloned()
                    .zip(record.iter().map(str::to_owned))
                    .collect();
                out.push((line, map));
            }
            Err(e) => errors.push(RowError {
                file: file.into(),
                line: e.position().map(|p| p.line()),
                field: None,
                message: e.to_string(),
            }),
        }
    }
    out
}

struct Row<'a> {
    file: &'a str,
    line: u64,
    values: &'a HashMap<String, String>,
}

impl Row<'_> {
    fn get(&self, field: &str) -> &str {
        self.values
            .get(field)
            .map(String::as_str)
            .unwrap_or_default()
    }

    fn optional(&self, field: &str) -> Option<String> {
        Some(self.get(field))
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    fn error(&self, field: &str, message: impl Into<String>) -> RowError {
        RowError {
            file: self.file.into(),
            line: Some(self.line),
            field: Some(field.into()),
            message: message.into(),
        }
    }

    fn required(&self, field: &str, errors: &mut Vec<RowError>) -> Option<String> {
        let value = self.optional(field);
        if value.is_none() {
            errors.push(self.error(field, "is empty"));
        }
        value
    }

    fn parse<T: std::str::FromStr>(&self, field: &str, errors: &mut Vec<RowError>) -> Option<T>
    where
        T::Err: fmt::Display,
    {
        let raw = self.required(field, errors)?;
        raw.parse()
            .map_err(|e: T::Err| errors.push(self.error(field, e.to_string())))
            .ok()
    }

    fn date(&self, field: &str, errors: &mut Vec<RowError>) -> Option<NaiveDate> {
        let raw = self.optional(field)?;
        NaiveDate::parse_from_str(&raw, "%Y-%m-%d")
            .map_err(|_| {
                errors.push(self.error(field, format!("`{raw}` is not a date (YYYY-MM-DD)")))
            })
            .ok()
    }

    fn municipality(&self, field: &str, errors: &mut Vec<RowError>) -> Option<MunicipalityId> {
        let raw = self.required(field, errors)?;
        MunicipalityId::parse(&raw, None)
            .ok_or_else(|| {
                errors.push(self.error(
                    field,
                    format!("`{raw}` is not a municipality id such as BE-21004"),
                ))
            })
            .ok()
    }

    fn names(&self) -> BTreeMap<Lang, String> {
        [
            ("name_fr", Lang::Fr),
            ("name_nl", Lang::Nl),
            ("name_de", Lang::De),
            ("name_en", Lang::En),
        ]
        .into_iter()
        .filter_map(|(column, lang)| self.optional(column).map(|n| (lang, n)))
        .collect()
    }
}

/// Parses and checks every file of a bundle; all errors are reported, not the first.
pub fn read_bundle(files: &BundleFiles) -> Result<Bundle, Vec<RowError>> {
    let mut errors = Vec::new();
    let manifest_source = files
        .files
        .get("directory.toml")
        .map(String::as_str)
        .unwrap_or_default();
    let manifest: Manifest = toml::from_str(manifest_source).map_err(|e| {
        vec![RowError::file(
            "directory.toml",
            e.to_string().replace('\n', " "),
        )]
    })?;
    let mut defaults: HashMap<Country, HoursDefault> = HashMap::new();
    for (country, default) in &manifest.defaults {
        match country.parse::<Country>() {
            Ok(c) => {
                if let Err(e) =
                    ServiceHours::parse(&default.hours, &default.exceptions, &default.timezone)
                {
                    errors.push(RowError::file(
                        "directory.toml",
                        format!("defaults.{country}: {e}"),
                    ));
                }
                defaults.insert(c, default.clone());
            }
            Err(e) => errors.push(RowError::file("directory.toml", format!("defaults: {e}"))),
        }
    }
    let mut data = DirectoryData {
        version: manifest.version.clone(),
        ..DirectoryData::default()
    };

    if let Some(content) = files.files.get("municipalities.csv") {
        let file = "municipalities.csv";
        for (line, values) in records(
            file,
            content,
            &["id", "country", "code", "postal_codes"],
            &mut errors,
        ) {
            let row = Row {
                file,
                line,
                values: &values,
            };
            let (Some(id), Some(country)) = (
                row.municipality("id", &mut errors),
                row.parse::<Country>("country", &mut errors),
            ) else {
                continue;
            };
            if id.country() != Some(country) || Some(id.code()) != row.optional("code").as_deref() {
                errors.push(row.error("id", format!("{id} does not match country and code")));
            }
            let names = row.names();
            if names.is_empty() {
                errors.push(row.error("name_fr", "the municipality has no name"));
            }
            data.municipalities.push(Municipality {
                id,
                country,
                names,
                postal_codes: row
                    .get("postal_codes")
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect(),
            });
        }
    }

    if let Some(content) = files.files.get("units.csv") {
        let file = "units.csv";
        for (line, values) in records(file, content, &["id", "kind", "country"], &mut errors) {
            let row = Row {
                file,
                line,
                values: &values,
            };
            let id = row.required("id", &mut errors);
            let kind = row.parse::<UnitKind>("kind", &mut errors);
            let country = row.parse::<Country>("country", &mut errors);
            let (Some(id), Some(kind), Some(country)) = (id, kind, country) else {
                continue;
            };
            let default = defaults.get(&country);
            let timezone = row
                .optional("timezone")
                .or_else(|| default.map(|d| d.timezone.clone()))
                .unwrap_or_else(|| "UTC".to_owned());
            let (spec, exceptions, hours_are_default) = match row.optional("hours") {
                Some(spec) => (
                    spec,
                    row.optional("exceptions")
                        .or_else(|| default.map(|d| d.exceptions.clone()))
                        .unwrap_or_default(),
                    false,
                ),
                None => match default {
                    Some(d) => (d.hours.clone(), d.exceptions.clone(), true),
                    None => {
                        errors.push(row.error(
                            "hours",
                            format!("no hours and no default hours for {country}"),
                        ));
                        continue;
                    }
                },
            };
            let hours = match ServiceHours::parse(&spec, &exceptions, &timezone) {
                Ok(h) => h,
                Err(e) => {
                    errors.push(row.error("hours", e.to_string()));
                    continue;
                }
            };
            let names = row.names();
            if names.is_empty() {
                errors.push(row.error("name_fr", "the unit has no name"));
            }
            data.units.push(Unit {
                id,
                kind,
                official_number: row.optional("official_number"),
                country,
                names,
                contact: Contact {
                    address: row.optional("address"),
                    phone: row.optional("phone"),
                    email: row.optional("email"),
                    web: row.optional("web"),
                },
                hours,
                hours_are_default,
                validity: Validity {
                    from: row.date("valid_from", &mut errors),
                    until: row.date("valid_until", &mut errors),
                },
                institution: row.optional("institution"),
                confidence: row.optional("confidence"),
            });
        }
    }

    if let Some(content) = files.files.get("coverage.csv") {
        let file = "coverage.csv";
        for (line, values) in records(file, content, &["unit_id", "municipality_id"], &mut errors) {
            let row = Row {
                file,
                line,
                values: &values,
            };
            let (Some(unit), Some(municipality)) = (
                row.required("unit_id", &mut errors),
                row.municipality("municipality_id", &mut errors),
            ) else {
                continue;
            };
            data.coverage.push(Coverage {
                unit,
                municipality,
                validity: Validity {
                    from: row.date("valid_from", &mut errors),
                    until: row.date("valid_until", &mut errors),
                },
            });
        }
    }

    if let Some(content) = files.files.get("fr_territorial_competence.csv") {
        read_fr_competence(content, defaults.get(&Country::Fr), &mut data, &mut errors);
    }

    for (name, content) in files.files.iter().filter(|(n, _)| n.starts_with("shapes/")) {
        read_shapes(name, content, &mut data.shapes, &mut errors);
    }

    if errors.is_empty() {
        Ok(Bundle {
            dataset: manifest.dataset,
            version: manifest.version,
            checksum: files.checksum(),
            data,
        })
    } else {
        Err(errors)
    }
}

/// The Interior ministry's territorial-competence file: which police or gendarmerie
/// service is competent for each commune. Columns: `commune_code`, `institution` (`PN`,
/// `GN`, `police` or `gendarmerie`), `service_id`, `service_name`, `postal_codes`.
fn read_fr_competence(
    content: &str,
    default: Option<&HoursDefault>,
    data: &mut DirectoryData,
    errors: &mut Vec<RowError>,
) {
    let file = "fr_territorial_competence.csv";
    let mut seen_units: HashSet<String> = HashSet::new();
    for (line, values) in records(
        file,
        content,
        &["commune_code", "institution", "service_id", "service_name"],
        errors,
    ) {
        let row = Row {
            file,
            line,
            values: &values,
        };
        let (Some(commune), Some(institution), Some(service_id), Some(service_name)) = (
            row.required("commune_code", errors),
            row.required("institution", errors),
            row.required("service_id", errors),
            row.required("service_name", errors),
        ) else {
            continue;
        };
        let (kind, institution) = match institution.to_ascii_lowercase().as_str() {
            "pn" | "police" | "police nationale" => (UnitKind::Commissariat, "police_nationale"),
            "gn" | "gendarmerie" | "gendarmerie nationale" => {
                (UnitKind::GendarmerieBrigade, "gendarmerie_nationale")
            }
            other => {
                errors.push(row.error(
                    "institution",
                    format!("`{other}` is neither police (PN) nor gendarmerie (GN)"),
                ));
                continue;
            }
        };
        let Some(municipality) = MunicipalityId::parse(&commune, Some(Country::Fr)) else {
            errors.push(row.error("commune_code", format!("`{commune}` is not an INSEE code")));
            continue;
        };
        let unit_id = format!(
            "fr-{}-{}",
            if kind == UnitKind::Commissariat {
                "pn"
            } else {
                "gn"
            },
            service_id
        );
        if seen_units.insert(unit_id.clone()) {
            let Some(default) = default else {
                errors.push(row.error("service_id", "directory.toml has no [defaults.FR] hours"));
                continue;
            };
            match ServiceHours::parse(&default.hours, &default.exceptions, &default.timezone) {
                Ok(hours) => data.units.push(Unit {
                    id: unit_id.clone(),
                    kind,
                    official_number: Some(service_id.clone()),
                    country: Country::Fr,
                    names: [(Lang::Fr, service_name.clone())].into(),
                    contact: Contact::default(),
                    hours,
                    hours_are_default: true,
                    validity: Validity::default(),
                    institution: Some(institution.to_owned()),
                    confidence: Some("interior-ministry-territorial-competence".into()),
                }),
                Err(e) => errors.push(row.error("service_id", e.to_string())),
            }
        }
        data.coverage.push(Coverage {
            unit: unit_id,
            municipality,
            validity: Validity::default(),
        });
    }
}

fn ring(value: &serde_json::Value) -> Option<geo::LineString<f64>> {
    let points = value.as_array()?;
    let coords: Option<Vec<geo::Coord<f64>>> = points
        .iter()
        .map(|p| {
            let p = p.as_array()?;
            Some(geo::Coord {
                x: p.first()?.as_f64()?,
                y: p.get(1)?.as_f64()?,
            })
        })
        .collect();
    Some(geo::LineString(coords?))
}

fn polygon(value: &serde_json::Value) -> Option<geo::Polygon<f64>> {
    let rings = value.as_array()?;
    let exterior = ring(rings.first()?)?;
    let interiors: Option<Vec<_>> = rings[1..].iter().map(ring).collect();
    Some(geo::Polygon::new(exterior, interiors?))
}

/// A GeoJSON geometry (Polygon or MultiPolygon) as a `MultiPolygon`.
pub fn geometry(value: &serde_json::Value) -> Option<geo::MultiPolygon<f64>> {
    let coordinates = value.get("coordinates")?;
    match value.get("type")?.as_str()? {
        "Polygon" => Some(geo::MultiPolygon(vec![polygon(coordinates)?])),
        "MultiPolygon" => {
            let polygons: Option<Vec<_>> = coordinates.as_array()?.iter().map(polygon).collect();
            Some(geo::MultiPolygon(polygons?))
        }
        _ => None,
    }
}

fn read_shapes(file: &str, content: &str, shapes: &mut Vec<Shape>, errors: &mut Vec<RowError>) {
    let collection: serde_json::Value = match serde_json::from_str(content) {
        Ok(v) => v,
        Err(e) => {
            errors.push(RowError {
                file: file.into(),
                line: Some(e.line() as u64),
                field: None,
                message: e.to_string(),
            });
            return;
        }
    };
    let Some(features) = collection.get("features").and_then(|f| f.as_array()) else {
        errors.push(RowError::file(
            file,
            "not a GeoJSON FeatureCollection".into(),
        ));
        return;
    };
    for (index, feature) in features.iter().enumerate() {
        let at = |message: String| RowError {
            file: file.into(),
            line: None,
            field: Some(format!("features[{index}]")),
            message,
        };
        let id = feature
            .pointer("/properties/id")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        let Some(municipality) = MunicipalityId::parse(id, None) else {
            errors.push(at(format!("properties.id `{id}` is not a municipality id")));
            continue;
        };
        match feature.get("geometry").and_then(geometry) {
            Some(polygons) => shapes.push(Shape {
                municipality,
                polygons,
            }),
            None => errors.push(at("geometry is not a valid Polygon or MultiPolygon".into())),
        }
    }
}

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
        let mut issues = Vec::new();
        let defined_elsewhere: HashSet<&MunicipalityId> =
            union.municipalities.iter().map(|m| &m.id).collect();
        for m in &bundle.data.municipalities {
            if defined_elsewhere.contains(&m.id) {
                issues.push(format!(
                    "municipality {} is already defined by another dataset",
                    m.id
                ));
            }
        }
        let units_elsewhere: HashSet<&str> = union.units.iter().map(|u| u.id.as_str()).collect();
        for u in &bundle.data.units {
            if units_elsewhere.contains(u.id.as_str()) {
                issues.push(format!(
                    "unit {} is already defined by another dataset",
                    u.id
                ));
            }
        }
        if !issues.is_empty() {
            return Err(ImportError::Invalid(issues));
        }
        union
            .municipalities
            .extend(bundle.data.municipalities.iter().cloned());
        union.units.extend(bundle.data.units.iter().cloned());
        union.coverage.extend(bundle.data.coverage.iter().cloned());
        union.shapes.extend(bundle.data.shapes.iter().cloned());
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
            let exceptions = u
                .hours
                .exceptions
                .iter()
                .map(|(date, intervals)| {
                    let hours = if intervals.is_empty() {
                        "closed".to_owned()
                    } else {
                        intervals
                            .iter()
                            .map(|(a, b)| {
                                format!("{:02}:{:02}-{:02}:{:02}", a / 60, a % 60, b / 60, b % 60)
                            })
                            .collect::<Vec<_>>()
                            .join(",")
                    };
                    format!("{date} {hours}")
                })
                .collect::<Vec<_>>()
                .join("; ");
            Ok(UnitRow {
                id: u.id.clone(),
                dataset: dataset.clone(),
                kind: u.kind.to_string(),
                official_number: u.official_number.clone(),
                country: u.country.to_string(),
                names: names_json(&u.names)?,
                contact: serde_json::to_string(&[
                    &u.contact.address,
                    &u.contact.phone,
                    &u.contact.email,
                    &u.contact.web,
                ])?,
                timezone: u.hours.timezone.name().to_owned(),
                hours: u.hours.spec.clone(),
                exceptions,
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
    let rows: Vec<(String, String, String)> = query
        .select((mun::id, mun::names, mun::postal_codes))
        .load(conn)?;
    for (id, names, postal) in rows {
        let id = MunicipalityId::parse(&id, None).ok_or_else(|| corrupt(id.clone()))?;
        let country = id.country().ok_or_else(|| corrupt(id.to_string()))?;
        data.municipalities.push(Municipality {
            id,
            country,
            names: serde_json::from_str(&names)?,
            postal_codes: postal.split_whitespace().map(str::to_owned).collect(),
        });
    }

    let mut query = unt::table.into_boxed();
    if let Some(skip) = except {
        query = query.filter(unt::dataset.ne(skip));
    }
    let rows: Vec<UnitRow> = query.load(conn)?;
    for row in rows {
        let contact: [Option<String>; 4] = serde_json::from_str(&row.contact)?;
        let [address, phone, email, web] = contact;
        let hours = ServiceHours::parse(&row.hours, &row.exceptions, &row.timezone)
            .map_err(|e| corrupt(e.to_string()))?;
        data.units.push(Unit {
            kind: row.kind.parse()?,
            country: row.country.parse()?,
            names: serde_json::from_str(&row.names)?,
            contact: Contact {
                address,
                phone,
                email,
                web,
            },
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

//! The directory's import format, read and checked without a database: a bundle
//! folder (or the bundle embedded in the binary) becomes a [`Bundle`], with a report
//! naming file, line and field for every bad value.
//!
//! A bundle folder holds `directory.toml` (dataset, version, default hours per country)
//! and any of `municipalities.csv`, `units.csv`, `contacts.csv`, `coverage.csv`,
//! `former_names.csv`, `fr_territorial_competence.csv` and `shapes/*.geojson`
//! (`docs/DIRECTORY.md` gives the columns).

use chrono::NaiveDate;
use domain::catalogue::Country;
use domain::directory::{
    french_force, Contact, ContactField, Coverage, DirectoryData, FormerName, FormerNameKind,
    Municipality, MunicipalityId, Provenance, ServiceHours, Shape, Unit, UnitKind, Validity,
};
use domain::i18n::Lang;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::Path;
use std::sync::LazyLock;

#[derive(Debug, Clone, Default)]
pub struct BundleFiles {
    pub files: BTreeMap<String, String>,
}

const KNOWN_FILES: [&str; 7] = [
    "directory.toml",
    "municipalities.csv",
    "units.csv",
    "contacts.csv",
    "coverage.csv",
    "former_names.csv",
    "fr_territorial_competence.csv",
];

static EMBEDDED: LazyLock<BundleFiles> = LazyLock::new(|| BundleFiles {
    files: [
        (
            "directory.toml",
            include_str!("../../../data/reference/directory.toml"),
        ),
        (
            "municipalities.csv",
            include_str!("../../../data/reference/municipalities.csv"),
        ),
        (
            "units.csv",
            include_str!("../../../data/reference/units.csv"),
        ),
        (
            "contacts.csv",
            include_str!("../../../data/reference/contacts.csv"),
        ),
        (
            "coverage.csv",
            include_str!("../../../data/reference/coverage.csv"),
        ),
        (
            "former_names.csv",
            include_str!("../../../data/reference/former_names.csv"),
        ),
        (
            "shapes/be.geojson",
            include_str!("../../../data/reference/shapes/be.geojson"),
        ),
        (
            "shapes/es-ct.geojson",
            include_str!("../../../data/reference/shapes/es-ct.geojson"),
        ),
        (
            "shapes/fr.geojson",
            include_str!("../../../data/reference/shapes/fr.geojson"),
        ),
        (
            "shapes/lu.geojson",
            include_str!("../../../data/reference/shapes/lu.geojson"),
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

    pub(crate) fn checksum(&self) -> String {
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
pub(crate) struct Manifest {
    pub(crate) dataset: String,
    pub(crate) version: String,
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
            ("name_es", Lang::Es),
            ("name_ca", Lang::Ca),
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
            let mut languages = Vec::new();
            for tag in row.get("languages").split_whitespace() {
                match tag.parse::<Lang>() {
                    Ok(lang) => languages.push(lang),
                    Err(_) => {
                        errors.push(row.error("languages", format!("`{tag}` is not a language")))
                    }
                }
            }
            let part_of = match row.optional("part_of") {
                Some(_) => row.municipality("part_of", &mut errors),
                None => None,
            };
            data.municipalities.push(Municipality {
                id,
                country,
                names,
                languages,
                part_of,
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
                contact: undated_contact(&row),
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

    if let Some(content) = files.files.get("contacts.csv") {
        read_contacts(content, &mut data, &mut errors);
    }

    if let Some(content) = files.files.get("former_names.csv") {
        let file = "former_names.csv";
        for (line, values) in records(
            file,
            content,
            &["name", "municipality_id", "kind"],
            &mut errors,
        ) {
            let row = Row {
                file,
                line,
                values: &values,
            };
            let since = row.date("since", &mut errors);
            let (Some(name), Some(municipality), Some(kind)) = (
                row.required("name", &mut errors),
                row.municipality("municipality_id", &mut errors),
                row.parse::<FormerNameKind>("kind", &mut errors),
            ) else {
                continue;
            };
            data.former_names.push(FormerName {
                name,
                municipality,
                since,
                kind,
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
        let Some((kind, institution)) = french_force(&institution) else {
            errors.push(row.error(
                "institution",
                format!(
                    "`{}` is neither police (PN) nor gendarmerie (GN)",
                    institution.to_ascii_lowercase()
                ),
            ));
            continue;
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

/// The contact columns of `units.csv` (address, phone, email, web): values without a
/// date; `contacts.csv` gives dated ones.
fn undated_contact(row: &Row<'_>) -> Contact {
    let mut contact = Contact::default();
    for (column, field) in [
        ("address", ContactField::Address),
        ("phone", ContactField::Phone),
        ("email", ContactField::Email),
        ("web", ContactField::Website),
    ] {
        if let Some(value) = row.optional(column) {
            contact.set(
                field,
                Some(value),
                Provenance {
                    data_as_of: None,
                    source: Some(format!("{}:{}", row.file, row.line)),
                },
            );
        }
    }
    contact
}

/// `contacts.csv`: one dated, sourced value per row (`unit_id,field,value,data_as_of,
/// source`; `field` is `address`, `phone`, `email`, `website` or `reception_hours`).
fn read_contacts(content: &str, data: &mut DirectoryData, errors: &mut Vec<RowError>) {
    let file = "contacts.csv";
    let mut seen: HashSet<(String, ContactField)> = HashSet::new();
    for (line, values) in records(
        file,
        content,
        &["unit_id", "field", "value", "data_as_of", "source"],
        errors,
    ) {
        let row = Row {
            file,
            line,
            values: &values,
        };
        let (Some(unit_id), Some(field), Some(value)) = (
            row.required("unit_id", errors),
            row.parse::<ContactField>("field", errors),
            row.required("value", errors),
        ) else {
            continue;
        };
        if !seen.insert((unit_id.clone(), field)) {
            errors.push(row.error("field", format!("{field} of {unit_id} is given twice")));
            continue;
        }
        let Some(unit) = data.units.iter_mut().find(|u| u.id == unit_id) else {
            errors.push(row.error("unit_id", format!("`{unit_id}` is not a unit of units.csv")));
            continue;
        };
        unit.contact.set(
            field,
            Some(value),
            Provenance {
                data_as_of: row.optional("data_as_of"),
                source: row.optional("source"),
            },
        );
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    //! The import format, read without a database (synthetic fixtures, labelled so).
    use super::*;

    fn files(list: &[(&str, &str)]) -> BundleFiles {
        BundleFiles {
            files: list
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    const MANIFEST: &str = "dataset = \"synthetic\"\nversion = \"1\"\n[defaults.BE]\ntimezone = \"Europe/Brussels\"\nhours = \"mo-fr 08:00-18:00\"\n";

    #[test]
    fn a_bundle_reads_with_contacts_languages_parts_and_former_names() {
        let bundle = read_bundle(&files(&[
            ("directory.toml", MANIFEST),
            (
                "municipalities.csv",
                "id,country,code,name_fr,name_nl,languages,part_of,postal_codes\n\
                 BE-10001,BE,10001,Synthétique,Synthetisch,nl,,1000 1001\n\
                 BE-10001-1,BE,10001-1,Synthétique 1,,nl,BE-10001,\n",
            ),
            (
                "units.csv",
                "id,kind,country,name_nl,phone\nzone-synthetic,local_police_zone,BE,PZ Synthetisch,+3200000000\n",
            ),
            (
                "contacts.csv",
                "unit_id,field,value,data_as_of,source\nzone-synthetic,reception_hours,ma-vr 8-20,2023-11,synthetic\n",
            ),
            ("coverage.csv", "unit_id,municipality_id\nzone-synthetic,BE-10001-1\n"),
            (
                "former_names.csv",
                "name,municipality_id,since,kind\nOudnaam,BE-10001,2025-01-01,merged_municipality\n",
            ),
        ]))
        .unwrap();
        let data = &bundle.data;
        assert_eq!(data.municipalities[0].languages, vec![Lang::Nl]);
        assert_eq!(
            data.municipalities[1].part_of.as_ref().map(|p| p.as_str()),
            Some("BE-10001")
        );
        let contact = &data.units[0].contact;
        assert_eq!(contact.phone.as_deref(), Some("+3200000000"));
        assert_eq!(contact.reception_hours.as_deref(), Some("ma-vr 8-20"));
        assert_eq!(
            contact
                .provenance
                .get(&ContactField::ReceptionHours)
                .and_then(|p| p.data_as_of.as_deref()),
            Some("2023-11")
        );
        assert_eq!(data.former_names[0].name, "Oudnaam");
        assert!(data.validate().iter().all(|i| !i.is_error));
    }

    #[test]
    fn every_bad_value_is_reported_with_file_line_and_field() {
        let errors = read_bundle(&files(&[
            ("directory.toml", MANIFEST),
            (
                "municipalities.csv",
                "id,country,code,name_fr,languages,postal_codes\nBE-10001,BE,10001,X,xx,1000\n",
            ),
            (
                "units.csv",
                "id,kind,country,name_fr\nzone,local_police_zone,BE,Zone\n",
            ),
            (
                "contacts.csv",
                "unit_id,field,value,data_as_of,source\nzone,fax,1,,\nnobody,phone,1,,\n",
            ),
            (
                "former_names.csv",
                "name,municipality_id,since,kind\nOld,BE-10001,2025-13-01,renamed\n",
            ),
        ]))
        .unwrap_err();
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        for expected in [
            "municipalities.csv:2: field `languages`: `xx` is not a language",
            "contacts.csv:2: field `field`",
            "contacts.csv:3: field `unit_id`: `nobody` is not a unit of units.csv",
            "former_names.csv:2: field `kind`",
            "former_names.csv:2: field `since`",
        ] {
            assert!(
                lines.iter().any(|l| l.starts_with(expected)),
                "{expected} in {lines:?}"
            );
        }
    }

    #[test]
    fn the_embedded_reference_reads() {
        let bundle = read_bundle(BundleFiles::embedded()).unwrap();
        assert_eq!(bundle.dataset, "reference");
        assert!(bundle.data.units.len() > 250);
    }
}

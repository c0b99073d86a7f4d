//! The directory of police units and the routing of a filing to the unit competent for
//! the place of the facts.
//!
//! Routing is pure: a procedure's competence, a place and a date give a `Routing`. Points
//! are located by point-in-polygon over municipality polygons indexed by an R-tree; a
//! point within the uncertainty band of a border is `Ambiguous` unless every candidate
//! municipality belongs to the same unit.

use crate::catalogue::{Competence, Country};
use crate::i18n::Lang;
use chrono::NaiveDate;
use geo::{Contains, Distance, Euclidean};
use rstar::{RTree, RTreeObject, AABB};
use std::collections::{BTreeMap, HashMap};

pub mod hours;
pub use hours::{ServiceHours, ServiceHoursError};

/// Metres per degree of latitude (and of longitude at the equator).
const METRES_PER_DEGREE: f64 = 111_320.0;

crate::code_enum!(
    /// What kind of police body a unit is.
    UnitKind, "unit kind", {
        LocalPoliceZone => "local_police_zone",
        Commissariat => "commissariat",
        GendarmerieBrigade => "gendarmerie_brigade",
        NationalUnit => "national_unit",
        ECommissariatTeam => "e_commissariat_team",
    }
);

/// A municipality id: country and official code, written `BE-21004`, `FR-59350`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MunicipalityId(String);

impl MunicipalityId {
    pub fn new(country: Country, code: &str) -> Self {
        Self(format!("{}-{}", country.as_str(), code))
    }

    /// Parses `BE-21004`, or `21004` with a default country.
    pub fn parse(raw: &str, default_country: Option<Country>) -> Option<Self> {
        let raw = raw.trim();
        for country in Country::ALL {
            if let Some(code) = raw
                .strip_prefix(country.as_str())
                .and_then(|r| r.strip_prefix('-'))
            {
                return valid_code(code).then(|| Self::new(*country, code));
            }
        }
        let country = default_country?;
        valid_code(raw).then(|| Self::new(country, raw))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn country(&self) -> Option<Country> {
        Country::ALL.iter().copied().find(|c| {
            self.0
                .strip_prefix(c.as_str())
                .is_some_and(|r| r.starts_with('-'))
        })
    }

    /// The code without its country.
    pub fn code(&self) -> &str {
        self.0.split_once('-').map(|(_, c)| c).unwrap_or(&self.0)
    }
}

/// Lower case without diacritics, for searching (`Liège` and `liege` match).
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        let replacement = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a",
            'æ' => "ae",
            'ç' => "c",
            'è' | 'é' | 'ê' | 'ë' => "e",
            'ì' | 'í' | 'î' | 'ï' => "i",
            'ñ' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => "o",
            'œ' => "oe",
            'ù' | 'ú' | 'û' | 'ü' => "u",
            'ý' | 'ÿ' => "y",
            'ß' => "ss",
            '’' => "'",
            _ => {
                out.push(c);
                continue;
            }
        };
        out.push_str(replacement);
    }
    out
}

fn valid_code(code: &str) -> bool {
    (1..=64).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl std::fmt::Display for MunicipalityId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Municipality {
    pub id: MunicipalityId,
    pub country: Country,
    /// Names by language (fr, nl, de...); at least one.
    pub names: BTreeMap<Lang, String>,
    pub postal_codes: Vec<String>,
}

impl Municipality {
    /// The name in `lang`, else along its fallback chain, else any.
    pub fn name(&self, lang: Lang) -> &str {
        lang.fallback_chain()
            .iter()
            .find_map(|l| self.names.get(l))
            .or_else(|| self.names.values().next())
            .map(String::as_str)
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Contact {
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub web: Option<String>,
}

/// A period of validity, both ends included; open when `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Validity {
    pub from: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
}

impl Validity {
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.from.is_none_or(|f| f <= date) && self.until.is_none_or(|u| date <= u)
    }

    pub fn overlaps(&self, other: &Validity) -> bool {
        let starts_before_other_ends = match (self.from, other.until) {
            (Some(f), Some(u)) => f <= u,
            _ => true,
        };
        let other_starts_before_self_ends = match (other.from, self.until) {
            (Some(f), Some(u)) => f <= u,
            _ => true,
        };
        starts_before_other_ends && other_starts_before_self_ends
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub id: String,
    pub kind: UnitKind,
    pub official_number: Option<String>,
    pub country: Country,
    pub names: BTreeMap<Lang, String>,
    pub contact: Contact,
    pub hours: ServiceHours,
    /// True when `hours` are the deployment's default processing hours for the country,
    /// not hours known for this unit.
    pub hours_are_default: bool,
    pub validity: Validity,
    /// For France: `police_nationale` or `gendarmerie_nationale`.
    pub institution: Option<String>,
    /// Where the data comes from and how sure it is (for example `verified-2025`).
    pub confidence: Option<String>,
}

impl Unit {
    pub fn name(&self, lang: Lang) -> &str {
        lang.fallback_chain()
            .iter()
            .find_map(|l| self.names.get(l))
            .or_else(|| self.names.values().next())
            .map(String::as_str)
            .unwrap_or(&self.id)
    }
}

/// One municipality covered by one unit during a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    pub unit: String,
    pub municipality: MunicipalityId,
    pub validity: Validity,
}

/// A municipality's shape: outer rings and holes, in longitude/latitude.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    pub municipality: MunicipalityId,
    pub polygons: geo::MultiPolygon<f64>,
}

/// Everything the directory holds, as loaded from reference data.
#[derive(Debug, Clone, Default)]
pub struct DirectoryData {
    pub version: String,
    pub municipalities: Vec<Municipality>,
    pub units: Vec<Unit>,
    pub coverage: Vec<Coverage>,
    pub shapes: Vec<Shape>,
}

/// A problem found by `DirectoryData::validate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryIssue {
    /// Errors block an import; warnings are reported.
    pub is_error: bool,
    pub message: String,
}

impl DirectoryData {
    /// The invariants of a directory: units and municipalities referenced exist, no
    /// municipality is covered twice at any date, validity periods are ordered, shapes are
    /// non-empty and closed, every municipality with a unit in its country has one at any
    /// date of that unit's coverage.
    pub fn validate(&self) -> Vec<DirectoryIssue> {
        let mut issues = Vec::new();
        let mut push = |message: String| {
            issues.push(DirectoryIssue {
                is_error: true,
                message,
            })
        };
        let municipalities: HashMap<&MunicipalityId, &Municipality> =
            self.municipalities.iter().map(|m| (&m.id, m)).collect();
        if municipalities.len() != self.municipalities.len() {
            push("a municipality id appears twice".into());
        }
        let units: HashMap<&str, &Unit> = self.units.iter().map(|u| (u.id.as_str(), u)).collect();
        if units.len() != self.units.len() {
            push("a unit id appears twice".into());
        }
        for unit in &self.units {
            if let (Some(f), Some(u)) = (unit.validity.from, unit.validity.until) {
                if f > u {
                    push(format!("unit {}: valid from {f} after until {u}", unit.id));
                }
            }
        }
        let mut by_municipality: HashMap<&MunicipalityId, Vec<&Coverage>> = HashMap::new();
        for c in &self.coverage {
            if !units.contains_key(c.unit.as_str()) {
                push(format!(
                    "coverage of {}: unknown unit {}",
                    c.municipality, c.unit
                ));
            }
            if !municipalities.contains_key(&c.municipality) {
                push(format!(
                    "coverage by {}: unknown municipality {}",
                    c.unit, c.municipality
                ));
            }
            if let (Some(f), Some(u)) = (c.validity.from, c.validity.until) {
                if f > u {
                    push(format!(
                        "coverage of {} by {}: from {f} after until {u}",
                        c.municipality, c.unit
                    ));
                }
            }
            by_municipality.entry(&c.municipality).or_default().push(c);
        }
        for (municipality, list) in &by_municipality {
            for (i, a) in list.iter().enumerate() {
                for b in &list[i + 1..] {
                    if a.validity.overlaps(&b.validity) {
                        push(format!(
                            "{municipality} is covered by {} and {} at the same time",
                            a.unit, b.unit
                        ));
                    }
                }
            }
        }
        for shape in &self.shapes {
            if !municipalities.contains_key(&shape.municipality) {
                push(format!(
                    "shape of unknown municipality {}",
                    shape.municipality
                ));
            }
            if shape.polygons.0.is_empty() {
                push(format!("shape of {} is empty", shape.municipality));
            }
            for polygon in &shape.polygons.0 {
                let ring = polygon.exterior();
                if ring.0.len() < 4 || ring.0.first() != ring.0.last() {
                    push(format!(
                        "shape of {}: a ring is not closed",
                        shape.municipality
                    ));
                }
                if ring.0.iter().any(|c| {
                    !c.x.is_finite() || !c.y.is_finite() || c.x.abs() > 180.0 || c.y.abs() > 90.0
                }) {
                    push(format!(
                        "shape of {}: a coordinate is out of range",
                        shape.municipality
                    ));
                }
            }
        }
        // A municipality of a country with coverage but without a unit of its own is a
        // gap: reported as a warning, since operators may load a country in parts.
        let covered_countries: Vec<Country> = self
            .coverage
            .iter()
            .filter_map(|c| c.municipality.country())
            .collect();
        for m in &self.municipalities {
            if covered_countries.contains(&m.country) && !by_municipality.contains_key(&m.id) {
                issues.push(DirectoryIssue {
                    is_error: false,
                    message: format!("{} ({}) is covered by no unit", m.id, m.name(Lang::Fr)),
                });
            }
        }
        issues
    }
}

/// A place of facts: any combination of a municipality, a postal code and coordinates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Place {
    pub municipality: Option<MunicipalityId>,
    pub postal_code: Option<(Country, String)>,
    /// Latitude and longitude, WGS84.
    pub point: Option<(f64, f64)>,
}

crate::code_enum!(
    /// How the place was resolved.
    RoutingMethod, "routing method", {
        MunicipalityCode => "municipality_code",
        PostalCode => "postal_code",
        Coordinates => "coordinates",
        CoordinatesAndPostalCode => "coordinates_and_postal_code",
        NationalCompetence => "national_competence",
    }
);

crate::code_enum!(
    /// How sure the routing is.
    Confidence, "confidence", {
        /// Exact code, unique postal code, or a point far from any border.
        High => "high",
        /// Near a border, but every candidate belongs to the same unit; or a postal code
        /// cross-check settled a border case.
        Medium => "medium",
    }
);

#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub municipality: MunicipalityId,
    /// The unit competent for it at the date, if any.
    pub unit: Option<String>,
    /// Distance from the point to the municipality, in metres (0 inside it).
    pub distance_m: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Routing {
    Routed {
        unit: String,
        municipality: MunicipalityId,
        method: RoutingMethod,
        confidence: Confidence,
    },
    /// The citizen must choose; candidates by decreasing likelihood.
    Ambiguous {
        candidates: Vec<Candidate>,
        method: RoutingMethod,
    },
    OutOfArea {
        country: Option<Country>,
    },
    /// The place is known, but no unit is configured for it.
    NoUnit {
        municipality: MunicipalityId,
    },
    National {
        unit: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaceError {
    #[error("no place was given")]
    Empty,
    #[error("unknown municipality {0}")]
    UnknownMunicipality(String),
    #[error("unknown postal code {1} in {0}")]
    UnknownPostalCode(Country, String),
    #[error("coordinates out of range")]
    InvalidCoordinates,
    #[error("unknown national unit {0}")]
    UnknownNationalUnit(String),
}

struct IndexedShape {
    envelope: AABB<[f64; 2]>,
    index: usize,
}

impl RTreeObject for IndexedShape {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

/// A shape projected around its own latitude, so that distances are in metres.
struct ProjectedShape {
    municipality: MunicipalityId,
    cos_lat: f64,
    polygons: geo::MultiPolygon<f64>,
}

impl ProjectedShape {
    fn project(&self, lon: f64, lat: f64) -> geo::Point<f64> {
        geo::Point::new(
            lon * METRES_PER_DEGREE * self.cos_lat,
            lat * METRES_PER_DEGREE,
        )
    }

    fn contains(&self, lon: f64, lat: f64) -> bool {
        self.polygons.contains(&self.project(lon, lat))
    }

    fn distance_m(&self, lon: f64, lat: f64) -> f64 {
        let point = self.project(lon, lat);
        self.polygons
            .0
            .iter()
            .map(|p| Euclidean.distance(&point, p))
            .fold(f64::INFINITY, f64::min)
    }
}

/// The directory, indexed for routing.
pub struct Directory {
    pub version: String,
    municipalities: HashMap<MunicipalityId, Municipality>,
    units: HashMap<String, Unit>,
    coverage: HashMap<MunicipalityId, Vec<Coverage>>,
    postal: HashMap<(Country, String), Vec<MunicipalityId>>,
    shapes: Vec<ProjectedShape>,
    tree: RTree<IndexedShape>,
    /// Half-width of the uncertainty band around borders, in metres.
    pub border_band_m: f64,
}

impl Directory {
    pub fn new(data: DirectoryData, border_band_m: f64) -> Self {
        let mut postal: HashMap<(Country, String), Vec<MunicipalityId>> = HashMap::new();
        for m in &data.municipalities {
            for p in &m.postal_codes {
                postal
                    .entry((m.country, p.clone()))
                    .or_default()
                    .push(m.id.clone());
            }
        }
        let mut coverage: HashMap<MunicipalityId, Vec<Coverage>> = HashMap::new();
        for c in data.coverage {
            coverage.entry(c.municipality.clone()).or_default().push(c);
        }
        let mut shapes = Vec::new();
        let mut indexed = Vec::new();
        for shape in data.shapes {
            let Some(bounds) = geo::BoundingRect::bounding_rect(&shape.polygons) else {
                continue;
            };
            let cos_lat = ((bounds.min().y + bounds.max().y) / 2.0).to_radians().cos();
            let projected = geo::MapCoords::map_coords(&shape.polygons, |c| geo::Coord {
                x: c.x * METRES_PER_DEGREE * cos_lat,
                y: c.y * METRES_PER_DEGREE,
            });
            indexed.push(IndexedShape {
                envelope: AABB::from_corners(
                    [bounds.min().x, bounds.min().y],
                    [bounds.max().x, bounds.max().y],
                ),
                index: shapes.len(),
            });
            shapes.push(ProjectedShape {
                municipality: shape.municipality,
                cos_lat,
                polygons: projected,
            });
        }
        Self {
            version: data.version,
            municipalities: data
                .municipalities
                .into_iter()
                .map(|m| (m.id.clone(), m))
                .collect(),
            units: data.units.into_iter().map(|u| (u.id.clone(), u)).collect(),
            coverage,
            postal,
            shapes,
            tree: RTree::bulk_load(indexed),
            border_band_m,
        }
    }

    pub fn municipality(&self, id: &MunicipalityId) -> Option<&Municipality> {
        self.municipalities.get(id)
    }

    pub fn municipalities(&self) -> impl Iterator<Item = &Municipality> {
        self.municipalities.values()
    }

    pub fn unit(&self, id: &str) -> Option<&Unit> {
        self.units.get(id)
    }

    pub fn units(&self) -> impl Iterator<Item = &Unit> {
        self.units.values()
    }

    /// Municipalities whose name, in any language, or one of its words starts with `query`
    /// (accents and case ignored), or whose postal code starts with it. Whole-name
    /// prefixes first, then word prefixes, then postal codes; alphabetical within each.
    pub fn search(
        &self,
        country: Option<Country>,
        query: &str,
        lang: Lang,
        limit: usize,
    ) -> Vec<&Municipality> {
        let needle = fold(query.trim());
        if needle.is_empty() {
            return Vec::new();
        }
        let mut ranked: Vec<(u8, String, &Municipality)> = self
            .municipalities
            .values()
            .filter(|m| country.is_none_or(|c| m.country == c))
            .filter_map(|m| {
                let names: Vec<String> = m.names.values().map(|n| fold(n)).collect();
                let rank = if names.iter().any(|n| n.starts_with(&needle)) {
                    0
                } else if names.iter().any(|n| {
                    n.split([' ', '-', '\'', '('])
                        .any(|w| w.starts_with(&needle))
                }) {
                    1
                } else if m.postal_codes.iter().any(|p| p.starts_with(&needle)) {
                    2
                } else {
                    return None;
                };
                Some((rank, fold(m.name(lang)), m))
            })
            .collect();
        ranked.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| a.1.cmp(&b.1))
                .then_with(|| a.2.id.cmp(&b.2.id))
        });
        ranked.into_iter().take(limit).map(|(_, _, m)| m).collect()
    }

    /// The municipalities a unit covers at `date`.
    pub fn covered_by(&self, unit: &str, date: NaiveDate) -> Vec<&MunicipalityId> {
        let mut ids: Vec<&MunicipalityId> = self
            .coverage
            .values()
            .flatten()
            .filter(|c| c.unit == unit && c.validity.contains(date))
            .map(|c| &c.municipality)
            .collect();
        ids.sort();
        ids
    }

    /// The unit competent for a municipality at `date`.
    pub fn unit_for(&self, municipality: &MunicipalityId, date: NaiveDate) -> Option<&str> {
        self.coverage
            .get(municipality)?
            .iter()
            .filter(|c| c.validity.contains(date))
            .map(|c| c.unit.as_str())
            .find(|u| {
                self.units
                    .get(*u)
                    .is_some_and(|unit| unit.validity.contains(date))
            })
    }

    /// The municipalities sharing a postal code.
    pub fn by_postal_code(&self, country: Country, code: &str) -> &[MunicipalityId] {
        self.postal
            .get(&(country, code.to_owned()))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Municipalities containing the point, or within the band of it, nearest first.
    pub fn locate(&self, lat: f64, lon: f64) -> Vec<(MunicipalityId, f64)> {
        let band_lat = self.border_band_m / METRES_PER_DEGREE;
        let band_lon = band_lat / lat.to_radians().cos().max(0.01);
        let envelope = AABB::from_corners(
            [lon - band_lon, lat - band_lat],
            [lon + band_lon, lat + band_lat],
        );
        let mut found: Vec<(MunicipalityId, f64)> = Vec::new();
        for candidate in self.tree.locate_in_envelope_intersecting(&envelope) {
            let shape = &self.shapes[candidate.index];
            let distance = if shape.contains(lon, lat) {
                0.0
            } else {
                shape.distance_m(lon, lat)
            };
            if distance <= self.border_band_m {
                found.push((shape.municipality.clone(), distance));
            }
        }
        found.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        found
    }

    /// Routes a filing of a procedure with `competence`, at `place`, on `date`.
    pub fn route(
        &self,
        competence: &Competence,
        place: &Place,
        date: NaiveDate,
    ) -> Result<Routing, PlaceError> {
        if let Competence::National { unit } = competence {
            if !self.units.contains_key(unit) {
                return Err(PlaceError::UnknownNationalUnit(unit.clone()));
            }
            return Ok(Routing::National { unit: unit.clone() });
        }
        if let Some((lat, lon)) = place.point {
            if !(lat.is_finite()
                && lon.is_finite()
                && (-90.0..=90.0).contains(&lat)
                && (-180.0..=180.0).contains(&lon))
            {
                return Err(PlaceError::InvalidCoordinates);
            }
        }
        if let Some(id) = &place.municipality {
            if !self.municipalities.contains_key(id) {
                return Err(PlaceError::UnknownMunicipality(id.to_string()));
            }
            return Ok(self.settle(
                id.clone(),
                RoutingMethod::MunicipalityCode,
                Confidence::High,
                date,
            ));
        }
        let postal = match &place.postal_code {
            Some((country, code)) => {
                let ids = self.by_postal_code(*country, code);
                if ids.is_empty() {
                    return Err(PlaceError::UnknownPostalCode(*country, code.clone()));
                }
                Some(ids)
            }
            None => None,
        };
        if let Some((lat, lon)) = place.point {
            let located = self.locate(lat, lon);
            let inside = located
                .first()
                .filter(|(_, d)| *d == 0.0)
                .map(|(id, _)| id.clone());
            let mut candidates: Vec<(MunicipalityId, f64)> = located;
            let mut method = RoutingMethod::Coordinates;
            if let Some(ids) = postal {
                let narrowed: Vec<(MunicipalityId, f64)> = candidates
                    .iter()
                    .filter(|(id, _)| ids.contains(id))
                    .cloned()
                    .collect();
                // The postal code counts only when it removes some candidates.
                if !narrowed.is_empty() && narrowed.len() < candidates.len() {
                    candidates = narrowed;
                    method = RoutingMethod::CoordinatesAndPostalCode;
                }
            }
            return Ok(match candidates.as_slice() {
                [] => Routing::OutOfArea { country: None },
                [(only, _)] if method == RoutingMethod::CoordinatesAndPostalCode => {
                    self.settle(only.clone(), method, Confidence::Medium, date)
                }
                [(only, _)] if inside.as_ref() == Some(only) => {
                    self.settle(only.clone(), method, Confidence::High, date)
                }
                _ => self.border_case(candidates, inside, method, date),
            });
        }
        match postal {
            Some([only]) => Ok(self.settle(
                only.clone(),
                RoutingMethod::PostalCode,
                Confidence::High,
                date,
            )),
            Some(ids) => Ok(self.border_case(
                ids.iter().map(|id| (id.clone(), f64::NAN)).collect(),
                None,
                RoutingMethod::PostalCode,
                date,
            )),
            None => Err(PlaceError::Empty),
        }
    }

    fn settle(
        &self,
        municipality: MunicipalityId,
        method: RoutingMethod,
        confidence: Confidence,
        date: NaiveDate,
    ) -> Routing {
        match self.unit_for(&municipality, date) {
            Some(unit) => Routing::Routed {
                unit: unit.to_owned(),
                municipality,
                method,
                confidence,
            },
            None => Routing::NoUnit { municipality },
        }
    }

    /// Several municipalities are possible: if they all belong to one unit, the unit is
    /// certain (the containing municipality is reported); otherwise the citizen chooses.
    fn border_case(
        &self,
        candidates: Vec<(MunicipalityId, f64)>,
        inside: Option<MunicipalityId>,
        method: RoutingMethod,
        date: NaiveDate,
    ) -> Routing {
        let with_units: Vec<Candidate> = candidates
            .into_iter()
            .map(|(municipality, distance)| Candidate {
                unit: self.unit_for(&municipality, date).map(str::to_owned),
                distance_m: distance
                    .is_finite()
                    .then_some((distance * 10.0).round() / 10.0),
                municipality,
            })
            .collect();
        let first_unit = with_units.first().map(|c| c.unit.clone());
        let same_unit = with_units
            .iter()
            .all(|c| Some(&c.unit) == first_unit.as_ref());
        // The municipality to report when the unit is certain: the one containing the
        // point, if it is still a candidate.
        let settled = inside.filter(|m| with_units.iter().any(|c| &c.municipality == m));
        match (same_unit, settled, first_unit) {
            (true, Some(municipality), Some(Some(unit))) => Routing::Routed {
                unit,
                municipality,
                method,
                confidence: Confidence::Medium,
            },
            // No candidate has a unit: the place is known, no unit serves it.
            (true, Some(municipality), Some(None)) => Routing::NoUnit { municipality },
            _ => Routing::Ambiguous {
                candidates: with_units,
                method,
            },
        }
    }
}

#[cfg(test)]
mod tests;

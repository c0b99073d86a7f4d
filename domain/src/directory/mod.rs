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
use geo::Contains;
use rstar::{RTree, RTreeObject, AABB};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

pub mod hours;
pub mod text;
pub use hours::{ServiceHours, ServiceHoursError};
pub use text::{fold, normalize_postal_code};

/// The radius assumed around a position sent without `accuracy_m`, in metres: a pin on a
/// map or typed coordinates.
pub const DEFAULT_ACCURACY_M: f64 = 50.0;

/// Added to a position's own accuracy for the error of the polygons themselves, in
/// metres: the shipped borders are within about 10 m of their sources (Belgium: 10 m
/// Douglas–Peucker; Luxembourg and Catalonia: 20 m), and the sources agree within a few
/// metres at the median (see `data/reference/SOURCES.md`).
pub const DATA_MARGIN_M: f64 = 25.0;

/// The largest accuracy radius taken into account, in metres; a phone reporting more is
/// treated as if it reported this.
pub const MAX_ACCURACY_M: f64 = 5_000.0;

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
        /// An Àrea Bàsica Policial of the Mossos d'Esquadra (Catalonia).
        BasicPoliceArea => "basic_police_area",
    }
);

/// The French force named by the Interior ministry's territorial-competence file
/// (`PN`/`police`/`police nationale`, `GN`/`gendarmerie`/`gendarmerie nationale`, any
/// case): the kind of the competent unit and its institution. Commissariats and
/// gendarmerie brigades stay apart.
pub fn french_force(raw: &str) -> Option<(UnitKind, &'static str)> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "pn" | "police" | "police nationale" => Some((UnitKind::Commissariat, "police_nationale")),
        "gn" | "gendarmerie" | "gendarmerie nationale" => {
            Some((UnitKind::GendarmerieBrigade, "gendarmerie_nationale"))
        }
        _ => None,
    }
}

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

    /// The code without its country (`21004` of `BE-21004`, `08019` of `ES-CT-08019`).
    pub fn code(&self) -> &str {
        match self.country() {
            Some(country) => &self.0[country.as_str().len() + 1..],
            None => self.0.split_once('-').map(|(_, c)| c).unwrap_or(&self.0),
        }
    }
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
    /// Names by language (fr, nl, de...), official names and established exonyms; at
    /// least one.
    pub names: BTreeMap<Lang, String>,
    /// The official language(s) of the municipality's own region, in order (`nl` for
    /// Flanders, `fr nl` for Brussels, `de` for the German-speaking municipalities, `ca`
    /// for Catalonia). Empty when unknown.
    pub languages: Vec<Lang>,
    /// For a part of a municipality served by several units (Barcelona's district
    /// ABPs): the municipality it is part of.
    pub part_of: Option<MunicipalityId>,
    pub postal_codes: Vec<String>,
}

/// The name of a place in `lang`: its own name in that language when it has one (an
/// official name or an established exonym), else its official name in its own region's
/// language (`Voeren`, `Leuven`, `Sankt Vith` for an English reader), else any name. Never
/// the reader's fallback language: Voeren is not shown as "Fourons" to an English reader.
pub fn place_name<'a>(
    names: &'a BTreeMap<Lang, String>,
    languages: &[Lang],
    lang: Lang,
) -> &'a str {
    names
        .get(&lang)
        .or_else(|| languages.iter().find_map(|l| names.get(l)))
        .or_else(|| names.values().next())
        .map(String::as_str)
        .unwrap_or_default()
}

impl Municipality {
    /// The name in `lang` (see [`place_name`]): used on receipts, in explanations and
    /// in every API answer.
    pub fn name(&self, lang: Lang) -> &str {
        place_name(&self.names, &self.languages, lang)
    }
}

crate::code_enum!(
    /// Why a municipality is known under another name.
    FormerNameKind, "former name kind", {
        /// A municipality merged into this one (Galmaarden into Pajottegem, 2025).
        MergedMunicipality => "merged_municipality",
        /// A postal locality of this municipality.
        PostalLocality => "postal_locality",
    }
);

/// An older or other name under which citizens still look for a municipality.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormerName {
    pub name: String,
    pub municipality: MunicipalityId,
    /// Since when the name leads to this municipality (the merger date).
    pub since: Option<NaiveDate>,
    pub kind: FormerNameKind,
}

crate::code_enum!(
    /// A piece of a unit's contact data.
    ContactField, "contact field", {
        Address => "address",
        Phone => "phone",
        Email => "email",
        Website => "website",
        ReceptionHours => "reception_hours",
    }
);

/// Where a contact value comes from and how old it is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Provenance {
    /// The date of the value as its source gives it (`2023-11`, `2026-08-19`, or a
    /// description such as `undated page`).
    pub data_as_of: Option<String>,
    /// The source: a repository path, a URL, or `correction by <officer>`.
    pub source: Option<String>,
}

/// What a value of `field` must be to be published as a unit's contact, as the code of
/// the rule it breaks (`None`: acceptable). The website is an `http`/`https` URL with a
/// host name (no `javascript:` or `data:` link reaches the public page); the e-mail
/// address follows the service's one rule (`identifiers::valid_email`); a phone
/// number is digits with `+` (first only), spaces, `(`, `)`, `-`, `.` or `/`, and at
/// least three digits (`112`). Address and reception hours are free text.
pub fn contact_issue(field: ContactField, value: &str) -> Option<&'static str> {
    match field {
        ContactField::Website => {
            let Some(rest) = value
                .strip_prefix("https://")
                .or_else(|| value.strip_prefix("http://"))
            else {
                return Some("invalid_url");
            };
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            let host = match authority.rsplit_once(':') {
                Some((host, port))
                    if !port.is_empty() && port.chars().all(|c| c.is_ascii_digit()) =>
                {
                    host
                }
                Some(_) => "",
                None => authority,
            };
            let fine = crate::identifiers::host(host).is_ok()
                && !value.chars().any(|c| c.is_whitespace() || c.is_control());
            (!fine).then_some("invalid_url")
        }
        ContactField::Email => (!crate::identifiers::valid_email(value)).then_some("invalid_email"),
        ContactField::Phone => {
            let allowed = value
                .char_indices()
                .all(|(i, c)| c.is_ascii_digit() || (c == '+' && i == 0) || " ().-/".contains(c));
            let digits = value.chars().filter(char::is_ascii_digit).count();
            (!(allowed && digits >= 3)).then_some("invalid_phone")
        }
        ContactField::Address | ContactField::ReceptionHours => None,
    }
}

/// How to reach a unit: the main station's address, phone, e-mail, website and
/// reception hours (free text, as the source writes them), each with its provenance.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Contact {
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub web: Option<String>,
    pub reception_hours: Option<String>,
    /// Date and source of each value present.
    pub provenance: BTreeMap<ContactField, Provenance>,
}

impl Contact {
    pub fn get(&self, field: ContactField) -> Option<&str> {
        match field {
            ContactField::Address => self.address.as_deref(),
            ContactField::Phone => self.phone.as_deref(),
            ContactField::Email => self.email.as_deref(),
            ContactField::Website => self.web.as_deref(),
            ContactField::ReceptionHours => self.reception_hours.as_deref(),
        }
    }

    /// Sets (or with `None` clears) one value with its provenance.
    pub fn set(&mut self, field: ContactField, value: Option<String>, provenance: Provenance) {
        let slot = match field {
            ContactField::Address => &mut self.address,
            ContactField::Phone => &mut self.phone,
            ContactField::Email => &mut self.email,
            ContactField::Website => &mut self.web,
            ContactField::ReceptionHours => &mut self.reception_hours,
        };
        *slot = value;
        if slot.is_some() {
            self.provenance.insert(field, provenance);
        } else {
            self.provenance.remove(&field);
        }
    }

    pub fn is_empty(&self) -> bool {
        ContactField::ALL.iter().all(|f| self.get(*f).is_none())
    }
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
    pub former_names: Vec<FormerName>,
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
            // Names shown to citizens and officers: no invisible or bidirectional
            // control character (crate::names).
            for (lang, name) in &unit.names {
                if name.trim().is_empty() || !crate::names::is_valid_name(name) {
                    push(format!(
                        "unit {}: the {lang} name is empty or holds an invisible, bidirectional control or line-break character",
                        unit.id
                    ));
                }
            }
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
                if ring.0.iter().any(|c| !valid_coordinates(c.y, c.x)) {
                    push(format!(
                        "shape of {}: a coordinate is out of range",
                        shape.municipality
                    ));
                }
            }
        }
        let mut split: Vec<&MunicipalityId> = Vec::new();
        for m in &self.municipalities {
            if let Some(parent) = &m.part_of {
                if !municipalities.contains_key(parent) {
                    push(format!("{} is part of unknown municipality {parent}", m.id));
                }
                split.push(parent);
            }
        }
        for former in &self.former_names {
            if !municipalities.contains_key(&former.municipality) {
                push(format!(
                    "former name {} leads to unknown municipality {}",
                    former.name, former.municipality
                ));
            }
        }
        // A municipality of a country with coverage but without a unit of its own is a
        // gap: reported as a warning, since operators may load a country in parts. A
        // municipality split into parts is covered through its parts.
        let covered_countries: Vec<Country> = self
            .coverage
            .iter()
            .filter_map(|c| c.municipality.country())
            .collect();
        let mut gaps: BTreeMap<Country, Vec<&Municipality>> = BTreeMap::new();
        for m in &self.municipalities {
            if covered_countries.contains(&m.country)
                && !by_municipality.contains_key(&m.id)
                && !split.contains(&&m.id)
            {
                gaps.entry(m.country).or_default().push(m);
            }
        }
        // One warning per country, with a few examples: a country loaded in parts (the
        // French sample beyond Val-d'Oise) is not a list of a thousand lines.
        for (country, mut list) in gaps {
            list.sort_by(|a, b| a.id.cmp(&b.id));
            let examples: Vec<String> = list
                .iter()
                .take(3)
                .map(|m| format!("{} ({})", m.id, m.name(Lang::Fr)))
                .collect();
            issues.push(DirectoryIssue {
                is_error: false,
                message: format!(
                    "{country}: {} municipalit{} covered by no unit: {}{}",
                    list.len(),
                    if list.len() == 1 { "y is" } else { "ies are" },
                    examples.join(", "),
                    if list.len() > 3 { ", ..." } else { "" }
                ),
            });
        }
        issues
    }

    /// What `incoming` (one dataset) would define again over `self` (the other
    /// datasets): every municipality and unit id is defined by one dataset only.
    pub fn conflicts_with(&self, incoming: &DirectoryData) -> Vec<String> {
        let municipalities: std::collections::HashSet<&MunicipalityId> =
            self.municipalities.iter().map(|m| &m.id).collect();
        let units: std::collections::HashSet<&str> =
            self.units.iter().map(|u| u.id.as_str()).collect();
        let mut issues: Vec<String> = incoming
            .municipalities
            .iter()
            .filter(|m| municipalities.contains(&m.id))
            .map(|m| {
                format!(
                    "municipality {} is already defined by another dataset",
                    m.id
                )
            })
            .collect();
        issues.extend(
            incoming
                .units
                .iter()
                .filter(|u| units.contains(u.id.as_str()))
                .map(|u| format!("unit {} is already defined by another dataset", u.id)),
        );
        issues
    }

    /// Adds another dataset's rows (after [`DirectoryData::conflicts_with`]).
    pub fn extend(&mut self, other: &DirectoryData) {
        self.municipalities
            .extend(other.municipalities.iter().cloned());
        self.units.extend(other.units.iter().cloned());
        self.coverage.extend(other.coverage.iter().cloned());
        self.shapes.extend(other.shapes.iter().cloned());
        self.former_names.extend(other.former_names.iter().cloned());
    }
}

/// Whether a WGS84 position is a real one: finite, latitude within ±90°, longitude
/// within ±180° (degrees). The one place coordinates are checked: routing, the
/// directory's shapes and the filing's place all call it.
pub fn valid_coordinates(lat: f64, lon: f64) -> bool {
    lat.is_finite()
        && lon.is_finite()
        && (-90.0..=90.0).contains(&lat)
        && (-180.0..=180.0).contains(&lon)
}

/// Whether a position's accuracy is a distance: finite and not negative (metres).
pub fn valid_accuracy(metres: f64) -> bool {
    metres.is_finite() && metres >= 0.0
}

/// A place of facts: any combination of a municipality, a postal code and coordinates,
/// with the accuracy of the coordinates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Place {
    pub municipality: Option<MunicipalityId>,
    /// The country and the postal code as given; routing normalises it with
    /// [`normalize_postal_code`].
    pub postal_code: Option<(Country, String)>,
    /// Latitude and longitude, WGS84.
    pub point: Option<(f64, f64)>,
    /// The radius of the position's uncertainty in metres, as a phone's location API
    /// reports it (68 % confidence); [`Directory::default_accuracy_m`] when absent.
    pub accuracy_m: Option<f64>,
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
        /// Exact code, unique postal code, or a point whose uncertainty circle stays
        /// inside one municipality.
        High => "high",
        /// Near a border, but every candidate belongs to the same unit; or a postal code
        /// cross-check settled a border case.
        Medium => "medium",
    }
);

crate::code_enum!(
    /// Why the citizen must choose among candidates.
    AmbiguityReason, "ambiguity reason", {
        /// The position's uncertainty circle crosses a border between municipalities
        /// served by different units.
        NearBorder => "near_border",
        /// The point lies outside every municipality of the directory (abroad, at sea),
        /// but its uncertainty circle reaches these candidates.
        OutsideNearEdge => "outside_near_edge",
        /// The postal code is shared by several municipalities.
        SharedPostalCode => "shared_postal_code",
        /// The place fields disagree (coordinates in one municipality, `municipality` or
        /// `postal_code` naming another): each side is a candidate.
        PlaceFieldsDisagree => "place_fields_disagree",
        /// The municipality is served by several units, by part (Barcelona's districts):
        /// the candidates are its parts.
        MunicipalitySplit => "municipality_split",
    }
);

#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub municipality: MunicipalityId,
    /// The unit competent for it at the date, if any.
    pub unit: Option<String>,
    /// Distance from the point to the municipality, in metres (0 inside it).
    pub distance_m: Option<f64>,
    /// The municipality's names and own languages, for [`Candidate::name`].
    pub names: BTreeMap<Lang, String>,
    pub languages: Vec<Lang>,
}

impl Candidate {
    /// The municipality's name in `lang` (see [`place_name`]).
    pub fn name(&self, lang: Lang) -> &str {
        let name = place_name(&self.names, &self.languages, lang);
        if name.is_empty() {
            self.municipality.as_str()
        } else {
            name
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Routing {
    Routed {
        unit: String,
        municipality: MunicipalityId,
        method: RoutingMethod,
        confidence: Confidence,
    },
    /// The citizen must choose; candidates by decreasing likelihood, and why.
    Ambiguous {
        candidates: Vec<Candidate>,
        method: RoutingMethod,
        reason: AmbiguityReason,
    },
    /// Outside the directory. `country` is set when the place names a country whose
    /// directory holds nothing for it (no municipality, no unit): a "no unit" answer.
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
    #[error("accuracy must be a distance in metres, 0 or more")]
    InvalidAccuracy,
    #[error("unknown national unit {0}")]
    UnknownNationalUnit(String),
}

impl PlaceError {
    /// The stable problem or field-error code of this error, for every path that
    /// reports it (`/v1/jurisdiction`, the filing's place checks).
    pub fn code(&self) -> &'static str {
        match self {
            PlaceError::Empty => "required",
            PlaceError::UnknownMunicipality(_) => "municipality_not_found",
            PlaceError::UnknownPostalCode(..) => "postal_code_not_found",
            PlaceError::InvalidCoordinates | PlaceError::InvalidAccuracy => "out_of_range",
            PlaceError::UnknownNationalUnit(_) => "no_competent_unit",
        }
    }

    /// The member of the place the error is about, relative to the place
    /// (`/municipality`, `/postal_code`, `/lat`, `/accuracy_m`, or `` for the whole).
    pub fn member(&self) -> &'static str {
        match self {
            PlaceError::Empty | PlaceError::UnknownNationalUnit(_) => "",
            PlaceError::UnknownMunicipality(_) => "/municipality",
            PlaceError::UnknownPostalCode(..) => "/postal_code",
            PlaceError::InvalidCoordinates => "/lat",
            PlaceError::InvalidAccuracy => "/accuracy_m",
        }
    }
}

#[derive(Clone)]
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

    /// The distance in metres from the point (outside the shape) to its border, when at
    /// most `band_m`; `None` beyond. Segments whose box is farther than the band are
    /// skipped without arithmetic, and distances are compared squared: this is the hot
    /// loop of routing.
    fn distance_within(&self, lon: f64, lat: f64, band_m: f64) -> Option<f64> {
        let point = self.project(lon, lat);
        let (px, py) = (point.x(), point.y());
        let mut best = band_m * band_m;
        let mut found = false;
        for polygon in &self.polygons.0 {
            for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                for pair in ring.0.windows(2) {
                    let (a, b) = (pair[0], pair[1]);
                    if a.x.max(b.x) < px - band_m
                        || a.x.min(b.x) > px + band_m
                        || a.y.max(b.y) < py - band_m
                        || a.y.min(b.y) > py + band_m
                    {
                        continue;
                    }
                    let (dx, dy) = (b.x - a.x, b.y - a.y);
                    let length2 = dx * dx + dy * dy;
                    let t = if length2 > 0.0 {
                        (((px - a.x) * dx + (py - a.y) * dy) / length2).clamp(0.0, 1.0)
                    } else {
                        0.0
                    };
                    let (cx, cy) = (a.x + t * dx - px, a.y + t * dy - py);
                    let distance2 = cx * cx + cy * cy;
                    if distance2 <= best {
                        best = distance2;
                        found = true;
                    }
                }
            }
        }
        found.then(|| best.sqrt())
    }
}

/// The geometry of the directory, shared between copies of it.
struct Geometry {
    shapes: Vec<ProjectedShape>,
    tree: RTree<IndexedShape>,
    /// Municipalities with a shape.
    shaped: std::collections::HashSet<MunicipalityId>,
}

/// A search result: the municipality, and the other name it was found under, if any.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchHit<'a> {
    pub municipality: &'a Municipality,
    pub via: Option<&'a FormerName>,
}

/// The directory, indexed for routing. Cloning is cheap: the geometry is shared.
#[derive(Clone)]
pub struct Directory {
    pub version: String,
    municipalities: HashMap<MunicipalityId, Municipality>,
    units: HashMap<String, Unit>,
    coverage: HashMap<MunicipalityId, Vec<Coverage>>,
    postal: HashMap<(Country, String), Vec<MunicipalityId>>,
    parts: HashMap<MunicipalityId, Vec<MunicipalityId>>,
    countries: std::collections::HashSet<Country>,
    former_names: Vec<FormerName>,
    geometry: Arc<Geometry>,
    /// The uncertainty radius of a position sent without accuracy, in metres.
    pub default_accuracy_m: f64,
    /// Added to every position's radius for the error of the polygons, in metres.
    pub data_margin_m: f64,
}

impl Directory {
    /// Indexes `data`. `default_accuracy_m` is the radius assumed around a point sent
    /// without accuracy ([`DEFAULT_ACCURACY_M`] is the documented default); the data
    /// margin is [`DATA_MARGIN_M`] unless set with [`Directory::with_data_margin`].
    pub fn new(data: DirectoryData, default_accuracy_m: f64) -> Self {
        let mut postal: HashMap<(Country, String), Vec<MunicipalityId>> = HashMap::new();
        let mut parts: HashMap<MunicipalityId, Vec<MunicipalityId>> = HashMap::new();
        for m in &data.municipalities {
            for p in &m.postal_codes {
                postal
                    .entry((m.country, p.clone()))
                    .or_default()
                    .push(m.id.clone());
            }
            if let Some(parent) = &m.part_of {
                parts.entry(parent.clone()).or_default().push(m.id.clone());
            }
        }
        for list in parts.values_mut() {
            list.sort();
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
        let shaped = shapes.iter().map(|s| s.municipality.clone()).collect();
        Self {
            version: data.version,
            countries: data.municipalities.iter().map(|m| m.country).collect(),
            municipalities: data
                .municipalities
                .into_iter()
                .map(|m| (m.id.clone(), m))
                .collect(),
            units: data.units.into_iter().map(|u| (u.id.clone(), u)).collect(),
            coverage,
            postal,
            parts,
            former_names: data.former_names,
            geometry: Arc::new(Geometry {
                shapes,
                tree: RTree::bulk_load(indexed),
                shaped,
            }),
            default_accuracy_m,
            data_margin_m: DATA_MARGIN_M,
        }
    }

    /// The same directory with another data margin (metres, 0 or more).
    pub fn with_data_margin(mut self, data_margin_m: f64) -> Self {
        self.data_margin_m = data_margin_m;
        self
    }

    pub fn municipality(&self, id: &MunicipalityId) -> Option<&Municipality> {
        self.municipalities.get(id)
    }

    /// The name of a municipality in `lang` (see [`place_name`]), or its id when unknown.
    pub fn municipality_name(&self, id: &MunicipalityId, lang: Lang) -> String {
        self.municipalities
            .get(id)
            .map(|m| m.name(lang).to_owned())
            .unwrap_or_else(|| id.to_string())
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

    /// How to reach a unit (address, phone, e-mail, website, reception hours, each with
    /// its date and source), for receipts and refusals; `None` for an unknown unit.
    pub fn unit_contact(&self, id: &str) -> Option<&Contact> {
        self.units.get(id).map(|u| &u.contact)
    }

    /// A copy of this directory where `unit`'s contact is `contact` (after a
    /// supervisor's correction). `None` for an unknown unit.
    pub fn with_unit_contact(&self, unit: &str, contact: Contact) -> Option<Self> {
        let mut copy = self.clone();
        copy.units.get_mut(unit)?.contact = contact;
        Some(copy)
    }

    /// Whether the directory holds anything for `country`.
    pub fn covers_country(&self, country: Country) -> bool {
        self.countries.contains(&country)
    }

    /// Municipalities whose name, in any language, or one of its words starts with `query`
    /// (Unicode-normalised, accents and case ignored), or whose postal code starts with it
    /// (in any written form: `L-2449`), or that an older name leads to (`Galmaarden` →
    /// Pajottegem; a postal locality). Whole-name prefixes first, then word prefixes,
    /// then postal codes, then other names; alphabetical within each.
    pub fn search(
        &self,
        country: Option<Country>,
        query: &str,
        lang: Lang,
        limit: usize,
    ) -> Vec<SearchHit<'_>> {
        let needle = fold(query.trim());
        if needle.is_empty() {
            return Vec::new();
        }
        let postal_needles: Vec<(Country, String)> = if text::looks_like_postal_code(query) {
            Country::ALL
                .iter()
                .filter(|c| country.is_none_or(|only| only == **c))
                .map(|c| {
                    let digits: String = query.chars().filter(char::is_ascii_digit).collect();
                    (*c, normalize_postal_code(*c, query).unwrap_or(digits))
                })
                .collect()
        } else {
            Vec::new()
        };
        let name_rank = |name: &str| {
            let folded = fold(name);
            if folded.starts_with(&needle) {
                Some(0)
            } else if folded
                .split([' ', '-', '\'', '(', '–'])
                .any(|w| w.starts_with(&needle))
            {
                Some(1)
            } else {
                None
            }
        };
        let mut ranked: Vec<(u8, String, SearchHit<'_>)> = self
            .municipalities
            .values()
            .filter(|m| country.is_none_or(|c| m.country == c))
            .filter_map(|m| {
                let rank = m
                    .names
                    .values()
                    .filter_map(|n| name_rank(n))
                    .min()
                    .or_else(|| {
                        m.postal_codes
                            .iter()
                            .any(|p| {
                                p.starts_with(&needle)
                                    || postal_needles
                                        .iter()
                                        .any(|(c, n)| *c == m.country && p.starts_with(n.as_str()))
                            })
                            .then_some(2)
                    })?;
                Some((
                    rank,
                    fold(m.name(lang)),
                    SearchHit {
                        municipality: m,
                        via: None,
                    },
                ))
            })
            .collect();
        for former in &self.former_names {
            let Some(m) = self.municipalities.get(&former.municipality) else {
                continue;
            };
            if country.is_some_and(|c| m.country != c)
                || ranked.iter().any(|(_, _, h)| h.municipality.id == m.id)
            {
                continue;
            }
            if name_rank(&former.name).is_some() {
                ranked.push((
                    3,
                    fold(m.name(lang)),
                    SearchHit {
                        municipality: m,
                        via: Some(former),
                    },
                ));
            }
        }
        ranked.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| a.1.cmp(&b.1))
                .then_with(|| a.2.municipality.id.cmp(&b.2.municipality.id))
        });
        ranked.dedup_by(|a, b| a.2.municipality.id == b.2.municipality.id);
        ranked.into_iter().take(limit).map(|(_, _, h)| h).collect()
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

    /// Where a unit is, roughly: the mean of the centroids of the municipalities it
    /// covers at `date`, as `(lat, lon)` in degrees; `None` for a unit without shapes
    /// (a national team). Used to rank nearby units (appointments at another station).
    pub fn unit_centre(&self, unit: &str, date: NaiveDate) -> Option<(f64, f64)> {
        use geo::Centroid;
        let covered: std::collections::HashSet<&MunicipalityId> =
            self.covered_by(unit, date).into_iter().collect();
        let (mut lat, mut lon, mut n) = (0.0, 0.0, 0.0);
        for shape in &self.geometry.shapes {
            if !covered.contains(&shape.municipality) {
                continue;
            }
            if let Some(c) = shape.polygons.centroid() {
                lat += c.y() / METRES_PER_DEGREE;
                lon += c.x() / (METRES_PER_DEGREE * shape.cos_lat);
                n += 1.0;
            }
        }
        (n > 0.0).then(|| (lat / n, lon / n))
    }

    /// The distance in metres between two `(lat, lon)` points (equirectangular, good
    /// to a fraction of a percent at the scale of a region).
    pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
        let cos_lat = ((a.0 + b.0) / 2.0).to_radians().cos();
        let dx = (a.1 - b.1) * METRES_PER_DEGREE * cos_lat;
        let dy = (a.0 - b.0) * METRES_PER_DEGREE;
        (dx * dx + dy * dy).sqrt()
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

    /// The municipalities of a postal code, in any written form (`L-2449`, `B-1000`,
    /// `" 1000"`); empty when the code is unknown or malformed.
    pub fn by_postal_code(&self, country: Country, code: &str) -> &[MunicipalityId] {
        normalize_postal_code(country, code)
            .and_then(|code| self.postal.get(&(country, code)))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The uncertainty radius around a point: its accuracy (or the default) plus the
    /// data margin, in metres.
    pub fn band_m(&self, accuracy_m: Option<f64>) -> f64 {
        accuracy_m
            .unwrap_or(self.default_accuracy_m)
            .clamp(0.0, MAX_ACCURACY_M)
            + self.data_margin_m
    }

    /// Municipalities containing the point, or within `band_m` metres of it, nearest
    /// first (distance 0 inside).
    pub fn locate_within(&self, lat: f64, lon: f64, band_m: f64) -> Vec<(MunicipalityId, f64)> {
        let band_lat = band_m / METRES_PER_DEGREE;
        let band_lon = band_lat / lat.to_radians().cos().max(0.01);
        let envelope = AABB::from_corners(
            [lon - band_lon, lat - band_lat],
            [lon + band_lon, lat + band_lat],
        );
        let mut found: Vec<(MunicipalityId, f64)> = Vec::new();
        for candidate in self
            .geometry
            .tree
            .locate_in_envelope_intersecting(&envelope)
        {
            let shape = &self.geometry.shapes[candidate.index];
            let distance = if shape.contains(lon, lat) {
                Some(0.0)
            } else {
                shape.distance_within(lon, lat, band_m)
            };
            if let Some(distance) = distance {
                found.push((shape.municipality.clone(), distance));
            }
        }
        found.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        found
    }

    /// [`Directory::locate_within`] the default band.
    pub fn locate(&self, lat: f64, lon: f64) -> Vec<(MunicipalityId, f64)> {
        self.locate_within(lat, lon, self.band_m(None))
    }

    /// Routes a filing of a procedure with `competence`, at `place`, on `date` (the
    /// local date of the facts).
    ///
    /// Coordinates are located with their uncertainty circle (accuracy plus data
    /// margin): inside one municipality and no other unit's border within the circle →
    /// `Routed`; the circle crossing a border between units → `Ambiguous`
    /// (`near_border`); outside every municipality → `OutOfArea`, or `Ambiguous`
    /// (`outside_near_edge`) when the circle reaches one, never `Routed`. Place fields
    /// that disagree (a point in one municipality, `municipality` or `postal_code` naming
    /// another) give `Ambiguous` (`place_fields_disagree`) with both sides.
    ///
    /// Errors: an unknown municipality or postal code (unless the country has no
    /// directory at all, which is `OutOfArea { country }`), coordinates or accuracy out
    /// of range, an unknown national unit.
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
        if place
            .point
            .is_some_and(|(lat, lon)| !valid_coordinates(lat, lon))
        {
            return Err(PlaceError::InvalidCoordinates);
        }
        if place.accuracy_m.is_some_and(|a| !valid_accuracy(a)) {
            return Err(PlaceError::InvalidAccuracy);
        }
        let municipality = match &place.municipality {
            Some(id) if !self.municipalities.contains_key(id) => {
                return match id.country() {
                    Some(country) if !self.covers_country(country) => Ok(Routing::OutOfArea {
                        country: Some(country),
                    }),
                    _ => Err(PlaceError::UnknownMunicipality(id.to_string())),
                };
            }
            other => other.clone(),
        };
        let postal: Option<&[MunicipalityId]> = match &place.postal_code {
            Some((country, code)) => {
                let ids = self.by_postal_code(*country, code);
                if ids.is_empty() {
                    if !self.covers_country(*country) {
                        return Ok(Routing::OutOfArea {
                            country: Some(*country),
                        });
                    }
                    let shown = normalize_postal_code(*country, code)
                        .unwrap_or_else(|| code.trim().to_owned());
                    return Err(PlaceError::UnknownPostalCode(*country, shown));
                }
                Some(ids)
            }
            None => None,
        };
        let located = place
            .point
            .map(|(lat, lon)| self.locate_within(lat, lon, self.band_m(place.accuracy_m)));

        if let Some(id) = municipality {
            return Ok(self.route_municipality(id, postal, located, date));
        }
        if let Some(located) = located {
            return Ok(self.route_point(located, postal, date));
        }
        match postal {
            Some([only]) => Ok(self.settle(
                only.clone(),
                RoutingMethod::PostalCode,
                Confidence::High,
                date,
            )),
            Some(ids) => Ok(self.ambiguous(
                ids.iter().map(|id| (id.clone(), f64::NAN)).collect(),
                RoutingMethod::PostalCode,
                AmbiguityReason::SharedPostalCode,
                date,
            )),
            None => Err(PlaceError::Empty),
        }
    }

    /// Whether `candidate` is `id` or one of its parts.
    fn is_or_part_of(&self, candidate: &MunicipalityId, id: &MunicipalityId) -> bool {
        candidate == id
            || self
                .municipalities
                .get(candidate)
                .and_then(|m| m.part_of.as_ref())
                == Some(id)
    }

    /// A municipality given by id, checked against the other place fields.
    fn route_municipality(
        &self,
        id: MunicipalityId,
        postal: Option<&[MunicipalityId]>,
        located: Option<Vec<(MunicipalityId, f64)>>,
        date: NaiveDate,
    ) -> Routing {
        let method = RoutingMethod::MunicipalityCode;
        if let Some(ids) = postal {
            if !ids
                .iter()
                .any(|p| self.is_or_part_of(p, &id) || self.is_or_part_of(&id, p))
            {
                let mut candidates = vec![(id.clone(), f64::NAN)];
                candidates.extend(ids.iter().map(|p| (p.clone(), f64::NAN)));
                return self.ambiguous(
                    candidates,
                    method,
                    AmbiguityReason::PlaceFieldsDisagree,
                    date,
                );
            }
        }
        if let Some(located) = located {
            // The point agrees when the municipality (or one of its parts) is within
            // the uncertainty circle; a municipality without a shape cannot be checked.
            if let Some((part, _)) = located.iter().find(|(m, _)| self.is_or_part_of(m, &id)) {
                return self.settle(part.clone(), method, Confidence::High, date);
            }
            let checkable = self.geometry.shaped.contains(&id)
                || self
                    .parts
                    .get(&id)
                    .is_some_and(|p| p.iter().any(|m| self.geometry.shaped.contains(m)));
            if checkable {
                let mut candidates = vec![(id.clone(), f64::NAN)];
                candidates.extend(located.into_iter().filter(|(m, _)| *m != id));
                return self.ambiguous(
                    candidates,
                    method,
                    AmbiguityReason::PlaceFieldsDisagree,
                    date,
                );
            }
        }
        self.settle(id, method, Confidence::High, date)
    }

    /// A point (maybe with a postal code), located with its uncertainty circle.
    fn route_point(
        &self,
        located: Vec<(MunicipalityId, f64)>,
        postal: Option<&[MunicipalityId]>,
        date: NaiveDate,
    ) -> Routing {
        let inside = located
            .first()
            .filter(|(_, d)| *d == 0.0)
            .map(|(id, _)| id.clone());
        let mut candidates = located;
        let mut method = RoutingMethod::Coordinates;
        if let Some(ids) = postal {
            let narrowed: Vec<(MunicipalityId, f64)> = candidates
                .iter()
                .filter(|(id, _)| ids.contains(id))
                .cloned()
                .collect();
            if narrowed.is_empty() && !candidates.is_empty() {
                // The postal code names municipalities the point is not in nor near.
                candidates.extend(ids.iter().map(|id| (id.clone(), f64::NAN)));
                return self.ambiguous(
                    candidates,
                    RoutingMethod::CoordinatesAndPostalCode,
                    AmbiguityReason::PlaceFieldsDisagree,
                    date,
                );
            }
            // The postal code counts only when it removes some candidates.
            if !narrowed.is_empty() && narrowed.len() < candidates.len() {
                candidates = narrowed;
                method = RoutingMethod::CoordinatesAndPostalCode;
            }
        }
        let Some(inside) = inside else {
            // Outside every municipality: never routed.
            return if candidates.is_empty() {
                Routing::OutOfArea { country: None }
            } else {
                self.ambiguous(candidates, method, AmbiguityReason::OutsideNearEdge, date)
            };
        };
        if method == RoutingMethod::CoordinatesAndPostalCode {
            if let [(only, _)] = candidates.as_slice() {
                return self.settle(only.clone(), method, Confidence::Medium, date);
            }
        }
        if let [(only, _)] = candidates.as_slice() {
            return self.settle(only.clone(), method, Confidence::High, date);
        }
        // Several municipalities within the circle: certain if they share one unit.
        let units: Vec<Option<&str>> = candidates
            .iter()
            .map(|(m, _)| self.unit_for(m, date))
            .collect();
        let containing_unit = self.unit_for(&inside, date);
        if units.iter().all(|u| *u == containing_unit)
            && candidates.iter().any(|(m, _)| *m == inside)
        {
            return match containing_unit {
                Some(unit) => Routing::Routed {
                    unit: unit.to_owned(),
                    municipality: inside,
                    method,
                    confidence: Confidence::Medium,
                },
                None => self.settle(inside, method, Confidence::Medium, date),
            };
        }
        self.ambiguous(candidates, method, AmbiguityReason::NearBorder, date)
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
            None => match self.parts.get(&municipality) {
                Some(parts) if !parts.is_empty() => self.ambiguous(
                    parts.iter().map(|p| (p.clone(), f64::NAN)).collect(),
                    method,
                    AmbiguityReason::MunicipalitySplit,
                    date,
                ),
                _ => Routing::NoUnit { municipality },
            },
        }
    }

    /// The citizen chooses among `candidates` (a municipality split into parts is
    /// replaced by its parts; duplicates are dropped).
    fn ambiguous(
        &self,
        candidates: Vec<(MunicipalityId, f64)>,
        method: RoutingMethod,
        reason: AmbiguityReason,
        date: NaiveDate,
    ) -> Routing {
        let mut seen: Vec<MunicipalityId> = Vec::new();
        let mut list = Vec::new();
        for (municipality, distance) in candidates {
            let expanded: Vec<MunicipalityId> = match self.parts.get(&municipality) {
                Some(parts) if self.unit_for(&municipality, date).is_none() => parts.clone(),
                _ => vec![municipality],
            };
            for municipality in expanded {
                if seen.contains(&municipality) {
                    continue;
                }
                seen.push(municipality.clone());
                let (names, languages) = self
                    .municipalities
                    .get(&municipality)
                    .map(|m| (m.names.clone(), m.languages.clone()))
                    .unwrap_or_default();
                list.push(Candidate {
                    unit: self.unit_for(&municipality, date).map(str::to_owned),
                    distance_m: distance
                        .is_finite()
                        .then_some((distance * 10.0).round() / 10.0),
                    municipality,
                    names,
                    languages,
                });
            }
        }
        Routing::Ambiguous {
            candidates: list,
            method,
            reason,
        }
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod contact_tests {
    use super::{contact_issue, ContactField};

    #[test]
    fn published_contact_values_are_links_addresses_and_numbers() {
        let web = |v| contact_issue(ContactField::Website, v);
        assert_eq!(web("https://www.police.be/5276"), None);
        assert_eq!(web("http://politie.example:8080/x?y#z"), None);
        // What the contract's pattern lets through is accepted (schemathesis sends it).
        for fine in [
            "http://a.b",
            "https://x-1.e0:1/",
            "https://A.B#~!",
            "http://a.b?",
        ] {
            assert_eq!(web(fine), None, "{fine}");
        }
        for bad in [
            "javascript:alert(document.cookie)",
            "data:text/html,x",
            "https://",
            "https://a b.example",
            "ftp://x.example",
        ] {
            assert_eq!(web(bad), Some("invalid_url"), "{bad}");
        }
        assert_eq!(
            contact_issue(ContactField::Email, "zone@police.belgium.eu"),
            None
        );
        assert_eq!(
            contact_issue(ContactField::Email, "not an email"),
            Some("invalid_email")
        );
        let phone = |v| contact_issue(ContactField::Phone, v);
        assert_eq!(phone("+32 54 31 35 02"), None);
        assert_eq!(phone("112"), None);
        assert_eq!(phone("(02) 123.45.67"), None);
        for fine in ["+ 1 2 3", "+((123", "000", "1/2-3.", "+123 "] {
            assert_eq!(phone(fine), None, "{fine}");
        }
        for bad in ["<script>", "12", "32+54", "call us"] {
            assert_eq!(phone(bad), Some("invalid_phone"), "{bad}");
        }
        assert_eq!(
            contact_issue(ContactField::ReceptionHours, "<b>any text</b>"),
            None
        );
    }
}

//! The directory of police units and the routing by the place of the facts: public.

use crate::caching::public_json;
use crate::error::{ApiError, FieldError, Problem};
use crate::i18n::texts;
use crate::language::Language;
use crate::routes::backoffice::access::{ContactChange, ContactRead};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{get, patch, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use domain::catalogue::Country;
use domain::directory::{
    AmbiguityReason, Contact, ContactField, Directory, FormerName, Municipality, MunicipalityId,
    Place, PlaceError, Routing, SearchHit, ServiceHours, Unit, UnitKind,
};
use domain::i18n::Lang;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Largest page of units or municipalities.
pub const MAX_LIMIT: usize = 200;

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitSummary {
    pub id: String,
    /// `local_police_zone`, `commissariat`, `gendarmerie_brigade`, `national_unit`,
    /// `e_commissariat_team`.
    pub kind: String,
    /// Official number (the 4-digit zone code in Belgium), where established.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub official_number: Option<String>,
    pub country: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "items": [{"id": "zp-ottignies-louvain-la-neuve", "kind": "local_police_zone", "official_number": "5275",
               "country": "BE", "name": "ZP Ottignies-Louvain-la-Neuve"}],
    "next_cursor": "zp-ottignies-louvain-la-neuve",
    "language": "fr"
}))]
pub struct UnitList {
    pub items: Vec<UnitSummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    pub language: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitQuery {
    /// BE, LU, FR or ES-CT.
    pub country: Option<String>,
    /// Kind of unit, such as `local_police_zone`.
    pub kind: Option<String>,
    /// Words of the name (accents and case ignored), or the official number.
    pub q: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Language of the texts (overrides Accept-Language).
    pub lang: Option<String>,
}

fn query_error(name: &str, code: &str) -> ApiError {
    ApiError::Validation(vec![FieldError::new(format!("/query/{name}"), code)])
}

fn parse_country(raw: &Option<String>) -> Result<Option<Country>, ApiError> {
    raw.as_deref()
        .map(|c| {
            c.parse::<Country>()
                .map_err(|_| query_error("country", "unknown_country"))
        })
        .transpose()
}

/// A page size: 422 `out_of_range` at `/query/limit` outside 1 to `MAX_LIMIT` (negative
/// values included, as on every list).
fn limit(raw: Option<i64>, default: usize) -> Result<usize, ApiError> {
    match raw.map(usize::try_from) {
        None => Ok(default),
        Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(query_error("limit", "out_of_range")),
    }
}

fn summary(unit: &Unit, lang: Lang) -> UnitSummary {
    UnitSummary {
        id: unit.id.clone(),
        kind: unit.kind.to_string(),
        official_number: unit.official_number.clone(),
        country: unit.country.to_string(),
        name: unit.name(lang).to_owned(),
    }
}

fn parse_kind(raw: &Option<String>) -> Result<Option<UnitKind>, ApiError> {
    raw.as_deref()
        .map(|k| {
            k.parse::<UnitKind>()
                .map_err(|_| query_error("kind", "unknown_option"))
        })
        .transpose()
}

/// The words of `q`, folded (accents and case ignored); none without `q`.
fn folded_words(q: Option<&str>) -> Vec<String> {
    q.map(|q| q.split_whitespace().map(domain::directory::fold).collect())
        .unwrap_or_default()
}

/// Which units a listing asks for.
struct UnitFilter {
    country: Option<Country>,
    kind: Option<UnitKind>,
    /// Folded words, each of which must be the official number or part of a name.
    words: Vec<String>,
}

impl UnitFilter {
    fn matches(&self, unit: &Unit) -> bool {
        self.country.is_none_or(|c| unit.country == c)
            && self.kind.is_none_or(|k| unit.kind == k)
            && self.words.iter().all(|w| {
                unit.official_number.as_deref() == Some(w.as_str())
                    || unit
                        .names
                        .values()
                        .any(|n| domain::directory::fold(n).contains(w.as_str()))
            })
    }

    /// The matching units with an id after `cursor` (all without it), by id.
    fn units_after<'a>(&self, directory: &'a Directory, cursor: Option<&str>) -> Vec<&'a Unit> {
        let mut units: Vec<&Unit> = directory
            .units()
            .filter(|u| self.matches(u))
            .filter(|u| cursor.is_none_or(|c| u.id.as_str() > c))
            .collect();
        units.sort_by(|a, b| a.id.cmp(&b.id));
        units
    }
}

impl UnitList {
    /// The first `limit` of `units` (sorted by id), with the cursor of the next page.
    fn page(mut units: Vec<&Unit>, limit: usize, lang: Lang) -> Self {
        let more = units.len() > limit;
        units.truncate(limit);
        Self {
            next_cursor: more.then(|| units.last().map(|u| u.id.clone())).flatten(),
            items: units.into_iter().map(|u| summary(u, lang)).collect(),
            language: lang.to_string(),
        }
    }
}

/// List police units
///
/// The units of the directory, by id, with cursor pagination. Filter by country, kind, or
/// words of the name.
#[utoipa::path(
    tag = "directory",
    security(()),
    params(UnitQuery),
    responses(
        (status = 200, description = "A page of units", body = UnitList),
        (status = 304, description = "Not modified since the `ETag` in `If-None-Match`"),
        (status = 422, description = "Unknown country or kind, or a limit out of range", body = Problem,
            content_type = "application/problem+json"),
    )
)]
#[get("/units")]
pub async fn list_units(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<UnitQuery>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let filter = UnitFilter {
        country: parse_country(&query.country)?,
        kind: parse_kind(&query.kind)?,
        words: folded_words(query.q.as_deref()),
    };
    let limit = limit(query.limit, 50)?;
    let directory = state.directory();
    let units = filter.units_after(&directory, query.cursor.as_deref());
    let list = UnitList::page(units, limit, lang);
    Ok(public_json(&req, lang, &list))
}

/// How to reach a unit: the main station's address, phone, e-mail and website.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ContactView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub web: Option<String>,
}

impl From<&Contact> for ContactView {
    fn from(contact: &Contact) -> Self {
        Self {
            address: contact.address.clone(),
            phone: contact.phone.clone(),
            email: contact.email.clone(),
            web: contact.web.clone(),
        }
    }
}

/// One contact value with its date and source.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ContactValueView {
    /// `address`, `phone`, `email`, `website` or `reception_hours`.
    pub field: String,
    pub value: String,
    /// The date of the value as its source gives it (`2023-11`; a correction's day).
    /// Read it before relying on the value: stations move, numbers change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_as_of: Option<String>,
    /// Where it comes from (shown to the unit's own officers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

fn contact_values(contact: &Contact, with_source: bool) -> Vec<ContactValueView> {
    ContactField::ALL
        .iter()
        .filter_map(|field| {
            let value = contact.get(*field)?;
            let provenance = contact.provenance.get(field);
            Some(ContactValueView {
                field: field.to_string(),
                value: value.to_owned(),
                data_as_of: provenance.and_then(|p| p.data_as_of.clone()),
                source: with_source
                    .then(|| provenance.and_then(|p| p.source.clone()))
                    .flatten(),
            })
        })
        .collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceHoursView {
    /// IANA time zone of the schedule.
    pub timezone: String,
    /// The weekly schedule, such as `mo-fr 08:00-18:00`.
    pub weekly: String,
    /// Dated exceptions from today on (`closed`, or other hours).
    pub upcoming_exceptions: Vec<String>,
    /// True when these are the deployment's default processing hours for the country,
    /// not hours known for this unit.
    pub is_default: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MunicipalityRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "zp-ottignies-louvain-la-neuve", "kind": "local_police_zone", "official_number": "5275",
    "country": "BE", "name": "ZP Ottignies-Louvain-la-Neuve",
    "names": {"fr": "ZP Ottignies-Louvain-la-Neuve"},
    "contact": {"web": "https://www.police.be/5275"},
    "contact_details": [{"field": "website", "value": "https://www.police.be/5275", "data_as_of": "2014-2017 (site release)"}],
    "service_hours": {"timezone": "Europe/Brussels", "weekly": "mo-fr 08:00-18:00",
                      "upcoming_exceptions": ["2026-12-25 closed"], "is_default": true},
    "open_now": false, "next_opening": "2026-11-23T07:00:00Z",
    "municipalities": [{"id": "BE-25121", "name": "Ottignies-Louvain-la-Neuve"}],
    "confidence": "verified-2025", "language": "fr"
}))]
pub struct UnitDetail {
    #[serde(flatten)]
    pub summary: UnitSummary,
    /// The name in every language the directory has.
    pub names: std::collections::BTreeMap<String, String>,
    pub contact: ContactView,
    /// Every contact value (with the reception hours), each with its date.
    pub contact_details: Vec<ContactValueView>,
    pub service_hours: ServiceHoursView,
    /// Whether the unit processes filings at this instant.
    pub open_now: bool,
    /// When it next opens, when closed (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_opening: Option<DateTime<Utc>>,
    /// When it closes, when open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closes_at: Option<DateTime<Utc>>,
    /// The municipalities it covers today.
    pub municipalities: Vec<MunicipalityRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<NaiveDate>,
    /// For France: `police_nationale` or `gendarmerie_nationale`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub institution: Option<String>,
    /// How sure the reference data is (such as `verified-2025`, `needs-check`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<String>,
    pub language: String,
}

impl ServiceHoursView {
    /// The schedule, with the next 10 exceptions from `today` (in the schedule's zone) on.
    fn new(hours: &ServiceHours, is_default: bool, today: NaiveDate) -> Self {
        Self {
            timezone: hours.timezone.name().to_owned(),
            weekly: hours.spec.clone(),
            upcoming_exceptions: hours
                .exceptions
                .range(today..)
                .take(10)
                .map(|(date, intervals)| ServiceHours::format_exception(*date, intervals))
                .collect(),
            is_default,
        }
    }
}

impl UnitDetail {
    /// The unit as it stands at `now`: open or not, and the municipalities it covers today.
    fn new(directory: &Directory, unit: &Unit, now: DateTime<Utc>, lang: Lang) -> Self {
        let today = now.with_timezone(&unit.hours.timezone).date_naive();
        Self {
            summary: summary(unit, lang),
            names: unit
                .names
                .iter()
                .map(|(l, n)| (l.to_string(), n.clone()))
                .collect(),
            contact: ContactView::from(&unit.contact),
            contact_details: contact_values(&unit.contact, false),
            service_hours: ServiceHoursView::new(&unit.hours, unit.hours_are_default, today),
            open_now: unit.hours.is_open(now),
            next_opening: unit.hours.next_opening(now),
            closes_at: unit.hours.closes_at(now),
            municipalities: directory
                .covered_by(&unit.id, now.date_naive())
                .into_iter()
                .filter_map(|m| directory.municipality(m))
                .map(|m| municipality_ref(m, lang))
                .collect(),
            valid_from: unit.validity.from,
            valid_until: unit.validity.until,
            institution: unit.institution.clone(),
            confidence: unit.confidence.clone(),
            language: lang.to_string(),
        }
    }
}

/// Get a police unit
///
/// The unit with its contact, service hours, whether it is open now, and the
/// municipalities it covers. Not cached: `open_now` changes with time.
#[utoipa::path(
    tag = "directory",
    security(()),
    params(("id" = String, Path, description = "Id of the unit"), crate::routes::catalogue::LangQuery),
    responses(
        (status = 200, description = "The unit", body = UnitDetail),
        (status = 404, description = "No such unit", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{id}")]
pub async fn get_unit(
    state: web::Data<AppState>,
    id: web::Path<String>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let directory = state.directory();
    let unit = directory
        .unit(&id)
        .ok_or_else(|| ApiError::UnitNotFound(id.clone()))?;
    let detail = UnitDetail::new(&directory, unit, Utc::now(), lang);
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_LANGUAGE, lang.as_str()))
        .json(detail))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JurisdictionQuery {
    /// Code of the procedure (national procedures ignore the place).
    pub procedure: String,
    /// Latitude of the place of the facts (WGS84), in degrees.
    #[param(minimum = -90, maximum = 90)]
    pub lat: Option<f64>,
    /// Longitude of the place of the facts (WGS84), in degrees.
    #[param(minimum = -180, maximum = 180)]
    pub lon: Option<f64>,
    /// The radius of the position's uncertainty, in metres, as the phone's location API
    /// reports it (0 to 5000 are used; more counts as 5000). Without it, 50 m is
    /// assumed. The answer is `ambiguous` only when this circle, plus a 25 m margin for
    /// the data, crosses a border between units.
    #[param(minimum = 0)]
    pub accuracy_m: Option<f64>,
    /// Municipality id (`BE-21004`), or its code with `country`.
    pub municipality: Option<String>,
    /// Postal code, with `country`, in any usual written form (`1000`, `B-1000`,
    /// `L-2449`, `L2449`).
    pub postal_code: Option<String>,
    /// BE, LU, FR or ES-CT: the country of `postal_code` or of an unprefixed `municipality`.
    pub country: Option<String>,
    /// Date of the facts (YYYY-MM-DD); today when absent. Coverage changes apply from their date.
    pub date: Option<NaiveDate>,
    /// Language of the explanation (overrides Accept-Language).
    pub lang: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JurisdictionOutcome {
    Routed,
    Ambiguous,
    OutOfArea,
    NoUnit,
    National,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CandidateView {
    pub municipality: MunicipalityRef,
    /// The unit that would be competent, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitSummary>,
    /// Distance from the point to the municipality, in metres (0 inside it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "outcome": "routed",
    "unit": {"id": "zp-ottignies-louvain-la-neuve", "kind": "local_police_zone", "official_number": "5275",
             "country": "BE", "name": "ZP Ottignies-Louvain-la-Neuve"},
    "municipality": {"id": "BE-25121", "name": "Ottignies-Louvain-la-Neuve"},
    "method": "coordinates", "confidence": "high", "candidates": [],
    "explanation": "The point lies in Ottignies-Louvain-la-Neuve; the competent unit is ZP Ottignies-Louvain-la-Neuve.",
    "date": "2026-11-22", "directory_version": "reference@2026-11-22.1", "language": "en"
}))]
pub struct Jurisdiction {
    pub outcome: JurisdictionOutcome,
    /// The competent unit (routed, national).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitSummary>,
    /// The municipality of the facts (routed, no_unit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub municipality: Option<MunicipalityRef>,
    /// `municipality_code`, `postal_code`, `coordinates`, `coordinates_and_postal_code`,
    /// `national_competence`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// `high`, or `medium` near a border settled by other means.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<String>,
    /// For `ambiguous`: the municipalities to choose from, most likely first.
    pub candidates: Vec<CandidateView>,
    /// For `ambiguous`, why: `near_border` (the position's uncertainty circle crosses a
    /// border between units), `outside_near_edge` (the point is outside the area, near
    /// it), `shared_postal_code`, `place_fields_disagree` (the coordinates,
    /// `municipality` and `postal_code` point to different places: every side is a
    /// candidate), `municipality_split` (the municipality is served by district).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For `out_of_area`, and for `no_unit` of a country without directory: the
    /// country when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Why, in the requested language.
    pub explanation: String,
    pub date: NaiveDate,
    pub directory_version: String,
    pub language: String,
}

fn municipality_ref(m: &Municipality, lang: Lang) -> MunicipalityRef {
    MunicipalityRef {
        id: m.id.to_string(),
        name: m.name(lang).to_owned(),
    }
}

/// A query parameter's field error saying what it accepts.
fn query_field(name: &str, code: &str, accepted: crate::error::Accepted) -> FieldError {
    FieldError::new(format!("/query/{name}"), code).with(accepted)
}

/// A bound of a query parameter, as data.
fn bound(n: f64) -> Option<serde_json::Number> {
    serde_json::Number::from_f64(n)
}

/// The error of a place, as `/v1/jurisdiction` reports it: a field error naming the
/// parameter and what it accepts, or the missing municipality or postal code.
fn place_problem(e: PlaceError, place: &Place) -> ApiError {
    use crate::error::Accepted;
    let range = |min: f64, max: f64| Accepted {
        minimum: bound(min),
        maximum: bound(max),
        ..Accepted::default()
    };
    let field = |name: &str, code: &str, accepted| {
        ApiError::Validation(vec![query_field(name, code, accepted)])
    };
    match e {
        PlaceError::Empty => {
            ApiError::Validation(vec![FieldError::new("/query", "place_required")])
        }
        PlaceError::InvalidCoordinates => match place.point {
            Some((lat, _)) if !(-90.0..=90.0).contains(&lat) => {
                field("lat", "out_of_range", range(-90.0, 90.0))
            }
            _ => field("lon", "out_of_range", range(-180.0, 180.0)),
        },
        PlaceError::InvalidAccuracy => field(
            "accuracy_m",
            "out_of_range",
            Accepted {
                minimum: bound(0.0),
                ..Accepted::default()
            },
        ),
        PlaceError::UnknownMunicipality(id) => ApiError::MunicipalityNotFound(id),
        PlaceError::UnknownPostalCode(country, code) => {
            ApiError::PostalCodeNotFound(format!("{country} {code}"))
        }
        PlaceError::UnknownNationalUnit(unit) => {
            ApiError::Internal(format!("national unit {unit} is not in the directory"))
        }
    }
}

/// The place of the facts a query gives: 422 when `lat` comes without `lon` (or the
/// reverse) or `postal_code` without `country` (naming the missing one), 404 for a
/// malformed municipality id, 422 for an unknown country.
fn place_of(query: &JurisdictionQuery) -> Result<Place, ApiError> {
    let country = parse_country(&query.country)?;
    let missing = |name: &str, other: &str| {
        ApiError::Validation(vec![query_field(
            name,
            "required",
            crate::error::Accepted {
                other: Some(format!("/query/{other}")),
                ..crate::error::Accepted::default()
            },
        )])
    };
    let point = match (query.lat, query.lon) {
        (Some(lat), Some(lon)) => Some((lat, lon)),
        (None, None) => None,
        (Some(_), None) => return Err(missing("lon", "lat")),
        (None, Some(_)) => return Err(missing("lat", "lon")),
    };
    let municipality = match &query.municipality {
        Some(raw) => Some(
            MunicipalityId::parse(raw, country)
                .ok_or_else(|| ApiError::MunicipalityNotFound(raw.clone()))?,
        ),
        None => None,
    };
    let postal_code = match (&query.postal_code, country) {
        (Some(code), Some(country)) => Some((country, code.clone())),
        (Some(_), None) => return Err(missing("country", "postal_code")),
        (None, _) => None,
    };
    Ok(Place {
        municipality,
        postal_code,
        point,
        accuracy_m: query.accuracy_m,
    })
}

/// Find the competent unit
///
/// Routes a procedure by the place of the facts (not the citizen's home): a municipality,
/// a postal code, coordinates (with the position's `accuracy_m`), or a combination. When
/// the position's uncertainty circle crosses a border between units, or the place fields
/// disagree, the answer is `ambiguous` with the candidates and a `reason`, so that the
/// citizen confirms; a point outside every municipality is never routed. Procedures with
/// national competence go to their national unit whatever the place.
#[utoipa::path(
    tag = "directory",
    security(()),
    params(JurisdictionQuery),
    responses(
        (status = 200, description = "The routing, with an explanation", body = Jurisdiction),
        (status = 400, description = "Bad coordinates or accuracy, no place, or a malformed parameter", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "Unknown procedure, municipality or postal code", body = Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "Unknown country", body = Problem,
            content_type = "application/problem+json"),
    )
)]
#[get("/jurisdiction")]
pub async fn jurisdiction(
    state: web::Data<AppState>,
    query: web::Query<JurisdictionQuery>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let catalogue = &state.catalogue;
    let procedure = catalogue
        .procedure(&query.procedure)
        .ok_or_else(|| ApiError::ProcedureNotFound(query.procedure.clone()))?;
    let place = place_of(&query)?;
    let date = query.date.unwrap_or_else(|| Utc::now().date_naive());
    let directory = state.directory();
    let routing = directory
        .route(&procedure.competence, &place, date)
        .map_err(|e| place_problem(e, &place))?;
    let view = jurisdiction_view(&directory, &routing, &place, date, lang);
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_LANGUAGE, lang.as_str()))
        .json(view))
}

/// A routing with its explanation in `lang`.
fn jurisdiction_view(
    directory: &domain::directory::Directory,
    routing: &Routing,
    place: &Place,
    date: NaiveDate,
    lang: Lang,
) -> Jurisdiction {
    let unit_view = |id: &str| directory.unit(id).map(|u| summary(u, lang));
    let unit_name = |id: &str| {
        directory
            .unit(id)
            .map(|u| u.name(lang).to_owned())
            .unwrap_or_else(|| id.to_owned())
    };
    let explain = |key: &str, params: &[(&str, String)]| {
        texts()
            .render(lang, &format!("routing.{key}"), params)
            .unwrap_or_default()
    };
    let postal = place
        .postal_code
        .as_ref()
        .map(|(country, code)| {
            domain::directory::normalize_postal_code(*country, code)
                .unwrap_or_else(|| code.trim().to_owned())
        })
        .unwrap_or_default();
    let mut view = Jurisdiction {
        outcome: JurisdictionOutcome::Routed,
        unit: None,
        municipality: None,
        method: None,
        confidence: None,
        candidates: Vec::new(),
        reason: None,
        country: None,
        explanation: String::new(),
        date,
        directory_version: directory.version.clone(),
        language: lang.to_string(),
    };
    match routing {
        Routing::Routed {
            unit,
            municipality,
            method,
            confidence,
        } => {
            let key = match (method.as_str(), confidence.as_str()) {
                ("coordinates", "medium") => "routed.near_border".to_owned(),
                (m, _) => format!("routed.{m}"),
            };
            view.explanation = explain(
                &key,
                &[
                    (
                        "municipality",
                        directory.municipality_name(municipality, lang),
                    ),
                    ("unit", unit_name(unit)),
                    ("postal_code", postal),
                ],
            );
            view.unit = unit_view(unit);
            view.municipality = directory
                .municipality(municipality)
                .map(|m| municipality_ref(m, lang));
            view.method = Some(method.to_string());
            view.confidence = Some(confidence.to_string());
        }
        Routing::Ambiguous {
            candidates,
            method,
            reason,
        } => {
            view.outcome = JurisdictionOutcome::Ambiguous;
            view.method = Some(method.to_string());
            view.reason = Some(reason.to_string());
            view.candidates = candidates
                .iter()
                .map(|c| CandidateView {
                    municipality: MunicipalityRef {
                        id: c.municipality.to_string(),
                        name: c.name(lang).to_owned(),
                    },
                    unit: c.unit.as_deref().and_then(unit_view),
                    distance_m: c.distance_m,
                })
                .collect();
            let names = candidates
                .iter()
                .map(|c| c.name(lang).to_owned())
                .collect::<Vec<_>>()
                .join(", ");
            let parent = candidates
                .first()
                .and_then(|c| directory.municipality(&c.municipality))
                .and_then(|m| m.part_of.as_ref())
                .map(|p| directory.municipality_name(p, lang))
                .unwrap_or_default();
            let key = match reason {
                AmbiguityReason::NearBorder => "ambiguous".to_owned(),
                other => format!("ambiguous.{other}"),
            };
            view.explanation = explain(
                &key,
                &[
                    ("candidates", names),
                    ("postal_code", postal),
                    ("municipality", parent),
                ],
            );
        }
        Routing::OutOfArea {
            country: Some(country),
        } => {
            view.outcome = JurisdictionOutcome::NoUnit;
            view.country = Some(country.to_string());
            view.explanation = explain("no_directory", &[("country", country.to_string())]);
        }
        Routing::OutOfArea { country: None } => {
            view.outcome = JurisdictionOutcome::OutOfArea;
            view.explanation = explain("out_of_area", &[]);
        }
        Routing::NoUnit { municipality } => {
            view.outcome = JurisdictionOutcome::NoUnit;
            view.municipality = directory
                .municipality(municipality)
                .map(|m| municipality_ref(m, lang));
            view.explanation = explain(
                "no_unit",
                &[(
                    "municipality",
                    directory.municipality_name(municipality, lang),
                )],
            );
        }
        Routing::National { unit } => {
            view.outcome = JurisdictionOutcome::National;
            view.unit = unit_view(unit);
            view.method = Some("national_competence".into());
            view.confidence = Some("high".into());
            view.explanation = explain("national", &[("unit", unit_name(unit))]);
        }
    }
    view
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MunicipalityQuery {
    /// BE, LU, FR or ES-CT.
    pub country: Option<String>,
    /// The start of the name, in any of the country's languages, or of one of its words,
    /// or of a postal code; accents and case ignored.
    pub q: String,
    /// At most this many (1 to 200, default 20).
    pub limit: Option<i64>,
    /// Language of the names (overrides Accept-Language).
    pub lang: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MunicipalityView {
    pub id: String,
    pub country: String,
    /// The name in the requested language.
    pub name: String,
    /// Every name it has.
    pub names: std::collections::BTreeMap<String, String>,
    pub postal_codes: Vec<String>,
    /// When the query matched an older or other name: which, and why it leads here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found_as: Option<FoundAs>,
}

/// The older or other name a municipality was found under.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"name": "Galmaarden", "kind": "merged_municipality", "since": "2025-01-01",
    "note": "Galmaarden → Pajottegem since 2025-01-01"}))]
pub struct FoundAs {
    pub name: String,
    /// `merged_municipality` or `postal_locality`.
    pub kind: String,
    /// Since when the name leads here (the merger date).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<NaiveDate>,
    /// The same, in the requested language ("Galmaarden → Pajottegem since 2025-01-01").
    pub note: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "items": [{"id": "BE-62063", "country": "BE", "name": "Liège",
               "names": {"de": "Lüttich", "fr": "Liège", "nl": "Luik"}, "postal_codes": ["4000", "4020"]}],
    "language": "fr"
}))]
pub struct MunicipalityList {
    pub items: Vec<MunicipalityView>,
    pub language: String,
}

impl FoundAs {
    /// The other name `former` that led to `municipality`, explained in `lang`.
    fn new(former: &FormerName, municipality: &Municipality, lang: Lang) -> Self {
        let date = former.since.map(|d| d.to_string()).unwrap_or_default();
        Self {
            name: former.name.clone(),
            kind: former.kind.to_string(),
            since: former.since,
            note: texts()
                .render(
                    lang,
                    &format!("routing.former_name.{}", former.kind),
                    &[
                        ("former", former.name.clone()),
                        ("municipality", municipality.name(lang).to_owned()),
                        ("date", date),
                    ],
                )
                .unwrap_or_default(),
        }
    }
}

impl MunicipalityView {
    fn new(hit: SearchHit<'_>, lang: Lang) -> Self {
        let m = hit.municipality;
        Self {
            id: m.id.to_string(),
            country: m.country.to_string(),
            name: m.name(lang).to_owned(),
            names: m
                .names
                .iter()
                .map(|(l, n)| (l.to_string(), n.clone()))
                .collect(),
            postal_codes: m.postal_codes.clone(),
            found_as: hit.via.map(|former| FoundAs::new(former, m, lang)),
        }
    }
}

impl MunicipalityList {
    fn new(hits: Vec<SearchHit<'_>>, lang: Lang) -> Self {
        Self {
            items: hits
                .into_iter()
                .map(|hit| MunicipalityView::new(hit, lang))
                .collect(),
            language: lang.to_string(),
        }
    }
}

/// Search municipalities
///
/// For place pickers: by the start of a name in any of the country's languages, of a
/// postal code (in any usual written form: `L-2449`), or of an older name (`Galmaarden`,
/// merged into Pajottegem; a postal locality), accents, case and Unicode normalisation
/// (NFC or NFD) ignored. A match on an older name says so in `found_as`.
#[utoipa::path(
    tag = "directory",
    security(()),
    params(MunicipalityQuery),
    responses(
        (status = 200, description = "Matching municipalities, best first", body = MunicipalityList),
        (status = 304, description = "Not modified since the `ETag` in `If-None-Match`"),
        (status = 400, description = "`q` is missing", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown country or a limit out of range", body = Problem,
            content_type = "application/problem+json"),
    )
)]
#[get("/municipalities")]
pub async fn search_municipalities(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<MunicipalityQuery>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let country = parse_country(&query.country)?;
    let limit = limit(query.limit, 20)?;
    let directory = state.directory();
    let hits = directory.search(country, &query.q, lang, limit);
    Ok(public_json(&req, lang, &MunicipalityList::new(hits, lang)))
}

/// A unit's contact data as its officers maintain it: every value with its date and
/// source.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "unit_id": "pz-pajottenland",
    "values": [{"field": "phone", "value": "+3254313501", "data_as_of": "2023-11",
                "source": "lblod/app-organization-portal@c133c4e0:…"}]
}))]
pub struct UnitContactView {
    pub unit_id: String,
    pub values: Vec<ContactValueView>,
}

/// A correction of a unit's contact data: each member given replaces the value (an
/// empty string or `null` clears it); members left out are unchanged.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"phone": "+3254313501", "reception_hours": "mo-fr 08:00-20:00"}), min_properties = 1)]
pub struct ContactCorrection {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub address: Option<Option<String>>,
    /// Digits, with `+` first only, spaces, `(`, `)`, `-`, `.` or `/`; at least three
    /// digits (`domain::directory::contact_issue`; else 422 `invalid_phone`).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 30,
        pattern = r"^(|\+?[ ()./-]*([0-9][ ()./-]*){3,})$")]
    pub phone: Option<Option<String>>,
    /// An e-mail address by the service's one rule (else 422 `invalid_email`); `""` or
    /// `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = email_or_clear)]
    pub email: Option<Option<String>>,
    /// An `http` or `https` link to a host name (else 422 `invalid_url`).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 500,
        pattern = r"^(|https?://[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+(:[0-9]{1,5})?([/?#][!-~]*)?)$")]
    pub website: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub reception_hours: Option<Option<String>>,
}

/// The contact's e-mail member: an address (`format: email`), or `""` / `null` to clear it.
fn email_or_clear() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
                .max_length(Some(254)),
        )
        .item(ObjectBuilder::new().schema_type(Type::String).max_length(Some(0)))
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .description(Some(
            "An e-mail address by the service's one rule (else 422 `invalid_email`); `\"\"` or `null` clears it.",
        ))
        .build()
        .into()
}

/// A member present in the body, `null` included (`Some(None)`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// The corrections of a body, checked: each present member trimmed (empty or `null`
/// clears the value), within its limit; at least one member.
fn contact_changes(
    body: ContactCorrection,
) -> Result<Vec<(ContactField, Option<String>)>, ApiError> {
    use domain::limits;
    let mut changes = Vec::new();
    let mut errors = Vec::new();
    for (field, value, limit) in [
        (
            ContactField::Address,
            body.address,
            limits::POSTAL_ADDRESS_MAX_CHARS,
        ),
        (ContactField::Phone, body.phone, limits::PHONE_MAX_CHARS),
        (ContactField::Email, body.email, limits::EMAIL_MAX_BYTES),
        (
            ContactField::Website,
            body.website,
            limits::WEBSITE_MAX_CHARS,
        ),
        (
            ContactField::ReceptionHours,
            body.reception_hours,
            limits::RECEPTION_HOURS_MAX_CHARS,
        ),
    ] {
        let Some(value) = value else { continue };
        // A link, an address or a number is checked as sent (the contract's pattern):
        // only `""` clears it; free text is trimmed.
        let issue = value
            .as_deref()
            .filter(|v| !v.is_empty())
            .and_then(|v| domain::directory::contact_issue(field, v));
        let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        if value.as_ref().is_some_and(|v| v.chars().count() > limit) {
            let mut error = FieldError::new(format!("/{field}"), "too_long");
            error.accepted.max_length = u64::try_from(limit).ok();
            errors.push(error);
        } else if let Some(code) = issue {
            errors.push(FieldError::new(format!("/{field}"), code));
        }
        changes.push((field, value));
    }
    if changes.is_empty() {
        errors.push(FieldError::new("", "required"));
    }
    if errors.is_empty() {
        Ok(changes)
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Stores the corrections of a unit's contact data by `officer_id` with their audit
/// `event`, in one transaction; 404 when the unit has gone meanwhile.
async fn save_contact_correction(
    state: &AppState,
    unit_id: &str,
    changes: Vec<(ContactField, Option<String>)>,
    officer_id: String,
    event: domain::audit::AuditEvent,
) -> Result<Contact, ApiError> {
    let pool = state.pool.clone();
    let unit = unit_id.to_owned();
    web::block(move || {
        let mut conn = pool.get()?;
        conn.write_transaction(|c| {
            let contact = persistence::directory::correct_unit_contact(
                c,
                &unit,
                &changes,
                &officer_id,
                event.occurred_at,
            )?;
            persistence::audit::append(c, &event)?;
            Ok::<_, persistence::PersistenceError>(contact)
        })
    })
    .await??
    .ok_or_else(|| ApiError::UnitNotFound(unit_id.to_owned()))
}

/// The routing directory in memory shows the correction at once.
fn show_contact_correction(state: &AppState, unit_id: &str, contact: &Contact) {
    if let Ok(mut slot) = state.directory.write() {
        if let Some(updated) = slot.with_unit_contact(unit_id, contact.clone()) {
            *slot = std::sync::Arc::new(updated);
        }
    }
}

/// Read a unit's contact data (officers)
///
/// Every contact value of the officer's own unit with its `data_as_of` and source, so
/// that those who maintain it see how old each value is.
#[utoipa::path(
    tag = "backoffice",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "Id of the unit")),
    responses(
        (status = 200, description = "The contact data with dates and sources", body = UnitContactView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of the unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such unit", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/contact")]
pub async fn get_unit_contact(
    state: web::Data<AppState>,
    access: crate::routes::backoffice::access::UnitAccess<ContactRead>,
) -> Result<HttpResponse, ApiError> {
    let unit_id = access.unit;
    let directory = state.directory();
    let contact = directory
        .unit_contact(&unit_id)
        .ok_or_else(|| ApiError::UnitNotFound(unit_id.clone()))?;
    Ok(HttpResponse::Ok().json(UnitContactView {
        values: contact_values(contact, true),
        unit_id,
    }))
}

/// Correct a unit's contact data (supervisors)
///
/// A supervisor of the unit corrects its address, phone, e-mail, website or reception
/// hours. Each corrected value is dated today and sourced to the supervisor; it survives
/// re-imports of the directory, unless the imported value is dated later. The correction
/// is recorded in the audit trail (`alteration` of `unit_contact`), and so is a refused
/// attempt.
#[utoipa::path(
    tag = "backoffice",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "Id of the unit")),
    request_body = ContactCorrection,
    responses(
        (status = 200, description = "The contact data after the correction", body = UnitContactView),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a supervisor of the unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such unit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A value too long, or nothing to correct", body = Problem,
            content_type = "application/problem+json"),
    )
)]
#[patch("/units/{unit_id}/contact")]
pub async fn correct_unit_contact(
    state: web::Data<AppState>,
    request: crate::routes::backoffice::access::UnitAction<ContactChange, ContactCorrection>,
) -> Result<HttpResponse, ApiError> {
    let crate::routes::backoffice::access::UnitAction { access, body } = request;
    let unit_id = access.unit;
    if state.directory().unit(&unit_id).is_none() {
        return Err(ApiError::UnitNotFound(unit_id));
    }
    let changes = contact_changes(body)?;
    let mut event = domain::audit::AuditEvent::new(
        access.officer.audit_actor(Some(&unit_id)),
        domain::audit::AuditOperation::Alteration,
        "unit_contact",
        Some(&unit_id),
        crate::app::now(),
    );
    event.request_id = access.request_id;
    let officer_id = access.officer.id.clone();
    let contact = save_contact_correction(&state, &unit_id, changes, officer_id, event).await?;
    show_contact_correction(&state, &unit_id, &contact);
    Ok(HttpResponse::Ok().json(UnitContactView {
        values: contact_values(&contact, true),
        unit_id,
    }))
}

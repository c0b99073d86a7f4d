//! The directory of police units and the routing by the place of the facts: public.

use crate::caching::public_json;
use crate::error::{ApiError, FieldError, Problem};
use crate::i18n::texts;
use crate::language::Language;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use domain::catalogue::Country;
use domain::directory::{
    Candidate, Municipality, MunicipalityId, Place, PlaceError, Routing, Unit,
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
    let country = parse_country(&query.country)?;
    let kind = query
        .kind
        .as_deref()
        .map(|k| {
            k.parse::<domain::directory::UnitKind>()
                .map_err(|_| query_error("kind", "unknown_option"))
        })
        .transpose()?;
    let limit = limit(query.limit, 50)?;
    let words: Vec<String> = query
        .q
        .as_deref()
        .map(|q| q.split_whitespace().map(domain::directory::fold).collect())
        .unwrap_or_default();
    let directory = state.directory();
    let mut units: Vec<&Unit> = directory
        .units()
        .filter(|u| country.is_none_or(|c| u.country == c))
        .filter(|u| kind.is_none_or(|k| u.kind == k))
        .filter(|u| {
            words.iter().all(|w| {
                u.official_number.as_deref() == Some(w.as_str())
                    || u.names
                        .values()
                        .any(|n| domain::directory::fold(n).contains(w.as_str()))
            })
        })
        .filter(|u| query.cursor.as_deref().is_none_or(|c| u.id.as_str() > c))
        .collect();
    units.sort_by(|a, b| a.id.cmp(&b.id));
    let more = units.len() > limit;
    units.truncate(limit);
    let list = UnitList {
        next_cursor: more.then(|| units.last().map(|u| u.id.clone())).flatten(),
        items: units.into_iter().map(|u| summary(u, lang)).collect(),
        language: lang.to_string(),
    };
    Ok(public_json(&req, lang, &list))
}

#[derive(Debug, Serialize, ToSchema)]
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
    "contact": {},
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
    let now = Utc::now();
    let today = now.with_timezone(&unit.hours.timezone).date_naive();
    let open_now = unit.hours.is_open(now);
    let detail = UnitDetail {
        summary: summary(unit, lang),
        names: unit
            .names
            .iter()
            .map(|(l, n)| (l.to_string(), n.clone()))
            .collect(),
        contact: ContactView {
            address: unit.contact.address.clone(),
            phone: unit.contact.phone.clone(),
            email: unit.contact.email.clone(),
            web: unit.contact.web.clone(),
        },
        service_hours: ServiceHoursView {
            timezone: unit.hours.timezone.name().to_owned(),
            weekly: unit.hours.spec.clone(),
            upcoming_exceptions: unit
                .hours
                .exceptions
                .range(today..)
                .take(10)
                .map(|(date, intervals)| {
                    if intervals.is_empty() {
                        format!("{date} closed")
                    } else {
                        let hours: Vec<String> = intervals
                            .iter()
                            .map(|(a, b)| {
                                format!("{:02}:{:02}-{:02}:{:02}", a / 60, a % 60, b / 60, b % 60)
                            })
                            .collect();
                        format!("{date} {}", hours.join(","))
                    }
                })
                .collect(),
            is_default: unit.hours_are_default,
        },
        open_now,
        next_opening: unit.hours.next_opening(now),
        closes_at: unit.hours.closes_at(now),
        municipalities: directory
            .covered_by(&unit.id, now.date_naive())
            .into_iter()
            .filter_map(|m| directory.municipality(m))
            .map(|m| MunicipalityRef {
                id: m.id.to_string(),
                name: m.name(lang).to_owned(),
            })
            .collect(),
        valid_from: unit.validity.from,
        valid_until: unit.validity.until,
        institution: unit.institution.clone(),
        confidence: unit.confidence.clone(),
        language: lang.to_string(),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_LANGUAGE, lang.as_str()))
        .json(detail))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JurisdictionQuery {
    /// Code of the procedure (national procedures ignore the place).
    pub procedure: String,
    /// Latitude of the place of the facts (WGS84).
    pub lat: Option<f64>,
    /// Longitude of the place of the facts (WGS84).
    pub lon: Option<f64>,
    /// Municipality id (`BE-21004`), or its code with `country`.
    pub municipality: Option<String>,
    /// Postal code, with `country`.
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
    /// For `out_of_area`, the country when known.
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

/// Find the competent unit
///
/// Routes a procedure by the place of the facts (not the citizen's home): a municipality,
/// a postal code, coordinates, or a combination. Near a border the answer is `ambiguous`
/// with the candidates, so that the citizen confirms; procedures with national
/// competence go to their national unit whatever the place.
#[utoipa::path(
    tag = "directory",
    security(()),
    params(JurisdictionQuery),
    responses(
        (status = 200, description = "The routing, with an explanation", body = Jurisdiction),
        (status = 400, description = "Bad coordinates, no place, or a malformed parameter", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "Unknown procedure, municipality or postal code", body = Problem,
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
    let country = parse_country(&query.country)?;
    let point = match (query.lat, query.lon) {
        (Some(lat), Some(lon)) => Some((lat, lon)),
        (None, None) => None,
        _ => return Err(ApiError::InvalidQuery("lat and lon go together".into())),
    };
    let municipality = match &query.municipality {
        Some(raw) => Some(
            MunicipalityId::parse(raw, country)
                .ok_or_else(|| ApiError::MunicipalityNotFound(raw.clone()))?,
        ),
        None => None,
    };
    let postal_code = match (&query.postal_code, country) {
        (Some(code), Some(country)) => Some((country, code.trim().to_owned())),
        (Some(_), None) => return Err(ApiError::InvalidQuery("postal_code needs country".into())),
        (None, _) => None,
    };
    let date = query.date.unwrap_or_else(|| Utc::now().date_naive());
    let place = Place {
        municipality,
        postal_code,
        point,
    };
    let directory = state.directory();
    let routing = directory
        .route(&procedure.competence, &place, date)
        .map_err(|e| match e {
            PlaceError::Empty => ApiError::InvalidQuery(
                "give lat and lon, municipality, or postal_code with country".into(),
            ),
            PlaceError::InvalidCoordinates => {
                ApiError::InvalidQuery("lat must be within -90..90 and lon within -180..180".into())
            }
            PlaceError::UnknownMunicipality(id) => ApiError::MunicipalityNotFound(id),
            PlaceError::UnknownPostalCode(country, code) => {
                ApiError::PostalCodeNotFound(format!("{country} {code}"))
            }
            PlaceError::UnknownNationalUnit(unit) => {
                ApiError::Internal(format!("national unit {unit} is not in the directory"))
            }
        })?;

    let unit_view = |id: &str| directory.unit(id).map(|u| summary(u, lang));
    let unit_name = |id: &str| {
        directory
            .unit(id)
            .map(|u| u.name(lang).to_owned())
            .unwrap_or_else(|| id.to_owned())
    };
    let muni_name = |id: &MunicipalityId| {
        directory
            .municipality(id)
            .map(|m| m.name(lang).to_owned())
            .unwrap_or_else(|| id.to_string())
    };
    let explain = |key: &str, params: &[(&str, String)]| {
        texts()
            .render(lang, &format!("routing.{key}"), params)
            .unwrap_or_default()
    };
    let postal = query.postal_code.clone().unwrap_or_default();
    let mut view = Jurisdiction {
        outcome: JurisdictionOutcome::Routed,
        unit: None,
        municipality: None,
        method: None,
        confidence: None,
        candidates: Vec::new(),
        country: None,
        explanation: String::new(),
        date,
        directory_version: directory.version.clone(),
        language: lang.to_string(),
    };
    match &routing {
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
                    ("municipality", muni_name(municipality)),
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
        Routing::Ambiguous { candidates, method } => {
            view.outcome = JurisdictionOutcome::Ambiguous;
            view.method = Some(method.to_string());
            view.candidates = candidates
                .iter()
                .filter_map(
                    |Candidate {
                         municipality,
                         unit,
                         distance_m,
                     }| {
                        Some(CandidateView {
                            municipality: municipality_ref(
                                directory.municipality(municipality)?,
                                lang,
                            ),
                            unit: unit.as_deref().and_then(unit_view),
                            distance_m: *distance_m,
                        })
                    },
                )
                .collect();
            view.explanation = explain("ambiguous", &[]);
        }
        Routing::OutOfArea { country } => {
            view.outcome = JurisdictionOutcome::OutOfArea;
            view.country = country.map(|c| c.to_string());
            view.explanation = explain("out_of_area", &[]);
        }
        Routing::NoUnit { municipality } => {
            view.outcome = JurisdictionOutcome::NoUnit;
            view.municipality = directory
                .municipality(municipality)
                .map(|m| municipality_ref(m, lang));
            view.explanation = explain("no_unit", &[("municipality", muni_name(municipality))]);
        }
        Routing::National { unit } => {
            view.outcome = JurisdictionOutcome::National;
            view.unit = unit_view(unit);
            view.method = Some("national_competence".into());
            view.confidence = Some("high".into());
            view.explanation = explain("national", &[("unit", unit_name(unit))]);
        }
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_LANGUAGE, lang.as_str()))
        .json(view))
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

/// Search municipalities
///
/// For place pickers: by the start of a name in any of the country's languages, or of a
/// postal code, accents and case ignored.
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
    let items = directory
        .search(country, &query.q, lang, limit)
        .into_iter()
        .map(|m| MunicipalityView {
            id: m.id.to_string(),
            country: m.country.to_string(),
            name: m.name(lang).to_owned(),
            names: m
                .names
                .iter()
                .map(|(l, n)| (l.to_string(), n.clone()))
                .collect(),
            postal_codes: m.postal_codes.clone(),
        })
        .collect();
    Ok(public_json(
        &req,
        lang,
        &MunicipalityList {
            items,
            language: lang.to_string(),
        },
    ))
}

//! A citizen's filings: drafts, recap, submission, withdrawal, receipt. A citizen sees
//! their own filings only; another's id answers 404 exactly like a missing one.

use crate::auth::{Citizen, Identity};
use crate::error::{ApiError, FieldError, Problem};
use crate::extract::JsonBody;
use crate::i18n::{texts, Language};
use crate::idempotency::{self, Reply};
use crate::routes::versions::if_match;
use crate::state::AppState;
use actix_web::http::{header, StatusCode};
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, FixedOffset, Utc};
use domain::audit::{Actor, ActorRole, AuditEvent, AuditOperation, AuditOutcome};
use domain::catalogue::{Country, DeclarantKind, Procedure};
use domain::directory::{MunicipalityId, Place, Routing};
use domain::eligibility::{self, Answer, Eligibility};
use domain::filing::{transition, ActorKind, FilingAction, FilingStatus, ReferenceNumber};
use domain::i18n::Lang;
use persistence::filings::{self as repo, FilingRow};
use persistence::PersistenceError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// The place of the facts, in any combination.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceInput {
    /// Municipality id (`BE-25121`), or its code with `country`.
    pub municipality: Option<String>,
    pub postal_code: Option<String>,
    /// Country of `postal_code` / `municipality`: BE, LU, FR, ES-CT.
    pub country: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// Street, landmark, public-transport line: free text for the officer.
    pub description: Option<String>,
}

/// When the facts happened: an instant, or an interval when unsure.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FactsDate {
    pub from: DateTime<FixedOffset>,
    pub until: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Postal address for a confirmation by post.
    pub postal_address: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmationChannel {
    Email,
    Post,
}

/// A new draft. Everything but the procedure and the country may come later, by PATCH.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "procedure": "bicycle_theft", "country": "BE",
    "place": {"lat": 50.6730, "lon": 4.5687, "description": "Bicycle rack of the station"},
    "facts_date": {"from": "2026-11-21T18:00:00+01:00", "until": "2026-11-21T19:30:00+01:00"},
    "answers": {"ongoing_danger": false, "injury": false, "known_author": false, "violence": false, "exploitable_traces": false},
    "facts": {"bicycle_locked": true, "circumstances": "Locked at the station rack, gone when I came back.",
              "items": [{"category": "bicycle", "brand": "Gazelle", "serial_number": "GZ12345678", "colour": "blue"}]},
    "contact": {"email": "alice@example.org"}, "confirmation_channel": "email", "language": "fr"
}))]
pub struct NewFiling {
    pub procedure: String,
    pub country: String,
    pub place: Option<PlaceInput>,
    pub facts_date: Option<FactsDate>,
    /// Eligibility answers (see the procedure's questionnaire).
    #[schema(value_type = Option<Object>)]
    pub answers: Option<BTreeMap<String, serde_json::Value>>,
    /// The facts, per the procedure's `form_schema` (items included).
    #[schema(value_type = Option<Object>)]
    pub facts: Option<serde_json::Value>,
    pub contact: Option<ContactInput>,
    pub confirmation_channel: Option<ConfirmationChannel>,
    /// Language of the confirmation: fr, nl, de, en, es, ca.
    pub language: Option<String>,
}

/// Changes to a draft; absent members stay as they are. Status, unit and reference are
/// not settable: sending them is an error.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"place": {"municipality": "BE-25121"}}))]
pub struct FilingChanges {
    pub place: Option<PlaceInput>,
    pub facts_date: Option<FactsDate>,
    #[schema(value_type = Option<Object>)]
    pub answers: Option<BTreeMap<String, serde_json::Value>>,
    #[schema(value_type = Option<Object>)]
    pub facts: Option<serde_json::Value>,
    pub contact: Option<ContactInput>,
    pub confirmation_channel: Option<ConfirmationChannel>,
    pub language: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NamedRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EligibilityView {
    /// `eligible`, `not_eligible` or `incomplete` (answers missing).
    pub outcome: String,
    pub reasons: Vec<FilingReason>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FilingReason {
    pub code: String,
    pub explanation: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoutingView {
    /// `routed`, `national`, `ambiguous`, `out_of_area`, `no_unit` or `incomplete` (no place yet).
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<NamedRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub municipality: Option<NamedRef>,
    /// For `ambiguous`: the municipalities to choose from (set `place.municipality`).
    pub candidates: Vec<NamedRef>,
    /// Whether the unit is open now, and when it next opens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_open_now: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_next_opening: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    pub status: String,
    pub label: String,
    /// What the status means for the citizen, in their language.
    pub explanation: String,
}

/// A filing as its author sees it: no officer-only data.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "6f1c2a3e-8d7b-4c5a-9e0f-1a2b3c4d5e6f", "procedure": "bicycle_theft",
    "procedure_name": "Plainte pour vol de vélo", "status": "submitted", "status_label": "Envoyé",
    "reference": "EC-2026-7K2Q-9XHM-C", "country": "BE", "declarant": "person", "language": "fr",
    "place": {"lat": 50.673, "lon": 4.5687}, "facts": {}, "answers": {}, "contact": {"email": "alice@example.org"},
    "confirmation_channel": "email", "created_at": "2026-11-22T10:00:00Z", "updated_at": "2026-11-22T10:05:00Z",
    "submitted_at": "2026-11-22T10:05:00Z",
    "eligibility": {"outcome": "eligible", "reasons": []},
    "routing": {"outcome": "routed", "unit": {"id": "zp-ottignies-louvain-la-neuve", "name": "ZP Ottignies-Louvain-la-Neuve"},
                "municipality": {"id": "BE-25121", "name": "Ottignies-Louvain-la-Neuve"}, "candidates": [], "unit_open_now": false,
                "unit_next_opening": "2026-11-23T07:00:00Z"},
    "next_steps": "Votre plainte est transmise à l'unité de police du lieu du vol...",
    "history": [{"at": "2026-11-22T10:00:00Z", "status": "draft", "label": "Brouillon",
                 "explanation": "Vous avez commencé cette déclaration ; elle n'a pas encore été envoyée à la police."}],
    "version": 2
}))]
pub struct FilingView {
    pub id: String,
    pub procedure: String,
    pub procedure_name: String,
    pub status: String,
    pub status_label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub country: String,
    pub declarant: String,
    pub language: String,
    pub place: PlaceInput,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facts_date: Option<FactsDate>,
    #[schema(value_type = Object)]
    pub facts: serde_json::Value,
    #[schema(value_type = Object)]
    pub answers: serde_json::Value,
    pub contact: ContactInput,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmation_channel: Option<ConfirmationChannel>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<DateTime<Utc>>,
    /// The eligibility of the case as it stands (the recap).
    pub eligibility: EligibilityView,
    /// Where it goes (the recap), or where it went once submitted.
    pub routing: RoutingView,
    /// What happens next, for the citizen.
    pub next_steps: String,
    pub history: Vec<HistoryEntry>,
    /// A question of the officer, to answer with `POST /v1/filings/{id}/answers`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info_request: Option<String>,
    /// The citizen's answer to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info_answer: Option<String>,
    /// The official record number, once registered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_number: Option<String>,
    /// Why it was rejected or redirected, and where to go.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<crate::routes::backoffice::Decision>,
    /// The version, also the `ETag`; send it in `If-Match` to change a draft.
    pub version: i64,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [], "next_cursor": null}))]
pub struct FilingList {
    pub items: Vec<FilingSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FilingSummary {
    pub id: String,
    pub procedure: String,
    pub procedure_name: String,
    pub status: String,
    pub status_label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "reference": "EC-2026-7K2Q-9XHM-C", "procedure": "bicycle_theft", "procedure_name": "Complaint for bicycle theft",
    "submitted_at": "2026-11-22T10:05:00Z", "unit": {"id": "zp-ottignies-louvain-la-neuve", "name": "ZP Ottignies-Louvain-la-Neuve"},
    "unit_contact": {"web": "https://www.police.be"}, "summary": "Complaint for bicycle theft, Ottignies-Louvain-la-Neuve, 2026-11-21",
    "items": 1, "follow_up": "Quote the reference EC-2026-7K2Q-9XHM-C in any contact about this filing.",
    "emergency_numbers": ["101", "112"], "language": "en"
}))]
pub struct Receipt {
    pub reference: String,
    pub procedure: String,
    pub procedure_name: String,
    pub submitted_at: DateTime<Utc>,
    pub unit: NamedRef,
    pub unit_contact: crate::routes::directory::ContactView,
    /// One line: what, where, when.
    pub summary: String,
    /// How many objects are listed.
    pub items: usize,
    pub follow_up: String,
    pub emergency_numbers: Vec<String>,
    pub language: String,
}

fn parse_json<T: serde::de::DeserializeOwned + Default>(raw: &str) -> T {
    serde_json::from_str(raw).unwrap_or_default()
}

fn etag(version: i64) -> String {
    format!("\"v{version}\"")
}

fn status_label(lang: Lang, status: &str) -> String {
    texts()
        .get(lang, &format!("filing_status.{status}"))
        .unwrap_or(status)
        .to_owned()
}

/// Checks what a draft holds (nothing is required yet); returns the field errors.
/// The parts of a filing that a citizen writes.
struct DraftParts<'a> {
    place: &'a PlaceInput,
    facts_date: Option<&'a FactsDate>,
    facts: &'a serde_json::Value,
    answers: &'a BTreeMap<String, serde_json::Value>,
    contact: &'a ContactInput,
    language: &'a str,
}

fn check_draft(
    state: &AppState,
    procedure: &Procedure,
    parts: &DraftParts<'_>,
    now: DateTime<Utc>,
    final_check: bool,
) -> Vec<FieldError> {
    let DraftParts {
        place,
        facts_date,
        facts,
        answers,
        contact,
        language,
    } = *parts;
    let mut errors = Vec::new();
    if let Some(c) = &place.country {
        if c.parse::<Country>().is_err() {
            errors.push(FieldError::new("/place/country", "unknown_country"));
        }
    }
    if place.lat.is_some() != place.lon.is_some() {
        errors.push(FieldError::new("/place/lat", "required"));
    }
    if let (Some(lat), Some(lon)) = (place.lat, place.lon) {
        if !((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)) {
            errors.push(FieldError::new("/place/lat", "out_of_range"));
        }
    }
    if place
        .description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 500)
    {
        errors.push(FieldError::new("/place/description", "too_long"));
    }
    if let Some(date) = facts_date {
        let from = date.from.with_timezone(&Utc);
        if from > now + Duration::minutes(5) {
            errors.push(FieldError::new("/facts_date/from", "in_future"));
        }
        if let Some(until) = date.until {
            let until = until.with_timezone(&Utc);
            if until > now + Duration::minutes(5) {
                errors.push(FieldError::new("/facts_date/until", "in_future"));
            }
            if until < from {
                errors.push(FieldError::new("/facts_date/until", "out_of_range"));
            }
        }
        if let Some(days) = procedure.max_facts_age_days {
            if from < now - Duration::days(i64::from(days)) {
                errors.push(FieldError::new("/facts_date/from", "too_old"));
            }
        }
    } else if final_check && procedure.max_facts_age_days.is_some() {
        errors.push(FieldError::new("/facts_date", "required"));
    }
    for issue in domain::forms::validate(&state.catalogue, &procedure.form, facts, "/facts") {
        if final_check || issue.code != "required" {
            errors.push(FieldError::new(issue.pointer, issue.code));
        }
    }
    for (question, value) in answers {
        if !procedure.questions.contains(question) {
            errors.push(FieldError::new(
                format!("/answers/{}", domain::forms::escape(question)),
                "unknown_question",
            ));
        } else if !(value.is_boolean() || value.is_string()) {
            errors.push(FieldError::new(
                format!("/answers/{}", domain::forms::escape(question)),
                "invalid_answer",
            ));
        }
    }
    if let Some(email) = &contact.email {
        let valid = email.len() <= 254
            && email
                .split_once('@')
                .is_some_and(|(a, b)| !a.is_empty() && b.contains('.'));
        if !valid {
            errors.push(FieldError::new("/contact/email", "invalid_email"));
        }
    }
    for (pointer, value, max) in [
        ("/contact/phone", &contact.phone, 30),
        ("/contact/postal_address", &contact.postal_address, 500),
    ] {
        if value.as_ref().is_some_and(|v| v.chars().count() > max) {
            errors.push(FieldError::new(pointer, "too_long"));
        }
    }
    if language.parse::<Lang>().is_err() {
        errors.push(FieldError::new("/language", "unknown_option"));
    }
    errors
}

fn answers_of(raw: &BTreeMap<String, serde_json::Value>) -> BTreeMap<String, Answer> {
    raw.iter()
        .filter_map(|(k, v)| match v {
            serde_json::Value::Bool(b) => Some((k.clone(), Answer::from_bool(*b))),
            serde_json::Value::String(s) => Some((k.clone(), Answer::Choice(s.clone()))),
            _ => None,
        })
        .collect()
}

fn place_of(place: &PlaceInput, country: Country) -> Place {
    let place_country = place
        .country
        .as_deref()
        .and_then(|c| c.parse().ok())
        .unwrap_or(country);
    Place {
        municipality: place
            .municipality
            .as_deref()
            .and_then(|m| MunicipalityId::parse(m, Some(place_country))),
        postal_code: place.postal_code.clone().map(|p| (place_country, p)),
        point: place.lat.zip(place.lon),
        ..Place::default()
    }
}

fn is_empty(place: &PlaceInput) -> bool {
    place.municipality.is_none() && place.postal_code.is_none() && place.lat.is_none()
}

fn audit(
    identity: &Identity,
    operation: AuditOperation,
    filing: &str,
    request_id: &str,
    now: DateTime<Utc>,
) -> AuditEvent {
    AuditEvent {
        occurred_at: now,
        actor: Actor {
            id: identity.user_id.clone(),
            role: if identity.business.is_some() {
                ActorRole::Business
            } else {
                ActorRole::Citizen
            },
            unit: None,
            client_id: identity.client_id.clone(),
        },
        operation,
        object_type: "filing".into(),
        object_id: Some(filing.to_owned()),
        justification: None,
        recipient: None,
        outcome: AuditOutcome::Allowed,
        request_id: Some(request_id.to_owned()),
    }
}

/// Builds the citizen's view, with the recap computed now.
fn view(
    state: &AppState,
    row: &FilingRow,
    history: &[repo::HistoryRow],
    lang: Lang,
    now: DateTime<Utc>,
) -> FilingView {
    let catalogue = &state.catalogue;
    let procedure = catalogue.procedure(&row.procedure_code);
    let answers: BTreeMap<String, serde_json::Value> = parse_json(&row.answers);
    let place: PlaceInput = parse_json(&row.place);
    let country: Country = row.country.parse().unwrap_or(Country::Be);
    let declarant: DeclarantKind = row.declarant.parse().unwrap_or(DeclarantKind::Person);
    let eligibility = match procedure
        .map(|p| eligibility::check(catalogue, p, country, declarant, &answers_of(&answers)))
    {
        Some(Ok(Eligibility::Eligible { .. })) => EligibilityView {
            outcome: "eligible".into(),
            reasons: Vec::new(),
        },
        Some(Ok(Eligibility::NotEligible { failures, .. })) => EligibilityView {
            outcome: "not_eligible".into(),
            reasons: failures
                .iter()
                .map(|f| FilingReason {
                    code: f.reason.clone(),
                    explanation: catalogue.text(lang, &format!("reason.{}", f.reason)),
                })
                .collect(),
        },
        _ => EligibilityView {
            outcome: "incomplete".into(),
            reasons: Vec::new(),
        },
    };
    let directory = state.directory();
    let named_unit = |id: &str| {
        directory.unit(id).map(|u| NamedRef {
            id: u.id.clone(),
            name: u.name(lang).to_owned(),
        })
    };
    let named_municipality = |id: &MunicipalityId| {
        directory.municipality(id).map(|m| NamedRef {
            id: m.id.to_string(),
            name: m.name(lang).to_owned(),
        })
    };
    let mut routing = RoutingView {
        outcome: "incomplete".into(),
        unit: None,
        municipality: None,
        candidates: Vec::new(),
        unit_open_now: None,
        unit_next_opening: None,
    };
    let routed_unit = if let Some(unit) = &row.unit_id {
        routing.outcome = if procedure
            .is_some_and(|p| matches!(p.competence, domain::catalogue::Competence::National { .. }))
        {
            "national"
        } else {
            "routed"
        }
        .into();
        routing.municipality = row
            .municipality_id
            .as_deref()
            .and_then(|m| MunicipalityId::parse(m, None))
            .and_then(|m| named_municipality(&m));
        Some(unit.clone())
    } else if let Some(p) = procedure {
        let place = place_of(&place, country);
        let date = row
            .facts_from
            .map(|d| d.date())
            .unwrap_or_else(|| now.date_naive());
        match directory.route(&p.competence, &place, date) {
            Ok(Routing::Routed {
                unit, municipality, ..
            }) => {
                routing.outcome = "routed".into();
                routing.municipality = named_municipality(&municipality);
                Some(unit)
            }
            Ok(Routing::National { unit }) => {
                routing.outcome = "national".into();
                Some(unit)
            }
            Ok(Routing::Ambiguous { candidates, .. }) => {
                routing.outcome = "ambiguous".into();
                routing.candidates = candidates
                    .iter()
                    .filter_map(|c| named_municipality(&c.municipality))
                    .collect();
                None
            }
            Ok(Routing::OutOfArea { .. }) => {
                routing.outcome = "out_of_area".into();
                None
            }
            Ok(Routing::NoUnit { municipality }) => {
                routing.outcome = "no_unit".into();
                routing.municipality = named_municipality(&municipality);
                None
            }
            Err(_) => None,
        }
    } else {
        None
    };
    if let Some(unit) = routed_unit.as_deref().and_then(|u| directory.unit(u)) {
        routing.unit_open_now = Some(unit.hours.is_open(now));
        routing.unit_next_opening = unit.hours.next_opening(now);
        routing.unit = named_unit(&unit.id);
    }
    FilingView {
        id: row.id.clone(),
        procedure: row.procedure_code.clone(),
        procedure_name: catalogue.text(lang, &format!("procedure.{}.name", row.procedure_code)),
        status: row.status.clone(),
        status_label: status_label(lang, &row.status),
        reference: row.reference.clone(),
        country: row.country.clone(),
        declarant: row.declarant.clone(),
        language: row.language.clone(),
        place,
        facts_date: row.facts_from.map(|from| FactsDate {
            from: repo::utc(from).fixed_offset(),
            until: row.facts_until.map(|u| repo::utc(u).fixed_offset()),
        }),
        facts: serde_json::from_str(&row.facts).unwrap_or(serde_json::Value::Null),
        answers: serde_json::to_value(&answers).unwrap_or_default(),
        contact: parse_json(&row.contact),
        confirmation_channel: serde_json::from_str(&row.confirmation_channel).ok(),
        created_at: repo::utc(row.created_at),
        updated_at: repo::utc(row.updated_at),
        submitted_at: row.submitted_at.map(repo::utc),
        eligibility,
        routing,
        next_steps: catalogue.text(
            lang,
            &format!("procedure.{}.after_submission", row.procedure_code),
        ),
        history: history
            .iter()
            .map(|h| HistoryEntry {
                at: repo::utc(h.occurred_at),
                status: h.to_status.clone(),
                label: status_label(lang, &h.to_status),
                explanation: texts()
                    .get(lang, &format!("filing_status_explanation.{}", h.to_status))
                    .unwrap_or_default()
                    .to_owned(),
            })
            .collect(),
        info_request: row.info_request.clone(),
        info_answer: row.info_answer.clone(),
        record_number: row.record_number.clone(),
        decision: row
            .decision
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok()),
        version: row.version,
    }
}

async fn load_view(
    state: &web::Data<AppState>,
    owner: &str,
    id: &str,
    lang: Lang,
) -> Result<(FilingView, i64), ApiError> {
    let (pool, owner, id_owned) = (state.pool.clone(), owner.to_owned(), id.to_owned());
    let (row, history) = web::block(move || {
        let mut conn = pool.get()?;
        let row = repo::find_owned(&mut conn, &owner, &id_owned)?;
        let history = match &row {
            Some(r) => repo::history(&mut conn, &r.id)?,
            None => Vec::new(),
        };
        Ok::<_, persistence::PersistenceError>((row, history))
    })
    .await??;
    let row = row.ok_or_else(|| ApiError::FilingNotFound(id.to_owned()))?;
    Ok((view(state, &row, &history, lang, Utc::now()), row.version))
}

fn with_etag(status: StatusCode, view: &FilingView, location: bool) -> Reply {
    let mut headers = vec![("etag".to_owned(), etag(view.version))];
    if location {
        headers.push(("location".to_owned(), format!("/v1/filings/{}", view.id)));
    }
    Reply {
        status,
        headers,
        body: serde_json::to_value(view).unwrap_or_default(),
    }
}

/// Appends the audit event of a request that did its work (not of a replay). Call it
/// last in the transaction: the audit chain's lock is held from there to the commit.
fn audit_if_fresh(
    conn: &mut persistence::DbConnection,
    done: &idempotency::Done,
    event: &AuditEvent,
) -> Result<(), PersistenceError> {
    if matches!(done, idempotency::Done::Fresh(_)) {
        persistence::audit::append(conn, event)?;
    }
    Ok(())
}

fn request_id(req: &HttpRequest) -> String {
    crate::middleware::RequestId::of(req).unwrap_or_default()
}

/// Create a draft
///
/// Starts a filing for a procedure. Accepts `Idempotency-Key`: a retry with the same key
/// and body returns the same draft instead of creating another.
#[utoipa::path(
    tag = "filings",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: same key and body, same response")),
    request_body = NewFiling,
    responses(
        (status = 201, description = "The draft, with its recap", body = FilingView,
            headers(("Location" = String, description = "The draft's URL"), ("ETag" = String, description = "Its version"))),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a citizen account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The same Idempotency-Key is being processed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or an Idempotency-Key reused for another body", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/filings")]
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    Citizen(identity): Citizen,
    JsonBody(body): JsonBody<NewFiling>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let request = serde_json::to_value(&body).unwrap_or_default();
    let caller = identity.user_id.clone();
    let (state, req, identity, body) = (&state, &req, &identity, &body);
    idempotency::run(state, req, &caller, &request, |key| async move {
        let now = Utc::now();
        let procedure = state.catalogue.procedure(&body.procedure);
        let country = body
            .country
            .parse::<Country>()
            .ok()
            .filter(|c| state.countries.contains(c));
        let mut errors = Vec::new();
        if procedure.is_none() {
            errors.push(FieldError::new("/procedure", "unknown_procedure"));
        }
        if country.is_none() {
            errors.push(FieldError::new("/country", "unknown_country"));
        }
        let (Some(procedure), Some(country)) = (procedure, country) else {
            return Err(ApiError::Validation(errors));
        };
        let place = body.place.clone().unwrap_or_default();
        let facts = body.facts.clone().unwrap_or_else(|| serde_json::json!({}));
        let answers = body.answers.clone().unwrap_or_default();
        let contact = body.contact.clone().unwrap_or_default();
        let language = body
            .language
            .clone()
            .unwrap_or_else(|| identity.locale.clone().unwrap_or_else(|| lang.to_string()));
        let language = language
            .parse::<Lang>()
            .map(|l| l.to_string())
            .unwrap_or(language);
        errors.extend(check_draft(
            state,
            procedure,
            &DraftParts {
                place: &place,
                facts_date: body.facts_date.as_ref(),
                facts: &facts,
                answers: &answers,
                contact: &contact,
                language: &language,
            },
            now,
            false,
        ));
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let row = FilingRow {
            id: id.clone(),
            owner_id: identity.user_id.clone(),
            procedure_code: procedure.code.clone(),
            status: FilingStatus::Draft.to_string(),
            version: 1,
            country: country.to_string(),
            declarant: if identity.business.is_some() {
                "business"
            } else {
                "person"
            }
            .into(),
            language,
            place: serde_json::to_string(&place).unwrap_or_default(),
            facts_from: body
                .facts_date
                .as_ref()
                .map(|d| repo::time(d.from.with_timezone(&Utc))),
            facts_until: body
                .facts_date
                .as_ref()
                .and_then(|d| d.until)
                .map(|u| repo::time(u.with_timezone(&Utc))),
            facts: facts.to_string(),
            answers: serde_json::to_string(&answers).unwrap_or_default(),
            contact: serde_json::to_string(&contact).unwrap_or_default(),
            confirmation_channel: body
                .confirmation_channel
                .map(|c| serde_json::to_string(&c).unwrap_or_default())
                .unwrap_or_default(),
            unit_id: None,
            municipality_id: None,
            routing: None,
            reference: None,
            created_at: repo::time(now),
            updated_at: repo::time(now),
            submitted_at: None,
            assigned_officer: None,
            info_request: None,
            info_answer: None,
            record_number: None,
            decision: None,
        };
        let event = audit(
            identity,
            AuditOperation::Collection,
            &id,
            &request_id(req),
            now,
        );
        let app = state.clone();
        web::block(move || {
            let mut conn = app.pool.get().map_err(PersistenceError::from)?;
            conn.write_transaction(|c| {
                let done = idempotency::within(key.as_ref(), c, |c| {
                    repo::insert(c, &row)?;
                    repo::add_history(
                        c,
                        &row.id,
                        now,
                        None,
                        "draft",
                        "create",
                        "citizen",
                        &row.owner_id,
                    )?;
                    let history = repo::history(c, &row.id)?;
                    let view = view(&app, &row, &history, lang, now);
                    Ok(with_etag(StatusCode::CREATED, &view, true))
                })?;
                // Last, as it holds the audit chain's lock until the commit.
                audit_if_fresh(c, &done, &event)?;
                Ok(done)
            })
        })
        .await?
    })
    .await
}

/// Get a filing (recap)
///
/// The filing with its recap: eligibility as it stands, where it goes (or the
/// municipalities to choose from), what happens next, the status history.
#[utoipa::path(
    tag = "filings",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Id of the filing"), crate::routes::catalogue::LangQuery),
    responses(
        (status = 200, description = "The filing", body = FilingView, headers(("ETag" = String, description = "Its version"))),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing among yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/filings/{id}")]
pub async fn get_filing(
    state: web::Data<AppState>,
    Citizen(identity): Citizen,
    id: web::Path<String>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let (view, version) = load_view(&state, &identity.user_id, &id, lang).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(version)))
        .json(view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only filings in this status.
    pub status: Option<String>,
    /// Page size, 1 to 100 (default 20).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    pub lang: Option<String>,
}

/// List my filings
///
/// The caller's filings, newest first, with cursor pagination.
#[utoipa::path(
    tag = "filings",
    security(("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, description = "A page of filings", body = FilingList),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown status, bad cursor or limit", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/filings")]
pub async fn list(
    state: web::Data<AppState>,
    Citizen(identity): Citizen,
    query: web::Query<ListQuery>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let invalid = |name: &str, code: &str| {
        ApiError::Validation(vec![FieldError::new(format!("/query/{name}"), code)])
    };
    if let Some(status) = &query.status {
        status
            .parse::<FilingStatus>()
            .map_err(|_| invalid("status", "unknown_option"))?;
    }
    let limit = query.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(invalid("limit", "out_of_range"));
    }
    let before = match &query.cursor {
        Some(cursor) => {
            let (micros, id) = cursor
                .split_once('.')
                .ok_or_else(|| invalid("cursor", "invalid_type"))?;
            let micros: i64 = micros
                .parse()
                .map_err(|_| invalid("cursor", "invalid_type"))?;
            let at = DateTime::<Utc>::from_timestamp_micros(micros)
                .ok_or_else(|| invalid("cursor", "invalid_type"))?;
            Some((repo::time(at), id.to_owned()))
        }
        None => None,
    };
    let (pool, owner, status) = (
        state.pool.clone(),
        identity.user_id.clone(),
        query.status.clone(),
    );
    let rows = web::block(move || {
        let mut conn = pool.get()?;
        repo::list_owned(&mut conn, &owner, status.as_deref(), before, limit + 1)
    })
    .await??;
    let more = rows.len() as i64 > limit;
    let rows: Vec<FilingRow> = rows.into_iter().take(limit as usize).collect();
    let next_cursor = more
        .then(|| {
            rows.last()
                .map(|r| format!("{}.{}", repo::utc(r.created_at).timestamp_micros(), r.id))
        })
        .flatten();
    let items = rows
        .iter()
        .map(|r| FilingSummary {
            id: r.id.clone(),
            procedure: r.procedure_code.clone(),
            procedure_name: state
                .catalogue
                .text(lang, &format!("procedure.{}.name", r.procedure_code)),
            status: r.status.clone(),
            status_label: status_label(lang, &r.status),
            reference: r.reference.clone(),
            created_at: repo::utc(r.created_at),
            submitted_at: r.submitted_at.map(repo::utc),
        })
        .collect();
    Ok(HttpResponse::Ok().json(FilingList { items, next_cursor }))
}

async fn load_owned(
    state: &web::Data<AppState>,
    owner: &str,
    id: &str,
) -> Result<FilingRow, ApiError> {
    let (pool, owner, id_owned) = (state.pool.clone(), owner.to_owned(), id.to_owned());
    web::block(move || {
        let mut conn = pool.get()?;
        repo::find_owned(&mut conn, &owner, &id_owned)
    })
    .await??
    .ok_or_else(|| ApiError::FilingNotFound(id.to_owned()))
}

fn invalid_transition(status: &str, action: FilingAction, lang: Lang) -> ApiError {
    ApiError::InvalidTransition {
        status: status_label(lang, status),
        action: action.to_string(),
    }
}

/// Update a draft
///
/// Changes members of a draft. Requires `If-Match` with the current `ETag`: 428 without,
/// 412 when someone changed it meanwhile.
#[utoipa::path(
    tag = "filings",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Id of the filing"), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = FilingChanges,
    responses(
        (status = 200, description = "The updated draft", body = FilingView, headers(("ETag" = String, description = "Its new version"))),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing among yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a draft any more", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the ETag was read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/filings/{id}")]
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    Citizen(identity): Citizen,
    id: web::Path<String>,
    JsonBody(changes): JsonBody<FilingChanges>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let mut row = load_owned(&state, &identity.user_id, &id).await?;
    if row.version != expected {
        return Err(ApiError::PreconditionFailed);
    }
    let status: FilingStatus = row
        .status
        .parse()
        .map_err(|_| ApiError::Internal("bad status".into()))?;
    transition(status, FilingAction::Update, ActorKind::Citizen)
        .map_err(|_| invalid_transition(&row.status, FilingAction::Update, lang))?;
    let procedure = state
        .catalogue
        .procedure(&row.procedure_code)
        .ok_or_else(|| ApiError::Internal("unknown procedure".into()))?;
    let now = Utc::now();
    let place = changes
        .place
        .clone()
        .unwrap_or_else(|| parse_json(&row.place));
    let facts = changes.facts.clone().unwrap_or_else(|| {
        serde_json::from_str(&row.facts).unwrap_or_else(|_| serde_json::json!({}))
    });
    let answers = changes
        .answers
        .clone()
        .unwrap_or_else(|| parse_json(&row.answers));
    let contact = changes
        .contact
        .clone()
        .unwrap_or_else(|| parse_json(&row.contact));
    let language = changes
        .language
        .clone()
        .unwrap_or_else(|| row.language.clone());
    let errors = check_draft(
        &state,
        procedure,
        &DraftParts {
            place: &place,
            facts_date: changes.facts_date.as_ref(),
            facts: &facts,
            answers: &answers,
            contact: &contact,
            language: &language,
        },
        now,
        false,
    );
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    row.place = serde_json::to_string(&place).unwrap_or_default();
    if let Some(date) = &changes.facts_date {
        row.facts_from = Some(repo::time(date.from.with_timezone(&Utc)));
        row.facts_until = date.until.map(|u| repo::time(u.with_timezone(&Utc)));
    }
    row.facts = facts.to_string();
    row.answers = serde_json::to_string(&answers).unwrap_or_default();
    row.contact = serde_json::to_string(&contact).unwrap_or_default();
    if let Some(channel) = changes.confirmation_channel {
        row.confirmation_channel = serde_json::to_string(&channel).unwrap_or_default();
    }
    row.language = language;
    row.version = expected + 1;
    row.updated_at = repo::time(now);
    let pool = state.pool.clone();
    let saved = web::block(move || {
        let mut conn = pool.get()?;
        repo::update(&mut conn, &row, expected)
    })
    .await??;
    if !saved {
        return Err(ApiError::PreconditionFailed);
    }
    let (view, version) = load_view(&state, &identity.user_id, &id, lang).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(version)))
        .json(view))
}

/// Submit a filing
///
/// Checks everything again (eligibility, level of assurance, the facts form, the date,
/// the place), routes the filing to the competent unit and gives it its reference number.
/// Accepts `Idempotency-Key`; a filing is submitted once, however often this is retried.
#[utoipa::path(
    tag = "filings",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Id of the filing"), ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 200, description = "Submitted: the filing with its reference and unit", body = FilingView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The identification is not strong enough (`insufficient_assurance`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing among yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already submitted, or the same Idempotency-Key in progress", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not eligible (`filing_not_eligible`), incomplete, place to confirm (`place_ambiguous`) or no competent unit", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Daily submission quota reached", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/filings/{id}/submit")]
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    Citizen(identity): Citizen,
    id: web::Path<String>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let caller = identity.user_id.clone();
    let (state, req, identity, id) = (&state, &req, &identity, &id);
    idempotency::run(
        state,
        req,
        &caller,
        &serde_json::json!({"submit": id}),
        |key| async move {
            let now = Utc::now();
            let mut row = load_owned(state, &identity.user_id, id).await?;
            let status: FilingStatus = row
                .status
                .parse()
                .map_err(|_| ApiError::Internal("bad status".into()))?;
            let next = transition(status, FilingAction::Submit, ActorKind::Citizen)
                .map_err(|_| invalid_transition(&row.status, FilingAction::Submit, lang))?;
            let catalogue = &state.catalogue;
            let procedure = catalogue
                .procedure(&row.procedure_code)
                .ok_or_else(|| ApiError::Internal("unknown procedure".into()))?;
            if !identity.assurance.satisfies(procedure.assurance) {
                return Err(ApiError::InsufficientAssurance {
                    required: procedure.assurance.to_string(),
                });
            }
            let place: PlaceInput = parse_json(&row.place);
            let facts: serde_json::Value =
                serde_json::from_str(&row.facts).unwrap_or_else(|_| serde_json::json!({}));
            let answers: BTreeMap<String, serde_json::Value> = parse_json(&row.answers);
            let contact: ContactInput = parse_json(&row.contact);
            let facts_date = row.facts_from.map(|from| FactsDate {
                from: repo::utc(from).fixed_offset(),
                until: row.facts_until.map(|u| repo::utc(u).fixed_offset()),
            });
            // Eligibility first: a case that is not for this procedure is told so, with where to go.
            let country: Country = row.country.parse().unwrap_or(Country::Be);
            let declarant: DeclarantKind = row.declarant.parse().unwrap_or(DeclarantKind::Person);
            match eligibility::check(
                catalogue,
                procedure,
                country,
                declarant,
                &answers_of(&answers),
            ) {
                Ok(Eligibility::Eligible { .. }) => {}
                Ok(Eligibility::NotEligible { failures, .. }) => {
                    return Err(ApiError::NotEligible(
                        failures
                            .iter()
                            .map(|f| FieldError {
                                pointer: f
                                    .question
                                    .as_ref()
                                    .map(|q| format!("/answers/{q}"))
                                    .unwrap_or_else(|| "/procedure".into()),
                                code: f.reason.clone(),
                                message: catalogue.text(lang, &format!("reason.{}", f.reason)),
                            })
                            .collect(),
                    ))
                }
                Err(e) => {
                    let mut errors: Vec<FieldError> = e
                        .missing
                        .iter()
                        .map(|q| FieldError::new(format!("/answers/{q}"), "required"))
                        .collect();
                    errors.extend(
                        e.unknown
                            .iter()
                            .map(|q| FieldError::new(format!("/answers/{q}"), "unknown_question")),
                    );
                    errors.extend(
                        e.invalid
                            .iter()
                            .map(|q| FieldError::new(format!("/answers/{q}"), "invalid_answer")),
                    );
                    return Err(ApiError::Validation(errors));
                }
            }
            let mut errors = check_draft(
                state,
                procedure,
                &DraftParts {
                    place: &place,
                    facts_date: facts_date.as_ref(),
                    facts: &facts,
                    answers: &answers,
                    contact: &contact,
                    language: &row.language,
                },
                now,
                true,
            );
            let channel: Option<ConfirmationChannel> =
                serde_json::from_str(&row.confirmation_channel).ok();
            match channel {
                None => errors.push(FieldError::new("/confirmation_channel", "required")),
                Some(ConfirmationChannel::Email) if contact.email.is_none() => {
                    errors.push(FieldError::new("/contact/email", "required"))
                }
                Some(ConfirmationChannel::Post) if contact.postal_address.is_none() => {
                    errors.push(FieldError::new("/contact/postal_address", "required"))
                }
                _ => {}
            }
            let local = matches!(procedure.competence, domain::catalogue::Competence::Local);
            if local && is_empty(&place) {
                errors.push(FieldError::new("/place", "required"));
            }
            if !errors.is_empty() {
                return Err(ApiError::Validation(errors));
            }
            let directory = state.directory();
            let date = row
                .facts_from
                .map(|d| d.date())
                .unwrap_or_else(|| now.date_naive());
            let (unit, municipality) =
                match directory.route(&procedure.competence, &place_of(&place, country), date) {
                    Ok(Routing::Routed {
                        unit, municipality, ..
                    }) => (unit, Some(municipality.to_string())),
                    Ok(Routing::National { unit }) => (unit, None),
                    Ok(Routing::Ambiguous { candidates, .. }) => {
                        return Err(ApiError::PlaceAmbiguous(
                            candidates
                                .iter()
                                .map(|c| FieldError {
                                    pointer: "/place/municipality".into(),
                                    code: "candidate".into(),
                                    message: c.municipality.to_string(),
                                })
                                .collect(),
                        ))
                    }
                    Ok(Routing::OutOfArea { .. } | Routing::NoUnit { .. }) => {
                        return Err(ApiError::NoCompetentUnit)
                    }
                    Err(e) => {
                        return Err(ApiError::Validation(vec![FieldError {
                            pointer: format!("/place{}", e.member()),
                            code: e.code().into(),
                            message: e.to_string(),
                        }]))
                    }
                };
            let day_start = now
                .date_naive()
                .and_hms_opt(0, 0, 0)
                .map(|d| d.and_utc())
                .unwrap_or(now);
            let limit = i64::from(state.daily_submissions);
            let expected = row.version;
            row.status = next.to_string();
            row.version += 1;
            row.unit_id = Some(unit);
            row.municipality_id = municipality;
            row.submitted_at = Some(repo::time(now));
            row.updated_at = repo::time(now);
            let event = audit(
                identity,
                AuditOperation::Collection,
                id,
                &request_id(req),
                now,
            );
            let app = state.clone();
            web::block(move || {
                let mut conn = app.pool.get().map_err(PersistenceError::from)?;
                conn.write_transaction(|c| {
                    let done = idempotency::within(key.as_ref(), c, |c| {
                        if repo::submitted_since(c, &row.owner_id, day_start)? >= limit {
                            return Err(ApiError::QuotaExceeded {
                                retry_after_secs: (day_start + Duration::days(1) - now)
                                    .num_seconds(),
                            });
                        }
                        // A fresh random reference; the unique index settles the rare collision.
                        let mut reference =
                            ReferenceNumber::generate(now.year_ce().1 as i32, random_40_bits());
                        while repo::reference_exists(c, reference.as_str())? {
                            reference =
                                ReferenceNumber::generate(now.year_ce().1 as i32, random_40_bits());
                        }
                        row.reference = Some(reference.as_str().to_owned());
                        if !repo::update(c, &row, expected)? {
                            return Err(ApiError::InvalidTransition {
                                status: "submitted".into(),
                                action: "submit".into(),
                            });
                        }
                        repo::add_history(
                            c,
                            &row.id,
                            now,
                            Some("draft"),
                            "submitted",
                            "submit",
                            "citizen",
                            &row.owner_id,
                        )?;
                        let history = repo::history(c, &row.id)?;
                        let view = view(&app, &row, &history, lang, now);
                        Ok(with_etag(StatusCode::OK, &view, false))
                    })?;
                    // Last, as it holds the audit chain's lock until the commit.
                    audit_if_fresh(c, &done, &event)?;
                    Ok(done)
                })
            })
            .await?
        },
    )
    .await
}

use chrono::Datelike;

fn random_40_bits() -> u64 {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        bytes = uuid::Uuid::new_v4().as_bytes()[..8]
            .try_into()
            .unwrap_or_default();
    }
    u64::from_le_bytes(bytes) & ((1 << 40) - 1)
}

/// Withdraw a filing
///
/// Possible until an officer takes it in charge.
#[utoipa::path(
    tag = "filings",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Id of the filing")),
    responses(
        (status = 200, description = "Withdrawn", body = FilingView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing among yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already taken in charge, or finished", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/filings/{id}/withdraw")]
pub async fn withdraw(
    req: HttpRequest,
    state: web::Data<AppState>,
    Citizen(identity): Citizen,
    id: web::Path<String>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let now = Utc::now();
    let mut row = load_owned(&state, &identity.user_id, &id).await?;
    let status: FilingStatus = row
        .status
        .parse()
        .map_err(|_| ApiError::Internal("bad status".into()))?;
    let next = transition(status, FilingAction::Withdraw, ActorKind::Citizen)
        .map_err(|_| invalid_transition(&row.status, FilingAction::Withdraw, lang))?;
    let expected = row.version;
    let from = row.status.clone();
    row.status = next.to_string();
    row.version += 1;
    row.updated_at = repo::time(now);
    let event = audit(
        &identity,
        AuditOperation::Alteration,
        &id,
        &request_id(&req),
        now,
    );
    let pool = state.pool.clone();
    let saved = web::block(move || {
        let mut conn = pool.get()?;
        conn.write_transaction(|c| {
            let change = repo::StatusChange {
                at: now,
                from: &from,
                action: "withdraw",
                actor_role: "citizen",
                actor_id: &row.owner_id,
            };
            repo::save_status_change(c, &row, expected, &change, &event)
        })
    })
    .await??;
    if !saved {
        return Err(ApiError::PreconditionFailed);
    }
    let (view, version) = load_view(&state, &identity.user_id, &id, lang).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(version)))
        .json(view))
}

/// Get the receipt
///
/// The acknowledgement of a submitted filing: reference number, date, competent unit,
/// a summary and how to follow up.
#[utoipa::path(
    tag = "filings",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Id of the filing"), crate::routes::catalogue::LangQuery, ReceiptQuery),
    responses(
        (status = 200, description = "The receipt: JSON, or a one-page PDF with `Accept: application/pdf` or `?format=pdf`",
            content(
                (Receipt = "application/json"),
                (String = "application/pdf", example = json!("%PDF-1.7 ... (binary)"))
            ),
            headers(("Content-Disposition" = String, description = "For the PDF: inline, with a file name"))),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing among yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not submitted yet", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown format", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/filings/{id}/receipt")]
pub async fn receipt(
    req: HttpRequest,
    state: web::Data<AppState>,
    Citizen(identity): Citizen,
    id: web::Path<String>,
    query: web::Query<ReceiptQuery>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let pdf = match query.format.as_deref() {
        Some("pdf") => true,
        Some("json") => false,
        Some(_) => {
            return Err(ApiError::Validation(vec![FieldError::new(
                "/query/format",
                "unknown_option",
            )]))
        }
        // The first of the two in the client's order of preference (JSON by default).
        None => <header::Accept as header::Header>::parse(&req)
            .ok()
            .and_then(|accept| {
                accept.ranked().into_iter().find_map(|m| {
                    match (m.type_().as_str(), m.subtype().as_str()) {
                        ("application", "pdf") => Some(true),
                        ("application", "json") | ("*", "*") | ("application", "*") => Some(false),
                        _ => None,
                    }
                })
            })
            .unwrap_or(false),
    };
    let row = load_owned(&state, &identity.user_id, &id).await?;
    let (Some(reference), Some(unit_id), Some(submitted_at)) =
        (&row.reference, &row.unit_id, row.submitted_at)
    else {
        return Err(invalid_transition(&row.status, FilingAction::Submit, lang));
    };
    let directory = state.directory();
    let unit = directory.unit(unit_id);
    let catalogue = &state.catalogue;
    let procedure_name = catalogue.text(lang, &format!("procedure.{}.name", row.procedure_code));
    let place_name = row
        .municipality_id
        .as_deref()
        .and_then(|m| MunicipalityId::parse(m, None))
        .and_then(|m| directory.municipality(&m).map(|m| m.name(lang).to_owned()));
    let date = row.facts_from.map(|d| d.date().to_string());
    let summary = [Some(procedure_name.clone()), place_name, date]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    let facts: serde_json::Value = serde_json::from_str(&row.facts).unwrap_or_default();
    let country: Country = row.country.parse().unwrap_or(Country::Be);
    let follow_up = format!(
        "{} {}",
        catalogue.text(
            lang,
            &format!("procedure.{}.after_submission", row.procedure_code)
        ),
        reference
    );
    let body = Receipt {
        reference: reference.clone(),
        procedure: row.procedure_code.clone(),
        procedure_name,
        submitted_at: repo::utc(submitted_at),
        unit: NamedRef {
            id: unit_id.clone(),
            name: unit
                .map(|u| u.name(lang).to_owned())
                .unwrap_or_else(|| unit_id.clone()),
        },
        unit_contact: unit
            .map(|u| crate::routes::directory::ContactView::from(&u.contact))
            .unwrap_or_default(),
        summary,
        items: facts
            .get("items")
            .and_then(|i| i.as_array())
            .map(Vec::len)
            .unwrap_or(0),
        follow_up,
        emergency_numbers: catalogue.emergency_numbers(country).to_vec(),
        language: lang.to_string(),
    };
    if !pdf {
        return Ok(HttpResponse::Ok()
            .insert_header((header::VARY, "Accept, Accept-Language"))
            .json(body));
    }
    let submitted_local = match unit {
        Some(u) => repo::utc(submitted_at)
            .with_timezone(&u.hours.timezone)
            .format("%Y-%m-%d %H:%M (%Z)")
            .to_string(),
        None => repo::utc(submitted_at)
            .format("%Y-%m-%d %H:%M UTC")
            .to_string(),
    };
    let bytes =
        web::block(move || crate::receipt_pdf::render(&body, lang, &submitted_local)).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((header::VARY, "Accept, Accept-Language"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"receipt-{reference}.pdf\""),
        ))
        .body(bytes))
}

/// `?format=` of the receipt.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReceiptQuery {
    /// `json` (default) or `pdf`; without it, the `Accept` header decides.
    pub format: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"message": "The frame number is GZ12345678."}))]
pub struct InfoAnswer {
    /// The answer to the officer's question (at most 4000 characters).
    pub message: String,
}

/// Answer an information request
///
/// Answers the officer's question; the filing goes back to the officer.
#[utoipa::path(
    tag = "filings",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Id of the filing")),
    request_body = InfoAnswer,
    responses(
        (status = 200, description = "Answered", body = FilingView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing among yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No question is waiting for an answer", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty or too long answer", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/filings/{id}/answers")]
pub async fn answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    Citizen(identity): Citizen,
    id: web::Path<String>,
    JsonBody(body): JsonBody<InfoAnswer>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let message = body.message.trim().to_owned();
    if message.is_empty() {
        return Err(ApiError::Validation(vec![FieldError::new(
            "/message", "empty",
        )]));
    }
    if message.chars().count() > 4000 {
        return Err(ApiError::Validation(vec![FieldError::new(
            "/message", "too_long",
        )]));
    }
    let now = Utc::now();
    let mut row = load_owned(&state, &identity.user_id, &id).await?;
    let status: FilingStatus = row
        .status
        .parse()
        .map_err(|_| ApiError::Internal("bad status".into()))?;
    let next = transition(status, FilingAction::AnswerInfoRequest, ActorKind::Citizen)
        .map_err(|_| invalid_transition(&row.status, FilingAction::AnswerInfoRequest, lang))?;
    let expected = row.version;
    let from = row.status.clone();
    row.status = next.to_string();
    row.info_answer = Some(message);
    row.version += 1;
    row.updated_at = repo::time(now);
    let event = audit(
        &identity,
        AuditOperation::Collection,
        &id,
        &request_id(&req),
        now,
    );
    let pool = state.pool.clone();
    let saved = web::block(move || {
        let mut conn = pool.get()?;
        conn.write_transaction(|c| {
            let change = repo::StatusChange {
                at: now,
                from: &from,
                action: "answer_info_request",
                actor_role: "citizen",
                actor_id: &row.owner_id,
            };
            repo::save_status_change(c, &row, expected, &change, &event)
        })
    })
    .await??;
    if !saved {
        return Err(ApiError::PreconditionFailed);
    }
    let (view, version) = load_view(&state, &identity.user_id, &id, lang).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(version)))
        .json(view))
}

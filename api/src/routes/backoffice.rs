//! The back office: a unit's queue and the officers' actions on its filings. Only members
//! of the unit may act; every access to personal data, allowed or denied, is audited
//! (EU Directive 2016/680, art. 25).

use crate::auth::Officer;
use crate::error::{ApiError, FieldError, Problem};
use crate::extract::JsonBody;
use crate::i18n::Language;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{get, post, web, HttpMessage, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use domain::audit::{Actor, ActorRole, AuditEvent, AuditOperation, AuditOutcome};
use domain::filing::{transition, ActorKind, FilingAction, FilingStatus};
use persistence::filings::{self as repo, FilingRow, QueueFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

fn audit_event(
    officer: &Officer,
    unit: &str,
    operation: AuditOperation,
    object: (&str, Option<&str>),
    outcome: AuditOutcome,
    req: &HttpRequest,
) -> AuditEvent {
    AuditEvent {
        occurred_at: Utc::now(),
        actor: Actor {
            id: officer.0.user_id.clone(),
            role: match officer.role() {
                "supervisor" => ActorRole::Supervisor,
                "admin" => ActorRole::Admin,
                _ => ActorRole::Officer,
            },
            unit: Some(unit.to_owned()),
            client_id: officer.0.client_id.clone(),
        },
        operation,
        object_type: object.0.to_owned(),
        object_id: object.1.map(str::to_owned),
        justification: None,
        recipient: None,
        outcome,
        request_id: req
            .extensions()
            .get::<crate::middleware::RequestId>()
            .map(|r| r.0.clone()),
    }
}

async fn record(state: &web::Data<AppState>, event: AuditEvent) -> Result<(), ApiError> {
    let pool = state.pool.clone();
    web::block(move || {
        let mut conn = pool.get()?;
        persistence::audit::append(&mut conn, &event).map(|_| ())
    })
    .await??;
    Ok(())
}

/// Refuses (and audits the refusal) when the officer is not a member of the unit.
async fn require_member(
    state: &web::Data<AppState>,
    officer: &Officer,
    unit: &str,
    object: (&str, Option<&str>),
    operation: AuditOperation,
    req: &HttpRequest,
) -> Result<(), ApiError> {
    if officer.is_member_of(unit) {
        return Ok(());
    }
    record(
        state,
        audit_event(officer, unit, operation, object, AuditOutcome::Denied, req),
    )
    .await?;
    Err(ApiError::Forbidden)
}

/// A filing as an officer of its unit sees it: everything, including back-office data.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "6f1c2a3e-8d7b-4c5a-9e0f-1a2b3c4d5e6f", "reference": "EC-2026-7K2Q-9XHM-C", "procedure": "bicycle_theft",
    "status": "submitted", "unit_id": "zp-ottignies-louvain-la-neuve", "municipality_id": "BE-25121",
    "owner_id": "u-2f1c0e8b9a7d6c5b4a3f2e1d", "assurance_checked": true, "country": "BE", "language": "fr",
    "submitted_at": "2026-11-22T10:05:00Z", "place": {"lat": 50.673, "lon": 4.5687}, "facts": {}, "answers": {},
    "contact": {"email": "alice@example.org"}, "confirmation_channel": "\"email\"", "version": 2
}))]
pub struct OfficerFilingView {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub procedure: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub municipality_id: Option<String>,
    /// The citizen's pseudonymous id.
    pub owner_id: String,
    pub assurance_checked: bool,
    pub country: String,
    pub language: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned_officer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info_request: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info_answer: Option<String>,
    #[schema(value_type = Object)]
    pub place: serde_json::Value,
    #[schema(value_type = Object)]
    pub facts: serde_json::Value,
    #[schema(value_type = Object)]
    pub answers: serde_json::Value,
    #[schema(value_type = Object)]
    pub contact: serde_json::Value,
    pub confirmation_channel: String,
    pub version: i64,
}

fn officer_view(row: &FilingRow) -> OfficerFilingView {
    let json = |raw: &str| serde_json::from_str(raw).unwrap_or(serde_json::Value::Null);
    OfficerFilingView {
        id: row.id.clone(),
        reference: row.reference.clone(),
        procedure: row.procedure_code.clone(),
        status: row.status.clone(),
        unit_id: row.unit_id.clone(),
        municipality_id: row.municipality_id.clone(),
        owner_id: row.owner_id.clone(),
        assurance_checked: row.submitted_at.is_some(),
        country: row.country.clone(),
        language: row.language.clone(),
        submitted_at: row.submitted_at.map(repo::utc),
        assigned_officer: row.assigned_officer.clone(),
        info_request: row.info_request.clone(),
        info_answer: row.info_answer.clone(),
        place: json(&row.place),
        facts: json(&row.facts),
        answers: json(&row.answers),
        contact: json(&row.contact),
        confirmation_channel: row.confirmation_channel.clone(),
        version: row.version,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Comma-separated statuses (default: every submitted status).
    pub status: Option<String>,
    pub procedure: Option<String>,
    /// Submitted at or after (RFC 3339).
    pub submitted_from: Option<DateTime<Utc>>,
    /// Submitted before (RFC 3339).
    pub submitted_until: Option<DateTime<Utc>>,
    /// `me` (assigned to the caller) or `none` (unassigned).
    pub assigned: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [], "next_cursor": null}))]
pub struct Queue {
    pub items: Vec<OfficerFilingView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A unit's queue
///
/// The unit's submitted filings, oldest first. Members of the unit only; the access is
/// audited (a refused one too).
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), QueueQuery),
    responses(
        (status = 200, description = "A page of the queue", body = Queue),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad filter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/filings")]
pub async fn queue(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
    unit: web::Path<String>,
    query: web::Query<QueueQuery>,
) -> Result<HttpResponse, ApiError> {
    let unit = unit.into_inner();
    require_member(
        &state,
        &officer,
        &unit,
        ("unit_queue", Some(&unit)),
        AuditOperation::Consultation,
        &req,
    )
    .await?;
    let invalid = |name: &str, code: &str| {
        ApiError::Validation(vec![FieldError::new(format!("/query/{name}"), code)])
    };
    let mut filter = QueueFilter {
        procedure: query.procedure.clone(),
        submitted_from: query.submitted_from,
        submitted_until: query.submitted_until,
        ..QueueFilter::default()
    };
    if let Some(statuses) = &query.status {
        for status in statuses.split(',').map(str::trim) {
            status
                .parse::<FilingStatus>()
                .map_err(|_| invalid("status", "unknown_option"))?;
            filter.statuses.push(status.to_owned());
        }
    }
    filter.assigned = match query.assigned.as_deref() {
        None => None,
        Some("me") => Some(Some(officer.0.user_id.clone())),
        Some("none") => Some(None),
        Some(_) => return Err(invalid("assigned", "unknown_option")),
    };
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(invalid("limit", "out_of_range"));
    }
    if let Some(cursor) = &query.cursor {
        let (micros, id) = cursor
            .split_once('.')
            .ok_or_else(|| invalid("cursor", "invalid_type"))?;
        let at = micros
            .parse()
            .ok()
            .and_then(DateTime::<Utc>::from_timestamp_micros)
            .ok_or_else(|| invalid("cursor", "invalid_type"))?;
        filter.after = Some((repo::time(at), id.to_owned()));
    }
    let (pool, unit_id) = (state.pool.clone(), unit.clone());
    let rows = web::block(move || {
        let mut conn = pool.get()?;
        repo::queue(&mut conn, &unit_id, &filter, limit + 1)
    })
    .await??;
    record(
        &state,
        audit_event(
            &officer,
            &unit,
            AuditOperation::Consultation,
            ("unit_queue", Some(&unit)),
            AuditOutcome::Allowed,
            &req,
        ),
    )
    .await?;
    let more = rows.len() as i64 > limit;
    let rows: Vec<FilingRow> = rows.into_iter().take(limit as usize).collect();
    let next_cursor = more
        .then(|| {
            rows.last().and_then(|r| {
                r.submitted_at
                    .map(|s| format!("{}.{}", repo::utc(s).timestamp_micros(), r.id))
            })
        })
        .flatten();
    Ok(HttpResponse::Ok().json(Queue {
        items: rows.iter().map(officer_view).collect(),
        next_cursor,
    }))
}

async fn load_in_unit(
    state: &web::Data<AppState>,
    unit: &str,
    id: &str,
) -> Result<FilingRow, ApiError> {
    let (pool, unit, id_owned) = (state.pool.clone(), unit.to_owned(), id.to_owned());
    web::block(move || {
        let mut conn = pool.get()?;
        repo::find_in_unit(&mut conn, &unit, &id_owned)
    })
    .await??
    .ok_or_else(|| ApiError::FilingNotFound(id.to_owned()))
}

/// A filing of the unit
///
/// Everything about one filing of the unit, for processing. Audited as a consultation.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing")),
    responses(
        (status = 200, description = "The filing", body = OfficerFilingView, headers(("ETag" = String, description = "Its version"))),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/filings/{id}")]
pub async fn get_unit_filing(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (unit, id) = path.into_inner();
    require_member(
        &state,
        &officer,
        &unit,
        ("filing", Some(&id)),
        AuditOperation::Consultation,
        &req,
    )
    .await?;
    let row = load_in_unit(&state, &unit, &id).await?;
    record(
        &state,
        audit_event(
            &officer,
            &unit,
            AuditOperation::Consultation,
            ("filing", Some(&id)),
            AuditOutcome::Allowed,
            &req,
        ),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"v{}\"", row.version)))
        .json(officer_view(&row)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"message": "Could you give the frame number of the bicycle?"}))]
pub struct ActionBody {
    /// For `request-info`: the question to the citizen.
    pub message: Option<String>,
    /// For `take-in-charge`: a colleague of the unit to assign (default: the caller).
    pub officer_id: Option<String>,
}

fn if_match(req: &HttpRequest) -> Result<i64, ApiError> {
    let raw = req
        .headers()
        .get(header::IF_MATCH)
        .ok_or(ApiError::PreconditionRequired)?;
    raw.to_str()
        .ok()
        .and_then(|v| {
            v.trim()
                .trim_start_matches("W/")
                .trim_matches('"')
                .strip_prefix('v')
                .and_then(|n| n.parse().ok())
        })
        .ok_or(ApiError::PreconditionFailed)
}

async fn act(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
    (unit, id): (String, String),
    action: FilingAction,
    body: ActionBody,
    lang: domain::i18n::Lang,
) -> Result<HttpResponse, ApiError> {
    require_member(
        &state,
        &officer,
        &unit,
        ("filing", Some(&id)),
        AuditOperation::Alteration,
        &req,
    )
    .await?;
    let expected = if_match(&req)?;
    let mut row = load_in_unit(&state, &unit, &id).await?;
    if row.version != expected {
        return Err(ApiError::PreconditionFailed);
    }
    let status: FilingStatus = row
        .status
        .parse()
        .map_err(|_| ApiError::Internal("bad status".into()))?;
    let next = transition(status, action, ActorKind::Officer).map_err(|_| {
        ApiError::InvalidTransition {
            status: crate::i18n::texts()
                .get(lang, &format!("filing_status.{status}"))
                .unwrap_or(status.as_str())
                .to_owned(),
            action: action.to_string(),
        }
    })?;
    match action {
        FilingAction::TakeInCharge => {
            row.assigned_officer = Some(
                body.officer_id
                    .clone()
                    .unwrap_or_else(|| officer.0.user_id.clone()),
            )
        }
        FilingAction::RequestInfo => {
            let message = body
                .message
                .clone()
                .filter(|m| !m.trim().is_empty())
                .ok_or_else(|| {
                    ApiError::Validation(vec![FieldError::new("/message", "required")])
                })?;
            if message.chars().count() > 2000 {
                return Err(ApiError::Validation(vec![FieldError::new(
                    "/message", "too_long",
                )]));
            }
            row.info_request = Some(message);
            row.info_answer = None;
        }
        _ => {}
    }
    let now = Utc::now();
    let from = row.status.clone();
    row.status = next.to_string();
    row.version += 1;
    row.updated_at = repo::time(now);
    let event = audit_event(
        &officer,
        &unit,
        AuditOperation::Alteration,
        ("filing", Some(&id)),
        AuditOutcome::Allowed,
        &req,
    );
    let role = officer.role().to_owned();
    let actor = officer.0.user_id.clone();
    let pool = state.pool.clone();
    let saved_row = row.clone();
    let saved = web::block(move || {
        let mut conn = pool.get()?;
        conn.write_transaction(|c| {
            if !repo::update(c, &saved_row, expected)? {
                return Ok(false);
            }
            repo::add_history(
                c,
                &saved_row.id,
                now,
                Some(&from),
                saved_row.status.as_str(),
                action.as_str(),
                &role,
                &actor,
            )?;
            persistence::audit::append(c, &event)?;
            Ok::<_, persistence::PersistenceError>(true)
        })
    })
    .await??;
    if !saved {
        return Err(ApiError::PreconditionFailed);
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"v{}\"", row.version)))
        .json(officer_view(&row)))
}

/// Take a filing in charge
///
/// For oneself, or for a colleague of the unit (`officer_id`). Requires `If-Match`: of two
/// officers acting on the same version, one succeeds and the other gets 412.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing"), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = ActionBody,
    responses(
        (status = 200, description = "Taken in charge", body = OfficerFilingView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not possible in this status", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{unit_id}/filings/{id}/take-in-charge")]
pub async fn take_in_charge(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
    path: web::Path<(String, String)>,
    JsonBody(body): JsonBody<ActionBody>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    act(
        req,
        state,
        officer,
        path.into_inner(),
        FilingAction::TakeInCharge,
        body,
        lang,
    )
    .await
}

/// Ask the citizen for information
///
/// Sends `message` to the citizen, who answers through `POST /v1/filings/{id}/answers`.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing"), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = ActionBody,
    responses(
        (status = 200, description = "Information requested", body = OfficerFilingView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not possible in this status", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No message", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{unit_id}/filings/{id}/request-info")]
pub async fn request_info(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
    path: web::Path<(String, String)>,
    JsonBody(body): JsonBody<ActionBody>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    act(
        req,
        state,
        officer,
        path.into_inner(),
        FilingAction::RequestInfo,
        body,
        lang,
    )
    .await
}

//! The back office: a unit's queue and the officers' actions on its filings. Only members
//! of the unit may act; every access to personal data, allowed or denied, is audited
//! (EU Directive 2016/680, art. 25).

use crate::auth::Officer;
use crate::error::{ApiError, FieldError, Problem};
use crate::extract::JsonBody;
use crate::i18n::Language;
use crate::routes::versions::if_match;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
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
        request_id: crate::middleware::RequestId::of(req),
    }
}

/// Writes an audit event; an allowed access to a unit also records the officer as a
/// known member of the unit (`persistence::roster`), in the same transaction.
async fn record(state: &web::Data<AppState>, event: AuditEvent) -> Result<(), ApiError> {
    let pool = state.pool.clone();
    web::block(move || {
        let mut conn = pool.get()?;
        conn.write_transaction(|c| {
            if let (AuditOutcome::Allowed, Some(unit)) = (event.outcome, &event.actor.unit) {
                persistence::roster::seen(
                    c,
                    unit,
                    &event.actor.id,
                    event.actor.role.as_str(),
                    event.occurred_at,
                )?;
            }
            persistence::audit::append(c, &event).map(|_| ())
        })
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
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
        record_number: row.record_number.clone(),
        decision: row
            .decision
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok()),
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
    /// Only open filings submitted longer ago than the unit's processing target.
    pub overdue: Option<bool>,
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
    if query.overdue == Some(true) {
        let deadline = Utc::now() - chrono::Duration::hours(i64::from(state.target_hours));
        filter.submitted_until = Some(filter.submitted_until.map_or(deadline, |u| u.min(deadline)));
        if filter.statuses.is_empty() {
            filter.statuses = [
                "submitted",
                "transferred",
                "taken_in_charge",
                "info_requested",
            ]
            .map(String::from)
            .to_vec();
        }
    }
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

/// A known member of a unit.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"officer_id": "u-7d2e4f6a8b0c1d3e5f7a9b1c", "role": "officer",
    "first_seen_at": "2026-11-02T08:01:00Z", "last_seen_at": "2026-11-22T09:15:00Z"}))]
pub struct UnitMember {
    /// The id to give as `officer_id` when assigning a filing.
    pub officer_id: String,
    pub role: String,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"officer_id": "u-7d2e4f6a8b0c1d3e5f7a9b1c", "role": "officer",
    "first_seen_at": "2026-11-02T08:01:00Z", "last_seen_at": "2026-11-22T09:15:00Z"}]}))]
pub struct UnitMembers {
    pub items: Vec<UnitMember>,
}

/// A unit's officers
///
/// The officers known to the unit (those who used its back office with a membership of
/// it), most recently seen first: whom a filing can be assigned to. Members only; audited.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit")),
    responses(
        (status = 200, description = "The unit's known officers", body = UnitMembers),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/members")]
pub async fn members(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
    unit: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let unit = unit.into_inner();
    let object = ("unit_members", Some(unit.as_str()));
    require_member(
        &state,
        &officer,
        &unit,
        object,
        AuditOperation::Consultation,
        &req,
    )
    .await?;
    // Recorded first, so that the caller is among the members listed.
    record(
        &state,
        audit_event(
            &officer,
            &unit,
            AuditOperation::Consultation,
            object,
            AuditOutcome::Allowed,
            &req,
        ),
    )
    .await?;
    let (pool, unit_id) = (state.pool.clone(), unit.clone());
    let members = web::block(move || {
        let mut conn = pool.get()?;
        persistence::roster::members(&mut conn, &unit_id)
    })
    .await??;
    Ok(HttpResponse::Ok().json(UnitMembers {
        items: members
            .into_iter()
            .map(|m| UnitMember {
                officer_id: m.officer_id,
                role: m.role,
                first_seen_at: m.first_seen_at,
                last_seen_at: m.last_seen_at,
            })
            .collect(),
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
    /// For `register`: the official record number; generated by the unit's pattern
    /// (`<unit number>/<year>/<sequence>`) when absent.
    pub record_number: Option<String>,
    /// For `reject`, `redirect`, `transfer`: a stable reason code (such as
    /// `not_a_police_matter`, `duplicate`, `wrong_unit`).
    pub reason_code: Option<String>,
    /// For `reject`, `redirect`, `transfer`: the explanation, shown to the citizen.
    pub explanation: Option<String>,
    /// For `redirect` (and optionally `reject`): where the citizen should go instead.
    pub where_to_go: Option<String>,
    /// For `transfer`: the unit that is really competent.
    pub target_unit: Option<String>,
}

/// The decision on a filing, as the citizen sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Decision {
    pub reason_code: String,
    pub explanation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub where_to_go: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_unit: Option<String>,
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
    let expected = row.version;
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
    // A filing is assigned to a colleague only if they are a known member of the unit.
    let colleague = body
        .officer_id
        .as_deref()
        .map(str::trim)
        .filter(|c| action == FilingAction::TakeInCharge && *c != officer.0.user_id)
        .map(str::to_owned);
    if let Some(colleague) = colleague {
        let (pool, unit) = (state.pool.clone(), unit.clone());
        let known = web::block(move || {
            let mut conn = pool.get()?;
            persistence::roster::is_member(&mut conn, &unit, &colleague)
        })
        .await??;
        if !known {
            return Err(ApiError::Validation(vec![FieldError::new(
                "/officer_id",
                "unknown_option",
            )]));
        }
    }
    let required =
        |value: &Option<String>, pointer: &str, max: usize| -> Result<String, ApiError> {
            let value = value
                .clone()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty());
            let value = value
                .ok_or_else(|| ApiError::Validation(vec![FieldError::new(pointer, "required")]))?;
            if value.chars().count() > max {
                return Err(ApiError::Validation(vec![FieldError::new(
                    pointer, "too_long",
                )]));
            }
            Ok(value)
        };
    let mut generate_record = false;
    match action {
        FilingAction::TakeInCharge => {
            row.assigned_officer = Some(
                body.officer_id
                    .as_deref()
                    .map(str::trim)
                    .unwrap_or(&officer.0.user_id)
                    .to_owned(),
            )
        }
        FilingAction::RequestInfo => {
            row.info_request = Some(required(&body.message, "/message", 2000)?);
            row.info_answer = None;
        }
        FilingAction::Register => match &body.record_number {
            Some(number) => {
                row.record_number = Some(required(&Some(number.clone()), "/record_number", 64)?)
            }
            None => generate_record = true,
        },
        FilingAction::Reject | FilingAction::Redirect => {
            let decision = Decision {
                reason_code: required(&body.reason_code, "/reason_code", 64)?,
                explanation: required(&body.explanation, "/explanation", 2000)?,
                where_to_go: if action == FilingAction::Redirect {
                    Some(required(&body.where_to_go, "/where_to_go", 500)?)
                } else {
                    body.where_to_go.clone()
                },
                target_unit: None,
            };
            row.decision = serde_json::to_string(&decision).ok();
        }
        FilingAction::Transfer => {
            let target = required(&body.target_unit, "/target_unit", 200)?;
            if target == unit || state.directory().unit(&target).is_none() {
                return Err(ApiError::Validation(vec![FieldError::new(
                    "/target_unit",
                    "unknown_option",
                )]));
            }
            let decision = Decision {
                reason_code: required(&body.reason_code, "/reason_code", 64)?,
                explanation: required(&body.explanation, "/explanation", 2000)?,
                where_to_go: None,
                target_unit: Some(target.clone()),
            };
            row.decision = serde_json::to_string(&decision).ok();
            row.unit_id = Some(target);
            row.assigned_officer = None;
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
    let prefix = {
        let directory = state.directory();
        let number = directory
            .unit(&unit)
            .and_then(|u| u.official_number.clone())
            .unwrap_or_else(|| unit.clone());
        format!("{number}/{}/", now.format("%Y"))
    };
    let mut saved_row = saved_row;
    let unit_for_count = unit.clone();
    let saved = web::block(move || {
        let mut conn = pool.get()?;
        conn.write_transaction(|c| {
            persistence::roster::seen(c, &unit_for_count, &actor, &role, now)?;
            if generate_record {
                let next = repo::count_records(c, &unit_for_count, &prefix)? + 1;
                saved_row.record_number = Some(format!("{prefix}{next:06}"));
            }
            let change = repo::StatusChange {
                at: now,
                from: &from,
                action: action.as_str(),
                actor_role: &role,
                actor_id: &actor,
            };
            if !repo::save_status_change(c, &saved_row, expected, &change, &event)? {
                return Ok(None);
            }
            if action == FilingAction::Register {
                // The citizen's confirmation, by the channel they chose, in their
                // language: queued in the same transaction, delivered by the outbox worker.
                let channel: String = serde_json::from_str(&saved_row.confirmation_channel)
                    .unwrap_or_else(|_| "email".into());
                let payload = serde_json::json!({
                    "reference": saved_row.reference,
                    "record_number": saved_row.record_number,
                    "unit_id": saved_row.unit_id,
                });
                repo::enqueue_message(
                    c,
                    &saved_row.id,
                    &channel,
                    "filing_registered",
                    &saved_row.language,
                    &payload.to_string(),
                    now,
                )?;
            }
            Ok::<_, persistence::PersistenceError>(Some(saved_row))
        })
    })
    .await??;
    let Some(row) = saved else {
        return Err(ApiError::PreconditionFailed);
    };
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

/// Register a filing
///
/// Records the official record number (given, or generated by the unit's pattern) and queues the citizen's confirmation by the channel they chose. Requires `If-Match`.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing"), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = ActionBody,
    responses(
        (status = 200, description = "Done", body = OfficerFilingView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not possible in this status", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A required member is missing", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{unit_id}/filings/{id}/register")]
pub async fn register(
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
        FilingAction::Register,
        body,
        lang,
    )
    .await
}

/// Reject a filing
///
/// With a reason code and an explanation for the citizen. Requires `If-Match`.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing"), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = ActionBody,
    responses(
        (status = 200, description = "Done", body = OfficerFilingView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not possible in this status", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A required member is missing", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{unit_id}/filings/{id}/reject")]
pub async fn reject(
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
        FilingAction::Reject,
        body,
        lang,
    )
    .await
}

/// Redirect the citizen
///
/// With a reason code, an explanation and where the citizen should go instead. Requires `If-Match`.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing"), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = ActionBody,
    responses(
        (status = 200, description = "Done", body = OfficerFilingView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not possible in this status", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A required member is missing", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{unit_id}/filings/{id}/redirect")]
pub async fn redirect(
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
        FilingAction::Redirect,
        body,
        lang,
    )
    .await
}

/// Transfer to the unit really competent
///
/// Names the target unit and a reason; the filing leaves this unit's queue and appears in the target's. Requires `If-Match`.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing"), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = ActionBody,
    responses(
        (status = 200, description = "Done", body = OfficerFilingView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not possible in this status", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A required member is missing", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{unit_id}/filings/{id}/transfer")]
pub async fn transfer(
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
        FilingAction::Transfer,
        body,
        lang,
    )
    .await
}

/// Close a filing
///
/// After registration, rejection or redirection. Requires `If-Match`.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing"), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = ActionBody,
    responses(
        (status = 200, description = "Done", body = OfficerFilingView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not possible in this status", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A required member is missing", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{unit_id}/filings/{id}/close")]
pub async fn close(
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
        FilingAction::Close,
        body,
        lang,
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"body": "Frame number checked against the bicycle register: no match yet."}))]
pub struct NoteBody {
    /// The note, for officers only (at most 4000 characters).
    pub body: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"notes": [{"author_id": "u-1f2e3d4c5b6a79880a1b2c3d", "unit_id": "zp-ottignies-louvain-la-neuve", "body": "Checked.", "at": "2026-11-22T11:00:00Z"}]}))]
pub struct Notes {
    pub notes: Vec<NoteView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoteView {
    pub author_id: String,
    pub unit_id: String,
    pub body: String,
    pub at: DateTime<Utc>,
}

/// Add an internal note
///
/// A note for the unit's officers; no citizen response ever contains it. Returns every
/// note of the filing.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing")),
    request_body = NoteBody,
    responses(
        (status = 201, description = "Added; the filing's notes", body = Notes),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty or too long", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{unit_id}/filings/{id}/notes")]
pub async fn add_note(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
    path: web::Path<(String, String)>,
    JsonBody(body): JsonBody<NoteBody>,
) -> Result<HttpResponse, ApiError> {
    let (unit, id) = path.into_inner();
    require_member(
        &state,
        &officer,
        &unit,
        ("filing", Some(&id)),
        AuditOperation::Alteration,
        &req,
    )
    .await?;
    let text = body.body.trim().to_owned();
    if text.is_empty() || text.chars().count() > 4000 {
        return Err(ApiError::Validation(vec![FieldError::new(
            "/body",
            if text.is_empty() { "empty" } else { "too_long" },
        )]));
    }
    load_in_unit(&state, &unit, &id).await?;
    let event = audit_event(
        &officer,
        &unit,
        AuditOperation::Alteration,
        ("filing", Some(&id)),
        AuditOutcome::Allowed,
        &req,
    );
    let (pool, author, unit_id, filing) = (
        state.pool.clone(),
        officer.0.user_id.clone(),
        unit.clone(),
        id.clone(),
    );
    let notes = web::block(move || {
        let mut conn = pool.get()?;
        conn.write_transaction(|c| {
            let now = Utc::now();
            persistence::roster::seen(c, &unit_id, &author, event.actor.role.as_str(), now)?;
            repo::add_note(c, &filing, &author, &unit_id, &text, now)?;
            persistence::audit::append(c, &event)?;
            repo::notes(c, &filing)
        })
    })
    .await??;
    Ok(HttpResponse::Created().json(Notes {
        notes: notes
            .into_iter()
            .map(|(author_id, unit_id, body, at)| NoteView {
                author_id,
                unit_id,
                body,
                at: repo::utc(at),
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `json` (default), `xml` or `text` (one `label: value` line per field, for copy-paste).
    pub format: Option<String>,
    /// Why the data leaves the service (recorded in the audit trail); required.
    pub justification: Option<String>,
    /// Language of the labels.
    pub lang: Option<String>,
}

/// The filing's fields, in order, as (key, label, value).
fn export_fields(
    state: &AppState,
    row: &FilingRow,
    lang: domain::i18n::Lang,
) -> Vec<(String, String, String)> {
    let catalogue = &state.catalogue;
    let mut fields: Vec<(String, String, String)> = Vec::new();
    let mut push = |key: &str, label: String, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            fields.push((key.to_owned(), label, value));
        }
    };
    push("reference", "Reference".into(), row.reference.clone());
    push(
        "record_number",
        "Record number".into(),
        row.record_number.clone(),
    );
    push(
        "procedure",
        "Procedure".into(),
        Some(catalogue.text(lang, &format!("procedure.{}.name", row.procedure_code))),
    );
    push("status", "Status".into(), Some(row.status.clone()));
    push("unit", "Unit".into(), row.unit_id.clone());
    push(
        "municipality",
        "Municipality".into(),
        row.municipality_id.clone(),
    );
    push(
        "submitted_at",
        "Submitted at".into(),
        row.submitted_at.map(|t| repo::utc(t).to_rfc3339()),
    );
    push(
        "facts_from",
        "Facts from".into(),
        row.facts_from.map(|t| repo::utc(t).to_rfc3339()),
    );
    push(
        "facts_until",
        "Facts until".into(),
        row.facts_until.map(|t| repo::utc(t).to_rfc3339()),
    );
    let scalar = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    for (part, raw) in [("place", &row.place), ("contact", &row.contact)] {
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(raw) {
            for (key, value) in map.iter().filter(|(_, v)| !v.is_null()) {
                push(
                    &format!("{part}.{key}"),
                    format!("{part} {key}"),
                    Some(scalar(value)),
                );
            }
        }
    }
    if let Ok(serde_json::Value::Object(facts)) =
        serde_json::from_str::<serde_json::Value>(&row.facts)
    {
        for (key, value) in &facts {
            let label = catalogue
                .optional_text(lang, &format!("field.{key}.label"))
                .unwrap_or_else(|| key.clone());
            match value {
                serde_json::Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        match item {
                            serde_json::Value::Object(map) => {
                                for (sub, v) in map {
                                    let sub_label = catalogue
                                        .optional_text(lang, &format!("field.item.{sub}.label"))
                                        .unwrap_or_else(|| sub.clone());
                                    push(
                                        &format!("facts.{key}.{i}.{sub}"),
                                        format!("{label} {} – {sub_label}", i + 1),
                                        Some(scalar(v)),
                                    );
                                }
                            }
                            other => push(
                                &format!("facts.{key}.{i}"),
                                format!("{label} {}", i + 1),
                                Some(scalar(other)),
                            ),
                        }
                    }
                }
                other => push(&format!("facts.{key}"), label, Some(scalar(other))),
            }
        }
    }
    if let Ok(serde_json::Value::Object(answers)) =
        serde_json::from_str::<serde_json::Value>(&row.answers)
    {
        for (key, value) in &answers {
            push(
                &format!("answers.{key}"),
                catalogue.text(lang, &format!("question.{key}.text")),
                Some(scalar(value)),
            );
        }
    }
    push(
        "info_request",
        "Information requested".into(),
        row.info_request.clone(),
    );
    push(
        "info_answer",
        "Citizen's answer".into(),
        row.info_answer.clone(),
    );
    fields
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// Export a filing for the records system
///
/// The filing field by field, so that officers re-use it without retyping: JSON, XML or
/// text. A justification is required; the export is recorded as a disclosure.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing"), ExportQuery),
    responses(
        (status = 200, description = "The filing, field by field", content_type = "application/json",
            body = Object, example = json!({"fields": [{"key": "reference", "label": "Reference", "value": "EC-2026-7K2Q-9XHM-C"}]})),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No justification, or an unknown format", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/filings/{id}/export")]
pub async fn export(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
    path: web::Path<(String, String)>,
    query: web::Query<ExportQuery>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let (unit, id) = path.into_inner();
    require_member(
        &state,
        &officer,
        &unit,
        ("filing", Some(&id)),
        AuditOperation::Disclosure,
        &req,
    )
    .await?;
    let justification = query
        .justification
        .as_deref()
        .map(str::trim)
        .filter(|j| !j.is_empty() && j.chars().count() <= 500)
        .ok_or_else(|| {
            ApiError::Validation(vec![FieldError::new("/query/justification", "required")])
        })?
        .to_owned();
    let format = query.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "xml" | "text") {
        return Err(ApiError::Validation(vec![FieldError::new(
            "/query/format",
            "unknown_option",
        )]));
    }
    let row = load_in_unit(&state, &unit, &id).await?;
    let mut event = audit_event(
        &officer,
        &unit,
        AuditOperation::Disclosure,
        ("filing", Some(&id)),
        AuditOutcome::Allowed,
        &req,
    );
    event.justification = Some(justification);
    event.recipient = Some("police_records_system".into());
    record(&state, event).await?;
    let fields = export_fields(&state, &row, lang);
    let response = match format {
        "xml" => {
            let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<filing>\n");
            for (key, label, value) in &fields {
                xml.push_str(&format!("  <field key=\"{}\" label=\"{}\">{}</field>\n", xml_escape(key), xml_escape(label), xml_escape(value)));
            }
            xml.push_str("</filing>\n");
            HttpResponse::Ok().content_type("application/xml; charset=utf-8").body(xml)
        }
        "text" => {
            let text: String = fields.iter().map(|(_, label, value)| format!("{label}: {}\n", value.replace('\n', " "))).collect();
            HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(text)
        }
        _ => HttpResponse::Ok().json(serde_json::json!({
            "fields": fields.iter().map(|(k, l, v)| serde_json::json!({"key": k, "label": l, "value": v})).collect::<Vec<_>>()
        })),
    };
    Ok(response)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    /// The actor's id.
    pub actor: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Page size, 1 to 500 (default 100).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventView {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor_id: String,
    pub actor_role: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    pub operation: String,
    pub object_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": 1, "occurred_at": "2026-11-22T10:00:00Z", "actor_id": "u-1f2e3d4c5b6a79880a1b2c3d",
    "actor_role": "officer", "actor_unit": "zp-ottignies-louvain-la-neuve", "operation": "consultation", "object_type": "filing",
    "object_id": "6f1c2a3e-8d7b-4c5a-9e0f-1a2b3c4d5e6f", "outcome": "allowed"}], "next_cursor": 1}))]
pub struct AuditPage {
    pub items: Vec<AuditEventView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<i64>,
}

/// Read the audit trail
///
/// Supervisors and administrators only; the read is itself recorded in the trail.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of audit events, oldest first", body = AuditPage),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a supervisor", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad filter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/audit-events")]
pub async fn audit_events(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let unit = officer.0.units.first().cloned().unwrap_or_default();
    if !matches!(officer.role(), "supervisor" | "admin") {
        record(
            &state,
            audit_event(
                &officer,
                &unit,
                AuditOperation::Consultation,
                ("audit_trail", None),
                AuditOutcome::Denied,
                &req,
            ),
        )
        .await?;
        return Err(ApiError::Forbidden);
    }
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::Validation(vec![FieldError::new(
            "/query/limit",
            "out_of_range",
        )]));
    }
    record(
        &state,
        audit_event(
            &officer,
            &unit,
            AuditOperation::Consultation,
            ("audit_trail", None),
            AuditOutcome::Allowed,
            &req,
        ),
    )
    .await?;
    let filter = persistence::audit::AuditFilter {
        object_type: query.object_type.clone(),
        object_id: query.object_id.clone(),
        actor_id: query.actor.clone(),
        from: query.from,
        until: query.until,
        after_id: query.cursor,
    };
    let pool = state.pool.clone();
    let events = web::block(move || {
        let mut conn = pool.get()?;
        persistence::audit::list(&mut conn, &filter, limit + 1)
    })
    .await??;
    let more = events.len() as i64 > limit;
    let items: Vec<AuditEventView> = events
        .into_iter()
        .take(limit as usize)
        .map(|r| AuditEventView {
            id: r.id,
            occurred_at: r.event.occurred_at,
            actor_id: r.event.actor.id,
            actor_role: r.event.actor.role.to_string(),
            actor_unit: r.event.actor.unit,
            client_id: r.event.actor.client_id,
            operation: r.event.operation.to_string(),
            object_type: r.event.object_type,
            object_id: r.event.object_id,
            justification: r.event.justification,
            recipient: r.event.recipient,
            outcome: r.event.outcome.to_string(),
            request_id: r.event.request_id,
        })
        .collect();
    let next_cursor = if more {
        items.last().map(|e| e.id)
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(AuditPage { items, next_cursor }))
}

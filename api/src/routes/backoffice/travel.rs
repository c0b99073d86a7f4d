//! The unit's review of minors' travel authorisations (issue 19; docs/DOCUMENTS.md): the
//! requests waiting for review, one request, its approval (the document is issued), its
//! rejection and the police's revocation, each with a reason where it has one. Members
//! of the unit of the requester's municipality of residence; every access audited.

use super::access::{TravelChange, TravelRead, UnitAccess, UnitAction, UnitQuery};
use crate::app::travel::{self as usecase, Revoking};
use crate::error::{ApiError, FieldError, Problem};
use crate::routes::filings::{cursor, parse_cursor};
use crate::routes::travel::types::{ReasonBody, TravelReview, TravelView};
use crate::state::AppState;
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use domain::limits;
use domain::travel::Revoker;
use serde::Deserialize;
use serde::Serialize;
use utoipa::IntoParams;
use utoipa::ToSchema;

/// A request in the unit's review queue (no personal data: open it to review it).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "0192f3c4-5b6a-4c8d-9e0f-112233445566", "reference": "TA-0192F3C4", "status": "awaiting_review", "sole_holder": false, "created_at": "2026-12-01T10:00:00Z"}))]
pub struct TravelQueueItem {
    pub id: String,
    pub reference: String,
    pub status: String,
    /// A sole holder's declaration, whose ground the officer checks.
    pub sole_holder: bool,
    pub created_at: DateTime<Utc>,
}

/// A page of the unit's review queue of travel authorisations.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": "0192f3c4-5b6a-4c8d-9e0f-112233445566", "reference": "TA-0192F3C4", "status": "awaiting_review", "sole_holder": false, "created_at": "2026-12-01T10:00:00Z"}], "next_cursor": "1764583200000000.0192f3c4-5b6a-4c8d-9e0f-112233445566"}))]
pub struct TravelQueue {
    pub items: Vec<TravelQueueItem>,
    /// Give it as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The page of the unit's travel queue to read.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TravelQueueQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The unit's travel authorisations to review
///
/// The requests waiting for the unit's review (both holders consented, or a sole
/// holder's declaration), oldest first, a page at a time (`limit`, `cursor`: as the
/// unit's queue of filings). Members of the unit; audited.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), TravelQueueQuery),
    responses(
        (status = 200, description = "A page of the requests to review", body = TravelQueue),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad `cursor` or `limit`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/travel-authorisations")]
pub async fn travel_queue(
    state: web::Data<AppState>,
    request: UnitQuery<TravelRead, TravelQueueQuery>,
) -> Result<HttpResponse, ApiError> {
    let UnitQuery { access, query } = request;
    let invalid = |name: &str, code: &str| {
        ApiError::Validation(vec![FieldError::new(format!("/query/{name}"), code)])
    };
    let limit = query.limit.unwrap_or(limits::QUEUE_PAGE_DEFAULT);
    if !(1..=limits::QUEUE_PAGE_MAX).contains(&limit) {
        return Err(invalid("limit", "out_of_range"));
    }
    let after = match &query.cursor {
        Some(raw) => Some(parse_cursor(raw).ok_or_else(|| invalid("cursor", "invalid_type"))?),
        None => None,
    };
    let (rows, more) = usecase::queue(
        &state,
        access.officer,
        access.unit,
        (after, limit),
        access.request_id,
    )
    .await?;
    let next_cursor = more
        .then(|| rows.last().map(|r| cursor(r.created_at, &r.id)))
        .flatten();
    let items = rows
        .iter()
        .map(|r| TravelQueueItem {
            id: r.id.clone(),
            reference: usecase::reference(&r.id),
            status: r.status.as_str().to_owned(),
            sole_holder: r.sole_holder,
            created_at: r.created_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(TravelQueue { items, next_cursor }))
}

/// A travel authorisation request of the unit
///
/// The request with the minor's document number, the trip, the companion and the other
/// holder (or the sole holder's ground), and its parties as their identity providers
/// vouched for them: the requester's and the second holder's identity claims, their level
/// of assurance, and whether the second holder's name is the one the requester gave.
/// Members of the unit; audited as a consultation.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The request")),
    responses(
        (status = 200, description = "The request and its parties", body = TravelReview),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request in this unit", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/travel-authorisations/{id}")]
pub async fn travel_request(
    state: web::Data<AppState>,
    access: UnitAccess<TravelRead>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let UnitAccess {
        officer,
        unit,
        request_id,
        ..
    } = access;
    let (loaded, parties) = usecase::officer_view(&state, officer, unit, id, request_id).await?;
    Ok(HttpResponse::Ok().json(TravelReview::of(&loaded, &parties)))
}

/// Approve a travel authorisation
///
/// Issues the authorisation: its credential is signed (EdDSA) and registered, and the
/// parents can download it and its PDF. Members of the unit; audited.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The request")),
    responses(
        (status = 200, description = "Approved: the document is issued", body = TravelView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request in this unit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not waiting for review (`travel_invalid_state`), or a sole holder's declaration without a supporting document (`supporting_document_required`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{unit_id}/travel-authorisations/{id}/approve")]
pub async fn approve_travel(
    state: web::Data<AppState>,
    access: UnitAccess<TravelChange>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let UnitAccess {
        officer,
        unit,
        request_id,
        ..
    } = access;
    let loaded = usecase::approve(&state, officer, unit, id, request_id).await?;
    Ok(HttpResponse::Ok().json(TravelView::from(&loaded)))
}

/// Reject a travel authorisation
///
/// Refuses the request, with a reason its parents read. Members of the unit; audited.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The request")),
    request_body = ReasonBody,
    responses(
        (status = 200, description = "Rejected", body = TravelView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request in this unit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not waiting for review (`travel_invalid_state`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No reason, or a longer one than 500 characters", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{unit_id}/travel-authorisations/{id}/reject")]
pub async fn reject_travel(
    state: web::Data<AppState>,
    request: UnitAction<TravelChange, ReasonBody>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let UnitAction { access, body } = request;
    let (_, id) = path.into_inner();
    let target = (access.unit, id);
    let loaded = usecase::reject(
        &state,
        access.officer,
        target,
        &body.reason,
        access.request_id,
    )
    .await?;
    Ok(HttpResponse::Ok().json(TravelView::from(&loaded)))
}

/// Revoke a travel authorisation (police)
///
/// The police revoke an issued authorisation at any time, with a reason; the online check
/// then answers `revoked`. Members of the unit; audited.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The request")),
    request_body = ReasonBody,
    responses(
        (status = 200, description = "Revoked", body = TravelView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request in this unit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not approved (`travel_invalid_state`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No reason, or a longer one than 500 characters", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{unit_id}/travel-authorisations/{id}/revoke")]
pub async fn revoke_travel(
    state: web::Data<AppState>,
    request: UnitAction<TravelChange, ReasonBody>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let UnitAction { access, body } = request;
    let (_, id) = path.into_inner();
    let loaded = usecase::in_unit(&state, &access.unit, id).await?;
    let who = Revoking {
        as_role: Revoker::Police,
        actor: access.officer.audit_actor(Some(&access.unit)),
        reason: body.reason,
    };
    let loaded = usecase::revoke(&state, loaded, who, access.request_id).await?;
    Ok(HttpResponse::Ok().json(TravelView::from(&loaded)))
}

//! Restriction instead of erasure (Directive 2016/680, Art. 16(3); docs/ACCESS.md): a
//! member of the filing's unit keeps it as evidence, with a reason and a review date;
//! the retention job does not erase it, the queue and the officers' actions leave it
//! aside until the restriction is lifted. Every access is audited.

use super::access::{FilingChange, FilingRead, QueueRead, UnitAccess, UnitAction};
use crate::app::restriction as usecase;
use crate::error::{ApiError, Problem};
use crate::language::Language;
use crate::state::AppState;
use actix_web::{delete, get, put, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use persistence::restriction::Restriction;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A restriction asked for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Evidence in the prosecutor's case file 2026/1234", "review_on": "2027-06-30"}))]
pub struct RestrictionBody {
    /// Why the filing is needed as evidence (1 to 500 characters; no personal data:
    /// a case number, not a name).
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
    /// When the restriction is to be reviewed: after today, at most five years ahead.
    pub review_on: NaiveDate,
}

/// A filing's restriction.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"filing_id": "6f1c2a3e-8d7b-4c5a-9e0f-1a2b3c4d5e6f", "reference": "EC-2026-7K2Q-9XHM-C", "procedure": "bicycle_theft", "status": "rejected", "restricted_at": "2026-11-30T10:00:00Z", "restricted_by": "u-1f2e3d4c", "reason": "Evidence in the prosecutor's case file 2026/1234", "review_on": "2027-06-30", "review_due": false}))]
pub struct RestrictionView {
    pub filing_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub procedure: String,
    pub status: String,
    pub restricted_at: DateTime<Utc>,
    /// The officer who restricted it.
    pub restricted_by: String,
    pub reason: String,
    pub review_on: NaiveDate,
    /// Whether the review date has passed.
    pub review_due: bool,
}

impl From<&Restriction> for RestrictionView {
    fn from(r: &Restriction) -> Self {
        RestrictionView {
            filing_id: r.filing_id.clone(),
            reference: r.reference.clone(),
            procedure: r.procedure.clone(),
            status: r.status.clone(),
            restricted_at: r.at,
            restricted_by: r.by.clone(),
            reason: r.reason.clone(),
            review_on: r.review.date_naive(),
            review_due: r.review <= Utc::now(),
        }
    }
}

/// The unit's restricted filings.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"filing_id": "6f1c2a3e-8d7b-4c5a-9e0f-1a2b3c4d5e6f", "procedure": "bicycle_theft", "status": "rejected", "restricted_at": "2026-11-30T10:00:00Z", "restricted_by": "u-1f2e3d4c", "reason": "Evidence in the prosecutor's case file 2026/1234", "review_on": "2027-06-30", "review_due": false}]}))]
pub struct RestrictionList {
    pub items: Vec<RestrictionView>,
}

/// Restrict a filing (keep it as evidence)
///
/// Restriction instead of erasure (Directive 2016/680, Art. 16(3)): the filing is needed
/// as evidence. The retention job keeps it; it leaves the unit's queue, and the officers'
/// actions and notes are refused (409 `filing_restricted`) until the restriction is
/// lifted; it can still be read and handed over to the records system. Restricting again
/// replaces the reason and the review date. Members of the unit; audited.
#[utoipa::path(
    tag = "data protection",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing")),
    request_body = RestrictionBody,
    responses(
        (status = 200, description = "Restricted", body = RestrictionView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No reason, or a review date not ahead", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/units/{unit_id}/filings/{id}/restriction")]
pub async fn restrict(
    state: web::Data<AppState>,
    request: UnitAction<FilingChange, RestrictionBody>,
    path: web::Path<(String, String)>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let UnitAction { access, body } = request;
    let (_, id) = path.into_inner();
    let (reason, review) =
        domain::retention::check_restriction(&body.reason, body.review_on, crate::app::now())
            .map_err(|issues| {
                crate::app::problem(
                    &state,
                    lang,
                    None,
                    domain::filing::FilingError::Invalid(issues),
                )
            })?;
    let (officer, unit) = (access.officer, access.unit);
    let restriction = usecase::restrict(
        &state,
        officer,
        &unit,
        &id,
        reason,
        review,
        access.request_id,
    )
    .await?;
    Ok(HttpResponse::Ok().json(RestrictionView::from(&restriction)))
}

/// A filing's restriction
///
/// Whether the filing is restricted, why, and until which review date. Members of the
/// unit; audited as a consultation.
#[utoipa::path(
    tag = "data protection",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing")),
    responses(
        (status = 200, description = "The restriction", body = RestrictionView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit, or not restricted", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/filings/{id}/restriction")]
pub async fn get_restriction(
    state: web::Data<AppState>,
    access: UnitAccess<FilingRead>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let found = usecase::get(&state, access.officer, &access.unit, &id, access.request_id).await?;
    Ok(HttpResponse::Ok().json(RestrictionView::from(&found)))
}

/// Lift a filing's restriction
///
/// The filing is processed again, and erased when its retention period has run out.
/// Members of the unit; audited.
#[utoipa::path(
    tag = "data protection",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing")),
    responses(
        (status = 204, description = "Lifted"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit, or not restricted", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/units/{unit_id}/filings/{id}/restriction")]
pub async fn lift_restriction(
    state: web::Data<AppState>,
    access: UnitAccess<FilingChange>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    usecase::lift(&state, access.officer, &access.unit, &id, access.request_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The unit's restricted filings
///
/// The filings kept as evidence (Art. 16(3)), which the queue leaves out, by review date
/// (at most 500). Members of the unit; audited as a consultation.
#[utoipa::path(
    tag = "data protection",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit")),
    responses(
        (status = 200, description = "The restricted filings", body = RestrictionList),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/restrictions")]
pub async fn list_restrictions(
    state: web::Data<AppState>,
    access: UnitAccess<QueueRead>,
) -> Result<HttpResponse, ApiError> {
    let limit = domain::limits::PAGE_SIZE_MAX;
    let found = usecase::list(
        &state,
        access.officer,
        &access.unit,
        limit,
        access.request_id,
    )
    .await?;
    Ok(HttpResponse::Ok().json(RestrictionList {
        items: found.iter().map(RestrictionView::from).collect(),
    }))
}

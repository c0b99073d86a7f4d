//! Restriction of the right of access (Directive 2016/680, Art. 15(1); docs/ACCESS.md): a
//! member of the filing's unit withholds it from its author's export where access would
//! obstruct an inquiry, with a reason and a review date; the export says that some data is
//! withheld, not which. Every access is audited.

use super::access::{FilingChange, FilingRead, UnitAccess, UnitAction};
use super::restriction::RestrictionBody;
use crate::app::access_restriction as usecase;
use crate::error::{ApiError, Problem};
use crate::language::Language;
use crate::state::AppState;
use actix_web::{delete, get, put, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use persistence::access_restriction::AccessRestriction;
use serde::Serialize;
use utoipa::ToSchema;

/// A filing's access restriction.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"filing_id": "6f1c2a3e-8d7b-4c5a-9e0f-1a2b3c4d5e6f", "restricted_at": "2026-11-30T10:00:00Z", "restricted_by": "u-1f2e3d4c", "reason": "Inquiry 2026/881 of the prosecutor's office", "review_on": "2027-05-31", "review_due": false}))]
pub struct AccessRestrictionView {
    pub filing_id: String,
    pub restricted_at: DateTime<Utc>,
    /// The officer who decided it.
    pub restricted_by: String,
    pub reason: String,
    pub review_on: NaiveDate,
    /// Whether the review date has passed.
    pub review_due: bool,
}

impl From<&AccessRestriction> for AccessRestrictionView {
    fn from(r: &AccessRestriction) -> Self {
        AccessRestrictionView {
            filing_id: r.filing_id.clone(),
            restricted_at: r.at,
            restricted_by: r.by.clone(),
            reason: r.reason.clone(),
            review_on: r.review.date_naive(),
            review_due: r.review <= Utc::now(),
        }
    }
}

/// Withhold a filing from its author's export
///
/// Restriction of the right of access (Directive 2016/680, Art. 15(1)), where giving the
/// filing to its author would obstruct an official inquiry: `GET /v1/me/export` leaves it
/// out, with what hangs on it (notifications, appointments, recipients), and states that
/// some data is withheld without saying which. The citizen's own views of the filing are
/// not changed. Deciding again replaces the reason and the review date. Members of the
/// unit; audited.
#[utoipa::path(
    tag = "data protection",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing")),
    request_body = RestrictionBody,
    responses(
        (status = 200, description = "Withheld from the export", body = AccessRestrictionView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No reason, or a review date not ahead", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/units/{unit_id}/filings/{id}/access-restriction")]
pub async fn restrict_access(
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
                let invalid = domain::filing::FilingError::Invalid(issues);
                crate::app::problem(&state, lang, None, invalid)
            })?;
    let target = (access.unit, id);
    let found = usecase::restrict(
        &state,
        access.officer,
        target,
        reason,
        review,
        access.request_id,
    )
    .await?;
    Ok(HttpResponse::Ok().json(AccessRestrictionView::from(&found)))
}

/// A filing's access restriction
///
/// Whether the filing is withheld from its author's export, why, and until which review
/// date. Members of the unit; audited as a consultation.
#[utoipa::path(
    tag = "data protection",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing")),
    responses(
        (status = 200, description = "The access restriction", body = AccessRestrictionView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit, or not withheld", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/filings/{id}/access-restriction")]
pub async fn get_access_restriction(
    state: web::Data<AppState>,
    access: UnitAccess<FilingRead>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let target = (access.unit, id);
    let found = usecase::get(&state, access.officer, target, access.request_id).await?;
    Ok(HttpResponse::Ok().json(AccessRestrictionView::from(&found)))
}

/// Lift a filing's access restriction
///
/// Its author's export holds it again. Members of the unit; audited.
#[utoipa::path(
    tag = "data protection",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing")),
    responses(
        (status = 204, description = "Lifted"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit, or not withheld", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/units/{unit_id}/filings/{id}/access-restriction")]
pub async fn lift_access_restriction(
    state: web::Data<AppState>,
    access: UnitAccess<FilingChange>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let target = (access.unit, id);
    usecase::lift(&state, access.officer, target, access.request_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

//! Items in the back office (issue 20, docs/ITEMS.md): the filings linked to a filing by
//! a shared identifier, the lost-and-found candidates of a lost, stolen or found
//! object, and the supervisor's clusters. Need-to-know: another unit's filing shows only
//! its unit, its reference and since when; every consultation is audited, with each
//! other unit's filing it revealed.

use super::types::{
    ClusterQuery, ClusterView, Clusters, HandBack, HandedBack, LinkView, Links, MatchView, Matches,
};
use crate::error::{ApiError, Problem};
use crate::routes::backoffice::access::{
    FilingChange, FilingRead, Resource, UnitAccess, UnitAction, UnitQuery,
};
use crate::state::AppState;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use domain::audit::AuditOperation;
use domain::policy::OfficerActor;

/// A unit's clusters of linked cases, read (supervisors).
pub struct ClustersRead;

impl Resource for ClustersRead {
    const OPERATION: AuditOperation = AuditOperation::Consultation;
    fn object(req: &HttpRequest) -> (&'static str, Option<String>) {
        (
            "link_clusters",
            req.match_info().get("unit_id").map(str::to_owned),
        )
    }
    fn allowed(officer: &OfficerActor, unit: &str) -> bool {
        domain::policy::may_see_link_clusters(officer, unit)
    }
}

/// Filings linked to this one
///
/// Other filings sharing an identifier with this one: an object's (IMEI, frame or serial
/// number, engraving code), an online scam's (IBAN, phone number, e-mail address, web
/// domain, wallet address), a fuel drive-off's plate; each with the reason (`same IBAN`).
/// A filing of another unit shows only its unit, its reference and since when
/// (`visible: false`). Audited, with each other unit's filing shown.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing")),
    responses(
        (status = 200, description = "The linked filings, oldest first", body = Links),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/filings/{id}/links")]
pub async fn filing_links(
    state: web::Data<AppState>,
    access: UnitAccess<FilingRead>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let links = crate::app::items::links(
        &state,
        &access.officer,
        &access.unit,
        &id,
        access.request_id,
    )
    .await?;
    Ok(HttpResponse::Ok().json(Links {
        items: links.into_iter().map(LinkView::of).collect(),
    }))
}

/// Lost-and-found candidates
///
/// For a found object, the lost and stolen objects it may be; for a lost or stolen one,
/// the found objects. Each with its score (0 to 1; 1 = the same identifier, certain) and
/// why ("same brand and colour, 300 m and 2 days apart"), best first, at most 20. A
/// candidate of another unit shows only its unit and reference. Audited.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing")),
    responses(
        (status = 200, description = "The candidates, best first", body = Matches),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/filings/{id}/matches")]
pub async fn filing_matches(
    state: web::Data<AppState>,
    access: UnitAccess<FilingRead>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let proposals = crate::app::items::matches(
        &state,
        &access.officer,
        &access.unit,
        &id,
        access.request_id,
    )
    .await?;
    Ok(HttpResponse::Ok().json(Matches {
        items: proposals.into_iter().map(MatchView::of).collect(),
    }))
}

/// Clusters of linked cases
///
/// The identifiers that several filings share, one of them at least this unit's (the 12
/// scams that paid the same IBAN), with how many filings each unit holds. Supervisors
/// (and administrators) of the unit. Audited.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ClusterQuery),
    responses(
        (status = 200, description = "The clusters, largest first", body = Clusters),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a supervisor of this unit", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/linked-cases")]
pub async fn clusters(
    state: web::Data<AppState>,
    request: UnitQuery<ClustersRead, ClusterQuery>,
) -> Result<HttpResponse, ApiError> {
    let UnitQuery { access, query } = request;
    // Out of the contract's bounds: refused, not clamped (422 at /query/min_filings, with
    // what it accepts, from the contract).
    let min = query.min_filings.unwrap_or(2);
    let min = usize::try_from(min)
        .ok()
        .filter(|m| (2..=1000).contains(m))
        .ok_or_else(|| {
            ApiError::Validation(vec![crate::error::FieldError::new(
                "/query/min_filings",
                "out_of_range",
            )])
        })?;
    let clusters = crate::app::items::clusters(
        &state,
        &access.officer,
        &access.unit,
        min,
        access.request_id,
    )
    .await?;
    Ok(HttpResponse::Ok().json(Clusters {
        items: clusters.into_iter().map(ClusterView::of).collect(),
    }))
}

/// Hand a found object back
///
/// The unit holding the found object (this filing) confirms that it is the lost or
/// stolen object of `lost_filing_id`, which must be one of its current candidates (its
/// `matches`: an open declaration, not recovered; else 409 `not_a_candidate`), and hands
/// it back: the matched items (each found item with the owner's item it matches best)
/// are marked recovered, so they are no longer reported stolen by the public check nor
/// proposed as candidates, while other objects found together stay proposed to their
/// own owners. Each declaration is closed once none of its objects is waiting (history
/// action `hand_back`; each citizen is told as for any closure, by the channel they
/// chose); one already finished, rejected or redirected keeps its status. Audited
/// (`item_hand_back`, and one `hand_back` alteration per declaration closed).
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The found object's filing")),
    request_body = HandBack,
    responses(
        (status = 200, description = "Handed back", body = HandedBack),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not a found object of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`lost_filing_id` is not one of the object's current candidates (`not_a_candidate`)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "A declaration changed while it was being closed: send again", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{unit_id}/filings/{id}/hand-back")]
pub async fn hand_back(
    state: web::Data<AppState>,
    request: UnitAction<FilingChange, HandBack>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let UnitAction { access, body } = request;
    super::handed_back_to("/lost_filing_id", &body.lost_filing_id)?;
    let recovered_items = crate::app::items::hand_back(
        &state,
        &access.officer,
        &access.unit,
        &id,
        &body.lost_filing_id,
        access.request_id,
    )
    .await?;
    Ok(HttpResponse::Ok().json(HandedBack { recovered_items }))
}

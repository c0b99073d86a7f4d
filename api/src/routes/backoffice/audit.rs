//! The audit trail's reader, for supervisors and administrators (their units' events)
//! and auditors (all events): `domain::policy::may_read_audit_trail` and `audit_scope`;
//! the read is itself recorded.

use super::types::{AuditEventView, AuditPage, AuditQuery};
use crate::actors::Officer;
use crate::app::backoffice::record;
use crate::app::with_db;
use crate::error::{ApiError, FieldError, Problem};
use crate::middleware::RequestId;
use crate::state::AppState;
use actix_web::{get, web, HttpRequest, HttpResponse};
use domain::audit::{AuditEvent, AuditOperation};
use domain::limits;
use domain::policy;

/// Read the audit trail
///
/// Supervisors and administrators read the events of their own units (by their members,
/// or about their filings, queue, roster and contact data); auditors read every event.
/// The read is itself recorded in the trail.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of audit events, oldest first", body = AuditPage),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a supervisor, administrator or auditor", body = Problem, content_type = "application/problem+json"),
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
    let officer = officer.actor();
    let mut event = AuditEvent::new(
        officer.audit_actor(None),
        AuditOperation::Consultation,
        "audit_trail",
        None,
        crate::app::now(),
    );
    event.request_id = RequestId::of(&req);
    if !policy::may_read_audit_trail(&officer) {
        record(&state, event.denied()).await?;
        return Err(ApiError::Forbidden);
    }
    let limit = query.limit.unwrap_or(limits::AUDIT_PAGE_DEFAULT);
    if !(1..=limits::AUDIT_PAGE_MAX).contains(&limit) {
        let error = FieldError::new("/query/limit", "out_of_range");
        return Err(ApiError::Validation(vec![error]));
    }
    record(&state, event).await?;
    let filter = filter_of(&query, &officer);
    let events = with_db(&state, move |conn| {
        Ok(persistence::audit::list(conn, &filter, limit + 1)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page(events, limit)))
}

/// The query's filter, within what `officer` reads.
fn filter_of(
    query: &AuditQuery,
    officer: &policy::OfficerActor,
) -> persistence::audit::AuditFilter {
    persistence::audit::AuditFilter {
        object_type: query.object_type.clone(),
        object_id: query.object_id.clone(),
        actor_id: query.actor.clone(),
        from: query.from,
        until: query.until,
        after_id: query.cursor,
        id: None,
        units: units_of(officer),
    }
}

/// The units whose events `officer` reads (`None`: all).
pub fn units_of(officer: &policy::OfficerActor) -> Option<Vec<String>> {
    match policy::audit_scope(officer) {
        policy::AuditScope::All => None,
        policy::AuditScope::Units(units) => Some(units),
    }
}

/// A page of `limit` events out of `limit + 1` read, with the cursor when more follow.
fn page(events: Vec<domain::audit::RecordedAuditEvent>, limit: i64) -> AuditPage {
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
            action: r.event.action,
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
    AuditPage { items, next_cursor }
}

//! Restriction instead of erasure (EU Directive 2016/680, Art. 16(3); docs/ACCESS.md): an
//! officer of the filing's unit (any member: officer or supervisor) marks it as needed as
//! evidence, with a reason and a review date, and lifts it. Each is an audit event (the
//! reason stays on the filing, not in the trail: the trail names the review date only).
//! The retention job keeps a restricted filing; the queue and the officers' actions leave
//! it aside (409 `filing_restricted`) until it is lifted; its reading and its hand-over to
//! the records system (the evidence purpose) stay open to the unit.

use super::with_db;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::web;
use chrono::{DateTime, Utc};
use domain::audit::{AuditEvent, AuditOperation};
use domain::policy::OfficerActor;
use persistence::restriction::{self as store, Restriction};
use persistence::DbConnection;

/// The audit action of a restriction, and of its lifting.
pub const RESTRICT_ACTION: &str = "restrict";
pub const LIFT_ACTION: &str = "lift_restriction";

/// The filing `id` is in `unit` (404 `unit_filing_not_found` otherwise).
pub(super) fn in_unit(conn: &mut DbConnection, unit: &str, id: &str) -> Result<(), ApiError> {
    persistence::filings::find_in_unit(conn, unit, id)?
        .map(|_| ())
        .ok_or_else(|| ApiError::UnitFilingNotFound {
            id: id.to_owned(),
            unit: unit.to_owned(),
        })
}

/// The audit event of an officer's decision `action` about filing `id` of `unit`.
pub(super) fn event(
    officer: &OfficerActor,
    unit: &str,
    id: &str,
    action: &str,
    now: DateTime<Utc>,
    request_id: Option<String>,
) -> AuditEvent {
    let mut event = AuditEvent::about_filing(
        officer.audit_actor(Some(unit)),
        AuditOperation::Alteration,
        id,
        now,
    )
    .with_action(action);
    event.request_id = request_id;
    event
}

fn seen(
    c: &mut DbConnection,
    officer: &OfficerActor,
    unit: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    persistence::roster::seen(
        c,
        unit,
        &officer.id,
        officer.role.as_str(),
        officer.name.as_deref(),
        now,
    )?;
    Ok(())
}

/// Restricts a filing of `unit` (again: the new reason and review date replace the old).
pub async fn restrict(
    state: &web::Data<AppState>,
    officer: OfficerActor,
    unit: &str,
    id: &str,
    reason: String,
    review: DateTime<Utc>,
    request_id: Option<String>,
) -> Result<Restriction, ApiError> {
    let (unit, id) = (unit.to_owned(), id.to_owned());
    with_db(state, move |conn| {
        conn.write_transaction(|c| {
            let now = super::now();
            in_unit(c, &unit, &id)?;
            seen(c, &officer, &unit, now)?;
            let restriction = Restriction {
                filing_id: id.clone(),
                reference: None,
                procedure: String::new(),
                status: String::new(),
                at: now,
                by: officer.id.clone(),
                reason,
                review,
            };
            store::set(c, &restriction)?;
            let mut event = event(&officer, &unit, &id, RESTRICT_ACTION, now, request_id);
            event.justification = Some(format!(
                "restricted instead of erasure (Art. 16(3)), review on {}",
                review.date_naive()
            ));
            persistence::audit::append(c, &event)?;
            store::of(c, &id)?.ok_or(ApiError::RestrictionNotFound(id))
        })
    })
    .await
}

/// Lifts the restriction of a filing of `unit`: it is processed, and erased when its
/// period has run out, again.
pub async fn lift(
    state: &web::Data<AppState>,
    officer: OfficerActor,
    unit: &str,
    id: &str,
    request_id: Option<String>,
) -> Result<(), ApiError> {
    let (unit, id) = (unit.to_owned(), id.to_owned());
    with_db(state, move |conn| {
        conn.write_transaction(|c| {
            let now = super::now();
            in_unit(c, &unit, &id)?;
            seen(c, &officer, &unit, now)?;
            if !store::lift(c, &id)? {
                return Err(ApiError::RestrictionNotFound(id));
            }
            let event = event(&officer, &unit, &id, LIFT_ACTION, now, request_id);
            persistence::audit::append(c, &event)?;
            Ok(())
        })
    })
    .await
}

/// The restriction of a filing of `unit`, read (an audited consultation).
pub async fn get(
    state: &web::Data<AppState>,
    officer: OfficerActor,
    unit: &str,
    id: &str,
    request_id: Option<String>,
) -> Result<Restriction, ApiError> {
    let (unit, id) = (unit.to_owned(), id.to_owned());
    with_db(state, move |conn| {
        in_unit(conn, &unit, &id)?;
        let found =
            store::of(conn, &id)?.ok_or_else(|| ApiError::RestrictionNotFound(id.clone()))?;
        let event = super::backoffice::consultation(
            &officer,
            &unit,
            ("filing_restriction", Some(&id)),
            request_id,
        );
        super::backoffice::record_in(conn, &event, officer.name.as_deref())?;
        Ok(found)
    })
    .await
}

/// The unit's restricted filings (the evidence listing), an audited consultation.
pub async fn list(
    state: &web::Data<AppState>,
    officer: OfficerActor,
    unit: &str,
    limit: i64,
    request_id: Option<String>,
) -> Result<Vec<Restriction>, ApiError> {
    let unit = unit.to_owned();
    with_db(state, move |conn| {
        let found = store::of_unit(conn, &unit, limit)?;
        let event = super::backoffice::consultation(
            &officer,
            &unit,
            ("unit_restrictions", Some(&unit)),
            request_id,
        );
        super::backoffice::record_in(conn, &event, officer.name.as_deref())?;
        Ok(found)
    })
    .await
}

/// Refuses the processing of a restricted filing (the officers' actions and notes), inside
/// the caller's transaction.
pub fn refuse_if_restricted(c: &mut DbConnection, id: &str) -> Result<(), ApiError> {
    if store::is_restricted(c, id)? {
        return Err(ApiError::FilingRestricted(id.to_owned()));
    }
    Ok(())
}

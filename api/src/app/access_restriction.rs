//! Restriction of the right of access (EU Directive 2016/680, Art. 15(1); docs/ACCESS.md):
//! a member of the filing's unit withholds it from its author's export (`GET
//! /v1/me/export`) where giving it would obstruct an official inquiry, with a reason and a
//! review date, and lifts it. The export then states that some data is withheld, without
//! saying which. Each decision is an audit event (the reason stays with the decision, not
//! in the trail); reading one is an audited consultation.

use super::restriction::{event, in_unit};
use super::with_db;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::web;
use chrono::{DateTime, Utc};
use domain::policy::OfficerActor;
use persistence::access_restriction::{self as store, AccessRestriction};

/// The audit action of a decision to withhold, and of its lifting.
pub const RESTRICT_ACTION: &str = "restrict_access";
pub const LIFT_ACTION: &str = "lift_access_restriction";

/// Withholds a filing of `unit` from its author's export (again: the new reason and
/// review date replace the old).
pub async fn restrict(
    state: &web::Data<AppState>,
    officer: OfficerActor,
    (unit, id): (String, String),
    reason: String,
    review: DateTime<Utc>,
    request_id: Option<String>,
) -> Result<AccessRestriction, ApiError> {
    with_db(state, move |conn| {
        conn.write_transaction(|c| {
            let now = super::now();
            in_unit(c, &unit, &id)?;
            store::set(
                c,
                &AccessRestriction {
                    filing_id: id.clone(),
                    at: now,
                    by: officer.id.clone(),
                    reason,
                    review,
                },
            )?;
            let mut event = event(&officer, &unit, &id, RESTRICT_ACTION, now, request_id);
            event.justification = Some(format!(
                "access restricted (Art. 15(1)), review on {}",
                review.date_naive()
            ));
            persistence::audit::append(c, &event)?;
            store::of(c, &id)?.ok_or(ApiError::RestrictionNotFound(id))
        })
    })
    .await
}

/// Lifts the access restriction of a filing of `unit`: its author's export holds it again.
pub async fn lift(
    state: &web::Data<AppState>,
    officer: OfficerActor,
    (unit, id): (String, String),
    request_id: Option<String>,
) -> Result<(), ApiError> {
    with_db(state, move |conn| {
        conn.write_transaction(|c| {
            let now = super::now();
            in_unit(c, &unit, &id)?;
            if !store::lift(c, &id)? {
                return Err(ApiError::RestrictionNotFound(id));
            }
            persistence::audit::append(
                c,
                &event(&officer, &unit, &id, LIFT_ACTION, now, request_id),
            )?;
            Ok(())
        })
    })
    .await
}

/// The access restriction of a filing of `unit`, read (an audited consultation).
pub async fn get(
    state: &web::Data<AppState>,
    officer: OfficerActor,
    (unit, id): (String, String),
    request_id: Option<String>,
) -> Result<AccessRestriction, ApiError> {
    with_db(state, move |conn| {
        in_unit(conn, &unit, &id)?;
        let found =
            store::of(conn, &id)?.ok_or_else(|| ApiError::RestrictionNotFound(id.clone()))?;
        let event = super::backoffice::consultation(
            &officer,
            &unit,
            ("filing_access_restriction", Some(&id)),
            request_id,
        );
        super::backoffice::record_in(conn, &event, officer.name.as_deref())?;
        Ok(found)
    })
    .await
}

//! The delivery state of a filing's messages, for the unit's officers (issue 15): what
//! was sent to the citizen, by which channel, and whether it arrived at the mail server
//! or the print batch. Read as a consultation of the filing, audited like the others.

use super::backoffice::record_in;
use super::with_db;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::web;
use domain::audit::AuditEvent;
use domain::policy::OfficerActor;
use persistence::outbox::OutboxRow;

/// The messages of filing `id` of `unit`, oldest first, with the consultation recorded.
///
/// # Errors
/// `FilingNotFound` when the filing is not in the unit's hands; the database.
pub async fn messages(
    state: &web::Data<AppState>,
    officer: &OfficerActor,
    unit: &str,
    id: &str,
    event: AuditEvent,
) -> Result<Vec<OutboxRow>, ApiError> {
    let (unit, id, name) = (unit.to_owned(), id.to_owned(), officer.name.clone());
    with_db(state, move |conn| {
        let filing = persistence::filings::find_in_unit(conn, &unit, &id)?
            .ok_or_else(|| ApiError::FilingNotFound(id.clone()))?;
        let rows = persistence::outbox::for_filing(conn, &filing.id)?;
        record_in(conn, &event, name.as_deref())?;
        Ok(rows)
    })
    .await
}

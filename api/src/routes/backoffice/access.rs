//! Access to a unit's back office, decided before anything else of the request is read:
//! the officer's token, then the policy (`domain::policy::officer_may_access_unit`) for
//! the unit in the path. A refused attempt is audited, with the actor's own units, before
//! the body or the query is even parsed, so a malformed request from a non-member is
//! audited like any other (the body, when the route has one, is read only after).

use crate::actors::Officer;
use crate::app::backoffice::record;
use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use domain::audit::{AuditEvent, AuditOperation};
use domain::policy::{self, OfficerActor};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use std::marker::PhantomData;

/// What a back-office route touches, for the audit trail of a refused attempt.
pub trait Resource {
    const OPERATION: AuditOperation;
    /// The object's type and id, from the request's path.
    fn object(req: &HttpRequest) -> (&'static str, Option<String>);
    /// The policy: who may enter (by default, the unit's members).
    fn allowed(officer: &OfficerActor, unit: &str) -> bool {
        policy::officer_may_access_unit(officer, unit)
    }
}

fn path(req: &HttpRequest, name: &str) -> Option<String> {
    req.match_info().get(name).map(str::to_owned)
}

/// A unit's queue, read.
pub struct QueueRead;
/// A unit's roster, read.
pub struct RosterRead;
/// A filing of the unit, read.
pub struct FilingRead;
/// A filing of the unit, changed (an action, a note).
pub struct FilingChange;
/// A filing of the unit, disclosed to the records system.
pub struct FilingExport;

impl Resource for QueueRead {
    const OPERATION: AuditOperation = AuditOperation::Consultation;
    fn object(req: &HttpRequest) -> (&'static str, Option<String>) {
        ("unit_queue", path(req, "unit_id"))
    }
}

impl Resource for RosterRead {
    const OPERATION: AuditOperation = AuditOperation::Consultation;
    fn object(req: &HttpRequest) -> (&'static str, Option<String>) {
        ("unit_members", path(req, "unit_id"))
    }
}

impl Resource for FilingRead {
    const OPERATION: AuditOperation = AuditOperation::Consultation;
    fn object(req: &HttpRequest) -> (&'static str, Option<String>) {
        ("filing", path(req, "id"))
    }
}

impl Resource for FilingChange {
    const OPERATION: AuditOperation = AuditOperation::Alteration;
    fn object(req: &HttpRequest) -> (&'static str, Option<String>) {
        ("filing", path(req, "id"))
    }
}

impl Resource for FilingExport {
    const OPERATION: AuditOperation = AuditOperation::Disclosure;
    fn object(req: &HttpRequest) -> (&'static str, Option<String>) {
        ("filing", path(req, "id"))
    }
}

/// A minor's travel authorisation request of the unit, read.
pub struct TravelRead;
/// A minor's travel authorisation request of the unit, decided (approved, rejected,
/// revoked).
pub struct TravelChange;

impl Resource for TravelRead {
    const OPERATION: AuditOperation = AuditOperation::Consultation;
    fn object(req: &HttpRequest) -> (&'static str, Option<String>) {
        match path(req, "id") {
            Some(id) => ("travel_request", Some(id)),
            None => ("travel_queue", path(req, "unit_id")),
        }
    }
}

impl Resource for TravelChange {
    const OPERATION: AuditOperation = AuditOperation::Alteration;
    fn object(req: &HttpRequest) -> (&'static str, Option<String>) {
        ("travel_request", path(req, "id"))
    }
}

/// A unit's contact data, read by its members.
pub struct ContactRead;
/// A unit's contact data, corrected by those who maintain it (its supervisors).
pub struct ContactChange;

impl Resource for ContactRead {
    const OPERATION: AuditOperation = AuditOperation::Consultation;
    fn object(req: &HttpRequest) -> (&'static str, Option<String>) {
        ("unit_contact", path(req, "unit_id"))
    }
}

impl Resource for ContactChange {
    const OPERATION: AuditOperation = AuditOperation::Alteration;
    fn object(req: &HttpRequest) -> (&'static str, Option<String>) {
        ("unit_contact", path(req, "unit_id"))
    }
    fn allowed(officer: &OfficerActor, unit: &str) -> bool {
        policy::may_maintain_unit(officer, unit)
    }
}

/// A unit's counter counts (open statistics), imported by its supervisors.
pub struct CounterCountsChange;

impl Resource for CounterCountsChange {
    const OPERATION: AuditOperation = AuditOperation::Alteration;
    fn object(req: &HttpRequest) -> (&'static str, Option<String>) {
        ("counter_counts", path(req, "unit_id"))
    }
    fn allowed(officer: &OfficerActor, unit: &str) -> bool {
        policy::may_import_counter_counts(officer, unit)
    }
}

/// An officer allowed into the back office of the unit in the path (`{unit_id}`).
pub struct UnitAccess<R: Resource> {
    pub officer: OfficerActor,
    pub unit: String,
    pub request_id: Option<String>,
    resource: PhantomData<R>,
}

async fn admit<R: Resource>(req: HttpRequest, officer: Officer) -> Result<UnitAccess<R>, ApiError> {
    let officer = officer.actor();
    let unit = path(&req, "unit_id").unwrap_or_default();
    let request_id = RequestId::of(&req);
    if !R::allowed(&officer, &unit) {
        let state = req
            .app_data::<web::Data<AppState>>()
            .cloned()
            .ok_or_else(|| ApiError::Internal("no state".into()))?;
        let (object_type, object_id) = R::object(&req);
        let mut event = AuditEvent::new(
            officer.audit_actor(Some(&unit)),
            R::OPERATION,
            object_type,
            object_id.as_deref(),
            crate::app::now(),
        )
        .denied();
        event.request_id = request_id;
        record(&state, event).await?;
        return Err(ApiError::Forbidden);
    }
    Ok(UnitAccess {
        officer,
        unit,
        request_id,
        resource: PhantomData,
    })
}

impl<R: Resource + 'static> FromRequest for UnitAccess<R> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let officer = Officer::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move { Ok(admit::<R>(req, officer.await?).await?) })
    }
}

/// A unit's back-office access, then the JSON body: the body is read only once the
/// officer is admitted.
pub struct UnitAction<R: Resource, T> {
    pub access: UnitAccess<R>,
    pub body: T,
}

impl<R: Resource + 'static, T: DeserializeOwned + utoipa::ToSchema + 'static> FromRequest
    for UnitAction<R, T>
{
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let both = crate::actors::admitted_then_body(req, payload, admit::<R>);
        Box::pin(async move {
            let (access, body) = both.await?;
            Ok(UnitAction { access, body })
        })
    }
}

/// The query string of a back-office request, parsed only once the officer is admitted
/// (a malformed query from a non-member is audited as a refusal first).
pub struct UnitQuery<R: Resource, Q> {
    pub access: UnitAccess<R>,
    pub query: Q,
}

impl<R: Resource + 'static, Q: DeserializeOwned + 'static> FromRequest for UnitQuery<R, Q> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let officer = Officer::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let access = admit::<R>(req.clone(), officer.await?).await?;
            let web::Query(query) = web::Query::<Q>::extract(&req).await?;
            Ok(UnitQuery { access, query })
        })
    }
}

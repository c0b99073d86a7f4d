//! The discreet alert (docs/ALERTS.md): the citizen raises an alert in writing, sends
//! positions, cancels it with the account's cancel code, and hears of the
//! acknowledgement on a quiet stream; the officers of the unit covering the place
//! receive it on their unit's stream (Server-Sent Events), read it with its track,
//! acknowledge, close or flag it. Every alert and every action is recorded and audited.

mod live;
pub mod types;

pub use live::{citizen_stream, unit_stream};
pub use types::*;

use crate::actors::Citizen;
use crate::app::alerts as usecase;
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::idempotency::{self, Reply};
use crate::middleware::RequestId;
use crate::routes::backoffice::access::{Resource, UnitAccess};
use crate::routes::filings::idempotency_caller;
use actix_web::http::StatusCode;
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use domain::alerts::{AlertInput, OfficerAlertAction};
use domain::audit::AuditOperation;

use crate::state::AppState;

fn path(req: &HttpRequest, name: &str) -> Option<String> {
    req.match_info().get(name).map(str::to_owned)
}

/// An alert of the unit, read.
pub struct AlertRead;
/// An alert of the unit, acted on.
pub struct AlertChange;
/// The unit's alert stream, watched.
pub struct AlertWatch;

impl Resource for AlertRead {
    const OPERATION: AuditOperation = AuditOperation::Consultation;
    fn object(req: &HttpRequest) -> (&'static str, Option<String>) {
        ("alert", path(req, "id"))
    }
}

impl Resource for AlertChange {
    const OPERATION: AuditOperation = AuditOperation::Alteration;
    fn object(req: &HttpRequest) -> (&'static str, Option<String>) {
        ("alert", path(req, "id"))
    }
}

impl Resource for AlertWatch {
    const OPERATION: AuditOperation = AuditOperation::Consultation;
    fn object(req: &HttpRequest) -> (&'static str, Option<String>) {
        ("unit_alerts", path(req, "unit_id"))
    }
}

/// Set my alert cancel code
///
/// The code (4 to 12 digits) that cancels one of the caller's alerts as a false alarm,
/// so that someone holding the phone cannot silently cancel it. Stored sealed with the
/// service's keyring; setting it again replaces it. Audited.
#[utoipa::path(
    tag = "alerts",
    security(("bearer" = [])),
    request_body = CancelCodeBody,
    responses(
        (status = 204, description = "Set"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a citizen account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not 4 to 12 digits (`invalid_cancel_code`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/alert-cancel-code")]
pub async fn set_cancel_code(
    req: HttpRequest,
    state: web::Data<AppState>,
    citizen: Citizen,
    JsonBody(body): JsonBody<CancelCodeBody>,
) -> Result<HttpResponse, ApiError> {
    usecase::set_cancel_code(&state, citizen.actor(), body.code, RequestId::of(&req)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Raise a discreet alert
///
/// Alerts the police in writing, without a call: the position (and its accuracy), the
/// kind and an optional short text. The alert goes at once to the officers of the unit
/// covering the place (through the directory), on their stream; if nobody acknowledges
/// it within `alerts.ack_timeout_secs` (60 s) it escalates to the country's fallback
/// unit. The answer is minimal: the id and the status. Follow the acknowledgement on
/// `GET /v1/alerts/{id}/stream`. At most `alerts.max_per_hour` (3) an hour, none for a
/// day after an alert flagged abusive (429 with `Retry-After`). Emergencies: 112.
#[utoipa::path(
    tag = "alerts",
    security(("bearer" = [])),
    request_body = RaiseAlert,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: same key and body, same response (one alert)")),
    responses(
        (status = 201, description = "Raised and delivered to the unit's stream", body = AlertReceipt),
        (status = 409, description = "The same Idempotency-Key is being processed", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a citizen account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid position or text, no unit of this service covers the place (`no_competent_unit`: call 112), or an Idempotency-Key reused for another body", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many alerts (`Retry-After`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/alerts")]
pub async fn raise(
    req: HttpRequest,
    state: web::Data<AppState>,
    citizen: Citizen,
    JsonBody(body): JsonBody<RaiseAlert>,
) -> Result<HttpResponse, ApiError> {
    let request = serde_json::to_value(&body).unwrap_or_default();
    let input = AlertInput {
        kind: body.kind.into(),
        position: (&body.position).into(),
        text: body.text,
    };
    let render = |alert: persistence::alerts::StoredAlert| {
        let receipt = AlertReceipt {
            status: alert.status.as_str().to_owned(),
            id: alert.id,
        };
        Reply {
            status: StatusCode::CREATED,
            headers: vec![("location".into(), format!("/v1/alerts/{}", receipt.id))],
            body: serde_json::to_value(&receipt).unwrap_or_default(),
        }
    };
    let actor = citizen.actor();
    idempotency::run(&req, &idempotency_caller(&actor), &request, |key| {
        usecase::raise(&state, actor, input, RequestId::of(&req), (key, render))
    })
    .await
}

/// Send a new position of my alert
///
/// While the alert is active (`raised` or `acknowledged`), each new position goes to the
/// track the officers see. Audited.
#[utoipa::path(
    tag = "alerts",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The alert")),
    request_body = PositionBody,
    responses(
        (status = 204, description = "Added to the track"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a citizen account", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such alert among yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The alert is over (`alert_not_active`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Position out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/alerts/{id}/positions")]
pub async fn add_position(
    req: HttpRequest,
    state: web::Data<AppState>,
    citizen: Citizen,
    id: web::Path<String>,
    JsonBody(body): JsonBody<PositionBody>,
) -> Result<HttpResponse, ApiError> {
    let position = (&body).into();
    usecase::add_position(
        &state,
        citizen.actor(),
        id.into_inner(),
        position,
        RequestId::of(&req),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Cancel my alert (false alarm)
///
/// Needs the account's cancel code (`PUT /v1/alert-cancel-code`). A wrong code answers
/// 403 and is counted; after 5 wrong codes the alert can no longer be cancelled online.
#[utoipa::path(
    operation_id = "cancel_alert",
    tag = "alerts",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The alert")),
    request_body = CancelAlertBody,
    responses(
        (status = 204, description = "Cancelled"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a citizen account, or a wrong cancel code (`alert_cancel_code_wrong`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such alert among yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Over, no cancel code set, or locked after wrong codes", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/alerts/{id}/cancel")]
pub async fn cancel(
    req: HttpRequest,
    state: web::Data<AppState>,
    citizen: Citizen,
    id: web::Path<String>,
    JsonBody(body): JsonBody<CancelAlertBody>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    usecase::cancel(
        &state,
        citizen.actor(),
        id,
        body.cancel_code,
        RequestId::of(&req),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Read an alert of the unit
///
/// The alert with its whole track, for an officer of the unit holding it or of the unit
/// it was first routed to. Audited as a consultation.
#[utoipa::path(
    tag = "alerts",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The alert")),
    responses(
        (status = 200, description = "The alert", body = OfficerAlertView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such alert in this unit", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/alerts/{id}")]
pub async fn get_alert(
    state: web::Data<AppState>,
    access: UnitAccess<AlertRead>,
    id: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = id.into_inner();
    let found = usecase::get(&state, access.officer, access.unit, id, access.request_id).await?;
    Ok(HttpResponse::Ok().json(OfficerAlertView::of(&found.alert, &found.track)))
}

async fn act(
    state: web::Data<AppState>,
    access: UnitAccess<AlertChange>,
    id: web::Path<(String, String)>,
    action: OfficerAlertAction,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = id.into_inner();
    let (officer, unit) = (access.officer, access.unit);
    let done = usecase::act(&state, officer, unit, id, action, access.request_id).await?;
    Ok(HttpResponse::Ok().json(OfficerAlertView::of(&done.alert, &done.track)))
}

/// Acknowledge an alert
///
/// An officer of the unit holding the alert takes it: the citizen's stream says so, and
/// the alert no longer escalates. Acknowledging again changes nothing. Audited.
#[utoipa::path(
    tag = "alerts",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The alert")),
    responses(
        (status = 200, description = "Acknowledged", body = OfficerAlertView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such alert held by this unit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The alert is over", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{unit_id}/alerts/{id}/acknowledge")]
pub async fn acknowledge(
    state: web::Data<AppState>,
    access: UnitAccess<AlertChange>,
    id: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    act(state, access, id, OfficerAlertAction::Acknowledge).await
}

/// Close an alert
///
/// The alert was dealt with. Only an acknowledged alert is closed. Audited.
#[utoipa::path(
    operation_id = "close_alert",
    tag = "alerts",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The alert")),
    responses(
        (status = 200, description = "Closed", body = OfficerAlertView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such alert held by this unit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Over, or not acknowledged yet", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{unit_id}/alerts/{id}/close")]
pub async fn close(
    state: web::Data<AppState>,
    access: UnitAccess<AlertChange>,
    id: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    act(state, access, id, OfficerAlertAction::Close).await
}

/// Flag an alert as abusive
///
/// Ends the alert; its author may raise no alert for `alerts.abuse_block_hours` (24 h).
/// Only an acknowledged alert is flagged. Audited.
#[utoipa::path(
    tag = "alerts",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The alert")),
    responses(
        (status = 200, description = "Flagged", body = OfficerAlertView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such alert held by this unit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Over, or not acknowledged yet", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{unit_id}/alerts/{id}/flag-abusive")]
pub async fn flag_abusive(
    state: web::Data<AppState>,
    access: UnitAccess<AlertChange>,
    id: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    act(state, access, id, OfficerAlertAction::FlagAbusive).await
}

/// Problem codes of alerts besides the domain's (`AlertError::CODES`).
pub const PROBLEM_CODES: [&str; 1] = ["alert_not_found"];

#[cfg(test)]
mod tests {
    use crate::i18n::{texts, API_LANGUAGES};

    #[test]
    fn every_alert_problem_has_texts() {
        let codes = domain::alerts::AlertError::CODES
            .iter()
            .chain(&super::PROBLEM_CODES);
        for code in codes {
            for lang in API_LANGUAGES {
                for part in ["title", "detail"] {
                    let key = format!("problem.{code}.{part}");
                    assert!(texts().exact(lang, &key).is_some(), "{lang}: {key}");
                }
            }
        }
    }
}

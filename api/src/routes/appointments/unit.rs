//! Appointments, the unit's side: capacities (read by members, published by
//! supervisors), the agenda (an audited consultation), cancelling with a reason,
//! no-shows, outcomes, the officer's video link, and the private calendar feed.

use super::types::*;
use super::{event_text, view};
use crate::app::appointments::{self as usecase, UnitAct};
use crate::calendar;
use crate::error::{ApiError, FieldError, Problem};
use crate::language::Language;
use crate::middleware::RequestId;
use crate::routes::backoffice::access::{Resource, UnitAccess, UnitAction, UnitQuery};
use crate::state::AppState;
use crate::versions::{if_match, IfMatch};
use actix_web::http::header;
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::{Datelike, Duration, Utc};
use domain::appointments::capacity::local_instant;
use domain::appointments::{AppointmentKind, Outcome, IDENTITY_DOCUMENTS, REASON_MAX_CHARS};
use domain::audit::AuditOperation;
use domain::policy::{self, OfficerActor};

fn path(req: &HttpRequest, name: &str) -> Option<String> {
    req.match_info().get(name).map(str::to_owned)
}

/// A unit's capacities, read.
pub struct CapacityRead;
/// A unit's capacity, published by its supervisors.
pub struct CapacityChange;
/// A unit's agenda, read.
pub struct AgendaRead;
/// An appointment of the unit, changed.
pub struct AppointmentChange;
/// An appointment's video room, joined.
pub struct RoomJoin;
/// A unit's calendar feed, made by its supervisors.
pub struct FeedChange;

impl Resource for CapacityRead {
    const OPERATION: AuditOperation = AuditOperation::Consultation;
    fn object(req: &HttpRequest) -> (&'static str, Option<String>) {
        ("appointment_capacity", path(req, "unit_id"))
    }
}

impl Resource for CapacityChange {
    const OPERATION: AuditOperation = AuditOperation::Alteration;
    fn object(req: &HttpRequest) -> (&'static str, Option<String>) {
        ("appointment_capacity", path(req, "unit_id"))
    }
    fn allowed(officer: &OfficerActor, unit: &str) -> bool {
        policy::may_maintain_unit(officer, unit)
    }
}

impl Resource for AgendaRead {
    const OPERATION: AuditOperation = AuditOperation::Consultation;
    fn object(req: &HttpRequest) -> (&'static str, Option<String>) {
        ("unit_agenda", path(req, "unit_id"))
    }
}

impl Resource for AppointmentChange {
    const OPERATION: AuditOperation = AuditOperation::Alteration;
    fn object(req: &HttpRequest) -> (&'static str, Option<String>) {
        ("appointment", path(req, "id"))
    }
}

impl Resource for RoomJoin {
    const OPERATION: AuditOperation = AuditOperation::Consultation;
    fn object(req: &HttpRequest) -> (&'static str, Option<String>) {
        ("video_room", path(req, "id"))
    }
}

impl Resource for FeedChange {
    const OPERATION: AuditOperation = AuditOperation::Alteration;
    fn object(req: &HttpRequest) -> (&'static str, Option<String>) {
        ("calendar_feed", path(req, "unit_id"))
    }
    fn allowed(officer: &OfficerActor, unit: &str) -> bool {
        policy::may_maintain_unit(officer, unit)
    }
}

fn kind(raw: &str) -> Result<AppointmentKind, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::Validation(vec![FieldError::new("/path/kind", "unknown_option")
            .allowed(AppointmentKind::ALL.iter().map(|k| k.as_str()))])
    })
}

/// List a unit's appointment capacities
///
/// What the unit publishes per kind of appointment (`station`, `video`), for its
/// members.
#[utoipa::path(
    tag = "appointments",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit")),
    responses(
        (status = 200, description = "The capacities", body = CapacityList),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/appointment-capacities")]
pub async fn list_capacities(
    state: web::Data<AppState>,
    access: UnitAccess<CapacityRead>,
) -> Result<HttpResponse, ApiError> {
    let items = usecase::capacities(&state, &access.unit).await?;
    let items = items.iter().map(CapacityView::from).collect();
    Ok(HttpResponse::Ok().json(CapacityList { items }))
}

/// Publish a unit's capacity for a kind of appointment (supervisors)
///
/// Slot length, parallel desks, a weekly template in the unit's local time (within its
/// service hours) and dated exceptions (holidays, closures). Creating needs no
/// `If-Match`; replacing requires it (428 without, 412 when stale). Bookings already
/// made stay; slots follow the new template. Audited as an alteration.
#[utoipa::path(
    tag = "appointments",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("kind" = String, Path, description = "`station` or `video`"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read, to replace a capacity")),
    request_body = CapacityBody,
    responses(
        (status = 200, description = "Replaced", body = CapacityView, headers(("ETag" = String, description = "Its version"))),
        (status = 201, description = "Published", body = CapacityView, headers(("ETag" = String, description = "Its version"))),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a supervisor of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such unit", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid template, outside service hours, or out of range", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing to replace", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/units/{unit_id}/appointment-capacities/{kind}")]
pub async fn put_capacity(
    req: HttpRequest,
    state: web::Data<AppState>,
    request: UnitAction<CapacityChange, CapacityBody>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let kind = kind(&path.1)?;
    let condition = match req.headers().contains_key(header::IF_MATCH) {
        true => Some(if_match(&req)?),
        false => None,
    };
    let UnitAction { access, body } = request;
    let (capacity, created) = usecase::put_capacity(
        &state,
        access.officer,
        &access.unit,
        kind,
        body.into_input(),
        condition,
        access.request_id,
    )
    .await?;
    let status = match created {
        true => actix_web::http::StatusCode::CREATED,
        false => actix_web::http::StatusCode::OK,
    };
    Ok(HttpResponse::build(status)
        .insert_header((header::ETAG, format!("\"v{}\"", capacity.version)))
        .json(CapacityView::from(&capacity)))
}

/// A unit's open slots
///
/// The slots the unit's capacity for `kind` offers over the local dates `from..=until`
/// (at most 62 days), as citizens would see them now: never past, too close, beyond the
/// horizon or full; with the places left and the local time in the unit's zone.
#[utoipa::path(
    tag = "appointments",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("kind" = String, Path, description = "`station` or `video`"), PublishedSlotsQuery),
    responses(
        (status = 200, description = "The open slots", body = UnitSlotsView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No capacity published for this kind", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad kind or range", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/appointment-capacities/{kind}/slots")]
pub async fn published_slots(
    state: web::Data<AppState>,
    request: UnitQuery<CapacityRead, PublishedSlotsQuery>,
    path: web::Path<(String, String)>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let kind = kind(&path.1)?;
    let UnitQuery { access, query } = request;
    if query.until < query.from || (query.until - query.from).num_days() >= usecase::SEARCH_MAX_DAYS
    {
        return Err(ApiError::Validation(vec![FieldError::new(
            "/query/until",
            "out_of_range",
        )]));
    }
    let (capacity, slots) =
        usecase::published_slots(&state, &access.unit, kind, (query.from, query.until)).await?;
    let tz = capacity.timezone;
    let view = super::slots_view(
        &state,
        &access.unit,
        lang,
        &capacity,
        &slots,
        (false, None),
        tz,
    );
    Ok(HttpResponse::Ok().json(view))
}

/// An agenda's span in UTC, `[from, until)`.
type Span = (chrono::DateTime<Utc>, chrono::DateTime<Utc>);

/// The agenda's span: a local day, or the local week (Monday to Sunday) of `date`.
fn span(
    state: &AppState,
    unit: &str,
    query: &AgendaQuery,
) -> Result<(chrono_tz::Tz, Span), ApiError> {
    let tz = state
        .directory()
        .unit(unit)
        .map(|u| u.hours.timezone)
        .ok_or_else(|| ApiError::UnitNotFound(unit.to_owned()))?;
    let date = query
        .date
        .unwrap_or_else(|| Utc::now().with_timezone(&tz).date_naive());
    let out_of_range =
        || ApiError::Validation(vec![FieldError::new("/query/date", "out_of_range")]);
    let (first, days) = match query.span.as_deref() {
        None | Some("day") => (date, 1),
        Some("week") => (
            // Checked: a date at the calendar's edge (year ±262,143) has no Monday before it.
            date.checked_sub_signed(Duration::days(i64::from(
                date.weekday().num_days_from_monday(),
            )))
            .ok_or_else(out_of_range)?,
            7,
        ),
        Some(_) => {
            return Err(ApiError::Validation(vec![FieldError::new(
                "/query/span",
                "unknown_option",
            )
            .allowed(["day", "week"])]))
        }
    };
    let last = first
        .checked_add_signed(Duration::days(days))
        .ok_or_else(out_of_range)?;
    let start = local_instant(tz, first, 0, false);
    let end = local_instant(tz, last, 0, false);
    match (start, end) {
        (Some(s), Some(e)) => Ok((tz, (s, e))),
        _ => Err(out_of_range()),
    }
}

/// A unit's agenda
///
/// The day's or the week's appointments of the unit (every status), with their filings'
/// reference, procedure and status. Reading it is an audited consultation.
#[utoipa::path(
    tag = "appointments",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), AgendaQuery),
    responses(
        (status = 200, description = "The agenda", body = AgendaView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such unit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad date or span", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/agenda")]
pub async fn agenda(
    state: web::Data<AppState>,
    request: UnitQuery<AgendaRead, AgendaQuery>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let UnitQuery { access, query } = request;
    let (tz, range) = span(&state, &access.unit, &query)?;
    let entries = usecase::agenda(
        &state,
        &access.officer,
        &access.unit,
        range,
        access.request_id,
    )
    .await?;
    let items = entries
        .iter()
        .map(|e| AgendaItem {
            appointment: view(&state, &e.appointment, lang, None),
            filing: e.filing.as_ref().map(|f| AgendaFiling {
                id: f.id.clone(),
                reference: f.reference.as_ref().map(|r| r.as_str().to_owned()),
                procedure: f.procedure.clone(),
                status: f.status.to_string(),
                language: f.language.to_string(),
            }),
        })
        .collect();
    Ok(HttpResponse::Ok().json(AgendaView {
        unit_id: access.unit,
        timezone: tz.name().to_owned(),
        from: range.0.with_timezone(&tz).to_rfc3339(),
        until: range.1.with_timezone(&tz).to_rfc3339(),
        items,
    }))
}

async fn unit_act(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: UnitAccess<AppointmentChange>,
    id: String,
    act: UnitAct,
    lang: domain::i18n::Lang,
) -> Result<HttpResponse, ApiError> {
    let condition: IfMatch = if_match(&req)?;
    let a = usecase::act(
        &state,
        access.officer,
        &access.unit,
        &id,
        act,
        condition,
        access.request_id,
    )
    .await?;
    let view = view(&state, &a, lang, None);
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"v{}\"", view.version)))
        .json(view))
}

fn text_issue(pointer: &str, text: Option<&str>) -> Option<FieldError> {
    match text.map(str::trim) {
        None | Some("") => Some(FieldError::new(pointer, "required")),
        Some(t) if t.chars().count() > REASON_MAX_CHARS => {
            let mut e = FieldError::new(pointer, "too_long");
            e.accepted.max_length = Some(REASON_MAX_CHARS as u64);
            Some(e)
        }
        Some(_) => None,
    }
}

/// Cancel an appointment (unit)
///
/// At any time before it ends, with a `reason` the citizen is told (a message is queued
/// in the notification outbox, by the filing's channel). Requires `If-Match`.
#[utoipa::path(
    tag = "appointments",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The appointment"), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = UnitCancelBody,
    responses(
        (status = 200, description = "Cancelled", body = AppointmentView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appointment in this unit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not booked", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No reason", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{unit_id}/appointments/{id}/cancel")]
pub async fn unit_cancel(
    req: HttpRequest,
    state: web::Data<AppState>,
    request: UnitAction<AppointmentChange, UnitCancelBody>,
    path: web::Path<(String, String)>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let UnitAction { access, body } = request;
    if let Some(issue) = text_issue("/reason", Some(&body.reason)) {
        return Err(ApiError::Validation(vec![issue]));
    }
    let act = UnitAct::Cancel {
        reason: body.reason.trim().to_owned(),
    };
    unit_act(req, state, access, path.into_inner().1, act, lang).await
}

/// Record a no-show
///
/// The citizen did not come or did not join; possible once the slot has started.
/// Requires `If-Match`.
#[utoipa::path(
    tag = "appointments",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The appointment"), ("If-Match" = String, Header, description = "The ETag last read")),
    responses(
        (status = 200, description = "Recorded", body = AppointmentView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appointment in this unit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not booked, or not started", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{unit_id}/appointments/{id}/no-show")]
pub async fn no_show(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: UnitAccess<AppointmentChange>,
    path: web::Path<(String, String)>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    unit_act(
        req,
        state,
        access,
        path.into_inner().1,
        UnitAct::NoShow,
        lang,
    )
    .await
}

/// The outcome, checked: its code, and the detail it needs.
fn outcome(body: OutcomeBody) -> Result<UnitAct, ApiError> {
    let outcome: Outcome = body.outcome.parse().map_err(|_| {
        ApiError::Validation(vec![FieldError::new("/outcome", "unknown_option")
            .allowed(Outcome::ALL.iter().map(|o| o.as_str()))])
    })?;
    let detail = match outcome {
        Outcome::Signed => {
            let doc = body.identity_document.unwrap_or_default();
            if !IDENTITY_DOCUMENTS.contains(&doc.as_str()) {
                let code = if doc.is_empty() {
                    "required"
                } else {
                    "unknown_option"
                };
                return Err(ApiError::Validation(vec![FieldError::new(
                    "/identity_document",
                    code,
                )
                .allowed(IDENTITY_DOCUMENTS.iter())]));
            }
            Some(doc)
        }
        Outcome::NotPossible => {
            if let Some(issue) = text_issue("/reason", body.reason.as_deref()) {
                return Err(ApiError::Validation(vec![issue]));
            }
            body.reason.map(|r| r.trim().to_owned())
        }
        Outcome::ComplaintTaken => None,
    };
    Ok(UnitAct::Outcome { outcome, detail })
}

/// Record the outcome of an appointment
///
/// At the desk (`station`): `signed`, once the officer has checked the citizen's identity
/// document against the pre-filled facts; the pre-complaint is then registered (taken in
/// charge first if needed, the unit's next record number, the citizen's confirmation
/// queued). In a video call: `complaint_taken` (the filing is registered the same way)
/// or `not_possible` with a `reason`. Once the slot has started; requires `If-Match`.
/// Audited on the appointment and the filing.
#[utoipa::path(
    tag = "appointments",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The appointment"), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = OutcomeBody,
    responses(
        (status = 200, description = "Recorded", body = AppointmentView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appointment in this unit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not booked, or not started", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown outcome, one for the other kind, or a missing detail", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{unit_id}/appointments/{id}/outcome")]
pub async fn record_outcome(
    req: HttpRequest,
    state: web::Data<AppState>,
    request: UnitAction<AppointmentChange, OutcomeBody>,
    path: web::Path<(String, String)>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let UnitAction { access, body } = request;
    let act = outcome(body)?;
    unit_act(req, state, access, path.into_inner().1, act, lang).await
}

/// Get the video room's link (officer)
///
/// For the officer who takes the call: the first member of the unit to ask holds the
/// appointment, and only they get the link (moderator); from a few minutes before the
/// slot to its end. Audited.
#[utoipa::path(
    tag = "appointments",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The appointment")),
    responses(
        (status = 200, description = "The link", body = RoomView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member, or another officer holds the call", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appointment in this unit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not open yet, closed, or not booked", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a video appointment", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No video provider configured", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/appointments/{id}/video-room")]
pub async fn officer_video_room(
    state: web::Data<AppState>,
    access: UnitAccess<RoomJoin>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner().1;
    let link =
        usecase::officer_room(&state, access.officer, &access.unit, &id, access.request_id).await?;
    Ok(HttpResponse::Ok().json(RoomView {
        url: link.url,
        room: link.room,
        valid_from: link.valid_from,
        valid_until: link.valid_until,
    }))
}

/// Make the unit's private calendar feed (supervisors)
///
/// A secret URL serving the unit's agenda as iCalendar (from 7 days ago to 60 days
/// ahead; times, kinds and ids, never facts), for a calendar application. Shown once;
/// making a new one revokes the previous. Audited.
#[utoipa::path(
    tag = "appointments",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit")),
    responses(
        (status = 201, description = "The feed's URL", body = FeedView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a supervisor of this unit", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{unit_id}/calendar-feed")]
pub async fn create_feed(
    state: web::Data<AppState>,
    access: UnitAccess<FeedChange>,
) -> Result<HttpResponse, ApiError> {
    let token = usecase::new_feed(&state, access.officer, &access.unit, access.request_id).await?;
    Ok(HttpResponse::Created().json(FeedView {
        url: format!("/v1/calendar-feeds/{token}"),
    }))
}

/// A unit's calendar feed
///
/// The unit's agenda as iCalendar (RFC 5545), at the secret URL a supervisor made. An
/// unknown or revoked token is 404. Each read is audited.
#[utoipa::path(
    tag = "appointments",
    security(()),
    params(("token" = String, Path, description = "The feed's secret token"), crate::routes::catalogue::LangQuery),
    responses(
        (status = 200, description = "The agenda", content_type = "text/calendar", body = String,
            example = json!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n...END:VCALENDAR\r\n")),
        (status = 404, description = "No such feed", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/calendar-feeds/{token}")]
pub async fn feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let (unit, appointments) = usecase::feed(&state, &token, RequestId::of(&req)).await?;
    let directory = state.directory();
    let tz = directory
        .unit(&unit)
        .map(|u| u.hours.timezone)
        .unwrap_or(chrono_tz::UTC);
    let name = directory
        .unit(&unit)
        .map(|u| u.name(lang).to_owned())
        .unwrap_or(unit);
    let events: Vec<_> = appointments
        .into_iter()
        .map(|a| {
            let text = event_text(&state, &a, lang);
            (a, text)
        })
        .collect();
    Ok(HttpResponse::Ok()
        .content_type(calendar::CONTENT_TYPE)
        .body(calendar::calendar(&name, tz, &events)))
}

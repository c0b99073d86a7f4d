//! Appointments, the citizen's side: the slot search for a filing, booking (with
//! `Idempotency-Key`), rescheduling and cancelling (with `If-Match`, up to the unit's
//! cut-off), the iCalendar file and the video room's link. Another citizen's appointment
//! answers 404 like a missing one. The unit's side is `unit`. Rules are
//! `domain::appointments`; use cases `crate::app::appointments`.

pub mod types;
pub mod unit;

pub use types::*;

use crate::actors::Citizen;
use crate::app::appointments::{self as usecase, Booking, CitizenChange};
use crate::calendar;
use crate::error::{ApiError, FieldError, Problem};
use crate::extract::JsonBody;
use crate::idempotency::{self, Reply};
use crate::language::Language;
use crate::middleware::RequestId;
use crate::state::AppState;
use crate::versions::if_match;
use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::Duration;
use domain::appointments::{Appointment, AppointmentKind};
use domain::i18n::Lang;

/// An appointment's view, with its unit's zone, name and the cut-off for changes.
pub fn view(state: &AppState, a: &Appointment, lang: Lang, cutoff: Option<u32>) -> AppointmentView {
    let directory = state.directory();
    let unit = directory.unit(&a.unit);
    let tz = unit.map(|u| u.hours.timezone).unwrap_or(chrono_tz::UTC);
    let name = unit
        .map(|u| u.name(lang).to_owned())
        .unwrap_or_else(|| a.unit.clone());
    AppointmentView::new(
        a,
        &ViewContext {
            tz,
            unit_name: &name,
            change_cutoff_minutes: cutoff,
        },
    )
}

/// The open slots of one unit as the API shows them: UTC and the unit's local time.
pub fn slots_view(
    state: &AppState,
    unit: &str,
    lang: Lang,
    capacity: &domain::appointments::Capacity,
    slots: &[domain::appointments::OpenSlot],
    (competent, distance_m): (bool, Option<f64>),
    tz: chrono_tz::Tz,
) -> UnitSlotsView {
    let name = state
        .directory()
        .unit(unit)
        .map(|d| d.name(lang).to_owned());
    UnitSlotsView {
        unit_id: unit.to_owned(),
        name: name.unwrap_or_else(|| unit.to_owned()),
        competent,
        distance_km: distance_m.map(|m| (m / 100.0).round() / 10.0),
        timezone: tz.name().to_owned(),
        duration_minutes: capacity.duration_minutes,
        slots: slots
            .iter()
            .map(|s| SlotView {
                starts_at: s.slot.starts_at,
                ends_at: s.slot.ends_at,
                local_start: s.slot.starts_at.with_timezone(&tz).to_rfc3339(),
                remaining: s.remaining,
            })
            .collect(),
    }
}

fn etag(version: i64) -> String {
    format!("\"v{version}\"")
}

fn with_etag(status: StatusCode, view: &AppointmentView) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::ETAG, etag(view.version)))
        .json(view)
}

fn invalid(name: &str, code: &str) -> ApiError {
    ApiError::Validation(vec![FieldError::new(format!("/query/{name}"), code)])
}

/// The search's local date range: both given, or defaults in the unit's zone.
fn date_range(
    query: &SlotQuery,
) -> Result<Option<(chrono::NaiveDate, chrono::NaiveDate)>, ApiError> {
    let today = chrono::Utc::now().date_naive();
    let from = query.from.unwrap_or(today - Duration::days(1));
    let until = match (query.from, query.until) {
        (None, None) => return Ok(None),
        (_, Some(until)) => until,
        // Checked: a date at the calendar's edge (year ±262,143) has no day after it.
        (Some(from), None) => from
            .checked_add_signed(Duration::days(13))
            .ok_or_else(|| invalid("from", "out_of_range"))?,
    };
    if until < from {
        return Err(invalid("until", "too_early"));
    }
    if (until - from).num_days() >= usecase::SEARCH_MAX_DAYS {
        return Err(invalid("until", "out_of_range"));
    }
    Ok(Some((from, until)))
}

/// Find appointment slots
///
/// The open slots for a filing that needs an appointment (a submitted `pre_complaint`:
/// at a station; a `video_complaint`: a video call): the competent unit's, and for a
/// station appointment up to three nearby units that publish capacity. Never a past,
/// too close or full slot. Times are UTC with the local time in the unit's zone.
#[utoipa::path(
    tag = "appointments",
    security(("bearer" = [])),
    params(SlotQuery, crate::routes::catalogue::LangQuery),
    responses(
        (status = 200, description = "Open slots per unit", body = SlotSearchView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing among yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The filing is not waiting for an appointment", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A procedure without appointment, a unit not offered, a bad range", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/appointment-slots")]
pub async fn search_slots(
    state: web::Data<AppState>,
    citizen: Citizen,
    query: web::Query<SlotQuery>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let range = date_range(&query)?;
    let query = query.into_inner();
    let actor = citizen.actor();
    let (kind, units) = usecase::search(&state, &actor, &query.filing, query.unit, range).await?;
    let units = units
        .into_iter()
        .map(|u| {
            let tz = u.capacity.timezone;
            slots_view(
                &state,
                &u.unit,
                lang,
                &u.capacity,
                &u.slots,
                (u.competent, u.distance_m),
                tz,
            )
        })
        .collect();
    Ok(HttpResponse::Ok().json(SlotSearchView {
        filing_id: query.filing,
        kind: kind.to_string(),
        units,
    }))
}

/// Book a slot
///
/// Books `starts_at` at the competent unit (or at a nearby station the search offered,
/// with `unit_id`) for the citizen's filing. Accepts `Idempotency-Key`. Of citizens
/// racing for the last place of a slot, one gets it and the others 409 `slot_full`. A
/// video complaint needs the country's level of assurance (substantial or high).
#[utoipa::path(
    tag = "appointments",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Id of the filing"), ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: same key and body, same response")),
    request_body = BookingBody,
    responses(
        (status = 201, description = "Booked", body = AppointmentView,
            headers(("Location" = String, description = "The appointment's URL"), ("ETag" = String, description = "Its version"))),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Level of assurance too low", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing among yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Slot full, already booked, filing not waiting, or key in use", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Past or unknown slot, wrong unit, kind not offered", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/filings/{id}/appointments")]
pub async fn book(
    req: HttpRequest,
    state: web::Data<AppState>,
    citizen: Citizen,
    id: web::Path<String>,
    JsonBody(body): JsonBody<BookingBody>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let request = serde_json::to_value(&body).unwrap_or_default();
    let actor = citizen.actor();
    let booking = Booking {
        filing_id: id.into_inner(),
        unit: body.unit_id,
        starts_at: body.starts_at,
    };
    let app = state.clone();
    let render: usecase::Render = Box::new(move |a: &Appointment| {
        let view = view(&app, a, lang, None);
        Reply {
            status: StatusCode::CREATED,
            headers: vec![
                ("etag".into(), etag(view.version)),
                ("location".into(), format!("/v1/appointments/{}", view.id)),
            ],
            body: serde_json::to_value(&view).unwrap_or_default(),
        }
    });
    idempotency::run(&req, &actor.id.clone(), &request, |key| {
        usecase::book(
            state.clone(),
            actor,
            booking,
            key,
            RequestId::of(&req),
            render,
        )
    })
    .await
}

/// List a filing's appointments
///
/// Every appointment of the citizen's filing, oldest first (cancelled ones included).
#[utoipa::path(
    tag = "appointments",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Id of the filing")),
    responses(
        (status = 200, description = "The appointments", body = AppointmentList),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing among yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/filings/{id}/appointments")]
pub async fn list_for_filing(
    state: web::Data<AppState>,
    citizen: Citizen,
    id: web::Path<String>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let items = usecase::of_filing(&state, &citizen.0.user_id, &id).await?;
    let items = items.iter().map(|a| view(&state, a, lang, None)).collect();
    Ok(HttpResponse::Ok().json(AppointmentList { items }))
}

/// Get an appointment
///
/// One of the citizen's appointments, with its `ETag` (for `If-Match` on changes).
#[utoipa::path(
    tag = "appointments",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Id of the appointment")),
    responses(
        (status = 200, description = "The appointment", body = AppointmentView, headers(("ETag" = String, description = "Its version"))),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appointment among yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/appointments/{id}")]
pub async fn get_appointment(
    state: web::Data<AppState>,
    citizen: Citizen,
    id: web::Path<String>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let a = usecase::get_owned(&state, &citizen.0.user_id, &id).await?;
    Ok(with_etag(StatusCode::OK, &view(&state, &a, lang, None)))
}

async fn change(
    req: HttpRequest,
    state: web::Data<AppState>,
    citizen: Citizen,
    id: String,
    wanted: CitizenChange,
    lang: Lang,
) -> Result<HttpResponse, ApiError> {
    let condition = if_match(&req)?;
    let a = usecase::change(
        &state,
        citizen.actor(),
        &id,
        wanted,
        condition,
        RequestId::of(&req),
    )
    .await?;
    Ok(with_etag(StatusCode::OK, &view(&state, &a, lang, None)))
}

/// Reschedule an appointment
///
/// Moves the appointment to another slot of the same unit, up to the unit's cut-off
/// before the current slot (`change_until`). Requires `If-Match`.
#[utoipa::path(
    tag = "appointments",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Id of the appointment"), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = RescheduleBody,
    responses(
        (status = 200, description = "Moved", body = AppointmentView, headers(("ETag" = String, description = "Its version"))),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appointment among yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Too late to change, not booked, or the new slot is full", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Past or unknown slot", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/appointments/{id}/reschedule")]
pub async fn reschedule(
    req: HttpRequest,
    state: web::Data<AppState>,
    citizen: Citizen,
    id: web::Path<String>,
    JsonBody(body): JsonBody<RescheduleBody>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let wanted = CitizenChange::Reschedule(body.starts_at);
    change(req, state, citizen, id.into_inner(), wanted, lang).await
}

/// Cancel an appointment
///
/// Up to the unit's cut-off before the slot (`change_until`). Requires `If-Match`.
#[utoipa::path(
    operation_id = "cancel_appointment",
    tag = "appointments",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Id of the appointment"), ("If-Match" = String, Header, description = "The ETag last read")),
    responses(
        (status = 200, description = "Cancelled", body = AppointmentView, headers(("ETag" = String, description = "Its version"))),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appointment among yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Too late to change, or not booked", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/appointments/{id}/cancel")]
pub async fn cancel(
    req: HttpRequest,
    state: web::Data<AppState>,
    citizen: Citizen,
    id: web::Path<String>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    change(
        req,
        state,
        citizen,
        id.into_inner(),
        CitizenChange::Cancel,
        lang,
    )
    .await
}

/// The event texts of an appointment in `lang`.
pub fn event_text(state: &AppState, a: &Appointment, lang: Lang) -> calendar::EventText {
    let texts = crate::i18n::texts();
    let directory = state.directory();
    let unit = directory.unit(&a.unit);
    let unit_name = unit
        .map(|u| u.name(lang).to_owned())
        .unwrap_or_else(|| a.unit.clone());
    let get = |key: &str| {
        texts
            .render(
                lang,
                &format!("appointment.{key}"),
                &[("unit", unit_name.clone())],
            )
            .unwrap_or_else(|| key.to_owned())
    };
    let location = match a.kind {
        AppointmentKind::Station => unit
            .and_then(|u| u.contact.address.clone())
            .map(|addr| format!("{unit_name}, {addr}"))
            .or(Some(unit_name.clone())),
        AppointmentKind::Video => Some(get("video_location")),
    };
    calendar::EventText {
        summary: get(&format!("summary_{}", a.kind)),
        location,
        description: Some(get(&format!("description_{}", a.kind))),
        alarm: get("alarm"),
    }
}

/// Get the appointment as an iCalendar file
///
/// The appointment as one event (RFC 5545), in the unit's time zone (with its
/// VTIMEZONE), with a reminder 24 hours before. A cancelled appointment has
/// `STATUS:CANCELLED`.
#[utoipa::path(
    tag = "appointments",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Id of the appointment"), crate::routes::catalogue::LangQuery),
    responses(
        (status = 200, description = "The event", content_type = "text/calendar", body = String,
            example = json!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n...END:VCALENDAR\r\n")),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appointment among yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/appointments/{id}/calendar.ics")]
pub async fn calendar_file(
    state: web::Data<AppState>,
    citizen: Citizen,
    id: web::Path<String>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let a = usecase::get_owned(&state, &citizen.0.user_id, &id).await?;
    let tz = state
        .directory()
        .unit(&a.unit)
        .map(|u| u.hours.timezone)
        .unwrap_or(chrono_tz::UTC);
    let text = event_text(&state, &a, lang);
    let name = text.summary.clone();
    let body = calendar::calendar(&name, tz, &[(a.clone(), text)]);
    Ok(HttpResponse::Ok()
        .content_type(calendar::CONTENT_TYPE)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"appointment-{}.ics\"", a.id),
        ))
        .body(body))
}

/// Get the video room's link
///
/// For a booked video appointment, from a few minutes before the slot to its end: a link
/// to the provider's room with a signed token valid over that window, for this citizen
/// only. Too early or too late is 409 (`video_room_not_open`, `video_room_closed`).
#[utoipa::path(
    tag = "appointments",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Id of the appointment")),
    responses(
        (status = 200, description = "The link", body = RoomView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Level of assurance too low", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appointment among yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not open yet, closed, or not booked", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a video appointment", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No video provider configured", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/appointments/{id}/video-room")]
pub async fn video_room(
    req: HttpRequest,
    state: web::Data<AppState>,
    citizen: Citizen,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let link = usecase::citizen_room(&state, citizen.actor(), &id, RequestId::of(&req)).await?;
    Ok(HttpResponse::Ok().json(RoomView {
        url: link.url,
        room: link.room,
        valid_from: link.valid_from,
        valid_until: link.valid_until,
    }))
}

/// Problem codes of appointments besides the domain's (`AppointmentError::CODES`).
pub const PROBLEM_CODES: [&str; 3] = [
    "appointment_not_found",
    "capacity_not_found",
    "video_not_configured",
];

/// Field-error codes of capacities.
pub const FIELD_ERROR_CODES: [&str; 5] = [
    "invalid_window",
    "overlapping_windows",
    "window_shorter_than_slot",
    "outside_service_hours",
    "duplicate_date",
];

/// Keys of the `[appointment]` texts (the iCalendar events).
pub const EVENT_TEXTS: [&str; 6] = [
    "summary_station",
    "summary_video",
    "description_station",
    "description_video",
    "video_location",
    "alarm",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{texts, API_LANGUAGES};
    use domain::appointments::AppointmentError;

    #[test]
    fn every_appointment_text_exists_in_every_language_and_renders() {
        let mut missing = Vec::new();
        for lang in API_LANGUAGES {
            let codes = AppointmentError::CODES.iter().chain(PROBLEM_CODES.iter());
            for code in codes {
                for part in ["title", "detail"] {
                    if texts()
                        .exact(lang, &format!("problem.{code}.{part}"))
                        .is_none()
                    {
                        missing.push(format!("{lang}: problem.{code}.{part}"));
                    }
                }
            }
            for code in FIELD_ERROR_CODES {
                if texts()
                    .exact(lang, &format!("field_error.{code}"))
                    .is_none()
                {
                    missing.push(format!("{lang}: field_error.{code}"));
                }
            }
            for key in EVENT_TEXTS {
                if texts().exact(lang, &format!("appointment.{key}")).is_none() {
                    missing.push(format!("{lang}: appointment.{key}"));
                }
            }
            let samples = [
                ApiError::Appointment(AppointmentError::RoomNotOpen {
                    opens_at: chrono::Utc::now(),
                }),
                ApiError::Appointment(AppointmentError::NotBooked(
                    domain::appointments::AppointmentStatus::Cancelled,
                )),
                ApiError::AppointmentNotFound("a-1".into()),
                ApiError::CapacityNotFound("u/video".into()),
            ];
            for error in samples {
                let problem = error.to_problem(lang);
                assert!(!problem.detail.contains('{'), "{lang}: {}", problem.detail);
            }
        }
        assert!(missing.is_empty(), "missing:\n{}", missing.join("\n"));
        for e in [AppointmentError::SlotFull, AppointmentError::WrongUnit] {
            assert!(AppointmentError::CODES.contains(&e.code()));
        }
    }
}

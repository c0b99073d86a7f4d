//! Request and response bodies of the appointments' endpoints.

use chrono::{DateTime, NaiveDate, Utc};
use domain::appointments::input::{CapacityInput, ExceptionInput};
use domain::appointments::{Appointment, Capacity};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// A dated exception to the weekly template: other hours that day, or none (closed).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExceptionBody {
    /// The local date (YYYY-MM-DD).
    pub date: NaiveDate,
    /// `HH:MM-HH:MM` windows in the unit's local time (at most 12); empty = closed all
    /// day.
    #[serde(default)]
    #[schema(max_items = 12)]
    pub hours: Vec<String>,
    /// Why (a holiday, a closure), for supervisors; at most 200 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200)]
    pub reason: Option<String>,
}

/// What a unit offers for one kind of appointment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "duration_minutes": 30, "desks": 2,
    "weekly": {"mo": ["09:00-12:00", "14:00-17:00"], "we": ["09:00-12:00"]},
    "exceptions": [{"date": "2026-12-25", "hours": [], "reason": "Christmas"}],
    "change_cutoff_minutes": 1440, "min_notice_minutes": 60, "horizon_days": 60, "active": true
}))]
pub struct CapacityBody {
    /// Length of a slot, in minutes (5 to 240).
    #[schema(minimum = 5, maximum = 240)]
    pub duration_minutes: u32,
    /// Bookings a slot takes at once (1 to 50).
    #[schema(minimum = 1, maximum = 50)]
    pub desks: u32,
    /// Weekday (`mo`..`su`) → `HH:MM-HH:MM` windows in the unit's local time, within its
    /// service hours, each at least one slot long; a missing day is closed.
    pub weekly: BTreeMap<String, Vec<String>>,
    /// Holidays, closures, changed hours (at most 400).
    #[serde(default)]
    #[schema(max_items = 400)]
    pub exceptions: Vec<ExceptionBody>,
    /// The citizen may reschedule or cancel until this many minutes before the slot
    /// (default 1440, at most 10080).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 10080)]
    pub change_cutoff_minutes: Option<u32>,
    /// A slot is offered only if it starts at least this many minutes ahead (default 60,
    /// at most 10080).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 10080)]
    pub min_notice_minutes: Option<u32>,
    /// How far ahead slots are offered, in days (default 60, 1 to 366).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 366)]
    pub horizon_days: Option<u32>,
    /// Whether slots are offered (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

impl CapacityBody {
    pub fn into_input(self) -> CapacityInput {
        CapacityInput {
            duration_minutes: self.duration_minutes,
            desks: self.desks,
            weekly: self.weekly,
            exceptions: self
                .exceptions
                .into_iter()
                .map(|e| ExceptionInput {
                    date: e.date,
                    hours: e.hours,
                    reason: e.reason,
                })
                .collect(),
            change_cutoff_minutes: self.change_cutoff_minutes,
            min_notice_minutes: self.min_notice_minutes,
            horizon_days: self.horizon_days,
            active: self.active,
        }
    }
}

/// A unit's published capacity.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "unit_id": "fr-pn-95-cergy", "kind": "video", "timezone": "Europe/Paris",
    "duration_minutes": 30, "desks": 2,
    "weekly": {"mo": ["09:00-12:00"]}, "exceptions": [],
    "change_cutoff_minutes": 1440, "min_notice_minutes": 60, "horizon_days": 60,
    "active": true, "version": 1, "updated_at": "2026-12-01T09:00:00Z"
}))]
pub struct CapacityView {
    pub unit_id: String,
    /// `station` or `video`.
    pub kind: String,
    /// The unit's time zone (IANA), in which the windows are read.
    pub timezone: String,
    pub duration_minutes: u32,
    pub desks: u32,
    pub weekly: BTreeMap<String, Vec<String>>,
    pub exceptions: Vec<ExceptionBody>,
    pub change_cutoff_minutes: u32,
    pub min_notice_minutes: u32,
    pub horizon_days: u32,
    pub active: bool,
    /// Its version; the `ETag` is `"v<version>"`.
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

impl From<&Capacity> for CapacityView {
    fn from(c: &Capacity) -> Self {
        let input = c.to_input();
        CapacityView {
            unit_id: c.unit.clone(),
            kind: c.kind.to_string(),
            timezone: c.timezone.name().to_owned(),
            duration_minutes: c.duration_minutes,
            desks: c.desks,
            weekly: input.weekly,
            exceptions: input
                .exceptions
                .into_iter()
                .map(|e| ExceptionBody {
                    date: e.date,
                    hours: e.hours,
                    reason: e.reason,
                })
                .collect(),
            change_cutoff_minutes: c.change_cutoff_minutes,
            min_notice_minutes: c.min_notice_minutes,
            horizon_days: c.horizon_days,
            active: c.active,
            version: c.version,
            updated_at: c.updated_at,
        }
    }
}

/// A unit's capacities.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"items": []}))]
pub struct CapacityList {
    pub items: Vec<CapacityView>,
}

/// The slot search.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SlotQuery {
    /// The filing the appointment is for (a submitted pre-complaint or video complaint).
    pub filing: String,
    /// Only this unit (the competent one, or a nearby one for a station appointment).
    pub unit: Option<String>,
    /// First local date (default: today in the unit's zone).
    pub from: Option<NaiveDate>,
    /// Last local date, included (default: 13 days after `from`; at most 62 days in all).
    pub until: Option<NaiveDate>,
}

/// The local dates of a unit's slots.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PublishedSlotsQuery {
    /// First local date.
    pub from: NaiveDate,
    /// Last local date, included (at most 62 days in all).
    pub until: NaiveDate,
}

/// One open slot.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SlotView {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The start in the unit's local time, with its offset (RFC 3339).
    pub local_start: String,
    /// Places left.
    pub remaining: u32,
}

/// The open slots of one unit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "unit_id": "fr-pn-commissariat-de-police-de-cergy", "name": "Commissariat de police de Cergy",
    "competent": true, "timezone": "Europe/Paris", "duration_minutes": 30,
    "slots": [{"starts_at": "2026-12-07T08:00:00Z", "ends_at": "2026-12-07T08:30:00Z",
               "local_start": "2026-12-07T09:00:00+01:00", "remaining": 2}]
}))]
pub struct UnitSlotsView {
    pub unit_id: String,
    /// The unit's name in the reader's language.
    pub name: String,
    /// Whether it is the filing's competent unit.
    pub competent: bool,
    /// For a nearby unit: how far from the competent one, in kilometres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
    pub timezone: String,
    pub duration_minutes: u32,
    pub slots: Vec<SlotView>,
}

/// The slots a citizen may book for a filing.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "filing_id": "0b9c1f8e-4d0a-4c55-9a51-0f3c2e1d7a10", "kind": "video",
    "units": [{"unit_id": "fr-pn-95-cergy", "name": "Commissariat de Cergy", "competent": true,
               "timezone": "Europe/Paris", "duration_minutes": 30,
               "slots": [{"starts_at": "2026-12-07T08:00:00Z", "ends_at": "2026-12-07T08:30:00Z",
                          "local_start": "2026-12-07T09:00:00+01:00", "remaining": 2}]}]
}))]
pub struct SlotSearchView {
    pub filing_id: String,
    /// `station` or `video`.
    pub kind: String,
    pub units: Vec<UnitSlotsView>,
}

/// A booking.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"starts_at": "2026-12-07T08:00:00Z"}))]
pub struct BookingBody {
    /// The slot's start, as the search gave it.
    pub starts_at: DateTime<Utc>,
    /// The unit (default: the competent one; a station appointment may be at a nearby
    /// unit the search offered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_id: Option<String>,
}

/// A move to another slot.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"starts_at": "2026-12-08T08:00:00Z"}))]
pub struct RescheduleBody {
    pub starts_at: DateTime<Utc>,
}

/// An appointment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "6f1d2c3b-0a9e-4f7d-8c6b-5a4e3d2c1b0a", "filing_id": "0b9c1f8e-4d0a-4c55-9a51-0f3c2e1d7a10",
    "unit_id": "fr-pn-95-cergy", "unit_name": "Commissariat de Cergy", "kind": "video",
    "status": "booked", "starts_at": "2026-12-07T08:00:00Z", "ends_at": "2026-12-07T08:30:00Z",
    "local_start": "2026-12-07T09:00:00+01:00", "local_end": "2026-12-07T09:30:00+01:00",
    "timezone": "Europe/Paris", "change_until": "2026-12-06T08:00:00Z", "version": 1,
    "calendar_url": "/v1/appointments/6f1d2c3b-0a9e-4f7d-8c6b-5a4e3d2c1b0a/calendar.ics",
    "video_room_url": "/v1/appointments/6f1d2c3b-0a9e-4f7d-8c6b-5a4e3d2c1b0a/video-room"
}))]
pub struct AppointmentView {
    pub id: String,
    pub filing_id: String,
    pub unit_id: String,
    pub unit_name: String,
    /// `station` or `video`.
    pub kind: String,
    /// `booked`, `cancelled`, `no_show` or `completed`.
    pub status: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// Start and end in the unit's local time, with their offsets (RFC 3339).
    pub local_start: String,
    pub local_end: String,
    pub timezone: String,
    /// `citizen` or `unit`, once cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_by: Option<String>,
    /// Why the unit cancelled, or why the complaint was not possible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `signed`, `complaint_taken` or `not_possible`, once completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Until when the citizen may reschedule or cancel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_until: Option<DateTime<Utc>>,
    /// Its version; the `ETag` is `"v<version>"`.
    pub version: i64,
    /// The event as an iCalendar file.
    pub calendar_url: String,
    /// For a video appointment: where to ask for the room's link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_room_url: Option<String>,
}

/// A list of appointments.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"items": []}))]
pub struct AppointmentList {
    pub items: Vec<AppointmentView>,
}

/// A video room's link, for one participant.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "url": "https://meet.example.org/ecom-3f9a?jwt=eyJ...", "room": "ecom-3f9a",
    "valid_from": "2026-12-07T07:50:00Z", "valid_until": "2026-12-07T08:30:00Z"
}))]
pub struct RoomView {
    pub url: String,
    pub room: String,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
}

/// The unit's cancellation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "The officer on duty is needed elsewhere; please book another slot."}))]
pub struct UnitCancelBody {
    /// Told to the citizen (1 to 1000 characters, trimmed).
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
}

/// What happened at the appointment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"outcome": "signed", "identity_document": "identity_card"}))]
pub struct OutcomeBody {
    /// `signed` (station: the pre-complaint signed, the identity checked),
    /// `complaint_taken` or `not_possible` (video).
    pub outcome: String,
    /// For `not_possible`: why (required; at most 1000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
    /// For `signed`: the document checked (`identity_card`, `passport`,
    /// `residence_permit`, `driving_licence`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_document: Option<String>,
}

/// An empty body (actions that need nothing more than `If-Match`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({}))]
pub struct EmptyBody {}

/// The agenda's query.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AgendaQuery {
    /// The local date (default today in the unit's zone); a week starts on its Monday.
    pub date: Option<NaiveDate>,
    /// `day` (default) or `week`.
    pub span: Option<String>,
}

/// The filing of an agenda entry.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AgendaFiling {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub procedure: String,
    pub status: String,
    pub language: String,
}

/// An agenda entry.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AgendaItem {
    pub appointment: AppointmentView,
    /// The filing, when it is in this unit's hands (a nearby station's appointment
    /// names only its id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filing: Option<AgendaFiling>,
}

/// A unit's agenda.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "unit_id": "fr-pn-95-cergy", "timezone": "Europe/Paris",
    "from": "2026-12-07T00:00:00+01:00", "until": "2026-12-08T00:00:00+01:00", "items": []
}))]
pub struct AgendaView {
    pub unit_id: String,
    pub timezone: String,
    /// The span, in local time: `[from, until)`.
    pub from: String,
    pub until: String,
    pub items: Vec<AgendaItem>,
}

/// A unit's new calendar feed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"url": "/v1/calendar-feeds/4f2a9c0e7b1d3e5f6a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d"}))]
pub struct FeedView {
    /// The feed's private URL (shown once; a new one replaces it).
    pub url: String,
}

/// The views of an appointment need its unit's zone and name.
pub struct ViewContext<'a> {
    pub tz: chrono_tz::Tz,
    pub unit_name: &'a str,
    pub change_cutoff_minutes: Option<u32>,
}

impl AppointmentView {
    pub fn new(a: &Appointment, ctx: &ViewContext<'_>) -> Self {
        let change_until = ctx
            .change_cutoff_minutes
            .filter(|_| a.status == domain::appointments::AppointmentStatus::Booked)
            .map(|m| a.starts_at - chrono::Duration::minutes(i64::from(m)));
        AppointmentView {
            id: a.id.clone(),
            filing_id: a.filing_id.clone(),
            unit_id: a.unit.clone(),
            unit_name: ctx.unit_name.to_owned(),
            kind: a.kind.to_string(),
            status: a.status.to_string(),
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            local_start: a.starts_at.with_timezone(&ctx.tz).to_rfc3339(),
            local_end: a.ends_at.with_timezone(&ctx.tz).to_rfc3339(),
            timezone: ctx.tz.name().to_owned(),
            cancelled_by: a.cancelled_by.map(|c| c.to_string()),
            reason: a.reason.clone(),
            outcome: a.outcome.map(|o| o.to_string()),
            change_until,
            version: a.version,
            calendar_url: format!("/v1/appointments/{}/calendar.ics", a.id),
            video_room_url: (a.kind == domain::appointments::AppointmentKind::Video)
                .then(|| format!("/v1/appointments/{}/video-room", a.id)),
        }
    }
}

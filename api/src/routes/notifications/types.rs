//! The request and response types of the citizen's notifications, and the views of
//! `domain::notices` shared with the filing's view and receipt (the end-of-case notice,
//! the case clock).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A support service for victims (Directive 2012/29/EU, Art. 4).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SupportServiceView {
    /// Stable id (`fr-france-victimes-116006`).
    pub id: String,
    /// `police`, `general` (victim support) or `helpline`.
    pub kind: String,
    /// The kind, in the reader's language.
    pub kind_label: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub web: Option<String>,
    /// Where the data comes from.
    pub source: String,
    /// Whether the value awaits confirmation by the country's police.
    pub to_confirm: bool,
}

/// How to object or ask for a review, and by when.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewView {
    /// What to do, in plain words.
    pub text: String,
    /// The legal remedy in the country.
    pub remedy: String,
    /// The time limit, in plain words.
    pub deadline: String,
    /// For a rejection or a redirect: the last day to ask the unit for a review (local
    /// date in the filing's country).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_by: Option<NaiveDate>,
    /// Days the law gives for the remedy after a judicial decision, when it sets a limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_days: Option<u32>,
    /// The legal texts, as cited.
    pub legal_basis: String,
}

/// What the citizen is told when their case ends: the reason, the review, the
/// victim-rights notice with the country's support services.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EndOfCaseView {
    /// `rejected`, `redirected` or `closed`.
    pub outcome: String,
    /// The language of the texts.
    pub language: String,
    /// The reason, in plain words (the officer's own words are in `decision`).
    pub reason: String,
    pub review: ReviewView,
    /// The victim-rights notice.
    pub victim_rights: String,
    pub support_services: Vec<SupportServiceView>,
    /// Where the country's data comes from.
    pub sources: Vec<String>,
    /// When the country's data was last reviewed (`YYYY-MM-DD`).
    pub reviewed: String,
}

/// A step of the filing still to come.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClockStepView {
    /// `taken_in_charge`, `your_answer` or `decision`.
    pub step: String,
    /// The step, in the reader's language.
    pub label: String,
    /// Expected at the latest by then; absent when it depends on the citizen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_by: Option<DateTime<Utc>>,
    /// Whether `expected_by` has passed.
    pub late: bool,
}

/// The processing target of the unit, in hours of its service time.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TargetView {
    pub take_in_charge_hours: u32,
    pub decision_hours: u32,
}

/// The filing's expected timeline: the steps still to come with their dates, from the
/// unit's processing target and service hours.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimelineView {
    /// Whether a step is late.
    pub late: bool,
    pub steps: Vec<ClockStepView>,
    pub target: TargetView,
    /// The unit's service hours (`mo-fr 08:00-18:00`), in its time zone.
    pub service_hours: String,
    pub time_zone: String,
    /// True when the hours are the country's default processing hours, not known for
    /// this unit.
    pub service_hours_are_default: bool,
}

/// A notification of the citizen's feed, in the reader's language.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0b6f4f5e-2c1d-4a3b-9e8f-7a6b5c4d3e2f", "event_id": "3", "event": "registered",
    "filing_id": "6f1c2a3e-8d7b-4c5a-9e0f-1a2b3c4d5e6f", "filing_url": "/v1/filings/6f1c2a3e-8d7b-4c5a-9e0f-1a2b3c4d5e6f",
    "reference": "EC-2026-7K2Q-9XHM-C", "record_number": "5271/2026/000042",
    "title": "Complaint registered",
    "text": "ZP Ottignies-Louvain-la-Neuve registered your filing EC-2026-7K2Q-9XHM-C under record number 5271/2026/000042. Keep this number: insurers and the public prosecutor ask for it.",
    "language": "en", "legally_required": true, "created_at": "2026-11-23T09:12:00Z", "read": false
}))]
pub struct NotificationView {
    pub id: String,
    /// The position in the feed: the stream's event id (`Last-Event-ID`) and the value
    /// `up_to_event_id` takes. Opaque: compare for equality only.
    pub event_id: String,
    /// `submitted`, `taken_in_charge`, `info_requested`, `registered`, `rejected`,
    /// `redirected`, `transferred`, `closed`, `appointment_cancelled` or
    /// `object_maybe_found`.
    pub event: String,
    pub filing_id: String,
    /// Where to read the filing.
    pub filing_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_number: Option<String>,
    /// For `object_maybe_found`: the municipal lost-property office holding the object
    /// (its registered name), when an office filed it; the text sends the owner there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_at: Option<String>,
    pub title: String,
    pub text: String,
    /// The language of `title` and `text`.
    pub language: String,
    /// The acknowledgement and the decisions: sent even when app notifications are off,
    /// if the app is the confirmation channel.
    pub legally_required: bool,
    pub created_at: DateTime<Utc>,
    pub read: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_at: Option<DateTime<Utc>>,
    /// For `rejected`, `redirected` and `closed`: the reason, the review and the
    /// victim-support services.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_of_case: Option<EndOfCaseView>,
}

/// A page of the feed, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [], "unread_count": 0}))]
pub struct NotificationList {
    pub items: Vec<NotificationView>,
    /// Send it as `cursor` for the next (older) page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// The citizen's unread notifications, all filings (or the filing asked for).
    pub unread_count: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// Only unread notifications.
    pub unread: Option<bool>,
    /// Only the notifications of this filing.
    pub filing_id: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page (1 to 18 digits).
    #[param(pattern = r"^[0-9]{1,18}$")]
    pub cursor: Option<String>,
    pub lang: Option<String>,
}

/// Which notifications to mark read: all unread ones, of one filing, up to one event.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"up_to_event_id": "12"}))]
pub struct MarkRead {
    /// Only this filing's notifications.
    pub filing_id: Option<String>,
    /// Only notifications up to this `event_id` (the newest the client has shown), so
    /// that one arriving meanwhile stays unread (1 to 18 digits).
    #[schema(pattern = r"^[0-9]{1,18}$")]
    pub up_to_event_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"marked": 3, "unread_count": 0}))]
pub struct MarkedRead {
    /// How many notifications were marked read.
    pub marked: u64,
    pub unread_count: i64,
}

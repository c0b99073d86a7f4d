//! Appointments with an officer: a station appointment to sign a pre-complaint, and a
//! video complaint (Visioplainte). Units publish capacity per kind (`capacity`); citizens
//! book a slot for one of their filings; officers cancel with a reason, record a no-show
//! or the outcome. Every command is a pure function of the appointment, the actor, the
//! input and `now`, returning the new state and its audit event; the store counts the
//! places of a slot under a lock.

pub mod capacity;
pub mod input;
pub mod timezone;

pub use capacity::{Capacity, Exception, OpenSlot, Slot};

use crate::audit::{Actor, AuditEvent, AuditOperation};
use crate::catalogue::{Assurance, Country};
use crate::filing::commands::OutgoingMessage;
use crate::filing::{ConfirmationChannel, Filing, MessageTemplate};
use crate::i18n::Lang;
use chrono::{DateTime, Duration, Utc};

crate::code_enum!(
    /// What kind of meeting: at a station's desk, or a video call.
    AppointmentKind, "appointment kind", {
        Station => "station",
        Video => "video",
    }
);

impl AppointmentKind {
    /// The kind a procedure's next step needs: `pre_complaint` is signed at a station,
    /// `video_complaint` is taken in a video call. Other procedures have none.
    pub fn for_procedure(procedure: &str) -> Option<Self> {
        match procedure {
            "pre_complaint" => Some(AppointmentKind::Station),
            "video_complaint" => Some(AppointmentKind::Video),
            _ => None,
        }
    }

    /// Whether the citizen may meet at another unit than the competent one (a nearby
    /// station); a video complaint is taken by the competent unit only.
    pub fn may_be_elsewhere(self) -> bool {
        self == AppointmentKind::Station
    }
}

crate::code_enum!(
    /// Where an appointment stands.
    AppointmentStatus, "appointment status", {
        Booked => "booked",
        Cancelled => "cancelled",
        NoShow => "no_show",
        Completed => "completed",
    }
);

crate::code_enum!(
    /// Who cancelled.
    CancelledBy, "cancelling party", {
        Citizen => "citizen",
        Unit => "unit",
    }
);

crate::code_enum!(
    /// What the officer recorded at the meeting.
    Outcome, "appointment outcome", {
        /// The pre-complaint was signed at the desk, the identity confirmed.
        Signed => "signed",
        /// The video complaint was taken (registered).
        ComplaintTaken => "complaint_taken",
        /// The complaint could not be taken (a reason is required).
        NotPossible => "not_possible",
    }
);

/// An identity document shown at the desk.
pub const IDENTITY_DOCUMENTS: &[&str] = &[
    "identity_card",
    "passport",
    "residence_permit",
    "driving_licence",
];

/// Longest reason for a cancellation or an outcome, in characters.
pub const REASON_MAX_CHARS: usize = 1000;

/// One appointment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    pub id: String,
    pub filing_id: String,
    /// The citizen (pseudonymous id) who booked.
    pub owner: String,
    pub unit: String,
    pub kind: AppointmentKind,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: AppointmentStatus,
    pub cancelled_by: Option<CancelledBy>,
    /// Why it was cancelled, or why the complaint was not possible.
    pub reason: Option<String>,
    pub outcome: Option<Outcome>,
    /// The officer who joined the video room, or recorded the outcome.
    pub officer_id: Option<String>,
    /// The identity document the officer checked at the desk.
    pub identity_document: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Why an appointment command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppointmentError {
    #[error("the unit does not offer this kind of appointment")]
    KindNotOffered,
    #[error("this procedure has no appointment")]
    NoAppointmentForProcedure,
    #[error("the unit is not the competent one or a nearby one offering this kind")]
    WrongUnit,
    #[error("the slot is in the past or within the notice")]
    SlotInPast,
    #[error("the slot is beyond the booking horizon")]
    SlotTooFar,
    #[error("the unit has no slot starting then")]
    NoSuchSlot,
    #[error("the slot is full")]
    SlotFull,
    #[error("the filing already has a booked appointment")]
    AlreadyBooked,
    #[error("the filing is not waiting for an appointment")]
    FilingNotReady,
    #[error("too late to change: the cut-off before the slot has passed")]
    ChangeWindowClosed,
    #[error("the appointment is {0}, not booked")]
    NotBooked(AppointmentStatus),
    #[error("the slot has not started yet")]
    NotStarted,
    #[error("the outcome does not fit this kind of appointment")]
    OutcomeNotForKind,
    #[error("the video room is not open yet")]
    RoomNotOpen { opens_at: DateTime<Utc> },
    #[error("the video room is closed")]
    RoomClosed,
    #[error("another officer holds this appointment")]
    OtherOfficer,
    #[error("insufficient level of assurance")]
    InsufficientAssurance { required: Assurance },
}

impl AppointmentError {
    /// The stable code of the problem.
    pub fn code(&self) -> &'static str {
        match self {
            AppointmentError::KindNotOffered => "appointment_kind_not_offered",
            AppointmentError::NoAppointmentForProcedure => "appointment_not_for_procedure",
            AppointmentError::WrongUnit => "appointment_wrong_unit",
            AppointmentError::SlotInPast => "slot_in_past",
            AppointmentError::SlotTooFar => "slot_too_far",
            AppointmentError::NoSuchSlot => "slot_not_found",
            AppointmentError::SlotFull => "slot_full",
            AppointmentError::AlreadyBooked => "appointment_already_booked",
            AppointmentError::FilingNotReady => "filing_not_ready_for_appointment",
            AppointmentError::ChangeWindowClosed => "appointment_change_closed",
            AppointmentError::NotBooked(_) => "appointment_not_booked",
            AppointmentError::NotStarted => "appointment_not_started",
            AppointmentError::OutcomeNotForKind => "outcome_not_for_kind",
            AppointmentError::RoomNotOpen { .. } => "video_room_not_open",
            AppointmentError::RoomClosed => "video_room_closed",
            AppointmentError::OtherOfficer => "appointment_other_officer",
            AppointmentError::InsufficientAssurance { .. } => "insufficient_assurance",
        }
    }

    /// Every code above.
    pub const CODES: [&'static str; 16] = [
        "appointment_kind_not_offered",
        "appointment_not_for_procedure",
        "appointment_wrong_unit",
        "slot_in_past",
        "slot_too_far",
        "slot_not_found",
        "slot_full",
        "appointment_already_booked",
        "filing_not_ready_for_appointment",
        "appointment_change_closed",
        "appointment_not_booked",
        "appointment_not_started",
        "outcome_not_for_kind",
        "video_room_not_open",
        "video_room_closed",
        "appointment_other_officer",
    ];
}

/// A change to an appointment: its new state and the audit event. The store writes the
/// appointment only if it is still at `expected_version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub appointment: Appointment,
    pub expected_version: Option<i64>,
    pub audit: AuditEvent,
}

/// The minimum level of assurance for a video complaint in `country`, from the
/// deployment's configuration (`configured`), else substantial.
pub fn video_assurance(configured: Option<Assurance>) -> Assurance {
    configured.unwrap_or(Assurance::Substantial)
}

/// Checks the citizen's level of assurance for a kind of appointment.
pub fn check_assurance(
    kind: AppointmentKind,
    citizen: Assurance,
    required_video: Assurance,
) -> Result<(), AppointmentError> {
    if kind == AppointmentKind::Video && !citizen.satisfies(required_video) {
        return Err(AppointmentError::InsufficientAssurance {
            required: required_video,
        });
    }
    Ok(())
}

/// What a new booking needs besides the slot.
pub struct NewBooking<'a> {
    pub id: String,
    pub filing_id: &'a str,
    pub owner: &'a str,
    pub unit: &'a str,
    pub kind: AppointmentKind,
    pub actor: Actor,
}

impl Appointment {
    /// A new booking of `slot` (already checked bookable and not full).
    pub fn book(new: NewBooking<'_>, slot: Slot, now: DateTime<Utc>) -> Change {
        let appointment = Appointment {
            id: new.id,
            filing_id: new.filing_id.to_owned(),
            owner: new.owner.to_owned(),
            unit: new.unit.to_owned(),
            kind: new.kind,
            starts_at: slot.starts_at,
            ends_at: slot.ends_at,
            status: AppointmentStatus::Booked,
            cancelled_by: None,
            reason: None,
            outcome: None,
            officer_id: None,
            identity_document: None,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let audit = AuditEvent::new(
            new.actor,
            AuditOperation::Collection,
            "appointment",
            Some(&appointment.id),
            now,
        );
        Change {
            appointment,
            expected_version: None,
            audit,
        }
    }

    fn changed(
        &self,
        actor: Actor,
        now: DateTime<Utc>,
        edit: impl FnOnce(&mut Appointment),
    ) -> Change {
        let mut appointment = self.clone();
        edit(&mut appointment);
        appointment.version = self.version + 1;
        appointment.updated_at = now;
        let audit = AuditEvent::new(
            actor,
            AuditOperation::Alteration,
            "appointment",
            Some(&self.id),
            now,
        );
        Change {
            appointment,
            expected_version: Some(self.version),
            audit,
        }
    }

    fn must_be_booked(&self) -> Result<(), AppointmentError> {
        match self.status {
            AppointmentStatus::Booked => Ok(()),
            other => Err(AppointmentError::NotBooked(other)),
        }
    }

    /// Whether the citizen may still change it at `now` (`cutoff_minutes` before).
    pub fn citizen_may_change(&self, cutoff_minutes: u32, now: DateTime<Utc>) -> bool {
        now + Duration::minutes(i64::from(cutoff_minutes)) <= self.starts_at
    }

    /// The citizen moves it to `slot` (checked bookable and not full, itself excluded).
    pub fn reschedule(
        &self,
        slot: Slot,
        cutoff_minutes: u32,
        actor: Actor,
        now: DateTime<Utc>,
    ) -> Result<Change, AppointmentError> {
        self.must_be_booked()?;
        if !self.citizen_may_change(cutoff_minutes, now) {
            return Err(AppointmentError::ChangeWindowClosed);
        }
        Ok(self.changed(actor, now, |a| {
            a.starts_at = slot.starts_at;
            a.ends_at = slot.ends_at;
        }))
    }

    /// The citizen cancels, up to the cut-off.
    pub fn cancel_by_citizen(
        &self,
        cutoff_minutes: u32,
        actor: Actor,
        now: DateTime<Utc>,
    ) -> Result<Change, AppointmentError> {
        self.must_be_booked()?;
        if !self.citizen_may_change(cutoff_minutes, now) {
            return Err(AppointmentError::ChangeWindowClosed);
        }
        Ok(self.changed(actor, now, |a| {
            a.status = AppointmentStatus::Cancelled;
            a.cancelled_by = Some(CancelledBy::Citizen);
        }))
    }

    /// The unit cancels, at any time before the end, with a reason the citizen is told.
    pub fn cancel_by_unit(
        &self,
        reason: &str,
        actor: Actor,
        now: DateTime<Utc>,
    ) -> Result<Change, AppointmentError> {
        self.must_be_booked()?;
        Ok(self.changed(actor, now, |a| {
            a.status = AppointmentStatus::Cancelled;
            a.cancelled_by = Some(CancelledBy::Unit);
            a.reason = Some(reason.to_owned());
        }))
    }

    /// The citizen did not come (or did not join): recorded once the slot has started.
    pub fn no_show(
        &self,
        officer: &str,
        actor: Actor,
        now: DateTime<Utc>,
    ) -> Result<Change, AppointmentError> {
        self.must_be_booked()?;
        if now < self.starts_at {
            return Err(AppointmentError::NotStarted);
        }
        Ok(self.changed(actor, now, |a| {
            a.status = AppointmentStatus::NoShow;
            a.officer_id = Some(officer.to_owned());
        }))
    }

    /// The officer records what happened: `signed` (station, with the identity document
    /// checked), `complaint_taken` or `not_possible` with a reason (video). Only once the
    /// slot has started.
    pub fn complete(
        &self,
        outcome: Outcome,
        detail: Option<&str>,
        officer: &str,
        actor: Actor,
        now: DateTime<Utc>,
    ) -> Result<Change, AppointmentError> {
        self.must_be_booked()?;
        let fits = match outcome {
            Outcome::Signed => self.kind == AppointmentKind::Station,
            Outcome::ComplaintTaken | Outcome::NotPossible => self.kind == AppointmentKind::Video,
        };
        if !fits {
            return Err(AppointmentError::OutcomeNotForKind);
        }
        if now < self.starts_at {
            return Err(AppointmentError::NotStarted);
        }
        Ok(self.changed(actor, now, |a| {
            a.status = AppointmentStatus::Completed;
            a.outcome = Some(outcome);
            a.officer_id = Some(officer.to_owned());
            match outcome {
                Outcome::Signed => a.identity_document = detail.map(str::to_owned),
                _ => a.reason = detail.map(str::to_owned),
            }
        }))
    }

    /// When its video room may be joined: from `early_minutes` before the start to the
    /// end.
    pub fn room_window(&self, early_minutes: u32) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            self.starts_at - Duration::minutes(i64::from(early_minutes)),
            self.ends_at,
        )
    }

    /// Whether a participant may be given the video room's link at `now`.
    pub fn check_room(
        &self,
        early_minutes: u32,
        now: DateTime<Utc>,
    ) -> Result<(), AppointmentError> {
        if self.kind != AppointmentKind::Video {
            return Err(AppointmentError::OutcomeNotForKind);
        }
        self.must_be_booked()?;
        let (opens, closes) = self.room_window(early_minutes);
        if now < opens {
            return Err(AppointmentError::RoomNotOpen { opens_at: opens });
        }
        if now >= closes {
            return Err(AppointmentError::RoomClosed);
        }
        Ok(())
    }

    /// The officer who joins the room: the first member of the unit to ask holds it;
    /// another officer is refused (the link goes to the two participants only).
    pub fn room_officer(&self, officer: &str) -> Result<bool, AppointmentError> {
        match &self.officer_id {
            None => Ok(true),
            Some(holder) if holder == officer => Ok(false),
            Some(_) => Err(AppointmentError::OtherOfficer),
        }
    }
}

/// Whom an appointment's messages go to, and how: taken from its filing
/// ([`Addressee::of`]), by the channel the citizen chose (e-mail when none), in the
/// filing's language, with its reference and country (whose time zone the texts use).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressee {
    pub reference: Option<String>,
    pub channel: ConfirmationChannel,
    pub language: Lang,
    pub country: Country,
}

impl Addressee {
    pub fn of(filing: &Filing) -> Self {
        Addressee {
            reference: filing.reference.as_ref().map(|r| r.as_str().to_owned()),
            channel: filing
                .confirmation_channel
                .unwrap_or(ConfirmationChannel::Email),
            language: filing.language,
            country: filing.country,
        }
    }
}

/// A message to queue in the notification outbox, not to be delivered before `due_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reminder {
    pub due_at: DateTime<Utc>,
    pub message: OutgoingMessage,
}

/// How long before the slot the reminder goes out, in hours.
pub const REMINDER_HOURS_BEFORE: i64 = 24;

/// The outbox topic of an appointment's reminder: at most one pending message per topic
/// stands, so a reschedule replaces the reminder and a cancellation withdraws it.
pub fn reminder_topic(appointment_id: &str) -> String {
    format!("appointment:{appointment_id}:reminder")
}

/// What every message about an appointment carries: ids, the unit, the kind and the
/// start (never the facts of the filing).
fn payload(
    appointment: &Appointment,
    to: &Addressee,
) -> serde_json::Map<String, serde_json::Value> {
    let mut payload = serde_json::Map::new();
    if let Some(reference) = &to.reference {
        payload.insert("reference".into(), reference.as_str().into());
    }
    for (key, value) in [
        ("appointment_id", appointment.id.as_str()),
        ("unit_id", appointment.unit.as_str()),
        ("kind", appointment.kind.as_str()),
        ("country", to.country.as_str()),
    ] {
        payload.insert(key.into(), value.into());
    }
    payload.insert(
        "starts_at".into(),
        appointment.starts_at.to_rfc3339().into(),
    );
    payload
}

/// The reminder of a booked appointment (template `appointment_reminder`), due
/// [`REMINDER_HOURS_BEFORE`] hours before its start; `None` when that moment has passed
/// at `now` (a booking made less than 24 h ahead) or the appointment is not booked.
/// Queued under [`reminder_topic`], so that a reschedule replaces it. Only by e-mail: a
/// letter posted a day before would arrive after the appointment, and the app holds the
/// booking, whose calendar entry (`GET /v1/appointments/{id}/calendar.ics`) carries the
/// same alarm 24 h before.
pub fn reminder(appointment: &Appointment, to: &Addressee, now: DateTime<Utc>) -> Option<Reminder> {
    if appointment.status != AppointmentStatus::Booked || to.channel != ConfirmationChannel::Email {
        return None;
    }
    let due_at = appointment.starts_at - Duration::hours(REMINDER_HOURS_BEFORE);
    (due_at > now).then(|| Reminder {
        due_at,
        message: OutgoingMessage {
            channel: to.channel,
            template: MessageTemplate::AppointmentReminder.as_str(),
            language: to.language,
            payload: payload(appointment, to).into(),
        },
    })
}

/// The citizen's message when the unit cancels (template
/// `appointment_cancelled_by_unit`): the appointment's start and the officer's reason,
/// which the citizen reads.
pub fn cancellation_message(
    appointment: &Appointment,
    to: &Addressee,
    reason: &str,
) -> OutgoingMessage {
    let mut payload = payload(appointment, to);
    payload.insert("reason".into(), reason.into());
    OutgoingMessage {
        channel: to.channel,
        template: MessageTemplate::AppointmentCancelledByUnit.as_str(),
        language: to.language,
        payload: payload.into(),
    }
}

#[cfg(test)]
mod tests;

//! The messages a status change sends the citizen (issue 15), by the channel they chose,
//! in the filing's language. A message's payload holds references, ids, dates and the
//! decision's words addressed to the citizen: never the facts, the items, serial numbers
//! or the unit's internal notes (e-mail and post are not secure channels). The texts are
//! the delivery's (`api::delivery`), from message catalogues keyed by the template.

use super::commands::OutgoingMessage;
use super::model::Filing;
use super::FilingStatus;
use serde_json::{json, Map, Value};

crate::code_enum!(
    /// What a message tells the citizen; the template of its texts.
    MessageTemplate, "message template", {
        /// The acknowledgement: reference, competent unit, expected processing time.
        Submitted => "filing_submitted",
        /// The confirmation the Belgian source promises once the unit takes it in charge.
        TakenInCharge => "filing_taken_in_charge",
        /// The unit asks a question: answer through the link.
        InfoRequested => "filing_info_requested",
        /// Registered, with the record number.
        Registered => "filing_registered",
        /// Refused, with the reason and where to go.
        Rejected => "filing_rejected",
        /// Not for the police online: where to go instead, and why.
        Redirected => "filing_redirected",
        /// Sent on to another unit, named.
        Transferred => "filing_transferred",
        /// Closed.
        Closed => "filing_closed",
        /// An appointment is tomorrow (`domain::appointments::reminder`).
        AppointmentReminder => "appointment_reminder",
        /// The unit cancelled an appointment, with its reason.
        AppointmentCancelledByUnit => "appointment_cancelled_by_unit",
        /// An object that may be the citizen's lost or stolen one was found; the unit
        /// holding it is named, the finder never (issue 20, `domain::items::found_notice`).
        ObjectMaybeFound => "object_maybe_found",
        /// The other holder of parental authority is asked to consent to a minor's travel
        /// authorisation, through a single-use link (issue 19, `domain::travel`).
        TravelInvitation => "travel_invitation",
        /// The other holder refused: the request ends (told to its requester).
        TravelRefused => "travel_refused",
    }
);

impl MessageTemplate {
    /// The template announcing a change to `status`, if that change notifies the citizen
    /// (a draft, a withdrawal by the citizen and an answer do not).
    pub fn for_status(status: FilingStatus) -> Option<Self> {
        Some(match status {
            FilingStatus::Submitted => Self::Submitted,
            FilingStatus::TakenInCharge => Self::TakenInCharge,
            FilingStatus::InfoRequested => Self::InfoRequested,
            FilingStatus::Registered => Self::Registered,
            FilingStatus::Rejected => Self::Rejected,
            FilingStatus::Redirected => Self::Redirected,
            FilingStatus::Transferred => Self::Transferred,
            FilingStatus::Closed => Self::Closed,
            FilingStatus::Draft | FilingStatus::Withdrawn => return None,
        })
    }

    /// Payload members every message of this template carries (besides `reference`).
    pub fn required_members(self) -> &'static [&'static str] {
        match self {
            Self::Submitted => &["unit_id", "submitted_at", "country"],
            Self::TakenInCharge | Self::Closed => &["unit_id"],
            Self::InfoRequested => &["filing_id"],
            Self::Registered => &["unit_id", "record_number"],
            Self::Rejected => &["unit_id", "reason"],
            Self::Redirected => &["unit_id", "reason", "where_to_go"],
            Self::Transferred => &["unit_id", "from_unit_id"],
            Self::AppointmentReminder => &["unit_id", "kind", "starts_at", "country"],
            Self::AppointmentCancelledByUnit => {
                &["unit_id", "kind", "starts_at", "country", "reason"]
            }
            Self::ObjectMaybeFound => &["unit_id"],
            Self::TravelInvitation => &["link", "expires_at"],
            Self::TravelRefused => &[],
        }
    }
}

impl Filing {
    /// The messages telling the citizen that the filing (as it is after a change from
    /// `previous`) reached its status: one by the channel they chose, none when the new
    /// status notifies nobody or no channel was ever chosen (a draft). Used by
    /// [`Filing::submit`] and [`Filing::act`].
    pub fn status_messages(&self, previous: &Filing) -> Vec<OutgoingMessage> {
        let (Some(template), Some(channel)) = (
            MessageTemplate::for_status(self.status),
            self.confirmation_channel,
        ) else {
            return Vec::new();
        };
        let mut payload = Map::new();
        let mut put = |key: &str, value: Value| {
            if !value.is_null() {
                payload.insert(key.to_owned(), value);
            }
        };
        put(
            "reference",
            json!(self.reference.as_ref().map(|r| r.as_str())),
        );
        put("unit_id", json!(self.unit));
        match template {
            MessageTemplate::Submitted => {
                put("submitted_at", json!(self.submitted_at));
                put("country", json!(self.country.as_str()));
            }
            MessageTemplate::InfoRequested => put("filing_id", json!(self.id)),
            MessageTemplate::Registered => put("record_number", json!(self.record_number)),
            MessageTemplate::Rejected | MessageTemplate::Redirected => {
                if let Some(decision) = &self.decision {
                    put("reason", json!(decision.explanation));
                    put("where_to_go", json!(decision.where_to_go));
                }
            }
            MessageTemplate::Transferred => put("from_unit_id", json!(previous.unit)),
            MessageTemplate::TakenInCharge
            | MessageTemplate::Closed
            | MessageTemplate::AppointmentReminder
            | MessageTemplate::AppointmentCancelledByUnit
            | MessageTemplate::ObjectMaybeFound
            | MessageTemplate::TravelInvitation
            | MessageTemplate::TravelRefused => {}
        }
        vec![OutgoingMessage {
            channel,
            template: template.as_str(),
            language: self.language,
            payload: Value::Object(payload),
        }]
    }
}

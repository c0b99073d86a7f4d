//! The in-app notification feed: which status changes notify the citizen, what a
//! notification records (no personal facts), and its title and text in a language.
//!
//! | change | event | legally required |
//! |---|---|---|
//! | submit | `submitted` (the acknowledgement, with the reference) | yes |
//! | take in charge | `taken_in_charge` (the confirmation the Belgian source promises) | yes |
//! | request information | `info_requested` | no |
//! | register | `registered` (with the record number) | yes |
//! | reject, redirect | `rejected`, `redirected` | yes |
//! | transfer | `transferred` (naming the new unit) | no |
//! | close | `closed` | yes |
//!
//! A draft's creation, a withdrawal and the citizen's answer are the citizen's own acts
//! and notify nobody. "Legally required" are the acknowledgement of the complaint and the
//! decisions on it (Directive 2012/29/EU, Art. 5 and 6): when the citizen turned app
//! notifications off, these still reach the feed if the app is their chosen confirmation
//! channel; the others do not.

use crate::catalogue::Country;
use crate::filing::{ConfirmationChannel, Filing, FilingAction, FilingStatus, HistoryEntry};
use crate::i18n::Lang;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

crate::code_enum!(
    /// What happened to a filing, as a notification names it.
    NoticeEvent, "notice event", {
        Submitted => "submitted",
        TakenInCharge => "taken_in_charge",
        InfoRequested => "info_requested",
        Registered => "registered",
        Rejected => "rejected",
        Redirected => "redirected",
        Transferred => "transferred",
        Closed => "closed",
        /// The unit cancelled the citizen's appointment (not a status change).
        AppointmentCancelled => "appointment_cancelled",
        /// An object found and held by a unit may be the citizen's lost or stolen one
        /// (issue 20; not a status change).
        ObjectMaybeFound => "object_maybe_found",
    }
);

impl NoticeEvent {
    /// The event of a status change, if it notifies the citizen.
    pub fn of_change(entry: &HistoryEntry) -> Option<Self> {
        Some(match entry.to {
            FilingStatus::Submitted => NoticeEvent::Submitted,
            // Back to the officer after the citizen's own answer: nothing to tell them.
            FilingStatus::TakenInCharge if entry.action == FilingAction::TakeInCharge.as_str() => {
                NoticeEvent::TakenInCharge
            }
            FilingStatus::InfoRequested => NoticeEvent::InfoRequested,
            FilingStatus::Registered => NoticeEvent::Registered,
            FilingStatus::Rejected => NoticeEvent::Rejected,
            FilingStatus::Redirected => NoticeEvent::Redirected,
            FilingStatus::Transferred => NoticeEvent::Transferred,
            FilingStatus::Closed => NoticeEvent::Closed,
            FilingStatus::Draft | FilingStatus::Withdrawn | FilingStatus::TakenInCharge => {
                return None
            }
        })
    }

    /// Whether the law requires telling the citizen (the acknowledgement and decisions).
    pub fn legally_required(self) -> bool {
        !matches!(self, NoticeEvent::InfoRequested | NoticeEvent::Transferred)
    }

    /// Whether the notification ends the case for the citizen (it carries the end-of-case
    /// notice: reason, review, victim support).
    pub fn outcome(self) -> Option<super::Outcome> {
        match self {
            NoticeEvent::Rejected => Some(super::Outcome::Rejected),
            NoticeEvent::Redirected => Some(super::Outcome::Redirected),
            NoticeEvent::Closed => Some(super::Outcome::Closed),
            _ => None,
        }
    }
}

/// What a notification records: codes and numbers the citizen already has, never the
/// facts, the items, the officer's explanation or notes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticePayload {
    /// The filing's reference number (`EC-2026-7K2Q-9XHM-C`).
    pub reference: Option<String>,
    /// The procedure's code.
    pub procedure: String,
    /// The filing's country code (`BE`), which decides the end-of-case notice.
    pub country: String,
    /// The unit in charge after the change (for a transfer: the new unit).
    pub unit: Option<String>,
    /// For a transfer: the unit that handed the filing over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_unit: Option<String>,
    /// Once registered: the record number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_number: Option<String>,
    /// For an object that may be the owner's: the municipal lost-property office holding
    /// it (its registered name), when an office filed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_at: Option<String>,
}

impl NoticePayload {
    /// The filing's country, if the payload names a known one.
    pub fn country(&self) -> Option<Country> {
        self.country.parse().ok()
    }
}

/// A notification to write in the citizen's feed, in the transaction of the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub event: NoticeEvent,
    /// The citizen's pseudonymous id: the feed's owner.
    pub owner: String,
    pub filing_id: String,
    pub payload: NoticePayload,
    pub at: DateTime<Utc>,
}

/// The notification a status change of `filing` (`entry`, already applied: `filing` is
/// the state after it) puts in the citizen's feed, if any: none for their own acts, none
/// when they turned app notifications off, except the legally required ones when the app
/// is their confirmation channel. `previous_unit` is the unit before the change.
pub fn notice_for(
    filing: &Filing,
    entry: &HistoryEntry,
    previous_unit: Option<&str>,
) -> Option<Notice> {
    let event = NoticeEvent::of_change(entry)?;
    let by_app = filing.confirmation_channel == Some(ConfirmationChannel::App);
    let wanted = filing.app_notifications || (by_app && event.legally_required());
    if !wanted {
        return None;
    }
    Some(Notice {
        event,
        owner: filing.owner.clone(),
        filing_id: filing.id.clone(),
        payload: NoticePayload {
            reference: filing.reference.as_ref().map(|r| r.as_str().to_owned()),
            procedure: filing.procedure.clone(),
            country: filing.country.as_str().to_owned(),
            unit: filing.unit.clone(),
            previous_unit: (event == NoticeEvent::Transferred)
                .then(|| previous_unit.map(str::to_owned))
                .flatten(),
            record_number: (event == NoticeEvent::Registered)
                .then(|| filing.record_number.clone())
                .flatten(),
            held_at: None,
        },
        at: entry.at,
    })
}

/// The notification of an appointment that `unit` cancelled, for the filing's owner: in
/// the feed when the app is their confirmation channel or they want app notifications
/// (the same rule as a status change's; the e-mail or letter goes by the outbox).
pub fn appointment_cancelled_notice(
    filing: &Filing,
    unit: &str,
    at: DateTime<Utc>,
) -> Option<Notice> {
    let by_app = filing.confirmation_channel == Some(ConfirmationChannel::App);
    if !(filing.app_notifications || by_app) {
        return None;
    }
    Some(Notice {
        event: NoticeEvent::AppointmentCancelled,
        owner: filing.owner.clone(),
        filing_id: filing.id.clone(),
        payload: NoticePayload {
            reference: filing.reference.as_ref().map(|r| r.as_str().to_owned()),
            procedure: filing.procedure.clone(),
            country: filing.country.as_str().to_owned(),
            unit: Some(unit.to_owned()),
            previous_unit: None,
            record_number: None,
            held_at: None,
        },
        at,
    })
}

/// The notification that an object known to `unit` may be the one the owner of the lost
/// or stolen `filing` declared (lost and found matching, issue 20): in the feed under the
/// same rule as a status change's; the e-mail or letter goes by the outbox
/// (`crate::items::found_notice`). `held_at` names the municipal lost-property office
/// holding it, when an office filed it (the text then sends the owner there). The finder
/// is never named.
pub fn object_found_notice(
    filing: &Filing,
    unit: &str,
    held_at: Option<&str>,
    at: DateTime<Utc>,
) -> Option<Notice> {
    let mut notice = appointment_cancelled_notice(filing, unit, at)?;
    notice.payload.held_at = held_at.map(str::to_owned);
    Some(Notice {
        event: NoticeEvent::ObjectMaybeFound,
        ..notice
    })
}

/// A notification's title and text, in `language`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedText {
    pub title: String,
    pub text: String,
    /// The language served (after the fallback chain).
    pub language: Lang,
}

/// The title and text of `event` in `lang`. `names` gives the display names the texts
/// use: `procedure` (the procedure's name), `unit` and `previous_unit` (units' names);
/// the reference and record number come from `payload`.
pub fn feed_text(
    lang: Lang,
    event: NoticeEvent,
    payload: &NoticePayload,
    names: &FeedNames,
) -> FeedText {
    let language = super::served(lang);
    let params = [
        ("reference", payload.reference.clone().unwrap_or_default()),
        (
            "record_number",
            payload.record_number.clone().unwrap_or_default(),
        ),
        ("procedure", names.procedure.clone()),
        ("unit", names.unit.clone()),
        ("previous_unit", names.previous_unit.clone()),
        ("held_at", payload.held_at.clone().unwrap_or_default()),
    ];
    // An object held at a lost-property office sends the owner there, not to the unit.
    let text = match payload.held_at {
        Some(_) => format!("notice.{event}.text_held_at"),
        None => format!("notice.{event}.text"),
    };
    FeedText {
        title: super::render(language, &format!("notice.{event}.title"), &params),
        text: super::render(language, &text, &params),
        language,
    }
}

/// Display names a notification's text needs, in the reader's language.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedNames {
    pub procedure: String,
    pub unit: String,
    pub previous_unit: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filing::model::Contact;

    fn entry(to: FilingStatus, action: FilingAction) -> HistoryEntry {
        HistoryEntry {
            at: DateTime::parse_from_rfc3339("2026-11-30T10:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            from: None,
            to,
            action: action.as_str().to_owned(),
            actor_role: "officer".into(),
            actor_id: "o-1".into(),
        }
    }

    #[test]
    fn which_changes_notify() {
        use FilingAction as A;
        use FilingStatus as S;
        let cases = [
            (S::Submitted, A::Submit, Some(NoticeEvent::Submitted)),
            (
                S::TakenInCharge,
                A::TakeInCharge,
                Some(NoticeEvent::TakenInCharge),
            ),
            (S::TakenInCharge, A::AnswerInfoRequest, None),
            (
                S::InfoRequested,
                A::RequestInfo,
                Some(NoticeEvent::InfoRequested),
            ),
            (S::Registered, A::Register, Some(NoticeEvent::Registered)),
            (S::Rejected, A::Reject, Some(NoticeEvent::Rejected)),
            (S::Redirected, A::Redirect, Some(NoticeEvent::Redirected)),
            (S::Transferred, A::Transfer, Some(NoticeEvent::Transferred)),
            (S::Closed, A::Close, Some(NoticeEvent::Closed)),
            (S::Withdrawn, A::Withdraw, None),
            (S::Draft, A::Update, None),
        ];
        for (to, action, expected) in cases {
            assert_eq!(
                NoticeEvent::of_change(&entry(to, action)),
                expected,
                "{to} {action}"
            );
        }
    }

    fn filing(channel: ConfirmationChannel, app: bool) -> Filing {
        Filing {
            id: "f-1".into(),
            owner: "citizen-1".into(),
            procedure: "bicycle_theft".into(),
            country: Country::Be,
            declarant: crate::catalogue::DeclarantKind::Person,
            language: Lang::Fr,
            place: Default::default(),
            facts_date: None,
            facts:
                serde_json::json!({"circumstances": "secret", "items": [{"serial_number": "GZ1"}]})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            answers: Default::default(),
            contact: Contact {
                email: Some("alice@example.org".into()),
                ..Contact::default()
            },
            confirmation_channel: Some(channel),
            app_notifications: app,
            status: FilingStatus::Registered,
            unit: Some("zp-a".into()),
            municipality: None,
            assigned_officer: Some("o-1".into()),
            reference: None,
            record_number: Some("5271/2026/000001".into()),
            info_request: None,
            info_answer: None,
            decision: None,
            version: 4,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            submitted_at: None,
            channel: None,
        }
    }

    #[test]
    fn unsubscribed_citizens_still_get_required_notices_by_their_chosen_channel() {
        let registered = entry(FilingStatus::Registered, FilingAction::Register);
        let info = entry(FilingStatus::InfoRequested, FilingAction::RequestInfo);
        let subscribed = filing(ConfirmationChannel::Email, true);
        assert!(notice_for(&subscribed, &info, None).is_some());
        let by_email = filing(ConfirmationChannel::Email, false);
        assert!(notice_for(&by_email, &registered, None).is_none());
        assert!(notice_for(&by_email, &info, None).is_none());
        let by_app = filing(ConfirmationChannel::App, false);
        assert!(notice_for(&by_app, &registered, None).is_some());
        assert!(notice_for(&by_app, &info, None).is_none());
    }

    #[test]
    fn a_notice_holds_no_facts_and_reads_in_every_language() {
        let notice = notice_for(
            &filing(ConfirmationChannel::Email, true),
            &entry(FilingStatus::Registered, FilingAction::Register),
            Some("zp-a"),
        )
        .unwrap();
        let json = serde_json::to_string(&notice.payload).unwrap();
        assert!(!json.contains("secret") && !json.contains("GZ1"), "{json}");
        assert!(!json.contains("alice"), "{json}");
        assert_eq!(
            notice.payload.record_number.as_deref(),
            Some("5271/2026/000001")
        );
        assert_eq!(notice.payload.previous_unit, None);
        let names = FeedNames {
            procedure: "Vol de vélo".into(),
            unit: "Zone Ottignies".into(),
            previous_unit: String::new(),
        };
        for lang in Lang::ALL {
            let text = feed_text(lang, NoticeEvent::Registered, &notice.payload, &names);
            assert!(
                text.text.contains("5271/2026/000001"),
                "{lang}: {}",
                text.text
            );
            assert!(!text.title.is_empty());
        }
        assert_eq!(
            feed_text(Lang::Lb, NoticeEvent::Closed, &notice.payload, &names).language,
            Lang::De
        );
    }

    #[test]
    fn an_object_held_at_a_lost_property_office_sends_the_owner_there() {
        let mut owner = filing(ConfirmationChannel::App, true);
        let reference = crate::filing::ReferenceNumber::generate(2026, 7);
        owner.reference = Some(reference.clone());
        let names = FeedNames {
            procedure: "Objet perdu".into(),
            unit: "Zone Ottignies".into(),
            previous_unit: String::new(),
        };
        let at_office =
            object_found_notice(&owner, "zp-a", Some("Objets trouvés de Wavre"), Utc::now())
                .unwrap();
        let at_unit = object_found_notice(&owner, "zp-a", None, Utc::now()).unwrap();
        for lang in Lang::ALL {
            let office = feed_text(lang, at_office.event, &at_office.payload, &names).text;
            assert!(
                office.starts_with("Objets trouvés de Wavre"),
                "{lang}: {office}"
            );
            assert!(office.contains(reference.as_str()) && office.contains("Zone Ottignies"));
            let unit = feed_text(lang, at_unit.event, &at_unit.payload, &names).text;
            assert!(
                !unit.contains("Wavre") && !unit.contains('{'),
                "{lang}: {unit}"
            );
        }
    }
}

//! How the citizen is told about their filing, changed after creation: the confirmation
//! channel (e-mail, post, app) with the address it needs, and whether they want the
//! filing's notifications in the app. A draft's members change by `update` as well; this
//! command works in every status but the final ones, so that a citizen who moved or
//! changed address still receives the decision.

use super::commands::{check_length, issue, valid_email, Effects, FilingError};
use super::model::{ConfirmationChannel, Filing};
use super::{transition, ActorKind, FilingAction};
use crate::actor::CitizenActor;
use crate::audit::{AuditEvent, AuditOperation};
use crate::limits;
use chrono::{DateTime, Utc};

/// The changes, as received; absent members are unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreferencesInput {
    pub confirmation_channel: Option<ConfirmationChannel>,
    /// A new e-mail address for the confirmation (needed by the e-mail channel).
    pub email: Option<String>,
    /// A new postal address for the confirmation (needed by the post channel).
    pub postal_address: Option<String>,
    /// Whether to receive the filing's notifications in the app.
    pub app_notifications: Option<bool>,
}

impl PreferencesInput {
    fn is_empty(&self) -> bool {
        self.confirmation_channel.is_none()
            && self.email.is_none()
            && self.postal_address.is_none()
            && self.app_notifications.is_none()
    }
}

impl Filing {
    /// Changes how the citizen is told about the filing; `if_match` is the version they
    /// read. Audited as an alteration; no status change, so no history entry and no
    /// notification.
    ///
    /// # Errors
    /// `Stale`; `InvalidTransition` for a withdrawn or closed filing; `Invalid`: an empty
    /// change (`""`, `required`), an invalid e-mail (`/email`, `invalid_email`), a postal
    /// address over its limit (`too_long`), or a channel without its address
    /// (`/email` or `/postal_address`, `required`).
    pub fn change_preferences(
        &self,
        citizen: &CitizenActor,
        input: PreferencesInput,
        if_match: i64,
        now: DateTime<Utc>,
    ) -> Result<Effects, FilingError> {
        if self.version != if_match {
            return Err(FilingError::Stale);
        }
        let next = transition(
            self.status,
            FilingAction::ChangePreferences,
            ActorKind::Citizen,
        )?;
        if input.is_empty() {
            return Err(FilingError::Invalid(vec![issue("", "required")]));
        }
        let mut errors = Vec::new();
        let email = input.email.map(|e| e.trim().to_owned());
        if email.as_deref().is_some_and(|e| !valid_email(e)) {
            errors.push(issue("/email", "invalid_email"));
        }
        let postal = input.postal_address.map(|p| p.trim().to_owned());
        if postal.as_deref().is_some_and(str::is_empty) {
            errors.push(issue("/postal_address", "required"));
        }
        errors.extend(check_length(
            postal.as_deref(),
            "/postal_address",
            limits::POSTAL_ADDRESS_MAX_CHARS,
        ));
        let mut filing = self.clone();
        if let Some(email) = email {
            filing.contact.email = Some(email);
        }
        if let Some(postal) = postal {
            filing.contact.postal_address = Some(postal);
        }
        if let Some(channel) = input.confirmation_channel {
            filing.confirmation_channel = Some(channel);
        }
        if let Some(app) = input.app_notifications {
            filing.app_notifications = app;
        }
        match filing.confirmation_channel {
            Some(ConfirmationChannel::Email) if filing.contact.email.is_none() => {
                errors.push(issue("/email", "required"))
            }
            Some(ConfirmationChannel::Post) if filing.contact.postal_address.is_none() => {
                errors.push(issue("/postal_address", "required"))
            }
            _ => {}
        }
        if !errors.is_empty() {
            return Err(FilingError::Invalid(errors));
        }
        filing.status = next;
        filing.version = self.version + 1;
        filing.updated_at = now;
        Ok(Effects {
            history: None,
            audit: AuditEvent::about_filing(
                citizen.audit_actor(),
                AuditOperation::Alteration,
                &self.id,
                now,
            ),
            filing,
            expected_version: Some(self.version),
            messages: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{Assurance, Country, DeclarantKind};
    use crate::filing::model::Contact;
    use crate::filing::FilingStatus;
    use crate::forms::FieldIssue;
    use crate::i18n::Lang;

    fn alice() -> CitizenActor {
        CitizenActor {
            id: "alice".into(),
            declarant: DeclarantKind::Person,
            assurance: Assurance::Substantial,
            client_id: None,
            partner: None,
        }
    }

    fn filing(status: FilingStatus) -> Filing {
        Filing {
            id: "f-1".into(),
            owner: "alice".into(),
            procedure: "bicycle_theft".into(),
            country: Country::Be,
            declarant: DeclarantKind::Person,
            language: Lang::Fr,
            place: Default::default(),
            facts_date: None,
            facts: Default::default(),
            answers: Default::default(),
            contact: Contact {
                email: Some("alice@example.org".into()),
                ..Contact::default()
            },
            confirmation_channel: Some(ConfirmationChannel::Email),
            app_notifications: true,
            status,
            unit: Some("zp-a".into()),
            municipality: None,
            assigned_officer: None,
            reference: None,
            record_number: None,
            info_request: None,
            info_answer: None,
            decision: None,
            version: 3,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            submitted_at: None,
            channel: None,
        }
    }

    fn pointers(e: FilingError) -> Vec<String> {
        match e {
            FilingError::Invalid(issues) => {
                issues.into_iter().map(|i: FieldIssue| i.pointer).collect()
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_channel_needs_its_address_and_the_status_stays() {
        let registered = filing(FilingStatus::Registered);
        let post = PreferencesInput {
            confirmation_channel: Some(ConfirmationChannel::Post),
            ..Default::default()
        };
        let e = registered
            .change_preferences(&alice(), post.clone(), 3, Utc::now())
            .unwrap_err();
        assert_eq!(pointers(e), ["/postal_address"]);
        let with_address = PreferencesInput {
            postal_address: Some("  Rue de la Gare 1, 1340 Ottignies ".into()),
            app_notifications: Some(false),
            ..post
        };
        let effects = registered
            .change_preferences(&alice(), with_address, 3, Utc::now())
            .unwrap();
        assert_eq!(effects.filing.status, FilingStatus::Registered);
        assert_eq!(effects.filing.version, 4);
        assert_eq!(
            effects.filing.contact.postal_address.as_deref(),
            Some("Rue de la Gare 1, 1340 Ottignies")
        );
        assert!(!effects.filing.app_notifications);
        assert!(effects.history.is_none() && effects.messages.is_empty());
        assert_eq!(effects.audit.operation, AuditOperation::Alteration);
        let app = PreferencesInput {
            confirmation_channel: Some(ConfirmationChannel::App),
            email: Some("not an address".into()),
            ..Default::default()
        };
        let e = registered
            .change_preferences(&alice(), app, 3, Utc::now())
            .unwrap_err();
        assert_eq!(pointers(e), ["/email"]);
    }

    #[test]
    fn nothing_to_change_a_stale_version_and_a_finished_filing_are_refused() {
        let open = filing(FilingStatus::Submitted);
        let e = open
            .change_preferences(&alice(), PreferencesInput::default(), 3, Utc::now())
            .unwrap_err();
        assert_eq!(pointers(e), [""]);
        let change = PreferencesInput {
            app_notifications: Some(false),
            ..Default::default()
        };
        assert_eq!(
            open.change_preferences(&alice(), change.clone(), 2, Utc::now()),
            Err(FilingError::Stale)
        );
        for done in [FilingStatus::Closed, FilingStatus::Withdrawn] {
            assert!(matches!(
                filing(done).change_preferences(&alice(), change.clone(), 3, Utc::now()),
                Err(FilingError::InvalidTransition(_))
            ));
        }
    }
}

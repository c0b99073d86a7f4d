//! The officers' actions on a filing of their unit, as one mechanism: an action's input is
//! parsed into an [`OfficerCommand`] (its required members and limits), and
//! [`Filing::act`] applies it (the state machine, the new state, the history entry, the
//! audit event and the citizen's messages). Adding an action is one variant here, its
//! arm in `parse` and `act`, and one route.

use super::commands::{issue, required_text, Effects, FilingError, HistoryEntry};
use super::model::{Decision, Filing};
use super::{transition, ActorKind, FilingAction};
use crate::actor::OfficerActor;
use crate::audit::{Actor, ActorRole, AuditEvent, AuditOperation};
use crate::forms::FieldIssue;
use crate::limits;
use chrono::{DateTime, Utc};

/// An officer's action, as received (every member optional; which are required depends
/// on the action).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionInput {
    pub message: Option<String>,
    pub officer_id: Option<String>,
    pub record_number: Option<String>,
    pub reason_code: Option<String>,
    pub explanation: Option<String>,
    pub where_to_go: Option<String>,
    pub target_unit: Option<String>,
}

/// An officer's action with its members checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfficerCommand {
    /// For the caller, or for a colleague of the unit.
    TakeInCharge {
        assignee: Option<String>,
    },
    RequestInfo {
        question: String,
    },
    /// With the number given by the officer, or the unit's next number when `None`.
    Register {
        record_number: Option<String>,
    },
    Reject {
        decision: Decision,
    },
    Redirect {
        decision: Decision,
    },
    Transfer {
        target_unit: String,
        decision: Decision,
    },
    Close,
}

/// What the action needs to know about the world, found by the caller (the roster, the
/// directory, the unit's record sequence).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionContext {
    /// For a take-in-charge for a colleague: whether they are a known member of the unit.
    pub assignee_is_member: bool,
    /// For a transfer: whether the target unit exists.
    pub target_unit_exists: bool,
    /// For a registration without a number: the unit's next record number.
    pub next_record_number: Option<String>,
    /// The unit's official number, which its record numbers start with.
    pub unit_number: String,
}

fn decision(input: &ActionInput, where_to_go_required: bool) -> Result<Decision, Vec<FieldIssue>> {
    let mut errors = Vec::new();
    let mut take = |r: Result<String, Box<FieldIssue>>| match r {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push(*e);
            None
        }
    };
    let reason = take(required_text(
        input.reason_code.as_deref(),
        "/reason_code",
        limits::REASON_CODE_MAX_CHARS,
    ));
    let explanation = take(required_text(
        input.explanation.as_deref(),
        "/explanation",
        limits::EXPLANATION_MAX_CHARS,
    ));
    let where_to_go = if where_to_go_required {
        take(required_text(
            input.where_to_go.as_deref(),
            "/where_to_go",
            limits::WHERE_TO_GO_MAX_CHARS,
        ))
    } else {
        match input.where_to_go.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(w) => take(required_text(
                Some(w),
                "/where_to_go",
                limits::WHERE_TO_GO_MAX_CHARS,
            )),
        }
    };
    match (reason, explanation) {
        (Some(reason_code), Some(explanation)) if errors.is_empty() => Ok(Decision {
            reason_code,
            explanation,
            where_to_go,
            target_unit: None,
        }),
        _ => Err(errors),
    }
}

impl OfficerCommand {
    /// Checks the members `action` needs.
    ///
    /// # Errors
    /// `Invalid` with every missing or too long member; `InvalidTransition`-free: the
    /// status is checked by [`Filing::act`].
    pub fn parse(action: FilingAction, input: &ActionInput) -> Result<Self, FilingError> {
        let invalid = |errors: Vec<FieldIssue>| FilingError::Invalid(errors);
        let one = |e: Box<FieldIssue>| FilingError::Invalid(vec![*e]);
        Ok(match action {
            FilingAction::TakeInCharge => OfficerCommand::TakeInCharge {
                assignee: match input.officer_id.as_deref().map(str::trim) {
                    None | Some("") => None,
                    Some(id) => Some(
                        required_text(Some(id), "/officer_id", limits::OFFICER_ID_MAX_CHARS)
                            .map_err(one)?,
                    ),
                },
            },
            FilingAction::RequestInfo => OfficerCommand::RequestInfo {
                question: required_text(
                    input.message.as_deref(),
                    "/message",
                    limits::INFO_REQUEST_MAX_CHARS,
                )
                .map_err(one)?,
            },
            FilingAction::Register => OfficerCommand::Register {
                record_number: match &input.record_number {
                    None => None,
                    Some(n) => Some(
                        required_text(Some(n), "/record_number", limits::RECORD_NUMBER_MAX_CHARS)
                            .map_err(one)?,
                    ),
                },
            },
            FilingAction::Reject => OfficerCommand::Reject {
                decision: decision(input, false).map_err(invalid)?,
            },
            FilingAction::Redirect => OfficerCommand::Redirect {
                decision: decision(input, true).map_err(invalid)?,
            },
            FilingAction::Transfer => {
                let target = required_text(
                    input.target_unit.as_deref(),
                    "/target_unit",
                    limits::UNIT_ID_MAX_CHARS,
                );
                let decision = decision(input, false);
                match (target, decision) {
                    (Ok(target_unit), Ok(mut decision)) => {
                        decision.where_to_go = None;
                        decision.target_unit = Some(target_unit.clone());
                        OfficerCommand::Transfer {
                            target_unit,
                            decision,
                        }
                    }
                    (target, decision) => {
                        let mut errors: Vec<FieldIssue> =
                            target.err().into_iter().map(|e| *e).collect();
                        errors.extend(decision.err().unwrap_or_default());
                        return Err(invalid(errors));
                    }
                }
            }
            FilingAction::Close => OfficerCommand::Close,
            other => {
                return Err(FilingError::InvalidTransition(super::TransitionError {
                    status: super::FilingStatus::Draft,
                    action: other,
                }))
            }
        })
    }

    pub fn action(&self) -> FilingAction {
        match self {
            OfficerCommand::TakeInCharge { .. } => FilingAction::TakeInCharge,
            OfficerCommand::RequestInfo { .. } => FilingAction::RequestInfo,
            OfficerCommand::Register { .. } => FilingAction::Register,
            OfficerCommand::Reject { .. } => FilingAction::Reject,
            OfficerCommand::Redirect { .. } => FilingAction::Redirect,
            OfficerCommand::Transfer { .. } => FilingAction::Transfer,
            OfficerCommand::Close => FilingAction::Close,
        }
    }

    /// The assignee other than the caller, whose membership the caller must look up.
    pub fn colleague<'a>(&'a self, officer: &OfficerActor) -> Option<&'a str> {
        match self {
            OfficerCommand::TakeInCharge {
                assignee: Some(a), ..
            } if *a != officer.id => Some(a),
            _ => None,
        }
    }
}

/// The record-number pattern of a unit: `<unit number>/<year>/<sequence, 6 digits>`.
pub fn record_number(unit_number: &str, year: i32, sequence: i64) -> String {
    format!("{unit_number}/{year}/{sequence:06}")
}

/// Whether an entered record number is one of the unit's own: its number, a four-digit
/// year and a sequence of 1 to 10 digits. A number in another unit's pattern would take
/// that unit's next number, so it is refused.
pub fn is_units_record_number(unit_number: &str, number: &str) -> bool {
    let Some(rest) = number
        .strip_prefix(unit_number)
        .and_then(|r| r.strip_prefix('/'))
    else {
        return false;
    };
    let mut parts = rest.split('/');
    let (Some(year), Some(sequence), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && (1..=10).contains(&sequence.len())
        && sequence.bytes().all(|b| b.is_ascii_digit())
}

impl Filing {
    /// Applies an officer's action to a filing of `unit` (the caller checked the officer
    /// may act there: [`crate::policy::officer_may_act`]); `if_match` is the version the
    /// officer read. The input is parsed with [`OfficerCommand::parse`] once the status
    /// allows the action; the caller may parse it before, to know what `context` needs.
    ///
    /// # Errors
    /// In this order: `Stale`, `InvalidTransition`, `Invalid` (missing or too long
    /// members, an unknown colleague, an unknown or same target unit, a record number
    /// outside the unit's pattern).
    // Each argument is a distinct input of the decision; bundling them would only hide
    // which the caller must provide.
    #[allow(clippy::too_many_arguments)]
    pub fn act(
        &self,
        officer: &OfficerActor,
        unit: &str,
        action: FilingAction,
        input: &ActionInput,
        context: &ActionContext,
        if_match: i64,
        now: DateTime<Utc>,
    ) -> Result<Effects, FilingError> {
        if self.version != if_match {
            return Err(FilingError::Stale);
        }
        let next = transition(self.status, action, ActorKind::Officer)?;
        let command = OfficerCommand::parse(action, input)?;
        let mut filing = self.clone();
        match command {
            OfficerCommand::TakeInCharge { assignee } => {
                if assignee.as_deref().is_some_and(|a| a != officer.id)
                    && !context.assignee_is_member
                {
                    return Err(FilingError::Invalid(vec![issue(
                        "/officer_id",
                        "unknown_option",
                    )]));
                }
                filing.assigned_officer = Some(assignee.unwrap_or_else(|| officer.id.clone()));
            }
            OfficerCommand::RequestInfo { question } => {
                filing.info_request = Some(question);
                filing.info_answer = None;
            }
            OfficerCommand::Register { record_number } => {
                let number = match record_number {
                    Some(n) if is_units_record_number(&context.unit_number, &n) => n,
                    Some(_) => {
                        return Err(FilingError::Invalid(vec![issue(
                            "/record_number",
                            "invalid_record_number",
                        )]))
                    }
                    None => context.next_record_number.clone().ok_or_else(|| {
                        FilingError::Invalid(vec![issue("/record_number", "required")])
                    })?,
                };
                filing.record_number = Some(number);
            }
            OfficerCommand::Reject { decision } | OfficerCommand::Redirect { decision } => {
                filing.decision = Some(decision);
            }
            OfficerCommand::Transfer {
                target_unit,
                decision,
            } => {
                if target_unit == unit || !context.target_unit_exists {
                    return Err(FilingError::Invalid(vec![issue(
                        "/target_unit",
                        "unknown_option",
                    )]));
                }
                filing.decision = Some(decision);
                filing.unit = Some(target_unit);
                filing.assigned_officer = None;
            }
            OfficerCommand::Close => {}
        }
        Ok(self.officer_effects(filing, next, action, officer, unit, now))
    }

    /// Closes a lost, stolen or found object's declaration when the object is handed
    /// back to its owner (issue 20), by whoever holds the object: an officer of the unit
    /// holding it, or the municipality's lost-property office that filed it (the owner's
    /// declaration may be another unit's: the hand-back is what closes it). One rule
    /// for both. The citizen is told as for any closure; the history says `hand_back`.
    ///
    /// # Errors
    /// `InvalidTransition` when the filing is a draft or already finished, rejected or
    /// redirected.
    pub fn hand_back(
        &self,
        holder: Holder<'_>,
        now: DateTime<Utc>,
    ) -> Result<Effects, FilingError> {
        let next = transition(self.status, FilingAction::HandBack, holder.kind())?;
        let filing = self.clone();
        let (role, id) = holder.history_actor();
        Ok(self.effects(
            filing,
            next,
            FilingAction::HandBack,
            (role, id, holder.audit_actor()),
            now,
        ))
    }

    /// The effects of an officer's change to `filing` (this filing, changed): the new
    /// status and version, the history entry, the audit event and the citizen's messages.
    fn officer_effects(
        &self,
        filing: Filing,
        next: super::FilingStatus,
        action: FilingAction,
        officer: &OfficerActor,
        unit: &str,
        now: DateTime<Utc>,
    ) -> Effects {
        let who = (
            officer.role.as_str().to_owned(),
            officer.id.clone(),
            officer.audit_actor(Some(unit)),
        );
        self.effects(filing, next, action, who, now)
    }

    /// The effects of a change to `filing` by `(history role, history id, audit actor)`.
    fn effects(
        &self,
        mut filing: Filing,
        next: super::FilingStatus,
        action: FilingAction,
        (actor_role, actor_id, audit_actor): (String, String, Actor),
        now: DateTime<Utc>,
    ) -> Effects {
        filing.status = next;
        filing.version = self.version + 1;
        filing.updated_at = now;
        // The citizen is told, by the channel they chose, in their language.
        let messages = filing.status_messages(self);
        Effects {
            history: Some(HistoryEntry {
                at: now,
                from: Some(self.status),
                to: next,
                action: action.as_str().to_owned(),
                actor_role,
                actor_id,
            }),
            audit: AuditEvent::about_filing(audit_actor, AuditOperation::Alteration, &self.id, now)
                .with_action(action.as_str()),
            filing,
            expected_version: Some(self.version),
            messages,
        }
    }
}

/// Who holds a found object and hands it back (issue 20): an officer of the unit holding
/// it, or a municipality's lost-property office (a partner, acting with its
/// client-credentials token) for the objects it filed.
#[derive(Debug, Clone, Copy)]
pub enum Holder<'a> {
    Officer {
        officer: &'a OfficerActor,
        unit: &'a str,
    },
    LostPropertyOffice {
        partner: &'a str,
        client_id: Option<&'a str>,
    },
}

impl Holder<'_> {
    /// The holder as the state machine sees it.
    pub fn kind(&self) -> ActorKind {
        match self {
            Holder::Officer { .. } => ActorKind::Officer,
            Holder::LostPropertyOffice { .. } => ActorKind::LostPropertyOffice,
        }
    }

    /// The holder as the audit trail records it: the officer acting for the unit, or
    /// `partner:<id>` (role `system`) with its client id, as for a partner's other
    /// machine actions.
    pub fn audit_actor(&self) -> Actor {
        match self {
            Holder::Officer { officer, unit } => officer.audit_actor(Some(unit)),
            Holder::LostPropertyOffice { partner, client_id } => Actor {
                id: format!("partner:{partner}"),
                role: ActorRole::System,
                unit: None,
                client_id: client_id.map(str::to_owned),
            },
        }
    }

    /// The role and id the status history records.
    fn history_actor(&self) -> (String, String) {
        match self {
            Holder::Officer { officer, .. } => {
                (officer.role.as_str().to_owned(), officer.id.clone())
            }
            Holder::LostPropertyOffice { partner, .. } => (
                "lost_property_office".to_owned(),
                format!("partner:{partner}"),
            ),
        }
    }
}

/// An internal note of the unit: trimmed, not empty, at most [`limits::NOTE_MAX_CHARS`].
///
/// # Errors
/// `Invalid` at `/body`.
pub fn check_note(body: &str) -> Result<String, FilingError> {
    let body = body.trim();
    if body.is_empty() {
        return Err(FilingError::Invalid(vec![issue("/body", "empty")]));
    }
    if body.chars().count() > limits::NOTE_MAX_CHARS {
        return Err(FilingError::Invalid(vec![issue("/body", "too_long")]));
    }
    Ok(body.to_owned())
}

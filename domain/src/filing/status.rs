//! The filing state machine: statuses, actions, who may move a filing from one status to
//! another, and the named sets of statuses that queues and views filter on.
//!
//! ```text
//! draft ─submit→ submitted ─take_in_charge→ taken_in_charge ⇄ info_requested
//!   │               │  └─transfer→ transferred ─take_in_charge→ taken_in_charge
//!   └─withdraw→ withdrawn ←─withdraw─┘ (before being taken in charge)
//! taken_in_charge ─register│reject│redirect→ registered│rejected│redirected ─close→ closed
//! taken_in_charge ─transfer→ transferred
//! ```
//! Every transition is a pure function of the status, the action and the actor.

crate::code_enum!(
    /// Where a filing is in its life.
    FilingStatus, "filing status", {
        Draft => "draft",
        Submitted => "submitted",
        TakenInCharge => "taken_in_charge",
        InfoRequested => "info_requested",
        Registered => "registered",
        Rejected => "rejected",
        Redirected => "redirected",
        Transferred => "transferred",
        Withdrawn => "withdrawn",
        Closed => "closed",
    }
);

crate::code_enum!(
    /// What someone does to a filing.
    FilingAction, "filing action", {
        Update => "update",
        Submit => "submit",
        Withdraw => "withdraw",
        AnswerInfoRequest => "answer_info_request",
        TakeInCharge => "take_in_charge",
        RequestInfo => "request_info",
        Register => "register",
        Reject => "reject",
        Redirect => "redirect",
        Transfer => "transfer",
        Close => "close",
        ChangePreferences => "change_preferences",
        HandBack => "hand_back",
    }
);

impl FilingAction {
    /// The back-office actions, done by an officer of the filing's unit.
    pub const OFFICERS: &'static [FilingAction] = &[
        FilingAction::TakeInCharge,
        FilingAction::RequestInfo,
        FilingAction::Register,
        FilingAction::Reject,
        FilingAction::Redirect,
        FilingAction::Transfer,
        FilingAction::Close,
    ];

    /// Whether this is a back-office action.
    pub fn is_officers(self) -> bool {
        Self::OFFICERS.contains(&self)
    }
}

/// Who acts, as the state machine sees it. Ownership and unit membership are checked
/// before (a citizen acts on their own filings only, an officer on their unit's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    Citizen,
    Officer,
    /// A municipality's lost-property office (a partner) holding a found object: it
    /// hands the object back, and does nothing else to a filing (issue 20).
    LostPropertyOffice,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{action} is not allowed on a {status} filing for this actor")]
pub struct TransitionError {
    pub status: FilingStatus,
    pub action: FilingAction,
}

impl FilingStatus {
    /// Submitted and not yet decided: what a unit still has to process (the overdue
    /// filter and the processing target apply to these).
    pub const OPEN: &'static [FilingStatus] = &[
        FilingStatus::Submitted,
        FilingStatus::Transferred,
        FilingStatus::TakenInCharge,
        FilingStatus::InfoRequested,
    ];

    /// Decided by the unit: registered, rejected or redirected (closing comes next).
    pub const DECIDED: &'static [FilingStatus] = &[
        FilingStatus::Registered,
        FilingStatus::Rejected,
        FilingStatus::Redirected,
    ];

    /// Finished: nothing can happen to the filing any more.
    pub const FINAL: &'static [FilingStatus] = &[FilingStatus::Withdrawn, FilingStatus::Closed];

    /// Whether the filing is submitted and waiting for the unit.
    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }

    /// Whether the filing is finished: nothing can happen to it any more.
    pub fn is_final(self) -> bool {
        Self::FINAL.contains(&self)
    }

    /// Whether an officer has taken the filing in charge at some point.
    pub fn taken_in_charge(self) -> bool {
        !matches!(
            self,
            FilingStatus::Draft
                | FilingStatus::Submitted
                | FilingStatus::Transferred
                | FilingStatus::Withdrawn
        )
    }
}

/// The status after `action` by `actor` on a filing in `status`.
pub fn transition(
    status: FilingStatus,
    action: FilingAction,
    actor: ActorKind,
) -> Result<FilingStatus, TransitionError> {
    use ActorKind::{Citizen, LostPropertyOffice, Officer};
    use FilingAction as A;
    use FilingStatus as S;
    let next = match (status, action, actor) {
        (S::Draft, A::Update, Citizen) => S::Draft,
        (S::Draft, A::Submit, Citizen) => S::Submitted,
        (S::Draft | S::Submitted | S::Transferred, A::Withdraw, Citizen) => S::Withdrawn,
        (S::InfoRequested, A::AnswerInfoRequest, Citizen) => S::TakenInCharge,
        (S::Submitted | S::Transferred, A::TakeInCharge, Officer) => S::TakenInCharge,
        (S::TakenInCharge, A::RequestInfo, Officer) => S::InfoRequested,
        (S::TakenInCharge, A::Register, Officer) => S::Registered,
        (S::TakenInCharge, A::Reject, Officer) => S::Rejected,
        (S::TakenInCharge, A::Redirect, Officer) => S::Redirected,
        (S::Submitted | S::TakenInCharge, A::Transfer, Officer) => S::Transferred,
        (S::Registered | S::Rejected | S::Redirected, A::Close, Officer) => S::Closed,
        // A lost, stolen or found object handed back to its owner (issue 20): the
        // declarations are done with, decided or not.
        (
            S::Submitted | S::Transferred | S::TakenInCharge | S::InfoRequested | S::Registered,
            A::HandBack,
            Officer | LostPropertyOffice,
        ) => S::Closed,
        // How the citizen is told: until the filing is finished; the status stays.
        (s, A::ChangePreferences, Citizen) if !s.is_final() => s,
        _ => return Err(TransitionError { status, action }),
    };
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use ActorKind::{Citizen, Officer};
    use FilingAction as A;
    use FilingStatus as S;

    #[test]
    fn the_citizens_path_and_the_officers_path() {
        let steps = [
            (S::Draft, A::Update, Citizen, S::Draft),
            (S::Draft, A::Submit, Citizen, S::Submitted),
            (S::Submitted, A::TakeInCharge, Officer, S::TakenInCharge),
            (S::TakenInCharge, A::RequestInfo, Officer, S::InfoRequested),
            (
                S::InfoRequested,
                A::AnswerInfoRequest,
                Citizen,
                S::TakenInCharge,
            ),
            (S::TakenInCharge, A::Register, Officer, S::Registered),
            (S::Registered, A::Close, Officer, S::Closed),
            (S::Submitted, A::Withdraw, Citizen, S::Withdrawn),
            (S::TakenInCharge, A::Transfer, Officer, S::Transferred),
            (S::Transferred, A::TakeInCharge, Officer, S::TakenInCharge),
            (S::Submitted, A::HandBack, Officer, S::Closed),
            (
                S::Registered,
                A::HandBack,
                ActorKind::LostPropertyOffice,
                S::Closed,
            ),
        ];
        for (from, action, actor, to) in steps {
            assert_eq!(transition(from, action, actor), Ok(to), "{from} {action}");
        }
    }

    #[test]
    fn forbidden_moves() {
        for (from, action, actor) in [
            (S::TakenInCharge, A::Withdraw, Citizen),
            (S::Submitted, A::Submit, Citizen),
            (S::Submitted, A::Update, Citizen),
            (S::Draft, A::TakeInCharge, Officer),
            (S::Submitted, A::Register, Officer),
            (S::Submitted, A::TakeInCharge, Citizen),
            (S::TakenInCharge, A::AnswerInfoRequest, Citizen),
            (S::Submitted, A::TakeInCharge, ActorKind::LostPropertyOffice),
            (S::Submitted, A::Close, ActorKind::LostPropertyOffice),
            (S::Draft, A::HandBack, ActorKind::LostPropertyOffice),
            (S::Rejected, A::HandBack, ActorKind::LostPropertyOffice),
        ] {
            assert!(
                transition(from, action, actor).is_err(),
                "{from} {action} {actor:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn final_states_accept_nothing_and_citizens_never_decide(
            path in proptest::collection::vec((0usize..FilingAction::ALL.len(), any::<bool>()), 0..30)
        ) {
            let mut status = S::Draft;
            for (a, officer) in path {
                let action = FilingAction::ALL[a];
                let actor = if officer { Officer } else { Citizen };
                match transition(status, action, actor) {
                    Ok(next) => {
                        prop_assert!(!status.is_final(), "{} left a final state", status);
                        if actor == Citizen && action != A::ChangePreferences {
                            prop_assert!(matches!(next, S::Draft | S::Submitted | S::Withdrawn | S::TakenInCharge));
                        }
                        if action == A::ChangePreferences {
                            prop_assert_eq!(next, status);
                        }
                        if action == A::Withdraw {
                            prop_assert!(!status.taken_in_charge());
                        }
                        status = next;
                    }
                    Err(e) => prop_assert_eq!(e.status, status),
                }
            }
        }

    }

    #[test]
    fn the_status_sets_partition_the_submitted_life() {
        for status in FilingStatus::ALL {
            let memberships = [
                *status == S::Draft,
                status.is_open(),
                FilingStatus::DECIDED.contains(status),
                status.is_final(),
            ];
            assert_eq!(
                memberships.iter().filter(|m| **m).count(),
                1,
                "{status} belongs to exactly one set"
            );
        }
    }
}

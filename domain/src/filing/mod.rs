//! The filing: a citizen's complaint, declaration or request, from its draft to its end.
//!
//! - [`model`]: the aggregate ([`Filing`]) and its typed parts;
//! - [`status`]: the state machine and the named sets of statuses;
//! - [`commands`]: the citizen's commands (create, update, submit, withdraw, answer);
//! - [`officer`]: the officers' actions, one mechanism for all;
//! - [`notify`]: the messages each status change sends the citizen;
//! - [`preferences`]: how the citizen is told (channel, address, app notifications);
//! - [`reference`], [`national`]: the reference number and national register numbers;
//! - [`identity`]: the complainant's identity claims (sealed at rest, officers only);
//! - limits live in [`crate::limits`], shown in the contract.
//!
//! Every command is a pure function of the filing, the actor, its inputs and `now`; it
//! returns the [`Effects`] that persistence saves in one transaction.

pub mod commands;
pub mod exchanges;
pub mod identity;
pub mod model;
pub mod national;
pub mod notify;
pub mod officer;
pub mod preferences;
pub mod reference;
pub mod status;

#[cfg(test)]
mod tests;

pub use commands::{
    check_answer, DraftInput, Effects, FilingError, HistoryEntry, NewFilingInput, OutgoingMessage,
    PlaceInput, Rules,
};
pub use exchanges::{Exchange, ExchangeStep};
pub use identity::{ComplainantIdentity, PostalAddress};
pub use model::{ConfirmationChannel, Contact, Decision, FactsDate, Filing, PlaceOfFacts};
pub use national::NationalNumber;
pub use notify::MessageTemplate;
pub use officer::{check_note, ActionContext, ActionInput, Holder, OfficerCommand};
pub use preferences::PreferencesInput;
pub use reference::ReferenceNumber;
pub use status::{transition, ActorKind, FilingAction, FilingStatus, TransitionError};

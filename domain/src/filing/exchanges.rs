//! The rounds of questions and answers between the unit and the citizen: each
//! information request opens a round, the citizen's answer closes it. The filing itself
//! keeps only the last round (`info_request`, `info_answer`); the rounds are kept apart,
//! oldest first, for the officers and the citizen alike.

use super::{Effects, FilingAction};
use chrono::{DateTime, Utc};

/// One round: the officer's question and, once given, the citizen's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    pub asked_at: DateTime<Utc>,
    /// The pseudonymous id of the officer who asked.
    pub asked_by: String,
    pub question: String,
    pub answered_at: Option<DateTime<Utc>>,
    pub answer: Option<String>,
}

/// What a command does to the rounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeStep<'a> {
    /// A new round opens with this question.
    Asked {
        at: DateTime<Utc>,
        by: &'a str,
        question: &'a str,
    },
    /// The open round is answered.
    Answered { at: DateTime<Utc>, answer: &'a str },
}

impl Effects {
    /// The step these effects take in the rounds of questions and answers, if any: an
    /// information request opens one, the citizen's answer closes the open one.
    pub fn exchange_step(&self) -> Option<ExchangeStep<'_>> {
        let entry = self.history.as_ref()?;
        let action = entry.action.parse::<FilingAction>().ok()?;
        match action {
            FilingAction::RequestInfo => Some(ExchangeStep::Asked {
                at: entry.at,
                by: &entry.actor_id,
                question: self.filing.info_request.as_deref()?,
            }),
            FilingAction::AnswerInfoRequest => Some(ExchangeStep::Answered {
                at: entry.at,
                answer: self.filing.info_answer.as_deref()?,
            }),
            _ => None,
        }
    }
}

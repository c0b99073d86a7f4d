//! The chat with a police agent (issue 17, docs/CHAT.md): a citizen asks a non-urgent
//! question in writing and a specially trained agent of a chat desk answers. The
//! conversation is private and **not recorded**: its content never reaches storage;
//! what remains is metadata (start, end, wait, agent, topic, outcome).
//!
//! Pure rules: the topics and outcomes, a conversation's life (who may do what in which
//! status), the desk's service hours with their exceptions, which waiting conversation
//! an agent takes next, the estimated wait, and the limits of a message. Times are
//! given (`now`), never read.

use crate::i18n::Lang;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use std::collections::BTreeMap;

code_enum!(
    /// What the citizen wants to talk about (chosen when opening; kept for statistics).
    ChatTopic, "chat topic", {
        /// A general question about the police, a procedure, a document.
        Question => "question",
        /// How to file a complaint or a report, and where.
        Complaint => "complaint",
        /// A scam, online fraud, a suspicious message.
        OnlineScam => "online_scam",
        /// Violence, harassment, sexual or sexist violence, domestic violence.
        Violence => "violence",
        /// Illegal content online (for Pharos and the like).
        IllegalContent => "illegal_content",
        /// Something lost or found.
        LostOrFound => "lost_or_found",
        Other => "other",
    }
);

code_enum!(
    /// Where a conversation is.
    ChatStatus, "chat status", {
        /// Opened, in the desk's queue.
        Waiting => "waiting",
        /// An agent holds it.
        Active => "active",
        /// Over; its content is erased.
        Closed => "closed",
    }
);

impl ChatStatus {
    pub fn is_open(self) -> bool {
        !matches!(self, ChatStatus::Closed)
    }
}

code_enum!(
    /// How a conversation ended (statistics).
    ChatOutcome, "chat outcome", {
        /// The agent answered the question.
        Answered => "answered",
        /// The agent sent the citizen to another platform or procedure.
        Redirected => "redirected",
        /// The citizen ended the conversation.
        CitizenLeft => "citizen_left",
        /// Nothing was said for `chat.idle_close_secs`.
        Idle => "idle",
    }
);

impl ChatOutcome {
    /// The outcomes an agent chooses when closing.
    pub fn agent_may_choose(self) -> bool {
        matches!(self, ChatOutcome::Answered | ChatOutcome::Redirected)
    }
}

code_enum!(
    /// An agent's presence at the desk.
    AgentStatus, "agent status", {
        /// Takes conversations.
        Available => "available",
        /// Takes none (keeps those held).
        Away => "away",
    }
);

/// A proposed draft's pre-filled fields (their JSON), in bytes: the proposal crosses
/// PostgreSQL in a `NOTIFY` payload (under 8000 bytes) with its procedure and ids.
pub const PROPOSAL_MAX_BYTES: usize = 6000;
/// Proposals a conversation holds unanswered at once; a newer one drops the oldest.
pub const PROPOSALS_PENDING_MAX: usize = 5;
/// A message of the chat, in characters. A message crosses PostgreSQL in a `NOTIFY`
/// payload (at most 8000 bytes): 1000 characters of 4 bytes with escaping fit.
pub const MESSAGE_MAX_CHARS: usize = 1000;
/// A device token of an anonymous citizen: this many characters at least...
pub const DEVICE_TOKEN_MIN_CHARS: usize = 16;
/// ... and at most.
pub const DEVICE_TOKEN_MAX_CHARS: usize = 128;
/// Messages kept in memory per conversation (for an agent who takes or receives it, and
/// a reconnecting citizen); older ones are dropped from memory too.
pub const TRANSCRIPT_MAX_MESSAGES: usize = 500;

/// Why a chat action is refused; each is a documented protocol error on the sockets and
/// a problem on HTTP.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChatError {
    /// The conversation is closed: nothing more can be said or done.
    #[error("the conversation is closed")]
    Closed,
    /// No conversation waits in the desk's queue.
    #[error("nobody is waiting")]
    QueueEmpty,
    /// The agent holds as many conversations as allowed.
    #[error("the agent holds the most conversations allowed")]
    AtCapacity,
    /// The agent does not hold this conversation.
    #[error("not held by this agent")]
    NotHolder,
    /// The agent is away: set yourself available first.
    #[error("the agent is away")]
    Away,
    /// The colleague is not an available agent of the desk with room for it.
    #[error("the colleague cannot take it")]
    ColleagueUnavailable,
    /// A message is empty or longer than `MESSAGE_MAX_CHARS`.
    #[error("the message is empty or too long")]
    BadMessage,
    /// The outcome is not one an agent chooses.
    #[error("not an agent's outcome")]
    BadOutcome,
    /// A draft is proposed only to a citizen signed in with an account: an anonymous
    /// conversation has nobody to own it.
    #[error("the citizen has no account")]
    ProposalNeedsAccount,
    /// The procedure is not offered in the conversation's country, or the pre-filled
    /// fields are over `PROPOSAL_MAX_BYTES`.
    #[error("the proposal cannot be made")]
    BadProposal,
    /// No such proposal waits for an answer (answered already, replaced, or the
    /// conversation closed).
    #[error("no such proposal")]
    ProposalNotFound,
}

impl ChatError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ChatError::Closed => "chat_closed",
            ChatError::QueueEmpty => "chat_queue_empty",
            ChatError::AtCapacity => "chat_agent_at_capacity",
            ChatError::NotHolder => "chat_not_holder",
            ChatError::Away => "chat_agent_away",
            ChatError::ColleagueUnavailable => "chat_colleague_unavailable",
            ChatError::BadMessage => "chat_bad_message",
            ChatError::BadOutcome => "chat_bad_outcome",
            ChatError::ProposalNeedsAccount => "chat_proposal_needs_account",
            ChatError::BadProposal => "chat_bad_proposal",
            ChatError::ProposalNotFound => "chat_proposal_not_found",
        }
    }

    /// Every code above.
    pub const CODES: [&'static str; 11] = [
        "chat_closed",
        "chat_queue_empty",
        "chat_agent_at_capacity",
        "chat_not_holder",
        "chat_agent_away",
        "chat_colleague_unavailable",
        "chat_bad_message",
        "chat_bad_outcome",
        "chat_proposal_needs_account",
        "chat_bad_proposal",
        "chat_proposal_not_found",
    ];
}

/// Checks a message: not blank, at most `MESSAGE_MAX_CHARS`. Returns it trimmed.
pub fn check_message(text: &str) -> Result<&str, ChatError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MESSAGE_MAX_CHARS {
        Err(ChatError::BadMessage)
    } else {
        Ok(text)
    }
}

/// May an agent propose a pre-filled draft in a conversation? Only when its citizen
/// signed in with an account (`anonymous` false: the draft will be theirs), for a
/// procedure `offered` in the conversation's country, with pre-filled fields of at most
/// `PROPOSAL_MAX_BYTES` (`fields_bytes`, their JSON). Errors:
/// `ProposalNeedsAccount`, `BadProposal`.
pub fn may_propose(anonymous: bool, offered: bool, fields_bytes: usize) -> Result<(), ChatError> {
    if anonymous {
        return Err(ChatError::ProposalNeedsAccount);
    }
    if !offered || fields_bytes > PROPOSAL_MAX_BYTES {
        return Err(ChatError::BadProposal);
    }
    Ok(())
}

/// Whether a device token has an acceptable shape: 16 to 128 characters of
/// `[A-Za-z0-9_-]` (a random value the app made once, e.g. a UUID or base64url).
pub fn device_token_ok(token: &str) -> bool {
    (DEVICE_TOKEN_MIN_CHARS..=DEVICE_TOKEN_MAX_CHARS).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The hours of one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayHours {
    Closed,
    /// From the first time (included) to the second (excluded), local time.
    Open(NaiveTime, NaiveTime),
    AllDay,
}

impl std::str::FromStr for DayHours {
    type Err = String;

    /// `"08:00-20:00"`, `"24/7"` (or `"00:00-24:00"`) or `"closed"`.
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        match s {
            "closed" => return Ok(DayHours::Closed),
            "24/7" | "00:00-24:00" => return Ok(DayHours::AllDay),
            _ => {}
        }
        let bad = || format!("`{s}`: expected HH:MM-HH:MM, 24/7 or closed");
        let (from, to) = s.split_once('-').ok_or_else(bad)?;
        let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| bad());
        let (from, to) = (time(from)?, time(to)?);
        if from >= to {
            return Err(bad());
        }
        Ok(DayHours::Open(from, to))
    }
}

/// A desk's service hours: the same hours every day, in the desk's time zone, and
/// exceptions by date (a holiday closed, a day with other hours).
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceHours {
    pub timezone: chrono_tz::Tz,
    pub daily: DayHours,
    pub exceptions: BTreeMap<NaiveDate, DayHours>,
}

impl ServiceHours {
    /// Open at all hours, every day.
    pub fn always() -> Self {
        ServiceHours {
            timezone: chrono_tz::UTC,
            daily: DayHours::AllDay,
            exceptions: BTreeMap::new(),
        }
    }

    fn day(&self, date: NaiveDate) -> DayHours {
        self.exceptions.get(&date).copied().unwrap_or(self.daily)
    }

    /// Whether the desk is open at `now`.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        let local = now.with_timezone(&self.timezone);
        match self.day(local.date_naive()) {
            DayHours::Closed => false,
            DayHours::AllDay => true,
            DayHours::Open(from, to) => (from..to).contains(&local.time()),
        }
    }

    /// The next time the desk opens after `now` (`now` itself when open), looking a year
    /// ahead; `None` when it never opens in that year.
    pub fn next_opening(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.is_open(now) {
            return Some(now);
        }
        let today = now.with_timezone(&self.timezone).date_naive();
        (0..=366).find_map(|offset| {
            let date = today + Duration::days(offset);
            let start = match self.day(date) {
                DayHours::Closed => return None,
                DayHours::AllDay => NaiveTime::MIN,
                DayHours::Open(from, _) => from,
            };
            let local = self
                .timezone
                .from_local_datetime(&date.and_time(start))
                .earliest()?;
            let at = local.with_timezone(&Utc);
            (at > now).then_some(at)
        })
    }
}

/// A conversation in a desk's queue, as the choice of the next one sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub id: String,
    pub language: Lang,
    pub opened_at: DateTime<Utc>,
}

/// Which waiting conversation an agent speaking `languages` takes: the oldest in one of
/// their languages, else the oldest of all (nobody waits forever for a language).
pub fn pick_next<'a>(waiting: &'a [Waiting], languages: &[Lang]) -> Option<&'a Waiting> {
    let oldest = |matching: bool| {
        waiting
            .iter()
            .filter(|w| !matching || languages.contains(&w.language))
            .min_by(|a, b| a.opened_at.cmp(&b.opened_at).then(a.id.cmp(&b.id)))
    };
    oldest(true).or_else(|| oldest(false))
}

/// The estimated wait of the conversation at `position` (1: next) in seconds: the
/// conversations before it, shared among the available agents (at least one), each
/// taking `average_secs`.
pub fn estimated_wait_secs(position: u64, available_agents: u64, average_secs: u64) -> u64 {
    let ahead = position.saturating_sub(1);
    ahead
        .saturating_add(1)
        .saturating_mul(average_secs)
        .div_ceil(available_agents.max(1))
}

/// May an agent holding `held` conversations (of at most `max`) take one more?
pub fn may_take(status: AgentStatus, held: u64, max: u64) -> Result<(), ChatError> {
    if status != AgentStatus::Available {
        return Err(ChatError::Away);
    }
    if held >= max {
        return Err(ChatError::AtCapacity);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn brussels_8_20() -> ServiceHours {
        ServiceHours {
            timezone: chrono_tz::Europe::Brussels,
            daily: "08:00-20:00".parse().unwrap(),
            exceptions: [(
                NaiveDate::from_ymd_opt(2026, 12, 25).unwrap(),
                DayHours::Closed,
            )]
            .into(),
        }
    }

    #[test]
    fn hours_parse() {
        assert_eq!("24/7".parse::<DayHours>(), Ok(DayHours::AllDay));
        assert_eq!("closed".parse::<DayHours>(), Ok(DayHours::Closed));
        assert!("20:00-08:00".parse::<DayHours>().is_err());
        assert!("8h-20h".parse::<DayHours>().is_err());
    }

    #[test]
    fn open_within_local_hours_and_not_on_exceptions() {
        let hours = brussels_8_20();
        // 07:30 UTC is 08:30 in Brussels (winter).
        assert!(hours.is_open(at("2026-12-02T07:30:00Z")));
        assert!(!hours.is_open(at("2026-12-02T06:30:00Z")));
        assert!(!hours.is_open(at("2026-12-02T19:00:00Z")));
        assert!(!hours.is_open(at("2026-12-25T10:00:00Z")));
        assert!(ServiceHours::always().is_open(at("2026-12-25T03:00:00Z")));
    }

    #[test]
    fn next_opening_skips_closed_days() {
        let hours = brussels_8_20();
        assert_eq!(
            hours.next_opening(at("2026-12-02T20:00:00Z")),
            Some(at("2026-12-03T07:00:00Z"))
        );
        assert_eq!(
            hours.next_opening(at("2026-12-24T21:00:00Z")),
            Some(at("2026-12-26T07:00:00Z"))
        );
        let now = at("2026-12-02T10:00:00Z");
        assert_eq!(hours.next_opening(now), Some(now));
        let never = ServiceHours {
            daily: DayHours::Closed,
            ..brussels_8_20()
        };
        assert_eq!(never.next_opening(now), None);
    }

    #[test]
    fn the_oldest_in_a_spoken_language_first_else_the_oldest() {
        let w = |id: &str, lang, min| Waiting {
            id: id.into(),
            language: lang,
            opened_at: at("2026-12-02T10:00:00Z") + Duration::minutes(min),
        };
        let queue = [
            w("a", Lang::Nl, 0),
            w("b", Lang::Fr, 1),
            w("c", Lang::Fr, 2),
        ];
        assert_eq!(pick_next(&queue, &[Lang::Fr]).unwrap().id, "b");
        assert_eq!(pick_next(&queue, &[Lang::De]).unwrap().id, "a");
        assert_eq!(pick_next(&queue, &[]).unwrap().id, "a");
        assert!(pick_next(&[], &[Lang::Fr]).is_none());
    }

    #[test]
    fn wait_is_shared_among_agents() {
        assert_eq!(estimated_wait_secs(1, 0, 300), 300);
        assert_eq!(estimated_wait_secs(1, 2, 300), 150);
        assert_eq!(estimated_wait_secs(4, 2, 300), 600);
    }

    #[test]
    fn capacity_and_presence() {
        assert_eq!(may_take(AgentStatus::Away, 0, 3), Err(ChatError::Away));
        assert_eq!(
            may_take(AgentStatus::Available, 3, 3),
            Err(ChatError::AtCapacity)
        );
        assert_eq!(may_take(AgentStatus::Available, 2, 3), Ok(()));
    }

    #[test]
    fn drafts_are_proposed_to_accounts_only() {
        assert_eq!(
            may_propose(true, true, 10),
            Err(ChatError::ProposalNeedsAccount)
        );
        assert_eq!(may_propose(false, false, 10), Err(ChatError::BadProposal));
        assert_eq!(
            may_propose(false, true, PROPOSAL_MAX_BYTES + 1),
            Err(ChatError::BadProposal)
        );
        assert_eq!(may_propose(false, true, PROPOSAL_MAX_BYTES), Ok(()));
    }

    #[test]
    fn messages_and_device_tokens() {
        assert_eq!(check_message("  hello "), Ok("hello"));
        assert_eq!(check_message("   "), Err(ChatError::BadMessage));
        assert!(check_message(&"é".repeat(MESSAGE_MAX_CHARS)).is_ok());
        assert!(check_message(&"é".repeat(MESSAGE_MAX_CHARS + 1)).is_err());
        assert!(device_token_ok("0f8fad5b-d9cb-469f-a165-70867728950e"));
        assert!(!device_token_ok("short"));
        assert!(!device_token_ok("has space in it, sixteen+"));
        assert_eq!(ChatError::CODES.len(), 11);
    }
}

//! The filing state machine, reference numbers and national numbers.
//!
//! ```text
//! draft ─submit→ submitted ─take_in_charge→ taken_in_charge ⇄ info_requested
//!   │               │  └─transfer→ transferred ─take_in_charge→ taken_in_charge
//!   └─withdraw→ withdrawn ←─withdraw─┘ (before being taken in charge)
//! taken_in_charge ─register│reject│redirect→ registered│rejected│redirected ─close→ closed
//! taken_in_charge ─transfer→ transferred
//! ```
//! Every transition is a pure function of the status, the action and the actor.

use crate::UnknownCode;

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
    }
);

/// Who acts, as the state machine sees it. Ownership and unit membership are checked
/// before (a citizen acts on their own filings only, an officer on their unit's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    Citizen,
    Officer,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{action} is not allowed on a {status} filing for this actor")]
pub struct TransitionError {
    pub status: FilingStatus,
    pub action: FilingAction,
}

impl FilingStatus {
    /// Whether the filing is finished: nothing can happen to it any more.
    pub fn is_final(self) -> bool {
        matches!(self, FilingStatus::Withdrawn | FilingStatus::Closed)
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
    use ActorKind::{Citizen, Officer};
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
        _ => return Err(TransitionError { status, action }),
    };
    Ok(next)
}

/// Crockford's base-32 alphabet (no I, L, O, U), plus the five check symbols.
const ALPHABET: &[u8; 37] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U";

/// A filing's reference number: `EC-2026-7K2Q-9XHM-C`: the year of submission, eight
/// random base-32 characters (40 bits: not guessable from another citizen's), and a
/// check character (mod 37) that catches any single typo or swap of two characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReferenceNumber(String);

impl ReferenceNumber {
    /// Builds one from the year and 40 random bits.
    pub fn generate(year: i32, random: u64) -> Self {
        let mut body = String::with_capacity(8);
        for i in (0..8).rev() {
            body.push(ALPHABET[((random >> (i * 5)) & 31) as usize] as char);
        }
        let check = check_symbol(&format!("{year}{body}"));
        Self(format!("EC-{year}-{}-{}-{check}", &body[..4], &body[4..]))
    }

    /// Parses a number as a person types it: case and separators do not matter.
    pub fn parse(raw: &str) -> Result<Self, UnknownCode> {
        let error = || UnknownCode {
            kind: "reference number",
            value: raw.to_owned(),
        };
        let compact: String = raw
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || "*~$=".contains(*c))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let rest = compact.strip_prefix("EC").ok_or_else(error)?;
        if rest.len() != 4 + 8 + 1 || !rest[..4].bytes().all(|b| b.is_ascii_digit()) {
            return Err(error());
        }
        let (payload, check) = rest.split_at(12);
        if !payload[4..].bytes().all(|b| ALPHABET[..32].contains(&b))
            || check_symbol(payload).to_string() != check
        {
            return Err(error());
        }
        Ok(Self(format!(
            "EC-{}-{}-{}-{check}",
            &payload[..4],
            &payload[4..8],
            &payload[8..]
        )))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_symbol(payload: &str) -> char {
    let value = payload.bytes().fold(0u64, |acc, b| {
        let digit = ALPHABET.iter().position(|a| *a == b).unwrap_or(0) as u64;
        (acc * 32 + digit) % 37
    });
    ALPHABET[value as usize] as char
}

/// A Belgian national register number (11 digits, the last two a mod-97 check over the
/// first nine, with `2` prefixed for people born from 2000).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NationalNumber(String);

impl NationalNumber {
    pub fn parse(raw: &str) -> Result<Self, UnknownCode> {
        let error = || UnknownCode {
            kind: "national number",
            value: "<redacted>".to_owned(),
        };
        let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        if digits.len() != 11
            || raw
                .chars()
                .any(|c| !(c.is_ascii_digit() || " .-".contains(c)))
        {
            return Err(error());
        }
        let base: u64 = digits[..9].parse().map_err(|_| error())?;
        let check: u64 = digits[9..].parse().map_err(|_| error())?;
        let valid = |n: u64| 97 - n % 97 == check;
        if valid(base) || valid(2_000_000_000 + base) {
            Ok(Self(digits))
        } else {
            Err(error())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
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
            path in proptest::collection::vec((0usize..11, any::<bool>()), 0..30)
        ) {
            let mut status = S::Draft;
            for (a, officer) in path {
                let action = FilingAction::ALL[a];
                let actor = if officer { Officer } else { Citizen };
                match transition(status, action, actor) {
                    Ok(next) => {
                        prop_assert!(!status.is_final(), "{} left a final state", status);
                        if actor == Citizen {
                            prop_assert!(matches!(next, S::Draft | S::Submitted | S::Withdrawn | S::TakenInCharge));
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

        #[test]
        fn reference_numbers_round_trip_and_catch_typos(random in 0u64..(1 << 40), year in 2000i32..2100, pos in 0usize..8, swap in 0usize..7) {
            let r = ReferenceNumber::generate(year, random);
            prop_assert_eq!(ReferenceNumber::parse(r.as_str()), Ok(r.clone()));
            prop_assert_eq!(ReferenceNumber::parse(&r.as_str().to_lowercase().replace('-', " ")), Ok(r.clone()));
            let compact: Vec<u8> = r.as_str().bytes().filter(|b| *b != b'-').collect();
            // A single changed character of the random part is caught.
            let mut typo = compact.clone();
            let i = 2 + 4 + pos;
            typo[i] = if typo[i] == b'0' { b'1' } else { b'0' };
            prop_assert!(ReferenceNumber::parse(std::str::from_utf8(&typo).unwrap()).is_err());
            // So is a swap of two different neighbours.
            let mut swapped = compact.clone();
            let j = 2 + 4 + swap;
            if swapped[j] != swapped[j + 1] {
                swapped.swap(j, j + 1);
                prop_assert!(ReferenceNumber::parse(std::str::from_utf8(&swapped).unwrap()).is_err());
            }
        }
    }

    #[test]
    fn national_numbers_are_checked() {
        // 85.07.30-033.28 (born 1985) and 17.07.30-033.84 (born 2017): valid checksums.
        assert!(NationalNumber::parse("85.07.30-033.28").is_ok());
        assert!(NationalNumber::parse("17073003384").is_ok());
        assert!(NationalNumber::parse("85073003329").is_err());
        assert!(NationalNumber::parse("850730").is_err());
        assert!(NationalNumber::parse("8507300332x").is_err());
        assert_eq!(NationalNumber::parse("1").unwrap_err().value, "<redacted>");
    }
}

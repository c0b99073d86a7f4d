//! Time limits for erasure (EU Directive 2016/680, Art. 5): how long a filing's personal
//! data is kept, per procedure and per how the filing ended, and whether a given filing is
//! due for erasure at `now`.
//!
//! The periods are catalogue data (`domain/catalogue/retention.toml`, with documented
//! defaults; see docs/RETENTION.md). [`decide`] is the one rule the retention job, its
//! dry run and the records of processing read.

use crate::filing::FilingStatus;
use crate::travel::TravelStatus;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;

const RETENTION_SOURCE: &str = include_str!("../catalogue/retention.toml");

crate::code_enum!(
    /// How a filing ended, as far as retention is concerned: each has its own period.
    RetentionClass, "retention class", {
        /// Never submitted.
        Draft => "draft",
        /// Withdrawn by the citizen.
        Withdrawn => "withdrawn",
        /// Rejected by the unit (closed or not).
        Rejected => "rejected",
        /// Redirected to another body (closed or not).
        Redirected => "redirected",
        /// Registered, and handed over to the records system.
        Registered => "registered",
    }
);

/// The periods of one procedure, in days, by class.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Periods {
    pub draft: u32,
    pub withdrawn: u32,
    pub rejected: u32,
    pub redirected: u32,
    pub registered: u32,
}

impl Periods {
    /// The period of `class`, in days.
    pub fn days(&self, class: RetentionClass) -> u32 {
        match class {
            RetentionClass::Draft => self.draft,
            RetentionClass::Withdrawn => self.withdrawn,
            RetentionClass::Rejected => self.rejected,
            RetentionClass::Redirected => self.redirected,
            RetentionClass::Registered => self.registered,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct PartialPeriods {
    draft: Option<u32>,
    withdrawn: Option<u32>,
    rejected: Option<u32>,
    redirected: Option<u32>,
    registered: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetention {
    defaults: Periods,
    #[serde(default)]
    procedures: BTreeMap<String, PartialPeriods>,
    travel: TravelPeriods,
}

/// The retention periods of every procedure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionPolicy {
    pub defaults: Periods,
    /// The procedures whose periods differ from the defaults, complete.
    pub procedures: BTreeMap<String, Periods>,
    /// The periods of minors' travel authorisation requests (`[travel]`).
    pub travel: TravelPeriods,
}

#[derive(Debug, thiserror::Error)]
pub enum RetentionPolicyError {
    #[error("retention periods: {0}")]
    Syntax(String),
    #[error("retention periods: unknown procedure `{0}`")]
    UnknownProcedure(String),
}

impl RetentionPolicy {
    /// The shipped periods (`domain/catalogue/retention.toml`), checked against the
    /// procedure codes `known`.
    pub fn shipped<'a>(
        known: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, RetentionPolicyError> {
        Self::parse(RETENTION_SOURCE, known)
    }

    /// Periods from a TOML text shaped like `retention.toml`; every overridden procedure
    /// must be one of `known`.
    pub fn parse<'a>(
        source: &str,
        known: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, RetentionPolicyError> {
        let raw: RawRetention =
            toml::from_str(source).map_err(|e| RetentionPolicyError::Syntax(e.to_string()))?;
        let known: Vec<&str> = known.into_iter().collect();
        let mut procedures = BTreeMap::new();
        for (code, partial) in raw.procedures {
            if !known.contains(&code.as_str()) {
                return Err(RetentionPolicyError::UnknownProcedure(code));
            }
            let d = &raw.defaults;
            procedures.insert(
                code,
                Periods {
                    draft: partial.draft.unwrap_or(d.draft),
                    withdrawn: partial.withdrawn.unwrap_or(d.withdrawn),
                    rejected: partial.rejected.unwrap_or(d.rejected),
                    redirected: partial.redirected.unwrap_or(d.redirected),
                    registered: partial.registered.unwrap_or(d.registered),
                },
            );
        }
        Ok(RetentionPolicy {
            defaults: raw.defaults,
            procedures,
            travel: raw.travel,
        })
    }

    /// The periods of `procedure` (the defaults unless it has its own).
    pub fn periods(&self, procedure: &str) -> &Periods {
        self.procedures.get(procedure).unwrap_or(&self.defaults)
    }
}

/// What the retention rule needs to know of one filing (no personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionFacts<'a> {
    pub procedure: &'a str,
    pub status: FilingStatus,
    /// For a closed filing: the decision it was closed after (`registered`, `rejected`
    /// or `redirected`), from its history.
    pub decided: Option<FilingStatus>,
    /// The filing's last change (`updated_at`).
    pub last_change: DateTime<Utc>,
    /// The latest hand-over to the records system, if any.
    pub handed_over: Option<DateTime<Utc>>,
    /// Whether an officer restricted the filing (Art. 16(3)): it is kept.
    pub restricted: bool,
}

/// Why a filing is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepReason {
    /// Submitted and not decided: the unit still processes it.
    Open,
    /// Registered but never handed over to the records system.
    NotHandedOver,
    /// Restricted by an officer instead of erased.
    Restricted,
    /// Its period has not run out yet (until this time).
    PeriodRunning(DateTime<Utc>),
}

/// What the retention job does with a filing at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetentionDecision {
    Keep(KeepReason),
    /// Erase: its `class`'s period of `days` ran out at `due`.
    Erase {
        class: RetentionClass,
        days: u32,
        due: DateTime<Utc>,
    },
}

/// The retention class of a filing in `status` (closed after `decided`); `None` while it
/// is open (or a closed filing whose decision is unknown, which is kept).
pub fn class_of(status: FilingStatus, decided: Option<FilingStatus>) -> Option<RetentionClass> {
    let status = match (status, decided) {
        (FilingStatus::Closed, Some(decided)) => decided,
        (status, _) => status,
    };
    match status {
        FilingStatus::Draft => Some(RetentionClass::Draft),
        FilingStatus::Withdrawn => Some(RetentionClass::Withdrawn),
        FilingStatus::Rejected => Some(RetentionClass::Rejected),
        FilingStatus::Redirected => Some(RetentionClass::Redirected),
        FilingStatus::Registered => Some(RetentionClass::Registered),
        _ => None,
    }
}

/// Whether `filing` is due for erasure at `now` under `policy`.
pub fn decide(
    policy: &RetentionPolicy,
    filing: &RetentionFacts<'_>,
    now: DateTime<Utc>,
) -> RetentionDecision {
    if filing.restricted {
        return RetentionDecision::Keep(KeepReason::Restricted);
    }
    let Some(class) = class_of(filing.status, filing.decided) else {
        return RetentionDecision::Keep(KeepReason::Open);
    };
    let start = if class == RetentionClass::Registered {
        match filing.handed_over {
            Some(at) => at,
            None => return RetentionDecision::Keep(KeepReason::NotHandedOver),
        }
    } else {
        filing.last_change
    };
    let days = policy.periods(filing.procedure).days(class);
    let due = start + Duration::days(i64::from(days));
    if now >= due {
        RetentionDecision::Erase { class, days, due }
    } else {
        RetentionDecision::Keep(KeepReason::PeriodRunning(due))
    }
}

/// The statuses whose filings may be due (the retention job's candidates).
pub const CANDIDATE_STATUSES: &[FilingStatus] = &[
    FilingStatus::Draft,
    FilingStatus::Withdrawn,
    FilingStatus::Rejected,
    FilingStatus::Redirected,
    FilingStatus::Registered,
    FilingStatus::Closed,
];

crate::code_enum!(
    /// How a minor's travel authorisation request ended, as far as retention is
    /// concerned (docs/RETENTION.md): each has its own period.
    TravelRetentionClass, "travel retention class", {
        /// Still waiting for the other holder's answer (the invitation long expired).
        Unfinished => "unfinished",
        /// Waiting for the unit's review, and the trip is over.
        Unreviewed => "unreviewed",
        /// The other holder refused.
        Refused => "refused",
        /// The unit rejected it.
        Rejected => "rejected",
        /// Approved: the document was issued and is past its validity.
        Issued => "issued",
        /// The issued document was revoked.
        Revoked => "revoked",
    }
);

/// The retention periods of travel authorisation requests, in days, by class.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TravelPeriods {
    pub unfinished: u32,
    pub unreviewed: u32,
    pub refused: u32,
    pub rejected: u32,
    pub issued: u32,
    pub revoked: u32,
}

impl TravelPeriods {
    /// The period of `class`, in days.
    pub fn days(&self, class: TravelRetentionClass) -> u32 {
        use TravelRetentionClass as C;
        match class {
            C::Unfinished => self.unfinished,
            C::Unreviewed => self.unreviewed,
            C::Refused => self.refused,
            C::Rejected => self.rejected,
            C::Issued => self.issued,
            C::Revoked => self.revoked,
        }
    }
}

/// What the retention rule needs to know of one travel request (no personal data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TravelFacts {
    pub status: TravelStatus,
    /// The request's last change (`updated_at`): the refusal, the decision, the
    /// revocation.
    pub last_change: DateTime<Utc>,
    /// The end of the trip (the end of the return day in the unit's time zone, the
    /// document's expiry); unknown for requests made before it was recorded.
    pub trip_ends: Option<DateTime<Utc>>,
}

/// What the retention job does with a travel request at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TravelRetention {
    /// Kept until `Some(due)`; `None` when its clock is unknown (a request under
    /// review or approved whose trip end was not recorded): kept, reported.
    Keep(Option<DateTime<Utc>>),
    /// Erase: its `class`'s period of `days` ran out at `due`.
    Erase {
        class: TravelRetentionClass,
        days: u32,
        due: DateTime<Utc>,
    },
}

/// Whether a travel request is due for erasure at `now`. Each period runs from:
/// `unfinished`, `refused`, `rejected` the last change; `unreviewed` the later of the
/// last change and the end of the trip (a request nobody reviewed is kept while its trip
/// may still happen); `issued` the end of the trip (the document's expiry); `revoked` the
/// later of the revocation and the end of the trip.
pub fn decide_travel(
    periods: &TravelPeriods,
    facts: &TravelFacts,
    now: DateTime<Utc>,
) -> TravelRetention {
    use TravelRetentionClass as C;
    use TravelStatus as S;
    let (class, start) = match facts.status {
        S::AwaitingConsent => (C::Unfinished, Some(facts.last_change)),
        S::AwaitingReview => (
            C::Unreviewed,
            facts.trip_ends.map(|end| end.max(facts.last_change)),
        ),
        S::Refused => (C::Refused, Some(facts.last_change)),
        S::Rejected => (C::Rejected, Some(facts.last_change)),
        S::Approved => (C::Issued, facts.trip_ends),
        S::Revoked => (
            C::Revoked,
            Some(
                facts
                    .trip_ends
                    .map_or(facts.last_change, |end| end.max(facts.last_change)),
            ),
        ),
    };
    let Some(start) = start else {
        return TravelRetention::Keep(None);
    };
    let days = periods.days(class);
    let due = start + Duration::days(i64::from(days));
    if now >= due {
        TravelRetention::Erase { class, days, due }
    } else {
        TravelRetention::Keep(Some(due))
    }
}

/// The longest a restriction may run before its review, in days (five years).
pub const RESTRICTION_REVIEW_MAX_DAYS: i64 = 1826;

/// Checks an officer's restriction (Art. 16(3)) made at `now`: a reason (1 to
/// `limits::JUSTIFICATION_MAX_CHARS` characters, trimmed) and a review date after today
/// and at most [`RESTRICTION_REVIEW_MAX_DAYS`] away. Returns the trimmed reason and the
/// review time (the start of that day, UTC).
pub fn check_restriction(
    reason: &str,
    review_on: chrono::NaiveDate,
    now: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>), Vec<crate::forms::FieldIssue>> {
    use crate::forms::FieldIssue;
    let mut issues = Vec::new();
    let reason = reason.trim();
    if reason.is_empty() {
        issues.push(FieldIssue::new("/reason", "empty"));
    } else if reason.chars().count() > crate::limits::JUSTIFICATION_MAX_CHARS {
        issues.push(FieldIssue::new("/reason", "too_long"));
    }
    let review = review_on.and_time(chrono::NaiveTime::MIN).and_utc();
    if review_on <= now.date_naive() {
        issues.push(FieldIssue::new("/review_on", "in_past"));
    } else if review > now + Duration::days(RESTRICTION_REVIEW_MAX_DAYS) {
        issues.push(FieldIssue::new("/review_on", "too_late"));
    }
    if issues.is_empty() {
        Ok((reason.to_owned(), review))
    } else {
        Err(issues)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn policy() -> RetentionPolicy {
        RetentionPolicy::shipped(["online_scam", "bicycle_theft"]).unwrap()
    }

    fn facts(status: FilingStatus) -> RetentionFacts<'static> {
        RetentionFacts {
            procedure: "bicycle_theft",
            status,
            decided: None,
            last_change: Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap(),
            handed_over: None,
            restricted: false,
        }
    }

    fn day(d: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap() + Duration::days(d)
    }

    #[test]
    fn travel_requests_go_after_their_documented_periods() {
        use TravelRetentionClass as C;
        use TravelStatus as S;
        let p = policy().travel;
        assert_eq!(
            (
                p.unfinished,
                p.unreviewed,
                p.refused,
                p.rejected,
                p.issued,
                p.revoked
            ),
            (30, 30, 365, 365, 90, 365)
        );
        let facts = |status, trip_ends| TravelFacts {
            status,
            last_change: day(0),
            trip_ends,
        };
        let erase = |class, days, due| TravelRetention::Erase { class, days, due };
        let cases = [
            // An unanswered invitation: 30 days after the request.
            (
                facts(S::AwaitingConsent, Some(day(200))),
                day(30),
                erase(C::Unfinished, 30, day(30)),
            ),
            (
                facts(S::AwaitingConsent, None),
                day(29),
                TravelRetention::Keep(Some(day(30))),
            ),
            // Under review: kept while the trip may happen, 30 days after it ended.
            (
                facts(S::AwaitingReview, Some(day(100))),
                day(31),
                TravelRetention::Keep(Some(day(130))),
            ),
            (
                facts(S::AwaitingReview, Some(day(100))),
                day(130),
                erase(C::Unreviewed, 30, day(130)),
            ),
            (
                facts(S::AwaitingReview, None),
                day(5000),
                TravelRetention::Keep(None),
            ),
            (
                facts(S::Refused, None),
                day(365),
                erase(C::Refused, 365, day(365)),
            ),
            (
                facts(S::Rejected, None),
                day(364),
                TravelRetention::Keep(Some(day(365))),
            ),
            // Issued: 90 days after the document's expiry.
            (
                facts(S::Approved, Some(day(20))),
                day(110),
                erase(C::Issued, 90, day(110)),
            ),
            (
                facts(S::Approved, Some(day(20))),
                day(109),
                TravelRetention::Keep(Some(day(110))),
            ),
            (
                facts(S::Approved, None),
                day(5000),
                TravelRetention::Keep(None),
            ),
            // Revoked: a year after the later of the revocation and the trip's end.
            (
                facts(S::Revoked, Some(day(20))),
                day(385),
                erase(C::Revoked, 365, day(385)),
            ),
            (
                facts(S::Revoked, None),
                day(365),
                erase(C::Revoked, 365, day(365)),
            ),
        ];
        for (facts, now, expected) in cases {
            assert_eq!(
                decide_travel(&p, &facts, now),
                expected,
                "{facts:?} at {now}"
            );
        }
    }

    #[test]
    fn the_documented_defaults() {
        let p = policy();
        assert_eq!(p.defaults.draft, 30);
        assert_eq!(p.defaults.rejected, 365);
        assert_eq!(p.periods("online_scam").registered, 30);
        assert_eq!(p.periods("online_scam").draft, 30);
        assert_eq!(p.periods("bicycle_theft").registered, 90);
    }

    #[test]
    fn every_shipped_procedure_is_known() {
        let catalogue = crate::catalogue::Catalogue::builtin().unwrap();
        let codes: Vec<&str> = catalogue
            .procedures
            .iter()
            .map(|p| p.code.as_str())
            .collect();
        RetentionPolicy::shipped(codes).unwrap();
    }

    #[test]
    fn an_unknown_procedure_is_refused() {
        let error = RetentionPolicy::parse(
            "[defaults]\ndraft=1\nwithdrawn=1\nrejected=1\nredirected=1\nregistered=1\n\
             [travel]\nunfinished=1\nunreviewed=1\nrefused=1\nrejected=1\nissued=1\nrevoked=1\n\
             [procedures.nope]\ndraft=2\n",
            ["online_scam"],
        )
        .unwrap_err();
        assert!(matches!(error, RetentionPolicyError::UnknownProcedure(c) if c == "nope"));
    }

    #[test]
    fn a_draft_goes_after_thirty_days() {
        let p = policy();
        let draft = facts(FilingStatus::Draft);
        assert_eq!(
            decide(&p, &draft, day(29)),
            RetentionDecision::Keep(KeepReason::PeriodRunning(day(30)))
        );
        assert_eq!(
            decide(&p, &draft, day(30)),
            RetentionDecision::Erase {
                class: RetentionClass::Draft,
                days: 30,
                due: day(30)
            }
        );
    }

    #[test]
    fn open_filings_are_kept_whatever_their_age() {
        for status in FilingStatus::OPEN {
            assert_eq!(
                decide(&policy(), &facts(*status), day(10_000)),
                RetentionDecision::Keep(KeepReason::Open)
            );
        }
    }

    #[test]
    fn a_registered_filing_counts_from_its_hand_over() {
        let p = policy();
        let mut registered = facts(FilingStatus::Registered);
        assert_eq!(
            decide(&p, &registered, day(10_000)),
            RetentionDecision::Keep(KeepReason::NotHandedOver)
        );
        registered.handed_over = Some(day(100));
        assert!(matches!(
            decide(&p, &registered, day(189)),
            RetentionDecision::Keep(_)
        ));
        assert!(matches!(
            decide(&p, &registered, day(190)),
            RetentionDecision::Erase {
                class: RetentionClass::Registered,
                ..
            }
        ));
    }

    #[test]
    fn a_closed_filing_keeps_the_period_of_its_decision() {
        let mut closed = facts(FilingStatus::Closed);
        closed.decided = Some(FilingStatus::Rejected);
        assert!(matches!(
            decide(&policy(), &closed, day(364)),
            RetentionDecision::Keep(_)
        ));
        assert!(matches!(
            decide(&policy(), &closed, day(365)),
            RetentionDecision::Erase {
                class: RetentionClass::Rejected,
                days: 365,
                ..
            }
        ));
        closed.decided = None;
        assert_eq!(
            decide(&policy(), &closed, day(10_000)),
            RetentionDecision::Keep(KeepReason::Open)
        );
    }

    #[test]
    fn a_restricted_filing_is_kept() {
        let mut draft = facts(FilingStatus::Draft);
        draft.restricted = true;
        assert_eq!(
            decide(&policy(), &draft, day(10_000)),
            RetentionDecision::Keep(KeepReason::Restricted)
        );
    }

    #[test]
    fn a_restriction_needs_a_reason_and_a_review_date_ahead() {
        let now = day(0);
        let tomorrow = day(1).date_naive();
        let (reason, review) = check_restriction("  evidence in case 12  ", tomorrow, now).unwrap();
        assert_eq!(reason, "evidence in case 12");
        assert_eq!(review.date_naive(), tomorrow);
        let codes = |r: Result<_, Vec<crate::forms::FieldIssue>>| {
            r.unwrap_err()
                .iter()
                .map(|i| (i.pointer.clone(), i.code))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            codes(check_restriction(" ", now.date_naive(), now)),
            [
                ("/reason".to_owned(), "empty"),
                ("/review_on".to_owned(), "in_past")
            ]
        );
        assert_eq!(
            codes(check_restriction("x", day(2000).date_naive(), now)),
            [("/review_on".to_owned(), "too_late")]
        );
    }
}

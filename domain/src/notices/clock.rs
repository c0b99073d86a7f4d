//! The case clock: when each step still to come of a filing is expected, from the
//! unit's processing target and its service hours, and whether the filing is late.
//!
//! Processing follows the unit's service hours (filing is 24/7, DOMAIN.md rule 5): a
//! target counts service hours only, so a filing sent on Saturday night to a unit open
//! Monday to Friday starts its clock on Monday morning. The steps:
//!
//! | status | steps still to come |
//! |---|---|
//! | `submitted`, `transferred` | taken in charge: `take_in_charge_hours` of service time after the filing reached the unit; decision: `decision_hours` after that |
//! | `taken_in_charge` | decision: `decision_hours` after the filing was taken in charge, or after the citizen's answer |
//! | `info_requested` | the citizen's answer (no date: it is theirs to give), then the decision (dated once the answer is in) |
//! | decided or finished | none |

use crate::directory::ServiceHours;
use crate::filing::FilingStatus;
use chrono::{DateTime, Utc};

/// How long a unit takes, in hours of its service time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessingTarget {
    /// From reaching the unit to being taken in charge.
    pub take_in_charge_hours: u32,
    /// From being taken in charge (or the citizen's answer) to the decision.
    pub decision_hours: u32,
}

impl ProcessingTarget {
    /// The default for every unit: taken in charge within one working day (8 service
    /// hours), decided within three more (24 service hours). Deployments set theirs with
    /// `notices.take_in_charge_hours` and `notices.decision_hours`, and per unit with
    /// `notices.unit_targets`.
    pub const DEFAULT: ProcessingTarget = ProcessingTarget {
        take_in_charge_hours: 8,
        decision_hours: 24,
    };
}

impl Default for ProcessingTarget {
    fn default() -> Self {
        Self::DEFAULT
    }
}

crate::code_enum!(
    /// A step of a filing still to come.
    ClockStep, "clock step", {
        TakenInCharge => "taken_in_charge",
        YourAnswer => "your_answer",
        Decision => "decision",
    }
);

/// One step still to come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedStep {
    pub step: ClockStep,
    /// When it is expected at the latest; `None` when it depends on the citizen, or when
    /// the unit offers no service time within a year.
    pub expected_by: Option<DateTime<Utc>>,
    /// Whether `expected_by` has passed.
    pub late: bool,
}

/// The filing's expected timeline at `now`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    pub steps: Vec<ExpectedStep>,
    /// Whether a step is late.
    pub late: bool,
    /// The target used.
    pub target: ProcessingTarget,
}

/// The timeline of a filing in `status` since `since` (when it entered that status: its
/// submission, transfer, taking in charge or the citizen's answer), in a unit with
/// `hours` and `target`; `None` for a draft.
pub fn timeline(
    status: FilingStatus,
    since: DateTime<Utc>,
    hours: &ServiceHours,
    target: &ProcessingTarget,
    now: DateTime<Utc>,
) -> Option<Timeline> {
    let after = |start: Option<DateTime<Utc>>, service_hours: u32| {
        start.and_then(|s| hours.after_service_minutes(s, service_hours.saturating_mul(60)))
    };
    let step = |step: ClockStep, expected_by: Option<DateTime<Utc>>| ExpectedStep {
        step,
        expected_by,
        late: expected_by.is_some_and(|by| now > by),
    };
    let steps = match status {
        FilingStatus::Draft => return None,
        FilingStatus::Submitted | FilingStatus::Transferred => {
            let taken = after(Some(since), target.take_in_charge_hours);
            vec![
                step(ClockStep::TakenInCharge, taken),
                step(ClockStep::Decision, after(taken, target.decision_hours)),
            ]
        }
        FilingStatus::TakenInCharge => vec![step(
            ClockStep::Decision,
            after(Some(since), target.decision_hours),
        )],
        FilingStatus::InfoRequested => vec![
            step(ClockStep::YourAnswer, None),
            step(ClockStep::Decision, None),
        ],
        FilingStatus::Registered
        | FilingStatus::Rejected
        | FilingStatus::Redirected
        | FilingStatus::Withdrawn
        | FilingStatus::Closed => Vec::new(),
    };
    Some(Timeline {
        late: steps.iter().any(|s| s.late),
        steps,
        target: *target,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn office() -> ServiceHours {
        ServiceHours::parse("mo-fr 08:00-16:00", "", "Europe/Brussels").unwrap()
    }

    #[test]
    fn a_filing_sent_on_saturday_night_is_expected_from_monday() {
        let target = ProcessingTarget::DEFAULT;
        let sent = at("2026-11-28T22:00:00Z");
        let clock = timeline(FilingStatus::Submitted, sent, &office(), &target, sent).unwrap();
        assert_eq!(clock.steps.len(), 2);
        // Monday 08:00-16:00 local: taken in charge by Monday 16:00 (15:00 UTC).
        assert_eq!(clock.steps[0].expected_by, Some(at("2026-11-30T15:00:00Z")));
        // Three more working days: Thursday 16:00 local.
        assert_eq!(clock.steps[1].expected_by, Some(at("2026-12-03T15:00:00Z")));
        assert!(!clock.late);
        let tuesday = at("2026-12-01T09:00:00Z");
        let clock = timeline(FilingStatus::Submitted, sent, &office(), &target, tuesday).unwrap();
        assert!(clock.late && clock.steps[0].late && !clock.steps[1].late);
    }

    #[test]
    fn the_steps_follow_the_status() {
        let t = ProcessingTarget::DEFAULT;
        let now = at("2026-11-30T09:00:00Z");
        let h = office();
        assert!(timeline(FilingStatus::Draft, now, &h, &t, now).is_none());
        let taken = timeline(FilingStatus::TakenInCharge, now, &h, &t, now).unwrap();
        assert_eq!(taken.steps.len(), 1);
        assert_eq!(taken.steps[0].step, ClockStep::Decision);
        let waiting = timeline(FilingStatus::InfoRequested, now, &h, &t, now).unwrap();
        assert_eq!(waiting.steps[0].step, ClockStep::YourAnswer);
        assert!(waiting
            .steps
            .iter()
            .all(|s| s.expected_by.is_none() && !s.late));
        for done in [
            FilingStatus::Registered,
            FilingStatus::Closed,
            FilingStatus::Withdrawn,
        ] {
            let clock = timeline(done, now, &h, &t, now).unwrap();
            assert!(clock.steps.is_empty() && !clock.late, "{done}");
        }
    }
}

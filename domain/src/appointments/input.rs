//! A supervisor's capacity, as sent (API body or CLI file), checked into a [`Capacity`].
//! Every issue is reported with its JSON pointer; nothing is half-taken.

use super::capacity::{
    check_windows, format_window, parse_window, within_hours, Capacity, Exception, DESKS_MAX,
    DURATION_MINUTES, EXCEPTIONS_MAX, HORIZON_MAX_DAYS, NOTICE_MAX_MINUTES,
};
use super::AppointmentKind;
use crate::directory::hours::{Interval, ServiceHours};
use crate::forms::{Accepted, FieldIssue};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::BTreeMap;

/// Weekday keys of the weekly template, Monday first.
pub const WEEKDAYS: [&str; 7] = ["mo", "tu", "we", "th", "fr", "sa", "su"];
/// Longest reason of an exception, in characters.
pub const EXCEPTION_REASON_MAX_CHARS: usize = 200;
/// Most windows in one day.
pub const WINDOWS_PER_DAY_MAX: usize = 12;

/// Defaults of the optional members.
pub const DEFAULT_CHANGE_CUTOFF_MINUTES: u32 = 24 * 60;
pub const DEFAULT_MIN_NOTICE_MINUTES: u32 = 60;
pub const DEFAULT_HORIZON_DAYS: u32 = 60;

/// A dated exception as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionInput {
    pub date: NaiveDate,
    /// `HH:MM-HH:MM` windows; empty = closed that day.
    pub hours: Vec<String>,
    pub reason: Option<String>,
}

/// A capacity as sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CapacityInput {
    pub duration_minutes: u32,
    pub desks: u32,
    /// `mo`..`su` → `HH:MM-HH:MM` windows; a missing day is closed.
    pub weekly: BTreeMap<String, Vec<String>>,
    pub exceptions: Vec<ExceptionInput>,
    pub change_cutoff_minutes: Option<u32>,
    pub min_notice_minutes: Option<u32>,
    pub horizon_days: Option<u32>,
    pub active: Option<bool>,
}

fn range(pointer: String, min: u32, max: u32) -> FieldIssue {
    FieldIssue::new(pointer, "out_of_range").with(Accepted {
        minimum: Some(min.into()),
        maximum: Some(max.into()),
        ..Accepted::default()
    })
}

fn windows(
    raw: &[String],
    pointer: &str,
    duration: u32,
    issues: &mut Vec<FieldIssue>,
) -> Vec<Interval> {
    if raw.len() > WINDOWS_PER_DAY_MAX {
        issues.push(FieldIssue::new(pointer, "too_many").with(Accepted {
            max_items: Some(WINDOWS_PER_DAY_MAX as u64),
            ..Accepted::default()
        }));
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, w) in raw.iter().enumerate() {
        match parse_window(w) {
            Some(window) => out.push(window),
            None => issues.push(FieldIssue::new(format!("{pointer}/{i}"), "invalid_window")),
        }
    }
    out.sort_unstable();
    if out.len() == raw.len() {
        if let Err(code) = check_windows(&out, duration) {
            issues.push(FieldIssue::new(pointer, code));
        }
    }
    out
}

/// The pieces of a capacity that are not its template.
pub struct Target<'a> {
    pub unit: &'a str,
    pub kind: AppointmentKind,
    /// The unit's service hours: every weekly window must lie within them.
    pub hours: &'a ServiceHours,
    /// The version the new capacity gets.
    pub version: i64,
}

impl CapacityInput {
    /// Checks the input against the limits and the unit's service hours.
    pub fn check(
        self,
        target: Target<'_>,
        now: DateTime<Utc>,
    ) -> Result<Capacity, Vec<FieldIssue>> {
        let mut issues = Vec::new();
        let (dmin, dmax) = DURATION_MINUTES;
        if !(dmin..=dmax).contains(&self.duration_minutes) {
            issues.push(range("/duration_minutes".into(), dmin, dmax));
        }
        if !(1..=DESKS_MAX).contains(&self.desks) {
            issues.push(range("/desks".into(), 1, DESKS_MAX));
        }
        let duration = self.duration_minutes.max(dmin);
        let mut weekly: [Vec<Interval>; 7] = Default::default();
        for (day, raw) in &self.weekly {
            let pointer = format!("/weekly/{day}");
            let Some(index) = WEEKDAYS.iter().position(|d| d == day) else {
                issues.push(FieldIssue::new(pointer, "unknown_field").with(Accepted {
                    allowed: Some(WEEKDAYS.iter().map(|d| d.to_string()).collect()),
                    ..Accepted::default()
                }));
                continue;
            };
            let parsed = windows(raw, &pointer, duration, &mut issues);
            if !within_hours(target.hours, index, &parsed) {
                issues.push(FieldIssue::new(pointer, "outside_service_hours"));
            }
            weekly[index] = parsed;
        }
        if self.exceptions.len() > EXCEPTIONS_MAX {
            issues.push(FieldIssue::new("/exceptions", "too_many").with(Accepted {
                max_items: Some(EXCEPTIONS_MAX as u64),
                ..Accepted::default()
            }));
        }
        let mut exceptions = BTreeMap::new();
        for (i, e) in self.exceptions.iter().enumerate() {
            let pointer = format!("/exceptions/{i}");
            let parsed = windows(&e.hours, &format!("{pointer}/hours"), duration, &mut issues);
            if e.reason
                .as_ref()
                .is_some_and(|r| r.chars().count() > EXCEPTION_REASON_MAX_CHARS)
            {
                issues.push(
                    FieldIssue::new(format!("{pointer}/reason"), "too_long").with(Accepted {
                        max_length: Some(EXCEPTION_REASON_MAX_CHARS as u64),
                        ..Accepted::default()
                    }),
                );
            }
            let exception = Exception {
                date: e.date,
                windows: parsed,
                reason: e.reason.clone(),
            };
            if exceptions.insert(e.date, exception).is_some() {
                issues.push(FieldIssue::new(format!("{pointer}/date"), "duplicate_date"));
            }
        }
        let optional = |value: Option<u32>,
                        default: u32,
                        max: u32,
                        name: &str,
                        issues: &mut Vec<FieldIssue>| {
            let value = value.unwrap_or(default);
            if value > max {
                issues.push(range(format!("/{name}"), 0, max));
            }
            value
        };
        let change_cutoff_minutes = optional(
            self.change_cutoff_minutes,
            DEFAULT_CHANGE_CUTOFF_MINUTES,
            NOTICE_MAX_MINUTES,
            "change_cutoff_minutes",
            &mut issues,
        );
        let min_notice_minutes = optional(
            self.min_notice_minutes,
            DEFAULT_MIN_NOTICE_MINUTES,
            NOTICE_MAX_MINUTES,
            "min_notice_minutes",
            &mut issues,
        );
        let horizon_days = self.horizon_days.unwrap_or(DEFAULT_HORIZON_DAYS);
        if !(1..=HORIZON_MAX_DAYS).contains(&horizon_days) {
            issues.push(range("/horizon_days".into(), 1, HORIZON_MAX_DAYS));
        }
        if !issues.is_empty() {
            return Err(issues);
        }
        Ok(Capacity {
            unit: target.unit.to_owned(),
            kind: target.kind,
            duration_minutes: self.duration_minutes,
            desks: self.desks,
            weekly,
            exceptions,
            change_cutoff_minutes,
            min_notice_minutes,
            horizon_days,
            timezone: target.hours.timezone,
            active: self.active.unwrap_or(true),
            version: target.version,
            updated_at: now,
        })
    }
}

impl Capacity {
    /// The capacity back in its input shape (for the API's view and the CLI's export).
    pub fn to_input(&self) -> CapacityInput {
        let weekly = WEEKDAYS
            .iter()
            .zip(&self.weekly)
            .filter(|(_, w)| !w.is_empty())
            .map(|(d, w)| {
                (
                    d.to_string(),
                    w.iter().copied().map(format_window).collect(),
                )
            })
            .collect();
        CapacityInput {
            duration_minutes: self.duration_minutes,
            desks: self.desks,
            weekly,
            exceptions: self
                .exceptions
                .values()
                .map(|e| ExceptionInput {
                    date: e.date,
                    hours: e.windows.iter().copied().map(format_window).collect(),
                    reason: e.reason.clone(),
                })
                .collect(),
            change_cutoff_minutes: Some(self.change_cutoff_minutes),
            min_notice_minutes: Some(self.min_notice_minutes),
            horizon_days: Some(self.horizon_days),
            active: Some(self.active),
        }
    }
}

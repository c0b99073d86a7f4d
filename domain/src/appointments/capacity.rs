//! What a unit offers for one kind of appointment: a slot length, parallel desks, a
//! weekly template in the unit's local time (within its service hours) and dated
//! exceptions (holidays, closures, changed hours). Slots are computed, never stored:
//! each is an instant in UTC with its local time in the unit's zone.
//!
//! Daylight-saving time: a window is turned into two instants (its local start and end in
//! the unit's zone) and slots are laid from the start every `duration` of real time.
//! On the spring-forward Sunday a window that spans 02:00–03:00 is one hour shorter (no
//! slot in the missing hour); on the fall-back Sunday it is one hour longer (the repeated
//! hour has its slots twice, at distinct instants). A window of daytime hours keeps its
//! local times on both days.

use super::{AppointmentError, AppointmentKind};
use crate::directory::hours::{Interval, ServiceHours};
use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use std::collections::BTreeMap;

/// Shortest and longest slot, in minutes.
pub const DURATION_MINUTES: (u32, u32) = (5, 240);
/// Most parallel desks of one kind in one unit.
pub const DESKS_MAX: u32 = 50;
/// Most dated exceptions kept for one kind in one unit.
pub const EXCEPTIONS_MAX: usize = 400;
/// Longest cut-off before a slot for changes and longest notice, in minutes (7 days).
pub const NOTICE_MAX_MINUTES: u32 = 7 * 24 * 60;
/// How far ahead a citizen may book, in days.
pub const HORIZON_MAX_DAYS: u32 = 366;

/// A dated exception: other hours that day, or none (closed), with an optional reason
/// shown to supervisors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    pub date: NaiveDate,
    /// Minutes since local midnight, `[start, end)`; empty = closed all day.
    pub windows: Vec<Interval>,
    pub reason: Option<String>,
}

/// A unit's published capacity for one kind of appointment.
#[derive(Debug, Clone, PartialEq)]
pub struct Capacity {
    pub unit: String,
    pub kind: AppointmentKind,
    /// Length of a slot, in minutes.
    pub duration_minutes: u32,
    /// Bookings a slot takes at once (desks, or officers on video).
    pub desks: u32,
    /// Monday first; minutes since local midnight, `[start, end)`.
    pub weekly: [Vec<Interval>; 7],
    pub exceptions: BTreeMap<NaiveDate, Exception>,
    /// The citizen may reschedule or cancel until this many minutes before the slot.
    pub change_cutoff_minutes: u32,
    /// A slot is offered only if it starts at least this many minutes from now.
    pub min_notice_minutes: u32,
    /// How far ahead slots are offered, in days.
    pub horizon_days: u32,
    /// The unit's time zone (its service hours').
    pub timezone: Tz,
    /// Whether slots are offered (a supervisor may suspend booking without losing the
    /// template).
    pub active: bool,
    /// Optimistic-concurrency version (`ETag`).
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

/// One bookable slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Slot {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// A slot with the places left in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenSlot {
    pub slot: Slot,
    pub remaining: u32,
}

/// The instant of a local time, `minute` minutes after local midnight of `date`: in a
/// spring-forward gap, the first instant after it; in a repeated hour, the earlier
/// instant for a start and the later for an end (`late`).
pub fn local_instant(tz: Tz, date: NaiveDate, minute: u16, late: bool) -> Option<DateTime<Utc>> {
    let naive = date.and_hms_opt(0, 0, 0)? + Duration::minutes(i64::from(minute));
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(early, later) => {
            Some(if late { later } else { early }.with_timezone(&Utc))
        }
        LocalResult::None => {
            // Walk forward to the end of the gap (gaps are at most a few hours).
            (1..=240).find_map(|m| {
                tz.from_local_datetime(&(naive + Duration::minutes(m)))
                    .earliest()
                    .map(|t| t.with_timezone(&Utc))
            })
        }
    }
}

/// Parses `HH:MM-HH:MM` (end up to `24:00`).
pub fn parse_window(raw: &str) -> Option<Interval> {
    let time = |s: &str| -> Option<u16> {
        let (h, m) = s.trim().split_once(':')?;
        if h.len() != 2 || m.len() != 2 {
            return None;
        }
        let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
        (h <= 24 && m < 60 && (h < 24 || m == 0)).then_some(h * 60 + m)
    };
    let (a, b) = raw.split_once('-')?;
    let (a, b) = (time(a)?, time(b)?);
    (a < b).then_some((a, b))
}

/// Writes a window as `HH:MM-HH:MM`.
pub fn format_window((a, b): Interval) -> String {
    format!("{:02}:{:02}-{:02}:{:02}", a / 60, a % 60, b / 60, b % 60)
}

/// Checks windows: sorted, not overlapping, at least one slot long.
pub fn check_windows(windows: &[Interval], duration: u32) -> Result<(), &'static str> {
    let mut previous_end = 0u16;
    for (i, (a, b)) in windows.iter().enumerate() {
        if i > 0 && *a < previous_end {
            return Err("overlapping_windows");
        }
        if u32::from(b - a) < duration {
            return Err("window_shorter_than_slot");
        }
        previous_end = *b;
    }
    Ok(())
}

/// Whether every window lies within the unit's service hours of that weekday
/// (`weekday` 0 = Monday).
pub fn within_hours(hours: &ServiceHours, weekday: usize, windows: &[Interval]) -> bool {
    windows.iter().all(|(a, b)| {
        hours.weekly[weekday]
            .iter()
            .any(|(open, close)| open <= a && b <= close)
    })
}

impl Capacity {
    /// The windows of a local date: its exception's if it has one, else the template's.
    pub fn windows(&self, date: NaiveDate) -> &[Interval] {
        match self.exceptions.get(&date) {
            Some(exception) => &exception.windows,
            None => &self.weekly[date.weekday().num_days_from_monday() as usize],
        }
    }

    fn duration(&self) -> Duration {
        Duration::minutes(i64::from(self.duration_minutes))
    }

    /// Every slot of the local dates `from..=until` (in the unit's zone), in order.
    pub fn slots(&self, from: NaiveDate, until: NaiveDate) -> Vec<Slot> {
        let mut slots = Vec::new();
        let step = self.duration();
        let mut date = from;
        while date <= until {
            for (a, b) in self.windows(date) {
                let (Some(start), Some(end)) = (
                    local_instant(self.timezone, date, *a, false),
                    local_instant(self.timezone, date, *b, true),
                ) else {
                    continue;
                };
                let mut t = start;
                while t + step <= end {
                    slots.push(Slot {
                        starts_at: t,
                        ends_at: t + step,
                    });
                    t += step;
                }
            }
            let Some(next) = date.succ_opt() else { break };
            date = next;
        }
        slots
    }

    /// The local date of an instant in the unit's zone.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.timezone).date_naive()
    }

    /// The earliest start a citizen may book at `now`.
    pub fn earliest_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + Duration::minutes(i64::from(self.min_notice_minutes))
    }

    /// The latest start a citizen may book at `now`.
    pub fn latest_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + Duration::days(i64::from(self.horizon_days))
    }

    /// The slots of `from..=until` still open at `now`, given the active bookings'
    /// `(start, end)` sorted by start: never a past slot, one within the notice, one past
    /// the horizon, or a full one. A booking counts against every slot it overlaps.
    pub fn open_slots(
        &self,
        from: NaiveDate,
        until: NaiveDate,
        booked: &[(DateTime<Utc>, DateTime<Utc>)],
        now: DateTime<Utc>,
    ) -> Vec<OpenSlot> {
        if !self.active {
            return Vec::new();
        }
        let (earliest, latest) = (self.earliest_start(now), self.latest_start(now));
        let mut first = 0usize;
        self.slots(from, until)
            .into_iter()
            .filter(|s| s.starts_at >= earliest && s.starts_at <= latest)
            .filter_map(|slot| {
                // Bookings ending before this slot never overlap a later one (slots come
                // in order, and no booking is longer than a day).
                while first < booked.len() && booked[first].0 + Duration::days(1) <= slot.starts_at
                {
                    first += 1;
                }
                let taken = booked[first..]
                    .iter()
                    .take_while(|(start, _)| *start < slot.ends_at)
                    .filter(|(_, end)| *end > slot.starts_at)
                    .count() as u32;
                (taken < self.desks).then_some(OpenSlot {
                    slot,
                    remaining: self.desks - taken,
                })
            })
            .collect()
    }

    /// The slot starting at `start` if the unit offers it and a citizen may book it at
    /// `now` (capacity aside, which the store counts under a lock).
    pub fn bookable(
        &self,
        start: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Slot, AppointmentError> {
        if !self.active {
            return Err(AppointmentError::KindNotOffered);
        }
        if start < self.earliest_start(now) {
            return Err(AppointmentError::SlotInPast);
        }
        if start > self.latest_start(now) {
            return Err(AppointmentError::SlotTooFar);
        }
        let date = self.local_date(start);
        // A slot of a window that starts before midnight may belong to the previous date.
        let from = date.pred_opt().unwrap_or(date);
        self.slots(from, date)
            .into_iter()
            .find(|s| s.starts_at == start)
            .ok_or(AppointmentError::NoSuchSlot)
    }
}

//! Service hours: a weekly schedule in the unit's time zone, with dated exceptions
//! (public holidays, closures). Written `mo-fr 08:00-18:00; sa 09:00-12:00`, `24/7`, or
//! `closed`; exceptions `2026-12-25 closed; 2026-12-24 08:00-12:00`.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;
use std::collections::BTreeMap;

/// Minutes since local midnight, `[start, end)`, end up to 1440.
pub type Interval = (u16, u16);

#[derive(Debug, Clone, PartialEq)]
pub struct ServiceHours {
    pub timezone: Tz,
    /// Monday first.
    pub weekly: [Vec<Interval>; 7],
    pub exceptions: BTreeMap<NaiveDate, Vec<Interval>>,
    /// The schedule as written, for display.
    pub spec: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid service hours `{spec}`: {reason}")]
pub struct ServiceHoursError {
    pub spec: String,
    pub reason: String,
}

const DAYS: [&str; 7] = ["mo", "tu", "we", "th", "fr", "sa", "su"];

fn parse_time(raw: &str) -> Option<u16> {
    let (h, m) = raw.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 24 && m < 60 && (h < 24 || m == 0)).then_some(h * 60 + m)
}

fn parse_intervals(raw: &str) -> Option<Vec<Interval>> {
    let raw = raw.trim();
    if raw == "closed" {
        return Some(Vec::new());
    }
    raw.split(',')
        .map(|part| {
            let (a, b) = part.trim().split_once('-')?;
            let (a, b) = (parse_time(a)?, parse_time(b)?);
            (a < b).then_some((a, b))
        })
        .collect()
}

fn day_index(raw: &str) -> Option<usize> {
    DAYS.iter().position(|d| *d == raw.trim())
}

impl ServiceHours {
    /// Open around the clock.
    pub fn always(timezone: Tz) -> Self {
        Self {
            timezone,
            weekly: std::array::from_fn(|_| vec![(0, 1440)]),
            exceptions: BTreeMap::new(),
            spec: "24/7".into(),
        }
    }

    pub fn parse(spec: &str, exceptions: &str, timezone: &str) -> Result<Self, ServiceHoursError> {
        let error = |reason: &str| ServiceHoursError {
            spec: format!("{spec} | {exceptions}"),
            reason: reason.into(),
        };
        let timezone: Tz = timezone.parse().map_err(|_| error("unknown time zone"))?;
        let mut hours = if spec.trim() == "24/7" {
            Self::always(timezone)
        } else {
            let mut weekly: [Vec<Interval>; 7] = Default::default();
            for clause in spec.split(';').map(str::trim).filter(|c| !c.is_empty()) {
                let (days, times) = clause
                    .split_once(' ')
                    .ok_or_else(|| error("expected `days times`"))?;
                let intervals = parse_intervals(times).ok_or_else(|| error("bad time range"))?;
                let (first, last) = match days.split_once('-') {
                    Some((a, b)) => (day_index(a), day_index(b)),
                    None => (day_index(days), day_index(days)),
                };
                let (first, last) = first.zip(last).ok_or_else(|| error("bad day"))?;
                if first > last {
                    return Err(error("day range goes backwards"));
                }
                for day in &mut weekly[first..=last] {
                    day.extend(intervals.iter().copied());
                    day.sort_unstable();
                }
            }
            Self {
                timezone,
                weekly,
                exceptions: BTreeMap::new(),
                spec: spec.trim().to_owned(),
            }
        };
        for clause in exceptions
            .split(';')
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            let (date, times) = clause
                .split_once(' ')
                .ok_or_else(|| error("expected `date times`"))?;
            let date =
                NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| error("bad date"))?;
            let intervals = parse_intervals(times).ok_or_else(|| error("bad exception hours"))?;
            hours.exceptions.insert(date, intervals);
        }
        Ok(hours)
    }

    /// One exception as [`ServiceHours::parse`] reads it: `2026-12-25 closed`,
    /// `2026-12-24 08:00-12:00,13:00-15:00`.
    pub fn format_exception(date: NaiveDate, intervals: &[Interval]) -> String {
        if intervals.is_empty() {
            return format!("{date} closed");
        }
        let hours: Vec<String> = intervals
            .iter()
            .map(|(a, b)| format!("{:02}:{:02}-{:02}:{:02}", a / 60, a % 60, b / 60, b % 60))
            .collect();
        format!("{date} {}", hours.join(","))
    }

    /// The exceptions as [`ServiceHours::parse`] reads them back (`; `-separated).
    pub fn exceptions_spec(&self) -> String {
        self.exceptions
            .iter()
            .map(|(date, intervals)| Self::format_exception(*date, intervals))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn intervals(&self, date: NaiveDate) -> &[Interval] {
        self.exceptions
            .get(&date)
            .unwrap_or(&self.weekly[date.weekday().num_days_from_monday() as usize])
    }

    fn local(&self, now: DateTime<Utc>) -> (NaiveDate, u16) {
        let local = now.with_timezone(&self.timezone);
        (
            local.date_naive(),
            (local.hour() * 60 + local.minute()) as u16,
        )
    }

    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        let (date, minute) = self.local(now);
        self.intervals(date)
            .iter()
            .any(|(a, b)| *a <= minute && minute < *b)
    }

    fn to_utc(&self, date: NaiveDate, minute: u16) -> Option<DateTime<Utc>> {
        let naive: NaiveDateTime =
            date.and_hms_opt(0, 0, 0)? + Duration::minutes(i64::from(minute));
        match self.timezone.from_local_datetime(&naive) {
            LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
            LocalResult::Ambiguous(earliest, _) => Some(earliest.with_timezone(&Utc)),
            // In the spring-forward gap: the first valid instant after it.
            LocalResult::None => self
                .timezone
                .from_local_datetime(&(naive + Duration::hours(1)))
                .earliest()
                .map(|t| t.with_timezone(&Utc)),
        }
    }

    /// When the unit next opens, if it is closed now (looking two weeks ahead).
    pub fn next_opening(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.is_open(now) {
            return None;
        }
        let (today, minute) = self.local(now);
        for offset in 0..=14 {
            let date = today + Duration::days(offset);
            for (start, _) in self.intervals(date) {
                if offset > 0 || *start > minute {
                    return self.to_utc(date, *start);
                }
            }
        }
        None
    }

    /// When the unit closes, if it is open now; `None` when it never closes in the next
    /// two weeks.
    pub fn closes_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if !self.is_open(now) {
            return None;
        }
        let (today, mut minute) = self.local(now);
        for offset in 0..=14 {
            let date = today + Duration::days(offset);
            let intervals = self.intervals(date);
            let Some((_, end)) = intervals.iter().find(|(a, b)| *a <= minute && minute < *b) else {
                return self.to_utc(date, minute);
            };
            if *end < 1440 {
                return self.to_utc(date, *end);
            }
            minute = 0;
        }
        None
    }
}

/// How far one service-time search looks ahead, in days: a unit closed for longer has no
/// date to promise.
const SERVICE_TIME_HORIZON_DAYS: i64 = 366;

impl ServiceHours {
    /// The instant at which `minutes` of service time (time during which the unit is open)
    /// have passed since `start`; `start` itself when `minutes` is 0 and the unit is open.
    /// Intervals are counted in the unit's local clock time, to the minute (a start with
    /// seconds keeps them, and may end up to a minute past a closing time). `None` when the unit does not
    /// offer that much service time within a year (closed, or almost always closed).
    pub fn after_service_minutes(
        &self,
        start: DateTime<Utc>,
        minutes: u32,
    ) -> Option<DateTime<Utc>> {
        let (first_day, first_minute) = self.local(start);
        let mut left = minutes;
        for offset in 0..SERVICE_TIME_HORIZON_DAYS {
            let date = first_day + Duration::days(offset);
            for (a, b) in self.intervals(date) {
                let from = if offset == 0 {
                    (*a).max(first_minute)
                } else {
                    *a
                };
                if from >= *b {
                    continue;
                }
                let available = u32::from(*b - from);
                if left <= available {
                    // `left` fits in this interval, which is at most 1440 minutes long.
                    let minute = from + u16::try_from(left).ok()?;
                    // Starting inside an interval, the seconds of `start` count too.
                    let seconds = if offset == 0 && from == first_minute {
                        let local = start.with_timezone(&self.timezone);
                        Duration::seconds(i64::from(local.second()))
                            + Duration::nanoseconds(i64::from(local.nanosecond()))
                    } else {
                        Duration::zero()
                    };
                    return self.to_utc(date, minute).map(|t| t + seconds);
                }
                left -= available;
            }
        }
        None
    }
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
        ServiceHours::parse(
            "mo-fr 08:00-12:00,13:00-18:00; sa 09:00-12:00",
            "2026-12-25 closed; 2026-12-24 08:00-12:00",
            "Europe/Brussels",
        )
        .unwrap()
    }

    #[test]
    fn open_and_closed_at_given_instants() {
        let h = office();
        // Monday 2026-11-23: 08:30 in Brussels is 07:30 UTC (winter time).
        assert!(h.is_open(at("2026-11-23T07:30:00Z")));
        assert!(!h.is_open(at("2026-11-23T06:59:00Z")));
        assert!(!h.is_open(at("2026-11-23T11:30:00Z"))); // lunch 12:30 local
        assert!(!h.is_open(at("2026-11-22T10:00:00Z"))); // Sunday
        assert!(!h.is_open(at("2026-12-25T10:00:00Z"))); // Christmas
        assert!(h.is_open(at("2026-12-24T10:00:00Z")));
        assert!(!h.is_open(at("2026-12-24T12:00:00Z"))); // 13:00 local, half day
    }

    #[test]
    fn next_opening_and_closing() {
        let h = office();
        assert_eq!(
            h.next_opening(at("2026-11-22T10:00:00Z")),
            Some(at("2026-11-23T07:00:00Z"))
        );
        assert_eq!(
            h.next_opening(at("2026-11-23T11:30:00Z")),
            Some(at("2026-11-23T12:00:00Z"))
        );
        assert_eq!(
            h.closes_at(at("2026-11-23T07:30:00Z")),
            Some(at("2026-11-23T11:00:00Z"))
        );
        assert_eq!(h.next_opening(at("2026-11-23T07:30:00Z")), None);
        // Friday evening before Christmas weekend: Saturday 26 Dec 09:00.
        assert_eq!(
            h.next_opening(at("2026-12-24T12:00:00Z")),
            Some(at("2026-12-26T08:00:00Z"))
        );
    }

    #[test]
    fn across_daylight_saving_changes() {
        let h = office();
        // Saturday 28 March 2026, 09:30 local = 08:30 UTC (winter time, UTC+1).
        assert!(h.is_open(at("2026-03-28T08:30:00Z")));
        // Monday 30 March 2026, after the change: 08:30 local = 06:30 UTC (UTC+2).
        assert!(h.is_open(at("2026-03-30T06:30:00Z")));
        assert!(!h.is_open(at("2026-03-30T05:30:00Z")));
        // Next opening from Sunday 29 March (the change day) is Monday 08:00 CEST.
        assert_eq!(
            h.next_opening(at("2026-03-29T12:00:00Z")),
            Some(at("2026-03-30T06:00:00Z"))
        );
        // Autumn: Monday 26 October 2026, 08:00 local is 07:00 UTC again.
        assert_eq!(
            h.next_opening(at("2026-10-25T12:00:00Z")),
            Some(at("2026-10-26T07:00:00Z"))
        );
    }

    #[test]
    fn around_the_clock_never_closes() {
        let h = ServiceHours::parse("24/7", "", "Europe/Paris").unwrap();
        assert!(h.is_open(at("2026-11-22T03:00:00Z")));
        assert_eq!(h.closes_at(at("2026-11-22T03:00:00Z")), None);
    }

    #[test]
    fn exceptions_print_as_they_parse() {
        let hours = ServiceHours::parse(
            "mo-fr 08:00-18:00",
            "2026-12-25 closed; 2026-12-24 08:00-12:00,13:00-15:30",
            "Europe/Brussels",
        )
        .unwrap();
        let printed = hours.exceptions_spec();
        assert_eq!(
            printed,
            "2026-12-24 08:00-12:00,13:00-15:30; 2026-12-25 closed"
        );
        let again = ServiceHours::parse("mo-fr 08:00-18:00", &printed, "Europe/Brussels").unwrap();
        assert_eq!(again, hours);
    }

    #[test]
    fn bad_specs_are_refused() {
        for (spec, ex, tz) in [
            ("mo-fr 08:00", "", "Europe/Paris"),
            ("xx 08:00-10:00", "", "Europe/Paris"),
            ("mo 10:00-09:00", "", "Europe/Paris"),
            ("mo 08:00-25:00", "", "Europe/Paris"),
            ("mo 08:00-10:00", "2026-13-01 closed", "Europe/Paris"),
            ("mo 08:00-10:00", "", "Mars/Olympus"),
        ] {
            assert!(
                ServiceHours::parse(spec, ex, tz).is_err(),
                "{spec} {ex} {tz}"
            );
        }
    }

    #[test]
    fn service_time_counts_only_opening_hours() {
        // Brussels in winter: 08:00 local is 07:00 UTC.
        let h = ServiceHours::parse("mo-fr 08:00-16:00", "2026-12-25 closed", "Europe/Brussels")
            .unwrap();
        // Friday 27 November 2026, 15:00 local: one hour left that day, then Monday.
        assert_eq!(
            h.after_service_minutes(at("2026-11-27T14:00:00Z"), 3 * 60),
            Some(at("2026-11-30T09:00:00Z"))
        );
        // Submitted on Saturday: the clock starts on Monday at 08:00.
        assert_eq!(
            h.after_service_minutes(at("2026-11-28T10:00:00Z"), 8 * 60),
            Some(at("2026-11-30T15:00:00Z"))
        );
        // Seconds count: 15:00:30 plus half an hour is 15:30:30.
        assert_eq!(
            h.after_service_minutes(at("2026-11-30T14:00:30Z"), 30),
            Some(at("2026-11-30T14:30:30Z"))
        );
        // Christmas is skipped: Thursday 24 at 15:00 plus two hours is Monday 28 at 09:00.
        assert_eq!(
            h.after_service_minutes(at("2026-12-24T14:00:00Z"), 2 * 60),
            Some(at("2026-12-28T08:00:00Z"))
        );
        let always = ServiceHours::parse("24/7", "", "Europe/Paris").unwrap();
        assert_eq!(
            always.after_service_minutes(at("2026-11-27T14:00:00Z"), 72 * 60),
            Some(at("2026-11-30T14:00:00Z"))
        );
        let closed = ServiceHours::parse("mo closed", "", "Europe/Paris").unwrap();
        assert_eq!(
            closed.after_service_minutes(at("2026-11-27T14:00:00Z"), 1),
            None
        );
    }
}

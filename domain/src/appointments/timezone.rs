//! The UTC-offset transitions of a time zone, from the IANA data compiled in chrono-tz,
//! for the VTIMEZONE components of iCalendar files (RFC 5545 §3.6.5): a calendar that
//! names a TZID must define it.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

/// One change of offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The instant of the change.
    pub at: DateTime<Utc>,
    /// The local wall-clock time when it happens, in the offset before (RFC 5545's
    /// DTSTART of an observance).
    pub local_before: NaiveDateTime,
    /// Offsets before and after, in seconds east of UTC.
    pub offset_from: i32,
    pub offset_to: i32,
    /// The abbreviation after (`CEST`).
    pub name: String,
    /// Whether the offset after is daylight-saving time.
    pub daylight: bool,
}

/// The offset of `tz` at `at`: seconds east of UTC, abbreviation, daylight flag.
pub fn offset_at(tz: Tz, at: DateTime<Utc>) -> (i32, String, bool) {
    let offset = tz.offset_from_utc_datetime(&at.naive_utc());
    (
        offset.fix().local_minus_utc(),
        offset.abbreviation().unwrap_or("").to_owned(),
        !offset.dst_offset().is_zero(),
    )
}

/// Every transition of `tz` between `from` and `until` (found day by day, then to the
/// second by bisection).
pub fn transitions(tz: Tz, from: NaiveDate, until: NaiveDate) -> Vec<Transition> {
    let mut out = Vec::new();
    let (Some(start), Some(end)) = (from.and_hms_opt(0, 0, 0), until.and_hms_opt(0, 0, 0)) else {
        return out;
    };
    let mut t = start.and_utc();
    let end = end.and_utc();
    let mut before = offset_at(tz, t).0;
    while t < end {
        let next = t + Duration::days(1);
        let after = offset_at(tz, next).0;
        if after != before {
            // Whole seconds: `lo` has the old offset, `hi` the new one.
            let (mut lo, mut hi) = (t.timestamp(), next.timestamp());
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                let at = DateTime::from_timestamp(mid, 0).unwrap_or(t);
                if offset_at(tz, at).0 == before {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let hi = DateTime::from_timestamp(hi, 0).unwrap_or(next);
            let (offset_to, name, daylight) = offset_at(tz, hi);
            out.push(Transition {
                at: hi,
                local_before: hi.naive_utc() + Duration::seconds(i64::from(before)),
                offset_from: before,
                offset_to,
                name,
                daylight,
            });
        }
        before = after;
        t = next;
    }
    out
}

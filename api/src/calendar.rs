//! iCalendar (RFC 5545) files of appointments, built with the `icalendar` crate: one
//! event per appointment, its times in the unit's zone (`DTSTART;TZID=Europe/Paris`),
//! the zone defined by a VTIMEZONE made from the IANA data (chrono-tz) for the years the
//! events span, and a display alarm 24 hours before. A cancelled appointment is an event
//! with `STATUS:CANCELLED`, so that calendars that imported it remove it. Events carry
//! ids, times, the kind and the unit, never the facts of the filing.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use domain::appointments::timezone::{offset_at, transitions};
use domain::appointments::{Appointment, AppointmentKind, AppointmentStatus};
use icalendar::{
    Alarm, Calendar, CalendarComponent, CalendarDateTime, Component, Event, EventLike, EventStatus,
    Trigger,
};

/// The media type of an iCalendar file.
pub const CONTENT_TYPE: &str = "text/calendar; charset=utf-8";

/// What an event says, in the reader's language.
pub struct EventText {
    pub summary: String,
    pub location: Option<String>,
    pub description: Option<String>,
    pub alarm: String,
}

fn offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    format!("{sign}{:02}{:02}", s / 3600, (s % 3600) / 60)
}

/// The VTIMEZONE of `tz` for the years `from..=until`.
pub fn vtimezone(tz: Tz, from: i32, until: i32) -> String {
    let start = NaiveDate::from_ymd_opt(from, 1, 1).unwrap_or_default();
    let end = NaiveDate::from_ymd_opt(until + 1, 1, 1).unwrap_or_default();
    let mut out = format!("BEGIN:VTIMEZONE\r\nTZID:{}\r\n", tz.name());
    let (first, name, daylight) =
        offset_at(tz, start.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    let observance = |kind: &str, dtstart: String, from: i32, to: i32, name: &str| {
        let mut block = format!(
            "BEGIN:{kind}\r\nDTSTART:{dtstart}\r\nTZOFFSETFROM:{}\r\nTZOFFSETTO:{}\r\n",
            offset(from),
            offset(to)
        );
        if !name.is_empty() {
            block.push_str(&format!("TZNAME:{name}\r\n"));
        }
        block.push_str(&format!("END:{kind}\r\n"));
        block
    };
    // The offset in force at the start of the range, so that every event has one.
    out.push_str(&observance(
        if daylight { "DAYLIGHT" } else { "STANDARD" },
        format!("{}T000000", start.format("%Y%m%d")),
        first,
        first,
        &name,
    ));
    for t in transitions(tz, start, end) {
        out.push_str(&observance(
            if t.daylight { "DAYLIGHT" } else { "STANDARD" },
            t.local_before.format("%Y%m%dT%H%M%S").to_string(),
            t.offset_from,
            t.offset_to,
            &t.name,
        ));
    }
    out.push_str("END:VTIMEZONE\r\n");
    out
}

fn local(tz: Tz, at: DateTime<Utc>) -> CalendarDateTime {
    CalendarDateTime::WithTimezone {
        date_time: at.with_timezone(&tz).naive_local(),
        tzid: tz.name().to_owned(),
    }
}

/// The event of one appointment.
pub fn event(appointment: &Appointment, tz: Tz, text: &EventText) -> Event {
    let mut event = Event::new();
    event
        .uid(&format!("{}@e-commissariat", appointment.id))
        .timestamp(appointment.updated_at)
        .sequence(u32::try_from(appointment.version - 1).unwrap_or(0))
        .summary(&text.summary)
        .starts(local(tz, appointment.starts_at))
        .ends(local(tz, appointment.ends_at))
        .status(match appointment.status {
            AppointmentStatus::Cancelled => EventStatus::Cancelled,
            _ => EventStatus::Confirmed,
        });
    if let Some(location) = &text.location {
        event.location(location);
    }
    if let Some(description) = &text.description {
        event.description(description);
    }
    if appointment.status == AppointmentStatus::Booked {
        event.alarm(Alarm::display(
            &text.alarm,
            Trigger::before_start(Duration::hours(domain::appointments::REMINDER_HOURS_BEFORE)),
        ));
    }
    event.done()
}

/// A calendar of `events` (appointment, its text) in the zone `tz`, named `name`.
pub fn calendar(name: &str, tz: Tz, events: &[(Appointment, EventText)]) -> String {
    let mut calendar = Calendar::empty();
    calendar
        .append_property(("VERSION", "2.0"))
        .append_property(("PRODID", "-//e-commissariat//appointments//EN"))
        .append_property(("CALSCALE", "GREGORIAN"))
        .append_property(("METHOD", "PUBLISH"))
        .name(name);
    let years = events
        .iter()
        .map(|(a, _)| a.starts_at.with_timezone(&tz).year());
    let (from, until) = match (years.clone().min(), years.max()) {
        (Some(a), Some(b)) => (a, b),
        _ => {
            let year = Utc::now().year();
            (year, year)
        }
    };
    if let Ok(component) = vtimezone(tz, from, until).parse::<CalendarComponent>() {
        calendar.push(component);
    }
    for (appointment, text) in events {
        calendar.push(event(appointment, tz, text));
    }
    calendar.to_string()
}

/// Whether the kind meets at the unit's premises (the event's location is the unit's
/// address) or online.
pub fn at_premises(kind: AppointmentKind) -> bool {
    kind == AppointmentKind::Station
}

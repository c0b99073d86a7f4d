use super::capacity::*;
use super::input::*;
use super::*;
use crate::audit::ActorRole;
use crate::catalogue::Country;
use crate::directory::hours::ServiceHours;
use crate::filing::{ConfirmationChannel, MessageTemplate};
use crate::i18n::Lang;
use chrono::{NaiveDate, TimeZone, Timelike};
use chrono_tz::Tz;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn capacity(tz: &str, weekly: &[(&str, &[&str])], duration: u32, desks: u32) -> Capacity {
    let hours = ServiceHours::always(tz.parse::<Tz>().unwrap());
    CapacityInput {
        duration_minutes: duration,
        desks,
        weekly: weekly
            .iter()
            .map(|(d, w)| (d.to_string(), w.iter().map(|s| s.to_string()).collect()))
            .collect(),
        min_notice_minutes: Some(0),
        horizon_days: Some(180),
        ..CapacityInput::default()
    }
    .check(
        Target {
            unit: "u",
            kind: AppointmentKind::Video,
            hours: &hours,
            version: 1,
        },
        utc("2026-01-01T00:00:00Z"),
    )
    .unwrap()
}

fn local_times(c: &Capacity, day: &str) -> Vec<String> {
    c.slots(date(day), date(day))
        .iter()
        .map(|s| {
            let l = s.starts_at.with_timezone(&c.timezone);
            format!("{:02}:{:02}{}", l.hour(), l.minute(), l.format("%:z"))
        })
        .collect()
}

#[test]
fn daytime_windows_keep_their_local_times_on_both_dst_sundays() {
    for tz in ["Europe/Paris", "Europe/Brussels"] {
        let c = capacity(tz, &[("su", &["09:00-12:00"])], 60, 1);
        // 2026-03-29: clocks go forward at 02:00; 2026-10-25: back at 03:00.
        assert_eq!(
            local_times(&c, "2026-03-29"),
            ["09:00+02:00", "10:00+02:00", "11:00+02:00"]
        );
        assert_eq!(
            local_times(&c, "2026-10-25"),
            ["09:00+01:00", "10:00+01:00", "11:00+01:00"]
        );
        let s = c.slots(date("2026-03-29"), date("2026-03-29"));
        assert_eq!(s[0].starts_at, utc("2026-03-29T07:00:00Z"));
        let s = c.slots(date("2026-10-25"), date("2026-10-25"));
        assert_eq!(s[0].starts_at, utc("2026-10-25T08:00:00Z"));
    }
}

#[test]
fn a_night_window_has_no_phantom_slot_in_spring_and_no_missing_one_in_autumn() {
    for tz in ["Europe/Paris", "Europe/Brussels"] {
        let c = capacity(tz, &[("su", &["00:00-24:00"])], 60, 1);
        let spring = local_times(&c, "2026-03-29");
        assert_eq!(spring.len(), 23, "{spring:?}");
        assert!(spring.iter().all(|t| !t.starts_with("02:")), "{spring:?}");
        assert_eq!(&spring[..3], ["00:00+01:00", "01:00+01:00", "03:00+02:00"]);
        let autumn = local_times(&c, "2026-10-25");
        assert_eq!(autumn.len(), 25, "{autumn:?}");
        assert_eq!(
            &autumn[..4],
            ["00:00+02:00", "01:00+02:00", "02:00+02:00", "02:00+01:00"]
        );
        // Every slot is a distinct instant, one hour apart.
        let slots = c.slots(date("2026-10-25"), date("2026-10-25"));
        for pair in slots.windows(2) {
            assert_eq!(pair[1].starts_at - pair[0].starts_at, Duration::hours(1));
        }
    }
}

#[test]
fn a_window_starting_in_the_spring_gap_starts_after_it() {
    let c = capacity("Europe/Paris", &[("su", &["02:30-04:00"])], 30, 1);
    assert_eq!(
        local_times(&c, "2026-03-29"),
        ["03:00+02:00", "03:30+02:00"]
    );
}

#[test]
fn exceptions_replace_the_template_and_full_or_past_slots_are_not_offered() {
    let mut c = capacity("Europe/Paris", &[("mo", &["09:00-11:00"])], 30, 2);
    c.exceptions.insert(
        date("2026-12-28"),
        Exception {
            date: date("2026-12-28"),
            windows: vec![],
            reason: Some("closed".into()),
        },
    );
    assert!(c.slots(date("2026-12-28"), date("2026-12-28")).is_empty());
    let day = date("2026-12-21");
    let all = c.slots(day, day);
    assert_eq!(all.len(), 4);
    let first = all[0];
    let booked = vec![(first.starts_at, first.ends_at); 2];
    // During the second slot: the first is past; the full one would not be offered anyway.
    let now = all[1].starts_at - Duration::minutes(1);
    let open = c.open_slots(day, day, &booked, now);
    assert_eq!(open.len(), 3);
    assert!(open.iter().all(|s| s.slot.starts_at > now));
    let open = c.open_slots(day, day, &booked, utc("2026-12-01T00:00:00Z"));
    assert_eq!(open.len(), 3, "the full slot is not offered");
    assert_eq!(open[0].remaining, 2);
    assert_eq!(
        c.bookable(first.starts_at, now),
        Err(AppointmentError::SlotInPast)
    );
    assert_eq!(
        c.bookable(
            first.starts_at + Duration::minutes(5),
            utc("2026-12-01T00:00:00Z")
        ),
        Err(AppointmentError::NoSuchSlot)
    );
}

#[test]
fn the_template_must_lie_within_service_hours() {
    let hours = ServiceHours::parse("mo-fr 08:00-18:00", "", "Europe/Paris").unwrap();
    let input = CapacityInput {
        duration_minutes: 30,
        desks: 1,
        weekly: [
            ("mo".to_string(), vec!["07:00-09:00".to_string()]),
            ("tu".to_string(), vec!["09:00-09:10".to_string()]),
            ("xx".to_string(), vec![]),
            (
                "we".to_string(),
                vec!["10:00-12:00".into(), "11:00-13:00".into()],
            ),
            ("th".to_string(), vec!["25:00-26:00".into()]),
        ]
        .into_iter()
        .collect(),
        ..CapacityInput::default()
    };
    let issues = input
        .check(
            Target {
                unit: "u",
                kind: AppointmentKind::Station,
                hours: &hours,
                version: 1,
            },
            utc("2026-01-01T00:00:00Z"),
        )
        .unwrap_err();
    let got: Vec<_> = issues
        .iter()
        .map(|i| (i.pointer.as_str(), i.code))
        .collect();
    assert!(
        got.contains(&("/weekly/mo", "outside_service_hours")),
        "{got:?}"
    );
    assert!(
        got.contains(&("/weekly/tu", "window_shorter_than_slot")),
        "{got:?}"
    );
    assert!(got.contains(&("/weekly/xx", "unknown_field")), "{got:?}");
    assert!(
        got.contains(&("/weekly/we", "overlapping_windows")),
        "{got:?}"
    );
    assert!(got.contains(&("/weekly/th/0", "invalid_window")), "{got:?}");
}

fn actor() -> Actor {
    Actor {
        id: "c".into(),
        role: ActorRole::Citizen,
        unit: None,
        client_id: None,
    }
}

fn booked(kind: AppointmentKind, start: &str) -> Appointment {
    let start = utc(start);
    Appointment::book(
        NewBooking {
            id: "a".into(),
            filing_id: "f",
            owner: "c",
            unit: "u",
            kind,
            actor: actor(),
        },
        Slot {
            starts_at: start,
            ends_at: start + Duration::minutes(30),
        },
        utc("2026-12-01T00:00:00Z"),
    )
    .appointment
}

#[test]
fn the_citizen_may_change_until_the_cutoff_and_the_unit_at_any_time() {
    let a = booked(AppointmentKind::Video, "2026-12-10T09:00:00Z");
    let slot = Slot {
        starts_at: utc("2026-12-11T09:00:00Z"),
        ends_at: utc("2026-12-11T09:30:00Z"),
    };
    let moved = a
        .reschedule(slot, 1440, actor(), utc("2026-12-09T09:00:00Z"))
        .unwrap();
    assert_eq!(moved.appointment.starts_at, slot.starts_at);
    assert_eq!(moved.expected_version, Some(1));
    assert_eq!(
        a.cancel_by_citizen(1440, actor(), utc("2026-12-09T09:00:01Z")),
        Err(AppointmentError::ChangeWindowClosed)
    );
    let cancelled = a
        .cancel_by_unit("officer ill", actor(), utc("2026-12-10T08:59:00Z"))
        .unwrap()
        .appointment;
    assert_eq!(cancelled.cancelled_by, Some(CancelledBy::Unit));
    assert_eq!(
        cancelled.cancel_by_citizen(0, actor(), utc("2026-12-01T00:00:00Z")),
        Err(AppointmentError::NotBooked(AppointmentStatus::Cancelled))
    );
}

#[test]
fn outcomes_fit_the_kind_and_wait_for_the_start() {
    let station = booked(AppointmentKind::Station, "2026-12-10T09:00:00Z");
    let at = utc("2026-12-10T09:05:00Z");
    assert_eq!(
        station.complete(Outcome::ComplaintTaken, None, "o", actor(), at),
        Err(AppointmentError::OutcomeNotForKind)
    );
    assert_eq!(
        station.no_show("o", actor(), utc("2026-12-10T08:59:00Z")),
        Err(AppointmentError::NotStarted)
    );
    let signed = station
        .complete(Outcome::Signed, Some("passport"), "o", actor(), at)
        .unwrap()
        .appointment;
    assert_eq!(signed.status, AppointmentStatus::Completed);
    assert_eq!(signed.identity_document.as_deref(), Some("passport"));
}

#[test]
fn the_video_room_opens_a_few_minutes_before_and_closes_at_the_end() {
    let a = booked(AppointmentKind::Video, "2026-12-10T09:00:00Z");
    assert_eq!(
        a.check_room(10, utc("2026-12-10T08:49:59Z")),
        Err(AppointmentError::RoomNotOpen {
            opens_at: utc("2026-12-10T08:50:00Z")
        })
    );
    assert!(a.check_room(10, utc("2026-12-10T08:50:00Z")).is_ok());
    assert_eq!(
        a.check_room(10, utc("2026-12-10T09:30:00Z")),
        Err(AppointmentError::RoomClosed)
    );
    let mut held = a.clone();
    held.officer_id = Some("o1".into());
    assert_eq!(held.room_officer("o1"), Ok(false));
    assert_eq!(held.room_officer("o2"), Err(AppointmentError::OtherOfficer));
}

fn addressee() -> Addressee {
    Addressee {
        reference: Some("EC-2026-7K2Q-9XHM-C".into()),
        channel: ConfirmationChannel::Email,
        language: Lang::Nl,
        country: Country::Be,
    }
}

#[test]
fn the_reminder_is_due_24_hours_before_by_the_citizens_channel_without_facts() {
    let a = booked(AppointmentKind::Video, "2026-12-10T09:00:00Z");
    let r = reminder(&a, &addressee(), utc("2026-12-01T00:00:00Z")).unwrap();
    assert_eq!(r.due_at, utc("2026-12-09T09:00:00Z"));
    assert_eq!(r.message.template, "appointment_reminder");
    assert_eq!(r.message.channel, ConfirmationChannel::Email);
    assert_eq!(r.message.language, Lang::Nl);
    let mut keys: Vec<&str> = r
        .message
        .payload
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "appointment_id",
            "country",
            "kind",
            "reference",
            "starts_at",
            "unit_id"
        ]
    );
    for key in MessageTemplate::AppointmentReminder.required_members() {
        assert!(r.message.payload.get(*key).is_some(), "{key}");
    }
    // Too late for a reminder, or no longer booked: none.
    assert!(reminder(&a, &addressee(), utc("2026-12-09T10:00:00Z")).is_none());
    let mut cancelled = a.clone();
    cancelled.status = AppointmentStatus::Cancelled;
    assert!(reminder(&cancelled, &addressee(), utc("2026-12-01T00:00:00Z")).is_none());
    // By e-mail only: a letter would come too late, and the app has the calendar alarm.
    for channel in [ConfirmationChannel::Post, ConfirmationChannel::App] {
        let to = Addressee {
            channel,
            ..addressee()
        };
        assert!(reminder(&a, &to, utc("2026-12-01T00:00:00Z")).is_none());
    }
    assert_eq!(
        reminder_topic(&a.id),
        format!("appointment:{}:reminder", a.id)
    );
}

#[test]
fn the_units_cancellation_tells_the_reason_and_the_start() {
    let a = booked(AppointmentKind::Station, "2026-12-10T09:00:00Z");
    let m = cancellation_message(&a, &addressee(), "The desk is closed.");
    assert_eq!(m.template, "appointment_cancelled_by_unit");
    assert_eq!(m.payload["reason"], "The desk is closed.");
    for key in MessageTemplate::AppointmentCancelledByUnit.required_members() {
        assert!(m.payload.get(*key).is_some(), "{key}");
    }
}

#[test]
fn paris_transitions_are_found_to_the_second() {
    let t = timezone::transitions(
        "Europe/Paris".parse().unwrap(),
        date("2026-01-01"),
        date("2027-01-01"),
    );
    assert_eq!(t.len(), 2);
    assert_eq!(t[0].at, utc("2026-03-29T01:00:00Z"));
    assert_eq!(
        (t[0].offset_from, t[0].offset_to, t[0].daylight),
        (3600, 7200, true)
    );
    assert_eq!(t[0].local_before.to_string(), "2026-03-29 02:00:00");
    assert_eq!(t[1].at, utc("2026-10-25T01:00:00Z"));
    assert_eq!(t[1].local_before.to_string(), "2026-10-25 03:00:00");
    assert_eq!(t[1].name, "CET");
    let _ = Tz::UTC.with_ymd_and_hms(2026, 1, 1, 0, 0, 0);
}

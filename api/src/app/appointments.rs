//! Appointments' use cases: capacities (supervisors), slot search, booking, changes
//! (citizens), cancellation, no-show and outcome (officers), video room links, agenda and
//! calendar feed. Each loads what the domain needs, runs its command and saves the
//! result with its audit event last, in one transaction. Places of a slot are counted
//! under `persistence::appointments::lock_slots`, so racing bookings never exceed the
//! desks.

use super::with_db;
use crate::app::backoffice::record_in;
use crate::error::ApiError;
use crate::idempotency::{self, Done, Key, Reply};
use crate::state::AppState;
use crate::versions::IfMatch;
use actix_web::web;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::appointments::capacity::local_instant;
use domain::appointments::input::{CapacityInput, Target};
use domain::appointments::{
    cancellation_message, check_assurance, reminder, reminder_topic, video_assurance, Addressee,
    Appointment, AppointmentError, AppointmentKind, Capacity, Change, NewBooking, OpenSlot,
    Outcome, Slot,
};
use domain::audit::{AuditEvent, AuditOperation};
use domain::filing::{ActionInput, ConfirmationChannel, Filing, FilingAction, FilingStatus};
use domain::policy::{CitizenActor, OfficerActor};
use persistence::appointments as repo;
use persistence::DbConnection;

/// How many units besides the competent one a station search may offer.
pub const NEARBY_UNITS: usize = 3;
/// How far a nearby station may be, in metres (between the units' centres).
pub const NEARBY_RADIUS_M: f64 = 40_000.0;
/// The longest search, in local days.
pub const SEARCH_MAX_DAYS: i64 = 62;

fn not_found(id: &str) -> ApiError {
    ApiError::AppointmentNotFound(id.to_owned())
}

/// Saves a change and appends its audit event; 412 when the appointment changed since
/// it was read.
fn save(conn: &mut DbConnection, change: &Change) -> Result<(), ApiError> {
    if !repo::save(conn, change)? {
        return Err(ApiError::PreconditionFailed);
    }
    keep_reminder(conn, &change.appointment)?;
    persistence::audit::append(conn, &change.audit)?;
    Ok(())
}

/// Keeps the appointment's reminder in step with it, in the transaction of the change:
/// queued (due 24 h before the start) while it is booked, replaced when it moves,
/// withdrawn when it ends (`domain::appointments::reminder`).
fn keep_reminder(conn: &mut DbConnection, appointment: &Appointment) -> Result<(), ApiError> {
    let topic = reminder_topic(&appointment.id);
    let now = appointment.updated_at;
    let filing =
        persistence::filings::find_owned(conn, &appointment.owner, &appointment.filing_id)?;
    match filing.and_then(|f| reminder(appointment, &Addressee::of(&f), now)) {
        Some(due) => repo::queue_message(
            conn,
            &appointment.filing_id,
            &due.message,
            now,
            due.due_at,
            Some(&topic),
        )?,
        None => {
            repo::withdraw_pending(conn, &topic)?;
        }
    }
    Ok(())
}

// ---- capacities -------------------------------------------------------------------

/// Every capacity a unit publishes.
pub async fn capacities(
    state: &web::Data<AppState>,
    unit: &str,
) -> Result<Vec<Capacity>, ApiError> {
    let unit = unit.to_owned();
    with_db(state, move |conn| Ok(repo::capacities(conn, &unit)?)).await
}

/// Publishes or replaces a unit's capacity for `kind`; `if_match` is required to replace
/// one (428 without, 412 when stale). Returns it and whether it was created.
pub async fn put_capacity(
    state: &web::Data<AppState>,
    officer: OfficerActor,
    unit: &str,
    kind: AppointmentKind,
    input: CapacityInput,
    if_match: Option<IfMatch>,
    request_id: Option<String>,
) -> Result<(Capacity, bool), ApiError> {
    let hours = state
        .directory()
        .unit(unit)
        .map(|u| u.hours.clone())
        .ok_or_else(|| ApiError::UnitNotFound(unit.to_owned()))?;
    let unit = unit.to_owned();
    with_db(state, move |conn| {
        conn.write_transaction(|c| {
            let now = Utc::now();
            let existing = repo::capacity(c, &unit, kind)?;
            let expected = match (&existing, &if_match) {
                (Some(_), None) => return Err(ApiError::PreconditionRequired),
                (Some(e), Some(m)) if !m.matches(e.version) => {
                    return Err(ApiError::PreconditionFailed)
                }
                (None, Some(IfMatch::Tags(_))) => return Err(ApiError::PreconditionFailed),
                (Some(e), Some(_)) => Some(e.version),
                (None, _) => None,
            };
            let target = Target {
                unit: &unit,
                kind,
                hours: &hours,
                version: expected.map_or(1, |v| v + 1),
            };
            let capacity = input
                .check(target, now)
                .map_err(super::field_errors)
                .map_err(ApiError::Validation)?;
            if !repo::save_capacity(c, &capacity, expected)? {
                return Err(ApiError::PreconditionFailed);
            }
            let object = format!("{unit}/{kind}");
            let mut event = AuditEvent::new(
                officer.audit_actor(Some(&unit)),
                AuditOperation::Alteration,
                "appointment_capacity",
                Some(&object),
                now,
            );
            event.request_id = request_id;
            record_in(c, &event, officer.name.as_deref())?;
            Ok((capacity, expected.is_none()))
        })
    })
    .await
}

// ---- slot search ------------------------------------------------------------------

/// The open slots of one unit.
pub struct UnitSlots {
    pub unit: String,
    /// Whether this is the filing's competent unit.
    pub competent: bool,
    /// Distance from the competent unit, in metres, for nearby units.
    pub distance_m: Option<f64>,
    pub capacity: Capacity,
    pub slots: Vec<OpenSlot>,
}

/// A citizen's filing waiting for an appointment: its kind and competent unit.
fn waiting(filing: &Filing) -> Result<(AppointmentKind, String), ApiError> {
    let kind = AppointmentKind::for_procedure(&filing.procedure)
        .ok_or(AppointmentError::NoAppointmentForProcedure)?;
    match (&filing.unit, filing.status.is_open()) {
        (Some(unit), true) => Ok((kind, unit.clone())),
        _ => Err(AppointmentError::FilingNotReady.into()),
    }
}

fn load_filing(conn: &mut DbConnection, owner: &str, id: &str) -> Result<Filing, ApiError> {
    persistence::filings::find_owned(conn, owner, id)?
        .ok_or_else(|| ApiError::FilingNotFound(id.to_owned()))
}

/// The units a citizen may meet at for `kind`: the competent one, then (station only)
/// up to [`NEARBY_UNITS`] others of the same country that publish this kind, nearest
/// first, within [`NEARBY_RADIUS_M`].
fn candidates(
    state: &AppState,
    conn: &mut DbConnection,
    competent: &str,
    kind: AppointmentKind,
    today: NaiveDate,
) -> Result<Vec<(String, Option<f64>)>, ApiError> {
    let mut out = vec![(competent.to_owned(), None)];
    if !kind.may_be_elsewhere() {
        return Ok(out);
    }
    let directory = state.directory();
    let Some(home) = directory.unit(competent) else {
        return Ok(out);
    };
    let Some(centre) = directory.unit_centre(competent, today) else {
        return Ok(out);
    };
    let mut nearby: Vec<(String, f64)> = repo::units_offering(conn, kind)?
        .into_iter()
        .filter(|u| u != competent)
        .filter_map(|u| {
            let unit = directory.unit(&u)?;
            (unit.country == home.country).then_some(())?;
            let d =
                domain::directory::Directory::distance_m(centre, directory.unit_centre(&u, today)?);
            (d <= NEARBY_RADIUS_M).then_some((u, d))
        })
        .collect();
    nearby.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    out.extend(
        nearby
            .into_iter()
            .take(NEARBY_UNITS)
            .map(|(u, d)| (u, Some(d))),
    );
    Ok(out)
}

/// The open slots of one unit and kind over the local dates `from..=until`.
pub fn unit_slots(
    conn: &mut DbConnection,
    capacity: &Capacity,
    from: NaiveDate,
    until: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<OpenSlot>, ApiError> {
    // The bookings of the local dates' span: from the first local midnight to the one
    // after the last date (windows end at 24:00 at the latest).
    let tz = capacity.timezone;
    let (Some(start), Some(end)) = (
        local_instant(tz, from, 0, false),
        until
            .succ_opt()
            .and_then(|next| local_instant(tz, next, 0, false)),
    ) else {
        return Ok(Vec::new());
    };
    let booked = repo::booked_between(conn, &capacity.unit, capacity.kind, start, end, None)?;
    Ok(capacity.open_slots(from, until, &booked, now))
}

/// The slots a citizen may book for their filing: the competent unit's and, for a
/// station appointment, nearby units' (or only `unit` when given).
pub async fn search(
    state: &web::Data<AppState>,
    citizen: &CitizenActor,
    filing_id: &str,
    unit: Option<String>,
    range: Option<(NaiveDate, NaiveDate)>,
) -> Result<(AppointmentKind, Vec<UnitSlots>), ApiError> {
    let (app, owner, id) = (state.clone(), citizen.id.clone(), filing_id.to_owned());
    with_db(state, move |conn| {
        let now = Utc::now();
        let filing = load_filing(conn, &owner, &id)?;
        let (kind, competent) = waiting(&filing)?;
        let today = now.date_naive();
        let mut units = candidates(&app, conn, &competent, kind, today)?;
        if let Some(wanted) = &unit {
            units.retain(|(u, _)| u == wanted);
            if units.is_empty() {
                return Err(AppointmentError::WrongUnit.into());
            }
        }
        let mut out = Vec::new();
        for (unit, distance_m) in units {
            let Some(capacity) = repo::capacity(conn, &unit, kind)? else {
                continue;
            };
            let local_today = capacity.local_date(now);
            let (from, until) = range.unwrap_or((local_today, local_today + Duration::days(13)));
            let slots = unit_slots(conn, &capacity, from, until, now)?;
            out.push(UnitSlots {
                competent: unit == competent,
                unit,
                distance_m,
                capacity,
                slots,
            });
        }
        Ok((kind, out))
    })
    .await
}

/// The open slots a unit publishes for `kind` over the local dates `from..=until`, as
/// its members see them (what citizens would be offered now).
pub async fn published_slots(
    state: &web::Data<AppState>,
    unit: &str,
    kind: AppointmentKind,
    range: (NaiveDate, NaiveDate),
) -> Result<(Capacity, Vec<OpenSlot>), ApiError> {
    let unit = unit.to_owned();
    with_db(state, move |conn| {
        let capacity = repo::capacity(conn, &unit, kind)?
            .ok_or_else(|| ApiError::CapacityNotFound(format!("{unit}/{kind}")))?;
        let slots = unit_slots(conn, &capacity, range.0, range.1, Utc::now())?;
        Ok((capacity, slots))
    })
    .await
}

// ---- booking and the citizen's changes --------------------------------------------

/// Renders a saved appointment as the stored reply of an idempotent request.
pub type Render = Box<dyn FnOnce(&Appointment) -> Reply + Send>;

/// The citizen's booking, as requested.
pub struct Booking {
    pub filing_id: String,
    pub unit: Option<String>,
    pub starts_at: DateTime<Utc>,
}

/// Checks the places of `slot` under the lock: `SlotFull` when its desks are taken.
fn check_places(
    conn: &mut DbConnection,
    capacity: &Capacity,
    slot: Slot,
    except: Option<&str>,
) -> Result<(), ApiError> {
    repo::lock_slots(conn, &capacity.unit, capacity.kind)?;
    let taken = repo::booked_between(
        conn,
        &capacity.unit,
        capacity.kind,
        slot.starts_at,
        slot.ends_at,
        except,
    )?;
    if taken.len() as u32 >= capacity.desks {
        return Err(AppointmentError::SlotFull.into());
    }
    Ok(())
}

fn required_video(state: &AppState, filing: &Filing) -> domain::catalogue::Assurance {
    video_assurance(state.video_assurance.get(&filing.country).copied())
}

/// Books a slot for a citizen's filing, idempotently (`key`).
pub async fn book(
    state: web::Data<AppState>,
    citizen: CitizenActor,
    booking: Booking,
    key: Option<Key>,
    request_id: Option<String>,
    render: Render,
) -> Result<Done, ApiError> {
    let app = state.clone();
    with_db(&state, move |conn| {
        let mut audit = None;
        let done = conn.write_transaction(|c| {
            idempotency::within(key.as_ref(), c, |c| {
                let now = Utc::now();
                let filing = load_filing(c, &citizen.id, &booking.filing_id)?;
                let (kind, competent) = waiting(&filing)?;
                check_assurance(kind, citizen.assurance, required_video(&app, &filing))?;
                let unit = booking.unit.clone().unwrap_or_else(|| competent.clone());
                let allowed = candidates(&app, c, &competent, kind, now.date_naive())?;
                if !allowed.iter().any(|(u, _)| *u == unit) {
                    return Err(AppointmentError::WrongUnit.into());
                }
                let capacity =
                    repo::capacity(c, &unit, kind)?.ok_or(AppointmentError::KindNotOffered)?;
                let slot = capacity.bookable(booking.starts_at, now)?;
                check_places(c, &capacity, slot, None)?;
                let booked = repo::for_filing(c, &filing.id)?;
                if booked
                    .iter()
                    .any(|a| a.status == domain::appointments::AppointmentStatus::Booked)
                {
                    return Err(AppointmentError::AlreadyBooked.into());
                }
                let mut change = Appointment::book(
                    NewBooking {
                        id: uuid::Uuid::new_v4().to_string(),
                        filing_id: &filing.id,
                        owner: &citizen.id,
                        unit: &unit,
                        kind,
                        actor: citizen.audit_actor(),
                    },
                    slot,
                    now,
                );
                change.audit.request_id = request_id.clone();
                if !repo::save(c, &change)? {
                    return Err(ApiError::PreconditionFailed);
                }
                keep_reminder(c, &change.appointment)?;
                let reply = render(&change.appointment);
                audit = Some(change.audit);
                Ok(reply)
            })
            .and_then(|done| {
                if let (Done::Fresh(_), Some(event)) = (&done, &audit) {
                    persistence::audit::append(c, event)?;
                }
                Ok(done)
            })
        });
        // The same filing booked twice at once: the unique index decides.
        done.map_err(|e| match e {
            ApiError::Persistence(p) if p.is_unique_violation() => {
                AppointmentError::AlreadyBooked.into()
            }
            other => other,
        })
    })
    .await
}

/// The citizen's own appointment.
pub async fn get_owned(
    state: &web::Data<AppState>,
    owner: &str,
    id: &str,
) -> Result<Appointment, ApiError> {
    let (owner, id) = (owner.to_owned(), id.to_owned());
    with_db(state, move |conn| {
        repo::find_owned(conn, &owner, &id)?.ok_or_else(|| not_found(&id))
    })
    .await
}

/// The appointments of a citizen's filing.
pub async fn of_filing(
    state: &web::Data<AppState>,
    owner: &str,
    filing: &str,
) -> Result<Vec<Appointment>, ApiError> {
    let (owner, filing) = (owner.to_owned(), filing.to_owned());
    with_db(state, move |conn| {
        load_filing(conn, &owner, &filing)?;
        Ok(repo::for_filing(conn, &filing)?)
    })
    .await
}

/// What the citizen changes.
pub enum CitizenChange {
    Reschedule(DateTime<Utc>),
    Cancel,
}

/// The citizen reschedules or cancels, up to the unit's cut-off before the slot.
pub async fn change(
    state: &web::Data<AppState>,
    citizen: CitizenActor,
    id: &str,
    wanted: CitizenChange,
    if_match: IfMatch,
    request_id: Option<String>,
) -> Result<Appointment, ApiError> {
    let id = id.to_owned();
    with_db(state, move |conn| {
        conn.write_transaction(|c| {
            let now = Utc::now();
            let current = repo::find_owned(c, &citizen.id, &id)?.ok_or_else(|| not_found(&id))?;
            if !if_match.matches(current.version) {
                return Err(ApiError::PreconditionFailed);
            }
            let capacity = repo::capacity(c, &current.unit, current.kind)?
                .ok_or(AppointmentError::KindNotOffered)?;
            let cutoff = capacity.change_cutoff_minutes;
            let actor = citizen.audit_actor();
            let mut change = match wanted {
                CitizenChange::Cancel => current.cancel_by_citizen(cutoff, actor, now)?,
                CitizenChange::Reschedule(starts_at) => {
                    let slot = capacity.bookable(starts_at, now)?;
                    let change = current.reschedule(slot, cutoff, actor, now)?;
                    check_places(c, &capacity, slot, Some(&current.id))?;
                    change
                }
            };
            change.audit.request_id = request_id;
            save(c, &change)?;
            Ok(change.appointment)
        })
    })
    .await
}

// ---- the unit's side --------------------------------------------------------------

/// What an officer does to an appointment of the unit.
pub enum UnitAct {
    Cancel {
        reason: String,
    },
    NoShow,
    Outcome {
        outcome: Outcome,
        detail: Option<String>,
    },
}

fn load_in_unit(conn: &mut DbConnection, unit: &str, id: &str) -> Result<Appointment, ApiError> {
    repo::find_in_unit(conn, unit, id)?.ok_or_else(|| not_found(id))
}

/// Registers the filing after a signature or a complaint taken: takes it in charge
/// first if nobody has, then registers it with the unit's next record number, through
/// the filing's own commands (history, audit and the citizen's confirmation included).
fn register_filing(
    conn: &mut DbConnection,
    state: &AppState,
    officer: &OfficerActor,
    unit: &str,
    filing_id: &str,
    request_id: &Option<String>,
) -> Result<(), ApiError> {
    // At a nearby station, the filing stays with its competent unit, which registers it
    // (the appointment's outcome tells it the complaint was signed).
    let Some(mut filing) = persistence::filings::find_in_unit(conn, unit, filing_id)? else {
        return Ok(());
    };
    let steps: &[FilingAction] = match filing.status {
        FilingStatus::Submitted | FilingStatus::Transferred => {
            &[FilingAction::TakeInCharge, FilingAction::Register]
        }
        FilingStatus::TakenInCharge => &[FilingAction::Register],
        // Already decided (or waiting for the citizen's answer): the appointment's
        // outcome is recorded, the filing left as the officer put it.
        _ => &[],
    };
    for action in steps {
        let input = ActionInput::default();
        let wanted = domain::filing::OfficerCommand::parse(*action, &input).ok();
        let now = Utc::now();
        let context = super::backoffice::context(conn, state, officer, unit, wanted.as_ref(), now)?;
        let mut effects = filing
            .act(
                officer,
                unit,
                *action,
                &input,
                &context,
                filing.version,
                now,
            )
            .map_err(|e| super::problem(state, filing.language, Some(&filing.procedure), e))?;
        effects.audit.request_id = request_id.clone();
        if !persistence::filings::save(conn, &effects)? {
            return Err(ApiError::PreconditionFailed);
        }
        filing = effects.filing;
    }
    Ok(())
}

/// An officer's act on an appointment of the unit; `if_match` names the version read.
pub async fn act(
    state: &web::Data<AppState>,
    officer: OfficerActor,
    unit: &str,
    id: &str,
    act: UnitAct,
    if_match: IfMatch,
    request_id: Option<String>,
) -> Result<Appointment, ApiError> {
    let (app, unit, id) = (state.clone(), unit.to_owned(), id.to_owned());
    with_db(state, move |conn| {
        conn.write_transaction(|c| {
            let now = Utc::now();
            persistence::roster::seen(
                c,
                &unit,
                &officer.id,
                officer.role.as_str(),
                officer.name.as_deref(),
                now,
            )?;
            let current = load_in_unit(c, &unit, &id)?;
            if !if_match.matches(current.version) {
                return Err(ApiError::PreconditionFailed);
            }
            let actor = officer.audit_actor(Some(&unit));
            let mut change = match &act {
                UnitAct::Cancel { reason } => current.cancel_by_unit(reason, actor, now)?,
                UnitAct::NoShow => current.no_show(&officer.id, actor, now)?,
                UnitAct::Outcome { outcome, detail } => {
                    current.complete(*outcome, detail.as_deref(), &officer.id, actor, now)?
                }
            };
            change.audit.request_id = request_id.clone();
            save(c, &change)?;
            match &act {
                UnitAct::Cancel { reason } => {
                    let filing =
                        persistence::filings::find_owned(c, &current.owner, &current.filing_id)?;
                    if let Some(filing) = filing {
                        tell_cancelled(c, &filing, &current, reason, now)?;
                    }
                }
                UnitAct::Outcome {
                    outcome: Outcome::Signed | Outcome::ComplaintTaken,
                    ..
                } => register_filing(c, &app, &officer, &unit, &current.filing_id, &request_id)?,
                _ => {}
            }
            Ok(change.appointment)
        })
    })
    .await
}

/// Tells the citizen that the unit cancelled: by e-mail or letter through the outbox,
/// and in the app's feed when that is their channel or they want it (the same rules as
/// a status change's).
fn tell_cancelled(
    conn: &mut DbConnection,
    filing: &Filing,
    appointment: &Appointment,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let message = cancellation_message(appointment, &Addressee::of(filing), reason);
    if message.channel != ConfirmationChannel::App {
        repo::queue_message(conn, &filing.id, &message, now, now, None)?;
    }
    if let Some(notice) =
        domain::notices::appointment_cancelled_notice(filing, &appointment.unit, now)
    {
        persistence::notifications::append(conn, &notice)?;
    }
    Ok(())
}

// ---- video room -------------------------------------------------------------------

/// The citizen's link to the video room of their appointment.
pub async fn citizen_room(
    state: &web::Data<AppState>,
    citizen: CitizenActor,
    id: &str,
    request_id: Option<String>,
) -> Result<crate::video::RoomLink, ApiError> {
    let (app, id) = (state.clone(), id.to_owned());
    with_db(state, move |conn| {
        let now = Utc::now();
        let appointment =
            repo::find_owned(conn, &citizen.id, &id)?.ok_or_else(|| not_found(&id))?;
        let filing = load_filing(conn, &citizen.id, &appointment.filing_id)?;
        check_assurance(
            appointment.kind,
            citizen.assurance,
            required_video(&app, &filing),
        )?;
        appointment.check_room(app.video.early_minutes, now)?;
        let link = app.video.link(&appointment, &citizen.id, false, now)?;
        let mut event = AuditEvent::new(
            citizen.audit_actor(),
            AuditOperation::Consultation,
            "video_room",
            Some(&appointment.id),
            now,
        );
        event.request_id = request_id;
        conn.write_transaction(|c| persistence::audit::append(c, &event))?;
        Ok(link)
    })
    .await
}

/// The officer's link: the first member of the unit to ask holds the appointment (it is
/// recorded); another officer is refused (403).
pub async fn officer_room(
    state: &web::Data<AppState>,
    officer: OfficerActor,
    unit: &str,
    id: &str,
    request_id: Option<String>,
) -> Result<crate::video::RoomLink, ApiError> {
    let (app, unit, id) = (state.clone(), unit.to_owned(), id.to_owned());
    with_db(state, move |conn| {
        conn.write_transaction(|c| {
            let now = Utc::now();
            let appointment = load_in_unit(c, &unit, &id)?;
            appointment.check_room(app.video.early_minutes, now)?;
            if appointment.room_officer(&officer.id)? {
                let mut held = appointment.clone();
                held.officer_id = Some(officer.id.clone());
                held.version += 1;
                held.updated_at = now;
                let mut change = Change {
                    appointment: held,
                    expected_version: Some(appointment.version),
                    audit: AuditEvent::new(
                        officer.audit_actor(Some(&unit)),
                        AuditOperation::Alteration,
                        "appointment",
                        Some(&appointment.id),
                        now,
                    ),
                };
                change.audit.request_id = request_id.clone();
                save(c, &change)?;
            }
            let link = app.video.link(&appointment, &officer.id, true, now)?;
            let mut event = AuditEvent::new(
                officer.audit_actor(Some(&unit)),
                AuditOperation::Consultation,
                "video_room",
                Some(&appointment.id),
                now,
            );
            event.request_id = request_id;
            record_in(c, &event, officer.name.as_deref())?;
            Ok(link)
        })
    })
    .await
}

// ---- agenda and feed --------------------------------------------------------------

/// An agenda entry: the appointment and its filing.
pub struct AgendaEntry {
    pub appointment: Appointment,
    pub filing: Option<Filing>,
}

/// A unit's appointments starting in `[from, until)`, with their filings, as a recorded
/// consultation of the unit's agenda.
pub async fn agenda(
    state: &web::Data<AppState>,
    officer: &OfficerActor,
    unit: &str,
    (from, until): (DateTime<Utc>, DateTime<Utc>),
    request_id: Option<String>,
) -> Result<Vec<AgendaEntry>, ApiError> {
    let event =
        super::backoffice::consultation(officer, unit, ("unit_agenda", Some(unit)), request_id);
    let (unit, name) = (unit.to_owned(), officer.name.clone());
    with_db(state, move |conn| {
        let appointments = repo::agenda(conn, &unit, from, until)?;
        let mut entries = Vec::with_capacity(appointments.len());
        for appointment in appointments {
            let filing = persistence::filings::find_in_unit(conn, &unit, &appointment.filing_id)?;
            entries.push(AgendaEntry {
                appointment,
                filing,
            });
        }
        record_in(conn, &event, name.as_deref())?;
        Ok(entries)
    })
    .await
}

/// The SHA-256 of a feed token, as stored.
pub fn feed_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Makes (or replaces) the unit's private calendar-feed token; returns the token, which
/// is shown once.
pub async fn new_feed(
    state: &web::Data<AppState>,
    officer: OfficerActor,
    unit: &str,
    request_id: Option<String>,
) -> Result<String, ApiError> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::Internal(e.to_string()))?;
    let token = hex::encode(bytes);
    let (hash, unit) = (feed_hash(&token), unit.to_owned());
    with_db(state, move |conn| {
        conn.write_transaction(|c| {
            let now = Utc::now();
            repo::set_feed(c, &unit, &hash, &officer.id, now)?;
            let mut event = AuditEvent::new(
                officer.audit_actor(Some(&unit)),
                AuditOperation::Alteration,
                "calendar_feed",
                Some(&unit),
                now,
            );
            event.request_id = request_id;
            record_in(c, &event, officer.name.as_deref())?;
            Ok(())
        })
    })
    .await?;
    Ok(token)
}

/// The unit of a feed token and its appointments from 7 days ago to 60 days ahead; the
/// read is recorded as a consultation of the agenda by the feed (a system actor).
pub async fn feed(
    state: &web::Data<AppState>,
    token: &str,
    request_id: Option<String>,
) -> Result<(String, Vec<Appointment>), ApiError> {
    let hash = feed_hash(token);
    with_db(state, move |conn| {
        let unit = repo::feed_unit(conn, &hash)?.ok_or(ApiError::NotFound)?;
        let now = Utc::now();
        let appointments = repo::agenda(
            conn,
            &unit,
            now - Duration::days(7),
            now + Duration::days(60),
        )?;
        let mut event = AuditEvent::new(
            domain::audit::Actor {
                id: "calendar_feed".into(),
                role: domain::audit::ActorRole::System,
                unit: Some(unit.clone()),
                client_id: None,
            },
            AuditOperation::Consultation,
            "unit_agenda",
            Some(&unit),
            now,
        );
        event.request_id = request_id;
        conn.write_transaction(|c| persistence::audit::append(c, &event))?;
        Ok((unit, appointments))
    })
    .await
}

//! Units' appointment capacities, bookings and calendar feeds. Rows are read into the
//! domain's [`Capacity`] and [`Appointment`]; a row the domain cannot read is
//! [`PersistenceError::CorruptRow`]. Writes take the expected `version`.
//!
//! Places of a slot: a booking counts the active bookings of the unit and kind while
//! holding [`lock_slots`] (PostgreSQL: a transaction-scoped advisory lock per unit and
//! kind; SQLite: write transactions are serial already), so two citizens racing for the
//! last place get one booking and one refusal.

use crate::db::DbConnection;
use crate::error::PersistenceError;
use crate::idempotency::{from_db_time, to_db_time};
use crate::schema::outbox_messages as o;
use crate::schema::{appointment_capacities as c, appointments as a, calendar_feeds as cf};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use domain::appointments::input::{CapacityInput, ExceptionInput, Target};
use domain::appointments::{Appointment, AppointmentKind, AppointmentStatus, Capacity, Change};
use domain::delivery::OutboxStatus;
use domain::directory::hours::ServiceHours;
use domain::filing::commands::OutgoingMessage;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = c)]
struct CapacityRow {
    unit_id: String,
    kind: String,
    duration_minutes: i32,
    desks: i32,
    weekly: String,
    exceptions: String,
    change_cutoff_minutes: i32,
    min_notice_minutes: i32,
    horizon_days: i32,
    timezone: String,
    active: i32,
    version: i64,
    updated_at: NaiveDateTime,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredException {
    date: NaiveDate,
    hours: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

fn corrupt(
    table: &'static str,
    id: &str,
    field: &'static str,
    cause: impl ToString,
) -> PersistenceError {
    PersistenceError::CorruptRow {
        table,
        id: id.to_owned(),
        field,
        cause: cause.to_string(),
    }
}

impl CapacityRow {
    fn from_domain(capacity: &Capacity) -> Result<Self, PersistenceError> {
        let input = capacity.to_input();
        let exceptions: Vec<StoredException> = input
            .exceptions
            .into_iter()
            .map(|e| StoredException {
                date: e.date,
                hours: e.hours,
                reason: e.reason,
            })
            .collect();
        Ok(CapacityRow {
            unit_id: capacity.unit.clone(),
            kind: capacity.kind.to_string(),
            duration_minutes: capacity.duration_minutes as i32,
            desks: capacity.desks as i32,
            weekly: serde_json::to_string(&input.weekly)?,
            exceptions: serde_json::to_string(&exceptions)?,
            change_cutoff_minutes: capacity.change_cutoff_minutes as i32,
            min_notice_minutes: capacity.min_notice_minutes as i32,
            horizon_days: capacity.horizon_days as i32,
            timezone: capacity.timezone.name().to_owned(),
            active: i32::from(capacity.active),
            version: capacity.version,
            updated_at: to_db_time(capacity.updated_at),
        })
    }

    fn into_domain(self) -> Result<Capacity, PersistenceError> {
        let id = format!("{}/{}", self.unit_id, self.kind);
        let bad = |field, cause: String| corrupt("appointment_capacities", &id, field, cause);
        let kind: AppointmentKind = self
            .kind
            .parse()
            .map_err(|e: domain::UnknownCode| bad("kind", e.to_string()))?;
        let weekly: BTreeMap<String, Vec<String>> =
            serde_json::from_str(&self.weekly).map_err(|e| bad("weekly", e.to_string()))?;
        let exceptions: Vec<StoredException> =
            serde_json::from_str(&self.exceptions).map_err(|e| bad("exceptions", e.to_string()))?;
        // Stored capacities were checked against the service hours when written; read
        // back against hours open around the clock, so that a later change of the
        // unit's hours never makes a stored row unreadable.
        let tz = self
            .timezone
            .parse()
            .map_err(|e: chrono_tz::ParseError| bad("timezone", e.to_string()))?;
        let hours = ServiceHours::always(tz);
        let input = CapacityInput {
            duration_minutes: self.duration_minutes.max(0) as u32,
            desks: self.desks.max(0) as u32,
            weekly,
            exceptions: exceptions
                .into_iter()
                .map(|e| ExceptionInput {
                    date: e.date,
                    hours: e.hours,
                    reason: e.reason,
                })
                .collect(),
            change_cutoff_minutes: Some(self.change_cutoff_minutes.max(0) as u32),
            min_notice_minutes: Some(self.min_notice_minutes.max(0) as u32),
            horizon_days: Some(self.horizon_days.max(0) as u32),
            active: Some(self.active != 0),
        };
        input
            .check(
                Target {
                    unit: &self.unit_id,
                    kind,
                    hours: &hours,
                    version: self.version,
                },
                from_db_time(self.updated_at),
            )
            .map_err(|issues| {
                let first = issues.first().map(|i| format!("{} {}", i.pointer, i.code));
                bad("weekly", first.unwrap_or_default())
            })
    }
}

/// The capacity of `unit` for `kind`, if it publishes one.
pub fn capacity(
    conn: &mut DbConnection,
    unit: &str,
    kind: AppointmentKind,
) -> Result<Option<Capacity>, PersistenceError> {
    c::table
        .filter(c::unit_id.eq(unit))
        .filter(c::kind.eq(kind.as_str()))
        .select(CapacityRow::as_select())
        .first(conn)
        .optional()?
        .map(CapacityRow::into_domain)
        .transpose()
}

/// Every capacity of `unit`.
pub fn capacities(conn: &mut DbConnection, unit: &str) -> Result<Vec<Capacity>, PersistenceError> {
    c::table
        .filter(c::unit_id.eq(unit))
        .order(c::kind.asc())
        .select(CapacityRow::as_select())
        .load(conn)?
        .into_iter()
        .map(CapacityRow::into_domain)
        .collect()
}

/// The units that offer `kind` (an active capacity).
pub fn units_offering(
    conn: &mut DbConnection,
    kind: AppointmentKind,
) -> Result<Vec<String>, PersistenceError> {
    Ok(c::table
        .filter(c::kind.eq(kind.as_str()))
        .filter(c::active.eq(1))
        .select(c::unit_id)
        .load(conn)?)
}

/// Writes a capacity: inserted when `expected` is `None` (false if one exists), else
/// updated if still at `expected` (false otherwise).
pub fn save_capacity(
    conn: &mut DbConnection,
    capacity: &Capacity,
    expected: Option<i64>,
) -> Result<bool, PersistenceError> {
    let row = CapacityRow::from_domain(capacity)?;
    match expected {
        None => match diesel::insert_into(c::table).values(&row).execute(conn) {
            Ok(_) => Ok(true),
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => Ok(false),
            Err(e) => Err(e.into()),
        },
        Some(version) => Ok(diesel::update(
            c::table
                .filter(c::unit_id.eq(&row.unit_id))
                .filter(c::kind.eq(&row.kind))
                .filter(c::version.eq(version)),
        )
        .set(&row)
        .execute(conn)?
            == 1),
    }
}

/// Serialises the transactions that count and then take places of one unit's slots of
/// one kind (see the module's documentation).
pub fn lock_slots(
    conn: &mut DbConnection,
    unit: &str,
    kind: AppointmentKind,
) -> Result<(), PersistenceError> {
    if let DbConnection::Postgresql(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 18))")
            .bind::<diesel::sql_types::Text, _>(format!("slots:{unit}:{}", kind.as_str()))
            .execute(pg)?;
    }
    Ok(())
}

/// A booking's `(start, end)`.
pub type Span = (DateTime<Utc>, DateTime<Utc>);

/// The `(start, end)` of the booked appointments of `unit` and `kind` overlapping
/// `[from, until)`, by start, leaving out `except` (the appointment being moved).
pub fn booked_between(
    conn: &mut DbConnection,
    unit: &str,
    kind: AppointmentKind,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    except: Option<&str>,
) -> Result<Vec<Span>, PersistenceError> {
    let mut query = a::table
        .filter(a::unit_id.eq(unit))
        .filter(a::kind.eq(kind.as_str()))
        .filter(a::status.eq(AppointmentStatus::Booked.as_str()))
        .filter(a::starts_at.lt(to_db_time(until)))
        .filter(a::ends_at.gt(to_db_time(from)))
        .into_boxed();
    if let Some(id) = except {
        query = query.filter(a::id.ne(id));
    }
    Ok(query
        .order(a::starts_at.asc())
        .select((a::starts_at, a::ends_at))
        .load::<(NaiveDateTime, NaiveDateTime)>(conn)?
        .into_iter()
        .map(|(s, e)| (from_db_time(s), from_db_time(e)))
        .collect())
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = a, treat_none_as_null = true)]
struct AppointmentRow {
    id: String,
    filing_id: String,
    owner_id: String,
    unit_id: String,
    kind: String,
    starts_at: NaiveDateTime,
    ends_at: NaiveDateTime,
    status: String,
    cancelled_by: Option<String>,
    reason: Option<String>,
    outcome: Option<String>,
    officer_id: Option<String>,
    identity_document: Option<String>,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl From<&Appointment> for AppointmentRow {
    fn from(x: &Appointment) -> Self {
        AppointmentRow {
            id: x.id.clone(),
            filing_id: x.filing_id.clone(),
            owner_id: x.owner.clone(),
            unit_id: x.unit.clone(),
            kind: x.kind.to_string(),
            starts_at: to_db_time(x.starts_at),
            ends_at: to_db_time(x.ends_at),
            status: x.status.to_string(),
            cancelled_by: x.cancelled_by.map(|c| c.to_string()),
            reason: x.reason.clone(),
            outcome: x.outcome.map(|o| o.to_string()),
            officer_id: x.officer_id.clone(),
            identity_document: x.identity_document.clone(),
            version: x.version,
            created_at: to_db_time(x.created_at),
            updated_at: to_db_time(x.updated_at),
        }
    }
}

impl AppointmentRow {
    fn into_domain(self) -> Result<Appointment, PersistenceError> {
        let id = self.id.clone();
        let bad = |field, e: domain::UnknownCode| corrupt("appointments", &id, field, e);
        Ok(Appointment {
            kind: self.kind.parse().map_err(|e| bad("kind", e))?,
            status: self.status.parse().map_err(|e| bad("status", e))?,
            cancelled_by: self
                .cancelled_by
                .map(|c| c.parse())
                .transpose()
                .map_err(|e| bad("cancelled_by", e))?,
            outcome: self
                .outcome
                .map(|c| c.parse())
                .transpose()
                .map_err(|e| bad("outcome", e))?,
            id: self.id,
            filing_id: self.filing_id,
            owner: self.owner_id,
            unit: self.unit_id,
            starts_at: from_db_time(self.starts_at),
            ends_at: from_db_time(self.ends_at),
            reason: self.reason,
            officer_id: self.officer_id,
            identity_document: self.identity_document,
            version: self.version,
            created_at: from_db_time(self.created_at),
            updated_at: from_db_time(self.updated_at),
        })
    }
}

fn load(rows: Vec<AppointmentRow>) -> Result<Vec<Appointment>, PersistenceError> {
    rows.into_iter().map(AppointmentRow::into_domain).collect()
}

/// The appointment `id` if `owner` booked it (another's is `None`, like a missing one).
pub fn find_owned(
    conn: &mut DbConnection,
    owner: &str,
    id: &str,
) -> Result<Option<Appointment>, PersistenceError> {
    a::table
        .filter(a::id.eq(id))
        .filter(a::owner_id.eq(owner))
        .select(AppointmentRow::as_select())
        .first(conn)
        .optional()?
        .map(AppointmentRow::into_domain)
        .transpose()
}

/// The appointment `id` if it is at `unit`.
pub fn find_in_unit(
    conn: &mut DbConnection,
    unit: &str,
    id: &str,
) -> Result<Option<Appointment>, PersistenceError> {
    a::table
        .filter(a::id.eq(id))
        .filter(a::unit_id.eq(unit))
        .select(AppointmentRow::as_select())
        .first(conn)
        .optional()?
        .map(AppointmentRow::into_domain)
        .transpose()
}

/// A filing's appointments, oldest first.
pub fn for_filing(
    conn: &mut DbConnection,
    filing: &str,
) -> Result<Vec<Appointment>, PersistenceError> {
    load(
        a::table
            .filter(a::filing_id.eq(filing))
            .order((a::created_at.asc(), a::id.asc()))
            .select(AppointmentRow::as_select())
            .load(conn)?,
    )
}

/// A unit's appointments starting in `[from, until)`, every status, by start.
pub fn agenda(
    conn: &mut DbConnection,
    unit: &str,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<Appointment>, PersistenceError> {
    load(
        a::table
            .filter(a::unit_id.eq(unit))
            .filter(a::starts_at.ge(to_db_time(from)))
            .filter(a::starts_at.lt(to_db_time(until)))
            .order((a::starts_at.asc(), a::id.asc()))
            .select(AppointmentRow::as_select())
            .load(conn)?,
    )
}

/// Writes a change (not its audit event): inserted when new, else updated if still at
/// the expected version. False, having written nothing, when it changed meanwhile.
pub fn save(conn: &mut DbConnection, change: &Change) -> Result<bool, PersistenceError> {
    let row = AppointmentRow::from(&change.appointment);
    match change.expected_version {
        None => {
            diesel::insert_into(a::table).values(&row).execute(conn)?;
            Ok(true)
        }
        Some(version) => Ok(diesel::update(
            a::table
                .filter(a::id.eq(&row.id))
                .filter(a::version.eq(version)),
        )
        .set(&row)
        .execute(conn)?
            == 1),
    }
}

/// Queues a message to the citizen about their filing in the notification outbox, due
/// at `available_at` (now, or later for a reminder). With a `topic`, the pending messages
/// of that topic are withdrawn first: only the latest stands.
pub fn queue_message(
    conn: &mut DbConnection,
    filing: &str,
    message: &OutgoingMessage,
    now: DateTime<Utc>,
    available_at: DateTime<Utc>,
    topic: Option<&str>,
) -> Result<(), PersistenceError> {
    if let Some(topic) = topic {
        withdraw_pending(conn, topic)?;
    }
    diesel::insert_into(o::table)
        .values((
            o::filing_id.eq(filing),
            o::channel.eq(message.channel.as_str()),
            o::template.eq(message.template),
            o::language.eq(message.language.as_str()),
            o::payload.eq(message.payload.to_string()),
            o::created_at.eq(to_db_time(now)),
            o::status.eq(OutboxStatus::Pending.as_str()),
            o::available_at.eq(to_db_time(available_at)),
            o::topic.eq(topic),
        ))
        .execute(conn)?;
    Ok(())
}

/// Withdraws the messages of `topic` that are still pending (not claimed by a worker):
/// a reminder whose appointment moved or ended. Returns how many.
pub fn withdraw_pending(conn: &mut DbConnection, topic: &str) -> Result<usize, PersistenceError> {
    Ok(diesel::delete(
        o::table
            .filter(o::topic.eq(topic))
            .filter(o::status.eq(OutboxStatus::Pending.as_str())),
    )
    .execute(conn)?)
}

/// Sets (or replaces) the hash of `unit`'s calendar-feed token.
pub fn set_feed(
    conn: &mut DbConnection,
    unit: &str,
    token_hash: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    diesel::delete(cf::table.filter(cf::unit_id.eq(unit))).execute(conn)?;
    diesel::insert_into(cf::table)
        .values((
            cf::unit_id.eq(unit),
            cf::token_hash.eq(token_hash),
            cf::created_by.eq(by),
            cf::created_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The unit whose calendar-feed token has this hash.
pub fn feed_unit(
    conn: &mut DbConnection,
    token_hash: &str,
) -> Result<Option<String>, PersistenceError> {
    Ok(cf::table
        .filter(cf::token_hash.eq(token_hash))
        .select(cf::unit_id)
        .first(conn)
        .optional()?)
}

/// Every appointment `owner` booked, oldest first (their export, Art. 14), at most `limit`.
pub fn of_owner(
    conn: &mut DbConnection,
    owner: &str,
    limit: i64,
) -> Result<Vec<Appointment>, PersistenceError> {
    load(
        a::table
            .filter(a::owner_id.eq(owner))
            .order((a::created_at.asc(), a::id.asc()))
            .limit(limit)
            .select(AppointmentRow::as_select())
            .load(conn)?,
    )
}

//! Discreet alerts (`alerts`), their track (`alert_positions`), what the streams carry
//! (`alert_events`) and the citizens' sealed cancel codes (`alert_cancel_codes`).
//!
//! Ordering of the streams: every writer of `alert_events` takes one transaction-scoped
//! advisory lock first (PostgreSQL; SQLite's write transactions are serial), so `seq`s
//! become visible in increasing order and a stream that saw `seq = n` never misses a
//! later commit with a smaller one. Alerts are rare (hundreds a day), so one lock costs
//! nothing measurable.
//!
//! Escalation claims (`due_for_escalation`) take the rows `FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, so the escalation loops of several instances never escalate one alert
//! twice nor wait on each other.

use crate::db::DbConnection;
use crate::error::PersistenceError;
use crate::idempotency::{from_db_time, to_db_time};
use crate::schema::{
    alert_cancel_codes as c, alert_events as e, alert_positions as p, alerts as a,
};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use domain::alerts::{AlertEventKind, AlertKind, AlertState, AlertStatus, Position};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = a)]
struct Row {
    id: String,
    citizen_id: String,
    client_id: Option<String>,
    kind: String,
    text: Option<String>,
    country: Option<String>,
    first_unit_id: String,
    unit_id: String,
    status: String,
    raised_at: NaiveDateTime,
    routed_at: NaiveDateTime,
    escalated_at: Option<NaiveDateTime>,
    acknowledged_at: Option<NaiveDateTime>,
    acknowledged_by: Option<String>,
    ended_at: Option<NaiveDateTime>,
    ended_by: Option<String>,
    cancel_failures: i32,
}

/// An alert as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAlert {
    pub id: String,
    pub citizen_id: String,
    pub client_id: Option<String>,
    pub kind: AlertKind,
    pub text: Option<String>,
    pub country: Option<String>,
    pub first_unit: String,
    pub unit: String,
    pub status: AlertStatus,
    pub raised_at: DateTime<Utc>,
    pub routed_at: DateTime<Utc>,
    pub escalated_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
    pub ended_at: Option<DateTime<Utc>>,
    pub ended_by: Option<String>,
    pub cancel_failures: i32,
}

impl StoredAlert {
    /// What the domain's rules need.
    pub fn state(&self) -> AlertState {
        AlertState {
            id: self.id.clone(),
            status: self.status,
            unit: self.unit.clone(),
            routed_at: self.routed_at,
            escalated: self.escalated_at.is_some(),
            cancel_failures: self.cancel_failures,
        }
    }
}

impl TryFrom<Row> for StoredAlert {
    type Error = PersistenceError;

    fn try_from(row: Row) -> Result<Self, Self::Error> {
        let corrupt = |field: &'static str, cause: String| PersistenceError::CorruptRow {
            table: "alerts",
            id: row.id.clone(),
            field,
            cause,
        };
        Ok(StoredAlert {
            kind: row
                .kind
                .parse()
                .map_err(|e: domain::UnknownCode| corrupt("kind", e.to_string()))?,
            status: row
                .status
                .parse()
                .map_err(|e: domain::UnknownCode| corrupt("status", e.to_string()))?,
            id: row.id,
            citizen_id: row.citizen_id,
            client_id: row.client_id,
            text: row.text,
            country: row.country,
            first_unit: row.first_unit_id,
            unit: row.unit_id,
            raised_at: from_db_time(row.raised_at),
            routed_at: from_db_time(row.routed_at),
            escalated_at: row.escalated_at.map(from_db_time),
            acknowledged_at: row.acknowledged_at.map(from_db_time),
            acknowledged_by: row.acknowledged_by,
            ended_at: row.ended_at.map(from_db_time),
            ended_by: row.ended_by,
            cancel_failures: row.cancel_failures,
        })
    }
}

/// A new alert.
pub struct NewAlert<'a> {
    pub id: &'a str,
    pub citizen_id: &'a str,
    pub client_id: Option<&'a str>,
    pub kind: AlertKind,
    pub text: Option<&'a str>,
    pub country: Option<&'a str>,
    pub unit: &'a str,
    pub position: Position,
    pub now: DateTime<Utc>,
}

/// Inserts the alert, its first position and its `raised` event (inside the caller's
/// write transaction).
pub fn insert(conn: &mut DbConnection, alert: &NewAlert<'_>) -> Result<(), PersistenceError> {
    let now = to_db_time(alert.now);
    diesel::insert_into(a::table)
        .values((
            a::id.eq(alert.id),
            a::citizen_id.eq(alert.citizen_id),
            a::client_id.eq(alert.client_id),
            a::kind.eq(alert.kind.as_str()),
            a::text.eq(alert.text),
            a::country.eq(alert.country),
            a::first_unit_id.eq(alert.unit),
            a::unit_id.eq(alert.unit),
            a::status.eq(AlertStatus::Raised.as_str()),
            a::raised_at.eq(now),
            a::routed_at.eq(now),
            a::cancel_failures.eq(0),
        ))
        .execute(conn)?;
    add_position(conn, alert.id, alert.position, alert.now)?;
    event(
        conn,
        alert.id,
        alert.unit,
        AlertEventKind::Raised,
        alert.now,
    )?;
    Ok(())
}

/// Appends a position to the alert's track.
pub fn add_position(
    conn: &mut DbConnection,
    alert: &str,
    position: Position,
    at: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    diesel::insert_into(p::table)
        .values((
            p::alert_id.eq(alert),
            p::lat.eq(position.lat),
            p::lon.eq(position.lon),
            p::accuracy_m.eq(position.accuracy_m),
            p::recorded_at.eq(to_db_time(at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Appends a stream event for `unit` (inside the caller's write transaction; see the
/// module's documentation for the lock).
pub fn event(
    conn: &mut DbConnection,
    alert: &str,
    unit: &str,
    kind: AlertEventKind,
    at: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    if let DbConnection::Postgresql(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended('alert_events', 17))")
            .execute(pg)?;
    }
    diesel::insert_into(e::table)
        .values((
            e::alert_id.eq(alert),
            e::unit_id.eq(unit),
            e::event.eq(kind.as_str()),
            e::at.eq(to_db_time(at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The alert `id`, locked for update on PostgreSQL when `lock` (SQLite's write
/// transaction is serial).
pub fn find(
    conn: &mut DbConnection,
    id: &str,
    lock: bool,
) -> Result<Option<StoredAlert>, PersistenceError> {
    let row: Option<Row> = match conn {
        DbConnection::Postgresql(pg) if lock => a::table
            .filter(a::id.eq(id))
            .select(Row::as_select())
            .for_update()
            .first(pg)
            .optional()?,
        _ => a::table
            .filter(a::id.eq(id))
            .select(Row::as_select())
            .first(conn)
            .optional()?,
    };
    row.map(StoredAlert::try_from).transpose()
}

/// The changes an action makes to an alert's row.
#[derive(Debug, Default)]
pub struct Change<'a> {
    pub status: Option<AlertStatus>,
    pub acknowledged: Option<(&'a str, DateTime<Utc>)>,
    pub ended: Option<(&'a str, DateTime<Utc>)>,
    /// Escalation: the new unit and the time it reached it.
    pub escalated_to: Option<(&'a str, DateTime<Utc>)>,
    pub cancel_failures: Option<i32>,
}

/// Writes `change` to the alert.
pub fn update(
    conn: &mut DbConnection,
    id: &str,
    change: &Change<'_>,
) -> Result<(), PersistenceError> {
    let target = || a::table.filter(a::id.eq(id));
    if let Some(status) = change.status {
        diesel::update(target())
            .set(a::status.eq(status.as_str()))
            .execute(conn)?;
    }
    if let Some((by, at)) = change.acknowledged {
        diesel::update(target())
            .set((
                a::acknowledged_by.eq(by),
                a::acknowledged_at.eq(to_db_time(at)),
            ))
            .execute(conn)?;
    }
    if let Some((by, at)) = change.ended {
        diesel::update(target())
            .set((a::ended_by.eq(by), a::ended_at.eq(to_db_time(at))))
            .execute(conn)?;
    }
    if let Some((unit, at)) = change.escalated_to {
        diesel::update(target())
            .set((
                a::unit_id.eq(unit),
                a::routed_at.eq(to_db_time(at)),
                a::escalated_at.eq(to_db_time(at)),
            ))
            .execute(conn)?;
    }
    if let Some(failures) = change.cancel_failures {
        diesel::update(target())
            .set(a::cancel_failures.eq(failures))
            .execute(conn)?;
    }
    Ok(())
}

/// What the rate limits read of a citizen's alerts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recent {
    /// When each alert raised since the given time was raised.
    pub raised: Vec<DateTime<Utc>>,
    /// When an alert of theirs was last flagged abusive (its end).
    pub flagged: Option<DateTime<Utc>>,
}

/// The raising times of `citizen`'s alerts since `since`, and the latest time one of
/// their alerts was flagged abusive (its end), for the rate limits.
pub fn recent_of(
    conn: &mut DbConnection,
    citizen: &str,
    since: DateTime<Utc>,
) -> Result<Recent, PersistenceError> {
    let raised: Vec<NaiveDateTime> = a::table
        .filter(a::citizen_id.eq(citizen))
        .filter(a::raised_at.ge(to_db_time(since)))
        .select(a::raised_at)
        .load(conn)?;
    let flagged: Option<Option<NaiveDateTime>> = a::table
        .filter(a::citizen_id.eq(citizen))
        .filter(a::status.eq(AlertStatus::Abusive.as_str()))
        .select(a::ended_at)
        .order(a::ended_at.desc())
        .first(conn)
        .optional()?;
    Ok(Recent {
        raised: raised.into_iter().map(from_db_time).collect(),
        flagged: flagged.flatten().map(from_db_time),
    })
}

/// Unacknowledged, never escalated alerts that reached their unit before `before`,
/// oldest first, at most `limit`; locked `FOR UPDATE SKIP LOCKED` on PostgreSQL (call
/// inside a write transaction).
pub fn due_for_escalation(
    conn: &mut DbConnection,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<StoredAlert>, PersistenceError> {
    let before = to_db_time(before);
    let query = || {
        a::table
            .filter(a::status.eq(AlertStatus::Raised.as_str()))
            .filter(a::escalated_at.is_null())
            .filter(a::routed_at.le(before))
            .order(a::routed_at.asc())
            .limit(limit)
    };
    let rows: Vec<Row> = match conn {
        DbConnection::Postgresql(pg) => query()
            .select(Row::as_select())
            .for_update()
            .skip_locked()
            .load(pg)?,
        DbConnection::Sqlite(_) => query().select(Row::as_select()).load(conn)?,
    };
    rows.into_iter().map(StoredAlert::try_from).collect()
}

/// A position of the track.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackPoint {
    pub position: Position,
    pub recorded_at: DateTime<Utc>,
}

/// The alert's track, oldest first.
pub fn track(conn: &mut DbConnection, alert: &str) -> Result<Vec<TrackPoint>, PersistenceError> {
    let rows: Vec<(f64, f64, Option<f64>, NaiveDateTime)> = p::table
        .filter(p::alert_id.eq(alert))
        .order(p::id.asc())
        .select((p::lat, p::lon, p::accuracy_m, p::recorded_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(lat, lon, accuracy_m, at)| TrackPoint {
            position: Position {
                lat,
                lon,
                accuracy_m,
            },
            recorded_at: from_db_time(at),
        })
        .collect())
}

/// A stream event.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub seq: i64,
    pub alert_id: String,
    pub unit: String,
    pub kind: AlertEventKind,
    pub at: DateTime<Utc>,
}

type EventRow = (i64, String, String, String, NaiveDateTime);

fn events(rows: Vec<EventRow>) -> Result<Vec<StoredEvent>, PersistenceError> {
    rows.into_iter()
        .map(|(seq, alert_id, unit, kind, at)| {
            Ok(StoredEvent {
                kind: kind.parse().map_err(|e: domain::UnknownCode| {
                    PersistenceError::CorruptRow {
                        table: "alert_events",
                        id: seq.to_string(),
                        field: "event",
                        cause: e.to_string(),
                    }
                })?,
                seq,
                alert_id,
                unit,
                at: from_db_time(at),
            })
        })
        .collect()
}

const EVENT_COLUMNS: (e::seq, e::alert_id, e::unit_id, e::event, e::at) =
    (e::seq, e::alert_id, e::unit_id, e::event, e::at);

/// The unit's events after `seq`, oldest first, at most `limit`.
pub fn unit_events_after(
    conn: &mut DbConnection,
    unit: &str,
    seq: i64,
    limit: i64,
) -> Result<Vec<StoredEvent>, PersistenceError> {
    events(
        e::table
            .filter(e::unit_id.eq(unit))
            .filter(e::seq.gt(seq))
            .order(e::seq.asc())
            .limit(limit)
            .select(EVENT_COLUMNS)
            .load(conn)?,
    )
}

/// The alert's events after `seq`, oldest first, at most `limit`.
pub fn alert_events_after(
    conn: &mut DbConnection,
    alert: &str,
    seq: i64,
    limit: i64,
) -> Result<Vec<StoredEvent>, PersistenceError> {
    events(
        e::table
            .filter(e::alert_id.eq(alert))
            .filter(e::seq.gt(seq))
            .order(e::seq.asc())
            .limit(limit)
            .select(EVENT_COLUMNS)
            .load(conn)?,
    )
}

/// The newest event's `seq` (0 when none): a stream opened without `Last-Event-ID`
/// starts after it.
pub fn latest_seq(conn: &mut DbConnection) -> Result<i64, PersistenceError> {
    let seq: Option<i64> = e::table.select(diesel::dsl::max(e::seq)).first(conn)?;
    Ok(seq.unwrap_or(0))
}

/// The citizen's sealed cancel code.
pub fn cancel_code_sealed(
    conn: &mut DbConnection,
    citizen: &str,
) -> Result<Option<String>, PersistenceError> {
    Ok(c::table
        .filter(c::citizen_id.eq(citizen))
        .select(c::code_sealed)
        .first(conn)
        .optional()?)
}

/// Sets the citizen's sealed cancel code (replacing any).
pub fn set_cancel_code_sealed(
    conn: &mut DbConnection,
    citizen: &str,
    sealed: &str,
    now: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    let updated = diesel::update(c::table.filter(c::citizen_id.eq(citizen)))
        .set((c::code_sealed.eq(sealed), c::updated_at.eq(to_db_time(now))))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(c::table)
            .values((
                c::citizen_id.eq(citizen),
                c::code_sealed.eq(sealed),
                c::updated_at.eq(to_db_time(now)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Every alert `citizen` raised, oldest first (their export, Art. 14), at most `limit`.
pub fn of_citizen(
    conn: &mut DbConnection,
    citizen: &str,
    limit: i64,
) -> Result<Vec<StoredAlert>, PersistenceError> {
    let rows: Vec<Row> = a::table
        .filter(a::citizen_id.eq(citizen))
        .order((a::raised_at.asc(), a::id.asc()))
        .limit(limit)
        .select(Row::as_select())
        .load(conn)?;
    rows.into_iter().map(StoredAlert::try_from).collect()
}

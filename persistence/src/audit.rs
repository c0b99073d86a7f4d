//! The append-only audit-event store. The database refuses UPDATE and DELETE on it
//! (triggers in both backends' migrations).
//!
//! [`append`] writes an event unsealed, in the caller's transaction, with no lock: it is
//! queued in `audit_pending` and the sealer (`crate::auditlog`) later gives it its place
//! in the Merkle log. Events written before the log (2026-11-22 to 2026-11-30) also carry
//! a hash chain (`prev_hash`, `hash`), still checked by [`verify_legacy_chain`].

use crate::db::DbConnection;
use crate::error::PersistenceError;
use crate::idempotency::{from_db_time, to_db_time};
use crate::schema::audit_events::dsl as a;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use domain::audit::{Actor, AuditEvent, RecordedAuditEvent};
use sha2::{Digest, Sha256};

#[derive(Insertable)]
#[diesel(table_name = crate::schema::audit_events)]
struct NewAuditEventRow<'a> {
    occurred_at: NaiveDateTime,
    actor_id: &'a str,
    actor_role: &'a str,
    actor_unit: Option<&'a str>,
    client_id: Option<&'a str>,
    operation: &'a str,
    object_type: &'a str,
    object_id: Option<&'a str>,
    justification: Option<&'a str>,
    recipient: Option<&'a str>,
    outcome: &'a str,
    request_id: Option<&'a str>,
    prev_hash: String,
    hash: String,
    action: &'a str,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = crate::schema::audit_events)]
pub(crate) struct AuditEventRow {
    pub(crate) id: i64,
    pub(crate) occurred_at: NaiveDateTime,
    actor_id: String,
    actor_role: String,
    actor_unit: Option<String>,
    client_id: Option<String>,
    operation: String,
    object_type: String,
    object_id: Option<String>,
    justification: Option<String>,
    recipient: Option<String>,
    outcome: String,
    request_id: Option<String>,
    prev_hash: String,
    hash: String,
    action: String,
}

impl AuditEventRow {
    /// The leaf entry of the stored values (`domain::audit::leaf_entry`), readable or not.
    pub(crate) fn leaf_entry(&self) -> Vec<u8> {
        let id = self.id.to_string();
        let at = format!("{}Z", self.occurred_at.format("%Y-%m-%dT%H:%M:%S%.6f"));
        domain::audit::leaf_entry(&[
            Some(&id),
            Some(&at),
            Some(&self.actor_id),
            Some(&self.actor_role),
            self.actor_unit.as_deref(),
            self.client_id.as_deref(),
            Some(&self.operation),
            Some(&self.action),
            Some(&self.object_type),
            self.object_id.as_deref(),
            self.justification.as_deref(),
            self.recipient.as_deref(),
            Some(&self.outcome),
            self.request_id.as_deref(),
        ])
    }
}

impl TryFrom<AuditEventRow> for RecordedAuditEvent {
    type Error = PersistenceError;

    fn try_from(row: AuditEventRow) -> Result<Self, Self::Error> {
        Ok(RecordedAuditEvent {
            id: row.id,
            event: AuditEvent {
                occurred_at: from_db_time(row.occurred_at),
                actor: Actor {
                    id: row.actor_id,
                    role: row.actor_role.parse()?,
                    unit: row.actor_unit,
                    client_id: row.client_id,
                },
                operation: row.operation.parse()?,
                action: row.action,
                object_type: row.object_type,
                object_id: row.object_id,
                justification: row.justification,
                recipient: row.recipient,
                outcome: row.outcome.parse()?,
                request_id: row.request_id,
            },
        })
    }
}

/// The hash of an event of the legacy chain (before the Merkle log): SHA-256 over the
/// previous hash and every field, each followed by a separator, in a fixed order.
#[allow(clippy::too_many_arguments)]
fn chain_hash(
    prev: &str,
    at: NaiveDateTime,
    actor: (&str, &str, Option<&str>, Option<&str>),
    operation: &str,
    object: (&str, Option<&str>),
    justification: Option<&str>,
    recipient: Option<&str>,
    outcome: &str,
    request_id: Option<&str>,
) -> String {
    let mut hasher = Sha256::new();
    let fields = [
        Some(prev),
        Some(&*at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()),
        Some(actor.0),
        Some(actor.1),
        actor.2,
        actor.3,
        Some(operation),
        Some(object.0),
        object.1,
        justification,
        recipient,
        Some(outcome),
        request_id,
    ];
    for field in fields {
        match field {
            Some(value) => {
                hasher.update(b"1");
                hasher.update(value.as_bytes());
            }
            None => hasher.update(b"0"),
        }
        hasher.update([0x1f]);
    }
    hex::encode(hasher.finalize())
}

/// Appends one event, unsealed, in the caller's transaction (or its own); returns its id.
/// No lock: the event is queued in `audit_pending`, and the sealer gives it its place in
/// the log once its transaction has committed (`crate::auditlog::seal_batch`). On
/// PostgreSQL the event and its place in the queue are one statement (a data-modifying
/// `WITH`); SQLite has no such statement and takes two.
pub fn append(conn: &mut DbConnection, event: &AuditEvent) -> Result<i64, PersistenceError> {
    use crate::schema::audit_pending::dsl as p;
    let row = new_row(event);
    let occurred_at = row.occurred_at;
    if let DbConnection::Postgresql(pg) = conn {
        let ids = append_postgres(pg, std::slice::from_ref(&row))?;
        return ids
            .first()
            .copied()
            .ok_or(PersistenceError::Query(diesel::result::Error::NotFound));
    }
    conn.write_step(|c| {
        let id: i64 = diesel::insert_into(a::audit_events)
            .values(&row)
            .returning(a::id)
            .get_result(c)?;
        diesel::insert_into(p::audit_pending)
            .values((p::event_id.eq(id), p::occurred_at.eq(occurred_at)))
            .execute(c)?;
        Ok(id)
    })
}

/// Appends `events` in the caller's transaction, as [`append`] does one by one. On
/// PostgreSQL they are one statement whatever their number (the events and their queue
/// entries, a data-modifying `WITH`), atomic on its own: a consultation revealing twenty
/// linked filings is one round trip, and needs no transaction around it (beyond
/// [`EVENTS_PER_STATEMENT`] events, several statements in a transaction). On SQLite each
/// event is its own step: all or none only inside the caller's transaction. Returns their
/// ids, in order (ids are given in the order of the rows).
pub fn append_all(
    conn: &mut DbConnection,
    events: &[AuditEvent],
) -> Result<Vec<i64>, PersistenceError> {
    let DbConnection::Postgresql(pg) = conn else {
        return events.iter().map(|e| append(conn, e)).collect();
    };
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<NewAuditEventRow<'_>> = events.iter().map(new_row).collect();
    if rows.len() <= EVENTS_PER_STATEMENT {
        return Ok(append_postgres(pg, &rows)?);
    }
    // More than one statement's worth: together, in a transaction (a savepoint when the
    // caller's is open).
    Ok(pg.transaction(|c| {
        let mut ids = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(EVENTS_PER_STATEMENT) {
            ids.extend(append_postgres(c, chunk)?);
        }
        Ok::<_, diesel::result::Error>(ids)
    })?)
}

/// The most events [`append_all`] writes in one statement on PostgreSQL (13 parameters
/// each, under PostgreSQL's limit of 65,535 per statement).
const EVENTS_PER_STATEMENT: usize = 1000;

/// The row of `event`, unsealed (the sealer gives it its place and hash).
fn new_row(event: &AuditEvent) -> NewAuditEventRow<'_> {
    NewAuditEventRow {
        occurred_at: to_db_time(event.occurred_at),
        actor_id: &event.actor.id,
        actor_role: event.actor.role.as_str(),
        actor_unit: event.actor.unit.as_deref(),
        client_id: event.actor.client_id.as_deref(),
        operation: event.operation.as_str(),
        object_type: &event.object_type,
        object_id: event.object_id.as_deref(),
        justification: event.justification.as_deref(),
        recipient: event.recipient.as_deref(),
        outcome: event.outcome.as_str(),
        request_id: event.request_id.as_deref(),
        prev_hash: String::new(),
        hash: String::new(),
        action: &event.action,
    }
}

/// The events and their queue entries in one statement (atomic on its own), 13
/// parameters per event (PostgreSQL takes at most 65,535: about 5,000 events).
fn append_postgres(
    pg: &mut diesel::PgConnection,
    rows: &[NewAuditEventRow<'_>],
) -> Result<Vec<i64>, diesel::result::Error> {
    use diesel::pg::Pg;
    use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
    use std::fmt::Write as _;
    #[derive(QueryableByName)]
    struct Appended {
        #[diesel(sql_type = BigInt)]
        event_id: i64,
    }
    const COLUMNS: usize = 13;
    let mut sql = String::from(
        "WITH e AS (INSERT INTO audit_events (occurred_at, actor_id, actor_role, actor_unit, \
         client_id, operation, object_type, object_id, justification, recipient, outcome, \
         request_id, prev_hash, hash, action) VALUES ",
    );
    for n in 0..rows.len() {
        let b = n * COLUMNS;
        let _ = write!(
            sql,
            "{}(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, '', '', ${})",
            if n == 0 { "" } else { ", " },
            b + 1,
            b + 2,
            b + 3,
            b + 4,
            b + 5,
            b + 6,
            b + 7,
            b + 8,
            b + 9,
            b + 10,
            b + 11,
            b + 12,
            b + 13,
        );
    }
    sql.push_str(
        " RETURNING id, occurred_at) \
         INSERT INTO audit_pending (event_id, occurred_at) SELECT id, occurred_at FROM e \
         RETURNING event_id",
    );
    let mut query = diesel::sql_query(sql).into_boxed::<Pg>();
    for row in rows {
        query = query
            .bind::<Timestamp, _>(row.occurred_at)
            .bind::<Text, _>(row.actor_id)
            .bind::<Text, _>(row.actor_role)
            .bind::<Nullable<Text>, _>(row.actor_unit)
            .bind::<Nullable<Text>, _>(row.client_id)
            .bind::<Text, _>(row.operation)
            .bind::<Text, _>(row.object_type)
            .bind::<Nullable<Text>, _>(row.object_id)
            .bind::<Nullable<Text>, _>(row.justification)
            .bind::<Nullable<Text>, _>(row.recipient)
            .bind::<Text, _>(row.outcome)
            .bind::<Nullable<Text>, _>(row.request_id)
            .bind::<Text, _>(row.action);
    }
    let appended: Vec<Appended> = query.get_results(pg)?;
    let mut ids: Vec<i64> = appended.into_iter().map(|a| a.event_id).collect();
    ids.sort_unstable();
    Ok(ids)
}

/// The result of checking the legacy chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainCheck {
    /// Every chained event links to the previous one and matches its hash.
    Intact { events: u64 },
    /// The first event whose stored values do not match its hash or its predecessor.
    BrokenAt { id: i64, reason: String },
}

/// Recomputes the legacy hash chain: the events written before the Merkle log, which
/// carry a `hash` (later events have none), in id order, in pages.
pub fn verify_legacy_chain(conn: &mut DbConnection) -> Result<ChainCheck, PersistenceError> {
    let mut prev = String::new();
    let mut after = 0i64;
    let mut count = 0u64;
    loop {
        let rows: Vec<AuditEventRow> = a::audit_events
            .filter(a::id.gt(after))
            .filter(a::hash.ne(""))
            .order(a::id.asc())
            .limit(1000)
            .select(AuditEventRow::as_select())
            .load(conn)?;
        if rows.is_empty() {
            return Ok(ChainCheck::Intact { events: count });
        }
        for row in rows {
            if row.prev_hash != prev {
                return Ok(ChainCheck::BrokenAt {
                    id: row.id,
                    reason: "it does not link to the previous event".into(),
                });
            }
            let expected = chain_hash(
                &prev,
                row.occurred_at,
                (
                    &row.actor_id,
                    &row.actor_role,
                    row.actor_unit.as_deref(),
                    row.client_id.as_deref(),
                ),
                &row.operation,
                (&row.object_type, row.object_id.as_deref()),
                row.justification.as_deref(),
                row.recipient.as_deref(),
                &row.outcome,
                row.request_id.as_deref(),
            );
            if expected != row.hash {
                return Ok(ChainCheck::BrokenAt {
                    id: row.id,
                    reason: "its content does not match its hash".into(),
                });
            }
            prev = row.hash;
            after = row.id;
            count += 1;
        }
    }
}

/// Filters for reading the trail; every field is optional.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub actor_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Only events with an id greater than this (cursor pagination).
    pub after_id: Option<i64>,
    /// Only this event.
    pub id: Option<i64>,
    /// Only the events of these units (`domain::policy::AuditScope::Units`): of actors
    /// acting for one of them, about one of their filings (as routed now), or about their
    /// queue, roster or contact data. `None`: every event.
    pub units: Option<Vec<String>>,
}

/// Events matching `filter`, oldest first, at most `limit`.
pub fn list(
    conn: &mut DbConnection,
    filter: &AuditFilter,
    limit: i64,
) -> Result<Vec<RecordedAuditEvent>, PersistenceError> {
    let mut query = a::audit_events.into_boxed();
    if let Some(v) = &filter.object_type {
        query = query.filter(a::object_type.eq(v.clone()));
    }
    if let Some(v) = &filter.object_id {
        query = query.filter(a::object_id.eq(v.clone()));
    }
    if let Some(v) = &filter.actor_id {
        query = query.filter(a::actor_id.eq(v.clone()));
    }
    if let Some(v) = filter.from {
        query = query.filter(a::occurred_at.ge(to_db_time(v)));
    }
    if let Some(v) = filter.until {
        query = query.filter(a::occurred_at.lt(to_db_time(v)));
    }
    if let Some(v) = filter.after_id {
        query = query.filter(a::id.gt(v));
    }
    if let Some(v) = filter.id {
        query = query.filter(a::id.eq(v));
    }
    if let Some(units) = &filter.units {
        use crate::schema::filings::dsl as f;
        let their_filings = f::filings
            .filter(f::unit_id.eq_any(units.clone()))
            .select(f::id.nullable());
        query = query.filter(
            a::actor_unit
                .eq_any(units.clone())
                .or(a::object_type
                    .eq("filing")
                    .nullable()
                    .and(a::object_id.eq_any(their_filings)))
                .or(a::object_type
                    .eq_any(["unit_queue", "unit_members", "unit_contact"])
                    .nullable()
                    .and(a::object_id.eq_any(units.clone()))),
        );
    }
    query
        .order(a::id.asc())
        .limit(limit)
        .select(AuditEventRow::as_select())
        .load(conn)?
        .into_iter()
        .map(RecordedAuditEvent::try_from)
        .collect()
}

/// Number of events in the trail.
pub fn count(conn: &mut DbConnection) -> Result<i64, PersistenceError> {
    Ok(a::audit_events.count().get_result(conn)?)
}

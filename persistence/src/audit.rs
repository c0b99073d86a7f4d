//! The append-only audit-event store. The database refuses UPDATE and DELETE on it
//! (triggers in both backends' migrations).

use crate::db::DbConnection;
use crate::error::PersistenceError;
use crate::idempotency::{from_db_time, to_db_time};
use crate::schema::audit_events::dsl as a;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use domain::audit::{Actor, AuditEvent, RecordedAuditEvent};

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
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = crate::schema::audit_events)]
struct AuditEventRow {
    id: i64,
    occurred_at: NaiveDateTime,
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

/// Appends one event; returns its id.
pub fn append(conn: &mut DbConnection, event: &AuditEvent) -> Result<i64, PersistenceError> {
    let row = NewAuditEventRow {
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
    };
    Ok(diesel::insert_into(a::audit_events)
        .values(&row)
        .returning(a::id)
        .get_result(conn)?)
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

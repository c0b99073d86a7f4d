//! Webhooks (issue 16): a partner's endpoints (`webhook_endpoints`), the events queued
//! for them in the outbox (channel [`CHANNEL`], one message per endpoint, the event type
//! as `template`), and the log of delivery attempts (`webhook_attempts`).
//!
//! Order per filing: a message is claimed only when no older message of the same
//! endpoint and filing is still `pending` or `sending`, so a receiver gets the events of
//! a filing in the order they happened even when one of them had to be retried (a
//! message that ended `failed` or `dead` no longer holds the others back). Claims are
//! atomic like the e-mails' (`FOR UPDATE SKIP LOCKED` on PostgreSQL, serial write
//! transactions on SQLite), so any number of workers share the queue.

use crate::db::DbConnection;
use crate::error::PersistenceError;
use crate::idempotency::{from_db_time, to_db_time};
use crate::schema::{outbox_messages as o, webhook_attempts as a, webhook_endpoints as e};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
use domain::delivery::{NextStep, OutboxStatus};
use domain::webhooks::{Endpoint, EventType, PartnerEvent};

/// The outbox channel of webhook events.
pub const CHANNEL: &str = "webhook";

type EndpointRow = (
    i64,
    String,
    String,
    String,
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
);

fn endpoint_columns() -> (
    e::id,
    e::partner_id,
    e::url,
    e::event_types,
    e::description,
    e::created_at,
    e::disabled_at,
) {
    (
        e::id,
        e::partner_id,
        e::url,
        e::event_types,
        e::description,
        e::created_at,
        e::disabled_at,
    )
}

fn from_row(row: EndpointRow) -> Result<Endpoint, PersistenceError> {
    let (id, partner, url, types, description, created, disabled) = row;
    let codes: Vec<String> =
        serde_json::from_str(&types).map_err(|err| PersistenceError::CorruptRow {
            table: "webhook_endpoints",
            id: id.to_string(),
            field: "event_types",
            cause: err.to_string(),
        })?;
    let event_types = codes
        .iter()
        .map(|c| c.parse::<EventType>())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Endpoint {
        id,
        partner,
        url,
        event_types,
        description,
        created_at: from_db_time(created),
        disabled_at: disabled.map(from_db_time),
    })
}

/// Registers an endpoint of `partner`; the endpoint with its id.
pub fn create(
    conn: &mut DbConnection,
    partner: &str,
    url: &str,
    types: &[EventType],
    description: &str,
    now: DateTime<Utc>,
) -> Result<Endpoint, PersistenceError> {
    let codes: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
    let id: i64 = diesel::insert_into(e::table)
        .values((
            e::partner_id.eq(partner),
            e::url.eq(url),
            e::event_types.eq(serde_json::to_string(&codes)?),
            e::description.eq(description),
            e::created_at.eq(to_db_time(now)),
        ))
        .returning(e::id)
        .get_result(conn)?;
    Ok(Endpoint {
        id,
        partner: partner.to_owned(),
        url: url.to_owned(),
        event_types: types.to_vec(),
        description: description.to_owned(),
        created_at: now,
        disabled_at: None,
    })
}

/// The endpoints of `partner` (disabled ones too when `all`), oldest first.
pub fn list(
    conn: &mut DbConnection,
    partner: &str,
    all: bool,
) -> Result<Vec<Endpoint>, PersistenceError> {
    let mut query = e::table.filter(e::partner_id.eq(partner)).into_boxed();
    if !all {
        query = query.filter(e::disabled_at.is_null());
    }
    let rows: Vec<EndpointRow> = query
        .order(e::id.asc())
        .select(endpoint_columns())
        .load(conn)?;
    rows.into_iter().map(from_row).collect()
}

/// The endpoint `id` of `partner`, if it is theirs.
pub fn get(
    conn: &mut DbConnection,
    partner: &str,
    id: i64,
) -> Result<Option<Endpoint>, PersistenceError> {
    let row: Option<EndpointRow> = e::table
        .filter(e::id.eq(id))
        .filter(e::partner_id.eq(partner))
        .select(endpoint_columns())
        .first(conn)
        .optional()?;
    row.map(from_row).transpose()
}

/// Endpoints by id, whoever's (for the worker).
pub fn by_ids(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<Endpoint>, PersistenceError> {
    let rows: Vec<EndpointRow> = e::table
        .filter(e::id.eq_any(ids))
        .select(endpoint_columns())
        .load(conn)?;
    rows.into_iter().map(from_row).collect()
}

/// Disables the endpoint `id` of `partner` at `now`: nothing more is queued for it, and
/// what is pending fails (`endpoint_disabled`). Its log stays readable. `None` when it
/// is not theirs.
pub fn disable(
    conn: &mut DbConnection,
    partner: &str,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Option<Endpoint>, PersistenceError> {
    diesel::update(
        e::table
            .filter(e::id.eq(id))
            .filter(e::partner_id.eq(partner))
            .filter(e::disabled_at.is_null()),
    )
    .set(e::disabled_at.eq(to_db_time(now)))
    .execute(conn)?;
    get(conn, partner, id)
}

/// Queues `event` about `filing` for every enabled endpoint of its partner subscribed
/// to its type, inside the caller's transaction (the change's own). Returns how many.
pub fn queue(
    conn: &mut DbConnection,
    filing: &str,
    event: &PartnerEvent,
    at: DateTime<Utc>,
) -> Result<usize, PersistenceError> {
    use crate::schema::partners as p;
    let enabled: Option<Option<NaiveDateTime>> = p::table
        .find(&event.partner)
        .select(p::disabled_at)
        .first(conn)
        .optional()?;
    if !matches!(enabled, Some(None)) {
        return Ok(0);
    }
    let endpoints = list(conn, &event.partner, false)?;
    let mut queued = 0;
    for endpoint in endpoints
        .iter()
        .filter(|ep| ep.event_types.contains(&event.event_type))
    {
        queued += diesel::insert_into(o::table)
            .values((
                o::filing_id.eq(filing),
                o::channel.eq(CHANNEL),
                o::template.eq(event.event_type.as_str()),
                o::language.eq("und"),
                o::payload.eq(event.payload.to_string()),
                o::created_at.eq(to_db_time(at)),
                o::status.eq(OutboxStatus::Pending.as_str()),
                o::available_at.eq(to_db_time(at)),
                o::endpoint_id.eq(Some(endpoint.id)),
            ))
            .execute(conn)?;
    }
    Ok(queued)
}

/// A claimed webhook message.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct DueMessage {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub filing_id: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub endpoint_id: Option<i64>,
    /// The event type.
    #[diesel(sql_type = Text)]
    pub template: String,
    #[diesel(sql_type = Text)]
    pub payload: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub attempts: i32,
    #[diesel(sql_type = Timestamp)]
    pub created_at: NaiveDateTime,
}

/// Claims up to `limit` due webhook messages for `worker` (see the module's note on
/// order): each the oldest unfinished one of its endpoint and filing. They become
/// `sending` with one more attempt. Runs in its own write transaction.
pub fn claim_due(
    conn: &mut DbConnection,
    worker: &str,
    now: DateTime<Utc>,
    lease_expired: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<DueMessage>, PersistenceError> {
    let (now, expired) = (to_db_time(now), to_db_time(lease_expired));
    conn.write_transaction(|conn| {
        // $1 the worker, $2 now, $3 when a lease has run out.
        let query = crate::db::sql_query(
            conn,
            &format!(
                "UPDATE outbox_messages SET status = 'sending', claimed_by = $1, \
                 claimed_at = $2, attempts = attempts + 1 \
                 WHERE id IN (SELECT m.id FROM outbox_messages m WHERE m.channel = 'webhook' AND \
                 ((m.status = 'pending' AND m.available_at <= $2) OR \
                  (m.status = 'sending' AND m.claimed_at < $3)) \
                 AND NOT EXISTS (SELECT 1 FROM outbox_messages b WHERE b.channel = 'webhook' \
                   AND b.endpoint_id = m.endpoint_id AND b.filing_id = m.filing_id \
                   AND b.id < m.id AND b.status IN ('pending', 'sending')) \
                 ORDER BY m.id LIMIT {limit} {lock}) \
                 RETURNING id, filing_id, endpoint_id, template, payload, attempts, created_at",
                lock = crate::db::skip_locked(conn),
            ),
        )
        .bind::<Text, _>(worker)
        .bind::<Timestamp, _>(now)
        .bind::<Timestamp, _>(expired);
        let rows: Vec<DueMessage> = crate::on_backend!(conn, query, load)?;
        Ok::<_, PersistenceError>(rows)
    })
    .map(|mut rows| {
        rows.sort_by_key(|r| r.id);
        rows
    })
}

/// One delivery attempt, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub outbox_id: i64,
    pub endpoint_id: i64,
    pub at: DateTime<Utc>,
    /// The receiver's status code, when it answered.
    pub status_code: Option<u16>,
    /// The stable code of a failure.
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// Writes the attempts and their outcomes (`crate::outbox::record_outcomes`) in one
/// transaction, and disables the endpoints of the messages that died (every retry
/// failed).
pub fn record(
    conn: &mut DbConnection,
    worker: &str,
    attempts: &[(Attempt, NextStep)],
    now: DateTime<Utc>,
) -> Result<Recorded, PersistenceError> {
    conn.write_transaction(|conn| {
        for (attempt, _) in attempts {
            diesel::insert_into(a::table)
                .values((
                    a::outbox_id.eq(attempt.outbox_id),
                    a::endpoint_id.eq(attempt.endpoint_id),
                    a::attempted_at.eq(to_db_time(attempt.at)),
                    a::status_code.eq(attempt.status_code.map(i32::from)),
                    a::error.eq(attempt.error.as_deref()),
                    a::duration_ms.eq(attempt.duration_ms),
                ))
                .execute(conn)?;
        }
        let outcomes: Vec<(i64, NextStep)> = attempts
            .iter()
            .map(|(attempt, step)| (attempt.outbox_id, step.clone()))
            .collect();
        let recorded = crate::outbox::record_outcomes(conn, worker, &outcomes, now)?;
        // An endpoint that let a message die (every retry, about 3 days) is disabled:
        // nothing more is queued for it until its partner registers it again.
        let mut disabled = Vec::new();
        for (attempt, step) in attempts {
            if matches!(step, NextStep::Dead { .. }) && !disabled.contains(&attempt.endpoint_id) {
                let changed = diesel::update(
                    e::table
                        .filter(e::id.eq(attempt.endpoint_id))
                        .filter(e::disabled_at.is_null()),
                )
                .set(e::disabled_at.eq(to_db_time(now)))
                .execute(conn)?;
                if changed > 0 {
                    disabled.push(attempt.endpoint_id);
                }
            }
        }
        Ok(Recorded { recorded, disabled })
    })
}

/// What [`record`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// Messages whose outcome was recorded (a lost lease is not).
    pub recorded: usize,
    /// Endpoints disabled because one of their messages died.
    pub disabled: Vec<i64>,
}

/// A message of an endpoint with its attempts, as the partner's delivery log shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub outbox_id: i64,
    pub filing_id: String,
    pub event_type: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub attempts: Vec<Attempt>,
}

/// The messages of endpoint `endpoint`, newest first, before the cursor `before_id`,
/// each with its attempts (oldest first).
pub fn deliveries(
    conn: &mut DbConnection,
    endpoint: i64,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Delivery>, PersistenceError> {
    type Row = (
        i64,
        String,
        String,
        String,
        NaiveDateTime,
        Option<NaiveDateTime>,
        NaiveDateTime,
    );
    let mut query = o::table
        .filter(o::channel.eq(CHANNEL))
        .filter(o::endpoint_id.eq(endpoint))
        .into_boxed();
    if let Some(before) = before_id {
        query = query.filter(o::id.lt(before));
    }
    let rows: Vec<Row> = query
        .order(o::id.desc())
        .limit(limit)
        .select((
            o::id,
            o::filing_id,
            o::template,
            o::status,
            o::created_at,
            o::sent_at,
            o::available_at,
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    type AttemptRow = (i64, NaiveDateTime, Option<i32>, Option<String>, i64);
    let attempts: Vec<AttemptRow> = a::table
        .filter(a::outbox_id.eq_any(&ids))
        .order(a::id.asc())
        .select((
            a::outbox_id,
            a::attempted_at,
            a::status_code,
            a::error,
            a::duration_ms,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, filing_id, event_type, status, created, sent, available)| Delivery {
                next_attempt_at: (status == OutboxStatus::Pending.as_str())
                    .then(|| from_db_time(available)),
                attempts: attempts
                    .iter()
                    .filter(|at| at.0 == id)
                    .map(|(_, at, code, error, duration)| Attempt {
                        outbox_id: id,
                        endpoint_id: endpoint,
                        at: from_db_time(*at),
                        status_code: code.and_then(|c| u16::try_from(c).ok()),
                        error: error.clone(),
                        duration_ms: *duration,
                    })
                    .collect(),
                outbox_id: id,
                filing_id,
                event_type,
                status,
                created_at: from_db_time(created),
                sent_at: sent.map(from_db_time),
            },
        )
        .collect())
}

/// Whether message `outbox_id` belongs to endpoint `endpoint`.
pub fn message_of(
    conn: &mut DbConnection,
    endpoint: i64,
    outbox_id: i64,
) -> Result<bool, PersistenceError> {
    Ok(diesel::select(diesel::dsl::exists(
        o::table
            .filter(o::id.eq(outbox_id))
            .filter(o::channel.eq(CHANNEL))
            .filter(o::endpoint_id.eq(endpoint)),
    ))
    .get_result(conn)?)
}

//! The outbox: messages to citizens queued in the transaction of the change that caused
//! them (`filings::save`), delivered by the worker (`api::delivery`).
//!
//! Claims are atomic: one `UPDATE … RETURNING` moves due messages to `sending` under the
//! claimant's name and a lease. On PostgreSQL its sub-select takes the rows `FOR UPDATE
//! SKIP LOCKED`, so any number of workers claim disjoint sets without waiting on each
//! other; SQLite's write transactions are serial (`BEGIN IMMEDIATE`). A claim whose lease
//! ran out (a worker killed mid-delivery) is due again: delivery is at least once.
//! Every claim counts as an attempt.

use crate::db::DbConnection;
use crate::error::PersistenceError;
use crate::idempotency::{from_db_time, to_db_time};
use crate::schema::outbox_messages as o;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamp};
use domain::delivery::{NextStep, OutboxStatus};
use domain::filing::Contact;
use std::collections::HashMap;

/// A queued message as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = o)]
pub struct OutboxRow {
    pub id: i64,
    pub filing_id: String,
    /// `email` or `post` (the confirmation channel's code).
    pub channel: String,
    /// The message template (`filing_registered`).
    pub template: String,
    pub language: String,
    /// JSON: references and ids, never facts.
    pub payload: String,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub status: String,
    /// Claims so far (each claim is an attempt).
    pub attempts: i32,
    /// When the message is next due.
    pub available_at: NaiveDateTime,
    /// The stable code of the last failure (`smtp_unavailable`, `smtp_5xx`…).
    pub last_error: Option<String>,
    pub claimed_by: Option<String>,
    pub claimed_at: Option<NaiveDateTime>,
    /// The letter batch that printed it.
    pub batch: Option<String>,
}

impl OutboxRow {
    pub fn status(&self) -> Result<OutboxStatus, PersistenceError> {
        self.status
            .parse()
            .map_err(|e: domain::UnknownCode| PersistenceError::CorruptRow {
                table: "outbox_messages",
                id: self.id.to_string(),
                field: "status",
                cause: e.to_string(),
            })
    }

    pub fn created(&self) -> DateTime<Utc> {
        from_db_time(self.created_at)
    }

    pub fn available(&self) -> DateTime<Utc> {
        from_db_time(self.available_at)
    }
}

const COLUMNS: &str = "id, filing_id, channel, template, language, payload, created_at, \
     sent_at, status, attempts, available_at, last_error, claimed_by, claimed_at, batch";

/// Claims up to `limit` due messages of `channel` for `worker`: pending ones whose
/// `available_at` has come, and `sending` ones whose claim is older than `lease_expired`
/// (their worker died). They become `sending`, claimed by `worker` at `now`, with one
/// more attempt. Runs in its own write transaction (call it outside any).
pub fn claim_due(
    conn: &mut DbConnection,
    channel: &str,
    worker: &str,
    now: DateTime<Utc>,
    lease_expired: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<OutboxRow>, PersistenceError> {
    let (now, expired) = (to_db_time(now), to_db_time(lease_expired));
    conn.write_transaction(|conn| {
        // $1 the worker, $2 now, $3 the channel, $4 when a lease has run out.
        let query = crate::db::sql_query(
            conn,
            &format!(
                "UPDATE outbox_messages SET status = 'sending', claimed_by = $1, \
                 claimed_at = $2, attempts = attempts + 1 \
                 WHERE id IN (SELECT id FROM outbox_messages WHERE channel = $3 AND \
                 ((status = 'pending' AND available_at <= $2) OR \
                  (status = 'sending' AND claimed_at < $4)) \
                 ORDER BY available_at, id LIMIT {limit} {lock}) \
                 RETURNING {COLUMNS}",
                lock = crate::db::skip_locked(conn),
            ),
        )
        .bind::<Text, _>(worker)
        .bind::<Timestamp, _>(now)
        .bind::<Text, _>(channel)
        .bind::<Timestamp, _>(expired);
        let rows: Vec<OutboxRow> = crate::on_backend!(conn, query, load)?;
        Ok::<_, PersistenceError>(rows)
    })
    .map(|mut rows| {
        rows.sort_by_key(|r| (r.available_at, r.id));
        rows
    })
}

/// Writes the outcome of attempts made by `worker`, in one transaction. A message
/// delivered is `sent` whoever holds it now; a failure is written only while `worker`
/// still holds the message (a worker whose lease ran out and was overtaken changes
/// nothing). Returns the number of rows changed.
pub fn record_outcomes(
    conn: &mut DbConnection,
    worker: &str,
    outcomes: &[(i64, NextStep)],
    now: DateTime<Utc>,
) -> Result<usize, PersistenceError> {
    let now = to_db_time(now);
    // The common case, a delivery, is one statement for the whole round.
    let sent: Vec<i64> = outcomes
        .iter()
        .filter(|(_, step)| matches!(step, NextStep::Sent))
        .map(|(id, _)| *id)
        .collect();
    conn.write_transaction(|conn| {
        let mut changed = 0;
        for ids in sent.chunks(1000) {
            changed += diesel::update(
                o::table
                    .filter(o::id.eq_any(ids))
                    .filter(o::status.eq(OutboxStatus::Sending.as_str())),
            )
            // `claimed_by` stays: who delivered it.
            .set((
                o::status.eq(OutboxStatus::Sent.as_str()),
                o::sent_at.eq(now),
            ))
            .execute(conn)?;
        }
        for (id, step) in outcomes {
            let mine = o::table
                .filter(o::id.eq(id))
                .filter(o::status.eq(OutboxStatus::Sending.as_str()))
                .filter(o::claimed_by.eq(worker));
            changed += match step {
                NextStep::Sent => 0,
                NextStep::Retry { at, error } => diesel::update(mine)
                    .set((
                        o::status.eq(OutboxStatus::Pending.as_str()),
                        o::available_at.eq(to_db_time(*at)),
                        o::last_error.eq(error),
                        o::claimed_by.eq(None::<String>),
                    ))
                    .execute(conn)?,
                NextStep::Failed { error } | NextStep::Dead { error } => {
                    let status = match step {
                        NextStep::Failed { .. } => OutboxStatus::Failed,
                        _ => OutboxStatus::Dead,
                    };
                    diesel::update(mine)
                        .set((
                            o::status.eq(status.as_str()),
                            o::last_error.eq(error),
                            o::claimed_by.eq(None::<String>),
                        ))
                        .execute(conn)?
                }
            };
        }
        Ok::<_, PersistenceError>(changed)
    })
}

/// Messages, newest first, optionally of one status and after the cursor `before_id`.
pub fn list(
    conn: &mut DbConnection,
    status: Option<OutboxStatus>,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<OutboxRow>, PersistenceError> {
    let mut query = o::table.into_boxed();
    if let Some(status) = status {
        query = query.filter(o::status.eq(status.as_str()));
    }
    if let Some(before) = before_id {
        query = query.filter(o::id.lt(before));
    }
    Ok(query
        .order(o::id.desc())
        .limit(limit)
        .select(OutboxRow::as_select())
        .load(conn)?)
}

/// One message.
pub fn find(conn: &mut DbConnection, id: i64) -> Result<Option<OutboxRow>, PersistenceError> {
    Ok(o::table
        .filter(o::id.eq(id))
        .select(OutboxRow::as_select())
        .first(conn)
        .optional()?)
}

/// The messages of a filing, oldest first (the back office's view of their delivery).
pub fn for_filing(
    conn: &mut DbConnection,
    filing: &str,
) -> Result<Vec<OutboxRow>, PersistenceError> {
    Ok(o::table
        .filter(o::filing_id.eq(filing))
        .order(o::id.asc())
        .select(OutboxRow::as_select())
        .load(conn)?)
}

/// Why an operator's retry was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryRefusal {
    NotFound,
    /// Only `failed` and `dead` messages are sent again; this one is in another status.
    NotRetryable(OutboxStatus),
}

/// Makes a `failed` or `dead` message due again at `now`, with a fresh attempt budget
/// (its last error stays until the next attempt). Returns its former status.
pub fn retry(
    conn: &mut DbConnection,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Result<OutboxStatus, RetryRefusal>, PersistenceError> {
    conn.write_transaction(|conn| {
        let Some(row) = find(conn, id)? else {
            return Ok(Err(RetryRefusal::NotFound));
        };
        let status = row.status()?;
        if !OutboxStatus::RETRYABLE.contains(&status) {
            return Ok(Err(RetryRefusal::NotRetryable(status)));
        }
        diesel::update(
            o::table
                .filter(o::id.eq(id))
                .filter(o::status.eq(status.as_str())),
        )
        .set((
            o::status.eq(OutboxStatus::Pending.as_str()),
            o::attempts.eq(0),
            o::available_at.eq(to_db_time(now)),
            o::claimed_by.eq(None::<String>),
            o::claimed_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
        Ok(Ok(status))
    })
}

/// The outbox's depth: messages per (channel, status).
pub fn depth(conn: &mut DbConnection) -> Result<Vec<(String, String, i64)>, PersistenceError> {
    Ok(o::table
        .group_by((o::channel, o::status))
        .select((o::channel, o::status, diesel::dsl::count_star()))
        .load(conn)?)
}

/// The due time of the oldest message of `channel` that is due and not sent yet
/// (pending with `available_at` past, or held by a worker), if any.
pub fn oldest_due(
    conn: &mut DbConnection,
    channel: &str,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, PersistenceError> {
    let oldest: Option<NaiveDateTime> = o::table
        .filter(o::channel.eq(channel))
        .filter(
            o::status
                .eq(OutboxStatus::Pending.as_str())
                .and(o::available_at.le(to_db_time(now)))
                .or(o::status.eq(OutboxStatus::Sending.as_str())),
        )
        .select(diesel::dsl::min(o::available_at))
        .first(conn)?;
    Ok(oldest.map(from_db_time))
}

/// Claims the letters of batch `batch` in one write transaction: the `post` messages
/// pending with `available_at` before `until`, plus those this batch already claimed (a
/// batch interrupted before it closed is completed, never printed twice: a letter
/// belongs to one batch). They become `sending` with `batch` set.
pub fn claim_letters(
    conn: &mut DbConnection,
    batch: &str,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<OutboxRow>, PersistenceError> {
    let (until, now) = (to_db_time(until), to_db_time(now));
    conn.write_transaction(|conn| {
        diesel::update(
            o::table
                .filter(o::channel.eq("post"))
                .filter(o::status.eq(OutboxStatus::Pending.as_str()))
                .filter(o::available_at.lt(until)),
        )
        .set((
            o::status.eq(OutboxStatus::Sending.as_str()),
            o::batch.eq(batch),
            o::claimed_by.eq(format!("batch:{batch}")),
            o::claimed_at.eq(now),
            o::attempts.eq(o::attempts + 1),
        ))
        .execute(conn)?;
        Ok::<_, PersistenceError>(
            o::table
                .filter(o::batch.eq(batch))
                .filter(o::status.eq(OutboxStatus::Sending.as_str()))
                .order(o::id.asc())
                .select(OutboxRow::as_select())
                .load(conn)?,
        )
    })
}

/// Closes a batch: its letters are `sent` (printed), except those listed in `failed`
/// with their error code (no postal address).
pub fn close_letters(
    conn: &mut DbConnection,
    batch: &str,
    failed: &[(i64, String)],
    now: DateTime<Utc>,
) -> Result<usize, PersistenceError> {
    let now = to_db_time(now);
    conn.write_transaction(|conn| {
        for (id, error) in failed {
            diesel::update(o::table.filter(o::id.eq(id)).filter(o::batch.eq(batch)))
                .set((
                    o::status.eq(OutboxStatus::Failed.as_str()),
                    o::last_error.eq(error),
                    o::claimed_by.eq(None::<String>),
                ))
                .execute(conn)?;
        }
        Ok::<_, PersistenceError>(
            diesel::update(
                o::table
                    .filter(o::batch.eq(batch))
                    .filter(o::status.eq(OutboxStatus::Sending.as_str())),
            )
            .set((
                o::status.eq(OutboxStatus::Sent.as_str()),
                o::sent_at.eq(now),
                o::claimed_by.eq(None::<String>),
            ))
            .execute(conn)?,
        )
    })
}

/// Whether any message was ever put in `batch`.
pub fn batch_exists(conn: &mut DbConnection, batch: &str) -> Result<bool, PersistenceError> {
    Ok(
        diesel::select(diesel::dsl::exists(o::table.filter(o::batch.eq(batch))))
            .get_result(conn)?,
    )
}

/// The contacts of filings, by filing id (for the worker, at delivery time: an address
/// corrected meanwhile is the one used, and the outbox holds no address). A contact
/// that does not parse is reported.
fn contacts(
    conn: &mut DbConnection,
    filings: &[&str],
) -> Result<HashMap<String, (Contact, String)>, PersistenceError> {
    use crate::schema::filings as f;
    let rows: Vec<(String, String, String)> = f::table
        .filter(f::id.eq_any(filings.iter().copied()))
        .select((f::id, f::contact, f::country))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, contact, country)| {
            let parsed: Contact =
                serde_json::from_str(&contact).map_err(|e| PersistenceError::CorruptRow {
                    table: "filings",
                    id: id.clone(),
                    field: "contact",
                    cause: e.to_string(),
                })?;
            Ok((id, (parsed, country)))
        })
        .collect()
}

/// The e-mail addresses of filings that have one, by filing id.
pub fn email_addresses(
    conn: &mut DbConnection,
    filings: &[&str],
) -> Result<HashMap<String, String>, PersistenceError> {
    Ok(contacts(conn, filings)?
        .into_iter()
        .filter_map(|(id, (contact, _))| contact.email.map(|e| (id, e)))
        .collect())
}

/// The postal addresses of filings that have one, with the filing's country code, by
/// filing id.
pub fn postal_addresses(
    conn: &mut DbConnection,
    filings: &[&str],
) -> Result<HashMap<String, (String, String)>, PersistenceError> {
    Ok(contacts(conn, filings)?
        .into_iter()
        .filter_map(|(id, (contact, country))| contact.postal_address.map(|a| (id, (a, country))))
        .collect())
}

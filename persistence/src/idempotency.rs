//! The idempotency-key store: caller, key, request fingerprint, stored response, expiry.
//! The rules (what a stored key means for a new request) are in `domain::idempotency`.

use crate::db::DbConnection;
use crate::error::PersistenceError;
use crate::schema::idempotency_keys::dsl as k;
use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use domain::idempotency::{classify, KeyState, StoredKey, KEY_LIFETIME};

/// A response kept for replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    /// Headers to replay (`Location`, `ETag`, `Content-Type`, ...).
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// The result of claiming a key for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is ours: run the request, then `complete` (or `release` on failure).
    Claimed,
    /// A previous request with the same key and body finished: replay this.
    Replay(StoredResponse),
    /// Another request with this key is running now.
    InProgress,
    /// The key was used with a different request.
    FingerprintMismatch,
}

#[derive(Insertable)]
#[diesel(table_name = crate::schema::idempotency_keys)]
struct NewIdempotencyKey<'a> {
    caller: &'a str,
    idempotency_key: &'a str,
    request_fingerprint: &'a str,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = crate::schema::idempotency_keys)]
struct IdempotencyKeyRow {
    request_fingerprint: String,
    response_status: Option<i32>,
    response_headers: Option<String>,
    response_body: Option<String>,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
}

/// Timestamps are stored as UTC, truncated to microseconds (PostgreSQL's precision).
pub(crate) fn to_db_time(t: DateTime<Utc>) -> NaiveDateTime {
    let naive = t.naive_utc();
    let micros = naive.and_utc().timestamp_subsec_micros();
    naive.with_nanosecond(micros * 1_000).unwrap_or(naive)
}

pub(crate) fn from_db_time(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// Claims `key` for `caller` and a request with `fingerprint`. Safe under concurrency:
/// of two simultaneous claims, exactly one gets `Claimed`.
pub fn claim(
    conn: &mut DbConnection,
    caller: &str,
    key: &str,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> Result<Claim, PersistenceError> {
    // Two rounds at most: the second after removing an expired or abandoned claim.
    for _ in 0..2 {
        let new = NewIdempotencyKey {
            caller,
            idempotency_key: key,
            request_fingerprint: fingerprint,
            created_at: to_db_time(now),
            expires_at: to_db_time(now + KEY_LIFETIME),
        };
        // A savepoint inside a transaction, so that the unique violation does not
        // abort an enclosing PostgreSQL transaction.
        let inserted = conn.transaction(|c| {
            diesel::insert_into(k::idempotency_keys)
                .values(&new)
                .execute(c)
        });
        match inserted {
            Ok(_) => return Ok(Claim::Claimed),
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {}
            Err(e) => return Err(e.into()),
        }
        let Some(row) = find(conn, caller, key)? else {
            continue; // removed meanwhile: try again
        };
        let stored_at = row.created_at;
        let stored = StoredKey {
            fingerprint: row.request_fingerprint,
            response: match (row.response_status, row.response_body) {
                (Some(status), Some(body)) => Some(StoredResponse {
                    status: u16::try_from(status).unwrap_or(500),
                    headers: match row.response_headers {
                        Some(h) => serde_json::from_str(&h)?,
                        None => Vec::new(),
                    },
                    body,
                }),
                _ => None,
            },
            created_at: from_db_time(row.created_at),
            expires_at: from_db_time(row.expires_at),
        };
        match classify(stored, fingerprint, now) {
            KeyState::Completed(response) => return Ok(Claim::Replay(response)),
            KeyState::InProgress => return Ok(Claim::InProgress),
            KeyState::FingerprintMismatch => return Ok(Claim::FingerprintMismatch),
            KeyState::Reclaimable => {
                // Only the row we looked at: a concurrent reclaimer may have replaced it.
                diesel::delete(
                    k::idempotency_keys
                        .filter(k::caller.eq(caller))
                        .filter(k::idempotency_key.eq(key))
                        .filter(k::created_at.eq(stored_at)),
                )
                .execute(conn)?;
            }
        }
    }
    Ok(Claim::InProgress)
}

fn find(
    conn: &mut DbConnection,
    caller: &str,
    key: &str,
) -> Result<Option<IdempotencyKeyRow>, PersistenceError> {
    Ok(k::idempotency_keys
        .filter(k::caller.eq(caller))
        .filter(k::idempotency_key.eq(key))
        .select(IdempotencyKeyRow::as_select())
        .first(conn)
        .optional()?)
}

/// Stores the response of a claimed key, for replay to retries.
pub fn complete(
    conn: &mut DbConnection,
    caller: &str,
    key: &str,
    response: &StoredResponse,
) -> Result<(), PersistenceError> {
    let headers = serde_json::to_string(&response.headers)?;
    diesel::update(
        k::idempotency_keys
            .filter(k::caller.eq(caller))
            .filter(k::idempotency_key.eq(key)),
    )
    .set((
        k::response_status.eq(Some(i32::from(response.status))),
        k::response_headers.eq(Some(headers)),
        k::response_body.eq(Some(&response.body)),
    ))
    .execute(conn)?;
    Ok(())
}

/// Forgets a claimed key whose request failed before changing anything, so that the
/// client may retry with it.
pub fn release(conn: &mut DbConnection, caller: &str, key: &str) -> Result<(), PersistenceError> {
    diesel::delete(
        k::idempotency_keys
            .filter(k::caller.eq(caller))
            .filter(k::idempotency_key.eq(key))
            .filter(k::response_status.is_null()),
    )
    .execute(conn)?;
    Ok(())
}

/// Deletes expired keys; returns how many.
pub fn purge_expired(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
) -> Result<usize, PersistenceError> {
    Ok(
        diesel::delete(k::idempotency_keys.filter(k::expires_at.le(to_db_time(now))))
            .execute(conn)?,
    )
}

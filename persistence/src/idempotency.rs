//! The idempotency-key store: caller, key, request fingerprint, stored response, expiry.
//! The rules (what a stored key means for a new request) are in `domain::idempotency`.

use crate::db::DbConnection;
use crate::error::PersistenceError;
use crate::schema::idempotency_keys::dsl as k;
use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use diesel::prelude::*;
use domain::idempotency::{classify, KeyState, StoredKey, KEY_LIFETIME};

/// A response kept for replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    /// Headers to replay (`Location`, `ETag`, `Content-Type`, ...).
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// What a request carrying a key must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is free: run the request, and `record` its response in the same
    /// transaction as its writes.
    Claimed,
    /// A previous request with the same key and body finished: replay this.
    Replay(StoredResponse),
    /// Another request with this key is running now (its transaction holds the key).
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
    response_status: i32,
    response_headers: String,
    response_body: &'a str,
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

/// Reads what `key` means for a request with `fingerprint`, without taking it: the cheap
/// check made before a request does any work, so that a retry is answered from the store.
pub fn lookup(
    conn: &mut DbConnection,
    caller: &str,
    key: &str,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> Result<Claim, PersistenceError> {
    Ok(match stored_state(conn, caller, key, fingerprint, now)? {
        None | Some(KeyState::Reclaimable) => Claim::Claimed,
        Some(KeyState::Completed(response)) => Claim::Replay(response),
        Some(KeyState::InProgress) => Claim::InProgress,
        Some(KeyState::FingerprintMismatch) => Claim::FingerprintMismatch,
    })
}

/// The stored key's state for this request, or `None` when no key is stored.
fn stored_state(
    conn: &mut DbConnection,
    caller: &str,
    key: &str,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> Result<Option<KeyState<StoredResponse>>, PersistenceError> {
    let Some(row) = find(conn, caller, key)? else {
        return Ok(None);
    };
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
    Ok(Some(classify(stored, fingerprint, now)))
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

/// The advisory-lock namespace of idempotency keys (the two-int form, a key space of
/// its own, apart from the audit chain's single-bigint lock).
const LOCK_NAMESPACE: i32 = 0x1de7;

/// Takes `key` for the current write transaction, which must be open. Call it first in
/// the transaction of the request's writes, then `record` the response last: the key and
/// the work it protects commit together or not at all, in a single commit.
///
/// Of two transactions with the same key, the second sees `InProgress` on PostgreSQL (a
/// transaction-scoped advisory lock, tried without waiting) and waits for the first on
/// SQLite (whose write transactions are serial), then sees its response: `Replay`.
pub fn begin(
    conn: &mut DbConnection,
    caller: &str,
    key: &str,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> Result<Claim, PersistenceError> {
    if let DbConnection::Postgresql(pg) = conn {
        #[derive(QueryableByName)]
        struct Locked {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            locked: bool,
        }
        let lock: Locked =
            diesel::sql_query("SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS locked")
                .bind::<diesel::sql_types::Integer, _>(LOCK_NAMESPACE)
                .bind::<diesel::sql_types::Text, _>(format!("{caller}\u{1f}{key}"))
                .get_result(pg)?;
        if !lock.locked {
            return Ok(Claim::InProgress);
        }
    }
    Ok(match stored_state(conn, caller, key, fingerprint, now)? {
        None => Claim::Claimed,
        Some(KeyState::Reclaimable) => {
            // An expired key (or one left unanswered by an older version) is forgotten.
            diesel::delete(
                k::idempotency_keys
                    .filter(k::caller.eq(caller))
                    .filter(k::idempotency_key.eq(key)),
            )
            .execute(conn)?;
            Claim::Claimed
        }
        Some(KeyState::Completed(response)) => Claim::Replay(response),
        Some(KeyState::InProgress) => Claim::InProgress,
        Some(KeyState::FingerprintMismatch) => Claim::FingerprintMismatch,
    })
}

/// Stores the response of a request that `begin` claimed, in the same transaction.
pub fn record(
    conn: &mut DbConnection,
    caller: &str,
    key: &str,
    fingerprint: &str,
    response: &StoredResponse,
    now: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    let headers = serde_json::to_string(&response.headers)?;
    diesel::insert_into(k::idempotency_keys)
        .values(NewIdempotencyKey {
            caller,
            idempotency_key: key,
            request_fingerprint: fingerprint,
            created_at: to_db_time(now),
            expires_at: to_db_time(now + KEY_LIFETIME),
            response_status: i32::from(response.status),
            response_headers: headers,
            response_body: &response.body,
        })
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

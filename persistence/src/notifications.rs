//! The citizen's in-app notification feed (`notifications`): written in the transaction
//! of the status change that causes it ([`append`], called by `filings::save_state`),
//! read newest first with a cursor, or oldest first after an event id for the live
//! stream, and marked read.
//!
//! Ordering: each citizen's notifications carry `seq`, 1, 2, 3..., taken under a lock on
//! the citizen that is held until the commit (PostgreSQL: a transaction-scoped advisory
//! lock; SQLite: write transactions are serial). So a citizen's `seq`s become visible in
//! increasing order, and a reader who saw `seq = n` never misses a later commit with a
//! smaller one: `seq` is a stable cursor and a resumable event id.

use crate::db::DbConnection;
use crate::error::PersistenceError;
use crate::idempotency::{from_db_time, to_db_time};
use crate::schema::notifications as t;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use domain::notices::{Notice, NoticeEvent, NoticePayload};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = t)]
struct Row {
    id: String,
    #[allow(dead_code)]
    owner_id: String,
    seq: i64,
    filing_id: String,
    event: String,
    payload: String,
    created_at: NaiveDateTime,
    read_at: Option<NaiveDateTime>,
}

/// A notification as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredNotice {
    pub id: String,
    /// The position in the citizen's feed (cursor and stream event id).
    pub seq: i64,
    pub filing_id: String,
    pub event: NoticeEvent,
    pub payload: NoticePayload,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

impl TryFrom<Row> for StoredNotice {
    type Error = PersistenceError;

    fn try_from(row: Row) -> Result<Self, Self::Error> {
        let corrupt = |field: &'static str, cause: String| PersistenceError::CorruptRow {
            table: "notifications",
            id: row.id.clone(),
            field,
            cause,
        };
        Ok(StoredNotice {
            event: row
                .event
                .parse()
                .map_err(|e: domain::UnknownCode| corrupt("event", e.to_string()))?,
            payload: serde_json::from_str(&row.payload)
                .map_err(|e| corrupt("payload", e.to_string()))?,
            id: row.id,
            seq: row.seq,
            filing_id: row.filing_id,
            created_at: from_db_time(row.created_at),
            read_at: row.read_at.map(from_db_time),
        })
    }
}

fn typed(rows: Vec<Row>) -> Result<Vec<StoredNotice>, PersistenceError> {
    rows.into_iter().map(StoredNotice::try_from).collect()
}

/// Serialises the writers of one citizen's feed until the commit (see the module's
/// documentation). Always taken after `filings::lock_owner` when both are.
fn lock_feed(conn: &mut DbConnection, owner: &str) -> Result<(), PersistenceError> {
    if let DbConnection::Postgresql(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 15))")
            .bind::<diesel::sql_types::Text, _>(format!("feed:{owner}"))
            .execute(pg)?;
    }
    Ok(())
}

/// Appends a notification to its owner's feed, inside the caller's write transaction:
/// under the feed's lock, one statement numbers and inserts it (`INSERT … SELECT
/// max(seq) + 1`, whose snapshot is taken after the lock, so it sees every earlier
/// notification of the owner). Returns its `seq`.
pub fn append(conn: &mut DbConnection, notice: &Notice) -> Result<i64, PersistenceError> {
    use diesel::sql_types::{BigInt, Text, Timestamp};
    #[derive(QueryableByName)]
    struct Appended {
        #[diesel(sql_type = BigInt)]
        seq: i64,
    }
    lock_feed(conn, &notice.owner)?;
    let payload = serde_json::to_string(&notice.payload)?;
    let id = uuid::Uuid::new_v4().to_string();
    // $2, the owner, is used twice.
    let query = crate::db::sql_query(
        conn,
        "INSERT INTO notifications (id, owner_id, seq, filing_id, event, payload, created_at) \
         SELECT $1, $2, COALESCE(MAX(seq), 0) + 1, $3, $4, $5, $6 \
         FROM notifications WHERE owner_id = $2 RETURNING seq",
    )
    .bind::<Text, _>(&id)
    .bind::<Text, _>(&notice.owner)
    .bind::<Text, _>(&notice.filing_id)
    .bind::<Text, _>(notice.event.as_str())
    .bind::<Text, _>(&payload)
    .bind::<Timestamp, _>(to_db_time(notice.at));
    let appended: Appended = crate::on_backend!(conn, query, get_result)?;
    Ok(appended.seq)
}

/// The `seq` of the citizen's newest notification (0 when they have none).
pub fn latest_seq(conn: &mut DbConnection, owner: &str) -> Result<i64, PersistenceError> {
    let max: Option<i64> = t::table
        .filter(t::owner_id.eq(owner))
        .select(diesel::dsl::max(t::seq))
        .first(conn)?;
    Ok(max.unwrap_or(0))
}

/// Filters of a page of the feed.
#[derive(Debug, Clone, Default)]
pub struct FeedQuery {
    pub unread_only: bool,
    pub filing: Option<String>,
    /// Cursor: only notifications older than this `seq`.
    pub before: Option<i64>,
}

/// A page of the citizen's feed, newest first.
pub fn list(
    conn: &mut DbConnection,
    owner: &str,
    query: &FeedQuery,
    limit: i64,
) -> Result<Vec<StoredNotice>, PersistenceError> {
    let mut q = t::table.filter(t::owner_id.eq(owner)).into_boxed();
    if query.unread_only {
        q = q.filter(t::read_at.is_null());
    }
    if let Some(filing) = &query.filing {
        q = q.filter(t::filing_id.eq(filing.clone()));
    }
    if let Some(before) = query.before {
        q = q.filter(t::seq.lt(before));
    }
    typed(
        q.order(t::seq.desc())
            .limit(limit)
            .select(Row::as_select())
            .load(conn)?,
    )
}

/// The citizen's notifications after `seq`, oldest first (the live stream).
pub fn after(
    conn: &mut DbConnection,
    owner: &str,
    seq: i64,
    limit: i64,
) -> Result<Vec<StoredNotice>, PersistenceError> {
    typed(
        t::table
            .filter(t::owner_id.eq(owner))
            .filter(t::seq.gt(seq))
            .order(t::seq.asc())
            .limit(limit)
            .select(Row::as_select())
            .load(conn)?,
    )
}

/// How many of the citizen's notifications are unread (of one filing, when given).
pub fn unread_count(
    conn: &mut DbConnection,
    owner: &str,
    filing: Option<&str>,
) -> Result<i64, PersistenceError> {
    let mut q = t::table
        .filter(t::owner_id.eq(owner))
        .filter(t::read_at.is_null())
        .into_boxed();
    if let Some(filing) = filing {
        q = q.filter(t::filing_id.eq(filing.to_owned()));
    }
    Ok(q.count().get_result(conn)?)
}

/// The citizen's notification `id`; another citizen's is `None`, like a missing one.
pub fn find(
    conn: &mut DbConnection,
    owner: &str,
    id: &str,
) -> Result<Option<StoredNotice>, PersistenceError> {
    t::table
        .filter(t::id.eq(id))
        .filter(t::owner_id.eq(owner))
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(StoredNotice::try_from)
        .transpose()
}

/// Marks the citizen's notification `id` read at `at` (a notification already read keeps
/// its first reading time) and returns it; `None` when it is not theirs.
pub fn mark_read(
    conn: &mut DbConnection,
    owner: &str,
    id: &str,
    at: DateTime<Utc>,
) -> Result<Option<StoredNotice>, PersistenceError> {
    diesel::update(
        t::table
            .filter(t::id.eq(id))
            .filter(t::owner_id.eq(owner))
            .filter(t::read_at.is_null()),
    )
    .set(t::read_at.eq(to_db_time(at)))
    .execute(conn)?;
    find(conn, owner, id)
}

/// Marks the citizen's unread notifications read at `at`: all of them, or those of one
/// filing, up to `up_to` (a `seq`) when given, so that a client marks only what it has
/// shown. Returns how many were marked.
pub fn mark_all_read(
    conn: &mut DbConnection,
    owner: &str,
    filing: Option<&str>,
    up_to: Option<i64>,
    at: DateTime<Utc>,
) -> Result<usize, PersistenceError> {
    let mut target = t::table
        .filter(t::owner_id.eq(owner))
        .filter(t::read_at.is_null())
        .into_boxed();
    if let Some(filing) = filing {
        target = target.filter(t::filing_id.eq(filing.to_owned()));
    }
    if let Some(up_to) = up_to {
        target = target.filter(t::seq.le(up_to));
    }
    // Boxed queries cannot be updated: select the ids, then update them.
    let ids: Vec<String> = target.select(t::id).load(conn)?;
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(diesel::update(t::table.filter(t::id.eq_any(&ids)))
        .set(t::read_at.eq(to_db_time(at)))
        .execute(conn)?)
}

//! Request counters for the rate limits (issue 16), in the database so that every
//! instance of the service counts against the same quota: one row per key
//! (`partner:<id>`, `citizen:<subject>`) and fixed window (its start). A hit is one
//! atomic upsert that answers the new count; the first hit of a window deletes the key's
//! older windows, so the table holds about one row per active key.

use crate::db::DbConnection;
use crate::error::PersistenceError;
use crate::idempotency::to_db_time;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

/// Counts one request of `key` in the window starting at `window_start`; the number of
/// requests of the window so far, this one included.
pub fn hit(
    conn: &mut DbConnection,
    key: &str,
    window_start: DateTime<Utc>,
) -> Result<i64, PersistenceError> {
    let start = to_db_time(window_start);
    let query = crate::db::sql_query(
        conn,
        "INSERT INTO rate_counters (key, window_start, count) VALUES ($1, $2, 1) \
         ON CONFLICT (key, window_start) DO UPDATE SET count = rate_counters.count + 1 \
         RETURNING count",
    )
    .bind::<Text, _>(key)
    .bind::<Timestamp, _>(start);
    let count = crate::on_backend!(conn, query, get_result::<Count>)?.count;
    if count == 1 {
        use crate::schema::rate_counters as r;
        diesel::delete(
            r::table
                .filter(r::key.eq(key))
                .filter(r::window_start.lt(start)),
        )
        .execute(conn)?;
    }
    Ok(count)
}

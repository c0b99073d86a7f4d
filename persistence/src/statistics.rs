//! The counts behind the open statistics (docs/STATISTICS.md): filings submitted in
//! `[from, until)`, by procedure, country, unit and month of submission (UTC), with how
//! many of them were registered, rejected or redirected (from their history). Erased
//! filings count too: their tombstone keeps what is counted. One grouped query, served by
//! the index `filings_statistics_idx (submitted_at)`.

use crate::db::DbConnection;
use crate::error::PersistenceError;
use crate::idempotency::to_db_time;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};
use domain::statistics::BaseRow;

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = Text)]
    procedure: String,
    #[diesel(sql_type = Text)]
    country: String,
    #[diesel(sql_type = Text)]
    unit: String,
    #[diesel(sql_type = Text)]
    month: String,
    #[diesel(sql_type = BigInt)]
    submitted: i64,
    #[diesel(sql_type = BigInt)]
    registered: i64,
    #[diesel(sql_type = BigInt)]
    rejected: i64,
    #[diesel(sql_type = BigInt)]
    redirected: i64,
}

fn sql(month: &str, from: &str, until: &str) -> String {
    let reached = |status: &str| {
        format!(
            "CAST(COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM filing_history h \
             WHERE h.filing_id = f.id AND h.to_status = '{status}') THEN 1 ELSE 0 END), 0) AS BIGINT)"
        )
    };
    format!(
        "SELECT f.procedure_code AS procedure, f.country AS country, \
         COALESCE(f.unit_id, '') AS unit, {month} AS month, \
         CAST(COUNT(*) AS BIGINT) AS submitted, {} AS registered, {} AS rejected, \
         {} AS redirected \
         FROM filings f \
         WHERE f.submitted_at IS NOT NULL AND f.submitted_at >= {from} AND f.submitted_at < {until} \
         GROUP BY f.procedure_code, f.country, COALESCE(f.unit_id, ''), {month}",
        reached("registered"),
        reached("rejected"),
        reached("redirected"),
    )
}

/// The counts of filings submitted in `[from, until)`, at the finest grain.
pub fn base_rows(
    conn: &mut DbConnection,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<BaseRow>, PersistenceError> {
    let (from, until) = (to_db_time(from), to_db_time(until));
    let rows: Vec<Counted> = match conn {
        DbConnection::Postgresql(pg) => {
            diesel::sql_query(sql("to_char(f.submitted_at, 'YYYY-MM')", "$1", "$2"))
                .bind::<Timestamp, _>(from)
                .bind::<Timestamp, _>(until)
                .load(pg)?
        }
        DbConnection::Sqlite(sqlite) => {
            diesel::sql_query(sql("strftime('%Y-%m', f.submitted_at)", "?1", "?2"))
                .bind::<Timestamp, _>(from)
                .bind::<Timestamp, _>(until)
                .load(sqlite)?
        }
    };
    Ok(rows
        .into_iter()
        .map(|r| BaseRow {
            procedure: r.procedure,
            country: r.country,
            unit: r.unit,
            month: r.month,
            counts: [r.submitted, r.registered, r.rejected, r.redirected]
                .map(|n| u64::try_from(n).unwrap_or(0)),
        })
        .collect())
}

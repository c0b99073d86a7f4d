//! Restriction instead of erasure (EU Directive 2016/680, Art. 16(3); docs/ACCESS.md): a
//! filing an officer of its unit marks as needed as evidence, with a reason and a review
//! date (a row of `filing_restrictions`). The retention job keeps it; the unit's queue
//! and the officers' actions leave it aside until the restriction is lifted (the row
//! deleted).

use crate::db::DbConnection;
use crate::error::PersistenceError;
use crate::idempotency::{from_db_time, to_db_time};
use crate::schema::{filing_restrictions as r, filings as f};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

/// A filing's restriction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restriction {
    pub filing_id: String,
    pub reference: Option<String>,
    pub procedure: String,
    pub status: String,
    pub at: DateTime<Utc>,
    /// The officer who restricted it.
    pub by: String,
    pub reason: String,
    /// When it is to be reviewed.
    pub review: DateTime<Utc>,
}

type Row = (
    String,
    Option<String>,
    String,
    String,
    NaiveDateTime,
    String,
    String,
    NaiveDateTime,
);

fn typed(row: Row) -> Restriction {
    let (filing_id, reference, procedure, status, at, by, reason, review) = row;
    Restriction {
        filing_id,
        reference,
        procedure,
        status,
        at: from_db_time(at),
        by,
        reason,
        review: from_db_time(review),
    }
}

macro_rules! columns {
    () => {
        (
            r::filing_id,
            f::reference,
            f::procedure_code,
            f::status,
            r::restricted_at,
            r::restricted_by,
            r::reason,
            r::review_on,
        )
    };
}

/// The restriction of filing `id`, if it has one.
pub fn of(conn: &mut DbConnection, id: &str) -> Result<Option<Restriction>, PersistenceError> {
    let row: Option<Row> = r::table
        .inner_join(f::table)
        .filter(r::filing_id.eq(id))
        .select(columns!())
        .first(conn)
        .optional()?;
    Ok(row.map(typed))
}

/// Restricts filing `r.filing_id` (a new restriction replaces the previous one).
pub fn set(conn: &mut DbConnection, restriction: &Restriction) -> Result<(), PersistenceError> {
    diesel::delete(r::table.filter(r::filing_id.eq(&restriction.filing_id))).execute(conn)?;
    diesel::insert_into(r::table)
        .values((
            r::filing_id.eq(&restriction.filing_id),
            r::restricted_at.eq(to_db_time(restriction.at)),
            r::restricted_by.eq(&restriction.by),
            r::reason.eq(&restriction.reason),
            r::review_on.eq(to_db_time(restriction.review)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Lifts the restriction of filing `id`; `false` when it had none.
pub fn lift(conn: &mut DbConnection, id: &str) -> Result<bool, PersistenceError> {
    Ok(diesel::delete(r::table.filter(r::filing_id.eq(id))).execute(conn)? == 1)
}

/// The restricted filings of `unit`, by review date (the evidence listing).
pub fn of_unit(
    conn: &mut DbConnection,
    unit: &str,
    limit: i64,
) -> Result<Vec<Restriction>, PersistenceError> {
    let rows: Vec<Row> = r::table
        .inner_join(f::table)
        .filter(f::unit_id.eq(unit))
        .filter(f::erased_at.is_null())
        .order((r::review_on.asc(), r::filing_id.asc()))
        .limit(limit)
        .select(columns!())
        .load(conn)?;
    Ok(rows.into_iter().map(typed).collect())
}

/// Whether filing `id` is restricted, and until which review date.
pub fn review_of(
    conn: &mut DbConnection,
    id: &str,
) -> Result<Option<DateTime<Utc>>, PersistenceError> {
    let review: Option<NaiveDateTime> = r::table
        .filter(r::filing_id.eq(id))
        .select(r::review_on)
        .first(conn)
        .optional()?;
    Ok(review.map(from_db_time))
}

/// Whether filing `id` is restricted.
pub fn is_restricted(conn: &mut DbConnection, id: &str) -> Result<bool, PersistenceError> {
    Ok(review_of(conn, id)?.is_some())
}

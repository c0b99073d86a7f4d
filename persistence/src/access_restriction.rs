//! Restriction of the right of access (EU Directive 2016/680, Art. 15(1); docs/ACCESS.md):
//! a filing that an officer of its unit withholds from its author's export, where access
//! would obstruct an inquiry, with a reason and a review date (a row of
//! `filing_access_restrictions`). Lifting it deletes the row.

use crate::db::DbConnection;
use crate::error::PersistenceError;
use crate::idempotency::{from_db_time, to_db_time};
use crate::schema::filing_access_restrictions as r;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

/// A filing's access restriction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRestriction {
    pub filing_id: String,
    pub at: DateTime<Utc>,
    /// The officer who decided it.
    pub by: String,
    pub reason: String,
    /// When it is to be reviewed.
    pub review: DateTime<Utc>,
}

/// The access restriction of filing `id`, if it has one.
pub fn of(
    conn: &mut DbConnection,
    id: &str,
) -> Result<Option<AccessRestriction>, PersistenceError> {
    let row: Option<(String, NaiveDateTime, String, String, NaiveDateTime)> = r::table
        .filter(r::filing_id.eq(id))
        .select((
            r::filing_id,
            r::restricted_at,
            r::restricted_by,
            r::reason,
            r::review_on,
        ))
        .first(conn)
        .optional()?;
    Ok(
        row.map(|(filing_id, at, by, reason, review)| AccessRestriction {
            filing_id,
            at: from_db_time(at),
            by,
            reason,
            review: from_db_time(review),
        }),
    )
}

/// Restricts access to filing `a.filing_id` (a new decision replaces the previous one).
pub fn set(conn: &mut DbConnection, a: &AccessRestriction) -> Result<(), PersistenceError> {
    diesel::delete(r::table.filter(r::filing_id.eq(&a.filing_id))).execute(conn)?;
    diesel::insert_into(r::table)
        .values((
            r::filing_id.eq(&a.filing_id),
            r::restricted_at.eq(to_db_time(a.at)),
            r::restricted_by.eq(&a.by),
            r::reason.eq(&a.reason),
            r::review_on.eq(to_db_time(a.review)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Lifts the access restriction of filing `id`; `false` when it had none.
pub fn lift(conn: &mut DbConnection, id: &str) -> Result<bool, PersistenceError> {
    Ok(diesel::delete(r::table.filter(r::filing_id.eq(id))).execute(conn)? == 1)
}

/// Which of `ids` are withheld from their author's export.
pub fn withheld_among(
    conn: &mut DbConnection,
    ids: &[String],
) -> Result<Vec<String>, PersistenceError> {
    let mut withheld = Vec::new();
    for chunk in ids.chunks(500) {
        withheld.extend(
            r::table
                .filter(r::filing_id.eq_any(chunk))
                .select(r::filing_id)
                .load::<String>(conn)?,
        );
    }
    Ok(withheld)
}

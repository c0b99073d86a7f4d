//! The complainants' sealed identities (`filing_identities`): one per filing, replaced
//! when captured again. Rows hold the sealed envelope only ([`crate::sealing`]); sealing
//! and opening are the caller's, with the service's keyring.

use crate::db::DbConnection;
use crate::error::PersistenceError;
use crate::idempotency::{from_db_time, to_db_time};
use crate::schema::filing_identities as i;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// A sealed identity as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedIdentity {
    pub filing_id: String,
    /// The key the envelope names.
    pub key_id: String,
    /// The envelope (`ecs1.<key>.<data>`).
    pub sealed: String,
    pub captured_at: DateTime<Utc>,
}

/// The context a filing's identity is sealed for (the associated data): a sealed value
/// copied to another filing does not open.
pub fn context(filing_id: &str) -> String {
    format!("filing_identity:{filing_id}")
}

/// Stores (or replaces) the sealed identity of a filing, inside the caller's transaction.
pub fn store(conn: &mut DbConnection, identity: &SealedIdentity) -> Result<(), PersistenceError> {
    use diesel::sql_types::{Text, Timestamp};
    // One statement: an upsert on the primary key (both backends have `ON CONFLICT`).
    let query = crate::db::sql_query(
        conn,
        "INSERT INTO filing_identities (filing_id, key_id, sealed, captured_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (filing_id) DO UPDATE SET \
         key_id = excluded.key_id, sealed = excluded.sealed, \
         captured_at = excluded.captured_at",
    )
    .bind::<Text, _>(&identity.filing_id)
    .bind::<Text, _>(&identity.key_id)
    .bind::<Text, _>(&identity.sealed)
    .bind::<Timestamp, _>(to_db_time(identity.captured_at));
    crate::on_backend!(conn, query, execute)?;
    Ok(())
}

/// The sealed identity of a filing, if one was captured.
pub fn find(
    conn: &mut DbConnection,
    filing_id: &str,
) -> Result<Option<SealedIdentity>, PersistenceError> {
    let row: Option<(String, String, String, chrono::NaiveDateTime)> = i::table
        .filter(i::filing_id.eq(filing_id))
        .select((i::filing_id, i::key_id, i::sealed, i::captured_at))
        .first(conn)
        .optional()?;
    Ok(row.map(|(filing_id, key_id, sealed, at)| SealedIdentity {
        filing_id,
        key_id,
        sealed,
        captured_at: from_db_time(at),
    }))
}

/// How many identities each key seals (to see when a retired key can be dropped).
pub fn count_by_key(conn: &mut DbConnection) -> Result<Vec<(String, i64)>, PersistenceError> {
    Ok(i::table
        .group_by(i::key_id)
        .select((i::key_id, diesel::dsl::count_star()))
        .order(i::key_id.asc())
        .load(conn)?)
}

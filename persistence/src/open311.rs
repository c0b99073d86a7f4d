//! Open311 (issue 22, `docs/OPEN311.md`): the partners' API keys (their SHA-256 only)
//! and the requests made through Open311, with the public listing's query.

use crate::db::DbConnection;
use crate::error::PersistenceError;
use crate::idempotency::{from_db_time, to_db_time};
use crate::schema::{filings as f, open311_requests as r, partner_open311_keys as k};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use domain::filing::FilingStatus;

/// Gives the partner `partner_id` the key whose SHA-256 (hex) is `key_hash`, replacing
/// its previous key.
///
/// # Errors
/// The database (a partner that does not exist: a foreign key violation).
pub fn set_key(
    conn: &mut DbConnection,
    partner_id: &str,
    key_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    diesel::delete(k::table.filter(k::partner_id.eq(partner_id))).execute(conn)?;
    diesel::insert_into(k::table)
        .values((
            k::key_hash.eq(key_hash),
            k::partner_id.eq(partner_id),
            k::created_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The partner whose key hashes to `key_hash`, if any.
///
/// # Errors
/// The database.
pub fn partner_of_key(
    conn: &mut DbConnection,
    key_hash: &str,
) -> Result<Option<String>, PersistenceError> {
    Ok(k::table
        .find(key_hash)
        .select(k::partner_id)
        .first(conn)
        .optional()?)
}

/// A request made through Open311, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRequest {
    pub filing_id: String,
    pub service_request_id: String,
    pub token: String,
    pub partner_id: String,
    pub service_code: String,
    pub requested_at: DateTime<Utc>,
    /// The published location: the centre of the request's grid cell.
    pub coarse: (f64, f64),
}

/// Records a request, in the transaction of its filing.
///
/// # Errors
/// The database.
pub fn insert(conn: &mut DbConnection, request: &NewRequest) -> Result<(), PersistenceError> {
    diesel::insert_into(r::table)
        .values((
            r::filing_id.eq(&request.filing_id),
            r::service_request_id.eq(&request.service_request_id),
            r::token.eq(&request.token),
            r::partner_id.eq(&request.partner_id),
            r::service_code.eq(&request.service_code),
            r::requested_at.eq(to_db_time(request.requested_at)),
            r::coarse_lat.eq(request.coarse.0),
            r::coarse_lon.eq(request.coarse.1),
        ))
        .execute(conn)?;
    Ok(())
}

/// A request as the public listing shows it: nothing personal.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicRequest {
    pub service_request_id: String,
    pub service_code: String,
    pub status: FilingStatus,
    pub requested_at: DateTime<Utc>,
    pub coarse: (f64, f64),
}

/// What a listing asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// These requests only (then the window does not apply).
    pub ids: Vec<String>,
    /// These service codes only (empty: all).
    pub service_codes: Vec<String>,
    /// These statuses only (empty: all).
    pub statuses: Vec<FilingStatus>,
    /// Requested in this window (inclusive), unless `ids` are named.
    pub window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// At most this many, the newest first.
    pub limit: i64,
}

type Row = (String, String, String, chrono::NaiveDateTime, f64, f64);

/// The requests matching `filter`, newest first. Filings erased by retention are left
/// out.
///
/// # Errors
/// The database; a stored status the domain does not know.
pub fn list(
    conn: &mut DbConnection,
    filter: &Filter,
) -> Result<Vec<PublicRequest>, PersistenceError> {
    let mut query = r::table
        .inner_join(f::table)
        .filter(f::erased_at.is_null())
        .select((
            r::service_request_id,
            r::service_code,
            f::status,
            r::requested_at,
            r::coarse_lat,
            r::coarse_lon,
        ))
        .order((r::requested_at.desc(), r::service_request_id.desc()))
        .limit(filter.limit)
        .into_boxed();
    if !filter.ids.is_empty() {
        query = query.filter(r::service_request_id.eq_any(&filter.ids));
    } else if let Some((from, to)) = filter.window {
        query = query
            .filter(r::requested_at.ge(to_db_time(from)))
            .filter(r::requested_at.le(to_db_time(to)));
    }
    if !filter.service_codes.is_empty() {
        query = query.filter(r::service_code.eq_any(&filter.service_codes));
    }
    if !filter.statuses.is_empty() {
        let codes: Vec<&str> = filter.statuses.iter().map(|s| s.as_str()).collect();
        query = query.filter(f::status.eq_any(codes));
    }
    let rows: Vec<Row> = query.load(conn)?;
    rows.into_iter()
        .map(|(id, code, status, at, lat, lon)| {
            Ok(PublicRequest {
                service_request_id: id,
                service_code: code,
                status: status.parse()?,
                requested_at: from_db_time(at),
                coarse: (lat, lon),
            })
        })
        .collect()
}

/// The request id a token stands for, if any (an erased filing's too: the id alone says
/// nothing).
///
/// # Errors
/// The database.
pub fn by_token(conn: &mut DbConnection, token: &str) -> Result<Option<String>, PersistenceError> {
    Ok(r::table
        .filter(r::token.eq(token))
        .select(r::service_request_id)
        .first(conn)
        .optional()?)
}

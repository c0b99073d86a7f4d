//! The partner registry (`partners`, `partner_clients`): rows <-> `domain::partner::Partner`.
//! The webhook signing secrets are stored sealed (the caller seals and opens them with
//! the sealing keyring); this module never sees them in clear.

use crate::db::DbConnection;
use crate::error::PersistenceError;
use crate::idempotency::{from_db_time, to_db_time};
use crate::schema::{lost_property_offices as lpo, partner_clients as c, partners as p};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use domain::partner::{Partner, PartnerScope};

/// Why a registration was not written.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// A partner with this id exists.
    #[error("partner {0} exists")]
    IdTaken(String),
    /// This client id belongs to a partner already.
    #[error("client id {0} is registered")]
    ClientTaken(String),
    #[error(transparent)]
    Persistence(#[from] PersistenceError),
}

impl From<diesel::result::Error> for RegisterError {
    fn from(e: diesel::result::Error) -> Self {
        RegisterError::Persistence(e.into())
    }
}

/// A partner's signing secrets, sealed: the current one, and the previous one while it
/// still signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedSecrets {
    pub current: String,
    pub previous: Option<(String, DateTime<Utc>)>,
}

type Row = (
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    i64,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    NaiveDateTime,
    NaiveDateTime,
);

fn columns() -> (
    p::id,
    p::name,
    p::kind,
    p::unit_id,
    p::origins,
    p::scopes,
    p::quota_per_minute,
    p::secret_rotated_at,
    p::previous_secret_until,
    p::disabled_at,
    p::created_at,
    p::updated_at,
) {
    (
        p::id,
        p::name,
        p::kind,
        p::unit_id,
        p::origins,
        p::scopes,
        p::quota_per_minute,
        p::secret_rotated_at,
        p::previous_secret_until,
        p::disabled_at,
        p::created_at,
        p::updated_at,
    )
}

fn corrupt(id: &str, field: &'static str, cause: impl ToString) -> PersistenceError {
    PersistenceError::CorruptRow {
        table: "partners",
        id: id.to_owned(),
        field,
        cause: cause.to_string(),
    }
}

fn from_row(
    row: Row,
    client_ids: Vec<String>,
    municipality: Option<String>,
) -> Result<Partner, PersistenceError> {
    let (
        id,
        name,
        kind,
        unit,
        origins,
        scopes,
        quota,
        rotated,
        previous_until,
        disabled,
        created,
        updated,
    ) = row;
    let origins: Vec<String> =
        serde_json::from_str(&origins).map_err(|e| corrupt(&id, "origins", e))?;
    let scope_codes: Vec<String> =
        serde_json::from_str(&scopes).map_err(|e| corrupt(&id, "scopes", e))?;
    let scopes = scope_codes
        .iter()
        .map(|s| s.parse::<PartnerScope>())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Partner {
        kind: kind.parse()?,
        quota_per_minute: u32::try_from(quota).map_err(|e| corrupt(&id, "quota_per_minute", e))?,
        id,
        name,
        unit,
        municipality,
        client_ids,
        origins,
        scopes,
        disabled_at: disabled.map(from_db_time),
        secret_rotated_at: from_db_time(rotated),
        previous_secret_until: previous_until.map(from_db_time),
        created_at: from_db_time(created),
        updated_at: from_db_time(updated),
    })
}

/// A lost-property office's municipality.
fn municipality(
    conn: &mut DbConnection,
    partner: &str,
) -> Result<Option<String>, PersistenceError> {
    Ok(lpo::table
        .find(partner)
        .select(lpo::municipality_id)
        .first(conn)
        .optional()?)
}

fn client_ids(conn: &mut DbConnection, partner: &str) -> Result<Vec<String>, PersistenceError> {
    Ok(c::table
        .filter(c::partner_id.eq(partner))
        .order(c::client_id.asc())
        .select(c::client_id)
        .load(conn)?)
}

/// Registers `partner` with its sealed signing `secret`. Run it in a transaction: a
/// taken client id leaves the partner row written.
pub fn register(
    conn: &mut DbConnection,
    partner: &Partner,
    secret: &str,
) -> Result<(), RegisterError> {
    if exists(conn, &partner.id)? {
        return Err(RegisterError::IdTaken(partner.id.clone()));
    }
    for client in &partner.client_ids {
        let taken: Option<String> = c::table
            .find(client)
            .select(c::partner_id)
            .first(conn)
            .optional()?;
        if taken.is_some() {
            return Err(RegisterError::ClientTaken(client.clone()));
        }
    }
    let scopes: Vec<&str> = partner.scopes.iter().map(|s| s.as_str()).collect();
    let inserted = diesel::insert_into(p::table)
        .values((
            p::id.eq(&partner.id),
            p::name.eq(&partner.name),
            p::kind.eq(partner.kind.as_str()),
            p::unit_id.eq(partner.unit.as_deref()),
            p::origins.eq(serde_json::to_string(&partner.origins).map_err(PersistenceError::from)?),
            p::scopes.eq(serde_json::to_string(&scopes).map_err(PersistenceError::from)?),
            p::quota_per_minute.eq(i64::from(partner.quota_per_minute)),
            p::secret.eq(secret),
            p::secret_rotated_at.eq(to_db_time(partner.secret_rotated_at)),
            p::created_at.eq(to_db_time(partner.created_at)),
            p::updated_at.eq(to_db_time(partner.updated_at)),
        ))
        .execute(conn);
    match inserted {
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => return Err(RegisterError::IdTaken(partner.id.clone())),
        other => other?,
    };
    if let Some(municipality) = &partner.municipality {
        diesel::insert_into(lpo::table)
            .values((
                lpo::partner_id.eq(&partner.id),
                lpo::municipality_id.eq(municipality),
            ))
            .execute(conn)?;
    }
    for client in &partner.client_ids {
        let inserted = diesel::insert_into(c::table)
            .values((c::client_id.eq(client), c::partner_id.eq(&partner.id)))
            .execute(conn);
        match inserted {
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => return Err(RegisterError::ClientTaken(client.clone())),
            other => other?,
        };
    }
    Ok(())
}

fn exists(conn: &mut DbConnection, id: &str) -> Result<bool, PersistenceError> {
    Ok(diesel::select(diesel::dsl::exists(p::table.find(id))).get_result(conn)?)
}

/// The partner `id`, if registered.
pub fn get(conn: &mut DbConnection, id: &str) -> Result<Option<Partner>, PersistenceError> {
    let row: Option<Row> = p::table.find(id).select(columns()).first(conn).optional()?;
    match row {
        Some(row) => {
            let clients = client_ids(conn, id)?;
            let municipality = municipality(conn, id)?;
            Ok(Some(from_row(row, clients, municipality)?))
        }
        None => Ok(None),
    }
}

/// The partner whose tokens carry `client_id`, if any (disabled ones included).
pub fn by_client(
    conn: &mut DbConnection,
    client_id: &str,
) -> Result<Option<Partner>, PersistenceError> {
    let partner: Option<String> = c::table
        .find(client_id)
        .select(c::partner_id)
        .first(conn)
        .optional()?;
    match partner {
        Some(id) => get(conn, &id),
        None => Ok(None),
    }
}

/// Every partner, by id.
pub fn list(conn: &mut DbConnection) -> Result<Vec<Partner>, PersistenceError> {
    let rows: Vec<Row> = p::table.order(p::id.asc()).select(columns()).load(conn)?;
    let pairs: Vec<(String, String)> = c::table
        .order(c::client_id.asc())
        .select((c::partner_id, c::client_id))
        .load(conn)?;
    let offices: Vec<(String, String)> = lpo::table
        .select((lpo::partner_id, lpo::municipality_id))
        .load(conn)?;
    rows.into_iter()
        .map(|row| {
            let clients = pairs
                .iter()
                .filter(|(partner, _)| *partner == row.0)
                .map(|(_, client)| client.clone())
                .collect();
            let municipality = offices
                .iter()
                .find(|(partner, _)| *partner == row.0)
                .map(|(_, m)| m.clone());
            from_row(row, clients, municipality)
        })
        .collect()
}

/// Disables the partner `id` at `now` (a disabled one keeps its first date). `None`
/// when there is no such partner.
pub fn disable(
    conn: &mut DbConnection,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Option<Partner>, PersistenceError> {
    diesel::update(p::table.find(id).filter(p::disabled_at.is_null()))
        .set((
            p::disabled_at.eq(to_db_time(now)),
            p::updated_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    get(conn, id)
}

/// The sealed signing secrets of the partner `id`; the previous one only while it still
/// signs at `now`.
pub fn secrets(
    conn: &mut DbConnection,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Option<SealedSecrets>, PersistenceError> {
    let row: Option<(String, Option<String>, Option<NaiveDateTime>)> = p::table
        .find(id)
        .select((p::secret, p::previous_secret, p::previous_secret_until))
        .first(conn)
        .optional()?;
    Ok(row.map(|(current, previous, until)| SealedSecrets {
        current,
        previous: previous
            .zip(until.map(from_db_time))
            .filter(|(_, until)| *until > now),
    }))
}

/// Replaces the partner's signing secret by `sealed`; the current one becomes the
/// previous, signing until `keep_until`. `None` when there is no such partner.
pub fn rotate_secret(
    conn: &mut DbConnection,
    id: &str,
    sealed: &str,
    keep_until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<Partner>, PersistenceError> {
    let current: Option<String> = p::table.find(id).select(p::secret).first(conn).optional()?;
    let Some(current) = current else {
        return Ok(None);
    };
    diesel::update(p::table.find(id))
        .set((
            p::secret.eq(sealed),
            p::previous_secret.eq(Some(current)),
            p::previous_secret_until.eq(Some(to_db_time(keep_until))),
            p::secret_rotated_at.eq(to_db_time(now)),
            p::updated_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    get(conn, id)
}

/// The browser origins of every enabled partner (CORS).
pub fn enabled_origins(conn: &mut DbConnection) -> Result<Vec<String>, PersistenceError> {
    let rows: Vec<String> = p::table
        .filter(p::disabled_at.is_null())
        .select(p::origins)
        .load(conn)?;
    let mut origins = Vec::new();
    for row in rows {
        let list: Vec<String> = serde_json::from_str(&row)?;
        origins.extend(list);
    }
    Ok(origins)
}

//! A minor's travel authorisation (issue 19; docs/DOCUMENTS.md): the requests
//! (`travel_requests`, the request itself sealed by the caller with the keyring), the
//! other holder's invitations (`travel_invitations`: a SHA-256 of the single-use token,
//! never the token) and the register of issued documents (`travel_documents`) that the
//! online check reads, with each revocation (when, by whom, as whom, why), and the
//! parties' identities as their sign-ins vouched for them (`travel_identities`, sealed by
//! the caller).

use crate::db::DbConnection;
use crate::error::PersistenceError;
use crate::idempotency::{from_db_time, to_db_time};
use crate::schema::{
    travel_documents as d, travel_identities as p, travel_invitations as i, travel_requests as r,
};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use domain::travel::TravelStatus;

/// A request as stored (its content sealed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TravelRow {
    pub id: String,
    pub requester_id: String,
    pub second_holder_id: Option<String>,
    pub unit_id: String,
    pub municipality: String,
    pub status: TravelStatus,
    /// The request's JSON, sealed for `context(id)`.
    pub sealed_request: String,
    pub language: String,
    pub sole_holder: bool,
    pub decision_reason: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The end of the trip (the end of the return day in the unit's time zone): the
    /// retention periods of a request under review or issued count from it.
    pub trip_ends_at: Option<DateTime<Utc>>,
}

/// The context a request's content is sealed for (the associated data).
pub fn context(id: &str) -> String {
    format!("travel_request:{id}")
}

/// The context of an invitation's sealed link in its outbox message (the associated
/// data): the link holds the single-use token, stored nowhere else.
pub fn link_context(request_id: &str) -> String {
    format!("travel_invitation_link:{request_id}")
}

type Raw = (
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
    i32,
    Option<String>,
    Option<String>,
    Option<NaiveDateTime>,
    NaiveDateTime,
    NaiveDateTime,
    Option<NaiveDateTime>,
);

/// The columns of a request row, in the order of `Raw`.
type RequestColumns = (
    r::id,
    r::requester_id,
    r::second_holder_id,
    r::unit_id,
    r::municipality,
    r::status,
    r::sealed_request,
    r::language,
    r::sole_holder,
    r::decision_reason,
    r::decided_by,
    r::decided_at,
    r::created_at,
    r::updated_at,
    r::trip_ends_at,
);

fn columns() -> RequestColumns {
    (
        r::id,
        r::requester_id,
        r::second_holder_id,
        r::unit_id,
        r::municipality,
        r::status,
        r::sealed_request,
        r::language,
        r::sole_holder,
        r::decision_reason,
        r::decided_by,
        r::decided_at,
        r::created_at,
        r::updated_at,
        r::trip_ends_at,
    )
}

fn read(raw: Raw) -> Result<TravelRow, PersistenceError> {
    let status = raw
        .5
        .parse()
        .map_err(|e: domain::UnknownCode| PersistenceError::CorruptRow {
            table: "travel_requests",
            id: raw.0.clone(),
            field: "status",
            cause: e.to_string(),
        })?;
    Ok(TravelRow {
        id: raw.0,
        requester_id: raw.1,
        second_holder_id: raw.2,
        unit_id: raw.3,
        municipality: raw.4,
        status,
        sealed_request: raw.6,
        language: raw.7,
        sole_holder: raw.8 != 0,
        decision_reason: raw.9,
        decided_by: raw.10,
        decided_at: raw.11.map(from_db_time),
        created_at: from_db_time(raw.12),
        updated_at: from_db_time(raw.13),
        trip_ends_at: raw.14.map(from_db_time),
    })
}

/// Stores a new request.
pub fn insert(conn: &mut DbConnection, row: &TravelRow) -> Result<(), PersistenceError> {
    diesel::insert_into(r::table)
        .values((
            r::id.eq(&row.id),
            r::requester_id.eq(&row.requester_id),
            r::second_holder_id.eq(&row.second_holder_id),
            r::unit_id.eq(&row.unit_id),
            r::municipality.eq(&row.municipality),
            r::status.eq(row.status.as_str()),
            r::sealed_request.eq(&row.sealed_request),
            r::language.eq(&row.language),
            r::sole_holder.eq(i32::from(row.sole_holder)),
            r::created_at.eq(to_db_time(row.created_at)),
            r::updated_at.eq(to_db_time(row.updated_at)),
            r::trip_ends_at.eq(row.trip_ends_at.map(to_db_time)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The request `id` (not erased: an erased request is found by nobody).
pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<TravelRow>, PersistenceError> {
    let raw: Option<Raw> = r::table
        .filter(r::id.eq(id))
        .filter(r::erased_at.is_null())
        .select(columns())
        .first(conn)
        .optional()?;
    raw.map(read).transpose()
}

/// The requests of `unit` in `status`, oldest first, after the request made at `after`
/// (time, id) when given, at most `limit`.
pub fn in_unit(
    conn: &mut DbConnection,
    unit: &str,
    status: TravelStatus,
    after: Option<(DateTime<Utc>, String)>,
    limit: i64,
) -> Result<Vec<TravelRow>, PersistenceError> {
    let mut query = r::table
        .filter(r::unit_id.eq(unit.to_owned()))
        .filter(r::status.eq(status.as_str()))
        .filter(r::erased_at.is_null())
        .into_boxed();
    if let Some((at, id)) = after {
        let at = to_db_time(at);
        query = query.filter(
            r::created_at
                .gt(at)
                .or(r::created_at.eq(at).and(r::id.gt(id))),
        );
    }
    let raws: Vec<Raw> = query
        .order((r::created_at, r::id))
        .limit(limit)
        .select(columns())
        .load(conn)?;
    raws.into_iter().map(read).collect()
}

/// Moves request `id` from `from` to `to` (false when it was not in `from` any more: a
/// concurrent change won), with the decision's reason and author when given.
pub fn transition(
    conn: &mut DbConnection,
    id: &str,
    from: TravelStatus,
    to: TravelStatus,
    decision: Option<(&str, Option<&str>)>,
    now: DateTime<Utc>,
) -> Result<bool, PersistenceError> {
    let target = r::table
        .filter(r::id.eq(id))
        .filter(r::status.eq(from.as_str()));
    let changed = match decision {
        Some((by, reason)) => diesel::update(target)
            .set((
                r::status.eq(to.as_str()),
                r::decided_by.eq(by),
                r::decision_reason.eq(reason),
                r::decided_at.eq(to_db_time(now)),
                r::updated_at.eq(to_db_time(now)),
            ))
            .execute(conn)?,
        None => diesel::update(target)
            .set((r::status.eq(to.as_str()), r::updated_at.eq(to_db_time(now))))
            .execute(conn)?,
    };
    Ok(changed == 1)
}

/// Stores an invitation to request `request` (the hash of its token).
pub fn invite(
    conn: &mut DbConnection,
    request: &str,
    token_hash: &str,
    expires: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    diesel::insert_into(i::table)
        .values((
            i::token_hash.eq(token_hash),
            i::request_id.eq(request),
            i::expires_at.eq(to_db_time(expires)),
        ))
        .execute(conn)?;
    Ok(())
}

/// An invitation as stored: its request, expiry and use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub request_id: String,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

/// The invitation whose token hashes to `token_hash`.
pub fn invitation(
    conn: &mut DbConnection,
    token_hash: &str,
) -> Result<Option<Invitation>, PersistenceError> {
    let raw: Option<(String, NaiveDateTime, Option<NaiveDateTime>)> = i::table
        .filter(i::token_hash.eq(token_hash))
        .select((i::request_id, i::expires_at, i::used_at))
        .first(conn)
        .optional()?;
    Ok(raw.map(|(request_id, expires, used)| Invitation {
        request_id,
        expires_at: from_db_time(expires),
        used_at: used.map(from_db_time),
    }))
}

/// Uses the invitation `token_hash` for `holder` at `now`: marks it used (once: false
/// when it was used already, by a concurrent request too) and binds the holder to the
/// request when none is bound yet.
pub fn take_invitation(
    conn: &mut DbConnection,
    token_hash: &str,
    request: &str,
    holder: &str,
    now: DateTime<Utc>,
) -> Result<bool, PersistenceError> {
    let used = diesel::update(
        i::table
            .filter(i::token_hash.eq(token_hash))
            .filter(i::used_at.is_null()),
    )
    .set(i::used_at.eq(to_db_time(now)))
    .execute(conn)?;
    if used != 1 {
        return Ok(false);
    }
    let bound = diesel::update(
        r::table
            .filter(r::id.eq(request))
            .filter(r::second_holder_id.is_null()),
    )
    .set((
        r::second_holder_id.eq(holder),
        r::updated_at.eq(to_db_time(now)),
    ))
    .execute(conn)?;
    Ok(bound == 1)
}

/// A party's identity claims as stored: sealed by the caller for
/// [`identity_context`] of the request and the party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyIdentity {
    pub request_id: String,
    /// `requester` or `second_holder` (`domain::travel::Party::as_str`).
    pub party: String,
    /// The level of assurance of the sign-in that gave the claims.
    pub assurance: String,
    pub sealed: String,
    pub captured_at: DateTime<Utc>,
}

/// The context a party's identity is sealed for: a value copied to another request or
/// party does not open.
pub fn identity_context(request_id: &str, party: &str) -> String {
    format!("travel_identity:{request_id}:{party}")
}

/// Stores a party's identity, inside the caller's transaction (once per party).
pub fn store_identity(
    conn: &mut DbConnection,
    identity: &PartyIdentity,
) -> Result<(), PersistenceError> {
    diesel::insert_into(p::table)
        .values((
            p::request_id.eq(&identity.request_id),
            p::party.eq(&identity.party),
            p::assurance.eq(&identity.assurance),
            p::sealed.eq(&identity.sealed),
            p::captured_at.eq(to_db_time(identity.captured_at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The stored identities of request `id`'s parties, the requester's first.
pub fn identities(
    conn: &mut DbConnection,
    id: &str,
) -> Result<Vec<PartyIdentity>, PersistenceError> {
    let rows: Vec<(String, String, String, String, NaiveDateTime)> = p::table
        .filter(p::request_id.eq(id))
        .order(p::captured_at.asc())
        .select((
            p::request_id,
            p::party,
            p::assurance,
            p::sealed,
            p::captured_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(request_id, party, assurance, sealed, at)| PartyIdentity {
            request_id,
            party,
            assurance,
            sealed,
            captured_at: from_db_time(at),
        })
        .collect())
}

/// The context a document's credential is sealed for.
pub fn document_context(id: &str) -> String {
    format!("travel_document:{id}")
}

/// An issued document as the register holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub id: String,
    pub request_id: String,
    pub unit_id: String,
    pub issued_at: DateTime<Utc>,
    pub issued_by: String,
    /// The credential (a compact JWS whose payload holds the minor's name and birth
    /// date), sealed by the caller for [`document_context`]; a document registered before
    /// 2026-12-07 holds it as issued; empty once erased.
    pub credential: String,
    pub revocation: Option<Revocation>,
}

/// A document's revocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    pub at: DateTime<Utc>,
    pub by: String,
    /// `parent` or `police`.
    pub as_role: String,
    pub reason: String,
}

/// Registers an issued document.
pub fn register(conn: &mut DbConnection, doc: &Document) -> Result<(), PersistenceError> {
    diesel::insert_into(d::table)
        .values((
            d::id.eq(&doc.id),
            d::request_id.eq(&doc.request_id),
            d::unit_id.eq(&doc.unit_id),
            d::issued_at.eq(to_db_time(doc.issued_at)),
            d::issued_by.eq(&doc.issued_by),
            d::credential.eq(&doc.credential),
        ))
        .execute(conn)?;
    Ok(())
}

type DocRaw = (
    String,
    String,
    String,
    NaiveDateTime,
    String,
    String,
    Option<NaiveDateTime>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn read_document(raw: DocRaw) -> Document {
    let revocation = match (raw.6, raw.7, raw.8) {
        (Some(at), Some(by), Some(as_role)) => Some(Revocation {
            at: from_db_time(at),
            by,
            as_role,
            reason: raw.9.unwrap_or_default(),
        }),
        _ => None,
    };
    Document {
        id: raw.0,
        request_id: raw.1,
        unit_id: raw.2,
        issued_at: from_db_time(raw.3),
        issued_by: raw.4,
        credential: raw.5,
        revocation,
    }
}

fn document_where(
    conn: &mut DbConnection,
    by_request: bool,
    key: &str,
) -> Result<Option<Document>, PersistenceError> {
    let mut query = d::table
        .select((
            d::id,
            d::request_id,
            d::unit_id,
            d::issued_at,
            d::issued_by,
            d::credential,
            d::revoked_at,
            d::revoked_by,
            d::revoked_as,
            d::revocation_reason,
        ))
        .into_boxed();
    query = if by_request {
        query.filter(d::request_id.eq(key.to_owned()))
    } else {
        query.filter(d::id.eq(key.to_owned()))
    };
    let raw: Option<DocRaw> = query.first(conn).optional()?;
    Ok(raw.map(read_document))
}

/// The document issued for request `request`, if any.
pub fn document_of(
    conn: &mut DbConnection,
    request: &str,
) -> Result<Option<Document>, PersistenceError> {
    document_where(conn, true, request)
}

/// Whether document `id` is registered, and whether it is revoked: `None` when the
/// register does not know it. One read by primary key (the online check's).
pub fn standing(conn: &mut DbConnection, id: &str) -> Result<Option<bool>, PersistenceError> {
    let revoked: Option<Option<NaiveDateTime>> = d::table
        .filter(d::id.eq(id))
        .select(d::revoked_at)
        .first(conn)
        .optional()?;
    Ok(revoked.map(|at| at.is_some()))
}

/// Revokes document `id` (once: false when it was revoked already).
pub fn revoke(
    conn: &mut DbConnection,
    id: &str,
    revocation: &Revocation,
) -> Result<bool, PersistenceError> {
    let changed = diesel::update(
        d::table
            .filter(d::id.eq(id))
            .filter(d::revoked_at.is_null()),
    )
    .set((
        d::revoked_at.eq(to_db_time(revocation.at)),
        d::revoked_by.eq(&revocation.by),
        d::revoked_as.eq(&revocation.as_role),
        d::revocation_reason.eq(&revocation.reason),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// A request the retention job considers (no personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionCandidate {
    pub id: String,
    pub status: TravelStatus,
    pub updated_at: DateTime<Utc>,
    pub trip_ends_at: Option<DateTime<Utc>>,
}

/// Up to `limit` requests not erased yet, with an id after `after`, in id order (the
/// partial index `travel_requests_retention_idx`).
pub fn retention_candidates(
    conn: &mut DbConnection,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<RetentionCandidate>, PersistenceError> {
    let mut query = r::table.filter(r::erased_at.is_null()).into_boxed();
    if let Some(after) = after {
        query = query.filter(r::id.gt(after.to_owned()));
    }
    let rows: Vec<(String, String, NaiveDateTime, Option<NaiveDateTime>)> = query
        .order(r::id.asc())
        .limit(limit)
        .select((r::id, r::status, r::updated_at, r::trip_ends_at))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, status, updated, ends)| {
            let status =
                status
                    .parse()
                    .map_err(|e: domain::UnknownCode| PersistenceError::CorruptRow {
                        table: "travel_requests",
                        id: id.clone(),
                        field: "status",
                        cause: e.to_string(),
                    })?;
            Ok(RetentionCandidate {
                id,
                status,
                updated_at: from_db_time(updated),
                trip_ends_at: ends.map(from_db_time),
            })
        })
        .collect()
}

#[derive(diesel::QueryableByName)]
struct TakenRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    #[allow(dead_code)]
    id: String,
}

/// Takes request `id` for this transaction if it is still as read (`status`, last
/// change `updated`) and not erased; on PostgreSQL a row another transaction holds is
/// skipped, not waited for (two retention jobs at once erase each request once).
fn take(
    conn: &mut DbConnection,
    id: &str,
    status: TravelStatus,
    updated: DateTime<Utc>,
) -> Result<bool, PersistenceError> {
    use diesel::sql_types::{Text, Timestamp};
    let sql = |p: [&str; 3], lock: &str| {
        format!(
            "SELECT id FROM travel_requests WHERE id = {} AND status = {} AND updated_at = {} \
             AND erased_at IS NULL {lock}",
            p[0], p[1], p[2]
        )
    };
    let updated = to_db_time(updated);
    let rows: Vec<TakenRow> = match conn {
        DbConnection::Postgresql(pg) => {
            diesel::sql_query(sql(["$1", "$2", "$3"], "FOR UPDATE SKIP LOCKED"))
                .bind::<Text, _>(id)
                .bind::<Text, _>(status.as_str())
                .bind::<Timestamp, _>(updated)
                .load(pg)?
        }
        DbConnection::Sqlite(sqlite) => diesel::sql_query(sql(["?1", "?2", "?3"], ""))
            .bind::<Text, _>(id)
            .bind::<Text, _>(status.as_str())
            .bind::<Timestamp, _>(updated)
            .load(sqlite)?,
    };
    Ok(!rows.is_empty())
}

/// Erases request `candidate` at `now` and appends `event` (which names the request,
/// never its content), in one write transaction; `false`, writing nothing, when it was
/// erased or changed meanwhile, or another instance holds it.
///
/// Deleted: its invitations, its parties' identities, its queued and sent messages, the replies kept for
/// idempotent retries that name it, and its supporting documents' rows (their objects,
/// left without a row, go with the evidence cleanup job). Emptied: the sealed request,
/// the parties' ids, the decision's reason; the row stays as a tombstone (unit,
/// municipality, status, times) with `erased_at`. The issued document's register entry
/// stays without its credential, its revoker or its reason: its id, validity times and
/// revocation time, so the online check still answers `revoked` or `expired`.
pub fn erase(
    conn: &mut DbConnection,
    candidate: &RetentionCandidate,
    now: DateTime<Utc>,
    event: &domain::audit::AuditEvent,
) -> Result<bool, PersistenceError> {
    use crate::schema::{attachments as at, idempotency_keys as k, outbox_messages as o};
    let erased = crate::retention::ERASED;
    let id = candidate.id.as_str();
    conn.write_transaction(|conn| {
        if !take(conn, id, candidate.status, candidate.updated_at)? {
            return Ok(false);
        }
        diesel::delete(i::table.filter(i::request_id.eq(id))).execute(conn)?;
        diesel::delete(p::table.filter(p::request_id.eq(id))).execute(conn)?;
        diesel::delete(o::table.filter(o::filing_id.eq(id))).execute(conn)?;
        diesel::delete(k::table.filter(k::response_body.like(format!("%{id}%")))).execute(conn)?;
        diesel::delete(at::table.filter(at::filing_id.eq(id))).execute(conn)?;
        diesel::update(d::table.filter(d::request_id.eq(id)))
            .set((
                d::credential.eq(""),
                d::revocation_reason.eq(None::<String>),
            ))
            .execute(conn)?;
        diesel::update(
            d::table
                .filter(d::request_id.eq(id))
                .filter(d::revoked_by.is_not_null()),
        )
        .set(d::revoked_by.eq(erased))
        .execute(conn)?;
        diesel::update(r::table.filter(r::id.eq(id)))
            .set((
                r::requester_id.eq(erased),
                r::second_holder_id.eq(None::<String>),
                r::sealed_request.eq(""),
                r::decision_reason.eq(None::<String>),
                r::erased_at.eq(Some(to_db_time(now))),
            ))
            .execute(conn)?;
        crate::audit::append(conn, event)?;
        Ok(true)
    })
}

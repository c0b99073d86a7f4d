//! Filings and their history. Every write takes the expected `version` (optimistic
//! concurrency): of two writers holding the same version, exactly one succeeds.

use crate::db::DbConnection;
use crate::error::PersistenceError;
use crate::idempotency::{from_db_time, to_db_time};
use crate::schema::{filing_history as h, filing_notes as n, filings as f, outbox_messages as o};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

/// A filing as stored. JSON parts stay JSON here; the api crate gives them shape.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = f, treat_none_as_null = true)]
pub struct FilingRow {
    pub id: String,
    pub owner_id: String,
    pub procedure_code: String,
    pub status: String,
    pub version: i64,
    pub country: String,
    pub declarant: String,
    pub language: String,
    pub place: String,
    pub facts_from: Option<NaiveDateTime>,
    pub facts_until: Option<NaiveDateTime>,
    pub facts: String,
    pub answers: String,
    pub contact: String,
    pub confirmation_channel: String,
    pub unit_id: Option<String>,
    pub municipality_id: Option<String>,
    pub routing: Option<String>,
    pub reference: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    /// The officer handling it (back office only).
    pub assigned_officer: Option<String>,
    /// What the officer asked the citizen, and the citizen's answer.
    pub info_request: Option<String>,
    pub info_answer: Option<String>,
    /// The official record number, once registered.
    pub record_number: Option<String>,
    /// The decision (reason code, explanation, where to go), as JSON.
    pub decision: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = h)]
pub struct HistoryRow {
    pub id: i64,
    pub filing_id: String,
    pub occurred_at: NaiveDateTime,
    pub from_status: Option<String>,
    pub to_status: String,
    pub action: String,
    pub actor_role: String,
    pub actor_id: String,
}

pub fn time(t: DateTime<Utc>) -> NaiveDateTime {
    to_db_time(t)
}

pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    from_db_time(t)
}

pub fn insert(conn: &mut DbConnection, row: &FilingRow) -> Result<(), PersistenceError> {
    diesel::insert_into(f::table).values(row).execute(conn)?;
    Ok(())
}

/// The filing `id` if `owner` owns it (another's filing is `None`, like a missing one).
pub fn find_owned(
    conn: &mut DbConnection,
    owner: &str,
    id: &str,
) -> Result<Option<FilingRow>, PersistenceError> {
    Ok(f::table
        .filter(f::id.eq(id))
        .filter(f::owner_id.eq(owner))
        .select(FilingRow::as_select())
        .first(conn)
        .optional()?)
}

/// Replaces a filing if it is still at `expected_version`; returns false when it was
/// changed meanwhile (the caller answers 412).
pub fn update(
    conn: &mut DbConnection,
    row: &FilingRow,
    expected_version: i64,
) -> Result<bool, PersistenceError> {
    let changed = diesel::update(
        f::table
            .filter(f::id.eq(&row.id))
            .filter(f::version.eq(expected_version)),
    )
    .set(row)
    .execute(conn)?;
    Ok(changed == 1)
}

/// The owner's filings, newest first, after the cursor `(created_at, id)`.
pub fn list_owned(
    conn: &mut DbConnection,
    owner: &str,
    status: Option<&str>,
    before: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> Result<Vec<FilingRow>, PersistenceError> {
    let mut query = f::table.filter(f::owner_id.eq(owner)).into_boxed();
    if let Some(status) = status {
        query = query.filter(f::status.eq(status.to_owned()));
    }
    if let Some((created, id)) = before {
        query = query.filter(
            f::created_at
                .lt(created)
                .or(f::created_at.eq(created).and(f::id.lt(id))),
        );
    }
    Ok(query
        .order((f::created_at.desc(), f::id.desc()))
        .limit(limit)
        .select(FilingRow::as_select())
        .load(conn)?)
}

/// How many filings `owner` submitted since `since`.
pub fn submitted_since(
    conn: &mut DbConnection,
    owner: &str,
    since: DateTime<Utc>,
) -> Result<i64, PersistenceError> {
    Ok(f::table
        .filter(f::owner_id.eq(owner))
        .filter(f::submitted_at.ge(to_db_time(since)))
        .count()
        .get_result(conn)?)
}

/// Whether a reference number is taken.
pub fn reference_exists(
    conn: &mut DbConnection,
    reference: &str,
) -> Result<bool, PersistenceError> {
    Ok(diesel::select(diesel::dsl::exists(
        f::table.filter(f::reference.eq(reference)),
    ))
    .get_result(conn)?)
}

/// Who changed a filing's status, and how (for its history).
pub struct StatusChange<'a> {
    pub at: DateTime<Utc>,
    pub from: &'a str,
    pub action: &'a str,
    pub actor_role: &'a str,
    pub actor_id: &'a str,
}

/// Writes a status change inside the caller's write transaction: the filing if it is
/// still at `expected_version`, its history entry, and its audit event, last (the audit
/// chain's lock is held from there to the commit). Returns false, having written nothing,
/// when the filing changed meanwhile (the caller answers 412).
pub fn save_status_change(
    conn: &mut DbConnection,
    row: &FilingRow,
    expected_version: i64,
    change: &StatusChange<'_>,
    event: &domain::audit::AuditEvent,
) -> Result<bool, PersistenceError> {
    if !update(conn, row, expected_version)? {
        return Ok(false);
    }
    add_history(
        conn,
        &row.id,
        change.at,
        Some(change.from),
        &row.status,
        change.action,
        change.actor_role,
        change.actor_id,
    )?;
    crate::audit::append(conn, event)?;
    Ok(true)
}

#[allow(clippy::too_many_arguments)]
pub fn add_history(
    conn: &mut DbConnection,
    filing: &str,
    at: DateTime<Utc>,
    from: Option<&str>,
    to: &str,
    action: &str,
    actor_role: &str,
    actor_id: &str,
) -> Result<(), PersistenceError> {
    diesel::insert_into(h::table)
        .values((
            h::filing_id.eq(filing),
            h::occurred_at.eq(to_db_time(at)),
            h::from_status.eq(from),
            h::to_status.eq(to),
            h::action.eq(action),
            h::actor_role.eq(actor_role),
            h::actor_id.eq(actor_id),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn history(conn: &mut DbConnection, filing: &str) -> Result<Vec<HistoryRow>, PersistenceError> {
    Ok(h::table
        .filter(h::filing_id.eq(filing))
        .order(h::id.asc())
        .select(HistoryRow::as_select())
        .load(conn)?)
}

/// The filing `id` if it is in `unit`'s hands.
pub fn find_in_unit(
    conn: &mut DbConnection,
    unit: &str,
    id: &str,
) -> Result<Option<FilingRow>, PersistenceError> {
    Ok(f::table
        .filter(f::id.eq(id))
        .filter(f::unit_id.eq(unit))
        .select(FilingRow::as_select())
        .first(conn)
        .optional()?)
}

/// Filters of a unit's queue.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub statuses: Vec<String>,
    pub procedure: Option<String>,
    pub submitted_from: Option<DateTime<Utc>>,
    pub submitted_until: Option<DateTime<Utc>>,
    /// `Some(Some(officer))`: assigned to them; `Some(None)`: unassigned.
    pub assigned: Option<Option<String>>,
    /// Cursor: after this `(submitted_at, id)`.
    pub after: Option<(NaiveDateTime, String)>,
}

/// A unit's submitted filings, oldest first (drafts never appear).
pub fn queue(
    conn: &mut DbConnection,
    unit: &str,
    filter: &QueueFilter,
    limit: i64,
) -> Result<Vec<FilingRow>, PersistenceError> {
    let mut query = f::table
        .filter(f::unit_id.eq(unit))
        .filter(f::submitted_at.is_not_null())
        .into_boxed();
    // One status is compared with `=`: the index (unit_id, status, submitted_at, id) then
    // yields the rows already in queue order, and a page reads only its own rows
    // (`= ANY(...)` makes PostgreSQL fetch every match and sort them).
    match filter.statuses.as_slice() {
        [] => {}
        [status] => query = query.filter(f::status.eq(status.clone())),
        statuses => query = query.filter(f::status.eq_any(statuses.to_vec())),
    }
    if let Some(procedure) = &filter.procedure {
        query = query.filter(f::procedure_code.eq(procedure.clone()));
    }
    if let Some(from) = filter.submitted_from {
        query = query.filter(f::submitted_at.ge(to_db_time(from)));
    }
    if let Some(until) = filter.submitted_until {
        query = query.filter(f::submitted_at.lt(to_db_time(until)));
    }
    match &filter.assigned {
        Some(Some(officer)) => query = query.filter(f::assigned_officer.eq(officer.clone())),
        Some(None) => query = query.filter(f::assigned_officer.is_null()),
        None => {}
    }
    if let Some((at, id)) = &filter.after {
        query = query.filter(
            f::submitted_at
                .gt(*at)
                .or(f::submitted_at.eq(*at).and(f::id.gt(id.clone()))),
        );
    }
    Ok(query
        .order((f::submitted_at.asc(), f::id.asc()))
        .limit(limit)
        .select(FilingRow::as_select())
        .load(conn)?)
}

/// How many filings of `unit` have a record number starting with `prefix`.
pub fn count_records(
    conn: &mut DbConnection,
    unit: &str,
    prefix: &str,
) -> Result<i64, PersistenceError> {
    Ok(f::table
        .filter(f::unit_id.eq(unit))
        .filter(f::record_number.like(format!("{prefix}%")))
        .count()
        .get_result(conn)?)
}

pub fn add_note(
    conn: &mut DbConnection,
    filing: &str,
    author: &str,
    unit: &str,
    body: &str,
    at: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    diesel::insert_into(n::table)
        .values((
            n::filing_id.eq(filing),
            n::author_id.eq(author),
            n::unit_id.eq(unit),
            n::body.eq(body),
            n::created_at.eq(to_db_time(at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Internal notes of a filing: (author, unit, body, time), oldest first.
pub fn notes(
    conn: &mut DbConnection,
    filing: &str,
) -> Result<Vec<(String, String, String, NaiveDateTime)>, PersistenceError> {
    Ok(n::table
        .filter(n::filing_id.eq(filing))
        .order(n::id.asc())
        .select((n::author_id, n::unit_id, n::body, n::created_at))
        .load(conn)?)
}

/// Queues a message to the citizen (delivered later by the outbox worker).
pub fn enqueue_message(
    conn: &mut DbConnection,
    filing: &str,
    channel: &str,
    template: &str,
    language: &str,
    payload: &str,
    at: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    diesel::insert_into(o::table)
        .values((
            o::filing_id.eq(filing),
            o::channel.eq(channel),
            o::template.eq(template),
            o::language.eq(language),
            o::payload.eq(payload),
            o::created_at.eq(to_db_time(at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// A queued message: channel, template, payload, and when it was sent.
pub type OutboxEntry = (String, String, String, Option<NaiveDateTime>);

/// Messages queued for a filing, oldest first.
pub fn outbox_for(
    conn: &mut DbConnection,
    filing: &str,
) -> Result<Vec<OutboxEntry>, PersistenceError> {
    Ok(o::table
        .filter(o::filing_id.eq(filing))
        .order(o::id.asc())
        .select((o::channel, o::template, o::payload, o::sent_at))
        .load(conn)?)
}

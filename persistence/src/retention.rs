//! Retention (EU Directive 2016/680, Art. 5; docs/RETENTION.md): the filings that may be
//! due for erasure, what the rule (`domain::retention::decide`) needs to know of each, and
//! the erasure itself.
//!
//! An erasure empties every personal column of the filing and deletes what hangs on it
//! (notes, exchanges, the sealed identity, queued messages, in-app notifications,
//! appointments); the row stays as a tombstone (procedure, status, unit, municipality,
//! reference, record number, times) for the statistics, with `erased_at` set. It runs in
//! one write transaction that first takes the filing's row: on PostgreSQL `FOR UPDATE
//! SKIP LOCKED`, so two instances running the job at once never erase the same filing
//! twice (the second skips it); on SQLite the write transactions are serial. The row is
//! taken only if it is still at the version and status the decision was made on, and not
//! erased yet: a rerun, or a filing changed in between, is skipped (idempotent).

use crate::db::DbConnection;
use crate::error::PersistenceError;
use crate::idempotency::{from_db_time, to_db_time};
use crate::schema::{audit_events as a, filing_history as h, filings as f};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use domain::audit::AuditEvent;
use domain::filing::FilingStatus;

/// What the pseudonymous ids of an erased filing become.
pub const ERASED: &str = "erased";

/// A filing that may be due, as the candidates' query reads it (no personal data).
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Candidate {
    pub id: String,
    pub procedure: String,
    pub status: String,
    pub version: i64,
    pub updated_at: NaiveDateTime,
}

impl Candidate {
    pub fn status(&self) -> Result<FilingStatus, PersistenceError> {
        self.status
            .parse()
            .map_err(|e: domain::UnknownCode| PersistenceError::CorruptRow {
                table: "filings",
                id: self.id.clone(),
                field: "status",
                cause: e.to_string(),
            })
    }

    pub fn last_change(&self) -> DateTime<Utc> {
        from_db_time(self.updated_at)
    }
}

/// Up to `limit` filings in `status`, not erased, last changed before `changed_before`
/// (any time when `None`), with an id after `after`, in id order. Served by the partial
/// index `filings_retention_idx (status, updated_at) WHERE erased_at IS NULL`.
pub fn candidates(
    conn: &mut DbConnection,
    status: FilingStatus,
    changed_before: Option<DateTime<Utc>>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Candidate>, PersistenceError> {
    let mut query = f::table
        .filter(f::status.eq(status.as_str()))
        .filter(f::erased_at.is_null())
        .into_boxed();
    if let Some(before) = changed_before {
        query = query.filter(f::updated_at.le(to_db_time(before)));
    }
    if let Some(after) = after {
        query = query.filter(f::id.gt(after.to_owned()));
    }
    Ok(query
        .order(f::id.asc())
        .limit(limit)
        .select((
            f::id,
            f::procedure_code,
            f::status,
            f::version,
            f::updated_at,
        ))
        .load(conn)?)
}

/// The decision a closed filing was closed after: the latest `registered`, `rejected` or
/// `redirected` of its history.
pub fn decided_status(
    conn: &mut DbConnection,
    filing: &str,
) -> Result<Option<FilingStatus>, PersistenceError> {
    let decided: Vec<&str> = FilingStatus::DECIDED.iter().map(|s| s.as_str()).collect();
    let status: Option<String> = h::table
        .filter(h::filing_id.eq(filing))
        .filter(h::to_status.eq_any(decided))
        .order(h::id.desc())
        .select(h::to_status)
        .first(conn)
        .optional()?;
    status
        .map(|s| {
            s.parse()
                .map_err(|e: domain::UnknownCode| PersistenceError::CorruptRow {
                    table: "filing_history",
                    id: filing.to_owned(),
                    field: "to_status",
                    cause: e.to_string(),
                })
        })
        .transpose()
}

/// When the filing was last handed over to the records system: its latest allowed
/// `export` disclosure in the audit trail (index `audit_events_object_idx`).
pub fn handed_over(
    conn: &mut DbConnection,
    filing: &str,
) -> Result<Option<DateTime<Utc>>, PersistenceError> {
    let at: Option<NaiveDateTime> = a::table
        .filter(a::object_type.eq("filing"))
        .filter(a::object_id.eq(filing))
        .filter(a::operation.eq("disclosure"))
        .filter(a::action.eq("export"))
        .filter(a::outcome.eq("allowed"))
        .order(a::id.desc())
        .select(a::occurred_at)
        .first(conn)
        .optional()?;
    Ok(at.map(from_db_time))
}

/// Every hand-over of the filing to the records system (its allowed `export`
/// disclosures in the audit trail), oldest first: the recipients of a citizen's export.
pub fn hand_overs(
    conn: &mut DbConnection,
    filing: &str,
) -> Result<Vec<DateTime<Utc>>, PersistenceError> {
    let at: Vec<NaiveDateTime> = a::table
        .filter(a::object_type.eq("filing"))
        .filter(a::object_id.eq(filing))
        .filter(a::operation.eq("disclosure"))
        .filter(a::action.eq("export"))
        .filter(a::outcome.eq("allowed"))
        .order(a::id.asc())
        .select(a::occurred_at)
        .load(conn)?;
    Ok(at.into_iter().map(from_db_time).collect())
}

#[derive(QueryableByName)]
struct TakenRow {
    #[diesel(sql_type = Text)]
    #[allow(dead_code)]
    id: String,
}

/// Takes the filing's row for this transaction if it is still at `version`, not erased
/// and not restricted (a restriction does not change the version); on PostgreSQL a row
/// another transaction holds is skipped, not waited for.
fn take(conn: &mut DbConnection, id: &str, version: i64) -> Result<bool, PersistenceError> {
    let query = crate::db::sql_query(
        conn,
        &format!(
            "SELECT id FROM filings WHERE id = $1 AND version = $2 AND erased_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM filing_restrictions r WHERE r.filing_id = filings.id) \
             {}",
            crate::db::skip_locked(conn)
        ),
    )
    .bind::<Text, _>(id)
    .bind::<BigInt, _>(version);
    let rows: Vec<TakenRow> = crate::on_backend!(conn, query, load)?;
    Ok(!rows.is_empty())
}

/// Erases the personal data of filing `id` (read at `version`) at `now`, and appends
/// `event` (which names the filing, never its content), in one write transaction.
/// Returns `false`, writing nothing, when the filing was erased or changed meanwhile, or
/// another instance holds it.
pub fn erase(
    conn: &mut DbConnection,
    id: &str,
    version: i64,
    now: DateTime<Utc>,
    event: &AuditEvent,
) -> Result<bool, PersistenceError> {
    use crate::schema::{
        appointments as ap, attachments as at, filing_exchanges as x, filing_identities as i,
        filing_notes as n, filing_supplements as su, idempotency_keys as k, notifications as no,
        outbox_messages as o, resumable_uploads as ru, upload_links as ul, webhook_attempts as wa,
    };
    conn.write_transaction(|conn| {
        if !take(conn, id, version)? {
            return Ok(false);
        }
        diesel::delete(n::table.filter(n::filing_id.eq(id))).execute(conn)?;
        crate::items::delete_of(conn, id)?;
        diesel::delete(x::table.filter(x::filing_id.eq(id))).execute(conn)?;
        diesel::delete(i::table.filter(i::filing_id.eq(id))).execute(conn)?;
        // The webhook delivery log of its messages goes with them.
        diesel::delete(
            wa::table
                .filter(wa::outbox_id.eq_any(o::table.filter(o::filing_id.eq(id)).select(o::id))),
        )
        .execute(conn)?;
        diesel::delete(o::table.filter(o::filing_id.eq(id))).execute(conn)?;
        diesel::delete(no::table.filter(no::filing_id.eq(id))).execute(conn)?;
        diesel::delete(ap::table.filter(ap::filing_id.eq(id))).execute(conn)?;
        // The replies kept for idempotent retries hold the filing as it was answered
        // (its facts, its contact): those naming it go too. Their bodies are sealed, so
        // they are found by their headers (the request's path, the `Location`); a body
        // stored in clear before sealing, by its text.
        let named = format!("%{id}%");
        diesel::delete(
            k::table.filter(
                k::response_body
                    .like(named.clone())
                    .or(k::response_headers.like(named)),
            ),
        )
        .execute(conn)?;
        // Evidence: the rows go; their objects, left without a row, are removed by the
        // evidence cleanup job after its grace period (docs/EVIDENCE.md).
        diesel::delete(at::table.filter(at::filing_id.eq(id))).execute(conn)?;
        diesel::delete(su::table.filter(su::filing_id.eq(id))).execute(conn)?;
        diesel::delete(ul::table.filter(ul::filing_id.eq(id))).execute(conn)?;
        diesel::delete(ru::table.filter(ru::filing_id.eq(id))).execute(conn)?;
        // The history stays (statistics: times to taking in charge and to the end); the
        // citizen's pseudonymous id in it goes.
        diesel::update(
            h::table
                .filter(h::filing_id.eq(id))
                .filter(h::actor_role.eq("citizen")),
        )
        .set(h::actor_id.eq(ERASED))
        .execute(conn)?;
        let empty = "{}";
        diesel::update(f::table.filter(f::id.eq(id)))
            .set((
                f::owner_id.eq(ERASED),
                f::place.eq(empty),
                f::facts.eq(empty),
                f::answers.eq(empty),
                f::contact.eq(empty),
                f::facts_from.eq(None::<NaiveDateTime>),
                f::facts_until.eq(None::<NaiveDateTime>),
                f::routing.eq(None::<String>),
                f::assigned_officer.eq(None::<String>),
                f::info_request.eq(None::<String>),
                f::info_answer.eq(None::<String>),
                f::decision.eq(None::<String>),
                f::erased_at.eq(Some(to_db_time(now))),
                f::version.eq(version + 1),
            ))
            .execute(conn)?;
        crate::audit::append(conn, event)?;
        Ok(true)
    })
}

/// How many filings were erased (tombstones), for the dry run's and the job's summary.
pub fn erased_count(conn: &mut DbConnection) -> Result<i64, PersistenceError> {
    Ok(f::table
        .filter(f::erased_at.is_not_null())
        .count()
        .get_result(conn)?)
}

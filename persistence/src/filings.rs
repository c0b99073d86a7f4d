//! Filings, their history, notes, record numbers and queued messages. Rows are read into
//! the domain's [`Filing`]; a row holding a value the domain does not know is reported as
//! [`PersistenceError::CorruptRow`], naming the filing and the column, never read as a
//! default. Every write takes the expected `version` (optimistic concurrency): of two
//! writers holding the same version, exactly one succeeds.

use crate::db::DbConnection;
use crate::error::PersistenceError;
use crate::idempotency::{from_db_time, to_db_time};
use crate::schema::{
    filing_exchanges as x, filing_history as h, filing_notes as n, filings as f,
    outbox_messages as o,
};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use domain::directory::MunicipalityId;
use domain::filing::commands::municipality_of;
use domain::filing::model::{answer_from_json, FactsDate};
use domain::filing::{
    ConfirmationChannel, Effects, Exchange, ExchangeStep, Filing, FilingStatus, ReferenceNumber,
};

/// A filing as stored. JSON parts stay JSON here; [`Filing`] gives them shape.
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
    pub assigned_officer: Option<String>,
    pub info_request: Option<String>,
    pub info_answer: Option<String>,
    pub record_number: Option<String>,
    pub decision: Option<String>,
    pub app_notifications: bool,
    /// `None`: the police app; else the partner's id.
    pub channel: Option<String>,
}

impl From<&Filing> for FilingRow {
    fn from(filing: &Filing) -> Self {
        let json = |v: &dyn erased::Json| v.to_json();
        FilingRow {
            id: filing.id.clone(),
            owner_id: filing.owner.clone(),
            procedure_code: filing.procedure.clone(),
            status: filing.status.to_string(),
            version: filing.version,
            country: filing.country.to_string(),
            declarant: filing.declarant.to_string(),
            language: filing.language.to_string(),
            place: json(&filing.place),
            facts_from: filing
                .facts_date
                .map(|d| to_db_time(d.from.with_timezone(&Utc))),
            facts_until: filing
                .facts_date
                .and_then(|d| d.until)
                .map(|u| to_db_time(u.with_timezone(&Utc))),
            facts: serde_json::Value::Object(filing.facts.clone()).to_string(),
            answers: serde_json::Value::Object(filing.answers_json()).to_string(),
            contact: json(&filing.contact),
            confirmation_channel: filing
                .confirmation_channel
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default(),
            unit_id: filing.unit.clone(),
            municipality_id: filing.municipality.as_ref().map(|m| m.to_string()),
            routing: None,
            reference: filing.reference.as_ref().map(|r| r.as_str().to_owned()),
            created_at: to_db_time(filing.created_at),
            updated_at: to_db_time(filing.updated_at),
            submitted_at: filing.submitted_at.map(to_db_time),
            assigned_officer: filing.assigned_officer.clone(),
            info_request: filing.info_request.clone(),
            info_answer: filing.info_answer.clone(),
            record_number: filing.record_number.clone(),
            decision: filing.decision.as_ref().map(|d| json(d)),
            app_notifications: filing.app_notifications,
            channel: filing.channel.clone(),
        }
    }
}

mod erased {
    /// Serialises the domain's JSON parts; they are plain data, so this cannot fail.
    pub trait Json {
        fn to_json(&self) -> String;
    }

    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> String {
            serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
        }
    }
}

impl TryFrom<FilingRow> for Filing {
    type Error = PersistenceError;

    fn try_from(row: FilingRow) -> Result<Self, Self::Error> {
        let id = row.id.clone();
        let corrupt = |field: &'static str, cause: String| PersistenceError::CorruptRow {
            table: "filings",
            id: id.clone(),
            field,
            cause,
        };
        fn parse<T: std::str::FromStr>(
            raw: &str,
            field: &'static str,
            corrupt: &dyn Fn(&'static str, String) -> PersistenceError,
        ) -> Result<T, PersistenceError>
        where
            T::Err: std::fmt::Display,
        {
            raw.parse()
                .map_err(|e: T::Err| corrupt(field, e.to_string()))
        }
        fn json<T: serde::de::DeserializeOwned>(
            raw: &str,
            field: &'static str,
            corrupt: &dyn Fn(&'static str, String) -> PersistenceError,
        ) -> Result<T, PersistenceError> {
            serde_json::from_str(raw).map_err(|e| corrupt(field, e.to_string()))
        }
        let answers_json: serde_json::Map<String, serde_json::Value> =
            json(&row.answers, "answers", &corrupt)?;
        let mut answers = std::collections::BTreeMap::new();
        for (code, value) in answers_json {
            let answer = answer_from_json(&value)
                .ok_or_else(|| corrupt("answers", format!("answer {code} is {value}")))?;
            answers.insert(code, answer);
        }
        let municipality: Option<MunicipalityId> = match &row.municipality_id {
            None => None,
            Some(m) => Some(
                municipality_of(m)
                    .ok_or_else(|| corrupt("municipality_id", format!("unknown id {m}")))?,
            ),
        };
        let facts_date = match row.facts_from {
            None => None,
            Some(from) => Some(FactsDate {
                from: from_db_time(from).fixed_offset(),
                until: row.facts_until.map(|u| from_db_time(u).fixed_offset()),
            }),
        };
        Ok(Filing {
            status: parse::<FilingStatus>(&row.status, "status", &corrupt)?,
            country: parse(&row.country, "country", &corrupt)?,
            declarant: parse(&row.declarant, "declarant", &corrupt)?,
            language: parse(&row.language, "language", &corrupt)?,
            place: json(&row.place, "place", &corrupt)?,
            facts: json(&row.facts, "facts", &corrupt)?,
            contact: json(&row.contact, "contact", &corrupt)?,
            confirmation_channel: ConfirmationChannel::from_stored(&row.confirmation_channel)
                .map_err(|e| corrupt("confirmation_channel", e.to_string()))?,
            reference: match &row.reference {
                None => None,
                Some(r) => Some(
                    ReferenceNumber::parse(r).map_err(|e| corrupt("reference", e.to_string()))?,
                ),
            },
            decision: match &row.decision {
                None => None,
                Some(d) => Some(json(d, "decision", &corrupt)?),
            },
            answers,
            municipality,
            facts_date,
            id: row.id,
            owner: row.owner_id,
            procedure: row.procedure_code,
            unit: row.unit_id,
            assigned_officer: row.assigned_officer,
            record_number: row.record_number,
            info_request: row.info_request,
            info_answer: row.info_answer,
            app_notifications: row.app_notifications,
            version: row.version,
            created_at: from_db_time(row.created_at),
            updated_at: from_db_time(row.updated_at),
            submitted_at: row.submitted_at.map(from_db_time),
            channel: row.channel,
        })
    }
}

/// Reads rows into filings; the first corrupt one is the error (and is logged by the
/// caller's error path with the filing's id and the column).
fn typed(rows: Vec<FilingRow>) -> Result<Vec<Filing>, PersistenceError> {
    rows.into_iter().map(Filing::try_from).collect()
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

/// The filing `id` if `owner` owns it (another's filing is `None`, like a missing one).
pub fn find_owned(
    conn: &mut DbConnection,
    owner: &str,
    id: &str,
) -> Result<Option<Filing>, PersistenceError> {
    f::table
        .filter(f::id.eq(id))
        .filter(f::owner_id.eq(owner))
        .filter(f::erased_at.is_null())
        .select(FilingRow::as_select())
        .first(conn)
        .optional()?
        .map(Filing::try_from)
        .transpose()
}

/// The filing `id`, whoever owns it and whichever unit holds it (not erased): for the
/// system's own consequences of an officer's act on another filing (a hand-back closes
/// the owner's declaration). Never for a read on behalf of someone.
pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<Filing>, PersistenceError> {
    f::table
        .filter(f::id.eq(id))
        .filter(f::erased_at.is_null())
        .select(FilingRow::as_select())
        .first(conn)
        .optional()?
        .map(Filing::try_from)
        .transpose()
}

/// The filing `id` if it is in `unit`'s hands.
pub fn find_in_unit(
    conn: &mut DbConnection,
    unit: &str,
    id: &str,
) -> Result<Option<Filing>, PersistenceError> {
    f::table
        .filter(f::id.eq(id))
        .filter(f::unit_id.eq(unit))
        .filter(f::erased_at.is_null())
        .select(FilingRow::as_select())
        .first(conn)
        .optional()?
        .map(Filing::try_from)
        .transpose()
}

/// Saves what a command changed, inside the caller's write transaction, except its audit
/// event (see [`save`]): the filing (inserted, or updated if still at the expected
/// version), its history entry, the citizen's in-app notification
/// (`domain::notices::notice_for`), its items (`crate::items::index`) and its queued
/// messages. Returns false, having written
/// nothing, when the filing changed meanwhile (the caller answers 412).
pub fn save_state(conn: &mut DbConnection, effects: &Effects) -> Result<bool, PersistenceError> {
    Ok(save_state_returning(conn, effects)?.is_some())
}

/// [`save_state`], returning the history entry written (`Some(None)` when the command
/// changed no status; `None` when the filing changed meanwhile), so that the caller can
/// answer without reading the history back.
pub fn save_state_returning(
    conn: &mut DbConnection,
    effects: &Effects,
) -> Result<Option<Option<HistoryRow>>, PersistenceError> {
    let row = FilingRow::from(&effects.filing);
    match effects.expected_version {
        None => {
            diesel::insert_into(f::table).values(&row).execute(conn)?;
        }
        Some(expected) => {
            let changed = diesel::update(
                f::table
                    .filter(f::id.eq(&row.id))
                    .filter(f::version.eq(expected)),
            )
            .set(&row)
            .execute(conn)?;
            if changed != 1 {
                return Ok(None);
            }
        }
    }
    // The filing's objects and identifiers as records (issue 20), when they changed.
    crate::items::index(conn, &effects.filing)?;
    let mut written = None;
    if let Some(entry) = &effects.history {
        let history = HistoryRow {
            id: 0,
            filing_id: row.id.clone(),
            occurred_at: to_db_time(entry.at),
            from_status: entry.from.map(|s| s.as_str().to_owned()),
            to_status: entry.to.as_str().to_owned(),
            action: entry.action.clone(),
            actor_role: entry.actor_role.clone(),
            actor_id: entry.actor_id.clone(),
        };
        let id: i64 = diesel::insert_into(h::table)
            .values((
                h::filing_id.eq(&history.filing_id),
                h::occurred_at.eq(history.occurred_at),
                h::from_status.eq(&history.from_status),
                h::to_status.eq(&history.to_status),
                h::action.eq(&history.action),
                h::actor_role.eq(&history.actor_role),
                h::actor_id.eq(&history.actor_id),
            ))
            .returning(h::id)
            .get_result(conn)?;
        let history = HistoryRow { id, ..history };
        written = Some(history);
        // The citizen's in-app notification, if the change notifies them (the domain's
        // rule); an officer's action names its own unit, the one before a transfer.
        let previous_unit = effects.audit.actor.unit.as_deref();
        if let Some(notice) = domain::notices::notice_for(&effects.filing, entry, previous_unit) {
            crate::notifications::append(conn, &notice)?;
        }
        // The partner the filing was made through hears of it (its webhook endpoints).
        if let Some(event) = domain::webhooks::event_for(&effects.filing, entry) {
            crate::webhooks::queue(conn, &row.id, &event, entry.at)?;
        }
    }
    save_exchange(conn, &row.id, effects)?;
    // The app channel is delivered by the notification feed: nothing to queue for it.
    for message in effects
        .messages
        .iter()
        .filter(|m| m.channel != ConfirmationChannel::App)
    {
        diesel::insert_into(o::table)
            .values((
                o::filing_id.eq(&row.id),
                o::channel.eq(message.channel.as_str()),
                o::template.eq(message.template),
                o::language.eq(message.language.as_str()),
                o::payload.eq(message.payload.to_string()),
                o::created_at.eq(to_db_time(effects.filing.updated_at)),
                o::status.eq(domain::delivery::OutboxStatus::Pending.as_str()),
                o::available_at.eq(to_db_time(effects.filing.updated_at)),
            ))
            .execute(conn)?;
    }
    Ok(Some(written))
}

/// Opens a round of questions and answers, or answers the open one, as the effects say.
fn save_exchange(
    conn: &mut DbConnection,
    filing: &str,
    effects: &Effects,
) -> Result<(), PersistenceError> {
    match effects.exchange_step() {
        Some(ExchangeStep::Asked { at, by, question }) => {
            diesel::insert_into(x::table)
                .values((
                    x::filing_id.eq(filing),
                    x::asked_at.eq(to_db_time(at)),
                    x::asked_by.eq(by),
                    x::question.eq(question),
                ))
                .execute(conn)?;
        }
        Some(ExchangeStep::Answered { at, answer }) => {
            let open: Option<i64> = x::table
                .filter(x::filing_id.eq(filing))
                .filter(x::answered_at.is_null())
                .order(x::id.desc())
                .select(x::id)
                .first(conn)
                .optional()?;
            if let Some(id) = open {
                diesel::update(x::table.filter(x::id.eq(id)))
                    .set((
                        x::answered_at.eq(Some(to_db_time(at))),
                        x::answer.eq(Some(answer)),
                    ))
                    .execute(conn)?;
            }
        }
        None => {}
    }
    Ok(())
}

/// The rounds of questions and answers of a filing, oldest first.
pub fn exchanges(conn: &mut DbConnection, filing: &str) -> Result<Vec<Exchange>, PersistenceError> {
    type Row = (
        NaiveDateTime,
        String,
        String,
        Option<NaiveDateTime>,
        Option<String>,
    );
    let rows: Vec<Row> = x::table
        .filter(x::filing_id.eq(filing))
        .order(x::id.asc())
        .select((
            x::asked_at,
            x::asked_by,
            x::question,
            x::answered_at,
            x::answer,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(asked_at, asked_by, question, answered_at, answer)| Exchange {
                asked_at: from_db_time(asked_at),
                asked_by,
                question,
                answered_at: answered_at.map(from_db_time),
                answer,
            },
        )
        .collect())
}

/// Saves a command's effects inside the caller's write transaction: [`save_state`], then
/// the audit event, last (the audit chain's lock is held from there to the commit).
pub fn save(conn: &mut DbConnection, effects: &Effects) -> Result<bool, PersistenceError> {
    if !save_state(conn, effects)? {
        return Ok(false);
    }
    crate::audit::append(conn, &effects.audit)?;
    Ok(true)
}

/// The owner's filings, newest first, after the cursor `(created_at, id)`; only those
/// made through `channel` (a partner's id) when given.
pub fn list_owned(
    conn: &mut DbConnection,
    owner: &str,
    channel: Option<&str>,
    status: Option<FilingStatus>,
    before: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> Result<Vec<Filing>, PersistenceError> {
    let mut query = f::table.filter(f::owner_id.eq(owner)).into_boxed();
    if let Some(channel) = channel {
        query = query.filter(f::channel.eq(channel));
    }
    if let Some(status) = status {
        query = query.filter(f::status.eq(status.as_str()));
    }
    if let Some((created, id)) = before {
        query = query.filter(
            f::created_at
                .lt(created)
                .or(f::created_at.eq(created).and(f::id.lt(id))),
        );
    }
    typed(
        query
            .order((f::created_at.desc(), f::id.desc()))
            .limit(limit)
            .select(FilingRow::as_select())
            .load(conn)?,
    )
}

/// How many filings `owner` submitted since `since`. Call [`lock_owner`] first in the
/// same transaction when the count decides a write (the daily quota).
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

/// Serialises the transactions that count and then write one owner's submissions (the
/// daily quota): on PostgreSQL a transaction-scoped advisory lock on the owner; SQLite's
/// write transactions are serial already (`BEGIN IMMEDIATE`).
pub fn lock_owner(conn: &mut DbConnection, owner: &str) -> Result<(), PersistenceError> {
    if let DbConnection::Postgresql(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))")
            .bind::<diesel::sql_types::Text, _>(format!("quota:{owner}"))
            .execute(pg)?;
    }
    Ok(())
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

/// The status of the filing with this reference number (its code), `None` when no
/// filing has it or it was erased: what a receipt's check asks.
pub fn status_by_reference(
    conn: &mut DbConnection,
    reference: &str,
) -> Result<Option<String>, PersistenceError> {
    Ok(f::table
        .filter(f::reference.eq(reference))
        .filter(f::erased_at.is_null())
        .select(f::status)
        .first::<String>(conn)
        .optional()?)
}

pub fn history(conn: &mut DbConnection, filing: &str) -> Result<Vec<HistoryRow>, PersistenceError> {
    Ok(h::table
        .filter(h::filing_id.eq(filing))
        .order(h::id.asc())
        .select(HistoryRow::as_select())
        .load(conn)?)
}

/// Filters of a unit's queue.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub statuses: Vec<FilingStatus>,
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
) -> Result<Vec<Filing>, PersistenceError> {
    let mut query = f::table
        .filter(f::unit_id.eq(unit))
        .filter(f::submitted_at.is_not_null())
        .filter(f::erased_at.is_null())
        // A restricted filing (kept as evidence, Art. 16(3)) leaves the ordinary queue.
        .filter(diesel::dsl::not(diesel::dsl::exists(
            crate::schema::filing_restrictions::table
                .filter(crate::schema::filing_restrictions::filing_id.eq(f::id)),
        )))
        .into_boxed();
    // One status is compared with `=`: the index (unit_id, status, submitted_at, id) then
    // yields the rows already in queue order, and a page reads only its own rows
    // (`= ANY(...)` makes PostgreSQL fetch every match and sort them).
    match filter.statuses.as_slice() {
        [] => {}
        [status] => query = query.filter(f::status.eq(status.as_str())),
        statuses => query = query.filter(f::status.eq_any(statuses.iter().map(|s| s.as_str()))),
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
    typed(
        query
            .order((f::submitted_at.asc(), f::id.asc()))
            .limit(limit)
            .select(FilingRow::as_select())
            .load(conn)?,
    )
}

#[derive(QueryableByName)]
struct SequenceValue {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    last_value: i64,
}

/// The next number of `unit`'s record sequence for `year`, atomically: one upsert that
/// creates the sequence at 1 or increments it. Concurrent registrations in one unit each
/// get their own number (on PostgreSQL the sequence row stays locked until the commit;
/// SQLite's write transactions are serial).
pub fn next_record_sequence(
    conn: &mut DbConnection,
    unit: &str,
    year: i32,
) -> Result<i64, PersistenceError> {
    use diesel::sql_types::{Integer, Text};
    let query = crate::db::sql_query(
        conn,
        "INSERT INTO record_sequences (unit_id, year, last_value) VALUES ($1, $2, 1) \
         ON CONFLICT (unit_id, year) DO UPDATE SET last_value = record_sequences.last_value + 1 \
         RETURNING last_value",
    )
    .bind::<Text, _>(unit)
    .bind::<Integer, _>(year);
    let rows: Vec<SequenceValue> = crate::on_backend!(conn, query, load)?;
    rows.first()
        .map(|r| r.last_value)
        .ok_or(PersistenceError::Query(diesel::result::Error::NotFound))
}

/// Whether `number` is already a record number (they are unique: a unit's numbers start
/// with the unit's own number).
pub fn record_number_taken(
    conn: &mut DbConnection,
    number: &str,
) -> Result<bool, PersistenceError> {
    Ok(diesel::select(diesel::dsl::exists(
        f::table.filter(f::record_number.eq(number)),
    ))
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

/// An internal note of a unit on a filing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub author_id: String,
    pub unit_id: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// Internal notes of a filing, oldest first.
pub fn notes(conn: &mut DbConnection, filing: &str) -> Result<Vec<Note>, PersistenceError> {
    let rows: Vec<(String, String, String, NaiveDateTime)> = n::table
        .filter(n::filing_id.eq(filing))
        .order(n::id.asc())
        .select((n::author_id, n::unit_id, n::body, n::created_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(author_id, unit_id, body, at)| Note {
            author_id,
            unit_id,
            body,
            created_at: from_db_time(at),
        })
        .collect())
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

//! The chat's metadata (`chat_conversations`, `chat_agents`) and its relay through
//! PostgreSQL `LISTEN/NOTIFY`. No function here takes or stores what was said: a
//! message is only ever a `NOTIFY` payload (`notify`), read back by every instance's
//! listener (`Listener`), never a row.
//!
//! Taking the next conversation locks the desk's waiting rows `FOR UPDATE` on
//! PostgreSQL: two agents never take the same one (the second waits, then sees it taken);
//! SQLite's write transactions are serial.

use crate::db::DbConnection;
use crate::error::PersistenceError;
use crate::idempotency::{from_db_time, to_db_time};
use crate::schema::{chat_agents as ag, chat_conversations as cc};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use domain::chat::{AgentStatus, ChatOutcome, ChatStatus, ChatTopic, Waiting};
use domain::i18n::Lang;

/// The `NOTIFY` channel of the chat relay.
pub const CHANNEL: &str = "ecom_chat";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = cc)]
struct Row {
    id: String,
    desk_unit_id: String,
    country: String,
    topic: String,
    language: String,
    anonymous: i32,
    status: String,
    opened_at: NaiveDateTime,
    taken_at: Option<NaiveDateTime>,
    closed_at: Option<NaiveDateTime>,
    agent_id: Option<String>,
    outcome: Option<String>,
    token_hash: Option<String>,
    citizen_id: Option<String>,
}

/// A conversation's metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredConversation {
    pub id: String,
    pub desk: String,
    pub country: String,
    pub topic: ChatTopic,
    pub language: Lang,
    pub anonymous: bool,
    pub status: ChatStatus,
    pub opened_at: DateTime<Utc>,
    pub taken_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub agent_id: Option<String>,
    pub outcome: Option<ChatOutcome>,
    pub token_hash: Option<String>,
    pub citizen_id: Option<String>,
}

impl TryFrom<Row> for StoredConversation {
    type Error = PersistenceError;

    fn try_from(row: Row) -> Result<Self, Self::Error> {
        let corrupt = |field: &'static str, cause: String| PersistenceError::CorruptRow {
            table: "chat_conversations",
            id: row.id.clone(),
            field,
            cause,
        };
        let code = |field, e: domain::UnknownCode| corrupt(field, e.to_string());
        Ok(StoredConversation {
            topic: row.topic.parse().map_err(|e| code("topic", e))?,
            language: row
                .language
                .parse()
                .map_err(|_| corrupt("language", row.language.clone()))?,
            status: row.status.parse().map_err(|e| code("status", e))?,
            outcome: row
                .outcome
                .as_deref()
                .map(str::parse)
                .transpose()
                .map_err(|e| code("outcome", e))?,
            id: row.id,
            desk: row.desk_unit_id,
            country: row.country,
            anonymous: row.anonymous != 0,
            opened_at: from_db_time(row.opened_at),
            taken_at: row.taken_at.map(from_db_time),
            closed_at: row.closed_at.map(from_db_time),
            agent_id: row.agent_id,
            token_hash: row.token_hash,
            citizen_id: row.citizen_id,
        })
    }
}

/// A new conversation.
pub struct NewConversation<'a> {
    pub id: &'a str,
    pub desk: &'a str,
    pub country: &'a str,
    pub topic: ChatTopic,
    pub language: Lang,
    pub token_hash: &'a str,
    pub citizen_id: Option<&'a str>,
    pub now: DateTime<Utc>,
}

pub fn insert(conn: &mut DbConnection, new: &NewConversation<'_>) -> Result<(), PersistenceError> {
    let now = to_db_time(new.now);
    diesel::insert_into(cc::table)
        .values((
            cc::id.eq(new.id),
            cc::desk_unit_id.eq(new.desk),
            cc::country.eq(new.country),
            cc::topic.eq(new.topic.as_str()),
            cc::language.eq(new.language.as_str()),
            cc::anonymous.eq(i32::from(new.citizen_id.is_none())),
            cc::status.eq(ChatStatus::Waiting.as_str()),
            cc::opened_at.eq(now),
            cc::last_activity_at.eq(now),
            cc::token_hash.eq(new.token_hash),
            cc::citizen_id.eq(new.citizen_id),
        ))
        .execute(conn)?;
    Ok(())
}

/// The conversation `id`, locked for update on PostgreSQL when `lock`.
pub fn find(
    conn: &mut DbConnection,
    id: &str,
    lock: bool,
) -> Result<Option<StoredConversation>, PersistenceError> {
    let query = || cc::table.filter(cc::id.eq(id));
    let row: Option<Row> = match conn {
        DbConnection::Postgresql(pg) if lock => query()
            .select(Row::as_select())
            .for_update()
            .first(pg)
            .optional()?,
        _ => query().select(Row::as_select()).first(conn).optional()?,
    };
    row.map(StoredConversation::try_from).transpose()
}

/// The open conversations held by `agent`.
pub fn held_by(
    conn: &mut DbConnection,
    agent: &str,
) -> Result<Vec<StoredConversation>, PersistenceError> {
    let rows: Vec<Row> = cc::table
        .filter(cc::agent_id.eq(agent))
        .filter(cc::status.eq(ChatStatus::Active.as_str()))
        .order(cc::taken_at.asc())
        .select(Row::as_select())
        .load(conn)?;
    rows.into_iter().map(StoredConversation::try_from).collect()
}

/// The desk's waiting conversations, oldest first (locked on PostgreSQL when `lock`; not
/// skipping locked rows: a row is locked briefly by the idle clock's update too, and
/// skipping it would answer "nobody waiting" wrongly).
pub fn waiting(
    conn: &mut DbConnection,
    desk: &str,
    lock: bool,
    limit: i64,
) -> Result<Vec<Waiting>, PersistenceError> {
    let query = || {
        cc::table
            .filter(cc::desk_unit_id.eq(desk))
            .filter(cc::status.eq(ChatStatus::Waiting.as_str()))
            .order((cc::opened_at.asc(), cc::id.asc()))
            .limit(limit)
            .select((cc::id, cc::language, cc::opened_at))
    };
    let rows: Vec<(String, String, NaiveDateTime)> = match conn {
        DbConnection::Postgresql(pg) if lock => query().for_update().load(pg)?,
        _ => query().load(conn)?,
    };
    Ok(rows
        .into_iter()
        .map(|(id, language, opened_at)| Waiting {
            language: language.parse().unwrap_or(Lang::En),
            id,
            opened_at: from_db_time(opened_at),
        })
        .collect())
}

/// How many of the desk's conversations opened before `opened_at` still wait.
pub fn waiting_before(
    conn: &mut DbConnection,
    desk: &str,
    opened_at: DateTime<Utc>,
) -> Result<u64, PersistenceError> {
    let n: i64 = cc::table
        .filter(cc::desk_unit_id.eq(desk))
        .filter(cc::status.eq(ChatStatus::Waiting.as_str()))
        .filter(cc::opened_at.lt(to_db_time(opened_at)))
        .count()
        .get_result(conn)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// An agent takes (or receives by transfer) a conversation.
pub fn assign(
    conn: &mut DbConnection,
    id: &str,
    agent: &str,
    now: DateTime<Utc>,
    transfer: bool,
) -> Result<(), PersistenceError> {
    let now_db = to_db_time(now);
    if transfer {
        diesel::update(cc::table.filter(cc::id.eq(id)))
            .set((
                cc::agent_id.eq(agent),
                cc::transfers.eq(cc::transfers + 1),
                cc::last_activity_at.eq(now_db),
            ))
            .execute(conn)?;
        return Ok(());
    }
    let opened: NaiveDateTime = cc::table
        .filter(cc::id.eq(id))
        .select(cc::opened_at)
        .first(conn)?;
    let wait = (now - from_db_time(opened)).num_seconds().max(0);
    diesel::update(cc::table.filter(cc::id.eq(id)))
        .set((
            cc::status.eq(ChatStatus::Active.as_str()),
            cc::agent_id.eq(agent),
            cc::taken_at.eq(now_db),
            cc::wait_secs.eq(wait),
            cc::last_activity_at.eq(now_db),
        ))
        .execute(conn)?;
    Ok(())
}

/// Closes a conversation with its outcome and erases what was needed only while it was
/// open (the token's hash, the citizen's id).
pub fn close(
    conn: &mut DbConnection,
    id: &str,
    outcome: ChatOutcome,
    now: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    diesel::update(cc::table.filter(cc::id.eq(id)))
        .set((
            cc::status.eq(ChatStatus::Closed.as_str()),
            cc::outcome.eq(outcome.as_str()),
            cc::closed_at.eq(to_db_time(now)),
            cc::token_hash.eq(None::<String>),
            cc::citizen_id.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records that something was said in the conversation (the idle clock restarts).
pub fn touch(
    conn: &mut DbConnection,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    diesel::update(
        cc::table
            .filter(cc::id.eq(id))
            .filter(cc::status.ne(ChatStatus::Closed.as_str())),
    )
    .set(cc::last_activity_at.eq(to_db_time(now)))
    .execute(conn)?;
    Ok(())
}

/// Open conversations silent since before `before` (locked, skipping, on PostgreSQL).
pub fn idle(
    conn: &mut DbConnection,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<StoredConversation>, PersistenceError> {
    let before = to_db_time(before);
    let query = || {
        cc::table
            .filter(cc::status.ne(ChatStatus::Closed.as_str()))
            .filter(cc::last_activity_at.lt(before))
            .order(cc::last_activity_at.asc())
            .limit(limit)
    };
    let rows: Vec<Row> = match conn {
        DbConnection::Postgresql(pg) => query()
            .select(Row::as_select())
            .for_update()
            .skip_locked()
            .load(pg)?,
        DbConnection::Sqlite(_) => query().select(Row::as_select()).load(conn)?,
    };
    rows.into_iter().map(StoredConversation::try_from).collect()
}

/// An agent's presence at a desk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAgent {
    pub agent_id: String,
    pub status: AgentStatus,
    pub languages: Vec<Lang>,
}

/// Sets the agent's presence and languages at the desk.
pub fn set_agent(
    conn: &mut DbConnection,
    desk: &str,
    agent: &StoredAgent,
    now: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    let languages = agent
        .languages
        .iter()
        .map(|l| l.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let key = ag::table
        .filter(ag::agent_id.eq(&agent.agent_id))
        .filter(ag::desk_unit_id.eq(desk));
    let changed = diesel::update(key)
        .set((
            ag::status.eq(agent.status.as_str()),
            ag::languages.eq(&languages),
            ag::updated_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    if changed == 0 {
        diesel::insert_into(ag::table)
            .values((
                ag::agent_id.eq(&agent.agent_id),
                ag::desk_unit_id.eq(desk),
                ag::status.eq(agent.status.as_str()),
                ag::languages.eq(&languages),
                ag::updated_at.eq(to_db_time(now)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The agent's presence at the desk (away when never set).
pub fn agent(
    conn: &mut DbConnection,
    desk: &str,
    agent_id: &str,
) -> Result<StoredAgent, PersistenceError> {
    let row: Option<(String, String)> = ag::table
        .filter(ag::agent_id.eq(agent_id))
        .filter(ag::desk_unit_id.eq(desk))
        .select((ag::status, ag::languages))
        .first(conn)
        .optional()?;
    let (status, languages) = row.unwrap_or_else(|| ("away".into(), String::new()));
    Ok(StoredAgent {
        agent_id: agent_id.to_owned(),
        status: status.parse().unwrap_or(AgentStatus::Away),
        languages: languages
            .split(',')
            .filter_map(|l| l.parse().ok())
            .collect(),
    })
}

/// How many agents of the desk are available.
pub fn available_agents(conn: &mut DbConnection, desk: &str) -> Result<u64, PersistenceError> {
    let n: i64 = ag::table
        .filter(ag::desk_unit_id.eq(desk))
        .filter(ag::status.eq(AgentStatus::Available.as_str()))
        .count()
        .get_result(conn)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// How many open conversations the agent holds.
pub fn held_count(conn: &mut DbConnection, agent: &str) -> Result<u64, PersistenceError> {
    let n: i64 = cc::table
        .filter(cc::agent_id.eq(agent))
        .filter(cc::status.eq(ChatStatus::Active.as_str()))
        .count()
        .get_result(conn)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Sends the payloads on the relay's channel (PostgreSQL only), in one transaction: they
/// are delivered at its commit, in order. The commit does not wait for the WAL to reach
/// the disk (`synchronous_commit = off`): a relayed message needs no durability, and a
/// `NOTIFY` takes a transaction id, so each would otherwise wait for an fsync.
pub fn notify(conn: &mut DbConnection, payloads: &[String]) -> Result<(), PersistenceError> {
    if let DbConnection::Postgresql(pg) = conn {
        notify_pg(pg, payloads)?;
    }
    Ok(())
}

fn notify_pg(pg: &mut diesel::PgConnection, payloads: &[String]) -> Result<(), PersistenceError> {
    pg.transaction(|c| {
        diesel::sql_query("SET LOCAL synchronous_commit TO OFF").execute(c)?;
        for payload in payloads {
            diesel::sql_query("SELECT pg_notify($1, $2)")
                .bind::<diesel::sql_types::Text, _>(CHANNEL)
                .bind::<diesel::sql_types::Text, _>(payload)
                .execute(c)?;
        }
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(())
}

/// The `application_name` of every instance's listening connection (operators and tests
/// find it in `pg_stat_activity`).
pub const LISTENER_NAME: &str = "ecom-chat-relay";

/// A connection listening on the relay's channel (PostgreSQL).
pub struct Listener {
    conn: diesel::PgConnection,
}

impl Listener {
    /// Starts listening on `conn` (a dedicated connection, not one of the pool's);
    /// `None` on SQLite.
    pub fn start(conn: DbConnection) -> Result<Option<Listener>, PersistenceError> {
        match conn {
            DbConnection::Postgresql(mut pg) => {
                diesel::sql_query(format!("SET application_name = '{LISTENER_NAME}'"))
                    .execute(&mut pg)?;
                diesel::sql_query(format!("LISTEN {CHANNEL}")).execute(&mut pg)?;
                Ok(Some(Listener { conn: pg }))
            }
            DbConnection::Sqlite(_) => Ok(None),
        }
    }

    /// Sends the payloads on the relay's channel from this connection (see [`notify`]).
    pub fn notify(&mut self, payloads: &[String]) -> Result<(), PersistenceError> {
        if payloads.is_empty() {
            return Ok(());
        }
        notify_pg(&mut self.conn, payloads)
    }

    /// The payloads received since the last call (never blocks).
    pub fn drain(&mut self) -> Result<Vec<String>, PersistenceError> {
        let mut out = Vec::new();
        for notification in self.conn.notifications_iter() {
            out.push(notification?.payload);
        }
        Ok(out)
    }
}

/// The desk's agents (every one that ever set a presence there).
pub fn agents(conn: &mut DbConnection, desk: &str) -> Result<Vec<StoredAgent>, PersistenceError> {
    let rows: Vec<(String, String, String)> = ag::table
        .filter(ag::desk_unit_id.eq(desk))
        .order(ag::agent_id.asc())
        .select((ag::agent_id, ag::status, ag::languages))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(agent_id, status, languages)| StoredAgent {
            agent_id,
            status: status.parse().unwrap_or(AgentStatus::Away),
            languages: languages
                .split(',')
                .filter_map(|l| l.parse().ok())
                .collect(),
        })
        .collect())
}

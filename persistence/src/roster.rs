//! The officers known to each unit (`unit_members`): recorded when an officer whose token
//! lists a membership of the unit uses the unit's back office. It is what "a colleague of
//! the unit" means when a filing is assigned to someone else.

use crate::db::DbConnection;
use crate::error::PersistenceError;
use crate::idempotency::{from_db_time, to_db_time};
use crate::schema::unit_members as m;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// A member of a unit, as last seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub officer_id: String,
    /// The name the police identity provider gave at the last visit, when it gave one.
    pub name: Option<String>,
    pub role: String,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

#[derive(Insertable)]
#[diesel(table_name = m)]
struct NewMember<'a> {
    unit_id: &'a str,
    officer_id: &'a str,
    name: Option<&'a str>,
    role: &'a str,
    first_seen_at: NaiveDateTime,
    last_seen_at: NaiveDateTime,
}

/// How fresh `last_seen_at` is kept: a visit within this many seconds of the recorded
/// one, with the same role and name, writes nothing. Every back-office request records
/// its officer, so writing each time made all the requests of one officer queue on that
/// member's row lock until their transactions committed (measured: 8 concurrent queue
/// readers spent most of their time waiting on it; bench/RESULTS.md, 2026-11-30).
pub const SEEN_GRANULARITY_SECONDS: i64 = 60;

/// Records that `officer` acted as a member of `unit` at `now` (their role, and their
/// name when the token gives one, as of now; a token without a name keeps the known one),
/// to [`SEEN_GRANULARITY_SECONDS`]: an unchanged member seen recently is only read.
/// Safe inside a transaction and under concurrency: the insert runs in a savepoint, and
/// losing the race to insert the same member turns into an update.
pub fn seen(
    conn: &mut DbConnection,
    unit: &str,
    officer: &str,
    role: &str,
    name: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    if up_to_date(conn, unit, officer, role, name, now)? {
        return Ok(());
    }
    let at = to_db_time(now);
    let touch = |conn: &mut DbConnection| {
        let member = m::table
            .filter(m::unit_id.eq(unit))
            .filter(m::officer_id.eq(officer));
        match name {
            Some(name) => diesel::update(member)
                .set((m::role.eq(role), m::last_seen_at.eq(at), m::name.eq(name)))
                .execute(conn),
            None => diesel::update(member)
                .set((m::role.eq(role), m::last_seen_at.eq(at)))
                .execute(conn),
        }
    };
    if touch(conn)? > 0 {
        return Ok(());
    }
    let inserted = conn.transaction(|c| {
        diesel::insert_into(m::table)
            .values(NewMember {
                unit_id: unit,
                officer_id: officer,
                name,
                role,
                first_seen_at: at,
                last_seen_at: at,
            })
            .execute(c)
    });
    match inserted {
        Ok(_) => Ok(()),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            touch(conn)?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether [`seen`] at `now` would write nothing: `officer` is a member of `unit` with
/// this role (and this name, when one is given), seen within
/// [`SEEN_GRANULARITY_SECONDS`] of `now`. One read, no lock: a caller that gets `true`
/// may skip the write transaction altogether.
pub fn up_to_date(
    conn: &mut DbConnection,
    unit: &str,
    officer: &str,
    role: &str,
    name: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool, PersistenceError> {
    let known: Option<(String, Option<String>, NaiveDateTime)> = m::table
        .filter(m::unit_id.eq(unit))
        .filter(m::officer_id.eq(officer))
        .select((m::role, m::name, m::last_seen_at))
        .first(conn)
        .optional()?;
    Ok(known.is_some_and(|(known_role, known_name, last)| {
        let fresh = (to_db_time(now) - last).num_seconds().abs() < SEEN_GRANULARITY_SECONDS;
        let same_name = name.is_none() || name == known_name.as_deref();
        fresh && known_role == role && same_name
    }))
}

/// Whether `officer` is a known member of `unit`.
pub fn is_member(
    conn: &mut DbConnection,
    unit: &str,
    officer: &str,
) -> Result<bool, PersistenceError> {
    Ok(diesel::select(diesel::dsl::exists(
        m::table
            .filter(m::unit_id.eq(unit))
            .filter(m::officer_id.eq(officer)),
    ))
    .get_result(conn)?)
}

/// The known members of `unit`, most recently seen first.
pub fn members(conn: &mut DbConnection, unit: &str) -> Result<Vec<Member>, PersistenceError> {
    type Row = (String, Option<String>, String, NaiveDateTime, NaiveDateTime);
    let rows: Vec<Row> = m::table
        .filter(m::unit_id.eq(unit))
        .order((m::last_seen_at.desc(), m::officer_id.asc()))
        .select((
            m::officer_id,
            m::name,
            m::role,
            m::first_seen_at,
            m::last_seen_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(officer_id, name, role, first, last)| Member {
            officer_id,
            name,
            role,
            first_seen_at: from_db_time(first),
            last_seen_at: from_db_time(last),
        })
        .collect())
}

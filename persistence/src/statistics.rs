//! The open statistics' store (docs/STATISTICS.md).
//!
//! - **The summary** (`statistics_cells`, `statistics_times`): counts and time
//!   histograms (whole hours) by procedure, country, unit, municipality (a district's
//!   city), ISO week and month of submission, built by `domain::statistics::summarise`
//!   from the filings and their history. [`refresh`] rebuilds the months of the filings
//!   changed since the last refresh (all months the first time); it is safe with two
//!   instances: on PostgreSQL it takes a transaction-scoped advisory lock and gives up
//!   when another instance holds it; SQLite's write transactions are serial.
//! - **The table's query** ([`counts`], [`times`], [`counter`]) reads the summary of a
//!   window of months, grouped in SQL by the dimensions asked for (the region by the
//!   municipality), served by the summary's primary key (it starts with the month).
//! - **Counter counts** ([`replace_counter_counts`]): per unit, procedure and month.

use crate::db::DbConnection;
use crate::error::PersistenceError;
use crate::idempotency::{from_db_time, to_db_time};
use crate::schema::{counter_counts, statistics_cells, statistics_refreshes, statistics_times};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
use domain::statistics::counter::CounterLine;
use domain::statistics::{
    summarise, BaseRow, CounterRow, Dimension, Fact, Key, TimeKind, TimeRow, END_STATUSES,
    IN_CHARGE_STATUS,
};
use std::collections::BTreeSet;

/// The advisory lock of the refresh (PostgreSQL).
const REFRESH_LOCK_ID: i64 = 22_001;
/// Filings changed this long before the last refresh started are looked at again (a
/// transaction may commit after the refresh read the filings).
const MARGIN_MINUTES: i64 = 10;
/// Rows per multi-row insert.
const CHUNK: usize = 500;

/// What a refresh did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefreshReport {
    /// Whether another instance was refreshing (nothing done).
    pub skipped: bool,
    /// The months rebuilt (`YYYY-MM`).
    pub months: Vec<String>,
    /// Filings summarised.
    pub filings: usize,
    /// Summary rows written (counts and times).
    pub rows: usize,
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    locked: bool,
}

#[derive(QueryableByName)]
struct Submitted {
    #[diesel(sql_type = Timestamp)]
    submitted_at: NaiveDateTime,
}

#[derive(QueryableByName)]
struct FactRow {
    #[diesel(sql_type = Text)]
    procedure: String,
    #[diesel(sql_type = Text)]
    country: String,
    #[diesel(sql_type = Text)]
    unit: String,
    #[diesel(sql_type = Text)]
    municipality: String,
    #[diesel(sql_type = Timestamp)]
    submitted_at: NaiveDateTime,
    #[diesel(sql_type = Nullable<Timestamp>)]
    in_charge_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    ended_at: Option<NaiveDateTime>,
    #[diesel(sql_type = BigInt)]
    registered: i64,
    #[diesel(sql_type = BigInt)]
    rejected: i64,
    #[diesel(sql_type = BigInt)]
    redirected: i64,
}

#[derive(Insertable)]
#[diesel(table_name = statistics_cells)]
struct NewCell {
    month: String,
    week: String,
    procedure_code: String,
    country: String,
    unit_id: String,
    municipality_id: String,
    submitted: i64,
    registered: i64,
    rejected: i64,
    redirected: i64,
}

#[derive(Insertable)]
#[diesel(table_name = statistics_times)]
struct NewTime {
    month: String,
    week: String,
    procedure_code: String,
    country: String,
    unit_id: String,
    municipality_id: String,
    kind: String,
    hours: i64,
    filings: i64,
}

fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn unsigned(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// `$n` on PostgreSQL, `?n` on SQLite.
/// Parameter `n` in `conn`'s syntax (`crate::db::numbered`).
fn placeholder(conn: &DbConnection, n: usize) -> String {
    crate::db::numbered(conn, &format!("${n}"))
}

macro_rules! load {
    ($conn:expr, $query:expr) => {
        crate::on_backend!($conn, $query, load)
    };
}

fn facts_sql(conn: &DbConnection) -> String {
    let ends = END_STATUSES
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let reached = |status: &str| {
        format!(
            "CAST(CASE WHEN EXISTS (SELECT 1 FROM filing_history h WHERE h.filing_id = f.id \
             AND h.to_status = '{status}') THEN 1 ELSE 0 END AS BIGINT)"
        )
    };
    format!(
        "SELECT f.procedure_code AS procedure, f.country AS country, \
         COALESCE(f.unit_id, '') AS unit, COALESCE(m.part_of, f.municipality_id, '') AS municipality, \
         f.submitted_at AS submitted_at, \
         (SELECT MIN(h.occurred_at) FROM filing_history h WHERE h.filing_id = f.id \
          AND h.to_status = '{IN_CHARGE_STATUS}') AS in_charge_at, \
         (SELECT MIN(h.occurred_at) FROM filing_history h WHERE h.filing_id = f.id \
          AND h.to_status IN ({ends})) AS ended_at, \
         {} AS registered, {} AS rejected, {} AS redirected \
         FROM filings f LEFT JOIN directory_municipalities m ON m.id = f.municipality_id \
         WHERE f.submitted_at IS NOT NULL AND f.submitted_at >= {} AND f.submitted_at < {}",
        reached("registered"),
        reached("rejected"),
        reached("redirected"),
        placeholder(conn, 1),
        placeholder(conn, 2),
    )
}

fn month_start(month: &str) -> Option<NaiveDateTime> {
    NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .ok()
        .map(|d| d.and_time(chrono::NaiveTime::MIN))
}

fn facts(conn: &mut DbConnection, month: &str) -> Result<Vec<Fact>, PersistenceError> {
    let Some(from) = month_start(month) else {
        return Ok(Vec::new());
    };
    let until = from
        .date()
        .checked_add_months(chrono::Months::new(1))
        .map(|d| d.and_time(chrono::NaiveTime::MIN))
        .unwrap_or(from);
    let sql = facts_sql(conn);
    let query = diesel::sql_query(sql)
        .bind::<Timestamp, _>(from)
        .bind::<Timestamp, _>(until);
    let rows: Vec<FactRow> = load!(conn, query)?;
    Ok(rows
        .into_iter()
        .map(|r| Fact {
            procedure: r.procedure,
            country: r.country,
            unit: r.unit,
            municipality: r.municipality,
            submitted_at: from_db_time(r.submitted_at),
            in_charge_at: r.in_charge_at.map(from_db_time),
            ended_at: r.ended_at.map(from_db_time),
            reached: [r.registered > 0, r.rejected > 0, r.redirected > 0],
        })
        .collect())
}

/// The months whose summary is out of date: those of the filings changed since `since`
/// (all months when `None`).
fn stale_months(
    conn: &mut DbConnection,
    since: Option<NaiveDateTime>,
) -> Result<BTreeSet<String>, PersistenceError> {
    let rows: Vec<Submitted> = match since {
        Some(since) => {
            let sql = format!(
                "SELECT submitted_at FROM filings WHERE submitted_at IS NOT NULL AND updated_at >= {}",
                placeholder(conn, 1)
            );
            let query = diesel::sql_query(sql).bind::<Timestamp, _>(since);
            load!(conn, query)?
        }
        None => {
            let query = diesel::sql_query(
                "SELECT submitted_at FROM filings WHERE submitted_at IS NOT NULL",
            );
            load!(conn, query)?
        }
    };
    Ok(rows
        .into_iter()
        .map(|r| format!("{:04}-{:02}", r.submitted_at.year(), r.submitted_at.month()))
        .collect())
}

fn write_month(
    conn: &mut DbConnection,
    month: &str,
    counts: Vec<BaseRow>,
    times: Vec<TimeRow>,
) -> Result<usize, PersistenceError> {
    diesel::delete(statistics_cells::table.filter(statistics_cells::month.eq(month)))
        .execute(conn)?;
    diesel::delete(statistics_times::table.filter(statistics_times::month.eq(month)))
        .execute(conn)?;
    let cells: Vec<NewCell> = counts
        .into_iter()
        .map(|r| NewCell {
            month: r.key.month,
            week: r.key.week,
            procedure_code: r.key.procedure,
            country: r.key.country,
            unit_id: r.key.unit,
            municipality_id: r.key.municipality,
            submitted: signed(r.counts[0]),
            registered: signed(r.counts[1]),
            rejected: signed(r.counts[2]),
            redirected: signed(r.counts[3]),
        })
        .collect();
    let times: Vec<NewTime> = times
        .into_iter()
        .map(|t| NewTime {
            month: t.key.month,
            week: t.key.week,
            procedure_code: t.key.procedure,
            country: t.key.country,
            unit_id: t.key.unit,
            municipality_id: t.key.municipality,
            kind: t.kind.as_str().to_owned(),
            hours: signed(t.hours),
            filings: signed(t.filings),
        })
        .collect();
    let written = cells.len() + times.len();
    for chunk in cells.chunks(CHUNK) {
        match conn {
            DbConnection::Postgresql(pg) => diesel::insert_into(statistics_cells::table)
                .values(chunk)
                .execute(pg)?,
            DbConnection::Sqlite(sqlite) => diesel::insert_into(statistics_cells::table)
                .values(chunk)
                .execute(sqlite)?,
        };
    }
    for chunk in times.chunks(CHUNK) {
        match conn {
            DbConnection::Postgresql(pg) => diesel::insert_into(statistics_times::table)
                .values(chunk)
                .execute(pg)?,
            DbConnection::Sqlite(sqlite) => diesel::insert_into(statistics_times::table)
                .values(chunk)
                .execute(sqlite)?,
        };
    }
    Ok(written)
}

/// Rebuilds the summary of the months of the filings changed since the last refresh
/// started (less a margin; every month the first time), in one transaction. `full`
/// rebuilds every month.
pub fn refresh(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    full: bool,
) -> Result<RefreshReport, PersistenceError> {
    conn.write_transaction(|conn| {
        if let DbConnection::Postgresql(pg) = conn {
            let locked: Locked = diesel::sql_query(format!(
                "SELECT pg_try_advisory_xact_lock({REFRESH_LOCK_ID}) AS locked"
            ))
            .get_result(pg)?;
            if !locked.locked {
                return Ok(RefreshReport {
                    skipped: true,
                    ..RefreshReport::default()
                });
            }
        }
        let last: Option<NaiveDateTime> = statistics_refreshes::table
            .select(statistics_refreshes::started_at)
            .filter(statistics_refreshes::id.eq(1))
            .first(conn)
            .optional()?;
        let since = if full {
            None
        } else {
            last.map(|t| t - Duration::minutes(MARGIN_MINUTES))
        };
        let mut months = stale_months(conn, since)?;
        if since.is_none() {
            // Months summarised before whose filings are gone are emptied too.
            let old: Vec<String> = statistics_cells::table
                .select(statistics_cells::month)
                .distinct()
                .load(conn)?;
            months.extend(old);
        }
        let mut report = RefreshReport::default();
        for month in &months {
            let facts = facts(conn, month)?;
            report.filings += facts.len();
            let (counts, times) = summarise(&facts);
            report.rows += write_month(conn, month, counts, times)?;
        }
        report.months = months.into_iter().collect();
        let started = to_db_time(now);
        diesel::delete(statistics_refreshes::table).execute(conn)?;
        diesel::insert_into(statistics_refreshes::table)
            .values((
                statistics_refreshes::id.eq(1),
                statistics_refreshes::started_at.eq(started),
            ))
            .execute(conn)?;
        Ok(report)
    })
}

/// When the summary was last refreshed, if ever.
pub fn refreshed_at(conn: &mut DbConnection) -> Result<Option<DateTime<Utc>>, PersistenceError> {
    let last: Option<NaiveDateTime> = statistics_refreshes::table
        .select(statistics_refreshes::started_at)
        .first(conn)
        .optional()?;
    Ok(last.map(from_db_time))
}

/// The summary's columns to group by for `dims` (the region by the municipality).
fn columns(dims: &[Dimension]) -> [(&'static str, bool); 6] {
    let has = |d: Dimension| dims.contains(&d);
    [
        ("procedure_code", has(Dimension::Procedure)),
        ("country", has(Dimension::Country)),
        ("unit_id", has(Dimension::Unit)),
        (
            "municipality_id",
            has(Dimension::Municipality) || has(Dimension::Region),
        ),
        ("week", has(Dimension::Week)),
        ("month", has(Dimension::Month)),
    ]
}

/// `SELECT` list and `GROUP BY` list of the grouped columns (the others are `''`).
fn grouping(dims: &[Dimension], prefix: &str) -> (String, String) {
    let names = [
        "procedure",
        "country",
        "unit",
        "municipality",
        "week",
        "month",
    ];
    let mut select = Vec::new();
    let mut group = Vec::new();
    for ((column, on), name) in columns(dims).into_iter().zip(names) {
        if on {
            select.push(format!("{prefix}{column} AS {name}"));
            group.push(format!("{prefix}{column}"));
        } else {
            select.push(format!("'' AS {name}"));
        }
    }
    (select.join(", "), group.join(", "))
}

fn group_by(group: &str, extra: &str) -> String {
    match (group.is_empty(), extra.is_empty()) {
        (true, true) => String::new(),
        (true, false) => format!(" GROUP BY {extra}"),
        (false, true) => format!(" GROUP BY {group}"),
        (false, false) => format!(" GROUP BY {group}, {extra}"),
    }
}

#[derive(QueryableByName)]
struct KeyRow {
    #[diesel(sql_type = Text)]
    procedure: String,
    #[diesel(sql_type = Text)]
    country: String,
    #[diesel(sql_type = Text)]
    unit: String,
    #[diesel(sql_type = Text)]
    municipality: String,
    #[diesel(sql_type = Text)]
    week: String,
    #[diesel(sql_type = Text)]
    month: String,
}

impl KeyRow {
    fn key(self) -> Key {
        Key {
            procedure: self.procedure,
            country: self.country,
            unit: self.unit,
            municipality: self.municipality,
            week: self.week,
            month: self.month,
        }
    }
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(embed)]
    key: KeyRow,
    #[diesel(sql_type = BigInt)]
    submitted: i64,
    #[diesel(sql_type = BigInt)]
    registered: i64,
    #[diesel(sql_type = BigInt)]
    rejected: i64,
    #[diesel(sql_type = BigInt)]
    redirected: i64,
}

#[derive(QueryableByName)]
struct HoursRow {
    #[diesel(embed)]
    key: KeyRow,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = BigInt)]
    hours: i64,
    #[diesel(sql_type = BigInt)]
    filings: i64,
}

#[derive(QueryableByName)]
struct SharedRow {
    #[diesel(embed)]
    key: KeyRow,
    #[diesel(sql_type = BigInt)]
    counter: i64,
    #[diesel(sql_type = BigInt)]
    online: i64,
}

/// The summary's counts of the months `[from, to]` (`YYYY-MM`), grouped by `dims`.
pub fn counts(
    conn: &mut DbConnection,
    from: &str,
    to: &str,
    dims: &[Dimension],
) -> Result<Vec<BaseRow>, PersistenceError> {
    let (select, group) = grouping(dims, "");
    let sql = format!(
        "SELECT {select}, CAST(SUM(submitted) AS BIGINT) AS submitted, \
         CAST(SUM(registered) AS BIGINT) AS registered, CAST(SUM(rejected) AS BIGINT) AS rejected, \
         CAST(SUM(redirected) AS BIGINT) AS redirected FROM statistics_cells \
         WHERE month >= {} AND month <= {}{}",
        placeholder(conn, 1),
        placeholder(conn, 2),
        group_by(&group, "")
    );
    let query = diesel::sql_query(sql)
        .bind::<Text, _>(from)
        .bind::<Text, _>(to);
    let rows: Vec<CountRow> = load!(conn, query)?;
    Ok(rows
        .into_iter()
        .filter(|r| r.submitted > 0)
        .map(|r| BaseRow {
            counts: [r.submitted, r.registered, r.rejected, r.redirected].map(unsigned),
            key: r.key.key(),
        })
        .collect())
}

/// The summary's time histograms of the months `[from, to]`, grouped by `dims`.
pub fn times(
    conn: &mut DbConnection,
    from: &str,
    to: &str,
    dims: &[Dimension],
) -> Result<Vec<TimeRow>, PersistenceError> {
    let (select, group) = grouping(dims, "");
    let sql = format!(
        "SELECT {select}, kind, hours, CAST(SUM(filings) AS BIGINT) AS filings \
         FROM statistics_times WHERE month >= {} AND month <= {}{}",
        placeholder(conn, 1),
        placeholder(conn, 2),
        group_by(&group, "kind, hours")
    );
    let query = diesel::sql_query(sql)
        .bind::<Text, _>(from)
        .bind::<Text, _>(to);
    let rows: Vec<HoursRow> = load!(conn, query)?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(TimeRow {
                kind: r.kind.parse::<TimeKind>().ok()?,
                hours: unsigned(r.hours),
                filings: unsigned(r.filings),
                key: r.key.key(),
            })
        })
        .collect())
}

/// The counter counts of the months `[from, to]` with the online filings of the same
/// units, procedures and months, grouped by `dims` (only procedure, country, unit and
/// month).
pub fn counter(
    conn: &mut DbConnection,
    from: &str,
    to: &str,
    dims: &[Dimension],
) -> Result<Vec<CounterRow>, PersistenceError> {
    let (select, group) = grouping(dims, "c.");
    let sql = format!(
        "SELECT {select}, CAST(SUM(c.count) AS BIGINT) AS counter, \
         CAST(COALESCE(SUM(o.submitted), 0) AS BIGINT) AS online \
         FROM counter_counts c LEFT JOIN (SELECT unit_id, procedure_code, month, \
         SUM(submitted) AS submitted FROM statistics_cells WHERE month >= {1} AND month <= {2} \
         GROUP BY unit_id, procedure_code, month) o ON o.unit_id = c.unit_id \
         AND o.procedure_code = c.procedure_code AND o.month = c.month \
         WHERE c.month >= {1} AND c.month <= {2}{0}",
        group_by(&group, ""),
        placeholder(conn, 1),
        placeholder(conn, 2),
    );
    let query = diesel::sql_query(sql)
        .bind::<Text, _>(from)
        .bind::<Text, _>(to);
    let rows: Vec<SharedRow> = load!(conn, query)?;
    Ok(rows
        .into_iter()
        .map(|r| CounterRow {
            counter: unsigned(r.counter),
            online: unsigned(r.online),
            key: r.key.key(),
        })
        .collect())
}

/// Replaces a unit's counter counts of every month in `lines` by `lines` (a month of the
/// file replaces all that month's counts of the unit: a re-import of the same file
/// changes nothing). Returns the months replaced. Run it in a transaction with the
/// audit event.
pub fn replace_counter_counts(
    conn: &mut DbConnection,
    unit: &str,
    country: &str,
    lines: &[CounterLine],
    officer: &str,
    now: DateTime<Utc>,
) -> Result<Vec<String>, PersistenceError> {
    use counter_counts::dsl as c;
    let months: BTreeSet<&str> = lines.iter().map(|l| l.month.as_str()).collect();
    for month in &months {
        diesel::delete(c::counter_counts.filter(c::unit_id.eq(unit).and(c::month.eq(*month))))
            .execute(conn)?;
    }
    let at = to_db_time(now);
    for line in lines {
        diesel::insert_into(c::counter_counts)
            .values((
                c::unit_id.eq(unit),
                c::procedure_code.eq(&line.procedure),
                c::month.eq(&line.month),
                c::country.eq(country),
                c::count.eq(signed(line.count)),
                c::imported_at.eq(at),
                c::imported_by.eq(officer),
            ))
            .execute(conn)?;
    }
    Ok(months.into_iter().map(str::to_owned).collect())
}

//! The open statistics' store (docs/STATISTICS.md).
//!
//! - **Per filing** (`statistics_filings`): the cell each submitted filing counts in
//!   (procedure, country, unit, municipality (a district's city), ISO week and month of
//!   submission), its two processing times as log-scaled buckets
//!   (`domain::statistics::bucket`) and the outcomes it reached, as the last refresh saw
//!   it.
//! - **The summary** (`statistics_summary`): one row per cell, its counts and its two
//!   time histograms as text (`bucket:filings,...`), bounded whatever the number of
//!   filings.
//! - [`refresh`] is **incremental**: the filings changed since the last refresh started
//!   (less a margin) are read again, their old contributions taken from
//!   `statistics_filings`, and only the cells they leave or enter are rebuilt; the first
//!   refresh, and `full`, rebuild everything month by month. Each refresh that rewrote a
//!   cell bumps the summary's **generation** (`statistics_state`), by which the service
//!   caches its answers. Safe with two instances: on PostgreSQL it takes a
//!   transaction-scoped advisory lock and gives up when another instance holds it;
//!   SQLite's write transactions are serial.
//! - **The tables' source** ([`summary`]): the generation and every cell of the
//!   summary, read in one snapshot; the service holds them in memory and groups them
//!   there (`domain::statistics::cube`). A copy held is brought to a newer generation
//!   from the cells the refreshes since rebuilt (`statistics_changes`, kept for
//!   [`KEPT_GENERATIONS`]) rather than read whole. [`counter_counts`] reads a window's
//!   counter counts.
//! - **Counter counts** ([`replace_counter_counts`]): per unit, procedure and month.

use crate::db::DbConnection;
use crate::error::PersistenceError;
use crate::idempotency::{from_db_time, to_db_time};
use crate::schema::{
    counter_counts, statistics_changes, statistics_filings, statistics_state, statistics_summary,
};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
use domain::statistics::counter::CounterLine;
use domain::statistics::cube::Cube;
use domain::statistics::{
    cells, encode, BaseRow, Contribution, CounterRow, Fact, Key, END_STATUSES, IN_CHARGE_STATUS,
};
use std::collections::{BTreeSet, HashMap};

/// The advisory lock of the refresh (PostgreSQL).
const REFRESH_LOCK_ID: i64 = 22_001;
/// Filings changed this long before the last refresh started are looked at again (a
/// transaction may commit after the refresh read the filings).
const MARGIN_MINUTES: i64 = 10;
/// Rows per multi-row insert, and ids per `IN` list.
const CHUNK: usize = 500;
/// How many generations' changed cells are kept (`statistics_changes`): a copy of the
/// summary at most this many generations old is brought up to date from them (at a
/// refresh every 5 minutes, about 8 hours).
pub const KEPT_GENERATIONS: i64 = 100;

/// What a refresh did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefreshReport {
    /// Whether another instance was refreshing (nothing done).
    pub skipped: bool,
    /// Whether every cell was rebuilt (the first refresh, or `full`).
    pub full: bool,
    /// The months of the cells rebuilt (`YYYY-MM`).
    pub months: Vec<String>,
    /// Filings read (every submitted filing when full, else those changed).
    pub filings: usize,
    /// Cells rebuilt.
    pub cells: usize,
    /// Summary rows written.
    pub rows: usize,
    /// The summary's generation after the refresh.
    pub generation: i64,
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    locked: bool,
}

#[derive(QueryableByName)]
struct Bounds {
    #[diesel(sql_type = Nullable<Timestamp>)]
    first: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    last: Option<NaiveDateTime>,
}

#[derive(QueryableByName)]
struct FactRow {
    #[diesel(sql_type = Text)]
    id: String,
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

#[derive(Debug, PartialEq, Eq, Insertable, Queryable, Selectable)]
#[diesel(table_name = statistics_filings)]
struct FilingRow {
    filing_id: String,
    month: String,
    week: String,
    procedure_code: String,
    country: String,
    unit_id: String,
    municipality_id: String,
    in_charge_bucket: Option<i64>,
    end_bucket: Option<i64>,
    registered: i64,
    rejected: i64,
    redirected: i64,
}

impl FilingRow {
    fn new(id: String, c: Contribution) -> FilingRow {
        FilingRow {
            filing_id: id,
            month: c.key.month,
            week: c.key.week,
            procedure_code: c.key.procedure,
            country: c.key.country,
            unit_id: c.key.unit,
            municipality_id: c.key.municipality,
            in_charge_bucket: c.in_charge.map(signed),
            end_bucket: c.end.map(signed),
            registered: i64::from(c.reached[0]),
            rejected: i64::from(c.reached[1]),
            redirected: i64::from(c.reached[2]),
        }
    }

    fn key(&self) -> Key {
        Key {
            procedure: self.procedure_code.clone(),
            country: self.country.clone(),
            unit: self.unit_id.clone(),
            municipality: self.municipality_id.clone(),
            week: self.week.clone(),
            month: self.month.clone(),
        }
    }

    fn contribution(self) -> Contribution {
        Contribution {
            key: self.key(),
            in_charge: self.in_charge_bucket.map(unsigned),
            end: self.end_bucket.map(unsigned),
            reached: [self.registered, self.rejected, self.redirected].map(|n| n > 0),
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = statistics_summary)]
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
    in_charge_hours: String,
    end_hours: String,
}

impl NewCell {
    fn new(r: BaseRow) -> NewCell {
        NewCell {
            submitted: signed(r.counts[0]),
            registered: signed(r.counts[1]),
            rejected: signed(r.counts[2]),
            redirected: signed(r.counts[3]),
            in_charge_hours: encode(&r.times[0]),
            end_hours: encode(&r.times[1]),
            month: r.key.month,
            week: r.key.week,
            procedure_code: r.key.procedure,
            country: r.key.country,
            unit_id: r.key.unit,
            municipality_id: r.key.municipality,
        }
    }
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

/// Inserts `rows` into `table` in chunks (multi-row inserts do not compile on the
/// multi-backend connection: one per backend).
macro_rules! insert_chunks {
    ($conn:expr, $table:expr, $rows:expr) => {
        for chunk in $rows.chunks(CHUNK) {
            match &mut *$conn {
                DbConnection::Postgresql(pg) => {
                    diesel::insert_into($table).values(chunk).execute(pg)?
                }
                DbConnection::Sqlite(sqlite) => {
                    diesel::insert_into($table).values(chunk).execute(sqlite)?
                }
            };
        }
    };
}

/// Which filings [`facts`] reads: those submitted in a window, or those changed since.
enum Filter {
    Submitted(NaiveDateTime, NaiveDateTime),
    ChangedSince(NaiveDateTime),
}

/// The submitted filings of `filter` with their first taking in charge, first end and
/// outcomes reached: one grouped pass over their history (not a sub-query per filing).
fn facts_sql(conn: &DbConnection, filter: &Filter) -> String {
    let ends = END_STATUSES
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let reached = |status: &str| {
        format!("MAX(CASE WHEN fh.to_status = '{status}' THEN 1 ELSE 0 END) AS {status}")
    };
    let (p1, p2) = (placeholder(conn, 1), placeholder(conn, 2));
    let which = |t: &str| match filter {
        Filter::Submitted(..) => format!("{t}.submitted_at >= {p1} AND {t}.submitted_at < {p2}"),
        Filter::ChangedSince(_) => format!("{t}.updated_at >= {p1}"),
    };
    format!(
        "SELECT f.id AS id, f.procedure_code AS procedure, f.country AS country, \
         COALESCE(f.unit_id, '') AS unit, COALESCE(m.part_of, f.municipality_id, '') AS municipality, \
         f.submitted_at AS submitted_at, h.in_charge_at AS in_charge_at, h.ended_at AS ended_at, \
         CAST(COALESCE(h.registered, 0) AS BIGINT) AS registered, \
         CAST(COALESCE(h.rejected, 0) AS BIGINT) AS rejected, \
         CAST(COALESCE(h.redirected, 0) AS BIGINT) AS redirected \
         FROM filings f LEFT JOIN directory_municipalities m ON m.id = f.municipality_id \
         LEFT JOIN (SELECT fh.filing_id AS filing_id, \
           MIN(CASE WHEN fh.to_status = '{IN_CHARGE_STATUS}' THEN fh.occurred_at END) AS in_charge_at, \
           MIN(CASE WHEN fh.to_status IN ({ends}) THEN fh.occurred_at END) AS ended_at, \
           {}, {}, {} \
           FROM filing_history fh JOIN filings g ON g.id = fh.filing_id \
           WHERE g.submitted_at IS NOT NULL AND {} GROUP BY fh.filing_id) h ON h.filing_id = f.id \
         WHERE f.submitted_at IS NOT NULL AND {}",
        reached("registered"),
        reached("rejected"),
        reached("redirected"),
        which("g"),
        which("f"),
    )
}

fn month_start(month: NaiveDate) -> NaiveDateTime {
    month.and_time(chrono::NaiveTime::MIN)
}

/// The filings of `filter`, with their ids.
fn facts(
    conn: &mut DbConnection,
    filter: &Filter,
) -> Result<Vec<(String, Fact)>, PersistenceError> {
    let sql = facts_sql(conn, filter);
    let rows: Vec<FactRow> = match *filter {
        Filter::Submitted(from, until) => {
            let query = diesel::sql_query(sql)
                .bind::<Timestamp, _>(from)
                .bind::<Timestamp, _>(until);
            load!(conn, query)?
        }
        Filter::ChangedSince(since) => {
            let query = diesel::sql_query(sql).bind::<Timestamp, _>(since);
            load!(conn, query)?
        }
    };
    Ok(rows
        .into_iter()
        .map(|r| {
            let fact = Fact {
                procedure: r.procedure,
                country: r.country,
                unit: r.unit,
                municipality: r.municipality,
                submitted_at: from_db_time(r.submitted_at),
                in_charge_at: r.in_charge_at.map(from_db_time),
                ended_at: r.ended_at.map(from_db_time),
                reached: [r.registered > 0, r.rejected > 0, r.redirected > 0],
            };
            (r.id, fact)
        })
        .collect())
}

fn write_cells(conn: &mut DbConnection, rows: Vec<BaseRow>) -> Result<usize, PersistenceError> {
    let cells: Vec<NewCell> = rows.into_iter().map(NewCell::new).collect();
    insert_chunks!(conn, statistics_summary::table, cells);
    Ok(cells.len())
}

/// Rebuilds everything, month by month (the first refresh, and `--full`).
fn rebuild(conn: &mut DbConnection, report: &mut RefreshReport) -> Result<(), PersistenceError> {
    diesel::delete(statistics_filings::table).execute(conn)?;
    diesel::delete(statistics_summary::table).execute(conn)?;
    let bounds: Bounds = match conn {
        DbConnection::Postgresql(pg) => diesel::sql_query(
            "SELECT MIN(submitted_at) AS first, MAX(submitted_at) AS last FROM filings",
        )
        .get_result(pg)?,
        DbConnection::Sqlite(sqlite) => diesel::sql_query(
            "SELECT MIN(submitted_at) AS first, MAX(submitted_at) AS last FROM filings",
        )
        .get_result(sqlite)?,
    };
    let (Some(first), Some(last)) = (bounds.first, bounds.last) else {
        return Ok(());
    };
    let mut month = NaiveDate::from_ymd_opt(first.year(), first.month(), 1).unwrap_or(first.date());
    while month <= last.date() {
        let next = month
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(NaiveDate::MAX);
        let facts = facts(
            conn,
            &Filter::Submitted(month_start(month), month_start(next)),
        )?;
        if !facts.is_empty() {
            report.filings += facts.len();
            report.months.push(month.format("%Y-%m").to_string());
            let rows: Vec<FilingRow> = facts
                .into_iter()
                .map(|(id, fact)| FilingRow::new(id, fact.contribution()))
                .collect();
            insert_chunks!(conn, statistics_filings::table, rows);
            let contributions: Vec<Contribution> =
                rows.into_iter().map(FilingRow::contribution).collect();
            let cells = cells(&contributions);
            report.cells += cells.len();
            report.rows += write_cells(conn, cells)?;
        }
        month = next;
    }
    Ok(())
}

/// Takes the filings changed since `since` whose contribution changed out of their old
/// cells and into their new ones: only the cells they leave or enter are rebuilt (from
/// `statistics_filings`); a filing read again but unchanged (the margin) touches none.
fn update(
    conn: &mut DbConnection,
    since: NaiveDateTime,
    generation: i64,
    report: &mut RefreshReport,
) -> Result<(), PersistenceError> {
    use statistics_filings::dsl as sf;
    let changed = facts(conn, &Filter::ChangedSince(since))?;
    report.filings = changed.len();
    let mut old: HashMap<String, FilingRow> = HashMap::new();
    let ids: Vec<String> = changed.iter().map(|(id, _)| id.clone()).collect();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<FilingRow> = sf::statistics_filings
            .filter(sf::filing_id.eq_any(chunk))
            .select(FilingRow::as_select())
            .load(conn)?;
        old.extend(rows.into_iter().map(|r| (r.filing_id.clone(), r)));
    }
    let mut touched: BTreeSet<Key> = BTreeSet::new();
    let mut gone: Vec<String> = Vec::new();
    let mut rows: Vec<FilingRow> = Vec::new();
    for (id, fact) in changed {
        let row = FilingRow::new(id, fact.contribution());
        match old.get(&row.filing_id) {
            Some(before) if *before == row => continue,
            Some(before) => {
                touched.insert(before.key());
                gone.push(row.filing_id.clone());
            }
            None => {}
        }
        touched.insert(row.key());
        rows.push(row);
    }
    for chunk in gone.chunks(CHUNK) {
        diesel::delete(sf::statistics_filings.filter(sf::filing_id.eq_any(chunk))).execute(conn)?;
    }
    insert_chunks!(conn, sf::statistics_filings, rows);
    for key in &touched {
        rebuild_cell(conn, key, report)?;
    }
    // The cells rebuilt, for the copies of the summary held in memory (`changes`).
    let changes: Vec<Change> = touched
        .iter()
        .map(|key| Change::new(generation, key))
        .collect();
    insert_chunks!(conn, statistics_changes::table, changes);
    report.cells = touched.len();
    report.months = touched
        .into_iter()
        .map(|k| k.month)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    Ok(())
}

/// Rebuilds one cell of the summary from the contributions of its filings.
fn rebuild_cell(
    conn: &mut DbConnection,
    key: &Key,
    report: &mut RefreshReport,
) -> Result<(), PersistenceError> {
    use statistics_filings::dsl as sf;
    use statistics_summary::dsl as ss;
    let members: Vec<Contribution> = sf::statistics_filings
        .filter(sf::month.eq(&key.month))
        .filter(sf::week.eq(&key.week))
        .filter(sf::procedure_code.eq(&key.procedure))
        .filter(sf::country.eq(&key.country))
        .filter(sf::unit_id.eq(&key.unit))
        .filter(sf::municipality_id.eq(&key.municipality))
        .select(FilingRow::as_select())
        .load(conn)?
        .into_iter()
        .map(FilingRow::contribution)
        .collect();
    diesel::delete(
        ss::statistics_summary
            .filter(ss::month.eq(&key.month))
            .filter(ss::week.eq(&key.week))
            .filter(ss::procedure_code.eq(&key.procedure))
            .filter(ss::country.eq(&key.country))
            .filter(ss::unit_id.eq(&key.unit))
            .filter(ss::municipality_id.eq(&key.municipality)),
    )
    .execute(conn)?;
    report.rows += write_cells(conn, cells(&members))?;
    Ok(())
}

/// A cell rebuilt by the refresh of a generation (`statistics_changes`).
#[derive(Insertable)]
#[diesel(table_name = statistics_changes)]
struct Change {
    generation: i64,
    month: String,
    week: String,
    procedure_code: String,
    country: String,
    unit_id: String,
    municipality_id: String,
}

impl Change {
    fn new(generation: i64, key: &Key) -> Change {
        Change {
            generation,
            month: key.month.clone(),
            week: key.week.clone(),
            procedure_code: key.procedure.clone(),
            country: key.country.clone(),
            unit_id: key.unit.clone(),
            municipality_id: key.municipality.clone(),
        }
    }
}

#[derive(Queryable)]
struct State {
    started_at: NaiveDateTime,
    generation: i64,
    changes_from: Option<i64>,
}

fn state(conn: &mut DbConnection) -> Result<Option<State>, PersistenceError> {
    Ok(statistics_state::table
        .select((
            statistics_state::started_at,
            statistics_state::generation,
            statistics_state::changes_from,
        ))
        .filter(statistics_state::id.eq(1))
        .first::<State>(conn)
        .optional()?)
}

/// Brings the summary up to date with the filings changed since the last refresh
/// started (less a margin), in one transaction: incremental, or everything the first
/// time and when `full`.
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
        let last = state(conn)?;
        let previous = last.as_ref().map(|s| s.generation).unwrap_or(0);
        let mut report = RefreshReport::default();
        match &last {
            Some(last) if !full => update(
                conn,
                last.started_at - Duration::minutes(MARGIN_MINUTES),
                previous + 1,
                &mut report,
            )?,
            _ => {
                report.full = true;
                rebuild(conn, &mut report)?;
            }
        }
        report.generation = if report.full || report.cells > 0 {
            previous + 1
        } else {
            previous
        };
        // From which generation a copy in memory can be brought up to date: a full
        // rebuild's own (its cells are not recorded); else, when this refresh recorded
        // its cells, the older of what was already recorded (or, with nothing before,
        // the previous generation) within the generations kept.
        let recorded = last.and_then(|s| s.changes_from);
        let changes_from = if report.full {
            diesel::delete(statistics_changes::table).execute(conn)?;
            Some(report.generation)
        } else if report.cells == 0 {
            recorded
        } else {
            let oldest = report.generation - KEPT_GENERATIONS;
            diesel::delete(
                statistics_changes::table.filter(statistics_changes::generation.le(oldest)),
            )
            .execute(conn)?;
            Some(recorded.unwrap_or(previous).max(oldest))
        };
        diesel::delete(statistics_state::table).execute(conn)?;
        diesel::insert_into(statistics_state::table)
            .values((
                statistics_state::id.eq(1),
                statistics_state::started_at.eq(to_db_time(now)),
                statistics_state::generation.eq(report.generation),
                statistics_state::changes_from.eq(changes_from),
            ))
            .execute(conn)?;
        Ok(report)
    })
}

/// When the summary was last refreshed, if ever.
pub fn refreshed_at(conn: &mut DbConnection) -> Result<Option<DateTime<Utc>>, PersistenceError> {
    Ok(state(conn)?.map(|s| from_db_time(s.started_at)))
}

/// The summary's generation (0 before the first refresh): it changes with every refresh
/// that rewrote a cell, so an answer computed at a generation holds until it changes.
pub fn generation(conn: &mut DbConnection) -> Result<i64, PersistenceError> {
    Ok(state(conn)?.map(|s| s.generation).unwrap_or(0))
}

/// A cell of the summary as stored: its key, counts and histograms' text.
type StoredCell = (
    (String, String, String, String, String, String),
    (i64, i64, i64, i64),
    (String, String),
);

/// How [`summary`] brought the summary in memory to its generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SummaryRead {
    /// Every cell read.
    Whole,
    /// The copy held updated in place: the cells rebuilt by the refreshes since its
    /// generation removed, and those of them that still have filings read again.
    Changes {
        /// Cells rebuilt since the copy's generation.
        changed: usize,
    },
}

/// The summary's generation and every cell of it, in memory (`Cube`), read in one
/// snapshot (PostgreSQL: a read-only `REPEATABLE READ` transaction; SQLite: one read
/// transaction), so that the cells are those of that generation. When `held` (a copy
/// at an earlier generation) can be brought up to date from the cells recorded as
/// changed since (`statistics_changes`: its generation is at least the state's
/// `changes_from`), only those cells are read and the copy is updated in place
/// (`Cube::remove`, `Cube::add`); else the whole summary is read, its rows streamed
/// into the cube (`load_iter`), not gathered first. The service holds the cube until
/// the generation changes: a year of 1,000,000 filings is about 170,000 cells, and a
/// refresh every few minutes changes a few thousand.
///
/// # Errors
/// The database's.
pub fn summary(
    conn: &mut DbConnection,
    held: Option<(i64, &Cube)>,
) -> Result<(i64, Cube, SummaryRead), PersistenceError> {
    use diesel::connection::DefaultLoadingMode;
    use statistics_changes::dsl as c;
    use statistics_summary::dsl as s;
    let mut readable = true;
    let add = |cube: &mut Cube,
               readable: &mut bool,
               ((procedure, country, unit, municipality, week, month), counts, hours): StoredCell| {
        *readable &= cube.add(
            [&procedure, &country, &unit, &municipality, &week, &month],
            [counts.0, counts.1, counts.2, counts.3].map(unsigned),
            [&hours.0, &hours.1],
        );
    };
    let columns = (
        (
            s::procedure_code,
            s::country,
            s::unit_id,
            s::municipality_id,
            s::week,
            s::month,
        ),
        (s::submitted, s::registered, s::rejected, s::redirected),
        (s::in_charge_hours, s::end_hours),
    );
    let (generation, cube, read) = conn.transaction(|conn| {
        if conn.backend() == crate::db::Backend::Postgres {
            // The first statement of the transaction: one snapshot for every read.
            conn.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
        }
        let state = state(conn)?;
        let generation = state.as_ref().map(|s| s.generation).unwrap_or(0);
        let changes_from = state.and_then(|s| s.changes_from);
        if let Some((since, copy)) = held {
            if changes_from.is_some_and(|from| since >= from) && since <= generation {
                let keys: Vec<(String, String, String, String, String, String)> = crate::on_backend!(
                    conn,
                    c::statistics_changes
                        .filter(c::generation.gt(since))
                        .select((
                            c::procedure_code,
                            c::country,
                            c::unit_id,
                            c::municipality_id,
                            c::week,
                            c::month,
                        ))
                        .distinct(),
                    load
                )?;
                // Driven from the changes (their primary key starts with the
                // generation), each changed cell then read by the summary's primary
                // key: a correlated EXISTS over the summary would, on SQLite, scan the
                // changes again for each of its rows.
                let changed = c::statistics_changes
                    .inner_join(
                        s::statistics_summary.on(s::month
                            .eq(c::month)
                            .and(s::week.eq(c::week))
                            .and(s::procedure_code.eq(c::procedure_code))
                            .and(s::country.eq(c::country))
                            .and(s::unit_id.eq(c::unit_id))
                            .and(s::municipality_id.eq(c::municipality_id))),
                    )
                    .filter(c::generation.gt(since))
                    .select(columns)
                    .distinct();
                let cells: Vec<StoredCell> = crate::on_backend!(conn, changed, load)?;
                let mut cube = copy.clone();
                cube.remove(keys.iter().map(|k| [&*k.0, &*k.1, &*k.2, &*k.3, &*k.4, &*k.5]));
                for cell in cells {
                    add(&mut cube, &mut readable, cell);
                }
                let read = SummaryRead::Changes {
                    changed: keys.len(),
                };
                return Ok::<_, PersistenceError>((generation, cube, read));
            }
        }
        let mut cube = Cube::default();
        let query = s::statistics_summary.select(columns);
        match conn {
            DbConnection::Postgresql(pg) => {
                for row in query.load_iter::<StoredCell, DefaultLoadingMode>(pg)? {
                    add(&mut cube, &mut readable, row?);
                }
            }
            DbConnection::Sqlite(lite) => {
                for row in query.load_iter::<StoredCell, DefaultLoadingMode>(lite)? {
                    add(&mut cube, &mut readable, row?);
                }
            }
        }
        Ok((generation, cube, SummaryRead::Whole))
    })?;
    if !readable {
        tracing::warn!("an unreadable time histogram in the statistics summary");
    }
    Ok((generation, cube.finish(), read))
}

/// The counter counts of the months `[from, to]` (`YYYY-MM`), one row per unit,
/// procedure and month (`online` left at 0: the summary in memory counts it,
/// `Cube::with_online`).
///
/// # Errors
/// The database's.
pub fn counter_counts(
    conn: &mut DbConnection,
    from: &str,
    to: &str,
) -> Result<Vec<CounterRow>, PersistenceError> {
    use counter_counts::dsl as c;
    let query = c::counter_counts
        .filter(c::month.ge(from).and(c::month.le(to)))
        .select((
            c::procedure_code,
            c::country,
            c::unit_id,
            c::month,
            c::count,
        ));
    let rows: Vec<(String, String, String, String, i64)> = load!(conn, query)?;
    Ok(rows
        .into_iter()
        .map(|(procedure, country, unit, month, count)| CounterRow {
            key: Key {
                procedure,
                country,
                unit,
                month,
                ..Key::default()
            },
            counter: unsigned(count),
            online: 0,
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

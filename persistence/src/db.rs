//! One connection type for both backends, chosen from the URL scheme, with an r2d2 pool
//! whose connection attempts fail fast with the driver's own message.

use crate::error::PersistenceError;
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::R2D2Connection;
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Lock id taken while PostgreSQL migrations run, so that several replicas starting
/// together migrate one after the other.
const MIGRATION_LOCK_ID: i64 = 0x6563_6f6d_6d69_6773; // "ecommigs"

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// Raw SQL written once for both backends, with its parameters numbered `$1`, `$2`...
/// as PostgreSQL reads them; SQLite gets `?1`, `?2`... (its own numbered form, so a
/// parameter used twice is bound once on both). Write no `$` followed by a digit other
/// than a parameter (the statements of this crate hold no such literal).
pub fn numbered(conn: &DbConnection, sql: &str) -> String {
    match conn {
        DbConnection::Postgresql(_) => sql.to_owned(),
        DbConnection::Sqlite(_) => {
            let mut out = String::with_capacity(sql.len());
            let mut chars = sql.chars().peekable();
            while let Some(c) = chars.next() {
                let parameter = c == '$' && chars.peek().is_some_and(char::is_ascii_digit);
                out.push(if parameter { '?' } else { c });
            }
            out
        }
    }
}

/// `diesel::sql_query` of a statement written with `$N` parameters ([`numbered`]).
pub fn sql_query(conn: &DbConnection, sql: &str) -> diesel::query_builder::SqlQuery {
    diesel::sql_query(numbered(conn, sql))
}

/// `FOR UPDATE SKIP LOCKED` on PostgreSQL (a row another transaction holds is skipped,
/// not waited for); nothing on SQLite, whose write transactions are serial.
pub fn skip_locked(conn: &DbConnection) -> &'static str {
    match conn {
        DbConnection::Postgresql(_) => "FOR UPDATE SKIP LOCKED",
        DbConnection::Sqlite(_) => "",
    }
}

/// Runs a raw query built once (`diesel::sql_query(numbered(..)).bind(..)`, the same
/// binds on both backends) with a method of diesel's `RunQueryDsl` on `$conn`'s
/// backend: `on_backend!(conn, query, get_result::<Row>)`.
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, $query:expr, $($method:tt)+) => {
        match $conn {
            $crate::db::DbConnection::Postgresql(pg) => $query.$($method)+(pg),
            $crate::db::DbConnection::Sqlite(lite) => $query.$($method)+(lite),
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        }
    }
}

/// A parsed `DATABASE_URL`: `postgres://` or `postgresql://` selects PostgreSQL;
/// `sqlite://PATH`, `sqlite:PATH` or a plain path selects SQLite.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(PathBuf),
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, PersistenceError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(PersistenceError::UnsupportedUrl(
                "the database URL is empty".into(),
            ));
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw.to_owned()));
        }
        if let Some(path) = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
        {
            return Self::sqlite_path(path);
        }
        if let Some(scheme) = url_scheme(raw) {
            return Err(PersistenceError::UnsupportedUrl(format!(
                "scheme `{scheme}` is not supported; use postgres://, postgresql://, sqlite:// or a file path"
            )));
        }
        Self::sqlite_path(raw)
    }

    fn sqlite_path(path: &str) -> Result<Self, PersistenceError> {
        let path = path.split('?').next().unwrap_or_default();
        if path.is_empty() || path == ":memory:" {
            return Err(PersistenceError::UnsupportedUrl(
                "SQLite needs a file path (an in-memory database would not be shared by the pool)"
                    .into(),
            ));
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }

    /// The embedded database used when no URL is configured.
    pub fn default_sqlite(data_dir: &Path) -> Self {
        Self::Sqlite(data_dir.join("ecommissariat.db"))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Postgres(_) => Backend::Postgres,
            Self::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// The URL with any password replaced, safe for logs and `config` output.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Postgres(raw) => redact_postgres(raw),
        }
    }
}

/// The scheme of `raw` if it looks like `scheme://...` or `scheme:rest` (not a Windows
/// drive letter such as `C:\`).
fn url_scheme(raw: &str) -> Option<&str> {
    let (scheme, _) = raw.split_once(':')?;
    let valid = scheme.len() > 1
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some(scheme)
}

fn redact_postgres(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            let pairs: Vec<(String, String)> = parsed
                .query_pairs()
                .map(|(k, v)| {
                    let v = if k.eq_ignore_ascii_case("password") {
                        "***".to_owned()
                    } else {
                        v.into_owned()
                    };
                    (k.into_owned(), v)
                })
                .collect();
            if !pairs.is_empty() {
                parsed.query_pairs_mut().clear().extend_pairs(pairs);
            }
            parsed.to_string()
        }
        Err(_) => "postgres://<unparseable URL>".to_owned(),
    }
}

/// How the pool behaves.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: u32,
    /// Limit for opening one connection and for waiting for a free one.
    pub connect_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_size: 10,
            connect_timeout: Duration::from_secs(5),
        }
    }
}

pub type DbPool = r2d2::Pool<ConnectionManager>;

/// Opens connections of the variant the URL names, with the driver's own error.
#[derive(Debug)]
pub struct ConnectionManager {
    url: DatabaseUrl,
    connect_timeout: Duration,
    /// Whether opening may create a missing SQLite file. Only the start-up connection
    /// may: a pool connection must not silently replace a database that disappeared
    /// with an empty one.
    create: bool,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl, connect_timeout: Duration) -> Self {
        Self {
            url,
            connect_timeout,
            create: false,
        }
    }

    /// A manager whose connections may create the SQLite file.
    pub fn creating(url: DatabaseUrl, connect_timeout: Duration) -> Self {
        Self {
            create: true,
            ..Self::new(url, connect_timeout)
        }
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// One connection, without migrating (tests prepare older schemas with it).
    pub fn open(&self) -> Result<DbConnection, PersistenceError> {
        match &self.url {
            DatabaseUrl::Postgres(raw) => {
                let url = session_url(raw, self.connect_timeout);
                PgConnection::establish(&url)
                    .map(DbConnection::Postgresql)
                    .map_err(|e| PersistenceError::Connect(one_line(&e.to_string())))
            }
            DatabaseUrl::Sqlite(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        PersistenceError::Connect(format!(
                            "cannot create the directory {}: {e}",
                            parent.display()
                        ))
                    })?;
                }
                let path_str = path.to_str().ok_or_else(|| {
                    PersistenceError::Connect("the SQLite path is not valid UTF-8".into())
                })?;
                if !self.create && !path.is_file() {
                    return Err(PersistenceError::Connect(format!(
                        "the SQLite database {path_str} does not exist"
                    )));
                }
                let mode = if self.create { "rwc" } else { "rw" };
                let uri = format!("file:{}?mode={mode}", uri_escape(path_str));
                let mut conn = SqliteConnection::establish(&uri)
                    .map_err(|e| PersistenceError::Connect(one_line(&e.to_string())))?;
                let busy_ms = self.connect_timeout.as_millis();
                // `secure_delete`: deleted and overwritten content is zeroed in the file,
                // so that an erasure (docs/RETENTION.md) leaves nothing in free pages.
                conn.batch_execute(&format!(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {busy_ms}; \
                     PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA secure_delete = ON;"
                ))
                .map_err(|e| PersistenceError::Connect(one_line(&e.to_string())))?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// Escapes the characters that have a meaning in an SQLite URI filename.
fn uri_escape(path: &str) -> String {
    path.replace('%', "%25")
        .replace('?', "%3f")
        .replace('#', "%23")
}

/// The session setting every PostgreSQL connection of the service starts with (libpq's
/// `options`, so no extra round trip): each execution of a prepared statement is planned
/// with its parameters (`plan_cache_mode = force_custom_plan`).
///
/// With PostgreSQL's default (`auto`), a prepared statement switches to a generic plan
/// after five executions and keeps it for the connection's life; statistics gathered
/// later (autovacuum's `ANALYZE`) do not replace it. A pool's connections live long, and a
/// new deployment starts with empty tables: the generic plans chosen then (seen: the
/// lost-and-found candidates read by walking every submitted filing, 1.6 s per submission
/// at 113,000 filings) stay while the tables grow. Planning each execution costs a few
/// tens of microseconds of the server's CPU per statement; the benchmark
/// (`bench/RESULTS.md`, 2026-12-01) measured the trade. A URL that sets `options` itself
/// keeps its own.
pub const PG_SESSION_OPTIONS: &str = "-c plan_cache_mode=force_custom_plan";

/// `raw` with libpq's `connect_timeout` (whole seconds) and [`PG_SESSION_OPTIONS`], each
/// unless the URL sets it.
fn session_url(raw: &str, timeout: Duration) -> String {
    let mut url = raw.to_owned();
    if !url.contains("connect_timeout=") {
        let sep = if url.contains('?') { '&' } else { '?' };
        // libpq takes whole seconds, and treats 1 as 2.
        url = format!("{url}{sep}connect_timeout={}", timeout.as_secs().max(2));
    }
    if !url.contains("options=") {
        let options: String = url::form_urlencoded::byte_serialize(PG_SESSION_OPTIONS.as_bytes())
            .collect::<String>()
            .replace('+', "%20");
        url = format!("{url}&options={options}");
    }
    url
}

fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// How long after its last check a pooled connection is handed out without a new one.
///
/// Checking every checkout (r2d2's default) costs a `SELECT 1` round trip per request,
/// each one under load; a connection checked out less than this ago was working then, and
/// one that breaks while in use is dropped by `has_broken`. A connection that sat idle
/// longer (where a database restart or a dropped network path would show) is checked
/// again. The same rule as HikariCP's `aliveBypassWindowMs` (500 ms there).
pub const VALIDATION_BYPASS: Duration = Duration::from_secs(1);

/// A pooled connection: the connection and when the pool last knew it worked. Derefs to
/// [`DbConnection`], so `&mut pooled` is taken wherever a `&mut DbConnection` is.
pub struct Pooled {
    conn: DbConnection,
    checked_at: Instant,
}

impl std::ops::Deref for Pooled {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = Pooled;
    type Error = PersistenceError;

    fn connect(&self) -> Result<Pooled, PersistenceError> {
        Ok(Pooled {
            conn: self.open()?,
            checked_at: Instant::now(),
        })
    }

    /// Pings the connection unless it was handed out within [`VALIDATION_BYPASS`].
    fn is_valid(&self, pooled: &mut Pooled) -> Result<(), PersistenceError> {
        let now = Instant::now();
        if now.duration_since(pooled.checked_at) >= VALIDATION_BYPASS {
            pooled.conn.ping().map_err(PersistenceError::from)?;
        }
        pooled.checked_at = now;
        Ok(())
    }

    fn has_broken(&self, pooled: &mut Pooled) -> bool {
        std::thread::panicking() || pooled.conn.is_broken()
    }
}

/// Opens one connection and applies pending migrations; returns how many ran.
pub fn migrate(url: &DatabaseUrl, options: &PoolOptions) -> Result<usize, PersistenceError> {
    ConnectionManager::creating(url.clone(), options.connect_timeout)
        .open()?
        .run_migrations()
}

/// One connection, migrated, without a pool: for one-shot commands, which must not leave
/// pool threads opening connections while the process exits.
pub fn connect_once(
    url: &DatabaseUrl,
    options: &PoolOptions,
) -> Result<DbConnection, PersistenceError> {
    let mut conn = ConnectionManager::creating(url.clone(), options.connect_timeout).open()?;
    conn.run_migrations()?;
    Ok(conn)
}

/// Checks the URL, opens one connection (so a wrong URL fails now, with the driver's
/// message), runs pending migrations, and returns a pool.
pub fn connect(url: DatabaseUrl, options: &PoolOptions) -> Result<DbPool, PersistenceError> {
    migrate(&url, options)?;
    let manager = ConnectionManager::new(url, options.connect_timeout);
    let pool = r2d2::Pool::builder()
        .max_size(options.max_size)
        .min_idle(Some(1))
        .connection_timeout(options.connect_timeout)
        .build(manager)?;
    Ok(pool)
}

impl DbConnection {
    pub fn backend(&self) -> Backend {
        match self {
            DbConnection::Postgresql(_) => Backend::Postgres,
            DbConnection::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// Applies every pending migration of this backend; returns how many ran.
    pub fn run_migrations(&mut self) -> Result<usize, PersistenceError> {
        let migration_error = |e: Box<dyn std::error::Error + Send + Sync>| {
            PersistenceError::Migration(one_line(&e.to_string()))
        };
        match self {
            DbConnection::Postgresql(conn) => {
                conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_ID})"))?;
                let result = conn
                    .run_pending_migrations(POSTGRES_MIGRATIONS)
                    .map(|done| done.len())
                    .map_err(migration_error);
                // The data part of the items' migration, under the same lock.
                let result = match result {
                    Ok(done) => crate::items::backfill(self).map(|_| done),
                    Err(e) => Err(e),
                };
                if let DbConnection::Postgresql(conn) = self {
                    conn.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_ID})"))?;
                }
                result
            }
            DbConnection::Sqlite(conn) => {
                let done = conn
                    .run_pending_migrations(SQLITE_MIGRATIONS)
                    .map(|done| done.len())
                    .map_err(migration_error)?;
                crate::items::backfill(self)?;
                Ok(done)
            }
        }
    }

    /// A round trip to the database, for readiness probes.
    pub fn check(&mut self) -> Result<(), PersistenceError> {
        self.batch_execute("SELECT 1")?;
        Ok(())
    }

    /// Runs `f` in the caller's open transaction, or in a write transaction of its own
    /// when none is open: for a step that must be atomic on its own but is usually part
    /// of a larger transaction, without the `SAVEPOINT`/`RELEASE` round trips a nested
    /// [`Self::write_transaction`] would send. Inside a caller's transaction, an error
    /// of `f` must end that transaction (returned up to it), as a failed step leaves
    /// whatever it wrote before failing.
    ///
    /// # Errors
    /// `f`'s, or the database's.
    pub fn write_step<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        let open = match self {
            DbConnection::Postgresql(pg) => {
                AnsiTransactionManager::transaction_manager_status_mut(pg).transaction_depth()?
            }
            DbConnection::Sqlite(sqlite) => {
                AnsiTransactionManager::transaction_manager_status_mut(sqlite)
                    .transaction_depth()?
            }
        };
        if open.is_some() {
            f(self)
        } else {
            self.write_transaction(f)
        }
    }

    /// Runs `f` in a transaction that writes. On SQLite the transaction takes the write
    /// lock at `BEGIN` (`BEGIN IMMEDIATE`), so that concurrent writers wait for each
    /// other (up to `busy_timeout`) instead of failing when a read turns into a write.
    /// Nested calls become savepoints on both backends.
    pub fn write_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        let DbConnection::Sqlite(sqlite) = self else {
            return self.transaction(f);
        };
        let depth =
            AnsiTransactionManager::transaction_manager_status_mut(sqlite).transaction_depth()?;
        if depth.is_some() {
            return self.transaction(f);
        }
        AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
        match f(self) {
            Ok(value) => {
                <Self as Connection>::TransactionManager::commit_transaction(self)?;
                Ok(value)
            }
            Err(error) => {
                if let Err(rollback) =
                    <Self as Connection>::TransactionManager::rollback_transaction(self)
                {
                    tracing::error!(%rollback, "rollback failed");
                }
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod numbered_tests {
    use super::*;

    #[test]
    fn sqlite_gets_its_numbered_parameters() {
        let sql = "SELECT $1, $12 FROM t WHERE a = $1 AND b = '$x'";
        let lite = DbConnection::Sqlite(
            SqliteConnection::establish(":memory:").expect("in-memory SQLite"),
        );
        assert_eq!(
            numbered(&lite, sql),
            "SELECT ?1, ?12 FROM t WHERE a = ?1 AND b = '$x'"
        );
        assert_eq!(skip_locked(&lite), "");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_select_the_backend() {
        let pg = DatabaseUrl::parse("postgres://u:secret@localhost/db").unwrap();
        assert_eq!(pg.backend(), Backend::Postgres);
        assert_eq!(pg.redacted(), "postgres://u:***@localhost/db");
        assert_eq!(
            DatabaseUrl::parse("postgresql://localhost/db?password=x&sslmode=disable")
                .unwrap()
                .redacted(),
            "postgresql://localhost/db?password=***&sslmode=disable"
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/x.db").unwrap(),
            DatabaseUrl::Sqlite("data/x.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/x.db").unwrap(),
            DatabaseUrl::Sqlite("/tmp/x.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("./x.db").unwrap(),
            DatabaseUrl::Sqlite("./x.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("/var/lib/x.db").unwrap(),
            DatabaseUrl::Sqlite("/var/lib/x.db".into())
        );
    }

    #[test]
    fn unknown_schemes_are_named() {
        let err = DatabaseUrl::parse("mysql://x").unwrap_err().to_string();
        assert!(err.contains("`mysql`"), "{err}");
        assert!(DatabaseUrl::parse(":memory:").is_err());
        assert!(DatabaseUrl::parse("").is_err());
    }

    #[test]
    fn connect_timeout_and_session_options_are_added_once() {
        let t = Duration::from_secs(5);
        let options = "options=-c%20plan_cache_mode%3Dforce_custom_plan";
        assert_eq!(
            session_url("postgres://h/db", t),
            format!("postgres://h/db?connect_timeout=5&{options}")
        );
        assert_eq!(
            session_url("postgres://h/db?sslmode=disable", t),
            format!("postgres://h/db?sslmode=disable&connect_timeout=5&{options}")
        );
        assert_eq!(
            session_url("postgres://h/db?connect_timeout=1", t),
            format!("postgres://h/db?connect_timeout=1&{options}")
        );
        // An operator's own options are theirs.
        assert_eq!(
            session_url("postgres://h/db?options=-c%20work_mem%3D64MB", t),
            "postgres://h/db?options=-c%20work_mem%3D64MB&connect_timeout=5"
        );
    }
}

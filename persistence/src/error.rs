use domain::UnknownCode;

/// Everything that can go wrong below the API. The api crate maps each variant.
#[derive(Debug, thiserror::Error)]
pub enum PersistenceError {
    /// The configured URL names no supported database.
    #[error("unsupported database URL: {0}")]
    UnsupportedUrl(String),
    /// The database could not be reached or opened; the message is the driver's own.
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    /// No connection became free in time (pool exhausted or database down).
    #[error("no database connection available: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    /// A stored row holds a value the domain does not know.
    #[error("corrupt row: {0}")]
    Corrupt(#[from] UnknownCode),
    /// A stored row holds a value the domain cannot read; names the row and the column
    /// (the value itself may be personal data and is not repeated).
    #[error("corrupt row in {table}: id {id}, column {field}: {cause}")]
    CorruptRow {
        table: &'static str,
        id: String,
        field: &'static str,
        cause: String,
    },
    /// A stored JSON value could not be read back.
    #[error("corrupt stored JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl PersistenceError {
    /// True when a unique constraint refused the write (a concurrent writer won).
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            Self::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }

    /// True for errors that mean "the database is unavailable", as opposed to a bug.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Connect(_) | Self::Pool(_))
            || matches!(
                self,
                Self::Query(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::ClosedConnection,
                    _
                ))
            )
    }
}

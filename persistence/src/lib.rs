//! Persistence of the e-commissariat: diesel over PostgreSQL (production) and SQLite
//! (embedded, zero setup), behind one `DbConnection` type.
//!
//! Repositories take `&mut DbConnection` and return domain types, so the same function
//! runs inside or outside a transaction.

pub mod access_restriction;
pub mod alerts;
pub mod appointments;
pub mod audit;
pub mod auditlog;
pub mod chat;
pub mod db;
pub mod directory;
pub mod error;
pub mod evidence;
pub mod filings;
pub mod idempotency;
pub mod identities;
pub mod items;
pub mod notifications;
pub mod open311;
pub mod outbox;
pub mod partners;
pub mod ratelimit;
pub mod restriction;
pub mod retention;
pub mod roster;
pub mod schema;
pub mod sealing;
pub mod statistics;
pub mod travel;
pub mod webhooks;

pub use db::{connect, Backend, DatabaseUrl, DbConnection, DbPool, PoolOptions};
/// The error of a query inside `DbConnection::write_transaction`, for callers' own error types.
pub use diesel::result::Error as QueryError;
pub use error::PersistenceError;

//! Shared, read-only state of a running service.

use crate::metrics::Metrics;
use crate::openapi::Contract;
use persistence::{DatabaseUrl, DbPool};

pub struct AppState {
    pub pool: DbPool,
    pub database: DatabaseUrl,
    pub metrics: Metrics,
    pub contract: Contract,
}

//! The open statistics (docs/STATISTICS.md): the counts of a window of months from the
//! store, tabulated and suppressed by the domain's rule (`domain::statistics`).

use super::with_db;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::web;
use chrono::{DateTime, Utc};
use domain::statistics::{tabulate, Dimension, Table};

/// The table of filings submitted in `[from, until)`, over `dims`.
pub async fn table(
    state: &web::Data<AppState>,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    dims: Vec<Dimension>,
) -> Result<Table, ApiError> {
    let k = state.statistics_threshold;
    with_db(state, move |conn| {
        let base = persistence::statistics::base_rows(conn, from, until)?;
        Ok(tabulate(&base, &dims, k))
    })
    .await
}

//! The open statistics (docs/STATISTICS.md): the summary's counts, times and counter
//! counts of a window of months, tabulated and suppressed by the domain's rules
//! (`domain::statistics`), each answer cached until the summary's next generation; the
//! counter counts' import; the summary's refresh job.

use super::with_db;
use crate::caching::{Answer, AnswerCache};
use crate::error::{ApiError, FieldError};
use crate::state::AppState;
use actix_web::web;
use domain::audit::AuditEvent;
use domain::statistics::counter::{parse, CounterLine};
use domain::statistics::cube::Cube;
use domain::statistics::{publish, Dimension, Table};
use persistence::{DbConnection, PersistenceError};
use std::sync::Arc;

/// The table of the months `[from, to]` (`YYYY-MM`), over `dims`, from the summary in
/// memory (and the counter counts, read from the store).
fn table(
    conn: &mut DbConnection,
    cube: &Cube,
    (from, to): &(String, String),
    dims: &[Dimension],
    k: u32,
) -> Result<Table, PersistenceError> {
    let mut counter = Vec::new();
    if dims.iter().all(|d| d.has_counter_counts()) {
        counter = persistence::statistics::counter_counts(conn, from, to)?;
        counter = cube.with_online(from, to, counter);
    }
    Ok(publish(cube.groups(from, to, dims), &counter, dims, k))
}

/// The answer to a query (`key` names it: format, window, dimensions): the cached one
/// of the summary's current generation, else the table of the months `[from, to]` over
/// `dims`, written by `render` (JSON or CSV) and cached.
pub async fn answer<R>(
    state: &web::Data<AppState>,
    key: String,
    months: (String, String),
    dims: Vec<Dimension>,
    render: R,
) -> Result<Answer, ApiError>
where
    R: FnOnce(&Table) -> Result<Vec<u8>, ApiError> + Send + 'static,
{
    let k = state.statistics_threshold;
    let cache = state.statistics_cache.clone();
    let summary = state.statistics_summary.clone();
    let metrics = state.metrics.statistics.clone();
    with_db(state, move |conn| {
        // The generation first: the summary read after it is at least as new.
        let generation = persistence::statistics::generation(conn)?;
        if let Some(hit) = cache.get(generation, &key) {
            metrics.cached();
            return Ok(hit);
        }
        let cube = summary.at(generation, |held| {
            let started = std::time::Instant::now();
            let (read, cube, how) = persistence::statistics::summary(conn, held)?;
            metrics.loaded(how, started.elapsed().as_secs_f64(), cube.len());
            Ok::<_, PersistenceError>((read, cube))
        })?;
        let started = std::time::Instant::now();
        let body = render(&table(conn, &cube, &months, &dims, k)?)?;
        let answer = Answer {
            etag: crate::caching::etag_of(&body),
            body: body.into(),
        };
        cache.put(generation, key, answer.clone());
        metrics.computed(started.elapsed().as_secs_f64());
        Ok(answer)
    })
    .await
}

/// The cache of the answers, shared by the service's workers.
pub fn new_cache() -> Arc<AnswerCache> {
    Arc::new(AnswerCache::default())
}

/// The summary in memory, shared by the service's workers (empty until first needed).
pub fn new_summary() -> Arc<crate::caching::SummaryInMemory> {
    Arc::new(crate::caching::SummaryInMemory::default())
}

/// Every `every`, the first time at once: `follow` (the HTTP layer's
/// `routes::statistics::warm_default`), which reads the summary's generation and, when
/// it changed since this instance last looked (a refresh by this instance, another one or
/// the command line), reads the summary into memory and computes the most asked answers,
/// so that readers do not wait for either.
pub fn spawn_follower<F, Fut>(state: web::Data<AppState>, every: std::time::Duration, follow: F)
where
    F: Fn(web::Data<AppState>) -> Fut + 'static,
    Fut: std::future::Future<Output = ()> + 'static,
{
    actix_web::rt::spawn(async move {
        loop {
            follow(state.clone()).await;
            actix_web::rt::time::sleep(every).await;
        }
    });
}

/// The counter counts' CSV, parsed; a bad file is a validation error naming each bad
/// line (`/body/<line>/<column>`, the header being line 1).
pub fn parse_counter_counts(state: &AppState, body: &[u8]) -> Result<Vec<CounterLine>, ApiError> {
    parse(body, |code| state.catalogue.procedure(code).is_some()).map_err(|errors| {
        ApiError::Validation(
            errors
                .into_iter()
                .map(|e| FieldError::new(format!("/body/{}/{}", e.line, e.column), e.code))
                .collect(),
        )
    })
}

/// Replaces the unit's counter counts of the months in `lines`, with its audit event, in
/// one transaction. Returns the months replaced.
pub async fn import_counter_counts(
    state: &web::Data<AppState>,
    unit: String,
    country: String,
    lines: Vec<CounterLine>,
    officer: String,
    event: AuditEvent,
) -> Result<Vec<String>, ApiError> {
    with_db(state, move |conn| {
        Ok(conn.write_transaction(|c| {
            let months = persistence::statistics::replace_counter_counts(
                c,
                &unit,
                &country,
                &lines,
                &officer,
                event.occurred_at,
            )?;
            persistence::audit::append(c, &event)?;
            Ok::<_, PersistenceError>(months)
        })?)
    })
    .await
}

/// The summary's refresh in the service: every `every`, the first one at once; after
/// each, `after` (the HTTP layer computes its most asked answers ahead:
/// `routes::statistics::warm_default`).
pub fn spawn_refresh<F, Fut>(state: web::Data<AppState>, every: std::time::Duration, after: F)
where
    F: Fn(web::Data<AppState>) -> Fut + 'static,
    Fut: std::future::Future<Output = ()> + 'static,
{
    actix_web::rt::spawn(async move {
        let mut interval = actix_web::rt::time::interval(every);
        loop {
            interval.tick().await;
            let pool = state.pool.clone();
            let done = web::block(move || -> Result<_, PersistenceError> {
                let mut conn = pool.get()?;
                persistence::statistics::refresh(&mut conn, super::now(), false)
            })
            .await;
            match done {
                Ok(Ok(report)) => tracing::info!(
                    months = report.months.len(),
                    filings = report.filings,
                    rows = report.rows,
                    skipped = report.skipped,
                    "statistics refreshed"
                ),
                Ok(Err(error)) => tracing::error!(%error, "statistics refresh failed"),
                Err(error) => tracing::error!(%error, "statistics refresh failed"),
            }
            after(state.clone()).await;
        }
    });
}

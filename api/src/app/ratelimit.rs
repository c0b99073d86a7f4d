//! Rate limits (issue 16): a partner's quota (`quota_per_minute` in the registry) for
//! every request it makes, for a citizen or for itself, and a quota per citizen through
//! the app (`rate_limits.citizen_per_minute`). Counted in the database
//! (`persistence::ratelimit`, fixed one-minute windows) so that two instances on one
//! database share one quota; the rules are `domain::ratelimit`'s.
//!
//! Why not a limiter crate such as `governor`: its state (GCRA) lives in the process, so
//! N instances would grant N times the quota, which the issue forbids. The database's
//! atomic upsert is the shared state; the price is one write per counted request.

use super::with_db;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{web, HttpMessage, HttpRequest};
use domain::ratelimit::{verdict, window_start, Verdict};

/// Counts the request `req` against `quota` under `key`: the verdict is kept in the
/// request (the response carries `RateLimit-Policy` and `RateLimit`), and a request
/// over the quota is 429 `too_many_requests` with `Retry-After`. Nothing is counted
/// when the limits are off (`rate_limits.enabled`) or the quota is 0.
///
/// # Errors
/// `QuotaExceeded`; the database.
pub async fn count(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    (policy, key, quota): (&'static str, String, u32),
) -> Result<(), ApiError> {
    if !state.rate_limits.enabled || quota == 0 {
        return Ok(());
    }
    let now = chrono::Utc::now();
    let start = window_start(now);
    let count = with_db(state, move |conn| {
        Ok(persistence::ratelimit::hit(conn, &key, start)?)
    })
    .await?;
    let verdict: Verdict = verdict(policy, quota, count, start, now);
    let allowed = verdict.allowed;
    let retry_after_secs = verdict.reset_secs;
    req.extensions_mut().insert(verdict);
    if allowed {
        Ok(())
    } else {
        Err(ApiError::QuotaExceeded { retry_after_secs })
    }
}

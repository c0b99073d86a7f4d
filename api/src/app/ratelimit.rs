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

/// The caller's address, for a quota per address: the TCP peer's or, behind a reverse
/// proxy that sets them (`items.trust_forwarded_for`), the one `Forwarded` /
/// `X-Forwarded-For` names. Every per-address quota (the item check, chat openings,
/// credential checks) takes it from here.
pub fn caller_address(state: &AppState, req: &HttpRequest) -> String {
    if state.items.trust_forwarded_for {
        req.connection_info()
            .realip_remote_addr()
            .unwrap_or_default()
            .to_owned()
    } else {
        req.peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_default()
    }
}

/// The counter key of a quota per address under `prefix`: a digest of the address with
/// the minute's window, never the address (personal data), and unlinkable from one
/// window to the next.
pub fn address_key(state: &AppState, req: &HttpRequest, prefix: &str) -> String {
    use sha2::{Digest, Sha256};
    let window = window_start(chrono::Utc::now()).timestamp();
    let address = caller_address(state, req);
    let digest = Sha256::digest(format!("{prefix}|{window}|{address}").as_bytes());
    format!("{prefix}:{}", hex::encode(&digest[..12]))
}

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

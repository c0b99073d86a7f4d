//! Versions of a filing as HTTP validators: the `ETag` is `"v<version>"`, and changes
//! require `If-Match` with it.

use crate::error::ApiError;
use actix_web::http::header;
use actix_web::HttpRequest;

/// The version named by `If-Match`: 428 when the header is missing, 412 when it names no
/// version (a stale or foreign validator).
pub fn if_match(req: &HttpRequest) -> Result<i64, ApiError> {
    let raw = req
        .headers()
        .get(header::IF_MATCH)
        .ok_or(ApiError::PreconditionRequired)?;
    raw.to_str()
        .ok()
        .and_then(|v| {
            v.trim()
                .trim_start_matches("W/")
                .trim_matches('"')
                .strip_prefix('v')
                .and_then(|n| n.parse().ok())
        })
        .ok_or(ApiError::PreconditionFailed)
}

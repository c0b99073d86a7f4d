//! `Idempotency-Key` for POSTs that create or submit: the same key and request replay
//! the first response (nothing is done twice); the same key with another request is
//! 422; a key whose first request is still running is 409. Keys are scoped to the caller
//! and kept 24 hours (the rules are `domain::idempotency`, the store
//! `persistence::idempotency`).

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use domain::idempotency::IdempotencyKey;
use persistence::idempotency::{self, Claim, StoredResponse};
use sha2::{Digest, Sha256};
use std::future::Future;

pub const HEADER: &str = "idempotency-key";

/// A response in a form that can be stored and replayed.
pub struct Reply {
    pub status: StatusCode,
    pub headers: Vec<(String, String)>,
    pub body: serde_json::Value,
}

impl Reply {
    pub fn into_response(self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        for (name, value) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::try_from(name.as_str()),
                HeaderValue::from_str(value),
            ) {
                response.insert_header((name, value));
            }
        }
        response.json(self.body)
    }
}

fn replay(stored: StoredResponse) -> HttpResponse {
    let mut response =
        HttpResponse::build(StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK));
    for (name, value) in &stored.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::from_str(value),
        ) {
            response.insert_header((name, value));
        }
    }
    response.insert_header(("idempotent-replayed", "true"));
    response.content_type("application/json").body(stored.body)
}

/// Runs `action` at most once per (caller, key); without the header it just runs.
pub async fn run<F, Fut>(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    caller: &str,
    request: &serde_json::Value,
    action: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Reply, ApiError>>,
{
    let Some(raw) = req.headers().get(HEADER) else {
        return action().await.map(Reply::into_response);
    };
    let key = raw
        .to_str()
        .ok()
        .and_then(|k| IdempotencyKey::parse(k).ok())
        .ok_or_else(|| {
            ApiError::InvalidHeader(
                "Idempotency-Key must be 1 to 255 visible ASCII characters".into(),
            )
        })?;
    let fingerprint = {
        let mut hasher = Sha256::new();
        hasher.update(req.method().as_str().as_bytes());
        hasher.update(req.path().as_bytes());
        hasher.update(request.to_string().as_bytes());
        hex::encode(hasher.finalize())
    };
    let (pool, owner, k) = (
        state.pool.clone(),
        caller.to_owned(),
        key.as_str().to_owned(),
    );
    let now = chrono::Utc::now();
    let claim = web::block(move || {
        let mut conn = pool.get()?;
        idempotency::claim(&mut conn, &owner, &k, &fingerprint, now)
    })
    .await??;
    match claim {
        Claim::Replay(stored) => Ok(replay(stored)),
        Claim::InProgress => Err(ApiError::IdempotencyKeyInUse),
        Claim::FingerprintMismatch => Err(ApiError::IdempotencyKeyReused),
        Claim::Claimed => {
            let outcome = action().await;
            let (pool, owner, k) = (
                state.pool.clone(),
                caller.to_owned(),
                key.as_str().to_owned(),
            );
            match outcome {
                Ok(reply) => {
                    let stored = StoredResponse {
                        status: reply.status.as_u16(),
                        headers: reply.headers.clone(),
                        body: reply.body.to_string(),
                    };
                    web::block(move || {
                        let mut conn = pool.get()?;
                        idempotency::complete(&mut conn, &owner, &k, &stored)
                    })
                    .await??;
                    Ok(reply.into_response())
                }
                Err(error) => {
                    // Nothing was done: the client may retry with the same key.
                    let released = web::block(move || {
                        let mut conn = pool.get()?;
                        idempotency::release(&mut conn, &owner, &k)
                    })
                    .await;
                    if let Ok(Err(e)) | Err(e) =
                        released.map_err(|e| persistence::PersistenceError::Connect(e.to_string()))
                    {
                        tracing::warn!(error = %e, "could not release an idempotency key");
                    }
                    Err(error)
                }
            }
        }
    }
}

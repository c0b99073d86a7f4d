//! `Idempotency-Key` for POSTs that create or submit: the same key and request replay
//! the first response (nothing is done twice); the same key with another request is
//! 422; a key whose first request is still running is 409. The key and the stored
//! response are written in the request's own transaction: one commit per request, and
//! no window where the work is done but its response not yet kept. The stored response
//! is sealed with the deployment's sealing keys (it may hold personal data). Keys are
//! scoped to the caller and kept 24 hours (the rules are `domain::idempotency`, the store
//! `persistence::idempotency`).

use crate::error::ApiError;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use domain::idempotency::IdempotencyKey;
use persistence::idempotency::{self, Claim, StoredResponse};
use persistence::DbConnection;
use sha2::{Digest, Sha256};
use std::future::Future;

pub const HEADER: &str = "idempotency-key";

/// The stored request's path, among the stored headers but never sent.
const REQUEST_PATH: &str = "x-ecom-request-path";

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
    for (name, value) in stored.headers.iter().filter(|(n, _)| n != REQUEST_PATH) {
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

/// A request's idempotency key, as sent, with its request's fingerprint; the action
/// takes it inside its write transaction (`within`), or replays its answer.
#[derive(Clone)]
pub struct Key {
    caller: String,
    key: String,
    fingerprint: String,
    now: chrono::DateTime<chrono::Utc>,
    /// The request's path, kept beside the sealed answer (never replayed): the erasure of
    /// a filing finds the answers that name it by their path or `Location`
    /// (`persistence::retention`), as their sealed body no longer shows its id.
    path: String,
    /// Seals the stored answer (it may hold personal data: a filing's contact, a minor's
    /// name), with the deployment's sealing keys; `None` outside the service.
    sealing: Option<persistence::sealing::Keyring>,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("caller", &self.caller)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl Key {
    /// What the stored answer is sealed for: this caller's key.
    fn context(&self) -> String {
        format!("idempotency:{}\u{0}{}", self.caller, self.key)
    }

    /// The answer as stored: sealed when the service has keys.
    fn seal(&self, body: String) -> Result<String, ApiError> {
        match &self.sealing {
            Some(keys) => keys
                .seal(body.as_bytes(), &self.context())
                .map_err(|e| ApiError::Internal(format!("sealing a stored answer: {e}"))),
            None => Ok(body),
        }
    }

    /// The stored answer in clear. An answer stored in clear (before answers were
    /// sealed) is a JSON document and is read as it is.
    fn open(&self, stored: String) -> Result<String, ApiError> {
        match &self.sealing {
            Some(keys) if !stored.starts_with(['{', '[']) => keys
                .open(&stored, &self.context())
                .map_err(|e| ApiError::Internal(format!("opening a stored answer: {e}")))
                .and_then(|bytes| {
                    String::from_utf8(bytes).map_err(|e| ApiError::Internal(e.to_string()))
                }),
            _ => Ok(stored),
        }
    }
}

/// What an action produced.
pub enum Done {
    /// Its own response.
    Fresh(Reply),
    /// The response of a request with the same key that finished first.
    Replay(StoredResponse),
}

impl Done {
    /// The response to send: the fresh one, or the stored one marked replayed.
    pub fn into_response(self) -> HttpResponse {
        match self {
            Done::Fresh(reply) => reply.into_response(),
            Done::Replay(stored) => replay(stored),
        }
    }
}

/// Runs `action` at most once per (caller, key); without the header it just runs, with
/// `None`. The action gets the key and must run its whole work through `within`, first
/// in its write transaction: an answered key is replayed there before anything is read
/// or decided, and the key, the writes and the stored response commit together. (No
/// look-up before the transaction: it would cost a connection and a round trip on every
/// first request, the common case, to save work only on retries.)
pub async fn run<F, Fut>(
    req: &HttpRequest,
    caller: &str,
    request: &serde_json::Value,
    action: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(Option<Key>) -> Fut,
    Fut: Future<Output = Result<Done, ApiError>>,
{
    let Some(raw) = req.headers().get(HEADER) else {
        return action(None).await.map(Done::into_response);
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
    let key = Key {
        caller: caller.to_owned(),
        key: key.as_str().to_owned(),
        fingerprint,
        now: chrono::Utc::now(),
        path: req.path().to_owned(),
        sealing: req
            .app_data::<actix_web::web::Data<crate::state::AppState>>()
            .map(|state| state.sealing.clone()),
    };
    action(Some(key)).await.map(Done::into_response)
}

/// Runs `writes` (a request's writes, returning its reply) in the caller's open write
/// transaction: takes the key first and stores the reply last. A concurrent request with
/// the same key gets 409 (or, if it finished first, its response is replayed instead).
pub fn within(
    key: Option<&Key>,
    conn: &mut DbConnection,
    writes: impl FnOnce(&mut DbConnection) -> Result<Reply, ApiError>,
) -> Result<Done, ApiError> {
    if let Some(k) = key {
        match idempotency::begin(conn, &k.caller, &k.key, &k.fingerprint, k.now)? {
            Claim::Claimed => {}
            Claim::Replay(mut stored) => {
                stored.body = k.open(stored.body)?;
                return Ok(Done::Replay(stored));
            }
            Claim::InProgress => return Err(ApiError::IdempotencyKeyInUse),
            Claim::FingerprintMismatch => return Err(ApiError::IdempotencyKeyReused),
        }
    }
    let reply = writes(conn)?;
    if let Some(k) = key {
        let mut headers = reply.headers.clone();
        headers.push((REQUEST_PATH.to_owned(), k.path.clone()));
        let stored = StoredResponse {
            status: reply.status.as_u16(),
            headers,
            body: k.seal(reply.body.to_string())?,
        };
        idempotency::record(conn, &k.caller, &k.key, &k.fingerprint, &stored, k.now)?;
    }
    Ok(Done::Fresh(reply))
}

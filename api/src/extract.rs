//! `JsonBody<T>`: a JSON body extractor whose errors say where.
//!
//! In order: the content type (415 `unsupported_media_type`), the size (413), the time
//! to receive the body (408 `request_timeout`, see `server.body_timeout_secs`), then the
//! syntax of the whole body: one JSON value and nothing after it, else 400
//! `malformed_json` with line and column, whatever fields it started with. Then, in one
//! pass over every object and string of the document: a key repeated in the same object
//! is a field error `duplicate_key` at the key's pointer (typed members and free-form
//! maps alike: answers, facts, items), and every string goes through the intake rule of
//! `crate::intake` (`invalid_character` at its pointer; line breaks to LF; NFC). Only
//! then is the value read as `T`: a body that does not fit is 422 `validation_failed`
//! with a JSON pointer per field (unknown fields are rejected, not ignored, where `T`
//! denies them).
//!
//! A body's errors wait until the caller is decided ([`CallerGate`]): whoever may not
//! call the route gets its 401 or 403, never the body's rules (actix polls a handler's
//! extractors together, and a body refused at once used to answer before an
//! authorisation that needed the database: a partner's machine token got 422, not 403).

use crate::error::ApiError;
pub use crate::json_intake::{checked_value, from_value, parse, parse_as};
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::HttpMessage;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

pub struct JsonBody<T>(pub T);

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| {
            let m = m.trim().to_ascii_lowercase();
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        })
        .unwrap_or(false)
}

/// The decisions on who the caller is that are in progress for a request: each
/// authenticating extractor (`crate::actors`) opens one with [`CallerGate::open`] and
/// it is decided when the returned guard is dropped (its future done, with a caller or
/// a refusal). [`CallerGate::decided`] waits for all of them.
#[derive(Clone, Default)]
pub struct CallerGate(Vec<tokio::sync::watch::Receiver<bool>>);

/// Held by an authenticating extractor's future; dropping it marks the decision made.
pub struct CallerDecision(tokio::sync::watch::Sender<bool>);

impl Drop for CallerDecision {
    fn drop(&mut self) {
        let _ = self.0.send(true);
    }
}

impl CallerGate {
    /// A decision on the caller of `req` is in progress until the guard is dropped.
    pub fn open(req: &HttpRequest) -> CallerDecision {
        let (decided, waiting) = tokio::sync::watch::channel(false);
        let mut extensions = req.extensions_mut();
        match extensions.get_mut::<CallerGate>() {
            Some(gate) => gate.0.push(waiting),
            None => {
                extensions.insert(CallerGate(vec![waiting]));
            }
        }
        CallerDecision(decided)
    }

    /// Waits until every decision opened on `req` is made (at once when none was).
    pub async fn decided(req: &HttpRequest) {
        let gate = req.extensions().get::<CallerGate>().cloned();
        for mut waiting in gate.map(|g| g.0).unwrap_or_default() {
            // A dropped sender is a decision made too.
            let _ = waiting.wait_for(|done| *done).await;
        }
    }
}

impl<T: DeserializeOwned + utoipa::ToSchema + 'static> FromRequest for JsonBody<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>();
        let limit = state.map(|s| s.body_limit).unwrap_or(1024 * 1024);
        let timeout = state
            .map(|s| s.body_timeout)
            .unwrap_or(std::time::Duration::from_secs(10));
        let components = state.map(|s| s.contract.components.clone());
        let json = is_json(req);
        let body = Bytes::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let read = read_body::<T>(json, (limit, timeout), components, body).await;
            // A body whose framing is broken (400 from `read_body`) ends the connection:
            // the HTTP/1 dispatcher shuts it down with the answer it has at that moment,
            // so that one is answered at once, whoever the caller is.
            let unreadable =
                matches!(&read, Err(ApiError::Status(s)) if *s == StatusCode::BAD_REQUEST);
            if read.is_err() && !unreadable {
                CallerGate::decided(&req).await;
            }
            read.map_err(Into::into)
        })
    }
}

/// The body read and parsed (the checks of [`JsonBody`], in order).
async fn read_body<T: DeserializeOwned + utoipa::ToSchema>(
    json: bool,
    (limit, timeout): (usize, std::time::Duration),
    components: Option<std::sync::Arc<serde_json::Value>>,
    body: <Bytes as FromRequest>::Future,
) -> Result<JsonBody<T>, ApiError> {
    if !json {
        return Err(ApiError::UnsupportedMediaType {
            expected: "application/json",
        });
    }
    let received = actix_web::rt::time::timeout(timeout, body)
        .await
        .map_err(|_| ApiError::Status(StatusCode::REQUEST_TIMEOUT))?;
    let bytes = received.map_err(|e| {
        if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge { limit }
        } else {
            // The body could not be read (an invalid chunk, a cut connection, an
            // encoding): 400, without the HTTP library's own words.
            tracing::debug!(error = %e, "request body unreadable");
            ApiError::Status(StatusCode::BAD_REQUEST)
        }
    })?;
    let name = T::name();
    let schema = components.as_deref().map(|c| (c, name.as_ref()));
    parse_as(&bytes, schema).map(JsonBody)
}

/// A streamed request body (a multipart upload, a tus `PATCH`) that ends with an error
/// when no byte arrives for `server.body_timeout_secs`: a client that stalls gets 408
/// `request_timeout` instead of holding its connection for ever. An idle timeout, not a
/// total one: a 10 MB file on a slow line takes as long as it needs while bytes come.
/// [`IdleBody::timed_out`] tells the caller that the error was this timeout.
pub struct IdleBody<S> {
    inner: S,
    idle: std::time::Duration,
    sleep: std::pin::Pin<Box<actix_web::rt::time::Sleep>>,
    fired: std::rc::Rc<std::cell::Cell<bool>>,
}

/// Whether an [`IdleBody`] timed out; kept by the caller when the body is handed on.
#[derive(Clone, Default)]
pub struct TimedOut(std::rc::Rc<std::cell::Cell<bool>>);

impl TimedOut {
    pub fn get(&self) -> bool {
        self.0.get()
    }
}

impl<S> IdleBody<S> {
    /// `inner` with the idle limit of the service's settings (`state.body_timeout`).
    pub fn new(inner: S, idle: std::time::Duration) -> (Self, TimedOut) {
        let flag = TimedOut::default();
        let body = IdleBody {
            inner,
            idle,
            sleep: Box::pin(actix_web::rt::time::sleep(idle)),
            fired: flag.0.clone(),
        };
        (body, flag)
    }
}

impl<S> futures_util::Stream for IdleBody<S>
where
    S: futures_util::Stream<Item = Result<Bytes, actix_web::error::PayloadError>> + Unpin,
{
    type Item = Result<Bytes, actix_web::error::PayloadError>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::future::Future;
        use std::task::Poll;
        if self.fired.get() {
            return Poll::Ready(None);
        }
        match std::pin::Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(item) => {
                let deadline = actix_web::rt::time::Instant::now() + self.idle;
                self.sleep.as_mut().reset(deadline);
                Poll::Ready(item)
            }
            Poll::Pending => match self.sleep.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    self.fired.set(true);
                    Poll::Ready(Some(Err(actix_web::error::PayloadError::Io(
                        std::io::Error::new(std::io::ErrorKind::TimedOut, "request body idle"),
                    ))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

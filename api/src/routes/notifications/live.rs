//! The live stream of the citizen's notifications, as Server-Sent Events (the WHATWG
//! HTML standard's `text/event-stream`).
//!
//! Protocol:
//! - each notification is one event: `id: <event_id>`, `event: notification`,
//!   `data: <the NotificationView as JSON, one line>`;
//! - the stream starts after `Last-Event-ID` (the header an `EventSource` sends when it
//!   reconnects; a client opening it for the first time sends the newest `event_id` of
//!   `GET /v1/notifications`), or with what arrives from now on when absent;
//! - `retry: 3000` first (reconnect after 3 s), and a comment line `: heartbeat` on an
//!   idle stream every `notices.stream_heartbeat_secs`;
//! - the stream ends after `notices.stream_max_secs`; the client reconnects with
//!   `Last-Event-ID` and a valid token, losing nothing.
//!
//! The service keeps no state a second instance would need: every stream reads the
//! database every `notices.stream_poll_ms` for notifications after the last id it sent
//! (one indexed query per stream and interval). Ids are per citizen and committed in
//! increasing order (see `persistence::notifications`), so a resumed stream never skips
//! one.

use super::parse_event_id;
use crate::actors::Citizen;
use crate::app::notifications as usecase;
use crate::error::{ApiError, Problem};
use crate::language::Language;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{get, web, HttpRequest, HttpResponse};
use domain::i18n::Lang;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// At most this many notifications are read per poll.
const BATCH: i64 = 100;

/// Where a stream is.
struct Cursor {
    state: web::Data<AppState>,
    owner: String,
    lang: Lang,
    last: i64,
    ready: VecDeque<Bytes>,
    next_heartbeat: Instant,
    ends_at: Instant,
    heartbeat: Duration,
    poll: Duration,
}

/// One notification as an event.
fn frame(state: &AppState, stored: &persistence::notifications::StoredNotice, lang: Lang) -> Bytes {
    let view = super::views::notification(state, stored, lang);
    let data = serde_json::to_string(&view).unwrap_or_else(|_| "{}".to_owned());
    Bytes::from(format!(
        "id: {}\nevent: notification\ndata: {data}\n\n",
        stored.seq
    ))
}

impl Cursor {
    /// The next chunk of the stream, or `None` when it ends (its time is up, or the
    /// database failed: the client reconnects and resumes).
    async fn next(mut self) -> Option<(Result<Bytes, std::convert::Infallible>, Self)> {
        loop {
            if let Some(bytes) = self.ready.pop_front() {
                return Some((Ok(bytes), self));
            }
            let now = Instant::now();
            if now >= self.ends_at {
                return None;
            }
            match usecase::after(&self.state, &self.owner, self.last, BATCH).await {
                Ok(found) if !found.is_empty() => {
                    for stored in &found {
                        self.ready.push_back(frame(&self.state, stored, self.lang));
                        self.last = stored.seq;
                    }
                    self.next_heartbeat = now + self.heartbeat;
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "notification stream: cannot read the feed");
                    return None;
                }
            }
            if now >= self.next_heartbeat {
                self.next_heartbeat = now + self.heartbeat;
                return Some((Ok(Bytes::from_static(b": heartbeat\n\n")), self));
            }
            let wake = (now + self.poll).min(self.next_heartbeat).min(self.ends_at);
            actix_web::rt::time::sleep(wake.saturating_duration_since(now)).await;
        }
    }
}

/// The `Last-Event-ID` header, if any.
fn last_event_id(req: &HttpRequest) -> Result<Option<i64>, ApiError> {
    match req.headers().get("last-event-id") {
        None => Ok(None),
        Some(value) => value
            .to_str()
            .ok()
            .and_then(parse_event_id)
            .map(Some)
            .ok_or_else(|| ApiError::InvalidHeader("Last-Event-ID".into())),
    }
}

/// Stream my notifications (Server-Sent Events)
///
/// The caller's new notifications as they happen, as `text/event-stream`. Each event is
/// `id: <event_id>`, `event: notification`, `data: <NotificationView as JSON>`. Send
/// `Last-Event-ID` to resume after an event (an `EventSource` does so when it
/// reconnects; first time: the newest `event_id` of `GET /v1/notifications`); without it
/// the stream starts with what arrives from now on. The stream begins with `retry: 3000`,
/// sends `: heartbeat` comment lines while idle (every `notices.stream_heartbeat_secs`,
/// 15 s), and ends after `notices.stream_max_secs` (900 s): reconnect with
/// `Last-Event-ID` and a valid token. Any instance of the service can serve any
/// reconnection: the stream reads the database, not the memory of one instance.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    params(
        ("Last-Event-ID" = Option<String>, Header, description = "The last event id received: the stream resumes after it"),
        crate::routes::catalogue::LangQuery,
    ),
    responses(
        (status = 200, description = "The event stream (never a JSON body)",
            content((String = "text/event-stream", example = json!("retry: 3000\n\nid: 4\nevent: notification\ndata: {\"id\":\"0b6f…\",\"event_id\":\"4\",\"event\":\"taken_in_charge\",…}\n\n: heartbeat\n\n")))),
        (status = 400, description = "`Last-Event-ID` is not an event id (`invalid_header`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a citizen account", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/notifications/stream")]
pub async fn stream(
    req: HttpRequest,
    state: web::Data<AppState>,
    citizen: Citizen,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let owner = citizen.0.user_id.clone();
    let last = match last_event_id(&req)? {
        Some(id) => id,
        None => usecase::latest(&state, &owner).await?,
    };
    let settings = &state.notices;
    let heartbeat = Duration::from_secs(settings.stream_heartbeat_secs.max(1));
    let now = Instant::now();
    let cursor = Cursor {
        owner,
        lang,
        last,
        ready: VecDeque::from([Bytes::from_static(b"retry: 3000\n\n")]),
        next_heartbeat: now + heartbeat,
        ends_at: now + Duration::from_secs(settings.stream_max_secs.max(1)),
        heartbeat,
        poll: Duration::from_millis(settings.stream_poll_ms.max(50)),
        state: state.clone(),
    };
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        // Reverse proxies (nginx) must pass events on at once.
        .insert_header(("x-accel-buffering", "no"))
        .insert_header((
            header::CONTENT_LANGUAGE,
            domain::notices::served(lang).as_str(),
        ))
        .streaming(futures_util::stream::unfold(cursor, Cursor::next)))
}

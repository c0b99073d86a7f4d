//! The alert streams, as Server-Sent Events: the unit's (every event of the alerts it
//! holds or held, with the alert and its newest position) and the citizen's (the
//! acknowledgement and the end of their alert only).
//!
//! Each event is `id: <seq>`, `event: <kind>`, `data: <AlertStreamEvent as JSON>`; the
//! stream starts with `retry: 1000`, sends `: heartbeat` while idle and ends after
//! `alerts.stream_max_secs`; reconnect with `Last-Event-ID`. The streams read
//! `alert_events` every `alerts.stream_poll_ms` (250 ms): no instance keeps state
//! another would need, and an alert raised on one instance reaches an officer connected
//! to another.

use super::types::{AlertStreamEvent, OfficerAlertView};
use super::AlertWatch;
use crate::actors::Citizen;
use crate::app::alerts as usecase;
use crate::error::{ApiError, Problem};
use crate::routes::backoffice::access::UnitAccess;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{get, web, HttpRequest, HttpResponse};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

enum Feed {
    Unit(String),
    Citizen(String),
}

struct Cursor {
    state: web::Data<AppState>,
    feed: Feed,
    last: i64,
    ready: VecDeque<Bytes>,
    next_heartbeat: Instant,
    ends_at: Instant,
}

fn frame(seq: i64, data: &AlertStreamEvent) -> Bytes {
    let json = serde_json::to_string(data).unwrap_or_else(|_| "{}".to_owned());
    Bytes::from(format!(
        "id: {seq}\nevent: {}\ndata: {json}\n\n",
        data.event
    ))
}

impl Cursor {
    async fn fetch(&mut self) -> Result<bool, ApiError> {
        let before = self.ready.len();
        match &self.feed {
            Feed::Unit(unit) => {
                for (event, alert, last) in
                    usecase::unit_events(&self.state, unit.clone(), self.last).await?
                {
                    let track: Vec<_> = last.into_iter().collect();
                    let data = AlertStreamEvent {
                        event: event.kind.as_str().to_owned(),
                        alert_id: event.alert_id.clone(),
                        at: event.at,
                        alert: Some(OfficerAlertView::of(&alert, &track)),
                    };
                    self.ready.push_back(frame(event.seq, &data));
                    self.last = event.seq;
                }
            }
            Feed::Citizen(alert) => {
                let (events, last) =
                    usecase::citizen_events(&self.state, alert.clone(), self.last).await?;
                for event in events {
                    let data = AlertStreamEvent {
                        event: event.kind.as_str().to_owned(),
                        alert_id: event.alert_id.clone(),
                        at: event.at,
                        alert: None,
                    };
                    self.ready.push_back(frame(event.seq, &data));
                }
                self.last = last;
            }
        }
        Ok(self.ready.len() > before)
    }

    async fn next(mut self) -> Option<(Result<Bytes, std::convert::Infallible>, Self)> {
        let settings = self.state.alerts.clone();
        let heartbeat = Duration::from_secs(settings.stream_heartbeat_secs.max(1));
        let poll = Duration::from_millis(settings.stream_poll_ms.max(50));
        loop {
            if let Some(bytes) = self.ready.pop_front() {
                return Some((Ok(bytes), self));
            }
            let now = Instant::now();
            if now >= self.ends_at {
                return None;
            }
            match self.fetch().await {
                Ok(true) => {
                    self.next_heartbeat = now + heartbeat;
                    continue;
                }
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "alert stream: cannot read the events");
                    return None;
                }
            }
            if now >= self.next_heartbeat {
                self.next_heartbeat = now + heartbeat;
                return Some((Ok(Bytes::from_static(b": heartbeat\n\n")), self));
            }
            let wake = (now + poll).min(self.next_heartbeat).min(self.ends_at);
            actix_web::rt::time::sleep(wake.saturating_duration_since(now)).await;
        }
    }
}

fn last_event_id(req: &HttpRequest) -> Result<Option<i64>, ApiError> {
    match req.headers().get("last-event-id") {
        None => Ok(None),
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|n| *n >= 0)
            .map(Some)
            .ok_or_else(|| ApiError::InvalidHeader("Last-Event-ID".into())),
    }
}

fn respond(state: web::Data<AppState>, feed: Feed, last: i64) -> HttpResponse {
    let settings = &state.alerts;
    let now = Instant::now();
    let cursor = Cursor {
        feed,
        last,
        ready: VecDeque::from([Bytes::from_static(b"retry: 1000\n\n")]),
        next_heartbeat: now + Duration::from_secs(settings.stream_heartbeat_secs.max(1)),
        ends_at: now + Duration::from_secs(settings.stream_max_secs.max(1)),
        state: state.clone(),
    };
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(futures_util::stream::unfold(cursor, Cursor::next))
}

/// Watch the unit's alerts (Server-Sent Events)
///
/// The alerts of the unit as they happen, for its on-duty officers: `raised` (a new
/// alert routed here), `escalated_in` (nobody acknowledged it in its first unit),
/// `escalated_out`, `position`, `acknowledged`, `cancelled`, `closed`,
/// `flagged_abusive`. Each event is `id: <seq>`, `event: <kind>`, `data:` an
/// `AlertStreamEvent` whose `alert` is the alert now with its newest position. Without
/// `Last-Event-ID` the stream starts with what happens from now on. Opening it is
/// audited (a consultation of the unit's alerts).
#[utoipa::path(
    tag = "alerts",
    security(("bearer" = [])),
    params(
        ("unit_id" = String, Path, description = "The unit"),
        ("Last-Event-ID" = Option<String>, Header, description = "The last event id received: the stream resumes after it"),
    ),
    responses(
        (status = 200, description = "The event stream (never a JSON body)",
            content((String = "text/event-stream", example = json!("retry: 1000\n\nid: 7\nevent: raised\ndata: {\"event\":\"raised\",\"alert_id\":\"0193…\",\"at\":\"2026-12-02T08:15:02Z\",\"alert\":{…}}\n\n: heartbeat\n\n")))),
        (status = 400, description = "`Last-Event-ID` is not an event id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/alerts/stream")]
pub async fn unit_stream(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: UnitAccess<AlertWatch>,
) -> Result<HttpResponse, ApiError> {
    let resume = last_event_id(&req)?;
    let unit = access.unit.clone();
    let latest =
        usecase::open_unit_stream(&state, access.officer, unit.clone(), access.request_id).await?;
    Ok(respond(state, Feed::Unit(unit), resume.unwrap_or(latest)))
}

/// Follow my alert (Server-Sent Events)
///
/// Quiet by design: only `acknowledged` (an officer took the alert), and the end
/// (`cancelled`, `closed`, `flagged_abusive`). Each event is `id: <seq>`,
/// `event: <kind>`, `data:` an `AlertStreamEvent` without `alert`. The stream starts
/// from the alert's beginning, or after `Last-Event-ID`.
#[utoipa::path(
    tag = "alerts",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The alert"),
        ("Last-Event-ID" = Option<String>, Header, description = "The last event id received: the stream resumes after it"),
    ),
    responses(
        (status = 200, description = "The event stream (never a JSON body)",
            content((String = "text/event-stream", example = json!("retry: 1000\n\nid: 9\nevent: acknowledged\ndata: {\"event\":\"acknowledged\",\"alert_id\":\"0193…\",\"at\":\"2026-12-02T08:15:20Z\"}\n\n")))),
        (status = 400, description = "`Last-Event-ID` is not an event id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a citizen account", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such alert among yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/alerts/{id}/stream")]
pub async fn citizen_stream(
    req: HttpRequest,
    state: web::Data<AppState>,
    citizen: Citizen,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let resume = last_event_id(&req)?;
    let alert = usecase::get_own(&state, citizen.0.user_id.clone(), id.into_inner()).await?;
    Ok(respond(state, Feed::Citizen(alert.id), resume.unwrap_or(0)))
}

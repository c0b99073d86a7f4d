//! The citizen's notifications: the feed (`GET /v1/notifications`), marking read, and
//! the live stream (`GET /v1/notifications/stream`, Server-Sent Events). A citizen sees
//! their own notifications only; another's id answers 404 like a missing one. Texts are
//! rendered when read, in the request's language (`?lang=`, `Accept-Language`).

mod live;
pub mod types;
pub mod views;

pub use live::stream;
pub use types::*;

use crate::actors::Citizen;
use crate::app::notifications as usecase;
use crate::error::{ApiError, FieldError, Problem};
use crate::extract::JsonBody;
use crate::language::Language;
use crate::state::AppState;
use actix_web::{get, post, web, HttpResponse};
use domain::limits;
use persistence::notifications::FeedQuery;

/// An event id or cursor: a positive integer, opaque to clients.
pub(crate) fn parse_event_id(raw: &str) -> Option<i64> {
    // 1 to 18 ASCII digits, as the contract says of `cursor` and `up_to_event_id`.
    if !(1..=18).contains(&raw.len()) || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse::<i64>().ok()
}

fn invalid(pointer: &str, code: &str) -> ApiError {
    ApiError::Validation(vec![FieldError::new(pointer, code)])
}

/// List my notifications
///
/// The caller's notification feed, newest first, with cursor pagination; `unread=true`
/// for the unread ones, `filing_id=` for one filing's. Titles and texts are in the
/// request's language; a rejection, a redirect or a closure carries its end-of-case
/// notice (reason, review, victim support).
#[utoipa::path(
    operation_id = "list_notifications",
    tag = "notifications",
    security(("bearer" = [])),
    params(NotificationQuery),
    responses(
        (status = 200, description = "A page of the feed", body = NotificationList),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a citizen account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad cursor or limit", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/notifications")]
pub async fn list(
    state: web::Data<AppState>,
    citizen: Citizen,
    query: web::Query<NotificationQuery>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let limit = query.limit.unwrap_or(limits::FILINGS_PAGE_DEFAULT);
    if !(1..=limits::FILINGS_PAGE_MAX).contains(&limit) {
        return Err(invalid("/query/limit", "out_of_range"));
    }
    let before = match &query.cursor {
        Some(raw) => {
            Some(parse_event_id(raw).ok_or_else(|| invalid("/query/cursor", "invalid_type"))?)
        }
        None => None,
    };
    let feed = FeedQuery {
        unread_only: query.unread.unwrap_or(false),
        filing: query.filing_id.clone(),
        before,
    };
    let page = usecase::list(&state, &citizen.0.user_id, feed, limit).await?;
    let next_cursor = page
        .more
        .then(|| page.items.last().map(|n| n.seq.to_string()))
        .flatten();
    let items = page
        .items
        .iter()
        .map(|n| views::notification(&state, n, lang))
        .collect();
    Ok(HttpResponse::Ok().json(NotificationList {
        items,
        next_cursor,
        unread_count: page.unread,
    }))
}

/// Mark a notification read
///
/// Marks one of the caller's notifications read and returns it. Marking it again keeps
/// the first reading time.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Id of the notification"), crate::routes::catalogue::LangQuery),
    responses(
        (status = 200, description = "The notification, read", body = NotificationView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a citizen account", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such notification among yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/notifications/{id}/read")]
pub async fn mark_read(
    state: web::Data<AppState>,
    citizen: Citizen,
    id: web::Path<String>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let stored = usecase::mark_read(&state, &citizen.0.user_id, &id).await?;
    Ok(HttpResponse::Ok().json(views::notification(&state, &stored, lang)))
}

/// Mark notifications read
///
/// Marks the caller's unread notifications read: all of them, those of one filing
/// (`filing_id`), and only up to `up_to_event_id` (the newest the client has shown), so
/// that one arriving meanwhile stays unread. `{}` marks everything.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    request_body = MarkRead,
    responses(
        (status = 200, description = "How many were marked, and how many stay unread", body = MarkedRead),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a citizen account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad event id", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/notifications/read")]
pub async fn mark_all_read(
    state: web::Data<AppState>,
    citizen: Citizen,
    JsonBody(body): JsonBody<MarkRead>,
) -> Result<HttpResponse, ApiError> {
    let up_to = match &body.up_to_event_id {
        Some(raw) => {
            Some(parse_event_id(raw).ok_or_else(|| invalid("/up_to_event_id", "invalid_type"))?)
        }
        None => None,
    };
    let (marked, unread_count) =
        usecase::mark_all_read(&state, &citizen.0.user_id, body.filing_id, up_to).await?;
    Ok(HttpResponse::Ok().json(MarkedRead {
        marked,
        unread_count,
    }))
}

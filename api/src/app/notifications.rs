//! The citizen's notification feed: pages of it, marking read, and what the live stream
//! reads. A citizen only ever reaches their own notifications (every query names the
//! owner); another's id is 404 like a missing one.

use super::with_db;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::web;
use chrono::Utc;
use persistence::notifications::{self as repo, FeedQuery, StoredNotice};

/// A page of the feed, newest first, whether more follow, and the unread count (of the
/// filing asked for, or of all).
pub struct Page {
    pub items: Vec<StoredNotice>,
    pub more: bool,
    pub unread: i64,
}

pub async fn list(
    state: &web::Data<AppState>,
    owner: &str,
    query: FeedQuery,
    limit: i64,
) -> Result<Page, ApiError> {
    let owner = owner.to_owned();
    with_db(state, move |conn| {
        let mut items = repo::list(conn, &owner, &query, limit + 1)?;
        let unread = repo::unread_count(conn, &owner, query.filing.as_deref())?;
        let more = items.len() as i64 > limit;
        items.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(Page {
            items,
            more,
            unread,
        })
    })
    .await
}

/// Marks one of the citizen's notifications read (again: it keeps its first reading time).
pub async fn mark_read(
    state: &web::Data<AppState>,
    owner: &str,
    id: &str,
) -> Result<StoredNotice, ApiError> {
    let (owner, id) = (owner.to_owned(), id.to_owned());
    with_db(state, move |conn| {
        conn.write_transaction(|c| {
            repo::mark_read(c, &owner, &id, Utc::now())?.ok_or(ApiError::NotFound)
        })
    })
    .await
}

/// Marks the citizen's unread notifications read (of one filing, up to one event);
/// returns how many, and how many stay unread.
pub async fn mark_all_read(
    state: &web::Data<AppState>,
    owner: &str,
    filing: Option<String>,
    up_to: Option<i64>,
) -> Result<(u64, i64), ApiError> {
    let owner = owner.to_owned();
    with_db(state, move |conn| {
        conn.write_transaction(|c| {
            let marked = repo::mark_all_read(c, &owner, filing.as_deref(), up_to, Utc::now())?;
            Ok((marked as u64, repo::unread_count(c, &owner, None)?))
        })
    })
    .await
}

/// The newest event id of the citizen's feed (0 when empty): where a stream opened
/// without `Last-Event-ID` starts.
pub async fn latest(state: &web::Data<AppState>, owner: &str) -> Result<i64, ApiError> {
    let owner = owner.to_owned();
    with_db(state, move |conn| Ok(repo::latest_seq(conn, &owner)?)).await
}

/// The citizen's notifications after event `seq`, oldest first, at most `limit`.
pub async fn after(
    state: &web::Data<AppState>,
    owner: &str,
    seq: i64,
    limit: i64,
) -> Result<Vec<StoredNotice>, ApiError> {
    let owner = owner.to_owned();
    with_db(state, move |conn| {
        Ok(repo::after(conn, &owner, seq, limit)?)
    })
    .await
}

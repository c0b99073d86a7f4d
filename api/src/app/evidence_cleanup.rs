//! The cleanup job: what a crash between writing an object and completing its row leaves
//! behind. A file's row is inserted `incomplete` before its objects are written and
//! completed with its audit event, so after a crash there can be an incomplete row (with
//! or without objects), or objects whose row was never inserted or already removed. Once
//! older than `evidence.cleanup_grace_secs` (longer than any upload takes), both go:
//! incomplete rows with their objects, and objects without a row. Complete rows are never
//! touched. Runs in the service every `evidence.cleanup_interval_secs` and as
//! `ecommissariat evidence cleanup`.

use crate::error::ApiError;
use crate::evidence::{upload_part_path, Evidence, PREFIX, UPLOADS};
use crate::state::AppState;
use actix_web::web;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use persistence::{DbConnection, DbPool, PersistenceError};

async fn with_pool<T, F>(pool: &DbPool, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
{
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().map_err(PersistenceError::from)?;
        work(&mut conn)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
}

/// What a run removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Incomplete rows removed (with their objects).
    pub incomplete_rows: usize,
    /// Objects removed that had no row.
    pub orphan_objects: usize,
    /// Resumable uploads removed, expired (with their parts).
    pub expired_uploads: usize,
}

/// One run at `now`.
pub async fn run(
    pool: &DbPool,
    evidence: &Evidence,
    now: DateTime<Utc>,
) -> Result<Report, ApiError> {
    let before = now - evidence.grace;
    let mut report = Report::default();
    let stale = with_pool(pool, move |conn| {
        Ok(persistence::evidence::stale_incomplete(conn, before)?)
    })
    .await?;
    for id in stale {
        evidence
            .delete_file(&id)
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        let row = id.clone();
        with_pool(pool, move |conn| {
            Ok(persistence::evidence::delete(conn, &row)?)
        })
        .await?;
        report.incomplete_rows += 1;
    }
    let expired = with_pool(pool, move |conn| {
        Ok(persistence::evidence::expired_uploads(conn, now)?)
    })
    .await?;
    for upload in expired {
        for (start, _) in &upload.parts {
            evidence
                .delete(&upload_part_path(&upload.id, *start))
                .await
                .map_err(|e| ApiError::Internal(e.to_string()))?;
        }
        let id = upload.id.clone();
        with_pool(pool, move |conn| {
            Ok(persistence::evidence::delete_upload(conn, &id)?)
        })
        .await?;
        report.expired_uploads += 1;
    }
    report.orphan_objects += orphans(pool, evidence, PREFIX, before, false).await?;
    report.orphan_objects += orphans(pool, evidence, UPLOADS, before, true).await?;
    Ok(report)
}

/// Removes the objects under `prefix` older than `before` whose id (the path's second
/// part) has no row (of a file, or of an upload when `uploads`).
async fn orphans(
    pool: &DbPool,
    evidence: &Evidence,
    prefix: &str,
    before: DateTime<Utc>,
    uploads: bool,
) -> Result<usize, ApiError> {
    let prefix = object_store::path::Path::from(prefix);
    let mut listing = evidence.store.list(Some(&prefix));
    let mut old: Vec<(String, object_store::path::Path)> = Vec::new();
    while let Some(meta) = listing.next().await {
        let meta = meta.map_err(|e| ApiError::Internal(format!("listing evidence: {e}")))?;
        if meta.last_modified >= before {
            continue;
        }
        let parts: Vec<_> = meta.location.parts().collect();
        if let Some(id) = parts.get(1) {
            old.push((id.as_ref().to_owned(), meta.location.clone()));
        }
    }
    drop(listing);
    let ids: Vec<String> = old.iter().map(|(id, _)| id.clone()).collect();
    let existing = with_pool(pool, move |conn| {
        Ok(if uploads {
            persistence::evidence::existing_uploads(conn, &ids)?
        } else {
            persistence::evidence::existing(conn, &ids)?
        })
    })
    .await?;
    let mut removed = 0;
    for (id, location) in old {
        if existing.contains(&id) {
            continue;
        }
        evidence
            .delete(&location)
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        removed += 1;
    }
    Ok(removed)
}

/// Runs the job every `evidence.cleanup_interval_secs` (0: never) on the service's
/// runtime; failures are logged and retried at the next tick.
pub fn spawn(state: web::Data<AppState>) {
    let secs = state.evidence.cleanup_interval_secs;
    if secs == 0 {
        return;
    }
    actix_web::rt::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(secs));
        tick.tick().await;
        loop {
            tick.tick().await;
            match run(&state.pool, &state.evidence, crate::app::now()).await {
                Ok(report) if report != Report::default() => tracing::info!(
                    incomplete_rows = report.incomplete_rows,
                    orphan_objects = report.orphan_objects,
                    expired_uploads = report.expired_uploads,
                    "evidence cleanup"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "evidence cleanup failed"),
            }
        }
    });
}

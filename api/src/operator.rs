//! The operators' commands of the delivery (issue 15): `ecommissariat worker`, `outbox
//! list`, `outbox retry`, `letters batch`. Output names outbox and filing ids, never an
//! address.

use crate::config::Settings;
use crate::delivery::letters::{self, BatchOutcome};
use crate::delivery::render::{RenderContext, Renderer};
use anyhow::Context;
use domain::delivery::OutboxStatus;
use persistence::outbox::{self, RetryRefusal};
use persistence::DbConnection;
use std::sync::Arc;

/// Runs the delivery workers alone (the outbox's messages and the partners' webhooks)
/// until SIGINT or SIGTERM; the rounds in progress are finished and recorded before it
/// exits.
///
/// # Errors
/// The database, or settings the worker cannot use.
pub fn worker(settings: Settings) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let url = settings.database_url()?;
        tracing::info!(database = %url.redacted(), "connecting to the database");
        let pool = persistence::connect(url, &settings.pool_options())?;
        let directory = Arc::new(crate::startup::load_directory(&pool, &settings)?);
        let (sealing, _) = settings.keyring()?;
        let worker = crate::delivery::Worker::new(
            &settings,
            pool.clone(),
            crate::delivery::unit_names_from(move || directory.clone()),
            None,
            sealing.clone(),
        )?;
        let webhooks = crate::delivery::webhooks::WebhookWorker::new(
            &settings.webhooks,
            pool.clone(),
            sealing,
            None,
        )?;
        let workers = [
            crate::delivery::spawn(worker),
            crate::delivery::webhooks::spawn(webhooks),
        ];
        wait_for_signal().await;
        tracing::info!("stopping: the rounds in progress finish");
        for (stop, _) in &workers {
            let _ = stop.send(true);
        }
        for (_, handle) in workers {
            let _ = handle.await;
        }
        Ok(())
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(mut interrupt), Ok(mut terminate)) => {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Prints the messages, tab-separated, newest first.
///
/// # Errors
/// An unknown status, or the database.
pub fn list(conn: &mut DbConnection, status: Option<&str>, limit: i64) -> anyhow::Result<()> {
    let status = status
        .map(|s| s.parse::<OutboxStatus>())
        .transpose()
        .map_err(|e| {
            let known: Vec<&str> = OutboxStatus::ALL.iter().map(|s| s.as_str()).collect();
            anyhow::anyhow!("--status: {e} (one of {})", known.join(", "))
        })?;
    let rows = outbox::list(conn, status, None, limit.clamp(1, 10_000))?;
    println!("id\tchannel\tstatus\tattempts\tavailable_at\tlast_error\ttemplate\tfiling_id");
    for row in rows {
        println!(
            "{}\t{}\t{}\t{}\t{}Z\t{}\t{}\t{}",
            row.id,
            row.channel,
            row.status,
            row.attempts,
            row.available_at.format("%Y-%m-%dT%H:%M:%S"),
            row.last_error.as_deref().unwrap_or("-"),
            row.template,
            row.filing_id,
        );
    }
    Ok(())
}

/// Makes a failed or dead message due now.
///
/// # Errors
/// An unknown id, a message in another status, or the database.
pub fn retry(conn: &mut DbConnection, id: i64) -> anyhow::Result<()> {
    match outbox::retry(conn, id, chrono::Utc::now())? {
        Ok(previous) => {
            println!("message {id} ({previous}) is pending again, due now");
            Ok(())
        }
        Err(RetryRefusal::NotFound) => anyhow::bail!("no message {id}"),
        Err(RetryRefusal::NotRetryable(status)) => {
            anyhow::bail!("message {id} is {status}: only failed and dead messages are retried")
        }
    }
}

/// Closes the batch of `date` (default today, UTC).
///
/// # Errors
/// The database, the texts, or a file that cannot be written.
pub fn letters_batch(settings: &Settings, date: Option<chrono::NaiveDate>) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    let date = date.unwrap_or_else(|| now.date_naive());
    let url = settings.database_url()?;
    let pool = persistence::connect(url, &settings.pool_options())?;
    let directory = Arc::new(crate::startup::load_directory(&pool, settings)?);
    let mut conn = pool.get().map_err(persistence::PersistenceError::from)?;
    let renderer = Renderer::new()?;
    let context = RenderContext {
        answer_url: settings.notifications.answer_url.clone(),
        target_hours: settings.filings.target_hours,
        unit_names: crate::delivery::unit_names_from(move || directory.clone()),
    };
    let outcome = letters::close_batch(
        &mut conn,
        &renderer,
        &context,
        &settings.notifications.letter_sender,
        &settings.letters_dir(),
        date,
        now,
    )
    .with_context(|| format!("letter batch {date}"))?;
    match outcome {
        BatchOutcome::Closed {
            folder,
            letters,
            failed,
        } => println!(
            "batch {date} closed: {letters} letter(s) in {} ({} without a postal address, failed)",
            folder.display(),
            failed
        ),
        BatchOutcome::AlreadyClosed { folder } => println!(
            "batch {date} was already closed ({}): nothing printed again",
            folder.display()
        ),
        BatchOutcome::Empty => println!("batch {date}: no letter to print"),
    }
    Ok(())
}

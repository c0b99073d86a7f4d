//! Delivery of the outbox (issue 15): the worker that sends e-mails, and the letter
//! batches for the post.
//!
//! The worker runs inside the service (`notifications.worker`) and alone
//! (`ecommissariat worker`). Each round it claims up to `batch_size` due e-mail messages
//! (`persistence::outbox::claim_due`: `FOR UPDATE SKIP LOCKED` on PostgreSQL, so any
//! number of workers share the queue; serial write transactions on SQLite), renders and
//! sends them, `concurrency` at a time, then writes every outcome in one transaction
//! with the retry rule of `domain::delivery`. A worker killed between its claim and that
//! write leaves `sending` messages whose lease runs out after `lease_secs`: another round
//! sends them again with the same `Message-ID` (at least once). Logs name outbox and
//! filing ids, never an address.

pub mod letters;
pub mod mail;
pub mod render;
pub mod travel;
pub mod webhooks;

use crate::config::Settings;
use crate::metrics::DeliveryMetrics;
use chrono::{Duration as Span, Utc};
use domain::delivery::{AttemptOutcome, NextStep, RetryPolicy};
use futures_util::stream::{self, StreamExt};
use lettre::message::Mailbox;
use mail::Mailer;
use persistence::outbox::{self, OutboxRow};
use persistence::{DbPool, PersistenceError};
use render::{RenderContext, Renderer};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// The channel the worker delivers (letters go by batch: `letters`).
pub const EMAIL: &str = "email";

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error(transparent)]
    Database(#[from] PersistenceError),
    #[error("the delivery task stopped: {0}")]
    Task(String),
    #[error("{0}")]
    Setup(String),
}

/// A delivery worker: what it needs to claim, render, send and record.
pub struct Worker {
    pool: DbPool,
    mailer: Mailer,
    renderer: Renderer,
    context: RenderContext,
    from: Mailbox,
    reply_to: Option<Mailbox>,
    /// The domain of `from`, which names the `Message-ID`s.
    domain: String,
    policy: RetryPolicy,
    /// This worker's name in `claimed_by`: host, process and a random part.
    name: String,
    batch_size: i64,
    concurrency: usize,
    poll_interval: Duration,
    lease: Span,
    metrics: Option<DeliveryMetrics>,
    /// Opens the travel requests' sealed addresses and invitation links.
    sealing: persistence::sealing::Keyring,
}

impl Worker {
    /// A worker for the settings.
    ///
    /// # Errors
    /// `Setup` for a mailbox, an SMTP URL or a mail folder that cannot be used, or texts
    /// that do not compile.
    pub fn new(
        settings: &Settings,
        pool: DbPool,
        unit_names: render::UnitNames,
        metrics: Option<DeliveryMetrics>,
        sealing: persistence::sealing::Keyring,
    ) -> Result<Self, DeliveryError> {
        let n = &settings.notifications;
        let setup = |e: String| DeliveryError::Setup(e);
        let from: Mailbox = n
            .from
            .parse()
            .map_err(|e| setup(format!("notifications.from: {e}")))?;
        let reply_to = match &n.reply_to {
            Some(r) => Some(
                r.parse::<Mailbox>()
                    .map_err(|e| setup(format!("notifications.reply_to: {e}")))?,
            ),
            None => None,
        };
        let domain = from.email.domain().to_owned();
        // At most ten years: beyond, a delay means "never" anyway.
        let secs = |s: u64| Span::seconds(i64::try_from(s.min(315_360_000)).unwrap_or(315_360_000));
        Ok(Worker {
            pool,
            mailer: Mailer::new(n, settings.mail_dir()).map_err(setup)?,
            renderer: Renderer::new().map_err(|e| setup(e.to_string()))?,
            context: RenderContext {
                answer_url: n.answer_url.clone(),
                target_hours: settings.filings.target_hours,
                unit_names,
            },
            from,
            reply_to,
            domain,
            policy: RetryPolicy {
                max_attempts: n.max_attempts,
                base_delay: secs(n.retry_base_secs),
                max_delay: secs(n.retry_max_secs),
            },
            name: worker_name(),
            batch_size: i64::from(n.batch_size),
            concurrency: usize::try_from(n.concurrency).unwrap_or(1).max(1),
            poll_interval: Duration::from_millis(n.poll_interval_ms),
            lease: secs(n.lease_secs),
            metrics,
            sealing,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Delivers until `stop` turns true (checked between rounds: a round in progress
    /// finishes and records its outcomes).
    pub async fn run(self: Arc<Self>, mut stop: tokio::sync::watch::Receiver<bool>) {
        tracing::info!(worker = %self.name, "delivery worker started");
        let mut gauges_at = std::time::Instant::now()
            .checked_sub(GAUGE_EVERY)
            .unwrap_or_else(std::time::Instant::now);
        loop {
            if *stop.borrow() || stop.has_changed().is_err() {
                break;
            }
            let busy = match self.round().await {
                Ok(count) => count > 0,
                Err(error) => {
                    tracing::warn!(%error, "delivery round failed; retrying");
                    false
                }
            };
            if gauges_at.elapsed() >= GAUGE_EVERY {
                gauges_at = std::time::Instant::now();
                self.refresh_gauges().await;
            }
            if !busy {
                tokio::select! {
                    () = tokio::time::sleep(self.poll_interval) => {}
                    changed = stop.changed() => {
                        // The sender is gone: nobody can stop us any more, so stop now.
                        if changed.is_err() {
                            break;
                        }
                    }
                }
            }
        }
        tracing::info!(worker = %self.name, "delivery worker stopped");
    }

    /// One round: claim, send, record. Returns how many messages it handled.
    ///
    /// # Errors
    /// The database, before or after the sends (claimed messages then wait for their
    /// lease to run out).
    pub async fn round(&self) -> Result<usize, DeliveryError> {
        let (pool, name, lease, limit) = (
            self.pool.clone(),
            self.name.clone(),
            self.lease,
            self.batch_size,
        );
        let sealing = self.sealing.clone();
        let (claimed, addresses) = blocking(move || {
            let mut conn = pool.get()?;
            let now = Utc::now();
            let claimed = outbox::claim_due(&mut conn, EMAIL, &name, now, now - lease, limit)?;
            let ids: Vec<&str> = claimed.iter().map(|r| r.filing_id.as_str()).collect();
            let mut addresses = outbox::email_addresses(&mut conn, &ids)?;
            // A travel request's messages: the address is in the sealed request.
            for row in claimed.iter().filter(|r| r.template.starts_with("travel_")) {
                if let Some(to) = travel::recipient(&mut conn, &sealing, row)? {
                    addresses.insert(travel::address_key(row), to);
                }
            }
            Ok((claimed, addresses))
        })
        .await?;
        if claimed.is_empty() {
            return Ok(0);
        }
        let count = claimed.len();
        let outcomes: Vec<(i64, NextStep)> = stream::iter(claimed)
            .map(|row| self.deliver(row, &addresses))
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        let (pool, name) = (self.pool.clone(), self.name.clone());
        blocking(move || {
            let mut conn = pool.get()?;
            outbox::record_outcomes(&mut conn, &name, &outcomes, Utc::now())
        })
        .await?;
        Ok(count)
    }

    /// Renders and sends one claimed message; the step to record.
    async fn deliver(
        &self,
        row: OutboxRow,
        addresses: &HashMap<String, String>,
    ) -> (i64, NextStep) {
        let outcome = match addresses.get(&travel::address_key(&row)) {
            None => AttemptOutcome::Permanent("no_address".into()),
            Some(to) => match self.message(&row, to) {
                Ok(message) => self.mailer.send(row.id, message).await,
                Err(code) => AttemptOutcome::Permanent(code.into()),
            },
        };
        let label = match &outcome {
            AttemptOutcome::Delivered => "delivered",
            AttemptOutcome::Temporary(_) => "temporary_failure",
            AttemptOutcome::Permanent(_) => "permanent_failure",
        };
        if let Some(metrics) = &self.metrics {
            metrics.delivered(EMAIL, label);
        }
        let attempts = u32::try_from(row.attempts).unwrap_or(u32::MAX);
        let step = self
            .policy
            .next_step(outcome, attempts, Utc::now(), jitter());
        match &step {
            NextStep::Sent => tracing::info!(
                outbox_id = row.id,
                filing_id = %row.filing_id,
                template = %row.template,
                attempts,
                "e-mail delivered"
            ),
            NextStep::Retry { at, error } => tracing::info!(
                outbox_id = row.id,
                filing_id = %row.filing_id,
                attempts,
                error = %error,
                retry_at = %at,
                "e-mail not delivered; will retry"
            ),
            NextStep::Failed { error } | NextStep::Dead { error } => tracing::warn!(
                outbox_id = row.id,
                filing_id = %row.filing_id,
                attempts,
                error = %error,
                "e-mail not delivered; an operator must retry it (ecommissariat outbox retry)"
            ),
        }
        (row.id, step)
    }

    /// The e-mail of a claimed message, or the code of why it cannot be made.
    fn message(&self, row: &OutboxRow, to: &str) -> Result<lettre::Message, &'static str> {
        let mut payload: serde_json::Value =
            serde_json::from_str(&row.payload).map_err(|_| "invalid_payload")?;
        travel::open_link(&self.sealing, row, &mut payload)?;
        let rendered = self
            .renderer
            .render(
                &row.template,
                &row.language,
                &payload,
                &row.filing_id,
                &self.context,
            )
            .map_err(|error| {
                tracing::error!(outbox_id = row.id, %error, "cannot render a message");
                "render_failed"
            })?;
        let id = mail::message_id(
            row.id,
            row.created_at.and_utc().timestamp_micros(),
            &self.domain,
        );
        mail::build(&self.from, self.reply_to.as_ref(), to, id, &rendered)
    }

    /// The outbox's gauges: depth by channel and status, age of the oldest due message.
    async fn refresh_gauges(&self) {
        let Some(metrics) = self.metrics.clone() else {
            return;
        };
        let pool = self.pool.clone();
        let read = blocking(move || {
            let mut conn = pool.get()?;
            let now = Utc::now();
            let depth = outbox::depth(&mut conn)?;
            let mut oldest = Vec::new();
            for channel in [EMAIL, letters::POST] {
                let due = outbox::oldest_due(&mut conn, channel, now)?;
                oldest.push((channel, due.map(|d| (now - d).num_milliseconds())));
            }
            Ok((depth, oldest))
        })
        .await;
        match read {
            Ok((depth, oldest)) => metrics.set_outbox(&depth, &oldest),
            Err(error) => tracing::warn!(%error, "cannot read the outbox's depth"),
        }
    }
}

/// How often the worker refreshes the outbox gauges.
const GAUGE_EVERY: Duration = Duration::from_secs(5);

/// Runs database work on the blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, PersistenceError> + Send + 'static,
) -> Result<T, DeliveryError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| DeliveryError::Task(e.to_string()))?
        .map_err(DeliveryError::from)
}

/// A random number in [0, 1) for the retry jitter.
fn jitter() -> f64 {
    // 53 random bits, the precision of an f64 in [0, 1).
    #[allow(clippy::cast_precision_loss)]
    getrandom::u64().map_or(0.5, |v| (v >> 11) as f64 / (1_u64 << 53) as f64)
}

/// The worker's name in claims: host, process id and a random part, so that two workers
/// never share one.
fn worker_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    let random = getrandom::u32().unwrap_or_default();
    format!("{host}:{}:{random:08x}", std::process::id())
}

/// Starts a worker on the current runtime; setting the returned sender to `true` stops
/// it after its current round.
pub fn spawn(
    worker: Worker,
) -> (
    tokio::sync::watch::Sender<bool>,
    tokio::task::JoinHandle<()>,
) {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let handle = actix_web::rt::spawn(Arc::new(worker).run(stopped));
    (stop, handle)
}

/// Unit names from a directory held by the caller (the service's, reloaded on import).
pub fn unit_names_from(
    directory: impl Fn() -> Arc<domain::directory::Directory> + Send + Sync + 'static,
) -> render::UnitNames {
    Arc::new(move |id, lang| directory().unit(id).map(|u| u.name(lang).to_owned()))
}

//! Delivery of webhook events to partners (issue 16), following Standard Webhooks
//! (standardwebhooks.com): each event is POSTed as JSON with `webhook-id` (stable across
//! attempts: `msg_<outbox id>`), `webhook-timestamp` (Unix seconds of the attempt) and
//! `webhook-signature` (`v1,` + base64 of HMAC-SHA256 over `id.timestamp.body` with the
//! partner's secret; after a rotation, one signature per secret still valid, separated
//! by a space).
//!
//! SSRF (OWASP API7): the URL's addresses are checked again at every delivery
//! (`domain::webhooks::address_allowed`), inside the HTTP client's resolver, so that the
//! address checked is the address connected to (no DNS rebinding between the two); an
//! IP literal is checked before the request. No proxy, no redirect followed, a short
//! timeout for the whole exchange, at most `max_response_bytes` of the answer read.
//!
//! Claims, order per filing and retries: `persistence::webhooks`; the retry rule is the
//! e-mails' (`domain::delivery::RetryPolicy`), with its own settings (`webhooks.*`).

use super::{blocking, jitter, worker_name, DeliveryError};
use crate::config::WebhookSettings;
use crate::metrics::DeliveryMetrics;
use base64::Engine;
use chrono::{Duration as Span, Utc};
use domain::delivery::{AttemptOutcome, NextStep, RetryPolicy};
use domain::webhooks::Endpoint;
use futures_util::stream::{self, StreamExt};
use hmac::{Hmac, Mac};
use persistence::sealing::Keyring;
use persistence::webhooks::{self as repo, Attempt, DueMessage};
use persistence::DbPool;
use sha2::Sha256;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The `webhook-signature` value for `secrets` (each `whsec_` + base64): one `v1,`
/// signature per secret, separated by spaces. A secret that does not decode is skipped.
pub fn signature(secrets: &[String], id: &str, timestamp: i64, body: &str) -> String {
    let signed = format!("{id}.{timestamp}.{body}");
    secrets
        .iter()
        .filter_map(|secret| {
            let key = base64::engine::general_purpose::STANDARD
                .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
                .ok()?;
            let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
            mac.update(signed.as_bytes());
            Some(format!(
                "v1,{}",
                base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
            ))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `webhook-id` of outbox message `id`: the same at every attempt, so that the
/// receiver recognises a redelivery.
pub fn message_id(id: i64) -> String {
    format!("msg_{id}")
}

/// Why an address was refused (raised by the resolver).
#[derive(Debug)]
struct AddressRefused;

impl std::fmt::Display for AddressRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("address refused")
    }
}

impl std::error::Error for AddressRefused {}

/// A resolver that fails when any address of a name is one a delivery may not reach.
struct GuardedResolver {
    allowed: Arc<Vec<IpAddr>>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allowed = self.allowed.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addrs.is_empty()
                || addrs
                    .iter()
                    .any(|a| !domain::webhooks::address_allowed(a.ip(), &allowed))
            {
                return Err(Box::new(AddressRefused) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The webhook delivery worker.
pub struct WebhookWorker {
    pool: DbPool,
    /// Opens the partners' signing secrets (sealed at rest).
    sealing: Keyring,
    client: reqwest::Client,
    allowed: Arc<Vec<IpAddr>>,
    policy: RetryPolicy,
    name: String,
    batch_size: i64,
    concurrency: usize,
    poll_interval: Duration,
    lease: Span,
    max_response_bytes: usize,
    metrics: Option<DeliveryMetrics>,
}

impl WebhookWorker {
    /// A worker for the settings.
    ///
    /// # Errors
    /// `Setup` for an allow-listed address that is none, or an HTTP client that cannot
    /// be built.
    pub fn new(
        settings: &WebhookSettings,
        pool: DbPool,
        sealing: Keyring,
        metrics: Option<DeliveryMetrics>,
    ) -> Result<Self, DeliveryError> {
        let allowed = Arc::new(
            settings
                .allowed()
                .map_err(|e| DeliveryError::Setup(e.to_string()))?,
        );
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(Duration::from_secs(settings.timeout_secs.max(1)))
            .connect_timeout(Duration::from_secs(settings.timeout_secs.clamp(1, 5)))
            .user_agent("e-commissariat-webhooks/1")
            .dns_resolver(Arc::new(GuardedResolver {
                allowed: allowed.clone(),
            }))
            .build()
            .map_err(|e| DeliveryError::Setup(format!("webhook client: {e}")))?;
        let secs = |s: u64| Span::seconds(i64::try_from(s.min(315_360_000)).unwrap_or(315_360_000));
        Ok(WebhookWorker {
            pool,
            sealing,
            client,
            allowed,
            policy: RetryPolicy {
                max_attempts: settings.max_attempts,
                base_delay: secs(settings.retry_base_secs),
                max_delay: secs(settings.retry_max_secs),
            },
            name: worker_name(),
            batch_size: i64::from(settings.batch_size.max(1)),
            concurrency: usize::try_from(settings.concurrency).unwrap_or(1).max(1),
            poll_interval: Duration::from_millis(settings.poll_interval_ms.max(10)),
            lease: secs(settings.lease_secs),
            max_response_bytes: settings.max_response_bytes,
            metrics,
        })
    }

    /// Delivers until `stop` turns true (checked between rounds).
    pub async fn run(self: Arc<Self>, mut stop: tokio::sync::watch::Receiver<bool>) {
        tracing::info!(worker = %self.name, "webhook worker started");
        loop {
            if *stop.borrow() || stop.has_changed().is_err() {
                break;
            }
            let busy = match self.round().await {
                Ok(count) => count > 0,
                Err(error) => {
                    tracing::warn!(%error, "webhook round failed; retrying");
                    false
                }
            };
            if !busy {
                tokio::select! {
                    () = tokio::time::sleep(self.poll_interval) => {}
                    changed = stop.changed() => {
                        if changed.is_err() {
                            break;
                        }
                    }
                }
            }
        }
        tracing::info!(worker = %self.name, "webhook worker stopped");
    }

    /// One round: claim, deliver, record. Returns how many events it handled.
    ///
    /// # Errors
    /// The database, before or after the deliveries.
    pub async fn round(&self) -> Result<usize, DeliveryError> {
        let (pool, name, lease, limit) = (
            self.pool.clone(),
            self.name.clone(),
            self.lease,
            self.batch_size,
        );
        let sealing = self.sealing.clone();
        let (claimed, endpoints, secrets) = blocking(move || {
            let mut conn = pool.get()?;
            let now = Utc::now();
            let claimed = repo::claim_due(&mut conn, &name, now, now - lease, limit)?;
            let ids: Vec<i64> = claimed.iter().filter_map(|m| m.endpoint_id).collect();
            let endpoints: HashMap<i64, Endpoint> = repo::by_ids(&mut conn, &ids)?
                .into_iter()
                .map(|e| (e.id, e))
                .collect();
            let mut secrets: HashMap<String, Option<Vec<String>>> = HashMap::new();
            for endpoint in endpoints.values() {
                if secrets.contains_key(&endpoint.partner) {
                    continue;
                }
                let enabled = persistence::partners::get(&mut conn, &endpoint.partner)?
                    .is_some_and(|p| !p.is_disabled());
                let opened = if enabled {
                    crate::app::partners::signing_secrets(
                        &mut conn,
                        &sealing,
                        &endpoint.partner,
                        now,
                    )
                    .map_err(|e| {
                        tracing::error!(partner = %endpoint.partner, error = %e, "cannot open a signing secret");
                    })
                    .ok()
                } else {
                    None
                };
                secrets.insert(endpoint.partner.clone(), opened);
            }
            Ok((claimed, endpoints, secrets))
        })
        .await?;
        if claimed.is_empty() {
            return Ok(0);
        }
        let count = claimed.len();
        let attempts: Vec<(Attempt, NextStep)> = stream::iter(claimed)
            .map(|message| self.deliver(message, &endpoints, &secrets))
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        let (pool, name) = (self.pool.clone(), self.name.clone());
        let recorded = blocking(move || {
            let mut conn = pool.get()?;
            repo::record(&mut conn, &name, &attempts, Utc::now())
        })
        .await?;
        for endpoint in recorded.disabled {
            if let Some(metrics) = &self.metrics {
                metrics.delivered(repo::CHANNEL, "endpoint_disabled");
            }
            tracing::warn!(
                endpoint_id = endpoint,
                "webhook endpoint disabled: a message was given up after every retry"
            );
        }
        Ok(count)
    }

    /// Delivers one claimed event; the attempt and the step to record.
    async fn deliver(
        &self,
        message: DueMessage,
        endpoints: &HashMap<i64, Endpoint>,
        secrets: &HashMap<String, Option<Vec<String>>>,
    ) -> (Attempt, NextStep) {
        let started = Instant::now();
        let at = Utc::now();
        let endpoint = message.endpoint_id.and_then(|id| endpoints.get(&id));
        let (outcome, status_code) = match endpoint {
            None => (AttemptOutcome::Permanent("endpoint_missing".into()), None),
            Some(endpoint) if endpoint.disabled_at.is_some() => {
                (AttemptOutcome::Permanent("endpoint_disabled".into()), None)
            }
            Some(endpoint) => match secrets.get(&endpoint.partner) {
                Some(Some(secrets)) => self.post(&message, endpoint, secrets).await,
                _ => (AttemptOutcome::Permanent("partner_disabled".into()), None),
            },
        };
        let label = match &outcome {
            AttemptOutcome::Delivered => "delivered",
            AttemptOutcome::Temporary(_) => "temporary_failure",
            AttemptOutcome::Permanent(_) => "permanent_failure",
        };
        if let Some(metrics) = &self.metrics {
            metrics.delivered(repo::CHANNEL, label);
        }
        let error = match &outcome {
            AttemptOutcome::Delivered => None,
            AttemptOutcome::Temporary(e) | AttemptOutcome::Permanent(e) => Some(e.clone()),
        };
        let tries = u32::try_from(message.attempts).unwrap_or(u32::MAX);
        let step = self.policy.next_step(outcome, tries, Utc::now(), jitter());
        match &step {
            NextStep::Sent => tracing::info!(
                outbox_id = message.id,
                filing_id = %message.filing_id,
                event = %message.template,
                attempts = tries,
                "webhook delivered"
            ),
            NextStep::Retry { at, error } => tracing::info!(
                outbox_id = message.id,
                filing_id = %message.filing_id,
                attempts = tries,
                error = %error,
                retry_at = %at,
                "webhook not delivered; will retry"
            ),
            NextStep::Failed { error } | NextStep::Dead { error } => {
                if let Some(metrics) = &self.metrics {
                    metrics.delivered(repo::CHANNEL, "given_up");
                }
                tracing::warn!(
                    outbox_id = message.id,
                    filing_id = %message.filing_id,
                    attempts = tries,
                    error = %error,
                    "webhook given up"
                );
            }
        }
        let attempt = Attempt {
            outbox_id: message.id,
            endpoint_id: message.endpoint_id.unwrap_or_default(),
            at,
            status_code,
            error,
            duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        };
        (attempt, step)
    }

    /// The POST itself: its outcome and the receiver's status code.
    async fn post(
        &self,
        message: &DueMessage,
        endpoint: &Endpoint,
        secrets: &[String],
    ) -> (AttemptOutcome, Option<u16>) {
        let Ok(url) = url::Url::parse(&endpoint.url) else {
            return (AttemptOutcome::Permanent("invalid_url".into()), None);
        };
        // An IP literal does not go through the resolver: checked here.
        let literal: Option<IpAddr> = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(ip.into()),
            Some(url::Host::Ipv6(ip)) => Some(ip.into()),
            _ => None,
        };
        if literal.is_some_and(|ip| !domain::webhooks::address_allowed(ip, &self.allowed)) {
            return (AttemptOutcome::Permanent("address_refused".into()), None);
        }
        let id = message_id(message.id);
        let timestamp = Utc::now().timestamp();
        let signature = signature(secrets, &id, timestamp, &message.payload);
        let sent = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(message.payload.clone())
            .send()
            .await;
        match sent {
            Ok(mut response) => {
                let status = response.status();
                // Read (and drop) at most `max_response_bytes` of the answer.
                let mut read = 0;
                while read < self.max_response_bytes {
                    match response.chunk().await {
                        Ok(Some(chunk)) => read += chunk.len(),
                        _ => break,
                    }
                }
                let outcome = if status.is_success() {
                    AttemptOutcome::Delivered
                } else if status.is_redirection() {
                    AttemptOutcome::Temporary("redirect_not_followed".into())
                } else {
                    AttemptOutcome::Temporary(format!("http_{}", status.as_u16()))
                };
                (outcome, Some(status.as_u16()))
            }
            Err(e) if refused(&e) => (AttemptOutcome::Permanent("address_refused".into()), None),
            Err(e) if e.is_timeout() => (AttemptOutcome::Temporary("timeout".into()), None),
            Err(_) => (AttemptOutcome::Temporary("connection_failed".into()), None),
        }
    }
}

/// Whether the request failed because the resolver refused the host's addresses.
fn refused(error: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.is::<AddressRefused>() {
            return true;
        }
        source = e.source();
    }
    false
}

/// Starts a webhook worker on the current runtime; setting the returned sender to
/// `true` stops it after its current round.
pub fn spawn(
    worker: WebhookWorker,
) -> (
    tokio::sync::watch::Sender<bool>,
    tokio::task::JoinHandle<()>,
) {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let handle = actix_web::rt::spawn(Arc::new(worker).run(stopped));
    (stop, handle)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification's reference libraries.
    #[test]
    fn signs_as_the_specification_says() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned();
        let body = r#"{"test": 2432232314}"#;
        let sig = signature(&[secret], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn two_secrets_give_two_signatures() {
        let a = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned();
        let b = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".to_owned();
        let sig = signature(&[a, b], "msg_1", 1, "{}");
        assert_eq!(sig.split(' ').count(), 2);
        assert!(sig.split(' ').all(|s| s.starts_with("v1,")));
    }
}

//! The sealed audit log, service side: the checkpoint signing key and the ring of keys
//! that verify checkpoints ([`keys`]), the witness outside the database ([`witness`]),
//! the sealer ([`sealer`]) and the checks ([`verify`]). The tree and its storage are
//! `domain::merkle` and `persistence::auditlog`.

pub mod cli;
pub mod keys;
pub mod proofs;
pub mod sealer;
pub mod verify;
pub mod witness;

use prometheus::{Gauge, IntCounter, IntGauge, Registry};

/// The audit log's Prometheus metrics.
#[derive(Clone)]
pub struct AuditMetrics {
    /// Age in seconds of the oldest committed event not sealed yet (0 when none).
    pub oldest_unsealed_seconds: Gauge,
    /// Events waiting to be sealed.
    pub unsealed_events: IntGauge,
    /// Events in the sealed log, as of this instance's last look.
    pub log_size: IntGauge,
    /// 1 while this instance is the sealer.
    pub sealer_leader: IntGauge,
    /// Events sealed by this instance.
    pub sealed_total: IntCounter,
    /// 1 when the last check of the log passed, 0 when it found a problem.
    pub integrity_ok: IntGauge,
    /// Checks of the log that found a problem.
    pub check_failures_total: IntCounter,
    /// Checkpoints the witness did not take.
    pub witness_failures_total: IntCounter,
}

impl AuditMetrics {
    /// The metrics, registered in `registry` under `namespace`.
    ///
    /// # Errors
    /// A name clash in the registry.
    pub fn register(registry: &Registry, namespace: &str) -> prometheus::Result<Self> {
        let opts = |name: &str, help: &str| prometheus::Opts::new(name, help).namespace(namespace);
        let metrics = AuditMetrics {
            oldest_unsealed_seconds: Gauge::with_opts(opts(
                "audit_oldest_unsealed_seconds",
                "Age of the oldest committed audit event not sealed yet, in seconds (0 when none)",
            ))?,
            unsealed_events: IntGauge::with_opts(opts(
                "audit_unsealed_events",
                "Committed audit events waiting to be sealed",
            ))?,
            log_size: IntGauge::with_opts(opts(
                "audit_log_size",
                "Events in the sealed audit log (this instance's last look)",
            ))?,
            sealer_leader: IntGauge::with_opts(opts(
                "audit_sealer_leader",
                "1 while this instance is the audit log's sealer",
            ))?,
            sealed_total: IntCounter::with_opts(opts(
                "audit_sealed_events_total",
                "Audit events sealed by this instance",
            ))?,
            integrity_ok: IntGauge::with_opts(opts(
                "audit_log_integrity_ok",
                "1 when the last check of the audit log against its checkpoints passed, 0 when it failed",
            ))?,
            check_failures_total: IntCounter::with_opts(opts(
                "audit_log_check_failures_total",
                "Checks of the audit log that found it altered",
            ))?,
            witness_failures_total: IntCounter::with_opts(opts(
                "audit_witness_failures_total",
                "Checkpoints the witness did not take",
            ))?,
        };
        registry.register(Box::new(metrics.oldest_unsealed_seconds.clone()))?;
        registry.register(Box::new(metrics.unsealed_events.clone()))?;
        registry.register(Box::new(metrics.log_size.clone()))?;
        registry.register(Box::new(metrics.sealer_leader.clone()))?;
        registry.register(Box::new(metrics.sealed_total.clone()))?;
        registry.register(Box::new(metrics.integrity_ok.clone()))?;
        registry.register(Box::new(metrics.check_failures_total.clone()))?;
        registry.register(Box::new(metrics.witness_failures_total.clone()))?;
        metrics.integrity_ok.set(1);
        Ok(metrics)
    }
}

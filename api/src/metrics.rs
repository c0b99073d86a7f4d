//! Prometheus metrics: requests by route and status and a latency histogram (recorded by
//! actix-web-prom), plus database pool gauges refreshed at each scrape.

use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use persistence::DbPool;
use prometheus::{Encoder, IntGauge, Registry, TextEncoder};

const NAMESPACE: &str = "ecommissariat";

pub struct Metrics {
    registry: Registry,
    pool_connections: IntGauge,
    pool_idle: IntGauge,
    pool_max: IntGauge,
    /// The audit log's sealer and checks.
    pub audit: crate::auditlog::AuditMetrics,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot set up metrics: {0}")]
pub struct MetricsError(String);

impl Metrics {
    /// The metrics and the middleware that records HTTP requests into them.
    pub fn new() -> Result<(Self, PrometheusMetrics), MetricsError> {
        let registry = Registry::new();
        let middleware = PrometheusMetricsBuilder::new(NAMESPACE)
            .registry(registry.clone())
            .mask_unmatched_patterns("unmatched")
            .build()
            .map_err(|e| MetricsError(e.to_string()))?;
        let gauge = |name: &str, help: &str| -> Result<IntGauge, MetricsError> {
            let g = IntGauge::with_opts(prometheus::Opts::new(name, help).namespace(NAMESPACE))
                .map_err(|e| MetricsError(e.to_string()))?;
            registry
                .register(Box::new(g.clone()))
                .map_err(|e| MetricsError(e.to_string()))?;
            Ok(g)
        };
        let metrics = Metrics {
            pool_connections: gauge(
                "db_pool_connections",
                "Database connections currently open (idle and in use)",
            )?,
            pool_idle: gauge("db_pool_idle_connections", "Idle database connections")?,
            pool_max: gauge(
                "db_pool_max_connections",
                "Maximum size of the database pool",
            )?,
            audit: crate::auditlog::AuditMetrics::register(&registry, NAMESPACE)
                .map_err(|e| MetricsError(e.to_string()))?,
            registry,
        };
        Ok((metrics, middleware))
    }

    /// The exposition in Prometheus text format.
    pub fn render(&self, pool: &DbPool) -> String {
        let state = pool.state();
        self.pool_connections.set(i64::from(state.connections));
        self.pool_idle.set(i64::from(state.idle_connections));
        self.pool_max.set(i64::from(pool.max_size()));
        let mut buffer = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut buffer) {
            tracing::error!(error = %e, "cannot encode metrics");
        }
        String::from_utf8(buffer).unwrap_or_default()
    }
}

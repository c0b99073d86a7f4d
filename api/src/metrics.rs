//! Prometheus metrics: requests by route and status and a latency histogram (recorded by
//! actix-web-prom), plus database pool gauges refreshed at each scrape.

use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use persistence::DbPool;
use prometheus::{Encoder, IntCounterVec, IntGauge, IntGaugeVec, Registry, TextEncoder};

const NAMESPACE: &str = "ecommissariat";

pub struct Metrics {
    registry: Registry,
    pool_connections: IntGauge,
    pool_idle: IntGauge,
    pool_max: IntGauge,
    /// The audit log's sealer and checks.
    pub audit: crate::auditlog::AuditMetrics,
    /// The outbox's gauges and counters, which the delivery worker keeps.
    pub delivery: DeliveryMetrics,
    /// The chat's gauges and histograms.
    pub chat: ChatMetrics,
    /// The open statistics' answers (docs/STATISTICS.md).
    pub statistics: StatisticsMetrics,
}

/// The open statistics' answers: served from this instance's cache or computed from the
/// summary (`source`: `cache`, `computed`), and how long a computation took. Tells
/// whether the refresh job's warm-up spares readers the computation.
#[derive(Clone)]
pub struct StatisticsMetrics {
    answers: IntCounterVec,
    compute: prometheus::Histogram,
    load: prometheus::HistogramVec,
    cells: prometheus::IntGauge,
}

impl StatisticsMetrics {
    fn new(registry: &Registry) -> Result<Self, MetricsError> {
        let error = |e: prometheus::Error| MetricsError(e.to_string());
        let answers = IntCounterVec::new(
            prometheus::Opts::new(
                "statistics_answers_total",
                "Statistics answers by source: cache (this instance's, for the summary's generation) or computed",
            )
            .namespace(NAMESPACE),
            &["source"],
        )
        .map_err(error)?;
        let compute = prometheus::Histogram::with_opts(
            prometheus::HistogramOpts::new(
                "statistics_compute_seconds",
                "Time to compute a statistics answer from the summary",
            )
            .namespace(NAMESPACE)
            .buckets(vec![0.005, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0]),
        )
        .map_err(error)?;
        let load = prometheus::HistogramVec::new(
            prometheus::HistogramOpts::new(
                "statistics_summary_load_seconds",
                "Time to bring the summary in memory to a new generation, by how (`read`): whole, or the copy held updated from the cells changed since",
            )
            .namespace(NAMESPACE)
            .buckets(vec![0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]),
            &["read"],
        )
        .map_err(error)?;
        let cells = prometheus::IntGauge::with_opts(
            prometheus::Opts::new(
                "statistics_summary_cells",
                "Cells of the summary held in memory by this instance",
            )
            .namespace(NAMESPACE),
        )
        .map_err(error)?;
        for collector in [
            Box::new(answers.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(compute.clone()),
            Box::new(load.clone()),
            Box::new(cells.clone()),
        ] {
            registry.register(collector).map_err(error)?;
        }
        Ok(StatisticsMetrics {
            answers,
            compute,
            load,
            cells,
        })
    }

    /// Counts an answer served from the cache.
    pub fn cached(&self) {
        self.answers.with_label_values(&["cache"]).inc();
    }

    /// Records a load of the summary into memory, whole or from the changes (`how`):
    /// `cells` held after `seconds`.
    pub fn loaded(&self, how: persistence::statistics::SummaryRead, seconds: f64, cells: usize) {
        let read = match how {
            persistence::statistics::SummaryRead::Whole => "whole",
            persistence::statistics::SummaryRead::Changes { .. } => "changes",
        };
        self.load.with_label_values(&[read]).observe(seconds);
        self.cells.set(i64::try_from(cells).unwrap_or(i64::MAX));
    }

    /// Counts an answer computed in `seconds`.
    pub fn computed(&self, seconds: f64) {
        self.answers.with_label_values(&["computed"]).inc();
        self.compute.observe(seconds);
    }
}

/// The chat's metrics: per desk, the conversations waiting and the agents available
/// (refreshed from the database every few seconds by each instance's idle loop); the
/// wait from opening to an agent taking it (observed by the instance that took it); and
/// the relay's latency, from an event's publication to this instance's listener handing
/// it on (PostgreSQL; on SQLite the relay is a function call and is not observed).
#[derive(Clone)]
pub struct ChatMetrics {
    pub waiting: IntGaugeVec,
    pub available: IntGaugeVec,
    pub wait: prometheus::Histogram,
    pub relay: prometheus::Histogram,
}

impl ChatMetrics {
    fn new(registry: &Registry) -> Result<Self, MetricsError> {
        let error = |e: prometheus::Error| MetricsError(e.to_string());
        let gauge = |name: &str, help: &str| {
            IntGaugeVec::new(
                prometheus::Opts::new(name, help).namespace(NAMESPACE),
                &["desk"],
            )
        };
        let waiting = gauge(
            "chat_waiting_conversations",
            "Conversations waiting in a desk's queue",
        )
        .map_err(error)?;
        let available =
            gauge("chat_agents_available", "Agents available at a desk").map_err(error)?;
        let wait = prometheus::Histogram::with_opts(
            prometheus::HistogramOpts::new(
                "chat_wait_seconds",
                "Time from opening a conversation to an agent taking it, in seconds",
            )
            .namespace(NAMESPACE)
            .buckets(vec![
                5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0,
            ]),
        )
        .map_err(error)?;
        let relay = prometheus::Histogram::with_opts(
            prometheus::HistogramOpts::new(
                "chat_relay_latency_seconds",
                "Time from a chat event's publication to this instance's listener handing it on (PostgreSQL), in seconds",
            )
            .namespace(NAMESPACE)
            .buckets(vec![0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]),
        )
        .map_err(error)?;
        for metric in [
            Box::new(waiting.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(available.clone()),
            Box::new(wait.clone()),
            Box::new(relay.clone()),
        ] {
            registry.register(metric).map_err(error)?;
        }
        Ok(ChatMetrics {
            waiting,
            available,
            wait,
            relay,
        })
    }
}

/// The outbox's metrics: its depth by channel and status, the age of its oldest due
/// message by channel (refreshed by the delivery worker every few seconds), and the
/// delivery attempts by channel and outcome.
#[derive(Clone)]
pub struct DeliveryMetrics {
    depth: IntGaugeVec,
    oldest_due: prometheus::GaugeVec,
    deliveries: IntCounterVec,
}

impl DeliveryMetrics {
    fn new(registry: &Registry) -> Result<Self, MetricsError> {
        let error = |e: prometheus::Error| MetricsError(e.to_string());
        let depth = IntGaugeVec::new(
            prometheus::Opts::new("outbox_messages", "Queued messages by channel and status")
                .namespace(NAMESPACE),
            &["channel", "status"],
        )
        .map_err(error)?;
        let oldest_due = prometheus::GaugeVec::new(
            prometheus::Opts::new(
                "outbox_oldest_due_seconds",
                "Age of the oldest message due and not yet sent, by channel (0 when none)",
            )
            .namespace(NAMESPACE),
            &["channel"],
        )
        .map_err(error)?;
        let deliveries = IntCounterVec::new(
            prometheus::Opts::new(
                "outbox_deliveries_total",
                "Delivery attempts by channel and outcome (delivered, temporary_failure, permanent_failure, given_up; endpoint_disabled: a webhook endpoint disabled after a message died)",
            )
            .namespace(NAMESPACE),
            &["channel", "outcome"],
        )
        .map_err(error)?;
        registry.register(Box::new(depth.clone())).map_err(error)?;
        registry
            .register(Box::new(oldest_due.clone()))
            .map_err(error)?;
        registry
            .register(Box::new(deliveries.clone()))
            .map_err(error)?;
        Ok(DeliveryMetrics {
            depth,
            oldest_due,
            deliveries,
        })
    }

    /// Counts one attempt.
    pub fn delivered(&self, channel: &str, outcome: &str) {
        self.deliveries.with_label_values(&[channel, outcome]).inc();
    }

    /// Sets the depth (channel, status, count) and the oldest due message's age in
    /// milliseconds per channel.
    pub fn set_outbox(&self, depth: &[(String, String, i64)], oldest: &[(&str, Option<i64>)]) {
        self.depth.reset();
        for (channel, status, count) in depth {
            self.depth
                .with_label_values(&[channel.as_str(), status.as_str()])
                .set(*count);
        }
        for (channel, age) in oldest {
            // Milliseconds to seconds, for display.
            #[allow(clippy::cast_precision_loss)]
            let seconds = age.map_or(0.0, |ms| ms.max(0) as f64 / 1000.0);
            self.oldest_due.with_label_values(&[*channel]).set(seconds);
        }
    }
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
            delivery: DeliveryMetrics::new(&registry)?,
            chat: ChatMetrics::new(&registry)?,
            statistics: StatisticsMetrics::new(&registry)?,
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

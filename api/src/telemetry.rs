//! Logs: pretty for people by default, JSON for machines by configuration. Every line
//! inside a request carries its request id (from the root span). Personal data is never
//! logged: ids only.
//!
//! Levels: each request is one INFO line when its span closes (route, status, duration),
//! whatever its status; WARN and ERROR are for what an operator must act on. A client's
//! error (4xx) is the client's business, so tracing-actix-web's own WARN event for it is
//! filtered out; server errors (5xx) stay ERROR. So is actix-web-prom's WARN at every
//! Swagger UI asset.

use crate::config::{LogFormat, LogSettings};
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::EnvFilter;

/// The target of tracing-actix-web's per-error events (WARN for 4xx, ERROR for 5xx).
const ERROR_EVENTS_TARGET: &str = "tracing_actix_web::middleware";
/// actix-web-prom warns at every request to a route with a catch-all segment (the
/// Swagger UI's assets) that it cannot label it: nothing an operator can act on.
const METRICS_TARGET: &str = "actix_web_prom";

/// The filter: `RUST_LOG` when set, else the configured level; tracing-actix-web's and
/// actix-web-prom's events below ERROR are dropped unless the filter names the crate.
pub fn filter(settings: &LogSettings) -> EnvFilter {
    let spec = std::env::var(EnvFilter::DEFAULT_ENV)
        .ok()
        .filter(|s| EnvFilter::try_new(s).is_ok())
        .unwrap_or_else(|| settings.level.clone());
    let spec = if EnvFilter::try_new(&spec).is_ok() {
        spec
    } else {
        "info".to_owned()
    };
    let mut spec = if spec.trim().is_empty() {
        "info".to_owned()
    } else {
        spec
    };
    for target in [ERROR_EVENTS_TARGET, METRICS_TARGET] {
        let krate = target.split("::").next().unwrap_or(target);
        if !spec.contains(krate) {
            spec.push_str(&format!(",{target}=error"));
        }
    }
    EnvFilter::try_new(&spec).unwrap_or_else(|_| EnvFilter::new("info"))
}

/// Installs the global subscriber; a second call is a no-op (tests, embedded use).
pub fn init(settings: &LogSettings) {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter(settings))
        .with_writer(std::io::stderr)
        .with_span_events(FmtSpan::CLOSE);
    let _ = match settings.format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}

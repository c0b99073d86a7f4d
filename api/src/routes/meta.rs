//! The contract and the metrics, served by the service itself.

use crate::error::{ApiError, Problem};
use crate::state::{AppState, MetricsAccess};
use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

/// OpenAPI document (JSON)
///
/// The contract of this API, OpenAPI 3.1, as JSON.
#[utoipa::path(
    tag = "operations",
    security(()),
    responses(
        (status = 200, description = "The OpenAPI document", content_type = "application/json",
            body = Object, example = json!({"openapi": "3.1.0", "info": {"title": "e-commissariat API"}})),
    )
)]
#[get("/openapi.json")]
pub async fn openapi_json(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(state.contract.json.clone())
}

/// OpenAPI document (YAML)
///
/// The contract of this API, OpenAPI 3.1, as YAML: byte for byte the `openapi.yaml`
/// committed at the root of the repository.
#[utoipa::path(
    tag = "operations",
    security(()),
    responses(
        (status = 200, description = "The OpenAPI document", content_type = "application/yaml",
            body = String, example = "openapi: 3.1.0\ninfo:\n  title: e-commissariat API\n"),
    )
)]
#[get("/openapi.yaml")]
pub async fn openapi_yaml(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/yaml"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(state.contract.yaml.clone())
}

/// Prometheus metrics
///
/// Requests by route, method and status, a latency histogram, and database pool gauges,
/// in the Prometheus text exposition format. Labels come from closed sets: route
/// templates (`unmatched` for every other path) and the known methods (`OTHER` for any
/// other). Who may read it is configured (docs/OPERATIONS.md): in production, a bearer
/// token (`metrics.token`) or the admin listener only (404 here otherwise).
#[utoipa::path(
    tag = "operations",
    security((), ("metrics_token" = [])),
    responses(
        (status = 200, description = "Metrics in Prometheus text format",
            content_type = "text/plain; version=0.0.4", body = String,
            example = "ecommissariat_db_pool_max_connections 10\n"),
        (status = 401, description = "A token is configured and the request does not carry it",
            body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not served on this listener (production without a token)",
            body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/metrics")]
pub async fn metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let open = req.app_data::<web::Data<AdminListener>>().is_some();
    if !open {
        match &state.metrics_access {
            MetricsAccess::Public => {}
            MetricsAccess::Hidden => return Err(ApiError::NotFound),
            MetricsAccess::Token(token) => {
                let presented = req
                    .headers()
                    .get(header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.split_once(' '))
                    .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                    .map(|(_, t)| t.trim().as_bytes().to_vec())
                    .unwrap_or_default();
                let expected = token.expose_secret().as_bytes();
                if !constant_time_eq(&presented, expected) {
                    return Err(ApiError::MissingToken);
                }
            }
        }
    }
    Ok(render_metrics(&state))
}

/// Marks the admin listener's app, where `/metrics` is served to anyone who can reach it.
pub struct AdminListener;

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let (da, db) = (Sha256::digest(a), Sha256::digest(b));
    da.iter()
        .zip(db.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

fn render_metrics(state: &AppState) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        ))
        .body(state.metrics.render(&state.pool))
}

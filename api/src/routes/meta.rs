//! The contract and the metrics, served by the service itself.

use crate::state::AppState;
use actix_web::http::header;
use actix_web::{get, web, HttpResponse};

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
/// in the Prometheus text exposition format.
#[utoipa::path(
    tag = "operations",
    security(()),
    responses(
        (status = 200, description = "Metrics in Prometheus text format",
            content_type = "text/plain; version=0.0.4", body = String,
            example = "ecommissariat_db_pool_max_connections 10\n"),
    )
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        ))
        .body(state.metrics.render(&state.pool))
}

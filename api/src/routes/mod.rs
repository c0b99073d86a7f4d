//! HTTP handlers, one module per resource. Every route is registered here through
//! `utoipa_actix_web`, so that it is in the OpenAPI document.

pub mod fallback;
pub mod health;
pub mod meta;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::live)
        .service(health::ready)
        .service(meta::openapi_json)
        .service(meta::openapi_yaml)
        .service(meta::metrics);
}

//! Building the service: database, state, middleware, routes. `Application::build` binds
//! (port 0 picks a free port) so that tests and `main` start it the same way.

use crate::config::Settings;
use crate::metrics::{Metrics, MetricsError};
use crate::middleware::{self, RootSpan};
use crate::openapi::{self, Contract};
use crate::routes;
use crate::state::AppState;
use actix_cors::Cors;
use actix_web::dev::{Server, ServerHandle};
use actix_web::http::header;
use actix_web::middleware::{from_fn, Condition, DefaultHeaders};
use actix_web::{web, App, HttpResponse, HttpServer};
use persistence::{DbPool, PersistenceError};
use std::net::{SocketAddr, TcpListener};
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::{Config as SwaggerConfig, SwaggerUi};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] PersistenceError),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    #[error("cannot render the OpenAPI document: {0}")]
    Contract(String),
    #[error("invalid catalogue or texts: {0}")]
    Texts(String),
}

pub struct Application {
    address: SocketAddr,
    server: Server,
}

impl Application {
    /// Connects to the database (running pending migrations), then binds.
    pub fn build(settings: Settings) -> Result<Self, StartupError> {
        let url = settings.database_url()?;
        tracing::info!(database = %url.redacted(), "connecting to the database");
        let pool = persistence::connect(url, &settings.pool_options())?;
        Self::build_with_pool(settings, pool)
    }

    pub fn build_with_pool(settings: Settings, pool: DbPool) -> Result<Self, StartupError> {
        let database = settings.database_url()?;
        let (metrics, metrics_middleware) = Metrics::new()?;
        let contract = Contract::new(&openapi::document()).map_err(StartupError::Contract)?;
        crate::i18n::check_texts().map_err(StartupError::Texts)?;
        let catalogue = domain::catalogue::Catalogue::builtin()
            .map_err(|e| StartupError::Texts(e.to_string()))?;
        let countries = settings
            .countries()
            .map_err(|e| StartupError::Texts(e.to_string()))?;
        let default_language = settings
            .default_language()
            .map_err(|e| StartupError::Texts(e.to_string()))?;
        let state = web::Data::new(AppState {
            pool,
            database,
            metrics,
            contract,
            catalogue,
            countries,
            default_language,
            body_limit: settings.server.body_limit_bytes,
        });

        let listener =
            TcpListener::bind(&settings.server.bind).map_err(|source| StartupError::Bind {
                address: settings.server.bind.clone(),
                source,
            })?;
        let address = listener.local_addr().map_err(|source| StartupError::Bind {
            address: settings.server.bind.clone(),
            source,
        })?;

        let body_limit = settings.server.body_limit_bytes;
        let origins = settings.cors.allowed_origins.clone();
        let mut server = HttpServer::new(move || {
            let (app, _) = App::new()
                .into_utoipa_app()
                .configure(routes::configure)
                .split_for_parts();
            app.app_data(state.clone())
                .app_data(middleware::json_config(body_limit))
                .app_data(middleware::payload_config(body_limit))
                .app_data(middleware::path_config())
                .app_data(middleware::query_config())
                // The human documentation UI; not an API operation, so not in the contract.
                .service(
                    SwaggerUi::new("/docs/{_:.*}").config(SwaggerConfig::new(["/openapi.json"])),
                )
                .route("/docs", web::get().to(redirect_to_docs))
                .default_service(web::to(routes::fallback::fallback))
                .wrap(Condition::new(!origins.is_empty(), cors(&origins)))
                .wrap(metrics_middleware.clone())
                .wrap(TracingLogger::<RootSpan>::new())
                .wrap(security_headers())
                .wrap(from_fn(middleware::request_context))
        })
        .shutdown_timeout(settings.server.shutdown_timeout_secs);
        if let Some(workers) = settings.server.workers {
            server = server.workers(workers);
        }
        if !settings.server.handle_signals {
            server = server.disable_signals();
        }
        let server = server
            .listen(listener)
            .map_err(|source| StartupError::Bind {
                address: address.to_string(),
                source,
            })?
            .run();
        Ok(Self { address, server })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// A handle to stop the server gracefully.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

async fn redirect_to_docs() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/docs/"))
        .finish()
}

/// Headers on every response. `Cache-Control: no-store` is the default, since most
/// responses carry personal data; public resources set their own.
fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::CACHE_CONTROL, "no-store"))
}

/// CORS for the configured origins only (the middleware is off when there are none, so
/// browsers refuse cross-origin reads).
fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::ACCEPT_LANGUAGE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::HeaderName::from_static("idempotency-key"),
            middleware::X_REQUEST_ID,
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            header::CONTENT_LANGUAGE,
            middleware::X_REQUEST_ID,
        ])
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

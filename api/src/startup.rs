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
use actix_web::middleware::from_fn;
use actix_web::{guard, web, App, HttpResponse, HttpServer};
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
    #[error("cannot load the directory: {0}")]
    Directory(String),
    #[error("authentication: {0}")]
    Auth(String),
    /// The keys that seal personal data at rest (`sealing.*`).
    #[error("{0}")]
    Sealing(String),
    #[error("audit log: {0}")]
    Audit(String),
    /// The documents' signing key (`credentials.*`).
    #[error("{0}")]
    Credentials(String),
    /// The evidence store (`evidence.*`).
    #[error("evidence: {0}")]
    Evidence(String),
    #[error("notifications: {0}")]
    Delivery(String),
    /// The chat's desks (`chat.desks`).
    #[error("chat: {0}")]
    Chat(String),
    /// The Open311 services (`open311.*`).
    #[error("{0}")]
    Open311(String),
}

pub struct Application {
    address: SocketAddr,
    server: Server,
    /// Stops the delivery workers (e-mail, webhooks), when they run in this process.
    delivery: Vec<(
        tokio::sync::watch::Sender<bool>,
        tokio::task::JoinHandle<()>,
    )>,
    admin_address: Option<SocketAddr>,
    admin: Option<Server>,
    sealer: Option<crate::auditlog::sealer::Sealer>,
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
        domain::notices::check().map_err(StartupError::Texts)?;
        let catalogue = domain::catalogue::Catalogue::builtin()
            .map_err(|e| StartupError::Texts(e.to_string()))?;
        let retention = retention_policy(&catalogue)?;
        let processing = domain::processing::Processing::shipped()
            .map_err(|e| StartupError::Texts(e.to_string()))?;
        let countries = settings
            .countries()
            .map_err(|e| StartupError::Texts(e.to_string()))?;
        let default_language = settings
            .default_language()
            .map_err(|e| StartupError::Texts(e.to_string()))?;
        let open311 = crate::open311::Open311::new(
            &settings.open311,
            settings
                .open311_assurance()
                .map_err(|e| StartupError::Open311(e.to_string()))?,
            &catalogue,
            &countries,
        )
        .map_err(StartupError::Open311)?;
        let directory = load_directory(&pool, &settings)?;
        let (verifier, dev_idp) = build_verifier(&settings)?;
        let (sealing, origin) = settings
            .keyring()
            .map_err(|e| StartupError::Sealing(e.to_string()))?;
        tracing::info!(
            keys = %origin,
            current = sealing.current_id(),
            "personal data is sealed at rest (AES-256-GCM)"
        );
        let evidence = crate::evidence::Evidence::from_settings(
            &settings.evidence,
            &settings.database.data_dir,
        )
        .map_err(|e| StartupError::Evidence(e.to_string()))?;
        let (audit_log, sealer_parts) = audit_log(&settings, &pool, &metrics)?;
        let credentials = credentials(&settings)?;
        let sealer = crate::auditlog::sealer::Sealer::spawn(sealer_parts)
            .map_err(|e| StartupError::Audit(e.to_string()))?;
        let chat = crate::chat::Chat::from_settings(
            &settings.chat,
            matches!(database, persistence::DatabaseUrl::Postgres(_)),
        )
        .map_err(StartupError::Chat)?;
        chat.hub.observe_latency(metrics.chat.relay.clone());
        crate::chat::relay::spawn_listener(
            &database,
            &chat.hub,
            std::time::Duration::from_secs(settings.database.connect_timeout_secs.max(1)),
        );
        let state = web::Data::new(AppState {
            pool,
            database,
            metrics,
            contract,
            catalogue,
            retention,
            processing,
            retention_job: settings
                .retention
                .enabled
                .then_some(settings.retention.interval_secs),
            statistics_threshold: settings.statistics.threshold,
            statistics_cache: crate::app::statistics::new_cache(),
            statistics_summary: crate::app::statistics::new_summary(),
            open311,
            countries,
            default_language,
            body_limit: settings.server.body_limit_bytes,
            body_timeout: std::time::Duration::from_secs(settings.server.body_timeout_secs),
            metrics_access: metrics_access(&settings),
            directory: std::sync::RwLock::new(std::sync::Arc::new(directory)),
            verifier,
            dev_idp,
            sealing,
            evidence,
            app_client_ids: settings.auth.app_client_ids.clone(),
            not_partners: crate::state::not_partners_cache(),
            reserved_client_ids: settings.reserved_client_ids(),
            daily_submissions: settings.filings.daily_submissions,
            target_hours: settings.filings.target_hours,
            audit_log,
            notices: settings.notices.clone(),
            alerts: settings.alerts.clone(),
            chat,
            video: crate::video::VideoProvider::from_settings(&settings),
            video_assurance: settings
                .video_assurance()
                .map_err(|e| StartupError::Texts(e.to_string()))?,
            webhooks: settings.webhooks.clone(),
            webhook_allowed: settings
                .webhooks
                .allowed()
                .map_err(|e| StartupError::Delivery(e.to_string()))?,
            credentials,
            verify_per_minute: settings.credentials.verify_per_minute,
            rate_limits: settings.rate_limits.clone(),
            items: settings.items.clone(),
            travel: settings.travel.clone(),
            partner_origins: Default::default(),
        });
        {
            let mut conn = state.pool.get().map_err(PersistenceError::from)?;
            state.set_partner_origins(persistence::partners::enabled_origins(&mut conn)?);
        }
        spawn_partner_origins_refresh(
            state.clone(),
            std::time::Duration::from_secs(settings.cors.partner_refresh_secs.max(1)),
        );

        let mut delivery = Vec::new();
        if settings.notifications.worker {
            let directory_state = state.clone();
            let worker = crate::delivery::Worker::new(
                &settings,
                state.pool.clone(),
                crate::delivery::unit_names_from(move || directory_state.directory()),
                Some(state.metrics.delivery.clone()),
                state.sealing.clone(),
            )
            .map_err(|e| StartupError::Delivery(e.to_string()))?;
            delivery.push(crate::delivery::spawn(worker));
            let webhooks = crate::delivery::webhooks::WebhookWorker::new(
                &settings.webhooks,
                state.pool.clone(),
                state.sealing.clone(),
                Some(state.metrics.delivery.clone()),
            )
            .map_err(|e| StartupError::Delivery(e.to_string()))?;
            delivery.push(crate::delivery::webhooks::spawn(webhooks));
        }
        spawn_jwks_refresh(state.clone());
        crate::app::alerts::spawn_escalation(state.clone());
        crate::app::chat::spawn_idle_closing(state.clone());
        crate::app::chat::spawn_publisher(state.clone());
        crate::app::evidence_cleanup::spawn(state.clone());
        if settings.retention.enabled {
            spawn_retention(state.clone(), &settings.retention);
        }
        if settings.statistics.refresh_secs > 0 {
            crate::app::statistics::spawn_refresh(
                state.clone(),
                std::time::Duration::from_secs(settings.statistics.refresh_secs),
                crate::routes::statistics::warm_default,
            );
        }
        if settings.statistics.follow_secs > 0 {
            crate::app::statistics::spawn_follower(
                state.clone(),
                std::time::Duration::from_secs(settings.statistics.follow_secs),
                crate::routes::statistics::warm_default,
            );
        }
        if settings.directory.refresh_secs > 0 {
            spawn_directory_refresh(
                state.clone(),
                std::time::Duration::from_secs(settings.directory.refresh_secs),
                (
                    settings.directory.default_accuracy_m,
                    settings.directory.data_margin_m,
                ),
            );
        }

        let listener =
            TcpListener::bind(&settings.server.bind).map_err(|source| StartupError::Bind {
                address: settings.server.bind.clone(),
                source,
            })?;
        let address = listener.local_addr().map_err(|source| StartupError::Bind {
            address: settings.server.bind.clone(),
            source,
        })?;

        let admin = match &settings.server.admin_bind {
            Some(bind) => Some(admin_server(&settings, bind, state.clone())?),
            None => None,
        };
        let body_limit = settings.server.body_limit_bytes;
        let origins = settings.cors.allowed_origins.clone();
        let workers = settings.server.workers.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        });
        crate::middleware::install_parser_responses();
        let server = HttpServer::new(move || {
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
                .route(
                    "/docs",
                    web::route()
                        .guard(guard::Any(guard::Get()).or(guard::Head()))
                        .to(redirect_to_docs),
                )
                .default_service(web::to(routes::fallback::fallback))
                .wrap(cors(&origins, state.clone()))
                .wrap(metrics_middleware.clone())
                .wrap(TracingLogger::<RootSpan>::new())
                .wrap(from_fn(middleware::request_context))
        })
        .shutdown_timeout(settings.server.shutdown_timeout_secs)
        .workers(workers)
        .client_request_timeout(std::time::Duration::from_secs(
            settings.server.head_timeout_secs,
        ))
        .max_connections(settings.server.max_connections.div_ceil(workers).max(1));
        // actix stops at once on SIGINT; ours finish in-flight requests on the first
        // SIGINT or SIGTERM alike (`spawn_signal_handler`).
        let server = server
            .disable_signals()
            .listen(listener)
            .map_err(|source| StartupError::Bind {
                address: address.to_string(),
                source,
            })?
            .run();
        if settings.server.handle_signals {
            spawn_signal_handler(server.handle(), settings.server.shutdown_timeout_secs);
        }
        let (admin_address, admin) = match admin {
            Some((address, server)) => (Some(address), Some(server)),
            None => (None, None),
        };
        Ok(Self {
            address,
            server,
            delivery,
            admin_address,
            admin,
            sealer: Some(sealer),
        })
    }

    /// The address of the admin listener, when `server.admin_bind` is set.
    pub fn admin_address(&self) -> Option<SocketAddr> {
        self.admin_address
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// A handle to stop the server gracefully (the admin listener stops with it).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped; then lets the delivery worker finish its round, and stops
    /// the audit sealer (which seals what is pending once more when it leads).
    pub async fn run_until_stopped(mut self) -> std::io::Result<()> {
        let sealer = self.sealer.take();
        let delivery = std::mem::take(&mut self.delivery);
        let outcome = match self.admin {
            None => self.server.await,
            Some(admin) => {
                let admin_handle = admin.handle();
                let admin = actix_web::rt::spawn(admin);
                let outcome = self.server.await;
                admin_handle.stop(true).await;
                let _ = admin.await;
                outcome
            }
        };
        // The delivery worker finishes its round (and records it) before the process ends.
        for (stop, worker) in delivery {
            let _ = stop.send(true);
            let _ = worker.await;
        }
        if let Some(mut sealer) = sealer {
            let _ = tokio::task::spawn_blocking(move || sealer.stop()).await;
        }
        outcome
    }
}

/// The key that signs the documents' credentials (docs/DOCUMENTS.md), and the retired
/// keys still published.
fn credentials(settings: &Settings) -> Result<crate::credentials::Credentials, StartupError> {
    let c = &settings.credentials;
    let credentials = crate::credentials::Credentials::load(
        c.signing_key.as_ref(),
        &settings.credential_key_file(),
        &c.retired_public_keys,
        &c.issuer,
    )
    .map_err(|e| StartupError::Credentials(e.to_string()))?;
    tracing::info!(
        key_id = credentials.key_id(),
        key = credentials.origin(),
        "documents' credentials"
    );
    if settings.environment == crate::config::Environment::Production
        && c.signing_key.is_none()
        && c.signing_key_file.is_none()
    {
        tracing::warn!(
            "the documents' signing key is in the data folder: set \
             credentials.signing_key_file (or ECOM__CREDENTIALS__SIGNING_KEY) to keep it \
             away from the database's administrators"
        );
    }
    Ok(credentials)
}

/// The audit log's keys and witness, checked once now (a problem is logged at ERROR and
/// set in the metrics, the service still starts), and what the sealer thread needs.
fn audit_log(
    settings: &Settings,
    pool: &DbPool,
    metrics: &crate::metrics::Metrics,
) -> Result<(crate::state::AuditLog, crate::auditlog::sealer::SealerParts), StartupError> {
    use crate::auditlog::{keys, sealer, witness::Witness};
    let audit = &settings.audit;
    let signer = keys::AuditSigner::load(audit.signing_key.as_ref(), &settings.audit_key_file())
        .map_err(|e| StartupError::Audit(e.to_string()))?;
    let keyring = keys::Keyring::new(Some(signer.public()), &audit.retired_public_keys)
        .map_err(|e| StartupError::Audit(e.to_string()))?;
    let witness = Witness {
        dir: settings.audit_witness_dir(),
        url: audit.witness_url.clone(),
    };
    tracing::info!(key_id = signer.key_id(), key = signer.origin(), witness = ?witness, "audit log");
    if settings.environment == crate::config::Environment::Production
        && audit.signing_key.is_none()
        && audit.signing_key_file.is_none()
    {
        tracing::warn!(
            "the audit log's signing key is in the data folder: set audit.signing_key_file \
             (or ECOM__AUDIT__SIGNING_KEY) to keep it away from the database's administrators"
        );
    }
    let mut conn = pool.get().map_err(PersistenceError::from)?;
    sealer::check(&mut conn, &keyring, &witness, &metrics.audit);
    drop(conn);
    let parts = sealer::SealerParts {
        url: settings.database_url()?,
        options: settings.pool_options(),
        interval: std::time::Duration::from_millis(audit.seal_interval_ms),
        batch_size: audit.batch_size,
        check_every: std::time::Duration::from_secs(audit.check_interval_secs),
        signer: std::sync::Arc::new(signer),
        keyring: keyring.clone(),
        witness: witness.clone(),
        metrics: metrics.audit.clone(),
    };
    Ok((crate::state::AuditLog { keyring, witness }, parts))
}

/// Who may read `/metrics` on the public listener: the token holders when a token is
/// configured; otherwise anyone in development and nobody in production.
fn metrics_access(settings: &Settings) -> crate::state::MetricsAccess {
    use crate::state::MetricsAccess;
    match (&settings.metrics.token, settings.environment) {
        (Some(token), _) => MetricsAccess::Token(token.clone()),
        (None, crate::config::Environment::Development) => MetricsAccess::Public,
        (None, crate::config::Environment::Production) => {
            if settings.server.admin_bind.is_none() {
                tracing::warn!(
                    "/metrics is not served: set metrics.token or server.admin_bind to scrape it"
                );
            }
            MetricsAccess::Hidden
        }
    }
}

/// Stops the server gracefully on the first SIGINT (Ctrl-C) or SIGTERM: no new
/// connections, in-flight requests finish within `grace_secs`. A second signal during
/// that wait stops the process at once (exit status 130), as a second Ctrl-C is expected
/// to. The signals are taken here, before the service says it listens: a signal that
/// comes before the runtime first polls the handler's task waits for it, instead of
/// killing the process (the default action).
fn spawn_signal_handler(handle: ServerHandle, grace_secs: u64) {
    let mut signals = match Signals::new() {
        Ok(signals) => signals,
        Err(error) => {
            return tracing::error!(%error, "cannot listen for SIGINT/SIGTERM; stop with SIGKILL")
        }
    };
    actix_web::rt::spawn(async move {
        let first = signals.next().await;
        tracing::info!(
            signal = first,
            "stopping: in-flight requests may finish within {grace_secs} s; \
             send the signal again (Ctrl-C) to stop at once"
        );
        let stopping = handle.stop(true);
        tokio::select! {
            () = stopping => {}
            second = signals.next() => {
                tracing::warn!(signal = second, "second signal: stopping at once, in-flight requests are cut");
                std::process::exit(130);
            }
        }
    });
}

/// SIGINT and SIGTERM as one stream (on Unix; elsewhere Ctrl-C only).
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    /// Waits for the next signal and names it.
    async fn next(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => "SIGINT",
                _ = self.terminate.recv() => "SIGTERM",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

/// Connections the admin listener accepts at once (probes and scrapes are few).
const ADMIN_MAX_CONNECTIONS: usize = 64;

/// The admin listener: the probes and `/metrics` only, on one worker of its own with its
/// own connection budget, so that they answer while the public listener is saturated.
fn admin_server(
    settings: &Settings,
    bind: &str,
    state: web::Data<AppState>,
) -> Result<(SocketAddr, Server), StartupError> {
    let bind_error = |source| StartupError::Bind {
        address: bind.to_owned(),
        source,
    };
    let listener = TcpListener::bind(bind).map_err(bind_error)?;
    let address = listener.local_addr().map_err(bind_error)?;
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::Data::new(routes::meta::AdminListener))
            .service(routes::health::live)
            .service(routes::health::ready)
            .service(routes::meta::metrics)
            .default_service(web::to(admin_not_found))
            .wrap(from_fn(middleware::request_context))
    })
    .workers(1)
    .max_connections(ADMIN_MAX_CONNECTIONS)
    .client_request_timeout(std::time::Duration::from_secs(
        settings.server.head_timeout_secs,
    ))
    .shutdown_timeout(settings.server.shutdown_timeout_secs);
    // The main listener's signal handler stops both (`run_until_stopped`).
    server = server.disable_signals();
    let server = server.listen(listener).map_err(bind_error)?.run();
    tracing::info!(%address, "admin listener (probes and metrics) bound");
    Ok((address, server))
}

async fn admin_not_found() -> Result<HttpResponse, crate::error::ApiError> {
    Err(crate::error::ApiError::NotFound)
}

/// The trusted issuers, plus the development IdP when enabled.
fn build_verifier(
    settings: &Settings,
) -> Result<(crate::auth::Verifier, Option<crate::devidp::DevIdp>), StartupError> {
    use domain::catalogue::Assurance;
    let level = |raw: &str| {
        raw.parse::<Assurance>()
            .map_err(|e| StartupError::Auth(e.to_string()))
    };
    if settings.environment == crate::config::Environment::Production
        && settings.auth.issuers.is_empty()
    {
        return Err(StartupError::Auth(
            "no trusted identity provider: in production, configure at least one in \
             `auth.issuers` (a [[auth.issuers]] table in the --config file, see \
             config/example.toml); without one no token would ever be accepted"
                .into(),
        ));
    }
    let mut issuers = Vec::new();
    for config in &settings.auth.issuers {
        let mut acr = std::collections::HashMap::new();
        for (value, name) in &config.acr {
            acr.insert(value.clone(), level(name)?);
        }
        let (issuer, audience) = (config.issuer.clone(), config.audience.clone());
        let default_assurance = level(&config.default_assurance)?;
        let trusted = match (&config.jwks, &config.jwks_file, &config.jwks_url) {
            (Some(inline), None, None) => crate::auth::TrustedIssuer::new(
                issuer,
                audience,
                config.kind,
                inline,
                acr,
                default_assurance,
            ),
            (None, Some(path), None) => {
                let jwks = std::fs::read_to_string(path)
                    .map_err(|e| StartupError::Auth(format!("{}: {e}", path.display())))?;
                crate::auth::TrustedIssuer::new(
                    issuer,
                    audience,
                    config.kind,
                    &jwks,
                    acr,
                    default_assurance,
                )
            }
            (None, None, Some(url)) => crate::auth::TrustedIssuer::remote(
                issuer,
                audience,
                config.kind,
                url,
                std::time::Duration::from_secs(config.jwks_refresh_secs.unwrap_or(3600)),
                acr,
                default_assurance,
            ),
            _ => {
                return Err(StartupError::Auth(format!(
                    "{}: give exactly one of jwks, jwks_file and jwks_url",
                    config.issuer
                )))
            }
        };
        issuers.push(trusted.map_err(|e| StartupError::Auth(e.to_string()))?);
    }
    fetch_keys_at_startup(&issuers);
    let dev_idp = if settings.dev_idp_enabled() {
        let key_file = settings.dev_idp_key_file();
        let idp = crate::devidp::DevIdp::load_or_create(&key_file)
            .map_err(|e| StartupError::Auth(e.to_string()))?;
        issuers.push(
            idp.trusted()
                .map_err(|e| StartupError::Auth(e.to_string()))?,
        );
        warn_dev_idp(&settings.server.bind, &idp);
        Some(idp)
    } else {
        if issuers.is_empty() {
            tracing::warn!(
                "no identity provider: no token will be accepted (configure auth.issuers, \
                 or enable the development IdP in development)"
            );
        }
        None
    };
    Ok((
        crate::auth::Verifier {
            issuers,
            leeway_secs: settings.auth.leeway_secs,
            http: jwks_client().map_err(|e| StartupError::Auth(e.to_string()))?,
        },
        dev_idp,
    ))
}

/// The development IdP signs a token for anyone who asks: say so loudly, and louder when
/// the service listens beyond this machine.
fn warn_dev_idp(bind: &str, idp: &crate::devidp::DevIdp) {
    let loopback = bind
        .parse::<SocketAddr>()
        .map(|a| a.ip().is_loopback())
        .unwrap_or_else(|_| bind.starts_with("localhost:"));
    tracing::warn!(
        key = %idp.key_origin(),
        "DEVELOPMENT IDENTITY PROVIDER ENABLED: POST /dev/tokens signs a token for any \
         citizen or officer, no questions asked. For trials only, never in production \
         (environment = \"production\" refuses it; configure auth.issuers instead)"
    );
    if !loopback {
        tracing::warn!(
            bind,
            "the development identity provider is reachable from the network: anyone who \
             reaches this address can act as any officer"
        );
    }
}

/// Imports the shipped reference directory if needed, then loads every dataset.
pub(crate) fn load_directory(
    pool: &DbPool,
    settings: &Settings,
) -> Result<domain::directory::Directory, StartupError> {
    let mut conn = pool.get().map_err(PersistenceError::from)?;
    if settings.directory.import_reference {
        let outcome = persistence::directory::ensure_reference(&mut conn, chrono::Utc::now())
            .map_err(|e| StartupError::Directory(import_error_line(&e)))?;
        tracing::info!(?outcome, "reference directory");
    }
    let data = persistence::directory::load(&mut conn)?;
    Ok(
        domain::directory::Directory::new(data, settings.directory.default_accuracy_m)
            .with_data_margin(settings.directory.data_margin_m),
    )
}

/// Reloads the directory whenever the imported datasets change (an operator ran
/// `ecommissariat directory import` against the same database).
/// The HTTP client for JWKS URLs: short timeouts, no redirects to elsewhere.
fn jwks_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(3))
        .timeout(std::time::Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("e-commissariat/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Fetches the keys of issuers with a JWKS URL before serving, so that the first tokens
/// are checked against them. A provider that does not answer is logged, not fatal: its
/// tokens are refused until a later fetch succeeds (periodic, or for an unknown `kid`).
fn fetch_keys_at_startup(issuers: &[crate::auth::TrustedIssuer]) {
    if !issuers.iter().any(|i| i.remote_keys().is_some()) {
        return;
    }
    // Start-up is synchronous: the fetches run on a runtime of their own, on a scoped
    // thread, with a client of their own.
    std::thread::scope(|scope| {
        let _ = scope
            .spawn(|| {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => return tracing::error!(error = %e, "no runtime to fetch JWKS"),
                };
                let http = match jwks_client() {
                    Ok(http) => http,
                    Err(e) => return tracing::error!(error = %e, "no client to fetch JWKS"),
                };
                runtime.block_on(async {
                    for issuer in issuers.iter().filter(|i| i.remote_keys().is_some()) {
                        if let Err(e) = issuer.refresh(&http).await {
                            tracing::error!(error = %e, "JWKS not available at start-up");
                        }
                    }
                });
            })
            .join();
    });
}

/// Fetches the keys of each issuer with a JWKS URL again, every `refresh` of its own.
fn spawn_jwks_refresh(state: web::Data<AppState>) {
    for index in 0..state.verifier.issuers.len() {
        let Some(every) = state.verifier.issuers[index]
            .remote_keys()
            .map(|r| r.refresh)
        else {
            continue;
        };
        let state = state.clone();
        actix_web::rt::spawn(async move {
            let mut interval = actix_web::rt::time::interval(every);
            interval.tick().await; // immediate: the keys were fetched at start-up
            loop {
                interval.tick().await;
                let verifier = &state.verifier;
                if let Err(e) = verifier.issuers[index].refresh(&verifier.http).await {
                    tracing::warn!(error = %e, "JWKS refresh failed; the cached keys stay");
                }
            }
        });
    }
}

/// The retention periods of the catalogue's procedures.
///
/// # Errors
/// `retention.toml` unreadable, or naming a procedure the catalogue does not have.
pub fn retention_policy(
    catalogue: &domain::catalogue::Catalogue,
) -> Result<domain::retention::RetentionPolicy, StartupError> {
    domain::retention::RetentionPolicy::shipped(
        catalogue.procedures.iter().map(|p| p.code.as_str()),
    )
    .map_err(|e| StartupError::Texts(e.to_string()))
}

/// The retention job in the service: every `interval_secs`, the first one interval after
/// the start. Each instance runs it; the erasures are claimed row by row
/// (`app::retention`), so two instances never erase the same filing twice.
fn spawn_retention(state: web::Data<AppState>, settings: &crate::config::RetentionSettings) {
    let every = std::time::Duration::from_secs(settings.interval_secs);
    let offset = chrono::Duration::days(settings.clock_offset_days);
    actix_web::rt::spawn(async move {
        let start = actix_web::rt::time::Instant::now() + every;
        let mut interval = actix_web::rt::time::interval_at(start, every);
        loop {
            interval.tick().await;
            let pool = state.pool.clone();
            let job = state.clone();
            let done = web::block(move || -> Result<_, PersistenceError> {
                let mut conn = pool.get()?;
                let now = crate::app::now() + offset;
                crate::app::retention::run(&mut conn, &job.retention, now, false)
            })
            .await;
            match done {
                Ok(Ok(report)) => tracing::info!(
                    erased = report.erased.len(),
                    skipped = report.skipped,
                    keys_purged = report.keys_purged,
                    travel_erased = report.travel_erased.len(),
                    travel_skipped = report.travel_skipped,
                    "retention job ran"
                ),
                Ok(Err(error)) => tracing::error!(%error, "retention job failed"),
                Err(error) => tracing::error!(%error, "retention job failed"),
            }
        }
    });
}

/// Reads the partners' browser origins again every `every` (CORS).
fn spawn_partner_origins_refresh(state: web::Data<AppState>, every: std::time::Duration) {
    actix_web::rt::spawn(async move {
        let mut interval = actix_web::rt::time::interval(every);
        interval.tick().await;
        loop {
            interval.tick().await;
            if let Err(error) = crate::app::partners::refresh_origins(&state).await {
                tracing::warn!(%error, "cannot read the partners' origins");
            }
        }
    });
}

fn spawn_directory_refresh(
    state: web::Data<AppState>,
    every: std::time::Duration,
    (accuracy, margin): (f64, f64),
) {
    actix_web::rt::spawn(async move {
        let mut interval = actix_web::rt::time::interval(every);
        interval.tick().await; // the first tick is immediate; the directory is fresh
        loop {
            interval.tick().await;
            let pool = state.pool.clone();
            let current = state.directory().version.clone();
            let reloaded = web::block(
                move || -> Result<Option<domain::directory::Directory>, PersistenceError> {
                    let mut conn = pool.get()?;
                    let versions = persistence::directory::datasets(&mut conn)?
                        .into_iter()
                        .map(|(d, v, _)| format!("{d}@{v}"))
                        .collect::<Vec<_>>()
                        .join(",");
                    if versions == current {
                        return Ok(None);
                    }
                    let data = persistence::directory::load(&mut conn)?;
                    Ok(Some(
                        domain::directory::Directory::new(data, accuracy).with_data_margin(margin),
                    ))
                },
            )
            .await;
            match reloaded {
                Ok(Ok(Some(directory))) => {
                    tracing::info!(version = %directory.version, "directory reloaded");
                    if let Ok(mut slot) = state.directory.write() {
                        *slot = std::sync::Arc::new(directory);
                    }
                }
                Ok(Ok(None)) => {}
                Ok(Err(error)) => tracing::warn!(%error, "directory refresh failed"),
                Err(error) => tracing::warn!(%error, "directory refresh failed"),
            }
        }
    });
}

/// One line describing an import failure (its first problems).
pub fn import_error_line(error: &persistence::directory::ImportError) -> String {
    use persistence::directory::ImportError;
    match error {
        ImportError::Rows(rows) => rows
            .iter()
            .take(3)
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; "),
        ImportError::Invalid(issues) => issues
            .iter()
            .take(3)
            .cloned()
            .collect::<Vec<_>>()
            .join("; "),
        ImportError::Persistence(e) => e.to_string(),
    }
}

async fn redirect_to_docs() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/docs/"))
        .finish()
}

/// CORS for the configured origins and the enabled partners' (issue 16), no other:
/// another origin gets no CORS header (a preflight from it is refused), so browsers
/// refuse cross-origin reads. Which partner an origin may act as is checked with the
/// token (`actors::origin_allowed`).
fn cors(origins: &[String], state: web::Data<AppState>) -> Cors {
    let mut cors = Cors::default()
        .allowed_origin_fn(move |origin, _| {
            origin
                .to_str()
                .is_ok_and(|o| state.partner_origins().contains(o))
        })
        .block_on_origin_mismatch(false)
        // `Vary: Origin` is added by `middleware::request_context` to answers of requests
        // that carried an `Origin` (the middleware's own would go on every answer).
        .disable_vary_header()
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
            middleware::RATELIMIT,
            middleware::RATELIMIT_POLICY,
            middleware::X_REQUEST_ID,
        ])
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

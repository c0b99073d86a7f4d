//! Shared, read-only state of a running service.

use crate::contract::Contract;
use crate::metrics::Metrics;
use domain::catalogue::{Catalogue, Country};
use domain::directory::Directory;
use domain::i18n::Lang;
use persistence::{DatabaseUrl, DbPool};
use std::sync::{Arc, RwLock};

pub struct AppState {
    pub pool: DbPool,
    pub database: DatabaseUrl,
    pub metrics: Metrics,
    pub contract: Contract,
    pub catalogue: Catalogue,
    /// The retention periods (`domain/catalogue/retention.toml`).
    pub retention: domain::retention::RetentionPolicy,
    /// The record of processing (`domain/catalogue/processing.toml`).
    pub processing: domain::processing::Processing,
    /// Seconds between two runs of the retention job in the service (`None`: off).
    pub retention_job: Option<u64>,
    /// Open311 GeoReport v2: the services offered, the listing's grid, the assurance.
    pub open311: crate::open311::Open311,
    /// The small-cell threshold of the open statistics.
    pub statistics_threshold: u32,
    /// The open statistics' answers of the summary's current generation.
    pub statistics_cache: Arc<crate::caching::AnswerCache>,
    /// The statistics' summary in memory, at the generation it was read.
    pub statistics_summary: Arc<crate::caching::SummaryInMemory>,
    /// Countries this deployment serves (a subset of the catalogue's).
    pub countries: Vec<Country>,
    /// Language used when a request names none the service knows.
    pub default_language: Lang,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// How long a request body may take to arrive (408 after).
    pub body_timeout: std::time::Duration,
    /// Who may read `/metrics` on the public listener.
    pub metrics_access: MetricsAccess,
    pub verifier: crate::auth::Verifier,
    /// The development identity provider, when enabled.
    pub dev_idp: Option<crate::devidp::DevIdp>,
    /// The keys that seal personal data at rest (the complainants' identities).
    pub sealing: persistence::sealing::Keyring,
    /// Evidence files: their store, limits and the pictures being stripped.
    pub evidence: crate::evidence::Evidence,
    /// The police app's OAuth client ids (`auth.app_client_ids`; empty: any client that
    /// is not a partner's).
    pub app_client_ids: Vec<String>,
    /// Clients recently found to be no partner's (the police app's), so that a citizen's
    /// request does not read the partner registry each time: entries live
    /// [`NOT_A_PARTNER_TTL`], and registering a partner removes its clients here at once
    /// (another instance sees a new partner's client after the TTL at most).
    pub not_partners: mini_moka::sync::Cache<String, ()>,
    /// The police app's clients, which no partner may take
    /// (`config::Settings::reserved_client_ids`).
    pub reserved_client_ids: Vec<String>,
    /// Submissions a citizen may make per day.
    pub daily_submissions: u32,
    /// Processing target, in hours, for the overdue filter.
    pub target_hours: u32,
    /// What the citizen is told and when: review time, processing targets, the stream.
    pub notices: crate::config::NoticeSettings,
    /// The discreet alert: acknowledgement delay, fallback units, limits, streams.
    pub alerts: crate::config::AlertSettings,
    /// The chat: its desks, this instance's hub, the relay.
    pub chat: crate::chat::Chat,
    /// The directory of units, held in memory for routing; replaced whole on reload.
    pub directory: RwLock<Arc<Directory>>,
    /// The audit log's public keys and witness.
    pub audit_log: AuditLog,
    /// The video provider of video complaints.
    pub video: crate::video::VideoProvider,
    /// The minimum level of assurance for a video complaint, per country (substantial
    /// where absent).
    pub video_assurance: std::collections::BTreeMap<Country, domain::catalogue::Assurance>,
    /// Webhooks: the URL rules and the delivery's settings.
    pub webhooks: crate::config::WebhookSettings,
    /// The addresses webhooks may reach although internal (`webhooks.allowed_addresses`).
    pub webhook_allowed: Vec<std::net::IpAddr>,
    /// The key that signs the documents' credentials and the published verification keys.
    pub credentials: crate::credentials::Credentials,
    /// Credential checks per minute from one address (0: no limit).
    pub verify_per_minute: u32,
    /// Request quotas (partners', citizens').
    pub rate_limits: crate::config::RateLimitSettings,
    /// Items (issue 20): the public check's quotas, matching.
    pub items: crate::config::ItemSettings,
    /// A minor's travel authorisation: the longest trip, the invitation link.
    pub travel: crate::config::TravelSettings,
    /// The browser origins of the enabled partners (CORS), reloaded after each change of
    /// the registry here and every `cors.partner_refresh_secs` (changes made elsewhere).
    pub partner_origins: RwLock<Arc<std::collections::HashSet<String>>>,
}

/// What the service knows of its audit log besides the database.
pub struct AuditLog {
    /// The keys that verify checkpoints (the current one first).
    pub keyring: crate::auditlog::keys::Keyring,
    pub witness: crate::auditlog::witness::Witness,
}

impl AppState {
    /// The enabled partners' browser origins now.
    pub fn partner_origins(&self) -> Arc<std::collections::HashSet<String>> {
        match self.partner_origins.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Replaces the enabled partners' browser origins.
    pub fn set_partner_origins(&self, origins: Vec<String>) {
        let origins = Arc::new(origins.into_iter().collect());
        match self.partner_origins.write() {
            Ok(mut guard) => *guard = origins,
            Err(poisoned) => *poisoned.into_inner() = origins,
        }
    }

    /// The current directory (a cheap clone of a shared pointer).
    pub fn directory(&self) -> Arc<Directory> {
        match self.directory.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

/// Who may read `/metrics` (the admin listener always serves it openly).
#[derive(Debug, Clone)]
pub enum MetricsAccess {
    /// Anyone (development without a token).
    Public,
    /// Callers presenting this bearer token.
    Token(secrecy::SecretString),
    /// Nobody on this listener: 404 (production without a token).
    Hidden,
}

/// How long a client found to be no partner's is remembered ([`AppState::not_partners`]):
/// 2 s, the longest a partner registered on another instance is taken for the app there.
pub const NOT_A_PARTNER_TTL: std::time::Duration = std::time::Duration::from_secs(2);

/// The cache of [`AppState::not_partners`]: at most 1,024 clients, each for
/// [`NOT_A_PARTNER_TTL`].
pub fn not_partners_cache() -> mini_moka::sync::Cache<String, ()> {
    mini_moka::sync::Cache::builder()
        .max_capacity(1024)
        .time_to_live(NOT_A_PARTNER_TTL)
        .build()
}

//! Layered configuration: defaults in code, then an optional TOML file (`--config` or
//! `ECOM_CONFIG`), then `ECOM__SECTION__KEY` environment variables, then `DATABASE_URL`,
//! then command-line flags. Secrets are `SecretString` and never printed.

use domain::catalogue::{Assurance, Country};
use domain::i18n::Lang;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use persistence::{DatabaseUrl, PersistenceError, PoolOptions};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Environment variable naming the configuration file.
pub const CONFIG_FILE_ENV: &str = "ECOM_CONFIG";
/// Prefix of the environment variables; `__` separates nested keys.
pub const ENV_PREFIX: &str = "ECOM__";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    /// Local work: the development identity provider is allowed.
    Development,
    /// Production: development conveniences are refused at start-up.
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub environment: Environment,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub cors: CorsSettings,
    pub log: LogSettings,
    pub catalogue: CatalogueSettings,
    pub directory: DirectorySettings,
    pub auth: AuthSettings,
    pub dev_idp: DevIdpSettings,
    pub filings: FilingSettings,
    #[serde(default)]
    pub metrics: MetricsSettings,
    #[serde(default)]
    pub sealing: SealingSettings,
    pub audit: AuditSettings,
    pub notifications: NotificationSettings,
    #[serde(default)]
    pub notices: NoticeSettings,
    #[serde(default)]
    pub appointments: AppointmentSettings,
    #[serde(default)]
    pub alerts: AlertSettings,
    #[serde(default)]
    pub chat: ChatSettings,
    #[serde(default)]
    pub retention: RetentionSettings,
    #[serde(default)]
    pub webhooks: WebhookSettings,
    #[serde(default)]
    pub rate_limits: RateLimitSettings,
    #[serde(default)]
    pub statistics: StatisticsSettings,
    #[serde(default)]
    pub open311: Open311Settings,
    #[serde(default)]
    pub evidence: EvidenceSettings,
    #[serde(default)]
    pub credentials: CredentialSettings,
    #[serde(default)]
    pub items: ItemSettings,
    #[serde(default)]
    pub travel: TravelSettings,
}

/// A minor's travel authorisation (issue 19; docs/DOCUMENTS.md): the longest trip, how
/// long the other holder's invitation link works, and where it points.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TravelSettings {
    /// The longest trip, in days (departure and return both counted).
    pub max_trip_days: u32,
    /// How long the other holder's single-use invitation link works, in hours.
    pub invitation_hours: u32,
    /// The invitation's link; `{token}` is replaced by the single-use token (point it at
    /// the app's or portal's page, which sends it to `POST /v1/travel-invitations`).
    pub invitation_url: String,
}

impl Default for TravelSettings {
    fn default() -> Self {
        Self {
            max_trip_days: domain::travel::DEFAULT_MAX_TRIP_DAYS as u32,
            invitation_hours: domain::travel::DEFAULT_INVITATION_HOURS as u32,
            invitation_url: "http://127.0.0.1:8080/travel-invitations/{token}".into(),
        }
    }
}

/// The credentials' signing key file's name in the data folder, when none is configured.
pub const CREDENTIAL_KEY_FILE: &str = "credential-signing-key.json";

/// Verifiable documents (issue 19; docs/DOCUMENTS.md): the key that signs the QR codes'
/// credentials, held outside the database, the retired keys still published, and the
/// public verification endpoint's quota.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CredentialSettings {
    /// The Ed25519 signing key, as a private JWK file (made on first start, mode 0600);
    /// default `<database.data_dir>/credential-signing-key.json`. Keep it off the
    /// database's host and backups in production, or give it through `signing_key`.
    pub signing_key_file: Option<PathBuf>,
    /// The signing key's 32-byte seed, base64 (`ECOM__CREDENTIALS__SIGNING_KEY`): a secret
    /// from the environment, which wins over `signing_key_file`.
    #[serde(skip_serializing)]
    pub signing_key: Option<SecretString>,
    /// Public keys (base64, 32 bytes) of former signing keys, still published in the
    /// JWKS so that the documents they signed keep verifying after a rotation.
    pub retired_public_keys: Vec<String>,
    /// The credentials' issuer (`iss`); a verifier checks it.
    pub issuer: String,
    /// Checks per minute from one address at `POST /v1/credentials/verify` (0: no limit).
    pub verify_per_minute: u32,
}

impl Default for CredentialSettings {
    fn default() -> Self {
        Self {
            signing_key_file: None,
            signing_key: None,
            retired_public_keys: Vec::new(),
            issuer: "urn:e-commissariat".into(),
            verify_per_minute: domain::limits::CREDENTIAL_CHECKS_PER_MINUTE,
        }
    }
}

/// Items as records (issue 20, docs/ITEMS.md): the public stolen-item check's quotas and
/// lost-and-found matching.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ItemSettings {
    /// Checks per minute of one anonymous caller, by IP address (0: no limit). The
    /// address is only hashed into the counter's key, for the minute.
    pub check_per_minute_per_ip: u32,
    /// Checks per minute of one registered client (a partner's token: a bicycle shop, a
    /// pawnbroker), instead of the IP quota (0: no limit).
    pub check_per_minute_per_client: u32,
    /// Take the caller's address from `Forwarded`/`X-Forwarded-For` (behind a reverse
    /// proxy that sets it); else the TCP peer's.
    pub trust_forwarded_for: bool,
    /// Lost-and-found matching: radius, time window, threshold.
    pub matching: domain::items::matching::MatchSettings,
}

impl Default for ItemSettings {
    fn default() -> Self {
        Self {
            check_per_minute_per_ip: 30,
            check_per_minute_per_client: 600,
            trust_forwarded_for: false,
            matching: domain::items::matching::MatchSettings::default(),
        }
    }
}

/// Webhooks to partners (issue 16): the endpoints' URL rules against SSRF (OWASP API7)
/// and the delivery worker (it runs with the e-mail worker, `notifications.worker`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookSettings {
    /// Accept `http` endpoint URLs (development and tests only: refused in production).
    pub allow_http: bool,
    /// Addresses a delivery may reach although they are loopback, private, link-local
    /// or the like (`127.0.0.1` for a receiver on the developer's machine). Each an IP
    /// address.
    pub allowed_addresses: Vec<String>,
    /// Limit of one delivery (connection, request and answer), in seconds.
    pub timeout_secs: u64,
    /// How much of a receiver's answer is read, in bytes (the rest is ignored).
    pub max_response_bytes: usize,
    /// Attempts before a message is dead (`dead`); with the delays below, about 3 days.
    pub max_attempts: u32,
    /// The delay after a first failure, in seconds; doubled at each further one (with
    /// jitter), up to `retry_max_secs`.
    pub retry_base_secs: u64,
    pub retry_max_secs: u64,
    /// How often an idle worker looks for due events, in milliseconds.
    pub poll_interval_ms: u64,
    /// Events claimed at once by a worker.
    pub batch_size: u32,
    /// Deliveries made at once.
    pub concurrency: u32,
    /// A claim not finished within this many seconds (its worker died) is claimed again.
    pub lease_secs: u64,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            allow_http: false,
            allowed_addresses: Vec::new(),
            timeout_secs: 10,
            max_response_bytes: 64 * 1024,
            // 30 s doubling up to 6 h: 11 attempts reach 8.5 h, 9 more at 6 h make
            // about 3 days.
            max_attempts: 20,
            retry_base_secs: 30,
            retry_max_secs: 6 * 3600,
            poll_interval_ms: 1000,
            batch_size: 32,
            concurrency: 8,
            lease_secs: 120,
        }
    }
}

impl WebhookSettings {
    /// The allow-listed addresses.
    ///
    /// # Errors
    /// An entry that is not an IP address.
    pub fn allowed(&self) -> Result<Vec<std::net::IpAddr>, ConfigError> {
        self.allowed_addresses
            .iter()
            .map(|a| {
                a.parse().map_err(|_| {
                    ConfigError::Invalid(format!(
                        "webhooks.allowed_addresses: {a} is no IP address"
                    ))
                })
            })
            .collect()
    }
}

/// Request quotas (issue 16): a partner's own (`quota_per_minute` in the registry), and
/// one per citizen for the app. Counted in fixed one-minute windows in the database, so
/// that every instance shares them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Count requests at all.
    pub enabled: bool,
    /// Requests per minute of one citizen through the app (0: no limit).
    pub citizen_per_minute: u32,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        RateLimitSettings {
            enabled: true,
            citizen_per_minute: 600,
        }
    }
}

/// The open statistics (docs/STATISTICS.md).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StatisticsSettings {
    /// Counts from 1 to `threshold - 1` are published as `<threshold` (small-cell
    /// suppression; default 10, at least 2).
    pub threshold: u32,
    /// Seconds between two refreshes of the statistics' summary by the service (default
    /// 300; 0 turns the job off: `ecommissariat statistics refresh` then does it).
    pub refresh_secs: u64,
    /// Seconds between two looks of this instance at the summary's generation (default
    /// 2; 0 turns it off): when a refresh (by any instance, or the command line) changed
    /// it, the instance reads the summary into memory and computes the default answers
    /// before a reader asks.
    pub follow_secs: u64,
}

impl Default for StatisticsSettings {
    fn default() -> Self {
        Self {
            threshold: domain::statistics::DEFAULT_THRESHOLD,
            refresh_secs: 300,
            follow_secs: 2,
        }
    }
}

/// Open311 GeoReport v2 (docs/OPEN311.md).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Open311Settings {
    /// The service codes offered (`<procedure>-<country>`); each must fit Open311 (a
    /// local procedure of that country whose required fields Open311 can carry), else
    /// the service refuses to start. Those of countries the deployment does not serve
    /// are not listed.
    pub services: Vec<String>,
    /// The public listing's location grid, in metres (at least 500).
    pub grid_m: u32,
    /// The level of assurance a partner's Open311 requests are taken at (`low`,
    /// `substantial` or `high`): the partner identified the reporter under its
    /// registration; a procedure that requires more refuses the request.
    pub assurance: String,
}

impl Default for Open311Settings {
    fn default() -> Self {
        Self {
            services: ["graffiti-BE", "property_damage-BE", "found_object-LU"]
                .map(String::from)
                .to_vec(),
            grid_m: 1000,
            assurance: "substantial".into(),
        }
    }
}

/// Evidence: files attached to filings (docs/EVIDENCE.md). The data keys of the files
/// are sealed with the `sealing` keyring.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EvidenceSettings {
    /// Largest file, in bytes (default 10 MiB).
    pub max_file_bytes: u64,
    /// Most files per filing (default 20).
    pub max_files_per_filing: u32,
    /// Most bytes per filing, all files together (default 50 MiB).
    pub max_bytes_per_filing: u64,
    /// Most pixels a picture may declare (width × height; default 100 million).
    pub max_image_pixels: u64,
    /// Where the files go: `local` (default: a folder) or `s3` (an S3-compatible store).
    pub store: StoreKind,
    /// The local store's folder; default `<database.data_dir>/evidence`.
    pub local_dir: Option<PathBuf>,
    /// The S3-compatible store, when `store = "s3"`.
    pub s3: S3Settings,
    /// Incomplete uploads and objects without a row older than this are removed by the
    /// cleanup job, in seconds (default 3600).
    pub cleanup_grace_secs: u64,
    /// How often the service runs the cleanup job, in seconds (default 900; 0: never, run
    /// `ecommissariat evidence cleanup` instead).
    pub cleanup_interval_secs: u64,
    /// Pictures whose viewing copy is made at once, per instance (default 2): each holds
    /// the picture in memory while its metadata is removed.
    pub strip_concurrency: usize,
    /// Files sent to an S3-compatible store at once, per instance (default 4). A file
    /// arrives into a spool file (ciphertext only, removed when closed) and is sent in
    /// 5 MiB parts (S3's least) when complete: each file being sent holds at most two
    /// parts in memory, so the parts of any number of concurrent uploads take at most
    /// `2 × 5 MiB ×` this. The local store writes directly and does not use it.
    pub store_uploads_at_once: usize,
    /// Resumable uploads (tus) not finished after this many seconds are removed (default
    /// 86400).
    pub upload_expiry_secs: u64,
}

impl Default for EvidenceSettings {
    fn default() -> Self {
        let limits = domain::evidence::Limits::default();
        Self {
            max_file_bytes: limits.max_file_bytes,
            max_files_per_filing: limits.max_files_per_filing,
            max_bytes_per_filing: limits.max_bytes_per_filing,
            max_image_pixels: limits.max_image_pixels,
            store: StoreKind::Local,
            local_dir: None,
            s3: S3Settings::default(),
            cleanup_grace_secs: 3600,
            cleanup_interval_secs: 900,
            strip_concurrency: 2,
            store_uploads_at_once: 4,
            upload_expiry_secs: 86_400,
        }
    }
}

impl EvidenceSettings {
    /// The limits, as the domain reads them.
    pub fn limits(&self) -> domain::evidence::Limits {
        domain::evidence::Limits {
            max_file_bytes: self.max_file_bytes,
            max_files_per_filing: self.max_files_per_filing,
            max_bytes_per_filing: self.max_bytes_per_filing,
            max_image_pixels: self.max_image_pixels,
        }
    }
}

/// Which object store holds the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    Local,
    S3,
}

/// An S3-compatible object store (AWS S3, MinIO, Ceph...). Credentials may come from the
/// environment (`ECOM__EVIDENCE__S3__SECRET_ACCESS_KEY`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Settings {
    pub bucket: String,
    /// The endpoint, for a store other than AWS (`http://127.0.0.1:9000`).
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<SecretString>,
    /// Whether a plain `http://` endpoint is allowed (tests, a store on the same host).
    pub allow_http: bool,
    /// Path-style requests (`endpoint/bucket/key`), as most S3-compatible stores want.
    pub path_style: bool,
}

/// The discreet alert (docs/ALERTS.md): acknowledgement delay, fallback units, limits
/// and the officers' and citizens' streams.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertSettings {
    /// An alert nobody of its unit acknowledged after this many seconds escalates to
    /// the country's fallback unit.
    pub ack_timeout_secs: u64,
    /// The fallback unit of each country, by country code (`BE = "unit-id"`): a
    /// national or regional centre that is always staffed. A country without one never
    /// escalates (its alerts stay with their unit); a place its directory covers but no
    /// unit serves goes to it directly.
    pub fallback_units: std::collections::BTreeMap<String, String>,
    /// How often each instance looks for alerts to escalate, in milliseconds.
    pub escalation_poll_ms: u64,
    /// Alerts a citizen may raise per hour.
    pub max_per_hour: u32,
    /// Hours a citizen may raise no alert after one of theirs was flagged abusive.
    pub abuse_block_hours: u32,
    /// How often an open alert stream reads the database, in milliseconds (at least 50).
    pub stream_poll_ms: u64,
    /// A comment line is sent on an idle stream this often, in seconds.
    pub stream_heartbeat_secs: u64,
    /// A stream ends after this many seconds; the client reconnects with
    /// `Last-Event-ID`.
    pub stream_max_secs: u64,
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            ack_timeout_secs: 60,
            fallback_units: Default::default(),
            escalation_poll_ms: 1000,
            max_per_hour: 3,
            abuse_block_hours: 24,
            stream_poll_ms: 250,
            stream_heartbeat_secs: 15,
            stream_max_secs: 900,
        }
    }
}

/// The chat with a police agent (docs/CHAT.md): the desks, their service hours, the
/// agents' load, idle closing and the opening limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChatSettings {
    /// The chat desks: units whose members answer the chat (for example a national
    /// chat team). None: the chat is not offered.
    pub desks: Vec<ChatDeskSettings>,
    /// Conversations an agent holds at once.
    pub max_per_agent: u32,
    /// A conversation where nothing was said for this many seconds closes (outcome
    /// `idle`); its content is erased.
    pub idle_close_secs: u64,
    /// How often each instance looks for idle conversations, in milliseconds.
    pub idle_poll_ms: u64,
    /// The average time an agent spends on a conversation, for the estimated wait, in
    /// seconds.
    pub average_handle_secs: u64,
    /// Conversations opened per minute from one device (anonymous), one account, and
    /// one IP address (0: no limit).
    pub opens_per_minute_per_device: u32,
    pub opens_per_minute_per_citizen: u32,
    pub opens_per_minute_per_ip: u32,
    /// A ping is sent on an idle socket (a comment on an idle stream) this often, in
    /// seconds.
    pub heartbeat_secs: u64,
    /// An HTTP fallback stream ends after this many seconds; the client reconnects.
    pub stream_max_secs: u64,
}

impl Default for ChatSettings {
    fn default() -> Self {
        ChatSettings {
            desks: Vec::new(),
            max_per_agent: 3,
            idle_close_secs: 900,
            idle_poll_ms: 1000,
            average_handle_secs: 300,
            opens_per_minute_per_device: 3,
            opens_per_minute_per_citizen: 3,
            opens_per_minute_per_ip: 30,
            heartbeat_secs: 30,
            stream_max_secs: 900,
        }
    }
}

/// One chat desk.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatDeskSettings {
    /// The desk's unit (its members with the role `officer` or `supervisor` are the
    /// agents).
    pub unit: String,
    /// The countries whose citizens it answers (country codes: `FR`, `BE`).
    pub countries: Vec<String>,
    /// Its time zone (IANA), for the hours.
    #[serde(default = "default_chat_timezone")]
    pub timezone: String,
    /// Every day's hours: `"08:00-20:00"`, or `"24/7"`.
    #[serde(default = "default_chat_hours")]
    pub hours: String,
    /// Exceptions by date (`"2026-12-25" = "closed"`, `"2026-12-24" = "08:00-14:00"`).
    #[serde(default)]
    pub exceptions: std::collections::BTreeMap<String, String>,
}

fn default_chat_timezone() -> String {
    "Europe/Paris".into()
}

fn default_chat_hours() -> String {
    "08:00-20:00".into()
}

impl ChatDeskSettings {
    /// The desk's service hours, or what is wrong with them.
    pub fn service_hours(&self) -> Result<domain::chat::ServiceHours, String> {
        let timezone = self.timezone.parse().map_err(|_| {
            format!(
                "chat desk {}: unknown time zone {}",
                self.unit, self.timezone
            )
        })?;
        let daily = self
            .hours
            .parse()
            .map_err(|e| format!("chat desk {}: hours {e}", self.unit))?;
        let mut exceptions = std::collections::BTreeMap::new();
        for (date, hours) in &self.exceptions {
            let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .map_err(|_| format!("chat desk {}: `{date}` is not a date", self.unit))?;
            let hours = hours
                .parse()
                .map_err(|e| format!("chat desk {}: exception {date}: {e}", self.unit))?;
            exceptions.insert(date, hours);
        }
        Ok(domain::chat::ServiceHours {
            timezone,
            daily,
            exceptions,
        })
    }
}

/// The retention job (docs/RETENTION.md). The periods themselves are catalogue data
/// (`domain/catalogue/retention.toml`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionSettings {
    /// Whether the service runs the job itself, every `interval_secs` (default: on).
    pub enabled: bool,
    /// Seconds between two runs of the job in the service (default 3600; at least 1); the
    /// first run comes one interval after the start.
    pub interval_secs: u64,
    /// Days added to the clock the job reads: a test setting, to age a database without
    /// rewriting it. Refused in production (default 0).
    pub clock_offset_days: i64,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            interval_secs: 3600,
            clock_offset_days: 0,
        }
    }
}

/// The keys that seal personal data at rest (the complainant's identity;
/// `persistence::sealing`). Give the keys inline (`keys`, or `ECOM__SEALING__KEYS` as
/// `{id="base64"}`) or in a keyring file (`key_file`), not both. In development, with
/// neither, a key file is made in the data folder on first start; production refuses to
/// start without configured keys.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealingSettings {
    /// The id of the key new values are sealed with; optional with a single key.
    pub current_key: Option<String>,
    /// Key id (1 to 32 of `A-Z a-z 0-9 - _`) → 32 random bytes in base64
    /// (`openssl rand -base64 32`). Keep retired keys here: they still open old values.
    #[serde(default)]
    pub keys: std::collections::BTreeMap<String, SecretString>,
    /// A keyring file: `{"current": id, "keys": {id: base64}}` (mode 0600); default in
    /// development `<database.data_dir>/sealing-keys.json`, made on first start.
    pub key_file: Option<PathBuf>,
}

/// The sealed audit log (see docs/ARCHITECTURE.md, "The audit log").
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    /// How often the sealer seals the committed events, in milliseconds (one batch, and
    /// one signed checkpoint, per tick with events). Events are sealed within about this
    /// interval plus one batch's time.
    pub seal_interval_ms: u64,
    /// Most events sealed in one transaction (more are sealed in further batches at once).
    pub batch_size: i64,
    /// The Ed25519 signing key, as a private JWK file (made on first start, mode 0600);
    /// default `<database.data_dir>/audit-signing-key.json`. Keep it off the database's
    /// host and backups in production, or give it through `signing_key` instead.
    pub signing_key_file: Option<PathBuf>,
    /// The signing key's 32-byte seed, base64 (`ECOM__AUDIT__SIGNING_KEY`): a secret from
    /// the environment, which wins over `signing_key_file`.
    #[serde(skip_serializing)]
    pub signing_key: Option<SecretString>,
    /// Public keys (base64, 32 bytes) of former signing keys, so that checkpoints they
    /// signed keep verifying after a rotation.
    pub retired_public_keys: Vec<String>,
    /// The witness: an append-only folder receiving each checkpoint as a file; default
    /// `<database.data_dir>/audit-witness`. Put it on other storage than the database.
    pub witness_dir: Option<PathBuf>,
    /// An HTTP(S) endpoint receiving each checkpoint as a JSON `POST` (besides the folder
    /// when `witness_dir` is also set; instead of the default folder otherwise).
    pub witness_url: Option<String>,
    /// How often the service checks the log's tail against the latest checkpoint, in
    /// seconds (also once at start-up).
    pub check_interval_secs: u64,
}

/// Delivery of the messages to citizens (issue 15): e-mail through SMTP, letters in
/// daily batches for a print-and-mail provider, and the worker that sends them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationSettings {
    /// lettre's URL form: `smtp://host:port` (plain, or STARTTLS when offered:
    /// `?tls=required` to insist), `smtps://user:pass@host` (TLS from the start). When
    /// absent, e-mails are written as `.eml` files into `mail_dir` (no setup needed;
    /// nothing leaves the machine).
    pub smtp_url: Option<SecretString>,
    /// The sender (`From`), a mailbox such as `e-commissariat <no-reply@police.example>`;
    /// its domain also names the messages (`Message-ID`).
    pub from: String,
    /// An optional `Reply-To` mailbox.
    pub reply_to: Option<String>,
    /// Where e-mails go when no `smtp_url` is set; default `<database.data_dir>/mail`.
    pub mail_dir: Option<PathBuf>,
    /// Where letter batches are written (one folder per day); default
    /// `<database.data_dir>/letters`.
    pub letters_dir: Option<PathBuf>,
    /// The sender's return address printed above the window of a letter (lines split by
    /// `\n`).
    pub letter_sender: String,
    /// The link where the citizen answers an information request; `{filing_id}` is
    /// replaced by the filing's id (point it at the app's or portal's page).
    pub answer_url: String,
    /// Run the delivery worker inside the service (also `ecommissariat worker`, alone).
    pub worker: bool,
    /// How often an idle worker looks for due messages, in milliseconds.
    pub poll_interval_ms: u64,
    /// Messages claimed at once by a worker.
    pub batch_size: u32,
    /// E-mails sent at once (SMTP connections kept open).
    pub concurrency: u32,
    /// Attempts before a message is dead-lettered (`dead`).
    pub max_attempts: u32,
    /// The delay after a first temporary failure, in seconds; doubled at each further
    /// one (with jitter), up to `retry_max_secs`.
    pub retry_base_secs: u64,
    pub retry_max_secs: u64,
    /// A claim not finished within this many seconds (its worker died) is claimed again.
    pub lease_secs: u64,
    /// Limit of one SMTP exchange, in seconds.
    pub smtp_timeout_secs: u64,
}

/// What the citizen is told and when (`domain::notices`): the review time, the units'
/// processing targets, and the live stream of notifications.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NoticeSettings {
    /// Days the citizen has to ask for a review of a rejection or a redirect, where the
    /// country's data (`domain/notices/support.toml`) names none.
    pub review_days: u32,
    /// Processing target of every unit: hours of its service time from reaching it to
    /// being taken in charge.
    pub take_in_charge_hours: u32,
    /// Processing target: service hours from being taken in charge to the decision.
    pub decision_hours: u32,
    /// Targets of particular units, by unit id (`[notices.unit_targets.zp-namur]` with
    /// `take_in_charge_hours` and `decision_hours`).
    pub unit_targets: std::collections::BTreeMap<String, UnitTarget>,
    /// How often an open stream (`GET /v1/notifications/stream`) reads the database for
    /// new notifications, in milliseconds (at least 50).
    pub stream_poll_ms: u64,
    /// A comment line is sent on an idle stream this often, in seconds, so that proxies
    /// keep it open and the client knows it is alive.
    pub stream_heartbeat_secs: u64,
    /// A stream ends after this many seconds; the client reconnects with
    /// `Last-Event-ID` and a valid token (so a stream never outlives a token for long).
    pub stream_max_secs: u64,
}

/// A unit's own processing target, in hours of its service time.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitTarget {
    pub take_in_charge_hours: u32,
    pub decision_hours: u32,
}

impl Default for NoticeSettings {
    fn default() -> Self {
        let target = domain::notices::ProcessingTarget::DEFAULT;
        NoticeSettings {
            review_days: domain::notices::NoticeRules::default().review_days,
            take_in_charge_hours: target.take_in_charge_hours,
            decision_hours: target.decision_hours,
            unit_targets: Default::default(),
            stream_poll_ms: 1000,
            stream_heartbeat_secs: 15,
            stream_max_secs: 900,
        }
    }
}

impl NoticeSettings {
    /// The processing target of `unit`: its own, else the deployment's.
    pub fn target(&self, unit: &str) -> domain::notices::ProcessingTarget {
        match self.unit_targets.get(unit) {
            Some(t) => domain::notices::ProcessingTarget {
                take_in_charge_hours: t.take_in_charge_hours,
                decision_hours: t.decision_hours,
            },
            None => domain::notices::ProcessingTarget {
                take_in_charge_hours: self.take_in_charge_hours,
                decision_hours: self.decision_hours,
            },
        }
    }

    /// The deployment's rules for end-of-case notices.
    pub fn rules(&self) -> domain::notices::NoticeRules {
        domain::notices::NoticeRules {
            review_days: self.review_days,
        }
    }
}

/// Appointments (see docs/APPOINTMENTS.md): the video provider and the levels of
/// assurance a video complaint requires per country.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AppointmentSettings {
    /// The video room's URL, with `{room}` (the room name) and `{token}` (an HS256 JWT
    /// signed with `video_secret`, as Jitsi's token authentication reads it).
    pub video_room_url: String,
    /// The shared secret of the video provider's token authentication; development
    /// makes one per start when absent, production gives no video link without it (503).
    pub video_secret: Option<SecretString>,
    /// The token's `iss` (Jitsi's `app_id`) and `aud`.
    pub video_app_id: String,
    pub video_audience: String,
    /// How many minutes before the slot the link is given and valid.
    pub video_early_minutes: u32,
    /// Country code → minimum eIDAS level for a video complaint (`substantial` or
    /// `high`); substantial where absent.
    pub video_assurance: std::collections::BTreeMap<String, String>,
}

impl Default for AppointmentSettings {
    fn default() -> Self {
        Self {
            video_room_url: "https://meet.example.org/{room}?jwt={token}".into(),
            video_secret: None,
            video_app_id: "e-commissariat".into(),
            video_audience: "jitsi".into(),
            video_early_minutes: 10,
            video_assurance: [("FR".to_string(), "substantial".to_string())]
                .into_iter()
                .collect(),
        }
    }
}

/// Who may read `/metrics` (see docs/OPERATIONS.md, "Metrics").
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// A bearer token required to read `/metrics` on the public listener. Without it,
    /// `/metrics` there is public in development and absent (404) in production, where
    /// it is read on the admin listener (`server.admin_bind`) instead.
    pub token: Option<SecretString>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilingSettings {
    /// Submissions a citizen may make per day (UTC); more get 429.
    pub daily_submissions: u32,
    /// Processing target: a filing still open this many hours after submission is
    /// overdue (`?overdue=true` in a unit's queue).
    pub target_hours: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// Clock leeway for `exp`, `nbf` and `iat`, in seconds (at most 60).
    pub leeway_secs: u64,
    /// The OAuth client ids of the police app. When set, a citizen's token whose client
    /// (`azp` / `client_id`) is neither one of these nor a registered partner's is refused
    /// (401 `unknown_client`); empty: every unregistered client counts as the app.
    #[serde(default)]
    pub app_client_ids: Vec<String>,
    /// The identity providers whose tokens are accepted.
    pub issuers: Vec<IssuerSettings>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerSettings {
    pub issuer: String,
    pub audience: String,
    /// `citizen` (national eID providers) or `police` (the staff IdP).
    pub kind: crate::auth::IssuerKind,
    /// The JWKS document, inline...
    pub jwks: Option<String>,
    /// ...or in a file...
    pub jwks_file: Option<PathBuf>,
    /// ...or published at an https URL, cached and fetched again every
    /// `jwks_refresh_secs` (default 3600, at least 60) and when a token names an unknown
    /// `kid` (at most once a minute).
    pub jwks_url: Option<String>,
    pub jwks_refresh_secs: Option<u64>,
    /// `acr` values and the eIDAS level each means.
    #[serde(default)]
    pub acr: std::collections::BTreeMap<String, String>,
    /// Level when the token has no known `acr`.
    pub default_assurance: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevIdpSettings {
    /// Whether `POST /dev/tokens` works; default: on in development, off in production
    /// (where turning it on is refused at start-up).
    pub enabled: Option<bool>,
    /// Where the development IdP keeps its Ed25519 signing key (a private JWK, created on
    /// first start with mode 0600), so that development tokens survive a restart;
    /// default `<database.data_dir>/dev-idp-key.json`. Development only.
    pub key_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectorySettings {
    /// The uncertainty radius, in metres, assumed around a position sent without
    /// `accuracy_m` (a pin on a map, typed coordinates). Replaces the former fixed
    /// `border_band_m` (see `docs/DIRECTORY.md`).
    pub default_accuracy_m: f64,
    /// Added to every position's radius for the error of the polygons, in metres (the
    /// shipped borders are within about 10–20 m of their sources).
    pub data_margin_m: f64,
    /// Import the reference directory shipped in the binary at start-up (a no-op when
    /// that version is already in the database).
    pub import_reference: bool,
    /// How often the service checks for a newly imported dataset and reloads, in
    /// seconds; 0 turns the check off.
    pub refresh_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogueSettings {
    /// Countries whose procedures this deployment offers: BE, LU, FR, ES-CT.
    pub countries: Vec<String>,
    /// Language of answers when the request names none the service knows.
    pub default_language: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Address and port to listen on; port 0 picks a free port.
    pub bind: String,
    /// Worker threads; the number of cores when absent.
    pub workers: Option<usize>,
    /// How long in-flight requests may run after SIGTERM/SIGINT.
    pub shutdown_timeout_secs: u64,
    /// Largest accepted request body, in bytes.
    pub body_limit_bytes: usize,
    /// Handle SIGTERM/SIGINT (off when embedded in tests).
    pub handle_signals: bool,
    /// How long a request body may take to arrive, in seconds, once its handler reads
    /// it; 408 after. (The request head has its own limit: `head_timeout_secs`.)
    pub body_timeout_secs: u64,
    /// How long the request head (request line and headers) may take, in seconds.
    pub head_timeout_secs: u64,
    /// Most connections open at once on the public listener, all workers together;
    /// further clients wait in the listen backlog. Keep it well under the process's
    /// file-descriptor limit (`ulimit -n`).
    pub max_connections: usize,
    /// A second listener for the probes and metrics only (`/health/live`,
    /// `/health/ready`, `/metrics`), with its own worker and connections, so that they
    /// answer while the public listener is saturated. None when absent.
    pub admin_bind: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `postgres://...`, `sqlite://PATH` or a path; an SQLite file under `data_dir`
    /// when absent.
    pub url: Option<SecretString>,
    /// Folder of the embedded SQLite database used when `url` is absent.
    pub data_dir: PathBuf,
    pub pool_size: u32,
    pub connect_timeout_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorsSettings {
    /// Origins allowed to call the API from a browser, besides the enabled partners'
    /// (`origins` in the registry); none when both are empty (CORS closed).
    pub allowed_origins: Vec<String>,
    /// How often the partners' origins are read again (a change made by another instance
    /// or the command line), in seconds; a change through this instance's API applies at
    /// once.
    #[serde(default = "partner_refresh_secs")]
    pub partner_refresh_secs: u64,
}

fn partner_refresh_secs() -> u64 {
    10
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    /// A `tracing` filter such as `info` or `info,api=debug`; `RUST_LOG` wins if set.
    pub level: String,
}

/// The defaults, as a serializable tree (figment's first layer).
#[derive(Serialize)]
struct Defaults {
    environment: Environment,
    server: ServerSettings,
    database: DefaultDatabase,
    cors: CorsSettings,
    log: LogSettings,
    catalogue: CatalogueSettings,
    directory: DirectorySettings,
    auth: AuthSettings,
    dev_idp: DevIdpSettings,
    filings: FilingSettings,
    audit: AuditSettings,
    notifications: DefaultNotifications,
}

#[derive(Serialize)]
struct DefaultNotifications {
    from: String,
    letter_sender: String,
    answer_url: String,
    worker: bool,
    poll_interval_ms: u64,
    batch_size: u32,
    concurrency: u32,
    max_attempts: u32,
    retry_base_secs: u64,
    retry_max_secs: u64,
    lease_secs: u64,
    smtp_timeout_secs: u64,
}

#[derive(Serialize)]
struct DefaultDatabase {
    data_dir: PathBuf,
    pool_size: u32,
    connect_timeout_secs: u64,
}

fn defaults() -> Defaults {
    Defaults {
        environment: Environment::Development,
        server: ServerSettings {
            bind: "127.0.0.1:8080".into(),
            workers: None,
            shutdown_timeout_secs: 30,
            body_limit_bytes: 1024 * 1024,
            handle_signals: true,
            body_timeout_secs: 10,
            head_timeout_secs: 5,
            max_connections: 512,
            admin_bind: None,
        },
        database: DefaultDatabase {
            data_dir: PathBuf::from("data"),
            pool_size: 10,
            connect_timeout_secs: 5,
        },
        cors: CorsSettings {
            allowed_origins: Vec::new(),
            partner_refresh_secs: partner_refresh_secs(),
        },
        log: LogSettings {
            format: LogFormat::Pretty,
            level: "info".into(),
        },
        catalogue: CatalogueSettings {
            countries: ["BE", "LU", "FR", "ES-CT"].map(String::from).to_vec(),
            default_language: "en".into(),
        },
        directory: DirectorySettings {
            default_accuracy_m: domain::directory::DEFAULT_ACCURACY_M,
            data_margin_m: domain::directory::DATA_MARGIN_M,
            import_reference: true,
            refresh_secs: 60,
        },
        auth: AuthSettings {
            leeway_secs: 30,
            app_client_ids: Vec::new(),
            issuers: Vec::new(),
        },
        dev_idp: DevIdpSettings {
            enabled: None,
            key_file: None,
        },
        filings: FilingSettings {
            daily_submissions: 10,
            target_hours: 72,
        },
        audit: AuditSettings {
            seal_interval_ms: 500,
            batch_size: 2000,
            signing_key_file: None,
            signing_key: None,
            retired_public_keys: Vec::new(),
            witness_dir: None,
            witness_url: None,
            check_interval_secs: 60,
        },
        notifications: DefaultNotifications {
            from: "e-commissariat <no-reply@e-commissariat.localhost>".into(),
            letter_sender: "Police - e-commissariat".into(),
            answer_url: "http://127.0.0.1:8080/v1/filings/{filing_id}".into(),
            worker: true,
            poll_interval_ms: 1000,
            batch_size: 256,
            concurrency: 32,
            max_attempts: 12,
            retry_base_secs: 30,
            retry_max_secs: 1800,
            lease_secs: 120,
            smtp_timeout_secs: 20,
        },
    }
}

/// Values given on the command line, applied last.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub database_url: Option<String>,
    pub bind: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {0} not found")]
    FileNotFound(PathBuf),
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Settings {
    /// Reads every layer from the process environment.
    pub fn load(overrides: &Overrides) -> Result<Self, ConfigError> {
        let file = overrides
            .config_file
            .clone()
            .or_else(|| std::env::var_os(CONFIG_FILE_ENV).map(PathBuf::from));
        Self::from_layers(file.as_deref(), overrides, true)
    }

    /// The defaults with the overrides only: no file, no environment (for tests).
    pub fn isolated(overrides: &Overrides) -> Result<Self, ConfigError> {
        Self::from_layers(None, overrides, false)
    }

    fn from_layers(
        file: Option<&Path>,
        overrides: &Overrides,
        read_env: bool,
    ) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(defaults()));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError::FileNotFound(path.to_owned()));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        if read_env {
            figment = figment.merge(Env::prefixed(ENV_PREFIX).split("__")).merge(
                Env::raw()
                    .only(&["DATABASE_URL"])
                    .map(|_| "database.url".into()),
            );
        }
        if let Some(url) = &overrides.database_url {
            figment = figment.merge(Serialized::default("database.url", url));
        }
        if let Some(bind) = &overrides.bind {
            figment = figment.merge(Serialized::default("server.bind", bind));
        }
        let settings: Settings = figment
            .extract()
            .map_err(|e| ConfigError::Invalid(e.to_string().replace('\n', "; ")))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.database.pool_size == 0 {
            return Err(ConfigError::Invalid(
                "database.pool_size must be at least 1".into(),
            ));
        }
        if self.server.body_limit_bytes == 0 {
            return Err(ConfigError::Invalid(
                "server.body_limit_bytes must be at least 1".into(),
            ));
        }
        if self.server.body_timeout_secs == 0 || self.server.head_timeout_secs == 0 {
            return Err(ConfigError::Invalid(
                "server.body_timeout_secs and server.head_timeout_secs must be at least 1".into(),
            ));
        }
        if self.server.max_connections == 0 {
            return Err(ConfigError::Invalid(
                "server.max_connections must be at least 1".into(),
            ));
        }
        if self.server.workers == Some(0) {
            return Err(ConfigError::Invalid(
                "server.workers must be at least 1".into(),
            ));
        }
        self.countries()?;
        self.default_language()?;
        self.video_assurance()?;
        let room = &self.appointments.video_room_url;
        if !room.contains("{room}") || !room.contains("{token}") {
            return Err(ConfigError::Invalid(
                "appointments.video_room_url must contain {room} and {token}".into(),
            ));
        }
        if self.appointments.video_early_minutes > 60 {
            return Err(ConfigError::Invalid(
                "appointments.video_early_minutes may not exceed 60".into(),
            ));
        }
        if self.auth.leeway_secs > crate::auth::MAX_LEEWAY_SECS {
            return Err(ConfigError::Invalid(
                "auth.leeway_secs may not exceed 60".into(),
            ));
        }
        if self.environment == Environment::Production && self.dev_idp.enabled == Some(true) {
            return Err(ConfigError::Invalid(
                "the development identity provider cannot be enabled in production".into(),
            ));
        }
        if self.environment == Environment::Production && self.webhooks.allow_http {
            return Err(ConfigError::Invalid(
                "webhooks.allow_http is for development: production accepts https endpoints only"
                    .into(),
            ));
        }
        self.webhooks.allowed()?;
        if self.environment == Environment::Production && self.retention.clock_offset_days != 0 {
            return Err(ConfigError::Invalid(
                "retention.clock_offset_days is a test setting, refused in production".into(),
            ));
        }
        if self.open311.grid_m < domain::open311::MIN_GRID_M {
            return Err(ConfigError::Invalid(format!(
                "open311.grid_m must be at least {} (metres)",
                domain::open311::MIN_GRID_M
            )));
        }
        self.open311_assurance()?;
        if self.statistics.threshold < 2 {
            return Err(ConfigError::Invalid(
                "statistics.threshold must be at least 2".into(),
            ));
        }
        if self.retention.interval_secs == 0 {
            return Err(ConfigError::Invalid(
                "retention.interval_secs must be at least 1".into(),
            ));
        }
        if self.audit.seal_interval_ms == 0 || self.audit.seal_interval_ms > 60_000 {
            return Err(ConfigError::Invalid(
                "audit.seal_interval_ms must be between 1 and 60000".into(),
            ));
        }
        if self.audit.batch_size < 1 || self.audit.check_interval_secs == 0 {
            return Err(ConfigError::Invalid(
                "audit.batch_size and audit.check_interval_secs must be at least 1".into(),
            ));
        }
        self.check_notifications()?;
        if ![
            self.directory.default_accuracy_m,
            self.directory.data_margin_m,
        ]
        .iter()
        .all(|m| m.is_finite() && *m >= 0.0)
        {
            return Err(ConfigError::Invalid(
                "directory.default_accuracy_m and directory.data_margin_m must be distances in metres, 0 or more".into(),
            ));
        }
        Ok(())
    }

    fn check_notifications(&self) -> Result<(), ConfigError> {
        let n = &self.notifications;
        if n.batch_size == 0 || n.concurrency == 0 || n.max_attempts == 0 {
            return Err(ConfigError::Invalid(
                "notifications.batch_size, concurrency and max_attempts must be at least 1".into(),
            ));
        }
        if n.poll_interval_ms == 0 || n.lease_secs == 0 || n.smtp_timeout_secs == 0 {
            return Err(ConfigError::Invalid(
                "notifications.poll_interval_ms, lease_secs and smtp_timeout_secs must be at least 1"
                    .into(),
            ));
        }
        if n.retry_base_secs == 0 || n.retry_max_secs < n.retry_base_secs {
            return Err(ConfigError::Invalid(
                "notifications.retry_base_secs must be at least 1 and at most retry_max_secs"
                    .into(),
            ));
        }
        let mailbox = |key: &str, value: &str| {
            value
                .parse::<lettre::message::Mailbox>()
                .map(|_| ())
                .map_err(|e| ConfigError::Invalid(format!("notifications.{key}: {e}")))
        };
        mailbox("from", &n.from)?;
        if let Some(reply_to) = &n.reply_to {
            mailbox("reply_to", reply_to)?;
        }
        Ok(())
    }

    /// Where e-mails are written when no SMTP server is configured.
    pub fn mail_dir(&self) -> PathBuf {
        self.notifications
            .mail_dir
            .clone()
            .unwrap_or_else(|| self.database.data_dir.join("mail"))
    }

    /// Where letter batches are written.
    pub fn letters_dir(&self) -> PathBuf {
        self.notifications
            .letters_dir
            .clone()
            .unwrap_or_else(|| self.database.data_dir.join("letters"))
    }

    /// The countries served, parsed.
    pub fn countries(&self) -> Result<Vec<Country>, ConfigError> {
        let countries = self
            .catalogue
            .countries
            .iter()
            .map(|c| c.parse::<Country>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ConfigError::Invalid(format!("catalogue.countries: {e}")))?;
        if countries.is_empty() {
            return Err(ConfigError::Invalid(
                "catalogue.countries may not be empty".into(),
            ));
        }
        Ok(countries)
    }

    /// The police app's client ids that a partner may never take: `auth.app_client_ids`,
    /// and the development identity provider's default client (`dev-client`) when it
    /// runs. With `auth.app_client_ids` empty (any client that is no partner's is the
    /// app), only the latter is known.
    pub fn reserved_client_ids(&self) -> Vec<String> {
        let mut reserved = self.auth.app_client_ids.clone();
        if self.dev_idp_enabled() {
            reserved.push(crate::devidp::DEFAULT_CLIENT_ID.to_owned());
        }
        reserved
    }

    /// Whether the development identity provider runs.
    pub fn dev_idp_enabled(&self) -> bool {
        self.dev_idp
            .enabled
            .unwrap_or(self.environment == Environment::Development)
    }

    /// The file of the development IdP's signing key.
    pub fn dev_idp_key_file(&self) -> PathBuf {
        self.dev_idp
            .key_file
            .clone()
            .unwrap_or_else(|| self.database.data_dir.join(crate::devidp::KEY_FILE_NAME))
    }

    /// The keyring that seals personal data, and where it came from: the configured keys,
    /// the configured key file, or, in development only, the data folder's key file
    /// (made on first start). Production without keys is an error naming the settings.
    pub fn keyring(
        &self,
    ) -> Result<
        (
            persistence::sealing::Keyring,
            persistence::sealing::KeyringOrigin,
        ),
        ConfigError,
    > {
        use persistence::sealing::{self, Keyring, KeyringOrigin};
        let sealing_error =
            |e: sealing::SealingError| ConfigError::Invalid(format!("sealing: {e}"));
        match (&self.sealing.key_file, self.sealing.keys.is_empty()) {
            (Some(_), false) => Err(ConfigError::Invalid(
                "sealing: give sealing.keys or sealing.key_file, not both".into(),
            )),
            (None, false) => Keyring::new(
                self.sealing
                    .current_key
                    .as_deref()
                    .filter(|c| !c.trim().is_empty()),
                self.sealing
                    .keys
                    .iter()
                    .map(|(id, key)| (id.as_str(), key.expose_secret())),
            )
            .map(|k| (k, KeyringOrigin::Configured))
            .map_err(|e| ConfigError::Invalid(format!("sealing.keys: {e}"))),
            (Some(path), true) => {
                let keyring = sealing::read_key_file(path).map_err(sealing_error)?;
                Ok((keyring, KeyringOrigin::Loaded(path.clone())))
            }
            (None, true) if self.environment == Environment::Production => {
                Err(ConfigError::Invalid(
                    "sealing: no key to seal personal data at rest: in production, configure \
                     sealing.keys (environment ECOM__SEALING__KEYS='{id=\"base64 of 32 random \
                     bytes\"}', with ECOM__SEALING__CURRENT_KEY when there are several) or \
                     sealing.key_file"
                        .into(),
                ))
            }
            (None, true) => sealing::load_or_create_key_file(
                &self.database.data_dir.join(sealing::KEY_FILE_NAME),
            )
            .map_err(sealing_error),
        }
    }

    /// The audit log's signing key file.
    pub fn audit_key_file(&self) -> PathBuf {
        self.audit
            .signing_key_file
            .clone()
            .unwrap_or_else(|| self.database.data_dir.join("audit-signing-key.json"))
    }

    /// The credentials' signing key file.
    pub fn credential_key_file(&self) -> PathBuf {
        self.credentials
            .signing_key_file
            .clone()
            .unwrap_or_else(|| self.database.data_dir.join(CREDENTIAL_KEY_FILE))
    }

    /// The audit log's witness folder, if any: the configured one, or the default one
    /// in the data folder when no HTTP witness is configured either.
    pub fn audit_witness_dir(&self) -> Option<PathBuf> {
        match (&self.audit.witness_dir, &self.audit.witness_url) {
            (Some(dir), _) => Some(dir.clone()),
            (None, Some(_)) => None,
            (None, None) => Some(self.database.data_dir.join("audit-witness")),
        }
    }

    pub fn default_language(&self) -> Result<Lang, ConfigError> {
        self.catalogue
            .default_language
            .parse::<Lang>()
            .map_err(|e| ConfigError::Invalid(format!("catalogue.default_language: {e}")))
    }

    /// The database to use: the configured URL or the embedded SQLite file.
    pub fn database_url(&self) -> Result<DatabaseUrl, PersistenceError> {
        match &self.database.url {
            Some(url) => DatabaseUrl::parse(url.expose_secret()),
            None => Ok(DatabaseUrl::default_sqlite(&self.database.data_dir)),
        }
    }

    pub fn pool_options(&self) -> PoolOptions {
        PoolOptions {
            max_size: self.database.pool_size,
            connect_timeout: Duration::from_secs(self.database.connect_timeout_secs.max(1)),
        }
    }

    /// The minimum level of assurance for a video complaint, per country: substantial
    /// or high (eIDAS), as configured in `appointments.video_assurance`.
    /// The level of assurance of Open311 requests (`open311.assurance`).
    pub fn open311_assurance(&self) -> Result<Assurance, ConfigError> {
        self.open311.assurance.parse().map_err(|_| {
            ConfigError::Invalid("open311.assurance: `low`, `substantial` or `high`".into())
        })
    }

    pub fn video_assurance(
        &self,
    ) -> Result<std::collections::BTreeMap<Country, Assurance>, ConfigError> {
        let mut levels = std::collections::BTreeMap::new();
        for (country, level) in &self.appointments.video_assurance {
            let invalid = || {
                ConfigError::Invalid(format!(
                    "appointments.video_assurance.{country}: a country code and `substantial` or `high`"
                ))
            };
            let code: Country = country.parse().map_err(|_| invalid())?;
            let level: Assurance = level.parse().map_err(|_| invalid())?;
            if level == Assurance::Low {
                return Err(invalid());
            }
            levels.insert(code, level);
        }
        Ok(levels)
    }

    /// The effective configuration as TOML, with secrets redacted.
    pub fn redacted_toml(&self) -> String {
        let url = match self.database_url() {
            Ok(url) => url.redacted(),
            Err(_) => "<invalid URL>".to_owned(),
        };
        let mut tree = toml::Table::new();
        tree.insert(
            "environment".into(),
            toml::Value::String(
                match self.environment {
                    Environment::Development => "development",
                    Environment::Production => "production",
                }
                .into(),
            ),
        );
        tree.insert("server".into(), section(&self.server));
        let mut db = toml::Table::new();
        db.insert("url".into(), toml::Value::String(url));
        db.insert(
            "data_dir".into(),
            toml::Value::String(self.database.data_dir.display().to_string()),
        );
        db.insert(
            "pool_size".into(),
            toml::Value::Integer(i64::from(self.database.pool_size)),
        );
        db.insert(
            "connect_timeout_secs".into(),
            toml::Value::Integer(
                i64::try_from(self.database.connect_timeout_secs).unwrap_or(i64::MAX),
            ),
        );
        tree.insert("database".into(), toml::Value::Table(db));
        tree.insert("cors".into(), section(&self.cors));
        tree.insert("log".into(), section(&self.log));
        tree.insert("catalogue".into(), section(&self.catalogue));
        tree.insert("directory".into(), section(&self.directory));
        tree.insert("auth".into(), section(&self.auth));
        tree.insert("dev_idp".into(), section(&self.dev_idp));
        tree.insert("filings".into(), section(&self.filings));
        let mut audit = match section(&self.audit) {
            toml::Value::Table(table) => table,
            _ => toml::Table::new(),
        };
        if self.audit.signing_key.is_some() {
            audit.insert(
                "signing_key".into(),
                toml::Value::String("<redacted>".into()),
            );
        }
        tree.insert("audit".into(), toml::Value::Table(audit));
        let mut credentials = match section(&self.credentials) {
            toml::Value::Table(table) => table,
            _ => toml::Table::new(),
        };
        if self.credentials.signing_key.is_some() {
            credentials.insert(
                "signing_key".into(),
                toml::Value::String("<redacted>".into()),
            );
        }
        tree.insert("credentials".into(), toml::Value::Table(credentials));
        tree.insert("travel".into(), section(&self.travel));
        tree.insert("notices".into(), section(&self.notices));
        tree.insert("alerts".into(), section(&self.alerts));
        tree.insert("chat".into(), section(&self.chat));
        let mut metrics = toml::Table::new();
        if self.metrics.token.is_some() {
            metrics.insert("token".into(), toml::Value::String("<redacted>".into()));
        }
        tree.insert("metrics".into(), toml::Value::Table(metrics));
        let mut sealing = toml::Table::new();
        if let Some(current) = &self.sealing.current_key {
            sealing.insert("current_key".into(), toml::Value::String(current.clone()));
        }
        if !self.sealing.keys.is_empty() {
            let keys = self
                .sealing
                .keys
                .keys()
                .map(|id| (id.clone(), toml::Value::String("<redacted>".into())))
                .collect();
            sealing.insert("keys".into(), toml::Value::Table(keys));
        }
        if let Some(file) = &self.sealing.key_file {
            sealing.insert(
                "key_file".into(),
                toml::Value::String(file.display().to_string()),
            );
        }
        tree.insert("sealing".into(), toml::Value::Table(sealing));
        tree.insert("notifications".into(), self.notifications_toml());
        let a = &self.appointments;
        let mut appointments = toml::Table::new();
        appointments.insert("video_room_url".into(), a.video_room_url.clone().into());
        if a.video_secret.is_some() {
            appointments.insert("video_secret".into(), "<redacted>".into());
        }
        appointments.insert("video_app_id".into(), a.video_app_id.clone().into());
        appointments.insert("video_audience".into(), a.video_audience.clone().into());
        appointments.insert(
            "video_early_minutes".into(),
            i64::from(a.video_early_minutes).into(),
        );
        appointments.insert("video_assurance".into(), section(&a.video_assurance));
        tree.insert("appointments".into(), toml::Value::Table(appointments));
        toml::to_string_pretty(&tree).unwrap_or_default()
    }
}

impl Settings {
    /// The notifications section, the SMTP URL's password redacted.
    fn notifications_toml(&self) -> toml::Value {
        let n = &self.notifications;
        let mut t = toml::Table::new();
        let mut put = |k: &str, v: toml::Value| {
            t.insert(k.into(), v);
        };
        let int = |v: u64| toml::Value::Integer(i64::try_from(v).unwrap_or(i64::MAX));
        if let Some(url) = &n.smtp_url {
            put(
                "smtp_url",
                toml::Value::String(redact_url(url.expose_secret())),
            );
        }
        put("from", toml::Value::String(n.from.clone()));
        if let Some(reply_to) = &n.reply_to {
            put("reply_to", toml::Value::String(reply_to.clone()));
        }
        for (key, path) in [("mail_dir", &n.mail_dir), ("letters_dir", &n.letters_dir)] {
            if let Some(path) = path {
                put(key, toml::Value::String(path.display().to_string()));
            }
        }
        put(
            "letter_sender",
            toml::Value::String(n.letter_sender.clone()),
        );
        put("answer_url", toml::Value::String(n.answer_url.clone()));
        put("worker", toml::Value::Boolean(n.worker));
        put("poll_interval_ms", int(n.poll_interval_ms));
        put("batch_size", int(u64::from(n.batch_size)));
        put("concurrency", int(u64::from(n.concurrency)));
        put("max_attempts", int(u64::from(n.max_attempts)));
        put("retry_base_secs", int(n.retry_base_secs));
        put("retry_max_secs", int(n.retry_max_secs));
        put("lease_secs", int(n.lease_secs));
        put("smtp_timeout_secs", int(n.smtp_timeout_secs));
        toml::Value::Table(t)
    }
}

/// A URL with its password replaced by `***`.
fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) => {
            if url.password().is_some() {
                let _ = url.set_password(Some("***"));
            }
            url.to_string()
        }
        Err(_) => "<invalid URL>".to_owned(),
    }
}

/// A settings section as a TOML value (sections passed here hold no secrets).
fn section<T: Serialize>(value: &T) -> toml::Value {
    toml::Value::try_from(value).unwrap_or_else(|_| toml::Value::Table(toml::Table::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let s = Settings::isolated(&Overrides::default()).unwrap();
        assert_eq!(s.server.bind, "127.0.0.1:8080");
        assert_eq!(s.server.body_limit_bytes, 1024 * 1024);
        assert!(s.cors.allowed_origins.is_empty());
        assert_eq!(
            s.database_url().unwrap(),
            DatabaseUrl::Sqlite("data/ecommissariat.db".into())
        );
    }

    #[test]
    fn file_and_overrides_layer() {
        let dir = std::env::temp_dir().join(format!("ecom-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("c.toml");
        std::fs::write(
            &file,
            "[server]\nbind = \"0.0.0.0:9000\"\nworkers = 3\n[database]\nurl = \"postgres://u:pw@h/db\"\n",
        )
        .unwrap();
        let s = Settings::from_layers(Some(&file), &Overrides::default(), false).unwrap();
        assert_eq!(s.server.bind, "0.0.0.0:9000");
        assert_eq!(s.server.workers, Some(3));
        let printed = s.redacted_toml();
        assert!(printed.contains("postgres://u:***@h/db"), "{printed}");
        assert!(!printed.contains("pw"), "{printed}");

        let s = Settings::from_layers(
            Some(&file),
            &Overrides {
                bind: Some("127.0.0.1:0".into()),
                ..Overrides::default()
            },
            false,
        )
        .unwrap();
        assert_eq!(s.server.bind, "127.0.0.1:0");
    }

    #[test]
    fn the_example_file_is_valid_and_holds_the_defaults() {
        let example = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../config/example.toml"
        ));
        let s = Settings::from_layers(Some(example), &Overrides::default(), false).unwrap();
        let defaults = Settings::isolated(&Overrides::default()).unwrap();
        assert_eq!(s.redacted_toml(), defaults.redacted_toml());
    }

    #[test]
    fn unknown_keys_and_missing_files_are_errors() {
        let missing = Settings::from_layers(
            Some(Path::new("/nonexistent/e.toml")),
            &Overrides::default(),
            false,
        );
        assert!(matches!(missing, Err(ConfigError::FileNotFound(_))));
        let dir = std::env::temp_dir().join(format!("ecom-cfg2-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("c.toml");
        std::fs::write(&file, "[server]\nbindd = \"x\"\n").unwrap();
        let err = Settings::from_layers(Some(&file), &Overrides::default(), false).unwrap_err();
        assert!(err.to_string().contains("bindd"), "{err}");
    }
}

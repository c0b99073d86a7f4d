//! The `ecommissariat` command line.

use crate::config::{Overrides, Settings};
use crate::startup::Application;
use crate::{openapi, telemetry};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "ecommissariat",
    version,
    // `ecommissariat --bind ADDR` is `ecommissariat serve --bind ADDR`.
    args_conflicts_with_subcommands = true,
    about = "Backend of the e-commissariat, an online police station",
    long_about = "Backend of the e-commissariat, an online police station.\n\n\
        Without a subcommand, `serve` runs. Without DATABASE_URL, an embedded SQLite \
        database is created under ./data/."
)]
struct Cli {
    /// TOML configuration file (layered over the defaults, under the environment).
    #[arg(long, global = true, env = "ECOM_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,

    /// Database: postgres://..., postgresql://..., sqlite://PATH or a file path.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    database_url: Option<String>,

    /// `serve`'s options, also accepted without the subcommand.
    #[command(flatten)]
    serve: ServeArgs,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP service (the default)
    Serve(ServeArgs),
    /// Apply pending database migrations, then exit
    Migrate,
    /// Write the OpenAPI contract (YAML) to standard output
    Openapi,
    /// Print the effective configuration, secrets redacted
    Config,
    /// Manage the directory of police units
    #[command(subcommand)]
    Directory(DirectoryCommand),
    /// Check the audit trail
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Run the delivery workers alone (the outbox's messages and the partners' webhooks),
    /// until SIGINT or SIGTERM
    Worker,
    /// Inspect and retry queued messages
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// Letters by post: close a day's batch for the print-and-mail provider
    #[command(subcommand)]
    Letters(LettersCommand),
    /// Manage units' appointment capacities (what `PUT
    /// /v1/units/{unit}/appointment-capacities/{kind}` does, for operators)
    #[command(subcommand)]
    Appointments(AppointmentsCommand),
    /// Manage the partners (portals, zone websites, municipal offices), what the admin
    /// API does, for operators; every change is audited
    #[command(subcommand)]
    Partners(PartnersCommand),
    /// Erase personal data past its retention period (docs/RETENTION.md)
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Print the record of processing activities (Directive 2016/680, Art. 24), generated
    /// from the catalogue, the retention periods and the configuration (docs/ACCESS.md)
    RecordsOfProcessing {
        /// markdown (default) or json
        #[arg(long, default_value = "markdown")]
        format: RecordFormat,
    },
    /// Evidence files: the cleanup job, and re-sealing data keys after a key rotation
    /// (docs/EVIDENCE.md)
    #[command(subcommand)]
    Evidence(EvidenceCommand),
    /// The open statistics' summary (docs/STATISTICS.md)
    #[command(subcommand)]
    Statistics(StatisticsCommand),
}

#[derive(Debug, Subcommand)]
enum StatisticsCommand {
    /// Bring the summary up to date: only the cells of the filings changed since the
    /// last refresh are rebuilt (what the service's job does every
    /// `statistics.refresh_secs`); safe beside a running service
    Refresh {
        /// Rebuild every cell of every month
        #[arg(long)]
        full: bool,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum RecordFormat {
    Markdown,
    Json,
}

#[derive(Debug, Subcommand)]
enum EvidenceCommand {
    /// Remove incomplete uploads and objects without a row older than
    /// `evidence.cleanup_grace_secs`; prints what was removed
    Cleanup,
    /// Re-seal every file's data key with the current sealing key (after adding a new
    /// current key); the files themselves are not re-encrypted
    RewrapKeys,
}

#[derive(Debug, Subcommand)]
enum PartnersCommand {
    /// Register a partner; prints it as JSON with its webhook signing secret (shown once)
    Add {
        /// A slug: lowercase letters, digits and `-` (2 to 63)
        #[arg(long)]
        id: String,
        /// Its display name
        #[arg(long)]
        name: String,
        /// national_portal, zone_website, municipal_office, lost_property_office or other
        #[arg(long)]
        kind: String,
        /// For a zone_website: the unit whose zone the site serves (required for it)
        #[arg(long)]
        unit: Option<String>,
        /// For a lost_property_office: its municipality (`GET /v1/municipalities`; required for it)
        #[arg(long)]
        municipality: Option<String>,
        /// An OAuth client id of its tokens (`azp` / `client_id`); repeatable, at least one
        #[arg(long = "client-id", value_name = "CLIENT_ID", required = true)]
        client_ids: Vec<String>,
        /// A browser origin allowed to call the API (`https://host[:port]`); repeatable
        #[arg(long = "origin", value_name = "ORIGIN")]
        origins: Vec<String>,
        /// A scope: filings, webhooks, lost_property; repeatable (default: filings)
        #[arg(long = "scope", value_name = "SCOPE")]
        scopes: Vec<String>,
        /// Requests per minute (default 600)
        #[arg(long)]
        quota: Option<i64>,
    },
    /// List the partners: id, kind, state, client ids, name
    List,
    /// Print a partner as JSON (never its secret)
    Show {
        /// The partner's id
        id: String,
    },
    /// Disable a partner: its tokens are refused from now on
    Disable {
        /// The partner's id
        id: String,
    },
    /// Make a new webhook signing secret (printed once); the previous one keeps signing
    /// for 24 h
    RotateSecret {
        /// The partner's id
        id: String,
    },
    /// Issue the partner's Open311 api_key, or rotate it: a new key, printed once as
    /// JSON; the previous one stops working at once (docs/OPEN311.md)
    Open311Key {
        /// The partner's id
        id: String,
    },
}

#[derive(Debug, Subcommand)]
enum RetentionCommand {
    /// Run the retention job once: erase every filing whose period ran out, one audit
    /// event each; prints one line per filing (`erased <id> <class> <days>d`) and a summary
    Run {
        /// Only print what would be erased; change nothing
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
enum OutboxCommand {
    /// List messages, newest first: id, channel, status, attempts, due, last error,
    /// template, filing (never an address)
    List {
        /// Only messages in this status: pending, sending, sent, failed, dead
        #[arg(long)]
        status: Option<String>,
        /// At most this many
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Send a failed or dead message again, now, with a fresh attempt budget
    Retry {
        /// The message's id (first column of `outbox list`)
        id: i64,
    },
}

#[derive(Debug, Subcommand)]
enum LettersCommand {
    /// Write the letters queued up to the end of a day (UTC) as PDFs with a manifest into
    /// <letters_dir>/<date>/, and mark them sent; a letter is never in two batches
    Batch {
        /// The day, YYYY-MM-DD; default today (UTC)
        #[arg(long, value_parser = full_date)]
        date: Option<chrono::NaiveDate>,
    },
}

/// A `YYYY-MM-DD` day as `domain::dates` reads it (four digits of year, nothing signed).
fn full_date(raw: &str) -> Result<chrono::NaiveDate, String> {
    domain::dates::full_date(raw).ok_or_else(|| format!("{raw:?} is not a day YYYY-MM-DD"))
}

#[derive(Debug, Subcommand)]
enum AppointmentsCommand {
    /// Print a unit's capacities as JSON (the API's shape)
    Show {
        /// The unit's id
        unit: String,
    },
    /// Publish or replace a unit's capacity for a kind (`station`, `video`) from a JSON
    /// file in the API's shape; checked like the API (within the unit's service hours),
    /// written with an audit event
    Set {
        /// The unit's id
        unit: String,
        /// `station` or `video`
        kind: String,
        /// The JSON file
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check the whole audit log against the witness's checkpoints: every event against
    /// its sealed hash, every signed root, the database's checkpoints, the hash chain of
    /// the events before the log; exits 1 naming each problem
    Verify {
        /// The witness folder (default: audit.witness_dir, or audit-witness in the data
        /// folder)
        #[arg(long, value_name = "DIR", conflicts_with = "checkpoint")]
        witness: Option<PathBuf>,
        /// A checkpoint obtained from the witness (a JSON file), instead of a folder
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
        /// A public key (base64) that verifies checkpoints, besides the configured ones;
        /// repeatable
        #[arg(long = "public-key", value_name = "BASE64")]
        public_keys: Vec<String>,
    },
    /// Check a proof saved from the API (an event's inclusion proof, or a consistency
    /// proof) offline: no database, only the public keys
    VerifyProof {
        /// The proof, as the API returned it (JSON)
        file: PathBuf,
        /// A public key (base64) that verifies checkpoints; repeatable. Without one, the
        /// configured keys are used
        #[arg(long = "public-key", value_name = "BASE64")]
        public_keys: Vec<String>,
    },
    /// Print the public keys that verify the audit log's checkpoints
    Keys,
}

#[derive(Debug, Subcommand)]
enum DirectoryCommand {
    /// Import a directory folder (directory.toml, municipalities.csv, units.csv,
    /// coverage.csv, fr_territorial_competence.csv, shapes/*.geojson) as one dataset:
    /// all or nothing, a no-op when the same version is already imported
    Import {
        /// The folder to import
        folder: PathBuf,
        /// Check everything and report, but write nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// List the imported datasets and their versions
    Datasets,
}

#[derive(Debug, Default, Args)]
struct ServeArgs {
    /// Address to listen on, such as 0.0.0.0:8080; port 0 picks a free port
    #[arg(long, value_name = "ADDR:PORT")]
    bind: Option<String>,
}

/// Runs the command line; errors are printed as one line on standard error.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ecommissariat: error: {}", one_line(&error));
            ExitCode::FAILURE
        }
    }
}

/// An error and its causes on one line, each cause once: a cause whose text the message
/// already carries (`cannot listen on …: Address already in use`) is not repeated.
fn one_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line.replace('\n', "; ")
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let command = cli.command.unwrap_or(Command::Serve(cli.serve));
    let overrides = Overrides {
        config_file: cli.config,
        database_url: cli.database_url,
        bind: match &command {
            Command::Serve(args) => args.bind.clone(),
            _ => None,
        },
    };
    match command {
        Command::Openapi => {
            let yaml = openapi::to_yaml(&openapi::document()).map_err(anyhow::Error::msg)?;
            print!("{yaml}");
            Ok(())
        }
        Command::Config => {
            let settings = Settings::load(&overrides)?;
            print!("{}", settings.redacted_toml());
            Ok(())
        }
        Command::Migrate => {
            let settings = Settings::load(&overrides)?;
            telemetry::init(&settings.log);
            let url = settings.database_url()?;
            let applied = persistence::db::migrate(&url, &settings.pool_options())?;
            println!("{applied} migration(s) applied to {}", url.redacted());
            Ok(())
        }
        Command::Directory(command) => {
            let settings = Settings::load(&overrides)?;
            // A bad bundle is reported before the database is touched.
            let bundle = match &command {
                DirectoryCommand::Import { folder, .. } => Some(read_directory_bundle(folder)?),
                DirectoryCommand::Datasets => None,
            };
            let url = settings.database_url()?;
            // One connection, no pool: a one-shot command leaves no threads behind.
            let mut conn = persistence::db::connect_once(&url, &settings.pool_options())?;
            match command {
                DirectoryCommand::Import { dry_run, .. } => match &bundle {
                    Some(bundle) => import_directory(&mut conn, bundle, dry_run),
                    None => Ok(()),
                },
                DirectoryCommand::Datasets => {
                    for (dataset, version, imported_at) in
                        persistence::directory::datasets(&mut conn)?
                    {
                        println!("{dataset}\t{version}\t{imported_at}Z");
                    }
                    Ok(())
                }
            }
        }
        Command::Audit(command) => {
            let settings = Settings::load(&overrides)?;
            crate::auditlog::cli::run(&settings, command_of(command))
        }
        Command::Worker => {
            let settings = Settings::load(&overrides)?;
            telemetry::init(&settings.log);
            crate::operator::worker(settings)
        }
        Command::Outbox(command) => {
            let settings = Settings::load(&overrides)?;
            let url = settings.database_url()?;
            let mut conn = persistence::db::connect_once(&url, &settings.pool_options())?;
            match command {
                OutboxCommand::List { status, limit } => {
                    crate::operator::list(&mut conn, status.as_deref(), limit)
                }
                OutboxCommand::Retry { id } => crate::operator::retry(&mut conn, id),
            }
        }
        Command::Letters(LettersCommand::Batch { date }) => {
            let settings = Settings::load(&overrides)?;
            telemetry::init(&settings.log);
            crate::operator::letters_batch(&settings, date)
        }
        Command::Appointments(command) => {
            let settings = Settings::load(&overrides)?;
            let url = settings.database_url()?;
            // One connection, no pool: a one-shot command leaves no threads behind.
            let mut conn = persistence::db::connect_once(&url, &settings.pool_options())?;
            appointments_command(&mut conn, command)
        }
        Command::Partners(command) => {
            let settings = Settings::load(&overrides)?;
            let url = settings.database_url()?;
            let mut conn = persistence::db::connect_once(&url, &settings.pool_options())?;
            partners_command(&settings, &mut conn, command)
        }
        Command::RecordsOfProcessing { format } => {
            let settings = Settings::load(&overrides)?;
            records_of_processing(&settings, format)
        }
        Command::Evidence(command) => {
            let settings = Settings::load(&overrides)?;
            evidence_command(&settings, command)
        }
        Command::Statistics(StatisticsCommand::Refresh { full }) => {
            let settings = Settings::load(&overrides)?;
            let url = settings.database_url()?;
            let mut conn = persistence::db::connect_once(&url, &settings.pool_options())?;
            let report = persistence::statistics::refresh(&mut conn, crate::app::now(), full)?;
            println!(
                "{}",
                serde_json::json!({"skipped": report.skipped, "full": report.full,
                                   "months": report.months, "filings": report.filings,
                                   "cells": report.cells, "rows": report.rows,
                                   "generation": report.generation})
            );
            Ok(())
        }
        Command::Retention(RetentionCommand::Run { dry_run }) => {
            let settings = Settings::load(&overrides)?;
            let url = settings.database_url()?;
            let mut conn = persistence::db::connect_once(&url, &settings.pool_options())?;
            retention_run(&mut conn, &settings, dry_run)
        }
        Command::Serve(_) => {
            let settings = Settings::load(&overrides)?;
            telemetry::init(&settings.log);
            actix_web::rt::System::new().block_on(async move {
                let app = Application::build(settings)?;
                let address = app.address();
                tracing::info!(
                    "listening on http://{address} (API docs at http://{address}/docs/)"
                );
                app.run_until_stopped().await?;
                tracing::info!("stopped");
                Ok(())
            })
        }
    }
}

fn command_of(command: AuditCommand) -> crate::auditlog::cli::AuditCommand {
    use crate::auditlog::cli::AuditCommand as C;
    match command {
        AuditCommand::Verify {
            witness,
            checkpoint,
            public_keys,
        } => C::Verify {
            witness,
            checkpoint,
            public_keys,
        },
        AuditCommand::VerifyProof { file, public_keys } => C::VerifyProof { file, public_keys },
        AuditCommand::Keys => C::Keys,
    }
}

/// The command line's actor in the audit trail.
fn cli_actor() -> domain::audit::Actor {
    domain::audit::Actor {
        id: "cli".into(),
        role: domain::audit::ActorRole::System,
        unit: None,
        client_id: None,
    }
}

fn partner_failure(e: crate::app::partners::PartnerError) -> anyhow::Error {
    use crate::app::partners::PartnerError;
    match e {
        PartnerError::Invalid(issues) => {
            let lines: Vec<String> = issues
                .iter()
                .map(|i| format!("{}: {}", i.pointer, i.code))
                .collect();
            report("the registration has errors (nothing was written)", &lines);
            anyhow::anyhow!("{} error(s)", lines.len())
        }
        other => other.into(),
    }
}

fn partners_command(
    settings: &Settings,
    conn: &mut persistence::DbConnection,
    command: PartnersCommand,
) -> anyhow::Result<()> {
    use crate::app::partners as usecase;
    use crate::routes::partners::{PartnerView, PartnerWithSecret};
    let now = crate::app::now();
    let json = |value: &dyn erased::Json| -> anyhow::Result<()> {
        println!("{}", value.pretty()?);
        Ok(())
    };
    match command {
        PartnersCommand::Add {
            id,
            name,
            kind,
            unit,
            municipality,
            client_ids,
            origins,
            scopes,
            quota,
        } => {
            let (keyring, _) = settings.keyring()?;
            let input = domain::partner::PartnerInput {
                id,
                name,
                kind,
                unit,
                municipality,
                client_ids,
                origins,
                scopes: (!scopes.is_empty()).then_some(scopes),
                quota_per_minute: quota,
            };
            let reserved = settings.reserved_client_ids();
            let created =
                usecase::register(conn, &keyring, input, &reserved, cli_actor(), now, None)
                    .map_err(partner_failure)?;
            json(&PartnerWithSecret::from(created))
        }
        PartnersCommand::List => {
            for p in persistence::partners::list(conn)? {
                let state = if p.is_disabled() {
                    "disabled"
                } else {
                    "enabled"
                };
                let clients = p.client_ids.join(",");
                println!("{}\t{}\t{state}\t{clients}\t{}", p.id, p.kind, p.name);
            }
            Ok(())
        }
        PartnersCommand::Show { id } => match persistence::partners::get(conn, &id)? {
            Some(p) => json(&PartnerView::from(p)),
            None => anyhow::bail!("no partner `{id}`"),
        },
        PartnersCommand::Disable { id } => {
            let p = usecase::disable(conn, &id, cli_actor(), now, None).map_err(partner_failure)?;
            json(&PartnerView::from(p))
        }
        PartnersCommand::RotateSecret { id } => {
            let (keyring, _) = settings.keyring()?;
            let rotated = usecase::rotate_secret(conn, &keyring, &id, cli_actor(), now, None)
                .map_err(partner_failure)?;
            json(&PartnerWithSecret::from(rotated))
        }
        PartnersCommand::Open311Key { id } => {
            let (partner, api_key) = usecase::issue_open311_key(conn, &id, cli_actor(), now, None)
                .map_err(partner_failure)?;
            json(&serde_json::json!({"partner_id": partner.id, "api_key": api_key}))
        }
    }
}

/// Pretty JSON of any serializable value behind a `dyn`.
mod erased {
    pub trait Json {
        fn pretty(&self) -> serde_json::Result<String>;
    }
    impl<T: serde::Serialize> Json for T {
        fn pretty(&self) -> serde_json::Result<String> {
            serde_json::to_string_pretty(self)
        }
    }
}

fn appointments_command(
    conn: &mut persistence::DbConnection,
    command: AppointmentsCommand,
) -> anyhow::Result<()> {
    use crate::routes::appointments::{CapacityBody, CapacityView};
    use domain::appointments::input::Target;
    use persistence::appointments as repo;
    match command {
        AppointmentsCommand::Show { unit } => {
            let items: Vec<CapacityView> = repo::capacities(conn, &unit)?
                .iter()
                .map(CapacityView::from)
                .collect();
            println!("{}", serde_json::to_string_pretty(&items)?);
            Ok(())
        }
        AppointmentsCommand::Set { unit, kind, file } => {
            let kind: domain::appointments::AppointmentKind = kind
                .parse()
                .map_err(|_| anyhow::anyhow!("unknown kind `{kind}`: station or video"))?;
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let body: CapacityBody = serde_json::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let data = persistence::directory::load(conn)?;
            let hours = data
                .units
                .iter()
                .find(|u| u.id == unit)
                .map(|u| u.hours.clone())
                .ok_or_else(|| anyhow::anyhow!("unknown unit `{unit}`"))?;
            let now = chrono::Utc::now();
            let version = conn.write_transaction(|c| -> anyhow::Result<i64> {
                let expected = repo::capacity(c, &unit, kind)?.map(|e| e.version);
                let target = Target {
                    unit: &unit,
                    kind,
                    hours: &hours,
                    version: expected.map_or(1, |v| v + 1),
                };
                let capacity = body.into_input().check(target, now).map_err(|issues| {
                    let lines: Vec<String> = issues
                        .iter()
                        .map(|i| format!("{}: {}", i.pointer, i.code))
                        .collect();
                    report("the capacity has errors (nothing was written)", &lines);
                    anyhow::anyhow!("{} error(s) in {}", lines.len(), file.display())
                })?;
                if !repo::save_capacity(c, &capacity, expected)? {
                    anyhow::bail!("the capacity changed meanwhile; run the command again");
                }
                let object = format!("{unit}/{kind}");
                let event = domain::audit::AuditEvent::new(
                    domain::audit::Actor {
                        id: "cli".into(),
                        role: domain::audit::ActorRole::System,
                        unit: Some(unit.clone()),
                        client_id: None,
                    },
                    domain::audit::AuditOperation::Alteration,
                    "appointment_capacity",
                    Some(&object),
                    now,
                );
                persistence::audit::append(c, &event)?;
                Ok(capacity.version)
            })?;
            println!("{unit} {kind}: capacity version {version}");
            Ok(())
        }
    }
}

/// Prints at most this many problems of a report, then a count of the rest.
const REPORT_LINES: usize = 50;

/// `records-of-processing`: the record of this configuration, on standard output.
fn records_of_processing(settings: &Settings, format: RecordFormat) -> anyhow::Result<()> {
    let catalogue = domain::catalogue::Catalogue::builtin()?;
    let policy = crate::startup::retention_policy(&catalogue)?;
    let processing = domain::processing::Processing::shipped()?;
    let deployment = domain::processing::Deployment {
        countries: settings
            .countries()?
            .iter()
            .map(|c| c.to_string())
            .collect(),
        erasure_job_interval_secs: settings
            .retention
            .enabled
            .then_some(settings.retention.interval_secs),
    };
    let record = crate::records::record(&catalogue, &processing, &policy, deployment);
    match format {
        RecordFormat::Markdown => print!("{}", crate::records::markdown(&record)),
        RecordFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&crate::routes::processing::RecordOfProcessing::from(
                &record
            ))?
        ),
    }
    Ok(())
}

/// `evidence cleanup` and `evidence rewrap-keys`.
fn evidence_command(settings: &Settings, command: EvidenceCommand) -> anyhow::Result<()> {
    let url = settings.database_url()?;
    match command {
        EvidenceCommand::Cleanup => {
            let pool = persistence::connect(url, &settings.pool_options())?;
            let evidence = crate::evidence::Evidence::from_settings(
                &settings.evidence,
                &settings.database.data_dir,
            )?;
            let report = actix_web::rt::System::new().block_on(async move {
                crate::app::evidence_cleanup::run(&pool, &evidence, crate::app::now()).await
            })?;
            println!(
                "{} incomplete upload(s) and {} object(s) without a row removed",
                report.incomplete_rows, report.orphan_objects
            );
        }
        EvidenceCommand::RewrapKeys => {
            let (keyring, _) = settings.keyring()?;
            let mut conn = persistence::db::connect_once(&url, &settings.pool_options())?;
            let done = crate::app::evidence::rewrap_keys(&mut conn, &keyring)?;
            println!(
                "{done} data key(s) re-sealed with key {}",
                keyring.current_id()
            );
        }
    }
    Ok(())
}

/// `retention run`: the job once, on the clock moved by `retention.clock_offset_days`.
fn retention_run(
    conn: &mut persistence::DbConnection,
    settings: &Settings,
    dry_run: bool,
) -> anyhow::Result<()> {
    let catalogue = domain::catalogue::Catalogue::builtin()?;
    let policy = crate::startup::retention_policy(&catalogue)?;
    let now = crate::app::now() + chrono::Duration::days(settings.retention.clock_offset_days);
    let report = crate::app::retention::run(conn, &policy, now, dry_run)?;
    let verb = if dry_run { "due" } else { "erased" };
    for (id, class, days) in &report.erased {
        println!("{verb} {id} {class} {days}d");
    }
    let kept: Vec<String> = report
        .kept
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    println!(
        "{} filing(s) {verb}, {} skipped; kept: {}",
        report.erased.len(),
        report.skipped,
        if kept.is_empty() {
            "none".into()
        } else {
            kept.join(", ")
        }
    );
    for (id, class, days) in &report.travel_erased {
        println!("{verb} travel_request {id} {class} {days}d");
    }
    let kept: Vec<String> = report
        .travel_kept
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    println!(
        "{} travel request(s) {verb}, {} skipped; kept: {}",
        report.travel_erased.len(),
        report.travel_skipped,
        if kept.is_empty() {
            "none".into()
        } else {
            kept.join(", ")
        }
    );
    if !dry_run {
        println!("{} expired idempotency key(s) purged", report.keys_purged);
    }
    Ok(())
}

fn report(title: &str, lines: &[String]) {
    eprintln!("{title}:");
    for line in lines.iter().take(REPORT_LINES) {
        eprintln!("  {line}");
    }
    if lines.len() > REPORT_LINES {
        eprintln!("  ... and {} more", lines.len() - REPORT_LINES);
    }
}

fn read_directory_bundle(
    folder: &std::path::Path,
) -> anyhow::Result<persistence::directory::Bundle> {
    use persistence::directory::{self, BundleFiles};
    BundleFiles::from_folder(folder)
        .and_then(|files| directory::read_bundle(&files))
        .map_err(|errors| {
            report(
                "the bundle has errors (nothing was imported)",
                &errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
            );
            anyhow::anyhow!("{} error(s) in {}", errors.len(), folder.display())
        })
}

fn import_directory(
    conn: &mut persistence::DbConnection,
    bundle: &persistence::directory::Bundle,
    dry_run: bool,
) -> anyhow::Result<()> {
    use persistence::directory::{self, ImportError, ImportOutcome};
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg:>15} [{bar:40}] {pos}/{len}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let outcome = directory::import(
        conn,
        bundle,
        dry_run,
        chrono::Utc::now(),
        &mut |stage, done, total| {
            bar.set_message(stage.to_owned());
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        },
    );
    bar.finish_and_clear();
    match outcome {
        Ok(ImportOutcome::Unchanged { dataset, version }) => {
            println!("{dataset} {version} is already imported: nothing to do");
            Ok(())
        }
        Ok(ImportOutcome::Imported {
            dataset,
            version,
            counts,
            warnings,
        })
        | Ok(ImportOutcome::Checked {
            dataset,
            version,
            counts,
            warnings,
        }) => {
            if !warnings.is_empty() {
                report("warnings", &warnings);
            }
            let verb = if dry_run {
                "checked (dry run, nothing written)"
            } else {
                "imported"
            };
            println!(
                "{dataset} {version} {verb}: {} municipalities, {} units, {} coverage rows, {} shapes; {} warning(s)",
                counts.municipalities, counts.units, counts.coverage, counts.shapes, warnings.len()
            );
            if !dry_run {
                println!(
                    "restart the service (or wait for its next directory refresh) to route with it"
                );
            }
            Ok(())
        }
        Err(ImportError::Rows(errors)) => {
            report(
                "the bundle has errors (nothing was imported)",
                &errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
            );
            anyhow::bail!("{} error(s); the directory is unchanged", errors.len())
        }
        Err(ImportError::Invalid(issues)) => {
            report(
                "the directory would be inconsistent (nothing was imported)",
                &issues,
            );
            anyhow::bail!(
                "{} inconsistency(ies); the directory is unchanged",
                issues.len()
            )
        }
        Err(ImportError::Persistence(e)) => Err(e.into()),
    }
}

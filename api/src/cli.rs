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
            let message = format!("{error:#}").replace('\n', "; ");
            eprintln!("ecommissariat: error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let command = cli.command.unwrap_or(Command::Serve(ServeArgs::default()));
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

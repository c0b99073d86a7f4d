//! The binary as an operator runs it: exit codes and messages on bad configuration,
//! serving on a free port, graceful stop, and the auxiliary subcommands.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_ecommissariat-under-test");

fn run_with_database(url: &str) -> (Option<i32>, String, Duration) {
    let started = Instant::now();
    let output = Command::new(BIN)
        .arg("serve")
        .arg("--bind")
        .arg("127.0.0.1:0")
        .env("DATABASE_URL", url)
        .env_remove("ECOM_CONFIG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), stderr, started.elapsed())
}

fn error_line(stderr: &str) -> String {
    stderr
        .lines()
        .find(|l| l.starts_with("ecommissariat: error:"))
        .unwrap_or_else(|| panic!("no error line in {stderr}"))
        .to_owned()
}

/// The PostgreSQL server the tests use, or the one the machines run by default.
fn postgres_server() -> url::Url {
    let raw = std::env::var(tests::TEST_DATABASE_URL)
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "postgres://127.0.0.1:5432/postgres".into());
    url::Url::parse(&raw).unwrap()
}

#[test]
fn an_unsupported_scheme_is_named() {
    let (code, stderr, _) = run_with_database("mysql://x");
    assert_eq!(code, Some(1));
    let line = error_line(&stderr);
    assert!(line.contains("`mysql`"), "{line}");
}

#[test]
fn a_missing_postgres_database_is_named_quickly() {
    let mut url = postgres_server();
    url.set_path("/does_not_exist");
    let (code, stderr, elapsed) = run_with_database(url.as_str());
    assert_eq!(code, Some(1));
    let line = error_line(&stderr);
    if std::env::var(tests::TEST_DATABASE_URL).is_ok() {
        assert!(
            line.contains(r#"database "does_not_exist" does not exist"#),
            "{line}"
        );
    } else {
        assert!(
            line.contains("does_not_exist") || line.contains("refused"),
            "{line}"
        );
    }
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
}

#[test]
fn an_unreachable_server_fails_quickly() {
    let (code, stderr, elapsed) = run_with_database("postgres://127.0.0.1:1/x");
    assert_eq!(code, Some(1));
    let line = error_line(&stderr);
    assert!(line.contains("cannot connect to the database"), "{line}");
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
}

#[test]
fn serves_on_a_free_port_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", dir.path().join("e.db"))
        .env("ECOM__LOG__FORMAT", "json")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let mut address = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        let event: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|_| panic!("a log line is not JSON: {line}"));
        if let Some(rest) = event["message"]
            .as_str()
            .and_then(|m| m.strip_prefix("listening on "))
        {
            address = Some(rest.split_whitespace().next().unwrap().to_owned());
            break;
        }
    }
    let address = address.expect("the service logs its address");
    assert!(!address.ends_with(":0"), "{address}");

    let ready = reqwest::blocking_get(&format!("{address}/health/ready"));
    assert_eq!(ready, 200);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "no exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
    // The database file was created under the configured path.
    assert!(dir.path().join("e.db").is_file());
}

/// A tiny blocking GET (the tests crate's HTTP client is async).
mod reqwest {
    pub fn blocking_get(url: &str) -> u16 {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            ::reqwest::get(url)
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        })
    }
}

#[test]
fn openapi_subcommand_prints_the_committed_contract() {
    let output = Command::new(BIN).arg("openapi").output().unwrap();
    assert!(output.status.success());
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml"))
            .unwrap_or_default();
    assert!(
        String::from_utf8_lossy(&output.stdout) == committed,
        "regenerate openapi.yaml: cargo run -q -p api --bin ecommissariat -- openapi > openapi.yaml"
    );
}

#[test]
fn config_subcommand_redacts_secrets() {
    let output = Command::new(BIN)
        .arg("config")
        .env("DATABASE_URL", "postgres://police:hunter2@db.example/ecom")
        .env("ECOM__SERVER__WORKERS", "3")
        .env_remove("ECOM_CONFIG")
        .output()
        .unwrap();
    assert!(output.status.success());
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        printed.contains("postgres://police:***@db.example/ecom"),
        "{printed}"
    );
    assert!(!printed.contains("hunter2"));
    assert!(printed.contains("workers = 3"), "{printed}");
}

#[test]
fn migrate_subcommand_applies_then_has_nothing_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let first = Command::new(BIN)
        .arg("migrate")
        .env("DATABASE_URL", &db)
        .output()
        .unwrap();
    assert!(first.status.success(), "{first:?}");
    let first = String::from_utf8_lossy(&first.stdout).into_owned();
    assert!(
        first.contains("migration(s) applied") && !first.starts_with("0 "),
        "{first}"
    );
    let second = Command::new(BIN)
        .arg("migrate")
        .env("DATABASE_URL", &db)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&second.stdout).starts_with("0 migration(s) applied"));
}

#[test]
fn help_is_available_for_every_subcommand() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["openapi", "--help"],
        vec!["config", "--help"],
    ] {
        let output = Command::new(BIN).args(&args).output().unwrap();
        assert!(output.status.success(), "{args:?}");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(text.contains("Usage:"), "{args:?}: {text}");
    }
}

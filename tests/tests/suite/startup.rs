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
        .env("ECOM__DATABASE__DATA_DIR", dir.path())
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

/// The binary serving on a free port with JSON logs, its log lines collected as they come.
struct Service {
    child: std::process::Child,
    address: String,
    lines: std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
}

impl Service {
    /// Starts `ecommissariat ARGS --bind 127.0.0.1:0` with its data and database in `dir`.
    fn start(dir: &std::path::Path, args: &[&str], envs: &[(&str, &str)]) -> Service {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .args(["--bind", "127.0.0.1:0"])
            .env("DATABASE_URL", dir.join("e.db"))
            .env("ECOM__DATABASE__DATA_DIR", dir)
            .env("ECOM__LOG__FORMAT", "json")
            .env_remove("RUST_LOG")
            .env_remove("ECOM_CONFIG")
            .env_remove("ECOM__ENVIRONMENT")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (key, value) in envs {
            command.env(key, value);
        }
        let mut child = command.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let collected = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let event: serde_json::Value = serde_json::from_str(&line)
                    .unwrap_or_else(|_| serde_json::json!({"level": "RAW", "message": line}));
                if let Some(rest) = event["message"]
                    .as_str()
                    .and_then(|m| m.strip_prefix("listening on "))
                {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_owned());
                }
                collected.lock().unwrap().push(event);
            }
        });
        let address = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("the service did not start: {:?}", lines.lock()));
        let service = Service {
            child,
            address,
            lines,
        };
        // "listening on" comes when the socket is bound; the workers accept a moment later.
        // A connection still in the kernel's backlog when the server stops is not a
        // request in flight, so the tests wait until a request is answered.
        let deadline = Instant::now() + Duration::from_secs(30);
        while !service.answers() {
            assert!(Instant::now() < deadline, "no answer: {:?}", service.log());
            std::thread::sleep(Duration::from_millis(50));
        }
        service
    }

    /// Whether `GET /health/live` is answered.
    fn answers(&self) -> bool {
        use std::io::{Read, Write};
        let Ok(mut stream) = std::net::TcpStream::connect(self.host()) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        if stream
            .write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .is_err()
        {
            return false;
        }
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
    }

    fn host(&self) -> &str {
        self.address.trim_start_matches("http://")
    }

    fn signal(&self, name: &str) {
        let sent = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    fn wait(&mut self, within: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "still running after {within:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The log events so far, as (level, message) pairs.
    fn log(&self) -> Vec<(String, String)> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["level"].as_str().unwrap_or("").to_owned(),
                    e["message"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP/1.1 request over a raw socket, so that a test controls when the body is sent.
struct RawRequest {
    stream: std::net::TcpStream,
}

impl RawRequest {
    /// Sends the head and the first `sent` bytes of `body` of a POST to `path`.
    fn begin(host: &str, path: &str, body: &[u8], sent: usize, token: Option<&str>) -> Self {
        use std::io::Write;
        let mut stream = std::net::TcpStream::connect(host).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let auth = token
            .map(|t| format!("authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        write!(
            stream,
            "POST {path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n\
             content-length: {}\r\n{auth}\r\n",
            body.len()
        )
        .unwrap();
        stream.write_all(&body[..sent]).unwrap();
        stream.flush().unwrap();
        RawRequest { stream }
    }

    /// Sends the rest of the body and reads the response: its status and body, or None
    /// when the connection closed without one.
    fn finish(mut self, rest: &[u8]) -> Option<(u16, String)> {
        use std::io::{Read, Write};
        let _ = self.stream.write_all(rest);
        let mut response = Vec::new();
        let mut buffer = [0u8; 4096];
        loop {
            match self.stream.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    response.extend_from_slice(&buffer[..n]);
                    let text = String::from_utf8_lossy(&response);
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let length = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if body.len() >= length {
                            break;
                        }
                    }
                }
            }
        }
        let text = String::from_utf8_lossy(&response).into_owned();
        let status = text.split_whitespace().nth(1)?.parse().ok()?;
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
        Some((status, body))
    }
}

const TOKEN_REQUEST: &[u8] =
    br#"{"kind":"citizen","subject":"slow-upload","assurance":"substantial"}"#;

#[test]
fn ctrl_c_lets_a_slow_upload_in_flight_finish_then_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    // No subcommand: `ecommissariat --bind ...` serves, as `serve --bind` does.
    let mut service = Service::start(dir.path(), &[], &[]);
    let upload = RawRequest::begin(service.host(), "/dev/tokens", TOKEN_REQUEST, 20, None);
    std::thread::sleep(Duration::from_millis(300));
    service.signal("INT");
    // The service waits for the request in flight...
    std::thread::sleep(Duration::from_millis(700));
    assert!(service.is_running(), "SIGINT cut the request in flight");
    // ...which completes normally.
    let (status, body) = upload
        .finish(&TOKEN_REQUEST[20..])
        .expect("a response to the request in flight");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("access_token"), "{body}");
    let status = service.wait(Duration::from_secs(10));
    assert!(status.success(), "{status}");
    // No new connection is accepted once stopping.
    assert!(std::net::TcpStream::connect(service.host()).is_err());
    let log = service.log();
    assert!(
        log.iter()
            .any(|(_, m)| m.contains("in-flight requests may finish")),
        "{log:?}"
    );
}

#[test]
fn a_second_ctrl_c_stops_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut service = Service::start(dir.path(), &["serve"], &[]);
    let upload = RawRequest::begin(service.host(), "/dev/tokens", TOKEN_REQUEST, 20, None);
    std::thread::sleep(Duration::from_millis(300));
    service.signal("INT");
    std::thread::sleep(Duration::from_millis(500));
    assert!(service.is_running());
    let forced = Instant::now();
    service.signal("INT");
    let status = service.wait(Duration::from_secs(5));
    assert!(
        forced.elapsed() < Duration::from_secs(2),
        "{:?}",
        forced.elapsed()
    );
    assert_eq!(status.code(), Some(130), "{status}");
    assert_eq!(upload.finish(&TOKEN_REQUEST[20..]), None);
}

#[test]
fn sigterm_is_graceful_too() {
    let dir = tempfile::tempdir().unwrap();
    let mut service = Service::start(dir.path(), &["serve"], &[]);
    let upload = RawRequest::begin(service.host(), "/dev/tokens", TOKEN_REQUEST, 5, None);
    std::thread::sleep(Duration::from_millis(300));
    service.signal("TERM");
    std::thread::sleep(Duration::from_millis(500));
    assert!(service.is_running(), "{:?}", service.log());
    let (status, _) = upload.finish(&TOKEN_REQUEST[5..]).unwrap();
    assert_eq!(status, 200);
    assert!(service.wait(Duration::from_secs(10)).success());
}

/// `GET path` with a bearer token, on a runtime of its own; the status.
fn get_with_token(url: &str, token: &str) -> u16 {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            ::reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        })
}

fn dev_token(service: &Service, subject: &str) -> String {
    let body = format!(r#"{{"kind":"citizen","subject":"{subject}"}}"#);
    let (status, body) = RawRequest::begin(
        service.host(),
        "/dev/tokens",
        body.as_bytes(),
        body.len(),
        None,
    )
    .finish(&[])
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

#[test]
fn development_tokens_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Service::start(dir.path(), &[], &[]);
    let token = dev_token(&first, "alice");
    assert_eq!(
        get_with_token(&format!("{}/v1/filings", first.address), &token),
        200
    );
    first.signal("TERM");
    assert!(first.wait(Duration::from_secs(10)).success());
    let key = dir.path().join("dev-idp-key.json");
    assert!(key.is_file(), "the key is kept in the data folder");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the key file is the owner's only: {mode:o}"
        );
    }

    let second = Service::start(dir.path(), &[], &[]);
    assert_eq!(
        get_with_token(&format!("{}/v1/filings", second.address), &token),
        200,
        "a token of the previous run is refused"
    );
    drop(second);

    // A new key (the file deleted) refuses the old tokens.
    std::fs::remove_file(&key).unwrap();
    let third = Service::start(dir.path(), &[], &[]);
    assert_eq!(
        get_with_token(&format!("{}/v1/filings", third.address), &token),
        401
    );
}

#[test]
fn production_without_a_trusted_issuer_refuses_to_start_and_names_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(BIN)
        .args(["--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", dir.path().join("e.db"))
        .env("ECOM__DATABASE__DATA_DIR", dir.path())
        .env("ECOM__ENVIRONMENT", "production")
        .env_remove("ECOM_CONFIG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = error_line(&stderr);
    assert!(line.contains("auth.issuers"), "{line}");
    // And the development IdP stays refused there.
    let output = Command::new(BIN)
        .args(["--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", dir.path().join("e.db"))
        .env("ECOM__ENVIRONMENT", "production")
        .env("ECOM__DEV_IDP__ENABLED", "true")
        .env_remove("ECOM_CONFIG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let line = error_line(&String::from_utf8_lossy(&output.stderr));
    assert!(line.contains("development identity provider"), "{line}");
    assert!(!dir.path().join("dev-idp-key.json").exists());
}

#[test]
fn the_production_example_configuration_is_valid() {
    let output = Command::new(BIN)
        .arg("config")
        .env(
            "ECOM_CONFIG",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../config/production.example.toml"
            ),
        )
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        printed.contains(r#"environment = "production""#),
        "{printed}"
    );
    assert!(printed.contains("[[auth.issuers]]"), "{printed}");
}

#[test]
fn a_port_in_use_is_reported_once() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(BIN)
        .args(["--bind", &address])
        .env("DATABASE_URL", dir.path().join("e.db"))
        .env("ECOM__DATABASE__DATA_DIR", dir.path())
        .env_remove("ECOM_CONFIG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.matches("Address already in use").count(),
        1,
        "{stderr}"
    );
    assert!(error_line(&stderr).contains(&address), "{stderr}");
}

#[test]
fn client_errors_and_documentation_assets_are_not_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let mut service = Service::start(dir.path(), &[], &[]);
    let started = service.log().len();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = ::reqwest::Client::builder()
        .redirect(::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let status = |method: ::reqwest::Method, path: &str| {
        runtime.block_on(async {
            client
                .request(method, format!("{}{path}", service.address))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    };
    use ::reqwest::Method;
    // The documentation answers GET (and HEAD) at /docs and /docs/.
    assert_eq!(status(Method::GET, "/docs"), 308);
    assert_eq!(status(Method::HEAD, "/docs"), 308);
    assert_eq!(status(Method::GET, "/docs/"), 200);
    for asset in [
        "/docs/swagger-ui.css",
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-initializer.js",
    ] {
        assert_eq!(status(Method::GET, asset), 200, "{asset}");
    }
    // Client errors of several kinds.
    assert_eq!(status(Method::GET, "/v1/filings"), 401);
    assert_eq!(status(Method::GET, "/no/such/page"), 404);
    assert_eq!(status(Method::GET, "/v1/units/no-such-unit"), 404);
    assert_eq!(status(Method::POST, "/dev/tokens"), 415);
    assert_eq!(status(Method::DELETE, "/v1/procedures"), 405);
    // Requests the HTTP parser refuses (a control character in a header, a head over
    // 128 KiB) are client errors too; the reason is logged at INFO, never the input.
    for raw in [
        b"GET /v1/procedures HTTP/1.1\r\nHost: x\r\nA: secret\x01value\r\n\r\n".to_vec(),
        format!(
            "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
            "a".repeat(140 * 1024)
        )
        .into_bytes(),
    ] {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(service.host()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let _ = stream.write_all(&raw);
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        assert!(
            response.starts_with(b"HTTP/1.1 4"),
            "{}",
            String::from_utf8_lossy(&response)
        );
    }
    service.signal("TERM");
    assert!(service.wait(Duration::from_secs(10)).success());
    let log = service.log();
    let loud: Vec<_> = log[started..]
        .iter()
        .filter(|(level, _)| level != "INFO" && level != "DEBUG" && level != "TRACE")
        .collect();
    assert!(loud.is_empty(), "{loud:?}");
    assert!(
        !log.iter().any(|(_, message)| message.contains("secret")),
        "the refused header was quoted: {log:?}"
    );
    assert_eq!(
        log.iter()
            .filter(|(level, message)| level == "INFO"
                && message == "request refused by the HTTP parser")
            .count(),
        2,
        "{log:?}"
    );
    // Each request is still logged once, at INFO, with its status.
    let requests = service
        .lines
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e["message"] == "close" && e["span"]["name"] == "request")
        .count();
    assert!(requests >= 11, "{requests} request lines");
}

/// Rejected input never reaches the log: an error's message or debug form may quote it
/// (a mistyped e-mail address, an id typed as a path), so the log records the stable code.
#[test]
fn rejected_input_is_not_quoted_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let mut service = Service::start(dir.path(), &[], &[]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = ::reqwest::Client::new();
    runtime.block_on(async {
        let unit = client
            .get(format!("{}/v1/units/hank@example.net", service.address))
            .send()
            .await
            .unwrap();
        assert_eq!(unit.status(), 404);
        let token = client
            .post(format!("{}/dev/tokens", service.address))
            .header("content-type", "application/json")
            .body(r#"{"kind": "citizen", "subject": "s", "erin.z@example.net": 1}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(token.status(), 422);
    });
    service.signal("TERM");
    assert!(service.wait(Duration::from_secs(10)).success());
    let lines = service.lines.lock().unwrap();
    let all = lines
        .iter()
        .map(|l| l.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!all.contains("example.net"), "{all}");
    assert!(all.contains("unit_not_found"), "the code is logged: {all}");
}

/// A production configuration with one trusted issuer (so that only the sealing keys are
/// missing), written in `dir`.
fn production_config(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("production.toml");
    std::fs::write(
        &path,
        r#"environment = "production"
[[auth.issuers]]
issuer = "https://idp.example.test"
audience = "e-commissariat"
kind = "citizen"
jwks = '{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"prod-1","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}'
default_assurance = "low"
"#,
    )
    .unwrap();
    path
}

#[test]
fn production_without_a_sealing_key_refuses_to_start_and_names_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let config = production_config(dir.path());
    let output = Command::new(BIN)
        .args(["--bind", "127.0.0.1:0", "--config"])
        .arg(&config)
        .env("DATABASE_URL", dir.path().join("e.db"))
        .env("ECOM__DATABASE__DATA_DIR", dir.path())
        .env_remove("ECOM__SEALING__KEYS")
        .env_remove("ECOM__SEALING__KEY_FILE")
        .env_remove("ECOM_CONFIG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let line = error_line(&String::from_utf8_lossy(&output.stderr));
    assert!(line.contains("sealing.keys"), "{line}");
    assert!(line.contains("ECOM__SEALING__KEYS"), "{line}");
    // Production never makes a key of its own.
    assert!(!dir.path().join("sealing-keys.json").exists());

    // A key that is not 32 bytes is refused, naming the key (and never printing it).
    let output = Command::new(BIN)
        .args(["--bind", "127.0.0.1:0", "--config"])
        .arg(&config)
        .env("DATABASE_URL", dir.path().join("e.db"))
        .env("ECOM__SEALING__KEYS", r#"{k2026="c2hvcnQta2V5"}"#)
        .env_remove("ECOM_CONFIG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let line = error_line(&String::from_utf8_lossy(&output.stderr));
    assert!(line.contains("key k2026") && line.contains("32"), "{line}");
    assert!(!line.contains("c2hvcnQta2V5"), "{line}");

    // With keys from the environment it starts, and says which key seals.
    let config = config.to_string_lossy().into_owned();
    let service = Service::start(
        dir.path(),
        &["--config", &config],
        &[
            (
                "ECOM__SEALING__KEYS",
                &format!(r#"{{k2025="{0}",k2026="{0}"}}"#, tests::TEST_SEALING_KEY),
            ),
            ("ECOM__SEALING__CURRENT_KEY", "k2026"),
        ],
    );
    let log = service.log();
    assert!(
        log.iter()
            .any(|(_, m)| m.contains("personal data is sealed at rest")),
        "{log:?}"
    );
    let all = format!("{:?}", service.lines.lock().unwrap());
    assert!(all.contains("k2026"), "{all}");
    assert!(!all.contains(tests::TEST_SEALING_KEY), "a key in the log");
}

/// The online check of a document logs its outcome, never the credential or what it
/// holds (issue 19): neither the reference, nor the items, nor the citizen.
#[test]
fn a_credential_check_is_logged_without_its_content() {
    let dir = tempfile::tempdir().unwrap();
    let mut service = Service::start(dir.path(), &[], &[]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = ::reqwest::Client::new();
    let (reference, credential) = runtime.block_on(async {
        let url = |path: &str| format!("{}{path}", service.address);
        let token: serde_json::Value = client
            .post(url("/dev/tokens"))
            .json(&serde_json::json!({"kind": "citizen", "subject": "loggy", "assurance": "substantial"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = token["access_token"].as_str().unwrap().to_owned();
        let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
        let draft: serde_json::Value = client
            .post(url("/v1/filings"))
            .bearer_auth(&token)
            .json(&serde_json::json!({
                "procedure": "bicycle_theft", "country": "BE",
                "place": {"lat": 50.6730, "lon": 4.5687, "description": "Station rack"},
                "facts_date": {"from": yesterday},
                "answers": {"ongoing_danger": false, "injury": false, "known_author": false, "violence": false, "exploitable_traces": false},
                "facts": {"bicycle_locked": true, "circumstances": "Gone.",
                          "items": [{"category": "bicycle", "brand": "Batavus", "serial_number": "BT99887766"}]},
                "contact": {"email": "loggy@example.net"}, "confirmation_channel": "email"
            }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = draft["id"].as_str().unwrap().to_owned();
        let submitted = client
            .post(url(&format!("/v1/filings/{id}/submit")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(submitted.status(), 200);
        let receipt: serde_json::Value = client
            .get(url(&format!("/v1/filings/{id}/receipt")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let credential = receipt["credential"].as_str().unwrap().to_owned();
        for sent in [credential.clone(), format!("{credential}x")] {
            let answer = client
                .post(url("/v1/credentials/verify"))
                .json(&serde_json::json!({ "credential": sent }))
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 200);
        }
        (receipt["reference"].as_str().unwrap().to_owned(), credential)
    });
    service.signal("TERM");
    assert!(service.wait(Duration::from_secs(10)).success());
    let lines = service.lines.lock().unwrap();
    let checks: Vec<String> = lines
        .iter()
        .filter(|l| l["message"] == "credential checked")
        .map(|l| l.to_string())
        .collect();
    assert_eq!(checks.len(), 2, "{checks:?}");
    assert!(checks[0].contains("\"valid\""), "{checks:?}");
    assert!(checks[1].contains("invalid_signature"), "{checks:?}");
    let all = lines
        .iter()
        .map(|l| l.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    let payload = credential.split('.').nth(1).unwrap();
    for secret in [
        reference.as_str(),
        payload,
        "Batavus",
        "BT99887766",
        "loggy@example.net",
    ] {
        assert!(!all.contains(secret), "{secret} in the log: {all}");
    }
}

/// Every PostgreSQL connection of the service plans each execution of a prepared
/// statement with its parameters (`persistence::db::PG_SESSION_OPTIONS`): a generic plan
/// chosen while a new deployment's tables were empty would otherwise stay for the pooled
/// connection's life (bench/RESULTS.md, 2026-12-01: the lost-and-found candidates read
/// walked every submitted filing). An operator's own `options` in the URL are kept.
#[test]
fn postgres_connections_plan_each_execution_with_its_parameters() {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        plan_cache_mode: String,
    }
    let db = tests::TestDb::new();
    if !db.is_postgres() {
        db.destroy();
        return;
    }
    let show = |url: &str| {
        let url = persistence::DatabaseUrl::parse(url).unwrap();
        let pool = persistence::connect(url, &persistence::PoolOptions::default()).unwrap();
        let mut conn = pool.get().unwrap();
        let persistence::DbConnection::Postgresql(pg) = &mut **conn else {
            panic!("a PostgreSQL URL gives a PostgreSQL connection");
        };
        diesel::sql_query("SHOW plan_cache_mode")
            .get_result::<Setting>(pg)
            .unwrap()
            .plan_cache_mode
    };
    assert_eq!(show(&db.url()), "force_custom_plan");
    let sep = if db.url().contains('?') { '&' } else { '?' };
    let own = format!(
        "{}{sep}options=-c%20plan_cache_mode%3Dforce_generic_plan",
        db.url()
    );
    assert_eq!(show(&own), "force_generic_plan");
    db.destroy();
}

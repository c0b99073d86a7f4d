//! Harness for black-box tests: each test gets a fresh database (a temporary SQLite file,
//! or a new PostgreSQL database when `TEST_DATABASE_URL` is set) and the real service
//! bound to a free port, spoken to over HTTP.

pub mod node;
pub mod prepared;
pub mod python;
pub mod smtp;
pub mod webhooks;

use actix_web::dev::ServerHandle;
use api::config::{Overrides, Settings};
use api::startup::Application;
use diesel::{Connection, PgConnection, RunQueryDsl};
use std::path::PathBuf;
use std::thread::JoinHandle;

/// Environment variable naming a PostgreSQL server (any database on it) for the tests.
pub const TEST_DATABASE_URL: &str = "TEST_DATABASE_URL";

/// A database that exists for one test only.
pub enum TestDb {
    Sqlite {
        _dir: tempfile::TempDir,
        path: PathBuf,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
    /// Another test's database, used by a second service (dropped by its owner).
    Shared { url: String, postgres: bool },
}

impl TestDb {
    pub fn new() -> Self {
        match std::env::var(TEST_DATABASE_URL) {
            Ok(admin_url) if !admin_url.trim().is_empty() => Self::postgres(admin_url),
            _ => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let path = dir.path().join("test.db");
                TestDb::Sqlite { _dir: dir, path }
            }
        }
    }

    fn postgres(admin_url: String) -> Self {
        let name = format!("ecom_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(&admin_url)
            .unwrap_or_else(|e| panic!("cannot connect to {TEST_DATABASE_URL}: {e}"));
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .expect("create the test database");
        let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&format!("/{name}"));
        TestDb::Postgres {
            admin_url,
            name,
            url: url.to_string(),
        }
    }

    pub fn url(&self) -> String {
        match self {
            TestDb::Sqlite { path, .. } => format!("sqlite://{}", path.display()),
            TestDb::Postgres { url, .. } => url.clone(),
            TestDb::Shared { url, .. } => url.clone(),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(
            self,
            TestDb::Postgres { .. } | TestDb::Shared { postgres: true, .. }
        )
    }

    /// The same database, for a second service (it is dropped with this one).
    pub fn shared(&self) -> TestDb {
        TestDb::Shared {
            url: self.url(),
            postgres: self.is_postgres(),
        }
    }

    /// Makes the database disappear while the service runs (for readiness tests).
    pub fn destroy(&self) {
        match self {
            TestDb::Sqlite { path, .. } => {
                let _ = std::fs::remove_file(path);
                let _ = std::fs::remove_file(path.with_extension("db-wal"));
                let _ = std::fs::remove_file(path.with_extension("db-shm"));
            }
            TestDb::Postgres {
                admin_url, name, ..
            } => drop_database(admin_url, name),
            TestDb::Shared { .. } => {}
        }
    }

    /// One connection to this database, ready for diesel (`query.execute(&mut conn)`),
    /// for tests that read or change rows directly. The service migrated the database
    /// already, so nothing is migrated here; the SQLite settings are the service's.
    pub fn conn(&self) -> persistence::DbConnection {
        let url = persistence::DatabaseUrl::parse(&self.url()).unwrap();
        let timeout = persistence::PoolOptions::default().connect_timeout;
        persistence::db::ConnectionManager::new(url, timeout)
            .open()
            .unwrap()
    }

    /// A pool on this database, with migrations applied, for repository tests.
    pub fn pool(&self) -> persistence::DbPool {
        let url = persistence::DatabaseUrl::parse(&self.url()).unwrap();
        persistence::connect(url, &persistence::PoolOptions::default()).unwrap()
    }
}

impl Default for TestDb {
    fn default() -> Self {
        Self::new()
    }
}

fn drop_database(admin_url: &str, name: &str) {
    if let Ok(mut admin) = PgConnection::establish(admin_url) {
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut admin);
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres {
            admin_url, name, ..
        } = self
        {
            drop_database(admin_url, name);
        }
    }
}

/// The running service of one test.
pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    handle: ServerHandle,
    thread: Option<JoinHandle<()>>,
    // Dropped after the server has stopped (fields drop in declaration order, and
    // `Drop for TestApp` stops the server first).
    pub db: TestDb,
    _data: tempfile::TempDir,
}

/// A sealing key for tests (32 bytes, base64), under the id `test-1`.
pub const TEST_SEALING_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// Production mode as a deployment runs it: the development IdP off, one trusted issuer
/// (inline keys; no test signs with them) and a configured sealing key, since production
/// refuses to start without either.
pub fn production(settings: &mut Settings) {
    settings.environment = api::config::Environment::Production;
    settings.dev_idp.enabled = Some(false);
    settings.sealing.keys = [("test-1".to_owned(), TEST_SEALING_KEY.into())].into();
    settings.auth.issuers = vec![api::config::IssuerSettings {
        issuer: "https://idp.example.test".into(),
        audience: "e-commissariat".into(),
        kind: api::auth::IssuerKind::Citizen,
        jwks: Some(
            r#"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"prod-1","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#
                .into(),
        ),
        jwks_file: None,
        jwks_url: None,
        jwks_refresh_secs: None,
        acr: Default::default(),
        default_assurance: "low".into(),
    }];
}

pub fn test_settings(db: &TestDb) -> Settings {
    let mut settings = Settings::isolated(&Overrides {
        database_url: Some(db.url()),
        bind: Some("127.0.0.1:0".into()),
        config_file: None,
    })
    .expect("test settings");
    settings.server.workers = Some(1);
    settings.server.handle_signals = false;
    settings.server.shutdown_timeout_secs = 1;
    settings.database.pool_size = 4;
    settings.database.connect_timeout_secs = 2;
    // Seal quickly, so that tests wait little for the audit log.
    settings.audit.seal_interval_ms = 100;
    // The statistics' summary is refreshed, and followed, by the tests that read it.
    settings.statistics.refresh_secs = 0;
    settings.statistics.follow_secs = 0;
    settings
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the service on a fresh database after `customize` adjusted its settings.
pub async fn spawn_app_with(customize: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_on(TestDb::new(), customize).await
}

impl TestApp {
    /// One connection to the service's database ([`TestDb::conn`]).
    pub fn conn(&self) -> persistence::DbConnection {
        self.db.conn()
    }

    /// A second service on this test's database (its own data folder), for what must
    /// hold across a restart or a configuration change; `self` must outlive it.
    pub async fn sibling(&self, customize: impl FnOnce(&mut Settings)) -> TestApp {
        spawn_app_on(self.db.shared(), customize).await
    }
}

/// Starts the service on `db` after `customize` adjusted its settings.
pub async fn spawn_app_on(db: TestDb, customize: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = test_settings(&db);
    // The data folder (the development IdP's key) is the test's own.
    let data = tempfile::tempdir().expect("temporary data folder");
    settings.database.data_dir = data.path().to_owned();
    customize(&mut settings);
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            match Application::build(settings) {
                Ok(app) => {
                    let _ = tx.send(Ok((app.port(), app.handle())));
                    let _ = app.run_until_stopped().await;
                }
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                }
            }
        });
    });
    let (port, handle) = rx
        .recv()
        .expect("the service thread answered")
        .unwrap_or_else(|e| panic!("the service did not start: {e}"));
    // Idle connections are dropped before the service's keep-alive (5 s) ends them: a
    // request sent on a connection the server is closing at that instant fails with
    // "IncompleteMessage" (seen on loaded machines, e.g. after a slow Python check).
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(std::time::Duration::from_secs(2))
        .build()
        .unwrap();
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        client,
        handle,
        thread: Some(thread),
        db,
        _data: data,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// The service's data folder (its keys, the audit witness).
    pub fn data_dir(&self) -> &std::path::Path {
        self._data.path()
    }

    /// Waits until every committed audit event is sealed (at most 15 s, then panics:
    /// a test must not pass while the sealer is stuck).
    pub async fn wait_sealed(&self) {
        let pool = self.db.pool();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            let pending = {
                let mut conn = pool.get().unwrap();
                persistence::auditlog::pending_count(&mut conn).unwrap()
            };
            if pending == 0 {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{pending} audit event(s) still unsealed after 15 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// A token of the development identity provider (`POST /dev/tokens` with `body`).
    pub async fn dev_token(&self, body: serde_json::Value) -> String {
        let response = self.post_json("/dev/tokens", &body).await;
        assert_eq!(response.status(), 200);
        response.json::<serde_json::Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // `stop` sends the command at once; the server's own thread carries it out.
        drop(self.handle.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads a problem+json response, checking the members every problem must carry.
pub async fn assert_problem(
    response: reqwest::Response,
    status: u16,
    code: &str,
) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status, "status");
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert_eq!(content_type, "application/problem+json");
    let request_id = response
        .headers()
        .get("x-request-id")
        .expect("x-request-id header")
        .to_str()
        .unwrap()
        .to_owned();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["request_id"], request_id.as_str(), "{body}");
    assert_eq!(body["type"], format!("urn:e-commissariat:problem:{code}"));
    for member in ["title", "detail", "instance"] {
        assert!(
            body[member].as_str().is_some_and(|s| !s.is_empty()),
            "{member} in {body}"
        );
    }
    body
}

/// The `(pointer, code)` of each field error of a `validation_failed` problem, in order.
pub fn field_errors(problem: &serde_json::Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    (
                        e["pointer"].as_str().unwrap_or_default().to_owned(),
                        e["code"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

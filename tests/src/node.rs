//! The Node.js packages the tests run (`tests/node/package.json`, locked by
//! `package-lock.json`): installed with `npm ci` in `target/test-node` by the first test
//! that needs them (Node.js 20 and the npm registry), again when the lock file changes.
//!
//! [`OidcProvider`]: a certified OpenID provider (`oidc-provider`) run by the test, for
//! the partner flows against a real identity provider (issue 16).

use crate::prepared::{prepared, run, workspace};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

/// The sources in `tests/node`, copied beside the installed packages (ES modules resolve
/// their imports from their own directory).
const SOURCES: [&str; 3] = ["package.json", "package-lock.json", "oidc-provider.mjs"];

/// `target/test-node`, with the packages installed. Panics with the reason when they
/// cannot be.
pub fn packages() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let source = workspace().join("tests").join("node");
        let stamp: String = SOURCES
            .iter()
            .map(|f| std::fs::read_to_string(source.join(f)).unwrap_or_default())
            .collect();
        prepared("test-node", &stamp, |root| {
            for file in SOURCES {
                std::fs::copy(source.join(file), root.join(file))
                    .map_err(|e| format!("{file}: {e}"))?;
            }
            run(Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--silent"])
                .current_dir(root))
        })
        .unwrap_or_else(|e| {
            panic!("cannot install tests/node in target/test-node ({e}): Node.js 20 and npm are needed")
        })
    })
    .clone()
}

/// A running `oidc-provider` (`tests/node/oidc-provider.mjs`): clients `portal-a` and
/// `zone-ottignies` (secret `<id>-secret`), JWT access tokens for the audience
/// `e-commissariat`. Stopped when dropped.
pub struct OidcProvider {
    child: Child,
    /// `http://127.0.0.1:<port>`; the keys are at `<issuer>/jwks`.
    pub issuer: String,
}

impl OidcProvider {
    /// Starts one on a free port of 127.0.0.1 and waits until it listens.
    pub fn start() -> Self {
        let dir = packages();
        let mut child = Command::new("node")
            .arg(dir.join("oidc-provider.mjs"))
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node (Node.js 20)");
        let stdout = child.stdout.take().expect("the provider's output");
        let mut line = String::new();
        let mut reader = BufReader::new(stdout);
        reader
            .read_line(&mut line)
            .expect("the provider's first line");
        // The rest is read and dropped, so that the provider's later writes (its
        // development pages log to the console) never meet a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        let started: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("the provider did not start ({e}): {line:?}"));
        let issuer = started["issuer"].as_str().expect("issuer").to_owned();
        OidcProvider { child, issuer }
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

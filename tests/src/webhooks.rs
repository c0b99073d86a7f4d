//! A real webhook receiver for the tests: `tests/webhooks/receiver.py`, an HTTP server
//! that verifies every delivery with the `standardwebhooks` package (Python, pinned in
//! `tests/requirements.txt`) and records it. Run by the tests' Python (`crate::python`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running receiver; killed when dropped.
pub struct Receiver {
    child: Child,
    pub port: u16,
    out: PathBuf,
    _dir: tempfile::TempDir,
}

impl Receiver {
    /// Starts a receiver in `mode` (`accept`, `fail-first:N`, `redirect:URL`) that
    /// verifies each request with every secret of `secrets`.
    pub fn start(mode: &str, secrets: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("receiver folder");
        let out = dir.path().join("received.jsonl");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("webhooks/receiver.py");
        let mut command = Command::new(crate::python::python());
        command
            .arg(script)
            .args(["--mode", mode, "--out", &out.display().to_string()]);
        for secret in secrets {
            command.args(["--secret", secret]);
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", crate::python::python()));
        let stdout = child.stdout.take().expect("receiver stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("receiver says READY");
        let port = line
            .strip_prefix("READY ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!(
                    "the webhook receiver did not start (is standardwebhooks installed?): {line:?}"
                )
            });
        Receiver {
            child,
            port,
            out,
            _dir: dir,
        }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Every request received so far, in arrival order.
    pub fn received(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Waits until `done` holds for the requests received (panics after `timeout`).
    pub async fn wait_until(
        &self,
        timeout: Duration,
        done: impl Fn(&[serde_json::Value]) -> bool,
    ) -> Vec<serde_json::Value> {
        let start = Instant::now();
        loop {
            let received = self.received();
            if done(&received) {
                return received;
            }
            assert!(
                start.elapsed() < timeout,
                "the receiver's condition did not hold after {timeout:?}: {received:#?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

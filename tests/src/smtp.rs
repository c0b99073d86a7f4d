//! A real SMTP server for the tests: `tests/smtp/sink.py` (aiosmtpd, with Python's e-mail
//! parser) in a child process, run by the tests' Python (`crate::python`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The interpreter that has aiosmtpd.
pub fn python() -> String {
    crate::python::python()
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("smtp/sink.py")
}

/// A running SMTP sink; killed when dropped. Messages are read from its folder.
pub struct SmtpSink {
    child: Option<Child>,
    pub port: u16,
    dir: PathBuf,
    _owned: Option<tempfile::TempDir>,
}

impl SmtpSink {
    /// Starts a sink in `mode` (`accept`, `reject`, `stall`, `fast`) on a free port, with
    /// a folder of its own.
    pub fn start(mode: &str) -> Self {
        let dir = tempfile::tempdir().expect("sink folder");
        let path = dir.path().to_owned();
        let mut sink = Self::start_on(0, mode, &path);
        sink._owned = Some(dir);
        sink
    }

    /// Starts a sink on `port` (0: any), writing into `dir`.
    pub fn start_on(port: u16, mode: &str, dir: &Path) -> Self {
        let mut child = Command::new(python())
            .arg(script())
            .args(["--dir", &dir.display().to_string()])
            .args(["--port", &port.to_string(), "--mode", mode])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {} (aiosmtpd needed): {e}", python()));
        let stdout = child.stdout.take().expect("sink stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("sink says READY");
        let port = line
            .strip_prefix("READY ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!("the SMTP sink did not start (is aiosmtpd installed?): {line:?}")
            });
        SmtpSink {
            child: Some(child),
            port,
            dir: dir.to_owned(),
            _owned: None,
        }
    }

    /// `smtp://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stops the server (connections are cut).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The messages received so far, in arrival order: the parsed records
    /// (`headers`, `parts`, `rcpt_tos`...).
    pub fn messages(&self) -> Vec<serde_json::Value> {
        read_messages(&self.dir)
    }

    /// Waits until at least `count` messages arrived (panics after `timeout`).
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<serde_json::Value> {
        let start = Instant::now();
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            assert!(
                start.elapsed() < timeout,
                "{} message(s) after {timeout:?}, {count} expected",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The parsed messages in a sink's folder, in arrival order.
pub fn read_messages(dir: &Path) -> Vec<serde_json::Value> {
    let mut messages: Vec<(u64, serde_json::Value)> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                .filter_map(|e| {
                    let text = std::fs::read_to_string(e.path()).ok()?;
                    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
                    Some((value["n"].as_u64().unwrap_or(0), value))
                })
                .collect()
        })
        .unwrap_or_default();
    messages.sort_by_key(|(n, _)| *n);
    messages.into_iter().map(|(_, v)| v).collect()
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

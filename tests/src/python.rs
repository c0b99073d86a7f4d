//! The Python interpreter the tests run independent implementations with (an SMTP
//! server, an iCalendar parser, an IMEI and IBAN validator: `tests/requirements.txt`).
//!
//! `ECOM_TEST_PYTHON` names one that has the packages (CI sets it). Without it, the first
//! test that needs Python makes a virtual environment in `target/test-python` with
//! `python3 -m venv` and installs `tests/requirements.txt` there, once: the README's
//! `cargo test --workspace` needs nothing else. The environment is made again when the
//! requirements change. Concurrent test processes wait for each other (a lock directory).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The interpreter to run: `ECOM_TEST_PYTHON`, or the tests' own environment (made on
/// first use). Panics with the reason when the environment cannot be made.
pub fn python() -> String {
    if let Ok(python) = std::env::var("ECOM_TEST_PYTHON") {
        return python;
    }
    static PYTHON: OnceLock<String> = OnceLock::new();
    PYTHON.get_or_init(own_environment).clone()
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate is in the workspace")
        .to_path_buf()
}

fn own_environment() -> String {
    let requirements_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("requirements.txt");
    let requirements = std::fs::read_to_string(&requirements_path).expect("tests/requirements.txt");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"));
    std::fs::create_dir_all(&target).expect("the target directory");
    let root = target.join("test-python");
    let python = root.join("bin").join("python");
    let stamp = root.join("installed-requirements.txt");
    let ready = || std::fs::read_to_string(&stamp).is_ok_and(|s| s == requirements);
    if ready() {
        return python.display().to_string();
    }
    let lock = target.join("test-python.lock");
    let started = Instant::now();
    while std::fs::create_dir(&lock).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "{} stayed locked for 10 minutes: remove it if no test is running",
            lock.display()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let result = (|| {
        if ready() {
            return Ok(());
        }
        let _ = std::fs::remove_dir_all(&root);
        run(Command::new("python3").arg("-m").arg("venv").arg(&root))?;
        run(Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(&requirements_path))?;
        std::fs::write(&stamp, &requirements).map_err(|e| e.to_string())
    })();
    let _ = std::fs::remove_dir(&lock);
    if let Err(e) = result {
        panic!(
            "cannot make the tests' Python environment in {} ({e}); install Python 3 with venv, \
             or set ECOM_TEST_PYTHON to an interpreter that has tests/requirements.txt",
            root.display()
        );
    }
    python.display().to_string()
}

fn run(command: &mut Command) -> Result<(), String> {
    let output = command.output().map_err(|e| format!("{command:?}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// Runs `script` (`python -c`) with `input` on its standard input and returns what it
/// printed; panics with `what` and Python's standard error when the script fails (an
/// independent implementation refusing our output is a test failure).
pub fn run_script(script: &str, input: &[u8], what: &str) -> Vec<u8> {
    use std::io::Write;
    use std::process::Stdio;
    let python = python();
    let mut child = Command::new(&python)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {python} (tests/requirements.txt): {e}"));
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input).expect("the script's standard input");
    }
    let output = child.wait_with_output().expect("the script's output");
    assert!(
        output.status.success(),
        "{what}:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

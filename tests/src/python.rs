//! The Python interpreter the tests run independent implementations with (an SMTP
//! server, an iCalendar parser, an IMEI and IBAN validator: `tests/requirements.txt`).
//!
//! `ECOM_TEST_PYTHON` names one that has the packages (CI sets it). Without it, the first
//! test that needs Python makes a virtual environment in `target/test-python` with
//! `python3 -m venv` and installs `tests/requirements.txt` there, once: the README's
//! `cargo test --workspace` needs nothing else. The environment is made again when the
//! requirements change. Concurrent test processes wait for each other (a lock directory).

use crate::prepared::{prepared, run};
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

/// The interpreter to run: `ECOM_TEST_PYTHON`, or the tests' own environment (made on
/// first use). Panics with the reason when the environment cannot be made.
pub fn python() -> String {
    if let Ok(python) = std::env::var("ECOM_TEST_PYTHON") {
        return python;
    }
    static PYTHON: OnceLock<String> = OnceLock::new();
    PYTHON.get_or_init(own_environment).clone()
}

fn own_environment() -> String {
    let requirements_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("requirements.txt");
    let requirements = std::fs::read_to_string(&requirements_path).expect("tests/requirements.txt");
    let made = prepared("test-python", &requirements, |root| {
        run(Command::new("python3").arg("-m").arg("venv").arg(root))?;
        run(Command::new(root.join("bin").join("python"))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(&requirements_path))
    });
    match made {
        Ok(root) => root.join("bin").join("python").display().to_string(),
        Err(e) => panic!(
            "cannot make the tests' Python environment in target/test-python ({e}); install \
             Python 3 with venv, or set ECOM_TEST_PYTHON to an interpreter that has \
             tests/requirements.txt"
        ),
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

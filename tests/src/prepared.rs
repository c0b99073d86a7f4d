//! A directory under the target directory that the tests prepare once (a Python virtual
//! environment, the Node.js packages): made again when what it was made from changes (a
//! stamp file holds it), and made by one test process at a time (a lock directory), the
//! others waiting for it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The workspace's root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate is in the workspace")
        .to_path_buf()
}

/// `target/<name>`, made by `make` (given the empty directory) unless it was made from
/// `stamp` already.
///
/// # Errors
/// What `make` returned; the directory is removed again.
pub fn prepared(
    name: &str,
    stamp: &str,
    make: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<PathBuf, String> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"));
    std::fs::create_dir_all(&target).map_err(|e| format!("{}: {e}", target.display()))?;
    let root = target.join(name);
    let stamp_file = root.join(".prepared-from");
    let ready = || std::fs::read_to_string(&stamp_file).is_ok_and(|s| s == stamp);
    if ready() {
        return Ok(root);
    }
    let lock = target.join(format!("{name}.lock"));
    let started = Instant::now();
    while std::fs::create_dir(&lock).is_err() {
        if started.elapsed() > Duration::from_secs(600) {
            return Err(format!(
                "{} stayed locked for 10 minutes: remove it if no test is running",
                lock.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let result = (|| {
        if ready() {
            return Ok(());
        }
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
        make(&root)?;
        std::fs::write(&stamp_file, stamp).map_err(|e| e.to_string())
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&root);
    }
    let _ = std::fs::remove_dir(&lock);
    result.map(|()| root)
}

/// Runs `command`; its standard error in the error when it fails.
///
/// # Errors
/// The command could not start, or ended with a failure.
pub fn run(command: &mut Command) -> Result<(), String> {
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

//! The witness: where each checkpoint is written outside the database, so that a rewrite
//! of the database (even with every hash recomputed) no longer matches what was signed
//! and published.
//!
//! - A folder (append-only by use): one file per checkpoint,
//!   `<dir>/<size / 1,000,000, 6 digits>/<size, 20 digits>.json`, created once, never
//!   replaced, read-only after writing. A different checkpoint for a size already
//!   witnessed is refused and reported.
//! - An HTTP endpoint receiving each checkpoint as a JSON `POST` (2xx = kept).

use domain::audit::Checkpoint;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where checkpoints go.
#[derive(Debug, Clone, Default)]
pub struct Witness {
    pub dir: Option<PathBuf>,
    pub url: Option<String>,
}

fn file_of(dir: &Path, tree_size: u64) -> PathBuf {
    dir.join(format!("{:06}", tree_size / 1_000_000))
        .join(format!("{tree_size:020}.json"))
}

impl Witness {
    /// Writes the checkpoint to the folder (if any) and posts it to the endpoint (if
    /// any), with `http` when given.
    ///
    /// # Errors
    /// Each failure, named (the folder's first, then the endpoint's).
    pub async fn publish(
        &self,
        checkpoint: &Checkpoint,
        http: Option<&reqwest::Client>,
    ) -> Result<(), String> {
        let mut errors = Vec::new();
        if let Some(dir) = &self.dir {
            if let Err(e) = write_file(dir, checkpoint) {
                errors.push(e);
            }
        }
        if let (Some(url), Some(http)) = (&self.url, http) {
            match http.post(url).json(checkpoint).send().await {
                Ok(response) if response.status().is_success() => {}
                Ok(response) => errors.push(format!("{url}: HTTP {}", response.status())),
                Err(e) => errors.push(format!("{url}: {e}")),
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }
}

/// Writes one checkpoint file; a file already there must hold the same checkpoint.
///
/// # Errors
/// The folder or file cannot be written, or a different checkpoint of the same size is
/// already witnessed.
pub fn write_file(dir: &Path, checkpoint: &Checkpoint) -> Result<(), String> {
    let path = file_of(dir, checkpoint.tree_size);
    let body = serde_json::to_vec_pretty(checkpoint).map_err(|e| e.to_string())?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    match options.open(&path) {
        Ok(mut file) => {
            file.write_all(&body)
                .and_then(|()| file.sync_all())
                .map_err(|e| format!("{}: {e}", path.display()))?;
            let mut permissions = file
                .metadata()
                .map_err(|e| format!("{}: {e}", path.display()))?
                .permissions();
            permissions.set_readonly(true);
            std::fs::set_permissions(&path, permissions)
                .map_err(|e| format!("{}: {e}", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => match read_file(&path)? {
            existing if existing == *checkpoint => Ok(()),
            _ => Err(format!(
                "{}: the witness already holds a different checkpoint of size {}",
                path.display(),
                checkpoint.tree_size
            )),
        },
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Reads one checkpoint file.
///
/// # Errors
/// The file cannot be read or is not a checkpoint.
pub fn read_file(path: &Path) -> Result<Checkpoint, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{}: not a checkpoint: {e}", path.display()))
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    paths.sort();
    Ok(paths)
}

/// Every checkpoint in a witness folder, smallest size first (an empty list when the
/// folder does not exist yet).
///
/// # Errors
/// A file that cannot be read or is not a checkpoint, named.
pub fn read_all(dir: &Path) -> Result<Vec<Checkpoint>, String> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut all = Vec::new();
    for sub in sorted_entries(dir)?.into_iter().filter(|p| p.is_dir()) {
        for file in sorted_entries(&sub)? {
            if file.extension().is_some_and(|e| e == "json") {
                all.push(read_file(&file)?);
            }
        }
    }
    all.sort_by_key(|c| c.tree_size);
    Ok(all)
}

/// The witness folder's latest checkpoint (the largest size), reading the last
/// sub-folder only.
///
/// # Errors
/// The folder or its latest file cannot be read.
pub fn latest(dir: &Path) -> Result<Option<Checkpoint>, String> {
    if !dir.exists() {
        return Ok(None);
    }
    for sub in sorted_entries(dir)?
        .into_iter()
        .rev()
        .filter(|p| p.is_dir())
    {
        let files = sorted_entries(&sub)?;
        if let Some(file) = files
            .iter()
            .rev()
            .find(|f| f.extension().is_some_and(|e| e == "json"))
        {
            return read_file(file).map(Some);
        }
    }
    Ok(None)
}

//! Evidence files (docs/EVIDENCE.md): where they are stored (an object store behind the
//! `object_store` crate's trait: a local folder by default, an S3-compatible store in
//! production), how they are encrypted (`cipher`), checked and stripped of metadata
//! (`intake`). The cleanup of what a crash leaves behind is `app::evidence_cleanup`.

pub mod cipher;
pub mod intake;

use crate::config::{EvidenceSettings, StoreKind};
use bytes::Bytes;
use futures_util::StreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, WriteMultipart};
use secrecy::ExposeSecret;
use std::path::Path;
use std::sync::Arc;

/// The prefix of every evidence object.
pub const PREFIX: &str = "attachments";
/// The prefix of the parts of resumable uploads in progress.
pub const UPLOADS: &str = "uploads";

/// The object of one part of a resumable upload, starting at `start`.
pub fn upload_part_path(upload: &str, start: u64) -> ObjectPath {
    ObjectPath::from(format!("{UPLOADS}/{upload}/{start:020}"))
}

/// Which copy of a file an object holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileCopy {
    /// The file as received (evidence).
    Original,
    /// The picture without its metadata (EXIF, XMP, GPS).
    Viewing,
}

impl FileCopy {
    pub fn as_str(self) -> &'static str {
        match self {
            FileCopy::Original => "original",
            FileCopy::Viewing => "viewing",
        }
    }
}

/// Why the store failed (logged; the client sees a 500 or 503).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("object store: {0}")]
    Store(#[from] object_store::Error),
    #[error(transparent)]
    Cipher(#[from] cipher::CipherError),
    #[error("{0}")]
    Config(String),
    /// The spool file of an upload bound for an S3-compatible store.
    #[error("the spool: {0}")]
    Spool(#[from] std::io::Error),
}

/// The evidence store of a running service.
pub struct Evidence {
    pub store: Arc<dyn ObjectStore>,
    pub limits: domain::evidence::Limits,
    /// Pictures being stripped at once (each held in memory meanwhile).
    pub strip_permits: Arc<tokio::sync::Semaphore>,
    /// Bytes buffered before a part is sent to the store.
    pub part_size: usize,
    /// Where files bound for an S3-compatible store wait until complete (`None`: the
    /// local store, written directly), and how many are sent at once.
    spool: Option<Spool>,
    pub grace: chrono::Duration,
    pub cleanup_interval_secs: u64,
    pub upload_expiry: chrono::Duration,
}

/// The object of one copy of a file.
pub fn object_path(attachment: &str, copy: FileCopy) -> ObjectPath {
    ObjectPath::from(format!("{PREFIX}/{attachment}/{}", copy.as_str()))
}

impl Evidence {
    /// The store the settings name; the local folder is made if missing.
    pub fn from_settings(settings: &EvidenceSettings, data_dir: &Path) -> Result<Self, StoreError> {
        let spool = match settings.store {
            StoreKind::Local => None,
            StoreKind::S3 => {
                let dir = data_dir.join("evidence-spool");
                std::fs::create_dir_all(&dir).map_err(|e| {
                    StoreError::Config(format!("the spool folder {}: {e}", dir.display()))
                })?;
                Some(Spool {
                    dir,
                    permits: Arc::new(tokio::sync::Semaphore::new(
                        settings.store_uploads_at_once.max(1),
                    )),
                })
            }
        };
        let (store, part_size): (Arc<dyn ObjectStore>, usize) = match settings.store {
            StoreKind::Local => {
                let dir = settings
                    .local_dir
                    .clone()
                    .unwrap_or_else(|| data_dir.join("evidence"));
                std::fs::create_dir_all(&dir).map_err(|e| {
                    StoreError::Config(format!("evidence.local_dir {}: {e}", dir.display()))
                })?;
                // Deleting an object removes the folders it leaves empty, up to the
                // store's root (object_store's own cleanup: a folder is removed only
                // when empty, so a concurrent write into it is never lost).
                let local = object_store::local::LocalFileSystem::new_with_prefix(&dir)?
                    .with_automatic_cleanup(true);
                (Arc::new(local), 256 * 1024)
            }
            StoreKind::S3 => {
                let s3 = &settings.s3;
                if s3.bucket.trim().is_empty() {
                    return Err(StoreError::Config(
                        "evidence.s3.bucket is required with evidence.store = \"s3\"".into(),
                    ));
                }
                let mut builder = object_store::aws::AmazonS3Builder::new()
                    .with_bucket_name(&s3.bucket)
                    .with_allow_http(s3.allow_http)
                    .with_virtual_hosted_style_request(!s3.path_style)
                    .with_region(s3.region.clone().unwrap_or_else(|| "us-east-1".into()));
                if let Some(endpoint) = &s3.endpoint {
                    builder = builder.with_endpoint(endpoint);
                }
                if let Some(id) = &s3.access_key_id {
                    builder = builder.with_access_key_id(id);
                }
                if let Some(secret) = &s3.secret_access_key {
                    builder = builder.with_secret_access_key(secret.expose_secret());
                }
                // S3 parts are at least 5 MiB, except the last.
                (Arc::new(builder.build()?), 5 * 1024 * 1024)
            }
        };
        Ok(Evidence {
            store,
            limits: settings.limits(),
            strip_permits: Arc::new(tokio::sync::Semaphore::new(
                settings.strip_concurrency.max(1),
            )),
            part_size,
            spool,
            grace: chrono::Duration::seconds(settings.cleanup_grace_secs as i64),
            cleanup_interval_secs: settings.cleanup_interval_secs,
            upload_expiry: chrono::Duration::seconds(settings.upload_expiry_secs as i64),
        })
    }

    /// Starts writing an object: on the local store, bytes go out part by part; for an
    /// S3-compatible store, into a spool file, sent when [`ObjectWriter::finish`]es.
    pub async fn writer(&self, path: &ObjectPath) -> Result<ObjectWriter, StoreError> {
        let inner = match &self.spool {
            None => {
                let upload = self.store.put_multipart(path).await?;
                Sink::Direct(WriteMultipart::new_with_chunk_size(upload, self.part_size))
            }
            Some(spool) => {
                let dir = spool.dir.clone();
                // Anonymous: the file has no name, and the system removes it when it is
                // closed (an abort, an error, a crash).
                let file = tokio::task::spawn_blocking(move || tempfile::tempfile_in(dir))
                    .await
                    .map_err(std::io::Error::other)??;
                Sink::Spooled {
                    file: tokio::fs::File::from_std(file),
                    store: self.store.clone(),
                    path: path.clone(),
                    part_size: self.part_size,
                    permits: spool.permits.clone(),
                }
            }
        };
        Ok(ObjectWriter { inner })
    }

    /// Writes a whole (small) object at once.
    pub async fn put(&self, path: &ObjectPath, bytes: Vec<u8>) -> Result<(), StoreError> {
        self.store.put(path, Bytes::from(bytes).into()).await?;
        Ok(())
    }

    /// Removes an object; a missing one is not an error.
    pub async fn delete(&self, path: &ObjectPath) -> Result<(), StoreError> {
        match self.store.delete(path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes both copies of a file.
    pub async fn delete_file(&self, attachment: &str) -> Result<(), StoreError> {
        self.delete(&object_path(attachment, FileCopy::Original))
            .await?;
        self.delete(&object_path(attachment, FileCopy::Viewing))
            .await
    }

    /// The decrypted content of a copy, as a stream of chunks (decrypted segment by
    /// segment; an altered object ends the stream with an error).
    pub async fn open_stream(
        &self,
        attachment: &str,
        copy: FileCopy,
        key: [u8; 32],
    ) -> Result<
        impl futures_util::Stream<Item = Result<Bytes, StoreError>> + Send + 'static,
        StoreError,
    > {
        self.open_object(
            &object_path(attachment, copy),
            key,
            cipher::context(attachment, copy.as_str()),
        )
        .await
    }

    /// The decrypted content of any evidence object (`aad`: its associated data).
    pub async fn open_object(
        &self,
        path: &ObjectPath,
        key: [u8; 32],
        aad: String,
    ) -> Result<
        impl futures_util::Stream<Item = Result<Bytes, StoreError>> + Send + 'static,
        StoreError,
    > {
        let source = self.store.get(path).await?.into_stream();
        let decryptor = cipher::Decryptor::new(&key, aad)?;
        Ok(futures_util::stream::unfold(
            (source, Some(decryptor)),
            |(mut source, mut decryptor)| async move {
                loop {
                    let current = decryptor.as_mut()?;
                    match source.next().await {
                        Some(Ok(chunk)) => match current.push(&chunk) {
                            Ok(plain) if plain.is_empty() => continue,
                            Ok(plain) => {
                                return Some((Ok(Bytes::from(plain)), (source, decryptor)))
                            }
                            Err(e) => return Some((Err(e.into()), (source, None))),
                        },
                        Some(Err(e)) => return Some((Err(e.into()), (source, None))),
                        None => {
                            let last = decryptor.take()?.finish();
                            return Some((
                                last.map(Bytes::from).map_err(StoreError::from),
                                (source, None),
                            ));
                        }
                    }
                }
            },
        ))
    }

    /// The decrypted content of a copy, whole (pictures being stripped; bounded by the
    /// per-file limit).
    pub async fn read_all(
        &self,
        attachment: &str,
        copy: FileCopy,
        key: [u8; 32],
    ) -> Result<Vec<u8>, StoreError> {
        let mut stream = Box::pin(self.open_stream(attachment, copy, key).await?);
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    }
}

/// The spool of an S3-compatible store: its folder, and the permits of the files being
/// sent (`evidence.store_uploads_at_once`).
struct Spool {
    dir: std::path::PathBuf,
    permits: Arc<tokio::sync::Semaphore>,
}

/// An object being written.
pub struct ObjectWriter {
    inner: Sink,
}

enum Sink {
    /// Part by part to the store (the local store: 256 KiB parts).
    Direct(WriteMultipart),
    /// Into a spool file, sent to the store in `part_size` parts when complete, under one
    /// of `permits`: an S3 part is at least 5 MiB, and fifty uploads each holding one
    /// while its bytes trickle in would hold 250 MiB (bench/RESULTS.md, 2026-12-01).
    Spooled {
        file: tokio::fs::File,
        store: Arc<dyn ObjectStore>,
        path: ObjectPath,
        part_size: usize,
        permits: Arc<tokio::sync::Semaphore>,
    },
}

/// What is read from the spool at once while sending.
const SPOOL_READ: usize = 64 * 1024;

impl ObjectWriter {
    /// Takes bytes. Directly: waits while more than one part is in flight (so that a fast
    /// client and a slow store do not pile parts up in memory). Spooled: appends them to
    /// the spool file.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        match &mut self.inner {
            Sink::Direct(inner) => {
                inner.write(bytes);
                inner.wait_for_capacity(1).await?;
            }
            Sink::Spooled { file, .. } => {
                use tokio::io::AsyncWriteExt;
                file.write_all(bytes).await?;
            }
        }
        Ok(())
    }

    /// Completes the object. Spooled: waits for a permit, then sends the spool file part
    /// by part (at most one part in flight and one filling), then drops the file.
    pub async fn finish(self) -> Result<(), StoreError> {
        match self.inner {
            Sink::Direct(inner) => {
                inner.finish().await?;
            }
            Sink::Spooled {
                mut file,
                store,
                path,
                part_size,
                permits,
            } => {
                use tokio::io::AsyncWriteExt;
                use tokio::io::{AsyncReadExt, AsyncSeekExt};
                file.flush().await?;
                file.seek(std::io::SeekFrom::Start(0)).await?;
                let _permit = permits
                    .acquire_owned()
                    .await
                    .map_err(std::io::Error::other)?;
                let upload = store.put_multipart(&path).await?;
                let mut inner = WriteMultipart::new_with_chunk_size(upload, part_size);
                let mut buffer = vec![0u8; SPOOL_READ];
                loop {
                    let read = match file.read(&mut buffer).await {
                        Ok(0) => break,
                        Ok(n) => n,
                        Err(e) => {
                            let _ = inner.abort().await;
                            return Err(e.into());
                        }
                    };
                    inner.write(&buffer[..read]);
                    if let Err(e) = inner.wait_for_capacity(1).await {
                        let _ = inner.abort().await;
                        return Err(e.into());
                    }
                }
                inner.finish().await?;
            }
        }
        Ok(())
    }

    /// Gives the object up: nothing of it stays (a direct upload is aborted; a spool file
    /// is removed, and nothing had reached the store).
    pub async fn abort(self) {
        if let Sink::Direct(inner) = self.inner {
            let _ = inner.abort().await;
        }
    }
}

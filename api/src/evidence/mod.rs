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
}

/// The evidence store of a running service.
pub struct Evidence {
    pub store: Arc<dyn ObjectStore>,
    pub limits: domain::evidence::Limits,
    /// Pictures being stripped at once (each held in memory meanwhile).
    pub strip_permits: Arc<tokio::sync::Semaphore>,
    /// Bytes buffered before a part is sent to the store.
    pub part_size: usize,
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
        let (store, part_size): (Arc<dyn ObjectStore>, usize) = match settings.store {
            StoreKind::Local => {
                let dir = settings
                    .local_dir
                    .clone()
                    .unwrap_or_else(|| data_dir.join("evidence"));
                std::fs::create_dir_all(&dir).map_err(|e| {
                    StoreError::Config(format!("evidence.local_dir {}: {e}", dir.display()))
                })?;
                let local = object_store::local::LocalFileSystem::new_with_prefix(&dir)?;
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
            grace: chrono::Duration::seconds(settings.cleanup_grace_secs as i64),
            cleanup_interval_secs: settings.cleanup_interval_secs,
            upload_expiry: chrono::Duration::seconds(settings.upload_expiry_secs as i64),
        })
    }

    /// Starts writing an object; bytes go out part by part.
    pub async fn writer(&self, path: &ObjectPath) -> Result<ObjectWriter, StoreError> {
        let upload = self.store.put_multipart(path).await?;
        Ok(ObjectWriter {
            inner: WriteMultipart::new_with_chunk_size(upload, self.part_size),
        })
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

/// An object being written, part by part.
pub struct ObjectWriter {
    inner: WriteMultipart,
}

impl ObjectWriter {
    /// Queues bytes; waits while more than one part is in flight (so that a fast client
    /// and a slow store do not pile parts up in memory).
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        self.inner.write(bytes);
        self.inner.wait_for_capacity(1).await?;
        Ok(())
    }

    pub async fn finish(self) -> Result<(), StoreError> {
        self.inner.finish().await?;
        Ok(())
    }

    pub async fn abort(self) {
        let _ = self.inner.abort().await;
    }
}

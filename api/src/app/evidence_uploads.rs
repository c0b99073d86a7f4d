//! Resumable uploads (tus 1.0: core protocol and the creation extension; docs/EVIDENCE.md)
//! for the mobile app over flaky networks. An upload is created with its length; each
//! `PATCH` appends bytes at the offset the upload stands at, stored as an encrypted part
//! (`uploads/<id>/<start>`); a request cut in the middle keeps what arrived, so the
//! client asks the offset (`HEAD`) and sends the rest. When the last byte arrives, the
//! parts are read back in order, as one stream, through the same intake as a multipart
//! upload (type, limits, metadata removal, hash, audit), and the parts are removed.

use super::evidence::{begin, Sender};
use super::with_db;
use crate::error::{ApiError, EvidenceError};
use crate::evidence::{cipher, upload_part_path, StoreError};
use crate::state::AppState;
use actix_web::web;
use bytes::Bytes;
use domain::evidence::Refusal;
use domain::policy::CitizenActor;
use futures_util::{StreamExt, TryStreamExt};
use persistence::evidence::{self as repo, ResumableUpload, StoredAttachment};

fn store_error(e: StoreError) -> ApiError {
    ApiError::Internal(format!("evidence store: {e}"))
}

fn upload_key_context(upload: &str) -> String {
    format!("upload_key:{upload}")
}

fn part_context(upload: &str, start: u64) -> String {
    cipher::context(&format!("upload:{upload}"), &start.to_string())
}

/// Creates an upload of `length` bytes for the citizen's filing.
pub async fn create(
    state: &web::Data<AppState>,
    citizen: &CitizenActor,
    filing: &str,
    length: u64,
    file_name: String,
    declared_type: Option<String>,
) -> Result<ResumableUpload, ApiError> {
    let limits = state.evidence.limits;
    let now = super::now();
    let id = uuid::Uuid::new_v4().to_string();
    let key = cipher::new_data_key();
    let data_key = state
        .sealing
        .seal(&key, &upload_key_context(&id))
        .map_err(|e| ApiError::Internal(format!("sealing a data key: {e}")))?;
    let upload = ResumableUpload {
        id,
        filing_id: filing.to_owned(),
        owner_id: citizen.id.clone(),
        file_name,
        declared_type,
        length,
        received: 0,
        parts: Vec::new(),
        key_id: state.sealing.current_id().to_owned(),
        data_key,
        created_at: now,
        expires_at: now + state.evidence.upload_expiry,
    };
    let citizen = citizen.clone();
    with_db(state, move |conn| {
        let filing = persistence::filings::find_owned(conn, &citizen.id, &upload.filing_id)?
            .filter(|f| domain::policy::citizen_may_see(&citizen, f))
            .ok_or_else(|| ApiError::FilingNotFound(upload.filing_id.clone()))?;
        if domain::evidence::citizen_origin(filing.status).is_none() {
            return Err(EvidenceError::NotAccepted {
                status: filing.status.to_string(),
            }
            .into());
        }
        let full = || {
            ApiError::Evidence(EvidenceError::FilingFull {
                files: limits.max_files_per_filing,
                bytes: limits.max_bytes_per_filing,
            })
        };
        let room = limits
            .room_for_next(repo::holding(conn, &filing.id)?)
            .map_err(|_| full())?;
        if length == 0 {
            return Err(EvidenceError::Refused {
                file: upload.file_name.clone(),
                reason: Refusal::Empty,
                accepted: None,
            }
            .into());
        }
        if length > limits.max_file_bytes {
            return Err(EvidenceError::FileTooLarge {
                file: upload.file_name.clone(),
                limit: limits.max_file_bytes,
            }
            .into());
        }
        if length > room {
            return Err(full());
        }
        repo::insert_upload(conn, &upload)?;
        Ok(upload)
    })
    .await
}

/// The citizen's upload, if it exists and has not expired.
pub async fn find(
    state: &web::Data<AppState>,
    citizen: &CitizenActor,
    filing: &str,
    id: &str,
) -> Result<ResumableUpload, ApiError> {
    let (owner, filing, id) = (citizen.id.clone(), filing.to_owned(), id.to_owned());
    with_db(state, move |conn| {
        repo::find_upload(conn, &owner, &filing, &id)?
            .filter(|u| u.expires_at > super::now())
            .ok_or_else(|| EvidenceError::UploadNotFound(id.clone()).into())
    })
    .await
}

fn upload_key(state: &AppState, upload: &ResumableUpload) -> Result<[u8; 32], ApiError> {
    let key = state
        .sealing
        .open(&upload.data_key, &upload_key_context(&upload.id))
        .map_err(|e| ApiError::Internal(format!("data key of upload {}: {e}", upload.id)))?;
    <[u8; 32]>::try_from(key.as_slice())
        .map_err(|_| ApiError::Internal(format!("data key of upload {}", upload.id)))
}

/// What an append did: where the upload stands, and the file when it completed.
pub struct Appended {
    pub offset: u64,
    pub length: u64,
    pub attachment: Option<StoredAttachment>,
}

/// Appends `body` at `offset` (which must be where the upload stands). A body cut in the
/// middle keeps what arrived. The last byte completes the file.
pub async fn append<S, E>(
    state: &web::Data<AppState>,
    citizen: &CitizenActor,
    filing: &str,
    id: &str,
    offset: u64,
    mut body: S,
    request_id: Option<String>,
) -> Result<Appended, ApiError>
where
    S: futures_util::Stream<Item = Result<Bytes, E>> + Unpin,
{
    let upload = find(state, citizen, filing, id).await?;
    if offset != upload.received {
        return Err(EvidenceError::OffsetMismatch {
            offset: upload.received,
        }
        .into());
    }
    let key = upload_key(state, &upload)?;
    let path = upload_part_path(&upload.id, offset);
    let mut writer = state.evidence.writer(&path).await.map_err(store_error)?;
    let mut encryptor = cipher::Encryptor::new(&key, part_context(&upload.id, offset))
        .map_err(|e| store_error(e.into()))?;
    let room = upload.length - offset;
    let mut received: u64 = 0;
    let mut too_long = false;
    while let Some(chunk) = body.next().await {
        // A cut connection: keep what arrived.
        let Ok(chunk) = chunk else { break };
        if received + chunk.len() as u64 > room {
            too_long = true;
            break;
        }
        received += chunk.len() as u64;
        let sealed = encryptor.push(&chunk).map_err(|e| store_error(e.into()))?;
        writer.write(&sealed).await.map_err(store_error)?;
    }
    if too_long || received == 0 {
        writer.abort().await;
        if too_long {
            return Err(EvidenceError::FileTooLarge {
                file: upload.file_name.clone(),
                limit: upload.length,
            }
            .into());
        }
        return Ok(Appended {
            offset,
            length: upload.length,
            attachment: None,
        });
    }
    let last = encryptor.finish().map_err(|e| store_error(e.into()))?;
    writer.write(&last).await.map_err(store_error)?;
    writer.finish().await.map_err(store_error)?;
    let stored = upload.clone();
    let recorded = with_db(state, move |conn| {
        Ok(repo::add_part(conn, &stored, offset, received)?)
    })
    .await?;
    if !recorded {
        let _ = state.evidence.delete(&path).await;
        let now = find(state, citizen, filing, id).await?;
        return Err(EvidenceError::OffsetMismatch {
            offset: now.received,
        }
        .into());
    }
    let mut upload = upload;
    upload.parts.push((offset, received));
    upload.received = offset + received;
    if upload.received < upload.length {
        return Ok(Appended {
            offset: upload.received,
            length: upload.length,
            attachment: None,
        });
    }
    let attachment = complete(state, citizen, &upload, key, request_id).await?;
    Ok(Appended {
        offset: upload.received,
        length: upload.length,
        attachment: Some(attachment),
    })
}

/// The upload's parts read back in order, decrypted, as one stream.
fn assembled(
    state: &web::Data<AppState>,
    upload: &ResumableUpload,
    key: [u8; 32],
) -> impl futures_util::Stream<Item = Result<Bytes, StoreError>> + 'static {
    let state = state.clone();
    let id = upload.id.clone();
    futures_util::stream::iter(upload.parts.clone())
        .then(move |(start, _)| {
            let (state, id) = (state.clone(), id.clone());
            async move {
                state
                    .evidence
                    .open_object(&upload_part_path(&id, start), key, part_context(&id, start))
                    .await
            }
        })
        .try_flatten()
}

/// Removes an upload's parts and row.
pub async fn discard(state: &web::Data<AppState>, upload: &ResumableUpload) {
    for (start, _) in &upload.parts {
        let _ = state
            .evidence
            .delete(&upload_part_path(&upload.id, *start))
            .await;
    }
    let id = upload.id.clone();
    let _ = with_db(state, move |conn| Ok(repo::delete_upload(conn, &id)?)).await;
}

/// The complete upload becomes a file of the filing, through the same intake as a
/// multipart upload; the upload is then removed (also when the file is refused).
async fn complete(
    state: &web::Data<AppState>,
    citizen: &CitizenActor,
    upload: &ResumableUpload,
    key: [u8; 32],
    request_id: Option<String>,
) -> Result<StoredAttachment, ApiError> {
    let sender = Sender::Citizen(citizen.clone());
    let outcome = async {
        let mut session = begin(state, sender, &upload.filing_id, request_id).await?;
        let stream = Box::pin(assembled(state, upload, key));
        if let Err(e) = session
            .receive(
                state,
                upload.file_name.clone(),
                upload.declared_type.clone(),
                stream,
            )
            .await
        {
            session.abandon(state).await;
            return Err(e);
        }
        session.finish(state).await
    }
    .await;
    discard(state, upload).await;
    let mut stored = outcome?;
    stored
        .pop()
        .ok_or_else(|| ApiError::Internal("a completed upload made no file".into()))
}

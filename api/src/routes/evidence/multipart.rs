//! Reading a `multipart/form-data` upload part by part into an evidence session, and
//! sending a stored file back: HTTP only, the rules are the use case's.

use crate::app::evidence::{Download, Session};
use crate::error::{ApiError, FieldError};
use crate::state::AppState;
use actix_multipart::Multipart;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use persistence::evidence::StoredAttachment;

/// The media type uploads are sent as.
pub const MULTIPART: &str = "multipart/form-data";
/// Longest `text` part read, in bytes (4000 characters of up to 4 bytes).
const TEXT_BYTES_MAX: usize = 16_000;
/// Longest file name kept, in characters.
const NAME_MAX: usize = 255;

/// A file name as kept: its last path component, without control characters, at most
/// 255 characters; `file` when nothing is left.
pub fn file_name(raw: Option<&str>) -> String {
    let raw = raw.unwrap_or_default();
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = last
        .chars()
        .filter(|c| !c.is_control())
        .take(NAME_MAX)
        .collect();
    let name = name.trim().to_owned();
    if name.is_empty() || name == "." || name == ".." {
        "file".into()
    } else {
        name
    }
}

fn check_content_type(req: &HttpRequest) -> Result<(), ApiError> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case(MULTIPART))
        });
    if multipart {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType {
            expected: MULTIPART,
        })
    }
}

fn malformed() -> ApiError {
    ApiError::Status(StatusCode::BAD_REQUEST)
}

/// The parts of a multipart body, ending at the first error: `actix_multipart` panics
/// when polled again after it reported one (a body without a boundary, a broken part
/// header), so nothing here polls it after that.
struct Parts {
    inner: Multipart,
    failed: bool,
}

impl Parts {
    async fn next(&mut self) -> Option<Result<actix_multipart::Field, ApiError>> {
        if self.failed {
            return None;
        }
        match self.inner.next().await? {
            Ok(field) => Some(Ok(field)),
            Err(_) => {
                self.failed = true;
                Some(Err(malformed()))
            }
        }
    }
}

async fn read_parts(
    state: &web::Data<AppState>,
    multipart: &mut Parts,
    session: &mut Session,
) -> Result<(), ApiError> {
    while let Some(field) = multipart.next().await {
        let mut field = field?;
        let part = field.name().unwrap_or_default().to_owned();
        match part.as_str() {
            "file" => {
                let name = file_name(field.content_disposition().and_then(|d| d.get_filename()));
                let declared = field.content_type().map(|m| m.essence_str().to_owned());
                session
                    .receive(state, name, declared, Box::pin(field))
                    .await?;
            }
            "text" if session.takes_text() => {
                let mut bytes = Vec::new();
                while let Some(chunk) = field.next().await {
                    bytes.extend_from_slice(&chunk.map_err(|_| malformed())?);
                    if bytes.len() > TEXT_BYTES_MAX {
                        return Err(text_too_long());
                    }
                }
                let text = String::from_utf8(bytes).map_err(|_| {
                    ApiError::Validation(vec![FieldError::new("/text", "invalid_utf8")])
                })?;
                // The intake rule for text, as for a JSON body's strings.
                let text = crate::intake::normalise_text(&text)
                    .ok_or_else(|| {
                        ApiError::Validation(vec![FieldError::new("/text", "invalid_character")])
                    })?
                    .into_owned();
                session.set_text(text)?;
            }
            other => {
                let pointer = format!(
                    "/{}",
                    other
                        .chars()
                        .filter(|c| !c.is_control())
                        .collect::<String>()
                );
                return Err(ApiError::Validation(vec![FieldError::new(
                    pointer,
                    if other == "text" {
                        "not_allowed"
                    } else {
                        "unknown_field"
                    },
                )]));
            }
        }
    }
    if session.is_empty() {
        return Err(ApiError::Validation(vec![FieldError::new(
            "/file", "required",
        )]));
    }
    Ok(())
}

fn text_too_long() -> ApiError {
    ApiError::Validation(vec![FieldError::new("/text", "too_long").with(
        crate::error::Accepted {
            max_length: Some(domain::evidence::SUPPLEMENT_TEXT_MAX_CHARS as u64),
            ..Default::default()
        },
    )])
}

/// Reads every part of the body into `session`, then completes it; on any failure what
/// was stored is removed. A body that stalls for `server.body_timeout_secs` is 408
/// `request_timeout` ([`crate::extract::IdleBody`]).
pub async fn receive_all(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    payload: web::Payload,
    mut session: Session,
) -> Result<Vec<StoredAttachment>, ApiError> {
    check_content_type(req)?;
    let (body, timed_out) = crate::extract::IdleBody::new(payload, state.body_timeout);
    let mut multipart = Parts {
        inner: Multipart::new(req.headers(), body),
        failed: false,
    };
    match read_parts(state, &mut multipart, &mut session).await {
        Ok(()) => session.finish(state).await,
        Err(_) if timed_out.get() => {
            session.abandon(state).await;
            Err(ApiError::Status(StatusCode::REQUEST_TIMEOUT))
        }
        Err(e) => {
            session.abandon(state).await;
            // Read what is left of the body, so that the client receives the problem
            // instead of a reset connection (bounded by the per-file limit per part).
            drain(&mut multipart, state.evidence.limits.max_bytes_per_filing).await;
            Err(e)
        }
    }
}

async fn drain(multipart: &mut Parts, mut budget: u64) {
    while let Some(Ok(mut field)) = multipart.next().await {
        while let Some(Ok(chunk)) = field.next().await {
            budget = budget.saturating_sub(chunk.len() as u64);
            if budget == 0 {
                return;
            }
        }
    }
}

/// Sends a stored file: its decrypted bytes, streamed, as an attachment named after its
/// id (the name it was sent with is in the listing, never in a header).
pub async fn send(
    state: &web::Data<AppState>,
    download: Download,
) -> Result<HttpResponse, ApiError> {
    let Download {
        attachment,
        copy,
        key,
    } = download;
    let length = match copy {
        crate::evidence::FileCopy::Viewing => attachment.viewing_size.unwrap_or(attachment.size),
        crate::evidence::FileCopy::Original => attachment.size,
    };
    let stream = state
        .evidence
        .open_stream(&attachment.id, copy, key)
        .await
        .map_err(|e| ApiError::Internal(format!("evidence store: {e}")))?;
    let extension = attachment
        .kind
        .extensions()
        .first()
        .copied()
        .unwrap_or("bin");
    Ok(HttpResponse::Ok()
        .content_type(attachment.kind.media_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{}-{}.{extension}\"",
                attachment.id,
                copy.as_str()
            ),
        ))
        .body(actix_web::body::SizedStream::new(length, Box::pin(stream))))
}

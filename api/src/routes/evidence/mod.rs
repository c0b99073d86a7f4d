//! Evidence (docs/EVIDENCE.md): a citizen attaches files to a draft and adds supplements
//! (words and files) to a submitted filing until it is closed, lists and downloads their
//! own files (the viewing copies); officers of the competent unit list a filing's files
//! and supplements, download the viewing copy and the original, and create upload links
//! (`unit`); whoever holds a link sends files with it (`links`). Handlers are HTTP only;
//! the use cases are `crate::app::evidence`.

pub mod links;
pub mod multipart;
pub mod types;
pub mod unit;
pub mod uploads;

pub use types::*;

use crate::actors::Citizen;
use crate::app::evidence::{self as usecase, Sender};
use crate::error::{ApiError, Problem};
use crate::middleware::RequestId;
use crate::state::AppState;
use actix_web::{get, post, web, HttpRequest, HttpResponse};

/// Attach files to a filing
///
/// Sends files as `multipart/form-data`, one `file` part per file (with its file name and
/// Content-Type). On a draft they are attachments; on a submitted filing (until it is
/// closed) they are a supplement, which may carry a `text` part too, and the unit sees a
/// "new information" marker. Each file's type is decided from its content (JPEG, PNG,
/// HEIC/HEIF, WebP, PDF, plain UTF-8 text) and must agree with its declared type and
/// extension; a picture declaring more pixels than the limit is refused without being
/// decoded. Pictures get a viewing copy without EXIF, XMP or GPS; the original is kept as
/// received, encrypted. All files of a request are taken, or none.
#[utoipa::path(
    tag = "evidence",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Id of the filing")),
    request_body(content = FileUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The files received", body = AttachmentList),
        (status = 400, description = "A malformed multipart body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing among yours", body = Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body stalled: no byte for server.body_timeout_secs (10 s)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The filing takes no files in its status (withdrawn, closed)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "A file over the per-file limit, or the filing full (files or bytes)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not multipart/form-data", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A file refused (named, with the reason), an unknown part, or nothing sent", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/filings/{id}/attachments")]
pub async fn attach_files(
    req: HttpRequest,
    state: web::Data<AppState>,
    citizen: Citizen,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let sender = Sender::Citizen(citizen.actor());
    let session = usecase::begin(&state, sender, &id, RequestId::of(&req)).await?;
    let stored = multipart::receive_all(&req, &state, payload, session).await?;
    Ok(HttpResponse::Created().json(AttachmentList {
        items: stored.iter().map(AttachmentView::from).collect(),
    }))
}

/// List my files on a filing
///
/// The files the caller sent to their filing (attachments and supplements), with the
/// SHA-256 of each as received.
#[utoipa::path(
    tag = "evidence",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Id of the filing")),
    responses(
        (status = 200, description = "The files", body = AttachmentList),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing among yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/filings/{id}/attachments")]
pub async fn list_attachments(
    state: web::Data<AppState>,
    citizen: Citizen,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let stored = usecase::citizen_list(&state, &citizen.actor(), &id).await?;
    Ok(HttpResponse::Ok().json(AttachmentList {
        items: stored.iter().map(AttachmentView::from).collect(),
    }))
}

/// Download one of my files
///
/// The file's viewing copy: a picture without its metadata (EXIF, XMP, GPS); a PDF, a
/// text or a HEIF picture as sent (`metadata_removed` in the listing says which).
#[utoipa::path(
    tag = "evidence",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Id of the filing"), ("attachment_id" = String, Path, description = "Id of the file")),
    responses(
        (status = 200, description = "The file's bytes, in its type", content(
                (String = "image/jpeg", example = json!("(binary)")), (String = "image/png", example = json!("(binary)")),
                (String = "image/webp", example = json!("(binary)")), (String = "image/heif", example = json!("(binary)")),
                (String = "application/pdf", example = json!("%PDF-1.7 ... (binary)")), (String = "text/plain", example = json!("Invoice 2026-118: bicycle, 450 EUR"))
            ),
            headers(("Content-Disposition" = String, description = "attachment; filename=\"<id>-<copy>.<ext>\""))),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing among yours, or no such file of yours on it", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/filings/{id}/attachments/{attachment_id}/content")]
pub async fn download_attachment(
    state: web::Data<AppState>,
    citizen: Citizen,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, file) = path.into_inner();
    let download = usecase::citizen_download(&state, &citizen.actor(), &id, &file).await?;
    multipart::send(&state, download).await
}

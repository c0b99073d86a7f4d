//! A sole holder's supporting documents (issue 19; docs/DOCUMENTS.md): the requester who
//! declares they hold parental authority alone sends the court decision or the death
//! certificate; officers of the competent unit list and download them (each access
//! audited). The files go through the evidence store and its rules
//! (`crate::app::evidence`): type decided from the content, limits, encryption, metadata
//! removal. HTTP only; the rules are `crate::app::travel`'s and `domain::travel`'s.

use crate::actors::Citizen;
use crate::app::travel as usecase;
use crate::error::{ApiError, Problem};
use crate::middleware::RequestId;
use crate::routes::backoffice::access::{TravelRead, UnitAccess};
use crate::routes::evidence::multipart;
use crate::routes::evidence::{AttachmentList, AttachmentView};
use crate::state::AppState;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use utoipa::ToSchema;

/// A multipart upload of supporting documents: one or more `file` parts (each with a
/// file name and, preferably, its Content-Type). Other parts are refused (422).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct SupportingDocumentUpload {
    /// A document (repeat the part for several): PDF, JPEG or PNG, at most 10 MiB each by
    /// default, at most 5 per request.
    #[schema(value_type = Vec<String>, format = Binary)]
    pub file: Vec<Vec<u8>>,
}

fn list(files: &[persistence::evidence::StoredAttachment]) -> AttachmentList {
    AttachmentList {
        items: files.iter().map(AttachmentView::from).collect(),
    }
}

/// Attach supporting documents
///
/// The requester of a sole holder's declaration sends the document it stands on (the
/// court decision, the death certificate) as `multipart/form-data`, one `file` part per
/// file, until the unit decides: PDF, JPEG or PNG, the type decided from the content and
/// agreeing with the declared type and extension. Pictures get a viewing copy without
/// EXIF, XMP or GPS; the original is kept as received, encrypted. All files of a request
/// are taken, or none. The unit cannot approve the request without one.
#[utoipa::path(
    tag = "documents",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The request")),
    request_body(content = SupportingDocumentUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The documents received", body = AttachmentList),
        (status = 400, description = "A malformed multipart body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not identified at level high (`insufficient_assurance`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request of yours", body = Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body stalled: no byte for server.body_timeout_secs (10 s)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a sole holder's declaration waiting for review (`supporting_documents_not_accepted`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "A file over the per-file limit, or the request full (5 files, or the byte limit)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not multipart/form-data", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A file refused (named, with the reason: a type other than PDF, JPEG or PNG is `unsupported_type`), an unknown part, or nothing sent", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/travel-authorisations/{id}/supporting-documents")]
pub async fn attach_supporting_documents(
    req: HttpRequest,
    state: web::Data<AppState>,
    citizen: Citizen,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let request_id = RequestId::of(&req);
    let session =
        usecase::supporting_session(&state, citizen.actor(), id.into_inner(), request_id).await?;
    let stored = multipart::receive_all(&req, &state, payload, session).await?;
    Ok(HttpResponse::Created().json(list(&stored)))
}

/// My supporting documents
///
/// The supporting documents the requester sent, with the SHA-256 of each as received.
#[utoipa::path(
    tag = "documents",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The request")),
    responses(
        (status = 200, description = "The documents", body = AttachmentList),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not identified at level high (`insufficient_assurance`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request of yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/travel-authorisations/{id}/supporting-documents")]
pub async fn own_supporting_documents(
    state: web::Data<AppState>,
    citizen: Citizen,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let files = usecase::own_supporting_documents(&state, citizen.actor(), id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(list(&files)))
}

/// A request's supporting documents
///
/// The documents a sole holder sent with their declaration (name, type, size, SHA-256 as
/// received). Members of the unit; audited (`list_supporting_documents`).
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The request")),
    responses(
        (status = 200, description = "The documents", body = AttachmentList),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request in this unit", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/travel-authorisations/{id}/supporting-documents")]
pub async fn unit_supporting_documents(
    state: web::Data<AppState>,
    access: UnitAccess<TravelRead>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let UnitAccess {
        officer,
        unit,
        request_id,
        ..
    } = access;
    let files = usecase::supporting_documents(&state, officer, (unit, id), request_id).await?;
    Ok(HttpResponse::Ok().json(list(&files)))
}

async fn unit_file(
    state: web::Data<AppState>,
    access: UnitAccess<TravelRead>,
    path: web::Path<(String, String, String)>,
    original: bool,
) -> Result<HttpResponse, ApiError> {
    let (_, id, file) = path.into_inner();
    let UnitAccess {
        officer,
        unit,
        request_id,
        ..
    } = access;
    let download =
        usecase::supporting_download(&state, officer, (unit, id, file), original, request_id)
            .await?;
    multipart::send(&state, download).await
}

/// Download a supporting document's viewing copy
///
/// A picture without its metadata (EXIF, XMP, GPS); a PDF as received. Members of the
/// unit; audited (`download_viewing_copy`).
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The request"), ("document_id" = String, Path, description = "The document")),
    responses(
        (status = 200, description = "The document's bytes, in its type", content(
                (String = "application/pdf", example = json!("%PDF-1.7 ... (binary)")),
                (String = "image/jpeg", example = json!("(binary)")), (String = "image/png", example = json!("(binary)"))
            ),
            headers(("Content-Disposition" = String, description = "attachment; filename=\"<id>-<copy>.<ext>\""))),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request in this unit, or no such document", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/travel-authorisations/{id}/supporting-documents/{document_id}/content")]
pub async fn unit_supporting_document(
    state: web::Data<AppState>,
    access: UnitAccess<TravelRead>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    unit_file(state, access, path, false).await
}

/// Download a supporting document's original
///
/// The document exactly as received (its SHA-256 is the one recorded when it was
/// collected). Members of the unit; audited (`download_original`).
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The request"), ("document_id" = String, Path, description = "The document")),
    responses(
        (status = 200, description = "The document's bytes, in its type", content(
                (String = "application/pdf", example = json!("%PDF-1.7 ... (binary)")),
                (String = "image/jpeg", example = json!("(binary)")), (String = "image/png", example = json!("(binary)"))
            ),
            headers(("Content-Disposition" = String, description = "attachment; filename=\"<id>-original.<ext>\""))),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request in this unit, or no such document", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/travel-authorisations/{id}/supporting-documents/{document_id}/original")]
pub async fn unit_supporting_original(
    state: web::Data<AppState>,
    access: UnitAccess<TravelRead>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    unit_file(state, access, path, true).await
}

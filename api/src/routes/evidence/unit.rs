//! The unit's side of evidence: a filing's files and supplements, downloads of the viewing
//! copy and of the original (each a consultation in the audit trail), and upload links.

use super::multipart;
use super::types::*;
use crate::app::evidence as usecase;
use crate::error::{ApiError, FieldError, Problem};
use crate::routes::backoffice::access::{FilingChange, FilingRead, UnitAccess, UnitAction};
use crate::state::AppState;
use actix_web::{delete, get, post, web, HttpResponse};

/// A filing's evidence
///
/// Every file of the filing (with its SHA-256, origin and sender's role) and every
/// supplement (words, time, when first seen). Recorded as a consultation.
#[utoipa::path(
    tag = "evidence",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing")),
    responses(
        (status = 200, description = "The filing's files and supplements", body = UnitEvidenceView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/filings/{id}/attachments")]
pub async fn unit_list(
    state: web::Data<AppState>,
    access: UnitAccess<FilingRead>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let evidence = usecase::unit_list(
        &state,
        &access.officer,
        &access.unit,
        &id,
        access.request_id.clone(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(UnitEvidenceView {
        attachments: evidence
            .attachments
            .iter()
            .map(|a| UnitAttachmentView {
                file: a.into(),
                viewing_size: a.viewing_size,
                supplement_id: a.supplement_id.clone(),
                sent_by_role: a.uploaded_by_role.clone(),
            })
            .collect(),
        supplements: evidence.supplements.iter().map(Into::into).collect(),
    }))
}

async fn unit_file(
    state: web::Data<AppState>,
    access: UnitAccess<FilingRead>,
    path: web::Path<(String, String, String)>,
    original: bool,
) -> Result<HttpResponse, ApiError> {
    let (_, id, file) = path.into_inner();
    let download = usecase::unit_download(
        &state,
        &access.officer,
        &access.unit,
        &id,
        &file,
        original,
        access.request_id.clone(),
    )
    .await?;
    multipart::send(&state, download).await
}

/// Download a file's viewing copy
///
/// A picture without its metadata; a PDF, text or HEIF picture as received. Recorded as
/// a consultation (`download_viewing_copy`).
#[utoipa::path(
    tag = "evidence",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing"), ("attachment_id" = String, Path, description = "The file")),
    responses(
        (status = 200, description = "The file's bytes, in its type", content(
                (String = "image/jpeg", example = json!("(binary)")), (String = "image/png", example = json!("(binary)")),
                (String = "image/webp", example = json!("(binary)")), (String = "image/heif", example = json!("(binary)")),
                (String = "application/pdf", example = json!("%PDF-1.7 ... (binary)")), (String = "text/plain", example = json!("Invoice 2026-118: bicycle, 450 EUR"))
            )),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit, or no such file", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/filings/{id}/attachments/{attachment_id}/content")]
pub async fn unit_download(
    state: web::Data<AppState>,
    access: UnitAccess<FilingRead>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    unit_file(state, access, path, false).await
}

/// Download a file's original
///
/// The file exactly as received (evidence: its SHA-256 is the one recorded when it was
/// collected). Recorded as a consultation (`download_original`).
#[utoipa::path(
    tag = "evidence",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing"), ("attachment_id" = String, Path, description = "The file")),
    responses(
        (status = 200, description = "The file's bytes as received", content(
                (String = "image/jpeg", example = json!("(binary)")), (String = "image/png", example = json!("(binary)")),
                (String = "image/webp", example = json!("(binary)")), (String = "image/heif", example = json!("(binary)")),
                (String = "application/pdf", example = json!("%PDF-1.7 ... (binary)")), (String = "text/plain", example = json!("Invoice 2026-118: bicycle, 450 EUR"))
            )),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit, or no such file", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/filings/{id}/attachments/{attachment_id}/original")]
pub async fn unit_download_original(
    state: web::Data<AppState>,
    access: UnitAccess<FilingRead>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    unit_file(state, access, path, true).await
}

/// Create an upload link
///
/// A link for a submitted filing of the unit, to send to the victim or a witness:
/// whoever holds its token can send files to this filing (`POST
/// /v1/upload-links/{token}/files`) and read nothing. It expires (default 72 hours) and
/// takes a number of uploads (default 1); it can be revoked. The token is in this answer
/// only. Audited (`create_upload_link`).
#[utoipa::path(
    tag = "evidence",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing")),
    request_body = NewUploadLink,
    responses(
        (status = 201, description = "The link, with its token", body = UploadLinkView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The filing takes no files in its status (a draft, withdrawn, closed)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Expiry or uses out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{unit_id}/filings/{id}/upload-links")]
pub async fn create_link(
    state: web::Data<AppState>,
    request: UnitAction<FilingChange, NewUploadLink>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let UnitAction { access, body } = request;
    let (_, id) = path.into_inner();
    let now = crate::app::now();
    let terms = domain::evidence::links::terms(body.expires_in_hours, body.max_uses, now).map_err(
        |(pointer, min, max)| {
            ApiError::Validation(vec![FieldError::new(pointer, "out_of_range").with(
                crate::error::Accepted {
                    minimum: Some(min.into()),
                    maximum: Some(max.into()),
                    ..Default::default()
                },
            )])
        },
    )?;
    let request_id = access.request_id.clone();
    let new = usecase::create_link(
        &state,
        &access.officer,
        &access.unit,
        &id,
        terms,
        request_id,
    )
    .await?;
    let mut view = UploadLinkView::of(&new.link, now);
    view.upload_path = Some(format!("/v1/upload-links/{}/files", new.token));
    view.token = Some(new.token);
    Ok(HttpResponse::Created().json(view))
}

/// A filing's upload links
///
/// Every link made for the filing, with its state and uses (never its token).
#[utoipa::path(
    tag = "evidence",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing")),
    responses(
        (status = 200, description = "The links, newest first", body = UploadLinkList),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/filings/{id}/upload-links")]
pub async fn list_links(
    state: web::Data<AppState>,
    access: UnitAccess<FilingRead>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let request_id = access.request_id.clone();
    let links = usecase::list_links(&state, &access.officer, &access.unit, &id, request_id).await?;
    let now = crate::app::now();
    Ok(HttpResponse::Ok().json(UploadLinkList {
        items: links.iter().map(|l| UploadLinkView::of(l, now)).collect(),
    }))
}

/// Revoke an upload link
///
/// The link takes no more files. Audited (`revoke_upload_link`).
#[utoipa::path(
    tag = "evidence",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing"), ("link_id" = String, Path, description = "The link")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit, or no such link", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/units/{unit_id}/filings/{id}/upload-links/{link_id}")]
pub async fn revoke_link(
    state: web::Data<AppState>,
    access: UnitAccess<FilingChange>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id, link) = path.into_inner();
    let request_id = access.request_id.clone();
    usecase::revoke_link(
        &state,
        &access.officer,
        &access.unit,
        &id,
        &link,
        request_id,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

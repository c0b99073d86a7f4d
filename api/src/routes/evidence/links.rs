//! Sending files with an officer's upload link: no account, the token in the path is the
//! only credential, and the answer tells only what was sent.

use super::multipart;
use super::types::*;
use crate::app::evidence as usecase;
use crate::error::{ApiError, Problem};
use crate::middleware::RequestId;
use crate::state::AppState;
use actix_web::{post, web, HttpRequest, HttpResponse};

/// Send files with an upload link
///
/// Whoever holds an upload link's token sends files to the filing it was made for, as
/// `multipart/form-data` with `file` parts (same rules as a citizen's attachments). Each
/// request is one use of the link. The answer lists what was received, with each file's
/// SHA-256 as a receipt; nothing of the filing is ever shown. An unknown, expired, used
/// up or revoked link is 404.
#[utoipa::path(
    tag = "evidence",
    security(()),
    params(("token" = String, Path, description = "The link's token")),
    request_body(content = LinkUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The files received", body = ReceivedFiles),
        (status = 400, description = "A malformed multipart body", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such link, or expired, used up or revoked", body = Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body stalled: no byte for server.body_timeout_secs (10 s)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "A file over the per-file limit, or the filing full", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not multipart/form-data", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A file refused (named, with the reason), an unknown part, or nothing sent", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/upload-links/{token}/files")]
pub async fn upload_with_link(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let session = usecase::begin_with_link(&state, &token, RequestId::of(&req)).await?;
    let stored = multipart::receive_all(&req, &state, payload, session).await?;
    Ok(HttpResponse::Created().json(ReceivedFiles {
        items: stored
            .iter()
            .map(|a| ReceivedFile {
                file_name: a.file_name.clone(),
                media_type: a.kind.media_type().to_owned(),
                size: a.size,
                sha256: a.sha256.clone(),
            })
            .collect(),
    }))
}

//! Resumable uploads, tus 1.0 (core protocol and the creation extension): `POST` creates an
//! upload of `Upload-Length` bytes (`Location` names it), `HEAD` (or `GET`) tells its
//! `Upload-Offset`, `PATCH` with `Upload-Offset` and `application/offset+octet-stream`
//! appends. The use cases are `crate::app::evidence_uploads`.

use super::types::{AttachmentView, UploadView};
use crate::actors::Citizen;
use crate::app::evidence_uploads as usecase;
use crate::error::{ApiError, Problem};
use crate::middleware::RequestId;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use base64::Engine;

/// The protocol version spoken.
pub const TUS_VERSION: &str = "1.0.0";

/// The grammar of `Upload-Metadata` the service reads ([`metadata`]), as the contract
/// publishes it: blanks, or comma-separated pairs of a key (visible ASCII but the comma)
/// and, after one space, its value in padded base64 (RFC 4648, section 4). Two rules a
/// pattern cannot state are in the parameter's description: the keys are unique, and
/// `filename` and `filetype` are base64 of UTF-8 text.
pub const UPLOAD_METADATA_PATTERN: &str = concat!(
    r"^[ \t]*(?:[!-+\--~]+(?: (?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)?",
    r"(?:[ \t]*,[ \t]*[!-+\--~]+(?: (?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)?)*)?[ \t]*$"
);

/// Padded standard base64 that ignores the unused bits of the last symbol (RFC 4648,
/// section 3.5 lets a decoder accept them; the contract's pattern cannot refuse them).
const METADATA_BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);
/// The media type of a `PATCH` body.
pub const OFFSET_STREAM: &str = "application/offset+octet-stream";

fn header_value<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// A non-negative integer header (tus: at most 2^63 - 1, the contract's `int64`).
fn number(req: &HttpRequest, name: &'static str) -> Result<u64, ApiError> {
    header_value(req, name)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|n| i64::try_from(*n).is_ok())
        .ok_or_else(|| ApiError::InvalidHeader(name.into()))
}

/// `Tus-Resumable` must name the version spoken: tus 1.0.0 core protocol, on every
/// request but `OPTIONS`; without it, or with another version, 412 with `Tus-Version`.
fn check_version(req: &HttpRequest) -> Result<(), ApiError> {
    match header_value(req, "Tus-Resumable") {
        Some(v) if v.trim() == TUS_VERSION => Ok(()),
        _ => Err(ApiError::TusVersionUnsupported {
            supported: TUS_VERSION,
        }),
    }
}

/// `Upload-Metadata` (tus 1.0.0 creation extension): comma-separated pairs of a key
/// (not empty, visible ASCII but the comma, unique) and its value in base64, separated by one
/// space; a value may be left out. `filename` (or `name`) and `filetype` (or `type`) are
/// read, and must be UTF-8 text. A pair that breaks the rule is 400
/// `invalid_upload_metadata` naming its key, never silently dropped. An empty header
/// (or blanks only) is no metadata, as its absence: the header's grammar has no empty
/// list, but clients send one when they have nothing to say, and nothing is lost.
fn metadata(req: &HttpRequest) -> Result<(String, Option<String>), ApiError> {
    let invalid = |key: &str| ApiError::InvalidUploadMetadata(key.chars().take(64).collect());
    let header = match req.headers().get("Upload-Metadata") {
        None => None,
        Some(value) => Some(value.to_str().map_err(|_| invalid(""))?),
    };
    let Some(header) = header.filter(|h| !h.trim_matches([' ', '\t']).is_empty()) else {
        return Ok((super::multipart::file_name(None), None));
    };
    let mut seen = std::collections::BTreeSet::new();
    let mut name = None;
    let mut kind = None;
    for pair in header.split(',') {
        let pair = pair.trim_matches([' ', '\t']);
        let (key, value) = pair.split_once(' ').unwrap_or((pair, ""));
        let key_chars = key.bytes().all(|b| b.is_ascii_graphic() && b != b',');
        if key.is_empty() || !key_chars || value.contains(' ') || !seen.insert(key) {
            return Err(invalid(key));
        }
        let value = METADATA_BASE64.decode(value).map_err(|_| invalid(key))?;
        let text = || String::from_utf8(value.clone()).map_err(|_| invalid(key));
        match key {
            "filename" | "name" => name = Some(text()?),
            "filetype" | "type" => kind = Some(text()?),
            _ => {}
        }
    }
    Ok((super::multipart::file_name(name.as_deref()), kind))
}

/// Start a resumable upload (tus)
///
/// Creates an upload of `Upload-Length` bytes for one file (tus 1.0 creation extension;
/// `Upload-Metadata` may give `filename` and `filetype`, base64). Send the bytes with
/// `PATCH` to the `Location`; after a cut, `HEAD` tells where to resume. The complete file
/// goes through the same checks as a multipart upload. An upload not finished in 24 hours
/// is removed.
#[utoipa::path(
    tag = "evidence",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Id of the filing"),
        ("Upload-Length" = u64, Header, minimum = 1, description = "The file's size in bytes (at least 1; at most the per-file limit, else 413)"),
        ("Upload-Metadata" = Option<String>, Header, description = "`filename <base64>,filetype <base64>`: comma-separated pairs of a unique key (visible ASCII but the comma) and, after one space, its value in padded base64 (tus; `filename` and `filetype` of UTF-8 text); blank is no metadata; 400 `invalid_upload_metadata` naming the key of a pair that is not"),
        ("Tus-Resumable" = String, Header, description = "The tus version spoken: 1.0.0 (412 `tus_version_unsupported`, with `Tus-Version`, when missing or another)"),
    ),
    responses(
        (status = 201, description = "The upload", body = UploadView,
            headers(("Location" = String, description = "The upload's URL"), ("Tus-Resumable" = String, description = "1.0.0"))),
        (status = 400, description = "Upload-Length missing or not a number (`invalid_header`), or Upload-Metadata malformed (`invalid_upload_metadata`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing among yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The filing takes no files in its status", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Tus-Resumable missing or another version", body = Problem, content_type = "application/problem+json",
            headers(("Tus-Version" = String, description = "1.0.0"))),
        (status = 413, description = "Over the per-file limit, or the filing full", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An empty file", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/filings/{id}/uploads")]
pub async fn create_upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    citizen: Citizen,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    check_version(&req)?;
    let length = number(&req, "Upload-Length")?;
    let (name, kind) = metadata(&req)?;
    let upload = usecase::create(&state, &citizen.actor(), &id, length, name, kind).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/v1/filings/{}/uploads/{}", upload.filing_id, upload.id),
        ))
        .insert_header(("Tus-Resumable", TUS_VERSION))
        .insert_header(("Upload-Offset", "0"))
        .json(UploadView::from(&upload)))
}

/// Where a resumable upload stands
///
/// `Upload-Offset` (the bytes received) and `Upload-Length`; `HEAD` gives the headers only,
/// as tus clients ask it.
#[utoipa::path(
    tag = "evidence",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Id of the filing"), ("upload_id" = String, Path, description = "Id of the upload"),
        ("Tus-Resumable" = String, Header, description = "The tus version spoken: 1.0.0 (412 `tus_version_unsupported`, with `Tus-Version`, when missing or another)")),
    responses(
        (status = 200, description = "The upload", body = UploadView,
            headers(("Upload-Offset" = u64, description = "Bytes received"), ("Upload-Length" = u64, description = "The file's size"),
                ("Tus-Resumable" = String, description = "1.0.0"))),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such upload (finished, expired, or never made)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Tus-Resumable missing or another version", body = Problem, content_type = "application/problem+json",
            headers(("Tus-Version" = String, description = "1.0.0"))),
    )
)]
#[get("/filings/{id}/uploads/{upload_id}")]
pub async fn upload_status(
    req: HttpRequest,
    state: web::Data<AppState>,
    citizen: Citizen,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    check_version(&req)?;
    let (id, upload_id) = path.into_inner();
    let upload = usecase::find(&state, &citizen.actor(), &id, &upload_id).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Upload-Offset", upload.received.to_string()))
        .insert_header(("Upload-Length", upload.length.to_string()))
        .insert_header(("Tus-Resumable", TUS_VERSION))
        .json(UploadView::from(&upload)))
}

/// Send bytes of a resumable upload
///
/// Appends the body at `Upload-Offset`, which must be where the upload stands (409
/// otherwise, with the offset to resume from). A request cut in the middle keeps what
/// arrived. With the last byte the file is checked and stored like a multipart upload:
/// `Attachment-Location` then names it; a refused file ends the upload.
#[utoipa::path(
    tag = "evidence",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Id of the filing"),
        ("upload_id" = String, Path, description = "Id of the upload"),
        ("Upload-Offset" = u64, Header, description = "Where these bytes start"),
        ("Tus-Resumable" = String, Header, description = "The tus version spoken: 1.0.0 (412 `tus_version_unsupported`, with `Tus-Version`, when missing or another)"),
    ),
    request_body(content = Vec<u8>, content_type = "application/offset+octet-stream"),
    responses(
        (status = 204, description = "Appended",
            headers(("Upload-Offset" = u64, description = "Bytes received now"), ("Tus-Resumable" = String, description = "1.0.0"),
                ("Attachment-Location" = String, description = "The file, once the upload is complete"))),
        (status = 400, description = "Upload-Offset missing or not a number", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such upload", body = Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body stalled: no byte for server.body_timeout_secs (10 s)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Upload-Offset is not where the upload stands, or the filing takes no more files", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Tus-Resumable missing or another version", body = Problem, content_type = "application/problem+json",
            headers(("Tus-Version" = String, description = "1.0.0"))),
        (status = 413, description = "More bytes than Upload-Length, or the filing full", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not application/offset+octet-stream", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The complete file refused (named, with the reason)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/filings/{id}/uploads/{upload_id}")]
pub async fn append_upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    citizen: Citizen,
    path: web::Path<(String, String)>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let offset = patch_offset(&req)?;
    let (id, upload_id) = path.into_inner();
    let request_id = RequestId::of(&req);
    // A stalled body: what arrived is kept (HEAD tells the offset), the answer is 408.
    let (body, timed_out) = crate::extract::IdleBody::new(body, state.body_timeout);
    let actor = citizen.actor();
    let done = usecase::append(&state, &actor, &id, &upload_id, offset, body, request_id).await?;
    if timed_out.get() {
        return Err(ApiError::Status(
            actix_web::http::StatusCode::REQUEST_TIMEOUT,
        ));
    }
    let mut response = HttpResponse::NoContent();
    response
        .insert_header(("Upload-Offset", done.offset.to_string()))
        .insert_header(("Tus-Resumable", TUS_VERSION));
    if let Some(file) = &done.attachment {
        let view = AttachmentView::from(file);
        response.insert_header((
            "Attachment-Location",
            format!("/v1/filings/{id}/attachments/{}/content", view.id),
        ));
    }
    Ok(response.finish())
}

/// A `PATCH`'s headers checked: the tus version, the media type, and its `Upload-Offset`.
fn patch_offset(req: &HttpRequest) -> Result<u64, ApiError> {
    check_version(req)?;
    if header_value(req, "Content-Type").is_none_or(|t| t.trim() != OFFSET_STREAM) {
        return Err(ApiError::UnsupportedMediaType {
            expected: OFFSET_STREAM,
        });
    }
    number(req, "Upload-Offset")
}

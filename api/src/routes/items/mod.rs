//! Items (issue 20, docs/ITEMS.md): the public stolen-item check, for a second-hand
//! buyer, a bicycle shop or a pawnbroker. Anonymous; it answers whether the identifier
//! is reported stolen, since which month, the kind of object and what to do, and
//! nothing else: no owner, no unit, no reference. The shape of the answer is the same
//! whoever reported the object.

pub mod office;
pub mod types;
pub mod unit;

pub use types::*;

use crate::error::{ApiError, Problem};
use crate::language::Language;
use crate::state::AppState;
use actix_web::{post, web, HttpRequest, HttpResponse};

/// Is this object reported stolen?
///
/// Checks an object's identifier (an IMEI, a bicycle's frame number, a serial number,
/// an engraving code; an object's identifiers are compared whatever kind the owner
/// typed them as) against the theft complaints filed online. The answer is the same
/// shape whoever the owner: `reported`, the month of the first report (`since`), the
/// kind of object (`category`) and what to do (`advice`, in the request's language);
/// nothing else. A withdrawn complaint, or an object handed back, is no longer reported.
/// Anonymous callers: `items.check_per_minute_per_ip` (30) checks a minute per address;
/// a registered client (a partner's client-credentials token) has its own quota. Each
/// check is counted for statistics, without the address or the identifier.
#[utoipa::path(
    tag = "items",
    security((), ("bearer" = [])),
    request_body = ItemCheckRequest,
    responses(
        (status = 200, description = "The answer (the same shape whether reported or not)", body = ItemCheck,
            headers(("Content-Language" = String, description = "Language of `advice`"))),
        (status = 401, description = "A token was given and does not verify", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The identifier does not validate as this kind (`invalid_identifier`, `empty`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many checks (`Retry-After`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/stolen-item-checks")]
pub async fn check(
    req: HttpRequest,
    state: web::Data<AppState>,
    Language(lang): Language,
    crate::extract::JsonBody(body): crate::extract::JsonBody<ItemCheckRequest>,
) -> Result<HttpResponse, ApiError> {
    let verdict = crate::app::items::check(&state, &req, body.kind.into(), body.identifier).await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CONTENT_LANGUAGE, lang.as_str()))
        .json(ItemCheck::of(verdict, lang)))
}

/// The id or reference that a hand-back names (`pointer`), within the body schema's
/// length limits (1 to 64 characters, like the ids and references it may match):
/// otherwise 422 `empty` or `too_long`, before anything is read.
///
/// # Errors
/// `validation_failed` with one field error at `pointer`.
pub(crate) fn handed_back_to(pointer: &str, named: &str) -> Result<(), ApiError> {
    match crate::error::FieldError::text_length(pointer, named, 64) {
        Some(error) => Err(ApiError::Validation(vec![error])),
        None => Ok(()),
    }
}

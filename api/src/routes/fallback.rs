//! What answers when no route matched: 405 with `Allow` when the path exists with other
//! methods (read from the OpenAPI document, so it is always in step with the routes),
//! 404 otherwise.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};

pub async fn fallback(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let allow = state.contract.allowed_methods(req.path());
    if allow.is_empty() || allow.contains(req.method()) {
        Err(ApiError::NotFound)
    } else {
        Err(ApiError::MethodNotAllowed { allow })
    }
}

//! Every error the API returns, mapped exhaustively to RFC 9457 problem+json with a
//! stable machine `code`. Internal causes are logged, never sent.
//!
//! Handlers return `ApiError`; responses built by actix itself (unknown route, wrong
//! method) are turned into problems by `middleware::request_context`, which also adds
//! the `request_id` and `instance` members to every problem body.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use persistence::PersistenceError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:e-commissariat:problem:validation_failed",
    "title": "The request is not valid",
    "status": 422,
    "detail": "1 field is invalid.",
    "instance": "/v1/eligibility-checks",
    "code": "validation_failed",
    "request_id": "0192f3c4-5b6a-7c8d-9e0f-112233445566",
    "errors": [{"pointer": "/answers/known_author", "code": "required", "message": "This answer is required."}]
}))]
pub struct Problem {
    /// A URI naming the problem type; `urn:e-commissariat:problem:{code}`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short, human-readable summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request, for a human.
    pub detail: String,
    /// The path of the request that failed.
    #[serde(default)]
    pub instance: String,
    /// Stable machine-readable code; clients branch on it.
    pub code: String,
    /// The request id, also in the `X-Request-Id` response header; quote it to support.
    #[serde(default)]
    pub request_id: String,
    /// Field errors, for validation problems.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// JSON pointer (RFC 6901) to the field in the request body or query.
    pub pointer: String,
    /// Stable code of the rule that failed (`required`, `too_long`, `unknown_field`...).
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("no resource at this URL")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed { allow: Vec<Method> },
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    #[error("unsupported media type")]
    UnsupportedMediaType { expected: &'static str },
    #[error("payload too large")]
    PayloadTooLarge { limit: usize },
    #[error("invalid path: {0}")]
    InvalidPath(String),
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    #[error("invalid header: {0}")]
    InvalidHeader(String),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("the database is unavailable")]
    DatabaseUnavailable,
    #[error("internal error: {0}")]
    Internal(String),
    #[error(transparent)]
    Persistence(#[from] PersistenceError),
    /// A response made by the framework or a middleware, identified by its status.
    #[error("HTTP {0}")]
    Status(StatusCode),
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl ApiError {
    /// The stable machine code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::NotFound => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::MalformedJson(_) => "malformed_json",
            ApiError::UnsupportedMediaType { .. } => "unsupported_media_type",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::InvalidPath(_) => "invalid_path",
            ApiError::InvalidQuery(_) => "invalid_query",
            ApiError::InvalidHeader(_) => "invalid_header",
            ApiError::Validation(_) => "validation_failed",
            ApiError::DatabaseUnavailable => "service_unavailable",
            ApiError::Internal(_) => "internal_error",
            ApiError::Persistence(e) if e.is_unavailable() => "service_unavailable",
            ApiError::Persistence(_) => "internal_error",
            ApiError::Status(status) => code_for_status(*status),
        }
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::NotFound => "Not found",
            ApiError::MethodNotAllowed { .. } => "Method not allowed",
            ApiError::MalformedJson(_) => "Malformed JSON",
            ApiError::UnsupportedMediaType { .. } => "Unsupported media type",
            ApiError::PayloadTooLarge { .. } => "Payload too large",
            ApiError::InvalidPath(_) => "Invalid path parameter",
            ApiError::InvalidQuery(_) => "Invalid query parameter",
            ApiError::InvalidHeader(_) => "Invalid header",
            ApiError::Validation(_) => "The request is not valid",
            ApiError::DatabaseUnavailable => "Service unavailable",
            ApiError::Internal(_) => "Internal error",
            ApiError::Persistence(e) if e.is_unavailable() => "Service unavailable",
            ApiError::Persistence(_) => "Internal error",
            ApiError::Status(status) => status.canonical_reason().unwrap_or("Error"),
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::NotFound => "There is no resource at this URL.".into(),
            ApiError::MethodNotAllowed { allow } => format!(
                "This resource accepts {}.",
                allow
                    .iter()
                    .map(Method::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ApiError::MalformedJson(detail) => format!("The body is not valid JSON: {detail}."),
            ApiError::UnsupportedMediaType { expected } => {
                format!("The body must be sent with Content-Type: {expected}.")
            }
            ApiError::PayloadTooLarge { limit } => {
                format!("The body is larger than the limit of {limit} bytes.")
            }
            ApiError::InvalidPath(detail) => format!("A path parameter is invalid: {detail}."),
            ApiError::InvalidQuery(detail) => {
                format!("A query parameter is invalid: {detail}.")
            }
            ApiError::InvalidHeader(detail) => format!("A header is invalid: {detail}."),
            ApiError::Validation(errors) => match errors.len() {
                1 => "1 field is invalid.".into(),
                n => format!("{n} fields are invalid."),
            },
            ApiError::DatabaseUnavailable => {
                "The service cannot reach its database; try again later.".into()
            }
            ApiError::Internal(_) | ApiError::Persistence(_) => {
                if self.status_code() == StatusCode::SERVICE_UNAVAILABLE {
                    "The service is temporarily unavailable; try again later.".into()
                } else {
                    "An unexpected error occurred; quote the request id to support.".into()
                }
            }
            ApiError::Status(status) => detail_for_status(*status),
        }
    }

    pub fn to_problem(&self) -> Problem {
        let code = self.code();
        Problem {
            problem_type: format!("urn:e-commissariat:problem:{code}"),
            title: self.title().to_owned(),
            status: self.status_code().as_u16(),
            detail: self.detail(),
            instance: String::new(),
            code: code.to_owned(),
            request_id: String::new(),
            errors: match self {
                ApiError::Validation(errors) => errors.clone(),
                _ => Vec::new(),
            },
        }
    }
}

fn code_for_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        406 => "not_acceptable",
        408 => "request_timeout",
        409 => "conflict",
        411 => "length_required",
        412 => "precondition_failed",
        413 => "payload_too_large",
        414 => "uri_too_long",
        415 => "unsupported_media_type",
        422 => "validation_failed",
        428 => "precondition_required",
        429 => "too_many_requests",
        431 => "headers_too_large",
        503 => "service_unavailable",
        s if s >= 500 => "internal_error",
        _ => "bad_request",
    }
}

fn detail_for_status(status: StatusCode) -> String {
    match status.as_u16() {
        s if s >= 500 => "An unexpected error occurred; quote the request id to support.".into(),
        _ => format!(
            "The request was refused: {}.",
            status.canonical_reason().unwrap_or("error").to_lowercase()
        ),
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::MalformedJson(_)
            | ApiError::InvalidPath(_)
            | ApiError::InvalidQuery(_)
            | ApiError::InvalidHeader(_) => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::DatabaseUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Persistence(e) if e.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Persistence(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Status(status) => *status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            // The cause goes to the log (with the request id of the current span),
            // never to the client.
            tracing::error!(code = self.code(), cause = %self, "request failed");
        }
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, PROBLEM_CONTENT_TYPE));
        if let ApiError::MethodNotAllowed { allow } = self {
            let value = allow
                .iter()
                .map(Method::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.insert_header((header::ALLOW, value));
            }
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, "5"));
        }
        response.json(self.to_problem())
    }
}

//! Every error the API returns, mapped exhaustively to RFC 9457 problem+json with a
//! stable machine `code`. Titles and details come from the message catalogue in the
//! request's language; internal causes are logged, never sent.
//!
//! Handlers return `ApiError`. `middleware::request_context` renders every error
//! response as a problem in the negotiated language (responses made by actix itself
//! included) and adds `request_id` and `instance`.

use crate::i18n::texts;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use domain::i18n::Lang;
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
    "detail": "1 field(s) are invalid; see errors.",
    "instance": "/v1/eligibility-checks",
    "code": "validation_failed",
    "request_id": "0192f3c4-5b6a-7c8d-9e0f-112233445566",
    "errors": [{"pointer": "/answers/known_author", "code": "required", "message": "This field is required."}]
}))]
pub struct Problem {
    /// A URI naming the problem type: `urn:e-commissariat:problem:{code}`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short, human-readable summary of the problem type, in the request's language.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request, for a human, in the request's language.
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
    /// JSON pointer (RFC 6901) to the field in the request body (or `/query/<name>`).
    pub pointer: String,
    /// Stable code of the rule that failed (`required`, `too_long`, `unknown_field`...).
    pub code: String,
    /// Human-readable explanation, in the request's language.
    pub message: String,
}

impl FieldError {
    pub fn new(pointer: impl Into<String>, code: &str) -> Self {
        Self {
            pointer: pointer.into(),
            code: code.to_owned(),
            message: String::new(),
        }
    }
}

/// Codes of field errors; each has a text in every API language.
pub const FIELD_ERROR_CODES: [&str; 25] = [
    "municipality_not_found",
    "postal_code_not_found",
    "invalid_record_number",
    "in_future",
    "too_old",
    "invalid_email",
    "not_allowed",
    "required",
    "unknown_field",
    "invalid_type",
    "empty",
    "too_long",
    "out_of_range",
    "unknown_option",
    "invalid_date",
    "invalid_date_time",
    "too_many",
    "too_few",
    "unknown_procedure",
    "unknown_country",
    "unknown_declarant",
    "unknown_question",
    "invalid_answer",
    "duplicate_key",
    "invalid_character",
];

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
    #[error("unknown procedure")]
    ProcedureNotFound(String),
    #[error("unknown advice article")]
    AdviceNotFound(String),
    #[error("unknown unit")]
    UnitNotFound(String),
    #[error("unknown municipality")]
    MunicipalityNotFound(String),
    #[error("unknown postal code")]
    PostalCodeNotFound(String),
    #[error("no access token")]
    MissingToken,
    #[error("invalid access token: {0}")]
    InvalidToken(String),
    #[error("forbidden")]
    Forbidden,
    #[error("insufficient level of assurance")]
    InsufficientAssurance { required: String },
    #[error("the development identity provider is disabled")]
    DevIdpDisabled,
    #[error("filing not found")]
    FilingNotFound(String),
    #[error("invalid transition")]
    InvalidTransition { status: String, action: String },
    #[error("not eligible")]
    NotEligible(Vec<FieldError>),
    #[error("ambiguous place")]
    PlaceAmbiguous(Vec<FieldError>),
    #[error("no competent unit")]
    NoCompetentUnit,
    #[error("If-Match required")]
    PreconditionRequired,
    #[error("stale If-Match")]
    PreconditionFailed,
    #[error("idempotency key reused")]
    IdempotencyKeyReused,
    #[error("idempotency key in use")]
    IdempotencyKeyInUse,
    #[error("quota exceeded")]
    QuotaExceeded { retry_after_secs: i64 },
    #[error("record number already used")]
    RecordNumberTaken,
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

impl From<persistence::QueryError> for ApiError {
    fn from(e: persistence::QueryError) -> Self {
        ApiError::Persistence(e.into())
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl ApiError {
    /// Every code an `ApiError` can have.
    pub const ALL_CODES: [&'static str; 37] = [
        "filing_not_found",
        "record_number_taken",
        "invalid_transition",
        "filing_not_eligible",
        "place_ambiguous",
        "no_competent_unit",
        "idempotency_key_reused",
        "idempotency_key_in_use",
        "insufficient_assurance",
        "unit_not_found",
        "municipality_not_found",
        "postal_code_not_found",
        "not_found",
        "method_not_allowed",
        "malformed_json",
        "unsupported_media_type",
        "payload_too_large",
        "invalid_path",
        "invalid_query",
        "invalid_header",
        "validation_failed",
        "service_unavailable",
        "internal_error",
        "procedure_not_found",
        "advice_not_found",
        "bad_request",
        "unauthorized",
        "forbidden",
        "not_acceptable",
        "request_timeout",
        "conflict",
        "length_required",
        "precondition_failed",
        "uri_too_long",
        "precondition_required",
        "too_many_requests",
        "headers_too_large",
    ];

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
            ApiError::ProcedureNotFound(_) => "procedure_not_found",
            ApiError::AdviceNotFound(_) => "advice_not_found",
            ApiError::UnitNotFound(_) => "unit_not_found",
            ApiError::MunicipalityNotFound(_) => "municipality_not_found",
            ApiError::PostalCodeNotFound(_) => "postal_code_not_found",
            ApiError::MissingToken | ApiError::InvalidToken(_) => "unauthorized",
            ApiError::Forbidden => "forbidden",
            ApiError::InsufficientAssurance { .. } => "insufficient_assurance",
            ApiError::DevIdpDisabled => "not_found",
            ApiError::FilingNotFound(_) => "filing_not_found",
            ApiError::InvalidTransition { .. } => "invalid_transition",
            ApiError::NotEligible(_) => "filing_not_eligible",
            ApiError::PlaceAmbiguous(_) => "place_ambiguous",
            ApiError::NoCompetentUnit => "no_competent_unit",
            ApiError::PreconditionRequired => "precondition_required",
            ApiError::PreconditionFailed => "precondition_failed",
            ApiError::IdempotencyKeyReused => "idempotency_key_reused",
            ApiError::IdempotencyKeyInUse => "idempotency_key_in_use",
            ApiError::QuotaExceeded { .. } => "too_many_requests",
            ApiError::RecordNumberTaken => "record_number_taken",
            ApiError::DatabaseUnavailable => "service_unavailable",
            ApiError::Internal(_) => "internal_error",
            ApiError::Persistence(e) if e.is_unavailable() => "service_unavailable",
            ApiError::Persistence(_) => "internal_error",
            ApiError::Status(status) => code_for_status(*status),
        }
    }

    /// Values of the `{placeholders}` of this error's detail text.
    fn params(&self) -> Vec<(&'static str, String)> {
        match self {
            ApiError::MethodNotAllowed { allow } => vec![(
                "allow",
                allow
                    .iter()
                    .map(Method::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
            )],
            ApiError::MalformedJson(cause)
            | ApiError::InvalidPath(cause)
            | ApiError::InvalidQuery(cause)
            | ApiError::InvalidHeader(cause) => vec![("cause", cause.clone())],
            ApiError::UnsupportedMediaType { expected } => {
                vec![("expected", (*expected).to_owned())]
            }
            ApiError::PayloadTooLarge { limit } => vec![("limit", limit.to_string())],
            ApiError::Validation(errors) => vec![("count", errors.len().to_string())],
            ApiError::ProcedureNotFound(code) => vec![("code", code.clone())],
            ApiError::AdviceNotFound(slug) => vec![("slug", slug.clone())],
            ApiError::UnitNotFound(id)
            | ApiError::MunicipalityNotFound(id)
            | ApiError::PostalCodeNotFound(id) => {
                vec![("id", id.clone())]
            }
            _ => Vec::new(),
        }
    }

    /// The problem document in `lang`.
    pub fn to_problem(&self, lang: Lang) -> Problem {
        let code = self.code();
        let texts = texts();
        let params = self.params();
        let title = texts
            .format(lang, &format!("problem.{code}.title"), &params)
            .unwrap_or_else(|| code.replace('_', " "));
        let detail = texts
            .format(lang, &format!("problem.{code}.detail"), &params)
            .unwrap_or_else(|| self.status_code().to_string());
        let errors = match self {
            ApiError::Validation(errors)
            | ApiError::NotEligible(errors)
            | ApiError::PlaceAmbiguous(errors) => errors
                .iter()
                .map(|e| FieldError {
                    pointer: e.pointer.clone(),
                    code: e.code.clone(),
                    message: texts
                        .get(lang, &format!("field_error.{}", e.code))
                        .map(str::to_owned)
                        .unwrap_or_else(|| e.message.clone()),
                })
                .collect(),
            _ => Vec::new(),
        };
        Problem {
            problem_type: format!("urn:e-commissariat:problem:{code}"),
            title,
            status: self.status_code().as_u16(),
            detail,
            instance: String::new(),
            code: code.to_owned(),
            request_id: String::new(),
            errors,
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

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::NotFound
            | ApiError::ProcedureNotFound(_)
            | ApiError::AdviceNotFound(_)
            | ApiError::UnitNotFound(_)
            | ApiError::MunicipalityNotFound(_)
            | ApiError::PostalCodeNotFound(_)
            | ApiError::DevIdpDisabled
            | ApiError::FilingNotFound(_) => StatusCode::NOT_FOUND,
            ApiError::InvalidTransition { .. }
            | ApiError::IdempotencyKeyInUse
            | ApiError::RecordNumberTaken => StatusCode::CONFLICT,
            ApiError::NotEligible(_)
            | ApiError::PlaceAmbiguous(_)
            | ApiError::NoCompetentUnit
            | ApiError::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ApiError::QuotaExceeded { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::MissingToken | ApiError::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden | ApiError::InsufficientAssurance { .. } => StatusCode::FORBIDDEN,
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

    /// The English rendering; `request_context` re-renders it in the request's language.
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
        match self {
            ApiError::QuotaExceeded { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.max(&1).to_string()));
            }
            ApiError::MissingToken => {
                response
                    .insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"e-commissariat\""));
            }
            ApiError::InvalidToken(reason) => {
                let value = format!(
                    "Bearer realm=\"e-commissariat\", error=\"invalid_token\", error_description=\"{}\"",
                    reason.replace('"', "'")
                );
                if let Ok(value) = HeaderValue::from_str(&value) {
                    response.insert_header((header::WWW_AUTHENTICATE, value));
                }
            }
            ApiError::InsufficientAssurance { .. } => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    "Bearer realm=\"e-commissariat\", error=\"insufficient_user_authentication\"",
                ));
            }
            _ => {}
        }
        response.json(self.to_problem(Lang::En))
    }
}

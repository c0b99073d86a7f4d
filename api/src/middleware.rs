//! Cross-cutting request handling: request ids, problem bodies, the tracing root span,
//! and the extractor configurations that turn bad input into problems.

use crate::error::{ApiError, FieldError, PROBLEM_CONTENT_TYPE};
use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::{JsonPayloadError, PayloadError};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, Error, FromRequest, HttpMessage, HttpRequest};
use domain::i18n::Lang;
use futures_util::FutureExt;
use std::future::{ready, Ready};
use tracing::Span;
use tracing_actix_web::RootSpanBuilder;

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Problem bodies are small; a larger one is not rewritten.
const MAX_PROBLEM_BODY: usize = 64 * 1024;

/// The id of the current request: the caller's `X-Request-Id` when well-formed
/// (1 to 128 characters among `A-Z a-z 0-9 - _ . :`), a new UUIDv7 otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    fn from_header(value: Option<&HeaderValue>) -> Self {
        value
            .and_then(|v| v.to_str().ok())
            .filter(|v| is_well_formed(v))
            .map(|v| RequestId(v.to_owned()))
            .unwrap_or_else(|| RequestId(uuid::Uuid::now_v7().to_string()))
    }
}

impl RequestId {
    /// The id assigned to `req` by `request_context` (for audit events).
    pub fn of(req: &HttpRequest) -> Option<String> {
        req.extensions().get::<RequestId>().map(|r| r.0.clone())
    }
}

pub fn is_well_formed(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

impl FromRequest for RequestId {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let id = req
            .extensions()
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(|| RequestId::from_header(None));
        ready(Ok(id))
    }
}

/// Headers on every response (when the response has not set them). `Cache-Control:
/// no-store` is the default, since most responses carry personal data; public resources
/// set their own.
pub const SECURITY_HEADERS: [(HeaderName, &str); 4] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::CACHE_CONTROL, "no-store"),
];

/// Methods the service knows; any other is renamed `OTHER` on arrival, so that metrics
/// and logs have a closed set of method names (it then gets 405 or 404).
const KNOWN_METHODS: [Method; 7] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
    Method::OPTIONS,
];

/// The method name shared by every method outside `KNOWN_METHODS`.
pub const OTHER_METHOD: &str = "OTHER";

/// The outermost middleware: assigns the request id, returns it in `X-Request-Id`, and
/// makes every error response a complete problem+json document (with `request_id` and
/// `instance`), whoever produced it: a handler, an extractor, or actix itself.
///
/// Before routing it also applies the intake rule to the path, the query and the header
/// values (`crate::intake`: no control characters), answers HEAD as GET (the HTTP/1
/// encoder then sends the GET's headers, `Content-Length` included, without the body),
/// and renames unknown methods `OTHER`.
/// `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers).
pub const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
/// `RateLimit` (draft-ietf-httpapi-ratelimit-headers).
pub const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

pub async fn request_context(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let request_id = RequestId::from_header(req.headers().get(X_REQUEST_ID));
    req.extensions_mut().insert(request_id.clone());
    let instance = req.path().to_owned();
    if !KNOWN_METHODS.contains(req.method()) {
        if let Ok(other) = Method::from_bytes(OTHER_METHOD.as_bytes()) {
            req.head_mut().method = other;
        }
    }
    let head = req.method() == Method::HEAD;
    if head {
        req.head_mut().method = Method::GET;
    }

    let response = match intake_check(&req) {
        Err(error) => req.error_response(error),
        Ok(()) => {
            // A panic below (ours or a library's) ends this request with a 500 problem
            // instead of a connection closed without an answer; the worker goes on.
            // (The request cannot be kept for the answer: routing needs it unshared.)
            let lang = crate::language::request_language(req.request());
            match std::panic::AssertUnwindSafe(next.call(req))
                .catch_unwind()
                .await
            {
                Ok(response) => response?.map_into_boxed_body(),
                Err(_) => return Err(Panicked::new(&request_id.0, &instance, lang).into()),
            }
        }
    };
    let mut response =
        if response.status().as_u16() >= 400 && instance.starts_with(crate::open311::PREFIX) {
            // Open311's own error format (docs/OPEN311.md), not problem+json.
            let lang = crate::language::request_language(response.request());
            crate::open311::complete_error(response.map_into_boxed_body(), lang)
        } else if response.status().as_u16() >= 400 {
            let lang = crate::language::request_language(response.request());
            complete_problem(response, &request_id.0, &instance, lang).await
        } else {
            response.map_into_boxed_body()
        };
    // A HEAD of a stream (Server-Sent Events) ends with its headers: the encoder sends
    // no body for HEAD, but it would poll the stream to its end (minutes) before the
    // connection could serve its next request.
    if head && matches!(response.response().body().size(), BodySize::Stream) {
        response = response.map_body(|_, _| BoxBody::new(actix_web::body::None::new()));
    }
    if let Ok(value) = HeaderValue::from_str(&request_id.0) {
        response.headers_mut().insert(X_REQUEST_ID, value);
    }
    // The quota the request was counted against (`app::ratelimit`), IETF draft
    // "RateLimit header fields for HTTP".
    let verdict = response
        .request()
        .extensions()
        .get::<domain::ratelimit::Verdict>()
        .cloned();
    if let Some(verdict) = verdict {
        for (name, value) in [
            (RATELIMIT_POLICY, verdict.policy_header()),
            (RATELIMIT, verdict.limit_header()),
        ] {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, value);
            }
        }
    }
    // The answer to a browser's cross-origin request depends on its origin (CORS).
    let from_browser = response.request().headers().contains_key(header::ORIGIN);
    let headers = response.headers_mut();
    if from_browser {
        let vary = match headers.get(header::VARY).and_then(|v| v.to_str().ok()) {
            Some(existing) if !existing.is_empty() => format!("{existing}, Origin"),
            _ => "Origin".to_owned(),
        };
        if let Ok(value) = HeaderValue::from_str(&vary) {
            headers.insert(header::VARY, value);
        }
    }
    for (name, value) in SECURITY_HEADERS {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    Ok(response)
}

/// A request whose handler (or a library under it) panicked: 500 `internal`, the same
/// problem `complete_problem` writes, with the request id and the security headers; the
/// panic's message goes to the log only.
#[derive(Debug)]
struct Panicked {
    problem: Vec<u8>,
    request_id: String,
    lang: Lang,
}

impl Panicked {
    fn new(request_id: &str, instance: &str, lang: Lang) -> Self {
        tracing::error!(request_id, "the request's handler panicked");
        let mut problem = ApiError::Internal("handler panicked".into()).to_problem(lang);
        problem.request_id = request_id.to_owned();
        problem.instance = instance.to_owned();
        Panicked {
            problem: serde_json::to_vec(&problem).unwrap_or_default(),
            request_id: request_id.to_owned(),
            lang,
        }
    }
}

impl std::fmt::Display for Panicked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request's handler panicked")
    }
}

impl actix_web::ResponseError for Panicked {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        let mut response = actix_web::HttpResponse::InternalServerError();
        response
            .content_type(PROBLEM_CONTENT_TYPE)
            .insert_header((header::CONTENT_LANGUAGE, self.lang.as_str()))
            .insert_header((X_REQUEST_ID, self.request_id.as_str()));
        for (name, value) in SECURITY_HEADERS {
            response.insert_header((name, value));
        }
        response.body(self.problem.clone())
    }
}

/// The intake rule for what arrives outside the body: a control character in the
/// (percent-decoded) path is 400 `invalid_path`; in a query parameter, 422 with
/// `invalid_character` at `/query/<name>`; in a header value, 400 `invalid_header`.
fn intake_check(req: &ServiceRequest) -> Result<(), ApiError> {
    use crate::intake::{is_control_or_separator, percent_decode};
    let path = req.path();
    match percent_decode(path) {
        Some(decoded) if decoded.chars().any(is_control_or_separator) => {
            return Err(ApiError::InvalidPath(
                "the path contains a control character".into(),
            ));
        }
        Some(_) => {}
        None => {
            return Err(ApiError::InvalidPath(
                "the path is not valid UTF-8 once percent-decoded".into(),
            ))
        }
    }
    let mut errors = Vec::new();
    // Text that is not UTF-8 once percent-decoded (`q=%FF`) is refused, never read with
    // replacement characters.
    for pair in req.query_string().split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |raw: &str| percent_decode(&raw.replace('+', " "));
        if decode(name).is_none() || decode(value).is_none() {
            let name = decode(name)
                .unwrap_or_else(|| String::from_utf8_lossy(name.as_bytes()).into_owned());
            let pointer = format!("/query/{}", domain::forms::escape(&name));
            if !errors.iter().any(|e: &FieldError| e.pointer == pointer) {
                errors.push(FieldError::new(pointer, "invalid_utf8"));
            }
        }
    }
    for (name, value) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        if name.chars().any(is_control_or_separator) || value.chars().any(is_control_or_separator) {
            let pointer = format!("/query/{}", domain::forms::escape(&name));
            if !errors.iter().any(|e: &FieldError| e.pointer == pointer) {
                errors.push(FieldError::new(pointer, "invalid_character"));
            }
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    for (name, value) in req.headers() {
        if value
            .as_bytes()
            .iter()
            .any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f)
        {
            return Err(ApiError::InvalidHeader(format!(
                "{name} contains a control character"
            )));
        }
    }
    Ok(())
}

async fn complete_problem<B: MessageBody + 'static>(
    response: ServiceResponse<B>,
    request_id: &str,
    instance: &str,
    lang: Lang,
) -> ServiceResponse<BoxBody> {
    let status = response.status();
    // Our own errors are rendered again, in the request's language; a query parameter's
    // error says what the parameter accepts (from the contract) wherever it was made.
    let rendered = response
        .response()
        .error()
        .and_then(|e| e.as_error::<ApiError>())
        .map(|e| match e {
            ApiError::Validation(errors) => {
                let mut errors = errors.clone();
                if let Some(state) = response
                    .request()
                    .app_data::<web::Data<crate::state::AppState>>()
                {
                    let req = response.request();
                    crate::query_params::complete(
                        &state.contract,
                        req.path(),
                        req.method(),
                        &mut errors,
                    );
                }
                ApiError::Validation(errors).to_problem(lang)
            }
            other => other.to_problem(lang),
        })
        .and_then(|problem| serde_json::to_value(problem).ok());
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_CONTENT_TYPE));
    let (request, response) = response.into_parts();
    let (head, body) = response.into_parts();

    let existing = if rendered.is_some() {
        rendered
    } else if is_problem {
        actix_web::body::to_bytes_limited(body, MAX_PROBLEM_BODY)
            .await
            .ok()
            .and_then(Result::ok)
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
            .filter(serde_json::Value::is_object)
    } else {
        None
    };
    let mut problem = existing.unwrap_or_else(|| {
        serde_json::to_value(ApiError::Status(status).to_problem(lang))
            .unwrap_or_else(|_| serde_json::json!({}))
    });
    if let Some(object) = problem.as_object_mut() {
        object.insert("request_id".into(), request_id.into());
        let has_instance = object
            .get("instance")
            .and_then(|v| v.as_str())
            .is_some_and(|s| !s.is_empty());
        if !has_instance {
            object.insert("instance".into(), instance.into());
        }
    }
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut head = head;
    head.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
    );
    head.headers_mut().remove(header::CONTENT_LENGTH);
    if let Ok(value) = HeaderValue::from_str(lang.as_str()) {
        head.headers_mut().insert(header::CONTENT_LANGUAGE, value);
    }
    ServiceResponse::new(request, head.set_body(body).map_into_boxed_body())
}

/// The responses actix-http's HTTP/1 parser writes before a request exists (431 for a
/// request head over 128 KiB, 400 for a head it refuses, 408 for a head that did not
/// arrive within `server.head_timeout_secs`, 500 for a payload fault), given the standard
/// shape: a problem+json body in English (no `Accept-Language` could be read) with a fresh
/// `request_id`, `X-Request-Id`, `Content-Language` and the security headers. Installed
/// once per process by `install_parser_responses` (the hook is our patch of actix-http,
/// `vendor/README.md`). The `instance` is empty: the path was not read.
fn parser_response(
    status: actix_web::http::StatusCode,
) -> (actix_web::http::header::HeaderMap, actix_web::web::Bytes) {
    let request_id = uuid::Uuid::now_v7().to_string();
    let mut problem = ApiError::Status(status).to_problem(Lang::En);
    problem.request_id = request_id.clone();
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut headers = actix_web::http::header::HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
    );
    headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static("en"));
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        headers.insert(X_REQUEST_ID, value);
    }
    for (name, value) in SECURITY_HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    tracing::info!(
        http.status_code = status.as_u16(),
        request_id = %request_id,
        "request refused by the HTTP parser"
    );
    (headers, actix_web::web::Bytes::from(body))
}

/// Makes the HTTP/1 parser's own responses problem+json (see `parser_response`); idempotent.
pub fn install_parser_responses() {
    actix_http::h1::set_parser_responder(parser_response);
}

/// The root span of each request: method, route template and request id. No client
/// address, user agent or query string: they may be personal data.
pub struct RootSpan;

impl RootSpanBuilder for RootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|r| r.0.clone())
            .unwrap_or_default();
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        tracing::info_span!(
            "request",
            http.method = %request.method(),
            http.route = %route,
            request_id = %request_id,
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    /// Records the status and, for an error, its stable code only: an error's message or
    /// debug form may quote the input (a mistyped e-mail address, an id typed as a path),
    /// which is personal data and never goes to the log.
    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let (status, error) = match outcome {
            Ok(response) => (response.status(), response.response().error()),
            Err(error) => (error.as_response_error().status_code(), Some(error)),
        };
        span.record("http.status_code", status.as_u16());
        span.record(
            "otel.status_code",
            if status.is_server_error() {
                "ERROR"
            } else {
                "OK"
            },
        );
        if let Some(error) = error {
            let code = error
                .as_error::<ApiError>()
                .map_or_else(|| crate::error::code_for_status(status), ApiError::code);
            span.record("exception.message", code);
        }
    }
}

/// JSON bodies: size limit, content type, and syntax errors become problems.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|err, _| json_error(err).into())
}

pub fn json_error(err: JsonPayloadError) -> ApiError {
    match err {
        JsonPayloadError::OverflowKnownLength { limit, .. }
        | JsonPayloadError::Overflow { limit } => ApiError::PayloadTooLarge { limit },
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType {
            expected: "application/json",
        },
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            ApiError::Validation(vec![FieldError::new("", "invalid_type")])
        }
        JsonPayloadError::Deserialize(e) => ApiError::MalformedJson(e.to_string()),
        JsonPayloadError::Payload(PayloadError::Overflow) => ApiError::PayloadTooLarge { limit: 0 },
        // The body could not be read (an invalid chunk, a cut connection, an encoding):
        // 400, without the HTTP library's own words.
        other => {
            tracing::debug!(error = %other, "request body unreadable");
            ApiError::Status(actix_web::http::StatusCode::BAD_REQUEST)
        }
    }
}

pub fn path_config() -> web::PathConfig {
    // The deserializer's own words ("Path deserialize error: can not parse ... to a i64")
    // name our types; the client is told what is wrong in its terms.
    web::PathConfig::default().error_handler(|err, req| {
        tracing::debug!(path = %req.path(), error = %err, "path segment refused");
        ApiError::InvalidPath(
            "a segment does not have the form this route expects (such as a number)".into(),
        )
        .into()
    })
}

/// Query strings that do not deserialize: 422 with the parameter, the reason and what it
/// accepts (`crate::query_params`), on every route.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|err, req| crate::query_params::problem(req, err.to_string()).into())
}

pub fn payload_config(limit: usize) -> web::PayloadConfig {
    web::PayloadConfig::new(limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids() {
        assert!(is_well_formed("abc-123_X.y:z"));
        assert!(!is_well_formed(""));
        assert!(!is_well_formed("has space"));
        assert!(!is_well_formed("<script>"));
        assert!(!is_well_formed(&"a".repeat(129)));
        let generated = RequestId::from_header(Some(&HeaderValue::from_static("bad id")));
        assert!(uuid::Uuid::parse_str(&generated.0).is_ok());
    }

    /// A panic under the middleware is a 500 problem with the request id, not a
    /// connection closed without an answer; the next request is served.
    #[actix_web::test]
    async fn a_panic_is_a_500_problem() {
        use actix_web::{middleware::from_fn, test, App};
        async fn boom() -> &'static str {
            panic!("boom")
        }
        let app = test::init_service(
            App::new()
                .wrap(from_fn(request_context))
                .route("/boom", web::get().to(boom))
                .route("/fine", web::get().to(|| async { "fine" })),
        )
        .await;
        let request = test::TestRequest::get()
            .uri("/boom")
            .insert_header((X_REQUEST_ID, "req-1"))
            .to_request();
        let response = match test::try_call_service(&app, request).await {
            Ok(response) => response.into_parts().1,
            Err(error) => error.error_response(),
        };
        assert_eq!(response.status(), 500);
        let header = |name| response.headers().get(name).unwrap().to_str().unwrap();
        assert_eq!(header(header::CONTENT_TYPE), PROBLEM_CONTENT_TYPE);
        assert_eq!(header(X_REQUEST_ID), "req-1");
        let body = actix_web::body::to_bytes(response.into_body())
            .await
            .unwrap();
        let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(problem["code"], "internal_error");
        assert_eq!(problem["request_id"], "req-1");
        assert_eq!(problem["instance"], "/boom");
        assert!(!problem["detail"].as_str().unwrap().contains("boom"));
        let response =
            test::call_service(&app, test::TestRequest::get().uri("/fine").to_request()).await;
        assert_eq!(response.status(), 200);
    }
}

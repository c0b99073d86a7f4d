//! A citizen's filings: drafts, recap, submission, withdrawal, receipt, answers to the
//! officer's questions. A citizen sees their own filings only; another's id answers 404
//! exactly like a missing one (`domain::policy::citizen_may_see`: the store is asked for
//! the caller's filing, never for any filing). Handlers parse the request, call the use
//! case (`crate::app::filings`) and shape the answer; the rules are the domain's.

mod preferences;
pub mod receipt_pdf;
pub mod receipts;
pub mod types;
pub mod views;

pub use preferences::{change_preferences, PreferencesChange};
pub use receipts::receipt;
pub use types::*;

use crate::actors::Citizen;
use crate::app::filings::{self as usecase, Call, Loaded};
use crate::error::{ApiError, FieldError, Problem};
use crate::extract::JsonBody;
use crate::idempotency;
use crate::language::AskedLanguage;
use crate::language::Language;
use crate::middleware::RequestId;
use crate::state::AppState;
use crate::versions::if_match;
use actix_web::http::{header, StatusCode};
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use domain::filing::FilingStatus;
use domain::i18n::Lang;
use domain::limits;

fn with_etag(loaded: &Loaded, state: &AppState, lang: Lang) -> HttpResponse {
    let view = views::filing_view(state, loaded, lang, Utc::now());
    HttpResponse::Ok()
        .insert_header((header::ETAG, views::etag(view.version)))
        .json(view)
}

/// Renders a saved filing as the stored reply of an idempotent request.
pub(crate) fn render(
    state: &web::Data<AppState>,
    status: StatusCode,
    location: bool,
    lang: Lang,
) -> usecase::Render {
    let state = state.clone();
    Box::new(move |loaded: &Loaded| {
        views::reply(
            status,
            &views::filing_view(&state, loaded, lang, Utc::now()),
            location,
        )
    })
}

/// What the use case is told about a citizen's request, with the identity claims of their
/// sign-in (kept, sealed, on the filing).
pub(crate) fn call(
    req: &HttpRequest,
    lang: Lang,
    key: Option<idempotency::Key>,
    citizen: &Citizen,
) -> Call {
    Call {
        lang,
        request_id: RequestId::of(req),
        key,
        personal: citizen.0.personal.clone(),
    }
}

/// Create a draft
///
/// Starts a filing for a procedure. Accepts `Idempotency-Key`: a retry with the same key
/// and body returns the same draft instead of creating another.
#[utoipa::path(
    tag = "filings",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: same key and body, same response")),
    request_body = NewFiling,
    responses(
        (status = 201, description = "The draft, with its recap", body = FilingView,
            headers(("Location" = String, description = "The draft's URL"), ("ETag" = String, description = "Its version"))),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a citizen account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The same Idempotency-Key is being processed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or an Idempotency-Key reused for another body", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/filings")]
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    citizen: Citizen,
    JsonBody(body): JsonBody<NewFiling>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let request = serde_json::to_value(&body).unwrap_or_default();
    // The filing's language: the body's, else the sign-in's locale, else the request's.
    let language = citizen
        .0
        .locale
        .as_deref()
        .and_then(|l| l.parse().ok())
        .unwrap_or(lang);
    let actor = citizen.actor();
    idempotency::run(&req, &idempotency_caller(&actor), &request, |key| {
        usecase::create(
            state.clone(),
            actor,
            body.into_input(),
            language,
            call(&req, lang, key, &citizen),
            render(&state, StatusCode::CREATED, true, lang),
        )
    })
    .await
}

/// Get a filing (recap)
///
/// The filing with its recap: eligibility as it stands, where it goes (or the
/// municipalities to choose from), what happens next, the status history.
#[utoipa::path(
    tag = "filings",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Id of the filing"), crate::routes::catalogue::LangQuery),
    responses(
        (status = 200, description = "The filing", body = FilingView, headers(("ETag" = String, description = "Its version"))),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing among yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/filings/{id}")]
pub async fn get_filing(
    state: web::Data<AppState>,
    citizen: Citizen,
    id: web::Path<String>,
    asked: AskedLanguage,
) -> Result<HttpResponse, ApiError> {
    let loaded = usecase::get(&state, &citizen.actor(), &id).await?;
    let lang = asked.or_filing(&loaded.filing);
    Ok(with_etag(&loaded, &state, lang))
}

/// A cursor `<micros>.<id>` of a list ordered by time and id.
pub fn parse_cursor(raw: &str) -> Option<(DateTime<Utc>, String)> {
    let (micros, id) = raw.split_once('.')?;
    let at = DateTime::<Utc>::from_timestamp_micros(micros.parse().ok()?)?;
    Some((at, id.to_owned()))
}

/// The cursor after an item of a list ordered by time and id.
pub fn cursor(at: DateTime<Utc>, id: &str) -> String {
    format!("{}.{id}", at.timestamp_micros())
}

/// List my filings
///
/// The caller's filings, newest first, with cursor pagination.
#[utoipa::path(
    tag = "filings",
    security(("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, description = "A page of filings", body = FilingList),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown status, bad cursor or limit", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/filings")]
pub async fn list(
    state: web::Data<AppState>,
    citizen: Citizen,
    query: web::Query<ListQuery>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let invalid = |name: &str, code: &str| {
        ApiError::Validation(vec![FieldError::new(format!("/query/{name}"), code)])
    };
    let status = match &query.status {
        Some(status) => Some(
            status
                .parse::<FilingStatus>()
                .map_err(|_| invalid("status", "unknown_option"))?,
        ),
        None => None,
    };
    let limit = query.limit.unwrap_or(limits::FILINGS_PAGE_DEFAULT);
    if !(1..=limits::FILINGS_PAGE_MAX).contains(&limit) {
        return Err(invalid("limit", "out_of_range"));
    }
    let before = match &query.cursor {
        Some(raw) => Some(parse_cursor(raw).ok_or_else(|| invalid("cursor", "invalid_type"))?),
        None => None,
    };
    let (filings, more) = usecase::list(&state, &citizen.actor(), status, before, limit).await?;
    let next_cursor = more
        .then(|| filings.last().map(|f| cursor(f.created_at, &f.id)))
        .flatten();
    let items = filings
        .iter()
        .map(|f| views::summary(&state, f, lang))
        .collect();
    Ok(HttpResponse::Ok().json(FilingList { items, next_cursor }))
}

/// Update a draft
///
/// Changes members of a draft. Requires `If-Match` with the current `ETag`: 428 without,
/// 412 when someone changed it meanwhile.
#[utoipa::path(
    tag = "filings",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Id of the filing"), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = FilingChanges,
    responses(
        (status = 200, description = "The updated draft", body = FilingView, headers(("ETag" = String, description = "Its new version"))),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing among yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a draft any more", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the ETag was read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/filings/{id}")]
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    citizen: Citizen,
    id: web::Path<String>,
    JsonBody(changes): JsonBody<FilingChanges>,
    Language(lang): Language,
    asked: AskedLanguage,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let loaded = usecase::update(
        &state,
        citizen.actor(),
        &id,
        changes.into_draft(),
        expected,
        lang,
        RequestId::of(&req),
    )
    .await?;
    let lang = asked.or_filing(&loaded.filing);
    Ok(with_etag(&loaded, &state, lang))
}

/// Submit a filing
///
/// Checks everything again (eligibility, level of assurance, the facts form, the date,
/// the place), routes the filing to the competent unit and gives it its reference number.
/// Accepts `Idempotency-Key`; a filing is submitted once, however often this is retried.
#[utoipa::path(
    tag = "filings",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Id of the filing"), ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 200, description = "Submitted: the filing with its reference and unit", body = FilingView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The identification is not strong enough (`insufficient_assurance`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing among yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already submitted, or the same Idempotency-Key in progress", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not eligible (`filing_not_eligible`), incomplete, place to confirm (`place_ambiguous`) or no competent unit", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Daily submission quota reached", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/filings/{id}/submit")]
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    citizen: Citizen,
    id: web::Path<String>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = citizen.actor();
    let request = serde_json::json!({"submit": id});
    idempotency::run(&req, &idempotency_caller(&actor), &request, |key| {
        usecase::submit(
            state.clone(),
            actor,
            id.clone(),
            call(&req, lang, key, &citizen),
            render(&state, StatusCode::OK, false, lang),
        )
    })
    .await
}

/// Withdraw a filing
///
/// Possible until an officer takes it in charge.
#[utoipa::path(
    tag = "filings",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Id of the filing")),
    responses(
        (status = 200, description = "Withdrawn", body = FilingView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing among yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already taken in charge, or finished", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/filings/{id}/withdraw")]
pub async fn withdraw(
    req: HttpRequest,
    state: web::Data<AppState>,
    citizen: Citizen,
    id: web::Path<String>,
    Language(lang): Language,
    asked: AskedLanguage,
) -> Result<HttpResponse, ApiError> {
    let loaded = usecase::withdraw(&state, citizen.actor(), &id, lang, RequestId::of(&req)).await?;
    let lang = asked.or_filing(&loaded.filing);
    Ok(with_etag(&loaded, &state, lang))
}

/// Answer an information request
///
/// Answers the officer's question; the filing goes back to the officer.
#[utoipa::path(
    tag = "filings",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Id of the filing")),
    request_body = InfoAnswer,
    responses(
        (status = 200, description = "Answered", body = FilingView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing among yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No question is waiting for an answer", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty or too long answer", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/filings/{id}/answers")]
pub async fn answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    citizen: Citizen,
    id: web::Path<String>,
    JsonBody(body): JsonBody<InfoAnswer>,
    Language(lang): Language,
    asked: AskedLanguage,
) -> Result<HttpResponse, ApiError> {
    let message = domain::filing::check_answer(&body.message)
        .map_err(|e| crate::app::problem(&state, lang, None, e))?;
    let loaded = usecase::answer(
        &state,
        citizen.actor(),
        &id,
        message,
        lang,
        RequestId::of(&req),
    )
    .await?;
    let lang = asked.or_filing(&loaded.filing);
    Ok(with_etag(&loaded, &state, lang))
}

/// Whose idempotency keys these are: the citizen, per front door (a partner replaying a
/// key never gets the reply stored for the app or another partner).
pub(crate) fn idempotency_caller(actor: &domain::policy::CitizenActor) -> String {
    match &actor.partner {
        Some(partner) => format!("{}@{partner}", actor.id),
        None => actor.id.clone(),
    }
}

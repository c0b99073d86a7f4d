//! The back office: a unit's queue and the officers' actions on its filings. Only members
//! of the unit may enter (`access`); every access to personal data, allowed or denied, is
//! audited (EU Directive 2016/680, art. 25). Handlers parse the request, call the use
//! case (`crate::app::backoffice`) and shape the answer.

pub mod access;
pub mod access_restriction;
pub mod audit;
pub mod counter_counts;
pub mod messages;
pub mod records;
pub mod restriction;
pub mod travel;
pub mod types;

pub use audit::audit_events;
pub use types::*;

use crate::app::backoffice::{self as usecase, consultation};
use crate::error::{ApiError, FieldError, Problem};
use crate::idempotency::{self, Reply};
use crate::language::Language;
use crate::routes::filings::{cursor, parse_cursor};
use crate::state::AppState;
use crate::versions::if_match;
use access::{
    FilingChange, FilingExport, FilingRead, QueueRead, RosterRead, UnitAccess, UnitAction,
    UnitQuery,
};
use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::Utc;
use domain::audit::AuditOperation;
use domain::filing::{FilingAction, FilingStatus};
use domain::limits;
use persistence::filings::QueueFilter;

fn invalid(name: &str, code: &str) -> ApiError {
    ApiError::Validation(vec![FieldError::new(format!("/query/{name}"), code)])
}

/// The queue's filter from its query.
fn queue_filter(
    state: &AppState,
    officer: &str,
    query: &QueueQuery,
) -> Result<QueueFilter, ApiError> {
    let mut filter = QueueFilter {
        procedure: query.procedure.clone(),
        submitted_from: query.submitted_from,
        submitted_until: query.submitted_until,
        ..QueueFilter::default()
    };
    if let Some(statuses) = &query.status {
        for status in statuses.split(',').map(str::trim) {
            let status = status
                .parse::<FilingStatus>()
                .map_err(|_| invalid("status", "unknown_option"))?;
            filter.statuses.push(status);
        }
    }
    filter.assigned = match query.assigned.as_deref() {
        None => None,
        Some("me") => Some(Some(officer.to_owned())),
        Some("none") => Some(None),
        Some(_) => return Err(invalid("assigned", "unknown_option")),
    };
    if query.overdue == Some(true) {
        let deadline = Utc::now() - chrono::Duration::hours(i64::from(state.target_hours));
        filter.submitted_until = Some(filter.submitted_until.map_or(deadline, |u| u.min(deadline)));
        if filter.statuses.is_empty() {
            filter.statuses = FilingStatus::OPEN.to_vec();
        }
    }
    if let Some(raw) = &query.cursor {
        let (at, id) = parse_cursor(raw).ok_or_else(|| invalid("cursor", "invalid_type"))?;
        filter.after = Some((persistence::filings::time(at), id));
    }
    Ok(filter)
}

/// A unit's queue
///
/// The unit's submitted filings, oldest first. Members of the unit only; the access is
/// audited (a refused one too).
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), QueueQuery),
    responses(
        (status = 200, description = "A page of the queue", body = Queue),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad filter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/filings")]
pub async fn queue(
    state: web::Data<AppState>,
    request: UnitQuery<QueueRead, QueueQuery>,
) -> Result<HttpResponse, ApiError> {
    let UnitQuery { access, query } = request;
    let filter = queue_filter(&state, &access.officer.id, &query)?;
    let limit = query.limit.unwrap_or(limits::QUEUE_PAGE_DEFAULT);
    if !(1..=limits::QUEUE_PAGE_MAX).contains(&limit) {
        return Err(invalid("limit", "out_of_range"));
    }
    let (filings, more, news) = usecase::queue(
        &state,
        &access.officer,
        &access.unit,
        filter,
        limit,
        access.request_id,
    )
    .await?;
    let next_cursor = more
        .then(|| {
            filings
                .last()
                .and_then(|f| f.submitted_at.map(|at| cursor(at, &f.id)))
        })
        .flatten();
    Ok(HttpResponse::Ok().json(Queue {
        items: filings
            .iter()
            .map(|f| {
                OfficerFilingView::of(f, None, None).with_new_information(news.contains(&f.id))
            })
            .collect(),
        next_cursor,
    }))
}

/// A unit's officers
///
/// The officers known to the unit (those who used its back office with a membership of
/// it), most recently seen first: whom a filing can be assigned to. Members only; audited.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit")),
    responses(
        (status = 200, description = "The unit's known officers", body = UnitMembers),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/members")]
pub async fn members(
    state: web::Data<AppState>,
    access: UnitAccess<RosterRead>,
) -> Result<HttpResponse, ApiError> {
    let unit = access.unit.clone();
    // Recorded first, so that the caller is among the members listed.
    let event = consultation(
        &access.officer,
        &unit,
        ("unit_members", Some(&unit)),
        access.request_id,
    );
    let name = access.officer.name.clone();
    let members = crate::app::with_db(&state, move |conn| {
        usecase::record_in(conn, &event, name.as_deref())?;
        Ok(persistence::roster::members(conn, &unit)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(UnitMembers {
        items: members
            .into_iter()
            .map(|m| UnitMember {
                officer_id: m.officer_id,
                name: m.name,
                role: m.role,
                first_seen_at: m.first_seen_at,
                last_seen_at: m.last_seen_at,
            })
            .collect(),
    }))
}

/// A filing of the unit
///
/// Everything about one filing of the unit, for processing. Audited as a consultation.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing")),
    responses(
        (status = 200, description = "The filing", body = OfficerFilingView, headers(("ETag" = String, description = "Its version"))),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/filings/{id}")]
pub async fn get_unit_filing(
    state: web::Data<AppState>,
    access: UnitAccess<FilingRead>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let request_id = access.request_id.clone();
    let event = consultation(
        &access.officer,
        &access.unit,
        ("filing", Some(&id)),
        request_id.clone(),
    );
    let identity_read = consultation(
        &access.officer,
        &access.unit,
        (usecase::IDENTITY_OBJECT, Some(&id)),
        request_id,
    );
    let loaded = usecase::get(
        &state,
        &access.officer,
        &access.unit,
        &id,
        event,
        Some(identity_read),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"v{}\"", loaded.filing.version)))
        .json(
            OfficerFilingView::of(&loaded.filing, Some(&loaded.history), Some(&loaded.notes))
                .with_exchanges(&loaded.exchanges)
                .with_complainant(loaded.identity.as_ref())
                .with_new_information(loaded.new_information),
        ))
}

/// One officer action: the same path for every action (`domain::filing::officer`).
async fn act<B: Into<domain::filing::officer::ActionInput>>(
    req: HttpRequest,
    state: web::Data<AppState>,
    request: UnitAction<FilingChange, B>,
    id: String,
    action: FilingAction,
    lang: domain::i18n::Lang,
) -> Result<HttpResponse, ApiError> {
    let UnitAction { access, body } = request;
    let expected = if_match(&req)?;
    let filing = usecase::act(
        &state,
        access.officer,
        &access.unit,
        &id,
        action,
        body.into(),
        expected,
        lang,
        access.request_id,
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"v{}\"", filing.version)))
        .json(OfficerFilingView::of(&filing, None, None)))
}

/// Declares one route per officer action, each with its own contract entry.
macro_rules! officer_action {
    ($(#[$meta:meta])* $name:ident, $body:ty, $action:expr) => {
        $(#[$meta])*
        pub async fn $name(
            req: HttpRequest,
            state: web::Data<AppState>,
            request: UnitAction<FilingChange, $body>,
            path: web::Path<(String, String)>,
            Language(lang): Language,
        ) -> Result<HttpResponse, ApiError> {
            act(req, state, request, path.into_inner().1, $action, lang).await
        }
    };
}

officer_action!(
/// Take a filing in charge
///
/// For oneself, or for a colleague of the unit (`officer_id`). Requires `If-Match`: of two
/// officers acting on the same version, one succeeds and the other gets 412.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing"), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = TakeInChargeBody,
    responses(
        (status = 200, description = "Taken in charge", body = OfficerFilingView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not possible in this status", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{unit_id}/filings/{id}/take-in-charge")]
    take_in_charge,
    TakeInChargeBody,
    FilingAction::TakeInCharge
);
officer_action!(
/// Ask the citizen for information
///
/// Sends `message` to the citizen, who answers through `POST /v1/filings/{id}/answers`.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing"), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = RequestInfoBody,
    responses(
        (status = 200, description = "Information requested", body = OfficerFilingView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not possible in this status", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No message", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{unit_id}/filings/{id}/request-info")]
    request_info,
    RequestInfoBody,
    FilingAction::RequestInfo
);
officer_action!(
/// Register a filing
///
/// Records the official record number (given, or generated by the unit's pattern) and queues the citizen's confirmation by the channel they chose. Requires `If-Match`.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing"), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = RegisterBody,
    responses(
        (status = 200, description = "Done", body = OfficerFilingView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not possible in this status", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A required member is missing", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{unit_id}/filings/{id}/register")]
    register,
    RegisterBody,
    FilingAction::Register
);
officer_action!(
/// Reject a filing
///
/// With a reason code and an explanation for the citizen. Requires `If-Match`.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing"), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = RejectBody,
    responses(
        (status = 200, description = "Done", body = OfficerFilingView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not possible in this status", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A required member is missing", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{unit_id}/filings/{id}/reject")]
    reject,
    RejectBody,
    FilingAction::Reject
);
officer_action!(
/// Redirect the citizen
///
/// With a reason code, an explanation and where the citizen should go instead. Requires `If-Match`.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing"), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = RedirectBody,
    responses(
        (status = 200, description = "Done", body = OfficerFilingView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not possible in this status", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A required member is missing", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{unit_id}/filings/{id}/redirect")]
    redirect,
    RedirectBody,
    FilingAction::Redirect
);
officer_action!(
/// Transfer to the unit really competent
///
/// Names the target unit and a reason; the filing leaves this unit's queue and appears in the target's. Requires `If-Match`.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing"), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = TransferBody,
    responses(
        (status = 200, description = "Done", body = OfficerFilingView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not possible in this status", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A required member is missing", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{unit_id}/filings/{id}/transfer")]
    transfer,
    TransferBody,
    FilingAction::Transfer
);
officer_action!(
/// Close a filing
///
/// After registration, rejection or redirection. Requires `If-Match`.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing"), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = CloseBody,
    responses(
        (status = 200, description = "Done", body = OfficerFilingView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not possible in this status", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A required member is missing", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{unit_id}/filings/{id}/close")]
    close,
    CloseBody,
    FilingAction::Close
);

/// Add an internal note
///
/// A note for the unit's officers; no citizen response ever contains it. Returns every
/// note of the filing.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: same key and body, same response (one note)")),
    request_body = NoteBody,
    responses(
        (status = 201, description = "Added; the filing's notes", body = Notes),
        (status = 409, description = "The same Idempotency-Key is being processed", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty or too long, or an Idempotency-Key reused for another body", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units/{unit_id}/filings/{id}/notes")]
pub async fn add_note(
    req: HttpRequest,
    state: web::Data<AppState>,
    request: UnitAction<FilingChange, NoteBody>,
    path: web::Path<(String, String)>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let UnitAction { access, body } = request;
    let (_, id) = path.into_inner();
    let text = domain::filing::check_note(&body.body)
        .map_err(|e| crate::app::problem(&state, lang, None, e))?;
    let render = |notes: Vec<persistence::filings::Note>| Reply {
        status: actix_web::http::StatusCode::CREATED,
        headers: Vec::new(),
        body: serde_json::to_value(Notes {
            notes: notes.iter().map(NoteView::from).collect(),
        })
        .unwrap_or_default(),
    };
    let caller = format!("officer:{}", access.officer.id);
    let request = serde_json::json!({"body": text});
    idempotency::run(&req, &caller, &request, |key| {
        usecase::add_note(
            &state,
            access.officer,
            (&access.unit, &id),
            text,
            access.request_id,
            (key, render),
        )
    })
    .await
}

/// Internal notes of a filing
///
/// The unit's internal notes on one of its filings, oldest first. Members only; the read
/// is audited as a consultation.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing")),
    responses(
        (status = 200, description = "The filing's notes", body = Notes),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/filings/{id}/notes")]
pub async fn list_notes(
    state: web::Data<AppState>,
    access: UnitAccess<FilingRead>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let event = consultation(
        &access.officer,
        &access.unit,
        ("filing", Some(&id)),
        access.request_id,
    )
    .with_action("list_notes");
    let loaded = usecase::get(&state, &access.officer, &access.unit, &id, event, None).await?;
    Ok(HttpResponse::Ok().json(Notes {
        notes: loaded.notes.iter().map(NoteView::from).collect(),
    }))
}

/// The export's justification (required, trimmed, bounded) and format (`json` by
/// default, `xml` or `text`).
fn export_request(query: &ExportQuery) -> Result<(String, &str), ApiError> {
    let justification = query
        .justification
        .as_deref()
        .map(str::trim)
        .filter(|j| !j.is_empty() && j.chars().count() <= limits::JUSTIFICATION_MAX_CHARS)
        .ok_or_else(|| invalid("justification", "required"))?
        .to_owned();
    let format = query.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "xml" | "text") {
        return Err(invalid("format", "unknown_option"));
    }
    Ok((justification, format))
}

/// The audit events of an export: the disclosure of the filing to the records system,
/// and that of the complainant's identity (recorded when there is one), both with the
/// justification.
fn disclosure_events(
    access: &UnitAccess<FilingExport>,
    id: &str,
    justification: String,
) -> (domain::audit::AuditEvent, domain::audit::AuditEvent) {
    let mut event = consultation(
        &access.officer,
        &access.unit,
        ("filing", Some(id)),
        access.request_id.clone(),
    );
    event.operation = AuditOperation::Disclosure;
    event.action = domain::audit::default_action(AuditOperation::Disclosure, "filing");
    event.justification = Some(justification);
    event.recipient = Some("police_records_system".into());
    let mut identity_read = event.clone();
    identity_read.object_type = usecase::IDENTITY_OBJECT.into();
    identity_read.action =
        domain::audit::default_action(AuditOperation::Disclosure, usecase::IDENTITY_OBJECT);
    (event, identity_read)
}

/// Export a filing for the records system
///
/// The filing field by field, so that officers re-use it without retyping: JSON, XML or
/// text. A justification is required; the export is recorded as a disclosure.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing"), ExportQuery),
    responses(
        (status = 200, description = "The filing, field by field, in the `format` asked for", content(
            (Object = "application/json", example = json!({"fields": [{"key": "reference", "label": "Reference", "value": "EC-2026-7K2Q-9XHM-C"}]})),
            (String = "application/xml", example = json!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<filing>\n  <field key=\"reference\" label=\"Reference\">EC-2026-7K2Q-9XHM-C</field>\n</filing>\n")),
            (String = "text/plain", example = json!("Reference: EC-2026-7K2Q-9XHM-C\n")),
        )),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No justification, or an unknown format", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/filings/{id}/export")]
pub async fn export(
    state: web::Data<AppState>,
    request: UnitQuery<FilingExport, ExportQuery>,
    path: web::Path<(String, String)>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let UnitQuery { access, query } = request;
    let (_, id) = path.into_inner();
    let (justification, format) = export_request(&query)?;
    let (event, identity_read) = disclosure_events(&access, &id, justification);
    let loaded = usecase::get(
        &state,
        &access.officer,
        &access.unit,
        &id,
        event,
        Some(identity_read),
    )
    .await?;
    let fields = records::export_fields(&state, &loaded, lang);
    Ok(match format {
        "xml" => HttpResponse::Ok()
            .content_type("application/xml; charset=utf-8")
            .body(records::xml(&fields)),
        "text" => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body(records::text(&fields)),
        _ => HttpResponse::Ok().json(records::json(&fields)),
    })
}

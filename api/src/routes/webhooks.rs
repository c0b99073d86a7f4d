//! Webhook endpoints (issue 16): a partner manages its own with a client-credentials
//! token (`/v1/partner/webhook-endpoints`), administrators a partner's
//! (`/v1/partners/{partner_id}/webhook-endpoints`). The use cases are `app::webhooks`'.
//! The events themselves are in the contract's `webhooks` section (`WebhookEvent`).

use crate::actors::{Officer, PartnerMachine};
use crate::app::webhooks as usecase;
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::middleware::RequestId;
use crate::routes::partners::{AddEndpoint, AdminBody};
use crate::state::AppState;
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use domain::webhooks::{Endpoint, EndpointInput};
use persistence::webhooks::Delivery;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The type of a webhook event.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub enum EventTypeCode {
    #[serde(rename = "filing.submitted")]
    Submitted,
    #[serde(rename = "filing.taken_in_charge")]
    TakenInCharge,
    #[serde(rename = "filing.info_requested")]
    InfoRequested,
    #[serde(rename = "filing.registered")]
    Registered,
    #[serde(rename = "filing.rejected")]
    Rejected,
    #[serde(rename = "filing.redirected")]
    Redirected,
    #[serde(rename = "filing.transferred")]
    Transferred,
    #[serde(rename = "filing.closed")]
    Closed,
    #[serde(rename = "filing.withdrawn")]
    Withdrawn,
}

/// A webhook endpoint to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://hooks.guichet.public.lu/e-commissariat",
    "event_types": ["filing.registered", "filing.closed"], "description": "Status of my procedures"}))]
pub struct EndpointBody {
    /// An absolute `https` URL (no credentials, no fragment) whose host resolves to public
    /// addresses only.
    #[schema(max_length = 2000)]
    pub url: String,
    /// The events to receive; default all.
    #[serde(default)]
    #[schema(value_type = Option<Vec<EventTypeCode>>, min_items = 1)]
    pub event_types: Option<Vec<String>>,
    /// A label, one line, with the rule of a partner's name (`invalid_name_character`).
    #[serde(default)]
    #[schema(max_length = 200)]
    pub description: Option<String>,
}

/// A webhook endpoint. Its events are signed with the partner's signing secret.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 7, "url": "https://hooks.guichet.public.lu/e-commissariat",
    "event_types": ["filing.registered", "filing.closed"], "description": "Status of my procedures",
    "disabled": false, "created_at": "2026-12-03T10:00:00Z"}))]
pub struct EndpointView {
    pub id: i64,
    pub url: String,
    #[schema(value_type = Vec<EventTypeCode>)]
    pub event_types: Vec<String>,
    pub description: String,
    /// Disabled: nothing more is sent to it; its log stays readable.
    pub disabled: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<Endpoint> for EndpointView {
    fn from(e: Endpoint) -> Self {
        EndpointView {
            id: e.id,
            url: e.url,
            event_types: e
                .event_types
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect(),
            description: e.description,
            disabled: e.disabled_at.is_some(),
            created_at: e.created_at,
            disabled_at: e.disabled_at,
        }
    }
}

/// A partner's webhook endpoints, oldest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": 7, "url": "https://hooks.guichet.public.lu/e-commissariat",
    "event_types": ["filing.closed"], "description": "", "disabled": false,
    "created_at": "2026-12-03T10:00:00Z"}]}))]
pub struct EndpointList {
    pub items: Vec<EndpointView>,
}

/// One delivery attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    pub attempted_at: chrono::DateTime<chrono::Utc>,
    /// The receiver's status code, when it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    /// Why it failed: `http_<code>`, `timeout`, `connection_failed`,
    /// `redirect_not_followed`, `address_refused`, `endpoint_disabled`, `partner_disabled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// One event sent (or being sent) to an endpoint, with its attempts.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    /// The `webhook-id` header it carries (the same at every attempt).
    #[schema(example = "msg_42")]
    pub webhook_id: String,
    #[schema(value_type = EventTypeCode)]
    pub event_type: String,
    pub filing_id: String,
    /// `pending` (next attempt at `next_attempt_at`), `sending`, `sent`, `failed`
    /// (refused for good) or `dead` (retries exhausted).
    pub status: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<chrono::DateTime<chrono::Utc>>,
    pub attempts: Vec<AttemptView>,
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        DeliveryView {
            id: d.outbox_id,
            webhook_id: crate::delivery::webhooks::message_id(d.outbox_id),
            event_type: d.event_type,
            filing_id: d.filing_id,
            status: d.status,
            created_at: d.created_at,
            sent_at: d.sent_at,
            next_attempt_at: d.next_attempt_at,
            attempts: d
                .attempts
                .into_iter()
                .map(|a| AttemptView {
                    attempted_at: a.at,
                    status_code: a.status_code,
                    error: a.error,
                    duration_ms: a.duration_ms,
                })
                .collect(),
        }
    }
}

/// The delivery log of an endpoint, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": 42, "webhook_id": "msg_42",
    "event_type": "filing.registered", "filing_id": "01JDX3M4W7K2Q9", "status": "sent",
    "created_at": "2026-12-03T10:00:00Z", "sent_at": "2026-12-03T10:00:03Z",
    "attempts": [
        {"attempted_at": "2026-12-03T10:00:00Z", "status_code": 500, "error": "http_500", "duration_ms": 41},
        {"attempted_at": "2026-12-03T10:00:03Z", "status_code": 200, "duration_ms": 38}
    ]}]}))]
pub struct DeliveryList {
    pub items: Vec<DeliveryView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// Deliveries older than this one (the last `id` of the previous page).
    #[param(minimum = 1)]
    pub before: Option<i64>,
    /// Page size; default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

fn input(body: EndpointBody) -> EndpointInput {
    EndpointInput {
        url: body.url,
        event_types: body.event_types,
        description: body.description,
    }
}

/// Register a webhook endpoint (partner)
///
/// With a client-credentials token of a partner holding the `webhooks` scope. The URL's
/// host is resolved now: an address that is loopback, private, link-local or the
/// metadata service is refused (`address_not_allowed`), and checked again at every
/// delivery. At most 10 endpoints. Audited (`add_webhook_endpoint`).
#[utoipa::path(
    operation_id = "register_webhook_endpoint",
    tag = "webhooks",
    security(("bearer" = [])),
    request_body = EndpointBody,
    responses(
        (status = 201, description = "Registered; `Location` names it", body = EndpointView),
        (status = 401, description = "No valid token, or a client nobody registered", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner's client-credentials token with the `webhooks` scope, or a disabled partner", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid member (`invalid_url`, `address_not_allowed`, `unknown_option`, `too_many`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/partner/webhook-endpoints")]
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    partner: PartnerMachine,
    JsonBody(body): JsonBody<EndpointBody>,
) -> Result<HttpResponse, ApiError> {
    let actor = partner.audit_actor();
    let endpoint = usecase::register(
        &state,
        &partner.partner.id,
        input(body),
        actor,
        RequestId::of(&req),
    )
    .await?;
    let location = format!("/v1/partner/webhook-endpoints/{}", endpoint.id);
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::LOCATION, location))
        .json(EndpointView::from(endpoint)))
}

/// List the partner's webhook endpoints (partner)
#[utoipa::path(
    operation_id = "list_webhook_endpoints",
    tag = "webhooks",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every endpoint of the partner, disabled ones too", body = EndpointList),
        (status = 401, description = "No valid token, or a client nobody registered", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner's client-credentials token with the `webhooks` scope", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/partner/webhook-endpoints")]
pub async fn list(
    state: web::Data<AppState>,
    partner: PartnerMachine,
) -> Result<HttpResponse, ApiError> {
    let items = usecase::list(&state, &partner.partner.id).await?;
    Ok(HttpResponse::Ok().json(EndpointList {
        items: items.into_iter().map(EndpointView::from).collect(),
    }))
}

/// Read a webhook endpoint (partner)
#[utoipa::path(
    operation_id = "show_webhook_endpoint",
    tag = "webhooks",
    security(("bearer" = [])),
    params(("endpoint_id" = i64, Path, description = "Id of the endpoint")),
    responses(
        (status = 200, description = "The endpoint", body = EndpointView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner's client-credentials token with the `webhooks` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint among the partner's (`webhook_endpoint_not_found`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/partner/webhook-endpoints/{endpoint_id}")]
pub async fn show(
    state: web::Data<AppState>,
    partner: PartnerMachine,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let endpoint = usecase::get(&state, &partner.partner.id, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(EndpointView::from(endpoint)))
}

/// Disable a webhook endpoint (partner)
///
/// Nothing more is sent to it; what was waiting fails (`endpoint_disabled`). Its
/// delivery log stays readable. Audited (`disable_webhook_endpoint`).
#[utoipa::path(
    operation_id = "disable_webhook_endpoint",
    tag = "webhooks",
    security(("bearer" = [])),
    params(("endpoint_id" = i64, Path, description = "Id of the endpoint")),
    responses(
        (status = 204, description = "Disabled (again, if it was)"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner's client-credentials token with the `webhooks` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint among the partner's (`webhook_endpoint_not_found`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/partner/webhook-endpoints/{endpoint_id}")]
pub async fn disable(
    req: HttpRequest,
    state: web::Data<AppState>,
    partner: PartnerMachine,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let actor = partner.audit_actor();
    let (partner_id, request_id) = (partner.partner.id, RequestId::of(&req));
    usecase::disable(&state, &partner_id, id.into_inner(), actor, request_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Read an endpoint's delivery log (partner)
///
/// Every event sent to the endpoint, newest first, with each attempt: when, the
/// receiver's status code or the failure, how long it took.
#[utoipa::path(
    operation_id = "list_webhook_deliveries",
    tag = "webhooks",
    security(("bearer" = [])),
    params(("endpoint_id" = i64, Path, description = "Id of the endpoint"), DeliveryQuery),
    responses(
        (status = 200, description = "The deliveries", body = DeliveryList),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner's client-credentials token with the `webhooks` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint among the partner's (`webhook_endpoint_not_found`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/partner/webhook-endpoints/{endpoint_id}/deliveries")]
pub async fn deliveries(
    state: web::Data<AppState>,
    partner: PartnerMachine,
    id: web::Path<i64>,
    query: web::Query<DeliveryQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = query.limit.unwrap_or(50).clamp(1, 200);
    let partner_id = &partner.partner.id;
    let items =
        usecase::deliveries(&state, partner_id, id.into_inner(), query.before, limit).await?;
    Ok(HttpResponse::Ok().json(DeliveryList {
        items: items.into_iter().map(DeliveryView::from).collect(),
    }))
}

/// Send a delivery again (partner)
///
/// A `failed` or `dead` delivery is due again now, with a fresh budget of attempts.
/// Audited (`redeliver_webhook`).
#[utoipa::path(
    operation_id = "redeliver_webhook",
    tag = "webhooks",
    security(("bearer" = [])),
    params(
        ("endpoint_id" = i64, Path, description = "Id of the endpoint"),
        ("delivery_id" = i64, Path, description = "Id of the delivery"),
    ),
    responses(
        (status = 204, description = "Due again"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner's client-credentials token with the `webhooks` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint or delivery (`webhook_endpoint_not_found`, `webhook_delivery_not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Still on its way, or delivered (`webhook_not_redeliverable`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/partner/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver")]
pub async fn redeliver(
    req: HttpRequest,
    state: web::Data<AppState>,
    partner: PartnerMachine,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (endpoint, delivery) = path.into_inner();
    let actor = partner.audit_actor();
    let target = (partner.partner.id.as_str(), endpoint, delivery);
    usecase::redeliver(&state, target, actor, RequestId::of(&req)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A partner's webhook endpoints (administrators)
#[utoipa::path(
    operation_id = "list_partner_webhook_endpoints",
    tag = "partners",
    security(("bearer" = [])),
    params(("partner_id" = String, Path, description = "Id of the partner")),
    responses(
        (status = 200, description = "Every endpoint of the partner, disabled ones too", body = EndpointList),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such partner (`partner_not_found`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/partners/{partner_id}/webhook-endpoints")]
pub async fn admin_list(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    super::partners::administrator(&state, &req, &officer, "view_partner", Some(&id)).await?;
    super::partners::existing(&state, &id).await?;
    let items = usecase::list(&state, &id).await?;
    Ok(HttpResponse::Ok().json(EndpointList {
        items: items.into_iter().map(EndpointView::from).collect(),
    }))
}

/// Register a webhook endpoint for a partner (administrators)
///
/// The same rules as the partner's own registration. Audited (`add_webhook_endpoint`).
#[utoipa::path(
    operation_id = "register_partner_webhook_endpoint",
    tag = "partners",
    security(("bearer" = [])),
    params(("partner_id" = String, Path, description = "Id of the partner")),
    request_body = EndpointBody,
    responses(
        (status = 201, description = "Registered", body = EndpointView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such partner (`partner_not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid member (`invalid_url`, `address_not_allowed`, `unknown_option`, `too_many`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/partners/{partner_id}/webhook-endpoints")]
pub async fn admin_create(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    AdminBody { admin, body, .. }: AdminBody<AddEndpoint, EndpointBody>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    super::partners::existing(&state, &id).await?;
    let actor = admin.audit_actor(None);
    let endpoint = usecase::register(&state, &id, input(body), actor, RequestId::of(&req)).await?;
    Ok(HttpResponse::Created().json(EndpointView::from(endpoint)))
}

/// Problem codes of webhooks; each has a text in every API language.
pub const PROBLEM_CODES: [&str; 3] = [
    "webhook_endpoint_not_found",
    "webhook_delivery_not_found",
    "webhook_not_redeliverable",
];

/// What a webhook event's `data` says: ids, status and times, never the facts or the
/// citizen's contact.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"filing_id": "01JDX3M4W7K2Q9", "reference": "BE-2026-000042",
    "status": "registered", "previous_status": "taken_in_charge",
    "changed_at": "2026-12-03T10:00:00.000Z", "href": "/v1/filings/01JDX3M4W7K2Q9"}))]
pub struct WebhookEventData {
    pub filing_id: String,
    /// The filing's reference, once submitted.
    pub reference: Option<String>,
    /// The status reached.
    pub status: String,
    pub previous_status: Option<String>,
    pub changed_at: chrono::DateTime<chrono::Utc>,
    /// The filing in this API (read it with the citizen's token, through the partner).
    pub href: String,
}

/// A webhook event, as POSTed to a partner's endpoint (Standard Webhooks): signed in
/// `webhook-signature`, identified by `webhook-id` (the same at every attempt).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"type": "filing.registered", "timestamp": "2026-12-03T10:00:00.000Z",
    "data": {"filing_id": "01JDX3M4W7K2Q9", "reference": "BE-2026-000042",
    "status": "registered", "previous_status": "taken_in_charge",
    "changed_at": "2026-12-03T10:00:00.000Z", "href": "/v1/filings/01JDX3M4W7K2Q9"}}))]
pub struct WebhookEvent {
    #[serde(rename = "type")]
    #[schema(value_type = EventTypeCode)]
    pub event_type: String,
    pub timestamp: chrono::DateTime<chrono::Utc>,
    pub data: WebhookEventData,
}

/// The contract's `webhooks` section (OpenAPI 3.1): one POST per event type, its
/// headers and its body, so that partners generate their receivers from it.
pub fn contract_webhooks() -> serde_json::Value {
    let header = |name: &str, description: &str, example: &str| {
        serde_json::json!({"name": name, "in": "header", "required": true,
            "description": description, "schema": {"type": "string", "maxLength": 1000},
            "example": example})
    };
    let mut out = serde_json::Map::new();
    for event in domain::webhooks::EventType::ALL {
        let name = event.as_str();
        let status = name.trim_start_matches("filing.");
        out.insert(name.to_owned(), serde_json::json!({"post": {
            "operationId": format!("webhook_{}", name.replace('.', "_")),
            "tags": ["webhooks"],
            "summary": format!("A filing made through the partner is now {status}"),
            "description": "Sent to each of the partner's endpoints subscribed to this type, in the \
order of the changes per filing, at least once (deduplicate by `webhook-id`). Verify the signature \
as Standard Webhooks says: HMAC-SHA256 with the partner's secret (the base64 after `whsec_`) over \
`webhook-id.webhook-timestamp.body`; after a rotation two signatures are sent for 24 hours. Any 2xx \
answer ends the delivery; anything else, a redirect, or no answer within 10 s is retried with \
exponential backoff for about 3 days.",
            "security": [],
            "parameters": [
                header("webhook-id", "The event's id, the same at every attempt", "msg_42"),
                header("webhook-timestamp", "Unix seconds of this attempt", "1764756000"),
                header("webhook-signature", "Space-separated `v1,<base64>` signatures", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
            ],
            "requestBody": {"required": true, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/WebhookEvent"}}}},
            "responses": {
                "200": {"description": "Received (any 2xx)"},
                "default": {"description": "Not received: retried later"}
            }
        }}));
    }
    serde_json::Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{texts, API_LANGUAGES};

    #[test]
    fn the_contract_describes_every_event() {
        let document = crate::openapi::document();
        let hooks = document.webhooks.expect("a webhooks section");
        assert_eq!(hooks.paths.len(), domain::webhooks::EventType::ALL.len());
        let json = serde_json::to_value(&hooks).unwrap_or_default();
        let closed = &json["filing.closed"]["post"];
        assert_eq!(closed["parameters"].as_array().map(Vec::len), Some(3));
        assert_eq!(
            closed["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/WebhookEvent"
        );
    }

    #[test]
    fn every_webhook_problem_has_its_texts() {
        for lang in API_LANGUAGES {
            for code in PROBLEM_CODES {
                for part in ["title", "detail"] {
                    let key = format!("problem.{code}.{part}");
                    assert!(texts().exact(lang, &key).is_some(), "{lang}: {key}");
                }
            }
            for code in ["invalid_url", "address_not_allowed"] {
                let key = format!("field_error.{code}");
                assert!(texts().exact(lang, &key).is_some(), "{lang}: {key}");
            }
        }
    }
}

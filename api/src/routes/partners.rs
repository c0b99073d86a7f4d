//! The partner registry's admin API (`admin` role of the police identity provider):
//! register, list, read and disable partners, and rotate their webhook signing
//! secrets. Every change is in the audit trail (`object_type` `partner`); a refused
//! attempt too. The rules are `domain::partner`'s, the use cases `app::partners`'.

use crate::actors::admitted_then_body;
use crate::actors::Officer;
use crate::app::partners::{self as usecase, PartnerError, WithSecret};
use crate::app::{field_errors, now, with_db};
use crate::error::{ApiError, Problem};
use crate::middleware::RequestId;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{get, post, web, FromRequest, HttpRequest, HttpResponse};
use domain::audit::{AuditEvent, AuditOperation};
use domain::partner::{Partner, PartnerInput};
use domain::policy::{self, OfficerActor};
use futures_util::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What kind of front door a partner is.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartnerKindCode {
    NationalPortal,
    ZoneWebsite,
    MunicipalOffice,
    /// A municipality's lost-property office (issue 20): files the found objects it
    /// holds and hands them back (`docs/ITEMS.md`).
    LostPropertyOffice,
    Other,
}

/// What a partner may do: `filings` (act for a citizen with the citizen's token),
/// `webhooks` (with a client-credentials token: its webhook endpoints and delivery logs),
/// `lost_property` (a lost-property office's client-credentials token: the found objects
/// it holds, their candidates, the hand-back).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartnerScopeCode {
    Filings,
    Webhooks,
    LostProperty,
}

/// A partner's registration.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "id": "myguichet-lu", "name": "MyGuichet.lu", "kind": "national_portal",
    "client_ids": ["myguichet-portal"], "origins": ["https://guichet.public.lu"],
    "scopes": ["filings", "webhooks"], "quota_per_minute": 600
}))]
pub struct PartnerBody {
    /// A slug that names the partner for good: words of lowercase letters and digits
    /// joined by one `-` (no `-` first, last or twice in a row), 2 to 63 characters
    /// (`invalid_slug`).
    #[schema(pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", min_length = 2, max_length = 63)]
    pub id: String,
    /// Its display name, one line: no bidirectional control (U+061C, U+200E, U+200F,
    /// U+202A–U+202E, U+2066–U+2069), no invisible format character (Unicode category
    /// Cf: U+00AD, U+200B–U+200D, U+FEFF...), no line break, tab or other control
    /// character (`invalid_name_character`; `domain::names`).
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[schema(value_type = PartnerKindCode)]
    pub kind: String,
    /// For a `zone_website`: the unit whose zone the site serves (`GET /v1/units`),
    /// required; refused for the other kinds. A filing made there about a place in
    /// another unit's area still goes to that unit, and the citizen is told so.
    #[serde(default)]
    #[schema(
        example = "zp-ottignies-louvain-la-neuve",
        min_length = 1,
        max_length = 100
    )]
    pub unit: Option<String>,
    /// For a `lost_property_office`: its municipality (`GET /v1/municipalities`),
    /// required; refused for the other kinds. It sees only the found objects it filed.
    #[serde(default)]
    #[schema(example = "LU-luxembourg", min_length = 1, max_length = 100)]
    pub municipality: Option<String>,
    /// The OAuth client ids of its tokens (`azp` or `client_id`, RFC 9068), each 1 to
    /// 255 visible ASCII characters, registered to no other partner.
    #[schema(min_items = 1, max_items = 10)]
    pub client_ids: Vec<String>,
    /// Browser origins allowed to call the API (`https://host[:port]`, lowercase, no
    /// path); none by default.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub origins: Vec<String>,
    /// Default (when left out): `["filings"]`; when sent, at least one (`too_few`), each
    /// once (`duplicate_key`).
    #[serde(default)]
    #[schema(value_type = Option<Vec<PartnerScopeCode>>, min_items = 1)]
    pub scopes: Option<Vec<String>>,
    /// Requests per minute; default 600.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100000)]
    pub quota_per_minute: Option<i64>,
}

impl From<PartnerBody> for PartnerInput {
    fn from(b: PartnerBody) -> Self {
        PartnerInput {
            id: b.id,
            name: b.name,
            kind: b.kind,
            unit: b.unit,
            municipality: b.municipality,
            client_ids: b.client_ids,
            origins: b.origins,
            scopes: b.scopes,
            quota_per_minute: b.quota_per_minute,
        }
    }
}

/// A registered partner (never its signing secret).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "myguichet-lu", "name": "MyGuichet.lu", "kind": "national_portal",
    "client_ids": ["myguichet-portal"], "origins": ["https://guichet.public.lu"],
    "scopes": ["filings"], "quota_per_minute": 600, "disabled": false,
    "secret_rotated_at": "2026-12-02T10:00:00Z",
    "created_at": "2026-12-02T10:00:00Z", "updated_at": "2026-12-02T10:00:00Z"
}))]
pub struct PartnerView {
    pub id: String,
    pub name: String,
    #[schema(value_type = PartnerKindCode)]
    pub kind: String,
    /// A zone's website: the unit of its zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// A lost-property office: its municipality.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub municipality: Option<String>,
    pub client_ids: Vec<String>,
    pub origins: Vec<String>,
    #[schema(value_type = Vec<PartnerScopeCode>)]
    pub scopes: Vec<String>,
    pub quota_per_minute: u32,
    /// Disabled: its tokens are refused (403).
    pub disabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When the current signing secret was made.
    pub secret_rotated_at: chrono::DateTime<chrono::Utc>,
    /// Until when the previous signing secret still signs (a second signature is sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_secret_until: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<Partner> for PartnerView {
    fn from(p: Partner) -> Self {
        PartnerView {
            disabled: p.is_disabled(),
            id: p.id,
            name: p.name,
            kind: p.kind.as_str().to_owned(),
            unit: p.unit,
            municipality: p.municipality,
            client_ids: p.client_ids,
            origins: p.origins,
            scopes: p.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            quota_per_minute: p.quota_per_minute,
            disabled_at: p.disabled_at,
            secret_rotated_at: p.secret_rotated_at,
            previous_secret_until: p.previous_secret_until,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// A partner with its new webhook signing secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"partner": {
    "id": "myguichet-lu", "name": "MyGuichet.lu", "kind": "national_portal",
    "client_ids": ["myguichet-portal"], "origins": ["https://guichet.public.lu"],
    "scopes": ["filings"], "quota_per_minute": 600, "disabled": false,
    "secret_rotated_at": "2026-12-02T10:00:00Z",
    "created_at": "2026-12-02T10:00:00Z", "updated_at": "2026-12-02T10:00:00Z"
}, "signing_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwmXmfMmoMMXk="}))]
pub struct PartnerWithSecret {
    pub partner: PartnerView,
    /// The Standard Webhooks secret: `whsec_` and the base64 of 32 random bytes. Store it
    /// now: the service never shows it again.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub signing_secret: String,
}

impl From<WithSecret> for PartnerWithSecret {
    fn from(w: WithSecret) -> Self {
        PartnerWithSecret {
            partner: w.partner.into(),
            signing_secret: w.secret,
        }
    }
}

/// Every partner, by id.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{
    "id": "myguichet-lu", "name": "MyGuichet.lu", "kind": "national_portal",
    "client_ids": ["myguichet-portal"], "origins": ["https://guichet.public.lu"],
    "scopes": ["filings"], "quota_per_minute": 600, "disabled": false,
    "secret_rotated_at": "2026-12-02T10:00:00Z",
    "created_at": "2026-12-02T10:00:00Z", "updated_at": "2026-12-02T10:00:00Z"
}]}))]
pub struct PartnerList {
    pub items: Vec<PartnerView>,
}

impl From<PartnerError> for ApiError {
    fn from(e: PartnerError) -> Self {
        match e {
            PartnerError::Invalid(issues) => ApiError::Validation(field_errors(issues)),
            PartnerError::Conflict(id) => ApiError::PartnerConflict(id),
            PartnerError::NotFound(id) => ApiError::PartnerNotFound(id),
            PartnerError::Sealing(cause) => ApiError::Internal(cause),
            PartnerError::Persistence(e) => ApiError::Persistence(e),
        }
    }
}

/// The partner `id`, or 404 `partner_not_found`.
pub(crate) async fn existing(state: &web::Data<AppState>, id: &str) -> Result<Partner, ApiError> {
    let lookup = id.to_owned();
    with_db(state, move |conn| {
        Ok(persistence::partners::get(conn, &lookup)?)
    })
    .await?
    .ok_or_else(|| ApiError::PartnerNotFound(id.to_owned()))
}

/// The administrator behind the request, or 403 (the refusal audited).
pub(crate) async fn administrator(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    officer: &Officer,
    action: &str,
    id: Option<&str>,
) -> Result<OfficerActor, ApiError> {
    let officer = officer.actor();
    if policy::may_administer_partners(&officer) {
        return Ok(officer);
    }
    let mut event = AuditEvent::new(
        officer.audit_actor(None),
        AuditOperation::Alteration,
        usecase::OBJECT,
        id,
        now(),
    )
    .with_action(action)
    .denied();
    event.request_id = RequestId::of(req);
    crate::app::backoffice::record(state, event).await?;
    Err(ApiError::Forbidden)
}

/// What a body route of the registry does, for the audit event of a refusal.
pub trait AdminAction {
    const NAME: &'static str;
}

/// `register_partner`.
pub struct Register;
impl AdminAction for Register {
    const NAME: &'static str = "register_partner";
}

/// `add_webhook_endpoint` (for a partner, `partner_id` in the path).
pub struct AddEndpoint;
impl AdminAction for AddEndpoint {
    const NAME: &'static str = "add_webhook_endpoint";
}

/// An administrator, then the JSON body: the body is read only once the officer is
/// admitted, so that a caller without the right gets 403 (audited), never the body's
/// rules (as `routes::backoffice::access::UnitAction` does for the units).
pub struct AdminBody<A, T> {
    pub admin: OfficerActor,
    pub body: T,
    action: std::marker::PhantomData<A>,
}

impl<A: AdminAction + 'static, T: serde::de::DeserializeOwned + utoipa::ToSchema + 'static>
    FromRequest for AdminBody<A, T>
{
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let both = admitted_then_body(req, payload, |req, officer| async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| ApiError::Internal("no state".into()))?;
            let id = req.match_info().get("partner_id").map(str::to_owned);
            administrator(&state, &req, &officer, A::NAME, id.as_deref()).await
        });
        Box::pin(async move {
            let (admin, body) = both.await?;
            Ok(AdminBody {
                admin,
                body,
                action: std::marker::PhantomData,
            })
        })
    }
}

/// Register a partner (administrators)
///
/// Registers a portal, a zone's website or a municipal office with the OAuth client ids
/// of its tokens. Answers its webhook signing secret, once. Audited (`register_partner`).
#[utoipa::path(
    operation_id = "register_partner",
    tag = "partners",
    security(("bearer" = [])),
    request_body = PartnerBody,
    responses(
        (status = 201, description = "Registered; `Location` names it", body = PartnerWithSecret),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The id or a client id is registered already (`partner_conflict`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid member", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/partners")]
pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    AdminBody { admin, body, .. }: AdminBody<Register, PartnerBody>,
) -> Result<HttpResponse, ApiError> {
    let request_id = RequestId::of(&req);
    let state2 = state.clone();
    let created = with_db(&state, move |conn| {
        let actor = admin.audit_actor(None);
        Ok(usecase::register(
            conn,
            &state2.sealing,
            body.into(),
            &state2.reserved_client_ids,
            actor,
            now(),
            request_id,
        )?)
    })
    .await?;
    usecase::refresh_origins(&state).await?;
    let location = format!("/v1/partners/{}", created.partner.id);
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::LOCATION, location))
        .json(PartnerWithSecret::from(created)))
}

/// List the partners (administrators)
#[utoipa::path(
    operation_id = "list_partners",
    tag = "partners",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every partner, by id", body = PartnerList),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/partners")]
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
) -> Result<HttpResponse, ApiError> {
    administrator(&state, &req, &officer, "list_partners", None).await?;
    let partners = with_db(&state, |conn| Ok(persistence::partners::list(conn)?)).await?;
    Ok(HttpResponse::Ok().json(PartnerList {
        items: partners.into_iter().map(PartnerView::from).collect(),
    }))
}

/// Read a partner (administrators)
#[utoipa::path(
    tag = "partners",
    security(("bearer" = [])),
    params(("partner_id" = String, Path, description = "Id of the partner")),
    responses(
        (status = 200, description = "The partner", body = PartnerView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such partner (`partner_not_found`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/partners/{partner_id}")]
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    administrator(&state, &req, &officer, "view_partner", Some(&id)).await?;
    let partner = with_db(&state, {
        let id = id.clone();
        move |conn| Ok(persistence::partners::get(conn, &id)?)
    })
    .await?
    .ok_or(ApiError::PartnerNotFound(id))?;
    Ok(HttpResponse::Ok().json(PartnerView::from(partner)))
}

/// Disable a partner (administrators)
///
/// From now on its tokens are refused (403) and its webhooks stop. Audited
/// (`disable_partner`); disabling a disabled partner changes nothing.
#[utoipa::path(
    tag = "partners",
    security(("bearer" = [])),
    params(("partner_id" = String, Path, description = "Id of the partner")),
    responses(
        (status = 200, description = "The partner, disabled", body = PartnerView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such partner (`partner_not_found`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/partners/{partner_id}/disable")]
pub async fn disable(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let admin = administrator(&state, &req, &officer, "disable_partner", Some(&id)).await?;
    let request_id = RequestId::of(&req);
    let partner = with_db(&state, move |conn| {
        let actor = admin.audit_actor(None);
        Ok(usecase::disable(conn, &id, actor, now(), request_id)?)
    })
    .await?;
    usecase::refresh_origins(&state).await?;
    Ok(HttpResponse::Ok().json(PartnerView::from(partner)))
}

/// Rotate a partner's webhook signing secret (administrators)
///
/// Answers the new secret, once. For 24 hours the previous one still signs: each
/// delivery carries both signatures, so the receiver can switch without losing one.
/// Audited (`rotate_partner_secret`).
#[utoipa::path(
    tag = "partners",
    security(("bearer" = [])),
    params(("partner_id" = String, Path, description = "Id of the partner")),
    responses(
        (status = 200, description = "The partner and its new secret", body = PartnerWithSecret),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such partner (`partner_not_found`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/partners/{partner_id}/rotate-secret")]
pub async fn rotate_secret(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let admin = administrator(&state, &req, &officer, "rotate_partner_secret", Some(&id)).await?;
    let request_id = RequestId::of(&req);
    let state2 = state.clone();
    let rotated = with_db(&state, move |conn| {
        let actor = admin.audit_actor(None);
        Ok(usecase::rotate_secret(
            conn,
            &state2.sealing,
            &id,
            actor,
            now(),
            request_id,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(PartnerWithSecret::from(rotated)))
}

/// A partner's new Open311 API key, shown once.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"partner_id": "fixmystreet-be", "api_key": "o311_3q2-7wX1b9VYbq0dZL4m1y6o5v8s2k4j0h9g7f5d3c1"}))]
pub struct Open311Key {
    pub partner_id: String,
    /// `o311_` and 43 characters: the `api_key` of Open311's `POST requests`. Shown once;
    /// only its SHA-256 is kept.
    pub api_key: String,
}

/// Issue a partner's Open311 API key (administrators)
///
/// Answers a new key for Open311's `POST requests` (`docs/OPEN311.md`), once; the
/// previous key stops working. Audited (`issue_open311_key`).
#[utoipa::path(
    tag = "partners",
    security(("bearer" = [])),
    params(("partner_id" = String, Path, description = "Id of the partner")),
    responses(
        (status = 200, description = "The new key", body = Open311Key),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such partner (`partner_not_found`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/partners/{partner_id}/open311-key")]
pub async fn open311_key(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let admin = administrator(&state, &req, &officer, "issue_open311_key", Some(&id)).await?;
    let request_id = RequestId::of(&req);
    let (partner, api_key) = with_db(&state, move |conn| {
        let actor = admin.audit_actor(None);
        Ok(usecase::issue_open311_key(
            conn,
            &id,
            actor,
            now(),
            request_id,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Open311Key {
        partner_id: partner.id,
        api_key,
    }))
}

/// Problem codes of partners; each has a text in every API language.
pub const PROBLEM_CODES: [&str; 4] = [
    "partner_not_found",
    "partner_conflict",
    "unknown_client",
    "partner_disabled",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{texts, API_LANGUAGES};

    #[test]
    fn every_partner_problem_has_its_texts() {
        for lang in API_LANGUAGES {
            for code in PROBLEM_CODES {
                for part in ["title", "detail"] {
                    let key = format!("problem.{code}.{part}");
                    assert!(texts().exact(lang, &key).is_some(), "{lang}: {key}");
                }
            }
            for e in [
                ApiError::PartnerNotFound("p".into()),
                ApiError::PartnerConflict("p".into()),
                ApiError::UnknownClient,
                ApiError::PartnerDisabled("p".into()),
            ] {
                assert!(PROBLEM_CODES.contains(&e.code()));
                assert!(!e.to_problem(lang).detail.contains('{'));
            }
        }
    }
}

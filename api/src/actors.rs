//! The authenticated callers: the `Citizen` and `Officer` extractors (a verified token
//! of the right kind of account), and the same callers as the domain's actors
//! (`domain::policy`), so that handlers ask the policies instead of comparing role strings.

use crate::auth::{Identity, IssuerKind};
use crate::error::ApiError;
use crate::extract::CallerGate;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use domain::catalogue::DeclarantKind;
use domain::partner::Partner;
use domain::policy::{CitizenActor, OfficerActor, StaffRole};
use futures_util::future::LocalBoxFuture;

impl Citizen {
    /// The citizen as the domain sees them.
    pub fn actor(&self) -> CitizenActor {
        CitizenActor {
            id: self.0.user_id.clone(),
            declarant: if self.0.business.is_some() {
                DeclarantKind::Business
            } else {
                DeclarantKind::Person
            },
            assurance: self.0.assurance,
            client_id: self.0.client_id.clone(),
            partner: self.0.partner.clone(),
        }
    }
}

impl Officer {
    /// The officer as the domain sees them. The extractor admits only the staff roles
    /// (`domain::policy::StaffRole`); anything else reads as the least privileged.
    pub fn actor(&self) -> OfficerActor {
        OfficerActor {
            id: self.0.user_id.clone(),
            name: self.0.name.clone(),
            role: self
                .0
                .role
                .as_deref()
                .and_then(|r| r.parse().ok())
                .unwrap_or(StaffRole::Officer),
            units: self.0.units.clone(),
            client_id: self.0.client_id.clone(),
        }
    }
}

/// A citizen or a business declarant, authenticated by a national identity provider (or
/// the development IdP). A police account gets 403 here.
#[derive(Debug, Clone)]
pub struct Citizen(pub Identity);

/// The bearer token and the state to verify it with.
fn token_and_state(req: &HttpRequest) -> Result<(String, web::Data<AppState>), ApiError> {
    let token = crate::auth::bearer(req)?;
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::Internal("no state".into()))?;
    Ok((token, state))
}

impl FromRequest for Citizen {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let prepared = token_and_state(req);
        let pattern = req.match_pattern();
        let decision = CallerGate::open(req);
        let req = req.clone();
        Box::pin(async move {
            let _decision = decision;
            let (token, state) = prepared?;
            let identity = state.verifier.verify_fetching(&token).await?;
            let police = identity.issuer_kind == IssuerKind::Police
                || (identity.issuer_kind == IssuerKind::Development && identity.role.is_some());
            if police {
                return Err(ApiError::Forbidden.into());
            }
            let (identity, partner) = front_door(&state, identity, pattern.as_deref()).await?;
            let quota = match &partner {
                Some(partner) => {
                    origin_allowed(&req, partner)?;
                    partner_quota(partner)
                }
                None => (
                    "citizen",
                    format!("citizen:{}", identity.user_id),
                    state.rate_limits.citizen_per_minute,
                ),
            };
            crate::app::ratelimit::count(&state, &req, quota).await?;
            Ok(Citizen(identity))
        })
    }
}

/// The routes a partner may call for a citizen: the citizen's filings (made through it).
/// Anything else with a partner's token (the notification feed, appointments) is 403: it
/// would show what the citizen did elsewhere.
pub const PARTNER_ROUTES: [&str; 7] = [
    "/v1/filings",
    "/v1/filings/{id}",
    "/v1/filings/{id}/submit",
    "/v1/filings/{id}/withdraw",
    "/v1/filings/{id}/answers",
    "/v1/filings/{id}/receipt",
    "/v1/filings/{id}/preferences",
];

/// Which front door a citizen's token came through (issue 16): the token's client (`azp`
/// or `client_id`, RFC 9068) names a registered partner, or the police app. A partner
/// that is disabled, or without the `filings` scope, is 403 `partner_disabled` /
/// `forbidden`; a client-credentials token (`sub` = its client) is no citizen (403); a
/// client that is neither a partner's nor the app's (`auth.app_client_ids`, when set) is
/// 401 `unknown_client`.
async fn front_door(
    state: &web::Data<AppState>,
    mut identity: Identity,
    route: Option<&str>,
) -> Result<(Identity, Option<Partner>), ApiError> {
    let Some(client) = identity.client_id.clone() else {
        return match state.app_client_ids.is_empty() {
            true => Ok((identity, None)),
            false => Err(ApiError::UnknownClient),
        };
    };
    let partner = match state.not_partners.contains_key(&client) {
        true => None,
        false => {
            let lookup = client.clone();
            let partner = crate::app::with_db(state, move |conn| {
                Ok(persistence::partners::by_client(conn, &lookup)?)
            })
            .await?;
            if partner.is_none() {
                state.not_partners.insert(client, ());
            }
            partner
        }
    };
    match partner {
        Some(partner) if partner.is_disabled() => Err(ApiError::PartnerDisabled(partner.id)),
        Some(_) if identity.machine => Err(ApiError::Forbidden),
        Some(partner) if !partner.has_scope(domain::partner::PartnerScope::Filings) => {
            Err(ApiError::Forbidden)
        }
        Some(_) if !route.is_some_and(|r| PARTNER_ROUTES.contains(&r)) => Err(ApiError::Forbidden),
        Some(partner) => {
            identity.partner = Some(partner.id.clone());
            Ok((identity, Some(partner)))
        }
        None if state.app_client_ids.is_empty()
            || identity
                .client_id
                .as_ref()
                .is_some_and(|c| state.app_client_ids.contains(c)) =>
        {
            Ok((identity, None))
        }
        None => Err(ApiError::UnknownClient),
    }
}

/// A partner's quota: its own, whoever it acts for.
fn partner_quota(partner: &Partner) -> (&'static str, String, u32) {
    (
        "partner",
        format!("partner:{}", partner.id),
        partner.quota_per_minute,
    )
}

/// A browser request through a partner (an `Origin` header) must come from one of the
/// partner's registered origins (CORS per partner): another origin is 403, even one
/// that another partner registered.
fn origin_allowed(req: &HttpRequest, partner: &Partner) -> Result<(), ApiError> {
    match req.headers().get(actix_web::http::header::ORIGIN) {
        None => Ok(()),
        Some(origin)
            if partner
                .origins
                .iter()
                .any(|o| o.as_bytes() == origin.as_bytes()) =>
        {
            Ok(())
        }
        Some(_) => Err(ApiError::Forbidden),
    }
}

/// A police staff member (officer, supervisor, admin, auditor), from the police identity provider
/// (or the development IdP), with their unit memberships.
#[derive(Debug, Clone)]
pub struct Officer(pub Identity);

impl FromRequest for Officer {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let prepared = token_and_state(req);
        let decision = CallerGate::open(req);
        Box::pin(async move {
            let _decision = decision;
            let (token, state) = prepared?;
            let identity = state.verifier.verify_fetching(&token).await?;
            let staff = matches!(
                identity.issuer_kind,
                IssuerKind::Police | IssuerKind::Development
            ) && identity
                .role
                .as_deref()
                .is_some_and(|r| r.parse::<StaffRole>().is_ok());
            if !staff {
                return Err(ApiError::Forbidden.into());
            }
            Ok(Officer(identity))
        })
    }
}

/// The officer of `req`, admitted by `admit`, then the JSON body: the body is read only
/// once the caller is admitted, for routes whose right is decided after the token (a
/// unit's back office, the partner registry's administrators).
pub fn admitted_then_body<A, T, F>(
    req: &HttpRequest,
    payload: &mut Payload,
    admit: impl FnOnce(HttpRequest, Officer) -> F + 'static,
) -> LocalBoxFuture<'static, Result<(A, T), actix_web::Error>>
where
    F: std::future::Future<Output = Result<A, ApiError>> + 'static,
    T: serde::de::DeserializeOwned + utoipa::ToSchema + 'static,
{
    let officer = Officer::from_request(req, payload);
    let mut payload = payload.take();
    let req = req.clone();
    Box::pin(async move {
        let admitted = admit(req.clone(), officer.await?).await?;
        let crate::extract::JsonBody(body) =
            crate::extract::JsonBody::<T>::from_request(&req, &mut payload).await?;
        Ok((admitted, body))
    })
}

/// A partner calling for itself with a client-credentials token (issue 16): `sub` is
/// its client, its client id is registered to an enabled partner with the `webhooks`
/// scope. It manages its webhook endpoints and reads their delivery logs; it reads no
/// personal data. A client nobody registered is 401 `unknown_client`; a disabled
/// partner 403 `partner_disabled`; a citizen's or officer's token, or a partner without
/// the scope, 403 `forbidden`.
#[derive(Debug, Clone)]
pub struct PartnerMachine {
    pub partner: Partner,
    pub client_id: String,
}

impl PartnerMachine {
    /// The partner as the audit trail names it.
    pub fn audit_actor(&self) -> domain::audit::Actor {
        domain::audit::Actor {
            id: format!("partner:{}", self.partner.id),
            role: domain::audit::ActorRole::System,
            unit: None,
            client_id: Some(self.client_id.clone()),
        }
    }
}

/// The enabled partner of a client-credentials token holding `scope`, counted against
/// its quota: a client nobody registered is 401 `unknown_client`; a disabled partner
/// 403 `partner_disabled`; a citizen's or officer's token, or a partner without the
/// scope, 403 `forbidden`.
async fn machine_partner(
    req: HttpRequest,
    scope: domain::partner::PartnerScope,
) -> Result<(Partner, String), actix_web::Error> {
    let (token, state) = token_and_state(&req)?;
    let identity = state.verifier.verify_fetching(&token).await?;
    let (Some(client), true) = (identity.client_id.clone(), identity.machine) else {
        return Err(ApiError::Forbidden.into());
    };
    let lookup = client.clone();
    let partner = crate::app::with_db(&state, move |conn| {
        Ok(persistence::partners::by_client(conn, &lookup)?)
    })
    .await?;
    match partner {
        None => Err(ApiError::UnknownClient.into()),
        Some(p) if p.is_disabled() => Err(ApiError::PartnerDisabled(p.id).into()),
        Some(p) if !p.has_scope(scope) => Err(ApiError::Forbidden.into()),
        Some(partner) => {
            origin_allowed(&req, &partner)?;
            crate::app::ratelimit::count(&state, &req, partner_quota(&partner)).await?;
            Ok((partner, client))
        }
    }
}

impl FromRequest for PartnerMachine {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let decision = CallerGate::open(req);
        let req = req.clone();
        Box::pin(async move {
            let _decision = decision;
            let (partner, client_id) =
                machine_partner(req, domain::partner::PartnerScope::Webhooks).await?;
            Ok(PartnerMachine { partner, client_id })
        })
    }
}

/// A municipality's lost-property office calling for itself (issue 20,
/// `docs/ITEMS.md`): a client-credentials token of an enabled partner of kind
/// `lost_property_office` with the `lost_property` scope and a municipality. It files the
/// found objects it holds, reads their candidates and hands them back; it sees only the
/// found objects it filed. Refusals as for [`PartnerMachine`]; a partner of another
/// kind, 403 `forbidden`. Counted against the partner's quota.
#[derive(Debug, Clone)]
pub struct LostPropertyOffice(pub crate::app::lost_property::Office);

impl FromRequest for LostPropertyOffice {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let decision = CallerGate::open(req);
        let req = req.clone();
        Box::pin(async move {
            let _decision = decision;
            let (partner, client_id) =
                machine_partner(req, domain::partner::PartnerScope::LostProperty).await?;
            let municipality = partner
                .lost_property_municipality()
                .map(str::to_owned)
                .ok_or(ApiError::Forbidden)?;
            Ok(LostPropertyOffice(crate::app::lost_property::Office {
                partner: partner.id,
                client_id,
                municipality,
            }))
        })
    }
}

//! The authenticated callers: the `Citizen` and `Officer` extractors (a verified token
//! of the right kind of account), and the same callers as the domain's actors
//! (`domain::policy`), so that handlers ask the policies instead of comparing role strings.

use crate::auth::{Identity, IssuerKind};
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use domain::catalogue::DeclarantKind;
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
        Box::pin(async move {
            let (token, state) = prepared?;
            let identity = state.verifier.verify_fetching(&token).await?;
            let police = identity.issuer_kind == IssuerKind::Police
                || (identity.issuer_kind == IssuerKind::Development && identity.role.is_some());
            if police {
                return Err(ApiError::Forbidden.into());
            }
            let identity = front_door(&state, identity, pattern.as_deref()).await?;
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
) -> Result<Identity, ApiError> {
    let Some(client) = identity.client_id.clone() else {
        return match state.app_client_ids.is_empty() {
            true => Ok(identity),
            false => Err(ApiError::UnknownClient),
        };
    };
    let partner = crate::app::with_db(state, move |conn| {
        Ok(persistence::partners::by_client(conn, &client)?)
    })
    .await?;
    match partner {
        Some(partner) if partner.is_disabled() => Err(ApiError::PartnerDisabled(partner.id)),
        Some(_) if identity.machine => Err(ApiError::Forbidden),
        Some(partner) if !partner.has_scope(domain::partner::PartnerScope::Filings) => {
            Err(ApiError::Forbidden)
        }
        Some(_) if !route.is_some_and(|r| PARTNER_ROUTES.contains(&r)) => Err(ApiError::Forbidden),
        Some(partner) => {
            identity.partner = Some(partner.id);
            Ok(identity)
        }
        None if state.app_client_ids.is_empty()
            || identity
                .client_id
                .as_ref()
                .is_some_and(|c| state.app_client_ids.contains(c)) =>
        {
            Ok(identity)
        }
        None => Err(ApiError::UnknownClient),
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
        Box::pin(async move {
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

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
        Box::pin(async move {
            let (token, state) = prepared?;
            let identity = state.verifier.verify_fetching(&token).await?;
            let police = identity.issuer_kind == IssuerKind::Police
                || (identity.issuer_kind == IssuerKind::Development && identity.role.is_some());
            if police {
                return Err(ApiError::Forbidden.into());
            }
            Ok(Citizen(identity))
        })
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

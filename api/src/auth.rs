//! Bearer tokens from trusted identity providers (LuxTrust, Belgian eID/itsme,
//! FranceConnect, the police IdP; the development IdP locally).
//!
//! Validation: the key is found by `kid` among the trusted issuers' keys; the algorithm
//! must be the key's and one of RS256, ES256, EdDSA; `typ` must say JWT; `exp`, `iat`,
//! `iss`, `aud` and `sub` are required, `nbf` is honoured, clock leeway at most 60 s.
//! Tokens are accepted only in the `Authorization` header, never in the query string.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use domain::catalogue::Assurance;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::future::{ready, Ready};

/// The algorithms any trusted issuer may use.
const PINNED: [Algorithm; 3] = [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA];

/// Largest clock leeway accepted, in seconds.
pub const MAX_LEEWAY_SECS: u64 = 60;

/// What kind of accounts an issuer vouches for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IssuerKind {
    /// A national identity provider: citizens and business declarants.
    Citizen,
    /// The police identity provider: officers, supervisors, administrators.
    Police,
    /// The development IdP: all of them.
    Development,
}

pub struct TrustedIssuer {
    pub issuer: String,
    pub audience: String,
    pub kind: IssuerKind,
    /// `acr` value → level of assurance.
    pub acr: HashMap<String, Assurance>,
    /// Level when the token has no `acr` (or an unknown one).
    pub default_assurance: Assurance,
    keys: HashMap<String, (DecodingKey, Algorithm)>,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct KeyError(pub String);

fn algorithm_of(jwk: &Jwk) -> Option<Algorithm> {
    match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Some(Algorithm::RS256),
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => {
            Some(Algorithm::ES256)
        }
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
            Some(Algorithm::EdDSA)
        }
        _ => None,
    }
}

impl TrustedIssuer {
    /// An issuer whose keys are a JWKS document (keys without `kid` or of an algorithm
    /// outside RS256/ES256/EdDSA are refused).
    pub fn new(
        issuer: String,
        audience: String,
        kind: IssuerKind,
        jwks: &str,
        acr: HashMap<String, Assurance>,
        default_assurance: Assurance,
    ) -> Result<Self, KeyError> {
        let set: JwkSet =
            serde_json::from_str(jwks).map_err(|e| KeyError(format!("{issuer}: bad JWKS: {e}")))?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let kid = jwk
                .common
                .key_id
                .clone()
                .ok_or_else(|| KeyError(format!("{issuer}: a key has no kid")))?;
            let algorithm = algorithm_of(jwk).ok_or_else(|| {
                KeyError(format!("{issuer}: key {kid} is not RS256, ES256 or EdDSA"))
            })?;
            let key = DecodingKey::from_jwk(jwk)
                .map_err(|e| KeyError(format!("{issuer}: key {kid}: {e}")))?;
            keys.insert(kid, (key, algorithm));
        }
        if keys.is_empty() {
            return Err(KeyError(format!("{issuer}: no keys")));
        }
        Ok(Self {
            issuer,
            audience,
            kind,
            acr,
            default_assurance,
            keys,
        })
    }
}

/// The claims read from a token.
#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    #[allow(dead_code)]
    iat: i64,
    acr: Option<String>,
    name: Option<String>,
    email: Option<String>,
    locale: Option<String>,
    birthdate: Option<String>,
    national_number: Option<String>,
    business_id: Option<String>,
    business_name: Option<String>,
    role: Option<String>,
    #[serde(default)]
    units: Vec<String>,
    azp: Option<String>,
    client_id: Option<String>,
}

/// A verified caller.
#[derive(Debug, Clone)]
pub struct Identity {
    /// Pseudonymous and stable: a hash of the issuer with the subject. Logged and stored
    /// instead of any name.
    pub user_id: String,
    pub issuer_kind: IssuerKind,
    pub assurance: Assurance,
    pub name: Option<String>,
    pub email: Option<String>,
    pub locale: Option<String>,
    pub birthdate: Option<String>,
    /// Whether the token carried a national number with a valid checksum. The number
    /// itself is never stored (see docs/API-DESIGN.md).
    pub national_number_verified: bool,
    /// For a business declarant (a shop, a fuel station operator).
    pub business: Option<(String, Option<String>)>,
    /// For police accounts: `officer`, `supervisor` or `admin`, and unit memberships.
    pub role: Option<String>,
    pub units: Vec<String>,
    pub client_id: Option<String>,
}

/// All trusted issuers.
#[derive(Default)]
pub struct Verifier {
    pub issuers: Vec<TrustedIssuer>,
    pub leeway_secs: u64,
}

impl Verifier {
    pub fn verify(&self, token: &str) -> Result<Identity, ApiError> {
        let bad = |reason: &str| ApiError::InvalidToken(reason.to_owned());
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| bad("the token is not a JWT"))?;
        let typ = header
            .typ
            .as_deref()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if !matches!(typ.as_str(), "jwt" | "at+jwt" | "application/at+jwt") {
            return Err(bad("the typ header is not JWT"));
        }
        let kid = header
            .kid
            .as_deref()
            .ok_or_else(|| bad("the token names no key"))?;
        let (issuer, (key, algorithm)) = self
            .issuers
            .iter()
            .find_map(|i| i.keys.get(kid).map(|k| (i, k)))
            .ok_or_else(|| bad("unknown key"))?;
        if header.alg != *algorithm || !PINNED.contains(&header.alg) {
            return Err(bad("algorithm not allowed"));
        }
        let mut validation = Validation::new(*algorithm);
        validation.algorithms = vec![*algorithm];
        validation.leeway = self.leeway_secs.min(MAX_LEEWAY_SECS);
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_audience(&[&issuer.audience]);
        validation.set_issuer(&[&issuer.issuer]);
        let data = jsonwebtoken::decode::<Claims>(token, key, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            match e.kind() {
                K::ExpiredSignature => bad("the token has expired"),
                K::ImmatureSignature => bad("the token is not valid yet"),
                K::InvalidAudience => bad("the token is not for this service"),
                K::InvalidIssuer => bad("the token's issuer is not trusted"),
                K::InvalidSignature => bad("the signature is invalid"),
                K::MissingRequiredClaim(_) | K::Json(_) => bad("a required claim is missing"),
                _ => bad("the token is invalid"),
            }
        })?;
        let claims = data.claims;
        if claims.sub.trim().is_empty() {
            return Err(bad("a required claim is missing"));
        }
        let assurance = claims
            .acr
            .as_deref()
            .and_then(|acr| issuer.acr.get(acr).copied())
            .unwrap_or(issuer.default_assurance);
        let digest = Sha256::digest(format!("{}\u{0}{}", issuer.issuer, claims.sub).as_bytes());
        Ok(Identity {
            user_id: format!("u-{}", hex::encode(&digest[..12])),
            issuer_kind: issuer.kind,
            assurance,
            name: claims.name,
            email: claims.email,
            locale: claims.locale,
            birthdate: claims.birthdate,
            national_number_verified: claims
                .national_number
                .as_deref()
                .is_some_and(|n| domain::filing::NationalNumber::parse(n).is_ok()),
            business: claims.business_id.map(|id| (id, claims.business_name)),
            role: claims.role,
            units: claims.units,
            client_id: claims.azp.or(claims.client_id),
        })
    }
}

fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let query = req.query_string();
    if query
        .split('&')
        .any(|p| p.starts_with("access_token=") || p.starts_with("token="))
    {
        return Err(ApiError::InvalidToken(
            "tokens are accepted in the Authorization header only".into(),
        ));
    }
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .ok_or(ApiError::MissingToken)?
        .to_str()
        .map_err(|_| ApiError::InvalidToken("malformed Authorization header".into()))?;
    let (scheme, token) = header
        .split_once(' ')
        .ok_or_else(|| ApiError::InvalidToken("expected Bearer".into()))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::InvalidToken("expected Bearer".into()));
    }
    Ok(token.trim().to_owned())
}

/// A citizen or a business declarant, authenticated by a national identity provider (or
/// the development IdP). A police account gets 403 here.
#[derive(Debug, Clone)]
pub struct Citizen(pub Identity);

impl FromRequest for Citizen {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = (|| {
            let token = bearer(req)?;
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::Internal("no state".into()))?;
            let identity = state.verifier.verify(&token)?;
            let police = identity.issuer_kind == IssuerKind::Police
                || (identity.issuer_kind == IssuerKind::Development && identity.role.is_some());
            if police {
                return Err(ApiError::Forbidden);
            }
            Ok(Citizen(identity))
        })();
        ready(result.map_err(Into::into))
    }
}

/// A police staff member (officer, supervisor, admin), from the police identity provider
/// (or the development IdP), with their unit memberships.
#[derive(Debug, Clone)]
pub struct Officer(pub Identity);

impl Officer {
    pub fn role(&self) -> &str {
        self.0.role.as_deref().unwrap_or("officer")
    }

    pub fn is_member_of(&self, unit: &str) -> bool {
        self.0.units.iter().any(|u| u == unit)
    }
}

impl FromRequest for Officer {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = (|| {
            let token = bearer(req)?;
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::Internal("no state".into()))?;
            let identity = state.verifier.verify(&token)?;
            let staff = matches!(
                identity.issuer_kind,
                IssuerKind::Police | IssuerKind::Development
            ) && matches!(
                identity.role.as_deref(),
                Some("officer" | "supervisor" | "admin")
            );
            if !staff {
                return Err(ApiError::Forbidden);
            }
            Ok(Officer(identity))
        })();
        ready(result.map_err(Into::into))
    }
}

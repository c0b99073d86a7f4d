//! The development identity provider's endpoints. In the contract always; they answer
//! 404 when the provider is disabled (always so in production).

use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::state::AppState;
use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DevAccountKind {
    Citizen,
    Business,
    Officer,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "citizen", "subject": "alice", "assurance": "substantial", "name": "Alice Martin",
    "given_name": "Alice", "family_name": "Martin", "birthdate": "1985-07-30", "national_number": "85.07.30-033.28",
    "address": {"street_address": "Rue de la Station 12", "postal_code": "1340", "locality": "Ottignies-Louvain-la-Neuve", "country": "BE"},
    "locale": "fr"}))]
pub struct DevTokenRequest {
    pub kind: DevAccountKind,
    /// The account's subject at the IdP; a random one when absent.
    pub subject: Option<String>,
    /// `low`, `substantial` (default) or `high`.
    pub assurance: Option<String>,
    /// Full name (`name` claim).
    pub name: Option<String>,
    /// Given names (`given_name` claim).
    pub given_name: Option<String>,
    /// Surname (`family_name` claim).
    pub family_name: Option<String>,
    /// Birth date, `YYYY-MM-DD` (`birthdate` claim).
    pub birthdate: Option<String>,
    /// Postal address (OpenID Connect's `address` claim).
    pub address: Option<DevAddress>,
    pub email: Option<String>,
    pub locale: Option<String>,
    /// A Belgian national register number to put in the token (`national_number`
    /// claim); kept, sealed, on the citizen's filings when its check digits are valid.
    pub national_number: Option<String>,
    /// For a business: its registration number and name.
    pub business_id: Option<String>,
    pub business_name: Option<String>,
    /// For an officer: `officer`, `supervisor`, `admin` or `auditor` (default `officer`). Another
    /// value is 422 `unknown_option` whatever the kind.
    #[serde(default, deserialize_with = "known_role")]
    pub role: Option<String>,
    /// For an officer: the units they belong to.
    #[serde(default)]
    pub units: Vec<String>,
    /// Lifetime in seconds, 1 to 86400 (default 3600).
    #[schema(minimum = 1, maximum = 86400)]
    pub ttl_secs: Option<i64>,
    /// The client application the token is issued to (its `azp` claim), recorded in
    /// the audit trail; default `dev-client`.
    #[schema(min_length = 1, max_length = 100)]
    pub client_id: Option<String>,
}

/// A postal address, as OpenID Connect's `address` claim (§5.1.1).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DevAddress {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// The officer roles the development IdP signs.
pub const ROLES: &[&str] = &["officer", "supervisor", "admin", "auditor"];

/// `role`: absent, `null`, or one of [`ROLES`] (an unknown one is refused for every kind of
/// account, not only for officers).
fn known_role<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    let role = Option::<String>::deserialize(deserializer)?;
    match role {
        Some(r) if !ROLES.contains(&r.as_str()) => {
            Err(serde::de::Error::unknown_variant(&r, ROLES))
        }
        role => Ok(role),
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"access_token": "eyJhbGciOiJFZERTQSIsImtpZCI6ImRldi1pZHAtMSIsInR5cCI6IkpXVCJ9...", "token_type": "Bearer", "expires_in": 3600, "subject": "alice"}))]
pub struct DevToken {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: i64,
    pub subject: String,
}

/// Issue a development token
///
/// Development only: signs a token for a test citizen, business or officer at the chosen
/// level of assurance. Refused (404) when the development IdP is off, as in production.
#[utoipa::path(
    tag = "development",
    security(()),
    request_body = DevTokenRequest,
    responses(
        (status = 200, description = "A signed access token", body = DevToken),
        (status = 404, description = "The development IdP is disabled", body = Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "Invalid request", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/dev/tokens")]
pub async fn issue_token(
    state: web::Data<AppState>,
    JsonBody(body): JsonBody<DevTokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let idp = state.dev_idp.as_ref().ok_or(ApiError::DevIdpDisabled)?;
    let grant = TokenGrant::from_request(&body)?;
    let token = idp
        .sign(grant.claims, chrono::Utc::now().timestamp(), grant.ttl)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok().json(DevToken {
        access_token: token,
        token_type: "Bearer".into(),
        expires_in: grant.ttl,
        subject: grant.subject,
    }))
}

fn invalid(pointer: &str, code: &str) -> ApiError {
    ApiError::Validation(vec![crate::error::FieldError::new(pointer, code)])
}

/// What a development token says: its claims, its subject and its lifetime in seconds.
struct TokenGrant {
    claims: serde_json::Map<String, serde_json::Value>,
    subject: String,
    ttl: i64,
}

impl TokenGrant {
    /// Checks a request (the assurance level, a lifetime of 1 to 86400 seconds, an
    /// officer's role) and builds the claims: `sub`, `acr`, the optional identity claims,
    /// and the business's or the officer's own.
    fn from_request(body: &DevTokenRequest) -> Result<Self, ApiError> {
        let assurance = body.assurance.as_deref().unwrap_or("substantial");
        if assurance.parse::<domain::catalogue::Assurance>().is_err() {
            return Err(invalid("/assurance", "unknown_option"));
        }
        let ttl = body.ttl_secs.unwrap_or(3600);
        if !(1..=86_400).contains(&ttl) {
            return Err(invalid("/ttl_secs", "out_of_range"));
        }
        let subject = body
            .subject
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let mut claims = serde_json::Map::new();
        claims.insert("sub".into(), subject.clone().into());
        let client = body
            .client_id
            .as_deref()
            .unwrap_or(crate::devidp::DEFAULT_CLIENT_ID);
        if client.is_empty() || client.chars().count() > 100 {
            return Err(invalid("/client_id", "out_of_range"));
        }
        claims.insert("azp".into(), client.into());
        claims.insert("acr".into(), assurance.into());
        for (name, value) in [
            ("name", &body.name),
            ("given_name", &body.given_name),
            ("family_name", &body.family_name),
            ("birthdate", &body.birthdate),
            ("email", &body.email),
            ("locale", &body.locale),
            ("national_number", &body.national_number),
        ] {
            if let Some(value) = value {
                claims.insert(name.into(), value.clone().into());
            }
        }
        if let Some(address) = &body.address {
            // The contract names the countries the service knows; another is refused.
            if let Some(country) = &address.country {
                if country.parse::<domain::catalogue::Country>().is_err() {
                    return Err(invalid("/address/country", "unknown_option"));
                }
            }
            let address =
                serde_json::to_value(address).map_err(|e| ApiError::Internal(e.to_string()))?;
            claims.insert("address".into(), address);
        }
        account_claims(body, &mut claims)?;
        Ok(Self {
            claims,
            subject,
            ttl,
        })
    }
}

/// Adds the claims of the account's kind: a business's registration number and name, an
/// officer's role (`officer`, `supervisor`, `admin` or `auditor`) and units.
fn account_claims(
    body: &DevTokenRequest,
    claims: &mut serde_json::Map<String, serde_json::Value>,
) -> Result<(), ApiError> {
    match body.kind {
        DevAccountKind::Citizen => {}
        DevAccountKind::Business => {
            claims.insert(
                "business_id".into(),
                body.business_id
                    .clone()
                    .unwrap_or_else(|| "BE0000000000".into())
                    .into(),
            );
            if let Some(name) = &body.business_name {
                claims.insert("business_name".into(), name.clone().into());
            }
        }
        DevAccountKind::Officer => {
            let role = body.role.clone().unwrap_or_else(|| "officer".into());
            if !ROLES.contains(&role.as_str()) {
                return Err(invalid("/role", "unknown_option"));
            }
            claims.insert("role".into(), role.into());
            claims.insert("units".into(), body.units.clone().into());
        }
    }
    Ok(())
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "dev-idp-1", "alg": "EdDSA", "use": "sig"}]}))]
pub struct Jwks {
    #[schema(value_type = Vec<Object>)]
    pub keys: serde_json::Value,
}

/// The development IdP's public keys
#[utoipa::path(
    tag = "development",
    security(()),
    responses(
        (status = 200, description = "The JWKS", body = Jwks),
        (status = 404, description = "The development IdP is disabled", body = Problem,
            content_type = "application/problem+json"),
    )
)]
#[get("/dev/jwks")]
pub async fn jwks(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let idp = state.dev_idp.as_ref().ok_or(ApiError::DevIdpDisabled)?;
    Ok(HttpResponse::Ok().json(idp.jwks()))
}

//! Verifiable documents (issue 19; docs/DOCUMENTS.md): the published verification keys
//! (a JWKS) and the public online check of a QR code's credential. Both are public: a
//! border guard, an airline or an insurer has no account here.

use crate::app::credentials as usecase;
use crate::error::{ApiError, FieldError, Problem};
use crate::extract::JsonBody;
use crate::state::AppState;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use domain::credentials::CheckOutcome;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A JSON Web Key Set (RFC 7517) of Ed25519 public keys (RFC 8037).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "3f2c9a41d07b8e55", "alg": "EdDSA", "use": "sig"}]}))]
pub struct CredentialKeys {
    /// The current signing key first, then the retired keys still valid for the
    /// documents they signed.
    #[schema(value_type = Vec<Object>)]
    pub keys: Vec<serde_json::Value>,
}

/// The verification keys
///
/// The public keys that verify the documents' QR codes (receipts, authorisations): a
/// JWKS. A verifier selects the key by the credential's `kid`; keys stay published after
/// a rotation. Public; cache it.
#[utoipa::path(
    tag = "documents",
    security(()),
    responses((status = 200, description = "The keys, current first", body = CredentialKeys,
        content_type = "application/jwk-set+json"))
)]
#[get("/credentials/keys")]
pub async fn credential_keys(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/jwk-set+json")
        .insert_header(("Cache-Control", "public, max-age=300"))
        .body(state.credentials.jwks().to_string())
}

/// A credential to check: the content of a document's QR code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"credential": "eyJhbGciOiJFZERTQSIsImtpZCI6IjNmMmM5YTQxZDA3YjhlNTUiLCJ0eXAiOiJKV1QifQ.eyJ...In0.Q2x...Zw"}))]
pub struct CredentialToCheck {
    /// The QR code's content, a compact JWS (at most 4096 characters).
    #[schema(min_length = 1, max_length = 4096)]
    pub credential: String,
}

/// The answer of a check.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "valid", "kind": "complaint_receipt", "key_id": "3f2c9a41d07b8e55", "claims": {"iss": "urn:e-commissariat", "kind": "complaint_receipt", "iat": 1764490000, "nbf": 1764490000, "ref": "BE-2026-ABCD-1234", "submitted_at": "2026-11-30T08:06:40Z", "procedure": "bicycle_theft", "unit": "zp-ottignies-louvain-la-neuve", "items_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}}))]
pub struct CredentialCheck {
    /// `valid`, `revoked` (for a receipt: the complaint was withdrawn or erased since),
    /// `expired`, `not_yet_valid` or `invalid_signature` (altered, not signed by a
    /// published key, or not a credential of this service).
    #[schema(value_type = String, example = "valid")]
    pub status: CheckOutcome,
    /// What the credential certifies: `complaint_receipt` or
    /// `minor_travel_authorisation` (absent when the signature does not verify).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The key that signed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The credential's claims as signed: nothing the credential does not hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub claims: Option<serde_json::Value>,
}

/// Check a document
///
/// Checks the content of a document's QR code (a receipt's or an authorisation's):
/// whether it was signed by this service and still stands. Answers with the credential's
/// own claims and nothing more. Public, limited per address; each check is logged
/// without the credential's content.
#[utoipa::path(
    tag = "documents",
    security(()),
    request_body = CredentialToCheck,
    responses(
        (status = 200, description = "The outcome: `invalid_signature` too is an answer", body = CredentialCheck),
        (status = 422, description = "No credential, or a longer one than any this service issues", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many checks from this address (`too_many_requests`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/credentials/verify")]
pub async fn verify_credential(
    req: HttpRequest,
    state: web::Data<AppState>,
    JsonBody(body): JsonBody<CredentialToCheck>,
) -> Result<HttpResponse, ApiError> {
    crate::app::ratelimit::count(&state, &req, quota(&req, &state)).await?;
    check_length(&body.credential)?;
    let check = usecase::check(&state, body.credential, chrono::Utc::now()).await?;
    let (kind, key_id, claims) = match check.verified {
        Some((kind, verified)) => (
            Some(kind.to_string()),
            Some(verified.kid),
            Some(serde_json::Value::Object(verified.claims)),
        ),
        None => (None, None, None),
    };
    Ok(HttpResponse::Ok().json(CredentialCheck {
        status: check.outcome,
        kind,
        key_id,
        claims,
    }))
}

/// The check's quota: per address (`app::ratelimit::address_key`).
fn quota(req: &HttpRequest, state: &AppState) -> (&'static str, String, u32) {
    (
        "verify",
        crate::app::ratelimit::address_key(state, req, "verify"),
        state.verify_per_minute,
    )
}

fn check_length(credential: &str) -> Result<(), ApiError> {
    let max = domain::limits::CREDENTIAL_MAX_CHARS;
    match FieldError::text_length("/credential", credential, max) {
        Some(error) => Err(ApiError::Validation(vec![error])),
        None => Ok(()),
    }
}

//! Verifiable documents (issue 19): issuing a complaint receipt's credential and checking
//! any credential of the service. The check answers from the credential and one lookup
//! of whether its document still stands; it discloses nothing else, and each check is
//! logged with its outcome, kind and key, never with the credential's content.

use super::with_db;
use crate::credentials::Verified;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::web;
use chrono::{DateTime, Utc};
use domain::credentials::{
    items_digest, judge, CheckOutcome, CredentialKind, ListedItem, ReceiptClaims, Standing,
    Validity,
};
use domain::filing::{Filing, FilingStatus};
use serde_json::{Map, Value};

/// The items a receipt lists: what identifies each declared item.
pub fn listed_items(filing: &Filing) -> Vec<ListedItem> {
    filing.items().iter().filter_map(ListedItem::of).collect()
}

/// The credential of a submitted filing's receipt (the QR code's content); `None` before
/// submission. The same filing gives the same credential at every download: it is issued
/// at the submission and names no random id.
///
/// # Errors
/// The claims cannot be signed (not expected).
pub fn receipt_credential(state: &AppState, filing: &Filing) -> Result<Option<String>, ApiError> {
    let (Some(reference), Some(unit), Some(submitted_at)) =
        (&filing.reference, &filing.unit, filing.submitted_at)
    else {
        return Ok(None);
    };
    let claims = ReceiptClaims {
        reference: reference.as_str().to_owned(),
        submitted_at,
        procedure: filing.procedure.clone(),
        unit: unit.clone(),
        items_sha256: items_digest(&listed_items(filing)),
    };
    let validity = Validity {
        iat: submitted_at.timestamp(),
        nbf: submitted_at.timestamp(),
        exp: None,
    };
    let mut map = object(&validity)?;
    map.insert(
        "kind".into(),
        CredentialKind::ComplaintReceipt.as_str().into(),
    );
    map.extend(object(&claims)?);
    state
        .credentials
        .sign(map)
        .map(Some)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// The credential of a minor's travel authorisation: its kind, validity window and
/// minimal claims (`domain::travel::AuthorisationClaims`), signed.
///
/// # Errors
/// The claims cannot be signed (not expected).
pub fn travel_credential(
    state: &AppState,
    claims: &domain::travel::AuthorisationClaims,
    validity: &Validity,
) -> Result<String, ApiError> {
    let mut map = object(validity)?;
    map.insert(
        "kind".into(),
        CredentialKind::MinorTravelAuthorisation.as_str().into(),
    );
    map.extend(object(claims)?);
    state
        .credentials
        .sign(map)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

fn object<T: serde::Serialize>(value: &T) -> Result<Map<String, Value>, ApiError> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::Internal("claims are not an object".into())),
        Err(e) => Err(ApiError::Internal(e.to_string())),
    }
}

/// The answer to a check.
#[derive(Debug, Clone)]
pub struct Check {
    pub outcome: CheckOutcome,
    /// The verified credential (absent when its signature does not verify).
    pub verified: Option<(CredentialKind, Verified)>,
}

/// Checks a credential at `now`.
///
/// # Errors
/// The database, when the document's standing must be read.
pub async fn check(
    state: &web::Data<AppState>,
    token: String,
    now: DateTime<Utc>,
) -> Result<Check, ApiError> {
    let verified = match state.credentials.verify(token.trim()) {
        Ok(verified) => verified,
        Err(rejection) => {
            tracing::info!(
                outcome = CheckOutcome::InvalidSignature.as_str(),
                reason = rejection.as_str(),
                "credential checked"
            );
            return Ok(invalid());
        }
    };
    let claims = Value::Object(verified.claims.clone());
    let (Some(kind), Ok(validity)) = (
        claims
            .get("kind")
            .and_then(Value::as_str)
            .and_then(|k| k.parse::<CredentialKind>().ok()),
        serde_json::from_value::<Validity>(claims.clone()),
    ) else {
        tracing::info!(
            outcome = CheckOutcome::InvalidSignature.as_str(),
            reason = "not_a_credential",
            key_id = %verified.kid,
            "credential checked"
        );
        return Ok(invalid());
    };
    let standing = match kind {
        CredentialKind::ComplaintReceipt => {
            let Ok(receipt) = serde_json::from_value::<ReceiptClaims>(claims) else {
                return Ok(invalid());
            };
            receipt_standing(state, receipt.reference).await?
        }
        CredentialKind::MinorTravelAuthorisation => {
            let Ok(authorisation) =
                serde_json::from_value::<domain::travel::AuthorisationClaims>(claims)
            else {
                return Ok(invalid());
            };
            // A document the register does not hold is not one this service issued.
            match travel_standing(state, authorisation.jti).await? {
                Some(standing) => standing,
                None => return Ok(invalid()),
            }
        }
    };
    let outcome = judge(&validity, standing, now);
    tracing::info!(
        outcome = outcome.as_str(),
        kind = kind.as_str(),
        key_id = %verified.kid,
        "credential checked"
    );
    Ok(Check {
        outcome,
        verified: Some((kind, verified)),
    })
}

fn invalid() -> Check {
    Check {
        outcome: CheckOutcome::InvalidSignature,
        verified: None,
    }
}

/// A travel authorisation stands while the register holds it unrevoked; `None` when the
/// register does not know it. One read by primary key.
async fn travel_standing(
    state: &web::Data<AppState>,
    id: String,
) -> Result<Option<Standing>, ApiError> {
    let revoked = with_db(state, move |conn| {
        Ok(persistence::travel::standing(conn, &id)?)
    })
    .await?;
    Ok(revoked.map(|revoked| {
        if revoked {
            Standing::Revoked
        } else {
            Standing::Current
        }
    }))
}

/// A receipt stands while its filing exists and was not withdrawn.
async fn receipt_standing(
    state: &web::Data<AppState>,
    reference: String,
) -> Result<Standing, ApiError> {
    let status = with_db(state, move |conn| {
        Ok(persistence::filings::status_by_reference(conn, &reference)?)
    })
    .await?;
    let withdrawn = FilingStatus::Withdrawn.as_str();
    Ok(match status {
        Some(status) if status != withdrawn => Standing::Current,
        _ => Standing::Revoked,
    })
}

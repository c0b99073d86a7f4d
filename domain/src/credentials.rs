//! Verifiable documents (issue 19): what a signed credential says and how a check of one
//! is judged. The signature itself (a compact JWS, EdDSA over Ed25519) is the api's; here
//! are the claims, the canonical digest of a receipt's item list, and the verdict from the
//! claims' validity window, the document's revocation and `now`.
//!
//! A credential holds the minimum its reader needs: for a complaint receipt the
//! reference, the submission time, the procedure, the unit and a digest of the declared
//! items (not the items themselves: the insurer compares the digest with the list the
//! citizen shows them).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

crate::code_enum!(
    /// What a credential certifies.
    CredentialKind, "credential kind", {
        /// The acknowledgement of a submitted complaint (its receipt).
        ComplaintReceipt => "complaint_receipt",
        /// A minor's authorisation to travel abroad.
        MinorTravelAuthorisation => "minor_travel_authorisation",
    }
);

crate::code_enum!(
    /// The outcome of a check, as the public verification endpoint answers it.
    CheckOutcome, "check outcome", {
        /// Genuine, in its validity window and not revoked.
        Valid => "valid",
        /// Genuine, but revoked since (for a receipt: the complaint was withdrawn).
        Revoked => "revoked",
        /// Genuine, past its validity.
        Expired => "expired",
        /// Genuine, before its validity starts.
        NotYetValid => "not_yet_valid",
        /// Not signed by a published key, altered, or not a credential of this service.
        InvalidSignature => "invalid_signature",
    }
);

/// The claims every credential carries besides its kind's own (JWT registered claims,
/// RFC 7519, in seconds since the epoch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validity {
    /// Issued at.
    pub iat: i64,
    /// Not before.
    pub nbf: i64,
    /// Expiry; absent for a receipt, which does not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
}

/// Whether the document a genuine credential names stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// It stands.
    Current,
    /// Withdrawn, revoked or erased since the credential was issued.
    Revoked,
}

/// The verdict on a genuine credential (its signature verified) at `now`. A revocation
/// wins over the validity window: a revoked document is reported as revoked even after
/// its expiry.
pub fn judge(validity: &Validity, standing: Standing, now: DateTime<Utc>) -> CheckOutcome {
    let now = now.timestamp();
    if standing == Standing::Revoked {
        CheckOutcome::Revoked
    } else if now < validity.nbf {
        CheckOutcome::NotYetValid
    } else if validity.exp.is_some_and(|exp| now >= exp) {
        CheckOutcome::Expired
    } else {
        CheckOutcome::Valid
    }
}

/// A declared item as the receipt lists it: what identifies it, nothing else (no value,
/// colour or free description).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedItem {
    // Members in alphabetical order: the digest is over this serialisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    pub category: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The serial, frame or IMEI number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
}

impl ListedItem {
    /// The listed part of a filing's item (`facts.items[n]`); `None` without a category.
    pub fn of(item: &serde_json::Value) -> Option<Self> {
        let text = |key: &str| {
            item.get(key)
                .and_then(serde_json::Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        Some(Self {
            category: text("category")?,
            brand: text("brand"),
            model: text("model"),
            serial_number: text("serial_number"),
        })
    }
}

/// The items' digest a receipt's credential carries: SHA-256, in lowercase hex, of the
/// list as compact JSON with each object's members in alphabetical order and absent
/// members left out (what Python's `json.dumps(items, separators=(",", ":"),
/// sort_keys=True, ensure_ascii=False)` writes for the receipt's `declared_items`).
pub fn items_digest(items: &[ListedItem]) -> String {
    let canonical = serde_json::to_vec(items).unwrap_or_default();
    Sha256::digest(&canonical)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The claims of a complaint receipt's credential, besides the registered ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptClaims {
    /// The filing's reference number.
    #[serde(rename = "ref")]
    pub reference: String,
    /// When it was submitted (RFC 3339, UTC).
    pub submitted_at: DateTime<Utc>,
    /// The procedure's code.
    pub procedure: String,
    /// The competent unit's id.
    pub unit: String,
    /// `items_digest` of the declared items.
    pub items_sha256: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, 0).single().unwrap()
    }

    #[test]
    fn the_verdict_follows_the_window_and_the_standing() {
        let window = Validity {
            iat: 100,
            nbf: 200,
            exp: Some(300),
        };
        let cases = [
            (150, Standing::Current, CheckOutcome::NotYetValid),
            (200, Standing::Current, CheckOutcome::Valid),
            (299, Standing::Current, CheckOutcome::Valid),
            (300, Standing::Current, CheckOutcome::Expired),
            (150, Standing::Revoked, CheckOutcome::Revoked),
            (250, Standing::Revoked, CheckOutcome::Revoked),
            (400, Standing::Revoked, CheckOutcome::Revoked),
        ];
        for (now, standing, expected) in cases {
            assert_eq!(judge(&window, standing, at(now)), expected, "{now}");
        }
        let receipt = Validity {
            iat: 100,
            nbf: 100,
            exp: None,
        };
        assert_eq!(
            judge(&receipt, Standing::Current, at(i64::from(u32::MAX))),
            CheckOutcome::Valid
        );
    }

    #[test]
    fn the_digest_is_over_the_sorted_compact_list() {
        let item = ListedItem::of(&serde_json::json!({
            "category": "phone", "model": "Pixel 7", "brand": " Google ",
            "serial_number": "356938035643809", "colour": "black", "estimated_value_eur": 300
        }))
        .unwrap();
        let text = serde_json::to_string(std::slice::from_ref(&item)).unwrap();
        assert_eq!(
            text,
            r#"[{"brand":"Google","category":"phone","model":"Pixel 7","serial_number":"356938035643809"}]"#
        );
        let expected: String = Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(items_digest(std::slice::from_ref(&item)), expected);
        assert_ne!(items_digest(std::slice::from_ref(&item)), items_digest(&[]));
        assert!(ListedItem::of(&serde_json::json!({"brand": "x"})).is_none());
        let bare = ListedItem::of(&serde_json::json!({"category": "bicycle"})).unwrap();
        assert_eq!(
            serde_json::to_string(&bare).unwrap(),
            r#"{"category":"bicycle"}"#
        );
    }
}

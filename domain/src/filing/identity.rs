//! The complainant's identity, as their identity provider vouched for it: what an officer
//! needs to draw up the official report (name, birth date, address, national register
//! number) and, for a business declarant, the company's number and name.
//!
//! It is personal data of the most sensitive kind the service holds: captured on the
//! filing when it is created and again when it is submitted, stored sealed (encrypted,
//! `persistence::sealing`), shown only to officers of the competent unit, every read
//! audited; never in logs (its `Debug` form names which claims are present, never their
//! values), never in citizen-facing messages. Lawful basis: Directive (EU) 2016/680,
//! Art. 8, and the Belgian law of 30 July 2018 (Title 2), see `docs/API-DESIGN.md`.

use super::NationalNumber;
use serde::{Deserialize, Serialize};

/// Longest text kept from a claim, in characters; longer claims are cut (a trusted
/// provider's claims are not refused, but no claim may grow a row without bound).
pub const CLAIM_MAX_CHARS: usize = 300;

/// A postal address, as OpenID Connect's `address` claim gives it (§5.1.1).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostalAddress {
    /// The full address, as the provider formats it for a letter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

impl PostalAddress {
    pub fn is_empty(&self) -> bool {
        self == &PostalAddress::default()
    }
}

/// The identity claims of a citizen's sign-in. Every member is optional: providers differ
/// in what they give.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplainantIdentity {
    /// The full name (`name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Given names (`given_name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Surname (`family_name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// Birth date as the provider gives it (`birthdate`: `YYYY-MM-DD`, or `YYYY` alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthdate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<PostalAddress>,
    /// The Belgian national register number, 11 digits, kept only when its check digits
    /// are valid.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "national_number_digits"
    )]
    pub national_number: Option<NationalNumber>,
    /// A business declarant's registration number (`business_id`) and name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_name: Option<String>,
}

impl std::fmt::Debug for ComplainantIdentity {
    /// Which claims are present, never their values.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ComplainantIdentity {{ claims: {:?} }}", self.claims())
    }
}

impl ComplainantIdentity {
    /// Whether no claim is present (nothing to keep).
    pub fn is_empty(&self) -> bool {
        self.claims().is_empty()
    }

    /// The names of the claims present (`name`, `birthdate`, `national_number`...).
    pub fn claims(&self) -> Vec<&'static str> {
        let present = [
            ("name", self.name.is_some()),
            ("given_name", self.given_name.is_some()),
            ("family_name", self.family_name.is_some()),
            ("birthdate", self.birthdate.is_some()),
            (
                "address",
                self.address.as_ref().is_some_and(|a| !a.is_empty()),
            ),
            ("national_number", self.national_number.is_some()),
            ("business_id", self.business_id.is_some()),
            ("business_name", self.business_name.is_some()),
        ];
        present
            .into_iter()
            .filter(|(_, p)| *p)
            .map(|(n, _)| n)
            .collect()
    }

    /// A claim's text as kept: trimmed, empty as absent, at most [`CLAIM_MAX_CHARS`].
    pub fn claim(raw: Option<&str>) -> Option<String> {
        raw.map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| t.chars().take(CLAIM_MAX_CHARS).collect())
    }
}

impl std::fmt::Debug for PostalAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PostalAddress { <redacted> }")
    }
}

/// Serde of a national number as its 11 digits; a stored value with a bad checksum is an
/// error, never read as absent.
mod national_number_digits {
    use super::NationalNumber;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        value: &Option<NationalNumber>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(n) => s.serialize_str(n.as_str()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<NationalNumber>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|raw| NationalNumber::parse(&raw).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_debug_form_names_claims_never_values() {
        let identity = ComplainantIdentity {
            name: Some("Alice Martin".into()),
            birthdate: Some("1985-07-30".into()),
            national_number: NationalNumber::parse("85.07.30-033.28").ok(),
            address: Some(PostalAddress {
                locality: Some("Wavre".into()),
                ..PostalAddress::default()
            }),
            ..ComplainantIdentity::default()
        };
        let debug = format!("{identity:?} {:?}", identity.address);
        for secret in ["Alice", "1985", "85073003328", "Wavre"] {
            assert!(!debug.contains(secret), "{debug}");
        }
        assert!(debug.contains("national_number"), "{debug}");
    }

    #[test]
    fn it_round_trips_as_json_with_the_number_as_digits() {
        let identity = ComplainantIdentity {
            given_name: Some("Alice".into()),
            national_number: NationalNumber::parse("85.07.30-033.28").ok(),
            ..ComplainantIdentity::default()
        };
        let json = serde_json::to_string(&identity).unwrap();
        assert_eq!(
            json,
            r#"{"given_name":"Alice","national_number":"85073003328"}"#
        );
        assert_eq!(
            serde_json::from_str::<ComplainantIdentity>(&json).unwrap(),
            identity
        );
        assert!(serde_json::from_str::<ComplainantIdentity>(
            r#"{"national_number":"85073003329"}"#
        )
        .is_err());
        assert!(ComplainantIdentity::default().is_empty());
        assert_eq!(ComplainantIdentity::claim(Some("  ")), None);
        assert_eq!(
            ComplainantIdentity::claim(Some(&"x".repeat(400))).map(|c| c.len()),
            Some(CLAIM_MAX_CHARS)
        );
    }
}

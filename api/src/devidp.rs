//! The development identity provider: signs tokens for test citizens, businesses and
//! officers with an Ed25519 key made at start-up, and is trusted automatically. Enabled
//! by default in development, refused at start-up in production.

use crate::auth::{IssuerKind, TrustedIssuer};
use base64::Engine;
use domain::catalogue::Assurance;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use std::collections::HashMap;

pub const ISSUER: &str = "urn:e-commissariat:dev-idp";
pub const AUDIENCE: &str = "e-commissariat";
const KID: &str = "dev-idp-1";

pub struct DevIdp {
    key: EncodingKey,
    public_x: String,
}

#[derive(Debug, thiserror::Error)]
#[error("development IdP: {0}")]
pub struct DevIdpError(String);

impl DevIdp {
    pub fn new() -> Result<Self, DevIdpError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| DevIdpError(e.to_string()))?;
        // PKCS#8 wrapping of an Ed25519 private key (RFC 8410).
        let mut der = vec![
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        der.extend_from_slice(&seed);
        let public = ed25519_dalek::SigningKey::from_bytes(&seed)
            .verifying_key()
            .to_bytes();
        Ok(Self {
            key: EncodingKey::from_ed_der(&der),
            public_x: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(public),
        })
    }

    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": self.public_x, "kid": KID, "alg": "EdDSA", "use": "sig"}]})
    }

    /// The issuer entry that trusts this IdP; `acr` values are the level names.
    pub fn trusted(&self) -> Result<TrustedIssuer, DevIdpError> {
        let acr: HashMap<String, Assurance> = Assurance::ALL
            .iter()
            .map(|a| (a.as_str().to_owned(), *a))
            .collect();
        TrustedIssuer::new(
            ISSUER.into(),
            AUDIENCE.into(),
            IssuerKind::Development,
            &self.jwks().to_string(),
            acr,
            Assurance::Low,
        )
        .map_err(|e| DevIdpError(e.to_string()))
    }

    /// Signs `claims` (iss, aud, iat, nbf and exp are added).
    pub fn sign(
        &self,
        mut claims: serde_json::Map<String, serde_json::Value>,
        now: i64,
        ttl: i64,
    ) -> Result<String, DevIdpError> {
        claims.insert("iss".into(), ISSUER.into());
        claims.insert("aud".into(), AUDIENCE.into());
        claims.insert("iat".into(), now.into());
        claims.insert("nbf".into(), now.into());
        claims.insert("exp".into(), (now + ttl).into());
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(KID.into());
        header.typ = Some("JWT".into());
        jsonwebtoken::encode(&header, &claims, &self.key).map_err(|e| DevIdpError(e.to_string()))
    }
}

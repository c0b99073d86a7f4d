//! Signed credentials (issue 19): the documents' QR codes carry a compact JWS (RFC 7515)
//! signed with EdDSA over Ed25519 (RFC 8037), checkable offline by anyone holding the
//! published keys (`GET /v1/credentials/keys`, a JWKS) and online by the service
//! (`POST /v1/credentials/verify`).
//!
//! The signing key is held outside the database, like the audit log's: a private JWK
//! file (`credentials.signing_key_file`, default `<data_dir>/credential-signing-key.json`,
//! made on first start with mode 0600) or a base64 seed in the environment
//! (`ECOM__CREDENTIALS__SIGNING_KEY`). A key's `kid` is the first 8 bytes, in hex, of
//! SHA-256 over its public key. To rotate, give the new key and list the former public
//! key in `credentials.retired_public_keys`: the JWKS keeps publishing it, so that the
//! documents it signed keep verifying.
//!
//! `jsonwebtoken` encodes and verifies (it is the crate the service already trusts for
//! identity tokens); the claims' meaning and the verdict are `domain::credentials`'.

pub mod authorisation_pdf;
pub mod qr;

use crate::auditlog::keys::{decode_seed, key_id, parse_key_file, parse_public, save_key_file};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{SigningKey, VerifyingKey};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::Path;

/// The key file's name inside the data folder.
pub use crate::config::CREDENTIAL_KEY_FILE as KEY_FILE_NAME;

/// The JWS `typ` of the service's credentials.
pub const TYP: &str = "JWT";

const KEY_FILE_COMMENT: &str = "Signing key of the e-commissariat's verifiable documents \
    (the QR codes of receipts and authorisations). Whoever holds it can forge them: keep it \
    away from the database, its administrators and its backups. After a rotation, list the \
    old public key in credentials.retired_public_keys.";

#[derive(Debug, thiserror::Error)]
#[error("credential signing key: {0}")]
pub struct KeyError(pub String);

/// A verification key as published in the JWKS.
#[derive(Clone)]
struct PublishedKey {
    kid: String,
    x: String,
    decoding: DecodingKey,
}

/// The key that signs credentials and the keys that verify them (the current one first,
/// then the retired ones).
pub struct Credentials {
    signing: EncodingKey,
    kid: String,
    origin: String,
    issuer: String,
    published: Vec<PublishedKey>,
    by_kid: HashMap<String, usize>,
    validation: Validation,
}

/// Why a credential does not verify (the endpoint answers `invalid_signature` for all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// Not three base64url parts, or a header that is not JSON.
    Malformed,
    /// A `kid` the service never published, or none.
    UnknownKey,
    /// Another algorithm than EdDSA, or a signature that does not verify.
    BadSignature,
    /// Signed, but not by this issuer or without the claims a credential has.
    NotACredential,
}

impl Rejection {
    pub fn as_str(&self) -> &'static str {
        match self {
            Rejection::Malformed => "malformed",
            Rejection::UnknownKey => "unknown_key",
            Rejection::BadSignature => "bad_signature",
            Rejection::NotACredential => "not_a_credential",
        }
    }
}

/// A credential whose signature verified: its key and its claims, as signed.
#[derive(Debug, Clone)]
pub struct Verified {
    pub kid: String,
    pub claims: Map<String, Value>,
}

impl Credentials {
    /// The signer from `secret` (a base64 seed) when given, else from `file` (made there
    /// when absent), with the `retired` public keys (base64 of 32 bytes).
    ///
    /// # Errors
    /// A secret, file or retired key that holds no valid key; a file that cannot be made.
    pub fn load(
        secret: Option<&secrecy::SecretString>,
        file: &Path,
        retired: &[String],
        issuer: &str,
    ) -> Result<Self, KeyError> {
        let (seed, origin) = load_seed(secret, file)?;
        let mut keys = vec![SigningKey::from_bytes(&seed).verifying_key()];
        for text in retired {
            let key = parse_public(text)
                .map_err(|e| KeyError(format!("credentials.retired_public_keys `{text}`: {e}")))?;
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        let published = keys
            .iter()
            .map(published_key)
            .collect::<Result<Vec<_>, _>>()?;
        let by_kid = published
            .iter()
            .enumerate()
            .map(|(i, k)| (k.kid.clone(), i))
            .collect();
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims = Default::default();
        Ok(Self {
            signing: EncodingKey::from_ed_der(&pkcs8(&seed)),
            kid: published[0].kid.clone(),
            origin,
            issuer: issuer.to_owned(),
            published,
            by_kid,
            validation,
        })
    }

    /// The current key's id.
    pub fn key_id(&self) -> &str {
        &self.kid
    }

    /// Where the signing key came from (for the start-up log).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The issuer (`iss`) of the credentials.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The published keys as a JWK Set (RFC 7517), the current key first.
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .published
            .iter()
            .map(|k| {
                serde_json::json!({
                    "kty": "OKP", "crv": "Ed25519", "x": k.x, "kid": k.kid,
                    "alg": "EdDSA", "use": "sig"
                })
            })
            .collect();
        serde_json::json!({ "keys": keys })
    }

    /// Signs `claims` (with `iss` added) as a compact JWS with the current key.
    ///
    /// # Errors
    /// The claims cannot be encoded (not expected).
    pub fn sign(&self, mut claims: Map<String, Value>) -> Result<String, KeyError> {
        claims.insert("iss".into(), self.issuer.clone().into());
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        header.typ = Some(TYP.into());
        jsonwebtoken::encode(&header, &claims, &self.signing).map_err(|e| KeyError(e.to_string()))
    }

    /// Checks a compact JWS: a known `kid`, EdDSA, the signature, and the issuer.
    ///
    /// # Errors
    /// Why it does not verify.
    pub fn verify(&self, token: &str) -> Result<Verified, Rejection> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| Rejection::Malformed)?;
        if header.alg != Algorithm::EdDSA {
            return Err(Rejection::BadSignature);
        }
        let kid = header.kid.ok_or(Rejection::UnknownKey)?;
        let index = *self.by_kid.get(&kid).ok_or(Rejection::UnknownKey)?;
        let key = &self.published[index].decoding;
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, key, &self.validation)
            .map_err(|_| Rejection::BadSignature)?;
        if data.claims.get("iss").and_then(Value::as_str) != Some(self.issuer.as_str()) {
            return Err(Rejection::NotACredential);
        }
        Ok(Verified {
            kid,
            claims: data.claims,
        })
    }
}

fn load_seed(
    secret: Option<&secrecy::SecretString>,
    file: &Path,
) -> Result<([u8; 32], String), KeyError> {
    if let Some(secret) = secret {
        let seed = decode_seed(secret.expose_secret())
            .map_err(|e| KeyError(format!("ECOM__CREDENTIALS__SIGNING_KEY: {e}")))?;
        return Ok((seed, "from the environment".into()));
    }
    match std::fs::read(file) {
        Ok(bytes) => {
            let seed =
                parse_key_file(&bytes).map_err(|e| KeyError(format!("{}: {e}", file.display())))?;
            Ok((seed, format!("read from {}", file.display())))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|e| KeyError(e.to_string()))?;
            save_key_file(file, &seed, KEY_FILE_COMMENT)
                .map_err(|e| KeyError(format!("{}: {e}", file.display())))?;
            Ok((seed, format!("new, saved to {}", file.display())))
        }
        Err(e) => Err(KeyError(format!("{}: {e}", file.display()))),
    }
}

fn published_key(key: &VerifyingKey) -> Result<PublishedKey, KeyError> {
    let x = URL_SAFE_NO_PAD.encode(key.as_bytes());
    let decoding = DecodingKey::from_ed_components(&x).map_err(|e| KeyError(e.to_string()))?;
    Ok(PublishedKey {
        kid: key_id(key),
        x,
        decoding,
    })
}

/// PKCS#8 wrapping of an Ed25519 private key (RFC 8410), as `jsonwebtoken` reads it.
fn pkcs8(seed: &[u8; 32]) -> Vec<u8> {
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(seed);
    der
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("ecom-cred-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_credential_verifies_until_a_byte_changes_and_after_a_rotation() {
        let dir = dir("rotation");
        let old = Credentials::load(None, &dir.join("a.json"), &[], "urn:test").unwrap();
        let again = Credentials::load(None, &dir.join("a.json"), &[], "urn:test").unwrap();
        assert_eq!(old.key_id(), again.key_id());
        let mut claims = Map::new();
        claims.insert("kind".into(), "complaint_receipt".into());
        let token = old.sign(claims).unwrap();
        let verified = old.verify(&token).unwrap();
        assert_eq!(verified.kid, old.key_id());
        assert_eq!(verified.claims["iss"], "urn:test");

        // Every byte of the token matters.
        for i in 0..token.len() {
            let mut bytes = token.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let tampered = String::from_utf8(bytes).unwrap();
            assert!(old.verify(&tampered).is_err(), "byte {i} of {token}");
        }

        // A rotation: the new key signs, the old one still verifies what it signed.
        let retired = old.jwks()["keys"][0]["x"].as_str().unwrap().to_owned();
        let new = Credentials::load(None, &dir.join("b.json"), &[retired], "urn:test").unwrap();
        assert_ne!(new.key_id(), old.key_id());
        assert_eq!(new.jwks()["keys"].as_array().unwrap().len(), 2);
        assert_eq!(new.jwks()["keys"][0]["kid"], new.key_id());
        assert!(new.verify(&token).is_ok());
        let alone = Credentials::load(None, &dir.join("b.json"), &[], "urn:test").unwrap();
        assert_eq!(alone.verify(&token).err(), Some(Rejection::UnknownKey));
        let other_issuer = Credentials::load(None, &dir.join("a.json"), &[], "urn:x").unwrap();
        assert_eq!(
            other_issuer.verify(&token).err(),
            Some(Rejection::NotACredential)
        );
        assert_eq!(old.verify("not a token").err(), Some(Rejection::Malformed));
    }
}

//! The development identity provider: signs tokens for test citizens, businesses and
//! officers with an Ed25519 key, and is trusted automatically. Enabled by default in
//! development, refused at start-up in production.
//!
//! The key is kept in a file (by default `data/dev-idp-key.json`, a private JWK with mode
//! 0600) so that development tokens survive a restart; a new key is made when the file is
//! absent. Development only: this key signs officers' tokens for anyone who asks.

use crate::auth::{IssuerKind, TrustedIssuer};
use base64::Engine;
use domain::catalogue::Assurance;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use sha2::Digest;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub const ISSUER: &str = "urn:e-commissariat:dev-idp";
pub const AUDIENCE: &str = "e-commissariat";
/// The key file's name inside the data folder.
pub const KEY_FILE_NAME: &str = "dev-idp-key.json";
/// The client (`azp`) of a token the development identity provider signs when the
/// request names none: the police app's, in development.
pub const DEFAULT_CLIENT_ID: &str = "dev-client";

pub struct DevIdp {
    key: EncodingKey,
    public_x: String,
    kid: String,
    origin: KeyOrigin,
}

/// Where the signing key came from (logged at start-up).
#[derive(Debug, Clone)]
pub enum KeyOrigin {
    /// Read from this file: tokens signed before the restart stay valid.
    Loaded(PathBuf),
    /// Made now and saved to this file.
    Created(PathBuf),
    /// Made now and kept in memory only: the file could not be written (the reason).
    Ephemeral(String),
}

impl std::fmt::Display for KeyOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyOrigin::Loaded(path) => write!(f, "read from {}", path.display()),
            KeyOrigin::Created(path) => write!(f, "new, saved to {}", path.display()),
            KeyOrigin::Ephemeral(reason) => {
                write!(
                    f,
                    "new, in memory only ({reason}): tokens end with the process"
                )
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("development IdP: {0}")]
pub struct DevIdpError(String);

/// The key file: an Ed25519 private JWK (RFC 8037).
#[derive(serde::Serialize, serde::Deserialize)]
struct KeyFile {
    kty: String,
    crv: String,
    /// The 32-byte private seed, base64url.
    d: String,
    /// The public key, base64url.
    x: String,
    #[serde(default, skip_deserializing)]
    comment: &'static str,
}

const KEY_FILE_COMMENT: &str = "Signing key of the e-commissariat development identity \
    provider. Development only: whoever holds it can sign any officer's token. Delete this \
    file to make a new key (tokens signed with the old one are then refused).";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl DevIdp {
    /// A provider with a new key, kept in memory only.
    pub fn new() -> Result<Self, DevIdpError> {
        Ok(Self::from_seed(
            random_seed()?,
            KeyOrigin::Ephemeral("not asked to keep it".into()),
        ))
    }

    /// The provider whose key is in `path`; a new key is made and saved there when the
    /// file does not exist (in memory only, with the reason logged, when it cannot be
    /// written). A file that exists but holds no valid key is an error naming it.
    pub fn load_or_create(path: &Path) -> Result<Self, DevIdpError> {
        match std::fs::read(path) {
            Ok(bytes) => {
                let seed = parse_key_file(&bytes).map_err(|reason| {
                    DevIdpError(format!(
                        "{}: not a development IdP key ({reason}); delete the file to make a new one",
                        path.display()
                    ))
                })?;
                Ok(Self::from_seed(seed, KeyOrigin::Loaded(path.to_owned())))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let seed = random_seed()?;
                let origin = match save_key_file(path, &seed) {
                    Ok(()) => KeyOrigin::Created(path.to_owned()),
                    Err(e) => KeyOrigin::Ephemeral(format!("{}: {e}", path.display())),
                };
                Ok(Self::from_seed(seed, origin))
            }
            Err(e) => Err(DevIdpError(format!("{}: {e}", path.display()))),
        }
    }

    fn from_seed(seed: [u8; 32], origin: KeyOrigin) -> Self {
        // PKCS#8 wrapping of an Ed25519 private key (RFC 8410).
        let mut der = vec![
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        der.extend_from_slice(&seed);
        let public = ed25519_dalek::SigningKey::from_bytes(&seed)
            .verifying_key()
            .to_bytes();
        // The key id follows the key: a token of a replaced key names an unknown kid.
        let kid = format!("dev-{}", &hex::encode(sha2::Sha256::digest(public))[..16]);
        Self {
            key: EncodingKey::from_ed_der(&der),
            public_x: b64(&public),
            kid,
            origin,
        }
    }

    /// Where the key came from.
    pub fn key_origin(&self) -> &KeyOrigin {
        &self.origin
    }

    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": self.public_x, "kid": self.kid, "alg": "EdDSA", "use": "sig"}]})
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
        header.kid = Some(self.kid.clone());
        header.typ = Some("JWT".into());
        jsonwebtoken::encode(&header, &claims, &self.key).map_err(|e| DevIdpError(e.to_string()))
    }
}

fn random_seed() -> Result<[u8; 32], DevIdpError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| DevIdpError(e.to_string()))?;
    Ok(seed)
}

fn parse_key_file(bytes: &[u8]) -> Result<[u8; 32], String> {
    let file: KeyFile = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    if file.kty != "OKP" || file.crv != "Ed25519" {
        return Err("not an Ed25519 key".into());
    }
    let seed: [u8; 32] = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(file.d.trim())
        .map_err(|e| format!("`d`: {e}"))?
        .try_into()
        .map_err(|_| "`d` is not 32 bytes".to_owned())?;
    let public = ed25519_dalek::SigningKey::from_bytes(&seed)
        .verifying_key()
        .to_bytes();
    if b64(&public) != file.x.trim() {
        return Err("`x` is not the public key of `d`".into());
    }
    Ok(seed)
}

/// Writes the key file readable by its owner only, all at once (a temporary file renamed).
fn save_key_file(path: &Path, seed: &[u8; 32]) -> std::io::Result<()> {
    use std::io::Write;
    let public = ed25519_dalek::SigningKey::from_bytes(seed)
        .verifying_key()
        .to_bytes();
    let body = serde_json::to_vec_pretty(&KeyFile {
        kty: "OKP".into(),
        crv: "Ed25519".into(),
        d: b64(seed),
        x: b64(&public),
        comment: KEY_FILE_COMMENT,
    })
    .map_err(std::io::Error::other)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let temporary = path.with_extension(format!("tmp{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(&body)?;
        file.sync_all()
    });
    let renamed = written.and_then(|()| std::fs::rename(&temporary, path));
    if renamed.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    renamed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_kept_and_read_back() {
        let dir = std::env::temp_dir().join(format!("ecom-devidp-{}", std::process::id()));
        let path = dir.join("sub").join(KEY_FILE_NAME);
        let _ = std::fs::remove_file(&path);
        let first = DevIdp::load_or_create(&path).unwrap();
        assert!(matches!(first.key_origin(), KeyOrigin::Created(_)));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let second = DevIdp::load_or_create(&path).unwrap();
        assert!(matches!(second.key_origin(), KeyOrigin::Loaded(_)));
        assert_eq!(first.jwks(), second.jwks());

        std::fs::write(&path, "{}").unwrap();
        let error = DevIdp::load_or_create(&path).err().unwrap().to_string();
        assert!(error.contains(KEY_FILE_NAME), "{error}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

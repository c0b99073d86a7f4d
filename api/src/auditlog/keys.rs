//! The audit log's signing key and the ring of public keys that verify checkpoints.
//!
//! The signing key is held outside the database: a private JWK file (RFC 8037, mode
//! 0600, made on first start when absent) or a base64 seed in `ECOM__AUDIT__SIGNING_KEY`.
//! A key's id is the first 8 bytes, in hex, of SHA-256 over its 32-byte public key. After
//! a rotation, the former public keys (`audit.retired_public_keys`) keep verifying the
//! checkpoints they signed.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use domain::audit::Checkpoint;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use persistence::auditlog::TreeHead;
use secrecy::ExposeSecret;
use sha2::Digest;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error("audit signing key: {0}")]
pub struct KeyError(pub String);

/// The id of a public key: the first 8 bytes of its SHA-256, hex.
pub fn key_id(public: &VerifyingKey) -> String {
    hex::encode(&sha2::Sha256::digest(public.as_bytes())[..8])
}

/// The key that signs checkpoints.
pub struct AuditSigner {
    key: SigningKey,
    key_id: String,
    origin: String,
}

/// The key file: an Ed25519 private JWK.
#[derive(serde::Serialize, serde::Deserialize)]
struct KeyFile {
    kty: String,
    crv: String,
    d: String,
    x: String,
    #[serde(default, skip_deserializing)]
    comment: &'static str,
}

const KEY_FILE_COMMENT: &str = "Signing key of the e-commissariat audit log's checkpoints. \
    Whoever holds it can sign a rewritten log: keep it away from the database, its \
    administrators and its backups. After a rotation, list the old public key in \
    audit.retired_public_keys.";

impl AuditSigner {
    /// The key from `secret` (a base64 seed) when given, else from `file`, made and saved
    /// there (mode 0600) when the file does not exist.
    ///
    /// # Errors
    /// A secret or file that holds no valid key, or a file that cannot be written.
    pub fn load(secret: Option<&secrecy::SecretString>, file: &Path) -> Result<Self, KeyError> {
        if let Some(secret) = secret {
            let seed = decode_seed(secret.expose_secret())
                .map_err(|e| KeyError(format!("ECOM__AUDIT__SIGNING_KEY: {e}")))?;
            return Ok(Self::from_seed(&seed, "from the environment".into()));
        }
        match std::fs::read(file) {
            Ok(bytes) => {
                let seed = parse_key_file(&bytes)
                    .map_err(|e| KeyError(format!("{}: {e}", file.display())))?;
                Ok(Self::from_seed(
                    &seed,
                    format!("read from {}", file.display()),
                ))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut seed = [0u8; 32];
                getrandom::fill(&mut seed).map_err(|e| KeyError(e.to_string()))?;
                save_key_file(file, &seed, KEY_FILE_COMMENT)
                    .map_err(|e| KeyError(format!("{}: {e}", file.display())))?;
                Ok(Self::from_seed(
                    &seed,
                    format!("new, saved to {}", file.display()),
                ))
            }
            Err(e) => Err(KeyError(format!("{}: {e}", file.display()))),
        }
    }

    /// The public key of the configured signing key, without making one: `None` when
    /// neither the secret nor the file exists (for `audit verify`).
    pub fn existing_public(
        secret: Option<&secrecy::SecretString>,
        file: &Path,
    ) -> Result<Option<VerifyingKey>, KeyError> {
        if secret.is_none() && !file.exists() {
            return Ok(None);
        }
        Ok(Some(Self::load(secret, file)?.key.verifying_key()))
    }

    fn from_seed(seed: &[u8; 32], origin: String) -> Self {
        let key = SigningKey::from_bytes(seed);
        let key_id = key_id(&key.verifying_key());
        Self {
            key,
            key_id,
            origin,
        }
    }

    /// The key's id.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Where the key came from (for the start-up log).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn public(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// Signs a tree head: the checkpoint.
    pub fn sign(&self, head: &TreeHead) -> Checkpoint {
        let root_hash = hex::encode(head.root_hash);
        let text = Checkpoint::signed_text(head.tree_size, &root_hash, head.issued_at);
        let signature = self.key.sign(text.as_bytes());
        Checkpoint {
            tree_size: head.tree_size,
            root_hash,
            issued_at: head.issued_at,
            key_id: self.key_id.clone(),
            signature: STANDARD.encode(signature.to_bytes()),
        }
    }
}

/// A 32-byte Ed25519 seed from base64 (standard or URL-safe).
pub(crate) fn decode_seed(text: &str) -> Result<[u8; 32], String> {
    let text = text.trim();
    let bytes = STANDARD
        .decode(text)
        .or_else(|_| URL_SAFE_NO_PAD.decode(text))
        .map_err(|e| format!("not base64: {e}"))?;
    bytes
        .try_into()
        .map_err(|_| "not a 32-byte Ed25519 seed".to_owned())
}

/// The seed of an Ed25519 private JWK file, checked against its public key.
pub(crate) fn parse_key_file(bytes: &[u8]) -> Result<[u8; 32], String> {
    let file: KeyFile = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    if file.kty != "OKP" || file.crv != "Ed25519" {
        return Err("not an Ed25519 key".into());
    }
    let seed = decode_seed(&file.d)?;
    let public = SigningKey::from_bytes(&seed).verifying_key();
    if URL_SAFE_NO_PAD.encode(public.as_bytes()) != file.x.trim() {
        return Err("`x` is not the public key of `d`".into());
    }
    Ok(seed)
}

/// Writes the key file readable by its owner only, all at once (a temporary file renamed),
/// with `comment` saying what the key signs.
pub(crate) fn save_key_file(
    path: &Path,
    seed: &[u8; 32],
    comment: &'static str,
) -> std::io::Result<()> {
    use std::io::Write;
    let public = SigningKey::from_bytes(seed).verifying_key();
    let body = serde_json::to_vec_pretty(&KeyFile {
        kty: "OKP".into(),
        crv: "Ed25519".into(),
        d: URL_SAFE_NO_PAD.encode(seed),
        x: URL_SAFE_NO_PAD.encode(public.as_bytes()),
        comment,
    })
    .map_err(std::io::Error::other)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let temporary: PathBuf = path.with_extension(format!("tmp{}", std::process::id()));
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

/// A public key that verifies checkpoints.
#[derive(Debug, Clone)]
pub struct PublicKey {
    pub key_id: String,
    pub key: VerifyingKey,
    /// Whether it is the key signing new checkpoints (else a retired one).
    pub current: bool,
}

impl PublicKey {
    /// The key as standard base64 of its 32 bytes.
    pub fn base64(&self) -> String {
        STANDARD.encode(self.key.as_bytes())
    }
}

/// What is wrong with a checkpoint's signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureProblem {
    #[error("it is signed by key {0}, which is not a known audit key")]
    UnknownKey(String),
    #[error("its signature does not verify with key {0}")]
    Invalid(String),
}

/// The public keys that verify checkpoints: the current one and the retired ones.
#[derive(Debug, Clone, Default)]
pub struct Keyring {
    pub keys: Vec<PublicKey>,
}

impl Keyring {
    /// The ring of `current` and the `retired` keys (base64 of 32 bytes each).
    ///
    /// # Errors
    /// A retired key that is not a valid Ed25519 public key, named.
    pub fn new(current: Option<VerifyingKey>, retired: &[String]) -> Result<Self, KeyError> {
        let mut keys = Vec::new();
        if let Some(key) = current {
            keys.push(PublicKey {
                key_id: key_id(&key),
                key,
                current: true,
            });
        }
        for text in retired {
            let key = parse_public(text)
                .map_err(|e| KeyError(format!("audit.retired_public_keys `{text}`: {e}")))?;
            if keys.iter().all(|k| k.key != key) {
                keys.push(PublicKey {
                    key_id: key_id(&key),
                    key,
                    current: false,
                });
            }
        }
        Ok(Self { keys })
    }

    /// Checks a checkpoint's signature with the key it names.
    ///
    /// # Errors
    /// The key is unknown, or the signature does not verify.
    pub fn verify(&self, checkpoint: &Checkpoint) -> Result<(), SignatureProblem> {
        let Some(key) = self.keys.iter().find(|k| k.key_id == checkpoint.key_id) else {
            return Err(SignatureProblem::UnknownKey(checkpoint.key_id.clone()));
        };
        let invalid = || SignatureProblem::Invalid(checkpoint.key_id.clone());
        let bytes: [u8; 64] = STANDARD
            .decode(checkpoint.signature.trim())
            .map_err(|_| invalid())?
            .try_into()
            .map_err(|_| invalid())?;
        key.key
            .verify(checkpoint.text().as_bytes(), &Signature::from_bytes(&bytes))
            .map_err(|_| invalid())
    }
}

/// A public key from base64 (standard or URL-safe) of its 32 bytes.
pub fn parse_public(text: &str) -> Result<VerifyingKey, String> {
    let text = text.trim();
    let bytes: [u8; 32] = STANDARD
        .decode(text)
        .or_else(|_| URL_SAFE_NO_PAD.decode(text))
        .map_err(|e| format!("not base64: {e}"))?
        .try_into()
        .map_err(|_| "not 32 bytes".to_owned())?;
    VerifyingKey::from_bytes(&bytes).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn a_checkpoint_verifies_with_its_key_and_not_with_another() {
        let dir = tempfile_dir("ecom-auditkey");
        let signer = AuditSigner::load(None, &dir.join("k.json")).unwrap();
        let again = AuditSigner::load(None, &dir.join("k.json")).unwrap();
        assert_eq!(signer.key_id(), again.key_id());
        let head = TreeHead {
            tree_size: 3,
            root_hash: [7; 32],
            issued_at: Utc::now(),
        };
        let checkpoint = signer.sign(&head);
        let ring = Keyring::new(Some(signer.public()), &[]).unwrap();
        assert_eq!(ring.verify(&checkpoint), Ok(()));
        let mut forged = checkpoint.clone();
        forged.tree_size = 2;
        assert!(matches!(
            ring.verify(&forged),
            Err(SignatureProblem::Invalid(_))
        ));

        // Rotation: a new key signs, the old one still verifies what it signed.
        let rotated = AuditSigner::load(None, &dir.join("k2.json")).unwrap();
        let old = STANDARD.encode(signer.public().as_bytes());
        let ring = Keyring::new(Some(rotated.public()), &[old]).unwrap();
        assert_eq!(ring.verify(&checkpoint), Ok(()));
        assert_eq!(ring.verify(&rotated.sign(&head)), Ok(()));
        let alone = Keyring::new(Some(rotated.public()), &[]).unwrap();
        assert!(matches!(
            alone.verify(&checkpoint),
            Err(SignatureProblem::UnknownKey(_))
        ));
    }

    fn tempfile_dir(prefix: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}

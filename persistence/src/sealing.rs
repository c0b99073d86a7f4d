//! Sealing: personal data encrypted at rest, with keys that can be rotated.
//!
//! A [`Keyring`] holds named AES-256-GCM keys (256-bit, from configuration or, in
//! development, from a key file made on first start), one of which is *current*. Values
//! are sealed with the current key and opened with whichever key their envelope names,
//! so adding a new current key (and keeping the old ones) rotates without rewriting a row.
//!
//! A sealed value is text, safe in any column:
//!
//! ```text
//! ecs1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>
//! ```
//!
//! - `ecs1`: the envelope's version;
//! - the key id: 1 to 32 characters of `A-Z a-z 0-9 - _`;
//! - the nonce: 96 random bits per value (never reused with a key: 2^32 values per key
//!   keep the collision probability below 2^-32, NIST SP 800-38D §8.3);
//! - the tag: 128 bits; the *context* (such as `filing_identity:<filing id>`) is the
//!   associated data, so a value copied into another row, or another column, no longer
//!   opens.
//!
//! Opening fails, never guessing, when the key is unknown, the envelope malformed, or the
//! value altered ([`SealingError`]); errors name the key id, never the content.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The envelope's version prefix.
pub const ENVELOPE: &str = "ecs1";
/// The key file's name inside the data folder (development).
pub const KEY_FILE_NAME: &str = "sealing-keys.json";
/// Longest key id.
pub const KEY_ID_MAX: usize = 32;
const NONCE_BYTES: usize = 12;
const TAG_BYTES: usize = 16;
/// Prefixed to every context, so that values of this service never open elsewhere.
const AAD_PREFIX: &str = "e-commissariat:";

/// Why a keyring could not be built, or a value not sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealingError {
    /// A key or keyring given in configuration is not usable (the reason; never the key).
    #[error("{0}")]
    Config(String),
    /// The value names a key this keyring does not hold.
    #[error("sealed with key {0}, which is not configured")]
    UnknownKey(String),
    /// The value is not an envelope of this format.
    #[error("not a sealed value ({0})")]
    Malformed(&'static str),
    /// The value was altered, or sealed for another context.
    #[error("sealed with key {0}, but does not open (altered, or another row's)")]
    Altered(String),
    /// The system's random generator failed.
    #[error("no randomness: {0}")]
    Random(String),
}

/// Named AES-256-GCM keys, one of them current (used to seal). Its `Debug` shows the key
/// ids only.
#[derive(Clone)]
pub struct Keyring {
    current: String,
    keys: BTreeMap<String, Aes256Gcm>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current)
            .field("keys", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Whether `id` may name a key: 1 to 32 characters of `A-Z a-z 0-9 - _`.
pub fn valid_key_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= KEY_ID_MAX
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A 256-bit key from its base64 text (standard or URL-safe alphabet, padded or not).
pub fn decode_key(encoded: &str) -> Result<[u8; 32], String> {
    let text = encoded.trim().trim_end_matches('=');
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(text)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text))
        .map_err(|_| "not base64".to_owned())?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| format!("{} bytes, where AES-256 needs 32", bytes.len()))
}

/// A new random 256-bit key, as base64 (standard alphabet, padded).
pub fn generate_key() -> String {
    base64::engine::general_purpose::STANDARD.encode(Aes256Gcm::generate_key(OsRng))
}

impl Keyring {
    /// A keyring of `keys` (id → base64 of 32 bytes). `current` names the key to seal
    /// with; it may be absent when there is exactly one key.
    ///
    /// # Errors
    /// `Config` naming the key id at fault: no keys, an invalid id, a key that is not
    /// 32 bytes of base64, a current key that is not among the keys, or several keys and
    /// no current one.
    pub fn new<'a>(
        current: Option<&str>,
        keys: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, SealingError> {
        let mut ring = BTreeMap::new();
        for (id, encoded) in keys {
            if !valid_key_id(id) {
                return Err(SealingError::Config(format!(
                    "key id {id:?}: 1 to {KEY_ID_MAX} characters of A-Z a-z 0-9 - _"
                )));
            }
            let key = decode_key(encoded)
                .map_err(|reason| SealingError::Config(format!("key {id}: {reason}")))?;
            let cipher = Aes256Gcm::new_from_slice(&key)
                .map_err(|_| SealingError::Config(format!("key {id}: not an AES-256 key")))?;
            ring.insert(id.to_owned(), cipher);
        }
        let current = match current {
            Some(id) if ring.contains_key(id) => id.to_owned(),
            Some(id) => {
                return Err(SealingError::Config(format!(
                    "the current key {id:?} is not among the keys"
                )))
            }
            None if ring.len() == 1 => ring.keys().next().cloned().unwrap_or_default(),
            None if ring.is_empty() => return Err(SealingError::Config("no keys".into())),
            None => {
                return Err(SealingError::Config(
                    "several keys: name the one to seal with (current key)".into(),
                ))
            }
        };
        Ok(Keyring {
            current,
            keys: ring,
        })
    }

    /// The id of the key new values are sealed with.
    pub fn current_id(&self) -> &str {
        &self.current
    }

    /// The ids of every key held, sorted.
    pub fn key_ids(&self) -> Vec<&str> {
        self.keys.keys().map(String::as_str).collect()
    }

    /// Seals `plaintext` for `context` (the row and column it is stored in, such as
    /// `filing_identity:<filing id>`) with the current key.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> Result<String, SealingError> {
        let cipher = self
            .keys
            .get(&self.current)
            .ok_or_else(|| SealingError::UnknownKey(self.current.clone()))?;
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let aad = format!("{AAD_PREFIX}{context}");
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| SealingError::Random("encryption failed".into()))?;
        let mut body = Vec::with_capacity(NONCE_BYTES + sealed.len());
        body.extend_from_slice(&nonce);
        body.extend_from_slice(&sealed);
        Ok(format!(
            "{ENVELOPE}.{}.{}",
            self.current,
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(body)
        ))
    }

    /// Opens a value sealed for `context` by any key of the keyring.
    pub fn open(&self, sealed: &str, context: &str) -> Result<Vec<u8>, SealingError> {
        let (key_id, body) = split(sealed)?;
        let cipher = self
            .keys
            .get(key_id)
            .ok_or_else(|| SealingError::UnknownKey(key_id.to_owned()))?;
        let (nonce, ciphertext) = body.split_at(NONCE_BYTES);
        let aad = format!("{AAD_PREFIX}{context}");
        cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| SealingError::Altered(key_id.to_owned()))
    }
}

/// The key id a sealed value names (to find the values of a retired key).
pub fn key_id_of(sealed: &str) -> Result<&str, SealingError> {
    split(sealed).map(|(id, _)| id)
}

fn split(sealed: &str) -> Result<(&str, Vec<u8>), SealingError> {
    let mut parts = sealed.splitn(3, '.');
    let (Some(version), Some(key_id), Some(body)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(SealingError::Malformed("expected ecs1.<key>.<data>"));
    };
    if version != ENVELOPE {
        return Err(SealingError::Malformed("unknown envelope version"));
    }
    if !valid_key_id(key_id) {
        return Err(SealingError::Malformed("invalid key id"));
    }
    let body = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(body)
        .map_err(|_| SealingError::Malformed("the data is not base64url"))?;
    if body.len() < NONCE_BYTES + TAG_BYTES {
        return Err(SealingError::Malformed("too short"));
    }
    Ok((key_id, body))
}

/// A keyring file: `{"current": "<id>", "keys": {"<id>": "<base64 of 32 bytes>"}}`.
#[derive(serde::Serialize, serde::Deserialize)]
struct KeyFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    current: Option<String>,
    keys: BTreeMap<String, String>,
    #[serde(default, skip_deserializing)]
    comment: &'static str,
}

const KEY_FILE_COMMENT: &str = "Keys that seal personal data at rest in the e-commissariat's \
    database (AES-256-GCM). Whoever holds this file and the database reads that data: keep \
    it apart from database backups. Losing it loses the sealed data. To rotate, add a new \
    key, make it current, and keep the old ones.";

/// Where a keyring came from (logged at start-up, without the keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyringOrigin {
    /// Configured keys (`sealing.keys`).
    Configured,
    /// Read from this file.
    Loaded(PathBuf),
    /// Made now with one new key, and saved to this file (development).
    Created(PathBuf),
}

impl std::fmt::Display for KeyringOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyringOrigin::Configured => write!(f, "configured keys"),
            KeyringOrigin::Loaded(path) => write!(f, "read from {}", path.display()),
            KeyringOrigin::Created(path) => write!(f, "new key, saved to {}", path.display()),
        }
    }
}

/// Reads a keyring file.
///
/// # Errors
/// `Config` naming the file: unreadable, not JSON of the format, or an invalid key.
pub fn read_key_file(path: &Path) -> Result<Keyring, SealingError> {
    let name = path.display();
    let bytes = std::fs::read(path).map_err(|e| SealingError::Config(format!("{name}: {e}")))?;
    let file: KeyFile = serde_json::from_slice(&bytes).map_err(|e| {
        SealingError::Config(format!(
            "{name}: not a keyring ({{\"current\": id, \"keys\": {{id: base64}}}}): line {}",
            e.line()
        ))
    })?;
    Keyring::new(
        file.current.as_deref(),
        file.keys
            .iter()
            .map(|(id, key)| (id.as_str(), key.as_str())),
    )
    .map_err(|e| SealingError::Config(format!("{name}: {e}")))
}

/// The keyring in `path`, or, when the file does not exist, a new keyring of one random
/// key saved there (readable by its owner only, written all at once). Development only:
/// production configures its keys.
pub fn load_or_create_key_file(path: &Path) -> Result<(Keyring, KeyringOrigin), SealingError> {
    if path.exists() {
        return Ok((read_key_file(path)?, KeyringOrigin::Loaded(path.to_owned())));
    }
    let mut seed = [0u8; 4];
    getrandom_fill(&mut seed)?;
    let id = format!("dev-{}", hex_of(&seed));
    let key = generate_key();
    let file = KeyFile {
        current: Some(id.clone()),
        keys: BTreeMap::from([(id.clone(), key.clone())]),
        comment: KEY_FILE_COMMENT,
    };
    let body = serde_json::to_vec_pretty(&file)
        .map_err(|e| SealingError::Config(format!("{}: {e}", path.display())))?;
    write_private(path, &body)
        .map_err(|e| SealingError::Config(format!("{}: {e}", path.display())))?;
    let keyring = Keyring::new(Some(&id), [(id.as_str(), key.as_str())])?;
    Ok((keyring, KeyringOrigin::Created(path.to_owned())))
}

fn getrandom_fill(bytes: &mut [u8]) -> Result<(), SealingError> {
    use aes_gcm::aead::rand_core::RngCore;
    OsRng
        .try_fill_bytes(bytes)
        .map_err(|e| SealingError::Random(e.to_string()))
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `body` to `path` with mode 0600, through a temporary file renamed into place.
fn write_private(path: &Path, body: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let temporary = path.with_extension(format!("tmp{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(body)?;
        file.sync_all()
    });
    let renamed = written.and_then(|()| std::fs::rename(&temporary, path));
    if renamed.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    renamed
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const K1: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const K2: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8";

    #[test]
    fn values_open_with_their_key_and_context_only() {
        let ring = Keyring::new(None, [("k1", K1)]).unwrap();
        let sealed = ring.seal(b"Alice Martin", "filing_identity:f1").unwrap();
        assert!(sealed.starts_with("ecs1.k1."), "{sealed}");
        assert!(!sealed.contains("Alice"));
        assert_eq!(
            ring.open(&sealed, "filing_identity:f1").unwrap(),
            b"Alice Martin"
        );
        // Another row's context, an altered byte, another keyring: refused.
        assert_eq!(
            ring.open(&sealed, "filing_identity:f2"),
            Err(SealingError::Altered("k1".into()))
        );
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 3;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        assert!(ring.open(&altered, "filing_identity:f1").is_err());
        let other = Keyring::new(None, [("k2", K2)]).unwrap();
        assert_eq!(
            other.open(&sealed, "filing_identity:f1"),
            Err(SealingError::UnknownKey("k1".into()))
        );
        // Two seals of one value differ (random nonces).
        assert_ne!(ring.seal(b"x", "c").unwrap(), ring.seal(b"x", "c").unwrap());
    }

    #[test]
    fn a_new_current_key_still_opens_the_old_values() {
        let old = Keyring::new(None, [("k1", K1)]).unwrap();
        let sealed = old.seal(b"85073003328", "c").unwrap();
        let rotated = Keyring::new(Some("k2"), [("k1", K1), ("k2", K2)]).unwrap();
        assert_eq!(rotated.current_id(), "k2");
        assert_eq!(rotated.open(&sealed, "c").unwrap(), b"85073003328");
        let new = rotated.seal(b"y", "c").unwrap();
        assert_eq!(key_id_of(&new).unwrap(), "k2");
        assert_eq!(key_id_of(&sealed).unwrap(), "k1");
    }

    #[test]
    fn bad_keyrings_are_refused_with_the_key_named() {
        let err = |r: Result<Keyring, SealingError>| r.unwrap_err().to_string();
        assert!(err(Keyring::new(None, Vec::<(&str, &str)>::new())).contains("no keys"));
        assert!(err(Keyring::new(None, [("k1", "c2hvcnQ=")])).contains("key k1: 5 bytes"));
        assert!(err(Keyring::new(None, [("k 1", K1)])).contains("key id"));
        assert!(err(Keyring::new(Some("k3"), [("k1", K1)])).contains("k3"));
        assert!(err(Keyring::new(None, [("k1", K1), ("k2", K2)])).contains("current"));
        // The Debug form shows ids, never keys.
        let ring = Keyring::new(None, [("k1", K1)]).unwrap();
        assert!(!format!("{ring:?}").contains(K1));
    }

    #[test]
    fn malformed_envelopes_are_refused() {
        let ring = Keyring::new(None, [("k1", K1)]).unwrap();
        for bad in [
            "",
            "plain text",
            "ecs2.k1.AAAA",
            "ecs1.k1.%%%",
            "ecs1.k1.AAAA",
        ] {
            assert!(
                matches!(ring.open(bad, "c"), Err(SealingError::Malformed(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_development_key_file_is_made_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join(KEY_FILE_NAME);
        let (first, origin) = load_or_create_key_file(&path).unwrap();
        assert_eq!(origin, KeyringOrigin::Created(path.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let sealed = first.seal(b"v", "c").unwrap();
        let (second, origin) = load_or_create_key_file(&path).unwrap();
        assert_eq!(origin, KeyringOrigin::Loaded(path.clone()));
        assert_eq!(second.open(&sealed, "c").unwrap(), b"v");
        std::fs::write(&path, "{}").unwrap();
        let error = load_or_create_key_file(&path).unwrap_err().to_string();
        assert!(error.contains(KEY_FILE_NAME), "{error}");
    }
}

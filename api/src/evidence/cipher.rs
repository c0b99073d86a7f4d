//! Encryption of evidence files at rest: AES-256-GCM (the `aes-gcm` crate) in the STREAM
//! construction of the `aead` crate (`EncryptorBE32`: each segment sealed with a nonce
//! made of a random 7-byte prefix, a 32-bit counter and a last-segment flag), so that a
//! file is encrypted and decrypted segment by segment, never held whole in memory, and a
//! truncated, reordered or spliced object does not open.
//!
//! An object is `ECEV1` ‖ nonce prefix (7 bytes) ‖ segments, each segment 64 KiB of
//! plaintext plus its 16-byte tag (the last one shorter). Each file has its own random
//! data key; the associated data names the file and the copy (`attachment:<id>:<copy>`),
//! so an object copied under another file's name does not open. The data key itself is
//! sealed with the keyring (`persistence::sealing`), whose envelopes name their key:
//! rotating the key-encryption key means re-sealing data keys, not re-encrypting files.

use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::stream::{DecryptorBE32, EncryptorBE32};
use aes_gcm::aead::{KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm};

/// Magic bytes and version of an encrypted object.
pub const MAGIC: &[u8; 5] = b"ECEV1";
const PREFIX_BYTES: usize = 7;
/// Plaintext bytes per segment.
pub const SEGMENT: usize = 64 * 1024;
const TAG_BYTES: usize = 16;
const HEADER: usize = MAGIC.len() + PREFIX_BYTES;

/// Encryption or decryption failed (an altered object, a wrong key).
#[derive(Debug, thiserror::Error)]
#[error("evidence object does not open: {0}")]
pub struct CipherError(pub &'static str);

/// A new random data key.
pub fn new_data_key() -> [u8; 32] {
    Aes256Gcm::generate_key(OsRng).into()
}

/// The associated data of one copy of a file.
pub fn context(attachment: &str, copy: &str) -> String {
    format!("e-commissariat:attachment:{attachment}:{copy}")
}

/// Encrypts a stream of plaintext, segment by segment.
pub struct Encryptor {
    inner: Option<EncryptorBE32<Aes256Gcm>>,
    pending: Vec<u8>,
    aad: String,
    header: Option<Vec<u8>>,
}

impl Encryptor {
    pub fn new(key: &[u8; 32], aad: String) -> Result<Self, CipherError> {
        let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| CipherError("key length"))?;
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let prefix = &nonce[..PREFIX_BYTES];
        let mut header = MAGIC.to_vec();
        header.extend_from_slice(prefix);
        Ok(Encryptor {
            inner: Some(EncryptorBE32::from_aead(
                cipher,
                GenericArray::from_slice(prefix),
            )),
            pending: Vec::with_capacity(SEGMENT + 1),
            aad,
            header: Some(header),
        })
    }

    /// Takes more plaintext; returns the ciphertext ready to be written.
    pub fn push(&mut self, data: &[u8]) -> Result<Vec<u8>, CipherError> {
        let mut out = self.header.take().unwrap_or_default();
        self.pending.extend_from_slice(data);
        // A full segment is sealed only once more data follows: the last one is sealed
        // by `finish`, with the last-segment flag.
        while self.pending.len() > SEGMENT {
            let rest = self.pending.split_off(SEGMENT);
            let segment = std::mem::replace(&mut self.pending, rest);
            let inner = self.inner.as_mut().ok_or(CipherError("finished"))?;
            let sealed = inner
                .encrypt_next(Payload {
                    msg: &segment,
                    aad: self.aad.as_bytes(),
                })
                .map_err(|_| CipherError("segment"))?;
            out.extend_from_slice(&sealed);
        }
        Ok(out)
    }

    /// Seals the last segment.
    pub fn finish(mut self) -> Result<Vec<u8>, CipherError> {
        let mut out = self.header.take().unwrap_or_default();
        let inner = self.inner.take().ok_or(CipherError("finished"))?;
        let sealed = inner
            .encrypt_last(Payload {
                msg: &self.pending,
                aad: self.aad.as_bytes(),
            })
            .map_err(|_| CipherError("last segment"))?;
        out.extend_from_slice(&sealed);
        Ok(out)
    }
}

/// Encrypts a whole (small) plaintext at once.
pub fn encrypt_all(key: &[u8; 32], aad: String, data: &[u8]) -> Result<Vec<u8>, CipherError> {
    let mut encryptor = Encryptor::new(key, aad)?;
    let mut out = encryptor.push(data)?;
    out.extend(encryptor.finish()?);
    Ok(out)
}

/// Decrypts a stream of ciphertext, segment by segment.
pub struct Decryptor {
    key: Aes256Gcm,
    inner: Option<DecryptorBE32<Aes256Gcm>>,
    pending: Vec<u8>,
    aad: String,
}

impl Decryptor {
    pub fn new(key: &[u8; 32], aad: String) -> Result<Self, CipherError> {
        Ok(Decryptor {
            key: Aes256Gcm::new_from_slice(key).map_err(|_| CipherError("key length"))?,
            inner: None,
            pending: Vec::new(),
            aad,
        })
    }

    /// Takes more ciphertext; returns the plaintext of the segments it completed.
    pub fn push(&mut self, data: &[u8]) -> Result<Vec<u8>, CipherError> {
        self.pending.extend_from_slice(data);
        if self.inner.is_none() {
            if self.pending.len() < HEADER {
                return Ok(Vec::new());
            }
            if &self.pending[..MAGIC.len()] != MAGIC {
                return Err(CipherError("not an evidence object"));
            }
            let prefix = self.pending[MAGIC.len()..HEADER].to_vec();
            self.inner = Some(DecryptorBE32::from_aead(
                self.key.clone(),
                GenericArray::from_slice(&prefix),
            ));
            self.pending.drain(..HEADER);
        }
        let mut out = Vec::new();
        while self.pending.len() > SEGMENT + TAG_BYTES {
            let rest = self.pending.split_off(SEGMENT + TAG_BYTES);
            let segment = std::mem::replace(&mut self.pending, rest);
            let inner = self.inner.as_mut().ok_or(CipherError("finished"))?;
            let plain = inner
                .decrypt_next(Payload {
                    msg: &segment,
                    aad: self.aad.as_bytes(),
                })
                .map_err(|_| CipherError("altered segment"))?;
            out.extend_from_slice(&plain);
        }
        Ok(out)
    }

    /// Opens the last segment (fails on a truncated object).
    pub fn finish(mut self) -> Result<Vec<u8>, CipherError> {
        let inner = self.inner.take().ok_or(CipherError("truncated header"))?;
        inner
            .decrypt_last(Payload {
                msg: &self.pending,
                aad: self.aad.as_bytes(),
            })
            .map_err(|_| CipherError("altered or truncated last segment"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(len: usize, pieces: usize) {
        let key = new_data_key();
        let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let mut enc = Encryptor::new(&key, "a".into()).unwrap();
        let mut sealed = Vec::new();
        for piece in data.chunks(len / pieces.max(1) + 1) {
            sealed.extend(enc.push(piece).unwrap());
        }
        sealed.extend(enc.finish().unwrap());
        assert!(!sealed
            .windows(16)
            .any(|w| data.len() >= 16 && w == &data[..16]));
        let mut dec = Decryptor::new(&key, "a".into()).unwrap();
        let mut plain = Vec::new();
        for piece in sealed.chunks(7001) {
            plain.extend(dec.push(piece).unwrap());
        }
        plain.extend(dec.finish().unwrap());
        assert_eq!(plain, data, "{len} bytes");
    }

    #[test]
    fn files_of_any_length_round_trip() {
        for len in [
            0,
            1,
            SEGMENT - 1,
            SEGMENT,
            SEGMENT + 1,
            3 * SEGMENT,
            200_000,
        ] {
            round_trip(len, 3);
        }
    }

    #[test]
    fn truncated_altered_or_renamed_objects_do_not_open() {
        let key = new_data_key();
        let data = vec![7u8; 3 * SEGMENT];
        let sealed = encrypt_all(&key, "a".into(), &data).unwrap();
        let open = |bytes: &[u8], aad: &str| {
            let mut dec = Decryptor::new(&key, aad.into()).unwrap();
            let mut out = dec.push(bytes)?;
            out.extend(dec.finish()?);
            Ok::<_, CipherError>(out)
        };
        assert!(open(&sealed, "a").is_ok());
        assert!(open(&sealed[..sealed.len() - SEGMENT - 16], "a").is_err());
        assert!(open(&sealed, "b").is_err());
        let mut altered = sealed.clone();
        altered[100] ^= 1;
        assert!(open(&altered, "a").is_err());
    }
}

//! Rules of the `Idempotency-Key` header, independent of storage.
//!
//! A key is chosen by the client, scoped to the caller, and remembered with a fingerprint
//! of the request it came with. A retry with the same key and the same request gets the
//! first response again; the same key with another request is a client error.

use chrono::{DateTime, Duration, Utc};

/// How long a key is remembered.
pub const KEY_LIFETIME: Duration = Duration::hours(24);

/// After this long without a stored response, a claimed key is taken to belong to a
/// request that died (a crash, a killed worker) and may be claimed again.
pub const ABANDONED_AFTER: Duration = Duration::seconds(60);

/// A validated idempotency key: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdempotencyKeyError {
    #[error("the idempotency key is empty")]
    Empty,
    #[error("the idempotency key is longer than 255 characters")]
    TooLong,
    #[error("the idempotency key may only contain visible ASCII characters")]
    InvalidCharacter,
}

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, IdempotencyKeyError> {
        if raw.is_empty() {
            return Err(IdempotencyKeyError::Empty);
        }
        if raw.len() > 255 {
            return Err(IdempotencyKeyError::TooLong);
        }
        if !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(IdempotencyKeyError::InvalidCharacter);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a stored key means for a new request carrying it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyState<R> {
    /// The first request with this key finished: replay its response.
    Completed(R),
    /// Another request with this key is still running.
    InProgress,
    /// The key was used for a different request.
    FingerprintMismatch,
    /// The key is expired or abandoned: it may be claimed again.
    Reclaimable,
}

/// A stored key as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey<R> {
    pub fingerprint: String,
    pub response: Option<R>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Decides what a request with `fingerprint` at `now` does with an existing key.
pub fn classify<R>(stored: StoredKey<R>, fingerprint: &str, now: DateTime<Utc>) -> KeyState<R> {
    if stored.expires_at <= now {
        return KeyState::Reclaimable;
    }
    if stored.fingerprint != fingerprint {
        return KeyState::FingerprintMismatch;
    }
    match stored.response {
        Some(response) => KeyState::Completed(response),
        None if now - stored.created_at >= ABANDONED_AFTER => KeyState::Reclaimable,
        None => KeyState::InProgress,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_790_000_000 + secs, 0).single().unwrap()
    }

    fn stored(response: Option<u16>, created: i64) -> StoredKey<u16> {
        StoredKey {
            fingerprint: "f1".into(),
            response,
            created_at: at(created),
            expires_at: at(created) + KEY_LIFETIME,
        }
    }

    #[test]
    fn table() {
        let cases = [
            (stored(Some(201), 0), "f1", at(10), KeyState::Completed(201)),
            (
                stored(Some(201), 0),
                "f2",
                at(10),
                KeyState::FingerprintMismatch,
            ),
            (stored(None, 0), "f1", at(10), KeyState::InProgress),
            (stored(None, 0), "f2", at(10), KeyState::FingerprintMismatch),
            (stored(None, 0), "f1", at(60), KeyState::Reclaimable),
            (
                stored(Some(201), 0),
                "f1",
                at(24 * 3600),
                KeyState::Reclaimable,
            ),
            (
                stored(Some(201), 0),
                "f2",
                at(24 * 3600),
                KeyState::Reclaimable,
            ),
        ];
        for (i, (key, fp, now, expected)) in cases.into_iter().enumerate() {
            assert_eq!(classify(key, fp, now), expected, "case {i}");
        }
    }

    #[test]
    fn keys_are_parsed() {
        assert!(IdempotencyKey::parse("3f1c-42").is_ok());
        assert_eq!(IdempotencyKey::parse(""), Err(IdempotencyKeyError::Empty));
        assert_eq!(
            IdempotencyKey::parse(&"a".repeat(256)),
            Err(IdempotencyKeyError::TooLong)
        );
        assert_eq!(
            IdempotencyKey::parse("a b"),
            Err(IdempotencyKeyError::InvalidCharacter)
        );
    }

    proptest! {
        #[test]
        fn a_live_key_never_replays_for_another_request(
            secs in 0i64..86_399, done in any::<bool>(), other in "[a-z0-9]{1,8}"
        ) {
            prop_assume!(other != "f1");
            let key = stored(done.then_some(200), 0);
            prop_assert_eq!(classify(key, &other, at(secs)), KeyState::FingerprintMismatch);
        }

        #[test]
        fn parse_accepts_exactly_visible_ascii(raw in "\\PC{0,300}") {
            let ok = !raw.is_empty() && raw.len() <= 255 && raw.bytes().all(|b| b.is_ascii_graphic());
            prop_assert_eq!(IdempotencyKey::parse(&raw).is_ok(), ok);
        }
    }
}

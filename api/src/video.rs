//! The video room of a video complaint. This service does not carry video: it gives each
//! of the two participants a link to a room of the configured provider, as Jitsi's token
//! authentication reads it: the room URL pattern (`{room}`, `{token}`) with an HS256 JWT
//! (`iss` = app id, `aud`, `sub` = the provider's host, `room`, `nbf` = a few minutes
//! before the slot, `exp` = its end, `context.user` = a pseudonymous id and whether the
//! participant moderates). The room name is derived from the appointment and the secret,
//! so that it cannot be guessed from the appointment's id.

use crate::config::Settings;
use crate::error::ApiError;
use chrono::{DateTime, Utc};
use domain::appointments::Appointment;
use secrecy::ExposeSecret;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The configured provider.
#[derive(Clone)]
pub struct VideoProvider {
    room_url: String,
    secret: Option<Vec<u8>>,
    app_id: String,
    audience: String,
    host: String,
    /// How many minutes before the slot the link is valid.
    pub early_minutes: u32,
}

/// A participant's link.
#[derive(Debug, Clone)]
pub struct RoomLink {
    pub url: String,
    pub room: String,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
}

#[derive(Serialize)]
struct User<'a> {
    id: &'a str,
    moderator: bool,
}

#[derive(Serialize)]
struct Context<'a> {
    user: User<'a>,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    aud: &'a str,
    sub: &'a str,
    room: &'a str,
    iat: i64,
    nbf: i64,
    exp: i64,
    context: Context<'a>,
}

impl VideoProvider {
    /// From the settings; in development without a secret, a random one per start (the
    /// links then work with a provider configured with nothing: a trial only).
    pub fn from_settings(settings: &Settings) -> Self {
        let a = &settings.appointments;
        let secret = match &a.video_secret {
            Some(secret) => Some(secret.expose_secret().as_bytes().to_vec()),
            None if settings.environment == crate::config::Environment::Development => {
                let mut buf = vec![0u8; 32];
                getrandom::fill(&mut buf).ok().map(|_| buf)
            }
            None => None,
        };
        let host = url::Url::parse(&a.video_room_url.replace(['{', '}'], ""))
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "*".into());
        VideoProvider {
            room_url: a.video_room_url.clone(),
            secret,
            app_id: a.video_app_id.clone(),
            audience: a.video_audience.clone(),
            host,
            early_minutes: a.video_early_minutes,
        }
    }

    /// The room of an appointment: `ecom-` and 32 hex digits of SHA-256(secret, id).
    pub fn room(&self, appointment: &Appointment) -> Result<String, ApiError> {
        let secret = self.secret.as_ref().ok_or(ApiError::VideoNotConfigured)?;
        let mut hasher = Sha256::new();
        hasher.update(secret);
        hasher.update(b"room:");
        hasher.update(appointment.id.as_bytes());
        Ok(format!("ecom-{}", &hex::encode(hasher.finalize())[..32]))
    }

    /// The link for one participant (`participant` is their pseudonymous id; the
    /// officer moderates), valid over the appointment's room window.
    pub fn link(
        &self,
        appointment: &Appointment,
        participant: &str,
        moderator: bool,
        now: DateTime<Utc>,
    ) -> Result<RoomLink, ApiError> {
        let secret = self.secret.as_ref().ok_or(ApiError::VideoNotConfigured)?;
        let room = self.room(appointment)?;
        let (valid_from, valid_until) = appointment.room_window(self.early_minutes);
        let claims = Claims {
            iss: &self.app_id,
            aud: &self.audience,
            sub: &self.host,
            room: &room,
            iat: now.timestamp(),
            nbf: valid_from.timestamp(),
            exp: valid_until.timestamp(),
            context: Context {
                user: User {
                    id: participant,
                    moderator,
                },
            },
        };
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(secret),
        )
        .map_err(|e| ApiError::Internal(format!("video token: {e}")))?;
        let url = self
            .room_url
            .replace("{room}", &room)
            .replace("{token}", &token);
        Ok(RoomLink {
            url,
            room,
            valid_from,
            valid_until,
        })
    }
}

//! The partner registry's use cases, shared by the admin API and the command line: each
//! change is checked by the domain (`domain::partner`), written with its audit event in
//! one transaction, and the webhook signing secret is made here and stored sealed.

use domain::audit::{Actor, AuditEvent, AuditOperation};
use domain::forms::FieldIssue;
use domain::partner::{Partner, PartnerInput};
use persistence::partners::{self as repo, RegisterError};
use persistence::sealing::Keyring;
use persistence::{DbConnection, PersistenceError};

/// The audit trail's object type of partners.
pub const OBJECT: &str = "partner";

/// Why a change to the registry was refused.
#[derive(Debug, thiserror::Error)]
pub enum PartnerError {
    #[error("invalid registration")]
    Invalid(Vec<FieldIssue>),
    /// The partner id or one of the client ids is registered already.
    #[error("already registered: {0}")]
    Conflict(String),
    #[error("no partner {0}")]
    NotFound(String),
    #[error("sealing: {0}")]
    Sealing(String),
    #[error(transparent)]
    Persistence(#[from] PersistenceError),
}

impl From<persistence::QueryError> for PartnerError {
    fn from(e: persistence::QueryError) -> Self {
        PartnerError::Persistence(e.into())
    }
}

/// A partner with its signing secret in clear (`whsec_` + base64 of 32 random bytes), as
/// shown once, at registration and at each rotation.
#[derive(Debug, Clone)]
pub struct WithSecret {
    pub partner: Partner,
    pub secret: String,
}

/// A new Standard Webhooks secret: `whsec_` and the base64 of 32 random bytes.
pub fn new_secret() -> Result<String, PartnerError> {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| PartnerError::Sealing(e.to_string()))?;
    Ok(format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

/// The sealing context of a partner's secret (a sealed secret opens only for its partner).
pub fn secret_context(partner: &str) -> String {
    format!("partner-secret:{partner}")
}

fn seal(keyring: &Keyring, partner: &str, secret: &str) -> Result<String, PartnerError> {
    keyring
        .seal(secret.as_bytes(), &secret_context(partner))
        .map_err(|e| PartnerError::Sealing(e.to_string()))
}

fn audit(
    actor: Actor,
    action: &str,
    id: &str,
    now: chrono::DateTime<chrono::Utc>,
    request_id: Option<String>,
) -> AuditEvent {
    let mut event = AuditEvent::new(actor, AuditOperation::Alteration, OBJECT, Some(id), now)
        .with_action(action);
    event.request_id = request_id;
    event
}

/// Registers a partner by `actor` at `now` (audited as `register_partner`).
pub fn register(
    conn: &mut DbConnection,
    keyring: &Keyring,
    input: PartnerInput,
    reserved_clients: &[String],
    actor: Actor,
    now: chrono::DateTime<chrono::Utc>,
    request_id: Option<String>,
) -> Result<WithSecret, PartnerError> {
    // A zone's website names its zone's unit: known to the directory (as stored).
    let unit_known = match input.unit.as_deref().map(str::trim) {
        Some(unit) if !unit.is_empty() => persistence::directory::unit_exists(conn, unit)?,
        _ => false,
    };
    // A lost-property office names its municipality: known to the directory.
    let municipality_known = match input.municipality.as_deref().map(str::trim) {
        Some(m) if !m.is_empty() => persistence::directory::municipality_exists(conn, m)?,
        _ => false,
    };
    let partner = input
        .check(now, |_| unit_known, |_| municipality_known)
        .map_err(PartnerError::Invalid)?;
    let reserved = domain::partner::reserved_client_issues(&partner.client_ids, reserved_clients);
    if !reserved.is_empty() {
        return Err(PartnerError::Invalid(reserved));
    }
    let secret = new_secret()?;
    let sealed = seal(keyring, &partner.id, &secret)?;
    let event = audit(actor, "register_partner", &partner.id, now, request_id);
    conn.write_transaction(|c| {
        repo::register(c, &partner, &sealed).map_err(|e| match e {
            RegisterError::IdTaken(id) | RegisterError::ClientTaken(id) => {
                PartnerError::Conflict(id)
            }
            RegisterError::Persistence(e) => PartnerError::Persistence(e),
        })?;
        persistence::audit::append(c, &event)?;
        Ok::<_, PartnerError>(())
    })?;
    Ok(WithSecret { partner, secret })
}

/// Disables a partner (audited as `disable_partner`); disabling a disabled one changes
/// nothing but is recorded too.
pub fn disable(
    conn: &mut DbConnection,
    id: &str,
    actor: Actor,
    now: chrono::DateTime<chrono::Utc>,
    request_id: Option<String>,
) -> Result<Partner, PartnerError> {
    let event = audit(actor, "disable_partner", id, now, request_id);
    conn.write_transaction(|c| {
        let partner =
            repo::disable(c, id, now)?.ok_or_else(|| PartnerError::NotFound(id.into()))?;
        persistence::audit::append(c, &event)?;
        Ok::<_, PartnerError>(partner)
    })
}

/// Makes a new signing secret (audited as `rotate_partner_secret`); the previous one
/// keeps signing for `domain::limits::PARTNER_OLD_SECRET_HOURS`.
pub fn rotate_secret(
    conn: &mut DbConnection,
    keyring: &Keyring,
    id: &str,
    actor: Actor,
    now: chrono::DateTime<chrono::Utc>,
    request_id: Option<String>,
) -> Result<WithSecret, PartnerError> {
    let secret = new_secret()?;
    let sealed = seal(keyring, id, &secret)?;
    let keep_until = now + chrono::Duration::hours(domain::limits::PARTNER_OLD_SECRET_HOURS);
    let event = audit(actor, "rotate_partner_secret", id, now, request_id);
    let partner = conn.write_transaction(|c| {
        let partner = repo::rotate_secret(c, id, &sealed, keep_until, now)?
            .ok_or_else(|| PartnerError::NotFound(id.into()))?;
        persistence::audit::append(c, &event)?;
        Ok::<_, PartnerError>(partner)
    })?;
    Ok(WithSecret { partner, secret })
}

/// Gives the partner `id` a new Open311 API key (`o311_` + base64url of 32 random
/// bytes), answered once; only its SHA-256 is stored, and the previous key stops working.
/// Audited (`issue_open311_key`).
pub fn issue_open311_key(
    conn: &mut DbConnection,
    id: &str,
    actor: Actor,
    now: chrono::DateTime<chrono::Utc>,
    request_id: Option<String>,
) -> Result<(Partner, String), PartnerError> {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| PartnerError::Sealing(e.to_string()))?;
    let key = format!(
        "o311_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let hash = super::open311::key_hash(&key);
    let event = audit(actor, "issue_open311_key", id, now, request_id);
    let partner = conn.write_transaction(|c| {
        let partner = repo::get(c, id)?.ok_or_else(|| PartnerError::NotFound(id.into()))?;
        persistence::open311::set_key(c, id, &hash, now)?;
        persistence::audit::append(c, &event)?;
        Ok::<_, PartnerError>(partner)
    })?;
    Ok((partner, key))
}

/// The signing secrets of a partner in clear at `now`: the current one, then the
/// previous one while it still signs (Standard Webhooks sends a signature per secret).
pub fn signing_secrets(
    conn: &mut DbConnection,
    keyring: &Keyring,
    id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<String>, PartnerError> {
    let sealed = repo::secrets(conn, id, now)?.ok_or_else(|| PartnerError::NotFound(id.into()))?;
    let open = |s: &str| {
        keyring
            .open(s, &secret_context(id))
            .map_err(|e| PartnerError::Sealing(e.to_string()))
            .and_then(|b| String::from_utf8(b).map_err(|e| PartnerError::Sealing(e.to_string())))
    };
    let mut secrets = vec![open(&sealed.current)?];
    if let Some((previous, _)) = sealed.previous {
        secrets.push(open(&previous)?);
    }
    Ok(secrets)
}

/// Reads the enabled partners' browser origins again (CORS) into the state, and forgets
/// the clients remembered as no partner's (`AppState::not_partners`): called after every
/// change to the registry.
pub async fn refresh_origins(
    state: &actix_web::web::Data<crate::state::AppState>,
) -> Result<(), crate::error::ApiError> {
    let origins = super::with_db(state, |conn| {
        Ok(persistence::partners::enabled_origins(conn)?)
    })
    .await?;
    state.set_partner_origins(origins);
    // A client registered just now may have been remembered as the app's.
    state.not_partners.invalidate_all();
    Ok(())
}

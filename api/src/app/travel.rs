//! A minor's travel authorisation (issue 19; docs/DOCUMENTS.md), one function per step:
//! a parent at level high starts a request (the rules are `domain::travel`'s), the other
//! holder is invited through the outbox with a single-use, expiring link (only its hash
//! is stored), takes it at level high and consents or refuses; an officer of the unit of
//! the requester's municipality of residence approves (the document is signed and
//! registered) or rejects; a parent revokes until departure, the police at any time.
//! Every step is an audit event; consents name the level of assurance they were given at.
//! The request's content is sealed at rest with the keyring; logs carry ids only.

use super::with_db;
use crate::error::{ApiError, FieldError};
use crate::idempotency::{Done, Key, Reply};
use crate::state::AppState;
use actix_web::web;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use domain::audit::{AuditEvent, AuditOperation};
use domain::catalogue::{Competence, Country};
use domain::directory::{MunicipalityId, Place, Routing};
use domain::filing::{ComplainantIdentity, ConfirmationChannel, MessageTemplate, OutgoingMessage};
use domain::forms::FieldIssue;
use domain::i18n::Lang;
use domain::policy::{CitizenActor, OfficerActor};
use domain::travel::{
    self, AuthorisationClaims, NameCheck, OtherHolder, Party, Revoker, StoredRequest,
    TravelRequest, TravelStatus,
};
use persistence::travel::{self as store, Document, PartyIdentity, Revocation, TravelRow};
use persistence::DbConnection;
use sha2::Digest;

/// A request as its reader sees it: the row, its opened content and its document.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub row: TravelRow,
    pub stored: StoredRequest,
    pub document: Option<Document>,
}

/// What a requester gives.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub request: TravelRequest,
    pub requester_email: String,
    pub municipality: String,
    pub language: Lang,
    /// The requester's identity claims, as their sign-in gave them.
    pub personal: ComplainantIdentity,
}

/// A party to a request as the reviewing officer sees it: the identity claims its sign-in
/// gave, at which level and when; for the second holder, how its name compares with the
/// name the requester gave for the other holder.
#[derive(Debug, Clone)]
pub struct PartyClaims {
    pub party: Party,
    pub assurance: String,
    pub identity: ComplainantIdentity,
    pub captured_at: DateTime<Utc>,
    pub name_check: Option<NameCheck>,
}

/// `citizen`'s identity claims sealed as `party` of request `id`, captured `now`: stored
/// even when the sign-in gave no claim (the level and the time still say who consented).
fn seal_party(
    sealing: &persistence::sealing::Keyring,
    id: &str,
    party: Party,
    citizen: &CitizenActor,
    personal: &ComplainantIdentity,
    now: DateTime<Utc>,
) -> Result<PartyIdentity, ApiError> {
    let json = serde_json::to_vec(personal).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(PartyIdentity {
        request_id: id.to_owned(),
        party: party.as_str().to_owned(),
        assurance: citizen.assurance.as_str().to_owned(),
        sealed: sealing
            .seal(&json, &store::identity_context(id, party.as_str()))
            .map_err(seal_error)?,
        captured_at: now,
    })
}

/// The short reference the messages name (never the minor).
pub fn reference(id: &str) -> String {
    let short: String = id.chars().filter(|c| *c != '-').take(8).collect();
    format!("TA-{}", short.to_uppercase())
}

fn require_high(citizen: &CitizenActor) -> Result<(), ApiError> {
    if citizen.assurance.satisfies(travel::REQUIRED_ASSURANCE) {
        Ok(())
    } else {
        Err(ApiError::InsufficientAssurance {
            required: travel::REQUIRED_ASSURANCE.as_str().to_owned(),
        })
    }
}

/// The time zone of `municipality`'s country (UTC for an id it cannot read): the
/// request's days (the trip's end, a revocation's day) are counted in it.
pub fn zone_of(municipality: &str) -> chrono_tz::Tz {
    MunicipalityId::parse(municipality, None)
        .and_then(|m| m.country())
        .map(Country::time_zone)
        .unwrap_or(chrono_tz::UTC)
}

fn audit(
    actor: domain::audit::Actor,
    operation: AuditOperation,
    id: &str,
    action: &str,
    justification: Option<String>,
    request_id: Option<String>,
) -> AuditEvent {
    let mut event = AuditEvent::new(actor, operation, "travel_request", Some(id), super::now())
        .with_action(action);
    event.justification = justification;
    event.request_id = request_id;
    event
}

fn seal_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(format!("sealing: {e}"))
}

/// Starts a request: checks the level of assurance, the request and the municipality,
/// stores it sealed, invites the other holder (or leaves a sole holder's request to the
/// officer's review) and audits the requester's consent.
///
/// # Errors
/// 403 `insufficient_assurance`; 422 with each field issue; 422 `no_competent_unit`; 422
/// `place_ambiguous` for a municipality served by part (its parts are the candidates).
pub async fn start(
    state: &web::Data<AppState>,
    citizen: CitizenActor,
    input: NewRequest,
    request_id: Option<String>,
    (key, render): (Option<Key>, impl FnOnce(Loaded) -> Reply + Send + 'static),
) -> Result<Done, ApiError> {
    require_high(&citizen)?;
    let now = super::now();
    let municipality = MunicipalityId::parse(&input.municipality, None);
    let zone = zone_of(&input.municipality);
    let today = now.with_timezone(&zone).date_naive();
    let max_days = i64::from(state.travel.max_trip_days);
    let input = NewRequest {
        request: input.request.trimmed(),
        ..input
    };
    let mut issues = travel::validate(&input.request, today, max_days)
        .err()
        .unwrap_or_default();
    if !travel::plausible_email(&input.requester_email) {
        issues.push(FieldIssue::new("/contact_email", "invalid_email"));
    }
    // Routed like a place of the facts given by its municipality: a municipality served
    // by several units by part (Barcelona, by district) answers with its parts to choose
    // from (`place_ambiguous`, at `/municipality`).
    let routing = match &municipality {
        None => {
            issues.push(FieldIssue::new("/municipality", "unknown_municipality"));
            None
        }
        Some(m) if state.directory().municipality(m).is_none() => {
            issues.push(FieldIssue::new("/municipality", "unknown_municipality"));
            None
        }
        Some(m) => {
            let place = Place {
                municipality: Some(m.clone()),
                ..Place::default()
            };
            state
                .directory()
                .route(&Competence::Local, &place, today)
                .ok()
        }
    };
    if !issues.is_empty() {
        return Err(ApiError::Validation(super::field_errors(issues)));
    }
    let unit = match routing {
        Some(Routing::Routed { unit, .. }) => unit,
        Some(Routing::Ambiguous { candidates, .. }) => {
            let lang = input.language;
            return Err(super::place_ambiguous(
                state,
                lang,
                "/municipality",
                &candidates,
            ));
        }
        _ => return Err(ApiError::NoCompetentUnit),
    };
    let id = uuid::Uuid::new_v4().to_string();
    let stored = StoredRequest {
        request: input.request,
        requester_email: input.requester_email,
    };
    let invited = stored.invited_email().is_some();
    // The end of the trip (the document's expiry if issued): the retention clock.
    let trip_ends_at = AuthorisationClaims::of(&stored.request, &id, "")
        .validity(now, &zone)
        .exp
        .and_then(|t| DateTime::<Utc>::from_timestamp(t, 0));
    let json = serde_json::to_vec(&stored).map_err(|e| ApiError::Internal(e.to_string()))?;
    let row = TravelRow {
        id: id.clone(),
        requester_id: citizen.id.clone(),
        second_holder_id: None,
        unit_id: unit,
        municipality: input.municipality.trim().to_owned(),
        status: if invited {
            TravelStatus::AwaitingConsent
        } else {
            TravelStatus::AwaitingReview
        },
        sealed_request: state
            .sealing
            .seal(&json, &store::context(&id))
            .map_err(seal_error)?,
        language: input.language.as_str().to_owned(),
        sole_holder: !invited,
        decision_reason: None,
        decided_by: None,
        decided_at: None,
        created_at: now,
        updated_at: now,
        trip_ends_at,
    };
    let invitation = invited
        .then(|| invitation(state, &id, input.language, now))
        .transpose()?;
    let requester = seal_party(
        &state.sealing,
        &id,
        Party::Requester,
        &citizen,
        &input.personal,
        now,
    )?;
    let event = audit(
        citizen.audit_actor(),
        AuditOperation::Collection,
        &id,
        "request_travel_authorisation",
        Some(format!(
            "consent of the requester at level {}",
            citizen.assurance.as_str()
        )),
        request_id,
    );
    let sealing = state.sealing.clone();
    let writes = move |c: &mut DbConnection| {
        store::insert(c, &row)?;
        store::store_identity(c, &requester)?;
        if let Some((hash, expires, message)) = &invitation {
            store::invite(c, &row.id, hash, *expires)?;
            persistence::appointments::queue_message(c, &row.id, message, now, now, None)?;
        }
        persistence::audit::append(c, &event)?;
        load_in(c, &sealing, &row.id)
    };
    let done = super::write_idempotently(state, key, writes, render).await?;
    if matches!(done, Done::Fresh(_)) {
        tracing::info!(travel_request = %id, invited, "travel authorisation requested");
    }
    Ok(done)
}

/// A fresh invitation of request `id`: the token's hash, its expiry and the message that
/// carries the link (sealed: the token itself is stored nowhere else).
fn invitation(
    state: &AppState,
    id: &str,
    language: Lang,
    now: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>, OutgoingMessage), ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::Internal(e.to_string()))?;
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let expires = now + Duration::hours(i64::from(state.travel.invitation_hours.max(1)));
    let link = state.travel.invitation_url.replace("{token}", &token);
    let sealed = state
        .sealing
        .seal(link.as_bytes(), &store::link_context(id))
        .map_err(seal_error)?;
    let message = OutgoingMessage {
        channel: ConfirmationChannel::Email,
        template: MessageTemplate::TravelInvitation.as_str(),
        language,
        payload: serde_json::json!({
            "reference": reference(id),
            "link_sealed": sealed,
            "expires_at": expires.format("%Y-%m-%d %H:%M UTC").to_string(),
        }),
    };
    Ok((token_hash(&token), expires, message))
}

/// SHA-256 of an invitation token, lowercase hex: what the database holds.
pub fn token_hash(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.trim().as_bytes()))
}

/// Request `id` with its opened content and document.
async fn load(state: &web::Data<AppState>, id: String) -> Result<Loaded, ApiError> {
    let sealing = state.sealing.clone();
    with_db(state, move |conn| load_in(conn, &sealing, &id)).await
}

fn load_in(
    conn: &mut DbConnection,
    sealing: &persistence::sealing::Keyring,
    id: &str,
) -> Result<Loaded, ApiError> {
    let row = store::find(conn, id)?.ok_or_else(|| ApiError::TravelRequestNotFound(id.into()))?;
    let bytes = sealing
        .open(&row.sealed_request, &store::context(&row.id))
        .map_err(seal_error)?;
    let stored: StoredRequest =
        serde_json::from_slice(&bytes).map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut document = store::document_of(conn, id)?;
    if let Some(doc) = document.as_mut() {
        doc.credential = open_credential(sealing, doc)?;
    }
    Ok(Loaded {
        row,
        stored,
        document,
    })
}

/// A registered document's credential, opened from its seal (one registered before the
/// credentials were sealed, 2026-12-07, is held as issued; an erased one is empty).
fn open_credential(
    sealing: &persistence::sealing::Keyring,
    doc: &Document,
) -> Result<String, ApiError> {
    if persistence::sealing::key_id_of(&doc.credential).is_err() {
        return Ok(doc.credential.clone());
    }
    let bytes = sealing
        .open(&doc.credential, &store::document_context(&doc.id))
        .map_err(seal_error)?;
    String::from_utf8(bytes).map_err(|e| ApiError::Internal(e.to_string()))
}

/// Request `id` as citizen `user` sees it: theirs (as requester or second holder), else
/// 404 as if it did not exist.
pub async fn for_citizen(
    state: &web::Data<AppState>,
    user: &str,
    id: String,
) -> Result<(Loaded, Party), ApiError> {
    let loaded = load(state, id.clone()).await?;
    let row = &loaded.row;
    match travel::party(&row.requester_id, row.second_holder_id.as_deref(), user) {
        Some(party) => Ok((loaded, party)),
        None => Err(ApiError::TravelRequestNotFound(id)),
    }
}

/// The other holder takes the invitation (token): once, before it expires, at level
/// high; they are then the request's second holder and may read it and answer.
///
/// # Errors
/// 403 `insufficient_assurance`; 410 `invitation_invalid` (unknown, used, expired, or the
/// request no longer waits for consent); 403 for the requester's own invitation.
///
/// The identity claims of their sign-in (`personal`) are stored sealed with the request:
/// the reviewing officer sees who took the invitation, not only that someone did.
pub async fn take_invitation(
    state: &web::Data<AppState>,
    citizen: CitizenActor,
    personal: ComplainantIdentity,
    token: String,
    request_id: Option<String>,
) -> Result<Loaded, ApiError> {
    require_high(&citizen)?;
    let sealing = state.sealing.clone();
    let hash = token_hash(&token);
    let now = super::now();
    let user = citizen.id.clone();
    let actor = citizen.audit_actor();
    let id = with_db(state, move |conn| {
        conn.write_transaction(|c| {
            let invitation = store::invitation(c, &hash)?.ok_or(ApiError::InvitationInvalid)?;
            if !travel::invitation_usable(invitation.used_at, invitation.expires_at, now) {
                return Err(ApiError::InvitationInvalid);
            }
            let row = store::find(c, &invitation.request_id)?.ok_or(ApiError::InvitationInvalid)?;
            if row.status != TravelStatus::AwaitingConsent {
                return Err(ApiError::InvitationInvalid);
            }
            if row.requester_id == user {
                return Err(ApiError::Forbidden);
            }
            if !store::take_invitation(c, &hash, &row.id, &user, now)? {
                return Err(ApiError::InvitationInvalid);
            }
            let second = Party::SecondHolder;
            let identity = seal_party(&sealing, &row.id, second, &citizen, &personal, now)?;
            store::store_identity(c, &identity)?;
            let event = audit(
                actor,
                AuditOperation::Consultation,
                &row.id,
                "take_travel_invitation",
                None,
                request_id,
            );
            persistence::audit::append(c, &event)?;
            Ok(row.id)
        })
    })
    .await?;
    load(state, id).await
}

/// The second holder consents (`consent`) or refuses: a refusal ends the request and
/// tells its requester through the outbox. Audited with the level of assurance.
///
/// # Errors
/// 403 `insufficient_assurance`; 403 `forbidden` for its requester; 404 for anyone else
/// but its second holder; 409 `travel_invalid_state` once answered.
pub async fn answer(
    state: &web::Data<AppState>,
    citizen: CitizenActor,
    id: String,
    consent: bool,
    request_id: Option<String>,
) -> Result<Loaded, ApiError> {
    require_high(&citizen)?;
    let (loaded, party) = for_citizen(state, &citizen.id, id.clone()).await?;
    if party == Party::Requester {
        // The requester reads the request, so it exists for them: their consent is the
        // request itself, the answer is the other holder's.
        return Err(ApiError::Forbidden);
    }
    let (event, to, action) = if consent {
        (
            travel::TravelEvent::Consent,
            TravelStatus::AwaitingReview,
            "consent_travel_authorisation",
        )
    } else {
        (
            travel::TravelEvent::Refuse,
            TravelStatus::Refused,
            "refuse_travel_authorisation",
        )
    };
    let from = loaded.row.status;
    if travel::next(from, event) != Some(to) {
        return Err(ApiError::TravelInvalidState {
            status: from.as_str().to_owned(),
        });
    }
    let now = super::now();
    let audit_event = audit(
        citizen.audit_actor(),
        AuditOperation::Alteration,
        &id,
        action,
        Some(format!(
            "{} of the second holder at level {}",
            if consent { "consent" } else { "refusal" },
            citizen.assurance.as_str()
        )),
        request_id,
    );
    let told = (!consent).then(|| OutgoingMessage {
        channel: ConfirmationChannel::Email,
        template: MessageTemplate::TravelRefused.as_str(),
        language: loaded.row.language.parse().unwrap_or(Lang::En),
        payload: serde_json::json!({ "reference": reference(&id) }),
    });
    let target = id.clone();
    with_db(state, move |conn| {
        conn.write_transaction(|c| {
            if !store::transition(c, &target, from, to, None, now)? {
                return Err(ApiError::TravelInvalidState {
                    status: from.as_str().to_owned(),
                });
            }
            if let Some(message) = &told {
                persistence::appointments::queue_message(c, &target, message, now, now, None)?;
            }
            persistence::audit::append(c, &audit_event)?;
            Ok(())
        })
    })
    .await?;
    load(state, id).await
}

/// Request `id` of `unit`, for an officer of it (404 when it is another unit's).
pub async fn in_unit(
    state: &web::Data<AppState>,
    unit: &str,
    id: String,
) -> Result<Loaded, ApiError> {
    let loaded = load(state, id.clone()).await?;
    if loaded.row.unit_id == unit {
        Ok(loaded)
    } else {
        Err(ApiError::TravelRequestNotFound(id))
    }
}

/// Request `id` of `unit`, read by an officer of it (an audited consultation), with its
/// parties' identity claims, opened from their seals: the requester's and, once they took
/// the invitation, the second holder's, with how its name compares with the name the
/// requester gave (`domain::travel::compare_holder_name`).
pub async fn officer_view(
    state: &web::Data<AppState>,
    officer: OfficerActor,
    unit: String,
    id: String,
    request_id: Option<String>,
) -> Result<(Loaded, Vec<PartyClaims>), ApiError> {
    let loaded = in_unit(state, &unit, id.clone()).await?;
    let event =
        super::backoffice::consultation(&officer, &unit, ("travel_request", Some(&id)), request_id);
    super::backoffice::record(state, event).await?;
    let sealing = state.sealing.clone();
    let target = id.clone();
    let stored = with_db(state, move |conn| Ok(store::identities(conn, &target)?)).await?;
    let invited = match &loaded.stored.request.other_holder {
        OtherHolder::Invited { name, .. } => Some(name.clone()),
        OtherHolder::SoleHolder { .. } => None,
    };
    let mut parties = Vec::new();
    for row in stored {
        let Some(party) = Party::parse(&row.party) else {
            continue;
        };
        let bytes = sealing
            .open(&row.sealed, &store::identity_context(&id, &row.party))
            .map_err(seal_error)?;
        let identity: ComplainantIdentity =
            serde_json::from_slice(&bytes).map_err(|e| ApiError::Internal(e.to_string()))?;
        let name_check = match (party, &invited) {
            (Party::SecondHolder, Some(name)) => Some(travel::compare_holder_name(name, &identity)),
            _ => None,
        };
        parties.push(PartyClaims {
            party,
            assurance: row.assurance,
            identity,
            captured_at: row.captured_at,
            name_check,
        });
    }
    Ok((loaded, parties))
}

/// A page of the requests of `unit` waiting for review, oldest first, after the
/// request made at `after` (time, id): at most `limit`, and whether more follow (an
/// audited consultation).
pub async fn queue(
    state: &web::Data<AppState>,
    officer: OfficerActor,
    unit: String,
    page: (Option<(DateTime<Utc>, String)>, i64),
    request_id: Option<String>,
) -> Result<(Vec<TravelRow>, bool), ApiError> {
    let event =
        super::backoffice::consultation(&officer, &unit, ("travel_queue", Some(&unit)), request_id);
    let (after, limit) = page;
    with_db(state, move |conn| {
        let mut rows = store::in_unit(conn, &unit, TravelStatus::AwaitingReview, after, limit + 1)?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit.max(0) as usize);
        super::backoffice::record_in(conn, &event, officer.name.as_deref())?;
        Ok((rows, more))
    })
    .await
}

/// The validity window of request `loaded`'s document issued at `issued`.
pub fn validity(
    loaded: &Loaded,
    doc_id: &str,
    issued: DateTime<Utc>,
) -> (AuthorisationClaims, domain::credentials::Validity) {
    let claims = AuthorisationClaims::of(&loaded.stored.request, doc_id, &loaded.row.unit_id);
    let window = claims.validity(issued, &zone_of(&loaded.row.municipality));
    (claims, window)
}

/// An officer of the request's unit approves it: the document is signed, registered and
/// the request approved, in one transaction with its audit event.
///
/// # Errors
/// 404 outside the unit; 409 `travel_invalid_state` unless it waits for review; 409
/// `supporting_document_required` for a sole holder's declaration without a supporting
/// document.
pub async fn approve(
    state: &web::Data<AppState>,
    officer: OfficerActor,
    unit: String,
    id: String,
    request_id: Option<String>,
) -> Result<Loaded, ApiError> {
    let loaded = in_unit(state, &unit, id.clone()).await?;
    let from = loaded.row.status;
    if travel::next(from, travel::TravelEvent::Approve).is_none() {
        return Err(ApiError::TravelInvalidState {
            status: from.as_str().to_owned(),
        });
    }
    let now = super::now();
    let doc_id = uuid::Uuid::new_v4().to_string();
    let (claims, window) = validity(&loaded, &doc_id, now);
    let credential = super::credentials::travel_credential(state, &claims, &window)?;
    // Sealed at rest: its payload holds the minor's name and birth date.
    let credential = state
        .sealing
        .seal(credential.as_bytes(), &store::document_context(&doc_id))
        .map_err(seal_error)?;
    let document = Document {
        id: doc_id,
        request_id: id.clone(),
        unit_id: unit.clone(),
        issued_at: now,
        issued_by: officer.id.clone(),
        credential,
        revocation: None,
    };
    let event = audit(
        officer.audit_actor(Some(&unit)),
        AuditOperation::Alteration,
        &id,
        "approve_travel_authorisation",
        Some(format!("document {} issued", document.id)),
        request_id,
    );
    let target = id.clone();
    let sole_holder = loaded.row.sole_holder;
    with_db(state, move |conn| {
        conn.write_transaction(|c| {
            // A sole holder's declaration stands on its supporting document.
            let documents = persistence::evidence::holding(c, &target)?.files;
            if !travel::may_approve(sole_holder, documents) {
                return Err(ApiError::SupportingDocumentRequired);
            }
            let by = Some((officer.id.as_str(), None));
            if !store::transition(c, &target, from, TravelStatus::Approved, by, now)? {
                return Err(ApiError::TravelInvalidState {
                    status: from.as_str().to_owned(),
                });
            }
            store::register(c, &document)?;
            persistence::audit::append(c, &event)?;
            Ok(())
        })
    })
    .await?;
    load(state, id).await
}

/// An officer of the request's unit rejects it with a reason.
///
/// # Errors
/// 422 for the reason; 404 outside the unit; 409 `travel_invalid_state`.
pub async fn reject(
    state: &web::Data<AppState>,
    officer: OfficerActor,
    (unit, id): (String, String),
    reason: &str,
    request_id: Option<String>,
) -> Result<Loaded, ApiError> {
    let reason = travel::check_reason(reason, "/reason")
        .map_err(|issues| ApiError::Validation(super::field_errors(issues)))?;
    let loaded = in_unit(state, &unit, id.clone()).await?;
    let from = loaded.row.status;
    if travel::next(from, travel::TravelEvent::Reject).is_none() {
        return Err(ApiError::TravelInvalidState {
            status: from.as_str().to_owned(),
        });
    }
    let now = super::now();
    let event = audit(
        officer.audit_actor(Some(&unit)),
        AuditOperation::Alteration,
        &id,
        "reject_travel_authorisation",
        None,
        request_id,
    );
    let target = id.clone();
    with_db(state, move |conn| {
        conn.write_transaction(|c| {
            let by = Some((officer.id.as_str(), Some(reason.as_str())));
            if !store::transition(c, &target, from, TravelStatus::Rejected, by, now)? {
                return Err(ApiError::TravelInvalidState {
                    status: from.as_str().to_owned(),
                });
            }
            persistence::audit::append(c, &event)?;
            Ok(())
        })
    })
    .await?;
    load(state, id).await
}

/// Who revokes, for the audit trail and the register.
pub struct Revoking {
    pub as_role: Revoker,
    pub actor: domain::audit::Actor,
    pub reason: String,
}

/// Revokes request `loaded`'s document: a parent until the departure day starts (in the
/// issuing unit's time zone), the police at any time. The online check then answers
/// `revoked`.
///
/// # Errors
/// 422 for the reason; 409 `travel_invalid_state` unless approved; 409
/// `revocation_closed` for a parent once the departure day started.
pub async fn revoke(
    state: &web::Data<AppState>,
    loaded: Loaded,
    who: Revoking,
    request_id: Option<String>,
) -> Result<Loaded, ApiError> {
    let reason = travel::check_reason(&who.reason, "/reason")
        .map_err(|issues| ApiError::Validation(super::field_errors(issues)))?;
    let from = loaded.row.status;
    let (Some(document), Some(_)) = (
        loaded.document.clone(),
        travel::next(from, travel::TravelEvent::Revoke),
    ) else {
        return Err(ApiError::TravelInvalidState {
            status: from.as_str().to_owned(),
        });
    };
    let now = super::now();
    let (_, window) = validity(&loaded, &document.id, document.issued_at);
    let departure = DateTime::<Utc>::from_timestamp(window.nbf, 0).unwrap_or(now);
    if !travel::may_revoke(who.as_role, now, departure) {
        return Err(ApiError::RevocationClosed);
    }
    let as_role = match who.as_role {
        Revoker::Parent => "parent",
        Revoker::Police => "police",
    };
    let revocation = Revocation {
        at: now,
        by: who.actor.id.clone(),
        as_role: as_role.to_owned(),
        reason,
    };
    let id = loaded.row.id.clone();
    let event = audit(
        who.actor,
        AuditOperation::Alteration,
        &id,
        "revoke_travel_authorisation",
        Some(format!("document {} revoked by the {as_role}", document.id)),
        request_id,
    );
    let target = id.clone();
    with_db(state, move |conn| {
        conn.write_transaction(|c| {
            if !store::transition(c, &target, from, TravelStatus::Revoked, None, now)?
                || !store::revoke(c, &document.id, &revocation)?
            {
                return Err(ApiError::TravelInvalidState {
                    status: from.as_str().to_owned(),
                });
            }
            persistence::audit::append(c, &event)?;
            Ok(())
        })
    })
    .await?;
    load(state, id).await
}

/// A field error for the body's member `pointer` (the handlers' shape errors).
pub fn field(pointer: &str, code: &str) -> ApiError {
    ApiError::Validation(vec![FieldError::new(pointer, code)])
}

/// The requester starts sending supporting documents to their sole holder's declaration
/// (the evidence store's session: its checks, encryption and audit events).
///
/// # Errors
/// 403 `insufficient_assurance`; 404 unless they made the request; 409
/// `supporting_documents_not_accepted` unless it is a sole holder's declaration waiting
/// for review.
pub async fn supporting_session(
    state: &web::Data<AppState>,
    citizen: CitizenActor,
    id: String,
    request_id: Option<String>,
) -> Result<super::evidence::Session, ApiError> {
    require_high(&citizen)?;
    let (loaded, party) = for_citizen(state, &citizen.id, id.clone()).await?;
    if party != Party::Requester {
        return Err(ApiError::TravelRequestNotFound(id));
    }
    let row = &loaded.row;
    if !travel::takes_supporting_documents(row.sole_holder, row.status) {
        return Err(ApiError::SupportingDocumentsNotAccepted {
            status: row.status.as_str().to_owned(),
        });
    }
    super::evidence::begin_supporting(state, citizen, &id, request_id).await
}

/// The supporting documents of request `id`, for its requester.
pub async fn own_supporting_documents(
    state: &web::Data<AppState>,
    citizen: CitizenActor,
    id: String,
) -> Result<Vec<persistence::evidence::StoredAttachment>, ApiError> {
    require_high(&citizen)?;
    let (_, party) = for_citizen(state, &citizen.id, id.clone()).await?;
    if party != Party::Requester {
        return Err(ApiError::TravelRequestNotFound(id));
    }
    with_db(state, move |conn| {
        Ok(persistence::evidence::list(conn, &id, None)?)
    })
    .await
}

/// The supporting documents of request `id` of `unit`, for an officer of it (an audited
/// consultation, action `list_supporting_documents`).
pub async fn supporting_documents(
    state: &web::Data<AppState>,
    officer: OfficerActor,
    (unit, id): (String, String),
    request_id: Option<String>,
) -> Result<Vec<persistence::evidence::StoredAttachment>, ApiError> {
    in_unit(state, &unit, id.clone()).await?;
    let mut event =
        super::backoffice::consultation(&officer, &unit, ("travel_request", Some(&id)), request_id);
    event.action = "list_supporting_documents".into();
    with_db(state, move |conn| {
        let files = persistence::evidence::list(conn, &id, None)?;
        super::backoffice::record_in(conn, &event, officer.name.as_deref())?;
        Ok(files)
    })
    .await
}

/// One supporting document of request `id` of `unit` for an officer of it: its viewing
/// copy (a picture without its metadata) or the `original`; each download audited
/// (`download_viewing_copy` / `download_original`, naming the request).
pub async fn supporting_download(
    state: &web::Data<AppState>,
    officer: OfficerActor,
    (unit, id, file): (String, String, String),
    original: bool,
    request_id: Option<String>,
) -> Result<super::evidence::Download, ApiError> {
    in_unit(state, &unit, id.clone()).await?;
    let app = state.clone();
    with_db(state, move |conn| {
        let attachment = persistence::evidence::find(conn, &id, &file)?.ok_or_else(|| {
            ApiError::Evidence(crate::error::EvidenceError::AttachmentNotFound(
                file.clone(),
            ))
        })?;
        let mut event = travel::document_download_event(
            officer.audit_actor(Some(&unit)),
            &attachment.id,
            &id,
            original,
            super::now(),
        );
        event.request_id = request_id;
        let download = super::evidence::download_of(&app, attachment, original)?;
        super::backoffice::record_in(conn, &event, officer.name.as_deref())?;
        Ok(download)
    })
    .await
}

//! Evidence use cases (docs/EVIDENCE.md): receiving files (a citizen's attachments on a
//! draft and supplements after submission, or an upload through an officer's link),
//! listing and downloading them, and the officers' upload links.
//!
//! Receiving is a session: [`begin`] checks who may send files to which filing, each
//! file is streamed into the store by [`Session::receive`] (its row inserted
//! `incomplete` first), and [`Session::finish`] completes every row, records the
//! supplement and its history entry, counts the link's use and appends one collection
//! event per file (with the SHA-256 of the original), last, in one transaction. A refused
//! file or a failed request removes what the session stored ([`Session::abandon`]); a
//! crash leaves incomplete rows for the cleanup job (`app::evidence_cleanup`).

use super::with_db;
use crate::error::{ApiError, EvidenceError, FieldError};
use crate::evidence::intake::{self, Rejected};
use crate::evidence::{cipher, FileCopy, StoreError};
use crate::state::AppState;
use actix_web::web;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use domain::audit::{Actor, ActorRole, AuditEvent, AuditOperation};
use domain::evidence::links::{LinkState, UploadLink};
use domain::evidence::{Holding, Origin};
use domain::filing::Filing;
use domain::policy::{CitizenActor, OfficerActor};
use persistence::evidence::{self as repo, NewAttachment, Received, StoredAttachment, Supplement};
use persistence::DbConnection;
use sha2::{Digest, Sha256};

/// Who sends files.
#[derive(Debug, Clone)]
pub enum Sender {
    Citizen(CitizenActor),
    /// Whoever holds the link.
    Link(UploadLink),
}

impl Sender {
    fn actor(&self) -> Actor {
        match self {
            Sender::Citizen(citizen) => citizen.audit_actor(),
            Sender::Link(link) => Actor {
                id: format!("upload_link:{}", link.id),
                role: ActorRole::LinkHolder,
                unit: Some(link.unit_id.clone()),
                client_id: None,
            },
        }
    }
}

/// One file received in a session, waiting for [`Session::finish`].
#[derive(Debug, Clone)]
struct Pending {
    id: String,
    taken: intake::Taken,
}

/// A request sending files to one filing.
pub struct Session {
    sender: Sender,
    filing_id: String,
    status: String,
    origin: Origin,
    holding: Holding,
    files: Vec<Pending>,
    text: Option<String>,
    /// Whether a `text` part was read (even an empty one).
    text_seen: bool,
    request_id: Option<String>,
    /// The kinds of file this session takes (`None`: every kind evidence takes).
    kinds: Option<&'static [domain::evidence::MediaKind]>,
    limits: domain::evidence::Limits,
}

fn store_error(e: StoreError) -> ApiError {
    ApiError::Internal(format!("evidence store: {e}"))
}

/// Hash of an upload link's token, as stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The link of `token`, if it is active now.
fn active_link(conn: &mut DbConnection, token: &str) -> Result<UploadLink, ApiError> {
    let not_found = || ApiError::Evidence(EvidenceError::LinkNotFound("token".into()));
    let link = repo::link_by_token(conn, &token_hash(token))?.ok_or_else(not_found)?;
    if link.state(super::now()) != LinkState::Active {
        return Err(not_found());
    }
    Ok(link)
}

/// Starts receiving files for `filing` (a citizen's own), or for the filing of the link
/// (`Sender::Link`: `filing` is ignored).
pub async fn begin(
    state: &web::Data<AppState>,
    sender: Sender,
    filing: &str,
    request_id: Option<String>,
) -> Result<Session, ApiError> {
    let id = filing.to_owned();
    let limits = state.evidence.limits;
    with_db(state, move |conn| {
        let (filing, origin): (Filing, Origin) = match &sender {
            Sender::Citizen(citizen) => {
                let filing = persistence::filings::find_owned(conn, &citizen.id, &id)?
                    .filter(|f| domain::policy::citizen_may_see(citizen, f))
                    .ok_or_else(|| ApiError::FilingNotFound(id.clone()))?;
                let origin = domain::evidence::citizen_origin(filing.status).ok_or_else(|| {
                    EvidenceError::NotAccepted {
                        status: filing.status.to_string(),
                    }
                })?;
                (filing, origin)
            }
            Sender::Link(link) => {
                let filing =
                    persistence::filings::find_in_unit(conn, &link.unit_id, &link.filing_id)?
                        .filter(|f| domain::evidence::link_may_upload(f.status))
                        .ok_or_else(|| EvidenceError::LinkNotFound("token".into()))?;
                (filing, Origin::UploadLink)
            }
        };
        Ok(Session {
            holding: repo::holding(conn, &filing.id)?,
            sender,
            filing_id: filing.id,
            status: filing.status.to_string(),
            origin,
            files: Vec::new(),
            text: None,
            text_seen: false,
            request_id,
            kinds: None,
            limits,
        })
    })
    .await
}

/// Starts receiving a sole holder's supporting documents for travel request `request`,
/// whose requester `citizen` is (`app::travel` checks it first): the evidence store and
/// its rules, PDF, JPEG or PNG only, at most `travel::MAX_SUPPORTING_DOCUMENTS` files
/// (and the store's byte limits). Completion checks again, in its transaction, that the
/// request still takes documents.
pub async fn begin_supporting(
    state: &web::Data<AppState>,
    citizen: CitizenActor,
    request: &str,
    request_id: Option<String>,
) -> Result<Session, ApiError> {
    let mut limits = state.evidence.limits;
    limits.max_files_per_filing = limits
        .max_files_per_filing
        .min(domain::travel::MAX_SUPPORTING_DOCUMENTS);
    let id = request.to_owned();
    let holding = with_db(state, move |conn| Ok(repo::holding(conn, &id)?)).await?;
    Ok(Session {
        sender: Sender::Citizen(citizen),
        filing_id: request.to_owned(),
        status: String::new(),
        origin: Origin::SupportingDocument,
        holding,
        files: Vec::new(),
        text: None,
        text_seen: false,
        request_id,
        kinds: Some(domain::travel::SUPPORTING_KINDS),
        limits,
    })
}

/// The session of an upload link's holder.
pub async fn begin_with_link(
    state: &web::Data<AppState>,
    token: &str,
    request_id: Option<String>,
) -> Result<Session, ApiError> {
    let token = token.to_owned();
    let link = with_db(state, move |conn| active_link(conn, &token)).await?;
    begin(state, Sender::Link(link), "", request_id).await
}

impl Session {
    /// What the filing holds with the files received so far in this session.
    fn holding_now(&self) -> Holding {
        Holding {
            files: self.holding.files + self.files.len() as u32,
            bytes: self.holding.bytes + self.files.iter().map(|f| f.taken.size).sum::<u64>(),
        }
    }

    /// Whether this session may carry a text (a supplement, after submission).
    pub fn takes_text(&self) -> bool {
        self.origin == Origin::Supplement
    }

    /// Keeps the supplement's text (checked: at most 4000 characters, one `text` part per
    /// request: a second is 422 `duplicate_key` at `/text`, never silently dropped).
    pub fn set_text(&mut self, text: String) -> Result<(), ApiError> {
        if self.text_seen {
            return Err(ApiError::Validation(vec![FieldError::new(
                "/text",
                "duplicate_key",
            )]));
        }
        self.text_seen = true;
        let text = text.trim().to_owned();
        let max = domain::evidence::SUPPLEMENT_TEXT_MAX_CHARS;
        if text.chars().count() > max {
            return Err(ApiError::Validation(vec![FieldError::new(
                "/text", "too_long",
            )
            .with(crate::error::Accepted {
                max_length: Some(max as u64),
                ..Default::default()
            })]));
        }
        self.text = Some(text).filter(|t| !t.is_empty());
        Ok(())
    }

    /// Receives one file (`name` as sent, `declared` its part's Content-Type) from
    /// `chunks` into the store.
    pub async fn receive<S, E>(
        &mut self,
        state: &web::Data<AppState>,
        name: String,
        declared: Option<String>,
        chunks: S,
    ) -> Result<(), ApiError>
    where
        S: futures_util::Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let limits = self.limits;
        let room = limits.room_for_next(self.holding_now()).map_err(|_| {
            ApiError::Evidence(EvidenceError::FilingFull {
                files: limits.max_files_per_filing,
                bytes: limits.max_bytes_per_filing,
            })
        })?;
        let id = uuid::Uuid::new_v4().to_string();
        let key = cipher::new_data_key();
        let sealed_key = state
            .sealing
            .seal(&key, &key_context(&id))
            .map_err(|e| ApiError::Internal(format!("sealing a data key: {e}")))?;
        let (role, by, link_id) = match &self.sender {
            Sender::Citizen(c) => (c.audit_actor().role.to_string(), c.id.clone(), None),
            Sender::Link(l) => (
                ActorRole::LinkHolder.to_string(),
                format!("upload_link:{}", l.id),
                Some(l.id.clone()),
            ),
        };
        let new = NewAttachment {
            id: id.clone(),
            filing_id: self.filing_id.clone(),
            origin: self.origin,
            file_name: name.clone(),
            key_id: state.sealing.current_id().to_owned(),
            data_key: sealed_key,
            uploaded_by_role: role,
            uploaded_by: by,
            link_id,
            created_at: super::now(),
        };
        with_db(state, move |conn| Ok(repo::insert_incomplete(conn, &new)?)).await?;
        let received = intake::receive(
            &state.evidence,
            &id,
            &key,
            room,
            declared.as_deref(),
            &name,
            chunks,
        )
        .await;
        let received = match (received, self.kinds) {
            (Ok(taken), Some(kinds)) if !kinds.contains(&taken.kind) => Err(Rejected::Refused(
                domain::evidence::Refusal::UnsupportedType,
            )),
            (received, _) => received,
        };
        match received {
            Ok(taken) => {
                self.files.push(Pending { id, taken });
                Ok(())
            }
            Err(rejected) => {
                let _ = state.evidence.delete_file(&id).await;
                let row = id.clone();
                let _ = with_db(state, move |conn| Ok(repo::delete(conn, &row)?)).await;
                Err(match rejected {
                    Rejected::TooLarge { limit } if limit < limits.max_file_bytes => {
                        ApiError::Evidence(EvidenceError::FilingFull {
                            files: limits.max_files_per_filing,
                            bytes: limits.max_bytes_per_filing,
                        })
                    }
                    Rejected::TooLarge { limit } => {
                        ApiError::Evidence(EvidenceError::FileTooLarge { file: name, limit })
                    }
                    Rejected::Refused(reason) => ApiError::Evidence(EvidenceError::Refused {
                        file: name,
                        reason,
                        accepted: self.kinds,
                    }),
                    Rejected::Body(_) => ApiError::Status(actix_web::http::StatusCode::BAD_REQUEST),
                    Rejected::Store(e) => store_error(e),
                })
            }
        }
    }

    /// Removes what this session stored (a refused file or a failed request).
    pub async fn abandon(self, state: &web::Data<AppState>) {
        for file in &self.files {
            let _ = state.evidence.delete_file(&file.id).await;
        }
        let ids: Vec<String> = self.files.iter().map(|f| f.id.clone()).collect();
        let _ = with_db(state, move |conn| {
            for id in &ids {
                repo::delete(conn, id)?;
            }
            Ok(())
        })
        .await;
    }

    /// Whether anything was sent.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.text.is_none()
    }

    /// Completes the session in one transaction: the rows, the supplement with its
    /// history entry, the link's use, and the collection events last. Returns the files.
    pub async fn finish(
        self,
        state: &web::Data<AppState>,
    ) -> Result<Vec<StoredAttachment>, ApiError> {
        let limits = self.limits;
        let app = state.clone();
        let ids: Vec<String> = self.files.iter().map(|f| f.id.clone()).collect();
        let outcome = with_db(state, move |conn| {
            conn.write_transaction(|c| complete_session(c, &self, limits))
        })
        .await;
        if outcome.is_err() {
            for id in &ids {
                let _ = app.evidence.delete_file(id).await;
            }
            let _ = with_db(&app, move |conn| {
                for id in &ids {
                    repo::delete(conn, id)?;
                }
                Ok(())
            })
            .await;
        }
        outcome
    }
}

/// The associated data of a file's sealed data key.
pub fn key_context(attachment: &str) -> String {
    format!("attachment_key:{attachment}")
}

fn complete_session(
    c: &mut DbConnection,
    session: &Session,
    limits: domain::evidence::Limits,
) -> Result<Vec<StoredAttachment>, ApiError> {
    let now = super::now();
    if session.origin == Origin::SupportingDocument {
        // The officer may have decided while the files streamed in.
        let request = persistence::travel::find(c, &session.filing_id)?
            .ok_or_else(|| ApiError::TravelRequestNotFound(session.filing_id.clone()))?;
        if !domain::travel::takes_supporting_documents(request.sole_holder, request.status) {
            return Err(ApiError::SupportingDocumentsNotAccepted {
                status: request.status.as_str().to_owned(),
            });
        }
    }
    // Concurrent sessions on one filing: the limits hold for what is complete now.
    let holding = repo::holding(c, &session.filing_id)?;
    let adding: u64 = session.files.iter().map(|f| f.taken.size).sum();
    if holding.files + session.files.len() as u32 > limits.max_files_per_filing
        || holding.bytes + adding > limits.max_bytes_per_filing
    {
        return Err(ApiError::Evidence(EvidenceError::FilingFull {
            files: limits.max_files_per_filing,
            bytes: limits.max_bytes_per_filing,
        }));
    }
    if let Sender::Link(link) = &session.sender {
        if !repo::use_link(c, &link.id, now)? {
            return Err(ApiError::Evidence(EvidenceError::LinkNotFound(
                "token".into(),
            )));
        }
    }
    let actor = session.sender.actor();
    let supplement_id = match session.origin {
        Origin::Attachment | Origin::SupportingDocument => None,
        origin => {
            let supplement = Supplement {
                id: uuid::Uuid::new_v4().to_string(),
                filing_id: session.filing_id.clone(),
                origin,
                text: session.text.clone(),
                actor_role: actor.role.to_string(),
                actor_id: actor.id.clone(),
                created_at: now,
                seen_at: None,
            };
            repo::add_supplement(c, &supplement, &session.status)?;
            Some(supplement.id)
        }
    };
    for file in &session.files {
        let received = Received {
            kind: file.taken.kind,
            size: file.taken.size,
            sha256: file.taken.sha256.clone(),
            stripped: file.taken.stripped,
            viewing_size: file.taken.viewing_size,
            supplement_id: supplement_id.clone(),
        };
        if !repo::complete(c, &file.id, &received, now)? {
            return Err(ApiError::Internal(format!(
                "attachment {} was removed while being received",
                file.id
            )));
        }
    }
    if let Some(id) = &supplement_id {
        let mut event = AuditEvent::new(
            actor.clone(),
            AuditOperation::Collection,
            "supplement",
            Some(id),
            now,
        )
        .with_action("add_supplement");
        event.justification = Some(format!("filing={}", session.filing_id));
        event.request_id = session.request_id.clone();
        persistence::audit::append(c, &event)?;
    }
    for file in &session.files {
        let mut event = domain::evidence::collection_event(
            actor.clone(),
            session.origin,
            &file.id,
            &session.filing_id,
            &file.taken.sha256,
            now,
        );
        event.request_id = session.request_id.clone();
        persistence::audit::append(c, &event)?;
    }
    let mut stored = Vec::new();
    for file in &session.files {
        if let Some(one) = repo::find(c, &session.filing_id, &file.id)? {
            stored.push(one);
        }
    }
    Ok(stored)
}

/// The files a citizen sent to their own filing (another's filing: 404).
pub async fn citizen_list(
    state: &web::Data<AppState>,
    citizen: &CitizenActor,
    filing: &str,
) -> Result<Vec<StoredAttachment>, ApiError> {
    let (citizen, id) = (citizen.clone(), filing.to_owned());
    with_db(state, move |conn| {
        persistence::filings::find_owned(conn, &citizen.id, &id)?
            .filter(|f| domain::policy::citizen_may_see(&citizen, f))
            .ok_or_else(|| ApiError::FilingNotFound(id.clone()))?;
        Ok(repo::list(conn, &id, Some(&citizen.id))?)
    })
    .await
}

/// A file ready to be sent: its row, which copy, and its data key.
pub struct Download {
    pub attachment: StoredAttachment,
    pub copy: FileCopy,
    pub key: [u8; 32],
}

fn open_key(state: &AppState, attachment: &StoredAttachment) -> Result<[u8; 32], ApiError> {
    let key = state
        .sealing
        .open(&attachment.data_key, &key_context(&attachment.id))
        .map_err(|e| ApiError::Internal(format!("data key of {}: {e}", attachment.id)))?;
    <[u8; 32]>::try_from(key.as_slice())
        .map_err(|_| ApiError::Internal(format!("data key of {}: length", attachment.id)))
}

/// The viewing copy of one of the citizen's own files (HEIF and non-pictures: the file
/// as sent, which has no separate viewing copy).
pub async fn citizen_download(
    state: &web::Data<AppState>,
    citizen: &CitizenActor,
    filing: &str,
    attachment: &str,
) -> Result<Download, ApiError> {
    let (citizen, id, file) = (citizen.clone(), filing.to_owned(), attachment.to_owned());
    let app = state.clone();
    with_db(state, move |conn| {
        persistence::filings::find_owned(conn, &citizen.id, &id)?
            .filter(|f| domain::policy::citizen_may_see(&citizen, f))
            .ok_or_else(|| ApiError::FilingNotFound(id.clone()))?;
        let attachment = repo::find(conn, &id, &file)?
            .filter(|a| a.uploaded_by == citizen.id)
            .ok_or_else(|| ApiError::Evidence(EvidenceError::AttachmentNotFound(file.clone())))?;
        let key = open_key(&app, &attachment)?;
        Ok(Download {
            copy: viewing_copy(&attachment),
            attachment,
            key,
        })
    })
    .await
}

/// A stored file ready to be sent (`original`: as received, else its viewing copy).
pub fn download_of(
    state: &AppState,
    attachment: StoredAttachment,
    original: bool,
) -> Result<Download, ApiError> {
    let key = open_key(state, &attachment)?;
    Ok(Download {
        copy: if original {
            FileCopy::Original
        } else {
            viewing_copy(&attachment)
        },
        attachment,
        key,
    })
}

fn viewing_copy(attachment: &StoredAttachment) -> FileCopy {
    if attachment.stripped {
        FileCopy::Viewing
    } else {
        FileCopy::Original
    }
}

/// The unit's view of a filing's evidence: every file and every supplement.
pub struct UnitEvidence {
    pub attachments: Vec<StoredAttachment>,
    pub supplements: Vec<Supplement>,
}

fn filing_in_unit(conn: &mut DbConnection, unit: &str, id: &str) -> Result<Filing, ApiError> {
    persistence::filings::find_in_unit(conn, unit, id)?.ok_or_else(|| {
        ApiError::UnitFilingNotFound {
            id: id.to_owned(),
            unit: unit.to_owned(),
        }
    })
}

/// The filing's files and supplements for an officer of the unit, recorded as a
/// consultation (action `list_attachments`).
pub async fn unit_list(
    state: &web::Data<AppState>,
    officer: &OfficerActor,
    unit: &str,
    filing: &str,
    request_id: Option<String>,
) -> Result<UnitEvidence, ApiError> {
    let mut event =
        super::backoffice::consultation(officer, unit, ("filing", Some(filing)), request_id);
    event.action = "list_attachments".into();
    let (unit, id, name) = (unit.to_owned(), filing.to_owned(), officer.name.clone());
    with_db(state, move |conn| {
        filing_in_unit(conn, &unit, &id)?;
        let evidence = UnitEvidence {
            attachments: repo::list(conn, &id, None)?,
            supplements: repo::supplements(conn, &id)?,
        };
        super::backoffice::record_in(conn, &event, name.as_deref())?;
        Ok(evidence)
    })
    .await
}

/// One file for an officer of the unit: the viewing copy, or the original
/// (`original`); each download is recorded as a consultation of the file.
pub async fn unit_download(
    state: &web::Data<AppState>,
    officer: &OfficerActor,
    unit: &str,
    filing: &str,
    attachment: &str,
    original: bool,
    request_id: Option<String>,
) -> Result<Download, ApiError> {
    let (officer, unit, id, file) = (
        officer.clone(),
        unit.to_owned(),
        filing.to_owned(),
        attachment.to_owned(),
    );
    let app = state.clone();
    with_db(state, move |conn| {
        filing_in_unit(conn, &unit, &id)?;
        let attachment = repo::find(conn, &id, &file)?
            .ok_or_else(|| ApiError::Evidence(EvidenceError::AttachmentNotFound(file.clone())))?;
        let key = open_key(&app, &attachment)?;
        let mut event = domain::evidence::download_event(
            officer.audit_actor(Some(&unit)),
            &attachment.id,
            &id,
            original,
            super::now(),
        );
        event.request_id = request_id;
        super::backoffice::record_in(conn, &event, officer.name.as_deref())?;
        Ok(Download {
            copy: if original {
                FileCopy::Original
            } else {
                viewing_copy(&attachment)
            },
            attachment,
            key,
        })
    })
    .await
}

/// A new upload link and its token (shown once; only its hash is kept).
pub struct NewLink {
    pub link: UploadLink,
    pub token: String,
}

/// Creates an upload link for a filing of the unit (audited: `create_upload_link`).
pub async fn create_link(
    state: &web::Data<AppState>,
    officer: &OfficerActor,
    unit: &str,
    filing: &str,
    terms: (DateTime<Utc>, u32),
    request_id: Option<String>,
) -> Result<NewLink, ApiError> {
    let now = super::now();
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(|e| ApiError::Internal(format!("randomness: {e}")))?;
    let token = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, raw);
    let link = UploadLink {
        id: uuid::Uuid::new_v4().to_string(),
        filing_id: filing.to_owned(),
        unit_id: unit.to_owned(),
        created_by: officer.id.clone(),
        created_at: now,
        expires_at: terms.0,
        max_uses: terms.1,
        uses: 0,
        revoked_at: None,
    };
    let mut event = AuditEvent::new(
        officer.audit_actor(Some(unit)),
        AuditOperation::Alteration,
        "upload_link",
        Some(&link.id),
        now,
    )
    .with_action("create_upload_link");
    event.justification = Some(format!("filing={filing}"));
    event.request_id = request_id;
    let (stored, hash, name) = (link.clone(), token_hash(&token), officer.name.clone());
    let (unit, id) = (unit.to_owned(), filing.to_owned());
    with_db(state, move |conn| {
        conn.write_transaction(|c| {
            let filing = filing_in_unit(c, &unit, &id)?;
            if !domain::evidence::link_may_upload(filing.status) {
                return Err(ApiError::Evidence(EvidenceError::NotAccepted {
                    status: filing.status.to_string(),
                }));
            }
            repo::insert_link(c, &stored, &hash)?;
            super::backoffice::record_within(c, &event, name.as_deref())
        })
    })
    .await?;
    Ok(NewLink { link, token })
}

/// The filing's upload links (no tokens), as a consultation.
pub async fn list_links(
    state: &web::Data<AppState>,
    officer: &OfficerActor,
    unit: &str,
    filing: &str,
    request_id: Option<String>,
) -> Result<Vec<UploadLink>, ApiError> {
    let mut event =
        super::backoffice::consultation(officer, unit, ("filing", Some(filing)), request_id);
    event.action = "list_upload_links".into();
    let (unit, id, name) = (unit.to_owned(), filing.to_owned(), officer.name.clone());
    with_db(state, move |conn| {
        filing_in_unit(conn, &unit, &id)?;
        let links = repo::links(conn, &id)?;
        super::backoffice::record_in(conn, &event, name.as_deref())?;
        Ok(links)
    })
    .await
}

/// Revokes an upload link (audited: `revoke_upload_link`); revoking twice is harmless.
pub async fn revoke_link(
    state: &web::Data<AppState>,
    officer: &OfficerActor,
    unit: &str,
    filing: &str,
    link: &str,
    request_id: Option<String>,
) -> Result<(), ApiError> {
    let now = super::now();
    let mut event = AuditEvent::new(
        officer.audit_actor(Some(unit)),
        AuditOperation::Alteration,
        "upload_link",
        Some(link),
        now,
    )
    .with_action("revoke_upload_link");
    event.justification = Some(format!("filing={filing}"));
    event.request_id = request_id;
    let (unit, id, link, by, name) = (
        unit.to_owned(),
        filing.to_owned(),
        link.to_owned(),
        officer.id.clone(),
        officer.name.clone(),
    );
    with_db(state, move |conn| {
        conn.write_transaction(|c| {
            filing_in_unit(c, &unit, &id)?;
            if !repo::revoke_link(c, &id, &link, &by, now)? {
                return Err(ApiError::Evidence(EvidenceError::LinkNotFound(
                    link.clone(),
                )));
            }
            super::backoffice::record_within(c, &event, name.as_deref())
        })
    })
    .await
}

/// Re-seals every data key that is not under the keyring's current key (after a
/// rotation); files are not re-encrypted. Returns how many were rewrapped.
pub fn rewrap_keys(
    conn: &mut DbConnection,
    keyring: &persistence::sealing::Keyring,
) -> Result<usize, ApiError> {
    let current = keyring.current_id().to_owned();
    let stale = repo::keys_not_under(conn, &current)?;
    let mut done = 0;
    for (id, sealed) in stale {
        let context = key_context(&id);
        let key = keyring
            .open(&sealed, &context)
            .map_err(|e| ApiError::Internal(format!("data key of {id}: {e}")))?;
        let resealed = keyring
            .seal(&key, &context)
            .map_err(|e| ApiError::Internal(format!("data key of {id}: {e}")))?;
        repo::rewrap(conn, &id, &current, &resealed)?;
        done += 1;
    }
    Ok(done)
}

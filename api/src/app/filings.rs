//! The citizen's use cases: each loads the filing (their own only), runs the domain's
//! command and saves its effects in one transaction, with its audit event last.

use super::{problem, rules, with_competent_unit, with_db};
use crate::error::ApiError;
use crate::idempotency::{self, Done, Key, Reply};
use crate::state::AppState;
use crate::versions::IfMatch;
use actix_web::web;
use chrono::{DateTime, Utc};
use domain::directory::Routing;
use domain::filing::{
    ComplainantIdentity, DraftInput, Effects, Filing, FilingError, FilingStatus, NewFilingInput,
    ReferenceNumber,
};
use domain::i18n::Lang;
use domain::policy::CitizenActor;
use persistence::filings::{self as repo, HistoryRow};
use persistence::identities::{self, SealedIdentity};
use persistence::{DbConnection, PersistenceError};

/// A filing with its status history.
pub struct Loaded {
    pub filing: Filing,
    pub history: Vec<HistoryRow>,
    /// The rounds of questions and answers, oldest first.
    pub exchanges: Vec<domain::filing::Exchange>,
    /// The partner it was made through (its channel), if any and still registered.
    pub front_door: Option<domain::partner::Partner>,
}

/// What every use case is told about its request: the language of its answer, the
/// request id for the audit trail, and the idempotency key taken, if any.
pub struct Call {
    pub lang: Lang,
    pub request_id: Option<String>,
    pub key: Option<Key>,
    /// The identity claims of the citizen's sign-in, captured (sealed) on the filing at
    /// creation and at submission.
    pub personal: ComplainantIdentity,
}

/// Renders the reply of a use case from the filing as saved (inside its transaction, so
/// that an idempotent request stores exactly what it answered).
pub type Render = Box<dyn FnOnce(&Loaded) -> Reply + Send>;

fn load_owned(
    conn: &mut DbConnection,
    citizen: &CitizenActor,
    id: &str,
) -> Result<Filing, ApiError> {
    repo::find_owned(conn, &citizen.id, id)?
        .filter(|filing| domain::policy::citizen_may_see(citizen, filing))
        .ok_or_else(|| ApiError::FilingNotFound(id.to_owned()))
}

/// The filing with its history, its exchanges and the partner it came through.
///
/// # Errors
/// The database.
pub fn loaded(conn: &mut DbConnection, filing: Filing) -> Result<Loaded, ApiError> {
    let history = repo::history(conn, &filing.id)?;
    let exchanges = repo::exchanges(conn, &filing.id)?;
    let front_door = match &filing.channel {
        Some(partner) => persistence::partners::get(conn, partner)?,
        None => None,
    };
    Ok(Loaded {
        filing,
        history,
        exchanges,
        front_door,
    })
}

/// The filing as `effects` just saved it, reading back only what it does not know: a
/// created filing's history is the entry just written, and a draft has no exchanges
/// (an officer asks questions of submitted filings only).
fn loaded_after_save(
    conn: &mut DbConnection,
    effects: &Effects,
    written: Option<HistoryRow>,
) -> Result<Loaded, ApiError> {
    let created = effects.expected_version.is_none();
    let from_draft = effects
        .history
        .as_ref()
        .is_some_and(|h| h.from == Some(FilingStatus::Draft));
    let filing = effects.filing.clone();
    let history = match written {
        Some(entry) if created => vec![entry],
        _ => repo::history(conn, &filing.id)?,
    };
    let exchanges = if created || from_draft {
        Vec::new()
    } else {
        repo::exchanges(conn, &filing.id)?
    };
    let front_door = match &filing.channel {
        Some(partner) => persistence::partners::get(conn, partner)?,
        None => None,
    };
    Ok(Loaded {
        filing,
        history,
        exchanges,
        front_door,
    })
}

/// Saves effects (audit last) and reads the filing back with its history.
fn save_and_load(conn: &mut DbConnection, effects: &Effects) -> Result<Loaded, ApiError> {
    if !repo::save(conn, effects)? {
        return Err(ApiError::PreconditionFailed);
    }
    loaded(conn, effects.filing.clone())
}

/// The complainant's identity sealed for the filing `filing_id` with the current key, at
/// `now`; `None` when the sign-in gave no identity claim (nothing is kept).
pub(super) fn seal_identity(
    state: &AppState,
    filing_id: &str,
    personal: &ComplainantIdentity,
    now: DateTime<Utc>,
) -> Result<Option<SealedIdentity>, ApiError> {
    if personal.is_empty() {
        return Ok(None);
    }
    let plaintext = serde_json::to_vec(personal).map_err(|e| ApiError::Internal(e.to_string()))?;
    let sealed = state
        .sealing
        .seal(&plaintext, &identities::context(filing_id))
        .map_err(|e| ApiError::Internal(format!("sealing an identity: {e}")))?;
    Ok(Some(SealedIdentity {
        filing_id: filing_id.to_owned(),
        key_id: state.sealing.current_id().to_owned(),
        sealed,
        captured_at: now,
    }))
}

/// What a use case decided from the state it read: the effects to save, and the
/// complainant's sealed identity to store with them, if given.
type Decided = (Effects, Option<SealedIdentity>);

/// Runs an idempotent request in the caller's write transaction: the key is taken first
/// (an answered key is replayed before anything is read or decided, so that a retry of a
/// submission that went through gets its first answer, not "already submitted"), then
/// `decide` reads the state and decides, the effects are saved (with the sealed
/// identity, if any) and the reply stored, and the audit event is appended last, only
/// for work done (not for a replay).
fn run_idempotent(
    conn: &mut DbConnection,
    key: Option<&Key>,
    decide: impl FnOnce(&mut DbConnection) -> Result<Decided, ApiError>,
    render: Render,
    stale: ApiError,
) -> Result<Done, ApiError> {
    let mut audit = None;
    let done = idempotency::within(key, conn, |c| {
        let (effects, identity) = decide(c)?;
        let Some(written) = repo::save_state_returning(c, &effects)? else {
            return Err(stale);
        };
        if let Some(identity) = &identity {
            identities::store(c, identity)?;
        }
        let reply = render(&loaded_after_save(c, &effects, written)?);
        audit = Some(effects.audit);
        Ok(reply)
    })?;
    if let Some(audit) = &audit {
        persistence::audit::append(conn, audit)?;
    }
    Ok(done)
}

/// Creates a draft; `language` is the one to keep when the input names none.
pub async fn create(
    state: web::Data<AppState>,
    citizen: CitizenActor,
    input: NewFilingInput,
    language: Lang,
    call: Call,
    render: Render,
) -> Result<Done, ApiError> {
    let id = uuid::Uuid::new_v4().to_string();
    let origin = Origin {
        id,
        also: None,
        taken: ApiError::PreconditionFailed,
    };
    create_as(state, citizen, (input, language), call, render, origin).await
}

/// Where a draft comes from when it is not `create`'s: its id chosen in advance, an
/// audit event to append with it (last), and the error when the citizen already has a
/// filing with that id (created once).
pub struct Origin {
    pub id: String,
    pub also: Option<domain::audit::AuditEvent>,
    pub taken: ApiError,
}

/// Creates the draft `origin.id` (e.g. a chat agent's proposal the citizen accepted);
/// `language` is the one to keep when the input names none.
///
/// # Errors
/// `origin.taken` when the citizen has the filing already; the filing's rules; the
/// database.
pub async fn create_as(
    state: web::Data<AppState>,
    citizen: CitizenActor,
    (input, language): (NewFilingInput, Lang),
    call: Call,
    render: Render,
    origin: Origin,
) -> Result<Done, ApiError> {
    let Call {
        lang,
        request_id,
        key,
        personal,
    } = call;
    let Origin { id, also, taken } = origin;
    let app = state.clone();
    with_db(&state, move |conn| {
        conn.write_transaction(|c| {
            let decide = |c: &mut DbConnection| {
                // An id chosen in advance (another origin than `create`) is created once.
                if also.is_some() && repo::find_owned(c, &citizen.id, &id)?.is_some() {
                    return Err(taken);
                }
                let now = super::now();
                let procedure = input.procedure.clone();
                let identity = seal_identity(&app, &id, &personal, now)?;
                let mut effects = Filing::create(&rules(&app), &citizen, input, id, language, now)
                    .map_err(|e| problem(&app, lang, Some(&procedure), e))?;
                effects.audit.request_id.clone_from(&request_id);
                Ok((effects, identity))
            };
            let done = run_idempotent(
                c,
                key.as_ref(),
                decide,
                render,
                ApiError::PreconditionFailed,
            )?;
            if let (Some(mut event), Done::Fresh(_)) = (also, &done) {
                event.request_id = request_id;
                persistence::audit::append(c, &event)?;
            }
            Ok(done)
        })
    })
    .await
}

/// The citizen's own filing with its history (through a partner: only one made through it).
pub async fn get(
    state: &web::Data<AppState>,
    citizen: &CitizenActor,
    id: &str,
) -> Result<Loaded, ApiError> {
    let (citizen, id) = (citizen.clone(), id.to_owned());
    with_db(state, move |conn| {
        let filing = load_owned(conn, &citizen, &id)?;
        loaded(conn, filing)
    })
    .await
}

/// A page of the citizen's filings, newest first, and whether more follow (through a
/// partner: only those made through it).
pub async fn list(
    state: &web::Data<AppState>,
    citizen: &CitizenActor,
    status: Option<FilingStatus>,
    before: Option<(DateTime<Utc>, String)>,
    limit: i64,
) -> Result<(Vec<Filing>, bool), ApiError> {
    let citizen = citizen.clone();
    let mut filings = with_db(state, move |conn| {
        Ok(repo::list_owned(
            conn,
            &citizen.id,
            citizen.partner.as_deref(),
            status,
            before.map(|(at, id)| (repo::time(at), id)),
            limit + 1,
        )?)
    })
    .await?;
    let more = filings.len() as i64 > limit;
    filings.truncate(limit as usize);
    Ok((filings, more))
}

/// Changes a draft; `if_match` names the versions the citizen read.
pub async fn update(
    state: &web::Data<AppState>,
    citizen: CitizenActor,
    id: &str,
    changes: DraftInput,
    if_match: IfMatch,
    lang: Lang,
    request_id: Option<String>,
) -> Result<Loaded, ApiError> {
    let (app, id) = (state.clone(), id.to_owned());
    with_db(state, move |conn| {
        conn.write_transaction(|c| {
            let filing = load_owned(c, &citizen, &id)?;
            if !if_match.matches(filing.version) {
                return Err(ApiError::PreconditionFailed);
            }
            let mut effects = filing
                .update(
                    &rules(&app),
                    &citizen,
                    changes,
                    filing.version,
                    super::now(),
                )
                .map_err(|e| problem(&app, lang, Some(&filing.procedure), e))?;
            effects.audit.request_id = request_id;
            save_and_load(c, &effects)
        })
    })
    .await
}

/// A fresh reference number, random and not yet taken (the unique index settles a
/// collision between two concurrent submissions).
fn fresh_reference(
    conn: &mut DbConnection,
    year: i32,
) -> Result<ReferenceNumber, PersistenceError> {
    loop {
        let reference = ReferenceNumber::generate(year, random_40_bits());
        if !repo::reference_exists(conn, reference.as_str())? {
            return Ok(reference);
        }
    }
}

fn random_40_bits() -> u64 {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        bytes = uuid::Uuid::new_v4().as_bytes()[..8]
            .try_into()
            .unwrap_or_default();
    }
    u64::from_le_bytes(bytes) & ((1 << 40) - 1)
}

/// Submits a draft: routes it by the place of the facts on their local date, counts the
/// citizen's submissions of the day under a lock on the citizen (the quota holds under
/// concurrency), gives it a reference, and saves.
pub async fn submit(
    state: web::Data<AppState>,
    citizen: CitizenActor,
    id: String,
    call: Call,
    render: Render,
) -> Result<Done, ApiError> {
    let Call {
        lang,
        request_id,
        key,
        personal,
    } = call;
    let app = state.clone();
    with_db(&state, move |conn| {
        conn.write_transaction(|c| {
            let now = super::now();
            let decide = |c: &mut DbConnection| {
                let mut effects = decide_submission(&app, c, &citizen, &id, lang, now)?;
                effects.audit.request_id = request_id;
                // The identity as the sign-in that submits gives it (the latest the
                // provider vouched for) replaces the one captured with the draft.
                let identity = seal_identity(&app, &effects.filing.id, &personal, now)?;
                Ok((effects, identity))
            };
            let stale = ApiError::InvalidTransition {
                status: "submitted".into(),
                action: "submit".into(),
            };
            let done = run_idempotent(c, key.as_ref(), decide, render, stale)?;
            if matches!(done, Done::Fresh(_)) {
                // Lost and found (issue 20): the owners of matching objects are told.
                super::items::notify_owners(c, &app.items.matching, &id, now)?;
            }
            Ok(done)
        })
    })
    .await
}

/// The submission's effects, from the filing as stored: its routing, the citizen's
/// count of the day (under the lock on the citizen) and a fresh reference.
pub(super) fn decide_submission(
    app: &AppState,
    c: &mut DbConnection,
    citizen: &CitizenActor,
    id: &str,
    lang: Lang,
    now: DateTime<Utc>,
) -> Result<Effects, ApiError> {
    let filing = load_owned(c, citizen, id)?;
    let rules = rules(app);
    let procedure = rules
        .procedure_of(&filing)
        .map_err(|e| problem(app, lang, None, e))?;
    let routing = app.directory().route(
        &procedure.competence,
        &filing.place.to_routing_place(filing.country),
        filing.facts_local_date(now),
    );
    repo::lock_owner(c, &citizen.id)?;
    let (day_start, _) = filing.quota_window(now);
    let submitted_today = repo::submitted_since(c, &citizen.id, day_start)?;
    let reference = fresh_reference(c, filing.reference_year(now))?;
    let competent = match &routing {
        Ok(Routing::Routed { unit, .. }) => Some(unit.clone()),
        _ => None,
    };
    filing
        .submit(&rules, citizen, routing, submitted_today, reference, now)
        .map_err(|e| problem(app, lang, Some(&filing.procedure), e))
        .map_err(|e| with_competent_unit(app, lang, competent.as_deref(), e))
}

/// Withdraws a filing.
pub async fn withdraw(
    state: &web::Data<AppState>,
    citizen: CitizenActor,
    id: &str,
    lang: Lang,
    request_id: Option<String>,
) -> Result<Loaded, ApiError> {
    citizen_step(
        state,
        citizen,
        id,
        lang,
        request_id,
        |filing, citizen, now| filing.withdraw(citizen, now),
    )
    .await
}

/// Answers the officer's question; `message` was checked by `check_answer`.
pub async fn answer(
    state: &web::Data<AppState>,
    citizen: CitizenActor,
    id: &str,
    message: String,
    lang: Lang,
    request_id: Option<String>,
) -> Result<Loaded, ApiError> {
    citizen_step(
        state,
        citizen,
        id,
        lang,
        request_id,
        |filing, citizen, now| filing.answer(citizen, message, now),
    )
    .await
}

/// Loads the citizen's own filing, runs `command` on it and saves its effects, in one
/// transaction.
async fn citizen_step<F>(
    state: &web::Data<AppState>,
    citizen: CitizenActor,
    id: &str,
    lang: Lang,
    request_id: Option<String>,
    command: F,
) -> Result<Loaded, ApiError>
where
    F: FnOnce(&Filing, &CitizenActor, DateTime<Utc>) -> Result<Effects, FilingError>
        + Send
        + 'static,
{
    let (app, id) = (state.clone(), id.to_owned());
    with_db(state, move |conn| {
        conn.write_transaction(|c| {
            let filing = load_owned(c, &citizen, &id)?;
            let mut effects = command(&filing, &citizen, super::now())
                .map_err(|e| problem(&app, lang, None, e))?;
            effects.audit.request_id = request_id;
            save_and_load(c, &effects)
        })
    })
    .await
}

/// Changes how the citizen is told about their filing (channel, address, app
/// notifications); `if_match` names the versions they read. Audited.
pub async fn change_preferences(
    state: &web::Data<AppState>,
    citizen: CitizenActor,
    id: &str,
    changes: domain::filing::PreferencesInput,
    if_match: IfMatch,
    lang: Lang,
    request_id: Option<String>,
) -> Result<Loaded, ApiError> {
    let (app, id) = (state.clone(), id.to_owned());
    with_db(state, move |conn| {
        conn.write_transaction(|c| {
            let filing = load_owned(c, &citizen, &id)?;
            if !if_match.matches(filing.version) {
                return Err(ApiError::PreconditionFailed);
            }
            let mut effects = filing
                .change_preferences(&citizen, changes, filing.version, Utc::now())
                .map_err(|e| problem(&app, lang, None, e))?;
            effects.audit.request_id = request_id;
            save_and_load(c, &effects)
        })
    })
    .await
}

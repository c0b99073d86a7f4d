//! The officers' use cases on their unit's filings. The caller has checked the policy
//! (`domain::policy`); every access is audited (EU Directive 2016/680 Art. 25), and an
//! allowed one records the officer in the unit's roster, in the same transaction.

use super::{problem, with_db};
use crate::error::ApiError;
use crate::state::AppState;
use crate::versions::IfMatch;
use actix_web::web;
use chrono::{DateTime, Datelike, Utc};
use domain::audit::{AuditEvent, AuditOperation, AuditOutcome};
use domain::filing::officer::record_number;
use domain::filing::{
    ActionContext, ActionInput, ComplainantIdentity, Filing, FilingAction, OfficerCommand,
};
use domain::i18n::Lang;
use domain::policy::OfficerActor;
use persistence::filings::{self as repo, HistoryRow, QueueFilter};
use persistence::DbConnection;
use std::collections::BTreeSet;

/// Appends an audit event; an allowed access to a unit also records the officer as a
/// known member of the unit (`persistence::roster`), in the same transaction.
pub fn record_in(
    conn: &mut DbConnection,
    event: &AuditEvent,
    name: Option<&str>,
) -> Result<(), ApiError> {
    record_all_in(conn, std::slice::from_ref(event), name)
}

/// [`record_in`] for `events`, the first of which is the access (the officer's visit to
/// its unit) and the others what it revealed, all or none. On PostgreSQL, when the
/// roster already knows the officer as of now (every request but one a minute), the
/// events are one statement, atomic on its own: one read and one durable write, without
/// the `BEGIN` and `COMMIT` round trips of a transaction.
pub fn record_all_in(
    conn: &mut DbConnection,
    events: &[AuditEvent],
    name: Option<&str>,
) -> Result<(), ApiError> {
    let Some((first, rest)) = events.split_first() else {
        return Ok(());
    };
    if conn.backend() == persistence::Backend::Postgres && !visit_to_record(conn, first, name)? {
        persistence::audit::append_all(conn, events)?;
        return Ok(());
    }
    conn.write_transaction(|c| {
        record_within(c, first, name)?;
        persistence::audit::append_all(c, rest)?;
        Ok(())
    })
}

/// Whether `event` is an allowed access to a unit that the roster does not record yet
/// as of its time (see `persistence::roster::seen`).
fn visit_to_record(
    conn: &mut DbConnection,
    event: &AuditEvent,
    name: Option<&str>,
) -> Result<bool, ApiError> {
    let (AuditOutcome::Allowed, Some(unit)) = (event.outcome, &event.actor.unit) else {
        return Ok(false);
    };
    let known = persistence::roster::up_to_date(
        conn,
        unit,
        &event.actor.id,
        event.actor.role.as_str(),
        name,
        event.occurred_at,
    )?;
    Ok(!known)
}

/// [`record_in`] inside the caller's write transaction.
pub(crate) fn record_within(
    c: &mut DbConnection,
    event: &AuditEvent,
    name: Option<&str>,
) -> Result<(), ApiError> {
    if let (AuditOutcome::Allowed, Some(unit)) = (event.outcome, &event.actor.unit) {
        persistence::roster::seen(
            c,
            unit,
            &event.actor.id,
            event.actor.role.as_str(),
            name,
            event.occurred_at,
        )?;
    }
    persistence::audit::append(c, event).map(|_| ())?;
    Ok(())
}

/// Records an access in the audit trail (a refusal; allowed accesses go through
/// `record_in` with the officer's name, for the roster).
pub async fn record(state: &web::Data<AppState>, event: AuditEvent) -> Result<(), ApiError> {
    with_db(state, move |conn| record_in(conn, &event, None)).await
}

/// The consultation of `object` in `unit` by `officer`, now.
pub fn consultation(
    officer: &OfficerActor,
    unit: &str,
    object: (&str, Option<&str>),
    request_id: Option<String>,
) -> AuditEvent {
    let mut event = AuditEvent::new(
        officer.audit_actor(Some(unit)),
        AuditOperation::Consultation,
        object.0,
        object.1,
        super::now(),
    );
    event.request_id = request_id;
    event
}

fn load_in_unit(conn: &mut DbConnection, unit: &str, id: &str) -> Result<Filing, ApiError> {
    repo::find_in_unit(conn, unit, id)?.ok_or_else(|| ApiError::UnitFilingNotFound {
        id: id.to_owned(),
        unit: unit.to_owned(),
    })
}

/// A page of the unit's queue, whether more follow, and which of its filings have new
/// information (an unseen supplement); then its consultation recorded.
pub async fn queue(
    state: &web::Data<AppState>,
    officer: &OfficerActor,
    unit: &str,
    filter: QueueFilter,
    limit: i64,
    request_id: Option<String>,
) -> Result<(Vec<Filing>, bool, BTreeSet<String>), ApiError> {
    let event = consultation(officer, unit, ("unit_queue", Some(unit)), request_id);
    let (unit, name) = (unit.to_owned(), officer.name.clone());
    let (mut filings, news) = with_db(state, move |conn| {
        let filings = repo::queue(conn, &unit, &filter, limit + 1)?;
        let ids: Vec<String> = filings.iter().map(|f| f.id.clone()).collect();
        let news = persistence::evidence::with_new_information(conn, &ids)?;
        record_in(conn, &event, name.as_deref())?;
        Ok((filings, news))
    })
    .await?;
    let more = filings.len() as i64 > limit;
    filings.truncate(limit as usize);
    Ok((filings, more, news))
}

/// A filing of the unit with its history and notes, as a recorded consultation.
pub struct OfficerLoaded {
    pub filing: Filing,
    pub history: Vec<HistoryRow>,
    pub notes: Vec<repo::Note>,
    /// The rounds of questions and answers, oldest first.
    pub exchanges: Vec<domain::filing::Exchange>,
    /// The complainant's identity (opened) and when it was captured, when asked for and
    /// one was captured.
    pub identity: Option<(ComplainantIdentity, DateTime<Utc>)>,
    /// Whether it had new information (an unseen supplement) before this read, which
    /// marks it seen.
    pub new_information: bool,
    /// Its files (for the export to the records system: names and SHA-256).
    pub attachments: Vec<persistence::evidence::StoredAttachment>,
}

/// The object type under which each read of a complainant's identity is audited.
pub const IDENTITY_OBJECT: &str = "complainant_identity";

/// Opens the complainant's identity of `filing`, if one was captured. A value that does
/// not open (a key no longer configured, an altered row) is an error naming the filing
/// and the key, never shown as "no identity".
fn open_identity(
    conn: &mut DbConnection,
    state: &AppState,
    filing: &str,
) -> Result<Option<(ComplainantIdentity, DateTime<Utc>)>, ApiError> {
    let Some(stored) = persistence::identities::find(conn, filing)? else {
        return Ok(None);
    };
    let plaintext = state
        .sealing
        .open(&stored.sealed, &persistence::identities::context(filing))
        .map_err(|e| ApiError::Internal(format!("the identity of filing {filing}: {e}")))?;
    let identity = serde_json::from_slice(&plaintext).map_err(|e| {
        ApiError::Internal(format!(
            "the identity of filing {filing} does not read: column {}",
            e.column()
        ))
    })?;
    Ok(Some((identity, stored.captured_at)))
}

/// One filing of the unit, recorded as a consultation (or, for an export, as the
/// disclosure `event` says). With `identity_event`, the complainant's identity is opened
/// too, and that read is recorded as its own event (object `complainant_identity`), in
/// the same transaction, when there was one to read.
pub async fn get(
    state: &web::Data<AppState>,
    officer: &OfficerActor,
    unit: &str,
    id: &str,
    event: AuditEvent,
    identity_event: Option<AuditEvent>,
) -> Result<OfficerLoaded, ApiError> {
    let (unit, id, name) = (unit.to_owned(), id.to_owned(), officer.name.clone());
    let app = state.clone();
    with_db(state, move |conn| {
        let filing = load_in_unit(conn, &unit, &id)?;
        let history = repo::history(conn, &filing.id)?;
        let notes = repo::notes(conn, &filing.id)?;
        let exchanges = repo::exchanges(conn, &filing.id)?;
        let identity = match &identity_event {
            Some(_) => open_identity(conn, &app, &filing.id)?,
            None => None,
        };
        let attachments = persistence::evidence::list(conn, &filing.id, None)?;
        let new_information =
            !persistence::evidence::with_new_information(conn, std::slice::from_ref(&filing.id))?
                .is_empty();
        conn.write_transaction(|c| {
            if new_information {
                persistence::evidence::mark_seen(c, &filing.id, super::now())?;
            }
            record_within(c, &event, name.as_deref())?;
            if let (Some(read), Some(_)) = (&identity_event, &identity) {
                persistence::audit::append(c, read)?;
            }
            Ok::<(), ApiError>(())
        })?;
        Ok(OfficerLoaded {
            filing,
            history,
            notes,
            exchanges,
            identity,
            new_information,
            attachments,
        })
    })
    .await
}

/// The unit's official number, which its record numbers start with.
fn unit_number(state: &AppState, unit: &str) -> String {
    state
        .directory()
        .unit(unit)
        .and_then(|u| u.official_number.clone())
        .unwrap_or_else(|| unit.to_owned())
}

/// What an action needs to know about the world: the colleague's membership, the target
/// unit, the unit's next free record number.
pub(crate) fn context(
    conn: &mut DbConnection,
    state: &AppState,
    officer: &OfficerActor,
    unit: &str,
    wanted: Option<&OfficerCommand>,
    now: DateTime<Utc>,
) -> Result<ActionContext, ApiError> {
    let number = unit_number(state, unit);
    let mut context = ActionContext {
        unit_number: number.clone(),
        ..ActionContext::default()
    };
    match wanted {
        Some(command @ OfficerCommand::TakeInCharge { .. }) => {
            if let Some(colleague) = command.colleague(officer) {
                context.assignee_is_member = persistence::roster::is_member(conn, unit, colleague)?;
            }
        }
        Some(OfficerCommand::Transfer { target_unit, .. }) => {
            context.target_unit_exists = state.directory().unit(target_unit).is_some();
        }
        Some(OfficerCommand::Register {
            record_number: None,
        }) => {
            // The next number of the unit's sequence that no filing holds yet (numbers
            // entered by hand in the unit's pattern may have taken some).
            let year = state
                .directory()
                .unit(unit)
                .map(|u| now.with_timezone(&u.hours.timezone).year())
                .unwrap_or_else(|| now.year());
            loop {
                let sequence = repo::next_record_sequence(conn, unit, year)?;
                let candidate = record_number(&number, year, sequence);
                if !repo::record_number_taken(conn, &candidate)? {
                    context.next_record_number = Some(candidate);
                    break;
                }
            }
        }
        Some(OfficerCommand::Register {
            record_number: Some(entered),
        }) if repo::record_number_taken(conn, entered)? => {
            return Err(ApiError::RecordNumberTaken);
        }
        _ => {}
    }
    Ok(context)
}

/// An officer's action on a filing of the unit; `if_match` names the versions they read.
#[allow(clippy::too_many_arguments)]
pub async fn act(
    state: &web::Data<AppState>,
    officer: OfficerActor,
    unit: &str,
    id: &str,
    action: FilingAction,
    input: ActionInput,
    if_match: IfMatch,
    lang: Lang,
    request_id: Option<String>,
) -> Result<Filing, ApiError> {
    let (app, unit, id) = (state.clone(), unit.to_owned(), id.to_owned());
    with_db(state, move |conn| {
        let saved = conn.write_transaction(|c| {
            let now = super::now();
            persistence::roster::seen(
                c,
                &unit,
                &officer.id,
                officer.role.as_str(),
                officer.name.as_deref(),
                now,
            )?;
            let filing = load_in_unit(c, &unit, &id)?;
            super::restriction::refuse_if_restricted(c, &id)?;
            if !if_match.matches(filing.version) {
                return Err(ApiError::PreconditionFailed);
            }
            let wanted = OfficerCommand::parse(action, &input).ok();
            let context = context(c, &app, &officer, &unit, wanted.as_ref(), now)?;
            let mut effects = filing
                .act(
                    &officer,
                    &unit,
                    action,
                    &input,
                    &context,
                    filing.version,
                    now,
                )
                .map_err(|e| problem(&app, lang, Some(&filing.procedure), e))?;
            effects.audit.request_id = request_id;
            if !repo::save(c, &effects)? {
                return Err(ApiError::PreconditionFailed);
            }
            Ok(effects.filing)
        });
        // Two registrations racing for one entered number: the unique index decides.
        saved.map_err(|e| match e {
            ApiError::Persistence(p) if p.is_unique_violation() => ApiError::RecordNumberTaken,
            other => other,
        })
    })
    .await
}

/// Adds an officer's internal note to the unit's filing `id` (the roster seen, the note,
/// an audited `add_note` alteration), under the request's `Idempotency-Key` (a retry
/// adds no second note: [`super::write_idempotently`]). `render` makes the answer from
/// the filing's notes after the addition.
///
/// # Errors
/// 404 not in the unit, 423 restricted; those of the idempotency key.
pub async fn add_note<R>(
    state: &web::Data<AppState>,
    officer: OfficerActor,
    (unit, id): (&str, &str),
    body: String,
    request_id: Option<String>,
    (key, render): (Option<crate::idempotency::Key>, R),
) -> Result<crate::idempotency::Done, ApiError>
where
    R: FnOnce(Vec<repo::Note>) -> crate::idempotency::Reply + Send + 'static,
{
    let (unit, id) = (unit.to_owned(), id.to_owned());
    let writes = move |c: &mut DbConnection| {
        let now = super::now();
        load_in_unit(c, &unit, &id)?;
        super::restriction::refuse_if_restricted(c, &id)?;
        persistence::roster::seen(
            c,
            &unit,
            &officer.id,
            officer.role.as_str(),
            officer.name.as_deref(),
            now,
        )?;
        repo::add_note(c, &id, &officer.id, &unit, &body, now)?;
        let mut event = AuditEvent::about_filing(
            officer.audit_actor(Some(&unit)),
            AuditOperation::Alteration,
            &id,
            now,
        )
        .with_action("add_note");
        event.request_id = request_id;
        persistence::audit::append(c, &event)?;
        Ok(repo::notes(c, &id)?)
    };
    super::write_idempotently(state, key, writes, render).await
}

//! The discreet alert's use cases (docs/ALERTS.md): the citizen's cancel code, raising an
//! alert (routed by its position through the directory), its positions and its
//! cancellation; the officers' reading and actions; the escalation loop. Every alert and
//! every action on it is recorded and audited (EU Directive 2016/680 Art. 25), the
//! citizen's as well as the officers'.

use super::backoffice::record_in;
use super::{field_errors, with_db};
use crate::error::ApiError;
use crate::idempotency::{Done, Key, Reply};
use crate::state::AppState;
use actix_web::web;
use chrono::{DateTime, Duration, Utc};
use domain::alerts::{
    self as rules, AlertError, AlertEventKind, AlertInput, AlertStatus, OfficerAlertAction,
    Position,
};
use domain::audit::{AuditEvent, AuditOperation};
use domain::catalogue::{Competence, Country};
use domain::directory::Place;
use domain::policy::{CitizenActor, OfficerActor};
use persistence::alerts::{self as repo, Change, NewAlert, StoredAlert, StoredEvent, TrackPoint};
use persistence::DbConnection;

/// The sealing context of a citizen's cancel code (`persistence::sealing`).
fn code_context(citizen: &str) -> String {
    format!("alert_cancel_code:{citizen}")
}

/// Whether `code` is the sealed code. Both sides are compared as SHA-256 digests, so
/// the comparison's time does not depend on where they differ.
fn code_matches(state: &AppState, citizen: &str, code: &str, sealed: &str) -> bool {
    use sha2::{Digest, Sha256};
    match state.sealing.open(sealed, &code_context(citizen)) {
        Ok(stored) => {
            let (a, b) = (Sha256::digest(stored), Sha256::digest(code.as_bytes()));
            a.iter()
                .zip(b.iter())
                .fold(0_u8, |acc, (x, y)| acc | (x ^ y))
                == 0
        }
        Err(e) => {
            tracing::error!(error = %e, "a cancel code cannot be opened");
            false
        }
    }
}

fn citizen_event(
    citizen: &CitizenActor,
    operation: AuditOperation,
    object: (&str, &str),
    action: &str,
    request_id: Option<String>,
) -> AuditEvent {
    let mut event = AuditEvent::new(
        citizen.audit_actor(),
        operation,
        object.0,
        Some(object.1),
        super::now(),
    )
    .with_action(action);
    event.request_id = request_id;
    event
}

/// Sets (or replaces) the citizen's cancel code, sealed with the service's keyring (not
/// hashed: a 4-digit code's hash is guessed offline at once; without the key, a copy of
/// the database reveals nothing). Errors:
/// `validation_failed` (`invalid_cancel_code`: 4 to 12 digits).
pub async fn set_cancel_code(
    state: &web::Data<AppState>,
    citizen: CitizenActor,
    code: String,
    request_id: Option<String>,
) -> Result<(), ApiError> {
    let issues = rules::check_cancel_code(&code, "/code");
    if !issues.is_empty() {
        return Err(ApiError::Validation(field_errors(issues)));
    }
    let sealed = state
        .sealing
        .seal(code.as_bytes(), &code_context(&citizen.id))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    with_db(state, move |conn| {
        let event = citizen_event(
            &citizen,
            AuditOperation::Alteration,
            ("alert_cancel_code", &citizen.id),
            "set_alert_cancel_code",
            request_id,
        );
        conn.write_transaction(|c| {
            repo::set_cancel_code_sealed(c, &citizen.id, &sealed, event.occurred_at)?;
            record_in(c, &event, None)
        })
    })
    .await
}

/// The unit an alert at `position` goes to, now; `None` when no unit of the service
/// covers the place and no fallback applies.
fn route(
    state: &AppState,
    position: Position,
    now: DateTime<Utc>,
) -> (Option<String>, Option<Country>) {
    let place = Place {
        point: Some((position.lat, position.lon)),
        accuracy_m: position.accuracy_m,
        ..Place::default()
    };
    let fallbacks = &state.alerts.fallback_units;
    let fallback = |c: Country| fallbacks.get(c.as_str()).cloned();
    let directory = state.directory();
    let routing = directory.route(&Competence::Local, &place, now.date_naive());
    let country = |unit: &str| directory.unit(unit).map(|u| u.country);
    match routing {
        Ok(routing) => {
            let unit = rules::competent_unit(&routing, fallback);
            let country = unit.as_deref().and_then(country);
            (unit, country)
        }
        Err(_) => (None, None),
    }
}

/// Raises an alert: checks the input, routes it, applies the citizen's limits, and
/// records the alert, its first position, the `raised` event for the unit's stream and
/// the audit event, in one transaction. Errors: `validation_failed`,
/// `no_competent_unit` (422: call 112), `too_many_requests` (429, `Retry-After`).
pub async fn raise(
    state: &web::Data<AppState>,
    citizen: CitizenActor,
    input: AlertInput,
    request_id: Option<String>,
    (key, render): (
        Option<Key>,
        impl FnOnce(StoredAlert) -> Reply + Send + 'static,
    ),
) -> Result<Done, ApiError> {
    let issues = input.check();
    if !issues.is_empty() {
        return Err(ApiError::Validation(field_errors(issues)));
    }
    let now = super::now();
    let (unit, country) = route(state, input.position, now);
    let unit = unit.ok_or(ApiError::NoCompetentUnit)?;
    let settings = state.alerts.clone();
    let writes = move |c: &mut DbConnection| {
        let recent = repo::recent_of(c, &citizen.id, now - Duration::hours(1))?;
        rules::rate_limit(&recent.raised, settings.max_per_hour, now)
            .and_then(|()| {
                let block = Duration::hours(i64::from(settings.abuse_block_hours));
                rules::abuse_block(recent.flagged, block, now)
            })
            .map_err(|retry_after_secs| ApiError::QuotaExceeded { retry_after_secs })?;
        let id = uuid::Uuid::now_v7().to_string();
        let text = input
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty());
        repo::insert(
            c,
            &NewAlert {
                id: &id,
                citizen_id: &citizen.id,
                client_id: citizen.client_id.as_deref(),
                kind: input.kind,
                text,
                country: country.map(|c| c.as_str()),
                unit: &unit,
                position: input.position,
                now,
            },
        )?;
        let mut event = citizen_event(
            &citizen,
            AuditOperation::Collection,
            ("alert", &id),
            "raise_alert",
            request_id,
        );
        event.recipient = Some(unit.clone());
        record_in(c, &event, None)?;
        repo::find(c, &id, false)?.ok_or_else(|| ApiError::Internal("alert lost".into()))
    };
    super::write_idempotently(state, key, writes, render).await
}

fn alert_error(e: AlertError) -> ApiError {
    ApiError::Alert(e)
}

/// The citizen's own alert, locked; another's or a missing one is `alert_not_found`.
fn own(c: &mut DbConnection, citizen: &str, id: &str) -> Result<StoredAlert, ApiError> {
    repo::find(c, id, true)?
        .filter(|a| a.citizen_id == citizen)
        .ok_or_else(|| ApiError::AlertNotFound(id.to_owned()))
}

/// The citizen's alert (for the stream): theirs or `alert_not_found`.
pub async fn get_own(
    state: &web::Data<AppState>,
    citizen: String,
    id: String,
) -> Result<StoredAlert, ApiError> {
    with_db(state, move |conn| {
        repo::find(conn, &id, false)?
            .filter(|a| a.citizen_id == citizen)
            .ok_or(ApiError::AlertNotFound(id))
    })
    .await
}

/// Adds a position to an active alert of the citizen's; its unit's stream shows it.
/// Errors: `validation_failed`, `alert_not_found`, `alert_not_active` (409).
pub async fn add_position(
    state: &web::Data<AppState>,
    citizen: CitizenActor,
    id: String,
    position: Position,
    request_id: Option<String>,
) -> Result<(), ApiError> {
    let issues = position.check("");
    if !issues.is_empty() {
        return Err(ApiError::Validation(field_errors(issues)));
    }
    with_db(state, move |conn| {
        conn.write_transaction(|c| {
            let alert = own(c, &citizen.id, &id)?;
            if !alert.status.is_active() {
                return Err(alert_error(AlertError::NotActive(alert.status)));
            }
            let event = citizen_event(
                &citizen,
                AuditOperation::Collection,
                ("alert", &id),
                "add_alert_position",
                request_id,
            );
            repo::add_position(c, &id, position, event.occurred_at)?;
            repo::event(
                c,
                &id,
                &alert.unit,
                AlertEventKind::Position,
                event.occurred_at,
            )?;
            record_in(c, &event, None)
        })
    })
    .await
}

/// Cancels an active alert of the citizen's ("false alarm") with their cancel code. A
/// wrong code is counted (and audited as denied); after `CANCEL_ATTEMPTS_MAX` the alert
/// can no longer be cancelled by code. Errors: `alert_not_found`, `alert_not_active`,
/// `alert_cancel_code_not_set` (409), `alert_cancel_code_wrong` (403),
/// `alert_cancel_locked` (409).
pub async fn cancel(
    state: &web::Data<AppState>,
    citizen: CitizenActor,
    id: String,
    code: String,
    request_id: Option<String>,
) -> Result<(), ApiError> {
    let app = state.clone();
    with_db(state, move |conn| {
        let outcome = conn.write_transaction(|c| {
            let alert = own(c, &citizen.id, &id)?;
            rules::may_try_cancel(&alert.state()).map_err(alert_error)?;
            let sealed = repo::cancel_code_sealed(c, &citizen.id)?
                .ok_or(alert_error(AlertError::NoCancelCode))?;
            let event = citizen_event(
                &citizen,
                AuditOperation::Alteration,
                ("alert", &id),
                "cancel_alert",
                request_id,
            );
            if !code_matches(&app, &citizen.id, &code, &sealed) {
                let change = Change {
                    cancel_failures: Some(alert.cancel_failures + 1),
                    ..Change::default()
                };
                repo::update(c, &id, &change)?;
                record_in(c, &event.denied(), None)?;
                // Committed: the failure counts even though the request fails.
                return Ok(Err(alert_error(AlertError::WrongCancelCode)));
            }
            let now = event.occurred_at;
            let change = Change {
                status: Some(AlertStatus::Cancelled),
                ended: Some((citizen.id.as_str(), now)),
                ..Change::default()
            };
            repo::update(c, &id, &change)?;
            repo::event(c, &id, &alert.unit, AlertEventKind::Cancelled, now)?;
            record_in(c, &event, None)?;
            Ok::<_, ApiError>(Ok(()))
        })?;
        outcome
    })
    .await
}

/// An alert as its unit's officers see it, with its track.
pub struct OfficerAlert {
    pub alert: StoredAlert,
    pub track: Vec<TrackPoint>,
}

/// The alert `id` if `unit` holds it or first received it; else `alert_not_found`.
fn in_unit(c: &mut DbConnection, unit: &str, id: &str) -> Result<StoredAlert, ApiError> {
    repo::find(c, id, true)?
        .filter(|a| a.unit == unit || a.first_unit == unit)
        .ok_or_else(|| ApiError::AlertNotFound(id.to_owned()))
}

fn officer_event(
    officer: &OfficerActor,
    unit: &str,
    operation: AuditOperation,
    id: &str,
    action: &str,
    request_id: Option<String>,
) -> AuditEvent {
    let mut event = AuditEvent::new(
        officer.audit_actor(Some(unit)),
        operation,
        "alert",
        Some(id),
        super::now(),
    )
    .with_action(action);
    event.request_id = request_id;
    event
}

/// An officer of `unit` reads the alert and its track (audited as a consultation).
pub async fn get(
    state: &web::Data<AppState>,
    officer: OfficerActor,
    unit: String,
    id: String,
    request_id: Option<String>,
) -> Result<OfficerAlert, ApiError> {
    with_db(state, move |conn| {
        conn.write_transaction(|c| {
            let alert = in_unit(c, &unit, &id)?;
            let track = repo::track(c, &id)?;
            let event = officer_event(
                &officer,
                &unit,
                AuditOperation::Consultation,
                &id,
                "view_alert",
                request_id,
            );
            record_in(c, &event, officer.name.as_deref())?;
            Ok(OfficerAlert { alert, track })
        })
    })
    .await
}

/// An officer of the unit holding the alert acknowledges, closes or flags it. Errors:
/// `alert_not_found` (not held by the unit), `alert_not_active`, `alert_not_acknowledged`.
pub async fn act(
    state: &web::Data<AppState>,
    officer: OfficerActor,
    unit: String,
    id: String,
    action: OfficerAlertAction,
    request_id: Option<String>,
) -> Result<OfficerAlert, ApiError> {
    with_db(state, move |conn| {
        conn.write_transaction(|c| {
            let alert = repo::find(c, &id, true)?
                .filter(|a| a.unit == unit)
                .ok_or_else(|| ApiError::AlertNotFound(id.clone()))?;
            let actor = officer.audit_actor(Some(&unit));
            let now = super::now();
            if let Some((status, kind, mut audit)) =
                rules::officer_act(&alert.state(), action, actor, now).map_err(alert_error)?
            {
                audit.request_id = request_id;
                let change = match action {
                    OfficerAlertAction::Acknowledge => Change {
                        status: Some(status),
                        acknowledged: Some((officer.id.as_str(), now)),
                        ..Change::default()
                    },
                    _ => Change {
                        status: Some(status),
                        ended: Some((officer.id.as_str(), now)),
                        ..Change::default()
                    },
                };
                repo::update(c, &id, &change)?;
                repo::event(c, &id, &unit, kind, now)?;
                record_in(c, &audit, officer.name.as_deref())?;
            }
            let alert =
                repo::find(c, &id, false)?.ok_or_else(|| ApiError::AlertNotFound(id.clone()))?;
            let track = repo::track(c, &id)?;
            Ok(OfficerAlert { alert, track })
        })
    })
    .await
}

/// An officer opens the unit's alert stream (audited as a consultation of the unit's
/// alerts); returns the newest event's seq, where a stream without `Last-Event-ID`
/// starts.
pub async fn open_unit_stream(
    state: &web::Data<AppState>,
    officer: OfficerActor,
    unit: String,
    request_id: Option<String>,
) -> Result<i64, ApiError> {
    with_db(state, move |conn| {
        let mut event = AuditEvent::new(
            officer.audit_actor(Some(&unit)),
            AuditOperation::Consultation,
            "unit_alerts",
            Some(&unit),
            super::now(),
        )
        .with_action("watch_unit_alerts");
        event.request_id = request_id;
        record_in(conn, &event, officer.name.as_deref())?;
        Ok(repo::latest_seq(conn)?)
    })
    .await
}

/// A stream's next events, each with its alert and the alert's newest position.
pub async fn unit_events(
    state: &web::Data<AppState>,
    unit: String,
    after: i64,
) -> Result<Vec<(StoredEvent, StoredAlert, Option<TrackPoint>)>, ApiError> {
    with_db(state, move |conn| {
        let events = repo::unit_events_after(conn, &unit, after, 100)?;
        let mut out = Vec::with_capacity(events.len());
        for event in events {
            let Some(alert) = repo::find(conn, &event.alert_id, false)? else {
                continue;
            };
            let last = repo::track(conn, &event.alert_id)?.pop();
            out.push((event, alert, last));
        }
        Ok(out)
    })
    .await
}

/// The citizen's alert's events after `after` that the citizen sees.
pub async fn citizen_events(
    state: &web::Data<AppState>,
    alert: String,
    after: i64,
) -> Result<(Vec<StoredEvent>, i64), ApiError> {
    with_db(state, move |conn| {
        let events = repo::alert_events_after(conn, &alert, after, 100)?;
        let last = events.last().map_or(after, |e| e.seq);
        let shown = events
            .into_iter()
            .filter(|e| e.kind.for_citizen())
            .collect();
        Ok((shown, last))
    })
    .await
}

/// One round of escalation: alerts unacknowledged past the delay move to their
/// country's fallback unit (the old unit's stream says it left, the new unit's stream
/// receives it), audited as a disclosure by the system. Returns how many escalated.
pub fn escalate_due(
    conn: &mut DbConnection,
    settings: &crate::config::AlertSettings,
    now: DateTime<Utc>,
) -> Result<usize, ApiError> {
    let timeout = Duration::seconds(i64::try_from(settings.ack_timeout_secs).unwrap_or(60));
    conn.write_transaction(|c| {
        let due = repo::due_for_escalation(c, now - timeout, 50)?;
        let mut moved = 0;
        for alert in due {
            let fallback = alert
                .country
                .as_deref()
                .and_then(|country| settings.fallback_units.get(country));
            if !rules::escalation_due(&alert.state(), fallback.map(String::as_str), timeout, now) {
                continue;
            }
            let Some(to) = fallback else { continue };
            let change = Change {
                escalated_to: Some((to.as_str(), now)),
                ..Change::default()
            };
            repo::update(c, &alert.id, &change)?;
            repo::event(c, &alert.id, &alert.unit, AlertEventKind::EscalatedOut, now)?;
            repo::event(c, &alert.id, to, AlertEventKind::EscalatedIn, now)?;
            persistence::audit::append(c, &rules::escalation_audit(&alert.id, to, now))?;
            moved += 1;
        }
        Ok(moved)
    })
}

/// Runs [`escalate_due`] every `alerts.escalation_poll_ms` on this instance. Instances
/// share the work through `FOR UPDATE SKIP LOCKED`: none holds state another needs.
pub fn spawn_escalation(state: web::Data<AppState>) {
    let every = std::time::Duration::from_millis(state.alerts.escalation_poll_ms.max(50));
    actix_web::rt::spawn(async move {
        let mut interval = actix_web::rt::time::interval(every);
        loop {
            interval.tick().await;
            let settings = state.alerts.clone();
            if settings.fallback_units.is_empty() {
                continue;
            }
            let result = with_db(&state, move |conn| {
                escalate_due(conn, &settings, super::now())
            })
            .await;
            match result {
                Ok(0) => {}
                Ok(n) => tracing::info!(escalated = n, "alerts escalated to fallback units"),
                Err(e) => tracing::warn!(error = %e, "alert escalation round failed"),
            }
        }
    });
}

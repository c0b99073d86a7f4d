//! The application layer: one function per use case. A use case loads what the domain
//! needs, asks the domain's command for its effects, and saves them in one transaction;
//! it knows the database and the domain, and nothing of HTTP but the idempotent reply it
//! may have to store. Handlers (`routes`) call it; it never calls them.

pub mod access;
pub mod access_restriction;
pub mod alerts;
pub mod appointments;
pub mod backoffice;
pub mod chat;
pub mod credentials;
pub mod deliveries;
pub mod evidence;
pub mod evidence_cleanup;
pub mod evidence_uploads;
pub mod filings;
pub mod items;
pub mod lost_property;
pub mod notifications;
pub mod open311;
pub mod partners;
pub mod ratelimit;
pub mod restriction;
pub mod retention;
pub mod statistics;
pub mod travel;
pub mod webhooks;

use crate::error::{ApiError, FieldError};
use crate::state::AppState;
use actix_web::web;
use domain::filing::{FilingError, Rules};
use domain::forms::FieldIssue;
use domain::i18n::Lang;
use persistence::{DbConnection, PersistenceError};

/// The time of a use case: now, truncated once to the microseconds both databases keep
/// (PostgreSQL stores microseconds, SQLite would keep nanoseconds), so that what a write
/// answers and what every later read shows are the same instant.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}

/// Runs `work` with a pooled connection on the blocking thread pool.
pub async fn with_db<T, F>(state: &web::Data<AppState>, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
{
    let pool = state.pool.clone();
    web::block(move || {
        let mut conn = pool.get().map_err(PersistenceError::from)?;
        work(&mut conn)
    })
    .await?
}

/// Runs `writes` in one write transaction under the request's `Idempotency-Key`
/// (`crate::idempotency::within`, docs/API-DESIGN.md "Idempotency"): a retry with the
/// same key and request gets the first answer again and nothing is written twice; the
/// key, the writes and the stored answer commit together. `render` makes the answer from
/// what the writes returned. Without a key, the writes just run.
///
/// # Errors
/// Those of `writes`; 409 `idempotency_key_in_use`, 422 `idempotency_key_reused`.
pub async fn write_idempotently<T, W, R>(
    state: &web::Data<AppState>,
    key: Option<crate::idempotency::Key>,
    writes: W,
    render: R,
) -> Result<crate::idempotency::Done, ApiError>
where
    W: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    R: FnOnce(T) -> crate::idempotency::Reply + Send + 'static,
{
    with_db(state, move |conn| {
        conn.write_transaction(|c| {
            crate::idempotency::within(key.as_ref(), c, |c| writes(c).map(render))
        })
    })
    .await
}

/// The deployment's rules for filings.
pub fn rules(state: &AppState) -> Rules<'_> {
    Rules {
        catalogue: &state.catalogue,
        countries: &state.countries,
        daily_submissions: state.daily_submissions,
    }
}

/// Field issues of the domain as the API's field errors (texts are added when the
/// problem is rendered in the request's language).
pub fn field_errors(issues: Vec<FieldIssue>) -> Vec<FieldError> {
    issues.into_iter().map(FieldError::from).collect()
}

/// A refused command as a problem, in `lang`: the one place where the domain's reasons
/// become texts (reasons filled with their parameters, candidates named).
pub fn problem(state: &AppState, lang: Lang, procedure: Option<&str>, e: FilingError) -> ApiError {
    let catalogue = &state.catalogue;
    match e {
        FilingError::Invalid(issues) => ApiError::Validation(field_errors(issues)),
        FilingError::NotEligible(failures) => ApiError::NotEligible {
            errors: failures
                .iter()
                .map(|f| {
                    let mut error = FieldError::new(
                        f.question
                            .as_deref()
                            .map(domain::filing::commands::answer_pointer)
                            .unwrap_or_else(|| "/procedure".into()),
                        &f.reason,
                    );
                    // In the reader's language (the domain filled it in the filing's).
                    error.message = procedure
                        .and_then(|p| catalogue.procedure(p))
                        .map(|p| catalogue.reason_text(lang, p, &f.reason))
                        .unwrap_or_else(|| f.explanation.clone());
                    error
                })
                .collect(),
            competent_unit: None,
        },
        FilingError::InsufficientAssurance { required } => ApiError::InsufficientAssurance {
            required: required.to_string(),
        },
        // Codes: the problem names them in the language it is rendered in.
        FilingError::InvalidTransition(t) => ApiError::InvalidTransition {
            status: t.status.to_string(),
            action: t.action.to_string(),
        },
        FilingError::Stale => ApiError::PreconditionFailed,
        FilingError::PlaceAmbiguous(candidates) => {
            place_ambiguous(state, lang, "/place/municipality", &candidates)
        }
        FilingError::NoCompetentUnit => ApiError::NoCompetentUnit,
        FilingError::QuotaExceeded { retry_after_secs } => {
            ApiError::QuotaExceeded { retry_after_secs }
        }
        FilingError::RecordNumberTaken => ApiError::RecordNumberTaken,
        FilingError::UnknownProcedure(code) => {
            ApiError::Internal(format!("a stored filing names unknown procedure {code}"))
        }
    }
}

/// The `place_ambiguous` problem: one field error per candidate at `pointer` (the field
/// that names the municipality: its message names the candidate in `lang`, with its id;
/// `allowed` is the id), and the candidates as data, with the unit competent for each.
pub(crate) fn place_ambiguous(
    state: &AppState,
    lang: Lang,
    pointer: &str,
    candidates: &[domain::directory::Candidate],
) -> ApiError {
    let directory = state.directory();
    let named_unit = |id: &str| crate::error::NamedId {
        id: id.to_owned(),
        name: directory
            .unit(id)
            .map_or_else(|| id.to_owned(), |u| u.name(lang).to_owned()),
    };
    ApiError::PlaceAmbiguous {
        errors: candidates
            .iter()
            .map(|c| {
                let mut error = FieldError::new(pointer, "candidate");
                error.message = format!("{} ({})", c.name(lang), c.municipality);
                error.accepted.allowed = Some(vec![c.municipality.to_string()]);
                error
            })
            .collect(),
        candidates: candidates
            .iter()
            .map(|c| crate::error::PlaceCandidate {
                municipality: crate::error::NamedId {
                    id: c.municipality.to_string(),
                    name: c.name(lang).to_owned(),
                },
                unit: c.unit.as_deref().map(named_unit),
            })
            .collect(),
    }
}

/// A refusal that sends the citizen to a station (`filing_not_eligible`) with the contact
/// data of `unit`, the unit competent for the place of the facts, named in `lang`.
pub fn with_competent_unit(
    state: &AppState,
    lang: Lang,
    unit: Option<&str>,
    error: ApiError,
) -> ApiError {
    match error {
        ApiError::NotEligible {
            errors,
            competent_unit: None,
        } => {
            let directory = state.directory();
            ApiError::NotEligible {
                errors,
                competent_unit: unit
                    .and_then(|id| directory.unit(id))
                    .map(|u| Box::new(crate::error::UnitContact::of(u, lang, now()))),
            }
        }
        other => other,
    }
}

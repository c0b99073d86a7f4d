//! The application layer: one function per use case. A use case loads what the domain
//! needs, asks the domain's command for its effects, and saves them in one transaction;
//! it knows the database and the domain, and nothing of HTTP but the idempotent reply it
//! may have to store. Handlers (`routes`) call it; it never calls them.

pub mod backoffice;
pub mod deliveries;
pub mod filings;

use crate::error::{ApiError, FieldError};
use crate::state::AppState;
use actix_web::web;
use domain::filing::{FilingError, Rules};
use domain::forms::FieldIssue;
use domain::i18n::Lang;
use persistence::{DbConnection, PersistenceError};

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
        FilingError::NotEligible(failures) => ApiError::NotEligible(
            failures
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
        ),
        FilingError::InsufficientAssurance { required } => ApiError::InsufficientAssurance {
            required: required.to_string(),
        },
        FilingError::InvalidTransition(t) => ApiError::InvalidTransition {
            status: crate::i18n::texts()
                .get(lang, &format!("filing_status.{}", t.status))
                .unwrap_or(t.status.as_str())
                .to_owned(),
            action: t.action.to_string(),
        },
        FilingError::Stale => ApiError::PreconditionFailed,
        FilingError::PlaceAmbiguous(candidates) => ApiError::PlaceAmbiguous(
            candidates
                .iter()
                .map(|c| {
                    let mut error = FieldError::new("/place/municipality", "candidate");
                    error.message = c.municipality.to_string();
                    error
                })
                .collect(),
        ),
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

//! Counter counts (docs/STATISTICS.md): a unit's supervisor imports, as CSV, how many
//! filings were taken at the unit's counter per procedure and month; the open statistics
//! publish the online share from them. Supervisors (and administrators) of the unit
//! only; every import, and every refused attempt, is audited.

use super::access::{CounterCountsChange, UnitAccess};
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use actix_web::{put, web, HttpRequest, HttpResponse};
use domain::audit::{AuditEvent, AuditOperation};
use serde::Serialize;
use utoipa::ToSchema;

const CSV: &str = "text/csv";

/// What an import replaced.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"unit_id": "zp-ottignies-louvain-la-neuve", "months": ["2026-03", "2026-04"], "lines": 4, "counter_total": 131}))]
pub struct CounterImport {
    #[schema(example = "zp-ottignies-louvain-la-neuve")]
    pub unit_id: String,
    /// The months replaced (`YYYY-MM`): every count of the unit for these months is the
    /// file's now.
    pub months: Vec<String>,
    /// Lines imported (besides the header).
    #[schema(example = 4, minimum = 0, maximum = 10000)]
    pub lines: usize,
    /// The sum of their counts.
    #[schema(example = 131, minimum = 0)]
    pub counter_total: u64,
}

/// Import the counter counts (supervisors)
///
/// A supervisor of the unit sends, as `text/csv`, the filings taken at the unit's
/// counter: a header `procedure,month,count`, then one line per procedure and month
/// (`YYYY-MM`), each at most once, `count` from 0 to 1,000,000, at most 10,000 lines.
/// The months in the file replace the unit's counts of those months, so sending the
/// same file again changes nothing. A bad file changes nothing and is 422 naming every
/// bad line (`/body/<line>/<column>`, the header being line 1). Audited
/// (`alteration` of `counter_counts`), refused attempts too.
#[utoipa::path(
    tag = "statistics",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "Id of the unit")),
    request_body(content = String, content_type = "text/csv",
        example = json!("procedure,month,count\nbicycle_theft,2026-03,41\n")),
    responses(
        (status = 200, description = "The counts replaced", body = CounterImport),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a supervisor of the unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such unit", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than `server.body_limit_bytes` (1 MiB by default)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not text/csv", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad line: each one named", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/units/{unit_id}/counter-counts")]
pub async fn import_counter_counts(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: UnitAccess<CounterCountsChange>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    require_csv(&req)?;
    let unit = access.unit.clone();
    let country = match state.directory().unit(&unit) {
        Some(found) => found.country.to_string(),
        None => return Err(ApiError::UnitNotFound(unit)),
    };
    let lines = crate::app::statistics::parse_counter_counts(&state, &body)?;
    let event = import_event(&access, &unit);
    let (count, total) = (lines.len(), lines.iter().map(|l| l.count).sum());
    let officer = access.officer.id.clone();
    let months = crate::app::statistics::import_counter_counts(
        &state,
        unit.clone(),
        country,
        lines,
        officer,
        event,
    )
    .await?;
    Ok(HttpResponse::Ok().json(CounterImport {
        unit_id: unit,
        months,
        lines: count,
        counter_total: total,
    }))
}

/// 415 unless the body is declared `text/csv` (parameters such as `charset` allowed).
fn require_csv(req: &HttpRequest) -> Result<(), ApiError> {
    let is_csv = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .and_then(|m| m.split(';').next())
        .is_some_and(|t| t.trim() == CSV);
    if is_csv {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType { expected: CSV })
    }
}

/// The import's audit event: an alteration of the unit's `counter_counts`.
fn import_event(access: &UnitAccess<CounterCountsChange>, unit: &str) -> AuditEvent {
    let mut event = AuditEvent::new(
        access.officer.audit_actor(Some(unit)),
        AuditOperation::Alteration,
        "counter_counts",
        Some(unit),
        crate::app::now(),
    );
    event.request_id = access.request_id.clone();
    event
}

//! The record of processing activities (Directive 2016/680, Art. 24; docs/ACCESS.md), for
//! the data protection officer: generated from the catalogue (`processing.toml`, the
//! procedures), the retention periods and the configuration. No personal data.

use crate::actors::Officer;
use crate::error::{ApiError, FieldError, Problem};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use domain::processing::{Deployment, ProcedureRetention, Record};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `?format=` of the record.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordQuery {
    /// `json` (default) or `markdown`; without it, the `Accept` header decides.
    pub format: Option<String>,
}

/// A purpose of the processing.
#[derive(Debug, Serialize, ToSchema)]
pub struct PurposeRecord {
    #[schema(example = "filing_intake")]
    pub code: String,
    pub description: String,
    pub legal_basis: String,
    pub data_subjects: Vec<String>,
    /// The categories of personal data.
    pub data: Vec<String>,
}

/// A category of recipients.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecipientRecord {
    #[schema(example = "records_system")]
    pub code: String,
    pub description: String,
}

/// The periods of one procedure, in days, by how the filing ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodsRecord {
    /// A procedure's code, or `*` for the defaults.
    #[schema(example = "online_scam")]
    pub procedure: String,
    #[schema(example = 30, minimum = 0)]
    pub draft: u32,
    #[schema(example = 90, minimum = 0)]
    pub withdrawn: u32,
    #[schema(example = 365, minimum = 0)]
    pub rejected: u32,
    #[schema(example = 365, minimum = 0)]
    pub redirected: u32,
    #[schema(example = 30, minimum = 0)]
    pub registered: u32,
}

/// What the configuration adds.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeploymentRecord {
    #[schema(example = json!(["BE", "FR", "LU"]))]
    pub countries: Vec<String>,
    /// Seconds between two runs of the erasure job in the service; absent when it is
    /// run by hand.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 3600, minimum = 1)]
    pub erasure_job_interval_secs: Option<u64>,
}

/// The record of processing activities (Art. 24(1)).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "controller": "The police forces operating the online police station",
    "dpo_contact": "The data protection officer of the competent police unit",
    "purposes": [{"code": "filing_intake", "description": "Receiving and processing complaints and declarations filed online",
                  "legal_basis": "Directive (EU) 2016/680, Art. 8", "data_subjects": ["complainants"], "data": ["facts and items"]}],
    "recipients": [{"code": "records_system", "description": "The national police records system"}],
    "transfers": "None outside the European Union", "profiling": "None",
    "procedures": ["online_scam"],
    "retention_defaults": {"procedure": "*", "draft": 30, "withdrawn": 90, "rejected": 365, "redirected": 365, "registered": 90},
    "retention": [{"procedure": "online_scam", "draft": 30, "withdrawn": 90, "rejected": 365, "redirected": 365, "registered": 30}],
    "retention_rules": ["draft: from the draft's last change"],
    "security": ["Complainants' identity claims sealed"],
    "deployment": {"countries": ["BE"], "erasure_job_interval_secs": 3600}
}))]
pub struct RecordOfProcessing {
    pub controller: String,
    pub dpo_contact: String,
    pub purposes: Vec<PurposeRecord>,
    pub recipients: Vec<RecipientRecord>,
    pub transfers: String,
    pub profiling: String,
    /// The procedures offered.
    pub procedures: Vec<String>,
    pub retention_defaults: PeriodsRecord,
    pub retention: Vec<PeriodsRecord>,
    /// How the periods are counted.
    pub retention_rules: Vec<String>,
    pub security: Vec<String>,
    pub deployment: DeploymentRecord,
}

fn periods(p: &ProcedureRetention) -> PeriodsRecord {
    PeriodsRecord {
        procedure: p.procedure.clone(),
        draft: p.draft,
        withdrawn: p.withdrawn,
        rejected: p.rejected,
        redirected: p.redirected,
        registered: p.registered,
    }
}

impl From<&Record> for RecordOfProcessing {
    fn from(r: &Record) -> Self {
        RecordOfProcessing {
            controller: r.controller.clone(),
            dpo_contact: r.dpo_contact.clone(),
            purposes: r
                .purposes
                .iter()
                .map(|p| PurposeRecord {
                    code: p.code.clone(),
                    description: p.description.clone(),
                    legal_basis: p.legal_basis.clone(),
                    data_subjects: p.data_subjects.clone(),
                    data: p.data.clone(),
                })
                .collect(),
            recipients: r
                .recipients
                .iter()
                .map(|x| RecipientRecord {
                    code: x.code.clone(),
                    description: x.description.clone(),
                })
                .collect(),
            transfers: r.transfers.clone(),
            profiling: r.profiling.clone(),
            procedures: r.procedures.clone(),
            retention_defaults: periods(&r.retention_defaults),
            retention: r.retention.iter().map(periods).collect(),
            retention_rules: r.retention_rules.clone(),
            security: r.security.clone(),
            deployment: DeploymentRecord {
                countries: r.deployment.countries.clone(),
                erasure_job_interval_secs: r.deployment.erasure_job_interval_secs,
            },
        }
    }
}

/// Whether the caller wants Markdown: `?format=` decides, else `Accept` (JSON by default).
fn wants_markdown(req: &HttpRequest, format: Option<&str>) -> Result<bool, ApiError> {
    match format {
        Some("markdown") => Ok(true),
        Some("json") => Ok(false),
        Some(_) => Err(ApiError::Validation(vec![FieldError::new(
            "/query/format",
            "unknown_option",
        )])),
        None => Ok(crate::negotiation::preferred_media(
            req,
            &["application/json", "text/markdown"],
        )? == "text/markdown"),
    }
}

/// The record of this deployment.
pub fn of_state(state: &AppState) -> Record {
    crate::records::record(
        &state.catalogue,
        &state.processing,
        &state.retention,
        Deployment {
            countries: state.countries.iter().map(|c| c.to_string()).collect(),
            erasure_job_interval_secs: state.retention_job,
        },
    )
}

/// Records of processing
///
/// The record of processing activities (Directive 2016/680, Art. 24), generated from the
/// catalogue, the retention periods and the configuration: the controller, the purposes
/// and their legal basis, the categories of data subjects and of data, the recipients,
/// the transfers, the time limits for erasure and the security measures. As JSON, or as
/// Markdown with `Accept: text/markdown` or `?format=markdown`. For the data protection
/// officer: administrators and auditors.
#[utoipa::path(
    tag = "data protection",
    security(("bearer" = [])),
    params(RecordQuery),
    responses(
        (status = 200, description = "The record",
            content(
                (RecordOfProcessing = "application/json"),
                (String = "text/markdown", example = json!("# Record of processing activities\n..."))
            )),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator or auditor", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown format", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/records-of-processing")]
pub async fn records_of_processing(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
    query: web::Query<RecordQuery>,
) -> Result<HttpResponse, ApiError> {
    if !domain::policy::may_read_records_of_processing(&officer.actor()) {
        return Err(ApiError::Forbidden);
    }
    let markdown = wants_markdown(&req, query.format.as_deref())?;
    let record = of_state(&state);
    let mut response = HttpResponse::Ok();
    response.insert_header((header::VARY, "Accept"));
    if markdown {
        return Ok(response
            .content_type("text/markdown; charset=utf-8")
            .body(crate::records::markdown(&record)));
    }
    Ok(response.json(RecordOfProcessing::from(&record)))
}

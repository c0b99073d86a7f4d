//! The citizen's export (Art. 14) as the API shows it.

use crate::routes::appointments::types::AppointmentView;
use crate::routes::filings::FilingView;
use crate::routes::notifications::NotificationView;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// Everything the service holds about the caller (EU Directive 2016/680, Art. 14).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "generated_at": "2026-11-30T10:00:00Z", "subject": "citizen-4f2a", "language": "en",
    "filings": [], "notifications": [], "appointments": [], "alerts": [],
    "purposes": [{"code": "filing_intake", "description": "Receiving and processing complaints and declarations filed online, and informing the person who filed them.", "legal_basis": "Directive (EU) 2016/680, Art. 1(1) and 8"}],
    "recipients": [{"recipient": "records_system", "filing_id": "6f1c2a3e-8d7b-4c5a-9e0f-1a2b3c4d5e6f", "reference": "EC-2026-7K2Q-9XHM-C", "at": "2026-11-24T08:00:00Z"}]
}))]
pub struct PersonalDataExport {
    pub generated_at: DateTime<Utc>,
    /// The caller's pseudonymous id, as the service knows them.
    pub subject: String,
    /// The language of the texts.
    pub language: String,
    /// Every filing, oldest first, each as the citizen reads it (history, questions and
    /// answers, decision, items in its facts), with its retention.
    pub filings: Vec<ExportedFilingView>,
    /// Every notification of the in-app feed about these filings, oldest first.
    pub notifications: Vec<NotificationView>,
    /// Every appointment booked about these filings, oldest first.
    pub appointments: Vec<AppointmentView>,
    /// Every discreet alert raised (not through a partner), with the positions sent.
    pub alerts: Vec<ExportedAlertView>,
    /// Why the data is processed, and on which legal basis.
    pub purposes: Vec<PurposeView>,
    /// To whom a filing was disclosed: the records system, when an officer handed it over.
    pub recipients: Vec<RecipientView>,
    /// Present when some data is withheld (Directive 2016/680, Art. 15(1): access would
    /// obstruct an inquiry): says so, and how to have it checked, never what it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "Some of the data held about you is not shown here ...")]
    pub withheld: Option<String>,
}

/// One filing of the export.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedFilingView {
    pub filing: FilingView,
    pub retention: FilingRetentionView,
}

/// How long a filing is kept (`domain/catalogue/retention.toml`).
#[derive(Debug, Serialize, ToSchema)]
pub struct FilingRetentionView {
    /// `draft`, `withdrawn`, `rejected`, `redirected` or `registered`; absent while the
    /// filing is open (kept while the unit processes it).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "rejected")]
    pub class: Option<String>,
    /// The period of that class for its procedure, in days.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 365, minimum = 0)]
    pub days: Option<u32>,
    /// When it will be erased, if that is known now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub erasure_due: Option<DateTime<Utc>>,
    /// Why it is kept until then, or for now: `open`, `not_handed_over`, `restricted`
    /// or `period_running`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "period_running")]
    pub kept: Option<String>,
}

/// A discreet alert of the export.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedAlertView {
    pub id: String,
    /// `silent` or `text`.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    pub status: String,
    pub raised_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
    pub positions: Vec<PositionView>,
}

/// A position sent during an alert.
#[derive(Debug, Serialize, ToSchema)]
pub struct PositionView {
    #[schema(example = 50.6681)]
    pub lat: f64,
    #[schema(example = 4.6118)]
    pub lon: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accuracy_m: Option<f64>,
    pub recorded_at: DateTime<Utc>,
}

/// A purpose of the processing (`domain/catalogue/processing.toml`).
#[derive(Debug, Serialize, ToSchema)]
pub struct PurposeView {
    #[schema(example = "filing_intake")]
    pub code: String,
    pub description: String,
    pub legal_basis: String,
}

/// A disclosure of one of the filings.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecipientView {
    /// `records_system`: the national police records system.
    #[schema(example = "records_system")]
    pub recipient: String,
    pub filing_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub at: DateTime<Utc>,
}

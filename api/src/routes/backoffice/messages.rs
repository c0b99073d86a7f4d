//! `GET /v1/units/{unit}/filings/{id}/messages`: the delivery state of the messages sent
//! to the citizen about a filing of the unit (issue 15). Members of the unit only; the
//! read is audited as a consultation of the filing. Addresses are not shown (the filing
//! has them); contents neither (the templates are the catalogue's).

use super::access::{FilingRead, UnitAccess};
use crate::app::backoffice::consultation;
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use persistence::outbox::OutboxRow;
use serde::Serialize;
use utoipa::ToSchema;

/// The messages of a filing, oldest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{
    "id": "42", "channel": "email", "template": "filing_registered", "language": "fr",
    "status": "sent", "attempts": 1, "queued_at": "2026-11-22T10:05:00Z",
    "next_attempt_at": "2026-11-22T10:05:00Z", "sent_at": "2026-11-22T10:05:01Z"
}]}))]
pub struct FilingMessages {
    pub items: Vec<MessageDelivery>,
}

/// One message to the citizen and where its delivery stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageDelivery {
    /// The outbox id (operators retry with `ecommissariat outbox retry <id>`).
    pub id: String,
    /// `email` or `post`.
    pub channel: String,
    /// What it tells (`filing_submitted`, `filing_registered`, …).
    pub template: String,
    pub language: String,
    /// `pending`, `sending`, `sent` (handed to the mail server, or printed in a letter
    /// batch), `failed` (refused for good) or `dead` (every attempt failed).
    pub status: String,
    /// Delivery attempts so far.
    pub attempts: i32,
    pub queued_at: DateTime<Utc>,
    /// When it is (or was last) due.
    pub next_attempt_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
    /// The last failure's code (`smtp_unavailable`, `smtp_4xx`, `smtp_5xx`,
    /// `no_address`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// The letter batch (a date) that printed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<String>,
}

impl From<OutboxRow> for MessageDelivery {
    fn from(row: OutboxRow) -> Self {
        let utc = persistence::filings::utc;
        MessageDelivery {
            id: row.id.to_string(),
            queued_at: utc(row.created_at),
            next_attempt_at: utc(row.available_at),
            sent_at: row.sent_at.map(utc),
            channel: row.channel,
            template: row.template,
            language: row.language,
            status: row.status,
            attempts: row.attempts,
            last_error: row.last_error,
            batch: row.batch,
        }
    }
}

/// The messages sent to the citizen about a filing
///
/// Every message queued for the citizen about this filing (acknowledgement, status
/// changes), by channel, with its delivery state: whether it reached the mail server or
/// the print batch, how many attempts it took, and why it failed. Audited as a
/// consultation of the filing.
#[utoipa::path(
    tag = "back office",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The unit"), ("id" = String, Path, description = "The filing")),
    responses(
        (status = 200, description = "The filing's messages, oldest first", body = FilingMessages),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing in this unit", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{unit_id}/filings/{id}/messages")]
pub async fn filing_messages(
    state: web::Data<AppState>,
    access: UnitAccess<FilingRead>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let event = consultation(
        &access.officer,
        &access.unit,
        ("filing", Some(&id)),
        access.request_id,
    );
    let rows =
        crate::app::deliveries::messages(&state, &access.officer, &access.unit, &id, event).await?;
    Ok(HttpResponse::Ok().json(FilingMessages {
        items: rows.into_iter().map(MessageDelivery::from).collect(),
    }))
}

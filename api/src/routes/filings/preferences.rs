//! How the citizen is told about a filing, changed after creation:
//! `PATCH /v1/filings/{id}/preferences`.

use super::ConfirmationChannel;
use crate::actors::Citizen;
use crate::app::filings as usecase;
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::language::{AskedLanguage, Language};
use crate::middleware::RequestId;
use crate::state::AppState;
use crate::versions::if_match;
use actix_web::http::header;
use actix_web::{patch, web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A change of how the citizen is told about a filing.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"confirmation_channel": "post", "postal_address": "Rue de la Gare 1, 1340 Ottignies", "app_notifications": false}), min_properties = 1)]
pub struct PreferencesChange {
    /// `email`, `post` or `app`; e-mail needs an address (given here or before), post a
    /// postal address.
    pub confirmation_channel: Option<ConfirmationChannel>,
    #[schema(max_length = 254)]
    pub email: Option<String>,
    #[schema(max_length = 500)]
    pub postal_address: Option<String>,
    /// Whether to receive this filing's notifications in the app. Off, the legally
    /// required ones (the acknowledgement, the decisions) still reach the feed when the
    /// app is the confirmation channel, and go by e-mail or post otherwise.
    pub app_notifications: Option<bool>,
}

impl From<PreferencesChange> for domain::filing::PreferencesInput {
    fn from(c: PreferencesChange) -> Self {
        domain::filing::PreferencesInput {
            confirmation_channel: c.confirmation_channel.map(Into::into),
            email: c.email,
            postal_address: c.postal_address,
            app_notifications: c.app_notifications,
        }
    }
}

/// Change how I am notified
///
/// Changes the confirmation channel (`email`, `post`, `app`) with the address it needs,
/// and whether the filing's notifications reach the app; in any status until the filing
/// is withdrawn or closed. Requires `If-Match` with the current `ETag`. Audited.
#[utoipa::path(
    tag = "filings",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Id of the filing"), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = PreferencesChange,
    responses(
        (status = 200, description = "The filing with its new preferences", body = super::FilingView, headers(("ETag" = String, description = "Its new version"))),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing among yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Withdrawn or closed", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the ETag was read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid address, or a channel without its address", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/filings/{id}/preferences")]
pub async fn change_preferences(
    req: HttpRequest,
    state: web::Data<AppState>,
    citizen: Citizen,
    id: web::Path<String>,
    JsonBody(body): JsonBody<PreferencesChange>,
    Language(lang): Language,
    asked: AskedLanguage,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let changes = body.into();
    let loaded = usecase::change_preferences(
        &state,
        citizen.actor(),
        &id,
        changes,
        expected,
        lang,
        RequestId::of(&req),
    )
    .await?;
    let lang = asked.or_filing(&loaded.filing);
    let view = super::views::filing_view(&state, &loaded, lang, Utc::now());
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, super::views::etag(view.version)))
        .json(view))
}

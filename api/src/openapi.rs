//! The published contract, generated from the code. `openapi.yaml` at the repository
//! root is this document; a test fails when they differ.

use crate::error::{FieldError, Problem};
use crate::routes;
use actix_web::App;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "e-commissariat API",
        description = "Backend of an online police station: citizens file simple complaints and \
declarations online; the filing goes to the police unit competent for the place of the facts, \
whose officers process it in a back office.\n\nErrors are RFC 9457 `application/problem+json` \
documents with a stable `code` and the `request_id` of the request. Emergencies are never \
handled online: call 112 (EU), 113 (LU), 17 (FR) or 101 (BE).",
        license(name = "EUPL-1.2", identifier = "EUPL-1.2"),
    ),
    servers((url = "/", description = "This service")),
    tags(
        (name = "audit log", description = "The sealed audit log: its public keys, signed checkpoints, and the inclusion and consistency proofs an auditor checks offline"),
        (name = "back office", description = "Officers of a unit: its queue and the processing of its filings"),
        (name = "catalogue", description = "What a citizen can do online, and whether their case can be filed online"),
        (name = "evidence", description = "Files attached to a filing: a citizen's attachments and supplements, the unit's downloads (viewing copy and original) and the officers' upload links"),
        (name = "documents", description = "Verifiable documents: the keys that verify the QR codes of receipts and authorisations (a JWKS), and the public online check of a QR code"),
        (name = "directory", description = "Police units, and the unit competent for the place of the facts"),
        (name = "filings", description = "A citizen's filings: drafts, recap, submission, receipt"),
        (name = "guidance", description = "Where to go: the guidance tree and prevention advice"),
        (name = "notifications", description = "A citizen's notification feed and its live stream (Server-Sent Events)"),
        (name = "partners", description = "The partner registry (administrators): portals, zone websites and municipal offices acting for citizens, and their webhook signing secrets"),
        (name = "webhooks", description = "A partner's webhook endpoints and their delivery logs (client-credentials token), and the events it receives (Standard Webhooks)"),
        (name = "chat", description = "The chat with a police agent, private and not recorded: opening over HTTP, then a WebSocket (asyncapi.yaml) or the HTTP fallback"),
        (name = "alerts", description = "The discreet alert: a citizen alerts the police in writing; the unit covering the place receives it at once (Server-Sent Events)"),
        (name = "data protection", description = "Directive 2016/680: a citizen's access to their data (Art. 14), the restriction of a filing needed as evidence (Art. 16(3)) and the records of processing (Art. 24)"),
        (name = "items", description = "Objects: the public stolen-item check (issue 20)"),
        (name = "statistics", description = "Open statistics: counts of filings by procedure, country, unit and month, with small-cell suppression"),
        (name = "development", description = "The development identity provider (disabled in production)"),
        (name = "operations", description = "Health probes, metrics and the contract itself"),
    ),
    components(schemas(
        Problem,
        FieldError,
        routes::webhooks::WebhookEvent,
        routes::webhooks::WebhookEventData,
        routes::webhooks::EventTypeCode
    )),
    modifiers(&BearerAuth),
)]
struct ApiDoc;

/// The bearer-token security scheme of the authenticated operations.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("An access token of a trusted identity provider (the development IdP issues them at POST /dev/tokens)"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "metrics_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The metrics token of the deployment (`metrics.token`), when one is configured"))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document of every route the service registers.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes::configure)
        .split_for_parts();
    api.info.version = env!("CARGO_PKG_VERSION").to_owned();
    crate::openapi_pass::complete(&mut api);
    // utoipa has no annotation for OpenAPI 3.1 `webhooks`: built here, as JSON.
    api.webhooks = serde_json::from_value(routes::webhooks::contract_webhooks()).ok();
    api
}

pub use crate::contract::{to_yaml, Contract};

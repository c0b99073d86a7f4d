//! A partner's webhook endpoints (issue 16): registration (the URL's rules are
//! `domain::webhooks`', its addresses are resolved and checked now, and again at every
//! delivery), the list, disabling, the delivery log and a manual redelivery. Each change
//! is audited as an alteration of the partner (object type `partner`).

use super::with_db;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::web;
use domain::audit::{Actor, AuditEvent, AuditOperation};
use domain::forms::{Accepted, FieldIssue};
use domain::webhooks::{Endpoint, EndpointInput, ParsedUrl, UrlRules};
use persistence::outbox::RetryRefusal;
use persistence::webhooks::{self as repo, Delivery};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// The URL's parts the domain's rules look at.
fn parsed(url: &url::Url) -> ParsedUrl {
    ParsedUrl {
        scheme: url.scheme().to_owned(),
        host: url.host_str().map(str::to_owned),
        has_credentials: !url.username().is_empty() || url.password().is_some(),
        has_fragment: url.fragment().is_some(),
        port: url.port(),
    }
}

/// Whether every address of the URL's host may be reached now. `false` for a URL
/// without host, or a name that resolves to nothing within 5 s.
pub async fn url_reachable(url: &url::Url, allowed: &[IpAddr]) -> bool {
    let host = match url.host() {
        Some(url::Host::Ipv4(ip)) => return domain::webhooks::address_allowed(ip.into(), allowed),
        Some(url::Host::Ipv6(ip)) => return domain::webhooks::address_allowed(ip.into(), allowed),
        Some(url::Host::Domain(name)) => name.to_owned(),
        None => return false,
    };
    let port = url.port_or_known_default().unwrap_or(443);
    let lookup = tokio::net::lookup_host((host, port));
    let resolved = tokio::time::timeout(Duration::from_secs(5), lookup).await;
    match resolved {
        Ok(Ok(addrs)) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            !addrs.is_empty()
                && addrs
                    .iter()
                    .all(|a| domain::webhooks::address_allowed(a.ip(), allowed))
        }
        _ => false,
    }
}

fn audit(actor: Actor, action: &str, partner: &str, request_id: Option<String>) -> AuditEvent {
    let mut event = AuditEvent::new(
        actor,
        AuditOperation::Alteration,
        super::partners::OBJECT,
        Some(partner),
        super::now(),
    )
    .with_action(action);
    event.request_id = request_id;
    event
}

/// Registers an endpoint of `partner` (audited as `add_webhook_endpoint`).
///
/// # Errors
/// `Validation` for an invalid URL (scheme, credentials, fragment), an address that may
/// not be reached (`address_not_allowed`), unknown event types, or too many endpoints;
/// the database.
pub async fn register(
    state: &web::Data<AppState>,
    partner: &str,
    input: EndpointInput,
    actor: Actor,
    request_id: Option<String>,
) -> Result<Endpoint, ApiError> {
    let url = url::Url::parse(input.url.trim()).ok();
    let rules = UrlRules {
        allow_http: state.webhooks.allow_http,
    };
    let (types, description) = input
        .check(url.as_ref().map(parsed).as_ref(), rules)
        .map_err(|issues| ApiError::Validation(super::field_errors(issues)))?;
    let url = url.ok_or_else(|| ApiError::Internal("checked URL".into()))?;
    if !url_reachable(&url, &state.webhook_allowed).await {
        let issue = FieldIssue::new("/url", "address_not_allowed");
        return Err(ApiError::Validation(super::field_errors(vec![issue])));
    }
    let (partner, event) = (
        partner.to_owned(),
        audit(actor, "add_webhook_endpoint", partner, request_id),
    );
    with_db(state, move |conn| {
        conn.write_transaction(|c| {
            if repo::list(c, &partner, false)?.len() >= domain::limits::WEBHOOK_ENDPOINTS_MAX {
                let issue = FieldIssue::new("/url", "too_many").with(Accepted {
                    max_items: Some(domain::limits::WEBHOOK_ENDPOINTS_MAX as u64),
                    ..Accepted::default()
                });
                return Err(ApiError::Validation(super::field_errors(vec![issue])));
            }
            let endpoint = repo::create(
                c,
                &partner,
                url.as_str(),
                &types,
                &description,
                event.occurred_at,
            )?;
            persistence::audit::append(c, &event)?;
            Ok(endpoint)
        })
    })
    .await
}

/// The endpoints of `partner` (disabled ones too), oldest first.
pub async fn list(state: &web::Data<AppState>, partner: &str) -> Result<Vec<Endpoint>, ApiError> {
    let partner = partner.to_owned();
    with_db(state, move |conn| Ok(repo::list(conn, &partner, true)?)).await
}

/// The endpoint `id` of `partner`, or 404 `webhook_endpoint_not_found`.
pub async fn get(
    state: &web::Data<AppState>,
    partner: &str,
    id: i64,
) -> Result<Endpoint, ApiError> {
    let partner = partner.to_owned();
    with_db(state, move |conn| {
        repo::get(conn, &partner, id)?.ok_or(ApiError::WebhookEndpointNotFound(id.to_string()))
    })
    .await
}

/// Disables the endpoint `id` of `partner` (audited as `disable_webhook_endpoint`).
pub async fn disable(
    state: &web::Data<AppState>,
    partner: &str,
    id: i64,
    actor: Actor,
    request_id: Option<String>,
) -> Result<Endpoint, ApiError> {
    let event = audit(actor, "disable_webhook_endpoint", partner, request_id);
    let partner = partner.to_owned();
    with_db(state, move |conn| {
        conn.write_transaction(|c| {
            let endpoint = repo::disable(c, &partner, id, event.occurred_at)?
                .ok_or(ApiError::WebhookEndpointNotFound(id.to_string()))?;
            persistence::audit::append(c, &event)?;
            Ok(endpoint)
        })
    })
    .await
}

/// The delivery log of the endpoint `id` of `partner`, newest first.
pub async fn deliveries(
    state: &web::Data<AppState>,
    partner: &str,
    id: i64,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Delivery>, ApiError> {
    let partner = partner.to_owned();
    with_db(state, move |conn| {
        repo::get(conn, &partner, id)?.ok_or(ApiError::WebhookEndpointNotFound(id.to_string()))?;
        Ok(repo::deliveries(conn, id, before, limit)?)
    })
    .await
}

/// Sends the message `message` of the endpoint `id` of `partner` again, now, with a
/// fresh attempt budget (audited as `redeliver_webhook`). Only a `failed` or `dead`
/// message is sent again (409 otherwise: it is still on its way, or arrived).
pub async fn redeliver(
    state: &web::Data<AppState>,
    (partner, id, message): (&str, i64, i64),
    actor: Actor,
    request_id: Option<String>,
) -> Result<(), ApiError> {
    let event = audit(actor, "redeliver_webhook", partner, request_id);
    let partner = partner.to_owned();
    with_db(state, move |conn| {
        repo::get(conn, &partner, id)?.ok_or(ApiError::WebhookEndpointNotFound(id.to_string()))?;
        if !repo::message_of(conn, id, message)? {
            return Err(ApiError::WebhookDeliveryNotFound(message.to_string()));
        }
        conn.write_transaction(|c| {
            match persistence::outbox::retry(c, message, event.occurred_at)? {
                Ok(_) => {}
                Err(RetryRefusal::NotFound) => {
                    return Err(ApiError::WebhookDeliveryNotFound(message.to_string()))
                }
                Err(RetryRefusal::NotRetryable(status)) => {
                    return Err(ApiError::WebhookNotRedeliverable(
                        status.as_str().to_owned(),
                    ))
                }
            }
            persistence::audit::append(c, &event)?;
            Ok(())
        })
    })
    .await
}

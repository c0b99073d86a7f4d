//! The travel requests' messages in the outbox (issue 19): their `filing_id` is the
//! request's id, their address is in the sealed request (the other holder's for the
//! invitation, the requester's for a refusal), and the invitation's single-use link is in
//! the payload sealed, opened only to render the e-mail. Logs name ids, never an address.

use domain::filing::MessageTemplate;
use domain::travel::StoredRequest;
use persistence::outbox::OutboxRow;
use persistence::sealing::Keyring;
use persistence::{DbConnection, PersistenceError};

/// The key of a message's address in a round's address map: the filing's id, or the
/// outbox id for a travel message (one request has two recipients).
pub fn address_key(row: &OutboxRow) -> String {
    if row.template.starts_with("travel_") {
        format!("outbox:{}", row.id)
    } else {
        row.filing_id.clone()
    }
}

/// The recipient of a travel message, from its sealed request; `None` when the request or
/// its address cannot be read (the message then fails as `no_address`).
///
/// # Errors
/// The database.
pub fn recipient(
    conn: &mut DbConnection,
    sealing: &Keyring,
    row: &OutboxRow,
) -> Result<Option<String>, PersistenceError> {
    let Some(request) = persistence::travel::find(conn, &row.filing_id)? else {
        return Ok(None);
    };
    let context = persistence::travel::context(&request.id);
    let stored: Option<StoredRequest> = sealing
        .open(&request.sealed_request, &context)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    let Some(stored) = stored else {
        tracing::error!(outbox_id = row.id, request_id = %request.id, "cannot open a travel request");
        return Ok(None);
    };
    Ok(match row.template.parse::<MessageTemplate>() {
        Ok(MessageTemplate::TravelInvitation) => stored.invited_email().map(str::to_owned),
        Ok(MessageTemplate::TravelRefused) => Some(stored.requester_email),
        _ => None,
    })
}

/// Opens an invitation's sealed link (`link_sealed`) into `link`, for the rendering.
///
/// # Errors
/// `render_failed`: a seal that does not open.
pub fn open_link(
    sealing: &Keyring,
    row: &OutboxRow,
    payload: &mut serde_json::Value,
) -> Result<(), &'static str> {
    let Some(sealed) = payload.get("link_sealed").and_then(|v| v.as_str()) else {
        return Ok(());
    };
    let link = sealing
        .open(sealed, &persistence::travel::link_context(&row.filing_id))
        .map_err(|_| "render_failed")?;
    let link = String::from_utf8(link).map_err(|_| "render_failed")?;
    payload["link"] = serde_json::Value::String(link);
    Ok(())
}

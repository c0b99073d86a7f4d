//! The relay between instances: every chat event goes to every instance's hub.
//!
//! - PostgreSQL: `SELECT pg_notify('ecom_chat', <event as JSON>)`; each instance holds
//!   one dedicated connection that `LISTEN`s and hands what arrives to its hub. The
//!   payload (a message's words included) is never written to a table: PostgreSQL keeps
//!   notifications in its in-memory queue until every listener has read them. No broker
//!   of our own: the database's engine does it.
//! - SQLite (one instance): the event goes straight to this process's hub.
//!
//! Sending is `app::chat::publish`; this module listens.

use super::hub::{Event, Hub};
use persistence::{DatabaseUrl, DbConnection};
use std::time::{Duration, Instant};

/// On PostgreSQL, starts this instance's listener thread: it holds its own connection
/// (not the pool's), `LISTEN`s on the relay's channel, and hands each event to the hub.
/// It reconnects after a failure, and stops once the hub is gone (the service stopped).
pub fn spawn_listener(url: &DatabaseUrl, hub: &Hub, connect_timeout: Duration) {
    if !matches!(url, DatabaseUrl::Postgres(_)) {
        return;
    }
    let url = url.clone();
    let weak = hub.downgrade();
    let spawned = std::thread::Builder::new()
        .name("chat-relay".into())
        .spawn(move || {
            let manager = persistence::db::ConnectionManager::new(url, connect_timeout);
            while weak.alive() {
                let listener = manager
                    .open()
                    .and_then(|conn: DbConnection| persistence::chat::Listener::start(conn));
                match listener {
                    Ok(Some(mut listener)) => {
                        if let Err(e) = listen(&mut listener, &weak) {
                            tracing::warn!(error = %e, "chat relay: the listener failed; reconnecting");
                        }
                    }
                    Ok(None) => return,
                    Err(e) => {
                        tracing::warn!(error = %e, "chat relay: cannot listen; retrying");
                    }
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "chat relay: cannot start the listener thread");
    }
}

/// Reads notifications until the hub is gone or the connection fails. Polls every 2 ms
/// while messages flow, every 10 ms after a quiet second.
fn listen(
    listener: &mut persistence::chat::Listener,
    weak: &super::hub::WeakHub,
) -> Result<(), persistence::PersistenceError> {
    let mut last_seen = Instant::now();
    loop {
        let Some(hub) = weak.upgrade() else {
            return Ok(());
        };
        let payloads = listener.drain()?;
        if !payloads.is_empty() {
            last_seen = Instant::now();
        }
        for payload in payloads {
            match serde_json::from_str::<Event>(&payload) {
                Ok(event) => hub.dispatch(event),
                // Never log the payload: it may hold what a citizen said.
                Err(_) => tracing::warn!("chat relay: an unreadable event was ignored"),
            }
        }
        drop(hub);
        let pause = if last_seen.elapsed() < Duration::from_secs(1) {
            Duration::from_millis(2)
        } else {
            Duration::from_millis(10)
        };
        std::thread::sleep(pause);
    }
}

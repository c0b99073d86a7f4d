//! The relay between instances: every chat event goes to every instance's hub.
//!
//! - PostgreSQL: `SELECT pg_notify('ecom_chat', <envelope as JSON>)`; each instance holds
//!   one dedicated connection that `LISTEN`s and hands what arrives to its hub. The
//!   payload (a message's words included) is never written to a table: PostgreSQL keeps
//!   notifications in its in-memory queue until every listener has read them. No broker
//!   of our own: the database's engine does it.
//! - SQLite (one instance): the event goes straight to this process's hub.
//!
//! A listener that loses its connection misses what is published until it listens
//! again. So each instance keeps what it published for `hub::REPLAY_WINDOW_SECS`
//! (`Hub::stamp`); a listener that reconnects sends again what its own instance
//! published meanwhile (to every instance, itself included) and asks the others
//! (`Event::Resync`, with the time it was last known to listen, less a margin) to send
//! theirs again; every hub hands on each event once
//! (`Hub::receive`: events are numbered per instance).
//!
//! Sending is `app::chat::publish`; this module listens.

use super::hub::{Envelope, Event, Hub, WeakHub};
use chrono::{DateTime, Utc};
use persistence::chat::Listener;
use persistence::{DatabaseUrl, DbConnection, PersistenceError};
use std::time::{Duration, Instant};

/// How much earlier than the last moment a listener was known to listen its replay
/// starts: publishers stamp an event before its `NOTIFY` commits, and instances' clocks
/// differ a little.
const REPLAY_MARGIN_SECS: i64 = 5;

/// On PostgreSQL, starts this instance's listener thread: it holds its own connection
/// (not the pool's), `LISTEN`s on the relay's channel, and hands each event to the hub.
/// It reconnects after a failure (then resynchronises, see the module), and stops once
/// the hub is gone (the service stopped).
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
            // The last moment a listener was known to listen (none before the first).
            let mut listened: Option<DateTime<Utc>> = None;
            while weak.alive() {
                let listener = manager
                    .open()
                    .and_then(|conn: DbConnection| Listener::start(conn));
                match listener {
                    Ok(Some(mut listener)) => {
                        let resynced = match listened {
                            Some(at) => resync(&mut listener, &weak, at),
                            None => Ok(()),
                        };
                        let result = resynced.and_then(|()| listen(&mut listener, &weak, &mut listened));
                        if let Err(e) = result {
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

fn payloads(envelopes: &[Envelope]) -> Vec<String> {
    envelopes
        .iter()
        .filter_map(|e| serde_json::to_string(e).ok())
        .collect()
}

/// After a reconnection: sends again what this instance published since the listener
/// was last known to listen (`listened`, less the margin), and asks the others to send
/// theirs again.
fn resync(
    listener: &mut Listener,
    weak: &WeakHub,
    listened: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    let Some(hub) = weak.upgrade() else {
        return Ok(());
    };
    let since = listened - chrono::Duration::seconds(REPLAY_MARGIN_SECS);
    // Its own events go to every instance again (one that was away too and is back
    // already never heard them), itself included; then the others are asked for theirs.
    let mut again = hub.published_since(since);
    tracing::info!(
        replayed = again.len(),
        "chat relay: listening again; asking the other instances for what was missed"
    );
    again.extend(hub.stamp(vec![Event::Resync { since }]));
    listener.notify(&payloads(&again))
}

/// Reads notifications until the hub is gone or the connection fails; `listened` is
/// the last moment it was known to listen. Polls every 2 ms while messages flow, every
/// 10 ms after a quiet second.
fn listen(
    listener: &mut Listener,
    weak: &WeakHub,
    listened: &mut Option<DateTime<Utc>>,
) -> Result<(), PersistenceError> {
    let mut last_seen = Instant::now();
    loop {
        let Some(hub) = weak.upgrade() else {
            return Ok(());
        };
        let checked = Utc::now();
        let received = listener.drain()?;
        *listened = Some(checked);
        if !received.is_empty() {
            last_seen = Instant::now();
        }
        let origin = hub.origin();
        for payload in received {
            match serde_json::from_str::<Envelope>(&payload) {
                Ok(Envelope {
                    o,
                    e: Event::Resync { since },
                    ..
                }) => {
                    if o != origin {
                        listener.notify(&payloads(&hub.published_since(since)))?;
                    }
                }
                Ok(envelope) => hub.receive(envelope),
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

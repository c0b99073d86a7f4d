//! The instance's side of the relay: what each conversation said so far (in memory
//! only, dropped when it closes) and who is connected here (the citizen's sockets and
//! streams, the agents' sockets). Every relay event reaches every instance's hub (through
//! PostgreSQL `NOTIFY`, or in the process on SQLite), which hands it to the connections
//! it concerns.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

/// Who said something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    Citizen,
    Agent,
}

/// One line of a conversation, as relayed. Either a text or a quick reply (a code of the
/// guidance catalogue, rendered in the citizen's language by the reader).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub id: String,
    pub from: Party,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guidance: Option<String>,
    pub at: DateTime<Utc>,
    /// The sender's own id for the message (echoed; the benchmark measures with it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ref: Option<String>,
}

/// What crosses the relay (the `NOTIFY` payload, as JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
pub enum Event {
    /// A conversation was opened at a desk (its queue grew).
    Opened { c: String, desk: String },
    /// Something was said.
    Said { c: String, line: Line },
    /// An agent took the conversation, or received it by transfer (`from`: the
    /// colleague who gave it).
    Assigned {
        c: String,
        desk: String,
        agent: String,
        topic: String,
        language: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
    },
    /// The conversation is over; every instance forgets what was said.
    Closed { c: String, outcome: String },
    /// A desk's queue changed (`waiting` conversations now).
    Queue { desk: String, waiting: u64 },
    /// An agent's presence changed (their other sockets learn it).
    Presence {
        desk: String,
        agent: String,
        status: String,
    },
}

impl Event {
    /// The conversation it is about, if any.
    pub fn conversation(&self) -> Option<&str> {
        match self {
            Event::Opened { c, .. }
            | Event::Said { c, .. }
            | Event::Assigned { c, .. }
            | Event::Closed { c, .. } => Some(c),
            Event::Queue { .. } | Event::Presence { .. } => None,
        }
    }
}

/// What a connection receives: the event, and for an agent who just received a
/// conversation, what was said so far.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub event: Arc<Event>,
    pub history: Option<Vec<Line>>,
}

pub type Outbox = UnboundedSender<Delivery>;
pub type Inbox = UnboundedReceiver<Delivery>;

#[derive(Default)]
struct Room {
    desk: Option<String>,
    holder: Option<String>,
    lines: VecDeque<Line>,
    citizens: Vec<(u64, Outbox)>,
}

struct AgentConn {
    id: u64,
    desk: String,
    outbox: Outbox,
}

#[derive(Default)]
struct Inner {
    rooms: HashMap<String, Room>,
    agents: HashMap<String, Vec<AgentConn>>,
    next: u64,
}

/// The hub of one instance.
#[derive(Default, Clone)]
pub struct Hub {
    inner: Arc<Mutex<Inner>>,
}

/// A connection's registration; dropping it unregisters.
pub struct Subscription {
    hub: Hub,
    id: u64,
    kind: SubscriptionKind,
}

enum SubscriptionKind {
    Citizen(String),
    Agent(String),
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut inner = self.hub.lock();
        match &self.kind {
            SubscriptionKind::Citizen(c) => {
                if let Some(room) = inner.rooms.get_mut(c) {
                    room.citizens.retain(|(id, _)| *id != self.id);
                }
            }
            SubscriptionKind::Agent(a) => {
                if let Some(conns) = inner.agents.get_mut(a) {
                    conns.retain(|conn| conn.id != self.id);
                    if conns.is_empty() {
                        inner.agents.remove(a);
                    }
                }
            }
        }
    }
}

fn send(outbox: &Outbox, event: &Arc<Event>, history: Option<Vec<Line>>) {
    let _ = outbox.send(Delivery {
        event: event.clone(),
        history,
    });
}

/// A hub that may be gone (the relay's listener thread must not keep it alive).
pub struct WeakHub(std::sync::Weak<Mutex<Inner>>);

impl WeakHub {
    pub fn upgrade(&self) -> Option<Hub> {
        self.0.upgrade().map(|inner| Hub { inner })
    }

    pub fn alive(&self) -> bool {
        self.0.strong_count() > 0
    }
}

impl Hub {
    pub fn downgrade(&self) -> WeakHub {
        WeakHub(Arc::downgrade(&self.inner))
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        match self.inner.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// A citizen's connection to conversation `c`; returns what was said so far.
    pub fn join_citizen(&self, c: &str) -> (Subscription, Inbox, Vec<Line>) {
        let (tx, rx) = unbounded_channel();
        let mut inner = self.lock();
        inner.next += 1;
        let id = inner.next;
        let room = inner.rooms.entry(c.to_owned()).or_default();
        room.citizens.push((id, tx));
        let lines = room.lines.iter().cloned().collect();
        drop(inner);
        let subscription = Subscription {
            hub: self.clone(),
            id,
            kind: SubscriptionKind::Citizen(c.to_owned()),
        };
        (subscription, rx, lines)
    }

    /// An agent's connection at `desk`.
    pub fn join_agent(&self, agent: &str, desk: &str) -> (Subscription, Inbox) {
        let (tx, rx) = unbounded_channel();
        let mut inner = self.lock();
        inner.next += 1;
        let id = inner.next;
        inner
            .agents
            .entry(agent.to_owned())
            .or_default()
            .push(AgentConn {
                id,
                desk: desk.to_owned(),
                outbox: tx,
            });
        drop(inner);
        let subscription = Subscription {
            hub: self.clone(),
            id,
            kind: SubscriptionKind::Agent(agent.to_owned()),
        };
        (subscription, rx)
    }

    /// What was said so far in `c` (held in this instance's memory).
    pub fn history(&self, c: &str) -> Vec<Line> {
        self.lock()
            .rooms
            .get(c)
            .map(|room| room.lines.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// How many conversations this instance holds in memory (a gauge, and the tests'
    /// proof that a closed one is forgotten).
    pub fn rooms(&self) -> usize {
        self.lock().rooms.len()
    }

    /// Hands an event to the connections it concerns and keeps or forgets what was
    /// said.
    pub fn dispatch(&self, event: Event) {
        let event = Arc::new(event);
        let mut guard = self.lock();
        let inner = &mut *guard;
        match &*event {
            Event::Opened { c, desk } => {
                inner.rooms.entry(c.clone()).or_default().desk = Some(desk.clone());
            }
            Event::Said { c, line } => {
                let room = inner.rooms.entry(c.clone()).or_default();
                room.lines.push_back(line.clone());
                while room.lines.len() > domain::chat::TRANSCRIPT_MAX_MESSAGES {
                    room.lines.pop_front();
                }
                for (_, outbox) in &room.citizens {
                    send(outbox, &event, None);
                }
                if let Some(conns) = room.holder.as_ref().and_then(|h| inner.agents.get(h)) {
                    for conn in conns {
                        send(&conn.outbox, &event, None);
                    }
                }
            }
            Event::Assigned {
                c,
                desk,
                agent,
                from,
                ..
            } => {
                let room = inner.rooms.entry(c.clone()).or_default();
                room.desk = Some(desk.clone());
                room.holder = Some(agent.clone());
                for (_, outbox) in &room.citizens {
                    send(outbox, &event, None);
                }
                let history: Vec<Line> = room.lines.iter().cloned().collect();
                for conn in inner.agents.get(agent).into_iter().flatten() {
                    send(&conn.outbox, &event, Some(history.clone()));
                }
                for conn in from
                    .as_ref()
                    .and_then(|f| inner.agents.get(f))
                    .into_iter()
                    .flatten()
                {
                    send(&conn.outbox, &event, None);
                }
            }
            Event::Closed { c, .. } => {
                // Forget what was said: the room and its lines are dropped here.
                if let Some(room) = inner.rooms.remove(c) {
                    for (_, outbox) in &room.citizens {
                        send(outbox, &event, None);
                    }
                    if let Some(conns) = room.holder.as_ref().and_then(|h| inner.agents.get(h)) {
                        for conn in conns {
                            send(&conn.outbox, &event, None);
                        }
                    }
                }
            }
            Event::Queue { desk, .. } => {
                for conn in inner.agents.values().flatten() {
                    if &conn.desk == desk {
                        send(&conn.outbox, &event, None);
                    }
                }
                for room in inner.rooms.values() {
                    if room.holder.is_none() && room.desk.as_ref() == Some(desk) {
                        for (_, outbox) in &room.citizens {
                            send(outbox, &event, None);
                        }
                    }
                }
            }
            Event::Presence { agent, .. } => {
                for conn in inner.agents.get(agent).into_iter().flatten() {
                    send(&conn.outbox, &event, None);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(c: &str, text: &str) -> Event {
        Event::Said {
            c: c.into(),
            line: Line {
                id: "1".into(),
                from: Party::Citizen,
                text: Some(text.into()),
                guidance: None,
                at: Utc::now(),
                client_ref: None,
            },
        }
    }

    #[test]
    fn lines_reach_the_holder_and_are_forgotten_at_the_close() {
        let hub = Hub::default();
        let (_citizen, mut citizen_rx, _) = hub.join_citizen("c1");
        let (_agent, mut agent_rx) = hub.join_agent("a1", "desk");
        hub.dispatch(said("c1", "before"));
        assert!(agent_rx.try_recv().is_err());
        hub.dispatch(Event::Assigned {
            c: "c1".into(),
            desk: "desk".into(),
            agent: "a1".into(),
            topic: "question".into(),
            language: "fr".into(),
            from: None,
        });
        let assigned = agent_rx.try_recv().unwrap();
        assert_eq!(assigned.history.unwrap().len(), 1);
        hub.dispatch(said("c1", "after"));
        assert!(agent_rx.try_recv().is_ok());
        hub.dispatch(Event::Closed {
            c: "c1".into(),
            outcome: "answered".into(),
        });
        assert_eq!(hub.rooms(), 0);
        assert!(hub.history("c1").is_empty());
        let mut seen = 0;
        while citizen_rx.try_recv().is_ok() {
            seen += 1;
        }
        assert_eq!(seen, 4);
    }
}

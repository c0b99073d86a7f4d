//! The instance's side of the relay: what each conversation said so far (in memory
//! only, dropped when it closes) and who is connected here (the citizen's sockets and
//! streams, the agents' sockets). Every relay event reaches every instance's hub (through
//! PostgreSQL `NOTIFY`, or in the process on SQLite), which hands it to the connections
//! it concerns.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet, VecDeque};
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

/// A pre-filled draft an agent proposed, waiting for the citizen's answer. Held in
/// memory only, like what was said; it becomes a row only when the citizen accepts it
/// (their own draft filing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    pub id: String,
    /// The procedure's code.
    pub procedure: String,
    /// The pre-filled members of the draft (`place`, `facts_date`, `answers`, `facts`),
    /// at most `domain::chat::PROPOSAL_MAX_BYTES` of JSON.
    pub fields: serde_json::Value,
    /// The id the draft filing gets if accepted (so that it is created once even when
    /// accepted twice on two instances); never shown to the agent.
    pub draft: String,
    pub at: DateTime<Utc>,
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
    /// The holder proposed a pre-filled draft.
    Proposed { c: String, proposal: Proposal },
    /// The citizen accepted (their draft filing, with the proposal's `draft` id, exists) or
    /// declined a proposal;
    /// every instance forgets it.
    ProposalAnswered {
        c: String,
        proposal: String,
        accepted: bool,
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
    /// An instance's listener reconnected: every instance sends again what it published
    /// since `since` (PostgreSQL's relay only; no connection sees it).
    Resync { since: DateTime<Utc> },
}

/// How long an instance keeps what it published, to send it again to an instance whose
/// listener reconnected (`Event::Resync`), in seconds. A listener that stays away
/// longer misses what is older (its instance's sockets do; the database is right).
pub const REPLAY_WINDOW_SECS: i64 = 60;
/// At most this many published events are kept for a replay.
const REPLAY_MAX_EVENTS: usize = 100_000;
/// Events remembered as received (so that a copy sent again is handed on once).
const SEEN_MAX: usize = 200_000;

/// An event as it crosses PostgreSQL: its origin (the publishing instance), its number
/// there and when it was published. The pair (origin, number) identifies it: an event
/// received twice (sent again after a listener reconnected) is handed on once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub o: String,
    pub n: u64,
    pub t: DateTime<Utc>,
    pub e: Event,
}

/// The relay's memory of an instance: what it published in the last
/// `REPLAY_WINDOW_SECS` (what was said included, dropped at the conversation's close
/// like the rest), what it received, and which conversations closed lately.
#[derive(Default)]
struct Relayed {
    origin: String,
    next: u64,
    sent: VecDeque<Envelope>,
    seen: HashSet<(String, u64)>,
    seen_order: VecDeque<(String, u64)>,
    closed: HashMap<String, DateTime<Utc>>,
}

impl Relayed {
    fn prune(&mut self, now: DateTime<Utc>) {
        let oldest = now - chrono::Duration::seconds(REPLAY_WINDOW_SECS);
        while self
            .sent
            .front()
            .is_some_and(|e| e.t < oldest || self.sent.len() > REPLAY_MAX_EVENTS)
        {
            self.sent.pop_front();
        }
        // A conversation closed lately: a late copy of one of its events is ignored.
        let forgotten = now - chrono::Duration::seconds(5 * REPLAY_WINDOW_SECS);
        self.closed.retain(|_, at| *at > forgotten);
    }

    /// Whether `envelope` is new (and remembers it).
    fn first_time(&mut self, envelope: &Envelope) -> bool {
        let key = (envelope.o.clone(), envelope.n);
        if !self.seen.insert(key.clone()) {
            return false;
        }
        self.seen_order.push_back(key);
        while self.seen_order.len() > SEEN_MAX {
            if let Some(old) = self.seen_order.pop_front() {
                self.seen.remove(&old);
            }
        }
        true
    }
}

impl Event {
    /// The conversation it is about, if any.
    pub fn conversation(&self) -> Option<&str> {
        match self {
            Event::Opened { c, .. }
            | Event::Said { c, .. }
            | Event::Assigned { c, .. }
            | Event::Proposed { c, .. }
            | Event::ProposalAnswered { c, .. }
            | Event::Closed { c, .. } => Some(c),
            Event::Queue { .. } | Event::Presence { .. } | Event::Resync { .. } => None,
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
    proposals: VecDeque<Proposal>,
    citizens: Vec<(u64, Outbox)>,
}

impl Room {
    /// Sends the event to the citizen's connections and the holder's.
    fn to_everyone(&self, agents: &HashMap<String, Vec<AgentConn>>, event: &Arc<Event>) {
        for (_, outbox) in &self.citizens {
            send(outbox, event, None);
        }
        if let Some(conns) = self.holder.as_ref().and_then(|h| agents.get(h)) {
            for conn in conns {
                send(&conn.outbox, event, None);
            }
        }
    }
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
    relayed: Relayed,
    latency: Option<prometheus::Histogram>,
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

    /// Observes the relay's latency (publication to hand-on) in `histogram`.
    pub fn observe_latency(&self, histogram: prometheus::Histogram) {
        self.lock().latency = Some(histogram);
    }

    /// This instance's name on the relay.
    pub fn origin(&self) -> String {
        let mut inner = self.lock();
        if inner.relayed.origin.is_empty() {
            inner.relayed.origin = uuid::Uuid::new_v4().simple().to_string();
        }
        inner.relayed.origin.clone()
    }

    /// The events as this instance publishes them on PostgreSQL: numbered, stamped, and
    /// kept for `REPLAY_WINDOW_SECS` to be sent again (`Resync` excepted).
    pub fn stamp(&self, events: Vec<Event>) -> Vec<Envelope> {
        let origin = self.origin();
        let now = Utc::now();
        let mut inner = self.lock();
        let relayed = &mut inner.relayed;
        relayed.prune(now);
        let mut out = Vec::with_capacity(events.len());
        for e in events {
            relayed.next += 1;
            let envelope = Envelope {
                o: origin.clone(),
                n: relayed.next,
                t: now,
                e,
            };
            if !matches!(envelope.e, Event::Resync { .. }) {
                relayed.sent.push_back(envelope.clone());
            }
            out.push(envelope);
        }
        out
    }

    /// What this instance published since `since` (kept `REPLAY_WINDOW_SECS`).
    pub fn published_since(&self, since: DateTime<Utc>) -> Vec<Envelope> {
        let mut inner = self.lock();
        inner.relayed.prune(Utc::now());
        inner
            .relayed
            .sent
            .iter()
            .filter(|e| e.t >= since)
            .cloned()
            .collect()
    }

    /// Hands on an event received from PostgreSQL's relay, once: a copy sent again is
    /// ignored, and so is a late event of a conversation that closed (never brought
    /// back to memory).
    pub fn receive(&self, envelope: Envelope) {
        {
            let mut inner = self.lock();
            let relayed = &mut inner.relayed;
            if !relayed.first_time(&envelope) {
                return;
            }
            if let Some(histogram) = &inner.latency {
                let elapsed = (Utc::now() - envelope.t).num_microseconds().unwrap_or(0);
                #[allow(clippy::cast_precision_loss)]
                histogram.observe(elapsed.max(0) as f64 / 1e6);
            }
            let relayed = &mut inner.relayed;
            if let Some(c) = envelope.e.conversation() {
                if relayed.closed.contains_key(c) {
                    return;
                }
                if let Event::Closed { .. } = &envelope.e {
                    relayed.closed.insert(c.to_owned(), Utc::now());
                    // Forget what was said here too; the close itself stays replayable.
                    relayed.sent.retain(|s| {
                        s.e.conversation() != Some(c) || matches!(s.e, Event::Closed { .. })
                    });
                }
            }
        }
        self.dispatch(envelope.e);
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

    /// The agent holding `c`, as this instance last heard (`None`: not heard of here).
    pub fn holder(&self, c: &str) -> Option<String> {
        self.lock()
            .rooms
            .get(c)
            .and_then(|room| room.holder.clone())
    }

    /// The proposal `id` of conversation `c` if it still waits for an answer.
    pub fn proposal(&self, c: &str, id: &str) -> Option<Proposal> {
        self.lock()
            .rooms
            .get(c)
            .and_then(|room| room.proposals.iter().find(|p| p.id == id).cloned())
    }

    /// The proposals of `c` waiting for an answer, oldest first.
    pub fn proposals(&self, c: &str) -> Vec<Proposal> {
        self.lock()
            .rooms
            .get(c)
            .map(|room| room.proposals.iter().cloned().collect())
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
                room.to_everyone(&inner.agents, &event);
            }
            Event::Proposed { c, proposal } => {
                let room = inner.rooms.entry(c.clone()).or_default();
                room.proposals.push_back(proposal.clone());
                while room.proposals.len() > domain::chat::PROPOSALS_PENDING_MAX {
                    room.proposals.pop_front();
                }
                room.to_everyone(&inner.agents, &event);
            }
            Event::ProposalAnswered { c, proposal, .. } => {
                if let Some(room) = inner.rooms.get_mut(c) {
                    room.proposals.retain(|p| &p.id != proposal);
                    room.to_everyone(&inner.agents, &event);
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
                    room.to_everyone(&inner.agents, &event);
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
            Event::Resync { .. } => {}
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

//! The connections' loops: a citizen's WebSocket, an agent's WebSocket, and the
//! citizen's HTTP fallback stream (Server-Sent Events). Each registers with this
//! instance's hub, sends a `welcome`, then turns deliveries into frames and (on
//! sockets) frames into use cases. A frame that cannot be read is answered with an
//! `error` frame and nothing else happens; a socket ends when its client leaves, when
//! its conversation closes (citizen) or when the service stops.
//!
//! Nothing here logs what is said.

use crate::app::chat::{self as usecase, AgentWords, Closer};
use crate::chat::hub::{Delivery, Event, Inbox, Line, Party, Subscription};
use crate::chat::protocol::{self, AgentFrame, CitizenFrame, Reader};
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::web::{self, Bytes};
use actix_ws::{Message, MessageStream, Session};
use domain::chat::ChatOutcome;
use domain::i18n::Lang;
use domain::policy::OfficerActor;
use persistence::chat::StoredConversation;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The idle clock of a conversation is restarted at most this often per connection.
const TOUCH_EVERY: Duration = Duration::from_secs(5);

async fn send(session: &mut Session, frame: &Value) -> bool {
    session.text(frame.to_string()).await.is_ok()
}

fn heartbeat(state: &AppState) -> actix_web::rt::time::Interval {
    let every = Duration::from_secs(state.chat.settings.heartbeat_secs.max(1));
    actix_web::rt::time::interval_at(actix_web::rt::time::Instant::now() + every, every)
}

/// What a socket received that is not a text frame to act on.
enum Incoming {
    Text(String),
    Bad(ApiError),
    Nothing,
    End,
}

async fn incoming(
    session: &mut Session,
    msg: Option<Result<Message, actix_ws::ProtocolError>>,
) -> Incoming {
    match msg {
        Some(Ok(Message::Text(text))) => Incoming::Text(text.to_string()),
        Some(Ok(Message::Binary(_))) => Incoming::Bad(ApiError::ChatMalformedFrame(
            "binary frames are not part of the protocol".into(),
        )),
        Some(Ok(Message::Ping(bytes))) => {
            let _ = session.pong(&bytes).await;
            Incoming::Nothing
        }
        Some(Ok(Message::Close(_))) | None | Some(Err(_)) => Incoming::End,
        Some(Ok(_)) => Incoming::Nothing,
    }
}

fn citizen_reader<'a>(state: &'a AppState, conversation: &StoredConversation) -> Reader<'a> {
    Reader {
        catalogue: &state.catalogue,
        lang: conversation.language,
        country: conversation.country.parse().ok(),
        party: Party::Citizen,
    }
}

/// The citizen's `welcome`: the conversation, its status, the place in the queue while
/// waiting, the notice, and what was said so far.
pub async fn citizen_welcome(
    state: &web::Data<AppState>,
    conversation: &StoredConversation,
    history: &[Line],
) -> Value {
    let reader = citizen_reader(state, conversation);
    let place = usecase::place(state, conversation.id.clone())
        .await
        .ok()
        .flatten();
    let lines: Vec<Value> = history
        .iter()
        .map(|l| protocol::message_frame(reader, &conversation.id, l))
        .collect();
    let proposals: Vec<Value> = state
        .chat
        .hub
        .proposals(&conversation.id)
        .iter()
        .map(|p| protocol::proposal_frame(reader, &conversation.id, p))
        .collect();
    json!({
        "type": "welcome",
        "conversation": conversation.id,
        "status": if place.is_some() { "waiting" } else { "active" },
        "language": conversation.language.as_str(),
        "position": place.map(|p| p.position),
        "estimated_wait_secs": place.map(|p| p.estimated_wait_secs),
        "notice": super::notice(state, conversation.language, conversation.country.parse().ok()),
        "history": lines,
        "proposals": proposals,
    })
}

/// The frames a delivery becomes for the citizen (the queue event becomes their new
/// place, read now).
async fn citizen_frames(
    state: &web::Data<AppState>,
    conversation: &StoredConversation,
    delivery: &Delivery,
) -> Vec<Value> {
    if let Event::Queue { .. } = &*delivery.event {
        return match usecase::place(state, conversation.id.clone()).await {
            Ok(Some(place)) => vec![json!({
                "type": "queue",
                "position": place.position,
                "estimated_wait_secs": place.estimated_wait_secs,
            })],
            _ => Vec::new(),
        };
    }
    protocol::delivery_frames(citizen_reader(state, conversation), None, delivery)
}

/// Acts on a citizen's frame; an error is the frame to send back.
pub async fn citizen_act(
    state: &web::Data<AppState>,
    conversation: &StoredConversation,
    text: &str,
    last_touch: &mut Instant,
) -> Result<(), ApiError> {
    let frame: CitizenFrame = protocol::parse(text)?;
    frame.check()?;
    match frame {
        CitizenFrame::Message { text, client_ref } => {
            usecase::citizen_say(state, &conversation.id, &text, client_ref).await?;
            if last_touch.elapsed() >= TOUCH_EVERY {
                *last_touch = Instant::now();
                state.chat.touch(&conversation.id);
            }
            Ok(())
        }
        CitizenFrame::DeclineProposal { proposal } => {
            usecase::decline(state, conversation, &proposal).await
        }
        CitizenFrame::Leave => {
            usecase::close(
                state,
                Closer::Citizen,
                &conversation.id,
                ChatOutcome::CitizenLeft,
            )
            .await
        }
    }
}

/// What a socket's loop does next.
enum Flow {
    Go,
    /// End the socket with a close frame.
    Close,
    /// The client is gone.
    Gone,
}

fn go(sent: bool) -> Flow {
    if sent {
        Flow::Go
    } else {
        Flow::Gone
    }
}

/// A citizen's frame (or a bad one) acted on; an error becomes an `error` frame.
async fn citizen_incoming(
    state: &web::Data<AppState>,
    conversation: &StoredConversation,
    session: &mut Session,
    received: Incoming,
    last_touch: &mut Instant,
) -> Flow {
    let failed = match received {
        Incoming::Text(text) => citizen_act(state, conversation, &text, last_touch)
            .await
            .err(),
        Incoming::Bad(e) => Some(e),
        Incoming::Nothing => None,
        Incoming::End => return Flow::Close,
    };
    match failed {
        Some(e) => {
            let frame = protocol::error_frame(&e, conversation.language, Some(&conversation.id));
            go(send(session, &frame).await)
        }
        None => Flow::Go,
    }
}

/// A delivery sent to the citizen; the conversation's close ends the socket.
async fn citizen_delivery(
    state: &web::Data<AppState>,
    conversation: &StoredConversation,
    session: &mut Session,
    delivery: Option<Delivery>,
) -> Flow {
    let Some(delivery) = delivery else {
        return Flow::Close;
    };
    for frame in citizen_frames(state, conversation, &delivery).await {
        if !send(session, &frame).await {
            return Flow::Gone;
        }
    }
    match &*delivery.event {
        Event::Closed { .. } => Flow::Close,
        _ => Flow::Go,
    }
}

/// A citizen's socket, until they leave or the conversation closes.
pub async fn citizen_socket(
    state: web::Data<AppState>,
    conversation: StoredConversation,
    mut session: Session,
    mut stream: MessageStream,
) {
    let (_subscription, mut inbox, history) = state.chat.hub.join_citizen(&conversation.id);
    let welcome = citizen_welcome(&state, &conversation, &history).await;
    if !send(&mut session, &welcome).await {
        return;
    }
    let mut beat = heartbeat(&state);
    let mut last_touch = Instant::now() - TOUCH_EVERY;
    loop {
        let flow = tokio::select! {
            msg = stream.recv() => {
                let received = incoming(&mut session, msg).await;
                citizen_incoming(&state, &conversation, &mut session, received, &mut last_touch).await
            }
            delivery = inbox.recv() => citizen_delivery(&state, &conversation, &mut session, delivery).await,
            _ = beat.tick() => go(session.ping(b"").await.is_ok()),
        };
        match flow {
            Flow::Go => {}
            Flow::Close => break,
            Flow::Gone => return,
        }
    }
    let _ = session.close(None).await;
}

/// The frames a delivery becomes for one connection of the HTTP fallback.
pub type Frames = std::pin::Pin<Box<dyn std::future::Future<Output = Vec<Value>>>>;

/// A connection of the HTTP fallback, once registered with the hub: its registration,
/// its inbox and its first frame (`welcome`).
pub type Joined = (Subscription, Inbox, Value);

/// An HTTP fallback's event stream (Server-Sent Events): `join` registers with the hub
/// (at the first poll) and gives the `welcome`; then each delivery becomes the frames
/// `deliver` makes, each `event: <type>` with `data: <frame>`; `: heartbeat` comments
/// while idle. It ends after `chat.stream_max_secs` (the client reconnects), and after
/// a `closed` frame when `ends_with_close` (the citizen's).
pub fn event_stream<J, D>(
    state: &web::Data<AppState>,
    join: J,
    deliver: D,
    ends_with_close: bool,
) -> impl futures_util::Stream<Item = Result<Bytes, std::convert::Infallible>>
where
    J: std::future::Future<Output = Joined> + 'static,
    D: Fn(Delivery) -> Frames + 'static,
{
    struct Cursor<J, D> {
        join: Option<J>,
        deliver: D,
        joined: Option<(Subscription, Inbox)>,
        ready: std::collections::VecDeque<Value>,
        beat: Duration,
        ends_at: Instant,
        ends_with_close: bool,
        done: bool,
    }
    fn sse(frame: &Value) -> Bytes {
        let kind = frame["type"].as_str().unwrap_or("message");
        Bytes::from(format!("event: {kind}\ndata: {frame}\n\n"))
    }
    let settings = &state.chat.settings;
    let cursor = Cursor {
        join: Some(join),
        deliver,
        joined: None,
        ready: Default::default(),
        beat: Duration::from_secs(settings.heartbeat_secs.max(1)),
        ends_at: Instant::now() + Duration::from_secs(settings.stream_max_secs.max(1)),
        ends_with_close,
        done: false,
    };
    futures_util::stream::unfold(cursor, |mut cursor| async move {
        loop {
            if let Some(frame) = cursor.ready.pop_front() {
                return Some((Ok(sse(&frame)), cursor));
            }
            if cursor.done || Instant::now() >= cursor.ends_at {
                return None;
            }
            if let Some(join) = cursor.join.take() {
                let (subscription, inbox, welcome) = join.await;
                cursor.ready.push_back(welcome);
                cursor.joined = Some((subscription, inbox));
                return Some((Ok(Bytes::from_static(b"retry: 1000\n\n")), cursor));
            }
            let (_, inbox) = cursor.joined.as_mut()?;
            let wait = cursor
                .beat
                .min(cursor.ends_at.saturating_duration_since(Instant::now()));
            match actix_web::rt::time::timeout(wait, inbox.recv()).await {
                Ok(Some(delivery)) => {
                    let closes = matches!(&*delivery.event, Event::Closed { .. });
                    let frames = (cursor.deliver)(delivery).await;
                    cursor.ready.extend(frames);
                    cursor.done = closes && cursor.ends_with_close;
                }
                Ok(None) => return None,
                Err(_) => return Some((Ok(Bytes::from_static(b": heartbeat\n\n")), cursor)),
            }
        }
    })
}

/// The citizen's HTTP fallback stream: the same frames as the socket.
pub fn citizen_stream(
    state: web::Data<AppState>,
    conversation: StoredConversation,
) -> impl futures_util::Stream<Item = Result<Bytes, std::convert::Infallible>> {
    let (st, conv) = (state.clone(), conversation.clone());
    let join = async move {
        let (subscription, inbox, history) = st.chat.hub.join_citizen(&conv.id);
        let welcome = citizen_welcome(&st, &conv, &history).await;
        (subscription, inbox, welcome)
    };
    let st = state.clone();
    let deliver = move |delivery: Delivery| -> Frames {
        let (state, conversation) = (st.clone(), conversation.clone());
        Box::pin(async move { citizen_frames(&state, &conversation, &delivery).await })
    };
    event_stream(&state, join, deliver, true)
}

/// An agent's HTTP fallback stream: the same frames as the agent's socket.
pub fn agent_stream(
    state: web::Data<AppState>,
    agent: AgentContext,
) -> impl futures_util::Stream<Item = Result<Bytes, std::convert::Infallible>> {
    let agent = std::rc::Rc::new(agent);
    let (st, me) = (state.clone(), agent.clone());
    let join = async move {
        let (subscription, inbox) = st.chat.hub.join_agent(&me.officer.id, &me.desk);
        let welcome = match agent_welcome(&st, &me).await {
            Ok(frame) => frame,
            Err(e) => protocol::error_frame(&e, me.lang, None),
        };
        (subscription, inbox, welcome)
    };
    let st = state.clone();
    let deliver = move |delivery: Delivery| -> Frames {
        let reader = agent_reader(&st, agent.lang);
        let frames = protocol::delivery_frames(reader, Some(&agent.officer.id), &delivery);
        Box::pin(std::future::ready(frames))
    };
    event_stream(&state, join, deliver, false)
}

/// An agent's connection at a desk.
pub struct AgentContext {
    pub officer: OfficerActor,
    pub desk: String,
    pub lang: Lang,
}

fn agent_reader(state: &AppState, lang: Lang) -> Reader<'_> {
    Reader {
        catalogue: &state.catalogue,
        lang,
        country: None,
        party: Party::Agent,
    }
}

async fn agent_welcome(
    state: &web::Data<AppState>,
    agent: &AgentContext,
) -> Result<Value, ApiError> {
    let (me, held, waiting) =
        usecase::agent_state(state, agent.officer.id.clone(), agent.desk.clone()).await?;
    let reader = agent_reader(state, agent.lang);
    let conversations: Vec<Value> = held
        .iter()
        .map(|c| {
            let history: Vec<Value> = state
                .chat
                .hub
                .history(&c.id)
                .iter()
                .map(|l| protocol::message_frame(reader, &c.id, l))
                .collect();
            json!({"conversation": c.id, "topic": c.topic, "language": c.language.as_str(),
                   "opened_at": c.opened_at, "history": history})
        })
        .collect();
    Ok(json!({
        "type": "welcome",
        "agent": agent.officer.id,
        "desk": agent.desk,
        "status": me.status,
        "languages": me.languages.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
        "max_conversations": state.chat.settings.max_per_agent,
        "conversations": conversations,
        "waiting": waiting,
    }))
}

fn languages(raw: &[String]) -> Result<Vec<Lang>, ApiError> {
    raw.iter()
        .map(|l| {
            l.parse::<Lang>().map_err(|_| {
                ApiError::ChatMalformedFrame(format!("`set_status`: unknown language `{l}`"))
            })
        })
        .collect()
}

/// Acts on an agent's frame; returns a frame to send back, if any.
async fn agent_act(
    state: &web::Data<AppState>,
    agent: &AgentContext,
    frame: AgentFrame,
) -> Result<Option<Value>, ApiError> {
    let officer = &agent.officer;
    match frame {
        AgentFrame::SetStatus {
            status,
            languages: raw,
        } => {
            usecase::set_presence(state, officer, &agent.desk, status, languages(&raw)?).await?;
        }
        AgentFrame::TakeNext => {
            usecase::take_next(state, officer, &agent.desk).await?;
        }
        AgentFrame::ListAgents => {
            let agents: Vec<Value> = usecase::agents(state, agent.desk.clone())
                .await?
                .into_iter()
                .map(|(a, held)| {
                    json!({"agent": a.agent_id, "status": a.status, "conversations": held,
                           "languages": a.languages.iter().map(|l| l.as_str()).collect::<Vec<_>>()})
                })
                .collect();
            return Ok(Some(json!({"type": "agents", "agents": agents})));
        }
        AgentFrame::Message {
            conversation,
            text,
            client_ref,
        } => {
            usecase::agent_say(
                state,
                officer,
                &conversation,
                AgentWords::Text(text),
                client_ref,
            )
            .await?;
        }
        AgentFrame::QuickReply {
            conversation,
            guidance,
            client_ref,
        } => {
            let words = AgentWords::QuickReply(guidance);
            usecase::agent_say(state, officer, &conversation, words, client_ref).await?;
        }
        AgentFrame::Transfer { conversation, to } => {
            usecase::transfer(state, officer, &agent.desk, &conversation, &to).await?;
        }
        AgentFrame::Close {
            conversation,
            outcome,
        } => {
            let closer = Closer::Agent(officer.clone(), agent.desk.clone());
            usecase::close(state, closer, &conversation, outcome).await?;
        }
        AgentFrame::ProposeDraft {
            conversation,
            procedure,
            fields,
        } => {
            super::proposal_changes(&fields)?;
            let proposal = (procedure, fields);
            usecase::propose(state, officer, &agent.desk, &conversation, proposal).await?;
        }
    }
    Ok(None)
}

fn frame_conversation(text: &str) -> Option<String> {
    serde_json::from_str::<Value>(text)
        .ok()?
        .get("conversation")?
        .as_str()
        .map(str::to_owned)
}

/// Reads and acts on an agent's frame (the socket's, or one posted over HTTP); returns
/// a frame to send back, if any.
pub async fn agent_frame(
    state: &web::Data<AppState>,
    agent: &AgentContext,
    text: &str,
) -> Result<Option<Value>, ApiError> {
    let frame = protocol::parse::<AgentFrame>(text)?;
    frame.check()?;
    agent_act(state, agent, frame).await
}

/// An agent's frame (or a bad one) acted on; the reply or the error is sent back.
async fn agent_incoming(
    state: &web::Data<AppState>,
    agent: &AgentContext,
    session: &mut Session,
    received: Incoming,
) -> Flow {
    let outcome = match received {
        Incoming::Text(text) => agent_frame(state, agent, &text)
            .await
            .map_err(|e| (e, frame_conversation(&text))),
        Incoming::Bad(e) => Err((e, None)),
        Incoming::Nothing => Ok(None),
        Incoming::End => return Flow::Close,
    };
    let reply = match outcome {
        Ok(reply) => reply,
        Err((e, conversation)) => Some(protocol::error_frame(
            &e,
            agent.lang,
            conversation.as_deref(),
        )),
    };
    match reply {
        Some(frame) => go(send(session, &frame).await),
        None => Flow::Go,
    }
}

/// A delivery sent to the agent.
async fn agent_delivery(
    state: &web::Data<AppState>,
    agent: &AgentContext,
    session: &mut Session,
    delivery: Option<Delivery>,
) -> Flow {
    let Some(delivery) = delivery else {
        return Flow::Close;
    };
    let reader = agent_reader(state, agent.lang);
    for frame in protocol::delivery_frames(reader, Some(&agent.officer.id), &delivery) {
        if !send(session, &frame).await {
            return Flow::Gone;
        }
    }
    Flow::Go
}

/// An agent's socket, until they leave or the service stops.
pub async fn agent_socket(
    state: web::Data<AppState>,
    agent: AgentContext,
    mut session: Session,
    mut stream: MessageStream,
) {
    let (_subscription, mut inbox) = state.chat.hub.join_agent(&agent.officer.id, &agent.desk);
    let welcome = match agent_welcome(&state, &agent).await {
        Ok(frame) => frame,
        Err(e) => protocol::error_frame(&e, agent.lang, None),
    };
    if !send(&mut session, &welcome).await {
        return;
    }
    let mut beat = heartbeat(&state);
    loop {
        let flow = tokio::select! {
            msg = stream.recv() => {
                let received = incoming(&mut session, msg).await;
                agent_incoming(&state, &agent, &mut session, received).await
            }
            delivery = inbox.recv() => agent_delivery(&state, &agent, &mut session, delivery).await,
            _ = beat.tick() => go(session.ping(b"").await.is_ok()),
        };
        match flow {
            Flow::Go => {}
            Flow::Close => break,
            Flow::Gone => return,
        }
    }
    let _ = session.close(None).await;
}

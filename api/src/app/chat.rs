//! The chat's use cases (docs/CHAT.md): opening a conversation (a citizen's account or
//! an anonymous device), the desk's agents (presence, taking the next conversation,
//! transferring, closing), what is said (checked, then relayed, never stored), and the
//! idle closing loop. Each writes only metadata; opening, taking, transferring and
//! closing are audited (EU Directive 2016/680 Art. 25), never what was said.

use super::backoffice::record_in;
use super::with_db;
use crate::chat::hub::{Event, Line, Party, Proposal};
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::web;
use chrono::{DateTime, Duration, Utc};
use domain::audit::{Actor, ActorRole, AuditEvent, AuditOperation};
use domain::catalogue::Country;
use domain::chat::{self as rules, AgentStatus, ChatError, ChatOutcome, ChatStatus, ChatTopic};
use domain::i18n::Lang;
use domain::policy::{CitizenActor, OfficerActor};
use persistence::chat::{self as repo, NewConversation, StoredAgent, StoredConversation};
use persistence::DbConnection;
use sha2::{Digest, Sha256};

/// PostgreSQL refuses a `NOTIFY` payload of 8000 bytes or more.
const PAYLOAD_MAX_BYTES: usize = 7999;

/// Sends the events to every instance (this one included), in order.
///
/// # Errors
/// `chat_bad_message` when an event is too large for a payload; the database.
pub async fn publish(state: &web::Data<AppState>, events: Vec<Event>) -> Result<(), ApiError> {
    if events.is_empty() {
        return Ok(());
    }
    if !state.chat.postgres {
        for event in events {
            state.chat.hub.dispatch(event);
        }
        return Ok(());
    }
    let mut payloads: Vec<String> = Vec::with_capacity(events.len());
    for event in &state.chat.hub.stamp(events) {
        let payload =
            serde_json::to_string(event).map_err(|e| ApiError::Internal(e.to_string()))?;
        if payload.len() > PAYLOAD_MAX_BYTES {
            return Err(domain::chat::ChatError::BadMessage.into());
        }
        payloads.push(payload);
    }
    if let Some(publisher) = state.chat.publisher.get() {
        let (done, sent) = tokio::sync::oneshot::channel();
        match publisher.send((payloads, done)) {
            Ok(()) => {
                return sent
                    .await
                    .map_err(|_| ApiError::Internal("the chat publisher stopped".into()))?
                    .map_err(ApiError::Internal);
            }
            // The publisher is gone: send them alone.
            Err(tokio::sync::mpsc::error::SendError((back, _))) => payloads = back,
        }
    }
    with_db(state, move |conn| {
        Ok(persistence::chat::notify(conn, &payloads)?)
    })
    .await
}

/// The most publications one transaction of the publisher carries.
const PUBLISH_BATCH_MAX: usize = 512;

/// On PostgreSQL, starts this instance's publisher: what the requests publish while a
/// transaction of `NOTIFY`s is under way goes out together in the next one (one round
/// trip and one commit for them all, in the order published), one transaction at a
/// time. Each publication learns whether its transaction committed.
pub fn spawn_publisher(state: web::Data<AppState>) {
    if !state.chat.postgres {
        return;
    }
    let (queue, mut publications) = tokio::sync::mpsc::unbounded_channel();
    if state.chat.publisher.set(queue).is_err() {
        return;
    }
    actix_web::rt::spawn(async move {
        while let Some(first) = publications.recv().await {
            let mut batch = vec![first];
            while batch.len() < PUBLISH_BATCH_MAX {
                match publications.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            let (payloads, waiting): (Vec<Vec<String>>, Vec<_>) = batch.into_iter().unzip();
            let payloads = payloads.concat();
            let sent = with_db(&state, move |conn| {
                Ok(persistence::chat::notify(conn, &payloads)?)
            })
            .await
            .map_err(|e| e.to_string());
            for done in waiting {
                let _ = done.send(sent.clone());
            }
        }
    });
}

/// Who opens a conversation.
pub enum Opener {
    Citizen(CitizenActor),
    /// An anonymous citizen's app, by the SHA-256 (hex) of its device token.
    Device(String),
}

impl Opener {
    fn audit_actor(&self) -> Actor {
        match self {
            Opener::Citizen(citizen) => citizen.audit_actor(),
            Opener::Device(hash) => Actor {
                id: format!("device:{}", &hash[..16.min(hash.len())]),
                role: ActorRole::Citizen,
                unit: None,
                client_id: None,
            },
        }
    }
}

/// Where a citizen stands in the queue.
#[derive(Debug, Clone, Copy)]
pub struct QueuePlace {
    pub position: u64,
    pub estimated_wait_secs: u64,
}

/// What opening answers.
pub enum Opening {
    Opened {
        conversation: Box<StoredConversation>,
        /// The secret that lets the citizen's connections in (shown once).
        token: String,
        place: QueuePlace,
    },
    /// The desk is closed now.
    OutsideHours { next_opening: Option<DateTime<Utc>> },
}

/// The SHA-256 of a secret, in hex.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn new_token() -> Result<String, ApiError> {
    use base64::Engine;
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

fn chat_error(e: ChatError) -> ApiError {
    ApiError::Chat(e)
}

/// Opens a conversation at the desk answering `country`: in its hours, a waiting
/// conversation with its token and place in the queue; outside them, the next opening.
/// Audited (`open_chat`, a collection; the recipient is the desk). Errors:
/// `chat_not_offered` (no desk for the country).
pub async fn open(
    state: &web::Data<AppState>,
    opener: Opener,
    (topic, language, country): (ChatTopic, Lang, Country),
    request_id: Option<String>,
) -> Result<Opening, ApiError> {
    let desk = state
        .chat
        .desk_for(country)
        .ok_or(ApiError::ChatNotOffered)?
        .clone();
    let now = super::now();
    if !desk.hours.is_open(now) {
        return Ok(Opening::OutsideHours {
            next_opening: desk.hours.next_opening(now),
        });
    }
    let token = new_token()?;
    let token_hash = digest(&token);
    let id = uuid::Uuid::now_v7().to_string();
    let average = state.chat.settings.average_handle_secs;
    let unit = desk.unit.clone();
    let (conversation, place, waiting) = with_db(state, move |conn| {
        conn.write_transaction(|c| {
            let citizen_id = match &opener {
                Opener::Citizen(citizen) => Some(citizen.id.as_str()),
                Opener::Device(_) => None,
            };
            repo::insert(
                c,
                &NewConversation {
                    id: &id,
                    desk: &unit,
                    country: country.as_str(),
                    topic,
                    language,
                    token_hash: &token_hash,
                    citizen_id,
                    now,
                },
            )?;
            let mut event = AuditEvent::new(
                opener.audit_actor(),
                AuditOperation::Collection,
                "chat_conversation",
                Some(&id),
                now,
            )
            .with_action("open_chat");
            event.recipient = Some(unit.clone());
            event.request_id = request_id;
            persistence::audit::append(c, &event)?;
            let conversation = repo::find(c, &id, false)?
                .ok_or_else(|| ApiError::Internal("conversation lost".into()))?;
            let place = place_in(c, &conversation, average)?;
            let waiting = repo::waiting(c, &unit, false, 10_000)?.len() as u64;
            Ok::<_, ApiError>((conversation, place, waiting))
        })
    })
    .await?;
    publish(
        state,
        vec![
            Event::Opened {
                c: conversation.id.clone(),
                desk: desk.unit.clone(),
            },
            Event::Queue {
                desk: desk.unit,
                waiting,
            },
        ],
    )
    .await?;
    Ok(Opening::Opened {
        conversation: Box::new(conversation),
        token,
        place,
    })
}

fn place_in(
    c: &mut DbConnection,
    conversation: &StoredConversation,
    average: u64,
) -> Result<QueuePlace, ApiError> {
    let position = repo::waiting_before(c, &conversation.desk, conversation.opened_at)? + 1;
    let agents = repo::available_agents(c, &conversation.desk)?;
    Ok(QueuePlace {
        position,
        estimated_wait_secs: rules::estimated_wait_secs(position, agents, average),
    })
}

/// The citizen's place in the queue now (`None` once an agent holds it).
pub async fn place(
    state: &web::Data<AppState>,
    id: String,
) -> Result<Option<QueuePlace>, ApiError> {
    let average = state.chat.settings.average_handle_secs;
    with_db(state, move |conn| {
        let Some(conversation) = repo::find(conn, &id, false)? else {
            return Ok(None);
        };
        if conversation.status != ChatStatus::Waiting {
            return Ok(None);
        }
        place_in(conn, &conversation, average).map(Some)
    })
    .await
}

/// The open conversation `id` if `token` is its citizen's; else
/// `chat_conversation_not_found` (a closed one too: its token is erased).
pub async fn citizen_conversation(
    state: &web::Data<AppState>,
    id: String,
    token: String,
) -> Result<StoredConversation, ApiError> {
    let presented = digest(&token);
    with_db(state, move |conn| {
        repo::find(conn, &id, false)?
            .filter(|c| c.status.is_open())
            .filter(|c| {
                c.token_hash.as_deref().is_some_and(|stored| {
                    // Constant time over the two digests.
                    stored.len() == presented.len()
                        && stored
                            .bytes()
                            .zip(presented.bytes())
                            .fold(0_u8, |acc, (a, b)| acc | (a ^ b))
                            == 0
                })
            })
            .ok_or(ApiError::ChatConversationNotFound(id))
    })
    .await
}

/// A line said now by `from`.
fn line(
    from: Party,
    text: Option<String>,
    guidance: Option<String>,
    client_ref: Option<String>,
) -> Line {
    Line {
        id: uuid::Uuid::now_v7().to_string(),
        from,
        text,
        guidance,
        at: Utc::now(),
        client_ref,
    }
}

/// The citizen says `text` in conversation `id` (already authorised): checked, then
/// relayed. Errors: `chat_bad_message`.
pub async fn citizen_say(
    state: &web::Data<AppState>,
    id: &str,
    text: &str,
    client_ref: Option<String>,
) -> Result<(), ApiError> {
    let text = rules::check_message(text).map_err(chat_error)?;
    let said = line(Party::Citizen, Some(text.to_owned()), None, client_ref);
    publish(
        state,
        vec![Event::Said {
            c: id.to_owned(),
            line: said,
        }],
    )
    .await
}

/// Writes the idle clock of the conversations touched since the last round
/// (`Chat::touch`), in one transaction.
async fn flush_touches(state: &web::Data<AppState>) -> Result<(), ApiError> {
    let touched = state.chat.take_touched();
    if touched.is_empty() {
        return Ok(());
    }
    with_db(state, move |conn| {
        conn.write_transaction(|c| {
            let now = super::now();
            for id in &touched {
                repo::touch(c, id, now)?;
            }
            Ok::<_, ApiError>(())
        })
    })
    .await
}

fn officer_event(
    officer: &OfficerActor,
    desk: &str,
    operation: AuditOperation,
    id: &str,
    action: &str,
) -> AuditEvent {
    AuditEvent::new(
        officer.audit_actor(Some(desk)),
        operation,
        "chat_conversation",
        Some(id),
        super::now(),
    )
    .with_action(action)
}

/// Sets the agent available or away at the desk, with the languages they take.
pub async fn set_presence(
    state: &web::Data<AppState>,
    officer: &OfficerActor,
    desk: &str,
    status: AgentStatus,
    languages: Vec<Lang>,
) -> Result<StoredAgent, ApiError> {
    let agent = StoredAgent {
        agent_id: officer.id.clone(),
        status,
        languages,
    };
    let (stored, unit) = (agent.clone(), desk.to_owned());
    with_db(state, move |conn| {
        Ok(repo::set_agent(conn, &unit, &stored, super::now())?)
    })
    .await?;
    publish(
        state,
        vec![Event::Presence {
            desk: desk.to_owned(),
            agent: officer.id.clone(),
            status: status.as_str().to_owned(),
        }],
    )
    .await?;
    Ok(agent)
}

/// The agent's presence, the conversations they hold and the desk's queue length.
pub async fn agent_state(
    state: &web::Data<AppState>,
    agent: String,
    desk: String,
) -> Result<(StoredAgent, Vec<StoredConversation>, u64), ApiError> {
    with_db(state, move |conn| {
        let me = repo::agent(conn, &desk, &agent)?;
        let held = repo::held_by(conn, &agent)?;
        let waiting = repo::waiting(conn, &desk, false, 10_000)?.len() as u64;
        Ok((me, held, waiting))
    })
    .await
}

/// The desk's agents with their presence.
pub async fn agents(
    state: &web::Data<AppState>,
    desk: String,
) -> Result<Vec<(StoredAgent, u64)>, ApiError> {
    with_db(state, move |conn| {
        let mut out = Vec::new();
        for agent in repo::agents(conn, &desk)? {
            let held = repo::held_count(conn, &agent.agent_id)?;
            out.push((agent, held));
        }
        Ok(out)
    })
    .await
}

/// The agent takes the next conversation of the desk's queue: the oldest in one of
/// their languages, else the oldest. Audited (`take_chat`). Errors: `chat_agent_away`,
/// `chat_agent_at_capacity`, `chat_queue_empty`.
pub async fn take_next(
    state: &web::Data<AppState>,
    officer: &OfficerActor,
    desk: &str,
) -> Result<StoredConversation, ApiError> {
    let max = u64::from(state.chat.settings.max_per_agent);
    let (officer_c, unit, st) = (officer.clone(), desk.to_owned(), state.clone());
    let (taken, waiting) = with_db(state, move |conn| {
        conn.write_transaction(|c| {
            let me = repo::agent(c, &unit, &officer_c.id)?;
            let held = repo::held_count(c, &officer_c.id)?;
            rules::may_take(me.status, held, max).map_err(chat_error)?;
            let queue = repo::waiting(c, &unit, true, 200)?;
            let next = rules::pick_next(&queue, &me.languages)
                .ok_or(chat_error(ChatError::QueueEmpty))?
                .id
                .clone();
            let now = super::now();
            repo::assign(c, &next, &officer_c.id, now, false)?;
            let event = officer_event(
                &officer_c,
                &unit,
                AuditOperation::Consultation,
                &next,
                "take_chat",
            );
            record_in(c, &event, officer_c.name.as_deref())?;
            let taken = repo::find(c, &next, false)?
                .ok_or_else(|| ApiError::Internal("conversation lost".into()))?;
            let waited = (now - taken.opened_at).num_milliseconds().max(0);
            #[allow(clippy::cast_precision_loss)]
            st.metrics.chat.wait.observe(waited as f64 / 1000.0);
            Ok::<_, ApiError>((taken, queue.len() as u64 - 1))
        })
    })
    .await?;
    publish(
        state,
        vec![
            Event::Assigned {
                c: taken.id.clone(),
                desk: desk.to_owned(),
                agent: officer.id.clone(),
                topic: taken.topic.as_str().to_owned(),
                language: taken.language.as_str().to_owned(),
                from: None,
            },
            Event::Queue {
                desk: desk.to_owned(),
                waiting,
            },
        ],
    )
    .await?;
    Ok(taken)
}

/// The conversation `id` if the officer holds it (locked); else `chat_not_holder`
/// (`chat_closed` when it is over).
fn held(c: &mut DbConnection, agent: &str, id: &str) -> Result<StoredConversation, ApiError> {
    let conversation = repo::find(c, id, true)?
        .ok_or_else(|| ApiError::ChatConversationNotFound(id.to_owned()))?;
    if conversation.status == ChatStatus::Closed {
        return Err(chat_error(ChatError::Closed));
    }
    if conversation.agent_id.as_deref() != Some(agent) {
        return Err(chat_error(ChatError::NotHolder));
    }
    Ok(conversation)
}

/// What an agent says: a text, or a quick reply (a guidance link's code).
pub enum AgentWords {
    Text(String),
    QuickReply(String),
}

/// The agent says something in a conversation they hold. Errors: `chat_not_holder`,
/// `chat_closed`, `chat_bad_message`, `chat_unknown_guidance`.
pub async fn agent_say(
    state: &web::Data<AppState>,
    officer: &OfficerActor,
    id: &str,
    words: AgentWords,
    client_ref: Option<String>,
) -> Result<(), ApiError> {
    let said = match words {
        AgentWords::Text(text) => {
            let text = rules::check_message(&text).map_err(chat_error)?;
            line(Party::Agent, Some(text.to_owned()), None, client_ref)
        }
        AgentWords::QuickReply(code) => {
            if crate::chat::protocol::guidance_link(&state.catalogue, &code).is_none() {
                return Err(ApiError::ChatUnknownGuidance(code));
            }
            line(Party::Agent, None, Some(code), client_ref)
        }
    };
    // The holder as this instance heard it from the relay (the database when it heard
    // nothing: e.g. after a restart, or a closed conversation).
    if state.chat.hub.holder(id).as_deref() != Some(officer.id.as_str()) {
        let (agent, conversation) = (officer.id.clone(), id.to_owned());
        with_db(state, move |conn| {
            held(conn, &agent, &conversation).map(|_| ())
        })
        .await?;
    }
    state.chat.touch(id);
    publish(
        state,
        vec![Event::Said {
            c: id.to_owned(),
            line: said,
        }],
    )
    .await
}

/// The agent hands a conversation they hold to a colleague of the desk who is available
/// and has room. Audited (`transfer_chat`, a disclosure to the colleague). Errors:
/// `chat_not_holder`, `chat_closed`, `chat_colleague_unavailable`.
pub async fn transfer(
    state: &web::Data<AppState>,
    officer: &OfficerActor,
    desk: &str,
    id: &str,
    to: &str,
) -> Result<(), ApiError> {
    let max = u64::from(state.chat.settings.max_per_agent);
    let (officer_c, unit, conversation, colleague) = (
        officer.clone(),
        desk.to_owned(),
        id.to_owned(),
        to.to_owned(),
    );
    let moved = with_db(state, move |conn| {
        conn.write_transaction(|c| {
            let moved = held(c, &officer_c.id, &conversation)?;
            let other = repo::agent(c, &unit, &colleague)?;
            let load = repo::held_count(c, &colleague)?;
            if colleague == officer_c.id || rules::may_take(other.status, load, max).is_err() {
                return Err(chat_error(ChatError::ColleagueUnavailable));
            }
            repo::assign(c, &conversation, &colleague, super::now(), true)?;
            let mut event = officer_event(
                &officer_c,
                &unit,
                AuditOperation::Disclosure,
                &conversation,
                "transfer_chat",
            );
            event.recipient = Some(colleague.clone());
            record_in(c, &event, officer_c.name.as_deref())?;
            Ok::<_, ApiError>(moved)
        })
    })
    .await?;
    publish(
        state,
        vec![Event::Assigned {
            c: id.to_owned(),
            desk: desk.to_owned(),
            agent: to.to_owned(),
            topic: moved.topic.as_str().to_owned(),
            language: moved.language.as_str().to_owned(),
            from: Some(officer.id.clone()),
        }],
    )
    .await
}

/// Who closes a conversation.
pub enum Closer {
    Agent(OfficerActor, String),
    Citizen,
    System,
}

/// Closes a conversation: its metadata gets the end and the outcome, the token and the
/// citizen's id are erased, and every instance forgets what was said. Audited
/// (`close_chat`, an erasure). Errors: `chat_not_holder`, `chat_closed`,
/// `chat_bad_outcome`.
pub async fn close(
    state: &web::Data<AppState>,
    closer: Closer,
    id: &str,
    outcome: ChatOutcome,
) -> Result<(), ApiError> {
    if matches!(closer, Closer::Agent(..)) && !outcome.agent_may_choose() {
        return Err(chat_error(ChatError::BadOutcome));
    }
    let conversation = id.to_owned();
    let queue = with_db(state, move |conn| {
        conn.write_transaction(|c| close_in(c, &closer, &conversation, outcome))
    })
    .await?;
    let mut events = vec![Event::Closed {
        c: id.to_owned(),
        outcome: outcome.as_str().to_owned(),
    }];
    if let Some((desk, waiting)) = queue {
        events.push(Event::Queue { desk, waiting });
    }
    publish(state, events).await
}

/// Closes inside the caller's transaction; returns the desk's new queue length when the
/// conversation was still waiting.
fn close_in(
    c: &mut DbConnection,
    closer: &Closer,
    id: &str,
    outcome: ChatOutcome,
) -> Result<Option<(String, u64)>, ApiError> {
    let conversation = match closer {
        Closer::Agent(officer, _) => held(c, &officer.id, id)?,
        _ => repo::find(c, id, true)?
            .filter(|c| c.status.is_open())
            .ok_or(chat_error(ChatError::Closed))?,
    };
    let now = super::now();
    repo::close(c, id, outcome, now)?;
    let actor = match closer {
        Closer::Agent(officer, desk) => officer.audit_actor(Some(desk)),
        Closer::Citizen => citizen_actor(),
        Closer::System => Actor {
            id: "system".into(),
            role: ActorRole::System,
            unit: None,
            client_id: None,
        },
    };
    let event = AuditEvent::new(
        actor,
        AuditOperation::Erasure,
        "chat_conversation",
        Some(id),
        now,
    )
    .with_action("close_chat");
    persistence::audit::append(c, &event)?;
    if conversation.status == ChatStatus::Waiting {
        let waiting = repo::waiting(c, &conversation.desk, false, 10_000)?.len() as u64;
        return Ok(Some((conversation.desk, waiting)));
    }
    Ok(None)
}

/// One round of idle closing: conversations silent for `chat.idle_close_secs` close
/// with the outcome `idle`. Returns how many closed.
pub async fn close_idle(state: &web::Data<AppState>) -> Result<usize, ApiError> {
    let idle = i64::try_from(state.chat.settings.idle_close_secs).unwrap_or(900);
    let closed = with_db(state, move |conn| {
        conn.write_transaction(|c| {
            let due = repo::idle(c, super::now() - Duration::seconds(idle), 100)?;
            let mut closed = Vec::new();
            for conversation in due {
                let queue = close_in(c, &Closer::System, &conversation.id, ChatOutcome::Idle)?;
                closed.push((conversation.id, queue));
            }
            Ok::<_, ApiError>(closed)
        })
    })
    .await?;
    let count = closed.len();
    let mut events = Vec::new();
    for (id, queue) in closed {
        events.push(Event::Closed {
            c: id,
            outcome: ChatOutcome::Idle.as_str().to_owned(),
        });
        if let Some((desk, waiting)) = queue {
            events.push(Event::Queue { desk, waiting });
        }
    }
    publish(state, events).await?;
    Ok(count)
}

/// How often each instance refreshes the chat's gauges (waiting, agents available).
const GAUGES_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Sets the gauges of each desk: conversations waiting, agents available.
async fn refresh_gauges(state: &web::Data<AppState>) -> Result<(), ApiError> {
    let desks: Vec<String> = state.chat.desks.iter().map(|d| d.unit.clone()).collect();
    let counts = with_db(state, move |conn| {
        let mut out = Vec::new();
        for desk in desks {
            let waiting = repo::waiting(conn, &desk, false, 10_000)?.len();
            let available = repo::available_agents(conn, &desk)?;
            out.push((desk, waiting, available));
        }
        Ok::<_, ApiError>(out)
    })
    .await?;
    let chat = &state.metrics.chat;
    for (desk, waiting, available) in counts {
        chat.waiting
            .with_label_values(&[desk.as_str()])
            .set(i64::try_from(waiting).unwrap_or(i64::MAX));
        chat.available
            .with_label_values(&[desk.as_str()])
            .set(i64::try_from(available).unwrap_or(i64::MAX));
    }
    Ok(())
}

/// Runs [`close_idle`] every `chat.idle_poll_ms` on this instance (instances share the
/// work through `FOR UPDATE SKIP LOCKED`).
pub fn spawn_idle_closing(state: web::Data<AppState>) {
    if state.chat.desks.is_empty() {
        return;
    }
    let every = std::time::Duration::from_millis(state.chat.settings.idle_poll_ms.max(50));
    actix_web::rt::spawn(async move {
        let mut interval = actix_web::rt::time::interval(every);
        let mut gauges_at = std::time::Instant::now() - GAUGES_EVERY;
        loop {
            interval.tick().await;
            if let Err(e) = flush_touches(&state).await {
                tracing::warn!(error = %e, "chat idle clocks not written");
            }
            if gauges_at.elapsed() >= GAUGES_EVERY {
                gauges_at = std::time::Instant::now();
                if let Err(e) = refresh_gauges(&state).await {
                    tracing::warn!(error = %e, "chat gauges not refreshed");
                }
            }
            match close_idle(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(closed = n, "idle chat conversations closed"),
                Err(e) => tracing::warn!(error = %e, "chat idle round failed"),
            }
        }
    });
}

/// The agent proposes a pre-filled draft of `procedure` to the citizen of a
/// conversation they hold. The proposal is relayed and held in memory like what is said
/// (never stored); it becomes the citizen's own draft only if they accept it. Audited
/// (`propose_chat_draft`, a disclosure to the citizen; never the fields). Errors:
/// `chat_not_holder`, `chat_closed`, `chat_proposal_needs_account` (an anonymous
/// conversation), `chat_bad_proposal` (a procedure not offered in the conversation's
/// country, fields over `domain::chat::PROPOSAL_MAX_BYTES`).
pub async fn propose(
    state: &web::Data<AppState>,
    officer: &OfficerActor,
    desk: &str,
    id: &str,
    (procedure, fields): (String, serde_json::Value),
) -> Result<Proposal, ApiError> {
    let bytes = fields.to_string().len();
    let (st, officer_c, unit, conversation) = (
        state.clone(),
        officer.clone(),
        desk.to_owned(),
        id.to_owned(),
    );
    let code = procedure.clone();
    with_db(state, move |conn| {
        conn.write_transaction(|c| {
            let held = held(c, &officer_c.id, &conversation)?;
            let offered = held.country.parse::<Country>().is_ok_and(|country| {
                st.catalogue
                    .procedure(&code)
                    .is_some_and(|p| p.countries.contains(&country))
            });
            rules::may_propose(held.anonymous, offered, bytes).map_err(chat_error)?;
            let mut event = officer_event(
                &officer_c,
                &unit,
                AuditOperation::Disclosure,
                &conversation,
                "propose_chat_draft",
            );
            event.recipient = Some("citizen".into());
            record_in(c, &event, officer_c.name.as_deref())?;
            Ok::<_, ApiError>(())
        })
    })
    .await?;
    let proposal = Proposal {
        id: uuid::Uuid::now_v7().to_string(),
        procedure,
        fields,
        draft: uuid::Uuid::new_v4().to_string(),
        at: Utc::now(),
    };
    publish(
        state,
        vec![Event::Proposed {
            c: id.to_owned(),
            proposal: proposal.clone(),
        }],
    )
    .await?;
    Ok(proposal)
}

/// The proposal `proposal` of the citizen's conversation, waiting for an answer, if
/// `citizen` is the account that opened it (another's conversation is
/// `chat_conversation_not_found`); else `chat_proposal_not_found`.
pub fn pending_proposal(
    state: &AppState,
    conversation: &StoredConversation,
    citizen: &CitizenActor,
    proposal: &str,
) -> Result<Proposal, ApiError> {
    if conversation.citizen_id.as_deref() != Some(citizen.id.as_str()) {
        return Err(ApiError::ChatConversationNotFound(conversation.id.clone()));
    }
    state
        .chat
        .hub
        .proposal(&conversation.id, proposal)
        .ok_or(chat_error(ChatError::ProposalNotFound))
}

/// The citizen accepts a proposal (from [`pending_proposal`]): `input` (its procedure,
/// the conversation's country and its fields) becomes their own draft filing, with the
/// proposal's draft id (created once), in the conversation's language. Audited: the
/// filing's creation and `accept_chat_draft` (a collection, on the conversation).
/// Errors: the filing's rules (e.g. the procedure's assurance level);
/// `chat_proposal_not_found` when it was accepted already.
pub async fn accept(
    state: &web::Data<AppState>,
    (citizen, conversation, proposal): (CitizenActor, &StoredConversation, Proposal),
    input: domain::filing::NewFilingInput,
    call: super::filings::Call,
    render: super::filings::Render,
) -> Result<crate::idempotency::Done, ApiError> {
    let event = AuditEvent::new(
        citizen.audit_actor(),
        AuditOperation::Collection,
        "chat_conversation",
        Some(&conversation.id),
        super::now(),
    )
    .with_action("accept_chat_draft");
    let origin = super::filings::Origin {
        id: proposal.draft.clone(),
        also: Some(event),
        taken: chat_error(ChatError::ProposalNotFound),
    };
    let input = (input, conversation.language);
    let done =
        super::filings::create_as(state.clone(), citizen, input, call, render, origin).await?;
    publish(
        state,
        vec![Event::ProposalAnswered {
            c: conversation.id.clone(),
            proposal: proposal.id,
            accepted: true,
        }],
    )
    .await?;
    Ok(done)
}

/// The citizen declines a proposal: every instance forgets it. Audited
/// (`decline_chat_draft`, an erasure). Errors: `chat_proposal_not_found`.
pub async fn decline(
    state: &web::Data<AppState>,
    conversation: &StoredConversation,
    proposal: &str,
) -> Result<(), ApiError> {
    if state
        .chat
        .hub
        .proposal(&conversation.id, proposal)
        .is_none()
    {
        return Err(chat_error(ChatError::ProposalNotFound));
    }
    let event = AuditEvent::new(
        citizen_actor(),
        AuditOperation::Erasure,
        "chat_conversation",
        Some(&conversation.id),
        super::now(),
    )
    .with_action("decline_chat_draft");
    with_db(state, move |conn| {
        Ok(persistence::audit::append(conn, &event)?)
    })
    .await?;
    publish(
        state,
        vec![Event::ProposalAnswered {
            c: conversation.id.clone(),
            proposal: proposal.to_owned(),
            accepted: false,
        }],
    )
    .await
}

/// The audit actor of a conversation's citizen (never their account's id: the
/// conversation's id names them).
fn citizen_actor() -> Actor {
    Actor {
        id: "chat-citizen".into(),
        role: ActorRole::Citizen,
        unit: None,
        client_id: None,
    }
}

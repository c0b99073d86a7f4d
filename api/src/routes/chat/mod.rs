//! The chat with a police agent, not recorded (docs/CHAT.md, asyncapi.yaml): a citizen
//! (an account, or an anonymous app by its device token) opens a conversation over
//! HTTP, then talks on a WebSocket, or on the HTTP fallback (an event stream and a POST
//! per frame); the desk's agents work on their own WebSocket.

pub mod session;
pub mod types;

pub use types::*;

use crate::actors::Citizen;
use crate::app::chat::{self as usecase, Opener, Opening};
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::idempotency;
use crate::language::Language;
use crate::middleware::RequestId;
use crate::routes::backoffice::access::{Resource, UnitAccess};
use crate::routes::filings::{self, FilingChanges, FilingView};
use crate::state::AppState;
use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, FromRequest, HttpRequest, HttpResponse};
use domain::audit::AuditOperation;
use domain::catalogue::Country;
use domain::i18n::Lang;
use domain::policy::{OfficerActor, StaffRole};

/// The header carrying the citizen's conversation token.
pub const CHAT_TOKEN: &str = "x-chat-token";
/// The header carrying an anonymous app's device token.
pub const DEVICE_TOKEN: &str = "x-device-token";

/// A chat desk's socket, opened by one of its agents: members of the desk's unit with
/// the role `officer` or `supervisor` (a refusal is audited).
pub struct ChatDesk;

impl Resource for ChatDesk {
    const OPERATION: AuditOperation = AuditOperation::Consultation;
    fn object(req: &HttpRequest) -> (&'static str, Option<String>) {
        let unit = req.match_info().get("unit_id").map(str::to_owned);
        ("chat_desk", unit)
    }
    fn allowed(officer: &OfficerActor, unit: &str) -> bool {
        officer.is_member_of(unit)
            && matches!(officer.role, StaffRole::Officer | StaffRole::Supervisor)
    }
}

/// The notice of every conversation: private, not recorded, not for emergencies.
pub fn notice(state: &AppState, lang: Lang, country: Option<Country>) -> ChatNotice {
    let numbers = country
        .map(|c| state.catalogue.emergency_numbers(c).to_vec())
        .unwrap_or_else(|| vec!["112".to_owned()]);
    let text = crate::i18n::texts()
        .render(lang, "chat.notice", &[("numbers", numbers.join(" / "))])
        .unwrap_or_default();
    ChatNotice {
        text,
        emergency_numbers: numbers,
    }
}

/// Where else to turn when the desk is closed.
const ALTERNATIVES: [&str; 4] = [
    "procedure:pre_complaint",
    "platform:sexual_violence_reporting",
    "platform:pharos",
    "procedure:online_scam",
];

fn opening_view(state: &AppState, lang: Lang, country: Country, opening: Opening) -> ChatOpening {
    let mut view = ChatOpening {
        status: "waiting".into(),
        conversation: None,
        token: None,
        position: None,
        estimated_wait_secs: None,
        socket: None,
        events: None,
        next_opening_at: None,
        notice: notice(state, lang, Some(country)),
        alternatives: Vec::new(),
    };
    match opening {
        Opening::Opened {
            conversation,
            token,
            place,
        } => {
            let base = format!("/v1/chat/conversations/{}", conversation.id);
            view.socket = Some(format!("{base}/socket"));
            view.events = Some(format!("{base}/events"));
            view.conversation = Some(conversation.id);
            view.token = Some(token);
            view.position = Some(place.position);
            view.estimated_wait_secs = Some(place.estimated_wait_secs);
        }
        Opening::OutsideHours { next_opening } => {
            view.status = "outside_hours".into();
            view.next_opening_at = next_opening;
            view.alternatives = ALTERNATIVES
                .iter()
                .filter(|code| {
                    crate::chat::protocol::guidance_link(&state.catalogue, code)
                        .is_some_and(|l| state.catalogue.link_available(&l, &[country]))
                })
                .map(|code| {
                    crate::chat::protocol::guidance_view(
                        &state.catalogue,
                        lang,
                        code,
                        Some(country),
                    )
                })
                .collect();
        }
    }
    view
}

/// Who opens, after the per-IP, per-device and per-account limits: an account (a
/// bearer token) or an anonymous app (`X-Device-Token`).
async fn opener(
    req: &HttpRequest,
    state: &web::Data<AppState>,
) -> Result<Opener, actix_web::Error> {
    let limits = &state.chat.settings;
    let ip_key = crate::app::ratelimit::address_key(state, req, "chat-ip");
    crate::app::ratelimit::count(
        state,
        req,
        ("chat-ip", ip_key, limits.opens_per_minute_per_ip),
    )
    .await?;
    if req.headers().contains_key(header::AUTHORIZATION) {
        let citizen = Citizen::extract(req).await?.actor();
        let key = format!("chat-citizen:{}", citizen.id);
        let quota = ("chat-citizen", key, limits.opens_per_minute_per_citizen);
        crate::app::ratelimit::count(state, req, quota).await?;
        return Ok(Opener::Citizen(citizen));
    }
    let device = req
        .headers()
        .get(DEVICE_TOKEN)
        .and_then(|v| v.to_str().ok())
        .filter(|t| domain::chat::device_token_ok(t))
        .ok_or(ApiError::MissingToken)?;
    let hash = usecase::digest(device);
    let key = format!("chat-device:{}", &hash[..32]);
    let quota = ("chat-device", key, limits.opens_per_minute_per_device);
    crate::app::ratelimit::count(state, req, quota).await?;
    Ok(Opener::Device(hash))
}

/// Open a chat with a police agent
///
/// For non-urgent questions. Open to a citizen's account (a bearer token) or
/// anonymously with the app's device token (`X-Device-Token`, 16 to 128 characters of
/// `A-Z a-z 0-9 - _`). The conversation is private and **not recorded**: what is said
/// is erased when it ends. In the desk's hours: 201 with the conversation, its token
/// (shown once), the place in the queue, the estimated wait and the notice; then talk
/// on the socket (asyncapi.yaml) or the HTTP fallback. Outside them: 200 with the next
/// opening, the alternatives and the emergency numbers. Limits per minute: per IP,
/// per device, per account (429 with `Retry-After`). Opening is audited.
#[utoipa::path(
    tag = "chat",
    security(("bearer" = []), ()),
    params(("X-Device-Token" = Option<String>, Header, description = "An anonymous app's device token (without a bearer token)")),
    request_body = OpenChat,
    responses(
        (status = 201, description = "Opened: waiting in the desk's queue", body = ChatOpening),
        (status = 200, description = "The desk is closed: nothing was opened (`status`: `outside_hours`)", body = ChatOpening),
        (status = 401, description = "Neither a valid bearer token nor a device token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a citizen account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid topic, language or country, or no desk for the country (`chat_not_offered`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many openings (`Retry-After`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/chat/conversations")]
pub async fn open(
    req: HttpRequest,
    state: web::Data<AppState>,
    JsonBody(body): JsonBody<OpenChat>,
) -> Result<HttpResponse, actix_web::Error> {
    let country = body
        .country
        .parse::<Country>()
        .ok()
        .filter(|c| state.countries.contains(c))
        .ok_or_else(|| {
            ApiError::Validation(vec![crate::error::FieldError::new(
                "/country",
                "unknown_country",
            )])
        })?;
    let opener = opener(&req, &state).await?;
    let lang: Lang = body.language.into();
    let input = (body.topic.into(), lang, country);
    let opening = usecase::open(&state, opener, input, RequestId::of(&req)).await?;
    let created = matches!(opening, Opening::Opened { .. });
    let view = opening_view(&state, lang, country, opening);
    Ok(match created {
        true => HttpResponse::Created().json(view),
        false => HttpResponse::Ok().json(view),
    })
}

/// The prefix of a conversation's token offered as a WebSocket subprotocol by a browser
/// (`new WebSocket(url, ["ecom-chat", "ecom-chat-token." + token])`).
pub const WS_CHAT_TOKEN: &str = "ecom-chat-token.";

/// The citizen's open conversation named by the path and the `X-Chat-Token` header (or,
/// on a WebSocket upgrade, the subprotocol `ecom-chat-token.<token>`).
async fn conversation(
    req: &HttpRequest,
    state: &web::Data<AppState>,
) -> Result<persistence::chat::StoredConversation, ApiError> {
    let id = req.match_info().get("id").unwrap_or_default().to_owned();
    let token = req
        .headers()
        .get(CHAT_TOKEN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| crate::auth::subprotocol_token(req, WS_CHAT_TOKEN))
        .ok_or(ApiError::MissingToken)?;
    usecase::citizen_conversation(state, id, token).await
}

/// Talk in my conversation (WebSocket)
///
/// Upgrades to the chat's WebSocket, citizen's side; the frames are in
/// `asyncapi.yaml`. Send the conversation's token as `X-Chat-Token`, or, from a browser
/// (which cannot set headers on a WebSocket), as the subprotocol
/// `ecom-chat-token.<token>` beside the subprotocol `ecom-chat`, which the answer
/// selects. Never in the URL. The socket ends when the conversation closes.
#[utoipa::path(
    tag = "chat",
    security(()),
    params(
        ("id" = String, Path, description = "The conversation"),
        ("X-Chat-Token" = Option<String>, Header, description = "The conversation's token (or the subprotocol `ecom-chat-token.<token>`)"),
        ("Sec-WebSocket-Protocol" = Option<String>, Header, description = "From a browser: `ecom-chat, ecom-chat-token.<token>`"),
    ),
    responses(
        (status = 101, description = "Switching to the chat's WebSocket protocol (asyncapi.yaml); `Sec-WebSocket-Protocol: ecom-chat` when offered"),
        (status = 400, description = "Not a WebSocket handshake", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No `X-Chat-Token`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such open conversation for this token (`chat_conversation_not_found`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/chat/conversations/{id}/socket")]
pub async fn citizen_socket(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Payload,
) -> Result<HttpResponse, actix_web::Error> {
    let conversation = conversation(&req, &state).await?;
    let (response, session, stream) =
        actix_ws::handle_with_protocols(&req, body, &[crate::auth::WS_PROTOCOL])?;
    let stream = stream.max_frame_size(crate::chat::protocol::FRAME_MAX_BYTES);
    actix_web::rt::spawn(session::citizen_socket(
        state,
        conversation,
        session,
        stream,
    ));
    Ok(response)
}

/// Follow my conversation (HTTP fallback, Server-Sent Events)
///
/// For clients without WebSocket: the same frames as the socket's server frames
/// (`asyncapi.yaml`), each as `event: <type>` and `data: <frame>`, starting with
/// `welcome`; `: heartbeat` comments while idle; the stream ends when the conversation
/// closes (after `closed`) or after `chat.stream_max_secs` (reconnect). Send with
/// `POST …/messages`.
#[utoipa::path(
    tag = "chat",
    security(()),
    params(
        ("id" = String, Path, description = "The conversation"),
        ("X-Chat-Token" = String, Header, description = "The conversation's token"),
    ),
    responses(
        (status = 200, description = "The event stream (never a JSON body)",
            content((String = "text/event-stream", example = json!("retry: 1000\n\nevent: welcome\ndata: {\"type\":\"welcome\",\"conversation\":\"0193…\",\"status\":\"waiting\",\"position\":1}\n\nevent: message\ndata: {\"type\":\"message\",\"from\":\"agent\",\"text\":\"Hello\"}\n\n")))),
        (status = 401, description = "No `X-Chat-Token`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such open conversation for this token", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/chat/conversations/{id}/events")]
pub async fn citizen_events(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let conversation = conversation(&req, &state).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(session::citizen_stream(state, conversation)))
}

/// Send in my conversation (HTTP fallback)
///
/// One citizen's frame, as on the socket: `{"type": "message", "text": …, "ref": …}`
/// or `{"type": "leave"}`. What the agent says arrives on the event stream.
#[utoipa::path(
    tag = "chat",
    security(()),
    params(
        ("id" = String, Path, description = "The conversation"),
        ("X-Chat-Token" = String, Header, description = "The conversation's token"),
    ),
    request_body = CitizenFrameBody,
    responses(
        (status = 204, description = "Relayed (or the conversation left)"),
        (status = 400, description = "Not a frame of the protocol (`chat_malformed_frame`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No `X-Chat-Token`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such open conversation for this token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The conversation is closed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An empty message or one over 1000 characters (`chat_bad_message`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/chat/conversations/{id}/messages")]
pub async fn citizen_send(
    req: HttpRequest,
    state: web::Data<AppState>,
    JsonBody(body): JsonBody<CitizenFrameBody>,
) -> Result<HttpResponse, ApiError> {
    let conversation = conversation(&req, &state).await?;
    let text = serde_json::to_string(&body).map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut touched = std::time::Instant::now() - std::time::Duration::from_secs(60);
    session::citizen_act(&state, &conversation, &text, &mut touched).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The pre-filled members of a proposed draft as a draft's changes: `place`,
/// `facts_date`, `answers` and `facts` only (the contact, the confirmation channel and
/// the language are the citizen's to give). Errors: `chat_malformed_frame` naming the
/// member.
pub fn proposal_changes(fields: &serde_json::Value) -> Result<FilingChanges, ApiError> {
    let changes: FilingChanges = serde_path_to_error::deserialize(fields.clone()).map_err(|e| {
        ApiError::ChatMalformedFrame(format!("`propose_draft`: invalid `fields.{}`", e.path()))
    })?;
    if changes.contact.is_some()
        || changes.confirmation_channel.is_some()
        || changes.language.is_some()
    {
        return Err(ApiError::ChatMalformedFrame(
            "`propose_draft`: `fields` holds only place, facts_date, answers and facts".into(),
        ));
    }
    Ok(changes)
}

/// Accept an agent's proposal of a draft
///
/// An agent proposed (the socket's `proposal` frame) a pre-filled draft of a procedure:
/// accepting it creates that draft, yours, as `POST /v1/filings` would (the same answer:
/// 201, the filing and its recap, `Location`), in the conversation's language and
/// country; complete and submit it as any draft. For the account that opened the
/// conversation: its bearer token and the conversation's `X-Chat-Token`. A proposal is
/// accepted once (`Idempotency-Key` makes a retry return the same draft); declining is
/// the socket's `decline_proposal` frame. Audited (`accept_chat_draft`).
#[utoipa::path(
    tag = "chat",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The conversation"),
        ("proposal" = String, Path, description = "The proposal (its `proposal` frame)"),
        ("X-Chat-Token" = String, Header, description = "The conversation's token"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: same key, same response"),
    ),
    responses(
        (status = 201, description = "Your new draft, pre-filled, with its recap", body = FilingView,
            headers(("Location" = String, description = "The draft's URL"), ("ETag" = String, description = "Its version"))),
        (status = 401, description = "No valid bearer token, or no `X-Chat-Token`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a citizen account", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such open conversation of yours for this token (`chat_conversation_not_found`), or no such proposal waiting (`chat_proposal_not_found`: answered, replaced or gone)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The same Idempotency-Key is being processed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The procedure's rules refuse the draft for this account (e.g. its assurance level)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/chat/conversations/{id}/proposals/{proposal}/accept")]
pub async fn accept_proposal(
    req: HttpRequest,
    state: web::Data<AppState>,
    citizen: Citizen,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let conversation = conversation(&req, &state).await?;
    let actor = citizen.actor();
    let id = req.match_info().get("proposal").unwrap_or_default();
    let proposal = usecase::pending_proposal(&state, &conversation, &actor, id)?;
    let input = domain::filing::NewFilingInput {
        procedure: proposal.procedure.clone(),
        country: conversation.country.clone(),
        draft: proposal_changes(&proposal.fields)?.into_draft(),
    };
    let caller = filings::idempotency_caller(&actor);
    let request = serde_json::json!({"proposal": proposal.id});
    idempotency::run(&req, &caller, &request, |key| {
        let call = filings::call(&req, lang, key, &citizen);
        let render = filings::render(&state, StatusCode::CREATED, true, lang);
        let accepted = (actor, &conversation, proposal);
        usecase::accept(&state, accepted, input, call, render)
    })
    .await
}

/// Work at a chat desk (WebSocket)
///
/// Upgrades to the chat's WebSocket, agent's side (asyncapi.yaml): presence, taking
/// the next conversation, talking, quick replies from the guidance catalogue,
/// transferring, closing, proposing a draft. For members of the desk's unit with the
/// role `officer` or `supervisor`. A browser, which cannot set headers on a WebSocket,
/// offers its bearer token as the subprotocol `ecom-bearer.<token>` beside `ecom-chat`,
/// which the answer selects. Never in the URL.
#[utoipa::path(
    tag = "chat",
    security(("bearer" = [])),
    params(
        ("unit_id" = String, Path, description = "The chat desk's unit"),
        ("Sec-WebSocket-Protocol" = Option<String>, Header, description = "From a browser: `ecom-chat, ecom-bearer.<token>` instead of `Authorization`"),
    ),
    responses(
        (status = 101, description = "Switching to the chat's WebSocket protocol (asyncapi.yaml); `Sec-WebSocket-Protocol: ecom-chat` when offered"),
        (status = 400, description = "Not a WebSocket handshake", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an officer of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "This unit is no chat desk", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/chat/desks/{unit_id}/socket")]
pub async fn desk_socket(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: UnitAccess<ChatDesk>,
    body: web::Payload,
) -> Result<HttpResponse, actix_web::Error> {
    let agent = agent_context(&req, &state, access).await?;
    let (response, ws, stream) =
        actix_ws::handle_with_protocols(&req, body, &[crate::auth::WS_PROTOCOL])?;
    let stream = stream.max_frame_size(crate::chat::protocol::FRAME_MAX_BYTES);
    actix_web::rt::spawn(session::agent_socket(state, agent, ws, stream));
    Ok(response)
}

/// The agent's context at a desk the access names (404 when the unit is no chat desk).
async fn agent_context(
    req: &HttpRequest,
    state: &AppState,
    access: UnitAccess<ChatDesk>,
) -> Result<session::AgentContext, ApiError> {
    if state.chat.desk(&access.unit).is_none() {
        return Err(ApiError::UnitNotFound(access.unit));
    }
    let lang = crate::language::Language::extract(req)
        .await
        .map(|l| l.0)
        .unwrap_or(Lang::En);
    Ok(session::AgentContext {
        officer: access.officer,
        desk: access.unit,
        lang: crate::i18n::served(lang),
    })
}

/// Follow my chat desk (HTTP fallback, Server-Sent Events)
///
/// For agents' clients without WebSocket: the same frames as the desk's socket's
/// server frames (`asyncapi.yaml`), each as `event: <type>` and `data: <frame>`,
/// starting with `welcome`; `: heartbeat` comments while idle; the stream ends after
/// `chat.stream_max_secs` (reconnect). Act with `POST …/actions`.
#[utoipa::path(
    tag = "chat",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The chat desk's unit")),
    responses(
        (status = 200, description = "The event stream (never a JSON body)",
            content((String = "text/event-stream", example = json!("retry: 1000\n\nevent: welcome\ndata: {\"type\":\"welcome\",\"agent\":\"officer-1\",\"status\":\"away\",\"waiting\":2}\n\nevent: queue\ndata: {\"type\":\"queue\",\"waiting\":3}\n\n")))),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an officer of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "This unit is no chat desk", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/chat/desks/{unit_id}/events")]
pub async fn desk_events(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: UnitAccess<ChatDesk>,
) -> Result<HttpResponse, ApiError> {
    let agent = agent_context(&req, &state, access).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(session::agent_stream(state, agent)))
}

/// Act at my chat desk (HTTP fallback)
///
/// One agent's frame, as on the desk's socket (`asyncapi.yaml`): `set_status`,
/// `take_next`, `list_agents`, `message`, `quick_reply`, `transfer`, `close`,
/// `propose_draft`. `list_agents` answers 200 with the `agents` frame; the others 204,
/// their outcome arriving on the event stream (`GET …/events`) as on the socket. A
/// refusal is the problem with the frame's error code.
#[utoipa::path(
    tag = "chat",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The chat desk's unit")),
    request_body = AgentFrameBody,
    responses(
        (status = 200, description = "The reply frame (`list_agents`: `agents`)", body = Object,
            example = json!({"type": "agents", "agents": [{"agent": "officer-2", "status": "available", "conversations": 1, "languages": ["fr"]}]})),
        (status = 204, description = "Done; what follows arrives on the event stream"),
        (status = 400, description = "Not a frame of the protocol (`chat_malformed_frame`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an officer of this unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "This unit is no chat desk, no such conversation, or no such proposal", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Refused by the conversation's or the agent's state (`chat_closed`, `chat_queue_empty`, `chat_agent_at_capacity`, `chat_not_holder`, `chat_agent_away`, `chat_colleague_unavailable`, `chat_proposal_needs_account`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An empty or too long message, an outcome an agent does not choose, an unknown quick reply, a proposal not offered or too large", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/chat/desks/{unit_id}/actions")]
pub async fn desk_act(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: UnitAccess<ChatDesk>,
    JsonBody(body): JsonBody<AgentFrameBody>,
) -> Result<HttpResponse, ApiError> {
    let agent = agent_context(&req, &state, access).await?;
    let text = serde_json::to_string(&body).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(match session::agent_frame(&state, &agent, &text).await? {
        Some(frame) => HttpResponse::Ok().json(frame),
        None => HttpResponse::NoContent().finish(),
    })
}

/// Problem codes of the chat besides the domain's (`ChatError::CODES`).
pub const PROBLEM_CODES: [&str; 4] = [
    "chat_not_offered",
    "chat_conversation_not_found",
    "chat_unknown_guidance",
    "chat_malformed_frame",
];

#[cfg(test)]
mod tests {
    use crate::i18n::{texts, API_LANGUAGES};

    #[test]
    fn every_chat_problem_and_notice_has_texts() {
        let codes = domain::chat::ChatError::CODES
            .iter()
            .chain(&super::PROBLEM_CODES);
        for lang in API_LANGUAGES {
            for code in codes.clone() {
                for part in ["title", "detail"] {
                    let key = format!("problem.{code}.{part}");
                    assert!(texts().exact(lang, &key).is_some(), "{lang}: {key}");
                }
            }
            assert!(texts().exact(lang, "chat.notice").is_some(), "{lang}");
        }
    }
}

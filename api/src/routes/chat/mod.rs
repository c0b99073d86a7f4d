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
use crate::middleware::RequestId;
use crate::routes::backoffice::access::{Resource, UnitAccess};
use crate::state::AppState;
use actix_web::http::header;
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
    let ip = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let ip_key = format!("chat-ip:{}", &usecase::digest(&ip)[..32]);
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

/// The citizen's open conversation named by the path and the `X-Chat-Token` header.
async fn conversation(
    req: &HttpRequest,
    state: &web::Data<AppState>,
) -> Result<persistence::chat::StoredConversation, ApiError> {
    let id = req.match_info().get("id").unwrap_or_default().to_owned();
    let token = req
        .headers()
        .get(CHAT_TOKEN)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::MissingToken)?
        .to_owned();
    usecase::citizen_conversation(state, id, token).await
}

/// Talk in my conversation (WebSocket)
///
/// Upgrades to the chat's WebSocket, citizen's side; the frames are in
/// `asyncapi.yaml`. Send the conversation's token as `X-Chat-Token`. The socket ends
/// when the conversation closes.
#[utoipa::path(
    tag = "chat",
    security(()),
    params(
        ("id" = String, Path, description = "The conversation"),
        ("X-Chat-Token" = String, Header, description = "The conversation's token"),
    ),
    responses(
        (status = 101, description = "Switching to the chat's WebSocket protocol (asyncapi.yaml)"),
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
    let (response, session, stream) = actix_ws::handle(&req, body)?;
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

/// Work at a chat desk (WebSocket)
///
/// Upgrades to the chat's WebSocket, agent's side (asyncapi.yaml): presence, taking
/// the next conversation, talking, quick replies from the guidance catalogue,
/// transferring, closing. For members of the desk's unit with the role `officer` or
/// `supervisor`.
#[utoipa::path(
    tag = "chat",
    security(("bearer" = [])),
    params(("unit_id" = String, Path, description = "The chat desk's unit")),
    responses(
        (status = 101, description = "Switching to the chat's WebSocket protocol (asyncapi.yaml)"),
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
    if state.chat.desk(&access.unit).is_none() {
        return Err(ApiError::UnitNotFound(access.unit).into());
    }
    let lang = crate::language::Language::extract(&req)
        .await
        .map(|l| l.0)
        .unwrap_or(Lang::En);
    let (response, ws, stream) = actix_ws::handle(&req, body)?;
    let stream = stream.max_frame_size(crate::chat::protocol::FRAME_MAX_BYTES);
    let agent = session::AgentContext {
        officer: access.officer,
        desk: access.unit,
        lang: crate::i18n::served(lang),
    };
    actix_web::rt::spawn(session::agent_socket(state, agent, ws, stream));
    Ok(response)
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

//! The chat's frames (asyncapi.yaml, docs/CHAT.md): what the citizen's and the agent's
//! clients send (`CitizenFrame`, `AgentFrame`, JSON text frames with a `type`) and what
//! the service sends back (JSON objects with a `type`, built here). A frame that is not
//! one of these is answered with an `error` frame (`chat_malformed_frame`) and changes
//! nothing: no conversation closes for it.

use super::hub::{Delivery, Event, Line, Party, Proposal};
use crate::error::ApiError;
use domain::catalogue::Catalogue;
use domain::chat::{AgentStatus, ChatOutcome};
use domain::guidance::GuidanceLink;
use domain::i18n::Lang;
use serde::Deserialize;
use serde_json::{json, Value};

/// A client's reference for a message (echoed back), in characters.
pub const REF_MAX_CHARS: usize = 64;
/// The largest frame a client may send, in bytes.
pub const FRAME_MAX_BYTES: usize = 16 * 1024;

/// What the citizen's client sends.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CitizenFrame {
    /// Says something.
    Message {
        text: String,
        #[serde(default, rename = "ref")]
        client_ref: Option<String>,
    },
    /// Ends the conversation (outcome `citizen_left`).
    Leave,
    /// Declines an agent's proposal of a draft (accepting is over HTTP, with the
    /// account's bearer token: `POST …/proposals/{proposal}/accept`).
    DeclineProposal { proposal: String },
}

/// What an agent's client sends.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgentFrame {
    SetStatus {
        status: AgentStatus,
        #[serde(default)]
        languages: Vec<String>,
    },
    TakeNext,
    ListAgents,
    Message {
        conversation: String,
        text: String,
        #[serde(default, rename = "ref")]
        client_ref: Option<String>,
    },
    QuickReply {
        conversation: String,
        guidance: String,
        #[serde(default, rename = "ref")]
        client_ref: Option<String>,
    },
    Transfer {
        conversation: String,
        to: String,
    },
    Close {
        conversation: String,
        outcome: ChatOutcome,
    },
    /// Proposes a pre-filled draft of `procedure` to the citizen (an account only).
    ProposeDraft {
        conversation: String,
        procedure: String,
        #[serde(default = "empty_object")]
        fields: Value,
    },
}

fn empty_object() -> Value {
    json!({})
}

fn check_ref(client_ref: Option<&String>) -> Result<(), ApiError> {
    match client_ref {
        Some(r) if r.chars().count() > REF_MAX_CHARS || r.chars().any(char::is_control) => Err(
            ApiError::ChatMalformedFrame(format!("ref: at most {REF_MAX_CHARS} characters")),
        ),
        _ => Ok(()),
    }
}

/// Reads a frame under the same intake rule as every request body
/// (`crate::json_intake::checked_value`: one JSON value, no key twice, every string and key
/// without control, bidirectional or unassigned characters, normalised to NFC);
/// `chat_malformed_frame` names what is wrong and where (never the content).
pub fn parse<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    let value: Value = match crate::json_intake::checked_value(text.as_bytes()) {
        Ok(value) => value,
        Err(ApiError::Validation(errors)) => {
            let at: Vec<String> = errors
                .iter()
                .map(|e| format!("`{}`: {}", e.pointer, e.code))
                .collect();
            return Err(ApiError::ChatMalformedFrame(at.join(", ")));
        }
        Err(_) => {
            let e = serde_json::from_str::<Value>(text).err();
            return Err(ApiError::ChatMalformedFrame(match e {
                Some(e) => format!("not JSON (line {}, column {})", e.line(), e.column()),
                None => "not one JSON value".into(),
            }));
        }
    };
    let kind = value
        .get("type")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| ApiError::ChatMalformedFrame("no `type`".into()))?;
    let frame = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        match path.as_str() {
            "." | "type" => {
                ApiError::ChatMalformedFrame(format!("unknown or incomplete frame `{kind}`"))
            }
            _ => ApiError::ChatMalformedFrame(format!("`{kind}`: invalid `{path}`")),
        }
    })?;
    Ok(frame)
}

impl CitizenFrame {
    pub fn check(&self) -> Result<(), ApiError> {
        match self {
            CitizenFrame::Message { client_ref, .. } => check_ref(client_ref.as_ref()),
            CitizenFrame::Leave | CitizenFrame::DeclineProposal { .. } => Ok(()),
        }
    }
}

impl AgentFrame {
    pub fn check(&self) -> Result<(), ApiError> {
        match self {
            AgentFrame::Message { client_ref, .. } | AgentFrame::QuickReply { client_ref, .. } => {
                check_ref(client_ref.as_ref())
            }
            _ => Ok(()),
        }
    }
}

/// The code of a guidance link (`procedure:pre_complaint`, `platform:pharos`,
/// `emergency`, `advice`).
pub fn link_code(link: &GuidanceLink) -> String {
    match link {
        GuidanceLink::Procedure(code) => format!("procedure:{code}"),
        GuidanceLink::Platform(code) => format!("platform:{code}"),
        GuidanceLink::Advice => "advice".into(),
        GuidanceLink::Emergency => "emergency".into(),
    }
}

/// The guidance link of the catalogue whose code is `code`.
pub fn guidance_link(catalogue: &Catalogue, code: &str) -> Option<GuidanceLink> {
    catalogue
        .guidance
        .iter()
        .flat_map(|node| node.links.iter())
        .find(|link| link_code(link) == code)
        .cloned()
}

/// A guidance link as the citizen sees it, in `lang`.
pub fn guidance_view(
    catalogue: &Catalogue,
    lang: Lang,
    code: &str,
    country: Option<domain::catalogue::Country>,
) -> Value {
    let Some(link) = guidance_link(catalogue, code) else {
        return json!({"code": code});
    };
    match &link {
        GuidanceLink::Procedure(p) => json!({
            "code": code, "kind": "procedure", "procedure": p,
            "label": catalogue.text(lang, &format!("procedure.{p}.name")),
        }),
        GuidanceLink::Platform(p) => json!({
            "code": code, "kind": "platform",
            "label": catalogue.text(lang, &format!("redirect.platform.{p}")),
            "url": catalogue.platforms.get(p).map(|p| p.url.clone()),
        }),
        GuidanceLink::Advice => json!({
            "code": code, "kind": "advice",
            "label": catalogue.text(lang, "guidance.link.advice"),
        }),
        GuidanceLink::Emergency => json!({
            "code": code, "kind": "emergency",
            "label": catalogue.text(lang, "guidance.link.emergency"),
            "emergency_numbers": country.map(|c| catalogue.emergency_numbers(c).to_vec()),
        }),
    }
}

/// Who reads a frame: the citizen (quick replies rendered in the conversation's
/// language), or an agent.
#[derive(Clone, Copy)]
pub struct Reader<'a> {
    pub catalogue: &'a Catalogue,
    pub lang: Lang,
    pub country: Option<domain::catalogue::Country>,
    pub party: Party,
}

/// A line as a `message` frame.
pub fn message_frame(reader: Reader<'_>, conversation: &str, line: &Line) -> Value {
    let mut frame = json!({
        "type": "message",
        "conversation": conversation,
        "id": line.id,
        "from": line.from,
        "at": line.at,
    });
    if let Some(text) = &line.text {
        frame["text"] = json!(text);
    }
    if let Some(code) = &line.guidance {
        frame["guidance"] = guidance_view(reader.catalogue, reader.lang, code, reader.country);
    }
    if let Some(r) = &line.client_ref {
        frame["ref"] = json!(r);
    }
    frame
}

/// A proposal as a `proposal` frame: the citizen gets the procedure's name in the
/// conversation's language and where to accept it.
pub fn proposal_frame(reader: Reader<'_>, conversation: &str, proposal: &Proposal) -> Value {
    let mut frame = json!({
        "type": "proposal",
        "conversation": conversation,
        "proposal": proposal.id,
        "procedure": proposal.procedure,
        "fields": proposal.fields,
        "at": proposal.at,
    });
    if reader.party == Party::Citizen {
        frame["label"] = json!(reader.catalogue.text(
            reader.lang,
            &format!("procedure.{}.name", proposal.procedure)
        ));
        frame["accept"] = json!(format!(
            "/v1/chat/conversations/{conversation}/proposals/{}/accept",
            proposal.id
        ));
    }
    frame
}

/// An `error` frame in `lang`.
pub fn error_frame(e: &ApiError, lang: Lang, conversation: Option<&str>) -> Value {
    let problem = e.to_problem(lang);
    let mut frame = json!({
        "type": "error",
        "code": problem.code,
        "title": problem.title,
        "detail": problem.detail,
    });
    if let Some(c) = conversation {
        frame["conversation"] = json!(c);
    }
    frame
}

/// The frames a delivery becomes for `reader`; `None` when it does not concern them.
pub fn delivery_frames(reader: Reader<'_>, me: Option<&str>, delivery: &Delivery) -> Vec<Value> {
    match &*delivery.event {
        Event::Said { c, line } => vec![message_frame(reader, c, line)],
        Event::Assigned {
            c,
            agent,
            from,
            topic,
            language,
            ..
        } => match reader.party {
            Party::Citizen => vec![
                json!({"type": "agent_joined", "conversation": c, "transferred": from.is_some()}),
            ],
            Party::Agent if me == Some(agent.as_str()) => {
                let history: Vec<Value> = delivery
                    .history
                    .iter()
                    .flatten()
                    .map(|l| message_frame(reader, c, l))
                    .collect();
                vec![
                    json!({"type": "assigned", "conversation": c, "topic": topic,
                    "language": language, "from": from, "history": history}),
                ]
            }
            Party::Agent => vec![json!({"type": "transferred", "conversation": c, "to": agent})],
        },
        Event::Proposed { c, proposal } => vec![proposal_frame(reader, c, proposal)],
        Event::ProposalAnswered {
            c,
            proposal,
            accepted,
        } => vec![json!({"type": "proposal_answered", "conversation": c,
                         "proposal": proposal, "accepted": accepted})],
        Event::Closed { c, outcome } => {
            vec![json!({"type": "closed", "conversation": c, "outcome": outcome})]
        }
        Event::Queue { waiting, .. } => match reader.party {
            Party::Agent => vec![json!({"type": "queue", "waiting": waiting})],
            // The citizen's session computes its own place.
            Party::Citizen => Vec::new(),
        },
        Event::Presence { status, .. } => vec![json!({"type": "status", "status": status})],
        Event::Opened { .. } | Event::Resync { .. } => Vec::new(),
    }
}

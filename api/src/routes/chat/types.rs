//! Request and response types of the chat's HTTP side.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The topic categories (`domain::chat::ChatTopic`).
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TopicCode {
    Question,
    Complaint,
    OnlineScam,
    Violence,
    IllegalContent,
    LostOrFound,
    Other,
}

impl From<TopicCode> for domain::chat::ChatTopic {
    fn from(t: TopicCode) -> Self {
        use domain::chat::ChatTopic as T;
        match t {
            TopicCode::Question => T::Question,
            TopicCode::Complaint => T::Complaint,
            TopicCode::OnlineScam => T::OnlineScam,
            TopicCode::Violence => T::Violence,
            TopicCode::IllegalContent => T::IllegalContent,
            TopicCode::LostOrFound => T::LostOrFound,
            TopicCode::Other => T::Other,
        }
    }
}

/// The languages a conversation is held in.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChatLanguage {
    Fr,
    Nl,
    De,
    En,
    Es,
    Ca,
}

impl From<ChatLanguage> for domain::i18n::Lang {
    fn from(l: ChatLanguage) -> Self {
        use domain::i18n::Lang;
        match l {
            ChatLanguage::Fr => Lang::Fr,
            ChatLanguage::Nl => Lang::Nl,
            ChatLanguage::De => Lang::De,
            ChatLanguage::En => Lang::En,
            ChatLanguage::Es => Lang::Es,
            ChatLanguage::Ca => Lang::Ca,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"topic": "online_scam", "language": "fr", "country": "FR"}))]
pub struct OpenChat {
    pub topic: TopicCode,
    /// The conversation's language: the notice, the quick replies and (when an agent
    /// speaks it) the conversation.
    pub language: ChatLanguage,
    /// The citizen's country (BE, LU, FR or ES-CT): which desk answers.
    #[schema(max_length = 8)]
    pub country: String,
}

/// The notice every conversation opens with.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatNotice {
    /// "Private, not recorded", and the emergency numbers, in the conversation's
    /// language.
    pub text: String,
    pub emergency_numbers: Vec<String>,
}

/// What opening answers: a waiting conversation (201), or the desk is closed (200).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "status": "waiting",
    "conversation": "0193a4c2-7f00-7000-8000-000000000001",
    "token": "q2V0-9s8d7f6g5h4j3k2l1zxcvbnmasdfghjklqwe",
    "position": 2, "estimated_wait_secs": 300,
    "socket": "/v1/chat/conversations/0193a4c2-7f00-7000-8000-000000000001/socket",
    "events": "/v1/chat/conversations/0193a4c2-7f00-7000-8000-000000000001/events",
    "notice": {"text": "This conversation is private and not recorded…", "emergency_numbers": ["17", "112"]}
}))]
pub struct ChatOpening {
    /// `waiting` (opened, in the queue) or `outside_hours` (nothing was opened).
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation: Option<String>,
    /// The secret of the citizen's side, shown once: send it as `X-Chat-Token` to the
    /// socket, the event stream and the messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// 1: next.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_wait_secs: Option<u64>,
    /// The WebSocket (asyncapi.yaml).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub socket: Option<String>,
    /// The HTTP fallback's event stream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<String>,
    /// Outside hours: when the desk opens again (absent: not within a year).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_opening_at: Option<chrono::DateTime<chrono::Utc>>,
    pub notice: ChatNotice,
    /// Outside hours: where else to turn (the pre-complaint, the reporting platforms).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub alternatives: Vec<serde_json::Value>,
}

/// A citizen's frame sent over HTTP (the same as on the socket).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"type": "message", "text": "Someone is using my bank card online", "ref": "m1"}))]
pub struct CitizenFrameBody {
    /// `message` or `leave`.
    #[serde(rename = "type")]
    #[schema(pattern = "^(message|leave)$", max_length = 16)]
    pub frame_type: String,
    /// For `message`: at most 1000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 1000)]
    pub text: Option<String>,
    /// Your own id for the message, echoed back.
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 64)]
    pub client_ref: Option<String>,
}

/// An agent's frame sent over HTTP (the same as on the desk's socket, asyncapi.yaml):
/// `type` and the members that frame takes.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"type": "message", "conversation": "0193a4c2-7f00-7000-8000-000000000001", "text": "How can I help?", "ref": "a1"}))]
pub struct AgentFrameBody {
    /// `set_status`, `take_next`, `list_agents`, `message`, `quick_reply`, `transfer`,
    /// `close` or `propose_draft`.
    #[serde(rename = "type")]
    #[schema(
        pattern = "^(set_status|take_next|list_agents|message|quick_reply|transfer|close|propose_draft)$",
        max_length = 16
    )]
    pub frame_type: String,
    /// `set_status`: `available` or `away`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 16)]
    pub status: Option<String>,
    /// `set_status`: the languages taken (fr, nl, de, en, es, ca).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 6)]
    pub languages: Option<Vec<String>>,
    /// The conversation acted on (all but `set_status`, `take_next`, `list_agents`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 64)]
    pub conversation: Option<String>,
    /// `message`: at most 1000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 1000)]
    pub text: Option<String>,
    /// `message`, `quick_reply`: your own id for it, echoed back.
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 64)]
    pub client_ref: Option<String>,
    /// `quick_reply`: a code of the guidance catalogue (`platform:pharos`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 64)]
    pub guidance: Option<String>,
    /// `transfer`: the colleague's agent id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 128)]
    pub to: Option<String>,
    /// `close`: `answered` or `redirected`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 16)]
    pub outcome: Option<String>,
    /// `propose_draft`: the procedure's code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 64)]
    pub procedure: Option<String>,
    /// `propose_draft`: the pre-filled members of the draft (`place`, `facts_date`,
    /// `answers`, `facts`; at most 6000 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub fields: Option<serde_json::Value>,
}

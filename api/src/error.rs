//! Every error the API returns, mapped exhaustively to RFC 9457 problem+json with a
//! stable machine `code`. Titles and details come from the message catalogue in the
//! request's language; internal causes are logged, never sent.
//!
//! Handlers return `ApiError`. `middleware::request_context` renders every error
//! response as a problem in the negotiated language (responses made by actix itself
//! included) and adds `request_id` and `instance`.

use crate::i18n::texts;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use domain::i18n::Lang;
use persistence::PersistenceError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

mod codes;
pub use codes::examples;

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:e-commissariat:problem:validation_failed",
    "title": "The request is not valid",
    "status": 422,
    "detail": "1 field(s) are invalid; see errors.",
    "instance": "/v1/eligibility-checks",
    "code": "validation_failed",
    "request_id": "0192f3c4-5b6a-7c8d-9e0f-112233445566",
    "errors": [{"pointer": "/answers/known_author", "code": "required", "message": "This field is required."}]
}))]
pub struct Problem {
    /// A URI naming the problem type: `urn:e-commissariat:problem:{code}`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short, human-readable summary of the problem type, in the request's language.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request, for a human, in the request's language.
    pub detail: String,
    /// The path of the request that failed.
    #[serde(default)]
    pub instance: String,
    /// Stable machine-readable code; clients branch on it.
    pub code: String,
    /// The request id, also in the `X-Request-Id` response header; quote it to support.
    #[serde(default)]
    pub request_id: String,
    /// Field errors, for validation problems.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// `filing_not_eligible`: the unit competent for the place of the facts, where the
    /// citizen can file in person, with its contact data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub competent_unit: Option<UnitContact>,
    /// `place_ambiguous`: the municipalities (or parts of one) to choose from (set the
    /// field the errors name, `place.municipality` or a travel request's `municipality`,
    /// to one `municipality.id`), most likely first, named in the request's language.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<PlaceCandidate>,
}

/// An id with its name in the reader's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NamedId {
    pub id: String,
    pub name: String,
}

/// A municipality the place of the facts may be in, and the unit competent there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"municipality": {"id": "BE-21015", "name": "Schaerbeek"},
    "unit": {"id": "pz-evere-schaarbeek-sint-joost-ten-node", "name": "PZ Schaerbeek/Saint-Josse/Evere"}}))]
pub struct PlaceCandidate {
    pub municipality: NamedId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<NamedId>,
}

/// A police unit to go to, with its contact data as the directory gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": "zp-ottignies-louvain-la-neuve", "name": "ZP Ottignies-Louvain-la-Neuve",
    "address": "Avenue des Combattants 35, 1340 Ottignies-Louvain-la-Neuve", "phone": "+32 10 43 81 00",
    "website": "https://www.police.be/5276", "open_now": false, "next_opening": "2026-11-23T07:00:00Z"}))]
pub struct UnitContact {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    /// Reception hours as the unit publishes them (free text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reception_hours: Option<String>,
    /// Whether the unit's service is open now.
    pub open_now: bool,
    /// When it next opens, when closed now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_opening: Option<chrono::DateTime<chrono::Utc>>,
}

impl UnitContact {
    /// The unit as a citizen is sent to it, named in `lang`, at `now`.
    pub fn of(
        unit: &domain::directory::Unit,
        lang: Lang,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        let contact = &unit.contact;
        UnitContact {
            id: unit.id.clone(),
            name: unit.name(lang).to_owned(),
            address: contact.address.clone(),
            phone: contact.phone.clone(),
            email: contact.email.clone(),
            website: contact.web.clone(),
            reception_hours: contact.reception_hours.clone(),
            open_now: unit.hours.is_open(now),
            next_opening: unit.hours.next_opening(now),
        }
    }
}

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "pointer": "/facts/theft_kind", "code": "unknown_option",
    "message": "This value is not one of the options. Accepted values: wallet, luggage, other.",
    "allowed": ["wallet", "luggage", "other"]
}))]
pub struct FieldError {
    /// JSON pointer (RFC 6901) to the field in the request body (or `/query/<name>`).
    pub pointer: String,
    /// Stable code of the rule that failed (`required`, `too_long`, `unknown_field`...).
    pub code: String,
    /// Human-readable explanation, in the request's language, ending with what would be
    /// accepted (the members below, in words).
    pub message: String,
    /// What would be accepted, as data (members present only where they apply).
    #[serde(flatten)]
    pub accepted: Accepted,
}

/// What would be accepted where a field failed (from the form schema, the catalogue or
/// `domain::limits`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Accepted {
    /// The accepted values (codes): `unknown_option`, `unknown_question`, `invalid_answer`...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<String>>,
    /// The minimum length, in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u64>,
    /// The maximum length, in characters (`too_long`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u64>,
    /// The smallest accepted number (`out_of_range`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>)]
    pub minimum: Option<serde_json::Number>,
    /// The largest accepted number (`out_of_range`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>)]
    pub maximum: Option<serde_json::Number>,
    /// The fewest values of a list (`too_few`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_items: Option<u64>,
    /// The most values of a list (`too_many`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items: Option<u64>,
    /// The earliest accepted date (`YYYY-MM-DD`) or date-time (RFC 3339): `in_past`,
    /// `too_early`, `too_old`, `age_over_limit` (the earliest birth date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earliest: Option<String>,
    /// The latest accepted date or date-time: `in_future`, `too_late`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest: Option<String>,
    /// How old facts may be, in days (`too_old`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_days: Option<u32>,
    /// The age a person must be under, in years (`age_over_limit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_years: Option<u32>,
    /// JSON pointer of the other field this one was compared with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other: Option<String>,
}

impl From<domain::forms::Accepted> for Accepted {
    fn from(a: domain::forms::Accepted) -> Self {
        Self {
            allowed: a.allowed,
            min_length: a.min_length,
            max_length: a.max_length,
            minimum: a.minimum,
            maximum: a.maximum,
            min_items: a.min_items,
            max_items: a.max_items,
            earliest: a.earliest,
            latest: a.latest,
            max_age_days: a.max_age_days,
            max_age_years: a.max_age_years,
            other: a.other,
        }
    }
}

impl From<&Accepted> for domain::forms::Accepted {
    fn from(a: &Accepted) -> Self {
        Self {
            allowed: a.allowed.clone(),
            min_length: a.min_length,
            max_length: a.max_length,
            minimum: a.minimum.clone(),
            maximum: a.maximum.clone(),
            min_items: a.min_items,
            max_items: a.max_items,
            earliest: a.earliest.clone(),
            latest: a.latest.clone(),
            max_age_days: a.max_age_days,
            max_age_years: a.max_age_years,
            other: a.other.clone(),
        }
    }
}

impl FieldError {
    pub fn new(pointer: impl Into<String>, code: &str) -> Self {
        Self {
            pointer: pointer.into(),
            code: code.to_owned(),
            message: String::new(),
            accepted: Accepted::default(),
        }
    }

    /// This error, saying what would be accepted.
    pub fn with(mut self, accepted: impl Into<Accepted>) -> Self {
        self.accepted = accepted.into();
        self
    }

    /// A required text of 1 to `max` characters (blank counts as empty) at `pointer`:
    /// `None` when it fits, else the field error (`empty` or `too_long`) saying the
    /// accepted lengths.
    pub fn text_length(pointer: &str, value: &str, max: usize) -> Option<Self> {
        let code = if value.trim().is_empty() {
            "empty"
        } else if value.chars().count() > max {
            "too_long"
        } else {
            return None;
        };
        Some(Self::new(pointer, code).with(Accepted {
            min_length: Some(1),
            max_length: Some(max as u64),
            ..Default::default()
        }))
    }

    /// The accepted values, for codes that choose among a list.
    pub fn allowed<S: ToString>(self, values: impl IntoIterator<Item = S>) -> Self {
        self.with(Accepted {
            allowed: Some(values.into_iter().map(|v| v.to_string()).collect()),
            ..Accepted::default()
        })
    }

    /// The explanation in `lang`: the code's sentence, then one sentence per accepted
    /// member (`field_limit.<name>`). A code without a text keeps the message it was
    /// made with (eligibility reasons come rendered).
    pub fn explain(&self, lang: Lang) -> String {
        let texts = texts();
        let mut message = texts
            .render(lang, &format!("field_error.{}", self.code), &[])
            .unwrap_or_else(|| self.message.clone());
        for (name, value) in domain::forms::Accepted::from(&self.accepted).entries() {
            if let Some(sentence) =
                texts.render(lang, &format!("field_limit.{name}"), &[(name, value)])
            {
                message.push(' ');
                message.push_str(&sentence);
            }
        }
        message
    }
}

impl From<domain::forms::FieldIssue> for FieldError {
    fn from(issue: domain::forms::FieldIssue) -> Self {
        FieldError::new(issue.pointer, issue.code).with(issue.accepted)
    }
}

/// Codes of field errors; each has a text in every API language.
pub const FIELD_ERROR_CODES: [&str; 40] = [
    "invalid_identifier",
    "invalid_cancel_code",
    "municipality_not_found",
    "postal_code_not_found",
    "invalid_record_number",
    "in_future",
    "in_past",
    "too_early",
    "too_late",
    "age_over_limit",
    "contradicts_facts",
    "too_old",
    "invalid_email",
    "not_allowed",
    "required",
    "unknown_field",
    "invalid_type",
    "empty",
    "too_long",
    "out_of_range",
    "unknown_option",
    "invalid_date",
    "invalid_date_time",
    "too_many",
    "too_few",
    "unknown_procedure",
    "unknown_country",
    "unknown_declarant",
    "unknown_question",
    "invalid_answer",
    "duplicate_key",
    "invalid_character",
    "invalid_name_character",
    "invalid_url",
    "address_not_allowed",
    "repeated_parameter",
    "invalid_utf8",
    "place_required",
    "invalid_integer",
    "invalid_number",
];

/// Every error the API answers with. [`ApiErrorKind`] names the variants (for
/// [`examples`], from which [`ApiError::all_codes`] is derived).
#[derive(Debug, thiserror::Error, strum::EnumDiscriminants)]
#[strum_discriminants(name(ApiErrorKind), derive(strum::EnumIter))]
pub enum ApiError {
    #[error("no resource at this URL")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed { allow: Vec<Method> },
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    #[error("unsupported media type")]
    UnsupportedMediaType { expected: &'static str },
    #[error("payload too large")]
    PayloadTooLarge { limit: usize },
    #[error("invalid path: {0}")]
    InvalidPath(String),
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    #[error("invalid header: {0}")]
    InvalidHeader(String),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("unknown procedure")]
    ProcedureNotFound(String),
    #[error("unknown advice article")]
    AdviceNotFound(String),
    #[error("unknown unit")]
    UnitNotFound(String),
    #[error("unknown municipality")]
    MunicipalityNotFound(String),
    #[error("unknown postal code")]
    PostalCodeNotFound(String),
    #[error("no access token")]
    MissingToken,
    #[error("invalid access token: {0}")]
    InvalidToken(String),
    #[error("forbidden")]
    Forbidden,
    #[error("insufficient level of assurance")]
    InsufficientAssurance { required: String },
    #[error("the development identity provider is disabled")]
    DevIdpDisabled,
    #[error("filing not found")]
    FilingNotFound(String),
    /// An officer's filing id that is not in the unit of the URL (code `filing_not_found`,
    /// with the unit named).
    #[error("filing not found in the unit")]
    UnitFilingNotFound { id: String, unit: String },
    /// A hand-back naming a declaration (by id or reference, as given) that is not one of
    /// the found object's current candidates (409 `not_a_candidate`).
    #[error("not one of the found object's candidates")]
    NotACandidate(String),
    /// A receipt asked for before submission (409); `status` is the filing's status code.
    #[error("no receipt yet")]
    ReceiptNotAvailable { status: String },
    #[error("invalid transition")]
    InvalidTransition { status: String, action: String },
    #[error("not eligible")]
    NotEligible {
        errors: Vec<FieldError>,
        /// Where to file in person instead, when the place is routed.
        competent_unit: Option<Box<UnitContact>>,
    },
    #[error("ambiguous place")]
    PlaceAmbiguous {
        errors: Vec<FieldError>,
        candidates: Vec<PlaceCandidate>,
    },
    #[error("no competent unit")]
    NoCompetentUnit,
    #[error("If-Match required")]
    PreconditionRequired,
    #[error("stale If-Match")]
    PreconditionFailed,
    #[error("idempotency key reused")]
    IdempotencyKeyReused,
    #[error("idempotency key in use")]
    IdempotencyKeyInUse,
    #[error("quota exceeded")]
    QuotaExceeded { retry_after_secs: i64 },
    #[error("record number already used")]
    RecordNumberTaken,
    #[error("the database is unavailable")]
    DatabaseUnavailable,
    #[error("internal error: {0}")]
    Internal(String),
    #[error(transparent)]
    Persistence(#[from] PersistenceError),
    /// An appointment's rule refused the request (`domain::appointments`).
    #[error("appointment: {0}")]
    Appointment(#[from] domain::appointments::AppointmentError),
    #[error("appointment not found")]
    AppointmentNotFound(String),
    #[error("no capacity published")]
    CapacityNotFound(String),
    #[error("no video provider configured")]
    VideoNotConfigured,
    /// No partner with this id (404 `partner_not_found`).
    #[error("partner not found")]
    PartnerNotFound(String),
    /// A partner id or client id registered already (409 `partner_conflict`).
    #[error("partner id or client id registered")]
    PartnerConflict(String),
    /// A token from a client that is neither a registered partner's nor the app's (401
    /// `unknown_client`).
    #[error("unknown client")]
    UnknownClient,
    /// A token from a disabled partner's client (403 `partner_disabled`).
    #[error("partner disabled")]
    PartnerDisabled(String),
    /// No webhook endpoint with this id among the partner's (404).
    #[error("webhook endpoint not found")]
    WebhookEndpointNotFound(String),
    /// No delivery with this id at this endpoint (404).
    #[error("webhook delivery not found")]
    WebhookDeliveryNotFound(String),
    /// A delivery still on its way, or delivered, is not sent again (409); the status.
    #[error("webhook delivery not redeliverable")]
    WebhookNotRedeliverable(String),
    /// A rule of the discreet alert refused the request (`domain::alerts`).
    #[error("alert: {0}")]
    Alert(#[from] domain::alerts::AlertError),
    #[error("alert not found")]
    AlertNotFound(String),
    /// A filing restricted as evidence (Art. 16(3)): not processed until lifted (409
    /// `filing_restricted`).
    #[error("filing restricted")]
    FilingRestricted(String),
    /// Lifting the restriction of a filing that has none (404 `restriction_not_found`).
    #[error("no restriction")]
    RestrictionNotFound(String),
    /// Evidence: files, supplements, upload links (docs/EVIDENCE.md).
    #[error("evidence: {0}")]
    Evidence(#[from] EvidenceError),
    /// A rule of the chat refused the request (`domain::chat`).
    #[error("chat: {0}")]
    Chat(#[from] domain::chat::ChatError),
    /// No chat desk answers the citizen's country.
    #[error("the chat is not offered here")]
    ChatNotOffered,
    #[error("chat conversation not found")]
    ChatConversationNotFound(String),
    /// A quick reply names no link of the guidance catalogue.
    #[error("unknown guidance link")]
    ChatUnknownGuidance(String),
    /// A chat frame that is not one of the protocol's (asyncapi.yaml).
    #[error("malformed chat frame: {0}")]
    ChatMalformedFrame(String),
    /// No travel authorisation request with this id that the caller may see (404
    /// `travel_request_not_found`: another citizen's too, so that ids cannot be probed).
    #[error("travel request not found")]
    TravelRequestNotFound(String),
    /// An invitation link that is unknown, used already or expired (410
    /// `invitation_invalid`).
    #[error("invitation link not usable")]
    InvitationInvalid,
    /// A travel request whose status does not allow this (409 `travel_invalid_state`).
    #[error("travel request in another state")]
    TravelInvalidState { status: String },
    /// A parent's revocation once the departure day started (409 `revocation_closed`).
    #[error("revocation by a parent closed")]
    RevocationClosed,
    /// A tus request without `Tus-Resumable`, or naming another version (412
    /// `tus_version_unsupported`, with `Tus-Version` naming the one spoken).
    #[error("tus version not supported")]
    TusVersionUnsupported { supported: &'static str },
    /// A tus `Upload-Metadata` that is not comma-separated pairs of a unique key and a
    /// base64 value (400 `invalid_upload_metadata`); the key at fault.
    #[error("invalid Upload-Metadata at {0}")]
    InvalidUploadMetadata(String),
    /// Approval of a sole holder's declaration with no supporting document attached (409
    /// `supporting_document_required`).
    #[error("supporting document required")]
    SupportingDocumentRequired,
    /// Supporting documents sent to a request that takes none (not a sole holder's
    /// declaration, or decided already): 409 `supporting_documents_not_accepted`.
    #[error("supporting documents not accepted")]
    SupportingDocumentsNotAccepted { status: String },
    /// A response made by the framework or a middleware, identified by its status.
    #[error("HTTP {0}")]
    Status(StatusCode),
}

/// Refusals about evidence files (docs/EVIDENCE.md); each names the file it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    /// 422 `attachment_refused`: the file's content is not accepted (`reason`). `accepted`
    /// names the kinds this intake takes when it takes fewer than evidence does (a travel
    /// authorisation's supporting documents: PDF, JPEG, PNG); the reason's text lists
    /// them.
    #[error("file refused: {reason}")]
    Refused {
        file: String,
        reason: domain::evidence::Refusal,
        accepted: Option<&'static [domain::evidence::MediaKind]>,
    },
    /// 413 `attachment_too_large`: over the per-file limit, or the room left on the filing.
    #[error("file over {limit} bytes")]
    FileTooLarge { file: String, limit: u64 },
    /// 413 `attachments_limit_reached`: the filing holds its most files or bytes.
    #[error("the filing holds its most files or bytes")]
    FilingFull { files: u32, bytes: u64 },
    /// 409 `evidence_not_accepted`: the filing takes no files in its status.
    #[error("no evidence in status {status}")]
    NotAccepted { status: String },
    /// 404 `attachment_not_found`.
    #[error("attachment not found")]
    AttachmentNotFound(String),
    /// 404 `upload_link_not_found`: unknown, expired, used up or revoked (never told
    /// apart, so that a token reveals nothing).
    #[error("upload link not found")]
    LinkNotFound(String),
    /// 404 `upload_not_found`: no resumable upload of this id for this caller.
    #[error("upload not found")]
    UploadNotFound(String),
    /// 409 `upload_offset_mismatch`: `Upload-Offset` is not where the upload stands.
    #[error("upload offset mismatch")]
    OffsetMismatch { offset: u64 },
}

impl EvidenceError {
    /// Every code.
    pub const CODES: [&'static str; 8] = [
        "attachment_refused",
        "attachment_too_large",
        "attachments_limit_reached",
        "evidence_not_accepted",
        "attachment_not_found",
        "upload_link_not_found",
        "upload_not_found",
        "upload_offset_mismatch",
    ];

    pub fn code(&self) -> &'static str {
        match self {
            EvidenceError::Refused { .. } => "attachment_refused",
            EvidenceError::FileTooLarge { .. } => "attachment_too_large",
            EvidenceError::FilingFull { .. } => "attachments_limit_reached",
            EvidenceError::NotAccepted { .. } => "evidence_not_accepted",
            EvidenceError::AttachmentNotFound(_) => "attachment_not_found",
            EvidenceError::LinkNotFound(_) => "upload_link_not_found",
            EvidenceError::UploadNotFound(_) => "upload_not_found",
            EvidenceError::OffsetMismatch { .. } => "upload_offset_mismatch",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            EvidenceError::Refused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            EvidenceError::FileTooLarge { .. } | EvidenceError::FilingFull { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            EvidenceError::NotAccepted { .. } | EvidenceError::OffsetMismatch { .. } => {
                StatusCode::CONFLICT
            }
            EvidenceError::AttachmentNotFound(_)
            | EvidenceError::LinkNotFound(_)
            | EvidenceError::UploadNotFound(_) => StatusCode::NOT_FOUND,
        }
    }

    fn params(&self, lang: Lang) -> Vec<(&'static str, String)> {
        match self {
            EvidenceError::Refused {
                file,
                reason,
                accepted,
            } => {
                let accepted =
                    accepted_kinds(lang, accepted.unwrap_or(domain::evidence::MediaKind::ALL));
                vec![
                    ("file", file.clone()),
                    (
                        "reason",
                        texts()
                            .render(
                                lang,
                                &format!("attachment_reason.{reason}"),
                                &[("accepted", accepted)],
                            )
                            .unwrap_or_else(|| reason.to_string()),
                    ),
                ]
            }
            EvidenceError::FileTooLarge { file, limit } => {
                vec![("file", file.clone()), ("limit", limit.to_string())]
            }
            EvidenceError::FilingFull { files, bytes } => {
                vec![("files", files.to_string()), ("bytes", bytes.to_string())]
            }
            EvidenceError::NotAccepted { status } => vec![(
                "status",
                texts()
                    .get(lang, &format!("filing_status.{status}"))
                    .map(str::to_owned)
                    .unwrap_or_else(|| status.clone()),
            )],
            EvidenceError::AttachmentNotFound(id)
            | EvidenceError::LinkNotFound(id)
            | EvidenceError::UploadNotFound(id) => vec![("id", id.clone())],
            EvidenceError::OffsetMismatch { offset } => vec![("offset", offset.to_string())],
        }
    }
}

impl From<persistence::QueryError> for ApiError {
    fn from(e: persistence::QueryError) -> Self {
        ApiError::Persistence(e.into())
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

/// The kinds of file `kinds`, named for a reader in `lang`: "JPEG, PNG or PDF" (the
/// formats by their names, plain text in words; `attachment_reason.kind_text`, `.or`).
fn accepted_kinds(lang: Lang, kinds: &[domain::evidence::MediaKind]) -> String {
    use domain::evidence::MediaKind;
    let names: Vec<String> = kinds
        .iter()
        .map(|kind| match kind {
            MediaKind::Jpeg => "JPEG".to_owned(),
            MediaKind::Png => "PNG".to_owned(),
            MediaKind::Heif => "HEIC/HEIF".to_owned(),
            MediaKind::Webp => "WebP".to_owned(),
            MediaKind::Pdf => "PDF".to_owned(),
            MediaKind::Text => texts()
                .get(lang, "attachment_reason.kind_text")
                .unwrap_or("text")
                .to_owned(),
        })
        .collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => {
            let or = texts().get(lang, "attachment_reason.or").unwrap_or("or");
            format!("{} {or} {last}", rest.join(", "))
        }
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

/// The parameters of a problem's detail that echo what the request named (ids, codes,
/// keys), shortened to [`ECHO_MAX_CHARS`] characters and an ellipsis, invisible and
/// bidirectional characters shown as U+FFFD.
const ECHOED_PARAMS: [&str; 5] = ["id", "code", "slug", "key", "unit"];

/// The longest echo of a request's identifier in a problem's detail, in characters.
pub const ECHO_MAX_CHARS: usize = 64;

impl ApiError {
    /// The stable machine code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::NotFound => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::MalformedJson(_) => "malformed_json",
            ApiError::UnsupportedMediaType { .. } => "unsupported_media_type",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::InvalidPath(_) => "invalid_path",
            ApiError::InvalidQuery(_) => "invalid_query",
            ApiError::InvalidHeader(_) => "invalid_header",
            ApiError::Validation(_) => "validation_failed",
            ApiError::ProcedureNotFound(_) => "procedure_not_found",
            ApiError::AdviceNotFound(_) => "advice_not_found",
            ApiError::UnitNotFound(_) => "unit_not_found",
            ApiError::MunicipalityNotFound(_) => "municipality_not_found",
            ApiError::PostalCodeNotFound(_) => "postal_code_not_found",
            ApiError::MissingToken | ApiError::InvalidToken(_) => "unauthorized",
            ApiError::Forbidden => "forbidden",
            ApiError::InsufficientAssurance { .. } => "insufficient_assurance",
            ApiError::DevIdpDisabled => "not_found",
            ApiError::FilingNotFound(_) | ApiError::UnitFilingNotFound { .. } => "filing_not_found",
            ApiError::ReceiptNotAvailable { .. } => "receipt_not_available",
            ApiError::InvalidTransition { .. } => "invalid_transition",
            ApiError::NotEligible { .. } => "filing_not_eligible",
            ApiError::PlaceAmbiguous { .. } => "place_ambiguous",
            ApiError::NoCompetentUnit => "no_competent_unit",
            ApiError::PreconditionRequired => "precondition_required",
            ApiError::PreconditionFailed => "precondition_failed",
            ApiError::IdempotencyKeyReused => "idempotency_key_reused",
            ApiError::IdempotencyKeyInUse => "idempotency_key_in_use",
            ApiError::QuotaExceeded { .. } => "too_many_requests",
            ApiError::RecordNumberTaken => "record_number_taken",
            ApiError::NotACandidate(_) => "not_a_candidate",
            ApiError::DatabaseUnavailable => "service_unavailable",
            ApiError::Internal(_) => "internal_error",
            ApiError::Persistence(e) if e.is_unavailable() => "service_unavailable",
            ApiError::Persistence(_) => "internal_error",
            ApiError::Appointment(e) => e.code(),
            ApiError::AppointmentNotFound(_) => "appointment_not_found",
            ApiError::CapacityNotFound(_) => "capacity_not_found",
            ApiError::VideoNotConfigured => "video_not_configured",
            ApiError::PartnerNotFound(_) => "partner_not_found",
            ApiError::PartnerConflict(_) => "partner_conflict",
            ApiError::UnknownClient => "unknown_client",
            ApiError::PartnerDisabled(_) => "partner_disabled",
            ApiError::WebhookEndpointNotFound(_) => "webhook_endpoint_not_found",
            ApiError::WebhookDeliveryNotFound(_) => "webhook_delivery_not_found",
            ApiError::WebhookNotRedeliverable(_) => "webhook_not_redeliverable",
            ApiError::Alert(e) => e.code(),
            ApiError::AlertNotFound(_) => "alert_not_found",
            ApiError::FilingRestricted(_) => "filing_restricted",
            ApiError::RestrictionNotFound(_) => "restriction_not_found",
            ApiError::Evidence(e) => e.code(),
            ApiError::Chat(e) => e.code(),
            ApiError::ChatNotOffered => "chat_not_offered",
            ApiError::ChatConversationNotFound(_) => "chat_conversation_not_found",
            ApiError::ChatUnknownGuidance(_) => "chat_unknown_guidance",
            ApiError::ChatMalformedFrame(_) => "chat_malformed_frame",
            ApiError::TravelRequestNotFound(_) => "travel_request_not_found",
            ApiError::InvitationInvalid => "invitation_invalid",
            ApiError::TravelInvalidState { .. } => "travel_invalid_state",
            ApiError::RevocationClosed => "revocation_closed",
            ApiError::TusVersionUnsupported { .. } => "tus_version_unsupported",
            ApiError::InvalidUploadMetadata(_) => "invalid_upload_metadata",
            ApiError::SupportingDocumentRequired => "supporting_document_required",
            ApiError::SupportingDocumentsNotAccepted { .. } => "supporting_documents_not_accepted",
            ApiError::Status(status) => code_for_status(*status),
        }
    }

    /// Values of the `{placeholders}` of this error's detail text.
    fn params(&self) -> Vec<(&'static str, String)> {
        match self {
            ApiError::MethodNotAllowed { allow } => vec![(
                "allow",
                allow
                    .iter()
                    .map(Method::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
            )],
            ApiError::MalformedJson(cause)
            | ApiError::InvalidPath(cause)
            | ApiError::InvalidQuery(cause)
            | ApiError::InvalidHeader(cause)
            | ApiError::ChatMalformedFrame(cause) => vec![("cause", cause.clone())],
            ApiError::UnsupportedMediaType { expected } => {
                vec![("expected", (*expected).to_owned())]
            }
            ApiError::PayloadTooLarge { limit } => vec![("limit", limit.to_string())],
            ApiError::Validation(errors) => vec![("count", errors.len().to_string())],
            ApiError::ProcedureNotFound(code) => vec![("code", code.clone())],
            ApiError::AdviceNotFound(slug) => vec![("slug", slug.clone())],
            ApiError::UnitNotFound(id)
            | ApiError::MunicipalityNotFound(id)
            | ApiError::PostalCodeNotFound(id)
            | ApiError::FilingNotFound(id) => {
                vec![("id", id.clone())]
            }
            ApiError::InvalidTransition { status, action } => {
                vec![("status", status.clone()), ("action", action.clone())]
            }
            ApiError::UnitFilingNotFound { id, unit } => {
                vec![("id", id.clone()), ("unit", unit.clone())]
            }
            ApiError::ReceiptNotAvailable { status } => vec![("status", status.clone())],
            ApiError::InsufficientAssurance { required } => vec![("required", required.clone())],
            ApiError::AppointmentNotFound(id)
            | ApiError::CapacityNotFound(id)
            | ApiError::PartnerNotFound(id)
            | ApiError::PartnerConflict(id)
            | ApiError::PartnerDisabled(id)
            | ApiError::WebhookEndpointNotFound(id)
            | ApiError::WebhookDeliveryNotFound(id)
            | ApiError::AlertNotFound(id)
            | ApiError::ChatConversationNotFound(id)
            | ApiError::FilingRestricted(id)
            | ApiError::NotACandidate(id)
            | ApiError::TravelRequestNotFound(id)
            | ApiError::RestrictionNotFound(id) => {
                vec![("id", id.clone())]
            }
            ApiError::WebhookNotRedeliverable(status)
            | ApiError::TravelInvalidState { status }
            | ApiError::SupportingDocumentsNotAccepted { status } => {
                vec![("status", status.clone())]
            }
            ApiError::Appointment(e) => appointment_params(e),
            ApiError::ChatUnknownGuidance(code) => vec![("code", code.clone())],
            ApiError::TusVersionUnsupported { supported } => {
                vec![("version", (*supported).to_owned())]
            }
            ApiError::InvalidUploadMetadata(key) => vec![("key", key.clone())],
            _ => Vec::new(),
        }
    }

    /// The parameters in `lang`: an action code and a status code become their labels,
    /// so that a problem never mixes languages.
    fn params_in(&self, lang: Lang) -> Vec<(&'static str, String)> {
        if let ApiError::Evidence(e) = self {
            return e.params(lang);
        }
        let mut params = self.params();
        if let ApiError::InvalidTransition { .. } | ApiError::ReceiptNotAvailable { .. } = self {
            for (name, value) in &mut params {
                let section = match *name {
                    "action" => "filing_action",
                    "status" => "filing_status",
                    _ => continue,
                };
                if let Some(label) = texts().get(lang, &format!("{section}.{value}")) {
                    *value = label.to_owned();
                }
            }
        }
        // An identifier echoed from the request (a path's id, a code) is shortened: a
        // problem names what was asked for, it does not mirror kilobytes of it back. A
        // character that would not show, or would reorder the text around it (a control,
        // a bidirectional or other format character, `domain::names`), is shown as U+FFFD.
        for (name, value) in &mut params {
            if !ECHOED_PARAMS.contains(name) {
                continue;
            }
            if value.chars().any(domain::names::is_refused_in_name) {
                *value = value
                    .chars()
                    .map(|c| {
                        if domain::names::is_refused_in_name(c) {
                            '\u{FFFD}'
                        } else {
                            c
                        }
                    })
                    .collect();
            }
            if value.chars().count() > ECHO_MAX_CHARS {
                *value = value.chars().take(ECHO_MAX_CHARS).chain(['…']).collect();
            }
        }
        params
    }

    /// The key of this error's texts (`problem.<key>.title|detail`): its code, except
    /// where one code has texts for several situations.
    fn text_key(&self) -> &'static str {
        match self {
            ApiError::UnitFilingNotFound { .. } => "unit_filing_not_found",
            other => other.code(),
        }
    }

    /// Text keys besides the codes (each has texts in every API language).
    pub const EXTRA_TEXT_KEYS: [&'static str; 1] = ["unit_filing_not_found"];

    /// The problem document in `lang`.
    pub fn to_problem(&self, lang: Lang) -> Problem {
        let code = self.code();
        let key = self.text_key();
        let texts = texts();
        let params = self.params_in(lang);
        let title = texts
            .render(lang, &format!("problem.{key}.title"), &params)
            .unwrap_or_else(|| code.replace('_', " "));
        let detail_key = format!("problem.{key}.detail");
        let detail = match self {
            // A response made by the framework carries no parameters: a detail that
            // needs some (the allowed methods, a size limit) is replaced by the title.
            ApiError::Status(_) => texts
                .get(lang, &detail_key)
                .and_then(|t| domain::i18n::fill(t, &[]).ok())
                .unwrap_or_else(|| title.clone()),
            _ => texts
                .render(lang, &detail_key, &params)
                .unwrap_or_else(|| self.status_code().to_string()),
        };
        let errors = match self {
            ApiError::Validation(errors)
            | ApiError::NotEligible { errors, .. }
            | ApiError::PlaceAmbiguous { errors, .. } => errors
                .iter()
                .map(|e| FieldError {
                    message: e.explain(lang),
                    ..e.clone()
                })
                .collect(),
            _ => Vec::new(),
        };
        Problem {
            problem_type: format!("urn:e-commissariat:problem:{code}"),
            title,
            status: self.status_code().as_u16(),
            detail,
            instance: String::new(),
            code: code.to_owned(),
            request_id: String::new(),
            errors,
            competent_unit: match self {
                ApiError::NotEligible { competent_unit, .. } => competent_unit.as_deref().cloned(),
                _ => None,
            },
            candidates: match self {
                ApiError::PlaceAmbiguous { candidates, .. } => candidates.clone(),
                _ => Vec::new(),
            },
        }
    }
}

/// The HTTP status of an appointment rule's refusal.
fn appointment_status(e: &domain::appointments::AppointmentError) -> StatusCode {
    use domain::appointments::AppointmentError as E;
    match e {
        E::SlotFull
        | E::AlreadyBooked
        | E::FilingNotReady
        | E::ChangeWindowClosed
        | E::NotBooked(_)
        | E::NotStarted
        | E::RoomNotOpen { .. }
        | E::RoomClosed => StatusCode::CONFLICT,
        E::OtherOfficer | E::InsufficientAssurance { .. } => StatusCode::FORBIDDEN,
        E::KindNotOffered
        | E::NoAppointmentForProcedure
        | E::WrongUnit
        | E::SlotInPast
        | E::SlotTooFar
        | E::NoSuchSlot
        | E::OutcomeNotForKind => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// The `{placeholders}` of an appointment problem's texts.
fn appointment_params(e: &domain::appointments::AppointmentError) -> Vec<(&'static str, String)> {
    use domain::appointments::AppointmentError as E;
    match e {
        E::RoomNotOpen { opens_at } => vec![("opens_at", opens_at.to_rfc3339())],
        E::NotBooked(status) => vec![("status", status.to_string())],
        E::InsufficientAssurance { required } => vec![("required", required.to_string())],
        _ => Vec::new(),
    }
}

/// The stable problem code of a bare HTTP status (a response the framework made).
/// The status of a chat rule's refusal over HTTP.
fn chat_status(e: &domain::chat::ChatError) -> StatusCode {
    use domain::chat::ChatError;
    match e {
        ChatError::BadMessage | ChatError::BadOutcome | ChatError::BadProposal => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        ChatError::ProposalNotFound => StatusCode::NOT_FOUND,
        _ => StatusCode::CONFLICT,
    }
}

pub fn code_for_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        406 => "not_acceptable",
        408 => "request_timeout",
        409 => "conflict",
        411 => "length_required",
        412 => "precondition_failed",
        413 => "payload_too_large",
        414 => "uri_too_long",
        415 => "unsupported_media_type",
        422 => "validation_failed",
        428 => "precondition_required",
        429 => "too_many_requests",
        431 => "headers_too_large",
        503 => "service_unavailable",
        s if s >= 500 => "internal_error",
        _ => "bad_request",
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::NotFound
            | ApiError::ProcedureNotFound(_)
            | ApiError::AdviceNotFound(_)
            | ApiError::UnitNotFound(_)
            | ApiError::MunicipalityNotFound(_)
            | ApiError::PostalCodeNotFound(_)
            | ApiError::DevIdpDisabled
            | ApiError::FilingNotFound(_)
            | ApiError::UnitFilingNotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::InvalidTransition { .. }
            | ApiError::ReceiptNotAvailable { .. }
            | ApiError::IdempotencyKeyInUse
            | ApiError::NotACandidate(_)
            | ApiError::RecordNumberTaken => StatusCode::CONFLICT,
            ApiError::NotEligible { .. }
            | ApiError::PlaceAmbiguous { .. }
            | ApiError::NoCompetentUnit
            | ApiError::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ApiError::QuotaExceeded { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::MissingToken | ApiError::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden | ApiError::InsufficientAssurance { .. } => StatusCode::FORBIDDEN,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::MalformedJson(_)
            | ApiError::InvalidPath(_)
            | ApiError::InvalidQuery(_)
            | ApiError::InvalidHeader(_) => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::DatabaseUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Persistence(e) if e.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Persistence(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Appointment(e) => appointment_status(e),
            ApiError::AppointmentNotFound(_) | ApiError::CapacityNotFound(_) => {
                StatusCode::NOT_FOUND
            }
            ApiError::VideoNotConfigured => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::PartnerNotFound(_) => StatusCode::NOT_FOUND,
            ApiError::PartnerConflict(_) => StatusCode::CONFLICT,
            ApiError::UnknownClient => StatusCode::UNAUTHORIZED,
            ApiError::PartnerDisabled(_) => StatusCode::FORBIDDEN,
            ApiError::WebhookEndpointNotFound(_) | ApiError::WebhookDeliveryNotFound(_) => {
                StatusCode::NOT_FOUND
            }
            ApiError::WebhookNotRedeliverable(_) => StatusCode::CONFLICT,
            ApiError::Alert(e) => match e {
                domain::alerts::AlertError::WrongCancelCode => StatusCode::FORBIDDEN,
                _ => StatusCode::CONFLICT,
            },
            ApiError::AlertNotFound(_) => StatusCode::NOT_FOUND,
            ApiError::FilingRestricted(_) => StatusCode::CONFLICT,
            ApiError::RestrictionNotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Evidence(e) => e.status(),
            ApiError::Chat(e) => chat_status(e),
            ApiError::ChatNotOffered => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::ChatConversationNotFound(_) => StatusCode::NOT_FOUND,
            ApiError::ChatUnknownGuidance(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::ChatMalformedFrame(_) => StatusCode::BAD_REQUEST,
            ApiError::TravelRequestNotFound(_) => StatusCode::NOT_FOUND,
            ApiError::InvitationInvalid => StatusCode::GONE,
            ApiError::TravelInvalidState { .. }
            | ApiError::RevocationClosed
            | ApiError::SupportingDocumentRequired
            | ApiError::SupportingDocumentsNotAccepted { .. } => StatusCode::CONFLICT,
            ApiError::TusVersionUnsupported { .. } => StatusCode::PRECONDITION_FAILED,
            ApiError::InvalidUploadMetadata(_) => StatusCode::BAD_REQUEST,
            ApiError::Status(status) => *status,
        }
    }

    /// The English rendering; `request_context` re-renders it in the request's language.
    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            // The cause goes to the log (with the request id of the current span),
            // never to the client.
            tracing::error!(code = self.code(), cause = %self, "request failed");
        }
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, PROBLEM_CONTENT_TYPE));
        if let ApiError::MethodNotAllowed { allow } = self {
            let value = allow
                .iter()
                .map(Method::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.insert_header((header::ALLOW, value));
            }
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, "5"));
        }
        match self {
            ApiError::QuotaExceeded { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.max(&1).to_string()));
            }
            ApiError::MissingToken => {
                response
                    .insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"e-commissariat\""));
            }
            ApiError::InvalidToken(reason) => {
                let value = format!(
                    "Bearer realm=\"e-commissariat\", error=\"invalid_token\", error_description=\"{}\"",
                    reason.replace('"', "'")
                );
                if let Ok(value) = HeaderValue::from_str(&value) {
                    response.insert_header((header::WWW_AUTHENTICATE, value));
                }
            }
            ApiError::TusVersionUnsupported { supported } => {
                // tus 1.0.0 core protocol: the versions spoken, and the one answering.
                response.insert_header(("Tus-Version", *supported));
                response.insert_header(("Tus-Resumable", *supported));
            }
            ApiError::InsufficientAssurance { .. } => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    "Bearer realm=\"e-commissariat\", error=\"insufficient_user_authentication\"",
                ));
            }
            _ => {}
        }
        response.json(self.to_problem(Lang::En))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::API_LANGUAGES;

    fn leftover(text: &str) -> bool {
        !domain::i18n::placeholders(text).is_empty()
    }

    /// Issue: `{id}` in the 404, `{status}` and `{action}` in the 409 reached clients.
    #[test]
    fn every_problem_renders_without_placeholders_in_every_language() {
        let samples = ApiError::every_example();
        let mut bad = Vec::new();
        for lang in API_LANGUAGES {
            for error in &samples {
                let problem = error.to_problem(lang);
                for text in [&problem.title, &problem.detail] {
                    if leftover(text) || text.is_empty() {
                        bad.push(format!("{lang} {}: {text:?}", error.code()));
                    }
                }
            }
        }
        assert!(bad.is_empty(), "{}", bad.join("\n"));
        let missing = ApiError::FilingNotFound("abc-123".into()).to_problem(Lang::Fr);
        assert!(missing.detail.contains("abc-123"), "{}", missing.detail);
        let conflict = ApiError::InvalidTransition {
            status: "Enregistré".into(),
            action: "withdraw".into(),
        }
        .to_problem(Lang::Fr);
        assert!(
            conflict.detail.contains("Enregistré") && conflict.detail.contains("retirer"),
            "{}",
            conflict.detail
        );
    }

    /// Every field error code, with every member of what would be accepted, renders in
    /// every language: the code's sentence, then the limits, nothing left unfilled.
    #[test]
    fn every_field_error_renders_with_its_limits_in_every_language() {
        let accepted = Accepted {
            allowed: Some(vec!["wallet".into(), "other".into()]),
            min_length: Some(1),
            max_length: Some(4000),
            minimum: Some(0.into()),
            maximum: serde_json::Number::from_f64(10.5),
            min_items: Some(1),
            max_items: Some(3),
            earliest: Some("2026-11-30".into()),
            latest: Some("2026-12-31".into()),
            max_age_days: Some(365),
            max_age_years: Some(18),
            other: Some("/facts/departure_date".into()),
        };
        assert_eq!(
            domain::forms::Accepted::from(&accepted).entries().len(),
            domain::forms::Accepted::ENTRY_NAMES.len()
        );
        let mut bad = Vec::new();
        for lang in API_LANGUAGES {
            for code in FIELD_ERROR_CODES {
                let error = FieldError::new("/x", code).with(accepted.clone());
                let text = error.explain(lang);
                if leftover(&text) || text.contains("field_") {
                    bad.push(format!("{lang} {code}: {text:?}"));
                }
                for name in domain::forms::Accepted::ENTRY_NAMES {
                    if texts()
                        .exact(lang, &format!("field_limit.{name}"))
                        .is_none()
                    {
                        bad.push(format!("{lang}: no field_limit.{name}"));
                    }
                }
            }
            for reason in domain::evidence::Refusal::ALL {
                if texts()
                    .exact(lang, &format!("attachment_reason.{reason}"))
                    .is_none()
                {
                    bad.push(format!("{lang}: no attachment_reason.{reason}"));
                }
            }
            for action in domain::filing::FilingAction::ALL {
                if texts()
                    .exact(lang, &format!("filing_action.{action}"))
                    .is_none()
                {
                    bad.push(format!("{lang}: no filing_action.{action}"));
                }
            }
            for key in crate::i18n::ROUTING_KEYS {
                let params = [
                    ("municipality", "M".to_owned()),
                    ("unit", "U".to_owned()),
                    ("postal_code", "P".to_owned()),
                    ("candidates", "C".to_owned()),
                    ("country", "X".to_owned()),
                    ("former", "F".to_owned()),
                    ("date", "D".to_owned()),
                ];
                let text = texts()
                    .render(lang, &format!("routing.{key}"), &params)
                    .unwrap_or_default();
                if text.is_empty() || leftover(&text) {
                    bad.push(format!("{lang} routing.{key}: {text:?}"));
                }
            }
        }
        bad.dedup();
        assert!(bad.is_empty(), "{}", bad.join("\n"));
        let text = FieldError::new("/facts/theft_kind", "unknown_option")
            .allowed(["wallet", "other"])
            .explain(Lang::Nl);
        assert!(
            text.ends_with("Aanvaarde waarden: wallet, other."),
            "{text}"
        );
    }

    /// Every text of the API's catalogue has only placeholders some error fills.
    #[test]
    fn every_api_text_uses_known_placeholders() {
        let known = [
            "allow",
            "cause",
            "expected",
            "limit",
            "count",
            "code",
            "slug",
            "id",
            "required",
            "status",
            "action",
            "municipality",
            "unit",
            "postal_code",
            "candidates",
            "country",
            "former",
            "date",
            "opens_at",
            "file",
            "reason",
            "files",
            "bytes",
            "offset",
            "site",
            "numbers",
            "version",
            "key",
            "accepted",
        ];
        let mut bad = Vec::new();
        for lang in API_LANGUAGES {
            for key in texts().keys(lang) {
                let text = texts().exact(lang, key).unwrap_or_default();
                for name in domain::i18n::placeholders(text) {
                    let own = key.starts_with("field_limit.") && key.ends_with(name);
                    if !own && !known.contains(&name) {
                        bad.push(format!("{lang} {key}: {{{name}}}"));
                    }
                }
            }
        }
        assert!(bad.is_empty(), "{}", bad.join("\n"));
    }
}

//! The back office's request and response types, as the contract shows them, and the
//! officer's view of a filing.

use crate::routes::filings::types::{
    ConfirmationChannel, ContactInput, Decision, ExchangeView, FactsDate, PlaceInput,
};
use chrono::{DateTime, Utc};
use domain::filing::{ActionInput, ComplainantIdentity, Filing};
use persistence::filings::{self as repo, HistoryRow, Note};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A filing as an officer of its unit sees it: everything, including back-office data.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "6f1c2a3e-8d7b-4c5a-9e0f-1a2b3c4d5e6f", "reference": "EC-2026-7K2Q-9XHM-C", "procedure": "bicycle_theft",
    "status": "submitted", "unit_id": "zp-ottignies-louvain-la-neuve", "municipality_id": "BE-25121",
    "owner_id": "u-2f1c0e8b9a7d6c5b4a3f2e1d", "declarant": "person", "assurance_checked": true, "country": "BE", "language": "fr",
    "submitted_at": "2026-11-22T10:05:00Z", "channel": "app", "facts_date": {"from": "2026-11-21T18:00:00+01:00"}, "place": {"lat": 50.673, "lon": 4.5687}, "facts": {}, "answers": {},
    "contact": {"email": "alice@example.org"}, "confirmation_channel": "email",
    "complainant": {"name": "Alice Martin", "given_name": "Alice", "family_name": "Martin", "birthdate": "1985-07-30",
        "address": {"street_address": "Rue de la Station 12", "postal_code": "1340", "locality": "Ottignies-Louvain-la-Neuve", "country": "BE"},
        "national_number": "85.07.30-033.28", "captured_at": "2026-11-22T10:05:00Z"},
    "new_information": false,
    "version": 2
}))]
pub struct OfficerFilingView {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub procedure: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub municipality_id: Option<String>,
    /// The citizen's pseudonymous id.
    pub owner_id: String,
    /// `person` or `business`.
    pub declarant: String,
    pub assurance_checked: bool,
    pub country: String,
    pub language: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<DateTime<Utc>>,
    /// The front door it was made through: `app`, or the partner's id.
    #[schema(example = "app")]
    pub channel: String,
    /// When the facts happened, as the citizen gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facts_date: Option<FactsDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned_officer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info_request: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info_answer: Option<String>,
    pub place: PlaceInput,
    #[schema(value_type = Object)]
    pub facts: serde_json::Value,
    #[schema(value_type = Object)]
    pub answers: serde_json::Value,
    pub contact: ContactInput,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmation_channel: Option<ConfirmationChannel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    /// The status history, oldest first (on the filing's own page, not in queues).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<OfficerHistoryEntry>>,
    /// The unit's internal notes, oldest first (on the filing's own page, not in queues).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<Vec<NoteView>>,
    /// Who the complainant is, as their identity provider vouched for it (on the filing's
    /// own page, not in queues; absent when the sign-in gave no identity claim). Each
    /// read is audited (`complainant_identity`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complainant: Option<ComplainantView>,
    /// Every round of questions and answers, oldest first, with who asked (on the
    /// filing's own page, not in queues).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchanges: Option<Vec<ExchangeView>>,
    /// Whether the citizen (or an upload link's holder) added information (a supplement:
    /// words or files) that no officer of the unit has seen yet; opening the filing marks
    /// it seen (docs/EVIDENCE.md).
    pub new_information: bool,
    pub version: i64,
}

/// The complainant's identity claims, for the official report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplainantView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// `YYYY-MM-DD` (or as the provider gives it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birthdate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<AddressView>,
    /// The Belgian national register number, `YY.MM.DD-SSS.CC` (its check digits valid).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub national_number: Option<String>,
    /// A business declarant's registration number (`BE0123456789`) and name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business_name: Option<String>,
    /// When the claims were captured (the filing's creation, or its submission).
    pub captured_at: DateTime<Utc>,
}

/// A postal address (OpenID Connect's `address` claim).
#[derive(Debug, Serialize, ToSchema)]
pub struct AddressView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// A national register number as printed on the Belgian identity card: `YY.MM.DD-SSS.CC`.
pub fn formatted_national_number(digits: &str) -> String {
    if digits.len() != 11 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return digits.to_owned();
    }
    format!(
        "{}.{}.{}-{}.{}",
        &digits[0..2],
        &digits[2..4],
        &digits[4..6],
        &digits[6..9],
        &digits[9..11]
    )
}

impl ComplainantView {
    pub fn of(identity: &ComplainantIdentity, captured_at: DateTime<Utc>) -> Self {
        ComplainantView {
            name: identity.name.clone(),
            given_name: identity.given_name.clone(),
            family_name: identity.family_name.clone(),
            birthdate: identity.birthdate.clone(),
            address: identity.address.as_ref().map(|a| AddressView {
                formatted: a.formatted.clone(),
                street_address: a.street_address.clone(),
                postal_code: a.postal_code.clone(),
                locality: a.locality.clone(),
                region: a.region.clone(),
                country: a.country.clone(),
            }),
            national_number: identity
                .national_number
                .as_ref()
                .map(|n| formatted_national_number(n.as_str())),
            business_id: identity.business_id.clone(),
            business_name: identity.business_name.clone(),
            captured_at,
        }
    }
}

/// One step of a filing's history, with who took it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfficerHistoryEntry {
    pub at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_status: Option<String>,
    pub status: String,
    /// `create`, `submit`, `take_in_charge`, `register`...
    pub action: String,
    /// `citizen`, `officer`, `supervisor` or `admin`.
    pub actor_role: String,
    /// Pseudonymous id of who acted.
    pub actor_id: String,
}

impl OfficerFilingView {
    /// The view of a filing; `history` and `notes` are for the filing's own page.
    pub fn of(filing: &Filing, history: Option<&[HistoryRow]>, notes: Option<&[Note]>) -> Self {
        OfficerFilingView {
            id: filing.id.clone(),
            reference: filing.reference.as_ref().map(|r| r.as_str().to_owned()),
            procedure: filing.procedure.clone(),
            status: filing.status.to_string(),
            unit_id: filing.unit.clone(),
            municipality_id: filing.municipality.as_ref().map(|m| m.to_string()),
            owner_id: filing.owner.clone(),
            declarant: filing.declarant.to_string(),
            assurance_checked: filing.submitted_at.is_some(),
            country: filing.country.to_string(),
            language: filing.language.to_string(),
            submitted_at: filing.submitted_at,
            channel: crate::routes::filings::views::channel(filing),
            facts_date: filing.facts_date.as_ref().map(Into::into),
            assigned_officer: filing.assigned_officer.clone(),
            info_request: filing.info_request.clone(),
            info_answer: filing.info_answer.clone(),
            place: (&filing.place).into(),
            facts: serde_json::Value::Object(filing.facts.clone()),
            answers: serde_json::Value::Object(filing.answers_json()),
            contact: (&filing.contact).into(),
            confirmation_channel: filing.confirmation_channel.map(Into::into),
            record_number: filing.record_number.clone(),
            decision: filing.decision.as_ref().map(Decision::from),
            history: history.map(|h| {
                h.iter()
                    .map(|h| OfficerHistoryEntry {
                        at: repo::utc(h.occurred_at),
                        from_status: h.from_status.clone(),
                        status: h.to_status.clone(),
                        action: h.action.clone(),
                        actor_role: h.actor_role.clone(),
                        actor_id: h.actor_id.clone(),
                    })
                    .collect()
            }),
            notes: notes.map(|n| n.iter().map(NoteView::from).collect()),
            complainant: None,
            exchanges: None,
            new_information: false,
            version: filing.version,
        }
    }

    /// The view with the rounds of questions and answers (the filing's own page).
    pub fn with_exchanges(mut self, exchanges: &[domain::filing::Exchange]) -> Self {
        self.exchanges = Some(
            exchanges
                .iter()
                .map(|e| ExchangeView::of(e, true))
                .collect(),
        );
        self
    }

    /// The view with its "new information" marker.
    pub fn with_new_information(mut self, new: bool) -> Self {
        self.new_information = new;
        self
    }

    /// The view with the complainant's identity (the filing's own page).
    pub fn with_complainant(
        mut self,
        identity: Option<&(ComplainantIdentity, DateTime<Utc>)>,
    ) -> Self {
        self.complainant = identity.map(|(i, at)| ComplainantView::of(i, *at));
        self
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Comma-separated statuses (default: every submitted status).
    pub status: Option<String>,
    pub procedure: Option<String>,
    /// Submitted at or after (RFC 3339).
    pub submitted_from: Option<DateTime<Utc>>,
    /// Submitted before (RFC 3339).
    pub submitted_until: Option<DateTime<Utc>>,
    /// `me` (assigned to the caller) or `none` (unassigned).
    pub assigned: Option<String>,
    /// Only open filings submitted longer ago than the unit's processing target.
    pub overdue: Option<bool>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [], "next_cursor": null}))]
pub struct Queue {
    pub items: Vec<OfficerFilingView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A known member of a unit.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"officer_id": "u-7d2e4f6a8b0c1d3e5f7a9b1c", "name": "Inspecteur Jan Peeters", "role": "officer",
    "first_seen_at": "2026-11-02T08:01:00Z", "last_seen_at": "2026-11-22T09:15:00Z"}))]
pub struct UnitMember {
    /// The id to give as `officer_id` when assigning a filing.
    pub officer_id: String,
    /// The name the police identity provider gave at the officer's last visit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub role: String,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"officer_id": "u-7d2e4f6a8b0c1d3e5f7a9b1c", "role": "officer",
    "first_seen_at": "2026-11-02T08:01:00Z", "last_seen_at": "2026-11-22T09:15:00Z"}]}))]
pub struct UnitMembers {
    pub items: Vec<UnitMember>,
}

// The bodies of the officer actions, one per action, so that the contract says which
// members each action requires (`domain::filing::officer::OfficerCommand::parse` checks
// them again, with every missing member named). A required text is trimmed and must not
// be blank; the contract's pass writes that rule as a pattern
// (`crate::openapi_pass::BODY_TEXT_NOT_BLANK`).

/// `take-in-charge`: for the caller, or for a colleague of the unit.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"officer_id": "u-7d2e4f6a8b0c1d3e5f7a9b1c"}))]
pub struct TakeInChargeBody {
    /// A colleague of the unit to assign (`GET /v1/units/{unit_id}/members`); the caller
    /// when absent or blank. Someone who is not a member is 422 at `/officer_id`.
    #[schema(max_length = 200)]
    pub officer_id: Option<String>,
}

/// `request-info`: the question to the citizen.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"message": "Could you give the frame number of the bicycle?"}))]
pub struct RequestInfoBody {
    /// The question, shown to the citizen (1 to 2000 characters, trimmed).
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 2000)]
    pub message: String,
}

/// `register`: the official record number.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"record_number": "5277/2026/000042"}))]
pub struct RegisterBody {
    /// The official record number, in the unit's own pattern `<unit number>/<year, 4
    /// digits>/<sequence, 1 to 10 digits>`; the unit's next number when absent. A number in
    /// another pattern is 422 `invalid_record_number`, one already used 409
    /// `record_number_taken`.
    #[schema(
        max_length = 64,
        pattern = r"^[ \t\n\r]*[^/ \t\n\r\x00-\x1f\x7f-\x9f][^/\x00-\x1f\x7f-\x9f]*/[0-9]{4}/[0-9]{1,10}[ \t\n\r]*$"
    )]
    pub record_number: Option<String>,
}

/// `reject`: why, for the citizen.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason_code": "not_a_police_matter", "explanation": "A neighbourhood dispute without an offence.",
    "where_to_go": "Your municipality's mediation service."}))]
pub struct RejectBody {
    /// A stable reason code (such as `not_a_police_matter`, `duplicate`).
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 64)]
    pub reason_code: String,
    /// The explanation, shown to the citizen.
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 2000)]
    pub explanation: String,
    /// Where the citizen may go instead, if anywhere.
    #[schema(max_length = 500)]
    pub where_to_go: Option<String>,
}

/// `redirect`: where the citizen should go instead, and why.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason_code": "civil_matter", "explanation": "A dispute between neighbours is a civil matter.",
    "where_to_go": "The justice of the peace of your canton."}))]
pub struct RedirectBody {
    /// A stable reason code (such as `civil_matter`).
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 64)]
    pub reason_code: String,
    /// The explanation, shown to the citizen.
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 2000)]
    pub explanation: String,
    /// Where the citizen should go instead.
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 500)]
    pub where_to_go: String,
}

/// `transfer`: the unit really competent, and why.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"target_unit": "zp-wavre", "reason_code": "wrong_unit",
    "explanation": "The facts took place in Wavre."}))]
pub struct TransferBody {
    /// Another unit of the directory (`GET /v1/units`); this unit or an unknown one is 422
    /// at `/target_unit`.
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 200)]
    pub target_unit: String,
    /// A stable reason code (such as `wrong_unit`).
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 64)]
    pub reason_code: String,
    /// The explanation, shown to the citizen.
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 2000)]
    pub explanation: String,
}

/// `close`: nothing to say (an empty object).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({}))]
pub struct CloseBody {}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"body": "Frame number checked against the bicycle register: no match yet."}))]
pub struct NoteBody {
    /// The note, for officers only (at most 4000 characters).
    #[schema(min_length = 1, max_length = 4000)]
    pub body: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"notes": [{"author_id": "u-1f2e3d4c5b6a79880a1b2c3d", "unit_id": "zp-ottignies-louvain-la-neuve", "body": "Checked.", "at": "2026-11-22T11:00:00Z"}]}))]
pub struct Notes {
    pub notes: Vec<NoteView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoteView {
    pub author_id: String,
    pub unit_id: String,
    pub body: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `json` (default), `xml` or `text` (one `label: value` line per field, for copy-paste).
    pub format: Option<String>,
    /// Why the data leaves the service (recorded in the audit trail); required.
    pub justification: Option<String>,
    /// Language of the labels.
    pub lang: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    /// The actor's id.
    pub actor: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Page size, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventView {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor_id: String,
    pub actor_role: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The Art. 25 category: collection, consultation, alteration, disclosure,
    /// combination, erasure.
    pub operation: String,
    /// What was done, by name (`create_draft`, `submit`, `register`,
    /// `request_information`, `add_note`, `export`, `view_filing`, `list_queue`,
    /// `read_audit_trail`, ...).
    pub action: String,
    pub object_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": 1, "occurred_at": "2026-11-22T10:00:00Z", "actor_id": "u-1f2e3d4c5b6a79880a1b2c3d",
    "actor_role": "officer", "actor_unit": "zp-ottignies-louvain-la-neuve", "client_id": "back-office", "operation": "consultation", "action": "view_filing", "object_type": "filing",
    "object_id": "6f1c2a3e-8d7b-4c5a-9e0f-1a2b3c4d5e6f", "outcome": "allowed"}], "next_cursor": 1}))]
pub struct AuditPage {
    pub items: Vec<AuditEventView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<i64>,
}

/// A required text: `None` when empty, so that the domain names it as missing.
fn given(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

impl From<TakeInChargeBody> for ActionInput {
    fn from(b: TakeInChargeBody) -> Self {
        ActionInput {
            officer_id: b.officer_id,
            ..ActionInput::default()
        }
    }
}

impl From<RequestInfoBody> for ActionInput {
    fn from(b: RequestInfoBody) -> Self {
        ActionInput {
            message: given(b.message),
            ..ActionInput::default()
        }
    }
}

impl From<RegisterBody> for ActionInput {
    fn from(b: RegisterBody) -> Self {
        ActionInput {
            record_number: b.record_number,
            ..ActionInput::default()
        }
    }
}

impl From<RejectBody> for ActionInput {
    fn from(b: RejectBody) -> Self {
        ActionInput {
            reason_code: given(b.reason_code),
            explanation: given(b.explanation),
            where_to_go: b.where_to_go,
            ..ActionInput::default()
        }
    }
}

impl From<RedirectBody> for ActionInput {
    fn from(b: RedirectBody) -> Self {
        ActionInput {
            reason_code: given(b.reason_code),
            explanation: given(b.explanation),
            where_to_go: given(b.where_to_go),
            ..ActionInput::default()
        }
    }
}

impl From<TransferBody> for ActionInput {
    fn from(b: TransferBody) -> Self {
        ActionInput {
            target_unit: given(b.target_unit),
            reason_code: given(b.reason_code),
            explanation: given(b.explanation),
            ..ActionInput::default()
        }
    }
}

impl From<CloseBody> for ActionInput {
    fn from(_: CloseBody) -> Self {
        ActionInput::default()
    }
}

impl From<&Note> for NoteView {
    fn from(n: &Note) -> Self {
        NoteView {
            author_id: n.author_id.clone(),
            unit_id: n.unit_id.clone(),
            body: n.body.clone(),
            at: n.created_at,
        }
    }
}

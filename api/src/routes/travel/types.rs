//! The request and response types of a minor's travel authorisation (docs/DOCUMENTS.md).

use crate::app::travel::Loaded;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The minor.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MinorInput {
    #[schema(min_length = 1, max_length = 100, example = "Laia")]
    pub first_name: String,
    #[schema(min_length = 1, max_length = 100, example = "Puig")]
    pub last_name: String,
    /// Under 18 on the return date.
    #[schema(example = "2014-05-10")]
    pub birth_date: NaiveDate,
    /// The minor's identity document (passport or identity card) number.
    #[schema(min_length = 1, max_length = 100, example = "12345678Z")]
    pub document_number: String,
}

/// The trip.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TripInput {
    /// ISO 3166-1 alpha-2 codes, 1 to 10.
    #[schema(min_items = 1, max_items = 10, example = json!(["FR", "IT"]))]
    pub destinations: Vec<String>,
    /// Not in the past.
    #[schema(example = "2026-12-20")]
    pub departure: NaiveDate,
    /// Not before the departure; at most `travel.max_trip_days` (90) days after it, both
    /// counted.
    #[schema(example = "2027-01-06")]
    pub return_date: NaiveDate,
}

/// The adult travelling with the minor.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanionInput {
    #[schema(min_length = 1, max_length = 100, example = "Marta Vidal")]
    pub name: String,
    #[schema(min_length = 1, max_length = 100, example = "X1234567L")]
    pub document_number: String,
}

/// The other holder of parental authority: `invited` (by e-mail, to consent), or
/// `sole_holder` (the requester holds it alone, on the `ground` of a `court_decision` or
/// a `death_certificate`, which an officer checks).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum OtherHolderInput {
    Invited {
        #[schema(min_length = 1, max_length = 100, example = "Jordi Puig")]
        name: String,
        #[schema(max_length = 254, example = "jordi@example.org")]
        email: String,
    },
    SoleHolder {
        /// Checked by the use case, so that another value is a 422 naming the field.
        #[schema(schema_with = sole_ground_schema)]
        ground: String,
    },
}

/// The grounds a sole holder may give (`domain::travel::SoleGround`), as the contract
/// states them.
fn sole_ground_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["court_decision", "death_certificate"]))
        .examples(["court_decision"])
        .build()
}

/// A request as a parent gives it (and as its parties read it, without `municipality`
/// and `contact_email`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "minor": {"first_name": "Laia", "last_name": "Puig", "birth_date": "2014-05-10", "document_number": "12345678Z"},
    "trip": {"destinations": ["FR", "IT"], "departure": "2026-12-20", "return_date": "2027-01-06"},
    "companion": {"name": "Marta Vidal", "document_number": "X1234567L"},
    "other_holder": {"kind": "invited", "name": "Jordi Puig", "email": "jordi@example.org"},
    "municipality": "ES-CT-17079",
    "contact_email": "anna@example.org"
}))]
pub struct NewTravelRequest {
    pub minor: MinorInput,
    pub trip: TripInput,
    #[serde(default)]
    pub companion: Option<CompanionInput>,
    pub other_holder: OtherHolderInput,
    /// The requester's municipality of residence (a directory id, `ES-CT-17079`; a
    /// municipality split between units, as Barcelona by district, is named by its part,
    /// `ES-CT-08019-37`): its unit reviews the request. Required (422 `required`).
    #[schema(min_length = 1, max_length = 40, example = "ES-CT-17079")]
    pub municipality: String,
    /// Where the requester is told of a refusal. Required (422 `required`).
    #[schema(min_length = 1, max_length = 254, example = "anna@example.org")]
    pub contact_email: String,
}

/// The other holder's single-use invitation token (from the e-mail's link).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "q8J0wYb3Zf1mNn0x5C8pR2tV7yA4sD6gH9kL1zX3cV5"}))]
pub struct InvitationToken {
    #[schema(min_length = 1, max_length = 200)]
    pub token: String,
}

/// A reason (a rejection, a revocation).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "The trip was cancelled."}))]
pub struct ReasonBody {
    /// 1 to 500 characters.
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// An issued authorisation as the register holds it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DocumentSummary {
    pub id: String,
    pub issued_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// `parent` or `police`.
    pub revoked_by: Option<String>,
    pub revocation_reason: Option<String>,
}

/// A travel authorisation request.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0192f3c4-5b6a-4c8d-9e0f-112233445566", "reference": "TA-0192F3C4",
    "status": "awaiting_consent", "unit_id": "es-ct-abp-1", "municipality": "ES-CT-17079",
    "sole_holder": false, "second_holder_joined": false,
    "request": {
        "minor": {"first_name": "Laia", "last_name": "Puig", "birth_date": "2014-05-10", "document_number": "12345678Z"},
        "trip": {"destinations": ["FR", "IT"], "departure": "2026-12-20", "return_date": "2027-01-06"},
        "companion": {"name": "Marta Vidal", "document_number": "X1234567L"},
        "other_holder": {"kind": "invited", "name": "Jordi Puig", "email": "jordi@example.org"}
    },
    "decision_reason": null, "document": null,
    "created_at": "2026-12-01T10:00:00Z", "updated_at": "2026-12-01T10:00:00Z"
}))]
pub struct TravelView {
    pub id: String,
    /// The short reference the e-mails name.
    pub reference: String,
    /// `awaiting_consent`, `awaiting_review`, `approved`, `rejected`, `refused` or
    /// `revoked`.
    pub status: String,
    /// The reviewing unit (of the requester's municipality of residence).
    pub unit_id: String,
    pub municipality: String,
    /// The requester declared they hold parental authority alone.
    pub sole_holder: bool,
    /// The invited holder took the invitation.
    pub second_holder_joined: bool,
    /// The minor, the trip, the companion and the other holder.
    #[schema(value_type = Object)]
    pub request: serde_json::Value,
    /// The officer's reason, for a rejection.
    pub decision_reason: Option<String>,
    pub document: Option<DocumentSummary>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Loaded> for TravelView {
    fn from(l: &Loaded) -> Self {
        let row = &l.row;
        TravelView {
            id: row.id.clone(),
            reference: crate::app::travel::reference(&row.id),
            status: row.status.as_str().to_owned(),
            unit_id: row.unit_id.clone(),
            municipality: row.municipality.clone(),
            sole_holder: row.sole_holder,
            second_holder_joined: row.second_holder_id.is_some(),
            request: serde_json::to_value(&l.stored.request).unwrap_or_default(),
            decision_reason: row.decision_reason.clone(),
            document: l.document.as_ref().map(|d| DocumentSummary {
                id: d.id.clone(),
                issued_at: d.issued_at,
                revoked_at: d.revocation.as_ref().map(|r| r.at),
                revoked_by: d.revocation.as_ref().map(|r| r.as_role.clone()),
                revocation_reason: d.revocation.as_ref().map(|r| r.reason.clone()),
            }),
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A travel authorisation request as the reviewing officer sees it: the request, and its
/// parties as their identity providers vouched for them.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a1b2-0c3d-7e4f-8a9b-0c1d2e3f4a5b", "reference": "TA-0193A1B2",
    "status": "awaiting_review", "unit_id": "es-ct-abp-1", "municipality": "ES-CT-17079",
    "sole_holder": false, "second_holder_joined": true, "decision_reason": null,
    "request": {
        "minor": {"first_name": "Pau", "last_name": "Serra", "birth_date": "2016-02-29", "document_number": "47123456K"},
        "trip": {"destinations": ["PT"], "departure": "2027-04-01", "return_date": "2027-04-09"},
        "other_holder": {"kind": "invited", "name": "Núria Serra", "email": "nuria@example.org"}
    },
    "document": null, "created_at": "2026-12-07T08:30:00Z", "updated_at": "2026-12-07T19:45:00Z",
    "parties": [
        {"party": "requester", "assurance": "high",
         "identity": {"given_name": "Marc", "family_name": "Serra Pujol", "captured_at": "2026-12-07T08:30:00Z"}},
        {"party": "second_holder", "assurance": "high", "name_check": "matches",
         "identity": {"given_name": "Núria", "family_name": "Serra Vila", "birthdate": "1984-06-15",
                      "captured_at": "2026-12-07T19:45:00Z"}}
    ]
}))]
pub struct TravelReview {
    #[serde(flatten)]
    pub request: TravelView,
    /// The requester (from the request) and, once they took the invitation, the second
    /// holder, in that order.
    pub parties: Vec<PartyView>,
}

/// A party to a request: the identity claims its sign-in gave, at which level and when.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "party": "second_holder", "assurance": "high", "name_check": "matches",
    "identity": {"given_name": "Jordi", "family_name": "Puig Ferrer", "birthdate": "1980-03-02",
                 "captured_at": "2026-12-01T18:02:00Z"}
}))]
pub struct PartyView {
    /// `requester` or `second_holder`.
    pub party: String,
    /// The eIDAS level of assurance of the sign-in (`high`).
    pub assurance: String,
    /// The claims (a claim the provider did not give is absent), and when they were
    /// captured: the request's creation, or the taking of the invitation.
    pub identity: crate::routes::backoffice::types::ComplainantView,
    /// For the second holder of an invited request: `matches` when every word of the name
    /// the requester gave is among the names the provider vouched for, the family name
    /// included (compared without case or accents); `differs` otherwise (check before
    /// approving: the link may have been taken by someone else); `unknown` when the
    /// provider gave no name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_check: Option<String>,
}

impl TravelReview {
    pub fn of(loaded: &Loaded, parties: &[crate::app::travel::PartyClaims]) -> Self {
        TravelReview {
            request: TravelView::from(loaded),
            parties: parties
                .iter()
                .map(|p| PartyView {
                    party: p.party.as_str().to_owned(),
                    assurance: p.assurance.clone(),
                    identity: crate::routes::backoffice::types::ComplainantView::of(
                        &p.identity,
                        p.captured_at,
                    ),
                    name_check: p.name_check.map(|c| c.as_str().to_owned()),
                })
                .collect(),
        }
    }
}

/// An issued authorisation: its credential (the QR code's content) and validity.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "7a1c2a3e-8d7b-4c5a-9e0f-1a2b3c4d5e6f", "status": "valid",
    "credential": "eyJhbGciOiJFZERTQSIsImtpZCI6IjNmMmM5YTQxZDA3YjhlNTUiLCJ0eXAiOiJKV1QifQ.eyJ...In0.Q2x...Zw",
    "issued_at": "2026-12-02T09:00:00Z", "valid_from": "2026-12-20", "valid_until": "2027-01-06"
}))]
pub struct TravelDocument {
    /// The document's id (the credential's `jti`).
    pub id: String,
    /// `valid`, `revoked`, `expired` or `not_yet_valid`, as the online check answers now.
    pub status: String,
    /// A compact JWS (EdDSA): what the PDF's QR code holds.
    pub credential: String,
    pub issued_at: DateTime<Utc>,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
}

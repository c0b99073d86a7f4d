//! The request and response types of a citizen's filings, as the contract shows them,
//! and their conversions to and from the domain's.

use chrono::{DateTime, FixedOffset, Utc};
use domain::filing as model;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// The place of the facts, in any combination.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceInput {
    /// Municipality id (`BE-25121`), or its code with `country`.
    pub municipality: Option<String>,
    pub postal_code: Option<String>,
    /// Country of `postal_code` / `municipality`: BE, LU, FR, ES-CT.
    pub country: Option<String>,
    /// WGS84 latitude, degrees.
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub lat: Option<f64>,
    /// WGS84 longitude, degrees.
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub lon: Option<f64>,
    /// The radius of the position's uncertainty, in metres, as the phone's location API
    /// reports it: routing asks the citizen to choose only when this circle crosses a
    /// border between units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0.0)]
    pub accuracy_m: Option<f64>,
    /// Street, landmark, public-transport line: free text for the officer.
    #[schema(max_length = 500)]
    pub description: Option<String>,
}

/// When the facts happened: an instant, or an interval when unsure.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FactsDate {
    pub from: DateTime<FixedOffset>,
    pub until: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    #[schema(max_length = 254)]
    pub email: Option<String>,
    #[schema(max_length = 30)]
    pub phone: Option<String>,
    /// Postal address for a confirmation by post.
    #[schema(max_length = 500)]
    pub postal_address: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmationChannel {
    Email,
    Post,
    /// In the app: the notification feed is the confirmation (no e-mail, no letter).
    App,
}

/// A new draft. Everything but the procedure and the country may come later, by PATCH.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "procedure": "bicycle_theft", "country": "BE",
    "place": {"lat": 50.6730, "lon": 4.5687, "description": "Bicycle rack of the station"},
    "facts_date": {"from": "2026-11-21T18:00:00+01:00", "until": "2026-11-21T19:30:00+01:00"},
    "answers": {"ongoing_danger": false, "injury": false, "known_author": false, "violence": false, "exploitable_traces": false},
    "facts": {"bicycle_locked": true, "circumstances": "Locked at the station rack, gone when I came back.",
              "items": [{"category": "bicycle", "brand": "Gazelle", "serial_number": "GZ12345678", "colour": "blue"}]},
    "contact": {"email": "alice@example.org"}, "confirmation_channel": "email", "language": "fr"
}))]
pub struct NewFiling {
    pub procedure: String,
    pub country: String,
    pub place: Option<PlaceInput>,
    pub facts_date: Option<FactsDate>,
    /// Eligibility answers (see the procedure's questionnaire).
    #[schema(value_type = Option<Object>)]
    pub answers: Option<BTreeMap<String, serde_json::Value>>,
    /// The facts, per the procedure's `form_schema` (items included).
    #[schema(value_type = Option<Object>)]
    pub facts: Option<serde_json::Value>,
    pub contact: Option<ContactInput>,
    pub confirmation_channel: Option<ConfirmationChannel>,
    /// Language of the confirmation: fr, nl, de, en, es, ca.
    pub language: Option<String>,
}

/// Changes to a draft; absent members stay as they are. Status, unit and reference are
/// not settable: sending them is an error.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"place": {"municipality": "BE-25121"}}))]
pub struct FilingChanges {
    pub place: Option<PlaceInput>,
    pub facts_date: Option<FactsDate>,
    #[schema(value_type = Option<Object>)]
    pub answers: Option<BTreeMap<String, serde_json::Value>>,
    #[schema(value_type = Option<Object>)]
    pub facts: Option<serde_json::Value>,
    pub contact: Option<ContactInput>,
    pub confirmation_channel: Option<ConfirmationChannel>,
    pub language: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NamedRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EligibilityView {
    /// `eligible`, `not_eligible` or `incomplete` (answers missing).
    pub outcome: String,
    pub reasons: Vec<FilingReason>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FilingReason {
    pub code: String,
    pub explanation: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoutingView {
    /// `routed`, `national`, `ambiguous`, `out_of_area`, `no_unit` or `incomplete` (no place yet).
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<NamedRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub municipality: Option<NamedRef>,
    /// For `ambiguous`: the municipalities to choose from (set `place.municipality`).
    pub candidates: Vec<NamedRef>,
    /// Whether the unit is open now, and when it next opens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_open_now: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_next_opening: Option<DateTime<Utc>>,
    /// How to reach the unit: where to go when the case cannot be filed online, or after a
    /// decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_contact: Option<crate::routes::directory::ContactView>,
    /// Made on a zone's website about a place in another unit's area: says that the
    /// filing goes to that unit, not to the site's zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(
        example = "You are filing on the website of Zone Ottignies-Louvain-la-Neuve, but the facts happened in the area of Zone Namur Capitale: Zone Namur Capitale will process your filing."
    )]
    pub channel_notice: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    pub status: String,
    pub label: String,
    /// What the status means for the citizen, in their language.
    pub explanation: String,
}

/// A filing as its author sees it: no officer-only data.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "6f1c2a3e-8d7b-4c5a-9e0f-1a2b3c4d5e6f", "procedure": "bicycle_theft",
    "procedure_name": "Plainte pour vol de vélo", "status": "submitted", "status_label": "Envoyé",
    "reference": "EC-2026-7K2Q-9XHM-C", "country": "BE", "declarant": "person", "language": "fr",
    "place": {"lat": 50.673, "lon": 4.5687}, "facts": {}, "answers": {}, "contact": {"email": "alice@example.org"},
    "confirmation_channel": "email", "created_at": "2026-11-22T10:00:00Z", "updated_at": "2026-11-22T10:05:00Z",
    "submitted_at": "2026-11-22T10:05:00Z", "channel": "app",
    "eligibility": {"outcome": "eligible", "reasons": []},
    "routing": {"outcome": "routed", "unit": {"id": "zp-ottignies-louvain-la-neuve", "name": "ZP Ottignies-Louvain-la-Neuve"},
                "municipality": {"id": "BE-25121", "name": "Ottignies-Louvain-la-Neuve"}, "candidates": [], "unit_open_now": false,
                "unit_next_opening": "2026-11-23T07:00:00Z"},
    "next_steps": "Votre plainte est transmise à l'unité de police du lieu du vol...",
    "history": [{"at": "2026-11-22T10:00:00Z", "status": "draft", "label": "Brouillon",
                 "explanation": "Vous avez commencé cette déclaration ; elle n'a pas encore été envoyée à la police."}],
    "exchanges": [],
    "app_notifications": true,
    "timeline": {"late": false, "steps": [
        {"step": "taken_in_charge", "label": "Un agent de l'unité prend votre dépôt en charge", "expected_by": "2026-11-23T15:00:00Z", "late": false},
        {"step": "decision", "label": "L'unité décide : votre plainte est enregistrée, ou l'on vous dit pourquoi pas et où vous adresser", "expected_by": "2026-11-26T15:00:00Z", "late": false}],
        "target": {"take_in_charge_hours": 8, "decision_hours": 24},
        "service_hours": "mo-fr 08:00-16:00", "time_zone": "Europe/Brussels", "service_hours_are_default": true},
    "version": 2
}))]
pub struct FilingView {
    pub id: String,
    pub procedure: String,
    pub procedure_name: String,
    pub status: String,
    pub status_label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub country: String,
    pub declarant: String,
    pub language: String,
    pub place: PlaceInput,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facts_date: Option<FactsDate>,
    #[schema(value_type = Object)]
    pub facts: serde_json::Value,
    #[schema(value_type = Object)]
    pub answers: serde_json::Value,
    pub contact: ContactInput,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmation_channel: Option<ConfirmationChannel>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<DateTime<Utc>>,
    /// The front door it was made through: `app` (the police app), or the id of the
    /// partner that acted for the citizen (a portal, a zone's website).
    #[schema(example = "app")]
    pub channel: String,
    /// The eligibility of the case as it stands (the recap).
    pub eligibility: EligibilityView,
    /// Where it goes (the recap), or where it went once submitted.
    pub routing: RoutingView,
    /// What happens next, for the citizen.
    pub next_steps: String,
    pub history: Vec<HistoryEntry>,
    /// A question of the officer, to answer with `POST /v1/filings/{id}/answers`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info_request: Option<String>,
    /// The citizen's answer to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info_answer: Option<String>,
    /// Every round of questions from the unit and answers, oldest first (the last one is
    /// `info_request` / `info_answer`).
    pub exchanges: Vec<ExchangeView>,
    /// The official record number, once registered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_number: Option<String>,
    /// Why it was rejected or redirected, and where to go.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    /// Whether the filing's notifications reach the app (`PATCH .../preferences`).
    pub app_notifications: bool,
    /// Once submitted: the steps still to come, each with the date by which it is
    /// expected, and whether the filing is late.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<crate::routes::notifications::TimelineView>,
    /// Once rejected, redirected or closed: the reason, how to ask for a review and by
    /// when, and the victim-support services of the country.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_of_case: Option<crate::routes::notifications::EndOfCaseView>,
    /// The version, also the `ETag`; send it in `If-Match` to change a draft.
    pub version: i64,
}

/// One round: the unit's question and the citizen's answer, once given.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"question": "Could you give the frame number of the bicycle?", "asked_at": "2026-11-22T11:00:00Z",
    "answer": "WBK12345678", "answered_at": "2026-11-22T18:30:00Z"}))]
pub struct ExchangeView {
    pub question: String,
    pub asked_at: DateTime<Utc>,
    /// Absent while the question waits for its answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered_at: Option<DateTime<Utc>>,
    /// The pseudonymous id of the officer who asked (in the officers' view only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asked_by: Option<String>,
}

impl ExchangeView {
    /// The round as the citizen sees it (`officer`: as the unit sees it, with who asked).
    pub fn of(exchange: &domain::filing::Exchange, officer: bool) -> Self {
        ExchangeView {
            question: exchange.question.clone(),
            asked_at: exchange.asked_at,
            answer: exchange.answer.clone(),
            answered_at: exchange.answered_at,
            asked_by: officer
                .then(|| exchange.asked_by.clone())
                .filter(|a| !a.is_empty()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [], "next_cursor": null}))]
pub struct FilingList {
    pub items: Vec<FilingSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FilingSummary {
    pub id: String,
    pub procedure: String,
    pub procedure_name: String,
    pub status: String,
    pub status_label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<DateTime<Utc>>,
    /// `app`, or the id of the partner it was made through.
    #[schema(example = "app")]
    pub channel: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "reference": "EC-2026-7K2Q-9XHM-C", "procedure": "bicycle_theft", "procedure_name": "Complaint for bicycle theft",
    "submitted_at": "2026-11-22T10:05:00Z", "unit": {"id": "zp-ottignies-louvain-la-neuve", "name": "ZP Ottignies-Louvain-la-Neuve"},
    "unit_contact": {"web": "https://www.police.be"}, "summary": "Complaint for bicycle theft, Ottignies-Louvain-la-Neuve, 2026-11-21",
    "items": 1, "declared_items": [{"brand": "Gazelle", "category": "bicycle", "serial_number": "GZ12345678"}],
    "follow_up": "Quote the reference EC-2026-7K2Q-9XHM-C in any contact about this filing.",
    "emergency_numbers": ["101", "112"], "language": "en",
    "credential": "eyJ0eXAiOiJKV1QiLCJhbGciOiJFZERTQSIsImtpZCI6IjNmMmM5YTQxZDA3YjhlNTUifQ.eyJ...fQ.Zm9v...YmFy"
}))]
pub struct Receipt {
    pub reference: String,
    pub procedure: String,
    pub procedure_name: String,
    pub submitted_at: DateTime<Utc>,
    pub unit: NamedRef,
    pub unit_contact: crate::routes::directory::ContactView,
    /// The official record number, once the unit registered the filing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_number: Option<String>,
    /// One line: what, where, when.
    pub summary: String,
    /// How many objects are listed.
    pub items: usize,
    /// The declared items, as an insurer needs them: category, brand, model and the
    /// serial, frame or IMEI number. The credential's `items_sha256` is the SHA-256 of
    /// this list as compact JSON with sorted members (docs/DOCUMENTS.md).
    pub declared_items: Vec<ReceiptItem>,
    pub follow_up: String,
    pub emergency_numbers: Vec<String>,
    pub language: String,
    /// The expected timeline: the steps still to come with their dates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<crate::routes::notifications::TimelineView>,
    /// The signed credential the PDF's QR code carries (a compact JWS): check it at
    /// `POST /v1/credentials/verify`, or offline with the keys of
    /// `GET /v1/credentials/keys`.
    pub credential: String,
}

/// A declared item on the receipt (members in alphabetical order, absent ones left out).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReceiptItem {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    /// The item's category code.
    #[schema(example = "bicycle")]
    pub category: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The serial, frame or IMEI number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
}

impl From<domain::credentials::ListedItem> for ReceiptItem {
    fn from(item: domain::credentials::ListedItem) -> Self {
        Self {
            brand: item.brand,
            category: item.category,
            model: item.model,
            serial_number: item.serial_number,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only filings in this status.
    pub status: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    pub lang: Option<String>,
}

/// `?format=` of the receipt.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReceiptQuery {
    /// `json` (default) or `pdf`; without it, the `Accept` header decides.
    pub format: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"message": "The frame number is GZ12345678."}))]
pub struct InfoAnswer {
    /// The answer to the officer's question (at most 4000 characters).
    #[schema(min_length = 1, max_length = 4000)]
    pub message: String,
}

/// A decision on a filing, as the citizen sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Decision {
    pub reason_code: String,
    pub explanation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub where_to_go: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_unit: Option<String>,
}

impl From<&model::Decision> for Decision {
    fn from(d: &model::Decision) -> Self {
        Decision {
            reason_code: d.reason_code.clone(),
            explanation: d.explanation.clone(),
            where_to_go: d.where_to_go.clone(),
            target_unit: d.target_unit.clone(),
        }
    }
}

impl From<PlaceInput> for model::PlaceInput {
    fn from(p: PlaceInput) -> Self {
        model::PlaceInput {
            municipality: p.municipality,
            postal_code: p.postal_code,
            country: p.country,
            lat: p.lat,
            lon: p.lon,
            accuracy_m: p.accuracy_m,
            description: p.description,
        }
    }
}

impl From<&model::PlaceOfFacts> for PlaceInput {
    fn from(p: &model::PlaceOfFacts) -> Self {
        PlaceInput {
            municipality: p.municipality.clone(),
            postal_code: p.postal_code.clone(),
            country: p.country.map(|c| c.as_str().to_owned()),
            lat: p.lat,
            lon: p.lon,
            accuracy_m: p.accuracy_m,
            description: p.description.clone(),
        }
    }
}

impl From<FactsDate> for model::FactsDate {
    fn from(d: FactsDate) -> Self {
        model::FactsDate {
            from: d.from,
            until: d.until,
        }
    }
}

impl From<&model::FactsDate> for FactsDate {
    fn from(d: &model::FactsDate) -> Self {
        FactsDate {
            from: d.from,
            until: d.until,
        }
    }
}

impl From<ContactInput> for model::Contact {
    fn from(c: ContactInput) -> Self {
        model::Contact {
            email: c.email,
            phone: c.phone,
            postal_address: c.postal_address,
        }
    }
}

impl From<&model::Contact> for ContactInput {
    fn from(c: &model::Contact) -> Self {
        ContactInput {
            email: c.email.clone(),
            phone: c.phone.clone(),
            postal_address: c.postal_address.clone(),
        }
    }
}

impl From<ConfirmationChannel> for model::ConfirmationChannel {
    fn from(c: ConfirmationChannel) -> Self {
        match c {
            ConfirmationChannel::Email => model::ConfirmationChannel::Email,
            ConfirmationChannel::Post => model::ConfirmationChannel::Post,
            ConfirmationChannel::App => model::ConfirmationChannel::App,
        }
    }
}

impl From<model::ConfirmationChannel> for ConfirmationChannel {
    fn from(c: model::ConfirmationChannel) -> Self {
        match c {
            model::ConfirmationChannel::Email => ConfirmationChannel::Email,
            model::ConfirmationChannel::Post => ConfirmationChannel::Post,
            model::ConfirmationChannel::App => ConfirmationChannel::App,
        }
    }
}

impl FilingChanges {
    /// The changes as the domain's draft input.
    pub fn into_draft(self) -> model::DraftInput {
        model::DraftInput {
            place: self.place.map(Into::into),
            facts_date: self.facts_date.map(Into::into),
            answers: self.answers,
            facts: self.facts,
            contact: self.contact.map(Into::into),
            confirmation_channel: self.confirmation_channel.map(Into::into),
            language: self.language,
        }
    }
}

impl NewFiling {
    /// The new filing as the domain's input.
    pub fn into_input(self) -> model::NewFilingInput {
        let NewFiling {
            procedure,
            country,
            place,
            facts_date,
            answers,
            facts,
            contact,
            confirmation_channel,
            language,
        } = self;
        let draft = FilingChanges {
            place,
            facts_date,
            answers,
            facts,
            contact,
            confirmation_channel,
            language,
        };
        model::NewFilingInput {
            procedure,
            country,
            draft: draft.into_draft(),
        }
    }
}

/// The limits the contract shows, checked against the domain's constants.
#[cfg(test)]
mod tests {
    use domain::limits;

    #[test]
    fn the_contract_shows_the_domains_limits() {
        assert_eq!(limits::PLACE_DESCRIPTION_MAX_CHARS, 500);
        assert_eq!(limits::EMAIL_MAX_BYTES, 254);
        assert_eq!(limits::PHONE_MAX_CHARS, 30);
        assert_eq!(limits::POSTAL_ADDRESS_MAX_CHARS, 500);
        assert_eq!(limits::INFO_ANSWER_MAX_CHARS, 4000);
        assert_eq!(limits::FILINGS_PAGE_MAX, 100);
    }
}

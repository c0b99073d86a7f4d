//! Request and response bodies of the public stolen-item check.

use domain::i18n::Lang;
use domain::identifiers::IdentifierKind;
use domain::items::CheckVerdict;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The kinds of identifier the check accepts: an object's.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// A phone's IMEI (15 digits, Luhn check digit).
    Imei,
    /// A bicycle's frame number.
    FrameNumber,
    /// A manufacturer's serial number.
    SerialNumber,
    /// An engraving code (MyBike, Bicycode, the owner's own).
    EngravingCode,
}

impl From<CheckKind> for IdentifierKind {
    fn from(k: CheckKind) -> Self {
        match k {
            CheckKind::Imei => IdentifierKind::Imei,
            CheckKind::FrameNumber => IdentifierKind::FrameNumber,
            CheckKind::SerialNumber => IdentifierKind::SerialNumber,
            CheckKind::EngravingCode => IdentifierKind::EngravingCode,
        }
    }
}

/// What to check.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "frame_number", "identifier": "WTU 123-456 X"}))]
pub struct ItemCheckRequest {
    pub kind: CheckKind,
    /// As written on the object: spaces, dashes and case do not matter.
    #[schema(min_length = 1, max_length = 128, example = "WTU 123-456 X")]
    pub identifier: String,
}

/// The answer: the same members whether the object is reported or not, and whoever
/// reported it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"reported": true, "since": "2026-11", "category": "bicycle",
    "advice": "This object is reported stolen. Do not buy or accept it; tell the police where you saw it (call 112 if the seller is there now)."}))]
pub struct ItemCheck {
    /// Whether a theft of this object is reported and not resolved.
    pub reported: bool,
    /// The month of the first report (`YYYY-MM`, UTC); null when not reported.
    #[schema(example = "2026-11", pattern = r"^\d{4}-(0[1-9]|1[0-2])$")]
    pub since: Option<String>,
    /// The kind of object (an `item_category` code of the catalogue); null when not
    /// reported.
    #[schema(example = "bicycle", max_length = 40)]
    pub category: Option<String>,
    /// What to do, in the request's language.
    #[schema(max_length = 500)]
    pub advice: String,
}

impl ItemCheck {
    pub fn of(verdict: CheckVerdict, lang: Lang) -> Self {
        let key = if verdict.reported {
            "item_check.reported"
        } else {
            "item_check.not_reported"
        };
        let advice = crate::i18n::texts()
            .get(lang, key)
            .unwrap_or_default()
            .to_owned();
        ItemCheck {
            reported: verdict.reported,
            since: verdict.since,
            category: verdict.category,
            advice,
        }
    }
}

/// A filing linked by a shared identifier. `visible: false`: another unit's filing, of
/// which only the unit, the reference and the day it was submitted are shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"visible": false, "unit": "fr-ofac-thesee", "reference": "EC-2026-V93G-73VK-Z",
    "since": "2026-10-02", "explanation": "same IBAN"}))]
pub struct LinkView {
    pub visible: bool,
    /// The filing's id (visible links only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filing_id: Option<String>,
    pub unit: Option<String>,
    pub reference: Option<String>,
    /// The day it was submitted (UTC).
    #[schema(value_type = Option<String>, format = Date)]
    pub since: Option<chrono::NaiveDate>,
    /// The procedure and status (visible links only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub procedure: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Why it is linked: "same IBAN", "same frame number".
    #[schema(example = "same IBAN")]
    pub explanation: String,
}

impl LinkView {
    pub fn of(link: domain::items::links::Link) -> Self {
        use domain::items::links::Link;
        match link {
            Link::Visible {
                filing_id,
                unit,
                reference,
                procedure,
                status,
                submitted_at,
                explanation,
            } => LinkView {
                visible: true,
                filing_id: Some(filing_id),
                unit,
                reference,
                since: submitted_at.map(|t| t.date_naive()),
                procedure: Some(procedure),
                status: Some(status),
                explanation,
            },
            Link::Restricted {
                unit,
                reference,
                since,
                explanation,
                ..
            } => LinkView {
                visible: false,
                filing_id: None,
                unit,
                reference,
                since,
                procedure: None,
                status: None,
                explanation,
            },
        }
    }
}

/// The filings linked to a filing.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"items": [
    {"visible": true, "filing_id": "0b7c2f1e-5d4a-4c1b-9a0e-2f6d8c9b1a3e", "unit": "fr-ofac-thesee",
     "reference": "EC-2026-7K2Q-9XHM-C", "since": "2026-10-02", "procedure": "online_scam",
     "status": "registered", "explanation": "same IBAN and phone number"},
    {"visible": false, "unit": "zp-wavre", "reference": "EC-2026-8M3R-2JKP-4",
     "since": "2026-11-14", "explanation": "same IBAN"}]}))]
pub struct Links {
    pub items: Vec<LinkView>,
}

/// A lost-and-found candidate.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"item_position": 0, "visible": true, "filing_id": "0b7c2f1e-5d4a-4c1b-9a0e-2f6d8c9b1a3e", "item": 0,
    "unit": "lu-e-commissariat", "reference": "EC-2026-V93G-73VK-Z", "role": "lost",
    "category": "bicycle", "score": 0.86, "certain": false,
    "explanation": "same brand and colour, 300 m and 2 days apart"}))]
pub struct MatchView {
    /// Which of this filing's items it is a candidate for.
    pub item_position: i32,
    pub visible: bool,
    /// The candidate's filing and item (visible candidates only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filing_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<i32>,
    pub unit: Option<String>,
    pub reference: Option<String>,
    /// `lost`, `stolen` or `found`.
    pub role: String,
    pub category: String,
    /// 0 to 1; 1: the same identifier.
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub score: f64,
    pub certain: bool,
    pub explanation: String,
}

impl MatchView {
    pub fn of(p: crate::app::items::Proposal) -> Self {
        let visible = p.visible;
        MatchView {
            item_position: p.position,
            visible,
            filing_id: visible.then(|| p.candidate.filing_id.clone()),
            item: visible.then_some(p.candidate.position),
            unit: p.candidate.unit,
            reference: p.candidate.reference,
            role: p.candidate.role,
            category: p.candidate.sighting.category,
            score: (p.outcome.score * 100.0).round() / 100.0,
            certain: p.outcome.certain,
            explanation: p.outcome.explanation(),
        }
    }
}

/// The candidates of a filing's items.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"item_position": 0, "visible": true,
    "filing_id": "0b7c2f1e-5d4a-4c1b-9a0e-2f6d8c9b1a3e", "item": 0, "unit": "lu-luxembourg",
    "reference": "EC-2026-7K2Q-9XHM-C", "role": "lost", "category": "wallet", "score": 0.93,
    "certain": false, "explanation": "same brand and colour, 300 m and 2 days apart, descriptions 64 % alike"}]}))]
pub struct Matches {
    pub items: Vec<MatchView>,
}

/// The clusters' query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClusterQuery {
    /// The fewest filings a cluster holds (default 2).
    #[param(minimum = 2, maximum = 1000)]
    pub min_filings: Option<i64>,
}

/// An identifier shared by several filings.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"kind": "iban", "identifier": "FR7630006000011234567890189",
    "filings": 12, "units": {"fr-ofac-thesee": 12}}))]
pub struct ClusterView {
    /// The kind of identifier (`iban`, `phone`, `frame_number`, …).
    pub kind: String,
    /// Its normalised form.
    pub identifier: String,
    pub filings: usize,
    /// Filings per unit.
    pub units: std::collections::BTreeMap<String, usize>,
}

impl ClusterView {
    pub fn of(c: domain::items::links::Cluster) -> Self {
        ClusterView {
            kind: c.kind.to_string(),
            identifier: c.identifier,
            filings: c.filings,
            units: c.units,
        }
    }
}

/// A unit's clusters.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"kind": "iban", "identifier": "FR7630006000011234567890189",
    "filings": 12, "units": {"fr-ofac-thesee": 12}}]}))]
pub struct Clusters {
    pub items: Vec<ClusterView>,
}

/// Which lost or stolen object's filing the found object goes back to.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"lost_filing_id": "0b7c2f1e-5d4a-4c1b-9a0e-2f6d8c9b1a3e"}))]
pub struct HandBack {
    #[schema(min_length = 1, max_length = 64)]
    pub lost_filing_id: String,
}

/// The hand-back done.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"recovered_items": 2}))]
pub struct HandedBack {
    /// The items marked recovered: the found items and the owner's items they match.
    pub recovered_items: usize,
}

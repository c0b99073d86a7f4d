//! Request and response bodies of the discreet alert.

use chrono::{DateTime, Utc};
use domain::alerts::{AlertKind, Position};
use persistence::alerts::{StoredAlert, TrackPoint};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What the citizen is alerting about.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertKindCode {
    Harassment,
    Following,
    DomesticViolence,
    Other,
}

impl From<AlertKindCode> for AlertKind {
    fn from(k: AlertKindCode) -> Self {
        match k {
            AlertKindCode::Harassment => AlertKind::Harassment,
            AlertKindCode::Following => AlertKind::Following,
            AlertKindCode::DomesticViolence => AlertKind::DomesticViolence,
            AlertKindCode::Other => AlertKind::Other,
        }
    }
}

/// A position of the phone (WGS84) with its uncertainty radius in metres (68 %), as the
/// phone's location API gives it.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"lat": 50.8466, "lon": 4.3528, "accuracy_m": 25.0}))]
pub struct PositionBody {
    /// Latitude, degrees.
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub lat: f64,
    /// Longitude, degrees.
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub lon: f64,
    /// Uncertainty radius, metres.
    #[schema(minimum = 0.0, maximum = 10000.0)]
    pub accuracy_m: Option<f64>,
}

impl From<&PositionBody> for Position {
    fn from(p: &PositionBody) -> Self {
        Position {
            lat: p.lat,
            lon: p.lon,
            accuracy_m: p.accuracy_m,
        }
    }
}

/// A discreet alert.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "harassment", "position": {"lat": 50.8466, "lon": 4.3528, "accuracy_m": 25.0},
    "text": "Man in grey coat, line 1 towards Stockel, last car"}))]
pub struct RaiseAlert {
    pub kind: AlertKindCode,
    pub position: PositionBody,
    /// A short text for the officers (at most 280 characters).
    #[schema(max_length = 280)]
    pub text: Option<String>,
}

/// The citizen's minimal answer: the alert's id and status.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a5b2-7c1d-7e2f-8a3b-4c5d6e7f8091", "status": "raised"}))]
pub struct AlertReceipt {
    pub id: String,
    /// `raised`, `acknowledged`, `cancelled`, `closed` or `abusive`.
    pub status: String,
}

/// The citizen's cancel code.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "4711"}))]
pub struct CancelCodeBody {
    /// 4 to 12 digits.
    #[schema(pattern = "^[0-9]{4,12}$", min_length = 4, max_length = 12)]
    pub code: String,
}

/// Cancelling an alert (false alarm).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"cancel_code": "4711"}))]
pub struct CancelAlertBody {
    /// The account's cancel code.
    #[schema(max_length = 12)]
    pub cancel_code: String,
}

/// A position of the track.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrackPointView {
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: Option<f64>,
    pub recorded_at: DateTime<Utc>,
}

impl From<&TrackPoint> for TrackPointView {
    fn from(t: &TrackPoint) -> Self {
        TrackPointView {
            lat: t.position.lat,
            lon: t.position.lon,
            accuracy_m: t.position.accuracy_m,
            recorded_at: t.recorded_at,
        }
    }
}

/// An alert as the officers see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a5b2-7c1d-7e2f-8a3b-4c5d6e7f8091", "kind": "harassment",
    "text": "Man in grey coat, line 1 towards Stockel, last car", "status": "acknowledged",
    "unit_id": "pz-brussel-hoofdstad-elsene", "first_unit_id": "pz-brussel-hoofdstad-elsene",
    "raised_at": "2026-12-02T08:15:02Z", "acknowledged_at": "2026-12-02T08:15:20Z", "acknowledged_by": "o-17",
    "track": [{"lat": 50.8466, "lon": 4.3528, "accuracy_m": 25.0, "recorded_at": "2026-12-02T08:15:02Z"}]}))]
pub struct OfficerAlertView {
    pub id: String,
    /// `harassment`, `following`, `domestic_violence` or `other`.
    pub kind: String,
    pub text: Option<String>,
    /// `raised`, `acknowledged`, `cancelled`, `closed` or `abusive`.
    pub status: String,
    /// The unit holding the alert.
    pub unit_id: String,
    /// The unit it was first routed to (another one after an escalation).
    pub first_unit_id: String,
    pub raised_at: DateTime<Utc>,
    pub escalated_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
    pub ended_at: Option<DateTime<Utc>>,
    /// The positions, oldest first (on the stream: the newest only).
    pub track: Vec<TrackPointView>,
}

impl OfficerAlertView {
    pub fn of(alert: &StoredAlert, track: &[TrackPoint]) -> Self {
        OfficerAlertView {
            id: alert.id.clone(),
            kind: alert.kind.as_str().to_owned(),
            text: alert.text.clone(),
            status: alert.status.as_str().to_owned(),
            unit_id: alert.unit.clone(),
            first_unit_id: alert.first_unit.clone(),
            raised_at: alert.raised_at,
            escalated_at: alert.escalated_at,
            acknowledged_at: alert.acknowledged_at,
            acknowledged_by: alert.acknowledged_by.clone(),
            ended_at: alert.ended_at,
            track: track.iter().map(TrackPointView::from).collect(),
        }
    }
}

/// One event of an alert stream (the `data` of a Server-Sent Event).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AlertStreamEvent {
    /// `raised`, `escalated_in`, `escalated_out`, `position`, `acknowledged`,
    /// `cancelled`, `closed`, `flagged_abusive` (the citizen's stream: the last four).
    pub event: String,
    pub alert_id: String,
    pub at: DateTime<Utc>,
    /// The officers' stream only: the alert now, with its newest position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert: Option<OfficerAlertView>,
}

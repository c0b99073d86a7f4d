//! The discreet alert (issue 17): a citizen who cannot call (harassed in the metro,
//! followed, at home with a violent partner) alerts the police in writing. The alert is
//! routed by its position to the unit that covers the place, whose on-duty officers
//! receive it at once and acknowledge it; unacknowledged, it escalates to the country's
//! fallback unit. Unlike the chat, every alert and every action on it is recorded and
//! audited.
//!
//! Pure rules: what an alert may carry, which unit it goes to, the life of an alert
//! (who may do what in which status), when it escalates, and the per-citizen rate limit.
//! Times are given (`now`), never read.

use crate::audit::{Actor, ActorRole, AuditEvent, AuditOperation};
use crate::catalogue::Country;
use crate::directory::Routing;
use crate::forms::{Accepted, FieldIssue};
use chrono::{DateTime, Duration, Utc};

code_enum!(
    /// What the citizen is alerting about.
    AlertKind, "alert kind", {
        Harassment => "harassment",
        Following => "following",
        DomesticViolence => "domestic_violence",
        Other => "other",
    }
);

code_enum!(
    /// Where an alert is. `raised` and `acknowledged` are active (positions are
    /// accepted, officers follow it); the others are final.
    AlertStatus, "alert status", {
        /// Sent; no officer has acknowledged it yet.
        Raised => "raised",
        /// An officer of the unit holding it has acknowledged it.
        Acknowledged => "acknowledged",
        /// The citizen cancelled it with their cancel code (false alarm).
        Cancelled => "cancelled",
        /// An officer closed it (dealt with).
        Closed => "closed",
        /// An officer flagged it as abusive (counts against the citizen's limits).
        Abusive => "abusive",
    }
);

impl AlertStatus {
    /// Whether the alert is still running.
    pub fn is_active(self) -> bool {
        matches!(self, AlertStatus::Raised | AlertStatus::Acknowledged)
    }
}

code_enum!(
    /// What happened to an alert, as the officers' and the citizen's streams carry it.
    AlertEventKind, "alert event", {
        /// The alert reached the unit (first routing).
        Raised => "raised",
        /// The alert reached the unit by escalation from another unit.
        EscalatedIn => "escalated_in",
        /// The alert left the unit by escalation (nobody acknowledged in time).
        EscalatedOut => "escalated_out",
        /// A new position.
        Position => "position",
        Acknowledged => "acknowledged",
        Cancelled => "cancelled",
        Closed => "closed",
        FlaggedAbusive => "flagged_abusive",
    }
);

impl AlertEventKind {
    /// Whether the citizen's stream shows it (the citizen's side stays quiet: only the
    /// acknowledgement and the end).
    pub fn for_citizen(self) -> bool {
        matches!(
            self,
            AlertEventKind::Acknowledged
                | AlertEventKind::Cancelled
                | AlertEventKind::Closed
                | AlertEventKind::FlaggedAbusive
        )
    }
}

/// The short text of an alert, in characters.
pub const TEXT_MAX_CHARS: usize = 280;
/// The largest accepted position uncertainty, in metres.
pub const ACCURACY_MAX_M: f64 = 10_000.0;
/// A cancel code: this many digits at least...
pub const CANCEL_CODE_MIN_DIGITS: usize = 4;
/// ... and at most.
pub const CANCEL_CODE_MAX_DIGITS: usize = 12;
/// Wrong cancel codes tried on one alert before cancelling is refused for it (a 4-digit
/// code cannot be guessed by whoever holds the phone).
pub const CANCEL_ATTEMPTS_MAX: i32 = 5;

/// A position of the citizen's phone (WGS84), with its uncertainty radius in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: Option<f64>,
}

fn number(v: f64) -> Option<serde_json::Number> {
    serde_json::Number::from_f64(v)
}

impl Position {
    /// Field issues of the position, with pointers under `prefix` (`/position` or ``).
    pub fn check(&self, prefix: &str) -> Vec<FieldIssue> {
        let mut issues = Vec::new();
        let range = |pointer: String, min: f64, max: f64| {
            FieldIssue::new(pointer, "out_of_range").with(Accepted {
                minimum: number(min),
                maximum: number(max),
                ..Accepted::default()
            })
        };
        if !(self.lat.is_finite() && (-90.0..=90.0).contains(&self.lat)) {
            issues.push(range(format!("{prefix}/lat"), -90.0, 90.0));
        }
        if !(self.lon.is_finite() && (-180.0..=180.0).contains(&self.lon)) {
            issues.push(range(format!("{prefix}/lon"), -180.0, 180.0));
        }
        if self
            .accuracy_m
            .is_some_and(|a| !(a.is_finite() && (0.0..=ACCURACY_MAX_M).contains(&a)))
        {
            issues.push(range(format!("{prefix}/accuracy_m"), 0.0, ACCURACY_MAX_M));
        }
        issues
    }
}

/// What a citizen sends to raise an alert.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertInput {
    pub kind: AlertKind,
    pub position: Position,
    pub text: Option<String>,
}

impl AlertInput {
    /// Field issues: the position's ranges, the text's length (an empty text is no text).
    pub fn check(&self) -> Vec<FieldIssue> {
        let mut issues = self.position.check("/position");
        if self
            .text
            .as_deref()
            .is_some_and(|t| t.chars().count() > TEXT_MAX_CHARS)
        {
            issues.push(FieldIssue::new("/text", "too_long").with(Accepted {
                max_length: Some(TEXT_MAX_CHARS as u64),
                ..Accepted::default()
            }));
        }
        issues
    }
}

/// Field issues of a cancel code: digits only, 4 to 12 of them.
pub fn check_cancel_code(code: &str, pointer: &str) -> Vec<FieldIssue> {
    let digits = code.chars().count();
    if code.chars().all(|c| c.is_ascii_digit())
        && (CANCEL_CODE_MIN_DIGITS..=CANCEL_CODE_MAX_DIGITS).contains(&digits)
    {
        Vec::new()
    } else {
        vec![
            FieldIssue::new(pointer, "invalid_cancel_code").with(Accepted {
                min_length: Some(CANCEL_CODE_MIN_DIGITS as u64),
                max_length: Some(CANCEL_CODE_MAX_DIGITS as u64),
                ..Accepted::default()
            }),
        ]
    }
}

/// The unit an alert goes to, from the directory's routing of its position:
/// - routed (or a national competence): that unit;
/// - near a border between units: the most likely candidate that has a unit (an alert
///   cannot wait for the citizen to choose; the unit sees the position and the fallback
///   escalation still applies);
/// - a place the directory knows but no unit serves, or a country it covers without
///   data for the place: the country's fallback unit (`fallback`);
/// - anywhere else: `None` (the service cannot help; the citizen is told to call 112).
pub fn competent_unit(
    routing: &Routing,
    fallback: impl Fn(Country) -> Option<String>,
) -> Option<String> {
    match routing {
        Routing::Routed { unit, .. } | Routing::National { unit } => Some(unit.clone()),
        Routing::Ambiguous { candidates, .. } => {
            candidates.iter().find_map(|c| c.unit.clone()).or_else(|| {
                candidates
                    .iter()
                    .find_map(|c| c.municipality.country())
                    .and_then(&fallback)
            })
        }
        Routing::NoUnit { municipality } => municipality.country().and_then(fallback),
        Routing::OutOfArea { country } => country.and_then(fallback),
    }
}

/// Why an action on an alert is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlertError {
    /// The alert is over (cancelled, closed, abusive): nothing more can be done.
    #[error("the alert is {0}")]
    NotActive(AlertStatus),
    /// The citizen has not set a cancel code (`PUT /v1/alert-cancel-code`).
    #[error("no cancel code is set")]
    NoCancelCode,
    /// The cancel code is wrong.
    #[error("wrong cancel code")]
    WrongCancelCode,
    /// Too many wrong cancel codes on this alert: it can only be closed by an officer.
    #[error("too many wrong cancel codes")]
    CancelLocked,
    /// Closing or flagging an alert nobody acknowledged.
    #[error("acknowledge the alert first")]
    NotAcknowledged,
}

impl AlertError {
    /// The stable problem code.
    pub fn code(&self) -> &'static str {
        match self {
            AlertError::NotActive(_) => "alert_not_active",
            AlertError::NoCancelCode => "alert_cancel_code_not_set",
            AlertError::WrongCancelCode => "alert_cancel_code_wrong",
            AlertError::CancelLocked => "alert_cancel_locked",
            AlertError::NotAcknowledged => "alert_not_acknowledged",
        }
    }

    /// Every code above.
    pub const CODES: [&'static str; 5] = [
        "alert_not_active",
        "alert_cancel_code_not_set",
        "alert_cancel_code_wrong",
        "alert_cancel_locked",
        "alert_not_acknowledged",
    ];
}

code_enum!(
    /// What an officer of the holding unit does to an alert.
    OfficerAlertAction, "alert action", {
        Acknowledge => "acknowledge",
        Close => "close",
        FlagAbusive => "flag_abusive",
    }
);

/// The state of an alert the rules need.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertState {
    pub id: String,
    pub status: AlertStatus,
    pub unit: String,
    /// When it reached its current unit (the acknowledgement delay runs from there).
    pub routed_at: DateTime<Utc>,
    pub escalated: bool,
    pub cancel_failures: i32,
}

/// An officer's action: the new status, the stream event and the audit event.
/// Acknowledging an acknowledged alert changes nothing (`Ok(None)`).
pub fn officer_act(
    alert: &AlertState,
    action: OfficerAlertAction,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<Option<(AlertStatus, AlertEventKind, AuditEvent)>, AlertError> {
    if !alert.status.is_active() {
        return Err(AlertError::NotActive(alert.status));
    }
    let (status, event) = match (action, alert.status) {
        (OfficerAlertAction::Acknowledge, AlertStatus::Acknowledged) => return Ok(None),
        (OfficerAlertAction::Acknowledge, _) => {
            (AlertStatus::Acknowledged, AlertEventKind::Acknowledged)
        }
        (_, AlertStatus::Raised) => return Err(AlertError::NotAcknowledged),
        (OfficerAlertAction::Close, _) => (AlertStatus::Closed, AlertEventKind::Closed),
        (OfficerAlertAction::FlagAbusive, _) => {
            (AlertStatus::Abusive, AlertEventKind::FlaggedAbusive)
        }
    };
    let audit = AuditEvent::new(
        actor,
        AuditOperation::Alteration,
        "alert",
        Some(&alert.id),
        now,
    )
    .with_action(&format!("alert_{}", action.as_str()));
    Ok(Some((status, event, audit)))
}

/// Whether the cancel code may still be tried on this alert, and that it is active.
pub fn may_try_cancel(alert: &AlertState) -> Result<(), AlertError> {
    if !alert.status.is_active() {
        return Err(AlertError::NotActive(alert.status));
    }
    if alert.cancel_failures >= CANCEL_ATTEMPTS_MAX {
        return Err(AlertError::CancelLocked);
    }
    Ok(())
}

/// Whether the alert escalates now: still unacknowledged `timeout` after it reached its
/// unit, not escalated before, and the fallback unit is another unit.
pub fn escalation_due(
    alert: &AlertState,
    fallback: Option<&str>,
    timeout: Duration,
    now: DateTime<Utc>,
) -> bool {
    alert.status == AlertStatus::Raised
        && !alert.escalated
        && now - alert.routed_at >= timeout
        && fallback.is_some_and(|f| f != alert.unit)
}

/// The audit event of an escalation, by the system.
pub fn escalation_audit(alert_id: &str, to_unit: &str, now: DateTime<Utc>) -> AuditEvent {
    let mut event = AuditEvent::new(
        Actor {
            id: "system".into(),
            role: ActorRole::System,
            unit: None,
            client_id: None,
        },
        AuditOperation::Disclosure,
        "alert",
        Some(alert_id),
        now,
    )
    .with_action("alert_escalate");
    event.recipient = Some(to_unit.to_owned());
    event
}

/// The per-citizen limit: at most `max` alerts raised in the hour before `now`. Given the
/// raising times of the citizen's alerts of the last hour, `Err(seconds)` says when the
/// next is accepted.
pub fn rate_limit(recent: &[DateTime<Utc>], max: u32, now: DateTime<Utc>) -> Result<(), i64> {
    let window = Duration::hours(1);
    let mut inside: Vec<_> = recent.iter().filter(|t| now - **t < window).collect();
    if (inside.len() as u64) < u64::from(max) {
        return Ok(());
    }
    inside.sort();
    let oldest = inside.first().map(|t| **t).unwrap_or(now);
    Err((oldest + window - now).num_seconds().max(1))
}

/// After an officer flagged one of the citizen's alerts as abusive (at `flagged_at`, the
/// latest), the citizen may raise none for `block`: `Err(seconds)` until then.
pub fn abuse_block(
    flagged_at: Option<DateTime<Utc>>,
    block: Duration,
    now: DateTime<Utc>,
) -> Result<(), i64> {
    match flagged_at {
        Some(at) if now - at < block => Err((at + block - now).num_seconds().max(1)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::{Confidence, MunicipalityId, RoutingMethod};

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap_or_default()
    }

    fn state(status: AlertStatus) -> AlertState {
        AlertState {
            id: "a".into(),
            status,
            unit: "zone".into(),
            routed_at: at(0),
            escalated: false,
            cancel_failures: 0,
        }
    }

    fn actor() -> Actor {
        Actor {
            id: "o".into(),
            role: ActorRole::Officer,
            unit: Some("zone".into()),
            client_id: None,
        }
    }

    #[test]
    fn positions_are_checked() {
        let ok = Position {
            lat: 50.6,
            lon: 4.5,
            accuracy_m: Some(20.0),
        };
        assert!(ok.check("/position").is_empty());
        let bad = Position {
            lat: 91.0,
            lon: -181.0,
            accuracy_m: Some(-1.0),
        };
        let pointers: Vec<_> = bad.check("").into_iter().map(|i| i.pointer).collect();
        assert_eq!(pointers, ["/lat", "/lon", "/accuracy_m"]);
        let nan = Position {
            lat: f64::NAN,
            lon: 0.0,
            accuracy_m: None,
        };
        assert_eq!(nan.check("").len(), 1);
    }

    #[test]
    fn texts_and_codes_are_checked() {
        let input = AlertInput {
            kind: AlertKind::Harassment,
            position: Position {
                lat: 0.0,
                lon: 0.0,
                accuracy_m: None,
            },
            text: Some("é".repeat(TEXT_MAX_CHARS)),
        };
        assert!(input.check().is_empty());
        let long = AlertInput {
            text: Some("é".repeat(TEXT_MAX_CHARS + 1)),
            ..input
        };
        assert_eq!(long.check()[0].code, "too_long");
        assert!(check_cancel_code("0427", "/code").is_empty());
        for bad in ["123", "12a4", "1234567890123", "", "١٢٣٤"] {
            assert_eq!(check_cancel_code(bad, "/code").len(), 1, "{bad}");
        }
    }

    #[test]
    fn routing_picks_a_unit_or_the_fallback() {
        let fallback = |c: Country| (c == Country::Be).then(|| "be-centre".to_owned());
        let routed = Routing::Routed {
            unit: "zone".into(),
            municipality: MunicipalityId::new(Country::Be, "25121"),
            method: RoutingMethod::Coordinates,
            confidence: Confidence::High,
        };
        assert_eq!(competent_unit(&routed, fallback).as_deref(), Some("zone"));
        let no_unit = Routing::NoUnit {
            municipality: MunicipalityId::new(Country::Be, "25121"),
        };
        assert_eq!(
            competent_unit(&no_unit, fallback).as_deref(),
            Some("be-centre")
        );
        let abroad = Routing::OutOfArea { country: None };
        assert_eq!(competent_unit(&abroad, fallback), None);
    }

    #[test]
    fn the_life_of_an_alert() {
        let raised = state(AlertStatus::Raised);
        let (status, event, audit) =
            officer_act(&raised, OfficerAlertAction::Acknowledge, actor(), at(5))
                .unwrap()
                .unwrap();
        assert_eq!(
            (status, event),
            (AlertStatus::Acknowledged, AlertEventKind::Acknowledged)
        );
        assert_eq!(audit.action, "alert_acknowledge");
        assert_eq!(
            officer_act(&raised, OfficerAlertAction::Close, actor(), at(5)),
            Err(AlertError::NotAcknowledged)
        );
        let acked = state(AlertStatus::Acknowledged);
        assert_eq!(
            officer_act(&acked, OfficerAlertAction::Acknowledge, actor(), at(5)),
            Ok(None)
        );
        let flagged = officer_act(&acked, OfficerAlertAction::FlagAbusive, actor(), at(5));
        assert_eq!(flagged.unwrap().unwrap().0, AlertStatus::Abusive);
        let over = state(AlertStatus::Cancelled);
        assert_eq!(
            officer_act(&over, OfficerAlertAction::Close, actor(), at(5)),
            Err(AlertError::NotActive(AlertStatus::Cancelled))
        );
        let mut locked = state(AlertStatus::Raised);
        locked.cancel_failures = CANCEL_ATTEMPTS_MAX;
        assert_eq!(may_try_cancel(&locked), Err(AlertError::CancelLocked));
    }

    #[test]
    fn escalation_waits_for_the_timeout_once() {
        let alert = state(AlertStatus::Raised);
        let timeout = Duration::seconds(60);
        assert!(!escalation_due(&alert, Some("centre"), timeout, at(59)));
        assert!(escalation_due(&alert, Some("centre"), timeout, at(60)));
        assert!(!escalation_due(&alert, Some("zone"), timeout, at(60)));
        assert!(!escalation_due(&alert, None, timeout, at(60)));
        let escalated = AlertState {
            escalated: true,
            ..alert.clone()
        };
        assert!(!escalation_due(
            &escalated,
            Some("centre"),
            timeout,
            at(600)
        ));
        let acked = state(AlertStatus::Acknowledged);
        assert!(!escalation_due(&acked, Some("centre"), timeout, at(600)));
    }

    #[test]
    fn rate_limit_counts_the_last_hour() {
        let recent = [at(0), at(100), at(200)];
        assert_eq!(rate_limit(&recent, 3, at(300)), Err(3300));
        assert_eq!(rate_limit(&recent, 4, at(300)), Ok(()));
        assert_eq!(rate_limit(&recent, 3, at(3600)), Ok(()));
        let day = Duration::hours(24);
        assert_eq!(abuse_block(Some(at(0)), day, at(3600)), Err(82800));
        assert_eq!(abuse_block(Some(at(0)), day, at(86400)), Ok(()));
        assert_eq!(abuse_block(None, day, at(0)), Ok(()));
    }
}

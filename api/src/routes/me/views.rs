//! The export's views, from what the use case gathered.

use super::types::*;
use crate::app::access::Export;
use crate::app::filings::Loaded;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use domain::filing::FilingStatus;
use domain::i18n::Lang;
use domain::retention::{decide, KeepReason, RetentionDecision, RetentionFacts};

/// The export in `lang`, at `now`.
pub fn export_view(
    state: &AppState,
    subject: &str,
    export: &Export,
    lang: Lang,
    now: DateTime<Utc>,
) -> PersonalDataExport {
    let filings = export
        .filings
        .iter()
        .map(|f| ExportedFilingView {
            filing: crate::routes::filings::views::filing_view(state, &f.loaded, lang, now),
            retention: retention(state, f, now),
        })
        .collect();
    let recipients = export
        .filings
        .iter()
        .flat_map(|f| {
            f.hand_overs.iter().map(|at| RecipientView {
                recipient: "records_system".into(),
                filing_id: f.loaded.filing.id.clone(),
                reference: f
                    .loaded
                    .filing
                    .reference
                    .as_ref()
                    .map(|r| r.as_str().to_owned()),
                at: *at,
            })
        })
        .collect();
    PersonalDataExport {
        generated_at: now,
        subject: subject.to_owned(),
        language: lang.to_string(),
        filings,
        notifications: export
            .notifications
            .iter()
            .map(|n| crate::routes::notifications::views::notification(state, n, lang))
            .collect(),
        appointments: export
            .appointments
            .iter()
            .map(|a| crate::routes::appointments::view(state, a, lang, None))
            .collect(),
        alerts: export.alerts.iter().map(|(a, t)| alert(a, t)).collect(),
        purposes: state
            .processing
            .purposes
            .iter()
            .map(|p| PurposeView {
                code: p.code.clone(),
                description: p.description(lang).to_owned(),
                legal_basis: p.legal_basis.clone(),
            })
            .collect(),
        recipients,
        withheld: export.withheld.then(|| {
            crate::i18n::texts()
                .get(lang, "export.withheld")
                .unwrap_or_default()
                .to_owned()
        }),
    }
}

/// The decision a closed filing was closed after, from its history.
fn decided(loaded: &Loaded) -> Option<FilingStatus> {
    loaded
        .history
        .iter()
        .rev()
        .filter_map(|h| h.to_status.parse::<FilingStatus>().ok())
        .find(|s| FilingStatus::DECIDED.contains(s))
}

fn retention(
    state: &AppState,
    f: &crate::app::access::ExportedFiling,
    now: DateTime<Utc>,
) -> FilingRetentionView {
    let filing = &f.loaded.filing;
    let decided = (filing.status == FilingStatus::Closed)
        .then(|| decided(&f.loaded))
        .flatten();
    let facts = RetentionFacts {
        procedure: &filing.procedure,
        status: filing.status,
        decided,
        last_change: filing.updated_at,
        handed_over: f.hand_overs.last().copied(),
        restricted: f.restricted,
    };
    let class = domain::retention::class_of(filing.status, decided);
    let days = class.map(|c| state.retention.periods(&filing.procedure).days(c));
    let (erasure_due, kept) = match decide(&state.retention, &facts, now) {
        RetentionDecision::Erase { due, .. } => (Some(due), None),
        RetentionDecision::Keep(KeepReason::PeriodRunning(due)) => {
            (Some(due), Some("period_running"))
        }
        RetentionDecision::Keep(KeepReason::Open) => (None, Some("open")),
        RetentionDecision::Keep(KeepReason::NotHandedOver) => (None, Some("not_handed_over")),
        RetentionDecision::Keep(KeepReason::Restricted) => (None, Some("restricted")),
    };
    FilingRetentionView {
        class: class.map(|c| c.to_string()),
        days,
        erasure_due,
        kept: kept.map(str::to_owned),
    }
}

fn alert(
    a: &persistence::alerts::StoredAlert,
    track: &[persistence::alerts::TrackPoint],
) -> ExportedAlertView {
    ExportedAlertView {
        id: a.id.clone(),
        kind: a.kind.to_string(),
        text: a.text.clone(),
        status: a.status.to_string(),
        raised_at: a.raised_at,
        acknowledged_at: a.acknowledged_at,
        ended_at: a.ended_at,
        positions: track
            .iter()
            .map(|p| PositionView {
                lat: p.position.lat,
                lon: p.position.lon,
                accuracy_m: p.position.accuracy_m,
                recorded_at: p.recorded_at,
            })
            .collect(),
    }
}

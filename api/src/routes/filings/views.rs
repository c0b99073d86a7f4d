//! A filing as its author sees it: the recap (eligibility as it stands, where it goes),
//! the history with explanations, and what happens next, in the reader's language.

use super::types::{
    Decision, EligibilityView, FilingReason, FilingSummary, FilingView, HistoryEntry, NamedRef,
    RoutingView,
};
use crate::app::filings::Loaded;
use crate::i18n::texts;
use crate::idempotency::Reply;
use crate::state::AppState;
use actix_web::http::StatusCode;
use chrono::{DateTime, Utc};
use domain::catalogue::Competence;
use domain::directory::{MunicipalityId, Routing};
use domain::eligibility::Eligibility;
use domain::filing::{Filing, FilingStatus};
use domain::i18n::Lang;
use persistence::filings as repo;

/// The `ETag` of a version.
pub fn etag(version: i64) -> String {
    format!("\"v{version}\"")
}

pub fn status_label(lang: Lang, status: FilingStatus) -> String {
    texts()
        .get(lang, &format!("filing_status.{status}"))
        .unwrap_or(status.as_str())
        .to_owned()
}

fn eligibility(state: &AppState, filing: &Filing, lang: Lang) -> EligibilityView {
    let catalogue = &state.catalogue;
    match filing.eligibility(catalogue) {
        Some(Ok(Eligibility::Eligible { .. })) => EligibilityView {
            outcome: "eligible".into(),
            reasons: Vec::new(),
        },
        Some(Ok(Eligibility::NotEligible { failures, .. })) => EligibilityView {
            outcome: "not_eligible".into(),
            reasons: failures
                .iter()
                .map(|f| FilingReason {
                    code: f.reason.clone(),
                    explanation: catalogue
                        .procedure(&filing.procedure)
                        .map(|p| catalogue.reason_text(lang, p, &f.reason))
                        .unwrap_or_else(|| f.explanation.clone()),
                })
                .collect(),
        },
        _ => EligibilityView {
            outcome: "incomplete".into(),
            reasons: Vec::new(),
        },
    }
}

fn routing(
    state: &AppState,
    filing: &Filing,
    front_door: Option<&domain::partner::Partner>,
    lang: Lang,
    now: DateTime<Utc>,
) -> RoutingView {
    let directory = state.directory();
    let procedure = state.catalogue.procedure(&filing.procedure);
    let named_municipality = |id: &MunicipalityId| {
        directory.municipality(id).map(|m| NamedRef {
            id: m.id.to_string(),
            name: m.name(lang).to_owned(),
        })
    };
    let mut view = RoutingView {
        outcome: "incomplete".into(),
        unit: None,
        municipality: None,
        candidates: Vec::new(),
        unit_open_now: None,
        unit_next_opening: None,
        unit_contact: None,
        channel_notice: None,
    };
    let routed_unit = if let Some(unit) = &filing.unit {
        let national =
            procedure.is_some_and(|p| matches!(p.competence, Competence::National { .. }));
        view.outcome = if national { "national" } else { "routed" }.into();
        view.municipality = filing.municipality.as_ref().and_then(named_municipality);
        Some(unit.clone())
    } else if let Some(p) = procedure {
        let place = filing.place.to_routing_place(filing.country);
        match directory.route(&p.competence, &place, filing.facts_local_date(now)) {
            Ok(Routing::Routed {
                unit, municipality, ..
            }) => {
                view.outcome = "routed".into();
                view.municipality = named_municipality(&municipality);
                Some(unit)
            }
            Ok(Routing::National { unit }) => {
                view.outcome = "national".into();
                Some(unit)
            }
            Ok(Routing::Ambiguous { candidates, .. }) => {
                view.outcome = "ambiguous".into();
                view.candidates = candidates
                    .iter()
                    .filter_map(|c| named_municipality(&c.municipality))
                    .collect();
                None
            }
            Ok(Routing::OutOfArea { .. }) => {
                view.outcome = "out_of_area".into();
                None
            }
            Ok(Routing::NoUnit { municipality }) => {
                view.outcome = "no_unit".into();
                view.municipality = named_municipality(&municipality);
                None
            }
            Err(_) => None,
        }
    } else {
        None
    };
    if let Some(unit) = routed_unit.as_deref().and_then(|u| directory.unit(u)) {
        view.unit_open_now = Some(unit.hours.is_open(now));
        view.unit_next_opening = unit.hours.next_opening(now);
        view.unit_contact = Some(crate::routes::directory::ContactView::from(&unit.contact));
        view.unit = Some(NamedRef {
            id: unit.id.clone(),
            name: unit.name(lang).to_owned(),
        });
        if let Some(site) = front_door.filter(|p| p.routes_elsewhere(Some(&unit.id))) {
            view.channel_notice = crate::i18n::texts().render(
                lang,
                "routing.routed.elsewhere",
                &[
                    ("site", site.name.clone()),
                    ("unit", unit.name(lang).to_owned()),
                ],
            );
        }
    }
    view
}

/// The citizen's view, with the recap computed at `now`.
pub fn filing_view(
    state: &AppState,
    loaded: &Loaded,
    lang: Lang,
    now: DateTime<Utc>,
) -> FilingView {
    let Loaded {
        filing,
        history,
        exchanges,
        front_door,
    } = loaded;
    let catalogue = &state.catalogue;
    FilingView {
        id: filing.id.clone(),
        procedure: filing.procedure.clone(),
        procedure_name: catalogue.text(lang, &format!("procedure.{}.name", filing.procedure)),
        status: filing.status.to_string(),
        status_label: status_label(lang, filing.status),
        reference: filing.reference.as_ref().map(|r| r.as_str().to_owned()),
        country: filing.country.to_string(),
        declarant: filing.declarant.to_string(),
        language: filing.language.to_string(),
        place: (&filing.place).into(),
        facts_date: filing.facts_date.as_ref().map(Into::into),
        facts: serde_json::Value::Object(filing.facts.clone()),
        answers: serde_json::Value::Object(filing.answers_json()),
        contact: (&filing.contact).into(),
        confirmation_channel: filing.confirmation_channel.map(Into::into),
        created_at: filing.created_at,
        updated_at: filing.updated_at,
        submitted_at: filing.submitted_at,
        channel: channel(filing),
        eligibility: eligibility(state, filing, lang),
        routing: routing(state, filing, front_door.as_ref(), lang, now),
        next_steps: catalogue.text(
            lang,
            &format!("procedure.{}.after_submission", filing.procedure),
        ),
        // A supplement keeps the status: the citizen's history lists status changes.
        history: history
            .iter()
            .filter(|h| h.action != persistence::evidence::SUPPLEMENT_ACTION)
            .map(|h| HistoryEntry {
                at: repo::utc(h.occurred_at),
                status: h.to_status.clone(),
                label: h
                    .to_status
                    .parse()
                    .map(|s| status_label(lang, s))
                    .unwrap_or_else(|_| h.to_status.clone()),
                explanation: texts()
                    .get(lang, &format!("filing_status_explanation.{}", h.to_status))
                    .unwrap_or_default()
                    .to_owned(),
            })
            .collect(),
        info_request: filing.info_request.clone(),
        info_answer: filing.info_answer.clone(),
        exchanges: exchanges
            .iter()
            .map(|e| super::types::ExchangeView::of(e, false))
            .collect(),
        record_number: filing.record_number.clone(),
        decision: filing.decision.as_ref().map(Decision::from),
        app_notifications: filing.app_notifications,
        timeline: crate::routes::notifications::views::timeline(
            state,
            filing.unit.as_deref(),
            filing.status,
            status_since(loaded),
            lang,
            now,
        ),
        end_of_case: end_of_case(state, loaded, lang),
        version: filing.version,
    }
}

/// When the filing entered its current status: its last history entry (the submission,
/// a transfer, the taking in charge, the citizen's answer, a decision).
pub fn status_since(loaded: &Loaded) -> DateTime<Utc> {
    loaded
        .history
        .iter()
        .rev()
        .find(|h| h.action != persistence::evidence::SUPPLEMENT_ACTION)
        .map(|h| repo::utc(h.occurred_at))
        .unwrap_or(loaded.filing.updated_at)
}

/// The end-of-case notice of a rejected, redirected or closed filing.
fn end_of_case(
    state: &AppState,
    loaded: &Loaded,
    lang: Lang,
) -> Option<crate::routes::notifications::EndOfCaseView> {
    let filing = &loaded.filing;
    let outcome = domain::notices::Outcome::of_status(filing.status)?;
    Some(crate::routes::notifications::views::end_of_case(
        state,
        filing.country,
        outcome,
        lang,
        filing
            .reference
            .as_ref()
            .map(|r| r.as_str())
            .unwrap_or_default(),
        filing.unit.as_deref(),
        status_since(loaded),
    ))
}

/// A line of the citizen's list.
pub fn summary(state: &AppState, filing: &Filing, lang: Lang) -> FilingSummary {
    FilingSummary {
        id: filing.id.clone(),
        procedure: filing.procedure.clone(),
        procedure_name: state
            .catalogue
            .text(lang, &format!("procedure.{}.name", filing.procedure)),
        status: filing.status.to_string(),
        status_label: status_label(lang, filing.status),
        reference: filing.reference.as_ref().map(|r| r.as_str().to_owned()),
        created_at: filing.created_at,
        submitted_at: filing.submitted_at,
        channel: channel(filing),
    }
}

/// The channel as the API shows it: `app`, or the partner's id.
pub fn channel(filing: &domain::filing::Filing) -> String {
    filing.channel.clone().unwrap_or_else(|| "app".into())
}

/// The reply carrying a filing view with its `ETag` (and `Location` for a new one).
pub fn reply(status: StatusCode, view: &FilingView, location: bool) -> Reply {
    let mut headers = vec![("etag".to_owned(), etag(view.version))];
    if location {
        headers.push(("location".to_owned(), format!("/v1/filings/{}", view.id)));
    }
    Reply {
        status,
        headers,
        body: serde_json::to_value(view).unwrap_or_default(),
    }
}

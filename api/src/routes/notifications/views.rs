//! Views of `domain::notices` in the reader's language: a notification of the feed, the
//! end-of-case notice and the case clock (the last two also shown in the filing's view
//! and receipt).

use super::types::{
    ClockStepView, EndOfCaseView, NotificationView, ReviewView, SupportServiceView, TargetView,
    TimelineView,
};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use domain::catalogue::Country;
use domain::filing::FilingStatus;
use domain::i18n::Lang;
use domain::notices::{self, EndOfCaseContext, FeedNames, Outcome};
use persistence::notifications::StoredNotice;

/// A unit's name in `lang`, or its id when the directory no longer has it.
fn unit_name(state: &AppState, unit: Option<&str>, lang: Lang) -> String {
    let Some(id) = unit else {
        return String::new();
    };
    state
        .directory()
        .unit(id)
        .map(|u| u.name(lang).to_owned())
        .unwrap_or_else(|| id.to_owned())
}

/// The end-of-case notice of a case of `country` that ended with `outcome` at
/// `decided_at`, decided by `unit`.
pub fn end_of_case(
    state: &AppState,
    country: Country,
    outcome: Outcome,
    lang: Lang,
    reference: &str,
    unit: Option<&str>,
    decided_at: DateTime<Utc>,
) -> EndOfCaseView {
    let unit = unit_name(state, unit, lang);
    let context = EndOfCaseContext {
        reference,
        unit: &unit,
        decided_at,
    };
    let notice = notices::end_of_case(country, outcome, lang, &context, &state.notices.rules());
    EndOfCaseView {
        outcome: notice.outcome.to_string(),
        language: notice.language.to_string(),
        reason: notice.reason,
        review: ReviewView {
            text: notice.review.text,
            remedy: notice.review.remedy,
            deadline: notice.review.deadline,
            review_by: notice.review.review_by,
            legal_days: notice.review.legal_days,
            legal_basis: notice.review.legal_basis,
        },
        victim_rights: notice.victim_rights,
        support_services: notice
            .services
            .into_iter()
            .map(|s| SupportServiceView {
                id: s.id,
                kind: s.kind,
                kind_label: s.kind_label,
                name: s.name,
                phone: s.phone,
                email: s.email,
                web: s.web,
                source: s.source,
                to_confirm: s.to_confirm,
            })
            .collect(),
        sources: notice.sources,
        reviewed: notice.reviewed,
    }
}

/// The case clock of a filing of `unit` in `status` since `since`, at `now`; `None` for
/// a draft or a unit the directory does not know.
pub fn timeline(
    state: &AppState,
    unit: Option<&str>,
    status: FilingStatus,
    since: DateTime<Utc>,
    lang: Lang,
    now: DateTime<Utc>,
) -> Option<TimelineView> {
    let directory = state.directory();
    let unit_id = unit?;
    let unit = directory.unit(unit_id)?;
    let target = state.notices.target(unit_id);
    let clock = notices::timeline(status, since, &unit.hours, &target, now)?;
    let served = notices::served(lang);
    Some(TimelineView {
        late: clock.late,
        steps: clock
            .steps
            .iter()
            .map(|s| ClockStepView {
                step: s.step.to_string(),
                label: notices::texts()
                    .get(served, &format!("clock.step.{}", s.step))
                    .unwrap_or(s.step.as_str())
                    .to_owned(),
                expected_by: s.expected_by,
                late: s.late,
            })
            .collect(),
        target: TargetView {
            take_in_charge_hours: target.take_in_charge_hours,
            decision_hours: target.decision_hours,
        },
        service_hours: unit.hours.spec.clone(),
        time_zone: unit.hours.timezone.name().to_owned(),
        service_hours_are_default: unit.hours_are_default,
    })
}

/// A notification of the feed in `lang`.
pub fn notification(state: &AppState, stored: &StoredNotice, lang: Lang) -> NotificationView {
    let payload = &stored.payload;
    let names = FeedNames {
        procedure: state
            .catalogue
            .text(lang, &format!("procedure.{}.name", payload.procedure)),
        unit: unit_name(state, payload.unit.as_deref(), lang),
        previous_unit: unit_name(state, payload.previous_unit.as_deref(), lang),
    };
    let text = notices::feed_text(lang, stored.event, payload, &names);
    let end_of_case = stored
        .event
        .outcome()
        .zip(payload.country())
        .map(|(outcome, country)| {
            end_of_case(
                state,
                country,
                outcome,
                lang,
                payload.reference.as_deref().unwrap_or_default(),
                payload.unit.as_deref(),
                stored.created_at,
            )
        });
    NotificationView {
        id: stored.id.clone(),
        event_id: stored.seq.to_string(),
        event: stored.event.to_string(),
        filing_id: stored.filing_id.clone(),
        filing_url: format!("/v1/filings/{}", stored.filing_id),
        reference: payload.reference.clone(),
        record_number: payload.record_number.clone(),
        held_at: payload.held_at.clone(),
        title: text.title,
        text: text.text,
        language: text.language.to_string(),
        legally_required: stored.event.legally_required(),
        created_at: stored.created_at,
        read: stored.read_at.is_some(),
        read_at: stored.read_at,
        end_of_case,
    }
}

//! What the citizen is told when their case ends: a rejection, a redirect or a closure.
//!
//! [`end_of_case()`] gives, in the citizen's language:
//! - the reason, in plain words;
//! - how to object or ask for a review, and by when: for a rejection or a redirect, a
//!   review by the unit within the country's `review_days` (the deployment default,
//!   [`NoticeRules::review_days`], when the data gives none), then the legal remedy; for a
//!   closure, the legal remedy against the prosecutor's decision and its time limit when
//!   the law sets one;
//! - the victim-rights notice (Directive 2012/29/EU, Art. 4) with the country's support
//!   services.
//!
//! The countries' data, with the sources of every value, is `domain/notices/support.toml`.

use crate::catalogue::Country;
use crate::filing::FilingStatus;
use crate::i18n::Lang;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::LazyLock;

crate::code_enum!(
    /// How a case ended for the citizen.
    Outcome, "case outcome", {
        Rejected => "rejected",
        Redirected => "redirected",
        Closed => "closed",
    }
);

impl Outcome {
    /// The outcome of a filing in `status`, if its case ended (a withdrawal is the
    /// citizen's own act and carries no notice).
    pub fn of_status(status: FilingStatus) -> Option<Self> {
        match status {
            FilingStatus::Rejected => Some(Outcome::Rejected),
            FilingStatus::Redirected => Some(Outcome::Redirected),
            FilingStatus::Closed => Some(Outcome::Closed),
            _ => None,
        }
    }
}

/// The deployment's choices where the law and the data are silent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoticeRules {
    /// Days the citizen has to ask the unit to review a rejection or a redirect, when the
    /// country's data names none (`notices.review_days`).
    pub review_days: u32,
}

impl Default for NoticeRules {
    /// 30 days: the service's own promise (no law sets a time for a police decision on an
    /// online filing in BE, FR, LU or Catalonia).
    fn default() -> Self {
        NoticeRules { review_days: 30 }
    }
}

/// What the texts name besides the outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndOfCaseContext<'a> {
    /// The filing's reference number.
    pub reference: &'a str,
    /// The deciding unit's name, in the reader's language.
    pub unit: &'a str,
    /// When the decision was taken (the status change).
    pub decided_at: DateTime<Utc>,
}

/// A victim-support service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportService {
    /// Stable id (`fr-france-victimes-116006`).
    pub id: String,
    /// `police`, `general` or `helpline`.
    pub kind: String,
    /// The kind, in the reader's language.
    pub kind_label: String,
    /// The service's name, in the reader's language when the data has it.
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub web: Option<String>,
    /// Where the data comes from.
    pub source: String,
    /// Whether the value awaits confirmation by the country's police.
    pub to_confirm: bool,
}

/// How to object, and by when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    /// What to do, in plain words.
    pub text: String,
    /// The legal remedy in the country, in plain words.
    pub remedy: String,
    /// The time limit, in plain words.
    pub deadline: String,
    /// For a rejection or a redirect: the last day to ask the unit for a review (local
    /// date in the country).
    pub review_by: Option<NaiveDate>,
    /// Days the law gives for the remedy, counted from the notification of the
    /// judicial decision, when it sets a limit.
    pub legal_days: Option<u32>,
    /// The legal texts, as cited.
    pub legal_basis: String,
}

/// Everything the citizen is told when their case ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndOfCaseNotice {
    pub outcome: Outcome,
    pub country: Country,
    /// The language served.
    pub language: Lang,
    /// The reason, in plain words (the officer's own explanation is the decision's).
    pub reason: String,
    pub review: Review,
    /// The victim-rights notice.
    pub victim_rights: String,
    pub services: Vec<SupportService>,
    /// Where the country's data comes from, and when it was last reviewed.
    pub sources: Vec<String>,
    pub reviewed: String,
}

/// The end-of-case notice of a case in `country` that ended with `outcome`, in `lang`.
pub fn end_of_case(
    country: Country,
    outcome: Outcome,
    lang: Lang,
    context: &EndOfCaseContext<'_>,
    rules: &NoticeRules,
) -> EndOfCaseNotice {
    let language = super::served(lang);
    let data = data().ok().and_then(|d| d.get(&country));
    let review_days = data
        .and_then(|d| d.review_days)
        .unwrap_or(rules.review_days);
    let review_by = match outcome {
        Outcome::Rejected | Outcome::Redirected => Some(
            crate::filing::model::local_date(context.decided_at, country)
                + Duration::days(i64::from(review_days)),
        ),
        Outcome::Closed => None,
    };
    let legal_days = data.and_then(|d| d.legal_days);
    let params = [
        ("reference", context.reference.to_owned()),
        ("unit", context.unit.to_owned()),
        (
            "review_by",
            review_by.map(|d| d.to_string()).unwrap_or_default(),
        ),
        (
            "days",
            legal_days.map(|d| d.to_string()).unwrap_or_default(),
        ),
    ];
    let text = |key: &str| super::render(language, key, &params);
    let deadline = match legal_days {
        Some(_) => text("end_of_case.deadline.legal"),
        None => text("end_of_case.deadline.none"),
    };
    EndOfCaseNotice {
        outcome,
        country,
        language,
        reason: text(&format!("end_of_case.reason.{outcome}")),
        review: Review {
            text: text(&format!("end_of_case.review.{outcome}")),
            remedy: text(&format!("end_of_case.remedy.{}", country.as_str())),
            deadline,
            review_by,
            legal_days,
            legal_basis: data.map(|d| d.legal_basis.clone()).unwrap_or_default(),
        },
        victim_rights: text("end_of_case.victim_rights"),
        services: data
            .map(|d| d.services.iter().map(|s| s.view(language)).collect())
            .unwrap_or_default(),
        sources: data.map(|d| d.sources.clone()).unwrap_or_default(),
        reviewed: data.map(|d| d.reviewed.clone()).unwrap_or_default(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawData {
    countries: BTreeMap<String, CountryData>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CountryData {
    reviewed: String,
    legal_basis: String,
    #[serde(default)]
    legal_days: Option<u32>,
    #[serde(default)]
    review_days: Option<u32>,
    sources: Vec<String>,
    services: Vec<RawService>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    id: String,
    kind: String,
    name: BTreeMap<String, String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    web: Option<String>,
    source: String,
    #[serde(default)]
    confirm: bool,
}

impl RawService {
    fn view(&self, lang: Lang) -> SupportService {
        let name = lang
            .fallback_chain()
            .iter()
            .find_map(|l| self.name.get(l.as_str()))
            .or_else(|| self.name.values().next())
            .cloned()
            .unwrap_or_else(|| self.id.clone());
        SupportService {
            id: self.id.clone(),
            kind: self.kind.clone(),
            kind_label: super::render(
                lang,
                &format!("end_of_case.service_kind.{}", self.kind),
                &[],
            ),
            name,
            phone: self.phone.clone(),
            email: self.email.clone(),
            web: self.web.clone(),
            source: self.source.clone(),
            to_confirm: self.confirm,
        }
    }
}

const SUPPORT_SOURCE: &str = include_str!("../../notices/support.toml");

static DATA: LazyLock<Result<BTreeMap<Country, CountryData>, String>> = LazyLock::new(|| {
    let raw: RawData = toml::from_str(SUPPORT_SOURCE).map_err(|e| e.to_string())?;
    let mut by_country = BTreeMap::new();
    for (code, data) in raw.countries {
        let country: Country = code
            .parse()
            .map_err(|e: crate::UnknownCode| e.to_string())?;
        for service in &data.services {
            if !matches!(service.kind.as_str(), "police" | "general" | "helpline") {
                return Err(format!("{}: unknown kind {}", service.id, service.kind));
            }
            if service.name.keys().any(|l| l.parse::<Lang>().is_err()) {
                return Err(format!("{}: a name in an unknown language", service.id));
            }
        }
        by_country.insert(country, data);
    }
    Ok(by_country)
});

/// The countries' data, parsed once.
pub(super) fn data() -> Result<&'static BTreeMap<Country, CountryData>, String> {
    DATA.as_ref().map_err(Clone::clone)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> EndOfCaseContext<'static> {
        EndOfCaseContext {
            reference: "EC-2026-7K2Q-9XHM-C",
            unit: "Zone de police Ottignies-Louvain-la-Neuve",
            // 23:30 UTC on 30 November is 1 December in Brussels.
            decided_at: DateTime::parse_from_rfc3339("2026-11-30T23:30:00Z")
                .unwrap()
                .with_timezone(&Utc),
        }
    }

    #[test]
    fn every_country_has_data_services_and_texts() {
        let data = data().unwrap();
        for country in Country::ALL {
            let d = data.get(country).unwrap_or_else(|| panic!("{country}"));
            assert!(!d.services.is_empty(), "{country}");
            assert!(!d.sources.is_empty(), "{country}");
            for lang in super::super::LANGUAGES {
                for outcome in Outcome::ALL {
                    let notice = end_of_case(
                        *country,
                        *outcome,
                        lang,
                        &context(),
                        &NoticeRules::default(),
                    );
                    assert!(!notice.reason.is_empty());
                    assert!(
                        !notice.review.remedy.starts_with("end_of_case."),
                        "{country} {lang}"
                    );
                    assert!(notice.services.iter().all(|s| !s.name.is_empty()));
                    assert!(notice.victim_rights.contains("2012/29"), "{lang}");
                }
            }
        }
    }

    #[test]
    fn a_rejection_gives_the_review_date_in_local_time_and_the_legal_limit() {
        let rules = NoticeRules { review_days: 30 };
        let notice = end_of_case(Country::Be, Outcome::Rejected, Lang::Fr, &context(), &rules);
        assert_eq!(
            notice.review.review_by,
            NaiveDate::from_ymd_opt(2026, 12, 31)
        );
        assert!(
            notice.review.text.contains("2026-12-31"),
            "{}",
            notice.review.text
        );
        assert!(notice.review.text.contains("EC-2026-7K2Q-9XHM-C"));
        assert_eq!(notice.review.legal_days, None);
        assert_eq!(notice.language, Lang::Fr);
        let closed = end_of_case(Country::EsCt, Outcome::Closed, Lang::Ca, &context(), &rules);
        assert_eq!(closed.review.review_by, None);
        assert_eq!(closed.review.legal_days, Some(20));
        assert!(
            closed.review.deadline.contains("20"),
            "{}",
            closed.review.deadline
        );
        let france = end_of_case(
            Country::Fr,
            Outcome::Redirected,
            Lang::En,
            &context(),
            &rules,
        );
        assert!(france
            .services
            .iter()
            .any(|s| s.phone.as_deref() == Some("116 006")));
        assert!(france.review.legal_basis.contains("40-3"));
        let shorter = end_of_case(
            Country::Lu,
            Outcome::Rejected,
            Lang::De,
            &context(),
            &NoticeRules { review_days: 10 },
        );
        assert_eq!(
            shorter.review.review_by,
            NaiveDate::from_ymd_opt(2026, 12, 11)
        );
    }
}

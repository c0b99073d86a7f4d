//! The eligibility engine: a procedure, the declarant, the country and the answers give
//! `Eligible`, or `NotEligible` with every failed condition and where to go instead.
//! Danger always comes first: an emergency condition is never answered `Eligible`, and
//! it is reported even when other answers are missing.
//!
//! Each failure comes with its explanation already rendered in the reader's language,
//! parameters filled (`Catalogue::reason_text`): callers never look reason texts up.

use crate::catalogue::{
    Catalogue, Competence, Country, DeclarantKind, Procedure, QuestionKind, Redirect,
};
use crate::i18n::Lang;
use std::collections::BTreeMap;

/// An answer to a question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Yes,
    No,
    Choice(String),
}

impl Answer {
    pub fn from_bool(value: bool) -> Self {
        if value {
            Answer::Yes
        } else {
            Answer::No
        }
    }
}

/// One condition the case does not meet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The reason code: a rule code, `declarant_not_allowed` or `not_offered_in_country`.
    pub reason: String,
    /// The question whose answer failed, for rule failures.
    pub question: Option<String>,
    pub redirect: Redirect,
    pub emergency: bool,
    /// Why, for the citizen, in the language asked for, every placeholder filled.
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Eligibility {
    Eligible {
        competence: Competence,
    },
    NotEligible {
        /// Every failed condition, emergencies first, then in the catalogue's order.
        failures: Vec<Failure>,
        /// Where to go instead, without duplicates, emergency numbers first.
        redirects: Vec<Redirect>,
    },
}

/// Answers that cannot be evaluated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnswerErrors {
    pub missing: Vec<String>,
    pub unknown: Vec<String>,
    /// Answers of the wrong type, or choices outside the options.
    pub invalid: Vec<String>,
}

impl AnswerErrors {
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.unknown.is_empty() && self.invalid.is_empty()
    }
}

/// Evaluates a case. `lang` is the language of the failures' explanations. Answers to
/// the procedure's retired questions are checked for their type and otherwise ignored.
pub fn check(
    catalogue: &Catalogue,
    procedure: &Procedure,
    country: Country,
    declarant: DeclarantKind,
    answers: &BTreeMap<String, Answer>,
    lang: Lang,
) -> Result<Eligibility, AnswerErrors> {
    let mut errors = AnswerErrors::default();
    for (code, answer) in answers {
        if procedure.retired_questions.contains(code) {
            let value = match answer {
                Answer::Yes => serde_json::Value::Bool(true),
                Answer::No => serde_json::Value::Bool(false),
                Answer::Choice(c) => serde_json::Value::String(c.clone()),
            };
            if catalogue.invalid_answer(procedure, code, &value).is_some() {
                errors.invalid.push(code.clone());
            }
            continue;
        }
        if !procedure.questions.contains(code) {
            errors.unknown.push(code.clone());
            continue;
        }
        let valid = match catalogue.questions.get(code).map(|q| &q.kind) {
            Some(QuestionKind::Boolean) => matches!(answer, Answer::Yes | Answer::No),
            Some(QuestionKind::Choice { options, .. }) => {
                matches!(answer, Answer::Choice(c) if options.contains(c))
            }
            None => false,
        };
        if !valid {
            errors.invalid.push(code.clone());
        }
    }
    if !errors.unknown.is_empty() || !errors.invalid.is_empty() {
        return Err(errors);
    }
    errors.missing = procedure
        .questions
        .iter()
        .filter(|q| !answers.contains_key(*q))
        .cloned()
        .collect();

    let mut failures = Vec::new();
    for rule in procedure
        .rules
        .iter()
        .filter_map(|r| catalogue.rules.get(r))
    {
        let failing = Answer::from_bool(rule.fails_when);
        if answers.get(&rule.question) == Some(&failing) {
            failures.push(Failure {
                reason: rule.code.clone(),
                question: Some(rule.question.clone()),
                redirect: rule.redirect.clone(),
                emergency: rule.emergency,
                explanation: catalogue.reason_text(lang, procedure, &rule.code),
            });
        }
    }
    let in_danger = failures.iter().any(|f| f.emergency);
    if !errors.missing.is_empty() && !in_danger {
        return Err(errors);
    }
    if !procedure.declarants.contains(&declarant) {
        failures.push(Failure {
            reason: "declarant_not_allowed".into(),
            question: None,
            redirect: Redirect::PoliceStation,
            emergency: false,
            explanation: catalogue.reason_text(lang, procedure, "declarant_not_allowed"),
        });
    }
    if !procedure.countries.contains(&country) {
        failures.push(Failure {
            reason: "not_offered_in_country".into(),
            question: None,
            redirect: Redirect::PoliceStation,
            emergency: false,
            explanation: catalogue.reason_text(lang, procedure, "not_offered_in_country"),
        });
    }
    if failures.is_empty() {
        return Ok(Eligibility::Eligible {
            competence: procedure.competence.clone(),
        });
    }
    failures.sort_by_key(|f| !f.emergency); // stable: emergencies first, order kept
    let mut redirects: Vec<Redirect> = failures.iter().map(|f| f.redirect.clone()).collect();
    redirects.sort();
    redirects.dedup();
    Ok(Eligibility::NotEligible {
        failures,
        redirects,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn catalogue() -> &'static Catalogue {
        static CATALOGUE: std::sync::OnceLock<Catalogue> = std::sync::OnceLock::new();
        CATALOGUE.get_or_init(|| Catalogue::builtin().unwrap())
    }

    fn answers(pairs: &[(&str, bool)]) -> BTreeMap<String, Answer> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Answer::from_bool(*v)))
            .collect()
    }

    const THEFT_OK: [(&str, bool); 5] = [
        ("ongoing_danger", false),
        ("injury", false),
        ("known_author", false),
        ("violence", false),
        ("exploitable_traces", false),
    ];

    fn theft_with(question: &str, value: bool) -> BTreeMap<String, Answer> {
        let mut a = answers(&THEFT_OK);
        a.insert(question.into(), Answer::from_bool(value));
        a
    }

    fn reasons(result: &Eligibility) -> Vec<&str> {
        match result {
            Eligibility::Eligible { .. } => vec![],
            Eligibility::NotEligible { failures, .. } => {
                failures.iter().map(|f| f.reason.as_str()).collect()
            }
        }
    }

    #[test]
    fn the_four_theft_conditions_one_by_one() {
        let c = catalogue();
        let theft = c.procedure("simple_theft").unwrap();
        let ok = check(
            c,
            theft,
            Country::Be,
            DeclarantKind::Person,
            &answers(&THEFT_OK),
            Lang::En,
        )
        .unwrap();
        assert_eq!(
            ok,
            Eligibility::Eligible {
                competence: Competence::Local
            }
        );
        let table = [
            ("known_author", Redirect::PoliceStation),
            ("injury", Redirect::Emergency),
            ("violence", Redirect::PoliceStation),
            ("exploitable_traces", Redirect::PoliceStation),
            ("ongoing_danger", Redirect::Emergency),
        ];
        for (question, redirect) in table {
            let result = check(
                c,
                theft,
                Country::Be,
                DeclarantKind::Person,
                &theft_with(question, true),
                Lang::En,
            )
            .unwrap();
            assert_eq!(reasons(&result), vec![question], "{question}");
            let Eligibility::NotEligible { redirects, .. } = result else {
                unreachable!()
            };
            assert_eq!(redirects, vec![redirect], "{question}");
        }
    }

    #[test]
    fn every_failure_is_listed_emergency_first() {
        let c = catalogue();
        let theft = c.procedure("simple_theft").unwrap();
        let mut a = theft_with("known_author", true);
        a.insert("injury".into(), Answer::Yes);
        a.insert("violence".into(), Answer::Yes);
        let result = check(c, theft, Country::Lu, DeclarantKind::Person, &a, Lang::En).unwrap();
        assert_eq!(reasons(&result), vec!["injury", "known_author", "violence"]);
        let Eligibility::NotEligible { redirects, .. } = result else {
            unreachable!()
        };
        assert_eq!(
            redirects,
            vec![Redirect::Emergency, Redirect::PoliceStation]
        );
    }

    #[test]
    fn danger_is_reported_even_with_missing_answers() {
        let c = catalogue();
        let theft = c.procedure("simple_theft").unwrap();
        let result = check(
            c,
            theft,
            Country::Fr,
            DeclarantKind::Person,
            &answers(&[("injury", true)]),
            Lang::En,
        )
        .unwrap();
        assert_eq!(reasons(&result), vec!["injury"]);
        let missing = check(
            c,
            theft,
            Country::Fr,
            DeclarantKind::Person,
            &answers(&[("injury", false)]),
            Lang::En,
        )
        .unwrap_err();
        assert_eq!(
            missing.missing,
            vec![
                "ongoing_danger",
                "known_author",
                "violence",
                "exploitable_traces"
            ]
        );
    }

    #[test]
    fn unknown_and_invalid_answers_are_errors() {
        let c = catalogue();
        let theft = c.procedure("simple_theft").unwrap();
        let mut a = answers(&THEFT_OK);
        a.insert("favourite_colour".into(), Answer::Yes);
        a.insert("injury".into(), Answer::Choice("maybe".into()));
        let err = check(c, theft, Country::Be, DeclarantKind::Person, &a, Lang::En).unwrap_err();
        assert_eq!(err.unknown, vec!["favourite_colour"]);
        assert_eq!(err.invalid, vec!["injury"]);
    }

    #[test]
    fn a_fuel_drive_off_is_declared_by_a_station_operator_only() {
        let c = catalogue();
        let fuel = c.procedure("fuel_drive_off").unwrap();
        let a = answers(&[
            ("ongoing_danger", false),
            ("injury", false),
            ("violence", false),
        ]);
        assert!(matches!(
            check(c, fuel, Country::Lu, DeclarantKind::Business, &a, Lang::En).unwrap(),
            Eligibility::Eligible { .. }
        ));
        let private = check(c, fuel, Country::Lu, DeclarantKind::Person, &a, Lang::En).unwrap();
        assert_eq!(reasons(&private), vec!["declarant_not_allowed"]);
    }

    /// Reasons come out rendered, parameters filled, in every language (issue: the
    /// `{declarants}` placeholder reached citizens through the filing paths).
    #[test]
    fn explanations_come_out_filled_in_every_language() {
        let c = catalogue();
        let fuel = c.procedure("fuel_drive_off").unwrap();
        let a = answers(&[
            ("ongoing_danger", true),
            ("injury", false),
            ("violence", true),
        ]);
        for lang in Lang::ALL {
            let Eligibility::NotEligible { failures, .. } =
                check(c, fuel, Country::Be, DeclarantKind::Person, &a, lang).unwrap()
            else {
                panic!("not eligible")
            };
            assert_eq!(failures.len(), 4);
            for f in &failures {
                assert!(!f.explanation.is_empty(), "{lang} {}", f.reason);
                assert!(
                    !f.explanation.contains('{') && !f.explanation.contains("reason."),
                    "{lang} {}: {}",
                    f.reason,
                    f.explanation
                );
            }
            let declarant = &failures[2];
            assert_eq!(declarant.reason, "declarant_not_allowed");
            assert!(
                declarant
                    .explanation
                    .contains(&c.text(lang, "declarant.business")),
                "{lang}: {}",
                declarant.explanation
            );
        }
    }

    #[test]
    fn a_retired_answer_is_checked_then_ignored() {
        let c = catalogue();
        let scam = c.procedure("online_scam").unwrap();
        assert!(!scam.questions.contains(&"scam_kind".to_owned()));
        let mut a = answers(&[("ongoing_danger", false), ("illegal_content_only", false)]);
        a.insert("scam_kind".into(), Answer::Choice("bogus".into()));
        let err = check(c, scam, Country::Fr, DeclarantKind::Person, &a, Lang::En).unwrap_err();
        assert_eq!(err.invalid, vec!["scam_kind"]);
    }

    #[test]
    fn every_online_scam_kind_is_eligible_with_national_competence() {
        let c = catalogue();
        let scam = c.procedure("online_scam").unwrap();
        let kinds = c.enums["scam_kind"].clone();
        assert_eq!(kinds.len(), 6);
        for kind in kinds {
            let mut a = answers(&[("ongoing_danger", false), ("illegal_content_only", false)]);
            a.insert("scam_kind".into(), Answer::Choice(kind.clone()));
            let result = check(c, scam, Country::Fr, DeclarantKind::Person, &a, Lang::En).unwrap();
            assert_eq!(
                result,
                Eligibility::Eligible {
                    competence: Competence::National {
                        unit: "fr-ofac-thesee".into()
                    }
                },
                "{kind}"
            );
        }
        let mut a = answers(&[("ongoing_danger", false), ("illegal_content_only", true)]);
        a.insert("scam_kind".into(), Answer::Choice("ransomware".into()));
        let Eligibility::NotEligible { redirects, .. } =
            check(c, scam, Country::Fr, DeclarantKind::Person, &a, Lang::En).unwrap()
        else {
            panic!("illegal content goes to Pharos")
        };
        assert_eq!(redirects, vec![Redirect::Platform("pharos".into())]);
    }

    #[test]
    fn a_procedure_of_another_country_is_not_offered() {
        let c = catalogue();
        let fuel = c.procedure("fuel_drive_off").unwrap();
        let a = answers(&[
            ("ongoing_danger", false),
            ("injury", false),
            ("violence", false),
        ]);
        let result = check(c, fuel, Country::Be, DeclarantKind::Business, &a, Lang::En).unwrap();
        assert_eq!(reasons(&result), vec!["not_offered_in_country"]);
    }

    proptest! {
        #[test]
        fn an_emergency_is_never_eligible(
            procedure_index in 0usize..64,
            bits in proptest::collection::vec(any::<bool>(), 16),
            choice in 0usize..8,
            country in 0usize..4,
            business in any::<bool>(),
        ) {
            let c = catalogue();
            let procedure = &c.procedures[procedure_index % c.procedures.len()];
            let emergency_questions: Vec<&str> = procedure
                .rules
                .iter()
                .filter_map(|r| c.rules.get(r))
                .filter(|r| r.emergency)
                .map(|r| r.question.as_str())
                .collect();
            prop_assume!(!emergency_questions.is_empty());
            let mut a = BTreeMap::new();
            for (i, q) in procedure.questions.iter().enumerate() {
                // Some answers left out, to cover missing ones.
                if bits[i % bits.len()] && i % 3 == 2 { continue; }
                let answer = match &c.questions[q].kind {
                    QuestionKind::Boolean => Answer::from_bool(bits[i % bits.len()]),
                    QuestionKind::Choice { options, .. } => Answer::Choice(options[choice % options.len()].clone()),
                };
                a.insert(q.clone(), answer);
            }
            let danger = emergency_questions[choice % emergency_questions.len()];
            a.insert(danger.to_owned(), Answer::Yes);
            let declarant = if business { DeclarantKind::Business } else { DeclarantKind::Person };
            let result = check(c, procedure, Country::ALL[country], declarant, &a, Lang::En);
            match result {
                Ok(Eligibility::NotEligible { failures, redirects }) => {
                    prop_assert!(failures[0].emergency);
                    prop_assert_eq!(&redirects[0], &Redirect::Emergency);
                }
                other => prop_assert!(false, "{:?}", other),
            }
        }
    }
}

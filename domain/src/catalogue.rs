//! The procedure catalogue: typed, loaded from `catalogue/procedures.toml` (embedded in
//! the binary) and checked for internal consistency when loaded.

use crate::forms::{FieldType, FormField};
use crate::i18n::{Lang, Messages};
use serde::Deserialize;
use std::collections::BTreeMap;

const PROCEDURES_SOURCE: &str = include_str!("../catalogue/procedures.toml");
const GUIDANCE_SOURCE: &str = include_str!("../catalogue/guidance.toml");
const MESSAGE_SOURCES: [(Lang, &str); 12] = [
    (
        Lang::Fr,
        include_str!("../catalogue/messages/guide.fr.toml"),
    ),
    (
        Lang::Nl,
        include_str!("../catalogue/messages/guide.nl.toml"),
    ),
    (
        Lang::De,
        include_str!("../catalogue/messages/guide.de.toml"),
    ),
    (
        Lang::En,
        include_str!("../catalogue/messages/guide.en.toml"),
    ),
    (
        Lang::Es,
        include_str!("../catalogue/messages/guide.es.toml"),
    ),
    (
        Lang::Ca,
        include_str!("../catalogue/messages/guide.ca.toml"),
    ),
    (Lang::Fr, include_str!("../catalogue/messages/fr.toml")),
    (Lang::Nl, include_str!("../catalogue/messages/nl.toml")),
    (Lang::De, include_str!("../catalogue/messages/de.toml")),
    (Lang::En, include_str!("../catalogue/messages/en.toml")),
    (Lang::Es, include_str!("../catalogue/messages/es.toml")),
    (Lang::Ca, include_str!("../catalogue/messages/ca.toml")),
];

crate::code_enum!(
    /// Where a deployment operates. `ES-CT` is Catalonia.
    Country, "country", {
        Be => "BE",
        Lu => "LU",
        Fr => "FR",
        EsCt => "ES-CT",
    }
);

crate::code_enum!(
    /// Who may file: a private person, or a business (a shop, a fuel station operator).
    DeclarantKind, "declarant kind", {
        Person => "person",
        Business => "business",
    }
);

crate::code_enum!(
    /// eIDAS level of assurance of the citizen's identification, in increasing order.
    Assurance, "level of assurance", {
        Low => "low",
        Substantial => "substantial",
        High => "high",
    }
);

impl Assurance {
    fn rank(self) -> u8 {
        match self {
            Assurance::Low => 0,
            Assurance::Substantial => 1,
            Assurance::High => 2,
        }
    }

    /// True when `self` is at least `required`.
    pub fn satisfies(self, required: Assurance) -> bool {
        self.rank() >= required.rank()
    }
}

crate::code_enum!(
    /// What filing the procedure produces.
    ProcedureKind, "procedure kind", {
        Complaint => "complaint",
        Declaration => "declaration",
        Appointment => "appointment",
        ContactRequest => "contact_request",
        Request => "request",
        Alert => "alert",
    }
);

/// Which unit processes the filings of a procedure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Competence {
    /// The unit competent for the place of the facts.
    Local,
    /// One national unit, whatever the place.
    National { unit: String },
}

/// Where a citizen is sent instead.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Redirect {
    /// The emergency numbers of the country: always listed first.
    Emergency,
    /// A police station (the nearest, once the place is known).
    PoliceStation,
    /// Another online platform (`Catalogue::platforms`).
    Platform(String),
    /// Another procedure of this catalogue.
    Procedure(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuestionKind {
    Boolean,
    /// One of the values of an enumeration.
    Choice {
        enumeration: String,
        options: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub code: String,
    pub kind: QuestionKind,
}

/// An eligibility condition: the procedure is not for this case when `question` is
/// answered `fails_when`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub code: String,
    pub question: String,
    pub fails_when: bool,
    pub redirect: Redirect,
    /// A failure of this rule means danger: the emergency numbers come first.
    pub emergency: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Procedure {
    pub code: String,
    pub kind: ProcedureKind,
    pub countries: Vec<Country>,
    pub languages: Vec<Lang>,
    pub declarants: Vec<DeclarantKind>,
    pub assurance: Assurance,
    pub competence: Competence,
    /// How old the facts may be, in days; `None` when the procedure has no facts date.
    pub max_facts_age_days: Option<u32>,
    /// Codes of the rules, in the order they are checked.
    pub rules: Vec<String>,
    /// Every question asked: the rules' questions, then the informative ones.
    pub questions: Vec<String>,
    pub form: Vec<FormField>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub code: String,
    pub countries: Vec<Country>,
    pub url: String,
}

/// The whole catalogue with its texts.
#[derive(Debug, Clone)]
pub struct Catalogue {
    pub version: String,
    pub questions: BTreeMap<String, Question>,
    pub rules: BTreeMap<String, Rule>,
    pub enums: BTreeMap<String, Vec<String>>,
    pub procedures: Vec<Procedure>,
    pub platforms: BTreeMap<String, Platform>,
    pub emergency_numbers: BTreeMap<Country, Vec<String>>,
    pub guidance: Vec<crate::guidance::GuidanceNode>,
    pub articles: Vec<crate::guidance::Article>,
    pub messages: Messages,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("catalogue syntax: {0}")]
    Syntax(String),
    #[error("catalogue: {0}")]
    Inconsistent(String),
    #[error(transparent)]
    Messages(#[from] crate::i18n::MessagesError),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalogue {
    version: String,
    questions: BTreeMap<String, RawQuestion>,
    rules: BTreeMap<String, RawRule>,
    enums: BTreeMap<String, Vec<String>>,
    fields: BTreeMap<String, FieldType>,
    procedures: Vec<RawProcedure>,
    platforms: BTreeMap<String, RawPlatform>,
    emergency_numbers: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    kind: String,
    options: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    question: String,
    fails_when: bool,
    redirect: String,
    #[serde(default)]
    emergency: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProcedure {
    code: String,
    kind: String,
    countries: Vec<String>,
    languages: Vec<String>,
    declarants: Vec<String>,
    assurance: String,
    competence: String,
    max_facts_age_days: Option<u32>,
    #[serde(default)]
    questions: Vec<String>,
    rules: Vec<String>,
    form: Vec<(String, bool)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlatform {
    countries: Vec<String>,
    url: String,
}

fn parse_all<T: std::str::FromStr<Err = crate::UnknownCode>>(
    values: &[String],
) -> Result<Vec<T>, CatalogueError> {
    values
        .iter()
        .map(|v| {
            v.parse()
                .map_err(|e: crate::UnknownCode| CatalogueError::Inconsistent(e.to_string()))
        })
        .collect()
}

fn inconsistent(message: String) -> CatalogueError {
    CatalogueError::Inconsistent(message)
}

impl Catalogue {
    /// The catalogue shipped in the repository.
    pub fn builtin() -> Result<Self, CatalogueError> {
        let mut catalogue = Self::parse(PROCEDURES_SOURCE, Messages::from_toml(&MESSAGE_SOURCES)?)?;
        let (guidance, articles) = crate::guidance::parse(GUIDANCE_SOURCE, &catalogue)?;
        catalogue.guidance = guidance;
        catalogue.articles = articles;
        Ok(catalogue)
    }

    pub fn parse(source: &str, messages: Messages) -> Result<Self, CatalogueError> {
        let raw: RawCatalogue =
            toml::from_str(source).map_err(|e| CatalogueError::Syntax(e.to_string()))?;

        let mut questions = BTreeMap::new();
        for (code, q) in &raw.questions {
            let kind = match (q.kind.as_str(), &q.options) {
                ("boolean", None) => QuestionKind::Boolean,
                ("choice", Some(enumeration)) => QuestionKind::Choice {
                    enumeration: enumeration.clone(),
                    options: raw.enums.get(enumeration).cloned().ok_or_else(|| {
                        inconsistent(format!(
                            "question {code}: unknown enumeration {enumeration}"
                        ))
                    })?,
                },
                (other, _) => {
                    return Err(inconsistent(format!("question {code}: bad kind {other}")))
                }
            };
            questions.insert(
                code.clone(),
                Question {
                    code: code.clone(),
                    kind,
                },
            );
        }

        let mut platforms = BTreeMap::new();
        for (code, p) in &raw.platforms {
            platforms.insert(
                code.clone(),
                Platform {
                    code: code.clone(),
                    countries: parse_all(&p.countries)?,
                    url: p.url.clone(),
                },
            );
        }

        let codes: Vec<&str> = raw.procedures.iter().map(|p| p.code.as_str()).collect();
        let mut rules = BTreeMap::new();
        for (code, r) in &raw.rules {
            match questions.get(&r.question).map(|q| &q.kind) {
                Some(QuestionKind::Boolean) => {}
                _ => {
                    return Err(inconsistent(format!(
                        "rule {code}: {} is not a yes/no question",
                        r.question
                    )))
                }
            }
            let redirect = match r.redirect.split_once(':') {
                None if r.redirect == "emergency" => Redirect::Emergency,
                None if r.redirect == "police_station" => Redirect::PoliceStation,
                Some(("platform", p)) if platforms.contains_key(p) => {
                    Redirect::Platform(p.to_owned())
                }
                Some(("procedure", p)) if codes.contains(&p) => Redirect::Procedure(p.to_owned()),
                _ => {
                    return Err(inconsistent(format!(
                        "rule {code}: unknown redirect {}",
                        r.redirect
                    )))
                }
            };
            if r.emergency != (redirect == Redirect::Emergency) {
                return Err(inconsistent(format!(
                    "rule {code}: emergency rules redirect to emergency numbers"
                )));
            }
            rules.insert(
                code.clone(),
                Rule {
                    code: code.clone(),
                    question: r.question.clone(),
                    fails_when: r.fails_when,
                    redirect,
                    emergency: r.emergency,
                },
            );
        }

        for (name, field) in &raw.fields {
            if let FieldType::Enum { enumeration } = field {
                if !raw.enums.contains_key(enumeration) {
                    return Err(inconsistent(format!(
                        "field {name}: unknown enumeration {enumeration}"
                    )));
                }
            }
        }

        let mut procedures = Vec::new();
        for p in &raw.procedures {
            let at = |m: String| inconsistent(format!("procedure {}: {m}", p.code));
            if procedures.iter().any(|q: &Procedure| q.code == p.code) {
                return Err(at("duplicate code".into()));
            }
            let mut asked: Vec<String> = Vec::new();
            for rule in &p.rules {
                let r = rules
                    .get(rule)
                    .ok_or_else(|| at(format!("unknown rule {rule}")))?;
                if !asked.contains(&r.question) {
                    asked.push(r.question.clone());
                }
            }
            for q in &p.questions {
                if !questions.contains_key(q) {
                    return Err(at(format!("unknown question {q}")));
                }
                if !asked.contains(q) {
                    asked.push(q.clone());
                }
            }
            let mut form = Vec::new();
            for (name, required) in &p.form {
                let field_type = raw
                    .fields
                    .get(name)
                    .ok_or_else(|| at(format!("unknown field {name}")))?;
                form.push(FormField {
                    name: name.clone(),
                    field_type: field_type.clone(),
                    required: *required,
                });
            }
            let competence = match p.competence.split_once(':') {
                None if p.competence == "local" => Competence::Local,
                Some(("national", unit)) if !unit.is_empty() => Competence::National {
                    unit: unit.to_owned(),
                },
                _ => return Err(at(format!("bad competence {}", p.competence))),
            };
            let languages = p
                .languages
                .iter()
                .map(|l| l.parse::<Lang>().map_err(|e| at(e.to_string())))
                .collect::<Result<Vec<_>, _>>()?;
            if p.countries.is_empty() || p.declarants.is_empty() || languages.is_empty() {
                return Err(at(
                    "countries, declarants and languages may not be empty".into()
                ));
            }
            procedures.push(Procedure {
                code: p.code.clone(),
                kind: p
                    .kind
                    .parse()
                    .map_err(|e: crate::UnknownCode| at(e.to_string()))?,
                countries: parse_all(&p.countries)?,
                languages,
                declarants: parse_all(&p.declarants)?,
                assurance: p
                    .assurance
                    .parse()
                    .map_err(|e: crate::UnknownCode| at(e.to_string()))?,
                competence,
                max_facts_age_days: p.max_facts_age_days,
                rules: p.rules.clone(),
                questions: asked,
                form,
            });
        }

        let mut emergency_numbers = BTreeMap::new();
        for (country, numbers) in &raw.emergency_numbers {
            let country: Country = country
                .parse()
                .map_err(|e: crate::UnknownCode| inconsistent(e.to_string()))?;
            if !numbers.iter().any(|n| n == "112") {
                return Err(inconsistent(format!(
                    "emergency numbers of {country} must include 112"
                )));
            }
            emergency_numbers.insert(country, numbers.clone());
        }
        for country in Country::ALL {
            if !emergency_numbers.contains_key(country) {
                return Err(inconsistent(format!("no emergency numbers for {country}")));
            }
        }

        Ok(Catalogue {
            version: raw.version,
            questions,
            rules,
            enums: raw.enums,
            procedures,
            platforms,
            emergency_numbers,
            guidance: Vec::new(),
            articles: Vec::new(),
            messages,
        })
    }

    pub fn procedure(&self, code: &str) -> Option<&Procedure> {
        self.procedures.iter().find(|p| p.code == code)
    }

    /// The emergency numbers of a country, national number first.
    pub fn emergency_numbers(&self, country: Country) -> &[String] {
        self.emergency_numbers
            .get(&country)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// A text of the catalogue in `lang` (with fallback), or the key itself when missing;
    /// tests guarantee that no key a procedure needs is missing.
    pub fn text(&self, lang: Lang, key: &str) -> String {
        self.messages
            .get(lang, key)
            .map(str::to_owned)
            .unwrap_or_else(|| key.to_owned())
    }

    /// The explanation of an eligibility reason (`reason.<code>`) in `lang`, with its
    /// parameters filled: the one place reason texts are rendered. `{declarants}` is the
    /// procedure's kinds of declarant.
    pub fn reason_text(&self, lang: Lang, procedure: Option<&Procedure>, reason: &str) -> String {
        let declarants = procedure
            .map(|p| {
                p.declarants
                    .iter()
                    .map(|d| self.text(lang, &format!("declarant.{d}")))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        self.messages
            .format(
                lang,
                &format!("reason.{reason}"),
                &[("declarants", declarants)],
            )
            .unwrap_or_else(|| reason.to_owned())
    }

    /// Like `text`, but `None` when the key has no text (optional texts such as help).
    pub fn optional_text(&self, lang: Lang, key: &str) -> Option<String> {
        self.messages.get(lang, key).map(str::to_owned)
    }

    /// Every message key a procedure needs in each of its languages.
    pub fn required_keys(&self, procedure: &Procedure) -> Vec<String> {
        let p = &procedure.code;
        let mut keys = vec![
            format!("procedure.{p}.name"),
            format!("procedure.{p}.description"),
            format!("procedure.{p}.help"),
            format!("procedure.{p}.after_submission"),
            format!("procedure_kind.{}", procedure.kind),
            "redirect.emergency.label".to_owned(),
            "redirect.police_station.label".to_owned(),
        ];
        for q in &procedure.questions {
            keys.push(format!("question.{q}.text"));
            if let Some(Question {
                kind:
                    QuestionKind::Choice {
                        enumeration,
                        options,
                    },
                ..
            }) = self.questions.get(q)
            {
                keys.extend(options.iter().map(|o| format!("option.{enumeration}.{o}")));
            }
        }
        for rule in procedure.rules.iter().filter_map(|r| self.rules.get(r)) {
            keys.push(format!("reason.{}", rule.code));
            match &rule.redirect {
                Redirect::Platform(code) => keys.push(format!("redirect.platform.{code}")),
                Redirect::Procedure(_) => keys.push("redirect.procedure.label".to_owned()),
                Redirect::Emergency | Redirect::PoliceStation => {}
            }
            if let Redirect::Procedure(code) = &rule.redirect {
                keys.push(format!("procedure.{code}.name"));
            }
        }
        for field in &procedure.form {
            keys.extend(field.required_keys(&self.enums));
        }
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_catalogue_loads() {
        let catalogue = Catalogue::builtin().unwrap();
        assert!(catalogue.procedures.len() >= 15);
        assert_eq!(catalogue.emergency_numbers(Country::Lu), ["113", "112"]);
    }

    /// A missing translation is a failure, not a blank: every text a procedure needs
    /// exists, non-empty, in every language the procedure declares (no fallback).
    #[test]
    fn every_procedure_is_fully_translated_in_its_languages() {
        let catalogue = Catalogue::builtin().unwrap();
        let mut missing = Vec::new();
        for procedure in &catalogue.procedures {
            for lang in &procedure.languages {
                for key in catalogue.required_keys(procedure) {
                    if catalogue.messages.exact(*lang, &key).is_none() {
                        missing.push(format!("{lang}: {key} ({})", procedure.code));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "missing translations:\n{}",
            missing.join("\n")
        );
    }

    #[test]
    fn base_languages_cover_every_procedure() {
        let catalogue = Catalogue::builtin().unwrap();
        for procedure in &catalogue.procedures {
            for lang in [Lang::Fr, Lang::Nl, Lang::De, Lang::En] {
                assert!(
                    procedure.languages.contains(&lang),
                    "{} lacks {lang}",
                    procedure.code
                );
            }
            if procedure.countries.contains(&Country::EsCt) {
                for lang in [Lang::Es, Lang::Ca] {
                    assert!(
                        procedure.languages.contains(&lang),
                        "{} lacks {lang}",
                        procedure.code
                    );
                }
            }
        }
    }

    #[test]
    fn inconsistencies_are_refused() {
        let source = include_str!("../catalogue/procedures.toml");
        let broken = source.replace(
            "rules = [\"possibly_stolen\"]",
            "rules = [\"no_such_rule\"]",
        );
        let err = Catalogue::parse(&broken, Messages::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("lost_object") && err.contains("no_such_rule"),
            "{err}"
        );
        let broken = source.replace(
            "redirect = \"platform:pharos\"",
            "redirect = \"platform:nowhere\"",
        );
        assert!(Catalogue::parse(&broken, Messages::default()).is_err());
    }

    #[test]
    fn assurance_levels_are_ordered() {
        assert!(Assurance::High.satisfies(Assurance::Substantial));
        assert!(Assurance::Substantial.satisfies(Assurance::Substantial));
        assert!(!Assurance::Low.satisfies(Assurance::Substantial));
    }
}

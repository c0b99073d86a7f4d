//! The procedure catalogue: typed, loaded from `catalogue/procedures.toml` (embedded in
//! the binary) and checked for internal consistency when loaded.

use crate::forms::{
    Accepted, Bound, FieldIssue, FieldType, FormField, FormRule, FormTexts, FormValidator, Moment,
};
use crate::guidance::{Article, GuidanceLink, GuidanceNode};
use crate::i18n::{Lang, Messages};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

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

impl Country {
    /// The time zone of the country's calendar dates (Catalonia: `Europe/Madrid`).
    pub fn time_zone(self) -> chrono_tz::Tz {
        match self {
            Country::Be => chrono_tz::Europe::Brussels,
            Country::Lu => chrono_tz::Europe::Luxembourg,
            Country::Fr => chrono_tz::Europe::Paris,
            Country::EsCt => chrono_tz::Europe::Madrid,
        }
    }
}

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
    /// Questions once asked in the answers and now asked in the facts form only (the
    /// facts field of the same name). An answer to one is still accepted, for drafts
    /// saved before, when it agrees with the facts; eligibility ignores it.
    pub retired_questions: Vec<String>,
    pub form: Vec<FormField>,
    /// Cross-field date rules of the form, in the order they are checked.
    pub checks: Vec<FormRule>,
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
    pub guidance: Vec<GuidanceNode>,
    pub articles: Vec<Article>,
    pub messages: Messages,
    /// The compiled schema of each procedure's form, by procedure code.
    validators: BTreeMap<String, Arc<FormValidator>>,
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
    #[serde(default)]
    retired_questions: Vec<String>,
    rules: Vec<String>,
    form: Vec<(String, bool)>,
    #[serde(default)]
    checks: Vec<RawCheck>,
}

/// A date rule: `field` and exactly one of `not_before`, `not_after` (each `today`, `now`
/// or a field name) or `younger_than_years` (with `on`, a field name or `today`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    field: String,
    not_before: Option<String>,
    not_after: Option<String>,
    younger_than_years: Option<u32>,
    on: Option<String>,
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
        let procedures: Vec<&str> = catalogue
            .procedures
            .iter()
            .map(|p| p.code.as_str())
            .collect();
        let platforms: Vec<&str> = catalogue.platforms.keys().map(String::as_str).collect();
        let (guidance, articles) = crate::guidance::parse(GUIDANCE_SOURCE, &procedures, &platforms)
            .map_err(|e| match e {
                crate::guidance::GuidanceError::Syntax(m) => CatalogueError::Syntax(m),
                crate::guidance::GuidanceError::Inconsistent(m) => CatalogueError::Inconsistent(m),
            })?;
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
            for q in &asked {
                if let Some(twice) = asked_twice(&questions, q, &form) {
                    return Err(at(format!(
                        "question {q} asks what the facts field {twice} asks"
                    )));
                }
            }
            for q in &p.retired_questions {
                if asked.contains(q) || !form.iter().any(|f| &f.name == q) {
                    return Err(at(format!(
                        "retired question {q} must be a facts field and not asked"
                    )));
                }
            }
            let checks = p
                .checks
                .iter()
                .map(|c| date_rule(c, &form))
                .collect::<Result<Vec<_>, _>>()
                .map_err(at)?;
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
                retired_questions: p.retired_questions.clone(),
                form,
                checks,
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

        let mut validators = BTreeMap::new();
        for p in &procedures {
            let texts = FormTexts {
                enums: &raw.enums,
                messages: &messages,
            };
            let schema = crate::forms::json_schema(texts, &p.code, &p.form, Lang::En);
            let validator = FormValidator::new(schema)
                .map_err(|e| inconsistent(format!("procedure {}: form schema: {e}", p.code)))?;
            validators.insert(p.code.clone(), Arc::new(validator));
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
            validators,
        })
    }

    fn form_texts(&self) -> FormTexts<'_> {
        FormTexts {
            enums: &self.enums,
            messages: &self.messages,
        }
    }

    /// The published JSON Schema of a procedure's facts form, labels in `lang`.
    pub fn form_schema(&self, procedure: &Procedure, lang: Lang) -> Value {
        crate::forms::json_schema(self.form_texts(), &procedure.code, &procedure.form, lang)
    }

    /// Checks facts against the procedure's published form schema, then its date rules
    /// (`moment`: now, and the time zone of the place of the facts). Pointers start with
    /// `base` (such as `/facts`); each issue says what would be accepted.
    pub fn validate_facts(
        &self,
        procedure: &Procedure,
        facts: &Value,
        base: &str,
        moment: &Moment,
    ) -> Vec<FieldIssue> {
        match self.validators.get(&procedure.code) {
            Some(validator) => crate::forms::validate(
                validator,
                &procedure.form,
                &procedure.checks,
                facts,
                base,
                moment,
            ),
            // A procedure of another catalogue: nothing is known of its form.
            None => vec![FieldIssue::new(base, "invalid_type")],
        }
    }

    /// Writes integer facts written as `3.0` or `3e0` as `3` (see `forms::normalize`);
    /// call before storing validated facts.
    pub fn normalize_facts(&self, procedure: &Procedure, facts: &mut Value) {
        crate::forms::normalize(&procedure.form, facts);
    }

    /// Valid facts for a procedure, with dates relative to `now` (examples and tests).
    pub fn sample_facts(&self, procedure: &Procedure, now: DateTime<Utc>) -> Value {
        crate::forms::sample(&self.enums, &procedure.form, now)
    }

    /// Checks a filing's answers (a map of question code to JSON value) before
    /// eligibility: unknown questions, answers of the wrong kind, and answers to retired
    /// questions that contradict the facts. Pointers are `/answers/<code>` (escaped).
    pub fn check_answers(
        &self,
        procedure: &Procedure,
        answers: &BTreeMap<String, Value>,
        facts: &Value,
    ) -> Vec<FieldIssue> {
        let mut out = Vec::new();
        for (code, value) in answers {
            let at = format!("/answers/{}", crate::forms::escape(code));
            let retired = procedure.retired_questions.contains(code);
            if !retired && !procedure.questions.contains(code) {
                out.push(FieldIssue::new(at, "unknown_question").with(Accepted {
                    allowed: Some(procedure.questions.clone()),
                    ..Accepted::default()
                }));
                continue;
            }
            if let Some(allowed) = self.invalid_answer(procedure, code, value) {
                out.push(FieldIssue::new(at, "invalid_answer").with(Accepted {
                    allowed: Some(allowed),
                    ..Accepted::default()
                }));
                continue;
            }
            if retired {
                if let Some(fact) = facts.get(code).filter(|f| *f != value) {
                    out.push(FieldIssue::new(at, "contradicts_facts").with(Accepted {
                        allowed: fact.as_str().map(|f| vec![f.to_owned()]),
                        other: Some(format!("/facts/{}", crate::forms::escape(code))),
                        ..Accepted::default()
                    }));
                }
            }
        }
        out
    }

    /// `Some(accepted values)` when `value` is not a valid answer to question `code`
    /// (for a retired question: a value of its facts field).
    pub fn invalid_answer(
        &self,
        procedure: &Procedure,
        code: &str,
        value: &Value,
    ) -> Option<Vec<String>> {
        let options = |enumeration: &str| self.enums.get(enumeration).cloned().unwrap_or_default();
        let allowed = if procedure.retired_questions.iter().any(|q| q == code) {
            match procedure
                .form
                .iter()
                .find(|f| f.name == code)
                .map(|f| &f.field_type)
            {
                Some(FieldType::Enum { enumeration }) => options(enumeration),
                Some(FieldType::Boolean) => vec!["true".into(), "false".into()],
                _ => return None,
            }
        } else {
            match self.questions.get(code).map(|q| &q.kind) {
                Some(QuestionKind::Choice { options, .. }) => options.clone(),
                _ => vec!["true".into(), "false".into()],
            }
        };
        let valid = match value {
            Value::Bool(_) => allowed == ["true", "false"],
            Value::String(s) => allowed != ["true", "false"] && allowed.contains(s),
            _ => false,
        };
        (!valid).then_some(allowed)
    }

    /// A catalogue text with its parameters filled (`Messages::render`); the key itself
    /// when no language has it. `MESSAGE_PARAMS` lists the parameters each text takes.
    pub fn render(&self, lang: Lang, key: &str, params: &[(&str, String)]) -> String {
        self.messages
            .render(lang, key, params)
            .unwrap_or_else(|| key.to_owned())
    }

    /// The explanation of an eligibility reason, filled: `declarant_not_allowed` names
    /// the declarants the procedure is for.
    pub fn reason_text(&self, lang: Lang, procedure: &Procedure, reason: &str) -> String {
        let declarants = procedure
            .declarants
            .iter()
            .map(|d| self.text(lang, &format!("declarant.{d}")))
            .collect::<Vec<_>>()
            .join(", ");
        self.render(
            lang,
            &format!("reason.{reason}"),
            &[("declarants", declarants)],
        )
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
    /// tests guarantee that no key a procedure needs is missing. Texts with parameters
    /// (`MESSAGE_PARAMS`) go through `render`.
    pub fn text(&self, lang: Lang, key: &str) -> String {
        self.render(lang, key, &[])
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

impl Catalogue {
    /// Whether a guidance link applies in `countries`.
    pub fn link_available(&self, link: &GuidanceLink, countries: &[Country]) -> bool {
        match link {
            GuidanceLink::Procedure(code) => self
                .procedure(code)
                .is_some_and(|p| p.countries.iter().any(|c| countries.contains(c))),
            GuidanceLink::Platform(code) => self
                .platforms
                .get(code)
                .is_some_and(|p| p.countries.iter().any(|c| countries.contains(c))),
            GuidanceLink::Advice | GuidanceLink::Emergency => true,
        }
    }

    pub fn article(&self, slug: &str) -> Option<&Article> {
        self.articles.iter().find(|a| a.slug == slug)
    }

    /// Every message key the guidance and the advice need.
    pub fn guide_keys(&self) -> Vec<String> {
        crate::guidance::keys(&self.guidance, &self.articles)
    }
}

/// The parameters of the catalogue texts that take some, by key; every other text takes
/// none. A test renders every text of every language with these and finds no `{…}` left.
pub const MESSAGE_PARAMS: [(&str, &[&str]); 2] = [
    ("reason.declarant_not_allowed", &["declarants"]),
    ("redirect.procedure.label", &["name"]),
];

/// The parameters the catalogue text `key` takes.
pub fn message_params(key: &str) -> &'static [&'static str] {
    MESSAGE_PARAMS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, p)| *p)
        .unwrap_or(&[])
}

/// The facts field that asks what question `code` asks: the same name, or the same
/// enumeration of options.
fn asked_twice(
    questions: &BTreeMap<String, Question>,
    code: &str,
    form: &[FormField],
) -> Option<String> {
    let enumeration = match questions.get(code).map(|q| &q.kind) {
        Some(QuestionKind::Choice { enumeration, .. }) => Some(enumeration.as_str()),
        _ => None,
    };
    form.iter()
        .find(|f| {
            f.name == code
                || matches!((&f.field_type, enumeration), (FieldType::Enum { enumeration: e }, Some(q)) if e == q)
        })
        .map(|f| f.name.clone())
}

fn date_rule(raw: &RawCheck, form: &[FormField]) -> Result<FormRule, String> {
    let temporal = |name: &str| {
        form.iter()
            .find(|f| f.name == name)
            .filter(|f| f.field_type.is_temporal())
            .map(|f| f.field_type.clone())
            .ok_or_else(|| {
                format!(
                    "check on {}: {name} is not a date field of the form",
                    raw.field
                )
            })
    };
    let bound = |b: &str| {
        let bound = Bound::parse(b);
        if let Bound::Field(f) = &bound {
            temporal(f)?;
        }
        Ok::<_, String>(bound)
    };
    let field_type = temporal(&raw.field)?;
    let rule = match (
        &raw.not_before,
        &raw.not_after,
        raw.younger_than_years,
        &raw.on,
    ) {
        (Some(b), None, None, None) => FormRule::NotBefore {
            field: raw.field.clone(),
            bound: bound(b)?,
        },
        (None, Some(b), None, None) => FormRule::NotAfter {
            field: raw.field.clone(),
            bound: bound(b)?,
        },
        (None, None, Some(years), on) if field_type == FieldType::Date => FormRule::YoungerThan {
            field: raw.field.clone(),
            years,
            on: bound(on.as_deref().unwrap_or("today"))?,
        },
        _ => {
            return Err(format!(
                "check on {}: give one of not_before, not_after, younger_than_years (of a date)",
                raw.field
            ))
        }
    };
    Ok(rule)
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
    fn guidance_and_advice_are_complete_in_their_languages() {
        let catalogue = Catalogue::builtin().unwrap();
        assert_eq!(catalogue.guidance.len(), 3);
        assert!(catalogue.articles.len() >= 5);
        let mut missing = Vec::new();
        for lang in crate::guidance::GUIDE_LANGUAGES {
            for key in catalogue.guide_keys() {
                if catalogue.messages.exact(lang, &key).is_none() {
                    missing.push(format!("{lang}: {key}"));
                }
            }
        }
        assert!(missing.is_empty(), "{}", missing.join("\n"));
    }

    #[test]
    fn every_procedure_is_reachable_from_the_guidance() {
        let catalogue = Catalogue::builtin().unwrap();
        for procedure in &catalogue.procedures {
            let reachable = catalogue.guidance.iter().any(|n| {
                n.links
                    .contains(&GuidanceLink::Procedure(procedure.code.clone()))
            });
            assert!(reachable, "{} is not in the guidance", procedure.code);
        }
    }

    /// Every text of every language, rendered with the parameters its key takes
    /// (`MESSAGE_PARAMS`), has no placeholder left, and uses every parameter.
    #[test]
    fn every_message_renders_without_placeholders_left() {
        let catalogue = Catalogue::builtin().unwrap();
        let mut bad = Vec::new();
        for lang in Lang::ALL {
            for key in catalogue.messages.keys(lang) {
                let Some(template) = catalogue.messages.exact(lang, key) else {
                    continue;
                };
                let params: Vec<(&str, String)> = message_params(key)
                    .iter()
                    .map(|p| (*p, format!("<{p}>")))
                    .collect();
                match crate::i18n::fill(template, &params) {
                    Ok(text) if text.contains('{') || text.contains('}') => {
                        bad.push(format!("{lang} {key}: brace left in {text:?}"))
                    }
                    Ok(text) => {
                        for (p, value) in &params {
                            if !text.contains(value.as_str()) {
                                bad.push(format!("{lang} {key}: does not say {{{p}}}"));
                            }
                        }
                    }
                    Err(missing) => bad.push(format!("{lang} {key}: no value for {{{missing}}}")),
                }
            }
        }
        assert!(bad.is_empty(), "{}", bad.join("\n"));
    }

    #[test]
    fn no_procedure_asks_the_same_thing_in_answers_and_facts() {
        let catalogue = Catalogue::builtin().unwrap();
        for p in &catalogue.procedures {
            for q in &p.questions {
                assert_eq!(
                    asked_twice(&catalogue.questions, q, &p.form),
                    None,
                    "{}: {q}",
                    p.code
                );
            }
        }
        // And a catalogue that does is refused when loaded.
        let source = include_str!("../catalogue/procedures.toml").replace(
            "retired_questions = [\"scam_kind\"]",
            "questions = [\"scam_kind\"]",
        );
        let err = Catalogue::parse(&source, Messages::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("online_scam") && err.contains("scam_kind"),
            "{err}"
        );
    }

    #[test]
    fn date_rules_must_name_date_fields_of_the_form() {
        let source = include_str!("../catalogue/procedures.toml");
        for (from, to) in [
            (
                "not_before = \"departure_date\"",
                "not_before = \"minor_first_name\"",
            ),
            (
                "not_before = \"departure_date\"",
                "not_before = \"nowhere\"",
            ),
            (
                "younger_than_years = 18",
                "younger_than_years = 18, not_after = \"today\"",
            ),
        ] {
            assert!(source.contains(from), "{from}");
            let broken = source.replace(from, to);
            let err = Catalogue::parse(&broken, Messages::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains("minor_travel_authorisation"), "{err}");
        }
    }

    #[test]
    fn time_zones_of_the_countries() {
        assert_eq!(Country::EsCt.time_zone(), chrono_tz::Europe::Madrid);
        assert_eq!(Country::Lu.time_zone(), chrono_tz::Europe::Luxembourg);
    }

    #[test]
    fn assurance_levels_are_ordered() {
        assert!(Assurance::High.satisfies(Assurance::Substantial));
        assert!(Assurance::Substantial.satisfies(Assurance::Substantial));
        assert!(!Assurance::Low.satisfies(Assurance::Substantial));
    }
}

//! The procedure catalogue and the eligibility check: public, no authentication.

use crate::caching::public_json;
use crate::error::{ApiError, FieldError, Problem};
use crate::extract::JsonBody;
use crate::language::Language;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use domain::catalogue::{
    Catalogue, Competence, Country, DeclarantKind, Procedure, Question, QuestionKind, Redirect,
};
use domain::eligibility::{self, Answer, AnswerErrors, Eligibility};
use domain::i18n::Lang;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CompetenceScope {
    /// The unit competent for the place of the facts.
    Local,
    /// One national unit, whatever the place.
    National,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CompetenceView {
    pub scope: CompetenceScope,
    /// The national unit, when the scope is national.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

impl From<&Competence> for CompetenceView {
    fn from(c: &Competence) -> Self {
        match c {
            Competence::Local => Self {
                scope: CompetenceScope::Local,
                unit: None,
            },
            Competence::National { unit } => Self {
                scope: CompetenceScope::National,
                unit: Some(unit.clone()),
            },
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProcedureSummary {
    /// Stable code of the procedure.
    pub code: String,
    /// `complaint`, `declaration`, `appointment`, `contact_request`, `request` or `alert`.
    pub kind: String,
    /// The kind, for a human.
    pub kind_label: String,
    pub name: String,
    pub description: String,
    /// Where it is offered (BE, LU, FR, ES-CT), among the countries this deployment serves.
    pub countries: Vec<String>,
    /// Who may file: `person`, `business`.
    pub declarants: Vec<String>,
    /// Minimum eIDAS level of assurance: `low`, `substantial`, `high`.
    pub min_assurance: String,
    pub competence: CompetenceView,
    /// Languages its texts exist in.
    pub languages: Vec<String>,
    /// In a list: the language of this item's texts, the first of its `languages` along
    /// the reader's fallback chain (it differs from the list's `language` when the
    /// procedure has no texts in it). Absent in a procedure's own document, whose
    /// `language` says it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "catalogue_version": "2026-11-22.1",
    "language": "nl",
    "items": [{
        "code": "bicycle_theft", "kind": "complaint", "kind_label": "Klacht",
        "name": "Klacht voor fietsdiefstal",
        "description": "Dien een klacht in voor de diefstal van uw fiets wanneer de dader onbekend is.",
        "countries": ["BE", "LU"], "declarants": ["person"], "min_assurance": "substantial",
        "competence": {"scope": "local"}, "languages": ["fr", "nl", "de", "en"]
    }]
}))]
pub struct ProcedureList {
    pub catalogue_version: String,
    /// The language of the texts.
    pub language: String,
    /// Every matching procedure (the catalogue is small: no pagination).
    pub items: Vec<ProcedureSummary>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerOption {
    pub value: String,
    pub label: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionView {
    pub code: String,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// `boolean` (answer true/false) or `choice` (answer one of `options`).
    #[serde(rename = "type")]
    pub answer_type: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<AnswerOption>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RedirectKind {
    Emergency,
    PoliceStation,
    Platform,
    Procedure,
}

/// Where to go instead.
#[derive(Debug, Serialize, ToSchema)]
pub struct RedirectView {
    pub kind: RedirectKind,
    pub label: String,
    /// For `emergency`: the numbers to call, national number first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emergency_numbers: Option<Vec<String>>,
    /// For `platform`: its address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// For `procedure`: the code of the procedure to use instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub procedure: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "code": "simple_theft", "kind": "complaint", "kind_label": "Complaint",
    "name": "Complaint for simple theft", "description": "File a complaint for the theft of ...",
    "countries": ["BE", "LU", "FR", "ES-CT"], "declarants": ["person"],
    "min_assurance": "substantial", "competence": {"scope": "local"},
    "languages": ["fr", "nl", "de", "en", "es", "ca"],
    "help": "Online filing is for simple thefts only ...",
    "after_submission": "Your complaint is sent to the police unit of the place where the theft happened ...",
    "max_facts_age_days": 365,
    "questionnaire": [{"code": "known_author", "text": "Do you know who the author is, or could you identify them?", "type": "boolean"}],
    "form_schema": {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "properties": {}},
    "redirections": [{"kind": "police_station", "label": "Go to a police station"}],
    "emergency_numbers": {"BE": ["101", "112"]},
    "catalogue_version": "2026-11-22.1",
    "language": "en"
}))]
pub struct ProcedureDetail {
    #[serde(flatten)]
    pub summary: ProcedureSummary,
    pub help: String,
    /// What happens once the filing is submitted.
    pub after_submission: String,
    /// How old the facts may be, in days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_facts_age_days: Option<u32>,
    /// The eligibility questions, in order; answer them in `POST /v1/eligibility-checks`.
    pub questionnaire: Vec<QuestionView>,
    /// The facts form, as a JSON Schema (2020-12) with labels in the requested language.
    #[schema(value_type = Object)]
    pub form_schema: serde_json::Value,
    /// Where the eligibility rules may send the citizen instead.
    pub redirections: Vec<RedirectView>,
    /// Emergency numbers of each country where the procedure is offered.
    pub emergency_numbers: BTreeMap<String, Vec<String>>,
    pub catalogue_version: String,
    pub language: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProcedureQuery {
    /// Only procedures offered in this country: BE, LU, FR or ES-CT.
    pub country: Option<String>,
    /// Only procedures open to this declarant: `person` or `business`.
    pub declarant: Option<String>,
    /// Language of the texts (overrides Accept-Language): fr, nl, de, en, es, ca, lb.
    pub lang: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// Language of the texts (overrides Accept-Language): fr, nl, de, en, es, ca, lb.
    pub lang: Option<String>,
}

fn redirect_view(
    catalogue: &Catalogue,
    lang: Lang,
    redirect: &Redirect,
    country: Option<Country>,
) -> RedirectView {
    let base = |kind, label: String| RedirectView {
        kind,
        label,
        emergency_numbers: None,
        url: None,
        procedure: None,
    };
    match redirect {
        Redirect::Emergency => RedirectView {
            emergency_numbers: country.map(|c| catalogue.emergency_numbers(c).to_vec()),
            ..base(
                RedirectKind::Emergency,
                catalogue.text(lang, "redirect.emergency.label"),
            )
        },
        Redirect::PoliceStation => base(
            RedirectKind::PoliceStation,
            catalogue.text(lang, "redirect.police_station.label"),
        ),
        Redirect::Platform(code) => RedirectView {
            url: catalogue.platforms.get(code).map(|p| p.url.clone()),
            ..base(
                RedirectKind::Platform,
                catalogue.text(lang, &format!("redirect.platform.{code}")),
            )
        },
        Redirect::Procedure(code) => {
            let name = catalogue.text(lang, &format!("procedure.{code}.name"));
            let label = catalogue.render(lang, "redirect.procedure.label", &[("name", name)]);
            RedirectView {
                procedure: Some(code.clone()),
                ..base(RedirectKind::Procedure, label)
            }
        }
    }
}

fn served_countries(state: &AppState, procedure: &Procedure) -> Vec<Country> {
    procedure
        .countries
        .iter()
        .copied()
        .filter(|c| state.countries.contains(c))
        .collect()
}

fn summary(state: &AppState, lang: Lang, p: &Procedure) -> ProcedureSummary {
    let catalogue = &state.catalogue;
    ProcedureSummary {
        code: p.code.clone(),
        kind: p.kind.to_string(),
        kind_label: catalogue.text(lang, &format!("procedure_kind.{}", p.kind)),
        name: catalogue.text(lang, &format!("procedure.{}.name", p.code)),
        description: catalogue.text(lang, &format!("procedure.{}.description", p.code)),
        countries: served_countries(state, p)
            .iter()
            .map(ToString::to_string)
            .collect(),
        declarants: p.declarants.iter().map(ToString::to_string).collect(),
        min_assurance: p.assurance.to_string(),
        competence: (&p.competence).into(),
        languages: p.languages.iter().map(ToString::to_string).collect(),
        language: None,
    }
}

fn query_error(name: &str, code: &str) -> ApiError {
    ApiError::Validation(vec![FieldError::new(format!("/query/{name}"), code)])
}

/// The filters of the procedure list: an unknown country or declarant is a validation
/// error at its query parameter (the country first).
fn procedure_filters(
    query: &ProcedureQuery,
) -> Result<(Option<Country>, Option<DeclarantKind>), ApiError> {
    let country = match &query.country {
        Some(c) => Some(
            c.parse::<Country>()
                .map_err(|_| query_error("country", "unknown_country"))?,
        ),
        None => None,
    };
    let declarant = match &query.declarant {
        Some(d) => Some(
            d.parse::<DeclarantKind>()
                .map_err(|_| query_error("declarant", "unknown_declarant"))?,
        ),
        None => None,
    };
    Ok((country, declarant))
}

/// The procedures offered in at least one served country that match the filters, each in
/// the first of its languages along the reader's fallback chain.
fn procedure_list(
    state: &AppState,
    lang: Lang,
    country: Option<Country>,
    declarant: Option<DeclarantKind>,
) -> ProcedureList {
    let items = state
        .catalogue
        .procedures
        .iter()
        .filter(|p| !served_countries(state, p).is_empty())
        .filter(|p| country.is_none_or(|c| served_countries(state, p).contains(&c)))
        .filter(|p| declarant.is_none_or(|d| p.declarants.contains(&d)))
        .map(|p| {
            let served = crate::i18n::served_among(lang, &p.languages);
            ProcedureSummary {
                language: Some(served.to_string()),
                ..summary(state, served, p)
            }
        })
        .collect();
    ProcedureList {
        catalogue_version: state.catalogue.version.clone(),
        language: lang.to_string(),
        items,
    }
}

/// An eligibility question with its texts (and, for a choice, its options' labels).
fn question_view(catalogue: &Catalogue, lang: Lang, q: &Question) -> QuestionView {
    let (answer_type, options) = match &q.kind {
        QuestionKind::Boolean => ("boolean", Vec::new()),
        QuestionKind::Choice {
            enumeration,
            options,
        } => (
            "choice",
            options
                .iter()
                .map(|o| AnswerOption {
                    value: o.clone(),
                    label: catalogue.text(lang, &format!("option.{enumeration}.{o}")),
                })
                .collect(),
        ),
    };
    QuestionView {
        code: q.code.clone(),
        text: catalogue.text(lang, &format!("question.{}.text", q.code)),
        help: catalogue.optional_text(lang, &format!("question.{}.help", q.code)),
        answer_type: answer_type.into(),
        options,
    }
}

/// Where a procedure's rules may send the citizen, each once, in `Redirect`'s order.
fn rule_redirects<'a>(catalogue: &'a Catalogue, procedure: &Procedure) -> Vec<&'a Redirect> {
    let mut redirects: Vec<&Redirect> = procedure
        .rules
        .iter()
        .filter_map(|r| catalogue.rules.get(r))
        .map(|r| &r.redirect)
        .collect();
    redirects.sort();
    redirects.dedup();
    redirects
}

/// A procedure's own document, its texts in `lang`.
fn procedure_detail(state: &AppState, lang: Lang, procedure: &Procedure) -> ProcedureDetail {
    let catalogue = &state.catalogue;
    let code = &procedure.code;
    let questionnaire = procedure
        .questions
        .iter()
        .filter_map(|q| catalogue.questions.get(q))
        .map(|q| question_view(catalogue, lang, q))
        .collect();
    let countries = served_countries(state, procedure);
    ProcedureDetail {
        summary: summary(state, lang, procedure),
        help: catalogue.text(lang, &format!("procedure.{code}.help")),
        after_submission: catalogue.text(lang, &format!("procedure.{code}.after_submission")),
        max_facts_age_days: procedure.max_facts_age_days,
        questionnaire,
        form_schema: catalogue.form_schema(procedure, lang),
        redirections: rule_redirects(catalogue, procedure)
            .into_iter()
            .map(|r| redirect_view(catalogue, lang, r, None))
            .collect(),
        emergency_numbers: countries
            .iter()
            .map(|c| (c.to_string(), catalogue.emergency_numbers(*c).to_vec()))
            .collect(),
        catalogue_version: catalogue.version.clone(),
        language: lang.to_string(),
    }
}

/// List the procedures
///
/// Every procedure this deployment offers, with names and descriptions in the requested
/// language. Cacheable: send `If-None-Match` with the last `ETag`.
#[utoipa::path(
    tag = "catalogue",
    security(()),
    params(ProcedureQuery),
    responses(
        (status = 200, description = "The procedures", body = ProcedureList,
            headers(("ETag" = String, description = "Version of this representation"),
                    ("Content-Language" = String, description = "Language of the texts"))),
        (status = 304, description = "Not modified since the `ETag` in `If-None-Match`"),
        (status = 422, description = "Unknown country or declarant", body = Problem,
            content_type = "application/problem+json"),
    )
)]
#[get("/procedures")]
pub async fn list_procedures(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ProcedureQuery>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let (country, declarant) = procedure_filters(&query)?;
    let list = procedure_list(&state, lang, country, declarant);
    Ok(public_json(&req, lang, &list))
}

/// Get a procedure
///
/// The procedure with its eligibility questionnaire, its facts form as a JSON Schema,
/// what happens after submission and where its rules may redirect.
#[utoipa::path(
    tag = "catalogue",
    security(()),
    params(("code" = String, Path, description = "Code of the procedure"), LangQuery),
    responses(
        (status = 200, description = "The procedure", body = ProcedureDetail,
            headers(("ETag" = String, description = "Version of this representation"),
                    ("Content-Language" = String, description = "Language of the texts"))),
        (status = 304, description = "Not modified since the `ETag` in `If-None-Match`"),
        (status = 404, description = "No such procedure", body = Problem,
            content_type = "application/problem+json"),
    )
)]
#[get("/procedures/{code}")]
pub async fn get_procedure(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner();
    let procedure = state
        .catalogue
        .procedure(&code)
        .filter(|p| !served_countries(&state, p).is_empty())
        .ok_or_else(|| ApiError::ProcedureNotFound(code.clone()))?;
    // The procedure's texts exist in its own languages: answer (and label) in the first
    // of them along the reader's fallback chain.
    let lang = crate::i18n::served_among(lang, &procedure.languages);
    Ok(public_json(
        &req,
        lang,
        &procedure_detail(&state, lang, procedure),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "procedure": "simple_theft",
    "country": "LU",
    "declarant": "person",
    "answers": {"ongoing_danger": false, "injury": true, "known_author": false,
                "violence": false, "exploitable_traces": false}
}))]
pub struct EligibilityCheckRequest {
    /// Code of the procedure.
    pub procedure: String,
    /// Country of the deployment: BE, LU, FR or ES-CT (decides the emergency numbers).
    pub country: String,
    /// `person` (default) or `business`.
    #[serde(default)]
    pub declarant: Option<String>,
    /// One answer per question of the questionnaire: `true`/`false`, or the value of an
    /// option for `choice` questions.
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EligibilityOutcome {
    Eligible,
    NotEligible,
}

/// A condition the case does not meet.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonView {
    /// Stable code of the reason.
    pub code: String,
    /// The question whose answer failed the condition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    /// Why, for the citizen.
    pub explanation: String,
    /// Where to go for this reason.
    pub redirect: RedirectView,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "procedure": "simple_theft",
    "country": "LU",
    "outcome": "not_eligible",
    "reasons": [{
        "code": "injury", "question": "injury",
        "explanation": "Someone was injured: call the emergency number; injuries are not handled online.",
        "redirect": {"kind": "emergency", "label": "Call the emergency number", "emergency_numbers": ["113", "112"]}
    }],
    "redirects": [{"kind": "emergency", "label": "Call the emergency number", "emergency_numbers": ["113", "112"]}],
    "emergency_numbers": ["113", "112"],
    "language": "en"
}))]
pub struct EligibilityResult {
    pub procedure: String,
    pub country: String,
    pub outcome: EligibilityOutcome,
    /// Who will process the filing, when eligible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub competence: Option<CompetenceView>,
    /// Every failed condition, emergencies first.
    pub reasons: Vec<ReasonView>,
    /// Where to go instead, without duplicates, emergency numbers first.
    pub redirects: Vec<RedirectView>,
    /// The country's emergency numbers, always given as a reminder.
    pub emergency_numbers: Vec<String>,
    pub language: String,
}

/// Check eligibility
///
/// Tells whether a case can be filed online with this procedure. When it cannot, every
/// failed condition is listed with its explanation and where to go instead; danger
/// always sends to the emergency numbers first, even when other answers are missing.
#[utoipa::path(
    tag = "catalogue",
    security(()),
    params(LangQuery),
    request_body = EligibilityCheckRequest,
    responses(
        (status = 200, description = "The outcome, eligible or not", body = EligibilityResult),
        (status = 400, description = "The body is not JSON", body = Problem,
            content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem,
            content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "Unknown procedure or country, or answers missing, unknown or invalid",
            body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/eligibility-checks")]
pub async fn check_eligibility(
    state: web::Data<AppState>,
    JsonBody(body): JsonBody<EligibilityCheckRequest>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let catalogue = &state.catalogue;
    let case = eligibility_case(&state, &body)?;
    let outcome = eligibility::check(
        catalogue,
        case.procedure,
        case.country,
        case.declarant,
        &case.answers,
        lang,
    )
    .map_err(|e| answer_errors(catalogue, case.procedure, &e))?;
    let result = EligibilityResult::new(catalogue, lang, case.procedure, case.country, outcome);
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_LANGUAGE, lang.as_str()))
        .json(result))
}

/// A case to check, read from the request.
struct EligibilityCase<'a> {
    procedure: &'a Procedure,
    country: Country,
    declarant: DeclarantKind,
    answers: BTreeMap<String, Answer>,
}

/// Reads a case: the procedure, a served country, the declarant (a person when absent)
/// and answers that are booleans or strings. Every fault is reported at once, with the
/// allowed values.
fn eligibility_case<'a>(
    state: &'a AppState,
    body: &EligibilityCheckRequest,
) -> Result<EligibilityCase<'a>, ApiError> {
    let catalogue = &state.catalogue;
    let mut errors = Vec::new();
    let procedure = catalogue.procedure(&body.procedure);
    if procedure.is_none() {
        errors.push(
            FieldError::new("/procedure", "unknown_procedure")
                .allowed(catalogue.procedures.iter().map(|p| &p.code)),
        );
    }
    let country = body
        .country
        .parse::<Country>()
        .ok()
        .filter(|c| state.countries.contains(c));
    if country.is_none() {
        errors.push(FieldError::new("/country", "unknown_country").allowed(&state.countries));
    }
    let declarant = match body.declarant.as_deref() {
        None => Some(DeclarantKind::Person),
        Some(d) => d.parse::<DeclarantKind>().ok(),
    };
    if declarant.is_none() {
        errors.push(FieldError::new("/declarant", "unknown_declarant").allowed(DeclarantKind::ALL));
    }
    let answers = parse_answers(&body.answers, &mut errors);
    let (Some(procedure), Some(country), Some(declarant)) = (procedure, country, declarant) else {
        return Err(ApiError::Validation(errors));
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    Ok(EligibilityCase {
        procedure,
        country,
        declarant,
        answers,
    })
}

/// The answers that are booleans or strings; any other value is an `invalid_answer`
/// added to `errors`.
fn parse_answers(
    raw: &BTreeMap<String, serde_json::Value>,
    errors: &mut Vec<FieldError>,
) -> BTreeMap<String, Answer> {
    let mut answers = BTreeMap::new();
    for (question, value) in raw {
        match value {
            serde_json::Value::Bool(b) => {
                answers.insert(question.clone(), Answer::from_bool(*b));
            }
            serde_json::Value::String(s) => {
                answers.insert(question.clone(), Answer::Choice(s.clone()));
            }
            _ => errors.push(FieldError::new(
                format!("/answers/{}", domain::forms::escape(question)),
                "invalid_answer",
            )),
        }
    }
    answers
}

/// Answers that cannot be evaluated, as a validation error: unknown questions, then
/// invalid answers, then missing ones, each with its allowed values where there are some.
fn answer_errors(catalogue: &Catalogue, procedure: &Procedure, e: &AnswerErrors) -> ApiError {
    let at = |q: &String, code: &str| {
        let error = FieldError::new(format!("/answers/{}", domain::forms::escape(q)), code);
        let allowed = match code {
            "unknown_question" => Some(procedure.questions.clone()),
            "invalid_answer" => catalogue.invalid_answer(procedure, q, &serde_json::Value::Null),
            _ => None,
        };
        match allowed {
            Some(values) => error.allowed(values),
            None => error,
        }
    };
    let mut errors: Vec<FieldError> = e
        .unknown
        .iter()
        .map(|q| at(q, "unknown_question"))
        .collect();
    errors.extend(e.invalid.iter().map(|q| at(q, "invalid_answer")));
    errors.extend(e.missing.iter().map(|q| at(q, "required")));
    ApiError::Validation(errors)
}

impl EligibilityResult {
    /// The outcome of a check, its texts in `lang` and its redirects with the country's
    /// emergency numbers.
    fn new(
        catalogue: &Catalogue,
        lang: Lang,
        procedure: &Procedure,
        country: Country,
        outcome: Eligibility,
    ) -> Self {
        let redirect = |r: &Redirect| redirect_view(catalogue, lang, r, Some(country));
        let (outcome, competence, reasons, redirects) = match outcome {
            Eligibility::Eligible { competence } => (
                EligibilityOutcome::Eligible,
                Some((&competence).into()),
                Vec::new(),
                Vec::new(),
            ),
            Eligibility::NotEligible {
                failures,
                redirects,
            } => (
                EligibilityOutcome::NotEligible,
                None,
                failures
                    .iter()
                    .map(|f| ReasonView {
                        code: f.reason.clone(),
                        question: f.question.clone(),
                        explanation: f.explanation.clone(),
                        redirect: redirect(&f.redirect),
                    })
                    .collect(),
                redirects.iter().map(redirect).collect(),
            ),
        };
        Self {
            procedure: procedure.code.clone(),
            country: country.to_string(),
            outcome,
            competence,
            reasons,
            redirects,
            emergency_numbers: catalogue.emergency_numbers(country).to_vec(),
            language: lang.to_string(),
        }
    }
}

//! The guidance tree and the prevention advice: public, cacheable, localized.

use crate::caching::public_json;
use crate::error::{ApiError, FieldError, Problem};
use crate::language::Language;
use crate::state::AppState;
use actix_web::{get, web, HttpRequest, HttpResponse};
use domain::catalogue::{Catalogue, Country};
use domain::guidance::{paragraphs, GuidanceLink};
use domain::i18n::Lang;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    Procedure,
    Platform,
    Advice,
    Emergency,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GuidanceLinkView {
    pub kind: LinkKind,
    pub label: String,
    /// For `procedure`: its code (details at `/v1/procedures/{code}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub procedure: Option<String>,
    /// For `platform`: its address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// For `emergency`, when a country is given: the numbers to call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emergency_numbers: Option<Vec<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GuidanceNodeView {
    pub id: String,
    pub label: String,
    pub description: String,
    pub links: Vec<GuidanceLinkView>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "language": "en",
    "nodes": [{
        "id": "victim", "label": "I am a victim",
        "description": "Something was stolen or damaged, you were scammed, or you suffer violence.",
        "links": [
            {"kind": "emergency", "label": "Emergency numbers", "emergency_numbers": ["101", "112"]},
            {"kind": "procedure", "label": "Complaint for simple theft", "procedure": "simple_theft"}
        ]
    }]
}))]
pub struct Guidance {
    pub language: String,
    /// "I am a victim", "I want to report something", "I need information".
    pub nodes: Vec<GuidanceNodeView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GuidanceQuery {
    /// Only what is offered in this country: BE, LU, FR or ES-CT.
    pub country: Option<String>,
    /// Language of the texts (overrides Accept-Language).
    pub lang: Option<String>,
}

fn parse_country(state: &AppState, raw: &Option<String>) -> Result<Option<Country>, ApiError> {
    match raw {
        None => Ok(None),
        Some(c) => c
            .parse::<Country>()
            .ok()
            .filter(|c| state.countries.contains(c))
            .map(Some)
            .ok_or_else(|| {
                ApiError::Validation(vec![FieldError::new("/query/country", "unknown_country")])
            }),
    }
}

/// Get the guidance tree
///
/// Three entry points ("I am a victim", "I want to report something", "I need
/// information"), each linking to procedures, other platforms, advice and the emergency
/// numbers.
#[utoipa::path(
    tag = "guidance",
    security(()),
    params(GuidanceQuery),
    responses(
        (status = 200, description = "The guidance tree", body = Guidance),
        (status = 304, description = "Not modified since the `ETag` in `If-None-Match`"),
        (status = 422, description = "Unknown country", body = Problem,
            content_type = "application/problem+json"),
    )
)]
#[get("/guidance")]
pub async fn get_guidance(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<GuidanceQuery>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let country = parse_country(&state, &query.country)?;
    Ok(public_json(
        &req,
        lang,
        &Guidance::new(&state, lang, country),
    ))
}

impl Guidance {
    /// The guidance tree in `lang`, keeping the links available in `country` (in any
    /// served country when none is given).
    fn new(state: &AppState, lang: Lang, country: Option<Country>) -> Self {
        let countries: Vec<Country> = match country {
            Some(c) => vec![c],
            None => state.countries.clone(),
        };
        let catalogue = &state.catalogue;
        let nodes = catalogue
            .guidance
            .iter()
            .map(|node| GuidanceNodeView {
                id: node.id.clone(),
                label: catalogue.text(lang, &format!("guidance.{}.label", node.id)),
                description: catalogue.text(lang, &format!("guidance.{}.description", node.id)),
                links: node
                    .links
                    .iter()
                    .filter(|l| catalogue.link_available(l, &countries))
                    .map(|link| GuidanceLinkView::new(catalogue, lang, link, country))
                    .collect(),
            })
            .collect();
        Guidance {
            language: lang.to_string(),
            nodes,
        }
    }
}

impl GuidanceLinkView {
    /// A link with its label in `lang`; an emergency link carries the numbers of
    /// `country`, when one is given.
    fn new(
        catalogue: &Catalogue,
        lang: Lang,
        link: &GuidanceLink,
        country: Option<Country>,
    ) -> Self {
        let view = |kind, label| GuidanceLinkView {
            kind,
            label,
            procedure: None,
            url: None,
            emergency_numbers: None,
        };
        match link {
            GuidanceLink::Procedure(code) => GuidanceLinkView {
                procedure: Some(code.clone()),
                ..view(
                    LinkKind::Procedure,
                    catalogue.text(lang, &format!("procedure.{code}.name")),
                )
            },
            GuidanceLink::Platform(code) => GuidanceLinkView {
                url: catalogue.platforms.get(code).map(|p| p.url.clone()),
                ..view(
                    LinkKind::Platform,
                    catalogue.text(lang, &format!("redirect.platform.{code}")),
                )
            },
            GuidanceLink::Advice => view(
                LinkKind::Advice,
                catalogue.text(lang, "guidance.link.advice"),
            ),
            GuidanceLink::Emergency => GuidanceLinkView {
                emergency_numbers: country.map(|c| catalogue.emergency_numbers(c).to_vec()),
                ..view(
                    LinkKind::Emergency,
                    catalogue.text(lang, "guidance.link.emergency"),
                )
            },
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdviceSummary {
    pub slug: String,
    pub theme: String,
    pub theme_label: String,
    pub title: String,
    pub summary: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "language": "en",
    "items": [{"slug": "bicycle-theft", "theme": "theft", "theme_label": "Theft",
               "title": "Keep your bicycle", "summary": "A good lock, a fixed point and a recorded frame number."}]
}))]
pub struct AdviceList {
    pub language: String,
    pub items: Vec<AdviceSummary>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RelatedProcedure {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "slug": "bicycle-theft", "theme": "theft", "theme_label": "Theft",
    "title": "Keep your bicycle", "summary": "A good lock, a fixed point and a recorded frame number.",
    "paragraphs": ["Lock the frame and a wheel to a fixed point with a solid lock, even for a short stop."],
    "related_procedures": [{"code": "bicycle_theft", "name": "Complaint for bicycle theft"}],
    "language": "en"
}))]
pub struct AdviceArticle {
    #[serde(flatten)]
    pub summary: AdviceSummary,
    /// The text, paragraph by paragraph.
    pub paragraphs: Vec<String>,
    /// Procedures to use if it happened.
    pub related_procedures: Vec<RelatedProcedure>,
    pub language: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdviceQuery {
    /// Only articles of this theme: digital_life, scams, harassment, theft, home.
    pub theme: Option<String>,
    /// Language of the texts (overrides Accept-Language).
    pub lang: Option<String>,
}

fn advice_summary(
    state: &AppState,
    lang: domain::i18n::Lang,
    a: &domain::guidance::Article,
) -> AdviceSummary {
    let c = &state.catalogue;
    AdviceSummary {
        slug: a.slug.clone(),
        theme: a.theme.clone(),
        theme_label: c.text(lang, &format!("advice_theme.{}", a.theme)),
        title: c.text(lang, &format!("advice.{}.title", a.slug)),
        summary: c.text(lang, &format!("advice.{}.summary", a.slug)),
    }
}

/// List prevention advice
///
/// General prevention advice by theme.
#[utoipa::path(
    tag = "guidance",
    security(()),
    params(AdviceQuery),
    responses(
        (status = 200, description = "The articles", body = AdviceList),
        (status = 304, description = "Not modified since the `ETag` in `If-None-Match`"),
    )
)]
#[get("/advice")]
pub async fn list_advice(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<AdviceQuery>,
    Language(lang): Language,
) -> HttpResponse {
    let items = state
        .catalogue
        .articles
        .iter()
        .filter(|a| query.theme.as_ref().is_none_or(|t| &a.theme == t))
        .map(|a| advice_summary(&state, lang, a))
        .collect();
    public_json(
        &req,
        lang,
        &AdviceList {
            language: lang.to_string(),
            items,
        },
    )
}

/// Get a prevention article
#[utoipa::path(
    tag = "guidance",
    security(()),
    params(("slug" = String, Path, description = "Identifier of the article"), crate::routes::catalogue::LangQuery),
    responses(
        (status = 200, description = "The article", body = AdviceArticle),
        (status = 304, description = "Not modified since the `ETag` in `If-None-Match`"),
        (status = 404, description = "No such article", body = Problem,
            content_type = "application/problem+json"),
    )
)]
#[get("/advice/{slug}")]
pub async fn get_advice(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    let article = state
        .catalogue
        .article(&slug)
        .ok_or_else(|| ApiError::AdviceNotFound(slug.clone()))?;
    let c = &state.catalogue;
    let view = AdviceArticle {
        summary: advice_summary(&state, lang, article),
        paragraphs: paragraphs(&c.text(lang, &format!("advice.{slug}.body"))),
        related_procedures: article
            .related
            .iter()
            .filter_map(|code| c.procedure(code))
            .filter(|p| {
                p.countries
                    .iter()
                    .any(|country| state.countries.contains(country))
            })
            .map(|p| RelatedProcedure {
                code: p.code.clone(),
                name: c.text(lang, &format!("procedure.{}.name", p.code)),
            })
            .collect(),
        language: lang.to_string(),
    };
    Ok(public_json(&req, lang, &view))
}

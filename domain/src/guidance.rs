//! The guidance tree ("I am a victim / I want to report something / I need
//! information") and the prevention advice articles: data in `catalogue/guidance.toml`,
//! texts in `catalogue/messages/guide.<lang>.toml`.

use crate::catalogue::{Catalogue, CatalogueError, Country};
use crate::i18n::Lang;
use serde::Deserialize;

/// Languages the guidance and advice are written in; others fall back.
pub const GUIDE_LANGUAGES: [Lang; 6] = [Lang::Fr, Lang::Nl, Lang::De, Lang::En, Lang::Es, Lang::Ca];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuidanceLink {
    Procedure(String),
    Platform(String),
    Advice,
    Emergency,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuidanceNode {
    pub id: String,
    pub links: Vec<GuidanceLink>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    pub slug: String,
    pub theme: String,
    pub related: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGuide {
    nodes: Vec<RawNode>,
    articles: Vec<RawArticle>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNode {
    id: String,
    links: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArticle {
    slug: String,
    theme: String,
    related: Vec<String>,
}

pub(crate) fn parse(
    source: &str,
    catalogue: &Catalogue,
) -> Result<(Vec<GuidanceNode>, Vec<Article>), CatalogueError> {
    let raw: RawGuide =
        toml::from_str(source).map_err(|e| CatalogueError::Syntax(e.to_string()))?;
    let bad = |m: String| CatalogueError::Inconsistent(format!("guidance: {m}"));
    let mut nodes = Vec::new();
    for node in raw.nodes {
        let mut links = Vec::new();
        for link in &node.links {
            links.push(match link.split_once(':') {
                None if link == "advice" => GuidanceLink::Advice,
                None if link == "emergency" => GuidanceLink::Emergency,
                Some(("procedure", code)) if catalogue.procedure(code).is_some() => {
                    GuidanceLink::Procedure(code.to_owned())
                }
                Some(("platform", code)) if catalogue.platforms.contains_key(code) => {
                    GuidanceLink::Platform(code.to_owned())
                }
                _ => return Err(bad(format!("node {}: unknown link {link}", node.id))),
            });
        }
        nodes.push(GuidanceNode { id: node.id, links });
    }
    let mut articles = Vec::new();
    for article in raw.articles {
        if let Some(code) = article
            .related
            .iter()
            .find(|c| catalogue.procedure(c).is_none())
        {
            return Err(bad(format!(
                "article {}: unknown procedure {code}",
                article.slug
            )));
        }
        if articles.iter().any(|a: &Article| a.slug == article.slug) {
            return Err(bad(format!("duplicate article {}", article.slug)));
        }
        articles.push(Article {
            slug: article.slug,
            theme: article.theme,
            related: article.related,
        });
    }
    Ok((nodes, articles))
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
        let mut keys = vec![
            "guidance.link.advice".to_owned(),
            "guidance.link.emergency".to_owned(),
        ];
        for node in &self.guidance {
            keys.push(format!("guidance.{}.label", node.id));
            keys.push(format!("guidance.{}.description", node.id));
        }
        for article in &self.articles {
            for part in ["title", "summary", "body"] {
                keys.push(format!("advice.{}.{part}", article.slug));
            }
            keys.push(format!("advice_theme.{}", article.theme));
        }
        keys
    }
}

/// The paragraphs of an article's body (separated by blank lines).
pub fn paragraphs(body: &str) -> Vec<String> {
    body.split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guidance_and_advice_are_complete_in_their_languages() {
        let catalogue = Catalogue::builtin().unwrap();
        assert_eq!(catalogue.guidance.len(), 3);
        assert!(catalogue.articles.len() >= 5);
        let mut missing = Vec::new();
        for lang in GUIDE_LANGUAGES {
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

    #[test]
    fn bodies_split_into_paragraphs() {
        assert_eq!(paragraphs("a\nb\n\n  c  \n\n\n"), vec!["a b", "c"]);
    }
}

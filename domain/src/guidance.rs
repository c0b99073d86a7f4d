//! The guidance tree ("I am a victim / I want to report something / I need
//! information") and the prevention advice articles: data in `catalogue/guidance.toml`,
//! texts in `catalogue/messages/guide.<lang>.toml`.

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

/// Why the guidance data cannot be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuidanceError {
    Syntax(String),
    Inconsistent(String),
}

/// Parses the guidance data; links and related procedures must name one of
/// `procedures` or `platforms` (codes of the catalogue it belongs to).
pub(crate) fn parse(
    source: &str,
    procedures: &[&str],
    platforms: &[&str],
) -> Result<(Vec<GuidanceNode>, Vec<Article>), GuidanceError> {
    let raw: RawGuide = toml::from_str(source).map_err(|e| GuidanceError::Syntax(e.to_string()))?;
    let bad = |m: String| GuidanceError::Inconsistent(format!("guidance: {m}"));
    let mut nodes = Vec::new();
    for node in raw.nodes {
        let mut links = Vec::new();
        for link in &node.links {
            links.push(match link.split_once(':') {
                None if link == "advice" => GuidanceLink::Advice,
                None if link == "emergency" => GuidanceLink::Emergency,
                Some(("procedure", code)) if procedures.contains(&code) => {
                    GuidanceLink::Procedure(code.to_owned())
                }
                Some(("platform", code)) if platforms.contains(&code) => {
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
            .find(|c| !procedures.contains(&c.as_str()))
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

/// Every message key the guidance and the advice need.
pub fn keys(guidance: &[GuidanceNode], articles: &[Article]) -> Vec<String> {
    let mut keys = vec![
        "guidance.link.advice".to_owned(),
        "guidance.link.emergency".to_owned(),
    ];
    for node in guidance {
        keys.push(format!("guidance.{}.label", node.id));
        keys.push(format!("guidance.{}.description", node.id));
    }
    for article in articles {
        for part in ["title", "summary", "body"] {
            keys.push(format!("advice.{}.{part}", article.slug));
        }
        keys.push(format!("advice_theme.{}", article.theme));
    }
    keys
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
    fn bodies_split_into_paragraphs() {
        assert_eq!(paragraphs("a\nb\n\n  c  \n\n\n"), vec!["a b", "c"]);
    }

    #[test]
    fn unknown_links_are_refused() {
        let source = "nodes = [{ id = \"a\", links = [\"procedure:x\"] }]\narticles = []";
        assert!(parse(source, &["x"], &[]).is_ok());
        assert!(matches!(
            parse(source, &["y"], &[]),
            Err(GuidanceError::Inconsistent(_))
        ));
        assert!(matches!(
            parse("nodes = 1", &[], &[]),
            Err(GuidanceError::Syntax(_))
        ));
    }
}

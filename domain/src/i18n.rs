//! Languages, their negotiation, and message catalogues keyed by stable ids.
//!
//! A catalogue is a set of TOML files, one per language, whose nested tables flatten to
//! dotted keys (`procedure.simple_theft.name`). Lookups follow a fallback chain, so a
//! Luxembourgish reader gets German, then French, then English. Completeness is checked by
//! tests, not papered over at run time.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

/// A language a reader may ask for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Fr,
    Nl,
    De,
    En,
    Es,
    Ca,
    /// Luxembourgish: understood, answered through its fallback chain.
    Lb,
}

impl Lang {
    pub const ALL: [Lang; 7] = [
        Lang::Fr,
        Lang::Nl,
        Lang::De,
        Lang::En,
        Lang::Es,
        Lang::Ca,
        Lang::Lb,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::Nl => "nl",
            Lang::De => "de",
            Lang::En => "en",
            Lang::Es => "es",
            Lang::Ca => "ca",
            Lang::Lb => "lb",
        }
    }

    /// This language, then the ones its readers understand best, ending with English.
    pub fn fallback_chain(self) -> &'static [Lang] {
        match self {
            Lang::Fr => &[Lang::Fr, Lang::En],
            Lang::Nl => &[Lang::Nl, Lang::En, Lang::Fr],
            Lang::De => &[Lang::De, Lang::En, Lang::Fr],
            Lang::En => &[Lang::En, Lang::Fr],
            Lang::Es => &[Lang::Es, Lang::Ca, Lang::En],
            Lang::Ca => &[Lang::Ca, Lang::Es, Lang::En],
            Lang::Lb => &[Lang::Lb, Lang::De, Lang::Fr, Lang::En],
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Lang {
    type Err = crate::UnknownCode;

    /// Accepts a language tag (`fr`, `fr-BE`, `de_LU`), case-insensitively.
    fn from_str(tag: &str) -> Result<Self, Self::Err> {
        let primary = tag
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        Lang::ALL
            .into_iter()
            .find(|l| l.as_str() == primary)
            .ok_or_else(|| crate::UnknownCode {
                kind: "language",
                value: tag.to_owned(),
            })
    }
}

/// Picks the language to answer in: the `?lang=` override when it names a known
/// language, else the best `Accept-Language` entry by q-value (ties keep header order),
/// else `default`.
///
/// Per RFC 9110 §12.5.4 and §12.4.2: parameter names are case-insensitive (`Q=0.5`), a
/// q-value of 0 means "not acceptable" (an excluded language is never chosen, not even
/// as the default: the first other language of `Lang::ALL` then is), `*` stands for any
/// language not listed, and an entry with an unreadable q-value is ignored.
pub fn negotiate(override_tag: Option<&str>, accept_language: Option<&str>, default: Lang) -> Lang {
    if let Some(lang) = override_tag.and_then(|t| t.parse().ok()) {
        return lang;
    }
    let Some(header) = accept_language else {
        return default;
    };
    let mut best: Option<(f32, Lang)> = None;
    let mut excluded: Vec<Lang> = Vec::new();
    let mut wildcard: Option<f32> = None;
    for entry in header.split(',') {
        let mut parts = entry.split(';');
        let tag = parts.next().unwrap_or_default().trim();
        let q = parts.find_map(|p| {
            let (name, value) = p.split_once('=')?;
            name.trim().eq_ignore_ascii_case("q").then(|| value.trim())
        });
        let q = match q {
            None => 1.0,
            Some(q) => match q.parse::<f32>() {
                Ok(q) if (0.0..=1.0).contains(&q) => q,
                _ => continue,
            },
        };
        if tag == "*" {
            wildcard = Some(q);
            continue;
        }
        let Ok(lang) = tag.parse::<Lang>() else {
            continue;
        };
        if q == 0.0 {
            // `fr-BE;q=0` excludes only that variant; `fr;q=0` the language.
            if !tag.contains(['-', '_']) {
                excluded.push(lang);
            }
            continue;
        }
        if best.is_none_or(|(best_q, _)| q > best_q) {
            best = Some((q, lang));
        }
    }
    if let Some((_, lang)) = best.filter(|(_, l)| !excluded.contains(l)) {
        return lang;
    }
    if wildcard == Some(0.0) || excluded.contains(&default) {
        // Only what was listed is acceptable, or the default is excluded.
        return [default]
            .into_iter()
            .chain(Lang::ALL)
            .find(|l| !excluded.contains(l) && *l != Lang::Lb)
            .unwrap_or(default);
    }
    default
}

/// Messages of several languages, flattened to dotted keys.
#[derive(Debug, Clone, Default)]
pub struct Messages {
    by_lang: HashMap<Lang, HashMap<String, String>>,
}

#[derive(Debug, thiserror::Error)]
#[error("messages for {lang}: {message}")]
pub struct MessagesError {
    pub lang: Lang,
    pub message: String,
}

impl Messages {
    /// Parses TOML documents, each for one language.
    pub fn from_toml(sources: &[(Lang, &str)]) -> Result<Self, MessagesError> {
        let mut by_lang = HashMap::new();
        for (lang, source) in sources {
            let table: toml::Table =
                source.parse().map_err(|e: toml::de::Error| MessagesError {
                    lang: *lang,
                    message: e.to_string(),
                })?;
            // Several documents may serve one language; they merge.
            let flat = by_lang.entry(*lang).or_insert_with(HashMap::new);
            flatten("", &toml::Value::Table(table), flat).map_err(|message| MessagesError {
                lang: *lang,
                message,
            })?;
        }
        Ok(Self { by_lang })
    }

    /// The text of `key` in `lang` itself, without fallback.
    pub fn exact(&self, lang: Lang, key: &str) -> Option<&str> {
        self.by_lang
            .get(&lang)
            .and_then(|m| m.get(key))
            .map(String::as_str)
            .filter(|s| !s.trim().is_empty())
    }

    /// The text of `key` in the first language of `lang`'s chain that has it.
    pub fn get(&self, lang: Lang, key: &str) -> Option<&str> {
        lang.fallback_chain()
            .iter()
            .find_map(|l| self.exact(*l, key))
    }

    /// The text of `key` in `lang` (with fallback), its `{name}` placeholders filled from
    /// `params`: the one way every message of the project is rendered. `None` when no
    /// language of the chain has the key.
    ///
    /// A placeholder without a parameter is a programming error: debug builds (and so
    /// every test) panic on it, naming the key and the parameter; release builds render
    /// it as an empty string, so a raw `{name}` never reaches a reader.
    pub fn render(&self, lang: Lang, key: &str, params: &[(&str, String)]) -> Option<String> {
        let template = self.get(lang, key)?;
        Some(match fill(template, params) {
            Ok(text) => text,
            Err(missing) => {
                debug_assert!(false, "message {key} ({lang}): no value for {{{missing}}}");
                fill_lossy(template, params)
            }
        })
    }

    /// Every key of a language (for completeness tests).
    pub fn keys(&self, lang: Lang) -> impl Iterator<Item = &str> {
        self.by_lang
            .get(&lang)
            .into_iter()
            .flat_map(|m| m.keys().map(String::as_str))
    }
}

/// The names of the `{name}` placeholders of a text, in order (a name is ASCII letters,
/// digits and underscores; other braces are literal text).
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if is_name(&after[..close]) => {
                names.push(&after[..close]);
                rest = &after[close + 1..];
            }
            _ => rest = after,
        }
    }
    names
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Fills the placeholders of `template`; `Err` names the first one without a value.
/// Values are inserted as they are (a value containing `{x}` is not filled again).
pub fn fill<'t>(template: &'t str, params: &[(&str, String)]) -> Result<String, &'t str> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if is_name(&after[..close]) => {
                let name = &after[..close];
                let value = params
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v)
                    .ok_or(name)?;
                out.push_str(value);
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn fill_lossy(template: &str, params: &[(&str, String)]) -> String {
    let mut params = params.to_vec();
    for name in placeholders(template) {
        if !params.iter().any(|(n, _)| *n == name) {
            params.push((name, String::new()));
        }
    }
    fill(template, &params).unwrap_or_default()
}

fn flatten(
    prefix: &str,
    value: &toml::Value,
    out: &mut HashMap<String, String>,
) -> Result<(), String> {
    match value {
        toml::Value::Table(table) => {
            for (key, value) in table {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&path, value, out)?;
            }
            Ok(())
        }
        toml::Value::String(text) => {
            out.insert(prefix.to_owned(), text.trim().to_owned());
            Ok(())
        }
        other => Err(format!(
            "{prefix}: expected text, found {}",
            other.type_str()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn negotiation_table() {
        let cases: [(Option<&str>, Option<&str>, Lang); 15] = [
            (None, Some("fr;Q=0, nl"), Lang::Nl),
            (None, Some("fr;q=0, nl;Q=0.1"), Lang::Nl),
            (None, Some("en;q=0"), Lang::Fr),
            (None, Some("EN;Q=0, fr;q=0"), Lang::Nl),
            (None, Some("de;q=0.5, fr ; Q = 0.9"), Lang::Fr),
            (None, None, Lang::En),
            (None, Some("nl-BE,nl;q=0.9,fr;q=0.8"), Lang::Nl),
            (None, Some("fr;q=0.5, de;q=0.9"), Lang::De),
            (None, Some("ja, de;q=0.1"), Lang::De),
            (None, Some("lb-LU"), Lang::Lb),
            (None, Some("*"), Lang::En),
            (None, Some("fr;q=0, nl;q=0.2"), Lang::Nl),
            (Some("ca"), Some("fr"), Lang::Ca),
            (Some("xx"), Some("fr"), Lang::Fr),
            (None, Some("de;q=abc, es"), Lang::Es),
        ];
        for (override_tag, header, expected) in cases {
            assert_eq!(
                negotiate(override_tag, header, Lang::En),
                expected,
                "{override_tag:?} {header:?}"
            );
        }
    }

    #[test]
    fn lookups_follow_the_chain_and_format() {
        let messages = Messages::from_toml(&[
            (Lang::Fr, "[a]\nb = \"bonjour {name}\"\nonly_fr = \"x\""),
            (Lang::De, "[a]\nb = \"hallo {name}\""),
            (Lang::En, "[a]\nb = \"hello {name}\"\nblank = \"  \""),
        ])
        .unwrap();
        assert_eq!(messages.get(Lang::Lb, "a.b"), Some("hallo {name}"));
        assert_eq!(messages.get(Lang::Nl, "a.only_fr"), Some("x"));
        assert_eq!(messages.exact(Lang::En, "a.blank"), None);
        assert_eq!(
            messages
                .render(Lang::Fr, "a.b", &[("name", "Anne".into())])
                .as_deref(),
            Some("bonjour Anne")
        );
        assert!(Messages::from_toml(&[(Lang::Fr, "a = 1")]).is_err());
    }

    #[test]
    fn placeholders_are_filled_once_and_literal_braces_kept() {
        assert_eq!(
            placeholders("a {x} {y_2} {} {not one} {x}"),
            ["x", "y_2", "x"]
        );
        let params = [("x", "{y}".to_owned()), ("y", "2".to_owned())];
        assert_eq!(fill("<{x}|{y}|{}>", &params).unwrap(), "<{y}|2|{}>");
        assert_eq!(fill("{a} and {b}", &[("a", "1".into())]), Err("b"));
        assert_eq!(fill_lossy("{a} and {b}", &[("a", "1".into())]), "1 and ");
    }

    #[test]
    #[should_panic(expected = "no value for {name}")]
    fn a_missing_parameter_is_a_bug_in_tests() {
        let messages = Messages::from_toml(&[(Lang::En, "a = \"hello {name}\"")]).unwrap();
        let _ = messages.render(Lang::En, "a", &[]);
    }

    proptest! {
        #[test]
        fn negotiation_never_panics_and_answers_a_known_language(header in "\\PC{0,80}", o in "\\PC{0,6}") {
            let lang = negotiate(Some(&o), Some(&header), Lang::Fr);
            prop_assert!(Lang::ALL.contains(&lang));
        }
    }
}

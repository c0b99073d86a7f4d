//! The texts of e-mails and letters: message catalogues in the six languages
//! (`api/messages/mail/<lang>.toml`), each text a minijinja template over the message's
//! values, laid out by two templates (plain text, HTML with auto-escaping). No string
//! concatenation: a translator changes a whole sentence, and a value is always escaped
//! in HTML.

use chrono::{DateTime, Duration, Utc};
use domain::catalogue::Country;
use domain::filing::MessageTemplate;
use domain::i18n::Lang;
use minijinja::{context, Environment};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The languages e-mails and letters are written in (the API's own).
const SOURCES: [(Lang, &str); 6] = [
    (Lang::En, include_str!("../../messages/mail/en.toml")),
    (Lang::Fr, include_str!("../../messages/mail/fr.toml")),
    (Lang::Nl, include_str!("../../messages/mail/nl.toml")),
    (Lang::De, include_str!("../../messages/mail/de.toml")),
    (Lang::Es, include_str!("../../messages/mail/es.toml")),
    (Lang::Ca, include_str!("../../messages/mail/ca.toml")),
];

/// Texts every language has in `[common]`.
pub const COMMON_KEYS: [&str; 8] = [
    "greeting",
    "reference_line",
    "where_to_look",
    "privacy",
    "footer",
    "link_label",
    "date_format",
    "time_format",
];

const TEXT_LAYOUT: &str = "\
{{ greeting }}

{% for paragraph in paragraphs %}{{ paragraph }}

{% endfor %}{% if link %}{{ link_label }}: {{ link }}

{% endif %}{{ reference_line }}
{{ where_to_look }}

{{ privacy }}

-- 
{{ footer }}
";

const HTML_LAYOUT: &str = r#"<!DOCTYPE html>
<html lang="{{ lang }}">
<head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: Helvetica, Arial, sans-serif; line-height: 1.4">
<p>{{ greeting }}</p>
{% for paragraph in paragraphs %}<p>{{ paragraph | replace("\n", " ") }}</p>
{% endfor %}{% if link %}<p><a href="{{ link | attribute }}">{{ link_label }}</a></p>
{% endif %}<p><strong>{{ reference_line }}</strong><br>{{ where_to_look }}</p>
<p><small>{{ privacy }}</small></p>
<hr>
<p><small>{{ footer }}</small></p>
</body>
</html>
"#;

/// A unit's name in a language, from the directory (`None` for an unknown unit, shown by
/// its id).
pub type UnitNames = Arc<dyn Fn(&str, Lang) -> Option<String> + Send + Sync>;

/// What the texts need besides the message: where to answer, the processing target.
#[derive(Clone)]
pub struct RenderContext {
    /// `{filing_id}` in it is replaced by the filing's id.
    pub answer_url: String,
    /// The processing target, in hours after submission.
    pub target_hours: u32,
    pub unit_names: UnitNames,
}

/// A message's texts in its language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rendered {
    #[serde(skip)]
    pub lang: Lang,
    pub subject: String,
    pub greeting: String,
    pub paragraphs: Vec<String>,
    /// The link to follow (an information request's answer page).
    pub link: Option<String>,
    pub link_label: String,
    pub reference_line: String,
    pub where_to_look: String,
    pub privacy: String,
    pub footer: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("mail texts: {0}")]
    Catalogue(String),
    #[error("message template {0} is unknown")]
    UnknownTemplate(String),
    #[error("message payload: {0}")]
    Payload(String),
    #[error("rendering {name}: {source}")]
    Template {
        name: String,
        source: minijinja::Error,
    },
}

/// The catalogues, compiled once.
pub struct Renderer {
    env: Environment<'static>,
    /// (language, key) → source, to know which exist.
    keys: BTreeMap<(Lang, String), ()>,
}

impl Renderer {
    /// Parses the catalogues and compiles every text.
    ///
    /// # Errors
    /// A catalogue that does not parse, a missing text, or a template with a syntax error.
    pub fn new() -> Result<Self, RenderError> {
        let mut env = Environment::new();
        // Texts are plain text: the HTML layout escapes each value it inserts.
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                minijinja::AutoEscape::Html
            } else {
                minijinja::AutoEscape::None
            }
        });
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        // A URL in an attribute: the HTML escape of `&`, `"`, `<`, `>` (minijinja's own
        // also escapes `/`, which makes links unreadable in the source).
        env.add_filter("attribute", |value: String| {
            minijinja::Value::from_safe_string(
                value
                    .replace('&', "&amp;")
                    .replace('"', "&quot;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;"),
            )
        });
        env.set_keep_trailing_newline(false);
        let add = |env: &mut Environment<'static>, name: String, source: String| {
            env.add_template_owned(name.clone(), source)
                .map_err(|source| RenderError::Template { name, source })
        };
        add(&mut env, "layout.txt".into(), TEXT_LAYOUT.into())?;
        add(&mut env, "layout.html".into(), HTML_LAYOUT.into())?;
        let mut keys = BTreeMap::new();
        for (lang, source) in SOURCES {
            let table: toml::Table = source
                .parse()
                .map_err(|e| RenderError::Catalogue(format!("{lang}: {e}")))?;
            for (section, value) in table {
                let toml::Value::Table(entries) = value else {
                    return Err(RenderError::Catalogue(format!(
                        "{lang}: [{section}] is not a table"
                    )));
                };
                for (key, text) in entries {
                    let toml::Value::String(text) = text else {
                        return Err(RenderError::Catalogue(format!(
                            "{lang}: {section}.{key} is not a string"
                        )));
                    };
                    let name = format!("{lang}/{section}.{key}.txt");
                    add(&mut env, name, text.trim().to_owned())?;
                    keys.insert((lang, format!("{section}.{key}")), ());
                }
            }
        }
        let renderer = Renderer { env, keys };
        let missing = renderer.missing_texts();
        if !missing.is_empty() {
            return Err(RenderError::Catalogue(format!(
                "missing texts: {}",
                missing.join(", ")
            )));
        }
        Ok(renderer)
    }

    /// Every text a language lacks, as `lang: key`.
    pub fn missing_texts(&self) -> Vec<String> {
        let mut missing = Vec::new();
        for lang in crate::i18n::API_LANGUAGES {
            let common = COMMON_KEYS.iter().map(|k| format!("common.{k}"));
            let templates = MessageTemplate::ALL
                .iter()
                .flat_map(|t| ["subject", "body"].map(|part| format!("{t}.{part}")));
            for key in common.chain(templates) {
                if !self.keys.contains_key(&(lang, key.clone())) {
                    missing.push(format!("{lang}: {key}"));
                }
            }
        }
        missing
    }

    fn text(
        &self,
        lang: Lang,
        key: &str,
        values: &minijinja::Value,
    ) -> Result<String, RenderError> {
        let name = format!("{lang}/{key}.txt");
        let template = self
            .env
            .get_template(&name)
            .map_err(|source| RenderError::Template {
                name: name.clone(),
                source,
            })?;
        template
            .render(values)
            .map(|s| s.trim().to_owned())
            .map_err(|source| RenderError::Template { name, source })
    }

    /// The texts of a queued message (its template, language and payload) for the filing
    /// `filing_id`.
    ///
    /// # Errors
    /// An unknown template, or a payload without a value its texts need.
    pub fn render(
        &self,
        template: &str,
        language: &str,
        payload: &serde_json::Value,
        filing_id: &str,
        context: &RenderContext,
    ) -> Result<Rendered, RenderError> {
        let kind: MessageTemplate = template
            .parse()
            .map_err(|_| RenderError::UnknownTemplate(template.to_owned()))?;
        let lang = crate::i18n::served(language.parse().unwrap_or(Lang::En));
        let values = self.values(kind, lang, payload, filing_id, context)?;
        let get = |key: &str| self.text(lang, key, &values);
        let link = match kind {
            MessageTemplate::InfoRequested => {
                Some(context.answer_url.replace("{filing_id}", filing_id))
            }
            // The single-use link, opened from its seal by the worker just before.
            MessageTemplate::TravelInvitation => payload
                .get("link")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned),
            _ => None,
        };
        // A template may say a common text its own way (`<template>.<key>`): a travel
        // authorisation's messages speak of a request and a minor, not of a filing.
        let own_or_common = |key: &str| {
            let own = format!("{kind}.{key}");
            if self.keys.contains_key(&(lang, own.clone())) {
                own
            } else {
                format!("common.{key}")
            }
        };
        let body = get(&format!("{kind}.body"))?;
        let mut rendered = Rendered {
            lang,
            subject: get(&format!("{kind}.subject"))?,
            greeting: get("common.greeting")?,
            paragraphs: body
                .split("\n\n")
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
            link,
            link_label: get(&own_or_common("link_label"))?,
            reference_line: get("common.reference_line")?,
            where_to_look: get(&own_or_common("where_to_look"))?,
            privacy: get(&own_or_common("privacy"))?,
            footer: get("common.footer")?,
            text: String::new(),
            html: String::new(),
        };
        let layout = |name: &str| -> Result<String, RenderError> {
            let template = self
                .env
                .get_template(name)
                .map_err(|source| RenderError::Template {
                    name: name.to_owned(),
                    source,
                })?;
            template
                .render(context! { lang => lang.as_str(), ..minijinja::Value::from_serialize(&rendered) })
                .map_err(|source| RenderError::Template {
                    name: name.to_owned(),
                    source,
                })
        };
        let text = layout("layout.txt")?;
        let html = layout("layout.html")?;
        rendered.text = text;
        rendered.html = html;
        Ok(rendered)
    }

    /// The values the texts may use.
    fn values(
        &self,
        kind: MessageTemplate,
        lang: Lang,
        payload: &serde_json::Value,
        filing_id: &str,
        context: &RenderContext,
    ) -> Result<minijinja::Value, RenderError> {
        let member = |key: &str| payload.get(key).and_then(serde_json::Value::as_str);
        for key in kind.required_members().iter().chain(&["reference"]) {
            if member(key).is_none() {
                return Err(RenderError::Payload(format!("{kind} without {key}")));
            }
        }
        let unit_name = |key: &str| {
            member(key).map(|id| (context.unit_names)(id, lang).unwrap_or_else(|| id.to_owned()))
        };
        let expected_by = match (member("submitted_at"), member("country")) {
            (Some(at), Some(country)) => {
                let at: DateTime<Utc> = at
                    .parse()
                    .map_err(|e| RenderError::Payload(format!("submitted_at: {e}")))?;
                let country: Country = country
                    .parse()
                    .map_err(|e: domain::UnknownCode| RenderError::Payload(e.to_string()))?;
                let due = at + Duration::hours(i64::from(context.target_hours));
                let format = self.text(lang, "common.date_format", &context! {})?;
                Some(
                    due.with_timezone(&country.time_zone())
                        .format(&format)
                        .to_string(),
                )
            }
            _ => None,
        };
        // An appointment's start, in the local time of the filing's country.
        let starts_at = match (member("starts_at"), member("country")) {
            (Some(at), Some(country)) => {
                let at: DateTime<Utc> = at
                    .parse()
                    .map_err(|e| RenderError::Payload(format!("starts_at: {e}")))?;
                let country: Country = country
                    .parse()
                    .map_err(|e: domain::UnknownCode| RenderError::Payload(e.to_string()))?;
                let date = self.text(lang, "common.date_format", &context! {})?;
                let time = self.text(lang, "common.time_format", &context! {})?;
                Some(
                    at.with_timezone(&country.time_zone())
                        .format(&format!("{date}, {time}"))
                        .to_string(),
                )
            }
            _ => None,
        };
        Ok(context! {
            reference => member("reference"),
            starts_at => starts_at,
            kind => member("kind"),
            unit => unit_name("unit_id"),
            from_unit => unit_name("from_unit_id"),
            record_number => member("record_number"),
            reason => member("reason"),
            where_to_go => member("where_to_go"),
            expected_by => expected_by,
            answer_url => context.answer_url.replace("{filing_id}", filing_id),
            expires_at => member("expires_at"),
            held_at => member("held_at"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn context() -> RenderContext {
        RenderContext {
            answer_url: "https://app.police.example/filings/{filing_id}".into(),
            target_hours: 72,
            unit_names: Arc::new(|id, lang| {
                (id == "zp-ottignies-louvain-la-neuve").then(|| match lang {
                    Lang::Nl => "PZ Ottignies-Louvain-la-Neuve".to_owned(),
                    _ => "ZP Ottignies-Louvain-la-Neuve".to_owned(),
                })
            }),
        }
    }

    fn payload(template: MessageTemplate) -> serde_json::Value {
        let mut p =
            json!({"reference": "EC-2026-7K2Q-9XHM-C", "unit_id": "zp-ottignies-louvain-la-neuve"});
        let extra = match template {
            MessageTemplate::Submitted => {
                json!({"submitted_at": "2026-11-30T10:00:00Z", "country": "BE"})
            }
            MessageTemplate::InfoRequested => json!({"filing_id": "f-1"}),
            MessageTemplate::Registered => json!({"record_number": "5271/2026/000001"}),
            MessageTemplate::Rejected | MessageTemplate::Redirected => {
                json!({"reason": "A civil <matter> & more.", "where_to_go": "Town hall"})
            }
            MessageTemplate::Transferred => json!({"from_unit_id": "zp-wavre"}),
            MessageTemplate::AppointmentReminder => {
                json!({"kind": "video", "starts_at": "2026-12-10T09:00:00Z", "country": "BE"})
            }
            MessageTemplate::AppointmentCancelledByUnit => json!({"kind": "station",
                "starts_at": "2026-12-10T09:00:00Z", "country": "BE", "reason": "The desk is closed."}),
            MessageTemplate::TravelInvitation => {
                json!({"link": "https://app.police.example/travel-invitations/t0k3n",
                "expires_at": "2026-12-04 10:00 UTC"})
            }
            _ => json!({}),
        };
        for (k, v) in extra.as_object().unwrap() {
            p[k] = v.clone();
        }
        p
    }

    #[test]
    fn every_template_renders_in_every_language() {
        let renderer = Renderer::new().unwrap();
        assert!(renderer.missing_texts().is_empty());
        for lang in crate::i18n::API_LANGUAGES {
            for template in MessageTemplate::ALL {
                let r = renderer
                    .render(
                        template.as_str(),
                        lang.as_str(),
                        &payload(*template),
                        "f-1",
                        &context(),
                    )
                    .unwrap_or_else(|e| panic!("{lang} {template}: {e}"));
                assert!(
                    r.subject.contains("EC-2026-7K2Q-9XHM-C"),
                    "{lang} {template}"
                );
                assert!(r.text.contains("EC-2026-7K2Q-9XHM-C"));
                assert!(r.html.starts_with("<!DOCTYPE html>"));
                assert!(r.html.contains(&format!("lang=\"{lang}\"")));
                assert!(!r.text.contains("{{"), "{}", r.text);
                assert!(!r.paragraphs.is_empty());
            }
        }
    }

    #[test]
    fn a_travel_requests_messages_speak_of_the_request_not_of_a_filing() {
        let renderer = Renderer::new().unwrap();
        for lang in crate::i18n::API_LANGUAGES {
            let common = texts_of(&renderer, lang, "filing_submitted");
            for template in [
                MessageTemplate::TravelInvitation,
                MessageTemplate::TravelRefused,
            ] {
                let own = texts_of(&renderer, lang, template.as_str());
                assert_ne!(own.0, common.0, "{lang} {template}: where to look");
                assert_ne!(own.1, common.1, "{lang} {template}: privacy");
            }
        }
    }

    /// The "where to look" and privacy lines of `template` in `lang`.
    fn texts_of(renderer: &Renderer, lang: Lang, template: &str) -> (String, String) {
        let kind: MessageTemplate = template.parse().unwrap();
        let r = renderer
            .render(template, lang.as_str(), &payload(kind), "f-1", &context())
            .unwrap();
        assert!(r.text.contains(&r.where_to_look) && r.text.contains(&r.privacy));
        (r.where_to_look, r.privacy)
    }

    #[test]
    fn a_found_object_held_at_a_lost_property_office_names_the_office() {
        let renderer = Renderer::new().unwrap();
        let mut at_office = payload(MessageTemplate::ObjectMaybeFound);
        at_office["held_at"] = json!("Bureau des objets trouvés <Ville>");
        for lang in crate::i18n::API_LANGUAGES {
            let r = renderer
                .render(
                    "object_maybe_found",
                    lang.as_str(),
                    &at_office,
                    "f-1",
                    &context(),
                )
                .unwrap();
            assert_eq!(r.paragraphs.len(), 2, "{lang}: {:?}", r.paragraphs);
            assert!(
                r.paragraphs[1].contains("Bureau des objets trouvés &lt;Ville&gt;")
                    || r.paragraphs[1].contains("Bureau des objets trouvés <Ville>"),
                "{lang}: the office in the second paragraph, where to go: {:?}",
                r.paragraphs
            );
            assert!(r.html.contains("Bureau des objets trouvés &lt;Ville&gt;"));
            assert!(!r.html.contains("<Ville>"), "escaped in HTML");
        }
        // Without an office, the unit is where to go.
        let r = renderer
            .render(
                "object_maybe_found",
                "en",
                &payload(MessageTemplate::ObjectMaybeFound),
                "f-1",
                &context(),
            )
            .unwrap();
        assert!(!r.text.contains("lost-property office"), "{}", r.text);
    }

    #[test]
    fn values_are_escaped_in_html_and_dates_are_local() {
        let renderer = Renderer::new().unwrap();
        let r = renderer
            .render(
                "filing_rejected",
                "en",
                &payload(MessageTemplate::Rejected),
                "f-1",
                &context(),
            )
            .unwrap();
        assert!(r.text.contains("A civil <matter> & more."));
        assert!(r.html.contains("A civil &lt;matter&gt; &amp; more."));
        assert!(!r.html.contains("<matter>"));
        let r = renderer
            .render(
                "filing_submitted",
                "fr",
                &payload(MessageTemplate::Submitted),
                "f-1",
                &context(),
            )
            .unwrap();
        // 72 h after 30 Nov 10:00 UTC is 3 Dec, 11:00 in Brussels.
        assert!(r.text.contains("03/12/2026"), "{}", r.text);
        assert!(r.text.contains("ZP Ottignies"));
        let r = renderer
            .render(
                "filing_info_requested",
                "lb",
                &payload(MessageTemplate::InfoRequested),
                "f-1",
                &context(),
            )
            .unwrap();
        assert_eq!(r.lang, Lang::De);
        assert_eq!(
            r.link.as_deref(),
            Some("https://app.police.example/filings/f-1")
        );
        assert!(r
            .html
            .contains("<a href=\"https://app.police.example/filings/f-1\">"));
        // An appointment's start is local: 09:00 UTC on 10 Dec is 10:00 in Brussels.
        let r = renderer
            .render(
                "appointment_reminder",
                "nl",
                &payload(MessageTemplate::AppointmentReminder),
                "f-1",
                &context(),
            )
            .unwrap();
        assert!(r.text.contains("10-12-2026, 10:00"), "{}", r.text);
        assert!(r.text.contains("video"), "{}", r.text);
    }

    #[test]
    fn a_payload_without_what_the_text_needs_is_an_error() {
        let renderer = Renderer::new().unwrap();
        assert!(matches!(
            renderer.render(
                "filing_registered",
                "en",
                &json!({"reference": "EC-1", "unit_id": "u"}),
                "f",
                &context()
            ),
            Err(RenderError::Payload(_))
        ));
        assert!(matches!(
            renderer.render("filing_archived", "en", &json!({}), "f", &context()),
            Err(RenderError::UnknownTemplate(_))
        ));
    }
}

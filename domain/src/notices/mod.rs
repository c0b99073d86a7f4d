//! What the citizen is told about their filing, apart from the filing itself:
//!
//! - [`feed`]: which status changes notify the citizen in the app, and the notification's
//!   title and text in their language ([`notice_for`], [`feed_text`]);
//! - [`end_of_case`]: for a rejection, a redirect or a closure, the reason in plain
//!   words, how to object or ask for a review and by when, and the victim-rights notice
//!   with the country's support services (Directive 2012/29/EU, Art. 4 and 6)
//!   ([`end_of_case()`]);
//! - [`clock`]: the filing's expected timeline, from the unit's processing target and
//!   service hours ([`timeline`]).
//!
//! Texts live in `domain/notices/messages/<lang>.toml` (the six languages of the API),
//! the countries' data in `domain/notices/support.toml` (with its sources); both are
//! compiled in, and tests check that they parse and are complete.

pub mod clock;
pub mod end_of_case;
pub mod feed;

pub use clock::{timeline, ClockStep, ExpectedStep, ProcessingTarget, Timeline};
pub use end_of_case::{
    end_of_case, EndOfCaseContext, EndOfCaseNotice, NoticeRules, Outcome, Review, SupportService,
};
pub use feed::{
    appointment_cancelled_notice, feed_text, notice_for, object_found_notice, FeedNames, FeedText,
    Notice, NoticeEvent, NoticePayload,
};

use crate::i18n::{Lang, Messages};
use std::sync::LazyLock;

/// The languages the notices are written in.
pub const LANGUAGES: [Lang; 6] = [Lang::En, Lang::Fr, Lang::Nl, Lang::De, Lang::Es, Lang::Ca];

const SOURCES: [(Lang, &str); 6] = [
    (Lang::En, include_str!("../../notices/messages/en.toml")),
    (Lang::Fr, include_str!("../../notices/messages/fr.toml")),
    (Lang::Nl, include_str!("../../notices/messages/nl.toml")),
    (Lang::De, include_str!("../../notices/messages/de.toml")),
    (Lang::Es, include_str!("../../notices/messages/es.toml")),
    (Lang::Ca, include_str!("../../notices/messages/ca.toml")),
];

static TEXTS: LazyLock<Result<Messages, String>> =
    LazyLock::new(|| Messages::from_toml(&SOURCES).map_err(|e| e.to_string()));

/// The notices' texts. A unit test guarantees they parse; should they not, texts are
/// empty rather than the process failing.
pub fn texts() -> &'static Messages {
    static EMPTY: LazyLock<Messages> = LazyLock::new(Messages::default);
    TEXTS.as_ref().unwrap_or(&EMPTY)
}

/// Checks that the texts and the countries' data parse (for start-up).
///
/// # Errors
/// The first parse error, as text.
pub fn check() -> Result<(), String> {
    TEXTS.as_ref().map(|_| ()).map_err(Clone::clone)?;
    end_of_case::data().map(|_| ())
}

/// The language a notice is served in: the first of `lang`'s chain that has texts.
pub fn served(lang: Lang) -> Lang {
    lang.fallback_chain()
        .iter()
        .copied()
        .find(|l| LANGUAGES.contains(l))
        .unwrap_or(Lang::En)
}

/// Renders `key` in `lang` with `params`; the key itself when no language has it (a
/// test guarantees every key exists in every language).
pub(crate) fn render(lang: Lang, key: &str, params: &[(&str, String)]) -> String {
    texts()
        .render(lang, key, params)
        .unwrap_or_else(|| key.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn texts_and_data_parse_and_every_language_has_every_key() {
        check().unwrap();
        let english: BTreeSet<&str> = texts().keys(Lang::En).collect();
        assert!(english.len() > 30, "{english:?}");
        for lang in LANGUAGES {
            let keys: BTreeSet<&str> = texts().keys(lang).collect();
            assert_eq!(keys, english, "keys of {lang}");
            for key in &keys {
                let text = texts().exact(lang, key).unwrap_or_default();
                assert!(!text.trim().is_empty(), "{lang} {key} is empty");
                // Every language uses the placeholders English uses, no others.
                let mut theirs = crate::i18n::placeholders(text);
                let mut ours =
                    crate::i18n::placeholders(texts().exact(Lang::En, key).unwrap_or_default());
                theirs.sort_unstable();
                ours.sort_unstable();
                theirs.dedup();
                ours.dedup();
                assert_eq!(theirs, ours, "placeholders of {lang} {key}");
            }
        }
    }
}

//! The API's languages and the message catalogue of problem texts
//! (`api/messages/<lang>.toml`). A request's language is `crate::language`'s.

use domain::i18n::{Lang, Messages};
use std::sync::LazyLock;

/// Languages the API's own texts (problems, field errors) are written in.
pub const API_LANGUAGES: [Lang; 6] = [Lang::En, Lang::Fr, Lang::Nl, Lang::De, Lang::Es, Lang::Ca];

const SOURCES: [(Lang, &str); 6] = [
    (Lang::En, include_str!("../messages/en.toml")),
    (Lang::Fr, include_str!("../messages/fr.toml")),
    (Lang::Nl, include_str!("../messages/nl.toml")),
    (Lang::De, include_str!("../messages/de.toml")),
    (Lang::Es, include_str!("../messages/es.toml")),
    (Lang::Ca, include_str!("../messages/ca.toml")),
];

static TEXTS: LazyLock<Result<Messages, String>> =
    LazyLock::new(|| Messages::from_toml(&SOURCES).map_err(|e| e.to_string()));

/// The API's texts; a unit test guarantees they parse, so the empty fallback (English
/// built into `ApiError`) is never used in practice.
pub fn texts() -> &'static Messages {
    static EMPTY: LazyLock<Messages> = LazyLock::new(Messages::default);
    TEXTS.as_ref().unwrap_or(&EMPTY)
}

/// Checks at start-up that the texts parse.
pub fn check_texts() -> Result<(), String> {
    TEXTS.as_ref().map(|_| ()).map_err(Clone::clone)
}

/// The first language of `lang`'s fallback chain that is one of `API_LANGUAGES`.
pub fn served(lang: Lang) -> Lang {
    lang.fallback_chain()
        .iter()
        .copied()
        .find(|l| API_LANGUAGES.contains(l))
        .unwrap_or(Lang::En)
}

/// The first language of `lang`'s fallback chain among `available` (a resource written
/// in some languages only); `lang` itself when none of them is on the chain.
pub fn served_among(lang: Lang, available: &[Lang]) -> Lang {
    lang.fallback_chain()
        .iter()
        .copied()
        .find(|l| available.contains(l))
        .unwrap_or(lang)
}

/// Explanations of a jurisdiction answer; each has a text in every API language.
pub const ROUTING_KEYS: [&str; 16] = [
    "routed.municipality_code",
    "routed.postal_code",
    "routed.coordinates",
    "routed.near_border",
    "routed.coordinates_and_postal_code",
    "ambiguous",
    "ambiguous.outside_near_edge",
    "ambiguous.shared_postal_code",
    "ambiguous.place_fields_disagree",
    "ambiguous.municipality_split",
    "no_directory",
    "former_name.merged_municipality",
    "former_name.postal_locality",
    "out_of_area",
    "no_unit",
    "national",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;

    #[test]
    fn texts_parse_and_cover_every_problem_in_every_language() {
        check_texts().unwrap();
        let mut missing = Vec::new();
        for lang in API_LANGUAGES {
            for code in ApiError::all_codes()
                .into_iter()
                .chain(ApiError::EXTRA_TEXT_KEYS)
            {
                for part in ["title", "detail"] {
                    let key = format!("problem.{code}.{part}");
                    if texts().exact(lang, &key).is_none() {
                        missing.push(format!("{lang}: {key}"));
                    }
                }
            }
            for key in ROUTING_KEYS {
                let key = format!("routing.{key}");
                if texts().exact(lang, &key).is_none() {
                    missing.push(format!("{lang}: {key}"));
                }
            }
            for key in crate::routes::filings::receipt_pdf::LABELS {
                let key = format!("receipt.{key}");
                if texts().exact(lang, &key).is_none() {
                    missing.push(format!("{lang}: {key}"));
                }
            }
            for key in crate::routes::me::export_pdf::LABELS {
                let key = format!("export.{key}");
                if texts().exact(lang, &key).is_none() {
                    missing.push(format!("{lang}: {key}"));
                }
            }
            for status in domain::filing::FilingStatus::ALL {
                for section in ["filing_status", "filing_status_explanation"] {
                    let key = format!("{section}.{status}");
                    if texts().exact(lang, &key).is_none() {
                        missing.push(format!("{lang}: {key}"));
                    }
                }
            }
            for key in ["item_check.reported", "item_check.not_reported"] {
                if texts().exact(lang, key).is_none() {
                    missing.push(format!("{lang}: {key}"));
                }
            }
            for code in crate::error::FIELD_ERROR_CODES {
                let key = format!("field_error.{code}");
                if texts().exact(lang, &key).is_none() {
                    missing.push(format!("{lang}: {key}"));
                }
            }
        }
        assert!(missing.is_empty(), "missing:\n{}", missing.join("\n"));
    }
}

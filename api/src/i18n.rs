//! The API's languages: negotiation per request (`?lang=` then `Accept-Language`), and
//! the message catalogue of problem texts (`api/messages/<lang>.toml`).

use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use domain::i18n::{negotiate, Lang, Messages};
use std::collections::HashMap;
use std::future::{ready, Ready};
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

/// The language of a request: `?lang=` when it names a known language, else the best
/// `Accept-Language` entry, else the deployment's default.
pub fn request_language(req: &HttpRequest) -> Lang {
    let default = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.default_language)
        .unwrap_or(Lang::En);
    let query = web::Query::<HashMap<String, String>>::from_query(req.query_string()).ok();
    let override_tag = query
        .as_ref()
        .and_then(|q| q.get("lang"))
        .map(String::as_str);
    let header = req
        .headers()
        .get(actix_web::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    negotiate(override_tag, header, default)
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

/// Extractor of the negotiated language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Language(pub Lang);

impl FromRequest for Language {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Language(request_language(req))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;

    #[test]
    fn texts_parse_and_cover_every_problem_in_every_language() {
        check_texts().unwrap();
        let mut missing = Vec::new();
        for lang in API_LANGUAGES {
            for code in ApiError::ALL_CODES {
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
            for key in crate::receipt_pdf::LABELS {
                let key = format!("receipt.{key}");
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

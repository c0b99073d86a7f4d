//! The reader's language for a citizen's own filing. In order: `?lang=`, then
//! `Accept-Language`, then the filing's language, then the sign-in's locale, then the
//! deployment's default. A citizen who filed in French reads their recap, receipt and PDF
//! in French without setting anything.

use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use domain::filing::Filing;
use domain::i18n::{negotiate, Lang};
use std::collections::HashMap;
use std::future::{ready, Ready};

/// The language the request asked for explicitly (`?lang=` or `Accept-Language`), if
/// any known one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AskedLanguage(pub Option<Lang>);

impl AskedLanguage {
    /// The request's own choice, else the filing's language.
    pub fn or_filing(self, filing: &Filing) -> Lang {
        self.0.unwrap_or(filing.language)
    }

    /// The request's own choice, else the sign-in's locale, else the default.
    pub fn or_locale(self, locale: Option<&str>, state: &AppState) -> Lang {
        self.0
            .or_else(|| locale.and_then(|l| l.parse().ok()))
            .unwrap_or(state.default_language)
    }
}

/// Negotiates with two different defaults: when both give the same answer, the request
/// itself chose it.
pub fn asked_language(req: &HttpRequest) -> Option<Lang> {
    let query = web::Query::<HashMap<String, String>>::from_query(req.query_string()).ok();
    let override_tag = query
        .as_ref()
        .and_then(|q| q.get("lang"))
        .map(String::as_str);
    let header = req
        .headers()
        .get(actix_web::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let with_en = negotiate(override_tag, header, Lang::En);
    let with_fr = negotiate(override_tag, header, Lang::Fr);
    (with_en == with_fr).then_some(with_en)
}

impl FromRequest for AskedLanguage {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(AskedLanguage(asked_language(req))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn only_an_explicit_choice_counts() {
        let none = TestRequest::default().to_http_request();
        assert_eq!(asked_language(&none), None);
        let query = TestRequest::with_uri("/x?lang=nl").to_http_request();
        assert_eq!(asked_language(&query), Some(Lang::Nl));
        let header = TestRequest::default()
            .insert_header(("accept-language", "de-BE, fr;q=0.5"))
            .to_http_request();
        assert_eq!(asked_language(&header), Some(Lang::De));
        let unknown = TestRequest::default()
            .insert_header(("accept-language", "ja"))
            .to_http_request();
        assert_eq!(asked_language(&unknown), None);
    }
}

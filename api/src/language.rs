//! The language of a request (`Language`: `?lang=`, then `Accept-Language`, then the
//! deployment's default, served through the fallback chain), and the reader's language
//! for a citizen's own filing (`AskedLanguage`).
//!
//! For a filing, in order: `?lang=`, then `Accept-Language`, then the filing's language, then the sign-in's locale, then the
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

/// The language a request is answered in: the one asked for (`?lang=` when it names a
/// known language, else the best `Accept-Language` entry, else the deployment's
/// default), made the language actually served: the first of its fallback chain that
/// the API writes its texts in (`lb` is answered in German). Handlers label responses
/// (`Content-Language`, a body's `language`) with it.
pub fn request_language(req: &HttpRequest) -> Lang {
    crate::i18n::served(negotiated(req))
}

/// The language asked for, before the fallback chain.
fn negotiated(req: &HttpRequest) -> Lang {
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

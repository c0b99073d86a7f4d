//! Public, cacheable JSON: a strong `ETag` over the body, `Cache-Control: public`,
//! `Vary: Accept-Language`, `Content-Language`, and `304 Not Modified` on a matching
//! `If-None-Match`.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use domain::i18n::Lang;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// How long clients and proxies may keep reference data.
pub const MAX_AGE_SECS: u32 = 300;

pub fn etag_of(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("\"{}\"", hex::encode(&digest[..16]))
}

/// True when `If-None-Match` lists `etag` (or `*`); weak comparison, as RFC 9110 asks.
fn matches(req: &HttpRequest, etag: &str) -> bool {
    let Some(value) = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    value
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == etag)
}

pub fn public_json<T: Serialize>(req: &HttpRequest, lang: Lang, value: &T) -> HttpResponse {
    let body = match serde_json::to_vec(value) {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(error = %e, "cannot serialize a response");
            return HttpResponse::InternalServerError().finish();
        }
    };
    let etag = etag_of(&body);
    let not_modified = matches(req, &etag);
    let mut response = if not_modified {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag.as_str()))
        .insert_header((
            header::CACHE_CONTROL,
            format!("public, max-age={MAX_AGE_SECS}"),
        ))
        .insert_header((header::VARY, "Accept-Language"))
        .insert_header((
            header::CONTENT_LANGUAGE,
            HeaderValue::from_static(lang.as_str()),
        ));
    if not_modified {
        return response.finish();
    }
    response
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .body(body)
}

/// Public, cacheable bytes of `content_type` (no language): a strong `ETag`,
/// `Cache-Control: public`, `Vary: Accept` (the format may be chosen by it), and `304 Not
/// Modified` on a matching `If-None-Match`.
pub fn public_bytes(req: &HttpRequest, content_type: &str, body: Vec<u8>) -> HttpResponse {
    let etag = etag_of(&body);
    public_shared(req, content_type, body.into(), &etag)
}

/// [`public_bytes`] of a body kept elsewhere (a cache), with its `ETag` computed once.
pub fn public_shared(
    req: &HttpRequest,
    content_type: &str,
    body: actix_web::web::Bytes,
    etag: &str,
) -> HttpResponse {
    let not_modified = matches(req, etag);
    let mut response = if not_modified {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((
            header::CACHE_CONTROL,
            format!("public, max-age={MAX_AGE_SECS}"),
        ))
        .insert_header((header::VARY, "Accept"));
    if not_modified {
        return response.finish();
    }
    response
        .insert_header((header::CONTENT_TYPE, content_type.to_owned()))
        .body(body)
}

//! Public, cacheable JSON: a strong `ETag` over the body, `Cache-Control: public`,
//! `Vary: Accept-Language`, `Content-Language`, and `304 Not Modified` on a matching
//! `If-None-Match`.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use domain::i18n::Lang;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

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

/// An answer as served: its bytes and their `ETag`.
#[derive(Debug, Clone)]
pub struct Answer {
    pub body: actix_web::web::Bytes,
    pub etag: String,
}

/// Answers kept per instance, at most this many (then the cache is emptied).
const CACHE_ENTRIES: usize = 256;

/// The answers computed at one generation of the summary, by query. The summary only
/// changes when a refresh rewrites it, and each such refresh bumps the generation in
/// the database: an answer holds until then. Each instance keeps its own cache and
/// needs nothing from another, only the generation it reads with every request; all
/// answers are dropped at once when it changes.
#[derive(Debug, Default)]
pub struct AnswerCache {
    answers: Mutex<(i64, HashMap<String, Answer>)>,
}

impl AnswerCache {
    /// The answer to `query` computed at `generation`, if kept.
    pub fn get(&self, generation: i64, query: &str) -> Option<Answer> {
        let answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        (answers.0 == generation)
            .then(|| answers.1.get(query).cloned())
            .flatten()
    }

    /// Keeps the answer to `query` computed at `generation` (dropping those of another).
    pub fn put(&self, generation: i64, query: String, answer: Answer) {
        let mut answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        if answers.0 != generation || answers.1.len() >= CACHE_ENTRIES {
            *answers = (generation, HashMap::new());
        }
        answers.1.insert(query, answer);
    }
}

//! Public, cacheable JSON: a strong `ETag` over the body, `Cache-Control: public`,
//! `Vary: Accept-Language`, `Content-Language`, and `304 Not Modified` on a matching
//! `If-None-Match`.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use domain::i18n::Lang;
use domain::statistics::cube::Cube;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

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

/// Answers kept per instance, at most this many, and at most this many bytes (at
/// 1,000,000 filings the largest grouping's answer is about 10 MB): then the cache is
/// emptied.
const CACHE_ENTRIES: usize = 256;
const CACHE_BYTES: usize = 128 << 20;

/// The answers computed at one generation of the summary, by query. The summary only
/// changes when a refresh rewrites it, and each such refresh bumps the generation in
/// the database: an answer holds until then. Each instance keeps its own cache and
/// needs nothing from another, only the generation it reads with every request; all
/// answers are dropped at once when it changes.
#[derive(Debug, Default)]
pub struct AnswerCache {
    answers: Mutex<Held>,
}

#[derive(Debug, Default)]
struct Held {
    generation: i64,
    bytes: usize,
    by_query: HashMap<String, Answer>,
}

impl AnswerCache {
    /// The answer to `query` computed at `generation`, if kept.
    pub fn get(&self, generation: i64, query: &str) -> Option<Answer> {
        let held = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        (held.generation == generation)
            .then(|| held.by_query.get(query).cloned())
            .flatten()
    }

    /// Keeps the answer to `query` computed at `generation` (dropping those of another,
    /// and all of them when the cache is full).
    pub fn put(&self, generation: i64, query: String, answer: Answer) {
        let mut held = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        let size = answer.body.len() + query.len();
        if held.generation != generation
            || held.by_query.len() >= CACHE_ENTRIES
            || held.bytes + size > CACHE_BYTES
        {
            *held = Held {
                generation,
                ..Held::default()
            };
        }
        let key = query.len();
        held.bytes += size;
        if let Some(previous) = held.by_query.insert(query, answer) {
            held.bytes = held.bytes.saturating_sub(previous.body.len() + key);
        }
    }
}

/// The statistics' summary in memory (`domain::statistics::cube::Cube`) at the
/// generation it was read, shared by the instance's workers; read again when the
/// generation changes. Like the answers' cache, it is this instance's own: another
/// instance reads its own copy.
#[derive(Debug, Default)]
pub struct SummaryInMemory {
    held: Mutex<Option<(i64, Arc<Cube>)>>,
    /// Held while a worker reads the summary: the others wait for that read rather than
    /// each making its own.
    loading: Mutex<()>,
}

impl SummaryInMemory {
    fn held_since(&self, generation: i64) -> Option<Arc<Cube>> {
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.as_ref()
            .filter(|(g, _)| *g >= generation)
            .map(|(_, cube)| cube.clone())
    }

    /// The summary at `generation` or a later one: the one held, else what `read`
    /// returns (the generation it read, and the cube), given the copy held (its
    /// generation and cube: `read` may bring it up to date rather than read the whole
    /// summary), called by one worker at a time: the others wait, then take what it
    /// read.
    ///
    /// # Errors
    /// `read`'s.
    pub fn at<E>(
        &self,
        generation: i64,
        read: impl FnOnce(Option<(i64, &Cube)>) -> Result<(i64, Cube), E>,
    ) -> Result<Arc<Cube>, E> {
        if let Some(cube) = self.held_since(generation) {
            return Ok(cube);
        }
        let _loading = self.loading.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(cube) = self.held_since(generation) {
            return Ok(cube);
        }
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let (read, cube) = read(held.as_ref().map(|(g, cube)| (*g, &**cube)))?;
        let cube = Arc::new(cube);
        *self.held.lock().unwrap_or_else(|e| e.into_inner()) = Some((read, cube.clone()));
        Ok(cube)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(bytes: usize) -> Answer {
        Answer {
            body: vec![b'x'; bytes].into(),
            etag: String::new(),
        }
    }

    #[test]
    fn the_summary_is_read_once_per_generation() {
        let summary = SummaryInMemory::default();
        let mut reads = Vec::new();
        let mut read = |g: i64, held: Option<(i64, &Cube)>| {
            reads.push((g, held.map(|(h, _)| h)));
            Ok::<_, ()>((g, Cube::default()))
        };
        summary.at(1, |held| read(1, held)).unwrap();
        summary.at(1, |held| read(1, held)).unwrap();
        summary.at(0, |held| read(0, held)).unwrap();
        summary.at(3, |held| read(3, held)).unwrap();
        assert!(
            summary.at(4, |_| Err(())).is_err(),
            "a failed read keeps nothing"
        );
        summary.at(3, |held| read(3, held)).unwrap();
        summary.at(5, |held| read(5, held)).unwrap();
        // Each read is given the copy held, to bring up to date.
        assert_eq!(reads, [(1, None), (3, Some(1)), (5, Some(3))]);
    }

    #[test]
    fn the_cache_holds_one_generation_within_its_bounds() {
        let cache = AnswerCache::default();
        cache.put(1, "a".into(), answer(10));
        cache.put(1, "a".into(), answer(20));
        assert_eq!(cache.get(1, "a").map(|a| a.body.len()), Some(20));
        assert!(cache.get(2, "a").is_none(), "another generation's answer");
        cache.put(2, "b".into(), answer(10));
        assert!(cache.get(1, "a").is_none() && cache.get(2, "a").is_none());
        // Bytes: a large answer beside others empties the cache first.
        cache.put(2, "big".into(), answer(CACHE_BYTES - 100));
        cache.put(2, "more".into(), answer(200));
        assert!(cache.get(2, "big").is_none() && cache.get(2, "b").is_none());
        assert!(cache.get(2, "more").is_some());
        // Entries.
        for n in 0..CACHE_ENTRIES {
            cache.put(3, n.to_string(), answer(1));
        }
        assert!(cache.get(3, "0").is_some());
        cache.put(3, "one more".into(), answer(1));
        assert!(cache.get(3, "0").is_none() && cache.get(3, "one more").is_some());
    }
}

//! Proactive content negotiation on `Accept` (RFC 9110 §12.5.1).
//!
//! Each offered media type gets the quality of the most specific range that matches it
//! (`type/subtype` over `type/*` over `*/*`); `q=0` means "not acceptable". Parameter
//! names and media types are compared case-insensitively; parameters other than `q`
//! are ignored. The offered type with the highest quality wins; ties go to the range
//! listed first in the header, then to the server's order. No `Accept` header (or one
//! with no readable range) accepts everything, so the first offered type is chosen.
//! When every offered type is excluded, the answer is 406 `not_acceptable`.

use crate::error::ApiError;
use actix_web::http::{header, StatusCode};
use actix_web::HttpRequest;

/// One media range of an `Accept` header.
#[derive(Debug)]
struct Range {
    kind: String,
    subtype: String,
    q: f32,
    position: usize,
}

fn ranges(header: &str) -> Vec<Range> {
    let mut out = Vec::new();
    for (position, entry) in header.split(',').enumerate() {
        let mut parts = entry.split(';');
        let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let Some((kind, subtype)) = media.split_once('/') else {
            continue;
        };
        let mut q = 1.0;
        let mut readable = true;
        for param in parts {
            let Some((name, value)) = param.split_once('=') else {
                continue;
            };
            if name.trim().eq_ignore_ascii_case("q") {
                match parse_q(value.trim()) {
                    Some(v) => q = v,
                    None => readable = false,
                }
            }
        }
        if readable && !kind.is_empty() && !subtype.is_empty() {
            out.push(Range {
                kind: kind.trim().to_owned(),
                subtype: subtype.trim().to_owned(),
                q,
                position,
            });
        }
    }
    out
}

/// A quality value: `0`, `1` or a decimal between, at most three decimals.
pub fn parse_q(value: &str) -> Option<f32> {
    let valid = value.len() <= 5
        && value.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && matches!(value.as_bytes().first(), Some(b'0' | b'1'));
    let q: f32 = value.parse().ok().filter(|_| valid)?;
    (0.0..=1.0).contains(&q).then_some(q)
}

/// The quality and position of the most specific range matching `offered`.
fn quality(ranges: &[Range], offered: &str) -> Option<(f32, usize)> {
    let (kind, subtype) = offered.split_once('/')?;
    let specificity = |r: &Range| {
        if r.kind == kind && r.subtype == subtype {
            Some(2)
        } else if r.kind == kind && r.subtype == "*" {
            Some(1)
        } else if r.kind == "*" && r.subtype == "*" {
            Some(0)
        } else {
            None
        }
    };
    ranges
        .iter()
        .filter_map(|r| specificity(r).map(|s| (s, r)))
        .max_by_key(|(s, r)| (*s, std::cmp::Reverse(r.position)))
        .map(|(_, r)| (r.q, r.position))
}

/// The offered media type (lower case, `type/subtype`) the request prefers, by `Accept`;
/// 406 when it accepts none of them.
pub fn preferred_media<'a>(req: &HttpRequest, offered: &[&'a str]) -> Result<&'a str, ApiError> {
    let header = req
        .headers()
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(", ");
    choose(&header, offered)
}

fn choose<'a>(header: &str, offered: &[&'a str]) -> Result<&'a str, ApiError> {
    let not_acceptable = ApiError::Status(StatusCode::NOT_ACCEPTABLE);
    let ranges = ranges(header);
    if ranges.is_empty() {
        return offered.first().copied().ok_or(not_acceptable);
    }
    offered
        .iter()
        .enumerate()
        .filter_map(|(order, media)| {
            quality(&ranges, media)
                .filter(|(q, _)| *q > 0.0)
                .map(|(q, position)| (q, position, order, *media))
        })
        .min_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)))
        .map(|(_, _, _, media)| media)
        .ok_or(not_acceptable)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFERED: [&str; 2] = ["application/json", "application/pdf"];

    fn pick(header: &str) -> Option<&'static str> {
        choose(header, &OFFERED).ok()
    }

    #[test]
    fn accept_table() {
        assert_eq!(pick(""), Some("application/json"));
        assert_eq!(pick("application/pdf"), Some("application/pdf"));
        assert_eq!(pick("APPLICATION/PDF"), Some("application/pdf"));
        assert_eq!(
            pick("application/pdf, application/json"),
            Some("application/pdf")
        );
        assert_eq!(
            pick("application/json, application/pdf"),
            Some("application/json")
        );
        assert_eq!(pick("text/html, */*;q=0.8"), Some("application/json"));
        assert_eq!(pick("application/pdf;q=0, text/html"), None);
        assert_eq!(pick("application/pdf;Q=0, */*"), Some("application/json"));
        assert_eq!(
            pick("application/pdf;q=0.5, application/json;q=0.4"),
            Some("application/pdf")
        );
        assert_eq!(pick("*/*;q=0.1, application/pdf"), Some("application/pdf"));
        assert_eq!(pick("application/*;q=0, */*"), None);
        assert_eq!(
            pick("application/json;q=0, application/*"),
            Some("application/pdf")
        );
        assert_eq!(pick("text/html"), None);
        assert_eq!(pick("application/pdf;q=x"), Some("application/json"));
    }
}

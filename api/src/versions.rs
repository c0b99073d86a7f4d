//! Versions of a filing as HTTP validators: the `ETag` is the strong entity tag
//! `"v<version>"`, and changes require `If-Match` (RFC 9110 §13.1.1).
//!
//! `If-Match` is `*` or a comma-separated list of entity tags. The comparison is strong:
//! a tag matches only when it is not weak (`W/"v1"` never matches) and its opaque part
//! is exactly the current tag's, byte for byte (`v1`, unquoted, is malformed; `"v01"`
//! and `"v+1"` are other tags). Any tag of the list may match (`"v0", "v1"` matches
//! version 1). `*` matches whatever the current version is: the resource exists, which
//! the handler has already established. A header that is not a valid list is 412 like a
//! stale one (RFC 9110 says a server "MUST NOT perform the requested method" unless the
//! condition is true).

use crate::error::ApiError;
use actix_web::http::header;
use actix_web::HttpRequest;

/// The condition of an `If-Match` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    /// `*`: any current version.
    Any,
    /// The strong entity tags listed, without their quotes (weak ones are dropped: they
    /// never match in a strong comparison).
    Tags(Vec<String>),
}

impl IfMatch {
    /// Whether the current `version` (tag `"v<version>"`) satisfies the condition.
    pub fn matches(&self, version: i64) -> bool {
        match self {
            IfMatch::Any => true,
            IfMatch::Tags(tags) => {
                let current = format!("v{version}");
                tags.contains(&current)
            }
        }
    }

    /// Parses a header value; `None` when it is not `*` or a valid entity-tag list.
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        if value == "*" {
            return Some(IfMatch::Any);
        }
        let mut tags = Vec::new();
        let mut rest = value;
        loop {
            rest = rest.trim_start_matches([' ', '\t']);
            if let Some(after) = rest.strip_prefix(',') {
                // Empty list elements are allowed (RFC 9110 §5.6.1).
                rest = after;
                continue;
            }
            if rest.is_empty() {
                break;
            }
            let (weak, quoted) = match rest.strip_prefix("W/") {
                Some(r) => (true, r),
                None => (false, rest),
            };
            let inner = quoted.strip_prefix('"')?;
            let end = inner.find('"')?;
            let opaque = &inner[..end];
            // etagc = %x21 / %x23-7E / obs-text
            if !opaque
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x7e).contains(&b) || b >= 0x80)
            {
                return None;
            }
            if !weak {
                tags.push(opaque.to_owned());
            }
            rest = inner[end + 1..].trim_start_matches([' ', '\t']);
            match rest.strip_prefix(',') {
                Some(after) => rest = after,
                None if rest.is_empty() => break,
                None => return None,
            }
        }
        if tags.is_empty() && !value.split(',').any(|p| p.trim().starts_with("W/")) {
            return None;
        }
        Some(IfMatch::Tags(tags))
    }
}

/// Handlers compare the stored version with the condition: `row.version != expected`
/// is true when the condition is not satisfied (then 412).
impl PartialEq<IfMatch> for i64 {
    fn eq(&self, condition: &IfMatch) -> bool {
        condition.matches(*self)
    }
}

/// The condition of `If-Match`: 428 when the header is missing, 412 when it cannot be
/// read (several `If-Match` fields are combined into one list). Compare it with the
/// current version by `IfMatch::matches` (or `version != condition`).
pub fn if_match(req: &HttpRequest) -> Result<IfMatch, ApiError> {
    let mut values = req.headers().get_all(header::IF_MATCH).peekable();
    if values.peek().is_none() {
        return Err(ApiError::PreconditionRequired);
    }
    let mut joined = Vec::new();
    for value in values {
        joined.push(
            value
                .to_str()
                .map_err(|_| ApiError::PreconditionFailed)?
                .to_owned(),
        );
    }
    let joined = joined.join(", ");
    // `*` combined with tags is not a valid field value.
    if joined.split(',').filter(|p| p.trim() == "*").count() > 0 && joined.trim() != "*" {
        return Err(ApiError::PreconditionFailed);
    }
    IfMatch::parse(&joined).ok_or(ApiError::PreconditionFailed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(header: &str, version: i64) -> bool {
        IfMatch::parse(header).is_some_and(|c| c.matches(version))
    }

    #[test]
    fn strong_comparison_of_quoted_tags() {
        assert!(matches("\"v1\"", 1));
        assert!(matches(" \"v1\" ", 1));
        assert!(matches("\"v0\", \"v1\"", 1));
        assert!(matches("\"v0\",\"v1\",", 1));
        assert!(matches("W/\"v0\", \"v1\"", 1));
        assert!(matches("*", 1));
        for bad in [
            "W/\"v1\"",
            "v1",
            "\"v01\"",
            "\"v+1\"",
            "\"v1",
            "\"V1\"",
            "\"v1 \"",
            "\"v1\" x",
            "\"v0\"",
            "",
            "w/\"v1\"",
            "\"v1\"\"v1\"",
            "\"1\"",
            "\"v1.0\"",
        ] {
            assert!(!matches(bad, 1), "{bad:?}");
        }
        assert_eq!(IfMatch::parse("v1"), None);
        assert_eq!(IfMatch::parse(""), None);
        assert!(1_i64 != IfMatch::parse("\"v2\"").unwrap());
        assert!(2_i64 == IfMatch::parse("\"v2\"").unwrap());
    }
}

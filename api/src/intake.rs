//! The intake rule for text: what a string sent to the service may contain, applied once,
//! where requests come in (see docs/API-DESIGN.md, "Text at intake").
//!
//! - Body strings (values and keys of every JSON object): C0 control characters other
//!   than tab (U+0009) and line feed (U+000A), DEL (U+007F) and the C1 controls
//!   (U+0080–U+009F) are refused with the field error `invalid_character` at the
//!   string's JSON pointer. Line breaks are normalised to LF: CR LF, a bare CR, U+2028
//!   (line separator) and U+2029 (paragraph separator) each become one U+000A. The text
//!   is then put in Unicode Normalization Form C. Object keys follow the same rule but
//!   may contain no control character at all (no tab, no line break).
//! - Path segments and query parameters (after percent-decoding) and header values may
//!   contain no control character at all: 400 `invalid_path`, 422 `invalid_character` at
//!   `/query/<name>`, 400 `invalid_header`.

use std::borrow::Cow;
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// Whether `c` is refused everywhere (every control character but tab, LF and CR).
fn is_refused_in_text(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// A control character of any kind (C0, DEL, C1), or a Unicode line/paragraph separator.
pub fn is_control_or_separator(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

/// Free text as stored: `None` when it contains a refused character; otherwise the text
/// with line breaks normalised to LF, in NFC. Borrows when nothing changes.
pub fn normalise_text(text: &str) -> Option<Cow<'_, str>> {
    if text.chars().any(is_refused_in_text) {
        return None;
    }
    let has_breaks = text.contains(['\r', '\u{2028}', '\u{2029}']);
    let text: Cow<'_, str> = if has_breaks {
        let mut out = String::with_capacity(text.len());
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\r' => {
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    out.push('\n');
                }
                '\u{2028}' | '\u{2029}' => out.push('\n'),
                c => out.push(c),
            }
        }
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    };
    Some(nfc(text))
}

/// A key of a JSON object: no control character or separator at all; NFC.
pub fn normalise_key(key: &str) -> Option<Cow<'_, str>> {
    if key.chars().any(is_control_or_separator) {
        return None;
    }
    Some(nfc(Cow::Borrowed(key)))
}

fn nfc(text: Cow<'_, str>) -> Cow<'_, str> {
    if is_nfc_quick(text.chars()) == IsNormalized::Yes {
        text
    } else {
        Cow::Owned(text.nfc().collect())
    }
}

/// Decodes `%XX` escapes of a path; `None` when the result is not UTF-8.
pub fn percent_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rule() {
        assert_eq!(normalise_text("a\tb\nc").as_deref(), Some("a\tb\nc"));
        assert_eq!(normalise_text("a\r\nb\rc").as_deref(), Some("a\nb\nc"));
        assert_eq!(
            normalise_text("a\u{2028}b\u{2029}c").as_deref(),
            Some("a\nb\nc")
        );
        assert_eq!(normalise_text("Lie\u{300}ge").as_deref(), Some("Liège"));
        for bad in [
            "\u{0}", "a\u{7}", "\u{b}", "\u{c}", "\u{7f}", "\u{85}", "\u{9f}",
        ] {
            assert!(normalise_text(bad).is_none(), "{bad:?}");
        }
        assert!(normalise_key("a\nb").is_none());
        assert_eq!(normalise_key("inju\u{301}ry").as_deref(), Some("injúry"));
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("/a%00b").as_deref(), Some("/a\u{0}b"));
        assert_eq!(percent_decode("/a%2").as_deref(), Some("/a%2"));
        assert_eq!(percent_decode("%").as_deref(), Some("%"));
        assert_eq!(
            percent_decode("Lie%CC%80ge").as_deref(),
            Some("Lie\u{300}ge")
        );
        assert_eq!(percent_decode("%ff"), None);
    }
}

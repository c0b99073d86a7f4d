//! Text rules of the directory: folding names for search (Unicode-normalised, so that
//! `Lie\u{300}ge` typed in NFD finds Liège) and the one postal-code normaliser per
//! country, used by routing, search and every API path.

use crate::catalogue::Country;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Lower case without diacritics, for searching: `Liège`, `LIEGE` and `Lie\u{300}ge`
/// (decomposed, as macOS and iOS send it) all fold to `liege`.
///
/// The text is decomposed (NFKD, which also splits compatibility forms such as `ŀ` or
/// ligatures), combining marks are dropped, and letters that do not decompose but
/// are written as two letters elsewhere are spelled out (`ß` → `ss`, `æ` → `ae`,
/// `œ` → `oe`, `ø` → `o`, `ł` → `l`, `đ` → `d`). Typographic apostrophes become `'`,
/// and the Catalan middle dot (`l·l`) is dropped.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfkd().filter(|c| !is_combining_mark(*c)) {
        for c in c.to_lowercase() {
            match c {
                'ß' => out.push_str("ss"),
                'æ' => out.push_str("ae"),
                'œ' => out.push_str("oe"),
                'ø' => out.push('o'),
                'ł' => out.push('l'),
                'đ' | 'ð' => out.push('d'),
                'þ' => out.push_str("th"),
                '’' | '‘' | 'ʼ' | '`' | '´' => out.push('\''),
                '·' | '\u{387}' => {}
                c => out.push(c),
            }
        }
    }
    out
}

/// The postal code as the directory stores it, or `None` when `raw` cannot be one.
///
/// One rule per country, used everywhere a postal code enters (routing, the filing path,
/// `/v1/jurisdiction`, search). Surrounding and inner white space is ignored, and so is
/// the country prefix of the usual written forms: `L-2449`, `l-2449`, `L2449`,
/// `LU-2449` (Luxembourg, 4 digits); `B-1000`, `B1000`, `BE-1000`, `" 1000"` (Belgium,
/// 4 digits); `F-75001`, `FR-75001`, `75 001` (France, 5 digits); `E-08001`, `ES-08001`
/// (Catalonia, 5 digits).
pub fn normalize_postal_code(country: Country, raw: &str) -> Option<String> {
    let compact: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let (prefixes, digits): (&[&str], usize) = match country {
        Country::Be => (&["BE", "B"], 4),
        Country::Lu => (&["LU", "L"], 4),
        Country::Fr => (&["FR", "F"], 5),
        Country::EsCt => (&["ES", "E"], 5),
    };
    let mut code = compact.as_str();
    for prefix in prefixes {
        if let Some(rest) = code.strip_prefix(prefix) {
            code = rest.strip_prefix('-').unwrap_or(rest);
            break;
        }
    }
    (code.len() == digits && code.bytes().all(|b| b.is_ascii_digit())).then(|| code.to_owned())
}

/// Whether `query` looks like a postal code of some country (digits after an optional
/// country letter), so that search may try it as one.
pub fn looks_like_postal_code(query: &str) -> bool {
    let compact: String = query.chars().filter(|c| !c.is_whitespace()).collect();
    let digits = compact.trim_start_matches(|c: char| c.is_ascii_alphabetic() || c == '-');
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && compact.len() - digits.len() <= 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decomposed_and_composed_text_fold_alike() {
        assert_eq!(fold("Lie\u{300}ge"), "liege");
        assert_eq!(fold("Liège"), "liege");
        assert_eq!(fold("LIÈGE"), "liege");
        assert_eq!(fold("Œuvre Ærø Straße"), "oeuvre aero strasse");
        assert_eq!(fold("Brussel·les"), "brusselles");
        assert_eq!(fold("l’Hospitalet"), "l'hospitalet");
        assert_eq!(fold("Łódź"), "lodz");
        assert_eq!(fold("Škofja"), "skofja");
        assert_eq!(fold("ﬁ"), "fi");
    }

    #[test]
    fn postal_codes_in_their_usual_written_forms() {
        for raw in ["L-2449", "l-2449", "L2449", "LU-2449", " 2449 ", "2449"] {
            assert_eq!(
                normalize_postal_code(Country::Lu, raw).as_deref(),
                Some("2449"),
                "{raw}"
            );
        }
        for raw in ["B-1000", "b-1000", "B1000", "BE-1000", " 1000", "1000\t"] {
            assert_eq!(
                normalize_postal_code(Country::Be, raw).as_deref(),
                Some("1000"),
                "{raw}"
            );
        }
        assert_eq!(
            normalize_postal_code(Country::Fr, "F-75 001").as_deref(),
            Some("75001")
        );
        assert_eq!(
            normalize_postal_code(Country::EsCt, "E-08001").as_deref(),
            Some("08001")
        );
        for (country, raw) in [
            (Country::Be, "10000"),
            (Country::Be, "L-2449"),
            (Country::Lu, "12a4"),
            (Country::Fr, "7500"),
            (Country::Be, ""),
            (Country::Be, "B--1000"),
        ] {
            assert_eq!(normalize_postal_code(country, raw), None, "{raw}");
        }
        assert!(looks_like_postal_code("L-2449"));
        assert!(looks_like_postal_code("1000"));
        assert!(!looks_like_postal_code("Liège"));
    }
}

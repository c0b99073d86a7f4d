//! Names and labels a person reads in a list or a header: a partner's name, a unit's
//! names, a webhook endpoint's description. Beyond the intake rule for text (no control
//! character: `api::intake`), a name is one line that shows what it holds: a character
//! nobody sees could make two names look alike or reorder what is shown around it
//! (Trojan Source, CVE-2021-42574). So a name holds no line break or tab, no
//! bidirectional control (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) and no
//! other invisible format character (Unicode category Cf: the soft hyphen U+00AD,
//! U+200B–U+200D, U+2060–U+2064, U+FEFF...), nor a line or paragraph separator. Such a
//! name is refused with the field error `invalid_name_character`, never cleaned: what is
//! registered is what was sent.

use unicode_general_category::{get_general_category, GeneralCategory};

/// The field error code of a name with a refused character.
pub const INVALID_CHARACTER: &str = "invalid_name_character";

/// Whether `c` may not appear in a name.
pub fn is_refused_in_name(c: char) -> bool {
    c.is_control()
        || matches!(
            get_general_category(c),
            GeneralCategory::Format
                | GeneralCategory::LineSeparator
                | GeneralCategory::ParagraphSeparator
        )
}

/// Whether `c` is a combining mark (Unicode categories Mn, Mc, Me): it belongs after a
/// letter, never first.
pub fn is_combining_mark(c: char) -> bool {
    matches!(
        get_general_category(c),
        GeneralCategory::NonspacingMark
            | GeneralCategory::SpacingMark
            | GeneralCategory::EnclosingMark
    )
}

/// Whether `name` holds only characters a name may hold.
pub fn is_valid_name(name: &str) -> bool {
    !name.chars().any(is_refused_in_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidirectional_controls_and_invisible_characters_are_refused() {
        for c in [
            '\u{61c}', '\u{200e}', '\u{200f}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}',
            '\u{202e}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{ad}', '\u{200b}',
            '\u{200c}', '\u{200d}', '\u{2060}', '\u{2064}', '\u{feff}', '\u{2028}', '\u{2029}',
            '\t', '\n', '\r', '\u{0}', '\u{7f}', '\u{85}',
        ] {
            assert!(
                !is_valid_name(&format!("Zone{c}Ouest")),
                "U+{:04X}",
                c as u32
            );
        }
        for name in [
            "ZP Ottignies-Louvain-la-Neuve",
            "Police de Liège — Ouest",
            "Commune d’Évere\u{a0}(accueil)",
            "Mossos d'Esquadra · Comissaria",
            "שלום",
        ] {
            assert!(is_valid_name(name), "{name}");
        }
    }
}

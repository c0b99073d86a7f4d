//! The fonts of every PDF the service writes (the receipt, the citizen's export, the
//! travel authorisation, the postal letters): DejaVu Sans 2.37, regular and bold
//! (`api/fonts/`, Bitstream Vera licence, `api/fonts/LICENSE.txt`), embedded as subsets
//! (printpdf keeps only the glyphs a document uses, with a ToUnicode map, so the text
//! stays searchable and extractable).
//!
//! Why not the PDF standard fonts: they carry WinAnsi (Latin-1) only, so a name in Polish,
//! Czech, Romanian, Greek or Cyrillic printed `?` where its letters fell outside. DejaVu
//! Sans covers Latin with its extensions, Greek, Cyrillic, Armenian, Georgian and Hebrew;
//! a character it lacks (Chinese, for one) prints as the font's missing-glyph box
//! (identity documents print names in Latin letters, ICAO Doc 9303, so a travel
//! document's names are covered; a unit test checks the letters of European names).
//!
//! Widths are measured from the font's `hmtx` advances ([`width`]), so lines are wrapped
//! to the printable width in points ([`wrap`]), not to a character count.

use printpdf::{FontId, Op, ParsedFont, PdfDocument, PdfFontHandle, Pt};
use std::sync::OnceLock;

/// DejaVu Sans, regular.
static REGULAR_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
/// DejaVu Sans, bold.
static BOLD_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// A face of the documents' font.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    Regular,
    Bold,
}

/// The two faces, parsed once per process.
struct Faces {
    regular: ParsedFont,
    bold: ParsedFont,
}

impl Faces {
    fn get(&self, face: Face) -> &ParsedFont {
        match face {
            Face::Regular => &self.regular,
            Face::Bold => &self.bold,
        }
    }
}

/// The parsed faces; `None` if the embedded files did not parse (not expected: a unit
/// test parses them; the documents then fall back to the standard Helvetica, logged).
fn faces() -> Option<&'static Faces> {
    static FACES: OnceLock<Option<Faces>> = OnceLock::new();
    FACES
        .get_or_init(|| {
            let parse = |bytes: &[u8]| ParsedFont::from_bytes(bytes, 0, &mut Vec::new());
            let faces = parse(REGULAR_TTF)
                .zip(parse(BOLD_TTF))
                .map(|(regular, bold)| Faces { regular, bold });
            if faces.is_none() {
                tracing::error!("the embedded PDF fonts did not parse: documents use Helvetica");
            }
            faces
        })
        .as_ref()
}

/// The fonts as added to one document.
pub struct Fonts {
    /// The regular and bold faces' ids in the document, or `None` for the fallback.
    ids: Option<(FontId, FontId)>,
}

impl Fonts {
    /// Adds the two faces to `document` (each is embedded as the subset of the glyphs the
    /// document uses, when it is saved).
    pub fn add_to(document: &mut PdfDocument) -> Fonts {
        Fonts {
            ids: faces().map(|f| (document.add_font(&f.regular), document.add_font(&f.bold))),
        }
    }

    /// The operation that selects `face` at `size` points.
    pub fn select(&self, face: Face, size: f32) -> Op {
        let font = match (&self.ids, face) {
            (Some((regular, _)), Face::Regular) => PdfFontHandle::External(regular.clone()),
            (Some((_, bold)), Face::Bold) => PdfFontHandle::External(bold.clone()),
            (None, Face::Regular) => PdfFontHandle::Builtin(printpdf::BuiltinFont::Helvetica),
            (None, Face::Bold) => PdfFontHandle::Builtin(printpdf::BuiltinFont::HelveticaBold),
        };
        Op::SetFont {
            font,
            size: Pt(size),
        }
    }
}

/// The width of `text` set in `face` at `size` points, in points: the sum of its
/// characters' advances (no kerning, as printpdf sets none). A character without a glyph
/// counts as the missing glyph's advance.
pub fn width(text: &str, face: Face, size: f32) -> f32 {
    text.chars().map(|c| char_width(c, face, size)).sum()
}

/// The advance of `c` set in `face` at `size` points, in points (the missing glyph's for
/// a character without one).
fn char_width(c: char, face: Face, size: f32) -> f32 {
    let Some(faces) = faces() else {
        // The fallback's estimate: Helvetica averages about half an em per character.
        return size * 0.55;
    };
    let font = faces.get(face);
    let glyph = font.lookup_glyph_index(u32::from(c)).unwrap_or(0);
    let per_em = f32::from(font.pdf_font_metrics.units_per_em.max(1));
    f32::from(font.get_horizontal_advance(glyph)) * size / per_em
}

/// `text`'s words in lines at most `max` points wide when set in `face` at `size`; white
/// space between words becomes one space, and a word wider than a line is broken between
/// characters (at least one per line). Each character is measured once.
pub fn wrap(text: &str, face: Face, size: f32, max: f32) -> Vec<String> {
    let measure = |c: char| char_width(c, face, size);
    let space = measure(' ');
    let mut lines = Vec::new();
    let (mut line, mut used) = (String::new(), 0.0_f32);
    for word in text.split_whitespace() {
        let wide: f32 = word.chars().map(measure).sum();
        if !line.is_empty() && used + space + wide <= max {
            line.push(' ');
            line.push_str(word);
            used += space + wide;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
            used = 0.0;
        }
        if wide <= max {
            line.push_str(word);
            used = wide;
            continue;
        }
        for c in word.chars() {
            let w = measure(c);
            if !line.is_empty() && used + w > max {
                lines.push(std::mem::take(&mut line));
                used = 0.0;
            }
            line.push(c);
            used += w;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// [`wrap`] line by line: a line break of `text` is kept, and an empty line stays one
/// empty line (a letter's paragraphs).
pub fn wrap_lines(text: &str, face: Face, size: f32, max: f32) -> Vec<String> {
    text.lines()
        .flat_map(|line| {
            let wrapped = wrap(line, face, size, max);
            if wrapped.is_empty() {
                vec![String::new()]
            } else {
                wrapped
            }
        })
        .collect()
}

/// `line` in visual order (Unicode Bidirectional Algorithm, UAX #9, by the
/// `unicode-bidi` crate): PDF text is drawn left to right, so a right-to-left run (a
/// Hebrew or Arabic name) is reversed to read right. Arabic letters keep their isolated
/// forms (no contextual shaping).
pub fn visual(line: &str) -> std::borrow::Cow<'_, str> {
    let info = unicode_bidi::BidiInfo::new(line, None);
    if !info.has_rtl() {
        return std::borrow::Cow::Borrowed(line);
    }
    let reordered: String = info
        .paragraphs
        .iter()
        .map(|para| info.reorder_line(para, para.range.clone()).into_owned())
        .collect();
    std::borrow::Cow::Owned(reordered)
}

/// Millimetres in points (1 pt = 1/72 in = 25.4/72 mm).
pub const fn mm_to_pt(mm: f32) -> f32 {
    mm * 72.0 / 25.4
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The characters of `text` the fonts have no glyph for (they print as a box), each
    /// once, in order; white space and control characters are not counted.
    pub fn missing(text: &str) -> Vec<char> {
        let Some(faces) = faces() else {
            return Vec::new();
        };
        let mut missing = Vec::new();
        for c in text.chars() {
            if !c.is_whitespace()
                && !c.is_control()
                && faces.regular.lookup_glyph_index(u32::from(c)).is_none()
                && !missing.contains(&c)
            {
                missing.push(c);
            }
        }
        missing
    }

    #[test]
    fn the_embedded_fonts_parse_and_cover_the_scripts_of_european_names() {
        assert!(faces().is_some());
        for name in [
            "Łukasz Żółć",
            "Ștefan Țurcanu",
            "Jiří Dvořák",
            "Gülşen Çağlar",
            "Άννα Παπαδοπούλου",
            "Анна Иванова",
            "Nguyễn Văn Anh",
            "Laia Puig i Vidal·la",
            "Søren Ærø",
        ] {
            assert!(missing(name).is_empty(), "{name}: {:?}", missing(name));
        }
        assert_eq!(missing("王 小明 王"), vec!['王', '小', '明']);
    }

    #[test]
    fn widths_come_from_the_font_and_lines_fit_the_width() {
        // Measured: wider letters are wider, bold is wider than regular, size scales.
        assert!(width("WWW", Face::Regular, 10.0) > width("iii", Face::Regular, 10.0));
        assert!(width("Comissaria", Face::Bold, 10.0) > width("Comissaria", Face::Regular, 10.0));
        let ten = width("Comissaria", Face::Regular, 10.0);
        assert!((width("Comissaria", Face::Regular, 20.0) - 2.0 * ten).abs() < 0.01);
        let text = "Votre plainte a été transmise au service de police compétent, qui la \
                    traitera dans les meilleurs délais. Wwwww Mmmmm Ωμέγα Щука.";
        let max = 120.0;
        let lines = wrap(text, Face::Regular, 10.0, max);
        assert!(lines.len() > 3, "{lines:?}");
        assert!(lines.iter().all(|l| width(l, Face::Regular, 10.0) <= max));
        assert_eq!(lines.join(" "), text);
        assert_eq!(
            wrap_lines("a b\n\nc", Face::Regular, 10.0, 200.0),
            ["a b", "", "c"]
        );
    }
}

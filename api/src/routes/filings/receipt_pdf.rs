//! The receipt as a one-page A4 PDF (`GET /v1/filings/{id}/receipt` with
//! `Accept: application/pdf` or `?format=pdf`): the same content as the JSON receipt,
//! with labels in the receipt's language, in the documents' embedded Unicode font
//! (`crate::pdf_fonts`: a complainant's or an item's name prints in its own letters).

use super::types::Receipt;
use crate::i18n::texts;
use crate::pdf_fonts::{mm_to_pt, wrap, Face, Fonts};
use domain::i18n::Lang;
use printpdf::{Mm, Op, PdfDocument, PdfPage, PdfSaveOptions, Point, Pt, TextItem};

/// The receipt's labels, in `api/messages/*.toml` under `[receipt]`.
pub const LABELS: [&str; 12] = [
    "title",
    "reference",
    "record_number",
    "submitted_at",
    "procedure",
    "summary",
    "unit",
    "follow_up",
    "emergency",
    "footer",
    "items",
    "credential",
];

/// The width of a line of text between the 20 mm margins, in points.
fn line_width() -> f32 {
    mm_to_pt(170.0)
}

struct Page {
    ops: Vec<Op>,
    fonts: Fonts,
    /// The face and size last selected.
    face: (Face, f32),
}

impl Page {
    fn font(&mut self, face: Face, size: f32) {
        self.face = (face, size);
        self.ops.push(self.fonts.select(face, size));
        self.ops.push(Op::SetLineHeight {
            lh: Pt(size * 1.35),
        });
    }

    /// `text` wrapped to `width` points in the current face.
    fn lines(&self, text: &str, width: f32) -> Vec<String> {
        wrap(text, self.face.0, self.face.1, width)
    }

    fn show(&mut self, text: &str) {
        self.ops.push(Op::ShowText {
            items: vec![TextItem::Text(text.to_owned())],
        });
    }

    fn line(&mut self, text: &str) {
        self.show(text);
        self.ops.push(Op::AddLineBreak);
    }

    fn gap(&mut self) {
        self.ops.push(Op::AddLineBreak);
    }

    /// A label in bold, then its value wrapped below it.
    fn field(&mut self, label: &str, value: &str) {
        self.font(Face::Bold, 10.0);
        self.line(label);
        self.font(Face::Regular, 10.0);
        for line in self.lines(value, line_width()) {
            self.line(&line);
        }
        self.gap();
    }
}

/// Renders `receipt` in `lang`; `submitted_local` is the submission time in the unit's
/// time zone, already formatted; `items` the declared items, one line each.
/// `issued_at` is the document's creation date (seconds since the Unix epoch). The QR code
/// of the receipt's credential is drawn in the bottom right corner.
///
/// # Errors
/// The credential does not fit a QR code (not expected: it is a few hundred characters).
pub fn render(
    receipt: &Receipt,
    lang: Lang,
    submitted_local: &str,
    items: &[String],
    issued_at: i64,
) -> Result<Vec<u8>, crate::error::ApiError> {
    let label = |key: &str| {
        texts()
            .get(lang, &format!("receipt.{key}"))
            .unwrap_or(key)
            .to_owned()
    };
    let mut document = PdfDocument::new(&format!("{} {}", label("title"), receipt.reference));
    let mut page = Page {
        ops: vec![
            Op::StartTextSection,
            Op::SetTextCursor {
                pos: Point::new(Mm(20.0), Mm(272.0)),
            },
        ],
        fonts: Fonts::add_to(&mut document),
        face: (Face::Regular, 10.0),
    };
    page.font(Face::Bold, 18.0);
    for line in page.lines(&label("title"), line_width()) {
        page.line(&line);
    }
    page.gap();
    page.font(Face::Bold, 10.0);
    page.show(&label("reference"));
    // The break below the label takes the larger font's line height.
    page.font(Face::Bold, 16.0);
    page.gap();
    page.line(&receipt.reference);
    page.gap();
    page.field(&label("submitted_at"), submitted_local);
    page.field(&label("procedure"), &receipt.procedure_name);
    if let Some(number) = &receipt.record_number {
        page.field(&label("record_number"), number);
    }
    page.field(&label("summary"), &receipt.summary);
    if !items.is_empty() {
        page.font(Face::Bold, 10.0);
        page.line(&label("items"));
        page.font(Face::Regular, 10.0);
        for item in items {
            for line in page.lines(&format!("- {item}"), line_width()) {
                page.line(&line);
            }
        }
        page.gap();
    }
    let contact = &receipt.unit_contact;
    let unit = [
        Some(receipt.unit.name.as_str()),
        contact.address.as_deref(),
        contact.phone.as_deref(),
        contact.email.as_deref(),
        contact.web.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>();
    page.font(Face::Bold, 10.0);
    page.line(&label("unit"));
    page.font(Face::Regular, 10.0);
    for line in unit {
        page.line(line);
    }
    page.gap();
    page.field(&label("follow_up"), &receipt.follow_up);
    page.field(&label("emergency"), &receipt.emergency_numbers.join(" · "));
    page.font(Face::Regular, 8.0);
    for line in page.lines(&label("footer"), line_width()) {
        page.line(&line);
    }
    page.ops.push(Op::EndTextSection);
    // The QR code in the bottom right corner, its caption to its left.
    page.ops.push(Op::StartTextSection);
    page.ops.push(Op::SetTextCursor {
        pos: Point::new(Mm(20.0), Mm(44.0)),
    });
    page.font(Face::Regular, 8.0);
    // The caption to the left of the QR code (which starts at 150 mm).
    for line in page.lines(&label("credential"), mm_to_pt(125.0)) {
        page.line(&line);
    }
    page.ops.push(Op::EndTextSection);
    let qr = crate::credentials::qr::ops(&receipt.credential, Mm(150.0), Mm(52.0), Mm(40.0))
        .map_err(|e| crate::error::ApiError::Internal(format!("receipt QR code: {e}")))?;
    page.ops.extend(qr);

    if let Ok(issued) = printpdf::OffsetDateTime::from_unix_timestamp(issued_at) {
        let info = &mut document.metadata.info;
        info.creation_date = issued;
        info.modification_date = issued;
        info.metadata_date = issued;
    }
    document.with_pages(vec![PdfPage::new(Mm(210.0), Mm(297.0), page.ops)]);
    Ok(document.save(&PdfSaveOptions::default(), &mut Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_lines_fit_between_the_margins_in_the_font_that_prints_them() {
        let text = "Votre plainte a été transmise au service de police compétent, qui la \
                    traitera. Łukasz Żółć, Άννα Παπαδοπούλου, Анна Иванова: WWWWWWW MMMMM.";
        for size in [8.0, 10.0] {
            let lines = wrap(text, Face::Regular, size, line_width());
            assert!(lines
                .iter()
                .all(|l| crate::pdf_fonts::width(l, Face::Regular, size) <= line_width()));
            assert_eq!(lines.join(" "), text);
        }
    }
}

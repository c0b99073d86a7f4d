//! The receipt as a one-page A4 PDF (`GET /v1/filings/{id}/receipt` with
//! `Accept: application/pdf` or `?format=pdf`): the same content as the JSON receipt,
//! with labels in the receipt's language. Built-in Helvetica, so nothing is embedded;
//! its encoding (WinAnsi) covers French, Dutch, German, English, Spanish and Catalan.

use super::types::Receipt;
use crate::i18n::texts;
use domain::i18n::Lang;
use printpdf::{
    BuiltinFont, Mm, Op, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, TextItem,
};

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

/// Characters per line of body text at 10 pt between 20 mm margins (Helvetica averages
/// about half an em per character).
const LINE_CHARS: usize = 95;

pub use crate::layout::wrap;

struct Page {
    ops: Vec<Op>,
}

impl Page {
    fn font(&mut self, font: BuiltinFont, size: f32) {
        self.ops.push(Op::SetFont {
            font: PdfFontHandle::Builtin(font),
            size: Pt(size),
        });
        self.ops.push(Op::SetLineHeight {
            lh: Pt(size * 1.35),
        });
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
        self.font(BuiltinFont::HelveticaBold, 10.0);
        self.line(label);
        self.font(BuiltinFont::Helvetica, 10.0);
        for line in wrap(value, LINE_CHARS) {
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
    let mut page = Page {
        ops: vec![
            Op::StartTextSection,
            Op::SetTextCursor {
                pos: Point::new(Mm(20.0), Mm(272.0)),
            },
        ],
    };
    page.font(BuiltinFont::HelveticaBold, 18.0);
    page.line(&label("title"));
    page.gap();
    page.font(BuiltinFont::HelveticaBold, 10.0);
    page.show(&label("reference"));
    // The break below the label takes the larger font's line height.
    page.font(BuiltinFont::HelveticaBold, 16.0);
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
        page.font(BuiltinFont::HelveticaBold, 10.0);
        page.line(&label("items"));
        page.font(BuiltinFont::Helvetica, 10.0);
        for item in items {
            for line in wrap(&format!("- {item}"), LINE_CHARS) {
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
    page.font(BuiltinFont::HelveticaBold, 10.0);
    page.line(&label("unit"));
    page.font(BuiltinFont::Helvetica, 10.0);
    for line in unit {
        page.line(line);
    }
    page.gap();
    page.field(&label("follow_up"), &receipt.follow_up);
    page.field(&label("emergency"), &receipt.emergency_numbers.join(" · "));
    page.font(BuiltinFont::HelveticaOblique, 8.0);
    for line in wrap(&label("footer"), 120) {
        page.line(&line);
    }
    page.ops.push(Op::EndTextSection);
    // The QR code in the bottom right corner, its caption to its left.
    page.ops.push(Op::StartTextSection);
    page.ops.push(Op::SetTextCursor {
        pos: Point::new(Mm(20.0), Mm(44.0)),
    });
    page.font(BuiltinFont::Helvetica, 8.0);
    for line in wrap(&label("credential"), 80) {
        page.line(&line);
    }
    page.ops.push(Op::EndTextSection);
    let qr = crate::credentials::qr::ops(&receipt.credential, Mm(150.0), Mm(52.0), Mm(40.0))
        .map_err(|e| crate::error::ApiError::Internal(format!("receipt QR code: {e}")))?;
    page.ops.extend(qr);

    let mut document = PdfDocument::new(&format!("{} {}", label("title"), receipt.reference));
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
    use super::wrap;

    #[test]
    fn wrapping_keeps_words_whole_and_lines_short() {
        let text = "Votre plainte a été transmise au service de police compétent, qui la traitera.";
        let lines = wrap(text, 30);
        assert!(lines.iter().all(|l| l.chars().count() <= 30), "{lines:?}");
        assert_eq!(lines.join(" "), text);
        assert!(wrap("", 30).is_empty());
    }
}

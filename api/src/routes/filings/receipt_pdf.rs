//! The receipt as a one-page A4 PDF (`GET /v1/filings/{id}/receipt` with
//! `Accept: application/pdf` or `?format=pdf`): the same content as the JSON receipt,
//! with labels in the receipt's language, in the documents' embedded Unicode font
//! (`crate::pdf_fonts`: a complainant's or an item's name prints in its own letters).

use super::types::Receipt;
use crate::i18n::texts;
use crate::pdf_fonts::{mm_to_pt, Face, Fonts};
use crate::pdf_layout::{Column, MIN_SCALE};
use domain::i18n::Lang;
use printpdf::{Mm, PdfDocument, PdfPage, PdfSaveOptions};

/// The receipt's labels, in `api/messages/*.toml` under `[receipt]`.
pub const LABELS: [&str; 13] = [
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
    "more_items",
];

/// The width of the text between the 20 mm margins, in points.
const LINE_WIDTH: f32 = mm_to_pt(170.0);
/// The main column's height: from its first baseline (272 mm) down to above the QR code
/// (whose top is at 52 mm) and its caption, in points.
const COLUMN_HEIGHT: f32 = mm_to_pt(272.0 - 58.0);
/// The QR code's caption: left of the code (which starts at 150 mm), from 44 mm down.
const CAPTION_WIDTH: f32 = mm_to_pt(125.0);
const CAPTION_HEIGHT: f32 = mm_to_pt(44.0 - 10.0);

/// The receipt's main column with the first `shown` of `items` (and, when some are left
/// out, a line that counts them).
fn column(
    receipt: &Receipt,
    label: &dyn Fn(&str) -> String,
    submitted_local: &str,
    (items, shown): (&[String], usize),
) -> Column {
    let mut text = Column::default();
    let field = |text: &mut Column, name: &str, value: &str| {
        text.text(Face::Bold, 10.0, &label(name));
        text.text(Face::Regular, 10.0, value);
        text.gap(10.0);
    };
    text.text(Face::Bold, 18.0, &label("title"));
    text.gap(10.0);
    text.text(Face::Bold, 10.0, &label("reference"));
    text.text(Face::Bold, 16.0, &receipt.reference);
    text.gap(10.0);
    field(&mut text, "submitted_at", submitted_local);
    field(&mut text, "procedure", &receipt.procedure_name);
    if let Some(number) = &receipt.record_number {
        field(&mut text, "record_number", number);
    }
    field(&mut text, "summary", &receipt.summary);
    if !items.is_empty() {
        text.text(Face::Bold, 10.0, &label("items"));
        for item in &items[..shown] {
            text.text(Face::Regular, 10.0, &format!("- {item}"));
        }
        if shown < items.len() {
            let count = (items.len() - shown).to_string();
            let more = domain::i18n::fill(&label("more_items"), &[("count", count.clone())])
                .unwrap_or_else(|_| format!("+{count}"));
            text.text(Face::Regular, 10.0, &more);
        }
        text.gap(10.0);
    }
    let contact = &receipt.unit_contact;
    text.text(Face::Bold, 10.0, &label("unit"));
    for line in [
        Some(receipt.unit.name.as_str()),
        contact.address.as_deref(),
        contact.phone.as_deref(),
        contact.email.as_deref(),
        contact.web.as_deref(),
    ]
    .into_iter()
    .flatten()
    {
        text.text(Face::Regular, 10.0, line);
    }
    text.gap(10.0);
    field(&mut text, "follow_up", &receipt.follow_up);
    field(
        &mut text,
        "emergency",
        &receipt.emergency_numbers.join(" · "),
    );
    text.text(Face::Regular, 8.0, &label("footer"));
    text
}

/// Renders `receipt` in `lang`; `submitted_local` is the submission time in the unit's
/// time zone, already formatted; `items` the declared items, one line each.
/// `issued_at` is the document's creation date (seconds since the Unix epoch). The QR code
/// of the receipt's credential is drawn in the bottom right corner.
///
/// One page: the text is set at the largest size that fits (`pdf_layout::Column`, down
/// to `MIN_SCALE`); items that do not fit even then are counted on a last line
/// (`receipt.more_items`), the JSON receipt listing them all.
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
    let fonts = Fonts::add_to(&mut document);
    let fitting = |shown: usize| {
        let text = column(receipt, &label, submitted_local, (items, shown));
        text.fits(LINE_WIDTH, COLUMN_HEIGHT)
            .map(|scale| (text, scale))
    };
    // All the items when they fit; else the most that do (a binary search: fewer items
    // never take more room).
    let (text, scale) = fitting(items.len())
        .or_else(|| {
            let (mut low, mut high) = (0, items.len());
            while low + 1 < high {
                let middle = (low + high) / 2;
                if fitting(middle).is_some() {
                    low = middle;
                } else {
                    high = middle;
                }
            }
            fitting(low)
        })
        .unwrap_or_else(|| {
            let text = column(receipt, &label, submitted_local, (items, 0));
            (text, MIN_SCALE)
        });
    let mut ops = text.ops(&fonts, scale, (20.0, 272.0), LINE_WIDTH);
    // The QR code in the bottom right corner, its caption to its left.
    let mut caption = Column::default();
    caption.text(Face::Regular, 8.0, &label("credential"));
    let fit = caption
        .fits(CAPTION_WIDTH, CAPTION_HEIGHT)
        .unwrap_or(MIN_SCALE);
    ops.extend(caption.ops(&fonts, fit, (20.0, 44.0), CAPTION_WIDTH));
    let qr = crate::credentials::qr::ops(&receipt.credential, Mm(150.0), Mm(52.0), Mm(40.0))
        .map_err(|e| crate::error::ApiError::Internal(format!("receipt QR code: {e}")))?;
    ops.extend(qr);

    if let Ok(issued) = printpdf::OffsetDateTime::from_unix_timestamp(issued_at) {
        let info = &mut document.metadata.info;
        info.creation_date = issued;
        info.modification_date = issued;
        info.metadata_date = issued;
    }
    document.with_pages(vec![PdfPage::new(Mm(210.0), Mm(297.0), ops)]);
    Ok(document.save(&PdfSaveOptions::default(), &mut Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::filings::types::NamedRef;

    fn receipt() -> Receipt {
        Receipt {
            reference: "EC-2026-7K2Q-9XHM-C".into(),
            procedure: "simple_theft".into(),
            procedure_name: "Complaint for simple theft".into(),
            submitted_at: chrono::Utc::now(),
            unit: NamedRef {
                id: "zp-ottignies-louvain-la-neuve".into(),
                name: "Zone de police Ottignies-Louvain-la-Neuve".into(),
            },
            unit_contact: Default::default(),
            record_number: Some("5271/2026/000001".into()),
            summary: "Theft of a bag, Louvain-la-Neuve, 30 November 2026".into(),
            items: 0,
            declared_items: Vec::new(),
            follow_up: "The unit reviews your complaint.".into(),
            emergency_numbers: vec!["112".into(), "101".into()],
            language: "en".into(),
            timeline: None,
            credential: "a.b.c".into(),
        }
    }

    fn label(key: &str) -> String {
        texts()
            .get(Lang::En, &format!("receipt.{key}"))
            .unwrap_or(key)
            .to_owned()
    }

    #[test]
    fn twenty_long_items_fit_the_page_and_no_line_outgrows_it() {
        // The most items a list takes (20), each with a serial number of 100 characters.
        let items: Vec<String> = (0..20)
            .map(|i| format!("phone, Apple, iPhone 15 Pro Max, {i} {}", "S".repeat(100)))
            .collect();
        let text = column(
            &receipt(),
            &label,
            "30/11/2026 10:00",
            (&items, items.len()),
        );
        let scale = text.fits(LINE_WIDTH, COLUMN_HEIGHT);
        assert!(
            scale.is_some(),
            "twenty items of 100 wide characters overflow"
        );
        assert!(text.widest(scale.unwrap(), LINE_WIDTH) <= LINE_WIDTH);
        let pdf = render(
            &receipt(),
            Lang::En,
            "30/11/2026 10:00",
            &items,
            1_764_500_000,
        );
        assert!(pdf.unwrap().starts_with(b"%PDF-"));
    }

    #[test]
    fn items_beyond_the_page_are_counted_on_a_last_line() {
        let items: Vec<String> = (0..200)
            .map(|i| format!("item {i} {}", "W".repeat(90)))
            .collect();
        let text = column(&receipt(), &label, "30/11/2026", (&items, 200));
        assert!(text.fits(LINE_WIDTH, COLUMN_HEIGHT).is_none());
        let fits = |n: usize| {
            column(&receipt(), &label, "30/11/2026", (&items, n))
                .fits(LINE_WIDTH, COLUMN_HEIGHT)
                .is_some()
        };
        assert!(fits(10) && !fits(150));
        let pdf = render(&receipt(), Lang::En, "30/11/2026", &items, 1_764_500_000);
        assert!(pdf.unwrap().starts_with(b"%PDF-"));
        let more = domain::i18n::fill(&label("more_items"), &[("count", "3".into())]).unwrap();
        assert!(more.contains('3'), "{more}");
    }
}

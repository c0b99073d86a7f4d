//! The citizen's export as an A4 PDF (`GET /v1/me/export` with `Accept: application/pdf`
//! or `?format=pdf`): the same content as the JSON, laid out as text over as many pages
//! as it takes, with labels in the reader's language, in the documents' embedded Unicode
//! font (`crate::pdf_fonts`), lines wrapped to the width between the margins.

use super::types::PersonalDataExport;
use crate::i18n::texts;
use crate::pdf_fonts::{mm_to_pt, Face, Fonts};
use domain::i18n::Lang;
use printpdf::{Mm, Op, PdfDocument, PdfPage, PdfSaveOptions, Point, Pt, TextItem};
use serde_json::Value;

/// The export's labels, in `api/messages/*.toml` under `[export]`.
pub const LABELS: [&str; 17] = [
    "title",
    "intro",
    "generated_at",
    "subject",
    "filings",
    "none",
    "history",
    "exchanges",
    "retention",
    "notifications",
    "appointments",
    "alerts",
    "purposes",
    "legal_basis",
    "recipients",
    "records_system",
    "withheld",
];

/// The width of a line between the 20 mm margins, in millimetres.
const LINE_MM: f32 = 170.0;
/// The printable height of a page, in points (from 272 mm down to 20 mm).
const PAGE_HEIGHT_PT: f32 = 252.0 * 72.0 / 25.4;

#[derive(Clone, Copy)]
enum Style {
    Title,
    Heading,
    Label,
    Body,
}

impl Style {
    fn font(self) -> (Face, f32) {
        match self {
            Style::Title => (Face::Bold, 16.0),
            Style::Heading => (Face::Bold, 13.0),
            Style::Label => (Face::Bold, 10.0),
            Style::Body => (Face::Regular, 10.0),
        }
    }

    fn height(self) -> f32 {
        self.font().1 * 1.35
    }
}

/// The document as lines, before it is cut into pages.
#[derive(Default)]
struct Lines(Vec<(Style, String)>);

impl Lines {
    fn push(&mut self, style: Style, text: &str) {
        let (face, size) = style.font();
        for line in crate::pdf_fonts::wrap(text, face, size, mm_to_pt(LINE_MM)) {
            self.0.push((style, line));
        }
        if text.trim().is_empty() {
            self.0.push((style, String::new()));
        }
    }

    fn gap(&mut self) {
        self.0.push((Style::Body, String::new()));
    }

    fn field(&mut self, label: &str, value: &str) {
        self.push(Style::Body, &format!("{label}: {value}"));
    }

    /// A JSON value as `path: value` lines (the facts, the answers, the contact).
    fn json(&mut self, prefix: &str, value: &Value) {
        match value {
            Value::Object(map) => {
                for (key, value) in map {
                    let path = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    self.json(&path, value);
                }
            }
            Value::Array(items) => {
                for (i, value) in items.iter().enumerate() {
                    self.json(&format!("{prefix}[{}]", i + 1), value);
                }
            }
            Value::Null => {}
            Value::String(s) => self.field(prefix, s),
            other => self.field(prefix, &other.to_string()),
        }
    }

    /// Cut into pages of operations, set in `fonts`.
    fn pages(self, fonts: &Fonts) -> Vec<Vec<Op>> {
        let start = || {
            vec![
                Op::StartTextSection,
                Op::SetTextCursor {
                    pos: Point::new(Mm(20.0), Mm(272.0)),
                },
            ]
        };
        let mut pages = Vec::new();
        let mut ops = start();
        let mut used = 0.0;
        for (style, text) in self.0 {
            if used + style.height() > PAGE_HEIGHT_PT && used > 0.0 {
                ops.push(Op::EndTextSection);
                pages.push(std::mem::replace(&mut ops, start()));
                used = 0.0;
            }
            let (face, size) = style.font();
            ops.push(fonts.select(face, size));
            ops.push(Op::SetLineHeight {
                lh: Pt(style.height()),
            });
            ops.push(Op::ShowText {
                items: vec![TextItem::Text(crate::pdf_fonts::visual(&text).into_owned())],
            });
            ops.push(Op::AddLineBreak);
            used += style.height();
        }
        ops.push(Op::EndTextSection);
        pages.push(ops);
        pages
    }
}

/// Renders `export` (already in `lang`); `issued_at` is the document's creation date
/// (seconds since the Unix epoch).
pub fn render(export: &PersonalDataExport, lang: Lang, issued_at: i64) -> Vec<u8> {
    let label = |key: &str| {
        texts()
            .get(lang, &format!("export.{key}"))
            .unwrap_or(key)
            .to_owned()
    };
    let mut doc = Lines::default();
    doc.push(Style::Title, &label("title"));
    doc.push(Style::Body, &label("intro"));
    doc.gap();
    doc.field(&label("generated_at"), &export.generated_at.to_rfc3339());
    if let Some(withheld) = &export.withheld {
        doc.push(Style::Body, withheld);
    }
    doc.field(&label("subject"), &export.subject);
    filings(&mut doc, export, &label);
    doc.gap();
    doc.push(Style::Heading, &label("notifications"));
    if export.notifications.is_empty() {
        doc.push(Style::Body, &label("none"));
    }
    for n in &export.notifications {
        doc.push(
            Style::Label,
            &format!("{} {}", n.created_at.to_rfc3339(), n.title),
        );
        doc.push(Style::Body, &n.text);
    }
    doc.gap();
    doc.push(Style::Heading, &label("appointments"));
    if export.appointments.is_empty() {
        doc.push(Style::Body, &label("none"));
    }
    for a in &export.appointments {
        doc.push(
            Style::Body,
            &format!(
                "{} - {} {} ({}, {})",
                a.local_start, a.local_end, a.unit_name, a.kind, a.status
            ),
        );
    }
    doc.gap();
    doc.push(Style::Heading, &label("alerts"));
    if export.alerts.is_empty() {
        doc.push(Style::Body, &label("none"));
    }
    for a in &export.alerts {
        doc.push(
            Style::Label,
            &format!("{} {} ({})", a.raised_at.to_rfc3339(), a.kind, a.status),
        );
        if let Some(text) = &a.text {
            doc.push(Style::Body, text);
        }
        for p in &a.positions {
            doc.push(
                Style::Body,
                &format!("{} {:.5}, {:.5}", p.recorded_at.to_rfc3339(), p.lat, p.lon),
            );
        }
    }
    doc.gap();
    doc.push(Style::Heading, &label("purposes"));
    for p in &export.purposes {
        doc.push(Style::Label, &p.description);
        doc.field(&label("legal_basis"), &p.legal_basis);
    }
    doc.gap();
    doc.push(Style::Heading, &label("recipients"));
    if export.recipients.is_empty() {
        doc.push(Style::Body, &label("none"));
    }
    for r in &export.recipients {
        let reference = r.reference.as_deref().unwrap_or(&r.filing_id);
        doc.push(
            Style::Body,
            &format!(
                "{} {}: {}",
                r.at.to_rfc3339(),
                reference,
                label("records_system")
            ),
        );
    }
    let mut document = PdfDocument::new(&label("title"));
    if let Ok(issued) = printpdf::OffsetDateTime::from_unix_timestamp(issued_at) {
        let info = &mut document.metadata.info;
        info.creation_date = issued;
        info.modification_date = issued;
        info.metadata_date = issued;
    }
    let fonts = Fonts::add_to(&mut document);
    let pages = doc
        .pages(&fonts)
        .into_iter()
        .map(|ops| PdfPage::new(Mm(210.0), Mm(297.0), ops))
        .collect();
    document.with_pages(pages);
    document.save(&PdfSaveOptions::default(), &mut Vec::new())
}

fn filings(doc: &mut Lines, export: &PersonalDataExport, label: &dyn Fn(&str) -> String) {
    doc.gap();
    doc.push(Style::Heading, &label("filings"));
    if export.filings.is_empty() {
        doc.push(Style::Body, &label("none"));
    }
    for exported in &export.filings {
        let f = &exported.filing;
        doc.gap();
        let reference = f.reference.as_deref().unwrap_or(&f.id);
        doc.push(
            Style::Label,
            &format!("{reference} - {} - {}", f.procedure_name, f.status_label),
        );
        doc.field("id", &f.id);
        doc.field("created_at", &f.created_at.to_rfc3339());
        if let Some(at) = f.submitted_at {
            doc.field("submitted_at", &at.to_rfc3339());
        }
        if let Some(number) = &f.record_number {
            doc.field("record_number", number);
        }
        for (name, value) in [
            ("place", serde_json::to_value(&f.place)),
            ("facts_date", serde_json::to_value(&f.facts_date)),
            ("facts", Ok(f.facts.clone())),
            ("answers", Ok(f.answers.clone())),
            ("contact", serde_json::to_value(&f.contact)),
            ("decision", serde_json::to_value(&f.decision)),
        ] {
            if let Ok(value) = value {
                doc.json(name, &value);
            }
        }
        if !f.exchanges.is_empty() {
            doc.push(Style::Label, &label("exchanges"));
            if let Ok(Value::Array(rounds)) = serde_json::to_value(&f.exchanges) {
                for (i, round) in rounds.iter().enumerate() {
                    doc.json(&format!("{}", i + 1), round);
                }
            }
        }
        doc.push(Style::Label, &label("history"));
        for h in &f.history {
            doc.push(Style::Body, &format!("{} {}", h.at.to_rfc3339(), h.label));
        }
        let r = &exported.retention;
        let retention = [
            r.class.clone(),
            r.days.map(|d| format!("{d} d")),
            r.erasure_due.map(|d| d.date_naive().to_string()),
            r.kept.clone(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
        doc.field(&label("retention"), &retention);
    }
}

//! Letters by post: a PDF per message, with the address placed for a window envelope, and
//! daily batches for a print-and-mail provider.
//!
//! Layout: A4, DIN 5008 form B, the address field 20 mm from the left and 45 mm from the
//! top, 85 × 45 mm (a return-address line of 5 mm, then up to 6 address lines), which a
//! DL (C5/6) window envelope shows when the sheet is folded in three at the fold marks
//! (105 mm and 210 mm). The address is written in the format of the filing's country
//! (`address_lines`). Set in the documents' embedded Unicode font (`crate::pdf_fonts`): a
//! name or a street in Polish, Greek or Cyrillic letters prints as written.
//!
//! A batch is a folder `<letters_dir>/<YYYY-MM-DD>/` holding `<outbox id>.pdf` per letter
//! and `manifest.csv` (message_id, reference, page_count, country, file), written last.
//! `close_batch` claims the post messages queued before the end of the day (UTC) in one
//! transaction under the batch's name: a letter belongs to one batch, so it is never
//! printed twice. A batch interrupted before its manifest is completed by running it
//! again; a batch with its manifest is closed.

use super::render::{RenderContext, Rendered, Renderer};
use crate::pdf_fonts::{mm_to_pt, wrap_lines, Face, Fonts};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use domain::catalogue::Country;
use persistence::outbox;
use persistence::{DbConnection, PersistenceError};
use printpdf::{Mm, Op, PdfDocument, PdfPage, PdfSaveOptions, Point, TextItem};
use std::path::{Path, PathBuf};

/// The channel of letters.
pub const POST: &str = "post";
/// The manifest's file name in a batch folder.
pub const MANIFEST: &str = "manifest.csv";

/// The width of the flowing text between the 25 mm and 20 mm margins, in points.
fn text_width() -> f32 {
    mm_to_pt(165.0)
}
/// Address lines the window shows (DIN 5008: 6 lines below the return address).
const ADDRESS_LINES: usize = 6;
/// Characters per address line in the 85 mm field at 10 pt.
const ADDRESS_CHARS: usize = 40;

/// The address as printed: the citizen's lines (newlines, or commas in a one-line
/// address), in the format of `country`'s post: Luxembourg's postcodes carry `L-`, and
/// France's last line (postcode and locality) is in capitals (NF Z10-011). At most six
/// lines, each at most 40 characters; the country's name is not added (the letter goes
/// within the country whose police sends it).
pub fn address_lines(address: &str, country: Country) -> Vec<String> {
    let mut lines: Vec<String> = address
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    if lines.len() == 1 {
        lines = lines[0]
            .split(',')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
    }
    if let Some(last) = lines.last_mut() {
        match country {
            Country::Lu => {
                let starts_with_code = last.len() >= 4
                    && last.chars().take(4).all(|c| c.is_ascii_digit())
                    && last.chars().nth(4).is_none_or(|c| !c.is_ascii_digit());
                if starts_with_code {
                    *last = format!("L-{last}");
                }
            }
            Country::Fr => *last = last.to_uppercase(),
            Country::Be | Country::EsCt => {}
        }
    }
    // Too many lines: the first ones (the name, the street) are kept, the locality last.
    if lines.len() > ADDRESS_LINES {
        let last = lines.pop().unwrap_or_default();
        lines.truncate(ADDRESS_LINES - 1);
        lines.push(last);
    }
    lines
        .into_iter()
        .map(|l| l.chars().take(ADDRESS_CHARS).collect())
        .collect()
}

/// Text laid out on pages, top to bottom.
struct Layout {
    pages: Vec<Vec<Op>>,
    fonts: Fonts,
    /// The current line's baseline, mm from the bottom of the page.
    y: f32,
}

/// The lowest baseline before a new page, mm from the bottom.
const BOTTOM: f32 = 25.0;
/// The first baseline on a following page.
const TOP: f32 = 270.0;

impl Layout {
    fn new(fonts: Fonts) -> Self {
        Layout {
            pages: vec![Vec::new()],
            fonts,
            y: TOP,
        }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Writes `text` at (`x`, `y`) mm, in `font` at `size` pt.
    fn put(&mut self, x: f32, y: f32, face: Face, size: f32, text: &str) {
        let font = self.fonts.select(face, size);
        self.ops().extend([
            Op::StartTextSection,
            Op::SetTextCursor {
                pos: Point::new(Mm(x), Mm(y)),
            },
            font,
            Op::ShowText {
                items: vec![TextItem::Text(crate::pdf_fonts::visual(text).into_owned())],
            },
            Op::EndTextSection,
        ]);
    }

    /// A line of the flowing text, breaking to a new page at the bottom margin.
    fn line(&mut self, face: Face, size: f32, text: &str) {
        if self.y < BOTTOM {
            self.pages.push(Vec::new());
            self.y = TOP;
        }
        let y = self.y;
        self.put(25.0, y, face, size, text);
        self.y -= size * 0.3528 * 1.4;
    }

    fn gap(&mut self) {
        self.y -= 4.0;
    }

    fn paragraph(&mut self, text: &str) {
        for line in wrap_lines(text, Face::Regular, 10.5, text_width()) {
            self.line(Face::Regular, 10.5, &line);
        }
        self.gap();
    }
}

/// A letter's PDF and its page count.
pub fn render_pdf(
    rendered: &Rendered,
    sender: &str,
    address: &[String],
    date: &str,
    created_at: DateTime<Utc>,
) -> (Vec<u8>, usize) {
    let mut document = PdfDocument::new(&rendered.subject);
    let mut layout = Layout::new(Fonts::add_to(&mut document));
    // Fold marks (105 mm, 210 mm from the top) and the punch mark (148.5 mm).
    for from_top in [105.0, 148.5, 210.0] {
        layout.put(3.0, 297.0 - from_top, Face::Regular, 8.0, "_");
    }
    // The sender, top left, above the window.
    for (i, line) in sender.split("\\n").flat_map(str::lines).enumerate() {
        let y = 280.0 - 4.5 * i as f32;
        layout.put(25.0, y, Face::Bold, 9.0, line);
    }
    // The window: return address on one line (7 pt), then the address (10 pt).
    let return_line = sender.replace("\\n", ", ").replace('\n', ", ");
    layout.put(25.0, 297.0 - 49.0, Face::Regular, 7.0, &return_line);
    for (i, line) in address.iter().enumerate() {
        let y = 297.0 - 56.0 - 4.6 * i as f32;
        layout.put(25.0, y, Face::Regular, 10.0, line);
    }
    // The reference and date line (DIN 5008 form B: below the address field, 98.5 mm).
    layout.put(
        25.0,
        297.0 - 98.5,
        Face::Regular,
        9.0,
        &format!("{}    {date}", rendered.reference_line),
    );
    layout.y = 297.0 - 112.0;
    for line in wrap_lines(&rendered.subject, Face::Bold, 12.0, text_width()) {
        layout.line(Face::Bold, 12.0, &line);
    }
    layout.gap();
    layout.paragraph(&rendered.greeting);
    for paragraph in &rendered.paragraphs {
        layout.paragraph(paragraph);
    }
    if let Some(link) = &rendered.link {
        layout.paragraph(&format!("{}: {link}", rendered.link_label));
    }
    layout.paragraph(&rendered.where_to_look);
    layout.paragraph(&rendered.privacy);
    for line in wrap_lines(&rendered.footer, Face::Regular, 8.0, text_width()) {
        layout.line(Face::Regular, 8.0, &line);
    }
    let pages: Vec<PdfPage> = layout
        .pages
        .into_iter()
        .map(|ops| PdfPage::new(Mm(210.0), Mm(297.0), ops))
        .collect();
    let count = pages.len();
    if let Ok(at) = printpdf::OffsetDateTime::from_unix_timestamp(created_at.timestamp()) {
        let info = &mut document.metadata.info;
        info.creation_date = at;
        info.modification_date = at;
        info.metadata_date = at;
    }
    document.with_pages(pages);
    (
        document.save(&PdfSaveOptions::default(), &mut Vec::new()),
        count,
    )
}

/// What closing a batch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchOutcome {
    /// Written now: the folder, the letters in it, and the messages failed (no address).
    Closed {
        folder: PathBuf,
        letters: usize,
        failed: usize,
    },
    /// Closed before (its manifest exists): nothing printed again.
    AlreadyClosed { folder: PathBuf },
    /// No letter was due.
    Empty,
}

#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error(transparent)]
    Database(#[from] PersistenceError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Manifest(String),
}

/// A row of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ManifestRow {
    pub message_id: i64,
    pub reference: String,
    pub page_count: usize,
    pub country: String,
    pub file: String,
}

/// Closes the batch of `date` (UTC day) in `letters_dir`: claims the letters due before
/// the end of that day, writes their PDFs and the manifest, then marks them sent.
///
/// # Errors
/// The database, or a file that cannot be written (the batch can then be run again).
pub fn close_batch(
    conn: &mut DbConnection,
    renderer: &Renderer,
    context: &RenderContext,
    sender: &str,
    letters_dir: &Path,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> Result<BatchOutcome, BatchError> {
    let name = date.to_string();
    let folder = letters_dir.join(&name);
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| BatchError::Io { path, source }
    };
    if folder.join(MANIFEST).is_file() {
        // The manifest is written before the messages are marked: finish that step.
        outbox::close_letters(conn, &name, &[], now)?;
        return Ok(BatchOutcome::AlreadyClosed { folder });
    }
    let until = date
        .succ_opt()
        .unwrap_or(date)
        .and_time(NaiveTime::MIN)
        .and_utc();
    let claimed = outbox::claim_letters(conn, &name, until, now)?;
    if claimed.is_empty() {
        return Ok(BatchOutcome::Empty);
    }
    std::fs::create_dir_all(&folder).map_err(io(&folder))?;
    let ids: Vec<&str> = claimed.iter().map(|r| r.filing_id.as_str()).collect();
    let addresses = outbox::postal_addresses(conn, &ids)?;
    let mut manifest = Vec::new();
    let mut failed = Vec::new();
    for row in &claimed {
        let Some((address, country)) = addresses.get(&row.filing_id) else {
            failed.push((row.id, "no_address".to_owned()));
            continue;
        };
        let payload: serde_json::Value = serde_json::from_str(&row.payload).unwrap_or_default();
        let rendered = match renderer.render(
            &row.template,
            &row.language,
            &payload,
            &row.filing_id,
            context,
        ) {
            Ok(rendered) => rendered,
            Err(error) => {
                tracing::error!(outbox_id = row.id, %error, "cannot render a letter");
                failed.push((row.id, "render_failed".to_owned()));
                continue;
            }
        };
        let parsed_country = country.parse::<Country>().unwrap_or(Country::Be);
        let lines = address_lines(address, parsed_country);
        let local_date = now
            .with_timezone(&parsed_country.time_zone())
            .date_naive()
            .to_string();
        let (pdf, pages) = render_pdf(&rendered, sender, &lines, &local_date, row.created());
        let file = format!("{}.pdf", row.id);
        let path = folder.join(&file);
        std::fs::write(&path, pdf).map_err(io(&path))?;
        manifest.push(ManifestRow {
            message_id: row.id,
            reference: payload["reference"].as_str().unwrap_or_default().to_owned(),
            page_count: pages,
            country: country.clone(),
            file,
        });
        tracing::info!(outbox_id = row.id, filing_id = %row.filing_id, batch = %name, "letter written");
    }
    let partial = folder.join(format!(".{MANIFEST}.partial"));
    let mut writer =
        csv::Writer::from_path(&partial).map_err(|e| BatchError::Manifest(e.to_string()))?;
    for row in &manifest {
        writer
            .serialize(row)
            .map_err(|e| BatchError::Manifest(e.to_string()))?;
    }
    writer.flush().map_err(io(&partial))?;
    drop(writer);
    std::fs::rename(&partial, folder.join(MANIFEST)).map_err(io(&folder))?;
    outbox::close_letters(conn, &name, &failed, now)?;
    Ok(BatchOutcome::Closed {
        folder,
        letters: manifest.len(),
        failed: failed.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_follow_the_countrys_format() {
        assert_eq!(
            address_lines("Jean Dupont, 12 rue de la Paix, 75002 Paris", Country::Fr),
            ["Jean Dupont", "12 rue de la Paix", "75002 PARIS"]
        );
        assert_eq!(
            address_lines("Marie Weber\n5, rue Large\n1917 Luxembourg", Country::Lu),
            ["Marie Weber", "5, rue Large", "L-1917 Luxembourg"]
        );
        assert_eq!(
            address_lines("A\nL-1917 Luxembourg", Country::Lu)[1],
            "L-1917 Luxembourg"
        );
        assert_eq!(
            address_lines("Alice, Rue de la Loi 16, 1000 Bruxelles", Country::Be),
            ["Alice", "Rue de la Loi 16", "1000 Bruxelles"]
        );
        let long = "1\n2\n3\n4\n5\n6\n7\n08001 Barcelona";
        let lines = address_lines(long, Country::EsCt);
        assert_eq!(lines.len(), 6);
        assert_eq!(lines[5], "08001 Barcelona");
    }
}

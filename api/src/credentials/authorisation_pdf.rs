//! The minor's travel authorisation as a one-page A4 PDF (issue 19): every label in
//! Catalan, Spanish and English (`api/messages/{ca,es,en}.toml`, `[travel_document]`),
//! the credential's claims only (the minor's name and birth date, the destinations, the
//! validity dates, the accompanying adult, the issuing unit, the document's id), and the
//! QR code of the signed credential. Set in the documents' embedded Unicode font
//! (`crate::pdf_fonts`): a minor's or a companion's name prints in its own letters (a
//! Polish, Romanian or Greek name as the credential holds it). Served at `GET
//! /v1/travel-authorisations/{id}/document/pdf` (docs/DOCUMENTS.md).

use crate::error::ApiError;
use crate::i18n::texts;
use crate::pdf_fonts::{mm_to_pt, Face, Fonts};
use crate::pdf_layout::{Column, MIN_SCALE};
use domain::i18n::Lang;
use domain::travel::AuthorisationClaims;
use printpdf::{Mm, PdfDocument, PdfPage, PdfSaveOptions};

/// The document's languages, in the order its labels are printed.
pub const LANGUAGES: [Lang; 3] = [Lang::Ca, Lang::Es, Lang::En];

/// The labels, under `[travel_document]` in each of `LANGUAGES`.
pub const LABELS: [&str; 10] = [
    "title",
    "minor",
    "birth_date",
    "destinations",
    "valid",
    "companion",
    "unit",
    "document",
    "check",
    "revoked",
];

/// `key` in the three languages, separated by slashes.
fn label(key: &str) -> String {
    LANGUAGES
        .iter()
        .map(|lang| {
            texts()
                .get(*lang, &format!("travel_document.{key}"))
                .unwrap_or(key)
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join(" / ")
}

/// The text column's width, left of the QR code (which starts at 135 mm), in points.
const COLUMN_WIDTH: f32 = mm_to_pt(110.0);

/// The text column's height, from its first baseline (272 mm) to the bottom margin
/// (15 mm), in points.
const COLUMN_HEIGHT: f32 = mm_to_pt(257.0);

/// The page's text: the revocation (if any), the title, the credential's claims with
/// their labels, and how to check the document, in the three languages.
fn column(
    claims: &AuthorisationClaims,
    unit_name: &str,
    revoked_on: Option<chrono::NaiveDate>,
) -> Column {
    let mut text = Column::default();
    if let Some(day) = revoked_on {
        for lang in LANGUAGES {
            let line = texts()
                .render(
                    lang,
                    "travel_document.revoked",
                    &[("date", day.to_string())],
                )
                .unwrap_or_else(|| format!("REVOKED {day}"));
            text.text(Face::Bold, 12.0, &line);
        }
        text.gap(12.0);
    }
    for part in label("title").split(" / ") {
        text.text(Face::Bold, 14.0, part);
    }
    text.gap(14.0);
    let fields = [
        ("minor", claims.minor_name.clone()),
        ("birth_date", claims.minor_birth_date.to_string()),
        ("destinations", claims.destinations.join(", ")),
        (
            "valid",
            format!("{} - {}", claims.valid_from, claims.valid_until),
        ),
        (
            "companion",
            claims.companion.clone().unwrap_or_else(|| "-".into()),
        ),
        ("unit", unit_name.to_owned()),
        ("document", claims.jti.clone()),
    ];
    for (key, value) in fields {
        text.text(Face::Bold, 9.0, &label(key));
        text.text(Face::Regular, 12.0, &value);
        text.gap(9.0);
    }
    for lang in LANGUAGES {
        let check = texts()
            .get(lang, "travel_document.check")
            .unwrap_or("check");
        text.text(Face::Regular, 8.0, check);
    }
    text
}

/// Renders the authorisation of `claims`, issued by `unit_name`, with the QR code of
/// `credential`; `issued_at` is the document's creation date (seconds since the epoch).
/// A revoked document (`revoked_on`, the day of its revocation) says so at the top of the
/// page, in the three languages, above its title: a printed copy cannot pass for valid
/// (the online check answers `revoked` too).
///
/// # Errors
/// The credential does not fit a QR code (not expected).
pub fn render(
    claims: &AuthorisationClaims,
    unit_name: &str,
    credential: &str,
    issued_at: i64,
    revoked_on: Option<chrono::NaiveDate>,
) -> Result<Vec<u8>, ApiError> {
    let title = format!("{} {}", label("title"), claims.jti);
    let mut document = PdfDocument::new(&title);
    let fonts = Fonts::add_to(&mut document);
    let text = column(claims, unit_name, revoked_on);
    // The fields are bounded (names of 100 characters, 10 destinations), so the column
    // fits at MIN_SCALE at worst (tested below).
    let scale = text.fits(COLUMN_WIDTH, COLUMN_HEIGHT).unwrap_or(MIN_SCALE);
    let mut ops = text.ops(&fonts, scale, (20.0, 272.0), COLUMN_WIDTH);
    let qr = super::qr::ops(credential, Mm(135.0), Mm(115.0), Mm(55.0))
        .map_err(|e| ApiError::Internal(format!("authorisation QR code: {e}")))?;
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

    #[test]
    fn the_labels_exist_in_the_three_languages_and_the_page_renders() {
        for lang in LANGUAGES {
            for key in LABELS {
                let key = format!("travel_document.{key}");
                assert!(texts().exact(lang, &key).is_some(), "{lang}: {key}");
            }
        }
        let claims = AuthorisationClaims {
            jti: "0193b8e2-7c1d-7f00-9c1a-3d2e1f0a9b8c".into(),
            minor_name: "Laia Puig".into(),
            minor_birth_date: "2012-05-10".parse().unwrap(),
            destinations: vec!["FR".into(), "IT".into()],
            valid_from: "2026-12-20".parse().unwrap(),
            valid_until: "2027-01-06".parse().unwrap(),
            companion: Some("Marta Vidal".into()),
            unit: "me-barcelona".into(),
        };
        let pdf = render(
            &claims,
            "Comissaria de Barcelona",
            "a.b.c",
            1_764_500_000,
            None,
        );
        let pdf = pdf.unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.len() > 1000);
        let day = "2026-12-21".parse().ok();
        let revoked = render(&claims, "Comissaria", "a.b.c", 1_764_500_000, day).unwrap();
        assert!(revoked.starts_with(b"%PDF-"));
    }

    #[test]
    fn the_longest_request_the_rules_allow_fits_the_page_revoked() {
        // Names at their 100-character limit, of the widest letter and of long words,
        // ten destinations, a long unit name, the revocation lines.
        let widest = format!("{} {}", "W".repeat(60), "W".repeat(39));
        let claims = AuthorisationClaims {
            jti: "0193b8e2-7c1d-7f00-9c1a-3d2e1f0a9b8c".into(),
            minor_name: format!("{widest} {widest}"),
            minor_birth_date: "2012-05-10".parse().unwrap(),
            destinations: ["FR", "IT", "DE", "PT", "NL", "BE", "LU", "AT", "CH", "GB"]
                .map(String::from)
                .to_vec(),
            valid_from: "2026-12-20".parse().unwrap(),
            valid_until: "2027-01-06".parse().unwrap(),
            companion: Some(widest.clone()),
            unit: "es-ct-abp-1".into(),
        };
        let text = column(
            &claims,
            &"Comissaria ".repeat(12),
            "2026-12-21".parse().ok(),
        );
        let scale = text.fits(COLUMN_WIDTH, COLUMN_HEIGHT);
        assert!(scale.is_some(), "the page overflows");
        let scale = scale.unwrap();
        assert!(text.widest(scale, COLUMN_WIDTH) <= COLUMN_WIDTH);
    }
}

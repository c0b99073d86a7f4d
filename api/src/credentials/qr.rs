//! A credential's QR code drawn into a PDF page: the `qrcode` crate makes the matrix
//! (error correction level M, the quiet zone of four modules left white), and each row's
//! runs of dark modules become filled rectangles of one polygon, so that the code is
//! vector graphics at any print resolution.

use printpdf::{Mm, Op, PaintMode, Point, Polygon, PolygonRing, Pt, WindingOrder};
use qrcode::{Color, EcLevel, QrCode};

/// The QR code of `content` as page operations: its top-left corner at (`left`, `top`)
/// from the page's bottom-left corner, `size` wide and high (the quiet zone outside).
///
/// # Errors
/// The content is too long for a QR code (not expected for a credential).
pub fn ops(content: &str, left: Mm, top: Mm, size: Mm) -> Result<Vec<Op>, qrcode::types::QrError> {
    let code = QrCode::with_error_correction_level(content.as_bytes(), EcLevel::M)?;
    let width = code.width();
    let colors = code.to_colors();
    let module = Pt::from(size).0 / width as f32;
    let (x0, y0) = (Pt::from(left).0, Pt::from(top).0);
    let mut rings = Vec::new();
    for (row, line) in colors.chunks(width).enumerate() {
        let mut column = 0;
        while column < width {
            if line[column] != Color::Dark {
                column += 1;
                continue;
            }
            let start = column;
            while column < width && line[column] == Color::Dark {
                column += 1;
            }
            let x = x0 + start as f32 * module;
            let top = y0 - row as f32 * module;
            let right = x + (column - start) as f32 * module;
            let bottom = top - module;
            let point = |x: f32, y: f32| printpdf::LinePoint {
                p: Point { x: Pt(x), y: Pt(y) },
                bezier: false,
            };
            rings.push(PolygonRing {
                points: vec![
                    point(x, top),
                    point(right, top),
                    point(right, bottom),
                    point(x, bottom),
                ],
            });
        }
    }
    Ok(vec![
        Op::SaveGraphicsState,
        Op::SetFillColor {
            col: printpdf::Color::Rgb(printpdf::Rgb {
                r: 0.0,
                g: 0.0,
                b: 0.0,
                icc_profile: None,
            }),
        },
        Op::DrawPolygon {
            polygon: Polygon {
                rings,
                mode: PaintMode::Fill,
                winding_order: WindingOrder::NonZero,
            },
        },
        Op::RestoreGraphicsState,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dark_module_is_covered_once() {
        let content = "eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJ1cm46dGVzdCJ9.c2lnbmF0dXJl";
        let ops = ops(content, Mm(150.0), Mm(60.0), Mm(40.0)).unwrap();
        let Op::DrawPolygon { polygon } = &ops[2] else {
            panic!("{ops:?}")
        };
        let code = QrCode::with_error_correction_level(content.as_bytes(), EcLevel::M).unwrap();
        let dark = code
            .to_colors()
            .iter()
            .filter(|c| **c == Color::Dark)
            .count();
        let module = Pt::from(Mm(40.0)).0 / code.width() as f32;
        let covered: f32 = polygon
            .rings
            .iter()
            .map(|r| (r.points[1].p.x.0 - r.points[0].p.x.0) / module)
            .sum();
        assert!((covered - dark as f32).abs() < 0.01, "{covered} vs {dark}");
    }
}
